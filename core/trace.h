/* SPDX-License-Identifier: Apache-2.0 */
/* trace: a levelled log sink that main installs; off by default. */
#ifndef VERDICT_TRACE_H
#define VERDICT_TRACE_H

enum trace_level { TRACE_ERROR, TRACE_WARN, TRACE_INFO, TRACE_DEBUG };

/* Open path for appending trace lines up to level; NULL path closes. */
int trace_open(const char *path, enum trace_level level);
void trace_close(void);

/* Would a line of level be written? (Skip costly tracing when not.) */
_Bool trace_on(enum trace_level level);

void trace(enum trace_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
