/* SPDX-License-Identifier: Apache-2.0 */
/* adapter: the table of input formats and helpers the adapters share. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/netaddr.h"
#include "core/timeutil.h"

/* Order matters only for ties in detect scores: the first wins. */
const struct adapter *const adapter_table[] = {
	&adapter_cloudtrail,
	&adapter_guardduty,
	&adapter_asff,
	&adapter_k8s_audit,
	&adapter_falco,
	&adapter_ocsf,
	&adapter_iam_authz,
	&adapter_wiz,
	&adapter_vpcflow,
	NULL,
};

const struct adapter *
adapter_find(const char *name)
{
	for (size_t i = 0; adapter_table[i]; i++)
		if (strcmp(adapter_table[i]->name, name) == 0)
			return adapter_table[i];
	return NULL;
}

const struct adapter *
adapter_detect(const cJSON *rec)
{
	const struct adapter *best = NULL;
	int best_score = 0;

	if (!cJSON_IsObject(rec))
		return NULL;
	for (size_t i = 0; adapter_table[i]; i++) {
		int score = adapter_table[i]->detect(rec);

		if (score > best_score) {
			best_score = score;
			best = adapter_table[i];
		}
	}
	return best;
}

/* ---- the collecting sink ---------------------------------------------- */

static int
collect_emit(struct ingest_sink *sink, struct event *ev)
{
	struct event_list *l = sink->ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct event *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			event_dispose(ev);
			return err_set(ERR_NOMEM, "out of memory collecting events");
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *ev;
	event_init(ev);
	return 0;
}

static int
collect_identity(struct ingest_sink *sink, const struct identity_item *it)
{
	struct event_list *l = sink->ctx;

	(void)it;
	l->identities++;
	return 0;
}

static void
collect_warn(struct ingest_sink *sink, const char *field, const char *msg)
{
	struct event_list *l = sink->ctx;

	l->warnings++;
	snprintf(l->last_warn, sizeof(l->last_warn), "field `%s`: %s",
		 field ? field : "?", msg);
}

static void
collect_skip(struct ingest_sink *sink, const char *reason)
{
	struct event_list *l = sink->ctx;

	l->skips++;
	snprintf(l->last_skip, sizeof(l->last_skip), "%s", reason);
}

void
sink_collect_init(struct ingest_sink *sink, struct event_list *list)
{
	memset(list, 0, sizeof(*list));
	sink->emit = collect_emit;
	sink->identity = collect_identity;
	sink->warn = collect_warn;
	sink->skip = collect_skip;
	sink->ctx = list;
}

void
event_list_dispose(struct event_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++)
		event_dispose(&list->v[i]);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

/* ---- helpers for adapters ---------------------------------------------- */

int
adapter_set_source(struct event *ev, const char *s)
{
	char canon[NETADDR_BUFSZ];

	if (!s || !*s)
		return 0;
	if (netaddr_canon_ip(s, canon)) {
		event_set(ev, EF_SRC_IP, canon);
		return 1;
	}
	if (netaddr_is_hostname(s)) {
		event_set(ev, EF_SRC_DOMAIN, s);
		return 2;
	}
	return 0;
}

void
adapter_set_time(struct event *ev, struct ingest_sink *sink,
		 const char *field, const char *s)
{
	int64_t ns;

	if (!s)
		return;
	if (timeutil_parse(s, &ns) == 0) {
		ev->time_ns = ns;
		ev->has_time = true;
	} else if (sink && sink->warn) {
		char msg[160];

		snprintf(msg, sizeof(msg), "not a time: \"%.60s\"", s);
		sink->warn(sink, field, msg);
	}
}

int
adapter_hash_id(struct event *ev, const char *prefix, const char *raw,
		size_t raw_len)
{
	char hex[33];

	hash128_hex(hash128(raw, raw_len), hex);
	return event_setf(ev, EF_ID, "%s%s", prefix ? prefix : "", hex);
}

int
adapter_attrs(struct event *ev, cJSON *obj)
{
	char *text;

	if (!obj)
		return 0;
	if (!obj->child) {
		cJSON_Delete(obj);
		return 0;
	}
	text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (!text)
		return err_set(ERR_NOMEM, "out of memory serializing attributes");
	free(ev->attrs);
	ev->attrs = text;
	return 0;
}
