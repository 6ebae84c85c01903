/* SPDX-License-Identifier: Apache-2.0 */
/* test_llm_codec: the three wire protocols without a network: each codec's
 * request JSON field by field, and whole replies and streams (SSE, NDJSON)
 * parsed from canned bytes fed 1 byte, 7 bytes and all at once, plus error
 * classification, the sanitiser and the backoff arithmetic. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/llm.h"
#include "core/llm_int.h"
#include "tests/unit/tap.h"

static const size_t chunk_sizes[] = { 1, 7, 0 }; /* 0: all at once */

static const char sql_schema[] =
	"{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"}},"
	"\"required\":[\"query\"]}";
static const char verdict_schema[] =
	"{\"type\":\"object\",\"properties\":{\"verdict\":{\"type\":\"string\","
	"\"enum\":[\"malicious\",\"benign\"]}},\"required\":[\"verdict\"]}";

static const struct llm_tool tools[] = {
	{ "sql", "Read-only SQL over the event store.", sql_schema },
	{ "submit_verdict", "The final answer.", verdict_schema },
};

static struct llm_config
config(enum llm_provider p, bool stream)
{
	struct llm_config c;

	memset(&c, 0, sizeof(c));
	c.provider = p;
	c.url = "http://127.0.0.1:1";
	c.model = "test-model";
	c.api_key = "sk-test-0123456789";
	c.stream = stream;
	c.max_output_tokens = 2048;
	c.backoff_ms = 500;
	c.max_backoff_ms = 30000;
	return c;
}

/* user, assistant (prose + two calls, the second with broken args), two
 * tool results, then a user nudge: the shape the agent loop produces. */
static struct llm_tool_call calls[] = {
	{ "call_a1", "sql", "{\"query\":\"SELECT count(*) FROM events\"}" },
	{ "call_b2", "sql", "{\"query\": \"SELECT id FROM" },
};
static const struct llm_msg convo[] = {
	{ .role = LLM_USER, .text = "Investigate threat T-17." },
	{ .role = LLM_ASSISTANT, .text = "Counting events first.",
	  .calls = calls, .ncalls = 2 },
	{ .role = LLM_TOOL, .text = "{\"rows\":[[42]]}", .call_id = "call_a1",
	  .tool_name = "sql" },
	{ .role = LLM_TOOL, .text = "arguments are not JSON",
	  .call_id = "call_b2", .tool_name = "sql", .is_error = true },
	{ .role = LLM_USER, .text = "Now answer with submit_verdict." },
};

static struct llm_request
request(const char *force)
{
	struct llm_request r = {
		.system = "You are a SOC analyst.",
		.msgs = convo, .nmsgs = 5,
		.tools = tools, .ntools = 2,
		.force_tool = force,
	};
	return r;
}

/* The request body of provider p, parsed; caller deletes. */
static cJSON *
built(enum llm_provider p, bool stream, const char *force)
{
	struct llm_config cfg = config(p, stream);
	struct llm_request req = request(force);
	char *body = NULL;
	cJSON *doc;

	if (llm_codec_of(p)->build(&cfg, &req, &body) < 0) {
		fprintf(stderr, "build: %s\n", err_msg());
		return NULL;
	}
	doc = cJSON_Parse(body);
	free(body);
	return doc;
}

static const char *
str_at(const cJSON *doc, const char *path)
{
	const cJSON *cur = doc;
	char seg[64];

	while (cur && *path) {
		size_t n = strcspn(path, ".");

		snprintf(seg, sizeof(seg), "%.*s", (int)n, path);
		if (seg[0] >= '0' && seg[0] <= '9')
			cur = cJSON_GetArrayItem(cur, atoi(seg));
		else
			cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
		path += n + (path[n] == '.');
	}
	return cJSON_IsString(cur) ? cur->valuestring : NULL;
}

static const cJSON *
at(const cJSON *doc, const char *path)
{
	const cJSON *cur = doc;
	char seg[64];

	while (cur && *path) {
		size_t n = strcspn(path, ".");

		snprintf(seg, sizeof(seg), "%.*s", (int)n, path);
		if (seg[0] >= '0' && seg[0] <= '9')
			cur = cJSON_GetArrayItem(cur, atoi(seg));
		else
			cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
		path += n + (path[n] == '.');
	}
	return cur;
}

/* ---- requests ----------------------------------------------------------- */

static void
test_openai_request(void)
{
	cJSON *d = built(LLM_OPENAI, false, NULL);

	CHECK(d != NULL);
	CHECK_STR(str_at(d, "model"), "test-model");
	CHECK_INT(cJSON_GetArraySize(at(d, "messages")), 6);
	CHECK_STR(str_at(d, "messages.0.role"), "system");
	CHECK_STR(str_at(d, "messages.0.content"), "You are a SOC analyst.");
	CHECK_STR(str_at(d, "messages.1.role"), "user");
	CHECK_STR(str_at(d, "messages.2.role"), "assistant");
	CHECK_STR(str_at(d, "messages.2.content"), "Counting events first.");
	CHECK_STR(str_at(d, "messages.2.tool_calls.0.id"), "call_a1");
	CHECK_STR(str_at(d, "messages.2.tool_calls.0.type"), "function");
	CHECK_STR(str_at(d, "messages.2.tool_calls.0.function.name"), "sql");
	/* Arguments travel as a JSON string, broken ones unchanged. */
	CHECK_STR(str_at(d, "messages.2.tool_calls.0.function.arguments"),
		  "{\"query\":\"SELECT count(*) FROM events\"}");
	CHECK_STR(str_at(d, "messages.2.tool_calls.1.function.arguments"),
		  "{\"query\": \"SELECT id FROM");
	CHECK_STR(str_at(d, "messages.3.role"), "tool");
	CHECK_STR(str_at(d, "messages.3.tool_call_id"), "call_a1");
	CHECK_STR(str_at(d, "messages.3.content"), "{\"rows\":[[42]]}");
	CHECK_STR(str_at(d, "messages.4.tool_call_id"), "call_b2");
	CHECK_STR(str_at(d, "messages.5.role"), "user");
	CHECK_STR(str_at(d, "tools.0.type"), "function");
	CHECK_STR(str_at(d, "tools.0.function.name"), "sql");
	CHECK_STR(str_at(d, "tools.0.function.parameters.type"), "object");
	CHECK_STR(str_at(d, "tool_choice"), "auto");
	CHECK_INT(at(d, "max_tokens")->valueint, 2048);
	CHECK(at(d, "stream") == NULL);
	CHECK(at(d, "stream_options") == NULL);
	cJSON_Delete(d);

	d = built(LLM_OPENAI, true, "submit_verdict");
	CHECK(cJSON_IsTrue(at(d, "stream")));
	CHECK(cJSON_IsTrue(at(d, "stream_options.include_usage")));
	CHECK_STR(str_at(d, "tool_choice.type"), "function");
	CHECK_STR(str_at(d, "tool_choice.function.name"), "submit_verdict");
	cJSON_Delete(d);
}

static void
test_openai_null_content(void)
{
	struct llm_msg m = { .role = LLM_ASSISTANT, .calls = calls,
			     .ncalls = 1 };
	struct llm_request req = { .msgs = &m, .nmsgs = 1 };
	struct llm_config cfg = config(LLM_OPENAI, false);
	char *body = NULL;
	cJSON *d;

	CHECK_INT(llm_codec_openai.build(&cfg, &req, &body), 0);
	d = cJSON_Parse(body);
	/* A call-only turn has content null, no system turn, no tools. */
	CHECK(cJSON_IsNull(at(d, "messages.0.content")));
	CHECK_INT(cJSON_GetArraySize(at(d, "messages")), 1);
	CHECK(at(d, "tools") == NULL);
	CHECK(at(d, "tool_choice") == NULL);
	cJSON_Delete(d);
	free(body);
}

static void
test_anthropic_request(void)
{
	cJSON *d = built(LLM_ANTHROPIC, true, "submit_verdict");
	const cJSON *input;

	CHECK(d != NULL);
	CHECK_STR(str_at(d, "system"), "You are a SOC analyst.");
	CHECK_INT(at(d, "max_tokens")->valueint, 2048);
	CHECK(cJSON_IsTrue(at(d, "stream")));
	/* user, assistant, then ONE user turn: both results and the nudge. */
	CHECK_INT(cJSON_GetArraySize(at(d, "messages")), 3);
	CHECK_STR(str_at(d, "messages.0.role"), "user");
	CHECK_STR(str_at(d, "messages.0.content.0.type"), "text");
	CHECK_STR(str_at(d, "messages.1.role"), "assistant");
	CHECK_STR(str_at(d, "messages.1.content.0.text"),
		  "Counting events first.");
	CHECK_STR(str_at(d, "messages.1.content.1.type"), "tool_use");
	CHECK_STR(str_at(d, "messages.1.content.1.id"), "call_a1");
	CHECK_STR(str_at(d, "messages.1.content.1.name"), "sql");
	input = at(d, "messages.1.content.1.input");
	CHECK(cJSON_IsObject(input));
	CHECK_STR(str_at(input, "query"), "SELECT count(*) FROM events");
	/* Broken arguments cannot be an object: they go as {}. */
	CHECK_INT(cJSON_GetArraySize(at(d, "messages.1.content.2.input")), 0);
	CHECK_STR(str_at(d, "messages.2.role"), "user");
	CHECK_INT(cJSON_GetArraySize(at(d, "messages.2.content")), 3);
	CHECK_STR(str_at(d, "messages.2.content.0.type"), "tool_result");
	CHECK_STR(str_at(d, "messages.2.content.0.tool_use_id"), "call_a1");
	CHECK(cJSON_IsFalse(at(d, "messages.2.content.0.is_error")));
	CHECK_STR(str_at(d, "messages.2.content.1.tool_use_id"), "call_b2");
	CHECK(cJSON_IsTrue(at(d, "messages.2.content.1.is_error")));
	CHECK_STR(str_at(d, "messages.2.content.2.type"), "text");
	CHECK_STR(str_at(d, "messages.2.content.2.text"),
		  "Now answer with submit_verdict.");
	CHECK_STR(str_at(d, "tools.0.name"), "sql");
	CHECK_STR(str_at(d, "tools.0.input_schema.type"), "object");
	CHECK_STR(str_at(d, "tool_choice.type"), "tool");
	CHECK_STR(str_at(d, "tool_choice.name"), "submit_verdict");
	cJSON_Delete(d);

	d = built(LLM_ANTHROPIC, false, NULL);
	CHECK(at(d, "stream") == NULL);
	CHECK_STR(str_at(d, "tool_choice.type"), "auto");
	CHECK(at(d, "tool_choice.name") == NULL);
	cJSON_Delete(d);
}

static void
test_anthropic_merge(void)
{
	/* A user nudge before the results: the results still come first. */
	static const struct llm_msg m[] = {
		{ .role = LLM_USER, .text = "one" },
		{ .role = LLM_USER, .text = "two" },
		{ .role = LLM_ASSISTANT, .calls = calls, .ncalls = 1 },
		{ .role = LLM_TOOL, .text = "r", .call_id = "call_a1" },
	};
	struct llm_request req = { .msgs = m, .nmsgs = 4 };
	struct llm_config cfg = config(LLM_ANTHROPIC, false);
	char *body = NULL;
	cJSON *d;

	CHECK_INT(llm_codec_anthropic.build(&cfg, &req, &body), 0);
	d = cJSON_Parse(body);
	CHECK_INT(cJSON_GetArraySize(at(d, "messages")), 3);
	CHECK_INT(cJSON_GetArraySize(at(d, "messages.0.content")), 2);
	CHECK_STR(str_at(d, "messages.0.content.1.text"), "two");
	/* No empty text block for a call-only turn. */
	CHECK_INT(cJSON_GetArraySize(at(d, "messages.1.content")), 1);
	CHECK_STR(str_at(d, "messages.1.content.0.type"), "tool_use");
	CHECK(at(d, "system") == NULL);
	cJSON_Delete(d);
	free(body);
}

static void
test_ollama_request(void)
{
	cJSON *d = built(LLM_OLLAMA, false, NULL);

	CHECK(d != NULL);
	/* Ollama streams by default: false must be said. */
	CHECK(cJSON_IsFalse(at(d, "stream")));
	CHECK_INT(at(d, "options.num_predict")->valueint, 2048);
	CHECK_STR(str_at(d, "messages.0.role"), "system");
	CHECK_STR(str_at(d, "messages.2.role"), "assistant");
	CHECK_STR(str_at(d, "messages.2.tool_calls.0.function.name"), "sql");
	CHECK_STR(str_at(d, "messages.2.tool_calls.0.function.arguments.query"),
		  "SELECT count(*) FROM events");
	CHECK(cJSON_IsObject(at(d, "messages.2.tool_calls.1.function."
				"arguments")));
	CHECK_STR(str_at(d, "messages.3.role"), "tool");
	CHECK_STR(str_at(d, "messages.3.tool_name"), "sql");
	CHECK_STR(str_at(d, "messages.3.content"), "{\"rows\":[[42]]}");
	CHECK_STR(str_at(d, "tools.1.function.name"), "submit_verdict");
	CHECK(at(d, "format") == NULL);
	cJSON_Delete(d);

	d = built(LLM_OLLAMA, true, "submit_verdict");
	CHECK(cJSON_IsTrue(at(d, "stream")));
	CHECK(at(d, "tools") == NULL);
	CHECK_STR(str_at(d, "format.type"), "object");
	CHECK_STR(str_at(d, "format.required.0"), "verdict");
	cJSON_Delete(d);
}

/* ---- replies ------------------------------------------------------------ */

/* Feed bytes to codec c's stream parser in pieces of chunk (0: whole). */
static int
stream_parse(const struct llm_codec *c, const char *bytes, size_t chunk,
	     const char *force, struct llm_reply *out, struct llm_fault *fault)
{
	struct llm_acc acc;
	struct llm_stream s;
	size_t n = strlen(bytes), step = chunk ? chunk : n;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	llm_acc_init(&acc, c->name, force);
	llm_stream_init(&s, c, &acc);
	for (size_t i = 0; i < n && rc == 0; i += step)
		rc = llm_stream_feed(&s, bytes + i, n - i < step ? n - i : step);
	if (rc == 0)
		rc = llm_stream_end(&s);
	if (rc == 0)
		rc = llm_acc_finish(&acc, out);
	if (fault)
		*fault = acc.fault;
	llm_stream_dispose(&s);
	llm_acc_dispose(&acc);
	return rc;
}

static int
whole_parse(const struct llm_codec *c, const char *body, const char *force,
	    struct llm_reply *out, struct llm_fault *fault)
{
	struct llm_acc acc;
	int rc;

	memset(out, 0, sizeof(*out));
	llm_acc_init(&acc, c->name, force);
	rc = llm_parse_whole(c, &acc, body, strlen(body));
	if (rc == 0)
		rc = llm_acc_finish(&acc, out);
	if (fault)
		*fault = acc.fault;
	llm_acc_dispose(&acc);
	return rc;
}

/* CRLF line ends, a keep-alive comment, "é" (2 bytes) and "→" (3 bytes)
 * that 1- and 7-byte chunks split, two calls whose fragments interleave. */
static const char openai_sse[] =
	": keep-alive\r\n\r\n"
	"data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
	"\"assistant\",\"content\":\"\"},\"finish_reason\":null}],"
	"\"usage\":null}\r\n\r\n"
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Caf\xc3\xa9 "
	"\xe2\x86\x92 \"}}]}\r\n\r\n"
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"checking\"}}]}"
	"\r\n\r\n"
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
	"\"id\":\"call_X\",\"type\":\"function\",\"function\":{\"name\":\"sql\","
	"\"arguments\":\"\"}}]}}]}\r\n\r\n"
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
	"\"function\":{\"arguments\":\"{\\\"query\\\":\"}}]}}]}\r\n\r\n"
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
	"\"id\":\"call_Y\",\"type\":\"function\",\"function\":{\"name\":"
	"\"first_seen\",\"arguments\":\"{\\\"field\\\":\\\"src_ip\\\"}\"}}]}}]}"
	"\r\n\r\n"
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
	"\"function\":{\"arguments\":\"\\\"SELECT 1\\\"}\"}}]}}]}\r\n\r\n"
	"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"
	"\"tool_calls\"}]}\r\n\r\n"
	"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":812,"
	"\"completion_tokens\":64,\"total_tokens\":876}}\r\n\r\n"
	"data: [DONE]\r\n\r\n";

static void
test_openai_stream(void)
{
	for (size_t i = 0; i < sizeof(chunk_sizes) / sizeof(*chunk_sizes); i++) {
		struct llm_reply r;

		CHECK_INT(stream_parse(&llm_codec_openai, openai_sse,
				       chunk_sizes[i], NULL, &r, NULL), 0);
		CHECK_STR(r.text, "Caf\xc3\xa9 \xe2\x86\x92 checking");
		CHECK_INT(r.ncalls, 2);
		if (r.ncalls == 2) {
			CHECK_STR(r.calls[0].id, "call_X");
			CHECK_STR(r.calls[0].name, "sql");
			CHECK_STR(r.calls[0].args, "{\"query\":\"SELECT 1\"}");
			CHECK_STR(r.calls[1].id, "call_Y");
			CHECK_STR(r.calls[1].name, "first_seen");
			CHECK_STR(r.calls[1].args, "{\"field\":\"src_ip\"}");
		}
		CHECK_STR(r.stop, "tool_calls");
		CHECK_INT(r.tokens_in, 812);
		CHECK_INT(r.tokens_out, 64);
		llm_reply_dispose(&r);
	}
}

static void
test_openai_stream_broken(void)
{
	/* Cut before [DONE]: the protocol was not kept. */
	char cut[sizeof(openai_sse)];
	struct llm_reply r;
	struct llm_fault f;

	snprintf(cut, sizeof(cut), "%.*s", (int)(strlen(openai_sse) - 18),
		 openai_sse);
	CHECK_INT(stream_parse(&llm_codec_openai, cut, 7, NULL, &r, NULL),
		  LLM_ERR_PROTOCOL);
	CHECK(strstr(err_msg(), "openai") != NULL);
	llm_reply_dispose(&r);

	CHECK_INT(stream_parse(&llm_codec_openai, "data: {not json\n\n", 1,
			       NULL, &r, NULL), LLM_ERR_PROTOCOL);
	llm_reply_dispose(&r);

	/* An error object mid-stream. */
	CHECK_INT(stream_parse(&llm_codec_openai,
			       "data: {\"error\":{\"message\":\"The server had an "
			       "error\",\"type\":\"server_error\"}}\n\n", 7, NULL,
			       &r, &f), LLM_ERR_HTTP);
	CHECK(f.retry);
	CHECK_STR(f.msg, "The server had an error");
	llm_reply_dispose(&r);
}

static void
test_openai_whole(void)
{
	static const char body[] =
		"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\","
		"\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
		"\"content\":null,\"tool_calls\":[{\"id\":\"call_Z\",\"type\":"
		"\"function\",\"function\":{\"name\":\"sql\",\"arguments\":"
		"\"{\\\"query\\\": \\\"SELECT id FROM\"}}]},\"finish_reason\":"
		"\"tool_calls\"}],\"usage\":{\"prompt_tokens\":100,"
		"\"completion_tokens\":7}}";
	struct llm_reply r;

	CHECK_INT(whole_parse(&llm_codec_openai, body, NULL, &r, NULL), 0);
	CHECK(r.text == NULL);
	CHECK_INT(r.ncalls, 1);
	CHECK_STR(r.calls[0].id, "call_Z");
	/* Malformed arguments are kept as received. */
	CHECK_STR(r.calls[0].args, "{\"query\": \"SELECT id FROM");
	CHECK_STR(r.stop, "tool_calls");
	CHECK_INT(r.tokens_in, 100);
	CHECK_INT(r.tokens_out, 7);
	llm_reply_dispose(&r);

	CHECK_INT(whole_parse(&llm_codec_openai, "{\"object\":\"x\"}", NULL,
			      &r, NULL), LLM_ERR_PROTOCOL);
	CHECK(strstr(err_msg(), "no choices") != NULL);
	CHECK_INT(whole_parse(&llm_codec_openai, "<html>", NULL, &r, NULL),
		  LLM_ERR_PROTOCOL);
}

static void
test_openai_errors(void)
{
	static const char quota[] =
		"{\"error\":{\"message\":\"You exceeded your current quota.\","
		"\"type\":\"insufficient_quota\",\"param\":null,\"code\":"
		"\"insufficient_quota\"}}";
	static const char rate[] =
		"{\"error\":{\"message\":\"Rate limit reached\",\"type\":"
		"\"requests\",\"code\":\"rate_limit_exceeded\"}}";
	struct llm_fault f;

	llm_http_fault(&llm_codec_openai, 429, quota, strlen(quota), &f);
	CHECK_INT(f.code, LLM_ERR_QUOTA);
	CHECK(!f.retry);
	CHECK_STR(f.msg, "You exceeded your current quota.");
	llm_http_fault(&llm_codec_openai, 429, rate, strlen(rate), &f);
	CHECK_INT(f.code, LLM_ERR_HTTP);
	CHECK(f.retry);
	CHECK_STR(f.kind, "rate_limit_exceeded");
	llm_http_fault(&llm_codec_openai, 400, rate, strlen(rate), &f);
	CHECK(!f.retry);
	llm_http_fault(&llm_codec_openai, 401, rate, strlen(rate), &f);
	CHECK(!f.retry);
	llm_http_fault(&llm_codec_openai, 503, "Service Unavailable", 19, &f);
	CHECK(f.retry);
	CHECK_STR(f.msg, "Service Unavailable");
}

static const char anthropic_sse[] =
	"event: message_start\n"
	"data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
	"\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
	"\"model\":\"claude\",\"stop_reason\":null,\"usage\":"
	"{\"input_tokens\":1530,\"output_tokens\":1}}}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
	"{\"type\":\"text\",\"text\":\"\"}}\n\n"
	"event: ping\n"
	"data: {\"type\": \"ping\"}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
	"{\"type\":\"text_delta\",\"text\":\"Looking at \xe2\x80\x9cT-17\xe2\x80"
	"\x9d.\"}}\n\n"
	"event: content_block_stop\n"
	"data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
	"{\"type\":\"tool_use\",\"id\":\"toolu_01A\",\"name\":\"sql\","
	"\"input\":{}}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
	"{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
	"{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"query\\\": \\\"SE\"}}"
	"\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
	"{\"type\":\"input_json_delta\",\"partial_json\":\"LECT 1\\\"}\"}}\n\n"
	"event: content_block_stop\n"
	"data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":"
	"{\"type\":\"tool_use\",\"id\":\"toolu_01B\",\"name\":\"allowlist\","
	"\"input\":{}}}\n\n"
	"event: content_block_stop\n"
	"data: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
	"event: message_delta\n"
	"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
	"\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}"
	"\n\n"
	"event: message_stop\n"
	"data: {\"type\":\"message_stop\"}\n\n";

static void
test_anthropic_stream(void)
{
	for (size_t i = 0; i < sizeof(chunk_sizes) / sizeof(*chunk_sizes); i++) {
		struct llm_reply r;

		CHECK_INT(stream_parse(&llm_codec_anthropic, anthropic_sse,
				       chunk_sizes[i], NULL, &r, NULL), 0);
		CHECK_STR(r.text, "Looking at \xe2\x80\x9cT-17\xe2\x80\x9d.");
		CHECK_INT(r.ncalls, 2);
		if (r.ncalls == 2) {
			CHECK_STR(r.calls[0].id, "toolu_01A");
			CHECK_STR(r.calls[0].name, "sql");
			CHECK_STR(r.calls[0].args, "{\"query\": \"SELECT 1\"}");
			CHECK_STR(r.calls[1].id, "toolu_01B");
			CHECK_STR(r.calls[1].name, "allowlist");
			CHECK_STR(r.calls[1].args, "{}");
		}
		CHECK_STR(r.stop, "tool_use");
		CHECK_INT(r.tokens_in, 1530);
		CHECK_INT(r.tokens_out, 89);
		llm_reply_dispose(&r);
	}
}

static void
test_anthropic_stream_error(void)
{
	static const char overload[] =
		"event: message_start\n"
		"data: {\"type\":\"message_start\",\"message\":{\"usage\":"
		"{\"input_tokens\":5}}}\n\n"
		"event: error\n"
		"data: {\"type\":\"error\",\"error\":{\"type\":"
		"\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
	struct llm_reply r;
	struct llm_fault f;

	for (size_t i = 0; i < sizeof(chunk_sizes) / sizeof(*chunk_sizes); i++) {
		CHECK_INT(stream_parse(&llm_codec_anthropic, overload,
				       chunk_sizes[i], NULL, &r, &f),
			  LLM_ERR_HTTP);
		CHECK(f.retry);
		CHECK_STR(f.kind, "overloaded_error");
		CHECK_STR(f.msg, "Overloaded");
		llm_reply_dispose(&r);
	}
	/* Ends without message_stop. */
	CHECK_INT(stream_parse(&llm_codec_anthropic,
			       "event: message_start\ndata: {\"type\":"
			       "\"message_start\",\"message\":{}}\n\n", 1, NULL,
			       &r, NULL), LLM_ERR_PROTOCOL);
	CHECK(strstr(err_msg(), "anthropic") != NULL);
	/* A delta for a block that never started. */
	CHECK_INT(stream_parse(&llm_codec_anthropic,
			       "data: {\"type\":\"content_block_delta\",\"index\":"
			       "4,\"delta\":{\"type\":\"input_json_delta\","
			       "\"partial_json\":\"{\"}}\n\n", 0, NULL, &r, NULL),
		  LLM_ERR_PROTOCOL);
}

static void
test_anthropic_whole_and_errors(void)
{
	static const char body[] =
		"{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\","
		"\"content\":[{\"type\":\"text\",\"text\":\"Done.\"},"
		"{\"type\":\"tool_use\",\"id\":\"toolu_9\",\"name\":"
		"\"submit_verdict\",\"input\":{\"verdict\":\"benign\"}}],"
		"\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":40,"
		"\"output_tokens\":12}}";
	static const char overloaded[] =
		"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
		"\"message\":\"Overloaded\"}}";
	static const char credit[] =
		"{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
		"\"message\":\"Your credit balance is too low to access the "
		"Anthropic API.\"}}";
	struct llm_reply r;
	struct llm_fault f;

	CHECK_INT(whole_parse(&llm_codec_anthropic, body, NULL, &r, NULL), 0);
	CHECK_STR(r.text, "Done.");
	CHECK_INT(r.ncalls, 1);
	CHECK_STR(r.calls[0].id, "toolu_9");
	CHECK_STR(r.calls[0].args, "{\"verdict\":\"benign\"}");
	CHECK_STR(r.stop, "tool_use");
	CHECK_INT(r.tokens_in, 40);
	CHECK_INT(r.tokens_out, 12);
	llm_reply_dispose(&r);

	llm_http_fault(&llm_codec_anthropic, 529, overloaded,
		       strlen(overloaded), &f);
	CHECK(f.retry);
	CHECK_INT(f.code, LLM_ERR_HTTP);
	CHECK_STR(f.kind, "overloaded_error");
	llm_http_fault(&llm_codec_anthropic, 400, credit, strlen(credit), &f);
	CHECK_INT(f.code, LLM_ERR_QUOTA);
	CHECK(!f.retry);
	/* An error body cut short is still an error, not retried on 400. */
	llm_http_fault(&llm_codec_anthropic, 400, overloaded, 10, &f);
	CHECK(!f.retry);
	CHECK_STR(f.msg, "{\"type\":\"e");
}

/* NDJSON with a record split across the 7-byte chunks, a UTF-8 "ü" and a
 * last line without its newline. */
static const char ollama_nd[] =
	"{\"model\":\"qwen3\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":"
	"{\"role\":\"assistant\",\"content\":\"Pr\xc3\xbc\"},\"done\":false}\n"
	"{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":"
	"\"fe.\"},\"done\":false}\n"
	"{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":"
	"\"\",\"tool_calls\":[{\"function\":{\"name\":\"first_seen\","
	"\"arguments\":{\"field\":\"src_ip\",\"lookback_days\":30}}},"
	"{\"function\":{\"name\":\"allowlist\",\"arguments\":{}}}]},"
	"\"done\":false}\n"
	"{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":"
	"\"\"},\"done_reason\":\"stop\",\"done\":true,\"total_duration\":1,"
	"\"prompt_eval_count\":321,\"eval_count\":45}";

static void
test_ollama_stream(void)
{
	for (size_t i = 0; i < sizeof(chunk_sizes) / sizeof(*chunk_sizes); i++) {
		struct llm_reply r;

		CHECK_INT(stream_parse(&llm_codec_ollama, ollama_nd,
				       chunk_sizes[i], NULL, &r, NULL), 0);
		CHECK_STR(r.text, "Pr\xc3\xbc" "fe.");
		CHECK_INT(r.ncalls, 2);
		if (r.ncalls == 2) {
			CHECK_STR(r.calls[0].id, "call_1");
			CHECK_STR(r.calls[0].name, "first_seen");
			CHECK_STR(r.calls[0].args,
				  "{\"field\":\"src_ip\",\"lookback_days\":30}");
			CHECK_STR(r.calls[1].id, "call_2");
			CHECK_STR(r.calls[1].args, "{}");
		}
		CHECK_STR(r.stop, "stop");
		CHECK_INT(r.tokens_in, 321);
		CHECK_INT(r.tokens_out, 45);
		llm_reply_dispose(&r);
	}
}

static void
test_ollama_forced_and_errors(void)
{
	static const char forced[] =
		"{\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"verdict"
		"\\\": \"},\"done\":false}\r\n"
		"{\"message\":{\"role\":\"assistant\",\"content\":\"\\\"benign"
		"\\\"}\"},\"done\":false}\r\n"
		"{\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
		"\"done\":true,\"done_reason\":\"stop\"}\r\n";
	static const char notfound[] =
		"{\"error\":\"model \\\"x\\\" not found, try pulling it first\"}";
	struct llm_reply r;
	struct llm_fault f;

	for (size_t i = 0; i < sizeof(chunk_sizes) / sizeof(*chunk_sizes); i++) {
		CHECK_INT(stream_parse(&llm_codec_ollama, forced,
				       chunk_sizes[i], "submit_verdict", &r,
				       NULL), 0);
		CHECK(r.text == NULL);
		CHECK_INT(r.ncalls, 1);
		if (r.ncalls == 1) {
			CHECK_STR(r.calls[0].id, "call_1");
			CHECK_STR(r.calls[0].name, "submit_verdict");
			CHECK_STR(r.calls[0].args, "{\"verdict\": \"benign\"}");
		}
		llm_reply_dispose(&r);
	}
	CHECK_INT(stream_parse(&llm_codec_ollama,
			       "{\"message\":{\"role\":\"assistant\",\"content\":"
			       "\"a\"},\"done\":false}\n{\"error\":\"model runner "
			       "has unexpectedly stopped\"}\n", 7, NULL, &r, &f),
		  LLM_ERR_HTTP);
	CHECK_STR(f.msg, "model runner has unexpectedly stopped");
	CHECK_INT(stream_parse(&llm_codec_ollama, "{\"message\":{\"content\":"
			       "\"x\"},\"done\":false}\n", 1, NULL, &r, NULL),
		  LLM_ERR_PROTOCOL);

	CHECK_INT(whole_parse(&llm_codec_ollama, "{\"model\":\"m\",\"message\":"
			      "{\"role\":\"assistant\",\"content\":\"hi\"},"
			      "\"done\":true,\"prompt_eval_count\":3,"
			      "\"eval_count\":2}", NULL, &r, NULL), 0);
	CHECK_STR(r.text, "hi");
	CHECK_INT(r.tokens_in, 3);
	llm_reply_dispose(&r);
	llm_http_fault(&llm_codec_ollama, 404, notfound, strlen(notfound), &f);
	CHECK(!f.retry);
	CHECK_STR(f.msg, "model \"x\" not found, try pulling it first");
}

/* ---- the splitter, the sanitiser and backoff ---------------------------- */

static int
count_event(struct llm_acc *a, const char *event, const char *data)
{
	/* Events arrive as "name|data" appended to the text. */
	buf_printf(&a->text, "[%s|%s]", event ? event : "-", data);
	if (strcmp(data, "end") == 0)
		a->done = true;
	return 0;
}

static void
test_splitter(void)
{
	/* Lone CR, CRLF split between chunks, two data lines joined by LF,
	 * comment and unknown field ignored, an event without data dropped. */
	static const char in[] =
		"event: a\rdata: x\r\rid: 7\n: hi\ndata:y\r\ndata: z\r\n\r\n"
		"event: lost\n\ndata: end\n\n";
	const struct llm_codec sse = { .name = "t", .event = count_event };
	const struct llm_codec nd = { .name = "t", .ndjson = true,
				      .event = count_event };

	for (size_t i = 0; i < sizeof(chunk_sizes) / sizeof(*chunk_sizes); i++) {
		struct llm_reply r;

		CHECK_INT(stream_parse(&sse, in, chunk_sizes[i], NULL, &r,
				       NULL), 0);
		CHECK_STR(r.text, "[a|x][|y\nz][|end]");
		llm_reply_dispose(&r);
		CHECK_INT(stream_parse(&nd, "one\r\n\r\n  \ntwo\rend",
				       chunk_sizes[i], NULL, &r, NULL), 0);
		CHECK_STR(r.text, "[-|one][-|two][-|end]");
		llm_reply_dispose(&r);
	}
}

static void
test_sanitize(void)
{
	char out[1400], big[1000];

	llm_sanitize(out, sizeof(out), "bad key sk-test-0123456789\n\x1b[31m",
		     "sk-test-0123456789");
	CHECK_STR(out, "bad key [redacted]\\x0a\\x1b[31m");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	llm_sanitize(out, sizeof(out), big, NULL);
	CHECK_INT(strlen(out), LLM_MSG_CAP);
	llm_sanitize(out, 8, "abcdefghijkl", NULL);
	CHECK(strlen(out) < 8);
}

static void
test_backoff(void)
{
	struct llm_config c = config(LLM_OPENAI, false);
	long d;

	CHECK_INT(llm_retry_after_ms("Retry-After", " 3"), 3000);
	CHECK_INT(llm_retry_after_ms("retry-after-ms", "1500.5"), 1500);
	CHECK_INT(llm_retry_after_ms("Retry-After",
				     "Wed, 21 Oct 2015 07:28:00 GMT"), 0);
	CHECK_INT(llm_retry_after_ms("Retry-After", "soon"), -1);
	CHECK_INT(llm_backoff_ms(&c, 1, -1, 0), 500);
	CHECK_INT(llm_backoff_ms(&c, 3, -1, 0), 2000);
	CHECK_INT(llm_backoff_ms(&c, 20, -1, 0), 30000);
	CHECK_INT(llm_backoff_ms(&c, 1, 45000, 0), 30000);
	CHECK_INT(llm_backoff_ms(&c, 1, 1200, 99), 1200);
	d = llm_backoff_ms(&c, 2, -1, 123456789);
	CHECK(d >= 750 && d <= 1000);
}

/* Errors are wrapped as they travel up: "openai: " + the message before. */
static void
test_error_wrap(void)
{
	err_set(LLM_ERR_NET, "connection reset");
	CHECK_INT(err_set(LLM_ERR_NET, "openai: %s", err_msg()), LLM_ERR_NET);
	CHECK_STR(err_msg(), "openai: connection reset");
}

int
main(void)
{
	test_error_wrap();
	test_openai_request();
	test_openai_null_content();
	test_anthropic_request();
	test_anthropic_merge();
	test_ollama_request();
	test_openai_stream();
	test_openai_stream_broken();
	test_openai_whole();
	test_openai_errors();
	test_anthropic_stream();
	test_anthropic_stream_error();
	test_anthropic_whole_and_errors();
	test_ollama_stream();
	test_ollama_forced_and_errors();
	test_splitter();
	test_sanitize();
	test_backoff();
	return tap_done();
}
