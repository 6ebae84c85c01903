/* SPDX-License-Identifier: Apache-2.0 */
/* llm_anthropic: the Anthropic Messages protocol: content blocks in
 * strictly alternating turns, whole replies and SSE events. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/llm_int.h"

#define NAME "anthropic"

static int
nomem(void)
{
	return err_set(ERR_NOMEM, NAME ": out of memory building the request");
}

/* ---- the request -------------------------------------------------------- */

static cJSON *
block(cJSON *blocks, const char *type)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(blocks, o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return llm_json_addstr(o, "type", type) ? o : NULL;
}

/* The API refuses empty text blocks, so empty prose adds nothing. */
static bool
text_block(cJSON *blocks, const char *text)
{
	cJSON *b;

	if (!text || !*text)
		return true;
	return (b = block(blocks, "text")) && llm_json_addstr(b, "text", text);
}

static bool
tool_use_block(cJSON *blocks, const struct llm_tool_call *c)
{
	cJSON *b = block(blocks, "tool_use"), *input;

	if (!b || !llm_json_addstr(b, "id", c->id) ||
	    !llm_json_addstr(b, "name", c->name))
		return false;
	if (!(input = llm_args_object(c->args)))
		return false;
	return cJSON_AddItemToObject(b, "input", input) ||
	       (cJSON_Delete(input), false);
}

static bool
tool_result_block(cJSON *blocks, const struct llm_msg *m)
{
	cJSON *b = block(blocks, "tool_result");

	return b && llm_json_addstr(b, "tool_use_id", m->call_id) &&
	       llm_json_addstr(b, "content", m->text ? m->text : "") &&
	       cJSON_AddBoolToObject(b, "is_error", m->is_error);
}

/* The blocks of one neutral message, into blocks. */
static bool
msg_blocks(cJSON *blocks, const struct llm_msg *m)
{
	if (m->role == LLM_TOOL)
		return tool_result_block(blocks, m);
	if (!text_block(blocks, m->text))
		return false;
	for (size_t i = 0; m->role == LLM_ASSISTANT && i < m->ncalls; i++)
		if (!tool_use_block(blocks, &m->calls[i]))
			return false;
	return true;
}

static bool
is_result(const cJSON *b)
{
	const char *t = llm_json_str(b, "type");

	return t && strcmp(t, "tool_result") == 0;
}

/* Move blocks into content; tool results go before any text of the turn,
 * which the API requires of a user turn answering tool calls. */
static void
merge_blocks(cJSON *content, cJSON *blocks)
{
	cJSON *b;

	while ((b = cJSON_DetachItemFromArray(blocks, 0))) {
		int at = 0;
		const cJSON *x;

		cJSON_ArrayForEach(x, content) {
			if (!is_result(x))
				break;
			at++;
		}
		if (is_result(b) && at < cJSON_GetArraySize(content))
			cJSON_InsertItemInArray(content, at, b);
		else
			cJSON_AddItemToArray(content, b);
	}
}

/* The turn the next blocks of role join: the last one when it has the
 * same role (turns must alternate), else a new one. */
static cJSON *
turn_for(cJSON *msgs, const char *role)
{
	cJSON *last = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
	const char *r = llm_json_str(last, "role");
	cJSON *t;

	if (r && strcmp(r, role) == 0)
		return cJSON_GetObjectItemCaseSensitive(last, "content");
	if (!(t = cJSON_CreateObject()) || !cJSON_AddItemToArray(msgs, t)) {
		cJSON_Delete(t);
		return NULL;
	}
	if (!llm_json_addstr(t, "role", role))
		return NULL;
	return cJSON_AddArrayToObject(t, "content");
}

static int
add_messages(cJSON *doc, const struct llm_request *req)
{
	cJSON *msgs = cJSON_AddArrayToObject(doc, "messages");
	cJSON *blocks = cJSON_CreateArray(), *content;
	int rc = msgs && blocks ? 0 : nomem();

	for (size_t i = 0; rc == 0 && i < req->nmsgs; i++) {
		const struct llm_msg *m = &req->msgs[i];
		const char *role = m->role == LLM_ASSISTANT ? "assistant" :
				   "user";

		if (!msg_blocks(blocks, m))
			rc = nomem();
		else if (cJSON_GetArraySize(blocks) == 0)
			continue;
		else if (!(content = turn_for(msgs, role)))
			rc = nomem();
		else
			merge_blocks(content, blocks);
	}
	cJSON_Delete(blocks);
	return rc;
}

static int
add_tools(cJSON *doc, const struct llm_request *req)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, "tools"), *choice;

	for (size_t i = 0; arr && i < req->ntools; i++) {
		const struct llm_tool *t = &req->tools[i];
		cJSON *o = cJSON_CreateObject(), *schema;

		if (!o || !cJSON_AddItemToArray(arr, o))
			return cJSON_Delete(o), nomem();
		if (!(schema = llm_json_parse(t->schema)))
			return err_set(ERR_USAGE, NAME ": tool `%s`: schema is "
				       "not JSON", t->name);
		if (!llm_json_addstr(o, "name", t->name) ||
		    !llm_json_addstr(o, "description", t->description) ||
		    !cJSON_AddItemToObject(o, "input_schema", schema))
			return cJSON_Delete(schema), nomem();
	}
	if (!arr || !(choice = cJSON_AddObjectToObject(doc, "tool_choice")))
		return nomem();
	if (!llm_json_addstr(choice, "type", req->force_tool ? "tool" : "auto") ||
	    (req->force_tool && !llm_json_addstr(choice, "name",
						  req->force_tool)))
		return nomem();
	return 0;
}

static int
anthropic_build(const struct llm_config *cfg, const struct llm_request *req,
		char **body)
{
	cJSON *doc = cJSON_CreateObject();
	int rc = 0;

	*body = NULL;
	if (!doc || !llm_json_addstr(doc, "model", cfg->model) ||
	    !cJSON_AddNumberToObject(doc, "max_tokens", cfg->max_output_tokens) ||
	    (req->system && !llm_json_addstr(doc, "system", req->system)) ||
	    (cfg->stream && !cJSON_AddTrueToObject(doc, "stream")))
		rc = nomem();
	if (rc == 0)
		rc = add_messages(doc, req);
	if (rc == 0 && req->ntools)
		rc = add_tools(doc, req);
	if (rc == 0)
		rc = llm_json_print(doc, body);
	cJSON_Delete(doc);
	return rc;
}

static size_t
anthropic_headers(const struct llm_config *cfg, struct buf *hdr)
{
	size_t n = 0;

	if (buf_adds(&hdr[n], "anthropic-version: 2023-06-01") == 0)
		n++;
	if (cfg->api_key &&
	    buf_printf(&hdr[n], "x-api-key: %s", cfg->api_key) == 0)
		n++;
	return n;
}

/* ---- replies ------------------------------------------------------------ */

/* Overload and internal errors pass; a spent credit balance never will. */
static void
error_fields(const cJSON *err, struct llm_fault *f)
{
	const char *type = llm_json_str(err, "type");
	const char *msg = llm_json_str(err, "message");

	snprintf(f->kind, sizeof(f->kind), "%s", type ? type : "");
	snprintf(f->msg, sizeof(f->msg), "%s", msg ? msg : "(no message)");
	if (type && (strcmp(type, "overloaded_error") == 0 ||
		     strcmp(type, "api_error") == 0))
		f->retry = true;
	if ((type && strcmp(type, "billing_error") == 0) ||
	    (msg && strcasestr(msg, "credit balance"))) {
		f->code = LLM_ERR_QUOTA;
		f->retry = false;
	}
}

static void
anthropic_error(const cJSON *doc, struct llm_fault *f)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(doc, "error");

	if (cJSON_IsObject(err))
		error_fields(err, f);
}

static int
reply_error(struct llm_acc *a, const cJSON *doc)
{
	llm_acc_fail(a, false, NULL, NULL);
	error_fields(cJSON_GetObjectItemCaseSensitive(doc, "error"), &a->fault);
	return LLM_ERR_HTTP;
}

static void
usage(struct llm_acc *a, const cJSON *u)
{
	if (cJSON_GetObjectItemCaseSensitive(u, "input_tokens"))
		a->tokens_in = llm_json_long(u, "input_tokens");
	if (cJSON_GetObjectItemCaseSensitive(u, "output_tokens"))
		a->tokens_out = llm_json_long(u, "output_tokens");
}

static int
stop_reason(struct llm_acc *a, const cJSON *obj)
{
	const char *r = llm_json_str(obj, "stop_reason");

	return r ? llm_acc_stop(a, r) : 0;
}

/* A content block, whole or as it starts a stream; key is its index. */
static int
content_block(struct llm_acc *a, const cJSON *b, long key, bool whole)
{
	const char *type = llm_json_str(b, "type");
	const char *id = llm_json_str(b, "id"), *name = llm_json_str(b, "name");
	const char *text = llm_json_str(b, "text");
	const cJSON *input = cJSON_GetObjectItemCaseSensitive(b, "input");
	struct llm_acc_call *c;

	if (!type)
		return err_set(LLM_ERR_PROTOCOL, NAME ": content block without "
			       "a type");
	if (strcmp(type, "text") == 0)
		return text && buf_adds(&a->text, text) ?
		       err_set(ERR_NOMEM, NAME ": out of memory") : 0;
	if (strcmp(type, "tool_use") != 0)
		return 0; /* thinking and later block kinds carry no answer */
	if (!id || !name)
		return err_set(LLM_ERR_PROTOCOL, NAME ": tool_use block without "
			       "id or name");
	/* A stream sends the input empty here and in pieces later. */
	if (!(c = llm_acc_call(a, key)) || buf_adds(&c->id, id) ||
	    buf_adds(&c->name, name) ||
	    (whole && input && llm_buf_addjson(&c->args, input)))
		return err_set(ERR_NOMEM, NAME ": out of memory");
	return 0;
}

static int
anthropic_parse(struct llm_acc *a, const cJSON *doc)
{
	const char *type = llm_json_str(doc, "type");
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(doc, "content");
	const cJSON *b;
	int rc;

	if (type && strcmp(type, "error") == 0)
		return reply_error(a, doc);
	if (!cJSON_IsArray(content))
		return err_set(LLM_ERR_PROTOCOL, NAME ": reply has no content");
	cJSON_ArrayForEach(b, content)
		if ((rc = content_block(a, b, -1, true)) < 0)
			return rc;
	usage(a, cJSON_GetObjectItemCaseSensitive(doc, "usage"));
	a->done = true;
	return stop_reason(a, doc);
}

/* ---- stream events, one handler per event type -------------------------- */

static int
ev_message_start(struct llm_acc *a, const cJSON *ev)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(ev, "message");

	usage(a, cJSON_GetObjectItemCaseSensitive(m, "usage"));
	return 0;
}

static long
index_of(const cJSON *ev)
{
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(ev, "index");

	return cJSON_IsNumber(i) && i->valuedouble >= 0 ? (long)i->valuedouble :
	       -2;
}

static int
ev_block_start(struct llm_acc *a, const cJSON *ev)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(ev, "content_block");

	if (index_of(ev) < 0 || !cJSON_IsObject(b))
		return err_set(LLM_ERR_PROTOCOL, NAME ": content_block_start "
			       "without index or block");
	return content_block(a, b, index_of(ev), false);
}

static int
ev_block_delta(struct llm_acc *a, const cJSON *ev)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "delta");
	const char *type = llm_json_str(d, "type");
	const char *text = llm_json_str(d, "text");
	const char *part = llm_json_str(d, "partial_json");
	long key = index_of(ev);
	struct llm_acc_call *c = NULL;

	if (!type || key < 0)
		return err_set(LLM_ERR_PROTOCOL, NAME ": content_block_delta "
			       "without index or type");
	if (strcmp(type, "text_delta") == 0)
		return text && buf_adds(&a->text, text) ?
		       err_set(ERR_NOMEM, NAME ": out of memory") : 0;
	if (strcmp(type, "input_json_delta") != 0 || !part)
		return 0;
	for (size_t i = 0; i < a->ncalls && !c; i++)
		if (a->calls[i].key == key)
			c = &a->calls[i];
	if (!c)
		return err_set(LLM_ERR_PROTOCOL, NAME ": input_json_delta for "
			       "block %ld, which is no tool_use", key);
	return buf_adds(&c->args, part) ?
	       err_set(ERR_NOMEM, NAME ": out of memory") : 0;
}

static int
ev_message_delta(struct llm_acc *a, const cJSON *ev)
{
	usage(a, cJSON_GetObjectItemCaseSensitive(ev, "usage"));
	return stop_reason(a, cJSON_GetObjectItemCaseSensitive(ev, "delta"));
}

static int
ev_message_stop(struct llm_acc *a, const cJSON *ev)
{
	a->done = true;
	return 0;
}

static int
ev_ignore(struct llm_acc *a, const cJSON *ev)
{
	return 0;
}

static const struct {
	const char *type;
	int (*fn)(struct llm_acc *a, const cJSON *ev);
} events[] = {
	{ "message_start", ev_message_start },
	{ "content_block_start", ev_block_start },
	{ "content_block_delta", ev_block_delta },
	{ "content_block_stop", ev_ignore },
	{ "message_delta", ev_message_delta },
	{ "message_stop", ev_message_stop },
	{ "ping", ev_ignore },
	{ "error", reply_error },
};

static int
anthropic_event(struct llm_acc *a, const char *event, const char *data)
{
	cJSON *doc = cJSON_Parse(data);
	const char *type = llm_json_str(doc, "type");
	int rc = 0;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return err_set(LLM_ERR_PROTOCOL, NAME ": stream event `%.40s` "
			       "is not a JSON object", event ? event : "");
	}
	/* The data names its type; the event line is a copy of it. */
	if (!type)
		type = event ? event : "";
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (strcmp(events[i].type, type) == 0) {
			rc = events[i].fn(a, doc);
			break;
		}
	cJSON_Delete(doc);
	return rc;
}

const struct llm_codec llm_codec_anthropic = {
	.name = NAME,
	.path = "/v1/messages",
	.ndjson = false,
	.build = anthropic_build,
	.headers = anthropic_headers,
	.parse = anthropic_parse,
	.event = anthropic_event,
	.error = anthropic_error,
};
