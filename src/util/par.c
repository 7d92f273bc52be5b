#include "par.h"

#include <pthread.h>
#include <unistd.h>

struct par {
	size_t n;
	size_t next; /* the next item to take, atomically */
	void (*fn)(void *arg, size_t i);
	void *arg;
};

static void *worker(void *arg)
{
	struct par *p = arg;

	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		if (i >= p->n)
			return NULL;
		p->fn(p->arg, i);
	}
}

void lf_par_for(size_t n, void (*fn)(void *arg, size_t i), void *arg)
{
	struct par p = {n, 0, fn, arg};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = cores > 1 ? (size_t)cores : 1;
	pthread_t tids[LF_PAR_MAX_THREADS];
	size_t started = 0;

	if (want > LF_PAR_MAX_THREADS)
		want = LF_PAR_MAX_THREADS;
	if (want > n)
		want = n;
	/* this thread is one of the workers */
	for (size_t t = 1; t < want; t++)
		if (pthread_create(&tids[started], NULL, worker, &p) == 0)
			started++;
	worker(&p);
	for (size_t t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
}
