/* SPDX-License-Identifier: Apache-2.0 */
/* progress: a one-line progress bar on a terminal's stderr. */
#ifndef VERDICT_PROGRESS_H
#define VERDICT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool on;          /* stderr is a terminal and the user wants it */
	uint64_t total;   /* bytes expected, 0 if unknown */
	int64_t last_ns;  /* when the bar was last drawn */
	int64_t start_ns;
	bool drawn;
};

void progress_init(struct progress *p, bool on, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
/* Erase the bar so other output starts on a clean line. */
void progress_clear(struct progress *p);

#endif
