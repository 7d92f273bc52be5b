/* Unit tests for src/core/yaml.c: scalars, positions, aliases, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/yaml.h"
#include "util/buf.h"

struct parsed {
	struct lf_yaml_doc *docs;
	size_t n;
	struct lf_yaml_posindex pm;
	struct lf_diags d;
	int rc;
};

static void parse(struct parsed *p, const char *text)
{
	memset(p, 0, sizeof(*p));
	/* with a position index, as the second parse for diagnostics does */
	p->rc = lf_yaml_parse(&p->docs, &p->n, "t.yaml", text, strlen(text), &p->pm, &p->d);
}

static void release(struct parsed *p)
{
	lf_yaml_docs_free(p->docs, p->n);
	lf_yaml_posindex_release(&p->pm);
	lf_diags_release(&p->d);
}

static void test_core_schema_scalars(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "a: no\nb: on\nc: 0o17\nd: 0x1F\ne: ~\nf: null\ng: 1e3\n"
	          "h: .inf\ni: -.inf\nj: .nan\nk: true\nl: True\nm: yes\n"
	          "n: '12'\no: -42\np: 3.5\nq:\nr: !!str 7\ns: +12\n");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.n, 1);
	json_t *r = p.docs[0].root;
	assert_string_equal(json_string_value(json_object_get(r, "a")), "no");
	assert_string_equal(json_string_value(json_object_get(r, "b")), "on");
	assert_int_equal(json_integer_value(json_object_get(r, "c")), 15);
	assert_int_equal(json_integer_value(json_object_get(r, "d")), 31);
	assert_true(json_is_null(json_object_get(r, "e")));
	assert_true(json_is_null(json_object_get(r, "f")));
	assert_true(json_is_real(json_object_get(r, "g")));
	assert_true(json_real_value(json_object_get(r, "g")) == 1000.0);
	assert_string_equal(json_string_value(json_object_get(r, "h")), ".inf");
	assert_string_equal(json_string_value(json_object_get(r, "i")), "-.inf");
	assert_string_equal(json_string_value(json_object_get(r, "j")), ".nan");
	assert_true(json_is_true(json_object_get(r, "k")));
	assert_true(json_is_true(json_object_get(r, "l")));
	assert_string_equal(json_string_value(json_object_get(r, "m")), "yes");
	assert_string_equal(json_string_value(json_object_get(r, "n")), "12");
	assert_int_equal(json_integer_value(json_object_get(r, "o")), -42);
	assert_true(json_real_value(json_object_get(r, "p")) == 3.5);
	assert_true(json_is_null(json_object_get(r, "q")));
	assert_string_equal(json_string_value(json_object_get(r, "r")), "7");
	assert_int_equal(json_integer_value(json_object_get(r, "s")), 12);
	release(&p);
}

static void test_positions(void **state)
{
	struct parsed p;
	struct lf_pos v, k;
	(void)state;

	parse(&p, "spec:\n  region: us-east-1\n  users:\n    - a\n    - b\n");
	assert_int_equal(p.rc, 0);
	struct lf_yaml_pathseg region[] = {{"spec", 0}, {"region", 0}};
	assert_int_equal(lf_yaml_posindex_get(&p.pm, 0, region, 2, &v, &k), 2);
	assert_int_equal(v.line, 2);
	assert_int_equal(v.col, 11);
	assert_int_equal(k.line, 2);
	assert_int_equal(k.col, 3);
	struct lf_yaml_pathseg user[] = {{"spec", 0}, {"users", 0}, {NULL, 1}};
	assert_int_equal(lf_yaml_posindex_get(&p.pm, 0, user, 3, &v, NULL), 3);
	assert_int_equal(v.line, 5);
	assert_int_equal(v.col, 7);
	/* a path that does not exist gives its deepest existing ancestor */
	struct lf_yaml_pathseg missing[] = {{"spec", 0}, {"users", 0}, {NULL, 2}};
	assert_int_equal(lf_yaml_posindex_get(&p.pm, 0, missing, 3, &v, NULL), 2);
	assert_int_equal(v.line, 4);
	/* the root's own position is kept per document */
	assert_int_equal(p.docs[0].pos.line, 1);
	release(&p);
}

static void test_no_index(void **state)
{
	struct lf_yaml_doc *docs = NULL;
	struct lf_diags d = LF_DIAGS_INIT;
	size_t n = 0;
	const char *text = "a: 1\n---\nb: 2\n";
	(void)state;

	/* a normal load records no positions, only each document's start */
	assert_int_equal(lf_yaml_parse(&docs, &n, "t.yaml", text, strlen(text), NULL, &d), 0);
	assert_int_equal(n, 2);
	assert_int_equal(docs[1].pos.line, 3);
	lf_yaml_docs_free(docs, n);
	lf_diags_release(&d);
}

static void test_documents_and_aliases(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "base: &b {x: 1}\nuse: *b\n---\n---\n- 1\n");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.n, 3);
	json_t *use = json_object_get(p.docs[0].root, "use");
	assert_int_equal(json_integer_value(json_object_get(use, "x")), 1);
	/* aliases are copies: changing one leaves the anchor alone */
	json_object_set_new(use, "x", json_integer(2));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(p.docs[0].root, "base"), "x")), 1);
	assert_true(json_is_null(p.docs[1].root));
	assert_true(json_is_array(p.docs[2].root));
	assert_int_equal(p.docs[2].index, 2);
	release(&p);
}

static void test_duplicate_key(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "a: 1\nb: 2\na: 3\n");
	assert_int_equal(p.rc, -1);
	assert_int_equal(p.d.errors, 1);
	assert_int_equal(p.d.v[0].line, 3);
	assert_string_equal(p.d.v[0].msg, "duplicate key 'a' (first at line 1, column 1)");
	assert_int_equal(p.n, 0);
	release(&p);
}

static void test_billion_laughs(void **state)
{
	struct lf_buf b = LF_BUF_INIT;
	struct parsed p;
	(void)state;

	lf_buf_adds(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 10; i++) {
		lf_buf_addf(&b, "a%d: &a%d [", i, i);
		for (int j = 0; j < 10; j++)
			lf_buf_addf(&b, "%s*a%d", j ? ", " : "", i - 1);
		lf_buf_adds(&b, "]\n");
	}
	parse(&p, lf_buf_cstr(&b));
	assert_int_equal(p.rc, -1);
	assert_non_null(strstr(p.d.v[0].msg, "billion laughs"));
	assert_int_equal(p.n, 0);
	release(&p);
	lf_buf_release(&b);
}

static void test_deep_nesting(void **state)
{
	struct lf_buf b = LF_BUF_INIT;
	struct parsed p;
	(void)state;

	for (int i = 0; i < 5000; i++)
		lf_buf_addc(&b, '[');
	parse(&p, lf_buf_cstr(&b));
	assert_int_equal(p.rc, -1);
	assert_true(p.d.errors >= 1);
	release(&p);
	lf_buf_release(&b);
}

static void test_syntax_error_position(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "a: 1\nb: \"unterminated\n");
	assert_int_equal(p.rc, -1);
	assert_int_equal(p.d.errors, 1);
	assert_string_equal(p.d.v[0].file, "t.yaml");
	assert_true(p.d.v[0].line >= 2);
	release(&p);
}

static void test_invalid_utf8(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "a: \xff\xfe\n");
	assert_int_equal(p.rc, -1);
	assert_non_null(strstr(p.d.v[0].msg, "UTF-8"));
	release(&p);
}

static void test_complex_key_refused(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "? [a, b]\n: c\n");
	assert_int_equal(p.rc, -1);
	assert_string_equal(p.d.v[0].msg, "mapping keys must be scalars");
	release(&p);
}

static void test_explicit_tags(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "a: !!int 12\nb: !!float 1\nc: !!bool true\nd: !!int x\n");
	assert_int_equal(p.rc, -1);
	assert_string_equal(p.d.v[0].msg, "'x' is not a valid !!int");
	release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_core_schema_scalars),
	    cmocka_unit_test(test_positions),
	    cmocka_unit_test(test_no_index),
	    cmocka_unit_test(test_documents_and_aliases),
	    cmocka_unit_test(test_duplicate_key),
	    cmocka_unit_test(test_billion_laughs),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_syntax_error_position),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_complex_key_refused),
	    cmocka_unit_test(test_explicit_tags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
