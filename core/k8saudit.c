/* SPDX-License-Identifier: Apache-2.0 */
/* k8saudit: Kubernetes audit.k8s.io Event records as api_call events. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/jsonu.h"
#include "core/netaddr.h"

#define K8S_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A request is logged once per stage under one auditID; the store keeps
 * the record of the highest rank, so the stages merge in any order. */
static const struct {
	const char *stage;
	int rank;
} k8s_stages[] = {
	{ "RequestReceived", 1 },
	{ "ResponseStarted", 2 },
	{ "ResponseComplete", 3 },
	{ "Panic", 4 },
};

static const struct {
	const char *prefix;
	const char *type;
} k8s_actor_types[] = {
	{ "system:serviceaccount:", "service_account" },
	{ "system:node:", "node" },
	{ "system:anonymous", "anonymous" },
};

const char *
k8saudit_actor_type(const char *username)
{
	if (!username)
		return NULL;
	for (size_t i = 0; i < K8S_NELEMS(k8s_actor_types); i++) {
		size_t n = strlen(k8s_actor_types[i].prefix);

		if (strncmp(username, k8s_actor_types[i].prefix, n) == 0)
			return k8s_actor_types[i].type;
	}
	return "user";
}

int
k8saudit_set_resource(struct event *ev, const char *resource,
		      const char *subresource, const char *ns, const char *name)
{
	int rc = 0;

	/* A Namespace object carries its own name as its namespace too. */
	if (resource && strcmp(resource, "namespaces") == 0 && name)
		ns = NULL;
	if (ns && name)
		rc = event_setf(ev, EF_RESOURCE, "%s/%s", ns, name);
	else
		rc = event_set(ev, EF_RESOURCE, name ? name : ns);
	if (rc < 0 || !resource)
		return rc;
	if (subresource)
		return event_setf(ev, EF_RESOURCE_TYPE, "%s/%s", resource,
				  subresource);
	return event_set(ev, EF_RESOURCE_TYPE, resource);
}

static int
k8s_stage_rank(const char *stage)
{
	for (size_t i = 0; stage && i < K8S_NELEMS(k8s_stages); i++)
		if (strcmp(stage, k8s_stages[i].stage) == 0)
			return k8s_stages[i].rank;
	return 0;
}

static int
k8s_detect(const cJSON *rec)
{
	const cJSON *api = jsonu_key(rec, "apiVersion");
	const char *kind = jsonu_str(rec, "kind");

	if (!kind || strcmp(kind, "Event") != 0)
		return 0;
	if (cJSON_IsString(api))
		return strncmp(api->valuestring, "audit.k8s.io/", 13) == 0
			       ? 95 : 0;
	/* Old captures and forwarders drop apiVersion; a core/v1 Event (with
	 * involvedObject) is a different thing. */
	if (api || jsonu_key(rec, "involvedObject") || !jsonu_str(rec, "verb"))
		return 0;
	if (jsonu_key(rec, "auditID") || jsonu_key(rec, "requestURI") ||
	    cJSON_IsObject(jsonu_key(rec, "objectRef")) ||
	    cJSON_IsObject(jsonu_key(rec, "user")))
		return 85;
	return 0;
}

/* Time of the request itself, the same at every stage. v1beta1 records
 * have a second-precision `timestamp` beside it. */
static void
k8s_set_time(struct event *ev, const cJSON *rec, struct ingest_sink *sink)
{
	static const char *const fields[] = {
		"requestReceivedTimestamp", "timestamp", "stageTimestamp",
	};

	for (size_t i = 0; i < 3 && !ev->has_time; i++)
		adapter_set_time(ev, sink, fields[i],
				 jsonu_strne(rec, fields[i]));
}

static int
k8s_set_source(struct event *ev, const cJSON *rec, cJSON *attrs,
	       struct ingest_sink *sink)
{
	const cJSON *ips = jsonu_key(rec, "sourceIPs");
	const cJSON *first = cJSON_GetArrayItem(ips, 0);
	char ip[NETADDR_BUFSZ];
	bool ok = false;

	if (!cJSON_IsArray(ips) || !first)
		return 0;
	if (cJSON_IsString(first) && netaddr_canon_ip(first->valuestring, ip)) {
		event_set(ev, EF_SRC_IP, ip);
		ok = true;
	} else {
		sink->warn(sink, "sourceIPs", "first entry is not an address");
	}
	/* The proxies in front of the caller, or what the address was. */
	if (!ok || cJSON_GetArraySize(ips) > 1) {
		cJSON *copy = cJSON_Duplicate(ips, true);

		if (!copy || !cJSON_AddItemToObject(attrs, "source_ips", copy)) {
			cJSON_Delete(copy);
			return err_set(ERR_NOMEM, "out of memory copying sourceIPs");
		}
	}
	return 0;
}

static void
k8s_set_actor(struct event *ev, const cJSON *rec)
{
	const char *user = jsonu_strne(rec, "user.username");

	if (!user)
		return;
	event_set(ev, EF_ACTOR, user);
	event_set(ev, EF_ACTOR_TYPE, k8saudit_actor_type(user));
}

static void
k8s_set_status(struct event *ev, const cJSON *rec, cJSON *attrs,
	       struct ingest_sink *sink)
{
	const cJSON *code = jsonu_path(rec, "responseStatus.code");
	int64_t c;

	if (jsonu_isnull(code))
		return;
	if (!jsonu_int64(code, &c) || c < 0 || c > 999) {
		sink->warn(sink, "responseStatus.code", "not an HTTP status");
		return;
	}
	cJSON_AddNumberToObject(attrs, "status_code", (double)c);
	event_set(ev, EF_OUTCOME, c < 400 ? "success" : "failure");
	if (c >= 400)
		event_setf(ev, EF_ERROR_CODE, "%d", (int)c);
}

/* Members of the record kept beside the columns, by attrs key. A path is
 * a list of keys, since annotation keys contain dots. */
static const struct {
	const char *key;
	const char *path[3];
	bool any; /* any JSON value, not only a string */
} k8s_attr_map[] = {
	{ "request_uri", { "requestURI" }, false },
	{ "stage", { "stage" }, false },
	{ "level", { "level" }, false },
	{ "decision", { "annotations", "authorization.k8s.io/decision" }, false },
	{ "reason", { "annotations", "authorization.k8s.io/reason" }, false },
	{ "status_reason", { "responseStatus", "reason" }, false },
	{ "status_message", { "responseStatus", "message" }, false },
	{ "groups", { "user", "groups" }, true },
	{ "impersonated_user", { "impersonatedUser", "username" }, false },
	{ "impersonated_groups", { "impersonatedUser", "groups" }, true },
	{ "namespace", { "objectRef", "namespace" }, false },
	{ "name", { "objectRef", "name" }, false },
	{ "api_group", { "objectRef", "apiGroup" }, false },
};

static int
k8s_attrs(const cJSON *rec, cJSON *attrs)
{
	for (size_t i = 0; i < K8S_NELEMS(k8s_attr_map); i++) {
		const cJSON *it = rec;
		cJSON *copy;

		for (size_t k = 0; k < 3 && k8s_attr_map[i].path[k]; k++)
			it = jsonu_key(it, k8s_attr_map[i].path[k]);
		if (k8s_attr_map[i].any ? jsonu_isnull(it) : !cJSON_IsString(it))
			continue;
		copy = cJSON_Duplicate(it, true);
		if (!copy || !cJSON_AddItemToObject(attrs, k8s_attr_map[i].key, copy)) {
			cJSON_Delete(copy);
			return err_set(ERR_NOMEM, "out of memory copying %s",
				       k8s_attr_map[i].key);
		}
	}
	return 0;
}

static int
k8s_normalize(const cJSON *rec, const char *raw, size_t raw_len,
	      struct ingest_sink *sink)
{
	const char *audit_id = jsonu_strne(rec, "auditID");
	cJSON *attrs = cJSON_CreateObject();
	struct event ev;
	int rc;

	event_init(&ev);
	if (!attrs) {
		rc = err_set(ERR_NOMEM, "out of memory building attributes");
		goto out;
	}
	ev.raw = raw;
	ev.raw_len = raw_len;
	ev.rank = k8s_stage_rank(jsonu_str(rec, "stage"));
	rc = audit_id ? event_set(&ev, EF_ID, audit_id)
		      : adapter_hash_id(&ev, NULL, raw, raw_len);
	if (rc < 0)
		goto out;
	event_set(&ev, EF_SOURCE, "k8s_audit");
	event_set(&ev, EF_KIND, "api_call");
	event_set(&ev, EF_ACTION, jsonu_strne(rec, "verb"));
	event_set(&ev, EF_USER_AGENT, jsonu_strne(rec, "userAgent"));
	k8s_set_time(&ev, rec, sink);
	k8s_set_actor(&ev, rec);
	k8saudit_set_resource(&ev, jsonu_strne(rec, "objectRef.resource"),
			      jsonu_strne(rec, "objectRef.subresource"),
			      jsonu_strne(rec, "objectRef.namespace"),
			      jsonu_strne(rec, "objectRef.name"));
	k8s_set_status(&ev, rec, attrs, sink);
	if ((rc = k8s_set_source(&ev, rec, attrs, sink)) < 0 ||
	    (rc = k8s_attrs(rec, attrs)) < 0)
		goto out;
	rc = adapter_attrs(&ev, attrs);
	attrs = NULL;
	if (rc < 0)
		goto out;
	return sink->emit(sink, &ev);
out:
	cJSON_Delete(attrs);
	event_dispose(&ev);
	return rc;
}

const struct adapter adapter_k8s_audit = {
	.name = "k8s_audit",
	.description = "Kubernetes audit events (audit.k8s.io v1, v1beta1)",
	.detect = k8s_detect,
	.normalize = k8s_normalize,
};
