/* SPDX-License-Identifier: Apache-2.0 */
/* jsonu: small typed lookups over cJSON trees. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonu.h"

/* The first member of obj named p[0..n), the one
 * cJSON_GetObjectItemCaseSensitive finds. Testing the first byte before
 * comparing spares a call for most members passed over, and a CloudTrail
 * record gets some forty lookups. */
static const cJSON *
member(const cJSON *obj, const char *p, size_t n)
{
	const cJSON *c;

	if (!cJSON_IsObject(obj))
		return NULL;
	for (c = obj->child; c && c->string; c = c->next)
		if ((n == 0 || c->string[0] == p[0]) &&
		    strncmp(c->string, p, n) == 0 && c->string[n] == '\0')
			return c;
	return NULL;
}

const cJSON *
jsonu_key(const cJSON *obj, const char *key)
{
	return key ? member(obj, key, strlen(key)) : NULL;
}

const cJSON *
jsonu_path(const cJSON *obj, const char *path)
{
	const char *p = path, *dot;

	while (obj && p) {
		size_t n;

		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= 128)
			return NULL; /* no key verdict looks up is that long */
		obj = member(obj, p, n);
		p = dot ? dot + 1 : NULL;
	}
	return obj;
}

const char *
jsonu_str(const cJSON *obj, const char *path)
{
	const cJSON *it = jsonu_path(obj, path);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

const char *
jsonu_strne(const cJSON *obj, const char *path)
{
	const char *s = jsonu_str(obj, path);

	return s && *s ? s : NULL;
}

bool
jsonu_int64(const cJSON *item, int64_t *out)
{
	if (cJSON_IsNumber(item)) {
		double d = item->valuedouble;

		if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
			return false;
		*out = (int64_t)d;
		return true;
	}
	if (cJSON_IsString(item)) {
		const char *s = item->valuestring;
		char *end;
		long long v;

		if (!*s || (!(*s >= '0' && *s <= '9') && *s != '-'))
			return false;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || *end || end == s)
			return false;
		*out = v;
		return true;
	}
	return false;
}

bool
jsonu_double(const cJSON *item, double *out)
{
	if (cJSON_IsNumber(item)) {
		*out = item->valuedouble;
		return isfinite(*out);
	}
	if (cJSON_IsString(item) && item->valuestring[0]) {
		char *end;
		double d;

		errno = 0;
		d = strtod(item->valuestring, &end);
		if (errno || *end || !isfinite(d))
			return false;
		*out = d;
		return true;
	}
	return false;
}

bool
jsonu_isnull(const cJSON *item)
{
	return !item || cJSON_IsNull(item);
}

bool
jsonu_has_all(const cJSON *obj, ...)
{
	va_list ap;
	const char *key;
	bool ok = cJSON_IsObject(obj);

	va_start(ap, obj);
	while (ok && (key = va_arg(ap, const char *)))
		ok = jsonu_key(obj, key) != NULL;
	va_end(ap);
	return ok;
}

cJSON *
jsonu_str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

cJSON *
jsonu_strv(char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}
