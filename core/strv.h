/* SPDX-License-Identifier: Apache-2.0 */
/* strv: a growable vector of owned strings. */
#ifndef VERDICT_STRV_H
#define VERDICT_STRV_H

#include <stdbool.h>
#include <stddef.h>

/* Zero-initialised is empty; every string is the vector's. */
struct strv {
	char **v;
	size_t n, cap;
};

/* Append s, taking it; NULL s (a caller's failed allocation) or no memory:
 * ERR_NOMEM, with s freed. */
int strv_push(struct strv *sv, char *s);

/* Append a copy of s; 0 or ERR_NOMEM. */
int strv_add(struct strv *sv, const char *s);

/* Does sv hold a string equal to s? Linear: for short lists. */
bool strv_has(const struct strv *sv, const char *s);

/* Sort by strcmp and drop repeats. */
void strv_sort_unique(struct strv *sv);

/* The strings joined by sep, as a new string (caller frees), or NULL when
 * memory ran out. */
char *strv_join(const struct strv *sv, const char *sep);

/* Sort and drop repeats, then hand the array and its length to the caller
 * (to free, strings and array; NULL when empty) and leave sv empty. */
char **strv_take(struct strv *sv, size_t *n);

/* Free the strings and the array; sv is left empty. Accepts NULL. */
void strv_dispose(struct strv *sv);

/* Free n strings and the array that holds them (a taken strv, or any
 * plain char ** of the reports). Accepts NULL. */
void strv_free_array(char **v, size_t n);

#endif
