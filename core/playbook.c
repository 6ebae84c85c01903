/* SPDX-License-Identifier: Apache-2.0 */
/* playbook: parsing the YAML playbook format (kb/default/playbooks/
 * README.md) with libyaml into struct playbook, strictly: unknown keys,
 * wrong types and conditions that do not parse are errors naming the file,
 * line and field. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "core/cond.h"
#include "core/error.h"
#include "core/playbook.h"

#define NS_PER_SEC 1000000000LL
#define SCORE_LIMIT 1000
#define MAX_ROWS_LIMIT 100000

/* Defaults documented in the format. */
static const int default_prior[5] = { -10, 0, 10, 20, 30 };
static const char *const severity_keys[5] = { "info", "low", "medium",
					       "high", "critical" };
#define DEFAULT_MALICIOUS 60
#define DEFAULT_SUSPICIOUS 25
#define DEFAULT_BENIGN (-20)
#define DEFAULT_BEFORE_NS (24LL * 3600 * NS_PER_SEC)
#define DEFAULT_AFTER_NS (24LL * 3600 * NS_PER_SEC)
#define DEFAULT_LOOKBACK_NS (30LL * 24 * 3600 * NS_PER_SEC)
#define DEFAULT_MAX_ROWS 200

static const char *const families[] = {
	"credential_compromise", "privilege_escalation", "defense_evasion",
	"credential_access", "exfiltration", "discovery", "execution",
	"kubernetes", "container_runtime", "network", "generic",
};

static const char *const step_kinds[] = {
	[STEP_SQL] = "sql",
	[STEP_FIRST_SEEN] = "first_seen",
	[STEP_INTEL] = "intel",
	[STEP_ALLOWLIST] = "allowlist",
	[STEP_PERMISSIONS] = "permissions",
	[STEP_PRIOR_DECISIONS] = "prior_decisions",
};

static const char *const first_seen_fields[] = {
	"src_ip", "src_domain", "user_agent", "region", "action", "account",
};

static const char *const intel_fields[] = {
	"src_ip", "dst_ip", "src_domain", "user_agent", "actor", "resource",
	"host", "account",
};

/* ---- variables a condition may name -------------------------------------- */

#define ALL_VARS "rows", "severity", "source", "detection", "count", \
	"real", "title", "actor", "src_ip", "resource", "host", \
	"container", "account", "region"

static const char *const vars_sql[] = { ALL_VARS };
static const char *const vars_first_seen[] = { ALL_VARS, "first_seen",
					       "baseline", "value" };
static const char *const vars_intel[] = { ALL_VARS, "listed", "value",
					  "list" };
static const char *const vars_allowlist[] = { ALL_VARS, "allowlisted",
					      "reason", "entry" };
static const char *const vars_permissions[] = { ALL_VARS, "known", "admin",
						"paths", "principal" };
static const char *const vars_prior[] = { ALL_VARS, "prior_malicious",
					  "prior_benign", "prior_suspicious" };
static const char *const vars_next[] = { ALL_VARS, "verdict", "score",
					 "confidence" };

static const struct {
	const char *const *names;
	size_t n;
} step_vars[] = {
#define VARS(a) { a, sizeof(a) / sizeof(a[0]) }
	[STEP_SQL] = VARS(vars_sql),
	[STEP_FIRST_SEEN] = VARS(vars_first_seen),
	[STEP_INTEL] = VARS(vars_intel),
	[STEP_ALLOWLIST] = VARS(vars_allowlist),
	[STEP_PERMISSIONS] = VARS(vars_permissions),
	[STEP_PRIOR_DECISIONS] = VARS(vars_prior),
};
static const struct {
	const char *const *names;
	size_t n;
} next_vars = VARS(vars_next);
#undef VARS

/* ---- the walk --------------------------------------------------------------- */

struct pctx {
	const char *file;
	yaml_document_t *doc;
	struct playbook *pb;
};

static int
line_of(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 1;
}

static int
bad(struct pctx *pc, const yaml_node_t *n, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The one message shape: "file:line: field `x`: message". */
static int
bad(struct pctx *pc, const yaml_node_t *n, const char *field,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(ERR_FIELD, "%s:%d: field `%s`: %s", pc->file,
		       line_of(n), field, msg);
}

static yaml_node_t *
node_at(struct pctx *pc, int index)
{
	return yaml_document_get_node(pc->doc, index);
}

static const char *
scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
	       ? (const char *)n->data.scalar.value : NULL;
}

/* A plain or quoted scalar as an owned string; an empty one is refused. */
static int
get_str(struct pctx *pc, yaml_node_t *n, const char *field, char **out)
{
	const char *s = scalar(n);

	if (!s)
		return bad(pc, n, field, "expected text");
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0))
		return bad(pc, n, field, "is null; expected text");
	if (strlen(s) != n->data.scalar.length)
		return bad(pc, n, field, "contains a NUL byte");
	if (!*s)
		return bad(pc, n, field, "is empty");
	free(*out);
	if (!(*out = strdup(s)))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int
get_int(struct pctx *pc, yaml_node_t *n, const char *field, long min,
	long max, int *out)
{
	const char *s = scalar(n);
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return bad(pc, n, field, "expected a whole number");
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno)
		return bad(pc, n, field, "expected a whole number, got \"%s\"",
			   s);
	if (v < min || v > max)
		return bad(pc, n, field, "%ld is outside %ld..%ld", v, min,
			   max);
	*out = (int)v;
	return 0;
}

static int
get_bool(struct pctx *pc, yaml_node_t *n, const char *field, bool *out)
{
	const char *s = scalar(n);

	if (s && strcmp(s, "true") == 0)
		*out = true;
	else if (s && strcmp(s, "false") == 0)
		*out = false;
	else
		return bad(pc, n, field, "expected true or false");
	return 0;
}

/* 30s, 15m, 24h, 7d. */
static int
get_duration(struct pctx *pc, yaml_node_t *n, const char *field,
	     int64_t *out)
{
	static const struct {
		char unit;
		int64_t ns;
	} units[] = {
		{ 's', NS_PER_SEC }, { 'm', 60 * NS_PER_SEC },
		{ 'h', 3600 * NS_PER_SEC }, { 'd', 86400 * NS_PER_SEC },
	};
	const char *s = scalar(n);
	size_t len, k;
	long long v = 0;

	if (!s || (len = strlen(s)) < 2 || len > 8)
		goto fail;
	for (size_t i = 0; i + 1 < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			goto fail;
		v = v * 10 + (s[i] - '0');
	}
	for (k = 0; k < sizeof(units) / sizeof(units[0]); k++)
		if (units[k].unit == s[len - 1])
			break;
	if (k == sizeof(units) / sizeof(units[0]))
		goto fail;
	if (v > 3650LL * 86400 * NS_PER_SEC / units[k].ns)
		return bad(pc, n, field, "longer than ten years");
	*out = v * units[k].ns;
	return 0;
fail:
	return bad(pc, n, field, "expected a duration such as 30s, 15m, 24h "
		   "or 7d");
}

static bool
in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static int
join_list(char *out, size_t size, const char *const *list, size_t n)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && at < size; i++)
		at += (size_t)snprintf(out + at, size - at, "%s%s",
				       i ? ", " : "", list[i]);
	return 0;
}

/* A key of a mapping: its name and the handler that takes its value. */
struct key_def {
	const char *key;
	int (*take)(struct pctx *pc, const char *key, yaml_node_t *val,
		    void *obj);
};

/* Walk map, calling each key's handler. Unknown and repeated keys are
 * errors. seen (bit per entry of keys) and lines say what was given. */
static int
walk_map(struct pctx *pc, yaml_node_t *map, const char *field,
	 const struct key_def *keys, size_t nkeys, void *obj,
	 unsigned *seen, int *lines)
{
	*seen = 0;
	if (!map || map->type != YAML_MAPPING_NODE)
		return bad(pc, map, field, "expected a mapping of keys");
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node_at(pc, pair->key);
		yaml_node_t *v = node_at(pc, pair->value);
		const char *name = scalar(k);
		size_t i;
		int rc;

		if (!name)
			return bad(pc, k, field, "keys must be plain text");
		for (i = 0; i < nkeys; i++)
			if (strcmp(keys[i].key, name) == 0)
				break;
		if (i == nkeys) {
			char expected[400];
			const char *names[32];

			for (size_t j = 0; j < nkeys && j < 32; j++)
				names[j] = keys[j].key;
			join_list(expected, sizeof(expected), names,
				  nkeys < 32 ? nkeys : 32);
			return bad(pc, k, name, "unknown key in %s (known: %s)",
				   field, expected);
		}
		if (*seen & (1u << i))
			return bad(pc, k, name, "given twice");
		*seen |= 1u << i;
		if (lines)
			lines[i] = line_of(k);
		if ((rc = keys[i].take(pc, name, v, obj)) < 0)
			return rc;
	}
	return 0;
}

static bool
given(unsigned seen, const struct key_def *keys, size_t nkeys,
      const char *key)
{
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(keys[i].key, key) == 0)
			return seen & (1u << i);
	return false;
}

static bool
valid_id(const char *s, bool underscore)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '-' && !(underscore && *s == '_'))
			return false;
	return true;
}

/* Parse a condition and check its variables; messages carry the field. */
static int
take_cond(struct pctx *pc, yaml_node_t *n, const char *field,
	  const char *const *vars, size_t nvars, char **text,
	  struct cond **out)
{
	int rc;

	if ((rc = get_str(pc, n, field, text)) < 0)
		return rc;
	if ((rc = cond_parse(*text, out)) < 0 ||
	    (rc = cond_check_vars(*out, vars, nvars)) < 0)
		return bad(pc, n, field, "%s", err_msg());
	return 0;
}

static int
take_template(struct pctx *pc, yaml_node_t *n, const char *field,
	      const char *const *vars, size_t nvars, char **text,
	      struct cond_template **out)
{
	int rc;

	if ((rc = get_str(pc, n, field, text)) < 0)
		return rc;
	if ((rc = cond_template_parse(*text, out)) < 0 ||
	    (rc = cond_template_check_vars(*out, vars, nvars)) < 0)
		return bad(pc, n, field, "%s", err_msg());
	return 0;
}

/* ---- rules ------------------------------------------------------------------ */

struct rule_ctx {
	struct pb_rule *r;
	enum step_kind kind;
};

static int
rule_when(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct rule_ctx *rc = obj;

	return take_cond(pc, v, key, step_vars[rc->kind].names,
			 step_vars[rc->kind].n, &rc->r->when, &rc->r->cond);
}

static int
rule_score(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct rule_ctx *rc = obj;

	return get_int(pc, v, key, -SCORE_LIMIT, SCORE_LIMIT, &rc->r->score);
}

static int
rule_finding(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct rule_ctx *rc = obj;

	return take_template(pc, v, key, step_vars[rc->kind].names,
			     step_vars[rc->kind].n, &rc->r->finding,
			     &rc->r->tmpl);
}

static int
rule_key(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct rule_ctx *rc = obj;

	return get_bool(pc, v, key, &rc->r->key);
}

static const struct key_def rule_keys[] = {
	{ "when", rule_when },
	{ "score", rule_score },
	{ "finding", rule_finding },
	{ "key", rule_key },
};
#define NRULE_KEYS (sizeof(rule_keys) / sizeof(rule_keys[0]))

static int
take_rules(struct pctx *pc, yaml_node_t *seq, struct pb_step *st)
{
	size_t n;

	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return bad(pc, seq, "rules", "expected a list of rules");
	n = (size_t)(seq->data.sequence.items.top -
		     seq->data.sequence.items.start);
	if (n == 0)
		return bad(pc, seq, "rules", "is empty");
	if (!(st->rules = calloc(n, sizeof(*st->rules))))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = node_at(pc, seq->data.sequence.items.start[i]);
		struct rule_ctx rc = { &st->rules[i], st->kind };
		unsigned seen;
		int err;

		st->nrules++;
		if ((err = walk_map(pc, item, "rules", rule_keys, NRULE_KEYS,
				    &rc, &seen, NULL)) < 0)
			return err;
		if (!given(seen, rule_keys, NRULE_KEYS, "when"))
			return bad(pc, item, "when", "every rule needs one");
		if (!given(seen, rule_keys, NRULE_KEYS, "score"))
			return bad(pc, item, "score", "every rule needs one");
		if (!given(seen, rule_keys, NRULE_KEYS, "key"))
			rc.r->key = rc.r->score != 0;
	}
	return 0;
}

/* ---- steps ------------------------------------------------------------------ */

/* Which optional keys a step kind takes (and which it must have). */
enum step_key_bit {
	SK_QUERY = 1 << 0,
	SK_CITE = 1 << 1,
	SK_MAX_ROWS = 1 << 2,
	SK_FIELD = 1 << 3,
	SK_LIST = 1 << 4,
	SK_LOOKBACK = 1 << 5,
};

static const struct {
	unsigned allowed, required;
} kind_keys[] = {
	[STEP_SQL] = { SK_QUERY | SK_CITE | SK_MAX_ROWS, SK_QUERY },
	[STEP_FIRST_SEEN] = { SK_FIELD | SK_LOOKBACK, SK_FIELD },
	[STEP_INTEL] = { SK_FIELD | SK_LIST, SK_FIELD | SK_LIST },
	[STEP_ALLOWLIST] = { 0, 0 },
	[STEP_PERMISSIONS] = { 0, 0 },
	[STEP_PRIOR_DECISIONS] = { 0, 0 },
};

static const struct {
	const char *key;
	unsigned bit;
} kind_key_names[] = {
	{ "query", SK_QUERY }, { "cite", SK_CITE }, { "max_rows", SK_MAX_ROWS },
	{ "field", SK_FIELD }, { "list", SK_LIST }, { "lookback", SK_LOOKBACK },
};

struct step_ctx {
	struct pb_step *st;
	bool has_kind;
	yaml_node_t *rules;   /* parsed after the kind is known */
	yaml_node_t *field;
};

#define STEP_STR(name, member) \
static int \
step_##name(struct pctx *pc, const char *key, yaml_node_t *v, void *obj) \
{ \
	struct step_ctx *sc = obj; \
	return get_str(pc, v, key, &sc->st->member); \
}
STEP_STR(id, id)
STEP_STR(title, title)
STEP_STR(query, query)
STEP_STR(cite, cite)
STEP_STR(list, list)
STEP_STR(requires, requires)
STEP_STR(gap, gap)
#undef STEP_STR

static int
step_kind(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct step_ctx *sc = obj;
	const char *s = scalar(v);
	char known[200];

	for (size_t k = 0; s && k < sizeof(step_kinds) / sizeof(*step_kinds);
	     k++) {
		if (strcmp(s, step_kinds[k]) == 0) {
			sc->st->kind = (enum step_kind)k;
			sc->has_kind = true;
			return 0;
		}
	}
	join_list(known, sizeof(known), step_kinds,
		  sizeof(step_kinds) / sizeof(*step_kinds));
	return bad(pc, v, key, "not a step kind (known: %s)", known);
}

static int
step_max_rows(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct step_ctx *sc = obj;
	int n;
	int rc = get_int(pc, v, key, 1, MAX_ROWS_LIMIT, &n);

	sc->st->max_rows = (size_t)n;
	return rc;
}

static int
step_field(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct step_ctx *sc = obj;

	sc->field = v;
	return get_str(pc, v, key, &sc->st->field);
}

static int
step_lookback(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct step_ctx *sc = obj;

	return get_duration(pc, v, key, &sc->st->lookback_ns);
}

static int
step_rules(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct step_ctx *sc = obj;

	(void)pc; (void)key;
	sc->rules = v;
	return 0;
}

static const struct key_def step_keys[] = {
	{ "id", step_id },
	{ "title", step_title },
	{ "kind", step_kind },
	{ "query", step_query },
	{ "cite", step_cite },
	{ "max_rows", step_max_rows },
	{ "field", step_field },
	{ "list", step_list },
	{ "lookback", step_lookback },
	{ "requires", step_requires },
	{ "gap", step_gap },
	{ "rules", step_rules },
};
#define NSTEP_KEYS (sizeof(step_keys) / sizeof(step_keys[0]))

/* Keys given against the kind's table: present but unused, or missing. */
static int
check_kind_keys(struct pctx *pc, yaml_node_t *item, struct pb_step *st,
		unsigned seen, const int *lines)
{
	for (size_t i = 0; i < sizeof(kind_key_names) / sizeof(*kind_key_names);
	     i++) {
		const char *key = kind_key_names[i].key;
		unsigned bit = kind_key_names[i].bit;
		bool has = given(seen, step_keys, NSTEP_KEYS, key);

		if (has && !(kind_keys[st->kind].allowed & bit)) {
			for (size_t k = 0; k < NSTEP_KEYS; k++)
				if (strcmp(step_keys[k].key, key) == 0)
					return err_set(ERR_FIELD, "%s:%d: field "
						       "`%s`: not used by a %s step",
						       pc->file, lines[k], key,
						       step_kinds[st->kind]);
		}
		if (!has && (kind_keys[st->kind].required & bit))
			return bad(pc, item, key, "a %s step needs one",
				   step_kinds[st->kind]);
	}
	return 0;
}

static int
finish_step(struct pctx *pc, yaml_node_t *item, struct step_ctx *sc,
	    unsigned seen, const int *lines)
{
	struct pb_step *st = sc->st;
	char known[200];
	int rc;

	if (!st->id)
		return bad(pc, item, "id", "every step needs one");
	if (!valid_id(st->id, true))
		return bad(pc, item, "id", "\"%s\": use a-z, 0-9, - and _",
			   st->id);
	if (!sc->has_kind)
		return bad(pc, item, "kind", "every step needs one");
	if ((rc = check_kind_keys(pc, item, st, seen, lines)) < 0)
		return rc;
	if (st->kind == STEP_FIRST_SEEN &&
	    !in_list(st->field, first_seen_fields,
		     sizeof(first_seen_fields) / sizeof(*first_seen_fields))) {
		join_list(known, sizeof(known), first_seen_fields,
			  sizeof(first_seen_fields) / sizeof(*first_seen_fields));
		return bad(pc, sc->field, "field", "\"%s\" is not one of %s",
			   st->field, known);
	}
	if (st->kind == STEP_INTEL &&
	    !in_list(st->field, intel_fields,
		     sizeof(intel_fields) / sizeof(*intel_fields))) {
		join_list(known, sizeof(known), intel_fields,
			  sizeof(intel_fields) / sizeof(*intel_fields));
		return bad(pc, sc->field, "field", "\"%s\" is not one of %s",
			   st->field, known);
	}
	if (st->gap && !st->requires)
		return bad(pc, item, "gap", "only means something with "
			   "`requires`");
	if (!st->title && !(st->title = strdup(st->id)))
		return err_set(ERR_NOMEM, "out of memory");
	if (st->kind == STEP_SQL && !st->cite && !(st->cite = strdup("id")))
		return err_set(ERR_NOMEM, "out of memory");
	if (!st->max_rows)
		st->max_rows = DEFAULT_MAX_ROWS;
	if (st->kind == STEP_FIRST_SEEN && !st->lookback_ns)
		st->lookback_ns = DEFAULT_LOOKBACK_NS;
	if (!sc->rules)
		return bad(pc, item, "rules", "every step needs at least one");
	return take_rules(pc, sc->rules, st);
}

static int
pb_steps(struct pctx *pc, const char *key, yaml_node_t *seq, void *obj)
{
	struct playbook *pb = obj;
	size_t n;

	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return bad(pc, seq, key, "expected a list of steps");
	n = (size_t)(seq->data.sequence.items.top -
		     seq->data.sequence.items.start);
	if (n == 0)
		return bad(pc, seq, key, "is empty");
	if (!(pb->steps = calloc(n, sizeof(*pb->steps))))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = node_at(pc, seq->data.sequence.items.start[i]);
		struct step_ctx sc = { .st = &pb->steps[i] };
		int lines[NSTEP_KEYS] = { 0 };
		unsigned seen;
		int rc;

		pb->nsteps++;
		sc.st->line = line_of(item);
		if ((rc = walk_map(pc, item, key, step_keys, NSTEP_KEYS, &sc,
				   &seen, lines)) < 0 ||
		    (rc = finish_step(pc, item, &sc, seen, lines)) < 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (strcmp(pb->steps[k].id, sc.st->id) == 0)
				return bad(pc, item, "id", "\"%s\" is used by "
					   "an earlier step", sc.st->id);
	}
	return 0;
}

/* ---- applies ---------------------------------------------------------------- */

#define MATCH_STR(name) \
static int \
match_##name(struct pctx *pc, const char *key, yaml_node_t *v, void *obj) \
{ \
	struct pb_match *m = obj; \
	return get_str(pc, v, key, &m->name); \
}
MATCH_STR(detection)
MATCH_STR(source)
MATCH_STR(event_source)
MATCH_STR(kind)
#undef MATCH_STR

static int
match_actions(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct pb_match *m = obj;
	size_t n;
	int rc;

	if (v && v->type == YAML_SCALAR_NODE) {
		if (!(m->actions = calloc(1, sizeof(*m->actions))))
			return err_set(ERR_NOMEM, "out of memory");
		m->nactions = 1;
		return get_str(pc, v, key, &m->actions[0]);
	}
	if (!v || v->type != YAML_SEQUENCE_NODE)
		return bad(pc, v, key, "expected a list of actions");
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (n == 0)
		return bad(pc, v, key, "is empty");
	if (!(m->actions = calloc(n, sizeof(*m->actions))))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		m->nactions++;
		if ((rc = get_str(pc, node_at(pc, v->data.sequence.items.start[i]),
				  key, &m->actions[i])) < 0)
			return rc;
	}
	return 0;
}

static const struct key_def match_keys[] = {
	{ "detection", match_detection },
	{ "source", match_source },
	{ "actions", match_actions },
	{ "event_source", match_event_source },
	{ "kind", match_kind },
};

static int
pb_applies(struct pctx *pc, const char *key, yaml_node_t *seq, void *obj)
{
	struct playbook *pb = obj;
	size_t n;

	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return bad(pc, seq, key, "expected a list of matches");
	n = (size_t)(seq->data.sequence.items.top -
		     seq->data.sequence.items.start);
	if (n == 0)
		return bad(pc, seq, key, "is empty (leave it out to match "
			   "every threat)");
	if (!(pb->applies = calloc(n, sizeof(*pb->applies))))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = node_at(pc, seq->data.sequence.items.start[i]);
		unsigned seen;
		int rc;

		pb->napplies++;
		if ((rc = walk_map(pc, item, key, match_keys,
				   sizeof(match_keys) / sizeof(*match_keys),
				   &pb->applies[i], &seen, NULL)) < 0)
			return rc;
		if (!seen)
			return bad(pc, item, key, "an entry needs at least one "
				   "of detection, source, actions, event_source, "
				   "kind");
	}
	return 0;
}

/* ---- window, prior, verdict ------------------------------------------------- */

static int
window_before(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	return get_duration(pc, v, key, &((struct playbook *)obj)->before_ns);
}

static int
window_after(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	return get_duration(pc, v, key, &((struct playbook *)obj)->after_ns);
}

static const struct key_def window_keys[] = {
	{ "before", window_before },
	{ "after", window_after },
};

static int
pb_window(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	unsigned seen;

	return walk_map(pc, v, key, window_keys,
			sizeof(window_keys) / sizeof(*window_keys), obj, &seen,
			NULL);
}

static int
prior_take(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct playbook *pb = obj;

	for (int i = 0; i < 5; i++)
		if (strcmp(key, severity_keys[i]) == 0)
			return get_int(pc, v, key, -SCORE_LIMIT, SCORE_LIMIT,
				       &pb->prior[i]);
	return 0;
}

static const struct key_def prior_keys[] = {
	{ "info", prior_take }, { "low", prior_take }, { "medium", prior_take },
	{ "high", prior_take }, { "critical", prior_take },
};

static int
pb_prior(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	unsigned seen;

	return walk_map(pc, v, key, prior_keys,
			sizeof(prior_keys) / sizeof(*prior_keys), obj, &seen,
			NULL);
}

static int
threshold_take(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct playbook *pb = obj;
	int *to = strcmp(key, "malicious") == 0 ? &pb->malicious_at
		  : strcmp(key, "suspicious") == 0 ? &pb->suspicious_at
		  : &pb->benign_at;

	return get_int(pc, v, key, -SCORE_LIMIT, SCORE_LIMIT, to);
}

static const struct key_def verdict_keys[] = {
	{ "malicious", threshold_take },
	{ "suspicious", threshold_take },
	{ "benign", threshold_take },
};

static int
pb_verdict(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct playbook *pb = obj;
	unsigned seen;
	int rc;

	if ((rc = walk_map(pc, v, key, verdict_keys,
			   sizeof(verdict_keys) / sizeof(*verdict_keys), obj,
			   &seen, NULL)) < 0)
		return rc;
	if (!(pb->benign_at < pb->suspicious_at &&
	      pb->suspicious_at <= pb->malicious_at))
		return bad(pc, v, key, "thresholds must read benign < "
			   "suspicious <= malicious (%d, %d, %d)", pb->benign_at,
			   pb->suspicious_at, pb->malicious_at);
	return 0;
}

/* ---- next steps ------------------------------------------------------------- */

static int
next_when(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct pb_next_step *ns = obj;

	return take_cond(pc, v, key, next_vars.names, next_vars.n, &ns->when,
			 &ns->cond);
}

static int
next_text(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	struct pb_next_step *ns = obj;

	return take_template(pc, v, key, next_vars.names, next_vars.n,
			     &ns->text, &ns->tmpl);
}

static const struct key_def next_keys[] = {
	{ "when", next_when },
	{ "text", next_text },
};

static int
pb_next_steps(struct pctx *pc, const char *key, yaml_node_t *seq, void *obj)
{
	struct playbook *pb = obj;
	size_t n;

	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return bad(pc, seq, key, "expected a list");
	n = (size_t)(seq->data.sequence.items.top -
		     seq->data.sequence.items.start);
	if (n && !(pb->next = calloc(n, sizeof(*pb->next))))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = node_at(pc, seq->data.sequence.items.start[i]);
		struct pb_next_step *ns = &pb->next[i];
		unsigned seen;
		int rc;

		pb->nnext++;
		if (item && item->type == YAML_SCALAR_NODE) {
			rc = next_text(pc, key, item, ns);
		} else {
			rc = walk_map(pc, item, key, next_keys,
				      sizeof(next_keys) / sizeof(*next_keys), ns,
				      &seen, NULL);
			if (rc == 0 && !ns->text)
				rc = bad(pc, item, "text", "every next step "
					 "needs one");
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the playbook ------------------------------------------------------------ */

#define PB_STR(name) \
static int \
pb_##name(struct pctx *pc, const char *key, yaml_node_t *v, void *obj) \
{ \
	return get_str(pc, v, key, &((struct playbook *)obj)->name); \
}
PB_STR(id)
PB_STR(family)
PB_STR(title)
PB_STR(description)
#undef PB_STR

static int
pb_priority(struct pctx *pc, const char *key, yaml_node_t *v, void *obj)
{
	return get_int(pc, v, key, -1000, 1000,
		       &((struct playbook *)obj)->priority);
}

static const struct key_def playbook_keys[] = {
	{ "id", pb_id },
	{ "family", pb_family },
	{ "title", pb_title },
	{ "description", pb_description },
	{ "priority", pb_priority },
	{ "applies", pb_applies },
	{ "window", pb_window },
	{ "prior", pb_prior },
	{ "verdict", pb_verdict },
	{ "steps", pb_steps },
	{ "next_steps", pb_next_steps },
};
#define NPB_KEYS (sizeof(playbook_keys) / sizeof(playbook_keys[0]))

static int
check_playbook(struct pctx *pc, yaml_node_t *root, unsigned seen,
	       const int *lines)
{
	struct playbook *pb = pc->pb;
	static const char *const required[] = { "id", "family", "title",
						"steps" };
	char known[300];

	for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++)
		if (!given(seen, playbook_keys, NPB_KEYS, required[i]))
			return bad(pc, root, required[i], "every playbook "
				   "needs one");
	if (!valid_id(pb->id, false))
		return err_set(ERR_FIELD, "%s:%d: field `id`: \"%s\": use a-z, "
			       "0-9 and -", pc->file, lines[0], pb->id);
	if (!in_list(pb->family, families,
		     sizeof(families) / sizeof(*families))) {
		join_list(known, sizeof(known), families,
			  sizeof(families) / sizeof(*families));
		return err_set(ERR_FIELD, "%s:%d: field `family`: \"%s\" is not "
			       "one of %s", pc->file, lines[1], pb->family,
			       known);
	}
	return 0;
}

static void
set_defaults(struct playbook *pb)
{
	memcpy(pb->prior, default_prior, sizeof(pb->prior));
	pb->malicious_at = DEFAULT_MALICIOUS;
	pb->suspicious_at = DEFAULT_SUSPICIOUS;
	pb->benign_at = DEFAULT_BENIGN;
	pb->before_ns = DEFAULT_BEFORE_NS;
	pb->after_ns = DEFAULT_AFTER_NS;
}

int
playbook_parse(const char *file, const char *text, size_t len,
	       struct playbook **out)
{
	struct pctx pc = { .file = file ? file : "(playbook)" };
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root;
	struct playbook *pb = NULL;
	bool have_doc = false, have_parser = false;
	int lines[NPB_KEYS] = { 0 };
	unsigned seen;
	int rc = 0;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return err_set(ERR_NOMEM, "out of memory");
	have_parser = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = err_set(ERR_PARSE, "%s:%zu: yaml: %s (column %zu)%s%s",
			     pc.file, parser.problem_mark.line + 1,
			     parser.problem ? parser.problem : "not YAML",
			     parser.problem_mark.column + 1,
			     parser.context ? ", " : "",
			     parser.context ? parser.context : "");
		goto out;
	}
	have_doc = true;
	pc.doc = &doc;
	if (!(root = yaml_document_get_root_node(&doc))) {
		rc = err_set(ERR_PARSE, "%s:1: yaml: the file is empty", pc.file);
		goto out;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		rc = err_set(ERR_PARSE, "%s:%zu: yaml: %s", pc.file,
			     parser.problem_mark.line + 1,
			     parser.problem ? parser.problem : "not YAML");
		goto out;
	}
	if (yaml_document_get_root_node(&extra)) {
		rc = err_set(ERR_PARSE, "%s:%zu: yaml: one playbook per file "
			     "(found a second document)", pc.file,
			     extra.start_mark.line + 1);
		yaml_document_delete(&extra);
		goto out;
	}
	yaml_document_delete(&extra);
	if (!(pb = calloc(1, sizeof(*pb))) ||
	    !(pb->file = strdup(pc.file))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	set_defaults(pb);
	pc.pb = pb;
	if (root->type != YAML_MAPPING_NODE) {
		rc = err_set(ERR_PARSE, "%s:%d: a playbook is a mapping of "
			     "keys (id, family, title, steps...)", pc.file,
			     line_of(root));
		goto out;
	}
	if ((rc = walk_map(&pc, root, "playbook", playbook_keys, NPB_KEYS, pb,
			   &seen, lines)) < 0 ||
	    (rc = check_playbook(&pc, root, seen, lines)) < 0)
		goto out;
	*out = pb;
	pb = NULL;
out:
	playbook_free(pb);
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	return rc;
}

const char *
playbook_kind_name(enum step_kind kind)
{
	if ((size_t)kind >= sizeof(step_kinds) / sizeof(*step_kinds))
		return "unknown";
	return step_kinds[kind];
}

void
playbook_free(struct playbook *pb)
{
	if (!pb)
		return;
	free(pb->id);
	free(pb->family);
	free(pb->title);
	free(pb->description);
	free(pb->file);
	for (size_t i = 0; i < pb->napplies; i++) {
		struct pb_match *m = &pb->applies[i];

		free(m->detection);
		free(m->source);
		free(m->event_source);
		free(m->kind);
		for (size_t k = 0; k < m->nactions; k++)
			free(m->actions[k]);
		free(m->actions);
	}
	free(pb->applies);
	for (size_t i = 0; i < pb->nsteps; i++) {
		struct pb_step *st = &pb->steps[i];

		free(st->id);
		free(st->title);
		free(st->query);
		free(st->cite);
		free(st->field);
		free(st->list);
		free(st->requires);
		free(st->gap);
		for (size_t k = 0; k < st->nrules; k++) {
			free(st->rules[k].when);
			free(st->rules[k].finding);
			cond_free(st->rules[k].cond);
			cond_template_free(st->rules[k].tmpl);
		}
		free(st->rules);
	}
	free(pb->steps);
	for (size_t i = 0; i < pb->nnext; i++) {
		free(pb->next[i].text);
		free(pb->next[i].when);
		cond_free(pb->next[i].cond);
		cond_template_free(pb->next[i].tmpl);
	}
	free(pb->next);
	free(pb);
}
