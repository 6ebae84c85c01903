/* SPDX-License-Identifier: Apache-2.0 */
/* keymap: the console's actions and the key bindings that call them. The
 * action table below makes the enum, the names used in key files and the
 * help screen. Bindings are text files (`bind VIEW KEY ACTION`); the
 * bundled keys.default and the user's $XDG_CONFIG_HOME/verdict/keys go
 * through the same parser. No curses: keys are code points or the
 * KEYMAP_* codes below, which the console maps from curses. */
#ifndef VERDICT_KEYMAP_H
#define VERDICT_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

/* Views a binding can belong to; "generic" applies in every view. */
#define KEYMAP_SCOPES(X) \
	X(GENERIC, "generic") \
	X(QUEUE, "queue") \
	X(INVESTIGATION, "investigation") \
	X(EVIDENCE, "evidence") \
	X(BLAST, "blast") \
	X(HISTORY, "history") \
	X(MODEL, "model") \
	X(HELP, "help")

enum keymap_scope {
#define KEYMAP_SCOPE_ENUM(id, name) KEYMAP_SCOPE_##id,
	KEYMAP_SCOPES(KEYMAP_SCOPE_ENUM)
#undef KEYMAP_SCOPE_ENUM
	KEYMAP_SCOPE_COUNT
};

/* Every action: id, name in key files, whether it changes state (only
 * uppercase keys and commands should do that; --readonly refuses them),
 * and the line the help shows. */
#define KEYMAP_ACTIONS(X) \
	X(NONE, "none", false, "do nothing (unbinds a key)") \
	X(MOVE_DOWN, "move-down", false, "move down one row") \
	X(MOVE_UP, "move-up", false, "move up one row") \
	X(PAGE_DOWN, "page-down", false, "move down one page") \
	X(PAGE_UP, "page-up", false, "move up one page") \
	X(HALF_DOWN, "half-page-down", false, "move down half a page") \
	X(HALF_UP, "half-page-up", false, "move up half a page") \
	X(FIRST, "first", false, "go to the first row") \
	X(LAST, "last", false, "go to the last row") \
	X(SCROLL_LEFT, "scroll-left", false, "scroll left") \
	X(SCROLL_RIGHT, "scroll-right", false, "scroll right") \
	X(OPEN, "open", false, "open the selected item") \
	X(BACK, "back", false, "go back to the previous view") \
	X(CLOSE, "close", false, "go back; in the queue, leave the console") \
	X(QUIT, "quit", false, "leave the console from any view") \
	X(HELP, "help", false, "show the keys of this view") \
	X(COMMAND, "command", false, "enter a : command") \
	X(SEARCH, "search", false, "filter the queue or search the text") \
	X(NEXT, "next", false, "next step or search match") \
	X(PREV, "prev", false, "previous step or search match") \
	X(SORT_NEXT, "sort-next", false, "sort by the next column") \
	X(SORT_REVERSE, "sort-reverse", false, "reverse the sort order") \
	X(EVIDENCE, "evidence", false, "show the raw record of the selected event") \
	X(BLAST, "blast", false, "show the blast radius") \
	X(TOGGLE, "toggle", false, "fold or unfold the selected branch") \
	X(HISTORY, "history", false, "show the knowledge base's commits and their diffs") \
	X(BLAME, "blame", false, "show the commit, analyst and decision behind an allowlist line") \
	X(RELOAD, "reload", false, "read the store again") \
	X(REDRAW, "redraw", false, "redraw the screen") \
	X(SET_INVESTIGATING, "set-investigating", true, "mark the threat as being investigated") \
	X(SET_DECIDED, "set-decided", true, "mark the threat as decided") \
	X(SET_NEW, "set-new", true, "mark the threat as new again") \
	X(INVESTIGATE, "investigate", true, "run the investigation again") \
	X(AGREE, "agree", true, "agree with the verdict: a decision in the knowledge base") \
	X(OVERRIDE, "override", true, "override the verdict: :feedback THREAT VERDICT NOTE") \
	X(MODEL, "model", false, "open the model's investigation (runs the model when there is none)") \
	X(MODEL_RUN, "model-run", true, "run the model's investigation again") \
	X(CANCEL, "cancel", false, "cancel the running model investigation")

enum action {
#define KEYMAP_ACTION_ENUM(id, name, changes, help) ACTION_##id,
	KEYMAP_ACTIONS(KEYMAP_ACTION_ENUM)
#undef KEYMAP_ACTION_ENUM
	ACTION_COUNT
};

/* Keys that are not characters; characters are their code points (Esc 27,
 * Enter 13, Tab 9, C-a 1 ...). */
enum keymap_key {
	KEYMAP_UP = 0x110000,
	KEYMAP_DOWN,
	KEYMAP_LEFT,
	KEYMAP_RIGHT,
	KEYMAP_PGUP,
	KEYMAP_PGDN,
	KEYMAP_HOME,
	KEYMAP_END,
	KEYMAP_BACKSPACE,
	KEYMAP_DELETE,
	KEYMAP_INSERT,
	KEYMAP_BTAB,
	KEYMAP_RESIZE,
	KEYMAP_F1,         /* F1 to F12 follow */
	KEYMAP_F12 = KEYMAP_F1 + 11,
};

#define KEYMAP_ENTER 13
#define KEYMAP_ESC 27
#define KEYMAP_TAB 9
#define KEYMAP_CTRL(c) ((c) & 0x1f)

struct keymap_binding {
	enum keymap_scope scope;
	int key;
	enum action action;
};

struct keymap {
	struct keymap_binding *b;  /* later bindings win */
	size_t n, cap;
};

void keymap_init(struct keymap *km);
void keymap_dispose(struct keymap *km);

/* Read a key file: `bind VIEW KEY ACTION` lines, `#` comments. A bad line
 * stops the file with an error naming it and the line; the bindings read
 * before it stay. ERR_NOTFOUND when the file does not exist. */
int keymap_load_file(struct keymap *km, const char *path);
/* The same for text already in memory; name is used in errors. */
int keymap_load_text(struct keymap *km, const char *text, const char *name);

/* The action key has in scope, else in the generic scope, else
 * ACTION_NONE. */
enum action keymap_lookup(const struct keymap *km, enum keymap_scope scope,
			  int key);

/* The keys bound to action in scope (generic ones included), as names
 * joined by ", " into out (size outsz). Returns the number of keys. */
size_t keymap_keys_for(const struct keymap *km, enum keymap_scope scope,
		       enum action a, char *out, size_t outsz);

/* Key names: "j", "Enter", "Esc", "Up", "PgDn", "C-f", "F1", "Space" ...
 * keymap_key_parse returns 0 or ERR_PARSE; keymap_key_name writes into
 * out (at least 16 bytes). */
int keymap_key_parse(const char *name, int *key);
const char *keymap_key_name(int key, char *out, size_t outsz);

const char *keymap_action_name(enum action a);
const char *keymap_action_help(enum action a);
bool keymap_action_changes(enum action a);
/* The action named name, or -1. */
int keymap_action_by_name(const char *name);

const char *keymap_scope_name(enum keymap_scope s);
int keymap_scope_by_name(const char *name);

#endif
