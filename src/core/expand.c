#include "expand.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"
#include "../state/state.h"
#include "../util/buf.h"
#include "../util/jsondigest.h"
#include "../util/mem.h"
#include "../util/par.h"
#include "../util/s3policy.h"

/* A place in storage: a bucket and a path in it ("" or ending in '/'). */
struct loc {
	char *bucket;
	char *path;
};

/* A securable with data: its location and the securables below it. */
struct secnode {
	char *address;
	struct loc loc;
	struct secnode **children;
	size_t nchildren, alloc;
	/* whether everything below it lies inside its location, as found
	 * when ex.sec_gen was `gen` (subtree_within()) */
	unsigned long gen;
	int within;
	/* the places a grant on it reaches (reach_of(); none: not walked
	 * yet), borrowed from the securables; reach_id: its index + 1 in the
	 * desired set's reach, once recorded there */
	struct loc *reach;
	size_t nreach, reach_id;
};

/* A statement of a bucket's policy: (principal, access, path), its
 * strings borrowed from the manifests and the securables, which outlive
 * expansion's working maps. */
struct stmt {
	const char *principal;
	const char *path;
	int write; /* 0: read, 1: write ("read" < "write", as the order wants) */
	/* their places in the order of their texts, for the sorts
	 * (policy_item()): `who` is the principal's number (ex.principal_ids)
	 * until then */
	uint32_t who, where;
};

/* A bucket's statements, and the manifest addresses they come from. */
struct bucket_stmts {
	struct stmt *v;
	size_t n, alloc;
	const char **sources; /* the manifest addresses, in the order first seen (borrowed) */
	size_t nsources, sources_alloc;
	struct lf_map seen;      /* of sources */
	const char *last_source; /* the source added last: a grant adds many at once */
};

struct ex {
	const struct lf_manifest *m;
	struct lf_desired *out;
	struct lf_diags *d;
	const struct lf_resource *account;
	struct loc default_storage;
	struct lf_map secs;          /* securable address -> struct secnode * */
	unsigned long sec_gen;       /* changes when a securable's place or children do */
	struct lf_map policies;      /* bucket -> struct bucket_stmts * */
	struct lf_map principal_ids; /* principal -> its number + 1, in statements */
	const char **principal_v;    /* number -> principal (borrowed) */
	size_t nprincipals, principals_alloc;
	struct lf_map policy_owner; /* bucket -> manifest address declaring it */
	json_t *later;              /* [principal, type, metastore, name, privileges, source] */
	const char *source;         /* the manifest address whose grant is compiled */
	const char *source_ds;      /* the desired set's copy of it, when known */
	struct lf_state *st;        /* what is recorded, or NULL */
	struct lf_map nets_of;      /* parent -> json array of recorded networks [name, cidr] */
	int nets_indexed;
	json_t *tags;         /* the user's tags of what is expanded now (borrowed) */
	json_t *account_tags; /* the account's (borrowed) */
	int failed;
};

static const char *str_at(json_t *root, const char *path)
{
	return json_string_value(lf_json_path(root, path));
}

static char *with_slash(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || p[n - 1] == '/')
		return lf_xstrdup(p);
	return lf_xasprintf("%s/", p);
}

static struct loc loc_make(const char *bucket, const char *path)
{
	struct loc l = {lf_xstrdup(bucket), with_slash(path ? path : "")};
	return l;
}

static struct loc loc_under(const struct loc *base, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct loc loc_under(const struct loc *base, const char *fmt, ...)
{
	struct lf_buf b = LF_BUF_INIT;
	va_list ap;

	lf_buf_adds(&b, base->path);
	va_start(ap, fmt);
	lf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	struct loc l = loc_make(base->bucket, lf_buf_cstr(&b));
	lf_buf_release(&b);
	return l;
}

static void loc_release(struct loc *l)
{
	free(l->bucket);
	free(l->path);
	l->bucket = l->path = NULL;
}

/* ---- desired resources -------------------------------------------------- */

/* "type/name", without a printf per resource */
static char *address_of(const char *type, const char *name)
{
	size_t t = strlen(type), n = strlen(name);
	char *a = lf_xmalloc(t + n + 2);

	memcpy(a, type, t);
	a[t] = '/';
	memcpy(a + t + 1, name, n + 1);
	return a;
}

static struct lf_dres *add(struct ex *x, const char *type, const char *name, const char *provider,
                           const char *parent, json_t *inputs, const struct lf_source_doc *doc)
{
	char *address = address_of(type, name);
	uintptr_t seen = (uintptr_t)lf_map_get(&x->out->index, address);
	struct lf_dres *r;

	if (seen) {
		/* two resources would share one provider resource: two catalogs
		 * with one managed location, say */
		struct lf_dres *first = x->out->v[seen - 1];
		if (parent && first->parent && strcmp(parent, first->parent)) {
			lf_diag_error(x->d, doc ? &doc->pos : NULL,
			              "'%s' would use the same %s as '%s': '%s'; give one of them "
			              "a storage root of its own",
			              parent, type, first->parent, name);
			x->failed = 1;
		}
		free(address);
		json_decref(inputs);
		return first;
	}
	if (!inputs) {
		/* a field the schema requires was missing: validation says so */
		inputs = json_object();
		x->failed = 1;
	}
	LF_GROW(x->out->v, x->out->n + 1, x->out->alloc);
	r = lf_xcalloc(1, sizeof(*r));
	x->out->v[x->out->n++] = r;
	r->address = address;
	r->type = lf_xstrdup(type);
	r->name = lf_xstrdup(name);
	r->provider = lf_xstrdup(provider);
	r->parent = parent ? lf_xstrdup(parent) : NULL;
	r->inputs = inputs;
	r->doc = doc;
	r->kind = lf_kinds_find(x->m->kinds, type);
	lf_map_put(&x->out->index, address, (void *)(uintptr_t)x->out->n);
	return r;
}

/* Add `address` to r's dependencies; the caller knows it is not there yet. */
static void add_new_dep(struct lf_dres *r, const char *address)
{
	LF_GROW(r->deps, r->ndeps + 1, r->deps_alloc);
	r->deps[r->ndeps++] = lf_xstrdup(address);
}

static void add_dep(struct lf_dres *r, const char *address)
{
	for (size_t i = 0; i < r->ndeps; i++)
		if (!strcmp(r->deps[i], address))
			return;
	add_new_dep(r, address);
}

static json_t *labels(const struct ex *x, const char *address)
{
	return json_pack("{s:s, s:s}", "lakeform/account", x->out->account, "lakeform/address",
	                 address);
}

/*
 * A provider resource, child of manifest resource `parent`.  A part the
 * parent is built from (its bucket, its network, its storage root: a
 * `foundation`) is made before the parent and deleted after it, as a
 * control plane asks for them when the parent is created; any other part
 * (a node pool, a policy) comes after the parent.
 */
static struct lf_dres *add_part(struct ex *x, struct lf_dres *parent, const char *type,
                                const char *name, json_t *inputs, int foundation)
{
	const struct lf_kind *k = lf_kinds_find(x->m->kinds, type);
	char *address = address_of(type, name);

	if (!k || !k->is_type) {
		lf_diag_error(x->d, NULL, "no schema for provider resource type '%s'", type);
		x->failed = 1;
	}
	if (inputs)
		json_object_set_new(inputs, "labels", labels(x, address));
	/* the user's tags, on the types that carry them; none, no field, so
	 * that plans of manifests without tags do not change */
	if (inputs && json_object_size(x->tags) && k && lf_json_path(k->schema, "properties.tags"))
		json_object_set(inputs, "tags", x->tags);
	free(address);
	struct lf_dres *r =
	    add(x, type, name, k && k->family ? k->family : lf_families[LF_FAMILY_DEFAULT].name,
	        parent->address, inputs, parent->doc);
	if (foundation)
		add_dep(parent, r->address);
	else
		add_dep(r, parent->address);
	r->prevent_destroy = parent->prevent_destroy;
	r->implicit = 1;
	return r;
}

static struct lf_dres *add_child(struct ex *x, struct lf_dres *parent, const char *type,
                                 const char *name, json_t *inputs)
{
	return add_part(x, parent, type, name, inputs, 0);
}

static char *prefix_name(const struct loc *l)
{
	size_t n = strlen(l->path);
	return lf_xasprintf("%s/%.*s", l->bucket, (int)(n ? n - 1 : 0), l->path);
}

static struct lf_dres *add_prefix(struct ex *x, struct lf_dres *parent, const struct loc *l,
                                  const char *purpose)
{
	char *name = prefix_name(l);
	struct lf_dres *p = add_part(
	    x, parent, "storage.prefix", name,
	    json_pack("{s:s, s:s, s:s}", "bucket", l->bucket, "path", l->path, "purpose", purpose),
	    1);
	char *bucket = lf_xasprintf("storage.bucket/%s", l->bucket);
	add_dep(p, bucket);
	free(bucket);
	free(name);
	return p;
}

/*
 * A declared bucket.  `decl` is the manifest object that declares it
 * (spec.default_storage, spec.storage, spec.storage_root): its
 * force_destroy, versioning and encryption go to the inputs: versioning
 * only when the manifest says it, so that plans of manifests without it do
 * not change; encryption always, {algorithm: AES256} (SSE-S3, what S3 gives
 * every new bucket) when the manifest does not say, so the plan shows it.
 */
static struct lf_dres *add_bucket(struct ex *x, struct lf_dres *parent, const char *bucket,
                                  const char *region, const char *purpose, json_t *decl)
{
	json_t *versioning = json_object_get(decl, "versioning");
	json_t *encryption = json_object_get(decl, "encryption");
	json_t *inputs =
	    json_pack("{s:s, s:s, s:s, s:b}", "name", bucket, "region", region, "purpose", purpose,
	              "force_destroy", json_is_true(json_object_get(decl, "force_destroy")));

	if (json_is_boolean(versioning))
		json_object_set(inputs, "versioning", versioning);
	if (json_is_object(encryption))
		json_object_set_new(inputs, "encryption", json_deep_copy(encryption));
	else
		json_object_set_new(inputs, "encryption",
		                    json_pack("{s:s}", "algorithm", "AES256"));
	struct lf_dres *b = add_part(x, parent, "storage.bucket", bucket, inputs, 1);
	lf_map_put(&x->policy_owner, bucket, parent->address);
	return b;
}

/* ---- securables and their locations ---------------------------------- */

static struct secnode *sec_add(struct ex *x, const char *address, struct loc loc,
                               const char *parent_address)
{
	struct secnode *n = lf_map_get(&x->secs, address);

	if (n) {
		/* declared again: the address now means the new place, with
		 * nothing below it yet */
		loc_release(&n->loc);
		n->nchildren = 0;
		x->sec_gen++;
	} else {
		n = lf_xcalloc(1, sizeof(*n));
		n->address = lf_xstrdup(address);
		lf_map_put(&x->secs, address, n);
	}
	n->loc = loc;
	struct secnode *p = parent_address ? lf_map_get(&x->secs, parent_address) : NULL;
	if (p) {
		LF_GROW(p->children, p->nchildren + 1, p->alloc);
		p->children[p->nchildren++] = n;
		x->sec_gen++;
	}
	return n;
}

static int loc_covers(const struct loc *outer, const struct loc *inner)
{
	return !strcmp(outer->bucket, inner->bucket) &&
	       !strncmp(inner->path, outer->path, strlen(outer->path));
}

/* Principal `p`'s number among those of the statements. */
static uint32_t principal_number(struct ex *x, const char *p)
{
	uintptr_t k = (uintptr_t)lf_map_add(&x->principal_ids, p, (void *)(x->nprincipals + 1));

	if (k)
		return (uint32_t)(k - 1);
	LF_GROW(x->principal_v, x->nprincipals + 1, x->principals_alloc);
	x->principal_v[x->nprincipals] = p;
	return (uint32_t)x->nprincipals++;
}

/* Add a statement for (principal, access) on `l` to its bucket's policy;
 * `principal` (numbered `who`) and `l` outlive the policies. */
static void policy_add(struct ex *x, const char *principal, uint32_t who, int write,
                       const struct loc *l)
{
	struct bucket_stmts *b = lf_map_get(&x->policies, l->bucket);

	if (!b) {
		b = lf_xcalloc(1, sizeof(*b));
		lf_map_put(&x->policies, l->bucket, b);
	}
	LF_GROW(b->v, b->n + 1, b->alloc);
	b->v[b->n++] = (struct stmt){principal, l->path, write, who, 0};
	if (x->source && x->source != b->last_source) {
		if (!lf_map_get(&b->seen, x->source)) {
			lf_map_put(&b->seen, x->source, (void *)1);
			LF_GROW(b->sources, b->nsources + 1, b->sources_alloc);
			b->sources[b->nsources++] = x->source;
		}
		b->last_source = x->source;
	}
}

/*
 * Whether every securable below `n` lies inside n's location.  Found once
 * and kept until a securable's place or children change (ex.sec_gen): a
 * grant on a catalog then need not walk its schemas, tables and volumes,
 * which was a cache miss on each of them for every such grant (the
 * Grant pass grew 14x per 10x resources).  0 may also mean "not known":
 * the walk below is then made, as it always was.
 */
static int subtree_within(struct ex *x, struct secnode *n)
{
	int within = 1;

	if (n->gen == x->sec_gen)
		return n->within;
	for (size_t i = 0; i < n->nchildren && within; i++)
		within =
		    loc_covers(&n->loc, &n->children[i]->loc) && subtree_within(x, n->children[i]);
	n->gen = x->sec_gen;
	n->within = within;
	return within;
}

/* The places a grant on securable `sec` reaches: its location and, as
 * Unity Catalog inherits, what lies below it but is stored elsewhere, each
 * place once (not one inside another already reached). */
static void reach_walk(struct ex *x, struct secnode *sec, struct loc **done, size_t *ndone,
                       size_t *alloc)
{
	for (size_t i = 0; i < *ndone; i++)
		if (loc_covers(&(*done)[i], &sec->loc))
			goto children;
	LF_GROW(*done, *ndone + 1, *alloc);
	(*done)[(*ndone)++] = sec->loc;
children:
	/* sec's location is reached now: so is all that lies inside it (a
	 * path inside one inside another is inside that one) */
	if (subtree_within(x, sec))
		return;
	for (size_t i = 0; i < sec->nchildren; i++)
		reach_walk(x, sec->children[i], done, ndone, alloc);
}

/* `sec`'s places, found once (the grants are compiled after every
 * securable is known: its places stay; a walk finds one at least). */
static void reach_of(struct ex *x, struct secnode *sec)
{
	size_t alloc = 0;

	if (!sec->nreach)
		reach_walk(x, sec, &sec->reach, &sec->nreach, &alloc);
}

/* The grant of `principal` on `sec` with `access`, recorded in the
 * desired set's reach (lf_desired.keep_reach), `sec` with it the first
 * time. */
static void keep_grant(struct ex *x, const char *principal, struct secnode *sec, int access)
{
	struct lf_reach *r = &x->out->reach;

	if (!sec->reach_id) {
		LF_GROW(r->secs, r->nsecs + 1, r->secs_alloc);
		struct lf_reach_sec *rs = &r->secs[r->nsecs++];
		rs->address = lf_xstrdup(sec->address);
		rs->n = sec->nreach;
		rs->locs = lf_xcalloc(sec->nreach + 1, sizeof(*rs->locs));
		for (size_t i = 0; i < sec->nreach; i++) {
			rs->locs[i].bucket = lf_xstrdup(sec->reach[i].bucket);
			rs->locs[i].path = lf_xstrdup(sec->reach[i].path);
		}
		sec->reach_id = r->nsecs;
	}
	/* the source's text as the desired set holds it: the manifests go
	 * before an apply records the reach */
	const char *src = x->source_ds;
	if (!src) {
		const struct lf_dres *d = x->source ? lf_desired_get(x->out, x->source) : NULL;
		src = d ? d->address : lf_reach_intern(r, x->source ? x->source : "");
	}
	LF_GROW(r->v, r->n + 1, r->alloc);
	r->v[r->n++] =
	    (struct lf_reach_grant){src, lf_reach_intern(r, principal), sec->reach_id - 1, access};
}

/* The securable address a grant names, or NULL (metastore: no data). */
static char *securable_address(const char *type, const char *ms, const char *name)
{
	if (!strcmp(type, "bucket"))
		return lf_xasprintf("bucket/%s", name);
	if (!strcmp(type, "metastore"))
		return NULL;
	struct lf_buf b = LF_BUF_INIT;
	lf_buf_addf(&b, "%s/%s/", type, ms ? ms : "");
	for (const char *p = name; *p; p++)
		lf_buf_addc(&b, *p == '.' ? '/' : *p);
	return lf_buf_detach(&b);
}

int lf_privileges_access(const struct lf_kinds *kinds, const json_t *privileges)
{
	const struct lf_kind *gk = lf_kinds_find(kinds, "Grant");
	/* each privilege's storage access: its entry in the one table */
	json_t *table = gk ? json_object_get(gk->schema, "x-lakeform-privileges") : NULL;
	int access = 0;
	size_t i;
	json_t *v;

	json_array_foreach (privileges, i, v) {
		char *norm = lf_xstrdup(json_string_value(v) ? json_string_value(v) : "");
		for (char *p = norm; *p; p++)
			*p = *p == ' ' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		json_t *a = json_object_get(json_object_get(table, norm), "access");
		size_t j;
		json_t *w;
		json_array_foreach (a, j, w) {
			access |= !strcmp(json_string_value(w), "read") ? LF_ACCESS_READ : 0;
			access |= !strcmp(json_string_value(w), "write") ? LF_ACCESS_WRITE : 0;
		}
		free(norm);
	}
	return access;
}

static void compile_grant(struct ex *x, const char *principal, const char *type, const char *ms,
                          const char *name, json_t *privileges)
{
	char *addr = securable_address(type, ms, name);
	struct secnode *sec = addr ? lf_map_get(&x->secs, addr) : NULL;

	free(addr);
	if (!sec || !lf_kinds_find(x->m->kinds, "Grant"))
		return;
	int access = lf_privileges_access(x->m->kinds, privileges);
	reach_of(x, sec);
	/* kept with or without access: a later edit may give it some */
	if (x->out->keep_reach)
		keep_grant(x, principal, sec, access);
	uint32_t who = access ? principal_number(x, principal) : 0;
	for (int m = 0; m < 2; m++) {
		if (!(access & (m ? LF_ACCESS_WRITE : LF_ACCESS_READ)))
			continue;
		for (size_t i = 0; i < sec->nreach; i++)
			policy_add(x, principal, who, m, &sec->reach[i]);
	}
}

/*
 * Compile a grant once every securable is known: a catalog's owner reaches
 * the schemas declared after it, in locations of their own, too.
 */
static void compile_later(struct ex *x, const char *source, const char *principal, const char *type,
                          const char *ms, const char *name, json_t *privileges)
{
	json_array_append_new(x->later, json_pack("[s, s, s?, s, O, s]", principal, type, ms, name,
	                                          privileges, source));
}

static void compile_deferred(struct ex *x)
{
	size_t i;
	json_t *v;

	json_array_foreach (x->later, i, v) {
		x->source = json_string_value(json_array_get(v, 5));
		compile_grant(x, json_string_value(json_array_get(v, 0)),
		              json_string_value(json_array_get(v, 1)),
		              json_string_value(json_array_get(v, 2)),
		              json_string_value(json_array_get(v, 3)), json_array_get(v, 4));
	}
	x->source = NULL;
}

/*
 * The owner of a catalog, schema, volume or table holds every privilege on
 * it (Unity Catalog), so it reaches the storage as ALL_PRIVILEGES does.
 * `name` is the dotted name inside the metastore: "sales.raw".
 */
static void compile_owner(struct ex *x, const struct lf_resource *res, const char *type,
                          const char *name)
{
	const char *owner = str_at(res->value, "spec.owner");
	json_t *all = json_pack("[s]", "ALL_PRIVILEGES");

	if (owner)
		compile_later(x, res->address, owner, type, str_at(res->value, "spec.metastore"),
		              name, all);
	json_decref(all);
}

/* ---- manifest resources -------------------------------------------------- */

static void add_principal_dep(struct lf_dres *r, const char *p)
{
	char *a = p ? lf_principal_address(p) : NULL;
	if (a && strcmp(a, r->address))
		add_dep(r, a);
	free(a);
}

/* The manifest-level resource of `res`, with its reference dependencies. */
static struct lf_dres *add_manifest(struct ex *x, const struct lf_resource *res)
{
	json_t *inputs = json_object();
	json_t *meta = json_object_get(res->value, "metadata");
	json_t *spec = json_object_get(res->value, "spec");
	const struct lf_kind *k = res->kind;

	json_object_set_new(inputs, "metadata", meta ? json_incref(meta) : json_object());
	json_object_set_new(inputs, "spec", spec ? json_incref(spec) : json_object());
	struct lf_dres *r = add(x, k->lower, res->address + strlen(k->lower) + 1, "lakeform", NULL,
	                        inputs, res->doc);
	r->kind = k;
	r->prevent_destroy =
	    json_is_true(lf_json_path(res->value, "metadata.lifecycle.prevent_destroy"));
	lf_manifest_deps(x->m->kinds, res, r);
	return r;
}

void lf_manifest_deps(const struct lf_kinds *kinds, const struct lf_resource *res,
                      struct lf_dres *r)
{
	const struct lf_kind *k = res->kind;

	for (size_t i = 0; i < k->nrefs; i++) {
		const struct lf_kind_ref *ref = &k->refs[i];
		const struct lf_kind *t = lf_kinds_find(kinds, ref->kind);
		struct lf_buf a = LF_BUF_INIT;
		int complete = t != NULL;

		if (t)
			lf_buf_adds(&a, t->lower);
		for (size_t f = 0; f < ref->nfields && complete; f++) {
			const char *v = str_at(res->value, ref->fields[f]);
			if (!v)
				complete = 0;
			else
				lf_buf_addf(&a, "/%s", v);
		}
		if (complete)
			add_dep(r, lf_buf_cstr(&a));
		lf_buf_release(&a);
	}
	for (size_t i = 0; i < k->nprincipals; i++) {
		const char *path = k->principals[i];
		size_t n = strlen(path);
		if (n > 2 && !strcmp(path + n - 2, "[]")) {
			char *base = lf_xstrndup(path, n - 2);
			json_t *arr = lf_json_path(res->value, base), *v;
			size_t j;
			json_array_foreach (arr, j, v)
				add_principal_dep(r, json_string_value(v));
			free(base);
		} else {
			add_principal_dep(r, str_at(res->value, path));
		}
	}
}

static int kind_is(const struct lf_resource *r, const char *k)
{
	/* the first letter tells most kinds apart without a call */
	return r->kind->name[0] == k[0] && !strcmp(r->kind->name, k);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A User, Group or ServicePrincipal as a resource of the identity family:
 * the names and states a directory keeps.  A group's members are its
 * principals, sorted (the order of a manifest's list means nothing), and
 * each member's identity resource comes before the group.
 */
static void expand_identity(struct ex *x, const struct lf_resource *res, struct lf_dres *r)
{
	json_t *spec = json_object_get(res->value, "spec");
	const char *dn = json_string_value(json_object_get(spec, "display_name"));
	json_t *in;

	if (kind_is(res, "User")) {
		in = json_pack("{s:s, s:b}", "user_name", res->name, "active",
		               !json_is_false(json_object_get(spec, "active")));
		if (dn)
			json_object_set_new(in, "display_name", json_string(dn));
		add_child(x, r, "identity.user", res->name, in);
		return;
	}
	if (kind_is(res, "ServicePrincipal")) {
		const char *app = json_string_value(json_object_get(spec, "application_id"));
		in = json_pack("{s:s, s:b}", "name", res->name, "active", 1);
		if (app)
			json_object_set_new(in, "application_id", json_string(app));
		add_child(x, r, "identity.service_principal", res->name, in);
		return;
	}
	json_t *given = json_object_get(spec, "members"), *members = json_array(), *v;
	size_t i, n = json_array_size(given);
	const char **names = lf_xcalloc(n ? n : 1, sizeof(*names));
	json_array_foreach (given, i, v)
		names[i] = json_string_value(v);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++)
		json_array_append_new(members, json_string(names[i]));
	free(names);
	in = json_pack("{s:s, s:o}", "name", res->name, "members", members);
	struct lf_dres *g = add_child(x, r, "identity.group", res->name, in);
	json_array_foreach (members, i, v) {
		const char *p = json_string_value(v);
		const char *colon = strchr(p, ':');
		const char *type = !strncmp(p, "user:", 5)    ? "identity.user"
		                   : !strncmp(p, "group:", 6) ? "identity.group"
		                                              : "identity.service_principal";
		char *a = lf_xasprintf("%s/%s", type, colon + 1);
		if (strcmp(a, g->address))
			add_dep(g, a);
		free(a);
	}
}

static const char *region_of_account(const struct ex *x)
{
	return x->account ? str_at(x->account->value, "spec.default_storage.region") : "us-east-1";
}

/*
 * The root of the default storage in `region`: the account's bucket in its
 * own region; in another, "<bucket>-<region>" (lf_regional_bucket), a part
 * of the account made the first time a region needs it, with the account's
 * force_destroy, versioning, encryption and tags.
 */
static struct loc default_storage_in(struct ex *x, const char *region)
{
	char *name = lf_regional_bucket(x->default_storage.bucket, region_of_account(x), region);
	struct lf_dres *acct = x->account ? lf_desired_get(x->out, x->account->address) : NULL;

	if (acct && strcmp(name, x->default_storage.bucket)) {
		json_t *tags = x->tags;
		x->tags = x->account_tags;
		add_bucket(x, acct, name, region, "default-storage",
		           lf_json_path(x->account->value, "spec.default_storage"));
		x->tags = tags;
	}
	struct loc l = loc_make(name, "");
	free(name);
	return l;
}

static struct loc metastore_loc(struct ex *x, const struct lf_resource *ms)
{
	const char *b = str_at(ms->value, "spec.storage_root.bucket");
	const char *p = str_at(ms->value, "spec.storage_root.prefix");

	if (b)
		return loc_make(b, p ? p : "");
	struct loc l = default_storage_in(x, str_at(ms->value, "spec.region"));
	struct loc r = p ? loc_make(l.bucket, p) : loc_under(&l, "metastores/%s/", ms->name);
	loc_release(&l);
	return r;
}

/* Where a workspace keeps its data. */
static struct loc workspace_loc(struct ex *x, const struct lf_resource *w)
{
	const char *b = str_at(w->value, "spec.storage.bucket");

	if (b)
		return loc_make(b, "");
	struct loc l = default_storage_in(x, str_at(w->value, "spec.region"));
	struct loc r = loc_under(&l, "workspaces/%s/", w->name);
	loc_release(&l);
	return r;
}

static void expand_account(struct ex *x, const struct lf_resource *res, struct lf_dres *r)
{
	const char *b = str_at(res->value, "spec.default_storage.bucket");
	add_bucket(x, r, b, str_at(res->value, "spec.default_storage.region"), "default-storage",
	           lf_json_path(res->value, "spec.default_storage"));
}

static void expand_metastore(struct ex *x, const struct lf_resource *res, struct lf_dres *r)
{
	const char *b = str_at(res->value, "spec.storage_root.bucket");
	struct loc l = metastore_loc(x, res);

	if (b)
		add_bucket(x, r, b, str_at(res->value, "spec.region"), "metastore",
		           lf_json_path(res->value, "spec.storage_root"));
	if (*l.path)
		add_prefix(x, r, &l, "metastore");
	sec_add(x, res->address, l, NULL);
}

static void expand_catalog_like(struct ex *x, struct lf_dres *r, const char *kind,
                                const char *address, const char *parent_sec, const char *own_bucket,
                                const char *name)
{
	const struct secnode *p = lf_map_get(&x->secs, parent_sec);
	struct loc l;

	if (!p)
		return;
	if (!strcmp(kind, "catalog"))
		l = own_bucket ? loc_make(own_bucket, "") : loc_make(p->loc.bucket, p->loc.path);
	else
		l = own_bucket ? loc_make(own_bucket, "") : loc_make(p->loc.bucket, p->loc.path);
	struct loc full = own_bucket ? loc_under(&l, "%ss/%s/", kind, name)
	                             : loc_under(&l, "%ss/%s/", kind, name);
	loc_release(&l);
	add_prefix(x, r, &full, kind);
	sec_add(x, address, full, parent_sec);
}

static char *cat_address(const char *ms, const char *cat)
{
	return lf_xasprintf("catalog/%s/%s", ms, cat);
}

/* An IPv4 CIDR as base and mask: 0, or -1 when it is not one. */
static int cidr_parse(const char *s, uint32_t *base, uint32_t *mask)
{
	unsigned a, b, c, d, bits;
	char end;

	if (!s || sscanf(s, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &bits, &end) != 5 || a > 255 ||
	    b > 255 || c > 255 || d > 255 || bits > 32)
		return -1;
	*base = (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
	*mask = bits ? ~(uint32_t)0 << (32 - bits) : 0;
	return 0;
}

static int cidrs_overlap(const char *x, const char *y)
{
	uint32_t xb, xm, yb, ym;

	if (cidr_parse(x, &xb, &xm) || cidr_parse(y, &yb, &ym))
		return 0;
	uint32_t m = xm & ym; /* the shorter prefix */
	return (xb & m) == (yb & m);
}

/*
 * The name of classic workspace `res`'s network for `cidr` (see
 * lf_expand_recorded()): the recorded one with that CIDR; else a recorded
 * one whose CIDR overlaps it (the two cannot exist side by side: that one
 * is replaced); else the workspace's name for its first network, and
 * "<workspace>-a-b-c-d-len" for one made beside another.  A network name
 * has at most 63 characters: a long workspace name is cut to leave room.
 */
/* The recorded networks by workspace, [name, cidr] each: one pass over the
 * state (only network records are parsed) for all workspaces. */
static void index_networks(struct ex *x)
{
	x->nets_indexed = 1;
	for (size_t i = 0; x->st && i < x->st->nres; i++) {
		struct lf_state_res *rec = &x->st->res[i];
		if (rec->removed || !rec->type || strcmp(rec->type, "compute.network"))
			continue;
		if (rec->line && lf_state_res_parse(rec) != 0)
			continue;
		const char *name = strchr(rec->address, '/');
		if (!rec->parent || !name)
			continue;
		json_t *list = lf_map_get(&x->nets_of, rec->parent);
		if (!list) {
			list = json_array();
			lf_map_put(&x->nets_of, rec->parent, list);
		}
		json_array_append_new(list, json_pack("[s, O]", name + 1,
		                                      json_object_get(rec->inputs, "cidr")
		                                          ? json_object_get(rec->inputs, "cidr")
		                                          : json_null()));
	}
}

static char *classic_network_name(struct ex *x, const struct lf_resource *res, const char *cidr)
{
	const char *overlapping = NULL;
	size_t i;
	json_t *pair;

	if (!x->nets_indexed)
		index_networks(x);
	json_t *recorded = lf_map_get(&x->nets_of, res->address);
	json_array_foreach (recorded, i, pair) {
		const char *name = json_string_value(json_array_get(pair, 0));
		const char *had = json_string_value(json_array_get(pair, 1));
		if (had && !strcmp(had, cidr))
			return lf_xstrdup(name);
		if (had && cidrs_overlap(had, cidr))
			overlapping = name;
	}
	/* a network cannot be made beside one it overlaps: that one is
	 * replaced (its CIDR is force-new), its node pool with it */
	if (overlapping)
		return lf_xstrdup(overlapping);
	if (!json_array_size(recorded))
		return lf_xstrdup(res->name);
	char *tail = lf_xasprintf("-%s", cidr);
	for (char *p = tail; *p; p++)
		if (*p == '.' || *p == '/')
			*p = '-';
	size_t room = 63 - strlen(tail);
	char *name = lf_xasprintf("%.*s%s", (int)room, res->name, tail);
	free(tail);
	return name;
}

static void expand_workspace(struct ex *x, const struct lf_resource *res, struct lf_dres *r)
{
	const char *compute = str_at(res->value, "spec.compute");
	const char *region = str_at(res->value, "spec.region");
	const char *bucket = str_at(res->value, "spec.storage.bucket");
	int classic = compute && !strcmp(compute, "classic");
	struct loc wl = workspace_loc(x, res);

	if (bucket)
		add_bucket(x, r, bucket, region, "workspace",
		           lf_json_path(res->value, "spec.storage"));
	else
		add_prefix(x, r, &wl, "workspace");

	const char *cidr = classic ? str_at(res->value, "spec.network.cidr") : NULL;
	char *netname = cidr ? classic_network_name(x, res, cidr) : lf_xstrdup(res->name);
	json_t *net = json_pack("{s:s, s:s, s:s, s:b}", "name", netname, "region", region, "plane",
	                        classic ? "classic" : "serverless", "internal", !classic);
	if (classic)
		json_object_set_new(net, "cidr", json_string(cidr));
	struct lf_dres *n = add_part(x, r, "compute.network", netname, net, 1);
	if (classic) {
		json_t *np = lf_json_path(res->value, "spec.node_pool");
		json_t *nodes = json_object_get(np, "nodes");
		json_t *cpus = json_object_get(np, "cpus");
		json_t *mem = json_object_get(np, "memory_mb");
		const char *image = json_string_value(json_object_get(np, "image"));
		/* the schema's defaults, when the manifest has no node_pool at all */
		json_t *defs = lf_json_path(res->kind->schema,
		                            "properties.spec.properties.node_pool.properties");
		json_t *pool =
		    json_pack("{s:s, s:s, s:O, s:O, s:O, s:s}", "name", res->name, "network",
		              netname, "nodes", nodes ? nodes : lf_json_path(defs, "nodes.default"),
		              "cpus", cpus ? cpus : lf_json_path(defs, "cpus.default"), "memory_mb",
		              mem ? mem : lf_json_path(defs, "memory_mb.default"), "image",
		              image ? image : str_at(defs, "image.default"));
		if (pool) {
			struct lf_dres *p = add_child(x, r, "compute.node_pool", res->name, pool);
			add_dep(p, n->address);
		}
	}
	free(netname);
	sec_add(x, res->address, wl, NULL);
}

json_t *lf_workspace_grant(const char *ws, const char *ms, const char *cat, const char *p,
                           char **name, json_t **on_catalog, json_t **on_schema)
{
	char *dotted = lf_xasprintf("%s.default", cat);

	*on_catalog = json_pack("[s]", "USE_CATALOG");
	*on_schema =
	    json_pack("[s,s,s,s]", "USE_SCHEMA", "CREATE_TABLE", "CREATE_VOLUME", "CREATE_FUNCTION");
	*name = lf_xasprintf("workspace:%s:%s", ws, p);
	json_t *in = json_pack("{s:{s:s, s:[{s:s, s:s, s:s, s:O}, {s:s, s:s, s:s, s:O}]}}", "spec",
	                       "principal", p, "securables", "type", "catalog", "metastore", ms,
	                       "name", cat, "privileges", *on_catalog, "type", "schema",
	                       "metastore", ms, "name", dotted, "privileges", *on_schema);
	free(dotted);
	return in;
}

/* The workspace catalog, its 'default' schema and the grants to its users. */
static void expand_workspace_catalog(struct ex *x, const struct lf_resource *res,
                                     struct lf_dres *wr)
{
	const char *ms = str_at(res->value, "spec.metastore");
	const struct secnode *ws = lf_map_get(&x->secs, res->address);

	if (!ms || !ws || json_is_false(lf_json_path(res->value, "spec.workspace_catalog")))
		return;
	char *cat = lf_xstrdup(res->name);
	for (char *p = cat; *p; p++)
		if (*p == '-')
			*p = '_';
	char *caddr = cat_address(ms, cat);
	char *saddr = lf_xasprintf("schema/%s/%s/default", ms, cat);

	json_t *cin = json_pack("{s:{s:s}, s:{s:s, s:s}}", "metadata", "name", cat, "spec",
	                        "metastore", ms, "comment", "workspace catalog");
	json_t *admins = lf_json_path(res->value, "spec.admins");
	if (json_array_size(admins))
		json_object_set(json_object_get(cin, "spec"), "owners", admins);
	struct lf_dres *c = add(x, "catalog", caddr + 8, "lakeform", wr->address, cin, res->doc);
	c->kind = lf_kinds_find(x->m->kinds, "Catalog");
	c->implicit = 1;
	c->prevent_destroy = wr->prevent_destroy;
	add_dep(c, wr->address);
	char *msaddr = lf_xasprintf("metastore/%s", ms);
	add_dep(c, msaddr);
	free(msaddr);
	struct loc cl = loc_under(&ws->loc, "catalogs/%s/", cat);
	add_prefix(x, c, &cl, "catalog");
	sec_add(x, caddr, cl, NULL);

	json_t *sin = json_pack("{s:{s:s}, s:{s:s, s:s}}", "metadata", "name", "default", "spec",
	                        "metastore", ms, "catalog", cat);
	struct lf_dres *s = add(x, "schema", saddr + 7, "lakeform", wr->address, sin, res->doc);
	s->kind = lf_kinds_find(x->m->kinds, "Schema");
	s->implicit = 1;
	s->prevent_destroy = wr->prevent_destroy;
	add_dep(s, c->address);
	struct loc sl = loc_under(&cl, "schemas/default/");
	add_prefix(x, s, &sl, "schema");
	sec_add(x, saddr, sl, caddr);

	/* every user (and admin) may use the catalog and create assets in
	 * 'default', as in Databricks: what they create is theirs, what the
	 * others create is not */
	json_t *who = json_array();
	json_array_extend(who, lf_json_path(res->value, "spec.users"));
	json_array_extend(who, lf_json_path(res->value, "spec.admins"));
	size_t i;
	json_t *v;
	char *dotted = lf_xasprintf("%s.default", cat);
	json_array_foreach (who, i, v) {
		const char *p = json_string_value(v);
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(json_string_value(json_array_get(who, j)), p);
		if (dup)
			continue;
		json_t *privs_c, *privs_s;
		char *gname;
		json_t *gin = lf_workspace_grant(res->name, ms, cat, p, &gname, &privs_c, &privs_s);
		struct lf_dres *g = add(x, "grant", gname, "lakeform", wr->address, gin, res->doc);
		g->kind = lf_kinds_find(x->m->kinds, "Grant");
		g->implicit = 1;
		add_dep(g, c->address);
		add_dep(g, s->address);
		add_principal_dep(g, p);
		compile_later(x, g->address, p, "catalog", ms, cat, privs_c);
		compile_later(x, g->address, p, "schema", ms, dotted, privs_s);
		free(gname);
		json_decref(privs_c);
		json_decref(privs_s);
	}
	/* the workspace's admins own its catalog: every privilege on it */
	json_t *all = json_pack("[s]", "ALL_PRIVILEGES");
	json_array_foreach (lf_json_path(res->value, "spec.admins"), i, v)
		compile_later(x, wr->address, json_string_value(v), "catalog", ms, cat, all);
	json_decref(all);
	free(dotted);
	json_decref(who);
	free(cat);
	free(caddr);
	free(saddr);
}

/* ---- the whole set ---------------------------------------------------------- */

/* The account's tags with a workspace's over them: a new object. */
static json_t *merged_tags(json_t *account, json_t *workspace)
{
	json_t *t = json_is_object(account) ? json_deep_copy(account) : json_object();

	if (json_is_object(workspace))
		json_object_update(t, workspace);
	return t;
}

/* By path, principal, access ("read" before "write"): by their texts'
 * ranks, which policy_item() sets. */
static int cmp_statement(const void *a, const void *b)
{
	const struct stmt *x = a, *y = b;

	if (x->where != y->where)
		return x->where < y->where ? -1 : 1;
	if (x->who != y->who)
		return x->who < y->who ? -1 : 1;
	return x->write - y->write;
}

/* ---- policy compaction (issue 14, item 9) ---------------------------------
 * A bucket policy keeps each (principal, access, path) once, and drops a
 * statement that another of the same principal already grants: one on a
 * path above it (or the same path) with the same access, or write.  The
 * provider then writes one document statement per principal and access
 * (src/util/s3policy.c); lf_expand_check_policies() measures that document
 * against the store's limit, so a policy AWS would refuse fails the plan. */

#define ACCESS_READ 1
#define ACCESS_WRITE 2

/* By principal, path, access: compact_statements()'s walk (by ranks). */
static int cmp_by_principal(const void *a, const void *b)
{
	const struct stmt *x = *(const struct stmt *const *)a, *y = *(const struct stmt *const *)b;

	if (x->who != y->who)
		return x->who < y->who ? -1 : 1;
	if (x->where != y->where)
		return x->where < y->where ? -1 : 1;
	return x->write - y->write;
}

/* Whether `outer` is a path above `inner` (paths are "" or end in '/'). */
static int path_above(const char *outer, const char *inner)
{
	size_t n = strlen(outer);

	return (!n || outer[n - 1] == '/') && !strncmp(outer, inner, n) && inner[n];
}

/*
 * The sorted statements `st` without duplicates and without what another
 * already grants: a new array of `*k` statement objects.
 *
 * Each principal's statements are walked by path, so a path's ancestors
 * come before it: a stack holds the paths above the current one, each with
 * the access granted on it or on a path above it.
 */
static json_t *compact_statements(const struct stmt *st, size_t m, size_t *k)
{
	const struct stmt **by = lf_xcalloc(m + 1, sizeof(*by));
	char *drop = lf_xcalloc(m + 1, 1);
	struct above {
		const char *path;
		int access; /* granted on it or above it */
	} *stack = lf_xcalloc(m + 1, sizeof(*stack));
	size_t depth = 0;
	json_t *uniq = json_array();

	for (size_t j = 0; j < m; j++)
		by[j] = &st[j];
	qsort(by, m, sizeof(*by), cmp_by_principal);
	for (size_t j = 0; j < m;) {
		/* the run of one principal and path */
		size_t e = j + 1;
		int here = 0;
		while (e < m &&
		       (by[e]->principal == by[j]->principal ||
		        !strcmp(by[e]->principal, by[j]->principal)) &&
		       (by[e]->path == by[j]->path || !strcmp(by[e]->path, by[j]->path)))
			e++;
		if (j == 0 || (by[j]->principal != by[j - 1]->principal &&
		               strcmp(by[j]->principal, by[j - 1]->principal)))
			depth = 0; /* another principal */
		while (depth && !path_above(stack[depth - 1].path, by[j]->path))
			depth--;
		int above = depth ? stack[depth - 1].access : 0;
		for (size_t i = j; i < e; i++)
			here |= by[i]->write ? ACCESS_WRITE : ACCESS_READ;
		for (size_t i = j; i < e; i++) {
			int write = by[i]->write;
			/* above it, or a write on the same path for a read */
			if ((above & ACCESS_WRITE) || (!write && above) ||
			    (!write && (here & ACCESS_WRITE)))
				drop[by[i] - st] = 1;
		}
		stack[depth].path = by[j]->path;
		stack[depth++].access = here | above;
		j = e;
	}
	for (size_t j = 0; j < m; j++) {
		if (drop[j] || (j && !cmp_statement(&st[j - 1], &st[j])))
			continue; /* covered, or the same grant twice */
		json_t *o = json_object();
		json_object_set_new(o, "principal", json_string(st[j].principal));
		json_object_set_new(o, "access", json_string(st[j].write ? "write" : "read"));
		json_object_set_new(o, "path", json_string(st[j].path));
		json_array_append_new(uniq, o);
		(*k)++;
	}
	free(stack);
	free(drop);
	free(by);
	return uniq;
}

static const char *arn_or_name(void *arg, const char *principal)
{
	const char *arn = json_string_value(json_object_get(arg, principal));

	/* unmapped: the provider refuses it at validate; measured by its name */
	return arn ? arn : principal;
}

struct contributor {
	const char *principal;
	size_t bytes;
};

static int cmp_contributor(const void *a, const void *b)
{
	const struct contributor *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->principal, y->principal);
}

/* Bytes of the document for `statements` as s3policy.c writes it. */
static size_t policy_bytes(const char *bucket, const json_t *statements, const json_t *arns,
                           const char *id)
{
	json_t *doc = s3_policy_compile(bucket, id, statements, arn_or_name, (void *)arns, NULL);
	char *text = doc ? s3_policy_text(doc) : NULL;
	size_t n = text ? strlen(text) : 0;

	free(text);
	json_decref(doc);
	return n;
}

int lf_expand_check_policies(const struct lf_desired *ds, const json_t *settings,
                             struct lf_diags *d)
{
	const json_t *storage = json_object_get(json_object_get(settings, "providers"), "storage");
	const json_t *conf = json_object_get(storage, "settings");
	const json_t *max = json_object_get(conf, "policy_max_bytes");
	const json_t *arns = json_object_get(conf, "principals");
	const char *name = json_string_value(json_object_get(storage, "name"));
	int failed = 0;

	if (max && (!json_is_integer(max) || json_integer_value(max) < 1)) {
		lf_diag_error(d, NULL,
		              "lakeform.yaml: providers.storage.settings.policy_max_bytes: write a "
		              "number of bytes, such as 20480");
		return -1;
	}
	if (!max && (!name || strcmp(name, "s3")))
		return 0; /* a store without a known limit */
	size_t limit = max ? (size_t)json_integer_value(max) : LF_POLICY_MAX_BYTES;
	for (size_t i = 0; i < ds->n; i++) {
		const struct lf_dres *r = ds->v[i];
		if (strcmp(r->type, "storage.policy"))
			continue;
		const char *bucket = json_string_value(json_object_get(r->inputs, "bucket"));
		const json_t *sts = json_object_get(r->inputs, "statements");
		/* the Id as the provider writes it */
		char *id = lf_xasprintf("lakeform/account=%s;lakeform/address=%s", ds->account,
		                        r->address);
		size_t bytes = policy_bytes(bucket, sts, arns, id);
		if (bytes <= limit) {
			free(id);
			continue;
		}
		/* each principal's share: the document of its statements alone,
		 * less the document's frame */
		size_t frame = policy_bytes(bucket, NULL, arns, id), n = 0, j;
		struct contributor *c = lf_xcalloc(json_array_size(sts) + 1, sizeof(*c));
		json_t *s;
		json_array_foreach (sts, j, s) {
			const char *who = json_string_value(json_object_get(s, "principal"));
			size_t k;
			for (k = 0; k < n && strcmp(c[k].principal, who); k++)
				;
			if (k == n) {
				json_t *mine = json_array();
				size_t jj;
				json_t *t;
				json_array_foreach (sts, jj, t)
					if (!strcmp(
					        json_string_value(json_object_get(t, "principal")),
					        who))
						json_array_append(mine, t);
				c[n].principal = who;
				c[n++].bytes = policy_bytes(bucket, mine, arns, id) - frame;
				json_decref(mine);
			}
		}
		qsort(c, n, sizeof(*c), cmp_contributor);
		struct lf_buf top = LF_BUF_INIT;
		for (j = 0; j < n && j < 5; j++)
			lf_buf_addf(&top, "%s'%s' %zu bytes", j ? ", " : "", c[j].principal,
			            c[j].bytes);
		lf_diag_error(
		    d, r->doc ? &r->doc->pos : NULL,
		    "the policy of bucket '%s' would be %zu bytes, over the store's limit "
		    "of %zu (providers.storage.settings.policy_max_bytes): grant fewer "
		    "paths or grant to groups; the largest principals: %s%s",
		    bucket, bytes, limit, lf_buf_cstr(&top), n > 5 ? ", ..." : "");
		lf_buf_release(&top);
		free(c);
		free(id);
		failed = 1;
	}
	return failed ? -1 : 0;
}
/* ---- end of policy compaction ------------------------------------------- */

/* A bucket's policy as emit_policies() adds it: its compacted statements
 * and its principals' addresses, each once, in statement order. */
struct policy_slot {
	const uint32_t *rank; /* principal number -> rank of its text (shared) */
	const char *bucket;   /* the key in ex.policies (borrowed) */
	struct bucket_stmts *b;
	json_t *uniq;
	size_t k;
	char **deps;
	size_t ndeps;
};

static int cmp_slot(const void *a, const void *b)
{
	return strcmp(((const struct policy_slot *)a)->bucket,
	              ((const struct policy_slot *)b)->bucket);
}

struct path_rank {
	const char *path;
	size_t at; /* a statement's index, or a distinct path's */
};

static int cmp_path_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct path_rank *)a)->path,
	          y = (uintptr_t)((const struct path_rank *)b)->path;

	return x < y ? -1 : x > y;
}

static int cmp_path_text(const void *a, const void *b)
{
	return strcmp(((const struct path_rank *)a)->path, ((const struct path_rank *)b)->path);
}

/*
 * Each statement's `where`: its path's rank in the order of the paths'
 * texts (equal texts, equal ranks).  The statements borrow a securable's
 * path each, so there are few distinct ones: those are sorted by text, and
 * the statements' sorts then compare numbers, not strings that lie all
 * over the heap (a regional bucket's policy holds a statement for each of
 * its region's grants: the two sorts by strcmp were most of the compaction,
 * and grew faster than the account).
 */
static void rank_paths(struct stmt *v, size_t m)
{
	struct path_rank *u = lf_xcalloc(m + 1, sizeof(*u));
	struct path_rank *d = lf_xcalloc(m + 1, sizeof(*d));
	size_t *group = lf_xcalloc(m + 1, sizeof(*group));
	uint32_t *rank = lf_xcalloc(m + 1, sizeof(*rank));
	size_t k = 0;

	for (size_t j = 0; j < m; j++)
		u[j] = (struct path_rank){v[j].path, j};
	/* the statements by their path's address: a run for each path */
	qsort(u, m, sizeof(*u), cmp_path_address);
	for (size_t j = 0; j < m; j++) {
		if (!k || u[j].path != d[k - 1].path) {
			d[k] = (struct path_rank){u[j].path, k};
			k++;
		}
		group[j] = k - 1;
	}
	/* the distinct paths by text */
	qsort(d, k, sizeof(*d), cmp_path_text);
	for (size_t j = 0, r = 0; j < k; j++) {
		if (j && strcmp(d[j - 1].path, d[j].path))
			r++;
		rank[d[j].at] = (uint32_t)r;
	}
	for (size_t j = 0; j < m; j++)
		v[u[j].at].where = rank[group[j]];
	free(rank);
	free(group);
	free(d);
	free(u);
}

/* Bucket `b`'s statements, their `who` the ranks of their principals'
 * texts, sorted and compacted into *uniq (*k of them), and the addresses
 * of their principals, each once, in statement order (*deps). */
static void compile_bucket(struct bucket_stmts *b, json_t **uniq, size_t *k, char ***deps,
                           size_t *ndeps)
{
	/* a policy may hold a statement per grant: each principal once,
	 * checked against `seen` rather than by a linear search, which made
	 * a policy of P principals cost P^2 */
	struct lf_map seen = LF_MAP_INIT;

	rank_paths(b->v, b->n);
	qsort(b->v, b->n, sizeof(*b->v), cmp_statement);
	*k = 0;
	*uniq = compact_statements(b->v, b->n, k);
	*deps = lf_xcalloc(*k + 1, sizeof(**deps));
	*ndeps = 0;
	for (size_t j = 0; j < *k; j++) {
		const char *who =
		    json_string_value(json_object_get(json_array_get(*uniq, j), "principal"));
		char *a = who && !lf_map_get(&seen, who) ? lf_principal_address(who) : NULL;
		if (a) {
			lf_map_put(&seen, who, (void *)1);
			(*deps)[(*ndeps)++] = a;
		}
	}
	lf_map_release(&seen);
}

/* lf_par_for's item: bucket i's statements sorted and compacted, and the
 * addresses of their principals.  It reads only its bucket's statements
 * and the strings they borrow, and the principals' ranks, and writes only
 * its slot. */
static void policy_item(void *arg, size_t i)
{
	struct policy_slot *s = (struct policy_slot *)arg + i;
	struct bucket_stmts *b = s->b;

	for (size_t j = 0; j < b->n; j++)
		b->v[j].who = s->rank[b->v[j].who];
	compile_bucket(b, &s->uniq, &s->k, &s->deps, &s->ndeps);
}

static int cmp_principal_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void emit_policies(struct ex *x)
{
	/* buckets in name order, so the plan does not depend on hash order */
	struct policy_slot *slots = lf_xcalloc(x->policies.n + 1, sizeof(*slots));
	size_t n = 0;
	/* the principals' ranks in the order of their texts (all differ) */
	uint32_t *rank = lf_xcalloc(x->nprincipals + 1, sizeof(*rank));
	const char **by_text = lf_xcalloc(x->nprincipals + 1, sizeof(*by_text));

	for (size_t i = 0; i < x->nprincipals; i++)
		by_text[i] = x->principal_v[i];
	qsort(by_text, x->nprincipals, sizeof(*by_text), cmp_principal_text);
	for (size_t i = 0; i < x->nprincipals; i++)
		rank[(uintptr_t)lf_map_get(&x->principal_ids, by_text[i]) - 1] = (uint32_t)i;
	free(by_text);
	for (size_t i = 0; i < x->policies.cap; i++)
		if (x->policies.v[i].key) {
			slots[n].rank = rank;
			slots[n].bucket = x->policies.v[i].key;
			slots[n++].b = x->policies.v[i].value;
		}
	qsort(slots, n, sizeof(*slots), cmp_slot);
	/* the buckets' compaction on both cores; then added here, in order */
	lf_par_for(n, policy_item, slots);
	for (size_t i = 0; i < n; i++) {
		struct policy_slot *s = &slots[i];
		struct bucket_stmts *b = s->b;
		const char *owner = lf_map_get(&x->policy_owner, s->bucket);
		struct lf_dres *parent = owner ? lf_desired_get(x->out, owner) : NULL;
		if (!parent) {
			/* a bucket lakeform does not declare: rules.c reported it */
			json_decref(s->uniq);
			for (size_t j = 0; j < s->ndeps; j++)
				free(s->deps[j]);
			free(s->deps);
			continue;
		}
		struct lf_dres *p =
		    add_child(x, parent, "storage.policy", s->bucket,
		              json_pack("{s:s, s:o}", "bucket", s->bucket, "statements", s->uniq));
		/* what its statements come from: the plan shows a change of it
		 * under the grant that caused it */
		p->sources = lf_xcalloc(b->nsources + 1, sizeof(*p->sources));
		for (size_t j = 0; j < b->nsources; j++)
			p->sources[j] = lf_xstrdup(b->sources[j]);
		p->nsources = p->sources_alloc = b->nsources;
		char *ba = lf_xasprintf("storage.bucket/%s", s->bucket);
		add_dep(p, ba);
		free(ba);
		/* the only other dependency is the bucket, never a principal's
		 * address: the principals go in without a search, handed over */
		for (size_t j = 0; j < s->ndeps; j++) {
			LF_GROW(p->deps, p->ndeps + 1, p->deps_alloc);
			p->deps[p->ndeps++] = s->deps[j];
		}
		free(s->deps);
	}
	free(slots);
	free(rank);
}

/* lf_par_for's item: the digest of resource i's inputs */
static void digest_item(void *arg, size_t i)
{
	struct lf_desired *out = arg;

	lf_json_sha256_hex(out->v[i]->inputs, out->v[i]->digest);
}

int lf_expand(struct lf_desired *out, const struct lf_manifest *m, struct lf_diags *d)
{
	return lf_expand_recorded(out, m, NULL, d);
}

int lf_expand_recorded(struct lf_desired *out, const struct lf_manifest *m, struct lf_state *st,
                       struct lf_diags *d)
{
	struct ex x;
	size_t errors = d->errors;

	memset(&x, 0, sizeof(x));
	x.sec_gen = 1; /* no securable's subtree_within() known yet (gen 0) */
	x.st = st;
	x.m = m;
	x.out = out;
	x.d = d;
	for (size_t i = 0; i < m->nres; i++)
		if (kind_is(&m->res[i], "Account"))
			x.account = &m->res[i];
	out->account = lf_xstrdup(x.account ? x.account->name : "");
	json_t *account_tags = x.account ? lf_json_path(x.account->value, "spec.tags") : NULL;
	x.account_tags = account_tags;
	x.later = json_array();
	x.default_storage = loc_make(
	    x.account ? str_at(x.account->value, "spec.default_storage.bucket") : "default", "");

	/* Order matters only for locations: metastores and workspaces first,
	 * then catalogs, schemas, volumes (parents before children). */
	static const char *const passes[] = {
	    "Account", "User", "Group", "ServicePrincipal", "Metastore", "Workspace", "Catalog",
	    "Schema", "Volume", "Table", "Grant", "SSO",
	    /* recorded, so a plan with nothing else changed still prices */
	    "PriceList", "Budget"};
	enum { NPASSES = sizeof(passes) / sizeof(*passes) };
	/* the resources of each pass, in the manifests' order: a counting
	 * sort by pass, rather than a walk of them all for each pass */
	size_t start[NPASSES + 1] = {0};
	unsigned char *pass_of = lf_xmalloc(m->nres + 1);
	size_t *order = lf_xcalloc(m->nres + 1, sizeof(*order));
	for (size_t i = 0; i < m->nres; i++) {
		size_t p = 0;
		while (p < NPASSES && !kind_is(&m->res[i], passes[p]))
			p++;
		pass_of[i] = (unsigned char)p;
		if (p < NPASSES)
			start[p + 1]++;
	}
	for (size_t p = 0; p < NPASSES; p++)
		start[p + 1] += start[p];
	size_t fill[NPASSES];
	memcpy(fill, start, sizeof(fill));
	for (size_t i = 0; i < m->nres; i++)
		if (pass_of[i] < NPASSES)
			order[fill[pass_of[i]]++] = i;
	free(pass_of);
	for (size_t p = 0; p < NPASSES; p++) {
		for (size_t o = start[p]; o < start[p + 1]; o++) {
			const struct lf_resource *res = &m->res[order[o]];
			struct lf_dres *r = add_manifest(&x, res);
			const char *ms = str_at(res->value, "spec.metastore");
			json_t *ws_tags = NULL;
			x.tags = account_tags;
			if (kind_is(res, "Workspace")) {
				ws_tags = merged_tags(account_tags,
				                      lf_json_path(res->value, "spec.tags"));
				x.tags = ws_tags;
			}
			const char *own = str_at(res->value, "spec.storage_root.bucket");
			if (kind_is(res, "Account")) {
				expand_account(&x, res, r);
			} else if (kind_is(res, "User") || kind_is(res, "Group") ||
			           kind_is(res, "ServicePrincipal")) {
				if (out->identities)
					expand_identity(&x, res, r);
			} else if (kind_is(res, "Metastore")) {
				expand_metastore(&x, res, r);
			} else if (kind_is(res, "Workspace")) {
				expand_workspace(&x, res, r);
				expand_workspace_catalog(&x, res, r);
			} else if (kind_is(res, "Catalog")) {
				char *msa = lf_xasprintf("metastore/%s", ms);
				expand_catalog_like(&x, r, "catalog", res->address, msa, own,
				                    res->name);
				compile_owner(&x, res, "catalog", res->name);
				free(msa);
			} else if (kind_is(res, "Schema")) {
				char *ca = cat_address(ms, str_at(res->value, "spec.catalog"));
				expand_catalog_like(&x, r, "schema", res->address, ca, own,
				                    res->name);
				char *dn = lf_xasprintf("%s.%s", str_at(res->value, "spec.catalog"),
				                        res->name);
				compile_owner(&x, res, "schema", dn);
				free(dn);
				free(ca);
			} else if (kind_is(res, "Volume") || kind_is(res, "Table")) {
				const char *vt = kind_is(res, "Volume") ? "volume" : "table";
				char *sa = lf_xasprintf("schema/%s/%s/%s", ms,
				                        str_at(res->value, "spec.catalog"),
				                        str_at(res->value, "spec.schema"));
				const char *ext = str_at(res->value, "spec.storage_location");
				const struct secnode *sp = lf_map_get(&x.secs, sa);
				if (ext && !strncmp(ext, "s3://", 5)) {
					const char *slash = strchr(ext + 5, '/');
					char *b =
					    slash ? lf_xstrndup(ext + 5, (size_t)(slash - ext - 5))
					          : lf_xstrdup(ext + 5);
					sec_add(&x, res->address,
					        loc_make(b, slash ? slash + 1 : ""), sa);
					free(b);
				} else if (sp) {
					struct loc l =
					    loc_under(&sp->loc, "%ss/%s/", vt, res->name);
					if (kind_is(res, "Volume"))
						add_prefix(&x, r, &l, "volume");
					sec_add(&x, res->address, l, sa);
				}
				char *dn =
				    lf_xasprintf("%s.%s.%s", str_at(res->value, "spec.catalog"),
				                 str_at(res->value, "spec.schema"), res->name);
				compile_owner(&x, res, vt, dn);
				free(dn);
				free(sa);
			} else if (kind_is(res, "Grant")) {
				const char *type = str_at(res->value, "spec.securable.type");
				const char *name = str_at(res->value, "spec.securable.name");
				const char *sms = str_at(res->value, "spec.securable.metastore");
				const char *principal = str_at(res->value, "spec.principal");
				char *sa = type && name ? securable_address(type, sms, name) : NULL;
				if (sa && strncmp(sa, "bucket/", 7))
					add_dep(r, sa);
				if (type && !strcmp(type, "metastore")) {
					char *ma = lf_xasprintf("metastore/%s", name);
					add_dep(r, ma);
					free(ma);
				}
				if (type && !strcmp(type, "bucket") && !lf_map_get(&x.secs, sa))
					sec_add(&x, sa, loc_make(name, ""), NULL);
				free(sa);
				x.source = res->address;
				x.source_ds = r->address;
				if (type && name && principal)
					compile_grant(&x, principal, type, sms, name,
					              lf_json_path(res->value, "spec.privileges"));
			}
			json_decref(ws_tags);
			x.tags = NULL;
		}
	}
	free(order);
	x.source_ds = NULL;
	compile_deferred(&x);
	emit_policies(&x); /* its statements borrow the principals of x.later */
	json_decref(x.later);

	/* each resource's digest on whichever core: they read only */
	lf_par_for(out->n, digest_item, out);

	/* release the working maps */
	for (size_t i = 0; i < x.secs.cap; i++) {
		struct secnode *n = x.secs.v[i].key ? x.secs.v[i].value : NULL;
		if (!n)
			continue;
		free(n->address);
		loc_release(&n->loc);
		free(n->children);
		free(n->reach);
		free(n);
	}
	lf_map_release(&x.secs);
	for (size_t i = 0; i < x.policies.cap; i++) {
		struct bucket_stmts *b = x.policies.v[i].key ? x.policies.v[i].value : NULL;
		if (!b)
			continue;
		free(b->v);
		free(b->sources);
		lf_map_release(&b->seen);
		free(b);
	}
	lf_map_release(&x.policies);
	lf_map_release(&x.policy_owner);
	lf_map_release(&x.principal_ids);
	free(x.principal_v);
	for (size_t i = 0; i < x.nets_of.cap; i++)
		if (x.nets_of.v[i].key)
			json_decref(x.nets_of.v[i].value);
	lf_map_release(&x.nets_of);
	loc_release(&x.default_storage);
	return x.failed || d->errors > errors ? -1 : 0;
}

json_t *lf_reach_policy(const struct lf_reach *r, const char *bucket, char ***deps, size_t *ndeps,
                        char ***sources, size_t *nsources)
{
	struct bucket_stmts b;
	struct lf_map seen = LF_MAP_INIT; /* sources, then principals: text -> rank + 1 */
	size_t salloc = 0, np = 0;
	const char **texts;
	json_t *uniq;
	size_t k;

	memset(&b, 0, sizeof(b));
	b.v = lf_xcalloc(1, sizeof(*b.v)); /* none may come */
	b.alloc = 1;
	*sources = NULL;
	*nsources = 0;
	/* the statements as compile_grant() adds them, grant by grant */
	for (size_t g = 0; g < r->n; g++) {
		const struct lf_reach_grant *e = &r->v[g];
		const struct lf_reach_sec *sec = &r->secs[e->sec];
		int added = 0;
		for (int m = 0; m < 2; m++) {
			if (!(e->access & (m ? LF_ACCESS_WRITE : LF_ACCESS_READ)))
				continue;
			for (size_t i = 0; i < sec->n; i++) {
				if (strcmp(sec->locs[i].bucket, bucket))
					continue;
				LF_GROW(b.v, b.n + 1, b.alloc);
				b.v[b.n++] =
				    (struct stmt){e->principal, sec->locs[i].path, m, 0, 0};
				added = 1;
			}
		}
		if (added && !lf_map_get(&seen, e->source)) {
			lf_map_put(&seen, e->source, (void *)1);
			LF_GROW(*sources, *nsources + 1, salloc);
			(*sources)[(*nsources)++] = lf_xstrdup(e->source);
		}
	}
	lf_map_release(&seen);
	/* the principals' ranks among this bucket's: the order of their texts,
	 * as emit_policies() ranks them among all */
	texts = lf_xcalloc(b.n + 1, sizeof(*texts));
	for (size_t j = 0; j < b.n; j++)
		if (!lf_map_add(&seen, b.v[j].principal, (void *)1))
			texts[np++] = b.v[j].principal;
	qsort(texts, np, sizeof(*texts), cmp_str);
	for (size_t j = 0; j < np; j++)
		lf_map_put(&seen, texts[j], (void *)(uintptr_t)(j + 1));
	for (size_t j = 0; j < b.n; j++)
		b.v[j].who = (uint32_t)((uintptr_t)lf_map_get(&seen, b.v[j].principal) - 1);
	lf_map_release(&seen);
	free(texts);
	compile_bucket(&b, &uniq, &k, deps, ndeps);
	free(b.v);
	return uniq;
}

const char *lf_reach_intern(struct lf_reach *r, const char *text)
{
	char *have = lf_map_get(&r->strings, text);

	if (!have) {
		have = lf_xstrdup(text);
		lf_map_put(&r->strings, text, have);
	}
	return have;
}

void lf_reach_release(struct lf_reach *r)
{
	for (size_t i = 0; i < r->nsecs; i++) {
		for (size_t j = 0; j < r->secs[i].n; j++) {
			free(r->secs[i].locs[j].bucket);
			free(r->secs[i].locs[j].path);
		}
		free(r->secs[i].locs);
		free(r->secs[i].address);
	}
	free(r->secs);
	free(r->v);
	for (size_t i = 0; i < r->strings.cap; i++)
		if (r->strings.v[i].key)
			free(r->strings.v[i].value);
	lf_map_release(&r->strings);
	memset(r, 0, sizeof(*r));
}

struct lf_dres *lf_desired_get(const struct lf_desired *ds, const char *address)
{
	uintptr_t i = (uintptr_t)lf_map_get(&ds->index, address);
	return i ? ds->v[i - 1] : NULL;
}

void lf_dres_free(struct lf_dres *r)
{
	if (!r)
		return;
	free(r->address);
	free(r->type);
	free(r->name);
	free(r->provider);
	free(r->parent);
	json_decref(r->inputs);
	for (size_t j = 0; j < r->nsources; j++)
		free(r->sources[j]);
	free(r->sources);
	for (size_t j = 0; j < r->ndeps; j++)
		free(r->deps[j]);
	free(r->deps);
	free(r);
}

void lf_desired_release(struct lf_desired *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		lf_dres_free(ds->v[i]);
	free(ds->v);
	lf_map_release(&ds->index);
	free(ds->account);
	lf_reach_release(&ds->reach);
	memset(ds, 0, sizeof(*ds));
}
