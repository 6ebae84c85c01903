/* SPDX-License-Identifier: Apache-2.0 */
/* propose: allowlist entries proposed from an analyst's decision, each a
 * commit on its own branch (proposals/...) for review before merging. */
#ifndef VERDICT_KB_PROPOSE_H
#define VERDICT_KB_PROPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "kb/repo.h"

/* The entry to propose; NULL scope members mean any. */
struct kb_proposal {
	const char *threat_id;  /* names the entry, its file and branch */
	const char *detection;
	const char *account, *actor, *cidr, *resource;
	const char *reason;
	const char *expires;    /* YYYY-MM-DD, or NULL for none */
	const char *name, *email;
};

/* Commit allowlists/<threat id>.yaml on a new branch proposals/<threat
 * id>[-N] off the tip. *branch (caller frees) gets the full ref name. */
int kb_propose(const char *path, const struct kb_proposal *p,
	       char **branch, char commit[KB_COMMIT_HEXSZ]);

/* One open proposal, for kb_proposals. */
struct kb_proposal_info {
	const char *branch;     /* "proposals/..." */
	const char *id;         /* its tip commit */
	const char *author;
	int64_t time_ns;
	const char *summary;
};
typedef int (*kb_proposal_fn)(void *ctx, const struct kb_proposal_info *p);

/* The proposal branches not merged yet, by name. */
int kb_proposals(const char *path, kb_proposal_fn cb, void *ctx);

/* The patch of branch against where it left the tip, line by line. */
typedef void (*kb_line_fn)(void *ctx, char origin, const char *text,
			   size_t len);
int kb_proposal_diff(const char *path, const char *branch, kb_line_fn cb,
		     void *ctx);

/* Delete a merged proposal branch. */
int kb_proposal_drop(const char *path, const char *branch);

#endif
