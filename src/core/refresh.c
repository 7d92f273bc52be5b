#include "refresh.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "family.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/jspan.h"
#include "util/mem.h"
#include "util/sha256.h"

/*
 * Reads go out as apply's calls do: from this one thread, without waiting
 * (lf_provider_send), up to `parallelism` in flight in all and no more
 * than each provider's concurrency, written to each provider's pipe
 * together (lf_provider_flush), their answers taken from one inbox.  No
 * thread per call, no hand-off per answer.
 */

/* One read to make: the record's parts the answer is compared with. */
struct job {
	struct lf_provider *p;
	struct lf_state_res *res;
	int family;
	int skipped;        /* its record did not parse: not read, not reported */
	json_t *params;     /* the read's params */
	json_t *inputs;     /* borrowed from the record */
	json_t *attrs;      /* borrowed from the record */
	const char *digest; /* borrowed from the record */
	struct lf_call *call;
	struct timespec until; /* its deadline */
	/* read raw (raw_prepare): the request's params as text, and the
	 * answer's result expected when the object is as recorded */
	int raw;
	struct lf_buf text;
	struct lf_text_piece expect[6];
	/* the record parsed in a copy (lf_observe_pick.copies), or NULL */
	struct lf_state_res *own;
	int copies;
};

/* Job j's record parsed: in place, or in a copy of its own when the
 * records are not to change (lf_observe_pick.copies); NULL when it does
 * not parse. */
static struct lf_state_res *parsed(struct job *j)
{
	struct lf_state_res *res = j->res;

	if (!j->copies || !res->line)
		return lf_state_res_parse(res) == 0 ? res : NULL;
	if (!j->own)
		j->own = lf_state_res_parse_copy(res);
	return j->own;
}

/* Whether a key's text sorts before another's, as jansson sorts keys
 * (strcmp: bytes, unsigned). */
static int key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : an < bn ? -1 : an > bn;
}

/*
 * lf_observe_settled()'s walk of attrs: past the current member to the
 * next (*arc 1, or 0 after the last).  -1 when the text cannot tell: the
 * current member is "unknown" (whose fields keep their recorded values),
 * or the next has an escape, is out of order or does not parse.
 */
static int next_attr(struct lf_jspan_iter *at, int *arc, const char **ak, size_t *akl,
                     const char **av, size_t *avl)
{
	const char *k = *ak;
	size_t kl = *akl;
	int esc;

	if (kl == 7 && !memcmp(k, "unknown", 7))
		return -1;
	*arc = lf_jspan_next(at, ak, akl, &esc, av, avl);
	if (*arc < 0 || (*arc && (esc || key_cmp(k, kl, *ak, *akl) >= 0)))
		return -1;
	return 0;
}

int lf_observe_settled(const char *inputs, size_t inputs_len, const char *attrs, size_t attrs_len,
                       const char *digest)
{
	struct lf_jspan_iter in, at;
	const char *ik, *iv, *ak = NULL, *av = NULL, *pk = NULL;
	size_t ikl, ivl, akl = 0, avl = 0, pkl = 0;
	int esc, irc, arc = 1;
	char hex[LF_SHA256_HEX_LEN + 1];
	unsigned char md[LF_SHA256_LEN];

	if (!inputs || !attrs || lf_jspan_object(&in, inputs, inputs_len) ||
	    lf_jspan_object(&at, attrs, attrs_len) ||
	    (arc = lf_jspan_next(&at, &ak, &akl, &esc, &av, &avl)) < 0 || (arc && esc))
		return 0;
	/* both sorted: one walk of each, inputs' keys looked up in attrs' */
	while ((irc = lf_jspan_next(&in, &ik, &ikl, &esc, &iv, &ivl)) == 1) {
		if (esc || (pk && key_cmp(pk, pkl, ik, ikl) >= 0))
			return 0; /* an escape, or not sorted: cannot tell */
		pk = ik;
		pkl = ikl;
		while (arc == 1 && key_cmp(ak, akl, ik, ikl) < 0)
			if (next_attr(&at, &arc, &ak, &akl, &av, &avl))
				return 0;
		/* a field the provider reports must read as recorded */
		if (arc == 1 && !key_cmp(ak, akl, ik, ikl) && (avl != ivl || memcmp(av, iv, ivl)))
			return 0;
	}
	if (irc < 0)
		return 0;
	/* the rest of attrs: no "unknown" (which keeps recorded values) */
	while (arc == 1)
		if (next_attr(&at, &arc, &ak, &akl, &av, &avl))
			return 0;
	/* the observed inputs are the recorded ones: their digest is of
	 * their text, which is canonical */
	lf_sha256(md, inputs, inputs_len);
	lf_sha256_hex(hex, md);
	return !strcmp(hex, digest);
}

/* A string's text that needs no escaping in JSON. */
static int plain(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/*
 * Job `j`'s read of lazy record `res` without parsing it, when the record
 * is settled (lf_observe_settled) and its attrs carry a string "id": the
 * params spliced from the record's text, and the answer that says "as
 * recorded" known beforehand, which lakeform's providers write byte for
 * byte when nothing changed (the SDK's answers are canonical JSON, as the
 * state's records are).  0, or -1: parse it then.
 */
static int raw_prepare(struct job *j, struct lf_state_res *res)
{
	struct lf_state_raw raw;
	const char *id, *cut, *cut_end;
	size_t idl;

	if (lf_state_res_raw(res, &raw) || !raw.inputs || !raw.attrs || !plain(res->type) ||
	    !plain(res->address) ||
	    lf_jspan_member(raw.attrs, raw.attrs_len, "id", &id, &idl) != 1 || *id != '"' ||
	    id - raw.attrs < 6 || memcmp(id - 5, "\"id\":", 5) ||
	    !lf_observe_settled(raw.inputs, raw.inputs_len, raw.attrs, raw.attrs_len, res->digest))
		return -1;
	/* the attrs without their "id" member (and a comma beside it): what
	 * a provider answers, the id coming beside them */
	cut = id - 5;
	cut_end = id + idl;
	if (cut[-1] == ',')
		cut--;
	else if (*cut_end == ',')
		cut_end++;
	/* as prepare() packs them: type, address, id, inputs */
	lf_buf_adds(&j->text, "{\"type\":\"");
	lf_buf_adds(&j->text, res->type);
	lf_buf_adds(&j->text, "\",\"address\":\"");
	lf_buf_adds(&j->text, res->address);
	lf_buf_adds(&j->text, "\",\"id\":");
	lf_buf_add(&j->text, id, idl);
	lf_buf_adds(&j->text, ",\"inputs\":");
	lf_buf_add(&j->text, raw.inputs, raw.inputs_len);
	lf_buf_addc(&j->text, '}');
	/* the read's result as the SDK writes it: keys sorted */
	j->expect[0] = (struct lf_text_piece){"{\"attributes\":", 14};
	j->expect[1] = (struct lf_text_piece){raw.attrs, (size_t)(cut - raw.attrs)};
	j->expect[2] =
	    (struct lf_text_piece){cut_end, (size_t)(raw.attrs + raw.attrs_len - cut_end)};
	j->expect[3] = (struct lf_text_piece){",\"exists\":true,\"id\":", 20};
	j->expect[4] = (struct lf_text_piece){id, idl};
	j->expect[5] = (struct lf_text_piece){"}", 1};
	j->digest = res->digest;
	j->raw = 1;
	return 0;
}

/* What a read answered, as an observation. */
static void observe_answer(const struct job *j, struct lf_observation *o, json_t *res)
{
	if (!json_is_true(json_object_get(res, "exists"))) {
		o->status = LF_OBS_GONE;
		return;
	}
	/* the answer is ours alone: its attributes are kept, not copied (a
	 * large bucket policy's copy showed in profiles) */
	json_t *attrs = json_object_get(res, "attributes");
	attrs = json_is_object(attrs) ? json_incref(attrs) : json_object();
	const char *id = json_string_value(json_object_get(res, "id"));
	if (id && !json_object_get(attrs, "id"))
		json_object_set_new(attrs, "id", json_string(id));
	o->attrs = attrs;
	o->seen = lf_observed_inputs(j->inputs, attrs);
	lf_json_digest(o->seen, o->digest);
	o->status = strcmp(o->digest, j->digest) ? LF_OBS_CHANGED : LF_OBS_SAME;
	o->fresh = o->status == LF_OBS_SAME && !json_equal(attrs, j->attrs);
	if (o->status == LF_OBS_SAME && !o->fresh && j->inputs && j->attrs) {
		/* as recorded, value for value (equal digests are equal inputs):
		 * the record's values stand for the answer's, which is freed
		 * now rather than held with every other until the end */
		json_decref(o->attrs);
		json_decref(o->seen);
		o->attrs = json_incref(j->attrs);
		o->seen = json_incref(j->inputs);
	}
}

/* A raw read answered exactly as recorded: the same, nothing fresh, and
 * nothing parsed (attrs and seen stay NULL: the record's stand for them,
 * and no consumer of a SAME observation that is not fresh looks at them). */
static void observe_as_recorded(const struct job *j, struct lf_observation *o)
{
	o->status = LF_OBS_SAME;
	o->fresh = 0;
	memcpy(o->digest, j->digest, sizeof(o->digest));
}

static void observe_failed(struct lf_observation *o, const struct lf_provider_error *err)
{
	o->status = LF_OBS_ERROR;
	o->error = lf_xasprintf("cannot read it: %s", err->message);
}

/*
 * Whether record `res` is served by a provider (its family in *family),
 * not a manifest record.  The provider's name is scanned from the record's
 * line; only a record whose line does not say it is parsed, as before.  A
 * record that does not parse is not read.
 */
static int family_of(struct lf_state_res *res, int *family)
{
	char name[64];
	int has = lf_state_res_provider(res, name, sizeof(name));

	if (has < 0) {
		if (lf_state_res_parse(res) != 0 || !res->provider)
			return 0;
		snprintf(name, sizeof(name), "%s", res->provider);
	} else if (has == 0) {
		return 0;
	}
	*family = lf_family_find(name);
	return *family >= 0;
}

/*
 * Make job `j`'s read of `res`: parsed here, just before it is sent, so that
 * parsing the next records overlaps the provider's reading of these.  0, or
 * -1 for a record that does not parse (it is not read).
 */
static int prepare(struct job *j, struct lf_state_res *res)
{
	if (res->line && raw_prepare(j, res) == 0)
		return 0;
	if (!(res = parsed(j)))
		return -1;
	const char *id = json_string_value(json_object_get(res->attrs, "id"));
	j->params = json_pack("{s:s, s:s, s:o, s:O}", "type", res->type, "address", res->address,
	                      "id", id ? json_string(id) : json_null(), "inputs",
	                      res->inputs ? res->inputs : json_null());
	j->inputs = res->inputs;
	j->attrs = res->attrs;
	j->digest = res->digest;
	return 0;
}

/*
 * A raw read whose answer was not the one expected: its record parsed now
 * for the comparison, 0; or -1 for a record that does not parse, which
 * leaves no observation (as a record that does not parse is not read).
 */
static int take_record(struct job *j)
{
	struct lf_state_res *res = parsed(j);

	if (!res) {
		j->skipped = 1;
		return -1;
	}
	j->inputs = res->inputs;
	j->attrs = res->attrs;
	j->digest = res->digest;
	return 0;
}

void lf_observe_pick(struct lf_observe_pick *out, struct lf_state *st)
{
	memset(out, 0, sizeof(*out));
	out->res = lf_xcalloc(st->nres + 1, sizeof(*out->res));
	out->family = lf_xcalloc(st->nres + 1, sizeof(*out->family));
	for (size_t i = 0; i < st->nres; i++) {
		struct lf_state_res *res = &st->res[i];
		int family = -1;

		if (res->removed || !family_of(res, &family))
			continue; /* a manifest resource: nothing to read */
		out->res[out->n] = res;
		out->family[out->n++] = family;
	}
}

void lf_observe_pick_release(struct lf_observe_pick *p)
{
	free(p->res);
	free(p->family);
	memset(p, 0, sizeof(*p));
}

int lf_observe(struct lf_observations *out, struct lf_state *st, const struct lf_providers *pv,
               int parallelism, long deadline_ms,
               void (*progress)(size_t done, size_t total, void *arg), void *arg)
{
	struct lf_observe_pick pick;

	lf_observe_pick(&pick, st);
	int rc = lf_observe_picked(out, &pick, pv, parallelism, deadline_ms, progress, arg);
	lf_observe_pick_release(&pick);
	return rc;
}

int lf_observe_picked(struct lf_observations *out, const struct lf_observe_pick *pick,
                      const struct lf_providers *pv, int parallelism, long deadline_ms,
                      void (*progress)(size_t done, size_t total, void *arg), void *arg)
{
	struct job *jobs;
	struct lf_observation *obs;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	jobs = lf_xcalloc(pick->n + 1, sizeof(*jobs));
	obs = lf_xcalloc(pick->n + 1, sizeof(*obs));
	for (size_t i = 0; i < pick->n; i++) {
		struct lf_state_res *res = pick->res[i];
		struct lf_provider *p = pv->v[pick->family[i]];

		if (!p)
			continue; /* its provider not started */
		jobs[n].p = p;
		jobs[n].res = res;
		jobs[n].family = pick->family[i];
		jobs[n].copies = pick->copies;
		obs[n].address = lf_xstrdup(res->address);
		obs[n].type = lf_xstrdup(res->type);
		n++;
	}

	/* each family's reads in the state's order, sent as places free up */
	size_t *queue = lf_xcalloc(n + 1, sizeof(*queue));
	size_t first[LF_NFAMILIES + 1] = {0}, next[LF_NFAMILIES] = {0}, end[LF_NFAMILIES] = {0};
	for (size_t i = 0; i < n; i++)
		first[jobs[i].family + 1]++;
	for (int f = 0; f < LF_NFAMILIES; f++)
		first[f + 1] += first[f];
	for (int f = 0; f < LF_NFAMILIES; f++)
		next[f] = end[f] = first[f];
	for (size_t i = 0; i < n; i++)
		queue[end[jobs[i].family]++] = i;

	size_t limit = parallelism < 1 ? 1 : (size_t)parallelism;
	size_t *fly = lf_xcalloc(limit + 1, sizeof(*fly));
	size_t nfly = 0, done = 0;
	struct lf_inbox *in = lf_inbox_new();

	while (done < n) {
		struct timespec now, until;
		int flush[LF_NFAMILIES] = {0};

		clock_gettime(CLOCK_MONOTONIC, &now);
		/* fill the places, the families in turn */
		for (int more = 1; more && nfly < limit;) {
			more = 0;
			for (int f = 0; f < LF_NFAMILIES && nfly < limit; f++) {
				struct lf_provider_error err = {0};
				struct job *j;
				size_t k;

				if (next[f] == end[f])
					continue;
				k = queue[next[f]];
				j = &jobs[k];
				if (!j->params && !j->raw && prepare(j, j->res) != 0) {
					next[f]++;
					j->skipped = 1;
					done++;
					more = 1;
					continue;
				}
				int rc =
				    j->raw ? lf_provider_send_text(j->p, "read", j->text.ptr,
				                                   j->text.len, deadline_ms,
				                                   j->expect, 6, in,
				                                   (void *)&jobs[k], &j->call, &err)
				           : lf_provider_send(j->p, "read", j->params, deadline_ms,
				                              in, (void *)&jobs[k], &j->call, &err);
				if (rc) {
					if (err.code == LF_PROVIDER_EBUSY)
						continue; /* its places are taken: later */
					next[f]++;
					observe_failed(&obs[k], &err);
					done++;
					if (progress)
						progress(done, n, arg);
					more = 1;
					continue;
				}
				next[f]++;
				j->until = now;
				lf_ts_add_ms(&j->until, deadline_ms);
				fly[nfly++] = k;
				flush[f] = 1;
				more = 1;
			}
		}
		for (int f = 0; f < LF_NFAMILIES; f++)
			if (flush[f])
				lf_provider_flush(pv->v[f]);
		/* the answers that came, or the first deadline (with none in
		 * flight, every provider still busy with calls given up on:
		 * a short wait before trying again) */
		until = now;
		lf_ts_add_ms(&until, 10);
		if (nfly)
			until = jobs[fly[0]].until;
		for (size_t i = 1; i < nfly; i++)
			if (lf_ts_before(&jobs[fly[i]].until, &until))
				until = jobs[fly[i]].until;
		struct lf_call *c = lf_inbox_next(in, &until);
		while (c) {
			struct job *j = lf_call_tag(c);
			size_t k = (size_t)(j - jobs);
			struct lf_provider_error err = {0};
			json_t *res = NULL;

			if (lf_call_take(c, deadline_ms, &res, &err))
				observe_failed(&obs[k], &err);
			else if (!res)
				observe_as_recorded(j, &obs[k]);
			else if (!j->raw || take_record(j) == 0)
				observe_answer(j, &obs[k], res);
			json_decref(res);
			j->call = NULL;
			for (size_t i = 0; i < nfly; i++)
				if (fly[i] == k) {
					fly[i] = fly[--nfly];
					break;
				}
			done++;
			if (progress)
				progress(done, n, arg);
			c = lf_inbox_next(in, NULL);
		}
		/* a read past its deadline comes back as such */
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (size_t i = 0; i < nfly; i++)
			if (!lf_ts_before(&now, &jobs[fly[i]].until))
				lf_call_expire(jobs[fly[i]].call);
	}
	lf_inbox_free(in);
	free(fly);
	free(queue);

	/* the records that did not parse leave no observation */
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		json_decref(jobs[i].params);
		lf_buf_release(&jobs[i].text);
		if (jobs[i].own) {
			/* what the observation took of it, it holds */
			lf_state_res_release(jobs[i].own);
			free(jobs[i].own);
		}
		if (jobs[i].skipped) {
			free(obs[i].address);
			free(obs[i].type);
			continue;
		}
		obs[kept++] = obs[i];
	}
	n = kept;
	for (size_t i = 0; i < n; i++) {
		switch (obs[i].status) {
		case LF_OBS_SAME:
			out->same++;
			break;
		case LF_OBS_CHANGED:
			out->changed++;
			break;
		case LF_OBS_GONE:
			out->gone++;
			break;
		case LF_OBS_ERROR:
			out->errors++;
			break;
		}
	}
	free(jobs);
	out->v = obs;
	out->n = n;
	return 0;
}

/* Record `r` as `ob` found it (its values borrowed from both). */
static struct lf_state_res observed(struct lf_state_res *r, const struct lf_observation *ob)
{
	/* read from a copy (lf_observe_pick.copies): the record is parsed
	 * here, for what the observation leaves as recorded (its parent,
	 * provider, dependencies) */
	if (r->line)
		lf_state_res_parse(r);
	struct lf_state_res rec = *r;

	rec.inputs = ob->seen;
	rec.attrs = ob->attrs;
	memcpy(rec.digest, ob->digest, sizeof(rec.digest));
	rec.line = NULL;
	rec.line_owned = 0;
	return rec;
}

void lf_observations_fold(const struct lf_observations *o, struct lf_state *st)
{
	for (size_t i = 0; i < o->n; i++) {
		const struct lf_observation *ob = &o->v[i];
		struct lf_state_res *r;

		if (ob->status == LF_OBS_GONE) {
			lf_state_remove(st, ob->address);
		} else if ((ob->status == LF_OBS_CHANGED || ob->fresh) &&
		           (r = lf_state_get(st, ob->address))) {
			struct lf_state_res rec = observed(r, ob);
			lf_state_put(st, &rec);
		}
	}
}

int lf_observations_record(const struct lf_observations *o, struct lf_state *st,
                           struct lf_backend *b, struct lf_diags *d)
{
	for (size_t i = 0; i < o->n; i++) {
		const struct lf_observation *ob = &o->v[i];
		struct lf_state_res *r;
		int rc = 0;

		if (ob->status == LF_OBS_GONE) {
			rc = lf_state_journal_outcome(b, st, ob->address, "refresh", NULL);
		} else if ((ob->status == LF_OBS_CHANGED || ob->fresh) &&
		           (r = lf_state_get(st, ob->address))) {
			struct lf_state_res rec = observed(r, ob);
			rc = lf_state_journal_outcome(b, st, ob->address, "refresh", &rec);
		}
		if (rc) {
			lf_diag_error(d, NULL, "%s: cannot record what was read: %s", ob->address,
			              lf_state_strerror(rc));
			return -1;
		}
	}
	return 0;
}

void lf_observations_release(struct lf_observations *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].address);
		free(o->v[i].type);
		free(o->v[i].error);
		json_decref(o->v[i].attrs);
		json_decref(o->v[i].seen);
	}
	free(o->v);
	memset(o, 0, sizeof(*o));
}

/* ---- unmanaged objects ---------------------------------------------------- */

/*
 * recorded()'s answer from a lazy record's text: 1 when its attrs hold no
 * string "id" or that id is `id` (or `id` is NULL), 0 when they hold another
 * id, -1 when the text cannot tell (no checksum, an escape in the id): the
 * record is parsed then.
 */
static int recorded_id_text(const struct lf_state_res *r, const char *id)
{
	struct lf_state_raw raw;
	const char *v;
	size_t vlen;

	if (lf_state_res_raw(r, &raw) != 0)
		return -1;
	if (!raw.attrs)
		return 1;
	int has = lf_jspan_member(raw.attrs, raw.attrs_len, "id", &v, &vlen);
	if (has < 0)
		return -1;
	if (has == 0 || vlen < 2 || v[0] != '"')
		return 1; /* no id, or one that is not a string */
	if (memchr(v, '\\', vlen))
		return -1;
	if (!id)
		return 1;
	return strlen(id) == vlen - 2 && !memcmp(id, v + 1, vlen - 2);
}

/* Whether `st` records (address, type) with this id, or the address at all. */
static int recorded(struct lf_state *st, const char *address, const char *type, const char *id)
{
	struct lf_state_res *r = lf_state_get(st, address);

	if (!r || strcmp(r->type, type))
		return 0;
	if (r->line) {
		/* the id is found in the record's text, which is not parsed
		 * (every record a list names: parsing them was a quarter of
		 * drift's samples); a text that cannot tell is parsed */
		int same = recorded_id_text(r, id);
		if (same >= 0)
			return same;
		lf_state_res_parse(r);
	}
	const char *have = json_string_value(json_object_get(r->attrs, "id"));
	return !have || !id || !strcmp(have, id);
}

/* One provider's `list` of one type. */
struct list_call {
	struct lf_provider *p;
	const char *type;
	long deadline_ms;
	json_t *res; /* the answer, or NULL with err */
	struct lf_provider_error err;
};

/* The calls of one provider, taken in turn by up to its concurrency of
 * threads: none waits for a free slot of a provider that does nothing else
 * (drift starts them before its reads, refresh after), so each call's
 * deadline counts from its sending, as when they were made one after the
 * other. */
struct list_group {
	struct list_call *calls;
	size_t n, next; /* next: the first call not taken (atomic) */
	size_t nthreads;
};

/* lf_list_start()'s calls, under way. */
struct lf_listing {
	struct list_call *calls;
	size_t ncalls;
	struct list_group groups[LF_NFAMILIES];
	size_t ngroups;
	pthread_t threads[LF_NFAMILIES * 8];
	size_t nthreads;
};

static void list_call_run(struct list_call *c)
{
	/* only the id and the address of each are used: a provider that can
	 * leaves the attributes out, the bulk of the answer at 15,000 objects */
	json_t *params = json_pack("{s:s, s:b}", "type", c->type, "attributes", 0);

	if (lf_provider_call(c->p, "list", params, c->deadline_ms, &c->res, &c->err))
		c->res = NULL;
	json_decref(params);
}

static void *list_group_run(void *arg)
{
	struct list_group *g = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&g->next, 1, __ATOMIC_RELAXED)) < g->n)
		list_call_run(&g->calls[i]);
	return NULL;
}

/* What one list answered: the objects no record holds go to *out. */
static int list_one(struct lf_state *st, struct list_call *c, struct lf_unmanaged **out, size_t *n,
                    size_t *alloc, size_t *managed, size_t *unlisted, struct lf_diags *d)
{
	json_t *obj;
	size_t i;

	if (!c->res) {
		if (c->err.code == -32601) { /* the type cannot be listed */
			(*unlisted)++;
			return 0;
		}
		lf_diag_error(d, NULL, "cannot list %s objects through '%s': %s", c->type,
		              lf_provider_name(c->p), c->err.message);
		return -1;
	}
	json_array_foreach (json_object_get(c->res, "objects"), i, obj) {
		const char *id = json_string_value(json_object_get(obj, "id"));
		const char *addr = json_string_value(json_object_get(obj, "address"));

		if (!id || !addr)
			continue;
		if (recorded(st, addr, c->type, id)) {
			(*managed)++;
			continue;
		}
		LF_GROW(*out, *n + 1, *alloc);
		struct lf_unmanaged *u = &(*out)[(*n)++];
		u->type = lf_xstrdup(c->type);
		u->id = lf_xstrdup(id);
		u->address = lf_xstrdup(addr);
	}
	return 0;
}

struct lf_listing *lf_list_start(const struct lf_providers *pv, long deadline_ms)
{
	struct lf_listing *l = lf_xcalloc(1, sizeof(*l));
	size_t alloc = 0, max_threads = sizeof(l->threads) / sizeof(l->threads[0]);

	for (int f = 0; f < LF_NFAMILIES; f++) {
		struct lf_provider *p = pv->v[f];
		size_t i;
		json_t *t;

		if (!p)
			continue;
		json_array_foreach (lf_provider_types(p), i, t) {
			LF_GROW(l->calls, l->ncalls + 1, alloc);
			l->calls[l->ncalls++] = (struct list_call){
			    .p = p, .type = json_string_value(t), .deadline_ms = deadline_ms};
		}
	}
	/* the types of a provider at once, on its workers, and the providers
	 * alongside each other, instead of one list after the other (the local
	 * storage walks its tree for each of its three types) */
	for (size_t i = 0; i < l->ncalls;) {
		struct list_group *g = &l->groups[l->ngroups++];
		int conc = lf_provider_concurrency(l->calls[i].p);

		*g = (struct list_group){.calls = &l->calls[i]};
		while (i + g->n < l->ncalls && l->calls[i + g->n].p == g->calls[0].p)
			g->n++;
		i += g->n;
		for (size_t k = 0;
		     k < g->n && (conc <= 0 || (int)k < conc) && l->nthreads < max_threads; k++)
			if (pthread_create(&l->threads[l->nthreads], NULL, list_group_run, g) ==
			    0) {
				l->nthreads++;
				g->nthreads++;
			}
	}
	return l;
}

int lf_list_finish(struct lf_listing *l, struct lf_state *st, struct lf_unmanaged **out, size_t *n,
                   size_t *managed, size_t *unlisted, struct lf_diags *d)
{
	size_t alloc = 0, errors = d->errors;

	*out = NULL;
	*n = *managed = *unlisted = 0;
	for (size_t i = 0; i < l->ngroups; i++) /* no thread could start: here */
		if (!l->groups[i].nthreads)
			list_group_run(&l->groups[i]);
	for (size_t i = 0; i < l->nthreads; i++)
		pthread_join(l->threads[i], NULL);
	for (size_t i = 0; i < l->ncalls; i++) {
		list_one(st, &l->calls[i], out, n, &alloc, managed, unlisted, d);
		json_decref(l->calls[i].res);
	}
	free(l->calls);
	free(l);
	return d->errors > errors ? -1 : 0;
}

int lf_list_unmanaged(struct lf_state *st, const struct lf_providers *pv, long deadline_ms,
                      struct lf_unmanaged **out, size_t *n, size_t *managed, size_t *unlisted,
                      struct lf_diags *d)
{
	return lf_list_finish(lf_list_start(pv, deadline_ms), st, out, n, managed, unlisted, d);
}

void lf_unmanaged_release(struct lf_unmanaged *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].type);
		free(u[i].id);
		free(u[i].address);
	}
	free(u);
}
