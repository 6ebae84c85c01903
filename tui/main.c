/* SPDX-License-Identifier: Apache-2.0 */
/* main: the verdict program's entry point and subcommand dispatch. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/trace.h"
#include "tui/cli.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: verdict [--db PATH] [--trace FILE] COMMAND [ARGS]\n\n"
		"Triage cloud security threats from the terminal.\n\n"
		"commands:\n");
	for (size_t i = 0; cli_commands[i].name; i++)
		fprintf(out, "  %-8s %-40s %s\n", cli_commands[i].name,
			cli_commands[i].args, cli_commands[i].summary);
	fprintf(out, "\noptions:\n"
		"  --db PATH      the event store (default "
		"$XDG_DATA_HOME/verdict/events.db)\n"
		"  --trace FILE   write a debug trace to FILE\n"
		"  -q, --quiet    only errors\n"
		"  -v, --verbose  every diagnostic\n"
		"  -h, --help     this help; COMMAND --help for a command's\n"
		"  -V, --version  the version\n\n"
		"exit status: 0 success, 1 some input rejected, 2 usage error,\n"
		"3 the store or an input could not be used. See verdict(1).\n");
}

int
main(int argc, char **argv)
{
	struct cli_global g = { 0 };
	int i;

	setlocale(LC_ALL, "");
	if (getenv("VERDICT_TRACE"))
		trace_open(getenv("VERDICT_TRACE"), TRACE_DEBUG);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("verdict %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		}
		if (!cli_global_opt(&g, argc, argv, &i))
			break;
	}
	if (g.trace && trace_open(g.trace, TRACE_DEBUG) < 0) {
		cli_error("cannot open trace file %s", g.trace);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		/* Alone in a terminal, verdict opens the console; in a pipe or a
		 * script it explains itself instead. */
		char *console_argv[] = { "console", NULL };
		int rc;

		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			usage(stderr);
			return EXIT_USAGE;
		}
		rc = cmd_console(&g, 1, console_argv);
		trace_close();
		return rc;
	}
	for (size_t c = 0; cli_commands[c].name; c++) {
		if (strcmp(argv[i], cli_commands[c].name) == 0) {
			int rc = cli_commands[c].run(&g, argc - i, argv + i);

			trace_close();
			return rc;
		}
	}
	cli_error("unknown command \"%s\" (verdict --help lists them)", argv[i]);
	return EXIT_USAGE;
}
