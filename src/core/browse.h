/*
 * browse.h - a loaded state indexed once for reading, page by page: what
 * `lakeform serve` shows (the account map, the three-level namespace, the
 * principals, the resources, the dependency graph).
 *
 * lf_browse_build() parses every record of a state and builds its indexes
 * (by type, by parent, grants by securable and by principal, group
 * membership, dependents, the namespace tree), so that every page after it
 * costs the size of the page, not of the state: lists are sliced with an
 * offset and a limit.  Each page is a JSON document (the server's /api/...,
 * and what its HTML is drawn from).  Nothing here prints or reads the
 * environment.  The state must outlive the index and not change under it.
 */
#ifndef LF_CORE_BROWSE_H
#define LF_CORE_BROWSE_H

#include <jansson.h>

#include "../state/state.h"
#include "../util/buf.h"
#include "../util/map.h"

/* A list of record indexes into the state's res[]. */
struct lf_browse_list {
	size_t *v;
	size_t n, alloc;
};

/* One privilege set one grant record gives one principal on one securable. */
struct lf_browse_grant {
	size_t grant;          /* the grant record */
	const char *principal; /* "group:analysts", borrowed from the record */
	char *securable;       /* the securable's address ("catalog/main-use1/sales") */
	json_t *privileges;    /* borrowed array of strings */
};

struct lf_browse {
	struct lf_state *st;        /* borrowed */
	struct lf_map by_type;      /* type -> struct lf_browse_list * */
	struct lf_map children;     /* parent address -> list of records it expanded to */
	struct lf_map dependents;   /* address -> list of records that need it */
	struct lf_map sec_grants;   /* securable address -> list of indexes into grants[] */
	struct lf_map princ_grants; /* principal -> list of indexes into grants[] */
	struct lf_map member_of;    /* principal -> list of group records naming it */
	struct lf_map sub;          /* namespace parent address -> list of its children */
	struct lf_browse_grant *grants;
	size_t ngrants, grants_alloc;
	struct lf_browse_list principals; /* user, group, serviceprincipal records */
	char **types;                     /* the types present, sorted */
	size_t ntypes;
	/* everything the maps point to, freed together */
	void **owned;
	size_t nowned, owned_alloc;
};

/* A masking of a record's values (the CLI's: sensitive paths as
 * "(sensitive)"): *inputs and *attrs owned by the caller, NULL when none. */
typedef void (*lf_browse_mask_fn)(const struct lf_state_res *r, json_t **inputs, json_t **attrs);

/* Index `st` (every record parsed).  0, or -1 with *why (static) when a
 * record cannot be read. */
int lf_browse_build(struct lf_browse *b, struct lf_state *st, const char **why);
void lf_browse_release(struct lf_browse *b);

/* Pages: owned JSON documents, or NULL when what they name does not
 * exist.  `offset` and `limit` slice the page's main list; the document
 * says "total", "offset" and "limit" of it. */

/* The state's header and the count of each type. */
json_t *lf_browse_summary(const struct lf_browse *b);
/* Regions -> metastores -> workspaces (serverless or classic, with the
 * storage and networks they expanded to and depend on); every region and
 * metastore, the workspaces sliced in address order (each region and
 * metastore says its "workspaces_total"). */
json_t *lf_browse_account(const struct lf_browse *b, size_t offset, size_t limit);
/* The namespace at `path`: "" (the metastores), "METASTORE" (its
 * catalogs), "M/CATALOG" (its schemas), "M/C/SCHEMA" (its tables and
 * volumes), "M/C/S/NAME" (a table or volume); each securable with its
 * grants. */
json_t *lf_browse_namespace(const struct lf_browse *b, const char *path, size_t offset,
                            size_t limit);
/* The principals (users, groups, service principals). */
json_t *lf_browse_principals(const struct lf_browse *b, size_t offset, size_t limit);
/* One principal ("user:alice@acme.com"): its record, its groups (nested,
 * each with the group it comes through; the first `limit`, and
 * "member_of_total"), its members when a group, the grants made to it and
 * to its groups (sliced). */
json_t *lf_browse_principal(const struct lf_browse *b, const char *principal, size_t offset,
                            size_t limit);
/* The records, of one type when `type` is not NULL or "", whose address
 * starts with `prefix` when it is not NULL or "". */
json_t *lf_browse_resources(const struct lf_browse *b, const char *type, const char *prefix,
                            size_t offset, size_t limit);
/* One record with its values as `mask` gives them, what it depends on,
 * what depends on it, what it expanded to. */
json_t *lf_browse_resource(const struct lf_browse *b, const char *address, lf_browse_mask_fn mask);
/*
 * The dependency graph as {"nodes": [...], "edges": [[from, to], ...],
 * "total": N, "shown": M}: the manifest resources (and the provider ones
 * with `expanded`); with `focus`, the resources within `depth` steps of it
 * either way; at most `max_nodes` nodes (those nearest first).
 */
json_t *lf_browse_graph(const struct lf_browse *b, const char *focus, int depth, int expanded,
                        size_t max_nodes);

/* The graph of lf_browse_graph() in Graphviz DOT, as `lakeform graph`
 * prints it; with `url_prefix`, each node links to url_prefix followed by
 * its address, percent-encoded. */
void lf_browse_graph_dot(const json_t *graph, const char *url_prefix, struct lf_buf *out);

#endif
