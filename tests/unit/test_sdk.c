/*
 * Protocol tests for providers (docs/providers.md), run as a driver: each
 * test starts a provider executable in a temporary configuration directory,
 * writes requests to its stdin and checks the lines on its stdout.
 *
 * Two providers are driven: the SDK's test provider (providers/sdk with the
 * types of tests/providers/sdk-test-provider/main.c; $LF_TEST_PROVIDER,
 * default build/san/tests/lakeform-provider-sdktest) and the Perl one
 * written from the documentation alone ($LF_TEST_PERL_PROVIDER, default
 * tests/providers/lakeform-provider-perlmem).  The common tests run against
 * both; the rest need the SDK provider's test.slow and test.broken types.
 * A missing provider fails the tests that need it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"

#define WAIT_MS 10000 /* for any one answer or exit */

struct target {
	const char *env;
	const char *fallback;
};

static const struct target sdk_target = {"LF_TEST_PROVIDER",
                                         "build/san/tests/lakeform-provider-sdktest"};
static const struct target perl_target = {"LF_TEST_PERL_PROVIDER",
                                          "tests/providers/lakeform-provider-perlmem"};

struct prov {
	pid_t pid;
	int in;  /* the provider's stdin */
	int out; /* the provider's stdout */
	char dir[64];
	struct lf_buf rbuf; /* read from stdout, not yet a whole line */
	int next_id;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void prov_start(struct prov *p, const struct target *t)
{
	const char *path = getenv(t->env);
	char exe[PATH_MAX];
	int in[2], out[2];

	if (!path || !*path)
		path = t->fallback;
	if (!realpath(path, exe) || access(exe, X_OK))
		fail_msg("provider '%s' is missing or not executable (build it, or set %s)", path,
		         t->env);
	memset(p, 0, sizeof(*p));
	p->rbuf = (struct lf_buf)LF_BUF_INIT;
	p->next_id = 1;
	snprintf(p->dir, sizeof(p->dir), "/tmp/lakeform-test-sdk-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		int err = -1;
		if (chdir(p->dir) == 0)
			err = open("stderr.log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (err < 0)
			_exit(126);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err, 2);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		close(err);
		execl(exe, exe, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	p->in = in[1];
	p->out = out[0];
}

static void send_raw(struct prov *p, const char *data, size_t n)
{
	while (n) {
		ssize_t w = write(p->in, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fail_msg("cannot write to the provider: %s", strerror(errno));
		data += w;
		n -= (size_t)w;
	}
}

static void send_line(struct prov *p, const char *line)
{
	send_raw(p, line, strlen(line));
	send_raw(p, "\n", 1);
}

/* Sends a request with `params` (stolen) and returns its id. */
static int send_req(struct prov *p, const char *method, json_t *params)
{
	int id = p->next_id++;
	json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", id, "method",
	                        method, "params", params ? params : json_object());
	char *text = json_dumps(req, JSON_COMPACT);

	send_line(p, text);
	free(text);
	json_decref(req);
	return id;
}

/* The next line on stdout, parsed (a new reference); fails after WAIT_MS. */
static json_t *recv_msg(struct prov *p)
{
	long long until = now_ms() + WAIT_MS;
	char chunk[4096];

	for (;;) {
		char *nl = p->rbuf.len ? memchr(p->rbuf.ptr, '\n', p->rbuf.len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - p->rbuf.ptr);
			json_error_t jerr;
			json_t *msg = json_loadb(p->rbuf.ptr, n, 0, &jerr);
			if (!msg)
				fail_msg("provider wrote a line that is not json: %.*s", (int)n,
				         p->rbuf.ptr);
			memmove(p->rbuf.ptr, nl + 1, p->rbuf.len - n - 1);
			lf_buf_truncate(&p->rbuf, p->rbuf.len - n - 1);
			assert_true(json_is_object(msg));
			assert_string_equal(json_string_value(json_object_get(msg, "jsonrpc")),
			                    "2.0");
			return msg;
		}
		long long left = until - now_ms();
		if (left <= 0)
			fail_msg("no answer from the provider within %d ms", WAIT_MS);
		struct pollfd pfd = {p->out, POLLIN, 0};
		int rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		assert_true(rc >= 0);
		if (rc == 0)
			continue;
		ssize_t r = read(p->out, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail_msg("provider closed its stdout while an answer was due");
		lf_buf_add(&p->rbuf, chunk, (size_t)r);
	}
}

/* Sends a request and returns its response (a new reference). */
static json_t *call(struct prov *p, const char *method, json_t *params)
{
	int id = send_req(p, method, params);
	json_t *resp = recv_msg(p);

	assert_int_equal(json_integer_value(json_object_get(resp, "id")), id);
	return resp;
}

/* The result of a response that must have succeeded; borrowed from it. */
static json_t *result_of(json_t *resp)
{
	json_t *r = json_object_get(resp, "result");

	if (!r) {
		char *text = json_dumps(resp, JSON_COMPACT);
		print_error("expected a result, got %s\n", text);
		free(text);
		fail();
	}
	assert_null(json_object_get(resp, "error"));
	assert_true(json_is_object(r));
	return r;
}

/* Checks that a response is an error of the documented shape; its code. */
static int error_of(json_t *resp)
{
	json_t *e = json_object_get(resp, "error");

	if (!e) {
		char *text = json_dumps(resp, JSON_COMPACT);
		print_error("expected an error, got %s\n", text);
		free(text);
		fail();
	}
	assert_null(json_object_get(resp, "result"));
	assert_true(json_is_integer(json_object_get(e, "code")));
	assert_true(json_is_string(json_object_get(e, "message")));
	assert_true(json_is_boolean(json_object_get(json_object_get(e, "data"), "retryable")));
	return (int)json_integer_value(json_object_get(e, "code"));
}

static void expect_error(struct prov *p, const char *method, json_t *params, int code)
{
	json_t *resp = call(p, method, params);

	assert_int_equal(error_of(resp), code);
	json_decref(resp);
}

static json_t *call_ok(struct prov *p, const char *method, json_t *params)
{
	json_t *resp = call(p, method, params);
	json_t *r = json_incref(result_of(resp));

	json_decref(resp);
	return r;
}

static void initialize(struct prov *p)
{
	json_decref(
	    call_ok(p, "initialize",
	            json_pack("{s:i, s:s}", "protocol_version", 1, "lakeform_version", "0.1.0")));
}

static void configure(struct prov *p)
{
	json_t *r =
	    call_ok(p, "configure", json_pack("{s:{}, s:s}", "settings", "account", "acme"));

	assert_int_equal(json_object_size(r), 0);
	json_decref(r);
}

/* Started, initialized and configured with account "acme". */
static void prov_ready(struct prov *p, const struct target *t)
{
	prov_start(p, t);
	initialize(p);
	configure(p);
}

/*
 * Closes stdin unless `shutdown_sent`, waits for the exit and returns its
 * status; cleans up.  Fails if the provider wrote anything more.
 */
static int prov_finish(struct prov *p, int shutdown_sent)
{
	long long until = now_ms() + WAIT_MS;
	int status = 0, exited = 0;
	char c;

	close(p->in);
	while (!exited) {
		pid_t w = waitpid(p->pid, &status, WNOHANG);
		if (w == p->pid)
			exited = 1;
		else if (now_ms() > until)
			break;
		else
			usleep(10000);
	}
	if (!exited) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &status, 0);
	}
	ssize_t extra = read(p->out, &c, 1);
	close(p->out);
	if (!exited || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char log[128];
		snprintf(log, sizeof(log), "cat %s/stderr.log >&2", p->dir);
		print_error("provider log:\n");
		fflush(NULL);
		if (fork() == 0) {
			execl("/bin/sh", "sh", "-c", log, (char *)NULL);
			_exit(127);
		}
		wait(NULL);
	}
	nftw(p->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	size_t unread = p->rbuf.len;
	lf_buf_release(&p->rbuf);
	(void)shutdown_sent;
	if (!exited)
		fail_msg("provider did not exit within %d ms", WAIT_MS);
	/* nothing more was written than was asked for */
	assert_true(unread == 0 && extra == 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static json_t *labels(const char *address)
{
	return json_pack("{s:s, s:s}", "lakeform/account", "acme", "lakeform/address", address);
}

static json_t *item_inputs(const char *address, const char *name, int value)
{
	return json_pack("{s:s, s:i, s:o}", "name", name, "value", value, "labels",
	                 labels(address));
}

static json_t *item_params(const char *address, const char *name, int value)
{
	return json_pack("{s:s, s:s, s:o, s:i}", "type", "test.item", "address", address, "inputs",
	                 item_inputs(address, name, value), "deadline_ms", 30000);
}

static json_t *read_params(const char *address, const char *id)
{
	return json_pack("{s:s, s:s, s:s?, s:n}", "type", "test.item", "address", address, "id", id,
	                 "inputs");
}

static void assert_attr_int(json_t *attributes, const char *key, json_int_t v)
{
	assert_true(json_is_integer(json_object_get(attributes, key)));
	assert_int_equal(json_integer_value(json_object_get(attributes, key)), v);
}

/* ---- tests run against both providers ---------------------------------- */

static void t_initialize(const struct target *t)
{
	struct prov p;
	json_t *r, *types, *ty;
	size_t i;
	int found = 0;

	prov_start(&p, t);
	r = call_ok(&p, "initialize",
	            json_pack("{s:i, s:s}", "protocol_version", 1, "lakeform_version", "0.1.0"));
	assert_true(json_is_string(json_object_get(r, "name")));
	/* its version, as the SDK reports struct lfp_provider's release; the
	 * Perl provider (no SDK) reports none, which the protocol allows */
	if (t == &sdk_target)
		assert_string_equal(json_string_value(json_object_get(r, "version")), "1.4.2");
	else
		assert_null(json_object_get(r, "version"));
	assert_attr_int(r, "protocol_version", 1);
	assert_true(json_is_integer(json_object_get(r, "concurrency")));
	assert_true(json_integer_value(json_object_get(r, "concurrency")) >= 1);
	types = json_object_get(r, "resource_types");
	assert_true(json_is_array(types));
	json_array_foreach (types, i, ty) {
		json_t *schema = json_object_get(ty, "schema");
		assert_true(json_is_string(json_object_get(ty, "type")));
		assert_true(json_is_object(schema) || json_is_null(schema));
		if (!strcmp(json_string_value(json_object_get(ty, "type")), "test.item")) {
			found = 1;
			assert_true(json_is_object(schema));
		}
	}
	assert_true(found);
	json_decref(r);
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void t_wrong_protocol_version(const struct target *t)
{
	struct prov p;

	prov_start(&p, t);
	expect_error(&p, "initialize", json_pack("{s:i}", "protocol_version", 99), -32602);
	/* still there, and speaks the right version */
	initialize(&p);
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void t_not_configured(const struct target *t)
{
	struct prov p;

	prov_start(&p, t);
	initialize(&p);
	expect_error(&p, "read", read_params("test.item/a", NULL), 1005);
	expect_error(&p, "create", item_params("test.item/a", "a", 1), 1005);
	/* validate needs no configuration */
	json_decref(call_ok(&p, "validate", item_params("test.item/a", "a", 1)));
	configure(&p);
	json_decref(call_ok(&p, "read", read_params("test.item/a", NULL)));
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void t_round_trip(const struct target *t)
{
	const char *addr = "test.item/alpha";
	struct prov p;
	json_t *r, *a;
	char *id;

	prov_ready(&p, t);

	/* nothing there yet, by label */
	r = call_ok(&p, "read", read_params(addr, NULL));
	assert_true(json_is_false(json_object_get(r, "exists")));
	json_decref(r);

	r = call_ok(&p, "create", item_params(addr, "alpha", 1));
	assert_true(json_is_string(json_object_get(r, "id")));
	id = strdup(json_string_value(json_object_get(r, "id")));
	a = json_object_get(r, "attributes");
	assert_string_equal(json_string_value(json_object_get(a, "name")), "alpha");
	assert_attr_int(a, "value", 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(a, "labels"), "lakeform/address")),
	    addr);
	json_decref(r);

	/* by id */
	r = call_ok(&p, "read", read_params(addr, id));
	assert_true(json_is_true(json_object_get(r, "exists")));
	assert_string_equal(json_string_value(json_object_get(r, "id")), id);
	assert_attr_int(json_object_get(r, "attributes"), "value", 1);
	json_decref(r);

	/* by label, as after a crash */
	r = call_ok(&p, "read", read_params(addr, NULL));
	assert_true(json_is_true(json_object_get(r, "exists")));
	assert_string_equal(json_string_value(json_object_get(r, "id")), id);
	json_decref(r);

	/* another address owns nothing */
	r = call_ok(&p, "read", read_params("test.item/other", NULL));
	assert_true(json_is_false(json_object_get(r, "exists")));
	json_decref(r);

	r = call_ok(&p, "update",
	            json_pack("{s:s, s:s, s:s, s:o, s:{}}", "type", "test.item", "address", addr,
	                      "id", id, "inputs", item_inputs(addr, "alpha", 2), "prior"));
	assert_attr_int(json_object_get(r, "attributes"), "value", 2);
	json_decref(r);

	r = call_ok(&p, "read", read_params(addr, id));
	assert_attr_int(json_object_get(r, "attributes"), "value", 2);
	json_decref(r);

	r = call_ok(&p, "delete",
	            json_pack("{s:s, s:s, s:s, s:{}}", "type", "test.item", "address", addr, "id",
	                      id, "attributes"));
	assert_int_equal(json_object_size(r), 0);
	json_decref(r);

	r = call_ok(&p, "read", read_params(addr, id));
	assert_true(json_is_false(json_object_get(r, "exists")));
	json_decref(r);
	r = call_ok(&p, "read", read_params(addr, NULL));
	assert_true(json_is_false(json_object_get(r, "exists")));
	json_decref(r);

	/* deleting what is gone succeeds; updating it is not found */
	json_decref(call_ok(&p, "delete",
	                    json_pack("{s:s, s:s, s:s, s:{}}", "type", "test.item", "address", addr,
	                              "id", id, "attributes")));
	expect_error(&p, "update",
	             json_pack("{s:s, s:s, s:s, s:o, s:{}}", "type", "test.item", "address", addr,
	                       "id", id, "inputs", item_inputs(addr, "alpha", 3), "prior"),
	             1001);
	free(id);
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void t_idempotent_create(const struct target *t)
{
	struct prov p;
	json_t *r1, *r2;

	prov_ready(&p, t);
	r1 = call_ok(&p, "create", item_params("test.item/b", "beta", 1));
	/* retried after a crash: the same object, not a second one */
	r2 = call_ok(&p, "create", item_params("test.item/b", "beta", 1));
	assert_true(json_equal(json_object_get(r1, "id"), json_object_get(r2, "id")));
	assert_true(
	    json_equal(json_object_get(r1, "attributes"), json_object_get(r2, "attributes")));
	json_decref(r1);
	json_decref(r2);

	/* the name is taken by an object another address owns */
	expect_error(&p, "create", item_params("test.item/c", "beta", 1), 1002);
	/* inputs that cannot be carried out */
	expect_error(&p, "create", item_params("test.item/d", "Not A Name", 1), 1003);
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void t_validate(const struct target *t)
{
	struct prov p;
	json_t *r, *d;

	prov_start(&p, t);
	initialize(&p);
	r = call_ok(&p, "validate", item_params("test.item/v", "fine", 1));
	assert_true(json_is_array(json_object_get(r, "diagnostics")));
	assert_int_equal(json_array_size(json_object_get(r, "diagnostics")), 0);
	json_decref(r);

	r = call_ok(&p, "validate", item_params("test.item/v", "Not Fine", 1));
	d = json_object_get(r, "diagnostics");
	assert_int_equal(json_array_size(d), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "path")),
	                    "name");
	assert_true(json_is_string(json_object_get(json_array_get(d, 0), "message")));
	json_decref(r);
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void t_unknown_method_and_type(const struct target *t)
{
	struct prov p;

	prov_ready(&p, t);
	expect_error(&p, "frobnicate", NULL, -32601);
	expect_error(&p, "create",
	             json_pack("{s:s, s:s, s:{}}", "type", "test.nothing", "address",
	                       "test.nothing/x", "inputs"),
	             -32602);
	expect_error(&p, "read", json_pack("{s:s, s:i}", "type", "test.item", "address", 7),
	             -32602);
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void expect_raw_error(struct prov *p, const char *line, int code, int with_id)
{
	json_t *resp;

	send_line(p, line);
	resp = recv_msg(p);
	assert_int_equal(error_of(resp), code);
	if (with_id)
		assert_int_equal(json_integer_value(json_object_get(resp, "id")), with_id);
	else
		assert_true(json_is_null(json_object_get(resp, "id")));
	json_decref(resp);
}

static void t_bad_lines(const struct target *t)
{
	struct prov p;

	prov_ready(&p, t);
	expect_raw_error(&p, "{\"jsonrpc\":\"2.0\",\"id\":1,", -32700, 0);
	expect_raw_error(&p, "this is not json", -32700, 0);
	expect_raw_error(&p, "[]", -32600, 0);
	expect_raw_error(&p, "{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"method\":\"read\",\"params\":{}}",
	                 -32600, 0);
	expect_raw_error(&p, "{\"jsonrpc\":\"1.0\",\"id\":501,\"method\":\"read\",\"params\":{}}",
	                 -32600, 501);
	expect_raw_error(&p, "{\"jsonrpc\":\"2.0\",\"id\":502,\"params\":{}}", -32600, 502);
	expect_raw_error(&p, "{\"jsonrpc\":\"2.0\",\"id\":503,\"method\":\"read\",\"params\":[]}",
	                 -32602, 503);
	/* and it keeps going */
	json_decref(call_ok(&p, "read", read_params("test.item/a", NULL)));
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void t_shutdown(const struct target *t)
{
	struct prov p;
	json_t *r;

	prov_ready(&p, t);
	r = call_ok(&p, "shutdown", NULL);
	assert_int_equal(json_object_size(r), 0);
	json_decref(r);
	/* it exits by itself: wait before closing its stdin */
	long long until = now_ms() + WAIT_MS;
	int status;
	pid_t w;
	while ((w = waitpid(p.pid, &status, WNOHANG)) == 0 && now_ms() < until)
		usleep(10000);
	assert_int_equal(w, p.pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(p.in);
	close(p.out);
	nftw(p.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	lf_buf_release(&p.rbuf);
}

static void t_end_of_input(const struct target *t)
{
	struct prov p;

	prov_start(&p, t);
	assert_int_equal(prov_finish(&p, 0), 0);
	/* and after some work, with no newline after the last request */
	prov_ready(&p, t);
	const char *last = "{\"jsonrpc\":\"2.0\",\"id\":90,\"method\":\"shutdown\",\"params\":{}}";
	send_raw(&p, last, strlen(last));
	close(p.in);
	p.in = open("/dev/null", O_WRONLY);
	json_t *resp = recv_msg(&p);
	assert_int_equal(json_integer_value(json_object_get(resp, "id")), 90);
	json_decref(resp);
	assert_int_equal(prov_finish(&p, 1), 0);
}

#define BOTH(fn)                            \
	static void sdk_##fn(void **state)  \
	{                                   \
		(void)state;                \
		t_##fn(&sdk_target);        \
	}                                   \
	static void perl_##fn(void **state) \
	{                                   \
		(void)state;                \
		t_##fn(&perl_target);       \
	}

BOTH(initialize)
BOTH(wrong_protocol_version)
BOTH(not_configured)
BOTH(round_trip)
BOTH(idempotent_create)
BOTH(validate)
BOTH(unknown_method_and_type)
BOTH(bad_lines)
BOTH(shutdown)
BOTH(end_of_input)

/* ---- the SDK's own behaviour: concurrency, ordering, errors ------------ */

static json_t *slow_params(const char *address, int sleep_ms, int deadline_ms)
{
	json_t *p = json_pack("{s:s, s:s, s:{s:i}}", "type", "test.slow", "address", address,
	                      "inputs", "sleep_ms", sleep_ms);

	if (deadline_ms >= 0)
		json_object_set_new(p, "deadline_ms", json_integer(deadline_ms));
	return p;
}

static json_int_t attr_of(json_t *resp, const char *key)
{
	json_t *a = json_object_get(result_of(resp), "attributes");

	assert_true(json_is_integer(json_object_get(a, key)));
	return json_integer_value(json_object_get(a, key));
}

static int id_of(json_t *resp)
{
	return (int)json_integer_value(json_object_get(resp, "id"));
}

static void sdk_out_of_order(void **state)
{
	struct prov p;
	json_t *first, *second;
	int slow, fast;
	(void)state;

	prov_ready(&p, &sdk_target);
	slow = send_req(&p, "create", slow_params("test.slow/a", 400, -1));
	fast = send_req(&p, "create", slow_params("test.slow/b", 0, -1));
	first = recv_msg(&p);
	second = recv_msg(&p);
	assert_int_equal(id_of(first), fast);
	assert_int_equal(id_of(second), slow);
	assert_int_equal(attr_of(second, "sleep_ms"), 400);
	json_decref(first);
	json_decref(second);
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void sdk_same_address_one_at_a_time(void **state)
{
	struct prov p;
	json_t *first, *second;
	int a, b;
	(void)state;

	prov_ready(&p, &sdk_target);
	a = send_req(&p, "create", slow_params("test.slow/x", 300, -1));
	b = send_req(&p, "create", slow_params("test.slow/x", 0, -1));
	first = recv_msg(&p);
	second = recv_msg(&p);
	assert_int_equal(id_of(first), a);
	assert_int_equal(id_of(second), b);
	assert_true(attr_of(second, "started_ms") >= attr_of(first, "ended_ms"));
	json_decref(first);
	json_decref(second);
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void sdk_runs_concurrently(void **state)
{
	const char *addr[] = {"test.slow/1", "test.slow/2", "test.slow/3", "test.slow/4"};
	struct prov p;
	long long t0;
	(void)state;

	prov_ready(&p, &sdk_target);
	t0 = now_ms();
	for (size_t i = 0; i < 4; i++)
		send_req(&p, "create", slow_params(addr[i], 400, -1));
	for (size_t i = 0; i < 4; i++) {
		json_t *r = recv_msg(&p);
		result_of(r);
		json_decref(r);
	}
	/* one after another would take 1600 ms; concurrency is 4 */
	assert_true(now_ms() - t0 < 1200);
	assert_int_equal(prov_finish(&p, 0), 0);
}

/*
 * Reads while every worker is busy (4 slow creates, concurrency 4): with
 * inline_reads a read of a free address is answered at once by the input
 * thread; a read of an address whose create is running waits for it (the
 * order per address holds); without inline_reads a read waits for a worker.
 * Returns how long the free address's read took, in ms.
 */
static long long read_while_busy(int inline_reads)
{
	const char *addr[] = {"test.slow/1", "test.slow/2", "test.slow/3", "test.slow/4"};
	struct prov p;
	json_t *r;

	if (inline_reads)
		setenv("LFP_TEST_INLINE_READS", "1", 1);
	prov_ready(&p, &sdk_target);
	unsetenv("LFP_TEST_INLINE_READS");
	for (size_t i = 0; i < 4; i++)
		send_req(&p, "create", slow_params(addr[i], 800, -1));
	usleep(100 * 1000); /* the four are running */
	long long t0 = now_ms();
	int free_read = send_req(&p, "read", read_params("test.item/x", NULL));
	int busy_read = send_req(&p, "read",
	                         json_pack("{s:s, s:s, s:n, s:n}", "type", "test.slow", "address",
	                                   "test.slow/1", "id", "inputs"));
	long long took = -1;
	int seen_create1 = 0;
	for (int i = 0; i < 6; i++) {
		r = recv_msg(&p);
		int id = id_of(r);
		json_t *res = result_of(r);
		if (id == free_read) {
			took = now_ms() - t0;
			assert_false(json_is_true(json_object_get(res, "exists")));
		} else if (id == busy_read) {
			/* after its address's create, never before */
			assert_true(seen_create1);
		} else if (!strcmp(json_string_value(json_object_get(res, "id")), "test.slow/1")) {
			seen_create1 = 1;
		}
		json_decref(r);
	}
	assert_int_equal(prov_finish(&p, 0), 0);
	return took;
}

static void sdk_inline_reads(void **state)
{
	(void)state;
	long long took = read_while_busy(1);
	print_message("inline read with 4 busy workers: %lld ms\n", took);
	assert_true(took >= 0 && took < 400);
}

static void sdk_reads_wait_for_a_worker(void **state)
{
	(void)state;
	long long took = read_while_busy(0);
	print_message("read without inline_reads, 4 busy workers: %lld ms\n", took);
	assert_true(took >= 500);
}

static void sdk_answers_in_flight_at_end_of_input(void **state)
{
	struct prov p;
	json_t *r;
	int id;
	(void)state;

	prov_ready(&p, &sdk_target);
	id = send_req(&p, "create", slow_params("test.slow/late", 300, -1));
	close(p.in);
	p.in = open("/dev/null", O_WRONLY);
	r = recv_msg(&p);
	assert_int_equal(id_of(r), id);
	result_of(r);
	json_decref(r);
	assert_int_equal(prov_finish(&p, 0), 0);
}

/* Two calls queued for one address when input ends: both answered, and
 * the provider exits (it once left idle workers asleep and hung). */
static void sdk_same_address_queued_at_end_of_input(void **state)
{
	struct prov p;
	int a, b;
	(void)state;

	prov_ready(&p, &sdk_target);
	a = send_req(&p, "create", slow_params("test.slow/q", 200, -1));
	b = send_req(&p, "create", slow_params("test.slow/q", 0, -1));
	close(p.in);
	p.in = open("/dev/null", O_WRONLY);
	for (int i = 0; i < 2; i++) {
		json_t *r = recv_msg(&p);
		assert_int_equal(id_of(r), i == 0 ? a : b);
		result_of(r);
		json_decref(r);
	}
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void sdk_shutdown_waits_for_calls(void **state)
{
	struct prov p;
	json_t *r;
	int slow, bye;
	(void)state;

	prov_ready(&p, &sdk_target);
	slow = send_req(&p, "create", slow_params("test.slow/s", 300, -1));
	bye = send_req(&p, "shutdown", NULL);
	r = recv_msg(&p);
	assert_int_equal(id_of(r), slow);
	json_decref(r);
	r = recv_msg(&p);
	assert_int_equal(id_of(r), bye);
	json_decref(r);
	assert_int_equal(prov_finish(&p, 1), 0);
}

static void sdk_deadline(void **state)
{
	struct prov p;
	json_t *r;
	json_int_t left;
	int a, b;
	(void)state;

	prov_ready(&p, &sdk_target);
	r = call(&p, "create", slow_params("test.slow/d", 100, 5000));
	left = attr_of(r, "remaining_ms");
	assert_true(left > 3000 && left <= 4900);
	json_decref(r);

	/* waiting behind a call for the same address uses up the deadline */
	a = send_req(&p, "create", slow_params("test.slow/e", 400, -1));
	b = send_req(&p, "create", slow_params("test.slow/e", 0, 100));
	r = recv_msg(&p);
	assert_int_equal(id_of(r), a);
	json_decref(r);
	r = recv_msg(&p);
	assert_int_equal(id_of(r), b);
	assert_int_equal(error_of(r), 1004);
	assert_true(json_is_true(
	    json_object_get(json_object_get(json_object_get(r, "error"), "data"), "retryable")));
	json_decref(r);
	expect_error(&p, "create",
	             json_pack("{s:s, s:s, s:{}, s:i}", "type", "test.slow", "address",
	                       "test.slow/f", "inputs", "deadline_ms", -5),
	             -32602);
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void sdk_callback_errors(void **state)
{
	struct prov p;
	json_t *r;
	(void)state;

	prov_ready(&p, &sdk_target);
	/* -1 without lfp_error() */
	expect_error(&p, "create",
	             json_pack("{s:s, s:s, s:{}}", "type", "test.broken", "address",
	                       "test.broken/a", "inputs"),
	             -32603);
	/* a result that is not an object */
	expect_error(
	    &p, "read",
	    json_pack("{s:s, s:s, s:n}", "type", "test.broken", "address", "test.broken/a", "id"),
	    -32603);
	/* a type without update */
	r = call(&p, "update",
	         json_pack("{s:s, s:s, s:s, s:{}, s:{}}", "type", "test.slow", "address",
	                   "test.slow/a", "id", "test.slow/a", "inputs", "prior"));
	assert_int_equal(error_of(r), 1003);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(r, "error"), "message")),
	    "this type cannot be updated in place");
	json_decref(r);
	/* a type without validate has nothing to say */
	r = call_ok(
	    &p, "validate",
	    json_pack("{s:s, s:s, s:{}}", "type", "test.slow", "address", "test.slow/a", "inputs"));
	assert_int_equal(json_array_size(json_object_get(r, "diagnostics")), 0);
	json_decref(r);
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void sdk_configure_refused(void **state)
{
	struct prov p;
	(void)state;

	prov_start(&p, &sdk_target);
	initialize(&p);
	expect_error(&p, "configure",
	             json_pack("{s:{s:b}, s:s}", "settings", "refuse", 1, "account", "acme"), 1003);
	expect_error(&p, "create", slow_params("test.slow/a", 0, -1), 1005);
	expect_error(&p, "configure", json_pack("{s:{}}", "settings"), -32602);
	configure(&p);
	json_decref(call_ok(&p, "create", slow_params("test.slow/a", 0, -1)));
	assert_int_equal(prov_finish(&p, 0), 0);
}

static void sdk_long_line(void **state)
{
	size_t n = ((size_t)16 << 20) + 1;
	char *big = malloc(n);
	struct prov p;
	(void)state;

	assert_non_null(big);
	memset(big, ' ', n);
	prov_ready(&p, &sdk_target);
	send_raw(&p, big, n);
	send_raw(&p, "\n", 1);
	free(big);
	json_t *r = recv_msg(&p);
	assert_int_equal(error_of(r), -32700);
	assert_true(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	json_decref(call_ok(&p, "read", read_params("test.item/a", NULL)));
	assert_int_equal(prov_finish(&p, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sdk_initialize),
	    cmocka_unit_test(sdk_wrong_protocol_version),
	    cmocka_unit_test(sdk_not_configured),
	    cmocka_unit_test(sdk_round_trip),
	    cmocka_unit_test(sdk_idempotent_create),
	    cmocka_unit_test(sdk_validate),
	    cmocka_unit_test(sdk_unknown_method_and_type),
	    cmocka_unit_test(sdk_bad_lines),
	    cmocka_unit_test(sdk_shutdown),
	    cmocka_unit_test(sdk_end_of_input),
	    cmocka_unit_test(sdk_out_of_order),
	    cmocka_unit_test(sdk_same_address_one_at_a_time),
	    cmocka_unit_test(sdk_runs_concurrently),
	    cmocka_unit_test(sdk_inline_reads),
	    cmocka_unit_test(sdk_reads_wait_for_a_worker),
	    cmocka_unit_test(sdk_answers_in_flight_at_end_of_input),
	    cmocka_unit_test(sdk_same_address_queued_at_end_of_input),
	    cmocka_unit_test(sdk_shutdown_waits_for_calls),
	    cmocka_unit_test(sdk_deadline),
	    cmocka_unit_test(sdk_callback_errors),
	    cmocka_unit_test(sdk_configure_refused),
	    cmocka_unit_test(sdk_long_line),
	    cmocka_unit_test(perl_initialize),
	    cmocka_unit_test(perl_wrong_protocol_version),
	    cmocka_unit_test(perl_not_configured),
	    cmocka_unit_test(perl_round_trip),
	    cmocka_unit_test(perl_idempotent_create),
	    cmocka_unit_test(perl_validate),
	    cmocka_unit_test(perl_unknown_method_and_type),
	    cmocka_unit_test(perl_bad_lines),
	    cmocka_unit_test(perl_shutdown),
	    cmocka_unit_test(perl_end_of_input),
	};

	/* a provider that died must fail a test, not kill the driver */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("providers", tests, NULL, NULL);
}
