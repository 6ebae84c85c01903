/* SPDX-License-Identifier: Apache-2.0 */
/* sigma: the Sigma rule engine's rule set (log sources, field table,
 * gates, lifetime) and rules over the store, whose hits become threats.
 * Loading is in sigma_load.c and sigma_value.c, regular expressions in
 * sigma_re.c, matching in sigma_match.c, the SQL form in sigma_sql.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/event.h"
#include "core/sigma_int.h"
#include "core/store.h"
#include "core/threat.h"

/* ---- log sources -------------------------------------------------------
 * Field names resolve into the raw record by dotted path. A few names in
 * the SigmaHQ Kubernetes rules come from a flattened field mapping, not
 * from the audit record; each maps to where the record keeps it (this is
 * what a Sigma processing pipeline's field mapping does). */

static const char *const cloudtrail_fields[] = {
	"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName",
	"awsRegion", "sourceIPAddress", "userAgent", "errorCode",
	"errorMessage", "requestParameters", "responseElements",
	"additionalEventData", "requestID", "eventID", "readOnly",
	"resources", "eventType", "apiVersion", "managementEvent",
	"recipientAccountId", "sharedEventID", "serviceEventDetails",
	"vpcEndpointId", "vpcEndpointAccountId", "eventCategory",
	"tlsDetails", "sessionCredentialFromConsole", "edgeDeviceDetails",
	"insightDetails", "addendum", NULL
};

static const char *const k8s_audit_fields[] = {
	"kind", "apiVersion", "level", "auditID", "stage", "requestURI",
	"verb", "user", "impersonatedUser", "sourceIPs", "userAgent",
	"objectRef", "responseStatus", "requestObject", "responseObject",
	"requestReceivedTimestamp", "stageTimestamp", "annotations",
	"metadata", "timestamp", NULL
};

static const struct field_alias no_aliases[] = { { NULL, { NULL } } };

static const struct field_alias k8s_audit_aliases[] = {
	{ "apiGroup", { "objectRef.apiGroup" } },
	{ "hostPath", { "requestObject.spec.volumes.hostPath" } },
	{ "capabilities",
	  { "requestObject.spec.containers.securityContext.capabilities",
	    "requestObject.spec.initContainers.securityContext.capabilities" } },
	{ NULL, { NULL } }
};

const struct source_def sigma_sources[SIGMA_SOURCE_COUNT] = {
	[SIGMA_CLOUDTRAIL] = { "aws", "cloudtrail", "CloudTrail",
			       cloudtrail_fields, no_aliases },
	[SIGMA_K8S_AUDIT] = { "kubernetes", "audit", "Kubernetes audit",
			      k8s_audit_fields, k8s_audit_aliases },
};

const char *const sigma_source_events[SIGMA_SOURCE_COUNT] = {
	[SIGMA_CLOUDTRAIL] = "cloudtrail",
	[SIGMA_K8S_AUDIT] = "k8s_audit",
};

/* ---- small helpers ----------------------------------------------------- */

int
sigma_grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t c = *cap ? *cap : 4;
	void *np;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (!(np = realloc(*p, c * size)))
		return err_set(ERR_NOMEM, "out of memory");
	*p = np;
	*cap = c;
	return 0;
}

static void
value_dispose(struct value *v)
{
	free(v->lit);
	free(v->units);
	if (v->re) {
		regfree(v->re);
		free(v->re);
	}
	free(v->src);
}

void
sigma_item_dispose(struct item *it)
{
	for (size_t i = 0; i < it->nv; i++)
		value_dispose(&it->v[i]);
	free(it->v);
}

static void
search_dispose(struct search *s)
{
	for (size_t g = 0; g < s->ng; g++) {
		for (size_t i = 0; i < s->g[g].n; i++)
			sigma_item_dispose(&s->g[g].it[i]);
		free(s->g[g].it);
	}
	free(s->g);
	free(s->name);
}

static void
detection_free(struct sigma_detection *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->ns; i++)
		search_dispose(&d->s[i]);
	free(d->s);
	free(d->cn);
	free(d->detection);
	free(d);
}

void
sigma_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
sigma_rule_free(struct sigma_rule *r)
{
	if (!r)
		return;
	free(r->file);
	free(r->title);
	free(r->id);
	free(r->status);
	free(r->level);
	free(r->description);
	free(r->author);
	free(r->date);
	free(r->product);
	free(r->service);
	free(r->category);
	sigma_strv_free(r->tags, r->ntags);
	sigma_strv_free(r->fields, r->nfields);
	sigma_strv_free(r->falsepositives, r->nfalsepositives);
	sigma_strv_free(r->references, r->nreferences);
	free(r->tactics);
	detection_free(r->det);
	free(r);
}

/* ---- fields ------------------------------------------------------------ */

/* The index of field name for source, added on first use. */
int
sigma_field_intern(struct sigma_index *ix, enum sigma_source src, const char *name)
{
	const struct field_alias *a;
	struct field *f;

	for (size_t i = 0; i < ix->nf; i++)
		if (ix->f[i].source == src && !strcmp(ix->f[i].name, name))
			return (int)i;
	if (sigma_grow(&ix->f, &ix->capf, ix->nf + 1, sizeof(*ix->f)) < 0)
		return ERR_NOMEM;
	f = &ix->f[ix->nf];
	memset(f, 0, sizeof(*f));
	f->source = src;
	if (!(f->name = strdup(name)))
		return err_set(ERR_NOMEM, "out of memory");
	f->paths[0] = f->name;
	f->npaths = 1;
	for (a = sigma_sources[src].aliases; a->name; a++) {
		if (strcmp(a->name, name) != 0)
			continue;
		for (f->npaths = 0; f->npaths < 3 && a->paths[f->npaths]; f->npaths++)
			f->paths[f->npaths] = a->paths[f->npaths];
	}
	return (int)ix->nf++;
}

/* True when the first segment of path is a field of the source's
 * records (or the path is a known dotted member like "a.b" itself). */
bool
sigma_field_known(enum sigma_source src, const char *path)
{
	for (const char *const *k = sigma_sources[src].known; *k; k++) {
		size_t n = strlen(*k);

		if (!strncmp(path, *k, n) && (path[n] == '.' || !path[n]))
			return true;
	}
	return false;
}

/* ---- gates ------------------------------------------------------------- */

/* How well a field separates records: the action first. */
static int
gate_rank(const char *field)
{
	static const char *const order[] = { "eventName", "objectRef.resource",
					     "eventSource", "verb" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(field, order[i]))
			return 4 - i;
	return 0;
}

/* The best item every match of the condition under node needs that
 * tests one field for plain values only. */
static const struct item *
gate_item(const struct sigma_index *ix, const struct sigma_detection *d,
	  int node, int *rank)
{
	const struct cnode *n = &d->cn[node];
	const struct item *best = NULL, *b;
	int r;

	if (n->kind == C_AND) {
		int ra = -1, rb = -1;

		best = gate_item(ix, d, n->a, &ra);
		b = gate_item(ix, d, n->b, &rb);
		if (b && (!best || rb > ra)) {
			best = b;
			ra = rb;
		}
		*rank = ra;
		return best;
	}
	if (n->kind != C_REF || d->s[n->ref].ng != 1)
		return NULL;
	for (size_t i = 0; i < d->s[n->ref].g[0].n; i++) {
		const struct item *it = &d->s[n->ref].g[0].it[i];
		size_t v;

		if (it->field < 0 || it->all || !it->nv)
			continue;
		for (v = 0; v < it->nv && it->v[v].kind == V_EXACT &&
			    !it->v[v].cased && it->v[v].len <= GATE_MAXLEN; v++)
			;
		if (v < it->nv)
			continue;
		r = gate_rank(ix->f[it->field].name);
		if (!best || r > *rank) {
			best = it;
			*rank = r;
		}
	}
	return best;
}

int
sigma_gate_cmp(const struct gate *a, enum sigma_source src, int field,
	 const char *lit, size_t len)
{
	if (a->source != src)
		return a->source < src ? -1 : 1;
	if (a->field != field)
		return a->field < field ? -1 : 1;
	if (a->len != len)
		return a->len < len ? -1 : 1;
	return memcmp(a->lit, lit, len);
}

/* The first gate not below the key. */
size_t
sigma_gate_find(const struct sigma_index *ix, enum sigma_source src, int field,
	  const char *lit, size_t len)
{
	size_t lo = 0, hi = ix->ngates;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sigma_gate_cmp(&ix->gates[mid], src, field, lit, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Give rule r a gate if its condition has one. */
static int
gate_add(struct sigma_index *ix, struct sigma_rule *r, size_t rule)
{
	const struct item *it;
	enum sigma_source src = r->source;
	size_t f;
	int rank = -1;

	if (!(it = gate_item(ix, r->det, r->det->root, &rank)))
		return 0;
	for (f = 0; f < ix->ngate_fields[src] &&
		    ix->gate_field[src][f] != it->field; f++)
		;
	if (f == ix->ngate_fields[src]) {
		if (f == GATE_FIELDS)
			return 0; /* it just runs on every record */
		ix->gate_field[src][ix->ngate_fields[src]++] = it->field;
	}
	if (sigma_grow(&ix->gates, &ix->capgates, ix->ngates + it->nv,
		 sizeof(*ix->gates)) < 0)
		return ERR_NOMEM;
	for (size_t v = 0; v < it->nv; v++) {
		const struct value *val = &it->v[v];
		size_t at = sigma_gate_find(ix, src, it->field, val->lit, val->len);

		memmove(&ix->gates[at + 1], &ix->gates[at],
			(ix->ngates - at) * sizeof(*ix->gates));
		ix->gates[at] = (struct gate){ src, it->field, val->lit, val->len,
					       rule };
		ix->ngates++;
		if (val->len > ix->gate_max)
			ix->gate_max = val->len;
	}
	r->det->gated = true;
	return 0;
}

int
sigma_rule_register(struct sigma_ruleset *rs, struct sigma_rule *r)
{
	struct sigma_index *ix = rs->ix;
	size_t cap = rs->nrules, scap = ix->nby[r->source];
	const char *name = r->id ? r->id : r->title;

	if (sigma_grow(&rs->rules, &cap, rs->nrules + 1, sizeof(*rs->rules)) < 0 ||
	    sigma_grow(&ix->by_source[r->source], &scap, ix->nby[r->source] + 1,
		 sizeof(size_t)) < 0)
		return ERR_NOMEM;
	if (!(r->det->detection = malloc(strlen(name) + 7)))
		return err_set(ERR_NOMEM, "out of memory");
	sprintf(r->det->detection, "sigma:%s", name);
	r->det->index = rs->nrules;
	if (gate_add(ix, r, rs->nrules) < 0)
		return ERR_NOMEM;
	ix->by_source[r->source][ix->nby[r->source]++] = rs->nrules;
	rs->rules[rs->nrules++] = r;
	return 0;
}

int
sigma_ruleset_new(struct sigma_ruleset **out)
{
	struct sigma_ruleset *rs = calloc(1, sizeof(*rs));

	*out = NULL;
	if (!rs || !(rs->ix = calloc(1, sizeof(*rs->ix)))) {
		free(rs);
		return err_set(ERR_NOMEM, "out of memory");
	}
	*out = rs;
	return 0;
}

void
sigma_ruleset_free(struct sigma_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nrules; i++)
		sigma_rule_free(rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->nskips; i++) {
		free(rs->skips[i].file);
		free(rs->skips[i].title);
		free(rs->skips[i].id);
		free(rs->skips[i].reason);
	}
	free(rs->skips);
	sigma_strv_free(rs->notes, rs->nnotes);
	if (rs->ix) {
		for (size_t i = 0; i < rs->ix->nf; i++)
			free(rs->ix->f[i].name);
		free(rs->ix->f);
		free(rs->ix->gates);
		for (int s = 0; s < SIGMA_SOURCE_COUNT; s++)
			free(rs->ix->by_source[s]);
		free(rs->ix);
	}
	free(rs);
}

/* ---- detection over the store ------------------------------------------ */

/* The columns the event query selects, in order: the event's text
 * fields (by event_field_names), then time and raw. */
#define RUN_COLS (EF_COUNT + 2)
#define COL_TIME EF_COUNT
#define COL_RAW (EF_COUNT + 1)

struct run {
	struct store *st;
	const struct sigma_run_opts *o;
	struct sigma_run_stats *stats;
	struct sigma_matcher *m;
	enum sigma_source source;
	const char *const *row; /* the current row's values, by RUN_COLS */
	struct event ev;        /* built from row on the first hit */
	bool have_ev;
};

/* The triggering event for threat_add_hit: built once per row, and only
 * for rows that hit (most rows need nothing but their raw record). */
static int
run_event(struct run *run)
{
	int rc = 0;

	if (run->have_ev)
		return 0;
	event_init(&run->ev);
	for (int f = 0; f < EF_COUNT && rc == 0; f++)
		rc = event_set(&run->ev, (enum event_field)f, run->row[f]);
	if (run->row[COL_TIME]) {
		run->ev.has_time = true;
		run->ev.time_ns = strtoll(run->row[COL_TIME], NULL, 10);
	}
	run->ev.raw = run->row[COL_RAW];
	run->ev.raw_len = strlen(run->row[COL_RAW]);
	run->have_ev = true;
	return rc;
}

static int
on_hit(void *ctx, const struct sigma_rule *r)
{
	struct run *run = ctx;
	struct detection_hit h = {
		.detection = r->det->detection,
		.title = r->title,
		.source = "sigma",
		.severity = r->severity,
		.tactics = r->tactics,
		.ev = &run->ev,
	};
	int rc;

	run->stats->hits++;
	run->stats->rule_hits[r->det->index]++;
	if (run->o->dry_run)
		return 0;
	if ((rc = run_event(run)) < 0)
		return rc;
	return threat_add_hit(run->st, &h, NULL);
}

/* One row of the event query: its raw record against every rule. */
static int
on_row(void *ctx, int ncol, const char *const *names, const char *const *values,
       const bool *numeric)
{
	struct run *run = ctx;
	const char *raw;
	int rc;

	(void)names;
	(void)numeric;
	if (ncol != RUN_COLS)
		return err_set(ERR_STORE, "event query: %d columns, not %d", ncol,
			       RUN_COLS);
	run->row = values;
	run->have_ev = false;
	run->stats->events++;
	raw = values[COL_RAW] ? values[COL_RAW] : "";
	rc = sigma_match_raw(run->m, run->source, raw, strlen(raw), on_hit, run);
	if (rc == ERR_PARSE) {
		run->stats->unparsed++;
		rc = 0;
	}
	if (run->have_ev)
		event_dispose(&run->ev);
	run->have_ev = false;
	return rc;
}

/* The events of one source in time order. Not store_find_events: its
 * order (time, id) makes SQLite sort every row, raw records and all, in
 * memory; (time, seq) is the order of the (source, time) index, so rows
 * stream, and it is as deterministic for a given store. The filter also
 * needs the ingest time, which struct event_filter lacks. */
static int
run_source(struct run *run)
{
	struct buf q;
	int rc;

	buf_init(&q);
	buf_adds(&q, "SELECT ");
	for (int f = 0; f < EF_COUNT; f++)
		buf_printf(&q, "%s, ", event_field_names[f]);
	buf_printf(&q, "time, raw FROM events WHERE source = '%s'",
		   sigma_source_events[run->source]);
	if (run->o->has_ingested_since)
		buf_printf(&q, " AND ingested >= %lld",
			   (long long)run->o->ingested_since_ns);
	if (run->o->has_since)
		buf_printf(&q, " AND time >= %lld", (long long)run->o->since_ns);
	buf_adds(&q, " ORDER BY time, seq");
	rc = q.data ? store_sql(run->st, q.data, on_row, run) :
		      err_set(ERR_NOMEM, "out of memory");
	buf_dispose(&q);
	return rc;
}

static int
count_threat(void *ctx, const struct threat *t)
{
	(void)t;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int
sigma_threats(struct store *st, uint64_t *n)
{
	struct threat_filter f = { .source = "sigma" };

	*n = 0;
	return store_threat_list(st, &f, count_threat, n);
}

int
sigma_run(struct store *st, const struct sigma_ruleset *rs,
	  const struct sigma_run_opts *o, struct sigma_run_stats *stats)
{
	struct run run = { .st = st, .o = o, .stats = stats };
	uint64_t before = 0, after = 0;
	bool in_tx = false;
	int rc;

	memset(stats, 0, sizeof(*stats));
	if (!(stats->rule_hits = calloc(rs->nrules + 1, sizeof(uint64_t))))
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = sigma_matcher_new(rs, &run.m)) < 0)
		return rc;
	if (!o->dry_run) {
		if ((rc = sigma_threats(st, &before)) < 0 ||
		    (rc = store_begin(st)) < 0)
			goto out;
		in_tx = true;
	}
	for (int s = 0; s < SIGMA_SOURCE_COUNT && rc >= 0; s++) {
		if (!rs->ix->nby[s])
			continue;
		run.source = (enum sigma_source)s;
		rc = run_source(&run);
	}
	if (in_tx) {
		in_tx = false;
		if (rc < 0) {
			store_rollback(st);
			goto out;
		}
		if ((rc = store_commit(st)) < 0 ||
		    (rc = sigma_threats(st, &after)) < 0)
			goto out;
		stats->threats_new = after > before ? after - before : 0;
	}
out:
	if (in_tx)
		store_rollback(st);
	sigma_matcher_free(run.m);
	return rc < 0 ? rc : 0;
}

void
sigma_run_stats_dispose(struct sigma_run_stats *s)
{
	if (!s)
		return;
	free(s->rule_hits);
	s->rule_hits = NULL;
}
