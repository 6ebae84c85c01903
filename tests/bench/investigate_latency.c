/* SPDX-License-Identifier: Apache-2.0 */
/* investigate_latency: times investigate_threat on every threat of a store
 * (or the first MAX of them) and prints p50, p95, p99 and max latency and
 * investigations per second, in wall time and in the process's CPU time
 * (which a busy machine does not inflate). Built by
 * tests/bench/investigate.sh against the build tree's libraries. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/investigate.h"
#include "core/store.h"
#include "kb/kb.h"

struct ids {
	char **v;
	size_t n, max;
};

static int
on_threat(void *ctx, const struct threat *t)
{
	struct ids *ids = ctx;
	char **grown;

	if (ids->max && ids->n >= ids->max)
		return 1;
	if (!(grown = realloc(ids->v, (ids->n + 1) * sizeof(*grown))))
		return -1;
	ids->v = grown;
	ids->v[ids->n++] = strdup(t->id);
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t
clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
print_figures(const char *what, int64_t *lat, size_t n)
{
	int64_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += lat[i];
	qsort(lat, n, sizeof(*lat), cmp_i64);
	printf("%-5s latency p50  %.2f ms\n", what, lat[n / 2] / 1e6);
	printf("%-5s latency p95  %.2f ms\n", what, lat[n * 95 / 100] / 1e6);
	printf("%-5s latency p99  %.2f ms\n", what, lat[n * 99 / 100] / 1e6);
	printf("%-5s latency max  %.2f ms\n", what, lat[n - 1] / 1e6);
	printf("%-5s investigations/s  %.1f\n", what, n / (total / 1e9));
}


static void
diag(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "kb: %s\n", msg);
}

int
main(int argc, char **argv)
{
	struct threat_filter f = { 0 };
	struct ids ids = { 0 };
	struct store *st = NULL;
	struct kb_data *kb = NULL;
	unsigned errors = 0;
	int64_t *wall, *cpu, w0, c0;
	size_t failed = 0;
	uint64_t events = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: investigate_latency DB KB_DIR [MAX]\n");
		return 2;
	}
	if (argc > 3)
		ids.max = (size_t)atol(argv[3]);
	if (store_open(argv[1], 0, &st) < 0 ||
	    kb_load_dir(argv[2], diag, NULL, &kb, &errors) < 0) {
		fprintf(stderr, "investigate_latency: %s\n", err_msg());
		return 2;
	}
	store_count_events(st, &events);
	if (store_threat_list(st, &f, on_threat, &ids) < 0 || ids.n == 0) {
		fprintf(stderr, "investigate_latency: no threats\n");
		return 2;
	}
	wall = calloc(ids.n, sizeof(*wall));
	cpu = calloc(ids.n, sizeof(*cpu));
	for (size_t i = 0; i < ids.n; i++) {
		struct report *r = NULL;

		w0 = clock_ns(CLOCK_MONOTONIC);
		c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		if (investigate_threat(st, kb, ids.v[i], &r) < 0) {
			fprintf(stderr, "%s: %s\n", ids.v[i], err_msg());
			failed++;
		}
		cpu[i] = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
		wall[i] = clock_ns(CLOCK_MONOTONIC) - w0;
		report_free(r);
	}
	printf("store events       %llu\n", (unsigned long long)events);
	printf("knowledge base     %s (%zu playbooks, %u problems)\n",
	       kb->version, kb->nplaybooks, errors);
	printf("investigations     %zu (%zu failed)\n", ids.n, failed);
	print_figures("wall", wall, ids.n);
	print_figures("cpu", cpu, ids.n);
	for (size_t i = 0; i < ids.n; i++)
		free(ids.v[i]);
	free(ids.v);
	free(wall);
	free(cpu);
	kb_data_free(kb);
	store_close(st);
	return failed ? 1 : 0;
}
