/*
 * httpget.h - fetch a small document with GET (the OIDC discovery document
 * and its key set), with timeouts, no redirects and a cap on the size.
 * Never prints.
 */
#ifndef LF_UTIL_HTTPGET_H
#define LF_UTIL_HTTPGET_H

#include <stddef.h>

#include "buf.h"

struct lf_httpget_opts {
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_bytes; /* a longer body is an error */
	const char *user_agent;
};

/*
 * GET `url` (http or https) into `body` (appended).  Returns 0 when an
 * answer came, whatever its status (in *status), or -1 when none came (the
 * connection refused, a timeout, a body over max_bytes) with the reason in
 * `err` (NUL-terminated, at most `errlen` bytes).  Redirects are not
 * followed: a 3xx is an answer like any other.
 */
int lf_http_get(const char *url, const struct lf_httpget_opts *o, struct lf_buf *body, long *status,
                char *err, size_t errlen);

#endif
