/* SPDX-License-Identifier: Apache-2.0 */
/* llm_openai: the OpenAI-compatible chat completions protocol (also vLLM
 * and llama.cpp's server): request JSON, whole replies and SSE deltas. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/llm_int.h"

#define NAME "openai"

static int
nomem(void)
{
	return err_set(ERR_NOMEM, NAME ": out of memory building the request");
}

/* ---- the request -------------------------------------------------------- */

static bool
add_call(cJSON *arr, const struct llm_tool_call *c)
{
	cJSON *o = cJSON_CreateObject(), *fn;

	if (!o || !cJSON_AddItemToArray(arr, o))
		return cJSON_Delete(o), false;
	return llm_json_addstr(o, "id", c->id) &&
	       llm_json_addstr(o, "type", "function") &&
	       (fn = cJSON_AddObjectToObject(o, "function")) &&
	       llm_json_addstr(fn, "name", c->name) &&
	       llm_json_addstr(fn, "arguments", c->args ? c->args : "{}");
}

static bool
add_msg(cJSON *msgs, const struct llm_msg *m)
{
	static const char *roles[] = { "user", "assistant", "tool" };
	cJSON *o = cJSON_CreateObject(), *calls;

	if (!o || !cJSON_AddItemToArray(msgs, o))
		return cJSON_Delete(o), false;
	if (!llm_json_addstr(o, "role", roles[m->role]))
		return false;
	if (m->role == LLM_TOOL)
		return llm_json_addstr(o, "tool_call_id", m->call_id) &&
		       llm_json_addstr(o, "content", m->text ? m->text : "");
	if (m->role == LLM_USER || m->ncalls == 0)
		return llm_json_addstr(o, "content", m->text ? m->text : "");
	if (!llm_json_addstr(o, "content", m->text) ||
	    !(calls = cJSON_AddArrayToObject(o, "tool_calls")))
		return false;
	for (size_t i = 0; i < m->ncalls; i++)
		if (!add_call(calls, &m->calls[i]))
			return false;
	return true;
}

int
llm_add_function_tools(cJSON *doc, const struct llm_request *req,
		       const char *provider)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, "tools");

	for (size_t i = 0; arr && i < req->ntools; i++) {
		const struct llm_tool *t = &req->tools[i];
		cJSON *o = cJSON_CreateObject(), *fn, *schema;

		if (!o || !cJSON_AddItemToArray(arr, o))
			return cJSON_Delete(o), nomem();
		if (!(schema = llm_json_parse(t->schema)))
			return err_set(ERR_USAGE, "%s: tool `%s`: schema is not "
				       "JSON", provider, t->name);
		if (!llm_json_addstr(o, "type", "function") ||
		    !(fn = cJSON_AddObjectToObject(o, "function")) ||
		    !llm_json_addstr(fn, "name", t->name) ||
		    !llm_json_addstr(fn, "description", t->description) ||
		    !cJSON_AddItemToObject(fn, "parameters", schema))
			return cJSON_Delete(schema), nomem();
	}
	return arr ? 0 : nomem();
}

static int
add_tool_choice(cJSON *doc, const char *force)
{
	cJSON *o, *fn;

	if (!force)
		return llm_json_addstr(doc, "tool_choice", "auto") ? 0 : nomem();
	if (!(o = cJSON_AddObjectToObject(doc, "tool_choice")) ||
	    !llm_json_addstr(o, "type", "function") ||
	    !(fn = cJSON_AddObjectToObject(o, "function")) ||
	    !llm_json_addstr(fn, "name", force))
		return nomem();
	return 0;
}

static int
add_stream(cJSON *doc, const struct llm_config *cfg)
{
	cJSON *opt;

	if (!cfg->stream)
		return 0;
	if (!cJSON_AddTrueToObject(doc, "stream") ||
	    !(opt = cJSON_AddObjectToObject(doc, "stream_options")) ||
	    !cJSON_AddTrueToObject(opt, "include_usage"))
		return nomem();
	return 0;
}

static int
openai_build(const struct llm_config *cfg, const struct llm_request *req,
	     char **body)
{
	cJSON *doc = cJSON_CreateObject(), *msgs, *sys;
	int rc = 0;

	*body = NULL;
	if (!doc || !llm_json_addstr(doc, "model", cfg->model) ||
	    !(msgs = cJSON_AddArrayToObject(doc, "messages"))) {
		rc = nomem();
		goto out;
	}
	if (req->system && (!(sys = cJSON_CreateObject()) ||
			    !cJSON_AddItemToArray(msgs, sys) ||
			    !llm_json_addstr(sys, "role", "system") ||
			    !llm_json_addstr(sys, "content", req->system))) {
		rc = nomem();
		goto out;
	}
	for (size_t i = 0; i < req->nmsgs; i++)
		if (!add_msg(msgs, &req->msgs[i])) {
			rc = nomem();
			goto out;
		}
	if (req->ntools && ((rc = llm_add_function_tools(doc, req, NAME)) ||
			    (rc = add_tool_choice(doc, req->force_tool))))
		goto out;
	if (!cJSON_AddNumberToObject(doc, "max_tokens", cfg->max_output_tokens))
		rc = nomem();
	if (rc == 0 && (rc = add_stream(doc, cfg)) == 0)
		rc = llm_json_print(doc, body);
out:
	cJSON_Delete(doc);
	return rc;
}

static size_t
openai_headers(const struct llm_config *cfg, struct buf *hdr)
{
	if (!cfg->api_key)
		return 0;
	return buf_printf(&hdr[0], "Authorization: Bearer %s", cfg->api_key) ?
	       0 : 1;
}

/* ---- replies ------------------------------------------------------------ */

/* {"message","type","code"} into a fault; exhausted quota is final. */
static void
error_fields(const cJSON *err, struct llm_fault *f)
{
	const char *msg = llm_json_str(err, "message");
	const char *type = llm_json_str(err, "type");
	const char *code = llm_json_str(err, "code");

	snprintf(f->msg, sizeof(f->msg), "%s", msg ? msg : "(no message)");
	snprintf(f->kind, sizeof(f->kind), "%s", code ? code :
		 type ? type : "");
	if ((code && strcmp(code, "insufficient_quota") == 0) ||
	    (type && strcmp(type, "insufficient_quota") == 0)) {
		f->code = LLM_ERR_QUOTA;
		f->retry = false;
	}
}

static void
openai_error(const cJSON *doc, struct llm_fault *f)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(doc, "error");

	if (cJSON_IsObject(err))
		error_fields(err, f);
	else if (cJSON_IsString(err))
		snprintf(f->msg, sizeof(f->msg), "%s", err->valuestring);
}

/* An error object inside a 200 reply or a stream chunk. */
static int
reply_error(struct llm_acc *a, const cJSON *err)
{
	const char *type = llm_json_str(err, "type");

	llm_acc_fail(a, type && strcmp(type, "server_error") == 0, NULL, NULL);
	error_fields(err, &a->fault);
	return LLM_ERR_HTTP;
}

static void
usage(struct llm_acc *a, const cJSON *doc)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(doc, "usage");

	if (!cJSON_IsObject(u))
		return;
	a->tokens_in = llm_json_long(u, "prompt_tokens");
	a->tokens_out = llm_json_long(u, "completion_tokens");
}

static int
finish_reason(struct llm_acc *a, const cJSON *choice)
{
	const char *r = llm_json_str(choice, "finish_reason");

	return r ? llm_acc_stop(a, r) : 0;
}

/* One tool call, whole or a delta fragment: the id and name come once,
 * the arguments in pieces appended in order. */
static int
call_part(struct llm_acc *a, const cJSON *tc, long key)
{
	const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
	const char *id = llm_json_str(tc, "id");
	const char *name = llm_json_str(fn, "name");
	struct llm_acc_call *c = llm_acc_call(a, key);

	if (!c || (id && !c->id.len && buf_adds(&c->id, id)) ||
	    (name && !c->name.len && buf_adds(&c->name, name)) ||
	    (args && !cJSON_IsNull(args) && llm_buf_addjson(&c->args, args)))
		return err_set(ERR_NOMEM, NAME ": out of memory");
	return 0;
}

static int
calls(struct llm_acc *a, const cJSON *arr, bool delta)
{
	const cJSON *tc;
	long i = 0;
	int rc;

	cJSON_ArrayForEach(tc, arr) {
		const cJSON *idx = cJSON_GetObjectItemCaseSensitive(tc, "index");
		long key = delta ? (cJSON_IsNumber(idx) ? idx->valueint : i) : -1;

		if (!cJSON_IsObject(tc))
			return err_set(LLM_ERR_PROTOCOL, NAME ": tool_calls[%ld] "
				       "is not an object", i);
		if ((rc = call_part(a, tc, key)) < 0)
			return rc;
		i++;
	}
	return 0;
}

/* choices[0].message (whole) or choices[0].delta (stream). */
static int
message(struct llm_acc *a, const cJSON *m, bool delta)
{
	const char *text = llm_json_str(m, "content");

	if (text && buf_adds(&a->text, text))
		return err_set(ERR_NOMEM, NAME ": out of memory");
	return calls(a, cJSON_GetObjectItemCaseSensitive(m, "tool_calls"),
		     delta);
}

static int
openai_parse(struct llm_acc *a, const cJSON *doc)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(doc, "error");
	const cJSON *ch = cJSON_GetObjectItemCaseSensitive(doc, "choices");
	const cJSON *c0 = cJSON_GetArrayItem(ch, 0);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(c0, "message");
	int rc;

	if (cJSON_IsObject(err))
		return reply_error(a, err);
	if (!cJSON_IsArray(ch) || !cJSON_IsObject(c0))
		return err_set(LLM_ERR_PROTOCOL, NAME ": reply has no choices");
	if (!cJSON_IsObject(m))
		return err_set(LLM_ERR_PROTOCOL, NAME ": choices[0] has no "
			       "message");
	if ((rc = message(a, m, false)) < 0 || (rc = finish_reason(a, c0)) < 0)
		return rc;
	usage(a, doc);
	a->done = true;
	return 0;
}

static int
openai_event(struct llm_acc *a, const char *event, const char *data)
{
	cJSON *doc;
	const cJSON *err, *c0, *delta;
	int rc = 0;

	if (strcmp(data, "[DONE]") == 0) {
		a->done = true;
		return 0;
	}
	if (!(doc = cJSON_Parse(data)) || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return err_set(LLM_ERR_PROTOCOL, NAME ": stream chunk is not a "
			       "JSON object");
	}
	err = cJSON_GetObjectItemCaseSensitive(doc, "error");
	c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc,
								 "choices"), 0);
	delta = cJSON_GetObjectItemCaseSensitive(c0, "delta");
	if (cJSON_IsObject(err))
		rc = reply_error(a, err);
	if (rc == 0 && cJSON_IsObject(delta))
		rc = message(a, delta, true);
	if (rc == 0 && cJSON_IsObject(c0))
		rc = finish_reason(a, c0);
	if (rc == 0)
		usage(a, doc);
	cJSON_Delete(doc);
	return rc;
}

const struct llm_codec llm_codec_openai = {
	.name = NAME,
	.path = "/chat/completions",
	.ndjson = false,
	.build = openai_build,
	.headers = openai_headers,
	.parse = openai_parse,
	.event = openai_event,
	.error = openai_error,
};
