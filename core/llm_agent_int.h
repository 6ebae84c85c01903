/* SPDX-License-Identifier: Apache-2.0 */
/* llm_agent_int: what the agent's files share: the state of one model
 * investigation, the tools (llm_tools.c) and the answer and its checks
 * (llm_report.c). */
#ifndef VERDICT_LLM_AGENT_INT_H
#define VERDICT_LLM_AGENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/llm_agent.h"

struct buf;
struct turn;

struct agent {
	struct store *st;
	const struct kb_data *kb;
	const struct llm_config *cfg;
	const struct llm_agent_hooks *hooks;
	struct investigation *inv;
	struct llm_report *rep;
	struct turn *turns;
	size_t nturns;
	int64_t t0;                 /* monotonic start */
	double deadline_ms;         /* monotonic ms the next request must end
				     * by (0: none) */
	long last_tokens_in, last_tokens_out; /* of the latest reply */
	double last_latency_ms;
};

void agent_dispose(struct agent *a);

/* llm_tools.c: run call c (not submit_verdict) as a step of a->rep and put
 * the result for the model in *result (JSON); *is_error when the call
 * could not run (bad arguments, unknown tool). The first call of a reply
 * carries the reply's tokens and latency, and its prose (or NULL). */
int agent_run_tool(struct agent *a, const struct llm_tool_call *c, bool first,
		   const char *prose, struct buf *result, bool *is_error);

/* A call that was not run (a refused answer, a spent budget) as a step
 * whose gap says why, so the analyst sees what the model tried. */
int agent_refused_call(struct agent *a, const struct llm_tool_call *c,
		       const char *why);
/* {"error": msg} for the model. */
int agent_error_json(const char *msg, struct buf *result);

/* llm_report.c */
/* Fill the report's header: ids, provider, the playbook's verdict and the
 * evidence's injection flags (running the playbook if needed). */
int agent_report_init(struct agent *a);
/* Take submit_verdict's arguments as the answer: 0, or 1 with the reason
 * in why when they do not fit the schema, or < 0. */
int agent_accept_answer(struct agent *a, const char *args, struct buf *why);
int agent_set_stopped(struct agent *a, const char *why);
/* No verdict could be had: an inconclusive report that says why. */
int agent_no_answer(struct agent *a, const char *why);
/* Check the cited ids and indicators against the store; set agrees. */
int agent_verify(struct agent *a);

#endif
