/*
 * Unit tests for src/core/cost.c: the estimate of a manifest set priced by
 * its PriceList (rounding to the cent, unpriced regions, budgets by
 * workspace, tag and account, warn and deny), the times usage counts from,
 * and usage priced from providers' answers.
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

#include "core/cost.h"
#include "core/expand.h"
#include "core/manifest.h"
#include "core/source.h"
#include "util/buf.h"
#include "util/mem.h"
#include "fixture.h"

struct world {
	struct lf_kinds kinds;
	struct lf_source src;
	struct lf_manifest m;
	struct lf_desired ds;
	struct lf_diags d;
};

/* Load, check and expand `yaml`; `check_ok` 0 when rule errors are expected. */
static void world_yaml(struct world *w, const char *yaml, int check_ok)
{
	char *dir = repo_path("schemas");

	memset(w, 0, sizeof(*w));
	if (lf_kinds_load(&w->kinds, dir, &w->d) != 0)
		fail_with_diags(&w->d, "lf_kinds_load");
	free(dir);
	if (lf_source_load_buffer(&w->src, "test.yaml", yaml, strlen(yaml), &w->d) != 0)
		fail_with_diags(&w->d, "lf_source_load_buffer");
	if (lf_manifest_build(&w->m, &w->src, &w->kinds, &w->d) != 0)
		fail_with_diags(&w->d, "lf_manifest_build");
	int rc = lf_manifest_check(&w->m, &w->d);
	if (!check_ok)
		return;
	if (rc != 0)
		fail_with_diags(&w->d, "lf_manifest_check");
	if (lf_expand(&w->ds, &w->m, &w->d) != 0)
		fail_with_diags(&w->d, "lf_expand");
}

static void world_release(struct world *w)
{
	lf_desired_release(&w->ds);
	lf_manifest_release(&w->m);
	lf_source_release(&w->src);
	lf_kinds_release(&w->kinds);
	lf_diags_release(&w->d);
}

#define ACCOUNT                                                                 \
	"apiVersion: lakeform/v1\nkind: Account\nmetadata: {name: acme}\n"      \
	"spec:\n  default_storage: {bucket: acme-default, region: eu-west-1}\n" \
	"  tags: {division: emea}\n"

#define CLASSIC(name, region, cidr, pool, tags)                                              \
	"---\napiVersion: lakeform/v1\nkind: Workspace\nmetadata: {name: " name "}\n"        \
	"spec:\n  region: " region "\n  compute: classic\n  storage: {bucket: acme-ws-" name \
	"}\n  network: {cidr: '" cidr "'}\n  node_pool: " pool "\n  tags: " tags "\n"

#define PRICES                                                                    \
	"---\napiVersion: lakeform/v1\nkind: PriceList\nmetadata: {name: list}\n" \
	"spec:\n  currency: EUR\n  regions:\n"                                    \
	"    eu-west-1: {cpu_hour: 0.012, memory_gib_hour: 0.002, storage_gib_month: 0.02}\n"

static const json_t *ws_row(const json_t *cost, const char *name)
{
	size_t i;
	json_t *r;

	json_array_foreach (json_object_get(cost, "workspaces"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "workspace")), name))
			return r;
	fail_msg("no row for workspace '%s'", name);
	return NULL;
}

static const char *after_monthly(const json_t *cost, const char *name)
{
	return json_string_value(
	    json_object_get(json_object_get(ws_row(cost, name), "after"), "monthly"));
}

static const json_t *budget(const json_t *cost, const char *name)
{
	size_t i;
	json_t *b;

	json_array_foreach (json_object_get(cost, "budgets"), i, b)
		if (!strcmp(json_string_value(json_object_get(b, "name")), name))
			return b;
	fail_msg("no budget '%s'", name);
	return NULL;
}

static void test_estimate_by_hand(void **st)
{
	(void)st;
	struct world w;
	/*
	 * wa: 1 node, 1 CPU, 1024 MiB: 730 x (1 x 0.012 + 1 x 0.002) = 10.22
	 * wb: 3 nodes, 2 CPUs, 4096 MiB: 730 x 3 x (2 x 0.012 + 4 x 0.002)
	 *    = 730 x 3 x 0.032 = 70.08
	 * wc: in us-east-1, which the list does not price: unpriced
	 * total 10.22 + 70.08 = 80.30 (c left out)
	 */
	world_yaml(&w,
	           ACCOUNT CLASSIC("wa", "eu-west-1", "10.0.0.0/20",
	                           "{nodes: 1, cpus: 1, memory_mb: 1024}", "{team: x}")
	               CLASSIC("wb", "eu-west-1", "10.0.16.0/20",
	                       "{nodes: 3, cpus: 2, memory_mb: 4096}", "{team: y, division: apac}")
	                   CLASSIC("wc", "us-east-1", "10.0.32.0/20", "{nodes: 1}", "{team: y}")
	                       PRICES
	           "---\napiVersion: lakeform/v1\nkind: Budget\nmetadata: {name: ws-a}\n"
	           "spec: {monthly_limit: 10, selection: {workspace: wa}}\n"
	           "---\napiVersion: lakeform/v1\nkind: Budget\nmetadata: {name: team-y}\n"
	           "spec: {monthly_limit: 100, selection: {tag: {key: team, value: y}}, "
	           "enforcement: deny}\n"
	           "---\napiVersion: lakeform/v1\nkind: Budget\nmetadata: {name: emea}\n"
	           "spec: {monthly_limit: 10.22, selection: {tag: {key: division, value: emea}}}\n"
	           "---\napiVersion: lakeform/v1\nkind: Budget\nmetadata: {name: all}\n"
	           "spec: {monthly_limit: 80.29, selection: {account: true}, enforcement: deny}\n",
	           1);
	struct lf_diags d = LF_DIAGS_INIT;
	json_t *cost = lf_cost_estimate(&w.m, &w.ds, NULL, &d);

	assert_non_null(cost);
	assert_string_equal(after_monthly(cost, "wa"), "10.22");
	assert_string_equal(after_monthly(cost, "wb"), "70.08");
	assert_true(
	    json_is_null(json_object_get(json_object_get(ws_row(cost, "wc"), "after"), "monthly")));
	assert_true(json_is_false(json_object_get(ws_row(cost, "wc"), "priced")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(cost, "total"), "after")), "80.30");
	/* ws-a: 10.22 over 10 (warn); team-y: b and c, 70.08 with c unpriced,
	 * under 100; emea: the account's tag, but b says apac: only a and c,
	 * 10.22, not over 10.22; all: 80.30 over 80.29 (deny) */
	assert_true(json_is_true(json_object_get(budget(cost, "ws-a"), "exceeded")));
	assert_string_equal(json_string_value(json_object_get(budget(cost, "team-y"), "estimate")),
	                    "70.08");
	assert_int_equal(json_array_size(json_object_get(budget(cost, "team-y"), "unpriced")), 1);
	assert_true(json_is_false(json_object_get(budget(cost, "team-y"), "exceeded")));
	assert_int_equal(json_array_size(json_object_get(budget(cost, "emea"), "workspaces")), 2);
	assert_true(json_is_false(json_object_get(budget(cost, "emea"), "exceeded")));
	assert_true(json_is_true(json_object_get(budget(cost, "all"), "exceeded")));
	assert_int_equal(d.warnings, 1);
	assert_int_equal(d.errors, 1);
	/* each at its budget's monthly_limit, in document order */
	assert_non_null(strstr(d.v[0].msg, "budget 'ws-a'"));
	assert_non_null(strstr(d.v[1].msg, "budget 'all'"));
	assert_true(d.v[0].line > 0 && d.v[1].line > d.v[0].line);
	lf_diags_release(&d);

	struct lf_buf out = LF_BUF_INIT;
	lf_cost_render_text(&out, cost);
	assert_non_null(strstr(lf_buf_cstr(&out), "Unpriced: workspace 'wc'"));
	lf_buf_release(&out);
	json_decref(cost);
	world_release(&w);
}

static void test_no_pricelist(void **st)
{
	(void)st;
	struct world w;

	world_yaml(&w, ACCOUNT, 1);
	assert_false(lf_cost_has_pricelist(&w.m));
	assert_null(lf_cost_estimate(&w.m, &w.ds, NULL, &w.d));
	world_release(&w);
}

static void test_rules(void **st)
{
	(void)st;
	struct world w;

	/* a budget without a price list, naming a workspace not declared */
	world_yaml(&w,
	           ACCOUNT "---\napiVersion: lakeform/v1\nkind: Budget\nmetadata: {name: b}\n"
	                   "spec: {monthly_limit: 1, selection: {workspace: nope}}\n",
	           0);
	assert_int_equal(w.d.errors, 2);
	world_release(&w);
}

static void test_rfc3339(void **st)
{
	(void)st;
	assert_int_equal(lf_rfc3339_seconds("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(lf_rfc3339_seconds("2026-12-07T01:02:03Z"), 1796605323LL);
	/* docker's nanoseconds, and an offset */
	assert_int_equal(lf_rfc3339_seconds("2026-12-07T01:02:03.123456789Z"), 1796605323LL);
	assert_int_equal(lf_rfc3339_seconds("2026-12-07T02:02:03+01:00"), 1796605323LL);
	assert_int_equal(lf_rfc3339_seconds("2026-12-07T00:02:03-01:00"), 1796605323LL);
	assert_int_equal(lf_rfc3339_seconds("0001-01-01T00:00:00Z"), -62135596800LL);
	assert_int_equal(lf_rfc3339_seconds("2026-12-07 01:02:03"), -1);
	assert_int_equal(lf_rfc3339_seconds("2026-12-07T01:02:03"), -1);
	assert_int_equal(lf_rfc3339_seconds("2026-12-07T01:02:03Zjunk"), -1);
	assert_int_equal(lf_rfc3339_seconds(NULL), -1);
}

static void test_usage_unpriced(void **st)
{
	(void)st;
	/* without manifests: bytes and nodes measured, nothing priced; a node
	 * not running and a node without a start time count no uptime */
	json_t *measures = json_loads(
	    "[{\"workspace\": \"w\", \"address\": \"storage.bucket/b\", \"type\": "
	    "\"storage.bucket\", \"provider\": \"s3\", \"result\": {\"bytes\": 5, \"objects\": 2}},"
	    " {\"workspace\": \"w\", \"address\": \"compute.node_pool/w\", \"type\": "
	    "\"compute.node_pool\", \"provider\": \"docker\", \"result\": {\"nodes\": ["
	    "{\"id\": \"n1\", \"running\": true, \"started_at\": \"1970-01-01T00:00:00Z\"},"
	    "{\"id\": \"n2\", \"running\": false, \"started_at\": \"1970-01-01T00:00:00Z\"},"
	    "{\"id\": \"n3\", \"running\": true, \"started_at\": null}]}},"
	    " {\"workspace\": \"v\", \"address\": \"storage.prefix/p\", \"type\": "
	    "\"storage.prefix\", \"provider\": \"perl\", \"unsupported\": true}]",
	    0, NULL);
	json_t *u = lf_usage_price(NULL, measures, NULL, 7200);
	json_t *w = json_array_get(json_object_get(u, "workspaces"), 0);

	assert_string_equal(json_string_value(json_object_get(w, "workspace")), "w");
	assert_int_equal(json_integer_value(json_object_get(w, "bytes")), 5);
	assert_int_equal(json_integer_value(json_object_get(w, "running_nodes")), 2);
	assert_int_equal(json_integer_value(json_object_get(w, "uptime_seconds")), 7200);
	assert_true(json_is_null(json_object_get(w, "monthly")));
	assert_null(json_object_get(u, "total"));
	json_t *v = json_array_get(json_object_get(u, "workspaces"), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "notes"), 0)),
	                    "storage.prefix/p: usage not reported by provider 'perl'");
	json_decref(u);
	json_decref(measures);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_estimate_by_hand),
	    cmocka_unit_test(test_no_pricelist),
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_rfc3339),
	    cmocka_unit_test(test_usage_unpriced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
