/*
 * lakeform-provider-scim: the identity family on a SCIM 2.0 service
 * provider (RFC 7643, RFC 7644).  docs/identity.md is its manual.
 *
 *   identity.user               a User: userName, displayName, active
 *   identity.group              a Group: displayName (its name), members
 *   identity.service_principal  a ServicePrincipal resource where the server
 *                               has that type, else a User carrying lakeform's
 *                               service principal extension
 *
 * Every object carries lakeform's marker as its externalId,
 * "lakeform/<account>/<address>": read with no id finds an object by it,
 * list finds the account's objects with `externalId sw "lakeform/<account>/
 * <type>/"`, page by page.  Group members are principals in lakeform's
 * inputs ("user:alice@acme.com") and SCIM ids on the server; the two are
 * mapped through a cache filled by every create and read, and by filter
 * queries for the rest.  An update is a PATCH: members added and removed
 * one by one, never the group rewritten; with If-Match where the server
 * offers ETags.  Creates, updates and deletes go through /Bulk when the
 * server supports it (bulk: auto) and the settings do not say off.
 *
 * The bearer token is read from the environment variable the settings name
 * (token_env); it is never logged, never in an attribute, never in an
 * error message.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sdk/lfp.h"
#include "scim.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/map.h"
#include "util/mem.h"

#define CORE_USER "urn:ietf:params:scim:schemas:core:2.0:User"
#define CORE_GROUP "urn:ietf:params:scim:schemas:core:2.0:Group"
#define CORE_SP "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
#define SP_EXT "urn:ietf:params:scim:schemas:extension:lakeform:2.0:ServicePrincipal"
#define PATCH_OP "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define MARK "lakeform/"

enum kind { USER, GROUP, SP };

struct scim {
	struct scim_conf c;
	char *sp_endpoint; /* "/ServicePrincipals", or NULL: Users with SP_EXT */
	long page_size;
	pthread_mutex_t mu; /* guards the two maps */
	struct lf_map ids;  /* principal ("user:alice@acme.com") -> id (owned string) */
	struct lf_map who;  /* id -> principal (owned string) */
};

static struct scim g = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- settings --------------------------------------------------------- */

static void conf_release(struct scim *s)
{
	free(s->c.base);
	free(s->c.auth);
	free(s->c.token_env);
	free(s->sp_endpoint);
	memset(&s->c, 0, sizeof(s->c));
	s->sp_endpoint = NULL;
}

static int duration(struct lfp_call *call, const json_t *settings, const char *key, long def,
                    long *out)
{
	const json_t *v = json_object_get(settings, key);

	*out = def;
	if (!v)
		return 0;
	if (!json_is_string(v) || lf_duration_parse(json_string_value(v), out) || *out <= 0) {
		lfp_error(call, LFP_E_INVALID, 0, "'%s' must be a duration such as 30s", key);
		return -1;
	}
	return 0;
}

static int one_of(struct lfp_call *call, const json_t *settings, const char *key,
                  const char *const *words, int def)
{
	const json_t *v = json_object_get(settings, key);

	if (!v)
		return def;
	for (int i = 0; words[i]; i++)
		if (json_is_string(v) && !strcmp(json_string_value(v), words[i]))
			return i;
	lfp_error(call, LFP_E_INVALID, 0, "'%s' must be one of %s, %s, %s", key, words[0], words[1],
	          words[2]);
	return -1;
}

/* The server's own description: bulk, etag, the service principal type. */
static int discover(struct lfp_call *call, struct scim *s, int bulk, int sp)
{
	struct scim_resp r;

	if (scim_http(call, &s->c, "GET", "/ServiceProviderConfig", NULL, NULL, &r))
		return -1;
	if (r.status != 200 || !json_is_object(r.body)) {
		char *d = scim_detail(&r);
		lfp_error(call, LFP_E_UNAVAILABLE, r.status >= 500,
		          "%s/ServiceProviderConfig is not a SCIM service provider's: %s",
		          s->c.base, d);
		free(d);
		scim_resp_release(&r);
		return -1;
	}
	json_t *b = json_object_get(r.body, "bulk");
	int has_bulk = json_is_true(json_object_get(b, "supported"));
	s->c.etag = json_is_true(json_object_get(json_object_get(r.body, "etag"), "supported"));
	json_int_t ops = json_integer_value(json_object_get(b, "maxOperations"));
	json_int_t bytes = json_integer_value(json_object_get(b, "maxPayloadSize"));
	s->c.bulk_max_ops = ops > 0 && ops < 1000 ? (long)ops : 1000;
	s->c.bulk_max_bytes = bytes > 0 ? (long)bytes : 1 << 20;
	scim_resp_release(&r);
	if (bulk == 1 && !has_bulk) {
		lfp_error(
		    call, LFP_E_INVALID, 0,
		    "'bulk' is on, and the SCIM server at %s does not support /Bulk "
		    "(ServiceProviderConfig bulk.supported is false): write bulk: auto or off",
		    s->c.base);
		return -1;
	}
	s->c.bulk = bulk == 1 || (bulk == 0 && has_bulk);

	if (scim_http(call, &s->c, "GET", "/ResourceTypes", NULL, NULL, &r))
		return -1;
	json_t *list = json_object_get(r.body, "Resources"), *t;
	size_t i;
	if (json_is_array(r.body))
		list = r.body;
	json_array_foreach (list, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		const char *ep = json_string_value(json_object_get(t, "endpoint"));
		if (name && ep && !strcmp(name, "ServicePrincipal"))
			s->sp_endpoint = lf_xstrdup(ep);
	}
	scim_resp_release(&r);
	if (sp == 1 && !s->sp_endpoint) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "'service_principals' is resource, and the SCIM server at %s has no "
		          "ServicePrincipal resource type: write service_principals: auto or user",
		          s->c.base);
		return -1;
	}
	if (sp == 2) {
		free(s->sp_endpoint);
		s->sp_endpoint = NULL;
	}
	return 0;
}

static int configure(struct lfp_call *call, const json_t *settings)
{
	static const char *const bulk_words[] = {"auto", "on", "off", NULL};
	static const char *const sp_words[] = {"auto", "resource", "user", NULL};
	const char *known[] = {"url",     "token_env",       "service_principals", "bulk",
	                       "timeout", "connect_timeout", "page_size",          NULL};
	const char *key;
	json_t *v;

	conf_release(&g);
	json_object_foreach ((json_t *)settings, key, v) {
		int ok = 0;
		for (int i = 0; known[i]; i++)
			ok |= !strcmp(key, known[i]);
		if (!ok) {
			lfp_error(call, LFP_E_INVALID, 0,
			          "unknown setting '%s' (url, token_env, service_principals, bulk, "
			          "timeout, connect_timeout, page_size)",
			          key);
			return -1;
		}
	}
	const char *url = json_string_value(json_object_get(settings, "url"));
	if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))) {
		lfp_error(
		    call, LFP_E_INVALID, 0,
		    "'url' must be the SCIM base URL, such as https://idp.example.com/scim/v2");
		return -1;
	}
	const char *env = json_string_value(json_object_get(settings, "token_env"));
	if (!env || !*env) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "'token_env' must name the environment variable holding the bearer "
		          "token, such as SCIM_TOKEN");
		return -1;
	}
	const char *token = getenv(env);
	if (!token || !*token) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "the environment variable '%s' (token_env) is not set: it must hold the "
		          "SCIM server's bearer token",
		          env);
		return -1;
	}
	int bulk = one_of(call, settings, "bulk", bulk_words, 0);
	int sp = one_of(call, settings, "service_principals", sp_words, 0);
	if (bulk < 0 || sp < 0)
		return -1;
	json_t *ps = json_object_get(settings, "page_size");
	if (ps && (!json_is_integer(ps) || json_integer_value(ps) < 1 ||
	           json_integer_value(ps) > 10000)) {
		lfp_error(call, LFP_E_INVALID, 0, "'page_size' must be a number from 1 to 10000");
		return -1;
	}
	g.page_size = ps ? (long)json_integer_value(ps) : 1000;
	if (duration(call, settings, "timeout", 30000, &g.c.timeout_ms) ||
	    duration(call, settings, "connect_timeout", 10000, &g.c.connect_timeout_ms))
		return -1;
	size_t n = strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	g.c.base = lf_xstrndup(url, n);
	g.c.token_env = lf_xstrdup(env);
	g.c.auth = lf_xasprintf("Authorization: Bearer %s", token);
	if (discover(call, &g, bulk, sp))
		return -1;
	lfp_log("%s: bulk %s, etag %s, service principals as %s", g.c.base, g.c.bulk ? "on" : "off",
	        g.c.etag ? "on" : "off", g.sp_endpoint ? g.sp_endpoint : "Users with an extension");
	return 0;
}

/* ---- the cache of principals and ids ------------------------------------ */

static void remember(const char *principal, const char *id)
{
	if (!principal || !id)
		return;
	pthread_mutex_lock(&g.mu);
	free(lf_map_put(&g.ids, principal, lf_xstrdup(id)));
	free(lf_map_put(&g.who, id, lf_xstrdup(principal)));
	pthread_mutex_unlock(&g.mu);
}

static void forget(const char *id)
{
	pthread_mutex_lock(&g.mu);
	char *p = lf_map_put(&g.who, id, NULL);
	if (p)
		free(lf_map_put(&g.ids, p, NULL));
	free(p);
	pthread_mutex_unlock(&g.mu);
}

/* owned copy, or NULL */
static char *cached(struct lf_map *m, const char *key)
{
	pthread_mutex_lock(&g.mu);
	const char *v = lf_map_get(m, key);
	char *out = v ? lf_xstrdup(v) : NULL;
	pthread_mutex_unlock(&g.mu);
	return out;
}

/* ---- kinds, objects and attributes -------------------------------------- */

static enum kind kind_of(const json_t *params)
{
	const char *t = json_string_value(json_object_get(params, "type"));

	if (!strcmp(t, "identity.group"))
		return GROUP;
	return strcmp(t, "identity.user") ? SP : USER;
}

static const char *endpoint(enum kind k)
{
	if (k == GROUP)
		return "/Groups";
	if (k == SP && g.sp_endpoint)
		return g.sp_endpoint;
	return "/Users";
}

static const char *type_name(enum kind k)
{
	return k == USER    ? "identity.user"
	       : k == GROUP ? "identity.group"
	                    : "identity.service_principal";
}

static char *marker(const char *address)
{
	return lf_xasprintf(MARK "%s/%s", lfp_call_account(NULL), address);
}

/* The principal an object of the directory is, from its own fields. */
static char *principal_of(const json_t *o, enum kind k)
{
	const char *name;

	if (k == GROUP) {
		name = json_string_value(json_object_get(o, "displayName"));
		return name ? lf_xasprintf("group:%s", name) : NULL;
	}
	if (k == SP && g.sp_endpoint) {
		name = json_string_value(json_object_get(o, "displayName"));
		return name ? lf_xasprintf("service_principal:%s", name) : NULL;
	}
	name = json_string_value(json_object_get(o, "userName"));
	if (!name)
		return NULL;
	return lf_xasprintf("%s:%s", json_object_get(o, SP_EXT) ? "service_principal" : "user",
	                    name);
}

/* lakeform's labels, from an externalId holding the marker ({} without) */
static json_t *labels_of(const json_t *o)
{
	const char *x = json_string_value(json_object_get(o, "externalId"));
	const char *slash;

	if (!x || strncmp(x, MARK, strlen(MARK)) || !(slash = strchr(x + strlen(MARK), '/')))
		return json_object();
	char *account = lf_xstrndup(x + strlen(MARK), (size_t)(slash - x - strlen(MARK)));
	json_t *l =
	    json_pack("{s:s, s:s}", "lakeform/account", account, "lakeform/address", slash + 1);
	free(account);
	return l;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int resolve_id(struct lfp_call *call, const char *id, const char *type, char **out);

/* `s` as a JSON string, for a filter: "alice@acme.com" (owned) */
static char *quoted(const char *s)
{
	json_t *j = json_string(s);
	char *q = json_dumps(j, JSON_ENCODE_ANY);

	json_decref(j);
	return q;
}

/* a new reference to o's member `k`, or null */
static json_t *field(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return v ? json_incref(v) : json_null();
}

/* The attributes of a directory object, as lakeform's inputs name them. */
static int attributes(struct lfp_call *call, enum kind k, const json_t *o, json_t **out)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	json_t *a = json_pack("{s:s?, s:o}", "id", id, "labels", labels_of(o));
	char *p = principal_of(o, k);

	remember(p, id);
	free(p);
	if (k == USER) {
		const json_t *dn = json_object_get(o, "displayName");
		json_object_set_new(a, "user_name", field(o, "userName"));
		json_object_set_new(a, "display_name",
		                    dn ? json_incref((json_t *)dn) : json_null());
	} else {
		const char *nk = k == SP && !g.sp_endpoint ? "userName" : "displayName";
		json_object_set_new(a, "name", field(o, nk));
	}
	if (k != GROUP)
		json_object_set_new(a, "active",
		                    json_boolean(!json_is_false(json_object_get(o, "active"))));
	if (k == SP) {
		const json_t *app =
		    g.sp_endpoint ? json_object_get(o, "applicationId")
		                  : json_object_get(json_object_get(o, SP_EXT), "applicationId");
		json_object_set_new(a, "application_id",
		                    app ? json_incref((json_t *)app) : json_null());
	}
	if (k == GROUP) {
		json_t *m = json_object_get(o, "members"), *v;
		size_t i, n = json_array_size(m), k2 = 0;
		char **names = lf_xcalloc(n ? n : 1, sizeof(*names));
		json_array_foreach (m, i, v) {
			const char *mid = json_string_value(json_object_get(v, "value"));
			char *who = NULL;
			if (!mid)
				continue;
			if (resolve_id(call, mid, json_string_value(json_object_get(v, "type")),
			               &who)) {
				for (size_t j = 0; j < k2; j++)
					free(names[j]);
				free(names);
				json_decref(a);
				return -1;
			}
			names[k2++] = who;
		}
		qsort(names, k2, sizeof(*names), cmp_str);
		json_t *arr = json_array();
		for (size_t j = 0; j < k2; j++) {
			json_array_append_new(arr, json_string(names[j]));
			free(names[j]);
		}
		free(names);
		json_object_set_new(a, "members", arr);
	}
	*out = a;
	return 0;
}

/* An error answer as the call's error. */
static int fail(struct lfp_call *call, const struct scim_resp *r, const char *what)
{
	char *d = scim_detail(r);
	int code = r->status == 404                       ? LFP_E_NOT_FOUND
	           : r->status == 409                     ? LFP_E_CONFLICT
	           : r->status == 412                     ? LFP_E_CONFLICT
	           : r->status >= 500 || r->status == 429 ? LFP_E_UNAVAILABLE
	                                                  : LFP_E_INVALID;
	int retry = r->status >= 500 || r->status == 429 || r->status == 412;

	if (r->status == 401 || r->status == 403)
		lfp_error(call, LFP_E_INVALID, 0,
		          "%s: the SCIM server at %s refused the bearer token in $%s: %s", what,
		          g.c.base, g.c.token_env, d);
	else if (r->status == 412)
		lfp_error(call, code, retry, "%s: the object changed meanwhile (If-Match): %s",
		          what, d);
	else
		lfp_error(call, code, retry, "%s: %s", what, d);
	free(d);
	return -1;
}

/* Stop paging a warm-up when less than this is left of the call's deadline. */
#define WARM_RESERVE_MS 15000

/*
 * GET the objects of `ep` matching `filter`, every page (only the first
 * `limit` when > 0); 0 with *out.  `reserve` > 0: stop early, with the
 * pages read so far, when less than that many ms are left of the call.
 */
static int query_pages(struct lfp_call *call, const char *ep, const char *filter, long limit,
                       long reserve, json_t **out)
{
	char *f = scim_escape(filter);
	json_t *all = json_array();
	long start = 1;

	for (;;) {
		struct scim_resp r;
		long count = limit > 0 && limit < g.page_size ? limit : g.page_size;
		char *path =
		    lf_xasprintf("%s?filter=%s&startIndex=%ld&count=%ld", ep, f, start, count);
		int rc = scim_http(call, &g.c, "GET", path, NULL, NULL, &r);
		free(path);
		if (rc)
			goto fail;
		if (r.status != 200) {
			fail(call, &r, "cannot list the directory");
			scim_resp_release(&r);
			goto fail;
		}
		json_t *page = json_object_get(r.body, "Resources");
		size_t got = json_array_size(page);
		json_int_t total = json_integer_value(json_object_get(r.body, "totalResults"));
		json_array_extend(all, page);
		scim_resp_release(&r);
		start += (long)got;
		if (!got || start > total || (limit > 0 && (long)json_array_size(all) >= limit))
			break;
		if (reserve > 0 && lfp_call_remaining_ms(call) < reserve)
			break;
	}
	free(f);
	*out = all;
	return 0;
fail:
	free(f);
	json_decref(all);
	return -1;
}

static int query(struct lfp_call *call, const char *ep, const char *filter, long limit,
                 json_t **out)
{
	return query_pages(call, ep, filter, limit, 0, out);
}

/* The id of `principal` in the directory: owned in *out, NULL when absent. */
static int resolve_principal(struct lfp_call *call, const char *principal, char **out)
{
	enum kind k = !strncmp(principal, "user:", 5)    ? USER
	              : !strncmp(principal, "group:", 6) ? GROUP
	                                                 : SP;
	const char *name = strchr(principal, ':') + 1;
	json_t *found = NULL;

	*out = cached(&g.ids, principal);
	if (*out)
		return 0;
	const char *attr = k == GROUP || (k == SP && g.sp_endpoint) ? "displayName" : "userName";
	char *esc = quoted(name);
	char *filter = lf_xasprintf("%s eq %s", attr, esc);
	free(esc);
	int rc = query(call, endpoint(k), filter, 1, &found);
	free(filter);
	if (rc)
		return -1;
	const json_t *o = json_array_get(found, 0);
	const char *id = json_string_value(json_object_get(o, "id"));
	if (id) {
		*out = lf_xstrdup(id);
		remember(principal, id);
	}
	json_decref(found);
	return 0;
}

/*
 * Fill the cache with every object carrying this account's marker, a page
 * at a time, once a run (as far as the call's deadline allows): the members of the groups a refresh reads are then
 * known without one read each (a plan of 1,000 groups would otherwise read
 * every member by id).  The members lakeform does not manage are read by
 * id, as before.
 */
static pthread_mutex_t warm_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int warmed; /* read without warm_mu: set once, under it */

static void warm(struct lfp_call *call)
{
	/* one call warms; the others read their members by id meanwhile
	 * rather than wait for it */
	if (pthread_mutex_trylock(&warm_mu))
		return;
	if (warmed) {
		pthread_mutex_unlock(&warm_mu);
		return;
	}
	char *prefix = lf_xasprintf(MARK "%s/", lfp_call_account(call));
	char *esc = quoted(prefix);
	char *filter = lf_xasprintf("externalId sw %s", esc);
	const char *eps[3] = {"/Users", "/Groups", g.sp_endpoint};
	enum kind kinds[3] = {USER, GROUP, SP};
	for (int i = 0; i < 3 && eps[i]; i++) {
		json_t *found = NULL, *o;
		size_t j;
		/* within the call's deadline, whatever the directory's size:
		 * what is not warmed is read by id */
		if (query_pages(call, eps[i], filter, 0, WARM_RESERVE_MS, &found))
			break; /* the reads by id still work */
		json_array_foreach (found, j, o) {
			char *p = principal_of(o, kinds[i]);
			remember(p, json_string_value(json_object_get(o, "id")));
			free(p);
		}
		json_decref(found);
	}
	free(filter);
	free(esc);
	free(prefix);
	warmed = 1;
	pthread_mutex_unlock(&warm_mu);
}

/* The principal of directory id `id` (a member), owned in *out. */
static int resolve_id(struct lfp_call *call, const char *id, const char *type, char **out)
{
	enum kind order[3] = {USER, GROUP, SP};
	int n = g.sp_endpoint ? 3 : 2;

	*out = cached(&g.who, id);
	if (*out)
		return 0;
	if (!warmed) {
		warm(call);
		*out = cached(&g.who, id);
		if (*out)
			return 0;
	}
	if (type && !strcmp(type, "Group"))
		order[0] = GROUP, order[1] = USER;
	else if (type && !strcmp(type, "ServicePrincipal") && g.sp_endpoint)
		order[0] = SP, order[2] = USER;
	for (int i = 0; i < n; i++) {
		struct scim_resp r;
		char *e = scim_escape(id);
		char *path = lf_xasprintf("%s/%s", endpoint(order[i]), e);
		free(e);
		int rc = scim_http(call, &g.c, "GET", path, NULL, NULL, &r);
		free(path);
		if (rc)
			return -1;
		if (r.status == 200) {
			*out = principal_of(r.body, order[i]);
			scim_resp_release(&r);
			if (*out) {
				remember(*out, id);
				return 0;
			}
			break;
		}
		scim_resp_release(&r);
	}
	/* a member the directory cannot show: named by its id */
	*out = lf_xasprintf("id:%s", id);
	return 0;
}

/* ---- the object lakeform wants ------------------------------------------ */

/* The SCIM body for `inputs` of kind k (members resolved to ids). */
static int body_of(struct lfp_call *call, enum kind k, const char *address, const json_t *in,
                   json_t **out)
{
	char *mark = marker(address);
	json_t *b = json_pack("{s:s}", "externalId", mark);
	free(mark);

	if (k == USER) {
		json_object_set_new(b, "schemas", json_pack("[s]", CORE_USER));
		json_object_set(b, "userName", json_object_get(in, "user_name"));
		if (json_object_get(in, "display_name"))
			json_object_set(b, "displayName", json_object_get(in, "display_name"));
		json_object_set_new(b, "active",
		                    json_boolean(!json_is_false(json_object_get(in, "active"))));
	} else if (k == SP) {
		const json_t *app = json_object_get(in, "application_id");
		json_object_set_new(b, "active",
		                    json_boolean(!json_is_false(json_object_get(in, "active"))));
		if (g.sp_endpoint) {
			json_object_set_new(b, "schemas", json_pack("[s]", CORE_SP));
			json_object_set(b, "displayName", json_object_get(in, "name"));
			if (app)
				json_object_set(b, "applicationId", (json_t *)app);
		} else {
			json_object_set_new(b, "schemas", json_pack("[s, s]", CORE_USER, SP_EXT));
			json_object_set(b, "userName", json_object_get(in, "name"));
			json_object_set(b, "displayName", json_object_get(in, "name"));
			json_object_set_new(b, SP_EXT,
			                    app ? json_pack("{s:O}", "applicationId", app)
			                        : json_pack("{s:b}", "servicePrincipal", 1));
		}
	} else {
		json_object_set_new(b, "schemas", json_pack("[s]", CORE_GROUP));
		json_object_set(b, "displayName", json_object_get(in, "name"));
		json_t *members = json_array(), *v;
		size_t i;
		json_array_foreach (json_object_get(in, "members"), i, v) {
			char *id = NULL;
			if (resolve_principal(call, json_string_value(v), &id)) {
				json_decref(members);
				json_decref(b);
				return -1;
			}
			if (!id) {
				lfp_error(call, LFP_E_INVALID, 1,
				          "member '%s' of group '%s' is not in the directory",
				          json_string_value(v),
				          json_string_value(json_object_get(in, "name")));
				json_decref(members);
				json_decref(b);
				return -1;
			}
			json_array_append_new(members, json_pack("{s:s}", "value", id));
			free(id);
		}
		json_object_set_new(b, "members", members);
	}
	*out = b;
	return 0;
}

/* ---- the operations ------------------------------------------------------- */

static char *object_path(enum kind k, const char *id)
{
	char *e = scim_escape(id);
	char *p = lf_xasprintf("%s/%s", endpoint(k), e);
	free(e);
	return p;
}

/* GET one object by id: 0 with *o (NULL when it does not exist). */
static int get_object(struct lfp_call *call, enum kind k, const char *id, json_t **o, char **etag)
{
	struct scim_resp r;
	char *path = object_path(k, id);
	int rc = scim_http(call, &g.c, "GET", path, NULL, NULL, &r);

	free(path);
	*o = NULL;
	if (etag)
		*etag = NULL;
	if (rc)
		return -1;
	if (r.status == 404) {
		scim_resp_release(&r);
		return 0;
	}
	if (r.status != 200) {
		fail(call, &r, "cannot read it");
		scim_resp_release(&r);
		return -1;
	}
	*o = json_incref(r.body);
	if (etag) {
		const char *v =
		    json_string_value(json_object_get(json_object_get(r.body, "meta"), "version"));
		*etag = r.etag ? lf_xstrdup(r.etag) : v ? lf_xstrdup(v) : NULL;
	}
	scim_resp_release(&r);
	return 0;
}

/* The object carrying `address`'s marker: 0 with *o, NULL when none. */
static int find_marked(struct lfp_call *call, enum kind k, const char *address, json_t **o)
{
	char *mark = marker(address);
	char *esc = quoted(mark);
	char *filter = lf_xasprintf("externalId eq %s", esc);
	json_t *found = NULL;
	int rc = query(call, endpoint(k), filter, 1, &found);

	free(mark);
	free(esc);
	free(filter);
	*o = NULL;
	if (rc)
		return -1;
	*o = json_incref(json_array_get(found, 0));
	json_decref(found);
	return 0;
}

static int op_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	enum kind k = kind_of(params);
	const char *id = json_string_value(json_object_get(params, "id"));
	const char *address = json_string_value(json_object_get(params, "address"));
	json_t *o = NULL, *a = NULL;

	if (id ? get_object(call, k, id, &o, NULL) : find_marked(call, k, address, &o))
		return -1;
	if (!o) {
		*result = json_pack("{s:b, s:n, s:n}", "exists", 0, "id", "attributes");
		return 0;
	}
	if (attributes(call, k, o, &a)) {
		json_decref(o);
		return -1;
	}
	*result = json_pack("{s:b, s:O, s:o}", "exists", 1, "id", json_object_get(a, "id"),
	                    "attributes", a);
	json_decref(o);
	return 0;
}

/*
 * The attributes after a write: from the object the server answered with;
 * else (a bulk answer is a status and a location) from what was sent, which
 * the server accepted, so that a bulk of N creates costs no N reads more;
 * else the object as the server has it now.
 */
static int settle(struct lfp_call *call, enum kind k, const char *id, json_t *answer,
                  const json_t *sent, json_t **attrs)
{
	json_t *o = NULL;

	if (json_object_get(answer, "meta") || json_object_get(answer, "schemas"))
		return attributes(call, k, answer, attrs);
	if (sent) {
		json_t *copy = json_deep_copy(sent);
		json_object_set_new(copy, "id", json_string(id));
		int rc = attributes(call, k, copy, attrs);
		json_decref(copy);
		return rc;
	}
	if (get_object(call, k, id, &o, NULL))
		return -1;
	if (!o) {
		lfp_error(call, LFP_E_NOT_FOUND, 1, "'%s' is gone from the directory", id);
		return -1;
	}
	int rc = attributes(call, k, o, attrs);
	json_decref(o);
	return rc;
}

static int op_update(struct lfp_call *call, const json_t *params, json_t **result);

static int op_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	enum kind k = kind_of(params);
	const char *address = json_string_value(json_object_get(params, "address"));
	const json_t *in = json_object_get(params, "inputs");
	json_t *body = NULL, *a = NULL, *o = NULL;
	struct scim_resp r;

	if (body_of(call, k, address, in, &body))
		return -1;
	int rc = scim_send(call, &g.c, "POST", endpoint(k), body, NULL, &r);
	if (rc) {
		json_decref(body);
		return -1;
	}
	if (r.status == 201 || r.status == 200) {
		const char *id = json_string_value(json_object_get(r.body, "id"));
		rc = id ? settle(call, k, id, r.body, body, &a) : -1;
		json_decref(body);
		if (!id)
			lfp_error(call, LFP_E_INTERNAL, 0,
			          "the SCIM server created it without an id");
		scim_resp_release(&r);
		if (rc)
			return -1;
		lfp_log("created %s '%s' (%s)", type_name(k), address,
		        json_string_value(json_object_get(a, "id")));
		*result = json_pack("{s:O, s:o}", "id", json_object_get(a, "id"), "attributes", a);
		return 0;
	}
	json_decref(body);
	if (r.status != 409) {
		fail(call, &r, "cannot create it");
		scim_resp_release(&r);
		return -1;
	}
	scim_resp_release(&r);
	/* taken: ours from a create whose answer was lost, or another's */
	if (find_marked(call, k, address, &o))
		return -1;
	if (!o) {
		lfp_error(call, LFP_E_CONFLICT, 0,
		          "the directory has a %s of this name that lakeform does not own (its "
		          "externalId is not '%s%s/%s')",
		          k == GROUP ? "group" : "user", MARK, lfp_call_account(call), address);
		return -1;
	}
	const char *id = json_string_value(json_object_get(o, "id"));
	json_t *up = json_pack("{s:s, s:s, s:s, s:O, s:n}", "type", type_name(k), "address",
	                       address, "id", id ? id : "", "inputs", in, "prior");
	json_decref(o);
	json_t *res = NULL;
	rc = op_update(call, up, &res);
	if (!rc)
		*result = json_pack("{s:O, s:O}", "id", json_object_get(up, "id"), "attributes",
		                    json_object_get(res, "attributes"));
	json_decref(res);
	json_decref(up);
	return rc;
}

/* A string member of `o`, or "" */
static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static int op_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	enum kind k = kind_of(params);
	const char *id = json_string_value(json_object_get(params, "id"));
	const char *address = json_string_value(json_object_get(params, "address"));
	const json_t *in = json_object_get(params, "inputs");
	json_t *want = NULL, *cur = NULL, *ops = json_array(), *a = NULL;
	char *etag = NULL;
	int rc = -1;

	if (body_of(call, k, address, in, &want))
		goto out;
	/* what is there now: members are added and removed against it */
	if (get_object(call, k, id, &cur, g.c.etag ? &etag : NULL))
		goto out;
	if (!cur) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "it is not in the directory any more");
		goto out;
	}
	json_t *set = json_object();
	const char *key;
	json_t *v;
	json_object_foreach (want, key, v) {
		if (!strcmp(key, "schemas") || !strcmp(key, "members"))
			continue;
		if (!json_equal(json_object_get(cur, key), v))
			json_object_set(set, key, v);
	}
	if (json_object_size(set))
		json_array_append_new(ops, json_pack("{s:s, s:o}", "op", "replace", "value", set));
	else
		json_decref(set);
	if (k == GROUP) {
		json_t *have = json_object_get(cur, "members"), *add = json_array(), *m;
		size_t i, j;
		json_array_foreach (json_object_get(want, "members"), i, m) {
			int found = 0;
			json_array_foreach (have, j, v)
				found |= !strcmp(str(v, "value"), str(m, "value"));
			if (!found)
				json_array_append(add, m);
		}
		if (json_array_size(add))
			json_array_append_new(ops, json_pack("{s:s, s:s, s:o}", "op", "add", "path",
			                                     "members", "value", add));
		else
			json_decref(add);
		json_array_foreach (have, j, v) {
			int found = 0;
			json_array_foreach (json_object_get(want, "members"), i, m)
				found |= !strcmp(str(v, "value"), str(m, "value"));
			if (!found) {
				char *path =
				    lf_xasprintf("members[value eq \"%s\"]", str(v, "value"));
				json_array_append_new(
				    ops, json_pack("{s:s, s:s}", "op", "remove", "path", path));
				free(path);
			}
		}
	}
	if (!json_array_size(ops)) {
		rc = attributes(call, k, cur, &a);
		goto done;
	}
	json_t *patch = json_pack("{s:[s], s:O}", "schemas", PATCH_OP, "Operations", ops);
	char *path = object_path(k, id);
	struct scim_resp r;
	rc = scim_send(call, &g.c, "PATCH", path, patch, etag, &r);
	free(path);
	json_decref(patch);
	if (rc)
		goto out;
	if (r.status == 200 || r.status == 204) {
		rc = settle(call, k, id, r.body, r.status == 200 ? want : NULL, &a);
	} else {
		rc = fail(call, &r, "cannot update it");
	}
	scim_resp_release(&r);
	if (!rc)
		lfp_log("updated %s '%s' (%zu operations)", type_name(k), address,
		        json_array_size(ops));
done:
	if (!rc)
		*result = json_pack("{s:o}", "attributes", a);
out:
	json_decref(want);
	json_decref(cur);
	json_decref(ops);
	free(etag);
	return rc;
}

static int op_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	enum kind k = kind_of(params);
	const char *id = json_string_value(json_object_get(params, "id"));
	char *path = object_path(k, id);
	struct scim_resp r;
	int rc = scim_send(call, &g.c, "DELETE", path, NULL, NULL, &r);

	free(path);
	if (rc)
		return -1;
	if (r.status >= 300 && r.status != 404)
		rc = fail(call, &r, "cannot delete it");
	scim_resp_release(&r);
	if (rc)
		return -1;
	forget(id);
	lfp_log("deleted %s '%s'", type_name(k),
	        json_string_value(json_object_get(params, "address")));
	*result = json_object();
	return 0;
}

static int op_list(struct lfp_call *call, const json_t *params, json_t **result)
{
	enum kind k = kind_of(params);
	char *prefix = lf_xasprintf(MARK "%s/%s/", lfp_call_account(call), type_name(k));
	char *esc = quoted(prefix);
	char *filter = lf_xasprintf("externalId sw %s", esc);
	json_t *found = NULL, *objects = json_array(), *o;
	size_t i;
	int rc = query(call, endpoint(k), filter, 0, &found);

	free(esc);
	free(filter);
	json_array_foreach (found, i, o) {
		json_t *a = NULL;
		const char *x = json_string_value(json_object_get(o, "externalId"));
		/* a server that cannot filter answers everything: keep ours */
		if (!x || strncmp(x, prefix, strlen(prefix)))
			continue;
		if (attributes(call, k, o, &a)) {
			rc = -1;
			break;
		}
		json_array_append_new(
		    objects, json_pack("{s:O, s:s, s:o}", "id", json_object_get(a, "id"), "address",
		                       x + strlen(MARK) + strlen(lfp_call_account(call)) + 1,
		                       "attributes", a));
	}
	free(prefix);
	json_decref(found);
	if (rc) {
		json_decref(objects);
		return -1;
	}
	*result = json_pack("{s:o}", "objects", objects);
	return 0;
}

static const struct lfp_type types[] = {
    {"identity.user", NULL, op_read, op_create, op_update, op_delete, NULL, op_list, NULL},
    {"identity.group", NULL, op_read, op_create, op_update, op_delete, NULL, op_list, NULL},
    {"identity.service_principal", NULL, op_read, op_create, op_update, op_delete, NULL, op_list,
     NULL},
};

static const struct lfp_provider provider = {
    .version = LFP_VERSION,
    .name = "scim",
    .types = types,
    .ntypes = sizeof(types) / sizeof(types[0]),
    /* calls for different addresses touch different objects; many at
     * once is what fills a bulk request */
    .concurrency = 64,
    .configure = configure,
};

int main(int argc, char **argv)
{
	int rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "scim: cannot initialise libcurl\n");
		return 1;
	}
	rc = lfp_main(&provider, argc, argv);
	lfp_log("%ld HTTP requests", scim_requests());
	conf_release(&g);
	for (size_t i = 0; i < g.ids.cap; i++)
		if (g.ids.v[i].key)
			free(g.ids.v[i].value);
	for (size_t i = 0; i < g.who.cap; i++)
		if (g.who.v[i].key)
			free(g.who.v[i].value);
	lf_map_release(&g.ids);
	lf_map_release(&g.who);
	curl_global_cleanup();
	return rc;
}
