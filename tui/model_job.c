/* SPDX-License-Identifier: Apache-2.0 */
/* model_job: a model investigation on a thread of its own, so the console
 * keeps answering keys (and the cancel key) while the model thinks. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/llm_agent.h"
#include "core/store.h"
#include "kb/kb.h"
#include "tui/model_job.h"

struct model_job {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	struct model_news news;  /* under lock */
	bool changed;            /* under lock */
	volatile sig_atomic_t cancel;
	struct llm_config cfg;
	char *db, *kb_dir, *threat;
};

static void
kb_diag_ignore(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

static void
on_progress(void *ctx, const char *what)
{
	struct model_job *j = ctx;

	pthread_mutex_lock(&j->lock);
	snprintf(j->news.progress, sizeof(j->news.progress), "%s", what);
	j->changed = true;
	pthread_mutex_unlock(&j->lock);
}

static void
on_step(void *ctx, const struct llm_step *s, size_t n)
{
	struct model_job *j = ctx;

	pthread_mutex_lock(&j->lock);
	j->news.steps = n;
	j->news.tokens += s->tokens_in + s->tokens_out;
	snprintf(j->news.progress, sizeof(j->news.progress), "step %zu: %s%s",
		 n, s->base.kind ? s->base.kind : "?",
		 s->base.gap ? " (gap)" : "");
	j->changed = true;
	pthread_mutex_unlock(&j->lock);
}

static void
finish(struct model_job *j, int rc, const struct llm_report *r)
{
	pthread_mutex_lock(&j->lock);
	j->news.finished = true;
	j->news.rc = rc;
	if (rc < 0)
		snprintf(j->news.error, sizeof(j->news.error), "%s", err_msg());
	if (r && r->stopped && strcmp(r->stopped, "no-answer") == 0) {
		j->news.rc = LLM_ERR_PROTOCOL;
		snprintf(j->news.error, sizeof(j->news.error), "%s; nothing "
			 "was stored", r->summary ? r->summary
			 : "the model gave no usable verdict");
	} else if (r) {
		snprintf(j->news.verdict, sizeof(j->news.verdict), "%s",
			 r->verdict ? r->verdict : "?");
		snprintf(j->news.playbook, sizeof(j->news.playbook), "%s",
			 r->playbook_verdict ? r->playbook_verdict : "?");
		j->news.agrees = r->agrees;
		j->news.steps = r->nsteps;
		j->news.tokens = r->tokens_in + r->tokens_out;
	}
	j->changed = true;
	pthread_mutex_unlock(&j->lock);
}

static void *
job_main(void *arg)
{
	struct model_job *j = arg;
	struct llm_agent_hooks hooks = {
		.net = { .cancel = &j->cancel, .on_progress = on_progress,
			 .ctx = j },
		.on_step = on_step,
	};
	struct store *st = NULL;
	struct kb_data *kb = NULL;
	struct llm_report *r = NULL;
	unsigned kb_errors = 0;
	int rc;

	if ((rc = store_open(j->db, 0, &st)) == 0 &&
	    (rc = kb_load_dir(j->kb_dir, kb_diag_ignore, NULL, &kb,
			      &kb_errors)) == 0)
		rc = llm_investigate(st, kb, &j->cfg, &hooks, j->threat, &r);
	finish(j, rc, r);
	llm_report_free(r);
	kb_data_free(kb);
	store_close(st);
	return NULL;
}

int
model_job_start(const char *db, const char *kb_dir, const char *threat_id,
		struct model_job **out)
{
	struct model_job *j;
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!(j = calloc(1, sizeof(*j))))
		return err_set(ERR_NOMEM, "out of memory");
	pthread_mutex_init(&j->lock, NULL);
	llm_config_init(&j->cfg);
	if ((rc = llm_config_load(&j->cfg)) < 0)
		goto fail;
	if (!(j->db = strdup(db)) || !(j->threat = strdup(threat_id)) ||
	    !(j->kb_dir = kb_dir ? strdup(kb_dir) : kb_default_dir())) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	snprintf(j->news.threat, sizeof(j->news.threat), "%s", threat_id);
	snprintf(j->news.progress, sizeof(j->news.progress), "starting");
	/* Signals stay with the main thread, where curses waits for them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	j->started = pthread_create(&j->thread, NULL, job_main, j) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!j->started) {
		rc = err_set(ERR_IO, "cannot start a thread for the model");
		goto fail;
	}
	*out = j;
	return 0;
fail:
	model_job_free(j);
	return rc;
}

bool
model_job_poll(struct model_job *j, struct model_news *n)
{
	bool changed;

	if (!j)
		return false;
	pthread_mutex_lock(&j->lock);
	changed = j->changed;
	*n = j->news;
	j->changed = false;
	pthread_mutex_unlock(&j->lock);
	return changed;
}

void
model_job_cancel(struct model_job *j)
{
	if (j)
		j->cancel = 1;
}

const char *
model_job_threat(const struct model_job *j)
{
	return j->threat;
}

void
model_job_free(struct model_job *j)
{
	if (!j)
		return;
	if (j->started) {
		j->cancel = 1;
		pthread_join(j->thread, NULL);
	}
	pthread_mutex_destroy(&j->lock);
	llm_config_dispose(&j->cfg);
	free(j->db);
	free(j->kb_dir);
	free(j->threat);
	free(j);
}
