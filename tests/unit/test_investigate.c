/* SPDX-License-Identifier: Apache-2.0 */
/* test_investigate: the playbook engine end to end over a store built from
 * real records (a Stratus detonation, Falco alerts, a GuardDuty sample
 * finding) and the small knowledge base in tests/data/kb-test: exact
 * verdicts, scores, findings, cited events, gaps, and byte-identical
 * reports. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/ingest.h"
#include "core/investigate.h"
#include "core/store.h"
#include "core/threat.h"
#include "kb/kb.h"
#include "tests/unit/tap.h"

/* Named records of tests/data. */
#define PUT_EVENT_SELECTORS "c2a89408-340a-42f0-8ace-75d9f5769393"
#define CHRISTOPHE "arn:aws:iam::958312252124:user/christophe"
#define GD_SAMPLE_THREAT "t-6d34c7fd563dde96c99d480d8be0ceaf"
#define GD_SAMPLE_EVENT "36b01b60fc22bb4edb19d62d9899e953"
#define CSI_THREAT "t-8b52ca155fcbca814bcf615effb5ddfd"
#define EXEC_THREAT "t-dfd64a05311b2791e868f7fdd02454ab"
#define SHELL_THREAT "t-7ad77db291c1ba0b8eeca0a1b3bae255"
#define SHELL_EVENT "df21ec6e8114779fd4d888b97bccd1fa"
#define SEND_COMMAND "5288bfb8-e3fa-4c41-be02-6853521afe8b"

static char dir[] = "/tmp/verdict-test-investigate-XXXXXX";

static const char *
srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s && *s ? s : ".";
}

static void
ingest_file(struct store *st, const char *rel)
{
	struct ingest_opts o = { 0 };
	struct ingest *in = NULL;
	char path[1024];

	snprintf(path, sizeof(path), "%s/tests/data/%s", srcdir(), rel);
	CHECK_INT(ingest_new(st, &o, &in), 0);
	CHECK_INT(ingest_path(in, path), 0);
	CHECK_INT(ingest_finish(in), 0);
	ingest_free(in);
}

static struct report *
run(struct store *st, const struct kb_data *kb, const char *threat_id)
{
	struct report *r = NULL;
	int rc = investigate_threat(st, kb, threat_id, &r);

	CHECK_INT(rc, 0);
	if (rc < 0)
		fprintf(stderr, "investigate %s: %s\n", threat_id, err_msg());
	return r;
}

static const struct step_result *
step(const struct report *r, const char *id)
{
	for (size_t i = 0; r && i < r->nsteps; i++)
		if (strcmp(r->steps[i].id, id) == 0)
			return &r->steps[i];
	fprintf(stderr, "no step %s\n", id);
	return NULL;
}

static bool
contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle);
}

/* ---- named threats, named verdicts ----------------------------------------- */

/* A Stratus defense-evasion detonation promoted to a threat: malicious,
 * citing the event that changed the trail's event selectors. */
static void
test_evasion(struct store *st, const struct kb_data *kb, const char *tid)
{
	struct report *r = run(st, kb, tid);
	const struct step_result *s;

	if (!r)
		return;
	CHECK_STR(r->playbook, "test-evasion");
	CHECK_STR(r->kb_version, kb->version);
	CHECK_STR(r->verdict, "malicious");
	CHECK(r->real);
	CHECK(r->real_reason == NULL);
	/* 10 (medium) + 45 (logging) + 20 (listed address) */
	CHECK_INT(r->score, 75);
	/* 50 + min(|75-60|, 30) + 2 steps x 5 - 1 gap x 10 */
	CHECK_INT(r->confidence, 65);
	CHECK_INT(r->nsteps, 7);
	if ((s = step(r, "logging-changes"))) {
		CHECK_INT(s->score, 45);
		CHECK_INT(s->nrows, 1);
		CHECK_STR(s->finding, CHRISTOPHE " changed logging 1 time(s): "
			  "PutEventSelectors");
		CHECK_INT(s->ncited, 1);
		CHECK_STR(s->ncited ? s->cited[0] : NULL, PUT_EVENT_SELECTORS);
		CHECK(contains(s->query, "WHERE actor = '" CHRISTOPHE "' AND "
			       "time >= 1722343802000000000 /* 2024-07-30T12:50:02Z */"));
		CHECK(contains(s->rows_json, "\"action\":\"PutEventSelectors\","
			       "\"error_code\":null"));
		CHECK(contains(s->rows_json, "\"time\":1722430202000000000"));
		CHECK(s->gap == NULL);
	}
	if ((s = step(r, "new-address"))) {
		CHECK_STR(s->kind, "first_seen");
		CHECK_INT(s->score, 0);
		CHECK_STR(s->finding, CHRISTOPHE " has no earlier activity to "
			  "compare 221.254.191.250 with");
		CHECK(contains(s->rows_json, "\"new\":\"221.254.191.250\""));
	}
	if ((s = step(r, "bad-address"))) {
		CHECK_INT(s->score, 20);
		CHECK_STR(s->finding, "221.254.191.250 is on the test-addresses list");
		CHECK(contains(s->rows_json, "\"match\":\"221.254.191.0/24\""));
		CHECK_STR(s->ncited ? s->cited[0] : NULL, PUT_EVENT_SELECTORS);
	}
	if ((s = step(r, "flows"))) {
		CHECK_STR(s->gap, "No VPC flow logs in the window to show what the "
			  "address did next");
		CHECK_INT(s->score, 0);
		CHECK(s->finding == NULL);
	}
	if ((s = step(r, "permissions"))) {
		CHECK_STR(s->finding, CHRISTOPHE " is not in the identity "
			  "configuration");
		CHECK_INT(s->score, 0);
	}
	if ((s = step(r, "allowlisted"))) {
		CHECK_INT(s->nrows, 0);
		CHECK(s->finding == NULL);
	}
	CHECK_INT(r->nkeys, 2);
	if (r->nkeys == 2) {
		CHECK_INT(r->keys[0].score, 45);
		CHECK_STR(r->keys[0].cited[0], PUT_EVENT_SELECTORS);
		CHECK_STR(r->keys[1].text, "221.254.191.250 is on the "
			  "test-addresses list");
	}
	CHECK_INT(r->nraise, 1);
	CHECK_STR(r->nraise ? r->raise[0] : NULL, "No VPC flow logs in the "
		  "window to show what the address did next");
	CHECK_INT(r->nnext, 2);
	CHECK_STR(r->nnext == 2 ? r->next_steps[1] : NULL,
		  "Disable the access keys of " CHRISTOPHE);
	CHECK(contains(r->summary, "Judged malicious with confidence 65: score "
		       "75, of which 10 for medium severity and 65 from the "
		       "findings."));
	CHECK(contains(r->summary, "Missing evidence: No VPC flow logs"));
	CHECK(contains(r->blast_json, "\"known\":false"));
	report_free(r);
}

/* A GuardDuty sample finding is not real, and so benign. */
static void
test_sample(struct store *st, const struct kb_data *kb)
{
	struct report *r = run(st, kb, GD_SAMPLE_THREAT);
	const struct step_result *s;

	if (!r)
		return;
	CHECK_STR(r->playbook, "test-generic");
	CHECK(!r->real);
	CHECK_STR(r->real_reason, "the triggering event is a guardduty sample "
		  "finding (generated for testing, not observed activity)");
	CHECK_STR(r->verdict, "benign");
	CHECK_INT(r->score, 10);
	CHECK_INT(r->confidence, 90);
	CHECK_INT(r->nkeys, 0);
	if ((s = step(r, "trigger"))) {
		CHECK_STR(s->finding, "guardduty reported "
			  "UnauthorizedAccess:IAMUser/TorIPCaller");
		CHECK_STR(s->ncited ? s->cited[0] : NULL, GD_SAMPLE_EVENT);
	}
	CHECK(contains(r->summary, "Not real: the triggering event is a "
		       "guardduty sample finding"));
	CHECK_STR(r->nnext ? r->next_steps[0] : NULL,
		  "Review guardduty:UnauthorizedAccess:IAMUser/TorIPCaller by hand");
	report_free(r);
}

/* A Falco platform false positive (labels.jsonl line 1) is benign through
 * an allowlist entry, which the finding cites. */
static void
test_allowlisted(struct store *st, const struct kb_data *kb)
{
	struct report *r = run(st, kb, CSI_THREAT);
	const struct step_result *s;

	if (!r)
		return;
	CHECK_STR(r->playbook, "test-runtime");
	CHECK_STR(r->verdict, "benign");
	CHECK_INT(r->score, -50);
	CHECK_INT(r->confidence, 85);
	CHECK_INT(r->nkeys, 1);
	if (r->nkeys) {
		CHECK_STR(r->keys[0].text, "Allowlisted (ovh-csi-controller): The "
			  "OVH CSI controller patches volume attachments as part "
			  "of the managed platform");
		CHECK_INT(r->keys[0].score, -60);
		CHECK_STR(r->keys[0].cited[0], "allowlist:ovh-csi-controller");
	}
	if ((s = step(r, "allowlisted")))
		CHECK(contains(s->rows_json, "\"analyst\":\"analyst@example.com\""));
	CHECK_STR(r->nnext ? r->next_steps[0] : NULL,
		  "Close the threat; the allowlist covers csi-cinder-controller");
	report_free(r);

	/* An expired entry is shown, named expired, and does not apply. */
	r = run(st, kb, EXEC_THREAT);
	if (!r)
		return;
	CHECK_STR(r->verdict, "inconclusive");
	CHECK_INT(r->score, 0);
	CHECK_INT(r->confidence, 70);
	if ((s = step(r, "allowlisted"))) {
		CHECK_INT(s->nrows, 1);
		CHECK_INT(s->score, 0);
		CHECK(contains(s->rows_json, "{\"entry\":\"migration-exec\","
			       "\"applies\":0,"));
		CHECK(contains(s->rows_json, "\"note\":\"expired on 2020-01-01\""));
	}
	report_free(r);

	/* A row predicate cites the alert it matched. */
	r = run(st, kb, SHELL_THREAT);
	if (!r)
		return;
	CHECK_INT(r->score, 20);
	CHECK_STR(r->nkeys ? r->keys[0].text : NULL,
		  "A shell in a container: Terminal shell in container");
	CHECK_STR(r->nkeys && r->keys[0].ncited ? r->keys[0].cited[0] : NULL,
		  SHELL_EVENT);
	report_free(r);
}

/* The actor's baseline before the window: 24 earlier calls from the same
 * address (the Stratus SSM detonation). */
static void
test_baseline(struct store *st, const struct kb_data *kb, const char *tid)
{
	struct report *r = run(st, kb, tid);
	const struct step_result *s;

	if (!r)
		return;
	CHECK_STR(r->playbook, "test-generic");
	CHECK_INT(r->score, 5);
	if ((s = step(r, "known-address"))) {
		CHECK_STR(s->finding, "arn:aws:iam::056392974792:user/christophe "
			  "had used 253.252.51.7 in 24 earlier call(s)");
		CHECK_INT(s->score, -5);
		CHECK(contains(s->rows_json, "\"events\":32,"));
		CHECK(contains(s->rows_json, "\"new\":null"));
		CHECK_INT(s->ncited, 1);
	}
	report_free(r);
}

/* ---- the engine's edges ---------------------------------------------------- */

static int
two_benign(void *ctx, const struct threat *t, struct prior_decision **out,
	   size_t *n)
{
	static const char *const commits[] = { "c0ffee1", "c0ffee2" };

	(void)ctx; (void)t;
	*out = calloc(2, sizeof(**out));
	*n = 2;
	for (int i = 0; i < 2; i++) {
		(*out)[i].commit = strdup(commits[i]);
		(*out)[i].verdict = strdup("benign");
		(*out)[i].analyst = strdup("analyst@example.com");
		(*out)[i].note = strdup("test run of the detonation");
	}
	return 0;
}

static void
test_prior_and_determinism(struct store *st, struct kb_data *kb,
			   const char *tid)
{
	struct report *a, *b;
	char *ja, *jb, *stored = NULL;
	const struct step_result *s;

	/* Same store and knowledge base: the same bytes, also as stored. */
	a = run(st, kb, tid);
	b = run(st, kb, tid);
	ja = a ? report_to_json(a) : NULL;
	jb = b ? report_to_json(b) : NULL;
	CHECK(ja && jb && strcmp(ja, jb) == 0);
	CHECK_INT(store_report_get(st, tid, &stored), 0);
	CHECK_STR(stored, jb);
	CHECK(contains(ja, "{\"threat_id\":\"t-"));
	CHECK(contains(ja, "\"verdict\":\"malicious\",\"real\":true,"
		       "\"real_reason\":null,\"score\":75,\"confidence\":65,"));
	free(stored);
	free(ja);
	free(jb);
	report_free(a);
	report_free(b);

	/* Analysts' earlier decisions reach the prior_decisions step. */
	kb->prior_lookup = two_benign;
	a = run(st, kb, tid);
	kb->prior_lookup = NULL;
	if (!a)
		return;
	CHECK_INT(a->score, 45);
	CHECK_STR(a->verdict, "suspicious");
	if ((s = step(a, "prior"))) {
		CHECK_INT(s->score, -30);
		CHECK_STR(s->finding, "Analysts judged 2 similar threat(s) benign");
		CHECK_INT(s->ncited, 2);
		CHECK_STR(s->ncited == 2 ? s->cited[1] : NULL, "c0ffee2");
	}
	report_free(a);
}

static void
test_choose_and_edges(struct store *st, const struct kb_data *kb,
		      const char *tid)
{
	struct threat t;
	struct kb_data empty = { .version = "dir:000000000000" };
	struct playbook pb = { 0 };
	struct pb_step stp = { 0 };
	struct pb_rule rule = { 0 };
	struct kb_data one = { .version = "dir:111111111111" };
	struct playbook *list[1] = { &pb };
	struct report *r;
	const struct playbook *chosen;

	threat_init(&t);
	t.id = (char *)tid;
	t.source = (char *)"pivot";
	t.detection = (char *)"pivot:" PUT_EVENT_SELECTORS;
	chosen = investigate_choose(kb, st, &t);
	CHECK_STR(chosen ? chosen->id : NULL, "test-evasion");
	t.source = (char *)"falco";
	t.detection = (char *)"falco:Anything";
	chosen = investigate_choose(kb, st, &t);
	CHECK_STR(chosen ? chosen->id : NULL, "test-runtime");

	/* No playbook applies: inconclusive, nothing checked, and said so. */
	r = run(st, &empty, CSI_THREAT);
	if (r) {
		CHECK(r->playbook == NULL);
		CHECK_STR(r->verdict, "inconclusive");
		CHECK_INT(r->confidence, 0);
		CHECK_STR(r->nraise ? r->raise[0] : NULL, "A playbook that "
			  "applies to falco:Disallowed K8s User");
		report_free(r);
	}

	/* Not real needs no playbook: the sample is benign all the same. */
	r = run(st, &empty, GD_SAMPLE_THREAT);
	if (r) {
		CHECK(r->playbook == NULL);
		CHECK(!r->real);
		CHECK_STR(r->verdict, "benign");
		CHECK_INT(r->confidence, 90);
		CHECK(contains(r->summary, "Not real: the triggering event is a "
			       "guardduty sample finding"));
		report_free(r);
	}

	/* A playbook built by hand (no parsed forms) still runs, and a
	 * requires without a gap text gets the default one. */
	rule.when = (char *)"rows > 0";
	rule.score = 7;
	rule.key = true;
	rule.finding = (char *)"{rows} alert(s) by {actor}";
	stp.id = (char *)"alerts";
	stp.title = (char *)"Alerts";
	stp.kind = STEP_SQL;
	stp.query = (char *)"SELECT id FROM events WHERE id IN (SELECT event_id "
		    "FROM threat_events WHERE threat_id = :threat_id)";
	stp.cite = (char *)"id";
	stp.max_rows = 10;
	stp.rules = &rule;
	stp.nrules = 1;
	pb.id = (char *)"by-hand";
	pb.title = (char *)"By hand";
	pb.family = (char *)"generic";
	pb.steps = &stp;
	pb.nsteps = 1;
	pb.malicious_at = 60;
	pb.suspicious_at = 25;
	pb.benign_at = -20;
	pb.after_ns = pb.before_ns = 3600LL * 1000000000;
	one.playbooks = list;
	one.nplaybooks = 1;
	r = run(st, &one, CSI_THREAT);
	if (r) {
		CHECK_INT(r->score, 7);
		CHECK_STR(r->steps[0].finding, "1 alert(s) by csi-cinder-controller");
		report_free(r);
	}
	stp.requires = (char *)"k8s_audit";
	r = run(st, &one, CSI_THREAT);
	if (r) {
		CHECK_INT(r->score, 0);
		CHECK_STR(r->steps[0].gap, "No k8s_audit events in the evidence "
			  "window");
		CHECK(r->steps[0].finding == NULL);
		report_free(r);
	}
	r = NULL;
	CHECK_INT(investigate_threat(st, kb, "t-nosuchthreat", &r), ERR_NOTFOUND);
	CHECK(r == NULL);
}

static void
test_renderings(struct store *st, const struct kb_data *kb, const char *tid)
{
	struct report *r = run(st, kb, tid);
	char *text, *md;

	if (!r)
		return;
	text = report_to_text(r);
	md = report_to_markdown(r);
	CHECK(contains(text, "threat t-"));
	CHECK(contains(text, ": malicious, confidence 65, score 75\n"));
	CHECK(contains(text, "  1. [+45] " CHRISTOPHE " changed logging"));
	CHECK(contains(text, "     cites: " PUT_EVENT_SELECTORS "\n"));
	CHECK(contains(text, "     gap: No VPC flow logs"));
	CHECK(contains(md, "- Verdict: **malicious**, confidence 65, score 75\n"));
	CHECK(contains(md, "### 1. Logging changes by the actor around the "
		       "threat (sql, score +45)\n\n```sql\nSELECT id, time"));
	CHECK(contains(md, "## What would raise confidence\n\n- No VPC flow logs"));
	free(text);
	free(md);
	report_free(r);
}

int
main(void)
{
	struct store *st = NULL;
	struct kb_data *kb = NULL;
	char path[512], *evasion = NULL, *baseline = NULL;
	unsigned errors = 0;
	uint64_t added = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/events.db", dir);
	CHECK_INT(store_open(path, 0, &st), 0);
	if (!st)
		return tap_done();
	ingest_file(st, "stratus-red-team-detonations/"
		    "aws.defense-evasion.cloudtrail-event-selectors.json");
	ingest_file(st, "stratus-red-team-detonations/"
		    "aws.execution.ssm-send-command.json");
	ingest_file(st, "falco-alerts/alerts.jsonl");
	ingest_file(st, "cloud-custodian-event-fixtures/cwe/iam-duty-event.json");
	CHECK_INT(threat_build(st, &added), 0);
	CHECK_INT(added, 9);
	CHECK_INT(threat_promote(st, PUT_EVENT_SELECTORS, &evasion), 0);
	CHECK_INT(threat_promote(st, SEND_COMMAND, &baseline), 0);
	snprintf(path, sizeof(path), "%s/tests/data/kb-test", srcdir());
	CHECK_INT(kb_load_dir(path, NULL, NULL, &kb, &errors), 0);
	CHECK_INT(errors, 0);
	if (kb && evasion && baseline) {
		CHECK_INT(kb->nplaybooks, 3);
		test_evasion(st, kb, evasion);
		test_sample(st, kb);
		test_allowlisted(st, kb);
		test_baseline(st, kb, baseline);
		test_prior_and_determinism(st, kb, evasion);
		test_choose_and_edges(st, kb, evasion);
		test_renderings(st, kb, evasion);
	}
	kb_data_free(kb);
	free(evasion);
	free(baseline);
	store_close(st);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
