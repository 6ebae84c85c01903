/* SPDX-License-Identifier: Apache-2.0 */
/* test_blast: blast radius of named principals of the iam-vulnerable
 * account export (tests/data/iam-authz-cloudsplaining-iam-vulnerable):
 * admins, escalation paths, the fp* decoys that must have none, a service
 * role, session ARNs, unknown actors and what an actor touched; and the
 * iampolicy_ grammar on its own, with documents of that export. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blast.h"
#include "core/error.h"
#include "core/iampolicy.h"
#include "core/ingest.h"
#include "core/store.h"
#include "tests/unit/tap.h"

#define ACCT "arn:aws:iam::200611803367:"
#define NS 1000000000LL

static struct blast *
compute(struct store *st, const char *actor)
{
	struct blast *b = NULL;
	int rc = blast_compute(st, actor, 0, 0, &b);

	if (rc < 0)
		fprintf(stderr, "blast_compute %s: %s\n", actor, err_msg());
	CHECK_INT(rc, 0);
	return b;
}

/* v[i], or NULL past the end, so that a short result fails a check
 * instead of crashing the test. */
#define AT(v, n, i) ((size_t)(i) < (n) ? (v)[i] : NULL)

static const struct blast_path *
path_at(const struct blast *b, size_t i)
{
	static const struct blast_path none = { "(none)", "(none)", "(none)" };

	return i < b->npaths ? &b->paths[i] : &none;
}

static bool
has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static bool
has_path(const struct blast *b, const char *name)
{
	for (size_t i = 0; i < b->npaths; i++)
		if (strcmp(b->paths[i].name, name) == 0)
			return true;
	return false;
}

static void
put_event(struct store *st, const char *id, const char *actor,
	  const char *resource, int64_t t)
{
	struct event ev;

	event_init(&ev);
	event_set(&ev, EF_ID, id);
	event_set(&ev, EF_SOURCE, "cloudtrail");
	event_set(&ev, EF_ACTION, "GetObject");
	event_set(&ev, EF_ACTOR, actor);
	event_set(&ev, EF_RESOURCE, resource);
	ev.has_time = true;
	ev.time_ns = t;
	ev.raw = "{}";
	ev.raw_len = 2;
	CHECK_INT(store_put_event(st, &ev, NULL), 0);
	event_dispose(&ev);
}

/* Admin-equivalent through a group's iam:* on *, not through "*". */
static void
test_admin_user(struct store *st)
{
	struct blast *b = compute(st, ACCT "user/privesc-sre-user");

	if (!b)
		return;
	CHECK_STR(b->principal, ACCT "user/privesc-sre-user");
	CHECK_STR(b->kind, "user");
	CHECK(b->known);
	CHECK(b->admin);
	CHECK_INT(b->npolicies, 1);
	CHECK_STR(AT(b->policies, b->npolicies, 0),
		  "privesc-sre-admin-policy (group privesc-sre-group)");
	CHECK_INT(b->nallowed, 3);
	CHECK_STR(AT(b->allowed, b->nallowed, 0), "ec2:*");
	CHECK_STR(AT(b->allowed, b->nallowed, 1), "iam:*");
	CHECK_STR(AT(b->allowed, b->nallowed, 2), "s3:*");
	CHECK_INT(b->nreach, 1);
	CHECK_STR(AT(b->reach, b->nreach, 0), "*");
	CHECK_INT(b->npaths, 0);
	CHECK_INT(b->nassumable, 1);
	CHECK_STR(AT(b->assumable, b->nassumable, 0), ACCT "role/privesc-sre-role");
	CHECK(blast_allows(b, "iam:CreateAccessKey"));
	CHECK(blast_allows(b, "S3:GetObject"));
	CHECK(!blast_allows(b, "lambda:InvokeFunction"));
	blast_free(b);

	b = compute(st, ACCT "role/privesc-high-priv-service-role");
	if (b) {
		CHECK(b->admin);
		CHECK(blast_allows(b, "lambda:InvokeFunction"));
		CHECK_INT(b->npaths, 0);
	}
	blast_free(b);
}

static void
test_paths(struct store *st)
{
	struct blast *b = compute(st, ACCT "user/privesc1-CreateNewPolicyVersion-user");

	if (b) {
		CHECK(!b->admin);
		CHECK_INT(b->npaths, 1);
		CHECK_STR(path_at(b, 0)->name, "iam:CreatePolicyVersion");
		CHECK_STR(path_at(b, 0)->description,
			  "Can write a new default version of "
			  "privesc1-CreateNewPolicyVersion, a policy attached to it, "
			  "granting itself any permission.");
		CHECK_STR(path_at(b, 0)->via, "privesc1-CreateNewPolicyVersion");
	}
	blast_free(b);

	b = compute(st, ACCT "role/privesc3-CreateEC2WithExistingInstanceProfile-role");
	if (b) {
		CHECK_INT(b->npaths, 1);
		CHECK_STR(path_at(b, 0)->name, "iam:PassRole + ec2:RunInstances");
		CHECK_STR(path_at(b, 0)->description,
			  "Can start an EC2 instance with the role "
			  "privesc-high-priv-service-role (admin-equivalent) and use "
			  "its credentials.");
	}
	blast_free(b);

	/* A bare user name resolves to the user. */
	b = compute(st, "privesc4-CreateAccessKey-user");
	if (b) {
		CHECK_STR(b->principal, ACCT "user/privesc4-CreateAccessKey-user");
		CHECK_INT(b->npaths, 1);
		CHECK_STR(path_at(b, 0)->description,
			  "Can create an access key for the user privesc-sre-user "
			  "(admin-equivalent) or 30 others and act as it.");
	}
	blast_free(b);

	/* Resource scope that matches its own policy: exploitable. */
	b = compute(st, ACCT "user/fn2-exploitableResourceConstraint-user");
	if (b) {
		CHECK_INT(b->npaths, 1);
		CHECK_STR(path_at(b, 0)->name, "iam:CreatePolicyVersion");
		CHECK_INT(b->nreach, 1);
		CHECK_STR(AT(b->reach, b->nreach, 0), "arn:aws:iam::*:policy/fn2-*");
	}
	blast_free(b);

	/* A condition that may hold is kept, and said. */
	b = compute(st, ACCT "role/fn3-exploitableConditionConstraint-role");
	if (b) {
		CHECK_INT(b->npaths, 1);
		CHECK_STR(path_at(b, 0)->description,
			  "Can write a new default version of "
			  "fn3-exploitableConditionConstraint, a policy attached to "
			  "it, granting itself any permission, when a policy "
			  "condition holds.");
		CHECK_INT(b->nallowed, 1);
		CHECK_STR(AT(b->allowed, b->nallowed, 0),
			  "iam:CreatePolicyVersion (conditional)");
		CHECK(blast_allows(b, "iam:CreatePolicyVersion"));
	}
	blast_free(b);

	/* NotAction: everything but three IAM verb families. */
	b = compute(st, ACCT "user/fn4-exploitableNotAction-user");
	if (b) {
		CHECK(!b->admin);
		CHECK_INT(b->nallowed, 1);
		CHECK_STR(AT(b->allowed, b->nallowed, 0),
			  "* except iam:Update*, iam:Create*, iam:Attach*");
		CHECK(blast_allows(b, "iam:PutUserPolicy"));
		CHECK(!blast_allows(b, "iam:CreateAccessKey"));
		CHECK(!blast_allows(b, "iam:AttachUserPolicy"));
		CHECK(has_path(b, "iam:PutUserPolicy"));
		CHECK(has_path(b, "iam:AddUserToGroup"));
		CHECK(!has_path(b, "iam:CreateAccessKey"));
		CHECK(!has_path(b, "iam:AttachUserPolicy"));
	}
	blast_free(b);
}

/* The fp* principals look risky and are not: allow and deny, deny-all,
 * deny iam:*, a scope naming only AWS-managed policies, a date condition
 * that lapsed before the policy was written. */
static void
test_decoys(struct store *st)
{
	static const char *const decoys[] = {
		"fp1-allow-and-deny", "fp2-allow-and-deny-multiple-policies",
		"fp3-deny-iam", "fp4-nonExploitableResourceConstraint",
		"fp5-nonExploitableConditionConstraint",
	};
	static const char *const kinds[] = { "user", "role" };
	char arn[160];
	struct blast *b;

	for (size_t i = 0; i < sizeof(decoys) / sizeof(decoys[0]); i++)
		for (size_t k = 0; k < 2; k++) {
			snprintf(arn, sizeof(arn), ACCT "%s/%s-%s", kinds[k],
				 decoys[i], kinds[k]);
			if (!(b = compute(st, arn)))
				continue;
			if (!b->known || b->admin || b->npaths)
				fprintf(stderr, "decoy flagged: %s\n", arn);
			CHECK(b->known);
			CHECK(!b->admin);
			CHECK_INT(b->npaths, 0);
			blast_free(b);
		}

	b = compute(st, ACCT "user/fp1-allow-and-deny-user");
	if (b) {
		CHECK_INT(b->nallowed, 0);
		CHECK(!blast_allows(b, "iam:CreatePolicyVersion"));
	}
	blast_free(b);
	b = compute(st, ACCT "role/fp4-nonExploitableResourceConstraint-role");
	if (b) {
		CHECK_INT(b->nallowed, 1);
		CHECK_STR(AT(b->allowed, b->nallowed, 0), "iam:CreatePolicyVersion");
		CHECK_INT(b->nreach, 1);
		CHECK_STR(AT(b->reach, b->nreach, 0), "arn:aws:iam::aws:policy/fp4-*");
	}
	blast_free(b);
	b = compute(st, ACCT "user/fp5-nonExploitableConditionConstraint-user");
	if (b)
		CHECK_INT(b->nallowed, 0);
	blast_free(b);
}

/* A service-linked role, named without its path. */
static void
test_service_role(struct store *st)
{
	struct blast *b = compute(st, ACCT "role/AWSServiceRoleForConfig");

	if (!b)
		return;
	CHECK_STR(b->principal, ACCT "role/aws-service-role/config.amazonaws.com/"
		  "AWSServiceRoleForConfig");
	CHECK_STR(b->kind, "role");
	CHECK(b->known);
	CHECK(!b->admin);
	CHECK_INT(b->npaths, 0);
	CHECK_INT(b->npolicies, 1);
	CHECK_STR(AT(b->policies, b->npolicies, 0), "AWSConfigServiceRolePolicy");
	CHECK(blast_allows(b, "access-analyzer:GetAnalyzer"));
	CHECK(!blast_allows(b, "iam:PassRole"));
	CHECK_INT(b->nassumable, 0);
	blast_free(b);
}

static void
test_sessions_and_chains(struct store *st)
{
	struct blast *b = compute(st, "arn:aws:sts::200611803367:assumed-role/"
				  "AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc/"
				  "elad@codsec.io");

	if (b) {
		CHECK_STR(b->principal, ACCT "role/aws-reserved/sso.amazonaws.com/"
			  "AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc");
		CHECK_STR(b->kind, "role");
		CHECK(b->admin);
		CHECK_INT(b->npolicies, 1);
		CHECK_STR(AT(b->policies, b->npolicies, 0), "AdministratorAccess");
		/* Every lab role trusts this SSO session by its session ARN. */
		CHECK_INT(b->nassumable, 43);
		CHECK(has(b->assumable, b->nassumable,
			  ACCT "role/privesc1-CreateNewPolicyVersion-role"));
	}
	blast_free(b);

	b = compute(st, "arn:aws:sts::200611803367:assumed-role/"
		    "privesc-AssumeRole-starting-role/attacker");
	if (b) {
		CHECK_STR(b->principal, ACCT "role/privesc-AssumeRole-starting-role");
		CHECK(!b->admin);
		CHECK_INT(b->npolicies, 0);
		CHECK_INT(b->npaths, 1);
		CHECK_STR(path_at(b, 0)->name, "sts:AssumeRole chain");
		CHECK_STR(path_at(b, 0)->via, "privesc-AssumeRole-starting-role -> "
			  "privesc-AssumeRole-intermediate-role -> "
			  "privesc-AssumeRole-ending-role");
		CHECK_STR(path_at(b, 0)->description,
			  "Can assume, through a chain of roles, the role "
			  "privesc-AssumeRole-ending-role, which is admin-equivalent.");
		/* The ending role may assume the role trusting the whole account. */
		CHECK_INT(b->nassumable, 3);
		CHECK_STR(AT(b->assumable, b->nassumable, 0),
			  ACCT "role/privesc-AssumeRole-ending-role");
		CHECK_STR(AT(b->assumable, b->nassumable, 1),
			  ACCT "role/privesc-AssumeRole-intermediate-role");
		CHECK_STR(AT(b->assumable, b->nassumable, 2),
			  ACCT "role/privesc-permissive-role-trust");
	}
	blast_free(b);
}

static void
test_unknown(struct store *st)
{
	struct blast *b = compute(st, ACCT "user/nobody-here");

	if (b) {
		CHECK(!b->known);
		CHECK_STR(b->kind, NULL);
		CHECK_STR(b->principal, ACCT "user/nobody-here");
		CHECK(!b->admin);
		CHECK_INT(b->npaths + b->nallowed + b->npolicies, 0);
	}
	blast_free(b);

	b = compute(st, "arn:aws:sts::200611803367:assumed-role/Gone/s1");
	if (b) {
		CHECK(!b->known);
		CHECK_STR(b->principal, ACCT "role/Gone");
	}
	blast_free(b);

	b = compute(st, "system:serviceaccount:kube-system:default");
	if (b)
		CHECK(!b->known);
	blast_free(b);

	/* The root user is in no configuration and can do anything. */
	b = compute(st, ACCT "root");
	if (b) {
		CHECK(!b->known);
		CHECK(b->admin);
		CHECK_STR(b->kind, "root");
		CHECK(blast_allows(b, "iam:CreateUser"));
	}
	blast_free(b);
}

/* What a role's sessions touched inside the window. */
static void
test_touched(struct store *st)
{
	const char *sess = "arn:aws:sts::200611803367:assumed-role/"
			   "privesc-AssumeRole-starting-role/attacker";
	struct blast *b = NULL;

	CHECK_INT(store_begin(st), 0);
	put_event(st, "t1", sess, "arn:aws:s3:::loot/a", 100 * NS);
	put_event(st, "t2", sess, "arn:aws:s3:::loot/b", 200 * NS);
	put_event(st, "t3", sess, "arn:aws:s3:::loot/a", 300 * NS);
	put_event(st, "t4", sess, "arn:aws:s3:::late", 900 * NS);
	put_event(st, "t5", "arn:aws:sts::200611803367:assumed-role/"
		  "privesc-AssumeRole-starting-role-2/x", "arn:aws:s3:::other",
		  150 * NS);
	put_event(st, "t6", ACCT "role/privesc-AssumeRole-starting-role",
		  "arn:aws:s3:::by-role", 120 * NS);
	CHECK_INT(store_commit(st), 0);

	CHECK_INT(blast_compute(st, sess, 0, 500 * NS, &b), 0);
	if (b) {
		CHECK_INT(b->ntouched, 3);
		CHECK_STR(AT(b->touched, b->ntouched, 0), "arn:aws:s3:::by-role");
		CHECK_STR(AT(b->touched, b->ntouched, 1), "arn:aws:s3:::loot/a");
		CHECK_STR(AT(b->touched, b->ntouched, 2), "arn:aws:s3:::loot/b");
	}
	blast_free(b);
	b = NULL;
	CHECK_INT(blast_compute(st, sess, 0, 0, &b), 0);
	if (b)
		CHECK_INT(b->ntouched, 4);
	blast_free(b);
}

/* Same store, same actor: the same bytes. */
static void
test_json(struct store *st)
{
	struct blast *b1 = compute(st, ACCT "user/"
				   "fp4-nonExploitableResourceConstraint-user");
	struct blast *b2 = compute(st, ACCT "user/fn4-exploitableNotAction-user");
	struct blast *b3 = compute(st, ACCT "user/fn4-exploitableNotAction-user");
	char *j1 = blast_to_json(b1), *j2 = blast_to_json(b2), *j3 = blast_to_json(b3);

	CHECK_STR(j1, "{\"principal\":\"arn:aws:iam::200611803367:user/"
		  "fp4-nonExploitableResourceConstraint-user\",\"kind\":\"user\","
		  "\"known\":true,\"admin\":false,\"policies\":"
		  "[\"fp4-nonExploitableResourceConstraint\"],\"allowed\":"
		  "[\"iam:CreatePolicyVersion\"],\"reach\":"
		  "[\"arn:aws:iam::aws:policy/fp4-*\"],\"paths\":[],"
		  "\"assumable\":[],\"touched\":[]}");
	CHECK(j2 && j3 && strcmp(j2, j3) == 0);
	free(j1);
	free(j2);
	free(j3);
	blast_free(b1);
	blast_free(b2);
	blast_free(b3);
}

/* Documents as URL-encoded strings, policy variables, partial denies and a
 * permissions boundary, on an account of our own. */
static void
test_encoded_and_boundary(struct store *st)
{
	struct identity_item user = {
		.kind = "user", .arn = "arn:aws:iam::111122223333:user/dev",
		.name = "dev", .account = "111122223333",
		.doc = "{\"UserName\":\"dev\",\"CreateDate\":\"2024-01-01T00:00:00Z\","
		       "\"UserPolicyList\":[{\"PolicyName\":\"self\",\"PolicyDocument\":"
		       "\"%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C"
		       "%22Action%22%3A%22iam%3A%2A%22%2C%22Resource%22%3A%22arn%3Aaws"
		       "%3Aiam%3A%3A111122223333%3Auser%2F%24%7Baws%3Ausername%7D%22%7D"
		       "%2C%7B%22Effect%22%3A%22Deny%22%2C%22Action%22%3A%22iam%3ADelete"
		       "%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D\"}]}",
	};
	struct identity_item capped = {
		.kind = "user", .arn = "arn:aws:iam::111122223333:user/capped",
		.name = "capped", .account = "111122223333",
		.doc = "{\"UserName\":\"capped\",\"UserPolicyList\":[{\"PolicyName\":"
		       "\"all\",\"PolicyDocument\":{\"Statement\":{\"Effect\":\"Allow\","
		       "\"Action\":\"*\",\"Resource\":\"*\"}}}],\"PermissionsBoundary\":"
		       "{\"PermissionsBoundaryArn\":\"arn:aws:iam::111122223333:policy/"
		       "readonly\"}}",
	};
	struct identity_item boundary = {
		.kind = "policy", .arn = "arn:aws:iam::111122223333:policy/readonly",
		.name = "readonly", .account = "111122223333",
		.doc = "{\"PolicyName\":\"readonly\",\"PolicyVersionList\":[{"
		       "\"IsDefaultVersion\":true,\"Document\":{\"Statement\":{"
		       "\"Effect\":\"Allow\",\"Action\":[\"s3:Get*\",\"iam:Get*\"],"
		       "\"Resource\":\"*\"}}}]}",
	};
	struct blast *b;

	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_put_identity(st, &user), 0);
	CHECK_INT(store_put_identity(st, &capped), 0);
	CHECK_INT(store_put_identity(st, &boundary), 0);
	CHECK_INT(store_commit(st), 0);

	b = compute(st, "arn:aws:iam::111122223333:user/dev");
	if (b) {
		CHECK(!b->admin);
		CHECK_INT(b->nallowed, 1);
		CHECK_STR(AT(b->allowed, b->nallowed, 0), "iam:* except iam:Delete*");
		CHECK(blast_allows(b, "iam:PutUserPolicy"));
		CHECK(!blast_allows(b, "iam:DeleteUser"));
		CHECK_STR(AT(b->policies, b->npolicies, 0), "self (inline)");
		/* ${aws:username} makes the grant land on itself. */
		CHECK(has_path(b, "iam:PutUserPolicy"));
		CHECK(has_path(b, "iam:AttachUserPolicy"));
	}
	blast_free(b);

	/* Allow * capped by a read-only boundary reads as the boundary. */
	b = compute(st, "arn:aws:iam::111122223333:user/capped");
	if (b) {
		CHECK(!b->admin);
		CHECK_INT(b->npaths, 0);
		CHECK_INT(b->nallowed, 2);
		CHECK_STR(AT(b->allowed, b->nallowed, 0), "iam:Get*");
		CHECK_STR(AT(b->allowed, b->nallowed, 1), "s3:Get*");
		CHECK(!blast_allows(b, "iam:CreateUser"));
		CHECK_INT(b->npolicies, 2);
		CHECK_STR(AT(b->policies, b->npolicies, 0), "all (inline)");
		CHECK_STR(AT(b->policies, b->npolicies, 1),
			  "readonly (permissions boundary)");
	}
	blast_free(b);
}

/* Wrong types everywhere: nothing crashes, nothing is granted. */
static void
test_hostile(struct store *st)
{
	struct identity_item odd = {
		.kind = "role", .arn = "arn:aws:iam::444455556666:role/odd",
		.name = "odd", .account = "444455556666",
		.doc = "{\"RoleName\":\"odd\",\"RolePolicyList\":[7,{\"PolicyName\":"
		       "[1],\"PolicyDocument\":\"%7B%22Statement%22%3A%22x%22%7D\"},"
		       "{\"PolicyDocument\":{\"Statement\":[1,\"s\",{\"Effect\":"
		       "\"Allow\",\"Action\":5,\"Resource\":{}},{\"Effect\":\"Allow\","
		       "\"NotAction\":[null,3,\"iam:*\"]}]}}],\"AttachedManagedPolicies\":"
		       "{\"PolicyArn\":1},\"GroupList\":[{}],\"AssumeRolePolicyDocument\":"
		       "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"sts:*\","
		       "\"Principal\":{\"AWS\":[[\"*\"],2]}}},\"PermissionsBoundary\":"
		       "{\"PermissionsBoundaryArn\":\"arn:aws:iam::444455556666:policy/x\"}}",
	};
	static const char *const actors[] = {
		"", "arn:", "arn:aws:sts::", "arn:aws:sts::1:assumed-role/",
		"arn:aws:iam::444455556666:role/", "arn:aws:iam::444455556666:",
		"arn:aws:iam::444455556666:role/odd",
	};
	struct blast *b;

	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_put_identity(st, &odd), 0);
	CHECK_INT(store_commit(st), 0);
	for (size_t i = 0; i < sizeof(actors) / sizeof(actors[0]); i++) {
		b = compute(st, actors[i]);
		if (b) {
			CHECK(!b->admin);
			CHECK_INT(b->npaths, 0);
		}
		blast_free(b);
	}
	b = compute(st, "arn:aws:iam::444455556666:role/odd");
	if (b) {
		CHECK(b->known);
		/* Only the one well-formed exclusion counts, and the boundary,
		 * absent from the store, is read as no cap. */
		CHECK_INT(b->nallowed, 1);
		CHECK_STR(AT(b->allowed, b->nallowed, 0), "* except iam:*");
		CHECK_INT(b->npolicies, 1);
		CHECK_STR(AT(b->policies, b->npolicies, 0), "unnamed (inline)");
	}
	blast_free(b);
	CHECK(!blast_allows(NULL, "iam:PassRole"));
}

/* The default documents of fn4-exploitableNotAction and fp1-allow-and-deny
 * in the iam-vulnerable export, as the export gives them. */
#define DOC_FN4 "{\"Statement\": [{\"Effect\": \"Allow\", \"NotAction\": " \
	"[\"iam:Update*\", \"iam:Create*\", \"iam:Attach*\"], \"Resource\": " \
	"\"*\"}], \"Version\": \"2012-10-17\"}"
#define DOC_FP1 "{\"Statement\": [{\"Action\": \"iam:*\", \"Effect\": " \
	"\"Allow\", \"Resource\": \"*\"}, {\"Action\": \"iam:*\", \"Effect\": " \
	"\"Deny\", \"Resource\": \"*\"}], \"Version\": \"2012-10-17\"}"

/* perms from one identity document and an optional boundary; the parsed
 * trees go to trees[0..1] for the caller to delete. */
static void
perms_of(struct iampolicy_perms *pp, const char *doc, const char *bound,
	 cJSON **trees)
{
	memset(pp, 0, sizeof(*pp));
	trees[0] = cJSON_Parse(doc);
	trees[1] = bound ? cJSON_Parse(bound) : NULL;
	CHECK(trees[0] != NULL);
	CHECK_INT(iampolicy_add(&pp->identity, trees[0], "doc", 0), 0);
	if (trees[1]) {
		pp->has_boundary = true;
		CHECK_INT(iampolicy_add(&pp->boundary, trees[1], "bound", 0), 0);
	}
}

static void
perms_dispose(struct iampolicy_perms *pp, cJSON **trees)
{
	iampolicy_perms_dispose(pp);
	cJSON_Delete(trees[0]);
	cJSON_Delete(trees[1]);
}

/* The effective allows of pp, sorted and joined by "; ". */
static char *
effective_of(const struct iampolicy_perms *pp)
{
	struct strv allowed = { 0 }, reach = { 0 };
	char *text;

	CHECK_INT(iampolicy_effective(pp, &allowed, &reach), 0);
	strv_sort_unique(&allowed);
	text = strv_join(&allowed, "; ");
	strv_dispose(&allowed);
	strv_dispose(&reach);
	return text;
}

static void
test_iampolicy(void)
{
	struct iampolicy_perms pp;
	cJSON *trees[2];
	const char *via = NULL;
	bool cond = true;
	char *text;

	/* Wildcards: '*' a run, '?' one character, actions case-blind. */
	CHECK(iampolicy_match("iam:Create*", "iam:CreateAccessKey", true));
	CHECK(iampolicy_match("iam:create*", "IAM:CreateAccessKey", true));
	CHECK(!iampolicy_match("iam:create*", "iam:CreateAccessKey", false));
	CHECK(iampolicy_match("s3:Get?bject", "s3:GetObject", true));
	CHECK(!iampolicy_match("s3:Get?bject", "s3:GetObjectAcl", true));
	CHECK(iampolicy_match("*", "", true));
	CHECK(iampolicy_covers("iam:*", "iam:Create*", true));
	CHECK(!iampolicy_covers("iam:Create*", "iam:*", true));
	CHECK(!iampolicy_covers("iam:?", "iam:*", true));

	/* NotAction grants everything but what it lists. */
	perms_of(&pp, DOC_FN4, NULL, trees);
	CHECK(iampolicy_allows(&pp, "iam:PassRole", NULL, NULL, &cond, &via));
	CHECK(!cond);
	CHECK_STR(via, "doc");
	CHECK(iampolicy_allows(&pp, "ec2:RunInstances", "arn:aws:ec2:x", NULL,
			       &cond, &via));
	CHECK(!iampolicy_allows(&pp, "iam:CreateAccessKey", NULL, NULL, &cond,
				&via));
	CHECK(!iampolicy_allows(&pp, "IAM:attachUserPolicy", NULL, NULL, &cond,
				&via));
	CHECK(!iampolicy_admin(&pp));
	text = effective_of(&pp);
	CHECK_STR(text, "* except iam:Update*, iam:Create*, iam:Attach*");
	CHECK(iampolicy_entry_allows(text, "iam:PassRole"));
	CHECK(!iampolicy_entry_allows(text, "iam:CreateUser"));
	free(text);
	perms_dispose(&pp, trees);

	/* A deny of the same pattern takes the whole allow away... */
	perms_of(&pp, DOC_FP1, NULL, trees);
	CHECK(!iampolicy_allows(&pp, "iam:CreateUser", NULL, NULL, &cond, &via));
	CHECK(!iampolicy_allows(&pp, "iam:CreateUser", "*", NULL, &cond, &via));
	CHECK(iampolicy_denies(&pp, "iam:PassRole", "arn:aws:iam::1:role/r"));
	CHECK(!iampolicy_admin(&pp));
	text = effective_of(&pp);
	CHECK_STR(text, "");
	free(text);
	perms_dispose(&pp, trees);

	/* ...a narrower one carves into it, and a boundary caps it. */
	perms_of(&pp, "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
		 "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":"
		 "\"iam:Delete*\",\"Resource\":\"*\"}]}", NULL, trees);
	CHECK(iampolicy_allows(&pp, "iam:PutUserPolicy", "*", NULL, &cond, &via));
	CHECK(!iampolicy_allows(&pp, "iam:DeleteUser", "*", NULL, &cond, &via));
	CHECK(!iampolicy_denies(&pp, "iam:PutUserPolicy", "*"));
	CHECK(!iampolicy_admin(&pp));
	text = effective_of(&pp);
	CHECK_STR(text, "* except iam:Delete*");
	free(text);
	perms_dispose(&pp, trees);
	perms_of(&pp, "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
		 "\"Resource\":\"*\"}}", "{\"Statement\":{\"Effect\":\"Allow\","
		 "\"Action\":\"s3:Get*\",\"Resource\":\"*\"}}", trees);
	CHECK(iampolicy_allows(&pp, "s3:GetObject", NULL, NULL, &cond, &via));
	CHECK(!iampolicy_allows(&pp, "iam:CreateUser", NULL, NULL, &cond, &via));
	CHECK(!iampolicy_admin(&pp));
	text = effective_of(&pp);
	CHECK_STR(text, "s3:Get*");
	free(text);
	perms_dispose(&pp, trees);

	/* A trust policy naming the account leaves it to the asker's policies;
	 * an unconditional deny naming it wins. */
	trees[0] = cJSON_Parse("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
			       "\"sts:AssumeRole\",\"Principal\":{\"AWS\":"
			       "\"arn:aws:iam::200611803367:root\"}}]}");
	CHECK_INT(iampolicy_trust(trees[0], ACCT "user/a", "user", "a",
				  "200611803367"), IAMPOLICY_TRUST_ACCOUNT);
	CHECK_INT(iampolicy_trust(trees[0], "arn:aws:iam::1:user/a", "user", "a",
				  "1"), IAMPOLICY_TRUST_NO);
	CHECK(!iampolicy_trusts_service(trees[0], "ec2.amazonaws.com"));
	cJSON_Delete(trees[0]);
	trees[0] = cJSON_Parse("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
			       "\"sts:AssumeRole\",\"Principal\":\"*\"},{\"Effect\":"
			       "\"Deny\",\"Action\":\"sts:*\",\"Principal\":{\"AWS\":"
			       "\"" ACCT "user/a\"}}]}");
	CHECK_INT(iampolicy_trust(trees[0], ACCT "user/a", "user", "a",
				  "200611803367"), IAMPOLICY_TRUST_DENIED);
	CHECK_INT(iampolicy_trust(trees[0], ACCT "user/b", "user", "b",
				  "200611803367"), IAMPOLICY_TRUST_NAMED);
	cJSON_Delete(trees[0]);

	/* URL-encoded documents as the IAM API sends them. */
	trees[0] = iampolicy_parse_encoded("%7B%22Statement%22%3A%5B%5D%7D");
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(trees[0], "Statement")));
	cJSON_Delete(trees[0]);
	CHECK(iampolicy_parse_encoded("%5B1%5D") == NULL);
	CHECK(iampolicy_aws_managed("arn:aws:iam::aws:policy/IAMFullAccess"));
	CHECK(!iampolicy_aws_managed("arn:aws:iam::aws:policy/ReadOnlyAccess"));
}

int
main(void)
{
	const char *top = getenv("top_srcdir");
	char dir[] = "/tmp/verdict-test-blast-XXXXXX";
	char db[256], path[512];
	struct store *st = NULL;
	struct ingest *in = NULL;

	snprintf(path, sizeof(path), "%s/tests/data/"
		 "iam-authz-cloudsplaining-iam-vulnerable/example.json",
		 top ? top : ".");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(db, sizeof(db), "%s/blast.db", dir);
	CHECK_INT(store_open(db, 0, &st), 0);
	if (!st)
		return tap_done();
	CHECK_INT(ingest_new(st, NULL, &in), 0);
	if (in) {
		CHECK_INT(ingest_path(in, path), 0);
		CHECK_INT(ingest_finish(in), 0);
		CHECK_INT(ingest_stats(in)->nsrc, 1);
		CHECK_INT(ingest_stats(in)->src[0].identities, 175);
		ingest_free(in);
	}

	test_iampolicy();
	test_admin_user(st);
	test_paths(st);
	test_decoys(st);
	test_service_role(st);
	test_sessions_and_chains(st);
	test_unknown(st);
	test_touched(st);
	test_json(st);
	test_encoded_and_boundary(st);
	test_hostile(st);

	store_close(st);
	unlink(db);
	snprintf(path, sizeof(path), "%s/blast.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/blast.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
