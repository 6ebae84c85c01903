/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for jsonscan: splitting streams at any chunk boundary, element
 * spans of real CloudTrail arrays, and preparing hostile text for cJSON. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/jsonscan.h"
#include "core/utf8.h"
#include "tests/unit/tap.h"

#define FFFD "\xEF\xBF\xBD"

/* The four records of cases/18-invalid-utf8-bytes.jsonl, byte for byte. */
static const char *const case18[] = {
	"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\""
	",\"principalId\":\"AIDAEXAMPLEUSERID0008\",\"arn\":\"arn:aws:iam"
	"::111122223333:user/example-user\",\"accountId\":\"111122223333\""
	",\"userName\":\"example-user\"},\"eventTime\":\"2026-12-01T00:00"
	":05Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetO"
	"bject\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0."
	"113.92\",\"userAgent\":\"before-\xff\xfe-after\",\"requestParame"
	"ters\":{\"bucketName\":\"example-bucket\",\"key\":\"caf\xc3\xa9."
	"txt\"},\"responseElements\":null,\"eventID\":\"00000000-0000-400"
	"0-8000-000000001801\",\"eventType\":\"AwsApiCall\",\"recipientAc"
	"countId\":\"111122223333\"}",
	"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\""
	",\"principalId\":\"AIDAEXAMPLEUSERID0008\",\"arn\":\"arn:aws:iam"
	"::111122223333:user/example-user\",\"accountId\":\"111122223333\""
	",\"userName\":\"example-user\"},\"eventTime\":\"2026-12-01T00:00"
	":05Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetO"
	"bject\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0."
	"113.92\",\"userAgent\":\"trunc-\xe2\x82\",\"requestParameters\":"
	"{\"bucketName\":\"example-bucket\",\"key\":\"caf\xc3\xa9.txt\"},"
	"\"responseElements\":null,\"eventID\":\"00000000-0000-4000-8000-"
	"000000001802\",\"eventType\":\"AwsApiCall\",\"recipientAccountId"
	"\":\"111122223333\"}",
	"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\""
	",\"principalId\":\"AIDAEXAMPLEUSERID0008\",\"arn\":\"arn:aws:iam"
	"::111122223333:user/example-user\",\"accountId\":\"111122223333\""
	",\"userName\":\"example-user\"},\"eventTime\":\"2026-12-01T00:00"
	":05Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetO"
	"bject\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0."
	"113.92\",\"userAgent\":\"overlong-\xc0\xaf-x\",\"requestParamete"
	"rs\":{\"bucketName\":\"example-bucket\",\"key\":\"caf\xc3\xa9.tx"
	"t\"},\"responseElements\":null,\"eventID\":\"00000000-0000-4000-"
	"8000-000000001803\",\"eventType\":\"AwsApiCall\",\"recipientAcco"
	"untId\":\"111122223333\"}",
	"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\""
	",\"principalId\":\"AIDAEXAMPLEUSERID0008\",\"arn\":\"arn:aws:iam"
	"::111122223333:user/example-user\",\"accountId\":\"111122223333\""
	",\"userName\":\"example-user\"},\"eventTime\":\"2026-12-01T00:00"
	":05Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetO"
	"bject\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0."
	"113.92\",\"userAgent\":\"ok-\xe2\x82\xac-euro\",\"requestParamet"
	"ers\":{\"bucketName\":\"example-bucket\",\"key\":\"caf\xc3\xa9.t"
	"xt\"},\"responseElements\":null,\"eventID\":\"00000000-0000-4000"
	"-8000-000000001804\",\"eventType\":\"AwsApiCall\",\"recipientAcc"
	"ountId\":\"111122223333\"}",
};

static char *
slurp(const char *rel, size_t *n)
{
	char path[4096];
	const char *top = getenv("top_srcdir");
	struct buf b;
	char chunk[4096];
	size_t got;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/%s", top ? top : ".", rel);
	if (!(f = fopen(path, "rb"))) {
		fprintf(stderr, "cannot open %s\n", path);
		return NULL;
	}
	buf_init(&b);
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, got);
	fclose(f);
	*n = b.len;
	return buf_detach(&b);
}

/* A small deterministic generator, so failures repeat. */
static unsigned
next_rand(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) & 0x7fff;
}

/* Offsets in p[0..n) where top-level values end, feeding chunks of random
 * size in [1, maxchunk] (maxchunk 0: all at once). Returns the count. */
static size_t
value_ends(const char *p, size_t n, size_t maxchunk, unsigned seed,
	   size_t *ends, size_t max_ends, bool *open_at_end)
{
	struct jsonscan js;
	size_t pos = 0, count = 0, len, k;
	bool complete;

	jsonscan_init(&js);
	while (pos < n) {
		len = maxchunk ? 1 + next_rand(&seed) % maxchunk : n - pos;
		if (len > n - pos)
			len = n - pos;
		/* Within one chunk, feed again after each value. */
		while (len > 0) {
			k = jsonscan_feed(&js, p + pos, len, &complete);
			pos += k;
			len -= k;
			if (complete && count < max_ends)
				ends[count++] = pos;
		}
	}
	*open_at_end = js.started;
	return count;
}

static void
check_chunkings(const char *p, size_t n, const size_t *want, size_t nwant,
		bool want_open)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 7, 64, 4096 };
	size_t ends[64], count, i, s;
	unsigned seed;
	bool open;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (seed = 1; seed <= (sizes[s] > 1 ? 5u : 1u); seed++) {
			count = value_ends(p, n, sizes[s], seed, ends, 64,
					   &open);
			CHECK_INT(count, nwant);
			CHECK_INT(open, want_open);
			for (i = 0; i < count && i < nwant; i++)
				if (ends[i] != want[i]) {
					fprintf(stderr, "chunk %zu seed %u: "
						"value %zu ends at %zu, not "
						"%zu\n", sizes[s], seed, i,
						ends[i], want[i]);
					CHECK(0);
				}
		}
	}
}

static void
test_feed_shapes(void)
{
	/* JSON lines, a pretty-printed document, concatenated documents,
	 * strings with brackets, escaped quotes and backslashes, scalars. */
	static const char in[] =
		"{\"a\":1}\n"
		"{\"b\":\"}]\\\"{\"}\r\n"
		"[\n  {\"c\": [1, {\"d\": \"\\\\\"}]},\n  2\n]\n"
		"{\"e\":{}}{\"f\":[]}"
		"  42 \"str ing}\" true\tnull\n"
		"[\"\\\\\\\"]\"]"
		"{\"open\":";
	/* Checked against Python's json.JSONDecoder.raw_decode. */
	static const size_t want[] = { 7, 21, 57, 66, 74, 78, 89, 94, 99,
				       109 };

	check_chunkings(in, sizeof(in) - 1, want, 10, true);
}

/* 10,000 levels of nesting must not recurse, neither splitting nor in
 * spans. */
static void
test_deep(void)
{
	size_t depth = 10000, n = 2 * depth + 16, i, want;
	char *p = malloc(n);
	struct span *spans = NULL;
	size_t count = 0;

	if (!p)
		return;
	memcpy(p, "{\"Records\":[", 12);
	for (i = 0; i < depth; i++) {
		p[12 + i] = '[';
		p[12 + depth + i] = ']';
	}
	memcpy(p + 12 + 2 * depth, "]}", 2);
	n = 14 + 2 * depth;
	want = n;
	check_chunkings(p, n, &want, 1, false);
	CHECK_INT(jsonscan_array_spans(p, n, "Records", &spans, &count), 0);
	CHECK_INT(count, 1);
	if (count == 1) {
		CHECK_INT(spans[0].off, 12);
		CHECK_INT(spans[0].len, 2 * depth);
	}
	free(spans);
	/* Unbalanced: opens only, never complete, never a crash. */
	memset(p, '[', n);
	want = 0;
	check_chunkings(p, n, &want, 0, true);
	spans = NULL;
	count = 0;
	CHECK_INT(jsonscan_array_spans(p, n, NULL, &spans, &count), ERR_PARSE);
	CHECK_INT(count, 0);
	free(p);
}

/* Parse one span with cJSON and return a string member (copied). */
static char *
span_member(const char *p, struct span s, const char *key)
{
	cJSON *o = cJSON_ParseWithLength(p + s.off, s.len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char *out = NULL;

	if (cJSON_IsString(v))
		out = strdup(v->valuestring);
	cJSON_Delete(o);
	return out;
}

#define CHECK_MEMBER(p, span, key, want) do { \
	char *got_ = span_member(p, span, key); \
	CHECK_STR(got_, want); \
	free(got_); \
} while (0)

/* Stratus Red Team's BatchGetSecretValue detonation: a pretty-printed
 * array of 5 CloudTrail records, bare and inside {"Records": ...}. */
static void
test_stratus_spans(void)
{
	size_t n, count = 0, count2 = 0, end, i;
	char *p = slurp("stratus-red-team-detonations/"
			"aws.credential-access.secretsmanager-batch-retrieve-"
			"secrets.json", &n);
	struct span *spans = NULL, *spans2 = NULL;
	struct buf wrapped;

	CHECK(p != NULL);
	if (!p)
		return;
	/* The whole file is one value ending at the final ']'. */
	end = n;
	while (end > 0 && (p[end - 1] == '\n' || p[end - 1] == ' '))
		end--;
	check_chunkings(p, n, &end, 1, false);

	CHECK_INT(jsonscan_array_spans(p, n, NULL, &spans, &count), 0);
	CHECK_INT(count, 5);
	for (i = 0; i < count; i++) {
		CHECK(p[spans[i].off] == '{');
		CHECK(p[spans[i].off + spans[i].len - 1] == '}');
	}
	if (count == 5) {
		CHECK_MEMBER(p, spans[0], "eventID",
			     "61619dbf-c10b-471e-9d78-8199a2f8233a");
		CHECK_MEMBER(p, spans[0], "eventName", "BatchGetSecretValue");
		CHECK_MEMBER(p, spans[0], "sourceIPAddress", "88.223.251.255");
		CHECK_MEMBER(p, spans[3], "eventID",
			     "bddee0fb-2541-430d-aad5-b1fdd5d419f1");
		CHECK_MEMBER(p, spans[3], "eventTime", "2024-07-31T12:29:16Z");
		CHECK_MEMBER(p, spans[4], "eventID",
			     "cdc49957-9518-4ab3-a49e-b5a7c17903e6");
	}

	buf_init(&wrapped);
	buf_adds(&wrapped, "{\"eventVersion\":\"[\", \"Records\" :\n");
	buf_add(&wrapped, p, n);
	buf_adds(&wrapped, "}");
	CHECK_INT(jsonscan_array_spans(wrapped.data, wrapped.len, "Records",
				       &spans2, &count2), 0);
	CHECK_INT(count2, count);
	for (i = 0; i < count2 && i < count; i++) {
		CHECK_INT(spans2[i].off, spans[i].off + 33);
		CHECK_INT(spans2[i].len, spans[i].len);
	}
	/* Appending keeps what was there. */
	CHECK_INT(jsonscan_array_spans(p, n, NULL, &spans2, &count2), 0);
	CHECK_INT(count2, 2 * count);
	if (count2 == 10)
		CHECK_INT(spans2[9].off, spans[4].off);
	buf_dispose(&wrapped);
	free(spans);
	free(spans2);
	free(p);
}

static void
check_spans(const char *p, const char *key, int want_rc,
	    const char *const *want, size_t nwant)
{
	struct span *spans = NULL;
	size_t count = 0, i, n = strlen(p);
	char *got;

	CHECK_INT(jsonscan_array_spans(p, n, key, &spans, &count), want_rc);
	CHECK_INT(count, nwant);
	for (i = 0; i < count && i < nwant; i++) {
		CHECK(spans[i].off + spans[i].len <= n);
		got = strndup(p + spans[i].off, spans[i].len);
		CHECK_STR(got, want[i]);
		free(got);
	}
	free(spans);
}

static void
test_span_shapes(void)
{
	static const char *const mixed[] = {
		"1", "\"x]\\\"y,\"", "[2, [3]]", "{\"k\": \"]\"}", "null",
		"-1.5e3", "true"
	};
	static const char *const nested[] = { "[\"Records\"]", "{}" };

	check_spans("[]", NULL, 0, NULL, 0);
	check_spans(" [ \n ] ", NULL, 0, NULL, 0);
	/* cases/04: an empty log file is 0 events and no error. */
	check_spans("{\"Records\":[]}", "Records", 0, NULL, 0);
	check_spans("{\"a\":\"Records\", \"Records\" : [ 1 , \"x]\\\"y,\","
		    "[2, [3]],\n\t{\"k\": \"]\"},null,-1.5e3,true ] }",
		    "Records", 0, mixed, 7);
	check_spans("{\"a\":{\"Records\":[1]},\"Records\":[[\"Records\"],{}]}",
		    "Records", 0, nested, 2);
	/* cases/04: a CloudTrail digest file has no Records. */
	check_spans("{\"awsAccountId\":\"111122223333\",\"digestStartTime\":"
		    "\"2026-12-01T00:00:00Z\",\"digestEndTime\":"
		    "\"2026-12-01T01:00:00Z\",\"digestS3Bucket\":"
		    "\"example-trail-bucket\",\"logFiles\":[]}",
		    "Records", ERR_PARSE, NULL, 0);
	check_spans("{\"x\":{\"Records\":[1]}}", "Records", ERR_PARSE, NULL, 0);
	check_spans("{\"Records\":{}}", "Records", ERR_PARSE, NULL, 0);
	check_spans("{\"Records\":\"[1]\"}", "Records", ERR_PARSE, NULL, 0);
	check_spans("{\"Records\":null}", "Records", ERR_PARSE, NULL, 0);
	check_spans("[{\"a\":1}]", "Records", ERR_PARSE, NULL, 0);
	check_spans("{\"a\":1}", NULL, ERR_PARSE, NULL, 0);
	check_spans("", NULL, ERR_PARSE, NULL, 0);
	check_spans("[1, 2", NULL, ERR_PARSE, NULL, 0);
	check_spans("[1,,2]", NULL, ERR_PARSE, NULL, 0);
	check_spans("[1 2]", NULL, ERR_PARSE, NULL, 0);
	check_spans("[{\"a\":\"]}", NULL, ERR_PARSE, NULL, 0);
	check_spans("{\"Records\":[1,2", "Records", ERR_PARSE, NULL, 0);
	check_spans("{\"Records", "Records", ERR_PARSE, NULL, 0);
}

static char *
prepared(const char *p, size_t n)
{
	struct buf b;

	buf_init(&b);
	if (jsonscan_prepare(p, n, &b) < 0) {
		buf_dispose(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static void
check_prepare(const char *in, const char *want)
{
	char *got = prepared(in, strlen(in));

	CHECK_STR(got, want);
	free(got);
}

static void
test_prepare_numbers(void)
{
	check_prepare("{\"t\":1796134434123456789,\"u\":4294967295,"
		      "\"s\":\"1796134434123456789x\"}",
		      "{\"t\":\"1796134434123456789\",\"u\":4294967295,"
		      "\"s\":\"1796134434123456789x\"}");
	/* 15 digits stay numbers; 16 do not; sign kept inside the quotes. */
	check_prepare("[123456789012345,1234567890123456,-12345678901234567]",
		      "[123456789012345,\"1234567890123456\","
		      "\"-12345678901234567\"]");
	/* Reals are a double's business, however many digits. */
	check_prepare("[1.2345678901234567,1e20,12345678901234567e2,"
		      "-0.12345678901234567890E-5,1234567890123456.5]",
		      "[1.2345678901234567,1e20,12345678901234567e2,"
		      "-0.12345678901234567890E-5,1234567890123456.5]");
	/* Inside strings, escapes included, nothing changes. */
	check_prepare("{\"k\\\"12345678901234567\":\"\\\\\",\"n\":"
		      "12345678901234567}",
		      "{\"k\\\"12345678901234567\":\"\\\\\",\"n\":"
		      "\"12345678901234567\"}");
	/* A number at the very end. */
	check_prepare("12345678901234567", "\"12345678901234567\"");
	check_prepare("", "");
}

static void
test_prepare_case18(void)
{
	static const char *const agents[] = {
		"before-" FFFD FFFD "-after",
		"trunc-" FFFD,
		"overlong-" FFFD FFFD "-x",
		"ok-\xe2\x82\xac-euro",
	};
	static const char *const ids[] = {
		"00000000-0000-4000-8000-000000001801",
		"00000000-0000-4000-8000-000000001802",
		"00000000-0000-4000-8000-000000001803",
		"00000000-0000-4000-8000-000000001804",
	};
	cJSON *o;
	char *p, *out;
	size_t i;

	for (i = 0; i < 4; i++) {
		p = prepared(case18[i], strlen(case18[i]));
		CHECK(p && utf8_valid(p, strlen(p)));
		if (!p)
			continue;
		/* Only the bad bytes changed. */
		CHECK_INT(strlen(p), strlen(case18[i]) +
			  (i == 0 ? 4 : i == 1 ? 1 : i == 2 ? 4 : 0));
		o = cJSON_Parse(p);
		CHECK(o != NULL);
		CHECK_STR(cJSON_GetStringValue(
				  cJSON_GetObjectItem(o, "userAgent")),
			  agents[i]);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
				  cJSON_GetObjectItem(o, "requestParameters"),
				  "key")), "caf\xc3\xa9.txt");
		CHECK_STR(cJSON_GetStringValue(
				  cJSON_GetObjectItem(o, "eventID")), ids[i]);
		/* Written back out, it is still valid UTF-8. */
		out = cJSON_PrintUnformatted(o);
		CHECK(out && utf8_valid(out, strlen(out)));
		free(out);
		cJSON_Delete(o);
		free(p);
	}
	/* Stray bytes outside strings are repaired too (cJSON then refuses
	 * the text, as it should). */
	check_prepare("{\"a\":1}\xff", "{\"a\":1}" FFFD);
	/* An escape before a bad byte does not skip the check. */
	check_prepare("[\"\\\xc0\"]", "[\"\\" FFFD "\"]");
}

/* falco-alerts/alerts.jsonl: 8 JSON lines whose output_fields.evt.time is
 * an int64 of 19 digits; after preparing, cJSON keeps every digit. */
static void
test_falco_alerts(void)
{
	static const char *const times[] = {
		"1739178940698757000", "1739179786302906000",
		"1683727757699479000", "1610667584834631763",
		"1618082841002873265", "1618082841038853452",
		"1619987050361728219", "1623612958532086161",
	};
	size_t n, ends[16], count, i, start = 0;
	char *p = slurp("falco-alerts/alerts.jsonl", &n), *text, *nl;
	bool open;
	cJSON *o, *fields;

	CHECK(p != NULL);
	if (!p)
		return;
	count = value_ends(p, n, 0, 1, ends, 16, &open);
	CHECK_INT(count, 8);
	CHECK(!open);
	check_chunkings(p, n, ends, count, false);
	for (i = 0; i < count; i++) {
		/* Each value ends right before its line's newline. */
		nl = memchr(p + start, '\n', n - start);
		CHECK(nl && (size_t)(nl - p) == ends[i]);
		text = prepared(p + start, ends[i] - start);
		o = cJSON_Parse(text);
		fields = cJSON_GetObjectItem(o, "output_fields");
		CHECK_STR(cJSON_GetStringValue(
				  cJSON_GetObjectItem(fields, "evt.time")),
			  times[i]);
		if (i == 3) {
			CHECK_STR(cJSON_GetStringValue(
					  cJSON_GetObjectItem(o, "rule")),
				  "Terminal shell in container");
			CHECK_STR(cJSON_GetStringValue(
					  cJSON_GetObjectItem(o, "priority")),
				  "Notice");
		}
		cJSON_Delete(o);
		free(text);
		start = ends[i] + 1;
	}
	free(p);
}

int
main(void)
{
	test_feed_shapes();
	test_deep();
	test_stratus_spans();
	test_span_shapes();
	test_prepare_numbers();
	test_prepare_case18();
	test_falco_alerts();
	/* regression: a lone surrogate escape made cJSON drop the record */
	{
		static const struct {
			const char *in, *want;
		} sur[] = {
			{ "{\"a\":\"x\\ud800y\"}", "{\"a\":\"x\\uFFFDy\"}" },
			{ "{\"a\":\"\\udc00\"}", "{\"a\":\"\\uFFFD\"}" },
			{ "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\ud83d\\ude00\"}" },
			{ "{\"a\":\"\\ud83d\\u0041\"}", "{\"a\":\"\\uFFFD\\u0041\"}" },
		};
		for (size_t k = 0; k < sizeof(sur) / sizeof(sur[0]); k++) {
			struct buf b;

			buf_init(&b);
			CHECK_INT(jsonscan_prepare(sur[k].in, strlen(sur[k].in), &b), 0);
			CHECK_STR(b.data, sur[k].want);
			buf_dispose(&b);
		}
	}
	return tap_done();
}
