#include "changed.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

const char *lf_change_how_str(enum lf_change_how how)
{
	switch (how) {
	case LF_CHANGED_ADDED:
		return "added";
	case LF_CHANGED_MODIFIED:
		return "changed";
	case LF_CHANGED_REMOVED:
		return "removed";
	case LF_CHANGED_DEPENDANT:
		return "dependant";
	}
	return "?";
}

static void add(struct lf_changed *out, struct lf_map *seen, const char *address,
                enum lf_change_how how, const char *via)
{
	struct lf_changed_res *r;

	LF_GROW(out->v, out->n + 1, out->alloc);
	r = &out->v[out->n++];
	r->address = lf_xstrdup(address);
	r->how = how;
	r->via = via ? lf_xstrdup(via) : NULL;
	r->planned = 0;
	lf_map_put(seen, address, r->address);
}

/* A manifest-level desired resource: declared, or a part lakeform made of
 * one (a workspace's catalog), recorded without a provider call. */
static int manifest_level(const struct lf_dres *r)
{
	return !strcmp(r->provider, "lakeform");
}

static int cmp_res(const void *a, const void *b)
{
	return strcmp(((const struct lf_changed_res *)a)->address,
	              ((const struct lf_changed_res *)b)->address);
}

int lf_changed_find(struct lf_changed *out, const struct lf_manifest *before,
                    const struct lf_manifest *after, const struct lf_desired *ds,
                    const struct lf_state *st)
{
	struct lf_map seen = LF_MAP_INIT;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < after->nres; i++) {
		const struct lf_resource *now = &after->res[i];
		const struct lf_resource *was = lf_manifest_get(before, now->address);

		if (!was)
			add(out, &seen, now->address, LF_CHANGED_ADDED, NULL);
		else if (!json_equal(was->value, now->value))
			add(out, &seen, now->address, LF_CHANGED_MODIFIED, NULL);
	}
	for (size_t i = 0; i < before->nres; i++)
		if (!lf_manifest_get(after, before->res[i].address))
			add(out, &seen, before->res[i].address, LF_CHANGED_REMOVED, NULL);

	/* who needs each manifest-level resource, or was expanded from it */
	struct dependants {
		size_t *v, n, alloc;
	} *rev = lf_xcalloc(ds->n + 1, sizeof(*rev));
	for (size_t k = 0; k < ds->n; k++) {
		const struct lf_dres *r = ds->v[k];
		if (!manifest_level(r))
			continue;
		for (size_t d = 0; d <= r->ndeps; d++) {
			const char *on = d < r->ndeps ? r->deps[d] : r->parent;
			uintptr_t j = on ? (uintptr_t)lf_map_get(&ds->index, on) : 0;
			if (!j)
				continue;
			LF_GROW(rev[j - 1].v, rev[j - 1].n + 1, rev[j - 1].alloc);
			rev[j - 1].v[rev[j - 1].n++] = k;
		}
	}
	/* breadth first from the changes: out->v is the queue */
	for (size_t q = 0; q < out->n; q++) {
		uintptr_t j = (uintptr_t)lf_map_get(&ds->index, out->v[q].address);
		if (!j)
			continue; /* removed: nothing declared can need it */
		for (size_t e = 0; e < rev[j - 1].n; e++) {
			const struct lf_dres *r = ds->v[rev[j - 1].v[e]];
			if (lf_map_get(&seen, r->address))
				continue;
			/* add() may move out->v: copy the name it needs first */
			char *via = lf_xstrdup(out->v[q].address);
			add(out, &seen, r->address, LF_CHANGED_DEPENDANT, via);
			free(via);
		}
	}
	for (size_t k = 0; k < ds->n; k++)
		free(rev[k].v);
	free(rev);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_res);
	out->targets = lf_xcalloc(out->n + 1, sizeof(*out->targets));
	for (size_t i = 0; i < out->n; i++) {
		struct lf_changed_res *r = &out->v[i];
		r->planned = lf_desired_get(ds, r->address) || lf_state_get(st, r->address);
		if (r->planned)
			out->targets[out->ntargets++] = r->address;
	}
	lf_map_release(&seen);
	return 0;
}

void lf_changed_release(struct lf_changed *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].address);
		free(c->v[i].via);
	}
	free(c->v);
	free(c->targets);
	memset(c, 0, sizeof(*c));
}
