/* SPDX-License-Identifier: Apache-2.0 */
/* table: aligned plain-text tables for the command line, with every cell
 * escaped so telemetry cannot drive the terminal. */
#ifndef VERDICT_TABLE_H
#define VERDICT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/buf.h"

struct table {
	size_t ncol;
	char **head;       /* ncol escaped headings */
	bool *right;       /* right-align column */
	char ***rows;      /* escaped cells; NULL cell prints as "" */
	size_t nrows, cap;
	size_t *width;     /* display width per column */
	size_t max_width;  /* cap per cell, 0 for none */
};

int table_init(struct table *t, size_t ncol, const char *const *head);
void table_dispose(struct table *t);
/* Add a row of ncol cells (copied and escaped; NULL prints as ""). */
int table_add(struct table *t, const char *const *cells, const bool *numeric);
void table_print(const struct table *t, FILE *out);

/* Append s to out with C0, DEL and C1 controls shown as \xHH or \u00HH,
 * and bidi, zero-width and tag characters shown as <U+XXXX>, so one field
 * stays on one row and nothing reaches the terminal as a control. Returns
 * the display width of what was appended. */
size_t text_escape(const char *s, struct buf *out);

/* Print one JSON text and a newline to out, with every character a
 * terminal could act on or that reorders or hides text (C1 controls, DEL,
 * bidi and zero-width marks, tag characters, line separators) written as
 * a \uXXXX escape: the same JSON, safe to show. */
void json_puts(const char *json, FILE *out);

#endif
