/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_ingest: `verdict ingest PATH...`. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/ingest.h"
#include "core/store.h"
#include "core/threat.h"
#include "core/timeutil.h"
#include "tui/cli.h"
#include "tui/progress.h"
#include "tui/table.h"

struct ingest_ui {
	struct cli_global *g;
	struct progress bar;
	char *db_real;   /* the store's resolved path, to skip its files */
};

/* The store's own files (and its WAL and journal) are never input. */
static bool
on_skip_path(void *ctx, const char *path)
{
	struct ingest_ui *ui = ctx;
	char *real;
	size_t n;
	bool skip = false;

	if (!ui->db_real || !(real = realpath(path, NULL)))
		return false;
	n = strlen(ui->db_real);
	if (strncmp(real, ui->db_real, n) == 0 &&
	    (real[n] == '\0' || strcmp(real + n, "-wal") == 0 ||
	     strcmp(real + n, "-shm") == 0 || strcmp(real + n, "-journal") == 0))
		skip = true;
	free(real);
	return skip;
}

static void
on_diag(void *ctx, const char *severity, const char *msg)
{
	struct ingest_ui *ui = ctx;
	struct buf b;

	if (ui->g->quiet && strcmp(severity, "error") != 0)
		return;
	if (!ui->g->verbose && strcmp(severity, "skipped") == 0)
		return;
	progress_clear(&ui->bar);
	buf_init(&b);
	text_escape(msg, &b);
	fprintf(stderr, "verdict: %s: %s\n", severity, b.data ? b.data : "");
	buf_dispose(&b);
}

static void
on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct ingest_ui *ui = ctx;

	(void)total;
	progress_update(&ui->bar, done);
}

static void
ingest_usage(FILE *out)
{
	fprintf(out, "usage: verdict ingest [--format NAME] [--vpc-fields FIELDS] "
		"[--max-record MIB] [--no-progress]\n                      "
		"[--no-threats] [--no-detect] [--no-investigate] PATH...\n\n"
		"Read files, directories (recursively) or - (stdin) into the event "
		"store.\nFormats are detected per file and per record; --format "
		"forces one\n(verdict formats lists them). gzip is recognised by "
		"its magic bytes.\nFindings and alerts then become threats "
		"(verdict threats) unless\n--no-threats is given; the knowledge base's "
		"Sigma rules run over the new\nCloudTrail and Kubernetes audit "
		"events (verdict detect) unless --no-detect\nis given; and each new "
		"threat is investigated with the\nknowledge base (--kb DIR) "
		"unless --no-investigate is given.\n");
}

static void
print_summary(const struct ingest_stats *s)
{
	static const char *const head[] = { "source", "events", "new",
					    "identities", "warnings", "errors" };
	struct table t;

	if (table_init(&t, 6, head) < 0)
		return;
	for (size_t i = 0; i < s->nsrc; i++) {
		char ev[24], added[24], id[24], warn[24], errs[24];
		const char *cells[] = { s->src[i].name, ev, added, id, warn, errs };
		const bool num[] = { false, true, true, true, true, true };

		snprintf(ev, sizeof(ev), "%" PRIu64, s->src[i].events);
		snprintf(added, sizeof(added), "%" PRIu64, s->src[i].added);
		snprintf(id, sizeof(id), "%" PRIu64, s->src[i].identities);
		snprintf(warn, sizeof(warn), "%" PRIu64, s->src[i].warnings);
		snprintf(errs, sizeof(errs), "%" PRIu64, s->src[i].errors);
		table_add(&t, cells, num);
	}
	if (s->nsrc)
		table_print(&t, stdout);
	table_dispose(&t);
	for (size_t i = 0; i < s->nskip; i++)
		{
			struct buf b;

			buf_init(&b);
			text_escape(s->skip[i].reason, &b);
			printf("skipped %" PRIu64 ": %s\n", s->skip[i].count,
			       b.data ? b.data : "");
			buf_dispose(&b);
		}
	printf("%" PRIu64 " files, %.1f MiB, %" PRIu64 " errors (records "
	       "rejected), %" PRIu64 " warnings\n", s->files,
	       (double)s->bytes / (1 << 20), s->errors, s->warnings);
}

int
cmd_ingest(struct cli_global *g, int argc, char **argv)
{
	struct ingest_opts o = { 0 };
	struct ingest_ui ui = { .g = g };
	const char **paths;
	size_t npaths = 0;
	struct store *st = NULL;
	struct ingest *in = NULL;
	bool want_progress = true, want_threats = true, want_investigate = true;
	bool want_detect = true;
	uint64_t new_threats = 0, sigma_threats = 0;
	int64_t started = 0;
	unsigned investigated = 0;
	int kb_problems = 0;
	char *db = NULL;
	int rc = EXIT_OK, i;

	paths = calloc((size_t)argc, sizeof(*paths));
	if (!paths)
		return EXIT_FAILURE_;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			ingest_usage(stdout);
			free(paths);
			return EXIT_OK;
		} else if (cli_global_opt(g, argc, argv, &i)) {
			continue;
		} else if (cli_is(a, "--format")) {
			o.format = cli_value(argc, argv, &i, "--format");
		} else if (cli_is(a, "--vpc-fields")) {
			o.vpc_fields = cli_value(argc, argv, &i, "--vpc-fields");
		} else if (cli_is(a, "--max-record")) {
			long mib = atol(cli_value(argc, argv, &i, "--max-record"));

			if (mib < 1 || mib > 4096) {
				cli_error("--max-record: give MiB between 1 and 4096");
				free(paths);
				return EXIT_USAGE;
			}
			o.max_record = (size_t)mib << 20;
		} else if (strcmp(a, "--no-progress") == 0) {
			want_progress = false;
		} else if (strcmp(a, "--no-threats") == 0) {
			want_threats = false;
		} else if (strcmp(a, "--no-investigate") == 0) {
			want_investigate = false;
		} else if (strcmp(a, "--no-detect") == 0) {
			want_detect = false;
		} else if (a[0] == '-' && a[1] != '\0') {
			cli_error("ingest: unknown option %s", a);
			ingest_usage(stderr);
			free(paths);
			return EXIT_USAGE;
		} else {
			paths[npaths++] = a;
		}
	}
	if (npaths == 0) {
		ingest_usage(stderr);
		free(paths);
		return EXIT_USAGE;
	}
	o.diag = on_diag;
	o.progress = on_progress;
	o.ctx = &ui;
	o.max_diags = g->verbose ? 1000000 : 20;
	o.report_skips = g->verbose;
	o.skip_path = on_skip_path;
	progress_init(&ui.bar, want_progress && !g->quiet && isatty(STDERR_FILENO),
		      ingest_total_bytes(paths, npaths));
	db = cli_db_path(g);
	if (!db || store_open(db, 0, &st) < 0) {
		cli_error("%s", db ? err_msg() : "no database path");
		rc = EXIT_FAILURE_;
		goto out;
	}
	ui.db_real = realpath(db, NULL);
	/* Every event this run stores is stamped at or after this. */
	started = timeutil_now();
	if (ingest_new(st, &o, &in) < 0) {
		cli_error("%s", err_msg());
		rc = EXIT_USAGE;
		goto out;
	}
	for (size_t k = 0; k < npaths; k++) {
		if (ingest_path(in, paths[k]) < 0) {
			progress_clear(&ui.bar);
			cli_error("error: store: %s; stopped while reading %s "
				  "(batches committed before this are kept)",
				  err_msg(), paths[k]);
			if (!g->quiet)
				print_summary(ingest_stats(in));
			rc = EXIT_FAILURE_;
			goto out;
		}
	}
	if (ingest_finish(in) < 0) {
		progress_clear(&ui.bar);
		cli_error("error: store: %s (batches committed before this are "
			  "kept)", err_msg());
		rc = EXIT_FAILURE_;
		goto out;
	}
	progress_clear(&ui.bar);
	if (want_threats && threat_build(st, &new_threats) < 0) {
		cli_error("building threats: %s", err_msg());
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (want_threats && want_detect &&
	    cli_detect_ingested(g, st, started, &sigma_threats) < 0) {
		cli_error("running Sigma rules: %s", err_msg());
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (want_threats && want_investigate &&
	    (kb_problems = cli_investigate_pending(g, st, &investigated)) < 0) {
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (!g->quiet) {
		print_summary(ingest_stats(in));
		if (want_threats)
			printf("threats: %" PRIu64 " new\n", new_threats);
		if (want_threats && want_detect)
			printf("threats from Sigma rules: %" PRIu64 " new\n",
			       sigma_threats);
		if (investigated)
			printf("investigated: %u\n", investigated);
	}
	if (ingest_stats(in)->errors || kb_problems > 0)
		rc = EXIT_PARTIAL;
out:
	ingest_free(in);
	store_close(st);
	free(ui.db_real);
	free(db);
	free(paths);
	return rc;
}
