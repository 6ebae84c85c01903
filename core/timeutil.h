/* SPDX-License-Identifier: Apache-2.0 */
/* timeutil: parsing and formatting UTC times in nanoseconds. */
#ifndef VERDICT_TIMEUTIL_H
#define VERDICT_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Parse an ISO 8601 / RFC 3339 time: "2026-12-01T00:00:00Z",
 * "2026-12-01 18:06:52" (no zone means UTC), fractions up to 9 digits kept,
 * more digits truncated, "+hh:mm"/"-hhmm" offsets applied. Returns 0 and
 * nanoseconds since the epoch, or ERR_PARSE. */
int timeutil_parse(const char *s, int64_t *ns);

/* Format ns as "2026-12-01T00:00:00.123Z": fraction only when non-zero,
 * trailing zeros trimmed. out needs TIMEUTIL_BUFSZ bytes. */
#define TIMEUTIL_BUFSZ 40
char *timeutil_format(int64_t ns, char *out);

/* Parse a user-given bound for --since/--until: an ISO time, a date
 * "2026-12-01", epoch seconds, or a relative "15m", "2h", "7d" before now. */
int timeutil_parse_bound(const char *s, int64_t now_ns, int64_t *ns);

/* Nanoseconds since the epoch, now. */
int64_t timeutil_now(void);

#endif
