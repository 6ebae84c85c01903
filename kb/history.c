/* SPDX-License-Identifier: Apache-2.0 */
/* history: a commit's patch line by line, and the blame of one line
 * traced back through its proposal to the analyst's decision. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <git2.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/timeutil.h"
#include "kb/history.h"
#include "kb/repo.h"

#define PROPOSAL_SUBJECT "proposal: allowlist "
#define DECISION_MAX (1u << 20)   /* bytes of a feedback file read */

static int
open_repo(const char *path, git_repository **repo)
{
	int rc;

	if ((rc = kb_repo_setup()) < 0)
		return rc;
	if (git_repository_open_ext(repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return kb_repo_err(path);
	return 0;
}

static int
find_commit(git_repository *repo, const char *rev, git_commit **out)
{
	git_object *obj = NULL;
	struct buf spec;
	int rc = 0;

	buf_init(&spec);
	buf_printf(&spec, "%s^{commit}", rev ? rev : "HEAD");
	if (!spec.data)
		return err_set(ERR_NOMEM, "out of memory");
	if (git_revparse_single(&obj, repo, spec.data) < 0) {
		git_error_clear();
		rc = err_set(ERR_NOTFOUND, "no commit \"%s\" in the knowledge "
			     "base", rev ? rev : "HEAD");
	} else {
		*out = (git_commit *)obj;
	}
	buf_dispose(&spec);
	return rc;
}

/* ---- a commit's patch ----------------------------------------------------- */

struct diff_ctx {
	kb_diff_fn cb;
	void *ctx;
	int rc;
};

/* Call back once per line of text[0..len), without the breaks. */
static int
each_line(struct diff_ctx *d, char origin, const char *file, size_t lineno,
	  const char *text, size_t len)
{
	while (len > 0 && d->rc == 0) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;

		d->rc = d->cb(d->ctx, origin, file, lineno, text, n);
		if (!nl)
			break;
		len -= n + 1;
		text = nl + 1;
	}
	return d->rc;
}

static int
on_line(const git_diff_delta *delta, const git_diff_hunk *hunk,
	const git_diff_line *line, void *payload)
{
	struct diff_ctx *d = payload;
	size_t lineno = line->new_lineno > 0 ? (size_t)line->new_lineno : 0;

	(void)hunk;
	if (line->content_len == 0)
		return d->rc = d->cb(d->ctx, line->origin, delta->new_file.path,
				     lineno, "", 0);
	return each_line(d, line->origin, delta->new_file.path, lineno,
			 line->content, line->content_len);
}

static int
commit_lines(struct diff_ctx *d, git_commit *c)
{
	const git_signature *a = git_commit_author(c);
	const char *msg = git_commit_message(c);
	char hex[KB_COMMIT_HEXSZ], when[TIMEUTIL_BUFSZ];
	struct buf b;

	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	timeutil_format((int64_t)a->when.time * 1000000000LL, when);
	buf_init(&b);
	buf_printf(&b, "commit %s\nAuthor: %s <%s>\nDate:   %s\n\n", hex,
		   a->name ? a->name : "", a->email ? a->email : "", when);
	for (const char *p = msg ? msg : ""; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		buf_printf(&b, "    %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
	buf_add(&b, "\n", 1);
	if (!b.data) {
		buf_dispose(&b);
		return d->rc = err_set(ERR_NOMEM, "out of memory");
	}
	each_line(d, 'C', NULL, 0, b.data, b.len);
	buf_dispose(&b);
	return d->rc;
}

int
kb_commit_diff(const char *path, const char *rev, kb_diff_fn cb, void *ctx)
{
	git_repository *repo = NULL;
	git_commit *c = NULL, *parent = NULL;
	git_tree *old = NULL, *new = NULL;
	git_diff *diff = NULL;
	struct diff_ctx d = { cb, ctx, 0 };
	int rc;

	if ((rc = open_repo(path, &repo)) < 0)
		return rc;
	if ((rc = find_commit(repo, rev, &c)) < 0)
		goto out;
	if ((git_commit_parentcount(c) > 0 &&
	     (git_commit_parent(&parent, c, 0) < 0 ||
	      git_commit_tree(&old, parent) < 0)) ||
	    git_commit_tree(&new, c) < 0 ||
	    git_diff_tree_to_tree(&diff, repo, old, new, NULL) < 0) {
		rc = kb_repo_err(rev ? rev : "HEAD");
		goto out;
	}
	if ((rc = commit_lines(&d, c)) < 0)
		goto out;
	if (git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, on_line, &d) < 0 &&
	    d.rc == 0)
		rc = kb_repo_err("diff");
	else
		rc = d.rc;
out:
	git_diff_free(diff);
	git_tree_free(new);
	git_tree_free(old);
	git_commit_free(parent);
	git_commit_free(c);
	git_repository_free(repo);
	return rc;
}

/* ---- blame ---------------------------------------------------------------- */

void
kb_blame_dispose(struct kb_blame *b)
{
	if (!b)
		return;
	free(b->author);
	free(b->email);
	free(b->summary);
	free(b->text);
	free(b->threat_id);
	free(b->decision);
	free(b->d_verdict);
	free(b->d_analyst);
	free(b->d_note);
	free(b->d_reason);
	free(b->d_time);
	memset(b, 0, sizeof(*b));
}

static char *
dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static char *
json_text(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

/* Line lineno of the blob at file in tree into b->text. */
static int
line_text(git_repository *repo, git_tree *tree, const char *file,
	  size_t lineno, struct kb_blame *b)
{
	git_object *obj = NULL;
	const char *s, *end;
	size_t at = 1;
	int rc = 0;

	(void)repo;
	if (git_object_lookup_bypath(&obj, (git_object *)tree, file,
				     GIT_OBJECT_BLOB) < 0) {
		git_error_clear();
		return err_set(ERR_NOTFOUND, "%s: no such file in the knowledge "
			       "base", file);
	}
	s = git_blob_rawcontent((git_blob *)obj);
	end = s + git_blob_rawsize((git_blob *)obj);
	while (s < end && at < lineno) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		if (!nl) {
			s = end;
			break;
		}
		s = nl + 1;
		at++;
	}
	if (s >= end || at != lineno) {
		rc = err_set(ERR_NOTFOUND, "%s:%zu: the file has fewer lines",
			     file, lineno);
	} else {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		if (!(b->text = dup_n(s, nl ? (size_t)(nl - s) : (size_t)(end - s))))
			rc = err_set(ERR_NOMEM, "out of memory");
	}
	git_object_free(obj);
	return rc;
}

/* The latest decision on b->threat_id under feedback/ in tree: names
 * sort oldest first and hold "-<threat>-", the file says which threat. */
static int
find_decision(git_repository *repo, git_tree *tree, struct kb_blame *b)
{
	git_tree_entry *dir = NULL;
	git_tree *fb = NULL;
	struct buf needle;
	int rc = 0;

	buf_init(&needle);
	buf_printf(&needle, "-%s-", b->threat_id);
	if (!needle.data)
		return err_set(ERR_NOMEM, "out of memory");
	if (git_tree_entry_bypath(&dir, tree, "feedback") < 0 ||
	    git_tree_lookup(&fb, repo, git_tree_entry_id(dir)) < 0) {
		git_error_clear();
		goto out;
	}
	for (size_t i = git_tree_entrycount(fb); i-- > 0 && !b->decision;) {
		const git_tree_entry *e = git_tree_entry_byindex(fb, i);
		const char *name = git_tree_entry_name(e);
		git_blob *blob = NULL;
		cJSON *o = NULL;
		const cJSON *t;

		if (!strstr(name, needle.data) ||
		    git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
		    git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0) {
			git_error_clear();
			continue;
		}
		if (git_blob_rawsize(blob) <= DECISION_MAX)
			o = cJSON_ParseWithLength(git_blob_rawcontent(blob),
						  (size_t)git_blob_rawsize(blob));
		t = cJSON_GetObjectItemCaseSensitive(o, "threat");
		if (cJSON_IsString(t) && strcmp(t->valuestring, b->threat_id) == 0) {
			struct buf rel;

			buf_init(&rel);
			buf_printf(&rel, "feedback/%s", name);
			b->decision = buf_detach(&rel);
			b->d_verdict = json_text(o, "verdict");
			b->d_analyst = json_text(o, "analyst");
			b->d_note = json_text(o, "note");
			b->d_reason = json_text(o, "reason");
			b->d_time = json_text(o, "time");
			if (!b->decision)
				rc = err_set(ERR_NOMEM, "out of memory");
		}
		cJSON_Delete(o);
		git_blob_free(blob);
		if (rc < 0)
			break;
	}
out:
	git_tree_free(fb);
	git_tree_entry_free(dir);
	buf_dispose(&needle);
	return rc;
}

/* The threat a proposal commit was made for, from its subject. */
static int
proposal_threat(git_commit *c, struct kb_blame *b)
{
	const char *s = git_commit_summary(c);
	size_t n = strlen(PROPOSAL_SUBJECT);

	if (!s || strncmp(s, PROPOSAL_SUBJECT, n) != 0 || !s[n] ||
	    strchr(s + n, ' ') || strchr(s + n, '/'))
		return 0;
	if (!(b->threat_id = strdup(s + n)))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int
kb_blame_line(const char *path, const char *rev, const char *file,
	      size_t lineno, struct kb_blame *out)
{
	git_repository *repo = NULL;
	git_commit *tip = NULL, *c = NULL;
	git_tree *tree = NULL;
	git_blame *blame = NULL;
	git_blame_options opts;
	const git_blame_hunk *h;
	const git_signature *a;
	int rc;

	memset(out, 0, sizeof(*out));
	if (lineno == 0)
		return err_set(ERR_USAGE, "%s: lines count from 1", file);
	if ((rc = open_repo(path, &repo)) < 0)
		return rc;
	if ((rc = find_commit(repo, rev, &tip)) < 0)
		goto out;
	if (git_commit_tree(&tree, tip) < 0) {
		rc = kb_repo_err("tree");
		goto out;
	}
	if ((rc = line_text(repo, tree, file, lineno, out)) < 0)
		goto out;
	git_blame_options_init(&opts, GIT_BLAME_OPTIONS_VERSION);
	git_oid_cpy(&opts.newest_commit, git_commit_id(tip));
	if (git_blame_file(&blame, repo, file, &opts) < 0) {
		rc = kb_repo_err(file);
		goto out;
	}
	if (!(h = git_blame_get_hunk_byline(blame, lineno)) ||
	    git_commit_lookup(&c, repo, &h->final_commit_id) < 0) {
		git_error_clear();
		rc = err_set(ERR_NOTFOUND, "%s:%zu: no commit wrote this line",
			     file, lineno);
		goto out;
	}
	a = git_commit_author(c);
	git_oid_tostr(out->commit, sizeof(out->commit), git_commit_id(c));
	out->author = strdup(a->name ? a->name : "");
	out->email = strdup(a->email ? a->email : "");
	out->summary = strdup(git_commit_summary(c) ? git_commit_summary(c) : "");
	out->time_ns = (int64_t)a->when.time * 1000000000LL;
	if (!out->author || !out->email || !out->summary) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = proposal_threat(c, out)) < 0)
		goto out;
	if (out->threat_id)
		rc = find_decision(repo, tree, out);
out:
	git_blame_free(blame);
	git_commit_free(c);
	git_tree_free(tree);
	git_commit_free(tip);
	git_repository_free(repo);
	return rc;
}
