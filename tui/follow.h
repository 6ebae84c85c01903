/* SPDX-License-Identifier: Apache-2.0 */
/* follow: `--follow PATH|-` for the console. A background thread tails
 * files, directories and stdin, ingests what is appended through the
 * ordinary ingest path on a store connection of its own, builds threats,
 * runs the Sigma rules and investigates, as `verdict ingest` does. It never
 * touches the terminal: the main loop asks it for news. */
#ifndef VERDICT_FOLLOW_H
#define VERDICT_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct follow;

/* What the follower did since the main loop last asked. */
struct follow_news {
	uint64_t rounds;        /* rounds that stored something */
	uint64_t events;        /* records normalized into events */
	uint64_t threats;       /* new threats, built and from Sigma rules */
	uint64_t investigated;  /* reports written */
	uint64_t rejected;      /* records the adapters rejected */
	char error[256];        /* the latest failure, or "" */
};

/* Start following paths (files, directories, "-" for stdin) into the store
 * at db, investigating with the knowledge base kb_dir (NULL: the default).
 * Returns 0 or a negative code with a message. */
int follow_start(const char *db, const char *kb_dir, const char *const *paths,
		 size_t npaths, struct follow **out);

/* True (and *news filled, the tallies reset) when the follower finished a
 * round that stored something, or failed, since the last call. */
bool follow_poll(struct follow *f, struct follow_news *news);

/* Stop the thread, wait for it, and free everything. */
void follow_stop(struct follow *f);

#endif
