/* SPDX-License-Identifier: Apache-2.0 */
/* blast: the blast radius of a principal, worked out from the account's
 * identity configuration (policies, groups, trust policies) and from the
 * resources its events touched. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/blast.h"
#include "core/error.h"
#include "core/iampolicy.h"
#include "core/jsonu.h"
#include "core/privesc.h"
#include "core/store.h"
#include "core/strv.h"
#include "core/timeutil.h"

#define BLAST_MAX_TOUCHED 500

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

/* v when it is an array, else NULL (for cJSON_ArrayForEach). */
static const cJSON *
as_array(const cJSON *v)
{
	return cJSON_IsArray(v) ? v : NULL;
}

/* ---- the identity configuration ---------------------------------------- */

static struct blast_ident *
ident_find(struct blast_ctx *c, const char *arn)
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

static struct blast_ident *
ident_named(struct blast_ctx *c, const char *kind, const char *name,
	    const char *account)
{
	for (size_t i = 0; i < c->nids; i++) {
		struct blast_ident *id = &c->ids[i];

		if (strcmp(id->kind, kind) == 0 && id->name &&
		    strcmp(id->name, name) == 0 &&
		    (!account || (id->account && strcmp(id->account, account) == 0)))
			return id;
	}
	return NULL;
}

/* Keep label s (taken; NULL is an allocation failure) for the context's
 * life. */
static const char *
pool_label(struct blast_ctx *c, char *s)
{
	if (strv_push(&c->pool, s) < 0)
		return NULL;
	return c->pool.v[c->pool.n - 1];
}

/* Keep tree (taken) with the context; NULL if it is not an object. */
static const cJSON *
ctx_keep(struct blast_ctx *c, cJSON *tree)
{
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

/* A policy document: an object, or a string holding one. */
static const cJSON *
policy_doc(struct blast_ctx *c, const cJSON *v)
{
	if (cJSON_IsObject(v))
		return v;
	if (!cJSON_IsString(v) || !v->valuestring)
		return NULL;
	return ctx_keep(c, iampolicy_parse_encoded(v->valuestring));
}

static const cJSON *
ident_doc(struct blast_ident *id)
{
	if (!id->doc && id->doc_text && (id->doc = cJSON_Parse(id->doc_text)))
		iampolicy_decode_documents(id->doc);
	return id->doc;
}

/* The default version's document of a managed policy and its date, or
 * NULL when the export lacks it. */
static const cJSON *
managed_doc(struct blast_ctx *c, const char *arn, int64_t *created_ns,
	    int *nversions)
{
	struct blast_ident *id = ident_find(c, arn);
	const cJSON *versions, *v;
	const char *known;

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
	if ((known = iampolicy_aws_managed(arn)))
		return ctx_keep(c, cJSON_Parse(known));
	return NULL;
}

int
blast_policy_versions(struct blast_ctx *c, const char *arn)
{
	int64_t created;
	int nver;

	managed_doc(c, arn, &created, &nver);
	return nver;
}

/* ---- gathering a principal's policies ----------------------------------- */

static int
gather_managed(struct blast_ctx *c, struct blast_principal *p,
	       const cJSON *entry, const char *group)
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
		if (doc && (rc = iampolicy_add(&p->perms.identity, doc, label,
					       created)) < 0)
			return rc;
	}
	return 0;
}

static int
gather_inline(struct blast_ctx *c, struct blast_principal *p,
	      const cJSON *entry, const char *key, const char *group)
{
	const cJSON *list = jsonu_key(entry, key), *it;
	int rc;

	cJSON_ArrayForEach(it, as_array(list)) {
		const char *name = jsonu_strne(it, "PolicyName");
		const cJSON *doc = policy_doc(c, jsonu_key(it, "PolicyDocument"));
		const char *label;

		if (!name)
			name = "unnamed";
		if (group)
			label = pool_label(c, strf("%s (inline, group %s)", name,
						   group));
		else
			label = pool_label(c, strf("%s (inline)", name));
		if (!label || (rc = strv_add(&p->policies, label)) < 0)
			return label ? rc : err_set(ERR_NOMEM, "blast: out of memory");
		if (doc && (rc = iampolicy_add(&p->perms.identity, doc, label,
					       p->created_ns)) < 0)
			return rc;
	}
	return 0;
}

/* A boundary caps what identity policies grant: both must allow. */
static int
gather_boundary(struct blast_ctx *c, struct blast_principal *p,
		const cJSON *entry)
{
	const char *arn = jsonu_strne(entry,
				      "PermissionsBoundary.PermissionsBoundaryArn");
	const char *label;
	const cJSON *doc;
	int64_t created;
	int nver;

	if (!arn)
		return 0;
	doc = managed_doc(c, arn, &created, &nver);
	if (!doc)
		return 0; /* unknown boundary: read as no cap, the upper bound */
	p->perms.has_boundary = true;
	label = pool_label(c, strf("%s (permissions boundary)",
				   strrchr(arn, '/') ? strrchr(arn, '/') + 1 : arn));
	if (!label || strv_add(&p->policies, label) < 0)
		return err_set(ERR_NOMEM, "blast: out of memory");
	return iampolicy_add(&p->perms.boundary, doc, label,
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

int
blast_gather(struct blast_ctx *c, struct blast_principal *p)
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
	p->perms.vars.account = p->id->account;
	if (strcmp(p->id->kind, "user") == 0)
		p->perms.vars.username = p->id->name;
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
		struct blast_ident *gi;
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
	p->admin = iampolicy_admin(&p->perms);
	return 0;
}

struct blast_principal *
blast_principal_of(struct blast_ident *id)
{
	if (!id->an && (id->an = calloc(1, sizeof(*id->an))))
		id->an->id = id;
	return id->an;
}

static void
principal_free(struct blast_principal *p)
{
	if (!p)
		return;
	iampolicy_perms_dispose(&p->perms);
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

static const cJSON *
trust_doc(struct blast_ctx *c, struct blast_ident *r)
{
	return policy_doc(c, jsonu_key(ident_doc(r), "AssumeRolePolicyDocument"));
}

/* Same-account trust that names p needs nothing from p's own policies but
 * the absence of a deny; trust in the account needs p's policies to allow
 * sts:AssumeRole on r. */
bool
blast_trust_admits(struct blast_ctx *c, const struct blast_principal *p,
		   struct blast_ident *r)
{
	const struct blast_ident *id = p->id;
	bool cond;
	const char *via;

	if (r == p->id)
		return false;
	switch (iampolicy_trust(trust_doc(c, r), id->arn, id->kind, id->name,
				id->account)) {
	case IAMPOLICY_TRUST_NAMED:
		return !iampolicy_denies(&p->perms, "sts:AssumeRole", r->arn);
	case IAMPOLICY_TRUST_ACCOUNT:
		return iampolicy_allows(&p->perms, "sts:AssumeRole", r->arn, NULL,
					&cond, &via);
	default:
		return false;
	}
}

bool
blast_trusts_service(struct blast_ctx *c, struct blast_ident *r,
		     const char *service)
{
	return iampolicy_trusts_service(trust_doc(c, r), service);
}

bool
blast_has_instance_profile(struct blast_ident *r)
{
	const cJSON *doc = ident_doc(r);

	return cJSON_GetArraySize(jsonu_key(doc, "InstanceProfileList")) > 0;
}

/* ---- loading from the store -------------------------------------------- */

static int
load_row(void *ctx, int ncol, const char *const *names,
	 const char *const *values, const bool *numeric)
{
	struct blast_ctx *c = ctx;
	struct blast_ident *id;

	(void)names;
	(void)numeric;
	if (ncol < 5 || !values[0] || !values[1] || !values[4])
		return 0;
	if (c->nids == c->capids) {
		size_t cap = c->capids ? c->capids * 2 : 64;
		struct blast_ident *v = realloc(c->ids, cap * sizeof(*v));

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
ctx_dispose(struct blast_ctx *c)
{
	for (size_t i = 0; i < c->nids; i++) {
		struct blast_ident *id = &c->ids[i];

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

static int
fill(struct blast *b, struct blast_principal *p)
{
	struct strv allowed = { 0 }, reach = { 0 };
	int rc;

	if (!(b->kind = strdup(p->id->kind)))
		return err_set(ERR_NOMEM, "blast: out of memory");
	b->known = true;
	b->admin = p->admin;
	if ((rc = iampolicy_effective(&p->perms, &allowed, &reach)) < 0) {
		strv_dispose(&allowed);
		strv_dispose(&reach);
		return rc;
	}
	b->allowed = strv_take(&allowed, &b->nallowed);
	b->reach = strv_take(&reach, &b->nreach);
	b->policies = strv_take(&p->policies, &b->npolicies);
	b->assumable = strv_take(&p->assumable, &b->nassumable);
	b->paths = p->paths;
	b->npaths = p->npaths;
	p->paths = NULL;
	p->npaths = 0;
	if (b->npaths)
		qsort(b->paths, b->npaths, sizeof(*b->paths), cmp_path);
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
	struct blast_ctx c = { 0 };
	struct blast_ident *self;
	int rc;

	rc = store_query(st, "SELECT arn, kind, name, account, doc FROM identities"
			 " WHERE account = :account OR account IS NULL"
			 " ORDER BY arn", params, 1, 0, load_row, &c);
	if (rc < 0)
		goto out;
	if (!(self = ident_find(&c, arn)) || !blast_principal_of(self)) {
		rc = err_set(ERR_NOMEM, "blast: out of memory loading identities");
		goto out;
	}
	if ((rc = privesc_analyze(&c, self->an)) < 0 || (rc = fill(b, self->an)) < 0)
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
	ok = cJSON_AddStringToObject(o, "principal",
				     b->principal ? b->principal : "") &&
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
		    !cJSON_AddStringToObject(p, "description",
					     b->paths[i].description) ||
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
	for (size_t i = 0; i < b->nallowed; i++)
		if (iampolicy_entry_allows(b->allowed[i], action))
			return true;
	return false;
}
