/* SPDX-License-Identifier: Apache-2.0 */
/* ingestq: batches of finished ingest work and the bounded queue that
 * carries them from the parsing thread to the thread that writes the store.
 *
 * A batch owns everything its entries point to in an arena of large blocks,
 * so handing 500 events over costs a few block reuses instead of 10,000
 * mallocs freed on another thread; emptied batches come back through a free
 * list and keep their blocks. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/ingestq.h"

/* A batch is handed on at whichever limit it reaches first: small enough
 * that what one thread wrote is still in cache when the other reads it. */
#define BATCH_OPS 512
#define BATCH_BYTES (1u << 20)
#define BLOCK_SIZE (256u << 10)
/* Standard blocks a recycled batch keeps; larger ones are freed. */
#define KEEP_BLOCKS (BATCH_BYTES / BLOCK_SIZE + 1)

struct block {
	struct block *next;
	size_t cap, used;
	char data[];
};

struct ingestq_batch {
	struct ingestq_batch *next; /* in the queue or on the free list */
	struct ingestq_op *ops;
	size_t nops, cap;
	struct block *head;         /* the arena */
	struct block *cur;          /* blocks after cur are unused */
	size_t bytes;               /* arena bytes handed out */
};

struct ingestq {
	pthread_mutex_t lock;
	pthread_cond_t not_full;
	pthread_cond_t not_empty;
	struct ingestq_batch *first, *last; /* full batches, oldest first */
	size_t count, depth;
	struct ingestq_batch *spare;        /* emptied batches */
	bool closed, cancelled;
};

/* ---- the arena ----------------------------------------------------------- */

static char *
arena_alloc(struct ingestq_batch *b, size_t n)
{
	struct block *k = b->cur;
	char *p;

	if (k && k->cap - k->used < n && k->next && k->next->cap >= n)
		k = b->cur = k->next;
	if (!k || k->cap - k->used < n) {
		size_t cap = n > BLOCK_SIZE ? n : BLOCK_SIZE;
		struct block *nk = malloc(sizeof(*nk) + cap);

		if (!nk)
			return NULL;
		nk->cap = cap;
		nk->used = 0;
		if (k) {
			nk->next = k->next;
			k->next = nk;
		} else {
			nk->next = NULL;
			b->head = nk;
		}
		b->cur = k = nk;
	}
	p = k->data + k->used;
	k->used += n;
	b->bytes += n;
	return p;
}

/* A NUL-terminated copy of p[0..n) in the arena. */
static char *
arena_copy(struct ingestq_batch *b, const char *p, size_t n)
{
	char *q = arena_alloc(b, n + 1);

	if (q) {
		if (n)
			memcpy(q, p, n);
		q[n] = '\0';
	}
	return q;
}

/* Copy *s into the arena in place; NULL stays NULL. False if out of
 * memory. */
static bool
arena_str(struct ingestq_batch *b, const char **s)
{
	if (*s && !(*s = arena_copy(b, *s, strlen(*s))))
		return false;
	return true;
}

static void
batch_reset(struct ingestq_batch *b)
{
	struct block *k = b->head, **tail = &b->head;
	unsigned kept = 0;

	while (k) {
		struct block *next = k->next;

		if (k->cap == BLOCK_SIZE && kept < KEEP_BLOCKS) {
			k->used = 0;
			*tail = k;
			tail = &k->next;
			kept++;
		} else {
			free(k);
		}
		k = next;
	}
	*tail = NULL;
	b->cur = b->head;
	b->bytes = 0;
	b->nops = 0;
	b->next = NULL;
}

static void
batch_free(struct ingestq_batch *b)
{
	struct block *k, *next;

	if (!b)
		return;
	for (k = b->head; k; k = next) {
		next = k->next;
		free(k);
	}
	free(b->ops);
	free(b);
}

/* ---- batches ------------------------------------------------------------ */

struct ingestq_op *
ingestq_ops(struct ingestq_batch *b, size_t *n)
{
	*n = b->nops;
	return b->ops;
}

bool
ingestq_batch_full(const struct ingestq_batch *b)
{
	return b->nops >= BATCH_OPS || b->bytes >= BATCH_BYTES;
}

static struct ingestq_op *
add_op(struct ingestq_batch *b, enum ingestq_kind kind)
{
	struct ingestq_op *op;

	if (b->nops == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : BATCH_OPS;
		struct ingestq_op *ops = realloc(b->ops, cap * sizeof(*ops));

		if (!ops)
			return NULL;
		b->ops = ops;
		b->cap = cap;
	}
	op = &b->ops[b->nops++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

struct ingestq_op *
ingestq_add(struct ingestq_batch *b, enum ingestq_kind kind, const char *text,
	    const char *name)
{
	struct ingestq_op *op = add_op(b, kind);

	if (!op)
		return NULL;
	op->text = text;
	op->name = name;
	if (!arena_str(b, &op->text) || !arena_str(b, &op->name)) {
		b->nops--;
		return NULL;
	}
	return op;
}

int
ingestq_add_event(struct ingestq_batch *b, const struct event *ev)
{
	struct ingestq_op *op = add_op(b, IQ_EVENT);
	struct event *copy;

	if (!op)
		goto nomem;
	copy = &op->u.ev;
	*copy = *ev;
	for (int f = 0; f < EF_COUNT; f++)
		if (!arena_str(b, (const char **)&copy->str[f]))
			goto undo;
	if (!arena_str(b, (const char **)&copy->attrs))
		goto undo;
	if (ev->raw && !(copy->raw = arena_copy(b, ev->raw, ev->raw_len)))
		goto undo;
	return 0;
undo:
	b->nops--;
nomem:
	return err_set(ERR_NOMEM, "out of memory queueing an event");
}

int
ingestq_add_identity(struct ingestq_batch *b, const struct identity_item *it)
{
	struct ingestq_op *op = add_op(b, IQ_IDENTITY);
	struct identity_item *copy;

	if (!op)
		goto nomem;
	copy = &op->u.id;
	*copy = *it;
	if (!arena_str(b, &copy->kind) || !arena_str(b, &copy->arn) ||
	    !arena_str(b, &copy->name) || !arena_str(b, &copy->id) ||
	    !arena_str(b, &copy->account) || !arena_str(b, &copy->doc)) {
		b->nops--;
		goto nomem;
	}
	return 0;
nomem:
	return err_set(ERR_NOMEM, "out of memory queueing an identity");
}

/* ---- the queue ----------------------------------------------------------- */

int
ingestq_new(size_t depth, struct ingestq **out)
{
	struct ingestq *q = calloc(1, sizeof(*q));

	*out = NULL;
	if (!q)
		return err_set(ERR_NOMEM, "out of memory");
	q->depth = depth ? depth : 1;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_full, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	*out = q;
	return 0;
}

void
ingestq_free(struct ingestq *q)
{
	struct ingestq_batch *b, *next;

	if (!q)
		return;
	for (b = q->first; b; b = next) {
		next = b->next;
		batch_free(b);
	}
	for (b = q->spare; b; b = next) {
		next = b->next;
		batch_free(b);
	}
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

struct ingestq_batch *
ingestq_take_empty(struct ingestq *q)
{
	struct ingestq_batch *b;

	pthread_mutex_lock(&q->lock);
	b = q->spare;
	if (b)
		q->spare = b->next;
	pthread_mutex_unlock(&q->lock);
	if (!b)
		b = calloc(1, sizeof(*b));
	else
		b->next = NULL;
	return b;
}

/* Put b on the free list; the caller holds the lock. */
static void
keep_spare(struct ingestq *q, struct ingestq_batch *b)
{
	b->next = q->spare;
	q->spare = b;
}

void
ingestq_recycle(struct ingestq *q, struct ingestq_batch *b)
{
	if (!b)
		return;
	batch_reset(b);
	pthread_mutex_lock(&q->lock);
	keep_spare(q, b);
	pthread_mutex_unlock(&q->lock);
}

bool
ingestq_push(struct ingestq *q, struct ingestq_batch *b)
{
	bool queued = false;

	pthread_mutex_lock(&q->lock);
	while (q->count >= q->depth && !q->cancelled)
		pthread_cond_wait(&q->not_full, &q->lock);
	if (!q->cancelled) {
		b->next = NULL;
		if (q->last)
			q->last->next = b;
		else
			q->first = b;
		q->last = b;
		q->count++;
		queued = true;
		pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->lock);
	if (!queued)
		ingestq_recycle(q, b);
	return queued;
}

void
ingestq_close(struct ingestq *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

struct ingestq_batch *
ingestq_pop(struct ingestq *q)
{
	struct ingestq_batch *b;

	pthread_mutex_lock(&q->lock);
	while (!q->first && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->lock);
	b = q->first;
	if (b) {
		q->first = b->next;
		if (!q->first)
			q->last = NULL;
		q->count--;
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->lock);
	return b;
}

void
ingestq_cancel(struct ingestq *q)
{
	pthread_mutex_lock(&q->lock);
	q->cancelled = true;
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}
