/* SPDX-License-Identifier: Apache-2.0 */
/* guardduty: the adapter for Amazon GuardDuty findings. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/jsonu.h"
#include "core/netaddr.h"

#define GD_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Longest description kept in attrs; the raw record keeps all of it. */
#define GD_DESCRIPTION_MAX 2000

/* The member at a dotted path, keys compared without case: the API and
 * EventBridge write lowerCamel keys, `aws guardduty get-findings` writes
 * PascalCase. An array on the way stands for its first element. */
static const cJSON *
gd_get(const cJSON *obj, const char *path)
{
	char seg[64];

	while (obj && path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, path, n);
		seg[n] = '\0';
		if (cJSON_IsArray(obj))
			obj = obj->child;
		obj = cJSON_IsObject(obj) ? cJSON_GetObjectItem(obj, seg)
					  : NULL;
		path = dot ? dot + 1 : NULL;
	}
	return obj;
}

/* A non-empty string at path, or NULL. */
static const char *
gd_str(const cJSON *obj, const char *path)
{
	const cJSON *it = gd_get(obj, path);

	return cJSON_IsString(it) && it->valuestring[0] ? it->valuestring
							 : NULL;
}

/* JSON true, or the string "true" some exporters write. */
static bool
gd_true(const cJSON *it)
{
	return cJSON_IsTrue(it) ||
	       (cJSON_IsString(it) && strcasecmp(it->valuestring, "true") == 0);
}

static int
gd_port(const cJSON *it)
{
	int64_t v;

	if (!jsonu_int64(it, &v) || v < 0 || v > 65535)
		return EVENT_NO_PORT;
	return (int)v;
}

/* ---- what was affected ------------------------------------------------- */

/* resource.resourceType, where its details name the resource, and our
 * resource_type for it. */
static const struct {
	const char *gd_type;
	const char *id_path; /* inside resource; NULL: no single id */
	const char *type;
} gd_resources[] = {
	{ "AccessKey", "accessKeyDetails.accessKeyId", "access_key" },
	{ "Instance", "instanceDetails.instanceId", "ec2_instance" },
	{ "S3Bucket", "s3BucketDetails.name", "s3_bucket" },
	{ "S3Object", "s3BucketDetails.name", "s3_bucket" },
	{ "EKSCluster", "eksClusterDetails.name", "eks_cluster" },
	{ "ECSCluster", "ecsClusterDetails.name", "ecs_cluster" },
	{ "Container", "containerDetails.name", "container" },
	{ "RDSDBInstance", "rdsDbInstanceDetails.dbInstanceIdentifier",
	  "rds_instance" },
	{ "RDSLimitlessDB", "rdsLimitlessDbDetails.dbShardGroupIdentifier",
	  "rds_shard_group" },
	{ "Lambda", "lambdaDetails.functionName", "lambda_function" },
	{ "AttackSequence", NULL, "attack_sequence" },
};

static int
set_resource(struct event *ev, const cJSON *res)
{
	const char *gd_type = gd_str(res, "resourceType");
	const char *id = NULL, *type = gd_type;
	int rc;

	if (!gd_type)
		return 0;
	for (size_t i = 0; i < GD_NELEMS(gd_resources); i++) {
		if (strcasecmp(gd_type, gd_resources[i].gd_type) != 0)
			continue;
		type = gd_resources[i].type;
		if (gd_resources[i].id_path)
			id = gd_str(res, gd_resources[i].id_path);
		break;
	}
	if ((rc = event_set(ev, EF_RESOURCE, id)) < 0 ||
	    (rc = event_set(ev, EF_RESOURCE_TYPE, type)) < 0)
		return rc;
	/* The instance is where runtime and network findings happened. */
	if ((rc = event_set(ev, EF_HOST,
			    gd_str(res, "instanceDetails.instanceId"))) < 0)
		return rc;
	return event_set(ev, EF_CONTAINER,
			 gd_str(res, "containerDetails.name"));
}

/* ---- who and from where ------------------------------------------------ */

/* The actions whose remoteIpDetails is the other party of the finding. */
static const char *const gd_remote_actions[] = {
	"awsApiCallAction",
	"networkConnectionAction",
	"kubernetesApiCallAction",
	"rdsLoginAttemptAction",
	"portProbeAction.portProbeDetails",
};

/* The canonical text of the address in an ipDetails object, or NULL. */
static const char *
ip_of(const cJSON *details, char *canon)
{
	const char *s = gd_str(details, "ipAddressV4");

	if (!s)
		s = gd_str(details, "ipAddressV6");
	return s && netaddr_canon_ip(s, canon) ? canon : NULL;
}

/* The first action that names a remote address (a port probe's first
 * probe), or NULL. */
static const cJSON *
remote_action(const cJSON *action)
{
	char canon[NETADDR_BUFSZ];

	for (size_t i = 0; i < GD_NELEMS(gd_remote_actions); i++) {
		const cJSON *a = gd_get(action, gd_remote_actions[i]);

		if (cJSON_IsArray(a))
			a = a->child;
		if (ip_of(gd_get(a, "remoteIpDetails"), canon))
			return a;
	}
	return NULL;
}

/* src is always the remote party, whatever the direction (kept in
 * attrs.direction); dst is the local end. */
static int
set_network(struct event *ev, const cJSON *action)
{
	const cJSON *a = remote_action(action);
	char canon[NETADDR_BUFSZ], lower[16];
	const char *proto, *domain;
	size_t n;
	int rc;

	if (a) {
		const cJSON *remote = gd_get(a, "remoteIpDetails");
		const cJSON *local = gd_get(a, "localIpDetails");

		ev->src_port = gd_port(gd_get(a, "remotePortDetails.port"));
		ev->dst_port = gd_port(gd_get(a, "localPortDetails.port"));
		if ((rc = event_set(ev, EF_SRC_IP, ip_of(remote, canon))) < 0 ||
		    (rc = event_set(ev, EF_DST_IP, ip_of(local, canon))) < 0)
			return rc;
	} else {
		/* An API called by a service carries its domain instead. */
		domain = gd_str(action, "awsApiCallAction.domainDetails.domain");
		if (domain)
			adapter_set_source(ev, domain);
	}

	proto = gd_str(action, "networkConnectionAction.protocol");
	if (!proto || (n = strlen(proto)) >= sizeof(lower))
		return event_set(ev, EF_PROTOCOL, proto);
	for (size_t i = 0; i <= n; i++)
		lower[i] = (char)tolower((unsigned char)proto[i]);
	return event_set(ev, EF_PROTOCOL, lower);
}

static int
set_actor(struct event *ev, const cJSON *res)
{
	const cJSON *key = gd_get(res, "accessKeyDetails");
	const char *user;
	int rc;

	if ((user = gd_str(key, "userName"))) {
		if ((rc = event_set(ev, EF_ACTOR, user)) < 0)
			return rc;
		return event_set(ev, EF_ACTOR_TYPE, gd_str(key, "userType"));
	}
	/* EKS findings name the Kubernetes user instead. */
	user = gd_str(res, "kubernetesDetails.kubernetesUserDetails.username");
	if (user) {
		if ((rc = event_set(ev, EF_ACTOR, user)) < 0)
			return rc;
		return event_set(ev, EF_ACTOR_TYPE, "KubernetesUser");
	}
	return 0;
}

/* ---- attributes -------------------------------------------------------- */

static const struct {
	const char *attr;
	const char *path;
} gd_attr_paths[] = {
	{ "title", "title" },
	{ "arn", "arn" },
	{ "access_key_id", "resource.accessKeyDetails.accessKeyId" },
	{ "principal_id", "resource.accessKeyDetails.principalId" },
	{ "api", "service.action.awsApiCallAction.api" },
	{ "service_name", "service.action.awsApiCallAction.serviceName" },
	{ "caller_type", "service.action.awsApiCallAction.callerType" },
	{ "action_type", "service.action.actionType" },
	{ "direction",
	  "service.action.networkConnectionAction.connectionDirection" },
	{ "first_seen", "service.eventFirstSeen" },
	{ "last_seen", "service.eventLastSeen" },
	{ "detector_id", "service.detectorId" },
	{ "resource_role", "service.resourceRole" },
	{ "feature_name", "service.featureName" },
};

/* Cut s (valid UTF-8, owned by cJSON) to at most max bytes, on a
 * character boundary. */
static void
truncate_utf8(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	s[n] = '\0';
}

static int
set_attrs(struct event *ev, const cJSON *rec, int64_t count, bool has_count)
{
	cJSON *attrs = cJSON_CreateObject();
	const char *desc = gd_str(rec, "description");
	const cJSON *archived = gd_get(rec, "service.archived");
	bool ok = attrs != NULL;

	for (size_t i = 0; ok && i < GD_NELEMS(gd_attr_paths); i++) {
		const char *v = gd_str(rec, gd_attr_paths[i].path);

		if (v)
			ok = cJSON_AddStringToObject(attrs,
						     gd_attr_paths[i].attr, v);
	}
	if (ok && desc) {
		cJSON *d = cJSON_AddStringToObject(attrs, "description", desc);

		if ((ok = d != NULL))
			truncate_utf8(d->valuestring, GD_DESCRIPTION_MAX);
	}
	/* GuardDuty's generated sample findings say so here. */
	if (ok && gd_true(gd_get(rec, "service.additionalInfo.sample")))
		ok = cJSON_AddTrueToObject(attrs, "sample");
	if (ok && cJSON_IsBool(archived))
		ok = cJSON_AddBoolToObject(attrs, "archived",
					   cJSON_IsTrue(archived));
	if (ok && has_count)
		ok = cJSON_AddNumberToObject(attrs, "count", (double)count);
	if (!ok) {
		cJSON_Delete(attrs);
		return err_set(ERR_NOMEM, "out of memory building attributes");
	}
	return adapter_attrs(ev, attrs);
}

/* ---- the adapter ------------------------------------------------------- */

static int
guardduty_detect(const cJSON *rec)
{
	if (!cJSON_IsObject(rec))
		return 0;
	if (cJSON_GetObjectItem(rec, "schemaVersion") &&
	    cJSON_IsString(cJSON_GetObjectItem(rec, "type")) &&
	    cJSON_IsObject(cJSON_GetObjectItem(rec, "service")))
		return 90;
	return 0;
}

/* The finding's time: when its activity was last seen, else when the
 * finding last changed, else when it was made. */
static const char *const gd_time_paths[] = {
	"service.eventLastSeen",
	"updatedAt",
	"createdAt",
};

static void
set_time(struct event *ev, const cJSON *rec, struct ingest_sink *sink)
{
	for (size_t i = 0; i < GD_NELEMS(gd_time_paths); i++) {
		const char *t = gd_str(rec, gd_time_paths[i]);

		if (t) {
			adapter_set_time(ev, sink, gd_time_paths[i], t);
			return;
		}
	}
	if (sink->warn)
		sink->warn(sink, "updatedAt", "missing");
}

static int
guardduty_normalize(const cJSON *rec, const char *raw, size_t raw_len,
		    struct ingest_sink *sink)
{
	struct event ev;
	const cJSON *res = gd_get(rec, "resource");
	const char *id, *type = gd_str(rec, "type");
	int64_t count = 0;
	bool has_count;
	double score;
	int rc;

	if (!type)
		return err_set(ERR_FIELD,
			       "field `type`: missing or not a string");

	event_init(&ev);
	ev.raw = raw;
	ev.raw_len = raw_len;
	id = gd_str(rec, "id");
	rc = id ? event_set(&ev, EF_ID, id)
		: adapter_hash_id(&ev, "gd-", raw, raw_len);
	if (rc < 0 ||
	    (rc = event_set(&ev, EF_SOURCE, "guardduty")) < 0 ||
	    (rc = event_set(&ev, EF_KIND, "finding")) < 0 ||
	    (rc = event_set(&ev, EF_ACTION, type)) < 0 ||
	    (rc = event_set(&ev, EF_ACCOUNT, gd_str(rec, "accountId"))) < 0 ||
	    (rc = event_set(&ev, EF_REGION, gd_str(rec, "region"))) < 0)
		goto fail;

	if (jsonu_double(gd_get(rec, "severity"), &score)) {
		ev.has_severity_score = true;
		ev.severity_score = score;
		if ((rc = event_set(&ev, EF_SEVERITY,
				    event_severity_band(score))) < 0)
			goto fail;
	} else if (!jsonu_isnull(gd_get(rec, "severity"))) {
		/* present but no finite number (1e400, "High"): outside
		 * every band, and said so */
		if (sink->warn)
			sink->warn(sink, "severity", "not a finite number");
		if ((rc = event_set(&ev, EF_SEVERITY, "unknown")) < 0)
			goto fail;
	}
	set_time(&ev, rec, sink);
	/* A later update of the same finding has a higher count and
	 * replaces the stored one. */
	has_count = jsonu_int64(gd_get(rec, "service.count"), &count);
	if (has_count)
		ev.rank = count < 0 ? 0 : count > INT_MAX ? INT_MAX : (int)count;

	if ((rc = set_resource(&ev, res)) < 0 ||
	    (rc = set_actor(&ev, res)) < 0 ||
	    (rc = set_network(&ev, gd_get(rec, "service.action"))) < 0 ||
	    (rc = set_attrs(&ev, rec, count, has_count)) < 0)
		goto fail;
	return sink->emit(sink, &ev);

fail:
	event_dispose(&ev);
	return rc;
}

const struct adapter adapter_guardduty = {
	.name = "guardduty",
	.description = "Amazon GuardDuty findings (API, EventBridge, CLI)",
	.detect = guardduty_detect,
	.normalize = guardduty_normalize,
};
