/* SPDX-License-Identifier: Apache-2.0 */
/* strv: a growable vector of owned strings, for lists that are built up,
 * sorted and handed over whole. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/strv.h"

int
strv_push(struct strv *sv, char *s)
{
	if (!s)
		return err_set(ERR_NOMEM, "out of memory");
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 8;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (!v) {
			free(s);
			return err_set(ERR_NOMEM, "out of memory");
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	return 0;
}

int
strv_add(struct strv *sv, const char *s)
{
	return strv_push(sv, strdup(s));
}

bool
strv_has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strv_sort_unique(struct strv *sv)
{
	size_t i, n = 0;

	if (!sv->n)
		return;
	qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
	for (i = 0; i < sv->n; i++) {
		if (n && strcmp(sv->v[n - 1], sv->v[i]) == 0)
			free(sv->v[i]);
		else
			sv->v[n++] = sv->v[i];
	}
	sv->n = n;
}

char *
strv_join(const struct strv *sv, const char *sep)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < sv->n; i++)
		if ((i && buf_adds(&b, sep) < 0) || buf_adds(&b, sv->v[i]) < 0) {
			buf_dispose(&b);
			return NULL;
		}
	if (!b.data && buf_addc(&b, '\0') < 0)
		return NULL;
	return buf_detach(&b);
}

char **
strv_take(struct strv *sv, size_t *n)
{
	char **v = sv->v;

	strv_sort_unique(sv);
	*n = sv->n;
	memset(sv, 0, sizeof(*sv));
	return v;
}

void
strv_dispose(struct strv *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

void
strv_free_array(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}
