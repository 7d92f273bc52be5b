/*
 * manifest.h - manifest documents checked against their kinds' schemas.
 *
 * A kind is described by one JSON Schema in the schema directory
 * (`<Kind>.schema.json`, the single source of truth): validation, defaults,
 * and the x-lakeform-* annotations that say how a resource is named
 * (x-lakeform-identity), what it refers to (x-lakeform-refs), which fields
 * name principals (x-lakeform-principal), force replacement
 * (x-lakeform-force-new) or are secret (x-lakeform-sensitive).
 *
 * lf_manifest_build() checks each document's envelope and schema, applies
 * defaults and indexes resources by address; lf_manifest_check() applies the
 * rules that span documents (references, regions, CIDRs, principals,
 * privileges, cycles).  Both add every problem to a struct lf_diags.
 */
#ifndef LF_CORE_MANIFEST_H
#define LF_CORE_MANIFEST_H

#include <jansson.h>

#include "diag.h"
#include "jsonschema.h"
#include "source.h"
#include "../util/map.h"

#define LF_API_VERSION "lakeform/v1"

struct lf_kind_ref {
	char *kind;    /* referenced kind, e.g. "Catalog" */
	char **fields; /* dotted paths in the referring document */
	size_t nfields;
};

struct lf_kind {
	int is_type;    /* a provider resource type (storage.bucket), not a kind */
	char *family;   /* for a type: "storage" or "compute" */
	char *name;     /* "ServicePrincipal", or the type "storage.bucket" */
	char *lower;    /* "serviceprincipal": the address prefix */
	json_t *schema; /* owned */
	struct lf_schema *compiled;
	char **identity; /* dotted paths forming the resource's key */
	size_t nidentity;
	struct lf_kind_ref *refs;
	size_t nrefs;
	char **principals; /* dotted paths; a trailing "[]" means each item */
	size_t nprincipals;
	char **force_new, **sensitive;
	size_t nforce_new, nsensitive;
};

struct lf_kinds {
	struct lf_kind *v;
	size_t n;
	/* owned: the regions that exist (strings), from regions.json beside
	 * the schemas and lakeform.yaml's `regions`; NULL: no regions.json, and
	 * regions are not checked */
	json_t *regions;
};

#define LF_KINDS_INIT         \
	{                     \
		NULL, 0, NULL \
	}

/*
 * Load every `*.schema.json` of `dir` that declares x-lakeform-kind (a
 * manifest kind) or x-lakeform-type (a provider resource type), and the
 * cloud's regions from `dir`/regions.json when it is there.
 * Returns 0, or -1 with errors in `d` (a schema that does not compile, a
 * regions.json that is not {"regions": [NAME, ...]}).
 */
int lf_kinds_load(struct lf_kinds *out, const char *dir, struct lf_diags *d);
/*
 * Add the regions of a private cloud (`names`, lakeform.yaml's `regions`, a
 * checked array of strings, borrowed) to those regions.json lists.
 */
void lf_kinds_add_regions(struct lf_kinds *k, const json_t *names);
/* Borrowed kind, or NULL. */
const struct lf_kind *lf_kinds_find(const struct lf_kinds *k, const char *name);
void lf_kinds_release(struct lf_kinds *k);

struct lf_resource {
	const struct lf_kind *kind;      /* borrowed from the kinds */
	const struct lf_source_doc *doc; /* borrowed from the source */
	json_t *value;                   /* borrowed: the document's root */
	const char *name;                /* borrowed: metadata.name */
	char *address;                   /* owned: "catalog/main-use1/sales" */
};

struct lf_manifest {
	const struct lf_source *src;  /* borrowed */
	const struct lf_kinds *kinds; /* borrowed */
	struct lf_resource *res;      /* in document order */
	size_t nres, res_alloc;
	struct lf_map by_address; /* address -> index + 1 into res */
};

#define LF_MANIFEST_INIT                            \
	{                                           \
		NULL, NULL, NULL, 0, 0, LF_MAP_INIT \
	}

/*
 * Check every document of `src` against its kind and index the valid ones.
 * Defaults from the schemas are written into the documents.  Returns 0, or
 * -1 when errors were added to `d`.
 */
int lf_manifest_build(struct lf_manifest *m, const struct lf_source *src,
                      const struct lf_kinds *kinds, struct lf_diags *d);

/* The rules across documents (DESIGN.md section 1).  Returns 0 or -1. */
int lf_manifest_check(const struct lf_manifest *m, struct lf_diags *d);

/*
 * Of those rules, the one that reads a table's columns alone: no column
 * defined twice (names compared without case).  For a plan of changed
 * documents only (incr.h), which leaves any table it finds fault with to
 * the full path.  Returns 0 or -1.
 */
int lf_manifest_check_columns(const struct lf_manifest *m, struct lf_diags *d);

/*
 * Of those rules, the one that reads a Grant's privileges alone: each
 * known, listed once, and one Unity Catalog grants on the type of the
 * Grant's securable.  For the plan of changed documents (incr.h), as
 * lf_manifest_check_columns().  Returns 0 or -1.
 */
int lf_manifest_check_privileges(const struct lf_manifest *m, struct lf_diags *d);

/* Borrowed resource at `address`, or NULL. */
const struct lf_resource *lf_manifest_get(const struct lf_manifest *m, const char *address);

/* The address of a principal's record ("user:a@b" -> "user/a@b",
 * "service_principal:x" -> "serviceprincipal/x"), owned; NULL when it is
 * not a principal (or names no one: "user:"). */
char *lf_principal_address(const char *p);

/*
 * Levenshtein distance of `a` and `b`, ignoring case, for "did you mean"
 * suggestions; 99 for strings of 63 characters or more.
 */
size_t lf_edit_distance(const char *a, const char *b);

/* The value at a dotted path of a document, borrowed, or NULL. */
json_t *lf_json_path(json_t *root, const char *path);

/* A new array of `obj`'s values in the order of their keys (strcmp). */
json_t *lf_json_values_by_key(json_t *obj);

/*
 * The account's default storage bucket in `region`: serverless default
 * storage is regional, so the account's `bucket` (in its own region) has a
 * sibling in every other region in use, named "<bucket>-<region>".  Owned
 * result; rules.c checks that it is a valid bucket name.
 */
char *lf_regional_bucket(const char *bucket, const char *home_region, const char *region);

void lf_manifest_release(struct lf_manifest *m);

#endif
