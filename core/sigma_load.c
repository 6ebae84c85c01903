/* SPDX-License-Identifier: Apache-2.0 */
/* sigma_load: Sigma rule files to compiled rules: the YAML document, its
 * metadata and log source, its detection's search identifiers and
 * condition, and why a rule that cannot run is skipped. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/sigma_int.h"

#define SIGMA_MAX_FILE (1u << 20) /* larger rule files are refused */
#define SIGMA_MAX_DEPTH 64        /* nesting of conditions */

/* ---- YAML helpers ------------------------------------------------------ */

/* Put "kind `name`: " before the last error message; returns code. */
static int
err_prefix(int code, const char *kind, const char *name)
{
	char msg[400];

	snprintf(msg, sizeof(msg), "%s", err_msg());
	return err_set(code, "%s `%s`: %s", kind, name, msg);
}

static yaml_node_t *
ymap_get(struct ydoc *y, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = ystr(ynode(y, p->key));

		if (k && !strcmp(k, key))
			return ynode(y, p->value);
	}
	return NULL;
}

/* A scalar member as an owned string (NULL when absent or not a scalar). */
static int
ydup(struct ydoc *y, yaml_node_t *map, const char *key, char **out)
{
	const char *s = ystr(ymap_get(y, map, key));

	*out = NULL;
	if (s && !(*out = strdup(s)))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* A list of scalars (or one scalar) as an owned array of strings. */
static int
ydup_list(struct ydoc *y, yaml_node_t *map, const char *key, char ***out,
	  size_t *n)
{
	yaml_node_t *v = ymap_get(y, map, key);
	yaml_node_item_t *it;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (yscalar(v)) {
		if (!(*out = calloc(1, sizeof(char *))) ||
		    !((*out)[0] = strdup(ystr(v))))
			return err_set(ERR_NOMEM, "out of memory");
		*n = 1;
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return err_set(ERR_PARSE, "`%s` is neither a list nor a value", key);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		const char *s = ystr(ynode(y, *it));

		if (!s)
			return err_set(ERR_PARSE, "`%s` holds something other "
				       "than values", key);
		if (sigma_grow(out, &cap, *n + 1, sizeof(char *)) < 0 ||
		    !((*out)[*n] = strdup(s)))
			return err_set(ERR_NOMEM, "out of memory");
		(*n)++;
	}
	return 0;
}

/* ---- detection --------------------------------------------------------- */

/* A field (or keyword) with its value or list of values. */
static int
compile_item(struct compile *c, struct item *it, const char *key, yaml_node_t *val,
	     bool keywords)
{
	struct mods m;
	char *field = NULL;
	size_t cap = 0;
	int rc;

	memset(it, 0, sizeof(*it));
	it->field = -1;
	if ((rc = sigma_parse_key(key, &field, &m)) < 0)
		goto out;
	it->all = m.all;
	if (!*field) {
		keywords = true;
	} else {
		if ((rc = sigma_field_intern(c->rs->ix, c->r->source, field)) < 0)
			goto out;
		it->field = rc;
		for (size_t p = 0; p < c->rs->ix->f[rc].npaths; p++)
			if (!sigma_field_known(c->r->source, c->rs->ix->f[rc].paths[p])) {
				buf_printf(&c->notes, "%sdetection `%s`: field "
					   "`%s` is not part of %s records (the "
					   "rule may assume another field "
					   "mapping)", c->notes.len ? "; " : "",
					   c->search, field,
					   sigma_sources[c->r->source].label);
				break;
			}
	}
	/* Keywords match anywhere inside a string value. */
	if (keywords && !m.wild && !m.re && !m.cidr && !m.cmp && !m.exists)
		m.wild = W_CONTAINS;
	if (keywords && (m.exists || m.fieldref)) {
		rc = err_set(ERR_PARSE, "keywords with `%s`", m.exists ? "exists" :
			     "fieldref");
		goto out;
	}
	if (yscalar(val)) {
		rc = sigma_compile_value(c, it, &cap, &m, val);
	} else if (val && val->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *e;

		if (val->data.sequence.items.start == val->data.sequence.items.top) {
			rc = err_set(ERR_PARSE, "empty list of values");
			goto out;
		}
		for (e = val->data.sequence.items.start;
		     e < val->data.sequence.items.top && rc >= 0; e++)
			rc = sigma_compile_value(c, it, &cap, &m, ynode(c->y, *e));
	} else {
		rc = err_set(ERR_PARSE, "a map where values belong");
	}
	if (rc >= 0)
		rc = 0;
out:
	free(field);
	return rc;
}

static int
group_add_item(struct group *g, size_t *cap, struct item **out)
{
	if (sigma_grow(&g->it, cap, g->n + 1, sizeof(*g->it)) < 0)
		return ERR_NOMEM;
	*out = &g->it[g->n++];
	memset(*out, 0, sizeof(**out));
	(*out)->field = -1;
	return 0;
}

/* A map: every field must match. */
static int
compile_map(struct compile *c, struct group *g, yaml_node_t *map)
{
	yaml_node_pair_t *p;
	size_t cap = 0;
	int rc;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *key = ystr(ynode(c->y, p->key));
		struct item *it;

		if (!key)
			return err_set(ERR_PARSE, "a field name is not a string");
		if ((rc = group_add_item(g, &cap, &it)) < 0)
			return rc;
		if ((rc = compile_item(c, it, key, ynode(c->y, p->value), false)) < 0)
			return rc == ERR_NOMEM ? rc : err_prefix(rc, "field", key);
	}
	if (g->n == 0)
		return err_set(ERR_PARSE, "an empty map");
	return 0;
}

/* A search identifier: a map, a list of maps (any), or keywords. */
static int
compile_search(struct compile *c, struct search *s, yaml_node_t *n)
{
	size_t cap = 0;
	int rc;

	if (n && n->type == YAML_MAPPING_NODE) {
		if ((rc = sigma_grow(&s->g, &cap, 1, sizeof(*s->g))) < 0)
			return rc;
		memset(&s->g[0], 0, sizeof(s->g[0]));
		s->ng = 1;
		return compile_map(c, &s->g[0], n);
	}
	if (yscalar(n) || (n && n->type == YAML_SEQUENCE_NODE)) {
		struct group kw = { 0 };
		size_t kcap = 0;
		struct item *it = NULL;
		yaml_node_item_t *e;

		if (yscalar(n)) {
			if ((rc = group_add_item(&kw, &kcap, &it)) < 0)
				goto kwfail;
			if ((rc = compile_item(c, it, "", n, true)) < 0)
				goto kwfail;
		} else {
			size_t vcap = 0;

			for (e = n->data.sequence.items.start;
			     e < n->data.sequence.items.top; e++) {
				yaml_node_t *x = ynode(c->y, *e);

				if (x && x->type == YAML_MAPPING_NODE) {
					if ((rc = sigma_grow(&s->g, &cap, s->ng + 1,
						       sizeof(*s->g))) < 0)
						goto kwfail;
					memset(&s->g[s->ng], 0, sizeof(s->g[0]));
					if ((rc = compile_map(c, &s->g[s->ng++], x)) < 0)
						goto kwfail;
					continue;
				}
				if (!yscalar(x) || ynull(x)) {
					rc = err_set(ERR_PARSE, "a list holds "
						     "something other than maps "
						     "and keywords");
					goto kwfail;
				}
				/* Keywords of a list collect into one item. */
				if (!it) {
					if ((rc = group_add_item(&kw, &kcap, &it)) < 0)
						goto kwfail;
				}
				{
					struct mods m = { .wild = W_CONTAINS };

					if ((rc = sigma_compile_value(c, it, &vcap, &m, x)) < 0)
						goto kwfail;
				}
			}
			if (!it && !s->ng) {
				rc = err_set(ERR_PARSE, "an empty list");
				goto kwfail;
			}
		}
		if (it) {
			if ((rc = sigma_grow(&s->g, &cap, s->ng + 1, sizeof(*s->g))) < 0)
				goto kwfail;
			s->g[s->ng++] = kw;
		}
		return 0;
kwfail:
		for (size_t i = 0; i < kw.n; i++)
			sigma_item_dispose(&kw.it[i]);
		free(kw.it);
		return rc;
	}
	return err_set(ERR_PARSE, "neither a map, a list nor keywords");
}

/* ---- conditions -------------------------------------------------------- */

struct cparse {
	struct compile *c;
	const char *p;        /* the condition text */
	size_t pos;
	char tok[128];        /* current token: "(", ")", a word, "" at end */
	int depth;
};

static void
cond_next(struct cparse *cp)
{
	const char *p = cp->p;
	size_t i = cp->pos, n = 0;

	while (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
		i++;
	if (p[i] == '(' || p[i] == ')' || p[i] == '|') {
		cp->tok[n++] = p[i++];
	} else {
		while (p[i] && !strchr(" \t\r\n()|", p[i])) {
			if (n + 1 < sizeof(cp->tok))
				cp->tok[n++] = p[i];
			i++;
		}
	}
	cp->tok[n] = '\0';
	cp->pos = i;
}

static bool
tok_is(const struct cparse *cp, const char *word)
{
	return !strcasecmp(cp->tok, word);
}

static int
cnode_add(struct sigma_detection *d, enum cnode_kind k, int ref, int a, int b)
{
	if (sigma_grow(&d->cn, &d->capcn, d->ncn + 1, sizeof(*d->cn)) < 0)
		return ERR_NOMEM;
	d->cn[d->ncn] = (struct cnode){ k, ref, a, b };
	return (int)d->ncn++;
}

/* Sigma's identifier patterns: '*' is any run. */
static bool
name_match(const char *pat, const char *s)
{
	if (!*pat)
		return !*s;
	if (*pat == '*') {
		for (;; s++) {
			if (name_match(pat + 1, s))
				return true;
			if (!*s)
				return false;
		}
	}
	return *s == *pat && name_match(pat + 1, s + 1);
}

static int cond_or(struct cparse *cp);

/* `1 of X*`, `all of them`: the matching search identifiers joined. */
static int
cond_of(struct cparse *cp, bool all)
{
	struct sigma_detection *d = cp->c->d;
	bool them;
	int node = -1, rc;
	char pat[128];

	cond_next(cp);
	if (!tok_is(cp, "of"))
		return err_set(ERR_PARSE, "condition: `of` expected after `%s`",
			       all ? "all" : "1");
	cond_next(cp);
	if (!cp->tok[0] || !strcmp(cp->tok, "(") || !strcmp(cp->tok, ")"))
		return err_set(ERR_PARSE, "condition: a name or `them` expected "
			       "after `of`");
	them = tok_is(cp, "them");
	snprintf(pat, sizeof(pat), "%s", cp->tok);
	for (size_t i = 0; i < d->ns; i++) {
		if (them ? d->s[i].name[0] == '_' : !name_match(pat, d->s[i].name))
			continue;
		if ((rc = cnode_add(d, C_REF, (int)i, -1, -1)) < 0)
			return rc;
		if (node >= 0 && (rc = cnode_add(d, all ? C_AND : C_OR, -1, node,
						 rc)) < 0)
			return rc;
		node = rc;
	}
	if (node < 0)
		return err_set(ERR_PARSE, "condition: `%s of %s` matches no search "
			       "identifier", all ? "all" : "1", pat);
	cond_next(cp);
	return node;
}

static int
cond_primary(struct cparse *cp)
{
	struct sigma_detection *d = cp->c->d;
	int rc;

	if (++cp->depth > SIGMA_MAX_DEPTH)
		return err_set(ERR_PARSE, "condition nested too deeply");
	if (!strcmp(cp->tok, "(")) {
		cond_next(cp);
		if ((rc = cond_or(cp)) < 0)
			return rc;
		if (strcmp(cp->tok, ")") != 0)
			return err_set(ERR_PARSE, "condition: `)` expected");
		cond_next(cp);
	} else if (tok_is(cp, "not")) {
		cond_next(cp);
		if ((rc = cond_primary(cp)) < 0 ||
		    (rc = cnode_add(d, C_NOT, -1, rc, -1)) < 0)
			return rc;
	} else if (!strcmp(cp->tok, "1") || tok_is(cp, "all")) {
		if ((rc = cond_of(cp, tok_is(cp, "all"))) < 0)
			return rc;
	} else if (cp->tok[0] >= '0' && cp->tok[0] <= '9') {
		return err_set(ERR_UNSUPPORTED, "condition `%s of`: only `1 of` "
			       "and `all of` are in the specification", cp->tok);
	} else if (!cp->tok[0] || !strcmp(cp->tok, ")") || tok_is(cp, "and") ||
		   tok_is(cp, "or")) {
		return err_set(ERR_PARSE, "condition: a search identifier "
			       "expected%s%s", cp->tok[0] ? " before " : " at the end",
			       cp->tok);
	} else {
		size_t i;

		for (i = 0; i < d->ns && strcmp(d->s[i].name, cp->tok); i++)
			;
		if (i == d->ns)
			return err_set(ERR_PARSE, "condition names `%s`, which "
				       "detection does not define", cp->tok);
		if ((rc = cnode_add(d, C_REF, (int)i, -1, -1)) < 0)
			return rc;
		cond_next(cp);
	}
	cp->depth--;
	return rc;
}

static int
cond_and(struct cparse *cp)
{
	int a, b;

	if ((a = cond_primary(cp)) < 0)
		return a;
	while (tok_is(cp, "and")) {
		cond_next(cp);
		if ((b = cond_primary(cp)) < 0 ||
		    (a = cnode_add(cp->c->d, C_AND, -1, a, b)) < 0)
			return b < 0 ? b : a;
	}
	return a;
}

static int
cond_or(struct cparse *cp)
{
	int a, b;

	if ((a = cond_and(cp)) < 0)
		return a;
	while (tok_is(cp, "or")) {
		cond_next(cp);
		if ((b = cond_and(cp)) < 0 ||
		    (a = cnode_add(cp->c->d, C_OR, -1, a, b)) < 0)
			return b < 0 ? b : a;
	}
	return a;
}

static int
compile_condition(struct compile *c, const char *text)
{
	struct cparse cp = { .c = c, .p = text };
	int root;

	if (strchr(text, '|'))
		return err_set(ERR_UNSUPPORTED, "aggregation in the condition "
			       "(`%s`) needs correlation over many events", text);
	cond_next(&cp);
	if ((root = cond_or(&cp)) < 0)
		return root;
	if (cp.tok[0])
		return err_set(ERR_PARSE, "condition: unexpected `%s`", cp.tok);
	return root;
}

/* ---- rules ------------------------------------------------------------- */

static const char *
level_severity(const char *level)
{
	static const char *const map[][2] = {
		{ "informational", "info" }, { "low", "low" },
		{ "medium", "medium" }, { "high", "high" },
		{ "critical", "critical" },
	};

	for (size_t i = 0; level && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcasecmp(level, map[i][0]))
			return map[i][1];
	return "unknown";
}

static int
rule_tactics(struct sigma_rule *r)
{
	cJSON *a = NULL;

	for (size_t i = 0; i < r->ntags; i++) {
		if (strncasecmp(r->tags[i], "attack.", 7) != 0)
			continue;
		if (!a && !(a = cJSON_CreateArray()))
			return err_set(ERR_NOMEM, "out of memory");
		cJSON_AddItemToArray(a, cJSON_CreateString(r->tags[i]));
	}
	if (!a)
		return 0;
	r->tactics = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return r->tactics ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static int
rule_logsource(struct ydoc *y, yaml_node_t *root, struct sigma_rule *r)
{
	yaml_node_t *ls = ymap_get(y, root, "logsource");
	int rc;

	if (!ls || ls->type != YAML_MAPPING_NODE)
		return err_set(ERR_PARSE, "no `logsource` map");
	if ((rc = ydup(y, ls, "product", &r->product)) < 0 ||
	    (rc = ydup(y, ls, "service", &r->service)) < 0 ||
	    (rc = ydup(y, ls, "category", &r->category)) < 0)
		return rc;
	for (int s = 0; s < SIGMA_SOURCE_COUNT; s++) {
		if (r->product && r->service &&
		    !strcasecmp(r->product, sigma_sources[s].product) &&
		    !strcasecmp(r->service, sigma_sources[s].service)) {
			r->source = (enum sigma_source)s;
			return 0;
		}
	}
	return err_set(ERR_UNSUPPORTED, "log source%s%s%s%s%s%s: verdict runs "
		       "rules on aws/cloudtrail and kubernetes/audit only",
		       r->category ? " category " : "", r->category ? r->category : "",
		       r->product ? " product " : "", r->product ? r->product : "",
		       r->service ? " service " : "", r->service ? r->service : "");
}

static int
rule_detection(struct compile *c, yaml_node_t *root)
{
	struct sigma_rule *r = c->r;
	struct sigma_detection *d;
	yaml_node_t *det = ymap_get(c->y, root, "detection"), *cond;
	yaml_node_pair_t *p;
	size_t cap = 0;
	int rc, node;

	if (!det || det->type != YAML_MAPPING_NODE)
		return err_set(ERR_PARSE, "no `detection` map");
	if (ymap_get(c->y, det, "timeframe"))
		return err_set(ERR_UNSUPPORTED, "`timeframe` needs correlation over "
			       "a time window");
	if (!(d = r->det = calloc(1, sizeof(*d))))
		return err_set(ERR_NOMEM, "out of memory");
	c->d = d;
	d->root = -1;
	for (p = det->data.mapping.pairs.start; p < det->data.mapping.pairs.top; p++) {
		const char *name = ystr(ynode(c->y, p->key));
		struct search *s;

		if (!name)
			return err_set(ERR_PARSE, "detection: a key is not a name");
		if (!strcmp(name, "condition"))
			continue;
		if ((rc = sigma_grow(&d->s, &cap, d->ns + 1, sizeof(*d->s))) < 0)
			return rc;
		s = &d->s[d->ns++];
		memset(s, 0, sizeof(*s));
		if (!(s->name = strdup(name)))
			return err_set(ERR_NOMEM, "out of memory");
		c->search = name;
		if ((rc = compile_search(c, s, ynode(c->y, p->value))) < 0)
			return rc == ERR_NOMEM ? rc :
			       err_prefix(rc, "detection", name);
	}
	cond = ymap_get(c->y, det, "condition");
	if (yscalar(cond)) {
		if ((rc = compile_condition(c, ystr(cond))) < 0)
			return rc;
		d->root = rc;
	} else if (cond && cond->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *e;

		/* A list of conditions: any of them. */
		for (e = cond->data.sequence.items.start;
		     e < cond->data.sequence.items.top; e++) {
			const char *text = ystr(ynode(c->y, *e));

			if (!text)
				return err_set(ERR_PARSE, "condition list holds a "
					       "non-string");
			if ((node = compile_condition(c, text)) < 0)
				return node;
			if (d->root >= 0 &&
			    (node = cnode_add(d, C_OR, -1, d->root, node)) < 0)
				return node;
			d->root = node;
		}
	}
	if (d->root < 0)
		return err_set(ERR_PARSE, "no `condition`");
	return 0;
}

static int
rule_metadata(struct ydoc *y, yaml_node_t *root, struct sigma_rule *r)
{
	static const struct {
		const char *key;
		size_t off;
	} scalars[] = {
		{ "title", offsetof(struct sigma_rule, title) },
		{ "id", offsetof(struct sigma_rule, id) },
		{ "status", offsetof(struct sigma_rule, status) },
		{ "level", offsetof(struct sigma_rule, level) },
		{ "description", offsetof(struct sigma_rule, description) },
		{ "author", offsetof(struct sigma_rule, author) },
		{ "date", offsetof(struct sigma_rule, date) },
	};
	int rc;

	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		if ((rc = ydup(y, root, scalars[i].key,
			       (char **)((char *)r + scalars[i].off))) < 0)
			return rc;
	if ((rc = ydup_list(y, root, "tags", &r->tags, &r->ntags)) < 0 ||
	    (rc = ydup_list(y, root, "fields", &r->fields, &r->nfields)) < 0 ||
	    (rc = ydup_list(y, root, "falsepositives", &r->falsepositives,
			    &r->nfalsepositives)) < 0 ||
	    (rc = ydup_list(y, root, "references", &r->references,
			    &r->nreferences)) < 0)
		return rc;
	if (!r->title || !*r->title)
		return err_set(ERR_PARSE, "no `title`");
	r->severity = level_severity(r->level);
	return rule_tactics(r);
}

/* What kind of Sigma document root is, when it is not a detection rule. */
static const char *
other_document(struct ydoc *y, yaml_node_t *root)
{
	const char *action = ystr(ymap_get(y, root, "action"));

	if (ymap_get(y, root, "correlation"))
		return "a correlation rule (events counted or ordered across a "
		       "window)";
	if (ymap_get(y, root, "filter") && !ymap_get(y, root, "detection"))
		return "a Sigma filter (exclusions applied to other rules)";
	if (action)
		return "a rule collection (`action`)";
	return NULL;
}

static int
skip_add(struct sigma_ruleset *rs, const char *file, const struct sigma_rule *r,
	 const char *reason)
{
	struct sigma_skip *s;
	size_t cap = rs->nskips;

	if (sigma_grow(&rs->skips, &cap, rs->nskips + 1, sizeof(*rs->skips)) < 0)
		return ERR_NOMEM;
	s = &rs->skips[rs->nskips];
	memset(s, 0, sizeof(*s));
	s->file = strdup(file);
	s->title = r && r->title ? strdup(r->title) : NULL;
	s->id = r && r->id ? strdup(r->id) : NULL;
	s->reason = strdup(reason);
	rs->nskips++;
	return s->file && s->reason ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static int
note_add(struct sigma_ruleset *rs, const char *file, const char *text)
{
	size_t cap = rs->nnotes;
	char *s;

	if (sigma_grow(&rs->notes, &cap, rs->nnotes + 1, sizeof(*rs->notes)) < 0)
		return ERR_NOMEM;
	if (!(s = malloc(strlen(file) + strlen(text) + 3)))
		return err_set(ERR_NOMEM, "out of memory");
	sprintf(s, "%s: %s", file, text);
	rs->notes[rs->nnotes++] = s;
	return 0;
}

int
sigma_ruleset_add(struct sigma_ruleset *rs, const char *name, const char *yaml,
		  size_t len)
{
	yaml_parser_t parser;
	struct ydoc y = { .file = name };
	struct compile c = { .rs = rs, .y = &y };
	yaml_document_t extra;
	yaml_node_t *root;
	const char *other;
	bool loaded = false, have_extra = false;
	int rc;

	buf_init(&c.notes);
	memset(&y.doc, 0, sizeof(y.doc));
	if (!(c.r = calloc(1, sizeof(*c.r))) || !(c.r->file = strdup(name))) {
		free(c.r);
		return err_set(ERR_NOMEM, "out of memory");
	}
	if (!yaml_parser_initialize(&parser)) {
		sigma_rule_free(c.r);
		return err_set(ERR_NOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &y.doc)) {
		rc = err_set(ERR_PARSE, "YAML: %s at line %zu",
			     parser.problem ? parser.problem : "unreadable",
			     parser.problem_mark.line + 1);
		goto out;
	}
	loaded = true;
	if (!(root = yaml_document_get_root_node(&y.doc)) ||
	    root->type != YAML_MAPPING_NODE) {
		rc = err_set(ERR_PARSE, "not a YAML map");
		goto out;
	}
	if (yaml_parser_load(&parser, &extra)) {
		have_extra = yaml_document_get_root_node(&extra) != NULL;
		yaml_document_delete(&extra);
	}
	if (have_extra) {
		rc = err_set(ERR_UNSUPPORTED, "several YAML documents in one file "
			     "(a rule collection or correlation)");
		goto out;
	}
	/* The title first, so that a skipped rule is listed with it. */
	rc = rule_metadata(&y, root, c.r);
	if ((other = other_document(&y, root))) {
		rc = err_set(ERR_UNSUPPORTED, "%s", other);
		goto out;
	}
	if (rc < 0 || (rc = rule_logsource(&y, root, c.r)) < 0 ||
	    (rc = rule_detection(&c, root)) < 0)
		goto out;
	if ((rc = sigma_rule_register(rs, c.r)) < 0)
		goto out;
	if (c.notes.len)
		rc = note_add(rs, name, c.notes.data);
	c.r = NULL;
out:
	if (rc < 0 && rc != ERR_NOMEM) {
		char reason[512];

		snprintf(reason, sizeof(reason), "%s", err_msg());
		if (skip_add(rs, name, c.r, reason) < 0)
			rc = ERR_NOMEM;
		else
			err_set(rc, "%s", reason);
	}
	sigma_rule_free(c.r);
	if (loaded)
		yaml_document_delete(&y.doc);
	yaml_parser_delete(&parser);
	buf_dispose(&c.notes);
	return rc;
}

/* ---- files ------------------------------------------------------------- */

static int
load_file(struct sigma_ruleset *rs, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[8192];
	size_t n;
	int rc = 0;

	if (!f) {
		char reason[256];

		snprintf(reason, sizeof(reason), "cannot open: %s", strerror(errno));
		return skip_add(rs, path, NULL, reason);
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > SIGMA_MAX_FILE) {
			rc = skip_add(rs, path, NULL, "larger than 1 MiB");
			goto out;
		}
		if (buf_add(&b, chunk, n) < 0) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if (ferror(f)) {
		rc = skip_add(rs, path, NULL, "read error");
		goto out;
	}
	rc = sigma_ruleset_add(rs, path, b.data ? b.data : "", b.len);
	if (rc != ERR_NOMEM)
		rc = 0;
out:
	fclose(f);
	buf_dispose(&b);
	return rc;
}

static bool
is_rule_file(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' &&
	       ((n > 4 && !strcmp(name + n - 4, ".yml")) ||
		(n > 5 && !strcmp(name + n - 5, ".yaml")));
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_path(struct sigma_ruleset *rs, const char *path, int depth)
{
	struct stat sb;
	DIR *dir;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (stat(path, &sb) < 0)
		return err_set(ERR_IO, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return load_file(rs, path);
	if (depth > 16)
		return 0;
	if (!(dir = opendir(path)))
		return err_set(ERR_IO, "%s: %s", path, strerror(errno));
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if ((rc = sigma_grow(&names, &cap, n + 1, sizeof(*names))) < 0)
			goto out;
		if (!(names[n] = malloc(strlen(path) + strlen(de->d_name) + 2))) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		sprintf(names[n++], "%s/%s", path, de->d_name);
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		const char *base = strrchr(names[i], '/') + 1;

		if (stat(names[i], &sb) < 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			rc = load_path(rs, names[i], depth + 1);
		else if (is_rule_file(base))
			rc = load_file(rs, names[i]);
	}
out:
	closedir(dir);
	sigma_strv_free(names, n);
	return rc;
}

int
sigma_ruleset_load(struct sigma_ruleset *rs, const char *path)
{
	return load_path(rs, path, 0);
}
