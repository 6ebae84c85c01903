/* SPDX-License-Identifier: Apache-2.0 */
/* iampolicy: the grammar of AWS IAM policy documents and what a principal's
 * documents allow, with denies, conditions and a permissions boundary. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/iampolicy.h"
#include "core/jsonu.h"
#include "core/strv.h"
#include "core/timeutil.h"

/* A session issued before a policy existed stays usable up to 36 hours
 * (the longest STS session), so a date condition is dead only when it
 * lapsed more than that before the policy and its principal existed. */
#define IAMPOLICY_SESSION_NS (36LL * 3600 * 1000000000)

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

bool
iampolicy_match(const char *pattern, const char *s, bool nocase)
{
	return glob(pattern, s, nocase, GLOB_MATCH);
}

bool
iampolicy_covers(const char *pattern, const char *sub, bool nocase)
{
	return glob(pattern, sub, nocase, GLOB_COVER);
}

/* Policy variables in a resource pattern: ${aws:username} is the user's
 * own name; any other variable may be anything, so it widens to '*'. */
static bool
res_match(const char *pat, const char *res, const struct iampolicy_vars *vars)
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

/* ---- policy elements: one string or an array of them ------------------- */

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

/* ---- documents --------------------------------------------------------- */

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

cJSON *
iampolicy_parse_encoded(const char *s)
{
	size_t n = 0;
	char *text;
	cJSON *tree;

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
	tree = cJSON_ParseWithLength(text, n);
	free(text);
	if (tree && !cJSON_IsObject(tree)) {
		cJSON_Delete(tree);
		tree = NULL;
	}
	return tree;
}

/* Where an entry of the export holds policy documents. */
static const struct {
	const char *list;  /* an array of objects, or NULL: the entry itself */
	const char *key;
} doc_places[] = {
	{ NULL, "AssumeRolePolicyDocument" },
	{ "UserPolicyList", "PolicyDocument" },
	{ "GroupPolicyList", "PolicyDocument" },
	{ "RolePolicyList", "PolicyDocument" },
	{ "PolicyVersionList", "Document" },
};

/* Once per entry, so that every later look at a document is a plain
 * lookup. */
void
iampolicy_decode_documents(cJSON *entry)
{
	for (size_t i = 0; i < sizeof(doc_places) / sizeof(doc_places[0]); i++) {
		cJSON *list = doc_places[i].list
			? cJSON_GetObjectItemCaseSensitive(entry, doc_places[i].list)
			: NULL;
		cJSON *it = doc_places[i].list ? NULL : entry;

		if (list && cJSON_IsArray(list))
			it = list->child;
		for (; it; it = doc_places[i].list ? it->next : NULL) {
			const char *key = doc_places[i].key;
			cJSON *doc = cJSON_GetObjectItemCaseSensitive(it, key);
			cJSON *tree;

			if (!cJSON_IsString(doc) || !doc->valuestring ||
			    !(tree = iampolicy_parse_encoded(doc->valuestring)))
				continue;
			if (!cJSON_ReplaceItemInObjectCaseSensitive(it, key, tree))
				cJSON_Delete(tree);
		}
	}
}

/* AWS-managed policies that make a principal admin-equivalent on their own,
 * for exports filtered to leave AWS-managed documents out. */
static const struct {
	const char *suffix;
	const char *doc;
} known_managed[] = {
	{ ":iam::aws:policy/AdministratorAccess",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
	  "\"Resource\":\"*\"}}" },
	{ ":iam::aws:policy/IAMFullAccess",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iam:*\","
	  "\"Resource\":\"*\"}}" },
};

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

const char *
iampolicy_aws_managed(const char *arn)
{
	size_t n = sizeof(known_managed) / sizeof(known_managed[0]);

	for (size_t i = 0; i < n; i++)
		if (ends_with(arn, known_managed[i].suffix))
			return known_managed[i].doc;
	return NULL;
}

/* ---- conditions and statements ----------------------------------------- */

struct iampolicy_stmt {
	bool allow;
	bool not_action, not_resource;
	bool conditional;       /* a condition that may or may not hold */
	const cJSON *condition; /* borrowed, or NULL */
	const cJSON *actions;   /* borrowed from the document */
	const cJSON *resources; /* NULL: every resource */
	const char *policy;     /* label, borrowed */
};

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
			    when > created_ns - IAMPOLICY_SESSION_NS)
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
stmt_push(struct iampolicy *pol, const struct iampolicy_stmt *s)
{
	if (pol->n == pol->cap) {
		size_t cap = pol->cap ? pol->cap * 2 : 16;
		struct iampolicy_stmt *v = realloc(pol->v, cap * sizeof(*v));

		if (!v)
			return err_set(ERR_NOMEM, "iampolicy: out of memory");
		pol->v = v;
		pol->cap = cap;
	}
	pol->v[pol->n++] = *s;
	return 0;
}

/* A statement whose condition may hold is kept and marked. */
int
iampolicy_add(struct iampolicy *pol, const cJSON *doc, const char *label,
	      int64_t created_ns)
{
	const cJSON *list = jsonu_key(doc, "Statement"), *js;
	int rc;

	if (!label)
		return err_set(ERR_NOMEM, "iampolicy: out of memory");
	for (js = list_first(list); js; js = list_next(list, js)) {
		const char *effect = jsonu_str(js, "Effect");
		struct iampolicy_stmt s = { .policy = label };
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
		if ((rc = stmt_push(pol, &s)) < 0)
			return rc;
	}
	return 0;
}

void
iampolicy_dispose(struct iampolicy *pol)
{
	if (!pol)
		return;
	free(pol->v);
	memset(pol, 0, sizeof(*pol));
}

void
iampolicy_perms_dispose(struct iampolicy_perms *pp)
{
	if (!pp)
		return;
	iampolicy_dispose(&pp->identity);
	iampolicy_dispose(&pp->boundary);
	pp->has_boundary = false;
}

static bool
stmt_action(const struct iampolicy_stmt *s, const char *action)
{
	bool any = list_any_glob(s->actions, action, true, GLOB_MATCH);

	return s->not_action ? !any : any;
}

static bool
stmt_resource(const struct iampolicy_stmt *s, const char *res,
	      const struct iampolicy_vars *vars)
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

/* ---- evaluation -------------------------------------------------------- */

/* Does an unconditional deny of pol match action on res? Conditional denies
 * are not counted: the radius is an upper bound. */
static bool
stmts_denied(const struct iampolicy *pol, const char *action, const char *res,
	     const struct iampolicy_vars *vars)
{
	for (size_t i = 0; i < pol->n; i++) {
		const struct iampolicy_stmt *d = &pol->v[i];

		if (!d->allow && !d->conditional && stmt_action(d, action) &&
		    stmt_resource(d, res, vars))
			return true;
	}
	return false;
}

/* Does some unconditional deny for action cover the resource pattern r? */
static bool
pattern_denied(const struct iampolicy *pol, const char *action, const char *r)
{
	for (size_t i = 0; i < pol->n; i++) {
		const struct iampolicy_stmt *d = &pol->v[i];

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
allow_survives(const struct iampolicy *pol, const struct iampolicy_stmt *a,
	       const char *action)
{
	const cJSON *it;

	if (!a->resources || a->not_resource)
		return !pattern_denied(pol, action, "*");
	LIST_EACH(it, a->resources)
		if (!pattern_denied(pol, action, it->valuestring))
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
				any |= like ? glob(it->valuestring, service, true,
						   GLOB_MATCH)
					    : !strcasecmp(it->valuestring, service);
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
stmts_allow(const struct iampolicy *pol, const struct iampolicy_vars *vars,
	    const char *action, const char *res, const char *service,
	    bool *cond, const char **via)
{
	bool found = false, found_cond = true;

	if (res && stmts_denied(pol, action, res, vars))
		return false;
	for (size_t i = 0; i < pol->n; i++) {
		const struct iampolicy_stmt *s = &pol->v[i];

		if (!s->allow || !stmt_action(s, action) ||
		    cond_excludes_service(s->condition, service))
			continue;
		if (res ? !stmt_resource(s, res, vars)
			: !allow_survives(pol, s, action))
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

bool
iampolicy_allows(const struct iampolicy_perms *pp, const char *action,
		 const char *res, const char *service, bool *cond,
		 const char **via)
{
	bool c1 = false, c2 = false;
	const char *v2;

	if (!stmts_allow(&pp->identity, &pp->vars, action, res, service, &c1,
			 via))
		return false;
	if (pp->has_boundary && !stmts_allow(&pp->boundary, &pp->vars, action,
					     res, service, &c2, &v2))
		return false;
	*cond = c1 || c2;
	return true;
}

bool
iampolicy_denies(const struct iampolicy_perms *pp, const char *action,
		 const char *res)
{
	return stmts_denied(&pp->identity, action, res, &pp->vars);
}

/* Could an action pattern ("iam:Delete*", "*") name an action of service? */
static bool
touches_service(const char *pat, const char *service)
{
	const char *colon = strchr(pat, ':');
	char svc[64];
	size_t n = colon ? (size_t)(colon - pat) : 0;

	if (!colon || n >= sizeof(svc))
		return true;
	memcpy(svc, pat, n);
	svc[n] = '\0';
	return glob(svc, service, true, GLOB_MATCH);
}

/* Is every action of service (NULL: of every service) allowed on every
 * resource, with no unconditional deny reaching into it? */
static bool
stmts_allow_all(const struct iampolicy *pol, const char *service)
{
	char all[80];
	bool granted = false;
	const cJSON *it;

	snprintf(all, sizeof(all), "%s%s", service ? service : "*",
		 service ? ":*" : "");
	for (size_t i = 0; i < pol->n && !granted; i++) {
		const struct iampolicy_stmt *s = &pol->v[i];

		if (!s->allow || (s->resources &&
				  (s->not_resource || !list_has(s->resources, "*"))))
			continue;
		if (!s->not_action) {
			granted = list_any_glob(s->actions, all, true, GLOB_COVER);
			continue;
		}
		if (!service)
			continue; /* NotAction leaves something out of "*" */
		granted = true;
		LIST_EACH(it, s->actions)
			granted &= !touches_service(it->valuestring, service);
	}
	for (size_t i = 0; i < pol->n && granted; i++) {
		const struct iampolicy_stmt *d = &pol->v[i];

		if (d->allow || d->conditional)
			continue;
		if (d->not_action || !service)
			return false;
		LIST_EACH(it, d->actions)
			if (touches_service(it->valuestring, service))
				return false;
	}
	return granted;
}

bool
iampolicy_admin(const struct iampolicy_perms *pp)
{
	if (stmts_allow_all(&pp->identity, NULL) &&
	    (!pp->has_boundary || stmts_allow_all(&pp->boundary, NULL)))
		return true;
	/* Full IAM control lets it attach any policy to itself. */
	return stmts_allow_all(&pp->identity, "iam") &&
	       (!pp->has_boundary || stmts_allow_all(&pp->boundary, "iam"));
}

/* ---- trust policies ---------------------------------------------------- */

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

/* How the principal list of a trust statement names the principal: by
 * ARN, by "*", by a session of its role (a holder of the role can open
 * one), or through its account. */
static enum iampolicy_trust
trust_names(const cJSON *principal, const char *arn, const char *kind,
	    const char *name, const char *account)
{
	enum iampolicy_trust best = IAMPOLICY_TRUST_NO;
	const cJSON *it;

	if (cJSON_IsString(principal) && strcmp(principal->valuestring, "*") == 0)
		return IAMPOLICY_TRUST_NAMED;
	LIST_EACH(it, jsonu_key(principal, "AWS")) {
		const char *v = it->valuestring;
		char sess[300];

		if (strcmp(v, "*") == 0 || strcmp(v, arn) == 0)
			return IAMPOLICY_TRUST_NAMED;
		if (!account)
			continue;
		if (strcmp(v, account) == 0 ||
		    (arn_account_is(v, ":iam::", account, ":root", 6)))
			best = IAMPOLICY_TRUST_ACCOUNT;
		if (strcmp(kind, "role") == 0 && name &&
		    snprintf(sess, sizeof(sess), ":assumed-role/%s/", name) <
			    (int)sizeof(sess) &&
		    arn_account_is(v, ":sts::", account, sess, strlen(sess)))
			return IAMPOLICY_TRUST_NAMED;
	}
	return best;
}

/* Trust that names the principal needs nothing from its own policies but
 * the absence of a deny; trust in its account needs them to allow
 * sts:AssumeRole on the role. The caller weighs that. */
enum iampolicy_trust
iampolicy_trust(const cJSON *doc, const char *arn, const char *kind,
		const char *name, const char *account)
{
	const cJSON *list = jsonu_key(doc, "Statement"), *js;
	bool named = false, in_account = false;

	for (js = list_first(list); js; js = list_next(list, js)) {
		const char *effect = jsonu_str(js, "Effect");
		const cJSON *acts = jsonu_key(js, "Action");
		enum iampolicy_trust k;

		if (!effect || !acts ||
		    !list_any_glob(acts, "sts:AssumeRole", true, GLOB_MATCH))
			continue;
		k = trust_names(jsonu_key(js, "Principal"), arn, kind, name,
				account);
		if (k == IAMPOLICY_TRUST_NO)
			continue;
		if (strcasecmp(effect, "Deny") == 0 && !jsonu_key(js, "Condition"))
			return IAMPOLICY_TRUST_DENIED;
		if (strcasecmp(effect, "Allow") == 0) {
			named |= k == IAMPOLICY_TRUST_NAMED;
			in_account |= k == IAMPOLICY_TRUST_ACCOUNT;
		}
	}
	if (named)
		return IAMPOLICY_TRUST_NAMED;
	return in_account ? IAMPOLICY_TRUST_ACCOUNT : IAMPOLICY_TRUST_NO;
}

bool
iampolicy_trusts_service(const cJSON *doc, const char *service)
{
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

/* ---- effective allows -------------------------------------------------- */

/* One allowed entry: "PATTERN" or "PATTERN except A, B", with the denies
 * that carve into it. */
static int
allowed_entry(const struct iampolicy_perms *pp, const struct iampolicy_stmt *s,
	      const char *pat, const cJSON *except, struct strv *out)
{
	const struct iampolicy *pol = &pp->identity;
	struct buf b;
	const cJSON *it;
	bool first = true;

	for (size_t i = 0; i < pol->n; i++) {
		const struct iampolicy_stmt *d = &pol->v[i];

		if (!d->allow && !d->conditional && !d->not_action &&
		    (!d->resources ||
		     (!d->not_resource && list_has(d->resources, "*"))) &&
		    list_any_glob(d->actions, pat, true, GLOB_COVER))
			return 0; /* denied outright */
	}
	buf_init(&b);
	if (buf_adds(&b, pat) < 0)
		goto nomem;
	LIST_EACH(it, except)
		if (buf_printf(&b, "%s%s", first ? " except " : ", ",
			       it->valuestring) < 0)
			goto nomem;
		else
			first = false;
	for (size_t i = 0; i < pol->n; i++) {
		const struct iampolicy_stmt *d = &pol->v[i];
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
	return err_set(ERR_NOMEM, "iampolicy: out of memory");
}

/* Does the boundary let every action of pattern pat through? */
static bool
boundary_covers(const struct iampolicy_perms *pp, const char *pat)
{
	for (size_t i = 0; i < pp->boundary.n; i++) {
		const struct iampolicy_stmt *s = &pp->boundary.v[i];
		const cJSON *it;
		bool clear = true;

		if (!s->allow)
			continue;
		if (!s->not_action) {
			if (list_any_glob(s->actions, pat, true, GLOB_COVER))
				return true;
			continue;
		}
		LIST_EACH(it, s->actions)
			if (glob(pat, it->valuestring, true, GLOB_COVER) ||
			    glob(it->valuestring, pat, true, GLOB_COVER))
				clear = false;
		if (clear)
			return true;
	}
	return false;
}

/* The entries of pattern pat under the boundary: pat itself when the
 * boundary lets all of it through, else the boundary's narrower patterns
 * inside it. */
static int
bounded_entries(const struct iampolicy_perms *pp,
		const struct iampolicy_stmt *s, const char *pat,
		const cJSON *except, struct strv *out)
{
	int rc = 0;

	if (!pp->has_boundary || boundary_covers(pp, pat))
		return allowed_entry(pp, s, pat, except, out);
	for (size_t i = 0; i < pp->boundary.n && rc >= 0; i++) {
		const struct iampolicy_stmt *b = &pp->boundary.v[i];
		const cJSON *it;

		if (!b->allow || b->not_action)
			continue;
		LIST_EACH(it, b->actions)
			if (rc >= 0 && glob(pat, it->valuestring, true, GLOB_COVER))
				rc = allowed_entry(pp, s, it->valuestring, except,
						   out);
	}
	return rc;
}

int
iampolicy_effective(const struct iampolicy_perms *pp, struct strv *allowed,
		    struct strv *reach)
{
	int rc = 0;

	for (size_t i = 0; i < pp->identity.n && rc >= 0; i++) {
		const struct iampolicy_stmt *s = &pp->identity.v[i];
		size_t before = allowed->n;
		const cJSON *it;

		if (!s->allow)
			continue;
		if (s->not_action)
			rc = bounded_entries(pp, s, "*", s->actions, allowed);
		else
			LIST_EACH(it, s->actions)
				if (rc >= 0)
					rc = bounded_entries(pp, s, it->valuestring,
							     NULL, allowed);
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

bool
iampolicy_entry_allows(const char *entry, const char *action)
{
	const char *ex = strstr(entry, " except ");
	const char *end = strstr(entry, " (conditional)");
	char pat[256];
	size_t n = ex ? (size_t)(ex - entry)
		      : end ? (size_t)(end - entry) : strlen(entry);

	if (n >= sizeof(pat))
		return false;
	memcpy(pat, entry, n);
	pat[n] = '\0';
	if (!glob(pat, action, true, GLOB_MATCH))
		return false;
	for (const char *x = ex ? ex + 8 : NULL; x && *x;) {
		size_t k = strcspn(x, ",(");

		while (k && x[k - 1] == ' ')
			k--;
		if (k < sizeof(pat)) {
			memcpy(pat, x, k);
			pat[k] = '\0';
			if (glob(pat, action, true, GLOB_MATCH))
				return false;
		}
		x = strchr(x, ',');
		x = x ? x + 1 + (x[1] == ' ') : NULL;
	}
	return true;
}
