/* SPDX-License-Identifier: Apache-2.0 */
/* report: an investigation report as JSON (fixed key order, the stored
 * form), as text for the terminal and as Markdown; and freeing it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/investigate.h"
#include "core/jsonu.h"
#include "core/strv.h"

void
report_free(struct report *r)
{
	if (!r)
		return;
	free(r->threat_id);
	free(r->playbook);
	free(r->kb_version);
	free(r->verdict);
	free(r->real_reason);
	strv_free_array(r->raise, r->nraise);
	free(r->summary);
	for (size_t i = 0; i < r->nkeys; i++) {
		free(r->keys[i].text);
		strv_free_array(r->keys[i].cited, r->keys[i].ncited);
	}
	free(r->keys);
	strv_free_array(r->next_steps, r->nnext);
	free(r->blast_json);
	for (size_t i = 0; i < r->nsteps; i++)
		step_result_dispose(&r->steps[i]);
	free(r->steps);
	injection_flags_free(r->injection, r->ninjection);
	free(r);
}

void
step_result_dispose(struct step_result *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->title);
	free(s->kind);
	free(s->query);
	free(s->rows_json);
	strv_free_array(s->cited, s->ncited);
	free(s->finding);
	free(s->gap);
	memset(s, 0, sizeof(*s));
}

void
injection_flags_free(struct injection_flag *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].event);
		free(f[i].field);
		free(f[i].pattern);
		free(f[i].excerpt);
	}
	free(f);
}

/* ---- JSON --------------------------------------------------------------- */

/* Text that is already JSON (rows, blast radius), or null. */
static cJSON *
raw_or_null(const char *json)
{
	return json ? cJSON_CreateRaw(json) : cJSON_CreateNull();
}

cJSON *
report_step_json(const struct step_result *s)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddItemToObject(o, "id", jsonu_str_or_null(s->id));
	cJSON_AddItemToObject(o, "title", jsonu_str_or_null(s->title));
	cJSON_AddItemToObject(o, "kind", jsonu_str_or_null(s->kind));
	cJSON_AddItemToObject(o, "query", jsonu_str_or_null(s->query));
	cJSON_AddNumberToObject(o, "nrows", (double)s->nrows);
	cJSON_AddItemToObject(o, "rows", s->rows_json
			      ? cJSON_CreateRaw(s->rows_json)
			      : cJSON_CreateArray());
	cJSON_AddItemToObject(o, "cited", jsonu_strv(s->cited, s->ncited));
	cJSON_AddItemToObject(o, "finding", jsonu_str_or_null(s->finding));
	cJSON_AddNumberToObject(o, "score", s->score);
	cJSON_AddItemToObject(o, "gap", jsonu_str_or_null(s->gap));
	return o;
}

cJSON *
report_injection_json(const struct injection_flag *f, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToArray(a, o);
		cJSON_AddItemToObject(o, "event", jsonu_str_or_null(f[i].event));
		cJSON_AddItemToObject(o, "field", jsonu_str_or_null(f[i].field));
		cJSON_AddItemToObject(o, "pattern", jsonu_str_or_null(f[i].pattern));
		cJSON_AddItemToObject(o, "excerpt", jsonu_str_or_null(f[i].excerpt));
	}
	return a;
}

char *
report_to_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject(), *keys, *steps;
	char *out;

	if (!o)
		return NULL;
	cJSON_AddItemToObject(o, "threat_id", jsonu_str_or_null(r->threat_id));
	cJSON_AddItemToObject(o, "playbook", jsonu_str_or_null(r->playbook));
	cJSON_AddItemToObject(o, "kb_version", jsonu_str_or_null(r->kb_version));
	cJSON_AddItemToObject(o, "verdict", jsonu_str_or_null(r->verdict));
	cJSON_AddBoolToObject(o, "real", r->real);
	cJSON_AddItemToObject(o, "real_reason", jsonu_str_or_null(r->real_reason));
	cJSON_AddNumberToObject(o, "score", r->score);
	cJSON_AddNumberToObject(o, "confidence", r->confidence);
	cJSON_AddItemToObject(o, "raise", jsonu_strv(r->raise, r->nraise));
	cJSON_AddItemToObject(o, "summary", jsonu_str_or_null(r->summary));
	keys = cJSON_AddArrayToObject(o, "key_findings");
	for (size_t i = 0; keys && i < r->nkeys; i++) {
		cJSON *k = cJSON_CreateObject();

		cJSON_AddItemToArray(keys, k);
		cJSON_AddItemToObject(k, "text", jsonu_str_or_null(r->keys[i].text));
		cJSON_AddNumberToObject(k, "score", r->keys[i].score);
		cJSON_AddItemToObject(k, "cited", jsonu_strv(r->keys[i].cited,
							    r->keys[i].ncited));
	}
	cJSON_AddItemToObject(o, "next_steps", jsonu_strv(r->next_steps,
							 r->nnext));
	cJSON_AddItemToObject(o, "blast_radius", raw_or_null(r->blast_json));
	steps = cJSON_AddArrayToObject(o, "steps");
	for (size_t i = 0; steps && i < r->nsteps; i++)
		cJSON_AddItemToArray(steps, report_step_json(&r->steps[i]));
	/* Only when there is something to flag, so reports of clean evidence
	 * read as they always have. */
	if (r->ninjection)
		cJSON_AddItemToObject(o, "injection",
				      report_injection_json(r->injection,
							    r->ninjection));
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

/* ---- text and Markdown ------------------------------------------------------ */

/* Append s with control characters shown as \xHH so that telemetry inside
 * a finding cannot drive the terminal; keep_newlines lets a query keep its
 * lines. */
static void
put_safe(struct buf *b, const char *s, bool keep_newlines)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : "");
	     *p; p++) {
		if (*p == '\n' && keep_newlines)
			buf_addc(b, '\n');
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(b, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			buf_printf(b, "\\u%04x", *++p);  /* C1 controls */
		else
			buf_addc(b, (char)*p);
	}
}

void
report_put_safe(struct buf *b, const char *s)
{
	put_safe(b, s, false);
}

/* Each line of s indented by ind spaces. */
static void
put_indented(struct buf *b, const char *s, int ind)
{
	struct buf tmp;
	const char *line;

	buf_init(&tmp);
	put_safe(&tmp, s, true);
	line = tmp.data ? tmp.data : "";
	while (*line) {
		size_t n = strcspn(line, "\n");

		buf_printf(b, "%*s%.*s\n", ind, "", (int)n, line);
		line += n + (line[n] == '\n');
	}
	buf_dispose(&tmp);
}

static void
put_cites(struct buf *b, char *const *v, size_t n, const char *lead)
{
	if (!n)
		return;
	buf_adds(b, lead);
	for (size_t i = 0; i < n; i++) {
		buf_adds(b, i ? ", " : "");
		put_safe(b, v[i], false);
	}
	buf_addc(b, '\n');
}

/* The kept rows, one JSON object per line. */
static void
put_rows(struct buf *b, const char *rows_json, int ind)
{
	cJSON *rows = rows_json ? cJSON_Parse(rows_json) : NULL;
	const cJSON *row;

	cJSON_ArrayForEach(row, rows) {
		char *line = cJSON_PrintUnformatted(row);

		if (line) {
			buf_printf(b, "%*s", ind, "");
			put_safe(b, line, false);
			buf_addc(b, '\n');
		}
		free(line);
	}
	cJSON_Delete(rows);
}

char *
report_to_text(const struct report *r)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "threat ");
	put_safe(&b, r->threat_id, false);
	buf_printf(&b, ": %s, confidence %d, score %d%s\n", r->verdict,
		   r->confidence, r->score, r->real ? "" : " (not real)");
	buf_adds(&b, "playbook ");
	put_safe(&b, r->playbook ? r->playbook : "none", false);
	buf_adds(&b, ", knowledge base ");
	put_safe(&b, r->kb_version, false);
	buf_addc(&b, '\n');
	if (!r->real) {
		buf_adds(&b, "not real: ");
		put_safe(&b, r->real_reason, false);
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "\nsummary\n");
	put_indented(&b, r->summary, 2);
	if (r->ninjection)
		buf_adds(&b, "\ninstruction-like text in the evidence "
			 "(flagged, not followed, not scored)\n");
	for (size_t i = 0; i < r->ninjection; i++) {
		const struct injection_flag *f = &r->injection[i];

		buf_adds(&b, "  - ");
		put_safe(&b, f->pattern, false);
		buf_adds(&b, " in ");
		put_safe(&b, f->event, false);
		buf_addc(&b, ' ');
		put_safe(&b, f->field, false);
		buf_adds(&b, ": \"");
		put_safe(&b, f->excerpt, false);
		buf_adds(&b, "\"\n");
	}
	if (r->nkeys)
		buf_adds(&b, "\nkey findings\n");
	for (size_t i = 0; i < r->nkeys; i++) {
		buf_printf(&b, "  %zu. [%+d] ", i + 1, r->keys[i].score);
		put_safe(&b, r->keys[i].text, false);
		buf_addc(&b, '\n');
		put_cites(&b, r->keys[i].cited, r->keys[i].ncited,
			  "     cites: ");
	}
	if (r->nnext)
		buf_adds(&b, "\nnext steps\n");
	for (size_t i = 0; i < r->nnext; i++) {
		buf_adds(&b, "  - ");
		put_safe(&b, r->next_steps[i], false);
		buf_addc(&b, '\n');
	}
	if (r->nraise)
		buf_adds(&b, "\nwould raise confidence\n");
	for (size_t i = 0; i < r->nraise; i++) {
		buf_adds(&b, "  - ");
		put_safe(&b, r->raise[i], false);
		buf_addc(&b, '\n');
	}
	if (r->blast_json) {
		buf_adds(&b, "\nblast radius\n  ");
		put_safe(&b, r->blast_json, false);
		buf_addc(&b, '\n');
	}
	if (r->nsteps)
		buf_adds(&b, "\nsteps\n");
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct step_result *s = &r->steps[i];

		buf_printf(&b, "  %zu. ", i + 1);
		put_safe(&b, s->id, false);
		buf_printf(&b, " (%s, score %+d, %zu row%s): ", s->kind,
			   s->score, s->nrows, s->nrows == 1 ? "" : "s");
		put_safe(&b, s->title, false);
		buf_addc(&b, '\n');
		put_indented(&b, s->query, 6);
		put_rows(&b, s->rows_json, 6);
		if (s->finding) {
			buf_adds(&b, "     finding: ");
			put_safe(&b, s->finding, false);
			buf_addc(&b, '\n');
		}
		if (s->gap) {
			buf_adds(&b, "     gap: ");
			put_safe(&b, s->gap, false);
			buf_addc(&b, '\n');
		}
		put_cites(&b, s->cited, s->ncited, "     cites: ");
	}
	return b.data ? buf_detach(&b) : strdup("");
}

/* A code fence longer than any run of backticks inside text. */
static int
fence_len(const char *text)
{
	int run = 0, longest = 0;

	for (const char *p = text ? text : ""; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	return longest < 3 ? 3 : longest + 1;
}

void
report_put_fenced(struct buf *b, const char *lang, const char *text)
{
	int n = fence_len(text);

	size_t len = text ? strlen(text) : 0;
	struct buf body;

	while (len && text[len - 1] == '\n')
		len--;
	buf_init(&body);
	buf_add(&body, text ? text : "", len);
	for (int i = 0; i < n; i++)
		buf_addc(b, '`');
	buf_printf(b, "%s\n", lang);
	put_safe(b, body.data, true);
	buf_addc(b, '\n');
	for (int i = 0; i < n; i++)
		buf_addc(b, '`');
	buf_adds(b, "\n\n");
	buf_dispose(&body);
}

/* Markdown text: backslash the characters that would start markup. */
static void
put_md(struct buf *b, const char *s)
{
	struct buf tmp;

	buf_init(&tmp);
	put_safe(&tmp, s, false);
	for (const char *p = tmp.data ? tmp.data : ""; *p; p++) {
		if (strchr("\\`*_[]<>#|", *p))
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
	buf_dispose(&tmp);
}

char *
report_to_markdown(const struct report *r)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "# Threat ");
	put_md(&b, r->threat_id);
	buf_printf(&b, ": %s\n\n", r->verdict);
	buf_printf(&b, "- Verdict: **%s**, confidence %d, score %d\n",
		   r->verdict, r->confidence, r->score);
	buf_printf(&b, "- Real: %s", r->real ? "yes" : "no");
	if (!r->real) {
		buf_adds(&b, " (");
		put_md(&b, r->real_reason);
		buf_addc(&b, ')');
	}
	buf_adds(&b, "\n- Playbook: ");
	put_md(&b, r->playbook ? r->playbook : "none");
	buf_adds(&b, "\n- Knowledge base: ");
	put_md(&b, r->kb_version);
	buf_adds(&b, "\n\n## Summary\n\n");
	put_md(&b, r->summary);
	buf_adds(&b, "\n\n");
	if (r->ninjection)
		buf_adds(&b, "## Instruction-like text in the evidence\n\n"
			 "Flagged, not followed, not scored.\n\n");
	for (size_t i = 0; i < r->ninjection; i++) {
		buf_adds(&b, "- ");
		put_md(&b, r->injection[i].pattern);
		buf_adds(&b, " in ");
		put_md(&b, r->injection[i].event);
		buf_adds(&b, " field ");
		put_md(&b, r->injection[i].field);
		buf_adds(&b, ": ");
		put_md(&b, r->injection[i].excerpt);
		buf_addc(&b, '\n');
	}
	if (r->ninjection)
		buf_addc(&b, '\n');
	if (r->nkeys)
		buf_adds(&b, "## Key findings\n\n");
	for (size_t i = 0; i < r->nkeys; i++) {
		buf_printf(&b, "%zu. (%+d) ", i + 1, r->keys[i].score);
		put_md(&b, r->keys[i].text);
		for (size_t k = 0; k < r->keys[i].ncited; k++) {
			buf_adds(&b, k ? ", " : " (cites ");
			put_md(&b, r->keys[i].cited[k]);
		}
		if (r->keys[i].ncited)
			buf_addc(&b, ')');
		buf_addc(&b, '\n');
	}
	if (r->nnext)
		buf_adds(&b, "\n## Next steps\n\n");
	for (size_t i = 0; i < r->nnext; i++) {
		buf_adds(&b, "- ");
		put_md(&b, r->next_steps[i]);
		buf_addc(&b, '\n');
	}
	if (r->nraise)
		buf_adds(&b, "\n## What would raise confidence\n\n");
	for (size_t i = 0; i < r->nraise; i++) {
		buf_adds(&b, "- ");
		put_md(&b, r->raise[i]);
		buf_addc(&b, '\n');
	}
	if (r->blast_json) {
		buf_adds(&b, "\n## Blast radius\n\n");
		report_put_fenced(&b, "json", r->blast_json);
	}
	if (r->nsteps)
		buf_adds(&b, "\n## Steps\n\n");
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct step_result *s = &r->steps[i];

		buf_printf(&b, "### %zu. ", i + 1);
		put_md(&b, s->title);
		buf_printf(&b, " (%s, score %+d)\n\n", s->kind, s->score);
		report_put_fenced(&b, s->kind && strcmp(s->kind, "sql") == 0 ? "sql" : "",
			   s->query);
		buf_printf(&b, "%zu row%s", s->nrows, s->nrows == 1 ? "" : "s");
		buf_adds(&b, s->nrows ? ":\n\n" : ".\n\n");
		if (s->nrows)
			report_put_fenced(&b, "json", s->rows_json);
		if (s->finding) {
			buf_adds(&b, "Finding: ");
			put_md(&b, s->finding);
			buf_adds(&b, "\n\n");
		}
		if (s->gap) {
			buf_adds(&b, "Gap: ");
			put_md(&b, s->gap);
			buf_adds(&b, "\n\n");
		}
		for (size_t k = 0; k < s->ncited; k++) {
			buf_adds(&b, k ? ", " : "Cites ");
			put_md(&b, s->cited[k]);
		}
		if (s->ncited)
			buf_adds(&b, "\n\n");
	}
	return b.data ? buf_detach(&b) : strdup("");
}
