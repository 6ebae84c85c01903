/* SPDX-License-Identifier: Apache-2.0 */
/* script: the console's scripted mode, for tests: keys and commands from
 * a file, one per line, and screen dumps.
 *
 *   key NAME...      press keys by name (j, Enter, Esc, C-f, Down, ...)
 *   type TEXT        type the characters of TEXT
 *   cmd :LINE        run a : command (theme mono, sort time, q)
 *   search TEXT      the / prompt with TEXT, then Enter
 *   resize COLSxROWS resize the virtual screen
 *   dump FILE        write the screen as text to FILE
 *   stats FILE       append the time each key took to handle and draw
 *                    (count, median, 99th percentile, max in µs) to FILE
 *   # ...            a comment
 *
 * The virtual screen is 120x40 until resized; each line waits for the
 * views' deferred work, so a dump shows every row loaded.
 */
#ifndef VERDICT_SCRIPT_H
#define VERDICT_SCRIPT_H

#include <stdio.h>

struct app;

/* Run the script f (named name in errors) against app until it ends or
 * the console quits. Returns 0, or ERR_PARSE naming the line. */
int script_run(struct app *app, FILE *f, const char *name);

#endif
