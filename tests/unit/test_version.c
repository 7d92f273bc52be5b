/* util/version: versions and the constraints of providers.NAME.version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "util/version.h"

static int ok(const char *constraint, const char *version)
{
	struct lf_constraint c;
	struct lf_version v;
	const char *why = NULL;

	assert_int_equal(lf_constraint_parse(&c, constraint, &why), 0);
	assert_int_equal(lf_version_parse(&v, version, strlen(version)), 0);
	return lf_constraint_match(&c, &v);
}

static void t_versions(void **st)
{
	struct lf_version a, b;
	(void)st;
	assert_int_equal(lf_version_parse(&a, "1.2.3", 5), 0);
	assert_int_equal(a.parts, 3);
	assert_int_equal(a.n[2], 3);
	assert_int_equal(lf_version_parse(&b, "1.2", 3), 0);
	assert_true(lf_version_cmp(&a, &b) > 0);
	assert_int_equal(lf_version_parse(&b, "1.2.3-rc1", 9), 0);
	assert_true(lf_version_cmp(&b, &a) < 0);
	assert_int_equal(lf_version_parse(&a, "1.2.3-rc2", 9), 0);
	assert_true(lf_version_cmp(&b, &a) < 0);
	static const char *const bad[] = {"", "1.", ".1", "1.2.3.4", "v1", "1.x", "1-", "1 2"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(lf_version_parse(&a, bad[i], strlen(bad[i])), -1);
}

static void t_operators(void **st)
{
	(void)st;
	assert_true(ok("1.2", "1.2.0"));
	assert_false(ok("= 1.2", "1.2.1"));
	assert_true(ok("!= 1.2", "1.2.1"));
	assert_false(ok("!=1.2.1", "1.2.1"));
	assert_true(ok("> 1.2", "1.2.1"));
	assert_false(ok("> 1.2", "1.2.0"));
	assert_true(ok(">= 1.2", "1.2.0"));
	assert_false(ok(">= 1.2", "1.1.9"));
	assert_true(ok("< 2", "1.99.99"));
	assert_false(ok("< 2", "2.0.0"));
	assert_false(ok("< 2", "2.0.0") && ok("<= 2", "2.0.1"));
	assert_true(ok("<= 2", "2.0.0"));
	assert_true(ok(">= 1.2, < 2", "1.5.0"));
	assert_false(ok(">= 1.2, < 2", "2.1.0"));
	assert_false(ok(">= 1.2, < 2", "1.1.0"));
	/* the pessimistic operator drops the last number written */
	assert_true(ok("~> 1.2", "1.9.0"));
	assert_false(ok("~> 1.2", "2.0.0"));
	assert_false(ok("~> 1.2", "1.1.9"));
	assert_true(ok("~> 1.2.3", "1.2.9"));
	assert_false(ok("~> 1.2.3", "1.3.0"));
	assert_true(ok("~> 1", "1.9.9"));
	assert_false(ok("~> 1", "2.0.0"));
	/* a pre-release is before its release */
	assert_false(ok(">= 2.0.0", "2.0.0-rc1"));
}

static void t_bad_constraints(void **st)
{
	struct lf_constraint c;
	const char *why = NULL;
	(void)st;
	assert_int_equal(lf_constraint_parse(&c, "", &why), -1);
	assert_string_equal(why, "a condition without a version");
	assert_int_equal(lf_constraint_parse(&c, ">= 1.2,", &why), -1);
	assert_string_equal(why, "a condition without a version");
	assert_int_equal(lf_constraint_parse(&c, "=> 1.2", &why), -1);
	assert_string_equal(why, "the operators are =, !=, >, >=, <, <= and ~>");
	assert_int_equal(lf_constraint_parse(&c, ">= one", &why), -1);
	assert_string_equal(why, "a version is numbers with dots, such as 1.2.3");
	assert_int_equal(lf_constraint_parse(&c, ">= 1.2 < 2", &why), -1);
	assert_string_equal(why, "separate the conditions with commas, such as '>= 1.2, < 2'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_versions),
	    cmocka_unit_test(t_operators),
	    cmocka_unit_test(t_bad_constraints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
