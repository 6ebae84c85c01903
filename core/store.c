/* SPDX-License-Identifier: Apache-2.0 */
/* store: the back-end-neutral face of the event store. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/store.h"
#include "core/store_sqlite.h"

int
store_open(const char *target, unsigned flags, struct store **out)
{
	struct store *st;
	int rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st || !(st->target = strdup(target))) {
		free(st);
		return err_set(ERR_NOMEM, "out of memory");
	}
	st->flags = flags;
	st->ops = &store_sqlite_ops;
	rc = st->ops->open(st, target, flags);
	if (rc < 0) {
		free(st->target);
		free(st);
		return rc;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	st->ops->close(st);
	free(st->target);
	free(st);
}

char *
store_default_path(void)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	const char *tail = "/verdict/events.db";
	char *p;

	if (xdg && *xdg == '/') {
		p = malloc(strlen(xdg) + strlen(tail) + 1);
		if (p)
			strcat(strcpy(p, xdg), tail);
		return p;
	}
	if (!home || !*home)
		home = ".";
	p = malloc(strlen(home) + strlen("/.local/share") + strlen(tail) + 1);
	if (p)
		strcat(strcat(strcpy(p, home), "/.local/share"), tail);
	return p;
}

static int
store_writable(struct store *st)
{
	if (st->flags & STORE_READONLY)
		return err_set(ERR_READONLY, "%s: the store is open read-only",
			       st->target);
	return 0;
}

int
store_begin(struct store *st)
{
	int rc = store_writable(st);

	return rc < 0 ? rc : st->ops->begin(st);
}

int
store_commit(struct store *st)
{
	return st->ops->commit(st);
}

int
store_rollback(struct store *st)
{
	return st->ops->rollback(st);
}

int
store_put_event(struct store *st, const struct event *ev, bool *added)
{
	int rc = store_writable(st);

	return rc < 0 ? rc : st->ops->put_event(st, ev, added);
}

int
store_put_identity(struct store *st, const struct identity_item *it)
{
	int rc = store_writable(st);

	return rc < 0 ? rc : st->ops->put_identity(st, it);
}

int
store_find_events(struct store *st, const struct event_filter *f,
		  store_event_cb cb, void *ctx)
{
	return st->ops->find_events(st, f, cb, ctx);
}

int
store_sql(struct store *st, const char *query, store_row_cb cb, void *ctx)
{
	return st->ops->sql(st, query, cb, ctx);
}

int
store_bulk_load(struct store *st, bool start)
{
	if (st->flags & STORE_READONLY || !st->ops->bulk_load)
		return 0;
	return st->ops->bulk_load(st, start);
}

int
store_optimize(struct store *st)
{
	if (st->flags & STORE_READONLY || !st->ops->optimize)
		return 0;
	return st->ops->optimize(st);
}

int
store_count_events(struct store *st, uint64_t *out)
{
	return st->ops->count_events(st, out);
}

/* ---- queries, threats and reports -------------------------------------- */

/* A back end that lacks an operation says so instead of crashing. */
static int
store_unsupported(struct store *st, const char *what)
{
	return err_set(ERR_UNSUPPORTED, "%s: the %s store cannot %s", st->target,
		       st->ops->name, what);
}

int
store_query(struct store *st, const char *sql,
	    const struct store_param *params, size_t nparams,
	    size_t max_rows, store_row_cb cb, void *ctx)
{
	if (!st->ops->query)
		return store_unsupported(st, "run parameterized queries");
	return st->ops->query(st, sql, params, nparams, max_rows, cb, ctx);
}

int
store_threat_put(struct store *st, const struct threat *t)
{
	int rc = store_writable(st);

	if (rc < 0)
		return rc;
	if (!st->ops->threat_put)
		return store_unsupported(st, "store threats");
	return st->ops->threat_put(st, t);
}

int
store_threat_find_open(struct store *st, const char *detection,
		       const char *entity_key, int64_t time_ns,
		       int64_t window_ns, char **id)
{
	*id = NULL;
	if (!st->ops->threat_find_open)
		return store_unsupported(st, "find threats");
	return st->ops->threat_find_open(st, detection, entity_key, time_ns,
					 window_ns, id);
}

int
store_threat_link(struct store *st, const char *threat_id,
		  const char *event_id, bool *added)
{
	int rc = store_writable(st);

	if (rc < 0)
		return rc;
	if (!st->ops->threat_link)
		return store_unsupported(st, "link events to threats");
	return st->ops->threat_link(st, threat_id, event_id, added);
}

int
store_threat_list(struct store *st, const struct threat_filter *f,
		  store_threat_cb cb, void *ctx)
{
	if (!st->ops->threat_list)
		return store_unsupported(st, "list threats");
	return st->ops->threat_list(st, f, cb, ctx);
}

int
store_threat_events(struct store *st, const char *threat_id,
		    store_id_cb cb, void *ctx)
{
	if (!st->ops->threat_events)
		return store_unsupported(st, "list a threat's events");
	return st->ops->threat_events(st, threat_id, cb, ctx);
}

/* The states of enum-like threat.status, in their order of progress. */
static const char *const threat_statuses[] = { "new", "investigating",
					       "decided" };

int
store_threat_set_status(struct store *st, const char *threat_id,
			const char *status)
{
	int rc = store_writable(st);
	bool known = false;

	if (rc < 0)
		return rc;
	for (size_t i = 0; status && i < sizeof(threat_statuses) /
				       sizeof(threat_statuses[0]); i++)
		known = known || strcmp(status, threat_statuses[i]) == 0;
	if (!known)
		return err_set(ERR_USAGE, "threat status \"%s\": give new, "
			       "investigating or decided", status ? status : "");
	if (!st->ops->threat_set_status)
		return store_unsupported(st, "change a threat's status");
	return st->ops->threat_set_status(st, threat_id, status);
}

int
store_report_put(struct store *st, const char *threat_id,
		 const char *kb_version, const char *verdict, int confidence,
		 const char *report_json)
{
	int rc = store_writable(st);

	if (rc < 0)
		return rc;
	if (!st->ops->report_put)
		return store_unsupported(st, "store reports");
	return st->ops->report_put(st, threat_id, kb_version, verdict,
				   confidence, report_json);
}

int
store_report_get(struct store *st, const char *threat_id, char **report_json)
{
	*report_json = NULL;
	if (!st->ops->report_get)
		return store_unsupported(st, "read reports");
	return st->ops->report_get(st, threat_id, report_json);
}

int
store_model_report_put(struct store *st, const char *threat_id,
		       const char *provider, const char *model,
		       const char *verdict, int confidence,
		       const char *report_json)
{
	int rc = store_writable(st);

	if (rc < 0)
		return rc;
	if (!st->ops->model_report_put)
		return store_unsupported(st, "store model reports");
	return st->ops->model_report_put(st, threat_id, provider, model,
					 verdict, confidence, report_json);
}

int
store_model_report_get(struct store *st, const char *threat_id,
		       char **report_json)
{
	*report_json = NULL;
	if (!st->ops->model_report_get)
		return store_unsupported(st, "read model reports");
	return st->ops->model_report_get(st, threat_id, report_json);
}

int
store_unlinked_alerts(struct store *st, store_event_cb cb, void *ctx)
{
	if (!st->ops->unlinked_alerts)
		return store_unsupported(st, "list alerts");
	return st->ops->unlinked_alerts(st, cb, ctx);
}
