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

/* Longest description kept in attrs; the raw record keeps all of it. */
#define ASFF_DESCRIPTION_MAX 2000

/* The first element of the array at path, or NULL. */
static const cJSON *
first_of(const cJSON *obj, const char *path)
{
	const cJSON *a = jsonu_path(obj, path);

	return cJSON_IsArray(a) ? a->child : NULL;
}

/* A non-empty string in ProductFields, whose keys contain slashes. */
static const char *
product_field(const cJSON *rec, const char *key)
{
	const cJSON *it = jsonu_key(jsonu_key(rec, "ProductFields"), key);

	return cJSON_IsString(it) && it->valuestring[0] ? it->valuestring
							 : NULL;
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

	for (size_t i = 0; !label && i < sizeof(asff_label_paths) /
						   sizeof(asff_label_paths[0]); i++)
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

		if (cJSON_IsObject(r) && !(role && strcasecmp(role, "Actor") == 0))
			return r;
	}
	return first;
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
		const char *name, *v;

		if (!cJSON_IsObject(key))
			continue;
		name = jsonu_strne(key, "PrincipalName");
		if (!name)
			name = jsonu_strne(key, "UserName");
		if (!name)
			name = jsonu_strne(key, "PrincipalId");
		if ((rc = event_set(ev, EF_ACTOR, name)) < 0 ||
		    (rc = event_set(ev, EF_ACTOR_TYPE,
				    jsonu_strne(key, "PrincipalType"))) < 0)
			return rc;
		v = jsonu_strne(key, "AccessKeyId");
		if (!v)
			v = jsonu_strne(r, "Id");
		if (v && !cJSON_AddStringToObject(attrs, "access_key_id", v))
			return err_set(ERR_NOMEM, "out of memory");
		v = jsonu_strne(key, "PrincipalId");
		if (v && !cJSON_AddStringToObject(attrs, "principal_id", v))
			return err_set(ERR_NOMEM, "out of memory");
		v = jsonu_strne(key, "SessionContext.SessionIssuer.Arn");
		if (v && !cJSON_AddStringToObject(attrs, "session_issuer_arn", v))
			return err_set(ERR_NOMEM, "out of memory");
		return 0;
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

/* Where the remote address of each kind of action is. */
static const char *const asff_remote_paths[] = {
	"Action.AwsApiCallAction.RemoteIpDetails",
	"Action.NetworkConnectionAction.RemoteIpDetails",
	"Action.KubernetesApiCallAction.RemoteIpDetails",
};

static int
set_ip(struct event *ev, enum event_field f, const char *s)
{
	char canon[NETADDR_BUFSZ];

	if (!s || !netaddr_canon_ip(s, canon))
		return 0;
	return event_set(ev, f, canon);
}

static int
set_source(struct event *ev, const cJSON *rec)
{
	const cJSON *probe;
	const char *domain;
	int rc;

	for (size_t i = 0; i < sizeof(asff_remote_paths) /
				       sizeof(asff_remote_paths[0]); i++) {
		const cJSON *d = jsonu_path(rec, asff_remote_paths[i]);

		if ((rc = set_ip(ev, EF_SRC_IP, jsonu_str(d, "IpAddressV4"))) < 0 ||
		    (!ev->str[EF_SRC_IP] &&
		     (rc = set_ip(ev, EF_SRC_IP, jsonu_str(d, "IpAddressV6"))) < 0))
			return rc;
		if (ev->str[EF_SRC_IP])
			return 0;
	}
	probe = first_of(rec, "Action.PortProbeAction.PortProbeDetails");
	if ((rc = set_ip(ev, EF_SRC_IP,
			 jsonu_str(probe, "RemoteIpDetails.IpAddressV4"))) < 0 ||
	    ev->str[EF_SRC_IP])
		return rc;
	if ((rc = set_ip(ev, EF_SRC_IP,
			 jsonu_str(rec, "Network.SourceIpV4"))) < 0 ||
	    ev->str[EF_SRC_IP])
		return rc;
	if ((rc = set_ip(ev, EF_SRC_IP,
			 jsonu_str(rec, "Network.SourceIpV6"))) < 0 ||
	    ev->str[EF_SRC_IP])
		return rc;
	domain = jsonu_strne(rec, "Action.AwsApiCallAction.DomainDetails.Domain");
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

	for (size_t i = 0; i < sizeof(asff_attr_paths) /
				       sizeof(asff_attr_paths[0]); i++) {
		const char *v = jsonu_strne(rec, asff_attr_paths[i].path);

		if (!v || jsonu_key(attrs, asff_attr_paths[i].attr))
			continue;
		if (!cJSON_AddStringToObject(attrs, asff_attr_paths[i].attr, v))
			return false;
	}
	for (size_t i = 0; i < sizeof(asff_product_fields) /
				       sizeof(asff_product_fields[0]); i++) {
		const char *v = product_field(rec, asff_product_fields[i].key);

		if (!v || jsonu_key(attrs, asff_product_fields[i].attr))
			continue;
		if (!cJSON_AddStringToObject(attrs, asff_product_fields[i].attr, v))
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

static int
asff_normalize(const cJSON *rec, const char *raw, size_t raw_len,
	       struct ingest_sink *sink)
{
	struct event ev;
	const cJSON *target = target_resource(rec);
	const cJSON *type = first_of(rec, "Types");
	const char *id = jsonu_strne(rec, "Id");
	const char *region = jsonu_strne(rec, "Region");
	cJSON *attrs = NULL;
	int rc;

	if (!id)
		return err_set(ERR_FIELD, "field `Id`: missing or not a string");

	event_init(&ev);
	ev.raw = raw;
	ev.raw_len = raw_len;
	if (!region)
		region = jsonu_strne(first_of(rec, "Resources"), "Region");
	if ((rc = event_set(&ev, EF_ID, id)) < 0 ||
	    (rc = event_set(&ev, EF_SOURCE, "asff")) < 0 ||
	    (rc = event_set(&ev, EF_KIND, "finding")) < 0 ||
	    (rc = event_set(&ev, EF_ACTION,
			    cJSON_IsString(type) && type->valuestring[0]
				    ? type->valuestring
				    : jsonu_strne(rec, "Title"))) < 0 ||
	    (rc = event_set(&ev, EF_ACCOUNT, jsonu_strne(rec, "AwsAccountId"))) < 0 ||
	    (rc = event_set(&ev, EF_REGION, region)) < 0 ||
	    (rc = event_set(&ev, EF_RESOURCE, jsonu_strne(target, "Id"))) < 0 ||
	    (rc = event_set(&ev, EF_RESOURCE_TYPE,
			    jsonu_strne(target, "Type"))) < 0 ||
	    (rc = set_severity(&ev, rec)) < 0 ||
	    (rc = set_source(&ev, rec)) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(asff_time_paths) / sizeof(asff_time_paths[0]);
	     i++) {
		const char *t = jsonu_strne(rec, asff_time_paths[i]);

		if (t) {
			adapter_set_time(&ev, sink, asff_time_paths[i], t);
			break;
		}
	}

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
