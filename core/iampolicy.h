/* SPDX-License-Identifier: Apache-2.0 */
/* iampolicy: the grammar of AWS IAM policy documents (statements, wildcard
 * patterns, conditions, trust policies) and what a principal's documents
 * allow once denies and a permissions boundary have had their say. */
#ifndef VERDICT_IAMPOLICY_H
#define VERDICT_IAMPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/strv.h"

struct iampolicy_stmt;

/* The statements of one or more documents; zero-initialised is empty.
 * Statements borrow from the documents and labels given to iampolicy_add,
 * which must outlive them. */
struct iampolicy {
	struct iampolicy_stmt *v;
	size_t n, cap;
};

/* Policy variables of the principal, borrowed: ${aws:username} and
 * ${aws:PrincipalAccount}; NULL widens the variable to '*'. */
struct iampolicy_vars {
	const char *username;
	const char *account;
};

/* What a principal may do: its identity policies, capped by a permissions
 * boundary when it has one (both must allow). Zero-initialised is empty. */
struct iampolicy_perms {
	struct iampolicy identity;
	struct iampolicy boundary;  /* counts only when has_boundary */
	bool has_boundary;
	struct iampolicy_vars vars;
};

/* How a trust policy treats a principal that asks to assume its role. */
enum iampolicy_trust {
	IAMPOLICY_TRUST_NO,      /* does not name it */
	IAMPOLICY_TRUST_ACCOUNT, /* names its account: its policies decide */
	IAMPOLICY_TRUST_NAMED,   /* names it (or "*", or a session of it) */
	IAMPOLICY_TRUST_DENIED,  /* an unconditional deny names it */
};

/* Does pattern ('*' any run, '?' one character) match the string s? */
bool iampolicy_match(const char *pattern, const char *s, bool nocase);

/* Does pattern match every string that the pattern sub matches? */
bool iampolicy_covers(const char *pattern, const char *sub, bool nocase);

/* Parse JSON text that the IAM API sent URL-encoded; a new object (caller
 * deletes) or NULL when it is not an object or memory ran out. */
cJSON *iampolicy_parse_encoded(const char *text);

/* Replace the URL-encoded documents of one get-account-authorization-details
 * entry by their parsed objects, in place; undecodable ones stay strings. */
void iampolicy_decode_documents(cJSON *entry);

/* The document of an AWS-managed policy that is admin-equivalent on its own
 * (static text, borrowed), for exports that leave those out; else NULL. */
const char *iampolicy_aws_managed(const char *arn);

/* Add the statements of doc (identity-policy grammar) under label, dropping
 * those whose date condition lapsed before created_ns (0: unknown). 0, or
 * ERR_NOMEM (also for a NULL label, a caller's failed allocation). */
int iampolicy_add(struct iampolicy *pol, const cJSON *doc, const char *label,
		  int64_t created_ns);

/* Free the statements (not the documents they borrow); pol is left empty. */
void iampolicy_dispose(struct iampolicy *pol);
void iampolicy_perms_dispose(struct iampolicy_perms *pp);

/* Is action allowed on res (NULL: on some resource a deny leaves), for a
 * role passed to service (NULL: any)? When true, *cond says only under a
 * condition and *via is the label of the granting policy (borrowed). */
bool iampolicy_allows(const struct iampolicy_perms *pp, const char *action,
		      const char *res, const char *service, bool *cond,
		      const char **via);

/* Does an unconditional deny of the identity policies match action on res? */
bool iampolicy_denies(const struct iampolicy_perms *pp, const char *action,
		      const char *res);

/* Admin-equivalent: every action on every resource, or all of IAM. */
bool iampolicy_admin(const struct iampolicy_perms *pp);

/* Append the effective allows to allowed, as action patterns ("PATTERN",
 * "PATTERN except A, B", "... (conditional)"), and the resource patterns
 * they reach to reach, unsorted and possibly repeated. 0 or ERR_NOMEM (the
 * lists may then hold part of it; the caller disposes of them). */
int iampolicy_effective(const struct iampolicy_perms *pp, struct strv *allowed,
			struct strv *reach);

/* Does one entry as iampolicy_effective words it allow action? */
bool iampolicy_entry_allows(const char *entry, const char *action);

/* How the trust policy doc treats the principal arn (kind "user", "role" or
 * "group"; name and account may be NULL) asking for sts:AssumeRole. */
enum iampolicy_trust iampolicy_trust(const cJSON *doc, const char *arn,
				     const char *kind, const char *name,
				     const char *account);

/* Does the trust policy doc let service (e.g. "ec2.amazonaws.com") assume
 * its role? */
bool iampolicy_trusts_service(const cJSON *doc, const char *service);

#endif
