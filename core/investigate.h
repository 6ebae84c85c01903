/* SPDX-License-Identifier: Apache-2.0 */
/* investigate: run the playbook chosen for a threat, step by step, and
 * produce a report that shows its work. Same inputs, same report, byte for
 * byte. */
#ifndef VERDICT_INVESTIGATE_H
#define VERDICT_INVESTIGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/playbook.h"
#include "core/threat.h"

struct store;

/* ---- what the engine is given (values, never the KB repository) ---- */

struct intel_list {
	char *name;        /* e.g. "tor-exit", "mining-pools" */
	char **entries;    /* addresses, CIDR ranges, domains (lowercase) */
	size_t nentries;
};

struct allow_entry {
	char *id;          /* file name or entry id, for citing */
	char *reason;
	char *detection;   /* glob or NULL */
	char *account, *actor, *resource; /* exact or glob, NULL = any */
	char *cidr;        /* source address range or NULL */
	int64_t expires_ns; /* 0: never */
	char *analyst;     /* who proposed it, when known */
};

/* A prior analyst decision on a similar threat (filled by the knowledge
 * base; none until it has them). */
struct prior_decision {
	char *commit;      /* citing id */
	char *verdict;
	char *analyst;
	char *note;
};
typedef int (*prior_lookup_fn)(void *ctx, const struct threat *t,
			       struct prior_decision **out, size_t *n);

struct kb_data {
	char *version;     /* commit id, or "dir:<hash>" for a plain folder */
	struct playbook **playbooks;
	size_t nplaybooks;
	struct intel_list *intel;
	size_t nintel;
	struct allow_entry *allow;
	size_t nallow;
	prior_lookup_fn prior_lookup; /* may be NULL */
	void *prior_ctx;
};

/* ---- the report ---- */

struct step_result {
	char *id, *title, *kind;
	char *query;       /* as run, parameters filled in for display */
	char *rows_json;   /* JSON array of row objects (at most 20 kept) */
	size_t nrows;      /* rows found in all */
	char **cited;      /* event ids (or commit ids) cited */
	size_t ncited;
	char *finding;     /* sentence of the rule that fired, or NULL */
	int score;         /* how much this step moved the score */
	char *gap;         /* evidence missing for this step, or NULL */
};

struct key_finding {
	char *text;
	char **cited;
	size_t ncited;
	int score;
};

struct report {
	char *threat_id;
	char *playbook;    /* playbook id */
	char *kb_version;
	char *verdict;     /* malicious, suspicious, benign, inconclusive */
	bool real;         /* false for sample findings and test events */
	char *real_reason; /* why not real, or NULL */
	int score;
	int confidence;    /* 0-100 */
	char **raise;      /* evidence that would raise confidence */
	size_t nraise;
	char *summary;     /* plain sentences */
	struct key_finding *keys; /* at most five */
	size_t nkeys;
	char **next_steps;
	size_t nnext;
	char *blast_json;  /* blast radius object text, or NULL */
	struct step_result *steps;
	size_t nsteps;
};

/* Investigate the stored threat threat_id with kb. *out is the caller's
 * (report_free). The report is also stored with the threat. */
int investigate_threat(struct store *st, const struct kb_data *kb,
		       const char *threat_id, struct report **out);
void report_free(struct report *r);

/* Renderings; caller frees. JSON keys are in a fixed order. */
char *report_to_json(const struct report *r);
char *report_to_text(const struct report *r);
char *report_to_markdown(const struct report *r);

/* Intel matching: does value (an address or a host name) match entry (an
 * address, a CIDR range, or a domain, which also covers its subdomains)?
 * Names compare without regard to case. */
bool investigate_intel_match(const char *entry, const char *value);
/* Is cidr an "address/prefix" range (IPv4 or IPv6)? */
bool investigate_cidr_valid(const char *cidr);

/* The playbook kb would use for t (borrowed), or NULL. */
const struct playbook *investigate_choose(const struct kb_data *kb,
					  struct store *st,
					  const struct threat *t);

#endif
