/*
 * s3http.h - signed S3 REST requests, for lakeform-provider-s3 and the s3
 * state backend.
 *
 * One request is a method, a bucket, a key and a query; s3_request() sends
 * it with libcurl, signed with Signature Version 4 (CURLOPT_AWS_SIGV4; the
 * x-amz-content-sha256 header libcurl does not add is set here, before
 * signing), retries throttling, 5xx answers and transport failures a few
 * times with backoff inside the caller's deadline, and gives back the
 * status, the body and the S3 error code parsed from an error body.
 *
 * Each worker thread has its own curl handle, kept between requests so
 * connections are reused; s3_http_cleanup() frees them all at exit.  Every
 * request attempt is given to the log function, when one is set, as one
 * line: method, path, status, milliseconds (the benchmarks count them).
 *
 * The query must already be in canonical form (parameters sorted, values
 * URI-encoded, a '=' after every name): libcurl 7.88 signs it as given.
 */
#ifndef S3HTTP_H
#define S3HTTP_H

#include <stddef.h>

#include "buf.h"

struct s3_conf {
	char *endpoint;   /* "http://127.0.0.1:9000", no trailing '/'; NULL: AWS by region */
	char *region;     /* default signing region */
	int virtual_host; /* bucket in the host name rather than the path */
	int tls_verify;
	char *access_key;
	char *secret_key;
	char *session_token; /* or NULL */
};

struct s3_req {
	const char *method; /* GET HEAD PUT DELETE */
	const char *bucket; /* NULL: the service (ListBuckets) */
	const char *key;    /* NULL or "": the bucket itself */
	const char *query;  /* canonical, without '?', or NULL */
	const char *region; /* signing region; NULL: the configured one */
	const char *body;   /* PUT body or NULL */
	size_t body_len;
	const char *content_type; /* of the body */
	const char *if_none_match;
	const char *if_match; /* an ETag, quotes included */
	const char *tagging;  /* x-amz-tagging, URL-encoded */
	int checksum;         /* send x-amz-checksum-sha256 of the body */
};

struct s3_resp {
	long status;            /* HTTP status; 0 when no answer came */
	struct lf_buf body;     /* the response body */
	char code[64];          /* S3 error <Code>, "" when none */
	char message[256];      /* S3 error <Message>, "" when none */
	char bucket_region[32]; /* x-amz-bucket-region, "" when absent */
	char version_id[128];   /* x-amz-version-id, "" when absent */
	char etag[128];         /* ETag, quotes included, "" when absent */
	char transport[256];    /* curl's error when status is 0 */
	int timed_out;          /* the deadline passed */
};

#define S3_RESP_INIT                                      \
	{                                                 \
		0, LF_BUF_INIT, "", "", "", "", "", "", 0 \
	}

/*
 * Send `req` within `remaining_ms`; *out holds the last attempt's answer.
 * Returns 0 when S3 answered (any status, see out->status), -1 when no
 * answer came (out->transport says why).
 */
int s3_request(const struct s3_conf *c, long remaining_ms, const struct s3_req *req,
               struct s3_resp *out);
void s3_resp_release(struct s3_resp *r);

/* Whether an answer says the store is busy (5xx but 501, 429, SlowDown):
 * worth asking again later, unlike a 501 (the store lacks the feature). */
int s3_resp_busy(const struct s3_resp *r);

/* Where each request's line goes (NULL: nowhere, the default). */
void s3_http_set_log(void (*fn)(const char *line));

/* Free every thread's curl handle (after the worker threads are done). */
void s3_http_cleanup(void);

/* RFC 3986 encoding as SigV4 wants it ('/' kept when `keep_slash`). */
void s3_uri_encode(struct lf_buf *b, const char *s, int keep_slash);

/* XML: the text of the first <tag>...</tag> after `from`, decoded, new
 * string or NULL; *next (if given) points past its end tag. */
char *s3_xml_text(const char *from, const char *tag, const char **next);
/* Escape `s` for XML text into `b`. */
void s3_xml_escape(struct lf_buf *b, const char *s);

#endif
