/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_investigate: `verdict investigate`, running the playbook engine on
 * one threat, on every threat, or on an event promoted to a threat, and
 * printing the reports as text, JSON lines or Markdown. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <signal.h>

#include "core/error.h"
#include "core/investigate.h"
#include "core/llm_agent.h"
#include "core/store.h"
#include "core/threat.h"
#include "kb/kb.h"
#include "tui/cli.h"
#include "tui/table.h"

enum report_format { FMT_TEXT, FMT_JSON, FMT_MD };

static char *
json_copy(const char *json)
{
	return strdup(json);
}

static const struct {
	const char *name;
	enum report_format fmt;
	char *(*render)(const struct report *r);
	char *(*render_model)(const char *json);
} formats[] = {
	{ "text", FMT_TEXT, report_to_text, llm_report_json_to_text },
	{ "json", FMT_JSON, report_to_json, json_copy },
	{ "md", FMT_MD, report_to_markdown, llm_report_json_to_markdown },
};

static void
investigate_usage(FILE *out)
{
	fprintf(out, "usage: verdict investigate [THREAT_ID | --all | --event "
		"EVENT_ID] [--format text|json|md] [--kb DIR]\n"
		"       verdict investigate --llm [--show] [THREAT_ID | --all] "
		"[--format F]\n\n"
		"Run the knowledge base's playbook for a threat and print its "
		"report; the\nreport is also stored with the threat. --all "
		"investigates every threat in\nqueue order (json: one report "
		"per line); --event first promotes a stored\nevent to a "
		"threat. The knowledge base is --kb DIR, else $VERDICT_KB, "
		"else\nthe installed default.\n\n"
		"--llm has the configured model investigate with the same "
		"read-only tools\n(see verdict(1), MODEL INVESTIGATIONS); its "
		"report is stored beside the\nplaybook's, whose verdict stays "
		"the threat's. --show prints the stored\nmodel report without "
		"asking the model again. Ctrl-C cancels.\n");
}

/* Knowledge-base problems, one escaped line each. */
static void
on_kb_diag(void *ctx, const char *msg)
{
	struct buf b;

	(void)ctx;
	buf_init(&b);
	text_escape(msg, &b);
	fprintf(stderr, "verdict: kb: %s\n", b.data ? b.data : "");
	buf_dispose(&b);
}

static int
load_kb(const struct cli_global *g, struct kb_data **kb, unsigned *errors)
{
	char *dir = g->kb ? strdup(g->kb) : kb_default_dir();
	int rc;

	if (!dir)
		return err_set(ERR_NOMEM, "out of memory");
	rc = kb_load_dir(dir, on_kb_diag, NULL, kb, errors);
	free(dir);
	return rc;
}

struct id_list {
	char **ids;
	size_t n;
	bool pending_only;   /* only threats without a report */
};

static int
on_threat(void *ctx, const struct threat *t)
{
	struct id_list *l = ctx;
	char **grown;

	if (l->pending_only && t->verdict)
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
id_list_dispose(struct id_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids);
}

/* Print rendered text with every line escaped for the terminal; JSON is
 * already escaped by construction. Takes text. */
static void
print_text(char *text, size_t fi, bool first, const char *id)
{
	struct buf b;

	if (!text) {
		cli_error("out of memory rendering the report of %s", id);
		return;
	}
	if (formats[fi].fmt == FMT_JSON) {
		json_puts(text, stdout);
		free(text);
		return;
	}
	if (!first)
		fputs(formats[fi].fmt == FMT_MD ? "\n---\n\n" : "\n", stdout);
	buf_init(&b);
	for (char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		char saved = line[n];

		line[n] = '\0';
		buf_reset(&b);
		text_escape(line, &b);
		printf("%s\n", b.data ? b.data : "");
		line[n] = saved;
		line += n + (saved == '\n');
	}
	buf_dispose(&b);
	free(text);
}

static void
print_report(const struct report *r, size_t fi, bool first)
{
	print_text(formats[fi].render(r), fi, first, r->threat_id);
}

/* ---- --llm ---------------------------------------------------------------- */

static volatile sig_atomic_t llm_cancel;

static void
on_sigint(int sig)
{
	(void)sig;
	llm_cancel = 1;
}

static void
on_llm_progress(void *ctx, const char *what)
{
	const struct cli_global *g = ctx;

	if (g->verbose)
		fprintf(stderr, "verdict: %s\n", what);
}

/* Will the provider refuse the next threat as it refused this one? Quota,
 * configuration, and a key or model it does not know. */
static bool
provider_refuses(int rc)
{
	static const char *const statuses[] = { "HTTP 401", "HTTP 403",
						"HTTP 404" };

	if (rc == LLM_ERR_QUOTA || rc == LLM_ERR_CONFIG)
		return true;
	for (size_t i = 0; rc == LLM_ERR_HTTP && i < 3; i++)
		if (strstr(err_msg(), statuses[i]))
			return true;
	return false;
}

/* One threat with the model: 0, or the exit code of the failure. */
static int
llm_one(struct store *st, const struct kb_data *kb,
	const struct llm_config *cfg, struct cli_global *g, const char *id,
	size_t fi, bool show, bool one, size_t *printed, bool *fatal)
{
	struct llm_agent_hooks hooks = {
		.net = { .cancel = &llm_cancel, .on_progress = on_llm_progress,
			 .ctx = g },
	};
	struct llm_report *r = NULL;
	char *json = NULL;
	bool no_answer;
	int rc;

	if (show) {
		rc = llm_report_current(st, id, &json);
		if (rc == ERR_NOTFOUND && !one)
			return 0;   /* --all --show: the threats a model saw */
	} else if ((rc = llm_investigate(st, kb, cfg, &hooks, id, &r)) == 0 &&
		   !(json = llm_report_to_json(r))) {
		rc = err_set(ERR_NOMEM, "out of memory");
	}
	no_answer = r && r->stopped && strcmp(r->stopped, "no-answer") == 0;
	llm_report_free(r);
	if (rc < 0) {
		*fatal = provider_refuses(rc);
		cli_error("investigate --llm %s: %s", id, err_msg());
		/* The model's side failing (or a cancel) is not the store's:
		 * the playbook report stands, so only "done, with a failure". */
		return rc <= LLM_ERR_HTTP && rc >= LLM_ERR_CONFIG ? EXIT_PARTIAL
			: EXIT_FAILURE_;
	}
	print_text(formats[fi].render_model(json), fi, *printed == 0, id);
	(*printed)++;
	free(json);
	if (no_answer) {
		cli_error("investigate --llm %s: the model gave no usable "
			  "verdict; nothing was stored", id);
		return EXIT_PARTIAL;
	}
	return 0;
}

static int
llm_run(struct store *st, const struct kb_data *kb, struct cli_global *g,
	const struct id_list *ids, size_t fi, bool show, bool all)
{
	struct llm_config cfg;
	size_t printed = 0;
	bool fatal = false;
	struct sigaction sa = { .sa_handler = on_sigint }, old;
	int rc = EXIT_OK;

	llm_config_init(&cfg);
	if (!show && llm_config_load(&cfg) < 0) {
		cli_error("investigate --llm: %s", err_msg());
		llm_config_dispose(&cfg);
		return EXIT_USAGE;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	for (size_t k = 0; k < ids->n && !llm_cancel && !fatal; k++) {
		int one = llm_one(st, kb, &cfg, g, ids->ids[k], fi, show,
				  !all, &printed, &fatal);

		rc = one > rc ? one : rc;
		if (fatal && k + 1 < ids->n)
			cli_error("investigate --llm: stopping: the provider "
				  "will refuse the other %zu threat%s too",
				  ids->n - k - 1, ids->n - k - 1 == 1 ? "" : "s");
	}
	sigaction(SIGINT, &old, NULL);
	llm_config_dispose(&cfg);
	return rc;
}

/* A knowledge base the user named (--kb, $VERDICT_KB) must load; the
 * built-in default may simply be absent (a build tree, say), and then
 * ingest goes on without investigating. */
static bool
kb_named(const struct cli_global *g)
{
	const char *env = getenv("VERDICT_KB");

	return g->kb || (env && *env);
}

int
cli_investigate_pending(struct cli_global *g, struct store *st,
			unsigned *done)
{
	struct threat_filter f = { 0 };
	struct id_list ids = { .pending_only = true };
	struct kb_data *kb = NULL;
	struct stat sb;
	unsigned errors = 0;
	char *dir = NULL;
	int rc;

	*done = 0;
	if ((rc = store_threat_list(st, &f, on_threat, &ids)) < 0)
		goto out;
	rc = 0;
	if (ids.n == 0)
		goto out;
	if (!kb_named(g) && (!(dir = kb_default_dir()) || stat(dir, &sb) < 0))
		goto out;
	if (load_kb(g, &kb, &errors) < 0) {
		cli_error("%s; %zu threat%s not investigated", err_msg(), ids.n,
			  ids.n == 1 ? "" : "s");
		rc = (int)errors + 1;
		goto out;
	}
	for (size_t i = 0; i < ids.n; i++) {
		struct report *r = NULL;

		if (investigate_threat(st, kb, ids.ids[i], &r) < 0) {
			cli_error("investigating %s: %s", ids.ids[i], err_msg());
			errors++;
			continue;
		}
		report_free(r);
		(*done)++;
	}
	rc = (int)errors;
out:
	free(dir);
	kb_data_free(kb);
	id_list_dispose(&ids);
	return rc;
}

int
cmd_investigate(struct cli_global *g, int argc, char **argv)
{
	struct id_list ids = { 0 };
	const char *threat_id = NULL, *event_id = NULL, *format = "text";
	struct kb_data *kb = NULL;
	struct store *st = NULL;
	bool all = false, llm = false, show = false;
	unsigned kb_errors = 0;
	size_t fi, targets;
	char *db = NULL;
	int rc = EXIT_OK, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			investigate_usage(stdout);
			return EXIT_OK;
		} else if (cli_global_opt(g, argc, argv, &i)) {
			continue;
		} else if (strcmp(a, "--all") == 0) {
			all = true;
		} else if (strcmp(a, "--llm") == 0) {
			llm = true;
		} else if (strcmp(a, "--show") == 0) {
			show = true;
		} else if (cli_is(a, "--event")) {
			event_id = cli_value(argc, argv, &i, "--event");
		} else if (cli_is(a, "--format")) {
			format = cli_value(argc, argv, &i, "--format");
		} else if (a[0] == '-' && a[1] != '\0') {
			cli_error("investigate: unknown option %s", a);
			investigate_usage(stderr);
			return EXIT_USAGE;
		} else if (!threat_id) {
			threat_id = a;
		} else {
			cli_error("investigate: one threat at a time (or --all)");
			return EXIT_USAGE;
		}
	}
	for (fi = 0; fi < sizeof(formats) / sizeof(*formats); fi++)
		if (strcmp(formats[fi].name, format) == 0)
			break;
	targets = (threat_id != NULL) + (event_id != NULL) + all;
	if (fi == sizeof(formats) / sizeof(*formats) || targets != 1) {
		if (targets != 1)
			cli_error("investigate: give one of THREAT_ID, --all or "
				  "--event EVENT_ID");
		else
			cli_error("investigate: --format is text, json or md");
		investigate_usage(stderr);
		return EXIT_USAGE;
	}
	if ((show && !llm) || (llm && event_id)) {
		cli_error("investigate: --show goes with --llm, and --llm "
			  "takes a threat id or --all");
		return EXIT_USAGE;
	}
	if (load_kb(g, &kb, &kb_errors) < 0) {
		cli_error("%s", err_msg());
		return EXIT_FAILURE_;
	}
	if (kb_errors)
		rc = EXIT_PARTIAL;
	db = cli_db_path(g);
	if (!db || store_open(db, 0, &st) < 0) {
		cli_error("%s", db ? err_msg() : "no database path");
		rc = EXIT_FAILURE_;
		goto out;
	}
	if (all) {
		struct threat_filter f = { 0 };

		if (store_threat_list(st, &f, on_threat, &ids) < 0) {
			cli_error("%s", err_msg());
			rc = EXIT_FAILURE_;
			goto out;
		}
	} else {
		char *id = NULL;

		if (event_id && threat_promote(st, event_id, &id) < 0) {
			cli_error("%s", err_msg());
			rc = EXIT_FAILURE_;
			goto out;
		}
		if (!(ids.ids = calloc(1, sizeof(*ids.ids))) ||
		    !(ids.ids[0] = id ? id : strdup(threat_id))) {
			free(id);
			cli_error("out of memory");
			rc = EXIT_FAILURE_;
			goto out;
		}
		ids.n = 1;
	}
	if (llm) {
		int lrc = llm_run(st, kb, g, &ids, fi, show, all);

		rc = lrc ? lrc : rc;
		goto out;
	}
	for (size_t k = 0; k < ids.n; k++) {
		struct report *r = NULL;

		if (investigate_threat(st, kb, ids.ids[k], &r) < 0) {
			cli_error("investigating %s: %s", ids.ids[k], err_msg());
			rc = EXIT_FAILURE_;
			continue;
		}
		print_report(r, fi, k == 0);
		report_free(r);
	}
out:
	id_list_dispose(&ids);
	store_close(st);
	kb_data_free(kb);
	free(db);
	return rc;
}
