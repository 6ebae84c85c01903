/* SPDX-License-Identifier: Apache-2.0 */
/* screen: the terminal under the console, and the only code that calls
 * curses: opening it (with a terminfo fallback when TERM is unknown), or a
 * virtual one for scripts; colours from a theme; drawing the renderer's
 * lines; reading keys; reading the screen back as text. One at a time, on
 * the main thread. */
#ifndef VERDICT_SCREEN_H
#define VERDICT_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/render.h"
#include "tui/theme.h"

struct screen;

/* Open the terminal on stdin/stdout, or with virtual true a cols x rows
 * screen that draws to /dev/null, into *out. *note gets a line for the
 * status bar when a fallback terminal type was used. Returns 0 or a
 * negative code (ERR_USAGE when stdin or stdout is not a terminal). */
int screen_open(bool virtual, int cols, int rows, char *note, size_t notesz,
		struct screen **out);
/* Restore the terminal. s may be NULL. */
void screen_close(struct screen *s);

int screen_cols(const struct screen *s);
int screen_rows(const struct screen *s);

/* Colour the styles from t: pairs when the terminal has colours and
 * NO_COLOR is unset, attributes alone otherwise. */
void screen_set_theme(struct screen *s, const struct theme *t);

/* Draw l on row y, its first skip columns scrolled off, filling the rest
 * of the row with the fill style. On the cursor row every style gives way
 * to the cursor's. */
void screen_line(struct screen *s, int y, const struct rline *l, size_t skip,
		 bool cursor, enum style fill);
/* Show the terminal cursor at y, x (a prompt), or hide it (y < 0). */
void screen_cursor(struct screen *s, int y, int x);
void screen_erase(struct screen *s);
/* Send what was drawn to the terminal. */
void screen_flush(struct screen *s);
/* Repaint the whole terminal on the next flush (C-l). */
void screen_repaint(struct screen *s);
/* Resize a virtual screen (a real one follows the terminal). */
int screen_resize(struct screen *s, int cols, int rows);

/* The next key (a code point or a KEYMAP_* code, KEYMAP_RESIZE after a
 * resize), or -1 when timeout_ms passes first. */
int screen_key(struct screen *s, int timeout_ms);

/* Write the screen as text to path: one line per row, trailing spaces
 * trimmed. */
int screen_dump(struct screen *s, const char *path);

#endif
