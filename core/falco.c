/* SPDX-License-Identifier: Apache-2.0 */
/* falco: Falco JSON alerts (json_output lines) as runtime_alert events. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/jsonu.h"
#include "core/netaddr.h"

/* Falco writes "<NA>" for a field its event could not fill. */
static bool
falco_missing(const cJSON *it)
{
	return jsonu_isnull(it) ||
	       (cJSON_IsString(it) && strcmp(it->valuestring, "<NA>") == 0);
}

/* A string field of output_fields that holds a value: not missing, not "". */
static const char *
falco_field(const cJSON *fields, const char *key)
{
	const cJSON *it = jsonu_key(fields, key);

	if (falco_missing(it) || !cJSON_IsString(it) || !it->valuestring[0])
		return NULL;
	return it->valuestring;
}

/* jsonscan_prepare turned integers of more than 15 digits into digit
 * strings; such a string goes back out as the number it was. */
static bool
falco_is_big_integer(const char *s)
{
	size_t digits = 0;

	if (*s == '-')
		s++;
	if (*s == '0')
		return false;
	for (; *s; s++, digits++)
		if (*s < '0' || *s > '9')
			return false;
	return digits > 15;
}

/* A copy of output_fields without its missing values, integers exact. */
static cJSON *
falco_copy_fields(const cJSON *fields)
{
	cJSON *out = cJSON_CreateObject();
	const cJSON *it;

	if (!out)
		return NULL;
	cJSON_ArrayForEach(it, fields) {
		cJSON *v;

		if (!it->string || falco_missing(it))
			continue;
		if (cJSON_IsString(it) && falco_is_big_integer(it->valuestring))
			v = cJSON_CreateRaw(it->valuestring);
		else
			v = cJSON_Duplicate(it, true);
		if (!v || !cJSON_AddItemToObject(out, it->string, v)) {
			cJSON_Delete(v);
			cJSON_Delete(out);
			return NULL;
		}
	}
	return out;
}

/* The first address in a string or a list of strings, canonical. */
static bool
falco_first_ip(const cJSON *it, char *out)
{
	const cJSON *el;

	if (cJSON_IsString(it))
		return netaddr_canon_ip(it->valuestring, out);
	if (!cJSON_IsArray(it))
		return false;
	cJSON_ArrayForEach(el, it)
		if (cJSON_IsString(el) && netaddr_canon_ip(el->valuestring, out))
			return true;
	return false;
}

/* Split "host:port" at its last colon; brackets around IPv6 allowed. */
static bool
falco_endpoint(const char *s, size_t n, char *ip, int *port)
{
	char tmp[NETADDR_BUFSZ];
	size_t colon = n;
	long p = 0;

	while (colon > 0 && s[colon - 1] != ':')
		colon--;
	if (colon < 2 || colon == n || n - colon > 5)
		return false;
	for (size_t i = colon; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		p = p * 10 + (s[i] - '0');
	}
	n = colon - 1;
	if (s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (p > 65535 || n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*port = (int)p;
	return netaddr_canon_ip(tmp, ip);
}

/* Network fields of a syscall alert: the explicit client and server
 * fields when Falco printed them, else the "cip:cport->sip:sport" tuple
 * of fd.name, else the remote end fd.rip as the peer address. */
static void
falco_set_network(struct event *ev, const cJSON *f)
{
	char ip[NETADDR_BUFSZ];
	const char *name = falco_field(f, "fd.name");
	const char *arrow = name ? strstr(name, "->") : NULL;
	const char *proto = falco_field(f, "fd.l4proto");
	int sport, dport;
	char sip[NETADDR_BUFSZ];
	int64_t port;

	if (arrow && falco_endpoint(name, (size_t)(arrow - name), sip, &sport) &&
	    falco_endpoint(arrow + 2, strlen(arrow + 2), ip, &dport)) {
		event_set(ev, EF_SRC_IP, sip);
		event_set(ev, EF_DST_IP, ip);
		ev->src_port = sport;
		ev->dst_port = dport;
	}
	if (falco_first_ip(jsonu_key(f, "fd.cip"), ip))
		event_set(ev, EF_SRC_IP, ip);
	else if (!ev->str[EF_SRC_IP] && falco_first_ip(jsonu_key(f, "fd.rip"), ip))
		event_set(ev, EF_SRC_IP, ip);
	if (falco_first_ip(jsonu_key(f, "fd.sip"), ip))
		event_set(ev, EF_DST_IP, ip);
	if (jsonu_int64(jsonu_key(f, "fd.cport"), &port) && port >= 0 &&
	    port <= 65535)
		ev->src_port = (int)port;
	if (jsonu_int64(jsonu_key(f, "fd.sport"), &port) && port >= 0 &&
	    port <= 65535)
		ev->dst_port = (int)port;
	if (proto)
		event_set(ev, EF_PROTOCOL, proto);
}

/* Actor, target and caller of an alert raised by the k8s_audit plugin. */
static void
falco_set_k8s(struct event *ev, const cJSON *f)
{
	const char *user = falco_field(f, "ka.user.name");
	char ip[NETADDR_BUFSZ];

	if (user) {
		event_set(ev, EF_ACTOR, user);
		event_set(ev, EF_ACTOR_TYPE, k8saudit_actor_type(user));
	}
	k8saudit_set_resource(ev, falco_field(f, "ka.target.resource"),
			      falco_field(f, "ka.target.subresource"),
			      falco_field(f, "ka.target.namespace"),
			      falco_field(f, "ka.target.name"));
	if (falco_first_ip(jsonu_key(f, "ka.sourceips"), ip))
		event_set(ev, EF_SRC_IP, ip);
	event_set(ev, EF_USER_AGENT, falco_field(f, "ka.useragent"));
}

static void
falco_set_syscall(struct event *ev, const cJSON *f)
{
	const char *user = falco_field(f, "user.name");

	if (user) {
		event_set(ev, EF_ACTOR, user);
		event_set(ev, EF_ACTOR_TYPE, "unix_user");
	}
	falco_set_network(ev, f);
}

/* Falco before 0.31 had no "source" key; its plugins prefix fields. */
static const char *
falco_source(const cJSON *rec, const cJSON *fields)
{
	const char *s = jsonu_strne(rec, "source");
	const cJSON *it;

	if (s)
		return s;
	if (!cJSON_IsObject(fields))
		return "syscall";
	cJSON_ArrayForEach(it, fields)
		if (it->string && strncmp(it->string, "ka.", 3) == 0)
			return "k8s_audit";
	return "syscall";
}

/* `time` has the nanoseconds as text; evt.time is the same instant as an
 * integer, used when an older Falco or a forwarder dropped `time`. */
static void
falco_set_time(struct event *ev, const cJSON *rec, const cJSON *fields,
	       struct ingest_sink *sink)
{
	int64_t ns;

	adapter_set_time(ev, sink, "time", jsonu_strne(rec, "time"));
	if (!ev->has_time && jsonu_int64(jsonu_key(fields, "evt.time"), &ns)) {
		ev->time_ns = ns;
		ev->has_time = true;
	}
}

static int
falco_attrs(struct event *ev, const cJSON *rec, const cJSON *fields,
	    const char *source)
{
	cJSON *a = cJSON_CreateObject();
	const cJSON *tags = jsonu_key(rec, "tags");
	const char *output = jsonu_str(rec, "output");
	const char *priority = jsonu_str(rec, "priority");
	cJSON *copy;

	if (!a)
		goto nomem;
	if ((output && !cJSON_AddStringToObject(a, "output", output)) ||
	    (priority && !cJSON_AddStringToObject(a, "priority", priority)) ||
	    !cJSON_AddStringToObject(a, "falco_source", source))
		goto nomem;
	if (cJSON_IsArray(tags)) {
		copy = cJSON_Duplicate(tags, true);
		if (!copy || !cJSON_AddItemToObject(a, "tags", copy)) {
			cJSON_Delete(copy);
			goto nomem;
		}
	}
	if (cJSON_IsObject(fields)) {
		copy = falco_copy_fields(fields);
		if (!copy || !cJSON_AddItemToObject(a, "output_fields", copy)) {
			cJSON_Delete(copy);
			goto nomem;
		}
	}
	return adapter_attrs(ev, a);
nomem:
	cJSON_Delete(a);
	return err_set(ERR_NOMEM, "out of memory building Falco attributes");
}

static int
falco_detect(const cJSON *rec)
{
	if (jsonu_str(rec, "rule") && jsonu_str(rec, "priority") &&
	    jsonu_str(rec, "output"))
		return 90;
	return 0;
}

static int
falco_normalize(const cJSON *rec, const char *raw, size_t raw_len,
		struct ingest_sink *sink)
{
	const cJSON *fields = jsonu_key(rec, "output_fields");
	const char *rule = jsonu_strne(rec, "rule");
	const char *priority = jsonu_strne(rec, "priority");
	const char *source = falco_source(rec, fields);
	const char *container = falco_field(fields, "container.id");
	struct event ev;
	int rc;

	if (!rule)
		return err_set(ERR_FIELD, "field `rule`: missing in Falco alert");
	if (!cJSON_IsObject(fields))
		fields = NULL;
	event_init(&ev);
	ev.raw = raw;
	ev.raw_len = raw_len;
	if ((rc = adapter_hash_id(&ev, NULL, raw, raw_len)) < 0)
		goto out;
	event_set(&ev, EF_SOURCE, "falco");
	event_set(&ev, EF_KIND, "runtime_alert");
	event_set(&ev, EF_ACTION, rule);
	if (priority)
		event_set(&ev, EF_SEVERITY, event_severity_word(priority));
	event_set(&ev, EF_HOST, jsonu_strne(rec, "hostname"));
	if (container && strcmp(container, "host") != 0)
		event_set(&ev, EF_CONTAINER, container);
	falco_set_time(&ev, rec, fields, sink);
	if (strcmp(source, "k8s_audit") == 0)
		falco_set_k8s(&ev, fields);
	else
		falco_set_syscall(&ev, fields);
	if ((rc = falco_attrs(&ev, rec, fields, source)) < 0)
		goto out;
	return sink->emit(sink, &ev);
out:
	event_dispose(&ev);
	return rc;
}

const struct adapter adapter_falco = {
	.name = "falco",
	.description = "Falco JSON alerts (json_output)",
	.detect = falco_detect,
	.normalize = falco_normalize,
};
