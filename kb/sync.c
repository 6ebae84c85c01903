/* SPDX-License-Identifier: Apache-2.0 */
/* sync: fetch, merge and push the knowledge base with libgit2, moving the
 * branch by compare-and-swap under the writers' lock, and stopping on a
 * real conflict without changing anything. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "core/buf.h"
#include "core/error.h"
#include "kb/feedback.h"
#include "kb/repo.h"
#include "kb/sync.h"

#define SYNC_TRIES 5   /* rounds when the remote moves while we push */

void
kb_sync_result_dispose(struct kb_sync_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nconflicts; i++)
		free(r->conflicts[i]);
	free(r->conflicts);
	memset(r, 0, sizeof(*r));
}

struct sync_cb {
	int cred_tries;
	char *rejected;    /* the remote's reason for refusing our push */
};

/* ssh-agent first, then a key file, or a token over HTTPS. */
static int
on_cred(git_credential **out, const char *url, const char *user_from_url,
	unsigned int allowed, void *payload)
{
	struct sync_cb *cb = payload;
	const char *key = getenv("VERDICT_SSH_KEY");
	const char *token = getenv("VERDICT_GIT_TOKEN");
	const char *user = user_from_url ? user_from_url : "git";
	int attempt = cb->cred_tries++;

	(void)url;
	if (attempt > 2)
		return GIT_EUSER;  /* the server keeps refusing: stop asking */
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (attempt == 0 && getenv("SSH_AUTH_SOCK"))
			return git_credential_ssh_key_from_agent(out, user);
		if (key && *key)
			return git_credential_ssh_key_new(out, user, NULL, key,
				getenv("VERDICT_SSH_KEY_PASSPHRASE"));
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && token && *token)
		return git_credential_userpass_plaintext_new(out,
			user_from_url ? user_from_url : "x-access-token", token);
	return GIT_PASSTHROUGH;
}

static int
on_push_ref(const char *ref, const char *status, void *payload)
{
	struct sync_cb *cb = payload;

	(void)ref;
	if (status && !cb->rejected)
		cb->rejected = strdup(status);
	return 0;
}

static int
add_conflict(struct kb_sync_result *r, const char *path)
{
	char **grown;

	for (size_t i = 0; i < r->nconflicts; i++)
		if (strcmp(r->conflicts[i], path) == 0)
			return 0;
	if (!(grown = realloc(r->conflicts, (r->nconflicts + 1) * sizeof(*grown))) ||
	    !(grown[r->nconflicts] = strdup(path))) {
		if (grown)
			r->conflicts = grown;
		return err_set(ERR_NOMEM, "out of memory");
	}
	r->conflicts = grown;
	r->nconflicts++;
	return 0;
}

/* Move refname from *old to *new (compare-and-swap) and bring the work
 * tree along where it still matches the old tree. */
static int
advance(git_repository *repo, const char *refname, const git_oid *old,
	const git_oid *new, const char *why)
{
	git_reference *ref = NULL;
	git_commit *oc = NULL;
	git_tree *otree = NULL;
	git_checkout_options co;

	if (git_reference_create_matching(&ref, repo, refname, new, 1, old,
					  why) < 0)
		return kb_repo_err(refname);
	git_reference_free(ref);
	if (git_repository_is_bare(repo))
		return 0;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_SAFE;
	if (git_commit_lookup(&oc, repo, old) == 0 &&
	    git_commit_tree(&otree, oc) == 0)
		co.baseline = otree;
	/* The branch has moved already; a work tree left behind is the
	 * person's to update, so its failure is not the sync's. */
	if (git_checkout_head(repo, &co) < 0)
		git_error_clear();
	git_tree_free(otree);
	git_commit_free(oc);
	return 0;
}

static int
merge_in(git_repository *repo, const char *refname, const char *theirs_name,
	 const git_oid *ours, const git_oid *theirs, struct kb_sync_result *r)
{
	git_commit *oc = NULL, *tc = NULL;
	git_index *idx = NULL;
	git_index_conflict_iterator *it = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, merged;
	const git_index_entry *anc, *our, *their;
	struct buf msg;
	int rc = 0;

	buf_init(&msg);
	if (git_commit_lookup(&oc, repo, ours) < 0 ||
	    git_commit_lookup(&tc, repo, theirs) < 0 ||
	    git_merge_commits(&idx, repo, oc, tc, NULL) < 0) {
		rc = kb_repo_err("merge");
		goto out;
	}
	if (git_index_has_conflicts(idx)) {
		if (git_index_conflict_iterator_new(&it, idx) < 0) {
			rc = kb_repo_err("merge");
			goto out;
		}
		while (rc == 0 && git_index_conflict_next(&anc, &our, &their,
							  it) == 0)
			rc = add_conflict(r, our ? our->path
					     : their ? their->path : anc->path);
		if (rc == 0)
			rc = err_set(ERR_PARSE, "%zu file%s changed here and on "
				     "%s: nothing was merged or pushed",
				     r->nconflicts, r->nconflicts == 1 ? "" : "s",
				     theirs_name);
		goto out;
	}
	if (git_index_write_tree_to(&tree_id, idx, repo) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0) {
		rc = kb_repo_err("merge");
		goto out;
	}
	if (git_signature_default(&sig, repo) < 0 &&
	    git_signature_now(&sig, "verdict", "verdict@localhost") < 0) {
		rc = kb_repo_err("signature");
		goto out;
	}
	git_error_clear();
	buf_printf(&msg, "kb sync: merge %s\n", theirs_name);
	{
		const git_commit *parents[2] = { oc, tc };

		if (!msg.data || git_commit_create(&merged, repo, NULL, sig, sig,
				NULL, msg.data, tree, 2, parents) < 0) {
			rc = msg.data ? kb_repo_err("merge commit")
				      : err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = advance(repo, refname, ours, &merged, "verdict kb sync: merge")) == 0)
		r->merged = 1;
out:
	buf_dispose(&msg);
	git_index_conflict_iterator_free(it);
	git_index_free(idx);
	git_tree_free(tree);
	git_signature_free(sig);
	git_commit_free(oc);
	git_commit_free(tc);
	return rc;
}

static int
sync_once(git_repository *repo, git_remote *remote, const char *refname,
	  struct kb_sync_result *r, struct sync_cb *cb)
{
	git_fetch_options fo;
	git_push_options po;
	git_oid ours, theirs, before;
	struct buf tracking;
	char *spec = NULL;
	git_strarray specs;
	bool have_theirs, had_before;
	int lock = -1, rc = 0;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	fo.callbacks.credentials = on_cred;
	fo.callbacks.payload = cb;
	po.callbacks.credentials = on_cred;
	po.callbacks.push_update_reference = on_push_ref;
	po.callbacks.payload = cb;
	buf_init(&tracking);
	buf_printf(&tracking, "refs/remotes/%s/%s", git_remote_name(remote),
		   refname + strlen("refs/heads/"));
	if (!tracking.data)
		return err_set(ERR_NOMEM, "out of memory");
	had_before = git_reference_name_to_id(&before, repo, tracking.data) == 0;
	git_error_clear();
	if (git_remote_fetch(remote, NULL, &fo, "verdict kb sync") < 0) {
		rc = kb_repo_err(git_remote_url(remote));
		goto out;
	}
	have_theirs = git_reference_name_to_id(&theirs, repo, tracking.data) == 0;
	git_error_clear();
	if (have_theirs && (!had_before || !git_oid_equal(&before, &theirs)))
		r->fetched_new = 1;
	if ((rc = kb_writer_lock(git_repository_path(repo), &lock)) < 0)
		goto out;
	if (git_reference_name_to_id(&ours, repo, refname) < 0) {
		rc = kb_repo_err(refname);
		goto out;
	}
	if (have_theirs && !git_oid_equal(&ours, &theirs) &&
	    !git_graph_descendant_of(repo, &ours, &theirs)) {
		if (git_graph_descendant_of(repo, &theirs, &ours)) {
			if ((rc = advance(repo, refname, &ours, &theirs,
					  "verdict kb sync: fast-forward")) < 0)
				goto out;
			r->merged = 2;
		} else if ((rc = merge_in(repo, refname, tracking.data + 13,
					  &ours, &theirs, r)) < 0) {
			goto out;
		}
	}
	close(lock);
	lock = -1;
	buf_reset(&tracking);
	buf_printf(&tracking, "%s:%s", refname, refname);
	if (!(spec = buf_detach(&tracking))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	specs.strings = &spec;
	specs.count = 1;
	free(cb->rejected);
	cb->rejected = NULL;
	if (git_remote_push(remote, &specs, &po) < 0) {
		rc = kb_repo_err(git_remote_url(remote));
		goto out;
	}
	if (cb->rejected) {
		rc = 1;  /* the remote moved meanwhile: go round again */
		goto out;
	}
	r->pushed = 1;
out:
	if (lock >= 0)
		close(lock);
	free(spec);
	buf_dispose(&tracking);
	return rc;
}

int
kb_sync(const char *path, const char *remote_name, struct kb_sync_result *r)
{
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_reference *head = NULL;
	struct sync_cb cb = { 0 };
	char *refname = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = kb_repo_setup()) < 0)
		return rc;
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return kb_repo_err(path);
	if (git_reference_lookup(&head, repo, "HEAD") < 0 ||
	    git_reference_type(head) != GIT_REFERENCE_SYMBOLIC) {
		rc = head ? err_set(ERR_USAGE, "the knowledge base is on a "
				    "detached HEAD; check out its branch first")
			  : kb_repo_err("HEAD");
		goto out;
	}
	if (!(refname = strdup(git_reference_symbolic_target(head)))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if (git_remote_lookup(&remote, repo, remote_name ? remote_name
							 : "origin") < 0) {
		rc = kb_repo_err("remote");
		goto out;
	}
	for (int i = 0; i < SYNC_TRIES; i++) {
		cb.cred_tries = 0;
		if ((rc = sync_once(repo, remote, refname, r, &cb)) <= 0)
			break;
		usleep(20000u * (unsigned)(i + 1));
	}
	if (rc > 0)
		rc = err_set(ERR_IO, "the remote kept moving (%s); sync again",
			     cb.rejected ? cb.rejected : "push refused");
out:
	free(cb.rejected);
	free(refname);
	git_remote_free(remote);
	git_reference_free(head);
	git_repository_free(repo);
	return rc;
}

int
kb_merge_branch(const char *path, const char *branch,
		struct kb_sync_result *r)
{
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_oid ours, theirs;
	int lock = -1, rc;

	memset(r, 0, sizeof(*r));
	if ((rc = kb_repo_setup()) < 0)
		return rc;
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return kb_repo_err(path);
	if (git_reference_lookup(&head, repo, "HEAD") < 0 ||
	    git_reference_type(head) != GIT_REFERENCE_SYMBOLIC) {
		rc = head ? err_set(ERR_USAGE, "the knowledge base is on a "
				    "detached HEAD; check out its branch first")
			  : kb_repo_err("HEAD");
		goto out;
	}
	if (git_reference_name_to_id(&theirs, repo, branch) < 0) {
		rc = err_set(ERR_NOTFOUND, "no branch %s", branch);
		goto out;
	}
	if ((rc = kb_writer_lock(git_repository_path(repo), &lock)) < 0)
		goto out;
	if (git_reference_name_to_id(&ours, repo,
				     git_reference_symbolic_target(head)) < 0) {
		rc = kb_repo_err("HEAD");
		goto out;
	}
	if (git_oid_equal(&ours, &theirs) ||
	    git_graph_descendant_of(repo, &ours, &theirs))
		goto out;  /* merged already */
	if (git_graph_descendant_of(repo, &theirs, &ours)) {
		if ((rc = advance(repo, git_reference_symbolic_target(head),
				  &ours, &theirs, "verdict kb merge")) == 0)
			r->merged = 2;
	} else {
		rc = merge_in(repo, git_reference_symbolic_target(head), branch,
			      &ours, &theirs, r);
	}
out:
	if (lock >= 0)
		close(lock);
	git_reference_free(head);
	git_repository_free(repo);
	return rc;
}
