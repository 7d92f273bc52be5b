#include "apply.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/map.h"
#include "../util/mem.h"

enum step_kind { STEP_DELETE, STEP_PUT };

struct step {
	enum step_kind kind;
	struct lf_change *c;
	struct lf_dres *want; /* for a put */
	json_t *prior;        /* recorded attributes, owned (update, delete) */
	char *type;           /* owned */
	size_t *waits;        /* steps that must succeed first */
	size_t nwaits, waits_alloc;
	size_t *then; /* steps waiting for this one */
	size_t nthen, then_alloc;
	size_t remaining; /* of `waits`, not done yet */
	int state;        /* 0 waiting, 1 running, 2 done, 3 failed, 4 skipped */

	/* while its provider call is out (running steps only) */
	struct lf_provider *p;
	int family;         /* of `p`: index into lf_families */
	const char *action; /* "create", "update", "delete" */
	json_t *params;     /* of the call, owned; kept for retries */
	struct lf_call *call;
	struct timespec until;    /* the call's deadline */
	struct timespec retry_at; /* call == NULL: when to send it again */
	int attempt;
	long backoff_ms;
	json_t *result; /* answered, until recorded (record_answers) */
	/* a manifest resource's record, formatted ahead of its turn
	 * (format_ahead), owned; NULL: formatted at its turn */
	char *line;
	size_t line_len;
};

struct run {
	struct step *v;
	size_t n, alloc;
	struct lf_map put_of, del_of; /* address -> step index + 1 */
	struct lf_desired *ds;
	struct lf_state *st;
	struct lf_backend *b;
	const struct lf_providers *pv;
	const struct lf_apply_opts *o;
	struct lf_apply_result *res;
	size_t running, finished;
	size_t *records; /* manifest steps started, to record */
	size_t nrecords, records_done;
	size_t ahead;     /* the steps format_ahead() went through */
	size_t *answered; /* calls answered, their records not yet written */
	size_t nanswered;
	size_t *fly; /* running steps with a provider call out or to retry */
	size_t nfly;
	int out[LF_NFAMILIES]; /* calls in flight per family's provider */
	/* Steps whose waits are all done, in min-heaps of indexes (the
	 * earliest in plan order starts first), one per lane: steps needing no
	 * call (manifest records, and those with no provider, which fail at
	 * once), then one lane per family for its provider's calls.  A lane
	 * whose provider is full is passed over without being searched. */
	struct heap {
		size_t *v;
		size_t n;
	} ready[1 + LF_NFAMILIES];
	size_t nready; /* in all lanes */
};

/* Lane 0 needs no call; lane 1 + f holds the calls of family f. */
enum { LANE_NOW, NLANES = 1 + LF_NFAMILIES };

static size_t add_step(struct run *r, enum step_kind kind, struct lf_change *c)
{
	struct step *s;

	LF_GROW(r->v, r->n + 1, r->alloc);
	s = &r->v[r->n];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->c = c;
	s->type = lf_xstrdup(c->type);
	lf_map_put(kind == STEP_PUT ? &r->put_of : &r->del_of, c->address,
	           (void *)(uintptr_t)(r->n + 1));
	return r->n++;
}

static void add_wait(struct run *r, size_t step, size_t on)
{
	struct step *s = &r->v[step];

	if (step == on)
		return;
	LF_GROW(s->waits, s->nwaits + 1, s->waits_alloc);
	s->waits[s->nwaits++] = on;
}

static size_t lookup(const struct lf_map *m, const char *address)
{
	uintptr_t i = (uintptr_t)lf_map_get(m, address);
	return i ? i - 1 : (size_t)-1;
}

/* ---- one step ---------------------------------------------------------- */

static void report(struct run *r, enum lf_step_event ev, const struct step *s, const char *msg)
{
	const char *verb = s->kind == STEP_DELETE          ? "destroying"
	                   : s->c->action == LF_ACT_UPDATE ? "updating"
	                                                   : "creating";

	if (r->o->progress)
		r->o->progress(r->o->ctx, ev, verb, s->c->address, msg, r->finished, r->n);
}

static long deadline_for(const struct lf_apply_opts *o, int family)
{
	if (o->deadline_ms[family] > 0)
		return o->deadline_ms[family];
	return o->deadline_ms[LF_FAMILY_DEFAULT];
}

static json_t *string_array(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The record of a resource now in place. */
static void fill_record(struct lf_state_res *rec, const struct lf_dres *w, json_t *attrs)
{
	memset(rec, 0, sizeof(*rec));
	rec->address = w->address;
	rec->type = w->type;
	rec->provider = w->provider;
	rec->parent = w->parent;
	memcpy(rec->digest, w->digest, sizeof(rec->digest));
	rec->deps = string_array(w->deps, w->ndeps);
	rec->inputs = w->inputs;
	rec->attrs = attrs;
	rec->sensitive = w->kind ? string_array(w->kind->sensitive, w->kind->nsensitive) : NULL;
}

/* A put recorded: with release_values, its values go (lf_apply_opts). */
static void recorded(struct run *r, struct step *s)
{
	if (!r->o->release_values)
		return;
	json_decref(s->want->inputs);
	s->want->inputs = NULL;
	json_decref(s->c->after);
	s->c->after = NULL;
}

/* Whether step `s` is a manifest resource's: recorded, no provider call. */
static int is_record(const struct step *s)
{
	return !strcmp(s->c->provider, "lakeform");
}

/* A manifest resource's step: recorded, no provider call. */
static int run_record(struct run *r, struct step *s, char **why)
{
	const struct lf_change *c = s->c;
	int rc;

	if (s->kind == STEP_DELETE) {
		rc = lf_state_journal_outcome(r->b, r->st, c->address, "delete", NULL);
	} else if (s->line) {
		/* formatted already (its values were released then): the text
		 * becomes the state's */
		struct lf_state_res rec;
		memset(&rec, 0, sizeof(rec));
		rec.address = s->want->address;
		rec.type = s->want->type;
		memcpy(rec.digest, s->want->digest, sizeof(rec.digest));
		rc = lf_state_journal_outcome_line(r->b, r->st, c->address, "record", &rec, s->line,
		                                   s->line_len);
		s->line = NULL;
	} else {
		struct lf_state_res rec;
		fill_record(&rec, s->want, NULL);
		rc = lf_state_journal_outcome(r->b, r->st, c->address, "record", &rec);
		json_decref(rec.deps);
		json_decref(rec.sensitive);
		if (!rc)
			recorded(r, s);
	}
	if (rc)
		*why = lf_xasprintf("cannot write the journal: %s", lf_state_strerror(rc));
	return rc ? -1 : 0;
}

/*
 * With release_values: the records of the manifest resources to put,
 * formatted ahead of their turn, `budget` at a time (a turn of the
 * executor formats some after its calls are out, so the providers work
 * meanwhile), and their values released.  A manifest resource's inputs
 * are its document's metadata and spec, the parse's own trees: several
 * times the size of their text, they were held until each record's turn
 * came, and were most of what apply held when it took the most memory (at
 * the end, with the largest bucket policies' calls out).  Half of them
 * were parsed on another thread, in an arena of its own that this thread
 * does not allocate from: once all are formatted, the free pages are
 * given back.  A record that does not format here is formatted at its
 * turn, which says why it fails.
 */
static void format_ahead(struct run *r, size_t budget)
{
	struct lf_buf text = LF_BUF_INIT;

	for (; r->ahead < r->n && budget; r->ahead++) {
		struct step *s = &r->v[r->ahead];
		struct lf_state_res rec;

		if (s->kind != STEP_PUT || s->state > 1 || s->line || !s->want ||
		    !s->want->inputs || !is_record(s))
			continue;
		budget--;
		fill_record(&rec, s->want, NULL);
		lf_buf_truncate(&text, 0);
		int err = lf_state_journal_format(r->b, &rec, &text);
		json_decref(rec.deps);
		json_decref(rec.sensitive);
		if (err)
			continue;
		s->line = lf_xstrndup(text.ptr, text.len);
		s->line_len = text.len;
		recorded(r, s);
	}
	lf_buf_release(&text);
	if (r->ahead == r->n)
		lf_mem_give_back();
}

/*
 * A provider step, before its call: the call's params, and its intent
 * queued in the journal (the executor syncs the journal before it sends
 * the call, so the intent is on disk before the provider hears of it).
 */
static int prepare(struct run *r, struct step *s, char **why)
{
	const struct lf_change *c = s->c;
	const char *family = c->provider;
	const char *id = json_string_value(json_object_get(s->prior, "id"));

	s->action = s->kind == STEP_DELETE       ? "delete"
	            : c->action == LF_ACT_UPDATE ? "update"
	                                         : "create";
	json_t *params = json_pack("{s:s, s:s}", "type", s->type, "address", c->address);
	if (s->kind == STEP_DELETE) {
		json_object_set_new(params, "id", id ? json_string(id) : json_null());
		json_object_set(params, "attributes", s->prior ? s->prior : json_object());
	} else {
		json_object_set(params, "inputs", s->want->inputs);
		if (c->action == LF_ACT_UPDATE) {
			json_object_set_new(params, "id", id ? json_string(id) : json_null());
			json_object_set(params, "prior", s->prior ? s->prior : json_object());
		}
	}
	/* what settling an interrupted call needs: the record it would make */
	json_t *intent = json_pack("{s:s, s:s}", "type", s->type, "family", family);
	if (s->want) {
		json_object_set(intent, "inputs", s->want->inputs);
		json_object_set_new(intent, "digest", json_string(s->want->digest));
		json_object_set_new(intent, "deps", string_array(s->want->deps, s->want->ndeps));
		/* the journal keeps the inputs at these paths sealed */
		if (s->want->kind && s->want->kind->nsensitive)
			json_object_set_new(
			    intent, "sensitive",
			    string_array(s->want->kind->sensitive, s->want->kind->nsensitive));
		if (s->want->parent)
			json_object_set_new(intent, "parent", json_string(s->want->parent));
	}
	int rc = lf_state_journal_intent(r->b, r->st, c->address, s->action, intent);
	json_decref(intent);
	if (rc) {
		json_decref(params);
		*why = rc == LF_STATE_ELEASE
		           ? lf_xstrdup(lf_state_strerror(rc))
		           : lf_xasprintf("cannot write the journal: %s", lf_state_strerror(rc));
		return -1;
	}
	s->params = params;
	s->attempt = 1;
	s->backoff_ms = 250;
	return 0;
}

/* A provider step, after its call: its outcome (or failure) queued in the
 * journal.  `result` is stolen. */
static int conclude(struct run *r, struct step *s, int rc, json_t *result,
                    const struct lf_provider_error *err, char **why)
{
	const struct lf_change *c = s->c;
	const char *id = json_string_value(json_object_get(s->prior, "id"));

	if (rc) {
		if (err->code > 0)
			*why = lf_xasprintf("%s failed: %s (provider '%s', error %d)", s->action,
			                    err->message, lf_provider_name(s->p), err->code);
		else
			*why = lf_xasprintf("%s failed: %s", s->action, err->message);
		/* a call that timed out, or whose provider died or broke the
		 * session, may still have happened: leave the intent pending,
		 * the next run reads the provider */
		if (err->code != LF_PROVIDER_EDEADLINE && err->code != LF_PROVIDER_EGONE &&
		    err->code != LF_PROVIDER_EBROKEN)
			lf_state_journal_failed(r->b, r->st, c->address, s->action, err->message);
		return -1;
	}
	if (s->kind == STEP_DELETE) {
		rc = lf_state_journal_outcome(r->b, r->st, c->address, s->action, NULL);
	} else {
		/* the answer is ours alone (its reader made it for this call):
		 * its attributes become the record's as they are, not copied */
		json_t *attrs = json_object_get(result, "attributes");
		json_t *a = json_is_object(attrs) ? json_incref(attrs) : json_object();
		const char *nid = json_string_value(json_object_get(result, "id"));
		if (nid && !json_object_get(a, "id"))
			json_object_set_new(a, "id", json_string(nid));
		else if (!nid && id && !json_object_get(a, "id"))
			json_object_set_new(a, "id", json_string(id));
		struct lf_state_res rec;
		fill_record(&rec, s->want, a);
		rc = lf_state_journal_outcome(r->b, r->st, c->address, s->action, &rec);
		json_decref(rec.deps);
		json_decref(rec.sensitive);
		json_decref(a);
		if (!rc)
			recorded(r, s);
	}
	json_decref(result);
	if (rc)
		*why = lf_xasprintf("cannot write the journal: %s", lf_state_strerror(rc));
	return rc ? -1 : 0;
}

/* ---- scheduling -------------------------------------------------------- */

static void heap_push(struct heap *h, size_t k)
{
	size_t i = h->n++;

	h->v[i] = k;
	while (i > 0 && h->v[(i - 1) / 2] > h->v[i]) {
		size_t up = (i - 1) / 2, t = h->v[up];
		h->v[up] = h->v[i];
		h->v[i] = t;
		i = up;
	}
}

static size_t heap_pop(struct heap *h)
{
	size_t top = h->v[0], i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < h->n && h->v[l] < h->v[m])
			m = l;
		if (l + 1 < h->n && h->v[l + 1] < h->v[m])
			m = l + 1;
		if (m == i)
			break;
		size_t t = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = t;
		i = m;
	}
	return top;
}

static int lane_of(const struct run *r, const struct step *s)
{
	int f = lf_family_find(s->c->provider);

	if (f < 0 || !r->pv->v[f])
		return LANE_NOW;
	return 1 + f;
}

static void ready_push(struct run *r, size_t k)
{
	heap_push(&r->ready[lane_of(r, &r->v[k])], k);
	r->nready++;
}

/* A step failed or was skipped: what waits for it can never run. */
static void skip_after(struct run *r, size_t k)
{
	for (size_t i = 0; i < r->v[k].nthen; i++) {
		struct step *t = &r->v[r->v[k].then[i]];
		if (t->state != 0)
			continue;
		t->state = 4;
		r->finished++;
		r->res->skipped++;
		report(r, LF_STEP_SKIPPED, t, "what it needs failed");
		skip_after(r, r->v[k].then[i]);
	}
}

/* A step succeeded: what waited only for it is ready now. */
static void release_after(struct run *r, size_t k)
{
	for (size_t i = 0; i < r->v[k].nthen; i++) {
		size_t j = r->v[k].then[i];
		if (r->v[j].state == 0 && --r->v[j].remaining == 0)
			ready_push(r, j);
	}
}

/* ---- the executor ------------------------------------------------------ */

/*
 * One thread carries out the whole plan: provider calls are sent without
 * waiting (lf_provider_send) and their answers collected from one inbox,
 * so `parallelism` calls are in flight with no thread per call.  A turn of
 * the loop:
 *
 *   1. starts what is ready: a provider step queues its intent, a manifest
 *      step is set aside (both take a place of `parallelism`);
 *   2. syncs the journal once and sends the turn's calls (send_calls);
 *   3. writes the outcomes of the answers the last turn took
 *      (record_answers) and the manifest steps' records (run_records);
 *   4. waits for the next answer, deadline, retry or 0.1 s, and takes every
 *      answer there is; a success frees its place and its dependants at
 *      once, so their calls go out in the next turn before its record.
 *
 * (A worker thread per call cost more in wake-ups and journal waits than
 * the calls themselves: 0.34 s of overhead for 2,004 steps on a provider
 * answering at once.)
 */

static int *out_count(struct run *r, const struct step *s)
{
	return &r->out[s->family];
}

/* Count and report step `k`, which ended with `rc`; `why` (owned) says
 * why it failed. */
static void tally(struct run *r, size_t k, int rc, char *why)
{
	struct step *s = &r->v[k];

	r->finished++;
	if (rc) {
		r->res->failed++;
		r->res->failures =
		    lf_xrealloc(r->res->failures, (r->res->nfailures + 1) * sizeof(char *));
		r->res->failures[r->res->nfailures++] =
		    lf_xasprintf("%s: %s", s->c->address, why ? why : "failed");
	} else {
		r->res->done++;
	}
	report(r, rc ? LF_STEP_FAILED : LF_STEP_DONE, s, why);
	free(why);
}

/* Step `k` ended with `rc`: counted, and what waits for it released or
 * skipped. */
static void finish(struct run *r, size_t k, int rc, char *why)
{
	r->v[k].state = rc ? 3 : 2;
	tally(r, k, rc, why);
	if (rc)
		skip_after(r, k);
	else
		release_after(r, k);
}

static void fly_remove(struct run *r, size_t k)
{
	for (size_t i = 0; i < r->nfly; i++)
		if (r->fly[i] == k) {
			r->fly[i] = r->fly[--r->nfly];
			return;
		}
}

/* A provider step leaves the flight with `rc`. */
static void land(struct run *r, size_t k, int rc, char *why)
{
	struct step *s = &r->v[k];

	fly_remove(r, k);
	json_decref(s->params);
	s->params = NULL;
	r->running--;
	finish(r, k, rc, why);
}

/* Record the manifest steps start_ready() set aside, once the turn's calls
 * are out: they cost no call, and the calls should not wait for them. */
static void run_records(struct run *r)
{
	/* a few at a time: answers that came meanwhile are taken between
	 * (1,000 records at once kept a call's answer waiting 20 ms) */
	size_t upto = r->records_done + 64 < r->nrecords ? r->records_done + 64 : r->nrecords;

	for (; r->records_done < upto; r->records_done++) {
		size_t k = r->records[r->records_done];
		char *why = NULL;

		report(r, LF_STEP_START, &r->v[k], NULL);
		int rc = run_record(r, &r->v[k], &why);
		r->running--;
		finish(r, k, rc, why);
	}
	if (r->records_done == r->nrecords)
		r->nrecords = r->records_done = 0;
}

/* Whether family f's provider has as many calls out as the concurrency
 * it announced. */
static int provider_full(struct run *r, int f)
{
	int conc = lf_provider_concurrency(r->pv->v[f]);

	return conc > 0 && r->out[f] >= conc;
}

/* The lane whose first step starts next: the earliest in plan order of the
 * lanes whose provider has room; -1 when none. */
static int next_lane(struct run *r)
{
	int best = -1;

	for (int lane = 0; lane < NLANES; lane++) {
		struct heap *h = &r->ready[lane];
		if (!h->n || (lane != LANE_NOW && provider_full(r, lane - 1)))
			continue;
		if (best < 0 || h->v[0] < r->ready[best].v[0])
			best = lane;
	}
	return best;
}

/* Start what is ready, up to `n` running; the steps whose call is to be
 * sent go to send[], the manifest steps to r->records. */
static size_t start_ready(struct run *r, size_t n, size_t *send, size_t nsend)
{
	int lane;

	while (r->running < n && (lane = next_lane(r)) >= 0) {
		size_t k = heap_pop(&r->ready[lane]);
		struct step *s = &r->v[k];
		char *why = NULL;

		r->nready--;
		if (is_record(s)) {
			/* it takes a place too, until recorded: at --parallelism
			 * 1 the steps run one by one in plan order */
			s->state = 1;
			r->running++;
			r->records[r->nrecords++] = k;
			continue;
		}
		int f = lf_family_find(s->c->provider);
		struct lf_provider *p = f < 0 ? NULL : r->pv->v[f];
		if (!p) {
			s->state = 1;
			report(r, LF_STEP_START, s, NULL);
			finish(r, k, -1,
			       lf_xasprintf("no provider for '%s' resources is configured",
			                    s->c->provider));
			continue;
		}
		s->state = 1;
		s->p = p;
		s->family = f;
		r->running++;
		report(r, LF_STEP_START, s, NULL);
		if (prepare(r, s, &why)) {
			r->running--;
			finish(r, k, -1, why);
			continue;
		}
		(*out_count(r, s))++;
		s->retry_at.tv_sec = LONG_MAX; /* to be sent now, not a retry */
		r->fly[r->nfly++] = k;
		send[nsend++] = k;
	}
	return nsend;
}

/* Sync the journal, then send each call of send[]. */
static void send_calls(struct run *r, struct lf_inbox *in, const size_t *send, size_t nsend)
{
	int jerr = lf_state_journal_sync(r->b);
	int flush[LF_NFAMILIES] = {0};
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < nsend; i++) {
		size_t k = send[i];
		struct step *s = &r->v[k];
		struct lf_provider_error err = {0};
		long deadline = deadline_for(r->o, s->family);

		if (jerr) {
			/* its intent may not be on disk: the call must not go */
			(*out_count(r, s))--;
			land(r, k, -1,
			     jerr == LF_STATE_ELEASE ? lf_xstrdup(lf_state_strerror(jerr))
			                             : lf_xasprintf("cannot write the journal: %s",
			                                            lf_state_strerror(jerr)));
			continue;
		}
		if (lf_provider_send(s->p, s->action, s->params, deadline, in, (void *)(uintptr_t)k,
		                     &s->call, &err)) {
			(*out_count(r, s))--;
			char *why = NULL;
			conclude(r, s, -1, NULL, &err, &why);
			land(r, k, -1, why);
			continue;
		}
		s->until = now;
		lf_ts_add_ms(&s->until, deadline);
		flush[s->family] = 1;
	}
	/* a broken pipe is found by the flush: its calls come back failed */
	for (int f = 0; f < LF_NFAMILIES; f++)
		if (flush[f])
			lf_provider_flush(r->pv->v[f]);
}

/* An answer (or a missed deadline, or a provider gone) came back. */
static void take_answer(struct run *r, struct lf_call *c)
{
	size_t k = (size_t)(uintptr_t)lf_call_tag(c);
	struct step *s = &r->v[k];
	struct lf_provider_error err = {0};
	json_t *result = NULL;
	int attempts = r->o->max_attempts > 0 ? r->o->max_attempts : 4;

	int rc = lf_call_take(c, deadline_for(r->o, s->family), &result, &err);
	s->call = NULL;
	(*out_count(r, s))--;
	if (rc && err.retryable && s->attempt < attempts) {
		/* say so: a slow apply should not look stuck */
		char *msg = lf_xasprintf("%s; retrying in %.2g s (attempt %d of %d)", err.message,
		                         s->backoff_ms / 1000.0, s->attempt + 1, attempts);
		report(r, LF_STEP_RETRY, s, msg);
		free(msg);
		s->retry_at = lf_ts_in_ms(CLOCK_MONOTONIC, s->backoff_ms);
		s->backoff_ms *= 2;
		s->attempt++;
		return;
	}
	char *why = NULL;
	if (rc == 0) {
		/* done: its place and what waits for it are free at once, so
		 * that the calls they allow go out before this one's record
		 * is written (record_answers, after the turn's sends) */
		fly_remove(r, k);
		json_decref(s->params);
		s->params = NULL;
		r->running--;
		s->result = result;
		s->state = 2;
		release_after(r, k);
		r->answered[r->nanswered++] = k;
		return;
	}
	rc = conclude(r, s, rc, result, &err, &why);
	land(r, k, rc, why);
}

/* The outcomes of the calls take_answer() let go early, to the journal
 * (synced with the next turn's intents, or before the loop waits). */
static void record_answers(struct run *r)
{
	struct lf_provider_error none = {0};

	for (size_t i = 0; i < r->nanswered; i++) {
		size_t k = r->answered[i];
		struct step *s = &r->v[k];
		char *why = NULL;
		json_t *result = s->result;

		s->result = NULL;
		int rc = conclude(r, s, 0, result, &none, &why);
		if (rc) /* the journal failed: what it released fails to send */
			s->state = 3;
		tally(r, k, rc, why);
	}
	r->nanswered = 0;
}

static void run_loop(struct run *r, size_t n)
{
	struct lf_inbox *in = lf_inbox_new();
	size_t *send = lf_xcalloc(n + 1, sizeof(*send));

	r->fly = lf_xcalloc(n + 1, sizeof(*r->fly));
	r->answered = lf_xcalloc(n + 1, sizeof(*r->answered));
	r->records = lf_xcalloc(r->n + 1, sizeof(*r->records));
	for (;;) {
		int stopping = r->o->stopping && *r->o->stopping;
		size_t nsend = stopping ? 0 : start_ready(r, n, send, 0);
		struct timespec now, until;

		/* retries whose time came (their intent is on disk already) */
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (size_t i = 0; i < r->nfly; i++) {
			struct step *s = &r->v[r->fly[i]];
			if (s->call || lf_ts_before(&now, &s->retry_at))
				continue;
			if (provider_full(r, s->family))
				continue;
			(*out_count(r, s))++;
			s->retry_at.tv_sec = LONG_MAX; /* sent: not a retry any more */
			send[nsend++] = r->fly[i];
		}
		if (nsend)
			send_calls(r, in, send, nsend); /* syncs the journal first */
		record_answers(r);
		int recorded = r->nrecords > 0;
		if (recorded)
			run_records(r);
		if (r->o->release_values && r->ahead < r->n)
			format_ahead(r, 256);
		if (r->running == 0 && (stopping || r->nready == 0)) {
			if (r->o->turn)
				r->o->turn(r->o->ctx);
			break; /* lf_apply() syncs what is queued */
		}
		/* records left, or what they released may start: no waiting */
		int again = r->nrecords || (recorded && r->nready && !stopping);
		if (!again)
			lf_state_journal_sync(r->b); /* outcomes, while calls run;
			                              * an error shows at the next */

		/* wait for an answer, the first deadline or retry, or a while
		 * (a Ctrl-C is noticed within it) */
		until = now;
		lf_ts_add_ms(&until, again ? 0 : 100);
		for (size_t i = 0; i < r->nfly; i++) {
			struct step *s = &r->v[r->fly[i]];
			const struct timespec *t = s->call ? &s->until : &s->retry_at;
			if (lf_ts_before(t, &until))
				until = *t;
		}
		if (r->o->turn)
			r->o->turn(r->o->ctx);
		struct lf_call *c = lf_inbox_next(in, &until);
		while (c) {
			take_answer(r, c);
			c = lf_inbox_next(in, NULL);
		}
		/* calls past their deadline come back as such next turn */
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (size_t i = 0; i < r->nfly; i++) {
			struct step *s = &r->v[r->fly[i]];
			if (s->call && !lf_ts_before(&now, &s->until))
				lf_call_expire(s->call);
		}
	}
	free(send);
	free(r->fly);
	free(r->answered);
	free(r->records);
	lf_inbox_free(in);
}

static int wants(const struct lf_dres *w, const char *address)
{
	for (size_t j = 0; w && j < w->ndeps; j++)
		if (!strcmp(w->deps[j], address))
			return 1;
	return 0;
}

int lf_apply(struct lf_apply_result *res, struct lf_plan *plan, struct lf_desired *ds,
             struct lf_state *st, struct lf_backend *b, const struct lf_providers *pv,
             const struct lf_apply_opts *o)
{
	struct run r;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.ds = ds;
	r.st = st;
	r.b = b;
	r.pv = pv;
	r.o = o;
	r.res = res;

	/* the steps, and everything they need from the state */
	for (size_t i = 0; i < plan->n; i++) {
		struct lf_change *c = &plan->v[i];
		struct lf_state_res *rec = lf_state_get(st, c->address);

		if (c->action == LF_ACT_NOOP)
			continue;
		if (rec && rec->line)
			lf_state_res_parse(rec);
		if (c->action == LF_ACT_DELETE || c->action == LF_ACT_REPLACE) {
			size_t k = add_step(&r, STEP_DELETE, c);
			r.v[k].prior = rec && rec->attrs ? json_incref(rec->attrs) : NULL;
		}
		if (c->action != LF_ACT_DELETE) {
			size_t k = add_step(&r, STEP_PUT, c);
			r.v[k].want = lf_desired_get(ds, c->address);
			r.v[k].prior = rec && rec->attrs ? json_incref(rec->attrs) : NULL;
			if (!r.v[k].want) {
				/* a saved plan for manifests that changed: refused before */
				r.v[k].state = 3;
			}
		}
	}
	/* the order between steps */
	for (size_t k = 0; k < r.n; k++) {
		struct step *s = &r.v[k];
		if (s->kind == STEP_PUT) {
			size_t d = lookup(&r.del_of, s->c->address);
			if (d != (size_t)-1)
				add_wait(&r, k, d);
			for (size_t j = 0; s->want && j < s->want->ndeps; j++) {
				size_t on = lookup(&r.put_of, s->want->deps[j]);
				if (on != (size_t)-1)
					add_wait(&r, k, on);
			}
			/* an update that leaves something deleted (a node pool
			 * leaving its old network) runs before that deletion */
			struct lf_state_res *rec = lf_state_get(st, s->c->address);
			size_t i;
			json_t *dep;
			json_array_foreach (s->c->action == LF_ACT_UPDATE && rec ? rec->deps : NULL,
			                    i, dep) {
				const char *had = json_string_value(dep);
				size_t gone = had ? lookup(&r.del_of, had) : (size_t)-1;
				if (gone != (size_t)-1 && r.v[gone].c->action == LF_ACT_DELETE &&
				    !wants(s->want, had))
					add_wait(&r, gone, k);
			}
		} else {
			/* what needs it is deleted first: its recorded deps name us */
			struct lf_state_res *rec = lf_state_get(st, s->c->address);
			size_t i;
			json_t *dep;
			json_array_foreach (rec ? rec->deps : NULL, i, dep) {
				size_t on = lookup(&r.del_of, json_string_value(dep));
				if (on != (size_t)-1)
					add_wait(&r, on, k);
			}
		}
	}

	/* the reverse edges, and what can start at once */
	for (int lane = 0; lane < NLANES; lane++)
		r.ready[lane].v = lf_xcalloc(r.n + 1, sizeof(size_t));
	for (size_t k = 0; k < r.n; k++) {
		struct step *s = &r.v[k];
		s->remaining = s->nwaits;
		for (size_t i = 0; i < s->nwaits; i++) {
			struct step *w = &r.v[s->waits[i]];
			LF_GROW(w->then, w->nthen + 1, w->then_alloc);
			w->then[w->nthen++] = k;
		}
	}
	for (size_t k = r.n; k-- > 0;) {
		if (r.v[k].state == 3) {
			/* a put without a desired resource cannot run */
			r.finished++;
			res->failed++;
			res->failures =
			    lf_xrealloc(res->failures, (res->nfailures + 1) * sizeof(char *));
			res->failures[res->nfailures++] =
			    lf_xasprintf("%s: not declared by the manifests", r.v[k].c->address);
			skip_after(&r, k);
		} else if (r.v[k].state == 0 && r.v[k].remaining == 0) {
			ready_push(&r, k);
		}
	}

	size_t n = o->parallelism > 0 ? (size_t)o->parallelism : 10;
	lf_state_journal_defer(b, 1);
	run_loop(&r, n);
	lf_state_journal_defer(b, 0); /* syncs what the last turn queued */

	for (size_t k = 0; k < r.n; k++) {
		if (r.v[k].state == 0)
			res->not_started++;
		json_decref(r.v[k].prior);
		free(r.v[k].line);
		free(r.v[k].type);
		free(r.v[k].waits);
		free(r.v[k].then);
	}
	for (int lane = 0; lane < NLANES; lane++)
		free(r.ready[lane].v);
	free(r.v);
	lf_map_release(&r.put_of);
	lf_map_release(&r.del_of);
	return res->failed || res->skipped || res->not_started ? -1 : 0;
}

int lf_apply_resolve_pending(struct lf_state *st, struct lf_backend *b,
                             const struct lf_providers *pv, long deadline_ms, struct lf_diags *d)
{
	size_t errors = d->errors;

	/* copies first: each outcome drops a pending entry */
	size_t n = st->npending;
	char **addr = lf_xcalloc(n + 1, sizeof(*addr));
	json_t **intent = lf_xcalloc(n + 1, sizeof(*intent));
	for (size_t i = 0; i < n; i++) {
		addr[i] = lf_xstrdup(st->pending[i].address);
		intent[i] = json_incref(st->pending[i].intent);
	}
	for (size_t i = 0; i < n; i++) {
		json_t *rec_json = json_object_get(intent[i], "record");
		const char *type = json_string_value(json_object_get(rec_json, "type"));
		const char *family = json_string_value(json_object_get(rec_json, "family"));
		struct lf_provider *p = lf_providers_get(pv, family);
		struct lf_provider_error err;
		json_t *res = NULL;

		if (!p || !type) {
			lf_diag_error(
			    d, NULL,
			    "cannot resolve the interrupted change of '%s': no provider for it",
			    addr[i]);
			continue;
		}
		json_t *params = json_pack("{s:s, s:s, s:n, s:n}", "type", type, "address", addr[i],
		                           "id", "inputs");
		int rc = lf_provider_call(p, "read", params, deadline_ms, &res, &err);
		json_decref(params);
		if (rc) {
			lf_diag_error(d, NULL, "cannot resolve the interrupted change of '%s': %s",
			              addr[i], err.message);
			continue;
		}
		struct lf_state_res *have = lf_state_get(st, addr[i]);
		if (json_is_true(json_object_get(res, "exists"))) {
			/* it exists: record what the provider reports, as the
			 * inputs it was (or was being) applied with; equal to the
			 * manifests, the next plan has nothing to do for it */
			struct lf_state_res rec;
			memset(&rec, 0, sizeof(rec));
			if (have && have->line)
				lf_state_res_parse(have);
			json_t *a = json_deep_copy(json_object_get(res, "attributes"));
			if (!a)
				a = json_object();
			const char *id = json_string_value(json_object_get(res, "id"));
			if (id)
				json_object_set_new(a, "id", json_string(id));
			json_t *asked = json_object_get(rec_json, "inputs");
			json_t *seen = lf_observed_inputs(asked  ? asked
			                                  : have ? have->inputs
			                                         : NULL,
			                                  a);
			rec.address = addr[i];
			rec.type = (char *)type;
			rec.provider = (char *)family;
			rec.parent = (char *)json_string_value(json_object_get(rec_json, "parent"));
			if (!rec.parent && have)
				rec.parent = have->parent;
			rec.deps = json_object_get(rec_json, "deps");
			if (!rec.deps && have)
				rec.deps = have->deps;
			rec.sensitive = json_object_get(rec_json, "sensitive");
			if (!rec.sensitive && have)
				rec.sensitive = have->sensitive;
			rec.inputs = seen;
			rec.attrs = a;
			lf_json_digest(seen, rec.digest);
			lf_state_journal_outcome(b, st, addr[i], "read", &rec);
			json_decref(seen);
			json_decref(a);
		} else {
			lf_state_journal_outcome(b, st, addr[i], "read", NULL);
		}
		json_decref(res);
	}
	for (size_t i = 0; i < n; i++) {
		free(addr[i]);
		json_decref(intent[i]);
	}
	free(addr);
	free(intent);
	return d->errors > errors ? -1 : 0;
}

void lf_apply_result_release(struct lf_apply_result *res)
{
	for (size_t i = 0; i < res->nfailures; i++)
		free(res->failures[i]);
	free(res->failures);
	memset(res, 0, sizeof(*res));
}

json_t *lf_observed_inputs(json_t *inputs, json_t *attrs)
{
	json_t *out = json_is_object(inputs) ? json_deep_copy(inputs) : json_object();
	json_t *unknown = json_object_get(attrs, "unknown");
	const char *k;
	json_t *v;

	json_object_foreach (out, k, v) {
		json_t *seen = json_object_get(attrs, k);
		/* a field the provider could not read is not a change */
		if (seen && !json_object_get(unknown, k))
			json_object_set(out, k, seen);
	}
	return out;
}
