#include "webhook.h"

#include "clock.h"

#include <curl/curl.h>
#include <stdio.h>
#include <time.h>

/* The answer's body is not needed: drop it rather than print it. */
static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

int lf_webhook_post(const char *url, const char *body, size_t len, const struct lf_webhook_opts *o,
                    long *status, int *tries, char *err, size_t errlen)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *headers = NULL;
	long backoff = o->backoff_ms;
	int attempts = o->attempts < 1 ? 1 : o->attempts;
	int rc = -1;

	*status = 0;
	*tries = 0;
	err[0] = '\0';
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
	for (int i = 0; i < attempts; i++) {
		if (i) {
			lf_sleep_ms(backoff);
			backoff *= 2;
		}
		curl_easy_reset(h);
		errbuf[0] = '\0';
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(h, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : "lakeform");
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		(*tries)++;
		CURLcode cc = curl_easy_perform(h);
		if (cc != CURLE_OK) {
			*status = 0;
			snprintf(err, errlen, "%s", *errbuf ? errbuf : curl_easy_strerror(cc));
			if (cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT)
				break; /* trying again cannot help */
			continue;
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
		if (*status >= 200 && *status < 300) {
			rc = 0;
			err[0] = '\0';
			break;
		}
		snprintf(err, errlen, "the server answered HTTP %ld", *status);
		if (*status < 500)
			break;
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	return rc;
}
