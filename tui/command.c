/* SPDX-License-Identifier: Apache-2.0 */
/* command: the `:` commands: one table that runs, completes and documents
 * them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "tui/app.h"
#include "tui/command.h"
#include "tui/theme.h"
#include "tui/view.h"

static unsigned
run_quit(struct app *app, const char *arg)
{
	(void)arg;
	app_quit(app);
	return REDRAW_NONE;
}

static unsigned
run_theme(struct app *app, const char *arg)
{
	if (!*arg) {
		app_error(app, "theme: give a name (Tab lists them)");
		return REDRAW_STATUS;
	}
	if (app_set_theme(app, arg) < 0)
		app_error(app, "%s", err_msg());
	else
		app_status(app, "theme %s", arg);
	return REDRAW_ALL;
}

static unsigned
run_sort(struct app *app, const char *arg)
{
	char col[32], dir[16] = "";
	char sort[64];

	if (sscanf(arg, "%31s %15s", col, dir) < 1 || view_queue_column(col) < 0) {
		app_error(app, "sort: give a column: severity, status, verdict, "
			  "confidence, title, entity, time or count");
		return REDRAW_STATUS;
	}
	if (*dir && strcmp(dir, "asc") != 0 && strcmp(dir, "desc") != 0) {
		app_error(app, "sort: the order is asc or desc, not \"%s\"", dir);
		return REDRAW_STATUS;
	}
	snprintf(sort, sizeof(sort), "%s%s%s", col, *dir ? " " : "", dir);
	app_set_queue_sort(app, sort);
	app_status(app, "queue sorted by %s", sort);
	return REDRAW_ALL;
}

static unsigned
run_filter(struct app *app, const char *arg)
{
	app_set_queue_filter(app, arg);
	app_status(app, *arg ? "queue filter \"%s\"" : "queue filter cleared%s",
		   arg);
	return REDRAW_ALL;
}

static unsigned
run_help(struct app *app, const char *arg)
{
	(void)arg;
	app_push(app, &view_help_ops, keymap_scope_name(app_scope(app)));
	return REDRAW_ALL;
}

static unsigned
run_event(struct app *app, const char *arg)
{
	if (!*arg) {
		app_error(app, "event: give an event id");
		return REDRAW_STATUS;
	}
	app_push(app, &view_evidence_ops, arg);
	return REDRAW_ALL;
}

static unsigned
run_threat(struct app *app, const char *arg)
{
	if (!*arg) {
		app_error(app, "threat: give a threat id");
		return REDRAW_STATUS;
	}
	app_push(app, &view_investigation_ops, arg);
	return REDRAW_ALL;
}

/* :history [PATH]: every commit, or those that changed PATH. */
static unsigned
run_history(struct app *app, const char *arg)
{
	app_push(app, &view_history_ops, arg);
	return REDRAW_ALL;
}

/* :feedback THREAT VERDICT NOTE (O in an investigation types the first). */
static unsigned
run_feedback(struct app *app, const char *arg)
{
	char id[128], verdict[32];
	int used = 0;

	if (app_readonly(app)) {
		app_error(app, "read-only: feedback is refused");
		return REDRAW_STATUS;
	}
	if (sscanf(arg, "%127s %31s %n", id, verdict, &used) < 2 || !used ||
	    !arg[used]) {
		app_error(app, "feedback: give THREAT VERDICT NOTE (verdict: "
			  "malicious, suspicious, benign or inconclusive)");
		return REDRAW_STATUS;
	}
	/* The outcome is on the status line; r shows the threat decided. */
	view_feedback(app, id, verdict, arg + used);
	return REDRAW_ALL;
}

static char **
complete_themes(struct app *app)
{
	(void)app;
	return theme_list();
}

static char **
complete_columns(struct app *app)
{
	size_t n = 0;
	char **out;

	(void)app;
	while (view_queue_columns[n])
		n++;
	out = calloc(n + 1, sizeof(*out));
	for (size_t i = 0; out && i < n; i++)
		out[i] = strdup(view_queue_columns[i]);
	return out;
}

const struct command command_table[] = {
	{ "quit", "", "leave the console", run_quit, NULL },
	{ "q", "", "leave the console", run_quit, NULL },
	{ "theme", "NAME", "switch to a theme (bundled or your own)", run_theme,
	  complete_themes },
	{ "sort", "COLUMN [asc|desc]", "sort the queue by a column", run_sort,
	  complete_columns },
	{ "filter", "TEXT", "filter the queue, like / in the queue (col:text "
	  "looks in one column)", run_filter, NULL },
	{ "event", "ID", "show the raw record of a stored event", run_event, NULL },
	{ "threat", "ID", "open a threat's investigation", run_threat, NULL },
	{ "feedback", "THREAT VERDICT NOTE", "record a decision on a threat "
	  "in the knowledge base (O types the threat)", run_feedback, NULL },
	{ "history", "[PATH]", "the knowledge base's commits (those that "
	  "changed PATH) and their diffs", run_history, NULL },
	{ "help", "", "the keys of this view and these commands", run_help, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* Split "name arg" into the command and the argument text. */
static const struct command *
find(const char *line, const char **arg)
{
	size_t n;

	while (*line == ' ' || *line == ':')
		line++;
	n = strcspn(line, " ");
	*arg = line + n;
	while (**arg == ' ')
		(*arg)++;
	for (size_t i = 0; command_table[i].name; i++)
		if (strlen(command_table[i].name) == n &&
		    strncmp(command_table[i].name, line, n) == 0)
			return &command_table[i];
	return NULL;
}

unsigned
command_run(struct app *app, const char *line)
{
	const struct command *c;
	const char *arg;
	char *a;
	unsigned r;

	while (*line == ' ' || *line == ':')
		line++;
	if (!*line)
		return REDRAW_STATUS;
	if (!(c = find(line, &arg))) {
		app_error(app, "unknown command \"%.*s\" (:help lists them)",
			  (int)strcspn(line, " "), line);
		return REDRAW_STATUS;
	}
	a = strdup(arg);
	if (!a)
		return REDRAW_NONE;
	/* Trailing spaces are not part of a name or a column. */
	for (size_t n = strlen(a); n && a[n - 1] == ' '; n--)
		a[n - 1] = '\0';
	r = c->run(app, a);
	free(a);
	return r;
}

/* Complete word against cands; returns the count of matches, sets line
 * from keep (the text before the word) plus the completion. */
static size_t
complete_word(const char *keep, size_t keep_len, const char *word,
	      const char *const *cands, bool add_space, struct buf *line,
	      struct buf *hint)
{
	size_t wl = strlen(word), nmatch = 0, common = 0;
	const char *first = NULL;

	for (size_t i = 0; cands[i]; i++) {
		size_t k;

		if (strncmp(cands[i], word, wl) != 0)
			continue;
		if (!first) {
			first = cands[i];
			common = strlen(first);
		} else {
			for (k = 0; k < common && first[k] == cands[i][k]; k++)
				;
			common = k;
		}
		if (hint->len)
			buf_adds(hint, "  ");
		buf_adds(hint, cands[i]);
		nmatch++;
	}
	if (!nmatch)
		return 0;
	{
		struct buf out;

		buf_init(&out);
		buf_add(&out, keep, keep_len);
		buf_add(&out, first, common);
		if (nmatch == 1 && add_space)
			buf_addc(&out, ' ');
		buf_reset(line);
		buf_add(line, out.data ? out.data : "", out.len);
		buf_dispose(&out);
	}
	if (nmatch == 1)
		buf_reset(hint);
	return nmatch;
}

size_t
command_complete(struct app *app, struct buf *line, struct buf *hint)
{
	const char *text = line->data ? line->data : "";
	const char *sp = strchr(text, ' ');
	const struct command *c;
	const char *arg;
	char *copy;
	size_t n;

	buf_reset(hint);
	if (!sp) {
		const char *names[32];
		size_t k = 0;

		for (size_t i = 0; command_table[i].name && k < 31; i++)
			names[k++] = command_table[i].name;
		names[k] = NULL;
		copy = strdup(text);
		n = copy ? complete_word("", 0, copy, names, true, line, hint) : 0;
		free(copy);
		return n;
	}
	if (!(c = find(text, &arg)) || !c->complete)
		return 0;
	{
		char **cands = c->complete(app);

		if (!cands)
			return 0;
		copy = strdup(arg);
		n = copy ? complete_word(text, (size_t)(arg - text), copy,
					 (const char *const *)cands, false, line, hint)
			 : 0;
		free(copy);
		for (size_t i = 0; cands[i]; i++)
			free(cands[i]);
		free(cands);
	}
	return n;
}
