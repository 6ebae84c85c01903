/* SPDX-License-Identifier: Apache-2.0 */
/* view_evidence: the raw record of one stored event, pretty-printed with
 * syntax colours, scrollable and searchable. The record is hostile: the
 * printer walks its bytes without trusting their shape, decodes JSON
 * string escapes so that the renderer shows what they hide (\u001b comes
 * out as \x1b), and caps line length and line count. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/store.h"
#include "core/timeutil.h"
#include "tui/app.h"
#include "tui/view.h"

/* Limits on what one record may make the console hold. */
#define EV_MAX_LINES 200000
#define EV_MAX_STRING 4096   /* bytes of one string shown before a cut */
#define EV_MAX_INDENT 32     /* levels; deeper nesting stays at this indent */

struct evidence {
	char *id;
	char *summary;        /* source, kind, time: for the title bar */
	char *raw;            /* owned copy of the record bytes */
	size_t raw_len;
	bool found;
	struct rline *lines;
	size_t nlines, cap;
	bool truncated;
	char *needle;         /* the / search, or NULL */
	size_t match;         /* row of the current match */
};

/* ---- lines ---------------------------------------------------------------- */

static struct rline *
new_line(struct evidence *e, int depth)
{
	struct rline *l;

	if (e->nlines >= EV_MAX_LINES) {
		e->truncated = true;
		return NULL;
	}
	if (e->nlines == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		struct rline *g = realloc(e->lines, cap * sizeof(*g));

		if (!g)
			return NULL;
		e->lines = g;
		e->cap = cap;
	}
	l = &e->lines[e->nlines++];
	rline_init(l);
	render_pad(l, 2 * (size_t)(depth < EV_MAX_INDENT ? depth : EV_MAX_INDENT),
		   STYLE_NORMAL);
	return l;
}

static void
clear_lines(struct evidence *e)
{
	for (size_t i = 0; i < e->nlines; i++)
		rline_dispose(&e->lines[i]);
	e->nlines = 0;
	e->truncated = false;
}

/* ---- the JSON printer ----------------------------------------------------- */

struct printer {
	struct evidence *e;
	const char *p, *end;
	int depth;
	struct rline *cur;    /* the line being filled, NULL past the cap */
	size_t indent_w;      /* width of cur's indent: nothing else yet */
};

static void
skip_space(struct printer *pr)
{
	while (pr->p < pr->end && (*pr->p == ' ' || *pr->p == '\t' ||
				   *pr->p == '\n' || *pr->p == '\r'))
		pr->p++;
}

static void
newline(struct printer *pr)
{
	pr->cur = new_line(pr->e, pr->depth);
	pr->indent_w = pr->cur ? pr->cur->width : 0;
}

static bool
line_has_content(const struct printer *pr)
{
	return pr->cur && pr->cur->width > pr->indent_w;
}

static void
emit(struct printer *pr, const char *s, size_t n, enum style st)
{
	if (pr->cur)
		render_text(pr->cur, s, n, st);
}

static unsigned
hex4(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return 0x110000;
	}
	return v;
}

static void
put_utf8(struct buf *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 4);
	}
}

/* Decode the JSON string at pr->p (just past its opening quote) into out,
 * leaving \" and \\ as they are written so the shown text stays readable
 * as JSON; every other escape becomes the character it stands for, for the
 * renderer to show safely. Stops at the closing quote or the end. */
static void
decode_string(struct printer *pr, struct buf *out, size_t *dropped)
{
	*dropped = 0;
	while (pr->p < pr->end && *pr->p != '"') {
		const char *s = pr->p;
		size_t before = out->len;

		if (*s != '\\' || s + 1 >= pr->end) {
			if (out->len < EV_MAX_STRING)
				buf_addc(out, *s);
			else
				(*dropped)++;
			pr->p++;
			continue;
		}
		switch (s[1]) {
		case '"': case '\\':
			buf_add(out, s, 2);
			pr->p += 2;
			break;
		case 'b': buf_addc(out, '\b'); pr->p += 2; break;
		case 'f': buf_addc(out, '\f'); pr->p += 2; break;
		case 'n': buf_addc(out, '\n'); pr->p += 2; break;
		case 'r': buf_addc(out, '\r'); pr->p += 2; break;
		case 't': buf_addc(out, '\t'); pr->p += 2; break;
		case 'u': {
			unsigned cp = pr->end - s >= 6 ? hex4(s + 2) : 0x110000;

			if (cp > 0xFFFF) {
				/* Not four hex digits: show it as written. */
				buf_add(out, s, 2);
				pr->p += 2;
				break;
			}
			pr->p += 6;
			if (cp >= 0xD800 && cp <= 0xDBFF && pr->end - pr->p >= 6 &&
			    pr->p[0] == '\\' && pr->p[1] == 'u') {
				unsigned lo = hex4(pr->p + 2);

				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					pr->p += 6;
				}
			}
			if (cp >= 0xD800 && cp <= 0xDFFF)
				cp = 0xFFFD;
			put_utf8(out, cp);
			break;
		}
		default:
			buf_add(out, s, 2);
			pr->p += 2;
			break;
		}
		if (before >= EV_MAX_STRING) {
			*dropped += out->len - before;
			out->len = before;
			out->data[before] = '\0';
		}
	}
	if (pr->p < pr->end)
		pr->p++;     /* the closing quote */
}

static void
print_string(struct printer *pr, enum style st)
{
	struct buf s;
	size_t dropped;

	buf_init(&s);
	pr->p++;     /* the opening quote */
	decode_string(pr, &s, &dropped);
	emit(pr, "\"", 1, st);
	emit(pr, s.data ? s.data : "", s.len, st);
	emit(pr, "\"", 1, st);
	if (dropped && pr->cur)
		render_printf(pr->cur, STYLE_DIM, " (%zu more bytes)", dropped);
	buf_dispose(&s);
}

/* The next significant byte, or 0 at the end. */
static char
peek(struct printer *pr)
{
	skip_space(pr);
	return pr->p < pr->end ? *pr->p : 0;
}

/* A string followed by a colon is an object key. */
static bool
string_is_key(const struct printer *pr)
{
	const char *q = pr->p + 1;

	while (q < pr->end && *q != '"')
		q += *q == '\\' ? 2 : 1;
	for (q++; q < pr->end && (*q == ' ' || *q == '\t' || *q == '\n' ||
				  *q == '\r'); q++)
		;
	return q < pr->end && *q == ':';
}

static void
print_json(struct printer *pr)
{
	char c;

	newline(pr);
	while ((c = peek(pr)) != 0) {
		if (c == '{' || c == '[') {
			char close = c == '{' ? '}' : ']';

			emit(pr, &c, 1, STYLE_JSON_PUNCT);
			pr->p++;
			pr->depth++;
			if (peek(pr) == close) {
				emit(pr, &close, 1, STYLE_JSON_PUNCT);
				pr->p++;
				pr->depth--;
			} else {
				newline(pr);
			}
		} else if (c == '}' || c == ']') {
			if (pr->depth > 0)
				pr->depth--;
			if (line_has_content(pr))
				newline(pr);
			else if (pr->cur)
				/* Re-indent the empty line one level out. */
				rline_reset(pr->cur), render_pad(pr->cur,
					2 * (size_t)(pr->depth < EV_MAX_INDENT ? pr->depth
									       : EV_MAX_INDENT),
					STYLE_NORMAL);
			emit(pr, &c, 1, STYLE_JSON_PUNCT);
			pr->p++;
		} else if (c == ',') {
			emit(pr, ",", 1, STYLE_JSON_PUNCT);
			pr->p++;
			newline(pr);
		} else if (c == ':') {
			emit(pr, ": ", 2, STYLE_JSON_PUNCT);
			pr->p++;
		} else if (c == '"') {
			print_string(pr, string_is_key(pr) ? STYLE_JSON_KEY
							   : STYLE_JSON_STRING);
		} else {
			/* Numbers, literals and anything else up to the next
			 * delimiter, verbatim (the renderer escapes it). */
			const char *s = pr->p;
			enum style st = (c == '-' || (c >= '0' && c <= '9'))
				? STYLE_JSON_NUMBER : STYLE_JSON_LITERAL;

			while (pr->p < pr->end && !strchr(",:{}[]\" \t\r\n", *pr->p))
				pr->p++;
			if (pr->p == s)
				pr->p++;
			emit(pr, s, (size_t)(pr->p - s) > EV_MAX_STRING
				     ? EV_MAX_STRING : (size_t)(pr->p - s), st);
		}
		if (!pr->cur && pr->e->truncated)
			break;
	}
	if (pr->e->nlines && !line_has_content(pr)) {
		/* Drop a trailing empty line. */
		rline_dispose(&pr->e->lines[--pr->e->nlines]);
	}
}

/* Records that are not JSON (a VPC flow log line): one row per line. */
static void
print_text(struct evidence *e)
{
	const char *p = e->raw, *end = e->raw + e->raw_len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct rline *l = new_line(e, 0);

		if (!l)
			break;
		render_text(l, p, n > EV_MAX_STRING ? EV_MAX_STRING : n,
			    STYLE_JSON_STRING);
		p += n + (nl ? 1 : 0);
	}
}

static void
layout(struct evidence *e)
{
	struct printer pr = { .e = e, .p = e->raw, .end = e->raw + e->raw_len };
	char c;

	clear_lines(e);
	c = peek(&pr);
	if (c == '{' || c == '[')
		print_json(&pr);
	else
		print_text(e);
	if (e->truncated) {
		struct rline *l;

		e->truncated = false;
		if ((l = new_line(e, 0)))
			render_printf(l, STYLE_DIM, "(cut at %d lines)", EV_MAX_LINES);
	}
}

/* ---- loading -------------------------------------------------------------- */

static int
on_event(void *ctx, const struct event *ev)
{
	struct evidence *e = ctx;
	char tbuf[TIMEUTIL_BUFSZ], summary[256];

	free(e->raw);
	e->raw = malloc(ev->raw_len + 1);
	if (!e->raw)
		return err_set(ERR_NOMEM, "out of memory");
	if (ev->raw_len)
		memcpy(e->raw, ev->raw, ev->raw_len);
	e->raw[ev->raw_len] = '\0';
	e->raw_len = ev->raw_len;
	snprintf(summary, sizeof(summary), "%s %s %s",
		 ev->str[EF_SOURCE] ? ev->str[EF_SOURCE] : "?",
		 ev->str[EF_ACTION] ? ev->str[EF_ACTION] : "",
		 ev->has_time ? timeutil_format(ev->time_ns, tbuf) : "");
	free(e->summary);
	e->summary = strdup(summary);
	e->found = true;
	return 1;
}

static int
ev_refresh(struct view *v)
{
	struct evidence *e = v->priv;
	struct event_filter f = { .id = e->id, .limit = 1 };
	int rc;

	e->found = false;
	rc = store_find_events(app_store(v->app), &f, on_event, e);
	if (rc < 0)
		return rc;
	if (!e->found)
		return err_set(ERR_NOTFOUND, "no stored event %s", e->id);
	layout(e);
	v->nrows = e->nlines;
	return 0;
}

static int
ev_open(struct view *v, const char *arg)
{
	struct evidence *e = calloc(1, sizeof(*e));

	if (!e || !(e->id = strdup(arg ? arg : ""))) {
		free(e);
		return err_set(ERR_NOMEM, "out of memory");
	}
	v->priv = e;
	v->scroll_only = true;
	return ev_refresh(v);
}

static void
ev_close(struct view *v)
{
	struct evidence *e = v->priv;

	if (!e)
		return;
	clear_lines(e);
	free(e->lines);
	free(e->raw);
	free(e->summary);
	free(e->needle);
	free(e->id);
	free(e);
	v->priv = NULL;
}

static void
ev_title(struct view *v, struct rline *out)
{
	struct evidence *e = v->priv;

	render_str(out, e->id, STYLE_TITLE);
	render_str(out, "  ", STYLE_TITLE);
	render_str(out, e->summary, STYLE_TITLE_COUNT);
	render_printf(out, STYLE_TITLE, "  %zu bytes", e->raw_len);
	if (e->needle)
		render_printf(out, STYLE_TITLE, "  /%s", e->needle);
}

static void
ev_draw_row(struct view *v, size_t row, size_t width, struct rline *out)
{
	struct evidence *e = v->priv;

	(void)width;
	rline_append(out, &e->lines[row]);
	if (e->needle)
		rline_highlight(out, e->needle, STYLE_SEARCH);
}

/* ---- search --------------------------------------------------------------- */

/* The next (dir 1) or previous (dir -1) line holding the needle, starting
 * after from; wraps around. */
static unsigned
find(struct view *v, size_t from, int dir)
{
	struct evidence *e = v->priv;

	if (!e->needle || !e->nlines) {
		app_status(v->app, "no search yet: / searches");
		return REDRAW_STATUS;
	}
	for (size_t k = 1; k <= e->nlines; k++) {
		size_t row = dir > 0 ? (from + k) % e->nlines
				     : (from + e->nlines - k % e->nlines) % e->nlines;

		if (rline_contains(&e->lines[row], e->needle)) {
			e->match = row;
			v->top = row;
			app_show_row(v->app, v, row);
			app_status(v->app, "\"%s\" on line %zu", e->needle, row + 1);
			return REDRAW_BODY | REDRAW_STATUS | REDRAW_TITLE;
		}
	}
	app_status(v->app, "\"%s\" not found", e->needle);
	return REDRAW_BODY | REDRAW_STATUS | REDRAW_TITLE;
}

static unsigned
ev_search(struct view *v, const char *text)
{
	struct evidence *e = v->priv;

	free(e->needle);
	e->needle = text && *text ? strdup(text) : NULL;
	if (!e->needle) {
		app_status(v->app, "search cleared");
		return REDRAW_ALL;
	}
	/* From the top of the screen, so a match on it counts. */
	return find(v, v->top ? v->top - 1 : e->nlines - 1, 1);
}

static unsigned
act_next(struct view *v)
{
	return find(v, ((struct evidence *)v->priv)->match, 1);
}

static unsigned
act_prev(struct view *v)
{
	return find(v, ((struct evidence *)v->priv)->match, -1);
}

static unsigned
act_reload(struct view *v)
{
	if (ev_refresh(v) < 0)
		app_error(v->app, "%s", err_msg());
	return REDRAW_ALL;
}

static const struct {
	enum action action;
	unsigned (*fn)(struct view *v);
} ev_actions[] = {
	{ ACTION_NEXT, act_next },
	{ ACTION_PREV, act_prev },
	{ ACTION_RELOAD, act_reload },
};

static unsigned
ev_handle(struct view *v, enum action a)
{
	for (size_t i = 0; i < sizeof(ev_actions) / sizeof(ev_actions[0]); i++)
		if (ev_actions[i].action == a)
			return ev_actions[i].fn(v);
	return REDRAW_PASS;
}

const struct view_ops view_evidence_ops = {
	.name = "evidence",
	.scope = KEYMAP_SCOPE_EVIDENCE,
	.open = ev_open,
	.refresh = ev_refresh,
	.title = ev_title,
	.draw_row = ev_draw_row,
	.handle = ev_handle,
	.search = ev_search,
	.close = ev_close,
};
