/* SPDX-License-Identifier: Apache-2.0 */
/* llm_http: llm_chat over libcurl: one request through a provider's codec,
 * with timeouts, retries with backoff (Retry-After honoured), cancel,
 * progress, and a debug trace that never shows the key. */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "core/error.h"
#include "core/llm_int.h"
#include "core/trace.h"

#define BODY_MAX (32u << 20)      /* a whole reply larger than this is broken */
#define ERROR_BODY_MAX (64u << 10) /* enough of an error body for its message */
#define TRACE_BODY_MAX 4000        /* bytes of a body shown in the trace */
#define SLEEP_SLICE_MS 50          /* how often backoff looks at cancel */
#define PROGRESS_MS 250            /* at most this often "receiving ..." */

/* ---- codecs and small helpers ------------------------------------------- */

static const struct llm_codec *const codecs[LLM_PROVIDER_COUNT] = {
	[LLM_OPENAI] = &llm_codec_openai,
	[LLM_ANTHROPIC] = &llm_codec_anthropic,
	[LLM_OLLAMA] = &llm_codec_ollama,
};

const struct llm_codec *
llm_codec_of(enum llm_provider p)
{
	return (unsigned)p < LLM_PROVIDER_COUNT ? codecs[p] : NULL;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
progress(const struct llm_hooks *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
progress(const struct llm_hooks *h, const char *fmt, ...)
{
	char line[160];
	va_list ap;

	if (!h || !h->on_progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->on_progress(h->ctx, line);
}

static bool
cancelled(const struct llm_hooks *h)
{
	return h && h->cancel && *h->cancel;
}

void
llm_sanitize(char *dst, size_t dstsz, const char *src, const char *key)
{
	size_t klen = key ? strlen(key) : 0, o = 0, kept = 0;
	static const char redacted[] = "[redacted]";

	for (const char *p = src; *p && kept < LLM_MSG_CAP && o + 12 < dstsz;) {
		unsigned char ch = (unsigned char)*p;

		if (klen && strncmp(p, key, klen) == 0) {
			o += (size_t)snprintf(dst + o, dstsz - o, "%s", redacted);
			p += klen, kept += klen;
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(dst + o, dstsz - o, "\\x%02x", ch);
			p++, kept++;
		} else {
			dst[o++] = (char)ch;
			p++, kept++;
		}
	}
	if (dstsz)
		dst[o < dstsz ? o : dstsz - 1] = '\0';
}

/* ---- classifying failures ----------------------------------------------- */

/* Statuses worth another attempt: timeouts, conflicts, rate limits,
 * server errors and Anthropic's overload. */
static const long retry_status[] = { 408, 409, 429, 500, 502, 503, 504, 529 };

static bool
status_retries(long status)
{
	for (size_t i = 0; i < sizeof(retry_status) / sizeof(*retry_status); i++)
		if (retry_status[i] == status)
			return true;
	return false;
}

void
llm_http_fault(const struct llm_codec *c, long status, const char *body,
	       size_t len, struct llm_fault *f)
{
	cJSON *doc = body ? cJSON_ParseWithLength(body, len) : NULL;

	memset(f, 0, sizeof(*f));
	f->code = LLM_ERR_HTTP;
	f->status = status;
	f->retry = status_retries(status);
	if (cJSON_IsObject(doc))
		c->error(doc, f);
	if (!f->msg[0])
		snprintf(f->msg, sizeof(f->msg), "%.*s",
			 (int)(len < 300 ? len : 300), body ? body : "");
	if (!f->msg[0])
		snprintf(f->msg, sizeof(f->msg), "(empty body)");
	cJSON_Delete(doc);
}

/* Network failures worth another attempt. */
static const CURLcode retry_curl[] = {
	CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_PARTIAL_FILE,
	CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2,
	CURLE_HTTP2_STREAM, CURLE_SSL_CONNECT_ERROR,
};

/* Failures that no network can cure: the configured URL or CA file. */
static const CURLcode config_curl[] = {
	CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_SSL_CACERT_BADFILE,
};

static void
net_fault(const struct llm_codec *c, CURLcode cc, const char *errbuf,
	  struct llm_fault *f)
{
	memset(f, 0, sizeof(*f));
	f->code = LLM_ERR_NET;
	for (size_t i = 0; i < sizeof(retry_curl) / sizeof(*retry_curl); i++)
		if (retry_curl[i] == cc)
			f->retry = true;
	for (size_t i = 0; i < sizeof(config_curl) / sizeof(*config_curl); i++)
		if (config_curl[i] == cc)
			f->code = LLM_ERR_CONFIG;
	snprintf(f->msg, sizeof(f->msg), "%s: %s", c->name,
		 errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

/* A failure whose message err_set already wrote in full. */
static void
final_fault(int code, struct llm_fault *f)
{
	memset(f, 0, sizeof(*f));
	f->code = code;
	snprintf(f->msg, sizeof(f->msg), "%s", err_msg());
}

/* The one line the caller sees, key redacted. */
static int
fault_raise(const struct llm_codec *c, const struct llm_fault *f,
	    const char *key)
{
	char clean[LLM_MSG_CAP * 4 + 16];

	llm_sanitize(clean, sizeof(clean), f->msg, key);
	if (f->status)
		return err_set(f->code, "%s: HTTP %ld: %s", c->name, f->status,
			       clean);
	if (f->code == LLM_ERR_HTTP || f->code == LLM_ERR_QUOTA)
		return err_set(f->code, "%s: %s: %s", c->name,
			       f->kind[0] ? f->kind : "error", clean);
	return err_set(f->code, "%s", clean);
}

/* ---- backoff ------------------------------------------------------------ */

long
llm_retry_after_ms(const char *name, const char *value)
{
	char *end;
	double v;
	time_t when;

	while (*value == ' ' || *value == '\t')
		value++;
	v = strtod(value, &end);
	if (strcasecmp(name, "retry-after-ms") == 0)
		return end != value && v >= 0 && v < 1e9 ? (long)v : -1;
	if (end != value && v >= 0 && v < 1e6)
		return (long)(v * 1000);
	/* Otherwise an HTTP-date. */
	if ((when = curl_getdate(value, NULL)) < 0)
		return -1;
	return when > time(NULL) ? (long)(when - time(NULL)) * 1000 : 0;
}

long
llm_backoff_ms(const struct llm_config *cfg, int retry, long hinted,
	       unsigned long rnd)
{
	long cap = cfg->max_backoff_ms > 0 ? cfg->max_backoff_ms : 30000;
	long d = cfg->backoff_ms > 0 ? cfg->backoff_ms : 0;

	if (hinted >= 0)
		return hinted < cap ? hinted : cap;
	for (int i = 1; i < retry && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* Up to a quarter off, so clients that failed together spread out. */
	return d - (long)(rnd % (unsigned long)(d / 4 + 1));
}

static unsigned long
jitter_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_nsec * 2654435761ul ^
	       (unsigned long)ts.tv_sec;
}

/* Sleep ms in slices; LLM_ERR_CANCELLED when the analyst cancels. */
static int
sleep_ms(long ms, const struct llm_hooks *h, const char *name)
{
	while (ms > 0) {
		long slice = ms < SLEEP_SLICE_MS ? ms : SLEEP_SLICE_MS;
		struct timespec ts = { 0, slice * 1000000L };

		if (cancelled(h))
			break;
		nanosleep(&ts, NULL);
		ms -= slice;
	}
	return cancelled(h) ? err_set(LLM_ERR_CANCELLED, "%s: cancelled",
				       name) : 0;
}

/* ---- one transfer ------------------------------------------------------- */

struct xfer {
	const struct llm_codec *codec;
	const struct llm_config *cfg;
	const struct llm_hooks *hooks;
	CURL *curl;
	bool started;          /* the first body byte arrived */
	bool ok;               /* 2xx status */
	bool streaming;        /* body goes through the stream parser */
	struct buf body;       /* whole reply or error body */
	struct llm_acc acc;
	struct llm_stream stream;
	int cb_err;            /* failure raised inside a callback */
	long after_s_ms;       /* Retry-After, in ms; -1 when absent */
	long after_ms;         /* retry-after-ms; -1 when absent */
	size_t received;
	bool deadline_hit;     /* the caller's deadline stopped the transfer */
	double last_progress;
	char errbuf[CURL_ERROR_SIZE];
};

static bool
past_deadline(const struct llm_hooks *h)
{
	return h && h->deadline_ms > 0 && now_ms() >= h->deadline_ms;
}

static void
xfer_reset(struct xfer *x, const struct llm_request *req)
{
	llm_stream_dispose(&x->stream);
	llm_acc_dispose(&x->acc);
	buf_reset(&x->body);
	llm_acc_init(&x->acc, x->codec->name,
		     x->codec->format_forcing ? req->force_tool : NULL);
	llm_stream_init(&x->stream, x->codec, &x->acc);
	x->started = x->ok = x->streaming = false;
	x->cb_err = 0;
	x->after_s_ms = x->after_ms = -1;
	x->received = 0;
	x->deadline_hit = false;
	x->last_progress = 0;
	x->errbuf[0] = '\0';
}

/* The status is known at the first body byte: decide where bytes go. A
 * server that answers a stream request with plain JSON is read whole. */
static void
body_starts(struct xfer *x)
{
	long status = 0;
	char *ct = NULL;

	x->started = true;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->curl, CURLINFO_CONTENT_TYPE, &ct);
	x->ok = status >= 200 && status < 300;
	x->streaming = x->ok && x->cfg->stream &&
		       !(ct && strncasecmp(ct, "application/json", 16) == 0);
}

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n, cap;

	if (!x->started)
		body_starts(x);
	x->received += len;
	if (x->streaming) {
		if (x->received > BODY_MAX) {
			x->cb_err = err_set(LLM_ERR_PROTOCOL, "%s: reply over "
					    "%u bytes", x->codec->name, BODY_MAX);
			return 0;
		}
		if (llm_stream_feed(&x->stream, p, len) < 0) {
			x->cb_err = x->stream.err;
			return 0;
		}
		return len;
	}
	cap = x->ok ? BODY_MAX : ERROR_BODY_MAX;
	if (x->body.len + len > cap) {
		if (!x->ok)
			return len; /* the start says enough */
		x->cb_err = err_set(LLM_ERR_PROTOCOL, "%s: reply over %u bytes",
				    x->codec->name, BODY_MAX);
		return 0;
	}
	if (buf_add(&x->body, p, len)) {
		x->cb_err = err_set(ERR_NOMEM, "%s: out of memory",
				    x->codec->name);
		return 0;
	}
	return len;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n, nlen;
	const char *colon = memchr(p, ':', len);
	char name[32], value[128];

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		x->after_s_ms = x->after_ms = -1; /* a new response begins */
		return len;
	}
	if (!colon || (nlen = (size_t)(colon - p)) >= sizeof(name))
		return len;
	memcpy(name, p, nlen);
	name[nlen] = '\0';
	snprintf(value, sizeof(value), "%.*s", (int)(len - nlen - 1), colon + 1);
	value[strcspn(value, "\r\n")] = '\0';
	if (strcasecmp(name, "retry-after-ms") == 0)
		x->after_ms = llm_retry_after_ms(name, value);
	else if (strcasecmp(name, "retry-after") == 0)
		x->after_s_ms = llm_retry_after_ms(name, value);
	return len;
}

static void
size_text(char *dst, size_t n, double bytes)
{
	if (bytes < 1000)
		snprintf(dst, n, "%.0f B", bytes);
	else if (bytes < 1e6)
		snprintf(dst, n, "%.1f kB", bytes / 1e3);
	else
		snprintf(dst, n, "%.1f MB", bytes / 1e6);
}

static int
on_xferinfo(void *ud, curl_off_t dltotal, curl_off_t dlnow,
	    curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = ud;
	double t = now_ms();
	char size[32];

	if (cancelled(x->hooks))
		return 1;
	if (past_deadline(x->hooks)) {
		x->deadline_hit = true;
		return 1;
	}
	if (dlnow > 0 && t - x->last_progress >= PROGRESS_MS) {
		x->last_progress = t;
		size_text(size, sizeof(size), (double)dlnow);
		progress(x->hooks, "receiving (%s)", size);
	}
	return 0;
}

/* ---- the debug trace ---------------------------------------------------- */

static const char *const secret_headers[] = {
	"authorization:", "proxy-authorization:", "x-api-key:",
};

static void
trace_header_line(char dir, const char *line, size_t len, const char *key)
{
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	for (size_t i = 0; i < sizeof(secret_headers) / sizeof(*secret_headers);
	     i++) {
		size_t n = strlen(secret_headers[i]);

		if (len >= n && strncasecmp(line, secret_headers[i], n) == 0) {
			trace(TRACE_DEBUG, "http %c %.*s [redacted]", dir,
			      (int)n, line);
			return;
		}
	}
	if (key && *key && memmem(line, len, key, strlen(key)))
		trace(TRACE_DEBUG, "http %c [a line holding the key]", dir);
	else if (len)
		trace(TRACE_DEBUG, "http %c %.*s", dir, (int)len, line);
}

static void
trace_lines(char dir, const char *p, size_t n, const char *key)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) + 1 : n;

		trace_header_line(dir, p, len, key);
		p += len, n -= len;
	}
}

/* Body bytes on one trace line: control characters escaped, cut short. */
static void
trace_body(char dir, const char *p, size_t n, const char *key)
{
	struct buf b;

	if (key && *key && memmem(p, n, key, strlen(key))) {
		trace(TRACE_DEBUG, "http %c %zu bytes holding the key", dir, n);
		return;
	}
	buf_init(&b);
	for (size_t i = 0; i < n && b.len < TRACE_BODY_MAX; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch < 0x20 || ch == 0x7f)
			buf_printf(&b, "\\x%02x", ch);
		else
			buf_addc(&b, (char)ch);
	}
	trace(TRACE_DEBUG, "http %c %zu bytes: %s%s", dir, n,
	      b.data ? b.data : "", b.len >= TRACE_BODY_MAX ? "..." : "");
	buf_dispose(&b);
}

static int
on_debug(CURL *h, curl_infotype type, char *p, size_t n, void *ud)
{
	const struct xfer *x = ud;
	const char *key = x->cfg->api_key;

	if (type == CURLINFO_TEXT)
		trace_lines('*', p, n, key);
	else if (type == CURLINFO_HEADER_OUT)
		trace_lines('>', p, n, key);
	else if (type == CURLINFO_HEADER_IN)
		trace_lines('<', p, n, key);
	else if (type == CURLINFO_DATA_OUT)
		trace_body('>', p, n, key);
	else if (type == CURLINFO_DATA_IN)
		trace_body('<', p, n, key);
	return 0;
}

/* ---- setting up and running a request ----------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_start(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int
set_options(struct xfer *x, const char *url, struct curl_slist *hdrs,
	    const char *body)
{
	const struct llm_config *cfg = x->cfg;
	CURL *c = x->curl;
	CURLcode rc = CURLE_OK;

#define OPT(o, v) do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, o, v); } \
	while (0)
	OPT(CURLOPT_URL, url);
	OPT(CURLOPT_PROTOCOLS_STR, "http,https");
	OPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	OPT(CURLOPT_SSL_VERIFYPEER, 1L);
	OPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->ca_file)
		OPT(CURLOPT_CAINFO, cfg->ca_file);
	OPT(CURLOPT_NOSIGNAL, 1L);
	OPT(CURLOPT_CONNECTTIMEOUT, cfg->connect_timeout_s);
	OPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
	OPT(CURLOPT_LOW_SPEED_TIME, cfg->low_speed_time_s);
	OPT(CURLOPT_TIMEOUT, cfg->request_timeout_s);
	OPT(CURLOPT_TCP_KEEPALIVE, 1L);
	OPT(CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	OPT(CURLOPT_HTTPHEADER, hdrs);
	OPT(CURLOPT_POSTFIELDS, body);
	OPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	OPT(CURLOPT_WRITEFUNCTION, on_body);
	OPT(CURLOPT_WRITEDATA, x);
	OPT(CURLOPT_HEADERFUNCTION, on_header);
	OPT(CURLOPT_HEADERDATA, x);
	OPT(CURLOPT_NOPROGRESS, 0L);
	OPT(CURLOPT_XFERINFOFUNCTION, on_xferinfo);
	OPT(CURLOPT_XFERINFODATA, x);
	OPT(CURLOPT_ERRORBUFFER, x->errbuf);
	/* libcurl's own trace only when a debug trace is being written:
	 * redacting every chunk costs time for nothing otherwise. */
	if (trace_on(TRACE_DEBUG)) {
		OPT(CURLOPT_DEBUGFUNCTION, on_debug);
		OPT(CURLOPT_DEBUGDATA, x);
		OPT(CURLOPT_VERBOSE, 1L);
	}
#undef OPT
	if (rc != CURLE_OK)
		return err_set(LLM_ERR_CONFIG, "%s: libcurl refused an option: "
			       "%s", x->codec->name, curl_easy_strerror(rc));
	return 0;
}

static int
make_headers(const struct llm_codec *c, const struct llm_config *cfg,
	     struct curl_slist **out)
{
	struct buf hdr[4];
	struct curl_slist *l = NULL, *t;
	size_t n;
	int rc = 0;

	for (size_t i = 0; i < 4; i++)
		buf_init(&hdr[i]);
	n = c->headers(cfg, hdr);
	l = curl_slist_append(NULL, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip before a large body. */
	if (l && (t = curl_slist_append(l, "Expect:")))
		l = t;
	for (size_t i = 0; l && i < n; i++)
		if ((t = curl_slist_append(l, hdr[i].data)))
			l = t;
		else
			rc = err_set(ERR_NOMEM, "%s: out of memory", c->name);
	for (size_t i = 0; i < 4; i++) {
		if (hdr[i].data)
			memset(hdr[i].data, 0, hdr[i].len);
		buf_dispose(&hdr[i]);
	}
	if (!l)
		rc = err_set(ERR_NOMEM, "%s: out of memory", c->name);
	*out = l;
	return rc;
}

static void
fault_of_callback(struct xfer *x, struct llm_fault *f)
{
	if (x->cb_err == LLM_ERR_HTTP && x->acc.fault.code)
		*f = x->acc.fault;
	else
		final_fault(x->cb_err, f);
}

/* The body read, turn it into the reply or a fault. */
static int
finish_body(struct xfer *x, struct llm_reply *out, struct llm_fault *f)
{
	long status = 0;
	int rc;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status >= 300) {
		llm_http_fault(x->codec, status, x->body.data, x->body.len, f);
		return f->code;
	}
	if (x->streaming)
		rc = llm_stream_end(&x->stream);
	else
		rc = llm_parse_whole(x->codec, &x->acc,
				     x->body.data ? x->body.data : "",
				     x->body.len);
	if (rc == 0)
		rc = llm_acc_finish(&x->acc, out);
	if (rc == LLM_ERR_HTTP && x->acc.fault.code)
		*f = x->acc.fault;
	else if (rc < 0)
		final_fault(rc, f);
	return rc < 0 ? f->code : 0;
}

static int
attempt(struct xfer *x, const struct llm_request *req, struct llm_reply *out,
	struct llm_fault *f)
{
	CURLcode cc;

	xfer_reset(x, req);
	progress(x->hooks, "waiting for %s", x->codec->name);
	cc = curl_easy_perform(x->curl);
	if (x->cb_err) {
		fault_of_callback(x, f);
		return f->code;
	}
	if (x->deadline_hit) {
		memset(f, 0, sizeof(*f));
		f->code = LLM_ERR_DEADLINE;
		snprintf(f->msg, sizeof(f->msg), "%s: no reply within the time "
			 "budget", x->codec->name);
		return f->code;
	}
	if (cc == CURLE_ABORTED_BY_CALLBACK || cancelled(x->hooks)) {
		memset(f, 0, sizeof(*f));
		f->code = LLM_ERR_CANCELLED;
		snprintf(f->msg, sizeof(f->msg), "%s: cancelled",
			 x->codec->name);
		return f->code;
	}
	if (cc != CURLE_OK) {
		net_fault(x->codec, cc, x->errbuf, f);
		return f->code;
	}
	return finish_body(x, out, f);
}

/* What the retry progress line says the last attempt died of. */
static void
fault_cause(const struct llm_fault *f, char *dst, size_t n)
{
	if (f->status)
		snprintf(dst, n, "HTTP %ld", f->status);
	else if (f->code == LLM_ERR_NET)
		snprintf(dst, n, "a network error");
	else
		snprintf(dst, n, "%s", f->kind[0] ? f->kind : "an error");
}

static int
retry_wait(struct xfer *x, int retry, struct llm_fault *f,
	   unsigned long *seed)
{
	long hinted = x->after_ms >= 0 ? x->after_ms : x->after_s_ms;
	long ms;
	char cause[80];

	*seed = *seed * 6364136223846793005ul + 1442695040888963407ul;
	ms = llm_backoff_ms(x->cfg, retry, hinted, *seed >> 16);
	fault_cause(f, cause, sizeof(cause));
	progress(x->hooks, "retry %d/%d in %.1f s after %s", retry,
		 x->cfg->max_retries, ms / 1000.0, cause);
	trace(TRACE_INFO, "%s: retry %d/%d in %ld ms after %s", x->codec->name,
	      retry, x->cfg->max_retries, ms, cause);
	if (sleep_ms(ms, x->hooks, x->codec->name) < 0) {
		final_fault(LLM_ERR_CANCELLED, f);
		return LLM_ERR_CANCELLED;
	}
	return 0;
}

static int
make_url(const struct llm_codec *c, const char *base, char **out)
{
	size_t n = strlen(base);
	struct buf b;

	while (n && base[n - 1] == '/')
		n--;
	buf_init(&b);
	if (buf_add(&b, base, n) || buf_adds(&b, c->path)) {
		buf_dispose(&b);
		return err_set(ERR_NOMEM, "%s: out of memory", c->name);
	}
	*out = buf_detach(&b);
	return 0;
}

static int
check_config(const struct llm_codec *c, const struct llm_config *cfg)
{
	if (!c)
		return err_set(LLM_ERR_CONFIG, "llm: unknown provider %d",
			       (int)cfg->provider);
	if (!cfg->url || !*cfg->url || !cfg->model || !*cfg->model)
		return err_set(LLM_ERR_CONFIG, "%s: no url or model configured",
			       c->name);
	pthread_once(&curl_once, curl_start);
	if (curl_init_rc != CURLE_OK)
		return err_set(LLM_ERR_NET, "%s: libcurl failed to start: %s",
			       c->name, curl_easy_strerror(curl_init_rc));
	return 0;
}

int
llm_chat(const struct llm_config *cfg, const struct llm_request *req,
	 const struct llm_hooks *hooks, struct llm_reply *out)
{
	const struct llm_codec *c = llm_codec_of(cfg->provider);
	struct xfer x = { .codec = c, .cfg = cfg, .hooks = hooks };
	struct curl_slist *hdrs = NULL;
	char *body = NULL, *url = NULL;
	struct llm_fault f;
	unsigned long seed = jitter_seed();
	double t0 = now_ms();
	int rc, tries = 0;

	memset(out, 0, sizeof(*out));
	buf_init(&x.body);
	llm_acc_init(&x.acc, "", NULL);
	llm_stream_init(&x.stream, c, &x.acc);
	if ((rc = check_config(c, cfg)) < 0 ||
	    (rc = c->build(cfg, req, &body)) < 0 ||
	    (rc = make_url(c, cfg->url, &url)) < 0 ||
	    (rc = make_headers(c, cfg, &hdrs)) < 0)
		goto out;
	if (!(x.curl = curl_easy_init())) {
		rc = err_set(ERR_NOMEM, "%s: libcurl could not start a request",
			     c->name);
		goto out;
	}
	if ((rc = set_options(&x, url, hdrs, body)) < 0)
		goto out;
	for (;;) {
		if (cancelled(hooks)) {
			final_fault(err_set(LLM_ERR_CANCELLED, "%s: cancelled",
					    c->name), &f);
			rc = f.code;
			break;
		}
		tries++;
		rc = attempt(&x, req, out, &f);
		if (rc == 0 || !f.retry || tries > cfg->max_retries ||
		    past_deadline(hooks) || retry_wait(&x, tries, &f, &seed) < 0)
			break;
	}
	if (rc < 0)
		rc = fault_raise(c, &f, cfg->api_key);
out:
	out->attempts = tries;
	out->latency_ms = now_ms() - t0;
	if (x.curl)
		curl_easy_cleanup(x.curl);
	curl_slist_free_all(hdrs);
	llm_stream_dispose(&x.stream);
	llm_acc_dispose(&x.acc);
	buf_dispose(&x.body);
	free(body);
	free(url);
	return rc;
}
