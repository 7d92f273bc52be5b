/* Unit tests for src/core/family.c and src/core/session.c: the family
 * table, and a session that reads the environment only through its
 * front end's callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/family.h"
#include "core/session.h"

static void test_family_table(void **state)
{
	struct lf_providers pv;
	(void)state;

	assert_int_equal(lf_family_find("storage"), LF_FAMILY_STORAGE);
	assert_int_equal(lf_family_find("compute"), LF_FAMILY_COMPUTE);
	assert_int_equal(lf_family_find("lakeform"), -1);
	assert_int_equal(lf_family_find(NULL), -1);
	for (int f = 0; f < LF_NFAMILIES; f++) {
		size_t n = strlen(lf_families[f].name);
		assert_memory_equal(lf_families[f].type_prefix, lf_families[f].name, n);
		assert_string_equal(lf_families[f].type_prefix + n, ".");
	}
	assert_string_equal(lf_families[LF_FAMILY_COMPUTE].provider, "local-compute");
	memset(&pv, 0, sizeof(pv));
	pv.v[LF_FAMILY_COMPUTE] = (struct lf_provider *)&pv; /* any non-NULL */
	assert_ptr_equal(lf_providers_get(&pv, "compute"), &pv);
	assert_null(lf_providers_get(&pv, "storage"));
	assert_null(lf_providers_get(&pv, "nope"));
}

/* The environment a test front end gives: only what `arg` lists. */
static const char *fake_env(const char *name, void *arg)
{
	const char *const *kv = arg;

	for (; kv && kv[0]; kv += 2)
		if (!strcmp(kv[0], name))
			return kv[1];
	return NULL;
}

/* A scratch configuration directory holding `yaml` as lakeform.yaml; the
 * test runs in it. */
static char *enter_scratch(const char *yaml)
{
	char tmpl[] = "/tmp/lf-session-test.XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	assert_int_equal(chdir(dir), 0);
	FILE *f = fopen("lakeform.yaml", "w");
	assert_non_null(f);
	fputs(yaml, f);
	fclose(f);
	return strdup(dir);
}

static void leave_scratch(char *dir)
{
	unlink("lakeform.yaml");
	assert_int_equal(chdir("/"), 0);
	rmdir(dir);
	free(dir);
}

static void test_settings_problems_have_positions(void **state)
{
	struct lf_session_opts o = {"schemas", "/nonexistent", NULL, fake_env, NULL};
	struct lf_session s;
	struct lf_diags d = LF_DIAGS_INIT;
	(void)state;

	char *dir = enter_scratch("providers:\n  identity: {name: x}\n");
	lf_session_init(&s, &o);
	assert_int_equal(lf_session_settings(&s, &d), -1);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.v[0].line, 2);
	assert_string_equal(d.v[0].msg, "unknown provider family 'identity' (storage, compute)");
	assert_null(s.settings);
	lf_diags_release(&d);
	lf_session_close(&s);
	leave_scratch(dir);
}

static void test_s3_credentials_come_from_the_callback(void **state)
{
	const char *env[] = {"AWS_ACCESS_KEY_ID", "AKIA", NULL, NULL};
	struct lf_session_opts o = {"schemas", "/nonexistent", NULL, fake_env, (void *)env};
	struct lf_session s;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_backend *b = NULL;
	(void)state;

	/* the process may have AWS_SECRET_ACCESS_KEY: the session must not see it */
	setenv("AWS_SECRET_ACCESS_KEY", "from-the-process", 1);
	char *dir = enter_scratch("backend: {type: s3, bucket: b, key: k}\n");
	lf_session_init(&s, &o);
	assert_int_equal(lf_session_open_backend(&b, &s, &d), -1);
	assert_null(b);
	/* the backend says why, once, without a position */
	assert_int_equal(d.n, 1);
	assert_null(d.v[0].file);
	assert_non_null(strstr(d.v[0].msg, "the s3 backend needs credentials"));
	lf_diags_release(&d);
	lf_session_close(&s);
	leave_scratch(dir);
	unsetenv("AWS_SECRET_ACCESS_KEY");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_family_table),
	    cmocka_unit_test(test_settings_problems_have_positions),
	    cmocka_unit_test(test_s3_credentials_come_from_the_callback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
