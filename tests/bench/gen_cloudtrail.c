/* SPDX-License-Identifier: Apache-2.0 */
/* gen_cloudtrail: scales real CloudTrail records up to a benchmark input,
 * varying ids, times, actors and addresses, deterministically. */
#define _GNU_SOURCE /* asprintf */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <zlib.h>

#define GEN_SEED 0x7665726469637421ULL /* "verdict!" */
#define GEN_ACTORS 2000u
#define GEN_ADDRESSES 50000u
#define GEN_BASE_TIME 1722470400 /* 2024-08-01T00:00:00Z */
#define GEN_USER_AGENT "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64"

struct templates {
	cJSON **v;   /* owned parsed records, in file order */
	size_t n, cap;
};

/* One output stream: plain JSON lines, or gzip members of S3 form. */
struct out {
	FILE *plain;
	gzFile gz;
	const char *dir;   /* S3 form: the directory, else NULL */
	uint64_t per_file; /* S3 form: records per file */
	uint64_t in_file;  /* records written to the current file */
	unsigned file_no;
};

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("gen_cloudtrail: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* splitmix64: a fixed, well-mixed function of the record index. */
static uint64_t
mix(uint64_t x)
{
	x += GEN_SEED + 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* ---- templates ------------------------------------------------------- */

static void
templates_add(struct templates *t, cJSON *rec)
{
	if (!cJSON_IsObject(rec) || !cJSON_GetObjectItemCaseSensitive(rec,
								     "eventName")) {
		cJSON_Delete(rec);
		return;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
		if (!t->v)
			die("out of memory");
	}
	t->v[t->n++] = rec;
}

/* A value may be one record, an array of them, {"Records": [...]}, or
 * one record per line; take the records out of any of these. */
static void
templates_take(struct templates *t, cJSON *val)
{
	cJSON *records = cJSON_GetObjectItemCaseSensitive(val, "Records");
	cJSON *list = cJSON_IsArray(val) ? val : records;

	if (!cJSON_IsArray(list)) {
		templates_add(t, val);
		return;
	}
	while (list->child)
		templates_add(t, cJSON_DetachItemViaPointer(list, list->child));
	cJSON_Delete(val);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0 || !(p = malloc((size_t)n + 1)) ||
	    fread(p, 1, (size_t)n, f) != (size_t)n)
		die("%s: cannot read", path);
	fclose(f);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

static void
templates_load_file(struct templates *t, const char *path)
{
	size_t len;
	char *text = slurp(path, &len);
	const char *p = text, *end;

	for (;;) {
		cJSON *val;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		val = cJSON_ParseWithOpts(p, &end, false);
		if (!val)
			die("%s: not JSON near byte %zu", path,
			    (size_t)(end - text));
		templates_take(t, val);
		p = end;
	}
	free(text);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json file of dir, in name order, so the output never depends on
 * the order readdir happens to return. */
static void
templates_load_dir(struct templates *t, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		die("%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if (!(names = realloc(names, cap * sizeof(*names))))
				die("out of memory");
		}
		if (asprintf(&names[n++], "%s/%s", dir, de->d_name) < 0)
			die("out of memory");
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		templates_load_file(t, names[i]);
		free(names[i]);
	}
	free(names);
}

/* ---- varying one record ---------------------------------------------- */

static void
set_str(cJSON *obj, const char *key, const char *val)
{
	cJSON *s = cJSON_CreateString(val);

	if (!s || !cJSON_ReplaceItemInObjectCaseSensitive(obj, key, s))
		die("out of memory");
}

static const char *
get_str(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* An address as CloudTrail writes it (not "AWS Internal" nor a service's
 * host name): only digits and dots, or an IPv6 colon. */
static bool
looks_like_ip(const char *s)
{
	if (!s || !*s)
		return false;
	if (strchr(s, ':'))
		return true;
	return strspn(s, "0123456789.") == strlen(s);
}

/* Address k of GEN_ADDRESSES: the three documentation ranges first, one
 * in 16 an IPv6 documentation address, the rest private IPv4. */
static void
address(uint32_t k, char *buf, size_t sz)
{
	static const char *const doc[] = { "192.0.2", "198.51.100",
					   "203.0.113" };

	if (k < 3 * 254)
		snprintf(buf, sz, "%s.%u", doc[k / 254], k % 254 + 1);
	else if (k % 16 == 0)
		snprintf(buf, sz, "2001:db8:%x::%x", k >> 12, k & 0xfff);
	else if (k % 3 == 0)
		snprintf(buf, sz, "10.%u.%u.%u", (k >> 16) & 0xff,
			 (k >> 8) & 0xff, k % 254 + 1);
	else if (k % 3 == 1)
		snprintf(buf, sz, "172.%u.%u.%u", 16 + ((k >> 16) & 0xf),
			 (k >> 8) & 0xff, k % 254 + 1);
	else
		snprintf(buf, sz, "192.168.%u.%u", (k >> 8) & 0xff,
			 k % 254 + 1);
}

/* The role part of an assumed-role ARN: "...:assumed-role/ROLE/session". */
static void
role_name(const char *arn, char *buf, size_t sz)
{
	const char *p = arn ? strstr(arn, ":assumed-role/") : NULL;
	size_t n;

	if (!p) {
		snprintf(buf, sz, "bench-role");
		return;
	}
	p += strlen(":assumed-role/");
	n = strcspn(p, "/");
	snprintf(buf, sz, "%.*s", (int)(n < sz - 1 ? n : sz - 1), p);
}

/* Principal id of an actor: the AWS shape, 4 letters then 17 more. */
static void
principal_id(const char *prefix, uint32_t a, char *buf, size_t sz)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint64_t h[2] = { mix(0x1000000u + a), mix(0x2000000u + a) };
	char tail[18];

	/* 17 letters of 5 bits each: more than one 64-bit hash holds. */
	for (int i = 0; i < 17; i++)
		tail[i] = alphabet[(h[i / 9] >> (5 * (i % 9))) & 31];
	tail[17] = '\0';
	snprintf(buf, sz, "%s%s", prefix, tail);
}

/* Actor a of GEN_ACTORS, in the shape of the template's identity. Records
 * made by AWS services keep theirs. */
static void
vary_actor(cJSON *ui, uint32_t a)
{
	const char *type = get_str(ui, "type");
	const char *account = get_str(ui, "accountId");
	char arn[512], pid[128], name[64], role[256];

	if (!type || !account)
		return;
	if (strcmp(type, "IAMUser") == 0) {
		snprintf(name, sizeof(name), "user%04u", a);
		snprintf(arn, sizeof(arn), "arn:aws:iam::%s:user/%s", account,
			 name);
		principal_id("AIDA", a, pid, sizeof(pid));
		if (get_str(ui, "userName"))
			set_str(ui, "userName", name);
	} else if (strcmp(type, "AssumedRole") == 0) {
		role_name(get_str(ui, "arn"), role, sizeof(role));
		snprintf(name, sizeof(name), "session%04u", a);
		snprintf(arn, sizeof(arn),
			 "arn:aws:sts::%s:assumed-role/%s/%s", account, role,
			 name);
		principal_id("AROA", a / 16, pid, sizeof(pid));
		snprintf(pid + strlen(pid), sizeof(pid) - strlen(pid), ":%s",
			 name);
	} else {
		return;
	}
	if (get_str(ui, "arn"))
		set_str(ui, "arn", arn);
	if (get_str(ui, "principalId"))
		set_str(ui, "principalId", pid);
}

static void
vary(cJSON *rec, uint64_t i)
{
	uint64_t h = mix(i);
	time_t t = (time_t)(GEN_BASE_TIME + i / 2);
	struct tm tm;
	char id[40], when[40], ip[48];
	const char *ua = get_str(rec, "userAgent");
	cJSON *ui = cJSON_GetObjectItemCaseSensitive(rec, "userIdentity");

	/* The index itself in the last group keeps ids unique. */
	snprintf(id, sizeof(id), "%08" PRIx32 "-%04x-4%03x-%04x-%012" PRIx64,
		 (uint32_t)(h >> 32), (unsigned)(h >> 16) & 0xffff,
		 (unsigned)h & 0xfff, 0x8000u | ((unsigned)(i >> 48) & 0x3fff),
		 (uint64_t)(i & 0xffffffffffffULL));
	set_str(rec, "eventID", id);

	gmtime_r(&t, &tm);
	/* Logstash-shipped records have @timestamp, with milliseconds. */
	if (get_str(rec, "eventTime")) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		set_str(rec, "eventTime", when);
	} else if (get_str(rec, "@timestamp")) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
		set_str(rec, "@timestamp", when);
	}

	if (cJSON_IsObject(ui))
		vary_actor(ui, (uint32_t)((h >> 8) % GEN_ACTORS));
	if (looks_like_ip(get_str(rec, "sourceIPAddress"))) {
		address((uint32_t)((h >> 24) % GEN_ADDRESSES), ip, sizeof(ip));
		set_str(rec, "sourceIPAddress", ip);
	}
	if (ua && strncmp(ua, "stratus-red-team", 16) == 0)
		set_str(rec, "userAgent", GEN_USER_AGENT);
}

/* ---- output ---------------------------------------------------------- */

static void
out_write(struct out *o, const char *p, size_t n)
{
	if (o->gz) {
		if (gzwrite(o->gz, p, (unsigned)n) != (int)n)
			die("%s: gzip write failed", o->dir);
	} else if (fwrite(p, 1, n, o->plain) != n) {
		die("write failed: %s", strerror(errno));
	}
}

static void
out_close_file(struct out *o)
{
	if (!o->gz)
		return;
	out_write(o, "]}\n", 3);
	if (gzclose(o->gz) != Z_OK)
		die("%s: gzip close failed", o->dir);
	o->gz = NULL;
}

static void
out_record(struct out *o, const char *json)
{
	if (o->dir && o->in_file == o->per_file)
		out_close_file(o);
	if (o->dir && !o->gz) {
		char path[4096];

		/* The S3 key shape of CloudTrail, one account and region. */
		snprintf(path, sizeof(path),
			 "%s/123456789012_CloudTrail_us-east-1_20240801T0000Z_%05u"
			 ".json.gz", o->dir, o->file_no++);
		if (!(o->gz = gzopen(path, "wb1")))
			die("%s: cannot create", path);
		out_write(o, "{\"Records\":[", 12);
		o->in_file = 0;
	} else if (o->dir) {
		out_write(o, ",", 1);
	}
	out_write(o, json, strlen(json));
	if (!o->dir)
		out_write(o, "\n", 1);
	o->in_file++;
}

static void
usage(void)
{
	fputs("usage: gen_cloudtrail [-n COUNT] [-f jsonl|s3] [-m PER_FILE]"
	      " -d TEMPLATE_DIR... OUTPUT\n"
	      "  jsonl: OUTPUT is a file of JSON lines (\"-\": stdout)\n"
	      "  s3:    OUTPUT is a directory of gzip files, {\"Records\":[...]},"
	      " PER_FILE records each\n", stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct templates t = { 0 };
	struct out o = { 0 };
	uint64_t count = 1000000, per_file = 10000;
	const char *format = "jsonl";
	char *buf;
	int opt, ndirs = 0;
	const int bufsz = 1 << 22;

	while ((opt = getopt(argc, argv, "n:f:m:d:")) != -1) {
		switch (opt) {
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'f': format = optarg; break;
		case 'm': per_file = strtoull(optarg, NULL, 10); break;
		case 'd': templates_load_dir(&t, optarg); ndirs++; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || !ndirs || !per_file)
		usage();
	if (!t.n)
		die("no CloudTrail records in the template directories");

	if (strcmp(format, "s3") == 0) {
		o.dir = argv[optind];
		o.per_file = per_file;
		if (mkdir(o.dir, 0777) < 0 && errno != EEXIST)
			die("%s: %s", o.dir, strerror(errno));
	} else if (strcmp(format, "jsonl") != 0) {
		usage();
	} else if (strcmp(argv[optind], "-") == 0) {
		o.plain = stdout;
	} else if (!(o.plain = fopen(argv[optind], "wb"))) {
		die("%s: %s", argv[optind], strerror(errno));
	}

	if (!(buf = malloc(bufsz)))
		die("out of memory");
	for (uint64_t i = 0; i < count; i++) {
		cJSON *rec = t.v[i % t.n];

		vary(rec, i);
		if (!cJSON_PrintPreallocated(rec, buf, bufsz, false))
			die("record %" PRIu64 " too large to print", i);
		out_record(&o, buf);
	}
	out_close_file(&o);
	if (o.plain && o.plain != stdout && fclose(o.plain) != 0)
		die("%s: %s", argv[optind], strerror(errno));
	if (o.plain == stdout && fflush(stdout) != 0)
		die("stdout: %s", strerror(errno));
	fprintf(stderr, "gen_cloudtrail: %" PRIu64 " records from %zu"
		" templates\n", count, t.n);
	for (size_t i = 0; i < t.n; i++)
		cJSON_Delete(t.v[i]);
	free(t.v);
	free(buf);
	return 0;
}
