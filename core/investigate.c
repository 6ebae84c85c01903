/* SPDX-License-Identifier: Apache-2.0 */
/* investigate: the deterministic playbook engine. It loads a threat and
 * its triggering events, picks the playbook, runs each step (read-only SQL
 * or a built-in lookup), turns the rows into findings and score through
 * the playbook's rules, and writes a report that shows all of it. The
 * step runners are in investigate_steps.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/blast.h"
#include "core/buf.h"
#include "core/cond.h"
#include "core/error.h"
#include "core/investigate_int.h"
#include "core/jsonu.h"
#include "core/llm_guard.h"
#include "core/store.h"
#include "core/strv.h"
#include "core/trace.h"

#define MAX_TRIGGER_EVENTS 200  /* triggering events read per threat */
#define CITES_PER_FINDING 50
#define MAX_KEYS 5

/* ---- loading ----------------------------------------------------------- */

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
on_threat(void *ctx, const struct threat *src)
{
	struct threat *t = ctx;

	threat_dispose(t);
	t->id = dup_or_null(src->id);
	t->detection = dup_or_null(src->detection);
	t->title = dup_or_null(src->title);
	t->source = dup_or_null(src->source);
	t->severity = dup_or_null(src->severity);
	t->status = dup_or_null(src->status);
	for (int e = 0; e < TE_COUNT; e++)
		t->ent[e] = dup_or_null(src->ent[e]);
	t->has_time = src->has_time;
	t->first_ns = src->first_ns;
	t->last_ns = src->last_ns;
	t->count = src->count;
	t->tactics = dup_or_null(src->tactics);
	t->confidence = src->confidence;
	if (!t->id)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int
load_threat(struct store *st, const char *id, struct threat *t)
{
	struct threat_filter f = { .id = id };
	int rc;

	threat_init(t);
	if ((rc = store_threat_list(st, &f, on_threat, t)) < 0)
		return rc;
	if (!t->id)
		return err_set(ERR_NOTFOUND, "no threat %s", id);
	return 0;
}

struct id_list {
	char **ids;
	size_t n;
};

static int
on_event_id(void *ctx, const char *id)
{
	struct id_list *l = ctx;
	char **grown;

	if (l->n >= MAX_TRIGGER_EVENTS)
		return 1;
	if (!(grown = realloc(l->ids, (l->n + 1) * sizeof(*grown))))
		return err_set(ERR_NOMEM, "out of memory");
	l->ids = grown;
	if (!(l->ids[l->n] = strdup(id)))
		return err_set(ERR_NOMEM, "out of memory");
	l->n++;
	return 0;
}

/* Instruction-like text anywhere in the raw record. A record the scanner
 * cannot read is simply not flagged: the flags inform, never decide. */
static int
scan_raw(const char *raw, const char *id, struct injection_flag **out,
	 size_t *nout)
{
	struct guard_hit *hits = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = llm_guard_scan_event(raw, id, &hits, &n)) < 0)
		return rc == ERR_NOMEM ? rc : 0;
	if (n && !(*out = calloc(n, sizeof(**out)))) {
		guard_hits_free(hits, n);
		return err_set(ERR_NOMEM, "out of memory");
	}
	/* Same four strings: take them over rather than copy. */
	for (size_t i = 0; i < n; i++) {
		(*out)[i].event = hits[i].event;
		(*out)[i].field = hits[i].field;
		(*out)[i].pattern = hits[i].pattern;
		(*out)[i].excerpt = hits[i].excerpt;
		hits[i].event = hits[i].field = NULL;
		hits[i].pattern = hits[i].excerpt = NULL;
	}
	*nout = n;
	guard_hits_free(hits, n);
	return 0;
}

static int
on_trigger_event(void *ctx, const struct event *ev)
{
	struct trigger *tr = ctx;
	cJSON *attrs;

	event_init(&tr->ev);
	for (int f = 0; f < EF_COUNT; f++)
		if (ev->str[f] && event_set(&tr->ev, (enum event_field)f,
					    ev->str[f]) < 0)
			return ERR_NOMEM;
	tr->ev.has_time = ev->has_time;
	tr->ev.time_ns = ev->time_ns;
	if (ev->attrs && (attrs = cJSON_Parse(ev->attrs))) {
		const cJSON *s = jsonu_key(attrs, "sample");

		tr->sample = cJSON_IsTrue(s);
		tr->event_source = dup_or_null(jsonu_str(attrs, "event_source"));
		cJSON_Delete(attrs);
	}
	if (ev->raw && ev->str[EF_ID] &&
	    scan_raw(ev->raw, ev->str[EF_ID], &tr->flags, &tr->nflags) < 0)
		return ERR_NOMEM;
	return 1;  /* one event per id */
}

static void
triggers_free(struct trigger *trig, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		event_dispose(&trig[i].ev);
		free(trig[i].event_source);
		injection_flags_free(trig[i].flags, trig[i].nflags);
	}
	free(trig);
}

/* The threat's triggering events, in time order. */
static int
load_triggers(struct store *st, const char *threat_id, struct trigger **out,
	      size_t *nout)
{
	struct id_list ids = { 0 };
	struct trigger *trig = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = store_threat_events(st, threat_id, on_event_id, &ids)) < 0)
		goto out;
	rc = 0;
	if (ids.n && !(trig = calloc(ids.n, sizeof(*trig)))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ids.n; i++) {
		struct event_filter f = { .id = ids.ids[i], .limit = 1 };

		event_init(&trig[n].ev);
		if ((rc = store_find_events(st, &f, on_trigger_event,
					    &trig[n])) < 0)
			goto out;
		rc = 0;
		if (trig[n].ev.str[EF_ID])
			n++;
	}
	*out = trig;
	*nout = n;
	trig = NULL;
out:
	/* calloc'd: entries never filled free as nothing. */
	triggers_free(trig, trig ? ids.n : 0);
	for (size_t i = 0; i < ids.n; i++)
		free(ids.ids[i]);
	free(ids.ids);
	return rc;
}

/* ---- choosing the playbook --------------------------------------------- */

static bool
event_matches(const struct pb_match *m, const struct trigger *tr)
{
	if (m->nactions) {
		const char *a = tr->ev.str[EF_ACTION];
		size_t k;

		for (k = 0; a && k < m->nactions; k++)
			if (strcmp(m->actions[k], a) == 0)
				break;
		if (!a || k == m->nactions)
			return false;
	}
	if (m->event_source &&
	    (!tr->event_source || !cond_glob(m->event_source, tr->event_source)))
		return false;
	if (m->kind && (!tr->ev.str[EF_KIND] ||
			strcmp(m->kind, tr->ev.str[EF_KIND]) != 0))
		return false;
	return true;
}

static bool
entry_matches(const struct pb_match *m, const struct threat *t,
	      const struct trigger *trig, size_t ntrig)
{
	if (m->detection && (!t->detection ||
			     !cond_glob(m->detection, t->detection)))
		return false;
	if (m->source && (!t->source || !cond_glob(m->source, t->source)))
		return false;
	if (!m->nactions && !m->event_source && !m->kind)
		return true;
	/* The event-level keys must hold on one and the same event. */
	for (size_t i = 0; i < ntrig; i++)
		if (event_matches(m, &trig[i]))
			return true;
	return false;
}

static bool
playbook_applies(const struct playbook *pb, const struct threat *t,
		 const struct trigger *trig, size_t ntrig)
{
	if (pb->napplies == 0)
		return true;
	for (size_t i = 0; i < pb->napplies; i++)
		if (entry_matches(&pb->applies[i], t, trig, ntrig))
			return true;
	return false;
}

static const struct playbook *
choose(const struct kb_data *kb, const struct threat *t,
       const struct trigger *trig, size_t ntrig)
{
	const struct playbook *best = NULL;

	for (size_t i = 0; kb && i < kb->nplaybooks; i++) {
		const struct playbook *pb = kb->playbooks[i];

		if (!playbook_applies(pb, t, trig, ntrig))
			continue;
		if (!best || pb->priority > best->priority ||
		    (pb->priority == best->priority &&
		     strcmp(pb->id, best->id) < 0))
			best = pb;
	}
	return best;
}

const struct playbook *
investigate_choose(const struct kb_data *kb, struct store *st,
		   const struct threat *t)
{
	const struct playbook *pb;
	struct trigger *trig = NULL;
	size_t ntrig = 0;

	if (t->id && load_triggers(st, t->id, &trig, &ntrig) < 0)
		ntrig = 0;
	pb = choose(kb, t, trig, ntrig);
	triggers_free(trig, ntrig);
	return pb;
}

/* ---- rules and citations ----------------------------------------------- */

static int
cite_add(char ***list, size_t *n, const char *prefix, const char *id)
{
	struct buf b;
	char **grown;

	if (*n >= CITES_PER_FINDING)
		return 0;
	buf_init(&b);
	buf_printf(&b, "%s%s", prefix ? prefix : "", id);
	if (!b.data)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*list)[i], b.data) == 0) {
			buf_dispose(&b);
			return 0;
		}
	}
	if (!(grown = realloc(*list, (*n + 1) * sizeof(*grown)))) {
		buf_dispose(&b);
		return err_set(ERR_NOMEM, "out of memory");
	}
	*list = grown;
	(*list)[(*n)++] = buf_detach(&b);
	return 0;
}

/* The ids behind a fired rule: the rows its row predicates matched, else
 * the kind's default rows (new values, listed values...), else every row. */
static int
cite_rows(const struct step_run *sr, const unsigned char *matched,
	  char ***cited, size_t *ncited)
{
	bool any_marked = false;
	int rc;

	if (sr->cite_col < 0)
		return 0;
	for (size_t r = 0; matched && r < sr->rows.nrows; r++)
		any_marked |= matched[r] != 0;
	for (size_t r = 0; r < sr->rows.nrows; r++) {
		const char *id = investigate_rows_cell(&sr->rows, r, sr->cite_col);
		bool take = any_marked ? matched[r]
			    : sr->cite_default ? sr->cite_default[r] : true;

		if (take && id &&
		    (rc = cite_add(cited, ncited, sr->cite_prefix, id)) < 0)
			return rc;
	}
	return 0;
}

static int
fired_push(struct inv *iv, struct fired *f)
{
	struct fired *grown = realloc(iv->fired, (iv->nfired + 1) * sizeof(*grown));

	if (!grown)
		return err_set(ERR_NOMEM, "out of memory");
	iv->fired = grown;
	iv->fired[iv->nfired++] = *f;
	return 0;
}

/* Evaluate every rule of the step; each that holds adds its score and its
 * finding. */
int
investigate_apply_rules(struct inv *iv, struct step_run *sr, size_t step_index)
{
	const struct pb_step *ps = sr->ps;
	struct cond_rows view = {
		.ncols = sr->rows.ncols,
		.nrows = sr->rows.nrows,
		.names = (const char *const *)sr->rows.names,
		.cells = (const char *const *)sr->rows.cells,
		.numeric = sr->rows.numeric,
	};
	struct cond_env env = {
		.vars = sr->vars,
		.nvars = sr->nvars,
		.rows = &view,
		.allows = investigate_allows_cb,
		.ctx = (void *)iv->blast,
	};
	struct buf findings;
	int rc = 0;

	if (sr->rows.nrows && !(env.matched = calloc(sr->rows.nrows, 1)))
		return err_set(ERR_NOMEM, "out of memory");
	buf_init(&findings);
	for (size_t k = 0; k < ps->nrules && rc == 0; k++) {
		const struct pb_rule *rule = &ps->rules[k];
		struct cond *own_cond = NULL;
		struct cond_template *own_tmpl = NULL;
		const struct cond *c = rule->cond;
		const struct cond_template *tm = rule->tmpl;
		struct fired f = { .step = step_index, .rule = k,
				   .score = rule->score, .key = rule->key };
		struct buf text;

		/* A playbook built by hand has no parsed forms. */
		if (!c && rule->when && cond_parse(rule->when, &own_cond) == 0)
			c = own_cond;
		if (!tm && rule->finding &&
		    cond_template_parse(rule->finding, &own_tmpl) == 0)
			tm = own_tmpl;
		if (env.matched)
			memset(env.matched, 0, sr->rows.nrows);
		if (!cond_eval(c, &env))
			goto next;
		buf_init(&text);
		if (tm)
			rc = cond_template_expand(tm, &env, &text);
		f.text = text.data ? buf_detach(&text) : NULL;
		if (rc == 0)
			rc = cite_rows(sr, env.matched, &f.cited, &f.ncited);
		if (rc == 0)
			rc = fired_push(iv, &f);
		if (rc < 0) {
			free(f.text);
			strv_free_array(f.cited, f.ncited);
			goto next;
		}
		sr->out->score += rule->score;
		if (f.text)
			buf_printf(&findings, "%s%s", findings.len ? " " : "",
				   f.text);
		for (size_t i = 0; i < f.ncited; i++)
			cite_add(&sr->out->cited, &sr->out->ncited, NULL,
				 f.cited[i]);
next:
		cond_free(own_cond);
		cond_template_free(own_tmpl);
	}
	free(env.matched);
	sr->out->finding = findings.data ? buf_detach(&findings) : NULL;
	return rc;
}

/* ---- verdict, confidence, summary -------------------------------------- */

static const char *
verdict_for(const struct playbook *pb, int score)
{
	if (score >= pb->malicious_at)
		return "malicious";
	if (score >= pb->suspicious_at)
		return "suspicious";
	if (score <= pb->benign_at)
		return "benign";
	return "inconclusive";
}

static int
iabs(int x)
{
	return x < 0 ? -x : x;
}

static int
imin(int a, int b)
{
	return a < b ? a : b;
}

/* Confidence, a fixed formula so that it can be checked by hand:
 *     50
 *   + the distance of the score from the nearest verdict threshold
 *     (malicious, suspicious or benign), at most 30
 *   + 5 for each step whose rules moved the score, at most 20
 *   - 10 for each step with an evidence gap
 * clamped to 0..100. A threat that is not real gets at least 90 (the
 * source itself marks it a sample); without a playbook it is 0. */
static int
confidence_for(const struct playbook *pb, const struct report *r)
{
	int dist, c = 50, moved = 0, gaps = 0;

	dist = imin(iabs(r->score - pb->malicious_at),
		    imin(iabs(r->score - pb->suspicious_at),
			 iabs(r->score - pb->benign_at)));
	c += imin(dist, 30);
	for (size_t i = 0; i < r->nsteps; i++) {
		moved += r->steps[i].score != 0;
		gaps += r->steps[i].gap != NULL;
	}
	c += imin(moved * 5, 20);
	c -= gaps * 10;
	if (!r->real && c < 90)
		c = 90;
	return c < 0 ? 0 : c > 100 ? 100 : c;
}

/* Key findings: the fired findings with the largest |score|; ties keep
 * step and rule order (the order they fired in). */
static int
pick_keys(struct inv *iv, struct report *r)
{
	size_t order[MAX_KEYS], n = 0;

	for (size_t i = 0; i < iv->nfired; i++) {
		const struct fired *f = &iv->fired[i];
		size_t at;

		if (!f->key || !f->text || !*f->text)
			continue;
		for (at = n; at > 0 &&
			     iabs(iv->fired[order[at - 1]].score) < iabs(f->score);
		     at--)
			;
		if (at >= MAX_KEYS)
			continue;
		if (n < MAX_KEYS)
			n++;
		memmove(&order[at + 1], &order[at], (n - 1 - at) * sizeof(*order));
		order[at] = i;
	}
	if (n && !(r->keys = calloc(n, sizeof(*r->keys))))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		struct fired *f = &iv->fired[order[k]];
		struct key_finding *kf = &r->keys[r->nkeys++];

		kf->score = f->score;
		kf->text = strdup(f->text);
		kf->cited = f->cited;
		kf->ncited = f->ncited;
		f->cited = NULL;
		f->ncited = 0;
		if (!kf->text)
			return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* Append s as a clause: without its final full stop. */
static void
add_clause(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '.' || s[n - 1] == ' '))
		n--;
	buf_add(b, s, n);
}

static char *
summarize(const struct inv *iv, const struct report *r, int prior)
{
	const struct playbook *pb = iv->pb;
	struct buf b;
	size_t ngaps = 0;

	buf_init(&b);
	if (!pb) {
		if (!r->real) {
			buf_adds(&b, "Not real: ");
			add_clause(&b, r->real_reason);
			buf_adds(&b, ", so it is judged benign. ");
		}
		buf_printf(&b, "No playbook in the knowledge base applies to "
			   "%s, so nothing was checked%s.",
			   iv->t.detection ? iv->t.detection : "this threat",
			   r->real ? " and the verdict is inconclusive" : "");
		return b.data ? buf_detach(&b) : NULL;
	}
	if (!r->real) {
		buf_adds(&b, "Not real: ");
		add_clause(&b, r->real_reason);
		buf_printf(&b, ", so it is judged benign (confidence %d).",
			   r->confidence);
	} else {
		buf_printf(&b, "Judged %s with confidence %d: score %d, of which "
			   "%d for %s severity and %d from the findings.",
			   r->verdict, r->confidence, r->score, prior,
			   iv->t.severity ? iv->t.severity : "unknown",
			   r->score - prior);
	}
	if (r->nkeys) {
		buf_adds(&b, " Why: ");
		for (size_t i = 0; i < r->nkeys && i < 3; i++) {
			if (i)
				buf_adds(&b, "; ");
			add_clause(&b, r->keys[i].text);
		}
		buf_adds(&b, ".");
	} else {
		buf_adds(&b, " No step found evidence either way.");
	}
	buf_printf(&b, " Playbook %s (%s) ran %zu step%s.", pb->id, pb->title,
		   r->nsteps, r->nsteps == 1 ? "" : "s");
	for (size_t i = 0; i < r->nsteps; i++) {
		if (!r->steps[i].gap)
			continue;
		buf_adds(&b, ngaps++ ? "; " : " Missing evidence: ");
		add_clause(&b, r->steps[i].gap);
	}
	if (ngaps)
		buf_adds(&b, ".");
	return b.data ? buf_detach(&b) : NULL;
}

static int
push_str(char ***v, size_t *n, const char *s)
{
	char **grown;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	if (!(grown = realloc(*v, (*n + 1) * sizeof(*grown))))
		return err_set(ERR_NOMEM, "out of memory");
	*v = grown;
	if (!((*v)[*n] = strdup(s)))
		return err_set(ERR_NOMEM, "out of memory");
	(*n)++;
	return 0;
}

static int
next_steps(struct inv *iv, struct report *r)
{
	const struct playbook *pb = iv->pb;
	struct step_run sr = { .cite_col = -1 };
	struct cond_env env;
	int rc = 0;

	investigate_threat_vars(iv, &sr);
	investigate_add_var(&sr, "verdict", cond_str(r->verdict));
	investigate_add_var(&sr, "score", cond_num(r->score));
	investigate_add_var(&sr, "confidence", cond_num(r->confidence));
	env = (struct cond_env){ .vars = sr.vars, .nvars = sr.nvars };
	for (size_t i = 0; i < pb->nnext && rc == 0; i++) {
		const struct pb_next_step *ns = &pb->next[i];
		struct cond *own_cond = NULL;
		struct cond_template *own_tmpl = NULL;
		const struct cond *c = ns->cond;
		const struct cond_template *tm = ns->tmpl;
		struct buf text;

		if (!c && ns->when && cond_parse(ns->when, &own_cond) == 0)
			c = own_cond;
		if (!tm && ns->text && cond_template_parse(ns->text, &own_tmpl) == 0)
			tm = own_tmpl;
		if ((!ns->when || cond_eval(c, &env)) && tm) {
			buf_init(&text);
			rc = cond_template_expand(tm, &env, &text);
			if (rc == 0 && text.data)
				rc = push_str(&r->next_steps, &r->nnext, text.data);
			buf_dispose(&text);
		}
		cond_free(own_cond);
		cond_template_free(own_tmpl);
	}
	return rc;
}

/* Not real when every triggering event says it is a sample. */
static void
judge_real(struct inv *iv)
{
	const char *src;
	char msg[200];

	iv->real = true;
	if (iv->ntrig == 0)
		return;
	for (size_t i = 0; i < iv->ntrig; i++)
		if (!iv->trig[i].sample)
			return;
	iv->real = false;
	src = iv->trig[0].ev.str[EF_SOURCE];
	snprintf(msg, sizeof(msg), "%s %s a %s sample finding (generated "
		 "for testing, not observed activity)",
		 iv->ntrig == 1 ? "the triggering event" : "every triggering event",
		 iv->ntrig == 1 ? "is" : "is", src ? src : "detector");
	iv->real_reason = strdup(msg);
}

static int64_t
sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

static void
inv_dispose(struct inv *iv)
{
	threat_dispose(&iv->t);
	triggers_free(iv->trig, iv->ntrig);
	free(iv->real_reason);
	blast_free(iv->blast);
	free(iv->blast_err);
	for (size_t i = 0; i < iv->nfired; i++) {
		free(iv->fired[i].text);
		strv_free_array(iv->fired[i].cited, iv->fired[i].ncited);
	}
	free(iv->fired);
	for (size_t i = 0; i < iv->nreq; i++)
		free(iv->req[i].source);
}

static bool
has_permissions_step(const struct playbook *pb)
{
	for (size_t i = 0; pb && i < pb->nsteps; i++)
		if (pb->steps[i].kind == STEP_PERMISSIONS)
			return true;
	return false;
}

/* Run the chosen playbook into r. */
static int
run_playbook(struct inv *iv, struct report *r)
{
	const struct playbook *pb = iv->pb;
	int rank = threat_severity_rank(iv->t.severity), prior, rc;

	prior = rank >= 0 && rank < 5 ? pb->prior[rank] : 0;
	if (iv->t.has_time) {
		iv->has_window = true;
		iv->win_start = sat_add(iv->t.first_ns, -pb->before_ns);
		iv->win_end = sat_add(iv->t.last_ns, pb->after_ns);
	}
	if (!(r->playbook = strdup(pb->id)) ||
	    !(r->steps = calloc(pb->nsteps ? pb->nsteps : 1, sizeof(*r->steps))))
		return err_set(ERR_NOMEM, "out of memory");
	r->score = prior;
	for (size_t i = 0; i < pb->nsteps; i++) {
		r->nsteps++;
		if ((rc = investigate_run_step(iv, i, &r->steps[i])) < 0)
			return rc;
		r->score += r->steps[i].score;
		if (r->steps[i].gap &&
		    (rc = push_str(&r->raise, &r->nraise, r->steps[i].gap)) < 0)
			return rc;
	}
	r->verdict = strdup(r->real ? verdict_for(pb, r->score) : "benign");
	r->confidence = confidence_for(pb, r);
	if ((rc = pick_keys(iv, r)) < 0 || (rc = next_steps(iv, r)) < 0)
		return rc;
	r->summary = summarize(iv, r, prior);
	if (iv->t.ent[TE_ACTOR]) {
		const struct blast *b = investigate_get_blast(iv);

		if (b && (b->known || has_permissions_step(pb)))
			r->blast_json = blast_to_json(b);
	}
	if (!r->verdict || !r->summary)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int
no_playbook(struct inv *iv, struct report *r)
{
	struct buf b;
	int rc;

	/* A sample is benign whatever the playbooks say, and so without one. */
	r->verdict = strdup(r->real ? "inconclusive" : "benign");
	r->confidence = r->real ? 0 : 90;
	r->summary = summarize(iv, r, 0);
	buf_init(&b);
	buf_printf(&b, "A playbook that applies to %s",
		   iv->t.detection ? iv->t.detection : "this detection");
	rc = b.data ? push_str(&r->raise, &r->nraise, b.data) : ERR_NOMEM;
	buf_dispose(&b);
	if (rc < 0 || !r->verdict || !r->summary)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* One key finding, scored zero, that names the manipulation attempt: an
 * analyst reads it with the rest, and it moves nothing. */
static int
flag_finding(struct report *r)
{
	struct key_finding *grown, *kf;
	struct buf b;
	int rc = 0;

	if (!(grown = realloc(r->keys, (r->nkeys + 1) * sizeof(*grown))))
		return err_set(ERR_NOMEM, "out of memory");
	r->keys = grown;
	kf = &grown[r->nkeys++];
	memset(kf, 0, sizeof(*kf));
	buf_init(&b);
	buf_printf(&b, "Text in the evidence reads like instructions to an "
		   "automated analyst (%zu attempt%s:", r->ninjection,
		   r->ninjection == 1 ? "" : "s");
	for (size_t i = 0, shown = 0; i < r->ninjection; i++) {
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(r->injection[k].pattern,
				      r->injection[i].pattern) == 0;
		if (!seen)
			buf_printf(&b, "%s %s", shown++ ? "," : "",
				   r->injection[i].pattern);
	}
	buf_adds(&b, ")");
	buf_adds(&b, "; it was flagged, not followed, and does not change "
		 "the verdict");
	if (!(kf->text = buf_detach(&b)))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < r->ninjection && rc == 0; i++)
		rc = cite_add(&kf->cited, &kf->ncited, NULL, r->injection[i].event);
	return rc;
}

/* Hand the triggers' injection flags to the report, in event order. */
static int
collect_flags(struct inv *iv, struct report *r)
{
	size_t n = 0;

	for (size_t i = 0; i < iv->ntrig; i++)
		n += iv->trig[i].nflags;
	if (!n)
		return 0;
	if (!(r->injection = calloc(n, sizeof(*r->injection))))
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < iv->ntrig; i++) {
		struct trigger *tr = &iv->trig[i];

		if (tr->nflags)
			memcpy(r->injection + r->ninjection, tr->flags,
			       tr->nflags * sizeof(*tr->flags));
		r->ninjection += tr->nflags;
		free(tr->flags);
		tr->flags = NULL;
		tr->nflags = 0;
	}
	return flag_finding(r);
}

int
investigate_threat(struct store *st, const struct kb_data *kb,
		   const char *threat_id, struct report **out)
{
	struct inv iv = { .st = st, .kb = kb };
	struct report *r = NULL;
	char *json = NULL;
	int64_t t0 = mono_ns();
	int rc;

	*out = NULL;
	threat_init(&iv.t);
	if ((rc = load_threat(st, threat_id, &iv.t)) < 0 ||
	    (rc = load_triggers(st, iv.t.id, &iv.trig, &iv.ntrig)) < 0)
		goto out;
	judge_real(&iv);
	iv.pb = choose(kb, &iv.t, iv.trig, iv.ntrig);
	trace(TRACE_DEBUG, "investigate %s: %zu triggering event(s) loaded, "
	      "playbook %s, in %.2f ms", iv.t.id, iv.ntrig,
	      iv.pb ? iv.pb->id : "none", (double)(mono_ns() - t0) / 1e6);
	if (!(r = calloc(1, sizeof(*r))) || !(r->threat_id = strdup(iv.t.id)) ||
	    !(r->kb_version = strdup(kb && kb->version ? kb->version : "none"))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	r->real = iv.real;
	if (iv.real_reason && !(r->real_reason = strdup(iv.real_reason))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = iv.pb ? run_playbook(&iv, r) : no_playbook(&iv, r)) < 0 ||
	    (rc = collect_flags(&iv, r)) < 0)
		goto out;
	if (!(json = report_to_json(r))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	trace(TRACE_DEBUG, "investigate %s: judged in %.2f ms",
	      r->threat_id, (double)(mono_ns() - t0) / 1e6);
	if ((rc = store_report_put(st, r->threat_id, r->kb_version, r->verdict,
				   r->confidence, json)) < 0)
		goto out;
	trace(TRACE_DEBUG, "investigate %s: %s, stored in %.2f ms in all",
	      r->threat_id, r->verdict, (double)(mono_ns() - t0) / 1e6);
	*out = r;
	r = NULL;
out:
	free(json);
	report_free(r);
	inv_dispose(&iv);
	return rc;
}

/* ---- an open investigation ---------------------------------------------- */

struct investigation {
	struct inv iv;
	size_t nsteps;       /* ad-hoc steps run, for their index */
};

/* The evidence window when no playbook applies: a day either side. */
#define ADHOC_WINDOW_NS ((int64_t)86400 * 1000000000)

int
investigate_open(struct store *st, const struct kb_data *kb,
		 const char *threat_id, struct investigation **out)
{
	struct investigation *inv;
	struct inv *iv;
	int rc;

	*out = NULL;
	if (!(inv = calloc(1, sizeof(*inv))))
		return err_set(ERR_NOMEM, "out of memory");
	iv = &inv->iv;
	iv->st = st;
	iv->kb = kb;
	threat_init(&iv->t);
	if ((rc = load_threat(st, threat_id, &iv->t)) < 0 ||
	    (rc = load_triggers(st, iv->t.id, &iv->trig, &iv->ntrig)) < 0) {
		investigate_close(inv);
		return rc;
	}
	judge_real(iv);
	iv->pb = choose(kb, &iv->t, iv->trig, iv->ntrig);
	if (iv->t.has_time) {
		int64_t before = iv->pb ? iv->pb->before_ns : ADHOC_WINDOW_NS;
		int64_t after = iv->pb ? iv->pb->after_ns : ADHOC_WINDOW_NS;

		iv->has_window = true;
		iv->win_start = sat_add(iv->t.first_ns, -before);
		iv->win_end = sat_add(iv->t.last_ns, after);
	}
	*out = inv;
	return 0;
}

void
investigate_close(struct investigation *inv)
{
	if (!inv)
		return;
	inv_dispose(&inv->iv);
	free(inv);
}

const struct threat *
investigate_threat_of(const struct investigation *inv)
{
	return &inv->iv.t;
}

int
investigate_adhoc_step(struct investigation *inv, const struct pb_step *ps,
		       struct step_result *out)
{
	memset(out, 0, sizeof(*out));
	return investigate_run_pb_step(&inv->iv, ps, inv->nsteps++, out);
}

int
investigate_blast_json(struct investigation *inv, char **out)
{
	const struct blast *b;

	*out = NULL;
	if (!inv->iv.t.ent[TE_ACTOR])
		return err_set(ERR_NOTFOUND, "the threat names no actor");
	if (!(b = investigate_get_blast(&inv->iv)))
		return err_set(ERR_STORE, "the blast radius could not be "
			       "computed: %s", inv->iv.blast_err
			       ? inv->iv.blast_err : "unknown error");
	if (!(*out = blast_to_json(b)))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}
