/*
 * family.h - the provider families: one table, one entry a family.
 *
 * A family is the set of provider resource types one provider serves
 * ("storage.bucket", "storage.prefix" ... for storage), its default
 * provider, and the key of its settings in lakeform.yaml
 * (providers.<family>).  A type's schema names its family
 * (x-lakeform-family); the executor, refresh and drift find a resource's
 * provider through this table and loop over it, so that a new family is one
 * more entry here (and its schemas), not new branches in them.
 */
#ifndef LF_CORE_FAMILY_H
#define LF_CORE_FAMILY_H

#include <jansson.h>

struct lf_provider;

enum lf_family_id { LF_FAMILY_STORAGE, LF_FAMILY_COMPUTE, LF_FAMILY_IDENTITY, LF_NFAMILIES };

struct lf_family {
	const char *name;        /* "storage": lakeform.yaml providers.storage */
	const char *type_prefix; /* "storage.": the types it serves */
	/* the default provider: "local-storage"; NULL for a family that is
	 * optional: its provider starts only when lakeform.yaml names one
	 * (providers.<family>.name), and without one nothing of the family is
	 * expanded (identity: users and groups stay records) */
	const char *provider;
};

/* Indexed by enum lf_family_id, in the order providers start. */
extern const struct lf_family lf_families[LF_NFAMILIES];

/* The family a type's schema names when it names none. */
#define LF_FAMILY_DEFAULT LF_FAMILY_STORAGE

/* The provider serving family `f` under lakeform.yaml's root `settings`
 * (borrowed, may be NULL): providers.<family>.name, else the default; NULL
 * for an optional family not configured. */
const char *lf_family_provider(const json_t *settings, int f);

/* The index of the family called `name`, or -1 (NULL, "lakeform", ...). */
int lf_family_find(const char *name);

/* The providers of one run, by family; NULL for one not started. */
struct lf_providers {
	struct lf_provider *v[LF_NFAMILIES];
};

/* The provider of family `name` (borrowed), or NULL. */
struct lf_provider *lf_providers_get(const struct lf_providers *pv, const char *name);

#endif
