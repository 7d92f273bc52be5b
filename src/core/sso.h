/*
 * sso.h - the SSO kind: the account's single sign-on, an OpenID Connect
 * provider or a SAML 2.0 identity provider.
 *
 * lf_sso_check() is validate's part (rules.c calls it): the shape of one
 * SSO document, URLs, scopes, the SAML signing certificate (parsed as X.509
 * with libcrypto, and not expired).  lf_sso_verify() is what a refreshing
 * plan and drift add for OIDC: the provider's discovery document
 * (<issuer>/.well-known/openid-configuration) and its key set are fetched
 * and compared with the manifest, every mismatch an error at the position
 * of the field concerned.  SAML is checked by validate only.
 *
 * Neither prints nor reads the environment: client_secret_env is a name,
 * and the secret it names is never read here.
 */
#ifndef LF_CORE_SSO_H
#define LF_CORE_SSO_H

#include <time.h>

#include "manifest.h"
#include "../util/buf.h"

/*
 * GET `url` into `body`: 0 with the HTTP status in *status, or -1 when no
 * answer came, with the reason in `err`.  lf_sso_verify() uses libcurl
 * (util/httpget.h) when given none; tests give a fetch of their own.
 */
typedef int (*lf_sso_fetch_fn)(const char *url, struct lf_buf *body, long *status, char *err,
                               size_t errlen, void *arg);

/*
 * The answers fetched so far, by URL: with lf_sso_fetch_cached() as the
 * fetch (and the cache as its argument), a check repeated in one run (on
 * the recorded values, then for the manifests' positions) asks each URL
 * once, so that a provider that never answers costs its timeout once.
 */
struct lf_sso_cache {
	struct lf_sso_answer *v;
	size_t n;
};

#define LF_SSO_CACHE_INIT \
	{                 \
		NULL, 0   \
	}

int lf_sso_fetch_cached(const char *url, struct lf_buf *body, long *status, char *err,
                        size_t errlen, void *cache);
void lf_sso_cache_release(struct lf_sso_cache *c);

/* The manifests' SSO document (the first, when there are more), or NULL. */
const struct lf_resource *lf_sso_find(const struct lf_manifest *m);

/*
 * The shape of SSO document `r` of `m` beyond its schema: exactly one of
 * oidc and saml, URLs (https, or http on 127.0.0.1 or localhost), scopes
 * (openid among them, each once), the certificate (PEM X.509, valid at
 * `now`).  Every problem is added to `d` with its position.
 */
void lf_sso_check(const struct lf_manifest *m, const struct lf_resource *r, time_t now,
                  struct lf_diags *d);

/*
 * The manifests' OIDC provider against its discovery document: its issuer
 * is the configured one exactly, its jwks_uri answers a JSON Web Key Set,
 * every configured scope is in scopes_supported and every configured claim
 * in claims_supported (when it lists them).  Nothing to do without an SSO
 * document or for SAML.  0, or -1 when errors were added to `d`.
 * `fetch` NULL: libcurl, with a 5 s connect and 15 s overall timeout.
 */
int lf_sso_verify(const struct lf_manifest *m, lf_sso_fetch_fn fetch, void *fetch_arg,
                  struct lf_diags *d);

/*
 * The same checks of an SSO's values without a manifest: `value` holds
 * "spec" (a document's root, or the inputs the state recorded for it), and
 * the diagnostics have no position.  What plan and drift use when the state
 * records exactly the manifests, which then need not be loaded unless
 * something is to be reported at its position.
 */
int lf_sso_verify_value(json_t *value, lf_sso_fetch_fn fetch, void *fetch_arg, struct lf_diags *d);

#endif
