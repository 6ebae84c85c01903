/* SPDX-License-Identifier: Apache-2.0 */
/* render: the one renderer every string on the console passes through,
 * turning hostile text into styled lines of printable characters. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/error.h"
#include "core/utf8.h"
#include "tui/render.h"

/* Combining marks kept on one base character; more are marked, so that
 * stacked marks cannot paint over the rows above and below. */
#define MAX_COMBINING 2

static bool ascii_mode;

static const char *const glyphs[GLYPH_COUNT][2] = {
	[GLYPH_ELLIPSIS] = { "\u2026", "~" },
	[GLYPH_BRANCH] = { "\u251c\u2500 ", "|- " },
	[GLYPH_LAST] = { "\u2514\u2500 ", "`- " },
	[GLYPH_PIPE] = { "\u2502  ", "|  " },
	[GLYPH_SPACE3] = { "   ", "   " },
	[GLYPH_UP] = { "\u25b2", "^" },
	[GLYPH_DOWN] = { "\u25bc", "v" },
	[GLYPH_SEP] = { "\u2502", "|" },
	[GLYPH_DOT] = { "\u00b7", "-" },
	[GLYPH_OPEN] = { "\u25be", "-" },
	[GLYPH_CLOSED] = { "\u25b8", "+" },
	[GLYPH_POINTER] = { "\u25b6", ">" },
};

void
render_set_ascii(bool ascii)
{
	ascii_mode = ascii;
}

bool
render_ascii(void)
{
	return ascii_mode;
}

/* buf_printf with a va_list. */
static int
vformat(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int len;

	va_copy(aq, ap);
	len = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (len < 0)
		return err_set(ERR_USAGE, "bad format \"%s\"", fmt);
	if (buf_grow(b, (size_t)len + 1) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	vsnprintf(b->data + b->len, (size_t)len + 1, fmt, ap);
	b->len += (size_t)len;
	return 0;
}

/* ---- lines ------------------------------------------------------------ */

void
rline_init(struct rline *l)
{
	memset(l, 0, sizeof(*l));
	buf_init(&l->text);
}

void
rline_dispose(struct rline *l)
{
	if (!l)
		return;
	buf_dispose(&l->text);
	free(l->span);
	memset(l, 0, sizeof(*l));
}

void
rline_reset(struct rline *l)
{
	buf_reset(&l->text);
	l->nspan = 0;
	l->width = 0;
}

/* Append printable bytes p[0..n) of width w in style st, merging with the
 * last span when the style is the same. */
static int
put(struct rline *l, const char *p, size_t n, size_t w, enum style st)
{
	struct rspan *last = l->nspan ? &l->span[l->nspan - 1] : NULL;

	if (n == 0)
		return 0;
	if (buf_add(&l->text, p, n) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	l->width += w;
	if (last && last->style == st && last->off + last->len == l->text.len - n) {
		last->len += n;
		return 0;
	}
	if (l->nspan == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct rspan *s = realloc(l->span, cap * sizeof(*s));

		if (!s)
			return err_set(ERR_NOMEM, "out of memory");
		l->span = s;
		l->cap = cap;
	}
	l->span[l->nspan++] = (struct rspan){ l->text.len - n, n, st };
	return 0;
}

/* ---- classifying code points ------------------------------------------ */

/* Characters that reorder, hide or break text without showing: bidi
 * controls, zero-width characters, invisible fillers, line and paragraph
 * separators, interlinear annotations and tags. Shown as <U+XXXX>. */
static bool
is_mark(unsigned cp)
{
	static const unsigned ranges[][2] = {
		{ 0x00AD, 0x00AD }, { 0x034F, 0x034F }, { 0x061C, 0x061C },
		{ 0x115F, 0x1160 }, { 0x17B4, 0x17B5 }, { 0x180B, 0x180F },
		{ 0x200B, 0x200F }, { 0x2028, 0x202E }, { 0x2060, 0x206F },
		{ 0x3164, 0x3164 }, { 0xFE00, 0xFE0F }, { 0xFEFF, 0xFEFF },
		{ 0xFFA0, 0xFFA0 }, { 0xFFF9, 0xFFFB }, { 0x1D173, 0x1D17A },
		{ 0xE0000, 0xE0FFF },
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

size_t
render_next(const char *s, size_t n, unsigned *cp, int *width)
{
	size_t k = utf8_decode(s, n, cp);
	int w = wcwidth((wchar_t)*cp);

	*width = w < 0 ? 1 : w;
	return k ? k : 1;
}

size_t
render_width(const char *s, size_t n)
{
	size_t i = 0, w = 0;

	while (i < n) {
		unsigned cp;
		int cw;

		i += render_next(s + i, n - i, &cp, &cw);
		w += (size_t)cw;
	}
	return w;
}

/* ---- escaping ------------------------------------------------------------ */

/* How the code point cp (k bytes at u) is shown: returns 0 for a
 * printable character of *w columns, else writes its escape to esc and
 * returns its length, with its style in *st. *combining counts the marks
 * on the current base character, -1 when there is none to sit on. */
static int
escape_of(const unsigned char *u, size_t k, unsigned cp, int *combining,
	  char esc[40], enum style *st, int *w)
{
	int len = 0;

	*st = STYLE_ESCAPE;
	if (cp == 0xFFFD && !(k == 3 && u[0] == 0xEF && u[1] == 0xBF && u[2] == 0xBD)) {
		/* Ill-formed bytes: each one shown. */
		for (size_t j = 0; j < k && j < 8; j++)
			len += snprintf(esc + len, 40 - (size_t)len, "\\x%02x", u[j]);
	} else if (cp < 0x20 || cp == 0x7F) {
		len = snprintf(esc, 40, "\\x%02x", cp);
	} else if (cp >= 0x80 && cp <= 0x9F) {
		len = snprintf(esc, 40, "\\u%04x", cp);
	} else if (is_mark(cp)) {
		*st = STYLE_MARK;
		len = snprintf(esc, 40, "<U+%04X>", cp);
	} else if (cp >= 0x80 && ascii_mode) {
		len = snprintf(esc, 40, cp > 0xFFFF ? "\\U%08x" : "\\u%04x", cp);
	} else if ((*w = wcwidth((wchar_t)cp)) < 0 ||
		   (*w == 0 && (*combining < 0 || *combining >= MAX_COMBINING))) {
		/* Unprintable here, or a mark with no base of its own in
		 * this field to sit on. */
		*st = STYLE_MARK;
		len = snprintf(esc, 40, "<U+%04X>", cp);
	} else {
		*combining = *w == 0 ? *combining + 1 : 0;
		return 0;
	}
	*combining = -1;
	return len;
}

int
render_text(struct rline *l, const char *s, size_t n, enum style st)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, run_w = 0;
	int combining = -1, rc;

	/* Printable runs go in one piece, each escape in its own style. */
	while (i < n) {
		unsigned cp;
		size_t k = utf8_decode(s + i, n - i, &cp);
		char esc[40];
		enum style est;
		int w = 0, len;

		if (k == 0)
			break;
		len = escape_of(u + i, k, cp, &combining, esc, &est, &w);
		if (len == 0) {
			run += k;
			run_w += (size_t)w;
			i += k;
			continue;
		}
		if ((run && (rc = put(l, s + i - run, run, run_w, st)) < 0) ||
		    (rc = put(l, esc, (size_t)len, (size_t)len, est)) < 0)
			return rc;
		run = run_w = 0;
		i += k;
	}
	return run ? put(l, s + i - run, run, run_w, st) : 0;
}

int
render_str(struct rline *l, const char *s, enum style st)
{
	return s ? render_text(l, s, strlen(s), st) : 0;
}

int
render_printf(struct rline *l, enum style st, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	int rc;

	buf_init(&b);
	va_start(ap, fmt);
	rc = vformat(&b, fmt, ap);
	va_end(ap);
	if (rc == 0 && b.len)
		rc = render_text(l, b.data, b.len, st);
	buf_dispose(&b);
	return rc;
}

int
render_glyph(struct rline *l, enum render_glyph g, enum style st)
{
	const char *s = glyphs[g][ascii_mode ? 1 : 0];
	size_t n = strlen(s);

	return put(l, s, n, render_width(s, n), st);
}

int
render_pad(struct rline *l, size_t col, enum style st)
{
	static const char spaces[] = "                                ";
	int rc;

	while (l->width < col) {
		size_t k = col - l->width;

		if (k > sizeof(spaces) - 1)
			k = sizeof(spaces) - 1;
		if ((rc = put(l, spaces, k, k, st)) < 0)
			return rc;
	}
	return 0;
}

/* Bytes of text that fit in width columns. */
static size_t
fit_bytes(const char *s, size_t n, size_t width, size_t *used)
{
	size_t i = 0, w = 0;

	while (i < n) {
		unsigned cp;
		int cw;
		size_t k = render_next(s + i, n - i, &cp, &cw);

		if (w + (size_t)cw > width)
			break;
		w += (size_t)cw;
		i += k;
	}
	/* Keep combining marks with the character they follow. */
	while (i < n) {
		unsigned cp;
		int cw;
		size_t k = render_next(s + i, n - i, &cp, &cw);

		if (cw != 0)
			break;
		i += k;
	}
	*used = w;
	return i;
}

/* Cut l to the first nbytes bytes of width w. */
static void
truncate_to(struct rline *l, size_t nbytes, size_t w)
{
	size_t k = 0;

	while (k < l->nspan && l->span[k].off < nbytes) {
		if (l->span[k].off + l->span[k].len > nbytes)
			l->span[k].len = nbytes - l->span[k].off;
		k++;
	}
	l->nspan = k;
	l->text.len = nbytes;
	if (l->text.data)
		l->text.data[nbytes] = '\0';
	l->width = w;
}

void
render_fit(struct rline *l, size_t width)
{
	size_t used, keep, ew;
	const char *e = glyphs[GLYPH_ELLIPSIS][ascii_mode ? 1 : 0];
	enum style st;

	if (l->width <= width)
		return;
	ew = render_width(e, strlen(e));
	if (width < ew) {
		keep = fit_bytes(l->text.data, l->text.len, width, &used);
		truncate_to(l, keep, used);
		return;
	}
	keep = fit_bytes(l->text.data, l->text.len, width - ew, &used);
	st = STYLE_NORMAL;
	for (size_t k = 0; k < l->nspan; k++)
		if (l->span[k].off < keep || k == 0)
			st = l->span[k].style;
	truncate_to(l, keep, used);
	if (st == STYLE_ESCAPE || st == STYLE_MARK)
		st = STYLE_DIM;
	render_glyph(l, GLYPH_ELLIPSIS, st);
}

int
render_cell(struct rline *l, const char *s, size_t width, bool right,
	    enum style st)
{
	struct rline cell;
	size_t start = l->width;
	int rc;

	rline_init(&cell);
	if ((rc = render_str(&cell, s, st)) < 0)
		goto out;
	render_fit(&cell, width);
	if (right && (rc = render_pad(l, start + width - cell.width, st)) < 0)
		goto out;
	if ((rc = rline_append(l, &cell)) < 0)
		goto out;
	rc = render_pad(l, start + width, st);
out:
	rline_dispose(&cell);
	return rc;
}

int
rline_append(struct rline *dst, const struct rline *src)
{
	int rc;

	for (size_t k = 0; k < src->nspan; k++) {
		const struct rspan *sp = &src->span[k];
		const char *p = src->text.data + sp->off;

		if ((rc = put(dst, p, sp->len, render_width(p, sp->len),
			      sp->style)) < 0)
			return rc;
	}
	return 0;
}

/* ---- search --------------------------------------------------------------- */

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The offset of the next case-insensitive match of needle in hay from
 * from, or (size_t)-1. ASCII case only: escaped text is mostly ASCII and
 * full case folding is not worth its tables here. */
static size_t
find_ci(const char *hay, size_t n, const char *needle, size_t m, size_t from)
{
	if (m == 0 || m > n)
		return (size_t)-1;
	for (size_t i = from; i + m <= n; i++) {
		size_t j = 0;

		while (j < m && lower((unsigned char)hay[i + j]) ==
				lower((unsigned char)needle[j]))
			j++;
		if (j == m)
			return i;
	}
	return (size_t)-1;
}

bool
rline_contains(const struct rline *l, const char *needle)
{
	struct buf e;
	bool found;

	buf_init(&e);
	render_escape(needle, strlen(needle), &e);
	found = e.len && l->text.len &&
		find_ci(l->text.data, l->text.len, e.data, e.len, 0) != (size_t)-1;
	buf_dispose(&e);
	return found;
}

size_t
rline_highlight(struct rline *l, const char *needle, enum style st)
{
	struct rline out;
	struct buf e;
	bool *hit = NULL;
	size_t hits = 0;

	buf_init(&e);
	render_escape(needle, strlen(needle), &e);
	if (!e.len || !l->text.len || !(hit = calloc(l->text.len, 1)))
		goto out;
	for (size_t m = find_ci(l->text.data, l->text.len, e.data, e.len, 0);
	     m != (size_t)-1;
	     m = find_ci(l->text.data, l->text.len, e.data, e.len, m + e.len)) {
		memset(hit + m, 1, e.len);
		hits++;
	}
	if (!hits)
		goto out;
	rline_init(&out);
	for (size_t k = 0; k < l->nspan; k++) {
		const struct rspan *sp = &l->span[k];
		size_t a = sp->off, end = sp->off + sp->len;

		while (a < end) {
			size_t b = a;

			while (b < end && hit[b] == hit[a])
				b++;
			put(&out, l->text.data + a, b - a,
			    render_width(l->text.data + a, b - a),
			    hit[a] ? st : sp->style);
			a = b;
		}
	}
	rline_dispose(l);
	*l = out;
out:
	free(hit);
	buf_dispose(&e);
	return hits;
}

/* ---- wrapping ------------------------------------------------------------- */

/* Append src's bytes [from, to) to dst with their styles. */
static int
slice(struct rline *dst, const struct rline *src, size_t from, size_t to)
{
	int rc;

	for (size_t k = 0; k < src->nspan; k++) {
		const struct rspan *sp = &src->span[k];
		size_t a = sp->off > from ? sp->off : from;
		size_t b = sp->off + sp->len < to ? sp->off + sp->len : to;

		if (a >= b)
			continue;
		if ((rc = put(dst, src->text.data + a, b - a,
			      render_width(src->text.data + a, b - a),
			      sp->style)) < 0)
			return rc;
	}
	return 0;
}

int
rline_wrap(const struct rline *src, size_t width, size_t indent,
	   struct rline **out, size_t *n)
{
	struct rline *lines = NULL;
	size_t nl = 0, pos = 0, len = src->text.len;
	const char *t = src->text.data;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (width <= indent + 1)
		indent = 0;
	if (width == 0)
		width = 1;
	do {
		size_t room = nl ? width - indent : width, used, cut, brk;
		struct rline *grown = realloc(lines, (nl + 1) * sizeof(*lines));

		if (!grown) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto fail;
		}
		lines = grown;
		rline_init(&lines[nl]);
		cut = fit_bytes(t ? t + pos : "", len - pos, room, &used);
		if (cut == 0 && pos < len) {
			/* A character wider than the room still moves on. */
			unsigned cp;
			int cw;

			cut = render_next(t + pos, len - pos, &cp, &cw);
		}
		brk = cut;
		if (pos + cut < len) {
			size_t s = cut;

			while (s > cut / 2 && t[pos + s - 1] != ' ')
				s--;
			if (s > cut / 2)
				brk = s;
		}
		if (nl)
			render_pad(&lines[nl], indent, STYLE_NORMAL);
		if ((rc = slice(&lines[nl], src, pos, pos + brk)) < 0) {
			nl++;
			goto fail;
		}
		nl++;
		pos += brk;
	} while (pos < len);
	*out = lines;
	*n = nl;
	return 0;
fail:
	for (size_t i = 0; i < nl; i++)
		rline_dispose(&lines[i]);
	free(lines);
	return rc;
}

/* ---- plain text ----------------------------------------------------------- */

size_t
render_escape(const char *s, size_t n, struct buf *out)
{
	struct rline l;
	size_t w;

	rline_init(&l);
	render_text(&l, s, n, STYLE_NORMAL);
	if (l.text.len)
		buf_add(out, l.text.data, l.text.len);
	w = l.width;
	rline_dispose(&l);
	return w;
}
