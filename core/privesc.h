/* SPDX-License-Identifier: Apache-2.0 */
/* privesc: the privilege-escalation paths of a principal, from the
 * published methods as one table and a search for the targets each
 * reaches, directly or by assuming roles in turn. It walks blast's model of
 * the account's identity configuration, declared here because core/blast.c
 * (which loads the model and gathers each principal's policies) and
 * core/privesc.c are the two files that share it. */
#ifndef VERDICT_PRIVESC_H
#define VERDICT_PRIVESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/blast.h"
#include "core/iampolicy.h"
#include "core/strv.h"

/* ---- the model, owned by core/blast.c ---------------------------------- */

struct blast_principal;

/* One row of the identities table; doc parsed on first use. */
struct blast_ident {
	char *arn, *kind, *name, *account, *doc_text;
	cJSON *doc;
	struct blast_principal *an;
};

/* What the analysis learned about one user, role or group. */
struct blast_principal {
	struct blast_ident *id;
	bool busy, gathered, direct_done, chain_done;
	struct iampolicy_perms perms;
	struct strv policies;   /* labels */
	struct strv attached;   /* managed policy ARNs, its groups' included */
	struct strv groups;     /* group ARNs of a user */
	int64_t created_ns;
	bool admin;
	struct blast_path *paths;
	size_t npaths, ndirect; /* ndirect: paths not through another role */
	struct strv assumable;  /* role ARNs it can reach, transitively */
};

/* One account's identity configuration, loaded for one computation. */
struct blast_ctx {
	struct blast_ident *ids; /* sorted by arn */
	size_t nids, capids;
	cJSON **trees;           /* documents decoded from strings */
	size_t ntrees, captrees;
	struct strv pool;        /* policy labels the statements borrow */
};

/* The analysis record of id, made on first use (borrowed; NULL when out of
 * memory). */
struct blast_principal *blast_principal_of(struct blast_ident *id);

/* Collect p's policies, its groups' and its boundary, once; 0 or ERR_NOMEM. */
int blast_gather(struct blast_ctx *c, struct blast_principal *p);

/* Can p assume the role r, by r's trust policy and p's own policies? */
bool blast_trust_admits(struct blast_ctx *c, const struct blast_principal *p,
			struct blast_ident *r);

/* Does the role r's trust policy let service assume it? */
bool blast_trusts_service(struct blast_ctx *c, struct blast_ident *r,
			  const char *service);

bool blast_has_instance_profile(struct blast_ident *r);

/* How many stored versions the managed policy arn has in the export. */
int blast_policy_versions(struct blast_ctx *c, const char *arn);

/* ---- the search -------------------------------------------------------- */

/* Work out p's escalation paths (p->paths, p->npaths), the roles it can
 * assume (p->assumable) and, on the way, those of every principal it could
 * reach. 0 or ERR_NOMEM. */
int privesc_analyze(struct blast_ctx *c, struct blast_principal *p);

#endif
