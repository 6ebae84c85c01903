/* SPDX-License-Identifier: Apache-2.0 */
/* view_blast: the blast radius of a threat's actor as a tree: what its
 * policies allow it to reach, how it could escalate, which roles it can
 * assume, and what it touched. Branches fold and unfold. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/blast.h"
#include "core/error.h"
#include "core/store.h"
#include "core/threat.h"
#include "tui/app.h"
#include "tui/view.h"

/* Branches with more children than this start folded. */
#define FOLD_OVER 25

struct bnode {
	struct rline label;
	int depth;           /* 0 for the principal */
	size_t parent;       /* index, the root is its own parent */
	size_t nchild;
	bool last;           /* the last of its siblings */
	bool open;
};

struct blastv {
	char *id;            /* the threat */
	char *principal;
	struct bnode *nodes; /* in pre-order */
	size_t n, cap;
	size_t *visible;     /* indexes of nodes whose ancestors are open */
	size_t nvisible;
};

/* ---- the tree ------------------------------------------------------------- */

static struct bnode *
add_node(struct blastv *b, size_t parent, int depth)
{
	struct bnode *nd;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct bnode *g = realloc(b->nodes, cap * sizeof(*g));

		if (!g)
			return NULL;
		b->nodes = g;
		b->cap = cap;
	}
	nd = &b->nodes[b->n];
	memset(nd, 0, sizeof(*nd));
	rline_init(&nd->label);
	nd->depth = depth;
	nd->parent = parent;
	nd->open = true;
	if (b->n != parent)
		b->nodes[parent].nchild++;
	b->n++;
	return nd;
}

static size_t
add_text(struct blastv *b, size_t parent, const char *text, enum style st)
{
	struct bnode *nd = add_node(b, parent, b->n ? b->nodes[parent].depth + 1 : 0);

	if (!nd)
		return parent;
	render_str(&nd->label, text, st);
	return b->n - 1;
}

/* A group of strings under a heading: "Reach (12)". */
static void
add_group(struct blastv *b, const cJSON *obj, const char *key,
	  const char *heading, enum style st, bool open)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key), *e;
	char head[96];
	size_t g;
	int n = cJSON_GetArraySize(a);

	snprintf(head, sizeof(head), "%s (%d)", heading, n);
	g = add_text(b, 0, head, STYLE_HEADER);
	cJSON_ArrayForEach(e, a)
		if (cJSON_IsString(e))
			add_text(b, g, e->valuestring, st);
	b->nodes[g].open = open && n <= FOLD_OVER;
}

static void
add_paths(struct blastv *b, const cJSON *obj)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, "paths"), *p;
	char head[96];
	size_t g;

	snprintf(head, sizeof(head), "Escalation paths (%d)", cJSON_GetArraySize(a));
	g = add_text(b, 0, head, STYLE_HEADER);
	cJSON_ArrayForEach(p, a) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "name");
		const cJSON *desc = cJSON_GetObjectItemCaseSensitive(p, "description");
		const cJSON *via = cJSON_GetObjectItemCaseSensitive(p, "via");
		size_t k = add_text(b, g, cJSON_IsString(name) ? name->valuestring
							       : "?", STYLE_SEV_HIGH);

		if (cJSON_IsString(desc))
			add_text(b, k, desc->valuestring, STYLE_NORMAL);
		if (cJSON_IsString(via)) {
			struct bnode *nd = add_node(b, k, b->nodes[k].depth + 1);

			if (nd) {
				render_str(&nd->label, "via ", STYLE_DIM);
				render_str(&nd->label, via->valuestring, STYLE_NORMAL);
			}
		}
	}
}

/* Mark each node that is the last of its siblings. */
static void
mark_last(struct blastv *b)
{
	for (size_t i = 0; i < b->n; i++) {
		b->nodes[i].last = true;
		for (size_t j = i + 1; j < b->n && b->nodes[j].depth >= b->nodes[i].depth;
		     j++)
			if (b->nodes[j].depth == b->nodes[i].depth) {
				b->nodes[i].last = false;
				break;
			}
	}
}

static void
build_tree(struct blastv *b, const cJSON *obj)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");
	struct bnode *root;

	root = add_node(b, 0, 0);
	if (!root)
		return;
	render_str(&root->label, b->principal ? b->principal : "unknown principal",
		   STYLE_LINK);
	if (cJSON_IsString(kind)) {
		render_str(&root->label, "  ", STYLE_NORMAL);
		render_str(&root->label, kind->valuestring, STYLE_DIM);
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "admin")))
		render_str(&root->label, "  admin-equivalent", STYLE_SEV_CRITICAL);
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(obj, "known")))
		render_str(&root->label, "  not found in the identity data",
			   STYLE_DIM);
	add_group(b, obj, "reach", "Reach", STYLE_NORMAL, true);
	add_group(b, obj, "touched", "Touched", STYLE_SEV_MEDIUM, true);
	add_paths(b, obj);
	add_group(b, obj, "assumable", "Assumable roles", STYLE_NORMAL, true);
	add_group(b, obj, "allowed", "Allowed actions", STYLE_NORMAL, false);
	add_group(b, obj, "policies", "Policies", STYLE_NORMAL, false);
	mark_last(b);
}

static void
compute_visible(struct view *v)
{
	struct blastv *b = v->priv;
	size_t *vis = realloc(b->visible, (b->n ? b->n : 1) * sizeof(*vis));

	if (!vis)
		return;
	b->visible = vis;
	b->nvisible = 0;
	for (size_t i = 0; i < b->n; i++) {
		bool shown = true;

		for (size_t p = b->nodes[i].parent; i && shown; p = b->nodes[p].parent) {
			shown = b->nodes[p].open;
			if (p == 0)
				break;
		}
		if (shown)
			b->visible[b->nvisible++] = i;
	}
	v->nrows = b->nvisible;
	if (v->cursor >= v->nrows)
		v->cursor = v->nrows ? v->nrows - 1 : 0;
}

static void
clear_tree(struct blastv *b)
{
	for (size_t i = 0; i < b->n; i++)
		rline_dispose(&b->nodes[i].label);
	b->n = 0;
	b->nvisible = 0;
}

/* ---- loading -------------------------------------------------------------- */

struct actor_find {
	char *actor;
	int64_t first, last;
};

static int
on_threat(void *ctx, const struct threat *t)
{
	struct actor_find *a = ctx;

	a->actor = t->ent[TE_ACTOR] ? strdup(t->ent[TE_ACTOR]) : NULL;
	a->first = t->first_ns;
	a->last = t->last_ns;
	return 1;
}

/* The blast object: from the report when it has one, else computed now
 * for the threat's actor. Caller deletes. */
static cJSON *
blast_object(struct view *v, const char *id)
{
	struct store *st = app_store(v->app);
	struct threat_filter f = { .id = id, .limit = 1 };
	struct actor_find a = { 0 };
	struct blast *bl = NULL;
	cJSON *report = NULL, *obj = NULL;
	char *json = NULL;

	if (store_report_get(st, id, &json) == 0 && (report = cJSON_Parse(json)))
		obj = cJSON_DetachItemFromObjectCaseSensitive(report, "blast_radius");
	free(json);
	cJSON_Delete(report);
	if (cJSON_IsObject(obj))
		return obj;
	cJSON_Delete(obj);
	obj = NULL;
	err_clear();
	if (store_threat_list(st, &f, on_threat, &a) < 0 || !a.actor) {
		err_set(ERR_NOTFOUND, "threat %s has no actor to measure", id);
		goto out;
	}
	if (blast_compute(st, a.actor, a.first, a.last + 1, &bl) == 0) {
		json = blast_to_json(bl);
		obj = json ? cJSON_Parse(json) : NULL;
		free(json);
	}
out:
	blast_free(bl);
	free(a.actor);
	return obj;
}

static int
blast_refresh(struct view *v)
{
	struct blastv *b = v->priv;
	cJSON *obj = blast_object(v, b->id);
	const cJSON *p;

	clear_tree(b);
	if (!obj)
		return err_msg()[0] ? ERR_NOTFOUND
				    : err_set(ERR_NOTFOUND, "no blast radius for %s",
					      b->id);
	p = cJSON_GetObjectItemCaseSensitive(obj, "principal");
	free(b->principal);
	b->principal = cJSON_IsString(p) ? strdup(p->valuestring) : NULL;
	build_tree(b, obj);
	cJSON_Delete(obj);
	compute_visible(v);
	return 0;
}

static int
blast_open(struct view *v, const char *arg)
{
	struct blastv *b = calloc(1, sizeof(*b));

	if (!b || !(b->id = strdup(arg ? arg : ""))) {
		free(b);
		return err_set(ERR_NOMEM, "out of memory");
	}
	v->priv = b;
	return blast_refresh(v);
}

static void
blast_close(struct view *v)
{
	struct blastv *b = v->priv;

	if (!b)
		return;
	clear_tree(b);
	free(b->nodes);
	free(b->visible);
	free(b->principal);
	free(b->id);
	free(b);
	v->priv = NULL;
}

static void
blast_title(struct view *v, struct rline *out)
{
	struct blastv *b = v->priv;

	render_str(out, b->principal ? b->principal : b->id, STYLE_TITLE);
}

/* Branch lines: for each ancestor below the root, a pipe while it has
 * siblings to come; then this node's own branch. */
static void
blast_draw_row(struct view *v, size_t row, size_t width, struct rline *out)
{
	struct blastv *b = v->priv;
	size_t i = b->visible[row];
	const struct bnode *nd = &b->nodes[i];
	size_t chain[64], nchain = 0;

	(void)width;
	for (size_t p = nd->parent; i && p && nchain < 64; p = b->nodes[p].parent)
		chain[nchain++] = p;
	while (nchain-- > 0)
		render_glyph(out, b->nodes[chain[nchain]].last ? GLYPH_SPACE3
							      : GLYPH_PIPE,
			     STYLE_TREE);
	if (i)
		render_glyph(out, nd->last ? GLYPH_LAST : GLYPH_BRANCH, STYLE_TREE);
	if (nd->nchild) {
		render_glyph(out, nd->open ? GLYPH_OPEN : GLYPH_CLOSED, STYLE_TREE);
		render_str(out, " ", STYLE_NORMAL);
	}
	rline_append(out, &nd->label);
}

static unsigned
act_toggle(struct view *v)
{
	struct blastv *b = v->priv;
	struct bnode *nd;

	if (v->cursor >= b->nvisible)
		return REDRAW_NONE;
	nd = &b->nodes[b->visible[v->cursor]];
	if (!nd->nchild)
		return REDRAW_NONE;
	nd->open = !nd->open;
	compute_visible(v);
	return REDRAW_BODY;
}

static unsigned
act_reload(struct view *v)
{
	if (blast_refresh(v) < 0)
		app_error(v->app, "%s", err_msg());
	return REDRAW_ALL;
}

static const struct {
	enum action action;
	unsigned (*fn)(struct view *v);
} blast_actions[] = {
	{ ACTION_TOGGLE, act_toggle },
	{ ACTION_OPEN, act_toggle },
	{ ACTION_RELOAD, act_reload },
};

static unsigned
blast_handle(struct view *v, enum action a)
{
	for (size_t i = 0; i < sizeof(blast_actions) / sizeof(blast_actions[0]); i++)
		if (blast_actions[i].action == a)
			return blast_actions[i].fn(v);
	return REDRAW_PASS;
}

static unsigned
blast_search(struct view *v, const char *text)
{
	struct blastv *b = v->priv;

	/* Unfold everything so a match in a folded branch can be shown. */
	for (size_t i = 0; i < b->n; i++)
		b->nodes[i].open = true;
	compute_visible(v);
	for (size_t k = 1; text && *text && k <= b->nvisible; k++) {
		size_t row = (v->cursor + k) % b->nvisible;

		if (rline_contains(&b->nodes[b->visible[row]].label, text)) {
			v->cursor = row;
			app_show_row(v->app, v, row);
			return REDRAW_BODY;
		}
	}
	app_status(v->app, "\"%s\" not found", text ? text : "");
	return REDRAW_BODY | REDRAW_STATUS;
}

const struct view_ops view_blast_ops = {
	.name = "blast radius",
	.scope = KEYMAP_SCOPE_BLAST,
	.open = blast_open,
	.refresh = blast_refresh,
	.title = blast_title,
	.draw_row = blast_draw_row,
	.handle = blast_handle,
	.search = blast_search,
	.close = blast_close,
};
