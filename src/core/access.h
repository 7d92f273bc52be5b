/*
 * access.h - effective access: who can do what, resolved as Unity Catalog
 * resolves it, with the grants each privilege comes from.
 *
 * A model (struct lf_access) is built from the lakeform-level resources of
 * a configuration: the desired one (manifests expanded, workspace catalogs
 * and their grants included, with FILE:LINE:COL of what wrote them) or the
 * applied one (a state's records, without positions).  It is then asked
 * about one principal or one securable:
 *
 *   lf_access_principal(&l, a, "user:alice@acme.com")  every privilege the
 *       principal holds, on every securable;
 *   lf_access_securable(&l, a, "sales.raw.orders")      every principal
 *       holding a privilege on it, groups and their members alike.
 *
 * Each answer is a list of lines (principal, securable, privilege), each
 * with the ways (`via`) it is held.  The rules (docs/access.md):
 *
 * - a Grant gives its privileges on its securable; ALL_PRIVILEGES stands
 *   for every privilege valid on that securable's type (the Grant schema's
 *   x-lakeform-privileges table) but EXTERNAL_USE_SCHEMA and MANAGE;
 * - a privilege granted on a catalog or a schema is inherited by what it
 *   holds, where it is valid on the child's type (SELECT on a catalog:
 *   SELECT on its schemas and tables; USE_SCHEMA on a catalog: on its
 *   schemas), except APPLY_TAG, BROWSE and MANAGE, which stay where they
 *   are granted; metastore privileges are inherited by nothing;
 * - a group's privileges are its members', through nested groups;
 * - the owner of a securable (spec.owner; a workspace catalog's admins)
 *   holds every privilege valid on it, EXTERNAL_USE_SCHEMA excepted, on it
 *   and not on its children (Databricks, "Manage Unity Catalog object
 *   ownership");
 * - a workspace's users hold USER on it, its admins ADMIN and USER.
 *
 * A model is only read once built: several threads may ask it questions
 * at once, each into a list of its own.
 *
 * Like the rest of core this never prints: a question that cannot be
 * answered (an unknown principal, an ambiguous name) returns -1 and one
 * sentence in *error.
 */
#ifndef LF_CORE_ACCESS_H
#define LF_CORE_ACCESS_H

#include <jansson.h>
#include <stddef.h>

#include "expand.h"
#include "manifest.h"

struct lf_state;

/* How a privilege is held. */
enum lf_access_how {
	LF_ACCESS_GRANT,  /* a Grant (a document, or a workspace catalog's) */
	LF_ACCESS_OWNER,  /* ownership of the securable */
	LF_ACCESS_MEMBER, /* workspace assignment: users or admins */
};

struct lf_access_via {
	enum lf_access_how how;
	/* what it comes from: the grant's address ("grant/analysts-read"),
	 * for an owner or an assignment the owned securable or the workspace */
	char *source;
	/* the securable it is given on: the line's own, or an ancestor's when
	 * inherited */
	char *on;
	/* as given there: "SELECT", "ALL_PRIVILEGES" (expanded into the
	 * line's privilege), "OWNER", "USERS" or "ADMINS" */
	char *given;
	/* the principal it is given to: the line's own, or a group the line's
	 * principal is a member of */
	char *holder;
	/* the membership from the line's principal up to `holder`: the
	 * groups in order, the first one holding the principal, the last
	 * `holder`; none when holder is the principal.  Shared by the vias
	 * with the same principal and holder, owned by the list */
	char **groups;
	size_t ngroups;
	/* where it is written (owned file name), or file NULL (from a state) */
	char *file;
	unsigned line, col;
};

struct lf_access_line {
	char *principal;           /* "user:alice@acme.com", "group:analysts" */
	char *securable;           /* its address: "table/main-use1/sales/raw/orders" */
	char *type;                /* "metastore", "catalog", "schema", "table", "volume",
	                  * "bucket", "workspace" */
	char *privilege;           /* "SELECT", "USER" */
	struct lf_access_via *via; /* sorted: grants, owners, assignments */
	size_t nvia;
};

struct lf_access_list {
	char *subject;            /* the principal or the securable's address asked about */
	int on_securable;         /* 1 for lf_access_securable() */
	struct lf_access_line *v; /* sorted (principal: by securable, then privilege;
	                           * securable: by principal, then privilege) */
	size_t n, alloc;
	char ***chains; /* what the vias' `groups` point into, NULL-terminated */
	size_t nchains;
};

#define LF_ACCESS_LIST_INIT                  \
	{                                    \
		NULL, 0, NULL, 0, 0, NULL, 0 \
	}

/* A securable of the model. */
struct lf_access_securable {
	char *address;   /* "schema/main-use1/sales/raw", "bucket/acme-ws", "workspace/etl" */
	char *type;      /* as in lf_access_line */
	char *name;      /* "sales.raw"; a metastore's, bucket's or workspace's name */
	char *metastore; /* for the namespace's securables, else NULL */
	char *parent;    /* the address of the one holding it, or NULL */
};

struct lf_access;

/*
 * The model of a checked and expanded configuration: `ds` (lf_expand() of
 * `m`), positions taken from m->src, the privilege table from m->kinds.
 * Borrows nothing after it returns.
 */
struct lf_access *lf_access_from_desired(const struct lf_manifest *m, const struct lf_desired *ds);

/*
 * The model of what a state records as applied (its lakeform resources;
 * lazily read records are parsed).  `kinds`: the Grant kind's privilege
 * table (lf_kinds_load() of the schemas).
 */
struct lf_access *lf_access_from_state(struct lf_state *st, const struct lf_kinds *kinds);

void lf_access_free(struct lf_access *a);

/*
 * What `principal` ("user:NAME", "group:NAME", "service_principal:NAME")
 * can do.  0, or -1 with *error (owned by the caller): not a principal,
 * or not one the model knows (with the nearest as a suggestion).
 */
int lf_access_principal(struct lf_access_list *out, const struct lf_access *a,
                        const char *principal, char **error);

/*
 * Who can do what on `securable`: an address ("catalog/main-use1/sales",
 * "metastore/main-use1", "bucket/acme-ws", "workspace/etl"; a bucket also
 * as "storage.bucket/NAME"), or a name: "sales", "sales.raw",
 * "sales.raw.orders" in any metastore, or the name of a metastore, a
 * bucket or a workspace.  0, or -1 with *error (owned): unknown (with the
 * nearest), or a name that several securables have (naming their
 * addresses).
 */
int lf_access_securable(struct lf_access_list *out, const struct lf_access *a,
                        const char *securable, char **error);

/*
 * Pages of the same answers, for lakeform serve: the lines [offset,
 * offset + limit) of what lf_access_principal() or lf_access_securable()
 * answers, in the same order with the same vias and chains, and *total
 * set to how many lines the whole answer has.  Only the page's lines are
 * built, and only their chains of membership walked, so that a principal
 * in thousands of nested groups, or a catalog thousands hold privileges
 * on, is answered in a fraction of the time the whole answer takes.
 */
int lf_access_principal_page(struct lf_access_list *out, const struct lf_access *a,
                             const char *principal, size_t offset, size_t limit, size_t *total,
                             char **error);
int lf_access_securable_page(struct lf_access_list *out, const struct lf_access *a,
                             const char *securable, size_t offset, size_t limit, size_t *total,
                             char **error);

/* The principals the model knows, sorted ("group:...", "service_principal:...",
 * "user:..."); borrowed, *n set. */
const char *const *lf_access_principals(const struct lf_access *a, size_t *n);

/* The securables, in the order the text output uses (workspaces; each
 * metastore, then its namespace depth first; buckets); borrowed, *n set. */
const struct lf_access_securable *lf_access_securables(const struct lf_access *a, size_t *n);

/*
 * The list as `lakeform access --json` prints it (docs/access.md): a new
 * object, {"format_version": "1", "principal" or "securable": ...,
 * "access": [{"principal", "securable": {"address", "type", "name"},
 * "privilege", "via": [...]}], "memberships": [{"principal", "holder",
 * "groups"}]}: each chain of groups once, not in every via.
 */
json_t *lf_access_json(const struct lf_access_list *l, const struct lf_access *a);

/* One via as text: "grant/x (f.yaml:3:1) on catalog/m/sales; member of
 * group:a via group:b"; new string. */
char *lf_access_via_text(const struct lf_access_via *v, const char *principal,
                         const char *securable);

void lf_access_list_release(struct lf_access_list *l);

#endif
