/* SPDX-License-Identifier: Apache-2.0 */
/* tap: the few assertions the unit tests use; a test exits non-zero if any
 * check failed, printing each failure with its line. */
#ifndef VERDICT_TEST_TAP_H
#define VERDICT_TEST_TAP_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int tap_checks, tap_failures;

#define CHECK(cond) do { \
	tap_checks++; \
	if (!(cond)) { \
		tap_failures++; \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			__LINE__, #cond); \
	} \
} while (0)

/* Both NULL, or both equal strings. */
#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	tap_checks++; \
	if ((g_ == NULL) != (w_ == NULL) || (g_ && strcmp(g_, w_) != 0)) { \
		tap_failures++; \
		fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", \
			__FILE__, __LINE__, #got, g_ ? g_ : "(null)", \
			w_ ? w_ : "(null)"); \
	} \
} while (0)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	tap_checks++; \
	if (g_ != w_) { \
		tap_failures++; \
		fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n", \
			__FILE__, __LINE__, #got, g_, w_); \
	} \
} while (0)

static inline int
tap_done(void)
{
	printf("%d checks, %d failed\n", tap_checks, tap_failures);
	return tap_failures ? 1 : 0;
}

#endif
