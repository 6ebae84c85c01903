/* SPDX-License-Identifier: Apache-2.0 */
/* error: one table of error codes and a per-thread last message. */
#ifndef VERDICT_ERROR_H
#define VERDICT_ERROR_H

#include <stdarg.h>

/* Fallible functions return 0 or one of these negative codes. */
enum err_code {
	ERR_OK = 0,
	ERR_NOMEM = -1,     /* out of memory */
	ERR_IO = -2,        /* reading or writing a file failed */
	ERR_PARSE = -3,     /* input is not in the expected syntax */
	ERR_FIELD = -4,     /* a record lacks a field or has a bad value */
	ERR_FORMAT = -5,    /* input is not a format verdict knows */
	ERR_TOOBIG = -6,    /* a record is over the size limit */
	ERR_STORE = -7,     /* the event store failed */
	ERR_READONLY = -8,  /* a write was refused by a read-only handle */
	ERR_USAGE = -9,     /* bad arguments from the caller */
	ERR_NOTFOUND = -10, /* no such object */
	ERR_UNSUPPORTED = -11
};

/* Record a formatted message for the calling thread and return code. */
int err_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int err_setv(int code, const char *fmt, va_list ap);

/* The last message recorded on this thread (borrowed, "" if none). */
const char *err_msg(void);

/* A short fixed description of code. */
const char *err_str(int code);

/* Forget the last message. */
void err_clear(void);

#endif
