/* SPDX-License-Identifier: Apache-2.0 */
/* error: one table of error codes and a per-thread last message. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

static _Thread_local char last_msg[1024];

static const struct {
	int code;
	const char *text;
} err_table[] = {
	{ ERR_OK, "success" },
	{ ERR_NOMEM, "out of memory" },
	{ ERR_IO, "input/output error" },
	{ ERR_PARSE, "syntax error" },
	{ ERR_FIELD, "bad field" },
	{ ERR_FORMAT, "unknown format" },
	{ ERR_TOOBIG, "record too large" },
	{ ERR_STORE, "event store error" },
	{ ERR_READONLY, "read-only" },
	{ ERR_USAGE, "usage error" },
	{ ERR_NOTFOUND, "not found" },
	{ ERR_UNSUPPORTED, "not supported" },
};

int
err_setv(int code, const char *fmt, va_list ap)
{
	char msg[sizeof(last_msg)];

	/* Formatted aside first: a caller may pass err_msg() itself, to wrap
	 * the last message in a new one. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	memcpy(last_msg, msg, sizeof(msg));
	return code;
}

int
err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

const char *
err_msg(void)
{
	return last_msg;
}

const char *
err_str(int code)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == code)
			return err_table[i].text;
	return "unknown error";
}

void
err_clear(void)
{
	last_msg[0] = '\0';
}
