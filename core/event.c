/* SPDX-License-Identifier: Apache-2.0 */
/* event: the normalized event every adapter produces. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/event.h"
#include "core/utf8.h"

const char *const event_field_names[EF_COUNT] = {
	"id", "source", "kind", "action", "actor", "actor_type", "src_ip",
	"src_domain", "dst_ip", "protocol", "resource", "resource_type",
	"account", "region", "outcome", "error_code", "user_agent", "host",
	"container", "severity",
};

void
event_init(struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->src_port = EVENT_NO_PORT;
	ev->dst_port = EVENT_NO_PORT;
}

void
event_dispose(struct event *ev)
{
	if (!ev)
		return;
	for (int i = 0; i < EF_COUNT; i++)
		free(ev->str[i]);
	free(ev->attrs);
	event_init(ev);
}

int
event_setn(struct event *ev, enum event_field f, const char *s, size_t n)
{
	char *copy;

	if (!s)
		return 0;
	copy = utf8_dup_repaired(s, n);
	if (!copy)
		return err_set(ERR_NOMEM, "out of memory copying field %s",
			       event_field_names[f]);
	free(ev->str[f]);
	ev->str[f] = copy;
	return 0;
}

int
event_set(struct event *ev, enum event_field f, const char *s)
{
	return s ? event_setn(ev, f, s, strlen(s)) : 0;
}

int
event_setf(struct event *ev, enum event_field f, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return err_set(ERR_FIELD, "cannot format field %s",
			       event_field_names[f]);
	return event_setn(ev, f, tmp, (size_t)n < sizeof(tmp) ? (size_t)n
							     : sizeof(tmp) - 1);
}

const char *
event_severity_band(double score)
{
	if (!(score >= 1.0 && score <= 10.0))
		return "unknown";
	if (score < 4.0)
		return "low";
	if (score < 7.0)
		return "medium";
	if (score < 9.0)
		return "high";
	return "critical";
}

/* Severity words of the sources verdict reads, lowercased. */
static const struct {
	const char *word;
	const char *band;
} severity_words[] = {
	{ "emergency", "critical" }, { "alert", "critical" },
	{ "critical", "critical" },  { "fatal", "critical" },
	{ "error", "high" },         { "high", "high" },
	{ "warning", "medium" },     { "warn", "medium" },
	{ "medium", "medium" },      { "moderate", "medium" },
	{ "notice", "low" },         { "low", "low" },
	{ "informational", "info" }, { "information", "info" },
	{ "info", "info" },          { "debug", "info" },
};

const char *
event_severity_word(const char *word)
{
	if (!word)
		return "unknown";
	for (size_t i = 0; i < sizeof(severity_words) / sizeof(severity_words[0]); i++)
		if (strcasecmp(word, severity_words[i].word) == 0)
			return severity_words[i].band;
	return "unknown";
}
