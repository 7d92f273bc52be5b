/*
 * webhook.h - post a JSON document to a URL (drift --webhook), with
 * timeouts and retries.
 *
 * A 2xx answer is success.  A connection failure, a timeout or a 5xx
 * answer is tried again, up to `attempts` times in all, waiting
 * `backoff_ms` before the second try and twice as long before each later
 * one.  Any other answer (4xx, 3xx: redirects are not followed) is final.
 * Never prints.
 */
#ifndef LF_UTIL_WEBHOOK_H
#define LF_UTIL_WEBHOOK_H

#include <stddef.h>

struct lf_webhook_opts {
	long connect_timeout_ms; /* each attempt's connection */
	long timeout_ms;         /* each attempt, whole */
	int attempts;            /* at least 1 */
	long backoff_ms;
	const char *user_agent;
};

/*
 * POST `len` bytes of `body` to `url` with "Content-Type:
 * application/json".  Returns 0, or -1 with the reason in `err` (NUL-
 * terminated, at most `errlen` bytes) and the last HTTP status in *status
 * (0 when no answer came).  *tries gets the attempts made.
 */
int lf_webhook_post(const char *url, const char *body, size_t len, const struct lf_webhook_opts *o,
                    long *status, int *tries, char *err, size_t errlen);

#endif
