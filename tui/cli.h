/* SPDX-License-Identifier: Apache-2.0 */
/* cli: the subcommand table, shared options and exit codes. */
#ifndef VERDICT_CLI_H
#define VERDICT_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Exit codes, documented in verdict(1). */
enum cli_exit {
	EXIT_OK = 0,        /* everything went through */
	EXIT_PARTIAL = 1,   /* done, but some records or inputs were rejected */
	EXIT_USAGE = 2,     /* bad command line */
	EXIT_FAILURE_ = 3,  /* the store or an essential input failed */
};

/* Options every subcommand understands. */
struct cli_global {
	const char *db;     /* --db PATH, or NULL for the default */
	const char *trace;  /* --trace FILE */
	const char *kb;     /* --kb PATH: the knowledge base folder */
	bool quiet;
	bool verbose;
};

struct cli_command {
	const char *name;
	int (*run)(struct cli_global *g, int argc, char **argv);
	const char *args;
	const char *summary;
};

extern const struct cli_command cli_commands[];

/* Parse a global option at argv[*i] (--db, --kb, --trace, -q, -v); returns true
 * and advances *i when it was one. Exits with a message on a missing
 * value. */
bool cli_global_opt(struct cli_global *g, int argc, char **argv, int *i);

/* The value of option argv[*i] ("--x VALUE" or "--x=VALUE"), advancing *i;
 * exits with a usage error if missing. */
const char *cli_value(int argc, char **argv, int *i, const char *opt);

/* True when argv[*i] is opt, alone or as "opt=value". */
bool cli_is(const char *arg, const char *opt);

/* The store path to use: --db, else the XDG default. Caller frees. */
char *cli_db_path(const struct cli_global *g);

/* Print "verdict: message" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_ingest(struct cli_global *g, int argc, char **argv);
int cmd_events(struct cli_global *g, int argc, char **argv);
int cmd_sql(struct cli_global *g, int argc, char **argv);
int cmd_formats(struct cli_global *g, int argc, char **argv);
int cmd_threats(struct cli_global *g, int argc, char **argv);   /* cmd_threats.c */
int cmd_promote(struct cli_global *g, int argc, char **argv);   /* cmd_threats.c */
int cmd_investigate(struct cli_global *g, int argc, char **argv); /* cmd_investigate.c */

struct store;
/* Investigate every threat in st that has no report yet, with the
 * knowledge base of --kb or the default (cmd_investigate.c). *done counts
 * the reports written. Returns the number of knowledge-base problems (each
 * printed), or a negative code when the store failed. */
int cli_investigate_pending(struct cli_global *g, struct store *st,
			    unsigned *done);
int cmd_detect(struct cli_global *g, int argc, char **argv);    /* cmd_detect.c */
int cmd_console(struct cli_global *g, int argc, char **argv);   /* cmd_console.c */
int cmd_kb(struct cli_global *g, int argc, char **argv);        /* cmd_kb.c */
int cmd_feedback(struct cli_global *g, int argc, char **argv);  /* cmd_kb.c */
int cmd_demo(struct cli_global *g, int argc, char **argv);      /* cmd_console.c */
/* Run the Sigma rules of --kb (or the default knowledge base) over the
 * events stored at or after ingested_since_ns (UTC ns), as `verdict
 * ingest` does after storing (cmd_detect.c). *new_threats counts the
 * threats raised. A knowledge base without rules/sigma detects nothing.
 * Returns 0 or a negative code. */
int cli_detect_ingested(struct cli_global *g, struct store *st,
			int64_t ingested_since_ns, uint64_t *new_threats);

#endif
