/* SPDX-License-Identifier: Apache-2.0 */
/* llm_report: the model's answer as a report: taken from submit_verdict,
 * checked against the store (cited events and indicators must exist), set
 * beside the playbook's verdict, and rendered as JSON, text or Markdown. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/jsonu.h"
#include "core/llm_agent_int.h"
#include "core/llm_guard.h"
#include "core/store.h"
#include "core/strv.h"

#define MAX_CLAIMS 10
#define MAX_CITED 20
#define MAX_NEXT 10
#define MAX_INDICATORS 20
#define MAX_TEXT 2000           /* bytes of one string of the answer */
#define MAX_TEXT_IOCS 64        /* addresses and ARNs checked per claim */

static const char *const verdicts[] = {
	"malicious", "suspicious", "benign", "inconclusive",
};

void
llm_report_free(struct llm_report *r)
{
	if (!r)
		return;
	free(r->threat_id);
	free(r->provider);
	free(r->model);
	free(r->verdict);
	free(r->summary);
	for (size_t i = 0; i < r->nclaims; i++) {
		free(r->claims[i].text);
		strv_free_array(r->claims[i].cited, r->claims[i].ncited);
		strv_free_array(r->claims[i].unverified, r->claims[i].nunverified);
	}
	free(r->claims);
	strv_free_array(r->next_steps, r->nnext);
	for (size_t i = 0; i < r->nindicators; i++)
		free(r->indicators[i].value);
	free(r->indicators);
	for (size_t i = 0; i < r->nsteps; i++)
		step_result_dispose(&r->steps[i].base);
	free(r->steps);
	free(r->playbook_verdict);
	injection_flags_free(r->injection, r->ninjection);
	free(r->stopped);
	strv_free_array(r->notes, r->nnotes);
	free(r);
}

/* ---- the header: who answers, and the playbook's verdict ---------------- */

static int
copy_flags(struct llm_report *r, const cJSON *arr)
{
	int n = cJSON_GetArraySize(arr);

	if (n <= 0)
		return 0;
	if (!(r->injection = calloc((size_t)n, sizeof(*r->injection))))
		return err_set(ERR_NOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		const cJSON *o = cJSON_GetArrayItem(arr, i);
		struct injection_flag *f = &r->injection[r->ninjection++];
		const char *v[4] = { jsonu_str(o, "event"), jsonu_str(o, "field"),
				     jsonu_str(o, "pattern"),
				     jsonu_str(o, "excerpt") };

		f->event = strdup(v[0] ? v[0] : "");
		f->field = strdup(v[1] ? v[1] : "");
		f->pattern = strdup(v[2] ? v[2] : "");
		f->excerpt = strdup(v[3] ? v[3] : "");
		if (!f->event || !f->field || !f->pattern || !f->excerpt)
			return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* The playbook's report, run now if the threat has none. */
static int
playbook_report(struct agent *a, char **json)
{
	const struct threat *t = investigate_threat_of(a->inv);
	struct report *r = NULL;
	int rc = store_report_get(a->st, t->id, json);

	if (rc != ERR_NOTFOUND)
		return rc;
	if ((rc = investigate_threat(a->st, a->kb, t->id, &r)) < 0)
		return rc;
	report_free(r);
	return store_report_get(a->st, t->id, json);
}

int
agent_report_init(struct agent *a)
{
	struct llm_report *r = a->rep;
	char *json = NULL;
	cJSON *o;
	int rc;

	if (!(r->threat_id = strdup(investigate_threat_of(a->inv)->id)) ||
	    !(r->provider = strdup(llm_provider_name(a->cfg->provider))) ||
	    !(r->model = strdup(a->cfg->model)))
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = playbook_report(a, &json)) < 0)
		return rc;
	o = cJSON_Parse(json);
	free(json);
	if (!o)
		return err_set(ERR_PARSE, "the playbook report of %s is not "
			       "JSON", r->threat_id);
	r->playbook_verdict = strdup(jsonu_str(o, "verdict")
				     ? jsonu_str(o, "verdict") : "inconclusive");
	r->playbook_confidence = (int)cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(o, "confidence"));
	rc = copy_flags(r, cJSON_GetObjectItemCaseSensitive(o, "injection"));
	cJSON_Delete(o);
	if (rc == 0 && !r->playbook_verdict)
		rc = err_set(ERR_NOMEM, "out of memory");
	return rc;
}

/* ---- the answer ------------------------------------------------------------ */

/* s, cut to MAX_TEXT bytes at a character boundary, and saying so. */
static char *
text_dup(const char *s)
{
	size_t n = strlen(s), len = n;
	struct buf b;

	if (n <= MAX_TEXT)
		return strdup(s);
	n = MAX_TEXT;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	buf_init(&b);
	buf_add(&b, s, n);
	buf_printf(&b, " [cut: %zu more bytes]", len - n);
	return buf_detach(&b);
}

/* Say in the report that the answer was cut (the analyst must know). */
static void
note_cut(struct llm_report *r, const char *what, int given, size_t kept)
{
	struct buf b;
	char **grown;

	if (given <= (int)kept)
		return;
	buf_init(&b);
	buf_printf(&b, "%s: %d given, the first %zu kept", what, given, kept);
	if (!b.data || !(grown = realloc(r->notes, (r->nnotes + 1) *
					 sizeof(*grown)))) {
		buf_dispose(&b);
		return;
	}
	r->notes = grown;
	r->notes[r->nnotes++] = buf_detach(&b);
}

/* The strings of array key of o, at most max; false when key is there but
 * not an array of strings. */
static bool
str_list(struct llm_report *r, const cJSON *o, const char *key, size_t max,
	 char ***out, size_t *n)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, key), *it;

	*out = NULL;
	*n = 0;
	if (!arr)
		return true;
	if (!cJSON_IsArray(arr))
		return false;
	note_cut(r, key, cJSON_GetArraySize(arr), max);
	cJSON_ArrayForEach(it, arr)
		if (!cJSON_IsString(it))
			return false;
	if (!(*out = calloc(max, sizeof(**out))))
		return false;
	cJSON_ArrayForEach(it, arr) {
		if (*n >= max)
			break;
		if (!((*out)[*n] = text_dup(it->valuestring)))
			return false;
		(*n)++;
	}
	return true;
}

static bool
known_verdict(const char *v)
{
	for (size_t i = 0; v && i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		if (strcmp(v, verdicts[i]) == 0)
			return true;
	return false;
}

static int
take_claims(struct llm_report *r, const cJSON *arr, struct buf *why)
{
	const cJSON *it;

	if (!cJSON_IsArray(arr))
		return buf_adds(why, "`key_findings`: give an array of "
				"{text, cited}"), 1;
	if (!(r->claims = calloc(MAX_CLAIMS, sizeof(*r->claims))))
		return err_set(ERR_NOMEM, "out of memory");
	note_cut(r, "key_findings", cJSON_GetArraySize(arr), MAX_CLAIMS);
	cJSON_ArrayForEach(it, arr) {
		struct llm_claim *c;
		const char *text = jsonu_str(it, "text");

		if (r->nclaims >= MAX_CLAIMS)
			break;
		if (!text)
			return buf_adds(why, "`key_findings`: each needs "
					"`text`"), 1;
		c = &r->claims[r->nclaims++];
		if (!(c->text = text_dup(text)))
			return err_set(ERR_NOMEM, "out of memory");
		if (!str_list(r, it, "cited", MAX_CITED, &c->cited, &c->ncited))
			return buf_adds(why, "`key_findings`: `cited` must be "
					"an array of event id strings"), 1;
	}
	return 0;
}

/* Forget a half-taken answer so a corrected one starts clean. */
static void
drop_answer(struct llm_report *r)
{
	free(r->verdict);
	free(r->summary);
	for (size_t i = 0; i < r->nclaims; i++) {
		free(r->claims[i].text);
		strv_free_array(r->claims[i].cited, r->claims[i].ncited);
	}
	free(r->claims);
	strv_free_array(r->next_steps, r->nnext);
	strv_free_array(r->notes, r->nnotes);
	r->notes = NULL;
	r->nnotes = 0;
	r->verdict = r->summary = NULL;
	r->claims = NULL;
	r->nclaims = 0;
	r->next_steps = NULL;
	r->nnext = 0;
}

/* s with every run of white space as one space, none at either end: an
 * indicator is one token, and padding could hide what follows it. */
static char *
squeeze(char *s)
{
	char *w = s;
	bool space = true;

	for (const char *p = s; *p; p++) {
		if (isspace((unsigned char)*p)) {
			if (!space)
				*w++ = ' ';
			space = true;
		} else {
			*w++ = *p;
			space = false;
		}
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
	return s;
}

static int
take_indicators(struct llm_report *r, const cJSON *o)
{
	char **v = NULL;
	size_t n = 0;

	if (!str_list(r, o, "indicators", MAX_INDICATORS, &v, &n))
		return 1;
	if (n && !(r->indicators = calloc(n, sizeof(*r->indicators)))) {
		strv_free_array(v, n);
		return err_set(ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		r->indicators[i].value = squeeze(v[i]);
	r->nindicators = n;
	free(v);
	return 0;
}

static int
parse_answer(struct llm_report *r, const cJSON *o, struct buf *why)
{
	const char *v = jsonu_str(o, "verdict"), *sum = jsonu_str(o, "summary");
	const cJSON *conf = cJSON_GetObjectItemCaseSensitive(o, "confidence");
	int rc;

	if (!known_verdict(v))
		return buf_adds(why, "`verdict`: give malicious, suspicious, "
				"benign or inconclusive"), 1;
	if (!cJSON_IsNumber(conf) || conf->valuedouble < 0 ||
	    conf->valuedouble > 100)
		return buf_adds(why, "`confidence`: give a number from 0 to "
				"100"), 1;
	if (!sum)
		return buf_adds(why, "`summary`: give a few sentences"), 1;
	if (!(r->verdict = strdup(v)) || !(r->summary = text_dup(sum)))
		return err_set(ERR_NOMEM, "out of memory");
	r->confidence = (int)conf->valuedouble;
	if ((rc = take_claims(r, cJSON_GetObjectItemCaseSensitive(o,
			      "key_findings"), why)) != 0)
		return rc;
	if (!str_list(r, o, "next_steps", MAX_NEXT, &r->next_steps, &r->nnext))
		return buf_adds(why, "`next_steps`: give an array of "
				"strings"), 1;
	if ((rc = take_indicators(r, o)) == 1)
		buf_adds(why, "`indicators`: give an array of strings");
	return rc;
}

int
agent_accept_answer(struct agent *a, const char *args, struct buf *why)
{
	cJSON *o = args ? cJSON_Parse(args) : NULL;
	int rc;

	if (!cJSON_IsObject(o)) {
		buf_adds(why, "the arguments are not a valid JSON object");
		rc = 1;
	} else {
		rc = parse_answer(a->rep, o, why);
	}
	cJSON_Delete(o);
	if (rc == 1)
		drop_answer(a->rep);
	return rc;
}

int
agent_set_stopped(struct agent *a, const char *why)
{
	free(a->rep->stopped);
	return (a->rep->stopped = strdup(why)) ? 0
		: err_set(ERR_NOMEM, "out of memory");
}

int
agent_no_answer(struct agent *a, const char *why)
{
	struct llm_report *r = a->rep;

	drop_answer(r);
	if (!(r->verdict = strdup("inconclusive")) ||
	    !(r->summary = strdup(why)))
		return err_set(ERR_NOMEM, "out of memory");
	r->confidence = 0;
	return agent_set_stopped(a, "no-answer");
}

/* ---- checking the answer against the store ------------------------------
 * An event id holds when the event is in the store and the model was shown
 * it (a triggering event, or a row of one of its steps). An indicator holds
 * when a store column has exactly it, or it stands as a whole token in the
 * raw record of one of the threat's own events. What the model's own
 * queries returned proves nothing: SELECT 'x' returns x. */

struct hit {
	bool found;
};

static int
on_hit(void *ctx, int ncol, const char *const *names,
       const char *const *values, const bool *numeric)
{
	((struct hit *)ctx)->found = true;
	return 1;
}

static bool
query_hits(struct store *st, const char *sql, const struct store_param *p,
	   size_t np)
{
	struct hit h = { false };

	store_query(st, sql, p, np, 0, on_hit, &h);
	return h.found;
}

/* Characters that continue a token: an address, a name, an ARN. */
static bool
token_char(char c)
{
	return isalnum((unsigned char)c) || strchr(".:-_/@", c) ||
		(unsigned char)c >= 0x80;
}

/* Does v stand in text as a whole token? */
static bool
token_in(const char *text, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = text; n && (p = strstr(p, v)); p++)
		if ((p == text || !token_char(p[-1])) && !token_char(p[n]))
			return true;
	return false;
}

static bool
id_shown(const struct agent *a, const char *id)
{
	struct store_param p[2] = { { ":t", a->rep->threat_id, false, 0 },
				    { ":v", id, false, 0 } };
	struct buf quoted;
	bool seen = false;

	if (query_hits(a->st, "SELECT 1 FROM threat_events WHERE threat_id ="
		       " :t AND event_id = :v", p, 2))
		return true;
	buf_init(&quoted);
	buf_printf(&quoted, "\"%s\"", id);
	for (size_t i = 0; quoted.data && i < a->rep->nsteps && !seen; i++) {
		const char *rows = a->rep->steps[i].base.rows_json;

		seen = rows && strstr(rows, quoted.data);
	}
	buf_dispose(&quoted);
	return seen;
}

static bool
event_verified(const struct agent *a, const char *id)
{
	struct store_param p = { ":v", id, false, 0 };

	return query_hits(a->st, "SELECT 1 FROM events WHERE id = :v", &p, 1) &&
		id_shown(a, id);
}

struct raw_scan {
	const char *v;
	bool found;
};

static int
on_raw(void *ctx, int ncol, const char *const *names,
       const char *const *values, const bool *numeric)
{
	struct raw_scan *r = ctx;

	if (values[0] && token_in(values[0], r->v))
		r->found = true;
	return r->found;
}

static bool
indicator_seen(struct agent *a, const char *v)
{
	static const char *const sql[] = {
		"SELECT 1 FROM events WHERE id = :v LIMIT 1",
		"SELECT 1 FROM events WHERE src_ip = :v LIMIT 1",
		"SELECT 1 FROM events WHERE actor = :v LIMIT 1",
		"SELECT 1 FROM events WHERE resource = :v LIMIT 1",
		"SELECT 1 FROM identities WHERE arn = :v LIMIT 1",
	};
	struct store_param p[2] = { { ":v", v, false, 0 },
				    { ":t", a->rep->threat_id, false, 0 } };
	struct raw_scan rs = { v, false };

	if (strlen(v) < 3)
		return false;   /* too short to mean anything */
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if (query_hits(a->st, sql[i], p, 1))
			return true;
	store_query(a->st, "SELECT e.raw FROM threat_events te JOIN events e"
		    " ON e.id = te.event_id WHERE te.threat_id = :t"
		    " AND instr(e.raw, :v) > 0", p, 2, 0, on_raw, &rs);
	return rs.found;
}

static int
unverified_add(struct llm_claim *c, const char *v)
{
	char **grown;

	for (size_t i = 0; i < c->nunverified; i++)
		if (strcmp(c->unverified[i], v) == 0)
			return 0;
	if (!(grown = realloc(c->unverified,
			      (c->nunverified + 1) * sizeof(*grown))))
		return err_set(ERR_NOMEM, "out of memory");
	c->unverified = grown;
	if (!(grown[c->nunverified] = strdup(v)))
		return err_set(ERR_NOMEM, "out of memory");
	c->nunverified++;
	return 0;
}

/* Token scanners for what a claim's text may name that the store can
 * confirm. Each gets s at a token start and returns the length it takes,
 * or 0. */
static size_t
scan_arn(const char *s)
{
	size_t n = 0;

	if (strncasecmp(s, "arn:", 4) != 0)
		return 0;
	while (s[n] && !isspace((unsigned char)s[n]) && !strchr(",;)\"'", s[n]))
		n++;
	while (n && strchr(".:", s[n - 1]))
		n--;
	return n;
}

static size_t
scan_ipv4(const char *s)
{
	size_t n = 0, dots = 0;

	while (isdigit((unsigned char)s[n]) || s[n] == '.')
		dots += s[n++] == '.';
	while (n && s[n - 1] == '.')
		n--, dots--;
	return dots == 3 && !isalnum((unsigned char)s[n]) ? n : 0;
}

/* Hex groups and colons: 2001:db8::1, or all eight groups. */
static size_t
scan_ipv6(const char *s)
{
	size_t n = 0, colons = 0;

	while (isxdigit((unsigned char)s[n]) || s[n] == ':')
		colons += s[n++] == ':';
	if (n >= 2 && s[n - 1] == ':' && s[n - 2] != ':')
		n--, colons--;     /* a sentence's colon, not the address's */
	if (isalnum((unsigned char)s[n]) || colons < 2)
		return 0;
	/* Not a time (12:30:45) or a MAC address: "::" or eight groups. */
	return colons == 7 || memmem(s, n, "::", 2) ? n : 0;
}

/* AWS access key ids: AKIA or ASIA and 16 more. */
static size_t
scan_akid(const char *s)
{
	size_t n = 4;

	if (strncmp(s, "AKIA", 4) != 0 && strncmp(s, "ASIA", 4) != 0)
		return 0;
	while (isupper((unsigned char)s[n]) || isdigit((unsigned char)s[n]))
		n++;
	return n == 20 ? n : 0;
}

static size_t (*const ioc_scanners[])(const char *) = {
	scan_arn, scan_akid, scan_ipv6, scan_ipv4,
};

/* The next token of text the store could confirm, or 0 length; *p moves
 * past it. */
static size_t
next_ioc(const char **p, const char **start)
{
	const char *s = *p;

	for (; *s; s++) {
		if (s != *p && (isalnum((unsigned char)s[-1]) || s[-1] == ':'))
			continue;   /* only at the start of a token */
		for (size_t i = 0; i < sizeof(ioc_scanners) /
		     sizeof(ioc_scanners[0]); i++) {
			size_t n = ioc_scanners[i](s);

			if (n) {
				*start = s;
				*p = s + n;
				return n;
			}
		}
	}
	*p = s;
	return 0;
}

static int
verify_claim(struct agent *a, struct llm_claim *c)
{
	const char *p = c->text, *start;
	size_t n;
	int rc = 0;

	for (size_t i = 0; i < c->ncited && rc == 0; i++, c->checked++)
		if (!event_verified(a, c->cited[i]))
			rc = unverified_add(c, c->cited[i]);
	while (rc == 0 && (n = next_ioc(&p, &start))) {
		char *ioc;

		if (++c->checked > MAX_TEXT_IOCS) {
			rc = unverified_add(c, "(more addresses and ARNs than "
					    "are checked)");
			break;
		}
		if (!(ioc = strndup(start, n)))
			return err_set(ERR_NOMEM, "out of memory");
		if (!indicator_seen(a, ioc))
			rc = unverified_add(c, ioc);
		free(ioc);
	}
	return rc;
}

int
agent_verify(struct agent *a)
{
	struct llm_report *r = a->rep;
	int rc = 0;

	for (size_t i = 0; i < r->nclaims && rc == 0; i++)
		rc = verify_claim(a, &r->claims[i]);
	for (size_t i = 0; i < r->nindicators; i++)
		r->indicators[i].verified = indicator_seen(a,
							   r->indicators[i].value);
	r->agrees = r->verdict && r->playbook_verdict &&
		strcmp(r->verdict, r->playbook_verdict) == 0;
	return rc;
}

/* ---- a stored report, against the playbook as it is now ---------------- */

struct current {
	bool found;
	char *verdict;
	int confidence;
};

static int
on_current(void *ctx, const struct threat *t)
{
	struct current *c = ctx;

	free(c->verdict);
	c->found = true;
	c->verdict = t->verdict ? strdup(t->verdict) : NULL;
	c->confidence = t->confidence;
	return 1;
}

int
llm_report_current(struct store *st, const char *threat_id, char **json)
{
	struct threat_filter f = { .id = threat_id, .limit = 1 };
	struct current cur = { false, NULL, 0 };
	const char *mv;
	cJSON *o = NULL;
	int rc;

	*json = NULL;
	if ((rc = store_threat_list(st, &f, on_current, &cur)) < 0)
		goto out;
	if (!cur.found) {
		rc = err_set(ERR_NOTFOUND, "no threat %s", threat_id);
		goto out;
	}
	if ((rc = store_model_report_get(st, threat_id, json)) < 0)
		goto out;
	/* The playbook may have run again since the model did (a changed
	 * knowledge base): compare with the verdict that stands now. */
	if (!cur.verdict || !(o = cJSON_Parse(*json)) ||
	    !(mv = jsonu_str(o, "verdict")))
		goto out;
	cJSON_ReplaceItemInObjectCaseSensitive(o, "playbook_verdict",
		cJSON_CreateString(cur.verdict));
	cJSON_ReplaceItemInObjectCaseSensitive(o, "playbook_confidence",
		cJSON_CreateNumber(cur.confidence));
	cJSON_ReplaceItemInObjectCaseSensitive(o, "agrees",
		cJSON_CreateBool(strcmp(mv, cur.verdict) == 0));
	free(*json);
	if (!(*json = cJSON_PrintUnformatted(o)))
		rc = err_set(ERR_NOMEM, "out of memory");
out:
	cJSON_Delete(o);
	free(cur.verdict);
	return rc;
}

/* ---- JSON ------------------------------------------------------------------- */

static cJSON *
claims_json(const struct llm_report *r)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; arr && i < r->nclaims; i++) {
		const struct llm_claim *c = &r->claims[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToArray(arr, o);
		cJSON_AddItemToObject(o, "text", jsonu_str_or_null(c->text));
		cJSON_AddItemToObject(o, "cited", jsonu_strv(c->cited, c->ncited));
		/* Nothing to check is not the same as checked. */
		cJSON_AddBoolToObject(o, "verified", c->checked &&
				      c->nunverified == 0);
		cJSON_AddNumberToObject(o, "checked", (double)c->checked);
		cJSON_AddItemToObject(o, "unverified",
				      jsonu_strv(c->unverified, c->nunverified));
	}
	return arr;
}

static cJSON *
steps_json(const struct llm_report *r)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; arr && i < r->nsteps; i++) {
		const struct llm_step *s = &r->steps[i];
		cJSON *o = report_step_json(&s->base);

		cJSON_AddNumberToObject(o, "tokens_in", (double)s->tokens_in);
		cJSON_AddNumberToObject(o, "tokens_out", (double)s->tokens_out);
		cJSON_AddNumberToObject(o, "latency_ms",
					(double)(long)(s->latency_ms + 0.5));
		cJSON_AddNumberToObject(o, "tool_ms",
					(double)(long)(s->tool_ms + 0.5));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

char *
llm_report_to_json(const struct llm_report *r)
{
	cJSON *o = cJSON_CreateObject(), *ind, *use;
	char *out;

	if (!o)
		return NULL;
	cJSON_AddItemToObject(o, "threat_id", jsonu_str_or_null(r->threat_id));
	cJSON_AddStringToObject(o, "engine", "llm");
	cJSON_AddItemToObject(o, "provider", jsonu_str_or_null(r->provider));
	cJSON_AddItemToObject(o, "model", jsonu_str_or_null(r->model));
	cJSON_AddItemToObject(o, "verdict", jsonu_str_or_null(r->verdict));
	cJSON_AddNumberToObject(o, "confidence", r->confidence);
	cJSON_AddItemToObject(o, "summary", jsonu_str_or_null(r->summary));
	cJSON_AddItemToObject(o, "key_findings", claims_json(r));
	cJSON_AddItemToObject(o, "next_steps", jsonu_strv(r->next_steps,
							 r->nnext));
	ind = cJSON_AddArrayToObject(o, "indicators");
	for (size_t i = 0; ind && i < r->nindicators; i++) {
		cJSON *it = cJSON_CreateObject();

		cJSON_AddItemToArray(ind, it);
		cJSON_AddStringToObject(it, "value", r->indicators[i].value);
		cJSON_AddBoolToObject(it, "verified", r->indicators[i].verified);
	}
	cJSON_AddItemToObject(o, "notes", jsonu_strv(r->notes, r->nnotes));
	cJSON_AddItemToObject(o, "steps", steps_json(r));
	cJSON_AddItemToObject(o, "playbook_verdict",
			      jsonu_str_or_null(r->playbook_verdict));
	cJSON_AddNumberToObject(o, "playbook_confidence",
				r->playbook_confidence);
	cJSON_AddBoolToObject(o, "agrees", r->agrees);
	cJSON_AddItemToObject(o, "injection",
			      report_injection_json(r->injection,
						    r->ninjection));
	use = cJSON_AddObjectToObject(o, "usage");
	cJSON_AddNumberToObject(use, "requests", r->requests);
	cJSON_AddNumberToObject(use, "tokens_in", (double)r->tokens_in);
	cJSON_AddNumberToObject(use, "tokens_out", (double)r->tokens_out);
	cJSON_AddNumberToObject(use, "seconds",
				(double)(long)(r->seconds * 1000) / 1000);
	cJSON_AddItemToObject(o, "stopped", jsonu_str_or_null(r->stopped));
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}
