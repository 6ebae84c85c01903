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
store_count_events(struct store *st, uint64_t *out)
{
	return st->ops->count_events(st, out);
}
