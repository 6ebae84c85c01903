/* SPDX-License-Identifier: Apache-2.0 */
/* investigate: the deterministic playbook engine. It loads a threat and
 * its triggering events, picks the playbook, runs each step (read-only SQL
 * or a built-in lookup), turns the rows into findings and score through
 * the playbook's rules, and writes a report that shows all of it. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "core/blast.h"
#include "core/buf.h"
#include "core/cond.h"
#include "core/error.h"
#include "core/investigate.h"
#include "core/jsonu.h"
#include "core/netaddr.h"
#include "core/store.h"
#include "core/timeutil.h"
#include "core/trace.h"
#include "core/utf8.h"

#define MAX_TRIGGER_EVENTS 200  /* triggering events read per threat */
#define ROWS_KEPT 20            /* rows shown per step in the report */
#define CITES_PER_FINDING 50
#define MAX_KEYS 5
#define MAX_VARS 40

/* Monotonic time, for the trace only. */
static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- addresses and intel -------------------------------------------------- */

/* Parse an address into bytes; *len 4 or 16. */
static bool
addr_bytes(const char *s, unsigned char out[16], int *len)
{
	char canon[NETADDR_BUFSZ];

	if (!netaddr_canon_ip(s, canon))
		return false;
	if (inet_pton(AF_INET, canon, out) == 1) {
		*len = 4;
		return true;
	}
	if (inet_pton(AF_INET6, canon, out) == 1) {
		*len = 16;
		return true;
	}
	return false;
}

/* 1 inside, 0 outside, -1 when cidr is not a range. */
static int
cidr_contains(const char *cidr, const char *ip)
{
	unsigned char net[16], a[16];
	char base[NETADDR_BUFSZ];
	const char *slash = strchr(cidr, '/');
	int nlen, alen, bits = 0;
	size_t blen;

	if (!slash || (blen = (size_t)(slash - cidr)) == 0 ||
	    blen >= sizeof(base) || !slash[1] || strlen(slash + 1) > 3)
		return -1;
	for (const char *p = slash + 1; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		bits = bits * 10 + (*p - '0');
	}
	memcpy(base, cidr, blen);
	base[blen] = '\0';
	if (!addr_bytes(base, net, &nlen) || bits > nlen * 8)
		return -1;
	if (!ip || !addr_bytes(ip, a, &alen) || alen != nlen)
		return 0;
	for (int i = 0; i < bits / 8; i++)
		if (a[i] != net[i])
			return 0;
	if (bits % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));

		if ((a[bits / 8] & mask) != (net[bits / 8] & mask))
			return 0;
	}
	return 1;
}

bool
investigate_cidr_valid(const char *cidr)
{
	return cidr && cidr_contains(cidr, NULL) >= 0;
}

bool
investigate_intel_match(const char *entry, const char *value)
{
	unsigned char x[16], y[16];
	int xl, yl;
	size_t el, vl;

	if (!entry || !value || !*entry || !*value)
		return false;
	if (strchr(entry, '/'))
		return cidr_contains(entry, value) == 1;
	if (addr_bytes(entry, x, &xl))
		return addr_bytes(value, y, &yl) && xl == yl &&
		       memcmp(x, y, (size_t)xl) == 0;
	/* A domain covers itself and every name under it. */
	el = strlen(entry);
	vl = strlen(value);
	if (vl < el || strcasecmp(value + vl - el, entry) != 0)
		return false;
	return vl == el || value[vl - el - 1] == '.';
}

/* ---- result rows ------------------------------------------------------------ */

struct rowset {
	size_t ncols;
	char **names;
	size_t nrows, cap;
	char **cells;      /* nrows * ncols, NULL for SQL NULL */
	bool *numeric;
	bool truncated;    /* the store stopped at max_rows */
	int failed;        /* an error the row callback met, or 0 */
};

static void
rows_dispose(struct rowset *rs)
{
	for (size_t i = 0; i < rs->ncols; i++)
		free(rs->names[i]);
	free(rs->names);
	for (size_t i = 0; i < rs->nrows * rs->ncols; i++)
		free(rs->cells[i]);
	free(rs->cells);
	free(rs->numeric);
	memset(rs, 0, sizeof(*rs));
}

static int
rows_set_cols(struct rowset *rs, size_t ncol, const char *const *names)
{
	if (!(rs->names = calloc(ncol ? ncol : 1, sizeof(*rs->names))))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < ncol; i++) {
		if (!(rs->names[i] = strdup(names[i] ? names[i] : "?")))
			return err_set(ERR_NOMEM, "out of memory");
		rs->ncols++;
	}
	return 0;
}

static int
rows_add(struct rowset *rs, const char *const *vals, const bool *numeric)
{
	size_t at;

	if (rs->nrows == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		char **cells = realloc(rs->cells, cap * rs->ncols * sizeof(*cells));
		bool *num;

		if (!cells)
			return err_set(ERR_NOMEM, "out of memory");
		rs->cells = cells;
		if (!(num = realloc(rs->numeric, cap * rs->ncols * sizeof(*num))))
			return err_set(ERR_NOMEM, "out of memory");
		rs->numeric = num;
		rs->cap = cap;
	}
	at = rs->nrows * rs->ncols;
	for (size_t i = 0; i < rs->ncols; i++) {
		rs->cells[at + i] = NULL;
		rs->numeric[at + i] = numeric && numeric[i];
	}
	rs->nrows++;
	/* Columns may come straight from raw records: repair them here so
	 * that every finding and report built from them is valid UTF-8. */
	for (size_t i = 0; i < rs->ncols; i++)
		if (vals[i] && !(rs->cells[at + i] =
				 utf8_valid(vals[i], strlen(vals[i]))
				 ? strdup(vals[i])
				 : utf8_dup_repaired(vals[i], strlen(vals[i]))))
			return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int
rows_col(const struct rowset *rs, const char *name)
{
	for (size_t i = 0; name && i < rs->ncols; i++)
		if (strcmp(rs->names[i], name) == 0)
			return (int)i;
	return -1;
}

static const char *
rows_cell(const struct rowset *rs, size_t row, int col)
{
	return col < 0 ? NULL : rs->cells[row * rs->ncols + (size_t)col];
}

/* The first ROWS_KEPT rows as a JSON array of objects, columns in order. */
static char *
rows_json(const struct rowset *rs)
{
	cJSON *arr = cJSON_CreateArray();
	char *out;

	for (size_t r = 0; arr && r < rs->nrows && r < ROWS_KEPT; r++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToArray(arr, o);
		for (size_t c = 0; o && c < rs->ncols; c++) {
			const char *v = rs->cells[r * rs->ncols + c];
			double d;
			char *end;

			if (!v) {
				cJSON_AddNullToObject(o, rs->names[c]);
			} else if (rs->numeric[r * rs->ncols + c] &&
				   (d = strtod(v, &end), *end == '\0') &&
				   d == d && d - d == 0) {
				/* Keep SQLite's own digits: a double would
				 * round 19-digit nanosecond times. */
				cJSON_AddRawToObject(o, rs->names[c], v);
			} else {
				cJSON_AddStringToObject(o, rs->names[c], v);
			}
		}
	}
	out = arr ? cJSON_PrintUnformatted(arr) : NULL;
	cJSON_Delete(arr);
	return out;
}

static int
on_sql_row(void *ctx, int ncol, const char *const *names,
	   const char *const *values, const bool *numeric)
{
	struct rowset *rs = ctx;

	if (!rs->names && (rs->failed = rows_set_cols(rs, (size_t)ncol,
						      names)) < 0)
		return 1;
	if ((size_t)ncol != rs->ncols) {
		rs->failed = err_set(ERR_FIELD, "the query's statements give "
				     "different columns");
		return 1;
	}
	return (rs->failed = rows_add(rs, values, numeric)) < 0;
}

/* ---- the investigation's state ------------------------------------------------ */

struct trigger {
	struct event ev;    /* owned copy, raw not kept */
	bool sample;        /* attrs.sample: a generated sample finding */
	char *event_source; /* attrs.event_source */
};

struct fired {
	size_t step, rule;
	int score;
	bool key;
	char *text;
	char **cited;
	size_t ncited;
};

struct inv {
	struct store *st;
	const struct kb_data *kb;
	struct threat t;
	struct trigger *trig;
	size_t ntrig;
	const struct playbook *pb;
	bool has_window;
	int64_t win_start, win_end;
	bool real;
	char *real_reason;
	struct blast *blast;
	bool blast_tried;
	char *blast_err;
	struct fired *fired;
	size_t nfired;
	struct {
		char *source;
		bool present;
	} req[16];          /* requires checks already made */
	size_t nreq;
};

/* ---- loading ------------------------------------------------------------------ */

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
on_threat(void *ctx, const struct threat *src)
{
	struct threat *t = ctx;

	threat_dispose(t);
	t->id = dup_or_null(src->id);
	t->detection = dup_or_null(src->detection);
	t->title = dup_or_null(src->title);
	t->source = dup_or_null(src->source);
	t->severity = dup_or_null(src->severity);
	t->status = dup_or_null(src->status);
	for (int e = 0; e < TE_COUNT; e++)
		t->ent[e] = dup_or_null(src->ent[e]);
	t->has_time = src->has_time;
	t->first_ns = src->first_ns;
	t->last_ns = src->last_ns;
	t->count = src->count;
	t->tactics = dup_or_null(src->tactics);
	t->confidence = src->confidence;
	if (!t->id)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int
load_threat(struct store *st, const char *id, struct threat *t)
{
	struct threat_filter f = { .id = id };
	int rc;

	threat_init(t);
	if ((rc = store_threat_list(st, &f, on_threat, t)) < 0)
		return rc;
	if (!t->id)
		return err_set(ERR_NOTFOUND, "no threat %s", id);
	return 0;
}

struct id_list {
	char **ids;
	size_t n;
};

static int
on_event_id(void *ctx, const char *id)
{
	struct id_list *l = ctx;
	char **grown;

	if (l->n >= MAX_TRIGGER_EVENTS)
		return 1;
	if (!(grown = realloc(l->ids, (l->n + 1) * sizeof(*grown))))
		return err_set(ERR_NOMEM, "out of memory");
	l->ids = grown;
	if (!(l->ids[l->n] = strdup(id)))
		return err_set(ERR_NOMEM, "out of memory");
	l->n++;
	return 0;
}

static int
on_trigger_event(void *ctx, const struct event *ev)
{
	struct trigger *tr = ctx;
	cJSON *attrs;

	event_init(&tr->ev);
	for (int f = 0; f < EF_COUNT; f++)
		if (ev->str[f] && event_set(&tr->ev, (enum event_field)f,
					    ev->str[f]) < 0)
			return ERR_NOMEM;
	tr->ev.has_time = ev->has_time;
	tr->ev.time_ns = ev->time_ns;
	if (ev->attrs && (attrs = cJSON_Parse(ev->attrs))) {
		const cJSON *s = jsonu_key(attrs, "sample");

		tr->sample = cJSON_IsTrue(s);
		tr->event_source = dup_or_null(jsonu_str(attrs, "event_source"));
		cJSON_Delete(attrs);
	}
	return 1;  /* one event per id */
}

static void
triggers_free(struct trigger *trig, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		event_dispose(&trig[i].ev);
		free(trig[i].event_source);
	}
	free(trig);
}

/* The threat's triggering events, in time order. */
static int
load_triggers(struct store *st, const char *threat_id, struct trigger **out,
	      size_t *nout)
{
	struct id_list ids = { 0 };
	struct trigger *trig = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = store_threat_events(st, threat_id, on_event_id, &ids)) < 0)
		goto out;
	rc = 0;
	if (ids.n && !(trig = calloc(ids.n, sizeof(*trig)))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ids.n; i++) {
		struct event_filter f = { .id = ids.ids[i], .limit = 1 };

		event_init(&trig[n].ev);
		if ((rc = store_find_events(st, &f, on_trigger_event,
					    &trig[n])) < 0)
			goto out;
		rc = 0;
		if (trig[n].ev.str[EF_ID])
			n++;
	}
	*out = trig;
	*nout = n;
	trig = NULL;
out:
	/* calloc'd: entries never filled free as nothing. */
	triggers_free(trig, trig ? ids.n : 0);
	for (size_t i = 0; i < ids.n; i++)
		free(ids.ids[i]);
	free(ids.ids);
	return rc;
}

/* ---- choosing the playbook ------------------------------------------------------ */

static bool
event_matches(const struct pb_match *m, const struct trigger *tr)
{
	if (m->nactions) {
		const char *a = tr->ev.str[EF_ACTION];
		size_t k;

		for (k = 0; a && k < m->nactions; k++)
			if (strcmp(m->actions[k], a) == 0)
				break;
		if (!a || k == m->nactions)
			return false;
	}
	if (m->event_source &&
	    (!tr->event_source || !cond_glob(m->event_source, tr->event_source)))
		return false;
	if (m->kind && (!tr->ev.str[EF_KIND] ||
			strcmp(m->kind, tr->ev.str[EF_KIND]) != 0))
		return false;
	return true;
}

static bool
entry_matches(const struct pb_match *m, const struct threat *t,
	      const struct trigger *trig, size_t ntrig)
{
	if (m->detection && (!t->detection ||
			     !cond_glob(m->detection, t->detection)))
		return false;
	if (m->source && (!t->source || !cond_glob(m->source, t->source)))
		return false;
	if (!m->nactions && !m->event_source && !m->kind)
		return true;
	/* The event-level keys must hold on one and the same event. */
	for (size_t i = 0; i < ntrig; i++)
		if (event_matches(m, &trig[i]))
			return true;
	return false;
}

static bool
playbook_applies(const struct playbook *pb, const struct threat *t,
		 const struct trigger *trig, size_t ntrig)
{
	if (pb->napplies == 0)
		return true;
	for (size_t i = 0; i < pb->napplies; i++)
		if (entry_matches(&pb->applies[i], t, trig, ntrig))
			return true;
	return false;
}

static const struct playbook *
choose(const struct kb_data *kb, const struct threat *t,
       const struct trigger *trig, size_t ntrig)
{
	const struct playbook *best = NULL;

	for (size_t i = 0; kb && i < kb->nplaybooks; i++) {
		const struct playbook *pb = kb->playbooks[i];

		if (!playbook_applies(pb, t, trig, ntrig))
			continue;
		if (!best || pb->priority > best->priority ||
		    (pb->priority == best->priority &&
		     strcmp(pb->id, best->id) < 0))
			best = pb;
	}
	return best;
}

const struct playbook *
investigate_choose(const struct kb_data *kb, struct store *st,
		   const struct threat *t)
{
	const struct playbook *pb;
	struct trigger *trig = NULL;
	size_t ntrig = 0;

	if (t->id && load_triggers(st, t->id, &trig, &ntrig) < 0)
		ntrig = 0;
	pb = choose(kb, t, trig, ntrig);
	triggers_free(trig, ntrig);
	return pb;
}

/* ---- parameters ----------------------------------------------------------------- */

enum param_id {
	P_ACTOR, P_SRC_IP, P_RESOURCE, P_HOST, P_CONTAINER, P_ACCOUNT, P_REGION,
	P_DETECTION, P_START, P_END, P_WIN_START, P_WIN_END, P_EVENT_ID,
	P_THREAT_ID, P_BASE_START, P_SOURCE, P_COUNT
};

static const char *const param_names[P_COUNT] = {
	":actor", ":src_ip", ":resource", ":host", ":container", ":account",
	":region", ":detection", ":start", ":end", ":win_start", ":win_end",
	":event_id", ":threat_id", ":base_start", ":source",
};

struct params {
	struct store_param p[P_COUNT];
};

static void
params_fill(const struct inv *iv, struct params *ps)
{
	const struct threat *t = &iv->t;

	memset(ps, 0, sizeof(*ps));
	for (int i = 0; i < P_COUNT; i++)
		ps->p[i].name = param_names[i];
	for (int e = 0; e < TE_COUNT; e++)
		ps->p[P_ACTOR + e].value = t->ent[e];
	ps->p[P_DETECTION].value = t->detection;
	ps->p[P_THREAT_ID].value = t->id;
	ps->p[P_EVENT_ID].value = iv->ntrig ? iv->trig[0].ev.str[EF_ID] : NULL;
	if (t->has_time) {
		ps->p[P_START].is_int = ps->p[P_END].is_int = true;
		ps->p[P_START].ival = t->first_ns;
		ps->p[P_END].ival = t->last_ns;
	}
	if (iv->has_window) {
		ps->p[P_WIN_START].is_int = ps->p[P_WIN_END].is_int = true;
		ps->p[P_WIN_START].ival = iv->win_start;
		ps->p[P_WIN_END].ival = iv->win_end;
	}
}

static bool
ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The query with its parameters written in, for the reader (never run):
 * text quoted, times with their ISO form in a comment. Quoted strings and
 * comments of the query are left alone. */
static char *
fill_query(const char *sql, const struct store_param *ps, size_t nps)
{
	struct buf b;
	const char *s = sql;

	buf_init(&b);
	while (*s) {
		if (*s == '\'' || *s == '"') {
			const char *e = s + 1;

			while (*e && *e != *s)
				e++;
			buf_add(&b, s, (size_t)(*e ? e + 1 - s : e - s));
			s = *e ? e + 1 : e;
			continue;
		}
		if (s[0] == '-' && s[1] == '-') {
			size_t n = strcspn(s, "\n");

			buf_add(&b, s, n);
			s += n;
			continue;
		}
		if (*s == ':' && ident_char(s[1]) && (s == sql || !ident_char(s[-1]))) {
			size_t n = 1, k;

			while (ident_char(s[n]))
				n++;
			for (k = 0; k < nps; k++)
				if (strlen(ps[k].name) == n &&
				    strncmp(ps[k].name, s, n) == 0)
					break;
			if (k < nps) {
				const struct store_param *p = &ps[k];

				if (p->is_int) {
					char when[TIMEUTIL_BUFSZ];

					buf_printf(&b, "%lld /* %s */",
						   (long long)p->ival,
						   timeutil_format(p->ival, when));
				} else if (!p->value) {
					buf_adds(&b, "NULL");
				} else {
					buf_addc(&b, '\'');
					for (const char *v = p->value; *v; v++) {
						if (*v == '\'')
							buf_addc(&b, '\'');
						buf_addc(&b, *v);
					}
					buf_addc(&b, '\'');
				}
				s += n;
				continue;
			}
		}
		buf_addc(&b, *s++);
	}
	return b.data ? buf_detach(&b) : strdup("");
}

/* ---- one step ---------------------------------------------------------------------- */

/* What a step runner hands back besides its rows. */
struct step_run {
	const struct pb_step *ps;
	struct step_result *out;
	struct rowset rows;
	int cite_col;             /* column of ids to cite, or -1 */
	const char *cite_prefix;  /* e.g. "allowlist:" */
	unsigned char *cite_default; /* rows cited when no predicate chose:
				      * NULL means every row */
	struct cond_var vars[MAX_VARS];
	size_t nvars;
	struct params params;
	char *gap;
};

static void
add_var(struct step_run *sr, const char *name, struct cond_value v)
{
	if (sr->nvars < MAX_VARS) {
		sr->vars[sr->nvars].name = name;
		sr->vars[sr->nvars].v = v;
		sr->nvars++;
	}
}

static int
set_gap(struct step_run *sr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
set_gap(struct step_run *sr, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	free(sr->gap);
	if (!(sr->gap = strdup(text)))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* The variables every step sees, from the threat. */
static void
threat_vars(const struct inv *iv, struct step_run *sr)
{
	const struct threat *t = &iv->t;

	add_var(sr, "severity", cond_str(t->severity));
	add_var(sr, "source", cond_str(t->source));
	add_var(sr, "detection", cond_str(t->detection));
	add_var(sr, "title", cond_str(t->title));
	add_var(sr, "count", cond_num((double)t->count));
	add_var(sr, "real", cond_bool(iv->real));
	for (int e = 0; e < TE_COUNT; e++)
		add_var(sr, threat_entity_names[e], cond_str(t->ent[e]));
}

static int
run_sql(struct inv *iv, struct step_run *sr)
{
	const struct pb_step *ps = sr->ps;
	int rc;

	sr->out->query = fill_query(ps->query, sr->params.p, P_COUNT);
	rc = store_query(iv->st, ps->query, sr->params.p, P_COUNT, ps->max_rows,
			 on_sql_row, &sr->rows);
	if (rc == 0 && sr->rows.failed)
		rc = sr->rows.failed;
	/* Too many rows keeps the first max_rows; a query stopped by the
	 * store's time limit has no trustworthy rows at all. */
	if (rc == ERR_TOOBIG && sr->rows.nrows >= ps->max_rows)
		sr->rows.truncated = true;
	else if (rc < 0) {
		rows_dispose(&sr->rows);
		return set_gap(sr, "The query failed: %s", err_msg());
	}
	sr->cite_col = rows_col(&sr->rows, ps->cite ? ps->cite : "id");
	return 0;
}

static const struct {
	const char *field;
	enum event_field ef;
	int entity;       /* TE_* or -1 */
	bool indexed;     /* the store has an index on (field, time) */
} field_map[] = {
	{ "src_ip", EF_SRC_IP, TE_SRC_IP, true },
	{ "dst_ip", EF_DST_IP, -1, false },
	{ "src_domain", EF_SRC_DOMAIN, -1, false },
	{ "user_agent", EF_USER_AGENT, -1, false },
	{ "region", EF_REGION, TE_REGION, false },
	{ "action", EF_ACTION, -1, true },
	{ "account", EF_ACCOUNT, TE_ACCOUNT, false },
	{ "actor", EF_ACTOR, TE_ACTOR, true },
	{ "resource", EF_RESOURCE, TE_RESOURCE, true },
	{ "host", EF_HOST, TE_HOST, false },
};

/* A first_seen baseline over a field without an index reads the actor's
 * events one by one: at most this many, the most recent, so that a busy
 * service principal costs a bounded time. */
#define BASELINE_SCAN_LIMIT 10000

static int
field_index(const char *field)
{
	for (size_t i = 0; field && i < sizeof(field_map) / sizeof(*field_map); i++)
		if (strcmp(field_map[i].field, field) == 0)
			return (int)i;
	return -1;
}

struct count_ctx {
	long long n;
};

static int
on_count(void *ctx, int ncol, const char *const *names,
	 const char *const *values, const bool *numeric)
{
	struct count_ctx *c = ctx;

	(void)names; (void)numeric;
	if (ncol >= 1 && values[0])
		c->n = atoll(values[0]);
	return 0;
}

/* The threat's values of a field: its entity, then each triggering
 * event's, distinct, in that order. *ids gets the first triggering event
 * with each value (NULL for the entity alone). Borrowed strings. */
#define MAX_VALUES 20

static size_t
threat_values(const struct inv *iv, int fi, const char **vals,
	      const char **ids)
{
	size_t n = 0;

	for (size_t i = 0; fi >= 0 && i <= iv->ntrig; i++) {
		const char *v, *id = NULL;
		size_t k;

		if (i == 0) {
			if (field_map[fi].entity < 0)
				continue;
			v = iv->t.ent[field_map[fi].entity];
		} else {
			v = iv->trig[i - 1].ev.str[field_map[fi].ef];
			id = iv->trig[i - 1].ev.str[EF_ID];
		}
		if (!v)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(vals[k], v) == 0)
				break;
		if (k < n) {
			if (!ids[k])
				ids[k] = id;
			continue;
		}
		if (n == MAX_VALUES)
			break;
		vals[n] = v;
		ids[n++] = id;
	}
	return n;
}

/* Has the actor used the threat's values of the field before the window,
 * in the lookback? One row per value: how often the actor used it in the
 * window, its first event there, and `new` holding the value when the
 * baseline lacks it. Probes per value, so the cost follows the threat, not
 * how busy the actor is. */
static int
run_first_seen(struct inv *iv, struct step_run *sr)
{
	const struct pb_step *ps = sr->ps;
	const char *f = ps->field;
	const char *vals[MAX_VALUES], *ids[MAX_VALUES];
	struct store_param params[P_COUNT + MAX_VALUES];
	char names[MAX_VALUES][24];
	struct count_ctx base = { 0 };
	struct buf q, bq;
	int rc = 0, fi = field_index(f), newc;
	size_t nv;
	bool any_new = false;

	buf_init(&q);
	buf_init(&bq);
	if (fi < 0 || !iv->t.ent[TE_ACTOR] || !iv->has_window) {
		sr->out->query = strdup("(not run)");
		return set_gap(sr, !iv->t.ent[TE_ACTOR]
			       ? "The threat names no actor, so there is no "
				 "baseline to compare with"
			       : "The threat has no time, so there is no "
				 "baseline to compare with");
	}
	sr->params.p[P_BASE_START].is_int = true;
	sr->params.p[P_BASE_START].ival = iv->win_start - ps->lookback_ns;
	memcpy(params, sr->params.p, sizeof(sr->params.p));
	nv = threat_values(iv, fi, vals, ids);
	/* The field is one of a fixed list (checked at load), never text
	 * from the playbook pasted into SQL; the values are bound. */
	for (size_t i = 0; i < nv; i++) {
		snprintf(names[i], sizeof(names[i]), ":v%zu", i + 1);
		params[P_COUNT + i] = (struct store_param){ .name = names[i],
							    .value = vals[i] };
		buf_printf(&q, "%s(%s)", i ? ", " : "WITH v(value) AS (VALUES ",
			   names[i]);
	}
	buf_printf(&q,
		   ")\nSELECT v.value AS value,\n"
		   "  (SELECT count(*) FROM events e WHERE e.actor = :actor\n"
		   "    AND e.%s = v.value AND e.time >= :win_start"
		   " AND e.time < :win_end) AS events,\n"
		   "  (SELECT e.id FROM events e WHERE e.actor = :actor\n"
		   "    AND e.%s = v.value AND e.time >= :win_start"
		   " AND e.time < :win_end\n"
		   "    ORDER BY e.time, e.id LIMIT 1) AS id,\n"
		   "  CASE WHEN EXISTS (", f, f);
	if (field_map[fi].indexed)
		buf_printf(&q, "SELECT 1 FROM events b WHERE b.actor = :actor\n"
			   "    AND b.%s = v.value AND b.time >= :base_start"
			   " AND b.time < :win_start)\n", f);
	else
		buf_printf(&q, "SELECT 1 FROM (SELECT b.%s AS f FROM events b\n"
			   "    WHERE b.actor = :actor AND b.time >= :base_start"
			   " AND b.time < :win_start\n"
			   "    ORDER BY b.time DESC LIMIT %d) WHERE f = v.value)\n",
			   f, BASELINE_SCAN_LIMIT);
	buf_adds(&q, "    THEN NULL ELSE v.value END AS new\nFROM v");
	buf_adds(&bq, "SELECT count(*) AS baseline FROM events\n"
		 "WHERE actor = :actor AND time >= :base_start"
		 " AND time < :win_start");
	if ((nv && !q.data) || !bq.data) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	{
		char *shown_q = nv ? fill_query(q.data, params, P_COUNT + nv)
				   : NULL;
		char *shown_b = fill_query(bq.data, params, P_COUNT);
		struct buf both;

		buf_init(&both);
		if (shown_q)
			buf_printf(&both, "%s;\n", shown_q);
		buf_adds(&both, shown_b ? shown_b : "");
		free(shown_q);
		free(shown_b);
		sr->out->query = buf_detach(&both);
	}
	if (nv)
		rc = store_query(iv->st, q.data, params, P_COUNT + nv, 0,
				 on_sql_row, &sr->rows);
	if (rc == 0 && sr->rows.failed)
		rc = sr->rows.failed;
	if (rc == 0)
		rc = store_query(iv->st, bq.data, params, P_COUNT, 1, on_count,
				 &base);
	if (rc < 0) {
		rows_dispose(&sr->rows);
		rc = set_gap(sr, "The baseline query failed: %s", err_msg());
		goto out;
	}
	if (!sr->rows.names) {
		static const char *const cols[] = { "value", "events", "id",
						    "new" };

		if ((rc = rows_set_cols(&sr->rows, 4, cols)) < 0)
			goto out;
	}
	/* A value only the detector saw (no event of the actor carries it)
	 * cites the triggering event. */
	for (size_t r = 0; r < sr->rows.nrows && r < nv; r++) {
		char **id = &sr->rows.cells[r * sr->rows.ncols + 2];

		if (!*id && ids[r] && !(*id = strdup(ids[r]))) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	/* Cite the new values' events when there are new values, else
	 * every value's. */
	newc = rows_col(&sr->rows, "new");
	for (size_t r = 0; r < sr->rows.nrows; r++)
		any_new |= rows_cell(&sr->rows, r, newc) != NULL;
	if (any_new && !(sr->cite_default = calloc(sr->rows.nrows, 1))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t r = 0; any_new && r < sr->rows.nrows; r++)
		sr->cite_default[r] = rows_cell(&sr->rows, r, newc) != NULL;
	sr->cite_col = rows_col(&sr->rows, "id");
	add_var(sr, "first_seen", cond_bool(any_new));
	add_var(sr, "baseline", cond_num((double)base.n));
	add_var(sr, "value", cond_str(nv ? vals[0] : NULL));
out:
	buf_dispose(&q);
	buf_dispose(&bq);
	return rc;
}

static const struct intel_list *
find_list(const struct kb_data *kb, const char *name)
{
	for (size_t i = 0; kb && i < kb->nintel; i++)
		if (strcmp(kb->intel[i].name, name) == 0)
			return &kb->intel[i];
	return NULL;
}

/* The threat's values of the field (its entity, then each triggering
 * event's), against one intel list. */
static int
run_intel(struct inv *iv, struct step_run *sr)
{
	static const char *const cols[] = { "value", "listed", "match", "id" };
	static const bool num[4] = { false, true, false, false };
	const struct pb_step *ps = sr->ps;
	const struct intel_list *list = find_list(iv->kb, ps->list);
	const char *vals[MAX_VALUES], *ids[MAX_VALUES];
	const char *first_listed = NULL;
	size_t nv = threat_values(iv, field_index(ps->field), vals, ids);
	struct buf q;
	int rc;

	buf_init(&q);
	buf_printf(&q, "intel: the threat's %s values against the list %s",
		   ps->field, ps->list);
	sr->out->query = buf_detach(&q);
	add_var(sr, "list", cond_str(ps->list));
	if ((rc = rows_set_cols(&sr->rows, 4, cols)) < 0)
		return rc;
	sr->cite_col = 3;
	if (!list)
		return set_gap(sr, "The intel list %s is not in the knowledge "
			       "base", ps->list);
	if (nv && !(sr->cite_default = calloc(nv, 1)))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < nv; i++) {
		const char *match = NULL;
		const char *cells[4];

		for (size_t k = 0; k < list->nentries && !match; k++)
			if (investigate_intel_match(list->entries[k], vals[i]))
				match = list->entries[k];
		cells[0] = vals[i];
		cells[1] = match ? "1" : "0";
		cells[2] = match;
		cells[3] = ids[i];
		if ((rc = rows_add(&sr->rows, cells, num)) < 0)
			return rc;
		sr->cite_default[i] = match != NULL;
		if (match && !first_listed)
			first_listed = vals[i];
	}
	add_var(sr, "listed", cond_bool(first_listed != NULL));
	add_var(sr, "value", cond_str(first_listed ? first_listed
				      : nv ? vals[0] : NULL));
	return 0;
}

static bool
glob_or_any(const char *pattern, const char *value)
{
	return !pattern || (value && cond_glob(pattern, value));
}

/* Entries whose scope covers the threat; an expired one is listed with
 * its expiry and does not apply. */
static int
run_allowlist(struct inv *iv, struct step_run *sr)
{
	static const char *const cols[] = { "entry", "applies", "reason",
					    "expires", "analyst", "note" };
	const struct threat *t = &iv->t;
	const char *reason = NULL, *entry = NULL;
	int rc;

	if (!(sr->out->query = strdup("allowlist: entries whose detection, "
				      "account, actor, resource and address "
				      "range cover the threat")))
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = rows_set_cols(&sr->rows, 6, cols)) < 0)
		return rc;
	sr->cite_col = 0;
	sr->cite_prefix = "allowlist:";
	for (size_t i = 0; iv->kb && i < iv->kb->nallow; i++) {
		const struct allow_entry *a = &iv->kb->allow[i];
		const bool num[6] = { false, true, false, false, false, false };
		char expires[16] = "", note[96] = "";
		const char *cells[6];
		bool applies = true;

		if (!glob_or_any(a->detection, t->detection) ||
		    !glob_or_any(a->account, t->ent[TE_ACCOUNT]) ||
		    !glob_or_any(a->actor, t->ent[TE_ACTOR]) ||
		    !glob_or_any(a->resource, t->ent[TE_RESOURCE]) ||
		    (a->cidr && cidr_contains(a->cidr, t->ent[TE_SRC_IP]) != 1))
			continue;
		if (a->expires_ns) {
			char when[TIMEUTIL_BUFSZ];

			snprintf(expires, sizeof(expires), "%.10s",
				 timeutil_format(a->expires_ns, when));
			if (!t->has_time) {
				applies = false;
				snprintf(note, sizeof(note), "the threat has no "
					 "time to check the expiry %s against",
					 expires);
			} else if (t->first_ns >= a->expires_ns) {
				applies = false;
				snprintf(note, sizeof(note), "expired on %s",
					 expires);
			}
		}
		cells[0] = a->id;
		cells[1] = applies ? "1" : "0";
		cells[2] = a->reason;
		cells[3] = a->expires_ns ? expires : NULL;
		cells[4] = a->analyst;
		cells[5] = note[0] ? note : NULL;
		if ((rc = rows_add(&sr->rows, cells, num)) < 0)
			return rc;
		if (applies && !entry) {
			entry = a->id;
			reason = a->reason;
		}
	}
	if (sr->rows.nrows && !(sr->cite_default = calloc(sr->rows.nrows, 1)))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t r = 0; r < sr->rows.nrows; r++)
		sr->cite_default[r] = sr->rows.cells[r * 6 + 1][0] == '1';
	add_var(sr, "allowlisted", cond_bool(entry != NULL));
	add_var(sr, "reason", cond_str(reason));
	add_var(sr, "entry", cond_str(entry));
	return 0;
}

/* Computed once per investigation: the permissions step and the report's
 * blast radius share it. */
static const struct blast *
get_blast(struct inv *iv)
{
	if (!iv->blast_tried && iv->t.ent[TE_ACTOR]) {
		int64_t t0 = mono_ns();

		iv->blast_tried = true;
		if (blast_compute(iv->st, iv->t.ent[TE_ACTOR],
				  iv->has_window ? iv->win_start : INT64_MIN,
				  iv->has_window ? iv->win_end : INT64_MAX,
				  &iv->blast) < 0) {
			iv->blast = NULL;
			iv->blast_err = strdup(err_msg());
		}
		trace(TRACE_DEBUG, "investigate %s: blast radius in %.2f ms",
		      iv->t.id, (double)(mono_ns() - t0) / 1e6);
	}
	return iv->blast;
}

static struct cond_value
allows_cb(void *ctx, const char *action)
{
	const struct blast *b = ctx;
	struct cond_value v = { .type = CV_MISSING };

	if (!b || !b->known)
		return v;
	return cond_bool(blast_allows(b, action));
}

static int
run_permissions(struct inv *iv, struct step_run *sr)
{
	static const char *const cols[] = { "path", "description", "via" };
	const struct blast *b;
	int rc;

	if (!(sr->out->query = strdup("permissions: the actor's effective "
				      "policy from the identity configuration")))
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = rows_set_cols(&sr->rows, 3, cols)) < 0)
		return rc;
	if (!iv->t.ent[TE_ACTOR])
		return set_gap(sr, "The threat names no actor whose "
			       "permissions could be checked");
	if (!(b = get_blast(iv)))
		return set_gap(sr, "The permissions could not be computed: %s",
			       iv->blast_err ? iv->blast_err : "unknown error");
	for (size_t i = 0; i < b->npaths; i++) {
		const char *cells[3] = { b->paths[i].name,
					 b->paths[i].description,
					 b->paths[i].via };

		if ((rc = rows_add(&sr->rows, cells, NULL)) < 0)
			return rc;
	}
	add_var(sr, "known", cond_bool(b->known));
	add_var(sr, "admin", b->known ? cond_bool(b->admin)
				      : (struct cond_value){ .type = CV_MISSING });
	add_var(sr, "paths", cond_num((double)b->npaths));
	add_var(sr, "principal", cond_str(b->principal));
	return 0;
}

static int
run_prior(struct inv *iv, struct step_run *sr)
{
	static const char *const cols[] = { "commit", "verdict", "analyst",
					    "note" };
	struct prior_decision *d = NULL;
	size_t n = 0;
	double mal = 0, ben = 0, sus = 0;
	int rc;

	if (!(sr->out->query = strdup("prior decisions: analysts' verdicts on "
				      "similar threats")))
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = rows_set_cols(&sr->rows, 4, cols)) < 0)
		return rc;
	sr->cite_col = 0;
	if (iv->kb && iv->kb->prior_lookup &&
	    iv->kb->prior_lookup(iv->kb->prior_ctx, &iv->t, &d, &n) < 0) {
		set_gap(sr, "Prior decisions could not be read: %s", err_msg());
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		const char *cells[4] = { d[i].commit, d[i].verdict, d[i].analyst,
					 d[i].note };

		if (d[i].verdict) {
			mal += strcmp(d[i].verdict, "malicious") == 0;
			ben += strcmp(d[i].verdict, "benign") == 0;
			sus += strcmp(d[i].verdict, "suspicious") == 0;
		}
		if (rc == 0)
			rc = rows_add(&sr->rows, cells, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		free(d[i].commit);
		free(d[i].verdict);
		free(d[i].analyst);
		free(d[i].note);
	}
	free(d);
	add_var(sr, "prior_malicious", cond_num(mal));
	add_var(sr, "prior_benign", cond_num(ben));
	add_var(sr, "prior_suspicious", cond_num(sus));
	return rc;
}

/* Runners by step kind: one table, no switch. */
static int (*const step_runners[])(struct inv *, struct step_run *) = {
	[STEP_SQL] = run_sql,
	[STEP_FIRST_SEEN] = run_first_seen,
	[STEP_INTEL] = run_intel,
	[STEP_ALLOWLIST] = run_allowlist,
	[STEP_PERMISSIONS] = run_permissions,
	[STEP_PRIOR_DECISIONS] = run_prior,
};

/* Are there events of source in the window? Remembered per source. */
static int
source_present(struct inv *iv, const char *source, bool *present)
{
	struct params ps;
	struct count_ctx c = { 0 };
	const char *sql = iv->has_window
		? "SELECT count(*) FROM (SELECT 1 FROM events WHERE source = "
		  ":source AND time >= :win_start AND time < :win_end LIMIT 1)"
		: "SELECT count(*) FROM (SELECT 1 FROM events WHERE source = "
		  ":source LIMIT 1)";
	int rc;

	for (size_t i = 0; i < iv->nreq; i++) {
		if (strcmp(iv->req[i].source, source) == 0) {
			*present = iv->req[i].present;
			return 0;
		}
	}
	params_fill(iv, &ps);
	ps.p[P_SOURCE].value = source;
	if ((rc = store_query(iv->st, sql, ps.p, P_COUNT, 1, on_count, &c)) < 0)
		return rc;
	*present = c.n > 0;
	if (iv->nreq < sizeof(iv->req) / sizeof(iv->req[0]) &&
	    (iv->req[iv->nreq].source = strdup(source))) {
		iv->req[iv->nreq].present = *present;
		iv->nreq++;
	}
	return 0;
}

/* ---- rules and citations ----------------------------------------------------------- */

static int
cite_add(char ***list, size_t *n, const char *prefix, const char *id)
{
	struct buf b;
	char **grown;

	if (*n >= CITES_PER_FINDING)
		return 0;
	buf_init(&b);
	buf_printf(&b, "%s%s", prefix ? prefix : "", id);
	if (!b.data)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*list)[i], b.data) == 0) {
			buf_dispose(&b);
			return 0;
		}
	}
	if (!(grown = realloc(*list, (*n + 1) * sizeof(*grown)))) {
		buf_dispose(&b);
		return err_set(ERR_NOMEM, "out of memory");
	}
	*list = grown;
	(*list)[(*n)++] = buf_detach(&b);
	return 0;
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The ids behind a fired rule: the rows its row predicates matched, else
 * the kind's default rows (new values, listed values...), else every row. */
static int
cite_rows(const struct step_run *sr, const unsigned char *matched,
	  char ***cited, size_t *ncited)
{
	bool any_marked = false;
	int rc;

	if (sr->cite_col < 0)
		return 0;
	for (size_t r = 0; matched && r < sr->rows.nrows; r++)
		any_marked |= matched[r] != 0;
	for (size_t r = 0; r < sr->rows.nrows; r++) {
		const char *id = rows_cell(&sr->rows, r, sr->cite_col);
		bool take = any_marked ? matched[r]
			    : sr->cite_default ? sr->cite_default[r] : true;

		if (take && id &&
		    (rc = cite_add(cited, ncited, sr->cite_prefix, id)) < 0)
			return rc;
	}
	return 0;
}

static int
fired_push(struct inv *iv, struct fired *f)
{
	struct fired *grown = realloc(iv->fired, (iv->nfired + 1) * sizeof(*grown));

	if (!grown)
		return err_set(ERR_NOMEM, "out of memory");
	iv->fired = grown;
	iv->fired[iv->nfired++] = *f;
	return 0;
}

/* Evaluate every rule of the step; each that holds adds its score and its
 * finding. */
static int
apply_rules(struct inv *iv, struct step_run *sr, size_t step_index)
{
	const struct pb_step *ps = sr->ps;
	struct cond_rows view = {
		.ncols = sr->rows.ncols,
		.nrows = sr->rows.nrows,
		.names = (const char *const *)sr->rows.names,
		.cells = (const char *const *)sr->rows.cells,
		.numeric = sr->rows.numeric,
	};
	struct cond_env env = {
		.vars = sr->vars,
		.nvars = sr->nvars,
		.rows = &view,
		.allows = allows_cb,
		.ctx = (void *)iv->blast,
	};
	struct buf findings;
	int rc = 0;

	if (sr->rows.nrows && !(env.matched = calloc(sr->rows.nrows, 1)))
		return err_set(ERR_NOMEM, "out of memory");
	buf_init(&findings);
	for (size_t k = 0; k < ps->nrules && rc == 0; k++) {
		const struct pb_rule *rule = &ps->rules[k];
		struct cond *own_cond = NULL;
		struct cond_template *own_tmpl = NULL;
		const struct cond *c = rule->cond;
		const struct cond_template *tm = rule->tmpl;
		struct fired f = { .step = step_index, .rule = k,
				   .score = rule->score, .key = rule->key };
		struct buf text;

		/* A playbook built by hand has no parsed forms. */
		if (!c && rule->when && cond_parse(rule->when, &own_cond) == 0)
			c = own_cond;
		if (!tm && rule->finding &&
		    cond_template_parse(rule->finding, &own_tmpl) == 0)
			tm = own_tmpl;
		if (env.matched)
			memset(env.matched, 0, sr->rows.nrows);
		if (!cond_eval(c, &env))
			goto next;
		buf_init(&text);
		if (tm)
			rc = cond_template_expand(tm, &env, &text);
		f.text = text.data ? buf_detach(&text) : NULL;
		if (rc == 0)
			rc = cite_rows(sr, env.matched, &f.cited, &f.ncited);
		if (rc == 0)
			rc = fired_push(iv, &f);
		if (rc < 0) {
			free(f.text);
			strv_free(f.cited, f.ncited);
			goto next;
		}
		sr->out->score += rule->score;
		if (f.text)
			buf_printf(&findings, "%s%s", findings.len ? " " : "",
				   f.text);
		for (size_t i = 0; i < f.ncited; i++)
			cite_add(&sr->out->cited, &sr->out->ncited, NULL,
				 f.cited[i]);
next:
		cond_free(own_cond);
		cond_template_free(own_tmpl);
	}
	free(env.matched);
	sr->out->finding = findings.data ? buf_detach(&findings) : NULL;
	return rc;
}

static int
run_step(struct inv *iv, size_t index, struct step_result *out)
{
	const struct pb_step *ps = &iv->pb->steps[index];
	struct step_run sr = { .ps = ps, .out = out, .cite_col = -1 };
	int64_t t0 = mono_ns();
	int rc = 0;

	if (!(out->id = strdup(ps->id)) || !(out->title = strdup(ps->title)) ||
	    !(out->kind = strdup(playbook_kind_name(ps->kind))))
		return err_set(ERR_NOMEM, "out of memory");
	params_fill(iv, &sr.params);
	threat_vars(iv, &sr);
	if (ps->requires) {
		bool present = false;

		if ((rc = source_present(iv, ps->requires, &present)) < 0)
			goto out;
		if (!present) {
			if (ps->gap)
				set_gap(&sr, "%s", ps->gap);
			else
				set_gap(&sr, "No %s events in the evidence "
					"window", ps->requires);
			if (ps->kind == STEP_SQL)
				out->query = fill_query(ps->query, sr.params.p, P_COUNT);
			goto out;
		}
	}
	if ((rc = step_runners[ps->kind](iv, &sr)) < 0)
		goto out;
	if (!sr.rows.names)
		rows_set_cols(&sr.rows, 0, NULL);
	add_var(&sr, "rows", cond_num((double)sr.rows.nrows));
	/* A step with a gap scores nothing: absent evidence is not evidence. */
	if (!sr.gap)
		rc = apply_rules(iv, &sr, index);
out:
	out->nrows = sr.rows.nrows;
	out->rows_json = rows_json(&sr.rows);
	out->gap = sr.gap;
	if (!out->query)
		out->query = strdup("");
	/* Durations go to the trace only: the report stays a function of its
	 * inputs. */
	trace(TRACE_DEBUG, "investigate %s: step %s (%s): %zu rows, %.2f ms%s",
	      iv->t.id, ps->id, playbook_kind_name(ps->kind), out->nrows,
	      (double)(mono_ns() - t0) / 1e6, out->gap ? ", gap" : "");
	rows_dispose(&sr.rows);
	free(sr.cite_default);
	return rc;
}

/* ---- verdict, confidence, summary ------------------------------------------------- */

static const char *
verdict_for(const struct playbook *pb, int score)
{
	if (score >= pb->malicious_at)
		return "malicious";
	if (score >= pb->suspicious_at)
		return "suspicious";
	if (score <= pb->benign_at)
		return "benign";
	return "inconclusive";
}

static int
iabs(int x)
{
	return x < 0 ? -x : x;
}

static int
imin(int a, int b)
{
	return a < b ? a : b;
}

/* Confidence, a fixed formula so that it can be checked by hand:
 *     50
 *   + the distance of the score from the nearest verdict threshold
 *     (malicious, suspicious or benign), at most 30
 *   + 5 for each step whose rules moved the score, at most 20
 *   - 10 for each step with an evidence gap
 * clamped to 0..100. A threat that is not real gets at least 90 (the
 * source itself marks it a sample); without a playbook it is 0. */
static int
confidence_for(const struct playbook *pb, const struct report *r)
{
	int dist, c = 50, moved = 0, gaps = 0;

	dist = imin(iabs(r->score - pb->malicious_at),
		    imin(iabs(r->score - pb->suspicious_at),
			 iabs(r->score - pb->benign_at)));
	c += imin(dist, 30);
	for (size_t i = 0; i < r->nsteps; i++) {
		moved += r->steps[i].score != 0;
		gaps += r->steps[i].gap != NULL;
	}
	c += imin(moved * 5, 20);
	c -= gaps * 10;
	if (!r->real && c < 90)
		c = 90;
	return c < 0 ? 0 : c > 100 ? 100 : c;
}

/* Key findings: the fired findings with the largest |score|; ties keep
 * step and rule order (the order they fired in). */
static int
pick_keys(struct inv *iv, struct report *r)
{
	size_t order[MAX_KEYS], n = 0;

	for (size_t i = 0; i < iv->nfired; i++) {
		const struct fired *f = &iv->fired[i];
		size_t at;

		if (!f->key || !f->text || !*f->text)
			continue;
		for (at = n; at > 0 &&
			     iabs(iv->fired[order[at - 1]].score) < iabs(f->score);
		     at--)
			;
		if (at >= MAX_KEYS)
			continue;
		if (n < MAX_KEYS)
			n++;
		memmove(&order[at + 1], &order[at], (n - 1 - at) * sizeof(*order));
		order[at] = i;
	}
	if (n && !(r->keys = calloc(n, sizeof(*r->keys))))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		struct fired *f = &iv->fired[order[k]];
		struct key_finding *kf = &r->keys[r->nkeys++];

		kf->score = f->score;
		kf->text = strdup(f->text);
		kf->cited = f->cited;
		kf->ncited = f->ncited;
		f->cited = NULL;
		f->ncited = 0;
		if (!kf->text)
			return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* Append s as a clause: without its final full stop. */
static void
add_clause(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '.' || s[n - 1] == ' '))
		n--;
	buf_add(b, s, n);
}

static char *
summarize(const struct inv *iv, const struct report *r, int prior)
{
	const struct playbook *pb = iv->pb;
	struct buf b;
	size_t ngaps = 0;

	buf_init(&b);
	if (!pb) {
		if (!r->real) {
			buf_adds(&b, "Not real: ");
			add_clause(&b, r->real_reason);
			buf_adds(&b, ", so it is judged benign. ");
		}
		buf_printf(&b, "No playbook in the knowledge base applies to "
			   "%s, so nothing was checked%s.",
			   iv->t.detection ? iv->t.detection : "this threat",
			   r->real ? " and the verdict is inconclusive" : "");
		return b.data ? buf_detach(&b) : NULL;
	}
	if (!r->real) {
		buf_adds(&b, "Not real: ");
		add_clause(&b, r->real_reason);
		buf_printf(&b, ", so it is judged benign (confidence %d).",
			   r->confidence);
	} else {
		buf_printf(&b, "Judged %s with confidence %d: score %d, of which "
			   "%d for %s severity and %d from the findings.",
			   r->verdict, r->confidence, r->score, prior,
			   iv->t.severity ? iv->t.severity : "unknown",
			   r->score - prior);
	}
	if (r->nkeys) {
		buf_adds(&b, " Why: ");
		for (size_t i = 0; i < r->nkeys && i < 3; i++) {
			if (i)
				buf_adds(&b, "; ");
			add_clause(&b, r->keys[i].text);
		}
		buf_adds(&b, ".");
	} else {
		buf_adds(&b, " No step found evidence either way.");
	}
	buf_printf(&b, " Playbook %s (%s) ran %zu step%s.", pb->id, pb->title,
		   r->nsteps, r->nsteps == 1 ? "" : "s");
	for (size_t i = 0; i < r->nsteps; i++) {
		if (!r->steps[i].gap)
			continue;
		buf_adds(&b, ngaps++ ? "; " : " Missing evidence: ");
		add_clause(&b, r->steps[i].gap);
	}
	if (ngaps)
		buf_adds(&b, ".");
	return b.data ? buf_detach(&b) : NULL;
}

static int
strv_push(char ***v, size_t *n, const char *s)
{
	char **grown;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	if (!(grown = realloc(*v, (*n + 1) * sizeof(*grown))))
		return err_set(ERR_NOMEM, "out of memory");
	*v = grown;
	if (!((*v)[*n] = strdup(s)))
		return err_set(ERR_NOMEM, "out of memory");
	(*n)++;
	return 0;
}

static int
next_steps(struct inv *iv, struct report *r)
{
	const struct playbook *pb = iv->pb;
	struct step_run sr = { .cite_col = -1 };
	struct cond_env env;
	int rc = 0;

	threat_vars(iv, &sr);
	add_var(&sr, "verdict", cond_str(r->verdict));
	add_var(&sr, "score", cond_num(r->score));
	add_var(&sr, "confidence", cond_num(r->confidence));
	env = (struct cond_env){ .vars = sr.vars, .nvars = sr.nvars };
	for (size_t i = 0; i < pb->nnext && rc == 0; i++) {
		const struct pb_next_step *ns = &pb->next[i];
		struct cond *own_cond = NULL;
		struct cond_template *own_tmpl = NULL;
		const struct cond *c = ns->cond;
		const struct cond_template *tm = ns->tmpl;
		struct buf text;

		if (!c && ns->when && cond_parse(ns->when, &own_cond) == 0)
			c = own_cond;
		if (!tm && ns->text && cond_template_parse(ns->text, &own_tmpl) == 0)
			tm = own_tmpl;
		if ((!ns->when || cond_eval(c, &env)) && tm) {
			buf_init(&text);
			rc = cond_template_expand(tm, &env, &text);
			if (rc == 0 && text.data)
				rc = strv_push(&r->next_steps, &r->nnext, text.data);
			buf_dispose(&text);
		}
		cond_free(own_cond);
		cond_template_free(own_tmpl);
	}
	return rc;
}

/* Not real when every triggering event says it is a sample. */
static void
judge_real(struct inv *iv)
{
	const char *src;
	char msg[200];

	iv->real = true;
	if (iv->ntrig == 0)
		return;
	for (size_t i = 0; i < iv->ntrig; i++)
		if (!iv->trig[i].sample)
			return;
	iv->real = false;
	src = iv->trig[0].ev.str[EF_SOURCE];
	snprintf(msg, sizeof(msg), "%s %s a %s sample finding (generated "
		 "for testing, not observed activity)",
		 iv->ntrig == 1 ? "the triggering event" : "every triggering event",
		 iv->ntrig == 1 ? "is" : "is", src ? src : "detector");
	iv->real_reason = strdup(msg);
}

static int64_t
sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

static void
inv_dispose(struct inv *iv)
{
	threat_dispose(&iv->t);
	triggers_free(iv->trig, iv->ntrig);
	free(iv->real_reason);
	blast_free(iv->blast);
	free(iv->blast_err);
	for (size_t i = 0; i < iv->nfired; i++) {
		free(iv->fired[i].text);
		strv_free(iv->fired[i].cited, iv->fired[i].ncited);
	}
	free(iv->fired);
	for (size_t i = 0; i < iv->nreq; i++)
		free(iv->req[i].source);
}

static bool
has_permissions_step(const struct playbook *pb)
{
	for (size_t i = 0; pb && i < pb->nsteps; i++)
		if (pb->steps[i].kind == STEP_PERMISSIONS)
			return true;
	return false;
}

/* Run the chosen playbook into r. */
static int
run_playbook(struct inv *iv, struct report *r)
{
	const struct playbook *pb = iv->pb;
	int rank = threat_severity_rank(iv->t.severity), prior, rc;

	prior = rank >= 0 && rank < 5 ? pb->prior[rank] : 0;
	if (iv->t.has_time) {
		iv->has_window = true;
		iv->win_start = sat_add(iv->t.first_ns, -pb->before_ns);
		iv->win_end = sat_add(iv->t.last_ns, pb->after_ns);
	}
	if (!(r->playbook = strdup(pb->id)) ||
	    !(r->steps = calloc(pb->nsteps ? pb->nsteps : 1, sizeof(*r->steps))))
		return err_set(ERR_NOMEM, "out of memory");
	r->score = prior;
	for (size_t i = 0; i < pb->nsteps; i++) {
		r->nsteps++;
		if ((rc = run_step(iv, i, &r->steps[i])) < 0)
			return rc;
		r->score += r->steps[i].score;
		if (r->steps[i].gap &&
		    (rc = strv_push(&r->raise, &r->nraise, r->steps[i].gap)) < 0)
			return rc;
	}
	r->verdict = strdup(r->real ? verdict_for(pb, r->score) : "benign");
	r->confidence = confidence_for(pb, r);
	if ((rc = pick_keys(iv, r)) < 0 || (rc = next_steps(iv, r)) < 0)
		return rc;
	r->summary = summarize(iv, r, prior);
	if (iv->t.ent[TE_ACTOR]) {
		const struct blast *b = get_blast(iv);

		if (b && (b->known || has_permissions_step(pb)))
			r->blast_json = blast_to_json(b);
	}
	if (!r->verdict || !r->summary)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int
no_playbook(struct inv *iv, struct report *r)
{
	struct buf b;
	int rc;

	/* A sample is benign whatever the playbooks say, and so without one. */
	r->verdict = strdup(r->real ? "inconclusive" : "benign");
	r->confidence = r->real ? 0 : 90;
	r->summary = summarize(iv, r, 0);
	buf_init(&b);
	buf_printf(&b, "A playbook that applies to %s",
		   iv->t.detection ? iv->t.detection : "this detection");
	rc = b.data ? strv_push(&r->raise, &r->nraise, b.data) : ERR_NOMEM;
	buf_dispose(&b);
	if (rc < 0 || !r->verdict || !r->summary)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int
investigate_threat(struct store *st, const struct kb_data *kb,
		   const char *threat_id, struct report **out)
{
	struct inv iv = { .st = st, .kb = kb };
	struct report *r = NULL;
	char *json = NULL;
	int64_t t0 = mono_ns();
	int rc;

	*out = NULL;
	threat_init(&iv.t);
	if ((rc = load_threat(st, threat_id, &iv.t)) < 0 ||
	    (rc = load_triggers(st, iv.t.id, &iv.trig, &iv.ntrig)) < 0)
		goto out;
	judge_real(&iv);
	iv.pb = choose(kb, &iv.t, iv.trig, iv.ntrig);
	trace(TRACE_DEBUG, "investigate %s: %zu triggering event(s) loaded, "
	      "playbook %s, in %.2f ms", iv.t.id, iv.ntrig,
	      iv.pb ? iv.pb->id : "none", (double)(mono_ns() - t0) / 1e6);
	if (!(r = calloc(1, sizeof(*r))) || !(r->threat_id = strdup(iv.t.id)) ||
	    !(r->kb_version = strdup(kb && kb->version ? kb->version : "none"))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	r->real = iv.real;
	if (iv.real_reason && !(r->real_reason = strdup(iv.real_reason))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = iv.pb ? run_playbook(&iv, r) : no_playbook(&iv, r)) < 0)
		goto out;
	if (!(json = report_to_json(r))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	trace(TRACE_DEBUG, "investigate %s: judged in %.2f ms",
	      r->threat_id, (double)(mono_ns() - t0) / 1e6);
	if ((rc = store_report_put(st, r->threat_id, r->kb_version, r->verdict,
				   r->confidence, json)) < 0)
		goto out;
	trace(TRACE_DEBUG, "investigate %s: %s, stored in %.2f ms in all",
	      r->threat_id, r->verdict, (double)(mono_ns() - t0) / 1e6);
	*out = r;
	r = NULL;
out:
	free(json);
	report_free(r);
	inv_dispose(&iv);
	return rc;
}
