#include "httpget.h"

#include <curl/curl.h>
#include <stdio.h>

struct sink {
	struct lf_buf *body;
	size_t max, got;
	int over;
};

static size_t keep(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->got + size * n > s->max) {
		s->over = 1;
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	}
	lf_buf_add(s->body, p, size * n);
	s->got += size * n;
	return size * n;
}

int lf_http_get(const char *url, const struct lf_httpget_opts *o, struct lf_buf *body, long *status,
                char *err, size_t errlen)
{
	char errbuf[CURL_ERROR_SIZE];
	struct sink s = {body, o->max_bytes, 0, 0};
	int rc = 0;

	*status = 0;
	err[0] = '\0';
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : "lakeform");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	CURLcode cc = curl_easy_perform(h);
	if (s.over) {
		snprintf(err, errlen, "the answer is longer than %zu bytes", o->max_bytes);
		rc = -1;
	} else if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s", *errbuf ? errbuf : curl_easy_strerror(cc));
		rc = -1;
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	}
	curl_easy_cleanup(h);
	return rc;
}
