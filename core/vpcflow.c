/* SPDX-License-Identifier: Apache-2.0 */
/* vpcflow: AWS VPC Flow Logs, as text lines in a header's field order or
 * as JSON flow records, into flow events. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/jsonu.h"
#include "core/netaddr.h"
#include "core/timeutil.h"
#include "core/utf8.h"

/* How a flow log field's value lands in the event. */
enum flow_kind {
	FK_TEXT,      /* a text attribute */
	FK_COLUMN,    /* text into an event column */
	FK_COUNT,     /* a non-negative integer attribute */
	FK_ADDR,      /* an address into an event column */
	FK_ADDR_ATTR, /* an address attribute */
	FK_SRC_PORT,
	FK_DST_PORT,
	FK_PROTOCOL,
	FK_ACTION,
	FK_START,     /* epoch seconds: the event time */
	FK_END,       /* epoch seconds: an attribute */
};

/* Every documented field of the default and custom formats (v2 to v8).
 * The attrs key is the name with '-' made '_'. */
static const struct flow_field {
	const char *name;    /* as in the text header */
	const char *json[2]; /* keys of JSON flow records, or NULL */
	enum flow_kind kind;
	enum event_field column; /* for FK_COLUMN and FK_ADDR */
} flow_fields[] = {
	{ "version", { "version" }, FK_COUNT, 0 },
	{ "account-id", { "accountId", "account" }, FK_COLUMN, EF_ACCOUNT },
	{ "interface-id", { "interfaceId" }, FK_COLUMN, EF_RESOURCE },
	{ "srcaddr", { "srcAddr" }, FK_ADDR, EF_SRC_IP },
	{ "dstaddr", { "dstAddr" }, FK_ADDR, EF_DST_IP },
	{ "srcport", { "srcPort" }, FK_SRC_PORT, 0 },
	{ "dstport", { "dstPort" }, FK_DST_PORT, 0 },
	{ "protocol", { "protocol" }, FK_PROTOCOL, 0 },
	{ "packets", { "packets" }, FK_COUNT, 0 },
	{ "bytes", { "bytes" }, FK_COUNT, 0 },
	{ "start", { "start" }, FK_START, 0 },
	{ "end", { "end" }, FK_END, 0 },
	{ "action", { "action" }, FK_ACTION, 0 },
	{ "log-status", { "logStatus", "status" }, FK_TEXT, 0 },
	{ "vpc-id", { "vpcId" }, FK_TEXT, 0 },
	{ "subnet-id", { "subnetId", "subNetId" }, FK_TEXT, 0 },
	{ "instance-id", { "instanceId" }, FK_COLUMN, EF_HOST },
	{ "tcp-flags", { "tcpFlags" }, FK_COUNT, 0 },
	{ "type", { "type" }, FK_TEXT, 0 },
	{ "pkt-srcaddr", { "pktSrcAddr" }, FK_ADDR_ATTR, 0 },
	{ "pkt-dstaddr", { "pktDstAddr" }, FK_ADDR_ATTR, 0 },
	{ "region", { "region" }, FK_COLUMN, EF_REGION },
	{ "az-id", { "azId" }, FK_TEXT, 0 },
	{ "sublocation-type", { "sublocationType" }, FK_TEXT, 0 },
	{ "sublocation-id", { "sublocationId" }, FK_TEXT, 0 },
	{ "pkt-src-aws-service", { "pktSrcAwsService" }, FK_TEXT, 0 },
	{ "pkt-dst-aws-service", { "pktDstAwsService" }, FK_TEXT, 0 },
	{ "flow-direction", { "flowDirection" }, FK_TEXT, 0 },
	{ "traffic-path", { "trafficPath" }, FK_COUNT, 0 },
	{ "ecs-cluster-arn", { "ecsClusterArn" }, FK_TEXT, 0 },
	{ "ecs-cluster-name", { "ecsClusterName" }, FK_TEXT, 0 },
	{ "ecs-container-instance-arn", { "ecsContainerInstanceArn" }, FK_TEXT, 0 },
	{ "ecs-container-instance-id", { "ecsContainerInstanceId" }, FK_TEXT, 0 },
	{ "ecs-container-id", { "ecsContainerId" }, FK_TEXT, 0 },
	{ "ecs-second-container-id", { "ecsSecondContainerId" }, FK_TEXT, 0 },
	{ "ecs-service-name", { "ecsServiceName" }, FK_TEXT, 0 },
	{ "ecs-task-definition-arn", { "ecsTaskDefinitionArn" }, FK_TEXT, 0 },
	{ "ecs-task-arn", { "ecsTaskArn" }, FK_TEXT, 0 },
	{ "ecs-task-id", { "ecsTaskId" }, FK_TEXT, 0 },
	{ "reject-reason", { "rejectReason" }, FK_TEXT, 0 },
};

#define FLOW_NELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define FLOW_NFIELDS FLOW_NELEMS(flow_fields)

static const struct {
	unsigned number;
	const char *name;
} flow_protocols[] = {
	{ 1, "icmp" }, { 6, "tcp" }, { 17, "udp" }, { 58, "icmpv6" },
};

struct vpcflow_layout {
	size_t n;
	unsigned char field[FLOW_NFIELDS]; /* indexes of flow_fields */
};

/* ---- values ------------------------------------------------------------- */

/* AWS writes "-" for a field with no value; JSON exporters write null,
 * "null" or "". None of these is a value. */
static bool
flow_is_null(const char *s)
{
	return !*s || strcmp(s, "-") == 0 || strcmp(s, "null") == 0;
}

/* Decimal digits only, at most max. */
static bool
flow_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static void
flow_warn(struct ingest_sink *sink, const char *key, const char *what,
	  const char *s)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "not %s: \"%.40s\"", what, s);
	sink->warn(sink, key, msg);
}

static int
flow_attr_add(cJSON *attrs, const struct flow_field *f, cJSON *v)
{
	char key[64];
	size_t i;

	for (i = 0; f->name[i] && i < sizeof(key) - 1; i++)
		key[i] = f->name[i] == '-' ? '_' : f->name[i];
	key[i] = '\0';
	if (!v || !cJSON_AddItemToObject(attrs, key, v)) {
		cJSON_Delete(v);
		return err_set(ERR_NOMEM, "out of memory adding `%s`", f->name);
	}
	return 0;
}

/* An integer attribute written as digits, so none is lost to a double. */
static int
flow_attr_uint(cJSON *attrs, const struct flow_field *f, uint64_t v)
{
	char digits[24];

	snprintf(digits, sizeof(digits), "%" PRIu64, v);
	return flow_attr_add(attrs, f, cJSON_CreateRaw(digits));
}

static void
flow_set_protocol(struct event *ev, uint64_t number)
{
	for (size_t i = 0; i < FLOW_NELEMS(flow_protocols); i++)
		if (flow_protocols[i].number == number) {
			event_set(ev, EF_PROTOCOL, flow_protocols[i].name);
			return;
		}
	event_setf(ev, EF_PROTOCOL, "%" PRIu64, number);
}

static int
flow_set_action(struct event *ev, const char *key, const char *s,
		struct ingest_sink *sink)
{
	if (strcasecmp(s, "ACCEPT") == 0)
		return event_set(ev, EF_ACTION, "ACCEPT");
	if (strcasecmp(s, "REJECT") == 0)
		return event_set(ev, EF_ACTION, "REJECT");
	flow_warn(sink, key, "ACCEPT or REJECT", s);
	return 0;
}

static int
flow_set_start(struct event *ev, const char *key, const char *s,
	       struct ingest_sink *sink)
{
	uint64_t secs;
	int64_t ns;

	if (flow_uint(s, INT64_MAX / 1000000000, &secs)) {
		ev->time_ns = (int64_t)secs * 1000000000;
		ev->has_time = true;
	} else if (timeutil_parse(s, &ns) == 0) {
		ev->time_ns = ns;
		ev->has_time = true;
	} else {
		flow_warn(sink, key, "a time", s);
	}
	return 0;
}

/* Put the value s (not a null) of field f into ev or attrs. key names the
 * field in warnings as the input spelled it. A bad value is warned about
 * and left absent; only running out of memory fails. */
static int
flow_apply(const struct flow_field *f, const char *key, const char *s,
	   struct event *ev, cJSON *attrs, struct ingest_sink *sink)
{
	char ip[NETADDR_BUFSZ];
	uint64_t v;
	int64_t ns;

	switch (f->kind) {
	case FK_TEXT:
		return flow_attr_add(attrs, f, cJSON_CreateString(s));
	case FK_COLUMN:
		return event_set(ev, f->column, s);
	case FK_COUNT:
		if (flow_uint(s, INT64_MAX, &v))
			return flow_attr_uint(attrs, f, v);
		flow_warn(sink, key, "a count", s);
		return 0;
	case FK_ADDR:
	case FK_ADDR_ATTR:
		if (!netaddr_canon_ip(s, ip)) {
			flow_warn(sink, key, "an address", s);
			return 0;
		}
		if (f->kind == FK_ADDR)
			return event_set(ev, f->column, ip);
		return flow_attr_add(attrs, f, cJSON_CreateString(ip));
	case FK_SRC_PORT:
	case FK_DST_PORT:
		if (!flow_uint(s, 65535, &v)) {
			flow_warn(sink, key, "a port", s);
			return 0;
		}
		*(f->kind == FK_SRC_PORT ? &ev->src_port : &ev->dst_port) = (int)v;
		return 0;
	case FK_PROTOCOL:
		if (flow_uint(s, 255, &v))
			flow_set_protocol(ev, v);
		else
			flow_warn(sink, key, "a protocol number", s);
		return 0;
	case FK_ACTION:
		return flow_set_action(ev, key, s, sink);
	case FK_START:
		return flow_set_start(ev, key, s, sink);
	case FK_END:
		if (flow_uint(s, INT64_MAX / 1000000000, &v))
			return flow_attr_uint(attrs, f, v);
		if (timeutil_parse(s, &ns) == 0)
			return flow_attr_add(attrs, f, cJSON_CreateString(s));
		flow_warn(sink, key, "a time", s);
		return 0;
	}
	return 0;
}

static int
flow_begin(struct event *ev, cJSON **attrs, const char *raw, size_t raw_len)
{
	event_init(ev);
	ev->raw = raw;
	ev->raw_len = raw_len;
	*attrs = cJSON_CreateObject();
	if (!*attrs || event_set(ev, EF_SOURCE, "vpcflow") < 0 ||
	    event_set(ev, EF_KIND, "flow") < 0)
		return err_set(ERR_NOMEM, "out of memory starting a flow event");
	return 0;
}

/* Takes attrs; emits ev or disposes it. */
static int
flow_finish(struct event *ev, cJSON *attrs, struct ingest_sink *sink)
{
	int rc;

	if (ev->str[EF_RESOURCE] &&
	    (rc = event_set(ev, EF_RESOURCE_TYPE, "network_interface")) < 0)
		goto fail;
	if ((rc = adapter_attrs(ev, attrs)) < 0) {
		attrs = NULL;
		goto fail;
	}
	return sink->emit(sink, ev);
fail:
	cJSON_Delete(attrs);
	event_dispose(ev);
	return rc;
}

/* ---- text lines ------------------------------------------------------- */

static int
flow_field_index(const char *w, size_t n)
{
	for (size_t i = 0; i < FLOW_NFIELDS; i++)
		if (strlen(flow_fields[i].name) == n &&
		    memcmp(flow_fields[i].name, w, n) == 0)
			return (int)i;
	return -1;
}

/* The next word of a field list: separated by blanks or commas, with an
 * AWS format string's "${...}" around it taken off. */
static bool
flow_next_word(const char **p, const char *end, const char **w, size_t *n)
{
	const char *s = *p;

	while (s < end && strchr(" \t\r\n,", *s))
		s++;
	if (s == end)
		return false;
	*w = s;
	while (s < end && !strchr(" \t\r\n,", *s))
		s++;
	*n = (size_t)(s - *w);
	*p = s;
	if (*n > 3 && (*w)[0] == '$' && (*w)[1] == '{' && (*w)[*n - 1] == '}') {
		*w += 2;
		*n -= 3;
	}
	return true;
}

/* Skip what may come before the field names: a '#' comment mark and a
 * label such as "fields:". Returns the first field name's word. */
static bool
flow_header_start(const char **p, const char *end, const char **w, size_t *n)
{
	bool comment;

	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	comment = *p < end && **p == '#';
	if (comment)
		(*p)++;
	if (!flow_next_word(p, end, w, n))
		return false;
	if (comment && (*w)[*n - 1] == ':')
		return flow_next_word(p, end, w, n);
	return true;
}

int
vpcflow_is_header(const char *line, size_t n)
{
	const char *p = line, *w;
	size_t wn;

	if (!flow_header_start(&p, line + n, &w, &wn))
		return 0;
	return flow_field_index(w, wn) >= 0;
}

int
vpcflow_layout_parse(const char *line, size_t n, struct vpcflow_layout **out)
{
	struct vpcflow_layout *l = calloc(1, sizeof(*l));
	const char *p = line, *end = line + n, *w;
	bool more;
	size_t wn;
	int rc = 0;

	*out = NULL;
	if (!l)
		return err_set(ERR_NOMEM, "out of memory reading a flow log header");
	for (more = flow_header_start(&p, end, &w, &wn); more;
	     more = flow_next_word(&p, end, &w, &wn)) {
		int f = flow_field_index(w, wn);

		if (f < 0) {
			rc = err_set(ERR_FORMAT, "unknown flow log field `%.*s`",
				     (int)(wn > 64 ? 64 : wn), w);
			goto fail;
		}
		for (size_t i = 0; i < l->n; i++)
			if (l->field[i] == f) {
				rc = err_set(ERR_FORMAT,
					     "flow log field `%s` appears twice",
					     flow_fields[f].name);
				goto fail;
			}
		l->field[l->n++] = (unsigned char)f;
	}
	if (l->n == 0) {
		rc = err_set(ERR_FORMAT, "flow log header names no fields");
		goto fail;
	}
	*out = l;
	return 0;
fail:
	free(l);
	return rc;
}

void
vpcflow_layout_free(struct vpcflow_layout *l)
{
	free(l);
}

/* Cut s into words in place; returns how many there were (words past max
 * are counted, not kept). */
static size_t
flow_split(char *s, char **words, size_t max)
{
	size_t count = 0;

	for (;;) {
		s += strspn(s, " \t\r\n");
		if (!*s)
			return count;
		if (count < max)
			words[count] = s;
		count++;
		s += strcspn(s, " \t\r\n");
		if (*s)
			*s++ = '\0';
	}
}

/* The line without its line ending, for an id that CRLF does not change. */
static size_t
flow_trimmed_len(const char *line, size_t n)
{
	while (n > 0 && strchr(" \t\r\n", line[n - 1]))
		n--;
	return n;
}

int
vpcflow_line(const struct vpcflow_layout *l, const char *line, size_t n,
	     struct ingest_sink *sink)
{
	char *copy = utf8_dup_repaired(line, n);
	char *words[FLOW_NFIELDS];
	cJSON *attrs = NULL;
	struct event ev;
	size_t count;
	int rc = 0;

	event_init(&ev);
	if (!copy)
		return err_set(ERR_NOMEM, "out of memory reading a flow log line");
	count = flow_split(copy, words, FLOW_NFIELDS);
	/* Blank lines, comments and the header of a concatenated file. */
	if (count == 0 || words[0][0] == '#' || vpcflow_is_header(line, n))
		goto out;
	if (count != l->n) {
		rc = err_set(ERR_PARSE, "flow log line has %zu fields, the header "
			     "names %zu", count, l->n);
		goto out;
	}
	if ((rc = flow_begin(&ev, &attrs, line, n)) < 0 ||
	    (rc = adapter_hash_id(&ev, NULL, line, flow_trimmed_len(line, n))) < 0)
		goto out;
	for (size_t i = 0; i < count; i++) {
		const struct flow_field *f = &flow_fields[l->field[i]];

		if (!flow_is_null(words[i]) &&
		    (rc = flow_apply(f, f->name, words[i], &ev, attrs, sink)) < 0)
			goto out;
	}
	free(copy);
	return flow_finish(&ev, attrs, sink);
out:
	cJSON_Delete(attrs);
	event_dispose(&ev);
	free(copy);
	return rc;
}

/* ---- JSON flow records ------------------------------------------------ */

/* Keys that make a record another format's, whatever else it holds. */
static const char *const flow_foreign_keys[] = {
	"eventVersion", "eventName", "kind", "rule", "output", "class_uid",
	"schemaVersion", "SchemaVersion", "Findings", "detail", "ProductArn",
	"auditID",
};

static int
flow_detect(const cJSON *rec)
{
	if (!cJSON_IsObject(rec))
		return 0;
	for (size_t i = 0; i < FLOW_NELEMS(flow_foreign_keys); i++)
		if (jsonu_key(rec, flow_foreign_keys[i]))
			return 0;
	if ((jsonu_key(rec, "srcAddr") && jsonu_key(rec, "dstAddr")) ||
	    jsonu_key(rec, "interfaceId"))
		return 70;
	return 0;
}

/* The value of a JSON member as the text a flow log line would hold. */
static const char *
flow_json_text(const cJSON *it, char *buf, size_t size)
{
	int64_t v;

	if (cJSON_IsString(it))
		return it->valuestring;
	if (!cJSON_IsNumber(it))
		return NULL;
	if (jsonu_int64(it, &v))
		snprintf(buf, size, "%" PRId64, v);
	else
		snprintf(buf, size, "%.17g", it->valuedouble);
	return buf;
}

static int
flow_normalize(const cJSON *rec, const char *raw, size_t raw_len,
	       struct ingest_sink *sink)
{
	cJSON *attrs = NULL;
	struct event ev;
	int rc;

	if ((rc = flow_begin(&ev, &attrs, raw, raw_len)) < 0 ||
	    (rc = adapter_hash_id(&ev, NULL, raw, raw_len)) < 0)
		goto fail;
	for (size_t i = 0; i < FLOW_NFIELDS; i++) {
		const struct flow_field *f = &flow_fields[i];

		for (size_t k = 0; k < 2 && f->json[k]; k++) {
			const cJSON *it = jsonu_key(rec, f->json[k]);
			char num[48];
			const char *s;

			if (jsonu_isnull(it))
				continue;
			s = flow_json_text(it, num, sizeof(num));
			if (!s)
				sink->warn(sink, f->json[k],
					   "not a string or a number");
			else if (!flow_is_null(s) &&
				 (rc = flow_apply(f, f->json[k], s, &ev, attrs,
						  sink)) < 0)
				goto fail;
			break;
		}
	}
	return flow_finish(&ev, attrs, sink);
fail:
	cJSON_Delete(attrs);
	event_dispose(&ev);
	return rc;
}

const struct adapter adapter_vpcflow = {
	.name = "vpcflow",
	.description = "AWS VPC Flow Logs (JSON records; text via its header)",
	.detect = flow_detect,
	.normalize = flow_normalize,
};
