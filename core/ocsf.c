/* SPDX-License-Identifier: Apache-2.0 */
/* ocsf: the adapter for OCSF 1.x events; findings, API calls, logons, flows
 * and DNS get their own kinds, any other class is named by its class_name. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/jsonu.h"
#include "core/netaddr.h"

#define OCSF_KIND_MAX 64

/* One record being normalized. rc keeps the first failure so that the
 * many optional field setters can run without a check after each. */
struct ocsf_ctx {
	const cJSON *rec;
	struct event *ev;
	struct ingest_sink *sink;
	cJSON *attrs;
	int rc;
};

/* ---- setting fields ------------------------------------------------------ */

/* A field keeps the first value offered, so callers offer candidates in
 * order of preference and an absent (NULL or "") candidate is skipped. */
static void
ocsf_offer(struct ocsf_ctx *c, enum event_field f, const char *s)
{
	if (c->rc || !s || !*s || c->ev->str[f])
		return;
	c->rc = event_set(c->ev, f, s);
}

static void
ocsf_warn(struct ocsf_ctx *c, const char *field, const char *msg)
{
	if (c->sink->warn)
		c->sink->warn(c->sink, field, msg);
}

/* Add a copy of item to attrs under key; absent or null items are skipped. */
static void
ocsf_attr(struct ocsf_ctx *c, const char *key, const cJSON *item)
{
	cJSON *copy;

	if (c->rc || jsonu_isnull(item) || jsonu_key(c->attrs, key))
		return;
	if (cJSON_IsString(item) && !item->valuestring[0])
		return;
	copy = cJSON_Duplicate(item, 1);
	if (!copy || !cJSON_AddItemToObject(c->attrs, key, copy)) {
		cJSON_Delete(copy);
		c->rc = err_set(ERR_NOMEM, "out of memory building attrs");
	}
}

static void
ocsf_attr_path(struct ocsf_ctx *c, const char *key, const char *path)
{
	ocsf_attr(c, key, jsonu_path(c->rec, path));
}

static const cJSON *
ocsf_first(const cJSON *array)
{
	return cJSON_IsArray(array) ? array->child : NULL;
}

/* ---- common fields ------------------------------------------------------- */

/* OCSF timestamp_t is epoch milliseconds. Some producers write it as a
 * string (digits, or an ISO time) or with a fraction; all are honoured,
 * and time_dt (the datetime profile) stands in when time is absent. */
static void
ocsf_time(struct ocsf_ctx *c)
{
	const cJSON *t = jsonu_key(c->rec, "time");
	const double max_ms = (double)(INT64_MAX / 1000000);
	int64_t ms;
	double d;

	if (jsonu_isnull(t)) {
		const char *dt = jsonu_strne(c->rec, "time_dt");

		if (dt)
			adapter_set_time(c->ev, c->sink, "time_dt", dt);
		return;
	}
	if (jsonu_int64(t, &ms)) {
		if (ms > INT64_MAX / 1000000 || ms < INT64_MIN / 1000000) {
			ocsf_warn(c, "time", "epoch milliseconds out of range");
			return;
		}
		c->ev->time_ns = ms * 1000000;
		c->ev->has_time = true;
	} else if (cJSON_IsNumber(t) && isfinite(t->valuedouble) &&
		   fabs(t->valuedouble) < max_ms) {
		/* Split before scaling: whole milliseconds stay exact. */
		d = floor(t->valuedouble);
		c->ev->time_ns = (int64_t)d * 1000000 +
				 (int64_t)((t->valuedouble - d) * 1e6 + 0.5);
		c->ev->has_time = true;
	} else if (cJSON_IsString(t) && t->valuestring[0]) {
		adapter_set_time(c->ev, c->sink, "time", t->valuestring);
	} else {
		ocsf_warn(c, "time", "not a timestamp");
	}
}

/* A port number from a number or a string of digits; bad ones warn. */
static int
ocsf_port(struct ocsf_ctx *c, const cJSON *endpoint, const char *field)
{
	const cJSON *p = jsonu_key(endpoint, "port");
	int64_t v;

	if (jsonu_isnull(p))
		return EVENT_NO_PORT;
	if (!jsonu_int64(p, &v) || v < 0 || v > 65535) {
		ocsf_warn(c, field, "not a port number");
		return EVENT_NO_PORT;
	}
	return (int)v;
}

/* The caller's address, or its host name when the endpoint gives no
 * address. A label in ip ("AWS Internal") is neither and is kept in attrs.
 * Does nothing once a source is known (evidence is only a fallback). */
static void
ocsf_source(struct ocsf_ctx *c, const cJSON *endpoint)
{
	const char *ip = jsonu_strne(endpoint, "ip");

	if (!cJSON_IsObject(endpoint) || c->ev->str[EF_SRC_IP] ||
	    c->ev->str[EF_SRC_DOMAIN])
		return;
	if (ip && adapter_set_source(c->ev, ip) == 0)
		ocsf_attr(c, "src_label", jsonu_key(endpoint, "ip"));
	if (c->ev->str[EF_SRC_IP] || c->ev->str[EF_SRC_DOMAIN])
		return;
	if (!adapter_set_source(c->ev, jsonu_strne(endpoint, "domain")))
		adapter_set_source(c->ev, jsonu_strne(endpoint, "hostname"));
}

static void
ocsf_endpoints(struct ocsf_ctx *c)
{
	const cJSON *src = jsonu_key(c->rec, "src_endpoint");
	const cJSON *dst = jsonu_key(c->rec, "dst_endpoint");
	const char *dst_ip = jsonu_strne(dst, "ip");
	char canon[NETADDR_BUFSZ];

	ocsf_source(c, src);
	c->ev->src_port = ocsf_port(c, src, "src_endpoint.port");
	if (dst_ip) {
		if (netaddr_canon_ip(dst_ip, canon))
			ocsf_offer(c, EF_DST_IP, canon);
		else
			ocsf_warn(c, "dst_endpoint.ip", "not an address");
	}
	c->ev->dst_port = ocsf_port(c, dst, "dst_endpoint.port");
}

/* IANA numbers for the protocols whose names the event table uses. */
static const struct {
	int num;
	const char *name;
} ocsf_protocols[] = {
	{ 1, "icmp" }, { 6, "tcp" }, { 17, "udp" }, { 58, "ipv6-icmp" },
};

static void
ocsf_protocol(struct ocsf_ctx *c)
{
	const char *name = jsonu_strne(c->rec, "connection_info.protocol_name");
	char lower[32];
	int64_t num;
	size_t i;

	if (name) {
		for (i = 0; name[i] && i < sizeof(lower) - 1; i++)
			lower[i] = (char)tolower((unsigned char)name[i]);
		lower[i] = '\0';
		ocsf_offer(c, EF_PROTOCOL, lower);
		return;
	}
	if (!jsonu_int64(jsonu_path(c->rec, "connection_info.protocol_num"),
			 &num) || num < 0 || num > 255)
		return;
	for (i = 0; i < sizeof(ocsf_protocols) / sizeof(ocsf_protocols[0]); i++)
		if (ocsf_protocols[i].num == num) {
			ocsf_offer(c, EF_PROTOCOL, ocsf_protocols[i].name);
			return;
		}
	if (!c->rc)
		c->rc = event_setf(c->ev, EF_PROTOCOL, "%d", (int)num);
}

/* The account of an ARN ("arn:aws:sts::111122223333:assumed-role/..."),
 * copied to out, or NULL. */
static const char *
ocsf_arn_account(const char *arn, char *out, size_t size)
{
	const char *p = arn, *end;
	int i;

	if (strncmp(arn, "arn:", 4) != 0)
		return NULL;
	for (i = 0; i < 4 && p; i++) {
		p = strchr(p, ':');
		p = p ? p + 1 : NULL;
	}
	end = p ? strchr(p, ':') : NULL;
	if (!end || end == p || (size_t)(end - p) >= size)
		return NULL;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return out;
}

static void
ocsf_cloud(struct ocsf_ctx *c)
{
	const char *account = jsonu_strne(c->rec, "cloud.account.uid");
	char buf[64];

	/* Some mappings put the caller's ARN where the account id belongs. */
	if (account && strncmp(account, "arn:", 4) == 0)
		account = ocsf_arn_account(account, buf, sizeof(buf));
	ocsf_offer(c, EF_ACCOUNT, account);
	ocsf_offer(c, EF_REGION, jsonu_strne(c->rec, "cloud.region"));
}

static void
ocsf_resource(struct ocsf_ctx *c)
{
	const cJSON *r = ocsf_first(jsonu_key(c->rec, "resources"));

	if (!cJSON_IsObject(r))
		r = jsonu_key(c->rec, "resource");
	if (!cJSON_IsObject(r))
		return;
	ocsf_offer(c, EF_RESOURCE, jsonu_strne(r, "uid"));
	ocsf_offer(c, EF_RESOURCE, jsonu_strne(r, "name"));
	if (c->ev->str[EF_RESOURCE])
		ocsf_offer(c, EF_RESOURCE_TYPE, jsonu_strne(r, "type"));
}

/* Success or failure. In the Findings category (1.1 and later) status is
 * the analyst's workflow state (New, In Progress...) and status_id counts
 * those states, so only the words themselves are trusted there. */
static void
ocsf_outcome(struct ocsf_ctx *c, bool finding)
{
	const char *status = jsonu_strne(c->rec, "status");
	int64_t id;

	if (status && strcasecmp(status, "success") == 0)
		ocsf_offer(c, EF_OUTCOME, "success");
	else if (status && strcasecmp(status, "failure") == 0)
		ocsf_offer(c, EF_OUTCOME, "failure");
	else if (!finding && jsonu_int64(jsonu_key(c->rec, "status_id"), &id))
		ocsf_offer(c, EF_OUTCOME, id == 1 ? "success"
					  : id == 2 ? "failure" : NULL);
	/* status_code is the source's own code ("OK" and "200" as readily as
	 * "AccessDenied"): an error code only when the event did not succeed. */
	if (c->ev->str[EF_OUTCOME] && strcmp(c->ev->str[EF_OUTCOME], "success") == 0)
		ocsf_attr_path(c, "status_code", "status_code");
	else
		ocsf_offer(c, EF_ERROR_CODE, jsonu_strne(c->rec, "status_code"));
}

/* severity_id captions 0-6; 6 (Fatal) has no band of its own. */
static const char *const ocsf_severity_bands[] = {
	"unknown", "info", "low", "medium", "high", "critical", "critical",
};

static void
ocsf_severity(struct ocsf_ctx *c)
{
	const cJSON *sid = jsonu_key(c->rec, "severity_id");
	const char *word = jsonu_strne(c->rec, "severity");
	int64_t id;

	if (jsonu_int64(sid, &id) && id >= 0 && id <= 6) {
		ocsf_offer(c, EF_SEVERITY, ocsf_severity_bands[id]);
		c->ev->has_severity_score = true;
		c->ev->severity_score = (double)id;
		return;
	}
	/* 99 is the schema's "Other": the caption in severity says what. */
	if (!jsonu_isnull(sid) && !(jsonu_int64(sid, &id) && id == 99))
		ocsf_warn(c, "severity_id", "not a severity id (0-6 or 99)");
	if (word || !jsonu_isnull(sid))
		ocsf_offer(c, EF_SEVERITY, event_severity_word(word));
}

/* The principal of an OCSF user object: its ARN when any identifier is one,
 * else uid, else name. Its type and display name go with it only when this
 * user is the one that became the actor. */
static void
ocsf_user(struct ocsf_ctx *c, const cJSON *user)
{
	static const char *const keys[] = { "uid", "name", "uid_alt" };
	const char *name = jsonu_strne(user, "name");
	const char *id = NULL, *actor;
	size_t i;

	if (!cJSON_IsObject(user))
		return;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && !id; i++) {
		const char *s = jsonu_strne(user, keys[i]);

		if (s && strncmp(s, "arn:", 4) == 0)
			id = s;
	}
	if (!id)
		id = jsonu_strne(user, "uid");
	if (!id)
		id = name;
	if (!id)
		return;
	ocsf_offer(c, EF_ACTOR, id);
	actor = c->ev->str[EF_ACTOR];
	if (!actor || strcmp(actor, id) != 0)
		return;
	ocsf_offer(c, EF_ACTOR_TYPE, jsonu_strne(user, "type"));
	if (name && strcmp(name, id) != 0)
		ocsf_attr(c, "actor_name", jsonu_key(user, "name"));
}

/* ---- classes ------------------------------------------------------------- */

/* Detection Finding (finding_info) and the 1.0 Security Finding (finding,
 * top-level analytic). */
static void
ocsf_finding(struct ocsf_ctx *c)
{
	const cJSON *info = jsonu_key(c->rec, "finding_info");
	const cJSON *evidence = ocsf_first(jsonu_key(c->rec, "evidences"));

	if (!cJSON_IsObject(info))
		info = jsonu_key(c->rec, "finding");
	ocsf_offer(c, EF_ACTION, jsonu_strne(info, "title"));
	ocsf_offer(c, EF_ACTION, jsonu_strne(c->rec, "message"));
	ocsf_offer(c, EF_ID, jsonu_strne(info, "uid"));
	ocsf_attr(c, "finding_types", jsonu_key(info, "types"));
	ocsf_attr(c, "analytic", jsonu_path(info, "analytic.name"));
	ocsf_attr_path(c, "analytic", "analytic.name");
	ocsf_attr(c, "finding_product", jsonu_path(info, "product.name"));
	ocsf_attr(c, "finding_product", jsonu_key(info, "product_uid"));
	ocsf_attr_path(c, "finding_status", "status");
	ocsf_attr(c, "desc", jsonu_key(info, "desc"));

	/* Detection findings carry who and from where in their evidence. */
	ocsf_user(c, jsonu_path(c->rec, "actor.user"));
	if (!cJSON_IsObject(evidence))
		evidence = jsonu_key(c->rec, "evidence");
	ocsf_user(c, jsonu_path(evidence, "actor.user"));
	ocsf_source(c, jsonu_key(evidence, "src_endpoint"));
}

static void
ocsf_api(struct ocsf_ctx *c)
{
	ocsf_offer(c, EF_ACTION, jsonu_strne(c->rec, "api.operation"));
	ocsf_attr_path(c, "service", "api.service.name");
	ocsf_user(c, jsonu_path(c->rec, "actor.user"));
	ocsf_attr_path(c, "session_issuer", "actor.session.issuer");
	ocsf_offer(c, EF_ERROR_CODE, jsonu_strne(c->rec, "api.response.error"));
}

/* In Authentication, user is who logs on; actor is who asked for it. */
static void
ocsf_authentication(struct ocsf_ctx *c)
{
	ocsf_offer(c, EF_ACTION, jsonu_strne(c->rec, "activity_name"));
	ocsf_offer(c, EF_ACTION, "Logon");
	ocsf_user(c, jsonu_key(c->rec, "user"));
	ocsf_user(c, jsonu_path(c->rec, "actor.user"));
	ocsf_attr_path(c, "mfa", "is_mfa");
	ocsf_attr_path(c, "auth_protocol", "auth_protocol");
	ocsf_attr_path(c, "logon_type", "logon_type");
	ocsf_attr_path(c, "service", "service.name");
	ocsf_attr_path(c, "status_detail", "status_detail");
}

static void
ocsf_network(struct ocsf_ctx *c)
{
	ocsf_offer(c, EF_ACTION, jsonu_strne(c->rec, "disposition"));
	ocsf_offer(c, EF_ACTION, jsonu_strne(c->rec, "activity_name"));
	ocsf_attr_path(c, "bytes", "traffic.bytes");
	ocsf_attr_path(c, "packets", "traffic.packets");
	ocsf_attr_path(c, "direction", "connection_info.direction");
}

static void
ocsf_dns(struct ocsf_ctx *c)
{
	const cJSON *answers = jsonu_key(c->rec, "answers");
	const cJSON *a;
	cJSON *rdata;

	ocsf_offer(c, EF_ACTION, jsonu_strne(c->rec, "query.hostname"));
	ocsf_attr_path(c, "query_type", "query.type");
	ocsf_attr_path(c, "rcode", "rcode");
	if (!cJSON_IsArray(answers) || c->rc)
		return;
	rdata = cJSON_AddArrayToObject(c->attrs, "answers");
	if (!rdata) {
		c->rc = err_set(ERR_NOMEM, "out of memory building attrs");
		return;
	}
	cJSON_ArrayForEach(a, answers) {
		const char *s = jsonu_strne(a, "rdata");
		cJSON *item = s ? cJSON_CreateString(s) : NULL;

		if (s && !item) {
			c->rc = err_set(ERR_NOMEM, "out of memory building attrs");
			return;
		}
		if (item)
			cJSON_AddItemToArray(rdata, item);
	}
}

static const struct ocsf_class {
	int uid;
	const char *kind;
	void (*fill)(struct ocsf_ctx *c);
} ocsf_classes[] = {
	{ 2001, "finding", ocsf_finding },  /* Security Finding (1.0) */
	{ 2004, "finding", ocsf_finding },  /* Detection Finding */
	{ 3002, "login", ocsf_authentication },
	{ 4001, "flow", ocsf_network },
	{ 4003, "dns", ocsf_dns },
	{ 6003, "api_call", ocsf_api },
};

/* "Vulnerability Finding" -> "vulnerability_finding"; a class without a
 * usable name is "ocsf_<uid>". */
static void
ocsf_kind_of(const char *class_name, int64_t uid, char *out, size_t size)
{
	size_t n = 0;
	bool gap = false;

	for (const char *p = class_name; p && *p && n < size - 1; p++) {
		unsigned char ch = (unsigned char)*p;

		if (isalnum(ch) && ch < 0x80) {
			if (gap && n > 0 && n < size - 2)
				out[n++] = '_';
			out[n++] = (char)tolower(ch);
			gap = false;
		} else {
			gap = true;
		}
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, size, "ocsf_%lld", (long long)uid);
}

/* ---- the adapter --------------------------------------------------------- */

static int
ocsf_detect(const cJSON *rec)
{
	int64_t uid;

	if (!jsonu_int64(jsonu_key(rec, "class_uid"), &uid) ||
	    !cJSON_IsObject(jsonu_key(rec, "metadata")))
		return 0;
	return 90;
}

static void
ocsf_common(struct ocsf_ctx *c, int64_t uid)
{
	bool finding = uid >= 2000 && uid < 3000;

	ocsf_time(c);
	ocsf_endpoints(c);
	ocsf_protocol(c);
	ocsf_cloud(c);
	ocsf_resource(c);
	ocsf_outcome(c, finding);
	if (finding)
		ocsf_severity(c);
	ocsf_offer(c, EF_USER_AGENT,
		   jsonu_strne(c->rec, "http_request.user_agent"));
	ocsf_offer(c, EF_HOST, jsonu_strne(c->rec, "device.hostname"));
	ocsf_offer(c, EF_HOST, jsonu_strne(c->rec, "device.name"));
	ocsf_offer(c, EF_CONTAINER, jsonu_strne(c->rec, "container.name"));
	ocsf_offer(c, EF_CONTAINER, jsonu_strne(c->rec, "container.uid"));

	ocsf_attr_path(c, "class_uid", "class_uid");
	ocsf_attr_path(c, "class_name", "class_name");
	ocsf_attr_path(c, "activity", "activity_name");
	ocsf_attr_path(c, "product", "metadata.product.name");
	ocsf_attr_path(c, "vendor", "metadata.product.vendor_name");
	ocsf_attr_path(c, "ocsf_version", "metadata.version");
}

static int
ocsf_normalize(const cJSON *rec, const char *raw, size_t raw_len,
	       struct ingest_sink *sink)
{
	const struct ocsf_class *cls = NULL;
	struct event ev;
	struct ocsf_ctx c = { .rec = rec, .ev = &ev, .sink = sink };
	char kind[OCSF_KIND_MAX];
	int64_t uid;
	size_t i;
	int rc;

	event_init(&ev);
	if (!cJSON_IsObject(rec))
		return err_set(ERR_FIELD, "OCSF record is not a JSON object");
	if (!jsonu_int64(jsonu_key(rec, "class_uid"), &uid))
		return err_set(ERR_FIELD, "field `class_uid`: missing or not an integer");
	c.attrs = cJSON_CreateObject();
	if (!c.attrs)
		return err_set(ERR_NOMEM, "out of memory building attrs");
	ev.raw = raw;
	ev.raw_len = raw_len;

	for (i = 0; i < sizeof(ocsf_classes) / sizeof(ocsf_classes[0]); i++)
		if (ocsf_classes[i].uid == uid)
			cls = &ocsf_classes[i];
	if (cls) {
		snprintf(kind, sizeof(kind), "%s", cls->kind);
	} else {
		ocsf_kind_of(jsonu_str(rec, "class_name"), uid, kind,
			     sizeof(kind));
	}
	ocsf_offer(&c, EF_SOURCE, adapter_ocsf.name);
	ocsf_offer(&c, EF_KIND, kind);
	ocsf_common(&c, uid);
	if (cls)
		cls->fill(&c);

	/* What every class falls back to. */
	ocsf_offer(&c, EF_ACTION, jsonu_strne(rec, "activity_name"));
	ocsf_user(&c, jsonu_path(rec, "actor.user"));
	ocsf_offer(&c, EF_ID, jsonu_strne(rec, "metadata.uid"));
	if ((rc = c.rc) < 0)
		goto out;
	if (!ev.str[EF_ID] &&
	    (rc = adapter_hash_id(&ev, "ocsf-", raw, raw_len)) < 0)
		goto out;
	rc = adapter_attrs(&ev, c.attrs);
	c.attrs = NULL;
	if (rc < 0)
		goto out;
	return sink->emit(sink, &ev);

out:
	cJSON_Delete(c.attrs);
	event_dispose(&ev);
	return rc;
}

const struct adapter adapter_ocsf = {
	.name = "ocsf",
	.description = "OCSF 1.x events (findings, API, authentication, "
		       "network, DNS and other classes)",
	.detect = ocsf_detect,
	.normalize = ocsf_normalize,
};
