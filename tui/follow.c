/* SPDX-License-Identifier: Apache-2.0 */
/* follow: the console's background follower. One thread tails the given
 * files, directories and stdin; each round hands the complete records that
 * appeared to the ordinary ingest path on its own store connection, then
 * builds threats, runs the Sigma rules and investigates, as `verdict
 * ingest` does, and leaves news for the main loop, which alone draws:
 * nothing here writes to the terminal, failures become news too.
 *
 * Only whole records go to ingest: JSON input is cut after the last
 * complete top-level value, text after the last newline, so a half-written
 * line waits for the next round. A followed file that shrinks or is
 * replaced (truncation, rotation) is read again from its start; the store
 * drops the events it already holds. gzip files are read whole once their
 * size has held still for a round. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/adapter.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/ingest.h"
#include "core/investigate.h"
#include "core/jsonscan.h"
#include "core/sigma.h"
#include "core/store.h"
#include "core/threat.h"
#include "core/timeutil.h"
#include "kb/kb.h"
#include "tui/follow.h"

#define FOLLOW_TICK_MS 250
#define FOLLOW_DIR_EVERY 4          /* rescan directories every 4th tick */
#define FOLLOW_WINDOW (4u << 20)    /* bytes taken from one input per round */
#define FOLLOW_MAX_FILES 4096
#define FOLLOW_MAX_DEPTH 16
#define FOLLOW_BATCH 1000           /* events per transaction */

/* One followed input: a file, or stdin ("-"). */
struct tailed {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t off;          /* bytes already handed to ingest */
	bool kind_known;
	bool json;
	bool gzip;
	off_t gz_seen;      /* gzip: size at the last look */
	off_t gz_done;      /* gzip: size when last ingested, -1 if never */
	char *header;       /* VPC flow log header, put before later chunks */
};

struct follow {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;                  /* under lock */
	struct follow_news news;    /* under lock */
	bool has_news;              /* under lock */

	/* Only the thread touches the rest once it runs. */
	struct store *st;
	char *kb_dir;               /* --kb, $VERDICT_KB or the default */
	bool kb_named;              /* --kb or $VERDICT_KB: it must load */
	char **roots;
	size_t nroots;
	struct tailed *files;
	size_t nfiles;
	bool follow_stdin;
	bool stdin_open;
	struct tailed in;           /* stdin's state */
	struct buf pend;            /* stdin bytes not yet handed over */
	char tmp[4096];             /* private folder for chunk files */
	char chunk[4200];
	uint64_t nchunk;
};

/* ---- cutting input into whole records ------------------------------------ */

/* Decide JSON, gzip or text from the first bytes; false while only spaces
 * have arrived. */
static bool
classify(struct tailed *t, const char *p, size_t n)
{
	size_t i = 0;

	if (n >= 2 && (unsigned char)p[0] == 0x1f && (unsigned char)p[1] == 0x8b) {
		t->gzip = true;
		t->kind_known = true;
		return true;
	}
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < n && strchr(" \t\r\n", p[i]))
		i++;
	if (i == n)
		return false;
	t->json = p[i] == '{' || p[i] == '[';
	t->kind_known = true;
	return true;
}

/* How many bytes of p[0..n) end on a record boundary. */
static size_t
cut_point(const struct tailed *t, const char *p, size_t n)
{
	size_t pos = 0, cut = 0;

	if (t->json) {
		struct jsonscan js;

		jsonscan_init(&js);
		while (pos < n) {
			bool complete = false;
			size_t k = jsonscan_feed(&js, p + pos, n - pos, &complete);

			if (!complete || k == 0)
				break;
			pos += k;
			cut = pos;
		}
		return cut;
	}
	for (size_t i = n; i > 0; i--)
		if (p[i - 1] == '\n')
			return i;
	return 0;
}

/* Remember a VPC flow log header at the start of a text input: later
 * chunks need it to be read at all. */
static void
note_header(struct tailed *t, const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);
	size_t len = nl ? (size_t)(nl - p) : 0;

	if (t->json || t->header || !nl)
		return;
	if (len && p[len - 1] == '\r')
		len--;
	if (vpcflow_is_header(p, len) > 0 && (t->header = malloc(len + 1))) {
		memcpy(t->header, p, len);
		t->header[len] = '\0';
	}
}

static void
forget(struct tailed *t)
{
	t->off = 0;
	t->kind_known = t->json = t->gzip = false;
	t->gz_seen = 0;
	t->gz_done = -1;
	free(t->header);
	t->header = NULL;
}

/* ---- one round: ingest and investigate ------------------------------------ */

static bool stopping(struct follow *f);

static void
on_diag(void *ctx, const char *severity, const char *msg)
{
	/* Rejected records are counted in the stats; the terminal is the
	 * main thread's. */
	(void)ctx;
	(void)severity;
	(void)msg;
}

struct round {
	struct ingest *in;
	int64_t started;
	bool more;          /* an input has more than a window waiting */
	char error[256];
};

static void
round_fail(struct round *r, const char *what)
{
	if (!r->error[0])
		snprintf(r->error, sizeof(r->error), "%s: %s", what, err_msg());
}

static int
round_ingest(struct follow *f, struct round *r, const char *path)
{
	/* small batches: each commit is a point where the console sees
	 * progress and its own writes get a turn */
	static const struct ingest_opts io = { .diag = on_diag,
					       .batch = FOLLOW_BATCH };
	int rc;

	if (!r->in) {
		r->started = timeutil_now();
		if ((rc = ingest_new(f->st, &io, &r->in)) < 0) {
			round_fail(r, "ingest");
			return rc;
		}
	}
	err_clear();
	if ((rc = ingest_path(r->in, path)) < 0)
		round_fail(r, "ingest");
	return rc;
}

/* Hand p[0..n) of input t to ingest through a chunk file. */
static int
feed(struct follow *f, struct round *r, const struct tailed *t, const char *p,
     size_t n, bool first)
{
	FILE *o = fopen(f->chunk, "wb");
	bool ok = o != NULL;
	int rc;

	if (ok && t->header && !first)
		ok = fprintf(o, "%s\n", t->header) > 0;
	if (ok)
		ok = fwrite(p, 1, n, o) == n;
	if (o && fclose(o) != 0)
		ok = false;
	if (!ok) {
		unlink(f->chunk);
		err_set(ERR_IO, "cannot write %s", f->chunk);
		round_fail(r, t->path);
		return ERR_IO;
	}
	rc = round_ingest(f, r, f->chunk);
	unlink(f->chunk);
	return rc;
}

/* Take what was appended to file t since the last round. */
static void
take_file(struct follow *f, struct round *r, struct tailed *t)
{
	struct stat sb;
	size_t want, got = 0, cut;
	char *p;
	int fd;

	if (stat(t->path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return;
	if (sb.st_dev != t->dev || sb.st_ino != t->ino || sb.st_size < t->off) {
		/* replaced or truncated: read it again from the start */
		forget(t);
		t->dev = sb.st_dev;
		t->ino = sb.st_ino;
	}
	if (t->gzip) {
		/* whole files only, once their size holds still */
		if (sb.st_size == t->gz_seen && sb.st_size != t->gz_done) {
			round_ingest(f, r, t->path);
			t->gz_done = sb.st_size;
		}
		t->gz_seen = sb.st_size;
		return;
	}
	if (sb.st_size == t->off)
		return;
	want = (size_t)(sb.st_size - t->off);
	if (want > FOLLOW_WINDOW) {
		want = FOLLOW_WINDOW;
		r->more = true;
	}
	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if ((p = malloc(want))) {
		while (got < want) {
			ssize_t k = pread(fd, p + got, want - got, t->off + (off_t)got);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			got += (size_t)k;
		}
	}
	close(fd);
	if (!p || got == 0)
		goto out;
	if (!t->kind_known && !classify(t, p, got))
		goto out;
	if (t->gzip) {
		t->gz_seen = sb.st_size;
		goto out;
	}
	if (t->off == 0)
		note_header(t, p, got);
	cut = cut_point(t, p, got);
	/* a record larger than the window: hand it over as it is, for
	 * ingest to report, rather than wait for ever */
	if (cut == 0 && got == FOLLOW_WINDOW)
		cut = got;
	if (cut) {
		feed(f, r, t, p, cut, t->off == 0);
		t->off += (off_t)cut;
	}
out:
	free(p);
}

/* Take the whole records stdin has delivered; at its end, the rest. */
static void
take_stdin(struct follow *f, struct round *r)
{
	struct tailed *t = &f->in;
	size_t cut;

	if (!f->pend.len)
		return;
	if (!t->kind_known && !classify(t, f->pend.data, f->pend.len)) {
		if (!f->stdin_open)
			buf_reset(&f->pend);
		return;
	}
	/* a stream cannot be read twice: gzip on stdin is left to ingest
	 * whole, at the end */
	if (t->gzip && f->stdin_open)
		return;
	if (t->off == 0)
		note_header(t, f->pend.data, f->pend.len);
	cut = t->gzip ? f->pend.len : cut_point(t, f->pend.data, f->pend.len);
	if (!f->stdin_open || (cut == 0 && f->pend.len >= FOLLOW_WINDOW))
		cut = f->pend.len;
	if (!cut)
		return;
	feed(f, r, t, f->pend.data, cut, t->off == 0);
	t->off += (off_t)cut;
	memmove(f->pend.data, f->pend.data + cut, f->pend.len - cut);
	f->pend.len -= cut;
}

static void
publish(struct follow *f, const struct round *r, uint64_t events,
	uint64_t rejected, uint64_t threats, unsigned investigated)
{
	pthread_mutex_lock(&f->lock);
	f->news.rounds++;
	f->news.events += events;
	f->news.rejected += rejected;
	f->news.threats += threats;
	f->news.investigated += investigated;
	if (r->error[0])
		snprintf(f->news.error, sizeof(f->news.error), "%s", r->error);
	f->has_news = true;
	pthread_mutex_unlock(&f->lock);
}

/* Run the knowledge base's Sigma rules over the events stored since
 * `since`, as cli_detect_ingested does, with no message on the terminal.
 * A knowledge base without rules detects nothing. */
static int
round_detect(struct follow *f, int64_t since, uint64_t *raised)
{
	struct sigma_run_opts o = { .has_ingested_since = true,
				    .ingested_since_ns = since };
	struct sigma_run_stats s = { 0 };
	struct sigma_ruleset *rs = NULL;
	struct buf path;
	struct stat sb;
	int rc = 0;

	*raised = 0;
	buf_init(&path);
	if (!f->kb_dir || buf_printf(&path, "%s/rules/sigma", f->kb_dir) < 0) {
		rc = f->kb_dir ? err_set(ERR_NOMEM, "out of memory") : 0;
		goto out;
	}
	if (stat(path.data, &sb) < 0)
		goto out;
	if ((rc = sigma_ruleset_new(&rs)) < 0 ||
	    (rc = sigma_ruleset_load(rs, path.data)) < 0 ||
	    (rc = sigma_run(f->st, rs, &o, &s)) < 0)
		goto out;
	*raised = s.threats_new;
out:
	sigma_run_stats_dispose(&s);
	sigma_ruleset_free(rs);
	buf_dispose(&path);
	return rc;
}

struct pending {
	char **ids;
	size_t n;
};

static int
on_pending(void *ctx, const struct threat *t)
{
	struct pending *l = ctx;
	char **grown;

	if (t->verdict)
		return 0;
	if (!(grown = realloc(l->ids, (l->n + 1) * sizeof(*grown))))
		return err_set(ERR_NOMEM, "out of memory");
	l->ids = grown;
	if (!(l->ids[l->n] = strdup(t->id)))
		return err_set(ERR_NOMEM, "out of memory");
	l->n++;
	return 0;
}

static void
on_kb_diag(void *ctx, const char *msg)
{
	/* the knowledge base's own warnings are the console's to show
	 * (app_kb); the follower only needs it to load */
	(void)ctx;
	(void)msg;
}

/* Investigate every threat without a verdict, as cli_investigate_pending
 * does, with no message on the terminal: the first failure is returned
 * and the others go on. */
static int
round_investigate(struct follow *f, unsigned *done)
{
	struct threat_filter tf = { 0 };
	struct pending l = { 0 };
	struct kb_data *kb = NULL;
	unsigned kb_errors = 0;
	struct stat sb;
	int rc, first = 0;

	*done = 0;
	if ((rc = store_threat_list(f->st, &tf, on_pending, &l)) < 0)
		goto out;
	rc = 0;
	/* the built-in default may be absent (a build tree): no investigation */
	if (!l.n || !f->kb_dir || (!f->kb_named && stat(f->kb_dir, &sb) < 0))
		goto out;
	if ((rc = kb_load_dir(f->kb_dir, on_kb_diag, NULL, &kb, &kb_errors)) < 0)
		goto out;
	/* q must not wait for a long list: the rest waits for next time */
	for (size_t i = 0; i < l.n && !stopping(f); i++) {
		struct report *r = NULL;
		int irc = investigate_threat(f->st, kb, l.ids[i], &r);

		report_free(r);
		if (irc < 0 && !first)
			first = err_set(irc, "%s: %s", l.ids[i], err_msg());
		else if (irc == 0)
			(*done)++;
	}
	rc = first;
out:
	kb_data_free(kb);
	for (size_t i = 0; i < l.n; i++)
		free(l.ids[i]);
	free(l.ids);
	return rc;
}

/* Finish the round's ingest; new events make threats, detections and
 * investigations, in the order `verdict ingest` runs them. */
static void
round_finish(struct follow *f, struct round *r)
{
	const struct ingest_stats *s;
	uint64_t events = 0, added = 0, built = 0, detected = 0;
	unsigned investigated = 0;

	if (!r->in)
		return;
	if (ingest_finish(r->in) < 0)
		round_fail(r, "ingest");
	s = ingest_stats(r->in);
	for (size_t i = 0; i < s->nsrc; i++) {
		events += s->src[i].events;
		added += s->src[i].added;
	}
	if (added && threat_build(f->st, &built) < 0)
		round_fail(r, "building threats");
	else if (added && round_detect(f, r->started, &detected) < 0)
		round_fail(r, "running Sigma rules");
	else if (added && round_investigate(f, &investigated) < 0)
		round_fail(r, "investigating");
	if (added || s->errors || r->error[0])
		publish(f, r, events, s->errors, built + detected, investigated);
	ingest_free(r->in);
	r->in = NULL;
}

/* ---- finding the inputs --------------------------------------------------- */

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

static void
track(struct follow *f, const char *path)
{
	struct tailed *g;

	for (size_t i = 0; i < f->nfiles; i++)
		if (strcmp(f->files[i].path, path) == 0)
			return;
	if (f->nfiles == FOLLOW_MAX_FILES)
		return;
	if (!(g = realloc(f->files, (f->nfiles + 1) * sizeof(*g))))
		return;
	f->files = g;
	g = &f->files[f->nfiles];
	memset(g, 0, sizeof(*g));
	if (!(g->path = strdup(path)))
		return;
	forget(g);
	f->nfiles++;
}

static void
walk(struct follow *f, const char *dir, int depth)
{
	struct dirent **names = NULL;
	int n;

	if (depth > FOLLOW_MAX_DEPTH || (n = scandir(dir, &names, NULL, alphasort)) < 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		struct stat sb;
		struct buf child;

		buf_init(&child);
		if (name[0] != '.' &&
		    buf_printf(&child, "%s%s%s", dir,
			       dir[strlen(dir) - 1] == '/' ? "" : "/", name) == 0 &&
		    stat(child.data, &sb) == 0) {
			if (S_ISDIR(sb.st_mode))
				walk(f, child.data, depth + 1);
			else if (S_ISREG(sb.st_mode) && !is_documentation(name))
				track(f, child.data);
		}
		buf_dispose(&child);
		free(names[i]);
	}
	free(names);
}

/* Pick up files that appeared in the followed directories. A named file
 * is followed even before it exists. */
static void
discover(struct follow *f)
{
	for (size_t i = 0; i < f->nroots; i++) {
		struct stat sb;

		if (strcmp(f->roots[i], "-") == 0)
			continue;
		if (stat(f->roots[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			walk(f, f->roots[i], 0);
		else
			track(f, f->roots[i]);
	}
}

/* ---- the thread ----------------------------------------------------------- */

static bool
stopping(struct follow *f)
{
	bool stop;

	pthread_mutex_lock(&f->lock);
	stop = f->stop;
	pthread_mutex_unlock(&f->lock);
	return stop;
}

static void
read_stdin(struct follow *f)
{
	ssize_t k;

	if (buf_grow(&f->pend, 65536) < 0) {
		f->stdin_open = false;
		return;
	}
	k = read(STDIN_FILENO, f->pend.data + f->pend.len, 65536);
	if (k > 0)
		f->pend.len += (size_t)k;
	else if (k == 0 || (errno != EINTR && errno != EAGAIN))
		f->stdin_open = false;
}

/* Sleep a tick, or until stop; while stdin is open, read it meanwhile. */
static void
pause_tick(struct follow *f)
{
	struct timespec until;

	if (f->stdin_open) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

		if (poll(&p, 1, FOLLOW_TICK_MS) > 0)
			read_stdin(f);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += FOLLOW_TICK_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->lock);
	if (!f->stop)
		pthread_cond_timedwait(&f->wake, &f->lock, &until);
	pthread_mutex_unlock(&f->lock);
}

static void *
follow_main(void *arg)
{
	struct follow *f = arg;
	unsigned tick = 0;

	while (!stopping(f)) {
		struct round r = { 0 };

		if (tick++ % FOLLOW_DIR_EVERY == 0)
			discover(f);
		for (size_t i = 0; i < f->nfiles && !stopping(f); i++)
			take_file(f, &r, &f->files[i]);
		if (f->follow_stdin)
			take_stdin(f, &r);
		round_finish(f, &r);
		/* a large backlog is read without pausing between windows */
		if (!r.more)
			pause_tick(f);
	}
	return NULL;
}

/* ---- the main thread's side ----------------------------------------------- */

static void
follow_free(struct follow *f)
{
	if (!f)
		return;
	store_close(f->st);
	for (size_t i = 0; i < f->nfiles; i++) {
		free(f->files[i].path);
		free(f->files[i].header);
	}
	free(f->files);
	free(f->in.path);
	free(f->in.header);
	for (size_t i = 0; i < f->nroots; i++)
		free(f->roots[i]);
	free(f->roots);
	free(f->kb_dir);
	buf_dispose(&f->pend);
	if (f->tmp[0])
		rmdir(f->tmp);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

int
follow_start(const char *db, const char *kb_dir, const char *const *paths,
	     size_t npaths, struct follow **out)
{
	const char *base = getenv("TMPDIR");
	struct follow *f;
	sigset_t all, old;
	bool started;
	int rc = 0;

	*out = NULL;
	if (!(f = calloc(1, sizeof(*f))))
		return err_set(ERR_NOMEM, "out of memory");
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	buf_init(&f->pend);
	forget(&f->in);
	if (!(f->in.path = strdup("-")) ||
	    !(f->roots = calloc(npaths ? npaths : 1, sizeof(*f->roots))) ||
	    !(f->kb_dir = kb_dir ? strdup(kb_dir) : kb_default_dir())) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < npaths; i++) {
		if (!(f->roots[i] = strdup(paths[i]))) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto fail;
		}
		f->nroots++;
		if (strcmp(paths[i], "-") == 0)
			f->follow_stdin = f->stdin_open = true;
	}
	f->kb_named = kb_dir || (getenv("VERDICT_KB") && *getenv("VERDICT_KB"));
	snprintf(f->tmp, sizeof(f->tmp), "%s/verdict-follow.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(f->tmp)) {
		rc = err_set(ERR_IO, "--follow: cannot make a temporary folder in %s",
			     base && *base ? base : "/tmp");
		f->tmp[0] = '\0';
		goto fail;
	}
	snprintf(f->chunk, sizeof(f->chunk), "%s/chunk", f->tmp);
	/* a connection of its own: SQLite serialises the writers */
	if ((rc = store_open(db, 0, &f->st)) < 0)
		goto fail;
	/* Signals (SIGWINCH above all) belong to the main thread, where
	 * curses waits for them: the thread starts with them all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	started = pthread_create(&f->thread, NULL, follow_main, f) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!started) {
		rc = err_set(ERR_IO, "--follow: cannot start a thread");
		goto fail;
	}
	*out = f;
	return 0;
fail:
	follow_free(f);
	return rc;
}

bool
follow_poll(struct follow *f, struct follow_news *news)
{
	bool has;

	if (!f)
		return false;
	pthread_mutex_lock(&f->lock);
	has = f->has_news;
	if (has) {
		*news = f->news;
		memset(&f->news, 0, sizeof(f->news));
		f->has_news = false;
	}
	pthread_mutex_unlock(&f->lock);
	return has;
}

void
follow_stop(struct follow *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	follow_free(f);
}
