/* SPDX-License-Identifier: Apache-2.0 */
/* sigma_sql: a compiled Sigma rule as one SQLite condition over the
 * events table's raw column, with the matcher's meaning (`verdict detect
 * --sql` and the benchmark). */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/sigma_int.h"

/* ---- the same rules as SQLite SQL ----------------------------------------
 * Each field match becomes a CASE over json_type: a scalar compares by
 * its text (true and false as words, as the matcher sees them), an array
 * or object by any scalar inside (json_tree), and a path that crosses an
 * array falls back to json_tree with the path as a regular expression
 * over fullkey. Keys are split at every dot here (the matcher also
 * accepts keys that contain dots). */

static void
sql_str(struct buf *o, const char *s, size_t n)
{
	buf_addc(o, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			buf_addc(o, '\'');
		buf_addc(o, s[i]);
	}
	buf_addc(o, '\'');
}

/* The JSON path '$."a"."b"' of the first nseg segments of path, as an
 * SQL string. */
static int
sql_jpath(struct buf *o, const char *path, size_t nseg)
{
	struct buf jp;
	const char *p = path;

	buf_init(&jp);
	buf_addc(&jp, '$');
	for (size_t k = 0; k < nseg && p; k++) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (memchr(p, '"', n) || memchr(p, '\\', n)) {
			buf_dispose(&jp);
			return err_set(ERR_UNSUPPORTED, "field `%s`: no SQL path for "
				       "a key with quotes", path);
		}
		buf_adds(&jp, ".\"");
		buf_add(&jp, p, n);
		buf_addc(&jp, '"');
		p = dot ? dot + 1 : NULL;
	}
	sql_str(o, jp.data, jp.len);
	buf_dispose(&jp);
	return 0;
}

static size_t
path_segments(const char *path)
{
	size_t n = 1;

	for (const char *p = path; *p; p++)
		n += *p == '.';
	return n;
}

/* A regular expression for json_tree's fullkey of path with any array
 * indexes between its keys; tail is what may follow. */
static void
sql_fullkey_re(struct buf *o, const char *path, const char *tail)
{
	struct buf re;
	const char *p = path;

	buf_init(&re);
	buf_adds(&re, "^\\$(\\[[0-9]+\\])*");
	while (p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		struct buf seg;

		buf_init(&seg);
		for (size_t i = 0; i < n; i++) {
			if (strchr(".^$*+?()[]{}|\\", p[i]))
				buf_addc(&seg, '\\');
			buf_addc(&seg, p[i]);
		}
		/* SQLite quotes keys that are not plain words. */
		buf_printf(&re, "(\\.%s|\\.\"%s\")(\\[[0-9]+\\])*",
			   seg.data ? seg.data : "", seg.data ? seg.data : "");
		buf_dispose(&seg);
		p = dot ? dot + 1 : NULL;
	}
	buf_adds(&re, tail);
	sql_str(o, re.data, re.len);
	buf_dispose(&re);
}

/* An SQL LIKE (or GLOB, when cased) pattern for a value. */
static void
sql_pattern(struct buf *o, const struct value *v)
{
	struct buf p;
	bool cased = v->cased;

	buf_init(&p);
	if (v->kind == V_SUFFIX || v->kind == V_SUBSTR)
		buf_addc(&p, cased ? '*' : '%');
	if (v->kind == V_GLOB) {
		for (size_t i = 0; i < v->nunits; i++) {
			unsigned short u = v->units[i];

			if (u == U_STAR)
				buf_addc(&p, cased ? '*' : '%');
			else if (u == U_ONE)
				buf_addc(&p, cased ? '?' : '_');
			else if (cased && (u == '*' || u == '?' || u == '['))
				buf_printf(&p, "[%c]", (char)u);
			else if (!cased && (u == '%' || u == '_' || u == '\\'))
				buf_printf(&p, "\\%c", (char)u);
			else
				buf_addc(&p, (char)u);
		}
	} else {
		for (size_t i = 0; i < v->len; i++) {
			char c = v->lit[i];

			if (cased && (c == '*' || c == '?' || c == '['))
				buf_printf(&p, "[%c]", c);
			else if (!cased && (c == '%' || c == '_' || c == '\\'))
				buf_printf(&p, "\\%c", c);
			else
				buf_addc(&p, c);
		}
	}
	if (v->kind == V_PREFIX || v->kind == V_SUBSTR)
		buf_addc(&p, cased ? '*' : '%');
	buf_adds(o, cased ? " GLOB " : " LIKE ");
	sql_str(o, p.data ? p.data : "", p.len);
	if (!cased)
		buf_adds(o, " ESCAPE '\\'");
	buf_dispose(&p);
}

/* The predicate of value v over the SQL text expression x. */
static int
sql_pred(struct buf *o, const struct sigma_ruleset *rs, const struct value *v,
	 const char *x)
{
	switch (v->kind) {
	case V_EXACT:
		buf_printf(o, v->cased ? "CAST(%s AS TEXT) = " : "lower(%s) = ", x);
		sql_str(o, v->lit, v->len);
		return 0;
	case V_PREFIX:
	case V_SUFFIX:
	case V_SUBSTR:
	case V_GLOB:
		buf_adds(o, x);
		sql_pattern(o, v);
		return 0;
	case V_RE:
		if (v->re_flags & (RE_M | RE_S))
			return err_set(ERR_UNSUPPORTED, "no SQL form for `re|m` "
				       "or `re|s`");
		buf_adds(o, v->re_flags & RE_I ? "regexpi(" : "regexp(");
		sql_str(o, v->src, strlen(v->src));
		buf_printf(o, ", %s)", x);
		return 0;
	case V_CIDR:
		if (v->family != AF_INET || v->bits % 8)
			return err_set(ERR_UNSUPPORTED, "no SQL form for CIDR `%s`",
				       v->src);
		if (v->bits == 32) {
			buf_printf(o, "CAST(%s AS TEXT) = ", x);
			sql_str(o, v->src, strcspn(v->src, "/"));
		} else {
			char pre[32] = "";

			for (int i = 0; i < v->bits / 8; i++)
				snprintf(pre + strlen(pre), sizeof(pre) - strlen(pre),
					 "%u.", v->net[i]);
			buf_printf(o, "CAST(%s AS TEXT) LIKE '%s%%'", x, pre);
		}
		return 0;
	case V_NUM: {
		static const char *const ops[] = { "<", "<=", ">", ">=" };

		buf_printf(o, "(typeof(%s) IN ('integer','real') AND %s %s %.17g)",
			   x, x, ops[v->cmp], v->num);
		return 0;
	}
	case V_FIELDREF: {
		const struct field *f = &rs->ix->f[v->ref];
		struct buf y;
		int rc;

		if (f->npaths != 1)
			return err_set(ERR_UNSUPPORTED, "no SQL form for fieldref "
				       "to a mapped field");
		buf_init(&y);
		buf_adds(&y, v->cased ? "(" : "lower(");
		buf_adds(&y, "CASE json_type(raw,");
		if ((rc = sql_jpath(&y, f->paths[0], path_segments(f->paths[0]))) < 0) {
			buf_dispose(&y);
			return rc;
		}
		buf_adds(&y, ") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
			 " ELSE json_extract(raw,");
		sql_jpath(&y, f->paths[0], path_segments(f->paths[0]));
		buf_adds(&y, ") END)");
		{
			const char *lo = v->cased ? "CAST(" : "lower(";
			const char *hi = v->cased ? " AS TEXT)" : ")";

			if (v->how == V_EXACT)
				buf_printf(o, "%s%s%s = %s", lo, x, hi, y.data);
			else if (v->how == V_SUBSTR)
				buf_printf(o, "instr(%s%s%s, %s) > 0", lo, x, hi,
					   y.data);
			else if (v->how == V_PREFIX)
				buf_printf(o, "substr(%s%s%s, 1, length(%s)) = %s", lo,
					   x, hi, y.data, y.data);
			else
				buf_printf(o, "(length(%s) = 0 OR substr(%s%s%s, "
					   "-length(%s)) = %s)", y.data, lo, x, hi,
					   y.data, y.data);
		}
		buf_dispose(&y);
		return 0;
	}
	default:
		return err_set(ERR_UNSUPPORTED, "no SQL form for this value");
	}
}

#define SQL_TEXT(t, a) "(CASE " t " WHEN 'true' THEN 'true' WHEN 'false' " \
	"THEN 'false' ELSE " a " END)"
#define SQL_SCALAR "type NOT IN ('object','array','null')"

/* Any scalar at path (or inside what is there) satisfies v. One
 * json_type picks the branch, so a text value costs two JSON calls. */
static int
sql_any(struct buf *o, const struct sigma_ruleset *rs, const char *path,
	const struct value *v)
{
	static const char *const scalars[] = { "text", "integer", "real" };
	size_t nseg = path_segments(path);
	struct buf jp, x, direct, yes, no, tree;
	int rc;

	buf_init(&jp);
	buf_init(&x);
	buf_init(&direct);
	buf_init(&yes);
	buf_init(&no);
	buf_init(&tree);
	if ((rc = sql_jpath(&jp, path, nseg)) < 0)
		goto out;
	buf_printf(&x, "json_extract(raw,%s)", jp.data);
	if ((rc = sql_pred(&direct, rs, v, x.data)) < 0 ||
	    (rc = sql_pred(&yes, rs, v, "'true'")) < 0 ||
	    (rc = sql_pred(&no, rs, v, "'false'")) < 0 ||
	    (rc = sql_pred(&tree, rs, v, SQL_TEXT("type", "atom"))) < 0)
		goto out;
	buf_printf(o, "(CASE json_type(raw,%s)", jp.data);
	for (size_t k = 0; k < 3; k++)
		buf_printf(o, " WHEN '%s' THEN COALESCE(%s, 0)", scalars[k],
			   direct.data);
	buf_printf(o, " WHEN 'true' THEN COALESCE(%s, 0) WHEN 'false' THEN "
		   "COALESCE(%s, 0) WHEN 'null' THEN 0 WHEN 'object' THEN EXISTS "
		   "(SELECT 1 FROM json_tree(raw,%s) WHERE " SQL_SCALAR " AND %s)"
		   " WHEN 'array' THEN EXISTS (SELECT 1 FROM json_tree(raw,%s) WHERE "
		   SQL_SCALAR " AND %s)", yes.data, no.data, jp.data, tree.data,
		   jp.data, tree.data);
	/* Absent: maybe an array on the way, which json_extract cannot
	 * cross. */
	if (nseg > 1) {
		buf_adds(o, " ELSE CASE WHEN ");
		for (size_t k = 1; k < nseg; k++) {
			buf_adds(o, k > 1 ? " OR json_type(raw," : "json_type(raw,");
			sql_jpath(o, path, k);
			buf_adds(o, ") = 'array'");
		}
		buf_adds(o, " THEN EXISTS (SELECT 1 FROM json_tree(raw,");
		sql_jpath(o, path, 1);
		buf_adds(o, ") WHERE fullkey REGEXP ");
		sql_fullkey_re(o, path, "((\\.|\\[).*)?$");
		buf_printf(o, " AND " SQL_SCALAR " AND %s) ELSE 0 END", tree.data);
	}
	buf_adds(o, nseg > 1 ? " END)" : " ELSE 0 END)");
out:
	buf_dispose(&jp);
	buf_dispose(&x);
	buf_dispose(&direct);
	buf_dispose(&yes);
	buf_dispose(&no);
	buf_dispose(&tree);
	return rc;
}

/* The field has a non-null value at path. */
static int
sql_has_value(struct buf *o, const char *path)
{
	size_t nseg = path_segments(path);
	struct buf jp;
	int rc;

	buf_init(&jp);
	if ((rc = sql_jpath(&jp, path, nseg)) < 0)
		goto out;
	buf_printf(o, "(CASE WHEN json_type(raw,%s) IS NOT NULL THEN "
		   "json_type(raw,%s) <> 'null'", jp.data, jp.data);
	if (nseg > 1) {
		buf_adds(o, " WHEN ");
		for (size_t k = 1; k < nseg; k++) {
			buf_adds(o, k > 1 ? " OR json_type(raw," : "json_type(raw,");
			sql_jpath(o, path, k);
			buf_adds(o, ") = 'array'");
		}
		buf_adds(o, " THEN EXISTS (SELECT 1 FROM json_tree(raw,");
		sql_jpath(o, path, 1);
		buf_adds(o, ") WHERE fullkey REGEXP ");
		sql_fullkey_re(o, path, "$");
		buf_adds(o, " AND type <> 'null')");
	}
	buf_adds(o, " ELSE 0 END)");
out:
	buf_dispose(&jp);
	return rc;
}

static int
sql_value(struct buf *o, const struct sigma_ruleset *rs, const struct item *it,
	  const struct value *v)
{
	const struct field *f;
	int rc = 0;

	if (it->field < 0) {
		buf_adds(o, "EXISTS (SELECT 1 FROM json_tree(raw) WHERE type = 'text'"
			 " AND ");
		rc = sql_pred(o, rs, v, "atom");
		buf_addc(o, ')');
		return rc;
	}
	f = &rs->ix->f[it->field];
	if (v->kind == V_NULL || (v->kind == V_EXISTS && !v->want))
		buf_adds(o, "NOT ");
	buf_addc(o, '(');
	for (size_t p = 0; p < f->npaths && rc >= 0; p++) {
		if (p)
			buf_adds(o, " OR ");
		if (v->kind == V_NULL || v->kind == V_EXISTS)
			rc = sql_has_value(o, f->paths[p]);
		else
			rc = sql_any(o, rs, f->paths[p], v);
	}
	buf_addc(o, ')');
	return rc;
}

static int
sql_item(struct buf *o, const struct sigma_ruleset *rs, const struct item *it)
{
	int rc = 0;

	buf_addc(o, '(');
	for (size_t i = 0; i < it->nv && rc >= 0; i++) {
		bool new_group = i && it->v[i].group != it->v[i - 1].group;

		if (it->all && new_group)
			buf_adds(o, ") AND (");
		else if (i)
			buf_adds(o, " OR ");
		if (it->all && i == 0)
			buf_addc(o, '(');
		rc = sql_value(o, rs, it, &it->v[i]);
	}
	if (it->all)
		buf_addc(o, ')');
	buf_addc(o, ')');
	return rc;
}

static int
sql_search(struct buf *o, const struct sigma_ruleset *rs, const struct search *s)
{
	int rc = 0;

	buf_addc(o, '(');
	for (size_t g = 0; g < s->ng && rc >= 0; g++) {
		if (g)
			buf_adds(o, " OR ");
		buf_addc(o, '(');
		for (size_t i = 0; i < s->g[g].n && rc >= 0; i++) {
			if (i)
				buf_adds(o, " AND ");
			rc = sql_item(o, rs, &s->g[g].it[i]);
		}
		buf_addc(o, ')');
	}
	buf_addc(o, ')');
	return rc;
}

static int
sql_cond(struct buf *o, const struct sigma_ruleset *rs,
	 const struct sigma_detection *d, int i)
{
	const struct cnode *n = &d->cn[i];
	int rc;

	switch (n->kind) {
	case C_REF:
		return sql_search(o, rs, &d->s[n->ref]);
	case C_NOT:
		buf_adds(o, "(NOT ");
		rc = sql_cond(o, rs, d, n->a);
		buf_addc(o, ')');
		return rc;
	default:
		buf_addc(o, '(');
		if ((rc = sql_cond(o, rs, d, n->a)) < 0)
			return rc;
		buf_adds(o, n->kind == C_AND ? " AND " : " OR ");
		rc = sql_cond(o, rs, d, n->b);
		buf_addc(o, ')');
		return rc;
	}
}

int
sigma_rule_sql(const struct sigma_ruleset *rs, const struct sigma_rule *r,
	       struct buf *out)
{
	struct buf o;
	int rc;

	buf_init(&o);
	rc = sql_cond(&o, rs, r->det, r->det->root);
	if (rc == 0 && !o.data)
		rc = err_set(ERR_NOMEM, "out of memory");
	if (rc == 0)
		rc = buf_add(out, o.data, o.len) < 0 ?
		     err_set(ERR_NOMEM, "out of memory") : 0;
	buf_dispose(&o);
	return rc;
}
