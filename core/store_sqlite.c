/* SPDX-License-Identifier: Apache-2.0 */
/* store_sqlite: the embedded SQLite back end: one file, WAL, versioned
 * schema, batched writes and a separate read-only connection for queries
 * that come from outside (verdict sql, playbooks). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/store_sqlite.h"
#include "core/trace.h"

struct sq {
	sqlite3 *db;      /* read-write unless the store is read-only */
	sqlite3 *ro;      /* read-only connection for store_sql, lazily */
	sqlite3_stmt *ins_plain;  /* insert, ignore a known id */
	sqlite3_stmt *ins_ranked; /* insert, or replace a lower rank */
	sqlite3_stmt *put_ident;
	char *path;
	bool in_tx;
};

/* ---- schema and migrations ---------------------------------------------
 * Each entry moves the schema from version i to i + 1; user_version holds
 * the current one. Never edit a shipped migration: add another. */
static const char *const migrations[] = {
	/* 1: events and identity configuration */
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  time INTEGER,"            /* UTC ns since the epoch */
	"  source TEXT NOT NULL,"
	"  kind TEXT, action TEXT, actor TEXT, actor_type TEXT,"
	"  src_ip TEXT, src_domain TEXT, dst_ip TEXT, protocol TEXT,"
	"  resource TEXT, resource_type TEXT, account TEXT, region TEXT,"
	"  outcome TEXT, error_code TEXT, user_agent TEXT, host TEXT,"
	"  container TEXT, severity TEXT,"
	"  src_port INTEGER, dst_port INTEGER, severity_score REAL,"
	"  attrs TEXT,"              /* JSON object of extra fields */
	"  raw TEXT NOT NULL,"       /* the original record, byte-exact */
	"  rank INTEGER NOT NULL DEFAULT 0,"
	"  ingested INTEGER NOT NULL"
	");"
	"CREATE INDEX events_time ON events(time);"
	"CREATE INDEX events_actor ON events(actor, time);"
	"CREATE INDEX events_src_ip ON events(src_ip, time);"
	"CREATE INDEX events_resource ON events(resource, time);"
	"CREATE INDEX events_action ON events(action, time);"
	"CREATE INDEX events_source ON events(source, time);"
	"CREATE TABLE identities ("
	"  arn TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"      /* user, group, role, policy */
	"  name TEXT, principal_id TEXT, account TEXT,"
	"  doc TEXT NOT NULL,"       /* the entry as JSON */
	"  ingested INTEGER NOT NULL"
	");"
	"CREATE INDEX identities_name ON identities(kind, name);",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
store_sqlite_schema_version(void)
{
	return SCHEMA_VERSION;
}

static int
sq_error(sqlite3 *db, const char *path, const char *what)
{
	return err_set(ERR_STORE, "%s: %s: %s", path, what,
		       db ? sqlite3_errmsg(db) : "cannot allocate");
}

static int
sq_exec(struct sq *sq, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(sq->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = err_set(ERR_STORE, "%s: %s", sq->path,
				 msg ? msg : "exec failed");
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

static int
sq_user_version(sqlite3 *db, int *out)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static int
sq_migrate(struct sq *sq)
{
	int version, rc;
	char pragma[64];

	if (sq_user_version(sq->db, &version) < 0)
		return sq_error(sq->db, sq->path, "reading schema version");
	if (version > SCHEMA_VERSION)
		return err_set(ERR_STORE, "%s: schema version %d is newer than "
			       "this verdict understands (%d); upgrade verdict",
			       sq->path, version, SCHEMA_VERSION);
	if (version == SCHEMA_VERSION)
		return 0;
	if ((rc = sq_exec(sq, "BEGIN IMMEDIATE")) < 0)
		return rc;
	for (int v = version; v < SCHEMA_VERSION; v++) {
		trace(TRACE_INFO, "store: migrating %s to schema %d", sq->path,
		      v + 1);
		if ((rc = sq_exec(sq, migrations[v])) < 0)
			goto fail;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		 SCHEMA_VERSION);
	if ((rc = sq_exec(sq, pragma)) < 0)
		goto fail;
	return sq_exec(sq, "COMMIT");
fail:
	sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Create the parent directory of path, one level (XDG dirs exist above). */
static int
sq_mkparent(const char *path)
{
	char dir[4096];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return err_set(ERR_USAGE, "%s: path too long", path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0700);
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_set(ERR_IO, "%s: cannot create directory: %s", dir,
			       strerror(errno));
	return 0;
}

static const char insert_cols[] =
	"id, time, source, kind, action, actor, actor_type, src_ip, src_domain,"
	" dst_ip, protocol, resource, resource_type, account, region, outcome,"
	" error_code, user_agent, host, container, severity, src_port,"
	" dst_port, severity_score, attrs, raw, rank, ingested";
static const char insert_vals[] =
	"?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
	" ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28";

static int
sq_prepare_writes(struct sq *sq)
{
	char sql[2048];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO events (%s) VALUES (%s) ON CONFLICT(id) DO NOTHING",
		 insert_cols, insert_vals);
	if (sqlite3_prepare_v3(sq->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &sq->ins_plain, NULL) != SQLITE_OK)
		return sq_error(sq->db, sq->path, "preparing insert");
	snprintf(sql, sizeof(sql),
		 "INSERT INTO events (%s) VALUES (%s) ON CONFLICT(id) DO UPDATE SET"
		 " time = excluded.time, kind = excluded.kind,"
		 " action = excluded.action, actor = excluded.actor,"
		 " actor_type = excluded.actor_type, src_ip = excluded.src_ip,"
		 " src_domain = excluded.src_domain, dst_ip = excluded.dst_ip,"
		 " protocol = excluded.protocol, resource = excluded.resource,"
		 " resource_type = excluded.resource_type,"
		 " account = excluded.account, region = excluded.region,"
		 " outcome = excluded.outcome, error_code = excluded.error_code,"
		 " user_agent = excluded.user_agent, host = excluded.host,"
		 " container = excluded.container, severity = excluded.severity,"
		 " src_port = excluded.src_port, dst_port = excluded.dst_port,"
		 " severity_score = excluded.severity_score,"
		 " attrs = excluded.attrs, raw = excluded.raw,"
		 " rank = excluded.rank"
		 " WHERE excluded.rank > events.rank",
		 insert_cols, insert_vals);
	if (sqlite3_prepare_v3(sq->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &sq->ins_ranked, NULL) != SQLITE_OK)
		return sq_error(sq->db, sq->path, "preparing upsert");
	if (sqlite3_prepare_v3(sq->db,
			       "INSERT INTO identities (arn, kind, name, principal_id,"
			       " account, doc, ingested) VALUES (?1, ?2, ?3, ?4, ?5,"
			       " ?6, ?7) ON CONFLICT(arn) DO UPDATE SET"
			       " kind = excluded.kind, name = excluded.name,"
			       " principal_id = excluded.principal_id,"
			       " account = excluded.account, doc = excluded.doc,"
			       " ingested = excluded.ingested",
			       -1, SQLITE_PREPARE_PERSISTENT, &sq->put_ident,
			       NULL) != SQLITE_OK)
		return sq_error(sq->db, sq->path, "preparing identity insert");
	return 0;
}

static void sq_close(struct store *st);

static int
sq_open(struct store *st, const char *target, unsigned flags)
{
	struct sq *sq;
	int rc, oflags;

	sq = calloc(1, sizeof(*sq));
	if (!sq || !(sq->path = strdup(target))) {
		free(sq);
		return err_set(ERR_NOMEM, "out of memory");
	}
	st->impl = sq;
	if (flags & STORE_READONLY) {
		oflags = SQLITE_OPEN_READONLY;
	} else {
		if ((rc = sq_mkparent(target)) < 0)
			goto fail;
		oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	}
	if (sqlite3_open_v2(target, &sq->db, oflags | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = sq_error(sq->db, target, "cannot open database");
		goto fail;
	}
	sqlite3_busy_timeout(sq->db, 10000);
	sqlite3_extended_result_codes(sq->db, 1);
	if (flags & STORE_READONLY) {
		int version = 0;

		if (sq_user_version(sq->db, &version) < 0 || version == 0) {
			rc = err_set(ERR_STORE, "%s: not a verdict database "
				     "(run verdict ingest first)", target);
			goto fail;
		}
		if (version > SCHEMA_VERSION) {
			rc = err_set(ERR_STORE, "%s: schema version %d is newer"
				     " than this verdict understands", target,
				     version);
			goto fail;
		}
		return 0;
	}
	if ((rc = sq_exec(sq, "PRAGMA journal_mode = WAL;"
			      "PRAGMA synchronous = NORMAL;"
			      "PRAGMA foreign_keys = ON;"
			      "PRAGMA cache_size = -65536;"
			      "PRAGMA temp_store = MEMORY;")) < 0)
		goto fail;
	if ((rc = sq_migrate(sq)) < 0 || (rc = sq_prepare_writes(sq)) < 0)
		goto fail;
	return 0;
fail:
	sq_close(st);
	return rc;
}

static void
sq_close(struct store *st)
{
	struct sq *sq = st->impl;

	if (!sq)
		return;
	if (sq->in_tx)
		sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(sq->ins_plain);
	sqlite3_finalize(sq->ins_ranked);
	sqlite3_finalize(sq->put_ident);
	sqlite3_close(sq->ro);
	sqlite3_close(sq->db);
	free(sq->path);
	free(sq);
	st->impl = NULL;
}

static int
sq_begin(struct store *st)
{
	struct sq *sq = st->impl;
	int rc;

	if (sq->in_tx)
		return 0;
	if ((rc = sq_exec(sq, "BEGIN IMMEDIATE")) == 0)
		sq->in_tx = true;
	return rc;
}

static int
sq_commit(struct store *st)
{
	struct sq *sq = st->impl;
	int rc;

	if (!sq->in_tx)
		return 0;
	rc = sq_exec(sq, "COMMIT");
	sq->in_tx = false;
	return rc;
}

static int
sq_rollback(struct store *st)
{
	struct sq *sq = st->impl;

	if (!sq->in_tx)
		return 0;
	sq->in_tx = false;
	return sq_exec(sq, "ROLLBACK");
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
sq_put_event(struct store *st, const struct event *ev, bool *added)
{
	struct sq *sq = st->impl;
	sqlite3_stmt *s = ev->rank > 0 ? sq->ins_ranked : sq->ins_plain;
	sqlite3_int64 before = sqlite3_last_insert_rowid(sq->db);
	int rc;

	if (!ev->str[EF_ID] || !ev->str[EF_SOURCE])
		return err_set(ERR_FIELD, "event without id or source");
	for (int f = 0; f < EF_COUNT; f++)
		bind_text(s, f == EF_ID ? 1 : f + 2, ev->str[f]);
	/* EF_ID binds 1, time 2, and EF_SOURCE.. follow from 3. */
	if (ev->has_time)
		sqlite3_bind_int64(s, 2, ev->time_ns);
	else
		sqlite3_bind_null(s, 2);
	if (ev->src_port >= 0)
		sqlite3_bind_int(s, 22, ev->src_port);
	else
		sqlite3_bind_null(s, 22);
	if (ev->dst_port >= 0)
		sqlite3_bind_int(s, 23, ev->dst_port);
	else
		sqlite3_bind_null(s, 23);
	if (ev->has_severity_score)
		sqlite3_bind_double(s, 24, ev->severity_score);
	else
		sqlite3_bind_null(s, 24);
	bind_text(s, 25, ev->attrs);
	sqlite3_bind_text64(s, 26, ev->raw ? ev->raw : "", ev->raw_len,
			    SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_int(s, 27, ev->rank);
	sqlite3_bind_int64(s, 28, now_ns());
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return sq_error(sq->db, sq->path, "storing event");
	if (added)
		*added = sqlite3_changes(sq->db) > 0 &&
			 sqlite3_last_insert_rowid(sq->db) != before;
	return 0;
}

static int
sq_put_identity(struct store *st, const struct identity_item *it)
{
	struct sq *sq = st->impl;
	sqlite3_stmt *s = sq->put_ident;
	int rc;

	if (!it->arn || !it->kind || !it->doc)
		return err_set(ERR_FIELD, "identity item without arn, kind or doc");
	bind_text(s, 1, it->arn);
	bind_text(s, 2, it->kind);
	bind_text(s, 3, it->name);
	bind_text(s, 4, it->id);
	bind_text(s, 5, it->account);
	bind_text(s, 6, it->doc);
	sqlite3_bind_int64(s, 7, now_ns());
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return sq_error(sq->db, sq->path, "storing identity");
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

static const char select_cols[] =
	"id, time, source, kind, action, actor, actor_type, src_ip, src_domain,"
	" dst_ip, protocol, resource, resource_type, account, region, outcome,"
	" error_code, user_agent, host, container, severity, src_port,"
	" dst_port, severity_score, attrs, raw, rank";

/* Fill ev with pointers into the current row (borrowed until the next
 * step). Column order is select_cols. */
static void
row_to_event(sqlite3_stmt *s, struct event *ev)
{
	event_init(ev);
	for (int f = 0; f < EF_COUNT; f++) {
		int col = f == EF_ID ? 0 : f + 1;

		ev->str[f] = (char *)sqlite3_column_text(s, col);
	}
	if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
		ev->has_time = true;
		ev->time_ns = sqlite3_column_int64(s, 1);
	}
	if (sqlite3_column_type(s, 21) != SQLITE_NULL)
		ev->src_port = sqlite3_column_int(s, 21);
	if (sqlite3_column_type(s, 22) != SQLITE_NULL)
		ev->dst_port = sqlite3_column_int(s, 22);
	if (sqlite3_column_type(s, 23) != SQLITE_NULL) {
		ev->has_severity_score = true;
		ev->severity_score = sqlite3_column_double(s, 23);
	}
	ev->attrs = (char *)sqlite3_column_text(s, 24);
	ev->raw = (const char *)sqlite3_column_text(s, 25);
	ev->raw_len = (size_t)sqlite3_column_bytes(s, 25);
	ev->rank = sqlite3_column_int(s, 26);
}

static int
sq_find_events(struct store *st, const struct event_filter *f,
	       store_event_cb cb, void *ctx)
{
	struct sq *sq = st->impl;
	const struct {
		const char *col, *val;
	} eq[] = {
		{ "source", f->source },   { "actor", f->actor },
		{ "src_ip", f->src_ip },   { "resource", f->resource },
		{ "action", f->action },   { "id", f->id },
	};
	struct buf q;
	sqlite3_stmt *s = NULL;
	int rc = 0, n = 0, step;
	const char *glue = " WHERE ";

	buf_init(&q);
	buf_printf(&q, "SELECT %s FROM events", select_cols);
	for (size_t i = 0; i < sizeof(eq) / sizeof(eq[0]); i++) {
		if (!eq[i].val)
			continue;
		buf_printf(&q, "%s%s = ?%d", glue, eq[i].col, ++n);
		glue = " AND ";
	}
	if (f->has_since) {
		buf_printf(&q, "%stime >= ?%d", glue, ++n);
		glue = " AND ";
	}
	if (f->has_until)
		buf_printf(&q, "%stime < ?%d", glue, ++n);
	buf_adds(&q, " ORDER BY time, id");
	if (f->limit)
		buf_printf(&q, " LIMIT %zu", f->limit);
	if (!q.data) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(sq->db, q.data, -1, &s, NULL) != SQLITE_OK) {
		rc = sq_error(sq->db, sq->path, "preparing event query");
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < sizeof(eq) / sizeof(eq[0]); i++)
		if (eq[i].val)
			sqlite3_bind_text(s, ++n, eq[i].val, -1, SQLITE_STATIC);
	if (f->has_since)
		sqlite3_bind_int64(s, ++n, f->since_ns);
	if (f->has_until)
		sqlite3_bind_int64(s, ++n, f->until_ns);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct event ev;

		row_to_event(s, &ev);
		if ((rc = cb(ctx, &ev)) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = sq_error(sq->db, sq->path, "querying events");
out:
	sqlite3_finalize(s);
	buf_dispose(&q);
	return rc;
}

/* Deny what could change anything from outside the database file or the
 * connection's own safety settings. */
static int
sq_authorize(void *ctx, int action, const char *a, const char *b,
	     const char *c, const char *d)
{
	(void)ctx; (void)a; (void)b; (void)c; (void)d;
	switch (action) {
	case SQLITE_ATTACH:
	case SQLITE_DETACH:
		return SQLITE_DENY;
	default:
		return SQLITE_OK;
	}
}

static int
sq_ro_conn(struct sq *sq, struct store *st, sqlite3 **out)
{
	if (st->flags & STORE_READONLY) {
		*out = sq->db;
	} else {
		if (!sq->ro) {
			if (sqlite3_open_v2(sq->path, &sq->ro,
					    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
					    NULL) != SQLITE_OK)
				return sq_error(sq->ro, sq->path,
						"cannot open read-only connection");
			sqlite3_busy_timeout(sq->ro, 10000);
		}
		*out = sq->ro;
	}
	sqlite3_exec(*out, "PRAGMA query_only = ON", NULL, NULL, NULL);
	sqlite3_set_authorizer(*out, sq_authorize, NULL);
	return 0;
}

static int
sq_sql(struct store *st, const char *query, store_row_cb cb, void *ctx)
{
	struct sq *sq = st->impl;
	sqlite3 *db = NULL;
	const char *tail = query;
	int rc;

	if ((rc = sq_ro_conn(sq, st, &db)) < 0)
		return rc;
	while (tail && *tail) {
		sqlite3_stmt *s = NULL;
		const char *next;
		int ncol, step;

		if (sqlite3_prepare_v2(db, tail, -1, &s, &next) != SQLITE_OK)
			return err_set(ERR_PARSE, "sql: %s", sqlite3_errmsg(db));
		tail = next;
		if (!s)
			continue; /* whitespace or a comment */
		if (!sqlite3_stmt_readonly(s)) {
			sqlite3_finalize(s);
			return err_set(ERR_READONLY, "sql: refused: only "
				       "read-only statements are allowed");
		}
		ncol = sqlite3_column_count(s);
		{
			const char *names[ncol ? ncol : 1];
			const char *vals[ncol ? ncol : 1];
			bool numeric[ncol ? ncol : 1];

			for (int i = 0; i < ncol; i++)
				names[i] = sqlite3_column_name(s, i);
			while ((step = sqlite3_step(s)) == SQLITE_ROW) {
				for (int i = 0; i < ncol; i++) {
					int t = sqlite3_column_type(s, i);

					vals[i] = (const char *)sqlite3_column_text(s, i);
					numeric[i] = t == SQLITE_INTEGER ||
						     t == SQLITE_FLOAT;
				}
				if (cb(ctx, ncol, names, vals, numeric) != 0) {
					step = SQLITE_DONE;
					break;
				}
			}
		}
		if (step != SQLITE_DONE) {
			rc = err_set(step == SQLITE_AUTH || step == SQLITE_READONLY
					     ? ERR_READONLY : ERR_STORE,
				     "sql: %s", sqlite3_errmsg(db));
			sqlite3_finalize(s);
			return rc;
		}
		sqlite3_finalize(s);
	}
	return 0;
}

static int
sq_count_events(struct store *st, uint64_t *out)
{
	struct sq *sq = st->impl;
	sqlite3_stmt *s;
	int rc = 0;

	if (sqlite3_prepare_v2(sq->db, "SELECT count(*) FROM events", -1, &s,
			       NULL) != SQLITE_OK)
		return sq_error(sq->db, sq->path, "counting events");
	if (sqlite3_step(s) == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(s, 0);
	else
		rc = sq_error(sq->db, sq->path, "counting events");
	sqlite3_finalize(s);
	return rc;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.put_event = sq_put_event,
	.put_identity = sq_put_identity,
	.find_events = sq_find_events,
	.sql = sq_sql,
	.count_events = sq_count_events,
};
