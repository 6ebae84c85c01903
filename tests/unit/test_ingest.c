/* SPDX-License-Identifier: Apache-2.0 */
/* test_ingest: the ingest pipeline against a store double: order, tallies
 * and diagnostics across many batches, every store call and callback on the
 * caller's thread, a store failure stopping where one thread would, and
 * the queue between the two threads. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/ingest.h"
#include "core/ingestq.h"
#include "core/store.h"
#include "tests/unit/tap.h"

/* A real record: Stratus Red Team's aws.defense-evasion.dns-delete-logs. */
#define REAL_ID "ba4609ca-b420-4cb6-bdff-307729b3b7db"
#define REAL_ACTOR "arn:aws:iam::206821776919:user/christophe"
#define REAL_ACTION "DeleteResolverQueryLogConfig"

/* Input: GOOD copies of the record (eventID REAL_ID-k), with a line that is
 * not JSON after every BAD_EVERY-th of them: enough for several batches. */
#define GOOD 5000
#define BAD_EVERY 97

static const char *top_srcdir;

/* ---- a store double that records what reaches it ------------------------ */

static struct {
	pthread_t owner;      /* the thread that called ingest_path */
	unsigned off_thread;  /* store calls or callbacks from another thread */
	size_t puts;          /* put_event calls */
	size_t fail_at;       /* fail that put (1-based), 0 never */
	size_t out_of_order;  /* events not in input order */
	size_t bad_fields;    /* events without the record's actor or raw */
	size_t identities;
	size_t commits;
	/* from the callbacks */
	size_t errors, notes;
	char last_error[1024], last_note[256];
	unsigned long long last_error_line;
	size_t lines_backwards; /* diagnostics out of input order */
	uint64_t progress_done;
	size_t progress_calls;
} fake;

static void
on_thread(void)
{
	if (!pthread_equal(pthread_self(), fake.owner))
		fake.off_thread++;
}

static int
fake_begin(struct store *st)
{
	(void)st;
	on_thread();
	return 0;
}

static int
fake_commit(struct store *st)
{
	(void)st;
	on_thread();
	fake.commits++;
	return 0;
}

/* True if raw[0..n) contains s. */
static bool
contains(const char *raw, size_t n, const char *s)
{
	size_t k = strlen(s);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(raw + i, s, k) == 0)
			return true;
	return false;
}

static int
fake_put_event(struct store *st, const struct event *ev, bool *added)
{
	char want[128];

	(void)st;
	on_thread();
	if (++fake.puts == fake.fail_at)
		return err_set(ERR_STORE, "disk full (test)");
	snprintf(want, sizeof(want), "%s-%zu", REAL_ID, fake.puts - 1);
	if (!ev->str[EF_ID] || strcmp(ev->str[EF_ID], want) != 0)
		fake.out_of_order++;
	if (!ev->str[EF_ACTOR] || !ev->str[EF_ACTION] || !ev->raw ||
	    strcmp(ev->str[EF_ACTOR], REAL_ACTOR) != 0 ||
	    strcmp(ev->str[EF_ACTION], REAL_ACTION) != 0 ||
	    ev->raw[0] != '{' || ev->raw[ev->raw_len - 1] != '}' ||
	    !contains(ev->raw, ev->raw_len, want))
		fake.bad_fields++;
	*added = true;
	return 0;
}

static int
fake_put_identity(struct store *st, const struct identity_item *it)
{
	(void)st;
	on_thread();
	if (it->arn && it->kind && it->doc)
		fake.identities++;
	return 0;
}

static const struct store_ops fake_ops = {
	.name = "fake",
	.begin = fake_begin,
	.commit = fake_commit,
	.rollback = fake_begin,
	.put_event = fake_put_event,
	.put_identity = fake_put_identity,
};

static void
on_diag(void *ctx, const char *severity, const char *msg)
{
	const char *colon;

	(void)ctx;
	on_thread();
	if (strcmp(severity, "note") == 0) {
		fake.notes++;
		snprintf(fake.last_note, sizeof(fake.last_note), "%s", msg);
		return;
	}
	if (strcmp(severity, "error") != 0)
		return;
	fake.errors++;
	snprintf(fake.last_error, sizeof(fake.last_error), "%s", msg);
	/* "path:LINE: record N: ..." */
	if ((colon = strstr(msg, ".jsonl:"))) {
		unsigned long long line = strtoull(colon + 7, NULL, 10);

		if (line <= fake.last_error_line)
			fake.lines_backwards++;
		fake.last_error_line = line;
	}
}

static void
on_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	(void)total;
	on_thread();
	fake.progress_calls++;
	fake.progress_done = done;
}

static void
fake_reset(size_t fail_at)
{
	memset(&fake, 0, sizeof(fake));
	fake.owner = pthread_self();
	fake.fail_at = fail_at;
}

/* ---- input -------------------------------------------------------------- */

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = calloc(1, (size_t)n + 1)) &&
	    fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

/* Write the test input to path; returns its size in bytes, 0 on failure. */
static long
write_input(const char *path)
{
	char src[1024];
	char *text;
	cJSON *doc, *rec;
	FILE *f;
	long size = 0;

	snprintf(src, sizeof(src), "%s/tests/data/stratus-red-team-detonations/"
		 "aws.defense-evasion.dns-delete-logs.json", top_srcdir);
	if (!(text = read_file(src)))
		return 0;
	doc = cJSON_Parse(text);
	free(text);
	rec = cJSON_GetArrayItem(doc, 0);
	if (!rec || !(f = fopen(path, "w"))) {
		cJSON_Delete(doc);
		return 0;
	}
	for (size_t k = 0; k < GOOD; k++) {
		char id[128];
		char *line;

		snprintf(id, sizeof(id), "%s-%zu", REAL_ID, k);
		cJSON_ReplaceItemInObjectCaseSensitive(rec, "eventID",
						       cJSON_CreateString(id));
		line = cJSON_PrintUnformatted(rec);
		fprintf(f, "%s\n", line);
		cJSON_free(line);
		if (k % BAD_EVERY == 0)
			fprintf(f, "not json, the line after record %zu\n", k);
	}
	size = ftell(f);
	fclose(f);
	cJSON_Delete(doc);
	return size;
}

static int
run_ingest(struct store *st, const char *path, unsigned max_diags,
	   struct ingest_stats *stats)
{
	struct ingest_opts o = {
		.diag = on_diag,
		.progress = on_progress,
		.max_diags = max_diags,
		.batch = 1000,
	};
	struct ingest *in = NULL;
	int rc;

	if ((rc = ingest_new(st, &o, &in)) < 0)
		return rc;
	rc = ingest_path(in, path);
	if (rc == 0)
		rc = ingest_finish(in);
	*stats = *ingest_stats(in);
	ingest_free(in);
	return rc;
}

/* ---- the tests ---------------------------------------------------------- */

#define BAD ((GOOD + BAD_EVERY - 1) / BAD_EVERY)

static void
test_order_and_tallies(struct store *st, const char *path, long size)
{
	struct ingest_stats s;

	fake_reset(0);
	CHECK_INT(run_ingest(st, path, 1000000, &s), 0);
	CHECK_INT(fake.off_thread, 0);
	CHECK_INT(fake.puts, GOOD);
	CHECK_INT(fake.out_of_order, 0);
	CHECK_INT(fake.bad_fields, 0);
	CHECK_INT(fake.commits, GOOD / 1000);
	CHECK_INT(s.nsrc, 1);
	CHECK_STR(s.src[0].name, "cloudtrail");
	CHECK_INT(s.src[0].events, GOOD);
	CHECK_INT(s.src[0].added, GOOD);
	CHECK_INT(s.files, 1);
	CHECK_INT(s.bytes, size);
	CHECK_INT(s.errors, BAD);
	CHECK_INT(fake.errors, BAD);
	CHECK_INT(fake.lines_backwards, 0);
	CHECK_INT(fake.notes, 0);
	/* the last bad line, the one after the copy with eventID ...-4947 */
	CHECK(strstr(fake.last_error, ".jsonl:5000: record 5000: not JSON: "
		     "expected an object or array") != NULL);
	CHECK(fake.progress_calls > 0);
	CHECK_INT(fake.progress_done, size);
}

static void
test_diag_limit(struct store *st, const char *path)
{
	struct ingest_stats s;
	char want[64];

	fake_reset(0);
	CHECK_INT(run_ingest(st, path, 5, &s), 0);
	CHECK_INT(fake.errors, 5);
	CHECK_INT(fake.notes, 1);
	snprintf(want, sizeof(want), ": %d more diagnostics not shown",
		 BAD - 5);
	CHECK(strstr(fake.last_note, want) != NULL);
	CHECK_INT(s.errors, BAD);
}

/* A store failure at the 3,000th event (past the first batches): nothing
 * after it is written, counted or reported, and the file still gets its
 * note, as when one thread did both. */
static void
test_store_failure(struct store *st, const char *path)
{
	struct ingest_stats s;
	size_t fail = 3000, bad_before = (fail - 1) / BAD_EVERY + 1;
	char want[64];

	fake_reset(fail);
	CHECK_INT(run_ingest(st, path, 5, &s), ERR_STORE);
	CHECK(strstr(err_msg(), "disk full (test)") != NULL);
	CHECK_INT(fake.off_thread, 0);
	CHECK_INT(fake.puts, fail);
	CHECK_INT(fake.out_of_order, 0);
	CHECK_INT(s.src[0].events, fail - 1);
	CHECK_INT(s.errors, bad_before);
	CHECK_INT(fake.errors, 5);
	CHECK_INT(fake.notes, 1);
	snprintf(want, sizeof(want), ": %zu more diagnostics not shown",
		 bad_before - 5);
	CHECK(strstr(fake.last_note, want) != NULL);
}

static void
test_identities(struct store *st)
{
	struct ingest_stats s;
	char path[1024];

	snprintf(path, sizeof(path), "%s/tests/data/iam-authz-cloudsplaining-"
		 "iam-vulnerable/example.json", top_srcdir);
	fake_reset(0);
	CHECK_INT(run_ingest(st, path, 20, &s), 0);
	CHECK_INT(fake.off_thread, 0);
	CHECK(fake.identities > 0);
	CHECK_INT(s.nsrc, 1);
	CHECK_STR(s.src[0].name, "iam_authz");
	CHECK_INT(s.src[0].identities, fake.identities);
}

/* ---- the queue on its own ------------------------------------------------ */

#define QBATCHES 200

struct producer {
	struct ingestq *q;
	size_t pushed;
	bool refused;
};

static void *
produce(void *arg)
{
	struct producer *p = arg;

	for (size_t i = 0; i < QBATCHES; i++) {
		struct ingestq_batch *b = ingestq_take_empty(p->q);
		char text[32];

		if (!b)
			break;
		snprintf(text, sizeof(text), "batch %zu", i);
		while (!ingestq_batch_full(b))
			ingestq_add(b, IQ_ERROR, text, "cloudtrail");
		if (!ingestq_push(p->q, b)) {
			p->refused = true;
			break;
		}
		p->pushed++;
	}
	ingestq_close(p->q);
	return NULL;
}

static void
test_queue(size_t cancel_after)
{
	struct producer p = { 0 };
	struct ingestq_batch *b;
	pthread_t t;
	size_t popped = 0, wrong = 0;

	CHECK_INT(ingestq_new(4, &p.q), 0);
	if (pthread_create(&t, NULL, produce, &p) != 0) {
		CHECK(!"cannot start a thread");
		ingestq_free(p.q);
		return;
	}
	while ((b = ingestq_pop(p.q))) {
		size_t n;
		struct ingestq_op *ops = ingestq_ops(b, &n);
		char want[32];

		snprintf(want, sizeof(want), "batch %zu", popped);
		for (size_t i = 0; i < n; i++)
			if (strcmp(ops[i].text, want) != 0 ||
			    strcmp(ops[i].name, "cloudtrail") != 0)
				wrong++;
		ingestq_recycle(p.q, b);
		if (++popped == cancel_after) {
			ingestq_cancel(p.q);
			break;
		}
	}
	pthread_join(t, NULL);
	ingestq_free(p.q);
	CHECK_INT(wrong, 0);
	if (!cancel_after) {
		CHECK_INT(popped, QBATCHES);
		CHECK_INT(p.pushed, QBATCHES);
	} else {
		/* the producer stops: at most the queue's depth more */
		CHECK(p.refused);
		CHECK(p.pushed <= cancel_after + 4);
	}
}

int
main(void)
{
	struct store st = { .ops = &fake_ops, .target = "fake" };
	char path[] = "/tmp/test_ingest_XXXXXX.jsonl";
	long size;
	int fd;

	top_srcdir = getenv("top_srcdir");
	if (!top_srcdir)
		top_srcdir = ".";
	fd = mkstemps(path, 6);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	size = write_input(path);
	CHECK(size > 0);
	if (size > 0) {
		test_order_and_tallies(&st, path, size);
		test_diag_limit(&st, path);
		test_store_failure(&st, path);
	}
	unlink(path);
	test_identities(&st);
	test_queue(0);
	test_queue(10);
	return tap_done();
}
