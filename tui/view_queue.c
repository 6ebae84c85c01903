/* SPDX-License-Identifier: Apache-2.0 */
/* view_queue: the threat queue, the console's first view: one row per
 * threat, sortable by any column, filtered by a remembered `/` filter,
 * with live counts in the title bar. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/investigate.h"
#include "core/store.h"
#include "core/threat.h"
#include "core/timeutil.h"
#include "tui/app.h"
#include "tui/view.h"

/* Threats read for the first frame; the rest follow once it is drawn. */
#define QUEUE_FIRST_PAGE 256
/* The queue's columns (the table below). */
#define QUEUE_NCOLUMNS 8

/* One threat as the queue shows it. The strings live in one allocation,
 * mem; hay is their lowercase join that plain filter words search. */
struct qrow {
	char *mem;
	const char *id, *severity, *status, *verdict, *title, *entity;
	const char *detection, *source, *hay;
	int sev_rank;
	int confidence;      /* -1: no report */
	bool has_time;
	int64_t last_ns;
	uint64_t count;
	size_t order;        /* the store's order: severity, newest, id */
};

struct queue {
	struct qrow *rows;
	size_t n, cap;
	size_t *shown;       /* indexes of rows passing the filter, sorted */
	size_t nshown;
	int sort;            /* a column index */
	bool desc;
	char *filter;        /* owned copy of the app's */
	bool partial;        /* only the first page is loaded */
	size_t *order[QUEUE_NCOLUMNS][2]; /* rows sorted by a column, ascending
					   * and descending; made when asked */
	size_t total;        /* threats in the store */
	size_t nsev[3];      /* critical, high, medium: for the title bar */
	size_t nstatus[3];   /* new, investigating, decided */
	int err;
};

static const char *const title_sev[3] = { "critical", "high", "medium" };
static const char *const title_status[3] = { "new", "investigating", "decided" };

/* Add n threats of a severity and status to the title bar's counts. */
static void
count_row(struct queue *q, const char *severity, const char *status, size_t n)
{
	for (int k = 0; k < 3; k++) {
		q->nsev[k] += strcmp(severity, title_sev[k]) == 0 ? n : 0;
		q->nstatus[k] += strcmp(status, title_status[k]) == 0 ? n : 0;
	}
}

/* ---- columns ---------------------------------------------------------------- */

typedef int (*qcmp_fn)(const struct qrow *a, const struct qrow *b);
typedef const char *(*qtext_fn)(const struct qrow *r, char *tmp, size_t n);

static int
cmp_str(const char *a, const char *b)
{
	return strcasecmp(a ? a : "", b ? b : "");
}

static int
cmp_num(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_sev(const struct qrow *a, const struct qrow *b)
{ return cmp_num(a->sev_rank, b->sev_rank); }
static int cmp_status(const struct qrow *a, const struct qrow *b)
{ return cmp_str(a->status, b->status); }
static int cmp_verdict(const struct qrow *a, const struct qrow *b)
{ return cmp_str(a->verdict, b->verdict); }
static int cmp_conf(const struct qrow *a, const struct qrow *b)
{ return cmp_num(a->confidence, b->confidence); }
static int cmp_title(const struct qrow *a, const struct qrow *b)
{ return cmp_str(a->title, b->title); }
static int cmp_entity(const struct qrow *a, const struct qrow *b)
{ return cmp_str(a->entity, b->entity); }
static int cmp_time(const struct qrow *a, const struct qrow *b)
{ return cmp_num(a->has_time ? a->last_ns : INT64_MIN,
		 b->has_time ? b->last_ns : INT64_MIN); }
static int cmp_count(const struct qrow *a, const struct qrow *b)
{ return a->count < b->count ? -1 : a->count > b->count; }

static const char *txt_sev(const struct qrow *r, char *t, size_t n)
{ (void)t; (void)n; return r->severity; }
static const char *txt_status(const struct qrow *r, char *t, size_t n)
{ (void)t; (void)n; return r->status; }
static const char *txt_verdict(const struct qrow *r, char *t, size_t n)
{ (void)t; (void)n; return r->verdict ? r->verdict : "-"; }
static const char *txt_title(const struct qrow *r, char *t, size_t n)
{ (void)t; (void)n; return r->title; }
static const char *txt_entity(const struct qrow *r, char *t, size_t n)
{ (void)t; (void)n; return r->entity; }

static const char *
txt_conf(const struct qrow *r, char *t, size_t n)
{
	if (r->confidence < 0)
		return "-";
	snprintf(t, n, "%d%%", r->confidence);
	return t;
}

static const char *
txt_time(const struct qrow *r, char *t, size_t n)
{
	char iso[TIMEUTIL_BUFSZ];

	if (!r->has_time)
		return "-";
	timeutil_format(r->last_ns, iso);
	/* "2026-12-01T00:00:03.5Z" shown as "2026-12-01 00:00" */
	snprintf(t, n, "%.10s %.5s", iso, iso + 11);
	return t;
}

static const char *
txt_count(const struct qrow *r, char *t, size_t n)
{
	snprintf(t, n, "%llu", (unsigned long long)r->count);
	return t;
}

/* The columns, in screen order. width 0 shares what is left. */
static const struct qcolumn {
	const char *name;    /* for :sort and filters like sev:high */
	const char *head;
	size_t width;
	bool right;
	bool desc_first;     /* natural order is descending */
	bool formatted;      /* text made per row, not in the haystack */
	qcmp_fn cmp;
	qtext_fn text;
} columns[] = {
	{ "severity", "SEVERITY", 9, false, true, false, cmp_sev, txt_sev },
	{ "status", "STATUS", 13, false, false, false, cmp_status, txt_status },
	{ "verdict", "VERDICT", 12, false, false, false, cmp_verdict, txt_verdict },
	{ "confidence", "CONF", 5, true, true, true, cmp_conf, txt_conf },
	{ "title", "TITLE", 0, false, false, false, cmp_title, txt_title },
	{ "entity", "ENTITY", 0, false, false, false, cmp_entity, txt_entity },
	{ "time", "LAST SEEN", 16, false, true, true, cmp_time, txt_time },
	{ "count", "COUNT", 6, true, true, true, cmp_count, txt_count },
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))
_Static_assert(NCOLUMNS == QUEUE_NCOLUMNS, "QUEUE_NCOLUMNS is the column count");

const char *const view_queue_columns[] = {
	"severity", "status", "verdict", "confidence", "title", "entity",
	"time", "count", NULL,
};

static int
column_by_name(const char *name)
{
	for (size_t c = 0; c < NCOLUMNS; c++)
		if (strcasecmp(columns[c].name, name) == 0)
			return (int)c;
	return -1;
}

/* Column widths for a screen width columns wide: the fixed ones as given,
 * the title three fifths of the rest and the entity two. */
static void
layout(size_t width, size_t *w)
{
	size_t fixed = 0, flex;

	for (size_t c = 0; c < NCOLUMNS; c++)
		fixed += columns[c].width + 1;
	flex = width > fixed + 20 ? width - fixed : 20;
	for (size_t c = 0; c < NCOLUMNS; c++)
		w[c] = columns[c].width;
	w[4] = flex * 3 / 5;
	w[5] = flex - w[4];
}

/* ---- loading ---------------------------------------------------------------- */

/* The entity an analyst recognises a threat by: the actor, else what was
 * acted on, else where it came from. ARNs lose their fixed prefix. */
static const char *
main_entity(const struct threat *t)
{
	static const enum threat_entity order[] = { TE_ACTOR, TE_RESOURCE,
		TE_SRC_IP, TE_HOST, TE_CONTAINER, TE_ACCOUNT };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *e = t->ent[order[i]];
		const char *p = e;
		int colons = 0;

		if (!e || !*e)
			continue;
		if (strncmp(e, "arn:", 4) == 0) {
			while (*p && colons < 5)
				colons += *p++ == ':';
			if (colons == 5 && *p)
				return p;
		}
		return e;
	}
	return "-";
}

/* Copy the row's strings into one block: id, severity, status, verdict,
 * title, entity, detection, source, then the haystack. */
static int
fill_strings(struct qrow *r, const struct threat *t)
{
	const char *src[8] = {
		t->id ? t->id : "", t->severity ? t->severity : "unknown",
		t->status ? t->status : "new", t->verdict ? t->verdict : "",
		t->title ? t->title : t->detection ? t->detection : "",
		main_entity(t), t->detection ? t->detection : "",
		t->source ? t->source : "",
	};
	const char **dst[8] = { &r->id, &r->severity, &r->status, &r->verdict,
				&r->title, &r->entity, &r->detection, &r->source };
	size_t len[8], total = 0;
	char *p, *h;

	for (int k = 0; k < 8; k++)
		total += (len[k] = strlen(src[k])) + 1;
	if (!(r->mem = p = malloc(2 * total)))
		return err_set(ERR_NOMEM, "out of memory");
	for (int k = 0; k < 8; k++) {
		memcpy(p, src[k], len[k] + 1);
		*dst[k] = p;
		p += len[k] + 1;
	}
	/* ASCII case folding is enough for ids, words and ARNs. */
	r->hay = h = p;
	for (int k = 0; k < 8; k++) {
		for (size_t i = 0; i < len[k]; i++) {
			unsigned char c = (unsigned char)src[k][i];

			*h++ = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		*h++ = k < 7 ? '\x1f' : '\0';
	}
	if (!t->verdict)
		r->verdict = NULL;
	return 0;
}

static int
on_threat(void *ctx, const struct threat *t)
{
	struct queue *q = ctx;
	struct qrow *r;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		struct qrow *g = realloc(q->rows, cap * sizeof(*g));

		if (!g)
			return q->err = err_set(ERR_NOMEM, "out of memory");
		q->rows = g;
		q->cap = cap;
	}
	r = &q->rows[q->n];
	memset(r, 0, sizeof(*r));
	if (fill_strings(r, t) < 0)
		return q->err = ERR_NOMEM;
	r->sev_rank = threat_severity_rank(r->severity);
	r->confidence = t->verdict ? t->confidence : -1;
	r->has_time = t->has_time;
	r->last_ns = t->last_ns;
	r->count = t->count;
	r->order = q->n;
	q->n++;
	return 0;
}

static void forget_order(struct queue *q);

static void
clear_rows(struct queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->rows[i].mem);
	q->n = 0;
	q->nshown = 0;
	forget_order(q);
}

/* ---- filtering and sorting ------------------------------------------------ */

/* Does the row match one filter word? "col:text" looks in one column,
 * plain text in every column and in the id, detection and source. */
static bool
match_word(const struct qrow *r, const char *word)
{
	const char *colon = strchr(word, ':');
	char tmp[48];

	if (colon && colon > word) {
		char name[32];
		size_t n = (size_t)(colon - word);
		int c;

		if (n < sizeof(name)) {
			memcpy(name, word, n);
			name[n] = '\0';
			/* Prefixes are enough: "sev:high". */
			for (c = 0; c < (int)NCOLUMNS; c++)
				if (strncasecmp(columns[c].name, name, n) == 0)
					break;
			if (c < (int)NCOLUMNS)
				return strcasestr(columns[c].text(r, tmp, sizeof(tmp)),
						  colon + 1) != NULL;
		}
	}
	/* A plain word: the lowercase haystack, then, for a word that could
	 * be part of one, the columns that are formatted (time, confidence,
	 * count). */
	if (strstr(r->hay, word))
		return true;
	if (!strpbrk(word, "0123456789-:%"))
		return false;
	for (size_t c = 0; c < NCOLUMNS; c++)
		if (columns[c].formatted &&
		    strcasestr(columns[c].text(r, tmp, sizeof(tmp)), word))
			return true;
	return false;
}

static bool
match(const struct qrow *r, const char *filter)
{
	char words[512], *save = NULL;

	if (!filter || !*filter)
		return true;
	snprintf(words, sizeof(words), "%s", filter);
	for (char *p = words; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	for (char *w = strtok_r(words, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save))
		if (!match_word(r, w))
			return false;
	return true;
}

/* qsort has no context argument: the sort in progress. */
static const struct queue *sorting;

static int
cmp_shown(const void *pa, const void *pb)
{
	const struct qrow *a = &sorting->rows[*(const size_t *)pa];
	const struct qrow *b = &sorting->rows[*(const size_t *)pb];
	int c = columns[sorting->sort].cmp(a, b);

	if (sorting->desc)
		c = -c;
	return c ? c : cmp_num((int64_t)a->order, (int64_t)b->order);
}

/* Every row in the current sort order, sorted once per column and
 * direction for each load of the rows (borrowed; NULL on ENOMEM). */
static const size_t *
sorted(struct queue *q)
{
	size_t **slot = &q->order[q->sort][q->desc];

	if (!*slot) {
		if (!(*slot = malloc((q->n ? q->n : 1) * sizeof(**slot))))
			return NULL;
		for (size_t i = 0; i < q->n; i++)
			(*slot)[i] = i;
		sorting = q;
		qsort(*slot, q->n, sizeof(**slot), cmp_shown);
		sorting = NULL;
	}
	return *slot;
}

static void
forget_order(struct queue *q)
{
	for (size_t c = 0; c < NCOLUMNS; c++)
		for (int d = 0; d < 2; d++) {
			free(q->order[c][d]);
			q->order[c][d] = NULL;
		}
}

/* Filter and sort from the app's remembered settings. */
static int
arrange(struct view *v)
{
	struct queue *q = v->priv;
	const char *sort = app_queue_sort(v->app);
	const char *f = app_queue_filter(v->app);
	const size_t *order;
	size_t *shown;

	if (sort && *sort) {
		char name[32];
		int c;

		snprintf(name, sizeof(name), "%s", sort);
		name[strcspn(name, " ")] = '\0';
		if ((c = column_by_name(name)) >= 0) {
			q->sort = c;
			q->desc = strstr(sort, " desc") ? true
				: strstr(sort, " asc") ? false : columns[c].desc_first;
		}
	}
	free(q->filter);
	q->filter = f && *f ? strdup(f) : NULL;
	if (!(order = sorted(q)))
		return err_set(ERR_NOMEM, "out of memory");
	shown = realloc(q->shown, (q->n ? q->n : 1) * sizeof(*shown));
	if (!shown)
		return err_set(ERR_NOMEM, "out of memory");
	q->shown = shown;
	q->nshown = 0;
	for (size_t k = 0; k < q->n; k++)
		if (match(&q->rows[order[k]], q->filter))
			q->shown[q->nshown++] = order[k];
	v->nrows = q->nshown;
	return 0;
}

/* The id under the cursor, or NULL. */
static const char *
current_id(struct view *v)
{
	struct queue *q = v->priv;

	if (!q->nshown || v->cursor >= q->nshown)
		return NULL;
	return q->rows[q->shown[v->cursor]].id;
}

/* Put the cursor back on threat id after the rows changed. */
static void
follow(struct view *v, const char *id)
{
	struct queue *q = v->priv;

	if (id)
		for (size_t i = 0; i < q->nshown; i++)
			if (strcmp(q->rows[q->shown[i]].id, id) == 0) {
				v->cursor = i;
				return;
			}
	if (v->cursor >= q->nshown)
		v->cursor = q->nshown ? q->nshown - 1 : 0;
}

/* Re-arrange after the filter or sort changed, keeping the cursor on its
 * threat. */
void
view_queue_apply(struct view *v)
{
	char *id = current_id(v) ? strdup(current_id(v)) : NULL;

	arrange(v);
	follow(v, id);
	app_show_row(v->app, v, v->cursor);
	free(id);
}

int
view_queue_column(const char *name)
{
	return column_by_name(name);
}

/* ---- view operations -------------------------------------------------- */

static int
queue_refresh(struct view *v)
{
	struct queue *q = v->priv;
	struct threat_filter f = { 0 };
	char *id = current_id(v) ? strdup(current_id(v)) : NULL;
	int rc;

	clear_rows(q);
	q->err = 0;
	q->partial = false;
	rc = store_threat_list(app_store(v->app), &f, on_threat, q);
	if (rc == 0 && q->err)
		rc = q->err;
	/* The title bar's counts, once per load rather than per frame. */
	memset(q->nsev, 0, sizeof(q->nsev));
	memset(q->nstatus, 0, sizeof(q->nstatus));
	q->total = q->n;
	for (size_t i = 0; i < q->n; i++)
		count_row(q, q->rows[i].severity, q->rows[i].status, 1);
	if (rc == 0)
		rc = arrange(v);
	follow(v, id);
	free(id);
	return rc;
}

static int
on_count(void *ctx, int ncol, const char *const *names,
	 const char *const *values, const bool *numeric)
{
	struct queue *q = ctx;
	size_t n;

	(void)names;
	(void)numeric;
	if (ncol != 3 || !values[2])
		return 0;
	n = (size_t)strtoull(values[2], NULL, 10);
	q->total += n;
	count_row(q, values[0] ? values[0] : "", values[1] ? values[1] : "", n);
	return 0;
}

/* The first frame's rows: the first page in the store's order, which is
 * the queue's own default, and the counts from one query. Only when no
 * filter or other sort asks for every row first. */
static bool
load_first_page(struct view *v)
{
	struct queue *q = v->priv;
	struct threat_filter f = { .limit = QUEUE_FIRST_PAGE };
	const char *sort = app_queue_sort(v->app);
	const char *filter = app_queue_filter(v->app);

	if ((filter && *filter) || (sort && strcmp(sort, "severity desc") != 0))
		return false;
	q->total = 0;
	if (store_query(app_store(v->app), "SELECT severity, status, count(*) "
			"FROM threats GROUP BY severity, status", NULL, 0, 0,
			on_count, q) < 0 ||
	    store_threat_list(app_store(v->app), &f, on_threat, q) < 0 || q->err ||
	    arrange(v) < 0) {
		err_clear();
		clear_rows(q);
		memset(q->nsev, 0, sizeof(q->nsev));
		memset(q->nstatus, 0, sizeof(q->nstatus));
		return false;
	}
	q->partial = q->n < q->total;
	return true;
}

static int
queue_open(struct view *v, const char *arg)
{
	struct queue *q = calloc(1, sizeof(*q));

	(void)arg;
	if (!q)
		return err_set(ERR_NOMEM, "out of memory");
	q->sort = 0;
	q->desc = true;
	v->priv = q;
	return load_first_page(v) ? 0 : queue_refresh(v);
}

/* After the first frame: the rest of the queue. */
static unsigned
queue_idle(struct view *v)
{
	struct queue *q = v->priv;

	if (!q->partial)
		return REDRAW_NONE;
	if (queue_refresh(v) < 0)
		app_error(v->app, "%s", err_msg());
	return REDRAW_ALL;
}

static void
queue_close(struct view *v)
{
	struct queue *q = v->priv;

	if (!q)
		return;
	clear_rows(q);
	free(q->rows);
	free(q->shown);
	free(q->filter);
	free(q);
	v->priv = NULL;
}

static void
queue_title(struct view *v, struct rline *out)
{
	struct queue *q = v->priv;

	render_printf(out, STYLE_TITLE_COUNT, "%zu threats", q->total);
	for (int k = 0; k < 3; k++)
		if (q->nsev[k]) {
			render_str(out, " ", STYLE_TITLE);
			render_glyph(out, GLYPH_DOT, STYLE_TITLE);
			render_printf(out, STYLE_TITLE_COUNT, " %zu %s", q->nsev[k],
				      title_sev[k]);
		}
	render_str(out, " ", STYLE_TITLE);
	render_glyph(out, GLYPH_SEP, STYLE_TITLE);
	for (int k = 0; k < 3; k++)
		if (q->nstatus[k] || (k == 0 && q->n == 0))
			render_printf(out, STYLE_TITLE_COUNT, " %zu %s", q->nstatus[k],
				      title_status[k]);
	if (q->filter) {
		render_str(out, " ", STYLE_TITLE);
		render_glyph(out, GLYPH_SEP, STYLE_TITLE);
		render_str(out, " /", STYLE_TITLE);
		render_str(out, q->filter, STYLE_TITLE_COUNT);
		render_printf(out, STYLE_TITLE, " (%zu shown)", q->nshown);
	}
}

static void
queue_header(struct view *v, size_t width, struct rline *out)
{
	struct queue *q = v->priv;
	size_t w[NCOLUMNS];

	layout(width, w);
	for (size_t c = 0; c < NCOLUMNS; c++) {
		struct rline head;
		size_t start = out->width;

		rline_init(&head);
		render_str(&head, columns[c].head, STYLE_HEADER);
		if ((int)c == q->sort)
			render_glyph(&head, q->desc ? GLYPH_DOWN : GLYPH_UP,
				     STYLE_HEADER);
		render_fit(&head, w[c]);
		if (columns[c].right)
			render_pad(out, start + w[c] - head.width, STYLE_HEADER);
		rline_append(out, &head);
		render_pad(out, start + w[c] + 1, STYLE_HEADER);
		rline_dispose(&head);
	}
}

enum style
view_severity_style(const char *severity)
{
	static const struct {
		const char *word;
		enum style style;
	} map[] = {
		{ "critical", STYLE_SEV_CRITICAL }, { "high", STYLE_SEV_HIGH },
		{ "medium", STYLE_SEV_MEDIUM }, { "low", STYLE_SEV_LOW },
	};

	for (size_t i = 0; severity && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(severity, map[i].word) == 0)
			return map[i].style;
	return STYLE_SEV_INFO;
}

enum style
view_verdict_style(const char *verdict)
{
	static const struct {
		const char *word;
		enum style style;
	} map[] = {
		{ "malicious", STYLE_VERDICT_MALICIOUS },
		{ "suspicious", STYLE_VERDICT_SUSPICIOUS },
		{ "benign", STYLE_VERDICT_BENIGN },
		{ "inconclusive", STYLE_VERDICT_INCONCLUSIVE },
	};

	for (size_t i = 0; verdict && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(verdict, map[i].word) == 0)
			return map[i].style;
	return STYLE_DIM;
}

static void
queue_draw_row(struct view *v, size_t row, size_t width, struct rline *out)
{
	struct queue *q = v->priv;
	const struct qrow *r = &q->rows[q->shown[row]];
	size_t w[NCOLUMNS];

	layout(width, w);
	for (size_t c = 0; c < NCOLUMNS; c++) {
		char tmp[48];
		enum style st = c == 0 ? view_severity_style(r->severity)
			      : c == 2 ? view_verdict_style(r->verdict)
			      : c == 6 || c == 7 || c == 3 ? STYLE_DIM
			      : STYLE_NORMAL;

		render_cell(out, columns[c].text(r, tmp, sizeof(tmp)), w[c],
			    columns[c].right, st);
		render_str(out, " ", STYLE_NORMAL);
	}
}

/* ---- actions -------------------------------------------------------------- */

static unsigned
act_open(struct view *v)
{
	const char *id = current_id(v);

	if (id)
		app_push(v->app, &view_investigation_ops, id);
	return REDRAW_ALL;
}

static unsigned
act_blast(struct view *v)
{
	const char *id = current_id(v);

	if (id)
		app_push(v->app, &view_blast_ops, id);
	return REDRAW_ALL;
}

/* M: the model's investigation beside the playbook's. */
static unsigned
act_model(struct view *v)
{
	const char *id = current_id(v);

	if (id)
		app_push(v->app, &view_model_ops, id);
	return REDRAW_ALL;
}

/* The knowledge base's history: whose decisions taught the agent what. */
static unsigned
act_history(struct view *v)
{
	app_push(v->app, &view_history_ops, NULL);
	return REDRAW_ALL;
}

static unsigned
act_sort_next(struct view *v)
{
	struct queue *q = v->priv;
	int c = (q->sort + 1) % (int)NCOLUMNS;
	char sort[48];

	snprintf(sort, sizeof(sort), "%s %s", columns[c].name,
		 columns[c].desc_first ? "desc" : "asc");
	app_set_queue_sort(v->app, sort);
	app_status(v->app, "sorted by %s", columns[c].name);
	return REDRAW_ALL;
}

static unsigned
act_sort_reverse(struct view *v)
{
	struct queue *q = v->priv;
	char sort[48];

	snprintf(sort, sizeof(sort), "%s %s", columns[q->sort].name,
		 q->desc ? "asc" : "desc");
	app_set_queue_sort(v->app, sort);
	return REDRAW_ALL;
}

/* Set the status of the selected threat. */
static unsigned
set_status(struct view *v, const char *status)
{
	const char *id = current_id(v);

	if (!id)
		return REDRAW_NONE;
	if (store_threat_set_status(app_store(v->app), id, status) < 0) {
		app_error(v->app, "%s", err_msg());
		return REDRAW_STATUS;
	}
	app_status(v->app, "%s is now %s", id, status);
	queue_refresh(v);
	return REDRAW_ALL;
}

static unsigned act_investigating(struct view *v)
{ return set_status(v, "investigating"); }
static unsigned act_decided(struct view *v)
{ return set_status(v, "decided"); }
static unsigned act_new(struct view *v)
{ return set_status(v, "new"); }

static unsigned
act_investigate(struct view *v)
{
	const char *id = current_id(v);

	if (id && view_investigate_threat(v->app, id) == 0)
		queue_refresh(v);
	return REDRAW_ALL;
}

static unsigned
act_reload(struct view *v)
{
	if (queue_refresh(v) < 0)
		app_error(v->app, "%s", err_msg());
	return REDRAW_ALL;
}

static const struct {
	enum action action;
	unsigned (*fn)(struct view *v);
} queue_actions[] = {
	{ ACTION_OPEN, act_open },
	{ ACTION_BLAST, act_blast },
	{ ACTION_MODEL, act_model },
	{ ACTION_HISTORY, act_history },
	{ ACTION_SORT_NEXT, act_sort_next },
	{ ACTION_SORT_REVERSE, act_sort_reverse },
	{ ACTION_SET_INVESTIGATING, act_investigating },
	{ ACTION_SET_DECIDED, act_decided },
	{ ACTION_SET_NEW, act_new },
	{ ACTION_INVESTIGATE, act_investigate },
	{ ACTION_RELOAD, act_reload },
};

static unsigned
queue_handle(struct view *v, enum action a)
{
	for (size_t i = 0; i < sizeof(queue_actions) / sizeof(queue_actions[0]); i++)
		if (queue_actions[i].action == a)
			return queue_actions[i].fn(v);
	return REDRAW_PASS;
}

static unsigned
queue_search(struct view *v, const char *text)
{
	app_set_queue_filter(v->app, text);
	if (text && *text)
		app_status(v->app, "filter \"%s\": %zu of %zu threats", text,
			   ((struct queue *)v->priv)->nshown,
			   ((struct queue *)v->priv)->total);
	else
		app_status(v->app, "filter cleared");
	return REDRAW_ALL;
}

const struct view_ops view_queue_ops = {
	.name = "queue",
	.scope = KEYMAP_SCOPE_QUEUE,
	.open = queue_open,
	.refresh = queue_refresh,
	.title = queue_title,
	.header = queue_header,
	.draw_row = queue_draw_row,
	.handle = queue_handle,
	.search = queue_search,
	.idle = queue_idle,
	.close = queue_close,
};
