/*
 * clock.h - milliseconds and deadlines, for the retry loops, lock waits and
 * timeouts of lakeform and the providers.
 */
#ifndef LF_UTIL_CLOCK_H
#define LF_UTIL_CLOCK_H

#include <time.h>

/* CLOCK_MONOTONIC in milliseconds. */
long lf_now_ms(void);

/*
 * Whole milliseconds since `since` (CLOCK_MONOTONIC), counted from the
 * nanoseconds so that a wait of N ms is over only when N ms have passed:
 * differences of lf_now_ms() readings, each cut to the millisecond, can
 * come out a millisecond long.
 */
long lf_ms_since(const struct timespec *since);

/* Sleep `ms` milliseconds, resuming after a signal. */
void lf_sleep_ms(long ms);

/* `t` moved `ms` milliseconds later. */
void lf_ts_add_ms(struct timespec *t, long ms);

/* `clock` (CLOCK_MONOTONIC, CLOCK_REALTIME) now plus `ms`: a deadline. */
struct timespec lf_ts_in_ms(clockid_t clock, long ms);

/* Whether `a` is earlier than `b`. */
int lf_ts_before(const struct timespec *a, const struct timespec *b);

/*
 * A duration as Go and Terraform write it, in whole numbers: "30s", "2m",
 * "1m30s", "500ms", "1h", "0"; at most a week.  0 with *ms set, or -1.
 */
int lf_duration_parse(const char *s, long *ms);

#endif
