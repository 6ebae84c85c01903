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
#include "core/threat.h"

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

/* A named parameter for store_query: ":actor" and the like. value NULL
 * binds SQL NULL; is_int binds ival instead of value. */
struct store_param {
	const char *name;  /* with its ':' */
	const char *value;
	bool is_int;
	int64_t ival;
};

/* A threat handed back by the store; borrowed for the callback. */
typedef int (*store_threat_cb)(void *ctx, const struct threat *t);
/* An event id linked to a threat. */
typedef int (*store_id_cb)(void *ctx, const char *id);

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
	int (*bulk_load)(struct store *st, bool start);
	int (*optimize)(struct store *st);
	/* read-only SQL with named parameters; also enforces max_rows */
	int (*query)(struct store *st, const char *sql,
		     const struct store_param *params, size_t nparams,
		     size_t max_rows, store_row_cb cb, void *ctx);
	/* threats and reports */
	int (*threat_put)(struct store *st, const struct threat *t);
	int (*threat_find_open)(struct store *st, const char *detection,
				const char *entity_key, int64_t time_ns,
				int64_t window_ns, char **id);
	int (*threat_link)(struct store *st, const char *threat_id,
			   const char *event_id, bool *added);
	int (*threat_list)(struct store *st, const struct threat_filter *f,
			   store_threat_cb cb, void *ctx);
	int (*threat_events)(struct store *st, const char *threat_id,
			     store_id_cb cb, void *ctx);
	int (*threat_set_status)(struct store *st, const char *threat_id,
				 const char *status);
	int (*report_put)(struct store *st, const char *threat_id,
			  const char *kb_version, const char *verdict,
			  int confidence, const char *report_json);
	int (*report_get)(struct store *st, const char *threat_id,
			  char **report_json);
	int (*unlinked_alerts)(struct store *st, store_event_cb cb, void *ctx);
	int (*model_report_put)(struct store *st, const char *threat_id,
				const char *provider, const char *model,
				const char *verdict, int confidence,
				const char *report_json);
	int (*model_report_get)(struct store *st, const char *threat_id,
				char **report_json);
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

/* Tell the store a large load starts (start true) or ends. A back end may
 * defer index maintenance in between; queries made between the two calls
 * may be slower but still correct. No-op for a back end without it. */
int store_bulk_load(struct store *st, bool start);

/* Refresh the statistics the query planner uses (after a load). Without
 * them SQLite may scan every event for a playbook query. */
int store_optimize(struct store *st);

/* Read-only SQL with named parameters (":actor"), at most max_rows rows
 * (0: no limit; more rows end the query with ERR_TOOBIG). Used by playbook
 * steps: writes are refused before they run. */
int store_query(struct store *st, const char *sql,
		const struct store_param *params, size_t nparams,
		size_t max_rows, store_row_cb cb, void *ctx);

/* ---- threats and reports (see core/threat.h) ---- */

/* Insert or update t by id (every field replaced). */
int store_threat_put(struct store *st, const struct threat *t);
/* The id of the newest threat of detection on entity_key whose last hit is
 * within window_ns before time_ns (or after it); *id NULL if none. */
int store_threat_find_open(struct store *st, const char *detection,
			   const char *entity_key, int64_t time_ns,
			   int64_t window_ns, char **id);
/* Link an event to a threat; *added false if it was linked already. */
int store_threat_link(struct store *st, const char *threat_id,
		      const char *event_id, bool *added);
/* Threats by severity (highest first), then last hit (newest first), id. */
int store_threat_list(struct store *st, const struct threat_filter *f,
		      store_threat_cb cb, void *ctx);
/* The linked event ids of a threat, in event time order. */
int store_threat_events(struct store *st, const char *threat_id,
			store_id_cb cb, void *ctx);
int store_threat_set_status(struct store *st, const char *threat_id,
			    const char *status);
/* Store the latest report of a threat (replacing any) and copy its verdict,
 * confidence and kb_version onto the threat. */
int store_report_put(struct store *st, const char *threat_id,
		     const char *kb_version, const char *verdict,
		     int confidence, const char *report_json);
/* The latest report (caller frees), ERR_NOTFOUND if none. */
int store_report_get(struct store *st, const char *threat_id,
		     char **report_json);
/* Store a model's investigation of a threat (replacing any). It never
 * touches the threat's own verdict, which is the playbook's. */
int store_model_report_put(struct store *st, const char *threat_id,
			   const char *provider, const char *model,
			   const char *verdict, int confidence,
			   const char *report_json);
/* The latest model report (caller frees), ERR_NOTFOUND if none. */
int store_model_report_get(struct store *st, const char *threat_id,
			   char **report_json);
/* Alert-like events (kind finding, runtime_alert or detection) not linked
 * to any threat, in time order. */
int store_unlinked_alerts(struct store *st, store_event_cb cb, void *ctx);

#endif
