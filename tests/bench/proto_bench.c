/*
 * proto_bench PROVIDER N THREADS [WINDOW] - N protocol calls (reads) to a
 * provider through lakeform's provider host; prints the time.  Without
 * WINDOW, THREADS threads each make one call at a time (lf_provider_call);
 * with it, one thread keeps WINDOW calls in flight (lf_provider_send, as
 * apply's executor does) and THREADS is ignored.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/provider.h"
#include "util/clock.h"

static struct lf_provider *prov;
static long per_thread;

static void *worker(void *arg)
{
	/* an address per thread: a provider runs one call per address at once */
	char address[64];
	snprintf(address, sizeof(address), "storage.bucket/bench-%ld", (long)(intptr_t)arg);
	json_t *params = json_pack("{s:s, s:s, s:n, s:n}", "type", "storage.bucket", "address",
	                           address, "id", "inputs");
	for (long i = 0; i < per_thread; i++) {
		json_t *res = NULL;
		struct lf_provider_error err;
		if (lf_provider_call(prov, "read", params, 10000, &res, &err)) {
			fprintf(stderr, "proto_bench: %s\n", err.message);
			exit(1);
		}
		json_decref(res);
	}
	json_decref(params);
	return NULL;
}

/* One thread, up to `window` calls in flight: send what fits, write them
 * with one flush, take what came back, repeat. */
static void pipelined(long n, long window)
{
	/* PROTO_BENCH_METHOD=create: the sleepy provider's 10 ms creates */
	const char *method = getenv("PROTO_BENCH_METHOD") ? getenv("PROTO_BENCH_METHOD") : "read";
	struct lf_inbox *in = lf_inbox_new();
	json_t *params = json_pack("{s:s, s:s, s:n, s:n}", "type", "storage.bucket", "address",
	                           "storage.bucket/bench", "id", "inputs");
	if (strcmp(method, "read")) /* a create needs inputs, and an address each */
		json_object_set_new(params, "inputs", json_object());
	long sent = 0, done = 0, flying = 0;

	while (done < n) {
		/* refill once half the window came back: a request or two per
		 * answer would cost the provider a wake-up each */
		while (sent < n && flying < window && (flying <= window / 2 || sent % window)) {
			struct lf_call *c;
			struct lf_provider_error err;
			char address[64];
			snprintf(address, sizeof(address), "storage.bucket/bench-%ld", sent);
			json_object_set_new(params, "address", json_string(address));
			if (lf_provider_send(prov, method, params, 10000, in, NULL, &c, &err)) {
				if (err.code == LF_PROVIDER_EBUSY)
					break;
				fprintf(stderr, "proto_bench: %s\n", err.message);
				exit(1);
			}
			sent++;
			flying++;
		}
		lf_provider_flush(prov);
		struct timespec until = lf_ts_in_ms(CLOCK_MONOTONIC, 10000);
		struct lf_call *c = lf_inbox_next(in, &until);
		while (c) {
			json_t *res = NULL;
			struct lf_provider_error err;
			if (lf_call_take(c, 10000, &res, &err)) {
				fprintf(stderr, "proto_bench: %s\n", err.message);
				exit(1);
			}
			json_decref(res);
			done++;
			flying--;
			c = lf_inbox_next(in, NULL);
		}
	}
	json_decref(params);
	lf_inbox_free(in);
}

int main(int argc, char **argv)
{
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_provider_error err;
	struct timespec a, b;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: proto_bench PROVIDER N THREADS [WINDOW]\n");
		return 64;
	}
	long n = strtol(argv[2], NULL, 10);
	int threads = (int)strtol(argv[3], NULL, 10);
	if (lf_provider_start(&prov, argv[1], "/dev/null", "bench", NULL, &d) ||
	    lf_provider_configure(prov, NULL, "bench", &err)) {
		fprintf(stderr, "proto_bench: cannot start %s\n", argv[1]);
		return 1;
	}
	if (argc == 5) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		pipelined(n, strtol(argv[4], NULL, 10));
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("%.3f\n",
		       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
		lf_provider_stop(prov, 5000);
		lf_diags_release(&d);
		return 0;
	}
	per_thread = n / threads;
	pthread_t *t = calloc((size_t)threads, sizeof(*t));
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	free(t);
	lf_provider_stop(prov, 5000);
	lf_diags_release(&d);
	return 0;
}
