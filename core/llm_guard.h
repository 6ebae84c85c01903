/* SPDX-License-Identifier: Apache-2.0 */
/* llm_guard: what stands between hostile telemetry and a model. Text is
 * cleaned of characters a reader cannot see (bidi controls, zero-width and
 * tag characters, each replaced by a visible mark), wrapped in data blocks
 * whose random boundary an attacker cannot guess, and scanned for text
 * that reads like instructions to the model, which becomes a finding. */
#ifndef VERDICT_LLM_GUARD_H
#define VERDICT_LLM_GUARD_H

#include <stddef.h>

#include "core/buf.h"

/* A copy of s[0..len) that is valid UTF-8 (each ill-formed subpart becomes
 * U+FFFD) with the invisible characters removed and marked: a run of tag
 * characters (U+E0000..U+E007F) becomes "[hidden text: ...]" holding its
 * decoded printable ASCII; a bidi control, zero-width or invisible
 * formatting character, or a NUL byte, becomes "[U+XXXX]". *nmarked (may
 * be NULL) is the number of marks made. Caller frees; NULL on ENOMEM. */
char *llm_guard_clean(const char *s, size_t len, size_t *nmarked);

/* 32 lowercase hex digits from the kernel's random source, NUL-terminated:
 * the per-request boundary of data blocks. ERR_IO if no randomness. */
int llm_guard_boundary(char out[33]);

/* Append one data block to b:
 *   -----BEGIN DATA <boundary> <label>-----\n<cleaned text>\n
 *   -----END DATA <boundary>-----\n
 * The label keeps letters, digits, space and -_.: (others become '_').
 * ERR_USAGE if boundary is not 32 lowercase hex digits; ERR_FIELD if the
 * cleaned text contains the boundary (then b is left as it was). */
int llm_guard_block(struct buf *b, const char *boundary, const char *label,
		    const char *text);

/* Text that reads like instructions to a model, found in telemetry. */
struct guard_hit {
	char *event;   /* event id, NULL from llm_guard_scan */
	char *field;   /* path in the raw record ("detail.service.note",
			* "Records[0].userAgent"), NULL from llm_guard_scan */
	char *pattern; /* stable id: "ignore-instructions", "bidi-control" */
	char *excerpt; /* at most 80 characters around the hit, cleaned, on
			* one line */
};

/* Scan one text. *out (caller frees with guard_hits_free) gets one hit per
 * pattern found, in the order of the pattern table; *n their count (0 and
 * *out NULL when clean). Returns 0 or ERR_NOMEM. */
int llm_guard_scan(const char *text, struct guard_hit **out, size_t *n);

/* Scan every string value and object key of a raw record. JSON is walked
 * with field paths (a.b, a[0].c); text that is not JSON (a flow-log line)
 * is scanned whole as field "raw". Hits are in document order, then table
 * order, one per field and pattern; event_id (may be NULL) is copied into
 * each. Returns 0 or ERR_NOMEM. */
int llm_guard_scan_event(const char *raw_json, const char *event_id,
			 struct guard_hit **out, size_t *n);

/* Free n hits and the array; NULL is fine. */
void guard_hits_free(struct guard_hit *hits, size_t n);

#endif
