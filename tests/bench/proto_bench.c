/*
 * proto_bench PROVIDER N THREADS - N protocol calls (reads) to a provider
 * from THREADS threads through lakeform's provider host; prints the time.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/provider.h"

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

int main(int argc, char **argv)
{
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_provider_error err;
	struct timespec a, b;

	if (argc != 4) {
		fprintf(stderr, "usage: proto_bench PROVIDER N THREADS\n");
		return 64;
	}
	long n = strtol(argv[2], NULL, 10);
	int threads = (int)strtol(argv[3], NULL, 10);
	if (lf_provider_start(&prov, argv[1], "/dev/null", "bench", &d) ||
	    lf_provider_configure(prov, NULL, "bench", &err)) {
		fprintf(stderr, "proto_bench: cannot start %s\n", argv[1]);
		return 1;
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
