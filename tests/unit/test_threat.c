/* SPDX-License-Identifier: Apache-2.0 */
/* test_threat: grouping hits into threats, the threat queue, promoted
 * pivots, reports, parameterized read-only queries, and the Wiz Defend
 * adapter, through the public API over a real SQLite store. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/ingest.h"
#include "core/store.h"
#include "core/threat.h"
#include "tests/unit/tap.h"

#define HOUR (3600LL * 1000000000)
#define T0 1796083200000000000LL /* 2026-12-01T00:00:00Z */

static char dir[] = "/tmp/verdict-test-threat-XXXXXX";

static const char *
srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s && *s ? s : ".";
}

/* ---- helpers ------------------------------------------------------------ */

struct spec {
	const char *id, *source, *kind, *action, *actor, *src_ip, *severity;
	bool has_time;
	int64_t time;
};

static void
put(struct store *st, const struct spec *s)
{
	struct event ev;

	event_init(&ev);
	event_set(&ev, EF_ID, s->id);
	event_set(&ev, EF_SOURCE, s->source ? s->source : "test");
	event_set(&ev, EF_KIND, s->kind ? s->kind : "finding");
	event_set(&ev, EF_ACTION, s->action);
	event_set(&ev, EF_ACTOR, s->actor);
	event_set(&ev, EF_SRC_IP, s->src_ip);
	event_set(&ev, EF_ACCOUNT, "111122223333");
	event_set(&ev, EF_SEVERITY, s->severity);
	ev.has_time = s->has_time;
	ev.time_ns = s->time;
	ev.raw = "{}";
	ev.raw_len = 2;
	CHECK_INT(store_put_event(st, &ev, NULL), 0);
	event_dispose(&ev);
}

struct hit_ctx {
	struct store *st;
	struct detection_hit *h;
	char **id;
	int rc;
};

static int
on_hit_event(void *c, const struct event *ev)
{
	struct hit_ctx *ctx = c;

	ctx->h->ev = ev;
	ctx->rc = threat_add_hit(ctx->st, ctx->h, ctx->id);
	return 0;
}

/* Add a hit of detection on stored event event_id, as a detector would;
 * returns the threat id (caller frees). */
static char *
hit(struct store *st, const char *detection, const char *event_id,
    const char *severity)
{
	struct event_filter f = { .id = event_id };
	struct detection_hit h = { .detection = detection, .title = detection,
				   .source = "test", .severity = severity };
	char *id = NULL;
	struct hit_ctx ctx = { st, &h, &id, -99 };

	CHECK_INT(store_find_events(st, &f, on_hit_event, &ctx), 0);
	CHECK_INT(ctx.rc, 0);
	return id;
}

/* A threat copied out of the store for checking. */
struct got {
	int n;
	char id[8][40];
	char severity[16], status[16], title[128], verdict[16], kb[16];
	char actor[64];
	uint64_t count;
	int64_t first, last;
	int confidence;
};

static int
on_threat(void *ctx, const struct threat *t)
{
	struct got *g = ctx;

	if (g->n < 8)
		snprintf(g->id[g->n], sizeof(g->id[0]), "%s", t->id);
	if (g->n++ == 0) {
		snprintf(g->severity, sizeof(g->severity), "%s", t->severity);
		snprintf(g->status, sizeof(g->status), "%s", t->status);
		snprintf(g->title, sizeof(g->title), "%s",
			 t->title ? t->title : "(null)");
		snprintf(g->verdict, sizeof(g->verdict), "%s",
			 t->verdict ? t->verdict : "(null)");
		snprintf(g->kb, sizeof(g->kb), "%s",
			 t->kb_version ? t->kb_version : "(null)");
		snprintf(g->actor, sizeof(g->actor), "%s",
			 t->ent[TE_ACTOR] ? t->ent[TE_ACTOR] : "(null)");
		g->count = t->count;
		g->first = t->first_ns;
		g->last = t->last_ns;
		g->confidence = t->confidence;
	}
	return 0;
}

static struct got
get(struct store *st, const char *id)
{
	struct threat_filter f = { .id = id };
	struct got g;

	memset(&g, 0, sizeof(g));
	CHECK_INT(store_threat_list(st, &f, on_threat, &g), 0);
	return g;
}

static struct got
list(struct store *st, const struct threat_filter *f)
{
	struct got g;

	memset(&g, 0, sizeof(g));
	CHECK_INT(store_threat_list(st, f, on_threat, &g), 0);
	return g;
}

struct ids {
	int n;
	char v[16][48];
};

static int
on_id(void *ctx, const char *id)
{
	struct ids *ids = ctx;

	if (ids->n < 16)
		snprintf(ids->v[ids->n], sizeof(ids->v[0]), "%s", id);
	ids->n++;
	return 0;
}

struct rows {
	int n;
	char first[64];
};

static int
on_row(void *ctx, int ncol, const char *const *names,
       const char *const *values, const bool *numeric)
{
	struct rows *r = ctx;

	(void)names; (void)numeric;
	if (r->n++ == 0)
		snprintf(r->first, sizeof(r->first), "%s",
			 ncol > 0 && values[0] ? values[0] : "(null)");
	return 0;
}

static struct store *
open_store(const char *name)
{
	char path[256];
	struct store *st = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK_INT(store_open(path, 0, &st), 0);
	return st;
}

/* ---- grouping ----------------------------------------------------------- */

static const struct spec grouping_events[] = {
	{ "a1", NULL, NULL, "Probe", "alice", "192.0.2.1", "medium", true, T0 },
	{ "a2", NULL, NULL, "Probe", "alice", "192.0.2.1", "high", true, T0 + 2 * HOUR },
	{ "a0", NULL, NULL, "Probe", "alice", "192.0.2.1", "low", true, T0 - HOUR },
	{ "a3", NULL, NULL, "Probe", "alice", "192.0.2.1", "low", true, T0 + 27 * HOUR },
	{ "b1", NULL, NULL, "Probe", "bob", "192.0.2.1", "low", true, T0 + HOUR },
	{ "n1", NULL, NULL, "Probe", "carol", NULL, "low", false, 0 },
	{ "n2", NULL, NULL, "Probe", "carol", NULL, "critical", false, 0 },
};

static void
test_grouping(void)
{
	struct store *st = open_store("group.db"), *st2;
	char *id1, *id2, *id0, *id3, *idb, *idc, *n1, *n2, *again;
	struct ids ids = { 0 };
	struct got g;

	if (!st)
		return;
	for (size_t i = 0; i < sizeof(grouping_events) / sizeof(grouping_events[0]); i++)
		put(st, &grouping_events[i]);

	/* same detection, same entities, inside 24 h: one threat */
	id1 = hit(st, "test:probe", "a1", NULL);
	id2 = hit(st, "test:probe", "a2", NULL);
	CHECK(id1 && strncmp(id1, "t-", 2) == 0 && strlen(id1) == 34);
	CHECK_STR(id2, id1);
	g = get(st, id1);
	CHECK_INT(g.count, 2);
	CHECK_STR(g.severity, "high");
	CHECK_INT(g.first, T0);
	CHECK_INT(g.last, T0 + 2 * HOUR);
	CHECK_STR(g.status, "new");
	CHECK_STR(g.actor, "alice");

	/* the same hit again changes nothing */
	again = hit(st, "test:probe", "a2", NULL);
	CHECK_STR(again, id1);
	CHECK_INT(get(st, id1).count, 2);

	/* an earlier hit inside the window widens it; low keeps high */
	id0 = hit(st, "test:probe", "a0", NULL);
	CHECK_STR(id0, id1);
	g = get(st, id1);
	CHECK_INT(g.count, 3);
	CHECK_INT(g.first, T0 - HOUR);
	CHECK_STR(g.severity, "high");

	/* 25 h after the last hit: a new threat */
	id3 = hit(st, "test:probe", "a3", NULL);
	CHECK(id3 && strcmp(id3, id1) != 0);
	CHECK_INT(get(st, id3).count, 1);
	CHECK_STR(get(st, id3).severity, "low");

	/* other entities, or another detection: separate threats */
	idb = hit(st, "test:probe", "b1", NULL);
	CHECK(idb && strcmp(idb, id1) != 0);
	idc = hit(st, "test:other", "a1", NULL);
	CHECK(idc && strcmp(idc, id1) != 0);

	/* a hit's own severity overrides the event's */
	CHECK_STR(get(st, idb).severity, "low");

	/* timeless hits group with each other only */
	n1 = hit(st, "test:probe", "n1", NULL);
	n2 = hit(st, "test:probe", "n2", NULL);
	CHECK_STR(n2, n1);
	g = get(st, n1);
	CHECK_INT(g.count, 2);
	CHECK_STR(g.severity, "critical");

	/* linked events in time order */
	CHECK_INT(store_threat_events(st, id1, on_id, &ids), 0);
	CHECK_INT(ids.n, 3);
	CHECK_STR(ids.v[0], "a0");
	CHECK_STR(ids.v[1], "a1");
	CHECK_STR(ids.v[2], "a2");

	/* ids are a function of the data: a second store agrees */
	st2 = open_store("group2.db");
	if (st2) {
		char *other;

		put(st2, &grouping_events[0]);
		other = hit(st2, "test:probe", "a1", NULL);
		CHECK_STR(other, id1);
		free(other);
		store_close(st2);
	}
	free(id1); free(id2); free(id0); free(id3); free(idb); free(idc);
	free(n1); free(n2); free(again);
	store_close(st);
}

/* ---- the queue ---------------------------------------------------------- */

static const struct spec queue_events[] = {
	{ "q-info", NULL, NULL, "I", "u1", NULL, "info", true, T0 + 5 * HOUR },
	{ "q-crit-old", NULL, NULL, "C", "u2", NULL, "critical", true, T0 },
	{ "q-unknown", NULL, NULL, "U", "u3", NULL, NULL, true, T0 + 9 * HOUR },
	{ "q-crit-new", NULL, NULL, "C", "u4", NULL, "critical", true, T0 + HOUR },
	{ "q-med", NULL, NULL, "M", "u5", NULL, "medium", true, T0 + 3 * HOUR },
	{ "q-low", NULL, NULL, "L", "u6", NULL, "low", true, T0 + 4 * HOUR },
	{ "q-high", NULL, NULL, "H", "u7", NULL, "high", true, T0 + 2 * HOUR },
};

static void
test_queue(void)
{
	struct store *st = open_store("queue.db");
	struct threat_filter f = { 0 };
	char *ids[7];
	struct got g;
	const int order[] = { 3, 1, 6, 4, 5, 0, 2 }; /* expected list order */

	if (!st)
		return;
	for (int i = 0; i < 7; i++) {
		put(st, &queue_events[i]);
		ids[i] = hit(st, "test:queue", queue_events[i].id, NULL);
	}
	CHECK_STR(get(st, ids[2]).severity, "unknown");
	g = list(st, &f);
	CHECK_INT(g.n, 7);
	for (int i = 0; i < 7; i++)
		CHECK_STR(g.id[i], ids[order[i]]);

	f.severity = "high";
	g = list(st, &f);
	CHECK_INT(g.n, 3);
	CHECK_STR(g.id[2], ids[6]);
	f.severity = NULL;
	f.limit = 2;
	g = list(st, &f);
	CHECK_INT(g.n, 2);
	f.limit = 0;
	f.severity = "severe";
	{
		struct got none = { 0 };

		CHECK_INT(store_threat_list(st, &f, on_threat, &none), ERR_USAGE);
	}
	f.severity = NULL;

	CHECK_INT(store_threat_set_status(st, ids[0], "investigating"), 0);
	CHECK_INT(store_threat_set_status(st, ids[0], "bogus"), ERR_USAGE);
	CHECK_INT(store_threat_set_status(st, "t-none", "decided"), ERR_NOTFOUND);
	f.status = "investigating";
	g = list(st, &f);
	CHECK_INT(g.n, 1);
	CHECK_STR(g.id[0], ids[0]);
	f.status = NULL;
	f.source = "pivot";
	CHECK_INT(list(st, &f).n, 0);
	f.source = "test";
	CHECK_INT(list(st, &f).n, 7);

	/* reports: stored with the threat, copied onto it, replaced */
	{
		char *json = NULL;

		CHECK_INT(store_report_get(st, ids[1], &json), ERR_NOTFOUND);
		CHECK(json == NULL);
		CHECK_INT(store_report_put(st, ids[1], "kb-0001", "malicious", 87,
					   "{\"verdict\":\"malicious\"}"), 0);
		g = get(st, ids[1]);
		CHECK_STR(g.verdict, "malicious");
		CHECK_INT(g.confidence, 87);
		CHECK_STR(g.kb, "kb-0001");
		CHECK_INT(store_report_get(st, ids[1], &json), 0);
		CHECK_STR(json, "{\"verdict\":\"malicious\"}");
		free(json);
		CHECK_INT(store_report_put(st, ids[1], "kb-0002", "benign", 40,
					   "{\"verdict\":\"benign\"}"), 0);
		g = get(st, ids[1]);
		CHECK_STR(g.verdict, "benign");
		CHECK_INT(g.confidence, 40);
		CHECK_INT(store_report_get(st, ids[1], &json), 0);
		CHECK_STR(json, "{\"verdict\":\"benign\"}");
		free(json);
		CHECK_INT(store_report_put(st, "t-none", "kb", "benign", 1, "{}"),
			  ERR_NOTFOUND);
		/* a threat without a report says so */
		CHECK_INT(get(st, ids[0]).confidence, -1);
		CHECK_STR(get(st, ids[0]).verdict, "(null)");
	}
	for (int i = 0; i < 7; i++)
		free(ids[i]);
	store_close(st);

	/* a read-only handle refuses every threat write */
	{
		char path[256];
		struct store *ro = NULL;
		struct threat t;
		bool added;

		snprintf(path, sizeof(path), "%s/queue.db", dir);
		CHECK_INT(store_open(path, STORE_READONLY, &ro), 0);
		if (!ro)
			return;
		threat_init(&t);
		t.id = (char *)"t-x";
		t.detection = (char *)"x";
		t.source = (char *)"x";
		CHECK_INT(store_threat_put(ro, &t), ERR_READONLY);
		CHECK_INT(store_threat_link(ro, "t-x", "e", &added), ERR_READONLY);
		CHECK_INT(store_threat_set_status(ro, "t-x", "new"), ERR_READONLY);
		CHECK_INT(store_report_put(ro, "t-x", "kb", "benign", 1, "{}"),
			  ERR_READONLY);
		f.source = NULL;
		CHECK_INT(list(ro, &f).n, 7);
		store_close(ro);
	}
}

/* ---- store_query -------------------------------------------------------- */

static void
test_query(void)
{
	struct store *st = open_store("query.db");
	struct rows r;
	const struct spec ev = { "qe1", NULL, NULL, "GetObject", "alice",
				 "192.0.2.9", NULL, true, T0 };
	const struct store_param by_actor[] = {
		{ .name = ":actor", .value = "alice" },
		{ .name = ":since", .is_int = true, .ival = T0 },
		{ .name = ":unused", .value = "x" },
	};

	if (!st)
		return;
	/* a query sees what the same process wrote just before, even
	 * inside a batch */
	CHECK_INT(store_begin(st), 0);
	put(st, &ev);
	memset(&r, 0, sizeof(r));
	CHECK_INT(store_query(st, "SELECT id FROM events WHERE actor = :actor"
			      " AND time >= :since", by_actor, 3, 10, on_row, &r), 0);
	CHECK_INT(r.n, 1);
	CHECK_STR(r.first, "qe1");
	CHECK_INT(store_commit(st), 0);

	/* a parameter nobody supplied is NULL */
	memset(&r, 0, sizeof(r));
	CHECK_INT(store_query(st, "SELECT :missing IS NULL", by_actor, 3, 0,
			      on_row, &r), 0);
	CHECK_STR(r.first, "1");
	/* names without their colon are accepted */
	{
		const struct store_param bare = { .name = "actor", .value = "alice" };

		memset(&r, 0, sizeof(r));
		CHECK_INT(store_query(st, "SELECT count(*) FROM events WHERE "
				      "actor = :actor", &bare, 1, 0, on_row, &r), 0);
		CHECK_STR(r.first, "1");
	}

	/* max_rows: exactly max is fine, one more is ERR_TOOBIG */
	memset(&r, 0, sizeof(r));
	CHECK_INT(store_query(st, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
			      "SELECT x + 1 FROM c WHERE x < 5) SELECT x FROM c",
			      NULL, 0, 5, on_row, &r), 0);
	CHECK_INT(r.n, 5);
	memset(&r, 0, sizeof(r));
	CHECK_INT(store_query(st, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
			      "SELECT x + 1 FROM c WHERE x < 6) SELECT x FROM c",
			      NULL, 0, 5, on_row, &r), ERR_TOOBIG);
	CHECK_INT(r.n, 5);
	CHECK(strstr(err_msg(), "more than 5 rows") != NULL);

	/* writes are refused before they run */
	CHECK_INT(store_query(st, "DELETE FROM events", NULL, 0, 0, on_row, &r),
		  ERR_READONLY);
	CHECK_INT(store_query(st, "SELECT 1; DROP TABLE events", NULL, 0, 0,
			      on_row, &r), ERR_READONLY);
	CHECK_INT(store_query(st, "UPDATE threats SET status = :s", NULL, 0, 0,
			      on_row, &r), ERR_READONLY);
	CHECK(store_query(st, "ATTACH DATABASE '/tmp/x.db' AS x", NULL, 0, 0,
			  on_row, &r) < 0);
	memset(&r, 0, sizeof(r));
	CHECK_INT(store_query(st, "SELECT count(*) FROM events", NULL, 0, 0,
			      on_row, &r), 0);
	CHECK_STR(r.first, "1");

	/* a runaway query ends at the time limit */
	CHECK_INT(store_query(st, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
			      "SELECT x + 1 FROM c) SELECT count(*) FROM c",
			      NULL, 0, 0, on_row, &r), ERR_TOOBIG);
	CHECK(strstr(err_msg(), "time limit") != NULL);
	store_close(st);
}

/* ---- real alerts -------------------------------------------------------- */

static void
ingest_dir(struct store *st, const char *rel)
{
	char path[512];
	struct ingest *in = NULL;

	snprintf(path, sizeof(path), "%s/%s", srcdir(), rel);
	CHECK_INT(ingest_new(st, NULL, &in), 0);
	if (!in)
		return;
	CHECK_INT(ingest_path(in, path), 0);
	CHECK_INT(ingest_finish(in), 0);
	ingest_free(in);
}

static int
count_source(struct store *st, const char *source)
{
	struct threat_filter f = { .source = source };
	struct got g;

	memset(&g, 0, sizeof(g));
	CHECK_INT(store_threat_list(st, &f, on_threat, &g), 0);
	return g.n;
}

static void
test_build(void)
{
	struct store *st = open_store("build.db");
	uint64_t added = 99;
	struct ids ids = { 0 };
	char *pivot = NULL, *again = NULL;
	struct got g;

	if (!st)
		return;
	ingest_dir(st, "tests/data/falco-alerts");
	ingest_dir(st, "tests/data/wiz");
	ingest_dir(st, "tests/data/stratus-red-team-detonations/"
		   "aws.defense-evasion.cloudtrail-event-selectors.json");
	CHECK_INT(threat_build(st, &added), 0);
	/* falco: 8 alerts of 6 rules in alerts.jsonl (4 terminal shells in
	 * 4 containers) and 8 open_from_cat on one host; wiz: 4 detections,
	 * two of them one rule on one actor, address and bucket */
	CHECK_INT(added, 12);
	CHECK_INT(count_source(st, "falco"), 9);
	CHECK_INT(count_source(st, "wiz"), 3);
	CHECK_INT(threat_build(st, &added), 0);
	CHECK_INT(added, 0);

	{
		struct threat_filter f = { .source = "falco", .severity = "medium" };

		g = list(st, &f);
		CHECK_INT(g.n, 2);
		/* the later of the two medium Falco threats comes first */
		CHECK_STR(g.title, "Disallowed K8s User");
		CHECK_STR(g.actor, "csi-cinder-controller");
		CHECK_INT(g.count, 1);
		CHECK_STR(get(st, g.id[1]).title, "open_from_cat");
		CHECK_INT(get(st, g.id[1]).count, 8);
	}
	{
		struct threat_filter f = { .source = "wiz", .severity = "high" };

		g = list(st, &f);
		CHECK_INT(g.n, 2);
		CHECK_STR(g.title, "Reverse shell from a container");
		CHECK_STR(g.severity, "critical");
		CHECK_STR(g.actor, "www-data");
		g = get(st, g.id[1]);
		CHECK_STR(g.title, "Access key used from an unfamiliar network");
		CHECK_STR(g.actor, "arn:aws:iam::111122223333:user/example-ci-deployer");
		CHECK_INT(g.count, 2);
		CHECK_STR(g.severity, "high");
	}

	/* an analyst's pivot on the Stratus PutEventSelectors call */
	CHECK_INT(threat_promote(st, "c2a89408-340a-42f0-8ace-75d9f5769393",
				 &pivot), 0);
	CHECK(pivot != NULL);
	if (pivot) {
		g = get(st, pivot);
		CHECK_STR(g.title, "Pivot: PutEventSelectors by "
			  "arn:aws:iam::958312252124:user/christophe");
		CHECK_STR(g.severity, "medium");
		CHECK_INT(g.count, 1);
		CHECK_INT(g.first, 1722430202000000000LL);
		CHECK_INT(store_threat_events(st, pivot, on_id, &ids), 0);
		CHECK_INT(ids.n, 1);
		CHECK_STR(ids.v[0], "c2a89408-340a-42f0-8ace-75d9f5769393");
	}
	CHECK_INT(threat_promote(st, "c2a89408-340a-42f0-8ace-75d9f5769393",
				 &again), 0);
	CHECK_STR(again, pivot);
	CHECK_INT(count_source(st, "pivot"), 1);
	free(again);
	again = NULL;
	CHECK_INT(threat_promote(st, "no-such-event", &again), ERR_NOTFOUND);
	CHECK(again == NULL);
	/* the pivoted API call is linked now, but still no alert */
	CHECK_INT(threat_build(st, &added), 0);
	CHECK_INT(added, 0);
	free(pivot);
	store_close(st);
}

/* ---- the Wiz Defend adapter --------------------------------------------- */

static char *
slurp(const char *rel, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", srcdir(), rel);
	if (!(f = fopen(path, "rb")))
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Normalize one Wiz file into list (which the caller disposes). */
static void
wiz_file(const char *name, struct event_list *list)
{
	char rel[256];
	struct ingest_sink sink;
	size_t len = 0;
	char *text;
	cJSON *rec;

	snprintf(rel, sizeof(rel), "tests/data/wiz/%s", name);
	sink_collect_init(&sink, list);
	text = slurp(rel, &len);
	CHECK(text != NULL);
	if (!text)
		return;
	rec = cJSON_Parse(text);
	CHECK(rec != NULL);
	CHECK(adapter_detect(rec) == &adapter_wiz);
	CHECK_INT(adapter_wiz.normalize(rec, text, len, &sink), 0);
	CHECK_INT(list->n, 1);
	cJSON_Delete(rec);
	free(text);
}

static void
test_wiz(void)
{
	struct event_list l;
	const struct event *ev;

	wiz_file("aws-credential-use.json", &l);
	if (l.n == 1) {
		ev = &l.v[0];
		CHECK_STR(ev->str[EF_ID], "00000000-0000-4000-8000-00000000c001");
		CHECK_STR(ev->str[EF_SOURCE], "wiz");
		CHECK_STR(ev->str[EF_KIND], "detection");
		CHECK_STR(ev->str[EF_ACTION], "Access key used from an unfamiliar network");
		CHECK_STR(ev->str[EF_ACTOR], "arn:aws:iam::111122223333:user/example-ci-deployer");
		CHECK_STR(ev->str[EF_ACTOR_TYPE], "USER_ACCOUNT");
		CHECK_STR(ev->str[EF_SRC_IP], "203.0.113.45");
		CHECK_STR(ev->str[EF_RESOURCE], "arn:aws:s3:::example-artifacts");
		CHECK_STR(ev->str[EF_ACCOUNT], "111122223333");
		CHECK_STR(ev->str[EF_REGION], "eu-west-1");
		CHECK_STR(ev->str[EF_SEVERITY], "high");
		CHECK(ev->has_time);
		CHECK_INT(ev->time_ns, 1796026443000000000LL); /* 2026-11-30T08:14:03Z */
		CHECK(ev->attrs && strstr(ev->attrs,
			"\"tactics\":[\"TA0001\",\"TA0006\"]") != NULL);
		CHECK(ev->attrs && strstr(ev->attrs,
			"\"threat_id\":\"00000000-0000-4000-8000-0000000a0001\"") != NULL);
	}
	event_list_dispose(&l);

	wiz_file("runtime-reverse-shell.json", &l);
	if (l.n == 1) {
		ev = &l.v[0];
		CHECK_STR(ev->str[EF_ACTION], "Reverse shell from a container");
		CHECK_STR(ev->str[EF_ACTOR], "www-data");
		CHECK_STR(ev->str[EF_SRC_IP], "198.51.100.23");
		CHECK_STR(ev->str[EF_CONTAINER], "0f1e2d3c4b5a");
		CHECK_STR(ev->str[EF_ACCOUNT], "444455556666");
		CHECK_STR(ev->str[EF_SEVERITY], "critical");
		CHECK_INT(ev->time_ns, 1796182858013000000LL);
	}
	event_list_dispose(&l);

	/* wrapped beside its trigger; the actor is an address */
	wiz_file("forwarded-port-probe.json", &l);
	if (l.n == 1) {
		ev = &l.v[0];
		CHECK_STR(ev->str[EF_ID], "00000000-0000-4000-8000-00000000c004");
		CHECK_STR(ev->str[EF_ACTION], "Recon:EC2/PortProbeUnprotectedPort");
		CHECK_STR(ev->str[EF_ACTOR], NULL);
		CHECK_STR(ev->str[EF_SRC_IP], "192.0.2.77");
		CHECK_STR(ev->str[EF_HOST], "example-bastion");
		CHECK_STR(ev->str[EF_RESOURCE], "i-0example00000004");
		CHECK_STR(ev->str[EF_ACCOUNT], "777788889999");
		CHECK_STR(ev->str[EF_SEVERITY], "info");
	}
	event_list_dispose(&l);

	/* hostile shapes: wrong types everywhere, no rule at all */
	{
		struct ingest_sink sink;
		const char *bad = "{\"threatId\":7,\"primaryActor\":[1],"
				  "\"primaryResource\":\"x\",\"severity\":{},"
				  "\"triggeringEvents\":{\"nodes\":3},"
				  "\"mitreTactics\":[null,2,\"TA0001\"],"
				  "\"title\":\"t\"}";
		cJSON *rec = cJSON_Parse(bad);

		sink_collect_init(&sink, &l);
		CHECK_INT(adapter_wiz.normalize(rec, bad, strlen(bad), &sink), 0);
		CHECK_INT(l.n, 1);
		if (l.n == 1) {
			CHECK(strncmp(l.v[0].str[EF_ID], "wiz-", 4) == 0);
			CHECK_STR(l.v[0].str[EF_SEVERITY], NULL);
			CHECK(strstr(l.v[0].attrs, "\"tactics\":[\"TA0001\"]") != NULL);
		}
		cJSON_Delete(rec);
		event_list_dispose(&l);
		bad = "{\"threatId\":\"x\",\"primaryActor\":{}}";
		rec = cJSON_Parse(bad);
		sink_collect_init(&sink, &l);
		CHECK_INT(adapter_wiz.normalize(rec, bad, strlen(bad), &sink),
			  ERR_FIELD);
		CHECK_INT(l.n, 0);
		cJSON_Delete(rec);
		event_list_dispose(&l);
	}
}

int
main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(threat_severity_rank("critical"), 4);
	CHECK_INT(threat_severity_rank("info"), 0);
	CHECK_INT(threat_severity_rank("unknown"), -1);
	CHECK_INT(threat_severity_rank(NULL), -1);
	test_grouping();
	test_queue();
	test_query();
	test_build();
	test_wiz();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK_INT(system(cmd), 0);
	}
	return tap_done();
}
