/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the runtime and network adapters: Falco alerts, Kubernetes
 * audit events and VPC Flow Logs, on named records of the real data. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/adapter.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/jsonscan.h"
#include "core/jsonu.h"
#include "tests/unit/tap.h"

#define SEC 1000000000LL

/* ---- fixtures ------------------------------------------------------------ */

struct text {
	char *data;
	size_t len;
};

static struct text
slurp(const char *rel)
{
	const char *top = getenv("top_srcdir");
	struct text t = { NULL, 0 };
	char path[1024];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/%s", top ? top : ".", rel);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		CHECK(f != NULL);
		return t;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	t.data = malloc((size_t)n + 1);
	if (t.data && fread(t.data, 1, (size_t)n, f) == (size_t)n) {
		t.len = (size_t)n;
		t.data[n] = '\0';
	}
	fclose(f);
	return t;
}

/* Line k (1-based, blank lines skipped) of t, without its newline. */
static const char *
line_of(const struct text *t, int k, size_t *len)
{
	const char *p = t->data, *end = t->data + t->len;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0 && --k == 0) {
			*len = n;
			return p;
		}
		p = nl ? nl + 1 : end;
	}
	*len = 0;
	return NULL;
}

/* Parse one JSON record the way ingest does. */
static cJSON *
parse(const char *p, size_t n)
{
	struct buf b;
	cJSON *rec = NULL;

	buf_init(&b);
	if (p && jsonscan_prepare(p, n, &b) == 0)
		rec = cJSON_ParseWithLength(b.data, b.len);
	buf_dispose(&b);
	CHECK(rec != NULL);
	return rec;
}

struct run {
	struct event_list list;
	struct ingest_sink sink;
};

static void
run_init(struct run *r)
{
	sink_collect_init(&r->sink, &r->list);
}

/* Normalize line k of t with adapter a; returns normalize's code. */
static int
feed(struct run *r, const struct adapter *a, const struct text *t, int k)
{
	size_t n;
	const char *p = line_of(t, k, &n);
	cJSON *rec = parse(p, n);
	int rc;

	if (!rec)
		return -100;
	rc = a->normalize(rec, p, n, &r->sink);
	cJSON_Delete(rec);
	return rc;
}

static int
detect_line(const struct adapter *a, const struct text *t, int k)
{
	size_t n;
	const char *p = line_of(t, k, &n);
	cJSON *rec = parse(p, n);
	int score = rec ? a->detect(rec) : -1;

	cJSON_Delete(rec);
	return score;
}

static const char *
detected_name(const struct text *t, int k)
{
	size_t n;
	const char *p = line_of(t, k, &n);
	cJSON *rec = parse(p, n);
	const struct adapter *a = rec ? adapter_detect(rec) : NULL;

	cJSON_Delete(rec);
	return a ? a->name : "(none)";
}

/* The event emitted last. */
static struct event *
last(struct run *r)
{
	static struct event none;

	CHECK(r->list.n > 0);
	if (r->list.n == 0) {
		event_init(&none);
		return &none;
	}
	return &r->list.v[r->list.n - 1];
}

/* An attrs member of ev, parsed (caller deletes the tree). */
static cJSON *
attrs_of(const struct event *ev)
{
	cJSON *a = ev->attrs ? cJSON_Parse(ev->attrs) : NULL;

	CHECK(a != NULL);
	return a;
}

/* The string member named key (dots and all), or NULL. */
static const char *
key_str(const cJSON *obj, const char *key)
{
	const cJSON *it = jsonu_key(obj, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* A string of the output_fields copy in Falco attrs. */
static const char *
of_str(const cJSON *a, const char *key)
{
	return key_str(jsonu_key(a, "output_fields"), key);
}

static long long
attr_int(const cJSON *a, const char *key)
{
	int64_t v;

	return jsonu_int64(jsonu_key(a, key), &v) ? v : -999;
}

static void
dispose(struct run *r, struct text *t)
{
	event_list_dispose(&r->list);
	free(t->data);
	t->data = NULL;
}

/* ---- Falco --------------------------------------------------------------- */

static void
test_falco_case13(void)
{
	struct text t = slurp("cases/13-falco-output-fields-null-na-bigint.jsonl");
	struct run r;
	struct event *ev;
	cJSON *a, *of;
	char *of_text;

	run_init(&r);
	CHECK_INT(detect_line(&adapter_falco, &t, 1), 90);
	CHECK_INT(feed(&r, &adapter_falco, &t, 1), 0);
	ev = last(&r);
	CHECK_STR(ev->str[EF_SOURCE], "falco");
	CHECK_STR(ev->str[EF_KIND], "runtime_alert");
	CHECK_STR(ev->str[EF_ACTION], "Non sudo setuid");
	CHECK_STR(ev->str[EF_SEVERITY], "low");
	CHECK_STR(ev->str[EF_HOST], "falco-node-01");
	/* container.id "host" is the host itself; user.name "" is no user. */
	CHECK_STR(ev->str[EF_CONTAINER], NULL);
	CHECK_STR(ev->str[EF_ACTOR], NULL);
	CHECK(ev->has_time);
	CHECK_INT(ev->time_ns, 1796134434123456789LL);
	CHECK_INT(strlen(ev->str[EF_ID]), 32);
	/* Exact integers as the source wrote them, never through a double. */
	CHECK(strstr(ev->attrs, "\"evt.time\":1796134434123456789") != NULL);
	CHECK(strstr(ev->attrs, "\"user.uid\":4294967295") != NULL);
	CHECK(strstr(ev->attrs, "\"user.loginuid\":-1") != NULL);
	a = attrs_of(ev);
	CHECK_STR(jsonu_str(a, "falco_source"), "syscall");
	CHECK_INT(cJSON_GetArraySize(jsonu_key(a, "tags")), 2);
	of = (cJSON *)jsonu_key(a, "output_fields");
	CHECK(of != NULL);
	/* "" is a value; null and <NA> are missing. */
	CHECK_STR(key_str(of, "user.name"), "");
	CHECK_STR(key_str(of, "container.id"), "host");
	CHECK_STR(key_str(of, "proc.aname[2]"), "containerd-shim");
	CHECK_INT(attr_int(of, "proc.pid"), 40321);
	CHECK(jsonu_key(of, "proc.cmdline") == NULL);
	CHECK(jsonu_key(of, "evt.arg.uid") == NULL);
	CHECK(jsonu_key(of, "container.image.repository") == NULL);
	CHECK(jsonu_key(of, "k8s.ns.name") == NULL);
	CHECK(jsonu_key(of, "proc.aname[3]") == NULL);
	of_text = cJSON_PrintUnformatted(of);
	CHECK(of_text && !strstr(of_text, "<NA>") && !strstr(of_text, "null"));
	free(of_text);
	cJSON_Delete(a);

	/* output_fields: null still makes an alert from the top level. */
	CHECK_INT(feed(&r, &adapter_falco, &t, 2), 0);
	CHECK_INT(r.list.n, 2);
	ev = last(&r);
	CHECK_STR(ev->str[EF_ACTION], "Example K8s secret access");
	CHECK_STR(ev->str[EF_SEVERITY], "medium");
	CHECK_STR(ev->str[EF_HOST], "falco-audit-01");
	CHECK_STR(ev->str[EF_ACTOR], NULL);
	CHECK_INT(ev->time_ns, 1796134500LL * SEC);
	a = attrs_of(ev);
	CHECK_STR(jsonu_str(a, "falco_source"), "k8s_audit");
	CHECK(jsonu_key(a, "output_fields") == NULL);
	cJSON_Delete(a);
	CHECK_INT(r.list.warnings, 0);
	dispose(&r, &t);
}

static void
test_falco_alerts(void)
{
	struct text t = slurp("falco-alerts/alerts.jsonl");
	struct run r;
	struct event *ev;
	cJSON *a;

	run_init(&r);
	for (int k = 1; k <= 8; k++) {
		CHECK_INT(detect_line(&adapter_falco, &t, k), 90);
		CHECK_INT(detect_line(&adapter_k8s_audit, &t, k), 0);
		CHECK_INT(detect_line(&adapter_vpcflow, &t, k), 0);
		CHECK_STR(detected_name(&t, k), "falco");
		CHECK_INT(feed(&r, &adapter_falco, &t, k), 0);
	}
	CHECK_INT(r.list.n, 8);

	/* Line 1: the OVH CSI controller tripping "Disallowed K8s User". */
	ev = &r.list.v[0];
	CHECK_STR(ev->str[EF_ACTION], "Disallowed K8s User");
	CHECK_STR(ev->str[EF_SEVERITY], "medium");
	CHECK_STR(ev->str[EF_ACTOR], "csi-cinder-controller");
	CHECK_STR(ev->str[EF_ACTOR_TYPE], "user");
	CHECK_STR(ev->str[EF_RESOURCE],
		  "csi-6afb06dce281b86b7bab718b5d966dc261b2b1554941ae449519a128cb2e3fb3");
	CHECK_STR(ev->str[EF_RESOURCE_TYPE], "volumeattachments");
	CHECK_STR(ev->str[EF_HOST], "my-pool-1-node-921b61");
	CHECK_INT(ev->time_ns, 1739178940698757000LL);
	CHECK(strstr(ev->attrs, "\"evt.time\":1739178940698757000") != NULL);
	a = attrs_of(ev);
	CHECK_STR(of_str(a, "ka.response.code"), "200");
	CHECK_STR(of_str(a, "ka.verb"), "patch");
	cJSON_Delete(a);

	/* Line 2: kubectl exec of `cat` into an nginx pod. */
	ev = &r.list.v[1];
	CHECK_STR(ev->str[EF_ACTION], "Attach/Exec Pod");
	CHECK_STR(ev->str[EF_SEVERITY], "low");
	CHECK_STR(ev->str[EF_ACTOR], "kubernetes-admin");
	CHECK_STR(ev->str[EF_RESOURCE], "hello-app/nginx-676b6c5bbc-4xc6t");
	CHECK_STR(ev->str[EF_RESOURCE_TYPE], "pods/exec");

	/* Line 3: the kubelet creating the default service account. */
	ev = &r.list.v[2];
	CHECK_STR(ev->str[EF_SEVERITY], "info");
	CHECK_STR(ev->str[EF_ACTOR], "system:node:ip-192-168-34-135.ec2.internal");
	CHECK_STR(ev->str[EF_ACTOR_TYPE], "node");
	CHECK_STR(ev->str[EF_RESOURCE], "default/default");
	CHECK_STR(ev->str[EF_RESOURCE_TYPE], "serviceaccounts");
	a = attrs_of(ev);
	CHECK_STR(of_str(a, "ka.auth.reason"), "");
	CHECK_STR(of_str(a, "ka.auth.decision"), "allow");
	cJSON_Delete(a);

	/* Line 4: a shell in the alpine container; no `source` key (old
	 * Falco), <NA> and null fields. */
	ev = &r.list.v[3];
	CHECK_STR(ev->str[EF_ACTION], "Terminal shell in container");
	CHECK_STR(ev->str[EF_ACTOR], "root");
	CHECK_STR(ev->str[EF_ACTOR_TYPE], "unix_user");
	CHECK_STR(ev->str[EF_CONTAINER], "5892b41bcf46");
	CHECK_STR(ev->str[EF_HOST], NULL);
	CHECK_INT(ev->time_ns, 1610667584834631763LL);
	a = attrs_of(ev);
	CHECK_STR(jsonu_str(a, "falco_source"), "syscall");
	CHECK(jsonu_key(jsonu_key(a, "output_fields"), "proc.pname") == NULL);
	CHECK(jsonu_key(jsonu_key(a, "output_fields"),
			"container.image.repository") == NULL);
	CHECK_INT(attr_int(jsonu_key(a, "output_fields"), "proc.tty"), 34817);
	CHECK_INT(attr_int(jsonu_key(a, "output_fields"), "user.loginuid"), -1);
	cJSON_Delete(a);

	/* Line 6: the response function calling the API server. */
	ev = &r.list.v[5];
	CHECK_STR(ev->str[EF_ACTION], "Contact K8S API Server From Container");
	CHECK_STR(ev->str[EF_SRC_IP], "172.17.0.9");
	CHECK_INT(ev->src_port, 43812);
	CHECK_STR(ev->str[EF_DST_IP], "10.96.0.1");
	CHECK_INT(ev->dst_port, 443);
	CHECK_STR(ev->str[EF_ACTOR], NULL);
	CHECK_STR(ev->str[EF_CONTAINER], "12fc4de5ccc3");

	/* Ids are content hashes: distinct alerts, distinct ids. */
	for (size_t i = 0; i < r.list.n; i++)
		for (size_t j = i + 1; j < r.list.n; j++)
			CHECK(strcmp(r.list.v[i].str[EF_ID], r.list.v[j].str[EF_ID]) != 0);
	dispose(&r, &t);
}

static void
test_falco_cat_write(void)
{
	struct text t = slurp("falco-alerts/falco-test-output-single_rule_with_cat_write.json");
	struct run r;
	struct event *ev;
	cJSON *a;

	run_init(&r);
	for (int k = 1; k <= 8; k++)
		CHECK_INT(feed(&r, &adapter_falco, &t, k), 0);
	CHECK_INT(r.list.n, 8);
	ev = &r.list.v[0];
	CHECK_STR(ev->str[EF_ACTION], "open_from_cat");
	CHECK_STR(ev->str[EF_SEVERITY], "medium");
	CHECK_STR(ev->str[EF_HOST], "test-falco-hostname");
	CHECK_INT(ev->time_ns, 1470327477881781397LL);
	CHECK(strstr(ev->attrs, "\"evt.time.iso8601\":1470327477881781397") != NULL);
	a = attrs_of(ev);
	CHECK_INT(cJSON_GetArraySize(jsonu_key(a, "tags")), 3);
	CHECK_STR(of_str(a, "proc.cmdline"), "cat /dev/null");
	CHECK_STR(jsonu_str(a, "priority"), "Warning");
	cJSON_Delete(a);
	dispose(&r, &t);
}

/* Without `time`, evt.time (an integer of 19 digits) is the time. */
static void
test_falco_evt_time_fallback(void)
{
	static const char rec[] = "{\"rule\":\"r\",\"priority\":\"Error\","
		"\"output\":\"o\",\"output_fields\":{\"evt.time\":"
		"1796134434123456789,\"fd.rip\":\"198.51.100.7\"}}";
	struct text t = { (char *)rec, sizeof(rec) - 1 };
	struct run r;

	run_init(&r);
	CHECK_INT(feed(&r, &adapter_falco, &t, 1), 0);
	CHECK_INT(last(&r)->time_ns, 1796134434123456789LL);
	CHECK_STR(last(&r)->str[EF_SEVERITY], "high");
	CHECK_STR(last(&r)->str[EF_SRC_IP], "198.51.100.7");
	event_list_dispose(&r.list);
}

/* ---- Kubernetes audit -------------------------------------------------- */

static void
test_k8s_case14(void)
{
	struct text t = slurp("cases/14-k8s-audit-stage-duplicates.jsonl");
	struct run r;
	struct event *rcv, *done, *failed;
	cJSON *a;

	run_init(&r);
	/* Any order: ResponseComplete first, then RequestReceived. */
	CHECK_INT(feed(&r, &adapter_k8s_audit, &t, 2), 0);
	CHECK_INT(feed(&r, &adapter_k8s_audit, &t, 1), 0);
	CHECK_INT(feed(&r, &adapter_k8s_audit, &t, 3), 0);
	CHECK_INT(r.list.n, 3);
	done = &r.list.v[0];
	rcv = &r.list.v[1];
	failed = &r.list.v[2];

	CHECK_STR(rcv->str[EF_ID], "00000000-0000-4000-8000-000000001401");
	CHECK_STR(done->str[EF_ID], rcv->str[EF_ID]);
	CHECK(done->rank > rcv->rank);
	CHECK_INT(done->time_ns, rcv->time_ns);
	CHECK_INT(done->time_ns, 1796083200LL * SEC + 100000000);
	CHECK_STR(done->str[EF_SOURCE], "k8s_audit");
	CHECK_STR(done->str[EF_KIND], "api_call");
	CHECK_STR(done->str[EF_ACTION], "create");
	CHECK_STR(done->str[EF_ACTOR], "example-user");
	CHECK_STR(done->str[EF_ACTOR_TYPE], "user");
	CHECK_STR(done->str[EF_RESOURCE], "default/example-secret");
	CHECK_STR(done->str[EF_RESOURCE_TYPE], "secrets");
	CHECK_STR(done->str[EF_SRC_IP], "203.0.113.70");
	CHECK_STR(done->str[EF_OUTCOME], "success");
	CHECK_STR(done->str[EF_ERROR_CODE], NULL);
	CHECK_STR(done->str[EF_USER_AGENT],
		  "kubectl/v1.30.0 (linux/amd64) kubernetes/0000000");
	a = attrs_of(done);
	CHECK_INT(attr_int(a, "status_code"), 201);
	CHECK_STR(jsonu_str(a, "decision"), "allow");
	CHECK_STR(jsonu_str(a, "stage"), "ResponseComplete");
	CHECK_STR(jsonu_str(a, "name"), "example-secret");
	cJSON_Delete(a);
	/* Received, not yet answered: no name yet, no outcome. */
	CHECK_STR(rcv->str[EF_RESOURCE], "default");
	CHECK_STR(rcv->str[EF_OUTCOME], NULL);

	CHECK_STR(failed->str[EF_ID], "00000000-0000-4000-8000-000000001402");
	CHECK_STR(failed->str[EF_ACTOR], NULL);
	CHECK_STR(failed->str[EF_ACTOR_TYPE], NULL);
	CHECK_STR(failed->str[EF_ACTION], "list");
	CHECK_STR(failed->str[EF_OUTCOME], "failure");
	CHECK_STR(failed->str[EF_ERROR_CODE], "401");
	CHECK_STR(failed->str[EF_SRC_IP], "198.51.100.80");
	CHECK_INT(failed->time_ns, 1796083201LL * SEC);
	a = attrs_of(failed);
	CHECK_INT(attr_int(a, "status_code"), 401);
	CHECK_STR(jsonu_str(a, "status_reason"), "Unauthorized");
	cJSON_Delete(a);
	dispose(&r, &t);
}

static void
test_k8s_case17(void)
{
	struct text t = slurp("cases/17-tui-terminal-escape-injection.jsonl");
	struct run r;
	struct event *ev;

	run_init(&r);
	CHECK_INT(detect_line(&adapter_k8s_audit, &t, 1), 95);
	CHECK_INT(feed(&r, &adapter_k8s_audit, &t, 1), 0);
	ev = last(&r);
	CHECK_STR(ev->str[EF_USER_AGENT],
		  "kubectl/v1.30.0\r\x1b[32mALL CLEAR\x1b[0m");
	CHECK_STR(ev->str[EF_RESOURCE],
		  "default/cm-\x1b]0;owned-title\x07-\x1b[2J\x1b[H-x");
	/* Line 2 is CloudTrail: none of these adapters claims it. */
	CHECK_INT(detect_line(&adapter_k8s_audit, &t, 2), 0);
	CHECK_INT(detect_line(&adapter_falco, &t, 2), 0);
	CHECK_INT(detect_line(&adapter_vpcflow, &t, 2), 0);
	dispose(&r, &t);
}

static const char *const k8s_fixtures[] = {
	"create_cluster_role_pod_exec.json",
	"create_cluster_role_wildcard_resources.json",
	"create_cluster_role_wildcard_verbs.json",
	"create_clusterrole.json",
	"create_clusterrolebinding.json",
	"create_configmap.json",
	"create_deployment.json",
	"create_kube_system_secret.json",
	"create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json",
	"create_nginx_pod_nohostnetwork.json",
	"create_nginx_pod_privileged.json",
	"create_nginx_pod_privileged_2nd_container.json",
	"create_nginx_pod_sensitive_mount.json",
	"create_nginx_pod_unprivileged.json",
	"create_pod_kube_system_namespace.json",
	"create_secret.json",
	"create_service.json",
	"create_serviceaccount.json",
	"delete_cluster_role_kube_aggregator.json",
	"delete_clusterrolebinding.json",
	"delete_configmap.json",
	"delete_namespace_foo.json",
	"exec_pod.json",
};

/* Normalize one fixture file (a single record) and return its event. */
static struct event *
fixture(struct run *r, struct text *t, const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "falco-k8s-audit-fixtures/%s", name);
	*t = slurp(rel);
	CHECK_INT(feed(r, &adapter_k8s_audit, t, 1), 0);
	return last(r);
}

static void
test_k8s_fixtures(void)
{
	struct run r;
	struct text t;
	struct event *ev;
	cJSON *a;

	for (size_t i = 0; i < sizeof(k8s_fixtures) / sizeof(k8s_fixtures[0]); i++) {
		char rel[256];

		snprintf(rel, sizeof(rel), "falco-k8s-audit-fixtures/%s",
			 k8s_fixtures[i]);
		t = slurp(rel);
		CHECK(detect_line(&adapter_k8s_audit, &t, 1) >= 85);
		CHECK_INT(detect_line(&adapter_falco, &t, 1), 0);
		CHECK_INT(detect_line(&adapter_vpcflow, &t, 1), 0);
		CHECK_STR(detected_name(&t, 1), "k8s_audit");
		free(t.data);
	}

	run_init(&r);
	ev = fixture(&r, &t, "create_secret.json");
	CHECK_STR(ev->str[EF_ID], "55a81824-ab56-46c5-8b02-96336f5e78d7");
	CHECK_STR(ev->str[EF_ACTION], "create");
	CHECK_STR(ev->str[EF_ACTOR], "minikube-user");
	CHECK_STR(ev->str[EF_RESOURCE], "default/example-secret");
	CHECK_STR(ev->str[EF_SRC_IP], "192.168.64.1");
	CHECK_INT(ev->time_ns, 1587491825541358000LL);
	CHECK_INT(ev->rank, 3);
	dispose(&r, &t);

	/* v1beta1 capture without apiVersion; exec answered 101 Switching. */
	run_init(&r);
	ev = fixture(&r, &t, "exec_pod.json");
	CHECK_STR(ev->str[EF_ID], "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6");
	CHECK_STR(ev->str[EF_RESOURCE], "default/nginx-deployment-7998647bdf-phvq7");
	CHECK_STR(ev->str[EF_RESOURCE_TYPE], "pods/exec");
	CHECK_STR(ev->str[EF_OUTCOME], "success");
	CHECK_STR(ev->str[EF_USER_AGENT], NULL);
	CHECK_INT(ev->rank, 2);
	/* requestReceivedTimestamp, not the second-precision `timestamp`. */
	CHECK_INT(ev->time_ns, 1540561114867116000LL);
	a = attrs_of(ev);
	CHECK_STR(jsonu_str(a, "request_uri"),
		  "/api/v1/namespaces/default/pods/"
		  "nginx-deployment-7998647bdf-phvq7/exec?command=bash"
		  "&container=nginx1&container=nginx1&stdin=true&stdout=true"
		  "&tty=true");
	CHECK_INT(cJSON_GetArraySize(jsonu_key(a, "groups")), 2);
	cJSON_Delete(a);
	dispose(&r, &t);

	run_init(&r);
	ev = fixture(&r, &t, "create_clusterrole.json");
	CHECK_STR(ev->str[EF_RESOURCE], "some-reader");
	CHECK_STR(ev->str[EF_RESOURCE_TYPE], "clusterroles");
	CHECK_INT(ev->time_ns, 1540560318266512000LL);
	a = attrs_of(ev);
	CHECK_STR(jsonu_str(a, "level"), "RequestResponse");
	CHECK_STR(jsonu_str(a, "api_group"), "rbac.authorization.k8s.io");
	cJSON_Delete(a);
	dispose(&r, &t);

	run_init(&r);
	ev = fixture(&r, &t, "delete_namespace_foo.json");
	CHECK_STR(ev->str[EF_ACTION], "delete");
	CHECK_STR(ev->str[EF_RESOURCE], "foo");
	CHECK_STR(ev->str[EF_RESOURCE_TYPE], "namespaces");
	CHECK_INT(ev->time_ns, 1540558825241677000LL);
	dispose(&r, &t);
}

static void
test_k8s_panther(void)
{
	struct text t = slurp("panther-analysis-rule-tests/raw/k8s_audit.jsonl");
	struct run r;
	struct event *ev;
	cJSON *a;

	run_init(&r);
	for (int k = 1; k <= 76; k++) {
		CHECK(detect_line(&adapter_k8s_audit, &t, k) >= 85);
		CHECK_INT(detect_line(&adapter_falco, &t, k), 0);
		CHECK_INT(detect_line(&adapter_vpcflow, &t, k), 0);
		CHECK_INT(feed(&r, &adapter_k8s_audit, &t, k), 0);
	}
	CHECK_INT(r.list.n, 76);

	/* Line 1: EKS, kubernetes-admin reading a kube-bench pod's log. */
	ev = &r.list.v[0];
	CHECK_STR(ev->str[EF_ID], "35506555-dffc-4337-b2b1-c4af52b88e18");
	CHECK_STR(ev->str[EF_ACTION], "get");
	CHECK_STR(ev->str[EF_ACTOR], "kubernetes-admin");
	CHECK_STR(ev->str[EF_RESOURCE], "default/kube-bench-drn4j");
	CHECK_STR(ev->str[EF_RESOURCE_TYPE], "pods/log");
	CHECK_STR(ev->str[EF_SRC_IP], "5.5.5.5");
	CHECK_STR(ev->str[EF_USER_AGENT],
		  "kubectl/v1.25.4 (darwin/arm64) kubernetes/872a965");
	CHECK_INT(ev->time_ns, 1669680544380000000LL);
	CHECK_INT(ev->rank, 2);

	/* Line 2: coredns refused a watch on endpointslices. */
	ev = &r.list.v[1];
	CHECK_STR(ev->str[EF_ACTOR], "system:serviceaccount:kube-system:coredns");
	CHECK_STR(ev->str[EF_ACTOR_TYPE], "service_account");
	CHECK_STR(ev->str[EF_OUTCOME], "failure");
	CHECK_STR(ev->str[EF_ERROR_CODE], "403");
	CHECK_STR(ev->str[EF_RESOURCE], NULL);
	CHECK_STR(ev->str[EF_RESOURCE_TYPE], "endpointslices");

	CHECK_STR(r.list.v[4].str[EF_ACTOR_TYPE], "anonymous");

	/* Line 13: no auditID, no time, no sourceIPs. */
	ev = &r.list.v[12];
	CHECK_INT(strlen(ev->str[EF_ID]), 32);
	CHECK(!ev->has_time);
	CHECK_STR(ev->str[EF_SRC_IP], NULL);
	CHECK_STR(ev->str[EF_RESOURCE], "production/secure-ingress");

	/* Line 61: a node asking for a service account token. */
	ev = &r.list.v[60];
	CHECK_STR(ev->str[EF_ACTOR_TYPE], "node");
	CHECK_STR(ev->str[EF_RESOURCE_TYPE], "serviceaccounts/token");
	CHECK_STR(ev->str[EF_SRC_IP], "54.212.83.236");

	/* Line 67: sourceIPs[0] is "not-an-ip": warned, kept in attrs. */
	ev = &r.list.v[66];
	CHECK_STR(ev->str[EF_SRC_IP], NULL);
	CHECK_STR(ev->str[EF_SRC_DOMAIN], NULL);
	a = attrs_of(ev);
	CHECK_STR(cJSON_GetArrayItem(jsonu_key(a, "source_ips"), 0)->valuestring,
		  "not-an-ip");
	cJSON_Delete(a);
	CHECK_INT(r.list.warnings, 1);
	CHECK(strstr(r.list.last_warn, "sourceIPs") != NULL);

	/* Line 68: objectRef.resource "" is no resource type. */
	CHECK_STR(r.list.v[67].str[EF_RESOURCE_TYPE], NULL);
	CHECK_STR(r.list.v[67].str[EF_ACTION], "propfind");
	dispose(&r, &t);
}

/* ---- VPC Flow Logs, text ---------------------------------------------- */

static const char v2_fields[] = "version account-id interface-id srcaddr "
	"dstaddr srcport dstport protocol packets bytes start end action "
	"log-status";

static int
flow_line(struct run *r, const struct vpcflow_layout *l, const struct text *t,
	  int k)
{
	size_t n;
	const char *p = line_of(t, k, &n);

	return vpcflow_line(l, p, n, &r->sink);
}

static void
test_vpc_case09(void)
{
	struct text t = slurp("cases/09-vpc-default-nodata-skipdata.log");
	struct vpcflow_layout *l = NULL;
	struct run r;
	struct event *ev;
	size_t n;
	const char *p = line_of(&t, 1, &n);
	cJSON *a;

	run_init(&r);
	CHECK(vpcflow_is_header(p, n));
	CHECK_INT(vpcflow_layout_parse(p, n, &l), 0);
	for (int k = 2; k <= 4; k++) {
		size_t m;
		const char *q = line_of(&t, k, &m);

		CHECK(!vpcflow_is_header(q, m));
		CHECK_INT(flow_line(&r, l, &t, k), 0);
	}
	CHECK_INT(r.list.n, 3);
	CHECK_INT(r.list.warnings, 0);

	ev = &r.list.v[0];
	CHECK_STR(ev->str[EF_SOURCE], "vpcflow");
	CHECK_STR(ev->str[EF_KIND], "flow");
	CHECK_STR(ev->str[EF_SRC_IP], "203.0.113.10");
	CHECK_INT(ev->src_port, 49152);
	CHECK_STR(ev->str[EF_DST_IP], "10.0.1.5");
	CHECK_INT(ev->dst_port, 443);
	CHECK_STR(ev->str[EF_PROTOCOL], "tcp");
	CHECK_STR(ev->str[EF_ACTION], "ACCEPT");
	CHECK_STR(ev->str[EF_ACCOUNT], "111122223333");
	CHECK_STR(ev->str[EF_RESOURCE], "eni-0a1b2c3d4e5f60001");
	CHECK_STR(ev->str[EF_RESOURCE_TYPE], "network_interface");
	CHECK_INT(ev->time_ns, 1796083200LL * SEC);
	CHECK_INT(strlen(ev->str[EF_ID]), 32);
	a = attrs_of(ev);
	CHECK_INT(attr_int(a, "packets"), 10);
	CHECK_INT(attr_int(a, "bytes"), 5200);
	CHECK_INT(attr_int(a, "end"), 1796083260);
	CHECK_STR(jsonu_str(a, "log_status"), "OK");
	cJSON_Delete(a);

	for (int i = 1; i <= 2; i++) {
		ev = &r.list.v[i];
		CHECK_STR(ev->str[EF_SRC_IP], NULL);
		CHECK_STR(ev->str[EF_DST_IP], NULL);
		CHECK_INT(ev->src_port, EVENT_NO_PORT);
		CHECK_INT(ev->dst_port, EVENT_NO_PORT);
		CHECK_STR(ev->str[EF_PROTOCOL], NULL);
		CHECK_STR(ev->str[EF_ACTION], NULL);
		CHECK_STR(ev->str[EF_RESOURCE], "eni-0a1b2c3d4e5f60001");
		CHECK(ev->has_time);
		a = attrs_of(ev);
		CHECK(jsonu_key(a, "packets") == NULL);
		CHECK(jsonu_key(a, "bytes") == NULL);
		CHECK_STR(jsonu_str(a, "log_status"), i == 1 ? "NODATA" : "SKIPDATA");
		cJSON_Delete(a);
	}
	CHECK_INT(r.list.v[1].time_ns, 1796083260LL * SEC);

	/* A "-" start keeps the record, with no time. */
	{
		static const char line[] = "2 111122223333 eni-0a1b2c3d4e5f60001 "
			"- - - - - - - - - - NODATA";

		CHECK_INT(vpcflow_line(l, line, sizeof(line) - 1, &r.sink), 0);
		CHECK_INT(r.list.n, 4);
		CHECK(!last(&r)->has_time);
		CHECK_INT(r.list.warnings, 0);
	}
	vpcflow_layout_free(l);
	dispose(&r, &t);
}

static void
test_vpc_default_v2(void)
{
	struct text t = slurp("vpc-flow-logs-aws-docs-examples/default-format-v2.log");
	struct vpcflow_layout *l = NULL;
	struct run r;
	struct event *ev;
	size_t n;
	const char *p = line_of(&t, 1, &n);

	run_init(&r);
	/* No header in this file: ingest needs --vpc-fields for it. */
	CHECK(!vpcflow_is_header(p, n));
	CHECK_INT(vpcflow_layout_parse(v2_fields, strlen(v2_fields), &l), 0);
	for (int k = 1; k <= 7; k++)
		CHECK_INT(flow_line(&r, l, &t, k), 0);
	CHECK_INT(r.list.n, 7);
	CHECK_INT(r.list.warnings, 0);

	ev = &r.list.v[0];
	CHECK_STR(ev->str[EF_SRC_IP], "172.31.16.139");
	CHECK_INT(ev->dst_port, 22);
	CHECK_STR(ev->str[EF_ACTION], "ACCEPT");
	CHECK_INT(ev->time_ns, 1418530010LL * SEC);

	/* Line 2: RDP to 172.31.9.12 rejected. */
	ev = &r.list.v[1];
	CHECK_STR(ev->str[EF_SRC_IP], "172.31.9.69");
	CHECK_INT(ev->src_port, 49761);
	CHECK_STR(ev->str[EF_DST_IP], "172.31.9.12");
	CHECK_INT(ev->dst_port, 3389);
	CHECK_STR(ev->str[EF_ACTION], "REJECT");
	CHECK_STR(ev->str[EF_ACCOUNT], "123456789010");

	CHECK_STR(r.list.v[3].str[EF_RESOURCE], "eni-11111111aaaaaaaaa");

	/* Line 5: ICMP, ports written as 0. */
	ev = &r.list.v[4];
	CHECK_STR(ev->str[EF_PROTOCOL], "icmp");
	CHECK_INT(ev->src_port, 0);
	CHECK_STR(ev->str[EF_SRC_IP], "203.0.113.12");

	/* Line 7: IPv6 SSH. */
	ev = &r.list.v[6];
	CHECK_STR(ev->str[EF_SRC_IP], "2001:db8:1234:a100:8d6e:3477:df66:f105");
	CHECK_STR(ev->str[EF_DST_IP], "2001:db8:1234:a102:3304:8879:34cf:4071");
	CHECK_INT(ev->src_port, 34892);
	vpcflow_layout_free(l);

	/* The same fields as an AWS format string. */
	{
		static const char fmt[] = "${version},${account-id} ${interface-id}";

		CHECK_INT(vpcflow_layout_parse(fmt, sizeof(fmt) - 1, &l), 0);
		vpcflow_layout_free(l);
	}
	dispose(&r, &t);
}

static void
test_vpc_custom_v3(void)
{
	struct text t = slurp("vpc-flow-logs-aws-docs-examples/custom-format-v3-tcpflags.log");
	struct vpcflow_layout *l = NULL;
	struct run r;
	struct event *ev;
	size_t n;
	const char *p = line_of(&t, 1, &n);
	cJSON *a;

	run_init(&r);
	CHECK(vpcflow_is_header(p, n));
	CHECK_INT(vpcflow_layout_parse(p, n, &l), 0);
	for (int k = 2; k <= 9; k++)
		CHECK_INT(flow_line(&r, l, &t, k), 0);
	/* The header line itself, fed again, is not a record. */
	CHECK_INT(flow_line(&r, l, &t, 1), 0);
	CHECK_INT(r.list.n, 8);
	CHECK_INT(r.list.warnings, 0);

	ev = &r.list.v[0];
	CHECK_STR(ev->str[EF_SRC_IP], "52.213.180.42");
	CHECK_INT(ev->src_port, 43416);
	CHECK_STR(ev->str[EF_DST_IP], "10.0.0.62");
	CHECK_INT(ev->dst_port, 5001);
	CHECK_STR(ev->str[EF_HOST], "i-01234567890123456");
	CHECK_STR(ev->str[EF_RESOURCE], "eni-1235b8ca123456789");
	CHECK_STR(ev->str[EF_ACCOUNT], "123456789010");
	CHECK_INT(ev->time_ns, 1566848875LL * SEC);
	a = attrs_of(ev);
	CHECK_STR(jsonu_str(a, "vpc_id"), "vpc-abcdefab012345678");
	CHECK_STR(jsonu_str(a, "subnet_id"), "subnet-aaaaaaaa012345678");
	CHECK_STR(jsonu_str(a, "type"), "IPv4");
	CHECK_STR(jsonu_str(a, "pkt_srcaddr"), "52.213.180.42");
	CHECK_INT(attr_int(a, "tcp_flags"), 2);
	CHECK_INT(attr_int(a, "bytes"), 568);
	CHECK_INT(attr_int(a, "packets"), 8);
	cJSON_Delete(a);

	/* Line 7 of the records: 23294588 bytes, FIN flag. */
	a = attrs_of(&r.list.v[5]);
	CHECK_INT(attr_int(a, "bytes"), 23294588);
	CHECK_INT(attr_int(a, "tcp_flags"), 1);
	cJSON_Delete(a);
	vpcflow_layout_free(l);
	dispose(&r, &t);
}

static void
test_vpc_bad_values(void)
{
	static const char bad[] = "2 111122223333 eni-0a1b2c3d4e5f60001 "
		"999.1.1.1 10.0.1.5 70000 443 6 abc 5200 1796083200 1796083260 "
		"ACCEPT OK\r\n";
	static const char short_line[] = "2 111122223333 eni-0a1b2c3d4e5f60001 "
		"203.0.113.10 10.0.1.5 49152 443 6 10";
	struct vpcflow_layout *l = NULL;
	struct run r;
	struct event *ev;
	cJSON *a;

	run_init(&r);
	CHECK_INT(vpcflow_layout_parse(v2_fields, strlen(v2_fields), &l), 0);
	CHECK_INT(vpcflow_line(l, bad, sizeof(bad) - 1, &r.sink), 0);
	CHECK_INT(r.list.n, 1);
	CHECK_INT(r.list.warnings, 3);
	CHECK(strstr(r.list.last_warn, "packets") != NULL);
	ev = last(&r);
	CHECK_STR(ev->str[EF_SRC_IP], NULL);
	CHECK_INT(ev->src_port, EVENT_NO_PORT);
	CHECK_STR(ev->str[EF_DST_IP], "10.0.1.5");
	CHECK_INT(ev->dst_port, 443);
	a = attrs_of(ev);
	CHECK(jsonu_key(a, "packets") == NULL);
	CHECK_INT(attr_int(a, "bytes"), 5200);
	cJSON_Delete(a);

	CHECK_INT(vpcflow_line(l, short_line, sizeof(short_line) - 1, &r.sink),
		  ERR_PARSE);
	CHECK(strstr(err_msg(), "9 fields") != NULL);
	CHECK_INT(r.list.n, 1);
	vpcflow_layout_free(l);

	l = (struct vpcflow_layout *)1;
	CHECK_INT(vpcflow_layout_parse("version foo-bar", 15, &l), ERR_FORMAT);
	CHECK(strstr(err_msg(), "foo-bar") != NULL);
	CHECK(l == NULL);
	CHECK_INT(vpcflow_layout_parse("srcaddr srcaddr", 15, &l), ERR_FORMAT);
	CHECK_INT(vpcflow_layout_parse("  ", 2, &l), ERR_FORMAT);
	event_list_dispose(&r.list);
}

/* ---- VPC Flow Logs, JSON ------------------------------------------------ */

static void
test_vpc_json(void)
{
	struct text t = slurp("panther-analysis-rule-tests/raw/vpcflow.jsonl");
	struct run r;
	struct event *ev;
	cJSON *a;

	run_init(&r);
	for (int k = 1; k <= 12; k++) {
		CHECK_INT(detect_line(&adapter_vpcflow, &t, k), 70);
		CHECK_INT(detect_line(&adapter_falco, &t, k), 0);
		CHECK_INT(detect_line(&adapter_k8s_audit, &t, k), 0);
		CHECK_STR(detected_name(&t, k), "vpcflow");
		CHECK_INT(feed(&r, &adapter_vpcflow, &t, k), 0);
	}
	CHECK_INT(r.list.n, 12);
	CHECK_INT(r.list.warnings, 0);

	/* Line 2: egress from 10.0.0.1 to 192.168.1.1:8080. */
	ev = &r.list.v[1];
	CHECK_STR(ev->str[EF_KIND], "flow");
	CHECK_STR(ev->str[EF_SRC_IP], "10.0.0.1");
	CHECK_INT(ev->src_port, 54321);
	CHECK_STR(ev->str[EF_DST_IP], "192.168.1.1");
	CHECK_INT(ev->dst_port, 8080);
	CHECK_STR(ev->str[EF_REGION], "us-east-1");
	CHECK_STR(ev->str[EF_ACTION], NULL);
	CHECK(!ev->has_time);
	a = attrs_of(ev);
	CHECK_STR(jsonu_str(a, "flow_direction"), "egress");
	CHECK_STR(jsonu_str(a, "subnet_id"), "subnet-12345678");
	CHECK_STR(jsonu_str(a, "vpc_id"), "vpc-12345678");
	cJSON_Delete(a);

	/* Line 4: srcAddr "null" is absent, not an address error. */
	CHECK_STR(r.list.v[3].str[EF_SRC_IP], NULL);
	CHECK_STR(r.list.v[3].str[EF_DST_IP], "192.168.1.1");

	/* Line 10: SSH from 1.1.1.1 rejected at instance i-0d4c7318592c6a2c7. */
	ev = &r.list.v[9];
	CHECK_STR(ev->str[EF_ACTION], "REJECT");
	CHECK_STR(ev->str[EF_SRC_IP], "1.1.1.1");
	CHECK_INT(ev->dst_port, 22);
	CHECK_STR(ev->str[EF_HOST], "i-0d4c7318592c6a2c7");
	dispose(&r, &t);
}

/* A flow record with numbers as strings, 19-digit bytes and bad values. */
static void
test_vpc_json_values(void)
{
	static const char rec[] = "{\"interfaceId\":\"eni-1\",\"srcAddr\":\"-\","
		"\"dstAddr\":\"10.0.0.1\",\"dstPort\":\"70000\",\"protocol\":17,"
		"\"bytes\":1234567890123456789,\"start\":1796083200,"
		"\"action\":\"ACCEPT\",\"logStatus\":\"OK\"}";
	struct text t = { (char *)rec, sizeof(rec) - 1 };
	struct run r;
	struct event *ev;

	run_init(&r);
	CHECK_INT(detect_line(&adapter_vpcflow, &t, 1), 70);
	CHECK_INT(feed(&r, &adapter_vpcflow, &t, 1), 0);
	ev = last(&r);
	CHECK_STR(ev->str[EF_SRC_IP], NULL);
	CHECK_INT(ev->dst_port, EVENT_NO_PORT);
	CHECK_STR(ev->str[EF_PROTOCOL], "udp");
	CHECK_STR(ev->str[EF_RESOURCE], "eni-1");
	CHECK_INT(ev->time_ns, 1796083200LL * SEC);
	CHECK(strstr(ev->attrs, "\"bytes\":1234567890123456789") != NULL);
	CHECK_INT(r.list.warnings, 1);
	CHECK(strstr(r.list.last_warn, "dstPort") != NULL);
	event_list_dispose(&r.list);
}

int
main(void)
{
	test_falco_case13();
	test_falco_alerts();
	test_falco_cat_write();
	test_falco_evt_time_fallback();
	test_k8s_case14();
	test_k8s_case17();
	test_k8s_fixtures();
	test_k8s_panther();
	test_vpc_case09();
	test_vpc_default_v2();
	test_vpc_custom_v3();
	test_vpc_bad_values();
	test_vpc_json();
	test_vpc_json_values();
	return tap_done();
}
