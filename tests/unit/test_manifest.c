/*
 * test_manifest.c - unit tests for src/core/manifest.c: the defaults a kind's
 * schema gives, written into documents by lf_manifest_build().
 *
 * Each kind's defaults are planned once (the properties that hold a default
 * or lead to one); a schema whose plan would be too large (a recursive one
 * that branches) is walked document by document as before.  Both must write
 * the same defaults, down to the same depth.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/manifest.h"
#include "core/source.h"
#include "fixture.h"

/* A kind whose spec is a node: a default 'flag' and one node under 'left'
 * ('Chain': 33 levels to plan), or also one under 'right' and a list of
 * them under 'items' ('Tree': 3^33 paths, too many to plan). */
static void write_kind(const char *dir, const char *kind, int branches)
{
	char *path = lf_xasprintf("%s/%s.schema.json", dir, kind);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f,
	        "{\"x-lakeform-kind\": \"%s\", \"x-lakeform-identity\": [\"metadata.name\"],"
	        " \"type\": \"object\", \"properties\": {\"apiVersion\": {}, \"kind\": {},"
	        " \"metadata\": {\"type\": \"object\", \"properties\": {\"name\": {\"type\":"
	        " \"string\"}}}, \"spec\": {\"$ref\": \"#/definitions/node\"}},"
	        " \"definitions\": {\"node\": {\"type\": \"object\", \"properties\": {"
	        "\"flag\": {\"default\": true}, \"left\": {\"$ref\": "
	        "\"#/definitions/node\"}%s}}}}\n",
	        kind,
	        branches > 1
	            ? ", \"right\": {\"$ref\": \"#/definitions/node\"}, \"items\": "
	              "{\"type\": \"array\", \"items\": {\"$ref\": \"#/definitions/node\"}}"
	            : "");
	fclose(f);
	free(path);
}

/* "left: {left: {... n levels}}" as YAML flow text */
static void nest(struct lf_buf *b, int n)
{
	for (int i = 0; i < n; i++)
		lf_buf_adds(b, "{left: ");
	lf_buf_adds(b, "{}");
	for (int i = 0; i < n; i++)
		lf_buf_adds(b, "}");
}

static void test_defaults_planned_and_walked(void **state)
{
	char dir[] = "/tmp/lf-test-manifest-XXXXXX";
	struct lf_kinds kinds = LF_KINDS_INIT;
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_manifest m = LF_MANIFEST_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_buf y = LF_BUF_INIT;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_kind(dir, "Chain", 1);
	write_kind(dir, "Tree", 2);
	if (lf_kinds_load(&kinds, dir, &d))
		fail_with_diags(&d, "lf_kinds_load");
	/* the same documents of both kinds: shallow, and deeper than the 32
	 * levels defaults are written to */
	const char *const names[] = {"Chain", "Tree"};
	for (int k = 0; k < 2; k++) {
		lf_buf_addf(&y,
		            "---\napiVersion: lakeform/v1\nkind: %s\nmetadata: {name: a}\n"
		            "spec: {left: {left: {}, flag: false}}\n",
		            names[k]);
		lf_buf_addf(&y,
		            "---\napiVersion: lakeform/v1\nkind: %s\nmetadata: {name: b}\nspec: ",
		            names[k]);
		nest(&y, 40);
		lf_buf_adds(&y, "\n");
	}
	lf_buf_adds(&y, "---\napiVersion: lakeform/v1\nkind: Tree\nmetadata: {name: c}\n"
	                "spec: {right: {}, items: [{}, {flag: false}, {items: [{}]}]}\n");
	if (lf_source_load_buffer(&src, "t.yaml", y.ptr, y.len, &d))
		fail_with_diags(&d, "lf_source_load_buffer");
	if (lf_manifest_build(&m, &src, &kinds, &d))
		fail_with_diags(&d, "lf_manifest_build");
	assert_int_equal(m.nres, 5);

	char *a = json_dumps(json_object_get(m.res[0].value, "spec"), JSON_SORT_KEYS);
	assert_string_equal(a, "{\"flag\": true, \"left\": {\"flag\": false, \"left\":"
	                       " {\"flag\": true}}}");
	/* walked, the Tree documents get what the planned Chain ones got */
	char *ta = json_dumps(json_object_get(m.res[2].value, "spec"), JSON_SORT_KEYS);
	assert_string_equal(a, ta);
	char *b = json_dumps(json_object_get(m.res[1].value, "spec"), JSON_SORT_KEYS);
	char *tb = json_dumps(json_object_get(m.res[3].value, "spec"), JSON_SORT_KEYS);
	assert_string_equal(b, tb);
	/* 32 levels below the document get a flag, the deeper ones do not:
	 * the spec is at depth 1, so 32 of its 41 nodes */
	size_t flags = 0;
	for (const char *p = b; (p = strstr(p, "\"flag\"")); p++)
		flags++;
	assert_int_equal(flags, 32);
	char *c = json_dumps(json_object_get(m.res[4].value, "spec"), JSON_SORT_KEYS);
	assert_string_equal(c, "{\"flag\": true, \"items\": [{\"flag\": true}, {\"flag\": false},"
	                       " {\"flag\": true, \"items\": [{\"flag\": true}]}], \"right\":"
	                       " {\"flag\": true}}");
	free(c);
	free(a);
	free(ta);
	free(b);
	free(tb);

	lf_manifest_release(&m);
	lf_source_release(&src);
	lf_kinds_release(&kinds);
	lf_diags_release(&d);
	lf_buf_release(&y);
	char *p1 = lf_xasprintf("%s/Chain.schema.json", dir),
	     *p2 = lf_xasprintf("%s/Tree.schema.json", dir);
	unlink(p1);
	unlink(p2);
	free(p1);
	free(p2);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_planned_and_walked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
