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
#include "core/store.h"
#include "core/threat.h"
#include "core/timeutil.h"
#include "kb/feedback.h"
#include "kb/kb.h"
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
		"       verdict [--kb PATH] kb sync [--remote NAME]\n\n"
		"init makes the knowledge-base repository (--kb PATH, else\n"
		"$XDG_DATA_HOME/verdict/kb) from the bundled default with a first\n"
		"commit, or clones a team's remote with --from URL. lint checks\n"
		"every document and names file, line and field for each problem\n"
		"(exit 1 when there is any). log lists the commits, newest first\n"
		"(those that changed PATH when given): id, time, author, subject.\n"
		"sync fetches the remote (origin), merges it and pushes; a file\n"
		"changed on both sides stops it with nothing changed (exit 1).\n");
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

int
cmd_kb(struct cli_global *g, int argc, char **argv)
{
	const char *sub = NULL, *from = NULL, *arg = NULL, *count = NULL,
		   *remote = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			kb_usage(stdout);
			return EXIT_OK;
		} else if (cli_global_opt(g, argc, argv, &i)) {
			continue;
		} else if (cli_is(a, "--from")) {
			from = cli_value(argc, argv, &i, "--from");
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
		} else if (!arg && strcmp(sub, "log") == 0) {
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
	if (sub && strcmp(sub, "sync") == 0 && !from && !count)
		return kb_sync_cmd(g, remote);
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
