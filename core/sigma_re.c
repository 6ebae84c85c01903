/* SPDX-License-Identifier: Apache-2.0 */
/* sigma_re: the PCRE patterns of Sigma's `re` modifier translated to
 * POSIX extended regular expressions, with the literal every match must
 * hold. */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/sigma_int.h"

/* ---- regular expressions -----------------------------------------------
 * Rules write PCRE; POSIX ERE (regcomp) runs them. The translation keeps
 * PCRE's meaning where ERE differs ('.' and '$' at newlines, classes like
 * \d, escapes inside brackets) and refuses what ERE cannot say
 * (lookaround, backreferences, possessive quantifiers). Lazy quantifiers
 * only change which match is found, never whether one is, so they become
 * greedy. */

static int
re_unsupported(const char *what)
{
	return err_set(ERR_UNSUPPORTED, "regular expression uses %s, which "
		       "POSIX regular expressions cannot express", what);
}

static int
re_bracket(const char *p, size_t *i, int flags, struct buf *o)
{
	struct buf body;
	bool neg = false, rb = false, dash = false, caret = false, first = true;
	size_t k = *i + 1;
	int rc = 0;

	buf_init(&body);
	if (p[k] == '^') {
		neg = true;
		k++;
	}
	for (;; first = false) {
		char c = p[k];

		if (!c) {
			rc = err_set(ERR_PARSE, "regular expression: `[` without `]`");
			goto out;
		}
		if (c == ']' && !first)
			break;
		if (c == ']') {
			rb = true;
			k++;
		} else if (c == '[' && (p[k + 1] == ':' || p[k + 1] == '.' ||
					p[k + 1] == '=')) {
			const char *end = strstr(p + k + 2, (char[]){ p[k + 1], ']', 0 });

			if (!end) {
				rc = err_set(ERR_PARSE, "regular expression: "
					     "unterminated class");
				goto out;
			}
			buf_add(&body, p + k, (size_t)(end + 2 - (p + k)));
			k = (size_t)(end + 2 - p);
		} else if (c == '\\') {
			char e = p[k + 1];

			k += 2;
			if (e == 'd')
				buf_adds(&body, "0-9");
			else if (e == 'w')
				buf_adds(&body, "[:alnum:]_");
			else if (e == 's')
				buf_adds(&body, "[:space:]");
			else if (e == 'D' || e == 'W' || e == 'S') {
				rc = re_unsupported("a negated class inside brackets");
				goto out;
			} else if (e == ']')
				rb = true;
			else if (e == '-')
				dash = true;
			else if (e == '^')
				caret = true;
			else if (e == 'n')
				buf_addc(&body, '\n');
			else if (e == 't')
				buf_addc(&body, '\t');
			else if (e == 'r')
				buf_addc(&body, '\r');
			else if (e && !((e >= 'a' && e <= 'z') ||
					(e >= 'A' && e <= 'Z') ||
					(e >= '0' && e <= '9')))
				buf_addc(&body, e);
			else {
				rc = re_unsupported("an escape inside brackets");
				goto out;
			}
		} else if (c == '-' && (first || p[k + 1] == ']')) {
			dash = true;
			k++;
		} else if (c == '^') {
			caret = true;
			k++;
		} else {
			buf_addc(&body, c);
			k++;
		}
	}
	*i = k + 1; /* past the `]` */
	if (!neg && !rb && !dash && caret && !body.len) {
		buf_adds(o, "\\^");
		goto out;
	}
	/* Under REG_NEWLINE a negated list stops matching a newline; PCRE's
	 * still matches one. */
	if (neg && (flags & RE_M))
		buf_addc(o, '(');
	buf_addc(o, '[');
	if (neg)
		buf_addc(o, '^');
	if (rb)
		buf_addc(o, ']');
	if (body.len)
		buf_add(o, body.data, body.len);
	if (caret)
		buf_addc(o, '^');
	if (dash)
		buf_addc(o, '-');
	buf_addc(o, ']');
	if (neg && (flags & RE_M))
		buf_adds(o, "|\n)");
out:
	buf_dispose(&body);
	return rc;
}

/* The longest run of plain characters every match must contain, found
 * while translating: regexec runs only on texts that hold it. Runs break
 * at anything but a plain ASCII character outside groups; a quantifier
 * that allows zero takes its character back out; alternation at the top
 * means nothing is required. */
struct relit {
	struct buf cur, best;
	int depth;          /* group nesting */
	bool last_plain;    /* the previous atom is the last byte of cur */
	bool none;          /* top-level alternation */
};

static void
relit_break(struct relit *x)
{
	if (x->cur.len > x->best.len) {
		buf_reset(&x->best);
		buf_add(&x->best, x->cur.data, x->cur.len);
	}
	buf_reset(&x->cur);
	x->last_plain = false;
}

static void
relit_char(struct relit *x, char c)
{
	if (x->depth || (unsigned char)c >= 0x80) {
		relit_break(x);
		return;
	}
	buf_addc(&x->cur, c);
	x->last_plain = true;
}

/* A quantifier; may_skip when it allows zero repeats. */
static void
relit_quant(struct relit *x, bool may_skip)
{
	if (x->last_plain && may_skip && x->cur.len)
		x->cur.data[--x->cur.len] = '\0';
	relit_break(x);
}

/* Translate PCRE pattern p with flags into ERE text in o, and the literal
 * every match holds into lit. */
static int
re_translate(const char *p, int *flags, struct buf *o, struct buf *lit)
{
	struct relit x = { .depth = 0 };
	size_t i = 0;
	int rc = 0;

	buf_init(&x.cur);
	buf_init(&x.best);
	if (!strncmp(p, "(?i)", 4)) {
		*flags |= RE_I;
		i = 4;
	}
	while (rc == 0 && p[i]) {
		char c = p[i];

		if (c == '\\') {
			char e = p[i + 1];
			static const char *const classes[][2] = {
				{ "d", "[0-9]" }, { "D", "[^0-9]" },
				{ "w", "[[:alnum:]_]" }, { "W", "[^[:alnum:]_]" },
				{ "s", "[[:space:]]" }, { "S", "[^[:space:]]" },
			};
			bool done = false;

			i += 2;
			for (size_t k = 0; k < 6 && !done; k++)
				if (e == classes[k][0][0]) {
					buf_adds(o, classes[k][1]);
					done = true;
				}
			if (done) {
				relit_break(&x);
			} else if (e == 'b' || e == 'B') {
				buf_addc(o, '\\');
				buf_addc(o, e);
				relit_break(&x);
			} else if (e == 'n' || e == 't' || e == 'r') {
				e = e == 'n' ? '\n' : e == 't' ? '\t' : '\r';
				buf_addc(o, e);
				relit_char(&x, e);
			} else if (e && strchr(".[]{}()*+?^$|\\/-", e)) {
				if (strchr(".[{()*+?^$|\\", e))
					buf_addc(o, '\\');
				buf_addc(o, e);
				relit_char(&x, e);
			} else if (!e) {
				rc = err_set(ERR_PARSE, "regular expression ends with "
					     "a backslash");
			} else if (e >= '1' && e <= '9') {
				rc = re_unsupported("a backreference");
			} else if (!((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
				     (e >= '0' && e <= '9'))) {
				buf_addc(o, e);
				relit_char(&x, e);
			} else {
				char what[16];

				snprintf(what, sizeof(what), "`\\%c`", e);
				rc = re_unsupported(what);
			}
			continue;
		}
		if (c == '[') {
			relit_break(&x);
			rc = re_bracket(p, &i, *flags, o);
			continue;
		}
		if (c == '(') {
			if (p[i + 1] == '?' && p[i + 2] != ':') {
				rc = re_unsupported("a `(?` group other than `(?:`");
				continue;
			}
			relit_break(&x);
			x.depth++;
			buf_addc(o, '(');
			i += p[i + 1] == '?' ? 3 : 1;
			continue;
		}
		if (c == ')' || c == '^') {
			relit_break(&x);
			if (c == ')' && x.depth > 0)
				x.depth--;
		} else if (c == '|') {
			if (!x.depth)
				x.none = true;
			relit_break(&x);
		} else if (c == '.') {
			/* PCRE's dot skips newlines unless `s`; ERE's matches them
			 * unless REG_NEWLINE (which `m` turns on). */
			if ((*flags & RE_S) && (*flags & RE_M))
				buf_adds(o, "(.|\n)");
			else if (!(*flags & RE_S) && !(*flags & RE_M))
				buf_adds(o, "[^\n]");
			else
				buf_addc(o, '.');
			relit_break(&x);
			i++;
			continue;
		} else if (c == '$' && !(*flags & RE_M)) {
			buf_adds(o, "(\n?$)"); /* PCRE: end, or before a final newline */
			relit_break(&x);
			i++;
			continue;
		} else if (c == '$') {
			relit_break(&x);
		}
		if (c == '{') {
			size_t k = i + 1;

			while (p[k] >= '0' && p[k] <= '9')
				k++;
			if (p[k] == ',')
				for (k++; p[k] >= '0' && p[k] <= '9'; k++)
					;
			if (k == i + 1 || p[k] != '}') {
				buf_adds(o, "\\{"); /* PCRE reads it as a brace */
				relit_char(&x, '{');
				i++;
				continue;
			}
			relit_quant(&x, p[i + 1] == '0' || p[i + 1] == ',');
			buf_add(o, p + i, k + 1 - i);
			i = k + 1;
		} else {
			if (c == '*' || c == '?' || c == '+')
				relit_quant(&x, c != '+');
			else if (!strchr(")^|$", c))
				relit_char(&x, c);
			buf_addc(o, c);
			i++;
		}
		if (c == '*' || c == '+' || c == '?' || c == '{') {
			if (p[i] == '+')
				rc = re_unsupported("a possessive quantifier");
			else if (p[i] == '?')
				i++;
		}
	}
	relit_break(&x);
	if (rc == 0 && !x.none && x.best.len)
		rc = buf_add(lit, x.best.data, x.best.len) < 0 ? ERR_NOMEM : 0;
	buf_dispose(&x.cur);
	buf_dispose(&x.best);
	return rc;
}

int
sigma_value_regex(struct value *v, const char *src, int flags)
{
	struct buf ere, lit;
	char msg[160];
	int cflags, rc;

	buf_init(&ere);
	buf_init(&lit);
	v->kind = V_RE;
	v->re_flags = flags;
	if (!(v->src = strdup(src)) || !(v->re = calloc(1, sizeof(*v->re)))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = re_translate(src, &v->re_flags, &ere, &lit)) < 0)
		goto out;
	/* The literal must be there, whatever the case under `i`. */
	if (lit.len) {
		v->len = lit.len;
		v->lit = buf_detach(&lit);
		for (size_t k = 0; (v->re_flags & RE_I) && k < v->len; k++)
			v->lit[k] = (char)fold((unsigned char)v->lit[k]);
	}
	cflags = REG_EXTENDED | REG_NOSUB;
	if (v->re_flags & RE_I)
		cflags |= REG_ICASE;
	if (v->re_flags & RE_M)
		cflags |= REG_NEWLINE;
	rc = regcomp(v->re, ere.data ? ere.data : "", cflags);
	if (rc != 0) {
		regerror(rc, v->re, msg, sizeof(msg));
		free(v->re);
		v->re = NULL;
		rc = err_set(ERR_PARSE, "regular expression `%s`: %s", src, msg);
	}
out:
	buf_dispose(&ere);
	buf_dispose(&lit);
	return rc;
}
