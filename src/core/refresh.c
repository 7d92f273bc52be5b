#include "refresh.h"

#include <pthread.h>
#include <string.h>

#include "util/mem.h"

/* One read to make: the record's parts the reading thread needs. */
struct job {
	struct lf_provider *p;
	json_t *params;     /* the read's params */
	json_t *inputs;     /* borrowed from the record */
	json_t *attrs;      /* borrowed from the record */
	const char *digest; /* borrowed from the record */
};

struct reader {
	pthread_mutex_t mu;
	struct job *jobs;
	struct lf_observation *obs;
	size_t n, next, done;
	long deadline_ms;
	void (*progress)(size_t done, size_t total, void *arg);
	void *arg;
};

static void observe_one(const struct job *j, struct lf_observation *o, long deadline_ms)
{
	struct lf_provider_error err;
	json_t *res = NULL;

	if (lf_provider_call(j->p, "read", j->params, deadline_ms, &res, &err)) {
		o->status = LF_OBS_ERROR;
		o->error = lf_xasprintf("cannot read it: %s", err.message);
		return;
	}
	if (!json_is_true(json_object_get(res, "exists"))) {
		o->status = LF_OBS_GONE;
		json_decref(res);
		return;
	}
	json_t *attrs = json_deep_copy(json_object_get(res, "attributes"));
	if (!json_is_object(attrs)) {
		json_decref(attrs);
		attrs = json_object();
	}
	const char *id = json_string_value(json_object_get(res, "id"));
	if (id && !json_object_get(attrs, "id"))
		json_object_set_new(attrs, "id", json_string(id));
	o->attrs = attrs;
	o->seen = lf_observed_inputs(j->inputs, attrs);
	lf_json_digest(o->seen, o->digest);
	o->status = strcmp(o->digest, j->digest) ? LF_OBS_CHANGED : LF_OBS_SAME;
	o->fresh = o->status == LF_OBS_SAME && !json_equal(attrs, j->attrs);
	json_decref(res);
}

static void *read_worker(void *arg)
{
	struct reader *r = arg;

	for (;;) {
		pthread_mutex_lock(&r->mu);
		size_t i = r->next < r->n ? r->next++ : r->n;
		pthread_mutex_unlock(&r->mu);
		if (i == r->n)
			return NULL;
		observe_one(&r->jobs[i], &r->obs[i], r->deadline_ms);
		pthread_mutex_lock(&r->mu);
		r->done++;
		if (r->progress)
			r->progress(r->done, r->n, r->arg);
		pthread_mutex_unlock(&r->mu);
	}
}

int lf_observe(struct lf_observations *out, struct lf_state *st, const struct lf_providers *pv,
               int parallelism, long deadline_ms,
               void (*progress)(size_t done, size_t total, void *arg), void *arg)
{
	struct reader r;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	/* every record is parsed here, on one thread: the readers only read */
	r.jobs = lf_xcalloc(st->nres + 1, sizeof(*r.jobs));
	r.obs = lf_xcalloc(st->nres + 1, sizeof(*r.obs));
	for (size_t i = 0; i < st->nres; i++) {
		struct lf_state_res *res = &st->res[i];

		if (res->removed)
			continue;
		if (res->line)
			lf_state_res_parse(res);
		struct lf_provider *p = lf_providers_get(pv, res->provider);
		if (!p)
			continue; /* a manifest resource: nothing to read */
		const char *id = json_string_value(json_object_get(res->attrs, "id"));
		r.jobs[n].p = p;
		r.jobs[n].params = json_pack("{s:s, s:s, s:o, s:O}", "type", res->type, "address",
		                             res->address, "id", id ? json_string(id) : json_null(),
		                             "inputs", res->inputs ? res->inputs : json_null());
		r.jobs[n].inputs = res->inputs;
		r.jobs[n].attrs = res->attrs;
		r.jobs[n].digest = res->digest;
		r.obs[n].address = lf_xstrdup(res->address);
		r.obs[n].type = lf_xstrdup(res->type);
		n++;
	}
	r.n = n;
	r.deadline_ms = deadline_ms;
	r.progress = progress;
	r.arg = arg;
	pthread_mutex_init(&r.mu, NULL);

	size_t nthreads = parallelism < 1 ? 1 : (size_t)parallelism;
	if (nthreads > n)
		nthreads = n;
	pthread_t *threads = lf_xcalloc(nthreads + 1, sizeof(*threads));
	size_t started = 0;
	for (size_t i = 0; i < nthreads; i++)
		if (pthread_create(&threads[i], NULL, read_worker, &r) == 0)
			started++;
		else
			break;
	if (started == 0 && n)
		read_worker(&r); /* no thread could start: read them here */
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	pthread_mutex_destroy(&r.mu);

	for (size_t i = 0; i < n; i++) {
		json_decref(r.jobs[i].params);
		switch (r.obs[i].status) {
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
	free(r.jobs);
	out->v = r.obs;
	out->n = n;
	return 0;
}

/* Record `r` as `ob` found it (its values borrowed from both). */
static struct lf_state_res observed(const struct lf_state_res *r, const struct lf_observation *ob)
{
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

/* Whether `st` records (address, type) with this id, or the address at all. */
static int recorded(struct lf_state *st, const char *address, const char *type, const char *id)
{
	struct lf_state_res *r = lf_state_get(st, address);

	if (!r || strcmp(r->type, type))
		return 0;
	if (r->line)
		lf_state_res_parse(r);
	const char *have = json_string_value(json_object_get(r->attrs, "id"));
	return !have || !id || !strcmp(have, id);
}

static int list_one(struct lf_state *st, struct lf_provider *p, const char *type, long deadline_ms,
                    struct lf_unmanaged **out, size_t *n, size_t *alloc, size_t *managed,
                    size_t *unlisted, struct lf_diags *d)
{
	struct lf_provider_error err;
	json_t *res = NULL, *obj;
	json_t *params = json_pack("{s:s}", "type", type);
	size_t i;

	int rc = lf_provider_call(p, "list", params, deadline_ms, &res, &err);
	json_decref(params);
	if (rc) {
		if (err.code == -32601) { /* the type cannot be listed */
			(*unlisted)++;
			return 0;
		}
		lf_diag_error(d, NULL, "cannot list %s objects through '%s': %s", type,
		              lf_provider_name(p), err.message);
		return -1;
	}
	json_array_foreach (json_object_get(res, "objects"), i, obj) {
		const char *id = json_string_value(json_object_get(obj, "id"));
		const char *addr = json_string_value(json_object_get(obj, "address"));

		if (!id || !addr)
			continue;
		if (recorded(st, addr, type, id)) {
			(*managed)++;
			continue;
		}
		LF_GROW(*out, *n + 1, *alloc);
		struct lf_unmanaged *u = &(*out)[(*n)++];
		u->type = lf_xstrdup(type);
		u->id = lf_xstrdup(id);
		u->address = lf_xstrdup(addr);
		u->attrs = json_incref(json_object_get(obj, "attributes"));
	}
	json_decref(res);
	return 0;
}

int lf_list_unmanaged(struct lf_state *st, const struct lf_providers *pv, long deadline_ms,
                      struct lf_unmanaged **out, size_t *n, size_t *managed, size_t *unlisted,
                      struct lf_diags *d)
{
	size_t alloc = 0, errors = d->errors;

	*out = NULL;
	*n = *managed = *unlisted = 0;
	for (int f = 0; f < LF_NFAMILIES; f++) {
		struct lf_provider *p = pv->v[f];
		size_t i;
		json_t *t;

		if (!p)
			continue;
		json_array_foreach (lf_provider_types(p), i, t)
			list_one(st, p, json_string_value(t), deadline_ms, out, n, &alloc, managed,
			         unlisted, d);
	}
	return d->errors > errors ? -1 : 0;
}

void lf_unmanaged_release(struct lf_unmanaged *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].type);
		free(u[i].id);
		free(u[i].address);
		json_decref(u[i].attrs);
	}
	free(u);
}
