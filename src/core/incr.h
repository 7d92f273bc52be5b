/*
 * incr.h - plan only the documents that changed (issue 17).
 *
 * After a complete apply, .lakeform/cache/documents remembers the manifest
 * files document by document: each file's digest, and per document (a
 * piece of the text from one "---" line to the next) a digest of its
 * bytes, the address of the resource it declares and that resource's place
 * in the order a plan shows changes in (lf_plan_order()).  A later plan
 * compares the files with it.  When only some documents changed, each of
 * them still declares the resource it declared, and what differs in it is
 * only fields that nothing but the resource's own record reads (its labels,
 * the comment of a catalog, schema, volume or table, a table's columns,
 * the display name of a service principal or group, and of a user when
 * no provider serves identities: no expansion reads them, no rule across
 * documents; a table's columns are checked against each other here), then
 * the plan is the update of those records and a no-op for every other one.
 * A grant's privileges may change too: they are checked here as the full
 * path checks them, and the bucket policies its storage access reaches
 * are compiled again from what the cache records they were compiled from
 * (lf_desired.reach), each a record of the plan where the full plan shows
 * it.  A workspace may gain users: each gets its catalog's grant, made as
 * expansion makes it (lf_workspace_grant()), and the policies those
 * grants reach are compiled again; the cache's graph of what each record
 * needs is edited and every place in the order found again from it
 * (lf_plan_order_graph()).  Only the changed documents are parsed (at
 * their own lines: positions stay right) and checked against their
 * schemas.  Anything else (a document added, removed, moved or renamed,
 * another field (a workspace's users removed or reordered, its admins),
 * another lakeform version, schema or lakeform.yaml, a kind
 * whose documents read others' labels, a cache damaged in any way) makes
 * lf_incr_prepare() answer 0 and the caller takes the full path, which
 * says exactly what it always did.
 */
#ifndef LF_CORE_INCR_H
#define LF_CORE_INCR_H

#include "diag.h"
#include "expand.h"
#include "manifest.h"
#include "plan.h"
#include "planner.h"
#include "source.h"
#include "../state/state.h"

#define LF_INCR_CACHE ".lakeform/cache/documents"

/* One document of a recorded file. */
struct lf_incr_seg {
	unsigned char digest[16]; /* of its bytes (SHA-256, first 16 bytes) */
	long rank;                /* its resource's place (lf_plan_order()); -1: no document */
	char *address;            /* its resource's; NULL: no document */
};

/* A bucket policy's places in the plan's order: its own, and the last of
 * what it needs (its parent, its bucket, its principals). */
struct lf_incr_policy {
	char *address;
	long rank, needs;
};

struct lf_incr_file {
	char *name;                         /* relative to the configuration directory */
	unsigned char bytes[LF_SHA256_LEN]; /* SHA-256 of the file */
	size_t first, nsegs;                /* its documents in segs[] */
	int known;                          /* 0: its documents were not recorded */
};

struct lf_incr {
	/* the cache as read, and as it becomes with the files of now */
	char bytes[65], env[65];
	char **data; /* the text of each file as read, per files[] */
	size_t *len;
	struct lf_incr_file *files;
	size_t nfiles;
	struct lf_incr_seg *segs;
	size_t nsegs;
	/* the changed documents, parsed at their lines, and their records */
	struct lf_kinds kinds;
	struct lf_source src;
	struct lf_manifest m;
	struct lf_desired ds;
	long *rank; /* per ds.v[] */
	size_t nchanged;
	int identities;  /* a provider serves identities: users' objects carry their names */
	const char *why; /* why not, when lf_incr_prepare() answered 0 */
	/* what the bucket policies were compiled from (lf_desired.reach) and
	 * each policy's place: the cache's text after its files, parsed only
	 * when a grant's privileges changed (then `reach` is what an apply
	 * of this plan records) */
	char *tail;
	size_t ntail;
	int reach_read;
	struct lf_reach reach;
	struct lf_incr_policy *policies;
	size_t npolicies;
	struct lf_source ctx; /* the documents of changed policies' parents */
	/* the graph of the desired set applied (lf_plan_order_graph(), in the
	 * desired set's order): the cache's text after the policies, parsed
	 * only when a change makes a record or changes what one needs; then
	 * every place in the order is found again (ranks, segs, policies).
	 * While it is edited, a node made here is added at the end and goes
	 * right after node `after[]` of the graph as read (in the order they
	 * were added), and node_index maps an address to that index + 1;
	 * lf_incr_prepare() puts them in place */
	size_t graph_at; /* the graph's offset in tail; 0: none */
	int graph_read, graph_moved;
	struct lf_graph_node *nodes;
	size_t nnodes, nodes_alloc, nread;
	size_t *after;
	struct lf_map node_index;
	size_t *edges;                 /* the parsed nodes' deps, one block */
	const struct lf_desired *graph_ds; /* lf_incr_record(): the graph written from it */
	void **owned;                  /* what nodes made or changed here hold */
	size_t nowned, owned_alloc;
	/* the records of the changed policies, parsed */
	struct lf_incr_rec {
		struct lf_state_res *res;
		int owned; /* a copy of a lazy record (the state's stays lazy) */
	} * recs;
	size_t nrecs, recs_alloc;
};

/*
 * The digest of what a plan reads besides the manifests: lakeform's
 * `version`, every schema file of `schema_dir`, and lakeform.yaml (or
 * lakeform.yml) of the current directory.  0 or -errno.
 */
int lf_incr_env(char out[65], const char *schema_dir, const char *version);

/*
 * Split YAML text into its documents by their markers, without parsing:
 * starts[0] is 0 (the text before the first "---" line, which may hold no
 * document), then one start per line that is "---" followed by a space, a
 * tab, a line break or the end.  -1 for text the split cannot be sure of:
 * a byte order mark, a NUL or carriage return, a line starting with '%'
 * (a directive) or a "..." line (a document end).  starts is owned.
 */
int lf_incr_split(const char *data, size_t len, size_t **starts, size_t *n);

/*
 * Whether the state `st` (loaded; its fingerprint set, nothing pending)
 * and the manifest files of the current directory allow the plan of the
 * changed documents alone (see above): 1 with `inc` filled, else 0 (the
 * reason in inc->why).  `settings` is lakeform.yaml's root (its regions).
 * lf_incr_release() in both cases.
 */
int lf_incr_prepare(struct lf_incr *inc, struct lf_state *st, const json_t *settings,
                    const char *schema_dir, const char *version);

/*
 * The plan lf_plan_build() would make, from what lf_incr_prepare() found:
 * each changed record as the planner says, in the order of the full plan,
 * every other record a no-op (its inputs not loaded, as lf_plan_build()'s
 * no-ops of text and Markdown plans need not be).  0, or -1 (`d`).
 */
int lf_incr_plan(struct lf_plan *p, struct lf_incr *inc, struct lf_state *st, struct lf_diags *d);

/*
 * Which resource of the desired set `ds` each document of `src` declares,
 * from the manifests `m` (an array of src->ndocs + 1 addresses owned by
 * `ds`, NULL where a document declares none; free() it), or NULL when a
 * resource cannot be recorded for the shortcut (its kind, an overlay).
 * Taken while the manifests are loaded: an apply releases them before it
 * records.
 */
const char **lf_incr_doc_addresses(const struct lf_source *src, const struct lf_manifest *m,
                                   const struct lf_desired *ds);

/*
 * Write LF_INCR_CACHE for files whose fingerprint is `bytes`: after a
 * complete apply of the full path, from the files loaded (`src`), the
 * resource each document declares (`addr`, lf_incr_doc_addresses(); NULL:
 * the cache is removed) and the desired set applied (`ds`, which the state `st`
 * now records exactly; `rank`, its plan's desired_rank, or NULL: made
 * here by lf_plan_order()); or, when `inc` is given (an apply of
 * lf_incr_plan()'s plan), from what it read, the files of now.  Anything
 * that cannot be recorded removes the cache (a later plan takes the full
 * path).  0, or -1 when nothing was written.
 */
int lf_incr_record(const char *bytes, const char *schema_dir, const char *version,
                   const struct lf_source *src, const char *const *addr,
                   const struct lf_desired *ds, const size_t *rank, const struct lf_state *st,
                   const struct lf_incr *inc);

/*
 * lf_source_fingerprint() of the files as lf_incr_prepare() read them (not
 * as the disk holds them now): what an apply of its plan records.  0 or
 * -errno.
 */
int lf_incr_fingerprint(char out[65], const struct lf_incr *inc, const char *schema_dir,
                        const char *version);

void lf_incr_release(struct lf_incr *inc);

#endif
