/* SPDX-License-Identifier: Apache-2.0 */
/* app: the console's main loop. It owns the terminal (ncursesw, every
 * curses call on the main thread), the view stack, the theme, the key
 * bindings, the : and / prompts and the status line, and it is the only
 * code that draws. Input comes from the keyboard or from a script. */
#ifndef VERDICT_APP_H
#define VERDICT_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/keymap.h"
#include "tui/theme.h"
#include "tui/view.h"

struct store;
struct kb_data;

struct app_opts {
	const char *db;         /* the store's path, for messages */
	bool readonly;          /* refuse every change */
	const char *theme;      /* --theme NAME, or NULL for the saved or
				 * default one */
	const char *script;     /* --script FILE: keys and commands from a
				 * file, on a virtual screen */
	const char *kb_dir;     /* knowledge base for re-investigating */
	const char *open_threat; /* open this threat's investigation first */
	const char *const *follow; /* --follow PATH|-: tailed in the
				  * background into the store at db */
	size_t nfollow;
	bool fresh;             /* ignore and keep no remembered filter and
				 * sort (the demo's throwaway store) */
};

struct app;

/* Run the console on st until the analyst (or the script) quits. Returns 0,
 * or a negative code with the message in err_msg() when the terminal could
 * not be used or a script line was wrong. The terminal is restored before
 * it returns. */
int app_run(struct store *st, const struct app_opts *opts);

/* ---- for views ---- */

struct store *app_store(struct app *app);
bool app_readonly(const struct app *app);
const struct keymap *app_keymap(const struct app *app);
/* Rows of the body on screen now. */
size_t app_body_rows(const struct app *app);

/* Open a new view on top of the current one. On failure the message goes
 * to the status line and the current view stays. */
void app_push(struct app *app, const struct view_ops *ops, const char *arg);

/* Messages for the status line (never to the terminal directly). */
void app_status(struct app *app, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void app_error(struct app *app, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Refuse a change in read-only mode: true (and a status message) when
 * refused. */
bool app_refuse_change(struct app *app, enum action a);

/* The knowledge base for re-investigating, loaded on first use (borrowed);
 * NULL with a status message when it cannot be loaded. */
const struct kb_data *app_kb(struct app *app);

/* The knowledge base's path (--kb, else the default; caller frees), and
 * forgetting the loaded one after it changed (a decision was recorded). */
char *app_kb_path(const struct app *app);
void app_kb_changed(struct app *app);

/* Open the : prompt with text already typed (the analyst finishes it). */
unsigned app_prompt(struct app *app, const char *text);

/* The queue's remembered filter and sort ("" and NULL when none), kept
 * across views and, unless read-only, across sessions. */
const char *app_queue_filter(const struct app *app);
void app_set_queue_filter(struct app *app, const char *filter);
const char *app_queue_sort(const struct app *app);
void app_set_queue_sort(struct app *app, const char *sort);

/* Start the model's investigation of threat id in the background (refused
 * read-only, or while another runs); progress and the outcome go to the
 * status line, and a model view on top is refreshed as it goes. */
int app_model_start(struct app *app, const char *id);
void app_model_cancel(struct app *app);
/* The running job's progress on threat id into buf; false when no job runs
 * for id. */
bool app_model_progress(struct app *app, const char *id, char *buf, size_t n);

/* The threat the model is investigating now, or NULL (borrowed). */
const char *app_model_busy(const struct app *app);
/* How the last run on threat id failed, into buf; false when it did not
 * (or the last run was on another threat). */
bool app_model_last_error(const struct app *app, const char *id, char *buf,
			  size_t n);

/* Leave the console after this key. */
void app_quit(struct app *app);
/* Switch to the named theme; on failure the current one stays. */
int app_set_theme(struct app *app, const char *name);
/* The key scope of the view on top. */
enum keymap_scope app_scope(const struct app *app);

/* ---- for the script runner ---- */

/* Do the views' deferred work now (a script does before each line). */
void app_idle(struct app *app);
/* Has the console been asked to quit? */
bool app_done(const struct app *app);
/* Run a : command line as if typed at the prompt. */
void app_command(struct app *app, const char *line);
/* Feed one key as if typed (a code point or a KEYMAP_* code). */
void app_key(struct app *app, int key);
/* Draw what is pending, as the loop does after each key. */
void app_draw(struct app *app);
/* Draw what is pending and write the screen as text to path, one line
 * per row, trailing spaces trimmed. */
int app_dump(struct app *app, const char *path);
/* Wait up to ms for the follower (--follow) to store something, and show
 * it; without a follower, wait ms and look for changes in the store. */
void app_wait(struct app *app, unsigned ms);
/* Resize the virtual screen of a scripted run. */
int app_resize(struct app *app, int cols, int rows);

/* Make row visible in v, moving top as little as possible. */
void app_show_row(struct app *app, struct view *v, size_t row);

#endif
