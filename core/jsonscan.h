/* SPDX-License-Identifier: Apache-2.0 */
/* jsonscan: finding JSON values in a byte stream without parsing them.
 *
 * Used to split a stream into top-level values (JSON lines, pretty-printed
 * documents, concatenated documents) and to find the exact bytes of each
 * element of an array, so that every record's raw bytes are kept as they
 * arrived. Depth is a counter, never recursion, so deep nesting is safe. */
#ifndef VERDICT_JSONSCAN_H
#define VERDICT_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* Incremental splitter of top-level values. Feed it bytes; it reports where
 * each complete value ends. */
struct jsonscan {
	int depth;        /* open [ and { outside strings */
	bool in_string;
	bool escape;      /* previous byte was a backslash inside a string */
	bool started;     /* a value has begun (non-space seen at depth 0) */
	bool scalar;      /* the value began with a scalar, not [ or { */
};

void jsonscan_init(struct jsonscan *js);

/* Scan p[0..n). Returns the offset just past the end of the first complete
 * top-level value in it, or n when more bytes are needed (check
 * js->started to tell whether a value is open). Top-level scalars end at
 * whitespace. A value that ends at offset k leaves js reset for the next. */
size_t jsonscan_feed(struct jsonscan *js, const char *p, size_t n, bool *complete);

struct span {
	size_t off, len;
};

/* For the JSON text p[0..n) that is an array, or an object whose member
 * named key (at depth 1) is an array, append the byte span of each array
 * element to *spans (realloc'd, *count updated). key NULL means p itself
 * is the array. Returns 0, or ERR_PARSE if the shape is not found. */
int jsonscan_array_spans(const char *p, size_t n, const char *key,
			 struct span **spans, size_t *count);

/* Copy JSON text p[0..n) into out, ready for cJSON: ill-formed UTF-8 is
 * replaced by U+FFFD, and integer literals too long for a double to hold
 * exactly (more than 15 digits) are wrapped in quotes so their digits
 * survive as strings. Returns 0 or ERR_NOMEM. */
int jsonscan_prepare(const char *p, size_t n, struct buf *out);

#endif
