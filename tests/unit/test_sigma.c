/* SPDX-License-Identifier: Apache-2.0 */
/* test_sigma: the Sigma engine: every shipped rule against a record that
 * must match and one that must not (tests/data/sigma-cases), each rule's
 * SQL form against the same records, the specification's semantics case
 * by case, and rules that cannot run reported with their reason. */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/sigma.h"
#include "tests/unit/tap.h"

static const char *top;

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[65536];
	size_t n;

	if (!f)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (!b.data)
		buf_adds(&b, "");
	return buf_detach(&b);
}

/* Record index of a data file: an element of a JSON array (or of
 * {"Records":[...]}), the one object of a file, or a line of JSON lines.
 * Caller deletes. */
static cJSON *
record_at(const char *rel, int index)
{
	char path[1024], *text, *p;
	const char *end;
	cJSON *doc, *out = NULL;

	snprintf(path, sizeof(path), "%s/tests/data/%s", top, rel);
	if (!(text = slurp(path)))
		return NULL;
	doc = cJSON_ParseWithOpts(text, &end, 1);
	if (doc) {
		cJSON *arr = cJSON_IsArray(doc) ? doc :
			     cJSON_GetObjectItem(doc, "Records");

		if (arr)
			out = cJSON_Duplicate(cJSON_GetArrayItem(arr, index), 1);
		else if (index == 0)
			out = cJSON_Duplicate(doc, 1);
		cJSON_Delete(doc);
	} else {
		p = text;
		for (int i = 0; p && i < index; i++)
			if ((p = strchr(p, '\n')))
				p++;
		if (p) {
			char *nl = strchr(p, '\n');

			if (nl)
				*nl = '\0';
			out = cJSON_Parse(p);
		}
	}
	free(text);
	return out;
}

static const struct sigma_rule *
rule_by_file(const struct sigma_ruleset *rs, const char *base)
{
	for (size_t i = 0; i < rs->nrules; i++) {
		const char *slash = strrchr(rs->rules[i]->file, '/');
		const char *name = slash ? slash + 1 : rs->rules[i]->file;
		size_t n = strlen(base);

		if (!strncmp(name, base, n) && !strcmp(name + n, ".yml"))
			return rs->rules[i];
	}
	return NULL;
}

/* ---- SQLite: the SQL form of a rule over the same record ---------------- */

/* The sqlite3 shell has REGEXP built in; the library does not. */
static void
sql_regexp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *pat = (const char *)sqlite3_value_text(argv[0]);
	const char *s = (const char *)sqlite3_value_text(argv[1]);
	regex_t re;
	int flags = REG_EXTENDED | REG_NOSUB;

	(void)argc;
	if (!pat || !s) {
		sqlite3_result_null(ctx);
		return;
	}
	if (sqlite3_user_data(ctx))
		flags |= REG_ICASE;
	if (regcomp(&re, pat, flags) != 0) {
		sqlite3_result_error(ctx, "bad regexp", -1);
		return;
	}
	sqlite3_result_int(ctx, regexec(&re, s, 0, NULL, 0) == 0);
	regfree(&re);
}

static sqlite3 *
sql_open(void)
{
	sqlite3 *db;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return NULL;
	sqlite3_create_function(db, "regexp", 2, SQLITE_UTF8, NULL, sql_regexp,
				NULL, NULL);
	sqlite3_create_function(db, "regexpi", 2, SQLITE_UTF8, (void *)1,
				sql_regexp, NULL, NULL);
	sqlite3_exec(db, "CREATE TABLE events (raw TEXT)", NULL, NULL, NULL);
	return db;
}

/* 1 or 0 from the rule's SQL over raw, -1 when it did not run. */
static int
sql_match(sqlite3 *db, const struct sigma_ruleset *rs,
	  const struct sigma_rule *r, const char *raw)
{
	struct buf q;
	sqlite3_stmt *st = NULL;
	int got = -1;

	buf_init(&q);
	buf_adds(&q, "SELECT ");
	if (sigma_rule_sql(rs, r, &q) < 0) {
		buf_dispose(&q);
		return -1;
	}
	buf_adds(&q, " FROM events");
	sqlite3_exec(db, "DELETE FROM events", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?1)", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, raw, -1, SQLITE_STATIC);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, q.data, -1, &st, NULL) != SQLITE_OK)
		fprintf(stderr, "sql: %s\n", sqlite3_errmsg(db));
	else if (sqlite3_step(st) == SQLITE_ROW)
		got = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	buf_dispose(&q);
	return got;
}

/* ---- every shipped rule ------------------------------------------------- */

struct hit_seen {
	const struct sigma_rule *want;
	bool seen;
};

static int
on_hit_seen(void *ctx, const struct sigma_rule *r)
{
	struct hit_seen *hs = ctx;

	if (r == hs->want)
		hs->seen = true;
	return 0;
}

static void
test_shipped_rules(void)
{
	char path[1024], *text, *line, *save = NULL;
	struct sigma_ruleset *rs;
	struct sigma_matcher *m;
	const struct sigma_rule *r;
	sqlite3 *db = sql_open();
	int *pos, *neg, ncases = 0;

	snprintf(path, sizeof(path), "%s/kb/default/rules/sigma", top);
	CHECK(sigma_ruleset_new(&rs) == 0);
	CHECK(sigma_ruleset_load(rs, path) == 0);
	CHECK_INT(rs->nrules, 73);
	CHECK_INT(rs->nskips, 0);
	/* The one rule that tests a field CloudTrail records lack. */
	CHECK_INT(rs->nnotes, 1);
	CHECK(rs->nnotes == 1 && strstr(rs->notes[0], "aws_delete_saml_provider.yml") &&
	      strstr(rs->notes[0], "`status`"));
	CHECK(sigma_matcher_new(rs, &m) == 0);

	/* Metadata of one rule, as its file has it. */
	r = rule_by_file(rs, "aws_cloudtrail_vpc_flow_logs_deleted");
	CHECK(r != NULL);
	if (r) {
		CHECK_STR(r->title, "AWS VPC Flow Logs Deleted");
		CHECK_STR(r->id, "e386b9b5-af12-450e-afff-761730fb8a98");
		CHECK_STR(r->level, "high");
		CHECK_STR(r->severity, "high");
		CHECK_STR(r->product, "aws");
		CHECK_STR(r->service, "cloudtrail");
		CHECK(r->source == SIGMA_CLOUDTRAIL);
		CHECK(r->author && strstr(r->author, "Ivan Saakov"));
		CHECK(r->tactics && !strcmp(r->tactics, "[\"attack.stealth\"]"));
	}
	r = rule_by_file(rs, "kubernetes_audit_exec_into_container");
	CHECK(r && r->source == SIGMA_K8S_AUDIT && r->ntags >= 1);

	pos = calloc(rs->nrules, sizeof(int));
	neg = calloc(rs->nrules, sizeof(int));
	snprintf(path, sizeof(path), "%s/tests/data/sigma-cases/cases.jsonl", top);
	text = slurp(path);
	CHECK(text != NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		cJSON *c = cJSON_Parse(line), *ev;
		const char *rule = cJSON_GetStringValue(cJSON_GetObjectItem(c, "rule"));
		const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(c, "file"));
		const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(c, "why"));
		bool expect = cJSON_IsTrue(cJSON_GetObjectItem(c, "expect"));
		char *raw;
		size_t k;
		int sql;

		ncases++;
		r = rule ? rule_by_file(rs, rule) : NULL;
		ev = file ? record_at(file, cJSON_GetObjectItem(c, "index")->valueint) :
		     cJSON_Duplicate(cJSON_GetObjectItem(c, "event"), 1);
		CHECK(r != NULL && ev != NULL);
		if (!r || !ev) {
			fprintf(stderr, "case %d: rule %s or its record missing\n",
				ncases, rule ? rule : "?");
			cJSON_Delete(ev);
			cJSON_Delete(c);
			continue;
		}
		for (k = 0; rs->rules[k] != r; k++)
			;
		if (sigma_rule_match(m, r, ev) != expect) {
			tap_failures++;
			fprintf(stderr, "case %d: %s should %smatch: %s\n", ncases,
				rule, expect ? "" : "not ", why);
		}
		tap_checks++;
		/* The same through all rules of the source at once, where
		 * the rule may be skipped by its gate. */
		{
			struct hit_seen hs = { .want = r };

			CHECK(sigma_match(m, r->source, ev, on_hit_seen, &hs) == 0);
			if (hs.seen != expect) {
				tap_failures++;
				fprintf(stderr, "case %d: %s: with all rules, %s\n",
					ncases, rule, hs.seen ? "hit" : "missed");
			}
			tap_checks++;
		}
		raw = cJSON_PrintUnformatted(ev);
		sql = sql_match(db, rs, r, raw);
		if (sql != (int)expect) {
			tap_failures++;
			fprintf(stderr, "case %d: %s: SQL form gives %d, want %d\n",
				ncases, rule, sql, expect);
		}
		tap_checks++;
		(expect ? pos : neg)[k]++;
		free(raw);
		cJSON_Delete(ev);
		cJSON_Delete(c);
	}
	CHECK_INT(ncases, 146);
	for (size_t k = 0; k < rs->nrules; k++) {
		if (pos[k] && neg[k])
			continue;
		tap_failures++;
		fprintf(stderr, "rule %s lacks a %s case\n", rs->rules[k]->file,
			pos[k] ? "must-not-match" : "must-match");
	}
	free(pos);
	free(neg);
	free(text);
	sigma_matcher_free(m);
	sigma_ruleset_free(rs);
	sqlite3_close(db);
}

/* ---- semantics, one rule at a time -------------------------------------- */

static struct sigma_ruleset *sem_rs;
static struct sigma_matcher *sem_m;
static sqlite3 *sem_db;

/* A rule on aws/cloudtrail with the given detection block (indented four
 * spaces under `detection:`); NULL if it did not load. */
static const struct sigma_rule *
rule(const char *detection)
{
	struct buf y;
	int rc;

	buf_init(&y);
	buf_printf(&y, "title: semantics\nlogsource:\n    product: aws\n"
		   "    service: cloudtrail\ndetection:\n%s", detection);
	rc = sigma_ruleset_add(sem_rs, "semantics.yml", y.data, y.len);
	buf_dispose(&y);
	return rc == 0 ? sem_rs->rules[sem_rs->nrules - 1] : NULL;
}

/* Whether the rule matches the JSON record; the SQL form must agree. */
static int
on(const struct sigma_rule *r, const char *json)
{
	cJSON *rec = cJSON_Parse(json);
	int got, sql;

	if (!r || !rec) {
		cJSON_Delete(rec);
		return -1;
	}
	got = sigma_rule_match(sem_m, r, rec);
	sql = sql_match(sem_db, sem_rs, r, json);
	cJSON_Delete(rec);
	if (sql != got) {
		fprintf(stderr, "SQL form disagrees (%d, engine %d) on %s\n", sql,
			got, json);
		return -2;
	}
	return got;
}

static bool
engine_match(const struct sigma_rule *r, const char *json)
{
	cJSON *rec = cJSON_Parse(json);
	bool got = rec && sigma_rule_match(sem_m, r, rec);

	cJSON_Delete(rec);
	return got;
}

#define YES(r, json) CHECK_INT(on((r), (json)), 1)
#define NO(r, json) CHECK_INT(on((r), (json)), 0)

static void
test_maps_lists(void)
{
	const struct sigma_rule *r;

	/* A map is AND; a list of values is OR. */
	r = rule("    sel:\n        eventSource: s3.amazonaws.com\n"
		 "        eventName:\n            - GetObject\n            - PutObject\n"
		 "    condition: sel\n");
	YES(r, "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"PutObject\"}");
	NO(r, "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListObjects\"}");
	NO(r, "{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"GetObject\"}");
	NO(r, "{\"eventName\":\"GetObject\"}");
	/* A list of maps is OR. */
	r = rule("    sel:\n        - eventName: A\n          errorCode: X\n"
		 "        - eventName: B\n    condition: sel\n");
	YES(r, "{\"eventName\":\"A\",\"errorCode\":\"X\"}");
	YES(r, "{\"eventName\":\"B\"}");
	NO(r, "{\"eventName\":\"A\"}");
	/* Dotted paths, keys that hold dots, arrays crossed on the way. */
	r = rule("    sel:\n        userIdentity.sessionContext.sessionIssuer.type: Role\n"
		 "    condition: sel\n");
	YES(r, "{\"userIdentity\":{\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\"}}}}");
	NO(r, "{\"userIdentity\":{\"type\":\"Role\"}}");
	r = rule("    sel:\n        annotations.authorization.k8s.io/decision: allow\n"
		 "    condition: sel\n");
	/* (engine only: the SQL form splits keys at every dot) */
	CHECK(r && engine_match(r, "{\"annotations\":{\"authorization.k8s.io/decision\":\"allow\"}}"));
	CHECK(r && !engine_match(r, "{\"annotations\":{\"authorization.k8s.io/decision\":\"deny\"}}"));
	r = rule("    sel:\n        resources.ARN|endswith: ':key/1'\n    condition: sel\n");
	YES(r, "{\"resources\":[{\"ARN\":\"arn:aws:kms:x:1:key/0\"},"
	       "{\"ARN\":\"arn:aws:kms:x:1:key/1\"}]}");
	NO(r, "{\"resources\":[{\"ARN\":\"arn:aws:kms:x:1:key/0\"}]}");
	/* Numbers and booleans compare by their text. */
	r = rule("    sel:\n        code: 403\n        ok: 'true'\n    condition: sel\n");
	YES(r, "{\"code\":403,\"ok\":true}");
	YES(r, "{\"code\":\"403\",\"ok\":\"TRUE\"}");
	NO(r, "{\"code\":403,\"ok\":false}");
	NO(r, "{\"code\":4030,\"ok\":true}");
}

static void
test_strings(void)
{
	const struct sigma_rule *r;

	/* Plain and wildcard values ignore ASCII case; `cased` does not. */
	r = rule("    sel:\n        eventName: DeleteTrail\n    condition: sel\n");
	YES(r, "{\"eventName\":\"deletetrail\"}");
	YES(r, "{\"eventName\":\"DELETETRAIL\"}");
	NO(r, "{\"eventName\":\"DeleteTrails\"}");
	r = rule("    sel:\n        eventName|cased: DeleteTrail\n    condition: sel\n");
	YES(r, "{\"eventName\":\"DeleteTrail\"}");
	NO(r, "{\"eventName\":\"deletetrail\"}");
	/* `*` any run, `?` one character (a whole UTF-8 character). */
	r = rule("    sel:\n        userAgent: 'aws-cli/2.*Linux*'\n    condition: sel\n");
	YES(r, "{\"userAgent\":\"AWS-CLI/2.15.0 Python/3.11 linux/6.1\"}");
	NO(r, "{\"userAgent\":\"aws-cli/1.18 Linux\"}");
	r = rule("    sel:\n        userName: 'j?n'\n    condition: sel\n");
	YES(r, "{\"userName\":\"jan\"}");
	YES(r, "{\"userName\":\"j\xC3\xB6n\"}");
	NO(r, "{\"userName\":\"jn\"}");
	NO(r, "{\"userName\":\"joan\"}");
	/* contains, startswith, endswith. */
	r = rule("    sel:\n        userAgent|contains: boto3\n    condition: sel\n");
	YES(r, "{\"userAgent\":\"Boto3/1.34 md/Botocore\"}");
	NO(r, "{\"userAgent\":\"aws-cli\"}");
	r = rule("    sel:\n        eventName|startswith: Put\n    condition: sel\n");
	YES(r, "{\"eventName\":\"putBucketPolicy\"}");
	NO(r, "{\"eventName\":\"GetBucketPolicy\"}");
	r = rule("    sel:\n        eventName|endswith: Policy\n    condition: sel\n");
	YES(r, "{\"eventName\":\"PutBucketPOLICY\"}");
	NO(r, "{\"eventName\":\"PolicyList\"}");
	/* Empty string: only an empty value, never an absent or null one. */
	r = rule("    sel:\n        errorCode: ''\n    condition: sel\n");
	YES(r, "{\"errorCode\":\"\"}");
	NO(r, "{}");
	NO(r, "{\"errorCode\":null}");
	NO(r, "{\"errorCode\":\"x\"}");
	r = rule("    sel:\n        errorCode|contains: ''\n    condition: sel\n");
	YES(r, "{\"errorCode\":\"AccessDenied\"}");
	NO(r, "{}");
	/* null: absent or JSON null, not "". */
	r = rule("    sel:\n        errorCode: null\n    condition: sel\n");
	YES(r, "{}");
	YES(r, "{\"errorCode\":null}");
	NO(r, "{\"errorCode\":\"\"}");
	NO(r, "{\"errorCode\":\"AccessDenied\"}");
	/* '*' alone: any value that is there. */
	r = rule("    sel:\n        errorCode: '*'\n    condition: sel\n");
	YES(r, "{\"errorCode\":\"\"}");
	YES(r, "{\"errorCode\":7}");
	NO(r, "{}");
	NO(r, "{\"errorCode\":null}");
}

static void
test_escapes(void)
{
	const struct sigma_rule *r;

	/* \* is a plain star. */
	r = rule("    sel:\n        f: 'a\\*b'\n    condition: sel\n");
	YES(r, "{\"f\":\"a*b\"}");
	NO(r, "{\"f\":\"axxb\"}");
	/* \? is a plain question mark. */
	r = rule("    sel:\n        f: 'why\\?'\n    condition: sel\n");
	YES(r, "{\"f\":\"why?\"}");
	NO(r, "{\"f\":\"whyz\"}");
	/* A backslash before anything else is itself. */
	r = rule("    sel:\n        f: 'C:\\Windows\\system32'\n    condition: sel\n");
	YES(r, "{\"f\":\"c:\\\\windows\\\\System32\"}");
	/* \\* is a backslash, then a wildcard. */
	r = rule("    sel:\n        f: 'C:\\Windows\\\\*'\n    condition: sel\n");
	YES(r, "{\"f\":\"C:\\\\Windows\\\\notepad.exe\"}");
	NO(r, "{\"f\":\"C:\\\\Windowsnotepad.exe\"}");
	/* \\\* is a backslash, then a plain star. */
	r = rule("    sel:\n        f: 'a\\\\\\*'\n    condition: sel\n");
	YES(r, "{\"f\":\"a\\\\*\"}");
	NO(r, "{\"f\":\"a\\\\b\"}");
	/* \\\\ is two backslashes; so is \\\ before a plain character. */
	r = rule("    sel:\n        f: 'x\\\\\\\\y'\n    condition: sel\n");
	YES(r, "{\"f\":\"x\\\\\\\\y\"}");
	NO(r, "{\"f\":\"x\\\\y\"}");
	r = rule("    sel:\n        f: 'x\\\\\\y'\n    condition: sel\n");
	YES(r, "{\"f\":\"x\\\\\\\\y\"}");
	/* Escapes survive contains. */
	r = rule("    sel:\n        f|contains: '100\\%\\*'\n    condition: sel\n");
	YES(r, "{\"f\":\"about 100\\\\%* done\"}");
	NO(r, "{\"f\":\"about 100\\\\% done\"}");
}

static void
test_modifiers(void)
{
	const struct sigma_rule *r;

	/* all: every value, not any. */
	r = rule("    sel:\n        cmd|contains|all:\n            - curl\n"
		 "            - '| sh'\n    condition: sel\n");
	YES(r, "{\"cmd\":\"curl -s http://x | sh\"}");
	NO(r, "{\"cmd\":\"curl -s http://x\"}");
	/* all over an array field: each value may come from another element. */
	YES(r, "{\"cmd\":[\"curl -s http://x\",\"cat | sh\"]}");
	/* re: case-sensitive, unanchored; i, and PCRE classes. */
	r = rule("    sel:\n        arn|re: ':assumed-role/aws:.+'\n    condition: sel\n");
	YES(r, "{\"arn\":\"arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1\"}");
	NO(r, "{\"arn\":\"arn:aws:sts::1:ASSUMED-ROLE/aws:ec2-instance/i-1\"}");
	r = rule("    sel:\n        arn|re|i: ':assumed-role/AWS:.+'\n    condition: sel\n");
	YES(r, "{\"arn\":\"arn:aws:sts::1:ASSUMED-ROLE/aws:x\"}");
	/* (engine only: this test's REGEXP for SQLite is POSIX, not the
	 * sqlite3 shell's, and has no \d) */
	r = rule("    sel:\n        id|re: '^AKIA[A-Z\\d]{16}$'\n    condition: sel\n");
	CHECK(r && engine_match(r, "{\"id\":\"AKIAEXAMPLE000000001\"}"));
	CHECK(r && !engine_match(r, "{\"id\":\"ASIAEXAMPLE000000001\"}"));
	CHECK(r && !engine_match(r, "{\"id\":\"AKIAEXAMPLE00000000\"}"));
	CHECK(r && !engine_match(r, "{\"id\":\"AKIAEXAMPLE0000000011\"}"));
	r = rule("    sel:\n        f|re: '^\\d+\\.\\d+$'\n    condition: sel\n");
	CHECK(r && engine_match(r, "{\"f\":\"10.25\"}"));
	CHECK(r && !engine_match(r, "{\"f\":\"10x25\"}"));
	/* A final newline may follow `$`, as in PCRE. */
	CHECK(r && engine_match(r, "{\"f\":\"10.25\\n\"}"));
	/* What regexec needs a text to hold before it runs: a character a
	 * quantifier may skip, or an alternative, is not required. */
	r = rule("    sel:\n        f|re: 'colou?r|hue'\n    condition: sel\n");
	CHECK(r && engine_match(r, "{\"f\":\"color\"}"));
	CHECK(r && engine_match(r, "{\"f\":\"a hue\"}"));
	r = rule("    sel:\n        f|re: 'x(ab|cd)*yz{0,2}w'\n    condition: sel\n");
	CHECK(r && engine_match(r, "{\"f\":\"xyw\"}"));
	CHECK(r && engine_match(r, "{\"f\":\"xcdabyzzw\"}"));
	CHECK(r && !engine_match(r, "{\"f\":\"xyzzzw\"}"));
	r = rule("    sel:\n        f|re: '(?i)EVIL\\.EXE'\n    condition: sel\n");
	CHECK(r && engine_match(r, "{\"f\":\"c:/evil.exe\"}"));
	CHECK(r && !engine_match(r, "{\"f\":\"c:/evilxexe\"}"));
	r = rule("    sel:\n        f|re: '(?:ab)+?c[^\\]x]'\n    condition: sel\n");
	CHECK(r && engine_match(r, "{\"f\":\"ababcy\"}"));
	CHECK(r && !engine_match(r, "{\"f\":\"ababc]\"}"));
	/* PCRE's dot stops at a newline (SQLite's REGEXP does not: engine
	 * only), `s` lets it through. */
	r = rule("    sel:\n        f|re: 'a.b'\n    condition: sel\n");
	YES(r, "{\"f\":\"axb\"}");
	CHECK(r && !engine_match(r, "{\"f\":\"a\\nb\"}"));
	r = rule("    sel:\n        f|re|s: 'a.b'\n    condition: sel\n");
	CHECK(r && engine_match(r, "{\"f\":\"a\\nb\"}"));
	/* cidr, IPv4 and IPv6. */
	r = rule("    sel:\n        sourceIPAddress|cidr:\n            - 10.0.0.0/8\n"
		 "            - 192.168.1.0/24\n    condition: sel\n");
	YES(r, "{\"sourceIPAddress\":\"10.20.30.40\"}");
	YES(r, "{\"sourceIPAddress\":\"192.168.1.9\"}");
	NO(r, "{\"sourceIPAddress\":\"192.168.2.9\"}");
	NO(r, "{\"sourceIPAddress\":\"ec2.amazonaws.com\"}");
	r = rule("    sel:\n        ip|cidr: '2001:db8::/32'\n    condition: sel\n");
	CHECK(r != NULL);
	if (r) {
		cJSON *a = cJSON_Parse("{\"ip\":\"2001:db8:1::5\"}");
		cJSON *b = cJSON_Parse("{\"ip\":\"2001:db9::5\"}");

		CHECK(sigma_rule_match(sem_m, r, a));
		CHECK(!sigma_rule_match(sem_m, r, b));
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	r = rule("    sel:\n        ip|cidr: 172.16.0.0/12\n    condition: sel\n");
	CHECK(r != NULL);
	if (r) {
		cJSON *a = cJSON_Parse("{\"ip\":\"172.31.255.1\"}");
		cJSON *b = cJSON_Parse("{\"ip\":\"172.32.0.1\"}");

		CHECK(sigma_rule_match(sem_m, r, a));
		CHECK(!sigma_rule_match(sem_m, r, b));
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	/* exists. */
	r = rule("    sel:\n        errorCode|exists: true\n    condition: sel\n");
	YES(r, "{\"errorCode\":\"\"}");
	NO(r, "{}");
	NO(r, "{\"errorCode\":null}");
	r = rule("    sel:\n        errorCode|exists: false\n    condition: sel\n");
	YES(r, "{}");
	NO(r, "{\"errorCode\":\"AccessDenied\"}");
	/* base64: "http://" encoded whole; base64offset finds it at any
	 * offset inside a longer encoded text. */
	r = rule("    sel:\n        f|base64: 'http://'\n    condition: sel\n");
	YES(r, "{\"f\":\"aHR0cDovLw==\"}");
	NO(r, "{\"f\":\"AHR0cDovLw==\"}");
	r = rule("    sel:\n        f|base64offset|contains: 'http://'\n"
		 "    condition: sel\n");
	YES(r, "{\"f\":\"aHR0cDovL2V2aWw=\"}");          /* "http://evil" */
	YES(r, "{\"f\":\"eGh0dHA6Ly9ldmls\"}");          /* "xhttp://evil" */
	YES(r, "{\"f\":\"eHhodHRwOi8vZXZpbA==\"}");      /* "xxhttp://evil" */
	NO(r, "{\"f\":\"aHR0cHM6Ly9ldmls\"}");           /* "https://evil" */
	/* lt, lte, gt, gte over JSON numbers. */
	r = rule("    sel:\n        code|gte: 400\n    lo:\n        code|lt: 500\n"
		 "    condition: sel and lo\n");
	YES(r, "{\"code\":403}");
	YES(r, "{\"code\":400}");
	NO(r, "{\"code\":500}");
	NO(r, "{\"code\":\"403\"}");
	r = rule("    sel:\n        size|gt: 1.5\n    more:\n        size|lte: 2\n"
		 "    condition: sel and more\n");
	YES(r, "{\"size\":2}");
	NO(r, "{\"size\":1.5}");
	/* fieldref: one field against another. */
	r = rule("    sel:\n        userIdentity.userName|fieldref: requestParameters.userName\n"
		 "    condition: sel\n");
	YES(r, "{\"userIdentity\":{\"userName\":\"Bob\"},\"requestParameters\":{\"userName\":\"bob\"}}");
	NO(r, "{\"userIdentity\":{\"userName\":\"bob\"},\"requestParameters\":{\"userName\":\"alice\"}}");
	NO(r, "{\"userIdentity\":{\"userName\":\"bob\"}}");
	r = rule("    sel:\n        userIdentity.arn|fieldref|endswith: requestParameters.userName\n"
		 "    condition: sel\n");
	YES(r, "{\"userIdentity\":{\"arn\":\"arn:aws:iam::1:user/bob\"},"
	       "\"requestParameters\":{\"userName\":\"bob\"}}");
	NO(r, "{\"userIdentity\":{\"arn\":\"arn:aws:iam::1:user/bob\"},"
	      "\"requestParameters\":{\"userName\":\"alice\"}}");
	/* Keywords: any string value of the record. */
	r = rule("    keywords:\n        - mimikatz\n        - 'sekurlsa::'\n"
		 "    condition: keywords\n");
	YES(r, "{\"requestParameters\":{\"commands\":[\"run Mimikatz.exe\"]}}");
	NO(r, "{\"eventName\":\"RunInstances\"}");
	r = rule("    keywords:\n        '|all':\n            - curl\n            - wget\n"
		 "    condition: keywords\n");
	YES(r, "{\"a\":\"curl x\",\"b\":{\"c\":\"wget y\"}}");
	NO(r, "{\"a\":\"curl x\"}");
	/* A value against an object: any scalar inside it. */
	r = rule("    sel:\n        requestParameters|contains: Suspended\n"
		 "    condition: sel\n");
	YES(r, "{\"requestParameters\":{\"VersioningConfiguration\":{\"Status\":\"Suspended\"}}}");
	NO(r, "{\"requestParameters\":{\"VersioningConfiguration\":{\"Status\":\"Enabled\"}}}");
}

static void
test_conditions(void)
{
	const struct sigma_rule *r;
	static const char *const sel =
		"    sel_a:\n        a: 1\n    sel_b:\n        b: 1\n"
		"    filter_x:\n        x: 1\n    _hidden:\n        h: 1\n";
	struct buf d;

	buf_init(&d);
#define COND(c) (buf_reset(&d), buf_printf(&d, "%s    condition: %s\n", sel, c), \
		 rule(d.data))
	/* not binds tighter than and, and tighter than or. */
	r = COND("sel_a and not filter_x or sel_b");
	YES(r, "{\"a\":1}");
	NO(r, "{\"a\":1,\"x\":1}");
	YES(r, "{\"a\":1,\"x\":1,\"b\":1}");
	r = COND("sel_a and not (filter_x or sel_b)");
	NO(r, "{\"a\":1,\"b\":1}");
	YES(r, "{\"a\":1}");
	r = COND("not sel_a");
	YES(r, "{}");
	NO(r, "{\"a\":1}");
	/* 1 of / all of a pattern. */
	r = COND("1 of sel_*");
	YES(r, "{\"b\":1}");
	NO(r, "{\"x\":1}");
	r = COND("all of sel_*");
	YES(r, "{\"a\":1,\"b\":1}");
	NO(r, "{\"a\":1}");
	r = COND("sel_a and not 1 of filter_*");
	YES(r, "{\"a\":1}");
	NO(r, "{\"a\":1,\"x\":1}");
	/* them: every identifier but those starting with an underscore. */
	r = COND("1 of them");
	YES(r, "{\"x\":1}");
	NO(r, "{\"h\":1}");
	r = COND("all of them");
	YES(r, "{\"a\":1,\"b\":1,\"x\":1}");
	r = COND("_hidden");
	YES(r, "{\"h\":1}");
	/* A list of conditions: any of them. */
	buf_reset(&d);
	buf_printf(&d, "%s    condition:\n        - sel_a and sel_b\n"
		   "        - filter_x\n", sel);
	r = rule(d.data);
	YES(r, "{\"x\":1}");
	YES(r, "{\"a\":1,\"b\":1}");
	NO(r, "{\"a\":1}");
#undef COND
	buf_dispose(&d);
}

/* Level to severity, attack.* tags to tactics. */
static void
test_metadata(void)
{
	static const char *const levels[][2] = {
		{ "informational", "info" }, { "low", "low" },
		{ "medium", "medium" }, { "high", "high" },
		{ "critical", "critical" }, { "urgent", "unknown" },
	};
	struct sigma_ruleset *rs;
	struct buf y;

	sigma_ruleset_new(&rs);
	buf_init(&y);
	for (size_t i = 0; i < 6; i++) {
		buf_reset(&y);
		buf_printf(&y, "title: t%zu\nlevel: %s\nlogsource:\n    product: aws\n"
			   "    service: cloudtrail\ndetection:\n    sel:\n"
			   "        a: 1\n    condition: sel\n", i, levels[i][0]);
		CHECK(sigma_ruleset_add(rs, "level.yml", y.data, y.len) == 0);
		CHECK_STR(rs->rules[rs->nrules - 1]->severity, levels[i][1]);
		CHECK(rs->rules[rs->nrules - 1]->tactics == NULL);
	}
	buf_reset(&y);
	buf_adds(&y, "title: tags\nid: 1b0ef3c0-0000-4000-8000-000000000001\n"
		 "tags:\n    - attack.persistence\n    - cve.2021-44228\n"
		 "    - attack.t1098.001\nfalsepositives: Unknown\n"
		 "references:\n    - https://example.com/a\nfields:\n    - eventName\n"
		 "logsource:\n    product: Kubernetes\n    service: Audit\n"
		 "detection:\n    sel:\n        verb: create\n    condition: sel\n");
	CHECK(sigma_ruleset_add(rs, "tags.yml", y.data, y.len) == 0);
	if (rs->nrules == 7) {
		const struct sigma_rule *r = rs->rules[6];

		CHECK_STR(r->severity, "unknown");
		CHECK_STR(r->tactics, "[\"attack.persistence\",\"attack.t1098.001\"]");
		CHECK_INT(r->ntags, 3);
		CHECK_INT(r->nfalsepositives, 1);
		CHECK_STR(r->falsepositives[0], "Unknown");
		CHECK_INT(r->nreferences, 1);
		CHECK_INT(r->nfields, 1);
		CHECK(r->source == SIGMA_K8S_AUDIT);
	}
	buf_dispose(&y);
	sigma_ruleset_free(rs);
}

/* ---- rules that cannot run ---------------------------------------------- */

static void
check_skipped(const char *yaml, const char *reason_part)
{
	struct sigma_ruleset *rs;
	int rc;

	sigma_ruleset_new(&rs);
	rc = sigma_ruleset_add(rs, "bad.yml", yaml, strlen(yaml));
	CHECK(rc == ERR_UNSUPPORTED || rc == ERR_PARSE);
	CHECK_INT(rs->nrules, 0);
	CHECK_INT(rs->nskips, 1);
	if (rs->nskips == 1 && !strstr(rs->skips[0].reason, reason_part)) {
		tap_failures++;
		fprintf(stderr, "reason \"%s\" lacks \"%s\"\n", rs->skips[0].reason,
			reason_part);
	}
	tap_checks++;
	sigma_ruleset_free(rs);
}

#define HEAD "title: t\nid: 0\nlogsource:\n    product: aws\n    service: cloudtrail\n"

static void
test_unsupported(void)
{
	struct sigma_ruleset *rs;
	char path[1024];

	check_skipped("title: many logins\ncorrelation:\n    type: event_count\n"
		      "    rules: [a]\n    group-by: [user]\n    timespan: 5m\n",
		      "correlation rule");
	check_skipped(HEAD "detection:\n    sel:\n        a: 1\n    timeframe: 5m\n"
		      "    condition: sel\n", "`timeframe`");
	check_skipped(HEAD "detection:\n    sel:\n        a: 1\n"
		      "    condition: sel | count() by b > 5\n", "aggregation");
	check_skipped(HEAD "detection:\n    sel:\n        cmd|windash|contains: -enc\n"
		      "    condition: sel\n", "`windash`");
	check_skipped(HEAD "detection:\n    sel:\n        user|expand: '%admins%'\n"
		      "    condition: sel\n", "`expand`");
	check_skipped(HEAD "detection:\n    sel:\n        a|sideways: 1\n"
		      "    condition: sel\n", "unknown modifier `sideways`");
	check_skipped(HEAD "detection:\n    sel:\n        a|re: '(?<=x)y'\n"
		      "    condition: sel\n", "POSIX regular expressions");
	check_skipped(HEAD "detection:\n    sel:\n        a|re: '(a)\\1'\n"
		      "    condition: sel\n", "backreference");
	check_skipped("title: t\nlogsource:\n    category: process_creation\n"
		      "    product: windows\ndetection:\n    sel:\n        a: 1\n"
		      "    condition: sel\n", "product windows");
	check_skipped(HEAD "detection:\n    sel:\n        a: 1\n"
		      "    condition: sel and filter\n", "`filter`, which detection");
	check_skipped(HEAD "detection:\n    sel:\n        a: 1\n"
		      "    condition: 1 of filter_*\n", "matches no search identifier");
	check_skipped(HEAD "detection:\n    sel:\n        a: 1\n"
		      "    condition: 2 of sel*\n", "`2 of`");
	check_skipped(HEAD "detection:\n    sel:\n        a|exists: maybe\n"
		      "    condition: sel\n", "true or false");
	check_skipped(HEAD "detection:\n    sel:\n        a|cidr: 10.0.0.0/33\n"
		      "    condition: sel\n", "not a CIDR");
	check_skipped(HEAD "detection:\n    sel:\n        a: 1\n    condition: sel\n"
		      "---\n" HEAD "detection:\n    sel:\n        a: 2\n"
		      "    condition: sel\n", "several YAML documents");
	check_skipped("logsource:\n    product: aws\n    service: cloudtrail\n"
		      "detection:\n    sel:\n        a: 1\n    condition: sel\n",
		      "no `title`");
	check_skipped(HEAD "detection:\n    sel:\n        a: [1\n", "YAML");
	check_skipped(HEAD "detection:\n    sel:\n        a: 1\n", "no `condition`");

	/* A folder: the good rule loads, the bad one is listed, nothing else
	 * (README.md) is read as a rule. */
	snprintf(path, sizeof(path), "%s/tests/data/sigma-cases/rules", top);
	sigma_ruleset_new(&rs);
	CHECK(sigma_ruleset_load(rs, path) == 0);
	CHECK_INT(rs->nrules, 1);
	CHECK_INT(rs->nskips, 1);
	CHECK(rs->nskips == 1 && strstr(rs->skips[0].file, "correlation.yml") &&
	      strstr(rs->skips[0].reason, "correlation rule"));
	CHECK(rs->nskips == 1 && rs->skips[0].title &&
	      !strcmp(rs->skips[0].title, "Many failed console logins"));
	sigma_ruleset_free(rs);
	sigma_ruleset_new(&rs);
	CHECK(sigma_ruleset_load(rs, "/nonexistent/rules") == ERR_IO);
	sigma_ruleset_free(rs);
}

static void
nested(struct buf *b, int depth)
{
	buf_reset(b);
	buf_adds(b, "{\"a\":");
	for (int i = 0; i < depth; i++)
		buf_adds(b, "[");
	buf_adds(b, "{\"b\":\"x\"}");
	for (int i = 0; i < depth; i++)
		buf_adds(b, "]");
	buf_adds(b, "}");
}

/* Hostile records: whatever parses is followed all the way down; what
 * does not parse (not an object, too deep for cJSON) is ERR_PARSE. */
static void
test_hostile(void)
{
	const struct sigma_rule *r = rule("    sel:\n        a.b|contains: x\n"
					  "    condition: sel\n");
	struct buf deep;

	CHECK(sigma_match_raw(sem_m, SIGMA_CLOUDTRAIL, "[1,2]", 5, NULL, NULL) ==
	      ERR_PARSE);
	CHECK(sigma_match_raw(sem_m, SIGMA_CLOUDTRAIL, "{\"a\":", 5, NULL, NULL) ==
	      ERR_PARSE);
	CHECK(sigma_match_raw(sem_m, SIGMA_CLOUDTRAIL, NULL, 0, NULL, NULL) ==
	      ERR_PARSE);
	buf_init(&deep);
	nested(&deep, 500);
	YES(r, deep.data);
	nested(&deep, 5000);
	CHECK(sigma_match_raw(sem_m, SIGMA_CLOUDTRAIL, deep.data, deep.len, NULL,
			      NULL) == ERR_PARSE);
	buf_dispose(&deep);
	YES(r, "{\"a\":[[[{\"b\":\"xyz\"}]]]}");
}

int
main(void)
{
	top = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
	test_shipped_rules();
	sigma_ruleset_new(&sem_rs);
	sigma_matcher_new(sem_rs, &sem_m);
	sem_db = sql_open();
	test_maps_lists();
	test_strings();
	test_escapes();
	test_modifiers();
	test_conditions();
	test_hostile();
	CHECK_INT(sem_rs->nskips, 0);
	for (size_t i = 0; i < sem_rs->nskips; i++)
		fprintf(stderr, "semantics rule skipped: %s\n", sem_rs->skips[i].reason);
	sigma_matcher_free(sem_m);
	sigma_ruleset_free(sem_rs);
	sqlite3_close(sem_db);
	test_metadata();
	test_unsupported();
	return tap_done();
}
