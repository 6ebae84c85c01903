/* SPDX-License-Identifier: Apache-2.0 */
/* ingest: walking inputs, detecting formats per file and per record,
 * normalizing through the adapters and writing to the store. */
#ifndef VERDICT_INGEST_H
#define VERDICT_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store;

/* The largest single record (one JSON value or one text line). Larger ones
 * are reported and skipped without being held in memory. */
#define INGEST_MAX_RECORD (64u << 20)

/* Per-source tallies for the summary. */
struct ingest_source_stats {
	char name[32];
	uint64_t events;     /* records normalized into events */
	uint64_t added;      /* events new to the store */
	uint64_t identities; /* identity objects stored */
	uint64_t warnings;   /* fields left absent because they were bad */
	uint64_t errors;     /* records this adapter rejected */
};

struct ingest_skip_reason {
	char reason[128];
	uint64_t count;
};

struct ingest_stats {
	struct ingest_source_stats src[16];
	size_t nsrc;
	struct ingest_skip_reason skip[32];
	size_t nskip;
	uint64_t files;
	uint64_t records;
	uint64_t errors;  /* records rejected */
	uint64_t warnings; /* fields left absent */
	uint64_t bytes;
};

/* Called for each diagnostic: severity "error", "warning" or "skipped",
 * and a message "path:line: record N: field F: text". */
typedef void (*ingest_diag_fn)(void *ctx, const char *severity,
			       const char *msg);
/* Called now and then with input bytes done and total (0 if unknown). */
typedef void (*ingest_progress_fn)(void *ctx, uint64_t done, uint64_t total);

struct ingest_opts {
	const char *format;     /* force an adapter by name, or NULL */
	const char *vpc_fields; /* layout for header-less flow logs, or NULL */
	ingest_diag_fn diag;
	ingest_progress_fn progress;
	void *ctx;
	size_t max_record;      /* 0 means INGEST_MAX_RECORD */
	size_t batch;           /* events per transaction, 0 means 5000 */
	unsigned max_diags;     /* diagnostics per file before summarising */
	bool report_skips;      /* also send each skipped record to diag */
	/* True for a file met while walking a directory that must not be
	 * read (the store's own files); may be NULL. */
	bool (*skip_path)(void *ctx, const char *path);
};

struct ingest;

int ingest_new(struct store *st, const struct ingest_opts *opts,
	       struct ingest **out);
void ingest_free(struct ingest *in);

/* Ingest a file, a directory (recursively, sorted) or "-" for stdin.
 * Errors in records are counted and reported through opts->diag; the
 * return value is negative only when the input or store cannot be used. */
int ingest_path(struct ingest *in, const char *path);
/* Flush the last batch. */
int ingest_finish(struct ingest *in);

const struct ingest_stats *ingest_stats(const struct ingest *in);

/* Total bytes of the regular files under the given paths (for progress). */
uint64_t ingest_total_bytes(const char *const *paths, size_t n);

#endif
