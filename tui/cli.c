/* SPDX-License-Identifier: Apache-2.0 */
/* cli: the subcommand table and option helpers. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/adapter.h"
#include "core/store.h"
#include "tui/cli.h"

const struct cli_command cli_commands[] = {
	{ "ingest", cmd_ingest, "[--format F] [--vpc-fields L] PATH...",
	  "read logs and findings into the event store" },
	{ "events", cmd_events, "[--source S] [--actor A] [--since T] ...",
	  "list stored events" },
	{ "sql", cmd_sql, "[--json] QUERY", "run a read-only SQL query" },
	{ "threats", cmd_threats, "[--status S] [--severity S] [--json]",
	  "list the threat queue" },
	{ "promote", cmd_promote, "EVENT_ID", "make a threat of one stored event" },
	{ "investigate", cmd_investigate, "[THREAT | --all | --event ID]",
	  "run playbook investigations and show reports" },
	{ "detect", cmd_detect, "[--rules PATH]",
	  "run Sigma rules over stored events" },
	{ "console", cmd_console, "[--readonly] [--theme NAME] [--script F]",
	  "open the threat queue in the terminal (the default)" },
	{ "demo", cmd_demo, "[--theme NAME] [--keep]",
	  "the console on bundled real data, in a throwaway store" },
	{ "feedback", cmd_feedback, "THREAT --verdict V [--reason R] --note T",
	  "record an analyst's decision as a knowledge-base commit" },
	{ "kb", cmd_kb, "init|lint|log|sync|propose|proposals|review|merge",
	  "make or check the knowledge-base repository" },
	{ "formats", cmd_formats, "", "list the input formats verdict reads" },
	{ NULL, NULL, NULL, NULL },
};

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("verdict: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool
cli_is(const char *arg, const char *opt)
{
	size_t n = strlen(opt);

	return strncmp(arg, opt, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

const char *
cli_value(int argc, char **argv, int *i, const char *opt)
{
	const char *eq = strchr(argv[*i], '=');

	if (eq && strncmp(argv[*i], "--", 2) == 0)
		return eq + 1;
	if (*i + 1 >= argc) {
		cli_error("%s needs a value", opt);
		exit(EXIT_USAGE);
	}
	return argv[++*i];
}

bool
cli_global_opt(struct cli_global *g, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (cli_is(a, "--db"))
		g->db = cli_value(argc, argv, i, "--db");
	else if (cli_is(a, "--kb"))
		g->kb = cli_value(argc, argv, i, "--kb");
	else if (cli_is(a, "--trace"))
		g->trace = cli_value(argc, argv, i, "--trace");
	else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
		g->quiet = true;
	else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
		g->verbose = true;
	else
		return false;
	return true;
}

char *
cli_db_path(const struct cli_global *g)
{
	return g->db ? strdup(g->db) : store_default_path();
}

int
cmd_formats(struct cli_global *g, int argc, char **argv)
{
	(void)g; (void)argc; (void)argv;
	for (size_t i = 0; adapter_table[i]; i++)
		printf("%-12s %s\n", adapter_table[i]->name,
		       adapter_table[i]->description ? adapter_table[i]->description : "");
	printf("%-12s %s\n", "vpcflow-text",
	       "VPC Flow Logs text (v2 default, v3-v5 custom; layout from the header or --vpc-fields)");
	return EXIT_OK;
}
