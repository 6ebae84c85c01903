/* SPDX-License-Identifier: Apache-2.0 */
/* investigate_steps: the runners of a playbook's steps (read-only SQL,
 * first seen, intel, allowlist, permissions, prior decisions), their
 * query parameters and result rows, and the address and intel matching
 * they use. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "core/blast.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/investigate_int.h"
#include "core/netaddr.h"
#include "core/timeutil.h"
#include "core/trace.h"
#include "core/utf8.h"

#define ROWS_KEPT 20            /* rows shown per step in the report */

/* ---- addresses and intel ----------------------------------------------- */

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

/* ---- result rows ------------------------------------------------------- */

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

const char *
investigate_rows_cell(const struct rowset *rs, size_t row, int col)
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

/* ---- parameters -------------------------------------------------------- */

static const char *const param_names[P_COUNT] = {
	":actor", ":src_ip", ":resource", ":host", ":container", ":account",
	":region", ":detection", ":start", ":end", ":win_start", ":win_end",
	":event_id", ":threat_id", ":base_start", ":source",
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

/* ---- one step ---------------------------------------------------------- */

void
investigate_add_var(struct step_run *sr, const char *name, struct cond_value v)
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
void
investigate_threat_vars(const struct inv *iv, struct step_run *sr)
{
	const struct threat *t = &iv->t;

	investigate_add_var(sr, "severity", cond_str(t->severity));
	investigate_add_var(sr, "source", cond_str(t->source));
	investigate_add_var(sr, "detection", cond_str(t->detection));
	investigate_add_var(sr, "title", cond_str(t->title));
	investigate_add_var(sr, "count", cond_num((double)t->count));
	investigate_add_var(sr, "real", cond_bool(iv->real));
	for (int e = 0; e < TE_COUNT; e++)
		investigate_add_var(sr, threat_entity_names[e], cond_str(t->ent[e]));
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
		any_new |= investigate_rows_cell(&sr->rows, r, newc) != NULL;
	if (any_new && !(sr->cite_default = calloc(sr->rows.nrows, 1))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t r = 0; any_new && r < sr->rows.nrows; r++)
		sr->cite_default[r] = investigate_rows_cell(&sr->rows, r, newc) != NULL;
	sr->cite_col = rows_col(&sr->rows, "id");
	investigate_add_var(sr, "first_seen", cond_bool(any_new));
	investigate_add_var(sr, "baseline", cond_num((double)base.n));
	investigate_add_var(sr, "value", cond_str(nv ? vals[0] : NULL));
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
	investigate_add_var(sr, "list", cond_str(ps->list));
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
	investigate_add_var(sr, "listed", cond_bool(first_listed != NULL));
	investigate_add_var(sr, "value", cond_str(first_listed ? first_listed
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
	investigate_add_var(sr, "allowlisted", cond_bool(entry != NULL));
	investigate_add_var(sr, "reason", cond_str(reason));
	investigate_add_var(sr, "entry", cond_str(entry));
	return 0;
}

/* Computed once per investigation: the permissions step and the report's
 * blast radius share it. */
const struct blast *
investigate_get_blast(struct inv *iv)
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

struct cond_value
investigate_allows_cb(void *ctx, const char *action)
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
	if (!(b = investigate_get_blast(iv)))
		return set_gap(sr, "The permissions could not be computed: %s",
			       iv->blast_err ? iv->blast_err : "unknown error");
	for (size_t i = 0; i < b->npaths; i++) {
		const char *cells[3] = { b->paths[i].name,
					 b->paths[i].description,
					 b->paths[i].via };

		if ((rc = rows_add(&sr->rows, cells, NULL)) < 0)
			return rc;
	}
	investigate_add_var(sr, "known", cond_bool(b->known));
	investigate_add_var(sr, "admin", b->known ? cond_bool(b->admin)
				      : (struct cond_value){ .type = CV_MISSING });
	investigate_add_var(sr, "paths", cond_num((double)b->npaths));
	investigate_add_var(sr, "principal", cond_str(b->principal));
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
	investigate_add_var(sr, "prior_malicious", cond_num(mal));
	investigate_add_var(sr, "prior_benign", cond_num(ben));
	investigate_add_var(sr, "prior_suspicious", cond_num(sus));
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

int
investigate_run_step(struct inv *iv, size_t index, struct step_result *out)
{
	return investigate_run_pb_step(iv, &iv->pb->steps[index], index, out);
}

int
investigate_run_pb_step(struct inv *iv, const struct pb_step *ps,
			size_t index, struct step_result *out)
{
	struct step_run sr = { .ps = ps, .out = out, .cite_col = -1 };
	int64_t t0 = mono_ns();
	int rc = 0;

	if (!(out->id = strdup(ps->id)) || !(out->title = strdup(ps->title)) ||
	    !(out->kind = strdup(playbook_kind_name(ps->kind))))
		return err_set(ERR_NOMEM, "out of memory");
	params_fill(iv, &sr.params);
	investigate_threat_vars(iv, &sr);
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
	investigate_add_var(&sr, "rows", cond_num((double)sr.rows.nrows));
	/* A step with a gap scores nothing: absent evidence is not evidence. */
	if (!sr.gap)
		rc = investigate_apply_rules(iv, &sr, index);
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
