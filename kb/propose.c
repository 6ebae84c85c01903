/* SPDX-License-Identifier: Apache-2.0 */
/* propose: writes an allowlist entry proposed from a decision as a commit
 * on its own proposals/ branch, lists the open proposals and shows the
 * patch a reviewer reads before merging. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "core/buf.h"
#include "core/error.h"
#include "kb/propose.h"
#include "kb/repo.h"

#define PROPOSAL_TRIES 100   /* proposals/<id>-N names tried */

/* A YAML double-quoted scalar: control characters dropped, quotes and
 * backslashes escaped. */
static void
yaml_quoted(struct buf *b, const char *s)
{
	buf_add(b, "\"", 1);
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			continue;
		if (*s == '"' || *s == '\\')
			buf_add(b, "\\", 1);
		buf_add(b, s, 1);
	}
	buf_add(b, "\"", 1);
}

static void
yaml_field(struct buf *b, const char *key, const char *v)
{
	if (!v || !*v)
		return;
	buf_printf(b, "  %s: ", key);
	yaml_quoted(b, v);
	buf_add(b, "\n", 1);
}

static bool
valid_date(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

int
kb_propose(const char *path, const struct kb_proposal *p, char **branch,
	   char commit[KB_COMMIT_HEXSZ])
{
	git_repository *repo = NULL;
	git_signature *sig = NULL;
	git_object *tip = NULL;
	git_tree *tree = NULL;
	git_oid blob, cid;
	struct buf text, file, msg, who;
	int rc = 0;

	*branch = NULL;
	buf_init(&text);
	buf_init(&file);
	buf_init(&msg);
	buf_init(&who);
	if (!p->reason || !*p->reason)
		return err_set(ERR_USAGE, "a proposal needs a reason");
	if (!p->detection && !p->account && !p->actor && !p->cidr &&
	    !p->resource)
		return err_set(ERR_USAGE, "a proposal needs a scope");
	if (p->expires && !valid_date(p->expires))
		return err_set(ERR_USAGE, "expires \"%s\": not a date "
			       "(YYYY-MM-DD)", p->expires);
	if (!p->threat_id || strchr(p->threat_id, '/') || p->threat_id[0] == '.')
		return err_set(ERR_USAGE, "threat id \"%s\": not usable as a "
			       "name", p->threat_id ? p->threat_id : "");
	if ((rc = kb_repo_setup()) < 0)
		return rc;
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return kb_repo_err(path);
	buf_printf(&who, "%s <%s>", p->name, p->email);
	buf_printf(&text, "# Proposed from the decision on %s; review it with\n"
		   "# `verdict kb review`, which replays the stored threats.\n"
		   "- id: %s\n", p->threat_id, p->threat_id);
	yaml_field(&text, "reason", p->reason);
	yaml_field(&text, "detection", p->detection);
	yaml_field(&text, "account", p->account);
	yaml_field(&text, "actor", p->actor);
	yaml_field(&text, "cidr", p->cidr);
	yaml_field(&text, "resource", p->resource);
	if (p->expires)
		buf_printf(&text, "  expires: %s\n", p->expires);
	yaml_field(&text, "analyst", who.data);
	buf_printf(&file, "%s.yaml", p->threat_id);
	buf_printf(&msg, "proposal: allowlist %s\n\nReason: %s\nExpires: %s\n",
		   p->threat_id, p->reason, p->expires ? p->expires : "never");
	if (!text.data || !file.data || !msg.data || !who.data) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if (git_signature_now(&sig, p->name, p->email) < 0 ||
	    git_blob_create_from_buffer(&blob, repo, text.data, text.len) < 0 ||
	    git_revparse_single(&tip, repo, "HEAD^{commit}") < 0) {
		rc = kb_repo_err("proposal");
		goto out;
	}
	if ((rc = kb_tree_with(repo, (git_commit *)tip, "allowlists", file.data,
			       &blob, &tree)) < 0)
		goto out;
	{
		const git_commit *parents[1] = { (git_commit *)tip };

		if (git_commit_create(&cid, repo, NULL, sig, sig, NULL, msg.data,
				      tree, 1, parents) < 0) {
			rc = kb_repo_err("proposal commit");
			goto out;
		}
	}
	/* A new branch each time: an existing name is never moved. */
	for (int n = 1; n <= PROPOSAL_TRIES; n++) {
		git_reference *ref = NULL;
		struct buf name;
		int grc;

		buf_init(&name);
		if (n == 1)
			buf_printf(&name, "refs/heads/proposals/%s", p->threat_id);
		else
			buf_printf(&name, "refs/heads/proposals/%s-%d",
				   p->threat_id, n);
		if (!name.data) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		grc = git_reference_create(&ref, repo, name.data, &cid, 0,
					   "verdict kb propose");
		git_reference_free(ref);
		if (grc == 0) {
			*branch = buf_detach(&name);
			break;
		}
		buf_dispose(&name);
		if (grc != GIT_EEXISTS) {
			rc = kb_repo_err("proposal branch");
			break;
		}
		git_error_clear();
	}
	if (rc == 0 && !*branch)
		rc = err_set(ERR_IO, "too many proposals for %s", p->threat_id);
	if (rc == 0)
		git_oid_tostr(commit, KB_COMMIT_HEXSZ, &cid);
out:
	buf_dispose(&text);
	buf_dispose(&file);
	buf_dispose(&msg);
	buf_dispose(&who);
	git_tree_free(tree);
	git_object_free(tip);
	git_signature_free(sig);
	git_repository_free(repo);
	return rc;
}

int
kb_proposals(const char *path, kb_proposal_fn cb, void *ctx)
{
	git_repository *repo = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_oid head;
	int rc;

	if ((rc = kb_repo_setup()) < 0)
		return rc;
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return kb_repo_err(path);
	if (git_reference_name_to_id(&head, repo, "HEAD") < 0 ||
	    git_reference_iterator_glob_new(&it, repo,
					    "refs/heads/proposals/*") < 0) {
		rc = kb_repo_err(path);
		goto out;
	}
	while (rc == 0 && git_reference_next(&ref, it) == 0) {
		const git_oid *id = git_reference_target(ref);
		git_commit *c = NULL;
		char hex[KB_COMMIT_HEXSZ];

		/* Merged proposals are history, not open. */
		if (id && !git_oid_equal(id, &head) &&
		    !git_graph_descendant_of(repo, &head, id) &&
		    git_commit_lookup(&c, repo, id) == 0) {
			struct kb_proposal_info info;

			git_oid_tostr(hex, sizeof(hex), id);
			info.branch = git_reference_name(ref) + strlen("refs/heads/");
			info.id = hex;
			info.author = git_commit_author(c)->name;
			info.time_ns = (int64_t)git_commit_author(c)->when.time *
				       1000000000LL;
			info.summary = git_commit_summary(c);
			rc = cb(ctx, &info);
		}
		git_commit_free(c);
		git_reference_free(ref);
	}
	git_error_clear();
out:
	git_reference_iterator_free(it);
	git_repository_free(repo);
	return rc;
}

struct diff_ctx {
	kb_line_fn cb;
	void *ctx;
};

static int
on_diff_line(const git_diff_delta *delta, const git_diff_hunk *hunk,
	     const git_diff_line *line, void *payload)
{
	struct diff_ctx *d = payload;

	(void)delta;
	(void)hunk;
	d->cb(d->ctx, line->origin, line->content, line->content_len);
	return 0;
}

int
kb_proposal_diff(const char *path, const char *branch, kb_line_fn cb,
		 void *ctx)
{
	git_repository *repo = NULL;
	git_object *theirs = NULL;
	git_commit *base = NULL;
	git_tree *btree = NULL, *ttree = NULL;
	git_diff *diff = NULL;
	git_oid head, mb;
	struct diff_ctx d = { cb, ctx };
	int rc;

	if ((rc = kb_repo_setup()) < 0)
		return rc;
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return kb_repo_err(path);
	if (git_reference_name_to_id(&head, repo, "HEAD") < 0 ||
	    git_revparse_single(&theirs, repo, branch) < 0 ||
	    git_merge_base(&mb, repo, &head, git_object_id(theirs)) < 0 ||
	    git_commit_lookup(&base, repo, &mb) < 0 ||
	    git_commit_tree(&btree, base) < 0 ||
	    git_tree_lookup(&ttree, repo,
			    git_commit_tree_id((git_commit *)theirs)) < 0 ||
	    git_diff_tree_to_tree(&diff, repo, btree, ttree, NULL) < 0 ||
	    git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, on_diff_line, &d) < 0)
		rc = kb_repo_err(branch);
	git_diff_free(diff);
	git_tree_free(ttree);
	git_tree_free(btree);
	git_commit_free(base);
	git_object_free(theirs);
	git_repository_free(repo);
	return rc;
}

int
kb_proposal_drop(const char *path, const char *branch)
{
	git_repository *repo = NULL;
	git_reference *ref = NULL;
	int rc = 0;

	if ((rc = kb_repo_setup()) < 0)
		return rc;
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return kb_repo_err(path);
	if (git_reference_lookup(&ref, repo, branch) < 0 ||
	    git_reference_delete(ref) < 0)
		rc = kb_repo_err(branch);
	git_reference_free(ref);
	git_repository_free(repo);
	return rc;
}
