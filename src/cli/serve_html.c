/*
 * serve_html.c - the pages of lakeform serve, drawn from the JSON documents
 * of its API: one small stylesheet, no script, no external asset, every
 * string from the state escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static const char style[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}"
    "header{background:#16324f;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;"
    "align-items:center;flex-wrap:wrap}"
    "header a{color:#dbe8f5;text-decoration:none}header a.on{color:#fff;font-weight:600;"
    "border-bottom:2px solid #7cc0ff}header b{font-size:1.1em;margin-right:.8em}"
    "main{padding:1em 1.4em;max-width:1200px}"
    "h1{font-size:1.4em;margin:.3em 0 .6em}h2{font-size:1.15em;margin:1.2em 0 .4em}"
    "table{border-collapse:collapse;background:#fff;margin:.4em 0 1em;min-width:50%}"
    "td,th{border:1px solid #d9dee4;padding:.3em .6em;text-align:left;vertical-align:top}"
    "th{background:#eef1f5}a{color:#0b5cad}pre{background:#fff;border:1px solid #d9dee4;"
    "padding:.6em;overflow:auto;font-size:13px}"
    ".card{background:#fff;border:1px solid #d9dee4;border-radius:6px;padding:.6em 1em;"
    "margin:.5em 0}.region{border-left:4px solid #7cc0ff;padding-left:1em;margin:1em 0}"
    ".tag{display:inline-block;border-radius:4px;padding:0 .4em;font-size:.85em;"
    "background:#e4e9ef}.serverless{background:#d9f2e3}.classic{background:#fde9cf}"
    ".drift{background:#fbd9d9}.sync{background:#d9f2e3}.muted{color:#66717d}"
    ".crumbs a{margin-right:.3em}.pager{margin:.5em 0}.svg svg{max-width:100%;height:auto}"
    ".svg{background:#fff;"
    "border:1px solid #d9dee4;overflow:auto;max-height:80vh}footer{padding:1em 1.4em;"
    "color:#66717d;font-size:.85em}";

static const struct {
	const char *href, *label;
} nav[] = {
    {"/", "Overview"},           {"/account", "Account"},
    {"/namespace", "Namespace"}, {"/principals", "Principals"},
    {"/resources", "Resources"}, {"/history", "History"},
    {"/drift", "Drift"},         {"/heals", "Heals"},
    {"/graph", "Graph"},
};

void lf_html_escape(struct lf_buf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			lf_buf_adds(out, "&amp;");
			break;
		case '<':
			lf_buf_adds(out, "&lt;");
			break;
		case '>':
			lf_buf_adds(out, "&gt;");
			break;
		case '"':
			lf_buf_adds(out, "&quot;");
			break;
		case '\'':
			lf_buf_adds(out, "&#39;");
			break;
		default:
			lf_buf_addc(out, *s);
		}
	}
}

void lf_url_encode(struct lf_buf *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			lf_buf_addc(out, (char)c);
		else
			lf_buf_addf(out, "%%%02X", c);
	}
}

/* shorthands */
static void esc(struct lf_buf *b, const char *s)
{
	lf_html_escape(b, s);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* <a href="PATH?KEY=VALUE">TEXT</a>, VALUE encoded, TEXT escaped. */
static void link(struct lf_buf *b, const char *path, const char *key, const char *value,
                 const char *text)
{
	lf_buf_addf(b, "<a href=\"%s?%s=", path, key);
	lf_url_encode(b, value);
	lf_buf_adds(b, "\">");
	esc(b, text ? text : value);
	lf_buf_adds(b, "</a>");
}

static void resource_link(struct lf_buf *b, const char *address)
{
	link(b, "/resource", "address", address, NULL);
}

static void principal_link(struct lf_buf *b, const char *principal)
{
	link(b, "/principal", "name", principal, NULL);
}

static void head(struct lf_buf *b, const char *title, const char *active)
{
	lf_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	               "<meta name=\"viewport\" content=\"width=device-width\"><title>");
	esc(b, title);
	lf_buf_adds(b, " - lakeform</title><style>");
	lf_buf_adds(b, style);
	lf_buf_adds(b, "</style></head><body><header><b>lakeform</b>");
	for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++)
		lf_buf_addf(b, "<a href=\"%s\"%s>%s</a>", nav[i].href,
		            active && !strcmp(active, nav[i].href) ? " class=\"on\"" : "",
		            nav[i].label);
	lf_buf_adds(b, "</header><main><h1>");
	esc(b, title);
	lf_buf_adds(b, "</h1>\n");
}

static void foot(struct lf_buf *b, const char *api)
{
	lf_buf_adds(b, "</main><footer>read-only; the same content as JSON: <a href=\"");
	esc(b, api);
	lf_buf_adds(b, "\">");
	esc(b, api);
	lf_buf_adds(b, "</a></footer></body></html>\n");
}

/* "Showing A-B of N" and links to the previous and next pages; `base`
 * is the page's URL with its other parameters, ending in ? or &. */
static void pager(struct lf_buf *b, const json_t *doc, const char *base)
{
	long long total = num(doc, "total"), offset = num(doc, "offset"), limit = num(doc, "limit");
	lf_buf_adds(b, "<div class=\"pager\">");
	if (!total) {
		lf_buf_adds(b, "none</div>");
		return;
	}
	long long last = offset + limit < total ? offset + limit : total;
	lf_buf_addf(b, "%lld&ndash;%lld of %lld", offset < total ? offset + 1 : total, last, total);
	if (offset > 0) {
		lf_buf_adds(b, " &middot; <a href=\"");
		esc(b, base);
		lf_buf_addf(b, "offset=%lld&amp;limit=%lld\">previous</a>",
		            offset > limit ? offset - limit : 0, limit);
	}
	if (last < total) {
		lf_buf_adds(b, " &middot; <a href=\"");
		esc(b, base);
		lf_buf_addf(b, "offset=%lld&amp;limit=%lld\">next</a>", last, limit);
	}
	lf_buf_adds(b, "</div>\n");
}

static void privileges(struct lf_buf *b, const json_t *a)
{
	size_t i;
	json_t *p;
	json_array_foreach (a, i, p) {
		if (i)
			lf_buf_adds(b, ", ");
		esc(b, json_string_value(p));
	}
}

static void pre_json(struct lf_buf *b, const json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	lf_buf_adds(b, "<pre>");
	esc(b, text ? text : "null");
	lf_buf_adds(b, "</pre>\n");
	free(text);
}

static void address_list(struct lf_buf *b, const char *title, const json_t *a)
{
	size_t i;
	json_t *v;
	lf_buf_addf(b, "<h2>%s (%zu)</h2>", title, json_array_size(a));
	if (!json_array_size(a)) {
		lf_buf_adds(b, "<p class=\"muted\">none</p>\n");
		return;
	}
	lf_buf_adds(b, "<ul>");
	json_array_foreach (a, i, v) {
		lf_buf_adds(b, "<li>");
		resource_link(b, json_string_value(v));
		lf_buf_adds(b, "</li>");
	}
	lf_buf_adds(b, "</ul>\n");
}

/* ---- the pages ---------------------------------------------------------------- */

static void drift_status(struct lf_buf *b, const json_t *drift)
{
	const json_t *last = json_object_get(drift, "last");
	const json_t *report = json_object_get(last, "report");
	if (!json_is_object(last)) {
		lf_buf_adds(b, json_integer_value(json_object_get(
		                   json_object_get(drift, "schedule"), "drift_every_ms"))
		                   ? "<span class=\"tag\">not checked yet</span>"
		                   : "<span class=\"tag\">no schedule (--drift-every)</span>");
		return;
	}
	if (str(last, "error")) {
		lf_buf_adds(b, "<span class=\"tag drift\">check failed: ");
		esc(b, str(last, "error"));
		lf_buf_adds(b, "</span>");
	} else if (!strcmp(str(report, "status") ? str(report, "status") : "", "drift")) {
		lf_buf_adds(b, "<span class=\"tag drift\" id=\"drift-status\">drift</span>");
	} else {
		lf_buf_adds(b, "<span class=\"tag sync\" id=\"drift-status\">in sync</span>");
	}
	lf_buf_adds(b, " <span class=\"muted\">checked ");
	esc(b, str(last, "checked_at"));
	lf_buf_adds(b, "</span>");
}

static void page_home(struct lf_buf *b, const json_t *d)
{
	head(b, "Overview", "/");
	lf_buf_adds(b, "<table><tr><th>account</th><td>");
	esc(b, str(d, "account") ? str(d, "account") : "(none)");
	lf_buf_addf(b,
	            "</td></tr><tr><th>state serial</th><td>%lld</td></tr><tr><th>lineage</th>"
	            "<td>",
	            num(d, "serial"));
	esc(b, str(d, "lineage"));
	lf_buf_adds(b, "</td></tr><tr><th>git commit</th><td>");
	esc(b, str(d, "git_commit") ? str(d, "git_commit") : "(none)");
	lf_buf_adds(b, "</td></tr><tr><th>written by</th><td>");
	esc(b, str(d, "generator") ? str(d, "generator") : "(unknown)");
	lf_buf_addf(b, "</td></tr><tr><th>resources</th><td>%lld</td></tr><tr><th>drift</th><td>",
	            num(d, "resources"));
	drift_status(b, json_object_get(d, "drift"));
	lf_buf_addf(b,
	            "</td></tr><tr><th>heals</th><td><a href=\"/heals\">%lld</a></td></tr>"
	            "</table>\n<h2>Resources by type</h2><table><tr><th>type</th><th>count</th>"
	            "</tr>",
	            num(d, "heals"));
	const char *k;
	json_t *v;
	json_object_foreach (json_object_get(d, "types"), k, v) {
		lf_buf_adds(b, "<tr><td>");
		link(b, "/resources", "type", k, NULL);
		lf_buf_addf(b, "</td><td>%lld</td></tr>", (long long)json_integer_value(v));
	}
	lf_buf_adds(b, "</table>\n");
	foot(b, "/api/summary");
}

static void infra(struct lf_buf *b, const char *label, const json_t *a)
{
	size_t i;
	json_t *v;
	if (!json_array_size(a))
		return;
	lf_buf_addf(b, "<div class=\"muted\">%s: ", label);
	json_array_foreach (a, i, v) {
		if (i)
			lf_buf_adds(b, ", ");
		resource_link(b, json_string_value(v));
	}
	lf_buf_adds(b, "</div>");
}

static void workspace_card(struct lf_buf *b, const json_t *w)
{
	const char *compute = str(w, "compute");
	lf_buf_adds(b, "<div class=\"card workspace\">Workspace <b>");
	resource_link(b, str(w, "address"));
	lf_buf_addf(b, "</b> <span class=\"tag %s\">",
	            compute && !strcmp(compute, "serverless") ? "serverless" : "classic");
	esc(b, compute);
	lf_buf_adds(b, "</span>");
	if (str(w, "metastore")) {
		lf_buf_adds(b, " <span class=\"muted\">metastore ");
		esc(b, str(w, "metastore"));
		lf_buf_adds(b, "</span>");
	}
	infra(b, "storage", json_object_get(w, "storage"));
	infra(b, "networks", json_object_get(w, "networks"));
	lf_buf_adds(b, "</div>\n");
}

static void page_account(struct lf_buf *b, const json_t *d)
{
	head(b, "Account map", "/account");
	lf_buf_adds(b, "<p>Account <b>");
	esc(b, str(d, "account") ? str(d, "account") : "(none)");
	lf_buf_adds(b, "</b>: its regions, their metastores and workspaces.</p>\n");
	size_t i, j, k;
	json_t *r, *m, *w;
	json_array_foreach (json_object_get(d, "regions"), i, r) {
		lf_buf_adds(b, "<section class=\"region\"><h2>Region ");
		esc(b, str(r, "region"));
		lf_buf_adds(b, "</h2>\n");
		json_array_foreach (json_object_get(r, "metastores"), j, m) {
			lf_buf_adds(b, "<div class=\"card\">Metastore <b>");
			resource_link(b, str(m, "address"));
			lf_buf_adds(b, "</b> &middot; ");
			link(b, "/namespace", "path", str(m, "name"), "browse its catalogs");
			lf_buf_addf(b, " (%lld catalogs, %lld workspaces)", num(m, "catalogs"),
			            num(m, "workspaces_total"));
			infra(b, "storage", json_object_get(m, "storage"));
			json_array_foreach (json_object_get(m, "workspaces"), k, w)
				workspace_card(b, w);
			lf_buf_adds(b, "</div>\n");
		}
		json_array_foreach (json_object_get(r, "workspaces"), k, w)
			workspace_card(b, w);
		lf_buf_adds(b, "</section>\n");
	}
	lf_buf_adds(b, "<div class=\"muted\">Workspaces");
	pager(b, d, "/account?");
	lf_buf_adds(b, "</div>");
	foot(b, "/api/account");
}

static void grants_table(struct lf_buf *b, const json_t *grants, int with_securable)
{
	size_t i;
	json_t *g;
	lf_buf_addf(b, "<h2>Grants (%zu)</h2>", json_array_size(grants));
	if (!json_array_size(grants)) {
		lf_buf_adds(b, "<p class=\"muted\">none</p>\n");
		return;
	}
	lf_buf_addf(b,
	            "<table class=\"grants\"><tr>%s<th>principal</th><th>privileges</th>"
	            "<th>grant</th></tr>",
	            with_securable ? "<th>securable</th>" : "");
	json_array_foreach (grants, i, g) {
		lf_buf_adds(b, "<tr>");
		if (with_securable) {
			lf_buf_adds(b, "<td>");
			resource_link(b, str(g, "securable"));
			lf_buf_adds(b, "</td>");
		}
		lf_buf_adds(b, "<td>");
		principal_link(b, str(g, "principal") ? str(g, "principal") : str(g, "to"));
		lf_buf_adds(b, "</td><td>");
		privileges(b, json_object_get(g, "privileges"));
		lf_buf_adds(b, "</td><td>");
		resource_link(b, str(g, "grant"));
		lf_buf_adds(b, "</td></tr>");
	}
	lf_buf_adds(b, "</table>\n");
}

/* The groups from `principal` up to `holder`, from the memberships of the
 * effective access (each chain listed once); NULL when it holds it itself. */
static const json_t *membership(const json_t *e, const char *principal, const char *holder)
{
	size_t i;
	json_t *m;

	if (!principal || !holder || !strcmp(principal, holder))
		return NULL;
	json_array_foreach (json_object_get(e, "memberships"), i, m)
		if (!strcmp(str(m, "principal") ? str(m, "principal") : "", principal) &&
		    !strcmp(str(m, "holder") ? str(m, "holder") : "", holder))
			return json_object_get(m, "groups");
	return NULL;
}

/* The effective access lines: who (or on what), which privilege, how. */
static void effective_table(struct lf_buf *b, const json_t *d, int on_securable, const char *base)
{
	const json_t *e = json_object_get(d, "effective");
	size_t i, k, g;
	json_t *l, *v, *grp;

	if (!e)
		return;
	lf_buf_adds(b, "<h2>Effective access</h2>");
	if (str(e, "error")) {
		lf_buf_adds(b, "<p class=\"muted\">");
		esc(b, str(e, "error"));
		lf_buf_adds(b, "</p>\n");
		return;
	}
	lf_buf_addf(b,
	            "<table class=\"effective\"><tr><th>%s</th><th>privilege</th><th>how"
	            "</th></tr>",
	            on_securable ? "principal" : "securable");
	json_array_foreach (json_object_get(e, "access"), i, l) {
		lf_buf_adds(b, "<tr><td>");
		if (on_securable)
			principal_link(b, str(l, "principal"));
		else
			resource_link(b, str(json_object_get(l, "securable"), "address"));
		lf_buf_adds(b, "</td><td>");
		esc(b, str(l, "privilege"));
		lf_buf_adds(b, "</td><td>");
		json_array_foreach (json_object_get(l, "via"), k, v) {
			lf_buf_adds(b, "<div>");
			esc(b, str(v, "kind"));
			lf_buf_adds(b, " ");
			resource_link(b, str(v, "source"));
			if (str(v, "on") && str(json_object_get(l, "securable"), "address") &&
			    strcmp(str(v, "on"), str(json_object_get(l, "securable"), "address"))) {
				lf_buf_adds(b, " inherited from ");
				resource_link(b, str(v, "on"));
			}
			const json_t *chain = membership(e, str(l, "principal"), str(v, "holder"));
			if (json_array_size(chain)) {
				/* as the command line does, a deep nesting shows the
				 * first three groups and the holder; the JSON has all */
				size_t ng = json_array_size(chain);
				lf_buf_adds(b, "; member of ");
				json_array_foreach (chain, g, grp) {
					if (ng > 5 && g >= 3 && g < ng - 1) {
						if (g == 3)
							lf_buf_addf(b, " &rarr; %zu more groups",
							            ng - 4);
						continue;
					}
					if (g)
						lf_buf_adds(b, " &rarr; ");
					principal_link(b, json_string_value(grp));
				}
			}
			lf_buf_adds(b, "</div>");
		}
		lf_buf_adds(b, "</td></tr>");
	}
	lf_buf_adds(b, "</table>\n");
	/* its pages */
	long long total = num(e, "total"), offset = num(e, "offset"), limit = num(e, "limit");
	if (total > offset + limit || offset > 0) {
		lf_buf_addf(b, "<div class=\"pager\">%lld&ndash;%lld of %lld", offset + 1,
		            offset + limit < total ? offset + limit : total, total);
		if (offset > 0) {
			lf_buf_adds(b, " &middot; <a href=\"");
			esc(b, base);
			lf_buf_addf(b, "offset=%lld\">previous</a>",
			            offset > limit ? offset - limit : 0);
		}
		if (offset + limit < total) {
			lf_buf_adds(b, " &middot; <a href=\"");
			esc(b, base);
			lf_buf_addf(b, "offset=%lld\">next</a>", offset + limit);
		}
		lf_buf_adds(b, "</div>\n");
	}
}

static void page_namespace(struct lf_buf *b, const json_t *d)
{
	const char *path = str(d, "path");
	const json_t *sec = json_object_get(d, "securable");
	struct lf_buf t = LF_BUF_INIT;
	if (sec)
		lf_buf_addf(&t, "%s %s", str(sec, "type"), path);
	else
		lf_buf_adds(&t, "Namespace");
	head(b, lf_buf_cstr(&t), "/namespace");
	lf_buf_release(&t);

	/* where we are: the metastores, then each level down */
	lf_buf_adds(b, "<p class=\"crumbs\"><a href=\"/namespace\">metastores</a>");
	size_t i;
	json_t *c;
	struct lf_buf p = LF_BUF_INIT;
	json_array_foreach (json_object_get(d, "crumbs"), i, c) {
		if (i)
			lf_buf_addc(&p, '/');
		lf_buf_adds(&p, str(c, "name"));
		lf_buf_adds(b, "/ ");
		link(b, "/namespace", "path", lf_buf_cstr(&p), str(c, "name"));
	}
	lf_buf_adds(b, "</p>\n");
	if (sec) {
		lf_buf_adds(b, "<table>");
		static const char *const fields[] = {"type", "comment", "owner"};
		for (size_t k = 0; k < 3; k++) {
			if (!str(sec, fields[k]))
				continue;
			lf_buf_addf(b, "<tr><th>%s</th><td>", fields[k]);
			if (!strcmp(fields[k], "owner"))
				principal_link(b, str(sec, "owner"));
			else
				esc(b, str(sec, fields[k]));
			lf_buf_adds(b, "</td></tr>");
		}
		lf_buf_adds(b, "<tr><th>record</th><td>");
		resource_link(b, str(sec, "address"));
		lf_buf_adds(b, "</td></tr></table>\n");
		grants_table(b, json_object_get(d, "grants"), 0);
		lf_buf_adds(b, "<p>");
		link(b, "/access", "on", str(sec, "address"), "Effective access");
		lf_buf_adds(b, ": who can do what on it, inherited grants, groups and ownership "
		               "resolved</p>\n");
	}
	const char *level = str(d, "level");
	const char *what = !strcmp(level, "account")     ? "Metastores"
	                   : !strcmp(level, "metastore") ? "Catalogs"
	                   : !strcmp(level, "catalog")   ? "Schemas"
	                   : !strcmp(level, "schema")    ? "Tables and volumes"
	                                                 : NULL;
	if (what) {
		lf_buf_addf(b, "<h2>%s</h2>", what);
		lf_buf_adds(b, "<table class=\"children\"><tr><th>name</th><th>type</th>"
		               "<th>comment</th><th>owner</th></tr>");
		json_array_foreach (json_object_get(d, "children"), i, c) {
			struct lf_buf cp = LF_BUF_INIT;
			lf_buf_addf(&cp, "%s%s%s", path, *path ? "/" : "", str(c, "name"));
			lf_buf_adds(b, "<tr><td>");
			link(b, "/namespace", "path", lf_buf_cstr(&cp), str(c, "name"));
			lf_buf_adds(b, "</td><td>");
			esc(b, str(c, "type"));
			lf_buf_adds(b, "</td><td>");
			esc(b, str(c, "comment"));
			lf_buf_adds(b, "</td><td>");
			if (str(c, "owner"))
				principal_link(b, str(c, "owner"));
			lf_buf_adds(b, "</td></tr>");
			lf_buf_release(&cp);
		}
		lf_buf_adds(b, "</table>\n");
		struct lf_buf base = LF_BUF_INIT;
		lf_buf_adds(&base, "/namespace?path=");
		lf_url_encode(&base, path);
		lf_buf_adds(&base, "&");
		pager(b, d, lf_buf_cstr(&base));
		lf_buf_release(&base);
	}
	struct lf_buf api = LF_BUF_INIT;
	lf_buf_adds(&api, "/api/namespace?path=");
	lf_url_encode(&api, path);
	foot(b, lf_buf_cstr(&api));
	lf_buf_release(&api);
	lf_buf_release(&p);
}

static void page_access(struct lf_buf *b, const json_t *d)
{
	const char *on = str(d, "on"), *who = str(d, "principal");
	struct lf_buf t = LF_BUF_INIT, base = LF_BUF_INIT;

	lf_buf_addf(&t, "Effective access %s %s", on ? "on" : "of", on ? on : who);
	head(b, lf_buf_cstr(&t), on ? "/namespace" : "/principals");
	lf_buf_adds(b, "<p>");
	if (on)
		resource_link(b, on);
	else
		principal_link(b, who);
	lf_buf_adds(b, "</p>\n");
	lf_buf_addf(&base, "/access?%s=", on ? "on" : "principal");
	lf_url_encode(&base, on ? on : who);
	lf_buf_adds(&base, "&");
	effective_table(b, d, on != NULL, lf_buf_cstr(&base));
	lf_buf_truncate(&base, 0);
	lf_buf_addf(&base, "/api/access?%s=", on ? "on" : "principal");
	lf_url_encode(&base, on ? on : who);
	foot(b, lf_buf_cstr(&base));
	lf_buf_release(&base);
	lf_buf_release(&t);
}

static void page_principals(struct lf_buf *b, const json_t *d)
{
	head(b, "Principals", "/principals");
	lf_buf_adds(b, "<table><tr><th>principal</th><th>display name</th></tr>");
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(d, "principals"), i, p) {
		lf_buf_adds(b, "<tr><td>");
		principal_link(b, str(p, "principal"));
		lf_buf_adds(b, "</td><td>");
		esc(b, str(p, "display_name"));
		lf_buf_adds(b, "</td></tr>");
	}
	lf_buf_adds(b, "</table>\n");
	pager(b, d, "/principals?");
	foot(b, "/api/principals");
}

static void page_principal(struct lf_buf *b, const json_t *d)
{
	const char *who = str(d, "principal");
	head(b, who, "/principals");
	const json_t *rec = json_object_get(d, "record");
	lf_buf_adds(b, "<table><tr><th>record</th><td>");
	resource_link(b, str(rec, "address"));
	lf_buf_adds(b, "</td></tr>");
	if (str(rec, "display_name")) {
		lf_buf_adds(b, "<tr><th>display name</th><td>");
		esc(b, str(rec, "display_name"));
		lf_buf_adds(b, "</td></tr>");
	}
	lf_buf_adds(b, "</table>\n");
	size_t i, k;
	json_t *g, *v;
	const json_t *groups = json_object_get(d, "member_of");
	lf_buf_addf(b, "<h2>Member of (%lld)</h2>", num(d, "member_of_total"));
	if (json_array_size(groups)) {
		lf_buf_adds(b, "<ul>");
		json_array_foreach (groups, i, g) {
			lf_buf_adds(b, "<li>");
			principal_link(b, str(g, "principal"));
			if (json_array_size(json_object_get(g, "via"))) {
				lf_buf_adds(b, " <span class=\"muted\">through ");
				json_array_foreach (json_object_get(g, "via"), k, v) {
					if (k)
						lf_buf_adds(b, ", ");
					principal_link(b, json_string_value(v));
				}
				lf_buf_adds(b, "</span>");
			}
			lf_buf_adds(b, "</li>");
		}
		lf_buf_adds(b, "</ul>\n");
	}
	const json_t *members = json_object_get(d, "members");
	if (json_array_size(members)) {
		lf_buf_addf(b, "<h2>Members (%zu)</h2><ul>", json_array_size(members));
		json_array_foreach (members, i, v) {
			lf_buf_adds(b, "<li>");
			principal_link(b, json_string_value(v));
			lf_buf_adds(b, "</li>");
		}
		lf_buf_adds(b, "</ul>\n");
	}
	grants_table(b, json_object_get(d, "grants"), 1);
	struct lf_buf base = LF_BUF_INIT;
	lf_buf_adds(&base, "/principal?name=");
	lf_url_encode(&base, who);
	lf_buf_adds(&base, "&");
	pager(b, d, lf_buf_cstr(&base));
	lf_buf_adds(b, "<p>");
	link(b, "/access", "principal", who, "Effective access");
	lf_buf_adds(b, ": everything it can do, through its groups, grants inherited down "
	               "the namespace, ownership and workspace assignment</p>\n");
	lf_buf_truncate(&base, 0);
	lf_buf_adds(&base, "/api/principal?name=");
	lf_url_encode(&base, who);
	foot(b, lf_buf_cstr(&base));
	lf_buf_release(&base);
}

static void page_resources(struct lf_buf *b, const json_t *d)
{
	const char *type = str(d, "type"), *prefix = str(d, "prefix");
	head(b, "Resources", "/resources");
	lf_buf_adds(b, "<form method=\"get\" action=\"/resources\">type <select name=\"type\">"
	               "<option value=\"\">all</option>");
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(d, "types"), i, v) {
		const char *t = json_string_value(v);
		lf_buf_adds(b, "<option");
		if (type && !strcmp(type, t))
			lf_buf_adds(b, " selected");
		lf_buf_adds(b, ">");
		esc(b, t);
		lf_buf_adds(b, "</option>");
	}
	lf_buf_adds(b, "</select> address starts with <input name=\"prefix\" value=\"");
	esc(b, prefix);
	lf_buf_adds(b, "\"> <button>show</button></form>\n<table><tr><th>address</th><th>type</th>"
	               "</tr>");
	json_array_foreach (json_object_get(d, "resources"), i, v) {
		lf_buf_adds(b, "<tr><td>");
		resource_link(b, str(v, "address"));
		lf_buf_adds(b, "</td><td>");
		esc(b, str(v, "type"));
		lf_buf_adds(b, "</td></tr>");
	}
	lf_buf_adds(b, "</table>\n");
	struct lf_buf base = LF_BUF_INIT;
	lf_buf_adds(&base, "/resources?type=");
	lf_url_encode(&base, type);
	lf_buf_adds(&base, "&prefix=");
	lf_url_encode(&base, prefix);
	lf_buf_adds(&base, "&");
	pager(b, d, lf_buf_cstr(&base));
	lf_buf_truncate(&base, 0);
	lf_buf_adds(&base, "/api/resources?type=");
	lf_url_encode(&base, type);
	lf_buf_adds(&base, "&prefix=");
	lf_url_encode(&base, prefix);
	foot(b, lf_buf_cstr(&base));
	lf_buf_release(&base);
}

static void page_resource(struct lf_buf *b, const json_t *d)
{
	const char *addr = str(d, "address");
	head(b, addr, "/resources");
	lf_buf_adds(b, "<table><tr><th>type</th><td>");
	esc(b, str(d, "type"));
	lf_buf_adds(b, "</td></tr><tr><th>provider</th><td>");
	esc(b, str(d, "provider"));
	lf_buf_adds(b, "</td></tr>");
	if (str(d, "parent")) {
		lf_buf_adds(b, "<tr><th>part of</th><td>");
		resource_link(b, str(d, "parent"));
		lf_buf_adds(b, "</td></tr>");
	}
	lf_buf_adds(b, "<tr><th>digest</th><td>");
	esc(b, str(d, "digest"));
	lf_buf_adds(b, "</td></tr><tr><th>graph</th><td>");
	link(b, "/graph", "focus", addr, "its neighbours");
	lf_buf_adds(b, "</td></tr></table>\n<h2>Inputs</h2>");
	pre_json(b, json_object_get(d, "inputs"));
	if (!json_is_null(json_object_get(d, "attrs"))) {
		lf_buf_adds(b, "<h2>Attributes reported by the provider</h2>");
		pre_json(b, json_object_get(d, "attrs"));
	}
	address_list(b, "Depends on", json_object_get(d, "deps"));
	address_list(b, "Needed by", json_object_get(d, "dependents"));
	if (json_array_size(json_object_get(d, "children")))
		address_list(b, "Expanded to", json_object_get(d, "children"));
	if (json_array_size(json_object_get(d, "grants")))
		grants_table(b, json_object_get(d, "grants"), 0);
	struct lf_buf api = LF_BUF_INIT;
	lf_buf_adds(&api, "/api/resource?address=");
	lf_url_encode(&api, addr);
	foot(b, lf_buf_cstr(&api));
	lf_buf_release(&api);
}

static void change_list(struct lf_buf *b, const char *label, const json_t *a)
{
	size_t i;
	json_t *v;
	if (!json_array_size(a))
		return;
	lf_buf_addf(b, "<details><summary>%zu %s</summary><ul>", json_array_size(a), label);
	json_array_foreach (a, i, v) {
		lf_buf_adds(b, "<li>");
		resource_link(b, json_string_value(v));
		lf_buf_adds(b, "</li>");
	}
	lf_buf_adds(b, "</ul></details>");
}

static void page_history(struct lf_buf *b, const json_t *d)
{
	head(b, "History of applies", "/history");
	lf_buf_adds(b, "<p class=\"muted\">Each state serial this server has seen (and earlier "
	               "runs of it recorded in .lakeform/serve-history.jsonl), newest first, "
	               "with what changed from the serial before.</p>\n<table class=\"history\">"
	               "<tr><th>serial</th><th>time</th><th>seen as</th><th>git commit</th>"
	               "<th>resources</th><th>what changed</th></tr>");
	size_t i, k;
	json_t *e, *j;
	json_array_foreach (json_object_get(d, "applies"), i, e) {
		lf_buf_addf(b, "<tr><td>%lld</td><td>", num(e, "serial"));
		esc(b, str(e, "time"));
		lf_buf_adds(b, "</td><td>");
		esc(b, str(e, "source"));
		lf_buf_adds(b, "</td><td>");
		esc(b, str(e, "git_commit") ? str(e, "git_commit") : "(none)");
		lf_buf_addf(b, "</td><td>%lld</td><td>", num(e, "resources"));
		const json_t *ch = json_object_get(e, "changes");
		if (json_is_object(ch)) {
			change_list(b, "created", json_object_get(ch, "created"));
			change_list(b, "updated", json_object_get(ch, "updated"));
			change_list(b, "deleted", json_object_get(ch, "deleted"));
		} else {
			lf_buf_adds(b, "<span class=\"muted\">the state as first seen</span>");
		}
		const json_t *did = json_object_get(e, "applied");
		if (json_array_size(did)) {
			lf_buf_addf(b, "<details open><summary>apply: %zu</summary><ul>",
			            json_array_size(did));
			json_array_foreach (did, k, j) {
				lf_buf_adds(b, "<li>");
				resource_link(b, str(j, "address"));
				lf_buf_adds(b, " ");
				esc(b, str(j, "action"));
				lf_buf_adds(b, "</li>");
			}
			lf_buf_adds(b, "</ul></details>");
		}
		const json_t *jn = json_object_get(e, "journal");
		if (json_array_size(jn)) {
			lf_buf_addf(b, "<details><summary>%zu journal records</summary><ul>",
			            json_array_size(jn));
			json_array_foreach (jn, k, j) {
				lf_buf_adds(b, "<li>");
				esc(b, str(j, "op"));
				lf_buf_adds(b, " ");
				esc(b, str(j, "action"));
				lf_buf_adds(b, " ");
				resource_link(b, str(j, "address") ? str(j, "address") : "");
				lf_buf_adds(b, "</li>");
			}
			lf_buf_adds(b, "</ul></details>");
		}
		lf_buf_adds(b, "</td></tr>");
	}
	lf_buf_adds(b, "</table>\n");
	pager(b, d, "/history?");
	foot(b, "/api/history");
}

static void schedule_line(struct lf_buf *b, const json_t *s)
{
	long long ms = num(s, "drift_every_ms");
	if (!ms) {
		lf_buf_adds(b,
		            "<p class=\"muted\">No schedule: start the server with --drift-every "
		            "DURATION to check drift.</p>\n");
		return;
	}
	lf_buf_addf(b, "<p class=\"muted\">Checked every %lld s%s%s; %lld checks so far.</p>\n",
	            ms / 1000, json_is_true(json_object_get(s, "heal")) ? ", healed by apply" : "",
	            json_is_true(json_object_get(s, "webhook")) ? ", posted to the webhook" : "",
	            num(s, "checks"));
}

static void page_drift(struct lf_buf *b, const json_t *d)
{
	head(b, "Drift", "/drift");
	schedule_line(b, json_object_get(d, "schedule"));
	lf_buf_adds(b, "<p>");
	drift_status(b, d);
	lf_buf_adds(b, "</p>\n");
	const json_t *report = json_object_get(json_object_get(d, "last"), "report");
	if (!json_is_object(report)) {
		foot(b, "/api/drift");
		return;
	}
	const json_t *s = json_object_get(report, "summary");
	lf_buf_adds(b, "<table><tr>");
	static const char *const keys[] = {"checked",      "in_sync",   "changed",
	                                   "missing",      "unmanaged", "not_applied",
	                                   "not_declared", "ignored",   "errors"};
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		lf_buf_addf(b, "<th>%s</th>", keys[k]);
	lf_buf_adds(b, "</tr><tr>");
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		lf_buf_addf(b, "<td>%lld</td>", num(s, keys[k]));
	lf_buf_adds(b, "</tr></table>\n<h2>Findings</h2><table class=\"findings\"><tr><th>kind</th>"
	               "<th>resource</th><th>what</th></tr>");
	size_t i, k;
	json_t *f, *fl;
	json_array_foreach (json_object_get(report, "findings"), i, f) {
		lf_buf_adds(b, "<tr><td>");
		esc(b, str(f, "kind"));
		if (json_is_true(json_object_get(f, "ignored")))
			lf_buf_adds(b, " <span class=\"muted\">(ignored)</span>");
		lf_buf_adds(b, "</td><td>");
		resource_link(b, str(f, "address"));
		lf_buf_adds(b, "</td><td>");
		json_array_foreach (json_object_get(f, "fields"), k, fl) {
			char *was = json_dumps(json_object_get(fl, "recorded"), JSON_ENCODE_ANY);
			char *now = json_dumps(json_object_get(fl, "real"), JSON_ENCODE_ANY);
			lf_buf_adds(b, "<div><code>");
			esc(b, str(fl, "path"));
			lf_buf_adds(b, "</code>: ");
			esc(b, was ? was : "(absent)");
			lf_buf_adds(b, " &rarr; ");
			esc(b, now ? now : "(absent)");
			lf_buf_adds(b, "</div>");
			free(was);
			free(now);
		}
		if (str(f, "id")) {
			lf_buf_adds(b, "object ");
			esc(b, str(f, "id"));
		}
		lf_buf_adds(b, "</td></tr>");
	}
	lf_buf_adds(b, "</table>\n");
	foot(b, "/api/drift");
}

static void page_heals(struct lf_buf *b, const json_t *d)
{
	head(b, "Heals", "/heals");
	schedule_line(b, json_object_get(d, "schedule"));
	const json_t *heals = json_object_get(d, "heals");
	if (!json_array_size(heals))
		lf_buf_adds(b, "<p class=\"muted\">No heal yet.</p>\n");
	size_t i;
	json_t *h;
	json_array_foreach (heals, i, h) {
		const json_t *s = json_object_get(h, "drift");
		lf_buf_adds(b, "<div class=\"card heal\"><b>");
		esc(b, str(h, "started_at"));
		lf_buf_addf(b,
		            "</b> apply exited %lld%s; the drift it healed: %lld changed, %lld "
		            "missing, %lld not applied",
		            num(h, "exit"), num(h, "exit") ? " (failed)" : "", num(s, "changed"),
		            num(s, "missing"), num(s, "not_applied"));
		lf_buf_adds(b, "<pre>");
		esc(b, str(h, "output"));
		lf_buf_adds(b, "</pre></div>\n");
	}
	foot(b, "/api/heals");
}

static void page_graph(struct lf_buf *b, const json_t *d, const char *svg)
{
	const char *focus = str(d, "focus");
	head(b, "Dependency graph", "/graph");
	lf_buf_addf(b, "<p>%lld of %lld resources", num(d, "shown"), num(d, "total"));
	if (focus) {
		lf_buf_addf(b, " within %lld step%s of ", num(d, "depth"),
		            num(d, "depth") == 1 ? "" : "s");
		resource_link(b, focus);
		lf_buf_adds(b, " (<a href=\"/graph\">the whole graph</a>)");
	} else if (num(d, "shown") < num(d, "total")) {
		lf_buf_adds(b, "; open a resource's neighbours from its page to see the rest");
	}
	lf_buf_adds(b, ". Each box links to its resource; dashed: provider resources.</p>\n");
	lf_buf_adds(b, "<form method=\"get\" action=\"/graph\">focus <input name=\"focus\" "
	               "size=\"50\" value=\"");
	esc(b, focus);
	lf_buf_addf(b,
	            "\"> depth <input name=\"depth\" size=\"2\" value=\"%lld\"> <label><input "
	            "type=\"checkbox\" name=\"expanded\" value=\"1\"%s> provider resources"
	            "</label> <button>draw</button></form>\n",
	            num(d, "depth") ? num(d, "depth") : 1,
	            json_is_true(json_object_get(d, "expanded")) ? " checked" : "");
	if (svg) {
		/* dot's own SVG, from a graph whose every label was escaped by dot */
		lf_buf_adds(b, "<div class=\"svg\">");
		lf_buf_adds(b, svg);
		lf_buf_adds(b, "</div>\n");
	} else {
		lf_buf_adds(b, "<p class=\"muted\">");
		esc(b, str(d, "note"));
		lf_buf_adds(b, "</p>\n");
	}
	foot(b, "/api/graph");
}

void lf_serve_html(struct lf_buf *out, enum lf_page page, const json_t *doc, const char *svg)
{
	switch (page) {
	case LF_PAGE_HOME:
		page_home(out, doc);
		break;
	case LF_PAGE_ACCOUNT:
		page_account(out, doc);
		break;
	case LF_PAGE_NAMESPACE:
		page_namespace(out, doc);
		break;
	case LF_PAGE_PRINCIPALS:
		page_principals(out, doc);
		break;
	case LF_PAGE_PRINCIPAL:
		page_principal(out, doc);
		break;
	case LF_PAGE_ACCESS:
		page_access(out, doc);
		break;
	case LF_PAGE_RESOURCES:
		page_resources(out, doc);
		break;
	case LF_PAGE_RESOURCE:
		page_resource(out, doc);
		break;
	case LF_PAGE_HISTORY:
		page_history(out, doc);
		break;
	case LF_PAGE_DRIFT:
		page_drift(out, doc);
		break;
	case LF_PAGE_HEALS:
		page_heals(out, doc);
		break;
	case LF_PAGE_GRAPH:
		page_graph(out, doc, svg);
		break;
	}
}

void lf_serve_html_error(struct lf_buf *out, int status, const char *message)
{
	char title[32];
	snprintf(title, sizeof(title), "%d", status);
	head(out, title, NULL);
	lf_buf_adds(out, "<p>");
	esc(out, message);
	lf_buf_adds(out, "</p><p><a href=\"/\">overview</a></p>");
	lf_buf_adds(out, "</main></body></html>\n");
}
