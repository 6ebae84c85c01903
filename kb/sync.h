/* SPDX-License-Identifier: Apache-2.0 */
/* sync: sharing the knowledge base with a team's remote: fetch, merge,
 * push. Decisions are one file each and never conflict; a real conflict
 * (one playbook edited on both sides) is reported and left for a person. */
#ifndef VERDICT_KB_SYNC_H
#define VERDICT_KB_SYNC_H

#include <stddef.h>

/* What a sync did. */
struct kb_sync_result {
	int fetched_new;      /* the remote had commits we lacked */
	int merged;           /* 1: a merge commit, 2: fast-forward */
	int pushed;           /* our branch went to the remote */
	char **conflicts;     /* paths edited on both sides, when it stopped */
	size_t nconflicts;
};
void kb_sync_result_dispose(struct kb_sync_result *r);

/* Sync the repository at path with its remote (default "origin"): fetch,
 * merge the remote's branch into ours (fast-forward when it can), push.
 * Credentials: ssh-agent, else the key file $VERDICT_SSH_KEY, or the token
 * $VERDICT_GIT_TOKEN over HTTPS; host keys are checked by libgit2.
 * Returns 0; ERR_PARSE with r->conflicts filled when the merge conflicts
 * (nothing is changed: the person resolves it with git); another negative
 * code on failure. */
int kb_sync(const char *path, const char *remote, struct kb_sync_result *r);

/* Merge branch (a full ref name) into the branch HEAD names, as sync
 * merges: fast-forward when it can, else a merge commit; ERR_PARSE with
 * r->conflicts when it conflicts (nothing changed). */
int kb_merge_branch(const char *path, const char *branch,
		    struct kb_sync_result *r);

#endif
