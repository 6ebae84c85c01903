/* SPDX-License-Identifier: Apache-2.0 */
/* command: the `:` commands of the console, one table that runs them,
 * completes them and lists them in the help. */
#ifndef VERDICT_COMMAND_H
#define VERDICT_COMMAND_H

#include <stddef.h>

#include "core/buf.h"

struct app;

struct command {
	const char *name;
	const char *args;     /* for the help: "NAME", "COLUMN [asc|desc]" */
	const char *help;
	/* Run with the argument text ("" when none); returns enum redraw
	 * bits. Messages go to the status line. */
	unsigned (*run)(struct app *app, const char *arg);
	/* Candidates for the argument, NULL-terminated, caller frees each
	 * and the array; NULL when the argument is free text. */
	char **(*complete)(struct app *app);
};

extern const struct command command_table[];

/* Run a command line ("theme mono", "q"); a leading ':' is allowed. */
unsigned command_run(struct app *app, const char *line);

/* Complete line in place (Tab): the command name, then its argument. When
 * several candidates remain, line gets their common prefix and hint
 * lists them ("mono  light  ..."). Returns the number of candidates. */
size_t command_complete(struct app *app, struct buf *line, struct buf *hint);

#endif
