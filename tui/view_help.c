/* SPDX-License-Identifier: Apache-2.0 */
/* view_help: `?`: the keys of the view it was opened from and the :
 * commands, generated from the action table and the bindings in force. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "tui/app.h"
#include "tui/command.h"
#include "tui/view.h"

struct help {
	enum keymap_scope scope;
	struct rline *lines;
	size_t n, cap;
};

static struct rline *
add_line(struct help *h)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct rline *g = realloc(h->lines, cap * sizeof(*g));

		if (!g)
			return NULL;
		h->lines = g;
		h->cap = cap;
	}
	rline_init(&h->lines[h->n]);
	return &h->lines[h->n++];
}

/* One section: the actions bound in scope (or generically, when generic
 * is true), in the action table's order. */
static void
add_keys(struct help *h, const struct keymap *km, enum keymap_scope scope,
	 bool generic, bool readonly)
{
	for (int a = 1; a < ACTION_COUNT; a++) {
		char keys[128];
		struct rline *l;
		bool scoped = false;

		if (!keymap_keys_for(km, scope, (enum action)a, keys, sizeof(keys)))
			continue;
		/* Split between the view's own section and the generic one. */
		for (size_t i = 0; i < km->n; i++)
			if (km->b[i].action == (enum action)a && km->b[i].scope == scope)
				scoped = scope != KEYMAP_SCOPE_GENERIC;
		if (scoped == generic)
			continue;
		if (!(l = add_line(h)))
			return;
		render_str(l, "  ", STYLE_NORMAL);
		render_cell(l, keys, 22, false, STYLE_HELP_KEY);
		render_str(l, " ", STYLE_NORMAL);
		render_cell(l, keymap_action_name((enum action)a), 18, false,
			    STYLE_NORMAL);
		render_str(l, " ", STYLE_NORMAL);
		render_str(l, keymap_action_help((enum action)a), STYLE_DIM);
		if (readonly && keymap_action_changes((enum action)a))
			render_str(l, " (refused: read-only)", STYLE_ERROR);
	}
}

static void
heading(struct help *h, const char *text)
{
	struct rline *l = add_line(h);

	if (l)
		render_str(l, text, STYLE_HEADER);
}

static int
help_refresh(struct view *v)
{
	struct help *h = v->priv;
	const struct keymap *km = app_keymap(v->app);
	bool ro = app_readonly(v->app);
	struct rline *l;

	for (size_t i = 0; i < h->n; i++)
		rline_dispose(&h->lines[i]);
	h->n = 0;
	if (h->scope != KEYMAP_SCOPE_GENERIC) {
		struct rline *t = add_line(h);

		if (t) {
			render_str(t, "Keys in the ", STYLE_HEADER);
			render_str(t, keymap_scope_name(h->scope), STYLE_HEADER);
			render_str(t, " view", STYLE_HEADER);
		}
		add_keys(h, km, h->scope, false, ro);
		add_line(h);
	}
	heading(h, "Keys in every view");
	add_keys(h, km, h->scope, true, ro);
	add_line(h);
	heading(h, "Commands (: then Tab completes)");
	for (size_t i = 0; command_table[i].name; i++) {
		if (!(l = add_line(h)))
			break;
		render_str(l, "  :", STYLE_HELP_KEY);
		render_str(l, command_table[i].name, STYLE_HELP_KEY);
		render_str(l, " ", STYLE_NORMAL);
		render_str(l, command_table[i].args, STYLE_HELP_KEY);
		render_pad(l, 28, STYLE_NORMAL);
		render_str(l, " ", STYLE_NORMAL);
		render_str(l, command_table[i].help, STYLE_DIM);
	}
	add_line(h);
	if ((l = add_line(h)))
		render_str(l, "Bindings: keys.default, then $XDG_CONFIG_HOME/verdict/"
			   "keys (`bind VIEW KEY ACTION`).", STYLE_DIM);
	v->nrows = h->n;
	return 0;
}

static int
help_open(struct view *v, const char *arg)
{
	struct help *h = calloc(1, sizeof(*h));
	int s = arg ? keymap_scope_by_name(arg) : -1;

	if (!h)
		return err_set(ERR_NOMEM, "out of memory");
	h->scope = s < 0 ? KEYMAP_SCOPE_GENERIC : (enum keymap_scope)s;
	v->priv = h;
	v->scroll_only = true;
	return help_refresh(v);
}

static void
help_close(struct view *v)
{
	struct help *h = v->priv;

	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		rline_dispose(&h->lines[i]);
	free(h->lines);
	free(h);
	v->priv = NULL;
}

static void
help_title(struct view *v, struct rline *out)
{
	struct help *h = v->priv;

	render_str(out, keymap_scope_name(h->scope), STYLE_TITLE);
}

static void
help_draw_row(struct view *v, size_t row, size_t width, struct rline *out)
{
	struct help *h = v->priv;

	(void)width;
	rline_append(out, &h->lines[row]);
}

static unsigned
help_handle(struct view *v, enum action a)
{
	(void)v;
	(void)a;
	return REDRAW_PASS;
}

const struct view_ops view_help_ops = {
	.name = "help",
	.scope = KEYMAP_SCOPE_HELP,
	.open = help_open,
	.refresh = help_refresh,
	.title = help_title,
	.draw_row = help_draw_row,
	.handle = help_handle,
	.close = help_close,
};
