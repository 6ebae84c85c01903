/* SPDX-License-Identifier: Apache-2.0 */
/* test_adapters_aws: CloudTrail, GuardDuty and ASFF records, normalized. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/timeutil.h"
#include "tests/unit/tap.h"

/* ---- reading the test data --------------------------------------------- */

/* Events borrow their raw bytes, so the buffers they point into live until
 * the end of the run. */
static char *kept[1024];
static size_t n_kept;

static char *
keep(char *p)
{
	if (p && n_kept < sizeof(kept) / sizeof(kept[0]))
		kept[n_kept++] = p;
	return p;
}

static void
free_kept(void)
{
	while (n_kept)
		free(kept[--n_kept]);
}

static char *
slurp(const char *rel, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	FILE *f;
	char *data = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/%s", top ? top : ".", rel);
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

/* Normalize one record given as JSON text; detail_only passes an
 * EventBridge envelope's detail, as ingest does, keeping the envelope as
 * the raw bytes. Returns the adapter's result. */
static int
norm_text(const struct adapter *a, const char *text, size_t len,
	  bool detail_only, struct ingest_sink *sink)
{
	cJSON *doc = cJSON_ParseWithLength(text, len);
	const cJSON *rec = doc;
	int rc;

	if (!doc)
		return ERR_PARSE;
	if (detail_only)
		rec = cJSON_GetObjectItemCaseSensitive(doc, "detail");
	rc = a->normalize(rec, text, len, sink);
	cJSON_Delete(doc);
	return rc;
}

/* Normalize every record of a data file: a JSON array, a {"Records": [...]}
 * file, or JSON lines. Returns how many records the adapter rejected. */
static int
norm_file(const struct adapter *a, const char *rel, struct ingest_sink *sink)
{
	size_t len = 0;
	char *data = slurp(rel, &len);
	int rejected = 0;
	cJSON *doc;

	if (!data)
		return -1;
	/* A whole-file document, or else JSON lines. (With a NUL required,
	 * cJSON counts it in the length.) */
	doc = cJSON_ParseWithLengthOpts(data, len + 1, NULL, true);
	if (doc) {
		const cJSON *list = doc, *rec;

		if (!cJSON_IsArray(list))
			list = cJSON_GetObjectItemCaseSensitive(doc, "Records");
		if (!cJSON_IsArray(list)) {
			rejected += a->normalize(doc, data, len, sink) < 0;
		} else {
			cJSON_ArrayForEach(rec, list) {
				char *raw = keep(cJSON_PrintUnformatted(rec));

				rejected += a->normalize(rec, raw, strlen(raw),
							 sink) < 0;
			}
		}
		cJSON_Delete(doc);
	} else {
		char *line = data, *end;

		for (; *line; line = end + (*end != '\0')) {
			end = strchr(line, '\n');
			if (!end)
				end = line + strlen(line);
			if (end > line)
				rejected += norm_text(a, line, (size_t)(end - line),
						      false, sink) < 0;
		}
	}
	keep(data);
	return rejected;
}

static const struct event *
find(const struct event_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].str[EF_ID] && strcmp(l->v[i].str[EF_ID], id) == 0)
			return &l->v[i];
	fprintf(stderr, "no event %s\n", id);
	return NULL;
}

/* An attribute as text ("true" for JSON true), or NULL when absent. The
 * result lives until the next few calls. */
static const char *
attr(const struct event *ev, const char *key)
{
	static char ring[8][2048];
	static int next;
	cJSON *a, *it;
	char *out = NULL;

	if (!ev || !ev->attrs)
		return NULL;
	a = cJSON_Parse(ev->attrs);
	it = cJSON_GetObjectItemCaseSensitive(a, key);
	if (it) {
		out = ring[next++ % 8];
		if (cJSON_IsString(it))
			snprintf(out, sizeof(ring[0]), "%s", it->valuestring);
		else if (cJSON_IsBool(it))
			snprintf(out, sizeof(ring[0]), "%s",
				 cJSON_IsTrue(it) ? "true" : "false");
		else
			snprintf(out, sizeof(ring[0]), "%g", it->valuedouble);
	}
	cJSON_Delete(a);
	return out;
}

static const char *
time_of(const struct event *ev)
{
	static char buf[TIMEUTIL_BUFSZ];

	if (!ev || !ev->has_time)
		return NULL;
	return timeutil_format(ev->time_ns, buf);
}

#define F(ev, f) ((ev) ? (ev)->str[f] : NULL)

/* ---- CloudTrail -------------------------------------------------------- */

static void
test_stratus(void)
{
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;

	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_cloudtrail, "stratus-red-team-detonations/"
			    "aws.defense-evasion.cloudtrail-event-selectors.json",
			    &sink), 0);
	CHECK_INT(l.n, 1);
	ev = find(&l, "c2a89408-340a-42f0-8ace-75d9f5769393");
	CHECK_STR(F(ev, EF_SOURCE), "cloudtrail");
	CHECK_STR(F(ev, EF_KIND), "api_call");
	CHECK_STR(F(ev, EF_ACTION), "PutEventSelectors");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:iam::958312252124:user/christophe");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "IAMUser");
	CHECK_STR(F(ev, EF_ACCOUNT), "958312252124");
	CHECK_STR(F(ev, EF_SRC_IP), "221.254.191.250");
	CHECK_STR(F(ev, EF_SRC_DOMAIN), NULL);
	CHECK_STR(F(ev, EF_REGION), "cn-northsouth-2r");
	CHECK_STR(F(ev, EF_RESOURCE), "stratus-red-team-ctes-trail-khlvciwdor");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "trail");
	CHECK_STR(F(ev, EF_OUTCOME), "success");
	CHECK_STR(F(ev, EF_ERROR_CODE), NULL);
	CHECK_STR(F(ev, EF_USER_AGENT),
		  "stratus-red-team_ce507fbd-078a-4e4c-975d-d80cb80df469");
	CHECK_STR(time_of(ev), "2024-07-31T12:50:02Z");
	CHECK_STR(attr(ev, "event_source"), "cloudtrail.amazonaws.com");
	CHECK_STR(attr(ev, "access_key_id"), "AKIA2I0BSXU5LNRWIN0K");
	CHECK_STR(attr(ev, "read_only"), "false");
	CHECK_STR(attr(ev, "recipient_account"), "958312252124");
	CHECK_STR(attr(ev, "session_issuer_arn"), NULL);
	event_list_dispose(&l);

	/* Anonymised zero-padded octets become the canonical address. */
	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_cloudtrail, "stratus-red-team-detonations/"
			    "aws.persistence.iam-create-admin-user.json", &sink), 0);
	CHECK_INT(l.n, 3);
	ev = find(&l, "083dc4ad-e264-46bc-a407-d0dd31b58bdc");
	CHECK_STR(F(ev, EF_ACTION), "AttachUserPolicy");
	CHECK_STR(F(ev, EF_SRC_IP), "75.50.255.67");
	CHECK_STR(F(ev, EF_RESOURCE), "malicious-iam-user");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "iam_user");
	event_list_dispose(&l);

	/* Failed calls with a role session's credentials. */
	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_cloudtrail, "stratus-red-team-detonations/"
			    "aws.credential-access.ec2-get-password-data.json",
			    &sink), 0);
	CHECK_INT(l.n, 34);
	ev = find(&l, "450230d4-b39e-4a18-a6a0-d07a6e2105cb");
	CHECK_STR(F(ev, EF_ACTION), "GetPasswordData");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:sts::457448411975:assumed-role/"
				   "stratus-red-team-ec2-get-password-data-role/"
				   "aws-go-sdk-1722375070115152000");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "AssumedRole");
	CHECK_STR(F(ev, EF_OUTCOME), "failure");
	CHECK_STR(F(ev, EF_ERROR_CODE), "Client.UnauthorizedOperation");
	CHECK_STR(F(ev, EF_RESOURCE), "i-i2jnm5swa59p4fxg");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "ec2_instance");
	CHECK_STR(F(ev, EF_SRC_IP), "200.249.253.51");
	CHECK_STR(attr(ev, "session_issuer_arn"),
		  "arn:aws:iam::457448411975:role/"
		  "stratus-red-team-ec2-get-password-data-role");
	event_list_dispose(&l);

	/* resources[0].ARN names the target when no parameter does. */
	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_cloudtrail, "stratus-red-team-detonations/"
			    "aws.credential-access.ssm-retrieve-securestring-"
			    "parameters.json", &sink), 0);
	CHECK_INT(l.n, 10);
	ev = find(&l, "a4663305-e887-42ac-94e6-d04685e59899");
	CHECK_STR(F(ev, EF_ACTION), "GetParameters");
	CHECK_STR(F(ev, EF_RESOURCE), "/credentials/stratus-red-team/credentials-1");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "ssm_parameter");
	event_list_dispose(&l);
}

static void
test_otrf(void)
{
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;

	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_cloudtrail, "otrf-aws-cloud-bank-breach-s3/"
			    "ec2_proxy_s3_exfiltration_2020-09-14011940.json",
			    &sink), 0);
	CHECK_INT(l.n, 103);
	CHECK_INT(l.warnings, 0);

	/* The attacker's download with the stolen instance-role keys. */
	ev = find(&l, "771299cb-e200-4926-9604-c85358b30499");
	CHECK_STR(F(ev, EF_ACTION), "GetObject");
	CHECK_STR(time_of(ev), "2020-09-14T01:02:34Z");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:sts::123456789123:assumed-role/"
				   "MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/"
				   "i-0317f6c6b66ae9c40");
	CHECK_STR(F(ev, EF_SRC_IP), "1.2.3.4");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "s3_bucket");

	/* EC2 fetching the role's credentials: a service, no ARN or account. */
	ev = find(&l, "0f902c35-794c-4864-b2e0-3c4564b857b0");
	CHECK_STR(F(ev, EF_ACTION), "AssumeRole");
	CHECK_STR(time_of(ev), "2020-09-14T00:50:17Z");
	CHECK_STR(F(ev, EF_ACTOR), "ec2.amazonaws.com");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "AWSService");
	CHECK_STR(F(ev, EF_ACCOUNT), NULL);
	CHECK_STR(F(ev, EF_SRC_IP), NULL);
	CHECK_STR(F(ev, EF_SRC_DOMAIN), "ec2.amazonaws.com");
	CHECK_STR(F(ev, EF_RESOURCE), "arn:aws:iam::123456789123:role/"
				      "MordorLogCollectorStack-LogCollectorRole-"
				      "1JJTG88NNY4KN");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "iam_role");
	CHECK_STR(attr(ev, "recipient_account"), "123456789123");

	/* The admin's console session: MFA, and an empty sessionIssuer. */
	ev = find(&l, "fd4f1042-c7f6-4107-a6ee-d841d92596e7");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:iam::123456789123:user/pedro");
	CHECK_STR(attr(ev, "mfa_authenticated"), "true");
	CHECK_STR(attr(ev, "session_issuer_arn"), NULL);
	CHECK_STR(attr(ev, "user_name"), "pedro");
	event_list_dispose(&l);
}

static void
test_panther_cloudtrail(void)
{
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;

	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_cloudtrail,
			    "panther-analysis-rule-tests/raw/cloudtrail.jsonl",
			    &sink), 0);
	CHECK_INT(l.n, 278);

	/* A failed console sign-in has no errorCode and no ARN. */
	ev = find(&l, "d38ce1b3-4575-4cb8-a632-611b8243bfc3");
	CHECK_STR(F(ev, EF_KIND), "login");
	CHECK_STR(F(ev, EF_ACTION), "ConsoleLogin");
	CHECK_STR(F(ev, EF_ACTOR), "anaya");
	CHECK_STR(F(ev, EF_OUTCOME), "failure");
	CHECK_STR(F(ev, EF_ERROR_CODE), NULL);
	CHECK_STR(F(ev, EF_SRC_IP), "192.0.2.0");
	CHECK_STR(attr(ev, "error_message"), "Failed authentication");
	CHECK_STR(attr(ev, "access_key_id"), NULL); /* "" is absent */

	ev = find(&l, "fed06f42-cb12-4764-8c69-121063dc79b9");
	CHECK_STR(F(ev, EF_KIND), "login");
	CHECK_STR(F(ev, EF_OUTCOME), "success");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:iam::111122223333:user/anaya");
	CHECK_STR(time_of(ev), "2022-11-10T16:24:34Z");
	event_list_dispose(&l);
}

static void
test_case_01_sourceip(void)
{
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;

	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_cloudtrail,
			    "cases/01-ct-sourceip-not-an-ip.json", &sink), 0);
	CHECK_INT(l.n, 4);
	ev = find(&l, "00000000-0000-4000-8000-000000000101");
	CHECK_STR(F(ev, EF_SRC_IP), NULL);
	CHECK_STR(F(ev, EF_SRC_DOMAIN), "support.amazonaws.com");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:iam::111122223333:root");
	CHECK_STR(F(ev, EF_RESOURCE), "example-bucket");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "s3_bucket");
	CHECK_STR(attr(ev, "source_label"), NULL);
	ev = find(&l, "00000000-0000-4000-8000-000000000102");
	CHECK_STR(F(ev, EF_SRC_IP), NULL);
	CHECK_STR(F(ev, EF_SRC_DOMAIN), NULL);
	CHECK_STR(attr(ev, "source_label"), "AWS Internal");
	CHECK(ev && ev->raw && strstr(ev->raw, "\"sourceIPAddress\":\"AWS Internal\""));
	ev = find(&l, "00000000-0000-4000-8000-000000000103");
	CHECK_STR(F(ev, EF_SRC_IP), "2001:db8:1234::abcd");
	CHECK_STR(F(ev, EF_SRC_DOMAIN), NULL);
	ev = find(&l, "00000000-0000-4000-8000-000000000104");
	CHECK_STR(F(ev, EF_SRC_IP), "203.0.113.10");
	event_list_dispose(&l);
}

static void
test_case_02_identity(void)
{
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;

	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_cloudtrail,
			    "cases/02-ct-identity-without-arn.jsonl", &sink), 0);
	CHECK_INT(l.n, 3);
	ev = find(&l, "00000000-0000-4000-8000-000000000201");
	CHECK_STR(F(ev, EF_ACTOR), "ec2.amazonaws.com");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "AWSService");
	CHECK_STR(F(ev, EF_ACCOUNT), NULL);
	CHECK_STR(attr(ev, "recipient_account"), "111122223333");
	ev = find(&l, "00000000-0000-4000-8000-000000000202");
	CHECK_STR(F(ev, EF_ACTOR), "AIDAEXAMPLEPRINCIPAL01");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "AWSAccount");
	CHECK_STR(F(ev, EF_ACCOUNT), "444455556666");
	CHECK_STR(attr(ev, "principal_id"), "AIDAEXAMPLEPRINCIPAL01");
	CHECK_STR(F(ev, EF_RESOURCE), "example-shared-bucket");
	ev = find(&l, "00000000-0000-4000-8000-000000000203");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:iam::111122223333:user/example-admin");
	CHECK_STR(F(ev, EF_ACCOUNT), "111122223333");
	CHECK_STR(attr(ev, "session_issuer_arn"), NULL);
	CHECK_STR(attr(ev, "mfa_authenticated"), "true");
	CHECK_STR(F(ev, EF_RESOURCE), "i-0abc1234def567890");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "ec2_instance");
	event_list_dispose(&l);
}

static void
test_case_04_digest(void)
{
	struct ingest_sink sink;
	struct event_list l;
	size_t len = 0;
	char *data = slurp("cases/04-ct-digest-file-in-bucket.json", &len);
	cJSON *doc = data ? cJSON_Parse(data) : NULL;

	CHECK(doc != NULL);
	CHECK_INT(adapter_cloudtrail.detect(doc), 90);
	CHECK_INT(adapter_guardduty.detect(doc), 0);
	CHECK_INT(adapter_asff.detect(doc), 0);
	sink_collect_init(&sink, &l);
	CHECK_INT(adapter_cloudtrail.normalize(doc, data, len, &sink), 0);
	CHECK_INT(l.n, 0);
	CHECK_INT(l.skips, 1);
	CHECK_STR(l.last_skip, "CloudTrail digest file");
	event_list_dispose(&l);
	cJSON_Delete(doc);
	free(data);
}

static void
test_case_05_absent(void)
{
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;

	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_cloudtrail,
			    "cases/05-ct-no-sourceip-no-useragent.json", &sink), 0);
	CHECK_INT(l.n, 1);
	ev = find(&l, "00000000-0000-4000-8000-000000000501");
	CHECK_STR(F(ev, EF_SRC_IP), NULL);
	CHECK_STR(F(ev, EF_SRC_DOMAIN), NULL);
	CHECK_STR(F(ev, EF_USER_AGENT), NULL);
	CHECK_STR(attr(ev, "source_label"), NULL);
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:iam::111122223333:user/example-analyst");
	CHECK_STR(F(ev, EF_ACTION), "QueryDatabase");
	event_list_dispose(&l);
}

static void
test_case_06_type_drift(void)
{
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;
	/* The same record with requestParameters of every JSON type. */
	static const char *const shapes[] = {
		"{\"a\":1}", "\"text\"", "[1,{\"bucketName\":7}]", "null", "42",
		"true", "{\"bucketName\":{\"x\":[]}}", "{\"bucketName\":[]}",
	};
	char rec[512];

	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_cloudtrail,
			    "cases/06-ct-requestparameters-type-drift.jsonl",
			    &sink), 0);
	CHECK_INT(l.n, 3);
	ev = find(&l, "00000000-0000-4000-8000-000000000602");
	CHECK_STR(F(ev, EF_SRC_DOMAIN), "states.amazonaws.com");
	CHECK(ev && ev->raw && strstr(ev->raw, "{\"name\":\"EMPTY\",\"value\":\"\"}"));
	ev = find(&l, "00000000-0000-4000-8000-000000000603");
	CHECK_STR(F(ev, EF_ACTOR), "arn:aws:iam::111122223333:user/example-dba");
	CHECK_STR(attr(ev, "read_only"), "true");
	event_list_dispose(&l);

	sink_collect_init(&sink, &l);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		int n = snprintf(rec, sizeof(rec),
				 "{\"eventVersion\":\"1.08\",\"eventSource\":"
				 "\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
				 "\"userIdentity\":\"odd\",\"resources\":{},"
				 "\"requestParameters\":%s}", shapes[i]);

		CHECK_INT(norm_text(&adapter_cloudtrail, rec, (size_t)n, false,
				    &sink), 0);
	}
	CHECK_INT(l.n, sizeof(shapes) / sizeof(shapes[0]));
	for (size_t i = 0; i < l.n; i++) {
		CHECK_STR(l.v[i].str[EF_RESOURCE], NULL);
		CHECK_STR(l.v[i].str[EF_ACTOR], NULL);
		CHECK(l.v[i].str[EF_ID] != NULL); /* hashed: no eventID */
	}
	event_list_dispose(&l);
}

/* ---- GuardDuty --------------------------------------------------------- */

static void
test_case_11_severity(void)
{
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;
	size_t len = 0;
	char *data = slurp("cases/11-gd-critical-severity-eventbridge.jsonl", &len);
	char *nl = data ? strchr(data, '\n') : NULL;

	CHECK(nl != NULL);
	if (!nl)
		return;
	sink_collect_init(&sink, &l);
	CHECK_INT(norm_text(&adapter_guardduty, data, (size_t)(nl - data), true,
			    &sink), 0);
	CHECK_INT(norm_text(&adapter_guardduty, nl + 1, strlen(nl + 1), false,
			    &sink), 0);
	CHECK_INT(l.n, 2);
	ev = find(&l, "0000000000000000000000000000aa01");
	CHECK_STR(F(ev, EF_SEVERITY), "critical");
	CHECK(ev && ev->has_severity_score && ev->severity_score == 9.0);
	CHECK_STR(F(ev, EF_KIND), "finding");
	CHECK_STR(F(ev, EF_ACTION), "AttackSequence:IAM/CompromisedCredentials");
	CHECK_STR(F(ev, EF_ACTOR), "ExampleRole");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "AssumedRole");
	CHECK_STR(F(ev, EF_RESOURCE), "ASIAEXAMPLEEXAMPLE11");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "access_key");
	CHECK_STR(F(ev, EF_ACCOUNT), "111122223333");
	CHECK_STR(time_of(ev), "2026-12-01T00:30:00Z");
	CHECK_INT(ev ? ev->rank : -1, 1);
	CHECK_STR(attr(ev, "principal_id"), "AROAEXAMPLEROLEID0011:example-session");
	/* The raw record is the whole envelope, as ingest passes it. */
	CHECK(ev && ev->raw == data);
	ev = find(&l, "0000000000000000000000000000aa02");
	CHECK_STR(F(ev, EF_SEVERITY), "high");
	CHECK(ev && ev->severity_score == 8.9);
	event_list_dispose(&l);
	free(data);

	CHECK_STR(event_severity_band(1), "low");
	CHECK_STR(event_severity_band(4), "medium");
	CHECK_STR(event_severity_band(7), "high");
	CHECK_STR(event_severity_band(10), "critical");
	CHECK_STR(event_severity_band(0), "unknown");
	CHECK_STR(event_severity_band(11), "unknown");
}

static void
test_guardduty_samples(void)
{
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;
	size_t len = 0;
	char *data;

	/* Panther's tests: lines 2, 4 and 6 are GuardDuty sample findings. */
	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_guardduty,
			    "panther-analysis-rule-tests/raw/guardduty.jsonl",
			    &sink), 0);
	CHECK_INT(l.n, 6);
	if (l.n == 6) {
		ev = &l.v[1];
		CHECK_STR(F(ev, EF_ID), "b174b38d16e34da0a4c66012083bd8f7");
		CHECK_STR(attr(ev, "sample"), "true");
		CHECK_STR(F(ev, EF_SEVERITY), "critical");
		CHECK_STR(F(ev, EF_RESOURCE_TYPE), "attack_sequence");
		CHECK_STR(F(ev, EF_RESOURCE), NULL);
		CHECK_STR(time_of(ev), "2025-02-25T20:40:06Z");
		CHECK_STR(attr(&l.v[0], "sample"), NULL);

		ev = &l.v[2];
		CHECK_STR(F(ev, EF_ACTION),
			  "PrivilegeEscalation:IAMUser/AdministrativePermissions");
		CHECK_STR(F(ev, EF_SEVERITY), "low");
		CHECK_STR(F(ev, EF_SRC_IP), NULL);
		CHECK_STR(F(ev, EF_SRC_DOMAIN), "cloudformation.amazonaws.com");
		CHECK_STR(attr(ev, "api"), "PutRolePolicy");
		CHECK_STR(attr(ev, "service_name"), "iam.amazonaws.com");
		CHECK_STR(attr(ev, "sample"), NULL);
		CHECK_STR(attr(&l.v[3], "sample"), "true");
		CHECK_STR(F(&l.v[4], EF_SEVERITY), "medium");
	}
	event_list_dispose(&l);

	/* Cloud Custodian's EventBridge fixture of a generated finding. */
	data = slurp("cloud-custodian-event-fixtures/cwe/iam-duty-event.json", &len);
	sink_collect_init(&sink, &l);
	CHECK_INT(data ? norm_text(&adapter_guardduty, data, len, true, &sink) : -1,
		  0);
	CHECK_INT(l.n, 1);
	ev = find(&l, "36b01b60fc22bb4edb19d62d9899e953");
	CHECK_STR(F(ev, EF_ACTION), "UnauthorizedAccess:IAMUser/TorIPCaller");
	CHECK_STR(attr(ev, "sample"), "true");
	CHECK_STR(F(ev, EF_SRC_IP), "198.51.100.0");
	CHECK_STR(F(ev, EF_ACTOR), "GeneratedFindingUserName");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "IAMUser");
	CHECK_STR(F(ev, EF_RESOURCE), "GeneratedFindingAccessKeyId");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "access_key");
	CHECK_STR(F(ev, EF_ACCOUNT), "883606788610");
	CHECK_STR(F(ev, EF_REGION), "us-east-1");
	CHECK_STR(F(ev, EF_SEVERITY), "medium");
	CHECK_STR(time_of(ev), "2017-12-08T15:32:49Z");
	CHECK_STR(attr(ev, "api"), "GeneratedFindingAPIName");
	CHECK_STR(attr(ev, "archived"), "false");
	CHECK_STR(attr(ev, "count"), "1");
	CHECK_STR(attr(ev, "title"),
		  "API GeneratedFindingAPIName was invoked from a Tor exit node.");
	event_list_dispose(&l);
	free(data);
}

/* `aws guardduty get-findings` writes PascalCase keys. */
static void
test_guardduty_pascal(void)
{
	static const char rec[] =
		"{\"SchemaVersion\":\"2.0\",\"AccountId\":\"111122223333\","
		"\"Region\":\"us-east-1\",\"Id\":\"0000000000000000000000000000aa03\","
		"\"Type\":\"Recon:EC2/PortProbeUnprotectedPort\","
		"\"Resource\":{\"ResourceType\":\"Instance\",\"InstanceDetails\":"
		"{\"InstanceId\":\"i-0abc1234def567890\"}},"
		"\"Service\":{\"Action\":{\"ActionType\":\"PORT_PROBE\","
		"\"PortProbeAction\":{\"PortProbeDetails\":[{\"LocalPortDetails\":"
		"{\"Port\":22,\"PortName\":\"SSH\"},\"RemoteIpDetails\":"
		"{\"IpAddressV4\":\"198.51.100.7\"}}]}},\"Count\":4,"
		"\"AdditionalInfo\":{\"Sample\":\"true\"},"
		"\"EventLastSeen\":\"2026-12-01T00:10:00Z\"},\"Severity\":2,"
		"\"Description\":\"" "x" "\"}";
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;
	cJSON *doc = cJSON_Parse(rec);

	CHECK_INT(adapter_guardduty.detect(doc), 90);
	CHECK_INT(adapter_cloudtrail.detect(doc), 0);
	CHECK_INT(adapter_asff.detect(doc), 0);
	cJSON_Delete(doc);
	sink_collect_init(&sink, &l);
	CHECK_INT(norm_text(&adapter_guardduty, rec, sizeof(rec) - 1, false,
			    &sink), 0);
	CHECK_INT(l.n, 1);
	ev = find(&l, "0000000000000000000000000000aa03");
	CHECK_STR(F(ev, EF_RESOURCE), "i-0abc1234def567890");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "ec2_instance");
	CHECK_STR(F(ev, EF_HOST), "i-0abc1234def567890");
	CHECK_STR(F(ev, EF_SRC_IP), "198.51.100.7");
	CHECK_INT(ev ? ev->dst_port : 0, 22);
	CHECK_INT(ev ? ev->rank : 0, 4);
	CHECK_STR(F(ev, EF_SEVERITY), "low");
	CHECK_STR(attr(ev, "sample"), "true");
	CHECK_STR(time_of(ev), "2026-12-01T00:10:00Z");
	event_list_dispose(&l);
}

static void
test_guardduty_long_description(void)
{
	struct ingest_sink sink;
	struct event_list l;
	size_t n = 0;
	char *rec = malloc(8192);
	const char *d;

	/* 1999 ASCII bytes then a 3-byte euro sign across the 2000 cut. */
	n += (size_t)sprintf(rec, "{\"schemaVersion\":\"2.0\",\"type\":\"T\","
				  "\"service\":{},\"description\":\"");
	memset(rec + n, 'a', 1999);
	n += 1999;
	n += (size_t)sprintf(rec + n, "\xE2\x82\xAC tail\"}");
	sink_collect_init(&sink, &l);
	CHECK_INT(norm_text(&adapter_guardduty, rec, n, false, &sink), 0);
	d = l.n ? attr(&l.v[0], "description") : NULL;
	CHECK(d && strlen(d) == 1999);
	CHECK(l.n && l.v[0].str[EF_ID] && strncmp(l.v[0].str[EF_ID], "gd-", 3) == 0);
	event_list_dispose(&l);
	free(rec);
}

/* ---- ASFF -------------------------------------------------------------- */

static void
test_asff_panther(void)
{
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;

	sink_collect_init(&sink, &l);
	CHECK_INT(norm_file(&adapter_asff, "panther-analysis-rule-tests/raw/asff.jsonl",
			    &sink), 0);
	CHECK_INT(l.n, 8);
	if (l.n != 8)
		goto out;
	ev = &l.v[0];
	CHECK_STR(F(ev, EF_ID), "1abc2de3-69ea-4e15-91c6-27eb4a07bd21");
	CHECK_STR(F(ev, EF_SOURCE), "asff");
	CHECK_STR(F(ev, EF_KIND), "finding");
	CHECK_STR(F(ev, EF_ACTION), "Unusual Behaviors");
	CHECK_STR(F(ev, EF_SEVERITY), "high");
	CHECK(ev->has_severity_score && ev->severity_score == 70);
	CHECK_STR(time_of(ev), "2024-05-24T13:17:15Z");
	CHECK_STR(F(ev, EF_ACCOUNT), "123456789012");
	CHECK_STR(F(ev, EF_REGION), "us-east-1");
	CHECK_STR(F(ev, EF_RESOURCE),
		  "arn:aws:iam::123456789012:role/Dummy-Test-InfoRole-ab21cde50f");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "AwsIamRole");
	CHECK_STR(F(ev, EF_SRC_IP), "11.1.111.11");
	CHECK_STR(F(ev, EF_ACTOR), "ABCDEFGH0TOGJSGNQKI0:john.doe");
	CHECK_STR(F(ev, EF_ACTOR_TYPE), "AssumedRole");
	CHECK_STR(attr(ev, "access_key_id"), "ABC9ONWNS3155VIEJC8U");
	CHECK_STR(attr(ev, "product_name"), "DecoyDetector");
	CHECK_STR(attr(ev, "generator_id"), "sts.amazonaws.com");
	CHECK_STR(attr(ev, "workflow_status"), "NEW");
	CHECK_STR(attr(ev, "record_state"), "ACTIVE");
	CHECK_STR(attr(ev, "api"), "AssumeRole");
	CHECK_STR(attr(ev, "product_arn"),
		  "arn:aws:securityhub:us-east-1:123456789012:product/"
		  "123456789012/default");

	/* No remote address at all: source fields stay absent. */
	ev = &l.v[4];
	CHECK_STR(F(ev, EF_SRC_IP), NULL);
	CHECK_STR(F(ev, EF_SRC_DOMAIN), NULL);
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "AwsSecretsManagerSecret");
out:
	event_list_dispose(&l);
}

static void
test_asff_custodian(void)
{
	struct ingest_sink sink;
	struct event_list l;
	const struct event *ev;
	size_t len = 0;
	char *data = slurp("cloud-custodian-event-fixtures/cwe/"
			   "event-securityhub-cloudtrail-finding-action.json", &len);
	cJSON *doc = data ? cJSON_Parse(data) : NULL;
	const cJSON *finding = cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(doc, "detail"), "findings"),
		0);

	CHECK(finding != NULL);
	CHECK_INT(adapter_asff.detect(finding), 90);
	sink_collect_init(&sink, &l);
	CHECK_INT(adapter_asff.normalize(finding, data, len, &sink), 0);
	CHECK_INT(l.n, 1);
	ev = l.n ? &l.v[0] : NULL;
	CHECK_STR(F(ev, EF_ID), "arn:aws:securityhub:us-east-1:644160558196:"
				"subscription/cis-aws-foundations-benchmark/v/1.2.0/"
				"2.2/finding/c82767be-e5e9-4c4e-a38c-477154ae38a2");
	/* No Severity.Label: Security Hub's own ProductFields label. */
	CHECK_STR(F(ev, EF_SEVERITY), "info");
	CHECK(ev && ev->has_severity_score && ev->severity_score == 0);
	CHECK_STR(F(ev, EF_ACTION), "Software and Configuration Checks/Industry "
				    "and Regulatory Standards/CIS AWS "
				    "Foundations Benchmark");
	CHECK_STR(F(ev, EF_RESOURCE),
		  "arn:aws:cloudtrail:us-east-1:644160558196:trail/skunk-trails");
	CHECK_STR(F(ev, EF_RESOURCE_TYPE), "AwsCloudTrailTrail");
	CHECK_STR(F(ev, EF_REGION), "us-east-1");
	CHECK_STR(F(ev, EF_ACTOR), NULL);
	CHECK_STR(F(ev, EF_SRC_IP), NULL);
	CHECK_STR(time_of(ev), "2019-07-11T16:13:05.556Z");
	CHECK_STR(attr(ev, "compliance_status"), "PASSED");
	CHECK_STR(attr(ev, "workflow_status"), "NEW");
	CHECK_STR(attr(ev, "product_name"), "Security Hub");
	CHECK_STR(attr(ev, "title"),
		  "2.2 Ensure CloudTrail log file validation is enabled (Scored)");
	event_list_dispose(&l);
	cJSON_Delete(doc);
	free(data);
}

/* ---- detection --------------------------------------------------------- */

/* Each adapter claims its own records and scores 0 on the others'. */
static void
test_detect(void)
{
	static const struct {
		const char *file;
		const char *detail; /* an envelope member holding the record */
		const struct adapter *owner;
	} samples[] = {
		{ "stratus-red-team-detonations/"
		  "aws.defense-evasion.cloudtrail-event-selectors.json", NULL,
		  &adapter_cloudtrail },
		{ "cases/05-ct-no-sourceip-no-useragent.json", NULL,
		  &adapter_cloudtrail },
		{ "cloud-custodian-event-fixtures/cwe/iam-duty-event.json",
		  "detail", &adapter_guardduty },
		{ "panther-analysis-rule-tests/raw/guardduty.jsonl", NULL,
		  &adapter_guardduty },
		{ "panther-analysis-rule-tests/raw/asff.jsonl", NULL,
		  &adapter_asff },
	};
	static const struct adapter *const mine[] = {
		&adapter_cloudtrail, &adapter_guardduty, &adapter_asff,
	};

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		size_t len = 0;
		char *data = slurp(samples[i].file, &len);
		char *nl = data ? strchr(data, '\n') : NULL;
		cJSON *doc;
		const cJSON *rec;

		/* JSON lines: the first line is enough. */
		if (nl && strstr(samples[i].file, ".jsonl"))
			*nl = '\0';
		doc = data ? cJSON_Parse(data) : NULL;
		rec = doc;
		if (cJSON_IsArray(rec))
			rec = rec->child;
		if (cJSON_GetObjectItemCaseSensitive(rec, "Records"))
			rec = cJSON_GetObjectItemCaseSensitive(rec, "Records")->child;
		if (samples[i].detail)
			rec = cJSON_GetObjectItemCaseSensitive(rec, samples[i].detail);
		CHECK(rec != NULL);
		for (size_t j = 0; j < sizeof(mine) / sizeof(mine[0]); j++) {
			int score = mine[j]->detect(rec);

			if (mine[j] == samples[i].owner)
				CHECK_INT(score, 90);
			else
				CHECK_INT(score, 0);
		}
		cJSON_Delete(doc);
		free(data);
	}
}

int
main(void)
{
	test_stratus();
	test_otrf();
	test_panther_cloudtrail();
	test_case_01_sourceip();
	test_case_02_identity();
	test_case_04_digest();
	test_case_05_absent();
	test_case_06_type_drift();
	test_case_11_severity();
	test_guardduty_samples();
	test_guardduty_pascal();
	test_guardduty_long_description();
	test_asff_panther();
	test_asff_custodian();
	test_detect();
	free_kept();
	return tap_done();
}
