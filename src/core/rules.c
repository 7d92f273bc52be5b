/*
 * rules.c - the rules of DESIGN.md section 1 that span documents.
 *
 * References, principals and naming come from the schemas' annotations, the
 * privileges from Grant's x-lakeform-privileges table and the regions from
 * regions.json; the rules that are about the domain itself (Unity Catalog's
 * names without case, one metastore per region, regions that exist and
 * data that stays in them, S3 bucket names, CIDRs, external locations out
 * of managed storage, unique identities, privileges on securables, group
 * cycles) are written out here, one function each.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cost.h"
#include "manifest.h"
#include "sso.h"
#include "../util/buf.h"
#include "../util/mem.h"
#include "../util/par.h"

/*
 * The fields of a Grant that several checks read, looked up once: at
 * 100,000 resources most are Grants, and each walk of a jansson tree is a
 * chain of cache misses.
 */
struct grant_facts {
	const char *type, *name, *ms, *principal; /* spec.securable.*, spec.principal */
};

struct ctx {
	const struct lf_manifest *m;
	struct lf_diags *d;
	/* what the manifests declare without a document of its own */
	struct lf_map implicit;     /* address -> the workspace that implies it */
	struct lf_map buckets;      /* bucket name -> the resource declaring it */
	struct grant_facts *grants; /* per resource; zero but for Grants */
};

static struct lf_pos pos_of(const struct ctx *c, const struct lf_resource *r, const char *path)
{
	return lf_source_path_pos(c->m->src, r->doc, path, (size_t)-1);
}

/* The position of item `i` of the array at the dotted `path`. */
static struct lf_pos item_pos(const struct ctx *c, const struct lf_resource *r, const char *path,
                              size_t i)
{
	return lf_source_path_pos(c->m->src, r->doc, path, i);
}

static const char *str_at(const struct lf_resource *r, const char *path)
{
	return json_string_value(lf_json_path(r->value, path));
}

static int is_grant(const struct lf_resource *r)
{
	return !strcmp(r->kind->name, "Grant");
}

/* The facts of Grant `g` (a resource of c->m). */
static const struct grant_facts *facts(const struct ctx *c, const struct lf_resource *g)
{
	return &c->grants[g - c->m->res];
}

/* `s` in lower case; owned result. */
static char *lower_dup(const char *s)
{
	char *d = lf_xstrdup(s);

	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static const struct lf_resource *find_res(const struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void check_accounts(struct ctx *c)
{
	const struct lf_resource *first = NULL;

	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		if (strcmp(r->kind->name, "Account"))
			continue;
		if (!first) {
			first = r;
			continue;
		}
		struct lf_pos p = pos_of(c, r, "metadata.name");
		struct lf_pos f = pos_of(c, first, "metadata.name");
		lf_diag_error(
		    c->d, &p,
		    "a second Account '%s': exactly one is allowed (the first is '%s' at %s:%u:%u)",
		    r->name, first->name, f.file, f.line, f.col);
	}
	if (!first && c->m->nres > 0)
		lf_diag_error(c->d, NULL, "no Account is defined: exactly one is required");
}

/* One SSO per account (as for Account), and each one's shape (sso.c). */
static void check_sso(struct ctx *c)
{
	const struct lf_resource *first = NULL;
	time_t now = time(NULL);

	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		if (strcmp(r->kind->name, "SSO"))
			continue;
		lf_sso_check(c->m, r, now, c->d);
		if (!first) {
			first = r;
			continue;
		}
		struct lf_pos p = pos_of(c, r, "metadata.name");
		struct lf_pos f = pos_of(c, first, "metadata.name");
		lf_diag_error(c->d, &p,
		              "a second SSO '%s': an account has at most one (the first is '%s' at "
		              "%s:%u:%u)",
		              r->name, first->name, f.file, f.line, f.col);
	}
}

static void check_refs(struct ctx *c)
{
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];

		for (size_t j = 0; j < r->kind->nrefs; j++) {
			const struct lf_kind_ref *ref = &r->kind->refs[j];
			const struct lf_kind *target = lf_kinds_find(c->m->kinds, ref->kind);
			struct lf_buf addr = LF_BUF_INIT;
			int complete = 1;

			if (!target)
				continue;
			lf_buf_adds(&addr, target->lower);
			for (size_t f = 0; f < ref->nfields; f++) {
				const char *v = str_at(r, ref->fields[f]);
				if (!v)
					complete = 0;
				else
					lf_buf_addf(&addr, "/%s", v);
			}
			if (complete && ref->nfields && !find_res(c, "%s", lf_buf_cstr(&addr))) {
				const char *last = ref->fields[ref->nfields - 1];
				struct lf_pos p = pos_of(c, r, last);
				struct lf_buf name = LF_BUF_INIT;

				/* the first field scopes the rest: "unknown schema
				 * 'sales.raw' in metastore 'main-use1'" */
				for (size_t f = ref->nfields > 1; f < ref->nfields; f++)
					lf_buf_addf(&name, "%s%s", name.len ? "." : "",
					            str_at(r, ref->fields[f]));
				if (ref->nfields > 1) {
					const char *scope = strrchr(ref->fields[0], '.');
					scope = scope ? scope + 1 : ref->fields[0];
					lf_diag_error(c->d, &p, "%s: unknown %s '%s' in %s '%s'",
					              last, target->lower, lf_buf_cstr(&name),
					              scope, str_at(r, ref->fields[0]));
				} else {
					lf_diag_error(c->d, &p, "%s: unknown %s '%s'", last,
					              target->lower, lf_buf_cstr(&name));
				}
				lf_buf_release(&name);
			}
			lf_buf_release(&addr);
		}
	}
}

/* `value` is at `field` (item `index` of it, or (size_t)-1) of `r`. */
static void check_one_principal(struct ctx *c, const struct lf_resource *r, const char *value,
                                const char *field, size_t index)
{
	char *addr = lf_principal_address(value);
	struct lf_pos p;

	if (!addr || !lf_manifest_get(c->m, addr))
		p = lf_source_path_pos(c->m->src, r->doc, field, index);
	if (!addr)
		lf_diag_error(c->d, &p,
		              "%s: '%s' is not a principal (write user:NAME, group:NAME or "
		              "service_principal:NAME)",
		              field, value);
	else if (!lf_manifest_get(c->m, addr))
		lf_diag_error(c->d, &p, "%s: unknown principal '%s'", field, value);
	free(addr);
}

static void check_principals(struct ctx *c)
{
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];

		for (size_t j = 0; j < r->kind->nprincipals; j++) {
			const char *path = r->kind->principals[j];
			size_t n = strlen(path);

			if (n > 2 && !strcmp(path + n - 2, "[]")) {
				char *base = lf_xstrndup(path, n - 2);
				json_t *arr = lf_json_path(r->value, base);
				json_t *v;
				size_t k;
				json_array_foreach (arr, k, v)
					if (json_is_string(v))
						check_one_principal(c, r, json_string_value(v),
						                    base, k);
				free(base);
			} else {
				const char *v = is_grant(r) && !strcmp(path, "spec.principal")
				                    ? facts(c, r)->principal
				                    : str_at(r, path);
				if (v)
					check_one_principal(c, r, v, path, (size_t)-1);
			}
		}
	}
}

/* A declared resource, or the workspace implying it; NULL when neither. */
static const struct lf_resource *find_res(const struct ctx *c, const char *fmt, ...)
{
	struct lf_buf b = LF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	lf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	const struct lf_resource *r = lf_manifest_get(c->m, lf_buf_cstr(&b));
	if (!r)
		r = lf_map_get(&c->implicit, lf_buf_cstr(&b));
	lf_buf_release(&b);
	return r;
}

/* find_res() of the address "PARTS[0]/PARTS[1]/...", made without printf
 * (a Grant's securable is looked up this way 74,000 times at 100,000
 * resources) */
static const struct lf_resource *find_parts(const struct ctx *c, const char *const *parts, size_t n)
{
	struct lf_buf b = LF_BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (i)
			lf_buf_addc(&b, '/');
		lf_buf_adds(&b, parts[i]);
	}
	const struct lf_resource *r = lf_manifest_get(c->m, lf_buf_cstr(&b));
	if (!r)
		r = lf_map_get(&c->implicit, lf_buf_cstr(&b));
	lf_buf_release(&b);
	return r;
}

static void check_workspaces(struct ctx *c)
{
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *w = &c->m->res[i];
		if (strcmp(w->kind->name, "Workspace"))
			continue;
		const char *region = str_at(w, "spec.region");
		const char *ms = str_at(w, "spec.metastore");
		const struct lf_resource *m = ms ? find_res(c, "metastore/%s", ms) : NULL;
		const char *mregion = m ? str_at(m, "spec.region") : NULL;

		if (region && mregion && strcmp(region, mregion)) {
			struct lf_pos p = pos_of(c, w, "spec.metastore");
			lf_diag_error(
			    c->d, &p,
			    "spec.metastore: workspace '%s' is in '%s' but metastore '%s' is in "
			    "'%s'; a metastore serves workspaces of its own region",
			    w->name, region, ms, mregion);
		}
	}
}

static int parse_cidr(const char *s, uint32_t *base, unsigned *bits)
{
	unsigned a, b, cc, dd, n;
	char tail;

	if (sscanf(s, "%u.%u.%u.%u/%u%c", &a, &b, &cc, &dd, &n, &tail) != 5)
		return -1;
	if (a > 255 || b > 255 || cc > 255 || dd > 255 || n > 32)
		return -1;
	*base = (a << 24) | (b << 16) | (cc << 8) | dd;
	*bits = n;
	return 0;
}

static uint32_t mask_of(unsigned bits)
{
	return bits ? ~(uint32_t)0 << (32 - bits) : 0;
}

static void check_cidrs(struct ctx *c)
{
	struct net {
		const struct lf_resource *r;
		const char *region, *cidr;
		uint32_t base;
		unsigned bits;
	} *nets = lf_xcalloc(c->m->nres + 1, sizeof(*nets));
	size_t n = 0;

	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *w = &c->m->res[i];
		const char *compute, *cidr;

		if (strcmp(w->kind->name, "Workspace"))
			continue;
		compute = str_at(w, "spec.compute");
		cidr = str_at(w, "spec.network.cidr");
		if (!compute || strcmp(compute, "classic") || !cidr)
			continue;
		struct net *x = &nets[n];
		if (parse_cidr(cidr, &x->base, &x->bits) != 0) {
			struct lf_pos p = pos_of(c, w, "spec.network.cidr");
			lf_diag_error(c->d, &p, "spec.network.cidr: '%s' is not a valid IPv4 CIDR",
			              cidr);
			continue;
		}
		if (x->base & ~mask_of(x->bits)) {
			/* 10.30.17.0/20 is most likely 10.30.16.0/20 with a typo */
			uint32_t net = x->base & mask_of(x->bits);
			struct lf_pos p = pos_of(c, w, "spec.network.cidr");
			lf_diag_error(c->d, &p,
			              "spec.network.cidr: '%s' has host bits set (did you mean "
			              "'%u.%u.%u.%u/%u'?)",
			              cidr, net >> 24, (net >> 16) & 255, (net >> 8) & 255,
			              net & 255, x->bits);
			continue;
		}
		x->r = w;
		x->region = str_at(w, "spec.region");
		x->cidr = cidr;
		for (size_t j = 0; j < n; j++) {
			if (!x->region || !nets[j].region || strcmp(x->region, nets[j].region))
				continue;
			uint32_t mk = mask_of(x->bits < nets[j].bits ? x->bits : nets[j].bits);
			if ((x->base & mk) == (nets[j].base & mk)) {
				struct lf_pos p = pos_of(c, w, "spec.network.cidr");
				lf_diag_error(c->d, &p,
				              "spec.network.cidr: '%s' overlaps '%s' of workspace "
				              "'%s' in region '%s'",
				              cidr, nets[j].cidr, nets[j].r->name, x->region);
			}
		}
		n++;
	}
	free(nets);
}

/* ---- what is declared without a document -------------------------------- */

/* The catalog a workspace implies: its name with '-' turned into '_'. */
static char *workspace_catalog_name(const char *ws)
{
	char *s = lf_xstrdup(ws);

	for (char *p = s; *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

/*
 * A workspace attached to a metastore, with workspace_catalog on, declares a
 * catalog named after it and its 'default' schema (DESIGN.md section 1).
 */
static void collect_implicit(struct ctx *c)
{
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *w = &c->m->res[i];
		const char *ms;

		if (strcmp(w->kind->name, "Workspace"))
			continue;
		ms = str_at(w, "spec.metastore");
		if (!ms || json_is_false(lf_json_path(w->value, "spec.workspace_catalog")))
			continue;
		char *cat = workspace_catalog_name(w->name);
		char *caddr = lf_xasprintf("catalog/%s/%s", ms, cat);
		char *saddr = lf_xasprintf("schema/%s/%s/default", ms, cat);
		const struct lf_resource *clash = lf_manifest_get(c->m, caddr);
		const struct lf_resource *other = lf_map_get(&c->implicit, caddr);

		if (clash) {
			/* the Catalog document is the one to change */
			struct lf_pos p = pos_of(c, clash, "metadata.name");
			struct lf_pos f = pos_of(c, w, "metadata.name");
			lf_diag_error(c->d, &p,
			              "catalog '%s' in metastore '%s' clashes with the workspace "
			              "catalog of workspace '%s' (%s:%u:%u); rename it, or set "
			              "spec.workspace_catalog to false on the workspace",
			              cat, ms, w->name, f.file, f.line, f.col);
		} else if (other) {
			struct lf_pos p = pos_of(c, w, "metadata.name");
			struct lf_pos f = pos_of(c, other, "metadata.name");
			lf_diag_error(c->d, &p,
			              "the workspace catalog '%s' of workspace '%s' clashes with "
			              "that of workspace '%s' (%s:%u:%u) in metastore '%s'",
			              cat, w->name, other->name, f.file, f.line, f.col, ms);
		} else {
			lf_map_put(&c->implicit, caddr, (void *)w);
			lf_map_put(&c->implicit, saddr, (void *)w);
		}
		free(cat);
		free(caddr);
		free(saddr);
	}
}

/* ---- buckets ------------------------------------------------------------------ */

static const char *const declaring_paths[] = {
    "spec.default_storage.bucket", /* Account */
    "spec.storage.bucket",         /* Workspace */
    "spec.storage_root.bucket",    /* Metastore */
};

/* Where a resource of this kind declares its bucket, or NULL. */
static const char *declaring_path(const struct lf_resource *r)
{
	if (!strcmp(r->kind->name, "Account"))
		return declaring_paths[0];
	if (!strcmp(r->kind->name, "Workspace"))
		return declaring_paths[1];
	if (!strcmp(r->kind->name, "Metastore"))
		return declaring_paths[2];
	return NULL;
}

static int bucket_known(const struct ctx *c, const char *bucket)
{
	return lf_map_get(&c->buckets, bucket) != NULL;
}

static void check_buckets(struct ctx *c)
{
	/* declarations: each bucket once */
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		const char *path = declaring_path(r);
		const char *b = path ? str_at(r, path) : NULL;
		if (!b)
			continue;
		const struct lf_resource *first = lf_map_get(&c->buckets, b);
		if (first) {
			struct lf_pos p = pos_of(c, r, path);
			struct lf_pos f = pos_of(c, first, declaring_path(first));
			lf_diag_error(c->d, &p,
			              "%s: bucket '%s' is already declared by %s '%s' (%s:%u:%u); "
			              "a bucket belongs to one resource",
			              path, b, first->kind->lower, first->name, f.file, f.line,
			              f.col);
			continue;
		}
		lf_map_put(&c->buckets, b, (void *)r);
	}
	/* references: catalog and schema storage roots, storage locations */
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		const char *k = r->kind->name;
		const char *path = NULL, *b = NULL;
		char *owned = NULL;

		if (!strcmp(k, "Catalog") || !strcmp(k, "Schema")) {
			path = "spec.storage_root.bucket";
			b = str_at(r, path);
		} else if (!strcmp(k, "Volume") || !strcmp(k, "Table")) {
			path = "spec.storage_location";
			const char *loc = str_at(r, path);
			if (loc && !strncmp(loc, "s3://", 5)) {
				const char *end = strchr(loc + 5, '/');
				owned = end ? lf_xstrndup(loc + 5, (size_t)(end - loc - 5))
				            : lf_xstrdup(loc + 5);
				b = owned;
			}
		}
		if (b && !bucket_known(c, b)) {
			struct lf_pos p = pos_of(c, r, path);
			lf_diag_error(
			    c->d, &p,
			    "%s: unknown bucket '%s' (buckets are declared by the account's "
			    "default storage, a workspace's storage or a metastore's storage root)",
			    path, b);
		}
		free(owned);
	}
}

/* ---- tables ---------------------------------------------------------------------- */

static void check_columns(struct ctx *c)
{
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *t = &c->m->res[i];
		json_t *cols, *col;
		size_t k;

		if (strcmp(t->kind->name, "Table"))
			continue;
		cols = lf_json_path(t->value, "spec.columns");
		json_array_foreach (cols, k, col) {
			const char *name = json_string_value(json_object_get(col, "name"));
			for (size_t j = 0; name && j < k; j++) {
				const char *prev = json_string_value(
				    json_object_get(json_array_get(cols, j), "name"));
				/* Unity Catalog compares column names without case */
				if (prev && !strcasecmp(prev, name)) {
					struct lf_yaml_pathseg at[] = {
					    {"spec", 0}, {"columns", 0}, {NULL, k}, {"name", 0}};
					struct lf_yaml_pathseg first[] = {
					    {"spec", 0}, {"columns", 0}, {NULL, j}, {"name", 0}};
					struct lf_pos p =
					    lf_source_pos(c->m->src, t->doc, at, 4, 0);
					struct lf_pos f =
					    lf_source_pos(c->m->src, t->doc, first, 4, 0);
					lf_diag_error(c->d, &p,
					              "spec.columns: column '%s' is defined twice "
					              "in table '%s' (first at line %u)",
					              name, t->name, f.line);
					break;
				}
			}
		}
	}
}

int lf_manifest_check_columns(const struct lf_manifest *m, struct lf_diags *d)
{
	struct ctx c;
	size_t errors = d->errors;

	memset(&c, 0, sizeof(c));
	c.m = m;
	c.d = d;
	check_columns(&c);
	return d->errors > errors ? -1 : 0;
}

/* A privilege's character as normalise_privilege() writes it. */
static char privilege_char(char c)
{
	return c == ' ' || c == '-' ? '_' : (char)toupper((unsigned char)c);
}

/* Whether normalise_privilege() makes the same of `a` and `b` (without
 * making either) */
static int same_privilege(const char *a, const char *b)
{
	for (;; a++, b++) {
		if (privilege_char(*a) != privilege_char(*b))
			return 0;
		if (!*a)
			return 1;
	}
}

/* "use catalog" -> "USE_CATALOG"; owned result. */
static char *normalise_privilege(const char *p)
{
	char *s = lf_xstrdup(p);

	for (char *q = s; *q; q++)
		*q = privilege_char(*q);
	return s;
}

static int in_list(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach (arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

static size_t split_dots(const char *s, char parts[3][256])
{
	size_t n = 0;
	const char *p = s;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 3 || len == 0 || len > 255)
			return 0;
		memcpy(parts[n], p, len);
		parts[n][len] = '\0';
		n++;
		if (!dot)
			return n;
		p = dot + 1;
	}
}

static void check_securable(struct ctx *c, const struct lf_resource *g)
{
	const char *type = facts(c, g)->type;
	const char *name = facts(c, g)->name;
	const char *ms = facts(c, g)->ms;
	/* positions cost a second parse: look one up only for an error */
#define P (p = pos_of(c, g, "spec.securable.name"), &p)
	struct lf_pos p;
	char parts[3][256];
	size_t want = 0, got;

	if (!type || !name)
		return;
	if (!strcmp(type, "bucket")) {
		if (!bucket_known(c, name))
			lf_diag_error(c->d, P,
			              "spec.securable.name: unknown bucket '%s' (buckets are "
			              "declared by the account's default storage, a workspace's "
			              "storage or a metastore's storage root)",
			              name);
		return;
	}
	if (!strcmp(type, "metastore")) {
		if (!find_res(c, "metastore/%s", name))
			lf_diag_error(c->d, P, "spec.securable.name: unknown metastore '%s'", name);
		return;
	}
	if (!strcmp(type, "catalog"))
		want = 1;
	else if (!strcmp(type, "schema"))
		want = 2;
	else if (!strcmp(type, "volume") || !strcmp(type, "table"))
		want = 3;
	got = split_dots(name, parts);
	if (got != want) {
		static const char *const forms[] = {"", "CATALOG", "CATALOG.SCHEMA",
		                                    "CATALOG.SCHEMA.NAME"};
		lf_diag_error(c->d, P, "spec.securable.name: a %s is named '%s', not '%s'", type,
		              forms[want], name);
		return;
	}
	if (!ms)
		return; /* the schema reports the missing metastore */
	/* "catalog/MS/C", "schema/MS/C/S", "table/MS/C/S/T" */
	const char *addr[5] = {want == 1   ? "catalog"
	                       : want == 2 ? "schema"
	                                   : type,
	                       ms, parts[0], parts[1], parts[2]};
	const struct lf_resource *r = find_parts(c, addr, want + 2);
	if (!r)
		lf_diag_error(c->d, P, "spec.securable.name: unknown %s '%s' in metastore '%s'",
		              type, name, ms);
}
#undef P

/* Whether `privilege`'s entry in the table lists securable `type`. */
static int granted_on(const json_t *entry, const char *type)
{
	return in_list(json_object_get(entry, "on"), type);
}

/* Grant g's privileges: each known, listed once and granted on its
 * securable's type `type`, by the Grant schema's table (`table`, and the
 * securable types lakeform manages, `types`). */
static void check_privileges(struct ctx *c, const struct lf_resource *g, const char *type,
                             json_t *table, json_t *types)
{
	json_t *privs = lf_json_path(g->value, "spec.privileges");
	json_t *v;
	size_t k;

	if (!type || !table)
		return;
	json_array_foreach (privs, k, v) {
		if (!json_is_string(v))
			continue;
		char *norm = normalise_privilege(json_string_value(v));
		for (size_t j = 0; j < k; j++) {
			const char *pv = json_string_value(json_array_get(privs, j));
			if (pv && same_privilege(pv, json_string_value(v))) {
				struct lf_pos p = item_pos(c, g, "spec.privileges", k);
				lf_diag_error(c->d, &p,
				              "spec.privileges: '%s' is listed twice (as "
				              "privilege %zu and %zu)",
				              norm, j + 1, k + 1);
				break;
			}
		}
		json_t *entry = json_object_get(table, norm);
		if (!granted_on(entry, type)) {
			struct lf_pos p = item_pos(c, g, "spec.privileges", k);
			struct lf_buf where = LF_BUF_INIT;
			json_t *on = json_object_get(entry, "on"), *t;
			size_t ti, managed = 0;

			/* Unity Catalog grants some only on securables that
			 * lakeform does not manage: say which */
			json_array_foreach (on, ti, t) {
				const char *ts = json_string_value(t);
				if (in_list(types, ts))
					managed++;
				else
					lf_buf_addf(&where, "%s%s", where.len ? " or a " : "", ts);
			}
			if (!entry)
				lf_diag_error(c->d, &p, "spec.privileges: unknown privilege '%s'",
				              json_string_value(v));
			else if (managed)
				lf_diag_error(c->d, &p,
				              "spec.privileges: '%s' cannot be granted on a %s",
				              norm, type);
			else
				lf_diag_error(c->d, &p,
				              "spec.privileges: '%s' cannot be granted on a "
				              "%s: Unity Catalog grants it on a %s, which "
				              "lakeform does not manage",
				              norm, type, lf_buf_cstr(&where));
			lf_buf_release(&where);
		}
		free(norm);
	}
}

static void check_grants(struct ctx *c)
{
	struct lf_map seen = LF_MAP_INIT; /* principal+securable -> grant */
	struct lf_buf keyb = LF_BUF_INIT;
	const struct lf_kind *gk = lf_kinds_find(c->m->kinds, "Grant");
	/* privilege -> {on: [securable types], access: [...]} */
	json_t *table = gk ? json_object_get(gk->schema, "x-lakeform-privileges") : NULL;
	json_t *types =
	    gk ? lf_json_path(gk->schema,
	                      "properties.spec.properties.securable.properties.type.enum")
	       : NULL;

	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *g = &c->m->res[i];
		if (!is_grant(g))
			continue;
		check_securable(c, g);

		const char *type = facts(c, g)->type;

		/* one Grant per principal and securable */
		const char *principal = facts(c, g)->principal;
		const char *name = facts(c, g)->name;
		const char *ms = facts(c, g)->ms;
		if (principal && type && name) {
			const char *key;
			lf_buf_truncate(&keyb, 0);
			lf_buf_adds(&keyb, principal);
			lf_buf_addc(&keyb, '\x1f');
			lf_buf_adds(&keyb, type);
			lf_buf_addc(&keyb, '\x1f');
			lf_buf_adds(&keyb, ms ? ms : "");
			lf_buf_addc(&keyb, '\x1f');
			lf_buf_adds(&keyb, name);
			key = lf_buf_cstr(&keyb);
			const struct lf_resource *first = lf_map_add(&seen, key, (void *)g);
			if (first) {
				struct lf_pos p = pos_of(c, g, "spec.securable");
				struct lf_pos f = pos_of(c, first, "metadata.name");
				lf_diag_error(c->d, &p,
				              "%s already has privileges on %s '%s' through Grant "
				              "'%s' (%s:%u:%u); put them in one Grant",
				              principal, type, name, first->name, f.file, f.line,
				              f.col);
			}
		}
		check_privileges(c, g, type, table, types);
	}
	lf_map_release(&seen);
	lf_buf_release(&keyb);
}

int lf_manifest_check_privileges(const struct lf_manifest *m, struct lf_diags *d)
{
	struct ctx c;
	size_t errors = d->errors;
	const struct lf_kind *gk = lf_kinds_find(m->kinds, "Grant");
	json_t *table = gk ? json_object_get(gk->schema, "x-lakeform-privileges") : NULL;
	json_t *types =
	    gk ? lf_json_path(gk->schema,
	                      "properties.spec.properties.securable.properties.type.enum")
	       : NULL;

	memset(&c, 0, sizeof(c));
	c.m = m;
	c.d = d;
	for (size_t i = 0; i < m->nres; i++) {
		const struct lf_resource *g = &m->res[i];
		if (is_grant(g))
			check_privileges(&c, g, str_at(g, "spec.securable.type"), table, types);
	}
	return d->errors > errors ? -1 : 0;
}

/* ---- group membership cycles ------------------------------------------ */

struct gnode {
	const struct lf_resource *r;
	int color; /* 0 white, 1 on the stack, 2 done */
};

static size_t group_index(const struct ctx *c, struct gnode *g, size_t n, const char *member)
{
	if (strncmp(member, "group:", 6))
		return (size_t)-1;
	const struct lf_resource *r = find_res(c, "group/%s", member + 6);
	for (size_t i = 0; r && i < n; i++)
		if (g[i].r == r)
			return i;
	return (size_t)-1;
}

struct edge {
	size_t from;
	size_t item;
};

static void dfs(struct ctx *c, struct gnode *g, size_t n, size_t at, struct edge *stack,
                size_t depth)
{
	json_t *members = lf_json_path(g[at].r->value, "spec.members");
	json_t *v;
	size_t k;

	g[at].color = 1;
	json_array_foreach (members, k, v) {
		size_t to;

		if (!json_is_string(v))
			continue;
		to = group_index(c, g, n, json_string_value(v));
		if (to == (size_t)-1 || g[to].color == 2)
			continue;
		stack[depth].from = at;
		stack[depth].item = k;
		if (g[to].color == 1) {
			/* the cycle is the stack from `to` up to here */
			struct lf_buf msg = LF_BUF_INIT;
			size_t s = depth;
			while (s > 0 && stack[s].from != to)
				s--;
			lf_buf_addf(&msg, "group membership cycle: group:%s", g[to].r->name);
			for (size_t e = s; e <= depth; e++) {
				const struct lf_resource *r = g[stack[e].from].r;
				json_t *arr = lf_json_path(r->value, "spec.members");
				struct lf_pos p = item_pos(c, r, "spec.members", stack[e].item);
				const char *dst =
				    json_string_value(json_array_get(arr, stack[e].item));
				lf_buf_addf(&msg, " -> %s (%s:%u)", dst, p.file, p.line);
			}
			struct lf_pos here = item_pos(c, g[at].r, "spec.members", k);
			lf_diag_error(c->d, &here, "%s", lf_buf_cstr(&msg));
			lf_buf_release(&msg);
			continue;
		}
		dfs(c, g, n, to, stack, depth + 1);
	}
	g[at].color = 2;
}

static void check_group_cycles(struct ctx *c)
{
	struct gnode *g = lf_xcalloc(c->m->nres + 1, sizeof(*g));
	struct edge *stack;
	size_t n = 0;

	for (size_t i = 0; i < c->m->nres; i++)
		if (!strcmp(c->m->res[i].kind->name, "Group"))
			g[n++].r = &c->m->res[i];
	stack = lf_xcalloc(n + 1, sizeof(*stack));
	for (size_t i = 0; i < n; i++)
		if (g[i].color == 0)
			dfs(c, g, n, i, stack, 0);
	free(stack);
	free(g);
}

/* ---- Unity Catalog names without case ------------------------------------ */

/*
 * Unity Catalog folds catalog, schema, table and volume names to lower case
 * (columns: check_columns), so two that differ only in case are one.  The
 * address holds every level's name, the metastore's included.
 */
static void check_case(struct ctx *c)
{
	struct lf_map seen = LF_MAP_INIT;     /* lower-case address -> resource */
	struct lf_map implicit = LF_MAP_INIT; /* lower-case address -> workspace */
	for (size_t i = 0; i < c->implicit.cap; i++) {
		const struct lf_map_ent *e = &c->implicit.v[i];
		if (!e->key)
			continue;
		char *low = lower_dup(e->key);
		lf_map_put(&implicit, low, e->value);
		free(low);
	}
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		const char *k = r->kind->name;

		if (strcmp(k, "Catalog") && strcmp(k, "Schema") && strcmp(k, "Table") &&
		    strcmp(k, "Volume"))
			continue;
		char *low = lower_dup(r->address);
		const struct lf_resource *first = lf_map_get(&seen, low);
		const struct lf_resource *ws = lf_map_get(&implicit, low);
		struct lf_pos p, f;

		if (first && strcmp(first->address, r->address)) {
			p = pos_of(c, r, "metadata.name");
			f = pos_of(c, first, "metadata.name");
			lf_diag_error(c->d, &p,
			              "%s '%s' differs only in case from %s '%s' (%s:%u:%u); Unity "
			              "Catalog names are case-insensitive",
			              r->kind->lower, r->name, first->kind->lower, first->name,
			              f.file, f.line, f.col);
		} else if (!first && ws && !lf_map_get(&c->implicit, r->address)) {
			p = pos_of(c, r, "metadata.name");
			f = pos_of(c, ws, "metadata.name");
			lf_diag_error(c->d, &p,
			              "%s '%s' differs only in case from the workspace catalog of "
			              "workspace '%s' (%s:%u:%u); Unity Catalog names are "
			              "case-insensitive",
			              r->kind->lower, r->name, ws->name, f.file, f.line, f.col);
		}
		if (!first)
			lf_map_put(&seen, low, (void *)r);
		free(low);
	}
	lf_map_release(&implicit);
	lf_map_release(&seen);
}

/* ---- regions ---------------------------------------------------------------------- */

static const struct {
	const char *kind, *path;
} region_paths[] = {
    {"Account", "spec.default_storage.region"},
    {"Workspace", "spec.region"},
    {"Metastore", "spec.region"},
};

static void check_regions(struct ctx *c)
{
	const json_t *known = c->m->kinds->regions;

	if (!known)
		return; /* no regions.json beside the schemas */
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];

		for (size_t j = 0; j < sizeof(region_paths) / sizeof(*region_paths); j++) {
			const char *region;
			if (strcmp(r->kind->name, region_paths[j].kind))
				continue;
			region = str_at(r, region_paths[j].path);
			if (!region || in_list(known, region))
				continue;
			const char *best = NULL;
			size_t bestd = 4, k;
			json_t *v;
			json_array_foreach (known, k, v) {
				size_t e = lf_edit_distance(region, json_string_value(v));
				if (e < bestd) {
					bestd = e;
					best = json_string_value(v);
				}
			}
			struct lf_pos p = pos_of(c, r, region_paths[j].path);
			if (best)
				lf_diag_error(c->d, &p,
				              "%s: unknown region '%s' (did you mean '%s'?)",
				              region_paths[j].path, region, best);
			else
				lf_diag_error(c->d, &p,
				              "%s: unknown region '%s' (a private cloud's regions "
				              "are listed in lakeform.yaml's 'regions')",
				              region_paths[j].path, region);
		}
	}
}

/* Unity Catalog: a region has at most one metastore per account. */
static void check_metastore_regions(struct ctx *c)
{
	struct lf_map seen = LF_MAP_INIT; /* region -> metastore */

	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		const char *region;

		if (strcmp(r->kind->name, "Metastore") || !(region = str_at(r, "spec.region")))
			continue;
		const struct lf_resource *first = lf_map_get(&seen, region);
		if (!first) {
			lf_map_put(&seen, region, (void *)r);
			continue;
		}
		struct lf_pos p = pos_of(c, r, "spec.region");
		struct lf_pos f = pos_of(c, first, "metadata.name");
		lf_diag_error(
		    c->d, &p,
		    "spec.region: metastore '%s' is a second metastore in '%s' (the first "
		    "is '%s' at %s:%u:%u); an account has one metastore per region",
		    r->name, region, first->name, f.file, f.line, f.col);
	}
	lf_map_release(&seen);
}

/* ---- identities ------------------------------------------------------------------ */

/*
 * A service principal's application ID names it to the cloud, and a user's
 * e-mail address names the user whatever its case: two of either are one
 * identity declared twice.
 */
static void check_identities(struct ctx *c)
{
	struct lf_map ids = LF_MAP_INIT, mails = LF_MAP_INIT;

	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		int sp = !strcmp(r->kind->name, "ServicePrincipal");
		const char *path = sp ? "spec.application_id" : "metadata.name";
		const char *v;

		if ((!sp && strcmp(r->kind->name, "User")) || !(v = str_at(r, path)))
			continue;
		char *low = lower_dup(v);
		struct lf_map *seen = sp ? &ids : &mails;
		const struct lf_resource *first = lf_map_get(seen, low);
		if (!first) {
			lf_map_put(seen, low, (void *)r);
		} else if (sp) {
			struct lf_pos p = pos_of(c, r, path);
			struct lf_pos f = pos_of(c, first, path);
			lf_diag_error(
			    c->d, &p,
			    "%s: service principal '%s' has the application ID of service "
			    "principal '%s' (%s:%u:%u); an application ID names one "
			    "service principal",
			    path, r->name, first->name, f.file, f.line, f.col);
		} else {
			struct lf_pos p = pos_of(c, r, path);
			struct lf_pos f = pos_of(c, first, path);
			lf_diag_error(c->d, &p,
			              "user '%s' has the e-mail address of user '%s' (%s:%u:%u); "
			              "e-mail addresses are compared without case",
			              r->name, first->name, f.file, f.line, f.col);
		}
		free(low);
	}
	lf_map_release(&ids);
	lf_map_release(&mails);
}

/* ---- S3 bucket names ------------------------------------------------------------- */

/* Why `b` is not a valid S3 bucket name (general purpose buckets), or NULL. */
static const char *bucket_name_problem(const char *b, char *buf, size_t n)
{
	static const char *const prefixes[] = {"xn--", "sthree-", "amzn-s3-demo-"};
	static const char *const suffixes[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3",
	                                       "--table-s3"};
	size_t len = strlen(b);
	unsigned a, bb, cc, dd;
	char tail;

	if (len < 3 || len > 63)
		return "it must be 3 to 63 characters long";
	for (const char *p = b; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '-'))
			return "it may hold only lowercase letters, digits, dots and hyphens";
	if (!isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[len - 1]))
		return "it must begin and end with a letter or digit";
	if (strstr(b, ".."))
		return "it must not hold two adjacent dots";
	if (sscanf(b, "%u.%u.%u.%u%c", &a, &bb, &cc, &dd, &tail) == 4)
		return "it must not be shaped like an IP address";
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (!strncmp(b, prefixes[i], strlen(prefixes[i]))) {
			snprintf(buf, n, "it must not begin with '%s'", prefixes[i]);
			return buf;
		}
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
		size_t sl = strlen(suffixes[i]);
		if (len >= sl && !strcmp(b + len - sl, suffixes[i])) {
			snprintf(buf, n, "it must not end with '%s'", suffixes[i]);
			return buf;
		}
	}
	return NULL;
}

static void check_bucket_names(struct ctx *c)
{
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		const char *path = declaring_path(r);
		const char *b = path ? str_at(r, path) : NULL;
		char buf[64];
		const char *why = b ? bucket_name_problem(b, buf, sizeof(buf)) : NULL;

		if (why) {
			struct lf_pos p = pos_of(c, r, path);
			lf_diag_error(c->d, &p, "%s: '%s' is not a valid S3 bucket name: %s", path,
			              b, why);
		}
	}
}

/* ---- managed storage ----------------------------------------------------------- */

/*
 * A managed storage location: where Unity Catalog keeps the managed tables
 * and volumes of a metastore, catalog or schema.  `path` is "" for a whole
 * bucket, else ends in '/'.  These follow expand.c's layout (metastore_loc,
 * workspace_loc, expand_catalog_like, expand_workspace_catalog).
 */
struct mloc {
	const struct lf_resource *r; /* the declaring resource, for positions */
	const char *kind;            /* "metastore", "catalog", "schema" */
	char *name;                  /* as the user writes it: "main.sales" */
	char *bucket, *path;
};

struct mlocs {
	struct mloc *v;
	size_t n, alloc;
	struct lf_map by_addr; /* securable address -> index + 1 */
};

static size_t mloc_add(struct mlocs *l, const struct lf_resource *r, const char *kind,
                       const char *addr, char *name, const char *bucket, char *path)
{
	LF_GROW(l->v, l->n + 1, l->alloc);
	struct mloc *x = &l->v[l->n++];
	x->r = r;
	x->kind = kind;
	x->name = name;
	x->bucket = lf_xstrdup(bucket);
	x->path = path;
	lf_map_put(&l->by_addr, addr, (void *)(uintptr_t)l->n);
	return l->n - 1;
}

static const struct mloc *mloc_at(const struct mlocs *l, const char *addr)
{
	uintptr_t i = (uintptr_t)lf_map_get(&l->by_addr, addr);
	return i ? &l->v[i - 1] : NULL;
}

static const char *default_bucket(const struct ctx *c)
{
	for (size_t i = 0; i < c->m->nres; i++)
		if (!strcmp(c->m->res[i].kind->name, "Account"))
			return str_at(&c->m->res[i], "spec.default_storage.bucket");
	return NULL;
}

static const char *default_region(const struct ctx *c)
{
	for (size_t i = 0; i < c->m->nres; i++)
		if (!strcmp(c->m->res[i].kind->name, "Account"))
			return str_at(&c->m->res[i], "spec.default_storage.region");
	return NULL;
}

static void collect_managed(const struct ctx *c, struct mlocs *l)
{
	const char *def = default_bucket(c);
	const char *home = default_region(c);

	if (!def)
		return;
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];

		if (strcmp(r->kind->name, "Metastore"))
			continue;
		const char *b = str_at(r, "spec.storage_root.bucket");
		const char *pre = str_at(r, "spec.storage_root.prefix");
		char *path = pre ? lf_xasprintf("%s/", pre)
		             : b ? lf_xstrdup("")
		                 : lf_xasprintf("metastores/%s/", r->name);
		char *regional = lf_regional_bucket(def, home, str_at(r, "spec.region"));
		mloc_add(l, r, "metastore", r->address, lf_xstrdup(r->name), b ? b : regional,
		         path);
		free(regional);
	}
	/* workspace catalogs and their 'default' schemas */
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *w = &c->m->res[i];

		if (strcmp(w->kind->name, "Workspace"))
			continue;
		const char *ms = str_at(w, "spec.metastore");
		const char *b = str_at(w, "spec.storage.bucket");
		if (!ms || json_is_false(lf_json_path(w->value, "spec.workspace_catalog")))
			continue;
		char *cat = workspace_catalog_name(w->name);
		char *caddr = lf_xasprintf("catalog/%s/%s", ms, cat);
		char *saddr = lf_xasprintf("schema/%s/%s/default", ms, cat);
		if (lf_map_get(&c->implicit, caddr) == w) {
			char *cpath = b ? lf_xasprintf("catalogs/%s/", cat)
			                : lf_xasprintf("workspaces/%s/catalogs/%s/", w->name, cat);
			char *regional = lf_regional_bucket(def, home, str_at(w, "spec.region"));
			mloc_add(l, w, "catalog", caddr, lf_xstrdup(cat), b ? b : regional, cpath);
			mloc_add(l, w, "schema", saddr, lf_xasprintf("%s.default", cat),
			         b ? b : regional, lf_xasprintf("%sschemas/default/", cpath));
			free(regional);
		}
		free(cat);
		free(caddr);
		free(saddr);
	}
	/* catalogs, then schemas: each under its parent unless it has a bucket */
	for (int pass = 0; pass < 2; pass++) {
		const char *kind = pass ? "Schema" : "Catalog";
		for (size_t i = 0; i < c->m->nres; i++) {
			const struct lf_resource *r = &c->m->res[i];
			const struct mloc *parent;

			if (strcmp(r->kind->name, kind))
				continue;
			const char *own = str_at(r, "spec.storage_root.bucket");
			const char *ms = str_at(r, "spec.metastore");
			const char *cat = str_at(r, "spec.catalog");
			if (!ms || (pass && !cat))
				continue;
			char *paddr = pass ? lf_xasprintf("catalog/%s/%s", ms, cat)
			                   : lf_xasprintf("metastore/%s", ms);
			parent = mloc_at(l, paddr);
			free(paddr);
			if (!parent && !own)
				continue;
			char *path = lf_xasprintf("%s%ss/%s/", own ? "" : parent->path,
			                          r->kind->lower, r->name);
			char *name =
			    pass ? lf_xasprintf("%s.%s", cat, r->name) : lf_xstrdup(r->name);
			mloc_add(l, r, pass ? "schema" : "catalog", r->address, name,
			         own ? own : parent->bucket, path);
		}
	}
}

static void mlocs_release(struct mlocs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].bucket);
		free(l->v[i].path);
	}
	free(l->v);
	lf_map_release(&l->by_addr);
}

/* Whether path `a` of a bucket lies inside `b` (both "" or ending in '/'). */
static int path_inside(const char *a, const char *b)
{
	return !strncmp(a, b, strlen(b));
}

/*
 * Unity Catalog keeps external tables and volumes out of managed storage,
 * and lets no external location (a Grant on a bucket) overlap a metastore's
 * storage root.
 */
static void check_external_locations(struct ctx *c)
{
	struct mlocs l = {NULL, 0, 0, LF_MAP_INIT};

	collect_managed(c, &l);
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		const char *k = r->kind->name;
		int table = !strcmp(k, "Table");

		if (!table && strcmp(k, "Volume"))
			continue;
		const char *type = str_at(r, table ? "spec.table_type" : "spec.volume_type");
		const char *loc = str_at(r, "spec.storage_location");
		if (!type || strcmp(type, "EXTERNAL") || !loc || strncmp(loc, "s3://", 5))
			continue;
		const char *slash = strchr(loc + 5, '/');
		char *bucket =
		    slash ? lf_xstrndup(loc + 5, (size_t)(slash - loc - 5)) : lf_xstrdup(loc + 5);
		const char *rest = slash ? slash + 1 : "";
		char *path =
		    lf_xasprintf("%s%s", rest, *rest && rest[strlen(rest) - 1] != '/' ? "/" : "");
		for (size_t j = 0; j < l.n; j++) {
			const struct mloc *m = &l.v[j];
			int inside = path_inside(path, m->path);
			if (strcmp(bucket, m->bucket) || (!inside && !path_inside(m->path, path)))
				continue;
			struct lf_pos p = pos_of(c, r, "spec.storage_location");
			lf_diag_error(c->d, &p,
			              "spec.storage_location: '%s' %s the managed storage of %s "
			              "'%s' (s3://%s/%s); Unity Catalog keeps external %ss out of "
			              "managed storage",
			              loc, inside ? "lies inside" : "holds", m->kind, m->name,
			              m->bucket, m->path, r->kind->lower);
			break;
		}
		free(bucket);
		free(path);
	}
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *g = &c->m->res[i];

		if (!is_grant(g))
			continue;
		const char *type = facts(c, g)->type;
		const char *b = facts(c, g)->name;
		if (!type || strcmp(type, "bucket") || !b)
			continue;
		for (size_t j = 0; j < l.n; j++) {
			const struct mloc *m = &l.v[j];
			if (strcmp(m->kind, "metastore") || strcmp(m->bucket, b))
				continue;
			struct lf_pos p = pos_of(c, g, "spec.securable.name");
			lf_diag_error(c->d, &p,
			              "spec.securable.name: bucket '%s' holds the storage root of "
			              "metastore '%s' (s3://%s/%s); Unity Catalog lets no external "
			              "location overlap a metastore's root: grant on the "
			              "metastore's catalogs, schemas, tables and volumes instead",
			              b, m->name, m->bucket, m->path);
			break;
		}
	}
	mlocs_release(&l);
}

/* ---- tags ------------------------------------------------------------------------ */

/*
 * The user's tags reach S3 tags and compute labels beside lakeform's own
 * (expand.c): a bucket carries lakeform/account, lakeform/address,
 * lakeform:purpose and lakeform:force_destroy, a prefix's marker object
 * the first three.  S3 allows 50 tags on a bucket and 10 on an object.
 */
#define TAG_MAX_BUCKET 50
#define TAG_MAX_OBJECT 10
#define TAG_OWN_BUCKET 4
#define TAG_OWN_OBJECT 3

static void check_tag_keys(struct ctx *c, const struct lf_resource *r)
{
	json_t *tags = lf_json_path(r->value, "spec.tags"), *v;
	const char *k;

	json_object_foreach (tags, k, v) {
		const char *why = NULL;
		if (!strncasecmp(k, "lakeform/", 9) || !strncasecmp(k, "lakeform:", 9))
			why = "keys beginning with 'lakeform/' or 'lakeform:' are lakeform's own "
			      "(the labels by which it knows what it owns), and a tag may not "
			      "override them";
		else if (!strncasecmp(k, "aws:", 4))
			why = "S3 reserves keys beginning with 'aws:' for AWS's own tags";
		if (!why)
			continue;
		struct lf_yaml_pathseg segs[3] = {{"spec", 0}, {"tags", 0}, {k, 0}};
		struct lf_pos p = lf_source_pos(c->m->src, r->doc, segs, 3, 1);
		lf_diag_error(c->d, &p,
		              "spec.tags: tag '%s' cannot be used: %s; choose another key", k, why);
	}
}

/* How many keys `a` and `b` hold together. */
static size_t tags_union(json_t *a, json_t *b)
{
	size_t n = json_object_size(a);
	const char *k;
	json_t *v;

	json_object_foreach (b, k, v)
		n += !json_object_get(a, k);
	return n;
}

/* Report `n` tags over a limit: `where` names the objects they reach. */
static void tags_over(struct ctx *c, const struct lf_resource *r, size_t n, int object,
                      const char *where)
{
	size_t own = object ? TAG_OWN_OBJECT : TAG_OWN_BUCKET;
	size_t max = object ? TAG_MAX_OBJECT : TAG_MAX_BUCKET;
	struct lf_pos p = pos_of(c, r, "spec.tags");

	lf_diag_error(c->d, &p,
	              "spec.tags: %zu tags reach %s, and with lakeform's own %zu that is %zu, "
	              "over the %zu S3 allows on %s: keep at most %zu",
	              n, where, own, n + own, max, object ? "an object" : "a bucket", max - own);
}

static void check_tags(struct ctx *c)
{
	const struct lf_resource *account = NULL;
	int account_prefixes = 0;

	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		const char *k = r->kind->name;
		if (!strcmp(k, "Account"))
			account = r;
		/* a metastore's, catalog's, schema's or volume's prefix carries
		 * the account's tags */
		account_prefixes |= !strcmp(k, "Metastore") || !strcmp(k, "Catalog") ||
		                    !strcmp(k, "Schema") || !strcmp(k, "Volume");
		if (!strcmp(k, "Account") || !strcmp(k, "Workspace"))
			check_tag_keys(c, r);
	}
	json_t *at = account ? lf_json_path(account->value, "spec.tags") : NULL;
	size_t na = json_object_size(at);
	int account_over = 0;
	if (account && na + TAG_OWN_BUCKET > TAG_MAX_BUCKET) {
		tags_over(c, account, na, 0, "the default storage bucket");
		account_over = 1;
	} else if (account && account_prefixes && na + TAG_OWN_OBJECT > TAG_MAX_OBJECT) {
		tags_over(c, account, na, 1, "the prefixes of metastores and catalogs");
		account_over = 1;
	}
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *w = &c->m->res[i];
		if (strcmp(w->kind->name, "Workspace"))
			continue;
		json_t *wt = lf_json_path(w->value, "spec.tags");
		size_t n = tags_union(at, wt);
		int bucket = str_at(w, "spec.storage.bucket") != NULL;
		/* expand.c: a prefix in the default storage without a bucket of
		 * its own, and the workspace catalog's prefixes */
		int prefixes =
		    !bucket || (str_at(w, "spec.metastore") &&
		                !json_is_false(lf_json_path(w->value, "spec.workspace_catalog")));
		const struct lf_resource *at_r = json_object_size(wt) ? w : account;
		if (!at_r || account_over)
			continue; /* the account's own are too many: said once, there */
		char *where = NULL;
		if (bucket && n + TAG_OWN_BUCKET > TAG_MAX_BUCKET) {
			where = lf_xasprintf("the bucket of workspace '%s' (its own and the "
			                     "account's)",
			                     w->name);
			tags_over(c, at_r, n, 0, where);
		} else if (prefixes && n + TAG_OWN_OBJECT > TAG_MAX_OBJECT) {
			where = lf_xasprintf("the prefixes of workspace '%s' (its own and the "
			                     "account's)",
			                     w->name);
			tags_over(c, at_r, n, 1, where);
		}
		free(where);
	}
}

/* ---- data residency -------------------------------------------------------------- */

/* `region`, or NULL when check_regions reported it: one mistake, one error. */
static const char *known_region(const struct ctx *c, const char *region)
{
	const json_t *known = c->m->kinds->regions;

	return region && known && !in_list(known, region) ? NULL : region;
}

/* The region of declared bucket `b`: its declaring resource's. */
static const char *bucket_region(const struct ctx *c, const char *b)
{
	const struct lf_resource *r = lf_map_get(&c->buckets, b);

	if (!r)
		return NULL;
	if (!strcmp(r->kind->name, "Account"))
		return str_at(r, "spec.default_storage.region");
	return str_at(r, "spec.region");
}

/*
 * Serverless default storage is regional: a workspace without a bucket of
 * its own, or a metastore without one, in another region than the default
 * storage's keeps its data in the default storage bucket of its region,
 * "<bucket>-<region>" (lf_regional_bucket, expand.c).  That name must be a
 * bucket name S3 takes, and no other resource's.
 */
static void check_regional_buckets(struct ctx *c)
{
	const struct lf_resource *acct = NULL;
	struct lf_map seen = LF_MAP_INIT;

	for (size_t i = 0; i < c->m->nres; i++)
		if (!strcmp(c->m->res[i].kind->name, "Account"))
			acct = &c->m->res[i];
	const char *def = acct ? str_at(acct, "spec.default_storage.bucket") : NULL;
	const char *home =
	    acct ? known_region(c, str_at(acct, "spec.default_storage.region")) : NULL;
	char buf[64];
	if (!def || !home || bucket_name_problem(def, buf, sizeof(buf)))
		return; /* no default storage, or reported already */
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		const char *k = r->kind->name;

		if (strcmp(k, "Workspace") && strcmp(k, "Metastore") && strcmp(k, "Catalog") &&
		    strcmp(k, "Schema"))
			continue;
		const char *region = known_region(c, str_at(r, "spec.region"));
		int uses = (!strcmp(k, "Workspace") && !str_at(r, "spec.storage.bucket")) ||
		           (!strcmp(k, "Metastore") && !str_at(r, "spec.storage_root.bucket"));
		if (!uses || !region || !strcmp(region, home) || lf_map_get(&seen, region))
			continue;
		lf_map_put(&seen, region, (void *)r);
		char *name = lf_regional_bucket(def, home, region);
		const char *why = bucket_name_problem(name, buf, sizeof(buf));
		const struct lf_resource *other = lf_map_get(&c->buckets, name);
		struct lf_pos p = pos_of(c, acct, "spec.default_storage.bucket");
		if (why)
			lf_diag_error(c->d, &p,
			              "spec.default_storage.bucket: %s '%s' in '%s' keeps its data "
			              "in the default storage of its region, bucket '%s', which is "
			              "not a valid S3 bucket name: %s; choose a shorter default "
			              "storage bucket name, or give it a bucket of its own",
			              r->kind->lower, r->name, region, name, why);
		else if (other)
			lf_diag_error(c->d, &p,
			              "spec.default_storage.bucket: %s '%s' in '%s' keeps its data "
			              "in the default storage of its region, bucket '%s', which %s "
			              "'%s' declares too; a bucket belongs to one resource",
			              r->kind->lower, r->name, region, name, other->kind->lower,
			              other->name);
		free(name);
	}
	lf_map_release(&seen);
}

/*
 * Data stays in its region: a catalog's or schema's own bucket is in its
 * metastore's region.  (A serverless workspace's default storage and a
 * metastore's root in the default storage are in their own region's
 * default storage bucket: check_regional_buckets.)
 */
static void check_residency(struct ctx *c)
{
	for (size_t i = 0; i < c->m->nres; i++) {
		const struct lf_resource *r = &c->m->res[i];
		const char *k = r->kind->name;

		if (!strcmp(k, "Catalog") || !strcmp(k, "Schema")) {
			const char *b = str_at(r, "spec.storage_root.bucket");
			const char *ms = str_at(r, "spec.metastore");
			const struct lf_resource *m = ms ? find_res(c, "metastore/%s", ms) : NULL;
			const char *mregion = m ? known_region(c, str_at(m, "spec.region")) : NULL;
			const char *bregion = b ? known_region(c, bucket_region(c, b)) : NULL;
			if (!mregion || !bregion || !strcmp(mregion, bregion))
				continue;
			struct lf_pos p = pos_of(c, r, "spec.storage_root.bucket");
			lf_diag_error(
			    c->d, &p,
			    "spec.storage_root.bucket: bucket '%s' is in '%s' but %s '%s' "
			    "belongs to metastore '%s', in '%s'; its managed data stays "
			    "in the metastore's region",
			    b, bregion, r->kind->lower, r->name, ms, mregion);
		}
	}
}

/* PriceList and Budget (cost.c) */
static void check_cost(struct ctx *c)
{
	lf_cost_check(c->m, c->d);
}

/* The checks after collect_implicit, in the order they report. */
#define BUCKETS_SLOT 4
static void (*const checks[])(struct ctx *) = {
    check_accounts,
    check_regions,
    check_metastore_regions,
    check_identities,
    NULL, /* BUCKETS_SLOT: check_buckets fills c->buckets, so it runs first */
    check_bucket_names,
    check_case,
    check_external_locations,
    check_residency,
    check_regional_buckets,
    check_tags,
    check_columns,
    check_refs,
    check_principals,
    check_workspaces,
    check_cidrs,
    check_grants,
    check_group_cycles,
    check_sso,
    check_cost,
};
#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

/* The checks that take longest at 100,000 resources (most are Grants):
 * started first, so that the other core is not left idle at the end while
 * one of them runs alone.  The diagnostics keep the checks' order. */
static void (*const long_checks[])(struct ctx *) = {
    check_grants,
    check_principals,
    check_external_locations,
    check_refs,
};
#define NLONG (sizeof(long_checks) / sizeof(long_checks[0]))

struct check_run {
	const struct ctx *c;
	size_t order[NCHECKS]; /* the checks, in the order they are started */
	struct lf_diags d[NCHECKS];
};

static int is_long(size_t i)
{
	for (size_t j = 0; j < NLONG; j++)
		if (checks[i] == long_checks[j])
			return 1;
	return 0;
}

/* lf_par_for's item: the facts of the Grants among resources
 * [i * FACTS_CHUNK, (i + 1) * FACTS_CHUNK) */
#define FACTS_CHUNK 4096
static void collect_facts(void *arg, size_t i)
{
	const struct ctx *c = arg;

	for (size_t j = i * FACTS_CHUNK; j < c->m->nres && j < (i + 1) * FACTS_CHUNK; j++) {
		const struct lf_resource *g = &c->m->res[j];
		if (!is_grant(g))
			continue;
		json_t *spec = json_object_get(g->value, "spec");
		json_t *sec = json_object_get(spec, "securable");
		struct grant_facts *f = &c->grants[j];
		f->type = json_string_value(json_object_get(sec, "type"));
		f->name = json_string_value(json_object_get(sec, "name"));
		f->ms = json_string_value(json_object_get(sec, "metastore"));
		f->principal = json_string_value(json_object_get(spec, "principal"));
	}
}

/* lf_par_for's item: check i, reporting into a slot of its own */
static void run_check(void *arg, size_t i)
{
	struct check_run *r = arg;
	struct ctx c = *r->c; /* the maps are only read from here on */

	i = r->order[i];
	c.d = &r->d[i];
	if (checks[i])
		checks[i](&c);
}

int lf_manifest_check(const struct lf_manifest *m, struct lf_diags *d)
{
	struct ctx c = {m, d, LF_MAP_INIT, LF_MAP_INIT, NULL};
	size_t before = d->errors;
	struct check_run *r = lf_xcalloc(1, sizeof(*r));

	c.grants = lf_xcalloc(m->nres + 1, sizeof(*c.grants));
	lf_par_for((m->nres + FACTS_CHUNK - 1) / FACTS_CHUNK, collect_facts, &c);
	collect_implicit(&c);
	/* the checks only read what the two collecting ones made: they run
	 * on every core, and their diagnostics are added in the checks'
	 * order, as one thread would add them */
	c.d = &r->d[BUCKETS_SLOT];
	check_buckets(&c);
	c.d = d;
	r->c = &c;
	size_t n = 0;
	for (size_t j = 0; j < NLONG; j++)
		for (size_t i = 0; i < NCHECKS; i++)
			if (checks[i] == long_checks[j])
				r->order[n++] = i;
	for (size_t i = 0; i < NCHECKS; i++)
		if (!is_long(i))
			r->order[n++] = i;
	lf_par_for(n, run_check, r);
	for (size_t i = 0; i < NCHECKS; i++)
		lf_diags_append(d, &r->d[i]);
	free(r);
	free(c.grants);
	lf_map_release(&c.implicit);
	lf_map_release(&c.buckets);
	return d->errors > before ? -1 : 0;
}
