/*
 * Unit tests for src/core/overlay.c: bases, patches (RFC 7386 and RFC 6902)
 * and variables, read through an in-memory io (directories of YAML texts),
 * and the positions of patched and substituted values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/overlay.h"
#include "util/mem.h"

/* ---- an in-memory tree: directory -> lakeform.yaml and one manifest file -- */

struct mem_dir {
	const char *dir;
	const char *settings; /* NULL: none */
	const char *manifests;
};

struct mem_tree {
	const struct mem_dir *dirs;
	size_t n;
};

static const struct mem_dir *find(const struct mem_tree *t, const char *dir)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->dirs[i].dir, dir))
			return &t->dirs[i];
	return NULL;
}

static int mem_load_dir(void *arg, struct lf_source *src, const char *dir, struct lf_diags *d)
{
	const struct mem_dir *m = find(arg, dir);
	if (!m) {
		lf_diag_error(d, NULL, "cannot read '%s': No such file or directory", dir);
		return -1;
	}
	char *name = lf_xasprintf("%s/m.yaml", dir);
	int err = lf_source_load_buffer(src, name, m->manifests, strlen(m->manifests), d);
	free(name);
	return err;
}

static int mem_load_settings(void *arg, struct lf_source *src, const char *dir, struct lf_diags *d)
{
	const struct mem_dir *m = find(arg, dir);
	if (!m || !m->settings)
		return 0;
	char *name = lf_xasprintf("%s/lakeform.yaml", dir);
	int err = lf_source_load_buffer(src, name, m->settings, strlen(m->settings), d);
	free(name);
	return err;
}

static const char *env_value;
static const char *test_getenv(const char *name, void *arg)
{
	(void)arg;
	return !strcmp(name, "LAKEFORM_VAR_region") ? env_value : NULL;
}

static int load(struct lf_source *out, const struct mem_dir *dirs, size_t n,
                const struct lf_var_arg *args, size_t nargs, struct lf_diags *d)
{
	struct mem_tree t = {dirs, n};
	struct lf_overlay_io io = {mem_load_dir, mem_load_settings, &t, "dev", "the top"};
	struct lf_overlay_vars v = {args, nargs, test_getenv, NULL};
	return lf_overlay_load(out, &io, &v, d);
}

static json_t *doc(struct lf_source *src, size_t i)
{
	assert_true(i < src->ndocs);
	return src->docs[i].root;
}

static struct lf_pos at(struct lf_source *src, size_t i, const char *path, size_t index)
{
	return lf_source_path_pos(src, &src->docs[i], path, index);
}

static void assert_pos(struct lf_pos p, const char *file, unsigned line, unsigned col)
{
	assert_non_null(p.file);
	assert_string_equal(p.file, file);
	assert_int_equal(p.line, line);
	assert_int_equal(p.col, col);
}

static const char base_yaml[] = "kind: Workspace\n"             /* 1 */
                                "metadata: {name: w}\n"         /* 2 */
                                "spec:\n"                       /* 3 */
                                "  region: us-east-1\n"         /* 4 */
                                "  users: [a, b, c]\n"          /* 5 */
                                "  pool: {nodes: 2, cpus: 1}\n" /* 6 */
                                "  tags: {x~y: 1, a/b: 2}\n";   /* 7 */

/* RFC 7386: members merge, null removes, a non-object replaces */
static void test_merge_patch(void **state)
{
	(void)state;
	struct mem_dir dirs[] = {
	    {"../base", NULL, base_yaml},
	    {".",
	     "base: ../base\n"
	     "patches:\n"
	     "  - target: {kind: Workspace, name: w}\n"
	     "    merge:\n"
	     "      spec:\n"
	     "        region: eu-west-1\n"
	     "        pool: {nodes: 4, cpus: null}\n"
	     "        users: [z]\n",
	     ""},
	};
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	assert_int_equal(load(&src, dirs, 2, NULL, 0, &d), 0);
	assert_int_equal(d.errors, 0);
	json_t *spec = json_object_get(doc(&src, 0), "spec");
	assert_string_equal(json_string_value(json_object_get(spec, "region")), "eu-west-1");
	json_t *pool = json_object_get(spec, "pool");
	assert_int_equal(json_integer_value(json_object_get(pool, "nodes")), 4);
	assert_null(json_object_get(pool, "cpus"));
	assert_int_equal(json_array_size(json_object_get(spec, "users")), 1);
	/* patched values point into lakeform.yaml, the others into the base */
	assert_pos(at(&src, 0, "spec.region", (size_t)-1), "./lakeform.yaml", 6, 17);
	assert_pos(at(&src, 0, "spec.pool.nodes", (size_t)-1), "./lakeform.yaml", 7, 23);
	assert_pos(at(&src, 0, "spec.users", 0), "./lakeform.yaml", 8, 17);
	assert_pos(at(&src, 0, "spec.tags", (size_t)-1), "../base/m.yaml", 7, 9);
	assert_pos(at(&src, 0, "metadata.name", (size_t)-1), "../base/m.yaml", 2, 18);
	lf_source_release(&src);
	lf_diags_release(&d);
}

/* RFC 6902: inserting shifts a list, yet each item keeps its own line;
 * move keeps the moved value's position; ~0 and ~1 escape */
static void test_json_patch(void **state)
{
	(void)state;
	struct mem_dir dirs[] = {
	    {"../base", NULL, base_yaml},
	    {".",
	     "base: ../base\n"
	     "patches:\n"
	     "  - target: {kind: Workspace, name: w}\n"
	     "    json:\n"
	     "      - {op: add, path: /spec/users/0, value: first}\n"
	     "      - {op: remove, path: /spec/users/2}\n"
	     "      - {op: move, from: /spec/region, path: /spec/home}\n"
	     "      - {op: copy, from: /spec/pool, path: /spec/pool2}\n"
	     "      - {op: replace, path: /spec/tags/x~0y, value: 9}\n"
	     "      - {op: remove, path: /spec/tags/a~1b}\n"
	     "      - {op: move, from: /spec/pool, path: /spec/pool}\n"
	     "      - {op: test, path: /spec/pool/nodes, value: 2}\n"
	     "      - {op: add, path: /spec/users/-, value: last}\n",
	     ""},
	};
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	assert_int_equal(load(&src, dirs, 2, NULL, 0, &d), 0);
	assert_int_equal(d.errors, 0);
	json_t *spec = json_object_get(doc(&src, 0), "spec");
	char *users = json_dumps(json_object_get(spec, "users"), JSON_COMPACT);
	assert_string_equal(users, "[\"first\",\"a\",\"c\",\"last\"]");
	free(users);
	assert_null(json_object_get(spec, "region"));
	assert_string_equal(json_string_value(json_object_get(spec, "home")), "us-east-1");
	assert_true(json_equal(json_object_get(spec, "pool"), json_object_get(spec, "pool2")));
	char *tags = json_dumps(json_object_get(spec, "tags"), JSON_COMPACT);
	assert_string_equal(tags, "{\"x~y\":9}");
	free(tags);
	/* "first" from the patch; "a" and "c" still on base line 5 at their
	 * own columns, though their indexes moved */
	assert_pos(at(&src, 0, "spec.users", 0), "./lakeform.yaml", 5, 47);
	assert_pos(at(&src, 0, "spec.users", 1), "../base/m.yaml", 5, 11);
	assert_pos(at(&src, 0, "spec.users", 2), "../base/m.yaml", 5, 17);
	assert_pos(at(&src, 0, "spec.home", (size_t)-1), "../base/m.yaml", 4, 11);
	assert_pos(at(&src, 0, "spec.pool2.cpus", (size_t)-1), "../base/m.yaml", 6, 26);
	lf_source_release(&src);
	lf_diags_release(&d);
}

/* an operation that does not fit stops its patch, at the op's position */
static void test_json_patch_errors(void **state)
{
	(void)state;
	struct mem_dir dirs[] = {
	    {"../base", NULL, base_yaml},
	    {".",
	     "base: ../base\n"
	     "patches:\n"
	     "  - target: {kind: Workspace, name: w}\n"
	     "    json:\n"
	     "      - {op: replace, path: /spec/nope/x, value: 1}\n"
	     "      - {op: add, path: /spec/later, value: 1}\n"
	     "  - target: {kind: Workspace, name: gone}\n"
	     "    merge: {spec: {}}\n",
	     ""},
	};
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	assert_int_equal(load(&src, dirs, 2, NULL, 0, &d), -1);
	assert_int_equal(d.errors, 2);
	lf_diags_sort(&d);
	assert_int_equal(d.v[0].line, 5);
	assert_non_null(strstr(d.v[0].msg, "no member 'nope' at '/spec'"));
	assert_non_null(strstr(d.v[0].msg, "../base/m.yaml:1"));
	assert_int_equal(d.v[1].line, 7);
	assert_non_null(strstr(d.v[1].msg, "no Workspace named 'gone'"));
	lf_source_release(&src);
	lf_diags_release(&d);
}

/* defaults, then LAKEFORM_VAR_, then -var and -var-file in order */
static void test_variables(void **state)
{
	(void)state;
	struct mem_dir dirs[] = {
	    {".",
	     "variables:\n"
	     "  region: {type: string, default: us-east-1}\n"
	     "  nodes: {type: number, default: 2}\n"
	     "  on: {type: bool, default: true}\n",
	     "kind: Workspace\n"
	     "spec:\n"
	     "  region: ${var.region}\n"
	     "  nodes: ${var.nodes}\n"
	     "  label: \"${var.region}-${var.nodes}-${var.on} $${var.region}\"\n"},
	};
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	env_value = NULL;
	assert_int_equal(load(&src, dirs, 1, NULL, 0, &d), 0);
	json_t *spec = json_object_get(doc(&src, 0), "spec");
	assert_string_equal(json_string_value(json_object_get(spec, "region")), "us-east-1");
	assert_true(json_is_integer(json_object_get(spec, "nodes")));
	assert_int_equal(json_integer_value(json_object_get(spec, "nodes")), 2);
	assert_string_equal(json_string_value(json_object_get(spec, "label")),
	                    "us-east-1-2-true ${var.region}");
	/* a substituted value is where the ${var.NAME} was */
	assert_pos(at(&src, 0, "spec.nodes", (size_t)-1), "./m.yaml", 4, 10);
	lf_source_release(&src);

	env_value = "eu-west-1";
	struct lf_source s2 = LF_SOURCE_INIT;
	assert_int_equal(load(&s2, dirs, 1, NULL, 0, &d), 0);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(doc(&s2, 0), "spec"), "region")),
	    "eu-west-1");
	lf_source_release(&s2);

	struct lf_var_arg args[] = {{0, "region=ap-south-1"}, {0, "nodes=7"}};
	struct lf_source s3 = LF_SOURCE_INIT;
	assert_int_equal(load(&s3, dirs, 1, args, 2, &d), 0);
	json_t *spec3 = json_object_get(doc(&s3, 0), "spec");
	assert_string_equal(json_string_value(json_object_get(spec3, "region")), "ap-south-1");
	assert_int_equal(json_integer_value(json_object_get(spec3, "nodes")), 7);
	lf_source_release(&s3);
	assert_int_equal(d.errors, 0);
	env_value = NULL;
	lf_diags_release(&d);
}

static void test_undeclared(void **state)
{
	(void)state;
	struct mem_dir dirs[] = {
	    {".", "variables:\n  region: {type: string, default: x}\n",
	     "kind: A\nspec:\n  a: ${var.regin}\n  b: \"x${var.nope}\"\n  c: \"${var.\"\n"},
	};
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	assert_int_equal(load(&src, dirs, 1, NULL, 0, &d), -1);
	assert_int_equal(d.errors, 3);
	lf_diags_sort(&d);
	assert_int_equal(d.v[0].line, 3);
	assert_non_null(strstr(d.v[0].msg, "did you mean 'region'"));
	assert_int_equal(d.v[1].line, 4);
	assert_non_null(strstr(d.v[1].msg, "'nope'"));
	assert_int_equal(d.v[2].line, 5);
	assert_non_null(strstr(d.v[2].msg, "malformed"));
	lf_source_release(&src);
	lf_diags_release(&d);
}

static void test_cycle_and_reach(void **state)
{
	(void)state;
	/* "../dev" is the configuration directory itself: io.top is "dev" */
	struct mem_dir cyc[] = {
	    {".", "base: ../b\n", ""},
	    {"../b", "base: ../dev\n", ""},
	};
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	assert_int_equal(load(&src, cyc, 2, NULL, 0, &d), -1);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.v[0].msg, "cycle of bases: . -> ../b -> ../dev"));
	lf_source_release(&src);
	lf_diags_release(&d);

	struct mem_dir far[] = {{".", "base: ../../x\n", ""}};
	assert_int_equal(load(&src, far, 1, NULL, 0, &d), -1);
	assert_non_null(strstr(d.v[0].msg, "lies outside the top"));
	lf_source_release(&src);
	lf_diags_release(&d);
}

/* a target names every document of that kind and name; patches apply in
 * order, each on the result of those before */
static void test_every_target_in_order(void **state)
{
	(void)state;
	struct mem_dir dirs[] = {
	    {".",
	     "patches:\n"
	     "  - target: {kind: Schema, name: raw}\n"
	     "    merge: {spec: {comment: one}}\n"
	     "  - target: {kind: Schema, name: raw}\n"
	     "    json: [{op: test, path: /spec/comment, value: one},\n"
	     "           {op: replace, path: /spec/comment, value: two}]\n",
	     "kind: Schema\nmetadata: {name: raw}\nspec: {catalog: a}\n---\n"
	     "kind: Schema\nmetadata: {name: raw}\nspec: {catalog: b}\n---\n"
	     "kind: Schema\nmetadata: {name: curated}\nspec: {catalog: a}\n"},
	};
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	assert_int_equal(load(&src, dirs, 1, NULL, 0, &d), 0);
	assert_int_equal(d.errors, 0);
	for (size_t i = 0; i < 2; i++)
		assert_string_equal(json_string_value(json_object_get(
		                        json_object_get(doc(&src, i), "spec"), "comment")),
		                    "two");
	assert_null(json_object_get(json_object_get(doc(&src, 2), "spec"), "comment"));
	lf_source_release(&src);
	lf_diags_release(&d);
}

/* a chain of bases longer than LF_OVERLAY_MAX_DEPTH is refused */
static void test_depth_limit(void **state)
{
	(void)state;
	struct mem_dir dirs[LF_OVERLAY_MAX_DEPTH + 2];
	char names[LF_OVERLAY_MAX_DEPTH + 2][16], settings[LF_OVERLAY_MAX_DEPTH + 2][32];
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	for (int i = 0; i < LF_OVERLAY_MAX_DEPTH + 2; i++) {
		snprintf(names[i], sizeof(names[i]), i ? "../b%d" : ".", i);
		snprintf(settings[i], sizeof(settings[i]), "base: ../b%d\n", i + 1);
		dirs[i] = (struct mem_dir){names[i], settings[i], ""};
	}
	assert_int_equal(load(&src, dirs, LF_OVERLAY_MAX_DEPTH + 2, NULL, 0, &d), -1);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.v[0].msg, "more than 16 bases"));
	lf_source_release(&src);
	lf_diags_release(&d);
}

static void test_relative(void **state)
{
	(void)state;
	const char *cases[][3] = {
	    {"envs/prod", "envs/base/a.yaml", "../base/a.yaml"},
	    {"envs/prod", "envs/prod/a.yaml", "a.yaml"},
	    {"envs/prod", "base/a.yaml", "../../base/a.yaml"},
	    {"envs/prod", "envs/prodx/a.yaml", "../prodx/a.yaml"},
	    {"", "base/a.yaml", "base/a.yaml"},
	    {"a", "b/c.yaml", "../b/c.yaml"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = lf_overlay_relative(cases[i][0], cases[i][1]);
		assert_string_equal(r, cases[i][2]);
		free(r);
	}
}

static void test_from_text(void **state)
{
	(void)state;
	char *why = NULL;
	json_t *v;

	v = lf_var_from_text("number", "2.5", &why);
	assert_true(json_is_real(v));
	json_decref(v);
	v = lf_var_from_text("number", "-3", &why);
	assert_int_equal(json_integer_value(v), -3);
	json_decref(v);
	assert_null(lf_var_from_text("number", "3x", &why));
	free(why);
	assert_null(lf_var_from_text("number", "", &why));
	free(why);
	v = lf_var_from_text("bool", "false", &why);
	assert_true(json_is_false(v));
	json_decref(v);
	assert_null(lf_var_from_text("bool", "yes", &why));
	free(why);
	v = lf_var_from_text("list", "[a, 1]", &why);
	assert_int_equal(json_array_size(v), 2);
	json_decref(v);
	v = lf_var_from_text("map", "{k: v}", &why);
	assert_string_equal(json_string_value(json_object_get(v, "k")), "v");
	json_decref(v);
	why = NULL;
	assert_null(lf_var_from_text("map", "[a]", &why));
	assert_non_null(why);
	free(why);
	v = lf_var_from_text("string", "007", &why);
	assert_string_equal(json_string_value(v), "007");
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge_patch),       cmocka_unit_test(test_json_patch),
	    cmocka_unit_test(test_json_patch_errors), cmocka_unit_test(test_variables),
	    cmocka_unit_test(test_undeclared),        cmocka_unit_test(test_cycle_and_reach),
	    cmocka_unit_test(test_from_text),         cmocka_unit_test(test_every_target_in_order),
	    cmocka_unit_test(test_depth_limit),       cmocka_unit_test(test_relative),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
