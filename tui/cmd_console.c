/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_console: `verdict console` (and `verdict` alone), the threat queue
 * in the terminal, and `verdict demo`, the console on bundled real data in
 * a throwaway store. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/ingest.h"
#include "core/investigate.h"
#include "core/store.h"
#include "core/threat.h"
#include "core/trace.h"
#include "kb/kb.h"
#include "tui/app.h"
#include "tui/cli.h"
#include "tui/paths.h"

struct console_args {
	struct app_opts o;
	bool keep;           /* demo: keep the throwaway store */
	const char **follow; /* --follow paths, argc of them at most */
};

static void
console_usage(FILE *out, const char *cmd)
{
	fprintf(out, "usage: verdict %s [--readonly] [--theme NAME] "
		"[--threat ID] [--follow PATH|-]...\n"
		"       %*s [--script FILE]%s\n\n", cmd, (int)strlen(cmd) + 7, "",
		strcmp(cmd, "demo") == 0 ? " [--keep]" : "");
	if (strcmp(cmd, "demo") == 0)
		fprintf(out, "Open the console on the bundled real data, ingested "
			"and investigated in a\nthrowaway store that is removed "
			"on exit (--keep keeps it).\n\n");
	else
		fprintf(out, "Open the threat queue in the terminal. `verdict` "
			"with no arguments does the same.\n\n");
	fprintf(out,
		"  --readonly      refuse every change (status, re-investigation)\n"
		"  --theme NAME    a theme from themes/ or $XDG_CONFIG_HOME/verdict/"
		"themes/\n"
		"  --threat ID     open this threat's investigation first\n"
		"  --follow PATH   tail PATH (a file, a directory, or - for "
		"stdin) in the\n"
		"                  background: new records are ingested, "
		"become threats and\n"
		"                  are investigated as with verdict ingest; "
		"repeatable\n"
		"  --script FILE   read keys and commands from FILE on a virtual "
		"screen\n"
		"                  (key NAME, type TEXT, cmd :LINE, search TEXT,\n"
		"                  resize COLSxROWS, dump FILE, stats FILE, wait MS);\n"
		"                  for tests\n\n"
		"Keys: ? in any view lists them; : opens the command line.\n");
}

static bool
follows_stdin(const struct console_args *a)
{
	for (size_t i = 0; i < a->o.nfollow; i++)
		if (strcmp(a->follow[i], "-") == 0)
			return true;
	return false;
}

/* Parse the options console and demo share; returns -1 to go on, else an
 * exit code. */
static int
parse_args(struct cli_global *g, int argc, char **argv, struct console_args *a,
	   bool demo)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			console_usage(stdout, argv[0]);
			return EXIT_OK;
		} else if (cli_global_opt(g, argc, argv, &i)) {
			continue;
		} else if (strcmp(s, "--readonly") == 0) {
			a->o.readonly = true;
		} else if (cli_is(s, "--theme")) {
			a->o.theme = cli_value(argc, argv, &i, "--theme");
		} else if (cli_is(s, "--script")) {
			a->o.script = cli_value(argc, argv, &i, "--script");
		} else if (cli_is(s, "--threat")) {
			a->o.open_threat = cli_value(argc, argv, &i, "--threat");
		} else if (cli_is(s, "--follow")) {
			if (!a->follow &&
			    !(a->follow = calloc((size_t)argc, sizeof(*a->follow)))) {
				cli_error("out of memory");
				return EXIT_FAILURE_;
			}
			a->follow[a->o.nfollow++] = cli_value(argc, argv, &i,
							      "--follow");
		} else if (demo && strcmp(s, "--keep") == 0) {
			a->keep = true;
		} else {
			cli_error("%s: unknown option %s", argv[0], s);
			console_usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	a->o.kb_dir = g->kb;
	a->o.follow = a->follow;
	if (a->o.nfollow && a->o.readonly) {
		cli_error("%s: --follow writes to the store; --readonly forbids "
			  "it", argv[0]);
		return EXIT_USAGE;
	}
	/* Before any work: the demo ingests first, the console opens a store.
	 * Following stdin, the keys come from the terminal itself. */
	if (!a->o.script && (!(isatty(STDIN_FILENO) || follows_stdin(a)) ||
			     !isatty(STDOUT_FILENO))) {
		cli_error("%s: the console needs a terminal (or --script FILE)",
			  argv[0]);
		return EXIT_USAGE;
	}
	return -1;
}

static int
run_console(struct store *st, const struct console_args *a)
{
	int rc = app_run(st, &a->o);

	if (rc == 0)
		return EXIT_OK;
	cli_error("%s", err_msg());
	/* A bad script line or no terminal is a usage problem. */
	return rc == ERR_PARSE || rc == ERR_USAGE ? EXIT_USAGE : EXIT_FAILURE_;
}

int
cmd_console(struct cli_global *g, int argc, char **argv)
{
	struct console_args a = { 0 };
	struct store *st = NULL;
	char *db = NULL;
	int rc = parse_args(g, argc, argv, &a, false);

	if (rc >= 0)
		goto out;
	db = cli_db_path(g);
	if (!db) {
		cli_error("no store path: set --db or $HOME");
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (store_open(db, a.o.readonly ? STORE_READONLY : 0, &st) < 0) {
		cli_error("%s", err_msg());
		rc = EXIT_FAILURE_;
		goto out;
	}
	a.o.db = db;
	rc = run_console(st, &a);
out:
	store_close(st);
	free(db);
	free(a.follow);
	return rc;
}

/* ---- demo ----------------------------------------------------------------- */

static int
copy_file(const char *src, const char *dst)
{
	FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
	char chunk[65536];
	size_t n;
	int rc = 0;

	if (!in || !out)
		rc = err_set(ERR_IO, "cannot copy %s to %s", src, dst);
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		if (fwrite(chunk, 1, n, out) != n)
			rc = err_set(ERR_IO, "cannot write %s", dst);
	if (in)
		fclose(in);
	if (out && fclose(out) != 0 && rc == 0)
		rc = err_set(ERR_IO, "cannot write %s", dst);
	return rc;
}

/* Copy the folder src to dst: folders and regular files only. */
static int
copy_tree(const char *src, const char *dst, int depth)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > 16)
		return err_set(ERR_IO, "%s: folders nested too deep", src);
	if (mkdir(dst, 0700) < 0 && errno != EEXIST)
		return err_set(ERR_IO, "cannot make %s", dst);
	if (!(d = opendir(src)))
		return err_set(ERR_IO, "cannot read %s", src);
	while (rc == 0 && (de = readdir(d))) {
		char *s, *t;
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		s = paths_join(src, de->d_name);
		t = paths_join(dst, de->d_name);
		if (!s || !t)
			rc = err_set(ERR_NOMEM, "out of memory");
		else if (lstat(s, &sb) == 0 && S_ISDIR(sb.st_mode))
			rc = copy_tree(s, t, depth + 1);
		else if (lstat(s, &sb) == 0 && S_ISREG(sb.st_mode))
			rc = copy_file(s, t);
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

static int
remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

static void
on_ingest_diag(void *ctx, const char *severity, const char *msg)
{
	/* The bundled data holds documentation and odd cases on purpose. */
	(void)ctx;
	(void)severity;
	(void)msg;
}

struct id_list {
	char **ids;
	size_t n, cap;
};

static int
on_threat_id(void *ctx, const struct threat *t)
{
	struct id_list *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **g = realloc(l->ids, cap * sizeof(*g));

		if (!g)
			return err_set(ERR_NOMEM, "out of memory");
		l->ids = g;
		l->cap = cap;
	}
	if (!(l->ids[l->n] = strdup(t->id)))
		return err_set(ERR_NOMEM, "out of memory");
	l->n++;
	return 0;
}

static void
on_kb_diag(void *ctx, const char *msg)
{
	(void)ctx;
	trace(TRACE_WARN, "demo kb: %s", msg);
}

/* Build the threats and investigate those without a report. */
static int
investigate_all(struct store *st, const char *kb_dir, size_t *ninv)
{
	struct threat_filter f = { 0 };
	struct id_list l = { 0 };
	struct kb_data *kb = NULL;
	uint64_t added = 0;
	unsigned kb_errors = 0;
	int rc;

	*ninv = 0;
	if ((rc = threat_build(st, &added)) < 0)
		return rc;
	if ((rc = store_threat_list(st, &f, on_threat_id, &l)) < 0)
		goto out;
	if ((rc = kb_load_dir(kb_dir, on_kb_diag, NULL, &kb, &kb_errors)) < 0)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		char *json = NULL;
		struct report *r = NULL;

		if (store_report_get(st, l.ids[i], &json) == 0) {
			free(json);
			continue;
		}
		err_clear();
		if (investigate_threat(st, kb, l.ids[i], &r) == 0)
			(*ninv)++;
		else
			trace(TRACE_WARN, "demo: %s: %s", l.ids[i], err_msg());
		report_free(r);
	}
out:
	kb_data_free(kb);
	for (size_t i = 0; i < l.n; i++)
		free(l.ids[i]);
	free(l.ids);
	return rc;
}

static uint64_t
events_in(const struct ingest_stats *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->nsrc; i++)
		n += s->src[i].events;
	return n;
}

/* Make the throwaway store: ingest the bundled data, build threats and
 * investigate them. */
static int
demo_prepare(const char *tmp, struct store **st, char **db, char **kb_dir,
	     bool quiet)
{
	char *data = paths_data(PATHS_DEMO), *kb_src = paths_data(PATHS_KB);
	struct ingest_opts io = { .diag = on_ingest_diag };
	struct ingest *in = NULL;
	uint64_t nthreats = 0;
	size_t ninv = 0;
	int rc;

	*db = paths_join(tmp, "events.db");
	*kb_dir = paths_join(tmp, "kb");
	if (!data || !kb_src || !*db || !*kb_dir) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!paths_exists(data)) {
		rc = err_set(ERR_NOTFOUND, "no bundled data at %s (set "
			     "VERDICT_DATADIR to the installed data folder)", data);
		goto out;
	}
	if ((rc = copy_tree(kb_src, *kb_dir, 0)) < 0)
		goto out;
	if ((rc = store_open(*db, 0, st)) < 0 || (rc = ingest_new(*st, &io, &in)) < 0 ||
	    (rc = ingest_path(in, data)) < 0 || (rc = ingest_finish(in)) < 0)
		goto out;
	if ((rc = investigate_all(*st, *kb_dir, &ninv)) < 0)
		goto out;
	{
		struct threat_filter f = { 0 };
		struct id_list l = { 0 };

		store_threat_list(*st, &f, on_threat_id, &l);
		nthreats = l.n;
		for (size_t i = 0; i < l.n; i++)
			free(l.ids[i]);
		free(l.ids);
	}
	if (!quiet)
		fprintf(stderr, "verdict demo: %llu events from %s, %llu threats, "
			"%zu investigated, in %s\n",
			(unsigned long long)events_in(ingest_stats(in)), data,
			(unsigned long long)nthreats, ninv, tmp);
out:
	ingest_free(in);
	free(data);
	free(kb_src);
	return rc;
}

int
cmd_demo(struct cli_global *g, int argc, char **argv)
{
	struct console_args a = { 0 };
	struct store *st = NULL;
	char tmp[4096], *db = NULL, *kb_dir = NULL;
	const char *base = getenv("TMPDIR");
	int rc = parse_args(g, argc, argv, &a, true);

	if (rc >= 0) {
		free(a.follow);
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s/verdict-demo.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmp)) {
		cli_error("cannot make a temporary folder in %s",
			  base && *base ? base : "/tmp");
		free(a.follow);
		return EXIT_FAILURE_;
	}
	if (demo_prepare(tmp, &st, &db, &kb_dir, g->quiet) < 0) {
		cli_error("demo: %s", err_msg());
		rc = EXIT_FAILURE_;
		goto out;
	}
	a.o.db = db;
	a.o.kb_dir = kb_dir;
	a.o.fresh = true;
	rc = run_console(st, &a);
out:
	store_close(st);
	if (a.keep)
		fprintf(stderr, "verdict demo: the store stays at %s\n", db ? db : tmp);
	else
		nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(db);
	free(kb_dir);
	free(a.follow);
	return rc;
}
