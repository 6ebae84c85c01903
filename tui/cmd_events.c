/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_events: `verdict events`, listing stored events as a table or JSON. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/store.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "tui/cli.h"
#include "tui/table.h"

struct events_out {
	bool json;
	struct table t;
	int err;
};

/* One event as a JSON object: absent fields are left out, attrs is an
 * object, raw is a string (ill-formed UTF-8 shown as U+FFFD). */
static cJSON *
event_json(const struct event *ev)
{
	cJSON *o = cJSON_CreateObject();
	char tbuf[TIMEUTIL_BUFSZ];
	char *raw;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "id", ev->str[EF_ID]);
	if (ev->has_time) {
		cJSON_AddStringToObject(o, "time", timeutil_format(ev->time_ns, tbuf));
		cJSON_AddItemToObject(o, "time_ns", cJSON_CreateRaw(
			(snprintf(tbuf, sizeof(tbuf), "%lld",
				  (long long)ev->time_ns), tbuf)));
	}
	for (int f = EF_SOURCE; f < EF_COUNT; f++) {
		if (!ev->str[f])
			continue;
		char *s = utf8_dup_repaired(ev->str[f], strlen(ev->str[f]));

		cJSON_AddStringToObject(o, event_field_names[f], s ? s : "");
		free(s);
	}
	if (ev->src_port >= 0)
		cJSON_AddNumberToObject(o, "src_port", ev->src_port);
	if (ev->dst_port >= 0)
		cJSON_AddNumberToObject(o, "dst_port", ev->dst_port);
	if (ev->has_severity_score)
		cJSON_AddNumberToObject(o, "severity_score", ev->severity_score);
	if (ev->attrs) {
		/* Copied as text once it parses: a parsed tree holds numbers
		 * as doubles, which would cut int64 values such as Falco's
		 * evt.time to 17 digits. */
		cJSON *a = cJSON_Parse(ev->attrs);
		char *s = a ? utf8_dup_repaired(ev->attrs, strlen(ev->attrs)) : NULL;

		if (s && !strchr(s, '\n')) {
			cJSON_AddItemToObject(o, "attrs", cJSON_CreateRaw(s));
		} else if (a) {
			cJSON_AddItemToObject(o, "attrs", a);
			a = NULL;
		}
		cJSON_Delete(a);
		free(s);
	}
	raw = utf8_dup_repaired(ev->raw ? ev->raw : "", ev->raw_len);
	cJSON_AddStringToObject(o, "raw", raw ? raw : "");
	free(raw);
	return o;
}

static int
on_event(void *ctx, const struct event *ev)
{
	struct events_out *out = ctx;

	if (out->json) {
		cJSON *o = event_json(ev);
		char *text = o ? cJSON_PrintUnformatted(o) : NULL;

		cJSON_Delete(o);
		if (!text)
			return out->err = err_set(ERR_NOMEM, "out of memory");
		json_puts(text, stdout);
		free(text);
		return 0;
	}
	{
		char tbuf[TIMEUTIL_BUFSZ];
		const char *src = ev->str[EF_SRC_IP] ? ev->str[EF_SRC_IP]
						     : ev->str[EF_SRC_DOMAIN];
		const char *cells[] = {
			ev->has_time ? timeutil_format(ev->time_ns, tbuf) : NULL,
			ev->str[EF_SOURCE], ev->str[EF_ACTION], ev->str[EF_ACTOR],
			src, ev->str[EF_RESOURCE],
			ev->str[EF_ERROR_CODE] ? ev->str[EF_ERROR_CODE]
					       : ev->str[EF_OUTCOME],
		};

		if (table_add(&out->t, cells, NULL) < 0)
			return out->err = err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

static void
events_usage(FILE *out)
{
	fprintf(out, "usage: verdict events [--source S] [--actor A] [--ip IP] "
		"[--action X]\n       [--resource R] [--id ID] [--since T] "
		"[--until T] [--limit N] [--json]\n\n"
		"T is a time (2026-12-01T00:00:00Z), a date, epoch seconds, or a "
		"span back\nfrom now such as 15m, 2h or 7d.\n");
}

int
cmd_events(struct cli_global *g, int argc, char **argv)
{
	static const char *const head[] = { "time", "source", "action", "actor",
					    "src", "resource", "outcome" };
	struct event_filter f = { 0 };
	struct events_out out = { 0 };
	struct store *st = NULL;
	char *db = NULL;
	int rc = EXIT_OK;
	int64_t now = timeutil_now();

	f.limit = 100;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			events_usage(stdout);
			return EXIT_OK;
		} else if (cli_global_opt(g, argc, argv, &i)) {
			continue;
		} else if (cli_is(a, "--source")) {
			f.source = cli_value(argc, argv, &i, a);
		} else if (cli_is(a, "--actor")) {
			f.actor = cli_value(argc, argv, &i, a);
		} else if (cli_is(a, "--ip")) {
			f.src_ip = cli_value(argc, argv, &i, a);
		} else if (cli_is(a, "--action")) {
			f.action = cli_value(argc, argv, &i, a);
		} else if (cli_is(a, "--resource")) {
			f.resource = cli_value(argc, argv, &i, a);
		} else if (cli_is(a, "--id")) {
			f.id = cli_value(argc, argv, &i, a);
		} else if (cli_is(a, "--since") || cli_is(a, "--until")) {
			bool since = cli_is(a, "--since");
			const char *v = cli_value(argc, argv, &i, a);
			int64_t *dst = since ? &f.since_ns : &f.until_ns;

			if (timeutil_parse_bound(v, now, dst) < 0) {
				cli_error("%s: not a time: %s", since ? "--since"
								      : "--until", v);
				return EXIT_USAGE;
			}
			*(since ? &f.has_since : &f.has_until) = true;
		} else if (cli_is(a, "--limit")) {
			const char *v = cli_value(argc, argv, &i, a);
			char *end;
			long n = strtol(v, &end, 10);

			if (!*v || *end || n < 0) {
				cli_error("--limit: not a count: %s", v);
				return EXIT_USAGE;
			}
			f.limit = (size_t)n;
		} else if (strcmp(a, "--json") == 0) {
			out.json = true;
		} else {
			cli_error("events: unknown argument %s", a);
			events_usage(stderr);
			return EXIT_USAGE;
		}
	}
	db = cli_db_path(g);
	if (!db || store_open(db, STORE_READONLY, &st) < 0) {
		cli_error("%s", db ? err_msg() : "no database path");
		free(db);
		return EXIT_FAILURE_;
	}
	if (!out.json) {
		table_init(&out.t, 7, head);
		out.t.max_width = 72;
	}
	if (store_find_events(st, &f, on_event, &out) < 0 || out.err < 0) {
		cli_error("%s", err_msg());
		rc = EXIT_FAILURE_;
	} else if (!out.json) {
		table_print(&out.t, stdout);
	}
	if (!out.json)
		table_dispose(&out.t);
	store_close(st);
	free(db);
	return rc;
}
