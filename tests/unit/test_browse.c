/*
 * Unit tests for src/core/browse.c: a small state put together by hand
 * (an account, a metastore in one region, a serverless and a classic
 * workspace, a catalog, a schema, a table, nested groups, grants of both
 * shapes), indexed, and each page's document checked field by field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/browse.h"
#include "core/manifest.h"
#include "state/state.h"
#include "util/buf.h"

static void put(struct lf_state *st, const char *address, const char *type, const char *provider,
                const char *parent, const char *deps, const char *inputs)
{
	struct lf_state_res r;
	memset(&r, 0, sizeof(r));
	r.address = (char *)address;
	r.type = (char *)type;
	r.provider = (char *)provider;
	r.parent = (char *)parent;
	r.deps = json_loads(deps, 0, NULL);
	r.inputs = json_loads(inputs, 0, NULL);
	assert_non_null(r.deps);
	assert_non_null(r.inputs);
	lf_state_put(st, &r);
	json_decref(r.deps);
	json_decref(r.inputs);
}

static void account(struct lf_state *st)
{
	put(st, "account/acme", "account", "lakeform", NULL, "[]", "{\"spec\": {}}");
	put(st, "metastore/main", "metastore", "lakeform", NULL, "[\"storage.prefix/b/ms\"]",
	    "{\"spec\": {\"region\": \"us-east-1\", \"owner\": \"group:admins\"}}");
	put(st, "storage.prefix/b/ms", "storage.prefix", "storage", "metastore/main", "[]", "{}");
	put(st, "workspace/sl", "workspace", "lakeform", NULL,
	    "[\"metastore/main\", \"compute.network/sl\"]",
	    "{\"spec\": {\"region\": \"us-east-1\", \"compute\": \"serverless\", \"metastore\": "
	    "\"main\"}}");
	put(st, "compute.network/sl", "compute.network", "compute", "workspace/sl", "[]", "{}");
	put(st, "storage.bucket/cl-data", "storage.bucket", "storage", "workspace/cl", "[]", "{}");
	put(st, "workspace/cl", "workspace", "lakeform", NULL, "[\"storage.bucket/cl-data\"]",
	    "{\"spec\": {\"region\": \"eu-west-1\", \"compute\": \"classic\", \"metastore\": "
	    "\"main\"}}");
	put(st, "catalog/main/sales", "catalog", "lakeform", NULL, "[\"metastore/main\"]",
	    "{\"spec\": {\"comment\": \"<b>sales</b>\", \"owner\": \"group:admins\"}}");
	put(st, "schema/main/sales/raw", "schema", "lakeform", NULL, "[\"catalog/main/sales\"]",
	    "{\"spec\": {}}");
	put(st, "table/main/sales/raw/orders", "table", "lakeform", NULL,
	    "[\"schema/main/sales/raw\"]", "{\"spec\": {}}");
	put(st, "user/alice@acme.com", "user", "lakeform", NULL, "[]",
	    "{\"spec\": {\"display_name\": \"Alice\"}}");
	put(st, "group/analysts", "group", "lakeform", NULL, "[\"user/alice@acme.com\"]",
	    "{\"spec\": {\"members\": [\"user:alice@acme.com\"]}}");
	put(st, "group/everyone", "group", "lakeform", NULL, "[\"group/analysts\"]",
	    "{\"spec\": {\"members\": [\"group:analysts\"]}}");
	put(st, "grant/read-raw", "grant", "lakeform", NULL,
	    "[\"group/analysts\", \"schema/main/sales/raw\"]",
	    "{\"spec\": {\"principal\": \"group:analysts\", \"privileges\": [\"SELECT\"], "
	    "\"securable\": {\"type\": \"schema\", \"metastore\": \"main\", \"name\": "
	    "\"sales.raw\"}}}");
	put(st, "grant/ws:sl:everyone", "grant", "lakeform", "workspace/sl",
	    "[\"group/everyone\", \"catalog/main/sales\"]",
	    "{\"spec\": {\"principal\": \"group:everyone\", \"securables\": [{\"type\": "
	    "\"catalog\", \"metastore\": \"main\", \"name\": \"sales\", \"privileges\": "
	    "[\"USE_CATALOG\"]}, {\"type\": \"table\", \"metastore\": \"main\", \"name\": "
	    "\"sales.raw.orders\", \"privileges\": [\"MODIFY\"]}]}}");
	lf_state_normalize(st);
}

struct fixture {
	struct lf_state st;
	struct lf_browse b;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lf_state init = LF_STATE_INIT;
	const char *why = NULL;

	f->st = init;
	account(&f->st);
	assert_int_equal(lf_browse_build(&f->b, &f->st, &why), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	lf_browse_release(&f->b);
	lf_state_release(&f->st);
	free(f);
	return 0;
}

static const char *s(const json_t *o, const char *path)
{
	/* a dotted path of object keys and array indexes */
	char *copy = strdup(path), *save = NULL;
	const json_t *v = o;
	for (char *t = strtok_r(copy, ".", &save); t && v; t = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, strtoul(t, NULL, 10))
		                     : json_object_get(v, t);
	free(copy);
	return json_string_value(v);
}

static long long n(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void test_summary(void **state)
{
	struct fixture *f = *state;
	json_t *j = lf_browse_summary(&f->b);

	assert_string_equal(s(j, "account"), "acme");
	assert_int_equal(n(j, "resources"), 15);
	assert_int_equal(n(j, "grants"), 3); /* one grant record, two securables */
	assert_int_equal(n(json_object_get(j, "types"), "workspace"), 2);
	json_decref(j);
}

static void test_account(void **state)
{
	struct fixture *f = *state;
	json_t *j = lf_browse_account(&f->b, 0, 100);

	/* eu-west-1 first (sorted): the classic workspace outside its
	 * metastore's region, with its bucket */
	assert_string_equal(s(j, "regions.0.region"), "eu-west-1");
	assert_string_equal(s(j, "regions.0.workspaces.0.name"), "cl");
	assert_string_equal(s(j, "regions.0.workspaces.0.compute"), "classic");
	assert_string_equal(s(j, "regions.0.workspaces.0.storage.0"), "storage.bucket/cl-data");
	assert_string_equal(s(j, "regions.1.region"), "us-east-1");
	assert_string_equal(s(j, "regions.1.metastores.0.name"), "main");
	assert_string_equal(s(j, "regions.1.metastores.0.storage.0"), "storage.prefix/b/ms");
	assert_string_equal(s(j, "regions.1.metastores.0.workspaces.0.name"), "sl");
	assert_string_equal(s(j, "regions.1.metastores.0.workspaces.0.compute"), "serverless");
	assert_string_equal(s(j, "regions.1.metastores.0.workspaces.0.networks.0"),
	                    "compute.network/sl");
	json_decref(j);

	/* paged: the second workspace only, every count kept */
	j = lf_browse_account(&f->b, 1, 1);
	assert_int_equal(n(j, "total"), 2);
	const json_t *us = json_array_get(json_object_get(j, "regions"), 1);
	const json_t *ms = json_array_get(json_object_get(us, "metastores"), 0);
	assert_int_equal(json_array_size(json_object_get(ms, "workspaces")), 1);
	assert_int_equal(n(ms, "workspaces_total"), 1);
	const json_t *eu = json_array_get(json_object_get(j, "regions"), 0);
	assert_int_equal(json_array_size(json_object_get(eu, "workspaces")), 0);
	assert_int_equal(n(eu, "workspaces_total"), 1);
	json_decref(j);
}

static void test_namespace(void **state)
{
	struct fixture *f = *state;
	json_t *j = lf_browse_namespace(&f->b, "", 0, 100);
	assert_string_equal(s(j, "children.0.address"), "metastore/main");
	json_decref(j);

	j = lf_browse_namespace(&f->b, "main/sales", 0, 100);
	assert_string_equal(s(j, "level"), "catalog");
	assert_string_equal(s(j, "securable.comment"), "<b>sales</b>");
	assert_string_equal(s(j, "grants.0.principal"), "group:everyone");
	assert_string_equal(s(j, "grants.0.privileges.0"), "USE_CATALOG");
	assert_string_equal(s(j, "children.0.name"), "raw");
	json_decref(j);

	/* a table, from a grant's "securables" list */
	j = lf_browse_namespace(&f->b, "main/sales/raw/orders", 0, 100);
	assert_string_equal(s(j, "level"), "table");
	assert_string_equal(s(j, "crumbs.3.address"), "table/main/sales/raw/orders");
	assert_string_equal(s(j, "grants.0.privileges.0"), "MODIFY");
	json_decref(j);

	assert_null(lf_browse_namespace(&f->b, "main/nope", 0, 100));
	assert_null(lf_browse_namespace(&f->b, "a/b/c/d/e", 0, 100));
}

static void test_principal(void **state)
{
	struct fixture *f = *state;
	json_t *j = lf_browse_principal(&f->b, "user:alice@acme.com", 0, 100);

	/* nested: everyone through analysts */
	assert_string_equal(s(j, "member_of.0.principal"), "group:analysts");
	assert_int_equal(json_array_size(json_object_get(
	                     json_array_get(json_object_get(j, "member_of"), 0), "via")),
	                 0);
	assert_string_equal(s(j, "member_of.1.principal"), "group:everyone");
	assert_string_equal(s(j, "member_of.1.via.0"), "group:analysts");
	/* the grants to her groups: one to analysts, two to everyone */
	assert_int_equal(n(j, "total"), 3);
	assert_string_equal(s(j, "grants.0.to"), "group:analysts");
	assert_string_equal(s(j, "grants.0.securable"), "schema/main/sales/raw");
	json_decref(j);

	j = lf_browse_principal(&f->b, "user:alice@acme.com", 1, 1);
	assert_int_equal(json_array_size(json_object_get(j, "grants")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "member_of")), 1);
	assert_int_equal(n(j, "member_of_total"), 2);
	assert_string_equal(s(j, "grants.0.to"), "group:everyone");
	json_decref(j);

	j = lf_browse_principal(&f->b, "group:everyone", 0, 100);
	assert_string_equal(s(j, "members.0"), "group:analysts");
	json_decref(j);

	assert_null(lf_browse_principal(&f->b, "user:nobody@acme.com", 0, 100));
	assert_null(lf_browse_principal(&f->b, "alice", 0, 100));

	j = lf_browse_principals(&f->b, 0, 100);
	assert_int_equal(n(j, "total"), 3);
	assert_string_equal(s(j, "principals.0.principal"), "group:analysts");
	json_decref(j);
}

static void test_resources(void **state)
{
	struct fixture *f = *state;
	json_t *j = lf_browse_resources(&f->b, NULL, "storage.", 0, 100);

	assert_int_equal(n(j, "total"), 2);
	assert_string_equal(s(j, "resources.0.address"), "storage.bucket/cl-data");
	json_decref(j);
	j = lf_browse_resources(&f->b, "workspace", "workspace/s", 0, 100);
	assert_int_equal(n(j, "total"), 1);
	assert_string_equal(s(j, "resources.0.address"), "workspace/sl");
	json_decref(j);
	j = lf_browse_resources(&f->b, "grant", NULL, 1, 5);
	assert_int_equal(n(j, "total"), 2);
	assert_int_equal(json_array_size(json_object_get(j, "resources")), 1);
	json_decref(j);
	j = lf_browse_resources(&f->b, NULL, "zzz", 0, 100);
	assert_int_equal(n(j, "total"), 0);
	json_decref(j);
}

static void mask_all(const struct lf_state_res *r, json_t **inputs, json_t **attrs)
{
	*inputs = json_string("(masked)");
	*attrs = NULL;
}

static void test_resource_and_graph(void **state)
{
	struct fixture *f = *state;
	json_t *j = lf_browse_resource(&f->b, "workspace/sl", mask_all);

	assert_string_equal(s(j, "inputs"), "(masked)"); /* the mask decides */
	assert_string_equal(s(j, "children.0"), "compute.network/sl");
	json_decref(j);
	j = lf_browse_resource(&f->b, "catalog/main/sales", mask_all);
	assert_string_equal(s(j, "dependents.0"), "grant/ws:sl:everyone");
	json_decref(j);
	assert_null(lf_browse_resource(&f->b, "nope/x", mask_all));

	/* the neighbours of the schema: its catalog, the table, the grant */
	j = lf_browse_graph(&f->b, "schema/main/sales/raw", 1, 0, 100);
	assert_int_equal(n(j, "shown"), 4);
	json_decref(j);
	/* the manifest resources only, unless expanded */
	j = lf_browse_graph(&f->b, NULL, 0, 0, 100);
	assert_int_equal(n(j, "total"), 12);
	json_decref(j);
	j = lf_browse_graph(&f->b, NULL, 0, 1, 5);
	assert_int_equal(n(j, "total"), 15);
	assert_int_equal(n(j, "shown"), 5);
	json_decref(j);

	/* DOT: edges and nodes sorted, provider resources dashed, links encoded */
	json_t *g = json_pack("{s:[{s:s, s:s}, {s:s, s:s}], s:[[s, s]]}", "nodes", "address",
	                      "b/x\"y", "provider", "lakeform", "address", "a@b", "provider",
	                      "storage", "edges", "b/x\"y", "a@b");
	struct lf_buf out = LF_BUF_INIT;
	lf_browse_graph_dot(g, NULL, &out);
	assert_string_equal(lf_buf_cstr(&out), "digraph lakeform {\n  rankdir = \"RL\";\n"
	                                       "  node [shape = box, fontname = \"sans-serif\"];\n"
	                                       "  \"a@b\" [style = dashed];\n  \"b/x\\\"y\";\n"
	                                       "  \"b/x\\\"y\" -> \"a@b\";\n}\n");
	lf_buf_truncate(&out, 0);
	lf_browse_graph_dot(g, "/r?a=", &out);
	assert_non_null(
	    strstr(lf_buf_cstr(&out), "\"a@b\" [URL = \"/r?a=a%40b\", style = dashed];"));
	assert_non_null(strstr(lf_buf_cstr(&out), "\"b/x\\\"y\" [URL = \"/r?a=b%2Fx%22y\"];"));
	lf_buf_release(&out);
	json_decref(g);
}

static void test_principal_address(void **state)
{
	char *a = lf_principal_address("service_principal:etl");
	assert_string_equal(a, "serviceprincipal/etl");
	free(a);
	assert_null(lf_principal_address("user:"));
	assert_null(lf_principal_address("robot:x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_account, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_namespace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_principal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resources, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resource_and_graph, setup, teardown),
	    cmocka_unit_test(test_principal_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
