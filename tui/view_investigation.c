/* SPDX-License-Identifier: Apache-2.0 */
/* view_investigation: one threat's investigation report: the verdict
 * header, the key findings and the playbook's steps, which n and p step
 * through one by one, each with its query, result rows, cited events,
 * finding and the score it moved. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/investigate.h"
#include "core/jsonscan.h"
#include "core/llm_agent.h"
#include "core/store.h"
#include "core/threat.h"
#include "core/timeutil.h"
#include "kb/feedback.h"
#include "tui/app.h"
#include "tui/view.h"

/* Cells of a step's result table are cut to this many columns. */
#define ROW_CELL_MAX 40

enum dl_kind {
	DL_TEXT,     /* nothing to open */
	DL_HEAD,     /* the verdict line: where the cursor starts */
	DL_STEP,     /* a step in the list: Enter shows it */
	DL_EVENT,    /* a cited event: Enter shows its raw record */
	DL_BLAST,    /* the blast radius line: Enter opens the tree */
};

struct docline {
	enum dl_kind kind;
	size_t step;         /* DL_STEP */
	char *ref;           /* DL_EVENT: the event id */
	struct rline line;
};

struct inv {
	char *id;            /* the threat */
	struct threat t;     /* as listed by the store */
	bool have_threat;
	cJSON *report;       /* parsed report, NULL when none yet */
	size_t nsteps;
	size_t step;         /* the step shown in detail */
	struct docline *doc;
	size_t ndoc, cap;
	size_t width;        /* the doc was laid out for this width */
	size_t detail_row;   /* first row of the step detail */
	size_t list_row;     /* first row of the step list */
	char model[32];      /* the model's verdict, "" when it has none */
	bool model_agrees;
};

/* ---- the document --------------------------------------------------------- */

static void
doc_clear(struct inv *iv)
{
	for (size_t i = 0; i < iv->ndoc; i++) {
		free(iv->doc[i].ref);
		rline_dispose(&iv->doc[i].line);
	}
	iv->ndoc = 0;
}

/* A new line at the end of the document (NULL on ENOMEM). */
static struct docline *
doc_add(struct inv *iv, enum dl_kind kind)
{
	struct docline *d;

	if (iv->ndoc == iv->cap) {
		size_t cap = iv->cap ? iv->cap * 2 : 128;
		struct docline *g = realloc(iv->doc, cap * sizeof(*g));

		if (!g)
			return NULL;
		iv->doc = g;
		iv->cap = cap;
	}
	d = &iv->doc[iv->ndoc++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	rline_init(&d->line);
	return d;
}

static void
doc_blank(struct inv *iv)
{
	doc_add(iv, DL_TEXT);
}

static void
doc_heading(struct inv *iv, const char *text)
{
	struct docline *d = doc_add(iv, DL_TEXT);

	if (d)
		render_str(&d->line, text, STYLE_HEADER);
}

/* text wrapped to the width in lines starting at column at; the first
 * line has lead (NULL for none) at column indent before it. */
static void
doc_wrap(struct inv *iv, size_t indent, const struct rline *lead, size_t at,
	 const char *text, enum style st)
{
	struct rline src, *lines = NULL;
	size_t n = 0, width = iv->width > at + 10 ? iv->width - at : 10;

	rline_init(&src);
	render_str(&src, text, st);
	if (rline_wrap(&src, width, 0, &lines, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct docline *d = doc_add(iv, DL_TEXT);

			if (d) {
				render_pad(&d->line, indent, STYLE_NORMAL);
				if (i == 0 && lead)
					rline_append(&d->line, lead);
				render_pad(&d->line, at, STYLE_NORMAL);
				rline_append(&d->line, &lines[i]);
			}
			rline_dispose(&lines[i]);
		}
		free(lines);
	}
	rline_dispose(&src);
}

static void
doc_wrapped(struct inv *iv, const char *text, size_t indent, enum style st)
{
	doc_wrap(iv, indent, NULL, indent, text, st);
}

/* A "label  value" line; the value wraps under itself. */
static void
doc_field(struct inv *iv, size_t indent, const char *label, const char *value,
	  enum style st)
{
	struct rline lead;

	rline_init(&lead);
	render_str(&lead, label, STYLE_DIM);
	doc_wrap(iv, indent, &lead, indent + 10, value ? value : "-", st);
	rline_dispose(&lead);
}

/* A bulleted item wrapped under itself. */
static void
doc_bullet(struct inv *iv, const char *text)
{
	struct rline lead;

	rline_init(&lead);
	render_glyph(&lead, GLYPH_DOT, STYLE_DIM);
	doc_wrap(iv, 2, &lead, 4, text, STYLE_NORMAL);
	rline_dispose(&lead);
}

static void
doc_event(struct inv *iv, size_t indent, const char *id)
{
	struct docline *d = doc_add(iv, DL_EVENT);

	if (!d)
		return;
	d->ref = strdup(id);
	render_pad(&d->line, indent, STYLE_NORMAL);
	render_str(&d->line, id, STYLE_LINK);
}

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
jint(const cJSON *o, const char *key, int dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (int)v->valuedouble : dflt;
}

/* A JSON value as one line of text: strings as they are, the rest as
 * compact JSON. Caller frees. */
static char *
jtext(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return strdup("");
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	return cJSON_PrintUnformatted(v);
}

static enum style
score_style(int score)
{
	return score > 0 ? STYLE_SCORE_UP : score < 0 ? STYLE_SCORE_DOWN : STYLE_DIM;
}

/* ---- sections ------------------------------------------------------------- */

static void
build_header(struct inv *iv)
{
	const cJSON *r = iv->report;
	const char *verdict = jstr(r, "verdict");
	struct docline *d = doc_add(iv, DL_HEAD);
	char tbuf[TIMEUTIL_BUFSZ];

	if (d) {
		render_str(&d->line, "Verdict ", STYLE_HEADER);
		render_str(&d->line, verdict ? verdict : "none yet",
			   view_verdict_style(verdict));
		if (r) {
			render_printf(&d->line, STYLE_NORMAL, "   confidence %d%%",
				      jint(r, "confidence", 0));
			render_printf(&d->line, STYLE_DIM, "   score %d",
				      jint(r, "score", 0));
			render_str(&d->line, "   playbook ", STYLE_DIM);
			render_str(&d->line, jstr(r, "playbook"), STYLE_NORMAL);
		}
	}
	/* The model's verdict sits beside the playbook's, never in its
	 * place. */
	if (iv->model[0] && (d = doc_add(iv, DL_TEXT))) {
		render_str(&d->line, "Model   ", STYLE_HEADER);
		render_str(&d->line, iv->model, view_verdict_style(iv->model));
		render_str(&d->line, iv->model_agrees ? "   agrees"
			   : "   DISAGREES: the playbook verdict stands",
			   iv->model_agrees ? STYLE_DIM : STYLE_ERROR);
		render_str(&d->line, "   (M opens it)", STYLE_DIM);
	}
	if (iv->have_threat) {
		if ((d = doc_add(iv, DL_TEXT))) {
			render_str(&d->line, "Threat  ", STYLE_HEADER);
			render_str(&d->line, iv->t.severity,
				   view_severity_style(iv->t.severity));
			render_str(&d->line, "  ", STYLE_NORMAL);
			render_str(&d->line, iv->t.title, STYLE_NORMAL);
		}
		doc_field(iv, 2, "detection", iv->t.detection, STYLE_NORMAL);
		for (int e = 0; e < TE_COUNT; e++)
			if (iv->t.ent[e])
				doc_field(iv, 2, threat_entity_names[e], iv->t.ent[e],
					  STYLE_NORMAL);
		if (iv->t.has_time) {
			char when[96];

			timeutil_format(iv->t.first_ns, tbuf);
			snprintf(when, sizeof(when), "%s, %llu hit%s, status %s", tbuf,
				 (unsigned long long)iv->t.count,
				 iv->t.count == 1 ? "" : "s", iv->t.status);
			doc_field(iv, 2, "first", when, STYLE_DIM);
		}
	}
	doc_field(iv, 2, "id", iv->id, STYLE_DIM);
	if (r && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "real")))
		doc_field(iv, 2, "not real", jstr(r, "real_reason"), STYLE_ERROR);
	if (r && jstr(r, "kb_version"))
		doc_field(iv, 2, "kb", jstr(r, "kb_version"), STYLE_DIM);
	doc_blank(iv);
	if (!r) {
		doc_wrapped(iv, "No investigation report for this threat yet. "
			    "X runs its playbook.", 2, STYLE_DIM);
		return;
	}
	if (jstr(r, "summary")) {
		doc_heading(iv, "Summary");
		doc_wrapped(iv, jstr(r, "summary"), 2, STYLE_NORMAL);
		doc_blank(iv);
	}
}

/* A list of strings under a heading, one bullet each. */
static void
build_list(struct inv *iv, const char *heading, const char *key)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(iv->report, key), *e;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0)
		return;
	doc_heading(iv, heading);
	cJSON_ArrayForEach(e, a) {
		char *t = jtext(e);

		doc_bullet(iv, t ? t : "");
		free(t);
	}
	doc_blank(iv);
}

static void
build_keys(struct inv *iv)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(iv->report, "key_findings"), *k;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0)
		return;
	doc_heading(iv, "Key findings");
	cJSON_ArrayForEach(k, a) {
		const cJSON *cited = cJSON_GetObjectItemCaseSensitive(k, "cited"), *c;
		int score = jint(k, "score", 0);
		struct docline *d = doc_add(iv, DL_TEXT);

		if (d) {
			render_printf(&d->line, score_style(score), "  %+4d  ", score);
			render_str(&d->line, jstr(k, "text"), STYLE_NORMAL);
		}
		cJSON_ArrayForEach(c, cited)
			if (cJSON_IsString(c))
				doc_event(iv, 8, c->valuestring);
	}
	doc_blank(iv);
}

static void
build_blast(struct inv *iv)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(iv->report, "blast_radius");
	struct docline *d;
	int n;

	if (!cJSON_IsObject(b))
		return;
	doc_heading(iv, "Blast radius");
	if (!(d = doc_add(iv, DL_BLAST)))
		return;
	render_str(&d->line, "  ", STYLE_NORMAL);
	render_str(&d->line, jstr(b, "principal") ? jstr(b, "principal")
						   : "unknown principal", STYLE_LINK);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "admin")))
		render_str(&d->line, "  admin", STYLE_SEV_CRITICAL);
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(b, "known")))
		render_str(&d->line, "  not in the identity data", STYLE_DIM);
	n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "allowed"));
	render_printf(&d->line, STYLE_DIM, "  %d actions", n);
	n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "paths"));
	render_printf(&d->line, STYLE_DIM, ", %d escalation paths", n);
	n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "touched"));
	render_printf(&d->line, STYLE_DIM, ", %d touched  (b opens the tree)", n);
	doc_blank(iv);
}

static void
build_step_list(struct inv *iv)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(iv->report, "steps");
	const cJSON *s;
	size_t i = 0;
	struct docline *d;

	if (!cJSON_IsArray(steps) || iv->nsteps == 0)
		return;
	if ((d = doc_add(iv, DL_TEXT))) {
		render_str(&d->line, "Steps", STYLE_HEADER);
		render_str(&d->line, "  (n and p step through them)", STYLE_DIM);
	}
	iv->list_row = iv->ndoc;
	cJSON_ArrayForEach(s, steps) {
		int score = jint(s, "score", 0), n;
		const cJSON *nrows = cJSON_GetObjectItemCaseSensitive(s, "nrows");
		bool cur = i == iv->step;

		if (!(d = doc_add(iv, DL_STEP)))
			break;
		d->step = i;
		render_str(&d->line, " ", STYLE_NORMAL);
		if (cur)
			render_glyph(&d->line, GLYPH_POINTER, STYLE_STEP_CURRENT);
		else
			render_str(&d->line, " ", STYLE_NORMAL);
		render_printf(&d->line, cur ? STYLE_STEP_CURRENT : STYLE_STEP,
			      " %2zu  ", i + 1);
		render_cell(&d->line, jstr(s, "title") ? jstr(s, "title")
							: jstr(s, "id"),
			    iv->width > 40 ? iv->width - 36 : 10, false,
			    cur ? STYLE_STEP_CURRENT : STYLE_STEP);
		n = cJSON_IsNumber(nrows) ? (int)nrows->valuedouble : 0;
		render_printf(&d->line, STYLE_DIM, " %6d row%s ", n, n == 1 ? " " : "s");
		render_printf(&d->line, score_style(score), " %+4d", score);
		if (jstr(s, "gap"))
			render_str(&d->line, "  gap", STYLE_ERROR);
		i++;
	}
	doc_blank(iv);
}

/* The union of the row objects' keys, in first-seen order. */
static size_t
row_keys(const cJSON *rows, const char **keys, size_t max)
{
	const cJSON *row, *f;
	size_t n = 0;

	cJSON_ArrayForEach(row, rows) {
		cJSON_ArrayForEach(f, row) {
			size_t k;

			if (!f->string)
				continue;
			for (k = 0; k < n && strcmp(keys[k], f->string) != 0; k++)
				;
			if (k == n && n < max)
				keys[n++] = f->string;
		}
	}
	return n;
}

static void
build_rows(struct inv *iv, const cJSON *rows)
{
	const char *keys[16];
	size_t nk = row_keys(rows, keys, 16), w[16];
	const cJSON *row;
	struct docline *d;

	if (nk == 0)
		return;
	/* Each column as wide as its widest cell, within limits. */
	for (size_t k = 0; k < nk; k++) {
		struct rline t;

		rline_init(&t);
		render_str(&t, keys[k], STYLE_HEADER);
		w[k] = t.width;
		cJSON_ArrayForEach(row, rows) {
			char *s = jtext(cJSON_GetObjectItemCaseSensitive(row, keys[k]));

			rline_reset(&t);
			render_str(&t, s, STYLE_NORMAL);
			if (t.width > w[k])
				w[k] = t.width;
			free(s);
		}
		if (w[k] > ROW_CELL_MAX)
			w[k] = ROW_CELL_MAX;
		rline_dispose(&t);
	}
	if ((d = doc_add(iv, DL_TEXT))) {
		render_pad(&d->line, 4, STYLE_NORMAL);
		for (size_t k = 0; k < nk; k++) {
			render_cell(&d->line, keys[k], w[k], false, STYLE_HEADER);
			render_str(&d->line, "  ", STYLE_NORMAL);
		}
	}
	cJSON_ArrayForEach(row, rows) {
		const char *id = jstr(row, "id");

		/* A row that is an event opens its evidence. */
		if (!(d = doc_add(iv, id ? DL_EVENT : DL_TEXT)))
			break;
		if (id)
			d->ref = strdup(id);
		render_pad(&d->line, 4, STYLE_NORMAL);
		for (size_t k = 0; k < nk; k++) {
			char *s = jtext(cJSON_GetObjectItemCaseSensitive(row, keys[k]));

			render_cell(&d->line, s, w[k], false,
				    strcmp(keys[k], "id") == 0 ? STYLE_LINK
							      : STYLE_NORMAL);
			render_str(&d->line, "  ", STYLE_NORMAL);
			free(s);
		}
	}
}

static void
build_step_detail(struct inv *iv)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(iv->report, "steps");
	const cJSON *s = cJSON_GetArrayItem(steps, (int)iv->step), *a, *e;
	int score, nrows, shown;
	struct docline *d;
	char buf[96];

	if (!s)
		return;
	iv->detail_row = iv->ndoc;
	score = jint(s, "score", 0);
	/* The heading is where the cursor rests while stepping through. */
	if ((d = doc_add(iv, DL_STEP))) {
		d->step = iv->step;
		render_printf(&d->line, STYLE_HEADER, "Step %zu of %zu  ",
			      iv->step + 1, iv->nsteps);
		render_str(&d->line, jstr(s, "title"), STYLE_STEP_CURRENT);
	}
	doc_field(iv, 2, "id", jstr(s, "id"), STYLE_DIM);
	doc_field(iv, 2, "kind", jstr(s, "kind"), STYLE_NORMAL);
	/* The query keeps its own line breaks: it is the playbook's text with
	 * values filled in, and every line still goes through the renderer. */
	if (jstr(s, "query")) {
		const char *q = jstr(s, "query");
		bool first = true;

		while (*q) {
			size_t len = strcspn(q, "\n");
			char *line = strndup(q, len);

			doc_field(iv, 2, first ? "query" : "", line, STYLE_NORMAL);
			free(line);
			first = false;
			q += len + (q[len] == '\n');
		}
	}
	a = cJSON_GetObjectItemCaseSensitive(s, "rows");
	nrows = jint(s, "nrows", 0);
	shown = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
	snprintf(buf, sizeof(buf), nrows > shown ? "%d found, first %d shown"
						  : "%d found", nrows, shown);
	doc_field(iv, 2, "rows", buf, STYLE_NORMAL);
	if (shown)
		build_rows(iv, a);
	a = cJSON_GetObjectItemCaseSensitive(s, "cited");
	if (cJSON_GetArraySize(a) > 0) {
		doc_field(iv, 2, "cited", "(Enter or e shows the raw record)",
			  STYLE_DIM);
		cJSON_ArrayForEach(e, a)
			if (cJSON_IsString(e))
				doc_event(iv, 12, e->valuestring);
	}
	doc_field(iv, 2, "finding", jstr(s, "finding") ? jstr(s, "finding")
						       : "no rule fired",
		  jstr(s, "finding") ? STYLE_NORMAL : STYLE_DIM);
	snprintf(buf, sizeof(buf), "%+d", score);
	doc_field(iv, 2, "score", buf, score_style(score));
	if (jstr(s, "gap"))
		doc_field(iv, 2, "gap", jstr(s, "gap"), STYLE_ERROR);
}

static void
build(struct view *v, size_t width)
{
	struct inv *iv = v->priv;

	doc_clear(iv);
	iv->width = width;
	iv->detail_row = iv->list_row = 0;
	build_header(iv);
	if (iv->report) {
		build_keys(iv);
		build_list(iv, "Would raise confidence", "raise");
		build_list(iv, "Next steps", "next_steps");
		build_blast(iv);
		build_step_list(iv);
		build_step_detail(iv);
	}
	v->nrows = iv->ndoc;
	if (v->cursor >= v->nrows)
		v->cursor = v->nrows ? v->nrows - 1 : 0;
}

/* ---- loading -------------------------------------------------------------- */

static int
on_threat(void *ctx, const struct threat *t)
{
	struct inv *iv = ctx;
	struct threat *c = &iv->t;

	threat_dispose(c);
	threat_init(c);
	c->id = t->id ? strdup(t->id) : NULL;
	c->detection = t->detection ? strdup(t->detection) : NULL;
	c->title = strdup(t->title ? t->title : "");
	c->source = t->source ? strdup(t->source) : NULL;
	c->severity = strdup(t->severity ? t->severity : "unknown");
	c->status = strdup(t->status ? t->status : "new");
	for (int e = 0; e < TE_COUNT; e++)
		c->ent[e] = t->ent[e] ? strdup(t->ent[e]) : NULL;
	c->has_time = t->has_time;
	c->first_ns = t->first_ns;
	c->last_ns = t->last_ns;
	c->count = t->count;
	iv->have_threat = c->title && c->severity && c->status;
	return 1;    /* one is all there is */
}

/* The model's verdict on the threat, if it has investigated. */
static void
load_model(struct inv *iv, struct store *st)
{
	char *json = NULL;
	cJSON *o;

	iv->model[0] = '\0';
	if (llm_report_current(st, iv->id, &json) < 0) {
		err_clear();
		return;
	}
	if ((o = cJSON_Parse(json)) && jstr(o, "verdict")) {
		snprintf(iv->model, sizeof(iv->model), "%s", jstr(o, "verdict"));
		iv->model_agrees = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(o, "agrees"));
	}
	cJSON_Delete(o);
	free(json);
}

static int
inv_refresh(struct view *v)
{
	struct inv *iv = v->priv;
	struct threat_filter f = { .id = iv->id, .limit = 1 };
	char *json = NULL;
	int rc;

	cJSON_Delete(iv->report);
	iv->report = NULL;
	iv->have_threat = false;
	rc = store_threat_list(app_store(v->app), &f, on_threat, iv);
	if (rc < 0)
		return rc;
	rc = store_report_get(app_store(v->app), iv->id, &json);
	if (rc == ERR_NOTFOUND) {
		err_clear();
		rc = 0;
	} else if (rc == 0) {
		/* Long integers (nanosecond times) keep their digits as text. */
		struct buf safe;

		buf_init(&safe);
		if (jsonscan_prepare(json, strlen(json), &safe) == 0 && safe.data)
			iv->report = cJSON_Parse(safe.data);
		buf_dispose(&safe);
		if (!iv->report)
			rc = err_set(ERR_PARSE, "the report of %s is not JSON",
				     iv->id);
	}
	free(json);
	load_model(iv, app_store(v->app));
	iv->nsteps = (size_t)cJSON_GetArraySize(
		cJSON_GetObjectItemCaseSensitive(iv->report, "steps"));
	if (iv->step >= iv->nsteps)
		iv->step = 0;
	build(v, iv->width ? iv->width : 80);
	return rc;
}

static int
inv_open(struct view *v, const char *arg)
{
	struct inv *iv = calloc(1, sizeof(*iv));

	if (!iv || !(iv->id = strdup(arg ? arg : ""))) {
		free(iv);
		return err_set(ERR_NOMEM, "out of memory");
	}
	threat_init(&iv->t);
	v->priv = iv;
	return inv_refresh(v);
}

static void
inv_close(struct view *v)
{
	struct inv *iv = v->priv;

	if (!iv)
		return;
	doc_clear(iv);
	free(iv->doc);
	threat_dispose(&iv->t);
	cJSON_Delete(iv->report);
	free(iv->id);
	free(iv);
	v->priv = NULL;
}

static void
inv_resize(struct view *v, size_t width)
{
	struct inv *iv = v->priv;

	if (width != iv->width)
		build(v, width);
}

static void
inv_title(struct view *v, struct rline *out)
{
	struct inv *iv = v->priv;

	render_str(out, iv->have_threat ? iv->t.title : iv->id, STYLE_TITLE);
	if (iv->nsteps)
		render_printf(out, STYLE_TITLE_COUNT, "  step %zu/%zu",
			      iv->step + 1, iv->nsteps);
}

static void
inv_draw_row(struct view *v, size_t row, size_t width, struct rline *out)
{
	struct inv *iv = v->priv;

	(void)width;
	rline_append(out, &iv->doc[row].line);
}

static bool
inv_selectable(struct view *v, size_t row)
{
	struct inv *iv = v->priv;

	return row < iv->ndoc && iv->doc[row].kind != DL_TEXT;
}

/* ---- actions -------------------------------------------------------------- */

/* Show step i: rebuild, put the cursor on it in the list and bring its
 * detail on screen. */
static unsigned
show_step(struct view *v, size_t i)
{
	struct inv *iv = v->priv;
	size_t end;

	if (!iv->nsteps)
		return REDRAW_NONE;
	iv->step = i;
	build(v, iv->width);
	end = iv->ndoc ? iv->ndoc - 1 : 0;
	v->cursor = iv->detail_row;
	app_show_row(v->app, v, end);
	app_show_row(v->app, v, iv->detail_row);
	return REDRAW_BODY | REDRAW_TITLE;
}

static unsigned
act_next(struct view *v)
{
	struct inv *iv = v->priv;

	if (iv->nsteps && iv->step + 1 >= iv->nsteps) {
		app_status(v->app, "the last step");
		return show_step(v, iv->step) | REDRAW_STATUS;
	}
	return show_step(v, iv->step + 1);
}

static unsigned
act_prev(struct view *v)
{
	struct inv *iv = v->priv;

	if (iv->step == 0) {
		app_status(v->app, "the first step");
		return show_step(v, 0) | REDRAW_STATUS;
	}
	return show_step(v, iv->step - 1);
}

static unsigned
act_open(struct view *v)
{
	struct inv *iv = v->priv;
	struct docline *d = v->cursor < iv->ndoc ? &iv->doc[v->cursor] : NULL;

	if (!d)
		return REDRAW_NONE;
	if (d->kind == DL_STEP)
		return show_step(v, d->step);
	if (d->kind == DL_EVENT && d->ref)
		app_push(v->app, &view_evidence_ops, d->ref);
	else if (d->kind == DL_BLAST)
		app_push(v->app, &view_blast_ops, iv->id);
	return REDRAW_ALL;
}

/* e: the event under the cursor, else the current step's first cited. */
static unsigned
act_evidence(struct view *v)
{
	struct inv *iv = v->priv;
	const cJSON *s, *cited;

	if (v->cursor < iv->ndoc && iv->doc[v->cursor].kind == DL_EVENT)
		return act_open(v);
	s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(iv->report,
								 "steps"),
			       (int)iv->step);
	cited = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "cited"), 0);
	if (!cJSON_IsString(cited)) {
		app_status(v->app, "this step cites no event");
		return REDRAW_STATUS;
	}
	app_push(v->app, &view_evidence_ops, cited->valuestring);
	return REDRAW_ALL;
}

static unsigned
act_blast(struct view *v)
{
	struct inv *iv = v->priv;

	app_push(v->app, &view_blast_ops, iv->id);
	return REDRAW_ALL;
}

static unsigned
set_status(struct view *v, const char *status)
{
	struct inv *iv = v->priv;

	if (store_threat_set_status(app_store(v->app), iv->id, status) < 0) {
		app_error(v->app, "%s", err_msg());
		return REDRAW_STATUS;
	}
	app_status(v->app, "%s is now %s", iv->id, status);
	inv_refresh(v);
	return REDRAW_ALL;
}

static unsigned act_investigating(struct view *v)
{ return set_status(v, "investigating"); }
static unsigned act_decided(struct view *v)
{ return set_status(v, "decided"); }
static unsigned act_new(struct view *v)
{ return set_status(v, "new"); }

static unsigned
act_investigate(struct view *v)
{
	struct inv *iv = v->priv;

	if (view_investigate_threat(v->app, iv->id) == 0)
		inv_refresh(v);
	return REDRAW_ALL;
}

int
view_feedback(struct app *app, const char *id, const char *verdict,
	      const char *note)
{
	char commit[KB_COMMIT_HEXSZ], *kb = app_kb_path(app), *file = NULL;
	bool agree = false;
	int rc;

	if (!kb)
		return err_set(ERR_NOMEM, "out of memory");
	rc = kb_feedback_threat(app_store(app), kb, id, verdict, NULL, note,
				commit, &file, &agree);
	free(kb);
	free(file);
	if (rc < 0) {
		app_error(app, "feedback: %s", err_msg());
		return rc;
	}
	/* The next investigation reads the commit just made. */
	app_kb_changed(app);
	if (store_threat_set_status(app_store(app), id, "decided") < 0) {
		app_error(app, "saved %.12s, but the threat's status: %s",
			  commit, err_msg());
		return 0;
	}
	app_status(app, "saved %.12s: %s %s (%s)", commit, id, verdict,
		   agree ? "agree" : "override");
	return 0;
}

/* A: the report's verdict is the analyst's too. */
static unsigned
act_agree(struct view *v)
{
	struct inv *iv = v->priv;
	const char *verdict = iv->report ? jstr(iv->report, "verdict") : NULL;

	if (!verdict) {
		app_error(v->app, "no report to agree with; investigate first (X)");
		return REDRAW_STATUS;
	}
	if (view_feedback(v->app, iv->id, verdict, "agreed in the console") == 0)
		inv_refresh(v);
	return REDRAW_ALL;
}

/* O: the analyst names the verdict and says why at the : prompt. */
static unsigned
act_override(struct view *v)
{
	struct inv *iv = v->priv;
	char text[256];

	snprintf(text, sizeof(text), "feedback %s ", iv->id);
	return app_prompt(v->app, text);
}

static unsigned
act_model(struct view *v)
{
	struct inv *iv = v->priv;

	app_push(v->app, &view_model_ops, iv->id);
	return REDRAW_ALL;
}

static unsigned
act_reload(struct view *v)
{
	if (inv_refresh(v) < 0)
		app_error(v->app, "%s", err_msg());
	return REDRAW_ALL;
}

static const struct {
	enum action action;
	unsigned (*fn)(struct view *v);
} inv_actions[] = {
	{ ACTION_NEXT, act_next },
	{ ACTION_PREV, act_prev },
	{ ACTION_OPEN, act_open },
	{ ACTION_EVIDENCE, act_evidence },
	{ ACTION_BLAST, act_blast },
	{ ACTION_SET_INVESTIGATING, act_investigating },
	{ ACTION_SET_DECIDED, act_decided },
	{ ACTION_SET_NEW, act_new },
	{ ACTION_INVESTIGATE, act_investigate },
	{ ACTION_AGREE, act_agree },
	{ ACTION_OVERRIDE, act_override },
	{ ACTION_MODEL, act_model },
	{ ACTION_RELOAD, act_reload },
};

static unsigned
inv_handle(struct view *v, enum action a)
{
	for (size_t i = 0; i < sizeof(inv_actions) / sizeof(inv_actions[0]); i++)
		if (inv_actions[i].action == a)
			return inv_actions[i].fn(v);
	return REDRAW_PASS;
}

/* / in an investigation: the next line holding the text. */
static unsigned
inv_search(struct view *v, const char *text)
{
	struct inv *iv = v->priv;

	for (size_t k = 1; text && *text && k <= iv->ndoc; k++) {
		size_t row = (v->cursor + k) % iv->ndoc;

		if (rline_contains(&iv->doc[row].line, text)) {
			v->cursor = row;
			app_show_row(v->app, v, row);
			return REDRAW_BODY;
		}
	}
	app_status(v->app, "\"%s\" not found", text ? text : "");
	return REDRAW_STATUS;
}

const struct view_ops view_investigation_ops = {
	.name = "investigation",
	.scope = KEYMAP_SCOPE_INVESTIGATION,
	.open = inv_open,
	.refresh = inv_refresh,
	.title = inv_title,
	.draw_row = inv_draw_row,
	.selectable = inv_selectable,
	.handle = inv_handle,
	.search = inv_search,
	.resize = inv_resize,
	.close = inv_close,
};

/* ---- re-investigating ----------------------------------------------------- */

int
view_investigate_threat(struct app *app, const char *id)
{
	const struct kb_data *kb = app_kb(app);
	struct report *r = NULL;
	int rc;

	if (!kb)
		return ERR_NOTFOUND;
	rc = investigate_threat(app_store(app), kb, id, &r);
	if (rc < 0) {
		app_error(app, "%s", err_msg());
		return rc;
	}
	app_status(app, "investigated %s: %s, confidence %d%%", id,
		   r->verdict ? r->verdict : "?", r->confidence);
	report_free(r);
	return 0;
}
