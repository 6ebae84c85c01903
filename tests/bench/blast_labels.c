/* SPDX-License-Identifier: Apache-2.0 */
/* blast_labels: the blast-radius measurement behind tests/bench/blast.sh.
 * Computes the blast radius of every principal named in a label file
 * against a store holding the identity configuration, and counts how many
 * of each label are flagged (admin-equivalent or with an escalation path).
 * The labels only score the result; blast_compute never sees them.
 *
 *   blast_labels DB LABELS.jsonl [-v]
 *   blast_labels DB --json ACTOR...
 *
 * Prints one line per label ("privesc-scenario flagged 70/79") and every
 * principal whose flag disagrees with its label, with the paths found; -v
 * prints every principal. --json prints each actor's blast radius as
 * blast_to_json gives it, one a line. Exits 2 when it cannot run. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/blast.h"
#include "core/error.h"
#include "core/store.h"

/* Each label and whether its principals should be flagged. */
static const struct label {
	const char *name;
	const char *phrase;
	bool flag_wanted;
} labels[] = {
	{ "privesc-scenario", "flagged", true },
	{ "not-exploitable-decoy", "wrongly flagged", false },
	{ "benign", "flagged", false },
};

#define NLABELS (sizeof(labels) / sizeof(labels[0]))

struct tally {
	int flagged, total;
	char *lines; /* the principals listed under it, one a line */
	size_t len;
};

static void
tally_line(struct tally *t, const char *state, const char *arn,
	   const struct blast *b)
{
	size_t n = strlen(state) + strlen(arn) + 40;
	char *grown;

	for (size_t i = 0; i < b->npaths; i++)
		n += strlen(b->paths[i].name) + 2;
	if (!(grown = realloc(t->lines, t->len + n)))
		return;
	t->lines = grown;
	t->len += (size_t)snprintf(t->lines + t->len, n, "  %s %s\n", state, arn);
	if (!b->admin && !b->npaths)
		return;
	t->len += (size_t)snprintf(t->lines + t->len, n, "      %s",
				   b->admin ? "admin-equivalent" : "");
	for (size_t i = 0; i < b->npaths; i++)
		t->len += (size_t)snprintf(t->lines + t->len, n, "%s%s",
					   i || b->admin ? "; " : "",
					   b->paths[i].name);
	t->len += (size_t)snprintf(t->lines + t->len, n, "\n");
}

static int
score(struct store *st, const char *arn, const char *label, bool verbose,
      struct tally *tallies)
{
	struct blast *b = NULL;
	size_t k;
	bool flagged;

	for (k = 0; k < NLABELS && strcmp(labels[k].name, label) != 0; k++)
		;
	if (k == NLABELS) {
		fprintf(stderr, "blast_labels: %s: unknown label %s\n", arn, label);
		return 0;
	}
	if (blast_compute(st, arn, 0, 0, &b) < 0) {
		fprintf(stderr, "blast_labels: %s: %s\n", arn, err_msg());
		return -1;
	}
	flagged = b->admin || b->npaths > 0;
	tallies[k].total++;
	tallies[k].flagged += flagged;
	if (verbose || flagged != labels[k].flag_wanted)
		tally_line(&tallies[k], flagged ? "flagged" :
			   b->known ? "not flagged" : "not found", arn, b);
	blast_free(b);
	return 0;
}

static int
print_json(struct store *st, char **actors, int n)
{
	for (int i = 0; i < n; i++) {
		struct blast *b = NULL;
		char *json;

		if (blast_compute(st, actors[i], 0, 0, &b) < 0) {
			fprintf(stderr, "blast_labels: %s: %s\n", actors[i], err_msg());
			return 2;
		}
		json = blast_to_json(b);
		printf("%s\n", json ? json : "null");
		free(json);
		blast_free(b);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct tally tallies[NLABELS] = { 0 };
	struct store *st = NULL;
	char line[8192];
	bool verbose = argc > 3 && strcmp(argv[3], "-v") == 0;
	FILE *f;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: blast_labels DB LABELS.jsonl [-v]\n");
		return 2;
	}
	if (store_open(argv[1], STORE_READONLY, &st) < 0) {
		fprintf(stderr, "blast_labels: %s\n", err_msg());
		return 2;
	}
	if (strcmp(argv[2], "--json") == 0) {
		rc = print_json(st, argv + 3, argc - 3);
		store_close(st);
		return rc;
	}
	if (!(f = fopen(argv[2], "r"))) {
		perror(argv[2]);
		store_close(st);
		return 2;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		cJSON *rec = cJSON_Parse(line);
		const cJSON *arn = cJSON_GetObjectItemCaseSensitive(rec, "arn");
		const cJSON *label = cJSON_GetObjectItemCaseSensitive(rec, "label");

		if (cJSON_IsString(arn) && cJSON_IsString(label))
			rc = score(st, arn->valuestring, label->valuestring,
				   verbose, tallies);
		cJSON_Delete(rec);
	}
	fclose(f);
	store_close(st);
	for (size_t k = 0; k < NLABELS; k++) {
		printf("%s %s %d/%d\n", labels[k].name, labels[k].phrase,
		       tallies[k].flagged, tallies[k].total);
	}
	for (size_t k = 0; k < NLABELS; k++) {
		if (tallies[k].len)
			printf("\n%s, %s:\n%s", labels[k].name,
			       verbose ? "all" : labels[k].flag_wanted
						 ? "missed" : "flagged",
			       tallies[k].lines);
		free(tallies[k].lines);
	}
	return rc ? 2 : 0;
}
