/* SPDX-License-Identifier: Apache-2.0 */
/* ingest: walking inputs, detecting formats per file and per record,
 * normalizing through the adapters and writing to the store in batches.
 *
 * A file is JSON if its first non-space byte is '{' or '[', else text (VPC
 * Flow Logs). JSON input is a stream of top-level values (JSON lines, one
 * document, pretty-printed or concatenated documents); each value is
 * unwrapped (S3 "Records" files, arrays, EventBridge and CloudWatch Logs
 * envelopes, finding lists, EventList) into records, and each record goes to
 * the adapter that recognises it. Memory is bounded by the largest record.
 *
 * Two threads share the work of a path. The reading side (a thread of its
 * own) reads, parses and normalizes, and writes down everything that follows
 * from it, in input order: events, identities, diagnostics, tallies and
 * progress, in batches (core/ingestq.h). The writing side (the caller's
 * thread) replays the batches: it makes every store call, keeps the stats
 * and calls the caller's callbacks, so the result is what one thread doing
 * both would produce, in about the time of the slower half. A store failure
 * stops the replay where one thread would have stopped, and the reading side
 * soon after. Without a thread, the caller's thread does both in turn. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
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
#include "core/ingestq.h"
#include "core/jsonscan.h"
#include "core/jsonu.h"
#include "core/reader.h"
#include "core/store.h"

#define CHUNK (1u << 20)
#define MAX_DIR_DEPTH 64
#define MAX_UNWRAP_DEPTH 4
/* Full batches waiting for the store: the bound on memory between the two
 * sides, and enough to ride out a slow commit. */
#define QUEUE_DEPTH 4

struct ingest {
	struct store *st;
	struct ingest_opts o;
	const struct adapter *forced;

	/* The reading side: only the reading thread touches these while a
	 * path is ingested. */
	struct ingest_sink sink;
	const struct adapter *last; /* adapter of the previous record */
	struct ingestq *q;
	struct ingestq_batch *out;  /* the batch being filled */
	bool threaded;              /* false: write each batch as it fills */
	bool stop;                  /* the writing side failed: read no more */
	int read_err;               /* why the reading side stopped itself */
	/* the record being processed, for messages */
	const char *path;
	uint64_t line;              /* 1-based line where the record starts */
	uint64_t recno;             /* 1-based record number in the file */
	const char *raw;
	size_t raw_len;
	const char *cur_source;     /* adapter of the record being normalized */
	uint64_t bytes_before;      /* progress: bytes of finished files */
	struct buf prep;            /* scratch for jsonscan_prepare */

	/* The writing side: the caller's thread. */
	struct ingest_stats stats;
	size_t pending;             /* events in the open transaction */
	bool in_tx;
	int fatal;                  /* a store failure: stop everything */
	bool bulk;                  /* the store is in bulk-load mode */
	struct buf file;            /* path of the file being written */
	unsigned file_diags;
	uint64_t file_suppressed;
};

/* ---- the writing side: store, tallies and callbacks --------------------- */

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

/* Show a message of the file being written, up to max_diags of them. */
static void
show(struct ingest *in, const char *severity, const char *msg)
{
	if (!in->o.diag || !msg)
		return;
	if (in->file_diags >= in->o.max_diags) {
		in->file_suppressed++;
		return;
	}
	in->file_diags++;
	in->o.diag(in->o.ctx, severity, msg);
}

static void
note_suppressed(struct ingest *in)
{
	char msg[256];

	if (!in->file_suppressed || !in->o.diag)
		return;
	snprintf(msg, sizeof(msg), "%s: %llu more diagnostics not shown",
		 in->file.data ? in->file.data : "",
		 (unsigned long long)in->file_suppressed);
	in->o.diag(in->o.ctx, "note", msg);
}

static void
tally_skip(struct ingest *in, const char *reason)
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
}

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
begin_batch(struct ingest *in)
{
	int rc;

	if (in->in_tx)
		return 0;
	if ((rc = store_begin(in->st)) < 0)
		return in->fatal = rc;
	in->in_tx = true;
	return 0;
}

static void
write_event(struct ingest *in, const struct event *ev)
{
	struct ingest_source_stats *ss;
	bool added = false;
	int rc;

	if (begin_batch(in) < 0)
		return;
	rc = store_put_event(in->st, ev, &added);
	ss = source_stats(in, ev->str[EF_SOURCE]);
	if (rc < 0) {
		in->fatal = rc;
		return;
	}
	ss->events++;
	if (added)
		ss->added++;
	if (++in->pending >= in->o.batch)
		flush_batch(in);
}

static void
write_identity(struct ingest *in, const struct identity_item *it)
{
	int rc;

	if (begin_batch(in) < 0)
		return;
	if ((rc = store_put_identity(in->st, it)) < 0) {
		in->fatal = rc;
		return;
	}
	source_stats(in, "iam_authz")->identities++;
}

static void
write_op(struct ingest *in, const struct ingestq_op *op)
{
	switch (op->kind) {
	case IQ_EVENT:
		write_event(in, &op->u.ev);
		break;
	case IQ_IDENTITY:
		write_identity(in, &op->u.id);
		break;
	case IQ_ERROR:
		if (op->name)
			source_stats(in, op->name)->errors++;
		in->stats.errors++;
		show(in, "error", op->text);
		break;
	case IQ_WARNING:
		show(in, "warning", op->text);
		in->stats.warnings++;
		if (op->name)
			source_stats(in, op->name)->warnings++;
		break;
	case IQ_SKIP:
		tally_skip(in, op->name);
		show(in, "skipped", op->text);
		break;
	case IQ_PATH_ERROR:
		in->stats.errors++;
		if (in->o.diag)
			in->o.diag(in->o.ctx, "error", op->text);
		break;
	case IQ_FILE:
		in->stats.files++;
		if (op->n) {
			in->file_diags = 0;
			in->file_suppressed = 0;
			buf_reset(&in->file);
			buf_adds(&in->file, op->text);
		}
		break;
	case IQ_FILE_END:
		note_suppressed(in);
		break;
	case IQ_READ:
		in->stats.bytes += op->n;
		if (in->o.progress)
			in->o.progress(in->o.ctx, op->done, 0);
		break;
	}
}

/* Replay b. After a store failure nothing more is written or counted, as
 * when one thread stopped reading there; the failing file still gets its
 * note of diagnostics not shown. */
static void
write_batch(struct ingest *in, struct ingestq_batch *b)
{
	size_t n;
	const struct ingestq_op *ops = ingestq_ops(b, &n);

	for (size_t i = 0; i < n && !in->fatal; i++) {
		write_op(in, &ops[i]);
		if (in->fatal)
			note_suppressed(in);
	}
}

/* ---- the reading side: handing work on ----------------------------------- */

/* Hand the batch being filled to the writing side. */
static void
ship(struct ingest *in)
{
	struct ingestq_batch *b = in->out;

	in->out = NULL;
	if (!b)
		return;
	if (in->threaded) {
		if (!ingestq_push(in->q, b))
			in->stop = true;
		return;
	}
	write_batch(in, b);
	ingestq_recycle(in->q, b);
	if (in->fatal)
		in->stop = true;
}

static void
read_failed(struct ingest *in, int rc)
{
	if (!in->read_err)
		in->read_err = rc;
	in->stop = true;
}

/* The batch to add to, or NULL once reading has stopped. */
static struct ingestq_batch *
outbox(struct ingest *in)
{
	if (in->out && ingestq_batch_full(in->out))
		ship(in);
	if (!in->out && !in->stop) {
		in->out = ingestq_take_empty(in->q);
		if (!in->out)
			read_failed(in, ERR_NOMEM);
	}
	return in->stop ? NULL : in->out;
}

/* Add an entry; NULL once reading has stopped. */
static struct ingestq_op *
post(struct ingest *in, enum ingestq_kind kind, const char *text,
     const char *name)
{
	struct ingestq_batch *b = outbox(in);
	struct ingestq_op *op;

	if (!b)
		return NULL;
	if (!(op = ingestq_add(b, kind, text, name)))
		read_failed(in, ERR_NOMEM);
	return op;
}

/* Post a diagnostic "path:line: record N: ..." of kind about the record
 * being processed; name is the adapter or NULL. */
static void
post_diagv(struct ingest *in, enum ingestq_kind kind, const char *name,
	   const char *fmt, va_list ap)
{
	char msg[1024];
	int n;

	if (!in->o.diag) {
		post(in, kind, NULL, name);
		return;
	}
	n = snprintf(msg, sizeof(msg), "%s:%llu: ", in->path,
		     (unsigned long long)in->line);
	if (in->recno && n > 0 && (size_t)n < sizeof(msg))
		n += snprintf(msg + n, sizeof(msg) - n, "record %llu: ",
			      (unsigned long long)in->recno);
	if (n > 0 && (size_t)n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	post(in, kind, msg, name);
}

static void
post_diag(struct ingest *in, enum ingestq_kind kind, const char *name,
	  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
post_diag(struct ingest *in, enum ingestq_kind kind, const char *name,
	  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	post_diagv(in, kind, name, fmt, ap);
	va_end(ap);
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
	post_diag(in, IQ_ERROR, NULL, "%s", msg);
}

static void
skip_reason(struct ingest *in, const char *reason)
{
	if (in->o.report_skips)
		post_diag(in, IQ_SKIP, reason, "%s", reason);
	else
		post(in, IQ_SKIP, NULL, reason);
}

/* ---- the sink adapters write to (reading side) -------------------------- */

static int
sink_emit(struct ingest_sink *sink, struct event *ev)
{
	struct ingest *in = sink->ctx;
	struct ingestq_batch *b;

	if (!ev->raw) {
		ev->raw = in->raw;
		ev->raw_len = in->raw_len;
	}
	if (!ev->str[EF_ID] || !ev->str[EF_SOURCE]) {
		event_dispose(ev);
		record_error(in, "adapter produced an event without id or source");
		return ERR_FIELD;
	}
	if ((b = outbox(in)) && ingestq_add_event(b, ev) < 0)
		read_failed(in, ERR_NOMEM);
	event_dispose(ev);
	return in->stop ? ERR_STORE : 0;
}

static int
sink_identity(struct ingest_sink *sink, const struct identity_item *it)
{
	struct ingest *in = sink->ctx;
	struct ingestq_batch *b;

	if ((b = outbox(in)) && ingestq_add_identity(b, it) < 0)
		read_failed(in, ERR_NOMEM);
	return in->stop ? ERR_STORE : 0;
}

static void
sink_warn(struct ingest_sink *sink, const char *field, const char *msg)
{
	struct ingest *in = sink->ctx;

	post_diag(in, IQ_WARNING, in->cur_source, "field `%s`: %s",
		  field ? field : "?", msg);
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
	buf_init(&in->file);
	if (!opts || !opts->batch)
		in->o.batch = 50000; /* see store_bulk_load: few, large commits */
	if (store_bulk_load(st, true) < 0) {
		free(in);
		return ERR_STORE;
	}
	in->bulk = true;
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
	if (in->bulk)
		store_bulk_load(in->st, false);
	buf_dispose(&in->prep);
	buf_dispose(&in->file);
	free(in);
}

int
ingest_finish(struct ingest *in)
{
	int rc = flush_batch(in);

	if (in->fatal)
		return in->fatal;
	if (rc == 0 && in->bulk) {
		in->bulk = false;
		rc = store_bulk_load(in->st, false);
	}
	if (rc == 0)
		rc = store_optimize(in->st);
	return rc;
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
	/* records of one input are nearly always of one format: ask the
	 * last adapter first and run the whole table only when it is unsure */
	if (!a && in->last && in->last->detect(rec) >= 90)
		a = in->last;
	if (!a)
		a = adapter_detect(rec);
	if (a)
		in->last = a;
	if (!a) {
		skip_reason(in, "unrecognised JSON record (no adapter matches)");
		return;
	}
	in->raw = raw;
	in->raw_len = raw_len;
	in->cur_source = a->name;
	err_clear();
	rc = a->normalize(rec, raw, raw_len, &in->sink);
	if (rc < 0 && !in->stop)
		post_diag(in, IQ_ERROR, a->name, "%s: %s", a->name,
			  *err_msg() ? err_msg() : err_str(rc));
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
		if (in->stop)
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

/* A list document that does not parse as a whole (one broken record in
 * an S3 "Records" file, or a bare array): find its elements by their
 * bytes and take each on its own, so one bad record costs only itself.
 * Returns false when p is not such a list, leaving the error to the
 * caller. */
static bool
salvage_elements(struct ingest *in, const char *p, size_t n, int depth)
{
	static const char *const keys[] = { NULL, "Records", "Findings",
					     "findings" };
	struct span *spans = NULL;
	size_t count = 0, k;
	uint64_t base_line = in->line, done = 0;
	char first_err[512];

	snprintf(first_err, sizeof(first_err), "%s", err_msg());
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		count = 0;
		if (jsonscan_array_spans(p, n, keys[k], &spans, &count) == 0 &&
		    count > 0)
			break;
		free(spans);
		spans = NULL;
	}
	if (!spans) {
		err_set(ERR_PARSE, "%s", first_err);
		return false;
	}
	for (size_t i = 0; i < count && !in->fatal; i++) {
		cJSON *el;

		done += count_lines(p + (i ? spans[i - 1].off : 0),
				    spans[i].off - (i ? spans[i - 1].off : 0));
		in->line = base_line + done;
		el = parse_json(in, p + spans[i].off, spans[i].len);
		if (!el) {
			in->recno++;
			record_error(in, "%s", err_msg());
			continue;
		}
		if (cJSON_IsObject(el))
			process_record(in, el, p + spans[i].off, spans[i].len, NULL);
		else
			process_value(in, p + spans[i].off, spans[i].len, depth + 1);
		cJSON_Delete(el);
	}
	in->line = base_line;
	free(spans);
	return true;
}

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
		if (salvage_elements(in, p, n, depth))
			return;
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
post_progress(struct ingest *in, struct stream *s, long got)
{
	struct ingestq_op *op = post(in, IQ_READ, NULL, NULL);

	if (op) {
		op->n = (uint64_t)got;
		op->done = in->bytes_before + reader_offset(s->r);
	}
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
	post_progress(in, s, got);
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
		if (s->pos >= s->win.len || in->stop)
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
		if (in->stop)
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
		if (vpcflow_line(layout, line, len, &in->sink) < 0 && !in->stop)
			post_diag(in, IQ_ERROR, "vpcflow", "vpcflow: %s", err_msg());
		in->cur_source = NULL;
		if (in->stop)
			break;
	}
	vpcflow_layout_free(layout);
}

static int
ingest_file(struct ingest *in, const char *path)
{
	struct stream s = { 0 };
	struct ingestq_op *op;
	int rc;

	in->path = path;
	in->line = 1;
	in->recno = 0;
	if ((op = post(in, IQ_FILE, path, NULL)))
		op->n = 1;
	if ((rc = reader_open(path, &s.r)) < 0) {
		in->line = 0;
		record_error(in, "%s", err_msg());
		post(in, IQ_FILE_END, NULL, NULL);
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
			record_error(in, "binary data, not a format verdict "
				     "reads%s", reader_is_gzip(s.r) ? " (inside gzip)"
								: "");
		} else if ((s.win.data[i] == '{' || s.win.data[i] == '[') &&
			   !(in->o.format && strcmp(in->o.format, "vpcflow-text") == 0)) {
			ingest_json_stream(in, &s);
		} else {
			ingest_text_stream(in, &s);
		}
	}
	if (s.err < 0) {
		in->recno = 0;
		record_error(in, "%s", err_msg());
	}
	post(in, IQ_FILE_END, NULL, NULL);
	in->bytes_before += reader_offset(s.r);
	reader_free(s.r);
	buf_dispose(&s.win);
	return in->stop ? ERR_STORE : 0;
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

/* A path that cannot be read: an error outside any file's count. */
static void
path_error(struct ingest *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
path_error(struct ingest *in, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	post(in, IQ_PATH_ERROR, in->o.diag ? msg : NULL, NULL);
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
		path_error(in, "%s: %s", path, strerror(errno));
		return 0;
	}
	if (!explicit) {
		struct stat lsb;
		const char *why = NULL;

		/* met while walking: follow no link to a directory (loops) and
		 * open nothing that is not a regular file (a FIFO would block) */
		if (lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode) &&
		    S_ISDIR(sb.st_mode))
			why = "symbolic link to a directory (not followed)";
		else if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
			why = "not a regular file (device, FIFO or socket)";
		else if (in->o.skip_path && S_ISREG(sb.st_mode) &&
			 in->o.skip_path(in->o.ctx, path))
			why = "the event store itself";
		if (why) {
			in->path = path;
			in->line = 0;
			in->recno = 0;
			post(in, IQ_FILE, NULL, NULL);
			skip_reason(in, why);
			return 0;
		}
	}
	if (!S_ISDIR(sb.st_mode)) {
		if (!explicit) {
			const char *base = strrchr(path, '/');

			base = base ? base + 1 : path;
			if (is_documentation(base)) {
				in->path = path;
				in->line = 0;
				in->recno = 0;
				post(in, IQ_FILE, NULL, NULL);
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
		path_error(in, "%s: cannot read directory: %s", path,
			   strerror(errno));
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

/* The reading side of ingest_path. */
struct reading {
	struct ingest *in;
	const char *path;
};

static void
read_path(struct ingest *in, const char *path)
{
	ingest_walk(in, path, 0, true);
	ship(in);
	if (in->threaded)
		ingestq_close(in->q);
}

static void *
reading_thread(void *arg)
{
	struct reading *job = arg;

	read_path(job->in, job->path);
	return NULL;
}

/* Write what the reading thread hands over until it is done or the store
 * fails. */
static void
write_from_queue(struct ingest *in)
{
	struct ingestq_batch *b;

	while ((b = ingestq_pop(in->q))) {
		write_batch(in, b);
		ingestq_recycle(in->q, b);
		if (in->fatal) {
			ingestq_cancel(in->q);
			break;
		}
	}
}

int
ingest_path(struct ingest *in, const char *path)
{
	struct reading job = { in, path };
	pthread_t reader;
	int rc;

	if (in->fatal)
		return in->fatal;
	if ((rc = ingestq_new(QUEUE_DEPTH, &in->q)) < 0)
		return rc;
	in->out = NULL;
	in->stop = false;
	in->read_err = 0;
	/* set before the thread starts: it reads the flag */
	in->threaded = true;
	if (pthread_create(&reader, NULL, reading_thread, &job) == 0) {
		write_from_queue(in);
		pthread_join(reader, NULL);
	} else {
		in->threaded = false;
		read_path(in, path);
	}
	ingestq_free(in->q);
	in->q = NULL;
	if (!in->fatal && in->read_err)
		in->fatal = err_set(in->read_err, "out of memory handing records "
				    "to the store");
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
