/* SPDX-License-Identifier: Apache-2.0 */
/* test_store: the SQLite store through its public interface. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/store.h"
#include "core/store_sqlite.h"
#include "tests/unit/tap.h"

static void
make_event(struct event *ev, const char *id, const char *actor, int64_t t,
	   int rank, const char *raw)
{
	event_init(ev);
	event_set(ev, EF_ID, id);
	event_set(ev, EF_SOURCE, "cloudtrail");
	event_set(ev, EF_ACTION, "GetObject");
	event_set(ev, EF_ACTOR, actor);
	ev->has_time = true;
	ev->time_ns = t;
	ev->rank = rank;
	ev->raw = raw;
	ev->raw_len = strlen(raw);
}

struct found {
	int n;
	char ids[8][64];
	char actor[64];
	char raw[128];
	int rank;
};

static int
collect(void *ctx, const struct event *ev)
{
	struct found *f = ctx;

	if (f->n < 8)
		snprintf(f->ids[f->n], sizeof(f->ids[0]), "%s", ev->str[EF_ID]);
	snprintf(f->actor, sizeof(f->actor), "%s",
		 ev->str[EF_ACTOR] ? ev->str[EF_ACTOR] : "(null)");
	snprintf(f->raw, sizeof(f->raw), "%.*s", (int)ev->raw_len, ev->raw);
	f->rank = ev->rank;
	f->n++;
	return 0;
}

static int
count_rows(void *ctx, int ncol, const char *const *names,
	   const char *const *values, const bool *numeric)
{
	long *n = ctx;

	(void)names; (void)numeric;
	if (ncol == 1 && values[0])
		*n = atol(values[0]);
	return 0;
}

int
main(void)
{
	char dir[] = "/tmp/verdict-test-store-XXXXXX";
	char path[256];
	struct store *st = NULL, *ro = NULL;
	struct event ev;
	struct found f;
	struct event_filter flt;
	bool added = false;
	long n = -1;
	uint64_t count = 0;
	struct identity_item it = { "user", "arn:aws:iam::111122223333:user/a",
				    "a", "AIDA1", "111122223333", "{\"UserName\":\"a\"}" };

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/sub/dir/events.db", dir);
	CHECK_INT(store_open(path, 0, &st), 0);
	if (!st)
		return tap_done();

	/* new, then the same id again adds nothing */
	CHECK_INT(store_begin(st), 0);
	make_event(&ev, "e1", "alice", 1000, 0, "{\"raw\":1}");
	CHECK_INT(store_put_event(st, &ev, &added), 0);
	CHECK(added);
	event_dispose(&ev);
	make_event(&ev, "e1", "mallory", 1000, 0, "{\"raw\":2}");
	CHECK_INT(store_put_event(st, &ev, &added), 0);
	CHECK(!added);
	event_dispose(&ev);
	make_event(&ev, "e2", "bob", 2000, 0, "{}");
	CHECK_INT(store_put_event(st, &ev, &added), 0);
	event_dispose(&ev);

	/* ranked: a higher rank replaces, a lower one does not */
	make_event(&ev, "k1", NULL, 3000, 3, "{\"stage\":\"ResponseComplete\"}");
	CHECK_INT(store_put_event(st, &ev, &added), 0);
	CHECK(added);
	event_dispose(&ev);
	make_event(&ev, "k1", "early", 3000, 1, "{\"stage\":\"RequestReceived\"}");
	CHECK_INT(store_put_event(st, &ev, &added), 0);
	CHECK(!added);
	event_dispose(&ev);
	make_event(&ev, "k2", "first", 4000, 1, "{\"stage\":\"RequestReceived\"}");
	CHECK_INT(store_put_event(st, &ev, NULL), 0);
	event_dispose(&ev);
	make_event(&ev, "k2", "final", 4000, 3, "{\"stage\":\"ResponseComplete\"}");
	CHECK_INT(store_put_event(st, &ev, &added), 0);
	CHECK(!added);
	event_dispose(&ev);
	CHECK_INT(store_put_identity(st, &it), 0);
	CHECK_INT(store_commit(st), 0);

	CHECK_INT(store_count_events(st, &count), 0);
	CHECK_INT(count, 4);

	memset(&flt, 0, sizeof(flt));
	memset(&f, 0, sizeof(f));
	flt.id = "e1";
	CHECK_INT(store_find_events(st, &flt, collect, &f), 0);
	CHECK_INT(f.n, 1);
	CHECK_STR(f.actor, "alice");
	CHECK_STR(f.raw, "{\"raw\":1}");

	memset(&f, 0, sizeof(f));
	flt.id = "k1";
	CHECK_INT(store_find_events(st, &flt, collect, &f), 0);
	CHECK_STR(f.actor, "(null)");
	CHECK_INT(f.rank, 3);
	memset(&f, 0, sizeof(f));
	flt.id = "k2";
	CHECK_INT(store_find_events(st, &flt, collect, &f), 0);
	CHECK_STR(f.actor, "final");
	CHECK_STR(f.raw, "{\"stage\":\"ResponseComplete\"}");

	/* time window: since inclusive, until exclusive, ordered by time */
	memset(&flt, 0, sizeof(flt));
	memset(&f, 0, sizeof(f));
	flt.has_since = flt.has_until = true;
	flt.since_ns = 2000;
	flt.until_ns = 4000;
	CHECK_INT(store_find_events(st, &flt, collect, &f), 0);
	CHECK_INT(f.n, 2);
	CHECK_STR(f.ids[0], "e2");
	CHECK_STR(f.ids[1], "k1");

	/* read-only SQL refuses writes before they run */
	CHECK_INT(store_sql(st, "SELECT count(*) FROM events", count_rows, &n), 0);
	CHECK_INT(n, 4);
	CHECK_INT(store_sql(st, "DELETE FROM events", count_rows, &n), ERR_READONLY);
	CHECK_INT(store_sql(st, "SELECT 1; DROP TABLE events", count_rows, &n),
		  ERR_READONLY);
	CHECK(store_sql(st, "ATTACH DATABASE '/tmp/x.db' AS x", count_rows, &n) < 0);
	CHECK_INT(store_sql(st, "SELECT count(*) FROM identities WHERE "
			    "account = '111122223333'", count_rows, &n), 0);
	CHECK_INT(n, 1);
	n = -1;
	CHECK_INT(store_sql(st, "PRAGMA user_version", count_rows, &n), 0);
	CHECK_INT(n, store_sqlite_schema_version());
	store_close(st);

	/* a read-only handle reads and refuses writes */
	CHECK_INT(store_open(path, STORE_READONLY, &ro), 0);
	if (ro) {
		make_event(&ev, "e9", "x", 1, 0, "{}");
		CHECK_INT(store_put_event(ro, &ev, &added), ERR_READONLY);
		event_dispose(&ev);
		CHECK_INT(store_count_events(ro, &count), 0);
		CHECK_INT(count, 4);
		store_close(ro);
	}
	/* reopening migrates nothing and keeps the data */
	CHECK_INT(store_open(path, 0, &st), 0);
	CHECK_INT(store_count_events(st, &count), 0);
	CHECK_INT(count, 4);
	store_close(st);

	/* a missing file is not silently created read-only */
	snprintf(path, sizeof(path), "%s/absent.db", dir);
	CHECK(store_open(path, STORE_READONLY, &ro) < 0);
	CHECK(access(path, F_OK) != 0);

	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK_INT(system(cmd), 0);
	}
	return tap_done();
}
