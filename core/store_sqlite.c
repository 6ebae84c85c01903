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
#include "core/threat.h"
#include "core/trace.h"

/* Statements prepared on first use and kept for the connection's life:
 * the ones threat grouping runs once per alert. */
enum sq_cached {
	SQC_THREAT_PUT,
	SQC_THREAT_FIND_OPEN,
	SQC_THREAT_LINK,
	SQC_THREAT_GET,
	SQC_COUNT
};

/* The longest a playbook query may run. */
#define SQ_QUERY_SECONDS 5

struct sq {
	sqlite3 *db;      /* read-write unless the store is read-only */
	sqlite3 *ro;      /* read-only connection for store_sql, lazily */
	sqlite3_stmt *ins_plain;  /* insert, ignore a known id */
	sqlite3_stmt *ins_ranked; /* insert, or replace a lower rank */
	sqlite3_stmt *put_ident;
	sqlite3_stmt *cached[SQC_COUNT];
	char *path;
	int tx_depth;     /* nested begins; only the outermost one is real */
	bool bulk;        /* secondary event indexes dropped for a bulk load */
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

	/* 2: threats, the events behind them, and investigation reports */
	"CREATE TABLE threats ("
	"  id TEXT PRIMARY KEY,"
	"  detection TEXT NOT NULL,"  /* source-qualified rule or finding type */
	"  title TEXT,"
	"  source TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"   /* info, low, medium, high, critical, unknown */
	"  status TEXT NOT NULL,"     /* new, investigating, decided */
	"  actor TEXT, src_ip TEXT, resource TEXT, host TEXT, container TEXT,"
	"  account TEXT, region TEXT,"
	"  entity_key TEXT NOT NULL," /* hash of the grouping entities */
	"  first_ns INTEGER, last_ns INTEGER," /* UTC ns of first and last hit */
	"  count INTEGER NOT NULL,"
	"  tactics TEXT,"             /* JSON array */
	"  verdict TEXT, confidence INTEGER, kb_version TEXT," /* latest report */
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX threats_queue ON threats(severity, status, last_ns);"
	"CREATE INDEX threats_open ON threats(detection, entity_key, last_ns);"
	"CREATE TABLE threat_events ("
	"  threat_id TEXT NOT NULL REFERENCES threats(id) ON DELETE CASCADE,"
	"  event_id TEXT NOT NULL,"
	"  PRIMARY KEY (threat_id, event_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX threat_events_event ON threat_events(event_id);"
	"CREATE TABLE reports ("
	"  threat_id TEXT PRIMARY KEY REFERENCES threats(id) ON DELETE CASCADE,"
	"  kb_version TEXT, verdict TEXT, confidence INTEGER,"
	"  report TEXT NOT NULL"      /* the report as JSON */
	");"
	/* Only alert-like rows: threat building finds its work without a
	 * scan of every event, at almost no cost to ingest. */
	"CREATE INDEX events_alerts ON events(time, id)"
	"  WHERE kind IN ('finding', 'runtime_alert', 'detection');",
	/* 3: the queue's order as an index, so the console's first page is
	 * read in order rather than sorted (keep in step with
	 * SEVERITY_RANK_SQL) */
	"CREATE INDEX threats_rank ON threats("
	"  (CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3"
	"   WHEN 'medium' THEN 2 WHEN 'low' THEN 1 WHEN 'info' THEN 0"
	"   ELSE -1 END) DESC, last_ns DESC, id);",
	/* 4: model investigations, kept apart from the playbook's reports so
	 * that a model's verdict never replaces the playbook's */
	"CREATE TABLE model_reports ("
	"  threat_id TEXT PRIMARY KEY REFERENCES threats(id) ON DELETE CASCADE,"
	"  provider TEXT NOT NULL, model TEXT NOT NULL,"
	"  verdict TEXT, confidence INTEGER,"
	"  report TEXT NOT NULL"      /* the model report as JSON */
	");",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* The secondary indexes of events, as the latest migration leaves them. A
 * bulk load into an empty store drops them and builds them once at the end
 * (sorting beats a million random inserts); every writable open recreates
 * any that are missing, so a load that died half way heals itself. */
static const char *const event_indexes[] = {
	"CREATE INDEX IF NOT EXISTS events_time ON events(time)",
	"CREATE INDEX IF NOT EXISTS events_actor ON events(actor, time)",
	"CREATE INDEX IF NOT EXISTS events_src_ip ON events(src_ip, time)",
	"CREATE INDEX IF NOT EXISTS events_resource ON events(resource, time)",
	"CREATE INDEX IF NOT EXISTS events_action ON events(action, time)",
	"CREATE INDEX IF NOT EXISTS events_source ON events(source, time)",
	"CREATE INDEX IF NOT EXISTS events_alerts ON events(time, id)"
	" WHERE kind IN ('finding', 'runtime_alert', 'detection')",
};
static const char *const event_index_names[] = {
	"events_time", "events_actor", "events_src_ip", "events_resource",
	"events_action", "events_source", "events_alerts",
};

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
	/* another process may have migrated while we waited for the lock */
	if (sq_user_version(sq->db, &version) < 0) {
		rc = sq_error(sq->db, sq->path, "reading schema version");
		goto fail;
	}
	if (version >= SCHEMA_VERSION)
		return sq_exec(sq, "COMMIT");
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
sq_ensure_indexes(struct sq *sq)
{
	int rc;

	for (size_t i = 0; i < sizeof(event_indexes) / sizeof(event_indexes[0]); i++)
		if ((rc = sq_exec(sq, event_indexes[i])) < 0)
			return rc;
	return 0;
}

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
static int sq_count_events(struct store *st, uint64_t *out);

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
		if (version < SCHEMA_VERSION) {
			/* an older store: migrate it once through a writable
			 * handle, then read as asked */
			struct store up = { 0 };

			sqlite3_close(sq->db);
			sq->db = NULL;
			if ((rc = sq_open(&up, target, 0)) < 0)
				goto fail;
			sq_close(&up);
			if (sqlite3_open_v2(target, &sq->db, SQLITE_OPEN_READONLY |
					    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
				rc = sq_error(sq->db, target, "cannot open database");
				goto fail;
			}
			sqlite3_busy_timeout(sq->db, 10000);
		}
		return 0;
	}
	if ((rc = sq_exec(sq, "PRAGMA journal_mode = WAL;"
			      "PRAGMA synchronous = NORMAL;"
			      "PRAGMA foreign_keys = ON;"
			      "PRAGMA cache_size = -65536;"
			      "PRAGMA temp_store = MEMORY;")) < 0)
		goto fail;
	if ((rc = sq_migrate(sq)) < 0 || (rc = sq_ensure_indexes(sq)) < 0 ||
	    (rc = sq_prepare_writes(sq)) < 0)
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
	if (sq->tx_depth > 0)
		sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < SQC_COUNT; i++)
		sqlite3_finalize(sq->cached[i]);
	sqlite3_finalize(sq->ins_plain);
	sqlite3_finalize(sq->ins_ranked);
	sqlite3_finalize(sq->put_ident);
	sqlite3_close(sq->ro);
	sqlite3_close(sq->db);
	free(sq->path);
	free(sq);
	st->impl = NULL;
}

/* Transactions nest so that a unit of work (grouping one alert into a
 * threat) can make itself atomic and still join a caller's batch: only
 * the outermost begin and commit reach SQLite. A rollback at any depth
 * undoes the whole batch. */
static int
sq_begin(struct store *st)
{
	struct sq *sq = st->impl;
	int rc;

	if (sq->tx_depth > 0) {
		sq->tx_depth++;
		return 0;
	}
	if ((rc = sq_exec(sq, "BEGIN IMMEDIATE")) == 0)
		sq->tx_depth = 1;
	return rc;
}

static int
sq_commit(struct store *st)
{
	struct sq *sq = st->impl;

	if (sq->tx_depth == 0)
		return 0;
	if (--sq->tx_depth > 0)
		return 0;
	return sq_exec(sq, "COMMIT");
}

static int
sq_rollback(struct store *st)
{
	struct sq *sq = st->impl;

	if (sq->tx_depth == 0)
		return 0;
	sq->tx_depth = 0;
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
sq_find_pass(struct store *st, const struct event_filter *f, bool untimed,
	     size_t limit, size_t *seen, store_event_cb cb, void *ctx)
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
	if (f->has_until) {
		buf_printf(&q, "%stime < ?%d", glue, ++n);
		glue = " AND ";
	}
	buf_printf(&q, "%stime IS %sNULL ORDER BY %sseq", glue,
		   untimed ? "" : "NOT ", untimed ? "" : "time, ");
	if (limit)
		buf_printf(&q, " LIMIT %zu", limit);
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
		(*seen)++;
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

static int
sq_find_events(struct store *st, const struct event_filter *f,
	       store_event_cb cb, void *ctx)
{
	int rc = 0;
	size_t seen = 0;

	/* Timed events in time order, then the untimed ones: two passes so
	 * each is read in index order (time, then insertion) and nothing is
	 * sorted in memory, whatever the store's size. */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		if (pass == 1 && (f->has_since || f->has_until))
			break;
		if (f->limit && seen >= f->limit)
			break;
		rc = sq_find_pass(st, f, pass == 1, f->limit ? f->limit - seen : 0,
				  &seen, cb, ctx);
	}
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

/* How a read-only run is bounded: store_sql runs what the analyst typed,
 * store_query what a playbook asks, with parameters, a row cap and a
 * clock. */
struct sq_run {
	const char *what;              /* "sql" or "query", for messages */
	const struct store_param *params;
	size_t nparams;
	size_t max_rows;               /* 0: no cap */
	int64_t deadline_ns;           /* CLOCK_MONOTONIC; 0: none */
	size_t rows;
	bool timed_out;
};

/* Long queries end here: SQLite calls this every few thousand virtual
 * machine steps and interrupts the statement once it returns non-zero. */
static int
sq_run_progress(void *ctx)
{
	struct sq_run *run = ctx;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec < run->deadline_ns)
		return 0;
	run->timed_out = true;
	return 1;
}

/* Bind each supplied parameter the statement names; the rest stay NULL. */
static int
sq_run_bind(sqlite3_stmt *s, const struct sq_run *run)
{
	for (size_t i = 0; i < run->nparams; i++) {
		const struct store_param *p = &run->params[i];
		char name[128];
		int idx;

		if (!p->name || !*p->name)
			return err_set(ERR_USAGE, "%s: a parameter has no name",
				       run->what);
		idx = sqlite3_bind_parameter_index(s, p->name);
		if (!idx && strchr(":@$", p->name[0]) == NULL &&
		    snprintf(name, sizeof(name), ":%s", p->name) <
			    (int)sizeof(name))
			idx = sqlite3_bind_parameter_index(s, name);
		if (!idx)
			continue;
		if (p->is_int)
			sqlite3_bind_int64(s, idx, p->ival);
		else if (p->value)
			sqlite3_bind_text(s, idx, p->value, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, idx);
	}
	return 0;
}

/* Step one prepared statement, handing each row to cb. */
static int
sq_run_rows(sqlite3 *db, sqlite3_stmt *s, struct sq_run *run,
	    store_row_cb cb, void *ctx)
{
	int ncol = sqlite3_column_count(s);
	const char *names[ncol ? ncol : 1];
	const char *vals[ncol ? ncol : 1];
	bool numeric[ncol ? ncol : 1];
	int step;

	for (int i = 0; i < ncol; i++)
		names[i] = sqlite3_column_name(s, i);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (run->max_rows && run->rows >= run->max_rows)
			return err_set(ERR_TOOBIG, "%s: more than %zu rows; "
				       "narrow the query", run->what,
				       run->max_rows);
		run->rows++;
		for (int i = 0; i < ncol; i++) {
			int t = sqlite3_column_type(s, i);

			vals[i] = (const char *)sqlite3_column_text(s, i);
			numeric[i] = t == SQLITE_INTEGER || t == SQLITE_FLOAT;
		}
		if (cb(ctx, ncol, names, vals, numeric) != 0)
			return 0;
	}
	if (step == SQLITE_DONE)
		return 0;
	if (run->timed_out)
		return err_set(ERR_TOOBIG, "%s: stopped at the time limit of "
			       "%d s", run->what, SQ_QUERY_SECONDS);
	return err_set(step == SQLITE_AUTH || step == SQLITE_READONLY
			       ? ERR_READONLY : ERR_STORE,
		       "%s: %s", run->what, sqlite3_errmsg(db));
}

/* Run every statement of text on the read-only connection, refusing any
 * that would write before it runs. */
static int
sq_run_text(struct store *st, const char *text, struct sq_run *run,
	    store_row_cb cb, void *ctx)
{
	struct sq *sq = st->impl;
	sqlite3 *db = NULL;
	const char *tail = text;
	int rc;

	if ((rc = sq_ro_conn(sq, st, &db)) < 0)
		return rc;
	if (run->deadline_ns)
		sqlite3_progress_handler(db, 1000, sq_run_progress, run);
	while (tail && *tail && rc == 0) {
		sqlite3_stmt *s = NULL;
		const char *next;

		if (sqlite3_prepare_v2(db, tail, -1, &s, &next) != SQLITE_OK) {
			rc = err_set(ERR_PARSE, "%s: %s", run->what,
				     sqlite3_errmsg(db));
			break;
		}
		tail = next;
		if (!s)
			continue; /* whitespace or a comment */
		if (!sqlite3_stmt_readonly(s))
			rc = err_set(ERR_READONLY, "%s: refused: only read-only "
				     "statements are allowed", run->what);
		else if ((rc = sq_run_bind(s, run)) == 0)
			rc = sq_run_rows(db, s, run, cb, ctx);
		sqlite3_finalize(s);
	}
	if (run->deadline_ns)
		sqlite3_progress_handler(db, 0, NULL, NULL);
	return rc;
}

static int
sq_sql(struct store *st, const char *query, store_row_cb cb, void *ctx)
{
	struct sq_run run = { .what = "sql" };

	return sq_run_text(st, query, &run, cb, ctx);
}

/* The read-only connection sees only committed rows, so a query first
 * commits the batch in progress (and opens the next): a playbook step
 * must see the threat and events written just before it. */
static int
sq_flush(struct sq *sq)
{
	int rc;

	if (sq->tx_depth == 0)
		return 0;
	if ((rc = sq_exec(sq, "COMMIT")) < 0)
		return rc;
	return sq_exec(sq, "BEGIN IMMEDIATE");
}

static int
sq_query(struct store *st, const char *sql, const struct store_param *params,
	 size_t nparams, size_t max_rows, store_row_cb cb, void *ctx)
{
	struct sq_run run = {
		.what = "query",
		.params = params,
		.nparams = nparams,
		.max_rows = max_rows,
	};
	struct timespec ts;
	int rc;

	if ((rc = sq_flush(st->impl)) < 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	run.deadline_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
			  (int64_t)SQ_QUERY_SECONDS * 1000000000;
	return sq_run_text(st, sql, &run, cb, ctx);
}

static int
sq_bulk_load(struct store *st, bool start)
{
	struct sq *sq = st->impl;
	uint64_t n = 1;
	int rc;

	if (start) {
		if (sq->bulk || sq->tx_depth > 0)
			return 0;
		if ((rc = sq_count_events(st, &n)) < 0 || n > 0)
			return rc;
		for (size_t i = 0; i < sizeof(event_index_names) /
					sizeof(event_index_names[0]); i++) {
			char sql[96];

			snprintf(sql, sizeof(sql), "DROP INDEX IF EXISTS %s",
				 event_index_names[i]);
			if ((rc = sq_exec(sq, sql)) < 0)
				return rc;
		}
		/* fewer, larger checkpoints: each one rewrites pages the
		 * load is about to touch again */
		sq_exec(sq, "PRAGMA wal_autocheckpoint = 16384");
		sq->bulk = true;
		return 0;
	}
	if (!sq->bulk)
		return 0;
	sq->bulk = false;
	if ((rc = sq_commit(st)) < 0)
		return rc;
	sq_exec(sq, "PRAGMA wal_autocheckpoint = 1000");
	if ((rc = sq_exec(sq, "BEGIN IMMEDIATE")) < 0)
		return rc;
	if ((rc = sq_ensure_indexes(sq)) < 0) {
		sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if ((rc = sq_exec(sq, "COMMIT")) < 0)
		return rc;
	/* leave no large WAL behind for the readers that follow */
	return sq_exec(sq, "PRAGMA wal_checkpoint(TRUNCATE)");
}

static int
sq_optimize(struct store *st)
{
	struct sq *sq = st->impl;

	if (sq->tx_depth > 0)
		return 0;
	/* a sampled ANALYZE: milliseconds even on millions of rows */
	return sq_exec(sq, "PRAGMA analysis_limit = 1000; ANALYZE;");
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

/* ---- threats and reports ------------------------------------------------ */

/* The columns row_to_threat reads, in its order. */
#define THREAT_COLS \
	"id, detection, title, source, severity, status, actor, src_ip," \
	" resource, host, container, account, region, first_ns, last_ns," \
	" count, tactics, verdict, confidence, kb_version"

static const char *const cached_sql[SQC_COUNT] = {
	[SQC_THREAT_PUT] =
		"INSERT INTO threats (id, detection, title, source, severity,"
		" status, actor, src_ip, resource, host, container, account,"
		" region, entity_key, first_ns, last_ns, count, tactics, verdict,"
		" confidence, kb_version, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		" ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
		" ?20, ?21, ?22) ON CONFLICT(id) DO UPDATE SET"
		" detection = excluded.detection, title = excluded.title,"
		" source = excluded.source, severity = excluded.severity,"
		" status = excluded.status, actor = excluded.actor,"
		" src_ip = excluded.src_ip, resource = excluded.resource,"
		" host = excluded.host, container = excluded.container,"
		" account = excluded.account, region = excluded.region,"
		" entity_key = excluded.entity_key, first_ns = excluded.first_ns,"
		" last_ns = excluded.last_ns, count = excluded.count,"
		" tactics = excluded.tactics, verdict = excluded.verdict,"
		" confidence = excluded.confidence,"
		" kb_version = excluded.kb_version",
	[SQC_THREAT_FIND_OPEN] =
		"SELECT id FROM threats WHERE detection = ?1 AND entity_key = ?2"
		" AND last_ns >= ?3 AND first_ns <= ?4"
		" ORDER BY last_ns DESC, id LIMIT 1",
	[SQC_THREAT_LINK] =
		"INSERT INTO threat_events (threat_id, event_id) VALUES (?1, ?2)"
		" ON CONFLICT DO NOTHING",
	[SQC_THREAT_GET] =
		"SELECT " THREAT_COLS " FROM threats WHERE id = ?1",
};

/* The cached statement, reset and unbound, ready for use. */
static int
sq_cached(struct sq *sq, enum sq_cached which, sqlite3_stmt **out)
{
	if (!sq->cached[which] &&
	    sqlite3_prepare_v3(sq->db, cached_sql[which], -1,
			       SQLITE_PREPARE_PERSISTENT, &sq->cached[which],
			       NULL) != SQLITE_OK)
		return sq_error(sq->db, sq->path, "preparing a threat statement");
	*out = sq->cached[which];
	return 0;
}

static void
sq_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int
sq_threat_put(struct store *st, const struct threat *t)
{
	struct sq *sq = st->impl;
	char key[THREAT_KEY_BUFSZ];
	sqlite3_stmt *s;
	int rc;

	if (!t->id || !t->detection || !t->source)
		return err_set(ERR_USAGE, "threat without id, detection or source");
	if ((rc = sq_cached(sq, SQC_THREAT_PUT, &s)) < 0)
		return rc;
	threat_entity_key((const char *const *)t->ent, key);
	bind_text(s, 1, t->id);
	bind_text(s, 2, t->detection);
	bind_text(s, 3, t->title);
	bind_text(s, 4, t->source);
	bind_text(s, 5, t->severity ? t->severity : "unknown");
	bind_text(s, 6, t->status ? t->status : "new");
	for (int e = 0; e < TE_COUNT; e++)
		bind_text(s, 7 + e, t->ent[e]);
	bind_text(s, 14, key);
	if (t->has_time) {
		sqlite3_bind_int64(s, 15, t->first_ns);
		sqlite3_bind_int64(s, 16, t->last_ns);
	}
	sqlite3_bind_int64(s, 17, (sqlite3_int64)t->count);
	bind_text(s, 18, t->tactics);
	bind_text(s, 19, t->verdict);
	if (t->confidence >= 0)
		sqlite3_bind_int(s, 20, t->confidence);
	bind_text(s, 21, t->kb_version);
	sqlite3_bind_int64(s, 22, now_ns());
	rc = sqlite3_step(s);
	sq_done(s);
	if (rc != SQLITE_DONE)
		return sq_error(sq->db, sq->path, "storing threat");
	return 0;
}

/* a + b, held inside the int64 range. */
static int64_t
sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

static int
sq_threat_find_open(struct store *st, const char *detection,
		    const char *entity_key, int64_t time_ns, int64_t window_ns,
		    char **id)
{
	struct sq *sq = st->impl;
	sqlite3_stmt *s;
	int rc, step;

	if ((rc = sq_cached(sq, SQC_THREAT_FIND_OPEN, &s)) < 0)
		return rc;
	bind_text(s, 1, detection);
	bind_text(s, 2, entity_key);
	sqlite3_bind_int64(s, 3, sat_add(time_ns, -window_ns));
	sqlite3_bind_int64(s, 4, sat_add(time_ns, window_ns));
	step = sqlite3_step(s);
	if (step == SQLITE_ROW &&
	    !(*id = strdup((const char *)sqlite3_column_text(s, 0))))
		rc = err_set(ERR_NOMEM, "out of memory");
	else if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = sq_error(sq->db, sq->path, "finding an open threat");
	sq_done(s);
	return rc;
}

static int
sq_threat_link(struct store *st, const char *threat_id, const char *event_id,
	       bool *added)
{
	struct sq *sq = st->impl;
	sqlite3_stmt *s;
	int rc;

	if (!threat_id || !event_id)
		return err_set(ERR_USAGE, "link without threat or event id");
	if ((rc = sq_cached(sq, SQC_THREAT_LINK, &s)) < 0)
		return rc;
	bind_text(s, 1, threat_id);
	bind_text(s, 2, event_id);
	rc = sqlite3_step(s);
	sq_done(s);
	if (rc != SQLITE_DONE)
		return sq_error(sq->db, sq->path, "linking an event to a threat");
	if (added)
		*added = sqlite3_changes(sq->db) > 0;
	return 0;
}

/* Severity as a number SQL can sort by; mirrors threat_severity_rank. */
#define SEVERITY_RANK_SQL \
	"CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3" \
	" WHEN 'medium' THEN 2 WHEN 'low' THEN 1 WHEN 'info' THEN 0" \
	" ELSE -1 END"

/* Fill t with pointers into the current row (borrowed until the next
 * step). Column order is THREAT_COLS. */
static void
row_to_threat(sqlite3_stmt *s, struct threat *t)
{
#define COL(i) ((char *)sqlite3_column_text(s, (i)))
	threat_init(t);
	t->id = COL(0);
	t->detection = COL(1);
	t->title = COL(2);
	t->source = COL(3);
	t->severity = COL(4);
	t->status = COL(5);
	for (int e = 0; e < TE_COUNT; e++)
		t->ent[e] = COL(6 + e);
	if (sqlite3_column_type(s, 13) != SQLITE_NULL) {
		t->has_time = true;
		t->first_ns = sqlite3_column_int64(s, 13);
		t->last_ns = sqlite3_column_int64(s, 14);
	}
	t->count = (uint64_t)sqlite3_column_int64(s, 15);
	t->tactics = COL(16);
	t->verdict = COL(17);
	if (sqlite3_column_type(s, 18) != SQLITE_NULL)
		t->confidence = sqlite3_column_int(s, 18);
	t->kb_version = COL(19);
#undef COL
}

/* One threat by id: grouping looks up one per alert it joins. */
static int
sq_threat_get(struct sq *sq, const char *id, store_threat_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	struct threat t;
	int rc, step;

	if ((rc = sq_cached(sq, SQC_THREAT_GET, &s)) < 0)
		return rc;
	bind_text(s, 1, id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		row_to_threat(s, &t);
		rc = cb(ctx, &t);
	} else if (step != SQLITE_DONE) {
		rc = sq_error(sq->db, sq->path, "reading a threat");
	}
	sq_done(s);
	return rc;
}

static int
sq_threat_list(struct store *st, const struct threat_filter *f,
	       store_threat_cb cb, void *ctx)
{
	struct sq *sq = st->impl;
	struct buf q;
	sqlite3_stmt *s = NULL;
	const char *glue = " WHERE ";
	int rc = 0, n = 0, step, min_rank = 0;

	if (f->severity && (min_rank = threat_severity_rank(f->severity)) < 0)
		return err_set(ERR_USAGE, "severity \"%s\": give info, low, "
			       "medium, high or critical", f->severity);
	if (f->id && !f->status && !f->source && !f->severity)
		return sq_threat_get(sq, f->id, cb, ctx);
	buf_init(&q);
	buf_adds(&q, "SELECT " THREAT_COLS " FROM threats");
	if (f->id) {
		buf_printf(&q, "%sid = ?%d", glue, ++n);
		glue = " AND ";
	}
	if (f->status) {
		buf_printf(&q, "%sstatus = ?%d", glue, ++n);
		glue = " AND ";
	}
	if (f->source) {
		buf_printf(&q, "%ssource = ?%d", glue, ++n);
		glue = " AND ";
	}
	if (f->severity)
		buf_printf(&q, "%s" SEVERITY_RANK_SQL " >= ?%d", glue, ++n);
	buf_adds(&q, " ORDER BY " SEVERITY_RANK_SQL " DESC, last_ns DESC, id");
	if (f->limit)
		buf_printf(&q, " LIMIT %zu", f->limit);
	if (!q.data) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(sq->db, q.data, -1, &s, NULL) != SQLITE_OK) {
		rc = sq_error(sq->db, sq->path, "preparing threat query");
		goto out;
	}
	n = 0;
	if (f->id)
		sqlite3_bind_text(s, ++n, f->id, -1, SQLITE_STATIC);
	if (f->status)
		sqlite3_bind_text(s, ++n, f->status, -1, SQLITE_STATIC);
	if (f->source)
		sqlite3_bind_text(s, ++n, f->source, -1, SQLITE_STATIC);
	if (f->severity)
		sqlite3_bind_int(s, ++n, min_rank);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct threat t;

		row_to_threat(s, &t);
		if ((rc = cb(ctx, &t)) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = sq_error(sq->db, sq->path, "listing threats");
out:
	sqlite3_finalize(s);
	buf_dispose(&q);
	return rc;
}

static int
sq_threat_events(struct store *st, const char *threat_id, store_id_cb cb,
		 void *ctx)
{
	struct sq *sq = st->impl;
	sqlite3_stmt *s = NULL;
	int rc = 0, step;

	if (sqlite3_prepare_v2(sq->db,
			       "SELECT te.event_id FROM threat_events te"
			       " LEFT JOIN events e ON e.id = te.event_id"
			       " WHERE te.threat_id = ?1"
			       " ORDER BY e.time, te.event_id", -1, &s,
			       NULL) != SQLITE_OK)
		return sq_error(sq->db, sq->path, "preparing threat events");
	bind_text(s, 1, threat_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = cb(ctx, (const char *)sqlite3_column_text(s, 0))) != 0)
			break;
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = sq_error(sq->db, sq->path, "listing threat events");
	sqlite3_finalize(s);
	return rc;
}

/* Run one write statement with text parameters (NULL binds NULL);
 * *changed says how many rows it touched. */
static int
sq_write(struct sq *sq, const char *sql, int nargs, const char *const *args,
	 int *changed)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(sq->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sq_error(sq->db, sq->path, "preparing a write");
	for (int i = 0; i < nargs; i++)
		bind_text(s, i + 1, args[i]);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sq_error(sq->db, sq->path, "writing");
	if (changed)
		*changed = sqlite3_changes(sq->db);
	return 0;
}

static int
sq_threat_set_status(struct store *st, const char *threat_id,
		     const char *status)
{
	const char *args[] = { threat_id, status };
	int changed = 0, rc;

	rc = sq_write(st->impl, "UPDATE threats SET status = ?2 WHERE id = ?1",
		      2, args, &changed);
	if (rc == 0 && changed == 0)
		rc = err_set(ERR_NOTFOUND, "no threat %s", threat_id);
	return rc;
}

static int
sq_report_put(struct store *st, const char *threat_id, const char *kb_version,
	      const char *verdict, int confidence, const char *report_json)
{
	struct sq *sq = st->impl;
	char conf[16];
	const char *args[] = { threat_id, kb_version, verdict,
			       confidence >= 0 ? conf : NULL, report_json };
	int changed = 0, rc;

	if (!threat_id || !report_json)
		return err_set(ERR_USAGE, "report without threat id or text");
	snprintf(conf, sizeof(conf), "%d", confidence);
	/* A savepoint keeps the threat and its report in step inside or
	 * outside a caller's transaction. */
	if ((rc = sq_exec(sq, "SAVEPOINT report_put")) < 0)
		return rc;
	rc = sq_write(sq, "UPDATE threats SET kb_version = ?2, verdict = ?3,"
		      " confidence = CAST(?4 AS INTEGER) WHERE id = ?1", 4, args,
		      &changed);
	if (rc == 0 && changed == 0)
		rc = err_set(ERR_NOTFOUND, "no threat %s", threat_id);
	if (rc == 0)
		rc = sq_write(sq, "INSERT INTO reports (threat_id, kb_version,"
			      " verdict, confidence, report) VALUES (?1, ?2, ?3,"
			      " CAST(?4 AS INTEGER), ?5) ON CONFLICT(threat_id)"
			      " DO UPDATE SET kb_version = excluded.kb_version,"
			      " verdict = excluded.verdict,"
			      " confidence = excluded.confidence,"
			      " report = excluded.report", 5, args, NULL);
	if (rc < 0) {
		sqlite3_exec(sq->db, "ROLLBACK TO report_put; RELEASE report_put",
			     NULL, NULL, NULL);
		return rc;
	}
	return sq_exec(sq, "RELEASE report_put");
}

/* The one text column sql selects for threat_id; what names it in
 * messages. */
static int
get_report_text(struct sq *sq, const char *sql, const char *threat_id,
		const char *what, char **out)
{
	sqlite3_stmt *s = NULL;
	int rc = 0, step;

	if (sqlite3_prepare_v2(sq->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sq_error(sq->db, sq->path, "preparing report query");
	bind_text(s, 1, threat_id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		if (!(*out = strdup((const char *)sqlite3_column_text(s, 0))))
			rc = err_set(ERR_NOMEM, "out of memory");
	} else if (step == SQLITE_DONE) {
		rc = err_set(ERR_NOTFOUND, "no %s for threat %s", what,
			     threat_id);
	} else {
		rc = sq_error(sq->db, sq->path, "reading report");
	}
	sqlite3_finalize(s);
	return rc;
}

static int
sq_report_get(struct store *st, const char *threat_id, char **report_json)
{
	return get_report_text(st->impl, "SELECT report FROM reports"
			       " WHERE threat_id = ?1", threat_id, "report",
			       report_json);
}

static int
sq_model_report_put(struct store *st, const char *threat_id,
		    const char *provider, const char *model,
		    const char *verdict, int confidence, const char *report_json)
{
	struct sq *sq = st->impl;
	char conf[16];
	const char *args[] = { threat_id, provider, model, verdict,
			       confidence >= 0 ? conf : NULL, report_json };

	if (!threat_id || !provider || !model || !report_json)
		return err_set(ERR_USAGE, "model report without threat, "
			       "provider, model or text");
	snprintf(conf, sizeof(conf), "%d", confidence);
	return sq_write(sq, "INSERT INTO model_reports (threat_id, provider,"
			" model, verdict, confidence, report) VALUES (?1, ?2,"
			" ?3, ?4, CAST(?5 AS INTEGER), ?6)"
			" ON CONFLICT(threat_id) DO UPDATE SET"
			" provider = excluded.provider, model = excluded.model,"
			" verdict = excluded.verdict,"
			" confidence = excluded.confidence,"
			" report = excluded.report", 6, args, NULL);
}

static int
sq_model_report_get(struct store *st, const char *threat_id,
		    char **report_json)
{
	return get_report_text(st->impl, "SELECT report FROM model_reports"
			       " WHERE threat_id = ?1", threat_id,
			       "model report", report_json);
}

static int
sq_unlinked_alerts(struct store *st, store_event_cb cb, void *ctx)
{
	struct sq *sq = st->impl;
	char sql[1024];
	sqlite3_stmt *s = NULL;
	int rc = 0, step;

	/* The kind condition is written as the partial index's own, so
	 * SQLite walks events_alerts in time order. */
	snprintf(sql, sizeof(sql), "SELECT %s FROM events AS e"
		 " WHERE kind IN ('finding', 'runtime_alert', 'detection')"
		 " AND NOT EXISTS (SELECT 1 FROM threat_events te"
		 " WHERE te.event_id = e.id) ORDER BY time, id", select_cols);
	if (sqlite3_prepare_v2(sq->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sq_error(sq->db, sq->path, "preparing alert query");
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct event ev;

		row_to_event(s, &ev);
		if ((rc = cb(ctx, &ev)) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = sq_error(sq->db, sq->path, "listing alerts");
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
	.bulk_load = sq_bulk_load,
	.optimize = sq_optimize,
	.query = sq_query,
	.threat_put = sq_threat_put,
	.threat_find_open = sq_threat_find_open,
	.threat_link = sq_threat_link,
	.threat_list = sq_threat_list,
	.threat_events = sq_threat_events,
	.threat_set_status = sq_threat_set_status,
	.report_put = sq_report_put,
	.report_get = sq_report_get,
	.model_report_put = sq_model_report_put,
	.model_report_get = sq_model_report_get,
	.unlinked_alerts = sq_unlinked_alerts,
};
