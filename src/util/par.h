/*
 * par.h - run one function over the items 0..n-1 on every core.
 *
 * Each worker takes the next item not yet taken, so the order in which
 * items run is not fixed: a caller keeps what each item makes in a slot of
 * its own and combines the slots afterwards, in item order, so the result
 * is the same as one thread's.
 */
#ifndef LF_UTIL_PAR_H
#define LF_UTIL_PAR_H

#include <stddef.h>

/* The most threads lf_par_for starts, this thread included. */
#define LF_PAR_MAX_THREADS 8

/* Call fn(arg, i) once for each i < n, on up to as many threads as there
 * are cores online (at most LF_PAR_MAX_THREADS), and return when every
 * call has.  With one core, or when no thread can start, all calls run
 * on this thread. */
void lf_par_for(size_t n, void (*fn)(void *arg, size_t i), void *arg);

#endif
