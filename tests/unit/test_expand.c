/*
 * Unit tests for src/core/expand.c: the examples, loaded through the real
 * loader (kinds from schemas/, manifests, checks), expanded into provider
 * resources.
 *
 * The schema directory is $LAKEFORM_SCHEMA_DIR, else schemas/ found from the
 * working directory (the Makefile runs unit tests from the repository root);
 * the examples are found next to it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/expand.h"
#include "core/jsonschema.h"
#include "core/manifest.h"
#include "core/source.h"
#include "state/state.h"
#include "util/buf.h"
#include "util/map.h"
#include "util/mem.h"
#include "fixture.h"

/* ---- finding the repository ------------------------------------------------ */

/* ---- a loaded, checked and expanded manifest set ---------------------------- */

struct world {
	struct lf_kinds kinds;
	struct lf_source src;
	struct lf_manifest m;
	struct lf_desired ds;
	struct lf_diags d;
};

/* Kinds and an empty source; then add documents with load_*. */
static void world_init(struct world *w)
{
	char *schemas = repo_path("schemas");

	memset(w, 0, sizeof(*w));
	if (lf_kinds_load(&w->kinds, schemas, &w->d) != 0)
		fail_with_diags(&w->d, "lf_kinds_load");
	free(schemas);
}

static void world_expand(struct world *w)
{
	if (lf_manifest_build(&w->m, &w->src, &w->kinds, &w->d) != 0)
		fail_with_diags(&w->d, "lf_manifest_build");
	if (lf_manifest_check(&w->m, &w->d) != 0)
		fail_with_diags(&w->d, "lf_manifest_check");
	if (lf_expand(&w->ds, &w->m, &w->d) != 0)
		fail_with_diags(&w->d, "lf_expand");
	assert_int_equal(w->d.errors, 0);
}

static void world_example(struct world *w, const char *name)
{
	char *rel = lf_xasprintf("examples/%s", name);
	char *dir = repo_path(rel);

	world_init(w);
	if (lf_source_load(&w->src, dir, &w->d) != 0)
		fail_with_diags(&w->d, "lf_source_load");
	free(dir);
	free(rel);
	world_expand(w);
}

static void world_yaml(struct world *w, const char *yaml)
{
	world_init(w);
	if (lf_source_load_buffer(&w->src, "test.yaml", yaml, strlen(yaml), &w->d) != 0)
		fail_with_diags(&w->d, "lf_source_load_buffer");
	world_expand(w);
}

static void world_release(struct world *w)
{
	lf_desired_release(&w->ds);
	lf_manifest_release(&w->m);
	lf_source_release(&w->src);
	lf_kinds_release(&w->kinds);
	lf_diags_release(&w->d);
}

/* ---- helpers ------------------------------------------------------------------- */

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);

	if (!v)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return v;
}

static void assert_json(const json_t *v, const char *text)
{
	json_t *want = J(text);
	char *got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!v || !json_equal(v, want))
		fail_msg("got  %s\nwant %s", got ? got : "(absent)", text);
	free(got);
	json_decref(want);
}

static struct lf_dres *get(const struct world *w, const char *address)
{
	struct lf_dres *r = lf_desired_get(&w->ds, address);

	if (!r)
		fail_msg("no desired resource '%s'", address);
	return r;
}

static int has_dep(const struct lf_dres *r, const char *address)
{
	for (size_t i = 0; i < r->ndeps; i++)
		if (!strcmp(r->deps[i], address))
			return 1;
	return 0;
}

/* `r` needs `address`, directly or through what it needs. */
static int needs(const struct lf_desired *ds, const struct lf_dres *r, const char *address,
                 struct lf_map *seen)
{
	if (has_dep(r, address))
		return 1;
	if (lf_map_get(seen, r->address))
		return 0;
	lf_map_put(seen, r->address, (void *)1);
	for (size_t i = 0; i < r->ndeps; i++) {
		const struct lf_dres *d = lf_desired_get(ds, r->deps[i]);
		if (d && needs(ds, d, address, seen))
			return 1;
	}
	return 0;
}

static int needs_at_all(const struct lf_desired *ds, const struct lf_dres *r, const char *address)
{
	struct lf_map seen = LF_MAP_INIT;
	int yes = needs(ds, r, address, &seen);

	lf_map_release(&seen);
	return yes;
}

static void assert_dep(const struct lf_dres *r, const char *address)
{
	if (!has_dep(r, address))
		fail_msg("'%s' does not depend on '%s'", r->address, address);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "address type" of every provider resource (not provider lakeform), sorted,
 * one per line. */
static char *provider_resources(const struct world *w)
{
	char **v = lf_xcalloc(w->ds.n + 1, sizeof(*v));
	size_t n = 0;
	struct lf_buf b = LF_BUF_INIT;

	for (size_t i = 0; i < w->ds.n; i++)
		if (strcmp(w->ds.v[i]->provider, "lakeform"))
			v[n++] = lf_xasprintf("%s %s", w->ds.v[i]->address, w->ds.v[i]->type);
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		lf_buf_addf(&b, "%s\n", v[i]);
		free(v[i]);
	}
	free(v);
	return lf_buf_detach(&b);
}

/* ---- quickstart: exactly these provider resources ----------------------------- */

static void test_quickstart_provider_resources(void **state)
{
	struct world w;
	(void)state;

	world_example(&w, "quickstart");
	char *got = provider_resources(&w);
	const char *want =
	    "compute.network/analytics compute.network\n"
	    "storage.bucket/acme-lakehouse-default storage.bucket\n"
	    "storage.policy/acme-lakehouse-default storage.policy\n"
	    "storage.prefix/acme-lakehouse-default/metastores/main-use1 storage.prefix\n"
	    "storage.prefix/acme-lakehouse-default/metastores/main-use1/catalogs/sales "
	    "storage.prefix\n"
	    "storage.prefix/acme-lakehouse-default/metastores/main-use1/catalogs/sales/"
	    "schemas/curated storage.prefix\n"
	    "storage.prefix/acme-lakehouse-default/metastores/main-use1/catalogs/sales/"
	    "schemas/raw storage.prefix\n"
	    "storage.prefix/acme-lakehouse-default/workspaces/analytics storage.prefix\n"
	    "storage.prefix/acme-lakehouse-default/workspaces/analytics/catalogs/analytics "
	    "storage.prefix\n"
	    "storage.prefix/acme-lakehouse-default/workspaces/analytics/catalogs/analytics/"
	    "schemas/default storage.prefix\n";
	if (strcmp(got, want))
		fail_msg("got:\n%s\nwant:\n%s", got, want);
	free(got);

	/* a serverless workspace: no bucket, no node pool of its own */
	assert_null(lf_desired_get(&w.ds, "compute.node_pool/analytics"));
	assert_null(lf_desired_get(&w.ds, "storage.bucket/analytics"));
	/* 17 documents, the workspace catalog, its schema and 3 grants */
	size_t manifest_level = 0;
	for (size_t i = 0; i < w.ds.n; i++)
		manifest_level += !strcmp(w.ds.v[i]->provider, "lakeform");
	assert_int_equal(manifest_level, 22);
	assert_int_equal(w.ds.n, 32);
	assert_string_equal(w.ds.account, "acme");
	world_release(&w);
}

/* Every document is a desired resource of provider lakeform at its address,
 * with its metadata and spec as inputs. */
static void test_quickstart_manifest_level(void **state)
{
	struct world w;
	(void)state;

	world_example(&w, "quickstart");
	for (size_t i = 0; i < w.m.nres; i++) {
		const struct lf_resource *res = &w.m.res[i];
		struct lf_dres *r = get(&w, res->address);

		assert_string_equal(r->provider, "lakeform");
		assert_null(r->parent);
		assert_int_equal(r->implicit, 0);
		assert_ptr_equal(r->kind, res->kind);
		assert_ptr_equal(r->doc, res->doc);
		assert_true(json_equal(json_object_get(r->inputs, "spec"),
		                       json_object_get(res->value, "spec")) ||
		            !json_object_get(res->value, "spec"));
		assert_true(json_equal(json_object_get(r->inputs, "metadata"),
		                       json_object_get(res->value, "metadata")));
	}
	struct lf_dres *ms = get(&w, "metastore/main-use1");
	assert_int_equal(ms->prevent_destroy, 1);
	assert_dep(ms, "group/engineers"); /* its owner */
	assert_int_equal(get(&w, "workspace/analytics")->prevent_destroy, 0);
	assert_dep(get(&w, "schema/main-use1/sales/raw"), "catalog/main-use1/sales");
	assert_dep(get(&w, "schema/main-use1/sales/raw"), "serviceprincipal/etl-bot");
	assert_dep(get(&w, "grant/analysts-read-curated"), "schema/main-use1/sales/curated");
	assert_dep(get(&w, "grant/analysts-read-curated"), "group/analysts");
	assert_dep(get(&w, "grant/engineers-create-catalog"), "metastore/main-use1");
	assert_dep(get(&w, "workspace/analytics"), "metastore/main-use1");
	assert_dep(get(&w, "workspace/analytics"), "user/carol@acme.com");
	assert_dep(get(&w, "group/analysts"), "user/alice@acme.com");
	world_release(&w);
}

/* ---- invariants on every example -------------------------------------------------- */

struct collect {
	struct lf_buf msgs;
	size_t n;
};

static void on_error(void *ctx, const struct lf_jpath_seg *path, size_t depth, const char *msg)
{
	struct collect *c = ctx;

	c->n++;
	lf_buf_adds(&c->msgs, "   ");
	for (size_t i = 0; i < depth; i++) {
		if (path[i].key)
			lf_buf_addf(&c->msgs, ".%s", path[i].key);
		else
			lf_buf_addf(&c->msgs, "[%zu]", path[i].index);
	}
	lf_buf_addf(&c->msgs, ": %s\n", msg);
}

/* The storage.prefix that is a part of `address`, or NULL. */
static const struct lf_dres *own_prefix(const struct lf_desired *ds, const char *address)
{
	for (size_t i = 0; i < ds->n; i++)
		if (!strcmp(ds->v[i]->type, "storage.prefix") && ds->v[i]->parent &&
		    !strcmp(ds->v[i]->parent, address))
			return ds->v[i];
	return NULL;
}

static void check_invariants(const char *example)
{
	struct world w;
	struct collect c = {LF_BUF_INIT, 0};
	struct lf_buf bad = LF_BUF_INIT;

	world_example(&w, example);
	assert_true(w.ds.n > 0);
	for (size_t i = 0; i < w.ds.n; i++) {
		const struct lf_dres *r = w.ds.v[i];
		char digest[65];
		char *addr = lf_xasprintf("%s/%s", r->type, r->name);

		/* address, type and name agree; the index finds it */
		assert_string_equal(r->address, addr);
		free(addr);
		assert_ptr_equal(lf_desired_get(&w.ds, r->address), r);
		/* the digest is of the inputs */
		lf_json_digest(r->inputs, digest);
		assert_string_equal(r->digest, digest);
		assert_non_null(r->kind);
		assert_non_null(r->doc);
		/* every dependency is declared, and none is itself */
		for (size_t j = 0; j < r->ndeps; j++) {
			if (!lf_desired_get(&w.ds, r->deps[j]))
				lf_buf_addf(&bad, "%s: dependency '%s' is not declared\n",
				            r->address, r->deps[j]);
			if (!strcmp(r->deps[j], r->address))
				lf_buf_addf(&bad, "%s depends on itself\n", r->address);
		}
		if (r->parent) {
			/* a part needs its manifest resource (a provider
			 * resource directly; the workspace catalog's schema and
			 * grants through the catalog) */
			const struct lf_dres *p = lf_desired_get(&w.ds, r->parent);
			if (!p)
				lf_buf_addf(&bad, "%s: parent '%s' is not declared\n", r->address,
				            r->parent);
			else if (strcmp(p->provider, "lakeform"))
				lf_buf_addf(&bad, "%s: parent '%s' is not a manifest resource\n",
				            r->address, r->parent);
			/* ... except what the parent is built from (its bucket,
			 * its network, its storage root): the parent needs that */
			int foundation = !strcmp(r->type, "storage.bucket") ||
			                 !strcmp(r->type, "storage.prefix") ||
			                 !strcmp(r->type, "compute.network");
			if (foundation && p && !has_dep(p, r->address))
				lf_buf_addf(&bad, "%s does not depend on its foundation '%s'\n",
				            r->parent, r->address);
			else if (foundation && has_dep(r, r->parent))
				lf_buf_addf(&bad, "%s depends on its parent '%s'\n", r->address,
				            r->parent);
			else if (!foundation && (strcmp(r->provider, "lakeform")
			                             ? !has_dep(r, r->parent)
			                             : !needs_at_all(&w.ds, r, r->parent)))
				lf_buf_addf(&bad, "%s does not depend on its parent '%s'\n",
				            r->address, r->parent);
			/* what a protected resource expands to is protected
			 * (the workspace catalog's grants: see test_workspace_catalog) */
			if (p && strcmp(r->type, "grant") &&
			    r->prevent_destroy != p->prevent_destroy)
				lf_buf_addf(&bad, "%s: prevent_destroy %d, its parent's %d\n",
				            r->address, r->prevent_destroy, p->prevent_destroy);
		}
		if (!strcmp(r->provider, "lakeform")) {
			assert_int_equal(r->kind->is_type, 0);
			assert_string_equal(r->type, r->kind->lower);
			/* a catalog, schema or volume has a managed location
			 * of its own */
			if ((!strcmp(r->type, "catalog") || !strcmp(r->type, "schema") ||
			     !strcmp(r->type, "volume")) &&
			    !lf_json_path(r->inputs, "spec.storage_location") &&
			    !own_prefix(&w.ds, r->address))
				lf_buf_addf(&bad, "%s has no storage.prefix of its own\n",
				            r->address);
			continue;
		}
		/* a provider resource: of a type, made by expansion, with a parent */
		assert_int_equal(r->kind->is_type, 1);
		assert_string_equal(r->kind->name, r->type);
		assert_string_equal(r->provider, r->kind->family);
		assert_int_equal(r->implicit, 1);
		if (!r->parent)
			lf_buf_addf(&bad, "%s has no parent\n", r->address);
		/* its inputs are valid for its type's schema */
		struct lf_schema *s = NULL;
		char *err = NULL;
		if (lf_schema_compile(&s, r->kind->schema, &err) != 0)
			fail_msg("schema of '%s' does not compile: %s", r->type, err);
		size_t before = c.n;
		lf_schema_validate(s, r->inputs, on_error, &c);
		if (c.n > before) {
			char *in = json_dumps(r->inputs, JSON_COMPACT | JSON_SORT_KEYS);
			lf_buf_addf(&bad, "%s: inputs %s do not validate:\n%s", r->address, in,
			            lf_buf_cstr(&c.msgs));
			free(in);
			lf_buf_truncate(&c.msgs, 0);
		}
		lf_schema_free(s);
		/* ownership labels: the account and the address */
		json_t *labels = json_object_get(r->inputs, "labels");
		assert_string_equal(json_string_value(json_object_get(labels, "lakeform/account")),
		                    w.ds.account);
		assert_string_equal(json_string_value(json_object_get(labels, "lakeform/address")),
		                    r->address);
		/* what a provider resource needs first */
		const char *bucket = json_string_value(json_object_get(r->inputs, "bucket"));
		if (bucket) {
			char *b = lf_xasprintf("storage.bucket/%s", bucket);
			if (!has_dep(r, b))
				lf_buf_addf(&bad, "%s does not depend on '%s'\n", r->address, b);
			free(b);
		}
		if (!strcmp(r->type, "compute.node_pool")) {
			char *n =
			    lf_xasprintf("compute.network/%s",
			                 json_string_value(json_object_get(r->inputs, "network")));
			if (!has_dep(r, n))
				lf_buf_addf(&bad, "%s does not depend on '%s'\n", r->address, n);
			free(n);
		}
		if (!strcmp(r->type, "storage.prefix") || !strcmp(r->type, "storage.policy")) {
			/* what it lives in is declared */
			char *b = lf_xasprintf("storage.bucket/%s", bucket);
			if (!lf_desired_get(&w.ds, b))
				lf_buf_addf(&bad, "%s: bucket '%s' is not declared\n", r->address,
				            b);
			free(b);
		}
	}
	if (bad.len)
		fail_msg("%s:\n%s", example, lf_buf_cstr(&bad));
	lf_buf_release(&bad);
	lf_buf_release(&c.msgs);
	world_release(&w);
}

static void test_invariants_quickstart(void **state)
{
	(void)state;
	check_invariants("quickstart");
}

static void test_invariants_multi_region(void **state)
{
	(void)state;
	check_invariants("multi-region");
}

static void test_invariants_classic(void **state)
{
	(void)state;
	check_invariants("classic");
}

/* ---- the workspace catalog ----------------------------------------------------------- */

static void test_workspace_catalog(void **state)
{
	struct world w;
	(void)state;

	world_example(&w, "quickstart");
	struct lf_dres *cat = get(&w, "catalog/main-use1/analytics");
	assert_string_equal(cat->provider, "lakeform");
	assert_string_equal(cat->parent, "workspace/analytics");
	assert_int_equal(cat->implicit, 1);
	assert_string_equal(cat->kind->name, "Catalog");
	assert_dep(cat, "workspace/analytics");
	assert_dep(cat, "metastore/main-use1");
	/* the workspace's admins own it */
	assert_json(cat->inputs,
	            "{\"metadata\": {\"name\": \"analytics\"}, \"spec\": "
	            "{\"metastore\": \"main-use1\", \"comment\": \"workspace catalog\", "
	            "\"owners\": [\"user:carol@acme.com\"]}}");

	struct lf_dres *sch = get(&w, "schema/main-use1/analytics/default");
	assert_string_equal(sch->parent, "workspace/analytics");
	assert_int_equal(sch->implicit, 1);
	assert_string_equal(sch->kind->name, "Schema");
	assert_dep(sch, "catalog/main-use1/analytics");
	assert_json(sch->inputs, "{\"metadata\": {\"name\": \"default\"}, \"spec\": "
	                         "{\"metastore\": \"main-use1\", \"catalog\": \"analytics\"}}");

	/* stored in the workspace's storage: a prefix each */
	struct lf_dres *cp = get(&w, "storage.prefix/acme-lakehouse-default/workspaces/"
	                             "analytics/catalogs/analytics");
	assert_string_equal(cp->parent, "catalog/main-use1/analytics");
	assert_string_equal(json_string_value(json_object_get(cp->inputs, "path")),
	                    "workspaces/analytics/catalogs/analytics/");
	assert_string_equal(json_string_value(json_object_get(cp->inputs, "purpose")), "catalog");
	struct lf_dres *sp = get(&w, "storage.prefix/acme-lakehouse-default/workspaces/"
	                             "analytics/catalogs/analytics/schemas/default");
	assert_string_equal(sp->parent, "schema/main-use1/analytics/default");
	assert_string_equal(json_string_value(json_object_get(sp->inputs, "path")),
	                    "workspaces/analytics/catalogs/analytics/schemas/default/");

	/* one grant per user and admin: use the catalog, create in 'default' */
	static const char *const who[] = {"group:analysts", "group:engineers",
	                                  "user:carol@acme.com"};
	static const char *const addr[] = {"group/analysts", "group/engineers",
	                                   "user/carol@acme.com"};
	for (size_t i = 0; i < 3; i++) {
		char *a = lf_xasprintf("grant/workspace:analytics:%s", who[i]);
		struct lf_dres *g = get(&w, a);
		assert_string_equal(g->parent, "workspace/analytics");
		assert_int_equal(g->implicit, 1);
		assert_dep(g, "catalog/main-use1/analytics");
		assert_dep(g, "schema/main-use1/analytics/default");
		assert_dep(g, addr[i]);
		assert_string_equal(json_string_value(lf_json_path(g->inputs, "spec.principal")),
		                    who[i]);
		char *sec = json_dumps(lf_json_path(g->inputs, "spec.securables"),
		                       JSON_COMPACT | JSON_SORT_KEYS);
		assert_non_null(strstr(sec, "\"USE_CATALOG\""));
		assert_non_null(strstr(sec, "\"USE_SCHEMA\""));
		assert_non_null(strstr(sec, "\"CREATE_TABLE\""));
		assert_non_null(strstr(sec, "\"CREATE_VOLUME\""));
		/* creating is not reading or changing what others made */
		assert_null(strstr(sec, "\"SELECT\""));
		assert_null(strstr(sec, "\"MODIFY\""));
		assert_null(strstr(sec, "\"READ_VOLUME\""));
		assert_null(strstr(sec, "\"WRITE_VOLUME\""));
		free(sec);
		free(a);
	}
	/* nobody else */
	size_t grants = 0;
	for (size_t i = 0; i < w.ds.n; i++)
		grants += !strncmp(w.ds.v[i]->address, "grant/workspace:", 16);
	assert_int_equal(grants, 3);
	world_release(&w);
}

/* workspace_catalog: false, and a workspace with a bucket of its own */
static void test_workspace_catalog_off_and_own_bucket(void **state)
{
	struct world w;
	(void)state;

	world_example(&w, "multi-region");
	assert_null(lf_desired_get(&w.ds, "catalog/main-use1/ingest_us"));
	assert_null(lf_desired_get(&w.ds, "schema/main-use1/ingest_us/default"));
	assert_null(lf_desired_get(&w.ds, "catalog/main-euw1/ingest_eu"));
	/* hyphens become underscores; a serverless workspace in eu-west-1
	 * without a bucket keeps its data in the default storage of its region,
	 * globex-default-use1-eu-west-1, a part of the account */
	get(&w, "catalog/main-euw1/analytics_eu");
	struct lf_dres *p = get(&w, "storage.prefix/globex-default-use1-eu-west-1/workspaces/"
	                            "analytics-eu/catalogs/analytics_eu");
	assert_dep(p, "storage.bucket/globex-default-use1-eu-west-1");
	p = get(&w, "storage.prefix/globex-default-use1-eu-west-1/workspaces/analytics-eu");
	assert_string_equal(p->parent, "workspace/analytics-eu");
	struct lf_dres *b = get(&w, "storage.bucket/globex-default-use1-eu-west-1");
	assert_string_equal(b->parent, "account/globex");
	assert_dep(get(&w, "account/globex"), "storage.bucket/globex-default-use1-eu-west-1");
	assert_string_equal(json_string_value(json_object_get(b->inputs, "region")), "eu-west-1");
	assert_string_equal(json_string_value(json_object_get(b->inputs, "purpose")),
	                    "default-storage");
	/* the default storage's versioning and force_destroy go with it */
	assert_false(json_is_true(json_object_get(b->inputs, "force_destroy")));
	assert_null(
	    lf_desired_get(&w.ds, "storage.prefix/globex-default-use1/workspaces/analytics-eu"));
	/* the us-east-1 one stays in the account's bucket */
	get(&w, "storage.prefix/globex-default-use1/workspaces/analytics-us");
	/* the metastore with a bucket of its own: the bucket, its root is the bucket */
	b = get(&w, "storage.bucket/globex-uc-euw1");
	assert_string_equal(b->parent, "metastore/main-euw1");
	assert_string_equal(json_string_value(json_object_get(b->inputs, "purpose")), "metastore");
	assert_string_equal(json_string_value(json_object_get(b->inputs, "region")), "eu-west-1");
	get(&w, "storage.prefix/globex-uc-euw1/catalogs/main/schemas/landing/volumes/dropzone");
	/* its protection reaches what it expands to */
	assert_int_equal(b->prevent_destroy, 1);
	world_release(&w);
}

/* ---- classic workspaces ---------------------------------------------------------------- */

static void test_classic_workspace(void **state)
{
	struct world w;
	(void)state;

	world_example(&w, "classic");
	/* staging has no node_pool: the schema's defaults */
	struct lf_dres *b = get(&w, "storage.bucket/initech-ws-staging");
	assert_string_equal(b->parent, "workspace/staging");
	assert_string_equal(b->provider, "storage");
	assert_json(b->inputs, "{\"name\": \"initech-ws-staging\", \"region\": \"us-west-2\", "
	                       "\"purpose\": \"workspace\", \"force_destroy\": false, \"labels\": "
	                       "{\"lakeform/account\": \"initech\", \"lakeform/address\": "
	                       "\"storage.bucket/initech-ws-staging\"}, \"tags\": {\"stage\": "
	                       "\"staging\"}, \"encryption\": {\"algorithm\": \"AES256\"}}");
	struct lf_dres *n = get(&w, "compute.network/staging");
	assert_string_equal(n->provider, "compute");
	assert_json(n->inputs, "{\"name\": \"staging\", \"region\": \"us-west-2\", \"plane\": "
	                       "\"classic\", \"internal\": false, \"cidr\": \"10.30.16.0/20\", "
	                       "\"labels\": {\"lakeform/account\": \"initech\", "
	                       "\"lakeform/address\": \"compute.network/staging\"}, \"tags\": "
	                       "{\"stage\": \"staging\"}}");
	struct lf_dres *np = get(&w, "compute.node_pool/staging");
	assert_string_equal(np->provider, "compute");
	assert_string_equal(np->parent, "workspace/staging");
	assert_dep(np, "compute.network/staging");
	assert_dep(np, "workspace/staging");
	assert_json(np->inputs,
	            "{\"name\": \"staging\", \"network\": \"staging\", \"nodes\": 2, "
	            "\"cpus\": 1, \"memory_mb\": 1024, \"image\": "
	            "\"localhost/lakeform-node:1\", \"labels\": {\"lakeform/account\": "
	            "\"initech\", \"lakeform/address\": \"compute.node_pool/staging\"}, \"tags\": "
	            "{\"stage\": \"staging\"}}");
	/* dev gives some fields: the image is the default */
	np = get(&w, "compute.node_pool/dev");
	assert_int_equal(json_integer_value(json_object_get(np->inputs, "nodes")), 1);
	assert_true(json_number_value(json_object_get(np->inputs, "cpus")) == 0.5);
	assert_int_equal(json_integer_value(json_object_get(np->inputs, "memory_mb")), 512);
	assert_string_equal(json_string_value(json_object_get(np->inputs, "image")),
	                    "localhost/lakeform-node:1");
	/* a classic workspace keeps nothing in the default storage */
	assert_null(
	    lf_desired_get(&w.ds, "storage.prefix/initech-default-usw2/workspaces/staging"));
	/* prod is protected, and so is all it expands to */
	assert_int_equal(get(&w, "workspace/prod")->prevent_destroy, 1);
	assert_int_equal(get(&w, "storage.bucket/initech-ws-prod")->prevent_destroy, 1);
	assert_int_equal(get(&w, "compute.node_pool/prod")->prevent_destroy, 1);
	assert_int_equal(get(&w, "catalog/main-usw2/prod")->prevent_destroy, 1);
	assert_int_equal(get(&w, "compute.node_pool/dev")->prevent_destroy, 0);
	world_release(&w);

	/* a serverless workspace: an internal network in the serverless plane */
	world_example(&w, "quickstart");
	n = get(&w, "compute.network/analytics");
	assert_json(n->inputs, "{\"name\": \"analytics\", \"region\": \"us-east-1\", \"plane\": "
	                       "\"serverless\", \"internal\": true, \"labels\": "
	                       "{\"lakeform/account\": \"acme\", \"lakeform/address\": "
	                       "\"compute.network/analytics\"}, \"tags\": {\"owner\": "
	                       "\"platform-team\", \"cost-center\": \"4711\"}}");
	world_release(&w);
}

/* ---- tags ------------------------------------------------------------------------------ */

static void assert_tags(const struct world *w, const char *address, const char *want)
{
	assert_json(json_object_get(get(w, address)->inputs, "tags"), want);
}

static void test_tags(void **state)
{
	struct world w;
	(void)state;

	/* the account's tags on what it expands to, a workspace's over them on
	 * what the workspace expands to; none on a policy */
	world_example(&w, "quickstart");
	assert_tags(&w, "storage.bucket/acme-lakehouse-default", "{\"owner\": \"platform-team\"}");
	assert_tags(&w, "storage.prefix/acme-lakehouse-default/metastores/main-use1",
	            "{\"owner\": \"platform-team\"}");
	assert_tags(&w, "storage.prefix/acme-lakehouse-default/metastores/main-use1/catalogs/sales",
	            "{\"owner\": \"platform-team\"}");
	const char *ws = "{\"owner\": \"platform-team\", \"cost-center\": \"4711\"}";
	assert_tags(&w, "storage.prefix/acme-lakehouse-default/workspaces/analytics", ws);
	assert_tags(&w, "compute.network/analytics", ws);
	assert_tags(&w,
	            "storage.prefix/acme-lakehouse-default/workspaces/analytics/catalogs/analytics",
	            ws);
	assert_tags(&w,
	            "storage.prefix/acme-lakehouse-default/workspaces/analytics/catalogs/analytics/"
	            "schemas/default",
	            ws);
	assert_null(
	    json_object_get(get(&w, "storage.policy/acme-lakehouse-default")->inputs, "tags"));
	/* the manifest-level resources keep spec.tags where the manifest has it */
	assert_null(json_object_get(get(&w, "metastore/main-use1")->inputs, "tags"));
	world_release(&w);

	/* no tags: no 'tags' input at all (so plans without tags do not change) */
	world_example(&w, "s3");
	assert_null(json_object_get(get(&w, "storage.bucket/acme-lf-default")->inputs, "tags"));
	assert_null(json_object_get(get(&w, "compute.network/etl")->inputs, "tags"));
	world_release(&w);

	/* multi-region: the account says company, ingest-us adds workload (a
	 * key in both takes the workspace's value: tests/cli/plan-tags) */
	world_example(&w, "multi-region");
	assert_tags(&w, "compute.node_pool/ingest-us",
	            "{\"company\": \"globex\", \"workload\": \"ingestion\"}");
	/* the regional default storage is the account's: its tags only */
	assert_tags(&w, "storage.bucket/globex-default-use1-eu-west-1",
	            "{\"company\": \"globex\"}");
	world_release(&w);
}

/* ---- storage policies from grants ---------------------------------------------------------- */

/* The statements of a policy, one "access path principal" per line. */
static char *statements(const struct world *w, const char *bucket)
{
	char *a = lf_xasprintf("storage.policy/%s", bucket);
	struct lf_dres *p = lf_desired_get(&w->ds, a);
	struct lf_buf b = LF_BUF_INIT;
	size_t i;
	json_t *s;

	free(a);
	if (!p)
		return lf_xstrdup("(no policy)\n");
	assert_string_equal(json_string_value(json_object_get(p->inputs, "bucket")), bucket);
	json_array_foreach (json_object_get(p->inputs, "statements"), i, s)
		lf_buf_addf(&b, "%s %s %s\n", json_string_value(json_object_get(s, "access")),
		            json_string_value(json_object_get(s, "path")),
		            json_string_value(json_object_get(s, "principal")));
	return lf_buf_detach(&b);
}

static void assert_statements(const struct world *w, const char *bucket, const char *want)
{
	char *got = statements(w, bucket);

	if (strcmp(got, want))
		fail_msg("policy of '%s':\ngot:\n%s\nwant:\n%s", bucket, got, want);
	free(got);
}

static void test_policy_quickstart(void **state)
{
	struct world w;
	(void)state;

	world_example(&w, "quickstart");
	/* SELECT reads, MODIFY and CREATE_TABLE write; USE_* and the
	 * metastore's CREATE_CATALOG give no statement.  Owners hold every
	 * privilege: engineers own sales and curated, etl-bot owns raw.  In
	 * the workspace catalog, users may create in 'default' (write) but
	 * not read what others made; carol, an admin, owns the catalog.  A
	 * write covers the read of its path and everything below it, for the
	 * same principal */
	assert_statements(
	    &w, "acme-lakehouse-default",
	    "write metastores/main-use1/catalogs/sales/ group:engineers\n"
	    "read metastores/main-use1/catalogs/sales/schemas/curated/ group:analysts\n"
	    "write metastores/main-use1/catalogs/sales/schemas/raw/ service_principal:etl-bot\n"
	    "write workspaces/analytics/catalogs/analytics/ user:carol@acme.com\n"
	    "write workspaces/analytics/catalogs/analytics/schemas/default/ "
	    "group:analysts\n"
	    "write workspaces/analytics/catalogs/analytics/schemas/default/ "
	    "group:engineers\n");
	struct lf_dres *p = get(&w, "storage.policy/acme-lakehouse-default");
	assert_string_equal(p->parent, "account/acme");
	assert_dep(p, "storage.bucket/acme-lakehouse-default");
	assert_dep(p, "group/analysts");
	assert_dep(p, "group/engineers");
	assert_dep(p, "user/carol@acme.com");
	assert_dep(p, "serviceprincipal/etl-bot");
	world_release(&w);
}

static void test_policy_classic(void **state)
{
	struct world w;
	(void)state;

	world_example(&w, "classic");
	/* ALL_PRIVILEGES reads and writes; the metastore has a bucket of its
	 * own, so the catalog lives at its root */
	assert_statements(&w, "initech-uc-usw2",
	                  "read catalogs/reports/ group:developers\n"
	                  "write catalogs/reports/ group:operators\n");
	/* READ_FILES and WRITE_FILES on a bucket: the whole bucket */
	assert_statements(&w, "initech-ws-prod",
	                  "write  service_principal:deploy-bot\n"
	                  "write catalogs/prod/ user:joanna@initech.example\n"
	                  "write catalogs/prod/schemas/default/ group:operators\n");
	assert_statements(&w, "initech-default-usw2", "(no policy)\n");
	world_release(&w);
}

static void test_policy_multi_region(void **state)
{
	struct world w;
	(void)state;

	world_example(&w, "multi-region");
	/* a SELECT on a table: its managed location; the owners of main and
	 * of main.sales, and the admins of analytics-us (who own its catalog):
	 * everything */
	assert_statements(&w, "globex-default-use1",
	                  "write metastores/main-use1/catalogs/main/ group:data-platform\n"
	                  "write metastores/main-use1/catalogs/main/schemas/sales/ "
	                  "service_principal:ingest-us\n"
	                  "read metastores/main-use1/catalogs/main/schemas/sales/tables/orders/ "
	                  "group:analysts-us\n"
	                  "write workspaces/analytics-us/catalogs/analytics_us/ "
	                  "group:data-platform\n"
	                  "write workspaces/analytics-us/catalogs/analytics_us/schemas/default/ "
	                  "group:analysts-us\n");
	/* ingest-eu owns main.sales and main.landing: its grant on the
	 * dropzone volume below is covered; USE_CATALOG on main and the
	 * metastore grants give nothing; data-platform owns main */
	assert_statements(&w, "globex-uc-euw1",
	                  "write catalogs/main/ group:data-platform\n"
	                  "write catalogs/main/schemas/landing/ service_principal:ingest-eu\n"
	                  "read catalogs/main/schemas/sales/ group:analysts-eu\n"
	                  "write catalogs/main/schemas/sales/ service_principal:ingest-eu\n");
	char *got;
	/* its files grant is on its own workspace's bucket, not the metastore's
	 * root (which Unity Catalog forbids): the whole bucket */
	got = statements(&w, "globex-ws-ingest-euw1");
	assert_non_null(strstr(got, "write  service_principal:ingest-eu\n"));
	free(got);
	world_release(&w);
}

static const char *const INHERIT_BASE =
    "apiVersion: lakeform/v1\n"
    "kind: Account\n"
    "metadata: {name: acme}\n"
    "spec:\n"
    "  default_storage: {bucket: acme-default, region: us-east-1}\n"
    "---\n"
    "apiVersion: lakeform/v1\n"
    "kind: User\n"
    "metadata: {name: alice@acme.com}\n"
    "---\n"
    "apiVersion: lakeform/v1\n"
    "kind: Group\n"
    "metadata: {name: analysts}\n"
    "spec: {members: ['user:alice@acme.com']}\n"
    "---\n"
    "apiVersion: lakeform/v1\n"
    "kind: Metastore\n"
    "metadata: {name: main-use1}\n"
    "spec: {region: us-east-1}\n"
    "---\n"
    "apiVersion: lakeform/v1\n"
    "kind: Workspace\n"
    "metadata: {name: etl}\n"
    "spec:\n"
    "  region: us-east-1\n"
    "  compute: classic\n"
    "  metastore: main-use1\n"
    "  workspace_catalog: false\n"
    "  storage: {bucket: acme-ws-etl}\n"
    "  network: {cidr: 10.0.0.0/16}\n"
    "---\n"
    "apiVersion: lakeform/v1\n"
    "kind: Catalog\n"
    "metadata: {name: sales}\n"
    "spec: {metastore: main-use1}\n"
    "---\n"
    "apiVersion: lakeform/v1\n"
    "kind: Schema\n"
    "metadata: {name: raw}\n"
    "spec: {metastore: main-use1, catalog: sales}\n"
    "---\n"
    "apiVersion: lakeform/v1\n"
    "kind: Schema\n"
    "metadata: {name: ext}\n"
    "spec:\n"
    "  metastore: main-use1\n"
    "  catalog: sales\n"
    "  storage_root: {bucket: acme-ws-etl}\n"
    "---\n"
    "apiVersion: lakeform/v1\n"
    "kind: Volume\n"
    "metadata: {name: files}\n"
    "spec: {metastore: main-use1, catalog: sales, schema: ext}\n";

/* Unity Catalog inheritance: a SELECT on the catalog covers what is below
 * it; a schema stored in another bucket needs a statement of its own. */
static void test_policy_inheritance(void **state)
{
	struct world w;
	(void)state;

	char *yaml =
	    lf_xasprintf("%s---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Grant\n"
	                 "metadata: {name: analysts-read-sales}\n"
	                 "spec:\n"
	                 "  principal: group:analysts\n"
	                 "  securable: {type: catalog, metastore: main-use1, name: sales}\n"
	                 "  privileges: [USE_CATALOG, USE_SCHEMA, SELECT]\n"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Grant\n"
	                 "metadata: {name: alice-metastore}\n"
	                 "spec:\n"
	                 "  principal: user:alice@acme.com\n"
	                 "  securable: {type: metastore, name: main-use1}\n"
	                 "  privileges: [CREATE_CATALOG, CREATE_EXTERNAL_LOCATION]\n",
	                 INHERIT_BASE);
	world_yaml(&w, yaml);
	free(yaml);
	/* raw lies under the catalog's location: covered, no statement */
	assert_statements(&w, "acme-default",
	                  "read metastores/main-use1/catalogs/sales/ group:analysts\n");
	/* ext (and its volume) in the workspace bucket: one statement there */
	assert_statements(&w, "acme-ws-etl", "read schemas/ext/ group:analysts\n");
	struct lf_dres *p = get(&w, "storage.policy/acme-ws-etl");
	assert_string_equal(p->parent, "workspace/etl");
	assert_dep(p, "storage.bucket/acme-ws-etl");
	assert_dep(p, "group/analysts");
	get(&w, "storage.prefix/acme-ws-etl/schemas/ext");
	get(&w, "storage.prefix/acme-ws-etl/schemas/ext/volumes/files");
	get(&w, "storage.prefix/acme-default/metastores/main-use1/catalogs/sales/schemas/raw");
	/* the metastore grant touches no storage, and no user statement */
	assert_dep(get(&w, "grant/alice-metastore"), "metastore/main-use1");
	world_release(&w);
}

/* Inheritance two levels down: a table or volume stored elsewhere under a
 * schema that lies inside its catalog still gets its statement from a grant
 * on the catalog, for each of several grants on it (what a walk of the
 * catalog found is kept from one grant to the next), and from a grant on
 * the schema. */
static void test_policy_inheritance_deep(void **state)
{
	struct world w;
	(void)state;

	char *yaml =
	    lf_xasprintf("%s---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Table\n"
	                 "metadata: {name: outside}\n"
	                 "spec:\n"
	                 "  metastore: main-use1\n"
	                 "  catalog: sales\n"
	                 "  schema: raw\n"
	                 "  table_type: EXTERNAL\n"
	                 "  storage_location: s3://acme-ws-etl/landing/outside\n"
	                 "  columns: [{name: id, type: BIGINT}]\n"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Table\n"
	                 "metadata: {name: inside}\n"
	                 "spec:\n"
	                 "  metastore: main-use1\n"
	                 "  catalog: sales\n"
	                 "  schema: raw\n"
	                 "  columns: [{name: id, type: BIGINT}]\n"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Catalog\n"
	                 "metadata: {name: plain}\n"
	                 "spec: {metastore: main-use1}\n"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Schema\n"
	                 "metadata: {name: inner}\n"
	                 "spec: {metastore: main-use1, catalog: plain}\n"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Volume\n"
	                 "metadata: {name: away}\n"
	                 "spec:\n"
	                 "  metastore: main-use1\n"
	                 "  catalog: plain\n"
	                 "  schema: inner\n"
	                 "  volume_type: EXTERNAL\n"
	                 "  storage_location: s3://acme-ws-etl/landing/away\n"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Grant\n"
	                 "metadata: {name: analysts-plain}\n"
	                 "spec:\n"
	                 "  principal: group:analysts\n"
	                 "  securable: {type: catalog, metastore: main-use1, name: plain}\n"
	                 "  privileges: [SELECT]\n"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Grant\n"
	                 "metadata: {name: alice-plain}\n"
	                 "spec:\n"
	                 "  principal: user:alice@acme.com\n"
	                 "  securable: {type: catalog, metastore: main-use1, name: plain}\n"
	                 "  privileges: [SELECT]\n"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Grant\n"
	                 "metadata: {name: analysts-sales}\n"
	                 "spec:\n"
	                 "  principal: group:analysts\n"
	                 "  securable: {type: catalog, metastore: main-use1, name: sales}\n"
	                 "  privileges: [SELECT]\n"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Grant\n"
	                 "metadata: {name: alice-sales}\n"
	                 "spec:\n"
	                 "  principal: user:alice@acme.com\n"
	                 "  securable: {type: catalog, metastore: main-use1, name: sales}\n"
	                 "  privileges: [MODIFY]\n"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Grant\n"
	                 "metadata: {name: sp-raw}\n"
	                 "spec:\n"
	                 "  principal: group:analysts\n"
	                 "  securable: {type: schema, metastore: main-use1, name: sales.raw}\n"
	                 "  privileges: [MODIFY]\n",
	                 INHERIT_BASE);
	world_yaml(&w, yaml);
	free(yaml);
	/* raw and its managed table lie inside the catalog: no statement
	 * of their own but the write on raw, which the read does not cover;
	 * inner lies inside plain */
	assert_statements(&w, "acme-default",
	                  "read metastores/main-use1/catalogs/plain/ group:analysts\n"
	                  "read metastores/main-use1/catalogs/plain/ user:alice@acme.com\n"
	                  "read metastores/main-use1/catalogs/sales/ group:analysts\n"
	                  "write metastores/main-use1/catalogs/sales/ user:alice@acme.com\n"
	                  "write metastores/main-use1/catalogs/sales/schemas/raw/ "
	                  "group:analysts\n");
	/* the external table below raw, and ext (a schema in the workspace's
	 * bucket): statements of their own from both grants on the catalog
	 * and the one on raw (whose write covers the analysts' read) */
	assert_statements(&w, "acme-ws-etl",
	                  "read landing/away/ group:analysts\n"
	                  "read landing/away/ user:alice@acme.com\n"
	                  "write landing/outside/ group:analysts\n"
	                  "write landing/outside/ user:alice@acme.com\n"
	                  "read schemas/ext/ group:analysts\n"
	                  "write schemas/ext/ user:alice@acme.com\n");
	world_release(&w);
}

/* Write privileges (MODIFY, CREATE_TABLE) give write; a grant lower down
 * does not reach up; lower-case privileges read the same. */
static void test_policy_write_and_scope(void **state)
{
	struct world w;
	(void)state;

	char *yaml =
	    lf_xasprintf("%s---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Grant\n"
	                 "metadata: {name: g1}\n"
	                 "spec:\n"
	                 "  principal: user:alice@acme.com\n"
	                 "  securable: {type: schema, metastore: main-use1, name: sales.ext}\n"
	                 "  privileges: [use schema, modify]\n"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Grant\n"
	                 "metadata: {name: g2}\n"
	                 "spec:\n"
	                 "  principal: group:analysts\n"
	                 "  securable: {type: schema, metastore: main-use1, name: sales.raw}\n"
	                 "  privileges: [CREATE_TABLE]\n",
	                 INHERIT_BASE);
	world_yaml(&w, yaml);
	free(yaml);
	assert_statements(
	    &w, "acme-default",
	    "write metastores/main-use1/catalogs/sales/schemas/raw/ group:analysts\n");
	assert_statements(&w, "acme-ws-etl", "write schemas/ext/ user:alice@acme.com\n");
	world_release(&w);
}

/*
 * A bucket's encryption: as its declaring object says it, else AES256 (the
 * default, shown in the plan).
 */
static void test_bucket_encryption(void **state)
{
	struct world w;
	(void)state;
	char *yaml =
	    lf_xasprintf("%s"
	                 "---\n"
	                 "apiVersion: lakeform/v1\n"
	                 "kind: Workspace\n"
	                 "metadata: {name: eu}\n"
	                 "spec:\n"
	                 "  region: us-east-1\n"
	                 "  compute: classic\n"
	                 "  metastore: main-use1\n"
	                 "  workspace_catalog: false\n"
	                 "  storage: {bucket: acme-ws-eu, encryption: {algorithm: AES256}}\n"
	                 "  network: {cidr: 10.1.0.0/16}\n",
	                 INHERIT_BASE);
	char *p = strstr(yaml, "{bucket: acme-default, region: us-east-1}");
	assert_non_null(p);
	/* the account's default storage asks for SSE-KMS with a key */
	char *with = lf_xasprintf("%.*s{bucket: acme-default, region: us-east-1, encryption: "
	                          "{algorithm: 'aws:kms', kms_key_id: alias/acme}}%s",
	                          (int)(p - yaml), yaml,
	                          p + strlen("{bucket: acme-default, region: us-east-1}"));
	world_yaml(&w, with);
	free(yaml);
	free(with);
	assert_json(json_object_get(get(&w, "storage.bucket/acme-default")->inputs, "encryption"),
	            "{\"algorithm\": \"aws:kms\", \"kms_key_id\": \"alias/acme\"}");
	assert_json(json_object_get(get(&w, "storage.bucket/acme-ws-eu")->inputs, "encryption"),
	            "{\"algorithm\": \"AES256\"}");
	assert_json(json_object_get(get(&w, "storage.bucket/acme-ws-etl")->inputs, "encryption"),
	            "{\"algorithm\": \"AES256\"}");
	world_release(&w);
}

/* No grant touching a bucket: no policy for it. */
static void test_no_grants_no_policy(void **state)
{
	struct world w;
	(void)state;

	world_yaml(&w, INHERIT_BASE);
	for (size_t i = 0; i < w.ds.n; i++)
		assert_string_not_equal(w.ds.v[i]->type, "storage.policy");
	world_release(&w);
}

/*
 * Two catalogs of different metastores whose managed locations fall on the
 * same place (a catalog stored in the bucket of a workspace whose workspace
 * catalog has its name): the loader or the expansion says so, or each gets
 * a location of its own; they never silently share one.
 */
static void test_shared_location_is_not_silent(void **state)
{
	static const char *const yaml =
	    "apiVersion: lakeform/v1\n"
	    "kind: Account\n"
	    "metadata: {name: acme}\n"
	    "spec:\n"
	    "  default_storage: {bucket: acme-default, region: us-east-1}\n"
	    "---\n"
	    "apiVersion: lakeform/v1\n"
	    "kind: Metastore\n"
	    "metadata: {name: main-use1}\n"
	    "spec: {region: us-east-1}\n"
	    "---\n"
	    "apiVersion: lakeform/v1\n"
	    "kind: Metastore\n"
	    "metadata: {name: main-use2}\n"
	    "spec: {region: us-east-2}\n"
	    "---\n"
	    "apiVersion: lakeform/v1\n"
	    "kind: Workspace\n"
	    "metadata: {name: ana}\n"
	    "spec:\n"
	    "  region: us-east-1\n"
	    "  compute: serverless\n"
	    "  metastore: main-use1\n"
	    "  storage: {bucket: acme-ws-ana}\n"
	    "---\n"
	    "apiVersion: lakeform/v1\n"
	    "kind: Catalog\n"
	    "metadata: {name: ana}\n"
	    "spec:\n"
	    "  metastore: main-use2\n"
	    "  storage_root: {bucket: acme-ws-ana}\n";
	struct world w;
	(void)state;

	world_init(&w);
	if (lf_source_load_buffer(&w.src, "test.yaml", yaml, strlen(yaml), &w.d) != 0)
		fail_with_diags(&w.d, "lf_source_load_buffer");
	if (lf_manifest_build(&w.m, &w.src, &w.kinds, &w.d) != 0)
		fail_with_diags(&w.d, "lf_manifest_build");
	if (lf_manifest_check(&w.m, &w.d) == 0 && lf_expand(&w.ds, &w.m, &w.d) == 0) {
		const struct lf_dres *a = own_prefix(&w.ds, "catalog/main-use1/ana");
		const struct lf_dres *b = own_prefix(&w.ds, "catalog/main-use2/ana");
		if (!a || !b || a == b)
			fail_msg("catalog/main-use1/ana and catalog/main-use2/ana share "
			         "'storage.prefix/acme-ws-ana/catalogs/ana' silently (own "
			         "prefixes: %s, %s)",
			         a ? a->address : "none", b ? b->address : "none");
	}
	assert_true(w.d.errors > 0 || w.ds.n > 0);
	world_release(&w);
}

/* Expanding twice gives the same resources in the same order. */
static void test_deterministic(void **state)
{
	struct world a, b;
	(void)state;

	world_example(&a, "multi-region");
	world_example(&b, "multi-region");
	assert_int_equal(a.ds.n, b.ds.n);
	for (size_t i = 0; i < a.ds.n; i++) {
		assert_string_equal(a.ds.v[i]->address, b.ds.v[i]->address);
		assert_string_equal(a.ds.v[i]->digest, b.ds.v[i]->digest);
		assert_int_equal(a.ds.v[i]->ndeps, b.ds.v[i]->ndeps);
	}
	world_release(&a);
	world_release(&b);
}

/* Identities are records only, unless a provider serves family identity:
 * then each is also an identity.* resource, a group's members sorted and
 * their resources before it. */
static void test_identities_expand_only_when_served(void **state)
{
	struct world w;
	char *dir = repo_path("examples/scim");
	(void)state;

	world_example(&w, "scim");
	for (size_t i = 0; i < w.ds.n; i++)
		assert_true(strncmp(w.ds.v[i]->type, "identity.", 9));
	world_release(&w);

	world_init(&w);
	if (lf_source_load(&w.src, dir, &w.d) != 0)
		fail_with_diags(&w.d, "lf_source_load");
	w.ds.identities = 1;
	world_expand(&w);
	struct lf_dres *u = lf_desired_get(&w.ds, "identity.user/carol@acme.com");
	assert_non_null(u);
	assert_string_equal(u->provider, "identity");
	assert_string_equal(u->parent, "user/carol@acme.com");
	assert_true(json_is_false(json_object_get(u->inputs, "active")));
	assert_string_equal(json_string_value(json_object_get(u->inputs, "display_name")),
	                    "Carol Nguyen");
	assert_true(json_is_true(json_object_get(
	    lf_desired_get(&w.ds, "identity.user/alice@acme.com")->inputs, "active")));
	struct lf_dres *sp = lf_desired_get(&w.ds, "identity.service_principal/etl-bot");
	assert_non_null(sp);
	assert_string_equal(json_string_value(json_object_get(sp->inputs, "application_id")),
	                    "3f2c9a7e-1b4d-4e8a-9c61-0d5e7f8a2b13");
	struct lf_dres *g = lf_desired_get(&w.ds, "identity.group/data");
	assert_non_null(g);
	json_t *want = json_pack("[s, s, s]", "group:analysts", "service_principal:etl-bot",
	                         "user:carol@acme.com");
	assert_true(json_equal(json_object_get(g->inputs, "members"), want));
	json_decref(want);
	int deps = 0;
	for (size_t i = 0; i < g->ndeps; i++)
		deps += !strcmp(g->deps[i], "identity.group/analysts") ||
		        !strcmp(g->deps[i], "identity.service_principal/etl-bot") ||
		        !strcmp(g->deps[i], "identity.user/carol@acme.com");
	assert_int_equal(deps, 3);
	assert_string_equal(json_string_value(lf_json_path(g->inputs, "labels.lakeform/address")),
	                    "identity.group/data");
	free(dir);
	world_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quickstart_provider_resources),
	    cmocka_unit_test(test_identities_expand_only_when_served),
	    cmocka_unit_test(test_quickstart_manifest_level),
	    cmocka_unit_test(test_invariants_quickstart),
	    cmocka_unit_test(test_invariants_multi_region),
	    cmocka_unit_test(test_invariants_classic),
	    cmocka_unit_test(test_workspace_catalog),
	    cmocka_unit_test(test_workspace_catalog_off_and_own_bucket),
	    cmocka_unit_test(test_classic_workspace),
	    cmocka_unit_test(test_bucket_encryption),
	    cmocka_unit_test(test_tags),
	    cmocka_unit_test(test_policy_quickstart),
	    cmocka_unit_test(test_policy_classic),
	    cmocka_unit_test(test_policy_multi_region),
	    cmocka_unit_test(test_policy_inheritance),
	    cmocka_unit_test(test_policy_inheritance_deep),
	    cmocka_unit_test(test_policy_write_and_scope),
	    cmocka_unit_test(test_no_grants_no_policy),
	    cmocka_unit_test(test_shared_location_is_not_silent),
	    cmocka_unit_test(test_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
