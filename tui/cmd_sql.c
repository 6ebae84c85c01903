/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_sql: `verdict sql QUERY`, read-only queries over the store. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/store.h"
#include "core/utf8.h"
#include "tui/cli.h"
#include "tui/table.h"

struct sql_out {
	bool json;
	bool started;
	struct table t;
	int err;
};

/* SQLite prints infinities as "Inf": JSON has no such number, so those
 * go out as strings. */
static bool
json_number(const char *v)
{
	char *end;
	double d = strtod(v, &end);

	return *v && !*end && isfinite(d);
}

static int
on_row(void *ctx, int ncol, const char *const *names,
       const char *const *values, const bool *numeric)
{
	struct sql_out *out = ctx;

	if (out->json) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		for (int i = 0; o && i < ncol; i++) {
			if (!values[i]) {
				cJSON_AddNullToObject(o, names[i]);
			} else if (numeric[i] && json_number(values[i])) {
				cJSON_AddItemToObject(o, names[i],
						      cJSON_CreateRaw(values[i]));
			} else {
				char *s = utf8_dup_repaired(values[i], strlen(values[i]));

				cJSON_AddStringToObject(o, names[i], s ? s : "");
				free(s);
			}
		}
		text = o ? cJSON_PrintUnformatted(o) : NULL;
		cJSON_Delete(o);
		if (!text)
			return out->err = err_set(ERR_NOMEM, "out of memory");
		json_puts(text, stdout);
		free(text);
		return 0;
	}
	if (!out->started) {
		if (table_init(&out->t, (size_t)ncol, (const char *const *)names) < 0)
			return out->err = err_set(ERR_NOMEM, "out of memory");
		out->started = true;
	}
	if (table_add(&out->t, values, numeric) < 0)
		return out->err = err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int
cmd_sql(struct cli_global *g, int argc, char **argv)
{
	struct sql_out out = { 0 };
	const char *query = NULL;
	struct store *st = NULL;
	char *db;
	int rc = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: verdict sql [--json] \"SELECT ...\"\n\n"
			       "Run read-only SQL over the store (tables events, "
			       "identities, threats,\nthreat_events and reports); "
			       "any statement that would write is refused.\n"
			       "Times are UTC nanoseconds.\n");
			return EXIT_OK;
		} else if (cli_global_opt(g, argc, argv, &i)) {
			continue;
		} else if (strcmp(argv[i], "--json") == 0) {
			out.json = true;
		} else if (!query) {
			query = argv[i];
		} else {
			cli_error("sql: give the query as one argument");
			return EXIT_USAGE;
		}
	}
	if (!query) {
		cli_error("sql: no query (verdict sql \"SELECT ...\")");
		return EXIT_USAGE;
	}
	db = cli_db_path(g);
	if (!db || store_open(db, STORE_READONLY, &st) < 0) {
		cli_error("%s", db ? err_msg() : "no database path");
		free(db);
		return EXIT_FAILURE_;
	}
	rc = store_sql(st, query, on_row, &out);
	if (rc < 0 || out.err < 0) {
		cli_error("%s", err_msg());
		rc = rc == ERR_READONLY || rc == ERR_PARSE ? EXIT_USAGE : EXIT_FAILURE_;
	} else {
		rc = EXIT_OK;
		if (out.started)
			table_print(&out.t, stdout);
	}
	if (out.started)
		table_dispose(&out.t);
	store_close(st);
	free(db);
	return rc;
}
