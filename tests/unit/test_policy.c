/*
 * Unit tests for src/core/policy.c: matching rules to resources, rule
 * schemas checked at load, violations (their severity and both positions)
 * over manifest resources, provider resources and node pools.
 *
 * The schema directory is $LAKEFORM_SCHEMA_DIR, else schemas/ found from the
 * working directory (the Makefile runs unit tests from the repository root).
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
#include "core/manifest.h"
#include "core/policy.h"
#include "core/source.h"
#include "util/buf.h"
#include "util/mem.h"
#include "fixture.h"

struct world {
	struct lf_kinds kinds;
	struct lf_source src;
	struct lf_manifest m;
	struct lf_desired ds;
	struct lf_policies p;
	struct lf_diags d;
	json_t *violations;
	int loaded; /* lf_policies_load's result */
};

/* Load, check, expand, then load the policies and check everything. */
static void world_run(struct world *w)
{
	if (lf_manifest_build(&w->m, &w->src, &w->kinds, &w->d) != 0)
		fail_with_diags(&w->d, "lf_manifest_build");
	if (lf_manifest_check(&w->m, &w->d) != 0)
		fail_with_diags(&w->d, "lf_manifest_check");
	if (lf_expand(&w->ds, &w->m, &w->d) != 0)
		fail_with_diags(&w->d, "lf_expand");
	w->violations = json_array();
	w->loaded = lf_policies_load(&w->p, &w->m, &w->d);
	if (w->loaded == 0)
		lf_policies_check(&w->p, &w->m, &w->ds, w->violations, &w->d);
}

static void world_init(struct world *w)
{
	char *schemas = repo_path("schemas");

	memset(w, 0, sizeof(*w));
	if (lf_kinds_load(&w->kinds, schemas, &w->d) != 0)
		fail_with_diags(&w->d, "lf_kinds_load");
	free(schemas);
}

static void world_yaml(struct world *w, const char *yaml)
{
	world_init(w);
	if (lf_source_load_buffer(&w->src, "test.yaml", yaml, strlen(yaml), &w->d) != 0)
		fail_with_diags(&w->d, "lf_source_load_buffer");
	world_run(w);
}

static void world_release(struct world *w)
{
	json_decref(w->violations);
	lf_policies_release(&w->p);
	lf_desired_release(&w->ds);
	lf_manifest_release(&w->m);
	lf_source_release(&w->src);
	lf_kinds_release(&w->kinds);
	lf_diags_release(&w->d);
}

static long long num(const json_t *v, const char *key)
{
	return json_integer_value(json_object_get(v, key));
}

static const char *str(const json_t *v, const char *key)
{
	const char *s = json_string_value(json_object_get(v, key));
	return s ? s : "(absent)";
}

/* ---- matching ------------------------------------------------------------- */

static void test_match(void **state)
{
	struct lf_policy_rule r;
	json_t *kinds = json_pack("[ss]", "Workspace", "storage.bucket");
	json_t *want = json_pack("{s:s}", "gdpr", "true");
	json_t *yes = json_pack("{s:s, s:s}", "gdpr", "true", "stage", "prod");
	json_t *other = json_pack("{s:s}", "gdpr", "false");

	memset(&r, 0, sizeof(r));
	r.kinds = kinds;
	/* kinds alone */
	assert_true(lf_policy_rule_matches(&r, "Workspace", "a", NULL));
	assert_true(lf_policy_rule_matches(&r, "storage.bucket", "b", NULL));
	assert_false(lf_policy_rule_matches(&r, "Grant", "a", NULL));
	assert_false(lf_policy_rule_matches(&r, "workspace", "a", NULL)); /* exact names */
	/* a glob on the name */
	r.name = "prod-*";
	assert_true(lf_policy_rule_matches(&r, "Workspace", "prod-eu", NULL));
	assert_true(lf_policy_rule_matches(&r, "Workspace", "prod-", NULL));
	assert_false(lf_policy_rule_matches(&r, "Workspace", "dev-prod-eu", NULL));
	r.name = "?b";
	assert_true(lf_policy_rule_matches(&r, "Workspace", "ab", NULL));
	assert_false(lf_policy_rule_matches(&r, "Workspace", "abb", NULL));
	r.name = NULL;
	/* labels: every one, with its value */
	r.labels = want;
	assert_true(lf_policy_rule_matches(&r, "Workspace", "a", yes));
	assert_false(lf_policy_rule_matches(&r, "Workspace", "a", other));
	assert_false(lf_policy_rule_matches(&r, "Workspace", "a", NULL));
	/* all conditions at once */
	r.name = "a*";
	assert_true(lf_policy_rule_matches(&r, "Workspace", "ab", yes));
	assert_false(lf_policy_rule_matches(&r, "Workspace", "ba", yes));
	assert_false(lf_policy_rule_matches(&r, "Grant", "ab", yes));
	json_decref(kinds);
	json_decref(want);
	json_decref(yes);
	json_decref(other);
}

/* ---- the example ------------------------------------------------------------ */

static void test_governance_example(void **state)
{
	struct world w;
	char *dir = repo_path("examples/governance");

	world_init(&w);
	if (lf_source_load(&w.src, dir, &w.d) != 0)
		fail_with_diags(&w.d, "lf_source_load");
	free(dir);
	world_run(&w);
	if (w.d.n)
		fail_with_diags(&w.d, "the governance example");
	assert_int_equal(w.loaded, 0);
	assert_int_equal(w.p.nrules, 4);
	assert_int_equal(w.p.ncompute, 1);
	assert_true(lf_policies_need_expansion(&w.p));
	assert_int_equal(json_array_size(w.violations), 0);
	world_release(&w);
}

/* ---- violations ------------------------------------------------------------- */

static const char *const account = "apiVersion: lakeform/v1\n"
                                   "kind: Account\n"
                                   "metadata: {name: acme}\n"
                                   "spec:\n"
                                   "  default_storage: {bucket: acme-default, region: eu-west-1}\n"
                                   "---\n";

static void test_manifest_violation(void **state)
{
	struct world w;
	char *yaml = lf_xasprintf("%s"
	                          "apiVersion: lakeform/v1\n"       /* 7 */
	                          "kind: Workspace\n"               /* 8 */
	                          "metadata: {name: ws}\n"          /* 9 */
	                          "spec:\n"                         /* 10 */
	                          "  region: eu-west-1\n"           /* 11 */
	                          "  compute: serverless\n"         /* 12 */
	                          "  tags:\n"                       /* 13 */
	                          "    owner: me\n"                 /* 14 */
	                          "---\n"                           /* 15 */
	                          "apiVersion: lakeform/v1\n"       /* 16 */
	                          "kind: Policy\n"                  /* 17 */
	                          "metadata: {name: tags}\n"        /* 18 */
	                          "spec:\n"                         /* 19 */
	                          "  enforcement: %s\n"             /* 20 */
	                          "  rules:\n"                      /* 21 */
	                          "    - match: {kinds: [Grant]}\n" /* 22 */
	                          "      schema: false\n"           /* 23 */
	                          "    - message: tagged\n"         /* 24 */
	                          "      match: {kinds: [Workspace], name: 'w*'}\n"
	                          "      schema:\n"
	                          "        properties:\n"
	                          "          spec:\n"
	                          "            properties:\n"
	                          "              tags: {required: [owner, cost-center]}\n",
	                          account, "warn");

	world_yaml(&w, yaml);
	assert_int_equal(w.loaded, 0);
	assert_int_equal(w.d.errors, 0);
	assert_int_equal(w.d.warnings, 1);
	assert_int_equal(json_array_size(w.violations), 1);
	json_t *v = json_array_get(w.violations, 0);
	assert_string_equal(str(v, "policy"), "tags");
	assert_string_equal(str(v, "kind"), "Policy");
	assert_string_equal(str(v, "rule"), "spec.rules[1]");
	assert_string_equal(str(v, "enforcement"), "warn");
	assert_string_equal(str(v, "address"), "workspace/ws");
	assert_string_equal(str(v, "message"), "tagged");
	assert_string_equal(str(v, "detail"), "spec.tags: missing required property 'cost-center'");
	/* the failing field, and the rule, where they are written */
	assert_string_equal(str(v, "file"), "test.yaml");
	assert_int_equal(num(v, "line"), 14);
	assert_int_equal(num(v, "column"), 5);
	assert_string_equal(str(v, "rule_file"), "test.yaml");
	assert_int_equal(num(v, "rule_line"), 24);
	assert_int_equal(num(v, "rule_column"), 7);
	assert_int_equal(w.d.v[0].line, 14);
	assert_non_null(strstr(w.d.v[0].msg, "(spec.rules[1] at test.yaml:24:7)"));
	world_release(&w);
	free(yaml);

	/* deny: the same violation is an error */
	yaml = lf_xasprintf("%sapiVersion: lakeform/v1\nkind: Workspace\nmetadata: {name: ws}\n"
	                    "spec: {region: eu-west-1, compute: serverless}\n---\n"
	                    "apiVersion: lakeform/v1\nkind: Policy\nmetadata: {name: p}\n"
	                    "spec:\n  rules:\n    - match: {kinds: [Workspace]}\n"
	                    "      schema: {properties: {spec: {required: [tags, storage]}}}\n",
	                    account);
	world_yaml(&w, yaml);
	assert_int_equal(w.d.errors, 1);
	assert_string_equal(str(json_array_get(w.violations, 0), "enforcement"), "deny");
	/* one violation per resource and rule: the first problem, the others counted */
	assert_string_equal(str(json_array_get(w.violations, 0), "detail"),
	                    "spec: missing required property 'tags' (and 1 more)");
	world_release(&w);
	free(yaml);
}

static void test_provider_violation(void **state)
{
	struct world w;
	char *yaml = lf_xasprintf("%sapiVersion: lakeform/v1\nkind: Policy\nmetadata: {name: v}\n"
	                          "spec:\n  rules:\n    - match: {kinds: [storage.bucket]}\n"
	                          "      schema: {required: [versioning]}\n",
	                          account);

	world_yaml(&w, yaml);
	assert_int_equal(w.d.errors, 1);
	json_t *v = json_array_get(w.violations, 0);
	assert_string_equal(str(v, "address"), "storage.bucket/acme-default");
	assert_string_equal(str(v, "detail"), "missing required property 'versioning'");
	/* the part of the document it comes from: the account's default_storage */
	assert_int_equal(num(v, "line"), 5);
	assert_int_equal(num(v, "column"), 20);
	assert_int_equal(num(v, "rule_line"), 12);
	world_release(&w);
	free(yaml);

	/* a field the document writes: shown where it is written */
	world_yaml(&w, "apiVersion: lakeform/v1\nkind: Account\nmetadata: {name: acme}\nspec:\n"
	               "  default_storage:\n"
	               "    bucket: acme-default\n"
	               "    region: eu-west-1\n"
	               "    versioning: false\n" /* 8 */
	               "---\napiVersion: lakeform/v1\nkind: Policy\nmetadata: {name: v}\n"
	               "spec:\n  rules:\n    - match: {kinds: [storage.bucket], name: 'acme-*'}\n"
	               "      schema: {properties: {versioning: {const: true}}}\n");
	assert_int_equal(w.d.errors, 1);
	v = json_array_get(w.violations, 0);
	assert_int_equal(strncmp(str(v, "detail"), "versioning: ", 12), 0);
	assert_int_equal(num(v, "line"), 8);
	assert_int_equal(num(v, "column"), 17);
	assert_int_equal(num(v, "rule_line"), 15);
	world_release(&w);
}

static void test_bad_rules(void **state)
{
	struct world w;
	char *yaml = lf_xasprintf("%sapiVersion: lakeform/v1\nkind: Policy\nmetadata: {name: v}\n"
	                          "spec:\n  rules:\n"
	                          "    - match: {kinds: [Workspce, Grant]}\n" /* 12 */
	                          "      schema: {type: strin}\n"             /* 13 */
	                          "    - match: {kinds: [Grant]}\n"
	                          "      schema: {pattern: '(?=a)'}\n", /* 15 */
	                          account);

	world_yaml(&w, yaml);
	assert_int_equal(w.loaded, -1);
	assert_int_equal(w.d.errors, 3);
	lf_diags_sort(&w.d);
	assert_int_equal(w.d.v[0].line, 12);
	assert_non_null(strstr(w.d.v[0].msg, "unknown kind or type 'Workspce' (did you mean "
	                                     "'Workspace'?)"));
	assert_int_equal(w.d.v[1].line, 13);
	assert_non_null(strstr(w.d.v[1].msg, "spec.rules[0].schema: invalid schema"));
	assert_int_equal(w.d.v[2].line, 15);
	assert_non_null(strstr(w.d.v[2].msg, "spec.rules[1].schema: invalid schema"));
	world_release(&w);
	free(yaml);
}

static void test_compute_policy(void **state)
{
	struct world w;
	char *yaml = lf_xasprintf(
	    "%sapiVersion: lakeform/v1\nkind: Workspace\n"
	    "metadata: {name: big, labels: {stage: prod}}\n"   /* 9 */
	    "spec:\n  region: eu-west-1\n  compute: classic\n" /* 12 */
	    "  storage: {bucket: acme-big}\n  network: {cidr: 10.0.0.0/16}\n"
	    "  node_pool:\n    nodes: 5\n    cpus: 2\n" /* 16, 17 */
	    "---\napiVersion: lakeform/v1\nkind: Workspace\n"
	    "metadata: {name: free}\n"
	    "spec:\n  region: eu-west-1\n  compute: classic\n"
	    "  storage: {bucket: acme-free}\n  network: {cidr: 10.1.0.0/16}\n"
	    "  node_pool: {nodes: 9, cpus: 8}\n"
	    "---\napiVersion: lakeform/v1\nkind: ComputePolicy\nmetadata: {name: small}\n"
	    "spec:\n  workspace_labels: {stage: prod}\n  max_nodes: 4\n  max_cpus: 1\n"
	    "  max_memory_mb: 512\n  images: ['localhost/*']\n"
	    "---\napiVersion: lakeform/v1\nkind: ComputePolicy\nmetadata: {name: named}\n"
	    "spec:\n  workspaces: [free]\n  images: ['docker.io/*']\n",
	    account);

	world_yaml(&w, yaml);
	assert_int_equal(w.loaded, 0);
	assert_int_equal(w.d.errors, 4);
	assert_int_equal(json_array_size(w.violations), 4);
	json_t *v = json_array_get(w.violations, 0);
	assert_string_equal(str(v, "address"), "workspace/big");
	assert_string_equal(str(v, "rule"), "spec.max_nodes");
	assert_string_equal(str(v, "detail"),
	                    "spec.node_pool.nodes: 5 nodes is more than the 4 allowed");
	assert_int_equal(num(v, "line"), 16);
	assert_int_equal(num(v, "rule_line"), 34);
	v = json_array_get(w.violations, 1);
	assert_string_equal(str(v, "rule"), "spec.max_cpus");
	assert_int_equal(num(v, "line"), 17);
	/* the pool's default memory (1024 MiB), not written: shown at the pool */
	v = json_array_get(w.violations, 2);
	assert_string_equal(str(v, "rule"), "spec.max_memory_mb");
	assert_string_equal(str(v, "detail"),
	                    "spec.node_pool.memory_mb: 1024 MiB of memory per node is more than "
	                    "the 512 allowed");
	assert_int_equal(num(v, "line"), 16);
	/* attached by name: the default image is not one of docker.io's */
	v = json_array_get(w.violations, 3);
	assert_string_equal(str(v, "policy"), "named");
	assert_string_equal(str(v, "address"), "workspace/free");
	assert_string_equal(str(v, "rule"), "spec.images");
	assert_string_equal(str(v, "detail"), "spec.node_pool.image: 'localhost/lakeform-node:1' "
	                                      "is not an allowed image");
	world_release(&w);
	free(yaml);

	/* by name: a workspace that is not declared is an error */
	yaml = lf_xasprintf("%sapiVersion: lakeform/v1\nkind: ComputePolicy\nmetadata: {name: s}\n"
	                    "spec:\n  workspaces: [nope]\n  max_nodes: 1\n",
	                    account);
	world_yaml(&w, yaml);
	assert_int_equal(w.loaded, -1);
	assert_int_equal(w.d.errors, 1);
	assert_int_equal(w.d.v[0].line, 11);
	assert_string_equal(w.d.v[0].msg, "spec.workspaces[0]: unknown workspace 'nope'");
	world_release(&w);
	free(yaml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_governance_example),
	    cmocka_unit_test(test_manifest_violation),
	    cmocka_unit_test(test_provider_violation),
	    cmocka_unit_test(test_bad_rules),
	    cmocka_unit_test(test_compute_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
