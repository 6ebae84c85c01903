/* SPDX-License-Identifier: Apache-2.0 */
/* privesc: privilege-escalation paths of a principal: the published
 * methods as one table, and the search for the targets each reaches,
 * directly or through a chain of assumable roles. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/iampolicy.h"
#include "core/privesc.h"
#include "core/strv.h"

/* The search recurses into the principals a path could reach; past this
 * depth a target counts as unprivileged, which keeps a hostile
 * configuration from exhausting the stack. */
#define PRIVESC_MAX_DEPTH 32

/* ---- the published methods --------------------------------------------- */

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

/* ---- the search -------------------------------------------------------- */

static int analyze(struct blast_ctx *c, struct blast_principal *p, int depth);

/* Is id worth escalating to: admin-equivalent, or able to escalate? */
static bool
privileged(struct blast_ctx *c, struct blast_ident *id, int depth, bool *admin)
{
	struct blast_principal *t = blast_principal_of(id);

	*admin = false;
	if (!t || depth >= PRIVESC_MAX_DEPTH || analyze(c, t, depth + 1) < 0)
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

/* Is action allowed on some resource a deny leaves? */
static bool
allows(const struct blast_principal *p, const char *action, bool *cond,
       const char **via)
{
	return iampolicy_allows(&p->perms, action, NULL, NULL, cond, via);
}

/* Try the key action on one candidate target (res: its ARN). */
static int
try_target(struct blast_ctx *c, struct blast_principal *p,
	   const struct escalation *e, struct blast_ident *id, const char *res,
	   int depth, struct hits *h)
{
	const char *via = NULL;
	bool cond = false, admin = false;

	if (e->target == TGT_SERVICE_ROLE) {
		if (!privileged(c, id, depth, &admin))
			return 0;
		return hits_add(h, id->name, admin, false, NULL);
	}
	if (!iampolicy_allows(&p->perms, e->act, res,
			      e->target == TGT_PASS_ROLE ? e->service : NULL,
			      &cond, &via))
		return 0;
	if (id && e->target >= TGT_JOIN_GROUP && !privileged(c, id, depth, &admin))
		return 0;
	return hits_add(h, id && id->name ? id->name : tail_name(res), admin,
			cond, via);
}

static bool
role_fits(struct blast_ctx *c, const struct blast_principal *p,
	  const struct escalation *e, struct blast_ident *r)
{
	if (r == p->id || strcmp(r->kind, "role") != 0 ||
	    !blast_trusts_service(c, r, e->service))
		return false;
	return strcmp(e->service, "ec2.amazonaws.com") != 0 ||
	       blast_has_instance_profile(r);
}

static int
find_targets(struct blast_ctx *c, struct blast_principal *p,
	     const struct escalation *e, int depth, struct hits *h)
{
	bool is_user = strcmp(p->id->kind, "user") == 0;
	int rc = 0;
	size_t i;

	switch (e->target) {
	case TGT_OWN_POLICY:
	case TGT_OWN_POLICY_VER:
		for (i = 0; i < p->attached.n && rc >= 0; i++) {
			const char *arn = p->attached.v[i];
			int nver;

			/* AWS-managed policies cannot be changed by anyone. */
			if (strstr(arn, ":iam::aws:policy/"))
				continue;
			nver = blast_policy_versions(c, arn);
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
			    blast_trust_admits(c, p, &c->ids[i]))
				rc = try_target(c, p, e, NULL, c->ids[i].arn, depth, h);
		return rc;
	default:
		break;
	}
	for (i = 0; i < c->nids && rc >= 0; i++) {
		struct blast_ident *id = &c->ids[i];

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
add_path(struct blast_principal *p, const char *name, char *description,
	 char *via)
{
	struct blast_path *v = realloc(p->paths, (p->npaths + 1) * sizeof(*v));
	char *n = strdup(name);

	if (!v || !n || !description || !via) {
		if (v)
			p->paths = v;
		free(n);
		free(description);
		free(via);
		return err_set(ERR_NOMEM, "privesc: out of memory");
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
	    (more && buf_printf(&d, " or %zu other%s", more,
				more > 1 ? "s" : "") < 0) ||
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
path_from_hits(struct blast_principal *p, const struct escalation *e,
	       struct hits *h)
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
		if (!allows(p, acts[k], &cond, &via))
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
direct_paths(struct blast_ctx *c, struct blast_principal *p, int depth)
{
	const char *via;
	bool cond;
	int rc = 0;

	for (size_t i = 0; i < NESCALATIONS && rc >= 0; i++) {
		const struct escalation *e = &escalations[i];
		struct hits h = { 0 };
		bool ok = allows(p, e->act, &cond, &via), any = !e->either[0];
		size_t k;

		for (k = 0; ok && k < 3 && e->also[k]; k++)
			ok = allows(p, e->also[k], &cond, &via);
		for (k = 0; ok && k < 3 && e->either[k]; k++)
			any |= allows(p, e->either[k], &cond, &via);
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
chain_search(struct blast_ctx *c, struct blast_principal *p, int depth)
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
		rc = err_set(ERR_NOMEM, "privesc: out of memory");
		goto out;
	}
	seen[p->id - c->ids] = true;
	parent[p->id - c->ids] = SIZE_MAX;
	queue[tail++] = (size_t)(p->id - c->ids);
	while (head < tail && rc >= 0) {
		size_t at = queue[head++];
		struct blast_principal *from = blast_principal_of(&c->ids[at]);

		if (!from || (rc = blast_gather(c, from)) < 0)
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
			    blast_trust_admits(c, from, &c->ids[i])) {
				seen[i] = true;
				parent[i] = at;
				queue[tail++] = i;
			}
	}
	if (rc >= 0 && found != SIZE_MAX && !p->admin) {
		struct blast_principal *t = blast_principal_of(&c->ids[found]);
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
					  hops.v[hops.n - 1],
					  t->admin ? "is admin-equivalent"
						   : "has escalation paths of its own") < 0)
			rc = err_set(ERR_NOMEM, "privesc: out of memory");
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
analyze(struct blast_ctx *c, struct blast_principal *p, int depth)
{
	int rc;

	if (p->busy)
		return 0;
	p->busy = true;
	if ((rc = blast_gather(c, p)) < 0)
		goto out;
	if (!p->direct_done && !p->admin && depth < PRIVESC_MAX_DEPTH) {
		p->direct_done = true;
		if ((rc = direct_paths(c, p, depth)) < 0)
			goto out;
	}
	if (!p->chain_done && (!p->admin || depth == 0) &&
	    depth < PRIVESC_MAX_DEPTH) {
		p->chain_done = true;
		rc = chain_search(c, p, depth);
	}
out:
	p->busy = false;
	return rc;
}

int
privesc_analyze(struct blast_ctx *c, struct blast_principal *p)
{
	return analyze(c, p, 0);
}
