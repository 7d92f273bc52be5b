/*
 * http.c - requests to a SCIM service provider with libcurl (see scim.h).
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scim.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/mem.h"

#define MAX_ANSWER (256u << 20)
/* how long a call waits for others to join its bulk request */
#define BULK_LINGER_MS 3

static atomic_long nrequests;

long scim_requests(void)
{
	return atomic_load(&nrequests);
}

void scim_resp_release(struct scim_resp *r)
{
	json_decref(r->body);
	free(r->etag);
	memset(r, 0, sizeof(*r));
}

char *scim_escape(const char *s)
{
	struct lf_buf b = LF_BUF_INIT;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			lf_buf_addc(&b, (char)*p);
		else
			lf_buf_addf(&b, "%%%02X", *p);
	}
	return lf_buf_detach(&b);
}

char *scim_detail(const struct scim_resp *r)
{
	const char *d = json_string_value(json_object_get(r->body, "detail"));

	if (d && *d)
		return lf_xasprintf("%s (HTTP %ld)", d, r->status);
	return lf_xasprintf("HTTP %ld", r->status);
}

struct sink {
	struct lf_buf body;
	char *etag;
	int too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->body.len + size * n > MAX_ANSWER) {
		s->too_big = 1;
		return 0;
	}
	lf_buf_add(&s->body, p, size * n);
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;

	if (len > 5 && !strncasecmp(p, "etag:", 5)) {
		const char *v = p + 5;
		size_t vl = len - 5;
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		free(s->etag);
		s->etag = lf_xstrndup(v, vl);
	}
	return len;
}

/* one handle a thread: its connection is kept alive between calls */
static __thread CURL *tl_curl;

/* Why a request failed, to be given to one call or to each of a bulk's. */
struct herr {
	int code, retryable;
	char *msg;
};

static void herr_set(struct herr *e, int code, int retryable, char *msg)
{
	e->code = code;
	e->retryable = retryable;
	e->msg = msg;
}

static int http_do(const struct scim_conf *c, const char *method, const char *path,
                   const json_t *body, const char *if_match, struct scim_resp *r, struct herr *he)
{
	struct sink s = {LF_BUF_INIT, NULL, 0};
	struct curl_slist *h = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	char *url = lf_xasprintf("%s%s", c->base, path);
	char *data = body ? json_dumps(body, JSON_COMPACT) : NULL;
	CURLcode cc;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (!tl_curl)
		tl_curl = curl_easy_init();
	CURL *e = tl_curl;
	curl_easy_reset(e);
	h = curl_slist_append(h, c->auth);
	h = curl_slist_append(h, "Accept: application/scim+json, application/json");
	if (data)
		h = curl_slist_append(h, "Content-Type: application/scim+json");
	if (if_match) {
		char *im = lf_xasprintf("If-Match: %s", if_match);
		h = curl_slist_append(h, im);
		free(im);
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &s);
	if (data) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, data);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(data));
	}
	/* a server closes a connection idle for a while (node: 5 s); one
	 * that closed it just as this request went out is tried once more on
	 * a new connection: every request here may be repeated (a create
	 * finds its object by the marker, a PATCH is computed from what is
	 * there, a delete of nothing succeeds) */
	curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, 4L);
	for (int attempt = 0;; attempt++) {
		long fresh = 0;
		atomic_fetch_add(&nrequests, 1);
		cc = curl_easy_perform(e);
		curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &fresh);
		if (attempt || fresh ||
		    (cc != CURLE_RECV_ERROR && cc != CURLE_SEND_ERROR && cc != CURLE_GOT_NOTHING))
			break;
		lf_buf_truncate(&s.body, 0);
		errbuf[0] = '\0';
	}
	if (cc != CURLE_OK) {
		if (s.too_big)
			herr_set(he, LFP_E_UNAVAILABLE, 0,
			         lf_xasprintf("the SCIM server's answer to %s %s is larger than %u "
			                      "bytes",
			                      method, path, MAX_ANSWER));
		else
			herr_set(he, LFP_E_UNAVAILABLE, 1,
			         lf_xasprintf("cannot reach the SCIM server at %s: %s", c->base,
			                      errbuf[0] ? errbuf : curl_easy_strerror(cc)));
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	if (s.body.len)
		r->body = json_loadb(s.body.ptr, s.body.len, 0, NULL);
	r->etag = s.etag;
	s.etag = NULL;
	if (r->status == 401 || r->status == 403) {
		char *d = scim_detail(r);
		herr_set(he, LFP_E_INVALID, 0,
		         lf_xasprintf("the SCIM server at %s refused the bearer token in $%s: %s",
		                      c->base, c->token_env, d));
		free(d);
		scim_resp_release(r);
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(h);
	free(url);
	free(data);
	free(s.etag);
	lf_buf_release(&s.body);
	return rc;
}

int scim_http(struct lfp_call *call, const struct scim_conf *c, const char *method,
              const char *path, const json_t *body, const char *if_match, struct scim_resp *r)
{
	struct herr he = {0, 0, NULL};

	if (http_do(c, method, path, body, if_match, r, &he) == 0)
		return 0;
	lfp_error(call, he.code, he.retryable, "%s", he.msg);
	free(he.msg);
	return -1;
}

/* ---- bulk: the calls that arrive together, in one request ---------------- */

struct bop {
	const char *method, *path, *version;
	const json_t *data;
	struct scim_resp *r;
	int done;
	/* the bulk request failed as a whole: its error, for each call */
	int err_code, err_retryable;
	char *err;
	size_t bytes;
};

static pthread_mutex_t bulk_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bulk_cv = PTHREAD_COND_INITIALIZER;
static struct bop **queue;
static size_t nqueue, queue_alloc;
static int leading;

static long status_of(const json_t *v)
{
	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_string(v))
		return strtol(json_string_value(v), NULL, 10);
	return 0;
}

/* Send `ops` as one bulk request and give each its answer. */
static void bulk_run(const struct scim_conf *c, struct bop **ops, size_t n)
{
	struct herr he = {0, 0, NULL};
	json_t *list = json_array();
	struct scim_resp r;

	for (size_t i = 0; i < n; i++) {
		json_t *op =
		    json_pack("{s:s, s:s}", "method", ops[i]->method, "path", ops[i]->path);
		if (!strcmp(ops[i]->method, "POST"))
			json_object_set_new(op, "bulkId", json_sprintf("op%zu", i));
		if (ops[i]->data)
			json_object_set(op, "data", (json_t *)ops[i]->data);
		if (ops[i]->version)
			json_object_set_new(op, "version", json_string(ops[i]->version));
		json_array_append_new(list, op);
	}
	json_t *req =
	    json_pack("{s:[s], s:o}", "schemas",
	              "urn:ietf:params:scim:api:messages:2.0:BulkRequest", "Operations", list);
	int rc = http_do(c, "POST", "/Bulk", req, NULL, &r, &he);
	json_decref(req);
	json_t *answers = rc ? NULL : json_object_get(r.body, "Operations");
	if (!rc && (r.status != 200 || !json_is_array(answers))) {
		char *d = scim_detail(&r);
		herr_set(&he, r.status >= 500 ? LFP_E_UNAVAILABLE : LFP_E_INVALID, r.status >= 500,
		         lf_xasprintf("the SCIM server refused a bulk request: %s", d));
		free(d);
		scim_resp_release(&r);
		rc = -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *a = rc ? NULL : json_array_get(answers, i);
		struct bop *o = ops[i];
		memset(o->r, 0, sizeof(*o->r));
		if (rc || !a) {
			o->err_code = rc ? he.code : LFP_E_INTERNAL;
			o->err_retryable = rc ? he.retryable : 1;
			o->err = lf_xstrdup(
			    rc ? he.msg : "the SCIM server's bulk answer lacks this operation");
			continue;
		}
		o->r->status = status_of(json_object_get(a, "status"));
		o->r->body = json_incref(json_object_get(a, "response"));
		const char *loc = json_string_value(json_object_get(a, "location"));
		if (loc && o->r->status < 300) {
			/* the new object's id: the location's last part */
			const char *slash = strrchr(loc, '/');
			if (!o->r->body)
				o->r->body = json_object();
			if (!json_object_get(o->r->body, "id") && slash)
				json_object_set_new(o->r->body, "id", json_string(slash + 1));
		}
		const char *v = json_string_value(json_object_get(a, "version"));
		o->r->etag = v ? lf_xstrdup(v) : NULL;
	}
	if (!rc)
		scim_resp_release(&r);
	free(he.msg);
}

int scim_send(struct lfp_call *call, const struct scim_conf *c, const char *method,
              const char *path, const json_t *body, const char *if_match, struct scim_resp *r)
{
	if (!c->bulk)
		return scim_http(call, c, method, path, body, if_match, r);

	struct bop me = {method, path, if_match, body, r, 0, 0, 0, NULL, 0};
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	me.bytes = strlen(path) + (text ? strlen(text) : 0) + 64;
	free(text);

	pthread_mutex_lock(&bulk_mu);
	LF_GROW(queue, nqueue + 1, queue_alloc);
	queue[nqueue++] = &me;
	pthread_cond_broadcast(&bulk_cv);
	while (!me.done) {
		if (leading) {
			pthread_cond_wait(&bulk_cv, &bulk_mu);
			continue;
		}
		/* lead: wait a little for others, then take what fits */
		leading = 1;
		struct timespec until = lf_ts_in_ms(CLOCK_REALTIME, BULK_LINGER_MS);
		while (nqueue < (size_t)c->bulk_max_ops &&
		       pthread_cond_timedwait(&bulk_cv, &bulk_mu, &until) != ETIMEDOUT)
			;
		size_t n = 0, bytes = 256;
		while (n < nqueue && n < (size_t)c->bulk_max_ops &&
		       (n == 0 || bytes + queue[n]->bytes <= (size_t)c->bulk_max_bytes))
			bytes += queue[n++]->bytes;
		struct bop **ops = lf_xcalloc(n, sizeof(*ops));
		memcpy(ops, queue, n * sizeof(*ops));
		memmove(queue, queue + n, (nqueue - n) * sizeof(*queue));
		nqueue -= n;
		pthread_mutex_unlock(&bulk_mu);
		bulk_run(c, ops, n);
		pthread_mutex_lock(&bulk_mu);
		for (size_t i = 0; i < n; i++)
			ops[i]->done = 1;
		free(ops);
		leading = 0;
		pthread_cond_broadcast(&bulk_cv);
	}
	pthread_mutex_unlock(&bulk_mu);
	if (me.err) {
		lfp_error(call, me.err_code, me.err_retryable, "%s", me.err);
		free(me.err);
		return -1;
	}
	return 0;
}
