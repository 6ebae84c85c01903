/* SPDX-License-Identifier: Apache-2.0 */
/* sigma_match: compiled Sigma rules against parsed records: field lookup
 * by dotted path, the comparisons each value kind makes, the condition,
 * and the gates that skip rules a record cannot match. */
#include "config.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonscan.h"
#include "core/sigma_int.h"

#define SIGMA_MAX_NEST 1000       /* nesting followed in records: what cJSON
				   * parses at most, so never a limit */

/* ---- comparisons ------------------------------------------------------- */

static bool
ci_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fold((unsigned char)a[i]) != (unsigned char)b[i])
			return false;
	return true;
}

/* h[0..hn) holds needle (already folded) in any case. */
static bool
ci_contains(const char *h, size_t hn, const char *needle, size_t nn)
{
	unsigned char lo, up;

	if (nn == 0)
		return true;
	if (hn < nn)
		return false;
	lo = (unsigned char)needle[0];
	up = lo >= 'a' && lo <= 'z' ? (unsigned char)(lo - 32) : lo;
	for (size_t i = 0; i + nn <= hn; i++) {
		unsigned char c = (unsigned char)h[i];

		if ((c == lo || c == up) && ci_eq(h + i + 1, needle + 1, nn - 1))
			return true;
	}
	return false;
}

static bool
cs_contains(const char *h, size_t hn, const char *needle, size_t nn)
{
	if (nn == 0)
		return true;
	for (size_t i = 0; i + nn <= hn; i++)
		if (h[i] == needle[0] && memcmp(h + i, needle, nn) == 0)
			return true;
	return false;
}

/* Sigma's wildcard match: '*' any run, '?' one character. A failed
 * attempt after a star resumes one character further on, which finds a
 * match whenever there is one. */
static bool
glob_match(const unsigned short *u, size_t nu, const char *s, size_t n,
	   bool cased)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < n) {
		if (pi < nu && u[pi] == U_STAR) {
			star = pi++;
			mark = si;
			continue;
		}
		if (pi < nu && u[pi] == U_ONE) {
			si += utf8_len_at(s + si, n - si);
			pi++;
			continue;
		}
		if (pi < nu && u[pi] ==
		    (cased ? (unsigned char)s[si] : fold((unsigned char)s[si]))) {
			si++;
			pi++;
			continue;
		}
		if (star == (size_t)-1)
			return false;
		pi = star + 1;
		mark += utf8_len_at(s + mark, n - mark);
		si = mark;
	}
	while (pi < nu && u[pi] == U_STAR)
		pi++;
	return pi == nu;
}

static bool
cidr_match(const struct value *v, const char *s)
{
	unsigned char a[16];
	int full = v->bits / 8, rest = v->bits % 8;

	if (inet_pton(v->family, s, a) != 1)
		return false;
	if (memcmp(a, v->net, (size_t)full) != 0)
		return false;
	return !rest || ((a[full] ^ v->net[full]) & (0xFF << (8 - rest))) == 0;
}

/* ---- matching ---------------------------------------------------------- */

struct fcache {
	unsigned epoch;       /* record the entry belongs to */
	size_t start, count;  /* its nodes in m->nodes */
};

struct sigma_matcher {
	const struct sigma_ruleset *rs;
	struct fcache *fc;    /* per field */
	size_t nfc;
	unsigned epoch;       /* bumped per record */
	const cJSON **nodes;  /* resolved field values of this record */
	size_t nnodes, capnodes;
	const cJSON *rec;
	bool nomem;
	unsigned *open;       /* per rule: epoch when a gate let it run */
	size_t nopen;
	struct buf prep;      /* the record prepared for cJSON */
};

int
sigma_matcher_new(const struct sigma_ruleset *rs, struct sigma_matcher **out)
{
	struct sigma_matcher *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return err_set(ERR_NOMEM, "out of memory");
	m->rs = rs;
	buf_init(&m->prep);
	*out = m;
	return 0;
}

void
sigma_matcher_free(struct sigma_matcher *m)
{
	if (!m)
		return;
	free(m->fc);
	free(m->open);
	free(m->nodes);
	buf_dispose(&m->prep);
	free(m);
}

/* Rules may be added after the matcher was made: size the cache to the
 * field table and start a new record. */
static int
matcher_begin(struct sigma_matcher *m, const cJSON *rec)
{
	size_t nf = m->rs->ix->nf;

	if (nf > m->nfc) {
		struct fcache *fc = realloc(m->fc, nf * sizeof(*fc));

		if (!fc)
			return err_set(ERR_NOMEM, "out of memory");
		memset(fc + m->nfc, 0, (nf - m->nfc) * sizeof(*fc));
		m->fc = fc;
		m->nfc = nf;
	}
	if (m->rs->nrules > m->nopen) {
		unsigned *open = realloc(m->open, m->rs->nrules * sizeof(*open));

		if (!open)
			return err_set(ERR_NOMEM, "out of memory");
		memset(open + m->nopen, 0, (m->rs->nrules - m->nopen) * sizeof(*open));
		m->open = open;
		m->nopen = m->rs->nrules;
	}
	if (++m->epoch == 0) {
		memset(m->fc, 0, m->nfc * sizeof(*m->fc));
		memset(m->open, 0, m->nopen * sizeof(*m->open));
		m->epoch = 1;
	}
	m->rec = rec;
	m->nnodes = 0;
	m->nomem = false;
	return 0;
}

static void
push_node(struct sigma_matcher *m, const cJSON *n)
{
	if (m->nnodes == m->capnodes &&
	    sigma_grow(&m->nodes, &m->capnodes, m->nnodes + 1, sizeof(*m->nodes)) < 0) {
		m->nomem = true;
		return;
	}
	m->nodes[m->nnodes++] = n;
}

/* Collect what path[0..plen) names under n. A key may itself hold dots,
 * so each key that is a prefix of the path ending at a dot is followed;
 * arrays are crossed element by element. */
static void
resolve(struct sigma_matcher *m, const cJSON *n, const char *path, size_t plen,
	int depth)
{
	const cJSON *c;

	if (depth > SIGMA_MAX_NEST)
		return;
	if (plen == 0) {
		push_node(m, n);
		return;
	}
	if (cJSON_IsArray(n)) {
		cJSON_ArrayForEach(c, n)
			resolve(m, c, path, plen, depth + 1);
		return;
	}
	if (!cJSON_IsObject(n))
		return;
	cJSON_ArrayForEach(c, n) {
		const char *k = c->string;
		size_t i = 0;

		if (!k || k[0] != path[0])
			continue;
		while (i < plen && k[i] && k[i] == path[i])
			i++;
		if (k[i])
			continue;
		if (i == plen)
			resolve(m, c, path + i, 0, depth + 1);
		else if (path[i] == '.')
			resolve(m, c, path + i + 1, plen - i - 1, depth + 1);
	}
}

/* The field's nodes in this record: m->nodes[*start .. *start + count). */
static size_t
field_nodes(struct sigma_matcher *m, int f, size_t *start)
{
	struct fcache *c = &m->fc[f];

	if (c->epoch != m->epoch) {
		const struct field *fd = &m->rs->ix->f[f];

		c->start = m->nnodes;
		for (size_t p = 0; p < fd->npaths; p++)
			resolve(m, m->rec, fd->paths[p], strlen(fd->paths[p]), 0);
		c->count = m->nnodes - c->start;
		c->epoch = m->epoch;
	}
	*start = c->start;
	return c->count;
}

static bool
has_value(struct sigma_matcher *m, int f)
{
	size_t start, n = field_nodes(m, f, &start);

	for (size_t i = 0; i < n; i++)
		if (!cJSON_IsNull(m->nodes[start + i]))
			return true;
	return false;
}

#define NUMBUF 64

/* The text a scalar compares as, or NULL for null and containers.
 * Integral numbers print without a fraction, others as SQLite prints
 * them (15 significant digits). */
static const char *
scalar_text(const cJSON *n, char *numbuf, size_t *len)
{
	const char *s = NULL;

	if (cJSON_IsString(n)) {
		s = n->valuestring ? n->valuestring : "";
	} else if (cJSON_IsNumber(n)) {
		double d = n->valuedouble;

		if (d == floor(d) && fabs(d) < 1e15)
			snprintf(numbuf, NUMBUF, "%.0f", d == 0 ? 0.0 : d);
		else
			snprintf(numbuf, NUMBUF, "%.15g", d);
		s = numbuf;
	} else if (cJSON_IsTrue(n)) {
		s = "true";
	} else if (cJSON_IsFalse(n)) {
		s = "false";
	}
	if (s)
		*len = strlen(s);
	return s;
}

static bool
text_match(const struct value *v, const char *s, size_t n)
{
	switch (v->kind) {
	case V_EXACT:
		return n == v->len && (v->cased ? !memcmp(s, v->lit, n) :
				       ci_eq(s, v->lit, n));
	case V_PREFIX:
		return n >= v->len && (v->cased ? !memcmp(s, v->lit, v->len) :
				       ci_eq(s, v->lit, v->len));
	case V_SUFFIX:
		return n >= v->len &&
		       (v->cased ? !memcmp(s + n - v->len, v->lit, v->len) :
			ci_eq(s + n - v->len, v->lit, v->len));
	case V_SUBSTR:
		return v->cased ? cs_contains(s, n, v->lit, v->len) :
				  ci_contains(s, n, v->lit, v->len);
	case V_GLOB:
		return glob_match(v->units, v->nunits, s, n, v->cased);
	case V_RE:
		if (v->len && !((v->re_flags & RE_I) ?
				ci_contains(s, n, v->lit, v->len) :
				cs_contains(s, n, v->lit, v->len)))
			return false;
		return regexec(v->re, s, 0, NULL, 0) == 0;
	case V_CIDR:
		return cidr_match(v, s);
	default:
		return false;
	}
}

static bool
num_match(const struct value *v, double d)
{
	switch (v->cmp) {
	case CMP_LT: return d < v->num;
	case CMP_LTE: return d <= v->num;
	case CMP_GT: return d > v->num;
	default: return d >= v->num;
	}
}

/* A value against one node: a scalar by its text, a container by any
 * scalar inside it. Numeric comparisons take JSON numbers only. */
static bool
node_match(const struct value *v, const cJSON *n, int depth)
{
	char numbuf[NUMBUF];
	const char *s;
	const cJSON *c;
	size_t len;

	if (cJSON_IsArray(n) || cJSON_IsObject(n)) {
		if (depth > SIGMA_MAX_NEST)
			return false;
		cJSON_ArrayForEach(c, n)
			if (node_match(v, c, depth + 1))
				return true;
		return false;
	}
	if (v->kind == V_NUM)
		return cJSON_IsNumber(n) && num_match(v, n->valuedouble);
	if (!(s = scalar_text(n, numbuf, &len)))
		return false;
	return text_match(v, s, len);
}

/* Keywords: any string value anywhere in the record. */
static bool
keyword_match(const struct value *v, const cJSON *n, int depth)
{
	const cJSON *c;

	if (cJSON_IsString(n))
		return text_match(v, n->valuestring, strlen(n->valuestring));
	if ((!cJSON_IsArray(n) && !cJSON_IsObject(n)) || depth > SIGMA_MAX_NEST)
		return false;
	cJSON_ArrayForEach(c, n)
		if (keyword_match(v, c, depth + 1))
			return true;
	return false;
}

/* Field f compared with the scalar values of the field v->ref. */
static bool
fieldref_match(struct sigma_matcher *m, int f, const struct value *v)
{
	size_t rstart, rn = field_nodes(m, v->ref, &rstart), start, n;
	bool hit = false;

	n = field_nodes(m, f, &start);
	for (size_t r = 0; r < rn && !hit; r++) {
		char numbuf[NUMBUF];
		const char *t;
		struct value lit = { .kind = v->how, .cased = v->cased };
		size_t len;

		if (!(t = scalar_text(m->nodes[rstart + r], numbuf, &len)))
			continue;
		if (!(lit.lit = malloc(len + 1))) {
			m->nomem = true;
			return false;
		}
		for (size_t i = 0; i < len; i++)
			lit.lit[i] = v->cased ? t[i] : (char)fold((unsigned char)t[i]);
		lit.len = len;
		for (size_t i = 0; i < n && !hit; i++)
			hit = node_match(&lit, m->nodes[start + i], 0);
		free(lit.lit);
	}
	return hit;
}

static bool
value_match(struct sigma_matcher *m, const struct item *it, const struct value *v)
{
	size_t start, n;

	if (it->field < 0)
		return keyword_match(v, m->rec, 0);
	switch (v->kind) {
	case V_NULL:
		return !has_value(m, it->field);
	case V_EXISTS:
		return has_value(m, it->field) == v->want;
	case V_FIELDREF:
		return fieldref_match(m, it->field, v);
	default:
		n = field_nodes(m, it->field, &start);
		for (size_t i = 0; i < n; i++)
			if (node_match(v, m->nodes[start + i], 0))
				return true;
		return false;
	}
}

/* Any value; with `all`, every value of the rule (each may have become
 * several, any of which will do). */
static bool
item_match(struct sigma_matcher *m, const struct item *it)
{
	unsigned group;
	bool ok = false;

	if (!it->all) {
		for (size_t i = 0; i < it->nv; i++)
			if (value_match(m, it, &it->v[i]))
				return true;
		return false;
	}
	group = it->v[0].group;
	for (size_t i = 0; i < it->nv; i++) {
		if (it->v[i].group != group) {
			if (!ok)
				return false;
			group = it->v[i].group;
			ok = false;
		}
		if (!ok)
			ok = value_match(m, it, &it->v[i]);
	}
	return ok;
}

static bool
search_match(struct sigma_matcher *m, const struct search *s)
{
	for (size_t g = 0; g < s->ng; g++) {
		size_t i;

		for (i = 0; i < s->g[g].n && item_match(m, &s->g[g].it[i]); i++)
			;
		if (i == s->g[g].n)
			return true;
	}
	return false;
}

static bool
cond_match(struct sigma_matcher *m, const struct sigma_detection *d, int i)
{
	const struct cnode *n = &d->cn[i];

	switch (n->kind) {
	case C_REF:
		return search_match(m, &d->s[n->ref]);
	case C_AND:
		return cond_match(m, d, n->a) && cond_match(m, d, n->b);
	case C_OR:
		return cond_match(m, d, n->a) || cond_match(m, d, n->b);
	default:
		return !cond_match(m, d, n->a);
	}
}

bool
sigma_rule_match(struct sigma_matcher *m, const struct sigma_rule *r,
		 const cJSON *record)
{
	if (matcher_begin(m, record) < 0)
		return false;
	return cond_match(m, r->det, r->det->root);
}

/* Open the gates of every scalar in n, as V_EXACT would compare it. */
static void
gate_open(struct sigma_matcher *m, enum sigma_source src, int field,
	  const cJSON *n, int depth)
{
	const struct sigma_index *ix = m->rs->ix;
	char numbuf[NUMBUF], folded[GATE_MAXLEN];
	const cJSON *c;
	const char *s;
	size_t len, at;

	if (cJSON_IsArray(n) || cJSON_IsObject(n)) {
		if (depth <= SIGMA_MAX_NEST)
			cJSON_ArrayForEach(c, n)
				gate_open(m, src, field, c, depth + 1);
		return;
	}
	if (!(s = scalar_text(n, numbuf, &len)) || len > ix->gate_max)
		return;
	for (size_t i = 0; i < len; i++)
		folded[i] = (char)fold((unsigned char)s[i]);
	for (at = sigma_gate_find(ix, src, field, folded, len);
	     at < ix->ngates && !sigma_gate_cmp(&ix->gates[at], src, field, folded, len);
	     at++)
		m->open[ix->gates[at].rule] = m->epoch;
}

int
sigma_match(struct sigma_matcher *m, enum sigma_source source,
	    const cJSON *record, sigma_hit_fn cb, void *ctx)
{
	const struct sigma_index *ix = m->rs->ix;
	int rc;

	if ((rc = matcher_begin(m, record)) < 0)
		return rc;
	for (size_t g = 0; g < ix->ngate_fields[source]; g++) {
		int f = ix->gate_field[source][g];
		size_t start, n = field_nodes(m, f, &start);

		for (size_t i = 0; i < n; i++)
			gate_open(m, source, f, m->nodes[start + i], 0);
	}
	for (size_t k = 0; k < ix->nby[source]; k++) {
		const struct sigma_rule *r = m->rs->rules[ix->by_source[source][k]];

		if (r->det->gated && m->open[r->det->index] != m->epoch)
			continue;
		if (cond_match(m, r->det, r->det->root) && (rc = cb(ctx, r)) != 0)
			return rc;
	}
	return m->nomem ? err_set(ERR_NOMEM, "out of memory") : 0;
}

int
sigma_match_raw(struct sigma_matcher *m, enum sigma_source source,
		const char *raw, size_t len, sigma_hit_fn cb, void *ctx)
{
	cJSON *rec;
	int rc;

	buf_reset(&m->prep);
	if (jsonscan_prepare(raw ? raw : "", raw ? len : 0, &m->prep) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	rec = m->prep.data ? cJSON_ParseWithLength(m->prep.data, m->prep.len) : NULL;
	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		return err_set(ERR_PARSE, "record is not a JSON object");
	}
	rc = sigma_match(m, source, rec, cb, ctx);
	cJSON_Delete(rec);
	return rc;
}
