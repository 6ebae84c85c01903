/* SPDX-License-Identifier: Apache-2.0 */
/* ingest: walking inputs, detecting formats per file and per record,
 * normalizing through the adapters and writing to the store in batches.
 *
 * A file is JSON if its first non-space byte is '{' or '[', else text (VPC
 * Flow Logs). JSON input is a stream of top-level values (JSON lines, one
 * document, pretty-printed or concatenated documents); each value is
 * unwrapped (S3 "Records" files, arrays, EventBridge and CloudWatch Logs
 * envelopes, finding lists, EventList) into records, and each record goes to
 * the adapter that recognises it. Memory is bounded by the largest record. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "core/adapter.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/ingest.h"
#include "core/jsonscan.h"
#include "core/jsonu.h"
#include "core/reader.h"
#include "core/store.h"

#define CHUNK (1u << 20)
#define MAX_DIR_DEPTH 64
#define MAX_UNWRAP_DEPTH 4

struct ingest {
	struct store *st;
	struct ingest_opts o;
	struct ingest_stats stats;
	const struct adapter *forced;
	struct ingest_sink sink;
	size_t pending;          /* events in the open transaction */
	bool in_tx;
	int fatal;               /* a store failure: stop everything */

	/* the record being processed, for messages */
	const char *path;
	uint64_t line;           /* 1-based line where the record starts */
	uint64_t recno;          /* 1-based record number in the file */
	const char *raw;
	size_t raw_len;
	const char *cur_source;  /* adapter of the record being normalized */
	unsigned file_diags;
	uint64_t file_suppressed;

	uint64_t bytes_before;   /* progress: bytes of finished files */
	struct buf prep;         /* scratch for jsonscan_prepare */
};

/* ---- diagnostics and tallies ------------------------------------------- */

static struct ingest_source_stats *
source_stats(struct ingest *in, const char *name)
{
	struct ingest_stats *s = &in->stats;

	for (size_t i = 0; i < s->nsrc; i++)
		if (strcmp(s->src[i].name, name) == 0)
			return &s->src[i];
	if (s->nsrc == sizeof(s->src) / sizeof(s->src[0]))
		return &s->src[s->nsrc - 1];
	snprintf(s->src[s->nsrc].name, sizeof(s->src[0].name), "%s", name);
	return &s->src[s->nsrc++];
}

static void
diag(struct ingest *in, const char *severity, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
diag(struct ingest *in, const char *severity, const char *fmt, ...)
{
	char msg[1024];
	int n;
	va_list ap;

	if (!in->o.diag)
		return;
	if (in->file_diags >= in->o.max_diags) {
		in->file_suppressed++;
		return;
	}
	in->file_diags++;
	n = snprintf(msg, sizeof(msg), "%s:%llu: ", in->path,
		     (unsigned long long)in->line);
	if (in->recno && n > 0 && (size_t)n < sizeof(msg))
		n += snprintf(msg + n, sizeof(msg) - n, "record %llu: ",
			      (unsigned long long)in->recno);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	in->o.diag(in->o.ctx, severity, msg);
}

static void
record_error(struct ingest *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
record_error(struct ingest *in, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	in->stats.errors++;
	diag(in, "error", "%s", msg);
}

static void
skip_reason(struct ingest *in, const char *reason)
{
	struct ingest_stats *s = &in->stats;
	size_t i;

	for (i = 0; i < s->nskip; i++)
		if (strcmp(s->skip[i].reason, reason) == 0)
			break;
	if (i == s->nskip) {
		if (s->nskip == sizeof(s->skip) / sizeof(s->skip[0]))
			i = s->nskip - 1;
		else
			snprintf(s->skip[s->nskip++].reason,
				 sizeof(s->skip[0].reason), "%s", reason);
	}
	s->skip[i].count++;
	if (in->o.report_skips)
		diag(in, "skipped", "%s", reason);
}

/* ---- the sink adapters write to ----------------------------------------- */

static int
flush_batch(struct ingest *in)
{
	int rc;

	if (!in->in_tx)
		return 0;
	in->in_tx = false;
	in->pending = 0;
	if ((rc = store_commit(in->st)) < 0)
		in->fatal = rc;
	return rc;
}

static int
sink_emit(struct ingest_sink *sink, struct event *ev)
{
	struct ingest *in = sink->ctx;
	struct ingest_source_stats *ss;
	bool added = false;
	int rc;

	if (!ev->raw) {
		ev->raw = in->raw;
		ev->raw_len = in->raw_len;
	}
	if (!ev->str[EF_ID] || !ev->str[EF_SOURCE]) {
		event_dispose(ev);
		record_error(in, "adapter produced an event without id or source");
		return ERR_FIELD;
	}
	if (!in->in_tx) {
		if ((rc = store_begin(in->st)) < 0) {
			in->fatal = rc;
			event_dispose(ev);
			return rc;
		}
		in->in_tx = true;
	}
	rc = store_put_event(in->st, ev, &added);
	ss = source_stats(in, ev->str[EF_SOURCE]);
	event_dispose(ev);
	if (rc < 0) {
		in->fatal = rc;
		return rc;
	}
	ss->events++;
	if (added)
		ss->added++;
	if (++in->pending >= in->o.batch)
		return flush_batch(in);
	return 0;
}

static int
sink_identity(struct ingest_sink *sink, const struct identity_item *it)
{
	struct ingest *in = sink->ctx;
	int rc;

	if (!in->in_tx) {
		if ((rc = store_begin(in->st)) < 0)
			return in->fatal = rc;
		in->in_tx = true;
	}
	if ((rc = store_put_identity(in->st, it)) < 0)
		return in->fatal = rc;
	source_stats(in, "iam_authz")->identities++;
	return 0;
}

static void
sink_warn(struct ingest_sink *sink, const char *field, const char *msg)
{
	struct ingest *in = sink->ctx;

	diag(in, "warning", "field `%s`: %s", field ? field : "?", msg);
	in->stats.warnings++;
	if (in->cur_source)
		source_stats(in, in->cur_source)->warnings++;
}

static void
sink_skip(struct ingest_sink *sink, const char *reason)
{
	skip_reason(sink->ctx, reason);
}

int
ingest_new(struct store *st, const struct ingest_opts *opts,
	   struct ingest **out)
{
	struct ingest *in;

	*out = NULL;
	in = calloc(1, sizeof(*in));
	if (!in)
		return err_set(ERR_NOMEM, "out of memory");
	in->st = st;
	if (opts)
		in->o = *opts;
	if (!in->o.max_record)
		in->o.max_record = INGEST_MAX_RECORD;
	if (!in->o.batch)
		in->o.batch = 5000;
	if (!in->o.max_diags)
		in->o.max_diags = 20;
	if (in->o.format) {
		in->forced = adapter_find(in->o.format);
		if (!in->forced && strcmp(in->o.format, "vpcflow-text") != 0) {
			free(in);
			return err_set(ERR_USAGE, "unknown format \"%s\"",
				       opts->format);
		}
	}
	in->sink.emit = sink_emit;
	in->sink.identity = sink_identity;
	in->sink.warn = sink_warn;
	in->sink.skip = sink_skip;
	in->sink.ctx = in;
	buf_init(&in->prep);
	*out = in;
	return 0;
}

void
ingest_free(struct ingest *in)
{
	if (!in)
		return;
	if (in->in_tx)
		store_rollback(in->st);
	buf_dispose(&in->prep);
	free(in);
}

int
ingest_finish(struct ingest *in)
{
	int rc = flush_batch(in);

	return in->fatal ? in->fatal : rc;
}

const struct ingest_stats *
ingest_stats(const struct ingest *in)
{
	return &in->stats;
}

/* ---- records ------------------------------------------------------------ */

static void
process_record(struct ingest *in, const cJSON *rec, const char *raw,
	       size_t raw_len, const struct adapter *hint)
{
	const struct adapter *a = in->forced ? in->forced : hint;
	int rc;

	in->recno++;
	if (!cJSON_IsObject(rec)) {
		record_error(in, "not a JSON object");
		return;
	}
	if (!a)
		a = adapter_detect(rec);
	if (!a) {
		skip_reason(in, "unrecognised JSON record (no adapter matches)");
		return;
	}
	in->raw = raw;
	in->raw_len = raw_len;
	in->cur_source = a->name;
	err_clear();
	rc = a->normalize(rec, raw, raw_len, &in->sink);
	if (rc < 0 && !in->fatal) {
		source_stats(in, a->name)->errors++;
		record_error(in, "%s: %s", a->name,
			     *err_msg() ? err_msg() : err_str(rc));
	}
	in->cur_source = NULL;
}

/* Parse JSON text (prepared for cJSON first). NULL with a message set. */
static cJSON *
parse_json(struct ingest *in, const char *p, size_t n)
{
	cJSON *root;

	buf_reset(&in->prep);
	if (jsonscan_prepare(p, n, &in->prep) < 0 || !in->prep.data) {
		err_set(ERR_NOMEM, "out of memory preparing record");
		return NULL;
	}
	root = cJSON_ParseWithLength(in->prep.data, in->prep.len);
	if (!root) {
		const char *at = cJSON_GetErrorPtr();
		size_t off = at && at >= in->prep.data &&
				     at <= in->prep.data + in->prep.len
			     ? (size_t)(at - in->prep.data) : 0;
		int depth = 0, max = 0;

		for (size_t i = 0; i < n && max <= CJSON_NESTING_LIMIT; i++) {
			if (p[i] == '[' || p[i] == '{')
				max = ++depth > max ? depth : max;
			else if (p[i] == ']' || p[i] == '}')
				depth--;
		}
		if (max > CJSON_NESTING_LIMIT)
			err_set(ERR_PARSE, "JSON nested deeper than %d levels",
				CJSON_NESTING_LIMIT);
		else
			err_set(ERR_PARSE, "not valid JSON (at byte %zu of the "
				"record)", off);
	}
	return root;
}

static uint64_t
count_lines(const char *p, size_t n)
{
	uint64_t lines = 0;
	const char *end = p + n;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		lines++;
		p++;
	}
	return lines;
}

static void process_value(struct ingest *in, const char *p, size_t n,
			  int depth);

/* Each element of the array at key (NULL: root is the array) is a record,
 * with its own exact bytes from p. */
static void
process_elements(struct ingest *in, const cJSON *arr, const char *p, size_t n,
		 const char *key, const struct adapter *hint)
{
	struct span *spans = NULL;
	size_t count = 0, i = 0;
	uint64_t base_line = in->line, done = 0;
	const cJSON *el;

	if (jsonscan_array_spans(p, n, key, &spans, &count) < 0 ||
	    count != (size_t)cJSON_GetArraySize(arr)) {
		record_error(in, "cannot locate the records of %s%s%s",
			     key ? "`" : "the array", key ? key : "",
			     key ? "`" : "");
		free(spans);
		return;
	}
	cJSON_ArrayForEach(el, arr) {
		done += count_lines(p + (i ? spans[i - 1].off : 0),
				    spans[i].off - (i ? spans[i - 1].off : 0));
		in->line = base_line + done;
		process_record(in, el, p + spans[i].off, spans[i].len, hint);
		if (in->fatal)
			break;
		i++;
	}
	in->line = base_line;
	free(spans);
}

/* EventBridge: the record is detail (or each of detail.findings) and the
 * raw bytes are the whole envelope. */
static void
process_eventbridge(struct ingest *in, const cJSON *root, const char *p,
		    size_t n)
{
	const cJSON *detail = jsonu_key(root, "detail");
	const cJSON *findings = jsonu_key(detail, "findings");
	const char *type = jsonu_str(root, "detail-type");
	const char *src = jsonu_str(root, "source");
	const cJSON *f;
	char reason[128];

	if (cJSON_IsArray(findings)) {
		cJSON_ArrayForEach(f, findings)
			process_record(in, f, p, n, NULL);
		return;
	}
	if (cJSON_IsObject(detail) && (in->forced || adapter_detect(detail))) {
		process_record(in, detail, p, n, NULL);
		return;
	}
	in->recno++;
	snprintf(reason, sizeof(reason), "EventBridge event \"%.40s\" from %.30s"
		 " (not a format verdict ingests)", type ? type : "?",
		 src ? src : "?");
	skip_reason(in, reason);
}

/* CloudWatch Logs subscription: each logEvents[].message is a record. */
static void
process_cwlogs(struct ingest *in, const cJSON *root, int depth)
{
	const cJSON *le;

	if (strcmp(jsonu_str(root, "messageType"), "DATA_MESSAGE") != 0) {
		in->recno++;
		skip_reason(in, "CloudWatch Logs control message");
		return;
	}
	cJSON_ArrayForEach(le, jsonu_key(root, "logEvents")) {
		const char *msg = jsonu_str(le, "message");

		if (!msg) {
			in->recno++;
			record_error(in, "field `logEvents[].message`: missing");
			continue;
		}
		process_value(in, msg, strlen(msg), depth + 1);
	}
}

/* Keys under which list documents carry their records. */
static const char *const list_keys[] = { "Records", "Findings", "findings",
					 "items" };

static void
process_value(struct ingest *in, const char *p, size_t n, int depth)
{
	cJSON *root;

	if (depth > MAX_UNWRAP_DEPTH) {
		in->recno++;
		record_error(in, "envelopes nested too deeply");
		return;
	}
	root = parse_json(in, p, n);
	if (!root) {
		in->recno++;
		record_error(in, "%s", err_msg());
		return;
	}
	if (cJSON_IsArray(root)) {
		process_elements(in, root, p, n, NULL, NULL);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		in->recno++;
		record_error(in, "not a JSON object or array");
		goto out;
	}
	if (!in->forced || strcmp(in->forced->name, "iam_authz") != 0) {
		for (size_t i = 0; i < sizeof(list_keys) / sizeof(list_keys[0]); i++) {
			const cJSON *arr = jsonu_key(root, list_keys[i]);

			if (!cJSON_IsArray(arr))
				continue;
			if (strcmp(list_keys[i], "items") == 0 &&
			    !jsonu_str(root, "kind"))
				continue;
			process_elements(in, arr, p, n, list_keys[i], NULL);
			goto out;
		}
	}
	if (jsonu_str(root, "detail-type") && jsonu_key(root, "detail")) {
		process_eventbridge(in, root, p, n);
		goto out;
	}
	if (jsonu_str(root, "messageType") &&
	    cJSON_IsArray(jsonu_key(root, "logEvents"))) {
		process_cwlogs(in, root, depth);
		goto out;
	}
	if (jsonu_key(root, "configRuleName") && jsonu_key(root, "invokingEvent")) {
		in->recno++;
		skip_reason(in, "AWS Config rule invocation (configuration "
			    "items are not events)");
		goto out;
	}
	process_record(in, root, p, n, NULL);
out:
	cJSON_Delete(root);
}

/* ---- files -------------------------------------------------------------- */

/* A window over the input: bytes [pos, win.len) are unconsumed. */
struct stream {
	struct reader *r;
	struct buf win;
	size_t pos;
	bool eof;
	int err;         /* a read error, reported once at the end */
};

static void
progress(struct ingest *in, struct stream *s)
{
	if (in->o.progress)
		in->o.progress(in->o.ctx, in->bytes_before + reader_offset(s->r),
			       0);
}

/* Read another chunk. Returns false at end of input or on error. */
static bool
stream_fill(struct ingest *in, struct stream *s)
{
	long got;

	if (s->eof)
		return false;
	if (s->pos > 0 && s->pos >= s->win.len / 2) {
		memmove(s->win.data, s->win.data + s->pos, s->win.len - s->pos);
		s->win.len -= s->pos;
		s->win.data[s->win.len] = '\0';
		s->pos = 0;
	}
	if (buf_grow(&s->win, CHUNK) < 0) {
		s->err = ERR_NOMEM;
		s->eof = true;
		return false;
	}
	got = reader_read(s->r, s->win.data + s->win.len, CHUNK);
	if (got <= 0) {
		if (got < 0)
			s->err = (int)got;
		s->eof = true;
		return false;
	}
	s->win.len += (size_t)got;
	s->win.data[s->win.len] = '\0';
	in->stats.bytes += (uint64_t)got;
	progress(in, s);
	return true;
}

/* Drop input up to and including the next newline (after an oversized
 * record), keeping memory bounded. */
static void
stream_skip_line(struct ingest *in, struct stream *s)
{
	for (;;) {
		char *nl = memchr(s->win.data + s->pos, '\n', s->win.len - s->pos);

		if (nl) {
			s->pos = (size_t)(nl - s->win.data) + 1;
			in->line++;
			return;
		}
		s->pos = s->win.len;
		if (!stream_fill(in, s))
			return;
	}
}

static void
ingest_json_stream(struct ingest *in, struct stream *s)
{
	struct jsonscan js;

	for (;;) {
		size_t vstart, scan;
		bool complete = false;

		/* skip whitespace between values, counting lines */
		for (;;) {
			while (s->pos < s->win.len) {
				char c = s->win.data[s->pos];

				if (c == '\n')
					in->line++;
				else if (c != ' ' && c != '\t' && c != '\r')
					break;
				s->pos++;
			}
			if (s->pos < s->win.len || !stream_fill(in, s))
				break;
		}
		if (s->pos >= s->win.len || in->fatal)
			return;
		if (s->win.data[s->pos] != '{' && s->win.data[s->pos] != '[') {
			/* not JSON here: one rejected record per line, not per word */
			in->recno++;
			record_error(in, "not JSON: expected an object or array");
			stream_skip_line(in, s);
			continue;
		}
		jsonscan_init(&js);
		vstart = s->pos;
		scan = vstart;
		for (;;) {
			size_t off = jsonscan_feed(&js, s->win.data + scan,
						   s->win.len - scan, &complete);

			scan += off;
			if (complete)
				break;
			if (scan - vstart > in->o.max_record) {
				in->recno++;
				record_error(in, "record larger than %zu MiB; "
					     "skipped to the next line",
					     in->o.max_record >> 20);
				s->pos = scan;
				stream_skip_line(in, s);
				goto next;
			}
			/* stream_fill may slide the window: keep offsets */
			{
				size_t before = vstart, shift;
				bool more;

				s->pos = vstart;
				more = stream_fill(in, s);
				shift = before - s->pos;
				vstart -= shift;
				scan -= shift;
				if (!more)
					break;
			}
		}
		if (!complete) {
			if (js.scalar && vstart < scan) {
				/* a bare token at the very end */
				complete = true;
			} else {
				in->recno++;
				record_error(in, "truncated JSON: input ends "
					     "inside a value");
				s->pos = s->win.len;
				return;
			}
		}
		s->pos = scan;
		process_value(in, s->win.data + vstart, scan - vstart, 0);
		in->line += count_lines(s->win.data + vstart, scan - vstart);
next:
		if (in->fatal)
			return;
	}
}

/* True if p[0..n) looks like binary data rather than text. */
static bool
looks_binary(const char *p, size_t n)
{
	size_t ctl = 0;

	if (n > 4096)
		n = 4096;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == 0)
			return true;
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
			ctl++;
	}
	return ctl * 20 > n;
}

static void
ingest_text_stream(struct ingest *in, struct stream *s)
{
	struct vpcflow_layout *layout = NULL;
	bool configured = false;

	in->line = 0; /* counted as each line is taken */

	if (in->o.vpc_fields) {
		if (vpcflow_layout_parse(in->o.vpc_fields,
					 strlen(in->o.vpc_fields), &layout) < 0) {
			record_error(in, "--vpc-fields: %s", err_msg());
			return;
		}
		configured = true;
	}
	for (;;) {
		char *line, *nl;
		size_t len;

		nl = memchr(s->win.data + s->pos, '\n', s->win.len - s->pos);
		if (!nl) {
			if (s->win.len - s->pos > in->o.max_record) {
				in->line++;
				in->recno++;
				record_error(in, "line longer than %zu MiB; skipped",
					     in->o.max_record >> 20);
				stream_skip_line(in, s);
				in->line--;
				continue;
			}
			if (stream_fill(in, s))
				continue;
			if (s->pos >= s->win.len)
				break;
			nl = s->win.data + s->win.len; /* last line, no newline */
		}
		line = s->win.data + s->pos;
		len = (size_t)(nl - line);
		s->pos = nl < s->win.data + s->win.len ? (size_t)(nl - s->win.data) + 1
						       : s->win.len;
		in->line++;
		if (len && line[len - 1] == '\r')
			len--;
		if (len == 0)
			continue;
		if (vpcflow_is_header(line, len)) {
			struct vpcflow_layout *l = NULL;

			if (configured)
				continue;
			if (vpcflow_layout_parse(line, len, &l) < 0) {
				record_error(in, "flow log header: %s", err_msg());
				break;
			}
			vpcflow_layout_free(layout);
			layout = l;
			continue;
		}
		if (line[0] == '#')
			continue;
		if (!layout) {
			in->recno++;
			record_error(in, "not a known format: text without a "
				     "VPC Flow Logs header line (give the layout "
				     "with --vpc-fields; verdict does not guess "
				     "field order)");
			break;
		}
		in->recno++;
		in->raw = line;
		in->raw_len = len;
		in->cur_source = "vpcflow";
		err_clear();
		if (vpcflow_line(layout, line, len, &in->sink) < 0 && !in->fatal) {
			source_stats(in, "vpcflow")->errors++;
			record_error(in, "vpcflow: %s", err_msg());
		}
		in->cur_source = NULL;
		if (in->fatal)
			break;
	}
	vpcflow_layout_free(layout);
}

static int
ingest_file(struct ingest *in, const char *path)
{
	struct stream s = { 0 };
	int rc;

	in->path = path;
	in->line = 1;
	in->recno = 0;
	in->file_diags = 0;
	in->file_suppressed = 0;
	in->stats.files++;
	if ((rc = reader_open(path, &s.r)) < 0) {
		in->line = 0;
		in->stats.errors++;
		diag(in, "error", "%s", err_msg());
		return 0;
	}
	buf_init(&s.win);
	while (s.pos >= s.win.len && stream_fill(in, &s))
		;
	/* a UTF-8 byte order mark is not content */
	if (s.win.len >= 3 && memcmp(s.win.data, "\xEF\xBB\xBF", 3) == 0)
		s.pos = 3;
	{
		size_t i = s.pos;

		while (i < s.win.len && strchr(" \t\r\n", s.win.data[i]))
			i++;
		if (s.win.len == 0 || i == s.win.len) {
			/* empty input: nothing to do */
		} else if (looks_binary(s.win.data + s.pos, s.win.len - s.pos)) {
			in->recno = 0;
			in->stats.errors++;
			diag(in, "error", "binary data, not a format verdict "
			     "reads%s", reader_is_gzip(s.r) ? " (inside gzip)" : "");
		} else if ((s.win.data[i] == '{' || s.win.data[i] == '[') &&
			   !(in->o.format && strcmp(in->o.format, "vpcflow-text") == 0)) {
			ingest_json_stream(in, &s);
		} else {
			ingest_text_stream(in, &s);
		}
	}
	if (s.err < 0) {
		in->recno = 0;
		in->stats.errors++;
		diag(in, "error", "%s", err_msg());
	}
	if (in->file_suppressed && in->o.diag) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s: %llu more diagnostics not shown",
			 path, (unsigned long long)in->file_suppressed);
		in->o.diag(in->o.ctx, "note", msg);
	}
	in->bytes_before += reader_offset(s.r);
	reader_free(s.r);
	buf_dispose(&s.win);
	return in->fatal;
}

/* Documentation and rule files met while walking a directory are not logs. */
static bool
is_documentation(const char *name)
{
	static const char *const suffixes[] = { ".md", ".yml", ".yaml", ".txt",
						".sh", ".py" };
	size_t n = strlen(name);

	if (strncmp(name, "LICENSE", 7) == 0 || strncmp(name, "README", 6) == 0 ||
	    strncmp(name, "NOTICE", 6) == 0)
		return true;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i]);

		if (n > k && strcmp(name + n - k, suffixes[i]) == 0)
			return true;
	}
	return false;
}

static int
ingest_walk(struct ingest *in, const char *path, int depth, bool explicit)
{
	struct dirent **names = NULL;
	struct stat sb;
	int n, rc = 0;

	if (strcmp(path, "-") == 0)
		return ingest_file(in, path);
	if (stat(path, &sb) < 0) {
		in->path = path;
		in->line = 0;
		in->recno = 0;
		in->stats.errors++;
		if (in->o.diag) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
			in->o.diag(in->o.ctx, "error", msg);
		}
		return 0;
	}
	if (!S_ISDIR(sb.st_mode)) {
		if (!explicit) {
			const char *base = strrchr(path, '/');

			base = base ? base + 1 : path;
			if (is_documentation(base)) {
				in->path = path;
				in->line = 0;
				in->recno = 0;
				in->stats.files++;
				skip_reason(in, "documentation or rule file "
					    "(not a log)");
				return 0;
			}
		}
		return ingest_file(in, path);
	}
	if (depth >= MAX_DIR_DEPTH)
		return 0;
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		in->stats.errors++;
		if (in->o.diag) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s: cannot read directory: %s",
				 path, strerror(errno));
			in->o.diag(in->o.ctx, "error", msg);
		}
		return 0;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *child;

		if (name[0] == '.' || rc) {
			free(names[i]);
			continue;
		}
		child = malloc(strlen(path) + strlen(name) + 2);
		if (child) {
			sprintf(child, "%s%s%s", path,
				path[strlen(path) - 1] == '/' ? "" : "/", name);
			rc = ingest_walk(in, child, depth + 1, false);
			free(child);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
ingest_path(struct ingest *in, const char *path)
{
	int rc = ingest_walk(in, path, 0, true);

	if (rc < 0)
		return rc;
	return in->fatal;
}

static uint64_t
tree_bytes(const char *path, int depth)
{
	struct stat sb;
	struct dirent **names;
	uint64_t total = 0;
	int n;

	if (stat(path, &sb) < 0)
		return 0;
	if (!S_ISDIR(sb.st_mode))
		return S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	if (depth >= MAX_DIR_DEPTH || (n = scandir(path, &names, NULL, NULL)) < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			char *child = malloc(strlen(path) + strlen(names[i]->d_name) + 2);

			if (child) {
				sprintf(child, "%s/%s", path, names[i]->d_name);
				total += tree_bytes(child, depth + 1);
				free(child);
			}
		}
		free(names[i]);
	}
	free(names);
	return total;
}

uint64_t
ingest_total_bytes(const char *const *paths, size_t n)
{
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(paths[i], "-") != 0)
			total += tree_bytes(paths[i], 0);
	return total;
}
