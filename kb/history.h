/* SPDX-License-Identifier: Apache-2.0 */
/* history: reading the knowledge base's past for people: a commit's patch
 * against its first parent, and, for one line of a file, the commit that
 * wrote it and the analyst's decision behind it (the console's history
 * view and `verdict kb blame`). */
#ifndef VERDICT_KB_HISTORY_H
#define VERDICT_KB_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "kb/repo.h"

/* One line of a commit's patch. origin is 'C' for the commit's own lines
 * (id, author, date, message), else libgit2's: 'F' file header, 'H' hunk
 * header, '+', '-', ' ' ... file is the path on the new side (NULL for
 * 'C'); lineno the line's number in it (0 when it has none). text holds
 * no line break. */
typedef int (*kb_diff_fn)(void *ctx, char origin, const char *file,
			  size_t lineno, const char *text, size_t len);

/* The patch of commit rev (an id or a branch) against its first parent
 * (or an empty tree for the first commit). */
int kb_commit_diff(const char *path, const char *rev, kb_diff_fn cb,
		   void *ctx);

/* Who wrote one line and why. */
struct kb_blame {
	char commit[KB_COMMIT_HEXSZ];
	char *author, *email;
	int64_t time_ns;
	char *summary;
	char *text;          /* the line itself */
	char *threat_id;     /* the proposal's threat, NULL if not one */
	char *decision;      /* feedback/... behind it, NULL when none */
	char *d_verdict, *d_analyst, *d_note, *d_reason, *d_time;
};

/* Blame line lineno (from 1) of file as of rev (NULL: the tip). When the
 * line came from a proposal (kb/propose.c), find the latest decision on
 * its threat in feedback/ at rev. Dispose out even on failure. */
int kb_blame_line(const char *path, const char *rev, const char *file,
		  size_t lineno, struct kb_blame *out);
void kb_blame_dispose(struct kb_blame *b);

#endif
