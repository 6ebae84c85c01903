/* SPDX-License-Identifier: Apache-2.0 */
/* blast: blast radius of a principal from the account's identity
 * configuration (get-account-authorization-details in the store) and from
 * what it actually did in the events. */
#ifndef VERDICT_BLAST_H
#define VERDICT_BLAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct blast_path {
	char *name;        /* e.g. "iam:PassRole + ec2:RunInstances" */
	char *description; /* one sentence */
	char *via;         /* policy (and role chain) that grants it */
};

struct blast {
	char *principal;   /* the IAM ARN resolved from the actor (an assumed
			    * role session maps to its role) */
	char *kind;        /* user, role, group, or NULL when unknown */
	bool known;        /* found in the identity configuration */
	bool admin;        /* admin-equivalent (Action * on Resource *, or an
			    * equivalent managed policy) */
	char **policies;   /* attached, inline and group policies by name */
	size_t npolicies;
	char **allowed;    /* effective Allow actions (patterns), sorted */
	size_t nallowed;
	char **reach;      /* resources the allows reach (patterns), sorted */
	size_t nreach;
	struct blast_path *paths; /* privilege-escalation paths */
	size_t npaths;
	char **assumable;  /* roles it can assume through trust policies */
	size_t nassumable;
	char **touched;    /* resources it acted on in the window, sorted */
	size_t ntouched;
};

/* Compute the blast radius of actor (an ARN or name as in events) with the
 * window [start_ns, end_ns) for what it touched. A principal missing from
 * the identity configuration gives known = false, not an error. */
int blast_compute(struct store *st, const char *actor, int64_t start_ns,
		  int64_t end_ns, struct blast **out);
void blast_free(struct blast *b);

/* Deterministic JSON object text (caller frees). */
char *blast_to_json(const struct blast *b);

/* Does the principal's effective policy allow action (e.g.
 * "iam:PassRole")? */
bool blast_allows(const struct blast *b, const char *action);

#endif
