/* SPDX-License-Identifier: Apache-2.0 */
/* llm_int: what the transport (llm_http.c), the stream splitter
 * (llm_stream.c) and the three codecs share; not part of the public API,
 * but the codec unit test reaches in through it. */
#ifndef VERDICT_LLM_INT_H
#define VERDICT_LLM_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/llm.h"

/* Longest provider message kept in an error, after sanitising. */
#define LLM_MSG_CAP 300

/* Why an attempt failed, before it becomes an err_set message. */
struct llm_fault {
	int code;        /* LLM_ERR_*; 0 while nothing failed */
	bool retry;      /* worth another attempt */
	long status;     /* HTTP status, 0 for stream and network faults */
	char kind[64];   /* provider's error type ("overloaded_error"), or "" */
	char msg[512];   /* provider's message, raw (sanitised later) */
};

/* A tool call being assembled, possibly from many stream fragments. */
struct llm_acc_call {
	long key;        /* OpenAI delta index, Anthropic block index, or -1 */
	struct buf id, name, args;
};

/* A reply being assembled from a whole body or from stream events. */
struct llm_acc {
	const char *provider;    /* for messages */
	const char *force_tool;  /* Ollama: content becomes this tool's args */
	struct buf text;
	struct llm_acc_call *calls;
	size_t ncalls, cap;
	char *stop;
	long tokens_in, tokens_out;
	bool done;               /* the stream's terminator was seen */
	struct llm_fault fault;  /* an error reported inside a 2xx reply */
};

void llm_acc_init(struct llm_acc *a, const char *provider,
		  const char *force_tool);
void llm_acc_dispose(struct llm_acc *a);
/* The call with key, created at the end when absent (key -1: always new).
 * NULL when out of memory. */
struct llm_acc_call *llm_acc_call(struct llm_acc *a, long key);
int llm_acc_stop(struct llm_acc *a, const char *stop);
/* Move the assembled reply into out (which the caller disposes). */
int llm_acc_finish(struct llm_acc *a, struct llm_reply *out);
/* Record a provider error met inside a reply; returns LLM_ERR_HTTP. */
int llm_acc_fail(struct llm_acc *a, bool retry, const char *kind,
		 const char *msg);

/* One provider's wire protocol. */
struct llm_codec {
	const char *name;        /* "openai" */
	const char *path;        /* appended to cfg->url */
	bool ndjson;             /* stream framing: NDJSON, else SSE */
	bool format_forcing;     /* forcing a tool means shaping the content */
	/* The request body (caller frees) for req under cfg. */
	int (*build)(const struct llm_config *cfg, const struct llm_request *req,
		     char **body);
	/* Headers beyond Content-Type, "Name: value" each, into hdr[] (at
	 * most 4); they may hold the key and are never traced as they are. */
	size_t (*headers)(const struct llm_config *cfg, struct buf *hdr);
	/* A whole (non-streamed) reply into a. */
	int (*parse)(struct llm_acc *a, const cJSON *doc);
	/* One stream event: SSE event name (NULL for NDJSON) and its data. */
	int (*event)(struct llm_acc *a, const char *event, const char *data);
	/* The provider's message and kind from an HTTP error body into f
	 * (status, code and retry are already set; this may change them). */
	void (*error)(const cJSON *doc, struct llm_fault *f);
};

extern const struct llm_codec llm_codec_openai;
extern const struct llm_codec llm_codec_anthropic;
extern const struct llm_codec llm_codec_ollama;

/* The codec of provider p (borrowed). */
const struct llm_codec *llm_codec_of(enum llm_provider p);

/* ---- helpers the codecs share (llm_stream.c) -------------------------- */

/* The tool named name in req, or NULL. */
const struct llm_tool *llm_find_tool(const struct llm_request *req,
				     const char *name);
/* Parse JSON text into a new tree; NULL when it is not JSON. */
cJSON *llm_json_parse(const char *text);
/* Add a string (NULL: JSON null) to obj; false when out of memory. */
bool llm_json_addstr(cJSON *obj, const char *key, const char *s);
/* Print doc unformatted into *out (caller frees). */
int llm_json_print(const cJSON *doc, char **out);
/* Append an item's text: a string as it is, anything else printed. */
int llm_buf_addjson(struct buf *b, const cJSON *item);
/* Tool-call arguments as an object for providers that want one: args
 * parsed, or {} when they are not a JSON object (the model's malformed
 * arguments were already answered with an error). NULL: out of memory. */
cJSON *llm_args_object(const char *args);
/* A whole number member of obj, or 0 when absent or not a number. */
long llm_json_long(const cJSON *obj, const char *key);
/* The string member of obj, or NULL. */
const char *llm_json_str(const cJSON *obj, const char *key);
/* OpenAI's and Ollama's shared `tools` array of type "function". */
int llm_add_function_tools(cJSON *doc, const struct llm_request *req,
			   const char *provider);

/* A whole reply body: parse JSON and hand it to the codec. */
int llm_parse_whole(const struct llm_codec *c, struct llm_acc *a,
		    const char *body, size_t len);

/* ---- the incremental stream parser ------------------------------------ */

/* Splits bytes into lines (LF, CRLF or a lone CR, split anywhere), then
 * into SSE events or NDJSON records for the codec. */
struct llm_stream {
	const struct llm_codec *codec;
	struct llm_acc *acc;
	struct buf line;         /* the line so far */
	bool after_cr;           /* a CR ended the last line: skip one LF */
	struct buf event;        /* SSE: the pending event name */
	struct buf data;         /* SSE: the pending data lines */
	bool has_data;
	int err;                 /* sticky: the first failure */
};

void llm_stream_init(struct llm_stream *s, const struct llm_codec *c,
		     struct llm_acc *acc);
void llm_stream_dispose(struct llm_stream *s);
/* Feed n bytes; 0 or the first error (also kept in s->err). */
int llm_stream_feed(struct llm_stream *s, const char *p, size_t n);
/* The peer finished: flush a last unterminated line and event, then
 * LLM_ERR_PROTOCOL when the stream's terminator never came. */
int llm_stream_end(struct llm_stream *s);

/* ---- errors (llm_http.c) ---------------------------------------------- */

/* Copy src into dst (size dstsz): control characters escaped, at most
 * LLM_MSG_CAP bytes kept, and every occurrence of key (when non-empty)
 * replaced by "[redacted]". */
void llm_sanitize(char *dst, size_t dstsz, const char *src, const char *key);
/* Milliseconds a Retry-After (seconds or HTTP-date) or retry-after-ms
 * header asks for, by header name; -1 when the value is unreadable. */
long llm_retry_after_ms(const char *name, const char *value);
/* The wait before retry number retry (1 for the first): backoff_ms doubled
 * each retry, capped at max_backoff_ms, less up to a quarter by rnd; or
 * hinted (the server's ask, when >= 0) capped. */
long llm_backoff_ms(const struct llm_config *cfg, int retry, long hinted,
		    unsigned long rnd);
/* Classify an HTTP error status and body into f. */
void llm_http_fault(const struct llm_codec *c, long status, const char *body,
		    size_t len, struct llm_fault *f);

#endif
