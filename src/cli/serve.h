/*
 * serve.h - what cmd_serve.c (the HTTP server, the schedule) and
 * serve_html.c (the pages drawn from the API's JSON) share.
 */
#ifndef LF_CLI_SERVE_H
#define LF_CLI_SERVE_H

#include <jansson.h>

#include "util/buf.h"

/* The pages, each drawn from the JSON document of its /api/ twin. */
enum lf_page {
	LF_PAGE_HOME,
	LF_PAGE_ACCOUNT,
	LF_PAGE_NAMESPACE,
	LF_PAGE_PRINCIPALS,
	LF_PAGE_PRINCIPAL,
	LF_PAGE_ACCESS,
	LF_PAGE_RESOURCES,
	LF_PAGE_RESOURCE,
	LF_PAGE_HISTORY,
	LF_PAGE_DRIFT,
	LF_PAGE_HEALS,
	LF_PAGE_GRAPH,
};

/* `doc` as the HTML page `page` (a whole document, every string escaped);
 * `svg` is the graph page's drawing (already SVG), or NULL. */
void lf_serve_html(struct lf_buf *out, enum lf_page page, const json_t *doc, const char *svg);

/* A page saying `status` and `message` (404, 401, ...). */
void lf_serve_html_error(struct lf_buf *out, int status, const char *message);

/* Append `s` escaped for HTML text and attribute values. */
void lf_html_escape(struct lf_buf *out, const char *s);

/* Append `s` percent-encoded for a URL's query value. */
void lf_url_encode(struct lf_buf *out, const char *s);

#endif
