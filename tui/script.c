/* SPDX-License-Identifier: Apache-2.0 */
/* script: the console's scripted mode: keys and commands from a file and
 * screen dumps, so tests drive every view the way an analyst would. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/utf8.h"
#include "tui/app.h"
#include "tui/keymap.h"
#include "tui/script.h"

/* Key timings for `stats`: nanoseconds from a key to its screen drawn. */
static struct {
	uint64_t *ns;
	size_t n, cap;
} timing;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One key as the loop handles it: act, then draw. */
static void
press(struct app *app, int key)
{
	uint64_t t0 = now_ns();

	app_key(app, key);
	app_draw(app);
	if (timing.n == timing.cap) {
		size_t cap = timing.cap ? timing.cap * 2 : 1024;
		uint64_t *g = realloc(timing.ns, cap * sizeof(*g));

		if (!g)
			return;
		timing.ns = g;
		timing.cap = cap;
	}
	timing.ns[timing.n++] = now_ns() - t0;
}

static int
do_key(struct app *app, char *arg)
{
	char *save = NULL;

	for (char *k = strtok_r(arg, " \t", &save); k; k = strtok_r(NULL, " \t", &save)) {
		int key;

		if (keymap_key_parse(k, &key) < 0)
			return ERR_PARSE;
		press(app, key);
	}
	return 0;
}

/* Each character of text as a key press. */
static int
do_type(struct app *app, char *text)
{
	size_t n = strlen(text), i = 0;

	while (i < n && !app_done(app)) {
		unsigned cp;

		i += utf8_decode(text + i, n - i, &cp);
		press(app, (int)cp);
	}
	return 0;
}

static int
do_cmd(struct app *app, char *line)
{
	app_command(app, line);
	return 0;
}

static int
do_search(struct app *app, char *text)
{
	press(app, '/');
	press(app, KEYMAP_CTRL('u'));
	do_type(app, text);
	press(app, KEYMAP_ENTER);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
do_stats(struct app *app, char *path)
{
	FILE *f;
	size_t n = timing.n;

	(void)app;
	if (!*path)
		return err_set(ERR_PARSE, "stats: give a file");
	if (!(f = fopen(path, "a")))
		return err_set(ERR_IO, "stats: cannot write %s", path);
	if (n)
		qsort(timing.ns, n, sizeof(*timing.ns), cmp_u64);
	fprintf(f, "keys %zu p50_us %llu p99_us %llu max_us %llu\n", n,
		n ? (unsigned long long)timing.ns[n / 2] / 1000 : 0,
		n ? (unsigned long long)timing.ns[n * 99 / 100] / 1000 : 0,
		n ? (unsigned long long)timing.ns[n - 1] / 1000 : 0);
	timing.n = 0;
	return fclose(f) == 0 ? 0 : err_set(ERR_IO, "stats: cannot write %s", path);
}

static int
do_resize(struct app *app, char *arg)
{
	int cols, rows;
	char x;

	if (sscanf(arg, "%d%c%d", &cols, &x, &rows) != 3 || x != 'x')
		return err_set(ERR_PARSE, "resize: give COLSxROWS, e.g. 80x24");
	return app_resize(app, cols, rows);
}

static int
do_dump(struct app *app, char *path)
{
	if (!*path)
		return err_set(ERR_PARSE, "dump: give a file");
	return app_dump(app, path);
}

/* Wait for the follower's next round (or ms milliseconds). */
static int
do_wait(struct app *app, char *arg)
{
	char *end;
	unsigned long ms = strtoul(arg, &end, 10);

	if (end == arg || *end || ms > 600000)
		return err_set(ERR_PARSE, "wait: give milliseconds, at most 600000");
	app_wait(app, (unsigned)ms);
	return 0;
}

static const struct {
	const char *word;
	int (*fn)(struct app *app, char *arg);
} script_words[] = {
	{ "key", do_key },
	{ "type", do_type },
	{ "cmd", do_cmd },
	{ "search", do_search },
	{ "resize", do_resize },
	{ "dump", do_dump },
	{ "stats", do_stats },
	{ "wait", do_wait },
};

int
script_run(struct app *app, FILE *f, const char *name)
{
	char line[1024];
	unsigned lineno = 0;
	int rc = 0;

	while (rc == 0 && !app_done(app) && fgets(line, sizeof(line), f)) {
		const size_t nwords = sizeof(script_words) / sizeof(script_words[0]);
		char *p = line, *arg, why[512];
		size_t i, n;

		app_idle(app);
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		n = strcspn(p, " \t");
		arg = p + n;
		while (*arg == ' ' || *arg == '\t')
			arg++;
		for (i = 0; i < nwords; i++)
			if (strlen(script_words[i].word) == n &&
			    strncmp(script_words[i].word, p, n) == 0)
				break;
		if (i == nwords) {
			rc = err_set(ERR_PARSE, "%s:%u: unknown script word \"%.*s\" "
				     "(key, type, cmd, search, resize, dump, stats, "
				     "wait)",
				     name, lineno, (int)n, p);
		} else if ((rc = script_words[i].fn(app, arg)) < 0) {
			snprintf(why, sizeof(why), "%s", err_msg());
			rc = err_set(rc, "%s:%u: %s", name, lineno, why);
		}
	}
	free(timing.ns);
	timing.ns = NULL;
	timing.n = timing.cap = 0;
	return rc;
}
