/* SPDX-License-Identifier: Apache-2.0 */
/* placeholder until written */
#include "config.h"

#include "tui/cli.h"

int
cmd_threats(struct cli_global *g, int argc, char **argv)
{
	(void)g; (void)argc; (void)argv;
	cli_error("not yet implemented");
	return EXIT_FAILURE_;
}

int
cmd_promote(struct cli_global *g, int argc, char **argv)
{
	(void)g; (void)argc; (void)argv;
	cli_error("not yet implemented");
	return EXIT_FAILURE_;
}
