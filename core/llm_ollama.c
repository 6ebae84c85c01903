/* SPDX-License-Identifier: Apache-2.0 */
/* llm_ollama: Ollama's chat API: request JSON (a forced tool becomes a
 * `format` schema, as Ollama cannot force tools), whole replies and NDJSON
 * stream records. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/llm_int.h"

#define NAME "ollama"

static int
nomem(void)
{
	return err_set(ERR_NOMEM, NAME ": out of memory building the request");
}

/* ---- the request -------------------------------------------------------- */

static bool
add_call(cJSON *arr, const struct llm_tool_call *c)
{
	cJSON *o = cJSON_CreateObject(), *fn, *args;

	if (!o || !cJSON_AddItemToArray(arr, o))
		return cJSON_Delete(o), false;
	if (!(fn = cJSON_AddObjectToObject(o, "function")) ||
	    !llm_json_addstr(fn, "name", c->name) ||
	    !(args = llm_args_object(c->args)))
		return false;
	return cJSON_AddItemToObject(fn, "arguments", args) ||
	       (cJSON_Delete(args), false);
}

static bool
add_msg(cJSON *msgs, const char *role, const struct llm_msg *m,
	const char *text)
{
	cJSON *o = cJSON_CreateObject(), *calls;

	if (!o || !cJSON_AddItemToArray(msgs, o))
		return cJSON_Delete(o), false;
	if (!llm_json_addstr(o, "role", role) ||
	    !llm_json_addstr(o, "content", text ? text : ""))
		return false;
	if (!m)
		return true;
	if (m->role == LLM_TOOL)
		return llm_json_addstr(o, "tool_name",
				       m->tool_name ? m->tool_name : "");
	if (m->ncalls == 0)
		return true;
	if (!(calls = cJSON_AddArrayToObject(o, "tool_calls")))
		return false;
	for (size_t i = 0; i < m->ncalls; i++)
		if (!add_call(calls, &m->calls[i]))
			return false;
	return true;
}

static int
add_messages(cJSON *doc, const struct llm_request *req)
{
	static const char *roles[] = { "user", "assistant", "tool" };
	cJSON *msgs = cJSON_AddArrayToObject(doc, "messages");

	if (!msgs || (req->system && !add_msg(msgs, "system", NULL,
					      req->system)))
		return nomem();
	for (size_t i = 0; i < req->nmsgs; i++)
		if (!add_msg(msgs, roles[req->msgs[i].role], &req->msgs[i],
			     req->msgs[i].text))
			return nomem();
	return 0;
}

/* No forcing in Ollama: the forced tool's schema shapes the content. */
static int
add_format(cJSON *doc, const struct llm_request *req)
{
	const struct llm_tool *t = llm_find_tool(req, req->force_tool);
	cJSON *schema;

	if (!t)
		return err_set(ERR_USAGE, NAME ": forced tool `%s` is not "
			       "among the request's tools", req->force_tool);
	if (!(schema = llm_json_parse(t->schema)))
		return err_set(ERR_USAGE, NAME ": tool `%s`: schema is not "
			       "JSON", t->name);
	if (!cJSON_AddItemToObject(doc, "format", schema))
		return cJSON_Delete(schema), nomem();
	return 0;
}

static int
ollama_build(const struct llm_config *cfg, const struct llm_request *req,
	     char **body)
{
	cJSON *doc = cJSON_CreateObject(), *opt;
	int rc = 0;

	*body = NULL;
	/* Ollama streams unless told not to, so `stream` is always sent. */
	if (!doc || !llm_json_addstr(doc, "model", cfg->model) ||
	    !cJSON_AddBoolToObject(doc, "stream", cfg->stream) ||
	    !(opt = cJSON_AddObjectToObject(doc, "options")) ||
	    !cJSON_AddNumberToObject(opt, "num_predict", cfg->max_output_tokens))
		rc = nomem();
	if (rc == 0)
		rc = add_messages(doc, req);
	if (rc == 0 && req->force_tool)
		rc = add_format(doc, req);
	else if (rc == 0 && req->ntools)
		rc = llm_add_function_tools(doc, req, NAME);
	if (rc == 0)
		rc = llm_json_print(doc, body);
	cJSON_Delete(doc);
	return rc;
}

static size_t
ollama_headers(const struct llm_config *cfg, struct buf *hdr)
{
	/* Plain Ollama needs no key; one behind a proxy may. */
	if (!cfg->api_key)
		return 0;
	return buf_printf(&hdr[0], "Authorization: Bearer %s", cfg->api_key) ?
	       0 : 1;
}

/* ---- replies ------------------------------------------------------------ */

static void
ollama_error(const cJSON *doc, struct llm_fault *f)
{
	const char *msg = llm_json_str(doc, "error");

	if (msg)
		snprintf(f->msg, sizeof(f->msg), "%s", msg);
}

static int
calls(struct llm_acc *a, const cJSON *arr)
{
	const cJSON *tc;

	cJSON_ArrayForEach(tc, arr) {
		const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc,
								   "function");
		const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn,
								     "arguments");
		const char *name = llm_json_str(fn, "name");
		struct llm_acc_call *c;

		if (!name)
			return err_set(LLM_ERR_PROTOCOL, NAME ": tool call "
				       "without a function name");
		if (!(c = llm_acc_call(a, -1)) || buf_adds(&c->name, name) ||
		    (args && llm_buf_addjson(&c->args, args)))
			return err_set(ERR_NOMEM, NAME ": out of memory");
	}
	return 0;
}

/* One object: a whole reply, or one NDJSON record of a stream. */
static int
record(struct llm_acc *a, const cJSON *doc, bool whole)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "message");
	const char *err = llm_json_str(doc, "error");
	const char *text = llm_json_str(m, "content");
	const char *reason = llm_json_str(doc, "done_reason");
	int rc;

	if (err)
		return llm_acc_fail(a, false, "", err);
	if (!cJSON_IsObject(m) && (whole || !cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(doc, "done"))))
		return err_set(LLM_ERR_PROTOCOL, NAME ": reply has no message");
	if (text && buf_adds(&a->text, text))
		return err_set(ERR_NOMEM, NAME ": out of memory");
	rc = calls(a, cJSON_GetObjectItemCaseSensitive(m, "tool_calls"));
	if (rc == 0 && reason)
		rc = llm_acc_stop(a, reason);
	if (cJSON_GetObjectItemCaseSensitive(doc, "prompt_eval_count"))
		a->tokens_in = llm_json_long(doc, "prompt_eval_count");
	if (cJSON_GetObjectItemCaseSensitive(doc, "eval_count"))
		a->tokens_out = llm_json_long(doc, "eval_count");
	if (whole || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "done")))
		a->done = true;
	return rc;
}

static int
ollama_parse(struct llm_acc *a, const cJSON *doc)
{
	return record(a, doc, true);
}

static int
ollama_event(struct llm_acc *a, const char *event, const char *data)
{
	cJSON *doc = cJSON_Parse(data);
	int rc;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return err_set(LLM_ERR_PROTOCOL, NAME ": stream line is not a "
			       "JSON object");
	}
	rc = record(a, doc, false);
	cJSON_Delete(doc);
	return rc;
}

const struct llm_codec llm_codec_ollama = {
	.name = NAME,
	.path = "/api/chat",
	.ndjson = true,
	.format_forcing = true,
	.build = ollama_build,
	.headers = ollama_headers,
	.parse = ollama_parse,
	.event = ollama_event,
	.error = ollama_error,
};
