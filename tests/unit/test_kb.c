/* SPDX-License-Identifier: Apache-2.0 */
/* test_kb: the knowledge base in git: documents loaded from memory as from
 * a folder, a repository seeded from kb/default and read at its tip (the
 * commit id as version), the analyst's identity, a recorded decision
 * that prior_lookup finds for a similar threat and cites by commit, and an
 * allowlist proposal on its own branch, read back and merged. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/playbook.h"
#include "core/threat.h"
#include "kb/feedback.h"
#include "kb/kb.h"
#include "kb/propose.h"
#include "kb/repo.h"
#include "kb/sync.h"
#include "tests/unit/tap.h"

static unsigned diags;
static char last_diag[1024];

static void
on_diag(void *ctx, const char *msg)
{
	(void)ctx;
	diags++;
	snprintf(last_diag, sizeof(last_diag), "%s", msg);
}

static const char minimal_playbook[] =
	"id: only\n"
	"family: generic\n"
	"title: The only playbook\n"
	"steps:\n"
	"  - id: prior\n"
	"    kind: prior_decisions\n"
	"    rules: [{when: \"prior_benign > 0\", score: -30}]\n";

static char *
sdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Documents handed over as (path, bytes) pairs load as from a folder; a
 * bad intel entry is named by file, line and field. */
static void
test_load_docs(void)
{
	struct kb_doc docs[2] = {
		{ sdup("playbooks/only.yaml"), sdup("playbooks/only.yaml"),
		  sdup(minimal_playbook), sizeof(minimal_playbook) - 1 },
		{ sdup("intel/tor-exit.txt"), sdup("intel/tor-exit.txt"),
		  sdup("# exits\n185.220.101.1\nnot an address!\n"), 37 },
	};
	struct kb_data *kb = NULL;
	unsigned errors = 0;

	diags = 0;
	CHECK_INT(kb_load_docs(docs, 2, "abc", "mem", on_diag, NULL, &kb,
			       &errors), 0);
	CHECK_STR(kb->version, "abc");
	CHECK_INT(kb->nplaybooks, 1);
	CHECK_STR(kb->playbooks[0]->id, "only");
	CHECK_INT(kb->nintel, 1);
	CHECK_STR(kb->intel[0].name, "tor-exit");
	CHECK_INT(kb->intel[0].nentries, 1);
	CHECK_STR(kb->intel[0].entries[0], "185.220.101.1");
	CHECK_INT(errors, 1);
	CHECK_STR(last_diag, "intel/tor-exit.txt:3: field `entry`: \"not an "
		  "address!\" is not an address, CIDR range or domain");
	kb_data_free(kb);
	for (size_t i = 0; i < 2; i++) {
		free(docs[i].rel);
		free(docs[i].path);
		free(docs[i].text);
	}
}

static void
test_analyst(void)
{
	char *name = NULL, *email = NULL;

	setenv("VERDICT_ANALYST", " Ana Lyst <ana@example.com>", 1);
	CHECK_INT(kb_analyst("/nonexistent", &name, &email), 0);
	CHECK_STR(name, "Ana Lyst");
	CHECK_STR(email, "ana@example.com");
	free(name);
	free(email);
	setenv("VERDICT_ANALYST", "no email", 1);
	CHECK_INT(kb_analyst("/nonexistent", &name, &email), ERR_USAGE);
	CHECK(name == NULL && email == NULL);
	unsetenv("VERDICT_ANALYST");
}

/* The Falco "Terminal shell in container" threat of
 * tests/data/falco-alerts, as the store holds it (actor root). */
static void
falco_threat(struct threat *t, const char *id)
{
	threat_init(t);
	t->id = sdup(id);
	t->detection = sdup("falco:Terminal shell in container");
	t->title = sdup("Terminal shell in container");
	t->ent[TE_ACTOR] = sdup("root");
}

static void
test_repo(const char *srcdir, const char *tmp)
{
	char path[4096], seed[4096], commit[KB_COMMIT_HEXSZ],
	     decided[KB_COMMIT_HEXSZ];
	struct kb_data *folder = NULL, *kb = NULL;
	struct kb_decision d = { 0 };
	struct prior_decision *prior = NULL;
	struct threat same, other, elsewhere;
	unsigned errors = 0;
	size_t n = 0;
	char *file = NULL;

	snprintf(path, sizeof(path), "%s/kb", tmp);
	snprintf(seed, sizeof(seed), "%s/kb/default", srcdir);
	CHECK_INT(kb_repo_init(path, seed, commit), 0);
	CHECK_INT(strlen(commit), 40);
	CHECK(kb_repo_is(path));
	CHECK_INT(kb_repo_init(path, seed, commit), ERR_USAGE);

	/* The repository loads the same documents as the folder, versioned by
	 * the commit. */
	CHECK_INT(kb_load_dir(seed, NULL, NULL, &folder, &errors), 0);
	CHECK_INT(kb_load_dir(path, NULL, NULL, &kb, &errors), 0);
	CHECK_INT(errors, 0);
	CHECK_STR(kb->version, commit);
	CHECK(strncmp(folder->version, "dir:", 4) == 0);
	CHECK_INT(kb->nplaybooks, folder->nplaybooks);
	CHECK_INT(kb->nallow, folder->nallow);
	CHECK(kb->prior_lookup != NULL);
	kb_data_free(kb);
	kb = NULL;

	d.threat_id = "t-77be2475c74776542ea31587c4f4df6a";
	d.detection = "falco:Terminal shell in container";
	d.title = "Terminal shell in container";
	d.ent[TE_ACTOR] = "root";
	d.playbook_verdict = "suspicious";
	d.verdict = "benign";
	d.reason = "maintenance";
	d.note = "Ops confirmed a debugging session";
	d.name = "Ana Lyst";
	d.email = "ana@example.com";
	d.time_ns = 1780000000LL * 1000000000LL;
	CHECK_INT(kb_feedback_record(path, &d, decided, &file), 0);
	CHECK(file && strncmp(file, "feedback/", 9) == 0);
	d.verdict = "harmless";
	CHECK_INT(kb_feedback_record(path, &d, commit, NULL), ERR_USAGE);

	CHECK_INT(kb_load_dir(path, NULL, NULL, &kb, &errors), 0);
	CHECK_STR(kb->version, decided);
	falco_threat(&same, "t-77be2475c74776542ea31587c4f4df6a");
	falco_threat(&other, "t-7ad77db291c1ba0b8eeca0a1b3bae255");
	falco_threat(&elsewhere, "t-00000000000000000000000000000000");
	free(elsewhere.detection);
	elsewhere.detection = sdup("falco:Write below etc");

	/* A decision on the threat itself is not a prior one. */
	CHECK_INT(kb->prior_lookup(kb->prior_ctx, &same, &prior, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(kb->prior_lookup(kb->prior_ctx, &elsewhere, &prior, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(kb->prior_lookup(kb->prior_ctx, &other, &prior, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(prior[0].commit, decided);
		CHECK_STR(prior[0].verdict, "benign");
		CHECK_STR(prior[0].analyst, "Ana Lyst <ana@example.com>");
		CHECK_STR(prior[0].note, "Ops confirmed a debugging session");
	}
	for (size_t i = 0; i < n; i++) {
		free(prior[i].commit);
		free(prior[i].verdict);
		free(prior[i].analyst);
		free(prior[i].note);
	}
	free(prior);
	threat_dispose(&same);
	threat_dispose(&other);
	threat_dispose(&elsewhere);
	kb_data_free(kb);
	kb_data_free(folder);
	free(file);
}

/* A proposal is a branch whose allowlist file the loader reads back as
 * given (quotes kept, a line break dropped); merging it fast-forwards. */
static void
test_propose(const char *tmp)
{
	char path[4096], commit[KB_COMMIT_HEXSZ];
	struct kb_proposal p = { 0 };
	struct kb_data *kb = NULL;
	struct kb_sync_result r;
	unsigned errors = 0;
	char *branch = NULL;
	int64_t expires = 0;

	snprintf(path, sizeof(path), "%s/kb", tmp);
	p.threat_id = "t-77be2475c74776542ea31587c4f4df6a";
	p.detection = "falco:Terminal shell in container";
	p.actor = "root";
	p.reason = "ops say \"debugging\"\nonly";
	p.expires = "2027-06-30";
	p.name = "Ana Lyst";
	p.email = "ana@example.com";
	CHECK_INT(kb_propose(path, &p, &branch, commit), 0);
	CHECK_STR(branch, "refs/heads/proposals/t-77be2475c74776542ea31587c4f4df6a");
	CHECK_INT(kb_repo_load_rev(path, branch, on_diag, NULL, &kb, &errors), 0);
	CHECK_INT(errors, 0);
	CHECK_STR(kb->version, commit);
	for (size_t i = 0; kb && i < kb->nallow; i++) {
		if (strcmp(kb->allow[i].id, p.threat_id) != 0)
			continue;
		CHECK_STR(kb->allow[i].reason, "ops say \"debugging\"only");
		CHECK_STR(kb->allow[i].actor, "root");
		CHECK_STR(kb->allow[i].analyst, "Ana Lyst <ana@example.com>");
		expires = kb->allow[i].expires_ns;
	}
	CHECK_INT(expires, 1814313600LL * 1000000000LL);  /* 2027-06-30 */
	kb_data_free(kb);
	free(branch);
	branch = NULL;
	p.expires = "30/06/2027";
	CHECK_INT(kb_propose(path, &p, &branch, commit), ERR_USAGE);
	p.expires = NULL;
	p.reason = "";
	CHECK_INT(kb_propose(path, &p, &branch, commit), ERR_USAGE);
	CHECK_INT(kb_merge_branch(path,
		  "refs/heads/proposals/t-77be2475c74776542ea31587c4f4df6a", &r), 0);
	CHECK_INT(r.merged, 2);  /* proposed off the tip: a fast-forward */
	kb_sync_result_dispose(&r);
	free(branch);
}

int
main(void)
{
	const char *srcdir = getenv("top_srcdir");
	char tmp[] = "/tmp/verdict-test-kb.XXXXXX", cmd[4200];

	if (!srcdir)
		srcdir = ".";
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	test_load_docs();
	test_analyst();
	test_repo(srcdir, tmp);
	test_propose(tmp);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return tap_done();
}
