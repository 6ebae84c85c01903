/* SPDX-License-Identifier: Apache-2.0 */
/* app: the console's main loop. Views fill styled lines; this lays them
 * out on the screen, reads keys (from the terminal or a script), runs the
 * prompts and keeps the status line. Curses stays behind tui/screen.h. */
#include "config.h"

#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/store.h"
#include "kb/kb.h"
#include "tui/app.h"
#include "tui/command.h"
#include "tui/follow.h"
#include "tui/model_job.h"
#include "tui/paths.h"
#include "tui/screen.h"
#include "tui/script.h"

#define APP_MAX_DEPTH 16
#define APP_INPUT_MAX 256        /* bytes typed at a prompt */
#define APP_TICK_MS 1000         /* idle wake-up to notice store changes */
/* The same while following: the follower's news shows within half a
 * second, and a steady stream reloads the queue at most twice a second. */
#define APP_FOLLOW_TICK_MS 500
/* A model's progress shows within a fifth of a second. */
#define APP_MODEL_TICK_MS 200
#define APP_SCRIPT_COLS 120
#define APP_SCRIPT_ROWS 40
#define APP_DEFAULT_THEME "default-dark"

enum prompt_kind { PROMPT_NONE, PROMPT_COMMAND, PROMPT_SEARCH };

/* What the store file looked like, to notice another process writing. */
struct stamp {
	long long mtime_ns, size;
};

struct app {
	struct store *st;
	struct app_opts o;
	struct keymap km;
	struct theme theme;
	struct screen *scr;
	struct view *stack[APP_MAX_DEPTH];
	size_t depth;
	char status[512];
	bool status_error;
	enum prompt_kind prompt;
	struct buf input, hint;
	char *queue_filter, *queue_sort;
	struct kb_data *kb;
	bool kb_tried;
	bool quit;
	unsigned dirty;
	struct stamp stamp[2];   /* the store and its -wal */
	int status_rows_drawn;
	bool idle_work;          /* views may have deferred work */
	struct follow *follow;   /* --follow: the background follower */
	struct model_job *job;   /* a model investigation running, or NULL */
	struct model_news job_news; /* its latest news */
	struct model_news job_last; /* how the last run ended */
	struct rline line;       /* scratch for drawing */
};

/* ---- small accessors ------------------------------------------------------ */

struct store *app_store(struct app *app) { return app->st; }
bool app_readonly(const struct app *app) { return app->o.readonly; }
const struct keymap *app_keymap(const struct app *app) { return &app->km; }
void app_quit(struct app *app) { app->quit = true; }
bool app_done(const struct app *app) { return app->quit; }
const char *app_queue_filter(const struct app *app) { return app->queue_filter; }
const char *app_queue_sort(const struct app *app) { return app->queue_sort; }

static int
width(const struct app *app)
{
	return screen_cols(app->scr);
}

static int
height(const struct app *app)
{
	return screen_rows(app->scr);
}

static struct view *
top(const struct app *app)
{
	return app->depth ? app->stack[app->depth - 1] : NULL;
}

enum keymap_scope
app_scope(const struct app *app)
{
	return top(app) ? top(app)->ops->scope : KEYMAP_SCOPE_GENERIC;
}

/* The status line takes two rows for a message too long for one. */
static int
status_rows(const struct app *app)
{
	struct buf b;
	size_t w;

	if (app->prompt || !app->status[0])
		return 1;
	buf_init(&b);
	w = render_escape(app->status, strlen(app->status), &b);
	buf_dispose(&b);
	return w + 12 > (size_t)width(app) ? 2 : 1;
}

/* The first body row on screen and how many there are. */
static int
body_y(const struct app *app)
{
	return top(app) && top(app)->ops->header ? 2 : 1;
}

size_t
app_body_rows(const struct app *app)
{
	int n = height(app) - body_y(app) - status_rows(app);

	return n > 0 ? (size_t)n : 0;
}

/* ---- status line ---------------------------------------------------------- */

static void
set_status(struct app *app, bool error, const char *fmt, va_list ap)
{
	vsnprintf(app->status, sizeof(app->status), fmt, ap);
	app->status_error = error;
	app->dirty |= REDRAW_STATUS;
}

void
app_status(struct app *app, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_status(app, false, fmt, ap);
	va_end(ap);
}

void
app_error(struct app *app, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_status(app, true, fmt, ap);
	va_end(ap);
}

bool
app_refuse_change(struct app *app, enum action a)
{
	if (!app->o.readonly)
		return false;
	app_error(app, "read-only: %s is refused (--readonly)",
		  keymap_action_name(a));
	return true;
}

/* ---- remembered settings -------------------------------------------------- */

static void
replace(char **slot, const char *value)
{
	free(*slot);
	*slot = value && *value ? strdup(value) : NULL;
}

static void
apply_queue(struct app *app)
{
	if (app->depth && app->stack[0]->ops == &view_queue_ops)
		view_queue_apply(app->stack[0]);
	app->dirty |= REDRAW_ALL;
}

void
app_set_queue_filter(struct app *app, const char *filter)
{
	replace(&app->queue_filter, filter);
	apply_queue(app);
}

void
app_set_queue_sort(struct app *app, const char *sort)
{
	replace(&app->queue_sort, sort);
	apply_queue(app);
}

/* The state file keeps the queue's filter and sort and the theme. */
static char *
state_path(void)
{
	char *dir = paths_state_dir(), *p = paths_join(dir, "console");

	free(dir);
	return p;
}

static void
state_load(struct app *app, char **theme)
{
	char *path = state_path(), line[600];
	FILE *f = path ? fopen(path, "r") : NULL;

	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ' ');

		line[strcspn(line, "\r\n")] = '\0';
		if (!v)
			continue;
		*v++ = '\0';
		if (strcmp(line, "filter") == 0)
			replace(&app->queue_filter, v);
		else if (strcmp(line, "sort") == 0)
			replace(&app->queue_sort, v);
		else if (strcmp(line, "theme") == 0)
			replace(theme, v);
	}
	if (f)
		fclose(f);
	free(path);
}

static void
state_save(struct app *app)
{
	char *dir = paths_state_dir(), *path = state_path();
	FILE *f;

	if (app->o.readonly || !dir || !path || paths_mkdir(dir) < 0)
		goto out;
	if (!(f = fopen(path, "w")))
		goto out;
	fprintf(f, "filter %s\nsort %s\ntheme %s\n",
		app->queue_filter ? app->queue_filter : "",
		app->queue_sort ? app->queue_sort : "",
		app->theme.name ? app->theme.name : "");
	fclose(f);
out:
	free(dir);
	free(path);
}

/* ---- the knowledge base --------------------------------------------------- */

static void
on_kb_diag(void *ctx, const char *msg)
{
	struct app *app = ctx;

	if (!app->status_error)
		app_error(app, "knowledge base: %s", msg);
}

const struct kb_data *
app_kb(struct app *app)
{
	char *dir;
	unsigned errors = 0;

	if (app->kb || app->kb_tried)
		goto out;
	app->kb_tried = true;
	dir = app->o.kb_dir ? strdup(app->o.kb_dir) : kb_default_dir();
	if (!dir || kb_load_dir(dir, on_kb_diag, app, &app->kb, &errors) < 0)
		app_error(app, "cannot load the knowledge base %s: %s",
			  dir ? dir : "", err_msg());
	free(dir);
out:
	return app->kb;
}

char *
app_kb_path(const struct app *app)
{
	return app->o.kb_dir ? strdup(app->o.kb_dir) : kb_default_dir();
}

void
app_kb_changed(struct app *app)
{
	kb_data_free(app->kb);
	app->kb = NULL;
	app->kb_tried = false;
}

/* ---- themes --------------------------------------------------------------- */

int
app_set_theme(struct app *app, const char *name)
{
	struct theme t;
	int rc = theme_load(name, &t);

	if (rc < 0) {
		theme_dispose(&t);
		return rc;
	}
	theme_dispose(&app->theme);
	app->theme = t;
	if (app->scr)
		screen_set_theme(app->scr, &app->theme);
	app->dirty = REDRAW_ALL;
	return 0;
}

/* The theme to start with: asked for, else saved, else the default; a
 * theme that fails falls back to the default and then to the built-in,
 * with the error kept for the status line. */
static void
choose_theme(struct app *app, const char *saved, char *err, size_t errsz)
{
	const char *tries[] = { app->o.theme, saved, APP_DEFAULT_THEME };

	err[0] = '\0';
	for (size_t i = 0; i < 3; i++) {
		if (!tries[i] || !*tries[i])
			continue;
		if (app_set_theme(app, tries[i]) == 0)
			return;
		if (!err[0])
			snprintf(err, errsz, "using the %s theme: %s",
				 i < 2 ? APP_DEFAULT_THEME : "built-in", err_msg());
	}
	theme_init_builtin(&app->theme);
}

/* ---- drawing -------------------------------------------------------------- */

static void
draw_title(struct app *app)
{
	struct view *v = top(app);
	struct rline *l = &app->line;

	rline_reset(l);
	render_str(l, " verdict ", STYLE_TITLE);
	render_glyph(l, GLYPH_SEP, STYLE_TITLE);
	render_str(l, " ", STYLE_TITLE);
	render_str(l, v->ops->name, STYLE_TITLE);
	render_str(l, " ", STYLE_TITLE);
	render_glyph(l, GLYPH_SEP, STYLE_TITLE);
	render_str(l, " ", STYLE_TITLE);
	if (v->ops->title)
		v->ops->title(v, l);
	if (app->o.readonly)
		render_str(l, "  [read-only]", STYLE_TITLE_COUNT);
	render_fit(l, (size_t)width(app));
	screen_line(app->scr, 0, l, 0, false, STYLE_TITLE);
}

static void
draw_body(struct app *app)
{
	struct view *v = top(app);
	size_t rows = app_body_rows(app);
	int y0 = body_y(app);
	struct rline *l = &app->line;

	/* No blank rows below the end while there are rows above the top. */
	if (v->top + rows > v->nrows)
		v->top = v->nrows > rows ? v->nrows - rows : 0;
	if (v->ops->header) {
		rline_reset(l);
		v->ops->header(v, (size_t)width(app), l);
		screen_line(app->scr, 1, l, v->hscroll, false, STYLE_HEADER);
	}
	for (size_t r = 0; r < rows; r++) {
		size_t row = v->top + r;

		rline_reset(l);
		if (row < v->nrows) {
			v->ops->draw_row(v, row, (size_t)width(app), l);
		} else if (row == 0 && v->ops->empty) {
			render_str(l, "  ", STYLE_NORMAL);
			render_str(l, v->ops->empty, STYLE_DIM);
		}
		screen_line(app->scr, y0 + (int)r, l, v->hscroll,
			  !v->scroll_only && row == v->cursor && row < v->nrows,
			  STYLE_NORMAL);
	}
}

static void
draw_status(struct app *app)
{
	struct view *v = top(app);
	struct rline *l = &app->line;
	char pos[64];
	int y = height(app) - 1;

	rline_reset(l);
	if (app->prompt) {
		render_str(l, app->prompt == PROMPT_COMMAND ? ":" : "/", STYLE_PROMPT);
		render_text(l, app->input.data ? app->input.data : "", app->input.len,
			    STYLE_PROMPT);
		{
			size_t cx = l->width;

			if (app->hint.len) {
				render_str(l, "   ", STYLE_STATUS);
				render_text(l, app->hint.data, app->hint.len, STYLE_DIM);
			}
			render_fit(l, (size_t)width(app));
			screen_line(app->scr, y, l, 0, false, STYLE_STATUS);
			screen_cursor(app->scr, y, (int)cx);
		}
		return;
	}
	screen_cursor(app->scr, -1, 0);
	if (app->status[0])
		render_str(l, app->status, app->status_error ? STYLE_ERROR : STYLE_STATUS);
	else
		render_str(l, "? help  : command  / search  q back", STYLE_DIM);
	if (v->scroll_only)
		snprintf(pos, sizeof(pos), "  %zu-%zu/%zu", v->nrows ? v->top + 1 : 0,
			 v->top + app_body_rows(app) < v->nrows
				 ? v->top + app_body_rows(app) : v->nrows, v->nrows);
	else
		snprintf(pos, sizeof(pos), "  %zu/%zu", v->nrows ? v->cursor + 1 : 0,
			 v->nrows);
	if (status_rows(app) == 2) {
		/* A long message takes a second row rather than losing its end. */
		struct rline *lines = NULL;
		size_t n = 0;

		if (rline_wrap(l, (size_t)width(app), 0, &lines, &n) == 0 && n) {
			screen_line(app->scr, y - 1, &lines[0], 0, false, STYLE_STATUS);
			rline_reset(l);
			for (size_t i = 1; i < n; i++)
				rline_append(l, &lines[i]);
		}
		for (size_t i = 0; i < n; i++)
			rline_dispose(&lines[i]);
		free(lines);
	}
	if (l->width + strlen(pos) < (size_t)width(app)) {
		render_pad(l, (size_t)width(app) - strlen(pos), STYLE_STATUS);
		render_str(l, pos, STYLE_STATUS);
	}
	render_fit(l, (size_t)width(app));
	screen_line(app->scr, y, l, 0, false, STYLE_STATUS);
}

static void
draw(struct app *app)
{
	int srows = status_rows(app);

	if (srows != app->status_rows_drawn)
		app->dirty = REDRAW_ALL;
	app->status_rows_drawn = srows;
	if (!app->dirty || !top(app))
		return;
	if (height(app) < 4 || width(app) < 20) {
		struct rline *l = &app->line;

		screen_erase(app->scr);
		rline_reset(l);
		render_str(l, "terminal too small", STYLE_ERROR);
		screen_line(app->scr, 0, l, 0, false, STYLE_NORMAL);
	} else {
		if (app->dirty & REDRAW_TITLE)
			draw_title(app);
		if (app->dirty & REDRAW_BODY)
			draw_body(app);
		draw_status(app);
	}
	screen_flush(app->scr);
	app->dirty = 0;
}

/* ---- moving --------------------------------------------------------------- */

void
app_show_row(struct app *app, struct view *v, size_t row)
{
	size_t rows = app_body_rows(app);

	if (!rows)
		return;
	if (row < v->top)
		v->top = row;
	else if (row >= v->top + rows)
		v->top = row - rows + 1;
}

static bool
selectable(struct view *v, size_t row)
{
	return row < v->nrows && (!v->ops->selectable || v->ops->selectable(v, row));
}

/* Move the cursor by delta rows to a row it may rest on: the nearest in
 * the direction of travel, else the nearest behind. */
static unsigned
move_cursor(struct app *app, struct view *v, long delta)
{
	long n = (long)v->nrows, want = (long)v->cursor + delta;

	if (!n)
		return REDRAW_NONE;
	if (v->scroll_only) {
		long max = n - (long)app_body_rows(app);

		want = (long)v->top + delta;
		if (want > max)
			want = max;
		if (want < 0)
			want = 0;
		v->top = (size_t)want;
		return REDRAW_BODY | REDRAW_STATUS;
	}
	if (want < 0)
		want = 0;
	if (want >= n)
		want = n - 1;
	for (long r = want; r >= 0 && r < n; r += delta < 0 ? -1 : 1)
		if (selectable(v, (size_t)r)) {
			v->cursor = (size_t)r;
			goto show;
		}
	for (long r = want; r >= 0 && r < n; r += delta < 0 ? 1 : -1)
		if (selectable(v, (size_t)r)) {
			v->cursor = (size_t)r;
			goto show;
		}
	return REDRAW_NONE;
show:
	/* Pages move the view with the cursor, as in less. */
	if (delta > 1 || delta < -1) {
		long t = (long)v->top + delta;

		v->top = t < 0 ? 0 : (size_t)t;
		if (v->top > v->cursor)
			v->top = v->cursor;
	}
	app_show_row(app, v, v->cursor);
	return REDRAW_BODY | REDRAW_STATUS;
}

static long
page(const struct app *app)
{
	long rows = (long)app_body_rows(app);

	return rows > 1 ? rows - 1 : 1;
}

static unsigned mv_down(struct app *a, struct view *v) { return move_cursor(a, v, 1); }
static unsigned mv_up(struct app *a, struct view *v) { return move_cursor(a, v, -1); }
static unsigned mv_pgdn(struct app *a, struct view *v) { return move_cursor(a, v, page(a)); }
static unsigned mv_pgup(struct app *a, struct view *v) { return move_cursor(a, v, -page(a)); }
static unsigned mv_halfdn(struct app *a, struct view *v)
{ return move_cursor(a, v, page(a) / 2 + 1); }
static unsigned mv_halfup(struct app *a, struct view *v)
{ return move_cursor(a, v, -(page(a) / 2 + 1)); }

static unsigned
mv_first(struct app *a, struct view *v)
{
	v->top = 0;
	return move_cursor(a, v, -(long)v->nrows - 1) | REDRAW_BODY;
}

static unsigned
mv_last(struct app *a, struct view *v)
{
	return move_cursor(a, v, (long)v->nrows + 1);
}

static unsigned
mv_left(struct app *a, struct view *v)
{
	(void)a;
	v->hscroll = v->hscroll > 8 ? v->hscroll - 8 : 0;
	return REDRAW_BODY;
}

static unsigned
mv_right(struct app *a, struct view *v)
{
	(void)a;
	v->hscroll += 8;
	return REDRAW_BODY;
}

static const struct {
	enum action action;
	unsigned (*fn)(struct app *app, struct view *v);
} moves[] = {
	{ ACTION_MOVE_DOWN, mv_down }, { ACTION_MOVE_UP, mv_up },
	{ ACTION_PAGE_DOWN, mv_pgdn }, { ACTION_PAGE_UP, mv_pgup },
	{ ACTION_HALF_DOWN, mv_halfdn }, { ACTION_HALF_UP, mv_halfup },
	{ ACTION_FIRST, mv_first }, { ACTION_LAST, mv_last },
	{ ACTION_SCROLL_LEFT, mv_left }, { ACTION_SCROLL_RIGHT, mv_right },
};

/* ---- the view stack ------------------------------------------------------- */

static void
free_view(struct view *v)
{
	if (!v)
		return;
	if (v->ops->close)
		v->ops->close(v);
	free(v);
}

void
app_push(struct app *app, const struct view_ops *ops, const char *arg)
{
	struct view *v;

	if (app->depth == APP_MAX_DEPTH) {
		app_error(app, "too many views open: go back first");
		return;
	}
	if (!(v = calloc(1, sizeof(*v)))) {
		app_error(app, "out of memory");
		return;
	}
	v->ops = ops;
	v->app = app;
	err_clear();
	if (ops->open(v, arg) < 0) {
		app_error(app, "%s", err_msg());
		free_view(v);
		return;
	}
	if (ops->resize)
		ops->resize(v, (size_t)width(app));
	if (!selectable(v, v->cursor))
		move_cursor(app, v, 1);
	app->stack[app->depth++] = v;
	app->dirty = REDRAW_ALL;
	app->idle_work = true;
}

/* Give each view its deferred work; true when one of them did some. */
static bool
run_idle(struct app *app)
{
	bool worked = false;

	for (size_t i = 0; i < app->depth; i++) {
		struct view *v = app->stack[i];
		unsigned r = v->ops->idle ? v->ops->idle(v) : REDRAW_NONE;

		if (r != REDRAW_NONE) {
			worked = true;
			if (v == top(app))
				app->dirty |= r;
			else
				app->dirty |= REDRAW_TITLE;
		}
	}
	return worked;
}

void
app_idle(struct app *app)
{
	while (app->idle_work)
		app->idle_work = run_idle(app);
}

static void
pop(struct app *app)
{
	if (app->depth <= 1)
		return;
	free_view(app->stack[--app->depth]);
	app->dirty = REDRAW_ALL;
}

/* ---- app-wide actions ----------------------------------------------------- */

static unsigned
act_back(struct app *app)
{
	if (app->depth > 1)
		pop(app);
	return REDRAW_ALL;
}

static unsigned
act_close(struct app *app)
{
	if (app->depth > 1)
		pop(app);
	else
		app->quit = true;
	return REDRAW_ALL;
}

static unsigned
act_quit(struct app *app)
{
	app->quit = true;
	return REDRAW_NONE;
}

static unsigned
act_help(struct app *app)
{
	if (top(app)->ops != &view_help_ops)
		app_push(app, &view_help_ops, keymap_scope_name(app_scope(app)));
	return REDRAW_ALL;
}

static unsigned
start_prompt(struct app *app, enum prompt_kind kind, const char *text)
{
	app->prompt = kind;
	buf_reset(&app->input);
	buf_reset(&app->hint);
	if (text)
		buf_adds(&app->input, text);
	return REDRAW_STATUS;
}

static unsigned
act_command(struct app *app)
{
	return start_prompt(app, PROMPT_COMMAND, NULL);
}

unsigned
app_prompt(struct app *app, const char *text)
{
	return start_prompt(app, PROMPT_COMMAND, text);
}

static unsigned
act_search(struct app *app)
{
	if (!top(app)->ops->search) {
		app_status(app, "nothing to search here");
		return REDRAW_STATUS;
	}
	/* The queue's filter is remembered: edit it rather than retype it. */
	return start_prompt(app, PROMPT_SEARCH,
			    top(app)->ops == &view_queue_ops ? app->queue_filter
							      : NULL);
}

static unsigned
act_redraw(struct app *app)
{
	screen_repaint(app->scr);
	return REDRAW_ALL;
}

static unsigned
act_cancel(struct app *app)
{
	app_model_cancel(app);
	return REDRAW_STATUS;
}

static const struct {
	enum action action;
	unsigned (*fn)(struct app *app);
} app_actions[] = {
	{ ACTION_CANCEL, act_cancel },
	{ ACTION_BACK, act_back },
	{ ACTION_CLOSE, act_close },
	{ ACTION_QUIT, act_quit },
	{ ACTION_HELP, act_help },
	{ ACTION_COMMAND, act_command },
	{ ACTION_SEARCH, act_search },
	{ ACTION_REDRAW, act_redraw },
};

static unsigned
run_action(struct app *app, enum action a)
{
	struct view *v = top(app);
	unsigned r;

	if (keymap_action_changes(a) && app_refuse_change(app, a))
		return REDRAW_STATUS;
	for (size_t i = 0; i < sizeof(app_actions) / sizeof(app_actions[0]); i++)
		if (app_actions[i].action == a)
			return app_actions[i].fn(app);
	r = v->ops->handle ? v->ops->handle(v, a) : REDRAW_PASS;
	if (!(r & REDRAW_PASS))
		return r;
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if (moves[i].action == a)
			return moves[i].fn(app, v);
	return REDRAW_NONE;
}

/* ---- the prompt ----------------------------------------------------------- */

static void
input_add(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	if (b->len + n <= APP_INPUT_MAX)
		buf_add(b, u, n);
}

/* Remove the last character (UTF-8 aware), or the last word. */
static void
input_erase(struct buf *b, bool word)
{
	while (word && b->len && b->data[b->len - 1] == ' ')
		b->len--;
	while (b->len) {
		char c = b->data[--b->len];

		if (word ? (b->len && b->data[b->len - 1] == ' ')
			 : ((unsigned char)c & 0xC0) != 0x80)
			break;
	}
	if (b->data)
		b->data[b->len] = '\0';
}

static void
prompt_key(struct app *app, int key)
{
	char *text;

	app->dirty |= REDRAW_STATUS;
	if (key == KEYMAP_ESC) {
		app->prompt = PROMPT_NONE;
		return;
	}
	if (key == KEYMAP_ENTER || key == '\n') {
		enum prompt_kind kind = app->prompt;
		struct view *v = top(app);

		app->prompt = PROMPT_NONE;
		app->status[0] = '\0';
		text = strdup(app->input.data ? app->input.data : "");
		if (!text)
			return;
		if (kind == PROMPT_COMMAND)
			app->dirty |= command_run(app, text);
		else if (v->ops->search)
			app->dirty |= v->ops->search(v, text);
		free(text);
		return;
	}
	if (key == KEYMAP_BACKSPACE || key == 127 || key == 8) {
		if (!app->input.len)
			app->prompt = PROMPT_NONE;
		input_erase(&app->input, false);
	} else if (key == KEYMAP_CTRL('w')) {
		input_erase(&app->input, true);
	} else if (key == KEYMAP_CTRL('u')) {
		buf_reset(&app->input);
	} else if (key == KEYMAP_TAB && app->prompt == PROMPT_COMMAND) {
		if (!command_complete(app, &app->input, &app->hint))
			buf_reset(&app->hint);
		return;
	} else if (key >= 0x20 && key < 0x110000 && key != 0x7F &&
		   !(key >= 0x80 && key <= 0x9F)) {
		input_add(&app->input, (unsigned)key);
	}
	buf_reset(&app->hint);
}

void
app_command(struct app *app, const char *line)
{
	app->dirty |= command_run(app, line);
}

void
app_key(struct app *app, int key)
{
	struct view *v = top(app);
	enum action a;

	if (key == KEYMAP_RESIZE) {
		app_resize(app, width(app), height(app));
		return;
	}
	if (app->prompt) {
		prompt_key(app, key);
		return;
	}
	if (app->status[0]) {
		app->status[0] = '\0';
		app->dirty |= REDRAW_STATUS;
	}
	a = keymap_lookup(&app->km, v->ops->scope, key);
	if (a == ACTION_NONE) {
		char name[16];

		app_status(app, "%s does nothing here (? lists the keys)",
			   keymap_key_name(key, name, sizeof(name)));
		return;
	}
	app->dirty |= run_action(app, a);
	/* The view may have lost rows: keep the cursor and top in range. */
	v = top(app);
	if (v && v->nrows && v->cursor >= v->nrows)
		v->cursor = v->nrows - 1;
	if (v && v->top >= v->nrows && v->nrows)
		v->top = v->nrows - 1;
}

/* ---- terminal ------------------------------------------------------------- */

int
app_resize(struct app *app, int ncols, int nrows)
{
	int rc = screen_resize(app->scr, ncols, nrows);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < app->depth; i++) {
		struct view *v = app->stack[i];

		if (v->ops->resize)
			v->ops->resize(v, (size_t)width(app));
		if (v->cursor >= v->nrows && v->nrows)
			v->cursor = v->nrows - 1;
		if (!v->scroll_only)
			app_show_row(app, v, v->cursor);
	}
	app->dirty = REDRAW_ALL;
	return 0;
}

/* The store's files changed since the last look: another process wrote. */
static bool
store_changed(struct app *app)
{
	const char *suffix[2] = { "", "-wal" };
	bool changed = false;

	for (int i = 0; i < 2 && app->o.db; i++) {
		char path[4096];
		struct stat sb;
		struct stamp s = { 0, 0 };

		snprintf(path, sizeof(path), "%s%s", app->o.db, suffix[i]);
		if (stat(path, &sb) == 0)
			s = (struct stamp){ (long long)sb.st_mtim.tv_sec * 1000000000LL +
					    sb.st_mtim.tv_nsec, (long long)sb.st_size };
		changed = changed || s.mtime_ns != app->stamp[i].mtime_ns ||
			  s.size != app->stamp[i].size;
		app->stamp[i] = s;
	}
	return changed;
}

/* Idle: refresh the queue when the store changed under us, so its counts
 * stay live. */
static void
tick(struct app *app)
{
	struct view *q = app->stack[0];

	if (!store_changed(app))
		return;
	if (q->ops->refresh(q) < 0)
		app_error(app, "%s", err_msg());
	app->dirty |= top(app) == q ? REDRAW_ALL : REDRAW_NONE;
}

/* Show what the follower stored since the last look: the queue reloads
 * (its counts with it) and the status line says what came in. */
static bool
follow_check(struct app *app)
{
	struct follow_news n;
	struct view *q = app->stack[0];

	if (!follow_poll(app->follow, &n))
		return false;
	store_changed(app);
	if (q->ops->refresh(q) < 0) {
		app_error(app, "%s", err_msg());
		return true;
	}
	app->dirty |= top(app) == q ? REDRAW_ALL : REDRAW_TITLE;
	if (n.error[0])
		app_error(app, "follow: %s", n.error);
	else
		app_status(app, "follow: %llu events, %llu new threats, %llu "
			   "investigated%s", (unsigned long long)n.events,
			   (unsigned long long)n.threats,
			   (unsigned long long)n.investigated,
			   n.rejected ? " (some records rejected)" : "");
	return true;
}

/* ---- the model's investigation in the background ---------------------- */

int
app_model_start(struct app *app, const char *id)
{
	char *kb;
	int rc;

	if (app->job) {
		app_error(app, "the model is investigating %s; x cancels it",
			  model_job_threat(app->job));
		return ERR_USAGE;
	}
	if (app->o.readonly) {
		app_error(app, "read-only: %s is refused (--readonly)",
			  keymap_action_name(ACTION_MODEL_RUN));
		return ERR_READONLY;
	}
	if (!(kb = app_kb_path(app)))
		return ERR_NOMEM;
	rc = model_job_start(app->o.db, kb, id, &app->job);
	free(kb);
	if (rc < 0) {
		app_error(app, "model: %s", err_msg());
		return rc;
	}
	memset(&app->job_news, 0, sizeof(app->job_news));
	app_status(app, "model: investigating %s (x cancels)", id);
	return 0;
}

void
app_model_cancel(struct app *app)
{
	if (!app->job) {
		app_status(app, "no model investigation is running");
		return;
	}
	model_job_cancel(app->job);
	app_status(app, "model: cancelling %s", model_job_threat(app->job));
}

bool
app_model_progress(struct app *app, const char *id, char *buf, size_t n)
{
	if (!app->job || strcmp(model_job_threat(app->job), id) != 0)
		return false;
	snprintf(buf, n, "%s; %zu step%s, %ld tokens so far",
		 app->job_news.progress[0] ? app->job_news.progress
		 : "starting", app->job_news.steps,
		 app->job_news.steps == 1 ? "" : "s", app->job_news.tokens);
	return true;
}

const char *
app_model_busy(const struct app *app)
{
	return app->job ? model_job_threat(app->job) : NULL;
}

bool
app_model_last_error(const struct app *app, const char *id, char *buf,
		     size_t n)
{
	if (!app->job_last.finished || app->job_last.rc >= 0 ||
	    strcmp(app->job_last.threat, id) != 0)
		return false;
	snprintf(buf, n, "%s", app->job_last.error);
	return true;
}

/* Show the job's news; when it is over, say how it ended and let the view
 * on top read the store again. */
static bool
model_check(struct app *app)
{
	struct model_news *n = &app->job_news;
	struct view *v = top(app);

	if (!model_job_poll(app->job, n))
		return false;
	if (!n->finished)
		app_status(app, "model: %s: %s (x cancels)", n->threat,
			   n->progress);
	else if (n->rc < 0)
		app_error(app, "model: %s: %s", n->threat, n->error);
	else
		app_status(app, "model: %s: %s; playbook %s: %s", n->threat,
			   n->verdict, n->playbook, n->agrees ? "agrees"
			   : "DISAGREES (the playbook verdict stands)");
	if (n->finished) {
		app->job_last = *n;
		model_job_free(app->job);
		app->job = NULL;
		/* Every view above the queue may show the model's verdict. */
		for (size_t i = app->depth; i-- > 1;)
			if (app->stack[i]->ops->refresh &&
			    app->stack[i]->ops->refresh(app->stack[i]) < 0)
				app_error(app, "%s", err_msg());
	} else if (v->ops == &view_model_ops && v->ops->refresh(v) < 0) {
		app_error(app, "%s", err_msg());
	}
	app->dirty |= REDRAW_ALL;
	return true;
}

void
app_wait(struct app *app, unsigned ms)
{
	struct timespec step = { 0, 20 * 1000000L };

	for (unsigned waited = 0; waited < ms; waited += 20) {
		if (follow_check(app) || model_check(app))
			return;
		nanosleep(&step, NULL);
	}
	if (!follow_check(app))
		tick(app);
}

void
app_draw(struct app *app)
{
	draw(app);
}

int
app_dump(struct app *app, const char *path)
{
	draw(app);
	return screen_dump(app->scr, path);
}

/* ---- the loop ------------------------------------------------------------- */

static void
run_terminal(struct app *app)
{
	while (!app->quit) {
		int key;

		draw(app);
		/* Deferred work waits for a frame on screen and for no key. */
		key = screen_key(app->scr, app->idle_work ? 0
				 : app->job ? APP_MODEL_TICK_MS
				 : app->follow ? APP_FOLLOW_TICK_MS : APP_TICK_MS);
		if (key >= 0)
			app_key(app, key);
		else if (app->idle_work)
			app->idle_work = run_idle(app);
		else if (!follow_check(app) && !model_check(app))
			tick(app);
	}
}

static void
app_dispose(struct app *app)
{
	while (app->depth)
		free_view(app->stack[--app->depth]);
	keymap_dispose(&app->km);
	theme_dispose(&app->theme);
	buf_dispose(&app->input);
	buf_dispose(&app->hint);
	rline_dispose(&app->line);
	free(app->queue_filter);
	free(app->queue_sort);
	kb_data_free(app->kb);
}

/* Key bindings: the bundled file must load; the user's may fail, which
 * is reported on the status line. */
static int
load_keys(struct app *app, char *note, size_t notesz)
{
	char *path = paths_data(PATHS_KEYS), *cfg, *user;
	int rc;

	rc = path ? keymap_load_file(&app->km, path)
		  : err_set(ERR_NOMEM, "out of memory");
	free(path);
	if (rc < 0)
		return rc;
	cfg = paths_config_dir();
	user = paths_join(cfg, "keys");
	if (user && paths_exists(user) && keymap_load_file(&app->km, user) < 0)
		snprintf(note, notesz, "%s", err_msg());
	free(user);
	free(cfg);
	return 0;
}

int
app_run(struct store *st, const struct app_opts *opts)
{
	struct app app;
	char *saved_theme = NULL, theme_note[512], keys_note[512], term_note[256];
	FILE *script = NULL;
	int rc;

	memset(&app, 0, sizeof(app));
	app.st = st;
	app.o = *opts;
	keymap_init(&app.km);
	buf_init(&app.input);
	buf_init(&app.hint);
	rline_init(&app.line);
	keys_note[0] = '\0';
	render_set_ascii(strcmp(nl_langinfo(CODESET), "UTF-8") != 0);
	if ((rc = load_keys(&app, keys_note, sizeof(keys_note))) < 0)
		goto out;
	if (opts->script && !(script = fopen(opts->script, "r"))) {
		rc = err_set(ERR_IO, "%s: cannot read the script", opts->script);
		goto out;
	}
	if (!app.o.fresh)
		state_load(&app, &saved_theme);
	choose_theme(&app, saved_theme, theme_note, sizeof(theme_note));
	if ((rc = screen_open(opts->script != NULL, APP_SCRIPT_COLS,
			      APP_SCRIPT_ROWS, term_note, sizeof(term_note),
			      &app.scr)) < 0)
		goto out;
	screen_set_theme(app.scr, &app.theme);
	store_changed(&app);
	app_push(&app, &view_queue_ops, NULL);
	if (!app.depth) {
		rc = err_set(ERR_STORE, "%s", app.status);
		goto out;
	}
	if (opts->open_threat)
		app_push(&app, &view_investigation_ops, opts->open_threat);
	/* Problems found while starting, most important last. */
	if (term_note[0])
		app_error(&app, "%s", term_note);
	if (theme_note[0])
		app_error(&app, "%s", theme_note);
	if (keys_note[0])
		app_error(&app, "%s", keys_note);
	/* The follower writes through a connection of its own, so the queue
	 * is on screen before the first thing it stores. */
	if (opts->nfollow && (rc = follow_start(opts->db, opts->kb_dir,
						opts->follow, opts->nfollow,
						&app.follow)) < 0)
		goto out;
	app.dirty = REDRAW_ALL;
	if (script)
		rc = script_run(&app, script, opts->script);
	else
		run_terminal(&app);
	if (!app.o.fresh)
		state_save(&app);
out:
	/* Stopped first: it must not outlive the store or the terminal. */
	follow_stop(app.follow);
	model_job_free(app.job);
	screen_close(app.scr);
	if (script)
		fclose(script);
	free(saved_theme);
	app_dispose(&app);
	return rc;
}
