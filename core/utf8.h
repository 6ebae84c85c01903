/* SPDX-License-Identifier: Apache-2.0 */
/* utf8: validation and repair of UTF-8 text from hostile sources. */
#ifndef VERDICT_UTF8_H
#define VERDICT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool utf8_valid(const char *s, size_t n);

/* Append s[0..n) to out with every ill-formed sequence replaced by
 * U+FFFD (one per maximal ill-formed subpart, as Unicode recommends), so a
 * sequence cut short never swallows the byte after it. */
int utf8_repair(const char *s, size_t n, struct buf *out);

/* A NUL-terminated repaired copy of s[0..n) (caller frees), NULL on ENOMEM. */
char *utf8_dup_repaired(const char *s, size_t n);

/* Decode one code point at s (n bytes available). Returns the number of
 * bytes consumed (>= 1); *cp is U+FFFD for an ill-formed sequence. */
size_t utf8_decode(const char *s, size_t n, unsigned *cp);

#endif
