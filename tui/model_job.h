/* SPDX-License-Identifier: Apache-2.0 */
/* model_job: one model investigation running in the background for the
 * console, on a store connection and a knowledge base of its own, with
 * progress to poll and a cancel that the network layer honours. */
#ifndef VERDICT_MODEL_JOB_H
#define VERDICT_MODEL_JOB_H

#include <stdbool.h>
#include <stddef.h>

struct model_job;

/* What the job has to say since the last poll. */
struct model_news {
	bool finished;        /* the run is over (then rc, error, verdict) */
	int rc;               /* 0, or the LLM_ERR_* / store code */
	size_t steps;         /* tool calls so far */
	long tokens;          /* input + output so far */
	char threat[160];
	char progress[160];   /* "step 3: sql", "waiting for the model"... */
	char error[512];
	char verdict[32], playbook[32];
	bool agrees;
};

/* Load the model configuration (errors are LLM_ERR_CONFIG with the reason)
 * and start investigating threat_id against the store at db with the
 * knowledge base at kb_dir. *out is the caller's (model_job_free). */
int model_job_start(const char *db, const char *kb_dir, const char *threat_id,
		    struct model_job **out);
/* Copy the news; false when nothing changed since the last poll. */
bool model_job_poll(struct model_job *j, struct model_news *n);
/* Ask the run to stop; it ends soon with LLM_ERR_CANCELLED. */
void model_job_cancel(struct model_job *j);
/* The threat under investigation (borrowed). */
const char *model_job_threat(const struct model_job *j);
/* Cancel if running, wait for the thread, free. Accepts NULL. */
void model_job_free(struct model_job *j);

#endif
