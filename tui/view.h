/* SPDX-License-Identifier: Apache-2.0 */
/* view: the one shape every console view has (open, refresh, draw a row,
 * handle an action, close), after tig's view operations. A view fills
 * styled lines through the renderer and never touches curses; the console
 * loop draws them. */
#ifndef VERDICT_VIEW_H
#define VERDICT_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/keymap.h"
#include "tui/render.h"

struct app;
struct view;

/* What a handler asks the loop to redraw. */
enum redraw {
	REDRAW_NONE = 0,
	REDRAW_BODY = 1 << 0,   /* the rows */
	REDRAW_TITLE = 1 << 1,  /* the title bar */
	REDRAW_STATUS = 1 << 2, /* the status line */
	REDRAW_ALL = REDRAW_BODY | REDRAW_TITLE | REDRAW_STATUS,
	REDRAW_PASS = 1 << 8,   /* not handled: let the loop's generic
				 * moving and scrolling have it */
};

struct view_ops {
	const char *name;              /* shown in the title bar */
	enum keymap_scope scope;       /* whose key bindings apply */
	const char *empty;             /* shown when the body has no rows */
	/* Load what arg names (a threat id, an event id, ...). */
	int (*open)(struct view *v, const char *arg);
	/* Read the store again; keep the cursor on the same item. */
	int (*refresh)(struct view *v);
	/* The title bar after the view name: counts and position. */
	void (*title)(struct view *v, struct rline *out);
	/* An optional fixed header row above the body (column headings). */
	void (*header)(struct view *v, size_t width, struct rline *out);
	/* Row number row of the body, width columns wide. */
	void (*draw_row)(struct view *v, size_t row, size_t width,
			 struct rline *out);
	/* Rows the cursor may rest on; NULL means every row. */
	bool (*selectable)(struct view *v, size_t row);
	/* Act; returns enum redraw bits. */
	unsigned (*handle)(struct view *v, enum action a);
	/* The text given at the / prompt: filter or search. */
	unsigned (*search)(struct view *v, const char *text);
	/* Deferred work, done when no key is waiting after a frame is on
	 * screen (the rest of a long list); returns enum redraw bits, or
	 * REDRAW_NONE when nothing was left to do. */
	unsigned (*idle)(struct view *v);
	/* The body was resized to width columns (for wrapped text). */
	void (*resize)(struct view *v, size_t width);
	void (*close)(struct view *v);
};

struct view {
	const struct view_ops *ops;
	struct app *app;
	void *priv;          /* the view's own state */
	size_t nrows;        /* rows in the body */
	size_t cursor;       /* selected row */
	size_t top;          /* first row on screen */
	size_t hscroll;      /* columns scrolled to the right */
	bool scroll_only;    /* no cursor: moving scrolls (evidence, help) */
};

extern const struct view_ops view_queue_ops;
extern const struct view_ops view_investigation_ops;
extern const struct view_ops view_evidence_ops;
extern const struct view_ops view_blast_ops;
extern const struct view_ops view_help_ops;
extern const struct view_ops view_history_ops;
extern const struct view_ops view_history_diff_ops;
extern const struct view_ops view_model_ops;

/* The queue's column names (NULL-terminated), for :sort and completion;
 * view_queue_column gives a name's index or -1. */
extern const char *const view_queue_columns[];
int view_queue_column(const char *name);
/* Filter and sort the queue v again from the app's remembered settings. */
void view_queue_apply(struct view *v);

/* Run the investigation of threat id again with the app's knowledge base;
 * the outcome goes to the status line. Returns 0 or a negative code. */
int view_investigate_threat(struct app *app, const char *id);

/* Record the analyst's decision on threat id (kb/feedback.h) in the
 * console's knowledge base and mark the threat decided; the outcome goes
 * to the status line. Returns 0 or a negative code. */
int view_feedback(struct app *app, const char *id, const char *verdict,
		  const char *note);

/* Style of a severity word, and of a verdict word. */
enum style view_severity_style(const char *severity);
enum style view_verdict_style(const char *verdict);

#endif
