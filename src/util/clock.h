/*
 * clock.h - milliseconds and deadlines, for the retry loops, lock waits and
 * timeouts of lakeform and the providers.
 */
#ifndef LF_UTIL_CLOCK_H
#define LF_UTIL_CLOCK_H

#include <time.h>

/* CLOCK_MONOTONIC in milliseconds. */
long lf_now_ms(void);

/* Sleep `ms` milliseconds, resuming after a signal. */
void lf_sleep_ms(long ms);

/* `t` moved `ms` milliseconds later. */
void lf_ts_add_ms(struct timespec *t, long ms);

/* `clock` (CLOCK_MONOTONIC, CLOCK_REALTIME) now plus `ms`: a deadline. */
struct timespec lf_ts_in_ms(clockid_t clock, long ms);

/* Whether `a` is earlier than `b`. */
int lf_ts_before(const struct timespec *a, const struct timespec *b);

/* "30s", "2m", "1m30s", "500ms", "1h", "0" (as Terraform's -lock-timeout;
 * at most a week): 0 with *ms set, or -1. */
int lf_parse_duration(const char *s, long *ms);

#endif
