/* SPDX-License-Identifier: Apache-2.0 */
/* test_adapters_ocsf_iam: the OCSF adapter on hand-written events of each
 * class and a Panther test event, and the IAM authorization-details adapter
 * on the cloudsplaining iam-vulnerable export. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/jsonu.h"
#include "tests/unit/tap.h"

/* 2026-12-01T00:00:00Z in milliseconds; the test events count from it. */
#define T0_MS INT64_C(1796083200000)
#define MS_NS INT64_C(1000000)

static char *
slurp(const char *rel, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	char *data = NULL;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n + 1))) {
		*len = fread(data, 1, (size_t)n, f);
		data[*len] = '\0';
	}
	fclose(f);
	return data;
}

/* One record run through an adapter into a collecting sink. raw stays
 * alive until case_free because the events borrow it. */
struct ocsf_case {
	char *raw;
	size_t len;
	cJSON *rec;
	struct event_list list;
	int rc;
};

static const struct event *
case_run_text(struct ocsf_case *c, char *raw, size_t len)
{
	struct ingest_sink sink;

	memset(c, 0, sizeof(*c));
	c->raw = raw;
	c->len = len;
	c->rc = -1;
	c->rec = raw ? cJSON_ParseWithLength(raw, len) : NULL;
	CHECK(c->rec != NULL);
	if (!c->rec)
		return NULL;
	CHECK_INT(adapter_ocsf.detect(c->rec), 90);
	CHECK_INT(adapter_iam_authz.detect(c->rec), 0);
	CHECK(adapter_detect(c->rec) == &adapter_ocsf);
	sink_collect_init(&sink, &c->list);
	c->rc = adapter_ocsf.normalize(c->rec, raw, len, &sink);
	CHECK_INT(c->rc, 0);
	if (c->rc != 0)
		fprintf(stderr, "normalize: %s\n", err_msg());
	CHECK_INT(c->list.n, 1);
	return c->list.n == 1 ? &c->list.v[0] : NULL;
}

static const struct event *
case_run(struct ocsf_case *c, const char *rel)
{
	size_t len = 0;
	char *raw = slurp(rel, &len);

	return case_run_text(c, raw, len);
}

static void
case_free(struct ocsf_case *c)
{
	event_list_dispose(&c->list);
	cJSON_Delete(c->rec);
	free(c->raw);
}

/* ev's attrs parsed, or an empty object; the caller deletes it. */
static cJSON *
attrs_of(const struct event *ev)
{
	cJSON *a = ev && ev->attrs ? cJSON_Parse(ev->attrs) : NULL;

	CHECK(!ev || !ev->attrs || a);
	return a ? a : cJSON_CreateObject();
}

static double
attr_num(const cJSON *attrs, const char *key)
{
	const cJSON *it = jsonu_key(attrs, key);

	return cJSON_IsNumber(it) ? it->valuedouble : -1;
}

#define F(ev, f) ((ev) ? (ev)->str[f] : NULL)

/* ---- OCSF ------------------------------------------------------------------ */

static void
test_detection_finding(void)
{
	struct ocsf_case c;
	const struct event *ev = case_run(&c, "tests/data/ocsf/detection-finding.json");
	cJSON *a = attrs_of(ev);

	CHECK_STR(F(ev, EF_SOURCE), "ocsf");
	CHECK_STR(F(ev, EF_KIND), "finding");
	CHECK_STR(F(ev, EF_ID), "arn:aws:guardduty:us-east-1:111122223333:"
		  "detector/example-detector/finding/example-finding-0001");
	CHECK_STR(F(ev, EF_ACTION), "Credentials of role example-web-role "
		  "were used from an address outside AWS");
	CHECK_STR(F(ev, EF_SEVERITY), "high");
	CHECK(ev && ev->has_severity_score && ev->severity_score == 4.0);
	CHECK(ev && ev->has_time && ev->time_ns == (T0_MS + 123) * MS_NS);
	CHECK_STR(F(ev, EF_RESOURCE), "arn:aws:iam::111122223333:role/example-web-role");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "AwsIamRole");
	CHECK_STR(F(ev, EF_ACCOUNT), "111122223333");
	CHECK_STR(F(ev, EF_REGION), "us-east-1");
	/* status "New" / status_id 1 is the finding's workflow state. */
	CHECK_STR(F(ev, EF_OUTCOME), NULL);
	/* Who and from where come from the evidence. */
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:sts::111122223333:assumed-role/"
		  "example-web-role/i-0example0001");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "AssumedRole");
	CHECK_STR(F(ev, EF_SRC_IP), "203.0.113.77");
	CHECK_STR(F(ev, EF_USER_AGENT), NULL);
	CHECK_STR(jsonu_str(a, "analytic"), "InstanceCredentialExfiltration");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(
			  jsonu_key(a, "finding_types"), 0)),
		  "TTPs/Initial Access/UnauthorizedAccess:IAMUser-"
		  "InstanceCredentialExfiltration.OutsideAWS");
	CHECK_STR(jsonu_str(a, "finding_status"), "New");
	CHECK_STR(jsonu_str(a, "product"), "GuardDuty");
	CHECK_STR(jsonu_str(a, "vendor"), "AWS");
	CHECK_STR(jsonu_str(a, "ocsf_version"), "1.1.0");
	CHECK_STR(jsonu_str(a, "class_name"), "Detection Finding");
	CHECK(attr_num(a, "class_uid") == 2004);
	CHECK(ev && ev->raw == c.raw && ev->raw_len == c.len);
	cJSON_Delete(a);
	case_free(&c);
}

static void
test_security_finding(void)
{
	struct ocsf_case c;
	const struct event *ev = case_run(&c, "tests/data/ocsf/security-finding.json");
	cJSON *a = attrs_of(ev);

	CHECK_STR(F(ev, EF_KIND), "finding");
	CHECK_STR(F(ev, EF_ID), "example-sf-0042");
	CHECK_STR(F(ev, EF_ACTION), "Outbound connection to a known mining pool");
	CHECK_STR(F(ev, EF_SEVERITY), "critical");
	CHECK(ev && ev->has_severity_score && ev->severity_score == 5.0);
	CHECK(ev && ev->has_time && ev->time_ns == (T0_MS + 60000) * MS_NS);
	CHECK_STR(F(ev, EF_RESOURCE), "example-worker-3");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "Instance");
	CHECK_STR(F(ev, EF_HOST), "example-worker-3.internal.example");
	CHECK_STR(F(ev, EF_DST_IP), "192.0.2.200");
	CHECK_INT(ev ? ev->dst_port : 0, 3333);
	CHECK_INT(ev ? ev->src_port : 0, EVENT_NO_PORT);
	CHECK_STR(F(ev, EF_ACCOUNT), NULL);
	CHECK_STR(F(ev, EF_ACTOR), NULL);
	CHECK_STR(jsonu_str(a, "analytic"), "MiningPoolEgress");
	CHECK_STR(jsonu_str(a, "ocsf_version"), "1.0.0");
	CHECK_STR(jsonu_str(a, "product"), "Example EDR");
	cJSON_Delete(a);
	case_free(&c);
}

static void
test_vulnerability_finding(void)
{
	struct ocsf_case c;
	const struct event *ev = case_run(&c, "tests/data/ocsf/vulnerability-finding.json");

	/* Not one of the classes with a kind of its own. */
	CHECK_STR(F(ev, EF_KIND), "vulnerability_finding");
	CHECK_STR(F(ev, EF_ACTION), "Update");
	CHECK_STR(F(ev, EF_SEVERITY), "medium");
	CHECK_STR(F(ev, EF_RESOURCE), "arn:aws:ecr:us-east-1:111122223333:"
		  "repository/example-app");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "AwsEcrContainerImage");
	CHECK_STR(F(ev, EF_OUTCOME), NULL);
	/* No metadata.uid: an id from the bytes. */
	CHECK(F(ev, EF_ID) != NULL);
	case_free(&c);
}

static void
test_api_activity(void)
{
	struct ocsf_case c;
	const struct event *ev = case_run(&c, "tests/data/ocsf/api-activity.json");
	cJSON *a = attrs_of(ev);

	CHECK_STR(F(ev, EF_KIND), "api_call");
	CHECK_STR(F(ev, EF_ID), "example-api-0001-uid");
	CHECK_STR(F(ev, EF_ACTION), "PutBucketPolicy");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:iam::111122223333:user/example-admin");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "IAMUser");
	CHECK_STR(F(ev, EF_SRC_IP), "198.51.100.23");
	CHECK_STR(F(ev, EF_SRC_DOMAIN), NULL);
	CHECK_STR(F(ev, EF_USER_AGENT), "aws-cli/2.15.0 Python/3.11.6 "
		  "Linux/6.5.0 exe/x86_64.ubuntu.22");
	CHECK_STR(F(ev, EF_RESOURCE), "arn:aws:s3:::example-logs-bucket");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "AWS::S3::Bucket");
	CHECK_STR(F(ev, EF_OUTCOME), "failure");
	CHECK_STR(F(ev, EF_ERROR_CODE), "AccessDenied");
	CHECK_STR(F(ev, EF_ACCOUNT), "111122223333");
	CHECK_STR(F(ev, EF_REGION), "eu-west-1");
	/* Only findings carry a severity. */
	CHECK_STR(F(ev, EF_SEVERITY), NULL);
	CHECK(ev && !ev->has_severity_score);
	CHECK(ev && ev->has_time && ev->time_ns == (T0_MS + 100000) * MS_NS);
	CHECK_STR(jsonu_str(a, "service"), "s3.amazonaws.com");
	CHECK_STR(jsonu_str(a, "actor_name"), "example-admin");
	CHECK_STR(jsonu_str(a, "product"), "CloudTrail");
	CHECK(attr_num(a, "class_uid") == 6003);
	cJSON_Delete(a);
	case_free(&c);
}

static void
test_authentication(void)
{
	struct ocsf_case c;
	const struct event *ev = case_run(&c, "tests/data/ocsf/authentication.json");
	cJSON *a = attrs_of(ev);

	CHECK_STR(F(ev, EF_KIND), "login");
	CHECK_STR(F(ev, EF_ACTION), "Logon");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:iam::111122223333:user/example-analyst");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "IAMUser");
	CHECK_STR(F(ev, EF_SRC_IP), "2001:db8::42");
	CHECK_STR(F(ev, EF_OUTCOME), "failure");
	CHECK_STR(F(ev, EF_ERROR_CODE), NULL);
	CHECK_STR(F(ev, EF_ID), "example-auth-0001-uid");
	CHECK(cJSON_IsFalse(jsonu_key(a, "mfa")));
	CHECK_STR(jsonu_str(a, "status_detail"), "Failed authentication");
	CHECK_STR(jsonu_str(a, "service"), "signin.amazonaws.com");
	cJSON_Delete(a);
	case_free(&c);
}

static void
test_network_activity(void)
{
	struct ocsf_case c, again;
	const struct event *ev = case_run(&c, "tests/data/ocsf/network-activity.json");
	const struct event *ev2 = case_run(&again, "tests/data/ocsf/network-activity.json");
	cJSON *a = attrs_of(ev);
	const char *id;

	CHECK_STR(F(ev, EF_KIND), "flow");
	CHECK_STR(F(ev, EF_ACTION), "Allowed");
	CHECK_STR(F(ev, EF_SRC_IP), "203.0.113.10");
	CHECK_INT(ev ? ev->src_port : 0, 49152);
	CHECK_STR(F(ev, EF_DST_IP), "10.0.1.5");
	CHECK_INT(ev ? ev->dst_port : 0, 443);
	CHECK_STR(F(ev, EF_PROTOCOL), "tcp");
	CHECK_STR(F(ev, EF_OUTCOME), NULL);
	CHECK(attr_num(a, "bytes") == 5200);
	CHECK(attr_num(a, "packets") == 10);
	CHECK_STR(jsonu_str(a, "direction"), "Inbound");
	/* No uid anywhere: the id is a hash of the bytes, stable on re-read. */
	id = F(ev, EF_ID);
	CHECK(id && strncmp(id, "ocsf-", 5) == 0);
	CHECK_STR(F(ev, EF_ID), F(ev2, EF_ID));
	cJSON_Delete(a);
	case_free(&again);
	case_free(&c);
}

static void
test_dns_activity(void)
{
	struct ocsf_case c;
	const struct event *ev = case_run(&c, "tests/data/ocsf/dns-activity.json");
	cJSON *a = attrs_of(ev);
	const cJSON *answers = jsonu_key(a, "answers");

	CHECK_STR(F(ev, EF_KIND), "dns");
	CHECK_STR(F(ev, EF_ACTION), "updates.example.net");
	CHECK_STR(F(ev, EF_SRC_IP), "10.0.2.15");
	CHECK_INT(ev ? ev->src_port : 0, 53124);
	CHECK_STR(F(ev, EF_PROTOCOL), "udp");
	CHECK_STR(F(ev, EF_REGION), "us-west-2");
	CHECK_STR(jsonu_str(a, "query_type"), "TXT");
	CHECK_STR(jsonu_str(a, "rcode"), "NoError");
	CHECK_INT(cJSON_GetArraySize(answers), 2);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(answers, 1)),
		  "example-verification=1");
	cJSON_Delete(a);
	case_free(&c);
}

static void
test_other_class(void)
{
	struct ocsf_case c;
	const struct event *ev = case_run(&c, "tests/data/ocsf/process-activity.json");
	cJSON *a = attrs_of(ev);

	CHECK_STR(F(ev, EF_KIND), "process_activity");
	CHECK_STR(F(ev, EF_ACTION), "Launch");
	CHECK_STR(F(ev, EF_ACTOR), "example-svc");
	CHECK_STR(F(ev, EF_HOST), "example-node-1");
	CHECK_STR(F(ev, EF_CONTAINER), "example-nginx");
	CHECK_STR(F(ev, EF_SEVERITY), NULL);
	CHECK_STR(F(ev, EF_SRC_IP), NULL);
	CHECK(attr_num(a, "class_uid") == 1007);
	CHECK_STR(jsonu_str(a, "vendor"), "Example Corp");
	cJSON_Delete(a);
	case_free(&c);

	/* Neither a known class nor a usable name. */
	char text[] = "{\"class_uid\":9999,\"class_name\":\" -- \","
		      "\"metadata\":{\"version\":\"1.1.0\"}}";
	ev = case_run_text(&c, strdup(text), strlen(text));
	CHECK_STR(F(ev, EF_KIND), "ocsf_9999");
	CHECK_STR(F(ev, EF_ACTION), NULL);
	CHECK(ev && !ev->has_time);
	case_free(&c);
}

static void
test_odd_events(void)
{
	struct ocsf_case c;
	const struct event *ev;
	cJSON *a;

	ev = case_run(&c, "tests/data/ocsf/odd-missing-time.json");
	a = attrs_of(ev);
	CHECK(ev && !ev->has_time);
	CHECK_INT(c.list.warnings, 0);
	CHECK_STR(F(ev, EF_ACTION), "GetObject");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:iam::111122223333:user/example-reader");
	CHECK_STR(F(ev, EF_OUTCOME), "success");
	/* A success's status code is kept, but it is no error. */
	CHECK_STR(F(ev, EF_ERROR_CODE), NULL);
	CHECK_STR(jsonu_str(a, "status_code"), "200");
	cJSON_Delete(a);
	CHECK_STR(F(ev, EF_ACCOUNT), NULL);
	CHECK_STR(F(ev, EF_REGION), NULL);
	CHECK_STR(F(ev, EF_USER_AGENT), NULL);
	case_free(&c);

	ev = case_run(&c, "tests/data/ocsf/odd-time-string.json");
	CHECK(ev && ev->has_time && ev->time_ns == (T0_MS + 600250) * MS_NS);
	CHECK_STR(F(ev, EF_KIND), "login");
	CHECK_STR(F(ev, EF_ACTOR), "example-contractor");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), NULL);
	CHECK_STR(F(ev, EF_OUTCOME), "success");
	case_free(&c);

	ev = case_run(&c, "tests/data/ocsf/odd-severity-out-of-range.json");
	CHECK_STR(F(ev, EF_KIND), "finding");
	CHECK_STR(F(ev, EF_SEVERITY), "unknown");
	CHECK(ev && !ev->has_severity_score);
	CHECK_INT(c.list.warnings, 1);
	CHECK_STR(F(ev, EF_ACTION), "Example detector raised an alert without a title");
	CHECK(F(ev, EF_ID) != NULL);
	case_free(&c);

	ev = case_run(&c, "tests/data/ocsf/odd-status-missing.json");
	a = attrs_of(ev);
	CHECK_STR(F(ev, EF_OUTCOME), NULL);
	CHECK_STR(F(ev, EF_ERROR_CODE), NULL);
	CHECK_STR(F(ev, EF_SRC_IP), NULL);
	CHECK_STR(F(ev, EF_SRC_DOMAIN), "build-agent-7.example.com");
	CHECK_STR(F(ev, EF_ACTION), "CreateFunction20150331");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:sts::111122223333:assumed-role/"
		  "example-deploy-role/example-session");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "AssumedRole");
	CHECK_STR(jsonu_str(a, "session_issuer"),
		  "arn:aws:iam::111122223333:role/example-deploy-role");
	cJSON_Delete(a);
	case_free(&c);
}

static void
test_hostile_values(void)
{
	struct ocsf_case c;
	const struct event *ev;
	/* Wrong types everywhere: nothing is trusted, the record is kept. */
	char text[] = "{\"class_uid\":4001,\"metadata\":[],\"time\":{},"
		      "\"src_endpoint\":{\"ip\":7,\"port\":70000},"
		      "\"dst_endpoint\":{\"ip\":\"not-an-ip\",\"port\":\"443x\"},"
		      "\"connection_info\":{\"protocol_num\":47},"
		      "\"resources\":[\"x\"],\"cloud\":\"aws\",\"status_id\":\"2\"}";
	cJSON *rec;

	/* metadata must be an object for detection. */
	rec = cJSON_Parse(text);
	CHECK_INT(adapter_ocsf.detect(rec), 0);
	cJSON_Delete(rec);
	memcpy(strstr(text, "[]"), "{}", 2);
	ev = case_run_text(&c, strdup(text), strlen(text));
	CHECK(ev && !ev->has_time);
	CHECK_STR(F(ev, EF_SRC_IP), NULL);
	CHECK_INT(ev ? ev->src_port : 0, EVENT_NO_PORT);
	CHECK_STR(F(ev, EF_DST_IP), NULL);
	CHECK_INT(ev ? ev->dst_port : 0, EVENT_NO_PORT);
	CHECK_STR(F(ev, EF_PROTOCOL), "47");
	CHECK_STR(F(ev, EF_RESOURCE), NULL);
	CHECK_STR(F(ev, EF_ACCOUNT), NULL);
	CHECK_STR(F(ev, EF_OUTCOME), "failure");
	CHECK_STR(F(ev, EF_KIND), "flow");
	/* time, src port, dst address, dst port. */
	CHECK_INT(c.list.warnings, 4);
	case_free(&c);

	/* A record without class_uid is refused, naming the field. */
	{
		struct event_list list = { 0 };
		struct ingest_sink sink;

		rec = cJSON_Parse("{\"metadata\":{},\"class_uid\":\"x\"}");
		sink_collect_init(&sink, &list);
		CHECK_INT(adapter_ocsf.normalize(rec, "{}", 2, &sink), ERR_FIELD);
		CHECK(strstr(err_msg(), "class_uid") != NULL);
		CHECK_INT(list.n, 0);
		event_list_dispose(&list);
		cJSON_Delete(rec);
	}
}

/* Panther's rule test for a Route 53 resolver query to a mining pool. */
static void
test_panther_dns(void)
{
	size_t len = 0;
	char *raw = slurp("tests/data/panther-analysis-rule-tests/raw/ocsf.jsonl", &len);
	char *nl = raw ? memchr(raw, '\n', len) : NULL;
	struct ocsf_case c;
	const struct event *ev;
	cJSON *a;

	if (nl)
		len = (size_t)(nl - raw);
	ev = case_run_text(&c, raw, len);
	a = attrs_of(ev);
	CHECK_STR(F(ev, EF_KIND), "dns");
	CHECK_STR(F(ev, EF_ACTION), "moneropool.ru");
	CHECK_STR(F(ev, EF_SRC_IP), "5.6.7.8");
	CHECK_INT(ev ? ev->src_port : 0, 8888);
	CHECK_STR(F(ev, EF_PROTOCOL), "udp");
	CHECK_STR(F(ev, EF_REGION), "us-west-2");
	CHECK_STR(F(ev, EF_ACCOUNT), NULL);
	CHECK_STR(F(ev, EF_OUTCOME), NULL);
	CHECK_STR(F(ev, EF_SEVERITY), NULL);
	/* "2022-06-25 00:27:53": Panther writes the time as text, UTC. */
	CHECK(ev && ev->has_time && ev->time_ns == INT64_C(1656116873) * 1000000000);
	CHECK_STR(jsonu_str(a, "query_type"), "AAAA");
	CHECK_STR(jsonu_str(a, "rcode"), "NoError");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(jsonu_key(a, "answers"), 0)),
		  "1.2.3.4");
	CHECK_STR(jsonu_str(a, "product"), "Route 53");
	CHECK_STR(jsonu_str(a, "ocsf_version"), "1.100000");
	CHECK(F(ev, EF_ID) != NULL);
	CHECK_INT(c.list.warnings, 0);
	cJSON_Delete(a);
	case_free(&c);
}

/* ---- IAM authorization details ---------------------------------------------- */

struct iam_seen {
	size_t n, users, groups, roles, policies;
	struct {
		char *kind, *arn, *name, *id, *account, *doc;
	} v[256];
	size_t warnings;
	char warn_fields[16][64];
};

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
iam_identity(struct ingest_sink *sink, const struct identity_item *it)
{
	struct iam_seen *seen = sink->ctx;

	if (seen->n >= sizeof(seen->v) / sizeof(seen->v[0]))
		return err_set(ERR_TOOBIG, "test sink full");
	seen->v[seen->n].kind = dup_or_null(it->kind);
	seen->v[seen->n].arn = dup_or_null(it->arn);
	seen->v[seen->n].name = dup_or_null(it->name);
	seen->v[seen->n].id = dup_or_null(it->id);
	seen->v[seen->n].account = dup_or_null(it->account);
	seen->v[seen->n].doc = dup_or_null(it->doc);
	seen->n++;
	if (strcmp(it->kind, "user") == 0)
		seen->users++;
	else if (strcmp(it->kind, "group") == 0)
		seen->groups++;
	else if (strcmp(it->kind, "role") == 0)
		seen->roles++;
	else if (strcmp(it->kind, "policy") == 0)
		seen->policies++;
	return 0;
}

static int
iam_emit(struct ingest_sink *sink, struct event *ev)
{
	event_dispose(ev);
	return err_set(ERR_USAGE, "iam_authz emitted an event");
}

static void
iam_warn(struct ingest_sink *sink, const char *field, const char *msg)
{
	struct iam_seen *seen = sink->ctx;

	if (seen->warnings < 16)
		snprintf(seen->warn_fields[seen->warnings], 64, "%s", field);
	seen->warnings++;
}

static void
iam_seen_free(struct iam_seen *seen)
{
	for (size_t i = 0; i < seen->n; i++) {
		free(seen->v[i].kind);
		free(seen->v[i].arn);
		free(seen->v[i].name);
		free(seen->v[i].id);
		free(seen->v[i].account);
		free(seen->v[i].doc);
	}
}

static int
iam_find(const struct iam_seen *seen, const char *arn)
{
	for (size_t i = 0; i < seen->n; i++)
		if (seen->v[i].arn && strcmp(seen->v[i].arn, arn) == 0)
			return (int)i;
	return -1;
}

static int
iam_run(const char *text, size_t len, struct iam_seen *seen)
{
	struct ingest_sink sink = {
		.emit = iam_emit, .identity = iam_identity, .warn = iam_warn,
		.ctx = seen,
	};
	cJSON *rec = cJSON_ParseWithLength(text, len);
	int rc;

	memset(seen, 0, sizeof(*seen));
	CHECK(rec != NULL);
	CHECK_INT(adapter_iam_authz.detect(rec), 95);
	CHECK_INT(adapter_ocsf.detect(rec), 0);
	rc = adapter_iam_authz.normalize(rec, text, len, &sink);
	cJSON_Delete(rec);
	return rc;
}

static void
test_iam_export(void)
{
	static const char *const dir = "tests/data/iam-authz-cloudsplaining-iam-vulnerable";
	char path[256];
	size_t len = 0;
	char *text;
	struct iam_seen *seen = calloc(1, sizeof(*seen));
	cJSON *doc;
	int i;

	snprintf(path, sizeof(path), "%s/example.json", dir);
	text = slurp(path, &len);
	CHECK(text != NULL && seen != NULL);
	if (!text || !seen)
		goto out;
	{
		cJSON *rec = cJSON_ParseWithLength(text, len);

		CHECK(adapter_detect(rec) == &adapter_iam_authz);
		cJSON_Delete(rec);
	}
	CHECK_INT(iam_run(text, len, seen), 0);
	CHECK_INT(seen->users, 41);
	CHECK_INT(seen->groups, 3);
	CHECK_INT(seen->roles, 75);
	CHECK_INT(seen->policies, 56);
	CHECK_INT(seen->warnings, 0);

	i = iam_find(seen, "arn:aws:iam::200611803367:user/privesc4-CreateAccessKey-user");
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_STR(seen->v[i].kind, "user");
		CHECK_STR(seen->v[i].name, "privesc4-CreateAccessKey-user");
		CHECK_STR(seen->v[i].id, "AIDAS5NLFGDT5WUC5TYRO");
		CHECK_STR(seen->v[i].account, "200611803367");
		doc = cJSON_Parse(seen->v[i].doc);
		CHECK_STR(jsonu_str(cJSON_GetArrayItem(jsonu_key(doc,
				"AttachedManagedPolicies"), 0), "PolicyArn"),
			  "arn:aws:iam::200611803367:policy/privesc4-CreateAccessKey");
		cJSON_Delete(doc);
	}

	i = iam_find(seen, "arn:aws:iam::200611803367:role/privesc-sre-role");
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_STR(seen->v[i].kind, "role");
		CHECK_STR(seen->v[i].id, "AROAS5NLFGDTYGSJZRBJM");
		CHECK_STR(seen->v[i].account, "200611803367");
		doc = cJSON_Parse(seen->v[i].doc);
		CHECK_STR(jsonu_str(cJSON_GetArrayItem(jsonu_path(doc,
				"AssumeRolePolicyDocument.Statement"), 0),
				"Principal.AWS"),
			  "arn:aws:iam::200611803367:user/privesc-sre-user");
		cJSON_Delete(doc);
	}

	i = iam_find(seen, "arn:aws:iam::200611803367:group/privesc-sre-group");
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_STR(seen->v[i].kind, "group");
		CHECK_STR(seen->v[i].name, "privesc-sre-group");
		CHECK_STR(seen->v[i].id, "AGPAS5NLFGDT46LVQ2E6N");
		CHECK(strstr(seen->v[i].doc, "privesc-sre-admin-policy") != NULL);
	}

	i = iam_find(seen, "arn:aws:iam::aws:policy/AdministratorAccess");
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_STR(seen->v[i].kind, "policy");
		CHECK_STR(seen->v[i].name, "AdministratorAccess");
		CHECK_STR(seen->v[i].id, "ANPAIWMBCKSKIEE64ZLYK");
		CHECK_STR(seen->v[i].account, NULL);
		doc = cJSON_Parse(seen->v[i].doc);
		CHECK_STR(jsonu_str(cJSON_GetArrayItem(jsonu_path(doc,
				"PolicyVersionList"), 0), "VersionId"), "v1");
		cJSON_Delete(doc);
	}

	/* Every principal the dataset labels is in the inventory as its kind. */
	free(text);
	snprintf(path, sizeof(path), "%s/principal-labels.jsonl", dir);
	text = slurp(path, &len);
	CHECK(text != NULL);
	{
		size_t labelled = 0, found = 0;

		for (char *line = text, *end; line && *line; line = end) {
			cJSON *lab;

			end = strchr(line, '\n');
			if (end)
				*end++ = '\0';
			lab = cJSON_Parse(line);
			if (!lab)
				continue;
			labelled++;
			i = iam_find(seen, jsonu_str(lab, "arn"));
			if (i >= 0 && strcmp(seen->v[i].kind,
					     jsonu_str(lab, "principal_type")) == 0)
				found++;
			cJSON_Delete(lab);
		}
		CHECK_INT(labelled, 119);
		CHECK_INT(found, 119);
	}
out:
	if (seen)
		iam_seen_free(seen);
	free(seen);
	free(text);
}

static void
test_iam_malformed(void)
{
	static const char text[] =
		"{\"UserDetailList\":[{\"UserName\":\"no-arn\"},5,"
		"{\"Arn\":\"arn:aws:iam::111122223333:user/example-ok\","
		"\"UserName\":\"example-ok\",\"UserId\":\"AIDAEXAMPLE\"}],"
		"\"RoleDetailList\":[{\"Arn\":\"arn:aws:iam::111122223333:role/a\"},"
		"{\"Arn\":\"arn:aws-cn:iam::444455556666:role/b\"},"
		"{\"Arn\":\"arn:aws:iam::12345:role/short-account\"},"
		"{\"RoleName\":\"bad\",\"Arn\":42}],"
		"\"GroupDetailList\":{},"
		"\"Policies\":[{\"Arn\":\"not-an-arn\"}],\"IsTruncated\":true}";
	struct iam_seen *seen = calloc(1, sizeof(*seen));
	int i;

	CHECK(seen != NULL);
	if (!seen)
		return;
	CHECK_INT(iam_run(text, sizeof(text) - 1, seen), 0);
	CHECK_INT(seen->users, 1);
	CHECK_INT(seen->roles, 3);
	CHECK_INT(seen->groups, 0);
	CHECK_INT(seen->policies, 0);
	/* no Arn, not an object, group list not an array, Arn 42,
	 * policy Arn not an ARN, the truncated export. */
	CHECK_INT(seen->warnings, 6);
	CHECK_STR(seen->warn_fields[0], "UserDetailList[0].Arn");
	CHECK_STR(seen->warn_fields[1], "UserDetailList[1]");
	CHECK_STR(seen->warn_fields[2], "GroupDetailList");
	CHECK_STR(seen->warn_fields[3], "RoleDetailList[3].Arn");
	CHECK_STR(seen->warn_fields[4], "Policies[0].Arn");
	CHECK_STR(seen->warn_fields[5], "IsTruncated");
	i = iam_find(seen, "arn:aws:iam::111122223333:user/example-ok");
	CHECK(i >= 0 && strcmp(seen->v[i].account, "111122223333") == 0);
	i = iam_find(seen, "arn:aws-cn:iam::444455556666:role/b");
	CHECK(i >= 0 && seen->v[i].account &&
	      strcmp(seen->v[i].account, "444455556666") == 0);
	i = iam_find(seen, "arn:aws:iam::12345:role/short-account");
	CHECK(i >= 0 && seen->v[i].account == NULL);
	i = iam_find(seen, "arn:aws:iam::111122223333:role/a");
	CHECK(i >= 0 && seen->v[i].name == NULL && seen->v[i].id == NULL);
	iam_seen_free(seen);

	/* An object with none of the lists is refused. */
	{
		struct ingest_sink sink = { .identity = iam_identity, .ctx = seen };
		cJSON *rec = cJSON_Parse("{\"Users\":[]}");

		memset(seen, 0, sizeof(*seen));
		CHECK_INT(adapter_iam_authz.detect(rec), 0);
		CHECK_INT(adapter_iam_authz.normalize(rec, "", 0, &sink), ERR_FIELD);
		cJSON_Delete(rec);
	}
	free(seen);
}

int
main(void)
{
	test_detection_finding();
	test_security_finding();
	test_vulnerability_finding();
	test_api_activity();
	test_authentication();
	test_network_activity();
	test_dns_activity();
	test_other_class();
	test_odd_events();
	test_hostile_values();
	test_panther_dns();
	test_iam_export();
	test_iam_malformed();
	return tap_done();
}
