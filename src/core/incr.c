/* incr.c - plan only the documents that changed (incr.h). */
#include "incr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "family.h"
#include "planner.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/jsondigest.h"
#include "../util/mem.h"
#include "../util/par.h"
#include "../util/sha256.h"

#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif

#define CACHE_DIR ".lakeform/cache"
#define CACHE_HEAD "lakeform documents cache 3\n"
#define CACHE_MAX (256u << 20)

/*
 * The kinds whose documents may be anywhere in the manifests for the
 * shortcut to hold: their expansion and the rules across documents never
 * read metadata.labels (src/core/expand.c copies it into the resource's own
 * record, src/core/rules.c does not look at it).  A Policy or ComputePolicy
 * selects workspaces by their labels, a PriceList or Budget prices them, an
 * SSO document is checked on its own: with any of them, the full path.
 */
static const char *const inert_kinds[] = {
    "account", "metastore", "user",  "group", "serviceprincipal", "workspace", "catalog", "schema",
    "table",   "volume",    "grant", NULL,
};

/*
 * The fields of a spec that, like the labels, nothing but the resource's
 * own record reads: src/core/expand.c copies them into that record and
 * derives nothing from them (a service principal's or group's identity
 * object does not carry its display name), and of src/core/rules.c only
 * check_columns() reads a table's columns, each table's against each
 * other (run here on the changed tables: lf_manifest_check_columns()).  A
 * change to them is the update of that one record, as a change of labels
 * is.
 */
static const struct {
	const char *kind, *field;
	int without_identities; /* only when no provider serves identities */
} inert_spec[] = {
    {"catalog", "comment", 0},
    {"schema", "comment", 0},
    {"volume", "comment", 0},
    {"table", "comment", 0},
    {"table", "columns", 0},
    /* a user's goes into its identity object too, when there is one
     * (expand_identity()); a service principal's and a group's do not */
    {"user", "display_name", 1},
    {"serviceprincipal", "display_name", 0},
    {"group", "display_name", 0},
    /* not inert: the bucket policies are compiled from a grant's
     * privileges, and compiled again here (policies_of()) from what the
     * cache records they were compiled from; src/core/rules.c reads them
     * on the grant alone (lf_manifest_check_privileges(), run here) */
    {"grant", "privileges", 0},
    {NULL, NULL, 0},
};

/* Whether field `j` of inert_spec[] may change here, for kind `k`. */
static int inert_here(size_t j, const struct lf_kind *k, int identities)
{
	return !strcmp(inert_spec[j].kind, k->lower) &&
	       !(inert_spec[j].without_identities && identities);
}

static int kind_allowed(const char *lower)
{
	for (size_t i = 0; inert_kinds[i]; i++)
		if (!strcmp(inert_kinds[i], lower))
			return 1;
	return 0;
}

static int is_settings(const char *rel)
{
	return !strcmp(rel, "lakeform.yaml") || !strcmp(rel, "lakeform.yml");
}

int lf_incr_env(char out[65], const char *schema_dir, const char *version)
{
	struct lf_sha256 h;
	int err = lf_source_hash_base(&h, schema_dir, version);

	for (int i = 0; !err && i < 2; i++) {
		const char *name = i ? "lakeform.yml" : "lakeform.yaml";
		char *data = NULL;
		size_t len = 0;
		int r = lf_read_file(&data, &len, name, LF_SOURCE_MAX_FILE_BYTES);
		if (r == -ENOENT) {
			lf_sha256_update(&h, "-", 2);
			continue;
		}
		if ((err = r) != 0)
			break;
		lf_sha256_update(&h, name, strlen(name) + 1);
		lf_sha256_update(&h, &len, sizeof(len));
		lf_sha256_update(&h, data, len);
		free(data);
	}
	if (!err)
		lf_sha256_final_hex(&h, out);
	return err;
}

/* ---- documents by their text ---------------------------------------------- */

/* Whether the line at p (n bytes left) is `mark` ("---" or "...") followed
 * by a space, a tab, a line break or the end. */
static int marker(const char *p, size_t n, const char *mark)
{
	return n >= 3 && !memcmp(p, mark, 3) &&
	       (n == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\n');
}

int lf_incr_split(const char *data, size_t len, size_t **starts, size_t *n)
{
	size_t alloc = 0;

	*starts = NULL;
	*n = 0;
	if ((len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) || memchr(data, '\r', len) ||
	    memchr(data, '\0', len))
		return -1;
	LF_GROW(*starts, 1, alloc);
	(*starts)[(*n)++] = 0;
	for (size_t at = 0; at < len;) {
		const char *p = data + at, *nl = memchr(p, '\n', len - at);
		size_t left = len - at;
		if (*p == '%' || marker(p, left, "...")) {
			free(*starts);
			*starts = NULL;
			*n = 0;
			return -1;
		}
		if (at > 0 && marker(p, left, "---")) {
			LF_GROW(*starts, *n + 1, alloc);
			(*starts)[(*n)++] = at;
		}
		at = nl ? (size_t)(nl - data) + 1 : len;
	}
	/* a file that starts with "---": the text before it is empty */
	if (len >= 3 && marker(data, len, "---")) {
		LF_GROW(*starts, *n + 1, alloc);
		memmove(*starts + 1, *starts, *n * sizeof(**starts));
		(*starts)[1] = 0;
		(*n)++;
	}
	return 0;
}

/* As many line breaks as the `n` bytes at `p` hold: a document left out
 * of a parse, its lines kept, so that positions are the file's. */
static void blank_lines(struct lf_buf *b, const char *p, size_t n)
{
	for (size_t c = 0; c < n; c++)
		if (p[c] == '\n')
			lf_buf_addc(b, '\n');
}

/* Whether the text before the first marker holds a document: a line that
 * is not blank and not a comment. */
static int holds_document(const char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i < n && p[i] != '\n' && p[i] != '#')
			return 1;
		const char *nl = memchr(p + i, '\n', n - i);
		i = nl ? (size_t)(nl - p) + 1 : n;
	}
	return 0;
}

static void seg_digest(unsigned char out[16], const char *p, size_t n)
{
	unsigned char md[LF_SHA256_LEN];

	lf_sha256(md, p, n);
	memcpy(out, md, 16);
}

static void hex16(char out[33], const unsigned char in[16])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[32] = '\0';
}

/* ---- the cache ------------------------------------------------------------ */

/*
 *   lakeform documents cache 1
 *   bytes HEX                the fingerprint of the files (the state's)
 *   env HEX                  lf_incr_env()
 *   file N HEX NAME          per manifest file, in order: its documents
 *   HEX32 RANK ADDRESS       (N, or "-" when not recorded), its SHA-256,
 *   HEX32 -                  its name; then per document its digest, its
 *   ...                      resource's place and address ("-": the text
 *                            before the first "---" holds no document)
 */
static void add_seg(struct lf_incr *inc, size_t *alloc, const unsigned char digest[16], long rank,
                    const char *address)
{
	LF_GROW(inc->segs, inc->nsegs + 1, *alloc);
	struct lf_incr_seg *s = &inc->segs[inc->nsegs++];
	memcpy(s->digest, digest, 16);
	s->rank = rank;
	s->address = address ? lf_xstrdup(address) : NULL;
}

static struct lf_incr_file *add_file(struct lf_incr *inc, size_t *alloc, const char *name,
                                     size_t namelen)
{
	LF_GROW(inc->files, inc->nfiles + 1, *alloc);
	struct lf_incr_file *f = &inc->files[inc->nfiles++];
	memset(f, 0, sizeof(*f));
	f->name = lf_xstrndup(name, namelen);
	f->first = inc->nsegs;
	return f;
}

static int read_cache(struct lf_incr *inc)
{
	static const char head[] = CACHE_HEAD;
	char *data = NULL;
	size_t len = 0, falloc = 0, salloc = 0;
	int ok;

	if (lf_read_file(&data, &len, LF_INCR_CACHE, CACHE_MAX) != 0)
		return -1;
	const char *p = data, *end = data + len;
	ok = len >= sizeof(head) - 1 && !memcmp(p, head, sizeof(head) - 1);
	p += ok ? sizeof(head) - 1 : 0;
	ok = ok && lf_sha256_hex_line(&p, end, "bytes", inc->bytes) == 0 &&
	     lf_sha256_hex_line(&p, end, "env", inc->env) == 0;
	while (ok && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)(end - p) > 6 && !memcmp(p, "reach ", 6)) {
			/* what the policies were compiled from: read on need */
			inc->ntail = (size_t)(end - p);
			inc->tail = lf_xstrndup(p, inc->ntail);
			break;
		}
		/* file N HEX NAME */
		ok = nl && nl - p > 5 && !memcmp(p, "file ", 5);
		if (!ok)
			break;
		const char *q = p + 5;
		size_t nsegs = 0;
		int known = *q != '-';
		if (!known) {
			q++;
		} else {
			char *e;
			unsigned long v = strtoul(q, &e, 10);
			ok = e != q && *q >= '0' && *q <= '9' && v < (1ul << 30);
			nsegs = v;
			q = e;
		}
		ok = ok && nl - q > 66 && *q == ' ' && q[65] == ' ';
		if (!ok)
			break;
		struct lf_incr_file *f = add_file(inc, &falloc, q + 66, (size_t)(nl - q - 66));
		ok = lf_unhex(f->bytes, q + 1, LF_SHA256_LEN) == 0;
		f->known = known;
		p = nl + 1;
		for (size_t i = 0; ok && i < nsegs; i++) {
			/* HEX32 RANK ADDRESS, or HEX32 - */
			unsigned char dg[16];
			nl = memchr(p, '\n', (size_t)(end - p));
			ok = nl && nl - p >= 34 && lf_unhex(dg, p, 16) == 0 && p[32] == ' ';
			if (!ok)
				break;
			if (nl - p == 34 && p[33] == '-') {
				add_seg(inc, &salloc, dg, -1, NULL);
			} else {
				char *e;
				long rank = strtol(p + 33, &e, 10);
				ok = e != p + 33 && p[33] >= '0' && p[33] <= '9' && *e == ' ' &&
				     e + 1 < nl;
				if (!ok)
					break;
				char *a = lf_xstrndup(e + 1, (size_t)(nl - e - 1));
				add_seg(inc, &salloc, dg, rank, a);
				free(a);
			}
			p = nl + 1;
		}
		f->nsegs = inc->nsegs - f->first;
	}
	free(data);
	return ok ? 0 : -1;
}

/*
 * After the files, what the bucket policies were compiled from
 * (lf_desired.reach) and where each policy stands in the plan's order:
 *
 *   reach NSECS NGRANTS NPOLICIES
 *   s ADDRESS                a securable a grant names, then each place
 *   l BUCKET<tab>PATH        a grant on it reaches
 *   g ACCESS SEC SOURCE<tab>PRINCIPAL   a grant, in compile order
 *   p RANK NEEDS ADDRESS     a storage.policy: its place, and the last
 *                            place of what it needs
 *   graph N                  the desired set's graph (lf_plan_order_graph()):
 *   PARENT DEPS<tab>ADDRESS  per record, in the desired set's order, its
 *                            parent's index ("-": none) and those of the
 *                            records it needs ("-": none; else joined by
 *                            ","), then its address
 */
static int clean(const char *v)
{
	return !strpbrk(v, "\t\n");
}

/* Where the cache is written: a buffer handed to the file a megabyte at a
 * time (the whole text is ten megabytes at 100,000 resources: apply's peak
 * memory is what issue 17 bounds). */
struct sink {
	struct lf_buf b;
	struct lf_atomic a;
};

static void spill(struct sink *s, int all)
{
	if (s->b.len && (all || s->b.len >= (1u << 20))) {
		lf_atomic_write(&s->a, s->b.ptr, s->b.len); /* an error is kept */
		lf_buf_truncate(&s->b, 0);
	}
}

/* `v` in decimal (by hand: printf for each of 100,000 lines shows) */
static void put_num(struct lf_buf *b, unsigned long v)
{
	char digits[24];
	int nd = 0;

	do
		digits[nd++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (nd)
		lf_buf_addc(b, digits[--nd]);
}

static int reach_text(struct sink *s, const struct lf_reach *r, const struct lf_incr_policy *pol,
                      size_t npol)
{
	struct lf_buf *b = &s->b;

	lf_buf_addf(b, "reach %zu %zu %zu\n", r->nsecs, r->n, npol);
	for (size_t i = 0; i < r->nsecs; i++) {
		const struct lf_reach_sec *sec = &r->secs[i];
		if (!clean(sec->address))
			return -EINVAL;
		lf_buf_adds(b, "s ");
		lf_buf_adds(b, sec->address);
		lf_buf_addc(b, '\n');
		for (size_t j = 0; j < sec->n; j++) {
			if (!clean(sec->locs[j].bucket) || !clean(sec->locs[j].path))
				return -EINVAL;
			lf_buf_adds(b, "l ");
			lf_buf_adds(b, sec->locs[j].bucket);
			lf_buf_addc(b, '\t');
			lf_buf_adds(b, sec->locs[j].path);
			lf_buf_addc(b, '\n');
		}
		spill(s, 0);
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct lf_reach_grant *g = &r->v[i];
		if (!clean(g->source) || !clean(g->principal))
			return -EINVAL;
		lf_buf_adds(b, "g ");
		lf_buf_addc(b, (char)('0' + (g->access & 3)));
		lf_buf_addc(b, ' ');
		put_num(b, g->sec);
		lf_buf_addc(b, ' ');
		lf_buf_adds(b, g->source);
		lf_buf_addc(b, '\t');
		lf_buf_adds(b, g->principal);
		lf_buf_addc(b, '\n');
		spill(s, 0);
	}
	for (size_t i = 0; i < npol; i++) {
		if (!clean(pol[i].address))
			return -EINVAL;
		lf_buf_addf(b, "p %ld %ld %s\n", pol[i].rank, pol[i].needs, pol[i].address);
		spill(s, 0);
	}
	return 0;
}

/* The next line of [*p, end) without its line break, or NULL. */
static char *next_line(const char **p, const char *end, size_t *len)
{
	const char *nl = *p < end ? memchr(*p, '\n', (size_t)(end - *p)) : NULL;
	char *line;

	if (!nl)
		return NULL;
	*len = (size_t)(nl - *p);
	line = lf_xstrndup(*p, *len);
	*p = nl + 1;
	return line;
}

/* Split "A<tab>B" into two owned strings; -1 without exactly one tab. */
static int split_tab(const char *v, char **a, char **b)
{
	const char *t = strchr(v, '\t');

	if (!t || strchr(t + 1, '\t'))
		return -1;
	*a = lf_xstrndup(v, (size_t)(t - v));
	*b = lf_xstrdup(t + 1);
	return 0;
}

/* "SOURCE<tab>PRINCIPAL" into grant g, its texts the reach's own. */
static int grant_texts(struct lf_reach *r, struct lf_reach_grant *g, const char *v)
{
	char *a, *b;

	if (split_tab(v, &a, &b) != 0)
		return -1;
	g->source = lf_reach_intern(r, a);
	g->principal = lf_reach_intern(r, b);
	free(a);
	free(b);
	return 0;
}

/* inc->tail into inc->reach and inc->policies: 0, or -1 (damaged). */
static int read_reach(struct lf_incr *inc)
{
	const char *p = inc->tail, *end = inc->tail ? inc->tail + inc->ntail : NULL;
	struct lf_reach *r = &inc->reach;
	size_t nsecs, ngrants, npol, len, locs_alloc = 0;
	char *line;
	int ok;

	if (inc->reach_read)
		return 0;
	if (!p || !(line = next_line(&p, end, &len)))
		return -1;
	ok = sscanf(line, "reach %zu %zu %zu", &nsecs, &ngrants, &npol) == 3 &&
	     nsecs < (1u << 30) && ngrants < (1u << 30) && npol < (1u << 30);
	free(line);
	if (ok) {
		r->secs = lf_xcalloc(nsecs + 1, sizeof(*r->secs));
		r->secs_alloc = nsecs + 1;
		r->v = lf_xcalloc(ngrants + 1, sizeof(*r->v));
		r->alloc = ngrants + 1;
		inc->policies = lf_xcalloc(npol + 1, sizeof(*inc->policies));
	}
	while (ok && p < end && !(end - p > 6 && !memcmp(p, "graph ", 6)) &&
	       (line = next_line(&p, end, &len)) != NULL) {
		if (len > 2 && !memcmp(line, "s ", 2) && r->nsecs < nsecs && !r->n) {
			r->secs[r->nsecs++].address = lf_xstrdup(line + 2);
			locs_alloc = 0;
		} else if (len > 2 && !memcmp(line, "l ", 2) && r->nsecs && !r->n) {
			struct lf_reach_sec *sec = &r->secs[r->nsecs - 1];
			char *bucket, *path;
			ok = split_tab(line + 2, &bucket, &path) == 0;
			if (ok) {
				LF_GROW(sec->locs, sec->n + 1, locs_alloc);
				sec->locs[sec->n++] = (struct lf_reach_loc){bucket, path};
			}
		} else if (len > 2 && !memcmp(line, "g ", 2) && r->n < ngrants && !inc->npolicies) {
			int access, used = 0;
			size_t sec;
			ok = sscanf(line, "g %d %zu %n", &access, &sec, &used) == 2 && used &&
			     access >= 0 && access <= (LF_ACCESS_READ | LF_ACCESS_WRITE) &&
			     sec < r->nsecs;
			struct lf_reach_grant *g = &r->v[r->n];
			if (ok)
				ok = grant_texts(r, g, line + used) == 0;
			if (ok) {
				g->sec = sec;
				g->access = access;
				r->n++;
			}
		} else if (len > 2 && !memcmp(line, "p ", 2) && inc->npolicies < npol) {
			struct lf_incr_policy *pol = &inc->policies[inc->npolicies];
			int used = 0;
			ok = sscanf(line, "p %ld %ld %n", &pol->rank, &pol->needs, &used) == 2 &&
			     used && line[used];
			if (ok) {
				pol->address = lf_xstrdup(line + used);
				inc->npolicies++;
			}
		} else {
			ok = 0;
		}
		free(line);
	}
	ok = ok && p < end && r->nsecs == nsecs && r->n == ngrants && inc->npolicies == npol;
	inc->graph_at = ok ? (size_t)(p - inc->tail) : 0;
	inc->reach_read = 1; /* released as read, in any case */
	return ok ? 0 : -1;
}

/* The cache's record of policy `address`, or NULL. */
static const struct lf_incr_policy *policy_named(const struct lf_incr *inc, const char *address)
{
	for (size_t k = 0; k < inc->npolicies; k++)
		if (!strcmp(inc->policies[k].address, address))
			return &inc->policies[k];
	return NULL;
}

static void free_policies(struct lf_incr_policy *pol, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(pol[i].address);
	free(pol);
}

/* ---- the graph (version 3) ------------------------------------------------- */

/* One node's line. */
static int node_text(struct sink *s, const struct lf_graph_node *g)
{
	struct lf_buf *b = &s->b;

	if (!clean(g->address))
		return -EINVAL;
	if (g->parent == (size_t)-1)
		lf_buf_addc(b, '-');
	else
		put_num(b, g->parent);
	lf_buf_addc(b, ' ');
	if (!g->ndeps)
		lf_buf_addc(b, '-');
	for (size_t k = 0; k < g->ndeps; k++) {
		if (k)
			lf_buf_addc(b, ',');
		put_num(b, g->deps[k]);
	}
	lf_buf_addc(b, '\t');
	lf_buf_adds(b, g->address);
	lf_buf_addc(b, '\n');
	spill(s, 0);
	return 0;
}

/* The graph of nodes v[], or of desired set `ds` (as lf_plan_order()
 * makes it: each dependency that is a record of it) when v is NULL. */
static int graph_text(struct sink *s, const struct lf_graph_node *v, size_t n,
                      const struct lf_desired *ds)
{
	size_t *deps = NULL, alloc = 0;
	int err = 0;

	lf_buf_adds(&s->b, "graph ");
	put_num(&s->b, n);
	lf_buf_addc(&s->b, '\n');
	for (size_t i = 0; i < n && !err; i++) {
		if (v) {
			err = node_text(s, &v[i]);
			continue;
		}
		const struct lf_dres *r = ds->v[i];
		uintptr_t j = r->parent ? (uintptr_t)lf_map_get(&ds->index, r->parent) : 0;
		struct lf_graph_node g = {r->address, j && j <= n ? j - 1 : (size_t)-1, NULL, 0};
		for (size_t k = 0; k < r->ndeps; k++) {
			j = (uintptr_t)lf_map_get(&ds->index, r->deps[k]);
			if (j && j <= n) {
				LF_GROW(deps, g.ndeps + 1, alloc);
				deps[g.ndeps++] = j - 1;
			}
		}
		g.deps = deps;
		err = node_text(s, &g);
	}
	free(deps);
	return err;
}

/* A decimal number at *p (moved past it): 0, or -1 when none. */
static int get_num(const char **p, const char *end, size_t *out)
{
	const char *q = *p;
	size_t v = 0;

	if (q >= end || *q < '0' || *q > '9')
		return -1;
	while (q < end && *q >= '0' && *q <= '9') {
		if (v > ((size_t)1 << 40))
			return -1;
		v = v * 10 + (size_t)(*q++ - '0');
	}
	*p = q;
	*out = v;
	return 0;
}

/* The graph of inc->tail into inc->nodes (its addresses in the tail's
 * text, which becomes theirs): 0, or -1 (none, or damaged). */
static int read_graph(struct lf_incr *inc)
{
	size_t n, nedges = 0, used = 0;
	int ok;

	if (inc->graph_read) /* read before, or tried */
		return inc->nodes ? 0 : -1;
	inc->graph_read = 1;
	if (read_reach(inc) != 0 || !inc->graph_at)
		return -1;
	char *p = inc->tail + inc->graph_at, *end = inc->tail + inc->ntail;
	const char *q = p + 6;
	ok = get_num(&q, end, &n) == 0 && q < end && *q == '\n' && n < (1u << 30);
	if (!ok)
		return -1;
	p = (char *)q + 1;
	for (const char *c = p; c < end; c++)
		nedges += *c == ',' || *c == ' ';
	inc->nodes = lf_xcalloc(n + 1, sizeof(*inc->nodes));
	inc->nodes_alloc = n + 1;
	inc->edges = lf_xcalloc(nedges + 1, sizeof(*inc->edges));
	for (size_t i = 0; ok && i < n; i++) {
		struct lf_graph_node *g = &inc->nodes[i];
		char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *c = p;
		ok = nl != NULL;
		if (!ok)
			break;
		if (*c == '-') {
			g->parent = (size_t)-1;
			c++;
		} else {
			ok = get_num(&c, nl, &g->parent) == 0 && g->parent < n;
		}
		ok = ok && c < nl && *c++ == ' ';
		g->deps = inc->edges + used;
		if (ok && *c == '-') {
			c++;
		} else {
			while (ok) {
				size_t d;
				ok = get_num(&c, nl, &d) == 0 && d < n && used < nedges;
				if (!ok)
					break;
				inc->edges[used++] = d;
				g->ndeps++;
				if (*c != ',')
					break;
				c++;
			}
		}
		ok = ok && c < nl && *c == '\t' && c + 1 < nl;
		if (!ok)
			break;
		*nl = '\0';
		g->address = c + 1;
		p = nl + 1;
	}
	ok = ok && p == end;
	if (ok) {
		inc->nnodes = inc->nread = n;
		for (size_t i = 0; ok && i < n; i++)
			ok = !lf_map_add(&inc->node_index, inc->nodes[i].address,
			                 (void *)(uintptr_t)(i + 1));
	}
	if (!ok) {
		free(inc->nodes);
		inc->nodes = NULL;
		inc->nnodes = 0;
		return -1;
	}
	return 0;
}

/* The node of `address` (its index while edited), or (size_t)-1. */
static size_t node_of(const struct lf_incr *inc, const char *address)
{
	uintptr_t j = (uintptr_t)lf_map_get(&inc->node_index, address);

	return j ? j - 1 : (size_t)-1;
}

/* Record r's needs (those that are nodes) as node i's. */
static void node_needs(struct lf_incr *inc, size_t i, const struct lf_dres *r)
{
	size_t *deps = lf_xcalloc(r->ndeps + 1, sizeof(*deps)), n = 0;

	for (size_t k = 0; k < r->ndeps; k++) {
		size_t j = node_of(inc, r->deps[k]);
		if (j != (size_t)-1)
			deps[n++] = j;
	}
	struct lf_graph_node *g = &inc->nodes[i];
	if (n != g->ndeps || memcmp(deps, g->deps, n * sizeof(*deps)))
		inc->graph_moved = 1;
	LF_GROW(inc->owned, inc->nowned + 1, inc->owned_alloc);
	inc->owned[inc->nowned++] = deps;
	g->deps = deps;
	g->ndeps = n;
}

/* A node for record r, to go right after node `after` of the graph as
 * read (after those added there before it). */
static void node_add(struct lf_incr *inc, const struct lf_dres *r, size_t after)
{
	size_t i = inc->nnodes;

	LF_GROW(inc->nodes, inc->nnodes + 1, inc->nodes_alloc);
	inc->after = lf_xrealloc(inc->after, (i - inc->nread + 1) * sizeof(*inc->after));
	inc->after[i - inc->nread] = after;
	inc->nodes[i] = (struct lf_graph_node){r->address, node_of(inc, r->parent), NULL, 0};
	inc->nnodes++;
	lf_map_put(&inc->node_index, r->address, (void *)(uintptr_t)(i + 1));
	node_needs(inc, i, r);
	inc->graph_moved = 1;
}

/*
 * The nodes added put in place, and every place in the plan's order found
 * again from the graph: the documents', the policies' and the changed
 * records'.  0, or -1 (a cycle, a document no node holds).
 */
static int reorder(struct lf_incr *inc)
{
	size_t n = inc->nnodes, at = 0;
	size_t *remap = lf_xcalloc(n + 1, sizeof(*remap));

	for (size_t i = 0; i < inc->nread; i++) {
		remap[i] = at++;
		for (size_t k = inc->nread; k < n; k++)
			if (inc->after[k - inc->nread] == i)
				remap[k] = at++;
	}
	/* the nodes in their places, their needs renumbered into one block */
	struct lf_graph_node *v = lf_xcalloc(n + 1, sizeof(*v));
	size_t nedges = 0, used = 0;
	for (size_t i = 0; i < n; i++)
		nedges += inc->nodes[i].ndeps;
	size_t *edges = lf_xcalloc(nedges + 1, sizeof(*edges));
	LF_GROW(inc->owned, inc->nowned + 1, inc->owned_alloc);
	inc->owned[inc->nowned++] = edges;
	for (size_t i = 0; i < n; i++) {
		struct lf_graph_node g = inc->nodes[i];
		for (size_t k = 0; k < g.ndeps; k++)
			edges[used + k] = remap[g.deps[k]];
		g.deps = edges + used;
		used += g.ndeps;
		if (g.parent != (size_t)-1)
			g.parent = remap[g.parent];
		v[remap[i]] = g;
	}
	free(inc->nodes);
	inc->nodes = v;
	inc->nodes_alloc = n + 1;

	size_t *rank = lf_xcalloc(n + 1, sizeof(*rank));
	int ok = lf_plan_order_graph(v, n, rank) == 0;
	for (size_t i = 0; ok && i < inc->nsegs; i++) {
		size_t j = inc->segs[i].address ? node_of(inc, inc->segs[i].address) : (size_t)-1;
		if (inc->segs[i].address)
			ok = j != (size_t)-1;
		if (ok && j != (size_t)-1)
			inc->segs[i].rank = (long)rank[remap[j]];
	}
	for (size_t i = 0; ok && i < inc->npolicies; i++) {
		struct lf_incr_policy *pol = &inc->policies[i];
		size_t j = node_of(inc, pol->address);
		ok = j != (size_t)-1;
		if (!ok)
			break;
		const struct lf_graph_node *g = &v[remap[j]];
		pol->rank = (long)rank[remap[j]];
		pol->needs = -1;
		for (size_t k = 0; k < g->ndeps; k++)
			if ((long)rank[g->deps[k]] > pol->needs)
				pol->needs = (long)rank[g->deps[k]];
	}
	for (size_t i = 0; ok && i < inc->ds.n; i++) {
		size_t j = node_of(inc, inc->ds.v[i]->address);
		ok = j != (size_t)-1;
		if (ok)
			inc->rank[i] = (long)rank[remap[j]];
	}
	free(rank);
	free(remap);
	return ok ? 0 : -1;
}

static int write_cache(const struct lf_incr *inc)
{
	struct sink sk;
	struct lf_buf *b = &sk.b;
	int err = lf_mkdirs_nofollow(AT_FDCWD, CACHE_DIR, 0700);

	memset(&sk, 0, sizeof(sk));
	if (err || (err = lf_atomic_begin_nofollow(&sk.a, AT_FDCWD, LF_INCR_CACHE, 0600, 0)) != 0)
		return err;
	lf_buf_addf(b, CACHE_HEAD "bytes %s\nenv %s\n", inc->bytes, inc->env);
	for (size_t i = 0; i < inc->nfiles && !err; i++) {
		const struct lf_incr_file *f = &inc->files[i];
		char hb[65];
		if (strchr(f->name, '\n'))
			err = -EINVAL;
		lf_sha256_hex(hb, f->bytes);
		if (f->known)
			lf_buf_addf(b, "file %zu %s %s\n", f->nsegs, hb, f->name);
		else
			lf_buf_addf(b, "file - %s %s\n", hb, f->name);
		for (size_t k = f->first; f->known && k < f->first + f->nsegs; k++) {
			/* by hand: printf's formatting of 100,000 lines was a
			 * third of the time of this record */
			const struct lf_incr_seg *s = &inc->segs[k];
			char line[33];
			hex16(line, s->digest);
			line[32] = ' ';
			lf_buf_add(b, line, 33);
			if (!s->address) {
				lf_buf_adds(b, "-\n");
				continue;
			}
			if (strchr(s->address, '\n'))
				err = -EINVAL;
			put_num(b, (unsigned long)s->rank);
			lf_buf_addc(b, ' ');
			lf_buf_adds(b, s->address);
			lf_buf_addc(b, '\n');
		}
		spill(&sk, 0);
	}
	if (!err && inc->reach_read) {
		err = reach_text(&sk, &inc->reach, inc->policies, inc->npolicies);
		if (!err && inc->nodes)
			err = graph_text(&sk, inc->nodes, inc->nnodes, NULL);
		else if (!err && inc->graph_ds)
			err = graph_text(&sk, NULL, inc->graph_ds->n, inc->graph_ds);
		else if (!err && inc->graph_at && !inc->graph_read)
			lf_buf_add(b, inc->tail + inc->graph_at, inc->ntail - inc->graph_at);
		else if (!err)
			err = -EINVAL; /* no graph to write */
	} else if (!err && inc->tail) {
		lf_buf_add(b, inc->tail, inc->ntail);
	}
	spill(&sk, 1);
	lf_buf_release(b);
	if (err) {
		lf_atomic_abort(&sk.a);
		return err;
	}
	return lf_atomic_commit(&sk.a);
}

static void free_cache(struct lf_incr *inc)
{
	for (size_t i = 0; i < inc->nfiles; i++)
		free(inc->files[i].name);
	free(inc->files);
	for (size_t i = 0; i < inc->nsegs; i++)
		free(inc->segs[i].address);
	free(inc->segs);
	inc->files = NULL;
	inc->segs = NULL;
	inc->nfiles = inc->nsegs = 0;
}

const char **lf_incr_doc_addresses(const struct lf_source *src, const struct lf_manifest *m,
                                   const struct lf_desired *ds)
{
	const char **addr = lf_xcalloc(src->ndocs + 1, sizeof(*addr));

	for (size_t i = 0; i < m->nres; i++) {
		const struct lf_resource *r = &m->res[i];
		size_t d = (size_t)(r->doc - src->docs);
		uintptr_t j;
		if (d >= src->ndocs || !kind_allowed(r->kind->lower) || r->doc->origins ||
		    !(j = (uintptr_t)lf_map_get(&ds->index, r->address))) {
			free(addr);
			return NULL;
		}
		/* the desired set's copy: it outlives the manifest */
		addr[d] = ds->v[j - 1]->address;
	}
	return addr;
}

int lf_incr_record(const char *bytes, const char *schema_dir, const char *version,
                   const struct lf_source *src, const char *const *addr,
                   const struct lf_desired *ds, const size_t *given, const struct lf_state *st,
                   const struct lf_incr *inc)
{
	struct lf_incr out;
	size_t falloc = 0, salloc = 0, live = 0;
	int err = 0;

	memset(&out, 0, sizeof(out));
	snprintf(out.bytes, sizeof(out.bytes), "%s", bytes);
	if (inc) {
		/* the files of now, as lf_incr_prepare() read them: the same
		 * documents, at the same places, declaring the same resources,
		 * and the policies' record as it updated it */
		out = *inc;
		snprintf(out.bytes, sizeof(out.bytes), "%s", bytes);
		err = write_cache(&out);
		if (err)
			unlink(LF_INCR_CACHE);
		return err ? -1 : 0;
	}
	if (lf_incr_env(out.env, schema_dir, version) != 0 || src->aux || !addr || !ds->keep_reach)
		goto fail;
	/* the state records exactly the desired set: no record is kept
	 * beyond it (the order of the next plan is that of `ds` alone) */
	for (size_t i = 0; i < st->nres; i++)
		live += !st->res[i].removed;
	if (live != ds->n)
		goto fail;
	long *rank = lf_xcalloc(ds->n + 1, sizeof(*rank));
	size_t *order = lf_xcalloc(ds->n + 1, sizeof(*order));
	int ok = 1;
	if (given)
		memcpy(order, given, ds->n * sizeof(*order));
	else
		ok = lf_plan_order(ds, order) == 0;
	for (size_t i = 0; ok && i < ds->n; i++)
		rank[i] = (long)order[i];
	free(order);
	for (size_t i = 0; ok && i < src->nfiles; i++) {
		const struct lf_source_file *f = &src->files[i];
		struct lf_incr_file *of = add_file(&out, &falloc, f->path, strlen(f->path));
		size_t *starts = NULL, n = 0;
		lf_sha256(of->bytes, f->data, f->len);
		if (f->failed || lf_incr_split(f->data, f->len, &starts, &n) != 0)
			continue;
		size_t first = f->first_doc, nd = 0;
		size_t save = out.nsegs;
		int known = 1;
		for (size_t k = 0; k < n && known; k++) {
			size_t from = starts[k], to = k + 1 < n ? starts[k + 1] : f->len;
			unsigned char dg[16];
			seg_digest(dg, f->data + from, to - from);
			if (k == 0 && !holds_document(f->data, to)) {
				add_seg(&out, &salloc, dg, -1, NULL);
				continue;
			}
			const char *a = nd < f->ndocs ? addr[first + nd] : NULL;
			nd++;
			if (!a) {
				known = 0;
				break;
			}
			uintptr_t j = (uintptr_t)lf_map_get(&ds->index, a);
			add_seg(&out, &salloc, dg, rank[j - 1], a);
		}
		free(starts);
		if (!known || nd != f->ndocs) {
			/* not sure which document is which: not recorded */
			while (out.nsegs > save)
				free(out.segs[--out.nsegs].address);
			continue;
		}
		of->known = 1;
		of->first = save;
		of->nsegs = out.nsegs - save;
	}
	/* each policy's place and the last of what it needs: the plan of a
	 * grant's change places it as lf_plan_build() does (lf_incr_plan()) */
	struct lf_incr_policy *pol = NULL;
	size_t npol = 0, pol_alloc = 0;
	for (size_t i = 0; ok && i < ds->n; i++) {
		const struct lf_dres *r = ds->v[i];
		if (strcmp(r->type, "storage.policy"))
			continue;
		LF_GROW(pol, npol + 1, pol_alloc);
		pol[npol].address = r->address;
		pol[npol].rank = rank[i];
		pol[npol].needs = -1;
		for (size_t k = 0; k < r->ndeps; k++) {
			uintptr_t j = (uintptr_t)lf_map_get(&ds->index, r->deps[k]);
			if (j && rank[j - 1] > pol[npol].needs)
				pol[npol].needs = rank[j - 1];
		}
		npol++;
	}
	free(rank);
	if (!ok) {
		free(pol);
		goto fail;
	}
	/* the desired set's reach, graph and addresses, borrowed for the
	 * write */
	out.reach_read = 1;
	out.reach = ds->reach;
	out.policies = pol;
	out.npolicies = npol;
	out.graph_ds = ds;
	err = write_cache(&out);
	free(pol);
	free_cache(&out);
	if (err)
		unlink(LF_INCR_CACHE);
	return err ? -1 : 0;
fail:
	free_cache(&out);
	unlink(LF_INCR_CACHE);
	return -1;
}

/* ---- the plan of the changed documents ------------------------------------ */

/* A manifest file of now, read and compared on any core. */
struct now_file {
	char *rel; /* borrowed */
	char *data;
	size_t len;
	int err;
	int changed;    /* its bytes are not those recorded */
	size_t *starts; /* its documents, when changed */
	size_t nstarts;
	unsigned char (*digest)[16];
	const struct lf_incr_file *was;
};

static void read_item(void *arg, size_t i)
{
	struct now_file *f = &((struct now_file *)arg)[i];
	unsigned char md[LF_SHA256_LEN];

	f->err = lf_read_file(&f->data, &f->len, f->rel, LF_SOURCE_MAX_FILE_BYTES);
	if (f->err)
		return;
	lf_sha256(md, f->data, f->len);
	f->changed = memcmp(md, f->was->bytes, LF_SHA256_LEN) != 0;
	if (!f->changed)
		return;
	if (!f->was->known || lf_incr_split(f->data, f->len, &f->starts, &f->nstarts) != 0 ||
	    f->nstarts != f->was->nsegs) {
		f->err = -ESTALE;
		return;
	}
	f->digest = lf_xcalloc(f->nstarts + 1, sizeof(*f->digest));
	for (size_t k = 0; k < f->nstarts; k++) {
		size_t to = k + 1 < f->nstarts ? f->starts[k + 1] : f->len;
		seg_digest(f->digest[k], f->data + f->starts[k], to - f->starts[k]);
	}
}

/* `inputs` without metadata.labels and the inert fields of kind `k`'s
 * spec, a copy. */
static json_t *comparable(const json_t *inputs, const struct lf_kind *k, int identities)
{
	json_t *c = json_deep_copy(inputs);
	json_t *spec = json_object_get(c, "spec");

	json_object_del(json_object_get(c, "metadata"), "labels");
	for (size_t i = 0; inert_spec[i].kind; i++)
		if (inert_here(i, k, identities))
			json_object_del(spec, inert_spec[i].field);
	return c;
}

/* Whether annotated path `path` (a.b.c) is `field` (a.b) or lies inside
 * it, or holds it. */
static int path_meets(const char *path, const char *field)
{
	size_t p = strlen(path), f = strlen(field);

	if (p <= f)
		return !strncmp(field, path, p) && (field[p] == '.' || !field[p]);
	return !strncmp(path, field, f) && (path[f] == '.' || path[f] == '[');
}

/* Whether a field that may change here is one the schema makes a replace
 * of (x-lakeform-force-new) or names a principal with (checked across
 * documents): then the full path. */
static int inert_annotated(const struct lf_kind *k, int identities)
{
	for (size_t i = 0; i < k->nforce_new; i++)
		if (path_meets(k->force_new[i], "metadata.labels"))
			return 1;
	for (size_t j = 0; inert_spec[j].kind; j++) {
		char field[64];
		if (!inert_here(j, k, identities))
			continue;
		snprintf(field, sizeof(field), "spec.%s", inert_spec[j].field);
		for (size_t i = 0; i < k->nforce_new; i++)
			if (path_meets(k->force_new[i], field))
				return 1;
		for (size_t i = 0; i < k->nprincipals; i++)
			if (path_meets(k->principals[i], field))
				return 1;
	}
	return 0;
}

/* The record of changed resource `res`, as lf_expand() would make it, when
 * it differs from the one recorded at most in its labels and the inert
 * fields of its spec; else NULL. */
/* Whether `now` is `had` with principals added (anywhere, in its order),
 * none of them listed twice or among `admins` (then each keeps its
 * grant's place among the others'). */
static int only_added(const json_t *had, const json_t *now, const json_t *admins)
{
	size_t i, k = 0;
	json_t *v;

	if (json_array_size(now) <= json_array_size(had))
		return 0;
	json_array_foreach (now, i, v) {
		const char *p = json_string_value(v);
		if (!p)
			return 0;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p, json_string_value(json_array_get(now, j))))
				return 0;
		if (k < json_array_size(had) && json_equal(v, json_array_get(had, k))) {
			k++;
			continue;
		}
		for (size_t j = 0; j < json_array_size(had); j++)
			if (json_equal(v, json_array_get(had, j)))
				return 0;
		for (size_t j = 0; j < json_array_size(admins); j++)
			if (json_equal(v, json_array_get(admins, j)))
				return 0;
	}
	return k == json_array_size(had);
}

/* The users of comparable workspace `a` (a new reference), when `b` is
 * `a` but for principals added to them (only_added()); else NULL.  Their
 * users are taken out of both. */
static json_t *users_added(json_t *a, json_t *b)
{
	json_t *sa = json_object_get(a, "spec"), *sb = json_object_get(b, "spec");
	json_t *had = json_incref(json_object_get(sa, "users"));
	json_t *now = json_object_get(sb, "users");

	if (!json_is_array(had) || !json_is_array(now) ||
	    !only_added(had, now, json_object_get(sb, "admins"))) {
		json_decref(had);
		return NULL;
	}
	json_object_del(sa, "users");
	json_object_del(sb, "users");
	if (!json_equal(a, b)) {
		json_decref(had);
		return NULL;
	}
	return had;
}

/* What workspace record `r` (of document `res`) needs: what it names now
 * (its principals more), then what expansion made it need besides, as
 * recorded (its bucket, its network). */
static void workspace_needs(struct lf_incr *inc, const struct lf_resource *res, struct lf_dres *r)
{
	char **had = r->deps;
	size_t nhad = r->ndeps;

	r->deps = NULL;
	r->ndeps = r->deps_alloc = 0;
	lf_manifest_deps(&inc->kinds, res, r);
	size_t named = r->ndeps;
	for (size_t n = 0; n < nhad; n++) {
		int dup = 0;
		for (size_t m = 0; m < named && !dup; m++)
			dup = !strcmp(r->deps[m], had[n]);
		if (dup) {
			free(had[n]);
			continue;
		}
		LF_GROW(r->deps, r->ndeps + 1, r->deps_alloc);
		r->deps[r->ndeps++] = had[n];
	}
	free(had);
}

static struct lf_dres *record_of(struct lf_incr *inc, const struct lf_resource *res,
                                 struct lf_state *st, int *privileges, json_t **users)
{
	const struct lf_kind *k = res->kind;
	struct lf_state_res *rec = lf_state_get(st, res->address);
	json_t *meta = json_object_get(res->value, "metadata");
	json_t *spec = json_object_get(res->value, "spec");

	if (!rec || (rec->line && lf_state_res_parse(rec) != 0))
		return NULL;
	if (rec->parent || !rec->provider || strcmp(rec->provider, "lakeform") || !rec->type ||
	    strcmp(rec->type, k->lower) || inert_annotated(k, inc->identities))
		return NULL;
	struct lf_dres *r = lf_xcalloc(1, sizeof(*r));
	r->address = lf_xstrdup(res->address);
	r->type = lf_xstrdup(k->lower);
	r->name = lf_xstrdup(res->address + strlen(k->lower) + 1);
	r->provider = lf_xstrdup("lakeform");
	r->inputs = json_object();
	json_object_set_new(r->inputs, "metadata", meta ? json_incref(meta) : json_object());
	json_object_set_new(r->inputs, "spec", spec ? json_incref(spec) : json_object());
	r->kind = k;
	r->doc = res->doc;
	r->prevent_destroy =
	    json_is_true(lf_json_path(res->value, "metadata.lifecycle.prevent_destroy"));
	/* what it needs follows from what it names, which did not change */
	size_t i;
	json_t *v;
	json_array_foreach (rec->deps, i, v) {
		LF_GROW(r->deps, r->ndeps + 1, r->deps_alloc);
		r->deps[r->ndeps++] = lf_xstrdup(json_string_value(v) ? json_string_value(v) : "");
	}
	lf_json_sha256_hex(r->inputs, r->digest);
	json_t *had = lf_state_res_open_inputs(st, rec, r->inputs);
	json_t *a = had ? comparable(had, k, inc->identities) : NULL,
	       *b = comparable(r->inputs, k, inc->identities);
	int same = a && json_equal(a, b);
	/* a workspace's users added: its grants made (workspace_users()) */
	if (a && !same && !strcmp(k->lower, "workspace") && (*users = users_added(a, b)) != NULL) {
		same = 1;
		workspace_needs(inc, res, r);
	}
	*privileges = same && !strcmp(k->lower, "grant") &&
	              !json_equal(lf_json_path(had, "spec.privileges"),
	                          lf_json_path(r->inputs, "spec.privileges"));
	json_decref(had);
	json_decref(a);
	json_decref(b);
	LF_GROW(inc->ds.v, inc->ds.n + 1, inc->ds.alloc);
	inc->ds.v[inc->ds.n++] = r;
	lf_map_put(&inc->ds.index, r->address, (void *)(uintptr_t)inc->ds.n);
	return same ? r : NULL;
}

static int why(struct lf_incr *inc, const char *reason)
{
	inc->why = reason;
	return 0;
}

/* The document of recorded resource `address`, parsed at its lines into
 * inc->ctx (its index there), or -1. */
static long context_doc(struct lf_incr *inc, const char *address, struct now_file *now,
                        size_t nfiles)
{
	struct lf_diags d = LF_DIAGS_INIT;
	size_t *starts = NULL, n = 0, seg = (size_t)-1;
	long at = -1;

	for (size_t i = 0; i < inc->nsegs && seg == (size_t)-1; i++)
		if (inc->segs[i].address && !strcmp(inc->segs[i].address, address))
			seg = i;
	for (size_t i = 0; i < nfiles && seg != (size_t)-1 && at < 0; i++) {
		const struct lf_incr_file *f = &inc->files[i];
		struct lf_buf b = LF_BUF_INIT;
		size_t k = seg - f->first;
		if (seg < f->first || k >= f->nsegs)
			continue;
		if (lf_incr_split(now[i].data, now[i].len, &starts, &n) != 0 || n != f->nsegs)
			break;
		/* the other documents' lines left empty: positions are the file's */
		for (size_t j = 0; j < n; j++) {
			size_t from = starts[j], to = j + 1 < n ? starts[j + 1] : now[i].len;
			if (j == k) {
				lf_buf_add(&b, now[i].data + from, to - from);
				continue;
			}
			blank_lines(&b, now[i].data + from, to - from);
		}
		size_t before = inc->ctx.ndocs;
		lf_source_load_buffer(&inc->ctx, now[i].rel, b.ptr ? b.ptr : "", b.len, &d);
		lf_buf_release(&b);
		if (!d.n && inc->ctx.ndocs == before + 1)
			at = (long)before;
	}
	free(starts);
	lf_diags_release(&d);
	return at;
}

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether recorded dependencies `had` are `deps`, in order. */
static int same_deps(const json_t *had, char **deps, size_t n)
{
	if (json_array_size(had) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const char *h = json_string_value(json_array_get(had, i));
		if (!h || strcmp(h, deps[i]))
			return 0;
	}
	return 1;
}

/* A bucket policy compiled again (policies_of()), on any core. */
struct policy_job {
	struct lf_incr *inc; /* read only */
	const char *bucket;
	const struct lf_state_res *rec; /* its record, looked up before */
	struct lf_state_res *copy;      /* parsed, when the record is not */
	struct lf_dres *r;              /* the record of now, or NULL */
	int moved;                      /* it needs others than recorded */
	const char *why;                /* or why the full path */
};

static void policy_item(void *arg, size_t i)
{
	struct policy_job *j = (struct policy_job *)arg + i;
	const struct lf_state_res *rec = j->rec;
	char **deps = NULL, **sources = NULL;
	size_t ndeps = 0, nsources = 0;

	/* a lazy record is parsed in a copy: the refresh reads its text as
	 * it is, without parsing it (src/core/refresh.c), and the plan reads
	 * the copy (lf_incr_plan()) */
	if (rec->line && !(rec = j->copy = lf_state_res_parse_copy_inputs(rec))) {
		j->why = "a bucket policy's record cannot be read";
		return;
	}
	if (!rec->parent || !rec->provider || !json_is_object(rec->inputs)) {
		j->why = "a bucket policy's record cannot be read";
		return;
	}
	json_t *statements =
	    lf_reach_policy(&j->inc->reach, j->bucket, &deps, &ndeps, &sources, &nsources);
	/* what it needs: its parent, its bucket, then its principals */
	char **all = lf_xcalloc(ndeps + 3, sizeof(*all));
	all[0] = lf_xstrdup(rec->parent);
	all[1] = lf_xasprintf("storage.bucket/%s", j->bucket);
	memcpy(all + 2, deps, ndeps * sizeof(*deps));
	free(deps);
	ndeps += 2;
	j->moved = !same_deps(rec->deps, all, ndeps);
	if (!json_array_size(statements)) {
		j->why = "a grant's change removes a bucket policy";
		json_decref(statements);
		for (size_t k = 0; k < ndeps; k++)
			free(all[k]);
		free(all);
		for (size_t k = 0; k < nsources; k++)
			free(sources[k]);
		free(sources);
		return;
	}
	/* the recorded inputs (its bucket, labels) with the statements of
	 * now: a new object beside the record's, its other members copied */
	json_t *inputs = json_object();
	const char *key;
	json_t *v;
	json_object_foreach (rec->inputs, key, v)
		if (strcmp(key, "statements"))
			json_object_set_new(inputs, key, json_deep_copy(v));
	json_object_set_new(inputs, "statements", statements);
	struct lf_dres *r = lf_xcalloc(1, sizeof(*r));
	r->address = lf_xstrdup(rec->address);
	r->type = lf_xstrdup("storage.policy");
	r->name = lf_xstrdup(j->bucket);
	r->provider = lf_xstrdup(rec->provider);
	r->parent = lf_xstrdup(rec->parent);
	r->inputs = inputs;
	r->deps = all;
	r->ndeps = r->deps_alloc = ndeps;
	r->sources = sources;
	r->nsources = r->sources_alloc = nsources;
	r->kind = lf_kinds_find(&j->inc->kinds, "storage.policy");
	r->implicit = 1;
	lf_json_sha256_hex(r->inputs, r->digest);
	j->r = r;
}

/* Grants of the reach made here: each goes before entry `pos` of the
 * reach as read, those of one place in the order they were made. */
struct reach_ins {
	size_t pos, seq;
	struct lf_reach_grant g;
};

static int cmp_reach_ins(const void *a, const void *b)
{
	const struct reach_ins *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Users, then admins, each once: whom a workspace catalog grants to, in
 * expand_workspace_catalog()'s order.  Borrowed texts. */
static const char **who_of(const json_t *users, const json_t *admins, size_t *n)
{
	const char **v = lf_xcalloc(json_array_size(users) + json_array_size(admins) + 1, sizeof(*v));
	const json_t *lists[2] = {users, admins};

	*n = 0;
	for (int l = 0; l < 2; l++) {
		size_t i;
		json_t *e;
		json_array_foreach (lists[l], i, e) {
			const char *p = json_string_value(e);
			int dup = !p;
			for (size_t k = 0; k < *n && !dup; k++)
				dup = !strcmp(v[k], p);
			if (!dup)
				v[(*n)++] = p;
		}
	}
	return v;
}

/* The buckets a grant of `access` on securable `sec` reaches, added to
 * names[] once (`seen`). */
static void reached(const struct lf_incr *inc, size_t sec, int access, struct lf_map *seen,
                    const char ***names, size_t *nnames, size_t *alloc)
{
	const struct lf_reach_sec *sc = &inc->reach.secs[sec];

	for (size_t j = 0; access && j < sc->n; j++)
		if (!lf_map_add(seen, sc->locs[j].bucket, (void *)1)) {
			LF_GROW(*names, *nnames + 1, *alloc);
			(*names)[(*nnames)++] = sc->locs[j].bucket;
		}
}

/* What the reach's changes are made of, across the changed documents. */
struct reach_edit {
	struct lf_map buckets; /* the buckets whose policies are compiled again */
	const char **names;
	size_t nnames, names_alloc;
	struct reach_ins *ins;
	size_t nins, ins_alloc;
};

/*
 * Changed workspace `w` (of document `res`), whose users gained the
 * principals not in `had_users`: what it needs in the graph, and the
 * grant its catalog gives each new one (expand_workspace_catalog()): a
 * record, a node right after the grant of whom it follows (or the
 * catalog's 'default' schema), its two grants in the reach right after
 * that one's (or before the first one's), their buckets to compile again.
 * 1, or 0 (the reason in inc->why).
 */
static int workspace_users(struct lf_incr *inc, const struct lf_resource *res, struct lf_dres *w,
                           const json_t *had_users, struct reach_edit *e)
{
	const json_t *spec = json_object_get(res->value, "spec");
	const char *ms = json_string_value(json_object_get(spec, "metastore"));
	const json_t *admins = json_object_get(spec, "admins");
	size_t wn = node_of(inc, w->address);
	int ok = 1;

	if (wn == (size_t)-1)
		return why(inc, "a changed workspace is not in the cache's graph");
	node_needs(inc, wn, w);
	if (!ms || json_is_false(json_object_get(spec, "workspace_catalog")))
		return 1; /* no catalog: no grants */
	char *cat = lf_xstrdup(res->name);
	for (char *c = cat; *c; c++)
		if (*c == '-')
			*c = '_';
	char *caddr = lf_xasprintf("catalog/%s/%s", ms, cat);
	char *saddr = lf_xasprintf("schema/%s/%s/default", ms, cat);
	size_t cn = node_of(inc, caddr), sn = node_of(inc, saddr);
	size_t nhad, nnow;
	const char **had = who_of(had_users, admins, &nhad);
	const char **now = who_of(json_object_get(spec, "users"), admins, &nnow);
	size_t *first = lf_xcalloc(nhad + 1, sizeof(*first)), *node = lf_xcalloc(nhad + 1, sizeof(*node));

	if (cn == (size_t)-1 || sn == (size_t)-1 || inc->nodes[cn].parent != wn ||
	    inc->nodes[sn].parent != wn || !nhad)
		ok = why(inc, "a changed workspace's catalog is not as the cache records it");
	/* each grant of before: its node, and its two in the reach (on the
	 * catalog, on its 'default' schema) */
	for (size_t i = 0; ok && i < nhad; i++) {
		char *g = lf_xasprintf("grant/workspace:%s:%s", res->name, had[i]);
		const char *src = lf_map_get(&inc->reach.strings, g);
		node[i] = node_of(inc, g);
		free(g);
		first[i] = (size_t)-1;
		for (size_t k = 0; src && k < inc->reach.n && first[i] == (size_t)-1; k++)
			if (inc->reach.v[k].source == src)
				first[i] = k;
		ok = node[i] != (size_t)-1 && inc->nodes[node[i]].parent == wn &&
		     first[i] != (size_t)-1 && first[i] + 2 <= inc->reach.n &&
		     inc->reach.v[first[i] + 1].source == src &&
		     (first[i] + 2 == inc->reach.n || inc->reach.v[first[i] + 2].source != src);
		if (!ok)
			why(inc, "a changed workspace's grants are not as the cache records them");
	}
	size_t sec_c = ok ? inc->reach.v[first[0]].sec : 0,
	       sec_s = ok ? inc->reach.v[first[0] + 1].sec : 0;
	/* the first new ones right before the first grant of before (after
	 * the schema's parts) */
	size_t after = ok && node[0] ? node[0] - 1 : sn, pos = ok ? first[0] : 0, k = 0;
	const struct lf_kind *gk = lf_kinds_find(&inc->kinds, "Grant");
	for (size_t i = 0; ok && i < nnow; i++) {
		if (k < nhad && !strcmp(now[i], had[k])) {
			after = node[k];
			pos = first[k] + 2;
			k++;
			continue;
		}
		char *pa = lf_principal_address(now[i]);
		if (!pa || node_of(inc, pa) == (size_t)-1) {
			free(pa);
			ok = why(inc, "a workspace names a principal the cache does not know");
			break;
		}
		/* the record expansion makes */
		char *gname;
		json_t *on_c, *on_s;
		struct lf_dres *g = lf_xcalloc(1, sizeof(*g));
		g->inputs = lf_workspace_grant(res->name, ms, cat, now[i], &gname, &on_c, &on_s);
		g->address = lf_xasprintf("grant/%s", gname);
		g->type = lf_xstrdup("grant");
		g->name = gname;
		g->provider = lf_xstrdup("lakeform");
		g->parent = lf_xstrdup(w->address);
		g->kind = gk;
		g->doc = res->doc;
		g->implicit = 1;
		const char *deps[3] = {caddr, saddr, pa};
		for (int d = 0; d < 3; d++)
			if (d < 2 || strcmp(pa, g->address)) {
				LF_GROW(g->deps, g->ndeps + 1, g->deps_alloc);
				g->deps[g->ndeps++] = lf_xstrdup(deps[d]);
			}
		free(pa);
		lf_json_sha256_hex(g->inputs, g->digest);
		LF_GROW(inc->ds.v, inc->ds.n + 1, inc->ds.alloc);
		inc->ds.v[inc->ds.n++] = g;
		lf_map_put(&inc->ds.index, g->address, (void *)(uintptr_t)inc->ds.n);
		inc->rank = lf_xrealloc(inc->rank, (inc->ds.n + 1) * sizeof(*inc->rank));
		inc->rank[inc->ds.n - 1] = -1;
		node_add(inc, g, after);
		/* its two grants in the reach, as compile_deferred() compiles them */
		int a_c = lf_privileges_access(&inc->kinds, on_c),
		    a_s = lf_privileges_access(&inc->kinds, on_s);
		const char *source = lf_reach_intern(&inc->reach, g->address),
		           *principal = lf_reach_intern(&inc->reach, now[i]);
		for (int d = 0; d < 2; d++) {
			LF_GROW(e->ins, e->nins + 1, e->ins_alloc);
			e->ins[e->nins] = (struct reach_ins){
			    pos, e->nins, {source, principal, d ? sec_s : sec_c, d ? a_s : a_c}};
			e->nins++;
		}
		reached(inc, sec_c, a_c, &e->buckets, &e->names, &e->nnames, &e->names_alloc);
		reached(inc, sec_s, a_s, &e->buckets, &e->names, &e->nnames, &e->names_alloc);
		json_decref(on_c);
		json_decref(on_s);
	}
	free(first);
	free(node);
	free(had);
	free(now);
	free(cat);
	free(caddr);
	free(saddr);
	return ok;
}

/*
 * The bucket policies that the changed privileges of `grants` and the
 * grants made (`e`, workspace_users()) change, compiled again from what
 * the cache records they were compiled from, as records of inc->ds: 1, or
 * 0 (the reason in inc->why) where the full path must say it: a privilege
 * that is not valid, a policy that would be made or removed, or outgrow
 * its store's limit.  A policy that gains or loses a principal needs
 * others: its node in the graph says so (the order is found again).
 */
static int policies_of(struct lf_incr *inc, struct lf_state *st, const json_t *settings,
                       struct now_file *now, size_t nfiles, struct lf_dres **grants, size_t ngrants,
                       struct reach_edit *e)
{
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_map changed = LF_MAP_INIT; /* grant address -> its record */
	size_t first = inc->ds.n;
	int ok = 1;

	if (lf_manifest_check_privileges(&inc->m, &d) != 0) {
		lf_diags_release(&d);
		return why(inc, "a changed grant's privileges are not valid");
	}
	if (read_reach(inc) != 0)
		return why(inc, "the cache does not record what the bucket policies are "
		                "compiled from");
	/* the grants made, in their places */
	if (e->nins) {
		struct lf_reach *r = &inc->reach;
		struct lf_reach_grant *v = lf_xcalloc(r->n + e->nins + 1, sizeof(*v));
		size_t n = 0, k = 0;
		qsort(e->ins, e->nins, sizeof(*e->ins), cmp_reach_ins);
		for (size_t i = 0; i <= r->n; i++) {
			while (k < e->nins && e->ins[k].pos == i)
				v[n++] = e->ins[k++].g;
			if (i < r->n)
				v[n++] = r->v[i];
		}
		free(r->v);
		r->v = v;
		r->n = n;
		r->alloc = n + 1;
	}
	for (size_t i = 0; i < ngrants; i++)
		lf_map_put(&changed, grants[i]->address, grants[i]);
	/* the grants' new storage access: the buckets it reaches change */
	for (size_t i = 0; i < inc->reach.n; i++) {
		struct lf_reach_grant *g = &inc->reach.v[i];
		struct lf_dres *r = lf_map_get(&changed, g->source);
		if (!r)
			continue;
		int access =
		    lf_privileges_access(&inc->kinds, lf_json_path(r->inputs, "spec.privileges"));
		if (access == g->access)
			continue;
		g->access = access;
		reached(inc, g->sec, 1, &e->buckets, &e->names, &e->nnames, &e->names_alloc);
	}
	lf_map_release(&changed);
	const char **names = e->names;
	size_t nnames = e->nnames;
	/* in the order of their addresses, as expansion adds them; their
	 * records looked up here, compiled on both cores */
	if (nnames)
		qsort(names, nnames, sizeof(*names), cmp_text);
	struct policy_job *jobs = lf_xcalloc(nnames + 1, sizeof(*jobs));
	long *rank = lf_xcalloc(nnames + 1, sizeof(*rank));
	for (size_t i = 0; ok && i < nnames; i++) {
		char *address = lf_xasprintf("storage.policy/%s", names[i]);
		const struct lf_incr_policy *pol = policy_named(inc, address);
		jobs[i] =
		    (struct policy_job){inc, names[i], lf_state_get(st, address), NULL, NULL, 0, NULL};
		free(address);
		if (!jobs[i].rec || !pol || strcmp(jobs[i].rec->type, "storage.policy"))
			ok = why(inc, "a grant's change makes a bucket policy");
		else
			rank[i] = pol->rank;
	}
	if (ok)
		lf_par_for(nnames, policy_item, jobs);
	for (size_t i = 0; i < nnames; i++) {
		struct lf_dres *r = jobs[i].r;
		if (ok && jobs[i].why)
			ok = why(inc, jobs[i].why);
		/* a principal gained or lost: the policy needs others */
		if (ok && r && jobs[i].moved) {
			size_t j = read_graph(inc) == 0 ? node_of(inc, r->address) : (size_t)-1;
			if (j == (size_t)-1)
				ok = why(inc, "a bucket policy gains or loses a principal, and the cache "
				              "does not record the graph");
			else
				node_needs(inc, j, r);
		}
		/* as it is recorded: a no-op, as the planner would say */
		if (!r || !ok || !strcmp(r->digest, jobs[i].rec->digest)) {
			lf_dres_free(r);
			if (jobs[i].copy)
				lf_state_res_release(jobs[i].copy);
			free(jobs[i].copy);
			continue;
		}
		LF_GROW(inc->recs, inc->nrecs + 1, inc->recs_alloc);
		inc->recs[inc->nrecs].res =
		    jobs[i].copy ? jobs[i].copy : (struct lf_state_res *)jobs[i].rec;
		inc->recs[inc->nrecs++].owned = jobs[i].copy != NULL;
		LF_GROW(inc->ds.v, inc->ds.n + 1, inc->ds.alloc);
		inc->ds.v[inc->ds.n++] = r;
		lf_map_put(&inc->ds.index, r->address, (void *)(uintptr_t)inc->ds.n);
		inc->rank = lf_xrealloc(inc->rank, (inc->ds.n + 1) * sizeof(*inc->rank));
		inc->rank[inc->ds.n - 1] = rank[i];
	}
	free(jobs);
	free(rank);
	/* each where its parent is written (after every load: inc->ctx's
	 * documents move as it grows) */
	long *at = lf_xcalloc(inc->ds.n - first + 1, sizeof(*at));
	for (size_t i = first; ok && i < inc->ds.n; i++) {
		at[i - first] = context_doc(inc, inc->ds.v[i]->parent, now, nfiles);
		if (at[i - first] < 0)
			ok = why(inc, "the document of a bucket policy's owner cannot be read");
	}
	for (size_t i = first; ok && i < inc->ds.n; i++) {
		struct lf_dres *r = inc->ds.v[i];
		r->doc = &inc->ctx.docs[at[i - first]];
		r->prevent_destroy =
		    json_is_true(lf_json_path(r->doc->root, "metadata.lifecycle.prevent_destroy"));
	}
	free(at);
	if (ok && lf_expand_check_policies(&inc->ds, settings, &d) != 0)
		ok = why(inc, "a changed bucket policy outgrows its store's limit");
	lf_diags_release(&d);
	return ok;
}

int lf_incr_prepare(struct lf_incr *inc, struct lf_state *st, const json_t *settings,
                    const char *schema_dir, const char *version)
{
	static const char *const yaml[] = {".yaml", ".yml", NULL};
	char env[65];
	char **paths = NULL;
	size_t npaths = 0, nfiles = 0;
	struct now_file *now = NULL;
	struct lf_diags d = LF_DIAGS_INIT;
	size_t *chseg = NULL, nch = 0, challoc = 0; /* the changed documents' places */
	struct lf_dres **grants = NULL; /* the changed grants whose privileges changed */
	size_t ngrants = 0, grants_alloc = 0;
	struct ws_change {
		const struct lf_resource *res;
		struct lf_dres *w;
		json_t *had; /* its users before */
	} *ws = NULL;    /* the workspaces whose users gained principals */
	size_t nws = 0, ws_alloc = 0;
	struct reach_edit edit;
	int ok = 0;

	memset(inc, 0, sizeof(*inc));
	memset(&edit, 0, sizeof(edit));
	/* as lf_session_expand() decides whether identities are expanded */
	inc->identities = lf_family_provider(settings, LF_FAMILY_IDENTITY) != NULL;
	if (!st->fingerprint || st->npending || st->torn_tail)
		return why(inc, "the state does not record a complete apply");
	if (read_cache(inc) != 0 || strcmp(inc->bytes, st->fingerprint))
		return why(inc, "no documents cache of this state");
	if (lf_incr_env(env, schema_dir, version) != 0 || strcmp(env, inc->env))
		return why(inc, "lakeform, its schemas or lakeform.yaml changed");
	if (lf_walk_files(&paths, &npaths, ".", yaml) != 0) {
		lf_strv_free(paths, npaths);
		return why(inc, "the directory cannot be read");
	}
	now = lf_xcalloc(npaths + 1, sizeof(*now));
	for (size_t i = 0; i < npaths; i++) {
		char *rel = paths[i] + 2; /* "./" */
		if (is_settings(rel))
			continue;
		if (nfiles >= inc->nfiles || strcmp(rel, inc->files[nfiles].name)) {
			inc->why = "manifest files were added, removed or renamed";
			goto out;
		}
		now[nfiles].rel = rel;
		now[nfiles].was = &inc->files[nfiles];
		nfiles++;
	}
	if (nfiles != inc->nfiles) {
		inc->why = "manifest files were removed";
		goto out;
	}
	lf_par_for(nfiles, read_item, now);

	/* the changed documents, each at its lines: the others' lines left
	 * empty, so that positions are those of the whole file */
	for (size_t i = 0; i < nfiles; i++) {
		struct now_file *f = &now[i];
		if (f->err) {
			inc->why = "a file cannot be read, or its documents are not those recorded";
			goto out;
		}
		if (!f->changed)
			continue;
		struct lf_buf b = LF_BUF_INIT;
		size_t nchanged = 0;
		for (size_t k = 0; k < f->nstarts; k++) {
			struct lf_incr_seg *s = &inc->segs[f->was->first + k];
			size_t from = f->starts[k];
			size_t to = k + 1 < f->nstarts ? f->starts[k + 1] : f->len;
			/* the text before the first document may change while
			 * it holds none (a comment at the top) */
			int none =
			    !s->address && k == 0 && !holds_document(f->data + from, to - from);
			if (none)
				memcpy(s->digest, f->digest[k], 16);
			if (none || !memcmp(s->digest, f->digest[k], 16)) {
				blank_lines(&b, f->data + from, to - from);
				continue;
			}
			if (!s->address) {
				lf_buf_release(&b);
				inc->why = "text was added before a file's first document";
				goto out;
			}
			lf_buf_add(&b, f->data + from, to - from);
			memcpy(s->digest, f->digest[k], 16);
			LF_GROW(chseg, nch + 1, challoc);
			chseg[nch++] = f->was->first + k;
			nchanged++;
		}
		size_t before = inc->src.ndocs;
		lf_source_load_buffer(&inc->src, f->rel, b.ptr ? b.ptr : "", b.len, &d);
		lf_buf_release(&b);
		if (d.n || inc->src.ndocs - before != nchanged) {
			inc->why = "a changed document does not parse as one document";
			goto out;
		}
		lf_sha256(inc->files[i].bytes, f->data, f->len);
		inc->nchanged += nchanged;
	}
	if (lf_kinds_load(&inc->kinds, schema_dir, &d) != 0) {
		inc->why = "the schemas do not load";
		goto out;
	}
	lf_kinds_add_regions(&inc->kinds, json_object_get(settings, "regions"));
	lf_manifest_build(&inc->m, &inc->src, &inc->kinds, &d);
	if (d.n || inc->m.nres != inc->src.ndocs) {
		inc->why = "a changed document is not valid on its own";
		goto out;
	}
	/* a column defined twice: the full path says where */
	if (lf_manifest_check_columns(&inc->m, &d) != 0) {
		inc->why = "a changed table defines a column twice";
		goto out;
	}
	/* each changed document declares the resource it declared, and
	 * differs from its record in its labels and inert fields at most */
	lf_planner_ignore_changes(&inc->m, st);
	inc->rank = lf_xcalloc(inc->m.nres + 1, sizeof(*inc->rank));
	for (size_t i = 0; i < inc->m.nres; i++) {
		const struct lf_resource *res = &inc->m.res[i];
		const struct lf_incr_seg *s = &inc->segs[chseg[i]];
		if ((size_t)(res->doc - inc->src.docs) != i || !kind_allowed(res->kind->lower) ||
		    strcmp(res->address, s->address)) {
			inc->why = "a changed document declares another resource";
			goto out;
		}
		int privileges = 0;
		json_t *users = NULL;
		if (!record_of(inc, res, st, &privileges, &users)) {
			inc->why = "a changed document differs in more than its labels, comments, "
			           "columns, display names, a grant's privileges and users added "
			           "to a workspace";
			goto out;
		}
		inc->rank[inc->ds.n - 1] = s->rank;
		if (privileges) {
			LF_GROW(grants, ngrants + 1, grants_alloc);
			grants[ngrants++] = inc->ds.v[inc->ds.n - 1];
		}
		if (users) {
			LF_GROW(ws, nws + 1, ws_alloc);
			ws[nws++] = (struct ws_change){res, inc->ds.v[inc->ds.n - 1], users};
		}
	}
	/* users added to workspaces: their grants made, placed by the graph */
	if (nws && read_graph(inc) != 0) {
		inc->why = "the cache does not record the graph of what the records need";
		goto out;
	}
	for (size_t i = 0; i < nws; i++)
		if (!workspace_users(inc, ws[i].res, ws[i].w, ws[i].had, &edit))
			goto out;
	if ((ngrants || nws) &&
	    !policies_of(inc, st, settings, now, nfiles, grants, ngrants, &edit))
		goto out;
	if (inc->graph_moved && reorder(inc) != 0) {
		inc->why = "the graph of what the records need has a cycle";
		goto out;
	}
	ok = 1;
out:
	for (size_t i = 0; i < nws; i++)
		json_decref(ws[i].had);
	free(ws);
	lf_map_release(&edit.buckets);
	free(edit.names);
	free(edit.ins);
	/* the files' text, for the fingerprint an apply records */
	inc->data = lf_xcalloc(inc->nfiles + 1, sizeof(*inc->data)); /* nfiles <= it */
	inc->len = lf_xcalloc(inc->nfiles + 1, sizeof(*inc->len));
	for (size_t i = 0; i < nfiles; i++) {
		inc->data[i] = now[i].data;
		inc->len[i] = now[i].len;
		now[i].data = NULL;
	}
	for (size_t i = 0; i < nfiles; i++) {
		free(now[i].data);
		free(now[i].starts);
		free(now[i].digest);
	}
	free(now);
	free(chseg);
	free(grants);
	lf_strv_free(paths, npaths);
	lf_diags_release(&d);
	return ok;
}

int lf_incr_fingerprint(char out[65], const struct lf_incr *inc, const char *schema_dir,
                        const char *version)
{
	struct lf_sha256 h;
	int err = lf_source_hash_base(&h, schema_dir, version);

	lf_sha256_update(&h, "\0manifests\0", 11);
	for (size_t i = 0; i < inc->nfiles && !err; i++) {
		const char *rel = inc->files[i].name;
		if (!inc->data || !inc->data[i])
			return -EINVAL;
		lf_sha256_update(&h, rel, strlen(rel) + 1);
		lf_sha256_update(&h, &inc->len[i], sizeof(inc->len[i]));
		lf_sha256_update(&h, inc->data[i], inc->len[i]);
	}
	if (!err)
		lf_sha256_final_hex(&h, out);
	return err;
}

void lf_incr_release(struct lf_incr *inc)
{
	for (size_t i = 0; i < inc->nrecs; i++)
		if (inc->recs[i].owned) {
			lf_state_res_release(inc->recs[i].res);
			free(inc->recs[i].res);
		}
	free(inc->recs);
	free(inc->tail);
	free(inc->nodes);
	free(inc->after);
	free(inc->edges);
	for (size_t i = 0; i < inc->nowned; i++)
		free(inc->owned[i]);
	free(inc->owned);
	lf_map_release(&inc->node_index);
	lf_reach_release(&inc->reach);
	free_policies(inc->policies, inc->npolicies);
	lf_source_release(&inc->ctx);
	for (size_t i = 0; inc->data && i < inc->nfiles; i++)
		free(inc->data[i]);
	free(inc->data);
	free(inc->len);
	free_cache(inc);
	lf_desired_release(&inc->ds);
	lf_manifest_release(&inc->m);
	lf_source_release(&inc->src);
	lf_kinds_release(&inc->kinds);
	free(inc->rank);
	memset(inc, 0, sizeof(*inc));
}

struct ranked {
	long rank, sub; /* sub: after the record of that rank, in this order */
	size_t change;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->sub < y->sub ? -1 : x->sub > y->sub;
}

/*
 * Where lf_plan_build() shows a changed policy: right under the last of
 * its changed sources, when all it needs comes before that one (its
 * place_policies(); moving it leaves the others' order be), else at its
 * own place.  Each moved policy goes right under its source, ahead of
 * those moved there before it (they are moved in the order of their
 * addresses).  Sets v's rank and sub, and the change's cause.
 */
static void place_policy(struct ranked *v, struct lf_change *c, const struct lf_incr *inc,
                         const struct lf_dres *r, const struct lf_map *acted, size_t nth)
{
	const struct lf_incr_policy *pol = policy_named(inc, r->address);
	long at = -1;
	const char *cause = NULL;

	for (size_t k = 0; k < r->nsources; k++) {
		uintptr_t j = (uintptr_t)lf_map_get(&inc->ds.index, r->sources[k]);
		if (j && lf_map_get(acted, r->sources[k]) && inc->rank[j - 1] > at) {
			at = inc->rank[j - 1];
			cause = r->sources[k];
		}
	}
	free(c->cause);
	c->cause = NULL;
	if (pol && at >= 0 && pol->needs <= at) {
		v->rank = at;
		v->sub = LONG_MAX - (long)nth;
		c->cause = lf_xstrdup(cause);
	}
}

int lf_incr_plan(struct lf_plan *p, struct lf_incr *inc, struct lf_state *st, struct lf_diags *d)
{
	struct lf_state part = *st;
	struct lf_plan mp = LF_PLAN_INIT;
	struct lf_plan_opts o;
	int rc;

	/* the planner on the changed records alone: it says what each
	 * becomes, as it would among all of them (their order is the full
	 * plan's: inc->rank, from the graph when records were made or need
	 * others) */
	memset(&o, 0, sizeof(o));
	o.kinds = &inc->kinds;
	part.res = lf_xcalloc(inc->ds.n + 1, sizeof(*part.res));
	part.nres = 0;
	for (size_t i = 0; i < inc->ds.n; i++) {
		const struct lf_state_res *rec = lf_state_get(st, inc->ds.v[i]->address);
		/* a policy's as policies_of() parsed it */
		for (size_t k = 0; k < inc->nrecs; k++)
			if (!strcmp(inc->recs[k].res->address, inc->ds.v[i]->address))
				rec = inc->recs[k].res;
		/* a workspace's new grant has none */
		if (rec)
			part.res[part.nres++] = *rec;
	}
	rc = lf_plan_build(&mp, &inc->ds, &part, &o, d);
	free(part.res);
	if (rc) {
		lf_plan_release(&mp);
		return -1;
	}
	/* every other record a no-op, as plan_noops() of the CLI says */
	for (size_t i = 0; i < st->nres; i++) {
		const struct lf_state_res *r = &st->res[i];
		const char *slash = strchr(r->address, '/');
		char provider[64];

		if (lf_map_get(&inc->ds.index, r->address))
			continue;
		if (lf_state_res_provider(r, provider, sizeof(provider)) <= 0)
			snprintf(provider, sizeof(provider), "%s",
			         r->provider ? r->provider : "lakeform");
		lf_plan_add(p, LF_ACT_NOOP, r->type, slash ? slash + 1 : r->address, provider,
		            r->parent);
	}
	/* the changed ones in the order of the whole plan */
	/* the changed records that act: a policy is shown under one */
	struct lf_map acted = LF_MAP_INIT;
	for (size_t i = 0; i < mp.n; i++)
		if (mp.v[i].action != LF_ACT_NOOP && mp.v[i].action != LF_ACT_DELETE)
			lf_map_put(&acted, mp.v[i].address, (void *)1);
	struct ranked *v = lf_xcalloc(mp.n + 1, sizeof(*v));
	for (size_t i = 0; i < mp.n; i++) {
		uintptr_t j = (uintptr_t)lf_map_get(&inc->ds.index, mp.v[i].address);
		v[i].rank = j ? inc->rank[j - 1] : -1;
		v[i].change = i;
		if (j && !strcmp(inc->ds.v[j - 1]->type, "storage.policy") &&
		    mp.v[i].action == LF_ACT_UPDATE)
			place_policy(&v[i], &mp.v[i], inc, inc->ds.v[j - 1], &acted, j - 1);
	}
	lf_map_release(&acted);
	qsort(v, mp.n, sizeof(*v), cmp_ranked);
	for (size_t i = 0; i < mp.n; i++)
		lf_plan_take(p, &mp.v[v[i].change]);
	free(v);
	lf_plan_release(&mp);
	snprintf(p->lineage, sizeof(p->lineage), "%s", st->lineage);
	p->serial = st->serial;
	return 0;
}
