/*
 * s3http.c - see s3http.h.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "mem.h"
#include "s3http.h"
#include "sha256.h"

#define MAX_ATTEMPTS 4
#define FIRST_BACKOFF_MS 100
#define CONNECT_TIMEOUT_MS 5000L
#define REQUEST_TIMEOUT_MS 60000L

/* every thread's handle, so that s3_http_cleanup() can free them */
static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static CURL **handles;
static size_t nhandles, handles_alloc;
static _Thread_local CURL *thread_handle;

static void (*log_fn)(const char *line);

void s3_http_set_log(void (*fn)(const char *line))
{
	log_fn = fn;
}

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...)
{
	struct lf_buf b = LF_BUF_INIT;
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	lf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	log_fn(lf_buf_cstr(&b));
	lf_buf_release(&b);
}

static CURL *handle(void)
{
	if (thread_handle)
		return thread_handle;
	thread_handle = curl_easy_init();
	if (!thread_handle)
		return NULL;
	pthread_mutex_lock(&handles_lock);
	LF_GROW(handles, nhandles + 1, handles_alloc);
	handles[nhandles++] = thread_handle;
	pthread_mutex_unlock(&handles_lock);
	return thread_handle;
}

void s3_http_cleanup(void)
{
	pthread_mutex_lock(&handles_lock);
	for (size_t i = 0; i < nhandles; i++)
		curl_easy_cleanup(handles[i]);
	free(handles);
	handles = NULL;
	nhandles = handles_alloc = 0;
	pthread_mutex_unlock(&handles_lock);
}

void s3_resp_release(struct s3_resp *r)
{
	lf_buf_release(&r->body);
}

void s3_uri_encode(struct lf_buf *b, const char *s, int keep_slash)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
		    (keep_slash && *p == '/'))
			lf_buf_addc(b, (char)*p);
		else
			lf_buf_addf(b, "%%%02X", *p);
	}
}

void s3_xml_escape(struct lf_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			lf_buf_adds(b, "&amp;");
			break;
		case '<':
			lf_buf_adds(b, "&lt;");
			break;
		case '>':
			lf_buf_adds(b, "&gt;");
			break;
		case '"':
			lf_buf_adds(b, "&quot;");
			break;
		default:
			lf_buf_addc(b, *s);
		}
	}
}

static void xml_unescape(char *s)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {
	    {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	char *w = s;

	for (const char *r = s; *r;) {
		size_t i, n = sizeof(ents) / sizeof(ents[0]);

		for (i = 0; i < n; i++)
			if (!strncmp(r, ents[i].ent, strlen(ents[i].ent)))
				break;
		if (i < n) {
			*w++ = ents[i].c;
			r += strlen(ents[i].ent);
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

char *s3_xml_text(const char *from, const char *tag, const char **next)
{
	size_t n = strlen(tag);
	char *close = lf_xasprintf("</%s>", tag), *out = NULL;
	const char *s = from, *e;

	/* <tag>, <tag attr="...">, or an empty <tag/> */
	while (s && (s = strchr(s, '<'))) {
		s++;
		if (strncmp(s, tag, n) || (s[n] != '>' && s[n] != ' ' && s[n] != '/'))
			continue;
		e = strchr(s, '>');
		if (!e)
			break;
		if (e[-1] == '/') {
			out = lf_xstrdup("");
			if (next)
				*next = e + 1;
			break;
		}
		s = e + 1;
		e = strstr(s, close);
		if (e) {
			out = lf_xstrndup(s, (size_t)(e - s));
			xml_unescape(out);
			if (next)
				*next = e + strlen(close);
		}
		break;
	}
	free(close);
	return out;
}

static void base64(struct lf_buf *b, const unsigned char *in, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		lf_buf_addc(b, tab[(v >> 18) & 63]);
		lf_buf_addc(b, tab[(v >> 12) & 63]);
		lf_buf_addc(b, i + 1 < n ? tab[(v >> 6) & 63] : '=');
		lf_buf_addc(b, i + 2 < n ? tab[v & 63] : '=');
	}
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	lf_buf_add(arg, data, size * n);
	return size * n;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t outn)
{
	size_t nn = strlen(name);

	if (len <= nn + 1 || strncasecmp(line, name, nn) || line[nn] != ':')
		return;
	line += nn + 1;
	len -= nn + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	if (len >= outn)
		len = outn - 1;
	memcpy(out, line, len);
	out[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct s3_resp *r = arg;

	header_value(data, size * n, "x-amz-bucket-region", r->bucket_region,
	             sizeof(r->bucket_region));
	header_value(data, size * n, "x-amz-version-id", r->version_id, sizeof(r->version_id));
	header_value(data, size * n, "ETag", r->etag, sizeof(r->etag));
	return size * n;
}

/* The request's URL: path style or virtual host, on the endpoint or AWS. */
static char *url_for(const struct s3_conf *c, const struct s3_req *req, const char *region)
{
	struct lf_buf u = LF_BUF_INIT;
	const char *ep = c->endpoint;
	char *aws = NULL;

	if (!ep)
		ep = aws = lf_xasprintf("https://s3.%s.amazonaws.com", region);
	if (req->bucket && c->virtual_host) {
		const char *host = strstr(ep, "://");
		host = host ? host + 3 : ep;
		lf_buf_add(&u, ep, (size_t)(host - ep));
		lf_buf_addf(&u, "%s.%s/", req->bucket, host);
	} else {
		lf_buf_addf(&u, "%s/", ep);
		if (req->bucket)
			lf_buf_addf(&u, "%s/", req->bucket);
	}
	if (req->key && *req->key)
		s3_uri_encode(&u, req->key, 1);
	if (req->query && *req->query)
		lf_buf_addf(&u, "?%s", req->query);
	free(aws);
	return lf_buf_detach(&u);
}

/* One attempt.  0 when S3 answered, -1 when not (out->transport). */
static int attempt(CURL *h, const struct s3_conf *c, long budget_ms, const struct s3_req *req,
                   const char *region, struct s3_resp *out)
{
	char errbuf[CURL_ERROR_SIZE] = "", hash[LF_SHA256_HEX_LEN + 1];
	unsigned char md[LF_SHA256_LEN];
	struct curl_slist *hdrs = NULL;
	struct lf_buf line = LF_BUF_INIT;
	char *url = url_for(c, req, region), *sigv4 = lf_xasprintf("aws:amz:%s:s3", region);
	const char *body = req->body ? req->body : "";
	size_t body_len = req->body ? req->body_len : 0;
	long t0 = lf_now_ms();
	CURLcode rc;

	lf_buf_truncate(&out->body, 0);
	out->status = 0;
	out->code[0] = out->message[0] = out->bucket_region[0] = out->version_id[0] = '\0';
	out->etag[0] = '\0';
	out->transport[0] = '\0';

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->access_key);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->secret_key);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	                 budget_ms < CONNECT_TIMEOUT_MS ? budget_ms : CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	                 budget_ms < REQUEST_TIMEOUT_MS ? budget_ms : REQUEST_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, out);

	/* the payload hash S3 checks, set before libcurl signs the request */
	lf_sha256(md, body, body_len);
	lf_sha256_hex(hash, md);
	char *h_sha = lf_xasprintf("x-amz-content-sha256: %s", hash);
	hdrs = curl_slist_append(hdrs, h_sha);
	free(h_sha);
	if (c->session_token) {
		char *t = lf_xasprintf("x-amz-security-token: %s", c->session_token);
		hdrs = curl_slist_append(hdrs, t);
		free(t);
	}
	if (req->if_none_match) {
		char *t = lf_xasprintf("If-None-Match: %s", req->if_none_match);
		hdrs = curl_slist_append(hdrs, t);
		free(t);
	}
	if (req->if_match) {
		char *t = lf_xasprintf("If-Match: %s", req->if_match);
		hdrs = curl_slist_append(hdrs, t);
		free(t);
	}
	if (req->tagging) {
		char *t = lf_xasprintf("x-amz-tagging: %s", req->tagging);
		hdrs = curl_slist_append(hdrs, t);
		free(t);
	}
	if (req->checksum) {
		struct lf_buf b = LF_BUF_INIT;
		lf_buf_adds(&b, "x-amz-checksum-sha256: ");
		base64(&b, md, sizeof(md));
		hdrs = curl_slist_append(hdrs, lf_buf_cstr(&b));
		lf_buf_release(&b);
	}
	if (!strcmp(req->method, "PUT") || !strcmp(req->method, "POST")) {
		char *t = lf_xasprintf("Content-Type: %s",
		                       req->content_type ? req->content_type : "application/xml");
		hdrs = curl_slist_append(hdrs, t);
		free(t);
		/* POSTFIELDS: libcurl hashes the same bytes when it signs */
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	} else if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

	rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	} else {
		snprintf(out->transport, sizeof(out->transport), "%s",
		         *errbuf ? errbuf : curl_easy_strerror(rc));
		out->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	}
	if (out->status >= 300) {
		char *code = s3_xml_text(lf_buf_cstr(&out->body), "Code", NULL);
		char *msg = s3_xml_text(lf_buf_cstr(&out->body), "Message", NULL);
		snprintf(out->code, sizeof(out->code), "%s", code ? code : "");
		snprintf(out->message, sizeof(out->message), "%s", msg ? msg : "");
		free(code);
		free(msg);
	}

	/* one line per request: what the benchmarks and a person count */
	lf_buf_addf(&line, "request %s /%s%s%s%s%s", req->method, req->bucket ? req->bucket : "",
	            req->key && *req->key ? "/" : "", req->key ? req->key : "",
	            req->query ? "?" : "", req->query ? req->query : "");
	if (rc == CURLE_OK)
		log_line("%s %ld%s%s %ld ms", lf_buf_cstr(&line), out->status,
		         *out->code ? " " : "", out->code, lf_now_ms() - t0);
	else
		log_line("%s failed: %s %ld ms", lf_buf_cstr(&line), out->transport,
		         lf_now_ms() - t0);
	lf_buf_release(&line);
	curl_slist_free_all(hdrs);
	free(url);
	free(sigv4);
	return rc == CURLE_OK ? 0 : -1;
}

int s3_resp_busy(const struct s3_resp *r)
{
	/* a 501 is final: the store lacks what was asked, now and later */
	return (r->status >= 500 && r->status != 501) || r->status == 429 ||
	       !strcmp(r->code, "SlowDown");
}

static int worth_retrying(const struct s3_resp *r, int answered)
{
	if (!answered)
		return !r->timed_out;
	return s3_resp_busy(r) || !strcmp(r->code, "RequestTimeout") ||
	       !strcmp(r->code, "RequestTimeTooSkewed");
}

int s3_request(const struct s3_conf *c, long remaining_ms, const struct s3_req *req,
               struct s3_resp *out)
{
	CURL *h = handle();
	long start = lf_now_ms(), backoff = FIRST_BACKOFF_MS;
	const char *region = req->region ? req->region : c->region;
	char moved[32] = "";
	int answered = 0;

	if (!h) {
		snprintf(out->transport, sizeof(out->transport), "cannot start libcurl");
		return -1;
	}
	for (int a = 1; a <= MAX_ATTEMPTS; a++) {
		long left = remaining_ms - (lf_now_ms() - start);

		if (left <= 0) {
			out->timed_out = 1;
			if (!answered)
				snprintf(out->transport, sizeof(out->transport),
				         "the deadline passed");
			break;
		}
		answered = attempt(h, c, left, req, region, out) == 0;
		/* a bucket in another region: AWS names it; ask there once */
		if (answered && !*moved && *out->bucket_region &&
		    strcmp(out->bucket_region, region) &&
		    (out->status == 301 || out->status == 400)) {
			snprintf(moved, sizeof(moved), "%s", out->bucket_region);
			region = moved;
			a--;
			continue;
		}
		if (!worth_retrying(out, answered) || a == MAX_ATTEMPTS)
			break;
		left = remaining_ms - (lf_now_ms() - start);
		if (left <= backoff)
			break;
		lf_sleep_ms(backoff);
		backoff *= 2;
	}
	return answered ? 0 : -1;
}
