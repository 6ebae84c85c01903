/* SPDX-License-Identifier: Apache-2.0 */
/* utf8: validation and repair of UTF-8 text from hostile sources, following
 * the Unicode "substitution of maximal subparts" practice (U+FFFD for each
 * maximal ill-formed subpart, so a cut sequence never eats what follows). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/utf8.h"

static const char replacement[3] = { '\xEF', '\xBF', '\xBD' };

/* Length of the well-formed sequence at s (n >= 1 bytes, s[0] >= 0x80), or
 * the negated length of its maximal ill-formed subpart (always >= 1 byte).
 * The second byte's range depends on the lead byte; that is what rules out
 * overlongs (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code
 * points past U+10FFFF (F4 90.., F5..FF). */
static inline int
seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	int want, k;

	if (c >= 0xC2 && c <= 0xDF) {
		want = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		want = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		want = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return -1;
	}
	if (n < 2 || s[1] < lo || s[1] > hi)
		return -1;
	for (k = 2; k < want; k++)
		if ((size_t)k >= n || s[k] < 0x80 || s[k] > 0xBF)
			return -k;
	return want;
}

/* Length of the leading run of ASCII bytes, eight at a time when aligned
 * reads are cheap (memcpy keeps it free of alignment UB). */
static inline size_t
ascii_run(const unsigned char *s, size_t n)
{
	size_t i = 0;
	uint64_t w;

	while (i + 8 <= n) {
		memcpy(&w, s + i, 8);
		if (w & UINT64_C(0x8080808080808080))
			break;
		i += 8;
	}
	while (i < n && s[i] < 0x80)
		i++;
	return i;
}

bool
utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	int k;

	while (i < n) {
		i += ascii_run(u + i, n - i);
		if (i >= n)
			break;
		if ((k = seq_len(u + i, n - i)) < 0)
			return false;
		i += (size_t)k;
	}
	return true;
}

int
utf8_repair(const char *s, size_t n, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0;
	int k, rc;

	while (i < n) {
		i += ascii_run(u + i, n - i);
		if (i >= n)
			break;
		if ((k = seq_len(u + i, n - i)) > 0) {
			i += (size_t)k;
			continue;
		}
		/* The good run in one go, then one U+FFFD for the subpart. */
		if ((rc = buf_add(out, s + start, i - start)) < 0 ||
		    (rc = buf_add(out, replacement, sizeof(replacement))) < 0)
			return rc;
		i += (size_t)-k;
		start = i;
	}
	return buf_add(out, s + start, n - start);
}

char *
utf8_dup_repaired(const char *s, size_t n)
{
	struct buf b;

	buf_init(&b);
	if (utf8_repair(s, n, &b) < 0) {
		buf_dispose(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* n == 0 is a caller error: nothing is consumed and *cp is U+FFFD. */
size_t
utf8_decode(const char *s, size_t n, unsigned *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned v;
	int k, j;

	if (n == 0) {
		*cp = 0xFFFD;
		return 0;
	}
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((k = seq_len(u, n)) < 0) {
		*cp = 0xFFFD;
		return (size_t)-k;
	}
	v = u[0] & (0xFFu >> (k + 1));
	for (j = 1; j < k; j++)
		v = (v << 6) | (u[j] & 0x3Fu);
	*cp = v;
	return (size_t)k;
}
