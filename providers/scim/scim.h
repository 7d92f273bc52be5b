/*
 * scim.h - the scim provider's HTTP side: requests to a SCIM 2.0 service
 * provider (RFC 7644) with libcurl, one keep-alive connection a worker
 * thread, and /Bulk batches made from the calls that arrive together.
 */
#ifndef LF_PROVIDER_SCIM_H
#define LF_PROVIDER_SCIM_H

#include <jansson.h>
#include <pthread.h>

#include "../sdk/lfp.h"

struct scim_conf {
	char *base; /* "http://127.0.0.1:8080/scim/v2", no trailing '/' */
	char *auth; /* "Authorization: Bearer ...": never logged */
	char *token_env;
	long timeout_ms, connect_timeout_ms;
	int etag; /* ServiceProviderConfig etag.supported */
	int bulk; /* send creates, updates and deletes through /Bulk */
	long bulk_max_ops;
	long bulk_max_bytes;
};

/* One answer: status 0 when nothing came back (lfp_error() was called). */
struct scim_resp {
	long status;
	json_t *body; /* the parsed body, or NULL */
	char *etag;   /* the ETag header, or NULL */
};

void scim_resp_release(struct scim_resp *r);

/*
 * `method` `path` (below the base URL; with its query, escaped) with `body`
 * (borrowed, may be NULL) and `if_match` (may be NULL).  0 with *r filled
 * whatever the status; -1 after lfp_error() when the server could not be
 * reached or answered no HTTP (1004, retryable).  A 401 or 403 is an error
 * naming the token's variable (1003), since no retry can mend it.
 */
int scim_http(struct lfp_call *call, const struct scim_conf *c, const char *method,
              const char *path, const json_t *body, const char *if_match, struct scim_resp *r);

/*
 * As scim_http(), through /Bulk when c->bulk: the call waits while calls
 * that arrive within a few milliseconds join it, and one bulk request
 * carries them all (up to c->bulk_max_ops and c->bulk_max_bytes).  The
 * answer of the call's own operation comes back as its status and body.
 */
int scim_send(struct lfp_call *call, const struct scim_conf *c, const char *method,
              const char *path, const json_t *body, const char *if_match, struct scim_resp *r);

/* The server's message in an error answer, or "HTTP <status>" (owned). */
char *scim_detail(const struct scim_resp *r);

/* `s` escaped for a URL query (owned). */
char *scim_escape(const char *s);

/* Requests sent since the start (HTTP requests, a bulk request is one). */
long scim_requests(void);

#endif
