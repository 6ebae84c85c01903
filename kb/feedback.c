/* SPDX-License-Identifier: Apache-2.0 */
/* feedback: records an analyst's decision as a file and a commit, durably
 * and safely beside other writers, and finds the prior decisions on similar
 * threats for the investigation step that cites them. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <git2.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/jsonu.h"
#include "core/store.h"
#include "core/timeutil.h"
#include "kb/feedback.h"

#define CAS_TRIES 2000          /* ref updates tried before giving up */
#define STALE_LOCK_NS 250000000 /* a git lock this old under our lock is dead */

static const char *const verdicts[] = {
	"malicious", "suspicious", "benign", "inconclusive",
};

/* Entities a decision file names, by threat_entity. */
static const char *const ent_keys[TE_COUNT] = {
	"actor", "src_ip", "resource", "host", "container", "account", "region",
};

bool
kb_verdict_valid(const char *v)
{
	for (size_t i = 0; v && i < sizeof(verdicts) / sizeof(*verdicts); i++)
		if (strcmp(v, verdicts[i]) == 0)
			return true;
	return false;
}

/* ---- the analyst --------------------------------------------------------------- */

static char *
trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return strndup(s, n);
}

int
kb_analyst(const char *repo_path, char **name, char **email)
{
	const char *env = getenv("VERDICT_ANALYST");
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	const char *n = NULL, *e = NULL;
	int rc = 0;

	*name = *email = NULL;
	if (env && *env) {
		const char *lt = strchr(env, '<'), *gt = lt ? strchr(lt, '>') : NULL;

		if (!lt || !gt || gt == lt + 1 || lt == env)
			return err_set(ERR_USAGE, "VERDICT_ANALYST: expected "
				       "\"Name <email>\", got \"%s\"", env);
		*name = trimmed(env, (size_t)(lt - env));
		*email = strndup(lt + 1, (size_t)(gt - lt - 1));
		goto check;
	}
	if ((rc = kb_repo_setup()) < 0)
		return rc;
	if (git_repository_open_ext(&repo, repo_path,
				    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return kb_repo_err(repo_path);
	if (git_repository_config_snapshot(&cfg, repo) == 0) {
		if (git_config_get_string(&n, cfg, "user.name") < 0)
			n = NULL;
		if (git_config_get_string(&e, cfg, "user.email") < 0)
			e = NULL;
	}
	git_error_clear();
	if (!n || !*n || !e || !*e) {
		rc = err_set(ERR_USAGE, "who is deciding? Set git config "
			     "user.name and user.email, or VERDICT_ANALYST="
			     "\"Name <email>\"");
		goto out;
	}
	*name = strdup(n);
	*email = strdup(e);
check:
	if (!*name || !*email) {
		rc = err_set(ERR_NOMEM, "out of memory");
	} else if (!**name || strpbrk(*name, "<>\n") || strpbrk(*email, "<>\n ")) {
		rc = err_set(ERR_USAGE, "analyst \"%s <%s>\": not a usable name "
			     "and email", *name, *email);
	}
out:
	if (rc < 0) {
		free(*name);
		free(*email);
		*name = *email = NULL;
	}
	git_config_free(cfg);
	git_repository_free(repo);
	return rc;
}

/* ---- the decision file and its commit message ------------------------------------ */

static void
add_text(cJSON *o, const char *key, const char *v)
{
	cJSON_AddItemToObject(o, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

static char *
decision_json(const struct kb_decision *d)
{
	char when[64], who[512];
	cJSON *o = cJSON_CreateObject(), *ents = cJSON_CreateObject();
	char *text = NULL;
	bool agree = d->playbook_verdict &&
		     strcmp(d->playbook_verdict, d->verdict) == 0;

	if (!o || !ents) {
		cJSON_Delete(o);
		cJSON_Delete(ents);
		return NULL;
	}
	timeutil_format(d->time_ns, when);
	snprintf(who, sizeof(who), "%s <%s>", d->name, d->email);
	add_text(o, "threat", d->threat_id);
	add_text(o, "detection", d->detection);
	add_text(o, "title", d->title);
	for (int i = 0; i < TE_COUNT; i++)
		add_text(ents, ent_keys[i], d->ent[i]);
	cJSON_AddItemToObject(o, "entities", ents);
	add_text(o, "playbook_verdict", d->playbook_verdict);
	add_text(o, "verdict", d->verdict);
	cJSON_AddItemToObject(o, "agree", cJSON_CreateBool(agree));
	add_text(o, "reason", d->reason);
	add_text(o, "note", d->note);
	add_text(o, "analyst", who);
	add_text(o, "time", when);
	text = cJSON_Print(o);
	cJSON_Delete(o);
	return text;
}

/* One line of at most max bytes of s: line breaks and tabs become spaces. */
static void
one_line(struct buf *b, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n < max; s++, n++)
		buf_add(b, *s == '\n' || *s == '\r' || *s == '\t' ? " " : s, 1);
	if (s && *s)
		buf_add(b, "...", 3);
}

static char *
decision_message(const struct kb_decision *d, const char *file)
{
	struct buf b;
	bool agree = d->playbook_verdict &&
		     strcmp(d->playbook_verdict, d->verdict) == 0;

	buf_init(&b);
	buf_printf(&b, "feedback: %s for ", d->verdict);
	one_line(&b, d->title ? d->title : d->detection, 120);
	buf_printf(&b, " (%s)\n\n", d->threat_id);
	if (!d->playbook_verdict)
		buf_printf(&b, "The analyst judged it %s; it had no report.\n",
			   d->verdict);
	else if (agree)
		buf_printf(&b, "The analyst agreed with the playbook verdict "
			   "%s.\n", d->verdict);
	else
		buf_printf(&b, "The analyst overrode the playbook verdict %s "
			   "with %s.\n", d->playbook_verdict, d->verdict);
	buf_add(&b, "Detection: ", 11);
	one_line(&b, d->detection, 400);
	buf_add(&b, "\n", 1);
	if (d->reason) {
		buf_add(&b, "Reason: ", 8);
		one_line(&b, d->reason, 400);
		buf_add(&b, "\n", 1);
	}
	if (d->note && *d->note)
		buf_printf(&b, "\n%s\n", d->note);
	buf_printf(&b, "\nDecision-File: %s\n", file);
	return buf_detach(&b);
}

/* ---- writing -------------------------------------------------------------------- */

/* A lock file git or libgit2 left when its writer died: under our own lock
 * no verdict process holds it, and git holds one for milliseconds. */
static void
clear_stale(const char *gitdir, const char *name)
{
	struct buf p;
	struct stat sb;
	struct timespec now;

	buf_init(&p);
	buf_printf(&p, "%s%s", gitdir, name);
	clock_gettime(CLOCK_REALTIME, &now);
	if (p.data && stat(p.data, &sb) == 0) {
		int64_t age = ((int64_t)now.tv_sec - sb.st_mtim.tv_sec) *
			      1000000000LL + (now.tv_nsec - sb.st_mtim.tv_nsec);

		if (age > STALE_LOCK_NS)
			unlink(p.data);
	}
	buf_dispose(&p);
}

/* Verdict's writers take turns on this lock; the kernel drops it when a
 * writer dies, however it dies. */
int
kb_writer_lock(const char *gitdir, int *fd)
{
	struct buf p;

	buf_init(&p);
	buf_printf(&p, "%sverdict-feedback.lock", gitdir);
	if (!p.data)
		return err_set(ERR_NOMEM, "out of memory");
	*fd = open(p.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0 || flock(*fd, LOCK_EX) < 0) {
		int rc = err_set(ERR_IO, "%s: %s", p.data, strerror(errno));

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		buf_dispose(&p);
		return rc;
	}
	buf_dispose(&p);
	return 0;
}

int
kb_tree_with(git_repository *repo, git_commit *parent, const char *dir,
	     const char *name, const git_oid *blob, git_tree **out)
{
	git_tree *root = NULL, *fb = NULL;
	git_tree_entry *e = NULL;
	git_treebuilder *tb = NULL;
	git_oid fb_id, root_id;
	int rc = 0;

	if (parent && git_commit_tree(&root, parent) < 0)
		return kb_repo_err("the tip's tree");
	if (root && git_tree_entry_bypath(&e, root, dir) == 0 &&
	    git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&fb, repo, git_tree_entry_id(e)) < 0) {
		rc = kb_repo_err(dir);
		goto out;
	}
	git_error_clear();
	if (git_treebuilder_new(&tb, repo, fb) < 0 ||
	    git_treebuilder_insert(NULL, tb, name, blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&fb_id, tb) < 0) {
		rc = kb_repo_err(dir);
		goto out;
	}
	git_treebuilder_free(tb);
	tb = NULL;
	if (git_treebuilder_new(&tb, repo, root) < 0 ||
	    git_treebuilder_insert(NULL, tb, dir, &fb_id,
				   GIT_FILEMODE_TREE) < 0 ||
	    git_treebuilder_write(&root_id, tb) < 0 ||
	    git_tree_lookup(out, repo, &root_id) < 0)
		rc = kb_repo_err("tree");
out:
	git_treebuilder_free(tb);
	git_tree_entry_free(e);
	git_tree_free(fb);
	git_tree_free(root);
	return rc;
}

/* Bring the new file into the work tree and index, so that a person's
 * `git commit -a` there never records it as deleted. Best effort: the
 * decision is already committed. */
static void
update_worktree(git_repository *repo, const char *path)
{
	git_checkout_options co;
	char *paths[] = { (char *)path };

	if (git_repository_is_bare(repo))
		return;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	clear_stale(git_repository_path(repo), "index.lock");
	co.checkout_strategy = GIT_CHECKOUT_FORCE |
			       GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
	co.paths.strings = paths;
	co.paths.count = 1;
	if (git_checkout_head(repo, &co) < 0)
		git_error_clear();
}

static int
branch_of(git_repository *repo, char **refname)
{
	git_reference *head = NULL;
	int rc = 0;

	if (git_reference_lookup(&head, repo, "HEAD") < 0)
		return kb_repo_err("HEAD");
	if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC)
		rc = err_set(ERR_USAGE, "the knowledge base is on a detached "
			     "HEAD; check out its branch first");
	else if (!(*refname = strdup(git_reference_symbolic_target(head))))
		rc = err_set(ERR_NOMEM, "out of memory");
	git_reference_free(head);
	return rc;
}

static void
pause_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
kb_feedback_record(const char *repo_path, const struct kb_decision *d,
		   char commit[KB_COMMIT_HEXSZ], char **file)
{
	git_repository *repo = NULL;
	git_signature *sig = NULL;
	git_oid blob, cid;
	char *json = NULL, *msg = NULL, *refname = NULL, *name = NULL;
	char stamp[64], suffix[16];
	struct buf fname;
	struct timespec now;
	int lock = -1, rc = 0, tries;

	buf_init(&fname);
	if (file)
		*file = NULL;
	if (!d->threat_id || !d->detection || !d->name || !d->email)
		return err_set(ERR_USAGE, "a decision needs a threat, its "
			       "detection and the analyst");
	if (!kb_verdict_valid(d->verdict))
		return err_set(ERR_USAGE, "verdict \"%s\": expected malicious, "
			       "suspicious, benign or inconclusive",
			       d->verdict ? d->verdict : "");
	if ((rc = kb_repo_setup()) < 0)
		return rc;
	if (git_repository_open_ext(&repo, repo_path,
				    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return kb_repo_err(repo_path);
	/* Unique across writers: time to the nanosecond, process and a
	 * random part; sorted by name, decisions read oldest first. */
	clock_gettime(CLOCK_REALTIME, &now);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", gmtime(&now.tv_sec));
	snprintf(suffix, sizeof(suffix), "%08lx",
		 (unsigned long)(((unsigned long)getpid() * 2654435761u) ^
				 (unsigned long)now.tv_nsec) & 0xffffffffUL);
	buf_printf(&fname, "%s.%09ldZ-%s-%s.json", stamp, now.tv_nsec,
		   d->threat_id, suffix);
	if (!fname.data || strchr(fname.data, '/') ||
	    !(name = buf_detach(&fname))) {
		rc = fname.data ? err_set(ERR_USAGE, "threat id \"%s\": not a "
					  "usable file name", d->threat_id)
				: err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	{
		struct buf rel;

		buf_init(&rel);
		buf_printf(&rel, "feedback/%s", name);
		if (!(json = decision_json(d)) || !rel.data ||
		    !(msg = decision_message(d, rel.data))) {
			buf_dispose(&rel);
			rc = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		if (file)
			*file = buf_detach(&rel);
		buf_dispose(&rel);
	}
	if (git_signature_new(&sig, d->name, d->email,
			      (git_time_t)(d->time_ns / 1000000000LL), 0) < 0 ||
	    git_blob_create_from_buffer(&blob, repo, json, strlen(json)) < 0) {
		rc = kb_repo_err("decision");
		goto out;
	}
	if ((rc = branch_of(repo, &refname)) < 0 ||
	    (rc = kb_writer_lock(git_repository_path(repo), &lock)) < 0)
		goto out;
	for (tries = 0; tries < CAS_TRIES; tries++) {
		git_oid tip;
		bool born = git_reference_name_to_id(&tip, repo, refname) == 0;
		git_commit *parent = NULL;
		git_tree *tree = NULL;
		git_reference *ref = NULL;
		const git_commit *parents[1];
		int grc;

		git_error_clear();
		if (born && git_commit_lookup(&parent, repo, &tip) < 0) {
			rc = kb_repo_err("the tip");
			break;
		}
		parents[0] = parent;
		if ((rc = kb_tree_with(repo, parent, "feedback", name, &blob,
				       &tree)) < 0 ||
		    git_commit_create(&cid, repo, NULL, sig, sig, NULL, msg,
				      tree, born ? 1 : 0, parents) < 0) {
			rc = rc < 0 ? rc : kb_repo_err("commit");
			git_tree_free(tree);
			git_commit_free(parent);
			break;
		}
		git_tree_free(tree);
		git_commit_free(parent);
		/* Compare and swap: the branch moves only if it still points
		 * where the commit's parent says. */
		grc = born ? git_reference_create_matching(&ref, repo, refname,
				&cid, 1, &tip, "verdict feedback")
			   : git_reference_create(&ref, repo, refname, &cid, 0,
				"verdict feedback");
		git_reference_free(ref);
		if (grc == 0)
			break;
		if (grc != GIT_EMODIFIED && grc != GIT_ELOCKED &&
		    grc != GIT_EEXISTS) {
			rc = kb_repo_err(refname);
			break;
		}
		if (grc == GIT_ELOCKED) {
			struct buf l;

			buf_init(&l);
			buf_printf(&l, "%s.lock", refname);
			if (l.data)
				clear_stale(git_repository_path(repo), l.data);
			buf_dispose(&l);
		}
		git_error_clear();
		pause_ms(1 + (unsigned)(tries % 10));
	}
	if (rc == 0 && tries == CAS_TRIES)
		rc = err_set(ERR_IO, "%s: still changing after %d tries; "
			     "decision not recorded", refname, CAS_TRIES);
	if (rc == 0) {
		git_oid_tostr(commit, KB_COMMIT_HEXSZ, &cid);
		if (file && *file)
			update_worktree(repo, *file);
	}
out:
	if (lock >= 0)
		close(lock);
	if (rc < 0 && file) {
		free(*file);
		*file = NULL;
	}
	buf_dispose(&fname);
	free(name);
	free(json);
	free(msg);
	free(refname);
	git_signature_free(sig);
	git_repository_free(repo);
	return rc;
}

/* ---- a stored threat's decision -------------------------------------------------- */

struct found {
	struct threat t;
	bool hit;
};

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
on_found(void *ctx, const struct threat *t)
{
	struct found *f = ctx;

	if (f->hit)
		return 0;
	f->hit = true;
	f->t.id = dup_or_null(t->id);
	f->t.detection = dup_or_null(t->detection);
	f->t.title = dup_or_null(t->title);
	f->t.verdict = dup_or_null(t->verdict);
	for (int i = 0; i < TE_COUNT; i++)
		f->t.ent[i] = dup_or_null(t->ent[i]);
	if (!f->t.id || !f->t.detection)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int
kb_feedback_threat(struct store *st, const char *repo_path,
		   const char *threat_id, const char *verdict,
		   const char *reason, const char *note,
		   char commit[KB_COMMIT_HEXSZ], char **file, bool *agree)
{
	struct threat_filter tf = { .id = threat_id, .limit = 1 };
	struct kb_decision d = { 0 };
	struct found f = { .hit = false };
	char *name = NULL, *email = NULL;
	int rc;

	threat_init(&f.t);
	*agree = false;
	if (!kb_verdict_valid(verdict))
		return err_set(ERR_USAGE, "verdict \"%s\": expected malicious, "
			       "suspicious, benign or inconclusive",
			       verdict ? verdict : "");
	if (!kb_repo_is(repo_path))
		return err_set(ERR_NOTFOUND, "%s is not a knowledge-base "
			       "repository (make one with `verdict kb init`)",
			       repo_path);
	if ((rc = kb_analyst(repo_path, &name, &email)) < 0)
		return rc;
	if ((rc = store_threat_list(st, &tf, on_found, &f)) < 0)
		goto out;
	if (!f.hit) {
		rc = err_set(ERR_NOTFOUND, "no threat %s", threat_id);
		goto out;
	}
	if (!f.t.verdict) {
		rc = err_set(ERR_NOTFOUND, "%s has no report yet; investigate "
			     "it first", threat_id);
		goto out;
	}
	d.threat_id = f.t.id;
	d.detection = f.t.detection;
	d.title = f.t.title;
	for (int i = 0; i < TE_COUNT; i++)
		d.ent[i] = f.t.ent[i];
	d.playbook_verdict = f.t.verdict;
	d.verdict = verdict;
	d.reason = reason;
	d.note = note;
	d.name = name;
	d.email = email;
	d.time_ns = timeutil_now();
	if ((rc = kb_feedback_record(repo_path, &d, commit, file)) == 0)
		*agree = strcmp(verdict, f.t.verdict) == 0;
out:
	threat_dispose(&f.t);
	free(name);
	free(email);
	return rc;
}

/* ---- reading decisions back ------------------------------------------------------------ */

struct decision {
	char *rel;
	char *threat, *detection, *verdict, *analyst, *note;
	char *ent[TE_COUNT];
	char *commit;   /* found on demand */
};

struct kb_feedback_set {
	char *repo_path;
	char *tip;
	struct decision *d;
	size_t n;
	bool commits_known;
};

int
kb_feedback_set_new(const char *repo_path, const char *tip,
		    struct kb_feedback_set **out)
{
	struct kb_feedback_set *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->repo_path = strdup(repo_path)) || !(s->tip = strdup(tip))) {
		kb_feedback_set_free(s);
		return err_set(ERR_NOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

static void
decision_dispose(struct decision *d)
{
	free(d->rel);
	free(d->threat);
	free(d->detection);
	free(d->verdict);
	free(d->analyst);
	free(d->note);
	free(d->commit);
	for (int i = 0; i < TE_COUNT; i++)
		free(d->ent[i]);
}

void
kb_feedback_set_free(struct kb_feedback_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		decision_dispose(&s->d[i]);
	free(s->d);
	free(s->repo_path);
	free(s->tip);
	free(s);
}

/* "file:1: field `x`: message" through diag. */
static void
report_bad(const struct kb_doc *d, const char *field, const char *msg,
	   kb_diag_fn diag, void *ctx, unsigned *errors)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s:1: field `%s`: %s", d->path, field, msg);
	(*errors)++;
	if (diag)
		diag(ctx, line);
}

int
kb_feedback_set_add(struct kb_feedback_set *s, const struct kb_doc *doc,
		    kb_diag_fn diag, void *ctx, unsigned *errors)
{
	static const char *const need[] = { "threat", "detection", "verdict",
					    "analyst" };
	cJSON *o;
	const cJSON *ents;
	struct decision *grown, *d;
	int rc = 0;

	if (!strstr(doc->rel, ".json") ||
	    strcmp(doc->rel + strlen(doc->rel) - 5, ".json") != 0)
		return 0;  /* notes beside the decisions, not decisions */
	if (!(o = cJSON_ParseWithLength(doc->text, doc->len)) ||
	    !cJSON_IsObject(o)) {
		report_bad(doc, "decision", "not a JSON object", diag, ctx, errors);
		cJSON_Delete(o);
		return 0;
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++) {
		if (!jsonu_strne(o, need[i])) {
			report_bad(doc, need[i], "missing or not text", diag,
				   ctx, errors);
			cJSON_Delete(o);
			return 0;
		}
	}
	if (!kb_verdict_valid(jsonu_str(o, "verdict"))) {
		report_bad(doc, "verdict", "expected malicious, suspicious, "
			   "benign or inconclusive", diag, ctx, errors);
		cJSON_Delete(o);
		return 0;
	}
	if (!(grown = realloc(s->d, (s->n + 1) * sizeof(*grown)))) {
		cJSON_Delete(o);
		return err_set(ERR_NOMEM, "out of memory");
	}
	s->d = grown;
	d = &grown[s->n++];
	memset(d, 0, sizeof(*d));
	d->rel = strdup(doc->rel);
	d->threat = dup_or_null(jsonu_str(o, "threat"));
	d->detection = dup_or_null(jsonu_str(o, "detection"));
	d->verdict = dup_or_null(jsonu_str(o, "verdict"));
	d->analyst = dup_or_null(jsonu_str(o, "analyst"));
	d->note = dup_or_null(jsonu_str(o, "note"));
	ents = jsonu_key(o, "entities");
	for (int i = 0; i < TE_COUNT; i++)
		d->ent[i] = dup_or_null(jsonu_strne(ents, ent_keys[i]));
	if (!d->rel || !d->threat || !d->detection || !d->verdict || !d->analyst)
		rc = err_set(ERR_NOMEM, "out of memory");
	cJSON_Delete(o);
	return rc;
}

/* Which commit recorded each decision: its message names the file. One
 * walk back from the tip, stopping once every decision is placed. */
static int
find_commits(struct kb_feedback_set *s)
{
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	git_oid tip, id;
	size_t left = s->n;
	int rc = 0;

	s->commits_known = true;
	if (left == 0)
		return 0;
	if ((rc = kb_repo_setup()) < 0)
		return rc;
	if (git_repository_open_ext(&repo, s->repo_path,
				    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 ||
	    git_oid_fromstr(&tip, s->tip) < 0 ||
	    git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, &tip) < 0) {
		rc = kb_repo_err(s->repo_path);
		goto out;
	}
	while (left && git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;
		const char *m, *p;

		if (git_commit_lookup(&c, repo, &id) < 0)
			continue;
		m = git_commit_message(c);
		for (p = m ? strstr(m, "\nDecision-File: ") : NULL; p;
		     p = strstr(p + 1, "\nDecision-File: ")) {
			const char *f = p + 16;
			size_t fl = strcspn(f, "\r\n");

			for (size_t i = 0; i < s->n; i++) {
				if (s->d[i].commit || strlen(s->d[i].rel) != fl ||
				    strncmp(s->d[i].rel, f, fl) != 0)
					continue;
				if ((s->d[i].commit = malloc(KB_COMMIT_HEXSZ)))
					git_oid_tostr(s->d[i].commit,
						      KB_COMMIT_HEXSZ, &id);
				left--;
			}
		}
		git_commit_free(c);
	}
	git_error_clear();
out:
	git_revwalk_free(walk);
	git_repository_free(repo);
	return rc;
}

static bool
same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool
similar(const struct decision *d, const struct threat *t)
{
	if (!same(d->detection, t->detection) || same(d->threat, t->id))
		return false;
	return same(d->ent[TE_ACTOR], t->ent[TE_ACTOR]) ||
	       same(d->ent[TE_SRC_IP], t->ent[TE_SRC_IP]) ||
	       same(d->ent[TE_RESOURCE], t->ent[TE_RESOURCE]);
}

int
kb_feedback_lookup(void *ctx, const struct threat *t,
		   struct prior_decision **out, size_t *n)
{
	struct kb_feedback_set *s = ctx;
	struct prior_decision *res = NULL;
	size_t k = 0, want = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < s->n; i++)
		want += similar(&s->d[i], t);
	if (want == 0)
		return 0;
	if (!s->commits_known && (rc = find_commits(s)) < 0)
		return rc;
	if (!(res = calloc(want, sizeof(*res))))
		return err_set(ERR_NOMEM, "out of memory");
	/* The set is in file-name order, which is time order. */
	for (size_t i = 0; i < s->n; i++) {
		const struct decision *d = &s->d[i];

		if (!similar(d, t))
			continue;
		res[k].commit = dup_or_null(d->commit ? d->commit : d->rel);
		res[k].verdict = dup_or_null(d->verdict);
		res[k].analyst = dup_or_null(d->analyst);
		res[k].note = dup_or_null(d->note);
		k++;
	}
	*out = res;
	*n = k;
	return 0;
}
