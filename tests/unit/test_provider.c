/*
 * Unit tests for src/core/provider.c, the host side of the protocol, on
 * real provider processes: the SDK's test provider ($LF_TEST_PROVIDER,
 * tests/providers/sdk-test-provider) and the Perl fault provider
 * (tests/providers/lakeform-provider-faulty).
 *
 * What is tested: calls sent without waiting (lf_provider_send, flush,
 * inbox), the concurrency a provider announced, a missed deadline given up
 * with lf_call_expire (its late answer ignored), a provider that dies with
 * calls out, one that breaks the session with a line that is no answer or
 * is longer than max_answer, the two halves of starting a provider
 * (launch, await), and an answer that is exactly the one expected.
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

static struct lf_provider *start_with(const struct fixture *fx, const char *env,
                                      const char *fallback, json_t *settings,
                                      const struct lf_provider_opts *opts)
{
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_provider *p = NULL;
	struct lf_provider_error err;
	char *exe = exe_path(fx, env, fallback);

	assert_non_null(exe);
	if (lf_provider_start(&p, exe, "provider.log", "test", opts, &d) != 0) {
		for (size_t i = 0; i < d.n; i++)
			print_message("%s\n", d.v[i].msg);
		fail_msg("cannot start %s", exe);
	}
	free(exe);
	lf_diags_release(&d);
	assert_int_equal(lf_provider_configure(p, settings, "acct", &err), 0);
	return p;
}

static struct lf_provider *start(const struct fixture *fx, const char *env, const char *fallback,
                                 json_t *settings)
{
	return start_with(fx, env, fallback, settings, NULL);
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
	/* and does not break the session: a late answer is no stray one */
	params = item_create(2);
	assert_int_equal(lf_provider_send(p, "create", params, 10000, in, NULL, &c, &err), 0);
	json_decref(params);
	assert_int_equal(lf_provider_flush(p), 0);
	until = lf_ts_in_ms(CLOCK_MONOTONIC, 10000);
	c = lf_inbox_next(in, &until);
	assert_non_null(c);
	if (lf_call_take(c, 10000, &res, &err) != 0)
		fail_msg("create after a late answer: %s", err.message);
	json_decref(res);
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

/*
 * A create of storage.prefix/b/p answered as settings.answer says (and
 * `more` settings, stolen), with `opts`: err[0] is the call's failure,
 * err[1] and err[2] those of a send and a call after it.  Returns 0 when
 * the create succeeded instead (nothing else is tried then).
 */
static int bad_answer(const struct fixture *fx, const char *kind, json_t *more,
                      const struct lf_provider_opts *opts, struct lf_provider_error *err)
{
	json_t *settings = json_pack("{s:{s:s}}", "answer", "storage.prefix/b/p", kind);
	json_object_update(settings, more);
	json_decref(more);
	struct lf_provider *p =
	    start_with(fx, "LF_TEST_FAULTY_PROVIDER", "tests/providers/lakeform-provider-faulty",
	               settings, opts);
	struct lf_inbox *in = lf_inbox_new();
	struct lf_call *c;
	json_t *params =
	    json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s}}}", "type", "storage.prefix", "address",
	              "storage.prefix/b/p", "inputs", "bucket", "b", "labels", "lakeform/address",
	              "storage.prefix/b/p", "lakeform/account", "acct");
	struct timespec a, b;

	json_decref(settings);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(lf_provider_send(p, "create", params, 20000, in, NULL, &c, &err[0]), 0);
	lf_provider_flush(p);
	struct timespec until = lf_ts_in_ms(CLOCK_MONOTONIC, 20000);
	c = lf_inbox_next(in, &until);
	assert_non_null(c);
	json_t *res = NULL;
	if (lf_call_take(c, 20000, &res, &err[0]) == 0) {
		json_decref(res);
		json_decref(params);
		lf_inbox_free(in);
		lf_provider_stop(p, 5000);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 5); /* at once, not at the deadline */
	/* later calls fail at once, with the same reason */
	assert_int_equal(lf_provider_send(p, "create", params, 20000, in, NULL, &c, &err[1]), -1);
	assert_int_equal(lf_provider_call(p, "read", params, 20000, &res, &err[2]), -1);
	json_decref(params);
	lf_inbox_free(in);
	lf_provider_stop(p, 5000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 5); /* killed, not waited for */
	return -1;
}

/* Lines that are no answer break the session at once: every call fails
 * with LF_PROVIDER_EBROKEN and what was wrong. */
static void test_broken_session(void **state)
{
	static const struct {
		const char *kind, *says;
	} cases[] = {
	    {"not-json", "broke the protocol: it wrote a line that is not JSON (column 4: "},
	    {"wrong-id", "broke the protocol: it answered id 1003, which is not a request in "
	                 "flight (its log: provider.log)"},
	    {"null-id", "broke the protocol: it answered with id null"},
	    {"not-utf8", "broke the protocol: it wrote a line that is not UTF-8 (byte 0xff at "
	                 "offset 42)"},
	    {"not-object", "broke the protocol: it wrote a line that is not a JSON object"},
	    {"string-id", "broke the protocol: it wrote an answer without an integer id"},
	};
	struct fixture *fx = *state;
	struct lf_provider_error err[3];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* a root each: the object made before is not found made */
		json_t *more = json_pack("{s:s}", "root", cases[i].kind);
		assert_int_equal(bad_answer(fx, cases[i].kind, more, NULL, err), -1);
		for (int j = 0; j < 3; j++) {
			assert_int_equal(err[j].code, LF_PROVIDER_EBROKEN);
			if (!strstr(err[j].message, cases[i].says))
				fail_msg("%s: %s", cases[i].kind, err[j].message);
		}
	}
}

/* Lines of spaces, tabs and "\r", and empty ones, are no messages: the
 * answer after them is taken. */
static void test_blank_lines(void **state)
{
	struct fixture *fx = *state;
	struct lf_provider_error err[3];

	assert_int_equal(bad_answer(fx, "blank-first", json_object(), NULL, err), 0);
}

/* A line longer than max_answer breaks the session once that much of it
 * was read, and the message names where the limit is set. */
static void test_max_answer(void **state)
{
	struct fixture *fx = *state;
	struct lf_provider_error err[3];
	struct lf_provider_opts opts = {0, 64 << 10, "the test's limit"};

	assert_int_equal(bad_answer(fx, "huge", json_pack("{s:i}", "huge_mib", 1), &opts, err), -1);
	for (int j = 0; j < 3; j++) {
		assert_int_equal(err[j].code, LF_PROVIDER_EBROKEN);
		assert_non_null(strstr(err[j].message, "broke the protocol: it wrote a line longer "
		                                       "than 65536 bytes, the limit of the test's "
		                                       "limit (its log: provider.log)"));
	}
	/* the same line under the default limit (16 MiB) is an answer */
	assert_int_equal(bad_answer(fx, "huge",
	                            json_pack("{s:i, s:s}", "huge_mib", 1, "root", "two"), NULL,
	                            err),
	                 0);
}

/* Launch, then await: the start-up runs meanwhile; an executable that
 * cannot run is reported when awaited, and stopping it does not hang. */
static void test_launch_await(void **state)
{
	struct fixture *fx = *state;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_provider *p = NULL;
	char *exe = exe_path(fx, "LF_TEST_PROVIDER", "build/san/tests/lakeform-provider-sdktest");

	assert_int_equal(lf_provider_launch(&p, exe, "provider.log", "test", NULL, &d), 0);
	free(exe);
	assert_int_equal(lf_provider_await(p, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(lf_provider_concurrency(p), 4);
	assert_true(lf_provider_has_type(p, "test.slow"));
	lf_provider_stop(p, 5000);

	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(lf_provider_launch(&p, "/nonexistent/lakeform-provider-x", "provider.log",
	                                    "test", NULL, &d),
	                 0);
	assert_int_equal(lf_provider_await(p, &d), -1);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "did not initialize"));
	lf_provider_stop(p, 5000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 3);

	/* launched and never awaited: stop awaits it */
	exe = exe_path(fx, "LF_TEST_PROVIDER", "build/san/tests/lakeform-provider-sdktest");
	assert_int_equal(lf_provider_launch(&p, exe, "provider.log", "test", NULL, &d), 0);
	free(exe);
	lf_provider_stop(p, 5000);
	lf_diags_release(&d);
}

/* One read sent with its params as text and an expected result in
 * `pieces`: the result taken (NULL when it came exactly as expected). */
static json_t *read_expecting(struct lf_provider *p, const struct lf_text_piece *pieces, size_t n)
{
	static const char params[] =
	    "{\"type\":\"test.item\",\"address\":\"item-1\",\"id\":\"item-1\",\"inputs\":null}";
	struct lf_inbox *in = lf_inbox_new();
	struct lf_provider_error err;
	struct lf_call *c;
	json_t *res = NULL;

	assert_int_equal(lf_provider_send_text(p, "read", params, sizeof(params) - 1, 10000, pieces,
	                                       n, in, NULL, &c, &err),
	                 0);
	assert_int_equal(lf_provider_flush(p), 0);
	struct timespec until = lf_ts_in_ms(CLOCK_MONOTONIC, 10000);
	c = lf_inbox_next(in, &until);
	assert_non_null(c);
	if (lf_call_take(c, 10000, &res, &err) != 0)
		fail_msg("read: %s", err.message);
	lf_inbox_free(in);
	return res;
}

/* A read whose answer is exactly the result expected is not parsed
 * (lf_call_take gives NULL), in however many pieces it was expected; an
 * answer a byte off, or longer or shorter, is parsed as any other.  The
 * SDK writes its answers with their keys sorted. */
static void test_expected_answer(void **state)
{
	struct fixture *fx = *state;
	struct lf_provider *p = start_sdk(fx);
	struct lf_provider_error err;
	json_t *params = item_create(1), *res = NULL;
	const char *attrs = "{\"id\":\"item-1\",\"labels\":{\"lakeform/account\":\"acct\","
	                    "\"lakeform/address\":\"item-1\"},\"name\":\"item-1\"}";
	const char *tail = ",\"exists\":true,\"id\":\"item-1\"}";

	assert_int_equal(lf_provider_call(p, "create", params, 10000, &res, &err), 0);
	json_decref(params);
	json_decref(res);

	struct lf_text_piece exact[] = {
	    {"{\"attributes\":", 14}, {attrs, 10}, {attrs + 10, strlen(attrs) - 10},
	    {tail, strlen(tail)},     {"", 0},
	};
	assert_null(read_expecting(p, exact, 5));

	struct lf_text_piece whole[] = {
	    {"{\"attributes\":", 14}, {attrs, strlen(attrs)}, {tail, strlen(tail)}};
	assert_null(read_expecting(p, whole, 3));

	/* one byte off, one byte short, one byte more: parsed */
	const char *off = ",\"exists\":true,\"id\":\"item-2\"}";
	const char *more = ",\"exists\":true,\"id\":\"item-1\"}}";
	struct lf_text_piece wrong[][3] = {
	    {{"{\"attributes\":", 14}, {attrs, strlen(attrs)}, {off, strlen(off)}},
	    {{"{\"attributes\":", 14}, {attrs, strlen(attrs)}, {tail, strlen(tail) - 1}},
	    {{"{\"attributes\":", 14}, {attrs, strlen(attrs)}, {more, strlen(more)}},
	};
	for (size_t i = 0; i < 3; i++) {
		res = read_expecting(p, wrong[i], 3);
		assert_non_null(res);
		assert_true(json_is_true(json_object_get(res, "exists")));
		assert_string_equal(json_string_value(json_object_get(res, "id")), "item-1");
		char *text =
		    json_dumps(json_object_get(res, "attributes"), JSON_SORT_KEYS | JSON_COMPACT);
		assert_string_equal(text, attrs);
		free(text);
		json_decref(res);
	}
	/* nothing expected: parsed */
	res = read_expecting(p, NULL, 0);
	assert_non_null(res);
	json_decref(res);
	lf_provider_stop(p, 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nothing_before_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_provider_dies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_launch_await, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_answer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_blank_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expected_answer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
