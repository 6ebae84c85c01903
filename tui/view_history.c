/* SPDX-License-Identifier: Apache-2.0 */
/* view_history: the knowledge base's commits, newest first, after tig's
 * main view, and one commit's diff against its first parent; on a line of
 * an allowlist file, the commit, analyst and decision behind it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/timeutil.h"
#include "kb/history.h"
#include "kb/repo.h"
#include "tui/app.h"
#include "tui/view.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define ID_COLS 12
#define DATE_COLS 16
#define AUTHOR_COLS 18
#define ALLOWLISTS "allowlists/"

/* ---- the commit list ------------------------------------------------------ */

struct hentry {
	char id[KB_COMMIT_HEXSZ];
	char *author;
	int64_t time_ns;
	char *summary;
};

struct histv {
	char *sub;           /* the path filter, NULL for every commit */
	struct hentry *e;
	size_t n, cap;
};

static void
clear_entries(struct histv *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->e[i].author);
		free(h->e[i].summary);
	}
	h->n = 0;
}

static int
on_entry(void *ctx, const struct kb_log_entry *le)
{
	struct histv *h = ctx;
	struct hentry *e;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct hentry *g = realloc(h->e, cap * sizeof(*g));

		if (!g)
			return err_set(ERR_NOMEM, "out of memory");
		h->e = g;
		h->cap = cap;
	}
	e = &h->e[h->n];
	snprintf(e->id, sizeof(e->id), "%s", le->id);
	e->time_ns = le->time_ns;
	e->author = strdup(le->author ? le->author : "");
	e->summary = strdup(le->summary ? le->summary : "");
	h->n++;
	if (!e->author || !e->summary)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* The knowledge base's path, or NULL with the error set. */
static char *
kb_dir(struct view *v)
{
	char *dir = app_kb_path(v->app);

	if (dir && !kb_repo_is(dir)) {
		err_set(ERR_NOTFOUND, "%s is not a knowledge-base repository "
			"(make one with `verdict kb init`)", dir);
		free(dir);
		return NULL;
	}
	if (!dir)
		err_set(ERR_NOMEM, "out of memory");
	return dir;
}

static int
history_refresh(struct view *v)
{
	struct histv *h = v->priv;
	char keep[KB_COMMIT_HEXSZ] = "", *dir;
	int rc;

	if (v->cursor < h->n)
		snprintf(keep, sizeof(keep), "%s", h->e[v->cursor].id);
	clear_entries(h);
	v->nrows = 0;
	if (!(dir = kb_dir(v)))
		return ERR_NOTFOUND;
	rc = kb_repo_log(dir, h->sub, 0, on_entry, h);
	free(dir);
	v->nrows = h->n;
	v->cursor = 0;
	for (size_t i = 0; keep[0] && i < h->n; i++)
		if (strcmp(h->e[i].id, keep) == 0)
			v->cursor = i;
	return rc;
}

static int
history_open(struct view *v, const char *arg)
{
	struct histv *h = calloc(1, sizeof(*h));

	if (!h)
		return err_set(ERR_NOMEM, "out of memory");
	v->priv = h;
	if (arg && *arg && !(h->sub = strdup(arg)))
		return err_set(ERR_NOMEM, "out of memory");
	return history_refresh(v);
}

static void
history_close(struct view *v)
{
	struct histv *h = v->priv;

	if (!h)
		return;
	clear_entries(h);
	free(h->e);
	free(h->sub);
	free(h);
	v->priv = NULL;
}

static void
history_title(struct view *v, struct rline *out)
{
	struct histv *h = v->priv;

	render_printf(out, STYLE_TITLE_COUNT, "%zu commits", h->n);
	if (h->sub) {
		render_str(out, " changing ", STYLE_TITLE);
		render_str(out, h->sub, STYLE_TITLE);
	}
}

static void
history_header(struct view *v, size_t width, struct rline *out)
{
	(void)v;
	render_cell(out, "Commit", ID_COLS, false, STYLE_HEADER);
	render_str(out, " ", STYLE_HEADER);
	render_cell(out, "Date (UTC)", DATE_COLS, false, STYLE_HEADER);
	render_str(out, " ", STYLE_HEADER);
	render_cell(out, "Author", AUTHOR_COLS, false, STYLE_HEADER);
	render_str(out, " Subject", STYLE_HEADER);
	render_fit(out, width);
}

static void
history_draw_row(struct view *v, size_t row, size_t width, struct rline *out)
{
	struct histv *h = v->priv;
	const struct hentry *e = &h->e[row];
	char when[TIMEUTIL_BUFSZ];

	timeutil_format(e->time_ns, when);
	/* "2026-12-03T18:14:47Z" shown as "2026-12-03 18:14". */
	if (strlen(when) >= DATE_COLS)
		when[10] = ' ';
	when[DATE_COLS] = '\0';
	render_text(out, e->id, ID_COLS, STYLE_DIM);
	render_str(out, " ", STYLE_NORMAL);
	render_cell(out, when, DATE_COLS, false, STYLE_DIM);
	render_str(out, " ", STYLE_NORMAL);
	render_cell(out, e->author, AUTHOR_COLS, false, STYLE_LINK);
	render_str(out, " ", STYLE_NORMAL);
	render_str(out, e->summary, STYLE_NORMAL);
	(void)width;
}

static unsigned
history_act_open(struct view *v)
{
	struct histv *h = v->priv;

	if (v->cursor < h->n)
		app_push(v->app, &view_history_diff_ops, h->e[v->cursor].id);
	return REDRAW_ALL;
}

static unsigned
history_act_reload(struct view *v)
{
	if (history_refresh(v) < 0)
		app_error(v->app, "%s", err_msg());
	return REDRAW_ALL;
}

static unsigned
history_act_blame(struct view *v)
{
	app_status(v->app, "open a commit (Enter) and put the cursor on a line "
		   "of an allowlist file");
	return REDRAW_STATUS;
}

static const struct {
	enum action action;
	unsigned (*fn)(struct view *v);
} history_actions[] = {
	{ ACTION_OPEN, history_act_open },
	{ ACTION_RELOAD, history_act_reload },
	{ ACTION_BLAME, history_act_blame },
};

static unsigned
history_handle(struct view *v, enum action a)
{
	for (size_t i = 0; i < NELEM(history_actions); i++)
		if (history_actions[i].action == a)
			return history_actions[i].fn(v);
	return REDRAW_PASS;
}

static unsigned
history_search(struct view *v, const char *text)
{
	struct histv *h = v->priv;

	for (size_t k = 1; text && *text && k <= h->n; k++) {
		size_t row = (v->cursor + k) % h->n;
		struct rline l;
		bool hit;

		rline_init(&l);
		history_draw_row(v, row, 0, &l);
		hit = rline_contains(&l, text);
		rline_dispose(&l);
		if (hit) {
			v->cursor = row;
			app_show_row(v->app, v, row);
			return REDRAW_BODY;
		}
	}
	app_status(v->app, "\"%s\" not found", text ? text : "");
	return REDRAW_BODY | REDRAW_STATUS;
}

const struct view_ops view_history_ops = {
	.name = "history",
	.scope = KEYMAP_SCOPE_HISTORY,
	.empty = "no commits",
	.open = history_open,
	.refresh = history_refresh,
	.title = history_title,
	.header = history_header,
	.draw_row = history_draw_row,
	.handle = history_handle,
	.search = history_search,
	.close = history_close,
};

/* ---- one commit's diff ---------------------------------------------------- */

/* A row of the diff; origin 'B' rows are a blame shown under its line. */
struct drow {
	char origin;
	char *file;          /* new-side path, NULL for the commit's lines */
	size_t lineno;
	char *text;
	size_t len;
};

struct diffv {
	char *id;
	struct drow *r;
	size_t n, cap;
};

static int
add_row(struct diffv *d, size_t at, char origin, const char *file,
	size_t lineno, const char *text, size_t len)
{
	struct drow *r;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 128;
		struct drow *g = realloc(d->r, cap * sizeof(*g));

		if (!g)
			return err_set(ERR_NOMEM, "out of memory");
		d->r = g;
		d->cap = cap;
	}
	memmove(&d->r[at + 1], &d->r[at], (d->n - at) * sizeof(*r));
	r = &d->r[at];
	memset(r, 0, sizeof(*r));
	r->origin = origin;
	r->lineno = lineno;
	r->len = len;
	d->n++;
	if ((file && !(r->file = strdup(file))) || !(r->text = malloc(len + 1)))
		return err_set(ERR_NOMEM, "out of memory");
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	return 0;
}

static int
on_diff_row(void *ctx, char origin, const char *file, size_t lineno,
	    const char *text, size_t len)
{
	struct diffv *d = ctx;

	return add_row(d, d->n, origin, file, lineno, text, len);
}

static void
drop_row(struct diffv *d, size_t at)
{
	free(d->r[at].file);
	free(d->r[at].text);
	memmove(&d->r[at], &d->r[at + 1], (d->n - at - 1) * sizeof(d->r[0]));
	d->n--;
}

static void
clear_rows(struct diffv *d)
{
	while (d->n)
		drop_row(d, d->n - 1);
}

static int
diff_refresh(struct view *v)
{
	struct diffv *d = v->priv;
	char *dir;
	int rc;

	clear_rows(d);
	v->nrows = 0;
	if (!(dir = kb_dir(v)))
		return ERR_NOTFOUND;
	rc = kb_commit_diff(dir, d->id, on_diff_row, d);
	free(dir);
	v->nrows = d->n;
	if (v->cursor >= v->nrows)
		v->cursor = v->nrows ? v->nrows - 1 : 0;
	return rc;
}

static int
diff_open(struct view *v, const char *arg)
{
	struct diffv *d = calloc(1, sizeof(*d));

	if (!d || !(d->id = strdup(arg ? arg : "HEAD"))) {
		free(d);
		return err_set(ERR_NOMEM, "out of memory");
	}
	v->priv = d;
	return diff_refresh(v);
}

static void
diff_close(struct view *v)
{
	struct diffv *d = v->priv;

	if (!d)
		return;
	clear_rows(d);
	free(d->r);
	free(d->id);
	free(d);
	v->priv = NULL;
}

static void
diff_title(struct view *v, struct rline *out)
{
	struct diffv *d = v->priv;

	render_printf(out, STYLE_TITLE, "commit %.12s", d->id);
}

/* How each kind of row looks: libgit2's origins, 'C' for the commit's
 * own lines and 'B' for a blame. */
static const struct {
	char origin;
	const char *prefix;
	enum style style;
} diff_styles[] = {
	{ '+', "+", STYLE_DIFF_ADD },
	{ '-', "-", STYLE_DIFF_DEL },
	{ ' ', " ", STYLE_NORMAL },
	{ 'F', "", STYLE_HEADER },
	{ 'H', "", STYLE_DIM },
	{ 'C', "", STYLE_NORMAL },
	{ 'B', "  ", STYLE_LINK },
};

static void
diff_draw_row(struct view *v, size_t row, size_t width, struct rline *out)
{
	struct diffv *d = v->priv;
	const struct drow *r = &d->r[row];
	const char *prefix = "";
	enum style st = STYLE_DIM;

	(void)width;
	for (size_t i = 0; i < NELEM(diff_styles); i++)
		if (diff_styles[i].origin == r->origin) {
			prefix = diff_styles[i].prefix;
			st = diff_styles[i].style;
		}
	render_str(out, prefix, st);
	render_text(out, r->text, r->len, st);
}

/* Remove the blame rows shown before; returns how many were above row. */
static size_t
drop_blame(struct diffv *d, size_t row)
{
	size_t above = 0;

	for (size_t i = d->n; i-- > 0;)
		if (d->r[i].origin == 'B') {
			if (i < row)
				above++;
			drop_row(d, i);
		}
	return above;
}

/* The blame as rows under row. */
static int
blame_rows(struct diffv *d, size_t row, const struct kb_blame *b)
{
	char when[TIMEUTIL_BUFSZ];
	struct buf t;
	size_t at = row + 1;
	int rc = 0;

	timeutil_format(b->time_ns, when);
	buf_init(&t);
	buf_printf(&t, "line %zu: commit %.12s by %s <%s> at %s\n"
		   "subject: %s\n", d->r[row].lineno, b->commit, b->author,
		   b->email, when, b->summary);
	if (b->decision)
		buf_printf(&t, "decision: %s\nverdict: %s on %s by %s at %s\n",
			   b->decision, b->d_verdict ? b->d_verdict : "?",
			   b->threat_id, b->d_analyst ? b->d_analyst : "?",
			   b->d_time ? b->d_time : "?");
	else if (b->threat_id)
		buf_printf(&t, "proposed for %s; no decision on it in feedback/\n",
			   b->threat_id);
	if (b->d_reason)
		buf_printf(&t, "reason: %s\n", b->d_reason);
	if (b->d_note)
		buf_printf(&t, "note: %s\n", b->d_note);
	if (!t.data)
		return err_set(ERR_NOMEM, "out of memory");
	for (const char *p = t.data; *p && rc == 0;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		rc = add_row(d, at++, 'B', NULL, 0, p, n);
		p += n + (nl ? 1 : 0);
	}
	buf_dispose(&t);
	return rc;
}

static unsigned
diff_act_blame(struct view *v)
{
	struct diffv *d = v->priv;
	struct kb_blame b;
	const struct drow *r;
	char *dir = NULL;

	v->cursor -= drop_blame(d, v->cursor);
	v->nrows = d->n;
	if (v->cursor >= d->n)
		return REDRAW_BODY;
	r = &d->r[v->cursor];
	if (!r->file || strncmp(r->file, ALLOWLISTS, strlen(ALLOWLISTS)) != 0 ||
	    !r->lineno || (r->origin != '+' && r->origin != ' ')) {
		app_status(v->app, "blame: put the cursor on a line of an "
			   "allowlist file");
		return REDRAW_BODY | REDRAW_STATUS;
	}
	if (!(dir = kb_dir(v)) ||
	    kb_blame_line(dir, d->id, r->file, r->lineno, &b) < 0 ||
	    blame_rows(d, v->cursor, &b) < 0)
		app_error(v->app, "blame: %s", err_msg());
	else
		app_status(v->app, "%s:%zu: written by %s%s%s",
			   d->r[v->cursor].file, d->r[v->cursor].lineno, b.author,
			   b.d_verdict ? ", from a decision: " : "",
			   b.d_verdict ? b.d_verdict : "");
	if (dir)
		kb_blame_dispose(&b);
	free(dir);
	v->nrows = d->n;
	return REDRAW_BODY | REDRAW_STATUS;
}

static unsigned
diff_act_reload(struct view *v)
{
	if (diff_refresh(v) < 0)
		app_error(v->app, "%s", err_msg());
	return REDRAW_ALL;
}

static const struct {
	enum action action;
	unsigned (*fn)(struct view *v);
} diff_actions[] = {
	{ ACTION_BLAME, diff_act_blame },
	{ ACTION_RELOAD, diff_act_reload },
};

static unsigned
diff_handle(struct view *v, enum action a)
{
	for (size_t i = 0; i < NELEM(diff_actions); i++)
		if (diff_actions[i].action == a)
			return diff_actions[i].fn(v);
	return REDRAW_PASS;
}

static unsigned
diff_search(struct view *v, const char *text)
{
	struct diffv *d = v->priv;

	for (size_t k = 1; text && *text && k <= d->n; k++) {
		size_t row = (v->cursor + k) % d->n;
		struct rline l;
		bool hit;

		rline_init(&l);
		render_text(&l, d->r[row].text, d->r[row].len, STYLE_NORMAL);
		hit = rline_contains(&l, text);
		rline_dispose(&l);
		if (hit) {
			v->cursor = row;
			app_show_row(v->app, v, row);
			return REDRAW_BODY;
		}
	}
	app_status(v->app, "\"%s\" not found", text ? text : "");
	return REDRAW_BODY | REDRAW_STATUS;
}

const struct view_ops view_history_diff_ops = {
	.name = "diff",
	.scope = KEYMAP_SCOPE_HISTORY,
	.empty = "no changes",
	.open = diff_open,
	.refresh = diff_refresh,
	.title = diff_title,
	.draw_row = diff_draw_row,
	.handle = diff_handle,
	.search = diff_search,
	.close = diff_close,
};
