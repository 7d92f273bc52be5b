/* browse.c - a loaded state indexed once, read page by page (browse.h). */
#include <stdlib.h>
#include <string.h>

#include "browse.h"
#include "manifest.h"
#include "util/mem.h"

#define NS_DEPTH 4 /* metastore / catalog / schema / table or volume */

static void *own(struct lf_browse *b, void *p)
{
	if (b->nowned == b->owned_alloc) {
		b->owned_alloc = b->owned_alloc ? 2 * b->owned_alloc : 64;
		b->owned = lf_xrealloc(b->owned, b->owned_alloc * sizeof(*b->owned));
	}
	b->owned[b->nowned++] = p;
	return p;
}

static void list_add(struct lf_browse_list *l, size_t i)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 4;
		l->v = lf_xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->n++] = i;
}

/* The list under `key` in `m`, made when absent. */
static struct lf_browse_list *list_at(struct lf_browse *b, struct lf_map *m, const char *key)
{
	struct lf_browse_list *l = lf_map_get(m, key);
	if (!l) {
		l = own(b, lf_xcalloc(1, sizeof(*l)));
		lf_map_put(m, key, l);
	}
	return l;
}

static const struct lf_browse_list *list_get(const struct lf_map *m, const char *key)
{
	return key ? lf_map_get(m, key) : NULL;
}

static void grants_add(struct lf_browse *b, struct lf_map *m, const char *key, size_t g)
{
	/* a list of grant indexes has the same shape as a list of records */
	list_add(list_at(b, m, key), g);
}

static const char *spec_str(const struct lf_state_res *r, const char *field)
{
	json_t *spec = r->inputs ? json_object_get(r->inputs, "spec") : NULL;
	return json_string_value(json_object_get(spec, field));
}

static const char *record_name(const struct lf_state_res *r)
{
	const char *slash = strrchr(r->address, '/');
	return slash ? slash + 1 : r->address;
}

/* "user/a@b" -> "user:a@b"; owned, NULL for another type. */
static char *principal_of(const struct lf_state_res *r)
{
	if (!strcmp(r->type, "user"))
		return lf_xasprintf("user:%s", r->address + 5);
	if (!strcmp(r->type, "group"))
		return lf_xasprintf("group:%s", r->address + 6);
	if (!strcmp(r->type, "serviceprincipal"))
		return lf_xasprintf("service_principal:%s", r->address + 17);
	return NULL;
}

/* The address of a grant's securable, owned; NULL when unknown. */
static char *securable_address(const char *type, const char *metastore, const char *name)
{
	if (!type || !name)
		return NULL;
	if (!strcmp(type, "metastore"))
		return lf_xasprintf("metastore/%s", name);
	if (!strcmp(type, "bucket"))
		return lf_xasprintf("storage.bucket/%s", name);
	if (!metastore)
		return NULL;
	char *a = lf_xasprintf("%s/%s/%s", type, metastore, name);
	/* sales.raw.orders -> sales/raw/orders */
	for (char *p = a + strlen(type) + strlen(metastore) + 2; *p; p++)
		if (*p == '.')
			*p = '/';
	return a;
}

static void add_grant(struct lf_browse *b, size_t rec, const char *principal, json_t *sec,
                      json_t *privileges)
{
	char *addr = securable_address(json_string_value(json_object_get(sec, "type")),
	                               json_string_value(json_object_get(sec, "metastore")),
	                               json_string_value(json_object_get(sec, "name")));
	if (!addr || !principal || !json_is_array(privileges)) {
		free(addr);
		return;
	}
	if (b->ngrants == b->grants_alloc) {
		b->grants_alloc = b->grants_alloc ? 2 * b->grants_alloc : 16;
		b->grants = lf_xrealloc(b->grants, b->grants_alloc * sizeof(*b->grants));
	}
	struct lf_browse_grant *g = &b->grants[b->ngrants];
	g->grant = rec;
	g->principal = principal;
	g->securable = addr;
	g->privileges = privileges;
	grants_add(b, &b->sec_grants, addr, b->ngrants);
	grants_add(b, &b->princ_grants, principal, b->ngrants);
	b->ngrants++;
}

/* The namespace parent of a metastore's securable ("schema/m/c/s" ->
 * "catalog/m/c"), owned; NULL for another type. */
static char *ns_parent(const struct lf_state_res *r)
{
	static const struct {
		const char *type, *parent;
		int parts; /* slashes in the address */
	} ns[] = {{"catalog", "metastore", 2},
	          {"schema", "catalog", 3},
	          {"table", "schema", 4},
	          {"volume", "schema", 4}};

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		if (strcmp(r->type, ns[i].type))
			continue;
		const char *rest = r->address + strlen(ns[i].type) + 1;
		const char *last = strrchr(rest, '/');
		int slashes = 0;
		for (const char *p = r->address; *p; p++)
			slashes += *p == '/';
		if (!last || slashes != ns[i].parts)
			return NULL;
		return lf_xasprintf("%s/%.*s", ns[i].parent, (int)(last - rest), rest);
	}
	return NULL;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int lf_browse_build(struct lf_browse *b, struct lf_state *st, const char **why)
{
	memset(b, 0, sizeof(*b));
	b->st = st;
	for (size_t i = 0; i < st->nres; i++) {
		struct lf_state_res *r = &st->res[i];
		if (lf_state_res_parse(r) != 0) {
			*why = "a record of the state cannot be read";
			return -1;
		}
		struct lf_browse_list *l = lf_map_get(&b->by_type, r->type);
		if (!l) {
			l = list_at(b, &b->by_type, r->type);
			b->types = lf_xrealloc(b->types, (b->ntypes + 1) * sizeof(*b->types));
			b->types[b->ntypes++] = r->type;
		}
		list_add(l, i);
		if (r->parent)
			list_add(list_at(b, &b->children, r->parent), i);
		size_t k;
		json_t *dep;
		json_array_foreach (r->deps, k, dep)
			if (json_is_string(dep))
				list_add(list_at(b, &b->dependents, json_string_value(dep)), i);
		char *parent = ns_parent(r);
		if (parent) {
			list_add(list_at(b, &b->sub, parent), i);
			free(parent);
		}
		char *p = principal_of(r);
		if (p) {
			list_add(&b->principals, i);
			free(p);
		}
		if (!strcmp(r->type, "group")) {
			json_t *spec = json_object_get(r->inputs, "spec");
			json_array_foreach (json_object_get(spec, "members"), k, dep)
				if (json_is_string(dep))
					list_add(list_at(b, &b->member_of, json_string_value(dep)),
					         i);
		}
		if (!strcmp(r->type, "grant")) {
			json_t *spec = json_object_get(r->inputs, "spec");
			const char *who = json_string_value(json_object_get(spec, "principal"));
			json_t *one = json_object_get(spec, "securable");
			if (one)
				add_grant(b, i, who, one, json_object_get(spec, "privileges"));
			json_array_foreach (json_object_get(spec, "securables"), k, one)
				add_grant(b, i, who, one, json_object_get(one, "privileges"));
		}
	}
	qsort(b->types, b->ntypes, sizeof(*b->types), cmp_str);
	return 0;
}

void lf_browse_release(struct lf_browse *b)
{
	for (size_t i = 0; i < b->nowned; i++) {
		struct lf_browse_list *l = b->owned[i];
		free(l->v);
		free(l);
	}
	free(b->owned);
	for (size_t i = 0; i < b->ngrants; i++)
		free(b->grants[i].securable);
	free(b->grants);
	free(b->principals.v);
	free(b->types);
	lf_map_release(&b->by_type);
	lf_map_release(&b->children);
	lf_map_release(&b->dependents);
	lf_map_release(&b->sec_grants);
	lf_map_release(&b->princ_grants);
	lf_map_release(&b->member_of);
	lf_map_release(&b->sub);
	memset(b, 0, sizeof(*b));
}

/* ---- pages ---------------------------------------------------------------- */

static struct lf_state_res *rec(const struct lf_browse *b, size_t i)
{
	return &b->st->res[i];
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* {"address", "type", "name"} of a record, with a few spec fields. */
static json_t *brief(const struct lf_browse *b, size_t i)
{
	const struct lf_state_res *r = rec(b, i);
	json_t *o = json_pack("{s:s, s:s, s:s}", "address", r->address, "type", r->type, "name",
	                      record_name(r));
	static const char *const fields[] = {"comment", "owner", "display_name", "region",
	                                     "compute"};
	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		const char *v = spec_str(r, fields[k]);
		if (v)
			json_object_set_new(o, fields[k], json_string(v));
	}
	return o;
}

/* A page of a list: {"total", "offset", "limit", KEY: [...]}. */
static json_t *slice(const struct lf_browse *b, const struct lf_browse_list *l, size_t offset,
                     size_t limit, const char *key, json_t *into)
{
	json_t *a = json_array();
	size_t n = l ? l->n : 0;

	for (size_t i = offset; i < n && i - offset < limit; i++)
		json_array_append_new(a, brief(b, l->v[i]));
	json_object_set_new(into, "total", json_integer((json_int_t)n));
	json_object_set_new(into, "offset", json_integer((json_int_t)offset));
	json_object_set_new(into, "limit", json_integer((json_int_t)limit));
	json_object_set_new(into, key, a);
	return into;
}

static size_t count_type(const struct lf_browse *b, const char *type)
{
	const struct lf_browse_list *l = lf_map_get(&b->by_type, type);
	return l ? l->n : 0;
}

json_t *lf_browse_summary(const struct lf_browse *b)
{
	const struct lf_state *st = b->st;
	json_t *counts = json_object();
	const struct lf_browse_list *acct = lf_map_get(&b->by_type, "account");

	for (size_t i = 0; i < b->ntypes; i++)
		json_object_set_new(counts, b->types[i],
		                    json_integer((json_int_t)count_type(b, b->types[i])));
	return json_pack(
	    "{s:o, s:s, s:I, s:o, s:o, s:I, s:I, s:o}", "account",
	    acct && acct->n ? json_string(record_name(rec(b, acct->v[0]))) : json_null(), "lineage",
	    st->lineage, "serial", (json_int_t)st->serial, "generator", str_or_null(st->generator),
	    "git_commit", str_or_null(st->git_commit), "resources", (json_int_t)st->nres, "grants",
	    (json_int_t)b->ngrants, "types", counts);
}

/* The storage and network records `i` expanded to or depends on. */
static void infrastructure(const struct lf_browse *b, size_t i, json_t *storage, json_t *networks)
{
	const struct lf_state_res *r = rec(b, i);
	const struct lf_browse_list *kids = list_get(&b->children, r->address);
	json_t *seen = json_object();
	size_t k;
	json_t *dep;

	for (size_t pass = 0; pass < 2; pass++) {
		size_t n = pass ? json_array_size(r->deps) : (kids ? kids->n : 0);
		for (k = 0; k < n; k++) {
			const char *a;
			if (pass) {
				dep = json_array_get(r->deps, k);
				a = json_string_value(dep);
			} else {
				a = rec(b, kids->v[k])->address;
			}
			if (!a || json_object_get(seen, a))
				continue;
			json_object_set_new(seen, a, json_true());
			if (!strncmp(a, "storage.", 8))
				json_array_append_new(storage, json_string(a));
			else if (!strncmp(a, "compute.", 8))
				json_array_append_new(networks, json_string(a));
		}
	}
	json_decref(seen);
}

static json_t *region_of(json_t *regions, const char *name)
{
	json_t *reg = json_object_get(regions, name ? name : "(no region)");
	if (!reg) {
		reg = json_pack("{s:s, s:[], s:[], s:i}", "region", name ? name : "(no region)",
		                "metastores", "workspaces", "workspaces_total", 0);
		json_object_set_new(regions, name ? name : "(no region)", reg);
	}
	return reg;
}

json_t *lf_browse_account(const struct lf_browse *b, size_t offset, size_t limit)
{
	json_t *regions = json_object(), *by_ms = json_object();
	const struct lf_browse_list *ms = lf_map_get(&b->by_type, "metastore");
	const struct lf_browse_list *ws = lf_map_get(&b->by_type, "workspace");

	for (size_t k = 0; ms && k < ms->n; k++) {
		const struct lf_state_res *r = rec(b, ms->v[k]);
		json_t *o = brief(b, ms->v[k]), *storage = json_array(), *nets = json_array();
		infrastructure(b, ms->v[k], storage, nets);
		json_object_set_new(o, "storage", storage);
		json_decref(nets);
		json_object_set_new(o, "workspaces", json_array());
		json_object_set_new(o, "workspaces_total", json_integer(0));
		json_object_set_new(o, "catalogs",
		                    json_integer((json_int_t)(list_get(&b->sub, r->address)
		                                                  ? list_get(&b->sub, r->address)->n
		                                                  : 0)));
		json_array_append_new(
		    json_object_get(region_of(regions, spec_str(r, "region")), "metastores"), o);
		json_object_set(by_ms, record_name(r), o);
	}
	for (size_t k = 0; ws && k < ws->n; k++) {
		const struct lf_state_res *r = rec(b, ws->v[k]);
		const char *m = spec_str(r, "metastore");
		json_t *mo = m ? json_object_get(by_ms, m) : NULL;
		/* a workspace in another region than its metastore's is listed
		 * under its own region */
		const char *mreg = mo ? json_string_value(json_object_get(mo, "region")) : NULL;
		const char *wreg = spec_str(r, "region");
		json_t *into =
		    mo && mreg && wreg && !strcmp(mreg, wreg) ? mo : region_of(regions, wreg);
		json_object_set_new(
		    into, "workspaces_total",
		    json_integer(json_integer_value(json_object_get(into, "workspaces_total")) +
		                 1));
		/* only the page's workspaces are described */
		if (k < offset || k - offset >= limit)
			continue;
		json_t *o = brief(b, ws->v[k]), *storage = json_array(), *nets = json_array();
		const char *compute = spec_str(r, "compute");
		infrastructure(b, ws->v[k], storage, nets);
		json_object_set_new(o, "compute", json_string(compute ? compute : "classic"));
		json_object_set_new(o, "metastore", str_or_null(m));
		json_object_set_new(o, "storage", storage);
		json_object_set_new(o, "networks", nets);
		json_array_append_new(json_object_get(into, "workspaces"), o);
	}
	json_decref(by_ms);
	/* regions by name */
	json_t *list = lf_json_values_by_key(regions);
	json_decref(regions);
	json_t *summary = lf_browse_summary(b);
	json_t *page =
	    json_pack("{s:O, s:o, s:I, s:I, s:I}", "account", json_object_get(summary, "account"),
	              "regions", list, "total", (json_int_t)(ws ? ws->n : 0), "offset",
	              (json_int_t)offset, "limit", (json_int_t)limit);
	json_decref(summary);
	return page;
}

/* The grants on `address`: [{"grant", "principal", "privileges"}]. */
static json_t *grants_on(const struct lf_browse *b, const char *address)
{
	const struct lf_browse_list *l = list_get(&b->sec_grants, address);
	json_t *a = json_array();

	for (size_t k = 0; l && k < l->n; k++) {
		const struct lf_browse_grant *g = &b->grants[l->v[k]];
		json_array_append_new(a, json_pack("{s:s, s:s, s:O}", "grant",
		                                   rec(b, g->grant)->address, "principal",
		                                   g->principal, "privileges", g->privileges));
	}
	return a;
}

static const struct lf_state_res *find(const struct lf_browse *b, const char *address,
                                       size_t *index)
{
	size_t lo = 0, hi = b->st->nres;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(b->st->res[mid].address, address);
		if (!c) {
			if (index)
				*index = mid;
			return &b->st->res[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

json_t *lf_browse_namespace(const struct lf_browse *b, const char *path, size_t offset,
                            size_t limit)
{
	static const char *const types[] = {"metastore", "catalog", "schema", NULL};
	const char *parts[NS_DEPTH];
	int depth = 0;
	char *copy = lf_xstrdup(path ? path : "");

	for (char *p = copy, *save = NULL, *t; (t = strtok_r(p, "/", &save)); p = NULL) {
		if (depth == NS_DEPTH) {
			free(copy);
			return NULL;
		}
		parts[depth++] = t;
	}
	json_t *page = json_object(), *crumbs = json_array();
	json_object_set_new(page, "path", json_string(path ? path : ""));
	if (!depth) {
		json_object_set_new(page, "level", json_string("account"));
		json_object_set_new(page, "crumbs", crumbs);
		slice(b, lf_map_get(&b->by_type, "metastore"), offset, limit, "children", page);
		free(copy);
		return page;
	}
	/* each level's record, from the metastore down */
	char *addr = NULL;
	size_t index = 0;
	for (int d = 0; d < depth; d++) {
		struct lf_buf a = LF_BUF_INIT;
		const struct lf_state_res *r = NULL;
		const char *const cands[] = {d < 3 ? types[d] : "table", d < 3 ? NULL : "volume"};
		for (size_t c = 0; c < 2 && cands[c] && !r; c++) {
			lf_buf_truncate(&a, 0);
			lf_buf_addf(&a, "%s", cands[c]);
			for (int e = 0; e <= d; e++)
				lf_buf_addf(&a, "/%s", parts[e]);
			r = find(b, lf_buf_cstr(&a), &index);
		}
		if (!r) {
			lf_buf_release(&a);
			free(addr);
			free(copy);
			json_decref(page);
			json_decref(crumbs);
			return NULL;
		}
		free(addr);
		addr = lf_buf_detach(&a);
		json_array_append_new(crumbs,
		                      json_pack("{s:s, s:s}", "name", parts[d], "address", addr));
	}
	const struct lf_state_res *r = rec(b, index);
	json_object_set_new(page, "level", json_string(r->type));
	json_object_set_new(page, "crumbs", crumbs);
	json_object_set_new(page, "securable", brief(b, index));
	json_object_set_new(page, "grants", grants_on(b, addr));
	slice(b, list_get(&b->sub, addr), offset, limit, "children", page);
	free(addr);
	free(copy);
	return page;
}

json_t *lf_browse_principals(const struct lf_browse *b, size_t offset, size_t limit)
{
	json_t *page = slice(b, &b->principals, offset, limit, "principals", json_object());
	size_t i;
	json_t *p;

	json_array_foreach (json_object_get(page, "principals"), i, p) {
		size_t idx = b->principals.v[offset + i];
		char *who = principal_of(rec(b, idx));
		json_object_set_new(p, "principal", json_string(who));
		free(who);
	}
	return page;
}

json_t *lf_browse_principal(const struct lf_browse *b, const char *principal, size_t offset,
                            size_t limit)
{
	char *addr = lf_principal_address(principal);
	size_t index;

	if (!addr || !find(b, addr, &index)) {
		free(addr);
		return NULL;
	}
	json_t *page = json_pack("{s:s, s:o}", "principal", principal, "record", brief(b, index));
	free(addr);

	/* the groups it is in, nested: breadth first, each with its path */
	json_t *groups = json_array(), *seen = json_object();
	json_t *queue = json_array();
	json_array_append_new(queue, json_pack("{s:s, s:[]}", "principal", principal, "via"));
	json_object_set_new(seen, principal, json_true());
	for (size_t q = 0; q < json_array_size(queue); q++) {
		json_t *item = json_array_get(queue, q);
		const char *who = json_string_value(json_object_get(item, "principal"));
		const struct lf_browse_list *l = list_get(&b->member_of, who);
		for (size_t k = 0; l && k < l->n; k++) {
			char *g = principal_of(rec(b, l->v[k]));
			if (!json_object_get(seen, g)) {
				json_object_set_new(seen, g, json_true());
				/* the group it came through (nested groups: the
				 * chain is followed one step at a time) */
				json_t *via = json_array();
				if (q)
					json_array_append_new(via, json_string(who));
				json_t *e = json_pack("{s:s, s:o}", "principal", g, "via", via);
				json_array_append(queue, e);
				json_array_append_new(groups, e);
			}
			free(g);
		}
	}
	/* the first `limit` of them: the grants below need them all, the page
	 * does not (a group nested a thousand deep) */
	json_object_set_new(page, "member_of_total",
	                    json_integer((json_int_t)json_array_size(groups)));
	while (json_array_size(groups) > limit)
		json_array_remove(groups, json_array_size(groups) - 1);
	json_object_set_new(page, "member_of", groups);

	/* the members of a group */
	const struct lf_state_res *r = rec(b, index);
	json_t *spec = json_object_get(r->inputs, "spec");
	json_t *members = json_object_get(spec, "members");
	json_object_set_new(page, "members", members ? json_deep_copy(members) : json_array());

	/* the grants made to it and to each of its groups */
	json_t *grants = json_array();
	size_t total = 0;
	for (size_t q = 0; q < json_array_size(queue); q++) {
		const char *who =
		    json_string_value(json_object_get(json_array_get(queue, q), "principal"));
		const struct lf_browse_list *l = list_get(&b->princ_grants, who);
		for (size_t k = 0; l && k < l->n; k++, total++) {
			if (total < offset || total - offset >= limit)
				continue;
			const struct lf_browse_grant *g = &b->grants[l->v[k]];
			json_array_append_new(grants, json_pack("{s:s, s:s, s:s, s:O}", "grant",
			                                        rec(b, g->grant)->address,
			                                        "securable", g->securable, "to",
			                                        who, "privileges", g->privileges));
		}
	}
	json_decref(queue);
	json_decref(seen);
	json_object_set_new(page, "grants", grants);
	json_object_set_new(page, "total", json_integer((json_int_t)total));
	json_object_set_new(page, "offset", json_integer((json_int_t)offset));
	json_object_set_new(page, "limit", json_integer((json_int_t)limit));
	return page;
}

/* The first record whose address is >= `s`. */
static size_t lower_bound(const struct lf_browse *b, const char *s)
{
	size_t lo = 0, hi = b->st->nres;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(b->st->res[mid].address, s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

json_t *lf_browse_resources(const struct lf_browse *b, const char *type, const char *prefix,
                            size_t offset, size_t limit)
{
	json_t *page = json_object(), *types = json_array();

	for (size_t i = 0; i < b->ntypes; i++)
		json_array_append_new(types, json_string(b->types[i]));
	json_object_set_new(page, "types", types);
	json_object_set_new(page, "type", json_string(type ? type : ""));
	json_object_set_new(page, "prefix", json_string(prefix ? prefix : ""));
	if (type && *type) {
		const struct lf_browse_list *l = lf_map_get(&b->by_type, type);
		struct lf_browse_list sub = {0};
		if (prefix && *prefix && l) {
			/* a type's list is in address order: the prefix is a range */
			size_t lo = 0, hi = l->n;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (strcmp(rec(b, l->v[mid])->address, prefix) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			size_t end = lo, n = strlen(prefix);
			while (end < l->n && !strncmp(rec(b, l->v[end])->address, prefix, n))
				end++;
			sub.v = l->v + lo;
			sub.n = end - lo;
			l = &sub;
		}
		return slice(b, l, offset, limit, "resources", page);
	}
	size_t lo = prefix && *prefix ? lower_bound(b, prefix) : 0, hi = b->st->nres;
	if (prefix && *prefix) {
		/* the end of the range: the first address past every one with
		 * the prefix, found by binary search too */
		size_t n = strlen(prefix), a = lo, z = b->st->nres;
		while (a < z) {
			size_t mid = a + (z - a) / 2;
			if (!strncmp(b->st->res[mid].address, prefix, n))
				a = mid + 1;
			else
				z = mid;
		}
		hi = a;
	}
	json_t *list = json_array();
	for (size_t i = lo + offset; i < hi && i - lo - offset < limit; i++)
		json_array_append_new(list, brief(b, i));
	json_object_set_new(page, "total", json_integer((json_int_t)(hi - lo)));
	json_object_set_new(page, "offset", json_integer((json_int_t)offset));
	json_object_set_new(page, "limit", json_integer((json_int_t)limit));
	json_object_set_new(page, "resources", list);
	return page;
}

static json_t *addresses(const struct lf_browse *b, const struct lf_browse_list *l)
{
	json_t *a = json_array();
	for (size_t k = 0; l && k < l->n; k++)
		json_array_append_new(a, json_string(rec(b, l->v[k])->address));
	return a;
}

json_t *lf_browse_resource(const struct lf_browse *b, const char *address, lf_browse_mask_fn mask)
{
	size_t index;
	const struct lf_state_res *r = address ? find(b, address, &index) : NULL;
	json_t *inputs = NULL, *attrs = NULL;

	if (!r)
		return NULL;
	mask(r, &inputs, &attrs);
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s}", "address", r->address, "type", r->type,
	                      "provider", r->provider ? r->provider : "lakeform", "parent",
	                      str_or_null(r->parent), "digest", r->digest);
	json_object_set_new(o, "inputs", inputs ? inputs : json_null());
	json_object_set_new(o, "attrs", attrs ? attrs : json_null());
	json_object_set_new(o, "sensitive",
	                    r->sensitive ? json_deep_copy(r->sensitive) : json_array());
	json_object_set_new(o, "deps", r->deps ? json_deep_copy(r->deps) : json_array());
	json_object_set_new(o, "dependents", addresses(b, list_get(&b->dependents, r->address)));
	json_object_set_new(o, "children", addresses(b, list_get(&b->children, r->address)));
	json_object_set_new(o, "grants", grants_on(b, r->address));
	return o;
}

/* ---- the graph ------------------------------------------------------------ */

static int shown(const struct lf_state_res *r, int expanded)
{
	return expanded || !r->provider || !strcmp(r->provider, "lakeform");
}

json_t *lf_browse_graph(const struct lf_browse *b, const char *focus, int depth, int expanded,
                        size_t max_nodes)
{
	json_t *nodes = json_array(), *edges = json_array(), *in = json_object();
	size_t total = 0, index;

	for (size_t i = 0; i < b->st->nres; i++)
		total += shown(rec(b, i), expanded);
	if (focus && *focus) {
		if (!find(b, focus, &index)) {
			json_decref(nodes);
			json_decref(edges);
			json_decref(in);
			return NULL;
		}
		/* breadth first from the focus, both ways */
		struct lf_browse_list q = {0}, lvl = {0};
		list_add(&q, index);
		list_add(&lvl, 0);
		json_object_set_new(in, focus, json_true());
		for (size_t k = 0; k < q.n && q.n < max_nodes; k++) {
			const struct lf_state_res *r = rec(b, q.v[k]);
			if ((int)lvl.v[k] >= depth)
				continue;
			const struct lf_browse_list *dn = list_get(&b->dependents, r->address);
			size_t nd = json_array_size(r->deps), nn = dn ? dn->n : 0;
			for (size_t j = 0; j < nd + nn && q.n < max_nodes; j++) {
				size_t t;
				if (j < nd) {
					if (!find(b, json_string_value(json_array_get(r->deps, j)),
					          &t))
						continue;
				} else {
					t = dn->v[j - nd];
				}
				if (!shown(rec(b, t), expanded) ||
				    json_object_get(in, rec(b, t)->address))
					continue;
				json_object_set_new(in, rec(b, t)->address, json_true());
				list_add(&q, t);
				list_add(&lvl, lvl.v[k] + 1);
			}
		}
		for (size_t k = 0; k < q.n; k++)
			json_array_append_new(nodes, json_pack("{s:s, s:s}", "address",
			                                       rec(b, q.v[k])->address, "provider",
			                                       rec(b, q.v[k])->provider
			                                           ? rec(b, q.v[k])->provider
			                                           : "lakeform"));
		free(q.v);
		free(lvl.v);
	} else {
		for (size_t i = 0; i < b->st->nres && json_array_size(nodes) < max_nodes; i++) {
			const struct lf_state_res *r = rec(b, i);
			if (!shown(r, expanded))
				continue;
			json_object_set_new(in, r->address, json_true());
			json_array_append_new(
			    nodes, json_pack("{s:s, s:s}", "address", r->address, "provider",
			                     r->provider ? r->provider : "lakeform"));
		}
	}
	size_t k;
	json_t *node;
	json_array_foreach (nodes, k, node) {
		const char *a = json_string_value(json_object_get(node, "address"));
		const struct lf_state_res *r = find(b, a, NULL);
		size_t j;
		json_t *dep;
		json_array_foreach (r->deps, j, dep)
			if (json_object_get(in, json_string_value(dep)))
				json_array_append_new(edges, json_pack("[s, O]", a, dep));
	}
	json_decref(in);
	return json_pack("{s:o, s:o, s:I, s:I, s:o, s:i, s:b}", "nodes", nodes, "edges", edges,
	                 "total", (json_int_t)total, "shown", (json_int_t)json_array_size(nodes),
	                 "focus", str_or_null(focus && *focus ? focus : NULL), "depth", depth,
	                 "expanded", expanded);
}

/* A DOT string: quotes and backslashes escaped. */
static void dot_quoted(struct lf_buf *out, const char *s)
{
	lf_buf_addc(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			lf_buf_addc(out, '\\');
		lf_buf_addc(out, *s);
	}
	lf_buf_addc(out, '"');
}

void lf_browse_graph_dot(const json_t *graph, const char *url_prefix, struct lf_buf *out)
{
	json_t *nodes = json_object_get(graph, "nodes"), *edges = json_object_get(graph, "edges");
	json_t *provider = json_object();
	size_t n = 0, k;
	json_t *v;
	char **lines =
	    lf_xcalloc(json_array_size(nodes) + json_array_size(edges) + 1, sizeof(*lines));

	/* lines sorted, so the output is the same on every run */
	json_array_foreach (nodes, k, v) {
		const char *a = json_string_value(json_object_get(v, "address"));
		json_object_set(provider, a, json_object_get(v, "provider"));
		lines[n++] = lf_xstrdup(a);
	}
	json_array_foreach (edges, k, v)
		lines[n++] = lf_xasprintf("%s\x1f%s", json_string_value(json_array_get(v, 0)),
		                          json_string_value(json_array_get(v, 1)));
	qsort(lines, n, sizeof(*lines), cmp_str);
	lf_buf_adds(out, "digraph lakeform {\n  rankdir = \"RL\";\n"
	                 "  node [shape = box, fontname = \"sans-serif\"];\n");
	for (size_t i = 0; i < n; i++) {
		char *sep = strchr(lines[i], '\x1f');
		lf_buf_adds(out, "  ");
		if (sep) {
			*sep = '\0';
			dot_quoted(out, lines[i]);
			lf_buf_adds(out, " -> ");
			dot_quoted(out, sep + 1);
		} else {
			const char *p = json_string_value(json_object_get(provider, lines[i]));
			dot_quoted(out, lines[i]);
			int dashed = p && strcmp(p, "lakeform");
			if (url_prefix) {
				lf_buf_adds(out, " [URL = \"");
				lf_buf_adds(out, url_prefix);
				for (const char *c = lines[i]; *c; c++) {
					if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
					    (*c >= '0' && *c <= '9') || strchr("-._~", *c))
						lf_buf_addc(out, *c);
					else
						lf_buf_addf(out, "%%%02X", (unsigned char)*c);
				}
				lf_buf_addf(out, "\"%s]", dashed ? ", style = dashed" : "");
			} else if (dashed) {
				lf_buf_adds(out, " [style = dashed]");
			}
		}
		lf_buf_adds(out, ";\n");
		free(lines[i]);
	}
	lf_buf_adds(out, "}\n");
	free(lines);
	json_decref(provider);
}
