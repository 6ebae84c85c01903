/* SPDX-License-Identifier: Apache-2.0 */
/* feedback: an analyst's decision on a threat, kept as one file under
 * feedback/ in the knowledge base and one commit by the analyst, and the
 * prior decisions on similar threats that later investigations cite. */
#ifndef VERDICT_KB_FEEDBACK_H
#define VERDICT_KB_FEEDBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/investigate.h"
#include "core/threat.h"
#include "kb/kb.h"
#include "kb/repo.h"

/* What the analyst decided, about which threat. */
struct kb_decision {
	const char *threat_id;
	const char *detection;
	const char *title;
	const char *ent[TE_COUNT];     /* the threat's entities, NULL unknown */
	const char *playbook_verdict;  /* the report's verdict, NULL if none */
	const char *verdict;           /* malicious, suspicious, benign, inconclusive */
	const char *reason;            /* may be NULL */
	const char *note;
	const char *name, *email;      /* the analyst */
	int64_t time_ns;               /* UTC */
};

/* Is v one of the four verdicts? */
bool kb_verdict_valid(const char *v);

/* The analyst: $VERDICT_ANALYST ("Name <email>"), else git's user.name and
 * user.email as the repository at repo_path sees them. Caller frees. */
int kb_analyst(const char *repo_path, char **name, char **email);

/* Take the lock verdict's writers of the repository whose git folder is
 * gitdir (ending in '/') take turns on; the kernel drops it when the
 * process dies. Release with close(*fd). */
int kb_writer_lock(const char *gitdir, int *fd);

/* Record d: a new file under feedback/ and a commit by the analyst on the
 * branch HEAD names, written with fsync on and the branch moved by
 * compare-and-swap (retried when another writer got there first). When it
 * returns 0 the decision is on disk. commit gets the id; *file (optional,
 * caller frees) the file's path in the repository. */
int kb_feedback_record(const char *repo_path, const struct kb_decision *d,
		       char commit[KB_COMMIT_HEXSZ], char **file);

struct store;
/* Record the analyst's (kb_analyst) decision on the stored threat
 * threat_id, which must have a report: the console and the CLI both come
 * here. *agree tells whether verdict is the report's. The caller marks the
 * threat decided once it has acknowledged the decision. */
int kb_feedback_threat(struct store *st, const char *repo_path,
		       const char *threat_id, const char *verdict,
		       const char *reason, const char *note,
		       char commit[KB_COMMIT_HEXSZ], char **file, bool *agree);

/* The decisions at one commit of a repository, for prior_lookup. */
struct kb_feedback_set;
int kb_feedback_set_new(const char *repo_path, const char *tip,
			struct kb_feedback_set **out);
/* Add one feedback/ document; a bad one is reported through diag and
 * counted in *errors. */
int kb_feedback_set_add(struct kb_feedback_set *s, const struct kb_doc *d,
			kb_diag_fn diag, void *ctx, unsigned *errors);
void kb_feedback_set_free(struct kb_feedback_set *s);

/* prior_lookup_fn over a kb_feedback_set: decisions on other threats of
 * the same detection sharing the actor, source address or resource, oldest
 * first, each citing the commit that recorded it. */
int kb_feedback_lookup(void *ctx, const struct threat *t,
		       struct prior_decision **out, size_t *n);

#endif
