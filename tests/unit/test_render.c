/* Unit tests for src/core/render_{text,json,markdown}.c on plans built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/render.h"

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

/* A diff whose values are given as JSON text; NULL for absent. */
static void add_diff(struct lf_change *c, const char *path, const char *before, const char *after,
                     int force_new, int sensitive)
{
	json_t *b = before ? J(before) : NULL, *a = after ? J(after) : NULL;

	lf_change_add_diff(c, path, b, a, force_new, sensitive);
	json_decref(b);
	json_decref(a);
}

static void assert_text(const struct lf_plan *p, int color, const char *want)
{
	struct lf_buf out = LF_BUF_INIT;
	struct lf_render_opts o = LF_RENDER_OPTS_INIT;

	o.color = color;
	lf_render_text(&out, p, &o);
	if (strcmp(lf_buf_cstr(&out), want) != 0)
		fail_msg("got:\n%s\nwant:\n%s", lf_buf_cstr(&out), want);
	lf_buf_release(&out);
}

static char *markdown(const struct lf_plan *p, size_t max)
{
	struct lf_buf out = LF_BUF_INIT;
	struct lf_render_opts o = LF_RENDER_OPTS_INIT;

	o.max_bytes = max;
	o.dir = "cfg";
	lf_render_markdown(&out, p, &o);
	return lf_buf_detach(&out);
}

static char *json_text(const struct lf_plan *p)
{
	json_t *doc = lf_render_json(p);
	char *s = json_dumps(doc, JSON_COMPACT);

	json_decref(doc);
	return s;
}

/* resource_changes[i].change */
static json_t *change_of(json_t *doc, size_t i)
{
	return json_object_get(json_array_get(json_object_get(doc, "resource_changes"), i),
	                       "change");
}

static json_t *rc_of(json_t *doc, size_t i)
{
	return json_array_get(json_object_get(doc, "resource_changes"), i);
}

/* ---- text --------------------------------------------------------------- */

static void test_text_create(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_CREATE, "workspace", "analytics", "lakeform", NULL);
	c->file = strdup("manifests/workspaces.yaml");
	c->line = 3;
	/* keys out of order on purpose: the output sorts them */
	c->after = J("{\"spec\": {\"region\": \"us-east-1\", \"weights\": [], "
	             "\"users\": [\"user:alice@acme.com\", {\"name\": \"x\", "
	             "\"admin\": true}], \"compute\": \"serverless\", "
	             "\"nodes\": 2, \"ratio\": 0.5, \"note\": null}, "
	             "\"metadata\": {\"labels\": {\"team\": \"data\"}}}");
	assert_text(&p, 0,
	            "  + workspace/analytics\n"
	            "      # manifests/workspaces.yaml:3\n"
	            "      + metadata:\n"
	            "          + labels:\n"
	            "              + team: \"data\"\n"
	            "      + spec:\n"
	            "          + compute: \"serverless\"\n"
	            "          + nodes: 2\n"
	            "          + note: null\n"
	            "          + ratio: 0.5\n"
	            "          + region: \"us-east-1\"\n"
	            "          + users:\n"
	            "              + \"user:alice@acme.com\"\n"
	            "              + {\n"
	            "                  + admin: true\n"
	            "                  + name: \"x\"\n"
	            "                }\n"
	            "          + weights: []\n"
	            "\n"
	            "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.\n");
	lf_plan_release(&p);
}

/* scalars as jansson encodes them, whether or not they need escaping:
 * the plain ones are written without the encoder */
static void test_text_scalars(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_CREATE, "user", "u", "lakeform", NULL);
	c->after =
	    J("{\"a\": \"plain ~ text\", \"b\": \"say \\\"hi\\\"\", \"c\": \"back\\\\slash\", "
	      "\"d\": \"tab\\there\", \"e\": \"del\\u007f\", \"f\": \"caf\\u00e9\", "
	      "\"g\": \"\", \"h\": -9223372036854775807, \"i\": 0, \"j\": 0.25}");
	json_object_set_new(c->after, "k", json_stringn("nul\0in", 6));
	assert_text(&p, 0,
	            "  + user/u\n"
	            "      + a: \"plain ~ text\"\n"
	            "      + b: \"say \\\"hi\\\"\"\n"
	            "      + c: \"back\\\\slash\"\n"
	            "      + d: \"tab\\there\"\n"
	            "      + e: \"del\x7f\"\n"
	            "      + f: \"caf\xc3\xa9\"\n"
	            "      + g: \"\"\n"
	            "      + h: -9223372036854775807\n"
	            "      + i: 0\n"
	            "      + j: 0.25\n"
	            "      + k: \"nul\\u0000in\"\n"
	            "\n"
	            "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.\n");
	lf_plan_release(&p);
}

static void test_text_update_nested(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_UPDATE, "compute.node_pool", "etl", "compute", NULL);
	c->file = strdup("manifests/etl.yaml");
	c->line = 7;
	add_diff(c, "spec.node_pool.nodes", "2", "4", 0, 0);
	add_diff(c, "spec.node_pool.size", "\"small\"", "\"large\"", 0, 0);
	add_diff(c, "spec.labels", NULL, "{\"tier\": \"gold\", \"cost\": 3}", 0, 0);
	add_diff(c, "spec.old", "\"x\"", NULL, 0, 0);
	add_diff(c, "spec.zones", "[\"a\"]", "[\"a\", \"b\"]", 0, 0);
	assert_text(&p, 0,
	            "  ~ compute.node_pool/etl\n"
	            "      # manifests/etl.yaml:7\n"
	            "      ~ spec.node_pool.nodes: 2 -> 4\n"
	            "      ~ spec.node_pool.size: \"small\" -> \"large\"\n"
	            "      + spec.labels:\n"
	            "          + cost: 3\n"
	            "          + tier: \"gold\"\n"
	            "      - spec.old: \"x\"\n"
	            "      ~ spec.zones: [\"a\"] -> [\"a\",\"b\"]\n"
	            "\n"
	            "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.\n");
	lf_plan_release(&p);
}

static void test_text_replace(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_REPLACE, "compute.network", "etl", "compute", NULL);
	c->reason = LF_REASON_CANNOT_UPDATE;
	add_diff(c, "cidr", "\"10.0.0.0/16\"", "\"10.1.0.0/16\"", 1, 0);
	add_diff(c, "mtu", "1500", "9000", 0, 0);
	add_diff(c, "subnets", NULL, "[\"a\"]", 1, 0);
	c = lf_plan_add(&p, LF_ACT_REPLACE, "storage.bucket", "logs", "storage", NULL);
	c->reason = LF_REASON_BY_REQUEST;
	c->create_before_destroy = 1;
	assert_text(&p, 0,
	            "-/+ compute.network/etl\n"
	            "      # (a field that cannot be updated in place changed)\n"
	            "      ~ cidr: \"10.0.0.0/16\" -> \"10.1.0.0/16\" "
	            "# forces replacement\n"
	            "      ~ mtu: 1500 -> 9000\n"
	            "      + subnets: # forces replacement\n"
	            "          + \"a\"\n"
	            "\n"
	            "+/- storage.bucket/logs\n"
	            "      # (replacement requested with --replace)\n"
	            "\n"
	            "Plan: 0 to add, 0 to change, 2 to replace, 0 to destroy.\n");
	lf_plan_release(&p);
}

static void test_text_delete_reasons(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_DELETE, "storage.bucket", "a", "storage", NULL);
	c->reason = LF_REASON_NO_CONFIG;
	c->before = J("{\"name\": \"a\"}");
	c = lf_plan_add(&p, LF_ACT_DELETE, "storage.bucket", "b", "storage", NULL);
	c->reason = LF_REASON_DESTROY;
	c->file = strdup("manifests/b.yaml");
	c = lf_plan_add(&p, LF_ACT_DELETE, "storage.bucket", "c", "storage", NULL);
	c->reason = LF_REASON_BY_REQUEST;
	c = lf_plan_add(&p, LF_ACT_DELETE, "storage.bucket", "d", "storage", NULL);
	c->reason = LF_REASON_CANNOT_UPDATE;
	c = lf_plan_add(&p, LF_ACT_DELETE, "storage.bucket", "e", "storage", NULL);
	assert_text(&p, 0,
	            "  - storage.bucket/a\n"
	            "      # (no longer declared in the manifests)\n"
	            "\n"
	            "  - storage.bucket/b\n"
	            "      # (plan --destroy)\n"
	            "      # manifests/b.yaml\n"
	            "\n"
	            "  - storage.bucket/c\n"
	            "      # (replacement requested with --replace)\n"
	            "\n"
	            "  - storage.bucket/d\n"
	            "      # (a field that cannot be updated in place changed)\n"
	            "\n"
	            "  - storage.bucket/e\n"
	            "\n"
	            "Plan: 0 to add, 0 to change, 0 to replace, 5 to destroy.\n");
	lf_plan_release(&p);
}

/* Secrets of every shape, for the three formats. */
static void secret_plan(struct lf_plan *p)
{
	struct lf_change *c;

	memset(p, 0, sizeof(*p));
	c = lf_plan_add(p, LF_ACT_CREATE, "service_principal", "etl-bot", "lakeform", NULL);
	lf_change_add_sensitive(c, "spec.credentials");
	c->after = J("{\"spec\": {\"display_name\": \"ETL\", \"credentials\": "
	             "{\"id\": \"SECRET-id\", \"key\": \"SECRET-key\"}}}");
	c = lf_plan_add(p, LF_ACT_UPDATE, "service_principal", "ci-bot", "lakeform", NULL);
	lf_change_add_sensitive(c, "spec.secret");
	lf_change_add_sensitive(c, "spec.creds.secret");
	c->before = J("{\"spec\": {\"secret\": \"SECRET-old\", \"creds\": "
	              "{\"id\": \"a\", \"secret\": \"SECRET-1\"}}}");
	c->after = J("{\"spec\": {\"secret\": \"SECRET-new\", \"token\": "
	             "\"SECRET-tok\", \"creds\": {\"id\": \"b\", \"secret\": "
	             "\"SECRET-2\"}}}");
	add_diff(c, "spec.secret", "\"SECRET-old\"", "\"SECRET-new\"", 0, 1);
	/* marked on the diff only */
	add_diff(c, "spec.token", NULL, "\"SECRET-tok\"", 0, 1);
	add_diff(c, "spec.creds", "{\"id\": \"a\", \"secret\": \"SECRET-1\"}",
	         "{\"id\": \"b\", \"secret\": \"SECRET-2\"}", 0, 0);
	c = lf_plan_add(p, LF_ACT_DELETE, "service_principal", "old-bot", "lakeform", NULL);
	lf_change_add_sensitive(c, "spec.secret");
	c->reason = LF_REASON_NO_CONFIG;
	c->before = J("{\"spec\": {\"secret\": \"SECRET-gone\", \"name\": \"o\"}}");
}

static void test_text_sensitive(void **state)
{
	struct lf_plan p;
	(void)state;

	secret_plan(&p);
	assert_text(&p, 0,
	            "  + service_principal/etl-bot\n"
	            "      + spec:\n"
	            "          + credentials: (sensitive)\n"
	            "          + display_name: \"ETL\"\n"
	            "\n"
	            "  ~ service_principal/ci-bot\n"
	            "      ~ spec.secret: (sensitive)\n"
	            "      + spec.token: (sensitive)\n"
	            "      ~ spec.creds: {\"id\":\"a\",\"secret\":\"(sensitive)\"} -> "
	            "{\"id\":\"b\",\"secret\":\"(sensitive)\"}\n"
	            "\n"
	            "  - service_principal/old-bot\n"
	            "      # (no longer declared in the manifests)\n"
	            "\n"
	            "Plan: 1 to add, 1 to change, 0 to replace, 1 to destroy.\n");
	lf_plan_release(&p);
}

static void test_text_no_changes(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	(void)state;

	assert_text(&p, 0, "No changes. The manifests match the recorded state.\n");
	c = lf_plan_add(&p, LF_ACT_NOOP, "workspace", "analytics", "lakeform", NULL);
	c->before = J("{\"a\": 1}");
	c->after = J("{\"a\": 1}");
	assert_text(&p, 0, "No changes. The manifests match the recorded state.\n");
	assert_text(&p, 1, "No changes. The manifests match the recorded state.\n");
	p.destroy = 1;
	assert_text(&p, 0, "No changes. Nothing recorded to destroy.\n");
	p.destroy = 0;
	lf_plan_add_warning(&p, "state was refreshed");
	assert_text(&p, 0,
	            "Warning: state was refreshed\n"
	            "\n"
	            "No changes. The manifests match the recorded state.\n");
	lf_plan_release(&p);
}

static void test_text_children_and_warnings(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_CREATE, "workspace", "analytics", "lakeform", NULL);
	c->after = J("{\"region\": \"us-east-1\"}");
	c = lf_plan_add(&p, LF_ACT_CREATE, "storage.prefix", "analytics", "storage",
	                "workspace/analytics");
	c->after = J("{\"prefix\": \"ws/analytics/\"}");
	c = lf_plan_add(&p, LF_ACT_CREATE, "compute.network", "analytics", "compute",
	                "workspace/analytics");
	c->after = J("{}");
	/* an unchanged manifest resource: not shown, its child says whose */
	lf_plan_add(&p, LF_ACT_NOOP, "workspace", "etl", "lakeform", NULL);
	c = lf_plan_add(&p, LF_ACT_UPDATE, "compute.node_pool", "etl", "compute", "workspace/etl");
	add_diff(c, "nodes", "2", "3", 0, 0);
	c = lf_plan_add(&p, LF_ACT_REPLACE, "compute.network", "etl", "compute", "workspace/etl");
	c->reason = LF_REASON_CANNOT_UPDATE;
	add_diff(c, "cidr", "\"10.0.0.0/16\"", "\"10.1.0.0/16\"", 1, 0);
	lf_plan_add_warning(&p, "workspace 'etl' has no admins");
	lf_plan_add_warning(&p, "a\033[31mred\nline");
	assert_text(&p, 0,
	            "  + workspace/analytics\n"
	            "      + region: \"us-east-1\"\n"
	            "\n"
	            "      + storage.prefix/analytics\n"
	            "          + prefix: \"ws/analytics/\"\n"
	            "\n"
	            "      + compute.network/analytics\n"
	            "\n"
	            "  # part of workspace/etl\n"
	            "      ~ compute.node_pool/etl\n"
	            "          ~ nodes: 2 -> 3\n"
	            "\n"
	            "    -/+ compute.network/etl\n"
	            "          # (a field that cannot be updated in place changed)\n"
	            "          ~ cidr: \"10.0.0.0/16\" -> \"10.1.0.0/16\" "
	            "# forces replacement\n"
	            "\n"
	            "Warning: workspace 'etl' has no admins\n"
	            "Warning: a?[31mred?line\n"
	            "\n"
	            "Plan: 3 to add, 1 to change, 1 to replace, 0 to destroy.\n");
	lf_plan_release(&p);
}

static void test_text_color(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_REPLACE, "compute.network", "etl", "compute", NULL);
	add_diff(c, "cidr", "\"a\"", "\"b\"", 1, 0);
	add_diff(c, "x", NULL, "1", 0, 0);
	add_diff(c, "y", "1", NULL, 0, 0);
	c = lf_plan_add(&p, LF_ACT_DELETE, "storage.bucket", "b", "storage", NULL);
	lf_plan_add_warning(&p, "w");
	assert_text(&p, 1,
	            "\033[35m-/+\033[0m \033[1mcompute.network/etl\033[0m\n"
	            "      \033[33m~\033[0m cidr: \"a\" -> \"b\" "
	            "\033[31m# forces replacement\033[0m\n"
	            "      \033[32m+\033[0m x: 1\n"
	            "      \033[31m-\033[0m y: 1\n"
	            "\n"
	            "  \033[31m-\033[0m \033[1mstorage.bucket/b\033[0m\n"
	            "\n"
	            "\033[33m\033[1mWarning:\033[0m w\n"
	            "\n"
	            "Plan: 0 to add, 0 to change, 1 to replace, 1 to destroy.\n");
	lf_plan_release(&p);
}

static void test_text_odd_values(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_CREATE, "table", "main/s/t", "lakeform", NULL);
	c->after = J("{\"two words\": \"a\\u001b[2Jb\", \"q\\\"k\": \"\\\"\", "
	             "\"\": 1, \"caf\\u00e9\": \"\\u00e9\\n\"}");
	assert_text(&p, 0,
	            "  + table/main/s/t\n"
	            "      + \"\": 1\n"
	            "      + \"caf\u00e9\": \"\u00e9\\n\"\n"
	            "      + \"q\\\"k\": \"\\\"\"\n"
	            "      + \"two words\": \"a\\u001B[2Jb\"\n"
	            "\n"
	            "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.\n");
	lf_plan_release(&p);
}

/* ---- JSON ----------------------------------------------------------------- */

static void test_json_actions(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	json_t *doc, *planned, *prior;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_NOOP, "group", "g", "lakeform", NULL);
	c->before = J("{\"m\": []}");
	c->after = J("{\"m\": []}");
	c = lf_plan_add(&p, LF_ACT_CREATE, "storage.bucket", "new", "storage", "account/acme");
	c->after = J("{\"name\": \"new\"}");
	c = lf_plan_add(&p, LF_ACT_UPDATE, "storage.bucket", "up", "storage", NULL);
	c->before = J("{\"v\": 1}");
	c->after = J("{\"v\": 2}");
	c = lf_plan_add(&p, LF_ACT_REPLACE, "compute.network", "r1", "compute", NULL);
	c->before = J("{\"v\": 1}");
	c->after = J("{\"v\": 2}");
	c = lf_plan_add(&p, LF_ACT_REPLACE, "compute.network", "r2", "compute", NULL);
	c->create_before_destroy = 1;
	c->before = J("{\"v\": 1}");
	c->after = J("{\"v\": 2}");
	c = lf_plan_add(&p, LF_ACT_DELETE, "storage.bucket", "old", "storage", NULL);
	c->before = J("{\"v\": 1}");
	doc = lf_render_json(&p);
	assert_json(json_object_get(change_of(doc, 0), "actions"), "[\"no-op\"]");
	assert_json(json_object_get(change_of(doc, 1), "actions"), "[\"create\"]");
	assert_json(json_object_get(change_of(doc, 2), "actions"), "[\"update\"]");
	assert_json(json_object_get(change_of(doc, 3), "actions"), "[\"delete\", \"create\"]");
	assert_json(json_object_get(change_of(doc, 4), "actions"), "[\"create\", \"delete\"]");
	assert_json(json_object_get(change_of(doc, 5), "actions"), "[\"delete\"]");
	/* a resource change, field by field */
	assert_json(rc_of(doc, 1), "{\"address\": \"storage.bucket/new\", \"mode\": \"managed\", "
	                           "\"type\": \"storage.bucket\", \"name\": \"new\", "
	                           "\"provider_name\": \"registry.lakeform.dev/lakeform/storage\", "
	                           "\"change\": {\"actions\": [\"create\"], \"before\": null, "
	                           "\"after\": {\"name\": \"new\"}, \"after_unknown\": {}, "
	                           "\"before_sensitive\": false, \"after_sensitive\": {}}, "
	                           "\"lakeform\": {\"parent\": \"account/acme\"}}");
	assert_json(change_of(doc, 5), "{\"actions\": [\"delete\"], \"before\": {\"v\": 1}, "
	                               "\"after\": null, \"after_unknown\": {}, "
	                               "\"before_sensitive\": {}, \"after_sensitive\": false}");
	assert_null(json_object_get(rc_of(doc, 1), "index"));
	/* planned values: everything that exists after apply */
	planned = json_object_get(
	    json_object_get(json_object_get(doc, "planned_values"), "root_module"), "resources");
	assert_int_equal(json_array_size(planned), 5);
	assert_json(json_array_get(planned, 1),
	            "{\"address\": \"storage.bucket/new\", \"mode\": \"managed\", "
	            "\"type\": \"storage.bucket\", \"name\": \"new\", "
	            "\"provider_name\": \"registry.lakeform.dev/lakeform/storage\", "
	            "\"schema_version\": 0, \"values\": {\"name\": \"new\"}, "
	            "\"sensitive_values\": {}}");
	/* prior state: everything recorded before */
	prior = json_object_get(
	    json_object_get(json_object_get(json_object_get(doc, "prior_state"), "values"),
	                    "root_module"),
	    "resources");
	assert_int_equal(json_array_size(prior), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(prior, 4), "address")),
	                    "storage.bucket/old");
	json_decref(doc);
	lf_plan_release(&p);
}

static void test_json_reasons_and_replace_paths(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	json_t *doc;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_REPLACE, "compute.network", "n", "compute", NULL);
	c->reason = LF_REASON_CANNOT_UPDATE;
	c->before = J("{\"cidr\": \"a\", \"subnets\": [{\"cidr\": \"x\"}, "
	              "{\"cidr\": \"y\"}], \"mtu\": 1}");
	c->after = J("{\"cidr\": \"b\", \"subnets\": [{\"cidr\": \"x\"}, "
	             "{\"cidr\": \"z\"}], \"mtu\": 2, \"m\": {\"7\": 1}}");
	add_diff(c, "cidr", "\"a\"", "\"b\"", 1, 0);
	add_diff(c, "mtu", "1", "2", 0, 0);
	add_diff(c, "subnets.1.cidr", "\"y\"", "\"z\"", 1, 0);
	add_diff(c, "m.7", NULL, "1", 1, 0); /* "7" is a key here, not an index */
	c = lf_plan_add(&p, LF_ACT_REPLACE, "storage.bucket", "b", "storage", NULL);
	c->reason = LF_REASON_BY_REQUEST;
	c = lf_plan_add(&p, LF_ACT_DELETE, "storage.bucket", "c", "storage", NULL);
	c->reason = LF_REASON_NO_CONFIG;
	c = lf_plan_add(&p, LF_ACT_DELETE, "storage.bucket", "d", "storage", NULL);
	c->reason = LF_REASON_DESTROY;
	c = lf_plan_add(&p, LF_ACT_UPDATE, "storage.bucket", "e", "storage", NULL);
	add_diff(c, "v", "1", "2", 0, 0);
	doc = lf_render_json(&p);
	assert_json(json_object_get(change_of(doc, 0), "replace_paths"),
	            "[[\"cidr\"], [\"subnets\", 1, \"cidr\"], [\"m\", \"7\"]]");
	assert_json(json_object_get(rc_of(doc, 0), "action_reason"),
	            "\"replace_because_cannot_update\"");
	assert_null(json_object_get(change_of(doc, 1), "replace_paths"));
	assert_json(json_object_get(rc_of(doc, 1), "action_reason"), "\"replace_by_request\"");
	assert_json(json_object_get(rc_of(doc, 2), "action_reason"),
	            "\"delete_because_no_resource_config\"");
	/* like terraform destroy: no reason given */
	assert_null(json_object_get(rc_of(doc, 3), "action_reason"));
	assert_null(json_object_get(rc_of(doc, 4), "action_reason"));
	assert_null(json_object_get(change_of(doc, 4), "replace_paths"));
	json_decref(doc);
	lf_plan_release(&p);
}

static void test_json_sensitive(void **state)
{
	struct lf_plan p;
	json_t *doc;
	char *s;
	(void)state;

	secret_plan(&p);
	s = json_text(&p);
	assert_null(strstr(s, "SECRET"));
	free(s);
	doc = lf_render_json(&p);
	assert_json(change_of(doc, 0), "{\"actions\": [\"create\"], \"before\": null, "
	                               "\"after\": {\"spec\": {\"display_name\": \"ETL\", "
	                               "\"credentials\": \"(sensitive)\"}}, \"after_unknown\": {}, "
	                               "\"before_sensitive\": false, "
	                               "\"after_sensitive\": {\"spec\": {\"credentials\": true}}}");
	assert_json(change_of(doc, 1), "{\"actions\": [\"update\"], "
	                               "\"before\": {\"spec\": {\"secret\": \"(sensitive)\", "
	                               "\"creds\": {\"id\": \"a\", \"secret\": \"(sensitive)\"}}}, "
	                               "\"after\": {\"spec\": {\"secret\": \"(sensitive)\", "
	                               "\"token\": \"(sensitive)\", \"creds\": {\"id\": \"b\", "
	                               "\"secret\": \"(sensitive)\"}}}, \"after_unknown\": {}, "
	                               "\"before_sensitive\": {\"spec\": {\"secret\": true, "
	                               "\"creds\": {\"secret\": true}}}, "
	                               "\"after_sensitive\": {\"spec\": {\"secret\": true, "
	                               "\"token\": true, \"creds\": {\"secret\": true}}}}");
	assert_json(change_of(doc, 2), "{\"actions\": [\"delete\"], "
	                               "\"before\": {\"spec\": {\"secret\": \"(sensitive)\", "
	                               "\"name\": \"o\"}}, \"after\": null, \"after_unknown\": {}, "
	                               "\"before_sensitive\": {\"spec\": {\"secret\": true}}, "
	                               "\"after_sensitive\": false}");
	assert_json(json_object_get(
	                json_array_get(
	                    json_object_get(json_object_get(json_object_get(doc, "planned_values"),
	                                                    "root_module"),
	                                    "resources"),
	                    0),
	                "sensitive_values"),
	            "{\"spec\": {\"credentials\": true}}");
	json_decref(doc);
	lf_plan_release(&p);
}

static void test_json_arrays_in_sensitive_shape(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	json_t *doc;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_CREATE, "storage.policy", "p", "storage", NULL);
	lf_change_add_sensitive(c, "keys.1");
	c->after = J("{\"keys\": [\"k0\", \"k1\", {\"a\": 1}], \"none\": [], "
	             "\"n\": null}");
	doc = lf_render_json(&p);
	assert_json(json_object_get(change_of(doc, 0), "after"),
	            "{\"keys\": [\"k0\", \"(sensitive)\", {\"a\": 1}], "
	            "\"none\": [], \"n\": null}");
	assert_json(json_object_get(change_of(doc, 0), "after_sensitive"),
	            "{\"keys\": [false, true, {}], \"none\": []}");
	json_decref(doc);
	lf_plan_release(&p);
}

static void test_json_top_level(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	json_t *doc, *cfg;
	(void)state;

	memcpy(p.lineage, "0b7e3c52-8a4f-4d2e-9a55-3f1c2b9e7d10", 37);
	p.serial = 7;
	p.created = strdup("2024-05-01T12:00:00Z");
	p.version = strdup("0.1.0");
	p.partial = 1;
	lf_plan_add_warning(&p, "targeting is in effect");
	c = lf_plan_add(&p, LF_ACT_CREATE, "workspace", "w", "lakeform", NULL);
	c->after = J("{}");
	c->file = strdup("m.yaml");
	c->line = 4;
	c = lf_plan_add(&p, LF_ACT_CREATE, "storage.prefix", "w", "storage", "workspace/w");
	c->after = J("{}");
	c = lf_plan_add(&p, LF_ACT_CREATE, "storage.prefix", "w2", "storage", "workspace/w");
	c->after = J("{}");
	doc = lf_render_json(&p);
	assert_json(json_object_get(doc, "format_version"), "\"1.2\"");
	assert_json(json_object_get(doc, "terraform_version"), "\"" LF_VERSION "\"");
	assert_json(json_object_get(doc, "resource_drift"), "[]");
	assert_json(json_object_get(doc, "output_changes"), "{}");
	assert_json(json_object_get(doc, "timestamp"), "\"2024-05-01T12:00:00Z\"");
	assert_json(json_object_get(doc, "errored"), "false");
	assert_json(json_object_get(doc, "applyable"), "true");
	assert_json(json_object_get(doc, "complete"), "false");
	/* nothing recorded before: no prior state, as Terraform */
	assert_null(json_object_get(doc, "prior_state"));
	cfg = json_object_get(doc, "configuration");
	assert_json(json_object_get(cfg, "provider_config"),
	            "{\"lakeform\": {\"name\": \"lakeform\", \"full_name\": "
	            "\"registry.lakeform.dev/lakeform/lakeform\"}, "
	            "\"storage\": {\"name\": \"storage\", \"full_name\": "
	            "\"registry.lakeform.dev/lakeform/storage\"}}");
	assert_json(
	    json_array_get(json_object_get(json_object_get(cfg, "root_module"), "resources"), 0),
	    "{\"address\": \"workspace/w\", \"mode\": \"managed\", "
	    "\"type\": \"workspace\", \"name\": \"w\", "
	    "\"provider_config_key\": \"lakeform\", \"expressions\": {}, "
	    "\"schema_version\": 0}");
	assert_json(json_object_get(rc_of(doc, 0), "lakeform"),
	            "{\"parent\": null, \"file\": \"m.yaml\", \"line\": 4}");
	assert_json(json_object_get(doc, "lakeform"),
	            "{\"version\": \"0.1.0\", \"lineage\": "
	            "\"0b7e3c52-8a4f-4d2e-9a55-3f1c2b9e7d10\", \"serial\": 7, "
	            "\"git_commit\": null, \"destroy\": false, \"partial\": true, "
	            "\"warnings\": [\"targeting is in effect\"], \"policy_violations\": [], "
	            "\"summary\": "
	            "{\"add\": 3, \"change\": 0, \"replace\": 0, \"destroy\": 0}}");
	json_decref(doc);
	lf_plan_release(&p);

	/* an empty plan */
	memset(&p, 0, sizeof(p));
	doc = lf_render_json(&p);
	assert_json(json_object_get(doc, "resource_changes"), "[]");
	assert_json(json_object_get(doc, "applyable"), "false");
	assert_json(json_object_get(doc, "complete"), "true");
	assert_null(json_object_get(doc, "timestamp"));
	json_decref(doc);
}

/* ---- Markdown ------------------------------------------------------------- */

static size_t count_lines_starting(const char *s, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, prefix, len) == 0)
			n++;
	return n;
}

static void test_md_small(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	char *md;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_UPDATE, "compute.node_pool", "etl", "compute", "workspace/etl");
	c->file = strdup("etl.yaml");
	c->line = 2;
	add_diff(c, "spec.nodes", "2", "4", 0, 0);
	add_diff(c, "spec.tags", NULL, "{\"a\": \"b\"}", 0, 0);
	c = lf_plan_add(&p, LF_ACT_NOOP, "group", "unchanged", "lakeform", NULL);
	c = lf_plan_add(&p, LF_ACT_DELETE, "storage.bucket", "old", "storage", NULL);
	c->reason = LF_REASON_NO_CONFIG;
	lf_plan_add_warning(&p, "a <b> & c|d");
	md = markdown(&p, 65535);
	assert_string_equal(md, "### lakeform plan: 0 to add, 1 to change, 0 to replace, "
	                        "1 to destroy\n"
	                        "\n"
	                        "**Directory** <code>cfg</code>\n"
	                        "\n"
	                        "> **Warning:** applying this plan **destroys 1 resource**:\n"
	                        ">\n"
	                        "> - destroy <code>storage.bucket/old</code>: no longer "
	                        "declared in the manifests\n"
	                        "\n"
	                        "> **Warning:** a &lt;b&gt; &amp; c&#124;d\n"
	                        "\n"
	                        "**To apply:** merge this pull request; the pipeline of the "
	                        "main branch applies the merged commit. By hand: "
	                        "<code>lakeform -C cfg apply</code>.\n"
	                        "\n"
	                        "<details><summary>Show the 2 changes, under 2 manifest "
	                        "resources</summary>\n"
	                        "\n"
	                        "| manifest resource | change | its provider resources |\n"
	                        "|---|---|---|\n"
	                        "| <code>workspace/etl</code> | no change | 1 update |\n"
	                        "| <code>storage.bucket/old</code> | destroy | none |\n"
	                        "\n"
	                        "#### changes under <code>workspace/etl</code>\n"
	                        "\n"
	                        "```diff\n"
	                        "!       compute.node_pool/etl\n"
	                        "          # etl.yaml:2\n"
	                        "!           spec.nodes: 2 -> 4\n"
	                        "+           spec.tags:\n"
	                        "+               a: \"b\"\n"
	                        "```\n"
	                        "\n"
	                        "#### destroy <code>storage.bucket/old</code>\n"
	                        "\n"
	                        "```diff\n"
	                        "-   storage.bucket/old\n"
	                        "      # (no longer declared in the manifests)\n"
	                        "```\n"
	                        "\n"
	                        "</details>\n");
	assert_null(strstr(md, "unchanged"));
	free(md);
	lf_plan_release(&p);
}

/* Provider resources under their manifest resource, which comes first; a
 * replacement is '!' (changed), never '-' (deleted), in column one. */
static void test_md_groups_and_replace(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	char *md;
	(void)state;

	p.git_commit = strdup("0123456789abcdef0123456789abcdef01234567");
	p.partial = 1;
	c = lf_plan_add(&p, LF_ACT_REPLACE, "compute.network", "w", "compute", "workspace/w");
	c->reason = LF_REASON_CANNOT_UPDATE;
	add_diff(c, "cidr", "\"10.0.0.0/16\"", "\"10.1.0.0/16\"", 1, 0);
	c = lf_plan_add(&p, LF_ACT_CREATE, "group", "g", "lakeform", NULL);
	c->after = J("{\"n\": 1}");
	c = lf_plan_add(&p, LF_ACT_UPDATE, "workspace", "w", "lakeform", NULL);
	add_diff(c, "spec.network.cidr", "\"10.0.0.0/16\"", "\"10.1.0.0/16\"", 0, 0);
	c = lf_plan_add(&p, LF_ACT_REPLACE, "compute.node_pool", "w", "compute", "workspace/w");
	c->reason = LF_REASON_REPLACED_WITH;
	c->create_before_destroy = 1;
	md = markdown(&p, 65535);
	assert_non_null(strstr(md, "**Directory** <code>cfg</code> · **Commit** <code>"
	                           "0123456789ab</code> · **Partial** (--target or --exclude)\n"));
	assert_non_null(strstr(md, "**replaces 2** (destroyed, then created again):\n>\n"
	                           "> - replace <code>compute.network/w</code>: <code>cidr"
	                           "</code> cannot change in place\n"
	                           "> - replace <code>compute.node_pool/w</code>: what it lives "
	                           "in or on is replaced\n"));
	assert_non_null(strstr(md, "| <code>workspace/w</code> | update | 2 replace |\n"
	                           "| <code>group/g</code> | create | none |\n\n"));
	assert_non_null(strstr(md, "#### update <code>workspace/w</code>\n\n```diff\n"
	                           "!   workspace/w\n"
	                           "!       spec.network.cidr: \"10.0.0.0/16\" -> \"10.1.0.0/16\"\n"
	                           "\n"
	                           "!    -/+ compute.network/w\n"));
	assert_non_null(strstr(md, "!    +/- compute.node_pool/w\n"));
	/* one fold, and no line of a replacement starts with '-' */
	assert_int_equal(count_lines_starting(md, "<details>"), 1);
	assert_int_equal(count_lines_starting(md, "</details>"), 1);
	assert_int_equal(count_lines_starting(md, "-"), 0);
	free(md);
	lf_plan_release(&p);
}

static void test_md_no_changes_and_sensitive(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	char *md;
	(void)state;

	lf_plan_add(&p, LF_ACT_NOOP, "group", "g", "lakeform", NULL);
	md = markdown(&p, 65535);
	assert_string_equal(md, "### lakeform plan: no changes, the manifests match the "
	                        "recorded state\n\n**Directory** <code>cfg</code>\n\n");
	free(md);
	lf_plan_release(&p);

	secret_plan(&p);
	md = markdown(&p, 65535);
	assert_null(strstr(md, "SECRET"));
	assert_non_null(strstr(md, "+           credentials: (sensitive)\n"));
	assert_non_null(strstr(md, "!       spec.secret: (sensitive)\n"));
	free(md);
	/* and when the sections are left out */
	md = markdown(&p, 1000);
	assert_null(strstr(md, "SECRET"));
	assert_non_null(strstr(md, "is left out"));
	free(md);
	lf_plan_release(&p);
}

static void test_md_fence_and_escaping(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	char *md;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_CREATE, "table", "a|b<c>", "lakeform", NULL);
	c->after = J("{\"comment\": \"```` </details>\"}");
	md = markdown(&p, 65535);
	assert_non_null(strstr(md, "| <code>table/a&#124;b&lt;c&gt;</code> | create |"));
	assert_non_null(strstr(md, "#### create <code>table/a&#124;b&lt;c&gt;</code>\n"));
	/* a fence longer than any run of backticks inside */
	assert_non_null(strstr(md, "\n`````diff\n"));
	assert_non_null(strstr(md, "\n`````\n\n</details>"));
	free(md);
	lf_plan_release(&p);
}

static void big_plan(struct lf_plan *p, size_t n, size_t value_len)
{
	char *big = malloc(value_len + 1);

	memset(big, 'v', value_len);
	big[value_len] = '\0';
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		char name[32], parent[32];
		struct lf_change *c;

		snprintf(name, sizeof(name), "bucket-%06zu", i);
		snprintf(parent, sizeof(parent), "account/a%02zu", i % 25);
		c = lf_plan_add(p, LF_ACT_CREATE, "storage.bucket", name, "storage", parent);
		c->after = json_pack("{s:s,s:s}", "name", name, "blob", big);
	}
	free(big);
}

/* 50,000 provider resources under 25 manifest resources: the heading, the
 * warning and the table stay, the sections that fit are shown whole, a line
 * counts the others. */
static void test_md_huge_plan(void **state)
{
	struct lf_plan p;
	const char *left;
	size_t rows, sections, rest;
	char *md;
	(void)state;

	big_plan(&p, 50000, 16);
	lf_plan_add_warning(&p, "a warning that should still be seen");
	md = markdown(&p, 65535);
	assert_true(strlen(md) <= 65535);
	assert_non_null(strstr(md, "### lakeform plan: 50000 to add, 0 to change, "
	                           "0 to replace, 0 to destroy\n"));
	assert_non_null(strstr(md, "a warning that should still be seen"));
	assert_int_equal(count_lines_starting(md, "<details>"), 1);
	rows = count_lines_starting(md, "| <code>account/");
	assert_int_equal(rows, 25);
	assert_non_null(strstr(md, "| <code>account/a00</code> | no change | 2000 create |\n"));
	/* a section of 2,000 resources is longer than a comment: none fits */
	sections = count_lines_starting(md, "#### changes under <code>account/");
	assert_int_equal(sections, 0);
	left = strstr(md, "_The detail of ");
	assert_non_null(left);
	assert_int_equal(sscanf(left, "_The detail of %zu more", &rest), 1);
	assert_int_equal(sections + rest, 25);
	/* sections are whole: every fence is closed, the fold too */
	assert_int_equal(count_lines_starting(md, "```diff") * 2, count_lines_starting(md, "```"));
	assert_string_equal(md + strlen(md) - strlen("</details>\n"), "</details>\n");
	free(md);
	lf_plan_release(&p);
}

/* opts.flush: the text handed out as it is made (after each few thousand
 * changes, 64 KiB or more at a time), then what is left in `out`, is the
 * whole text */
struct pieces {
	struct lf_buf all;
	size_t n, smallest;
};

static void collect(void *arg, const char *text, size_t n)
{
	struct pieces *p = arg;

	lf_buf_add(&p->all, text, n);
	p->n++;
	if (!p->smallest || n < p->smallest)
		p->smallest = n;
}

static void test_text_flushed(void **state)
{
	struct lf_plan p;
	struct lf_buf whole = LF_BUF_INIT, rest = LF_BUF_INIT;
	struct lf_render_opts o = LF_RENDER_OPTS_INIT;
	struct pieces got = {LF_BUF_INIT, 0, 0};
	(void)state;

	big_plan(&p, 20000, 16);
	lf_render_text(&whole, &p, &o);
	o.flush = collect;
	o.flush_arg = &got;
	lf_render_text(&rest, &p, &o);
	assert_true(whole.len > 4 * 65536);
	assert_true(got.n >= 3);
	assert_true(got.smallest >= 65536);
	assert_true(rest.len < 65536 + 4096);
	lf_buf_add(&got.all, rest.ptr, rest.len);
	assert_int_equal(got.all.len, whole.len);
	assert_string_equal(lf_buf_cstr(&got.all), lf_buf_cstr(&whole));
	lf_buf_release(&whole);
	lf_buf_release(&rest);
	lf_buf_release(&got.all);
	lf_plan_release(&p);
}

/* The text is made in pieces on every core: a run of changes under one
 * parent that crosses from piece to piece still has one "# part of" line,
 * and blocks one blank line between them. */
static void test_text_pieces_join(void **state)
{
	struct lf_plan p;
	struct lf_buf out = LF_BUF_INIT;
	struct lf_render_opts o = LF_RENDER_OPTS_INIT;
	(void)state;

	memset(&p, 0, sizeof(p));
	for (size_t i = 0; i < 3000; i++) {
		char name[32], parent[32];
		snprintf(name, sizeof(name), "b-%04zu", i);
		snprintf(parent, sizeof(parent), "account/a%zu", i / 700);
		struct lf_change *c =
		    lf_plan_add(&p, LF_ACT_CREATE, "storage.bucket", name, "storage", parent);
		c->after = json_pack("{s:s}", "name", name);
		if (i == 1000 || i == 1023) /* a manifest resource of its own in between */
			lf_plan_add(&p, LF_ACT_CREATE, "catalog", i == 1000 ? "m/c" : "m/d",
			            "lakeform", NULL);
	}
	lf_render_text(&out, &p, &o);
	const char *text = lf_buf_cstr(&out);
	/* a0..a4, and a1 again after each of the two catalogs */
	assert_int_equal(count_lines_starting(text, "  # part of "), 7);
	assert_int_equal(count_lines_starting(text, "  # part of account/a1\n"), 3);
	assert_int_equal(count_lines_starting(text, "  + catalog/m/"), 2);
	assert_int_equal(count_lines_starting(text, "      + storage.bucket/b-"), 3000);
	/* one blank line between blocks, one before the summary */
	assert_int_equal(count_lines_starting(text, "\n"), 3002);
	lf_buf_release(&out);
	lf_plan_release(&p);
}

static void test_md_sections_fit_or_not(void **state)
{
	struct lf_plan p;
	char *md;
	(void)state;

	/* 300 changes of about 1 KB each: some sections fit, the table does */
	big_plan(&p, 300, 1000);
	md = markdown(&p, 65535);
	assert_true(strlen(md) <= 65535);
	assert_non_null(strstr(md, "is left out"));
	assert_int_equal(count_lines_starting(md, "| <code>account/"), 25);
	assert_int_equal(count_lines_starting(md, "<details>"), 1);
	free(md);
	/* with a larger limit every section is there */
	md = markdown(&p, 1000000);
	assert_null(strstr(md, "is left out"));
	assert_int_equal(count_lines_starting(md, "#### changes under"), 25);
	assert_int_equal(count_lines_starting(md, "+   storage.bucket/") +
	                     count_lines_starting(md, "+       storage.bucket/"),
	                 300);
	free(md);
	lf_plan_release(&p);
}

static void test_md_never_over_limit(void **state)
{
	struct lf_plan p;
	(void)state;

	big_plan(&p, 2000, 8);
	for (int i = 0; i < 100; i++)
		lf_plan_add_warning(&p, "warning number %d, with some words", i);
	for (size_t max = 0; max < 12000; max += 97) {
		char *md = markdown(&p, max);

		if (strlen(md) > max)
			fail_msg("%zu bytes for a limit of %zu", strlen(md), max);
		free(md);
	}
	lf_plan_release(&p);
}

/* The policies' warnings: above the fold, escaped, the first 20 listed */
static void test_md_policy_violations(void **state)
{
	struct lf_plan p;
	char *md;

	memset(&p, 0, sizeof(p));
	lf_plan_add(&p, LF_ACT_CREATE, "workspace", "w", "lakeform", NULL);
	p.violations = json_array();
	for (int i = 0; i < 22; i++)
		json_array_append_new(
		    p.violations,
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:i, s:i}",
		              "policy", "tags", "kind", "Policy", "rule", "spec.rules[0]",
		              "enforcement", "warn", "address", i ? "workspace/w" : "workspace/<b>",
		              "message", "tagged *please*", "detail",
		              "spec.tags: missing required property 'owner'", "file", "ws.yaml",
		              "line", 7, "column", 5, "rule_file", "p.yaml", "rule_line", 11,
		              "rule_column", 7));
	md = markdown(&p, 65535);
	assert_non_null(strstr(md, "> **Policy:** 22 violations of policies that warn\n"));
	assert_non_null(strstr(md, "> - <code>workspace/w</code> (ws.yaml:7:5) violates Policy "
	                           "<code>tags</code> <code>spec.rules[0]</code> (p.yaml:11:7): "
	                           "tagged \\*please\\*: spec.tags: missing required property "
	                           "'owner'\n"));
	/* what a reader writes is not markup */
	assert_null(strstr(md, "<b>"));
	assert_int_equal(count_lines_starting(md, "> - <code>workspace/"), 20);
	assert_non_null(strstr(md, "> - and 2 more; run `lakeform plan` to read them\n"));
	/* above the fold */
	assert_true(strstr(md, "Policy:") < strstr(md, "<details>"));
	free(md);
	lf_plan_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_create),
	    cmocka_unit_test(test_text_scalars),
	    cmocka_unit_test(test_text_update_nested),
	    cmocka_unit_test(test_text_replace),
	    cmocka_unit_test(test_text_delete_reasons),
	    cmocka_unit_test(test_text_sensitive),
	    cmocka_unit_test(test_text_no_changes),
	    cmocka_unit_test(test_text_children_and_warnings),
	    cmocka_unit_test(test_text_color),
	    cmocka_unit_test(test_text_odd_values),
	    cmocka_unit_test(test_json_actions),
	    cmocka_unit_test(test_json_reasons_and_replace_paths),
	    cmocka_unit_test(test_json_sensitive),
	    cmocka_unit_test(test_json_arrays_in_sensitive_shape),
	    cmocka_unit_test(test_json_top_level),
	    cmocka_unit_test(test_md_small),
	    cmocka_unit_test(test_md_groups_and_replace),
	    cmocka_unit_test(test_md_no_changes_and_sensitive),
	    cmocka_unit_test(test_md_fence_and_escaping),
	    cmocka_unit_test(test_md_huge_plan),
	    cmocka_unit_test(test_text_flushed),
	    cmocka_unit_test(test_text_pieces_join),
	    cmocka_unit_test(test_md_sections_fit_or_not),
	    cmocka_unit_test(test_md_never_over_limit),
	    cmocka_unit_test(test_md_policy_violations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
