/* SPDX-License-Identifier: Apache-2.0 */
/* llm: a chat model behind one of three wire protocols (OpenAI-compatible
 * chat completions, Anthropic Messages, Ollama chat), reached over libcurl.
 * The agent loop (core/llm_agent.c) speaks only the neutral conversation
 * below; each provider file turns it into its own JSON and back. */
#ifndef VERDICT_LLM_H
#define VERDICT_LLM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes of this module, beyond core/error.h's table. */
enum llm_err {
	LLM_ERR_HTTP = -40,     /* the provider answered with an error status */
	LLM_ERR_NET = -41,      /* connect, TLS, timeout or dropped connection */
	LLM_ERR_QUOTA = -42,    /* quota or credit exhausted: never retried */
	LLM_ERR_PROTOCOL = -43, /* a reply that breaks the wire protocol */
	LLM_ERR_CANCELLED = -44,/* the analyst cancelled */
	LLM_ERR_CONFIG = -45,   /* no provider, bad config or unsafe key file */
	LLM_ERR_DEADLINE = -46, /* the caller's deadline passed mid-request */
};

enum llm_provider {
	LLM_OPENAI,     /* POST {base}/chat/completions */
	LLM_ANTHROPIC,  /* POST {base}/v1/messages */
	LLM_OLLAMA,     /* POST {base}/api/chat */
	LLM_PROVIDER_COUNT
};

/* Everything needed to reach a model; llm_config_load fills it. */
struct llm_config {
	enum llm_provider provider;
	char *url;            /* base URL, e.g. https://api.openai.com/v1 */
	char *model;
	char *api_key;        /* NULL when the provider needs none (Ollama) */
	char *ca_file;        /* extra CA bundle, or NULL for the system's */
	bool stream;          /* SSE / NDJSON replies (default true) */
	long connect_timeout_s;  /* default 10 */
	long low_speed_time_s;   /* abort below 1 byte/s for this long (30) */
	long request_timeout_s;  /* one request, whole (120) */
	int max_retries;         /* on 429, 5xx, overload, network (4) */
	long backoff_ms;         /* first backoff, doubled each time (500) */
	long max_backoff_ms;     /* cap, also on Retry-After (30000) */
	int max_output_tokens;   /* per reply (2048) */
	/* budgets of one investigation */
	int max_steps;           /* tool calls (12) */
	long max_tokens;         /* input + output over all requests (100000) */
	long max_seconds;        /* wall time (180) */
	char *source;            /* where the config came from, for messages */
	char *key_file;          /* api_key_file as configured, or NULL */
};

/* Fill cfg from $XDG_CONFIG_HOME/verdict/config (else ~/.config/verdict/
 * config), then the environment (VERDICT_LLM_*), which wins. The key comes
 * from VERDICT_LLM_API_KEY, the provider's usual variable
 * (OPENAI_API_KEY, ANTHROPIC_API_KEY), or `api_key_file`, which must be a
 * regular file owned by the user with no group or other permissions.
 * Returns LLM_ERR_CONFIG with a message naming file and line when nothing
 * is configured or a setting is bad. llm_config_dispose wipes the key. */
int llm_config_load(struct llm_config *cfg);
void llm_config_init(struct llm_config *cfg);
void llm_config_dispose(struct llm_config *cfg);
/* "openai", "anthropic", "ollama"; borrowed. */
const char *llm_provider_name(enum llm_provider p);
int llm_provider_parse(const char *name, enum llm_provider *out);

/* ---- the neutral conversation ------------------------------------------ */

struct llm_tool_call {
	char *id;        /* provider's id; made up for Ollama, which has none */
	char *name;
	char *args;      /* JSON text as received; may be malformed */
};

enum llm_role { LLM_USER, LLM_ASSISTANT, LLM_TOOL };

struct llm_msg {
	enum llm_role role;
	char *text;                  /* may be NULL for a tool-call-only turn */
	struct llm_tool_call *calls; /* assistant turns only */
	size_t ncalls;
	char *call_id;               /* LLM_TOOL: the call answered */
	char *tool_name;             /* LLM_TOOL: its tool (Ollama needs it) */
	bool is_error;               /* LLM_TOOL: the result is an error */
};

struct llm_tool {
	const char *name;
	const char *description;
	const char *schema;          /* JSON Schema of the arguments (object) */
};

struct llm_request {
	const char *system;
	const struct llm_msg *msgs;
	size_t nmsgs;
	const struct llm_tool *tools;
	size_t ntools;
	/* NULL: the model may call any tool or answer. Otherwise it must call
	 * this tool (OpenAI and Anthropic force it; Ollama has no forcing, so
	 * the tool's schema goes in `format` and the reply's JSON content is
	 * read as that call's arguments). */
	const char *force_tool;
};

struct llm_reply {
	char *text;                  /* assistant prose, or NULL */
	struct llm_tool_call *calls;
	size_t ncalls;
	char *stop;                  /* provider's stop/finish reason */
	long tokens_in, tokens_out;  /* as reported; 0 when not */
	int attempts;                /* requests made, retries included */
	double latency_ms;           /* all attempts, backoff included */
};
void llm_reply_dispose(struct llm_reply *r);

/* Progress and cancel: on_bytes may be NULL; *cancel is polled while a
 * request runs and during backoff. */
struct llm_hooks {
	volatile sig_atomic_t *cancel;
	double deadline_ms;   /* CLOCK_MONOTONIC ms: give up, retries
			       * included, once past it (0: no deadline) */
	void (*on_progress)(void *ctx, const char *what);
	void *ctx;
};

/* One request and its reply, with retries on 429, 5xx, overload and
 * network errors (honouring Retry-After), none on exhausted quota. Errors
 * are LLM_ERR_* with a message that never contains the key. */
int llm_chat(const struct llm_config *cfg, const struct llm_request *req,
	     const struct llm_hooks *hooks, struct llm_reply *out);

#endif
