/* SPDX-License-Identifier: Apache-2.0 */
/* threat: what an analyst must decide on. Alerts and findings (and Sigma
 * hits, and events an analyst promotes) become detection hits; hits of the
 * same detection on the same entities inside a window group into one
 * threat with a count. */
#ifndef VERDICT_THREAT_H
#define VERDICT_THREAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"

struct store;

/* The entities of a threat, in column order. NULL when unknown. */
enum threat_entity {
	TE_ACTOR,
	TE_SRC_IP,
	TE_RESOURCE,
	TE_HOST,
	TE_CONTAINER,
	TE_ACCOUNT,
	TE_REGION,
	TE_COUNT
};
extern const char *const threat_entity_names[TE_COUNT];

struct threat {
	char *id;          /* "t-" + 32 hex: hash of detection, entities, first hit */
	char *detection;   /* source-qualified: "guardduty:Recon:EC2/PortProbe...",
			    * "falco:Terminal shell in container",
			    * "sigma:<rule id>", "pivot:<event id>" */
	char *title;       /* one line for the queue */
	char *source;      /* guardduty, falco, ocsf, asff, wiz, sigma, pivot */
	char *severity;    /* info, low, medium, high, critical, unknown */
	char *status;      /* new, investigating, decided */
	char *ent[TE_COUNT];
	bool has_time;
	int64_t first_ns;  /* first and last hit, UTC ns */
	int64_t last_ns;
	uint64_t count;    /* hits grouped into this threat */
	char *tactics;     /* JSON array text of ATT&CK tactics/techniques, or NULL */
	char *verdict;     /* from the latest report, or NULL */
	int confidence;    /* 0-100 from the latest report, -1 if none */
	char *kb_version;  /* knowledge base the latest report used, or NULL */
};

void threat_init(struct threat *t);
void threat_dispose(struct threat *t);

/* One detection firing on one event. */
struct detection_hit {
	const char *detection; /* as threat.detection */
	const char *title;
	const char *source;
	const char *severity;  /* NULL: the event's severity */
	const char *tactics;   /* JSON array text or NULL */
	const struct event *ev; /* the triggering event: entities and time */
};

/* Hits further apart than this start a new threat. */
#define THREAT_WINDOW_NS (24LL * 3600 * 1000000000)

/* Group hit into a threat (new or existing) and link its event. Idempotent:
 * the same hit twice changes nothing. *threat_id (optional, caller frees)
 * names the threat. */
int threat_add_hit(struct store *st, const struct detection_hit *hit,
		   char **threat_id);

/* Turn every alert-like event (findings, runtime alerts, detections) not
 * yet linked to a threat into hits. *added counts new threats. */
int threat_build(struct store *st, uint64_t *added);

/* An analyst's pivot: make a threat of one stored event. */
int threat_promote(struct store *st, const char *event_id, char **threat_id);

/* What threat_list selects; NULL members do not filter. */
struct threat_filter {
	const char *status;
	const char *severity; /* this severity or higher */
	const char *source;
	const char *id;
	size_t limit;         /* 0: all */
};

/* Severity order for sorting and filtering: info 0 ... critical 4,
 * unknown -1. */
int threat_severity_rank(const char *severity);

/* The grouping key of a threat's entities: a hash of actor, source
 * address, resource, host, container and account. Region is left out:
 * one principal's activity spans regions (IAM and STS log to us-east-1
 * while the rest logs where it ran). out needs THREAT_KEY_BUFSZ bytes;
 * returns out. */
#define THREAT_KEY_BUFSZ 33
char *threat_entity_key(const char *const ent[TE_COUNT], char *out);

#endif
