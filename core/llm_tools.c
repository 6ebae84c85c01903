/* SPDX-License-Identifier: Apache-2.0 */
/* llm_tools: the read-only tools a model may call, one table of name,
 * description, argument schema and runner. The playbook step kinds run
 * through the playbook engine itself, so a model sees what a playbook
 * would and can write nothing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/llm_agent_int.h"
#include "core/playbook.h"
#include "core/trace.h"

#define SQL_DEFAULT_ROWS 50
#define SQL_MAX_ROWS 200
#define FIRST_SEEN_DEFAULT_DAYS 30
#define FIRST_SEEN_MAX_DAYS 365
#define KB_SEARCH_MAX 20
#define ARGS_SHOWN 300        /* of malformed arguments, in the step */
#define SQL_MAX_BYTES 8192    /* of a model's query */
#define CELL_MAX 2000         /* bytes of one cell the model is given */
#define ROWS_MAX_BYTES 32768  /* of one step's rows, for model and report */
#define NS_PER_DAY ((int64_t)86400 * 1000000000)

typedef int (*tool_fn)(struct agent *a, const cJSON *args,
		       struct step_result *out, struct buf *err);

struct tool_def {
	struct llm_tool tool;
	tool_fn run;
};

/* ---- argument helpers --------------------------------------------------- */

static const char *
arg_str(const cJSON *args, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);

	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static bool
arg_int(const cJSON *args, const char *key, long lo, long hi, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);

	if (!v)
		return true;   /* absent: keep the default */
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi)
		return false;
	*out = (long)v->valuedouble;
	return true;
}

/* Run ps through the playbook engine as the next step. */
static int
run_step(struct agent *a, struct pb_step *ps, struct step_result *out)
{
	char id[16];

	snprintf(id, sizeof(id), "m%zu", a->rep->nsteps + 1);
	ps->id = id;
	return investigate_adhoc_step(a->inv, ps, out);
}

/* ---- the tools ----------------------------------------------------------- */

static int
tool_sql(struct agent *a, const cJSON *args, struct step_result *out,
	 struct buf *err)
{
	const char *q = arg_str(args, "query");
	long max_rows = SQL_DEFAULT_ROWS;
	struct pb_step ps = { .title = "Model query", .kind = STEP_SQL };

	if (!q)
		return buf_adds(err, "`query`: give the SQL text"), 1;
	if (strlen(q) > SQL_MAX_BYTES)
		return buf_printf(err, "`query`: longer than %d bytes",
				  SQL_MAX_BYTES), 1;
	if (!arg_int(args, "max_rows", 1, SQL_MAX_ROWS, &max_rows))
		return buf_printf(err, "`max_rows`: give 1 to %d",
				  SQL_MAX_ROWS), 1;
	ps.query = (char *)q;
	ps.max_rows = (size_t)max_rows;
	return run_step(a, &ps, out);
}

static const char *const first_seen_fields[] = {
	"src_ip", "user_agent", "region", "action", "resource", "src_domain",
	"account",
};

static int
tool_first_seen(struct agent *a, const cJSON *args, struct step_result *out,
		struct buf *err)
{
	const char *f = arg_str(args, "field");
	long days = FIRST_SEEN_DEFAULT_DAYS;
	struct pb_step ps = { .title = "Model: first seen", .kind = STEP_FIRST_SEEN };
	bool known = false;

	for (size_t i = 0; f && i < sizeof(first_seen_fields) /
	     sizeof(first_seen_fields[0]); i++)
		known |= strcmp(f, first_seen_fields[i]) == 0;
	if (!known)
		return buf_adds(err, "`field`: give src_ip, user_agent, region, "
				"action, resource, src_domain or account"), 1;
	if (!arg_int(args, "lookback_days", 1, FIRST_SEEN_MAX_DAYS, &days))
		return buf_printf(err, "`lookback_days`: give 1 to %d",
				  FIRST_SEEN_MAX_DAYS), 1;
	ps.field = (char *)f;
	ps.lookback_ns = days * NS_PER_DAY;
	return run_step(a, &ps, out);
}

static int
tool_intel(struct agent *a, const cJSON *args, struct step_result *out,
	   struct buf *err)
{
	const char *f = arg_str(args, "field"), *list = arg_str(args, "list");
	struct pb_step ps = { .title = "Model: intel list", .kind = STEP_INTEL };
	size_t n = 0;

	if (!f || !list) {
		buf_adds(err, "give `field` (e.g. src_ip) and `list`; lists:");
		for (size_t i = 0; a->kb && i < a->kb->nintel; i++, n++)
			buf_printf(err, " %s", a->kb->intel[i].name);
		if (!n)
			buf_adds(err, " none");
		return 1;
	}
	ps.field = (char *)f;
	ps.list = (char *)list;
	return run_step(a, &ps, out);
}

static int
simple_step(struct agent *a, enum step_kind kind, const char *title,
	    struct step_result *out)
{
	struct pb_step ps = { .title = (char *)title, .kind = kind };

	return run_step(a, &ps, out);
}

static int
tool_allowlist(struct agent *a, const cJSON *args, struct step_result *out,
	       struct buf *err)
{
	return simple_step(a, STEP_ALLOWLIST, "Model: allowlist", out);
}

static int
tool_permissions(struct agent *a, const cJSON *args, struct step_result *out,
		 struct buf *err)
{
	return simple_step(a, STEP_PERMISSIONS, "Model: permissions", out);
}

static int
tool_prior(struct agent *a, const cJSON *args, struct step_result *out,
	   struct buf *err)
{
	return simple_step(a, STEP_PRIOR_DECISIONS, "Model: prior decisions",
			   out);
}

/* A step made here rather than by the engine: id, title, kind, query. */
static int
own_step(struct agent *a, struct step_result *out, const char *title,
	 const char *kind, const char *query)
{
	char id[16];

	memset(out, 0, sizeof(*out));
	snprintf(id, sizeof(id), "m%zu", a->rep->nsteps + 1);
	if (!(out->id = strdup(id)) || !(out->title = strdup(title)) ||
	    !(out->kind = strdup(kind)) || !(out->query = strdup(query)))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int
tool_blast(struct agent *a, const cJSON *args, struct step_result *out,
	   struct buf *err)
{
	char *json = NULL;
	struct buf rows;
	int rc;

	if ((rc = own_step(a, out, "Model: blast radius", "blast_radius",
			   "blast radius: what the actor's identity can "
			   "reach")) < 0)
		return rc;
	rc = investigate_blast_json(a->inv, &json);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc < 0) {
		out->gap = strdup(err_msg());
		out->rows_json = strdup("[]");
		return out->gap && out->rows_json ? 0
			: err_set(ERR_NOMEM, "out of memory");
	}
	buf_init(&rows);
	buf_printf(&rows, "[%s]", json);
	free(json);
	out->nrows = 1;
	out->rows_json = buf_detach(&rows);
	return out->rows_json ? 0 : err_set(ERR_NOMEM, "out of memory");
}

/* ---- kb_search ------------------------------------------------------------ */

/* Does text hold every word of q (case-insensitive)? */
static bool
matches_words(const char *text, const char *q)
{
	char word[64];
	const char *p = q;

	if (!text)
		return false;
	while (*p) {
		size_t n = 0;

		while (*p == ' ')
			p++;
		while (*p && *p != ' ' && n < sizeof(word) - 1)
			word[n++] = *p++;
		while (*p && *p != ' ')
			p++;
		word[n] = '\0';
		if (n && !strcasestr(text, word))
			return false;
	}
	return true;
}

static void
kb_hit(cJSON *rows, const char *kind, const char *id, const char *text)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "id", id ? id : "");
	cJSON_AddStringToObject(o, "text", text ? text : "");
	cJSON_AddItemToArray(rows, o);
}

static void
search_playbooks(const struct kb_data *kb, const char *q, cJSON *rows)
{
	for (size_t i = 0; i < kb->nplaybooks; i++) {
		const struct playbook *pb = kb->playbooks[i];
		struct buf t;

		if (cJSON_GetArraySize(rows) >= KB_SEARCH_MAX)
			return;
		buf_init(&t);
		buf_printf(&t, "%s: %s. %s", pb->id, pb->title ? pb->title : "",
			   pb->description ? pb->description : "");
		for (size_t k = 0; k < pb->nsteps; k++)
			buf_printf(&t, " Step %s: %s.", pb->steps[k].id,
				   pb->steps[k].title);
		if (t.data && matches_words(t.data, q))
			kb_hit(rows, "playbook", pb->id, t.data);
		buf_dispose(&t);
	}
}

static void
search_intel(const struct kb_data *kb, const char *q, cJSON *rows)
{
	for (size_t i = 0; i < kb->nintel; i++) {
		const struct intel_list *l = &kb->intel[i];
		bool named = matches_words(l->name, q);

		for (size_t k = 0; k < l->nentries; k++) {
			if (cJSON_GetArraySize(rows) >= KB_SEARCH_MAX)
				return;
			if (named || matches_words(l->entries[k], q))
				kb_hit(rows, "intel", l->name, l->entries[k]);
			if (named)
				break;   /* the list, not all its entries */
		}
	}
}

static void
search_allow(const struct kb_data *kb, const char *q, cJSON *rows)
{
	for (size_t i = 0; i < kb->nallow; i++) {
		const struct allow_entry *e = &kb->allow[i];
		struct buf t;

		if (cJSON_GetArraySize(rows) >= KB_SEARCH_MAX)
			return;
		buf_init(&t);
		buf_printf(&t, "%s. detection %s, account %s, actor %s, "
			   "resource %s, cidr %s", e->reason ? e->reason : "",
			   e->detection ? e->detection : "any",
			   e->account ? e->account : "any",
			   e->actor ? e->actor : "any",
			   e->resource ? e->resource : "any",
			   e->cidr ? e->cidr : "any");
		if (t.data && matches_words(t.data, q))
			kb_hit(rows, "allowlist", e->id, t.data);
		buf_dispose(&t);
	}
}

static int
tool_kb_search(struct agent *a, const cJSON *args, struct step_result *out,
	       struct buf *err)
{
	const char *q = arg_str(args, "query");
	cJSON *rows;
	struct buf query;
	int rc;

	if (!q)
		return buf_adds(err, "`query`: give words to search for"), 1;
	buf_init(&query);
	buf_printf(&query, "kb_search: playbooks, intel lists and allowlist "
		   "entries holding every word of \"%s\"", q);
	rc = own_step(a, out, "Model: knowledge base search", "kb_search",
		      query.data ? query.data : "");
	buf_dispose(&query);
	if (rc < 0 || !(rows = cJSON_CreateArray()))
		return rc < 0 ? rc : err_set(ERR_NOMEM, "out of memory");
	if (a->kb) {
		search_playbooks(a->kb, q, rows);
		search_intel(a->kb, q, rows);
		search_allow(a->kb, q, rows);
	}
	out->nrows = (size_t)cJSON_GetArraySize(rows);
	out->rows_json = cJSON_PrintUnformatted(rows);
	cJSON_Delete(rows);
	return out->rows_json ? 0 : err_set(ERR_NOMEM, "out of memory");
}

/* ---- the table ------------------------------------------------------------ */

static const struct tool_def tools[] = {
	{ { "sql", "Read-only SQL (SQLite) over the tables events, identities, "
	    "threats and threat_events. Writes are refused; at most max_rows "
	    "rows (default 50, at most 200) and a time limit. Select the id "
	    "column to cite events. Parameters :threat_id, :actor, :src_ip, "
	    ":resource, :host, :account, :region, :win_start and :win_end "
	    "(the evidence window, UTC ns) are bound from the threat.",
	    "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":"
	    "\"string\"},\"max_rows\":{\"type\":\"integer\",\"minimum\":1,"
	    "\"maximum\":200}},\"required\":[\"query\"]}" }, tool_sql },
	{ { "first_seen", "Has the threat's actor used the threat's values of "
	    "this field before the evidence window, within lookback_days "
	    "(default 30)?",
	    "{\"type\":\"object\",\"properties\":{\"field\":{\"type\":"
	    "\"string\",\"enum\":[\"src_ip\",\"user_agent\",\"region\","
	    "\"action\",\"resource\",\"src_domain\",\"account\"]},"
	    "\"lookback_days\":{\"type\":\"integer\",\"minimum\":1,"
	    "\"maximum\":365}},\"required\":[\"field\"]}" }, tool_first_seen },
	{ { "intel", "Are the threat's values of a field (src_ip, src_domain, "
	    "dst_ip...) on a threat intelligence list of the knowledge base?",
	    "{\"type\":\"object\",\"properties\":{\"field\":{\"type\":"
	    "\"string\"},\"list\":{\"type\":\"string\"}},\"required\":"
	    "[\"field\",\"list\"]}" }, tool_intel },
	{ { "allowlist", "Allowlist entries of the knowledge base whose scope "
	    "covers this threat, with their reasons and expiry.",
	    "{\"type\":\"object\",\"properties\":{}}" }, tool_allowlist },
	{ { "permissions", "The actor's privilege-escalation paths from the "
	    "account's identity configuration.",
	    "{\"type\":\"object\",\"properties\":{}}" }, tool_permissions },
	{ { "prior_decisions", "Analysts' earlier verdicts on similar threats.",
	    "{\"type\":\"object\",\"properties\":{}}" }, tool_prior },
	{ { "blast_radius", "What the actor's identity can reach: services, "
	    "resources, whether it is admin-equivalent, roles it can assume.",
	    "{\"type\":\"object\",\"properties\":{}}" }, tool_blast },
	{ { "kb_search", "Search the knowledge base (playbooks, intel lists, "
	    "allowlist entries) for every word of the query.",
	    "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":"
	    "\"string\"}},\"required\":[\"query\"]}" }, tool_kb_search },
	{ { "submit_verdict", "Your final answer. Cite event ids you saw; "
	    "claims are checked against the event store.",
	    "{\"type\":\"object\",\"properties\":{"
	    "\"verdict\":{\"type\":\"string\",\"enum\":[\"malicious\","
	    "\"suspicious\",\"benign\",\"inconclusive\"]},"
	    "\"confidence\":{\"type\":\"integer\",\"minimum\":0,"
	    "\"maximum\":100},"
	    "\"summary\":{\"type\":\"string\"},"
	    "\"key_findings\":{\"type\":\"array\",\"items\":{\"type\":"
	    "\"object\",\"properties\":{\"text\":{\"type\":\"string\"},"
	    "\"cited\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
	    "\"required\":[\"text\",\"cited\"]}},"
	    "\"next_steps\":{\"type\":\"array\",\"items\":{\"type\":"
	    "\"string\"}},"
	    "\"indicators\":{\"type\":\"array\",\"items\":{\"type\":"
	    "\"string\"}}},"
	    "\"required\":[\"verdict\",\"confidence\",\"summary\","
	    "\"key_findings\"]}" }, NULL },
};

#define NTOOLS (sizeof(tools) / sizeof(tools[0]))

const struct llm_tool *
llm_agent_tools(size_t *n)
{
	static struct llm_tool list[NTOOLS];

	for (size_t i = 0; i < NTOOLS; i++)
		list[i] = tools[i].tool;
	*n = NTOOLS;
	return list;
}

static const struct tool_def *
find_tool(const char *name)
{
	for (size_t i = 0; name && i < NTOOLS; i++)
		if (tools[i].run && strcmp(tools[i].tool.name, name) == 0)
			return &tools[i];
	return NULL;
}

/* ---- running a call ---------------------------------------------------------- */

static int
step_push(struct agent *a, struct llm_step *s)
{
	struct llm_step *grown;

	if (!(grown = realloc(a->rep->steps,
			      (a->rep->nsteps + 1) * sizeof(*grown))))
		return err_set(ERR_NOMEM, "out of memory");
	a->rep->steps = grown;
	grown[a->rep->nsteps++] = *s;
	if (a->hooks && a->hooks->on_step)
		a->hooks->on_step(a->hooks->net.ctx, &grown[a->rep->nsteps - 1],
				  a->rep->nsteps);
	return 0;
}

/* Cut long cells, then whole rows from the end, until the rows fit: one
 * query must not fill the model's context or the report. The rows kept
 * still say how many there were (nrows). */
static int
cap_rows(struct step_result *s)
{
	cJSON *rows, *row, *cell;
	char *text;
	int cut_cols = 0;

	if (!s->rows_json || strlen(s->rows_json) <= ROWS_MAX_BYTES / 2)
		return 0;
	if (!(rows = cJSON_Parse(s->rows_json)))
		return 0;
	cJSON_ArrayForEach(row, rows) {
		cJSON_ArrayForEach(cell, row) {
			size_t n;
			struct buf b;

			if (!cJSON_IsString(cell) ||
			    (n = strlen(cell->valuestring)) <= CELL_MAX)
				continue;
			size_t keep = CELL_MAX;

			/* At a character boundary: the rest stays UTF-8. */
			while (keep && ((unsigned char)cell->valuestring[keep]
					& 0xc0) == 0x80)
				keep--;
			buf_init(&b);
			buf_add(&b, cell->valuestring, keep);
			buf_printf(&b, " [cut: %zu more bytes]", n - keep);
			if (b.data)
				cJSON_SetValuestring(cell, b.data);
			buf_dispose(&b);
		}
	}
	while ((text = cJSON_PrintUnformatted(rows)) &&
	       strlen(text) > ROWS_MAX_BYTES && cJSON_GetArraySize(rows) > 1) {
		free(text);
		cJSON_DeleteItemFromArray(rows, cJSON_GetArraySize(rows) - 1);
	}
	/* One row can still be too wide: its last columns go, and it says
	 * how many. */
	while (text && strlen(text) > ROWS_MAX_BYTES &&
	       (row = cJSON_GetArrayItem(rows, 0)) &&
	       cJSON_GetArraySize(row) > 1) {
		int ncols, drop;

		free(text);
		cJSON_DeleteItemFromObjectCaseSensitive(row, "[columns cut]");
		ncols = cJSON_GetArraySize(row);
		drop = ncols / 2 ? ncols / 2 : 1;
		for (int k = 0; k < drop; k++)
			cJSON_DeleteItemFromArray(row, cJSON_GetArraySize(row) - 1);
		cut_cols += drop;
		cJSON_AddNumberToObject(row, "[columns cut]", cut_cols);
		text = cJSON_PrintUnformatted(rows);
	}
	cJSON_Delete(rows);
	if (!text)
		return err_set(ERR_NOMEM, "out of memory");
	free(s->rows_json);
	s->rows_json = text;
	return 0;
}

/* The result the model reads: the step as JSON. */
static int
result_json(const struct step_result *s, struct buf *result)
{
	cJSON *o = report_step_json(s);
	char *text;

	if (!o)
		return err_set(ERR_NOMEM, "out of memory");
	/* "step", not "id": an id in a tool result is an event's. */
	cJSON_AddItemToObject(o, "step", cJSON_DetachItemFromObjectCaseSensitive(o, "id"));
	cJSON_DeleteItemFromObjectCaseSensitive(o, "score");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "finding");
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		return err_set(ERR_NOMEM, "out of memory");
	buf_adds(result, text);
	free(text);
	return 0;
}

int
agent_error_json(const char *msg, struct buf *result)
{
	cJSON *o = cJSON_CreateObject();
	char *t;

	cJSON_AddStringToObject(o, "error", msg ? msg : "");
	t = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!t)
		return err_set(ERR_NOMEM, "out of memory");
	buf_adds(result, t);
	free(t);
	return 0;
}

/* A call that cannot run is still a step: the analyst sees what the model
 * asked for and why it got nothing. */
static int
refused_step(struct agent *a, const struct llm_tool_call *c, const char *why,
	     struct step_result *out)
{
	char shown[ARGS_SHOWN + 4];
	int rc;

	snprintf(shown, sizeof(shown), "%s(%.*s%s)", c->name ? c->name : "?",
		 ARGS_SHOWN - 8, c->args ? c->args : "",
		 c->args && strlen(c->args) > ARGS_SHOWN - 8 ? "..." : "");
	if ((rc = own_step(a, out, "Model: call not run", c->name && *c->name
			   ? c->name : "unknown", shown)) < 0)
		return rc;
	out->gap = strdup(why);
	out->rows_json = strdup("[]");
	return out->gap && out->rows_json ? 0
		: err_set(ERR_NOMEM, "out of memory");
}

int
agent_refused_call(struct agent *a, const struct llm_tool_call *c,
		   const char *why)
{
	struct llm_step step = { .tokens_in = 0 };
	int rc = refused_step(a, c, why, &step.base);

	if (rc == 0)
		rc = step_push(a, &step);
	else
		step_result_dispose(&step.base);
	return rc;
}

int
agent_run_tool(struct agent *a, const struct llm_tool_call *c, bool first,
	       const char *prose, struct buf *result, bool *is_error)
{
	const struct tool_def *td = find_tool(c->name);
	struct llm_step step = { .tokens_in = first ? a->last_tokens_in : 0,
				 .tokens_out = first ? a->last_tokens_out : 0,
				 .latency_ms = first ? a->last_latency_ms : 0 };
	cJSON *args = c->args && *c->args ? cJSON_Parse(c->args)
		: cJSON_CreateObject();
	struct timespec t0, t1;
	struct buf err;
	int rc;

	buf_init(&err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!td)
		buf_printf(&err, "there is no tool \"%s\"", c->name ? c->name : "");
	else if (!cJSON_IsObject(args))
		buf_adds(&err, "the arguments are not a valid JSON object");
	if (err.len) {
		rc = 1;
	} else {
		rc = td->run(a, args, &step.base, &err);
		if (rc == 1)
			step_result_dispose(&step.base);
	}
	if (rc == 1) {
		rc = refused_step(a, c, err.data, &step.base);
		*is_error = true;
		if (rc == 0)
			rc = agent_error_json(err.data, result);
	} else if (rc == 0 && (rc = cap_rows(&step.base)) == 0) {
		rc = result_json(&step.base, result);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	step.tool_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (rc == 0 && prose && *prose && !step.base.finding)
		step.base.finding = strdup(prose);
	if (rc == 0)
		rc = step_push(a, &step);
	else
		step_result_dispose(&step.base);
	cJSON_Delete(args);
	buf_dispose(&err);
	trace(TRACE_INFO, "llm step %s: %s", c->name ? c->name : "?",
	      rc < 0 ? "failed" : *is_error ? "refused" : "ran");
	return rc;
}
