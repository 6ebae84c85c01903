/* SPDX-License-Identifier: Apache-2.0 */
/* investigate_int: what the playbook engine's two files share: the
 * investigation's state, a step's rows and variables, and the query
 * parameters. */
#ifndef VERDICT_INVESTIGATE_INT_H
#define VERDICT_INVESTIGATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/cond.h"
#include "core/investigate.h"
#include "core/store.h"

#define MAX_VARS 40

/* Monotonic time, for the trace only. */
static inline int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- result rows ------------------------------------------------------- */

struct rowset {
	size_t ncols;
	char **names;
	size_t nrows, cap;
	char **cells;      /* nrows * ncols, NULL for SQL NULL */
	bool *numeric;
	bool truncated;    /* the store stopped at max_rows */
	int failed;        /* an error the row callback met, or 0 */
};

/* ---- the investigation's state ----------------------------------------- */

struct trigger {
	struct event ev;    /* owned copy, raw not kept */
	bool sample;        /* attrs.sample: a generated sample finding */
	char *event_source; /* attrs.event_source */
	struct injection_flag *flags; /* instruction-like text in the raw */
	size_t nflags;
};

struct fired {
	size_t step, rule;
	int score;
	bool key;
	char *text;
	char **cited;
	size_t ncited;
};

struct inv {
	struct store *st;
	const struct kb_data *kb;
	struct threat t;
	struct trigger *trig;
	size_t ntrig;
	const struct playbook *pb;
	bool has_window;
	int64_t win_start, win_end;
	bool real;
	char *real_reason;
	struct blast *blast;
	bool blast_tried;
	char *blast_err;
	struct fired *fired;
	size_t nfired;
	struct {
		char *source;
		bool present;
	} req[16];          /* requires checks already made */
	size_t nreq;
};

/* ---- parameters -------------------------------------------------------- */

enum param_id {
	P_ACTOR, P_SRC_IP, P_RESOURCE, P_HOST, P_CONTAINER, P_ACCOUNT, P_REGION,
	P_DETECTION, P_START, P_END, P_WIN_START, P_WIN_END, P_EVENT_ID,
	P_THREAT_ID, P_BASE_START, P_SOURCE, P_COUNT
};

struct params {
	struct store_param p[P_COUNT];
};

/* ---- one step ---------------------------------------------------------- */

/* What a step runner hands back besides its rows. */
struct step_run {
	const struct pb_step *ps;
	struct step_result *out;
	struct rowset rows;
	int cite_col;             /* column of ids to cite, or -1 */
	const char *cite_prefix;  /* e.g. "allowlist:" */
	unsigned char *cite_default; /* rows cited when no predicate chose:
				      * NULL means every row */
	struct cond_var vars[MAX_VARS];
	size_t nvars;
	struct params params;
	char *gap;
};

/* ---- between the files ------------------------------------------------- */

/* investigate_steps.c */

/* Run step index of the playbook into *out (the caller disposes it). */
int investigate_run_step(struct inv *iv, size_t index, struct step_result *out);
/* Run step ps (of the playbook, or made up by a caller) as step index. */
int investigate_run_pb_step(struct inv *iv, const struct pb_step *ps,
			    size_t index, struct step_result *out);
/* A cell of the rows, NULL for SQL NULL or out of range; borrowed. */
const char *investigate_rows_cell(const struct rowset *rs, size_t row, int col);
/* The `allows(action)` predicate of rules: ctx is the struct inv. */
struct cond_value investigate_allows_cb(void *ctx, const char *action);
/* The threat's blast radius, computed once; NULL when it failed. */
const struct blast *investigate_get_blast(struct inv *iv);
/* Give the rules variable name (dropped past MAX_VARS). */
void investigate_add_var(struct step_run *sr, const char *name,
			 struct cond_value v);
/* The variables every step sees, from the threat. */
void investigate_threat_vars(const struct inv *iv, struct step_run *sr);

/* investigate.c */

/* Apply the step's rules to its rows: findings, score and citations. */
int investigate_apply_rules(struct inv *iv, struct step_run *sr,
			    size_t step_index);

#endif
