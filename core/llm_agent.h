/* SPDX-License-Identifier: Apache-2.0 */
/* llm_agent: a model investigates a threat with the analyst's read-only
 * tools. Every tool call is a step shaped like a playbook step; the answer
 * is checked against the store; the playbook's verdict stays the threat's
 * verdict and the model's sits beside it. */
#ifndef VERDICT_LLM_AGENT_H
#define VERDICT_LLM_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/investigate.h"
#include "core/llm.h"

struct store;

/* A tool call as a step: the playbook step's fields plus what it cost. */
struct llm_step {
	struct step_result base;
	long tokens_in, tokens_out; /* of the reply that made the call */
	double latency_ms;          /* the model's reply */
	double tool_ms;             /* running the tool */
};

/* A claim of the model's answer, after checking. */
struct llm_claim {
	char *text;
	char **cited;         /* event ids the model cites */
	size_t ncited;
	char **unverified;    /* cited ids and named indicators not in the store */
	size_t nunverified;
	size_t checked;       /* cited ids and named indicators checked */
};

struct llm_indicator {
	char *value;
	bool verified;        /* seen in the store */
};

struct llm_report {
	char *threat_id, *provider, *model;
	char *verdict;        /* malicious, suspicious, benign, inconclusive */
	int confidence;
	char *summary;
	struct llm_claim *claims;
	size_t nclaims;
	char **next_steps;
	size_t nnext;
	struct llm_indicator *indicators;
	size_t nindicators;
	struct llm_step *steps;
	size_t nsteps;
	char *playbook_verdict; /* the authority, unchanged by the model */
	int playbook_confidence;
	bool agrees;
	struct injection_flag *injection;
	size_t ninjection;
	int requests;
	long tokens_in, tokens_out;
	double seconds;
	char *stopped;        /* answered, forced, budget:steps|tokens|time,
			       * no-answer */
	char **notes;         /* what of the answer was cut, and how much */
	size_t nnotes;
};

/* Progress for a caller that shows it (the console): called after each
 * step and before each request. May be NULL. */
struct llm_agent_hooks {
	struct llm_hooks net;
	void (*on_step)(void *ctx, const struct llm_step *s, size_t n);
};

/* Investigate threat_id with the model of cfg. Runs the playbook first if
 * the threat has no report. The model report is stored (model_reports) and
 * handed back in *out (llm_report_free); a run whose model gave no usable
 * verdict (stopped "no-answer") is handed back but not stored. Errors:
 * LLM_ERR_* from the provider, LLM_ERR_CANCELLED, or the store's. */
int llm_investigate(struct store *st, const struct kb_data *kb,
		    const struct llm_config *cfg,
		    const struct llm_agent_hooks *hooks,
		    const char *threat_id, struct llm_report **out);
void llm_report_free(struct llm_report *r);

/* The stored model report of threat_id (caller frees), with the playbook's
 * verdict and the agreement as they stand now, should the playbook have
 * run again since. ERR_NOTFOUND when the model has not investigated. */
int llm_report_current(struct store *st, const char *threat_id, char **json);

/* Renderings; caller frees. */
char *llm_report_to_json(const struct llm_report *r);
/* text and md render from the JSON, so a stored report prints the same. */
char *llm_report_json_to_text(const char *json);
char *llm_report_json_to_markdown(const char *json);

/* The tools offered to the model (for docs and tests); borrowed. */
const struct llm_tool *llm_agent_tools(size_t *n);

#endif
