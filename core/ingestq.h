/* SPDX-License-Identifier: Apache-2.0 */
/* ingestq: batches of finished ingest work (events, identities, diagnostics
 * and tallies, in input order) and the bounded queue that carries them from
 * the thread that parses to the thread that writes the store. */
#ifndef VERDICT_INGESTQ_H
#define VERDICT_INGESTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/adapter.h"
#include "core/event.h"

/* What one entry of a batch asks the writing side to do. */
enum ingestq_kind {
	IQ_EVENT,      /* store ev */
	IQ_IDENTITY,   /* store id */
	IQ_ERROR,      /* a record rejected: text; name: adapter or NULL */
	IQ_WARNING,    /* a field left absent: text; name: adapter or NULL */
	IQ_SKIP,       /* a record skipped for reason name; text or NULL */
	IQ_PATH_ERROR, /* a path that cannot be read: text, not per file */
	IQ_FILE,       /* a file starts: text is its path; n 1 restarts the
			* per-file diagnostic count */
	IQ_FILE_END,   /* the file ends */
	IQ_READ,       /* n more input bytes read, done in all for progress */
};

/* Text and bytes an entry points to are owned by its batch. */
struct ingestq_op {
	enum ingestq_kind kind;
	const char *text; /* a whole diagnostic message, or a path */
	const char *name; /* an adapter name or a skip reason */
	uint64_t n, done;
	union {
		struct event ev;
		struct identity_item id;
	} u;
};

struct ingestq_batch;
struct ingestq;

/* ---- batches (one thread at a time) ------------------------------------ */

/* The entries of b, in the order they were added. */
struct ingestq_op *ingestq_ops(struct ingestq_batch *b, size_t *n);
/* True when b has reached its size and should be handed on. */
bool ingestq_batch_full(const struct ingestq_batch *b);

/* Append an entry of kind with copies of text and name (either may be
 * NULL). Returns the entry, or NULL when out of memory. */
struct ingestq_op *ingestq_add(struct ingestq_batch *b, enum ingestq_kind kind,
			       const char *text, const char *name);
/* Append a copy of ev (its fields, attrs and raw bytes). Returns 0 or
 * ERR_NOMEM. */
int ingestq_add_event(struct ingestq_batch *b, const struct event *ev);
/* Append a copy of it. Returns 0 or ERR_NOMEM. */
int ingestq_add_identity(struct ingestq_batch *b,
			 const struct identity_item *it);

/* ---- the queue ----------------------------------------------------------- */

/* A queue holding at most depth full batches. Returns 0 or ERR_NOMEM. */
int ingestq_new(size_t depth, struct ingestq **out);
/* Free q and every batch in it; no thread may be using it. */
void ingestq_free(struct ingestq *q);

/* An empty batch to fill: a recycled one, or a new one (NULL when out of
 * memory). The caller hands it on with ingestq_push or back with
 * ingestq_recycle. */
struct ingestq_batch *ingestq_take_empty(struct ingestq *q);
/* Queue b, waiting while the queue is full. Returns false, keeping b on the
 * free list, once the writing side has called ingestq_cancel. */
bool ingestq_push(struct ingestq *q, struct ingestq_batch *b);
/* No more batches will come. */
void ingestq_close(struct ingestq *q);

/* The next full batch, waiting for one; NULL once the queue is closed and
 * empty. Give it back with ingestq_recycle when done. */
struct ingestq_batch *ingestq_pop(struct ingestq *q);
/* Empty b and keep it for ingestq_take_empty. */
void ingestq_recycle(struct ingestq *q, struct ingestq_batch *b);
/* Stop the filling side: pushes fail from now on. */
void ingestq_cancel(struct ingestq *q);

#endif
