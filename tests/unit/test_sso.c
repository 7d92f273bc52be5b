/*
 * Unit tests for src/core/sso.c: the shape of SSO documents (through the
 * real loader and rules, and lf_sso_check() at a chosen time for the
 * certificate's dates), and lf_sso_verify() against discovery documents
 * and key sets served by a fetch of the test's own (each URL's answer
 * written here), so that every mismatch can be made on purpose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/manifest.h"
#include "core/source.h"
#include "core/sso.h"
#include "util/buf.h"
#include "util/mem.h"
#include "fixture.h"

struct world {
	struct lf_kinds kinds;
	struct lf_source src;
	struct lf_manifest m;
	struct lf_diags d; /* of loading and checking */
};

#define ACCOUNT                                                                    \
	"apiVersion: lakeform/v1\nkind: Account\nmetadata:\n  name: acme\nspec:\n" \
	"  default_storage:\n    bucket: acme-default\n    region: us-east-1\n---\n"

/* Load ACCOUNT then `yaml` as test.yaml; build and check. */
static void world_load(struct world *w, const char *yaml)
{
	char *dir = repo_path("schemas");
	char *text = lf_xasprintf("%s%s", ACCOUNT, yaml);

	memset(w, 0, sizeof(*w));
	assert_int_equal(lf_kinds_load(&w->kinds, dir, &w->d), 0);
	assert_int_equal(lf_source_load_buffer(&w->src, "test.yaml", text, strlen(text), &w->d), 0);
	if (lf_manifest_build(&w->m, &w->src, &w->kinds, &w->d) == 0)
		lf_manifest_check(&w->m, &w->d);
	free(text);
	free(dir);
}

static void world_release(struct world *w)
{
	lf_manifest_release(&w->m);
	lf_source_release(&w->src);
	lf_kinds_release(&w->kinds);
	lf_diags_release(&w->d);
}

/* The diagnostics as "LINE:COL: message\n" lines. */
static char *diags_text(const struct lf_diags *d)
{
	struct lf_buf b = LF_BUF_INIT;

	for (size_t i = 0; i < d->n; i++)
		lf_buf_addf(&b, "%s%u:%u: %s\n",
		            d->v[i].severity == LF_SEV_WARNING ? "warning " : "", d->v[i].line,
		            d->v[i].col, d->v[i].msg);
	return lf_buf_detach(&b);
}

static void assert_has(const char *text, const char *want)
{
	if (!strstr(text ? text : "", want))
		fail_msg("expected '%s' in:\n%s", want, text ? text : "(nothing)");
}

/* ---- validate: shapes --------------------------------------------------------- */

#define SSO_HEAD "apiVersion: lakeform/v1\nkind: SSO\nmetadata:\n  name: corp\nspec:\n"
/* test.yaml's line of SSO_HEAD's "spec:" is 14; oidc's fields start on 16 */
#define OIDC(issuer, scopes)                                                  \
	SSO_HEAD "  oidc:\n    issuer: " issuer "\n    client_id: lakeform\n" \
	         "    client_secret_env: OIDC_SECRET\n    scopes: " scopes "\n"

static void test_valid_oidc(void **state)
{
	static const char *const ok[] = {
	    "https://idp.example.com",        "https://idp.example.com/realms/acme",
	    "http://127.0.0.1:8600",          "http://localhost:8600/",
	    "https://idp.example.com:8443/a", "https://[2001:db8::1]:8443/realms/acme",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		struct world w;
		char *y = lf_xasprintf(SSO_HEAD "  oidc:\n    issuer: %s\n    client_id: c\n"
		                                "    client_secret_env: S\n",
		                       ok[i]);
		world_load(&w, y);
		char *t = diags_text(&w.d);
		if (w.d.n)
			fail_msg("'%s': %s", ok[i], t);
		/* the defaults: docs/manifests.md's */
		const struct lf_resource *r = lf_sso_find(&w.m);
		assert_non_null(r);
		json_t *want = json_pack("[s, s, s]", "openid", "profile", "email");
		assert_true(json_equal(lf_json_path(r->value, "spec.oidc.scopes"), want));
		json_decref(want);
		assert_string_equal(
		    json_string_value(lf_json_path(r->value, "spec.oidc.claims.user_name")),
		    "email");
		assert_null(lf_json_path(r->value, "spec.oidc.claims.groups"));
		free(t);
		free(y);
		world_release(&w);
	}
}

static void test_bad_urls(void **state)
{
	static const struct {
		const char *url, *why;
	} bad[] = {
	    {"http://idp.example.com", "must be an https:// URL (http:// only on 127.0.0.1"},
	    {"http://127.0.0.2:80", "must be an https:// URL"},
	    {"http://localhost.example.com", "must be an https:// URL"},
	    {"ftp://idp.example.com", "must be an https:// URL"},
	    {"idp.example.com", "must be an https:// URL"},
	    {"https://", "must name a host"},
	    {"https://:443/x", "must name a host"},
	    {"https://[2001:db8::1/x", "must name a host"},
	    {"http://[::1]:8600", "must be an https:// URL"},
	    {"https://me:pw@idp.example.com", "must not carry a user name or password"},
	    {"https://idp.example.com:0", "must have a port from 1 to 65535"},
	    {"https://idp.example.com:70000", "must have a port from 1 to 65535"},
	    {"https://idp.example.com:80x", "must have a port from 1 to 65535"},
	    {"https://idp.example.com/?tenant=a", "must have no query or fragment"},
	    {"https://idp.example.com/#a", "must have no query or fragment"},
	    {"\"https://idp.example.com/a b\"", "without spaces"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct world w;
		char *y = lf_xasprintf(SSO_HEAD "  oidc:\n    issuer: %s\n    client_id: c\n"
		                                "    client_secret_env: S\n",
		                       bad[i].url);
		world_load(&w, y);
		char *t = diags_text(&w.d);
		assert_int_equal(w.d.errors, 1);
		assert_has(t, "16:13: spec.oidc.issuer: '");
		assert_has(t, bad[i].why);
		free(t);
		free(y);
		world_release(&w);
	}
}

/* SAML's sso_url: the issuer's rules, but a query is allowed */
static void test_saml_url(void **state)
{
	static const struct {
		const char *url, *why;
	} cases[] = {
	    {"https://idp.example.com/sso?tenant=acme", NULL},
	    {"http://localhost:8600/sso", NULL},
	    {"http://idp.example.com/sso", "18:14: spec.saml.sso_url: 'http://idp.example.com/sso' "
	                                   "must be an https:// URL"},
	    {"https://a:b@idp.example.com/sso", "must not carry a user name or password"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct world w;
		char *y = lf_xasprintf(SSO_HEAD "  saml:\n    idp_entity_id: e\n"
		                                "    certificate: x\n    sso_url: %s\n",
		                       cases[i].url);
		world_load(&w, y);
		char *t = diags_text(&w.d);
		/* the certificate "x" is one error in every case */
		assert_int_equal(w.d.errors, cases[i].why ? 2 : 1);
		if (cases[i].why)
			assert_has(t, cases[i].why);
		free(t);
		free(y);
		world_release(&w);
	}
}

static void test_scopes(void **state)
{
	struct world w;

	world_load(&w, OIDC("https://idp.example.com", "[email, profile, email]"));
	char *t = diags_text(&w.d);
	assert_int_equal(w.d.errors, 2);
	assert_has(t, "19:13: spec.oidc.scopes: must include 'openid'");
	assert_has(t,
	           "19:30: spec.oidc.scopes: 'email' is listed twice (first at test.yaml:19:14)");
	free(t);
	world_release(&w);
}

static void test_exactly_one(void **state)
{
	struct world w;

	world_load(&w, SSO_HEAD "  {}\n");
	char *t = diags_text(&w.d);
	assert_int_equal(w.d.errors, 1);
	assert_has(t, "spec: write one of 'oidc' and 'saml'");
	free(t);
	world_release(&w);

	world_load(
	    &w, OIDC("https://idp.example.com", "[openid]") "  saml:\n    idp_entity_id: e\n    "
	                                                    "sso_url: https://idp.example.com/sso\n"
	                                                    "    certificate: x\n");
	t = diags_text(&w.d);
	assert_has(t, "20:3: spec: 'saml' and 'oidc' (at test.yaml:15:3) exclude each other");
	free(t);
	world_release(&w);
}

static void test_second_sso(void **state)
{
	struct world w;

	world_load(&w,
	           OIDC("https://idp.example.com", "[openid]") "---\n"
	                                                       "apiVersion: lakeform/v1\n"
	                                                       "kind: SSO\n"
	                                                       "metadata:\n"
	                                                       "  name: other\n"
	                                                       "spec:\n"
	                                                       "  oidc:\n"
	                                                       "    issuer: https://b.example.com\n"
	                                                       "    client_id: c\n"
	                                                       "    client_secret_env: S\n");
	char *t = diags_text(&w.d);
	assert_int_equal(w.d.errors, 1);
	assert_has(t, "24:9: a second SSO 'other': an account has at most one (the first is "
	              "'corp' at test.yaml:13:9)");
	free(t);
	world_release(&w);
}

/* A self-signed certificate valid from `from` to `to`, PEM, owned. */
static char *make_cert(time_t from, time_t to)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data;

	assert_non_null(k);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	ASN1_TIME_set(X509_getm_notBefore(x), from);
	ASN1_TIME_set(X509_getm_notAfter(x), to);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"idp", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	PEM_write_bio_X509(b, x);
	long n = BIO_get_mem_data(b, &data);
	char *pem = lf_xstrndup(data, (size_t)n);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
	return pem;
}

/* SAML with `pem` as a YAML block; the certificate's value is at 18:18. */
static char *saml_yaml(const char *pem)
{
	struct lf_buf b = LF_BUF_INIT;

	lf_buf_adds(&b, SSO_HEAD "  saml:\n    idp_entity_id: https://idp.example.com/saml\n"
	                         "    sso_url: https://idp.example.com/sso\n    certificate: |\n");
	for (const char *p = pem; *p;) {
		size_t n = strcspn(p, "\n");
		lf_buf_addf(&b, "      %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	return lf_buf_detach(&b);
}

static void test_certificate(void **state)
{
	const time_t day = 86400, now = time(NULL);
	char *valid = make_cert(now - day, now + 365 * day);
	char *expired = make_cert(1577836800, 1609459200); /* 2020-01-01 to 2021-01-01 */
	char *future = make_cert(now + day, now + 365 * day);
	struct world w;
	char *y, *t;

	/* through validate's rules, at the real time: the valid one passes */
	y = saml_yaml(valid);
	world_load(&w, y);
	t = diags_text(&w.d);
	if (w.d.n)
		fail_msg("%s", t);
	free(t);
	/* and at a time after its end, it has expired */
	lf_sso_check(&w.m, lf_sso_find(&w.m), now + 400 * day, &w.d);
	t = diags_text(&w.d);
	assert_int_equal(w.d.errors, 1);
	assert_has(t, "18:18: spec.saml.certificate: expired on ");
	free(t);
	world_release(&w);
	free(y);

	y = saml_yaml(expired);
	world_load(&w, y);
	t = diags_text(&w.d);
	assert_int_equal(w.d.errors, 1);
	assert_has(t, "18:18: spec.saml.certificate: expired on 2021-01-01 00:00:00 UTC");
	free(t);
	world_release(&w);
	free(y);

	y = saml_yaml(future);
	world_load(&w, y);
	lf_diags_release(&w.d);
	lf_sso_check(&w.m, lf_sso_find(&w.m), now, &w.d);
	t = diags_text(&w.d);
	assert_int_equal(w.d.errors, 1);
	assert_has(t, "spec.saml.certificate: not valid before ");
	free(t);
	world_release(&w);
	free(y);

	y = saml_yaml("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
	              "-----END CERTIFICATE-----\n");
	world_load(&w, y);
	t = diags_text(&w.d);
	assert_int_equal(w.d.errors, 1);
	assert_has(t, "18:18: spec.saml.certificate: not a PEM X.509 certificate");
	free(t);
	world_release(&w);
	free(y);

	y = saml_yaml("MIIB...\n");
	world_load(&w, y);
	t = diags_text(&w.d);
	assert_has(t, "spec.saml.certificate: not a PEM X.509 certificate");
	free(t);
	world_release(&w);
	free(y);

	free(valid);
	free(expired);
	free(future);
}

/* ---- plan and drift: the discovery document ----------------------------------- */

struct answer {
	const char *url;
	long status; /* 0: no answer (the connection failed) */
	const char *body;
};

struct server {
	const struct answer *a;
	size_t n;
	size_t calls;
};

static int fake_fetch(const char *url, struct lf_buf *body, long *status, char *err, size_t errlen,
                      void *arg)
{
	struct server *s = arg;

	s->calls++;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->a[i].url, url))
			continue;
		if (!s->a[i].status) {
			snprintf(err, errlen, "Connection refused");
			return -1;
		}
		*status = s->a[i].status;
		lf_buf_adds(body, s->a[i].body);
		return 0;
	}
	*status = 404;
	lf_buf_adds(body, "not found");
	return 0;
}

#define ISS "https://idp.example.com"
#define DISC ISS "/.well-known/openid-configuration"
#define JWKS ISS "/jwks"
#define KEYS "{\"keys\": [{\"kty\": \"RSA\", \"n\": \"AQAB\", \"e\": \"AQAB\"}]}"
#define DOC(extra)                                              \
	"{\"issuer\": \"" ISS "\", \"jwks_uri\": \"" JWKS "\"," \
	"\"scopes_supported\": [\"openid\", \"email\", \"profile\"]," extra "}"
#define CLAIMS "\"claims_supported\": [\"sub\", \"email\", \"groups\"]"

#define MANIFEST                     \
	OIDC(ISS, "[openid, email]") \
	"    claims:\n      user_name: email\n      groups: groups\n"

/* Verify MANIFEST-like `yaml` against `answers`; the diagnostics as text. */
static char *verify(const char *yaml, const struct answer *answers, size_t n, int *rc,
                    size_t *calls)
{
	struct world w;
	struct server s = {answers, n, 0};
	struct lf_diags d = LF_DIAGS_INIT;

	world_load(&w, yaml);
	char *t = diags_text(&w.d);
	if (w.d.errors)
		fail_msg("the manifest is not valid:\n%s", t);
	free(t);
	*rc = lf_sso_verify(&w.m, fake_fetch, &s, &d);
	t = diags_text(&d);
	if (calls)
		*calls = s.calls;
	lf_diags_release(&d);
	world_release(&w);
	return t;
}

#define VERIFY(yaml, rc, ...)                              \
	verify(yaml, (const struct answer[]){__VA_ARGS__}, \
	       sizeof((const struct answer[]){__VA_ARGS__}) / sizeof(struct answer), rc, NULL)

static void test_verify_matches(void **state)
{
	int rc;
	char *t = VERIFY(MANIFEST, &rc, {DISC, 200, DOC(CLAIMS)}, {JWKS, 200, KEYS});

	assert_int_equal(rc, 0);
	assert_string_equal(t, "");
	free(t);
	/* a trailing slash on the issuer is not doubled in the document's URL
	 * (and the issuer then differs from the document's, which is said) */
	t = VERIFY(OIDC(ISS "/", "[openid]"), &rc, {DISC, 200, DOC(CLAIMS)}, {JWKS, 200, KEYS});
	assert_int_equal(rc, -1);
	assert_has(t, "16:13: spec.oidc.issuer: the discovery document names the issuer '" ISS
	              "', not '" ISS "/': the two must be equal character for character\n");
	assert_true(strstr(t, "cannot fetch") == NULL && strstr(t, "404") == NULL);
	free(t);
}

static void test_verify_issuer(void **state)
{
	int rc;
	char *t = VERIFY(MANIFEST, &rc,
	                 {DISC, 200,
	                  "{\"issuer\": \"https://other.example.com\", \"jwks_uri\": \"" JWKS
	                  "\", \"scopes_supported\": [\"openid\", \"email\"]}"},
	                 {JWKS, 200, KEYS});

	assert_int_equal(rc, -1);
	assert_string_equal(t, "16:13: spec.oidc.issuer: the discovery document names the issuer "
	                       "'https://other.example.com', not '" ISS
	                       "': the two must be equal character for character\n");
	free(t);
	t = VERIFY(MANIFEST, &rc, {DISC, 200, "{\"jwks_uri\": \"" JWKS "\"}"}, {JWKS, 200, KEYS});
	assert_has(t, "names the issuer '(none)'");
	free(t);
}

static void test_verify_unreachable(void **state)
{
	int rc;
	char *t = VERIFY(MANIFEST, &rc, {DISC, 0, NULL});

	assert_int_equal(rc, -1);
	assert_string_equal(
	    t, "16:13: spec.oidc.issuer: cannot fetch the OIDC discovery document '" DISC
	       "': Connection refused\n");
	free(t);
	t = VERIFY(MANIFEST, &rc, {DISC, 500, "oops"});
	assert_string_equal(t, "16:13: spec.oidc.issuer: the OIDC discovery document '" DISC
	                       "' answered HTTP 500, not 200\n");
	free(t);
	t = VERIFY(MANIFEST, &rc, {DISC, 200, "<html>"});
	assert_has(t, "16:13: spec.oidc.issuer: the OIDC discovery document '" DISC
	              "' is not a JSON object: ");
	free(t);
	t = VERIFY(MANIFEST, &rc, {DISC, 200, "[1]"});
	assert_string_equal(t, "16:13: spec.oidc.issuer: the OIDC discovery document '" DISC
	                       "' is not a JSON object\n");
	free(t);
}

static void test_verify_jwks(void **state)
{
	int rc;
	char *t = VERIFY(MANIFEST, &rc, {DISC, 200, DOC(CLAIMS)});

	assert_int_equal(rc, -1);
	assert_string_equal(t, "16:13: spec.oidc.issuer: the JSON Web Key Set '" JWKS
	                       "' answered HTTP 404, not 200\n");
	free(t);
	t = VERIFY(MANIFEST, &rc, {DISC, 200, DOC(CLAIMS)}, {JWKS, 0, NULL});
	assert_has(t, "16:13: spec.oidc.issuer: cannot fetch the JSON Web Key Set '" JWKS
	              "': Connection refused");
	free(t);
	t = VERIFY(MANIFEST, &rc, {DISC, 200, DOC(CLAIMS)}, {JWKS, 200, "{\"keys\": []}"});
	assert_has(t, "the JSON Web Key Set '" JWKS "' holds no keys");
	free(t);
	t = VERIFY(MANIFEST, &rc, {DISC, 200, DOC(CLAIMS)},
	           {JWKS, 200, "{\"keys\": [{\"kty\": \"EC\"}, {\"use\": \"sig\"}]}"});
	assert_has(t, "the JSON Web Key Set '" JWKS "': key 2 has no 'kty'");
	free(t);
	t = VERIFY(MANIFEST, &rc,
	           {DISC, 200,
	            "{\"issuer\": \"" ISS "\", \"scopes_supported\": [\"openid\", \"email\"]}"});
	assert_int_equal(rc, -1);
	assert_string_equal(
	    t, "16:13: spec.oidc.issuer: the discovery document has no 'jwks_uri': ID tokens "
	       "could not be verified\n");
	free(t);
}

static void test_verify_scopes_and_claims(void **state)
{
	int rc;
	char *t =
	    VERIFY(OIDC(ISS, "[openid, email, phone, groups]") "    claims:\n      user_name: "
	                                                       "upn\n      groups: groups\n",
	           &rc, {DISC, 200, DOC(CLAIMS)}, {JWKS, 200, KEYS});

	assert_int_equal(rc, -1);
	assert_string_equal(t, "19:29: spec.oidc.scopes: 'phone' is not supported by '" ISS
	                       "' (scopes_supported: openid, email, profile)\n"
	                       "19:36: spec.oidc.scopes: 'groups' is not supported by '" ISS
	                       "' (scopes_supported: openid, email, profile)\n"
	                       "21:18: spec.oidc.claims.user_name: 'upn' is not supported by '" ISS
	                       "' (claims_supported: sub, email, groups)\n");
	free(t);
	/* a document that lists no claims: the claims are not checked; no
	 * scopes: a warning, not an error */
	t = VERIFY(MANIFEST, &rc,
	           {DISC, 200, "{\"issuer\": \"" ISS "\", \"jwks_uri\": \"" JWKS "\"}"},
	           {JWKS, 200, KEYS});
	assert_int_equal(rc, 0);
	assert_string_equal(t, "warning 16:13: spec.oidc.issuer: the discovery document lists no "
	                       "'scopes_supported': the scopes are not checked\n");
	free(t);
}

static void test_verify_nothing_to_do(void **state)
{
	struct answer none[1] = {{DISC, 0, NULL}};
	size_t calls = 99;
	int rc;
	char *pem = make_cert(time(NULL) - 86400, time(NULL) + 86400 * 365);
	char *y = saml_yaml(pem);

	/* SAML: validate only, nothing fetched */
	char *t = verify(y, none, 1, &rc, &calls);
	assert_int_equal(rc, 0);
	assert_int_equal(calls, 0);
	assert_string_equal(t, "");
	free(t);
	free(y);
	free(pem);
	/* no SSO document at all */
	struct world w;
	struct lf_diags d = LF_DIAGS_INIT;
	world_load(&w, "apiVersion: lakeform/v1\nkind: User\nmetadata:\n  name: a@b.c\n");
	assert_null(lf_sso_find(&w.m));
	assert_int_equal(lf_sso_verify(&w.m, fake_fetch, NULL, &d), 0);
	assert_int_equal(d.n, 0);
	world_release(&w);
}

/* The recorded values ({metadata, spec}): the same checks, no positions. */
static void test_verify_value(void **state)
{
	const struct answer a[] = {{DISC, 200, DOC(CLAIMS)}, {JWKS, 200, KEYS}};
	struct server srv = {a, 2, 0};
	struct lf_diags d = LF_DIAGS_INIT;
	json_t *rec = json_pack("{s:{s:s}, s:{s:{s:s, s:[s, s]}}}", "metadata", "name", "corp",
	                        "spec", "oidc", "issuer", ISS, "scopes", "openid", "phone");

	assert_int_equal(lf_sso_verify_value(rec, fake_fetch, &srv, &d), -1);
	char *t = diags_text(&d);
	assert_string_equal(t, "0:0: spec.oidc.scopes: 'phone' is not supported by '" ISS
	                       "' (scopes_supported: openid, email, profile)\n");
	assert_int_equal(srv.calls, 2);
	free(t);
	lf_diags_release(&d);
	json_array_remove(lf_json_path(rec, "spec.oidc.scopes"), 1);
	assert_int_equal(lf_sso_verify_value(rec, fake_fetch, &srv, &d), 0);
	assert_int_equal(d.n, 0);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_oidc),
	    cmocka_unit_test(test_bad_urls),
	    cmocka_unit_test(test_saml_url),
	    cmocka_unit_test(test_scopes),
	    cmocka_unit_test(test_exactly_one),
	    cmocka_unit_test(test_second_sso),
	    cmocka_unit_test(test_certificate),
	    cmocka_unit_test(test_verify_matches),
	    cmocka_unit_test(test_verify_issuer),
	    cmocka_unit_test(test_verify_unreachable),
	    cmocka_unit_test(test_verify_jwks),
	    cmocka_unit_test(test_verify_scopes_and_claims),
	    cmocka_unit_test(test_verify_nothing_to_do),
	    cmocka_unit_test(test_verify_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
