/*
 * fuzz_provider - lakeform's reader of the provider protocol under
 * libFuzzer.
 *
 * The reader (provider.c: lines cut from the pipe, parsed, matched to
 * their calls by id, interpreted) is only reachable through a provider
 * process, so each input is spoken by one: lakeform-provider-fuzz
 * (tests/fuzz/provider.c) writes the input back, a chunk per request,
 * chunks cut at each line "=== next":
 *
 *   chunk 1     what it says to `initialize` (id 1)
 *   chunk 2     to `configure` (id 2)
 *   chunk 3     to `read` (id 3), a call that waits
 *   chunks 4-5  to two `read`s sent together without waiting (ids 4 and 5;
 *               only one when the provider announced a concurrency of 1)
 *   chunk 6     to `shutdown` (id 6, or 5)
 *
 * after each chunk it ends the line and answers that id with an error, so
 * no call waits for its deadline.  The calls are those apply makes, with
 * the functions apply uses (lf_provider_launch and, 2 ms later, as a
 * session that launches every provider before awaiting any,
 * lf_provider_await; _configure, _call, _send, _flush, lf_inbox_next,
 * lf_call_take, lf_provider_stop).  Checked besides
 * the sanitizers: every failed call says why, and a provider that
 * initialized has a name and a concurrency of at least 1.
 *
 * The provider's path is LF_FUZZ_PROVIDER (set at build time) or
 * $LF_FUZZ_PROVIDER; the input goes through a file in a scratch directory
 * named to it by $LF_FUZZ_PAYLOAD.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/provider.h"

static char dir[256], payload[300], log_path[300];
static const char *exe;

static void cleanup(void)
{
	unlink(payload);
	unlink(log_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	exe = getenv("LF_FUZZ_PROVIDER");
	if (!exe || !*exe)
		exe = LF_FUZZ_PROVIDER;
	if (access(exe, X_OK) != 0) {
		fprintf(stderr, "fuzz_provider: cannot run '%s': %s\n", exe, strerror(errno));
		abort();
	}
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/lf-fuzz-provider.XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		perror("fuzz_provider: mkdtemp");
		abort();
	}
	snprintf(payload, sizeof(payload), "%s/payload", dir);
	snprintf(log_path, sizeof(log_path), "%s/provider.log", dir);
	setenv("LF_FUZZ_PAYLOAD", payload, 1);
	atexit(cleanup);
	return 0;
}

static void said_why(int rc, const struct lf_provider_error *e)
{
	if (rc != 0 && !e->message[0]) {
		fprintf(stderr, "fuzz_provider: a call failed without a message (code %d)\n",
		        e->code);
		abort();
	}
}

static void calls(struct lf_provider *p)
{
	struct lf_provider_error e;
	json_t *res = NULL;
	int rc;

	if (!lf_provider_name(p) || !lf_provider_types(p)) {
		fprintf(stderr, "fuzz_provider: a provider initialized without a name or types\n");
		abort();
	}
	/* apply keeps at most this many calls in flight: 0 or less is no bound */
	if (lf_provider_concurrency(p) < 1) {
		fprintf(stderr, "fuzz_provider: a provider initialized with concurrency %d\n",
		        lf_provider_concurrency(p));
		abort();
	}
	lf_provider_has_type(p, "storage.bucket");

	memset(&e, 0, sizeof(e));
	json_t *settings = json_pack("{s:s}", "root", dir);
	rc = lf_provider_configure(p, settings, "acme", &e);
	json_decref(settings);
	said_why(rc, &e);

	memset(&e, 0, sizeof(e));
	json_t *params = json_pack("{s:s, s:s, s:n, s:{s:s}}", "type", "storage.bucket", "address",
	                           "storage.bucket/acme-lake", "id", "inputs", "name", "acme-lake");
	rc = lf_provider_call(p, "read", params, 2000, &res, &e);
	said_why(rc, &e);
	json_decref(res);

	/* two at once, as apply's executor sends them, when allowed */
	struct lf_inbox *in = lf_inbox_new();
	struct lf_call *c[2] = {NULL, NULL};
	int sent = 0;
	for (int i = 0; i < 2; i++) {
		memset(&e, 0, sizeof(e));
		rc = lf_provider_send(p, "read", params, 2000, in, NULL, &c[i], &e);
		said_why(rc, &e);
		if (rc == 0)
			sent++;
	}
	json_decref(params);
	if (sent)
		lf_provider_flush(p);
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 2;
	for (int got = 0; got < sent; got++) {
		struct lf_call *done = lf_inbox_next(in, &until);
		if (!done) {
			/* the deadline: give up on what is left, as apply does */
			for (int i = 0; i < 2; i++)
				if (c[i])
					lf_call_expire(c[i]);
			done = lf_inbox_next(in, NULL);
			if (!done)
				abort(); /* an expired call is delivered at once */
		}
		for (int i = 0; i < 2; i++)
			if (c[i] == done)
				c[i] = NULL;
		memset(&e, 0, sizeof(e));
		res = NULL;
		rc = lf_call_take(done, 2000, &res, &e);
		said_why(rc, &e);
		json_decref(res);
	}
	lf_inbox_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lf_provider *p = NULL;
	struct lf_diags d = LF_DIAGS_INIT;
	int fd = open(payload, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		abort();
	for (size_t at = 0; at < size;) {
		ssize_t n = write(fd, data + at, size - at);
		if (n <= 0)
			abort();
		at += (size_t)n;
	}
	close(fd);

	/* launched, then awaited a moment later, as a session starts its
	 * providers: every one launched before any is awaited */
#ifdef LF_PROVIDER_MAX_ANSWER
	/* the bound on answer lines (the provider-protocol work): small, so
	 * that long lines meet it */
	struct lf_provider_opts opts = {.timeout_ms = 5000, .max_answer = 4096};
	int rc = lf_provider_launch(&p, exe, log_path, "0.0.0-fuzz", &opts, &d);
#else
	int rc = lf_provider_launch(&p, exe, log_path, "0.0.0-fuzz", &d);
#endif
	if (rc == 0) {
		struct timespec pause = {0, 2000000L};
		nanosleep(&pause, NULL);
		if (lf_provider_await(p, &d) != 0) {
			lf_provider_stop(p, 200);
			p = NULL;
			rc = -1;
		}
	}
	if (rc == 0) {
		calls(p);
		lf_provider_stop(p, 1000);
	} else if (!d.errors) {
		abort(); /* a provider that did not start says why */
	}
	lf_diags_release(&d);
	/* the log is appended to; keep it from growing over a long run */
	if (truncate(log_path, 0) != 0 && errno != ENOENT)
		abort();
	return 0;
}
