/* SPDX-License-Identifier: Apache-2.0 */
/* sigma: Sigma detection rules over raw CloudTrail and Kubernetes audit
 * records: loading the YAML, compiling each rule once, matching records,
 * and running the rules over stored events so that hits become threats.
 *
 * Semantics follow the Sigma specification: a map is AND, a list of maps
 * is OR, a list of values is OR (AND with `all`); plain and wildcard
 * matches are ASCII case-insensitive, `re` is case-sensitive unless `i`.
 * Field names are dotted paths into the raw record; a path that crosses
 * an array, and a field whose value is an array or object, match when any
 * element or any scalar inside does. A rule that needs something this
 * engine does not do is reported with the reason and never evaluated. */
#ifndef VERDICT_SIGMA_H
#define VERDICT_SIGMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/buf.h"

struct store;

/* The log sources rules run on. */
enum sigma_source {
	SIGMA_CLOUDTRAIL,  /* logsource product aws, service cloudtrail */
	SIGMA_K8S_AUDIT,   /* logsource product kubernetes, service audit */
	SIGMA_SOURCE_COUNT
};

/* The event source (events.source) each log source reads. */
extern const char *const sigma_source_events[SIGMA_SOURCE_COUNT];

struct sigma_detection; /* compiled search identifiers and condition */

struct sigma_rule {
	char *file;        /* where it was read from, for messages */
	char *title;
	char *id;          /* the rule's UUID, or NULL */
	char *status, *level, *description, *author, *date;
	char *product, *service, *category; /* logsource */
	char **tags;
	size_t ntags;
	char **fields;
	size_t nfields;
	char **falsepositives;
	size_t nfalsepositives;
	char **references;
	size_t nreferences;
	enum sigma_source source;
	const char *severity; /* static: info, low, medium, high, critical,
			       * unknown (from level) */
	char *tactics;        /* JSON array text of the attack.* tags, or NULL */
	struct sigma_detection *det;
};

/* A rule file that was not loaded, and why (one line). */
struct sigma_skip {
	char *file;
	char *title;  /* NULL when the file did not get that far */
	char *id;
	char *reason;
};

struct sigma_index; /* private: field table and per-source rule lists */

struct sigma_ruleset {
	struct sigma_rule **rules; /* loaded, in file path order */
	size_t nrules;
	struct sigma_skip *skips;  /* not loaded: unsupported or invalid */
	size_t nskips;
	char **notes;              /* loaded with a caveat: "file: text" */
	size_t nnotes;
	struct sigma_index *ix;
};

int sigma_ruleset_new(struct sigma_ruleset **out);
void sigma_ruleset_free(struct sigma_ruleset *rs);

/* Load a rule file, or every .yml and .yaml file under a directory
 * (recursively, in path order). A rule that cannot be loaded lands in
 * rs->skips with its reason; the return value is negative only when path
 * itself cannot be read. */
int sigma_ruleset_load(struct sigma_ruleset *rs, const char *path);

/* Add one rule from YAML text; name names it in messages. Returns 0 when
 * it loaded, else ERR_UNSUPPORTED or ERR_PARSE with err_msg() giving the
 * reason (also recorded in rs->skips), or ERR_NOMEM. */
int sigma_ruleset_add(struct sigma_ruleset *rs, const char *name,
		      const char *yaml, size_t len);

/* ---- matching ---- */

/* Per-record evaluation state: caches each field's lookup for the record
 * being matched. One per thread. */
struct sigma_matcher;

int sigma_matcher_new(const struct sigma_ruleset *rs,
		      struct sigma_matcher **out);
void sigma_matcher_free(struct sigma_matcher *m);

/* Called for each rule that matches; non-zero stops and is returned. */
typedef int (*sigma_hit_fn)(void *ctx, const struct sigma_rule *r);

/* Match every rule of source against one parsed record. */
int sigma_match(struct sigma_matcher *m, enum sigma_source source,
		const cJSON *record, sigma_hit_fn cb, void *ctx);

/* The same from raw bytes, prepared with jsonscan_prepare and parsed once
 * for all rules. ERR_PARSE when they are not a JSON object. */
int sigma_match_raw(struct sigma_matcher *m, enum sigma_source source,
		    const char *raw, size_t len, sigma_hit_fn cb, void *ctx);

/* Whether one rule matches one record. */
bool sigma_rule_match(struct sigma_matcher *m, const struct sigma_rule *r,
		      const cJSON *record);

/* ---- detection over the store ---- */

struct sigma_run_opts {
	bool has_since;          /* only events at or after since_ns */
	int64_t since_ns;
	bool has_ingested_since; /* only events stored at or after this
				  * (detection right after an ingest) */
	int64_t ingested_since_ns;
	bool dry_run;            /* count hits, raise no threats */
};

struct sigma_run_stats {
	uint64_t events;     /* records the rules ran on */
	uint64_t unparsed;   /* raw records that were not a JSON object */
	uint64_t hits;       /* rule matches */
	uint64_t *rule_hits; /* per rs->rules index (rs->nrules of them) */
	uint64_t threats_new;
};

/* Run every rule over the stored events of their log sources, in time
 * order (ties in storage order), each record parsed once for all rules;
 * each hit goes to threat_add_hit (unless dry_run), all in one
 * transaction. *stats is filled (free rule_hits with
 * sigma_run_stats_dispose). Returns 0 or the first store error. */
int sigma_run(struct store *st, const struct sigma_ruleset *rs,
	      const struct sigma_run_opts *o, struct sigma_run_stats *stats);
void sigma_run_stats_dispose(struct sigma_run_stats *s);

/* Append the rule as one SQLite boolean expression over the events
 * table's raw column (json_extract, json_tree, LIKE, GLOB, REGEXP), with
 * the same meaning as the matcher: what `verdict detect --sql` prints and
 * the benchmark runs. */
int sigma_rule_sql(const struct sigma_ruleset *rs, const struct sigma_rule *r,
		   struct buf *out);

#endif
