/*
 * test_jsonschema.c - unit tests for src/core/jsonschema.c.
 *
 * Each test compiles a schema written as JSON text, validates an instance
 * and checks the exact errors: how many, their messages and the instance
 * paths they point at.  Every validation is also run without a callback to
 * check that the count is the same.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/jsonschema.h"
#include "util/buf.h"
#include "util/mem.h"

#define MAX_ERRS 16

/* The errors of one validation, with paths written as JSON pointers. */
struct errs {
	size_t n;
	char *msg[MAX_ERRS];
	char *path[MAX_ERRS];
	size_t depth[MAX_ERRS];
	const json_t *root;
};

static void errs_release(struct errs *e)
{
	for (size_t i = 0; i < e->n && i < MAX_ERRS; i++) {
		free(e->msg[i]);
		free(e->path[i]);
	}
	e->n = 0;
}

static void collect(void *ctx, const struct lf_jpath_seg *path, size_t depth, const char *msg)
{
	struct errs *e = ctx;
	struct lf_buf p = LF_BUF_INIT;
	const json_t *cur = e->root;

	/* each segment's container must be the value the previous one names */
	for (size_t i = 0; i < depth; i++) {
		assert_ptr_equal(path[i].container, cur);
		if (path[i].key) {
			assert_true(json_is_object(cur));
			assert_true(path[i].index == (size_t)-1);
			lf_buf_addf(&p, "/%s", path[i].key);
			cur = json_object_get(cur, path[i].key);
		} else {
			assert_true(json_is_array(cur));
			lf_buf_addf(&p, "/%zu", path[i].index);
			cur = json_array_get(cur, path[i].index);
		}
		assert_non_null(cur);
	}
	if (e->n < MAX_ERRS) {
		e->msg[e->n] = lf_xstrdup(msg);
		e->path[e->n] = lf_buf_detach(&p);
		e->depth[e->n] = depth;
	}
	lf_buf_release(&p);
	e->n++;
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

	if (!j)
		fail_msg("bad JSON in test: %s: %s", jerr.text, text);
	return j;
}

static struct lf_schema *compile_ok(const char *schema_text)
{
	json_t *schema = parse(schema_text);
	struct lf_schema *s = NULL;
	char *err = NULL;

	if (lf_schema_compile(&s, schema, &err) != 0)
		fail_msg("schema did not compile: %s", err);
	assert_null(err);
	/* the compiled schema keeps its own reference */
	json_decref(schema);
	return s;
}

/* Validate with a compiled schema; returns the number of errors. */
static size_t run(const struct lf_schema *s, const char *instance_text, struct errs *e)
{
	json_t *inst = parse(instance_text);
	char *before = json_dumps(inst, JSON_ENCODE_ANY | JSON_SORT_KEYS);
	char *after;
	size_t n, counted;

	errs_release(e);
	e->root = inst;
	n = lf_schema_validate(s, inst, collect, e);
	assert_int_equal(n, e->n);
	counted = lf_schema_validate(s, inst, NULL, NULL);
	assert_int_equal(counted, n);
	after = json_dumps(inst, JSON_ENCODE_ANY | JSON_SORT_KEYS);
	assert_string_equal(before, after);
	free(before);
	free(after);
	json_decref(inst);
	e->root = NULL;
	return n;
}

/* Compile, validate, free: returns the number of errors. */
static size_t check(const char *schema_text, const char *instance_text, struct errs *e)
{
	struct lf_schema *s = compile_ok(schema_text);
	size_t n = run(s, instance_text, e);

	lf_schema_free(s);
	return n;
}

/* Expect exactly one error, with this message at this path. */
static void check1(const char *schema_text, const char *instance_text, const char *msg,
                   const char *path)
{
	struct errs e = {0};

	if (check(schema_text, instance_text, &e) != 1) {
		size_t n = e.n;

		for (size_t i = 0; i < e.n && i < MAX_ERRS; i++)
			print_message("error %zu: '%s': %s\n", i, e.path[i], e.msg[i]);
		errs_release(&e);
		fail_msg("expected one error for %s against %s, got %zu", instance_text,
		         schema_text, n);
	}
	assert_string_equal(e.msg[0], msg);
	assert_string_equal(e.path[0], path);
	errs_release(&e);
}

static void valid(const char *schema_text, const char *instance_text)
{
	struct errs e = {0};

	if (check(schema_text, instance_text, &e) != 0) {
		print_message("error: '%s': %s\n", e.path[0], e.msg[0]);
		errs_release(&e);
		fail_msg("%s against %s: unexpected error", instance_text, schema_text);
	}
	errs_release(&e);
}

static void invalid(const char *schema_text, const char *instance_text)
{
	struct errs e = {0};

	if (check(schema_text, instance_text, &e) == 0)
		fail_msg("%s against %s: expected an error", instance_text, schema_text);
	errs_release(&e);
}

/* Expect compilation to fail with exactly this message. */
static void compile_fails(const char *schema_text, const char *msg)
{
	json_t *schema = parse(schema_text);
	struct lf_schema *s = (struct lf_schema *)&s; /* must be reset */
	char *err = NULL;

	assert_int_equal(lf_schema_compile(&s, schema, &err), -1);
	assert_null(s);
	assert_non_null(err);
	assert_string_equal(err, msg);
	free(err);
	/* err may be NULL when the caller does not want the message */
	assert_int_equal(lf_schema_compile(&s, schema, NULL), -1);
	json_decref(schema);
}

/* ---------------------------------------------------------------------- */

static void test_type(void **state)
{
	(void)state;
	valid("{\"type\": \"string\"}", "\"x\"");
	check1("{\"type\": \"string\"}", "1", "expected string, got integer", "");
	check1("{\"type\": \"string\"}", "1.5", "expected string, got number", "");
	check1("{\"type\": \"object\"}", "[]", "expected object, got array", "");
	check1("{\"type\": \"array\"}", "{}", "expected array, got object", "");
	check1("{\"type\": \"null\"}", "false", "expected null, got boolean", "");
	check1("{\"type\": \"boolean\"}", "null", "expected boolean, got null", "");
	/* 1.0 is an integer in draft-07; 1.5 is not */
	valid("{\"type\": \"integer\"}", "1.0");
	valid("{\"type\": \"integer\"}", "-3");
	check1("{\"type\": \"integer\"}", "1.5", "expected integer, got number", "");
	valid("{\"type\": \"number\"}", "7");
	valid("{\"type\": \"number\"}", "7.25");
	check1("{\"type\": \"number\"}", "\"7\"", "expected number, got string", "");
	valid("{\"type\": [\"string\", \"null\"]}", "null");
	check1("{\"type\": [\"string\", \"null\"]}", "1", "expected string or null, got integer",
	       "");
	check1("{\"type\": [\"string\", \"integer\", \"null\"]}", "true",
	       "expected string, integer or null, got boolean", "");
}

static void test_type_error_stops_other_keywords(void **state)
{
	(void)state;
	/* one root cause, one message: enum would only repeat it */
	check1("{\"type\": \"string\", \"enum\": [\"a\"], \"minLength\": 3}", "5",
	       "expected string, got integer", "");
}

static void test_properties_paths(void **state)
{
	struct lf_schema *s;
	struct errs e = {0};
	const char *schema = "{\"properties\": {\"a\": {\"properties\": {\"b\": {\"items\": "
	                     "{\"type\": \"string\"}}}}}}";

	(void)state;
	valid(schema, "{\"a\": {\"b\": [\"x\", \"y\"]}, \"c\": 1}");
	check1(schema, "{\"a\": {\"b\": [\"x\", 2]}}", "expected string, got integer", "/a/b/1");

	/* the containers and depth themselves, not only their rendering */
	s = compile_ok(schema);
	assert_int_equal(run(s, "{\"a\": {\"b\": [7]}}", &e), 1);
	assert_int_equal(e.depth[0], 3);
	assert_string_equal(e.path[0], "/a/b/0");
	errs_release(&e);
	lf_schema_free(s);
}

static void test_required(void **state)
{
	struct errs e = {0};

	(void)state;
	valid("{\"required\": [\"region\"]}", "{\"region\": \"euw1\"}");
	check1("{\"required\": [\"region\"]}", "{\"name\": \"x\"}",
	       "missing required property 'region'", "");
	/* only objects are concerned */
	valid("{\"required\": [\"region\"]}", "[]");
	assert_int_equal(check("{\"required\": [\"a\", \"b\", \"c\"]}", "{\"b\": 1}", &e), 2);
	assert_string_equal(e.msg[0], "missing required property 'a'");
	assert_string_equal(e.msg[1], "missing required property 'c'");
	errs_release(&e);
	check1("{\"properties\": {\"m\": {\"required\": [\"name\"]}}}", "{\"m\": {}}",
	       "missing required property 'name'", "/m");
}

static void test_additional_properties(void **state)
{
	struct errs e = {0};
	const char *closed =
	    "{\"properties\": {\"name\": {}}, \"patternProperties\": {\"^x-\": {}},"
	    " \"additionalProperties\": false}";

	(void)state;
	valid(closed, "{\"name\": 1, \"x-note\": 2}");
	check1(closed, "{\"name\": 1, \"foo\": 2}", "unknown property 'foo'", "/foo");
	assert_int_equal(check(closed, "{\"foo\": 1, \"bar\": 2}", &e), 2);
	assert_string_equal(e.msg[0], "unknown property 'foo'");
	assert_string_equal(e.path[1], "/bar");
	errs_release(&e);
	/* a schema applies to the additional members only */
	check1("{\"properties\": {\"a\": {}}, \"additionalProperties\": {\"type\": \"integer\"}}",
	       "{\"a\": \"s\", \"b\": \"t\"}", "expected integer, got string", "/b");
	check1("{\"properties\": {\"a\": false}}", "{\"a\": 1}", "property 'a' is not allowed",
	       "/a");
}

static void test_pattern_properties(void **state)
{
	struct errs e = {0};
	const char *schema = "{\"patternProperties\": {\"^s_\": {\"type\": \"string\"},"
	                     " \"_n$\": {\"type\": \"number\"}}}";

	(void)state;
	valid(schema, "{\"s_a\": \"x\", \"b_n\": 1, \"other\": null}");
	check1(schema, "{\"s_a\": 1}", "expected string, got integer", "/s_a");
	/* a name can match several patterns; each applies */
	assert_int_equal(check(schema, "{\"s_n\": true}", &e), 2);
	assert_string_equal(e.msg[0], "expected string, got boolean");
	assert_string_equal(e.msg[1], "expected number, got boolean");
	errs_release(&e);
	/* unanchored: "b" is found inside the name */
	check1("{\"patternProperties\": {\"b\": false}}", "{\"abc\": 1}",
	       "property 'abc' is not allowed", "/abc");
}

static void test_enum(void **state)
{
	(void)state;
	valid("{\"enum\": [\"serverless\", \"classic\"]}", "\"classic\"");
	check1("{\"enum\": [\"serverless\", \"classic\"]}", "\"x\"",
	       "'x' is not one of 'serverless', 'classic'", "");
	check1("{\"enum\": [1, null, true]}", "2", "2 is not one of 1, null, true", "");
	/* equality of values: 1 == 1.0, key order does not matter */
	valid("{\"enum\": [1]}", "1.0");
	valid("{\"enum\": [{\"a\": 1, \"b\": [2]}]}", "{\"b\": [2.0], \"a\": 1}");
	invalid("{\"enum\": [{\"a\": 1}]}", "{\"a\": 1, \"b\": 2}");
	invalid("{\"enum\": [[1, 2]]}", "[2, 1]");
	invalid("{\"enum\": [false]}", "0");
	check1("{\"enum\": [\"a\"]}", "{\"k\": [1, 2]}", "{\"k\":[1,2]} is not one of 'a'", "");
}

static void test_const(void **state)
{
	(void)state;
	valid("{\"const\": \"lakeform/v1\"}", "\"lakeform/v1\"");
	check1("{\"const\": \"lakeform/v1\"}", "\"lakeform/v2\"", "must be 'lakeform/v1'", "");
	check1("{\"const\": 5}", "6", "must be 5", "");
	check1("{\"const\": null}", "0", "must be null", "");
	valid("{\"const\": 5}", "5.0");
	valid("{\"const\": {\"x\": [1, {\"y\": 2}]}}", "{\"x\": [1.0, {\"y\": 2}]}");
	check1("{\"const\": 2.5}", "2", "must be 2.5", "");
}

/*
 * Anchored patterns of plain items ("^[a-z][a-z0-9_-]{1,62}$") are matched
 * without regexec(): each such pattern, which POSIX reads the same way,
 * must say what regexec() says of thousands of strings (a few letters and
 * punctuation, a two-byte character, lengths 0-12, and longer than the
 * direct matcher takes).
 */
static void test_plain_patterns_as_posix(void **state)
{
	static const char *const patterns[] = {
	    "^[a-z][a-z0-9_-]{1,62}$",
	    "^[A-Za-z_][A-Za-z0-9_]{0,254}\\.[A-Za-z_][A-Za-z0-9_]{0,254}$",
	    "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
	    "^[A-Za-z][A-Za-z_ ]*$",
	    "^[A-Za-z0-9][A-Za-z0-9._-]*$",
	    "^[a-z]{2}-[a-z]+-[0-9]+$",
	    "^a?b*c+$",
	    "^[ab]{2,3}[b]{0,2}b$",
	    "^x{3}$",
	    "^[A-Z]{3}$",
	    "^$",
	    "^[a-]+$",
	    "^[.]{2,}$",
	    "^ab{1,}c?$",
	    "^[a.]*a[.a]{2}$",
	};
	static const char alphabet[][3] = {"a", "b", "c", "x", "z", "A", "Z",
	                                   "0", "9", ".", "-", "_", " ", "\xc3\xa9"};
	const size_t nalpha = sizeof(alphabet) / sizeof(alphabet[0]);
	uint32_t seed = 12345;
	locale_t c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);

	(void)state;
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		json_t *schema = json_pack("{s:s}", "pattern", patterns[i]);
		struct lf_schema *s = NULL;
		char *err = NULL;
		regex_t re;

		assert_int_equal(lf_schema_compile(&s, schema, &err), 0);
		json_decref(schema);
		assert_int_equal(regcomp(&re, patterns[i], REG_EXTENDED | REG_NOSUB), 0);
		for (int k = 0; k < 3000; k++) {
			char str[64];
			size_t len = 0, want;

			seed = seed * 1103515245u + 12345u;
			want = (seed >> 16) % 13;
			while (want--) {
				seed = seed * 1103515245u + 12345u;
				const char *a = alphabet[(seed >> 16) % nalpha];
				memcpy(str + len, a, strlen(a));
				len += strlen(a);
			}
			str[len] = '\0';
			locale_t old = uselocale(c_locale);
			int posix = regexec(&re, str, 0, NULL, 0) == 0;
			uselocale(old);
			json_t *inst = json_stringn(str, len);
			int ours = lf_schema_validate(s, inst, NULL, NULL) == 0;
			if (ours != posix)
				fail_msg("pattern %s, string '%s': %s here, %s by regexec()",
				         patterns[i], str, ours ? "matches" : "does not match",
				         posix ? "matches" : "does not match");
			json_decref(inst);
		}
		regfree(&re);
		lf_schema_free(s);
	}
	freelocale(c_locale);

	/* longer strings than the direct matcher takes go to regexec() */
	char *long_a = lf_xmalloc(5001);
	memset(long_a, 'a', 5000);
	long_a[5000] = '\0';
	json_t *inst = json_string(long_a);
	struct lf_schema *many = compile_ok("{\"pattern\": \"^[a-z]+$\"}");
	struct lf_schema *few = compile_ok("{\"pattern\": \"^[a-z]{1,62}$\"}");
	assert_int_equal(lf_schema_validate(many, inst, NULL, NULL), 0);
	assert_int_equal(lf_schema_validate(few, inst, NULL, NULL), 1);
	lf_schema_free(many);
	lf_schema_free(few);
	json_decref(inst);
	free(long_a);
}

static void test_pattern(void **state)
{
	const char *name = "{\"pattern\": \"^[a-z]+$\"}";

	(void)state;
	valid(name, "\"abc\"");
	check1(name, "\"Ab\"", "'Ab' does not match pattern '^[a-z]+$'", "");
	/* only strings are concerned */
	valid(name, "12");
	/* a search, not a full match */
	valid("{\"pattern\": \"b\"}", "\"abc\"");
	invalid("{\"pattern\": \"b\"}", "\"ac\"");
	/* ECMA escapes that POSIX lacks */
	valid("{\"pattern\": \"^\\\\d{3}-\\\\w+\\\\.\\\\s\\\\/$\"}", "\"123-a_b. /\"");
	invalid("{\"pattern\": \"^\\\\d{3}$\"}", "\"12a\"");
	valid("{\"pattern\": \"^[\\\\d\\\\-]+$\"}", "\"1-2\"");
	invalid("{\"pattern\": \"^[\\\\d\\\\-]+$\"}", "\"1_2\"");
	valid("{\"pattern\": \"^\\\\D\\\\W\\\\S$\"}", "\"a-b\"");
	invalid("{\"pattern\": \"^\\\\D$\"}", "\"5\"");
	valid("{\"pattern\": \"^[^\\\\s]+$\"}", "\"a.b\"");
	/* non-capturing groups, alternation, braces, lazy quantifiers */
	valid("{\"pattern\": \"^(?:ab|cd){2}x+?$\"}", "\"abcdxx\"");
	invalid("{\"pattern\": \"^(?:ab|cd){2}$\"}", "\"abab_\"");
	/* '{' that is not a quantifier is a literal */
	valid("{\"pattern\": \"^a{b}$\"}", "\"a{b}\"");
	/* ^ and $ are the ends of the string, not of a line */
	invalid("{\"pattern\": \"^b$\"}", "\"a\\nb\"");
	invalid("{\"pattern\": \"a$\\\\n\"}", "\"a\\n\"");
	invalid("{\"pattern\": \"(^a){2}\"}", "\"aa\"");
	valid("{\"pattern\": \"\\\\bfoo\\\\b\"}", "\"a foo.\"");
	invalid("{\"pattern\": \"\\\\bfoo\\\\b\"}", "\"afoo\"");
}

static void test_pattern_unicode(void **state)
{
	(void)state;
	/* one character is one code point, however many bytes */
	valid("{\"pattern\": \"^.$\"}", "\"\\u00e9\"");
	valid("{\"pattern\": \"^.$\"}", "\"\\ud83d\\ude00\"");
	invalid("{\"pattern\": \"^..$\"}", "\"\\u00e9\"");
	valid("{\"pattern\": \"^[^a]{2}$\"}", "\"\\u00e9\\u20ac\"");
	valid("{\"pattern\": \"^[\\u00e0-\\u00ff]+$\"}", "\"\\u00e9\\u00fc\"");
	invalid("{\"pattern\": \"^[\\u00e0-\\u00ff]+$\"}", "\"\\u00e9\\u0100\"");
	valid("{\"pattern\": \"^\\\\u00e9+$\"}", "\"\\u00e9\\u00e9\"");
	valid("{\"pattern\": \"^\\\\u{1F600}$\"}", "\"\\ud83d\\ude00\"");
	/* \s is ECMA's white space, which includes the no-break space */
	valid("{\"pattern\": \"^\\\\s$\"}", "\"\\u00a0\"");
	valid("{\"pattern\": \"^\\\\S$\"}", "\"\\u00e9\"");
	/* '.' does not match line terminators */
	invalid("{\"pattern\": \"^.$\"}", "\"\\n\"");
	invalid("{\"pattern\": \"^.$\"}", "\"\\u2028\"");
	/* the regex engine sees the string's real length past a NUL */
	valid("{\"pattern\": \"b$\"}", "\"a\\u0000b\"");
}

static void test_long_values(void **state)
{
	struct lf_buf s255 = LF_BUF_INIT, s256 = LF_BUF_INIT, arr = LF_BUF_INIT;
	const char *limit = "{\"pattern\": \"^.{0,255}$\"}";

	(void)state;
	/* bounded repetitions are written out by the translation: check the edges */
	lf_buf_addc(&s255, '"');
	for (int i = 0; i < 255; i++)
		lf_buf_adds(&s255, i % 2 ? "a" : "\\u00e9");
	lf_buf_addc(&s255, '"');
	lf_buf_add(&s256, s255.ptr, s255.len - 1);
	lf_buf_adds(&s256, "b\"");
	valid(limit, s255.ptr);
	invalid(limit, s256.ptr);
	valid("{\"pattern\": \"^(a|\u00e9){2,300}$\"}", s255.ptr);
	invalid("{\"pattern\": \"^(?:a|\u00e9){2,254}$\"}", s255.ptr);
	valid("{\"pattern\": \"^(?:a|\u00e9){255}$\"}", s255.ptr);
	/* no limit means no limit */
	valid("{\"type\": \"string\"}", s256.ptr);
	lf_buf_addc(&arr, '[');
	for (int i = 0; i < 300; i++)
		lf_buf_addf(&arr, "%s%d", i ? "," : "", i);
	lf_buf_addc(&arr, ']');
	valid("{\"uniqueItems\": true, \"items\": {\"type\": \"integer\"}}", arr.ptr);
	check1("{\"maxItems\": 299}", arr.ptr, "expected at most 299 items, got 300", "");
	lf_buf_release(&s255);
	lf_buf_release(&s256);
	lf_buf_release(&arr);
}

static void test_pattern_in_utf8_locale(void **state)
{
	(void)state;
	/* the caller's locale must not change what a pattern means */
	if (!setlocale(LC_ALL, "C.UTF-8")) {
		skip();
		return;
	}
	valid("{\"pattern\": \"^[^a].$\"}", "\"\\u00e9\\u20ac\"");
	invalid("{\"pattern\": \"^.$\"}", "\"ab\"");
	setlocale(LC_ALL, "C");
}

static void test_x_lakeform_message(void **state)
{
	const char *schema =
	    "{\"properties\": {\"name\": {\"type\": \"string\", \"pattern\": \"^[a-z]+$\","
	    " \"maxLength\": 5,"
	    " \"x-lakeform-message\": \"a name is lowercase letters only\"}}}";

	(void)state;
	check1(schema, "{\"name\": \"Bad\"}", "a name is lowercase letters only", "/name");
	/* it replaces the pattern's message only */
	check1(schema, "{\"name\": \"abcdefg\"}", "'abcdefg' is longer than 5 characters", "/name");
	check1(schema, "{\"name\": 3}", "expected string, got integer", "/name");
}

static void test_length(void **state)
{
	(void)state;
	check1("{\"minLength\": 3}", "\"ab\"", "'ab' is shorter than 3 characters", "");
	check1("{\"maxLength\": 1}", "\"ab\"", "'ab' is longer than 1 character", "");
	/* code points, not bytes: "é€" is 2 characters and 5 bytes */
	valid("{\"maxLength\": 2}", "\"\\u00e9\\u20ac\"");
	invalid("{\"minLength\": 3}", "\"\\u00e9\\u20ac\"");
	valid("{\"minLength\": 1, \"maxLength\": 1}", "\"\\ud83d\\ude00\"");
	valid("{\"minLength\": 2.0}", "\"ab\"");
	valid("{\"maxLength\": 0}", "\"\"");
	check1("{\"enum\": []}", "1", "1 is not allowed: 'enum' is empty", "");
	valid("{\"minLength\": 5}", "7");
}

static void test_numbers(void **state)
{
	(void)state;
	check1("{\"maximum\": 5}", "10", "10 is greater than the maximum 5", "");
	valid("{\"maximum\": 5}", "5");
	check1("{\"minimum\": 2}", "1", "1 is less than the minimum 2", "");
	valid("{\"minimum\": 2}", "2.0");
	check1("{\"exclusiveMaximum\": 5}", "5", "5 is not less than the exclusive maximum 5", "");
	valid("{\"exclusiveMaximum\": 5}", "4.999");
	check1("{\"exclusiveMinimum\": 2}", "2", "2 is not greater than the exclusive minimum 2",
	       "");
	check1("{\"maximum\": 1.5}", "2.5", "2.5 is greater than the maximum 1.5", "");
	/* integers compare exactly, beyond what a double holds */
	check1("{\"maximum\": 9007199254740992}", "9007199254740993",
	       "9007199254740993 is greater than the maximum 9007199254740992", "");
	valid("{\"maximum\": 5}", "\"10\"");
}

static void test_multiple_of(void **state)
{
	(void)state;
	check1("{\"multipleOf\": 2}", "7", "7 is not a multiple of 2", "");
	valid("{\"multipleOf\": 2}", "-8");
	valid("{\"multipleOf\": 1.5}", "4.5");
	invalid("{\"multipleOf\": 1.5}", "35");
	valid("{\"multipleOf\": 0.0001}", "0.0075");
	invalid("{\"multipleOf\": 0.0001}", "0.00751");
	valid("{\"multipleOf\": 0.1}", "0.3");
	valid("{\"multipleOf\": 0.01}", "19.99");
	check1("{\"multipleOf\": 0.5}", "0.3", "0.3 is not a multiple of 0.5", "");
}

static void test_items(void **state)
{
	(void)state;
	valid("{\"items\": {\"type\": \"integer\"}}", "[1, 2, 3]");
	check1("{\"items\": {\"type\": \"integer\"}}", "[1, \"x\", 3]",
	       "expected integer, got string", "/1");
	check1("{\"items\": [{\"type\": \"integer\"}, {\"type\": \"string\"}]}", "[1, 2]",
	       "expected string, got integer", "/1");
	valid("{\"items\": [{\"type\": \"integer\"}]}", "[1, \"anything\"]");
	check1("{\"items\": [{}, {}], \"additionalItems\": false}", "[1, 2, 3]",
	       "expected at most 2 items, got 3", "");
	check1("{\"items\": [{}], \"additionalItems\": {\"type\": \"string\"}}", "[1, \"a\", 3]",
	       "expected string, got integer", "/2");
	/* additionalItems does nothing beside an items schema */
	valid("{\"items\": {}, \"additionalItems\": false}", "[1, 2, 3]");
}

static void test_item_counts(void **state)
{
	(void)state;
	check1("{\"maxItems\": 2}", "[1, 2, 3]", "expected at most 2 items, got 3", "");
	check1("{\"minItems\": 1}", "[]", "expected at least 1 item, got 0", "");
	valid("{\"minItems\": 1, \"maxItems\": 1}", "[null]");
	check1("{\"maxProperties\": 1}", "{\"a\": 1, \"b\": 2}",
	       "expected at most 1 property, got 2", "");
	check1("{\"minProperties\": 2}", "{\"a\": 1}", "expected at least 2 properties, got 1", "");
}

static void test_unique_items(void **state)
{
	(void)state;
	valid("{\"uniqueItems\": true}", "[1, 2, \"1\", [1], {\"a\": 1}]");
	check1("{\"uniqueItems\": true}", "[1, 2, 1.0]",
	       "items must be unique (items 0 and 2 are equal)", "");
	check1("{\"uniqueItems\": true}", "[{\"a\": 1, \"b\": 2}, {\"b\": 2, \"a\": 1}]",
	       "items must be unique (items 0 and 1 are equal)", "");
	valid("{\"uniqueItems\": true}", "[false, 0, null]");
	valid("{\"uniqueItems\": false}", "[1, 1]");
}

static void test_contains(void **state)
{
	(void)state;
	valid("{\"contains\": {\"const\": 3}}", "[1, 3]");
	check1("{\"contains\": {\"const\": 3}}", "[1, 2]",
	       "must contain an item that matches the 'contains' schema", "");
	invalid("{\"contains\": {}}", "[]");
	valid("{\"contains\": false}", "{}");
}

static void test_property_names(void **state)
{
	(void)state;
	valid("{\"propertyNames\": {\"pattern\": \"^[a-z]+$\"}}", "{\"ab\": 1}");
	check1("{\"propertyNames\": {\"pattern\": \"^[a-z]+$\"}}", "{\"ab\": 1, \"Foo\": 2}",
	       "property name 'Foo' does not match pattern '^[a-z]+$'", "/Foo");
	check1("{\"propertyNames\": {\"maxLength\": 2}}", "{\"abc\": 1}",
	       "property name 'abc' is longer than 2 characters", "/abc");
	check1("{\"propertyNames\": false}", "{\"a\": 1}", "property name 'a' is not allowed",
	       "/a");
	valid("{\"propertyNames\": false}", "{}");
}

static void test_dependencies(void **state)
{
	const char *schema = "{\"dependencies\": {\"a\": [\"b\"], \"c\": {\"required\": [\"d\"]}}}";

	(void)state;
	valid(schema, "{\"a\": 1, \"b\": 2}");
	valid(schema, "{\"b\": 2}");
	check1(schema, "{\"a\": 1}", "property 'a' requires property 'b'", "");
	check1(schema, "{\"c\": 1}", "missing required property 'd'", "");
	valid(schema, "{\"c\": 1, \"d\": 2}");
}

static void test_all_of(void **state)
{
	struct errs e = {0};
	const char *schema = "{\"allOf\": [{\"required\": [\"a\"]}, {\"required\": [\"b\"]}]}";

	(void)state;
	valid(schema, "{\"a\": 1, \"b\": 2}");
	assert_int_equal(check(schema, "{}", &e), 2);
	assert_string_equal(e.msg[0], "missing required property 'a'");
	assert_string_equal(e.msg[1], "missing required property 'b'");
	errs_release(&e);
}

static void test_any_of(void **state)
{
	const char *schema = "{\"anyOf\": [{\"type\": \"string\"}, {\"minimum\": 2}]}";

	(void)state;
	valid(schema, "\"x\"");
	valid(schema, "3");
	/* one error at the instance, not one per branch */
	check1(schema, "1", "must match at least one of the alternatives", "");
}

static void test_one_of(void **state)
{
	const char *schema = "{\"oneOf\": [{\"type\": \"integer\"}, {\"minimum\": 2}]}";

	(void)state;
	valid(schema, "1");
	valid(schema, "2.5");
	check1(schema, "3", "must match exactly one of the alternatives, matched 2", "");
	check1(schema, "1.5", "must match exactly one of the alternatives, matched 0", "");
}

#define DISCRIMINATED(kw)                                                                        \
	"{\"properties\": {\"spec\": {\"" kw "\": ["                                             \
	"{\"properties\": {\"mode\": {\"const\": \"serverless\"},"                               \
	" \"size\": {\"type\": \"integer\"}}, \"required\": [\"mode\"]},"                        \
	"{\"$ref\": \"#/definitions/classic\"}]}},"                                              \
	" \"definitions\": {\"classic\": {\"properties\": {\"mode\": {\"enum\": [\"classic\"]}," \
	" \"nodes\": {\"type\": \"array\"}}, \"required\": [\"mode\", \"nodes\"],"               \
	" \"additionalProperties\": false}}}"

static void test_discriminator(void **state)
{
	struct errs e = {0};

	(void)state;
	valid(DISCRIMINATED("oneOf"), "{\"spec\": {\"mode\": \"serverless\", \"size\": 2}}");
	valid(DISCRIMINATED("anyOf"), "{\"spec\": {\"mode\": \"classic\", \"nodes\": []}}");
	/* the const picks the branch, whose own errors are reported */
	check1(DISCRIMINATED("oneOf"), "{\"spec\": {\"mode\": \"serverless\", \"size\": \"big\"}}",
	       "expected integer, got string", "/spec/size");
	assert_int_equal(
	    check(DISCRIMINATED("anyOf"), "{\"spec\": {\"mode\": \"classic\", \"extra\": 1}}", &e),
	    2);
	assert_string_equal(e.msg[0], "unknown property 'extra'");
	assert_string_equal(e.path[0], "/spec/extra");
	assert_string_equal(e.msg[1], "missing required property 'nodes'");
	assert_string_equal(e.path[1], "/spec");
	errs_release(&e);
	/* a value that fits no branch is named at the discriminating member */
	check1(DISCRIMINATED("oneOf"), "{\"spec\": {\"mode\": \"x\"}}",
	       "'x' is not one of 'serverless', 'classic'", "/spec/mode");
	/* without the discriminating member, the general message */
	check1(DISCRIMINATED("oneOf"), "{\"spec\": {\"size\": 1}}",
	       "must match exactly one of the alternatives, matched 0", "/spec");
	check1(DISCRIMINATED("anyOf"), "{\"spec\": {\"size\": 1}}",
	       "must match at least one of the alternatives", "/spec");
	/* the branches do not say "object": other values match them all */
	valid(DISCRIMINATED("anyOf"), "{\"spec\": 5}");
}

static void test_not(void **state)
{
	(void)state;
	valid("{\"not\": {\"type\": \"null\"}}", "1");
	check1("{\"not\": {\"type\": \"null\"}}", "null", "must not match the schema in 'not'", "");
}

static void test_if_then_else(void **state)
{
	const char *schema = "{\"if\": {\"properties\": {\"kind\": {\"const\": \"table\"}}},"
	                     " \"then\": {\"required\": [\"columns\"]},"
	                     " \"else\": {\"required\": [\"target\"]}}";

	(void)state;
	valid(schema, "{\"kind\": \"table\", \"columns\": []}");
	check1(schema, "{\"kind\": \"table\"}", "missing required property 'columns'", "");
	check1(schema, "{\"kind\": \"view\"}", "missing required property 'target'", "");
	/* then and else without if do nothing */
	valid("{\"then\": false, \"else\": false}", "1");
}

static void test_ref(void **state)
{
	(void)state;
	check1("{\"definitions\": {\"name\": {\"type\": \"string\"}},"
	       " \"properties\": {\"a\": {\"$ref\": \"#/definitions/name\"}}}",
	       "{\"a\": 1}", "expected string, got integer", "/a");
	/* the root, recursively */
	check1("{\"properties\": {\"child\": {\"$ref\": \"#\"}}, \"additionalProperties\": false}",
	       "{\"child\": {\"child\": {\"bad\": 1}}}", "unknown property 'bad'",
	       "/child/child/bad");
	/* JSON pointer escapes: ~0, ~1, %25 and array indexes */
	check1("{\"t~d\": {\"type\": \"integer\"}, \"s/l\": {\"type\": \"integer\"},"
	       " \"p%c\": {\"type\": \"integer\"}, \"arr\": [{}, {\"type\": \"null\"}],"
	       " \"properties\": {\"a\": {\"$ref\": \"#/t~0d\"}, \"b\": {\"$ref\": \"#/s~1l\"},"
	       " \"c\": {\"$ref\": \"#/p%25c\"}, \"d\": {\"$ref\": \"#/arr/1\"}}}",
	       "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}", "expected null, got integer", "/d");
	/* %-escapes are undone before the pointer is read: %2F is a '/' */
	check1("{\"definitions\": {\"a b\": {\"type\": \"null\"}, \"x\": {\"y\": {\"type\": "
	       "\"integer\"}}},"
	       " \"properties\": {\"p\": {\"$ref\": \"#/definitions/a%20b\"},"
	       " \"q\": {\"$ref\": \"#/definitions/x%2Fy\"}}}",
	       "{\"p\": null, \"q\": \"s\"}", "expected integer, got string", "/q");
	/* draft-07: keywords beside $ref are ignored */
	valid("{\"definitions\": {\"x\": {\"type\": \"array\"}},"
	      " \"properties\": {\"a\": {\"$ref\": \"#/definitions/x\", \"maxItems\": 1}}}",
	      "{\"a\": [1, 2, 3]}");
	/* a chain of refs, and refs to boolean schemas */
	valid("{\"definitions\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"$ref\": "
	      "\"#/definitions/a\"}},"
	      " \"$ref\": \"#/definitions/b\"}",
	      "5");
	check1("{\"definitions\": {\"no\": false}, \"$ref\": \"#/definitions/no\"}", "1",
	       "no value is allowed here", "");
}

static void test_recursion_depth(void **state)
{
	struct lf_schema *s = compile_ok("{\"items\": {\"$ref\": \"#\"}}");
	struct errs e = {0};
	json_t *root = json_array(), *cur = root;

	(void)state;
	/* deeper than the limit: one error where the limit is reached */
	for (int i = 0; i < 600; i++) {
		json_t *next = json_array();

		json_array_append_new(cur, next);
		cur = next;
	}
	e.root = root;
	assert_int_equal(lf_schema_validate(s, root, collect, &e), 1);
	assert_string_equal(e.msg[0], "value is nested more than 512 levels deep");
	assert_int_equal(e.depth[0], 512);
	errs_release(&e);
	json_decref(root);
	lf_schema_free(s);
}

static void test_boolean_schemas(void **state)
{
	(void)state;
	valid("true", "{\"anything\": [1]}");
	check1("false", "1", "no value is allowed here", "");
	valid("{\"properties\": {\"a\": true}}", "{\"a\": 1}");
	check1("{\"items\": [true, false]}", "[1, 2]", "no value is allowed here", "/1");
}

static void test_annotations_ignored(void **state)
{
	(void)state;
	valid("{\"title\": \"t\", \"description\": \"d\", \"default\": 5, \"examples\": [1],"
	      " \"$comment\": \"c\", \"format\": \"date-time\", \"x-lakeform-doc\": {\"a\": 1},"
	      " \"type\": \"string\"}",
	      "\"not a date\"");
}

static void test_many_errors_reported(void **state)
{
	struct errs e = {0};
	const char *schema = "{\"type\": \"object\", \"required\": [\"apiVersion\", \"kind\"],"
	                     " \"additionalProperties\": false,"
	                     " \"properties\": {\"apiVersion\": {\"const\": \"lakeform/v1\"},"
	                     " \"kind\": {\"enum\": [\"Catalog\", \"Table\"]},"
	                     " \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, "
	                     "\"maxItems\": 2}}}";

	(void)state;
	assert_int_equal(
	    check(schema, "{\"apiVersion\": \"v0\", \"tags\": [\"a\", 1, \"c\"], \"zz\": 0}", &e),
	    5);
	assert_string_equal(e.msg[0], "must be 'lakeform/v1'");
	assert_string_equal(e.path[0], "/apiVersion");
	assert_string_equal(e.msg[1], "expected string, got integer");
	assert_string_equal(e.path[1], "/tags/1");
	assert_string_equal(e.msg[2], "expected at most 2 items, got 3");
	assert_string_equal(e.path[2], "/tags");
	assert_string_equal(e.msg[3], "unknown property 'zz'");
	assert_string_equal(e.path[3], "/zz");
	assert_string_equal(e.msg[4], "missing required property 'kind'");
	assert_string_equal(e.path[4], "");
	errs_release(&e);
}

static void test_compile_errors(void **state)
{
	(void)state;
	compile_fails("{\"properties\": {\"a\": {\"pattern\": \"(ab\"}}}",
	              "cannot use pattern '(ab': missing ')' at '#/properties/a'");
	compile_fails("{\"pattern\": \"a(?=b)\"}",
	              "cannot use pattern 'a(?=b)': lookahead assertions are not supported at '#'");
	compile_fails("{\"pattern\": \"(a)\\\\1\"}",
	              "cannot use pattern '(a)\\1': backreferences are not supported at '#'");
	compile_fails("{\"pattern\": \"*a\"}",
	              "cannot use pattern '*a': nothing to repeat before '*' at '#'");
	compile_fails("{\"pattern\": \"[b-a]\"}",
	              "cannot use pattern '[b-a]': range out of order in character class at '#'");
	compile_fails(
	    "{\"pattern\": \"\\\\p{L}\"}",
	    "cannot use pattern '\\p{L}': unicode property escapes are not supported at '#'");
	/* a million copies would take glibc minutes to compile */
	compile_fails("{\"pattern\": \"(?:a{0,1000}){0,1000}\"}",
	              "cannot use pattern '(?:a{0,1000}){0,1000}': repetition makes the pattern"
	              " too large at '#'");
	compile_fails("{\"pattern\": \"a\\\\Bb\"}",
	              "cannot use pattern 'a\\Bb': '\\B' is not supported at '#'");
	compile_fails("{\"patternProperties\": {\"[a\": {}}}",
	              "cannot use pattern '[a': missing ']' at '#/patternProperties/[a'");
	compile_fails("{\"properties\": {\"a\": {\"$ref\": \"#/definitions/nope\"}}}",
	              "unresolvable $ref '#/definitions/nope': no such location in the document"
	              " at '#/properties/a'");
	compile_fails("{\"$ref\": \"http://localhost:1234/x.json\"}",
	              "unresolvable $ref 'http://localhost:1234/x.json': only references within"
	              " the same document ('#...') are supported at '#'");
	compile_fails(
	    "{\"items\": [{}, {\"$ref\": \"#/items/2\"}]}",
	    "unresolvable $ref '#/items/2': no such location in the document at '#/items/1'");
	compile_fails("{\"type\": \"strin\"}", "unknown type 'strin' at '#'");
	compile_fails("{\"minLength\": -1}", "'minLength' must be a non-negative integer at '#'");
	compile_fails("{\"maxItems\": 1.5}", "'maxItems' must be a non-negative integer at '#'");
	compile_fails("{\"required\": \"a\"}",
	              "'required' must be an array of property names at '#'");
	compile_fails("{\"multipleOf\": 0}", "'multipleOf' must be greater than 0 at '#'");
	compile_fails("{\"properties\": {\"a\": 5}}",
	              "a schema must be an object or a boolean, not a number at '#/properties/a'");
	compile_fails("{\"anyOf\": []}", "'anyOf' must be a non-empty array of schemas at '#'");
	compile_fails("{\"definitions\": {\"d\": {\"pattern\": \"(\"}}}",
	              "cannot use pattern '(': missing ')' at '#/definitions/d'");
	compile_fails("{\"x-lakeform-message\": 1}",
	              "'x-lakeform-message' must be a string at '#'");
}

static void test_circular_refs(void **state)
{
	(void)state;
	/* refs that never descend into the instance would loop for ever */
	compile_fails("{\"$ref\": \"#\"}",
	              "circular $ref: the schema refers to itself without descending into the value"
	              " at '#'");
	compile_fails("{\"definitions\": {\"a\": {\"anyOf\": [{\"type\": \"string\"},"
	              " {\"$ref\": \"#/definitions/a\"}]}}, \"properties\": {\"p\": {\"$ref\": "
	              "\"#/definitions/a\"}}}",
	              "circular $ref: the schema refers to itself without descending into the value"
	              " at '#/definitions/a'");
	/* through properties or items it is recursion, and fine */
	valid("{\"definitions\": {\"node\": {\"properties\": {\"next\": {\"$ref\": "
	      "\"#/definitions/node\"}}}},"
	      " \"$ref\": \"#/definitions/node\"}",
	      "{\"next\": {\"next\": {}}}");
}

static void test_schema_outlives_caller_reference(void **state)
{
	json_t *schema =
	    parse("{\"properties\": {\"a\": {\"pattern\": \"^x\", \"enum\": [\"xy\"]}}}");
	struct lf_schema *s = NULL;
	char *err = NULL;
	struct errs e = {0};

	(void)state;
	assert_int_equal(lf_schema_compile(&s, schema, &err), 0);
	json_decref(schema); /* the compiled schema keeps the document alive */
	assert_int_equal(run(s, "{\"a\": \"xz\"}", &e), 1);
	assert_string_equal(e.msg[0], "'xz' is not one of 'xy'");
	errs_release(&e);
	/* one compiled schema validates many documents */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(run(s, "{\"a\": \"xy\"}", &e), 0);
	lf_schema_free(s);
	lf_schema_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_type),
	    cmocka_unit_test(test_type_error_stops_other_keywords),
	    cmocka_unit_test(test_properties_paths),
	    cmocka_unit_test(test_required),
	    cmocka_unit_test(test_additional_properties),
	    cmocka_unit_test(test_pattern_properties),
	    cmocka_unit_test(test_enum),
	    cmocka_unit_test(test_const),
	    cmocka_unit_test(test_pattern),
	    cmocka_unit_test(test_pattern_unicode),
	    cmocka_unit_test(test_long_values),
	    cmocka_unit_test(test_pattern_in_utf8_locale),
	    cmocka_unit_test(test_x_lakeform_message),
	    cmocka_unit_test(test_length),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_multiple_of),
	    cmocka_unit_test(test_items),
	    cmocka_unit_test(test_item_counts),
	    cmocka_unit_test(test_unique_items),
	    cmocka_unit_test(test_contains),
	    cmocka_unit_test(test_property_names),
	    cmocka_unit_test(test_dependencies),
	    cmocka_unit_test(test_all_of),
	    cmocka_unit_test(test_any_of),
	    cmocka_unit_test(test_one_of),
	    cmocka_unit_test(test_discriminator),
	    cmocka_unit_test(test_not),
	    cmocka_unit_test(test_if_then_else),
	    cmocka_unit_test(test_ref),
	    cmocka_unit_test(test_recursion_depth),
	    cmocka_unit_test(test_boolean_schemas),
	    cmocka_unit_test(test_annotations_ignored),
	    cmocka_unit_test(test_many_errors_reported),
	    cmocka_unit_test(test_compile_errors),
	    cmocka_unit_test(test_circular_refs),
	    cmocka_unit_test(test_schema_outlives_caller_reference),
	    cmocka_unit_test(test_plain_patterns_as_posix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
