/* SPDX-License-Identifier: Apache-2.0 */
/* repo: the knowledge base as a git repository (libgit2): made from the
 * bundled default or cloned from a team's remote, and read at the tip of
 * its branch so every report names the commit it used. */
#ifndef VERDICT_KB_REPO_H
#define VERDICT_KB_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kb/kb.h"

#define KB_COMMIT_HEXSZ 41  /* 40 hex digits and the NUL */

/* $XDG_DATA_HOME/verdict/kb, else ~/.local/share/verdict/kb. Caller
 * frees *out. */
int kb_repo_default_path(char **out);

/* Does path hold a git repository of its own (path/.git, or a bare one)? */
bool kb_repo_is(const char *path);

/* Make a repository at path (which must not hold one) from the documents
 * of seed_dir, with a first commit; commit gets its id. */
int kb_repo_init(const char *path, const char *seed_dir,
		 char commit[KB_COMMIT_HEXSZ]);

/* Clone url (a remote, a file:// address or a local path) to path. */
int kb_repo_clone(const char *url, const char *path,
		  char commit[KB_COMMIT_HEXSZ]);

/* Load the documents at the tip of the repository's branch (kb_load_docs):
 * version is the commit id, and prior decisions come from feedback/. */
int kb_repo_load(const char *path, kb_diag_fn diag, void *ctx,
		 struct kb_data **out, unsigned *errors);

/* One commit of the history, for kb_repo_log. */
struct kb_log_entry {
	const char *id;        /* 40 hex */
	const char *author, *email;
	int64_t time_ns;       /* the author's time, UTC */
	const char *summary;   /* the subject line */
};
typedef int (*kb_log_fn)(void *ctx, const struct kb_log_entry *e);

/* The history of the branch, newest first: every commit, or (sub non-NULL)
 * the commits that changed the file or folder sub compared with their
 * first parent. At most limit (0: all). */
int kb_repo_log(const char *path, const char *sub, size_t limit,
		kb_log_fn cb, void *ctx);

/* The same at rev (a branch, a commit id) instead of the tip. */
int kb_repo_load_rev(const char *path, const char *rev, kb_diag_fn diag,
		     void *ctx, struct kb_data **out, unsigned *errors);

/* For the writers (kb/feedback.c, kb/propose.c): the tree of parent (NULL:
 * none) with the blob added as dir/name (dir one level deep). */
struct git_repository;
struct git_commit;
struct git_tree;
struct git_oid;
int kb_tree_with(struct git_repository *repo, struct git_commit *parent,
		 const char *dir, const char *name, const struct git_oid *blob,
		 struct git_tree **out);

/* Set the error message from libgit2's last error (what: the operation)
 * and return ERR_IO. */
int kb_repo_err(const char *what);

/* Turn libgit2 on (with fsync of everything it writes); call once per
 * process before any other kb_repo or kb_feedback function. Idempotent. */
int kb_repo_setup(void);

#endif
