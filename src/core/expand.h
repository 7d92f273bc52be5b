/*
 * expand.h - from manifest resources to the resources providers manage.
 *
 * Every manifest resource becomes a desired resource of provider
 * "lakeform" (recorded in the state, no provider call), and expands into the
 * provider resources of DESIGN.md section 3:
 *
 *   Account                 storage.bucket (the default storage)
 *   Workspace, serverless   storage.prefix in the default storage (or its own
 *                           storage.bucket), compute.network (internal)
 *   Workspace, classic      storage.bucket, compute.network (its CIDR),
 *                           compute.node_pool
 *   workspace catalog       a Catalog and its 'default' Schema, and grants
 *                           to the workspace's users and admins
 *   Metastore               storage.bucket (its own) or storage.prefix
 *   Catalog, Schema, Volume storage.prefix (the managed location)
 *   Grants                  one storage.policy per bucket, from every grant
 *                           on a securable stored in it (inherited down the
 *                           namespace, as Unity Catalog does)
 *   User, Group,            identity.user, identity.group,
 *   ServicePrincipal        identity.service_principal, only when
 *                           `identities` is set (docs/identity.md)
 *
 * Which privileges read and which write comes from the Grant schema's
 * x-lakeform-access table; which fields force replacement or are sensitive
 * from each kind's and type's schema.  Dependencies come from the schemas'
 * x-lakeform-refs, the principals, the securables of grants, and expansion
 * (a prefix needs its bucket, a node pool its network, a policy its bucket).
 */
#ifndef LF_CORE_EXPAND_H
#define LF_CORE_EXPAND_H

#include <jansson.h>

#include "diag.h"
#include "manifest.h"
#include "../util/map.h"

struct lf_state;

struct lf_dres {
	char *address;  /* owned: "workspace/analytics", "storage.bucket/b" */
	char *type;     /* owned: "workspace", "storage.bucket" */
	char *name;     /* owned: the address after "type/" */
	char *provider; /* owned: "lakeform", "storage", "compute" */
	char *parent;   /* owned: manifest address, NULL at the manifest level */
	json_t *inputs; /* owned: what is desired */
	char **deps;    /* owned: addresses this one needs first */
	size_t ndeps, deps_alloc;
	char **sources; /* owned: a policy's: the manifest addresses its statements come from */
	size_t nsources, sources_alloc;
	const struct lf_kind *kind;      /* its kind or type: force-new, sensitive */
	const struct lf_source_doc *doc; /* where it is written (or its parent) */
	int prevent_destroy;             /* metadata.lifecycle (its own or parent's) */
	int implicit;                    /* made by expansion, not a document */
	char digest[65];                 /* of inputs */
};

/*
 * What the bucket policies are compiled from, kept for the plan of the
 * changed documents (incr.h): each grant of a principal on a securable
 * with data, in the order expansion compiled them (a Grant's own, then
 * owners' and workspace catalogs'), with the storage access its
 * privileges give (none too); and each securable so named with the
 * places in storage a grant on it reaches: its own location and, as Unity
 * Catalog inherits, those below it stored elsewhere.
 */
#define LF_ACCESS_READ 1
#define LF_ACCESS_WRITE 2

struct lf_reach_loc {
	char *bucket, *path; /* path: "" or ending in '/' */
};

struct lf_reach_sec {
	char *address; /* "table/ms/cat/sch/t" */
	struct lf_reach_loc *locs;
	size_t n;
};

struct lf_reach_grant {
	/* borrowed: from the desired set the reach is part of, or from the
	 * reach's `strings` */
	const char *source;    /* the manifest address whose grant it is */
	const char *principal; /* "group:analysts" */
	size_t sec;            /* in lf_reach.secs */
	int access;            /* LF_ACCESS_READ | LF_ACCESS_WRITE, or 0 */
};

struct lf_reach {
	struct lf_reach_sec *secs;
	size_t nsecs, secs_alloc;
	struct lf_reach_grant *v;
	size_t n, alloc;
	struct lf_map strings; /* text -> its owned copy: principals, sources */
};

/* `text`'s copy among r->strings (made on the first need). */
const char *lf_reach_intern(struct lf_reach *r, const char *text);

struct lf_desired {
	struct lf_dres **v; /* each on the heap: pointers stay valid */
	size_t n, alloc;
	struct lf_map index; /* address -> index + 1 */
	char *account;       /* the account's name, for ownership labels */
	/* set by the caller before expanding: Users, Groups and
	 * ServicePrincipals also become identity.* resources (a provider
	 * serves family identity); 0: they are records only */
	int identities;
	/* set by the caller before expanding: keep in `reach` what the bucket
	 * policies are compiled from (apply records it for the plans of
	 * changed documents, incr.h); 0: `reach` stays empty */
	int keep_reach;
	struct lf_reach reach;
};

#define LF_DESIRED_INIT                                     \
	{                                                   \
		NULL, 0, 0, LF_MAP_INIT, NULL, 0, 0,        \
		{                                           \
			NULL, 0, 0, NULL, 0, 0, LF_MAP_INIT \
		}                                           \
	}

/* The storage access (LF_ACCESS_*) that `privileges` (an array of
 * strings, as a Grant writes them) give, by the Grant schema's
 * x-lakeform-privileges table in `kinds`. */
int lf_privileges_access(const struct lf_kinds *kinds, const json_t *privileges);

/*
 * The statements of bucket `bucket`'s policy as lf_expand() compiles
 * them from `r` (a new array, empty when no grant reaches the bucket),
 * with the addresses of their principals, each once, in statement order
 * (*deps, owned), and the manifest addresses they come from, in the order
 * expansion met them (*sources, owned).
 */
json_t *lf_reach_policy(const struct lf_reach *r, const char *bucket, char ***deps, size_t *ndeps,
                        char ***sources, size_t *nsources);

void lf_reach_release(struct lf_reach *r);

/*
 * Expand a validated manifest set (lf_manifest_check() passed).  Returns 0,
 * or -1 with errors in `d` (a provider type missing from the schemas).
 */
int lf_expand(struct lf_desired *out, const struct lf_manifest *m, struct lf_diags *d);

/*
 * lf_expand() against a state: the one choice expansion takes from what is
 * recorded is the name of a classic workspace's network.  It is the
 * recorded network of that workspace with the same CIDR (so nothing moves
 * while the CIDR stays), else the workspace's name when the workspace has
 * no network recorded, else "<workspace>-<the CIDR's numbers>" (a CIDR
 * change makes a new network beside the old one: the node pool moves over
 * and the old network goes after it).  `st` may be NULL (as lf_expand()).
 */
int lf_expand_recorded(struct lf_desired *out, const struct lf_manifest *m, struct lf_state *st,
                       struct lf_diags *d);

/* The default limit of a bucket policy's size: AWS's 20 KB. */
#define LF_POLICY_MAX_BYTES 20480

/*
 * Measure every storage.policy of `ds` as the s3 provider will write it
 * (src/util/s3policy.c, ARNs from `settings`' providers.storage.settings
 * .principals) against providers.storage.settings.policy_max_bytes
 * (default LF_POLICY_MAX_BYTES when the storage provider is s3; no limit
 * for another provider unless set).  Returns 0, or -1 with an error in `d`
 * per policy that cannot fit: the bucket, the size and its largest
 * principals by bytes.  `settings` is lakeform.yaml's root, borrowed.
 */
int lf_expand_check_policies(const struct lf_desired *ds, const json_t *settings,
                             struct lf_diags *d);

/*
 * The dependencies of manifest resource `res`'s record: what its fields
 * name (its references, then its principals, each once), added to r's.
 */
void lf_manifest_deps(const struct lf_kinds *kinds, const struct lf_resource *res,
                      struct lf_dres *r);

/*
 * The grant a workspace catalog gives each of the workspace's users and
 * admins `p`, as in Databricks: on catalog `cat` of metastore `ms`
 * USE_CATALOG (*on_catalog), on its 'default' schema the use of it and
 * the right to create in it (*on_schema).  Its inputs, its name
 * ("workspace:WS:P") in *name; all owned.
 */
json_t *lf_workspace_grant(const char *ws, const char *ms, const char *cat, const char *p,
                           char **name, json_t **on_catalog, json_t **on_schema);

/* Borrowed, or NULL. */
struct lf_dres *lf_desired_get(const struct lf_desired *ds, const char *address);

/* A desired resource and all it owns. */
void lf_dres_free(struct lf_dres *r);

void lf_desired_release(struct lf_desired *ds);

#endif
