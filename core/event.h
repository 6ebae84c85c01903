/* SPDX-License-Identifier: Apache-2.0 */
/* event: the normalized event every adapter produces (see DESIGN.md). */
#ifndef VERDICT_EVENT_H
#define VERDICT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The text fields of an event, in column order. A NULL field is absent:
 * adapters never store "" or "0" for a value the source lacks. */
enum event_field {
	EF_ID,            /* stable across re-ingestion */
	EF_SOURCE,        /* cloudtrail, k8s_audit, guardduty, falco, ... */
	EF_KIND,          /* api_call, login, finding, runtime_alert, flow */
	EF_ACTION,        /* event name, verb or rule name */
	EF_ACTOR,         /* principal: ARN, user, service account */
	EF_ACTOR_TYPE,    /* IAMUser, AssumedRole, ServiceAccount, ... */
	EF_SRC_IP,        /* canonical address text */
	EF_SRC_DOMAIN,    /* caller host name when it is a name */
	EF_DST_IP,
	EF_PROTOCOL,      /* tcp, udp, icmp, or the number as text */
	EF_RESOURCE,      /* what was acted on */
	EF_RESOURCE_TYPE,
	EF_ACCOUNT,
	EF_REGION,
	EF_OUTCOME,       /* success, failure */
	EF_ERROR_CODE,
	EF_USER_AGENT,
	EF_HOST,
	EF_CONTAINER,
	EF_SEVERITY,      /* low, medium, high, critical, unknown */
	EF_COUNT
};

/* Column names of enum event_field, in order. */
extern const char *const event_field_names[EF_COUNT];

#define EVENT_NO_PORT (-1)

struct event {
	char *str[EF_COUNT];  /* owned, valid UTF-8, NULL when absent */
	bool has_time;
	int64_t time_ns;      /* UTC nanoseconds since the epoch */
	int src_port;         /* 0-65535, or EVENT_NO_PORT */
	int dst_port;
	bool has_severity_score;
	double severity_score; /* the source's own number, e.g. 8.9 */
	char *attrs;          /* owned JSON object text of extra fields, or NULL */
	const char *raw;      /* borrowed: the original record bytes */
	size_t raw_len;
	int rank;             /* a record with the same id and a higher rank
			       * replaces a stored one (k8s audit stages) */
};

void event_init(struct event *ev);
/* Free the owned fields; ev may be reused after event_init. */
void event_dispose(struct event *ev);

/* Set field f to a copy of s (repairing ill-formed UTF-8). s NULL leaves the
 * field absent. Returns 0 or ERR_NOMEM. */
int event_set(struct event *ev, enum event_field f, const char *s);
int event_setn(struct event *ev, enum event_field f, const char *s, size_t n);
int event_setf(struct event *ev, enum event_field f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Map a GuardDuty-style number to its band: [1,4) low, [4,7) medium,
 * [7,9) high, [9,10] critical, anything else unknown. */
const char *event_severity_band(double score);

/* Normalize a severity word ("High", "CRITICAL", "Warning", "Notice"...) to
 * low, medium, high, critical, info or unknown. */
const char *event_severity_word(const char *word);

#endif
