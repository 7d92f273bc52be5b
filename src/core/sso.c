#include "sso.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../util/httpget.h"
#include "../util/mem.h"

#define DISCOVERY_PATH "/.well-known/openid-configuration"
#define MAX_DOC (1u << 20)

static struct lf_pos pos_at(const struct lf_manifest *m, const struct lf_resource *r,
                            const char *path, size_t i)
{
	return lf_source_path_pos(m->src, r->doc, path, i);
}

const struct lf_resource *lf_sso_find(const struct lf_manifest *m)
{
	for (size_t i = 0; i < m->nres; i++)
		if (!strcmp(m->res[i].kind->name, "SSO"))
			return &m->res[i];
	return NULL;
}

/* ---- validate ------------------------------------------------------------- */

/*
 * Why `u` is not a URL a sign-in may use, or NULL: https anywhere, plain
 * http only to this machine (a test provider), no user name or password
 * in it, and for an issuer (`issuer` set) no query or fragment, as OpenID
 * Connect Discovery 1.0 requires of issuer identifiers.
 */
static const char *url_problem(const char *u, int issuer)
{
	const char *host;
	int plain = 0;

	if (!strncasecmp(u, "https://", 8)) {
		host = u + 8;
	} else if (!strncasecmp(u, "http://", 7)) {
		host = u + 7;
		plain = 1;
	} else {
		return "must be an https:// URL (http:// only on 127.0.0.1 or localhost)";
	}
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return "must be a URL without spaces or control characters";
	size_t hl = strcspn(host, ":/?#");
	if (host[0] == '[') /* an IPv6 literal: its colons are not the port's */
		hl = strcspn(host, "]/?#") + (strchr(host, ']') != NULL);
	if (hl == 0 || (host[0] == '[' && host[hl - 1] != ']'))
		return "must name a host after the scheme";
	if (memchr(host, '@', strcspn(host, "/?#")))
		return "must not carry a user name or password";
	if (plain && !((hl == 9 && !strncmp(host, "127.0.0.1", 9)) ||
	               (hl == 9 && !strncasecmp(host, "localhost", 9))))
		return "must be an https:// URL (http:// only on 127.0.0.1 or localhost)";
	if (host[hl] == ':') {
		const char *port = host + hl + 1;
		size_t n = strspn(port, "0123456789");
		long v = n ? strtol(port, NULL, 10) : 0;
		if (n == 0 || n > 5 ||
		    (port[n] && port[n] != '/' && port[n] != '?' && port[n] != '#') || v < 1 ||
		    v > 65535)
			return "must have a port from 1 to 65535 after ':'";
	}
	if (issuer && strpbrk(u, "?#"))
		return "must have no query or fragment (an issuer identifier has none)";
	return NULL;
}

static void check_url(const struct lf_manifest *m, const struct lf_resource *r, const char *path,
                      int issuer, struct lf_diags *d)
{
	const char *u = json_string_value(lf_json_path(r->value, path));
	const char *why = u ? url_problem(u, issuer) : NULL;

	if (why) {
		struct lf_pos p = pos_at(m, r, path, (size_t)-1);
		lf_diag_error(d, &p, "%s: '%s' %s", path, u, why);
	}
}

static void check_scopes(const struct lf_manifest *m, const struct lf_resource *r,
                         struct lf_diags *d)
{
	json_t *scopes = lf_json_path(r->value, "spec.oidc.scopes");
	int openid = 0;
	size_t i, j;
	json_t *s;

	if (!json_is_array(scopes))
		return;
	json_array_foreach (scopes, i, s) {
		const char *v = json_string_value(s);
		if (!v)
			continue;
		openid |= !strcmp(v, "openid");
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(scopes, j), s))
				break;
		if (j < i) {
			struct lf_pos p = pos_at(m, r, "spec.oidc.scopes", i);
			struct lf_pos f = pos_at(m, r, "spec.oidc.scopes", j);
			lf_diag_error(d, &p,
			              "spec.oidc.scopes: '%s' is listed twice (first at %s:%u:%u)",
			              v, f.file, f.line, f.col);
		}
	}
	if (!openid && json_array_size(scopes)) {
		struct lf_pos p = pos_at(m, r, "spec.oidc.scopes", (size_t)-1);
		lf_diag_error(d, &p,
		              "spec.oidc.scopes: must include 'openid' (without it there is no "
		              "ID token, and no OpenID Connect sign-in)");
	}
}

/* The reason libcrypto gave last, or a general one. */
static const char *crypto_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;

	return why ? why : "no certificate found";
}

static void time_text(const ASN1_TIME *t, char *out, size_t n)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1 || !strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, n, "(unreadable)");
}

static void check_certificate(const struct lf_manifest *m, const struct lf_resource *r, time_t now,
                              struct lf_diags *d)
{
	const char *pem = json_string_value(lf_json_path(r->value, "spec.saml.certificate"));
	char when[64];

	if (!pem)
		return;
	struct lf_pos p = pos_at(m, r, "spec.saml.certificate", (size_t)-1);
	ERR_clear_error();
	BIO *bio = BIO_new_mem_buf(pem, (int)strlen(pem));
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!x) {
		lf_diag_error(d, &p,
		              "spec.saml.certificate: not a PEM X.509 certificate ('-----BEGIN "
		              "CERTIFICATE-----' ...): %s",
		              crypto_reason());
		ERR_clear_error();
		return;
	}
	if (X509_cmp_time(X509_get0_notAfter(x), &now) <= 0) {
		time_text(X509_get0_notAfter(x), when, sizeof(when));
		lf_diag_error(
		    d, &p,
		    "spec.saml.certificate: expired on %s: the identity provider needs a new one",
		    when);
	} else if (X509_cmp_time(X509_get0_notBefore(x), &now) >= 0) {
		time_text(X509_get0_notBefore(x), when, sizeof(when));
		lf_diag_error(d, &p, "spec.saml.certificate: not valid before %s", when);
	}
	X509_free(x);
}

void lf_sso_check(const struct lf_manifest *m, const struct lf_resource *r, time_t now,
                  struct lf_diags *d)
{
	json_t *oidc = lf_json_path(r->value, "spec.oidc");
	json_t *saml = lf_json_path(r->value, "spec.saml");

	if (oidc && saml) {
		/* at the keys: the values are mappings, which start a line later */
		struct lf_yaml_pathseg sp[2] = {{"spec", 0}, {"saml", 0}};
		struct lf_yaml_pathseg op[2] = {{"spec", 0}, {"oidc", 0}};
		struct lf_pos p = lf_source_pos(m->src, r->doc, sp, 2, 1);
		struct lf_pos o = lf_source_pos(m->src, r->doc, op, 2, 1);
		lf_diag_error(
		    d, &p,
		    "spec: 'saml' and 'oidc' (at %s:%u:%u) exclude each other: an account signs "
		    "in through one provider",
		    o.file, o.line, o.col);
	} else if (!oidc && !saml) {
		struct lf_pos p = pos_at(m, r, "spec", (size_t)-1);
		lf_diag_error(d, &p, "spec: write one of 'oidc' and 'saml'");
	}
	check_url(m, r, "spec.oidc.issuer", 1, d);
	check_scopes(m, r, d);
	check_url(m, r, "spec.saml.sso_url", 0, d);
	check_certificate(m, r, now, d);
}

/* ---- plan and drift: the discovery document ------------------------------- */

static int curl_fetch(const char *url, struct lf_buf *body, long *status, char *err, size_t errlen,
                      void *arg)
{
	struct lf_httpget_opts o = {5000, 15000, MAX_DOC, "lakeform"};

	(void)arg;
	return lf_http_get(url, &o, body, status, err, errlen);
}

struct lf_sso_answer {
	char *url;
	int rc; /* of the fetch */
	long status;
	char *body, *err;
	size_t len;
};

int lf_sso_fetch_cached(const char *url, struct lf_buf *body, long *status, char *err,
                        size_t errlen, void *arg)
{
	struct lf_sso_cache *c = arg;
	struct lf_sso_answer *a = NULL;

	for (size_t i = 0; i < c->n && !a; i++)
		if (!strcmp(c->v[i].url, url))
			a = &c->v[i];
	if (!a) {
		struct lf_buf got = LF_BUF_INIT;
		char why[512];
		long st = 0;
		int rc = curl_fetch(url, &got, &st, why, sizeof(why), NULL);
		c->v = lf_xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
		a = &c->v[c->n++];
		a->url = lf_xstrdup(url);
		a->rc = rc;
		a->status = st;
		a->err = lf_xstrdup(rc ? why : "");
		a->len = got.len;
		a->body = lf_xmalloc(got.len + 1); /* the body may hold NUL bytes */
		if (got.len)
			memcpy(a->body, got.ptr, got.len);
		lf_buf_release(&got);
	}
	*status = a->status;
	snprintf(err, errlen, "%s", a->err);
	lf_buf_add(body, a->body, a->len);
	return a->rc;
}

void lf_sso_cache_release(struct lf_sso_cache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].url);
		free(c->v[i].body);
		free(c->v[i].err);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

struct verify {
	const struct lf_manifest *m; /* NULL: no positions */
	const struct lf_resource *r;
	json_t *value; /* the document, or the recorded {metadata, spec} */
	lf_sso_fetch_fn fetch;
	void *arg;
	struct lf_diags *d;
	struct lf_pos issuer_pos;
};

static struct lf_pos vpos(const struct verify *v, const char *path, size_t i)
{
	struct lf_pos none = LF_POS_INIT;

	return v->m ? pos_at(v->m, v->r, path, i) : none;
}

/*
 * GET `url` and parse it as a JSON object; NULL after an error at the
 * issuer's position, which names the document `what`.
 */
static json_t *get_json(struct verify *v, const char *what, const char *url)
{
	struct lf_buf body = LF_BUF_INIT;
	char err[512];
	long status = 0;
	json_t *j = NULL;
	json_error_t je;

	if (v->fetch(url, &body, &status, err, sizeof(err), v->arg)) {
		lf_diag_error(v->d, &v->issuer_pos, "spec.oidc.issuer: cannot fetch %s '%s': %s",
		              what, url, err);
	} else if (status != 200) {
		lf_diag_error(v->d, &v->issuer_pos,
		              "spec.oidc.issuer: %s '%s' answered HTTP %ld, not 200", what, url,
		              status);
	} else if (!(j = json_loadb(body.ptr ? body.ptr : "", body.len, 0, &je)) ||
	           !json_is_object(j)) {
		lf_diag_error(v->d, &v->issuer_pos,
		              "spec.oidc.issuer: %s '%s' is not a JSON object%s%s", what, url,
		              j ? "" : ": ", j ? "" : je.text);
		json_decref(j);
		j = NULL;
	}
	lf_buf_release(&body);
	return j;
}

/* The strings of `list` joined, cut near 200 bytes. */
static char *joined(const json_t *list)
{
	struct lf_buf b = LF_BUF_INIT;
	size_t i;
	json_t *s;

	json_array_foreach (list, i, s) {
		if (!json_is_string(s))
			continue;
		if (b.len > 200) {
			lf_buf_adds(&b, ", ...");
			break;
		}
		lf_buf_addf(&b, "%s%s", b.len ? ", " : "", json_string_value(s));
	}
	if (!b.len)
		lf_buf_adds(&b, "none");
	return lf_buf_detach(&b);
}

static int listed(const json_t *list, const char *s)
{
	size_t i;
	json_t *e;

	json_array_foreach (list, i, e)
		if (json_is_string(e) && !strcmp(json_string_value(e), s))
			return 1;
	return 0;
}

static void check_jwks(struct verify *v, const json_t *doc)
{
	const char *uri = json_string_value(json_object_get(doc, "jwks_uri"));

	if (!uri || !*uri) {
		lf_diag_error(v->d, &v->issuer_pos,
		              "spec.oidc.issuer: the discovery document has no 'jwks_uri': ID "
		              "tokens could not be "
		              "verified");
		return;
	}
	json_t *set = get_json(v, "the JSON Web Key Set", uri);
	if (!set)
		return;
	json_t *keys = json_object_get(set, "keys"), *k;
	size_t i;
	if (!json_is_array(keys) || !json_array_size(keys)) {
		lf_diag_error(v->d, &v->issuer_pos,
		              "spec.oidc.issuer: the JSON Web Key Set '%s' holds no keys (a 'keys' "
		              "array of at least "
		              "one key)",
		              uri);
	} else {
		json_array_foreach (keys, i, k) {
			if (!json_is_string(json_object_get(k, "kty"))) {
				lf_diag_error(v->d, &v->issuer_pos,
				              "spec.oidc.issuer: the JSON Web Key Set '%s': key "
				              "%zu has no 'kty'",
				              uri, i + 1);
				break;
			}
		}
	}
	json_decref(set);
}

static void check_supported(struct verify *v, const json_t *doc)
{
	const char *issuer = json_string_value(lf_json_path(v->value, "spec.oidc.issuer"));
	json_t *scopes = lf_json_path(v->value, "spec.oidc.scopes");
	json_t *supported = json_object_get(doc, "scopes_supported");
	size_t i;
	json_t *s;

	if (!json_is_array(supported)) {
		lf_diag_warning(v->d, &v->issuer_pos,
		                "spec.oidc.issuer: the discovery document lists no "
		                "'scopes_supported': the scopes "
		                "are not checked");
	} else {
		json_array_foreach (scopes, i, s) {
			if (!json_is_string(s) || listed(supported, json_string_value(s)))
				continue;
			struct lf_pos p = vpos(v, "spec.oidc.scopes", i);
			char *all = joined(supported);
			lf_diag_error(v->d, &p,
			              "spec.oidc.scopes: '%s' is not supported by '%s' "
			              "(scopes_supported: %s)",
			              json_string_value(s), issuer, all);
			free(all);
		}
	}

	json_t *claims = json_object_get(doc, "claims_supported");
	static const char *const fields[] = {"spec.oidc.claims.user_name",
	                                     "spec.oidc.claims.groups"};
	if (!json_is_array(claims))
		return; /* OpenID Connect makes the list optional */
	for (size_t f = 0; f < sizeof(fields) / sizeof(*fields); f++) {
		const char *c = json_string_value(lf_json_path(v->value, fields[f]));
		if (!c || listed(claims, c))
			continue;
		struct lf_pos p = vpos(v, fields[f], (size_t)-1);
		char *all = joined(claims);
		lf_diag_error(v->d, &p, "%s: '%s' is not supported by '%s' (claims_supported: %s)",
		              fields[f], c, issuer, all);
		free(all);
	}
}

static int verify_run(struct verify *v)
{
	size_t before = v->d->errors;
	const char *issuer = json_string_value(lf_json_path(v->value, "spec.oidc.issuer"));

	if (!issuer)
		return 0; /* SAML: validate only */
	if (!v->fetch) {
		v->fetch = curl_fetch;
		v->arg = NULL;
	}
	v->issuer_pos = vpos(v, "spec.oidc.issuer", (size_t)-1);

	/* OpenID Connect Discovery 1.0, section 4: the issuer, without a
	 * trailing slash, then the well-known path */
	size_t n = strlen(issuer);
	while (n && issuer[n - 1] == '/')
		n--;
	char *url = lf_xasprintf("%.*s%s", (int)n, issuer, DISCOVERY_PATH);
	json_t *doc = get_json(v, "the OIDC discovery document", url);
	free(url);
	if (!doc)
		return -1;
	const char *said = json_string_value(json_object_get(doc, "issuer"));
	if (!said || strcmp(said, issuer))
		lf_diag_error(v->d, &v->issuer_pos,
		              "spec.oidc.issuer: the discovery document names the issuer '%s', not "
		              "'%s': the two must be equal character for character",
		              said ? said : "(none)", issuer);
	check_jwks(v, doc);
	check_supported(v, doc);
	json_decref(doc);
	return v->d->errors > before ? -1 : 0;
}

int lf_sso_verify(const struct lf_manifest *m, lf_sso_fetch_fn fetch, void *fetch_arg,
                  struct lf_diags *d)
{
	const struct lf_resource *r = lf_sso_find(m);

	if (!r)
		return 0;
	struct verify v = {m, r, r->value, fetch, fetch_arg, d, LF_POS_INIT};
	return verify_run(&v);
}

int lf_sso_verify_value(json_t *value, lf_sso_fetch_fn fetch, void *fetch_arg, struct lf_diags *d)
{
	struct verify v = {NULL, NULL, value, fetch, fetch_arg, d, LF_POS_INIT};
	return verify_run(&v);
}
