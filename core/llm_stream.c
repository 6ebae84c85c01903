/* SPDX-License-Identifier: Apache-2.0 */
/* llm_stream: assembling a reply from a whole body or from stream events,
 * and the incremental splitter that turns bytes (split at any byte) into
 * SSE events or NDJSON records for a codec. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/llm_int.h"

/* No line of a reply is longer than this: a peer sending more is broken. */
#define LINE_MAX_BYTES (16u << 20)

/* ---- the reply accumulator ---------------------------------------------- */

void
llm_acc_init(struct llm_acc *a, const char *provider, const char *force_tool)
{
	memset(a, 0, sizeof(*a));
	a->provider = provider;
	a->force_tool = force_tool;
	buf_init(&a->text);
}

void
llm_acc_dispose(struct llm_acc *a)
{
	if (!a)
		return;
	buf_dispose(&a->text);
	for (size_t i = 0; i < a->ncalls; i++) {
		buf_dispose(&a->calls[i].id);
		buf_dispose(&a->calls[i].name);
		buf_dispose(&a->calls[i].args);
	}
	free(a->calls);
	free(a->stop);
	a->calls = NULL;
	a->stop = NULL;
	a->ncalls = a->cap = 0;
}

struct llm_acc_call *
llm_acc_call(struct llm_acc *a, long key)
{
	struct llm_acc_call *c;

	for (size_t i = 0; key >= 0 && i < a->ncalls; i++)
		if (a->calls[i].key == key)
			return &a->calls[i];
	if (a->ncalls == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 4;
		void *p = realloc(a->calls, cap * sizeof(*a->calls));

		if (!p)
			return NULL;
		a->calls = p;
		a->cap = cap;
	}
	c = &a->calls[a->ncalls++];
	c->key = key;
	buf_init(&c->id);
	buf_init(&c->name);
	buf_init(&c->args);
	return c;
}

int
llm_acc_stop(struct llm_acc *a, const char *stop)
{
	char *s = strdup(stop);

	if (!s)
		return err_set(ERR_NOMEM, "%s: out of memory", a->provider);
	free(a->stop);
	a->stop = s;
	return 0;
}

int
llm_acc_fail(struct llm_acc *a, bool retry, const char *kind, const char *msg)
{
	a->fault.code = LLM_ERR_HTTP;
	a->fault.retry = retry;
	snprintf(a->fault.kind, sizeof(a->fault.kind), "%s", kind ? kind : "");
	snprintf(a->fault.msg, sizeof(a->fault.msg), "%s",
		 msg ? msg : "(no message)");
	return err_set(LLM_ERR_HTTP, "%s: error in reply", a->provider);
}

/* A buffer's text as a new string, "" when it never grew. */
static char *
take(struct buf *b, const char *empty)
{
	if (b->len == 0) {
		buf_dispose(b);
		return strdup(empty);
	}
	return buf_detach(b);
}

/* Ollama has no forcing: the content it was told to shape is the call. */
static int
content_as_call(struct llm_acc *a)
{
	struct llm_acc_call *c;

	if (!a->force_tool || a->ncalls > 0 || a->text.len == 0)
		return 0;
	if (!(c = llm_acc_call(a, -1)) || buf_adds(&c->name, a->force_tool) ||
	    buf_add(&c->args, a->text.data, a->text.len))
		return err_set(ERR_NOMEM, "%s: out of memory", a->provider);
	buf_reset(&a->text);
	return 0;
}

int
llm_acc_finish(struct llm_acc *a, struct llm_reply *out)
{
	int rc;

	if ((rc = content_as_call(a)) < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	if (a->ncalls && !(out->calls = calloc(a->ncalls, sizeof(*out->calls))))
		return err_set(ERR_NOMEM, "%s: out of memory", a->provider);
	for (size_t i = 0; i < a->ncalls; i++) {
		struct llm_tool_call *t = &out->calls[i];
		char made[32];

		/* Ollama gives no ids; the agent needs one to answer. */
		snprintf(made, sizeof(made), "call_%zu", i + 1);
		t->id = take(&a->calls[i].id, made);
		t->name = take(&a->calls[i].name, "");
		t->args = take(&a->calls[i].args, "{}");
		out->ncalls++;
		if (!t->id || !t->name || !t->args)
			goto nomem;
	}
	if (a->text.len && !(out->text = buf_detach(&a->text)))
		goto nomem;
	out->stop = a->stop;
	a->stop = NULL;
	out->tokens_in = a->tokens_in;
	out->tokens_out = a->tokens_out;
	return 0;
nomem:
	llm_reply_dispose(out);
	return err_set(ERR_NOMEM, "%s: out of memory", a->provider);
}

/* ---- the neutral types' disposal ---------------------------------------- */

static void
calls_free(struct llm_tool_call *calls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(calls[i].id);
		free(calls[i].name);
		free(calls[i].args);
	}
	free(calls);
}

void
llm_reply_dispose(struct llm_reply *r)
{
	if (!r)
		return;
	free(r->text);
	calls_free(r->calls, r->ncalls);
	free(r->stop);
	memset(r, 0, sizeof(*r));
}

/* ---- JSON helpers ------------------------------------------------------- */

const struct llm_tool *
llm_find_tool(const struct llm_request *req, const char *name)
{
	for (size_t i = 0; name && i < req->ntools; i++)
		if (strcmp(req->tools[i].name, name) == 0)
			return &req->tools[i];
	return NULL;
}

cJSON *
llm_json_parse(const char *text)
{
	return text ? cJSON_Parse(text) : NULL;
}

bool
llm_json_addstr(cJSON *obj, const char *key, const char *s)
{
	if (!s)
		return cJSON_AddNullToObject(obj, key) != NULL;
	return cJSON_AddStringToObject(obj, key, s) != NULL;
}

int
llm_json_print(const cJSON *doc, char **out)
{
	*out = cJSON_PrintUnformatted(doc);
	if (!*out)
		return err_set(ERR_NOMEM, "llm: out of memory printing JSON");
	return 0;
}

int
llm_buf_addjson(struct buf *b, const cJSON *item)
{
	char *s;
	int rc;

	if (cJSON_IsString(item))
		return buf_adds(b, item->valuestring);
	if (!(s = cJSON_PrintUnformatted(item)))
		return err_set(ERR_NOMEM, "llm: out of memory printing JSON");
	rc = buf_adds(b, s);
	cJSON_free(s);
	return rc;
}

cJSON *
llm_args_object(const char *args)
{
	cJSON *o = llm_json_parse(args);

	if (cJSON_IsObject(o))
		return o;
	cJSON_Delete(o);
	return cJSON_CreateObject();
}

long
llm_json_long(const cJSON *obj, const char *key)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 1e15)
		return 0;
	return (long)n->valuedouble;
}

const char *
llm_json_str(const cJSON *obj, const char *key)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(s) ? s->valuestring : NULL;
}

int
llm_parse_whole(const struct llm_codec *c, struct llm_acc *a,
		const char *body, size_t len)
{
	cJSON *doc = cJSON_ParseWithLength(body, len);
	int rc;

	if (!doc || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return err_set(LLM_ERR_PROTOCOL, "%s: reply is not a JSON object",
			       c->name);
	}
	rc = c->parse(a, doc);
	cJSON_Delete(doc);
	return rc;
}

/* ---- the stream splitter ------------------------------------------------ */

void
llm_stream_init(struct llm_stream *s, const struct llm_codec *c,
		struct llm_acc *acc)
{
	memset(s, 0, sizeof(*s));
	s->codec = c;
	s->acc = acc;
	buf_init(&s->line);
	buf_init(&s->event);
	buf_init(&s->data);
}

void
llm_stream_dispose(struct llm_stream *s)
{
	if (!s)
		return;
	buf_dispose(&s->line);
	buf_dispose(&s->event);
	buf_dispose(&s->data);
}

/* An SSE event is complete (blank line): hand it over, start the next. */
static int
sse_dispatch(struct llm_stream *s)
{
	int rc = 0;

	if (s->has_data)
		rc = s->codec->event(s->acc, s->event.len ? s->event.data : "",
				     s->data.data ? s->data.data : "");
	buf_reset(&s->event);
	buf_reset(&s->data);
	s->has_data = false;
	return rc;
}

/* One SSE line: a field, a comment, or the blank line ending an event. */
static int
sse_line(struct llm_stream *s, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t nlen = colon ? (size_t)(colon - line) : len;
	const char *val = colon ? colon + 1 : line + len;
	size_t vlen = len - (size_t)(val - line);

	if (len == 0)
		return sse_dispatch(s);
	if (nlen == 0)
		return 0; /* comment, e.g. a keep-alive */
	if (vlen && *val == ' ')
		val++, vlen--;
	if (nlen == 5 && memcmp(line, "event", 5) == 0) {
		buf_reset(&s->event);
		return buf_add(&s->event, val, vlen);
	}
	if (nlen == 4 && memcmp(line, "data", 4) == 0) {
		if (s->has_data && buf_addc(&s->data, '\n'))
			return ERR_NOMEM;
		s->has_data = true;
		return buf_add(&s->data, val, vlen);
	}
	return 0; /* id:, retry: and unknown fields mean nothing here */
}

static int
ndjson_line(struct llm_stream *s, const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len)
		return 0;
	return s->codec->event(s->acc, NULL, line);
}

static int
emit_line(struct llm_stream *s)
{
	const char *line;
	int rc;

	if (buf_adds(&s->line, ""))
		return err_set(ERR_NOMEM, "%s: out of memory", s->codec->name);
	line = s->line.data;
	rc = s->codec->ndjson ? ndjson_line(s, line, s->line.len) :
	     sse_line(s, line, s->line.len);
	if (rc == ERR_NOMEM)
		rc = err_set(ERR_NOMEM, "%s: out of memory", s->codec->name);
	buf_reset(&s->line);
	return rc;
}

/* Bytes of p up to the first CR or LF. */
static size_t
span_text(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] != '\r' && p[i] != '\n')
		i++;
	return i;
}

int
llm_stream_feed(struct llm_stream *s, const char *p, size_t n)
{
	while (n > 0 && s->err == 0) {
		size_t k;

		if (s->after_cr && *p == '\n') {
			s->after_cr = false;
			p++, n--;
			continue;
		}
		s->after_cr = false;
		k = span_text(p, n);
		if (s->line.len + k > LINE_MAX_BYTES)
			s->err = err_set(LLM_ERR_PROTOCOL, "%s: stream line "
					 "over %u bytes", s->codec->name,
					 LINE_MAX_BYTES);
		else if (buf_add(&s->line, p, k))
			s->err = err_set(ERR_NOMEM, "%s: out of memory",
					 s->codec->name);
		if (s->err || k == n)
			break;
		s->after_cr = p[k] == '\r';
		p += k + 1, n -= k + 1;
		s->err = emit_line(s);
	}
	return s->err;
}

int
llm_stream_end(struct llm_stream *s)
{
	if (s->err)
		return s->err;
	if (s->line.len && (s->err = emit_line(s)))
		return s->err;
	if (!s->codec->ndjson && (s->err = sse_dispatch(s)))
		return s->err;
	if (!s->acc->done)
		s->err = err_set(LLM_ERR_PROTOCOL, "%s: the stream ended before "
				 "its end marker", s->codec->name);
	return s->err;
}
