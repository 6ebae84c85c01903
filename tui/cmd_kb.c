/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_kb: `verdict kb init|lint` and `verdict feedback`: making the
 * knowledge-base repository, checking its documents, and recording an
 * analyst's decision on a threat as a commit. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/investigate.h"
#include "core/store.h"
#include "core/threat.h"
#include "core/timeutil.h"
#include "kb/feedback.h"
#include "kb/history.h"
#include "kb/kb.h"
#include "kb/propose.h"
#include "kb/repo.h"
#include "kb/sync.h"
#include "tui/cli.h"
#include "tui/paths.h"
#include "tui/table.h"

static void
kb_usage(FILE *out)
{
	fprintf(out,
		"usage: verdict [--kb PATH] kb init [--from URL]\n"
		"       verdict [--kb PATH] kb lint\n"
		"       verdict [--kb PATH] kb log [-n N] [PATH]\n"
		"       verdict [--kb PATH] kb blame FILE:LINE\n"
		"       verdict [--kb PATH] kb sync [--remote NAME]\n"
		"       verdict [--kb PATH] kb propose THREAT --reason R [--scope S,...]\n"
		"               [--expires YYYY-MM-DD]\n"
		"       verdict [--kb PATH] kb proposals\n"
		"       verdict [--kb PATH] kb review|merge proposals/NAME\n\n"
		"init makes the knowledge-base repository (--kb PATH, else\n"
		"$XDG_DATA_HOME/verdict/kb) from the bundled default with a first\n"
		"commit, or clones a team's remote with --from URL. lint checks\n"
		"every document and names file, line and field for each problem\n"
		"(exit 1 when there is any), and lists expired allowlist entries.\n"
		"log lists the commits, newest first (those that changed PATH when\n"
		"given): id, time, author, subject. blame names the commit and\n"
		"analyst that wrote a line at the tip and, for an allowlist entry\n"
		"proposed from a decision, that decision's file, verdict and note.\n"
		"sync fetches the remote (origin), merges it and pushes; a file\n"
		"changed on both sides stops it with nothing changed (exit 1).\n"
		"propose commits an allowlist entry for a threat's detection on a\n"
		"branch proposals/THREAT, scoped by actor, address, resource and/or\n"
		"account (default: the first the threat has); proposals lists the\n"
		"open ones; review shows one's diff and replays the stored threats\n"
		"with it, listing the verdicts that would change (the stored\n"
		"reports are put back); merge merges it into the branch.\n");
}

/* One knowledge-base problem per line on stdout, escaped. */
static void
on_lint(void *ctx, const char *msg)
{
	struct buf b;

	(void)ctx;
	buf_init(&b);
	text_escape(msg, &b);
	printf("%s\n", b.data ? b.data : "");
	buf_dispose(&b);
}

static int
kb_init(struct cli_global *g, const char *from)
{
	char commit[KB_COMMIT_HEXSZ], *path = NULL, *seed = NULL;
	int rc = EXIT_OK;

	if (g->kb) {
		path = strdup(g->kb);
	} else if (kb_repo_default_path(&path) < 0) {
		cli_error("%s", err_msg());
		return EXIT_FAILURE_;
	}
	if (!path || (!from && !(seed = paths_data(PATHS_KB)))) {
		cli_error("out of memory");
		rc = EXIT_FAILURE_;
		goto out;
	}
	if ((from ? kb_repo_clone(from, path, commit)
		  : kb_repo_init(path, seed, commit)) < 0) {
		cli_error("kb init: %s", err_msg());
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (!g->quiet)
		printf("kb: %s %s at %s\n", from ? "cloned into" : "initialized",
		       path, commit);
out:
	free(path);
	free(seed);
	return rc;
}

static int
kb_lint(struct cli_global *g)
{
	char *dir = g->kb ? strdup(g->kb) : kb_default_dir();
	struct kb_data *kb = NULL;
	unsigned errors = 0;
	int rc;

	if (!dir) {
		cli_error("out of memory");
		return EXIT_FAILURE_;
	}
	rc = kb_load_dir(dir, on_lint, NULL, &kb, &errors);
	if (rc < 0) {
		cli_error("kb lint: %s", err_msg());
		rc = errors ? EXIT_PARTIAL : EXIT_FAILURE_;
	} else {
		if (!g->quiet)
			fprintf(stderr, "kb: %s at %s: %zu playbooks, %zu intel "
				"lists, %zu allowlist entries, %u problem%s\n",
				dir, kb->version, kb->nplaybooks, kb->nintel,
				kb->nallow, errors, errors == 1 ? "" : "s");
		rc = errors ? EXIT_PARTIAL : EXIT_OK;
		/* Expired entries no longer apply: said, not counted. */
		for (size_t i = 0; i < kb->nallow; i++) {
			char when[TIMEUTIL_BUFSZ];

			if (!kb->allow[i].expires_ns ||
			    kb->allow[i].expires_ns > timeutil_now())
				continue;
			timeutil_format(kb->allow[i].expires_ns, when);
			printf("expired: allowlist entry %s (%.10s): %s\n",
			       kb->allow[i].id, when, kb->allow[i].reason);
		}
	}
	kb_data_free(kb);
	free(dir);
	return rc;
}

static int
on_log(void *ctx, const struct kb_log_entry *e)
{
	char when[TIMEUTIL_BUFSZ];
	struct buf b;

	(void)ctx;
	buf_init(&b);
	text_escape(e->summary ? e->summary : "", &b);
	timeutil_format(e->time_ns, when);
	printf("%.12s %s %s <%s> %s\n", e->id, when, e->author, e->email,
	       b.data ? b.data : "");
	buf_dispose(&b);
	return 0;
}

static int
kb_log(struct cli_global *g, const char *path, const char *count)
{
	char *dir = g->kb ? strdup(g->kb) : kb_default_dir(), *end = NULL;
	unsigned long n = count ? strtoul(count, &end, 10) : 0;
	int rc = EXIT_OK;

	if (count && (!*count || *end)) {
		cli_error("kb log: -n takes a number");
		free(dir);
		return EXIT_USAGE;
	}
	if (!dir || !kb_repo_is(dir)) {
		cli_error("kb log: %s is not a knowledge-base repository (make "
			  "one with `verdict kb init`)", dir ? dir : "?");
		rc = EXIT_FAILURE_;
	} else if (kb_repo_log(dir, path, n, on_log, NULL) < 0) {
		cli_error("kb log: %s", err_msg());
		rc = EXIT_FAILURE_;
	}
	free(dir);
	return rc;
}

static int
kb_sync_cmd(struct cli_global *g, const char *remote)
{
	char *dir = g->kb ? strdup(g->kb) : kb_default_dir();
	struct kb_sync_result r;
	int rc = EXIT_OK, src;

	if (!dir || !kb_repo_is(dir)) {
		cli_error("kb sync: %s is not a knowledge-base repository (make "
			  "one with `verdict kb init --from URL`)", dir ? dir : "?");
		free(dir);
		return EXIT_FAILURE_;
	}
	src = kb_sync(dir, remote, &r);
	if (src == ERR_PARSE && r.nconflicts) {
		for (size_t i = 0; i < r.nconflicts; i++)
			printf("conflict: %s\n", r.conflicts[i]);
		cli_error("kb sync: %s; resolve it with git in %s (git merge "
			  "%s/<branch>), then sync again", err_msg(), dir,
			  remote ? remote : "origin");
		rc = EXIT_PARTIAL;
	} else if (src < 0) {
		cli_error("kb sync: %s", err_msg());
		rc = EXIT_FAILURE_;
	} else if (!g->quiet) {
		printf("kb: %s, %s, %s\n",
		       r.fetched_new ? "fetched new commits" : "nothing new to fetch",
		       r.merged == 1 ? "merged" : r.merged == 2
		       ? "fast-forwarded" : "nothing to merge",
		       r.pushed ? "pushed" : "not pushed");
	}
	kb_sync_result_dispose(&r);
	free(dir);
	return rc;
}

/* ---- proposals ------------------------------------------------------------ */

struct kb_opts {
	const char *reason, *scope, *expires;
};

static char *
repo_dir(struct cli_global *g, const char *what)
{
	char *dir = g->kb ? strdup(g->kb) : kb_default_dir();

	if (!dir || !kb_repo_is(dir)) {
		cli_error("kb %s: %s is not a knowledge-base repository (make "
			  "one with `verdict kb init`)", what, dir ? dir : "?");
		free(dir);
		return NULL;
	}
	return dir;
}

struct found_threat {
	struct threat t;
	bool hit;
};

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
on_one_threat(void *ctx, const struct threat *t)
{
	struct found_threat *f = ctx;

	if (f->hit)
		return 0;
	f->hit = true;
	f->t.id = dup_or_null(t->id);
	f->t.detection = dup_or_null(t->detection);
	for (int i = 0; i < TE_COUNT; i++)
		f->t.ent[i] = dup_or_null(t->ent[i]);
	return f->t.id ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static int
kb_propose_cmd(struct cli_global *g, const char *threat_id,
	       const struct kb_opts *o)
{
	struct kb_proposal p = { 0 };
	struct found_threat f = { .hit = false };
	struct threat_filter tf = { .id = threat_id, .limit = 1 };
	struct store *st = NULL;
	char commit[KB_COMMIT_HEXSZ], cidr[128], *dir = NULL, *db = NULL,
	     *branch = NULL, *name = NULL, *email = NULL;
	const char *scope = o->scope;
	int rc = EXIT_OK;

	threat_init(&f.t);
	if (!threat_id || !o->reason) {
		cli_error("kb propose: give THREAT and --reason");
		return EXIT_USAGE;
	}
	if (!(dir = repo_dir(g, "propose")))
		return EXIT_FAILURE_;
	if (kb_analyst(dir, &name, &email) < 0) {
		cli_error("kb propose: %s", err_msg());
		rc = EXIT_USAGE;
		goto out;
	}
	db = cli_db_path(g);
	if (!db || store_open(db, STORE_READONLY, &st) < 0 ||
	    store_threat_list(st, &tf, on_one_threat, &f) < 0) {
		cli_error("%s", db ? err_msg() : "out of memory");
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (!f.hit) {
		cli_error("kb propose: no threat %s", threat_id);
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (!scope)
		scope = f.t.ent[TE_ACTOR] ? "actor" : f.t.ent[TE_SRC_IP]
			? "address" : f.t.ent[TE_RESOURCE] ? "resource" : "";
	for (const char *s = scope; *s; s += strcspn(s, ",") + (s[strcspn(s, ",")] == ',')) {
		size_t n = strcspn(s, ",");
		static const struct { const char *word; int ent; } words[] = {
			{ "actor", TE_ACTOR }, { "address", TE_SRC_IP },
			{ "resource", TE_RESOURCE }, { "account", TE_ACCOUNT },
		};
		size_t w;

		for (w = 0; w < sizeof(words) / sizeof(*words); w++)
			if (strlen(words[w].word) == n &&
			    strncmp(words[w].word, s, n) == 0)
				break;
		if (w == sizeof(words) / sizeof(*words)) {
			cli_error("kb propose: --scope takes actor, address, "
				  "resource, account");
			rc = EXIT_USAGE;
			goto out;
		}
		if (!f.t.ent[words[w].ent]) {
			cli_error("kb propose: %s has no %s", threat_id,
				  words[w].word);
			rc = EXIT_USAGE;
			goto out;
		}
		if (words[w].ent == TE_ACTOR)
			p.actor = f.t.ent[TE_ACTOR];
		else if (words[w].ent == TE_RESOURCE)
			p.resource = f.t.ent[TE_RESOURCE];
		else if (words[w].ent == TE_ACCOUNT)
			p.account = f.t.ent[TE_ACCOUNT];
		else {
			snprintf(cidr, sizeof(cidr), "%s/%d", f.t.ent[TE_SRC_IP],
				 strchr(f.t.ent[TE_SRC_IP], ':') ? 128 : 32);
			p.cidr = cidr;
		}
	}
	p.threat_id = f.t.id;
	p.detection = f.t.detection;
	p.reason = o->reason;
	p.expires = o->expires;
	p.name = name;
	p.email = email;
	if (kb_propose(dir, &p, &branch, commit) < 0) {
		cli_error("kb propose: %s", err_msg());
		rc = EXIT_FAILURE_;
		goto out;
	}
	printf("proposed %s on %s\n", commit, branch + strlen("refs/heads/"));
out:
	threat_dispose(&f.t);
	store_close(st);
	free(branch);
	free(name);
	free(email);
	free(db);
	free(dir);
	return rc;
}

static int
on_proposal(void *ctx, const struct kb_proposal_info *p)
{
	char when[TIMEUTIL_BUFSZ];

	(void)ctx;
	timeutil_format(p->time_ns, when);
	printf("%s %.12s %s %s %s\n", p->branch, p->id, when, p->author,
	       p->summary ? p->summary : "");
	return 0;
}

static void
on_diff(void *ctx, char origin, const char *text, size_t len)
{
	(void)ctx;
	if (origin == '+' || origin == '-' || origin == ' ')
		putchar(origin);
	fwrite(text, 1, len, stdout);
}

/* The full ref of a proposal named "proposals/x" (or "x"). */
static char *
proposal_ref(const char *name)
{
	struct buf b;

	buf_init(&b);
	if (strncmp(name, "refs/", 5) == 0)
		buf_adds(&b, name);
	else if (strncmp(name, "proposals/", 10) == 0)
		buf_printf(&b, "refs/heads/%s", name);
	else
		buf_printf(&b, "refs/heads/proposals/%s", name);
	return buf_detach(&b);
}

/* A reported threat as stored, to put back after the replay. */
struct saved {
	char *id, *kb_version, *verdict, *json;
	int confidence;
};

struct saved_list {
	struct saved *s;
	size_t n;
};

static int
on_reported(void *ctx, const struct threat *t)
{
	struct saved_list *l = ctx;
	struct saved *grown;

	if (!t->verdict)
		return 0;
	if (!(grown = realloc(l->s, (l->n + 1) * sizeof(*grown))))
		return err_set(ERR_NOMEM, "out of memory");
	l->s = grown;
	memset(&grown[l->n], 0, sizeof(*grown));
	grown[l->n].id = dup_or_null(t->id);
	grown[l->n].kb_version = dup_or_null(t->kb_version);
	grown[l->n].verdict = dup_or_null(t->verdict);
	grown[l->n].confidence = t->confidence;
	l->n++;
	return grown[l->n - 1].id && grown[l->n - 1].verdict
	       ? 0 : err_set(ERR_NOMEM, "out of memory");
}

/* Investigate every reported threat with both knowledge bases and put its
 * stored report back: the store ends as it began (the store commits as
 * investigations query, so a transaction could not undo them). */
static int
replay(struct cli_global *g, const struct kb_data *cur,
       const struct kb_data *prop)
{
	struct threat_filter tf = { 0 };
	struct saved_list l = { 0 };
	struct store *st = NULL;
	char *db = cli_db_path(g);
	size_t changed = 0;
	int rc;

	if (!db || (rc = store_open(db, 0, &st)) < 0 ||
	    (rc = store_threat_list(st, &tf, on_reported, &l)) < 0)
		goto out;
	for (size_t i = 0; i < l.n && rc == 0; i++)
		rc = store_report_get(st, l.s[i].id, &l.s[i].json);
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		struct report *a = NULL, *b = NULL;
		int put;

		if ((rc = investigate_threat(st, cur, l.s[i].id, &a)) == 0 &&
		    (rc = investigate_threat(st, prop, l.s[i].id, &b)) == 0 &&
		    strcmp(a->verdict, b->verdict) != 0) {
			printf("would change: %s %s -> %s\n", l.s[i].id,
			       a->verdict, b->verdict);
			changed++;
		}
		report_free(a);
		report_free(b);
		put = store_report_put(st, l.s[i].id, l.s[i].kb_version,
				       l.s[i].verdict, l.s[i].confidence,
				       l.s[i].json);
		if (put < 0 && rc == 0)
			rc = put;
	}
	if (rc == 0)
		printf("replayed %zu threats: %zu verdict%s would change\n",
		       l.n, changed, changed == 1 ? "" : "s");
out:
	if (!db)
		rc = err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < l.n; i++) {
		free(l.s[i].id);
		free(l.s[i].kb_version);
		free(l.s[i].verdict);
		free(l.s[i].json);
	}
	free(l.s);
	store_close(st);
	free(db);
	return rc;
}

static int
kb_review_cmd(struct cli_global *g, const char *name, bool merge)
{
	char *dir = NULL, *ref = NULL;
	struct kb_data *cur = NULL, *prop = NULL;
	struct kb_sync_result r;
	unsigned errors = 0;
	int rc = EXIT_OK;

	if (!name) {
		cli_error("kb %s: name a proposal (verdict kb proposals)",
			  merge ? "merge" : "review");
		return EXIT_USAGE;
	}
	if (!(dir = repo_dir(g, merge ? "merge" : "review")))
		return EXIT_FAILURE_;
	if (!(ref = proposal_ref(name))) {
		cli_error("out of memory");
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (merge) {
		if (kb_merge_branch(dir, ref, &r) < 0) {
			for (size_t i = 0; i < r.nconflicts; i++)
				printf("conflict: %s\n", r.conflicts[i]);
			cli_error("kb merge: %s", err_msg());
			rc = r.nconflicts ? EXIT_PARTIAL : EXIT_FAILURE_;
		} else {
			kb_proposal_drop(dir, ref);
			printf("merged %s\n", name);
		}
		kb_sync_result_dispose(&r);
		goto out;
	}
	if (kb_proposal_diff(dir, ref, on_diff, NULL) < 0 ||
	    kb_repo_load(dir, on_lint, NULL, &cur, &errors) < 0 ||
	    kb_repo_load_rev(dir, ref, on_lint, NULL, &prop, &errors) < 0 ||
	    replay(g, cur, prop) < 0) {
		cli_error("kb review: %s", err_msg());
		rc = EXIT_FAILURE_;
	} else if (errors) {
		rc = EXIT_PARTIAL;
	}
out:
	kb_data_free(cur);
	kb_data_free(prop);
	free(ref);
	free(dir);
	return rc;
}

/* One field of a blame, escaped: telemetry reaches decisions' notes. */
static void
print_field(const char *label, const char *v)
{
	struct buf b;

	if (!v)
		return;
	buf_init(&b);
	text_escape(v, &b);
	printf("%s%s\n", label, b.data ? b.data : "");
	buf_dispose(&b);
}

static int
kb_blame_cmd(struct cli_global *g, const char *spec)
{
	char *dir = NULL, *file = NULL, *colon, *end = NULL, when[TIMEUTIL_BUFSZ];
	struct kb_blame b = { .time_ns = 0 };
	unsigned long line;
	int rc = EXIT_OK;

	if (!spec || !(colon = strrchr(spec, ':')) || colon == spec) {
		cli_error("kb blame: give FILE:LINE (allowlists/NAME.yaml:3)");
		return EXIT_USAGE;
	}
	line = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || line == 0) {
		cli_error("kb blame: \"%s\": LINE is a number from 1", colon + 1);
		return EXIT_USAGE;
	}
	if (!(dir = repo_dir(g, "blame")))
		return EXIT_FAILURE_;
	if (!(file = strndup(spec, (size_t)(colon - spec)))) {
		cli_error("out of memory");
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (kb_blame_line(dir, NULL, file, line, &b) < 0) {
		cli_error("kb blame: %s", err_msg());
		rc = EXIT_FAILURE_;
		goto out;
	}
	timeutil_format(b.time_ns, when);
	printf("%s:%lu:", file, line);
	print_field(" ", b.text);
	printf("commit %.12s %s\n", b.commit, when);
	print_field("analyst ", b.author);
	print_field("email ", b.email);
	print_field("subject ", b.summary);
	if (b.threat_id && !b.decision)
		print_field("proposed for ", b.threat_id);
	print_field("decision ", b.decision);
	print_field("  threat ", b.decision ? b.threat_id : NULL);
	print_field("  verdict ", b.d_verdict);
	print_field("  analyst ", b.d_analyst);
	print_field("  time ", b.d_time);
	print_field("  reason ", b.d_reason);
	print_field("  note ", b.d_note);
out:
	kb_blame_dispose(&b);
	free(file);
	free(dir);
	return rc;
}

int
cmd_kb(struct cli_global *g, int argc, char **argv)
{
	const char *sub = NULL, *from = NULL, *arg = NULL, *count = NULL,
		   *remote = NULL;
	struct kb_opts o = { 0 };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			kb_usage(stdout);
			return EXIT_OK;
		} else if (cli_global_opt(g, argc, argv, &i)) {
			continue;
		} else if (cli_is(a, "--from")) {
			from = cli_value(argc, argv, &i, "--from");
		} else if (cli_is(a, "--reason")) {
			o.reason = cli_value(argc, argv, &i, "--reason");
		} else if (cli_is(a, "--scope")) {
			o.scope = cli_value(argc, argv, &i, "--scope");
		} else if (cli_is(a, "--expires")) {
			o.expires = cli_value(argc, argv, &i, "--expires");
		} else if (cli_is(a, "--remote")) {
			remote = cli_value(argc, argv, &i, "--remote");
		} else if (strcmp(a, "-n") == 0) {
			count = cli_value(argc, argv, &i, "-n");
		} else if (a[0] == '-' && a[1] != '\0') {
			cli_error("kb: unknown option %s", a);
			kb_usage(stderr);
			return EXIT_USAGE;
		} else if (!sub) {
			sub = a;
		} else if (!arg && (strcmp(sub, "log") == 0 ||
				    strcmp(sub, "blame") == 0 ||
				    strcmp(sub, "propose") == 0 ||
				    strcmp(sub, "review") == 0 ||
				    strcmp(sub, "merge") == 0)) {
			arg = a;
		} else {
			cli_error("kb: unexpected argument \"%s\"", a);
			return EXIT_USAGE;
		}
	}
	if (sub && strcmp(sub, "init") == 0 && !count && !remote)
		return kb_init(g, from);
	if (sub && strcmp(sub, "lint") == 0 && !from && !count && !remote)
		return kb_lint(g);
	if (sub && strcmp(sub, "log") == 0 && !from && !remote)
		return kb_log(g, arg, count);
	if (sub && strcmp(sub, "blame") == 0 && !from && !count && !remote)
		return kb_blame_cmd(g, arg);
	if (sub && strcmp(sub, "sync") == 0 && !from && !count)
		return kb_sync_cmd(g, remote);
	if (sub && strcmp(sub, "propose") == 0)
		return kb_propose_cmd(g, arg, &o);
	if (sub && strcmp(sub, "proposals") == 0) {
		char *dir = repo_dir(g, "proposals");
		int rc = EXIT_OK;

		if (!dir)
			return EXIT_FAILURE_;
		if (kb_proposals(dir, on_proposal, NULL) < 0) {
			cli_error("kb proposals: %s", err_msg());
			rc = EXIT_FAILURE_;
		}
		free(dir);
		return rc;
	}
	if (sub && (strcmp(sub, "review") == 0 || strcmp(sub, "merge") == 0))
		return kb_review_cmd(g, arg, strcmp(sub, "merge") == 0);
	cli_error(sub ? "kb: unknown subcommand or option for \"%s\"" :
		  "kb: give a subcommand", sub ? sub : "");
	kb_usage(stderr);
	return EXIT_USAGE;
}

/* ---- feedback ---------------------------------------------------------------- */

static void
feedback_usage(FILE *out)
{
	fprintf(out,
		"usage: verdict feedback THREAT --verdict V [--reason R] --note TEXT\n\n"
		"Record an analyst's decision on an investigated threat: agree\n"
		"(the report's verdict) or override it (malicious, suspicious,\n"
		"benign, inconclusive). The decision becomes a file under\n"
		"feedback/ and a commit by the analyst (git user.name and\n"
		"user.email, or VERDICT_ANALYST=\"Name <email>\") in the\n"
		"knowledge-base repository; \"saved\" is printed once it is on\n"
		"disk. The threat is then decided.\n");
}

int
cmd_feedback(struct cli_global *g, int argc, char **argv)
{
	const char *threat_id = NULL, *verdict = NULL, *reason = NULL,
		   *note = NULL;
	struct store *st = NULL;
	char commit[KB_COMMIT_HEXSZ], *kb = NULL, *db = NULL, *file = NULL;
	bool agree;
	int rc = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			feedback_usage(stdout);
			return EXIT_OK;
		} else if (cli_global_opt(g, argc, argv, &i)) {
			continue;
		} else if (cli_is(a, "--verdict")) {
			verdict = cli_value(argc, argv, &i, "--verdict");
		} else if (cli_is(a, "--reason")) {
			reason = cli_value(argc, argv, &i, "--reason");
		} else if (cli_is(a, "--note")) {
			note = cli_value(argc, argv, &i, "--note");
		} else if (a[0] == '-' && a[1] != '\0') {
			cli_error("feedback: unknown option %s", a);
			feedback_usage(stderr);
			return EXIT_USAGE;
		} else if (!threat_id) {
			threat_id = a;
		} else {
			cli_error("feedback: one threat at a time");
			return EXIT_USAGE;
		}
	}
	if (!threat_id || !verdict || !note) {
		cli_error("feedback: give THREAT, --verdict and --note");
		feedback_usage(stderr);
		return EXIT_USAGE;
	}
	if (!kb_verdict_valid(verdict)) {
		cli_error("feedback: --verdict is malicious, suspicious, benign "
			  "or inconclusive");
		return EXIT_USAGE;
	}
	kb = g->kb ? strdup(g->kb) : kb_default_dir();
	db = cli_db_path(g);
	if (!kb || !db) {
		cli_error("out of memory");
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (store_open(db, 0, &st) < 0) {
		cli_error("%s", err_msg());
		rc = EXIT_FAILURE_;
		goto out;
	}
	if ((rc = kb_feedback_threat(st, kb, threat_id, verdict, reason, note,
				     commit, &file, &agree)) < 0) {
		cli_error("feedback: %s", err_msg());
		rc = rc == ERR_USAGE ? EXIT_USAGE : EXIT_FAILURE_;
		goto out;
	}
	/* The decision is on disk: only now is it acknowledged. */
	printf("saved %s %s (%s)\n", commit, file,
	       agree ? "agree" : "override");
	fflush(stdout);
	if (store_threat_set_status(st, threat_id, "decided") < 0) {
		cli_error("feedback: recorded, but the threat's status: %s",
			  err_msg());
		rc = EXIT_PARTIAL;
	}
out:
	store_close(st);
	free(file);
	free(db);
	free(kb);
	return rc;
}
