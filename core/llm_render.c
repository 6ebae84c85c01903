/* SPDX-License-Identifier: Apache-2.0 */
/* llm_render: a stored model report as text or Markdown. Everything in it
 * came from a model or from telemetry, so every string is escaped. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/jsonu.h"
#include "core/llm_agent.h"

#define ROWS_SHOWN 5

static const char *
str(const cJSON *o, const char *k)
{
	const char *s = jsonu_str(o, k);

	return s ? s : "";
}

static double
num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static bool
flag(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const cJSON *
arr(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* "a, b, c" of a string array, escaped. */
static void
put_list(struct buf *b, const cJSON *a)
{
	const cJSON *it;
	bool first = true;

	cJSON_ArrayForEach(it, a) {
		if (!first)
			buf_adds(b, ", ");
		report_put_safe(b, cJSON_IsString(it) ? it->valuestring : "");
		first = false;
	}
}

static void
text_head(struct buf *b, const cJSON *o)
{
	buf_adds(b, "model investigation of threat ");
	report_put_safe(b, str(o, "threat_id"));
	buf_adds(b, ": ");
	report_put_safe(b, str(o, "verdict"));
	buf_printf(b, ", confidence %d (", (int)num(o, "confidence"));
	report_put_safe(b, str(o, "provider"));
	buf_addc(b, ' ');
	report_put_safe(b, str(o, "model"));
	buf_adds(b, ")\nplaybook verdict: ");
	report_put_safe(b, str(o, "playbook_verdict"));
	buf_printf(b, ", confidence %d: %s\n", (int)num(o, "playbook_confidence"),
		   strcmp(str(o, "stopped"), "no-answer") == 0
		   ? "the model gave no verdict (the playbook verdict stands)"
		   : flag(o, "agrees") ? "the model agrees"
		   : "THE MODEL DISAGREES (the playbook verdict stands)");
	buf_adds(b, "stopped: ");
	report_put_safe(b, str(o, "stopped"));
	buf_printf(b, "; %d request(s), %.0f+%.0f tokens, %.1f s\n",
		   (int)num(arr(o, "usage"), "requests"),
		   num(arr(o, "usage"), "tokens_in"),
		   num(arr(o, "usage"), "tokens_out"),
		   num(arr(o, "usage"), "seconds"));
	buf_adds(b, "\nsummary\n  ");
	report_put_safe(b, str(o, "summary"));
	buf_addc(b, '\n');
}

static void
text_flags(struct buf *b, const cJSON *o)
{
	const cJSON *it;

	if (cJSON_GetArraySize(arr(o, "injection")))
		buf_adds(b, "\ninstruction-like text in the evidence "
			 "(flagged, not followed)\n");
	cJSON_ArrayForEach(it, arr(o, "injection")) {
		buf_adds(b, "  - ");
		report_put_safe(b, str(it, "pattern"));
		buf_adds(b, " in ");
		report_put_safe(b, str(it, "event"));
		buf_addc(b, ' ');
		report_put_safe(b, str(it, "field"));
		buf_adds(b, ": \"");
		report_put_safe(b, str(it, "excerpt"));
		buf_adds(b, "\"\n");
	}
}

static void
text_claims(struct buf *b, const cJSON *o)
{
	const cJSON *it;
	int i = 0;

	if (cJSON_GetArraySize(arr(o, "key_findings")))
		buf_adds(b, "\nkey findings (checked against the store)\n");
	cJSON_ArrayForEach(it, arr(o, "key_findings")) {
		buf_printf(b, "  %d. ", ++i);
		report_put_safe(b, str(it, "text"));
		buf_addc(b, '\n');
		if (cJSON_GetArraySize(arr(it, "cited"))) {
			buf_adds(b, "     cites: ");
			put_list(b, arr(it, "cited"));
			buf_addc(b, '\n');
		}
		if (!flag(it, "verified") && !num(it, "checked")) {
			buf_adds(b, "     NOT CHECKED: it cites no event and names "
				 "nothing the store could confirm\n");
		} else if (!flag(it, "verified")) {
			buf_adds(b, "     UNVERIFIED (not in the store, or never "
				 "shown to the model): ");
			put_list(b, arr(it, "unverified"));
			buf_addc(b, '\n');
		}
	}
	if (cJSON_GetArraySize(arr(o, "indicators")))
		buf_adds(b, "\nindicators\n");
	/* The mark first: the value is the model's, and could push it off
	 * the screen. */
	cJSON_ArrayForEach(it, arr(o, "indicators")) {
		buf_adds(b, flag(it, "verified") ? "  - in the store: "
			 : "  - UNVERIFIED, not in the store: ");
		report_put_safe(b, str(it, "value"));
		buf_addc(b, '\n');
	}
	if (cJSON_GetArraySize(arr(o, "notes")))
		buf_adds(b, "\nthe answer was cut\n");
	cJSON_ArrayForEach(it, arr(o, "notes")) {
		buf_adds(b, "  - ");
		report_put_safe(b, cJSON_IsString(it) ? it->valuestring : "");
		buf_addc(b, '\n');
	}
	if (cJSON_GetArraySize(arr(o, "next_steps")))
		buf_adds(b, "\nnext steps\n");
	cJSON_ArrayForEach(it, arr(o, "next_steps")) {
		buf_adds(b, "  - ");
		report_put_safe(b, cJSON_IsString(it) ? it->valuestring : "");
		buf_addc(b, '\n');
	}
}

static void
text_rows(struct buf *b, const cJSON *rows)
{
	const cJSON *it;
	int n = 0;

	cJSON_ArrayForEach(it, rows) {
		char *line;

		if (n++ == ROWS_SHOWN) {
			buf_printf(b, "      ... %d more\n",
				   cJSON_GetArraySize(rows) - ROWS_SHOWN);
			break;
		}
		line = cJSON_PrintUnformatted(it);
		buf_adds(b, "      ");
		report_put_safe(b, line ? line : "");
		buf_addc(b, '\n');
		free(line);
	}
}

static void
text_steps(struct buf *b, const cJSON *o)
{
	const cJSON *it;
	int i = 0;

	if (cJSON_GetArraySize(arr(o, "steps")))
		buf_adds(b, "\nsteps (each a tool call of the model)\n");
	cJSON_ArrayForEach(it, arr(o, "steps")) {
		buf_printf(b, "  %d. ", ++i);
		report_put_safe(b, str(it, "id"));
		buf_addc(b, ' ');
		report_put_safe(b, str(it, "kind"));
		buf_printf(b, " (%.0f row%s; %.0f+%.0f tokens, model %.0f ms, "
			   "tool %.0f ms): ", num(it, "nrows"),
			   num(it, "nrows") == 1 ? "" : "s",
			   num(it, "tokens_in"), num(it, "tokens_out"),
			   num(it, "latency_ms"), num(it, "tool_ms"));
		report_put_safe(b, str(it, "title"));
		buf_adds(b, "\n      ");
		report_put_safe(b, str(it, "query"));
		buf_addc(b, '\n');
		text_rows(b, arr(it, "rows"));
		if (jsonu_str(it, "finding")) {
			buf_adds(b, "     model: ");
			report_put_safe(b, str(it, "finding"));
			buf_addc(b, '\n');
		}
		if (jsonu_str(it, "gap")) {
			buf_adds(b, "     gap: ");
			report_put_safe(b, str(it, "gap"));
			buf_addc(b, '\n');
		}
	}
}

char *
llm_report_json_to_text(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	struct buf b;

	if (!o)
		return NULL;
	buf_init(&b);
	text_head(&b, o);
	text_flags(&b, o);
	text_claims(&b, o);
	text_steps(&b, o);
	cJSON_Delete(o);
	return buf_detach(&b);
}

/* ---- Markdown: the text rendering in a fence, under a heading ---------- */

char *
llm_report_json_to_markdown(const char *json)
{
	char *text = llm_report_json_to_text(json);
	cJSON *o = cJSON_Parse(json);
	struct buf b;

	if (!text || !o) {
		free(text);
		cJSON_Delete(o);
		return NULL;
	}
	buf_init(&b);
	buf_adds(&b, "# Model investigation: ");
	for (const char *p = str(o, "verdict"); *p; p++)
		if (*p >= 'a' && *p <= 'z')
			buf_addc(&b, *p);
	buf_printf(&b, " (playbook: %s)\n\n",
		   flag(o, "agrees") ? "agrees" : "disagrees");
	report_put_fenced(&b, "text", text);
	free(text);
	cJSON_Delete(o);
	return buf_detach(&b);
}
