#include "planner.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/buf.h"
#include "../util/map.h"
#include "../util/jsondigest.h"
#include "../util/mem.h"
#include "../util/par.h"

/* ---- ignore_changes ------------------------------------------------------- */

/* Set the dotted `path` of `doc` to `v` (borrowed; NULL removes it). */
static void set_path(json_t *doc, const char *path, json_t *v)
{
	char *copy = lf_xstrdup(path), *p = copy;
	json_t *cur = doc;

	for (;;) {
		char *dot = strchr(p, '.');
		if (!dot) {
			if (v)
				json_object_set(cur, p, v);
			else
				json_object_del(cur, p);
			break;
		}
		*dot = '\0';
		json_t *next = json_object_get(cur, p);
		if (!json_is_object(next)) {
			if (!v)
				break;
			next = json_object();
			json_object_set_new(cur, p, next);
		}
		cur = next;
		p = dot + 1;
	}
	free(copy);
}

void lf_planner_ignore_changes(const struct lf_manifest *m, struct lf_state *st)
{
	for (size_t i = 0; i < m->nres; i++) {
		const struct lf_resource *r = &m->res[i];
		json_t *ign = lf_json_path(r->value, "metadata.lifecycle.ignore_changes");
		struct lf_state_res *rec;
		size_t k;
		json_t *v;

		if (!json_array_size(ign) || !(rec = lf_state_get(st, r->address)))
			continue;
		json_t *inputs = lf_state_res_open_inputs(st, rec, NULL);
		if (!inputs)
			continue;
		json_array_foreach (ign, k, v) {
			const char *path = json_string_value(v);
			if (!path || !strncmp(path, "metadata.lifecycle", 18))
				continue;
			/* recorded inputs hold metadata and spec like the document */
			json_t *old = lf_json_path(inputs, path);
			set_path(r->value, path, old);
		}
		json_decref(inputs);
	}
}

/* ---- field differences ----------------------------------------------------- */

struct leaf {
	char *path;
	json_t *v; /* borrowed */
};

struct leaves {
	struct leaf *v;
	size_t n, alloc;
};

/* Objects are walked; anything else (arrays too) is a leaf. */
static void flatten(struct leaves *out, json_t *v, struct lf_buf *path)
{
	if (json_is_object(v) && json_object_size(v) > 0) {
		const char *k;
		json_t *c;
		size_t len = path->len;
		json_object_foreach (v, k, c) {
			if (len)
				lf_buf_addc(path, '.');
			lf_buf_adds(path, k);
			flatten(out, c, path);
			lf_buf_truncate(path, len);
		}
		return;
	}
	LF_GROW(out->v, out->n + 1, out->alloc);
	out->v[out->n].path = lf_xstrdup(lf_buf_cstr(path));
	out->v[out->n].v = v;
	out->n++;
}

static int cmp_leaf(const void *a, const void *b)
{
	return strcmp(((const struct leaf *)a)->path, ((const struct leaf *)b)->path);
}

static void leaves_release(struct leaves *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
}

/* `path` is `prefix` or lies under it (or above it: a whole object). */
static int path_related(const char *path, const char *prefix)
{
	size_t n = strlen(prefix), m = strlen(path);

	if (!strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '.'))
		return 1;
	return !strncmp(prefix, path, m) && prefix[m] == '.';
}

static int in_paths(char **paths, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (path_related(path, paths[i]))
			return 1;
	return 0;
}

/* `after` is held (json_incref) unless the diff borrows it (compare_item():
 * the desired values are shared between threads, and jansson's incref
 * reads the count before its atomic add) */
static void add_diff(struct lf_change *c, size_t *alloc, const char *path, json_t *before,
                     json_t *after, int force_new, int sensitive, int borrow)
{
	struct lf_field_diff *fd;

	LF_GROW(c->diffs, c->ndiffs + 1, *alloc);
	fd = &c->diffs[c->ndiffs++];
	memset(fd, 0, sizeof(*fd));
	fd->path = lf_xstrdup(path);
	fd->before = before ? json_incref(before) : NULL;
	fd->after = after && !borrow ? json_incref(after) : after;
	fd->force_new = force_new;
	fd->sensitive = sensitive;
}

/*
 * Two lists: the items removed ("path[i]" with only a before) and the items
 * added (only an after), as sets, in linear time: a policy may hold
 * thousands of statements and a change touches a few.
 */
static void diff_arrays(struct lf_change *c, size_t *alloc, const char *path, json_t *before,
                        json_t *after, int force_new, int borrow)
{
	size_t ndiffs = c->ndiffs;

	struct lf_map seen = LF_MAP_INIT;
	size_t nb = json_array_size(before), na = json_array_size(after);
	/* each item's canonical text, all in one buffer (a policy's 20,000
	 * statements were 40,000 json_dumps(), each on the heap) */
	struct lf_buf texts = LF_BUF_INIT;
	size_t *at = lf_xcalloc(na + nb + 1, sizeof(*at));

	for (size_t i = 0; i < na + nb; i++) {
		at[i] = texts.len;
		lf_json_canonical_add(&texts, i < na ? json_array_get(after, i)
		                                     : json_array_get(before, i - na));
		lf_buf_addc(&texts, '\0');
	}
	const char *ka = texts.ptr, *kb = texts.ptr; /* + at[i], at[na + i] */
	for (size_t i = 0; i < na; i++) {
		uintptr_t n = (uintptr_t)lf_map_get(&seen, ka + at[i]);
		lf_map_put(&seen, ka + at[i], (void *)(n + 1));
	}
	for (size_t i = 0; i < nb; i++) {
		const char *k = kb + at[na + i];
		uintptr_t n = (uintptr_t)lf_map_get(&seen, k);
		if (n) {
			lf_map_put(&seen, k, (void *)(n - 1)); /* kept */
		} else {
			char *ip = lf_xasprintf("%s.%zu", path, i);
			add_diff(c, alloc, ip, json_array_get(before, i), NULL, force_new, 0,
			         borrow);
			free(ip);
		}
	}
	/* what is left in `seen` was added; walk `after` to keep its order */
	for (size_t i = 0; i < na; i++) {
		uintptr_t n = (uintptr_t)lf_map_get(&seen, ka + at[i]);
		if (n) {
			/* a value added (or added more times than it was kept) */
			lf_map_put(&seen, ka + at[i], (void *)(n - 1));
			char *ip = lf_xasprintf("%s.%zu", path, i);
			add_diff(c, alloc, ip, NULL, json_array_get(after, i), force_new, 0,
			         borrow);
			free(ip);
		}
	}
	free(at);
	lf_buf_release(&texts);
	lf_map_release(&seen);
	/* the same items in another order: order matters (columns), so the
	 * list as a whole differs */
	if (c->ndiffs == ndiffs)
		add_diff(c, alloc, path, before, after, force_new, 0, borrow);
}

/* Schema paths are relative to the inputs for types ("name") and to the
 * document for kinds ("spec.region"), which is what the inputs hold too. */
static void diff_inputs(struct lf_change *c, json_t *before, json_t *after, const struct lf_kind *k,
                        int *force_new, int borrow)
{
	struct leaves a = {0}, b = {0};
	struct lf_buf path = LF_BUF_INIT;
	size_t i = 0, j = 0, alloc = 0;

	flatten(&a, before, &path);
	flatten(&b, after, &path);
	qsort(a.v, a.n, sizeof(*a.v), cmp_leaf);
	qsort(b.v, b.n, sizeof(*b.v), cmp_leaf);
	*force_new = 0;
	while (i < a.n || j < b.n) {
		int cmp = i >= a.n ? 1 : j >= b.n ? -1 : strcmp(a.v[i].path, b.v[j].path);
		json_t *x = cmp <= 0 ? a.v[i].v : NULL;
		json_t *y = cmp >= 0 ? b.v[j].v : NULL;
		const char *p = cmp <= 0 ? a.v[i].path : b.v[j].path;

		if (!x || !y || !json_equal(x, y)) {
			int fnew = k && in_paths(k->force_new, k->nforce_new, p);
			int sens = k && in_paths(k->sensitive, k->nsensitive, p);
			/* a grant's privileges are read as a whole: before and
			 * after, not which item moved */
			int whole = k && !strcmp(k->name, "Grant") && !strcmp(p, "spec.privileges");
			if (json_is_array(x) && json_is_array(y) && !sens && !whole)
				diff_arrays(c, &alloc, p, x, y, fnew, borrow);
			else
				add_diff(c, &alloc, p, x, y, fnew, sens, borrow);
			*force_new |= fnew;
		}
		if (cmp <= 0)
			i++;
		if (cmp >= 0)
			j++;
	}
	leaves_release(&a);
	leaves_release(&b);
	lf_buf_release(&path);
}

/* ---- building the plan -------------------------------------------------------- */

struct node {
	char *address; /* a desired resource's (borrowed), else owned: records may be re-parsed */
	struct lf_dres *want;      /* NULL when only recorded */
	struct lf_state_res *have; /* NULL when only declared */
	enum lf_action action;
	enum lf_reason reason;
	int selected;  /* within --target / --exclude */
	int state;     /* DFS colour */
	size_t parent; /* index of its manifest resource, or -1 */
	size_t *parts; /* nodes whose parent this is */
	size_t nparts, parts_alloc;
	char *note;           /* owned: why it is kept, or goes, or NULL */
	int ws_kept;          /* a workspace catalog (or its schema) outliving its workspace */
	const char *cause;    /* a policy's: the change it is shown under (borrowed) */
	int late;             /* a delete that waits for updates (mark_late_deletes()) */
	json_t *movers;       /* a late one's: the updates it waits for */
	const char *moved_to; /* and where they move (borrowed) */
	size_t *deps;         /* for_each_dep's: the nodes it needs, once looked up */
	size_t ndeps;
	int deps_known; /* deps filled */
	/* compared (digests differ): the recorded inputs opened, and their
	 * differences with the desired ones, which emit() takes over */
	int compared;
	json_t *before;
	struct lf_field_diff *diffs; /* (not a whole lf_change: 120,000 nodes) */
	size_t ndiffs;
};

/* Nodes 0 .. ndesired-1 are the desired resources, in their order, found
 * by the desired set's own index; the records with nothing declared for
 * them come after, in `index`. */
struct pb {
	struct node *v;
	size_t n, alloc;
	const struct lf_map *desired; /* address -> index + 1 (the desired set's) */
	size_t ndesired;
	struct lf_map index; /* the other addresses -> index + 1 */
	struct lf_diags *d;
};

static size_t find_node(const struct pb *b, const char *address)
{
	uintptr_t i = (uintptr_t)lf_map_get(b->desired, address);

	if (i && i <= b->ndesired)
		return i - 1;
	i = (uintptr_t)lf_map_get(&b->index, address);
	return i ? i - 1 : (size_t)-1;
}

static size_t node_of(struct pb *b, const char *address)
{
	size_t i = find_node(b, address);

	if (i != (size_t)-1)
		return i;
	LF_GROW(b->v, b->n + 1, b->alloc);
	memset(&b->v[b->n], 0, sizeof(b->v[b->n]));
	b->v[b->n].address = lf_xstrdup(address);
	lf_map_put(&b->index, address, (void *)(uintptr_t)(b->n + 1));
	return b->n++;
}

/* Dependencies of a node: desired ones, else recorded ones. */
static json_t *recorded_deps(struct node *n)
{
	if (!n->have)
		return NULL;
	if (!n->have->deps && n->have->line)
		lf_state_res_parse(n->have);
	return n->have->deps;
}

/*
 * The nodes `n` needs, looked up once: the graph is walked several times
 * (order, reverse edges, what stays), and hashing each address on every
 * walk was the most of the planner's time.  Nodes, and what each one
 * wants and has, are all in place before the first walk.
 */
static void know_deps(struct pb *b, struct node *n)
{
	size_t alloc = 0;

	n->deps_known = 1;
	if (n->want) {
		for (size_t i = 0; i < n->want->ndeps; i++) {
			size_t j = find_node(b, n->want->deps[i]);
			if (j != (size_t)-1) {
				LF_GROW(n->deps, n->ndeps + 1, alloc);
				n->deps[n->ndeps++] = j;
			}
		}
		return;
	}
	json_t *deps = recorded_deps(n), *v;
	size_t i;
	json_array_foreach (deps, i, v) {
		size_t j = json_is_string(v) ? find_node(b, json_string_value(v)) : (size_t)-1;
		if (j != (size_t)-1) {
			LF_GROW(n->deps, n->ndeps + 1, alloc);
			n->deps[n->ndeps++] = j;
		}
	}
}

/* lf_par_for's item: know_deps of node i */
static void know_deps_item(void *arg, size_t i)
{
	struct pb *b = arg;

	know_deps(b, &b->v[i]);
}

static void for_each_dep(struct pb *b, struct node *n, void (*fn)(struct pb *, size_t, void *),
                         void *ctx)
{
	if (!n->deps_known)
		know_deps(b, n);
	for (size_t i = 0; i < n->ndeps; i++)
		fn(b, n->deps[i], ctx);
}

/* ---- topological order ----------------------------------------------------------- */

struct topo {
	size_t *out;
	size_t nout;
	size_t *stack; /* for cycle reports */
	size_t depth;
	int cycle;
	int with_parts; /* second pass: parts right after their parent */
};

static void dep_done(struct pb *b, size_t i, void *ctx)
{
	int *all = ctx;
	*all &= b->v[i].state == 2;
}

static void visit(struct pb *b, size_t i, void *ctx);

/* Visit the parts of `n` whose needs are all met: one that waits for
 * something still in progress is placed when that is done. */
static void place_ready_parts(struct pb *b, struct node *n, struct topo *t)
{
	for (size_t k = 0; k < n->nparts && !t->cycle; k++) {
		struct node *part = &b->v[n->parts[k]];
		int ready = 1;

		if (part->state != 0)
			continue;
		for_each_dep(b, part, dep_done, &ready);
		if (ready)
			visit(b, n->parts[k], t);
	}
}

static void report_cycle(struct pb *b, struct topo *t, size_t back_to)
{
	struct lf_buf msg = LF_BUF_INIT;
	size_t s = t->depth;

	while (s > 0 && t->stack[s - 1] != back_to)
		s--;
	lf_buf_adds(&msg, "dependency cycle: ");
	for (size_t k = s ? s - 1 : 0; k < t->depth; k++) {
		const struct node *n = &b->v[t->stack[k]];
		const struct lf_source_doc *doc = n->want ? n->want->doc : NULL;
		lf_buf_addf(&msg, "%s", n->address);
		if (doc)
			lf_buf_addf(&msg, " (%s:%u)", doc->pos.file, doc->pos.line);
		lf_buf_adds(&msg, " needs ");
	}
	lf_buf_adds(&msg, b->v[back_to].address);
	const struct node *first = &b->v[back_to];
	lf_diag_error(b->d, first->want && first->want->doc ? &first->want->doc->pos : NULL, "%s",
	              lf_buf_cstr(&msg));
	lf_buf_release(&msg);
}

static void visit(struct pb *b, size_t i, void *ctx)
{
	struct topo *t = ctx;
	struct node *n = &b->v[i];

	if (n->state == 2 || t->cycle)
		return;
	if (n->state == 1) {
		report_cycle(b, t, i);
		t->cycle = 1;
		return;
	}
	n->state = 1;
	t->stack[t->depth++] = i;
	for_each_dep(b, n, visit, ctx);
	t->depth--;
	n->state = 2;
	t->out[t->nout++] = i;
	/* its parts right after it, so a manifest resource and what it
	 * expands to read as one block (they depend on it: still in order) */
	if (t->with_parts) {
		place_ready_parts(b, n, t);
		/* this one done may be what a sibling part waited for */
		if (n->parent != (size_t)-1 && b->v[n->parent].state == 2)
			place_ready_parts(b, &b->v[n->parent], t);
	}
}

struct by_address {
	const char *address;
	size_t node;
};

static int cmp_by_address(const void *a, const void *b)
{
	return strcmp(((const struct by_address *)a)->address,
	              ((const struct by_address *)b)->address);
}

/* Nodes 0 .. ds->n - 1 of `b`: the desired resources, in their order. */
static void desired_nodes(struct pb *b, const struct lf_desired *ds)
{
	b->v = lf_xcalloc(ds->n + 1, sizeof(*b->v));
	b->alloc = ds->n + 1;
	for (size_t i = 0; i < ds->n; i++) {
		b->v[i].address = ds->v[i]->address;
		b->v[i].want = ds->v[i];
	}
	b->n = b->ndesired = ds->n;
}

/* The order of b's nodes into t (t->out, t->stack allocated here): a
 * plain depth-first pass in address order first, which finds cycles
 * (t->cycle), then, without one, the order to show and carry out, each
 * node's parts right after it. */
static void topo_order(struct pb *b, struct topo *t)
{
	t->out = lf_xcalloc(b->n + 1, sizeof(*t->out));
	t->stack = lf_xcalloc(b->n + 1, sizeof(*t->stack));
	/* the nodes by address, each with its index: no lookup to visit it */
	struct by_address *addrs = lf_xcalloc(b->n + 1, sizeof(*addrs));
	for (size_t i = 0; i < b->n; i++) {
		addrs[i].address = b->v[i].address;
		addrs[i].node = i;
	}
	qsort(addrs, b->n, sizeof(*addrs), cmp_by_address);
	for (size_t i = 0; i < b->n && !t->cycle; i++)
		visit(b, addrs[i].node, t);
	if (!t->cycle) {
		for (size_t i = 0; i < b->n; i++)
			b->v[i].state = 0;
		t->nout = 0;
		t->with_parts = 1;
		for (size_t i = 0; i < b->n; i++)
			visit(b, addrs[i].node, t);
	}
	free(addrs);
}

/* ---- the changes ------------------------------------------------------------------- */

static void add_sensitive(struct lf_change *c, const struct lf_kind *k)
{
	if (!k || !k->nsensitive)
		return;
	c->sensitive = lf_xcalloc(k->nsensitive, sizeof(*c->sensitive));
	for (size_t i = 0; i < k->nsensitive; i++)
		c->sensitive[i] = lf_xstrdup(k->sensitive[i]);
	c->nsensitive = k->nsensitive;
}

static void emit(struct lf_plan *p, struct node *n, const struct lf_kinds *kinds,
                 const struct lf_state *st)
{
	struct lf_change *c;
	const struct lf_kind *k = n->want ? n->want->kind : NULL;

	if (n->want) {
		c = lf_plan_add(p, n->action, n->want->type, n->want->name, n->want->provider,
		                n->want->parent);
		if (n->want->doc) {
			c->file = lf_xstrdup(n->want->doc->pos.file);
			c->line = n->want->doc->pos.line;
		}
	} else {
		const char *slash = strchr(n->address, '/');
		c = lf_plan_add(p, n->action, n->have->type ? n->have->type : "",
		                slash ? slash + 1 : n->address,
		                n->have->provider ? n->have->provider : "lakeform",
		                n->have->parent);
		k = kinds ? lf_kinds_find(kinds, n->have->type) : NULL;
		if (!k && kinds && n->have->type) {
			/* manifest kinds are found by their lowercase name */
			for (size_t i = 0; i < kinds->n; i++)
				if (!strcmp(kinds->v[i].lower, n->have->type))
					k = &kinds->v[i];
		}
	}
	c->reason = n->reason;
	c->note = n->note ? lf_xstrdup(n->note) : NULL;
	c->cause = n->cause ? lf_xstrdup(n->cause) : NULL;
	add_sensitive(c, k);
	if (n->action == LF_ACT_NOOP && n->want) {
		/* equal digests: the recorded inputs are the desired ones, and
		 * the record need not be parsed at all */
		c->before = json_incref(n->want->inputs);
	} else if (n->have && n->action != LF_ACT_CREATE) {
		/* sealed values opened: a secret the manifests did not change
		 * is no difference (opened once, when the actions were found) */
		const json_t *want = n->want ? n->want->inputs : NULL;
		c->before = n->compared ? json_incref(n->before)
		                        : lf_state_res_open_inputs(st, n->have, want);
	}
	if (n->want && n->action != LF_ACT_DELETE)
		c->after = json_incref(n->want->inputs);
	if ((n->action == LF_ACT_UPDATE || n->action == LF_ACT_REPLACE) && c->before && c->after) {
		int fnew;
		if (n->compared && c->before == n->before) {
			/* the same inputs, kind and desired values: the same
			 * differences, found once */
			c->diffs = n->diffs;
			c->ndiffs = n->ndiffs;
			n->diffs = NULL;
			n->ndiffs = 0;
		} else {
			diff_inputs(c, c->before, c->after, k, &fnew, 0);
		}
	}
}

/* Release what compare_item() left in `n`. */
static void compared_release(struct node *n)
{
	lf_field_diffs_free(n->diffs, n->ndiffs);
	n->diffs = NULL;
	n->ndiffs = 0;
	json_decref(n->before);
	n->before = NULL;
}

/* lf_par_for's item: node i of `arg` (a struct pb), declared and recorded
 * with digests that differ, compared.  Each writes only its own node and
 * record (the record parsed in place); the desired values are only read. */
struct compare_ctx {
	struct pb *b;
	const size_t *which;
	struct lf_state *st;
};

static void compare_item(void *arg, size_t i)
{
	struct compare_ctx *x = arg;
	struct node *n = &x->b->v[x->which[i]];
	struct lf_change c;
	int fnew = 0;

	memset(&c, 0, sizeof(c));
	n->before = lf_state_res_open_inputs(x->st, n->have, n->want->inputs);
	diff_inputs(&c, n->before, n->want->inputs, n->want->kind, &fnew, 1);
	n->diffs = c.diffs;
	n->ndiffs = c.ndiffs;
	n->action = n->ndiffs == 0 ? LF_ACT_NOOP : fnew ? LF_ACT_REPLACE : LF_ACT_UPDATE;
	n->reason = fnew ? LF_REASON_CANNOT_UPDATE : LF_REASON_NONE;
	n->compared = 1;
}

static int holds_data(const struct node *n);

/*
 * Whether deleting `n` is refused by prevent_destroy.  What is still
 * declared speaks for itself (and for its parts); a resource no longer
 * declared keeps the protection it was recorded with, so removing a
 * protected manifest does not destroy it: the flag must be cleared and
 * applied first.
 */
static int delete_protected(struct pb *b, struct node *n)
{
	if (!holds_data(n))
		return 0;
	if (n->want)
		return n->want->prevent_destroy;
	if (n->parent != (size_t)-1 && &b->v[n->parent] != n &&
	    (b->v[n->parent].want || b->v[n->parent].have))
		return delete_protected(b, &b->v[n->parent]);
	struct lf_state_res *r = n->have;
	if (!r)
		return 0;
	if (!r->inputs && r->line)
		lf_state_res_parse(r);
	return json_is_true(lf_json_path(r->inputs, "metadata.lifecycle.prevent_destroy"));
}

static int listed(const char **list, size_t n, const char *address)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], address))
			return 1;
	return 0;
}

/* ---- what survives -------------------------------------------------------- */

static const char *type_of(const struct node *n)
{
	return n->want ? n->want->type : n->have && n->have->type ? n->have->type : "";
}

static json_t *recorded_inputs(struct node *n)
{
	if (!n->have)
		return NULL;
	if (!n->have->inputs && n->have->line)
		lf_state_res_parse(n->have);
	return n->have->inputs;
}

static const char *recorded_parent(const struct node *n)
{
	return n->want ? n->want->parent : n->have ? n->have->parent : NULL;
}

static int goes(const struct node *n)
{
	return n->selected && n->action == LF_ACT_DELETE;
}

/* Whether node i still exists once the plan is applied. */
static int survives(const struct node *n)
{
	if (!n->selected)
		return n->have != NULL;
	return n->action != LF_ACT_DELETE && (n->want || n->have);
}

static void set_note(struct node *n, char *note)
{
	free(n->note);
	n->note = note;
}

/*
 * Keep node j, which would be deleted: a no-op, shown (with `note`) when it
 * belongs to nothing, or to something this plan deletes or keeps; a record
 * whose manifest parent went in an earlier plan, or a part of something
 * kept then, is kept silently: it was shown then.  `show` forces it.
 */
static void keep(struct pb *b, size_t j, char *note, int show)
{
	struct node *n = &b->v[j];
	const char *parent = recorded_parent(n);
	size_t p = parent ? find_node(b, parent) : (size_t)-1;

	n->action = LF_ACT_NOOP;
	if (!show && !n->want && parent &&
	    (p == (size_t)-1 || (!goes(&b->v[p]) && b->v[p].reason != LF_REASON_KEPT))) {
		n->reason = LF_REASON_NONE;
		free(note);
		return;
	}
	n->reason = LF_REASON_KEPT;
	set_note(n, note);
}

/* The bucket a catalog or schema keeps its data in, from its prefix part. */
static size_t storage_bucket_of(struct pb *b, struct node *n)
{
	for (size_t k = 0; k < n->nparts; k++) {
		struct node *part = &b->v[n->parts[k]];
		if (strcmp(type_of(part), "storage.prefix"))
			continue;
		const char *bucket = json_string_value(json_object_get(
		    part->want ? part->want->inputs : recorded_inputs(part), "bucket"));
		if (bucket) {
			char *a = lf_xasprintf("storage.bucket/%s", bucket);
			size_t j = find_node(b, a);
			free(a);
			return j;
		}
	}
	return (size_t)-1;
}

/*
 * A workspace catalog and its 'default' schema belong to the metastore:
 * removing the workspace leaves them (as Databricks does), unless the
 * metastore goes too, they are destroyed by name, or the storage they are
 * in is destroyed with force_destroy.
 */
static void keep_workspace_catalogs(struct pb *b, const struct lf_plan_opts *o)
{
	if (o->destroy)
		return; /* what a destroy names goes, its workspace catalog too */
	for (size_t i = 0; i < b->n; i++) {
		struct node *n = &b->v[i];
		const char *type = type_of(n);
		const char *parent = recorded_parent(n);

		if (!goes(n) || n->want || (strcmp(type, "catalog") && strcmp(type, "schema")) ||
		    !parent || strncmp(parent, "workspace/", 10) ||
		    listed(o->targets, o->ntargets, n->address))
			continue;
		size_t w = find_node(b, parent);
		if (w != (size_t)-1 && survives(&b->v[w]))
			continue; /* workspace_catalog: false, or a partial plan */
		const char *ms =
		    json_string_value(lf_json_path(recorded_inputs(n), "spec.metastore"));
		char *msa = lf_xasprintf("metastore/%s", ms ? ms : "");
		size_t m = find_node(b, msa);
		free(msa);
		if (m == (size_t)-1 || !survives(&b->v[m]))
			continue; /* the metastore goes, and what is in it */
		size_t bk = storage_bucket_of(b, n);
		if (bk != (size_t)-1 && goes(&b->v[bk]) &&
		    json_is_true(json_object_get(recorded_inputs(&b->v[bk]), "force_destroy"))) {
			set_note(n, lf_xasprintf("its storage, %s, is destroyed with force_destroy",
			                         b->v[bk].address));
			continue;
		}
		n->ws_kept = 1;
		if (!strcmp(type, "catalog"))
			keep(b, i,
			     lf_xasprintf(
			         "a workspace catalog belongs to metastore '%s' and outlives "
			         "%s; to remove it: lakeform destroy --target %s",
			         ms, parent, n->address),
			     0);
		else
			keep(b, i,
			     lf_xasprintf("in a workspace catalog, which outlives %s", parent), 0);
	}
}

struct keeper {
	size_t *stack;
	size_t n;
	size_t from;
};

static void keep_dep(struct pb *b, size_t j, void *ctx)
{
	struct keeper *k = ctx;
	struct node *from = &b->v[k->from], *n = &b->v[j];

	/* a workspace catalog outlives its workspace: it needs it only to be
	 * made */
	if (from->ws_kept && from->parent == j)
		return;
	if (!goes(n))
		return;
	keep(b, j, lf_xasprintf("%s needs it and stays", from->address), 0);
	k->stack[k->n++] = j;
}

/*
 * Nothing that stays may lose what it needs: a kept resource keeps its
 * dependencies (its bucket, its network, its metastore, its principals),
 * and anything that stays keeps the account.  --exclude, --target and the
 * workspace catalogs all come through here.
 */
static void keep_what_stays_needs(struct pb *b)
{
	struct keeper k = {lf_xcalloc(b->n + 1, sizeof(size_t)), 0, 0};
	size_t account = (size_t)-1;
	int anything = 0;

	int other_account = 0; /* a renamed account: the new one holds what stays */
	for (size_t i = 0; i < b->n; i++) {
		if (!strcmp(type_of(&b->v[i]), "account")) {
			if (survives(&b->v[i]))
				other_account = 1;
			else
				account = i;
		}
		if (survives(&b->v[i]))
			k.stack[k.n++] = i;
	}
	if (other_account)
		account = (size_t)-1;
	for (size_t i = 0; i < b->n; i++) {
		const char *parent = recorded_parent(&b->v[i]);
		anything |=
		    survives(&b->v[i]) && i != account &&
		    !(parent && account != (size_t)-1 && !strcmp(parent, b->v[account].address));
	}
	if (anything && account != (size_t)-1 && goes(&b->v[account])) {
		keep(b, account, lf_xstrdup("what stays is in the account"), 0);
		k.stack[k.n++] = account;
	}
	while (k.n) {
		size_t i = k.stack[--k.n];
		struct node *n = &b->v[i];
		k.from = i;
		if (!n->want || n->selected) {
			/* the dependencies know_deps() looked up: the desired
			 * ones, or for a node with nothing declared the recorded
			 * ones (a lookup per edge here was 2% of a plan's samples
			 * at 100,000 resources) */
			if (!n->deps_known)
				know_deps(b, n);
			for (size_t d = 0; d < n->ndeps; d++)
				keep_dep(b, n->deps[d], &k);
		} else {
			json_t *deps = recorded_deps(n), *v;
			size_t q;
			json_array_foreach (deps, q, v) {
				size_t j = json_is_string(v) ? find_node(b, json_string_value(v))
				                             : (size_t)-1;
				if (j != (size_t)-1)
					keep_dep(b, j, &k);
			}
		}
	}
	free(k.stack);
}

/*
 * A workspace storage bucket holds the workspace's data: deleting it with
 * its workspace is refused unless the manifest said force_destroy, so that
 * no plan says "destroy" for data that would survive (or for data nobody
 * meant to lose).
 */
static void refuse_data_loss(struct pb *b, const struct lf_plan_opts *o)
{
	if (o->destroy)
		return; /* destroying a bucket by name: the provider deletes it if empty */
	for (size_t i = 0; i < b->n; i++) {
		struct node *n = &b->v[i];
		const char *parent = recorded_parent(n);

		if (!goes(n) || n->want || strcmp(type_of(n), "storage.bucket") || !parent ||
		    strncmp(parent, "workspace/", 10) ||
		    json_is_true(json_object_get(recorded_inputs(n), "force_destroy")))
			continue;
		size_t w = find_node(b, parent);
		if (w != (size_t)-1 && survives(&b->v[w]))
			continue; /* a part no longer made: its workspace stays */
		if (delete_protected(b, n))
			continue; /* prevent_destroy says so, louder */
		if (w != (size_t)-1) {
			lf_diag_error(
			    b->d, NULL,
			    "'%s' of %s holds data and would be destroyed with it, but "
			    "spec.storage.force_destroy is not set: set it to true and apply "
			    "before removing the workspace, or keep the bucket outside "
			    "lakeform with 'lakeform state rm %s'",
			    n->address, parent, n->address);
			continue;
		}
		/* what kept it (its workspace catalog) went since */
		keep(b, i,
		     lf_xasprintf("holds data of %s, removed, and force_destroy is not set: "
		                  "'lakeform destroy --target %s' deletes it once it is empty, "
		                  "'lakeform state rm %s' forgets it",
		                  parent, n->address, n->address),
		     1);
	}
}

/* ---- what a policy change comes from -------------------------------------- */

static int is_policy_change(const struct node *n)
{
	return n->selected && n->want && !strcmp(n->want->type, "storage.policy") &&
	       (n->action == LF_ACT_UPDATE || n->action == LF_ACT_CREATE ||
	        n->action == LF_ACT_REPLACE);
}

/* Add `address` to the list of what changed a policy: five named at most. */
static void add_cause(struct lf_buf *from, size_t *n, const char *address, const char *what)
{
	if ((*n)++ < 5)
		lf_buf_addf(from, "%s%s%s", from->len ? ", " : "", address, what);
}

/*
 * A policy is compiled from grants (and owners): when it changes, say which
 * of them changed it, in a note, so that the plan reads "this grant, hence
 * this policy" rather than "part of the account".  A grant no longer
 * declared is not among the sources: it is named when its principal had a
 * statement in the recorded policy.
 */
static void note_policy_causes(struct pb *b)
{
	size_t *removed = lf_xcalloc(b->n + 1, sizeof(*removed)), nremoved = 0;

	for (size_t j = 0; j < b->n; j++)
		if (goes(&b->v[j]) && !b->v[j].want && !strcmp(type_of(&b->v[j]), "grant"))
			removed[nremoved++] = j;
	for (size_t i = 0; i < b->n; i++) {
		struct node *n = &b->v[i];
		struct lf_buf from = LF_BUF_INIT;
		struct lf_map had = LF_MAP_INIT; /* principals of the recorded statements */
		size_t count = 0;

		if (!is_policy_change(n) || n->action == LF_ACT_CREATE)
			continue;
		for (size_t k = 0; k < n->want->nsources; k++) {
			size_t j = find_node(b, n->want->sources[k]);
			if (j != (size_t)-1 && b->v[j].selected && b->v[j].action != LF_ACT_NOOP)
				add_cause(&from, &count, b->v[j].address, "");
		}
		if (nremoved) {
			size_t q;
			json_t *st;
			json_array_foreach (json_object_get(recorded_inputs(n), "statements"), q,
			                    st) {
				const char *who =
				    json_string_value(json_object_get(st, "principal"));
				if (who)
					lf_map_put(&had, who, (void *)1);
			}
		}
		for (size_t r = 0; r < nremoved; r++) {
			struct node *g = &b->v[removed[r]];
			const char *who =
			    json_string_value(lf_json_path(recorded_inputs(g), "spec.principal"));
			if (!who || !lf_map_get(&had, who))
				continue;
			add_cause(&from, &count, g->address, " (removed)");
			if (!n->cause)
				n->cause = g->address; /* shown "from" it */
		}
		if (count > 5)
			lf_buf_addf(&from, " and %zu more", count - 5);
		if (count && !n->note)
			set_note(n, lf_xasprintf("changed by %s", lf_buf_cstr(&from)));
		lf_map_release(&had);
		lf_buf_release(&from);
	}
	free(removed);
}

/*
 * Show a policy change right under the last of its changed sources, when
 * what it needs is done by then: nothing depends on a policy, so moving it
 * keeps the order valid.
 */
static void place_policies(struct pb *b, size_t *out, size_t nout)
{
	size_t *pos = lf_xcalloc(b->n + 1, sizeof(*pos));

	for (size_t i = 0; i < nout; i++)
		pos[out[i]] = i;
	for (size_t i = 0; i < b->n; i++) {
		struct node *n = &b->v[i];
		size_t at = (size_t)-1;

		/* a new policy comes from every grant: it stays where it is */
		if (!is_policy_change(n) || n->action == LF_ACT_CREATE)
			continue;
		for (size_t k = 0; k < n->want->nsources; k++) {
			size_t j = find_node(b, n->want->sources[k]);
			if (j == (size_t)-1 || !b->v[j].selected || b->v[j].action == LF_ACT_NOOP ||
			    b->v[j].action == LF_ACT_DELETE)
				continue;
			if (at == (size_t)-1 || pos[j] > pos[at])
				at = j;
		}
		if (at == (size_t)-1)
			continue;
		int ready = 1;
		for (size_t d = 0; d < n->want->ndeps; d++) {
			size_t j = find_node(b, n->want->deps[d]);
			ready &= j == (size_t)-1 || pos[j] <= pos[at];
		}
		if (!ready)
			continue;
		/* take it out, put it right after `at` */
		size_t from = pos[i], to = pos[at] + (pos[at] < from ? 1 : 0);
		if (from < to) {
			for (size_t k = from; k < to; k++)
				out[k] = out[k + 1], pos[out[k]] = k;
		} else {
			for (size_t k = from; k > to; k--)
				out[k] = out[k - 1], pos[out[k]] = k;
		}
		out[to] = i;
		pos[i] = to;
		n->cause = b->v[at].address;
	}
	free(pos);
}

/* ---- selection -------------------------------------------------------------- */

struct edges {
	size_t **v; /* per node: the nodes that depend on it */
	size_t *n, *alloc;
};

static void add_rev(struct pb *b, size_t j, void *ctx)
{
	struct edges *e = ((void **)ctx)[0];
	size_t from = *(size_t *)((void **)ctx)[1];

	(void)b;
	LF_GROW(e->v[j], e->n[j] + 1, e->alloc[j]);
	e->v[j][e->n[j]++] = from;
}

static struct edges reverse_edges(struct pb *b)
{
	struct edges e;

	e.v = lf_xcalloc(b->n + 1, sizeof(*e.v));
	e.n = lf_xcalloc(b->n + 1, sizeof(*e.n));
	e.alloc = lf_xcalloc(b->n + 1, sizeof(*e.alloc));
	for (size_t i = 0; i < b->n; i++) {
		void *ctx[2] = {&e, &i};
		for_each_dep(b, &b->v[i], add_rev, ctx);
	}
	return e;
}

static void edges_release(struct edges *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e->v[i]);
	free(e->v);
	free(e->n);
	free(e->alloc);
}

/* `address` is node i, or one of its ancestors (it is a part of a part...). */
static int names_or_holds(const struct pb *b, size_t i, const char *address)
{
	for (size_t k = 0; i != (size_t)-1 && k < 64; k++) {
		if (!strcmp(b->v[i].address, address))
			return 1;
		i = b->v[i].parent;
	}
	return 0;
}

struct closure {
	struct pb *b;
	const struct edges *rev;
	int value;
	int deletes_only;
	size_t *stack;
	size_t n;
};

/*
 * Set `selected` to `value` on node i and everything reachable from it
 * through dependencies (rev NULL) or dependants (rev given).  With
 * `deletes_only`, only deleted nodes are followed.
 */
static void mark_closure(struct pb *b, size_t i, const struct edges *rev, void *unused, int value,
                         int deletes_only)
{
	size_t *stack = lf_xcalloc(b->n + 1, sizeof(*stack));
	char *seen = lf_xcalloc(b->n + 1, 1);
	size_t n = 0;

	(void)unused;
	stack[n++] = i;
	seen[i] = 1;
	while (n) {
		size_t k = stack[--n];
		struct node *x = &b->v[k];

		x->selected = value;
		/* the next ones: its dependencies or its dependants (the parts
		 * of a target are seeds themselves, see names_or_holds()) */
		size_t *next = NULL, nn = 0, na = 0;
		if (rev) {
			for (size_t r = 0; r < rev->n[k]; r++) {
				LF_GROW(next, nn + 1, na);
				next[nn++] = rev->v[k][r];
			}
		} else {
			size_t nd = x->want ? x->want->ndeps : 0;
			for (size_t r = 0; r < nd; r++) {
				size_t j = find_node(b, x->want->deps[r]);
				if (j != (size_t)-1) {
					LF_GROW(next, nn + 1, na);
					next[nn++] = j;
				}
			}
			json_t *deps = !x->want ? recorded_deps(x) : NULL, *v;
			size_t q;
			json_array_foreach (deps, q, v) {
				size_t j = json_is_string(v) ? find_node(b, json_string_value(v))
				                             : (size_t)-1;
				if (j != (size_t)-1) {
					LF_GROW(next, nn + 1, na);
					next[nn++] = j;
				}
			}
		}
		for (size_t q = 0; q < nn; q++) {
			size_t j = next[q];
			if (seen[j] || (deletes_only && b->v[j].action != LF_ACT_DELETE))
				continue;
			seen[j] = 1;
			stack[n++] = j;
		}
		free(next);
	}
	free(seen);
	free(stack);
}

/*
 * A provider resource lives in or on another (a prefix in its bucket, a
 * policy on it, a node pool in its network): when that one is replaced,
 * so is it.  Repeated until nothing changes (chains are short).
 */
static void cascade_replacements(struct pb *b)
{
	int changed = 1;

	while (changed) {
		changed = 0;
		for (size_t i = 0; i < b->n; i++) {
			struct node *n = &b->v[i];
			if (!n->want || !n->have || !strcmp(n->want->provider, "lakeform") ||
			    (n->action != LF_ACT_NOOP && n->action != LF_ACT_UPDATE))
				continue;
			for (size_t k = 0; k < n->want->ndeps; k++) {
				size_t j = find_node(b, n->want->deps[k]);
				const struct node *dep = j != (size_t)-1 ? &b->v[j] : NULL;
				if (dep && dep->action == LF_ACT_REPLACE && dep->want &&
				    strcmp(dep->want->provider, "lakeform")) {
					n->action = LF_ACT_REPLACE;
					n->reason = LF_REASON_REPLACED_WITH;
					changed = 1;
					break;
				}
			}
		}
	}
}

/* Whether desired resource `n` still names `address` among its needs. */
static int wants_dep(const struct node *n, const char *address)
{
	for (size_t k = 0; n->want && k < n->want->ndeps; k++)
		if (!strcmp(n->want->deps[k], address))
			return 1;
	return 0;
}

/*
 * A deleted resource that an updated one needed and needs no more (a
 * classic workspace's old network, which its node pool leaves for a new
 * one) goes after the update, not before it: it is marked `late`, with a
 * note saying who moves and where, and so is what it needed that is
 * deleted too.  Only updates are looked at: their records are parsed
 * already, and a replaced resource is deleted before its needs anyway.
 */
static void mark_late_deletes(struct pb *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct node *s = &b->v[i];
		if (!s->selected || s->action != LF_ACT_UPDATE)
			continue;
		json_t *deps = recorded_deps(s), *v;
		size_t k;
		json_array_foreach (deps, k, v) {
			const char *had = json_string_value(v);
			size_t j = had ? find_node(b, had) : (size_t)-1;
			if (j == (size_t)-1)
				continue;
			struct node *x = &b->v[j];
			/* whether it still needs it is a walk of its needs (a
			 * regional policy has thousands): asked of deletes alone */
			if (!x->selected || x->action != LF_ACT_DELETE || wants_dep(s, had))
				continue;
			x->late = 1;
			if (!x->movers)
				x->movers = json_array();
			json_array_append_new(x->movers, json_string(s->address));
			/* where it moves: a new need of the same type */
			for (size_t w = 0; w < s->want->ndeps && !x->moved_to; w++) {
				size_t t = find_node(b, s->want->deps[w]);
				if (t != (size_t)-1 && !b->v[t].have &&
				    !strcmp(type_of(&b->v[t]), type_of(x)))
					x->moved_to = b->v[t].address;
			}
		}
	}
	/* the note: "deleted after A and B moved to C" */
	for (size_t i = 0; i < b->n; i++) {
		struct node *x = &b->v[i];
		size_t n = json_array_size(x->movers);
		if (!n || x->note)
			continue; /* it says something else already */
		struct lf_buf note = LF_BUF_INIT;
		lf_buf_adds(&note, "deleted after ");
		for (size_t k = 0; k < n; k++)
			lf_buf_addf(&note, "%s%s",
			            k == 0      ? ""
			            : k + 1 < n ? ", "
			                        : " and ",
			            json_string_value(json_array_get(x->movers, k)));
		lf_buf_addf(&note, " moved %s%s", x->moved_to ? "to " : "off it",
		            x->moved_to ? x->moved_to : "");
		set_note(x, lf_xstrdup(lf_buf_cstr(&note)));
		lf_buf_release(&note);
	}
	/* what a late one needed and that goes as well goes after it */
	for (int more = 1; more;) {
		more = 0;
		for (size_t i = 0; i < b->n; i++) {
			struct node *x = &b->v[i];
			if (!x->late || x->want)
				continue;
			json_t *deps = recorded_deps(x), *v;
			size_t k;
			json_array_foreach (deps, k, v) {
				size_t j = json_is_string(v) ? find_node(b, json_string_value(v))
				                             : (size_t)-1;
				if (j != (size_t)-1 && !b->v[j].late && b->v[j].selected &&
				    b->v[j].action == LF_ACT_DELETE) {
					b->v[j].late = 1;
					more = 1;
				}
			}
		}
	}
}

/* Parts that hold no data of their own are not protected by their
 * resource's prevent_destroy: a policy or a grant can always be rewritten. */
static int holds_data(const struct node *n)
{
	const char *type = n->want ? n->want->type : n->have ? n->have->type : "";
	return strcmp(type, "storage.policy") && strcmp(type, "grant");
}

static int replace_protected(struct pb *b, struct node *n)
{
	if (!holds_data(n))
		return 0;
	if (n->want && n->want->prevent_destroy)
		return 1;
	return n->parent != (size_t)-1 && b->v[n->parent].want &&
	       b->v[n->parent].want->prevent_destroy;
}

static const struct lf_pos *doc_pos(struct pb *b, struct node *n)
{
	if (n->want && n->want->doc)
		return &n->want->doc->pos;
	if (n->parent != (size_t)-1 && b->v[n->parent].want && b->v[n->parent].want->doc)
		return &b->v[n->parent].want->doc->pos;
	return NULL;
}

int lf_plan_build(struct lf_plan *out, const struct lf_desired *ds, struct lf_state *st,
                  const struct lf_plan_opts *o, struct lf_diags *d)
{
	struct pb b = {NULL, 0, 0, &ds->index, 0, LF_MAP_INIT, d};
	size_t errors = d->errors;
	const struct lf_kinds *kinds = o->kinds;

	desired_nodes(&b, ds);
	for (size_t i = 0; i < st->nres; i++) {
		size_t j = node_of(&b, st->res[i].address);
		b.v[j].have = &st->res[i];
	}
	/* a record with nothing declared for it is parsed now: its parent and
	 * dependencies decide where its deletion goes (the others stay lazy) */
	for (size_t i = 0; i < b.n; i++)
		if (!b.v[i].want && b.v[i].have && b.v[i].have->line)
			lf_state_res_parse(b.v[i].have);
	/* every node's dependencies, looked up on every core: each node
	 * writes only its own, and the map and the records are only read */
	lf_par_for(b.n, know_deps_item, &b);
	for (size_t i = 0; i < b.n; i++) {
		const char *parent = b.v[i].want   ? b.v[i].want->parent
		                     : b.v[i].have ? b.v[i].have->parent
		                                   : NULL;
		size_t j = parent ? find_node(&b, parent) : (size_t)-1;
		b.v[i].parent = j;
		if (j != (size_t)-1) {
			LF_GROW(b.v[j].parts, b.v[j].nparts + 1, b.v[j].parts_alloc);
			b.v[j].parts[b.v[j].nparts++] = i;
		}
	}

	/* every address named on the command line must exist */
	const char **lists[] = {o->targets, o->excludes, o->replaces};
	size_t counts[] = {o->ntargets, o->nexcludes, o->nreplaces};
	const char *flags[] = {"--target", "--exclude", "--replace"};
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++)
			if (find_node(&b, lists[l][i]) == (size_t)-1)
				lf_diag_error(d, NULL,
				              "%s: no resource '%s' is declared or recorded",
				              flags[l], lists[l][i]);
	for (size_t i = 0; i < o->nreplaces; i++) {
		size_t j = find_node(&b, o->replaces[i]);
		if (j != (size_t)-1 && (!b.v[j].want || !b.v[j].have))
			lf_diag_error(
			    d, NULL,
			    "--replace: '%s' must be both declared and recorded to be replaced",
			    o->replaces[i]);
	}
	if (d->errors > errors)
		goto out;

	/* actions first: whether a target is deleted decides what it takes */
	size_t *differ = NULL, ndiffer = 0, differ_alloc = 0;
	for (size_t i = 0; i < b.n; i++) {
		struct node *n = &b.v[i];

		if (o->destroy) {
			n->action = n->have ? LF_ACT_DELETE : LF_ACT_NOOP;
			n->reason = n->have ? LF_REASON_DESTROY : LF_REASON_NONE;
		} else if (!n->have) {
			n->action = LF_ACT_CREATE;
		} else if (!n->want) {
			n->action = LF_ACT_DELETE;
			n->reason = LF_REASON_NO_CONFIG;
		} else if (listed(o->replaces, o->nreplaces, n->address)) {
			n->action = LF_ACT_REPLACE;
			n->reason = LF_REASON_BY_REQUEST;
		} else if (!strcmp(n->have->digest, n->want->digest)) {
			n->action = LF_ACT_NOOP;
		} else {
			/* the record parsed only now that the digests differ:
			 * below, on every core (a regional bucket's policy is
			 * megabytes) */
			LF_GROW(differ, ndiffer + 1, differ_alloc);
			differ[ndiffer++] = i;
		}
	}
	struct compare_ctx cx = {&b, differ, st};
	lf_par_for(ndiffer, compare_item, &cx);
	/* the desired values the differences borrowed, held now, on one
	 * thread */
	for (size_t i = 0; i < ndiffer; i++) {
		struct node *n = &b.v[differ[i]];
		for (size_t k = 0; k < n->ndiffs; k++)
			json_incref(n->diffs[k].after);
	}
	free(differ);
	if (!o->destroy)
		cascade_replacements(&b);

	/* what --target and --exclude leave in the plan: only they follow
	 * the edges backwards (a plan of everything made and freed an edge
	 * list for each of 120,000 nodes at 100,000 resources, unused) */
	struct edges rev = {NULL, NULL, NULL};
	if (o->ntargets || o->nexcludes)
		rev = reverse_edges(&b);
	if (o->ntargets) {
		for (size_t t = 0; t < o->ntargets; t++)
			for (size_t i = 0; i < b.n; i++) {
				if (!names_or_holds(&b, i, o->targets[t]))
					continue;
				/* a target deleted takes what needs it (deleted
				 * first); one kept takes what it needs */
				if (b.v[i].action == LF_ACT_DELETE)
					mark_closure(&b, i, &rev, NULL, 1, 1);
				else
					mark_closure(&b, i, NULL, NULL, 1, 0);
			}
		/* what a deleted target takes goes with its parts, which it is
		 * built from (made before it, so not among its dependants) */
		for (int more = 1; more;) {
			more = 0;
			for (size_t i = 0; i < b.n; i++) {
				struct node *n = &b.v[i];
				if (n->selected || n->action != LF_ACT_DELETE ||
				    n->parent == (size_t)-1 || !b.v[n->parent].selected ||
				    b.v[n->parent].action != LF_ACT_DELETE)
					continue;
				mark_closure(&b, i, &rev, NULL, 1, 1);
				more = 1;
			}
		}
	} else {
		for (size_t i = 0; i < b.n; i++)
			b.v[i].selected = 1;
	}
	/* a target that stays needs the account, as everything does */
	if (o->ntargets && !o->destroy) {
		size_t account = (size_t)-1;
		int any = 0;
		for (size_t i = 0; i < b.n; i++) {
			any |= b.v[i].selected;
			if (!strcmp(type_of(&b.v[i]), "account"))
				account = i;
		}
		if (any && account != (size_t)-1 && !b.v[account].selected)
			mark_closure(&b, account, NULL, NULL, 1, 0);
	}
	for (size_t t = 0; t < o->nexcludes; t++)
		for (size_t i = 0; i < b.n; i++) {
			if (!names_or_holds(&b, i, o->excludes[t]))
				continue;
			/* excluded from a destroy, it stays, and so does what it
			 * needs (keep_what_stays_needs() below); otherwise what
			 * needs it cannot change either */
			if (o->destroy)
				mark_closure(&b, i, NULL, NULL, 0, 0);
			else
				mark_closure(&b, i, &rev, NULL, 0, 0);
		}
	/* the parts of what is excluded from a plan are excluded with it:
	 * what it is built from is not among what needs it */
	for (int more = o->nexcludes && !o->destroy; more;) {
		more = 0;
		for (size_t i = 0; i < b.n; i++) {
			struct node *n = &b.v[i];
			if (!n->selected || n->parent == (size_t)-1 || b.v[n->parent].selected)
				continue;
			mark_closure(&b, i, &rev, NULL, 0, 0);
			more = 1;
		}
	}
	if (rev.v)
		edges_release(&rev, b.n);
	if (o->destroy)
		for (size_t i = 0; i < b.n; i++)
			if (!b.v[i].have)
				b.v[i].selected = 0; /* nothing to destroy there */
	out->partial = o->ntargets || o->nexcludes;
	keep_workspace_catalogs(&b, o);
	keep_what_stays_needs(&b);
	refuse_data_loss(&b, o);
	if (d->errors > errors)
		goto out;
	if (!o->destroy)
		mark_late_deletes(&b);

	for (size_t i = 0; i < b.n; i++) {
		struct node *n = &b.v[i];

		if (!n->selected)
			continue;
		if (n->action == LF_ACT_REPLACE && replace_protected(&b, n)) {
			const struct lf_pos *pos = doc_pos(&b, n);
			lf_diag_error(d, pos,
			              "'%s' would be replaced, but "
			              "metadata.lifecycle.prevent_destroy is set%s",
			              n->address,
			              n->want && n->want->prevent_destroy && !n->want->parent
			                  ? ""
			                  : " on the resource it belongs to");
		}
		/* one left for its like by all that used it (a network whose
		 * node pool moved to a new one) is not what prevent_destroy
		 * guards: the resource it belongs to stays, updated */
		if (n->action == LF_ACT_DELETE && !(n->late && n->moved_to) &&
		    delete_protected(&b, n)) {
			/* one error for a protected resource and its parts */
			size_t up = n->parent;
			if (up != (size_t)-1 && b.v[up].selected &&
			    b.v[up].action == LF_ACT_DELETE && delete_protected(&b, &b.v[up]))
				continue;
			size_t parts = 0;
			for (size_t k = 0; k < b.n; k++)
				parts += k != i && b.v[k].selected &&
				         b.v[k].action == LF_ACT_DELETE &&
				         names_or_holds(&b, k, n->address);
			const struct lf_pos *pos = doc_pos(&b, n);
			char with[64] = "";
			if (parts)
				snprintf(with, sizeof(with), " with its %zu part%s", parts,
				         parts == 1 ? "" : "s");
			lf_diag_error(
			    d, pos,
			    "'%s' would be destroyed%s, but metadata.lifecycle.prevent_destroy is "
			    "set%s; set it to false and apply before removing it",
			    n->address, with,
			    n->parent != (size_t)-1 ? " on the resource it belongs to" : "");
		}
	}
	if (d->errors > errors)
		goto out;

	/* order: deletes first, dependants before what they need; then the
	 * rest, what is needed before what needs it */
	struct topo t = {0};
	topo_order(&b, &t);
	/* the graph of the desired set alone: its order is lf_plan_order()'s */
	if (!t.cycle && b.n == b.ndesired && t.nout == b.n) {
		free(out->desired_rank);
		out->desired_rank = lf_xcalloc(b.n + 1, sizeof(*out->desired_rank));
		for (size_t i = 0; i < t.nout; i++)
			out->desired_rank[t.out[i]] = i;
	}
	if (!t.cycle) {
		note_policy_causes(&b);
		place_policies(&b, t.out, t.nout);
		for (size_t i = t.nout; i-- > 0;) {
			struct node *n = &b.v[t.out[i]];
			if (n->selected && n->action == LF_ACT_DELETE && !n->late)
				emit(out, n, kinds, st);
		}
		for (size_t i = 0; i < t.nout; i++) {
			struct node *n = &b.v[t.out[i]];
			if (n->selected && n->action != LF_ACT_DELETE)
				emit(out, n, kinds, st);
		}
		for (size_t i = t.nout; i-- > 0;) {
			struct node *n = &b.v[t.out[i]];
			if (n->selected && n->action == LF_ACT_DELETE && n->late)
				emit(out, n, kinds, st);
		}
	}
	free(t.out);
	free(t.stack);

	out->destroy = o->destroy;
	if (out->partial)
		lf_plan_add_warning(
		    out, "%s",
		    "this plan is partial (--target or --exclude): resources outside it may "
		    "not match the manifests, and a later full plan may show more changes");
	snprintf(out->lineage, sizeof(out->lineage), "%s", st->lineage);
	out->serial = st->serial;
out:
	for (size_t i = 0; i < b.n; i++) {
		free(b.v[i].parts);
		free(b.v[i].deps);
		if (i >= b.ndesired)
			free(b.v[i].address);
		free(b.v[i].note);
		json_decref(b.v[i].movers);
		compared_release(&b.v[i]);
	}
	free(b.v);
	lf_map_release(&b.index);
	return d->errors > errors ? -1 : 0;
}

/* Node i is a part of node j. */
static void add_part_of(struct pb *b, size_t j, size_t i)
{
	LF_GROW(b->v[j].parts, b->v[j].nparts + 1, b->v[j].parts_alloc);
	b->v[j].parts[b->v[j].nparts++] = i;
}

/* rank[i]: node i's place in the order of b (its parts known), as
 * lf_plan_build() carries it out.  0, or -1 on a cycle. */
static int order_ranks(struct pb *b, size_t *rank)
{
	struct topo t = {0};
	int rc = 0;

	topo_order(b, &t);
	if (t.cycle || t.nout != b->n)
		rc = -1;
	for (size_t i = 0; !rc && i < t.nout; i++)
		rank[t.out[i]] = i;
	free(t.out);
	free(t.stack);
	return rc;
}

int lf_plan_order_graph(const struct lf_graph_node *g, size_t n, size_t *rank)
{
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_map none = LF_MAP_INIT;
	struct pb b = {NULL, 0, 0, &none, 0, LF_MAP_INIT, &d};
	int rc = 0;

	/* the same nodes as lf_plan_order()'s, their needs given */
	b.v = lf_xcalloc(n + 1, sizeof(*b.v));
	b.n = b.ndesired = n;
	for (size_t i = 0; i < n; i++) {
		b.v[i].address = (char *)g[i].address;
		b.v[i].deps = g[i].deps; /* borrowed: not freed here */
		b.v[i].ndeps = g[i].ndeps;
		b.v[i].deps_known = 1;
		b.v[i].parent = g[i].parent;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		size_t j = g[i].parent;
		if (j == (size_t)-1)
			continue;
		if (j >= n) {
			rc = -1;
			break;
		}
		add_part_of(&b, j, i);
	}
	for (size_t i = 0; i < n && !rc; i++)
		for (size_t k = 0; k < g[i].ndeps; k++)
			rc |= g[i].deps[k] >= n ? -1 : 0;
	if (!rc)
		rc = order_ranks(&b, rank);
	for (size_t i = 0; i < n; i++)
		free(b.v[i].parts);
	free(b.v);
	lf_diags_release(&d);
	return rc;
}

int lf_plan_order(const struct lf_desired *ds, size_t *rank)
{
	struct lf_diags d = LF_DIAGS_INIT;
	struct pb b = {NULL, 0, 0, &ds->index, 0, LF_MAP_INIT, &d};

	/* the graph lf_plan_build() makes when every record is desired */
	desired_nodes(&b, ds);
	lf_par_for(b.n, know_deps_item, &b);
	for (size_t i = 0; i < b.n; i++) {
		const char *parent = b.v[i].want->parent;
		size_t j = parent ? find_node(&b, parent) : (size_t)-1;
		b.v[i].parent = j;
		if (j != (size_t)-1)
			add_part_of(&b, j, i);
	}
	/* the same order as lf_plan_build()'s */
	int rc = order_ranks(&b, rank);
	for (size_t i = 0; i < b.n; i++) {
		free(b.v[i].parts);
		free(b.v[i].deps);
	}
	free(b.v);
	lf_map_release(&b.index);
	lf_diags_release(&d);
	return rc;
}
