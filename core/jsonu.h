/* SPDX-License-Identifier: Apache-2.0 */
/* jsonu: small typed lookups over cJSON trees. */
#ifndef VERDICT_JSONU_H
#define VERDICT_JSONU_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* The member at a dotted path ("userIdentity.sessionContext.sessionIssuer"),
 * case-sensitive, or NULL. Each segment is one object key. */
const cJSON *jsonu_path(const cJSON *obj, const char *path);

/* The member named exactly key (dots included, as in Falco's
 * "evt.time"), or NULL. */
const cJSON *jsonu_key(const cJSON *obj, const char *key);

/* The string at path, or NULL when absent, null or not a string. */
const char *jsonu_str(const cJSON *obj, const char *path);

/* Like jsonu_str but also NULL for "". */
const char *jsonu_strne(const cJSON *obj, const char *path);

/* An exact integer from a number (when it is integral and within 2^53) or
 * from a string of digits (jsonscan_prepare turns longer integers into
 * strings). Returns false if item is absent or not such a value. */
bool jsonu_int64(const cJSON *item, int64_t *out);

/* A double from a number or a numeric string. */
bool jsonu_double(const cJSON *item, double *out);

/* True when item is absent or JSON null. */
bool jsonu_isnull(const cJSON *item);

/* An object has every one of the keys, a list ending in (char *)NULL. */
bool jsonu_has_all(const cJSON *obj, ...);

/* s as a JSON string, or null when s is NULL (new item). */
cJSON *jsonu_str_or_null(const char *s);
/* n strings as a JSON array (new item). */
cJSON *jsonu_strv(char *const *v, size_t n);

#endif
