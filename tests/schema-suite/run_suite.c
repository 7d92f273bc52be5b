/*
 * run_suite.c - run the JSON-Schema-Test-Suite (draft-07) against
 * src/core/jsonschema.c, for exactly the keywords jsonschema.h claims.
 *
 * Usage: run_suite DIR, where DIR holds the suite's draft7 files, e.g.
 * /usr/share/json-schema-test-suite/tests/draft7.
 *
 * Besides comparing each verdict with the suite's "valid", every error the
 * validator reports is checked: its path must lead from the instance root
 * through the containers it names, and its message must be lowercase
 * without a full stop; counting without a callback must give the same
 * number.
 *
 * Cases we cannot pass for a reason jsonschema.h does not claim are listed in
 * `expected_failures` with that reason.  They count as skipped and are
 * printed; one that passes after all counts as failed, so that the list
 * stays exact.
 *
 * Exit status: 0 when nothing failed, 1 otherwise, 2 on bad usage.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/jsonschema.h"
#include "util/buf.h"
#include "util/mem.h"

static const char *const keywords[] = {
	"type", "properties", "required", "additionalProperties",
	"patternProperties", "enum", "const", "pattern", "minLength",
	"maxLength", "minimum", "maximum", "exclusiveMinimum",
	"exclusiveMaximum", "multipleOf", "items", "additionalItems",
	"minItems", "maxItems", "uniqueItems", "contains", "minProperties",
	"maxProperties", "propertyNames", "dependencies", "oneOf", "anyOf",
	"allOf", "not", "if-then-else", "ref", "definitions",
	"boolean_schema", "default",
};

struct expected_failure {
	const char *file;
	const char *group;
	const char *test;
	const char *reason;
	int seen;
};

#define REMOTE_METASCHEMA                                                   \
	"needs the draft-07 metaschema from the remote URL "                \
	"http://json-schema.org/draft-07/schema# (only '#...' refs are supported)"
#define ID_BASE_URI                                                         \
	"resolves 'node' and 'tree' against base URIs set by $id "          \
	"(http://localhost:1234/...), which is not supported"

static struct expected_failure expected_failures[] = {
	{"ref", "remote ref, containing refs itself", "remote ref valid",
	 REMOTE_METASCHEMA, 0},
	{"ref", "remote ref, containing refs itself", "remote ref invalid",
	 REMOTE_METASCHEMA, 0},
	{"ref", "Recursive references between schemas", "valid tree",
	 ID_BASE_URI, 0},
	{"ref", "Recursive references between schemas", "invalid tree",
	 ID_BASE_URI, 0},
	{"definitions", "valid definition", "valid definition schema",
	 REMOTE_METASCHEMA, 0},
	{"definitions", "invalid definition", "invalid definition schema",
	 REMOTE_METASCHEMA, 0},
};

#define NEXPECTED (sizeof(expected_failures) / sizeof(expected_failures[0]))

static struct expected_failure *find_expected(const char *file,
					      const char *group,
					      const char *test)
{
	for (size_t i = 0; i < NEXPECTED; i++) {
		struct expected_failure *e = &expected_failures[i];

		if (strcmp(e->file, file) == 0 && strcmp(e->group, group) == 0 &&
		    strcmp(e->test, test) == 0)
			return e;
	}
	return NULL;
}

/* What the error callback saw for one instance. */
struct seen_errors {
	const json_t *root;
	size_t n;
	struct lf_buf first; /* the first message, for the report */
	struct lf_buf bad;   /* the first malformed error, if any */
};

static void path_problem(struct seen_errors *e, const char *msg,
			 const char *problem)
{
	if (e->bad.len == 0)
		lf_buf_addf(&e->bad, "%s (message '%s')", problem, msg);
}

static void on_error(void *ctx, const struct lf_jpath_seg *path, size_t depth,
		     const char *msg)
{
	struct seen_errors *e = ctx;
	const json_t *cur = e->root;
	size_t len = strlen(msg);

	if (e->n++ == 0)
		lf_buf_adds(&e->first, msg);
	if (len == 0 || isupper((unsigned char)msg[0]) || msg[len - 1] == '.' ||
	    strchr(msg, '\n'))
		path_problem(e, msg, "message is empty, capitalised, multi-line or ends in '.'");
	for (size_t i = 0; i < depth; i++) {
		const struct lf_jpath_seg *s = &path[i];

		if (s->container != cur) {
			path_problem(e, msg, "path segment's container is not the value the previous segment names");
			return;
		}
		if (s->key) {
			if (!json_is_object(cur) || s->index != (size_t)-1 ||
			    !(cur = json_object_get(cur, s->key))) {
				path_problem(e, msg, "path names a member that does not exist");
				return;
			}
		} else if (!json_is_array(cur) || s->index >= json_array_size(cur)) {
			path_problem(e, msg, "path names an item that does not exist");
			return;
		} else {
			cur = json_array_get(cur, s->index);
		}
	}
}

struct totals {
	size_t passed, failed, skipped;
};

static void run_file(const char *dir, const char *kw, struct totals *all)
{
	struct lf_buf path = LF_BUF_INIT, details = LF_BUF_INIT;
	struct totals t = {0, 0, 0};
	json_error_t jerr;
	json_t *groups;
	size_t gi, total = 0;
	json_t *group;

	lf_buf_addf(&path, "%s/%s.json", dir, kw);
	groups = json_load_file(lf_buf_cstr(&path), 0, &jerr);
	if (!json_is_array(groups)) {
		printf("  %s: 0/0 passed\n    FAIL cannot read '%s': %s\n", kw,
		       lf_buf_cstr(&path), groups ? "not an array" : jerr.text);
		all->failed++;
		json_decref(groups);
		lf_buf_release(&path);
		return;
	}
	json_array_foreach(groups, gi, group) {
		const char *gdesc = json_string_value(json_object_get(group, "description"));
		json_t *tests = json_object_get(group, "tests");
		struct lf_schema *s = NULL;
		char *err = NULL;
		size_t ti;
		json_t *test;

		if (!gdesc)
			gdesc = "?";
		lf_schema_compile(&s, json_object_get(group, "schema"), &err);
		json_array_foreach(tests, ti, test) {
			const char *tdesc = json_string_value(json_object_get(test, "description"));
			const json_t *data = json_object_get(test, "data");
			int want = json_is_true(json_object_get(test, "valid"));
			struct seen_errors e = {data, 0, LF_BUF_INIT, LF_BUF_INIT};
			struct expected_failure *xf;
			struct lf_buf why = LF_BUF_INIT;

			if (!tdesc)
				tdesc = "?";
			total++;
			xf = find_expected(kw, gdesc, tdesc);
			if (!s) {
				lf_buf_addf(&why, "schema does not compile: %s", err);
			} else {
				size_t counted;

				lf_schema_validate(s, data, on_error, &e);
				counted = lf_schema_validate(s, data, NULL, NULL);
				if ((e.n == 0) != want)
					lf_buf_addf(&why, "expected %s, got %s%s%s",
						    want ? "valid" : "invalid",
						    e.n ? "invalid: " : "valid",
						    lf_buf_cstr(&e.first),
						    e.n > 1 ? " (...)" : "");
				else if (e.bad.len)
					lf_buf_addf(&why, "malformed error: %s", lf_buf_cstr(&e.bad));
				else if (counted != e.n)
					lf_buf_addf(&why, "%zu errors with a callback, %zu without",
						    e.n, counted);
			}
			if (xf) {
				xf->seen = 1;
				if (why.len == 0) {
					t.failed++;
					lf_buf_addf(&details, "    FAIL %s / %s: expected failure now passes: remove it from the list\n",
						    gdesc, tdesc);
				} else {
					t.skipped++;
					lf_buf_addf(&details, "    skipped %s / %s: %s\n", gdesc,
						    tdesc, xf->reason);
				}
			} else if (why.len == 0) {
				t.passed++;
			} else {
				t.failed++;
				lf_buf_addf(&details, "    FAIL %s / %s: %s\n", gdesc, tdesc,
					    lf_buf_cstr(&why));
			}
			lf_buf_release(&why);
			lf_buf_release(&e.first);
			lf_buf_release(&e.bad);
		}
		lf_schema_free(s);
		free(err);
	}
	printf("  %s: %zu/%zu passed\n%s", kw, t.passed, total, lf_buf_cstr(&details));
	all->passed += t.passed;
	all->failed += t.failed;
	all->skipped += t.skipped;
	json_decref(groups);
	lf_buf_release(&path);
	lf_buf_release(&details);
}

int main(int argc, char **argv)
{
	struct totals all = {0, 0, 0};

	if (argc != 2) {
		fprintf(stderr, "usage: run_suite DIR\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		run_file(argv[1], keywords[i], &all);
	for (size_t i = 0; i < NEXPECTED; i++) {
		if (!expected_failures[i].seen) {
			printf("  FAIL expected failure %s / %s / %s matches no case: remove it from the list\n",
			       expected_failures[i].file, expected_failures[i].group,
			       expected_failures[i].test);
			all.failed++;
		}
	}
	printf("schema-suite: %zu passed, %zu failed, %zu skipped\n", all.passed,
	       all.failed, all.skipped);
	return all.failed == 0 ? 0 : 1;
}
