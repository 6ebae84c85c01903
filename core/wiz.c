/* SPDX-License-Identifier: Apache-2.0 */
/* wiz: Wiz Defend detections, as the Wiz webhook sends them, as one
 * "detection" event each: the rule that matched, the primary actor and
 * resource, and the cloud event that triggered it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/jsonu.h"
#include "core/netaddr.h"

#define WIZ_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Longest description kept in attrs; the raw record keeps all of it. */
#define WIZ_DESCRIPTION_MAX 2000

/* Keys only a Wiz Defend detection carries together. */
static const char *const wiz_marks[] = {
	"threatId", "primaryActor", "primaryResource", "triggeringEvent",
	"triggeringEvents", "mitreTactics", "mitreTechniques", "ruleMatch",
	"tdrId", "threatURL",
};

static int
wiz_marks_in(const cJSON *obj)
{
	int n = 0;

	if (!cJSON_IsObject(obj))
		return 0;
	for (size_t i = 0; i < WIZ_NELEMS(wiz_marks); i++)
		n += jsonu_key(obj, wiz_marks[i]) != NULL;
	return n;
}

/* The detection itself: at the top level as the webhook's detection
 * template sends it, or under "detection" beside the trigger that
 * forwarded it. */
static const cJSON *
wiz_body(const cJSON *rec)
{
	const cJSON *d = jsonu_key(rec, "detection");

	if (wiz_marks_in(d) >= 2)
		return d;
	return rec;
}

/* A string, or an integer written as a number (Wiz sends some account
 * ids as numbers), as text in buf. NULL when absent or of another type. */
static const char *
wiz_text(const cJSON *it, char *buf, size_t size)
{
	int64_t v;

	if (cJSON_IsString(it))
		return it->valuestring[0] ? it->valuestring : NULL;
	if (cJSON_IsNumber(it) && jsonu_int64(it, &v)) {
		snprintf(buf, size, "%lld", (long long)v);
		return buf;
	}
	return NULL;
}

/* The first object of a list, of a {"nodes": [...]} connection as the
 * GraphQL API returns it, or the object itself. */
static const cJSON *
wiz_first(const cJSON *it)
{
	if (cJSON_IsObject(it) && cJSON_IsArray(jsonu_key(it, "nodes")))
		it = jsonu_key(it, "nodes");
	if (cJSON_IsArray(it))
		it = it->child;
	return cJSON_IsObject(it) ? it : NULL;
}

static bool
wiz_is_arn(const char *s)
{
	return s && strncmp(s, "arn:", 4) == 0;
}

/* Who did it, as the cloud names principals: the ARN when one of the ids
 * is an ARN, else the name (a user, service account or local user), else
 * any id. */
static const char *
wiz_actor_name(const cJSON *ent)
{
	const char *puid = jsonu_strne(ent, "providerUniqueId");
	const char *ext = jsonu_strne(ent, "externalId");
	const char *name = jsonu_strne(ent, "name");

	if (wiz_is_arn(puid))
		return puid;
	if (wiz_is_arn(ext))
		return ext;
	if (name)
		return name;
	return puid ? puid : ext;
}

/* What was acted on, as the cloud's own logs name it (an ARN, an
 * instance or container id), so it matches the other sources' events;
 * the display name only when there is no id. */
static const char *
wiz_resource_name(const cJSON *ent)
{
	const char *puid = jsonu_strne(ent, "providerUniqueId");
	const char *ext = jsonu_strne(ent, "externalId");

	if (wiz_is_arn(puid))
		return puid;
	if (ext)
		return ext;
	return puid ? puid : jsonu_strne(ent, "name");
}

/* The rule that matched, by name: ruleMatch.rule.name from the API and
 * newer templates, else the names older templates and forwarders use. */
static const char *
wiz_rule(const cJSON *d)
{
	static const char *const paths[] = {
		"ruleMatch.rule.name", "rule.name", "rule", "detection",
		"title", "tdrId",
	};

	for (size_t i = 0; i < WIZ_NELEMS(paths); i++) {
		const char *s = jsonu_strne(d, paths[i]);

		if (s)
			return s;
	}
	return NULL;
}

/* ---- actor, resource, trigger ------------------------------------------ */

/* A network address as the primary actor is where the activity came
 * from, not who did it. */
static void
wiz_set_actor(struct event *ev, const cJSON *actor)
{
	const char *type = jsonu_strne(actor, "type");
	const char *name = wiz_actor_name(actor);
	char ip[NETADDR_BUFSZ];

	if (!name)
		return;
	if ((type && strcmp(type, "NETWORK_ADDRESS") == 0) ||
	    netaddr_canon_ip(name, ip)) {
		if (!ev->str[EF_SRC_IP])
			adapter_set_source(ev, name);
		return;
	}
	event_set(ev, EF_ACTOR, name);
	event_set(ev, EF_ACTOR_TYPE, type);
}

/* The account of a resource: the subscription (AWS account, Azure
 * subscription, GCP project) it lives in. */
static const char *
wiz_account(const cJSON *d, const cJSON *res, char *buf, size_t size)
{
	const char *acct = wiz_text(jsonu_key(res, "subscriptionExternalId"),
				    buf, size);

	if (!acct)
		acct = wiz_text(jsonu_path(res, "cloudAccount.externalId"), buf,
				size);
	if (!acct)
		acct = wiz_text(jsonu_key(wiz_first(jsonu_key(d, "cloudAccounts")),
					  "externalId"), buf, size);
	return acct;
}

static void
wiz_set_resource(struct event *ev, const cJSON *d, const cJSON *res)
{
	const char *type = jsonu_strne(res, "type");
	const char *native = jsonu_strne(res, "nativeType");
	const char *name = jsonu_strne(res, "name");
	const char *ext = jsonu_strne(res, "externalId");
	const char *id = wiz_resource_name(res);
	char acct[32];

	event_set(ev, EF_RESOURCE, id);
	event_set(ev, EF_RESOURCE_TYPE, native ? native : type);
	event_set(ev, EF_REGION, jsonu_strne(res, "region"));
	event_set(ev, EF_ACCOUNT, wiz_account(d, res, acct, sizeof(acct)));
	if (!type)
		return;
	if (strcmp(type, "VIRTUAL_MACHINE") == 0)
		event_set(ev, EF_HOST, name ? name : id);
	else if (strcmp(type, "CONTAINER") == 0)
		event_set(ev, EF_CONTAINER, ext ? ext : name);
}

/* The time of the activity: the triggering event's, else when the
 * detection's window started, else when Wiz created it. */
static void
wiz_set_time(struct event *ev, const cJSON *d, const cJSON *trig,
	     struct ingest_sink *sink)
{
	static const struct {
		bool in_trigger;
		const char *path;
	} at[] = {
		{ true, "eventTime" }, { true, "timestamp" },
		{ false, "startedAt" }, { false, "timeframe.start" },
		{ false, "createdAt" },
	};

	for (size_t i = 0; i < WIZ_NELEMS(at) && !ev->has_time; i++) {
		const char *s = jsonu_strne(at[i].in_trigger ? trig : d,
					    at[i].path);

		adapter_set_time(ev, sink, at[i].path, s);
	}
}

/* ---- attributes --------------------------------------------------------- */

/* A copy of an array's distinct non-empty strings, in order. */
static cJSON *
wiz_string_set(const cJSON *arr)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *it, *seen;

	if (!out)
		return NULL;
	cJSON_ArrayForEach(it, arr) {
		bool dup = false;

		if (!cJSON_IsString(it) || !it->valuestring[0])
			continue;
		cJSON_ArrayForEach(seen, out)
			dup = dup || strcmp(seen->valuestring, it->valuestring) == 0;
		if (!dup)
			cJSON_AddItemToArray(out, cJSON_CreateString(it->valuestring));
	}
	return out;
}

static bool
wiz_add_str(cJSON *a, const char *key, const char *val, size_t max)
{
	char cut[WIZ_DESCRIPTION_MAX + 1];

	if (!val)
		return true;
	if (max && strlen(val) > max) {
		memcpy(cut, val, max);
		cut[max] = '\0';
		val = cut;
	}
	return cJSON_AddStringToObject(a, key, val) != NULL;
}

static int
wiz_attrs(struct event *ev, const cJSON *d, const cJSON *trig,
	  const cJSON *res)
{
	static const struct {
		const char *key, *path;
		bool in_trigger;
	} strs[] = {
		{ "title", "title", false },
		{ "threat_id", "threatId", false },
		{ "threat_id", "issue.id", false },
		{ "rule_id", "ruleMatch.rule.id", false },
		{ "rule_id", "tdrId", false },
		{ "url", "url", false },
		{ "url", "threatURL", false },
		{ "created_at", "createdAt", false },
		{ "event_name", "name", true },
		{ "origin", "origin", true },
		{ "cloud_provider_url", "cloudProviderUrl", true },
		{ "cloud_platform", "cloudPlatform", true },
		{ "ip_reputation", "actorIPMeta.reputation", true },
		{ "ip_country", "actorIPMeta.country", true },
	};
	static const struct {
		const char *key, *path;
	} sets[] = {
		{ "tactics", "mitreTactics" },
		{ "techniques", "mitreTechniques" },
	};
	cJSON *a = cJSON_CreateObject();
	const char *platform = jsonu_strne(res, "cloudPlatform");

	if (!a)
		goto nomem;
	for (size_t i = 0; i < WIZ_NELEMS(strs); i++) {
		const char *v = jsonu_strne(strs[i].in_trigger ? trig : d,
					    strs[i].path);

		if (v && !jsonu_key(a, strs[i].key) &&
		    !wiz_add_str(a, strs[i].key, v, 0))
			goto nomem;
	}
	if (!wiz_add_str(a, "description", jsonu_strne(d, "description"),
			 WIZ_DESCRIPTION_MAX))
		goto nomem;
	if (platform && !jsonu_key(a, "cloud_platform") &&
	    !wiz_add_str(a, "cloud_platform", platform, 0))
		goto nomem;
	for (size_t i = 0; i < WIZ_NELEMS(sets); i++) {
		const cJSON *arr = jsonu_key(d, sets[i].path);
		cJSON *copy;

		if (!cJSON_IsArray(arr))
			continue;
		if (!(copy = wiz_string_set(arr)))
			goto nomem;
		if (!cJSON_GetArraySize(copy)) {
			cJSON_Delete(copy);
			continue;
		}
		if (!cJSON_AddItemToObject(a, sets[i].key, copy)) {
			cJSON_Delete(copy);
			goto nomem;
		}
	}
	return adapter_attrs(ev, a);
nomem:
	cJSON_Delete(a);
	return err_set(ERR_NOMEM, "out of memory building Wiz attributes");
}

/* ---- the adapter -------------------------------------------------------- */

static int
wiz_detect(const cJSON *rec)
{
	const cJSON *d = wiz_body(rec);
	int marks = wiz_marks_in(d);

	if (marks >= 2)
		return 90;
	if (marks == 1 && jsonu_str(d, "severity") && jsonu_str(d, "id"))
		return 60;
	return 0;
}

static int
wiz_normalize(const cJSON *rec, const char *raw, size_t raw_len,
	      struct ingest_sink *sink)
{
	const cJSON *d = wiz_body(rec);
	const cJSON *actor = jsonu_key(d, "primaryActor");
	const cJSON *res = jsonu_key(d, "primaryResource");
	const cJSON *trig = jsonu_key(d, "triggeringEvent");
	const char *rule = wiz_rule(d);
	const char *id = jsonu_strne(d, "id");
	const char *sev = jsonu_strne(d, "severity");
	struct event ev;
	int rc;

	if (!rule)
		return err_set(ERR_FIELD, "field `ruleMatch.rule.name`: missing "
			       "in Wiz detection (no rule, title or tdrId)");
	if (!cJSON_IsObject(trig))
		trig = wiz_first(jsonu_key(d, "triggeringEvents"));
	if (!cJSON_IsObject(res))
		res = wiz_first(jsonu_key(d, "resources"));
	if (!cJSON_IsObject(actor))
		actor = wiz_first(jsonu_key(d, "actors"));
	if (!actor)
		actor = jsonu_key(trig, "actor");
	event_init(&ev);
	ev.raw = raw;
	ev.raw_len = raw_len;
	if (id)
		rc = event_set(&ev, EF_ID, id);
	else
		rc = adapter_hash_id(&ev, "wiz-", raw, raw_len);
	if (rc < 0)
		goto out;
	event_set(&ev, EF_SOURCE, "wiz");
	event_set(&ev, EF_KIND, "detection");
	event_set(&ev, EF_ACTION, rule);
	if (sev)
		event_set(&ev, EF_SEVERITY, event_severity_word(sev));
	adapter_set_source(&ev, jsonu_strne(trig, "actorIP"));
	if (cJSON_IsObject(actor))
		wiz_set_actor(&ev, actor);
	if (cJSON_IsObject(res))
		wiz_set_resource(&ev, d, res);
	wiz_set_time(&ev, d, trig, sink);
	if ((rc = wiz_attrs(&ev, d, trig, res)) < 0)
		goto out;
	return sink->emit(sink, &ev);
out:
	event_dispose(&ev);
	return rc;
}

const struct adapter adapter_wiz = {
	.name = "wiz",
	.description = "Wiz Defend detections (webhook JSON)",
	.detect = wiz_detect,
	.normalize = wiz_normalize,
};
