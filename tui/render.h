/* SPDX-License-Identifier: Apache-2.0 */
/* render: the one renderer every string on the console passes through.
 * Telemetry is hostile: C0, DEL, ESC and C1 controls come out escaped
 * (\x1b, \u009b), bidi, zero-width and tag characters are marked
 * (<U+202E>), one field stays on one row, and widths are counted on the
 * escaped text. What it builds is a styled line of printable text; only
 * the console's draw function puts such lines on the screen. No curses. */
#ifndef VERDICT_RENDER_H
#define VERDICT_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "tui/theme.h"

/* A run of text bytes in one style. */
struct rspan {
	size_t off, len;     /* bytes of rline.text */
	enum style style;
};

/* A styled line of printable text: every byte was produced by the
 * renderer, so it holds no control character whatever the input held. */
struct rline {
	struct buf text;     /* printable UTF-8, ASCII in ASCII mode */
	struct rspan *span;  /* in order, covering text exactly */
	size_t nspan, cap;
	size_t width;        /* display columns of text */
};

/* Glyphs of the console's own chrome, with an ASCII form for LANG=C. */
enum render_glyph {
	GLYPH_ELLIPSIS,   /* a cut cell: "…" or "~" */
	GLYPH_BRANCH,     /* tree: "├─ " or "|- " */
	GLYPH_LAST,       /* tree: "└─ " or "`- " */
	GLYPH_PIPE,       /* tree: "│  " or "|  " */
	GLYPH_SPACE3,     /* tree: "   " */
	GLYPH_UP,         /* sorted ascending: "▲" or "^" */
	GLYPH_DOWN,       /* sorted descending: "▼" or "v" */
	GLYPH_SEP,        /* a separator: "│" or "|" */
	GLYPH_DOT,        /* between items: "·" or "-" */
	GLYPH_OPEN,       /* expanded tree node: "▾" or "-" */
	GLYPH_CLOSED,     /* collapsed tree node: "▸" or "+" */
	GLYPH_POINTER,    /* the current item: "▶" or ">" */
	GLYPH_COUNT
};

/* ASCII mode escapes every non-ASCII character too (\u00e9), for terminals
 * whose locale is not UTF-8. Process-wide; the console sets it once from
 * the locale. */
void render_set_ascii(bool ascii);
bool render_ascii(void);

void rline_init(struct rline *l);
void rline_dispose(struct rline *l);
/* Empty l, keeping its memory. */
void rline_reset(struct rline *l);

/* Append s[0..n), escaped, in style st; escapes and marks take their own
 * styles. Returns 0 or ERR_NOMEM. */
int render_text(struct rline *l, const char *s, size_t n, enum style st);
/* The same for a NUL-terminated s; NULL appends nothing. */
int render_str(struct rline *l, const char *s, enum style st);
int render_printf(struct rline *l, enum style st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int render_glyph(struct rline *l, enum render_glyph g, enum style st);
/* Spaces in style st until l is col columns wide. */
int render_pad(struct rline *l, size_t col, enum style st);
/* s escaped and fitted to exactly width columns: cut with an ellipsis when
 * longer, padded when shorter (on the left when right is true). */
int render_cell(struct rline *l, const char *s, size_t width, bool right,
		enum style st);
/* Cut l to at most width columns, ending in an ellipsis when cut. */
void render_fit(struct rline *l, size_t width);

/* Append src to dst, styles kept. */
int rline_append(struct rline *dst, const struct rline *src);
/* Give every case-insensitive match of needle (escaped as text would be)
 * the style st. Returns the number of matches. */
size_t rline_highlight(struct rline *l, const char *needle, enum style st);
/* Does l's text hold needle (case-insensitive, after escaping)? */
bool rline_contains(const struct rline *l, const char *needle);
/* Split src into lines of at most width columns, breaking after a space
 * when one is near; continuation lines start with indent spaces. *out is
 * an array of *n lines (caller disposes each and frees it). */
int rline_wrap(const struct rline *src, size_t width, size_t indent,
	       struct rline **out, size_t *n);

/* The escaped form of s[0..n) appended to out as plain text; returns its
 * display width. For messages and dumps that carry no style. */
size_t render_escape(const char *s, size_t n, struct buf *out);

/* Display columns of printable UTF-8 text (as the renderer makes it). */
size_t render_width(const char *s, size_t n);

/* Decode the code point at s (n bytes), its columns in *width (0 for a
 * combining mark). Returns bytes consumed, at least 1. For text the
 * renderer made; the draw function walks lines with it. */
size_t render_next(const char *s, size_t n, unsigned *cp, int *width);

#endif
