#include "policy.h"

#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "../util/buf.h"
#include "../util/mem.h"
#include "../util/par.h"

/* ---- positions ------------------------------------------------------------ */

/* A path of keys and indexes; keys borrowed, or owned when decoded from a
 * JSON pointer (path_release() frees those). */
struct path {
	struct lf_yaml_pathseg seg[40];
	size_t n;
	char *owned[32]; /* keys decoded from a JSON pointer */
	size_t nowned;
};

static void path_release(struct path *p)
{
	for (size_t i = 0; i < p->nowned; i++)
		free(p->owned[i]);
}

static struct path *pkey(struct path *p, const char *key)
{
	if (p->n < sizeof(p->seg) / sizeof(*p->seg)) {
		p->seg[p->n].key = key;
		p->seg[p->n].index = (size_t)-1;
		p->n++;
	}
	return p;
}

static struct path *pidx(struct path *p, size_t i)
{
	if (p->n < sizeof(p->seg) / sizeof(*p->seg)) {
		p->seg[p->n].key = NULL;
		p->seg[p->n].index = i;
		p->n++;
	}
	return p;
}

static struct lf_pos pos_of(const struct lf_manifest *m, const struct lf_source_doc *doc,
                            const struct path *p)
{
	return lf_source_pos(m->src, doc, p->seg, p->n, 0);
}

/* "spec.rules[0].match.kinds[1]" */
static void path_text(struct lf_buf *b, const struct lf_yaml_pathseg *seg, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (seg[i].key)
			lf_buf_addf(b, "%s%s", i ? "." : "", seg[i].key);
		else
			lf_buf_addf(b, "[%zu]", seg[i].index);
	}
}

/* ---- loading -------------------------------------------------------------- */

static int is_kind(const struct lf_resource *r, const char *name)
{
	return !strcmp(r->kind->name, name);
}

/* An unknown kind in a match: the nearest known name, if one is close. */
static const char *nearest_kind(const struct lf_kinds *k, const char *name)
{
	const char *best = NULL;
	size_t bestd = 3;

	for (size_t i = 0; i < k->n; i++) {
		size_t e = lf_edit_distance(name, k->v[i].name);
		if (e < bestd) {
			bestd = e;
			best = k->v[i].name;
		}
	}
	return best;
}

/*
 * Append to `p` the steps of the JSON pointer `ptr` ("/properties/a'",
 * up to a quote) into `v`, as far as they exist.
 */
static void follow_pointer(struct path *p, json_t *v, const char *ptr)
{
	while (*ptr == '/' && p->nowned < sizeof(p->owned) / sizeof(*p->owned)) {
		size_t n = strcspn(ptr + 1, "/'");
		struct lf_buf key = LF_BUF_INIT;
		for (size_t i = 1; i <= n; i++) {
			/* ~1 is '/', ~0 is '~' */
			if (ptr[i] == '~' && i < n && (ptr[i + 1] == '0' || ptr[i + 1] == '1')) {
				lf_buf_addc(&key, ptr[i + 1] == '1' ? '/' : '~');
				i++;
			} else {
				lf_buf_addc(&key, ptr[i]);
			}
		}
		char *k = lf_buf_detach(&key);
		if (json_is_object(v) && json_object_get(v, k)) {
			v = json_object_get(v, k);
			p->owned[p->nowned++] = k;
			pkey(p, k);
		} else if (json_is_array(v) && *k && strspn(k, "0123456789") == strlen(k) &&
		           strtoul(k, NULL, 10) < json_array_size(v)) {
			size_t idx = strtoul(k, NULL, 10);
			v = json_array_get(v, idx);
			pidx(p, idx);
			free(k);
		} else {
			free(k);
			return;
		}
		ptr += n + 1;
	}
}

static void load_policy(struct lf_policies *out, const struct lf_manifest *m,
                        const struct lf_resource *res, struct lf_diags *d)
{
	json_t *spec = json_object_get(res->value, "spec");
	const char *enf = json_string_value(json_object_get(spec, "enforcement"));
	json_t *rules = json_object_get(spec, "rules"), *rule;
	size_t i;

	json_array_foreach (rules, i, rule) {
		json_t *match = json_object_get(rule, "match");
		json_t *kinds = json_object_get(match, "kinds"), *k;
		struct lf_policy_rule r;
		char *err = NULL;
		size_t j;
		int bad = 0;

		memset(&r, 0, sizeof(r));
		r.policy = res;
		r.index = i;
		r.deny = !enf || strcmp(enf, "warn") != 0;
		r.message = json_string_value(json_object_get(rule, "message"));
		r.kinds = kinds;
		r.name = json_string_value(json_object_get(match, "name"));
		r.labels = json_object_get(match, "labels");
		json_array_foreach (kinds, j, k) {
			const char *name = json_string_value(k);
			const struct lf_kind *kind = lf_kinds_find(m->kinds, name);
			if (kind) {
				r.on_types |= kind->is_type;
				continue;
			}
			struct path p = {.n = 0};
			struct lf_pos at = pos_of(
			    m, res->doc,
			    pidx(pkey(pkey(pidx(pkey(pkey(&p, "spec"), "rules"), i), "match"),
			              "kinds"),
			         j));
			const char *near = nearest_kind(m->kinds, name);
			if (near)
				lf_diag_error(
				    d, &at,
				    "spec.rules[%zu].match.kinds[%zu]: unknown kind or type "
				    "'%s' (did you mean '%s'?)",
				    i, j, name, near);
			else
				lf_diag_error(
				    d, &at,
				    "spec.rules[%zu].match.kinds[%zu]: unknown kind or type "
				    "'%s'",
				    i, j, name);
			bad = 1;
		}
		json_t *schema = json_object_get(rule, "schema");
		if (lf_schema_compile(&r.schema, schema, &err) != 0) {
			struct path p = {.n = 0};
			pkey(pidx(pkey(pkey(&p, "spec"), "rules"), i), "schema");
			/* the message ends with where in the schema: go there */
			const char *ptr = strstr(err, " at '#");
			while (ptr && strstr(ptr + 1, " at '#"))
				ptr = strstr(ptr + 1, " at '#");
			if (ptr)
				follow_pointer(&p, schema, ptr + 6);
			struct lf_pos at = pos_of(m, res->doc, &p);
			lf_diag_error(d, &at, "spec.rules[%zu].schema: invalid schema: %s", i, err);
			path_release(&p);
			free(err);
			bad = 1;
		}
		if (bad) {
			lf_schema_free(r.schema);
			continue;
		}
		out->rules = lf_xrealloc(out->rules, (out->nrules + 1) * sizeof(*out->rules));
		out->rules[out->nrules++] = r;
	}
}

static void load_compute(struct lf_policies *out, const struct lf_manifest *m,
                         const struct lf_resource *res, struct lf_diags *d)
{
	json_t *names = lf_json_path(res->value, "spec.workspaces"), *v;
	size_t i;
	int bad = 0;

	json_t *labels = lf_json_path(res->value, "spec.workspace_labels");
	if (labels && json_object_size(labels) == 0) {
		/* no label would attach it to every workspace: surely a mistake */
		struct lf_pos at =
		    lf_source_path_pos(m->src, res->doc, "spec.workspace_labels", (size_t)-1);
		lf_diag_error(d, &at, "spec.workspace_labels: give at least one label");
		return;
	}
	if (!names && !labels) {
		struct lf_pos at = lf_source_path_pos(m->src, res->doc, "spec", (size_t)-1);
		lf_diag_error(d, &at,
		              "spec: attach the compute policy to workspaces by name "
		              "(workspaces) or by labels (workspace_labels)");
		return;
	}
	json_array_foreach (names, i, v) {
		char *addr = lf_xasprintf("workspace/%s", json_string_value(v));
		if (!lf_manifest_get(m, addr)) {
			struct path p = {.n = 0};
			struct lf_pos at =
			    pos_of(m, res->doc, pidx(pkey(pkey(&p, "spec"), "workspaces"), i));
			lf_diag_error(d, &at, "spec.workspaces[%zu]: unknown workspace '%s'", i,
			              json_string_value(v));
			bad = 1;
		}
		free(addr);
	}
	if (bad)
		return;
	out->compute = lf_xrealloc(out->compute, (out->ncompute + 1) * sizeof(*out->compute));
	out->compute[out->ncompute++] = res;
}

int lf_policies_load(struct lf_policies *out, const struct lf_manifest *m, struct lf_diags *d)
{
	size_t errors = d->errors;

	for (size_t i = 0; i < m->nres; i++) {
		if (is_kind(&m->res[i], "Policy"))
			load_policy(out, m, &m->res[i], d);
		else if (is_kind(&m->res[i], "ComputePolicy"))
			load_compute(out, m, &m->res[i], d);
	}
	return d->errors > errors ? -1 : 0;
}

int lf_policies_need_expansion(const struct lf_policies *p)
{
	if (p->ncompute)
		return 1;
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].on_types)
			return 1;
	return 0;
}

void lf_policies_release(struct lf_policies *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		lf_schema_free(p->rules[i].schema);
	free(p->rules);
	free(p->compute);
	memset(p, 0, sizeof(*p));
}

/* ---- matching ------------------------------------------------------------- */

/* Every label of `want` is in `have` with the same value. */
static int labels_match(const json_t *want, const json_t *have)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)want, key, v) {
		const char *h = json_string_value(json_object_get(have, key));
		if (!h || !json_is_string(v) || strcmp(h, json_string_value(v)))
			return 0;
	}
	return 1;
}

static int kind_and_name(const struct lf_policy_rule *r, const char *kind, const char *name)
{
	size_t i;
	json_t *k;

	json_array_foreach (r->kinds, i, k)
		if (json_is_string(k) && !strcmp(json_string_value(k), kind))
			return !r->name || lf_glob_match(r->name, name ? name : "");
	return 0;
}

int lf_policy_rule_matches(const struct lf_policy_rule *r, const char *kind, const char *name,
                           const json_t *labels)
{
	return kind_and_name(r, kind, name) && (!r->labels || labels_match(r->labels, labels));
}

/* ---- violations ----------------------------------------------------------- */

struct found {
	struct lf_buf detail;       /* the validator's words, with the failing path */
	struct lf_yaml_pathseg *at; /* the first error's path, owned */
	size_t depth, count;
};

static void on_error(void *vctx, const struct lf_jpath_seg *path, size_t depth, const char *msg)
{
	struct found *f = vctx;

	if (f->count++)
		return; /* the first says enough; the others are counted */
	f->at = lf_xcalloc(depth + 1, sizeof(*f->at));
	for (size_t i = 0; i < depth; i++) {
		/* the path is the validator's, valid during the call only */
		f->at[i].key = path[i].key ? lf_xstrdup(path[i].key) : NULL;
		f->at[i].index = path[i].index;
	}
	f->depth = depth;
	path_text(&f->detail, f->at, depth);
	lf_buf_addf(&f->detail, "%s%s", depth ? ": " : "", msg);
}

static void found_release(struct found *f)
{
	for (size_t i = 0; f->at && i < f->depth; i++)
		free((char *)f->at[i].key);
	free(f->at);
	lf_buf_release(&f->detail);
}

struct violation {
	int deny;
	const struct lf_resource *policy;
	const char *rule;      /* "spec.rules[0]", "spec.max_nodes" */
	const char *address;   /* the violating resource */
	const char *message;   /* the rule's words, or NULL */
	const char *detail;    /* what is wrong */
	struct lf_pos at;      /* where it is written */
	struct lf_pos rule_at; /* where the rule is written */
};

static void report(const struct violation *v, json_t *out, struct lf_diags *d)
{
	struct lf_buf b = LF_BUF_INIT;

	lf_buf_addf(&b, "'%s' violates %s '%s' (%s at %s:%u:%u)", v->address,
	            is_kind(v->policy, "Policy") ? "policy" : "compute policy", v->policy->name,
	            v->rule, v->rule_at.file ? v->rule_at.file : "?", v->rule_at.line,
	            v->rule_at.col);
	if (v->message)
		lf_buf_addf(&b, ": %s", v->message);
	lf_buf_addf(&b, ": %s", v->detail);
	if (v->deny)
		lf_diag_error(d, &v->at, "%s", lf_buf_cstr(&b));
	else
		lf_diag_warning(d, &v->at, "%s", lf_buf_cstr(&b));
	lf_buf_release(&b);
	if (!out)
		return;
	json_t *o = json_object();
	json_object_set_new(o, "policy", json_string(v->policy->name));
	json_object_set_new(o, "kind", json_string(v->policy->kind->name));
	json_object_set_new(o, "rule", json_string(v->rule));
	json_object_set_new(o, "enforcement", json_string(v->deny ? "deny" : "warn"));
	json_object_set_new(o, "address", json_string(v->address));
	json_object_set_new(o, "message", v->message ? json_string(v->message) : json_null());
	json_object_set_new(o, "detail", json_string(v->detail));
	json_object_set_new(o, "file", v->at.file ? json_string(v->at.file) : json_null());
	json_object_set_new(o, "line", json_integer(v->at.line));
	json_object_set_new(o, "column", json_integer(v->at.col));
	json_object_set_new(o, "rule_file",
	                    v->rule_at.file ? json_string(v->rule_at.file) : json_null());
	json_object_set_new(o, "rule_line", json_integer(v->rule_at.line));
	json_object_set_new(o, "rule_column", json_integer(v->rule_at.col));
	json_array_append_new(out, o);
}

static struct lf_pos rule_pos(const struct lf_manifest *m, const struct lf_policy_rule *r)
{
	struct path p = {.n = 0};

	return pos_of(m, r->policy->doc, pidx(pkey(pkey(&p, "spec"), "rules"), r->index));
}

/*
 * Validate `inst` against rule `r`; on a failure, report it at the
 * failing field of `doc` (`at_doc`: the instance is the document itself)
 * or at `fallback`.
 */
static int check_rule(const struct lf_policy_rule *r, const struct lf_manifest *m,
                      const json_t *inst, const char *address, const struct lf_source_doc *doc,
                      int at_doc, const char *fallback, json_t *out, struct lf_diags *d)
{
	struct found f = {LF_BUF_INIT, NULL, 0, 0};

	if (!lf_schema_validate(r->schema, inst, on_error, &f))
		return 0;
	if (f.count > 1)
		lf_buf_addf(&f.detail, " (and %zu more)", f.count - 1);
	char rule[48];
	snprintf(rule, sizeof(rule), "spec.rules[%zu]", r->index);
	struct violation v = {r->deny,     r->policy,  rule,
	                      address,     r->message, lf_buf_cstr(&f.detail),
	                      LF_POS_INIT, LF_POS_INIT};
	if (doc && at_doc) {
		v.at = lf_source_pos(m->src, doc, f.at, f.depth, 0);
	} else if (doc) {
		/* the input's field where the document writes it, when it does;
		 * else the part the resource comes from, or what holds it */
		char *path = f.depth && f.at[0].key &&
		                     json_object_get(lf_json_path(doc->root, fallback), f.at[0].key)
		                 ? lf_xasprintf("%s.%s", fallback, f.at[0].key)
		                 : lf_xstrdup(fallback);
		v.at = lf_source_path_pos(m->src, doc, path, (size_t)-1);
		free(path);
	}
	v.rule_at = rule_pos(m, r);
	report(&v, out, d);
	found_release(&f);
	return r->deny;
}

/*
 * Where in its manifest document a provider resource comes from: a
 * workspace's storage, network or node pool, a metastore's root, the
 * account's default storage; its name otherwise.
 */
static const char *source_part(const struct lf_resource *parent, const char *type)
{
	static const struct {
		const char *kind, *type, *path;
	} parts[] = {
	    {"Workspace", "storage.bucket", "spec.storage"},
	    {"Workspace", "compute.network", "spec.network"},
	    {"Workspace", "compute.node_pool", "spec.node_pool"},
	    {"Metastore", "storage.bucket", "spec.storage_root"},
	    {"Account", "storage.bucket", "spec.default_storage"},
	};

	for (size_t i = 0; parent && i < sizeof(parts) / sizeof(*parts); i++)
		if (!strcmp(parent->kind->name, parts[i].kind) && !strcmp(type, parts[i].type) &&
		    lf_json_path(parent->value, parts[i].path))
			return parts[i].path;
	return "metadata.name";
}

static const json_t *labels_of(const struct lf_resource *r)
{
	return r ? lf_json_path(r->value, "metadata.labels") : NULL;
}

/* The compute policies attached to workspace `ws`. */
static int attached(const struct lf_resource *pol, const struct lf_resource *ws)
{
	json_t *names = lf_json_path(pol->value, "spec.workspaces"), *v;
	json_t *want = lf_json_path(pol->value, "spec.workspace_labels");
	size_t i;

	json_array_foreach (names, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), ws->name))
			return 1;
	return want && labels_match(want, labels_of(ws));
}

static size_t check_pool(const struct lf_resource *pol, const struct lf_manifest *m,
                         const struct lf_resource *ws, const struct lf_dres *pool, json_t *out,
                         struct lf_diags *d)
{
	static const struct {
		const char *limit, *input, *field, *what;
	} limits[] = {
	    {"max_nodes", "nodes", "spec.node_pool.nodes", "nodes"},
	    {"max_cpus", "cpus", "spec.node_pool.cpus", "CPUs per node"},
	    {"max_memory_mb", "memory_mb", "spec.node_pool.memory_mb", "MiB of memory per node"},
	};
	size_t errors = 0;
	char rule[48], detail[256];

	for (size_t i = 0; i < sizeof(limits) / sizeof(*limits); i++) {
		json_t *lim = lf_json_path(pol->value, "spec"), *have;
		lim = json_object_get(lim, limits[i].limit);
		have = json_object_get(pool->inputs, limits[i].input);
		if (!json_is_number(lim) || !json_is_number(have) ||
		    json_number_value(have) <= json_number_value(lim))
			continue;
		snprintf(rule, sizeof(rule), "spec.%s", limits[i].limit);
		snprintf(detail, sizeof(detail), "%s: %g %s is more than the %g allowed",
		         limits[i].field, json_number_value(have), limits[i].what,
		         json_number_value(lim));
		struct violation v = {1,    pol,    rule,        ws->address,
		                      NULL, detail, LF_POS_INIT, LF_POS_INIT};
		v.at = lf_source_path_pos(m->src, ws->doc, limits[i].field, (size_t)-1);
		v.rule_at = lf_source_path_pos(m->src, pol->doc, rule, (size_t)-1);
		report(&v, out, d);
		errors++;
	}
	json_t *images = lf_json_path(pol->value, "spec.images"), *im;
	const char *image = json_string_value(json_object_get(pool->inputs, "image"));
	size_t i;
	int ok = !images || !image;
	json_array_foreach (images, i, im)
		ok = ok || lf_glob_match(json_string_value(im), image);
	if (!ok) {
		snprintf(detail, sizeof(detail),
		         "spec.node_pool.image: '%.180s' is not an allowed image", image);
		struct violation v = {1,    pol,    "spec.images", ws->address,
		                      NULL, detail, LF_POS_INIT,   LF_POS_INIT};
		v.at = lf_source_path_pos(m->src, ws->doc, "spec.node_pool.image", (size_t)-1);
		v.rule_at = lf_source_path_pos(m->src, pol->doc, "spec.images", (size_t)-1);
		report(&v, out, d);
		errors++;
	}
	return errors;
}

/*
 * The search for violations, apart from their reporting: item i is manifest
 * resource i, or provider resource i - m->nres.  Validation only counts
 * here (no positions, no messages), on every core; what fails is then
 * validated again, on one thread, to be reported in order.
 */
struct scan {
	const struct lf_policies *p;
	const struct lf_manifest *m;
	const struct lf_desired *ds;
	unsigned char *fail; /* [item * nrules + rule] */
};

static void scan_one(void *arg, size_t i)
{
	struct scan *sc = arg;
	const struct lf_policies *p = sc->p;
	const char *kind, *name;
	const json_t *inst;
	const struct lf_resource *owner; /* whose labels */

	if (i < sc->m->nres) {
		owner = &sc->m->res[i];
		kind = owner->kind->name;
		name = owner->name;
		inst = owner->value;
	} else {
		const struct lf_dres *x = sc->ds->v[i - sc->m->nres];
		if (!x->parent)
			return; /* a manifest resource: checked as one */
		kind = x->type;
		name = x->name;
		inst = x->inputs;
		owner = NULL;
	}
	for (size_t r = 0; r < p->nrules; r++) {
		const struct lf_policy_rule *rule = &p->rules[r];
		if (!kind_and_name(rule, kind, name))
			continue;
		if (rule->labels) {
			if (!owner && i >= sc->m->nres)
				owner = lf_manifest_get(sc->m, sc->ds->v[i - sc->m->nres]->parent);
			if (!labels_match(rule->labels, labels_of(owner)))
				continue;
		}
		if (lf_schema_validate(rule->schema, inst, NULL, NULL))
			sc->fail[i * p->nrules + r] = 1;
	}
}

size_t lf_policies_check(const struct lf_policies *p, const struct lf_manifest *m,
                         const struct lf_desired *ds, json_t *violations, struct lf_diags *d)
{
	size_t errors = 0, on_types = 0;

	for (size_t r = 0; r < p->nrules; r++)
		on_types |= (size_t)p->rules[r].on_types;
	size_t items = m->nres + (ds && on_types ? ds->n : 0);
	struct scan sc = {p, m, ds, lf_xcalloc(items * p->nrules + 1, 1)};
	if (p->nrules)
		lf_par_for(items, scan_one, &sc);
	for (size_t r = 0; r < p->nrules; r++) {
		const struct lf_policy_rule *rule = &p->rules[r];
		for (size_t i = 0; i < items; i++) {
			if (!sc.fail[i * p->nrules + r])
				continue;
			if (i < m->nres) {
				const struct lf_resource *res = &m->res[i];
				errors += check_rule(rule, m, res->value, res->address, res->doc, 1,
				                     NULL, violations, d);
			} else {
				const struct lf_dres *x = ds->v[i - m->nres];
				const struct lf_resource *parent = lf_manifest_get(m, x->parent);
				errors += check_rule(rule, m, x->inputs, x->address,
				                     parent ? parent->doc : x->doc, 0,
				                     source_part(parent, x->type), violations, d);
			}
		}
	}
	free(sc.fail);
	for (size_t c = 0; ds && c < p->ncompute; c++) {
		for (size_t i = 0; i < ds->n; i++) {
			const struct lf_dres *x = ds->v[i];
			if (strcmp(x->type, "compute.node_pool") || !x->parent)
				continue;
			const struct lf_resource *ws = lf_manifest_get(m, x->parent);
			if (ws && is_kind(ws, "Workspace") && attached(p->compute[c], ws))
				errors += check_pool(p->compute[c], m, ws, x, violations, d);
		}
	}
	return errors;
}
