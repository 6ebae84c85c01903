/* SPDX-License-Identifier: Apache-2.0 */
/* trace: a levelled log sink that main installs; off by default. */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "core/error.h"
#include "core/trace.h"

static FILE *trace_file;
static enum trace_level trace_max = TRACE_ERROR;
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;

int
trace_open(const char *path, enum trace_level level)
{
	trace_close();
	if (!path)
		return 0;
	trace_file = fopen(path, "a");
	if (!trace_file)
		return err_set(ERR_IO, "%s: cannot open trace file", path);
	trace_max = level;
	return 0;
}

void
trace_close(void)
{
	if (trace_file)
		fclose(trace_file);
	trace_file = NULL;
}

bool
trace_on(enum trace_level level)
{
	return trace_file && level <= trace_max;
}

void
trace(enum trace_level level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	struct timespec ts;
	va_list ap;

	if (!trace_file || level > trace_max)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&trace_lock);
	fprintf(trace_file, "%lld.%06ld %s ", (long long)ts.tv_sec,
		ts.tv_nsec / 1000, names[level]);
	va_start(ap, fmt);
	vfprintf(trace_file, fmt, ap);
	va_end(ap);
	fputc('\n', trace_file);
	fflush(trace_file);
	pthread_mutex_unlock(&trace_lock);
}
