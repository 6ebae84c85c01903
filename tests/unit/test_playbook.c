/* SPDX-License-Identifier: Apache-2.0 */
/* test_playbook: the playbook format (parsing, defaults, every kind of
 * error with its file, line and field), the condition and template
 * language over crafted rows, and loading a knowledge-base folder. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cond.h"
#include "core/error.h"
#include "core/playbook.h"
#include "kb/kb.h"
#include "tests/unit/tap.h"

#define HOUR_NS (3600LL * 1000000000)
#define DAY_NS (24 * HOUR_NS)

/* The example of kb/default/playbooks/README.md, verbatim. */
static const char readme_example[] =
	"id: defense-evasion-logging          # unique, [a-z0-9-]+\n"
	"family: defense_evasion              # one of the families below\n"
	"title: Logging stopped or altered\n"
	"description: >\n"
	"  Why this matters, in a sentence or two.\n"
	"priority: 50\n"
	"applies:                             # any entry may match\n"
	"  - detection: \"guardduty:Stealth:*CloudTrailLoggingDisabled*\"\n"
	"  - source: pivot\n"
	"    event_source: \"cloudtrail.amazonaws.com\"\n"
	"    actions: [StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors]\n"
	"    kind: api_call\n"
	"window: {before: 24h, after: 6h}\n"
	"prior: {info: -10, low: 0, medium: 10, high: 20, critical: 30}\n"
	"verdict: {malicious: 60, suspicious: 25, benign: -20}\n"
	"steps:\n"
	"  - id: logging-changes\n"
	"    title: Logging changes by the actor around the threat\n"
	"    kind: sql\n"
	"    requires: cloudtrail\n"
	"    gap: \"No CloudTrail events in the window\"\n"
	"    query: |\n"
	"      SELECT id, time, action, resource, error_code FROM events\n"
	"      WHERE actor = :actor AND time >= :win_start AND time < :win_end\n"
	"      ORDER BY time, id\n"
	"    cite: id\n"
	"    max_rows: 200\n"
	"    rules:\n"
	"      - when: \"count(error_code = null) >= 1\"\n"
	"        score: 45\n"
	"        finding: \"{actor} changed logging {count(error_code = null)} "
	"time(s): {values(action)}\"\n"
	"      - when: \"rows = 0\"\n"
	"        score: -5\n"
	"        finding: \"No logging changes by {actor} around the threat\"\n"
	"  - id: new-address\n"
	"    kind: first_seen\n"
	"    field: src_ip\n"
	"    lookback: 30d\n"
	"    rules:\n"
	"      - when: \"first_seen and baseline >= 20\"\n"
	"        score: 15\n"
	"        finding: \"{actor} had not used {values(new)} in the previous "
	"30 days\"\n"
	"  - id: intel\n"
	"    kind: intel\n"
	"    field: src_ip\n"
	"    list: mining-pools\n"
	"    rules: [{when: listed, score: 40, finding: \"{value} is on the "
	"{list} list\"}]\n"
	"  - id: allowlisted\n"
	"    kind: allowlist\n"
	"    rules: [{when: allowlisted, score: -60, finding: \"Allowlisted: "
	"{reason}\"}]\n"
	"  - id: permissions\n"
	"    kind: permissions\n"
	"    rules: [{when: admin, score: 10, finding: \"{actor} is "
	"admin-equivalent\"}]\n"
	"  - id: prior\n"
	"    kind: prior_decisions\n"
	"    rules: [{when: \"prior_benign > 0 and prior_malicious = 0\", score: "
	"-30, finding: \"Analysts judged {prior_benign} similar threat(s) "
	"benign\"}]\n"
	"next_steps:\n"
	"  - \"Re-enable logging on {resource} and review what happened while "
	"it was off\"\n"
	"  - {when: \"verdict = 'malicious'\", text: \"Disable the access keys "
	"of {actor}\"}\n";

static void
test_readme_example(void)
{
	struct playbook *pb = NULL;
	int rc = playbook_parse("example.yaml", readme_example,
				strlen(readme_example), &pb);

	CHECK_INT(rc, 0);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err_msg());
		return;
	}
	CHECK_STR(pb->id, "defense-evasion-logging");
	CHECK_STR(pb->family, "defense_evasion");
	CHECK_STR(pb->description, "Why this matters, in a sentence or two.\n");
	CHECK_STR(pb->file, "example.yaml");
	CHECK_INT(pb->priority, 50);
	CHECK_INT(pb->napplies, 2);
	CHECK_STR(pb->applies[0].detection,
		  "guardduty:Stealth:*CloudTrailLoggingDisabled*");
	CHECK_STR(pb->applies[1].source, "pivot");
	CHECK_STR(pb->applies[1].event_source, "cloudtrail.amazonaws.com");
	CHECK_STR(pb->applies[1].kind, "api_call");
	CHECK_INT(pb->applies[1].nactions, 4);
	CHECK_STR(pb->applies[1].actions[3], "PutEventSelectors");
	CHECK_INT(pb->before_ns, 24 * HOUR_NS);
	CHECK_INT(pb->after_ns, 6 * HOUR_NS);
	CHECK_INT(pb->prior[4], 30);
	CHECK_INT(pb->malicious_at, 60);
	CHECK_INT(pb->benign_at, -20);
	CHECK_INT(pb->nsteps, 6);
	CHECK_INT(pb->steps[0].kind, STEP_SQL);
	CHECK_STR(pb->steps[0].requires, "cloudtrail");
	CHECK_STR(pb->steps[0].gap, "No CloudTrail events in the window");
	CHECK_STR(pb->steps[0].cite, "id");
	CHECK_INT(pb->steps[0].max_rows, 200);
	CHECK_INT(pb->steps[0].nrules, 2);
	CHECK_INT(pb->steps[0].rules[1].score, -5);
	CHECK(pb->steps[0].rules[1].key);
	CHECK(pb->steps[0].rules[0].cond != NULL);
	CHECK(pb->steps[0].rules[0].tmpl != NULL);
	CHECK_INT(pb->steps[0].line, 17);
	CHECK_INT(pb->steps[1].kind, STEP_FIRST_SEEN);
	CHECK_STR(pb->steps[1].field, "src_ip");
	CHECK_INT(pb->steps[1].lookback_ns, 30 * DAY_NS);
	CHECK_STR(pb->steps[1].title, "new-address");  /* defaults to the id */
	CHECK_INT(pb->steps[2].kind, STEP_INTEL);
	CHECK_STR(pb->steps[2].list, "mining-pools");
	CHECK_STR(pb->steps[2].rules[0].when, "listed");
	CHECK_INT(pb->steps[3].kind, STEP_ALLOWLIST);
	CHECK_INT(pb->steps[4].kind, STEP_PERMISSIONS);
	CHECK_INT(pb->steps[5].kind, STEP_PRIOR_DECISIONS);
	CHECK_INT(pb->steps[5].rules[0].score, -30);
	CHECK_INT(pb->nnext, 2);
	CHECK(pb->next[0].when == NULL);
	CHECK_STR(pb->next[1].when, "verdict = 'malicious'");
	CHECK_STR(pb->next[1].text, "Disable the access keys of {actor}");
	CHECK_STR(playbook_kind_name(STEP_FIRST_SEEN), "first_seen");
	playbook_free(pb);
}

/* The ```yaml blocks of the format's README, in order: the playbook and
 * the allowlist. The documentation must stay loadable. */
static char *
readme_block(int which)
{
	char path[1024], *text = NULL, *start, *end;
	size_t cap = 1 << 16, len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kb/default/playbooks/README.md",
		 getenv("top_srcdir") && *getenv("top_srcdir")
		 ? getenv("top_srcdir") : ".");
	if (!(f = fopen(path, "r")) || !(text = malloc(cap)))
		goto fail;
	len = fread(text, 1, cap - 1, f);
	text[len] = '\0';
	start = text;
	for (int i = 0; i <= which; i++) {
		if (!(start = strstr(start, "```yaml\n")))
			goto fail;
		start += 8;
	}
	if (!(end = strstr(start, "```")))
		goto fail;
	*end = '\0';
	memmove(text, start, (size_t)(end - start) + 1);
	fclose(f);
	return text;
fail:
	if (f)
		fclose(f);
	free(text);
	return NULL;
}

static void
test_readme_file(void)
{
	char *pb_text = readme_block(0), *allow_text = readme_block(1);
	struct playbook *pb = NULL;

	CHECK(pb_text != NULL);
	CHECK(allow_text != NULL);
	if (pb_text) {
		CHECK_INT(playbook_parse("README.md", pb_text, strlen(pb_text),
					 &pb), 0);
		CHECK_STR(pb ? pb->id : NULL, "defense-evasion-logging");
		CHECK(pb && !pb->steps[0].rules[1].key);
		playbook_free(pb);
	}
	if (allow_text) {
		char dir[] = "/tmp/verdict-test-readme-XXXXXX", sub[600];
		struct kb_data *kb = NULL;
		unsigned errors = 0;
		FILE *f;

		CHECK(mkdtemp(dir) != NULL);
		snprintf(sub, sizeof(sub), "%s/allowlists", dir);
		mkdir(sub, 0700);
		snprintf(sub, sizeof(sub), "%s/playbooks", dir);
		mkdir(sub, 0700);
		snprintf(sub, sizeof(sub), "%s/allowlists/readme.yaml", dir);
		if ((f = fopen(sub, "w"))) {
			fputs(allow_text, f);
			fclose(f);
		}
		snprintf(sub, sizeof(sub), "%s/playbooks/readme.yaml", dir);
		if ((f = fopen(sub, "w"))) {
			fputs(pb_text ? pb_text : "", f);
			fclose(f);
		}
		CHECK_INT(kb_load_dir(dir, NULL, NULL, &kb, &errors), 0);
		CHECK_INT(errors, 0);
		CHECK_INT(kb ? kb->nallow : 0, 1);
		if (kb && kb->nallow) {
			CHECK_STR(kb->allow[0].id, "ci-deployer");
			CHECK_STR(kb->allow[0].actor, "arn:aws:iam::*:role/ci-*");
			CHECK_STR(kb->allow[0].analyst, "alice@example.com");
		}
		kb_data_free(kb);
		remove(sub);
		snprintf(sub, sizeof(sub), "%s/allowlists/readme.yaml", dir);
		remove(sub);
		snprintf(sub, sizeof(sub), "%s/allowlists", dir);
		rmdir(sub);
		snprintf(sub, sizeof(sub), "%s/playbooks", dir);
		rmdir(sub);
		rmdir(dir);
	}
	free(pb_text);
	free(allow_text);
}

static void
test_defaults(void)
{
	static const char text[] =
		"id: tiny\n"
		"family: generic\n"
		"title: Tiny\n"
		"steps:\n"
		"  - id: q\n"
		"    kind: sql\n"
		"    query: SELECT id FROM events WHERE id = :event_id\n"
		"    rules:\n"
		"      - {when: \"rows > 0\", score: 0, finding: \"seen\"}\n"
		"      - {when: \"rows > 5\", score: 3}\n"
		"  - id: fs\n"
		"    kind: first_seen\n"
		"    field: user_agent\n"
		"    rules: [{when: first_seen, score: 5, key: false}]\n";
	struct playbook *pb = NULL;

	CHECK_INT(playbook_parse("tiny.yaml", text, strlen(text), &pb), 0);
	if (!pb)
		return;
	CHECK_INT(pb->priority, 0);
	CHECK_INT(pb->napplies, 0);  /* no applies: matches every threat */
	CHECK_INT(pb->before_ns, 24 * HOUR_NS);
	CHECK_INT(pb->after_ns, 24 * HOUR_NS);
	CHECK_INT(pb->prior[0], -10);
	CHECK_INT(pb->prior[1], 0);
	CHECK_INT(pb->prior[2], 10);
	CHECK_INT(pb->prior[3], 20);
	CHECK_INT(pb->prior[4], 30);
	CHECK_INT(pb->malicious_at, 60);
	CHECK_INT(pb->suspicious_at, 25);
	CHECK_INT(pb->benign_at, -20);
	CHECK_STR(pb->steps[0].cite, "id");
	CHECK_INT(pb->steps[0].max_rows, 200);
	CHECK(!pb->steps[0].rules[0].key);   /* score 0: not a key finding */
	CHECK(pb->steps[0].rules[1].key);    /* score != 0 */
	CHECK(pb->steps[0].rules[1].finding == NULL);
	CHECK(!pb->steps[1].rules[0].key);   /* key: false wins */
	CHECK_INT(pb->steps[1].lookback_ns, 30 * DAY_NS);
	CHECK(pb->steps[1].cite == NULL);
	playbook_free(pb);
}

/* ---- errors ---------------------------------------------------------------- */

static const char head[] =
	"id: bad\n"          /* 1 */
	"family: generic\n"  /* 2 */
	"title: Bad\n";      /* 3 */

/* Parse head + body; the message must start with want (file, line,
 * field). */
static void
check_error(int line, const char *body, int code, const char *want)
{
	char text[2048];
	struct playbook *pb = NULL;
	int rc;

	snprintf(text, sizeof(text), "%s%s", head, body);
	rc = playbook_parse("bad.yaml", text, strlen(text), &pb);
	tap_checks++;
	if (rc != code || pb != NULL ||
	    strncmp(err_msg(), want, strlen(want)) != 0) {
		tap_failures++;
		fprintf(stderr, "%s:%d: rc %d (want %d), message \"%s\", want "
			"it to start \"%s\"\n", __FILE__, line, rc, code,
			err_msg(), want);
	}
	playbook_free(pb);
}

#define STEP "steps:\n  - id: s\n    kind: sql\n" \
	"    query: SELECT id FROM events\n"
#define RULE "    rules: [{when: \"rows > 0\", score: 1}]\n"

static void
test_errors(void)
{
	/* structure and keys */
	check_error(__LINE__, "colour: red\n" STEP RULE, ERR_FIELD,
		    "bad.yaml:4: field `colour`: unknown key in playbook");
	check_error(__LINE__, "title: Again\n" STEP RULE, ERR_FIELD,
		    "bad.yaml:4: field `title`: given twice");
	check_error(__LINE__, "", ERR_FIELD,
		    "bad.yaml:1: field `steps`: every playbook needs one");
	check_error(__LINE__, "steps: []\n", ERR_FIELD,
		    "bad.yaml:4: field `steps`: is empty");
	check_error(__LINE__, "steps: {a: 1}\n", ERR_FIELD,
		    "bad.yaml:4: field `steps`: expected a list of steps");
	check_error(__LINE__, "priority: high\n" STEP RULE, ERR_FIELD,
		    "bad.yaml:4: field `priority`: expected a whole number");
	check_error(__LINE__, "priority: 5000\n" STEP RULE, ERR_FIELD,
		    "bad.yaml:4: field `priority`: 5000 is outside");
	check_error(__LINE__, "window: {before: 24 hours}\n" STEP RULE,
		    ERR_FIELD, "bad.yaml:4: field `before`: expected a duration");
	check_error(__LINE__, "window: {befor: 24h}\n" STEP RULE, ERR_FIELD,
		    "bad.yaml:4: field `befor`: unknown key in window");
	check_error(__LINE__, "prior: {severe: 3}\n" STEP RULE, ERR_FIELD,
		    "bad.yaml:4: field `severe`: unknown key in prior");
	check_error(__LINE__, "verdict: {malicious: 10, suspicious: 20}\n"
		    STEP RULE, ERR_FIELD, "bad.yaml:4: field `verdict`: "
		    "thresholds must read");
	check_error(__LINE__, "applies:\n  - {}\n" STEP RULE, ERR_FIELD,
		    "bad.yaml:5: field `applies`: an entry needs at least one");
	check_error(__LINE__, "applies:\n  - detection: x\n    severity: high\n"
		    STEP RULE, ERR_FIELD,
		    "bad.yaml:6: field `severity`: unknown key in applies");
	check_error(__LINE__, "applies:\n  - actions: []\n" STEP RULE,
		    ERR_FIELD, "bad.yaml:5: field `actions`: is empty");
	/* steps */
	check_error(__LINE__, "steps:\n  - kind: sql\n    query: x\n" RULE,
		    ERR_FIELD, "bad.yaml:5: field `id`: every step needs one");
	check_error(__LINE__, "steps:\n  - id: s\n    kind: grep\n" RULE,
		    ERR_FIELD, "bad.yaml:6: field `kind`: not a step kind");
	check_error(__LINE__, "steps:\n  - id: s\n    kind: sql\n" RULE,
		    ERR_FIELD, "bad.yaml:5: field `query`: a sql step needs one");
	check_error(__LINE__, STEP "    field: src_ip\n" RULE, ERR_FIELD,
		    "bad.yaml:8: field `field`: not used by a sql step");
	check_error(__LINE__, STEP "    max_rows: 0\n" RULE, ERR_FIELD,
		    "bad.yaml:8: field `max_rows`: 0 is outside");
	check_error(__LINE__, STEP "    gap: missing\n" RULE, ERR_FIELD,
		    "bad.yaml:5: field `gap`: only means something with");
	check_error(__LINE__, STEP, ERR_FIELD,
		    "bad.yaml:5: field `rules`: every step needs at least one");
	check_error(__LINE__, STEP RULE "  - id: s\n    kind: allowlist\n" RULE,
		    ERR_FIELD, "bad.yaml:9: field `id`: \"s\" is used by an "
		    "earlier step");
	check_error(__LINE__, "steps:\n  - id: f\n    kind: first_seen\n"
		    "    field: password\n" RULE, ERR_FIELD,
		    "bad.yaml:7: field `field`: \"password\" is not one of");
	check_error(__LINE__, "steps:\n  - id: f\n    kind: first_seen\n"
		    "    field: src_ip\n    lookback: 3w\n" RULE, ERR_FIELD,
		    "bad.yaml:8: field `lookback`: expected a duration");
	check_error(__LINE__, "steps:\n  - id: i\n    kind: intel\n"
		    "    field: src_ip\n" RULE, ERR_FIELD,
		    "bad.yaml:5: field `list`: a intel step needs one");
	/* rules, conditions and templates */
	check_error(__LINE__, STEP "    rules: [{when: \"rows > 0\"}]\n",
		    ERR_FIELD, "bad.yaml:8: field `score`: every rule needs one");
	check_error(__LINE__, STEP "    rules: [{when: rows, score: 1, weight: 2}]\n",
		    ERR_FIELD, "bad.yaml:8: field `weight`: unknown key in rules");
	check_error(__LINE__, STEP "    rules: [{when: \"rows >\", score: ten}]\n",
		    ERR_FIELD, "bad.yaml:8: field `when`: column 7: unexpected "
		    "end of the condition");
	check_error(__LINE__, STEP "    rules:\n"
		    "      - when: \"count(error_code = ) >= 1\"\n"
		    "        score: 1\n", ERR_FIELD,
		    "bad.yaml:9: field `when`: column 20: expected a value");
	check_error(__LINE__, STEP "    rules: [{when: listd, score: 1}]\n",
		    ERR_FIELD, "bad.yaml:8: field `when`: column 1: unknown "
		    "variable `listd`");
	check_error(__LINE__, STEP "    rules: [{when: \"rows > 0\", score: ten}]\n",
		    ERR_FIELD, "bad.yaml:8: field `score`: expected a whole number");
	check_error(__LINE__, STEP "    rules: [{when: \"rows > 0\", score: 1, "
		    "finding: \"{actor\"}]\n", ERR_FIELD,
		    "bad.yaml:8: field `finding`: column 1: '{' without '}'");
	check_error(__LINE__, STEP "    rules: [{when: \"rows > 0\", score: 1, "
		    "finding: \"{listed}\"}]\n", ERR_FIELD,
		    "bad.yaml:8: field `finding`: column 2: unknown variable "
		    "`listed`");
	check_error(__LINE__, STEP "    rules: [{when: \"rows > 0\", score: 1, "
		    "key: maybe}]\n", ERR_FIELD,
		    "bad.yaml:8: field `key`: expected true or false");
	check_error(__LINE__, STEP RULE "next_steps:\n  - {when: \"verdict = \", "
		    "text: x}\n", ERR_FIELD, "bad.yaml:10: field `when`: column 11");
	check_error(__LINE__, STEP RULE "next_steps:\n  - {when: \"score > 1\"}\n",
		    ERR_FIELD, "bad.yaml:10: field `text`: every next step "
		    "needs one");
	/* whole documents */
	check_error(__LINE__, "steps: [\n", ERR_PARSE, "bad.yaml:5: yaml: ");
	check_error(__LINE__, STEP RULE "---\nid: second\n", ERR_PARSE,
		    "bad.yaml:9: yaml: one playbook per file");
	{
		struct playbook *pb = NULL;

		CHECK_INT(playbook_parse("list.yaml", "- a\n- b\n", 8, &pb),
			  ERR_PARSE);
		CHECK(strstr(err_msg(), "list.yaml:1: a playbook is a mapping"));
		CHECK_INT(playbook_parse("empty.yaml", "", 0, &pb), ERR_PARSE);
		CHECK(strstr(err_msg(), "empty.yaml:1: yaml: the file is empty"));
	}
	{
		static const char fam[] = "id: x\nfamily: chaos\ntitle: X\n"
			STEP RULE;
		static const char ids[] = "id: Not_Valid\nfamily: generic\n"
			"title: X\n" STEP RULE;
		struct playbook *pb = NULL;

		CHECK_INT(playbook_parse("f.yaml", fam, strlen(fam), &pb),
			  ERR_FIELD);
		CHECK(strncmp(err_msg(), "f.yaml:2: field `family`: \"chaos\"",
			      33) == 0);
		CHECK_INT(playbook_parse("f.yaml", ids, strlen(ids), &pb),
			  ERR_FIELD);
		CHECK(strncmp(err_msg(), "f.yaml:1: field `id`: \"Not_Valid\"",
			      33) == 0);
	}
}

/* ---- conditions over crafted rows ------------------------------------------ */

static const char *const cols[] = { "id", "action", "error_code", "bytes",
				    "port" };
static const char *const cells[] = {
	"e1", "StopLogging", NULL, "100", "22",
	"e2", "StopLogging", "AccessDenied", "500", "443",
	"e3", "DeleteTrail", NULL, NULL, "9",
};
static const bool numeric[] = {
	false, false, false, true, false,
	false, false, false, true, false,
	false, false, false, false, false,
};

static struct cond_value
allows_pass_role(void *ctx, const char *action)
{
	(void)ctx;
	return cond_bool(strcmp(action, "iam:PassRole") == 0);
}

static bool
eval_in(const char *text, const struct cond_env *env)
{
	struct cond *c = NULL;
	bool v;

	if (cond_parse(text, &c) < 0) {
		fprintf(stderr, "parse \"%s\": %s\n", text, err_msg());
		return false;
	}
	v = cond_eval(c, env);
	cond_free(c);
	return v;
}

static char *
expand(const char *text, const struct cond_env *env)
{
	struct cond_template *t = NULL;
	struct buf b;

	if (cond_template_parse(text, &t) < 0) {
		fprintf(stderr, "template \"%s\": %s\n", text, err_msg());
		return NULL;
	}
	buf_init(&b);
	cond_template_expand(t, env, &b);
	cond_template_free(t);
	return b.data ? buf_detach(&b) : strdup("");
}

static void
check_parse_error(const char *text, const char *want)
{
	struct cond *c = NULL;

	tap_checks++;
	if (cond_parse(text, &c) != ERR_PARSE || c ||
	    strncmp(err_msg(), want, strlen(want)) != 0) {
		tap_failures++;
		fprintf(stderr, "cond \"%s\": got \"%s\", want \"%s\"\n", text,
			err_msg(), want);
	}
	cond_free(c);
}

static void
test_conditions(void)
{
	struct cond_rows rows = { 5, 3, cols, cells, numeric };
	struct cond_var vars[] = {
		{ "actor", cond_str("arn:aws:iam::111122223333:user/alice") },
		{ "rows", cond_num(3) },
		{ "listed", cond_bool(true) },
		{ "src_ip", cond_str(NULL) },
		{ "severity", cond_str("high") },
	};
	unsigned char marks[3] = { 0 };
	struct cond_env env = { vars, 5, &rows, allows_pass_role, NULL, NULL };
	struct cond_rows none = { 0, 0, NULL, NULL, NULL };
	struct cond_env empty = { vars, 5, &none, NULL, NULL, NULL };
	char *s;

	CHECK(eval_in("count(error_code = null) >= 1", &env));
	CHECK(eval_in("count(error_code = null) = 2", &env));
	CHECK(eval_in("count(error_code != null) = 1", &env));
	CHECK(eval_in("count() = 3 and count(bytes) = 2", &env));
	CHECK(eval_in("count(action ~ 'Stop*') = 2", &env));
	CHECK(!eval_in("count(action ~ 'stop*') > 0", &env));  /* case */
	CHECK(eval_in("any(action = 'DeleteTrail')", &env));
	CHECK(eval_in("not any(action = 'CreateUser')", &env));
	CHECK(eval_in("distinct(action) = 2", &env));
	CHECK(eval_in("sum(bytes) = 600 and max(bytes) = 500", &env));
	CHECK(eval_in("min(bytes) = 100", &env));
	/* a text column still compares as a number against a number */
	CHECK(eval_in("count(port > 100) = 1", &env));
	CHECK(eval_in("count(port = 22) = 1", &env));
	CHECK(eval_in("count(action = 'StopLogging' and error_code = null) = 1",
		      &env));
	CHECK(eval_in("listed and rows = 3", &env));
	CHECK(eval_in("severity = 'high' or severity = 'critical'", &env));
	CHECK(eval_in("src_ip = null", &env));
	CHECK(!eval_in("src_ip = '10.0.0.1'", &env));
	CHECK(eval_in("allows('iam:PassRole')", &env));
	CHECK(!eval_in("allows('ec2:RunInstances')", &env));
	CHECK(eval_in("(rows >= 3) and not (rows > 3)", &env));
	CHECK(eval_in("rows = -1 or rows = 3", &env));
	/* Something missing makes a condition false, even under not. */
	CHECK(!eval_in("nosuch = 1", &env));
	CHECK(!eval_in("not (nosuch = 1)", &env));
	CHECK(!eval_in("nosuch", &env));
	CHECK(!eval_in("not nosuch", &env));
	CHECK(eval_in("nosuch = 1 or rows = 3", &env));
	CHECK(!eval_in("nosuch = 1 and rows = 3", &env));
	CHECK(!eval_in("count(nocol = 1) = 0", &env));
	CHECK(!eval_in("sum(nocol) = 0", &env));
	CHECK(!eval_in("allows('iam:PassRole')", &empty));
	/* No rows: the row functions are empty, not missing. */
	CHECK(eval_in("count(error_code = null) = 0", &empty));
	CHECK(eval_in("distinct(action) = 0 and sum(bytes) = 0", &empty));
	CHECK(!eval_in("max(bytes) >= 0", &empty));
	/* Row predicates mark the rows they matched, for citing. */
	env.matched = marks;
	CHECK(eval_in("count(error_code = null) >= 1", &env));
	CHECK(marks[0] == 1 && marks[1] == 0 && marks[2] == 1);
	env.matched = NULL;

	s = expand("{actor} changed logging {count(error_code = null)} "
		   "time(s): {values(action)}", &env);
	CHECK_STR(s, "arn:aws:iam::111122223333:user/alice changed logging 2 "
		  "time(s): StopLogging, DeleteTrail");
	free(s);
	s = expand("{{literal}} {src_ip} {nosuch} {max(bytes)} {listed}", &env);
	CHECK_STR(s, "{literal} unknown unknown 500 true");
	free(s);
	s = expand("{values(action)}", &empty);
	CHECK_STR(s, "none");
	free(s);
	{
		const char *const c1[] = { "v" };
		const char *const many[] = { "a", "b", "a", "c", "d", "e", "f",
					     "g" };
		struct cond_rows r = { 1, 8, c1, many, NULL };
		struct cond_env e = { NULL, 0, &r, NULL, NULL, NULL };

		s = expand("{values(v)}: {distinct(v)}", &e);
		CHECK_STR(s, "a, b, c, d, e and 2 more: 7");
		free(s);
	}

	check_parse_error("rows = = 1", "column 8: expected a value");
	check_parse_error("count(", "column 7: unexpected end");
	check_parse_error("frobnicate(1)", "column 1: unknown function "
			  "`frobnicate`");
	check_parse_error("rows = 1 = 2", "column 10: comparisons do not chain");
	check_parse_error("rows = 1)", "column 9: unbalanced ')'");
	check_parse_error("severity = \"high\"", "column 12: strings take "
			  "single quotes");
	check_parse_error("severity = 'high", "column 12: unterminated string");
	check_parse_error("count(count(x = 1) = 1)", "column 7: a row function "
			  "inside a row function");
	check_parse_error("distinct('x')", "column 10: distinct() takes a "
			  "column name");
	check_parse_error("allows(x)", "column 8: allows() takes a 'quoted' "
			  "string");
	check_parse_error("any(a = 1, b = 2)", "column 10: functions take one "
			  "argument");
	check_parse_error("", "column 1: empty condition");
	check_parse_error("((((((((((((((((((((((((((((((((((rows))))))))))))))))"
			  "))))))))))))))))))", "column 33: nested too deeply");

	CHECK(cond_glob("guardduty:Stealth:*CloudTrailLoggingDisabled*",
			"guardduty:Stealth:IAMUser/CloudTrailLoggingDisabled"));
	CHECK(cond_glob("a?c*", "abcdef"));
	CHECK(!cond_glob("a?c", "ac"));
	CHECK(cond_glob("*", ""));
	CHECK(!cond_glob("*x*y*z", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxyyyyy"));
}

/* ---- a knowledge-base folder ------------------------------------------------- */

static void
write_file(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

struct diags {
	int n;
	char msgs[8][512];
};

static void
on_diag(void *ctx, const char *msg)
{
	struct diags *d = ctx;

	if (d->n < 8)
		snprintf(d->msgs[d->n], sizeof(d->msgs[0]), "%s", msg);
	d->n++;
}

static bool
has_diag(const struct diags *d, const char *needle)
{
	for (int i = 0; i < d->n && i < 8; i++)
		if (strstr(d->msgs[i], needle))
			return true;
	return false;
}

static void
test_kb_dir(void)
{
	char dir[] = "/tmp/verdict-test-kb-XXXXXX";
	char sub[600], version[64] = "";
	struct kb_data *kb = NULL;
	struct diags d = { 0 };
	unsigned errors = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/playbooks", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/intel", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/allowlists", dir);
	mkdir(sub, 0700);
	write_file(dir, "playbooks/README.md", "not a playbook\n");
	write_file(dir, "playbooks/good.yaml", "id: good\nfamily: generic\n"
		   "title: Good\n" STEP RULE);
	write_file(dir, "playbooks/twin.yaml", "id: good\nfamily: generic\n"
		   "title: Twin\n" STEP RULE);
	write_file(dir, "playbooks/broken.yaml", "id: broken\nfamily: generic\n"
		   "title: Broken\ncolour: red\n" STEP RULE);
	write_file(dir, "intel/tor-exit.txt",
		   "# a comment\n198.51.100.7\n  2001:DB8::1  # inline\n"
		   "203.0.113.0/24\nPool.Example.ORG\nnot an entry\n\n");
	write_file(dir, "allowlists/ci.yaml",
		   "- reason: CI deploys from the runners\n"
		   "  actor: \"arn:aws:iam::*:role/ci-*\"\n"
		   "  cidr: 203.0.113.0/24\n"
		   "  expires: 2027-01-31\n"
		   "- id: unscoped\n  reason: no scope at all\n"
		   "- id: bad-date\n  reason: x\n  actor: y\n  expires: soon\n");
	CHECK_INT(kb_load_dir(dir, on_diag, &d, &kb, &errors), 0);
	CHECK_INT(errors, 5);
	CHECK_INT(d.n, 5);
	CHECK(has_diag(&d, "/playbooks/broken.yaml:4: field `colour`: unknown"));
	CHECK(has_diag(&d, "/playbooks/twin.yaml:1: field `id`: \"good\" is "
		       "already the id of"));
	CHECK(has_diag(&d, "/intel/tor-exit.txt:6: field `entry`: \"not an "
		       "entry\" is not an address"));
	CHECK(has_diag(&d, "/allowlists/ci.yaml:5: field `detection`: an entry "
		       "needs a scope"));
	CHECK(has_diag(&d, "/allowlists/ci.yaml:10: field `expires`: \"soon\" "
		       "is not a date"));
	if (!kb)
		return;
	CHECK_INT(kb->nplaybooks, 1);
	CHECK_STR(kb->playbooks[0]->id, "good");
	CHECK_INT(kb->nintel, 1);
	CHECK_STR(kb->intel[0].name, "tor-exit");
	CHECK_INT(kb->intel[0].nentries, 4);
	if (kb->intel[0].nentries == 4) {
		CHECK_STR(kb->intel[0].entries[0], "198.51.100.7");
		CHECK_STR(kb->intel[0].entries[1], "2001:db8::1");
		CHECK_STR(kb->intel[0].entries[2], "203.0.113.0/24");
		CHECK_STR(kb->intel[0].entries[3], "pool.example.org");
	}
	CHECK_INT(kb->nallow, 1);
	if (kb->nallow == 1) {
		CHECK_STR(kb->allow[0].id, "ci#1");
		CHECK_STR(kb->allow[0].cidr, "203.0.113.0/24");
		CHECK_INT(kb->allow[0].expires_ns, 1801353600LL * 1000000000);
	}
	CHECK(strncmp(kb->version, "dir:", 4) == 0 && strlen(kb->version) == 16);
	snprintf(version, sizeof(version), "%s", kb->version);
	kb_data_free(kb);
	kb = NULL;
	/* Same contents, same version; any change, a new one. */
	CHECK_INT(kb_load_dir(dir, NULL, NULL, &kb, &errors), 0);
	CHECK_STR(kb ? kb->version : NULL, version);
	kb_data_free(kb);
	kb = NULL;
	write_file(dir, "intel/tor-exit.txt", "198.51.100.8\n");
	CHECK_INT(kb_load_dir(dir, NULL, NULL, &kb, &errors), 0);
	CHECK(kb && strcmp(kb->version, version) != 0);
	kb_data_free(kb);

	CHECK(investigate_intel_match("203.0.113.0/24", "203.0.113.77"));
	CHECK(!investigate_intel_match("203.0.113.0/24", "203.0.114.1"));
	CHECK(investigate_intel_match("2001:db8::/32", "2001:DB8:1::5"));
	CHECK(investigate_intel_match("pool.example.org", "xmr.POOL.example.org"));
	CHECK(!investigate_intel_match("pool.example.org", "evilpool.example.org"));
	CHECK(investigate_intel_match("198.51.100.7", "198.51.100.7"));
	CHECK(!investigate_cidr_valid("10.0.0.0/33"));

	/* Clean up the folder. */
	{
		static const char *const files[] = {
			"playbooks/README.md", "playbooks/good.yaml",
			"playbooks/twin.yaml", "playbooks/broken.yaml",
			"intel/tor-exit.txt", "allowlists/ci.yaml",
			"playbooks", "intel", "allowlists", "",
		};

		for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
			snprintf(sub, sizeof(sub), "%s/%s", dir, files[i]);
			remove(sub);
		}
		rmdir(dir);
	}
}

int
main(void)
{
	test_readme_example();
	test_readme_file();
	test_defaults();
	test_errors();
	test_conditions();
	test_kb_dir();
	return tap_done();
}
