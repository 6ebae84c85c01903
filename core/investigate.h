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

/* Text in the evidence that reads like instructions to an AI agent: shown
 * to the analyst, never scored. */
struct injection_flag {
	char *event;       /* event id */
	char *field;       /* path in the raw record, e.g. detail.description */
	char *pattern;     /* stable id, e.g. "verdict-directive" */
	char *excerpt;     /* cleaned, at most about 80 characters */
};
void injection_flags_free(struct injection_flag *f, size_t n);

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
	struct injection_flag *injection; /* instruction-like evidence text */
	size_t ninjection;
};

/* Investigate the stored threat threat_id with kb. *out is the caller's
 * (report_free). The report is also stored with the threat. */
int investigate_threat(struct store *st, const struct kb_data *kb,
		       const char *threat_id, struct report **out);
void report_free(struct report *r);

/* ---- an open investigation, for steps chosen at run time ----
 * The model agent (core/llm_agent.c) asks its questions through these, so
 * a model sees exactly what a playbook step would: same queries, same row
 * limits, same refusal of writes. */
struct investigation;

/* Load threat_id and its triggering events. *out is the caller's
 * (investigate_close). */
int investigate_open(struct store *st, const struct kb_data *kb,
		     const char *threat_id, struct investigation **out);
void investigate_close(struct investigation *inv);
/* The threat under investigation (borrowed). */
const struct threat *investigate_threat_of(const struct investigation *inv);
/* Run ps, a step with no rules, into *out (step_result_dispose). */
int investigate_adhoc_step(struct investigation *inv, const struct pb_step *ps,
			   struct step_result *out);
void step_result_dispose(struct step_result *s);
/* The blast radius of the threat's actor as JSON (caller frees); ERR_NOTFOUND
 * when the threat names no actor, another code when it cannot be computed. */
int investigate_blast_json(struct investigation *inv, char **out);
/* Append s to b with control characters shown as \xHH, as the reports do. */
struct buf;
void report_put_safe(struct buf *b, const char *s);
/* Append text as a Markdown code block in a fence no backtick run inside
 * can close, escaped as report_put_safe does (newlines kept). */
void report_put_fenced(struct buf *b, const char *lang, const char *text);

/* Renderings; caller frees. JSON keys are in a fixed order. */
struct cJSON;
struct cJSON *report_step_json(const struct step_result *s);
struct cJSON *report_injection_json(const struct injection_flag *f, size_t n);
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
