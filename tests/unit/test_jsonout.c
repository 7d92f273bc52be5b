/* Unit tests for src/util/jsonout.c: the compact writer gives jansson's
 * bytes exactly, sorted or not, and fails where jansson fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonout.h"

/* lf_buf_add_json(v, flags) appends what json_dumps(v, flags) returns. */
static void same_as_jansson(const json_t *v, size_t flags)
{
	struct lf_buf b = LF_BUF_INIT;
	char *want = json_dumps(v, flags);

	lf_buf_adds(&b, "x"); /* what was there stays */
	int rc = lf_buf_add_json(&b, v, flags);
	if (!want) {
		assert_int_equal(rc, -1);
		assert_int_equal(b.len, 1);
	} else {
		assert_int_equal(rc, 0);
		assert_int_equal(b.len, strlen(want) + 1);
		assert_memory_equal(b.ptr + 1, want, strlen(want));
	}
	free(want);
	lf_buf_release(&b);
}

static void all_flags(const json_t *v)
{
	same_as_jansson(v, JSON_COMPACT);
	same_as_jansson(v, JSON_COMPACT | JSON_SORT_KEYS);
	same_as_jansson(v, JSON_COMPACT | JSON_ENCODE_ANY);
	same_as_jansson(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	same_as_jansson(v, JSON_INDENT(2) | JSON_SORT_KEYS); /* jansson's own */
}

static void test_documents(void **state)
{
	static const char *docs[] = {
	    "{}",
	    "[]",
	    "{\"b\":1,\"a\":[true,false,null],\"ab\":{\"z\":\"\",\"y\":-9223372036854775807}}",
	    "{\"aa\":1,\"a\":2,\"a\\u0001\":3,\"\":4,\"B\":5,\"\\u00e9\":6}",
	    "[\"quote\\\" backslash\\\\ slash/ tab\\t nl\\n cr\\r bs\\b ff\\f\"]",
	    "[\"\\u0001\\u001f\\u007f \\u0000 end\"]",
	    "[\"caf\\u00e9 \\u20ac \\ud83d\\ude00 \\u2028\"]",
	    "[1.5, 0.1, 1e300, -0.0, 100.0, 3, {\"r\":2.5e-8}]",
	    "{\"deep\":[[[[{\"x\":[{},[],\"\"]}]]]],\"n\":[0,-1,42]}",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_error_t e;
		json_t *v = json_loads(docs[i], JSON_ALLOW_NUL, &e);
		assert_non_null(v);
		all_flags(v);
		json_decref(v);
	}
}

static void test_scalars(void **state)
{
	json_t *v[] = {json_string("plain"), json_integer(-7), json_real(2.25),
	               json_true(),          json_false(),     json_null()};
	(void)state;

	/* a scalar only with JSON_ENCODE_ANY, as jansson */
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		all_flags(v[i]);
		json_decref(v[i]);
	}
}

/* many keys (more than the writer keeps on its stack), in both orders */
static void test_many_keys(void **state)
{
	json_t *o = json_object();
	char key[32];
	(void)state;

	for (int i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "k%d", (i * 7919) % 1000);
		json_object_set_new(o, key, json_integer(i));
	}
	all_flags(o);
	json_decref(o);
}

/* not UTF-8 (only _nocheck can make one): jansson refuses a value, and
 * so does the writer, keeping the buffer as it was; a key it writes cut
 * short, and so does the writer */
static void test_not_utf8(void **state)
{
	static const char *bad[] = {"\x80",     "a\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	                            "\xe2\x82", "ok\xff"};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *a = json_array();
		json_array_append_new(a, json_string_nocheck(bad[i]));
		all_flags(a);
		json_decref(a);
		json_t *o = json_object();
		json_object_set_new_nocheck(o, bad[i], json_true());
		all_flags(o);
		json_decref(o);
	}
}

/* deeper than the writer goes: jansson's bytes still */
static void test_deep(void **state)
{
	json_t *top = json_array(), *cur = top;
	(void)state;

	for (int i = 0; i < 2000; i++) {
		json_t *next = i % 2 ? json_array() : json_object();
		if (json_is_array(cur))
			json_array_append_new(cur, next);
		else
			json_object_set_new(cur, "k", next);
		cur = next;
	}
	all_flags(top);
	json_decref(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_documents), cmocka_unit_test(test_scalars),
	    cmocka_unit_test(test_many_keys), cmocka_unit_test(test_not_utf8),
	    cmocka_unit_test(test_deep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
