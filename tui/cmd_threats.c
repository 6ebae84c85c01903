/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_threats: `verdict threats`, the threat queue as a table or JSON
 * lines, and `verdict promote`, an analyst's pivot from one event. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/store.h"
#include "core/threat.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "tui/cli.h"
#include "tui/table.h"

struct threats_out {
	struct store *st;
	bool json;
	struct table t;
	int err;
};

/* s as a JSON string (ill-formed UTF-8 shown as U+FFFD), or null. */
static cJSON *
json_text(const char *s)
{
	char *fixed;
	cJSON *v;

	if (!s)
		return cJSON_CreateNull();
	fixed = utf8_dup_repaired(s, strlen(s));
	v = fixed ? cJSON_CreateString(fixed) : NULL;
	free(fixed);
	return v;
}

static cJSON *
json_time(bool has, int64_t ns, bool as_text)
{
	char buf[TIMEUTIL_BUFSZ];

	if (!has)
		return cJSON_CreateNull();
	if (as_text)
		return cJSON_CreateString(timeutil_format(ns, buf));
	/* Raw: a double would round nanoseconds. */
	snprintf(buf, sizeof(buf), "%lld", (long long)ns);
	return cJSON_CreateRaw(buf);
}

static int
on_event_id(void *ctx, const char *id)
{
	cJSON *ids = ctx;
	cJSON *v = json_text(id);

	if (!v || !cJSON_AddItemToArray(ids, v)) {
		cJSON_Delete(v);
		return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* Every field of a threat and its linked event ids; absent fields are
 * null so that every line has the same keys. */
static int
threat_json(struct store *st, const struct threat *t, cJSON **out)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *ids = cJSON_CreateArray();
	cJSON *tactics = t->tactics ? cJSON_Parse(t->tactics) : NULL;
	int rc;

	*out = NULL;
	if (!o || !ids) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	cJSON_AddItemToObject(o, "id", json_text(t->id));
	cJSON_AddItemToObject(o, "detection", json_text(t->detection));
	cJSON_AddItemToObject(o, "title", json_text(t->title));
	cJSON_AddItemToObject(o, "source", json_text(t->source));
	cJSON_AddItemToObject(o, "severity", json_text(t->severity));
	cJSON_AddItemToObject(o, "status", json_text(t->status));
	for (int e = 0; e < TE_COUNT; e++)
		cJSON_AddItemToObject(o, threat_entity_names[e],
				      json_text(t->ent[e]));
	cJSON_AddItemToObject(o, "first", json_time(t->has_time, t->first_ns, true));
	cJSON_AddItemToObject(o, "last", json_time(t->has_time, t->last_ns, true));
	cJSON_AddItemToObject(o, "first_ns", json_time(t->has_time, t->first_ns,
						       false));
	cJSON_AddItemToObject(o, "last_ns", json_time(t->has_time, t->last_ns,
						      false));
	cJSON_AddNumberToObject(o, "count", (double)t->count);
	cJSON_AddItemToObject(o, "tactics", tactics ? tactics
						    : cJSON_CreateNull());
	tactics = NULL;
	cJSON_AddItemToObject(o, "verdict", json_text(t->verdict));
	if (t->confidence >= 0)
		cJSON_AddNumberToObject(o, "confidence", t->confidence);
	else
		cJSON_AddNullToObject(o, "confidence");
	cJSON_AddItemToObject(o, "kb_version", json_text(t->kb_version));
	if ((rc = store_threat_events(st, t->id, on_event_id, ids)) < 0)
		goto fail;
	cJSON_AddItemToObject(o, "events", ids);
	*out = o;
	return 0;
fail:
	cJSON_Delete(tactics);
	cJSON_Delete(ids);
	cJSON_Delete(o);
	return rc;
}

/* The entity an analyst recognises a threat by. */
static const char *
threat_main_entity(const struct threat *t)
{
	if (t->ent[TE_ACTOR])
		return t->ent[TE_ACTOR];
	if (t->ent[TE_RESOURCE])
		return t->ent[TE_RESOURCE];
	return t->ent[TE_HOST] ? t->ent[TE_HOST] : t->ent[TE_CONTAINER];
}

static int
on_threat(void *ctx, const struct threat *t)
{
	struct threats_out *out = ctx;
	char tbuf[TIMEUTIL_BUFSZ], conf[16], count[24];
	const bool numeric[] = { false, false, false, true, false, false,
				 false, true, false };

	if (out->json) {
		cJSON *o = NULL;
		char *text;
		int rc = threat_json(out->st, t, &o);

		if (rc < 0)
			return out->err = rc;
		text = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (!text)
			return out->err = err_set(ERR_NOMEM, "out of memory");
		json_puts(text, stdout);
		free(text);
		return 0;
	}
	snprintf(conf, sizeof(conf), "%d", t->confidence);
	snprintf(count, sizeof(count), "%llu", (unsigned long long)t->count);
	{
		const char *cells[] = {
			t->severity, t->status, t->verdict,
			t->confidence >= 0 ? conf : NULL, t->title,
			threat_main_entity(t),
			t->has_time ? timeutil_format(t->last_ns, tbuf) : NULL,
			count, t->id,
		};

		if (table_add(&out->t, cells, numeric) < 0)
			return out->err = err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

static void
threats_usage(FILE *out)
{
	fprintf(out, "usage: verdict threats [--status S] [--severity S] "
		"[--source S] [--limit N] [--json]\n\n"
		"List the threat queue, most severe and most recent first.\n"
		"--status is new, investigating or decided; --severity keeps that "
		"severity\nand above (info, low, medium, high, critical); "
		"--source is the detector\n(guardduty, falco, ocsf, asff, wiz, "
		"sigma, pivot).\n");
}

static bool
known_status(const char *s)
{
	return strcmp(s, "new") == 0 || strcmp(s, "investigating") == 0 ||
	       strcmp(s, "decided") == 0;
}

/* Parse the arguments of `verdict threats` into f; EXIT_OK to go on. */
static int
threats_args(struct cli_global *g, int argc, char **argv,
	     struct threat_filter *f, bool *json)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			threats_usage(stdout);
			exit(EXIT_OK);
		} else if (cli_global_opt(g, argc, argv, &i)) {
			continue;
		} else if (cli_is(a, "--status")) {
			f->status = cli_value(argc, argv, &i, a);
			if (!known_status(f->status)) {
				cli_error("--status: give new, investigating or "
					  "decided");
				return EXIT_USAGE;
			}
		} else if (cli_is(a, "--severity")) {
			f->severity = cli_value(argc, argv, &i, a);
			if (threat_severity_rank(f->severity) < 0) {
				cli_error("--severity: give info, low, medium, "
					  "high or critical");
				return EXIT_USAGE;
			}
		} else if (cli_is(a, "--source")) {
			f->source = cli_value(argc, argv, &i, a);
		} else if (cli_is(a, "--limit")) {
			const char *v = cli_value(argc, argv, &i, a);
			char *end;
			long n = strtol(v, &end, 10);

			if (*v == '\0' || *end != '\0' || n < 0) {
				cli_error("--limit: not a count: %s", v);
				return EXIT_USAGE;
			}
			f->limit = (size_t)n;
		} else if (strcmp(a, "--json") == 0) {
			*json = true;
		} else {
			cli_error("threats: unknown argument %s", a);
			threats_usage(stderr);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

int
cmd_threats(struct cli_global *g, int argc, char **argv)
{
	static const char *const head[] = { "severity", "status", "verdict",
					    "conf", "title", "entity", "last",
					    "count", "id" };
	struct threat_filter f = { 0 };
	struct threats_out out = { 0 };
	char *db = NULL;
	int rc;

	if ((rc = threats_args(g, argc, argv, &f, &out.json)) != EXIT_OK)
		return rc;
	db = cli_db_path(g);
	if (!db || store_open(db, STORE_READONLY, &out.st) < 0) {
		cli_error("%s", db ? err_msg() : "no database path");
		free(db);
		return EXIT_FAILURE_;
	}
	if (!out.json) {
		table_init(&out.t, sizeof(head) / sizeof(head[0]), head);
		out.t.max_width = 60;
	}
	if (store_threat_list(out.st, &f, on_threat, &out) < 0 || out.err < 0) {
		cli_error("%s", err_msg());
		rc = EXIT_FAILURE_;
	} else if (!out.json) {
		table_print(&out.t, stdout);
	}
	if (!out.json)
		table_dispose(&out.t);
	store_close(out.st);
	free(db);
	return rc;
}

int
cmd_promote(struct cli_global *g, int argc, char **argv)
{
	const char *event_id = NULL;
	struct store *st = NULL;
	char *db = NULL, *threat_id = NULL;
	int rc = EXIT_OK, err;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: verdict promote EVENT_ID\n\n"
			       "Make a threat of one stored event (an analyst's "
			       "pivot) and print its id.\n");
			return EXIT_OK;
		} else if (cli_global_opt(g, argc, argv, &i)) {
			continue;
		} else if (!event_id) {
			event_id = argv[i];
		} else {
			cli_error("promote: give one event id");
			return EXIT_USAGE;
		}
	}
	if (!event_id) {
		cli_error("promote: no event id (verdict promote EVENT_ID)");
		return EXIT_USAGE;
	}
	db = cli_db_path(g);
	if (!db || store_open(db, 0, &st) < 0) {
		cli_error("%s", db ? err_msg() : "no database path");
		free(db);
		return EXIT_FAILURE_;
	}
	if ((err = threat_promote(st, event_id, &threat_id)) < 0) {
		struct buf b;

		/* The id came from the command line but may have been pasted
		 * from telemetry: escape it like any other cell. */
		buf_init(&b);
		text_escape(err_msg(), &b);
		cli_error("%s", b.data ? b.data : "");
		buf_dispose(&b);
		rc = err == ERR_NOTFOUND ? EXIT_USAGE : EXIT_FAILURE_;
	} else {
		puts(threat_id);
	}
	free(threat_id);
	store_close(st);
	free(db);
	return rc;
}
