/* SPDX-License-Identifier: Apache-2.0 */
/* store: the event store interface. SQLite is the embedded back end; the
 * operations table lets another (ClickHouse over HTTP) plug in without
 * touching callers. */
#ifndef VERDICT_STORE_H
#define VERDICT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/adapter.h"
#include "core/event.h"

struct store;

enum store_flags {
	STORE_READONLY = 1 << 0, /* refuse every write */
};

/* What find_events selects; NULL or 0 members do not filter. */
struct event_filter {
	const char *source;
	const char *actor;
	const char *src_ip;
	const char *resource;
	const char *action;
	const char *id;
	bool has_since, has_until;
	int64_t since_ns, until_ns; /* since inclusive, until exclusive */
	size_t limit;               /* 0: no limit */
};

/* A stored event as the store hands it back: the normalized fields, the
 * raw bytes and the extras. Borrowed for the duration of a callback. */
typedef int (*store_event_cb)(void *ctx, const struct event *ev);

/* One result row of store_sql: ncol columns, names and values as text
 * (value NULL for SQL NULL), and whether each is numeric. Return non-zero to
 * stop. */
typedef int (*store_row_cb)(void *ctx, int ncol, const char *const *names,
			    const char *const *values, const bool *numeric);

struct store_ops {
	const char *name;
	int (*open)(struct store *st, const char *target, unsigned flags);
	void (*close)(struct store *st);
	int (*begin)(struct store *st);
	int (*commit)(struct store *st);
	int (*rollback)(struct store *st);
	int (*put_event)(struct store *st, const struct event *ev, bool *added);
	int (*put_identity)(struct store *st, const struct identity_item *it);
	int (*find_events)(struct store *st, const struct event_filter *f,
			   store_event_cb cb, void *ctx);
	int (*sql)(struct store *st, const char *query, store_row_cb cb,
		   void *ctx);
	int (*count_events)(struct store *st, uint64_t *out);
};

struct store {
	const struct store_ops *ops;
	void *impl;       /* back-end state */
	unsigned flags;
	char *target;     /* path or URL, owned */
};

/* Open the store named by target: a file path (SQLite). Creates the file and
 * its directory and migrates the schema unless STORE_READONLY. */
int store_open(const char *target, unsigned flags, struct store **out);
void store_close(struct store *st);

/* The default database path: $XDG_DATA_HOME/verdict/events.db, else
 * ~/.local/share/verdict/events.db. Caller frees. */
char *store_default_path(void);

int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);
/* Store ev; *added says whether it was new (false for a re-ingested id). */
int store_put_event(struct store *st, const struct event *ev, bool *added);
int store_put_identity(struct store *st, const struct identity_item *it);
int store_find_events(struct store *st, const struct event_filter *f,
		      store_event_cb cb, void *ctx);
/* Run a read-only query; any statement that would write is refused with
 * ERR_READONLY before it runs. */
int store_sql(struct store *st, const char *query, store_row_cb cb, void *ctx);
int store_count_events(struct store *st, uint64_t *out);

#endif
