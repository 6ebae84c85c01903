/* SPDX-License-Identifier: Apache-2.0 */
/* jsonscan: finding JSON values in a byte stream without parsing them: one
 * linear pass per job, depth as a counter, lookup tables instead of a call
 * per byte, so deep nesting and large inputs cost nothing extra. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonscan.h"
#include "core/utf8.h"

/* Byte classes. Inside a container only quotes and brackets matter; inside
 * a string only the quote and backslash; while preparing, also digits, '-'
 * (a number may start) and bytes >= 0x80 (UTF-8 to check). */
enum {
	C_WS = 1,       /* JSON whitespace */
	C_STRUCT = 2,   /* " [ ] { } */
	C_STR = 4,      /* " \ */
	C_NUMSTART = 8, /* - 0-9 */
	C_HIGH = 16,    /* 0x80-0xFF */
	C_SCALAR_END = 32 /* whitespace , : ] } end a bare scalar */
};

#define WS (C_WS | C_SCALAR_END)
#define HI4 C_HIGH, C_HIGH, C_HIGH, C_HIGH
#define HI16 HI4, HI4, HI4, HI4

/* Constant, so any thread may scan at any time. */
static const unsigned char cls[256] = {
	[' '] = WS, ['\t'] = WS, ['\n'] = WS, ['\r'] = WS,
	['"'] = C_STRUCT | C_STR, ['\\'] = C_STR,
	['['] = C_STRUCT, ['{'] = C_STRUCT,
	[']'] = C_STRUCT | C_SCALAR_END, ['}'] = C_STRUCT | C_SCALAR_END,
	[','] = C_SCALAR_END, [':'] = C_SCALAR_END,
	['-'] = C_NUMSTART,
	['0'] = C_NUMSTART, C_NUMSTART, C_NUMSTART, C_NUMSTART, C_NUMSTART,
	C_NUMSTART, C_NUMSTART, C_NUMSTART, C_NUMSTART, C_NUMSTART,
	[0x80] = HI16, HI16, HI16, HI16, HI16, HI16, HI16, HI16,
};

#define CLS(c) cls[(unsigned char)(c)]

/* ---- splitting a stream into top-level values ------------------------- */

void
jsonscan_init(struct jsonscan *js)
{
	memset(js, 0, sizeof(*js));
}

/* Past the closing quote of the string whose body starts at p[i], or n if
 * it does not close in p[0..n) (js->escape then says whether the chunk ended
 * inside an escape). */
static size_t
skip_string_body(struct jsonscan *js, const char *p, size_t i, size_t n)
{
	const char *q, *bs;
	size_t quote = 0;
	bool searched = false;

	if (js->escape) {
		if (i >= n)
			return n;
		js->escape = false;
		i++;
	}
	while (i < n) {
		/* The next quote is searched again only once passed, so a long
		 * string full of escapes stays one linear pass. */
		if (!searched || quote < i) {
			q = memchr(p + i, '"', n - i);
			quote = q ? (size_t)(q - p) : n;
			searched = true;
		}
		bs = memchr(p + i, '\\', quote - i);
		if (bs) {
			i = (size_t)(bs - p) + 2;
			if (i > n) {
				js->escape = true;
				return n;
			}
			continue;
		}
		if (quote == n)
			return n;
		js->in_string = false;
		return quote + 1;
	}
	return n;
}

size_t
jsonscan_feed(struct jsonscan *js, const char *p, size_t n, bool *complete)
{
	size_t i = 0;
	char c;

	*complete = false;
	while (i < n) {
		if (js->in_string) {
			i = skip_string_body(js, p, i, n);
			if (!js->in_string && js->depth == 0)
				goto done;
			continue;
		}
		if (!js->started) {
			while (i < n && (CLS(p[i]) & C_WS))
				i++;
			if (i == n)
				break;
			c = p[i++];
			js->started = true;
			if (c == '{' || c == '[') {
				js->depth = 1;
			} else {
				/* A stray closer is a scalar too, so depth
				 * never goes negative on hostile input. */
				js->scalar = true;
				js->in_string = c == '"';
			}
			continue;
		}
		if (js->scalar) {
			while (i < n && !(CLS(p[i]) & C_WS))
				i++;
			if (i < n)
				goto done;
			break;
		}
		while (i < n && !(CLS(p[i]) & C_STRUCT))
			i++;
		if (i == n)
			break;
		c = p[i++];
		if (c == '"') {
			js->in_string = true;
		} else if (c == '{' || c == '[') {
			js->depth++;
		} else if (--js->depth == 0) {
			goto done;
		}
	}
	return n;
done:
	memset(js, 0, sizeof(*js));
	*complete = true;
	return i;
}

/* ---- spans of array elements ------------------------------------------ */

static size_t
skip_ws(const char *p, size_t i, size_t n)
{
	while (i < n && (CLS(p[i]) & C_WS))
		i++;
	return i;
}

/* Past the closing quote of the string opening at p[i], or 0 if unclosed. */
static size_t
skip_string(const char *p, size_t i, size_t n)
{
	struct jsonscan js = { .in_string = true };

	i = skip_string_body(&js, p, i + 1, n);
	return js.in_string ? 0 : i;
}

/* Past the value starting at p[i] (not whitespace), or 0 if it is cut short
 * or empty. Containers by depth counting; a bare scalar ends at whitespace,
 * a comma, a colon or a closer. */
static size_t
skip_value(const char *p, size_t i, size_t n)
{
	size_t depth = 0;

	if (p[i] == '"')
		return skip_string(p, i, n);
	if (p[i] != '{' && p[i] != '[') {
		size_t start = i;

		while (i < n && !(CLS(p[i]) & C_SCALAR_END) && p[i] != '"')
			i++;
		return i > start ? i : 0;
	}
	while (i < n) {
		while (i < n && !(CLS(p[i]) & C_STRUCT))
			i++;
		if (i == n)
			break;
		switch (p[i]) {
		case '"':
			if (!(i = skip_string(p, i, n)))
				return 0;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		default:
			if (--depth == 0)
				return i + 1;
		}
		i++;
	}
	return 0;
}

/* Offset of the '[' of the array under key in the object at p[i]. Keys are
 * compared as raw bytes: the keys we look for have no escapes. */
static int
find_member_array(const char *p, size_t n, size_t i, const char *key,
		  size_t *at)
{
	size_t klen = strlen(key), ks, ke;

	if (i >= n || p[i] != '{')
		return err_set(ERR_PARSE, "not a JSON object (looking for "
			       "`%s`)", key);
	i = skip_ws(p, i + 1, n);
	while (i < n && p[i] == '"') {
		ks = i + 1;
		if (!(i = skip_string(p, i, n)))
			break;
		ke = i - 1;
		i = skip_ws(p, i, n);
		if (i >= n || p[i] != ':')
			break;
		i = skip_ws(p, i + 1, n);
		if (i >= n)
			break;
		if (ke - ks == klen && memcmp(p + ks, key, klen) == 0) {
			if (p[i] != '[')
				return err_set(ERR_PARSE,
					       "member `%s` is not an array",
					       key);
			*at = i;
			return 0;
		}
		if (!(i = skip_value(p, i, n)))
			break;
		i = skip_ws(p, i, n);
		if (i >= n || p[i] != ',')
			break;
		i = skip_ws(p, i + 1, n);
	}
	return err_set(ERR_PARSE, "no array member `%s` in the object", key);
}

int
jsonscan_array_spans(const char *p, size_t n, const char *key,
		     struct span **spans, size_t *count)
{
	struct span *list = NULL, *grown;
	size_t len = 0, cap = 0, i, end;
	int rc = 0;

	i = skip_ws(p, 0, n);
	if (key) {
		if ((rc = find_member_array(p, n, i, key, &i)) < 0)
			return rc;
	} else if (i >= n || p[i] != '[') {
		return err_set(ERR_PARSE, "not a JSON array");
	}
	i = skip_ws(p, i + 1, n);
	if (i < n && p[i] == ']')
		return 0;
	for (;;) {
		if (i >= n || !(end = skip_value(p, i, n))) {
			rc = err_set(ERR_PARSE, "array element %zu at byte %zu "
				     "is cut short or empty", len, i);
			goto out;
		}
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(grown = realloc(list, cap * sizeof(*list)))) {
				rc = err_set(ERR_NOMEM, "out of memory");
				goto out;
			}
			list = grown;
		}
		list[len].off = i;
		list[len++].len = end - i;
		i = skip_ws(p, end, n);
		if (i < n && p[i] == ']')
			break;
		if (i >= n || p[i] != ',') {
			rc = err_set(ERR_PARSE, "array element %zu is not "
				     "followed by ',' or ']' (byte %zu)",
				     len - 1, i);
			goto out;
		}
		i = skip_ws(p, i + 1, n);
	}
	if (!(grown = realloc(*spans, (*count + len) * sizeof(*list)))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(grown + *count, list, len * sizeof(*list));
	*spans = grown;
	*count += len;
out:
	free(list);
	return rc;
}

/* ---- preparing text for a DOM parser ---------------------------------- */

/* Digits a double holds exactly in every case. */
#define EXACT_DIGITS 15

/* Past the number starting at p[i] ('-' or a digit); *wrap says whether it
 * is an integer of more than EXACT_DIGITS digits. The rest of a real number
 * (fraction, exponent) is passed over whole, so its digits never count. */
static size_t
skip_number(const char *p, size_t i, size_t n, bool *wrap)
{
	size_t digits = i;

	if (p[i] == '-')
		digits = ++i;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	digits = i - digits;
	*wrap = false;
	if (i < n && (p[i] == '.' || p[i] == 'e' || p[i] == 'E')) {
		while (i < n && ((CLS(p[i]) & C_NUMSTART) || p[i] == '.' ||
				 p[i] == '+' || p[i] == 'e' || p[i] == 'E'))
			i++;
		return i;
	}
	*wrap = digits > EXACT_DIGITS;
	return i;
}

/* Four hex digits at p as a number. */
static bool
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++) {
		char c = p[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/* Copies in runs: bytes are only appended when something must change, or
 * at the end, so clean text costs one table lookup per byte. */
int
jsonscan_prepare(const char *p, size_t n, struct buf *out)
{
	static const char fffd[3] = { '\xEF', '\xBF', '\xBD' };
	size_t i = 0, run = 0, start, k;
	bool in_string = false, wrap;
	unsigned cp;
	int rc;

	if ((rc = buf_grow(out, n + 16)) < 0)
		return rc;
	while (i < n) {
		if (in_string) {
			while (i < n && !(CLS(p[i]) & (C_STR | C_HIGH)))
				i++;
			if (i == n)
				break;
			if (p[i] == '"') {
				in_string = false;
				i++;
				continue;
			}
			if (p[i] == '\\') {
				unsigned hi;

				/* A \u escape of a lone surrogate would make
				 * cJSON drop the whole record: it becomes
				 * \uFFFD, as an ill-formed byte would. */
				if (i + 6 <= n && p[i + 1] == 'u' &&
				    hex4(p + i + 2, &hi) && hi >= 0xD800 &&
				    hi <= 0xDFFF) {
					unsigned lo;

					if (hi <= 0xDBFF && i + 12 <= n &&
					    p[i + 6] == '\\' && p[i + 7] == 'u' &&
					    hex4(p + i + 8, &lo) &&
					    lo >= 0xDC00 && lo <= 0xDFFF) {
						i += 12;
						continue;
					}
					if ((rc = buf_add(out, p + run, i - run)) < 0 ||
					    (rc = buf_add(out, "\\uFFFD", 6)) < 0)
						return rc;
					i += 6;
					run = i;
					continue;
				}
				/* Skip the escaped byte unless it starts a
				 * UTF-8 sequence that still needs checking. */
				if (++i < n && !(CLS(p[i]) & C_HIGH))
					i++;
				continue;
			}
		} else {
			while (i < n &&
			       !(CLS(p[i]) & (C_STR | C_NUMSTART | C_HIGH)))
				i++;
			if (i == n)
				break;
			if (p[i] == '"') {
				in_string = true;
				i++;
				continue;
			}
			if (CLS(p[i]) & C_NUMSTART) {
				start = i;
				i = skip_number(p, i, n, &wrap);
				if (!wrap)
					continue;
				if ((rc = buf_add(out, p + run, start - run)) ||
				    (rc = buf_addc(out, '"')) ||
				    (rc = buf_add(out, p + start, i - start)) ||
				    (rc = buf_addc(out, '"')))
					return rc;
				run = i;
				continue;
			}
			/* Bytes >= 0x80 outside strings: checked below. */
		}
		k = utf8_decode(p + i, n - i, &cp);
		/* U+FFFD that was already in the text is well-formed. */
		if (cp != 0xFFFD || (k == 3 && memcmp(p + i, fffd, 3) == 0)) {
			i += k;
			continue;
		}
		if ((rc = buf_add(out, p + run, i - run)) < 0 ||
		    (rc = buf_add(out, fffd, sizeof(fffd))) < 0)
			return rc;
		i += k;
		run = i;
	}
	return buf_add(out, p + run, n - run);
}
