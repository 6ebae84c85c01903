/* SPDX-License-Identifier: Apache-2.0 */
/* threat: turns detection hits into threats, grouping repeats of one
 * detection on the same entities inside a window, over the store's threat
 * operations. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/jsonu.h"
#include "core/store.h"
#include "core/threat.h"

const char *const threat_entity_names[TE_COUNT] = {
	"actor", "src_ip", "resource", "host", "container", "account", "region",
};

/* The event field each entity is copied from. */
static const enum event_field entity_field[TE_COUNT] = {
	[TE_ACTOR] = EF_ACTOR,         [TE_SRC_IP] = EF_SRC_IP,
	[TE_RESOURCE] = EF_RESOURCE,   [TE_HOST] = EF_HOST,
	[TE_CONTAINER] = EF_CONTAINER, [TE_ACCOUNT] = EF_ACCOUNT,
	[TE_REGION] = EF_REGION,
};

static const char *const severity_order[] = {
	"info", "low", "medium", "high", "critical",
};

void
threat_init(struct threat *t)
{
	memset(t, 0, sizeof(*t));
	t->confidence = -1;
}

void
threat_dispose(struct threat *t)
{
	if (!t)
		return;
	free(t->id);
	free(t->detection);
	free(t->title);
	free(t->source);
	free(t->severity);
	free(t->status);
	for (int e = 0; e < TE_COUNT; e++)
		free(t->ent[e]);
	free(t->tactics);
	free(t->verdict);
	free(t->kb_version);
	threat_init(t);
}

int
threat_severity_rank(const char *severity)
{
	for (size_t i = 0; severity && i < sizeof(severity_order) /
					   sizeof(severity_order[0]); i++)
		if (strcmp(severity, severity_order[i]) == 0)
			return (int)i;
	return -1;
}

/* An absent entity and an empty one hash apart: each present value is
 * tagged and terminated, so no two entity lists share a byte stream. */
char *
threat_entity_key(const char *const ent[TE_COUNT], char *out)
{
	struct hash128 h = hash128(NULL, 0);
	static const unsigned char absent = 0, present = 1, end = 0;

	for (int e = 0; e < TE_COUNT; e++) {
		if (e == TE_REGION)
			continue;
		if (!ent[e]) {
			h = hash128_add(h, &absent, 1);
			continue;
		}
		h = hash128_add(h, &present, 1);
		h = hash128_add(h, ent[e], strlen(ent[e]));
		h = hash128_add(h, &end, 1);
	}
	return hash128_hex(h, out);
}

/* ---- copying threats ---------------------------------------------------- */

/* Replace *dst with a copy of src (NULL stays NULL). */
static int
set_field(char **dst, const char *src)
{
	char *copy = NULL;

	if (src && !(copy = strdup(src)))
		return err_set(ERR_NOMEM, "out of memory copying a threat");
	free(*dst);
	*dst = copy;
	return 0;
}

/* An owned copy of a borrowed threat; dst is disposed on failure. */
static int
threat_copy(struct threat *dst, const struct threat *src)
{
	int rc = 0;

	threat_init(dst);
	rc |= set_field(&dst->id, src->id);
	rc |= set_field(&dst->detection, src->detection);
	rc |= set_field(&dst->title, src->title);
	rc |= set_field(&dst->source, src->source);
	rc |= set_field(&dst->severity, src->severity);
	rc |= set_field(&dst->status, src->status);
	for (int e = 0; e < TE_COUNT; e++)
		rc |= set_field(&dst->ent[e], src->ent[e]);
	rc |= set_field(&dst->tactics, src->tactics);
	rc |= set_field(&dst->verdict, src->verdict);
	rc |= set_field(&dst->kb_version, src->kb_version);
	dst->has_time = src->has_time;
	dst->first_ns = src->first_ns;
	dst->last_ns = src->last_ns;
	dst->count = src->count;
	dst->confidence = src->confidence;
	if (rc) {
		threat_dispose(dst);
		return ERR_NOMEM;
	}
	return 0;
}

static int
on_threat_copy(void *ctx, const struct threat *t)
{
	struct threat *out = ctx;

	return threat_copy(out, t) < 0 ? ERR_NOMEM : 1;
}

/* Load threat id into *t (owned); ERR_NOTFOUND if there is none. */
static int
threat_load(struct store *st, const char *id, struct threat *t)
{
	struct threat_filter f = { .id = id };
	int rc;

	threat_init(t);
	rc = store_threat_list(st, &f, on_threat_copy, t);
	if (rc < 0)
		return rc;
	if (!t->id)
		return err_set(ERR_NOTFOUND, "no threat %s", id);
	return 0;
}

/* ---- grouping hits ------------------------------------------------------ */

/* "t-" and a hash of what makes the threat: its detection, its entities
 * and its first hit (or that it has no time). */
static void
threat_make_id(const char *detection, const char *key, const struct event *ev,
	       char out[2 + THREAT_KEY_BUFSZ])
{
	struct hash128 h = hash128(detection, strlen(detection) + 1);
	char when[32];

	h = hash128_add(h, key, strlen(key) + 1);
	if (ev->has_time)
		snprintf(when, sizeof(when), "%lld", (long long)ev->time_ns);
	else
		snprintf(when, sizeof(when), "-");
	h = hash128_add(h, when, strlen(when));
	out[0] = 't';
	out[1] = '-';
	hash128_hex(h, out + 2);
}

static const char *
hit_severity(const struct detection_hit *hit)
{
	const char *s = hit->severity ? hit->severity : hit->ev->str[EF_SEVERITY];

	return threat_severity_rank(s) < 0 ? "unknown" : s;
}

static int
threat_create(struct store *st, const struct detection_hit *hit,
	      const char *id)
{
	const struct event *ev = hit->ev;
	struct threat t;
	int rc = 0;

	threat_init(&t);
	/* Borrowed for the put: t is never disposed. */
	t.id = (char *)id;
	t.detection = (char *)hit->detection;
	t.title = (char *)(hit->title ? hit->title : hit->detection);
	t.source = (char *)hit->source;
	t.severity = (char *)hit_severity(hit);
	t.status = (char *)"new";
	for (int e = 0; e < TE_COUNT; e++)
		t.ent[e] = ev->str[entity_field[e]];
	t.has_time = ev->has_time;
	t.first_ns = t.last_ns = ev->time_ns;
	t.count = 1;
	t.tactics = (char *)hit->tactics;
	if ((rc = store_threat_put(st, &t)) < 0)
		return rc;
	return store_threat_link(st, id, ev->str[EF_ID], NULL);
}

/* One more hit on an existing threat: count it once, widen the window,
 * keep the highest severity. */
static int
threat_join(struct store *st, const struct detection_hit *hit, const char *id)
{
	const struct event *ev = hit->ev;
	const char *sev = hit_severity(hit);
	struct threat t;
	bool added = false;
	int rc;

	if ((rc = store_threat_link(st, id, ev->str[EF_ID], &added)) < 0 ||
	    !added)
		return rc;
	if ((rc = threat_load(st, id, &t)) < 0)
		return rc;
	t.count++;
	if (ev->has_time && !t.has_time) {
		t.has_time = true;
		t.first_ns = t.last_ns = ev->time_ns;
	} else if (ev->has_time) {
		if (ev->time_ns < t.first_ns)
			t.first_ns = ev->time_ns;
		if (ev->time_ns > t.last_ns)
			t.last_ns = ev->time_ns;
	}
	if (threat_severity_rank(sev) > threat_severity_rank(t.severity))
		rc = set_field(&t.severity, sev);
	if (rc == 0 && !t.tactics && hit->tactics)
		rc = set_field(&t.tactics, hit->tactics);
	if (rc == 0 && !t.ent[TE_REGION] && ev->str[EF_REGION])
		rc = set_field(&t.ent[TE_REGION], ev->str[EF_REGION]);
	if (rc == 0)
		rc = store_threat_put(st, &t);
	threat_dispose(&t);
	return rc;
}

/* Does threat id exist? */
static int
threat_exists(struct store *st, const char *id, bool *yes)
{
	struct threat t;
	int rc = threat_load(st, id, &t);

	*yes = rc == 0;
	threat_dispose(&t);
	return rc == ERR_NOTFOUND ? 0 : rc;
}

static int
add_hit(struct store *st, const struct detection_hit *hit, char **threat_id,
	bool *created)
{
	const struct event *ev = hit->ev;
	const char *ent[TE_COUNT];
	char key[THREAT_KEY_BUFSZ], newid[2 + THREAT_KEY_BUFSZ];
	char *found = NULL;
	bool exists = false;
	int rc;

	*created = false;
	if (!hit->detection || !hit->source || !ev || !ev->str[EF_ID])
		return err_set(ERR_USAGE, "detection hit without detection, "
			       "source or event id");
	for (int e = 0; e < TE_COUNT; e++)
		ent[e] = ev->str[entity_field[e]];
	threat_entity_key(ent, key);
	threat_make_id(hit->detection, key, ev, newid);
	/* A hit without a time can only join the threat of other timeless
	 * hits, whose id says "no time" in place of a first hit. */
	if (ev->has_time)
		rc = store_threat_find_open(st, hit->detection, key, ev->time_ns,
					    THREAT_WINDOW_NS, &found);
	else
		rc = threat_exists(st, newid, &exists);
	if (rc < 0)
		return rc;
	if (found || exists) {
		rc = threat_join(st, hit, found ? found : newid);
	} else {
		rc = threat_create(st, hit, newid);
		*created = rc == 0;
	}
	if (rc == 0 && threat_id &&
	    !(*threat_id = strdup(found ? found : newid)))
		rc = err_set(ERR_NOMEM, "out of memory");
	free(found);
	return rc;
}

/* End the transaction the caller began: commit what rc says succeeded,
 * roll back what failed. Returns the first error. */
static int
in_transaction(struct store *st, int rc)
{
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

int
threat_add_hit(struct store *st, const struct detection_hit *hit,
	       char **threat_id)
{
	bool created;
	int rc;

	if (threat_id)
		*threat_id = NULL;
	if ((rc = store_begin(st)) < 0)
		return rc;
	return in_transaction(st, add_hit(st, hit, threat_id, &created));
}

/* ---- alerts and pivots -------------------------------------------------- */

/* The ATT&CK tactics and techniques an adapter kept in attrs (arrays
 * "tactics" and "techniques", or single strings), as one JSON array text,
 * or NULL. Caller frees. */
static char *
attrs_tactics(const cJSON *attrs)
{
	static const char *const keys[] = { "tactics", "techniques" };
	cJSON *all = cJSON_CreateArray();
	char *text = NULL;

	if (!all)
		return NULL;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const cJSON *v = jsonu_key(attrs, keys[k]), *it;

		if (cJSON_IsString(v) && v->valuestring[0]) {
			cJSON_AddItemToArray(all, cJSON_CreateString(v->valuestring));
			continue;
		}
		if (!cJSON_IsArray(v))
			continue;
		cJSON_ArrayForEach(it, v)
			if (cJSON_IsString(it) && it->valuestring[0])
				cJSON_AddItemToArray(all,
					cJSON_CreateString(it->valuestring));
	}
	if (cJSON_GetArraySize(all) > 0)
		text = cJSON_PrintUnformatted(all);
	cJSON_Delete(all);
	return text;
}

/* What an alert-like event says about the detection behind it. */
struct alert_info {
	cJSON *attrs;     /* parsed ev->attrs, or NULL */
	struct buf detection;
	const char *title;
	char *tactics;
};

static void
alert_info_dispose(struct alert_info *ai)
{
	cJSON_Delete(ai->attrs);
	buf_dispose(&ai->detection);
	free(ai->tactics);
}

/* The rule a source's alerts are grouped by: the finding type, rule or
 * analytic that fired, qualified by the source. Security Hub names the
 * generator (a rule ARN or a product's detector); the others put their
 * rule in the action. */
static int
alert_info_init(struct alert_info *ai, const struct event *ev)
{
	const char *source = ev->str[EF_SOURCE];
	const char *rule = ev->str[EF_ACTION];

	memset(ai, 0, sizeof(*ai));
	buf_init(&ai->detection);
	if (ev->attrs)
		ai->attrs = cJSON_Parse(ev->attrs);
	if (!cJSON_IsObject(ai->attrs)) {
		cJSON_Delete(ai->attrs);
		ai->attrs = NULL;
	}
	if (strcmp(source, "asff") == 0 && jsonu_strne(ai->attrs, "generator_id"))
		rule = jsonu_strne(ai->attrs, "generator_id");
	if (!rule)
		rule = ev->str[EF_KIND] ? ev->str[EF_KIND] : "alert";
	buf_printf(&ai->detection, "%s:%s", source, rule);
	ai->title = jsonu_strne(ai->attrs, "title");
	if (!ai->title)
		ai->title = ev->str[EF_ACTION];
	ai->tactics = attrs_tactics(ai->attrs);
	if (!ai->detection.data)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

struct build {
	struct store *st;
	uint64_t added;
};

static int
build_one(void *ctx, const struct event *ev)
{
	struct build *b = ctx;
	struct alert_info ai;
	struct detection_hit hit = { 0 };
	bool created = false;
	int rc;

	if ((rc = alert_info_init(&ai, ev)) == 0) {
		hit.detection = ai.detection.data;
		hit.title = ai.title;
		hit.source = ev->str[EF_SOURCE];
		hit.tactics = ai.tactics;
		hit.ev = ev;
		rc = add_hit(b->st, &hit, NULL, &created);
	}
	alert_info_dispose(&ai);
	if (created)
		b->added++;
	return rc;
}

int
threat_build(struct store *st, uint64_t *added)
{
	struct build b = { .st = st };
	int rc;

	if (added)
		*added = 0;
	if ((rc = store_begin(st)) < 0)
		return rc;
	rc = in_transaction(st, store_unlinked_alerts(st, build_one, &b));
	if (rc == 0 && added)
		*added = b.added;
	return rc;
}

struct pivot {
	struct store *st;
	char **threat_id;
	bool found;
};

static int
pivot_one(void *ctx, const struct event *ev)
{
	struct pivot *p = ctx;
	struct alert_info ai;
	struct detection_hit hit = { 0 };
	struct buf det, title;
	const char *sev = ev->str[EF_SEVERITY];
	bool created;
	int rc;

	p->found = true;
	buf_init(&det);
	buf_init(&title);
	buf_printf(&det, "pivot:%s", ev->str[EF_ID]);
	if (ev->str[EF_ACTION] && ev->str[EF_ACTOR])
		buf_printf(&title, "Pivot: %s by %s", ev->str[EF_ACTION],
			   ev->str[EF_ACTOR]);
	else if (ev->str[EF_ACTION])
		buf_printf(&title, "Pivot: %s", ev->str[EF_ACTION]);
	else
		buf_printf(&title, "Pivot: event %s", ev->str[EF_ID]);
	if ((rc = alert_info_init(&ai, ev)) == 0 && (!det.data || !title.data))
		rc = err_set(ERR_NOMEM, "out of memory");
	if (rc == 0) {
		hit.detection = det.data;
		hit.title = title.data;
		hit.source = "pivot";
		/* An API call carries no severity of its own; an analyst's
		 * pivot starts in the middle of the queue. */
		hit.severity = threat_severity_rank(sev) < 0 ? "medium" : sev;
		hit.tactics = ai.tactics;
		hit.ev = ev;
		rc = add_hit(p->st, &hit, p->threat_id, &created);
	}
	alert_info_dispose(&ai);
	buf_dispose(&det);
	buf_dispose(&title);
	return rc < 0 ? rc : 1;
}

int
threat_promote(struct store *st, const char *event_id, char **threat_id)
{
	struct event_filter f = { .id = event_id, .limit = 1 };
	struct pivot p = { .st = st, .threat_id = threat_id };
	int rc;

	if (threat_id)
		*threat_id = NULL;
	if (!event_id || !*event_id)
		return err_set(ERR_USAGE, "promote: no event id");
	if ((rc = store_begin(st)) < 0)
		return rc;
	rc = store_find_events(st, &f, pivot_one, &p);
	if (rc > 0)
		rc = 0;
	if (rc == 0 && !p.found)
		rc = err_set(ERR_NOTFOUND, "no event with id %s", event_id);
	return in_transaction(st, rc);
}
