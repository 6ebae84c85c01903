/* SPDX-License-Identifier: Apache-2.0 */
/* asff: the adapter for AWS Security Finding Format (Security Hub) findings. */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/jsonu.h"
#include "core/netaddr.h"

#define ASFF_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Longest description kept in attrs; the raw record keeps all of it. */
#define ASFF_DESCRIPTION_MAX 2000

/* The first element of the array at path, or NULL. */
static const cJSON *
first_of(const cJSON *obj, const char *path)
{
	const cJSON *a = jsonu_path(obj, path);

	return cJSON_IsArray(a) ? a->child : NULL;
}

/* The text of a non-empty string item, or NULL. */
static const char *
text_of(const cJSON *it)
{
	return cJSON_IsString(it) && it->valuestring[0] ? it->valuestring
							 : NULL;
}

/* A non-empty string in ProductFields, whose keys contain slashes. */
static const char *
product_field(const cJSON *rec, const char *key)
{
	return text_of(jsonu_key(jsonu_key(rec, "ProductFields"), key));
}

/* ---- severity ---------------------------------------------------------- */

/* ASFF's own bands for Severity.Normalized (0-100) when no label is given. */
static const char *
normalized_band(double n)
{
	if (!(n >= 0 && n <= 100))
		return "unknown";
	if (n < 1)
		return "info";
	if (n < 40)
		return "low";
	if (n < 70)
		return "medium";
	if (n < 90)
		return "high";
	return "critical";
}

/* Where a finding may state its severity label, most specific first:
 * older findings put it only in ProductFields. */
static const char *const asff_label_paths[] = {
	"Severity.Label",
	"FindingProviderFields.Severity.Label",
};

static int
set_severity(struct event *ev, const cJSON *rec)
{
	const char *label = NULL;
	double score;
	bool has_score = jsonu_double(jsonu_path(rec, "Severity.Normalized"),
				      &score);

	for (size_t i = 0; !label && i < ASFF_NELEMS(asff_label_paths); i++)
		label = jsonu_strne(rec, asff_label_paths[i]);
	if (!label)
		label = product_field(rec, "aws/securityhub/SeverityLabel");
	if (has_score) {
		ev->has_severity_score = true;
		ev->severity_score = score;
	}
	if (label)
		return event_set(ev, EF_SEVERITY, event_severity_word(label));
	if (has_score)
		return event_set(ev, EF_SEVERITY, normalized_band(score));
	return 0;
}

/* ---- what, who and from where ------------------------------------------ */

/* The resource acted on: the first one not marked as the actor. */
static const cJSON *
target_resource(const cJSON *rec)
{
	const cJSON *first = first_of(rec, "Resources"), *r;

	for (r = first; r; r = r->next) {
		const char *role = jsonu_str(r, "ResourceRole");

		if (!cJSON_IsObject(r))
			continue;
		if (!role || strcasecmp(role, "Actor") != 0)
			return r;
	}
	return first;
}

/* What an AwsIamAccessKey resource tells about its principal. */
static const struct {
	const char *attr;
	const char *path;
} asff_key_attrs[] = {
	{ "principal_id", "PrincipalId" },
	{ "session_issuer_arn", "SessionContext.SessionIssuer.Arn" },
};

/* The actor from resource r's AwsIamAccessKey details key. */
static int
set_key_actor(struct event *ev, const cJSON *r, const cJSON *key,
	      cJSON *attrs)
{
	const char *name = jsonu_strne(key, "PrincipalName");
	const char *key_id;
	int rc;

	if (!name)
		name = jsonu_strne(key, "UserName");
	if (!name)
		name = jsonu_strne(key, "PrincipalId");
	if ((rc = event_set(ev, EF_ACTOR, name)) < 0 ||
	    (rc = event_set(ev, EF_ACTOR_TYPE,
			    jsonu_strne(key, "PrincipalType"))) < 0)
		return rc;
	/* The resource's own Id is the key id when the details omit it. */
	key_id = jsonu_strne(key, "AccessKeyId");
	if (!key_id)
		key_id = jsonu_strne(r, "Id");
	if (key_id && !cJSON_AddStringToObject(attrs, "access_key_id", key_id))
		return err_set(ERR_NOMEM, "out of memory building attributes");
	for (size_t i = 0; i < ASFF_NELEMS(asff_key_attrs); i++) {
		const char *v = jsonu_strne(key, asff_key_attrs[i].path);

		if (v && !cJSON_AddStringToObject(attrs,
						  asff_key_attrs[i].attr, v))
			return err_set(ERR_NOMEM,
				       "out of memory building attributes");
	}
	return 0;
}

/* The caller, from the resources that describe an identity: an access
 * key's principal (GuardDuty findings forwarded to Security Hub), else an
 * IAM user. */
static int
set_actor(struct event *ev, const cJSON *rec, cJSON *attrs)
{
	const cJSON *r;
	int rc;

	for (r = first_of(rec, "Resources"); r; r = r->next) {
		const cJSON *key = jsonu_path(r, "Details.AwsIamAccessKey");

		if (cJSON_IsObject(key))
			return set_key_actor(ev, r, key, attrs);
	}
	for (r = first_of(rec, "Resources"); r; r = r->next) {
		const char *type = jsonu_str(r, "Type");
		const char *name = jsonu_strne(r, "Id");

		if (!type || strcmp(type, "AwsIamUser") != 0)
			continue;
		if (!name)
			name = jsonu_strne(r, "Details.AwsIamUser.UserName");
		if ((rc = event_set(ev, EF_ACTOR, name)) < 0)
			return rc;
		return event_set(ev, EF_ACTOR_TYPE, "IAMUser");
	}
	return 0;
}

/* Where a finding may name the remote address, in order of preference. */
static const char *const asff_source_paths[] = {
	"Action.AwsApiCallAction.RemoteIpDetails.IpAddressV4",
	"Action.NetworkConnectionAction.RemoteIpDetails.IpAddressV4",
	"Action.KubernetesApiCallAction.RemoteIpDetails.IpAddressV4",
	"Action.PortProbeAction.PortProbeDetails.RemoteIpDetails.IpAddressV4",
	"Network.SourceIpV4",
	"Network.SourceIpV6",
};

/* Like jsonu_str, but an array on the way stands for its first element
 * (PortProbeDetails is a list of probes). */
static const char *
str_through_arrays(const cJSON *obj, const char *path)
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
		obj = jsonu_key(obj, seg);
		path = dot ? dot + 1 : NULL;
	}
	return cJSON_IsString(obj) ? obj->valuestring : NULL;
}

static int
set_source(struct event *ev, const cJSON *rec)
{
	char canon[NETADDR_BUFSZ];
	const char *domain;

	for (size_t i = 0; i < ASFF_NELEMS(asff_source_paths); i++) {
		const char *s = str_through_arrays(rec, asff_source_paths[i]);

		if (s && netaddr_canon_ip(s, canon))
			return event_set(ev, EF_SRC_IP, canon);
	}
	/* An API called by a service names its domain instead. */
	domain = jsonu_strne(rec, "Action.AwsApiCallAction.DomainDetails."
				  "Domain");
	if (domain)
		adapter_set_source(ev, domain);
	return 0;
}

/* ---- attributes -------------------------------------------------------- */

static const struct {
	const char *attr;
	const char *path;
} asff_attr_paths[] = {
	{ "title", "Title" },
	{ "generator_id", "GeneratorId" },
	{ "product_arn", "ProductArn" },
	{ "product_name", "ProductName" },
	{ "company_name", "CompanyName" },
	{ "workflow_status", "Workflow.Status" },
	{ "workflow_status", "WorkflowState" },
	{ "record_state", "RecordState" },
	{ "compliance_status", "Compliance.Status" },
	{ "api", "Action.AwsApiCallAction.Api" },
	{ "service_name", "Action.AwsApiCallAction.ServiceName" },
	{ "first_seen", "FirstObservedAt" },
	{ "last_seen", "LastObservedAt" },
};

/* ProductFields keys Security Hub itself fills in, for findings that lack
 * the top-level field. */
static const struct {
	const char *attr;
	const char *key;
} asff_product_fields[] = {
	{ "product_name", "aws/securityhub/ProductName" },
	{ "company_name", "aws/securityhub/CompanyName" },
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

static bool
add_attrs(cJSON *attrs, const cJSON *rec)
{
	const char *desc = jsonu_strne(rec, "Description");

	for (size_t i = 0; i < ASFF_NELEMS(asff_attr_paths); i++) {
		const char *v = jsonu_strne(rec, asff_attr_paths[i].path);

		if (!v || jsonu_key(attrs, asff_attr_paths[i].attr))
			continue;
		if (!cJSON_AddStringToObject(attrs, asff_attr_paths[i].attr, v))
			return false;
	}
	for (size_t i = 0; i < ASFF_NELEMS(asff_product_fields); i++) {
		const char *v = product_field(rec, asff_product_fields[i].key);

		if (!v || jsonu_key(attrs, asff_product_fields[i].attr))
			continue;
		if (!cJSON_AddStringToObject(attrs,
					     asff_product_fields[i].attr, v))
			return false;
	}
	if (desc) {
		cJSON *d = cJSON_AddStringToObject(attrs, "description", desc);

		if (!d)
			return false;
		truncate_utf8(d->valuestring, ASFF_DESCRIPTION_MAX);
	}
	return true;
}

/* ---- the adapter ------------------------------------------------------- */

static int
asff_detect(const cJSON *rec)
{
	if (!jsonu_has_all(rec, "SchemaVersion", "ProductArn", NULL))
		return 0;
	return jsonu_key(rec, "AwsAccountId") ? 90 : 80;
}

/* The finding's time: when it last changed, else when last observed,
 * else when made (Panther writes "2024-05-24 13:17:15.000000000"). */
static const char *const asff_time_paths[] = {
	"UpdatedAt",
	"LastObservedAt",
	"CreatedAt",
};

static void
set_time(struct event *ev, const cJSON *rec, struct ingest_sink *sink)
{
	for (size_t i = 0; i < ASFF_NELEMS(asff_time_paths); i++) {
		const char *t = jsonu_strne(rec, asff_time_paths[i]);

		if (t) {
			adapter_set_time(ev, sink, asff_time_paths[i], t);
			return;
		}
	}
	if (sink->warn)
		sink->warn(sink, "UpdatedAt", "missing");
}

static int
asff_normalize(const cJSON *rec, const char *raw, size_t raw_len,
	       struct ingest_sink *sink)
{
	struct event ev;
	const cJSON *target = target_resource(rec);
	const char *id = jsonu_strne(rec, "Id");
	const char *action = text_of(first_of(rec, "Types"));
	const char *region = jsonu_strne(rec, "Region");
	cJSON *attrs = NULL;
	int rc;

	if (!id)
		return err_set(ERR_FIELD,
			       "field `Id`: missing or not a string");
	if (!action)
		action = jsonu_strne(rec, "Title");
	if (!region)
		region = jsonu_strne(first_of(rec, "Resources"), "Region");

	event_init(&ev);
	ev.raw = raw;
	ev.raw_len = raw_len;
	if ((rc = event_set(&ev, EF_ID, id)) < 0 ||
	    (rc = event_set(&ev, EF_SOURCE, "asff")) < 0 ||
	    (rc = event_set(&ev, EF_KIND, "finding")) < 0 ||
	    (rc = event_set(&ev, EF_ACTION, action)) < 0 ||
	    (rc = event_set(&ev, EF_ACCOUNT,
			    jsonu_strne(rec, "AwsAccountId"))) < 0 ||
	    (rc = event_set(&ev, EF_REGION, region)) < 0 ||
	    (rc = event_set(&ev, EF_RESOURCE, jsonu_strne(target, "Id"))) < 0 ||
	    (rc = event_set(&ev, EF_RESOURCE_TYPE,
			    jsonu_strne(target, "Type"))) < 0 ||
	    (rc = set_severity(&ev, rec)) < 0 ||
	    (rc = set_source(&ev, rec)) < 0)
		goto fail;
	set_time(&ev, rec, sink);

	attrs = cJSON_CreateObject();
	if (!attrs || !add_attrs(attrs, rec)) {
		rc = err_set(ERR_NOMEM, "out of memory building attributes");
		goto fail;
	}
	if ((rc = set_actor(&ev, rec, attrs)) < 0)
		goto fail;
	rc = adapter_attrs(&ev, attrs);
	attrs = NULL;
	if (rc < 0)
		goto fail;
	return sink->emit(sink, &ev);

fail:
	cJSON_Delete(attrs);
	event_dispose(&ev);
	return rc;
}

const struct adapter adapter_asff = {
	.name = "asff",
	.description = "AWS Security Finding Format (Security Hub) findings",
	.detect = asff_detect,
	.normalize = asff_normalize,
};
