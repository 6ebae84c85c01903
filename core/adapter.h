/* SPDX-License-Identifier: Apache-2.0 */
/* adapter: one per input format; the table that ingest detects with. */
#ifndef VERDICT_ADAPTER_H
#define VERDICT_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/event.h"

/* One identity-configuration object (from get-account-authorization-details). */
struct identity_item {
	const char *kind;    /* user, group, role, policy */
	const char *arn;
	const char *name;
	const char *id;      /* UserId, RoleId, PolicyId ... or NULL */
	const char *account; /* from the ARN, or NULL */
	const char *doc;     /* the entry as JSON text */
};

/* Where an adapter sends what it makes of one record. ingest supplies one
 * that writes to the store; tests use sink_collect. */
struct ingest_sink {
	/* Take ev (the callee disposes it). Returns 0 or a negative code. */
	int (*emit)(struct ingest_sink *sink, struct event *ev);
	int (*identity)(struct ingest_sink *sink, const struct identity_item *it);
	/* A field-level problem: the record is kept, field left absent. */
	void (*warn)(struct ingest_sink *sink, const char *field,
		     const char *msg);
	/* The record is not an event (digest file, unsupported envelope). */
	void (*skip)(struct ingest_sink *sink, const char *reason);
	void *ctx;
};

struct adapter {
	const char *name; /* --format name; also the event source label */
	const char *description;
	/* How surely rec is a record of this format: 0 (no) to 100. */
	int (*detect)(const cJSON *rec);
	/* Normalize rec, whose original bytes are raw[0..raw_len), emitting
	 * zero or more events. Returns 0, or a negative code with err_set()
	 * naming the field when the record is rejected. */
	int (*normalize)(const cJSON *rec, const char *raw, size_t raw_len,
			 struct ingest_sink *sink);
};

/* The adapters, NULL-terminated, in detection order. */
extern const struct adapter *const adapter_table[];
const struct adapter *adapter_find(const char *name);
/* The adapter scoring highest for rec, or NULL. */
const struct adapter *adapter_detect(const cJSON *rec);

/* Each format's adapter (defined in its own file). */
extern const struct adapter adapter_cloudtrail;
extern const struct adapter adapter_guardduty;
extern const struct adapter adapter_asff;
extern const struct adapter adapter_falco;
extern const struct adapter adapter_k8s_audit;
extern const struct adapter adapter_vpcflow;   /* JSON flow records */
extern const struct adapter adapter_ocsf;
extern const struct adapter adapter_iam_authz;
extern const struct adapter adapter_wiz;       /* Wiz Defend detections */

/* A sink that collects events in memory, for tests and tools. */
struct event_list {
	struct event *v;
	size_t n, cap;
	size_t warnings, skips, identities;
	char last_warn[256];
	char last_skip[256];
};
void sink_collect_init(struct ingest_sink *sink, struct event_list *list);
void event_list_dispose(struct event_list *list);

/* Shared helpers for adapters. */
/* Set EF_SRC_IP or EF_SRC_DOMAIN from a caller string: an address, a host
 * name, or a label such as "AWS Internal" (neither; recorded in attrs by
 * the caller if wanted). Returns 1 if IP, 2 if domain, 0 neither. */
int adapter_set_source(struct event *ev, const char *s);
/* Set the event time from an ISO string; warns through sink if bad. */
void adapter_set_time(struct event *ev, struct ingest_sink *sink,
		      const char *field, const char *s);
/* Hex id from a hash of the raw bytes, for sources without their own id. */
int adapter_hash_id(struct event *ev, const char *prefix, const char *raw,
		    size_t raw_len);

/* Serialize obj (taken, deleted) as ev->attrs. An empty object leaves
 * attrs NULL. Returns 0 or ERR_NOMEM. */
int adapter_attrs(struct event *ev, cJSON *obj);

/* ---- Kubernetes helpers shared by k8s_audit and falco ------------------ */

/* service_account, node, anonymous or user, from a Kubernetes username's
 * prefix (system:serviceaccount:, system:node:, system:anonymous). */
const char *k8saudit_actor_type(const char *username);
/* Set EF_RESOURCE ("namespace/name"; the name alone when cluster-scoped;
 * the namespace alone when there is no name) and EF_RESOURCE_TYPE
 * ("pods", or "pods/exec" with a subresource). Any argument may be NULL. */
int k8saudit_set_resource(struct event *ev, const char *resource,
			  const char *subresource, const char *ns,
			  const char *name);

/* ---- text VPC Flow Logs --------------------------------------------- */

/* The field order of a flow log: from a header line or --vpc-fields. */
struct vpcflow_layout;

/* Parse a header line ("version account-id interface-id ...") or a
 * configured field list into a layout (caller frees with
 * vpcflow_layout_free). Returns 0, or ERR_FORMAT naming the unknown field. */
int vpcflow_layout_parse(const char *line, size_t n,
			 struct vpcflow_layout **out);
void vpcflow_layout_free(struct vpcflow_layout *l);
/* True if line looks like a flow log header (its first word is a known
 * field name such as "version"). */
int vpcflow_is_header(const char *line, size_t n);
/* Normalize one record line. Returns 0, or a negative code with err_set()
 * naming the field. */
int vpcflow_line(const struct vpcflow_layout *l, const char *line, size_t n,
		 struct ingest_sink *sink);

#endif
