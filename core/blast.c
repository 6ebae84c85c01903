/* SPDX-License-Identifier: Apache-2.0 */
/* blast: the blast radius of a principal, worked out from the account's
 * identity configuration (policies, groups, trust policies) and from the
 * resources its events touched. */
#include "config.h"

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
#include "core/jsonu.h"
#include "core/store.h"
#include "core/timeutil.h"

/* The escalation search recurses into the principals a path could reach;
 * past this depth a target counts as unprivileged, which keeps a hostile
 * configuration from exhausting the stack. */
#define BLAST_MAX_DEPTH 32
/* A session issued before a policy existed stays usable up to 36 hours
 * (the longest STS session), so a date condition is dead only when it
 * lapsed more than that before the policy and its principal existed. */
#define BLAST_SESSION_NS (36LL * 3600 * 1000000000)
#define BLAST_MAX_TOUCHED 500

/* ---- string vectors ---------------------------------------------------- */

struct strv {
	char **v;
	size_t n, cap;
};

/* Append s, taking it (NULL is an allocation failure). */
static int
strv_push(struct strv *sv, char *s)
{
	if (!s)
		return err_set(ERR_NOMEM, "blast: out of memory");
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 8;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (!v) {
			free(s);
			return err_set(ERR_NOMEM, "blast: out of memory");
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	return 0;
}

static int
strv_add(struct strv *sv, const char *s)
{
	return strv_push(sv, strdup(s));
}

static bool
strv_has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
strv_sort_unique(struct strv *sv)
{
	size_t i, n = 0;

	if (!sv->n)
		return;
	qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
	for (i = 0; i < sv->n; i++) {
		if (n && strcmp(sv->v[n - 1], sv->v[i]) == 0)
			free(sv->v[i]);
		else
			sv->v[n++] = sv->v[i];
	}
	sv->n = n;
}

static void
strv_dispose(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

/* Join with sep into a new string, or NULL when out of memory. */
static char *
strv_join(const struct strv *sv, const char *sep)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < sv->n; i++)
		if ((i && buf_adds(&b, sep) < 0) || buf_adds(&b, sv->v[i]) < 0) {
			buf_dispose(&b);
			return NULL;
		}
	if (!b.data && buf_addc(&b, '\0') < 0)
		return NULL;
	return buf_detach(&b);
}

/* A formatted copy, or NULL when out of memory. */
static char *
strf(const char *fmt, ...)
{
	va_list ap;
	char *out;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(out = malloc((size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(out, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return out;
}

/* ---- wildcard patterns ------------------------------------------------- */

/* GLOB_MATCH: does the pattern match a concrete string? GLOB_COVER: does
 * it match every string that a second pattern matches? Covering lets a
 * deny of "iam:*" cancel an allow of "iam:Create*" exactly. */
enum glob_mode { GLOB_MATCH, GLOB_COVER };

static bool
glob_char(char p, char s, bool nocase, enum glob_mode mode)
{
	if (mode == GLOB_COVER && (s == '*' || s == '?'))
		return p == '?' && s == '?';
	if (p == '?')
		return true;
	if (nocase)
		return tolower((unsigned char)p) == tolower((unsigned char)s);
	return p == s;
}

/* Iterative, with one backtrack point: linear in practice and never deep,
 * whatever the policy author wrote. */
static bool
glob(const char *p, const char *s, bool nocase, enum glob_mode mode)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p && glob_char(*p, *s, nocase, mode)) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* Policy variables in a resource pattern: ${aws:username} is the user's
 * own name; any other variable may be anything, so it widens to '*'. */
struct pvars {
	const char *username;
	const char *account;
};

static bool
res_match(const char *pat, const char *res, const struct pvars *vars)
{
	struct buf b;
	const char *p;
	bool ok;

	if (!strstr(pat, "${"))
		return glob(pat, res, false, GLOB_MATCH);
	buf_init(&b);
	for (p = pat; *p; p++) {
		const char *end = p[0] == '$' && p[1] == '{' ? strchr(p, '}') : NULL;
		const char *val = "*";

		if (!end) {
			if (buf_addc(&b, *p) < 0)
				goto wide;
			continue;
		}
		if (end - p - 2 == 12 && strncasecmp(p + 2, "aws:username", 12) == 0 &&
		    vars->username)
			val = vars->username;
		else if (end - p - 2 == 20 &&
			 strncasecmp(p + 2, "aws:PrincipalAccount", 20) == 0 &&
			 vars->account)
			val = vars->account;
		if (buf_adds(&b, val) < 0)
			goto wide;
		p = end;
	}
	ok = glob(b.data ? b.data : "", res, false, GLOB_MATCH);
	buf_dispose(&b);
	return ok;
wide:
	/* Out of memory: the widest reading keeps the radius an upper bound. */
	buf_dispose(&b);
	return true;
}

/* A JSON member that is one string or an array of them. */
static const cJSON *
list_first(const cJSON *v)
{
	return cJSON_IsArray(v) ? v->child : v;
}

static const cJSON *
list_next(const cJSON *v, const cJSON *it)
{
	return cJSON_IsArray(v) ? it->next : NULL;
}

/* Skips members that are not strings; the trailing else keeps an else
 * after the loop body from binding to the hidden if. */
#define LIST_EACH(it, v) \
	for ((it) = list_first(v); (it); (it) = list_next((v), (it))) \
		if (!cJSON_IsString(it) || !(it)->valuestring) {} else

/* v when it is an object, else NULL (for cJSON_ArrayForEach). */
static const cJSON *
as_object(const cJSON *v)
{
	return cJSON_IsObject(v) ? v : NULL;
}

/* v when it is an array, else NULL (for cJSON_ArrayForEach). */
static const cJSON *
as_array(const cJSON *v)
{
	return cJSON_IsArray(v) ? v : NULL;
}

static bool
list_any_glob(const cJSON *v, const char *s, bool nocase, enum glob_mode mode)
{
	const cJSON *it;

	LIST_EACH(it, v)
		if (glob(it->valuestring, s, nocase, mode))
			return true;
	return false;
}

static bool
list_has(const cJSON *v, const char *s)
{
	const cJSON *it;

	LIST_EACH(it, v)
		if (strcasecmp(it->valuestring, s) == 0)
			return true;
	return false;
}

/* ---- the identity configuration ---------------------------------------- */

struct principal;

/* One row of the identities table; doc parsed on first use. */
struct ident {
	char *arn, *kind, *name, *account, *doc_text;
	cJSON *doc;
	struct principal *an;
};

struct stmt {
	bool allow;
	bool not_action, not_resource;
	bool conditional;       /* a condition that may or may not hold */
	const cJSON *condition; /* borrowed, or NULL */
	const cJSON *actions;   /* borrowed from a tree the context owns */
	const cJSON *resources; /* NULL: every resource */
	const char *policy;     /* label, from the context's pool */
};

struct stmtv {
	struct stmt *v;
	size_t n, cap;
};

struct path {
	char *name, *description, *via;
};

/* What the analysis learned about one user, role or group. */
struct principal {
	struct ident *id;
	bool busy, gathered, direct_done, chain_done;
	struct stmtv stmts;
	struct stmtv bound;     /* the permissions boundary, when has_boundary */
	bool has_boundary;
	struct strv policies;   /* labels */
	struct strv attached;   /* managed policy ARNs, its groups' included */
	struct strv groups;     /* group ARNs of a user */
	int64_t created_ns;
	bool admin;
	struct path *paths;
	size_t npaths, ndirect; /* ndirect: paths not through another role */
	struct strv assumable;  /* role ARNs reachable by assuming, transitively */
	struct pvars vars;
};

struct bctx {
	struct store *st;
	struct ident *ids;      /* sorted by arn */
	size_t nids, capids;
	cJSON **trees;          /* documents decoded from strings */
	size_t ntrees, captrees;
	struct strv pool;       /* labels */
};

static struct ident *
ident_find(struct bctx *c, const char *arn)
{
	size_t lo = 0, hi = c->nids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(c->ids[mid].arn, arn);

		if (!r)
			return &c->ids[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct ident *
ident_named(struct bctx *c, const char *kind, const char *name,
	    const char *account)
{
	for (size_t i = 0; i < c->nids; i++) {
		struct ident *id = &c->ids[i];

		if (strcmp(id->kind, kind) == 0 && id->name &&
		    strcmp(id->name, name) == 0 &&
		    (!account || (id->account && strcmp(id->account, account) == 0)))
			return id;
	}
	return NULL;
}

static const cJSON *
ident_doc(struct ident *id)
{
	if (!id->doc && id->doc_text)
		id->doc = cJSON_Parse(id->doc_text);
	return id->doc;
}

/* Keep label s (taken; NULL is an allocation failure) for the context's
 * life. */
static const char *
pool_label(struct bctx *c, char *s)
{
	if (strv_push(&c->pool, s) < 0)
		return NULL;
	return c->pool.v[c->pool.n - 1];
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Parse text[0..n) into a tree the context owns, or NULL. */
static const cJSON *
ctx_parse(struct bctx *c, const char *text, size_t n)
{
	cJSON *tree = cJSON_ParseWithLength(text, n);

	if (!tree || !cJSON_IsObject(tree))
		goto fail;
	if (c->ntrees == c->captrees) {
		size_t cap = c->captrees ? c->captrees * 2 : 16;
		cJSON **t = realloc(c->trees, cap * sizeof(*t));

		if (!t)
			goto fail;
		c->trees = t;
		c->captrees = cap;
	}
	c->trees[c->ntrees++] = tree;
	return tree;
fail:
	cJSON_Delete(tree);
	return NULL;
}

/* A policy document: an object, or a string holding JSON, URL-encoded as
 * the IAM API returns it. */
static const cJSON *
policy_doc(struct bctx *c, const cJSON *v)
{
	const cJSON *tree;
	const char *s;
	size_t n = 0;
	char *text;

	if (cJSON_IsObject(v))
		return v;
	if (!cJSON_IsString(v) || !v->valuestring)
		return NULL;
	s = v->valuestring;
	if (!(text = malloc(strlen(s) + 1)))
		return NULL;
	for (; *s; s++) {
		int hi, lo;

		if (*s == '%' && (hi = hexval((unsigned char)s[1])) >= 0 &&
		    (lo = hexval((unsigned char)s[2])) >= 0) {
			text[n++] = (char)(hi * 16 + lo);
			s += 2;
		} else {
			text[n++] = *s;
		}
	}
	tree = ctx_parse(c, text, n);
	free(text);
	return tree;
}

/* AWS-managed policies that make a principal admin-equivalent on their own,
 * for exports filtered to leave AWS-managed documents out. */
static const struct {
	const char *suffix;
	const char *doc;
} known_managed[] = {
	{ ":iam::aws:policy/AdministratorAccess",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}" },
	{ ":iam::aws:policy/IAMFullAccess",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iam:*\",\"Resource\":\"*\"}}" },
};

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The default version's document of a managed policy and its date, or
 * NULL when the export lacks it. */
static const cJSON *
managed_doc(struct bctx *c, const char *arn, int64_t *created_ns,
	    int *nversions)
{
	struct ident *id = ident_find(c, arn);
	const cJSON *versions, *v;
	size_t i;

	*created_ns = 0;
	*nversions = 0;
	if (id && strcmp(id->kind, "policy") == 0) {
		versions = jsonu_key(ident_doc(id), "PolicyVersionList");
		*nversions = cJSON_GetArraySize(as_array(versions));
		cJSON_ArrayForEach(v, as_array(versions)) {
			const char *date = jsonu_str(v, "CreateDate");

			if (!cJSON_IsTrue(jsonu_key(v, "IsDefaultVersion")))
				continue;
			if (date)
				timeutil_parse(date, created_ns);
			return policy_doc(c, jsonu_key(v, "Document"));
		}
	}
	for (i = 0; i < sizeof(known_managed) / sizeof(known_managed[0]); i++) {
		const char *doc = known_managed[i].doc;

		if (ends_with(arn, known_managed[i].suffix))
			return ctx_parse(c, doc, strlen(doc));
	}
	return NULL;
}

/* ---- conditions and statements ----------------------------------------- */

enum cond_state { COND_NONE, COND_MAYBE, COND_NEVER };

static bool
parse_when(const char *s, int64_t *ns)
{
	char *end;
	long long secs;

	if (timeutil_parse(s, ns) == 0)
		return true;
	secs = strtoll(s, &end, 10);
	if (end == s || *end || secs < 0 || secs > 100000000000LL)
		return false;
	*ns = (int64_t)secs * 1000000000;
	return true;
}

/* A "before DATE" test on the current or token-issue time whose every date
 * lapsed well before created_ns can never hold again. */
static bool
cond_lapsed(const cJSON *op, int64_t created_ns)
{
	const cJSON *key, *it;

	if (!created_ns || !op->string || !cJSON_IsObject(op) ||
	    (strcasecmp(op->string, "DateLessThan") != 0 &&
	     strcasecmp(op->string, "DateLessThanEquals") != 0))
		return false;
	cJSON_ArrayForEach(key, op) {
		bool lapsed = true, any = false;

		if (!key->string || (strcasecmp(key->string, "aws:CurrentTime") != 0 &&
				     strcasecmp(key->string, "aws:TokenIssueTime") != 0))
			continue;
		LIST_EACH(it, key) {
			int64_t when;

			any = true;
			if (!parse_when(it->valuestring, &when) ||
			    when > created_ns - BLAST_SESSION_NS)
				lapsed = false;
		}
		if (any && lapsed)
			return true;
	}
	return false;
}

static enum cond_state
cond_eval(const cJSON *cond, int64_t created_ns)
{
	const cJSON *op;

	if (jsonu_isnull(cond))
		return COND_NONE;
	if (!cJSON_IsObject(cond))
		return COND_MAYBE;
	if (!cond->child)
		return COND_NONE;
	cJSON_ArrayForEach(op, cond)
		if (cond_lapsed(op, created_ns))
			return COND_NEVER;
	return COND_MAYBE;
}

static int
stmtv_push(struct stmtv *sv, const struct stmt *s)
{
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 16;
		struct stmt *v = realloc(sv->v, cap * sizeof(*v));

		if (!v)
			return err_set(ERR_NOMEM, "blast: out of memory");
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = *s;
	return 0;
}

/* Add the statements of doc (identity-policy grammar). A statement whose
 * condition can never hold again is left out; one whose condition may hold
 * is kept and marked. */
static int
add_document(struct stmtv *into, const cJSON *doc, const char *label,
	     int64_t created_ns)
{
	const cJSON *list = jsonu_key(doc, "Statement"), *js;
	int rc;

	if (!label)
		return err_set(ERR_NOMEM, "blast: out of memory");
	for (js = list_first(list); js; js = list_next(list, js)) {
		const char *effect = jsonu_str(js, "Effect");
		struct stmt s = { .policy = label };
		enum cond_state cs;

		if (!cJSON_IsObject(js) || !effect)
			continue;
		if (strcasecmp(effect, "Allow") == 0)
			s.allow = true;
		else if (strcasecmp(effect, "Deny") != 0)
			continue;
		s.actions = jsonu_key(js, "Action");
		if (!s.actions) {
			s.actions = jsonu_key(js, "NotAction");
			s.not_action = true;
		}
		s.resources = jsonu_key(js, "Resource");
		if (!s.resources && jsonu_key(js, "NotResource")) {
			s.resources = jsonu_key(js, "NotResource");
			s.not_resource = true;
		}
		if (!s.actions)
			continue;
		cs = cond_eval(jsonu_key(js, "Condition"), created_ns);
		if (cs == COND_NEVER)
			continue;
		s.conditional = cs == COND_MAYBE;
		s.condition = s.conditional ? jsonu_key(js, "Condition") : NULL;
		if ((rc = stmtv_push(into, &s)) < 0)
			return rc;
	}
	return 0;
}

static bool
stmt_action(const struct stmt *s, const char *action)
{
	bool any = list_any_glob(s->actions, action, true, GLOB_MATCH);

	return s->not_action ? !any : any;
}

static bool
stmt_resource(const struct stmt *s, const char *res, const struct pvars *vars)
{
	const cJSON *it;
	bool any = false;

	if (!s->resources)
		return true;
	LIST_EACH(it, s->resources)
		if (res_match(it->valuestring, res, vars)) {
			any = true;
			break;
		}
	return s->not_resource ? !any : any;
}

/* Does an unconditional deny of sv match action on res? Conditional denies
 * are not counted: the radius is an upper bound. */
static bool
stmts_denied(const struct stmtv *sv, const char *action, const char *res,
	     const struct pvars *vars)
{
	for (size_t i = 0; i < sv->n; i++) {
		const struct stmt *d = &sv->v[i];

		if (!d->allow && !d->conditional && stmt_action(d, action) &&
		    stmt_resource(d, res, vars))
			return true;
	}
	return false;
}

/* Does some unconditional deny for action cover the resource pattern r? */
static bool
pattern_denied(const struct stmtv *sv, const char *action, const char *r)
{
	for (size_t i = 0; i < sv->n; i++) {
		const struct stmt *d = &sv->v[i];

		if (d->allow || d->conditional || d->not_resource ||
		    !stmt_action(d, action))
			continue;
		if (!d->resources ||
		    list_any_glob(d->resources, r, false, GLOB_COVER))
			return true;
	}
	return false;
}

/* Is allow statement a left any resource for action by the denies? */
static bool
allow_survives(const struct stmtv *sv, const struct stmt *a, const char *action)
{
	const cJSON *it;

	if (!a->resources || a->not_resource)
		return !pattern_denied(sv, action, "*");
	LIST_EACH(it, a->resources)
		if (!pattern_denied(sv, action, it->valuestring))
			return true;
	return false;
}

/* Does a condition on iam:PassedToService rule out passing the role to
 * service? Other conditions are left to hold. */
static bool
cond_excludes_service(const cJSON *cond, const char *service)
{
	const cJSON *op, *key, *it;

	if (!service)
		return false;
	cJSON_ArrayForEach(op, as_object(cond)) {
		bool like;

		if (!op->string || (strncasecmp(op->string, "StringEquals", 12) != 0 &&
				    strncasecmp(op->string, "StringLike", 10) != 0))
			continue;
		like = strncasecmp(op->string, "StringLike", 10) == 0;
		cJSON_ArrayForEach(key, as_object(op)) {
			bool any = false;

			if (!key->string ||
			    strcasecmp(key->string, "iam:PassedToService") != 0)
				continue;
			LIST_EACH(it, key)
				any |= like ? glob(it->valuestring, service, true, GLOB_MATCH)
					    : strcasecmp(it->valuestring, service) == 0;
			if (!any)
				return true;
		}
	}
	return false;
}

/* Is action allowed on res (NULL: on some resource), for use with service
 * (NULL: any)? *cond says the grant depends on a condition; *via names the
 * policy that grants it. */
static bool
stmts_allow(const struct stmtv *sv, const struct pvars *vars,
	    const char *action, const char *res, const char *service,
	    bool *cond, const char **via)
{
	bool found = false, found_cond = true;

	if (res && stmts_denied(sv, action, res, vars))
		return false;
	for (size_t i = 0; i < sv->n; i++) {
		const struct stmt *s = &sv->v[i];

		if (!s->allow || !stmt_action(s, action) ||
		    cond_excludes_service(s->condition, service))
			continue;
		if (res ? !stmt_resource(s, res, vars)
			: !allow_survives(sv, s, action))
			continue;
		if (!found || (found_cond && !s->conditional)) {
			found = true;
			found_cond = s->conditional;
			*via = s->policy;
		}
	}
	*cond = found && found_cond;
	return found;
}

static bool
p_allows_for(const struct principal *p, const char *action, const char *res,
	     const char *service, bool *cond, const char **via)
{
	bool c1 = false, c2 = false;
	const char *v2;

	if (!stmts_allow(&p->stmts, &p->vars, action, res, service, &c1, via))
		return false;
	if (p->has_boundary &&
	    !stmts_allow(&p->bound, &p->vars, action, res, service, &c2, &v2))
		return false;
	*cond = c1 || c2;
	return true;
}

static bool
p_allows(const struct principal *p, const char *action, const char *res,
	 bool *cond, const char **via)
{
	return p_allows_for(p, action, res, NULL, cond, via);
}

/* Do the allows cover every action of pattern pat (e.g. "iam:*") on every
 * resource, untouched by any unconditional deny of that service? */
static bool
stmts_allow_all(const struct stmtv *sv, const char *pat, const char *service)
{
	bool granted = false;
	const cJSON *it;

	for (size_t i = 0; i < sv->n && !granted; i++) {
		const struct stmt *s = &sv->v[i];
		bool star_res = !s->resources ||
				(!s->not_resource && list_has(s->resources, "*"));

		if (!s->allow || !star_res)
			continue;
		if (!s->not_action) {
			granted = list_any_glob(s->actions, pat, true, GLOB_COVER);
			continue;
		}
		granted = true;
		LIST_EACH(it, s->actions) {
			const char *colon = strchr(it->valuestring, ':');
			char svc[64];
			size_t n = colon ? (size_t)(colon - it->valuestring) : 0;

			if (!service || !colon || n >= sizeof(svc)) {
				granted = false;
				break;
			}
			memcpy(svc, it->valuestring, n);
			svc[n] = '\0';
			if (glob(svc, service, true, GLOB_MATCH))
				granted = false;
		}
	}
	for (size_t i = 0; i < sv->n && granted; i++) {
		const struct stmt *d = &sv->v[i];

		if (d->allow || d->conditional)
			continue;
		LIST_EACH(it, d->actions) {
			const char *colon = strchr(it->valuestring, ':');

			if (d->not_action || !service || !colon ||
			    glob(pat, it->valuestring, true, GLOB_COVER) ||
			    strncasecmp(it->valuestring, service, strlen(service)) == 0)
				granted = false;
		}
	}
	return granted;
}

static bool
p_admin(const struct principal *p)
{
	if (stmts_allow_all(&p->stmts, "*", NULL) &&
	    (!p->has_boundary || stmts_allow_all(&p->bound, "*", NULL)))
		return true;
	/* Full IAM control lets it attach any policy to itself. */
	return stmts_allow_all(&p->stmts, "iam:*", "iam") &&
	       (!p->has_boundary || stmts_allow_all(&p->bound, "iam:*", "iam"));
}

/* ---- gathering a principal's policies ----------------------------------- */

static int
gather_managed(struct bctx *c, struct principal *p, const cJSON *entry,
	       const char *group)
{
	const cJSON *list = jsonu_key(entry, "AttachedManagedPolicies"), *it;
	int rc;

	cJSON_ArrayForEach(it, as_array(list)) {
		const char *arn = jsonu_strne(it, "PolicyArn");
		const char *name = jsonu_strne(it, "PolicyName");
		int64_t created;
		int nver;
		const cJSON *doc;
		const char *label;

		if (!arn)
			continue;
		if (!name)
			name = strrchr(arn, '/') ? strrchr(arn, '/') + 1 : arn;
		if ((rc = strv_add(&p->attached, arn)) < 0)
			return rc;
		doc = managed_doc(c, arn, &created, &nver);
		if (group)
			label = pool_label(c, strf("%s (group %s%s)", name, group,
						   doc ? "" : ", document not in the export"));
		else
			label = pool_label(c, strf("%s%s", name, doc ? ""
						   : " (document not in the export)"));
		if (!label || (rc = strv_add(&p->policies, label)) < 0)
			return label ? rc : err_set(ERR_NOMEM, "blast: out of memory");
		if (created < p->created_ns)
			created = p->created_ns;
		if (doc && (rc = add_document(&p->stmts, doc, label, created)) < 0)
			return rc;
	}
	return 0;
}

static int
gather_inline(struct bctx *c, struct principal *p, const cJSON *entry,
	      const char *key, const char *group)
{
	const cJSON *list = jsonu_key(entry, key), *it;
	int rc;

	cJSON_ArrayForEach(it, as_array(list)) {
		const char *name = jsonu_strne(it, "PolicyName");
		const cJSON *doc = policy_doc(c, jsonu_key(it, "PolicyDocument"));
		const char *label;

		if (!name)
			name = "unnamed";
		label = group ? pool_label(c, strf("%s (inline, group %s)", name, group))
			      : pool_label(c, strf("%s (inline)", name));
		if (!label || (rc = strv_add(&p->policies, label)) < 0)
			return label ? rc : err_set(ERR_NOMEM, "blast: out of memory");
		if (doc && (rc = add_document(&p->stmts, doc, label,
					      p->created_ns)) < 0)
			return rc;
	}
	return 0;
}

/* A boundary caps what identity policies grant: both must allow. */
static int
gather_boundary(struct bctx *c, struct principal *p, const cJSON *entry)
{
	const char *arn = jsonu_strne(entry, "PermissionsBoundary.PermissionsBoundaryArn");
	const char *label;
	const cJSON *doc;
	int64_t created;
	int nver;

	if (!arn)
		return 0;
	p->has_boundary = true;
	doc = managed_doc(c, arn, &created, &nver);
	if (!doc)
		return 0; /* unknown boundary: read as no cap, the upper bound */
	label = pool_label(c, strf("%s (permissions boundary)",
				   strrchr(arn, '/') ? strrchr(arn, '/') + 1 : arn));
	return add_document(&p->bound, doc, label,
			    created > p->created_ns ? created : p->created_ns);
}

static const struct {
	const char *kind;
	const char *inline_key;
} inline_keys[] = {
	{ "user", "UserPolicyList" },
	{ "group", "GroupPolicyList" },
	{ "role", "RolePolicyList" },
};

static int
gather(struct bctx *c, struct principal *p)
{
	const cJSON *doc = ident_doc(p->id), *groups, *g;
	const char *key = NULL, *date = jsonu_str(doc, "CreateDate");
	size_t i;
	int rc;

	if (p->gathered)
		return 0;
	p->gathered = true;
	if (date)
		timeutil_parse(date, &p->created_ns);
	p->vars.account = p->id->account;
	if (strcmp(p->id->kind, "user") == 0)
		p->vars.username = p->id->name;
	for (i = 0; i < sizeof(inline_keys) / sizeof(inline_keys[0]); i++)
		if (strcmp(p->id->kind, inline_keys[i].kind) == 0)
			key = inline_keys[i].inline_key;
	if (!key || !doc)
		return 0;
	if ((rc = gather_inline(c, p, doc, key, NULL)) < 0 ||
	    (rc = gather_managed(c, p, doc, NULL)) < 0 ||
	    (rc = gather_boundary(c, p, doc)) < 0)
		return rc;
	groups = jsonu_key(doc, "GroupList");
	if (strcmp(p->id->kind, "user") != 0)
		groups = NULL;
	cJSON_ArrayForEach(g, as_array(groups)) {
		struct ident *gi;
		const cJSON *gdoc;

		if (!cJSON_IsString(g) ||
		    !(gi = ident_named(c, "group", g->valuestring, p->id->account)))
			continue;
		if ((rc = strv_add(&p->groups, gi->arn)) < 0)
			return rc;
		if (!(gdoc = ident_doc(gi)))
			continue;
		if ((rc = gather_inline(c, p, gdoc, "GroupPolicyList", gi->name)) < 0 ||
		    (rc = gather_managed(c, p, gdoc, gi->name)) < 0)
			return rc;
	}
	p->admin = p_admin(p);
	return 0;
}

static struct principal *
principal_of(struct ident *id)
{
	if (!id->an && (id->an = calloc(1, sizeof(*id->an))))
		id->an->id = id;
	return id->an;
}

static void
principal_free(struct principal *p)
{
	if (!p)
		return;
	free(p->stmts.v);
	free(p->bound.v);
	strv_dispose(&p->policies);
	strv_dispose(&p->attached);
	strv_dispose(&p->groups);
	strv_dispose(&p->assumable);
	for (size_t i = 0; i < p->npaths; i++) {
		free(p->paths[i].name);
		free(p->paths[i].description);
		free(p->paths[i].via);
	}
	free(p->paths);
	free(p);
}

/* ---- trust policies ---------------------------------------------------- */

enum trust_kind { TRUST_NO, TRUST_ACCOUNT, TRUST_NAMED };

/* After "arn:PARTITION:" and the service marker (":iam::", ":sts::"), is
 * the account field account followed by rest? */
static bool
arn_account_is(const char *v, const char *marker, const char *account,
	       const char *rest, size_t rest_len)
{
	const char *q = strncmp(v, "arn:", 4) == 0 ? strstr(v + 4, marker) : NULL;
	size_t n = strlen(account);

	if (!q || strchr(v + 4, ':') != q)
		return false;
	q += strlen(marker);
	return strncmp(q, account, n) == 0 && strncmp(q + n, rest, rest_len) == 0;
}

/* How the principal list of a trust statement names p: by ARN, by "*", by
 * a session of its role (a holder of the role can open one), or through
 * its account. */
static enum trust_kind
trust_names(const cJSON *principal, const struct principal *p)
{
	const struct ident *id = p->id;
	enum trust_kind best = TRUST_NO;
	const cJSON *it;

	if (cJSON_IsString(principal) && strcmp(principal->valuestring, "*") == 0)
		return TRUST_NAMED;
	LIST_EACH(it, jsonu_key(principal, "AWS")) {
		const char *v = it->valuestring;
		char sess[300];

		if (strcmp(v, "*") == 0 || strcmp(v, id->arn) == 0)
			return TRUST_NAMED;
		if (!id->account)
			continue;
		if (strcmp(v, id->account) == 0 ||
		    (arn_account_is(v, ":iam::", id->account, ":root", 6)))
			best = TRUST_ACCOUNT;
		if (strcmp(id->kind, "role") == 0 && id->name &&
		    snprintf(sess, sizeof(sess), ":assumed-role/%s/", id->name) <
			    (int)sizeof(sess) &&
		    arn_account_is(v, ":sts::", id->account, sess, strlen(sess)))
			return TRUST_NAMED;
	}
	return best;
}

/* Can p assume role r? Same-account trust that names p needs nothing from
 * p's own policies but the absence of a deny; trust in the account needs
 * p's policies to allow sts:AssumeRole on r. */
static bool
trust_admits(struct bctx *c, const struct principal *p, struct ident *r)
{
	const cJSON *doc = policy_doc(c, jsonu_key(ident_doc(r), "AssumeRolePolicyDocument"));
	const cJSON *list = jsonu_key(doc, "Statement"), *js;
	bool named = false, account = false, cond;
	const char *via;

	if (r == p->id)
		return false;
	for (js = list_first(list); js; js = list_next(list, js)) {
		const char *effect = jsonu_str(js, "Effect");
		const cJSON *acts = jsonu_key(js, "Action");
		enum trust_kind k;

		if (!effect || !acts ||
		    !list_any_glob(acts, "sts:AssumeRole", true, GLOB_MATCH))
			continue;
		k = trust_names(jsonu_key(js, "Principal"), p);
		if (k == TRUST_NO)
			continue;
		if (strcasecmp(effect, "Deny") == 0 && !jsonu_key(js, "Condition"))
			return false;
		if (strcasecmp(effect, "Allow") == 0) {
			named |= k == TRUST_NAMED;
			account |= k == TRUST_ACCOUNT;
		}
	}
	if (named)
		return !stmts_denied(&p->stmts, "sts:AssumeRole", r->arn, &p->vars);
	return account && p_allows(p, "sts:AssumeRole", r->arn, &cond, &via);
}

static bool
trusts_service(struct bctx *c, struct ident *r, const char *service)
{
	const cJSON *doc = policy_doc(c, jsonu_key(ident_doc(r), "AssumeRolePolicyDocument"));
	const cJSON *list = jsonu_key(doc, "Statement"), *js;

	for (js = list_first(list); js; js = list_next(list, js)) {
		const char *effect = jsonu_str(js, "Effect");
		const cJSON *acts = jsonu_key(js, "Action");

		if (effect && strcasecmp(effect, "Allow") == 0 && acts &&
		    list_any_glob(acts, "sts:AssumeRole", true, GLOB_MATCH) &&
		    list_has(jsonu_path(js, "Principal.Service"), service))
			return true;
	}
	return false;
}

static bool
has_instance_profile(struct ident *r)
{
	return cJSON_GetArraySize(jsonu_key(ident_doc(r), "InstanceProfileList")) > 0;
}

/* ---- escalation paths -------------------------------------------------- */

/* What the key action of an escalation must reach. */
enum target {
	TGT_OWN_POLICY,     /* a customer-managed policy attached to it */
	TGT_OWN_POLICY_VER, /* the same, with another version to switch to */
	TGT_OWN_USER,       /* itself, a user */
	TGT_OWN_GROUP,      /* a group it is in */
	TGT_OWN_ROLE,       /* itself, a role, or a role it can assume */
	TGT_JOIN_GROUP,     /* a privileged group it is not in */
	TGT_OTHER_USER,     /* a privileged user */
	TGT_ROLE_TRUST,     /* a privileged role */
	TGT_PASS_ROLE,      /* a privileged role the service may assume, passed */
	TGT_SERVICE_ROLE,   /* a privileged role the service's resources use */
};

/* The published privilege-escalation methods (Rhino Security Labs'
 * research and the BishopFox iam-vulnerable scenarios), in our words. */
static const struct escalation {
	const char *name;
	enum target target;
	const char *act;      /* the action on the target */
	const char *also[3];  /* further actions, on any resource */
	const char *either[3]; /* and at least one of these */
	const char *service;  /* trusted service, for role targets */
	const char *how;      /* %s: the target */
} escalations[] = {
	{ "iam:CreatePolicyVersion", TGT_OWN_POLICY, "iam:CreatePolicyVersion",
	  { 0 }, { 0 }, NULL,
	  "Can write a new default version of %s, a policy attached to it, "
	  "granting itself any permission" },
	{ "iam:SetDefaultPolicyVersion", TGT_OWN_POLICY_VER,
	  "iam:SetDefaultPolicyVersion", { 0 }, { 0 }, NULL,
	  "Can make another stored version of %s, a policy attached to it, "
	  "the default" },
	{ "iam:AttachUserPolicy", TGT_OWN_USER, "iam:AttachUserPolicy",
	  { 0 }, { 0 }, NULL,
	  "Can attach any managed policy to itself (%s)" },
	{ "iam:PutUserPolicy", TGT_OWN_USER, "iam:PutUserPolicy", { 0 }, { 0 },
	  NULL, "Can write an inline policy granting anything on itself (%s)" },
	{ "iam:AttachGroupPolicy", TGT_OWN_GROUP, "iam:AttachGroupPolicy",
	  { 0 }, { 0 }, NULL,
	  "Can attach any managed policy to its group %s" },
	{ "iam:PutGroupPolicy", TGT_OWN_GROUP, "iam:PutGroupPolicy", { 0 },
	  { 0 }, NULL, "Can write an inline policy granting anything on its group %s" },
	{ "iam:AttachRolePolicy", TGT_OWN_ROLE, "iam:AttachRolePolicy", { 0 },
	  { 0 }, NULL,
	  "Can attach any managed policy to the role %s, which it is or can assume" },
	{ "iam:PutRolePolicy", TGT_OWN_ROLE, "iam:PutRolePolicy", { 0 }, { 0 },
	  NULL, "Can write an inline policy granting anything on the role %s, "
		"which it is or can assume" },
	{ "iam:AddUserToGroup", TGT_JOIN_GROUP, "iam:AddUserToGroup", { 0 },
	  { 0 }, NULL, "Can add itself to the group %s" },
	{ "iam:CreateAccessKey", TGT_OTHER_USER, "iam:CreateAccessKey", { 0 },
	  { 0 }, NULL, "Can create an access key for the user %s and act as it" },
	{ "iam:CreateLoginProfile", TGT_OTHER_USER, "iam:CreateLoginProfile",
	  { 0 }, { 0 }, NULL,
	  "Can set a console password for the user %s and sign in as it" },
	{ "iam:UpdateLoginProfile", TGT_OTHER_USER, "iam:UpdateLoginProfile",
	  { 0 }, { 0 }, NULL,
	  "Can change the console password of the user %s and sign in as it" },
	{ "iam:UpdateAssumeRolePolicy", TGT_ROLE_TRUST,
	  "iam:UpdateAssumeRolePolicy", { 0 }, { 0 }, NULL,
	  "Can rewrite the trust policy of the role %s to let itself assume it" },
	{ "iam:PassRole + ec2:RunInstances", TGT_PASS_ROLE, "iam:PassRole",
	  { "ec2:RunInstances" }, { 0 }, "ec2.amazonaws.com",
	  "Can start an EC2 instance with the role %s and use its credentials" },
	{ "iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction",
	  TGT_PASS_ROLE, "iam:PassRole",
	  { "lambda:CreateFunction", "lambda:InvokeFunction" }, { 0 },
	  "lambda.amazonaws.com",
	  "Can create and invoke a Lambda function running as the role %s" },
	{ "iam:PassRole + lambda:CreateFunction + lambda:CreateEventSourceMapping",
	  TGT_PASS_ROLE, "iam:PassRole",
	  { "lambda:CreateFunction", "lambda:CreateEventSourceMapping" }, { 0 },
	  "lambda.amazonaws.com",
	  "Can create a Lambda function running as the role %s and trigger it "
	  "from an event source" },
	{ "iam:PassRole + glue:CreateDevEndpoint", TGT_PASS_ROLE, "iam:PassRole",
	  { "glue:CreateDevEndpoint" }, { 0 }, "glue.amazonaws.com",
	  "Can create a Glue development endpoint with the role %s and log in to it" },
	{ "iam:PassRole + cloudformation:CreateStack", TGT_PASS_ROLE,
	  "iam:PassRole", { "cloudformation:CreateStack" }, { 0 },
	  "cloudformation.amazonaws.com",
	  "Can create a CloudFormation stack that acts as the role %s" },
	{ "iam:PassRole + datapipeline:CreatePipeline", TGT_PASS_ROLE,
	  "iam:PassRole",
	  { "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition" },
	  { 0 }, "datapipeline.amazonaws.com",
	  "Can define a data pipeline that runs commands as the role %s" },
	{ "iam:PassRole + codebuild:CreateProject", TGT_PASS_ROLE, "iam:PassRole",
	  { "codebuild:CreateProject" },
	  { "codebuild:StartBuild", "codebuild:StartBuildBatch" },
	  "codebuild.amazonaws.com",
	  "Can create and start a CodeBuild project running as the role %s" },
	{ "iam:PassRole + sagemaker:CreateNotebookInstance", TGT_PASS_ROLE,
	  "iam:PassRole",
	  { "sagemaker:CreateNotebookInstance",
	    "sagemaker:CreatePresignedNotebookInstanceUrl" }, { 0 },
	  "sagemaker.amazonaws.com",
	  "Can create a SageMaker notebook with the role %s and open it" },
	{ "iam:PassRole + sagemaker:CreateTrainingJob", TGT_PASS_ROLE,
	  "iam:PassRole", { "sagemaker:CreateTrainingJob" }, { 0 },
	  "sagemaker.amazonaws.com",
	  "Can run a SageMaker training job of its own code as the role %s" },
	{ "iam:PassRole + sagemaker:CreateProcessingJob", TGT_PASS_ROLE,
	  "iam:PassRole", { "sagemaker:CreateProcessingJob" }, { 0 },
	  "sagemaker.amazonaws.com",
	  "Can run a SageMaker processing job of its own code as the role %s" },
	{ "iam:PassRole + ecs:RunTask", TGT_PASS_ROLE, "iam:PassRole",
	  { "ecs:RegisterTaskDefinition", "ecs:RunTask" }, { 0 },
	  "ecs-tasks.amazonaws.com",
	  "Can run an ECS task of its own definition as the role %s" },
	{ "lambda:UpdateFunctionCode", TGT_SERVICE_ROLE,
	  "lambda:UpdateFunctionCode", { 0 }, { 0 }, "lambda.amazonaws.com",
	  "Can replace the code of existing Lambda functions, which may run as "
	  "the role %s" },
	{ "glue:UpdateDevEndpoint", TGT_SERVICE_ROLE, "glue:UpdateDevEndpoint",
	  { 0 }, { 0 }, "glue.amazonaws.com",
	  "Can add its SSH key to existing Glue development endpoints, which may "
	  "run as the role %s" },
	{ "cloudformation:UpdateStack", TGT_SERVICE_ROLE,
	  "cloudformation:UpdateStack", { 0 }, { 0 },
	  "cloudformation.amazonaws.com",
	  "Can change existing CloudFormation stacks, which may act as the role %s" },
	{ "cloudformation:CreateChangeSet + cloudformation:ExecuteChangeSet",
	  TGT_SERVICE_ROLE, "cloudformation:CreateChangeSet",
	  { "cloudformation:ExecuteChangeSet" }, { 0 },
	  "cloudformation.amazonaws.com",
	  "Can change existing CloudFormation stacks, which may act as the role %s" },
	{ "codebuild:StartBuild", TGT_SERVICE_ROLE, "codebuild:StartBuild",
	  { 0 }, { 0 }, "codebuild.amazonaws.com",
	  "Can start existing CodeBuild projects with its own build commands; "
	  "they may run as the role %s" },
	{ "sagemaker:CreatePresignedNotebookInstanceUrl", TGT_SERVICE_ROLE,
	  "sagemaker:CreatePresignedNotebookInstanceUrl", { 0 }, { 0 },
	  "sagemaker.amazonaws.com",
	  "Can open existing SageMaker notebooks, which may run as the role %s" },
	{ "ssm:SendCommand", TGT_SERVICE_ROLE, "ssm:SendCommand", { 0 }, { 0 },
	  "ec2.amazonaws.com",
	  "Can run commands on EC2 instances, which may carry the role %s" },
	{ "ssm:StartSession", TGT_SERVICE_ROLE, "ssm:StartSession", { 0 }, { 0 },
	  "ec2.amazonaws.com",
	  "Can open a shell on EC2 instances, which may carry the role %s" },
	{ "ec2-instance-connect:SendSSHPublicKey", TGT_SERVICE_ROLE,
	  "ec2-instance-connect:SendSSHPublicKey", { 0 }, { 0 },
	  "ec2.amazonaws.com",
	  "Can push its SSH key to EC2 instances, which may carry the role %s" },
};

#define NESCALATIONS (sizeof(escalations) / sizeof(escalations[0]))

static int analyze(struct bctx *c, struct principal *p, int depth);

/* Is id worth escalating to: admin-equivalent, or able to escalate? */
static bool
privileged(struct bctx *c, struct ident *id, int depth, bool *admin)
{
	struct principal *t = principal_of(id);

	*admin = false;
	if (!t || depth >= BLAST_MAX_DEPTH || analyze(c, t, depth + 1) < 0)
		return false;
	*admin = t->admin;
	return t->admin || t->npaths > 0;
}

/* The targets an escalation found: admin-equivalent ones first. */
struct hits {
	struct strv admin, other;
	struct strv via;
	bool conditional;
};

static void
hits_dispose(struct hits *h)
{
	strv_dispose(&h->admin);
	strv_dispose(&h->other);
	strv_dispose(&h->via);
}

static int
hits_add(struct hits *h, const char *name, bool admin, bool cond,
	 const char *via)
{
	int rc;

	h->conditional |= cond;
	if (via && !strv_has(&h->via, via) && (rc = strv_add(&h->via, via)) < 0)
		return rc;
	return strv_add(admin ? &h->admin : &h->other, name);
}

static const char *
tail_name(const char *arn)
{
	const char *slash = strrchr(arn, '/');

	return slash ? slash + 1 : arn;
}

/* Try the key action on one candidate target (res: its ARN). */
static int
try_target(struct bctx *c, struct principal *p, const struct escalation *e,
	   struct ident *id, const char *res, int depth, struct hits *h)
{
	const char *via = NULL;
	bool cond = false, admin = false;

	if (e->target == TGT_SERVICE_ROLE) {
		if (!privileged(c, id, depth, &admin))
			return 0;
		return hits_add(h, id->name, admin, false, NULL);
	}
	if (!p_allows_for(p, e->act, res,
			  e->target == TGT_PASS_ROLE ? e->service : NULL, &cond, &via))
		return 0;
	if (id && e->target >= TGT_JOIN_GROUP && !privileged(c, id, depth, &admin))
		return 0;
	return hits_add(h, id && id->name ? id->name : tail_name(res), admin,
			cond, via);
}

static bool
role_fits(struct bctx *c, const struct principal *p, const struct escalation *e,
	  struct ident *r)
{
	if (r == p->id || strcmp(r->kind, "role") != 0 ||
	    !trusts_service(c, r, e->service))
		return false;
	return strcmp(e->service, "ec2.amazonaws.com") != 0 || has_instance_profile(r);
}

static int
find_targets(struct bctx *c, struct principal *p, const struct escalation *e,
	     int depth, struct hits *h)
{
	bool is_user = strcmp(p->id->kind, "user") == 0;
	int rc = 0;
	size_t i;

	switch (e->target) {
	case TGT_OWN_POLICY:
	case TGT_OWN_POLICY_VER:
		for (i = 0; i < p->attached.n && rc >= 0; i++) {
			const char *arn = p->attached.v[i];
			int64_t created;
			int nver;

			/* AWS-managed policies cannot be changed by anyone. */
			if (strstr(arn, ":iam::aws:policy/"))
				continue;
			managed_doc(c, arn, &created, &nver);
			if (e->target == TGT_OWN_POLICY_VER && nver < 2)
				continue;
			rc = try_target(c, p, e, NULL, arn, depth, h);
		}
		return rc;
	case TGT_OWN_USER:
		return is_user ? try_target(c, p, e, NULL, p->id->arn, depth, h) : 0;
	case TGT_OWN_GROUP:
		for (i = 0; is_user && i < p->groups.n && rc >= 0; i++)
			rc = try_target(c, p, e, NULL, p->groups.v[i], depth, h);
		return rc;
	case TGT_OWN_ROLE:
		if (strcmp(p->id->kind, "role") == 0)
			rc = try_target(c, p, e, NULL, p->id->arn, depth, h);
		for (i = 0; i < c->nids && rc >= 0; i++)
			if (strcmp(c->ids[i].kind, "role") == 0 &&
			    trust_admits(c, p, &c->ids[i]))
				rc = try_target(c, p, e, NULL, c->ids[i].arn, depth, h);
		return rc;
	default:
		break;
	}
	for (i = 0; i < c->nids && rc >= 0; i++) {
		struct ident *id = &c->ids[i];

		if (id == p->id)
			continue;
		switch (e->target) {
		case TGT_JOIN_GROUP:
			if (is_user && !strcmp(id->kind, "group") &&
			    !strv_has(&p->groups, id->arn))
				rc = try_target(c, p, e, id, id->arn, depth, h);
			break;
		case TGT_OTHER_USER:
			if (!strcmp(id->kind, "user"))
				rc = try_target(c, p, e, id, id->arn, depth, h);
			break;
		case TGT_ROLE_TRUST:
			if (!strcmp(id->kind, "role"))
				rc = try_target(c, p, e, id, id->arn, depth, h);
			break;
		case TGT_PASS_ROLE:
		case TGT_SERVICE_ROLE:
			if (role_fits(c, p, e, id))
				rc = try_target(c, p, e, id, id->arn, depth, h);
			break;
		default:
			break;
		}
	}
	return rc;
}

static int
add_path(struct principal *p, const char *name, char *description, char *via)
{
	struct path *v = realloc(p->paths, (p->npaths + 1) * sizeof(*v));
	char *n = strdup(name);

	if (!v || !n || !description || !via) {
		if (v)
			p->paths = v;
		free(n);
		free(description);
		free(via);
		return err_set(ERR_NOMEM, "blast: out of memory");
	}
	p->paths = v;
	v[p->npaths].name = n;
	v[p->npaths].description = description;
	v[p->npaths].via = via;
	p->npaths++;
	return 0;
}

/* One sentence: how, with its "%s" replaced by the first target, as in
 * "NAME (admin-equivalent) or 3 others". */
static char *
describe(const char *how, const struct hits *h)
{
	const struct strv *first = h->admin.n ? &h->admin : &h->other;
	size_t more = h->admin.n + h->other.n - 1;
	const char *mark = strstr(how, "%s");
	struct buf d;

	buf_init(&d);
	if (!mark || buf_add(&d, how, (size_t)(mark - how)) < 0 ||
	    buf_adds(&d, first->v[0]) < 0 ||
	    (h->admin.n && buf_adds(&d, " (admin-equivalent)") < 0) ||
	    (more && buf_printf(&d, " or %zu other%s", more, more > 1 ? "s" : "") < 0) ||
	    buf_adds(&d, mark + 2) < 0 ||
	    buf_adds(&d, h->conditional ? ", when a policy condition holds."
					: ".") < 0) {
		buf_dispose(&d);
		return NULL;
	}
	return buf_detach(&d);
}

/* The policies behind the further actions join the key action's. */
static int
path_from_hits(struct principal *p, const struct escalation *e, struct hits *h)
{
	const char *acts[7] = { 0 }, *via;
	size_t k, n = 0;
	bool cond;
	int rc = 0;

	if (e->target == TGT_SERVICE_ROLE)
		acts[n++] = e->act;
	for (k = 0; k < 3 && e->also[k]; k++)
		acts[n++] = e->also[k];
	for (k = 0; k < 3 && e->either[k]; k++)
		acts[n++] = e->either[k];
	for (k = 0; k < n && rc >= 0; k++) {
		if (!p_allows(p, acts[k], NULL, &cond, &via))
			continue;
		h->conditional |= cond;
		if (!strv_has(&h->via, via))
			rc = strv_add(&h->via, via);
	}
	if (rc < 0)
		return rc;
	strv_sort_unique(&h->admin);
	strv_sort_unique(&h->other);
	strv_sort_unique(&h->via);
	return add_path(p, e->name, describe(e->how, h), strv_join(&h->via, ", "));
}

static int
direct_paths(struct bctx *c, struct principal *p, int depth)
{
	const char *via;
	bool cond;
	int rc = 0;

	for (size_t i = 0; i < NESCALATIONS && rc >= 0; i++) {
		const struct escalation *e = &escalations[i];
		struct hits h = { 0 };
		bool ok = p_allows(p, e->act, NULL, &cond, &via), any = !e->either[0];
		size_t k;

		for (k = 0; ok && k < 3 && e->also[k]; k++)
			ok = p_allows(p, e->also[k], NULL, &cond, &via);
		for (k = 0; ok && k < 3 && e->either[k]; k++)
			any |= p_allows(p, e->either[k], NULL, &cond, &via);
		if (!ok || !any)
			continue;
		rc = find_targets(c, p, e, depth, &h);
		if (rc >= 0 && (h.admin.n || h.other.n))
			rc = path_from_hits(p, e, &h);
		hits_dispose(&h);
	}
	p->ndirect = p->npaths;
	return rc;
}

/* Breadth-first over trust policies: every role p can reach by assuming
 * roles in turn, and the shortest chain to a privileged one. */
static int
chain_search(struct bctx *c, struct principal *p, int depth)
{
	size_t *parent = NULL, *queue = NULL, head = 0, tail = 0, found = SIZE_MAX;
	bool *seen = NULL;
	int rc = 0;

	if (!c->nids)
		return 0;
	parent = calloc(c->nids, sizeof(*parent));
	queue = calloc(c->nids, sizeof(*queue));
	seen = calloc(c->nids, sizeof(*seen));
	if (!parent || !queue || !seen) {
		rc = err_set(ERR_NOMEM, "blast: out of memory");
		goto out;
	}
	seen[p->id - c->ids] = true;
	parent[p->id - c->ids] = SIZE_MAX;
	queue[tail++] = (size_t)(p->id - c->ids);
	while (head < tail && rc >= 0) {
		size_t at = queue[head++];
		struct principal *from = principal_of(&c->ids[at]);

		if (!from || (rc = gather(c, from)) < 0)
			break;
		if (at != (size_t)(p->id - c->ids)) {
			bool admin;

			if ((rc = strv_add(&p->assumable, c->ids[at].arn)) < 0)
				break;
			if (found == SIZE_MAX && privileged(c, &c->ids[at], depth, &admin) &&
			    (from->admin || from->ndirect))
				found = at;
		}
		for (size_t i = 0; i < c->nids; i++)
			if (!seen[i] && !strcmp(c->ids[i].kind, "role") &&
			    trust_admits(c, from, &c->ids[i])) {
				seen[i] = true;
				parent[i] = at;
				queue[tail++] = i;
			}
	}
	if (rc >= 0 && found != SIZE_MAX && !p->admin) {
		struct principal *t = principal_of(&c->ids[found]);
		struct strv hops = { 0 };
		struct buf d;

		buf_init(&d);
		for (size_t at = found; at != SIZE_MAX && rc >= 0; at = parent[at])
			rc = strv_add(&hops, c->ids[at].name ? c->ids[at].name
							     : c->ids[at].arn);
		for (size_t i = 0; i < hops.n / 2; i++) {
			char *tmp = hops.v[i];

			hops.v[i] = hops.v[hops.n - 1 - i];
			hops.v[hops.n - 1 - i] = tmp;
		}
		if (rc >= 0 && buf_printf(&d, "Can assume%s the role %s, which %s.",
					  hops.n > 2 ? ", through a chain of roles," : "",
					  c->ids[found].name,
					  t->admin ? "is admin-equivalent"
						   : "has escalation paths of its own") < 0)
			rc = err_set(ERR_NOMEM, "blast: out of memory");
		if (rc >= 0)
			rc = add_path(p, "sts:AssumeRole chain", buf_detach(&d),
				      strv_join(&hops, " -> "));
		buf_dispose(&d);
		strv_dispose(&hops);
	}
out:
	free(parent);
	free(queue);
	free(seen);
	return rc;
}

/* Work out p in stages, each once. A principal met again while its own
 * analysis runs (a cycle) answers with what is known so far. */
static int
analyze(struct bctx *c, struct principal *p, int depth)
{
	int rc;

	if (p->busy)
		return 0;
	p->busy = true;
	if ((rc = gather(c, p)) < 0)
		goto out;
	if (!p->direct_done && !p->admin && depth < BLAST_MAX_DEPTH) {
		p->direct_done = true;
		if ((rc = direct_paths(c, p, depth)) < 0)
			goto out;
	}
	if (!p->chain_done && (!p->admin || depth == 0) && depth < BLAST_MAX_DEPTH) {
		p->chain_done = true;
		rc = chain_search(c, p, depth);
	}
out:
	p->busy = false;
	return rc;
}

/* ---- loading from the store -------------------------------------------- */

static int
load_row(void *ctx, int ncol, const char *const *names,
	 const char *const *values, const bool *numeric)
{
	struct bctx *c = ctx;
	struct ident *id;

	(void)names;
	(void)numeric;
	if (ncol < 5 || !values[0] || !values[1] || !values[4])
		return 0;
	if (c->nids == c->capids) {
		size_t cap = c->capids ? c->capids * 2 : 64;
		struct ident *v = realloc(c->ids, cap * sizeof(*v));

		if (!v)
			return 1;
		c->ids = v;
		c->capids = cap;
	}
	id = &c->ids[c->nids];
	memset(id, 0, sizeof(*id));
	id->arn = strdup(values[0]);
	id->kind = strdup(values[1]);
	id->name = values[2] ? strdup(values[2]) : NULL;
	id->account = values[3] ? strdup(values[3]) : NULL;
	id->doc_text = strdup(values[4]);
	c->nids++;
	if (!id->arn || !id->kind || !id->doc_text ||
	    (values[2] && !id->name) || (values[3] && !id->account))
		return 1;
	return 0;
}

static void
ctx_dispose(struct bctx *c)
{
	for (size_t i = 0; i < c->nids; i++) {
		struct ident *id = &c->ids[i];

		free(id->arn);
		free(id->kind);
		free(id->name);
		free(id->account);
		free(id->doc_text);
		cJSON_Delete(id->doc);
		principal_free(id->an);
	}
	free(c->ids);
	for (size_t i = 0; i < c->ntrees; i++)
		cJSON_Delete(c->trees[i]);
	free(c->trees);
	strv_dispose(&c->pool);
}

/* What an actor string names: an IAM ARN, a session of a role, or a bare
 * user name. */
struct actor_ref {
	char kind[8];      /* user, role, group, root, or "" */
	char account[16];
	const char *name;  /* into buf */
	char *guess;       /* the IAM ARN it stands for (owned) */
	char *buf;
};

static int
actor_parse(const char *actor, struct actor_ref *a)
{
	char *f[6] = { 0 }, *p, *slash;
	int n = 0;

	memset(a, 0, sizeof(*a));
	if (!(a->buf = strdup(actor)))
		return err_set(ERR_NOMEM, "blast: out of memory");
	if (strncmp(actor, "arn:", 4) != 0) {
		if (!strpbrk(actor, ":/ ") && *actor) {
			strcpy(a->kind, "user");
			a->name = a->buf;
		}
		return 0;
	}
	for (p = a->buf; n < 6; n++) {
		f[n] = p;
		if (n == 5 || !(p = strchr(p, ':')))
			break;
		*p++ = '\0';
	}
	if (n < 5 || strlen(f[4]) >= sizeof(a->account))
		return 0;
	strcpy(a->account, f[4]);
	if (!strcmp(f[2], "sts") && !strncmp(f[5], "assumed-role/", 13)) {
		a->name = f[5] + 13;
		if ((slash = strchr(f[5] + 13, '/')))
			*slash = '\0';
		strcpy(a->kind, "role");
		if (!(a->guess = strf("arn:%s:iam::%s:role/%s", f[1], f[4], a->name)))
			return err_set(ERR_NOMEM, "blast: out of memory");
		return 0;
	}
	if (!strcmp(f[2], "iam") && !strcmp(f[5], "root")) {
		strcpy(a->kind, "root");
		return 0;
	}
	if (strcmp(f[2], "iam") != 0 || !(slash = strchr(f[5], '/')))
		return 0;
	*slash = '\0';
	if (strcmp(f[5], "user") && strcmp(f[5], "role") && strcmp(f[5], "group"))
		return 0;
	strcpy(a->kind, f[5]);
	/* Paths are not part of a principal's identity here: the last part. */
	a->name = strrchr(slash + 1, '/') ? strrchr(slash + 1, '/') + 1 : slash + 1;
	return 0;
}

struct found {
	char *arn, *account;
};

static int
found_row(void *ctx, int ncol, const char *const *names,
	  const char *const *values, const bool *numeric)
{
	struct found *f = ctx;

	(void)names;
	(void)numeric;
	if (ncol < 2 || !values[0] || f->arn)
		return 1;
	f->arn = strdup(values[0]);
	f->account = values[1] ? strdup(values[1]) : NULL;
	return 1;
}

/* The stored principal the actor stands for (f->arn NULL if none). */
static int
resolve(struct store *st, const char *actor, const struct actor_ref *a,
	struct found *f)
{
	struct store_param exact[] = { { .name = ":arn", .value = actor } };
	struct store_param named[] = {
		{ .name = ":kind", .value = a->kind },
		{ .name = ":name", .value = a->name },
		{ .name = ":account", .value = a->account[0] ? a->account : NULL },
	};
	int rc;

	rc = store_query(st, "SELECT arn, account FROM identities WHERE arn = :arn"
			 " AND kind IN ('user', 'role', 'group')",
			 exact, 1, 0, found_row, f);
	if (rc < 0 || f->arn || !a->kind[0] || !strcmp(a->kind, "root"))
		return rc;
	return store_query(st, "SELECT arn, account FROM identities WHERE kind = :kind"
			   " AND name = :name AND (:account IS NULL OR account = :account)"
			   " ORDER BY arn LIMIT 1", named, 3, 0, found_row, f);
}

static int
touched_row(void *ctx, int ncol, const char *const *names,
	    const char *const *values, const bool *numeric)
{
	struct strv *sv = ctx;

	(void)names;
	(void)numeric;
	if (ncol < 1 || !values[0])
		return 0;
	return strv_add(sv, values[0]) < 0;
}

/* Distinct resources of the actor's events in the window: its own string,
 * the principal's ARN and, for a role, every session of it. Each leg is an
 * equality or a range on actor so that the actor index serves it. */
static int
touched(struct store *st, const char *actor, const char *principal,
	const char *sessions, int64_t start_ns, int64_t end_ns,
	struct strv *out)
{
	char *hi = NULL;
	int rc;

	if (sessions && (hi = strdup(sessions)))
		hi[strlen(hi) - 1]++; /* "/" -> "0": the end of the prefix range */
	if (sessions && !hi)
		return err_set(ERR_NOMEM, "blast: out of memory");
	{
		struct store_param params[] = {
			{ .name = ":actor", .value = actor },
			{ .name = ":principal", .value = principal },
			{ .name = ":lo", .value = sessions },
			{ .name = ":hi", .value = hi },
			{ .name = ":since", .is_int = true,
			  .ival = end_ns > start_ns ? start_ns : INT64_MIN },
			{ .name = ":until", .is_int = true,
			  .ival = end_ns > start_ns ? end_ns : INT64_MAX },
			{ .name = ":max", .is_int = true, .ival = BLAST_MAX_TOUCHED },
		};

		/* The range leg reads time with unary + so that the planner takes
		 * the actor index rather than the time index for it. */
		rc = store_query(st, "SELECT resource FROM events WHERE actor = :actor"
				 " AND time >= :since AND time < :until"
				 " AND resource IS NOT NULL"
				 " UNION SELECT resource FROM events WHERE actor = :principal"
				 " AND time >= :since AND time < :until"
				 " AND resource IS NOT NULL"
				 " UNION SELECT resource FROM events"
				 " WHERE actor >= :lo AND actor < :hi"
				 " AND +time >= :since AND +time < :until"
				 " AND resource IS NOT NULL ORDER BY 1 LIMIT :max",
				 params, sizeof(params) / sizeof(params[0]), 0,
				 touched_row, out);
	}
	free(hi);
	return rc;
}

/* ---- the result --------------------------------------------------------- */

static int
cmp_path(const void *a, const void *b)
{
	const struct blast_path *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : strcmp(x->description, y->description);
}

static char **
strv_take(struct strv *sv, size_t *n)
{
	char **v = sv->v;

	strv_sort_unique(sv);
	*n = sv->n;
	memset(sv, 0, sizeof(*sv));
	return v;
}

/* One allowed entry: "PATTERN" or "PATTERN except A, B", with the denies
 * that carve into it. */
static int
allowed_entry(const struct principal *p, const struct stmt *s, const char *pat,
	      const cJSON *except, struct strv *out)
{
	struct buf b;
	const cJSON *it;
	bool first = true;

	for (size_t i = 0; i < p->stmts.n; i++) {
		const struct stmt *d = &p->stmts.v[i];

		if (!d->allow && !d->conditional && !d->not_action &&
		    !(d->resources && (d->not_resource || !list_has(d->resources, "*"))) &&
		    list_any_glob(d->actions, pat, true, GLOB_COVER))
			return 0; /* denied outright */
	}
	buf_init(&b);
	if (buf_adds(&b, pat) < 0)
		goto nomem;
	LIST_EACH(it, except)
		if (buf_printf(&b, "%s%s", first ? " except " : ", ", it->valuestring) < 0)
			goto nomem;
		else
			first = false;
	for (size_t i = 0; i < p->stmts.n; i++) {
		const struct stmt *d = &p->stmts.v[i];
		const cJSON *da;

		if (d->allow || d->conditional || d->not_action)
			continue;
		LIST_EACH(da, d->actions)
			if (glob(pat, da->valuestring, true, GLOB_COVER)) {
				if (buf_printf(&b, "%s%s", first ? " except " : ", ",
					       da->valuestring) < 0)
					goto nomem;
				first = false;
			}
	}
	if (s->conditional && buf_adds(&b, " (conditional)") < 0)
		goto nomem;
	return strv_push(out, buf_detach(&b));
nomem:
	buf_dispose(&b);
	return err_set(ERR_NOMEM, "blast: out of memory");
}

static int
effective(const struct principal *p, struct strv *allowed, struct strv *reach)
{
	int rc = 0;

	for (size_t i = 0; i < p->stmts.n && rc >= 0; i++) {
		const struct stmt *s = &p->stmts.v[i];
		size_t before = allowed->n;
		const cJSON *it;

		if (!s->allow)
			continue;
		if (s->not_action)
			rc = allowed_entry(p, s, "*", s->actions, allowed);
		else
			LIST_EACH(it, s->actions)
				if (rc >= 0)
					rc = allowed_entry(p, s, it->valuestring, NULL,
							   allowed);
		if (rc < 0 || allowed->n == before)
			continue;
		if (!s->resources)
			rc = strv_add(reach, "*");
		else if (s->not_resource)
			rc = strv_add(reach, "* except listed resources");
		else
			LIST_EACH(it, s->resources)
				if (rc >= 0)
					rc = strv_add(reach, it->valuestring);
	}
	return rc;
}

static int
fill(struct blast *b, struct principal *p)
{
	struct strv allowed = { 0 }, reach = { 0 };
	int rc;

	if (!(b->kind = strdup(p->id->kind)))
		return err_set(ERR_NOMEM, "blast: out of memory");
	b->known = true;
	b->admin = p->admin;
	if ((rc = effective(p, &allowed, &reach)) < 0) {
		strv_dispose(&allowed);
		strv_dispose(&reach);
		return rc;
	}
	b->allowed = strv_take(&allowed, &b->nallowed);
	b->reach = strv_take(&reach, &b->nreach);
	b->policies = strv_take(&p->policies, &b->npolicies);
	b->assumable = strv_take(&p->assumable, &b->nassumable);
	if (p->npaths) {
		if (!(b->paths = calloc(p->npaths, sizeof(*b->paths))))
			return err_set(ERR_NOMEM, "blast: out of memory");
		for (size_t i = 0; i < p->npaths; i++) {
			b->paths[i].name = p->paths[i].name;
			b->paths[i].description = p->paths[i].description;
			b->paths[i].via = p->paths[i].via;
		}
		b->npaths = p->npaths;
		free(p->paths);
		p->paths = NULL;
		p->npaths = 0;
		qsort(b->paths, b->npaths, sizeof(*b->paths), cmp_path);
	}
	return 0;
}

/* The account's root user is in no identity configuration, yet it can do
 * anything: admin-equivalent, with known false. */
static int
root_blast(struct blast *b)
{
	if (!(b->kind = strdup("root")) ||
	    !(b->allowed = calloc(1, sizeof(*b->allowed))) ||
	    !(b->allowed[0] = strdup("*")))
		return err_set(ERR_NOMEM, "blast: out of memory");
	b->nallowed = 1;
	if (!(b->reach = calloc(1, sizeof(*b->reach))) || !(b->reach[0] = strdup("*")))
		return err_set(ERR_NOMEM, "blast: out of memory");
	b->nreach = 1;
	b->admin = true;
	return 0;
}

/* Load the principal's account and analyze the principal arn into b;
 * *sessions: the ARN prefix of its sessions when it is a role. */
static int
compute_known(struct store *st, const char *arn, const char *account,
	      struct blast *b, char **sessions)
{
	struct store_param params[] = { { .name = ":account", .value = account } };
	struct bctx c = { .st = st };
	struct ident *self;
	int rc;

	rc = store_query(st, "SELECT arn, kind, name, account, doc FROM identities"
			 " WHERE account = :account OR account IS NULL"
			 " ORDER BY arn", params, 1, 0, load_row, &c);
	if (rc < 0)
		goto out;
	if (!(self = ident_find(&c, arn)) || !principal_of(self)) {
		rc = err_set(ERR_NOMEM, "blast: out of memory loading identities");
		goto out;
	}
	if ((rc = analyze(&c, self->an, 0)) < 0 || (rc = fill(b, self->an)) < 0)
		goto out;
	if (!strcmp(self->kind, "role") && self->account && self->name) {
		const char *part = arn + 4;
		int plen = (int)strcspn(part, ":");

		*sessions = strf("arn:%.*s:sts::%s:assumed-role/%s/", plen, part,
				 self->account, self->name);
		if (!*sessions)
			rc = err_set(ERR_NOMEM, "blast: out of memory");
	}
out:
	ctx_dispose(&c);
	return rc;
}

int
blast_compute(struct store *st, const char *actor, int64_t start_ns,
	      int64_t end_ns, struct blast **out)
{
	struct actor_ref a;
	struct found f = { 0 };
	struct strv touch = { 0 };
	struct blast *b;
	char *sessions = NULL;
	int rc;

	*out = NULL;
	if (!st || !actor)
		return err_set(ERR_USAGE, "blast: no store or actor");
	if (!(b = calloc(1, sizeof(*b))))
		return err_set(ERR_NOMEM, "blast: out of memory");
	if ((rc = actor_parse(actor, &a)) < 0 || (rc = resolve(st, actor, &a, &f)) < 0)
		goto out;
	b->principal = strdup(f.arn ? f.arn : a.guess ? a.guess : actor);
	if (!b->principal) {
		rc = err_set(ERR_NOMEM, "blast: out of memory");
		goto out;
	}
	if (f.arn && (rc = compute_known(st, f.arn, f.account, b, &sessions)) < 0)
		goto out;
	if (!strcmp(a.kind, "root") && (rc = root_blast(b)) < 0)
		goto out;
	if ((rc = touched(st, actor, b->principal, sessions, start_ns, end_ns,
			  &touch)) < 0)
		goto out;
	b->touched = strv_take(&touch, &b->ntouched);
out:
	strv_dispose(&touch);
	free(sessions);
	free(f.arn);
	free(f.account);
	free(a.guess);
	free(a.buf);
	if (rc < 0) {
		blast_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

static void
free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
blast_free(struct blast *b)
{
	if (!b)
		return;
	free(b->principal);
	free(b->kind);
	free_strs(b->policies, b->npolicies);
	free_strs(b->allowed, b->nallowed);
	free_strs(b->reach, b->nreach);
	for (size_t i = 0; i < b->npaths; i++) {
		free(b->paths[i].name);
		free(b->paths[i].description);
		free(b->paths[i].via);
	}
	free(b->paths);
	free_strs(b->assumable, b->nassumable);
	free_strs(b->touched, b->ntouched);
	free(b);
}

static bool
add_strings(cJSON *obj, const char *key, char *const *v, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, key);

	for (size_t i = 0; arr && i < n; i++) {
		cJSON *s = cJSON_CreateString(v[i]);

		if (!s || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return false;
		}
	}
	return arr != NULL;
}

char *
blast_to_json(const struct blast *b)
{
	cJSON *o, *paths;
	char *text = NULL;
	bool ok;

	if (!b || !(o = cJSON_CreateObject()))
		return NULL;
	ok = cJSON_AddStringToObject(o, "principal", b->principal ? b->principal : "") &&
	     (b->kind ? cJSON_AddStringToObject(o, "kind", b->kind) != NULL
		      : cJSON_AddNullToObject(o, "kind") != NULL) &&
	     cJSON_AddBoolToObject(o, "known", b->known) &&
	     cJSON_AddBoolToObject(o, "admin", b->admin) &&
	     add_strings(o, "policies", b->policies, b->npolicies) &&
	     add_strings(o, "allowed", b->allowed, b->nallowed) &&
	     add_strings(o, "reach", b->reach, b->nreach);
	paths = ok ? cJSON_AddArrayToObject(o, "paths") : NULL;
	for (size_t i = 0; paths && i < b->npaths; i++) {
		cJSON *p = cJSON_CreateObject();

		if (!p || !cJSON_AddItemToArray(paths, p)) {
			cJSON_Delete(p);
			paths = NULL;
			break;
		}
		if (!cJSON_AddStringToObject(p, "name", b->paths[i].name) ||
		    !cJSON_AddStringToObject(p, "description", b->paths[i].description) ||
		    !cJSON_AddStringToObject(p, "via", b->paths[i].via))
			paths = NULL;
	}
	ok = paths && add_strings(o, "assumable", b->assumable, b->nassumable) &&
	     add_strings(o, "touched", b->touched, b->ntouched);
	if (ok)
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

bool
blast_allows(const struct blast *b, const char *action)
{
	if (!b || !action)
		return false;
	for (size_t i = 0; i < b->nallowed; i++) {
		const char *e = b->allowed[i], *ex = strstr(e, " except ");
		const char *end = strstr(e, " (conditional)");
		char pat[256];
		size_t n = ex ? (size_t)(ex - e) : end ? (size_t)(end - e) : strlen(e);
		bool excluded = false;

		if (n >= sizeof(pat))
			continue;
		memcpy(pat, e, n);
		pat[n] = '\0';
		if (!glob(pat, action, true, GLOB_MATCH))
			continue;
		for (const char *x = ex ? ex + 8 : NULL; x && *x && !excluded;) {
			size_t k = strcspn(x, ",(");

			while (k && x[k - 1] == ' ')
				k--;
			if (k < sizeof(pat)) {
				memcpy(pat, x, k);
				pat[k] = '\0';
				excluded = glob(pat, action, true, GLOB_MATCH);
			}
			x = strchr(x, ',');
			x = x ? x + 1 + (x[1] == ' ') : NULL;
		}
		if (!excluded)
			return true;
	}
	return false;
}
