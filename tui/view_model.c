/* SPDX-License-Identifier: Apache-2.0 */
/* view_model: M: a model's investigation of a threat, step by step, with
 * its verdict beside the playbook's and any disagreement marked. Opening
 * it without a stored one starts the model in the background; the view
 * shows the progress until the report is in. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/jsonu.h"
#include "core/llm_agent.h"
#include "core/store.h"
#include "tui/app.h"
#include "tui/view.h"

struct mview {
	char *id;
	struct rline *lines;
	size_t n, cap;
	char verdict[32], playbook[32];
	bool has_report, agrees;
};

static struct rline *
add_line(struct mview *m)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct rline *g = realloc(m->lines, cap * sizeof(*g));

		if (!g)
			return NULL;
		m->lines = g;
		m->cap = cap;
	}
	rline_init(&m->lines[m->n]);
	return &m->lines[m->n++];
}

static void
clear_lines(struct mview *m)
{
	for (size_t i = 0; i < m->n; i++)
		rline_dispose(&m->lines[i]);
	m->n = 0;
}

/* The style a line of the text rendering deserves. */
static enum style
line_style(const char *line, size_t index)
{
	if (strstr(line, "UNVERIFIED") || strstr(line, "DISAGREES"))
		return STYLE_ERROR;
	if (index < 2)
		return STYLE_HEADER;
	if (line[0] && line[0] != ' ')
		return STYLE_HEADER;
	return STYLE_NORMAL;
}

/* Every line through the sanitising renderer. */
static int
fill_from_text(struct mview *m, const char *text)
{
	size_t index = 0;

	for (const char *p = text; *p; index++) {
		size_t len = strcspn(p, "\n");
		char *line = strndup(p, len);
		struct rline *l = add_line(m);

		if (!line || !l) {
			free(line);
			return err_set(ERR_NOMEM, "out of memory");
		}
		render_str(l, line, line_style(line, index));
		free(line);
		p += len + (p[len] == '\n');
	}
	return 0;
}

static void
remember_verdicts(struct mview *m, const char *json)
{
	cJSON *o = cJSON_Parse(json);

	snprintf(m->verdict, sizeof(m->verdict), "%s",
		 o && jsonu_str(o, "verdict") ? jsonu_str(o, "verdict") : "?");
	snprintf(m->playbook, sizeof(m->playbook), "%s",
		 o && jsonu_str(o, "playbook_verdict")
		 ? jsonu_str(o, "playbook_verdict") : "?");
	m->agrees = o && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
								  "agrees"));
	cJSON_Delete(o);
}

static int
fill_progress(struct view *v, struct mview *m)
{
	char text[640];
	const char *busy = app_model_busy(v->app);
	struct rline *l;

	if (!(l = add_line(m)))
		return err_set(ERR_NOMEM, "out of memory");
	if (app_model_progress(v->app, m->id, text, sizeof(text))) {
		render_str(l, "The model is investigating this threat: ",
			   STYLE_HEADER);
		render_str(l, text, STYLE_NORMAL);
		if ((l = add_line(m)))
			render_str(l, "x cancels; the report shows here when "
				   "it is in.", STYLE_DIM);
	} else if (busy) {
		render_str(l, "The model is busy with threat ", STYLE_NORMAL);
		render_str(l, busy, STYLE_DIM);
		if ((l = add_line(m)))
			render_str(l, "M here once it is done; x cancels that "
				   "run.", STYLE_DIM);
	} else {
		if (app_model_last_error(v->app, m->id, text, sizeof(text))) {
			render_str(l, "The last run ended: ", STYLE_ERROR);
			render_str(l, text, STYLE_NORMAL);
			if (!(l = add_line(m)))
				return err_set(ERR_NOMEM, "out of memory");
		}
		render_str(l, app_readonly(v->app)
			   ? "No model report stored; read-only, the model "
			     "is not run."
			   : "No model report stored. M runs the model (see "
			     "verdict(1)).", STYLE_DIM);
	}
	return 0;
}

static int
model_refresh(struct view *v)
{
	struct mview *m = v->priv;
	char *json = NULL, *text = NULL;
	int rc;

	clear_lines(m);
	rc = llm_report_current(app_store(v->app), m->id, &json);
	m->has_report = rc == 0;
	if (rc == ERR_NOTFOUND)
		rc = 0;
	if (rc == 0 && m->has_report) {
		char progress[256];

		remember_verdicts(m, json);
		/* A run in progress replaces this report when it ends. */
		if (app_model_progress(v->app, m->id, progress,
				       sizeof(progress))) {
			struct rline *l = add_line(m);

			if (l)
				render_printf(l, STYLE_DIM, "(running again: %s)",
					      progress);
		}
		if (!(text = llm_report_json_to_text(json)))
			rc = err_set(ERR_PARSE, "the stored model report of %s "
				     "is not readable", m->id);
		else
			rc = fill_from_text(m, text);
	} else if (rc == 0) {
		rc = fill_progress(v, m);
	}
	free(json);
	free(text);
	v->nrows = m->n;
	if (v->top >= v->nrows)
		v->top = v->nrows ? v->nrows - 1 : 0;
	return rc;
}

static int
model_open(struct view *v, const char *arg)
{
	struct mview *m = calloc(1, sizeof(*m));
	char progress[8];

	if (!m || !(m->id = strdup(arg ? arg : ""))) {
		free(m);
		return err_set(ERR_NOMEM, "out of memory");
	}
	v->priv = m;
	v->scroll_only = true;
	if (model_refresh(v) < 0)
		return -1;
	/* Nothing stored and nothing running: M means "investigate". */
	if (!m->has_report && !app_model_progress(v->app, m->id, progress,
						  sizeof(progress)) &&
	    app_model_start(v->app, m->id) == 0)
		model_refresh(v);
	return 0;
}

static void
model_title(struct view *v, struct rline *out)
{
	struct mview *m = v->priv;

	render_str(out, " ", STYLE_TITLE);
	render_str(out, m->id, STYLE_TITLE);
	if (!m->has_report)
		return;
	render_str(out, "  model ", STYLE_TITLE);
	render_str(out, m->verdict, view_verdict_style(m->verdict));
	render_str(out, "  playbook ", STYLE_TITLE);
	render_str(out, m->playbook, view_verdict_style(m->playbook));
	render_str(out, m->agrees ? "  agree" : "  DISAGREE",
		   m->agrees ? STYLE_TITLE_COUNT : STYLE_ERROR);
}

static void
model_draw_row(struct view *v, size_t row, size_t width, struct rline *out)
{
	struct mview *m = v->priv;

	if (row < m->n)
		rline_append(out, &m->lines[row]);
}

static unsigned
act_run(struct view *v)
{
	struct mview *m = v->priv;

	if (app_model_start(v->app, m->id) == 0)
		model_refresh(v);
	return REDRAW_ALL;
}

static unsigned
act_reload(struct view *v)
{
	if (model_refresh(v) < 0)
		app_error(v->app, "%s", err_msg());
	return REDRAW_ALL;
}

static const struct {
	enum action action;
	unsigned (*fn)(struct view *v);
} model_actions[] = {
	{ ACTION_MODEL_RUN, act_run },
	{ ACTION_RELOAD, act_reload },
};

static unsigned
model_handle(struct view *v, enum action a)
{
	for (size_t i = 0; i < sizeof(model_actions) / sizeof(model_actions[0]);
	     i++)
		if (model_actions[i].action == a)
			return model_actions[i].fn(v);
	return REDRAW_PASS;
}

static unsigned
model_search(struct view *v, const char *text)
{
	struct mview *m = v->priv;

	for (size_t k = 1; text && *text && k <= m->n; k++) {
		size_t row = (v->top + k) % m->n;

		if (rline_contains(&m->lines[row], text)) {
			v->top = row;
			return REDRAW_BODY;
		}
	}
	app_status(v->app, "\"%s\" not found", text ? text : "");
	return REDRAW_STATUS;
}

static void
model_close(struct view *v)
{
	struct mview *m = v->priv;

	if (!m)
		return;
	clear_lines(m);
	free(m->lines);
	free(m->id);
	free(m);
}

const struct view_ops view_model_ops = {
	.name = "model",
	.scope = KEYMAP_SCOPE_MODEL,
	.empty = "no model investigation",
	.open = model_open,
	.refresh = model_refresh,
	.title = model_title,
	.draw_row = model_draw_row,
	.handle = model_handle,
	.search = model_search,
	.close = model_close,
};
