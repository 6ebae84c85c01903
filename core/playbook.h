/* SPDX-License-Identifier: Apache-2.0 */
/* playbook: the investigation recipes of the knowledge base, parsed from
 * YAML (kb/default/playbooks/README.md is the format). The engine takes
 * them as values; it never reads the KB repository itself. */
#ifndef VERDICT_PLAYBOOK_H
#define VERDICT_PLAYBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum step_kind {
	STEP_SQL,            /* read-only parameterized SQL over the store */
	STEP_FIRST_SEEN,     /* has the actor used this value before? */
	STEP_INTEL,          /* is a value on an intel list? */
	STEP_ALLOWLIST,      /* does an allowlist entry cover the threat? */
	STEP_PERMISSIONS,    /* blast radius of the actor */
	STEP_PRIOR_DECISIONS /* analysts' decisions on similar threats */
};

struct cond;
struct cond_template;

struct pb_rule {
	char *when;     /* condition expression, see the format */
	int score;      /* added to the threat's score when it holds */
	char *finding;  /* sentence template */
	bool key;       /* may be a key finding (default true when score != 0) */
	/* Parsed at load time by playbook_parse (owned); NULL in a playbook
	 * built by hand, and the engine then parses when and finding itself. */
	struct cond *cond;
	struct cond_template *tmpl;
};

struct pb_step {
	char *id;
	char *title;
	enum step_kind kind;
	char *query;       /* STEP_SQL */
	char *cite;        /* column holding event ids to cite (default "id") */
	size_t max_rows;   /* default 200 */
	char *field;       /* FIRST_SEEN / INTEL: src_ip, user_agent, region... */
	char *list;        /* INTEL: list name */
	int64_t lookback_ns; /* FIRST_SEEN: how far back the baseline goes */
	char *requires;    /* a source that must have events in the window, or
			    * the step is an evidence gap */
	char *gap;         /* sentence when the required evidence is missing */
	struct pb_rule *rules;
	size_t nrules;
	int line;          /* where the step starts in its file */
};

struct pb_match {      /* one entry of applies: every given part must hold */
	char *detection;   /* glob over threat.detection */
	char *source;      /* threat source */
	char **actions;    /* any triggering event's action in this list */
	size_t nactions;
	char *event_source; /* attrs.event_source glob, e.g. "iam.amazonaws.com" */
	char *kind;        /* triggering event kind */
};

struct pb_next_step {
	char *text;        /* template */
	char *when;        /* over verdict and score, or NULL for always */
	struct cond *cond; /* parsed when and text, as in pb_rule */
	struct cond_template *tmpl;
};

struct playbook {
	char *id;
	char *family;
	char *title;
	char *description;
	char *file;        /* where it came from, for messages */
	int priority;      /* higher wins among matching playbooks */
	struct pb_match *applies;
	size_t napplies;
	int64_t before_ns, after_ns; /* evidence window around the threat */
	int prior[5];      /* starting score by severity info..critical */
	int malicious_at, suspicious_at, benign_at; /* verdict thresholds */
	struct pb_step *steps;
	size_t nsteps;
	struct pb_next_step *next;
	size_t nnext;
};

/* Parse one playbook from YAML text. file names it in messages. Returns 0,
 * or ERR_PARSE / ERR_FIELD with a message "file:line: field `x`: ...". */
int playbook_parse(const char *file, const char *text, size_t len,
		   struct playbook **out);
void playbook_free(struct playbook *pb);

/* The format's name of a step kind ("sql", "first_seen"...), borrowed. */
const char *playbook_kind_name(enum step_kind kind);

#endif
