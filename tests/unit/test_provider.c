/*
 * Unit tests for src/core/provider.c, the host side of the protocol, on
 * real provider processes: the SDK's test provider ($LF_TEST_PROVIDER,
 * tests/providers/sdk-test-provider) and the Perl fault provider
 * (tests/providers/lakeform-provider-faulty).
 *
 * What is tested: calls sent without waiting (lf_provider_send, flush,
 * inbox), the concurrency a provider announced, a missed deadline given up
 * with lf_call_expire, a provider that dies with calls out, and the two
 * halves of starting a provider (launch, await).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/provider.h"
#include "util/clock.h"

struct fixture {
	char dir[64]; /* the provider's working directory */
	char cwd[PATH_MAX];
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!getcwd(fx->cwd, sizeof(fx->cwd)))
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/lf-provider-XXXXXX");
	if (!mkdtemp(fx->dir) || chdir(fx->dir))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (chdir(fx->cwd))
		return -1;
	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* An executable named by `env`, else `fallback` (relative to the
 * repository, where the tests start). */
static char *exe_path(const struct fixture *fx, const char *env, const char *fallback)
{
	const char *p = getenv(env);
	char *out = NULL;

	if (p && *p)
		return strdup(p);
	if (asprintf(&out, "%s/%s", fx->cwd, fallback) < 0)
		return NULL;
	return out;
}

static struct lf_provider *start(const struct fixture *fx, const char *env, const char *fallback,
                                 json_t *settings)
{
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_provider *p = NULL;
	struct lf_provider_error err;
	char *exe = exe_path(fx, env, fallback);

	assert_non_null(exe);
	if (lf_provider_start(&p, exe, "provider.log", "test", &d) != 0) {
		for (size_t i = 0; i < d.n; i++)
			print_message("%s\n", d.v[i].msg);
		fail_msg("cannot start %s", exe);
	}
	free(exe);
	lf_diags_release(&d);
	assert_int_equal(lf_provider_configure(p, settings, "acct", &err), 0);
	return p;
}

static struct lf_provider *start_sdk(const struct fixture *fx)
{
	return start(fx, "LF_TEST_PROVIDER", "build/san/tests/lakeform-provider-sdktest", NULL);
}

static json_t *item_create(int i)
{
	char name[32];

	snprintf(name, sizeof(name), "item-%d", i);
	return json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s}}}", "type", "test.item", "address", name,
	                 "inputs", "name", name, "labels", "lakeform/address", name,
	                 "lakeform/account", "acct");
}

/* 40 creates through a window of the provider's concurrency (4): each
 * answer comes back once, to its own tag, with its own result. */
static void test_pipelined(void **state)
{
	struct fixture *fx = *state;
	struct lf_provider *p = start_sdk(fx);
	struct lf_inbox *in = lf_inbox_new();
	int answered[40] = {0};
	int sent = 0, done = 0, flying = 0, busy = 0;

	assert_int_equal(lf_provider_concurrency(p), 4);
	while (done < 40) {
		while (sent < 40) {
			struct lf_call *c;
			struct lf_provider_error err;
			json_t *params = item_create(sent);
			int rc = lf_provider_send(p, "create", params, 10000, in,
			                          (void *)(intptr_t)sent, &c, &err);
			json_decref(params);
			if (rc) {
				/* 4 unanswered: its concurrency is full (answered
				 * calls not yet taken do not count) */
				assert_int_equal(err.code, LF_PROVIDER_EBUSY);
				assert_true(flying >= 4);
				busy++;
				break;
			}
			sent++;
			flying++;
		}
		assert_int_equal(lf_provider_flush(p), 0);
		struct timespec until = lf_ts_in_ms(CLOCK_MONOTONIC, 10000);
		struct lf_call *c = lf_inbox_next(in, &until);
		assert_non_null(c);
		while (c) {
			int i = (int)(intptr_t)lf_call_tag(c);
			json_t *res = NULL;
			struct lf_provider_error err;
			char want[32];

			if (lf_call_take(c, 10000, &res, &err) != 0)
				fail_msg("create: %s", err.message);
			snprintf(want, sizeof(want), "item-%d", i);
			assert_string_equal(json_string_value(json_object_get(res, "id")), want);
			json_decref(res);
			assert_int_equal(answered[i], 0);
			answered[i] = 1;
			done++;
			flying--;
			c = lf_inbox_next(in, NULL);
		}
	}
	assert_true(busy > 0);
	/* nothing more comes */
	assert_null(lf_inbox_next(in, NULL));
	lf_inbox_free(in);
	lf_provider_stop(p, 5000);
}

/* Nothing is sent before the flush. */
static void test_nothing_before_flush(void **state)
{
	struct fixture *fx = *state;
	struct lf_provider *p = start_sdk(fx);
	struct lf_inbox *in = lf_inbox_new();
	struct lf_call *c;
	struct lf_provider_error err;
	json_t *params = item_create(1);

	assert_int_equal(lf_provider_send(p, "create", params, 10000, in, NULL, &c, &err), 0);
	json_decref(params);
	struct timespec until = lf_ts_in_ms(CLOCK_MONOTONIC, 300);
	assert_null(lf_inbox_next(in, &until));
	assert_int_equal(lf_provider_flush(p), 0);
	until = lf_ts_in_ms(CLOCK_MONOTONIC, 10000);
	c = lf_inbox_next(in, &until);
	assert_non_null(c);
	json_t *res = NULL;
	if (lf_call_take(c, 10000, &res, &err) != 0)
		fail_msg("create: %s", err.message);
	json_decref(res);
	lf_inbox_free(in);
	lf_provider_stop(p, 5000);
}

/* A call past its deadline: given up, it comes back as a missed deadline
 * naming the provider and the method; its late answer is dropped. */
static void test_expire(void **state)
{
	struct fixture *fx = *state;
	struct lf_provider *p = start_sdk(fx);
	struct lf_inbox *in = lf_inbox_new();
	struct lf_call *c;
	struct lf_provider_error err;
	json_t *params = json_pack("{s:s, s:s, s:{s:s, s:i}}", "type", "test.slow", "address",
	                           "slow-1", "inputs", "name", "slow-1", "sleep_ms", 1500);

	assert_int_equal(lf_provider_send(p, "create", params, 200, in, NULL, &c, &err), 0);
	json_decref(params);
	assert_int_equal(lf_provider_flush(p), 0);
	struct timespec until = lf_ts_in_ms(CLOCK_MONOTONIC, 300);
	assert_null(lf_inbox_next(in, &until)); /* still sleeping */
	lf_call_expire(c);
	c = lf_inbox_next(in, NULL);
	assert_non_null(c);
	json_t *res = NULL;
	assert_int_equal(lf_call_take(c, 200, &res, &err), -1);
	assert_null(res);
	assert_int_equal(err.code, LF_PROVIDER_EDEADLINE);
	assert_non_null(strstr(err.message, "did not answer 'create' within 200 ms"));
	/* its answer, when it comes, goes nowhere */
	until = lf_ts_in_ms(CLOCK_MONOTONIC, 2000);
	assert_null(lf_inbox_next(in, &until));
	lf_inbox_free(in);
	lf_provider_stop(p, 5000);
}

/* A provider that dies with a call out: the call comes back failed, naming
 * the provider's log, and later sends fail at once. */
static void test_provider_dies(void **state)
{
	struct fixture *fx = *state;
	json_t *settings = json_pack("{s:[s]}", "die", "storage.prefix/b/p");
	struct lf_provider *p = start(fx, "LF_TEST_FAULTY_PROVIDER",
	                              "tests/providers/lakeform-provider-faulty", settings);
	struct lf_inbox *in = lf_inbox_new();
	struct lf_call *c;
	struct lf_provider_error err;
	json_t *params =
	    json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s}}}", "type", "storage.prefix", "address",
	              "storage.prefix/b/p", "inputs", "bucket", "b", "labels", "lakeform/address",
	              "storage.prefix/b/p", "lakeform/account", "acct");

	json_decref(settings);
	assert_int_equal(lf_provider_send(p, "create", params, 10000, in, NULL, &c, &err), 0);
	lf_provider_flush(p);
	struct timespec until = lf_ts_in_ms(CLOCK_MONOTONIC, 10000);
	c = lf_inbox_next(in, &until);
	assert_non_null(c);
	json_t *res = NULL;
	assert_int_equal(lf_call_take(c, 10000, &res, &err), -1);
	assert_int_equal(err.code, LF_PROVIDER_EGONE);
	assert_non_null(strstr(err.message, "exited during 'create'"));
	assert_non_null(strstr(err.message, "provider.log"));
	assert_int_equal(lf_provider_send(p, "create", params, 10000, in, NULL, &c, &err), -1);
	assert_int_equal(err.code, LF_PROVIDER_EGONE);
	json_decref(params);
	lf_inbox_free(in);
	lf_provider_stop(p, 5000);
}

/* Launch, then await: the start-up runs meanwhile; an executable that
 * cannot run is reported when awaited, and stopping it does not hang. */
static void test_launch_await(void **state)
{
	struct fixture *fx = *state;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_provider *p = NULL;
	char *exe = exe_path(fx, "LF_TEST_PROVIDER", "build/san/tests/lakeform-provider-sdktest");

	assert_int_equal(lf_provider_launch(&p, exe, "provider.log", "test", &d), 0);
	free(exe);
	assert_int_equal(lf_provider_await(p, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(lf_provider_concurrency(p), 4);
	assert_true(lf_provider_has_type(p, "test.slow"));
	lf_provider_stop(p, 5000);

	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(
	    lf_provider_launch(&p, "/nonexistent/lakeform-provider-x", "provider.log", "test", &d),
	    0);
	assert_int_equal(lf_provider_await(p, &d), -1);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "did not initialize"));
	lf_provider_stop(p, 5000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 3);

	/* launched and never awaited: stop awaits it */
	exe = exe_path(fx, "LF_TEST_PROVIDER", "build/san/tests/lakeform-provider-sdktest");
	assert_int_equal(lf_provider_launch(&p, exe, "provider.log", "test", &d), 0);
	free(exe);
	lf_provider_stop(p, 5000);
	lf_diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nothing_before_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_provider_dies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_launch_await, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
