/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_detect: `verdict detect`, running the Sigma rules of the knowledge
 * base over stored CloudTrail and Kubernetes audit events, and the same
 * run right after an ingest. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/sigma.h"
#include "core/store.h"
#include "core/timeutil.h"
#include "kb/kb.h"
#include "tui/cli.h"
#include "tui/table.h"

static void
detect_usage(FILE *out)
{
	fprintf(out, "usage: verdict detect [--rules PATH] [--since T] [--dry-run] "
		"[--no-investigate]\n                      [--sql]\n\n"
		"Run Sigma rules over the stored CloudTrail and Kubernetes audit "
		"events.\nEach hit becomes a threat (hits of one rule on the same "
		"entities group\ninto one), which is then investigated with the "
		"knowledge base. Rules that\nuse what verdict does not support "
		"are listed with the reason and never run.\n\n"
		"  --rules PATH  a rule file or folder (default: the knowledge "
		"base's\n                rules/sigma)\n"
		"  --since T     only events at or after T (ISO time, date, epoch "
		"seconds,\n                or 15m, 2h, 7d ago)\n"
		"  --dry-run     count hits per rule; raise no threats\n"
		"  --no-investigate  raise threats, investigate none\n"
		"  --sql         print each rule as an SQLite condition over "
		"events.raw\n");
}

/* The rules folder of --kb or the default knowledge base. Caller frees. */
static char *
default_rules(const struct cli_global *g)
{
	char *kb = g->kb ? strdup(g->kb) : kb_default_dir();
	char *path = kb ? malloc(strlen(kb) + sizeof("/rules/sigma")) : NULL;

	if (path)
		sprintf(path, "%s/rules/sigma", kb);
	free(kb);
	return path;
}

static void
print_text(const char *label, const char *s)
{
	struct buf b;

	buf_init(&b);
	text_escape(s ? s : "", &b);
	printf("%s%s\n", label, b.data ? b.data : "");
	buf_dispose(&b);
}

static void
print_load(const struct sigma_ruleset *rs)
{
	printf("rules: %zu loaded, %zu not loaded\n", rs->nrules, rs->nskips);
	for (size_t i = 0; i < rs->nskips; i++) {
		struct buf b;

		buf_init(&b);
		buf_printf(&b, "%s: %s", rs->skips[i].file, rs->skips[i].reason);
		print_text("  not loaded: ", b.data);
		buf_dispose(&b);
	}
	for (size_t i = 0; i < rs->nnotes; i++)
		print_text("  note: ", rs->notes[i]);
}

struct hit_row {
	const struct sigma_rule *r;
	uint64_t hits;
};

static int
by_hits(const void *a, const void *b)
{
	const struct hit_row *x = a, *y = b;

	if (x->hits != y->hits)
		return x->hits > y->hits ? -1 : 1;
	return strcmp(x->r->title, y->r->title);
}

static void
print_hits(const struct sigma_ruleset *rs, const struct sigma_run_stats *s)
{
	static const char *const head[] = { "hits", "level", "rule", "title" };
	struct hit_row *rows = calloc(rs->nrules + 1, sizeof(*rows));
	struct table t;
	size_t n = 0;

	if (!rows || table_init(&t, 4, head) < 0) {
		free(rows);
		return;
	}
	for (size_t i = 0; i < rs->nrules; i++)
		if (s->rule_hits[i])
			rows[n++] = (struct hit_row){ rs->rules[i], s->rule_hits[i] };
	qsort(rows, n, sizeof(*rows), by_hits);
	for (size_t i = 0; i < n; i++) {
		char hits[24];
		const char *cells[] = { hits, rows[i].r->severity,
					rows[i].r->id ? rows[i].r->id : "",
					rows[i].r->title };
		const bool num[] = { true, false, false, false };

		snprintf(hits, sizeof(hits), "%" PRIu64, rows[i].hits);
		table_add(&t, cells, num);
	}
	if (n)
		table_print(&t, stdout);
	table_dispose(&t);
	free(rows);
}

static int
print_sql(const struct sigma_ruleset *rs)
{
	int rc = EXIT_OK;

	for (size_t i = 0; i < rs->nrules; i++) {
		const struct sigma_rule *r = rs->rules[i];
		struct buf b;

		buf_init(&b);
		if (sigma_rule_sql(rs, r, &b) < 0) {
			cli_error("%s: %s", r->file, err_msg());
			rc = EXIT_PARTIAL;
		} else {
			printf("%s\t%s\t%s\n", r->id ? r->id : r->title,
			       sigma_source_events[r->source], b.data);
		}
		buf_dispose(&b);
	}
	return rc;
}

static int
load_rules(const char *path, struct sigma_ruleset **rs)
{
	if (sigma_ruleset_new(rs) < 0)
		return -1;
	if (sigma_ruleset_load(*rs, path) < 0) {
		cli_error("rules: %s", err_msg());
		sigma_ruleset_free(*rs);
		*rs = NULL;
		return -1;
	}
	return 0;
}

int
cli_detect_ingested(struct cli_global *g, struct store *st,
		    int64_t ingested_since_ns, uint64_t *new_threats)
{
	struct sigma_run_opts o = {
		.has_ingested_since = true,
		.ingested_since_ns = ingested_since_ns,
	};
	struct sigma_run_stats s = { 0 };
	struct sigma_ruleset *rs = NULL;
	char *path = default_rules(g);
	struct stat sb;
	int rc = 0;

	*new_threats = 0;
	if (!path)
		return err_set(ERR_NOMEM, "out of memory");
	/* A knowledge base without rules detects nothing; that is no error. */
	if (stat(path, &sb) < 0)
		goto out;
	if (load_rules(path, &rs) < 0) {
		rc = ERR_IO;
		goto out;
	}
	for (size_t i = 0; i < rs->nskips && g->verbose; i++)
		cli_error("rule not loaded: %s: %s", rs->skips[i].file,
			  rs->skips[i].reason);
	if ((rc = sigma_run(st, rs, &o, &s)) == 0)
		*new_threats = s.threats_new;
out:
	sigma_run_stats_dispose(&s);
	sigma_ruleset_free(rs);
	free(path);
	return rc;
}

int
cmd_detect(struct cli_global *g, int argc, char **argv)
{
	struct sigma_run_opts o = { 0 };
	struct sigma_run_stats s = { 0 };
	struct sigma_ruleset *rs = NULL;
	struct store *st = NULL;
	const char *rules = NULL;
	char *path = NULL, *db = NULL;
	bool want_sql = false, want_investigate = true;
	unsigned investigated = 0;
	int rc = EXIT_OK, kb_problems = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			detect_usage(stdout);
			return EXIT_OK;
		} else if (cli_global_opt(g, argc, argv, &i)) {
			continue;
		} else if (cli_is(a, "--rules")) {
			rules = cli_value(argc, argv, &i, "--rules");
		} else if (cli_is(a, "--since")) {
			const char *v = cli_value(argc, argv, &i, "--since");

			if (timeutil_parse_bound(v, timeutil_now(), &o.since_ns) < 0) {
				cli_error("--since: not a time: %s", v);
				return EXIT_USAGE;
			}
			o.has_since = true;
		} else if (!strcmp(a, "--dry-run")) {
			o.dry_run = true;
		} else if (!strcmp(a, "--sql")) {
			want_sql = true;
		} else if (!strcmp(a, "--no-investigate")) {
			want_investigate = false;
		} else {
			cli_error("detect: unknown argument %s", a);
			detect_usage(stderr);
			return EXIT_USAGE;
		}
	}
	path = rules ? strdup(rules) : default_rules(g);
	if (!path || load_rules(path, &rs) < 0) {
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (want_sql) {
		rc = print_sql(rs);
		goto out;
	}
	db = cli_db_path(g);
	if (!db || store_open(db, o.dry_run ? STORE_READONLY : 0, &st) < 0) {
		cli_error("%s", db ? err_msg() : "no database path");
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (sigma_run(st, rs, &o, &s) < 0) {
		cli_error("detect: %s", err_msg());
		rc = EXIT_FAILURE_;
		goto out;
	}
	/* The new threats are investigated like any other (as after an
	 * ingest). */
	if (!o.dry_run && want_investigate &&
	    (kb_problems = cli_investigate_pending(g, st, &investigated)) < 0) {
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (!g->quiet) {
		print_load(rs);
		printf("events scanned: %" PRIu64 "\n", s.events);
		if (s.unparsed)
			printf("events not JSON objects: %" PRIu64 "\n", s.unparsed);
		print_hits(rs, &s);
		printf("hits: %" PRIu64 "\n", s.hits);
		if (!o.dry_run)
			printf("threats: %" PRIu64 " new\n", s.threats_new);
		if (investigated)
			printf("investigated: %u\n", investigated);
	}
	if (kb_problems > 0)
		rc = EXIT_PARTIAL;
out:
	sigma_run_stats_dispose(&s);
	sigma_ruleset_free(rs);
	store_close(st);
	free(path);
	free(db);
	return rc;
}
