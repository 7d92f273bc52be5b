/*
 * access.c - effective access (access.h): a model of the securables, the
 * principals and what holds privileges (grants, owners, workspace
 * assignments), built from desired resources or state records alike, and
 * the two questions asked of it.
 */
#include "access.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source.h"
#include "../state/state.h"
#include "../util/buf.h"
#include "../util/map.h"
#include "../util/mem.h"

/* What one privilege given by a holding (how, given, on a securable of
 * some type) yields on that securable and on those below it, by their
 * type: worked out once, when the model is built. */
struct yield {
	const char **same; /* on the securable itself */
	size_t nsame;
	const char ***below; /* by type (the model's types) */
	size_t *nbelow;
};

/* Something that gives privileges: a grant, an owner, an assignment. */
struct holding {
	enum lf_access_how how;
	char *source;
	char *holder; /* principal */
	char *on;     /* securable address */
	char **given; /* normalised privileges, "OWNER", "USERS", "ADMINS" */
	size_t ngiven;
	char *file;
	unsigned line, col;
	size_t at;                  /* index of `on` in secs + 1, or 0 (finish() sets it) */
	const struct yield **yield; /* for each of `given`, when at */
};

struct sec {
	struct lf_access_securable pub;
	char *key;        /* sort key */
	size_t type;      /* index in the model's types */
	size_t *children; /* indexes into secs */
	size_t nchildren;
};

struct principal {
	char *id;      /* "group:x" */
	char **groups; /* the groups it is directly a member of */
	size_t ngroups;
	char **members; /* a group's direct members */
	size_t nmembers;
	size_t *up, nup;     /* indexes of `groups` (known ones), by name */
	size_t *down, ndown; /* indexes of `members` (known ones), by name */
};

struct lf_access {
	json_t *privileges; /* the Grant schema's x-lakeform-privileges, owned */
	struct sec *secs;
	size_t nsecs, secs_alloc;
	struct lf_map sec_index;          /* address -> index + 1 */
	struct lf_access_securable *pubs; /* sorted copy of the public parts */
	struct principal *prs;
	size_t nprs, prs_alloc;
	struct lf_map pr_index; /* id -> index + 1 */
	const char **pr_ids;    /* sorted */
	size_t *pr_rank;        /* each principal's place in pr_ids */
	struct holding *hs;
	size_t nhs, hs_alloc;
	struct lf_map hs_by_holder; /* principal -> json array of holding indexes */
	struct lf_map hs_by_on;     /* securable -> json array of holding indexes */
	json_t *index_arrays;       /* owns the arrays of the two maps */
	const char **types;         /* the securables' types, borrowed */
	size_t ntypes;
	struct lf_map yields; /* "how\x1fgiven\x1ftype" -> struct yield */
};

static const struct yield **yield_table(struct lf_access *a, const struct holding *h);
static void yields(const struct lf_access *a, enum lf_access_how how, const char *given,
                   const struct sec *at, const struct sec *d, const char ***out, size_t *n);

/* ---- small helpers -------------------------------------------------------- */

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* qsort(), which may not be given NULL even for nothing to sort */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static char *normalise(const char *p)
{
	char *n = lf_xstrdup(p ? p : "");
	for (char *c = n; *c; c++)
		*c = *c == ' ' ? '_' : (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
	return n;
}

static const char *str_at(json_t *root, const char *path)
{
	return json_string_value(lf_json_path(root, path));
}

/* "user:x" for a principal resource's type and name, or NULL. */
static char *principal_id(const char *type, const char *name)
{
	if (!strcmp(type, "user"))
		return lf_xasprintf("user:%s", name);
	if (!strcmp(type, "group"))
		return lf_xasprintf("group:%s", name);
	if (!strcmp(type, "serviceprincipal"))
		return lf_xasprintf("service_principal:%s", name);
	return NULL;
}

static struct principal *principal_get(struct lf_access *a, const char *id, int create)
{
	size_t i = (size_t)lf_map_get(&a->pr_index, id);
	if (i)
		return &a->prs[i - 1];
	if (!create)
		return NULL;
	if (a->nprs == a->prs_alloc) {
		a->prs_alloc = a->prs_alloc ? 2 * a->prs_alloc : 16;
		a->prs = lf_xrealloc(a->prs, a->prs_alloc * sizeof(*a->prs));
	}
	struct principal *p = &a->prs[a->nprs++];
	memset(p, 0, sizeof(*p));
	p->id = lf_xstrdup(id);
	lf_map_put(&a->pr_index, id, (void *)a->nprs);
	return p;
}

static void strs_add(char ***v, size_t *n, const char *s)
{
	*v = lf_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = lf_xstrdup(s);
}

static void strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The securable at `address`, or NULL. */
static struct sec *sec_get(const struct lf_access *a, const char *address)
{
	size_t i = (size_t)lf_map_get(&a->sec_index, address);
	return i ? &a->secs[i - 1] : NULL;
}

static struct sec *sec_add(struct lf_access *a, const char *address, const char *type,
                           const char *name, const char *metastore, const char *parent)
{
	struct sec *s = sec_get(a, address);
	if (s)
		return s;
	if (a->nsecs == a->secs_alloc) {
		a->secs_alloc = a->secs_alloc ? 2 * a->secs_alloc : 32;
		a->secs = lf_xrealloc(a->secs, a->secs_alloc * sizeof(*a->secs));
	}
	s = &a->secs[a->nsecs++];
	memset(s, 0, sizeof(*s));
	s->pub.address = lf_xstrdup(address);
	s->pub.type = lf_xstrdup(type);
	s->pub.name = lf_xstrdup(name);
	s->pub.metastore = metastore ? lf_xstrdup(metastore) : NULL;
	s->pub.parent = parent ? lf_xstrdup(parent) : NULL;
	lf_map_put(&a->sec_index, address, (void *)a->nsecs);
	return s;
}

static void holding_add(struct lf_access *a, enum lf_access_how how, const char *source,
                        const char *holder, const char *on, char **given, size_t ngiven,
                        struct lf_pos pos)
{
	if (!holder || !on || !ngiven) {
		strs_free(given, ngiven);
		return;
	}
	if (a->nhs == a->hs_alloc) {
		a->hs_alloc = a->hs_alloc ? 2 * a->hs_alloc : 32;
		a->hs = lf_xrealloc(a->hs, a->hs_alloc * sizeof(*a->hs));
	}
	struct holding *h = &a->hs[a->nhs++];
	h->how = how;
	h->source = lf_xstrdup(source);
	h->holder = lf_xstrdup(holder);
	h->on = lf_xstrdup(on);
	h->given = given;
	h->ngiven = ngiven;
	h->file = pos.file ? lf_xstrdup(pos.file) : NULL;
	h->line = pos.line;
	h->col = pos.col;
}

/* A grant securable {type, metastore, name} as an address. */
static char *grant_target(json_t *sec)
{
	const char *type = str_at(sec, "type"), *ms = str_at(sec, "metastore"),
	           *name = str_at(sec, "name");
	if (!type || !name)
		return NULL;
	if (!strcmp(type, "bucket"))
		return lf_xasprintf("bucket/%s", name);
	if (!strcmp(type, "metastore"))
		return lf_xasprintf("metastore/%s", name);
	struct lf_buf b = LF_BUF_INIT;
	lf_buf_addf(&b, "%s/%s/", type, ms ? ms : "");
	for (const char *p = name; *p; p++)
		lf_buf_addc(&b, *p == '.' ? '/' : *p);
	return lf_buf_detach(&b);
}

static void grant_add(struct lf_access *a, const char *source, const char *principal,
                      json_t *securable, json_t *privileges, struct lf_pos pos)
{
	char *on = grant_target(securable);
	char **given = NULL;
	size_t n = 0, i;
	json_t *v;

	json_array_foreach (privileges, i, v) {
		char *p = normalise(json_string_value(v));
		strs_add(&given, &n, p);
		free(p);
	}
	holding_add(a, LF_ACCESS_GRANT, source, principal, on, given, n, pos);
	free(on);
}

/* ---- positions ------------------------------------------------------------ */

struct where {
	const struct lf_source *src; /* NULL: no positions (a state) */
	const struct lf_source_doc *doc;
};

static struct lf_pos pos_at(const struct where *w, const char *path, size_t index)
{
	struct lf_pos none = LF_POS_INIT;
	if (!w->src || !w->doc)
		return none;
	if (!path)
		return w->doc->pos;
	return lf_source_path_pos(w->src, w->doc, path, index);
}

/* The index of string `s` in array `arr`, or (size_t)-1. */
static size_t index_of(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v)
		if (json_string_value(v) && !strcmp(json_string_value(v), s))
			return i;
	return (size_t)-1;
}

/* ---- building ------------------------------------------------------------- */

static void owner_add(struct lf_access *a, const char *address, const char *owner,
                      struct lf_pos pos)
{
	char **given = NULL;
	size_t n = 0;
	strs_add(&given, &n, "OWNER");
	holding_add(a, LF_ACCESS_OWNER, address, owner, address, given, n, pos);
}

/*
 * One lakeform-level resource: `type` and `name` as in its address
 * ("schema", "main/sales/raw"), `inputs` {metadata, spec}.
 */
static void add_resource(struct lf_access *a, const char *address, const char *type,
                         const char *name, json_t *inputs, const struct where *w)
{
	json_t *spec = json_object_get(inputs, "spec");
	const char *ms = str_at(spec, "metastore");
	size_t i;
	json_t *v;

	char *pid = principal_id(type, name);
	if (pid) {
		principal_get(a, pid, 1);
		if (!strcmp(type, "group")) {
			json_array_foreach (json_object_get(spec, "members"), i, v) {
				const char *m = json_string_value(v);
				if (!m)
					continue;
				struct principal *g = principal_get(a, pid, 1);
				strs_add(&g->members, &g->nmembers, m);
				struct principal *p = principal_get(a, m, 1);
				strs_add(&p->groups, &p->ngroups, pid);
			}
		}
		free(pid);
		return;
	}
	if (!strcmp(type, "storage.bucket")) {
		char *addr = lf_xasprintf("bucket/%s", name);
		sec_add(a, addr, "bucket", name, NULL, NULL);
		free(addr);
		return;
	}
	if (!strcmp(type, "grant")) {
		const char *p = str_at(spec, "principal");
		json_t *list = json_object_get(spec, "securables");
		if (!p)
			return;
		if (!list) {
			grant_add(a, address, p, json_object_get(spec, "securable"),
			          json_object_get(spec, "privileges"), pos_at(w, NULL, 0));
			return;
		}
		/* a workspace catalog's grant: written where the workspace
		 * names the principal among its users or admins */
		struct lf_pos pos = pos_at(w, NULL, 0);
		if (w->src && w->doc) {
			json_t *wspec = json_object_get(w->doc->root, "spec");
			size_t k = index_of(json_object_get(wspec, "users"), p);
			const char *field = "spec.users";
			if (k == (size_t)-1) {
				k = index_of(json_object_get(wspec, "admins"), p);
				field = "spec.admins";
			}
			if (k != (size_t)-1)
				pos = pos_at(w, field, k);
		}
		json_array_foreach (list, i, v)
			grant_add(a, address, p, v, json_object_get(v, "privileges"), pos);
		return;
	}
	if (!strcmp(type, "workspace")) {
		struct sec *s = sec_add(a, address, "workspace", name, NULL, NULL);
		static const char *const roles[2][2] = {{"users", "USERS"}, {"admins", "ADMINS"}};
		for (int r = 0; r < 2; r++) {
			char *path = lf_xasprintf("spec.%s", roles[r][0]);
			json_array_foreach (json_object_get(spec, roles[r][0]), i, v) {
				char **given = NULL;
				size_t n = 0;
				strs_add(&given, &n, roles[r][1]);
				holding_add(a, LF_ACCESS_MEMBER, s->pub.address,
				            json_string_value(v), s->pub.address, given, n,
				            pos_at(w, path, i));
			}
			free(path);
		}
		return;
	}

	/* the namespace: metastore/M, catalog/M/C, schema/M/C/S,
	 * table|volume/M/C/S/T */
	char *parent = NULL, *display = NULL;
	const char *slash = strchr(name, '/');
	if (!strcmp(type, "metastore")) {
		display = lf_xstrdup(name);
		ms = name;
	} else if (!strcmp(type, "catalog") || !strcmp(type, "schema") || !strcmp(type, "table") ||
	           !strcmp(type, "volume")) {
		if (!slash)
			return;
		const char *last = strrchr(name, '/');
		char *msname = lf_xstrndup(name, (size_t)(slash - name));
		display = lf_xstrdup(slash + 1);
		for (char *c = display; *c; c++)
			if (*c == '/')
				*c = '.';
		if (!strcmp(type, "catalog"))
			parent = lf_xasprintf("metastore/%s", msname);
		else
			parent =
			    lf_xasprintf("%s/%.*s", !strcmp(type, "schema") ? "catalog" : "schema",
			                 (int)(last - name), name);
		sec_add(a, address, type, display, msname, parent);
		free(msname);
		ms = NULL;
	} else {
		return;
	}
	if (!strcmp(type, "metastore"))
		sec_add(a, address, type, display, ms, NULL);
	free(display);
	free(parent);

	const char *owner = str_at(spec, "owner");
	if (owner)
		owner_add(a, address, owner, pos_at(w, "spec.owner", (size_t)-1));
	/* a workspace catalog's owners are its workspace's admins, written
	 * in the workspace's document */
	json_array_foreach (json_object_get(spec, "owners"), i, v) {
		struct lf_pos pos = pos_at(w, NULL, 0);
		if (w->src && w->doc) {
			size_t k = index_of(lf_json_path(w->doc->root, "spec.admins"),
			                    json_string_value(v));
			if (k != (size_t)-1)
				pos = pos_at(w, "spec.admins", k);
		}
		if (json_string_value(v))
			owner_add(a, address, json_string_value(v), pos);
	}
}

static char *sort_key(const struct sec *s)
{
	/* workspaces, then each metastore with its namespace depth first,
	 * then buckets: segments are joined with '\x02' and end with
	 * '\x01' and the type, so that a parent sorts before its children
	 * (and a table before a volume of the same name) */
	const char *t = s->pub.type;
	if (!strcmp(t, "workspace"))
		return lf_xasprintf("1%s", s->pub.name);
	if (!strcmp(t, "bucket"))
		return lf_xasprintf("3%s", s->pub.name);
	if (!strcmp(t, "metastore"))
		return lf_xasprintf("2%s\x01", s->pub.name);
	struct lf_buf b = LF_BUF_INIT;
	lf_buf_addf(&b, "2%s\x02", s->pub.metastore ? s->pub.metastore : "");
	for (const char *p = s->pub.name; *p; p++)
		lf_buf_addc(&b, *p == '.' ? '\x02' : *p);
	lf_buf_addf(&b, "\x01%s", t);
	return lf_buf_detach(&b);
}

static int cmp_sec(const void *x, const void *y)
{
	const struct sec *a = x, *b = y;
	return strcmp(a->key, b->key);
}

static void index_add(struct lf_access *a, struct lf_map *m, const char *key, size_t i)
{
	json_t *arr = lf_map_get(m, key);
	if (!arr) {
		arr = json_array();
		json_array_append_new(a->index_arrays, arr);
		lf_map_put(m, key, arr);
	}
	json_array_append_new(arr, json_integer((json_int_t)i));
}

static void finish(struct lf_access *a)
{
	for (size_t i = 0; i < a->nsecs; i++)
		a->secs[i].key = sort_key(&a->secs[i]);
	sort(a->secs, a->nsecs, sizeof(*a->secs), cmp_sec);
	lf_map_release(&a->sec_index);
	memset(&a->sec_index, 0, sizeof(a->sec_index));
	a->pubs = lf_xcalloc(a->nsecs + 1, sizeof(*a->pubs));
	for (size_t i = 0; i < a->nsecs; i++) {
		lf_map_put(&a->sec_index, a->secs[i].pub.address, (void *)(i + 1));
		a->pubs[i] = a->secs[i].pub;
	}
	for (size_t i = 0; i < a->nsecs; i++) {
		struct sec *p = a->secs[i].pub.parent ? sec_get(a, a->secs[i].pub.parent) : NULL;
		if (!p)
			continue;
		p->children = lf_xrealloc(p->children, (p->nchildren + 1) * sizeof(*p->children));
		p->children[p->nchildren++] = i;
	}
	a->pr_ids = lf_xcalloc(a->nprs + 1, sizeof(*a->pr_ids));
	for (size_t i = 0; i < a->nprs; i++)
		a->pr_ids[i] = a->prs[i].id;
	sort(a->pr_ids, a->nprs, sizeof(*a->pr_ids), cmp_str);
	a->pr_rank = lf_xcalloc(a->nprs + 1, sizeof(*a->pr_rank));
	for (size_t i = 0; i < a->nprs; i++)
		a->pr_rank[(size_t)lf_map_get(&a->pr_index, a->pr_ids[i]) - 1] = i;
	for (size_t i = 0; i < a->nprs; i++) {
		struct principal *p = &a->prs[i];
		sort(p->groups, p->ngroups, sizeof(char *), cmp_str);
		sort(p->members, p->nmembers, sizeof(char *), cmp_str);
		p->up = lf_xcalloc(p->ngroups + 1, sizeof(*p->up));
		for (size_t k = 0; k < p->ngroups; k++) {
			size_t j = (size_t)lf_map_get(&a->pr_index, p->groups[k]);
			if (j)
				p->up[p->nup++] = j - 1;
		}
		p->down = lf_xcalloc(p->nmembers + 1, sizeof(*p->down));
		for (size_t k = 0; k < p->nmembers; k++) {
			size_t j = (size_t)lf_map_get(&a->pr_index, p->members[k]);
			if (j)
				p->down[p->ndown++] = j - 1;
		}
	}
	for (size_t i = 0; i < a->nsecs; i++) {
		struct sec *s = &a->secs[i];
		for (s->type = 0; s->type < a->ntypes; s->type++)
			if (!strcmp(a->types[s->type], s->pub.type))
				break;
		if (s->type == a->ntypes) {
			a->types = lf_xrealloc(a->types, (a->ntypes + 1) * sizeof(*a->types));
			a->types[a->ntypes++] = s->pub.type;
		}
	}
	a->index_arrays = json_array();
	for (size_t i = 0; i < a->nhs; i++) {
		struct holding *h = &a->hs[i];
		index_add(a, &a->hs_by_holder, h->holder, i);
		index_add(a, &a->hs_by_on, h->on, i);
		h->at = (size_t)lf_map_get(&a->sec_index, h->on);
		h->yield = NULL;
		if (h->at)
			h->yield = yield_table(a, h);
	}
}

/* What each of h's privileges yields (yields()), from the model's table of
 * those worked out, adding to it. */
static const struct yield **yield_table(struct lf_access *a, const struct holding *h)
{
	const struct yield **t = lf_xcalloc(h->ngiven + 1, sizeof(*t));
	const struct sec *at = &a->secs[h->at - 1];
	for (size_t g = 0; g < h->ngiven; g++) {
		char *key = lf_xasprintf("%d\x1f%s\x1f%s", (int)h->how, h->given[g], at->pub.type);
		struct yield *y = lf_map_get(&a->yields, key);
		if (!y) {
			y = lf_xcalloc(1, sizeof(*y));
			yields(a, h->how, h->given[g], at, at, &y->same, &y->nsame);
			y->below = lf_xcalloc(a->ntypes + 1, sizeof(*y->below));
			y->nbelow = lf_xcalloc(a->ntypes + 1, sizeof(*y->nbelow));
			/* yields() reads only the type of what is below */
			for (size_t k = 0; k < a->ntypes; k++) {
				struct sec below = {0};
				below.pub.type = (char *)a->types[k];
				yields(a, h->how, h->given[g], at, &below, &y->below[k],
				       &y->nbelow[k]);
			}
			lf_map_put(&a->yields, key, y);
		}
		free(key);
		t[g] = y;
	}
	return t;
}

static struct lf_access *model_new(const struct lf_kinds *kinds)
{
	struct lf_access *a = lf_xcalloc(1, sizeof(*a));
	const struct lf_kind *g = kinds ? lf_kinds_find(kinds, "Grant") : NULL;
	json_t *t = g ? json_object_get(g->schema, "x-lakeform-privileges") : NULL;
	a->privileges = t ? json_incref(t) : json_object();
	return a;
}

struct lf_access *lf_access_from_desired(const struct lf_manifest *m, const struct lf_desired *ds)
{
	struct lf_access *a = model_new(m->kinds);

	for (size_t i = 0; i < ds->n; i++) {
		const struct lf_dres *r = ds->v[i];
		struct where w = {m->src, r->doc};
		if (strcmp(r->provider, "lakeform") && strcmp(r->type, "storage.bucket"))
			continue;
		add_resource(a, r->address, r->type, r->name, r->inputs, &w);
	}
	finish(a);
	return a;
}

struct lf_access *lf_access_from_state(struct lf_state *st, const struct lf_kinds *kinds)
{
	struct lf_access *a = model_new(kinds);
	struct where w = {NULL, NULL};

	for (size_t i = 0; i < st->nres; i++) {
		struct lf_state_res *r = &st->res[i];
		if (r->removed || !r->type)
			continue;
		int wanted = !strcmp(r->type, "storage.bucket") || !strchr(r->type, '.');
		if (!wanted)
			continue;
		if (r->line && lf_state_res_parse(r) != 0)
			continue;
		const char *slash = strchr(r->address, '/');
		if (!slash)
			continue;
		add_resource(a, r->address, r->type, slash + 1, r->inputs, &w);
	}
	finish(a);
	return a;
}

void lf_access_free(struct lf_access *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nsecs; i++) {
		struct sec *s = &a->secs[i];
		free(s->pub.address);
		free(s->pub.type);
		free(s->pub.name);
		free(s->pub.metastore);
		free(s->pub.parent);
		free(s->key);
		free(s->children);
	}
	free(a->secs);
	free(a->pubs);
	lf_map_release(&a->sec_index);
	for (size_t i = 0; i < a->nprs; i++) {
		free(a->prs[i].id);
		strs_free(a->prs[i].groups, a->prs[i].ngroups);
		strs_free(a->prs[i].members, a->prs[i].nmembers);
		free(a->prs[i].up);
		free(a->prs[i].down);
	}
	free(a->prs);
	free(a->pr_ids);
	free(a->pr_rank);
	lf_map_release(&a->pr_index);
	for (size_t i = 0; i < a->nhs; i++) {
		struct holding *h = &a->hs[i];
		free(h->source);
		free(h->holder);
		free(h->on);
		strs_free(h->given, h->ngiven);
		free(h->file);
		free(h->yield);
	}
	for (size_t i = 0; i < a->yields.cap; i++) {
		struct yield *y = a->yields.v[i].key ? a->yields.v[i].value : NULL;
		if (!y)
			continue;
		free(y->same);
		for (size_t k = 0; k < a->ntypes; k++)
			free(y->below[k]);
		free(y->below);
		free(y->nbelow);
		free(y);
	}
	lf_map_release(&a->yields);
	free(a->types);
	free(a->hs);
	lf_map_release(&a->hs_by_holder);
	lf_map_release(&a->hs_by_on);
	json_decref(a->index_arrays);
	json_decref(a->privileges);
	free(a);
}

const char *const *lf_access_principals(const struct lf_access *a, size_t *n)
{
	*n = a->nprs;
	return a->pr_ids;
}

const struct lf_access_securable *lf_access_securables(const struct lf_access *a, size_t *n)
{
	*n = a->nsecs;
	return a->pubs;
}

/* ---- the rules ------------------------------------------------------------ */

/* Whether privilege `p` may be held on a securable of `type`. */
static int valid_on(const struct lf_access *a, const char *p, const char *type)
{
	json_t *on = json_object_get(json_object_get(a->privileges, p), "on");
	return index_of(on, type) != (size_t)-1;
}

/* Privileges granted on a container that stay there (REFERENCE: catalog
 * and schema privileges "inherited by" lists leave these out). */
static int inherited(const char *p)
{
	return strcmp(p, "APPLY_TAG") && strcmp(p, "BROWSE") && strcmp(p, "MANAGE");
}

/*
 * The privileges `given` (one of a holding's) yields on securable `d`, `at`
 * being where it is given (d itself, or an ancestor): into *out (strings
 * borrowed from the privilege table or static).
 */
static void yields(const struct lf_access *a, enum lf_access_how how, const char *given,
                   const struct sec *at, const struct sec *d, const char ***out, size_t *n)
{
	*n = 0;
	if (how == LF_ACCESS_MEMBER) {
		if (at != d)
			return;
		*out = lf_xrealloc(*out, 2 * sizeof(**out));
		if (!strcmp(given, "ADMINS"))
			(*out)[(*n)++] = "ADMIN";
		(*out)[(*n)++] = "USER";
		return;
	}
	if (how == LF_ACCESS_OWNER && at != d)
		return;
	int owner = how == LF_ACCESS_OWNER, all = owner || !strcmp(given, "ALL_PRIVILEGES");
	const char *key;
	json_t *v;
	json_object_foreach (a->privileges, key, v) {
		/* ALL_PRIVILEGES leaves out EXTERNAL_USE_SCHEMA and MANAGE, an
		 * owner only the first (Databricks: against exfiltration and
		 * escalation; owners of a schema lack EXTERNAL USE SCHEMA) */
		if (all) {
			if (!strcmp(key, "ALL_PRIVILEGES") || !strcmp(key, "EXTERNAL_USE_SCHEMA") ||
			    (!owner && !strcmp(key, "MANAGE")) || !valid_on(a, key, at->pub.type))
				continue;
		} else if (strcmp(key, given)) {
			continue;
		}
		if (at != d && (!inherited(key) || !valid_on(a, key, d->pub.type)))
			continue;
		*out = lf_xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = key;
	}
}

/* ---- answers -------------------------------------------------------------- */

/* What the lines of an answer are made of, gathered first without their
 * strings when only a page of the answer is wanted: one for each via. */
struct hit {
	size_t sec;            /* index of the line's securable */
	size_t principal;      /* index of the line's principal */
	size_t holder;         /* index of the holding's principal, or SIZE_MAX */
	const char *privilege; /* borrowed from the model's table, or static */
	const char *given;     /* borrowed from the holding */
	size_t holding;
};

struct hits {
	struct hit *v;
	size_t n, alloc;
};

struct answer {
	struct lf_access_list *l;
	struct lf_map lines; /* "principal\x1fsecurable\x1fprivilege" -> index + 1 */
	/* when set, emit() only adds a hit (the model's, and the principal
	 * and holder it is for): no line, no string */
	struct hits *hits;
	const struct lf_access *a;
	size_t principal, holder;
};

static void emit(struct answer *ans, const char *principal, const struct sec *d,
                 const char *privilege, const struct holding *h, const char *given, char **groups,
                 size_t ngroups)
{
	if (ans->hits) {
		struct hits *hs = ans->hits;
		if (hs->n == hs->alloc) {
			hs->alloc = hs->alloc ? 2 * hs->alloc : 256;
			hs->v = lf_xrealloc(hs->v, hs->alloc * sizeof(*hs->v));
		}
		hs->v[hs->n++] = (struct hit){
		    (size_t)(d - ans->a->secs), ans->principal, ans->holder, privilege, given,
		    (size_t)(h - ans->a->hs)};
		(void)principal;
		(void)groups;
		(void)ngroups;
		return;
	}
	struct lf_access_list *l = ans->l;
	char *key = lf_xasprintf("%s\x1f%s\x1f%s", principal, d->pub.address, privilege);
	size_t i = (size_t)lf_map_get(&ans->lines, key);
	if (!i) {
		if (l->n == l->alloc) {
			l->alloc = l->alloc ? 2 * l->alloc : 16;
			l->v = lf_xrealloc(l->v, l->alloc * sizeof(*l->v));
		}
		struct lf_access_line *ln = &l->v[l->n++];
		memset(ln, 0, sizeof(*ln));
		ln->principal = lf_xstrdup(principal);
		ln->securable = lf_xstrdup(d->pub.address);
		ln->type = lf_xstrdup(d->pub.type);
		ln->privilege = lf_xstrdup(privilege);
		i = l->n;
		lf_map_put(&ans->lines, key, (void *)i);
	}
	free(key);
	struct lf_access_line *ln = &l->v[i - 1];
	ln->via = lf_xrealloc(ln->via, (ln->nvia + 1) * sizeof(*ln->via));
	struct lf_access_via *v = &ln->via[ln->nvia++];
	memset(v, 0, sizeof(*v));
	v->how = h->how;
	v->source = lf_xstrdup(h->source);
	v->on = lf_xstrdup(h->on);
	v->given = lf_xstrdup(given);
	v->holder = lf_xstrdup(h->holder);
	v->file = h->file ? lf_xstrdup(h->file) : NULL;
	v->line = h->line;
	v->col = h->col;
	v->groups = groups; /* shared: the list's chains own them */
	v->ngroups = ngroups;
}

/* Every line holding `h` gives `principal` (through `groups`) on `d`
 * and, when `down`, on everything below d. */
static void apply_holding(struct answer *ans, const struct lf_access *a, const char *principal,
                          const struct holding *h, const struct sec *at, const struct sec *d,
                          int down, char **groups, size_t ngroups)
{
	for (size_t g = 0; g < h->ngiven; g++) {
		const struct yield *y = h->yield[g];
		const char **privs = at == d ? y->same : y->below[d->type];
		size_t n = at == d ? y->nsame : y->nbelow[d->type];
		for (size_t k = 0; k < n; k++)
			emit(ans, principal, d, privs[k], h, h->given[g], groups, ngroups);
	}
	if (!down)
		return;
	for (size_t c = 0; c < d->nchildren; c++)
		apply_holding(ans, a, principal, h, at, &a->secs[d->children[c]], 1, groups,
		              ngroups);
}

/*
 * The groups a principal is in, directly or not, found breadth first from
 * it (its groups in name order at each step), so that each group's chain
 * of membership is a shortest one, the first by name.  Indexes into
 * a->prs; `seen[g] == gen` marks those found, pred[g] the principal g was
 * reached from.  Returns how many, listed in `queue`.
 */
struct walk {
	unsigned *seen, gen;
	size_t *pred, *queue;
};

static void walk_init(struct walk *w, const struct lf_access *a)
{
	w->seen = lf_xcalloc(a->nprs + 1, sizeof(*w->seen));
	w->pred = lf_xcalloc(a->nprs + 1, sizeof(*w->pred));
	w->queue = lf_xcalloc(a->nprs + 1, sizeof(*w->queue));
	w->gen = 0;
}

static void walk_release(struct walk *w)
{
	free(w->seen);
	free(w->pred);
	free(w->queue);
}

static size_t walk_up(struct walk *w, const struct lf_access *a, size_t start)
{
	size_t n = 0;
	w->gen++;
	w->seen[start] = w->gen;
	for (size_t q = 0, at = start;; at = w->queue[q++]) {
		const struct principal *p = &a->prs[at];
		for (size_t i = 0; i < p->nup; i++) {
			size_t g = p->up[i];
			if (w->seen[g] == w->gen)
				continue;
			w->seen[g] = w->gen;
			w->pred[g] = at;
			w->queue[n++] = g;
		}
		if (q == n)
			break;
	}
	return n;
}

/* The chain from `start` up to group `holder` (walk_up() found it): a
 * new array the list keeps, *n set. */
static char **chain_of(struct lf_access_list *l, const struct lf_access *a, const struct walk *w,
                       size_t start, size_t holder, size_t *n)
{
	size_t len = 0;
	for (size_t g = holder; g != start; g = w->pred[g])
		len++;
	char **c = lf_xcalloc(len + 1, sizeof(*c));
	size_t k = len;
	for (size_t g = holder; g != start; g = w->pred[g])
		c[--k] = lf_xstrdup(a->prs[g].id);
	l->chains = lf_xrealloc(l->chains, (l->nchains + 1) * sizeof(*l->chains));
	l->chains[l->nchains++] = c;
	*n = len;
	return c;
}

/* The holdings of `holder` on everything, for `principal` through `groups`. */
static void principal_holdings(struct answer *ans, const struct lf_access *a, const char *principal,
                               const char *holder, char **groups, size_t ng)
{
	json_t *idx = lf_map_get(&a->hs_by_holder, holder);
	size_t i;
	json_t *v;
	json_array_foreach (idx, i, v) {
		const struct holding *h = &a->hs[json_integer_value(v)];
		if (h->at)
			apply_holding(ans, a, principal, h, &a->secs[h->at - 1],
			              &a->secs[h->at - 1], 1, groups, ng);
	}
}

static int cmp_via(const void *x, const void *y)
{
	const struct lf_access_via *a = x, *b = y;
	int c;
	if (a->how != b->how)
		return (int)a->how - (int)b->how;
	if ((c = strcmp(a->on, b->on)) || (c = strcmp(a->source, b->source)))
		return c;
	if ((c = strcmp(a->given ? a->given : "", b->given ? b->given : "")))
		return c;
	return strcmp(a->holder, b->holder);
}

/* Comparisons of lines by the model's order of securables, through
 * qsort_r's argument: answers may be asked for from several threads. */
static size_t sec_rank(const struct lf_access *a, const char *address)
{
	return (size_t)lf_map_get(&a->sec_index, address);
}

static int cmp_by_securable(const void *x, const void *y, void *arg)
{
	const struct lf_access_line *a = x, *b = y;
	size_t ra = sec_rank(arg, a->securable), rb = sec_rank(arg, b->securable);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	int c = strcmp(a->privilege, b->privilege);
	return c ? c : strcmp(a->principal, b->principal);
}

static int cmp_by_principal(const void *x, const void *y, void *arg)
{
	const struct lf_access_line *a = x, *b = y;
	int c = strcmp(a->principal, b->principal);
	if (c)
		return c;
	size_t ra = sec_rank(arg, a->securable), rb = sec_rank(arg, b->securable);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp(a->privilege, b->privilege);
}

static void answer_finish(struct answer *ans, const struct lf_access *a, int by_principal)
{
	struct lf_access_list *l = ans->l;
	for (size_t i = 0; i < l->n; i++)
		sort(l->v[i].via, l->v[i].nvia, sizeof(*l->v[i].via), cmp_via);
	if (l->n > 1)
		qsort_r(l->v, l->n, sizeof(*l->v),
		        by_principal ? cmp_by_principal : cmp_by_securable, (void *)a);
	lf_map_release(&ans->lines);
}

/* The nearest of `names` to `s` within a few edits, or NULL. */
static const char *nearest(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t bd = 4;
	for (size_t i = 0; i < n; i++) {
		size_t d = lf_edit_distance(s, names[i]);
		if (d < bd) {
			bd = d;
			best = names[i];
		}
	}
	return best;
}

/* The index of `principal` in the model, or -1 with *error. */
static long principal_check(const struct lf_access *a, const char *principal, char **error)
{
	*error = NULL;
	if (strncmp(principal, "user:", 5) && strncmp(principal, "group:", 6) &&
	    strncmp(principal, "service_principal:", 18)) {
		*error = lf_xasprintf("'%s' is not a principal: write user:NAME, group:NAME or "
		                      "service_principal:NAME",
		                      principal);
		return -1;
	}
	if (!lf_map_get(&a->pr_index, principal)) {
		const char *near = nearest(principal, a->pr_ids, a->nprs);
		*error = near ? lf_xasprintf("unknown principal '%s' (did you mean '%s'?)",
		                             principal, near)
		              : lf_xasprintf("unknown principal '%s'", principal);
		return -1;
	}
	return (long)(size_t)lf_map_get(&a->pr_index, principal) - 1;
}

/* The holdings of principal `start` and of its groups (w walked up from
 * it): lines into ans->l with their chains, or hits into ans->hits. */
static void principal_gather(struct answer *ans, const struct lf_access *a, struct walk *w,
                             size_t start)
{
	const char *principal = a->prs[start].id;
	ans->principal = ans->holder = start;
	principal_holdings(ans, a, principal, principal, NULL, 0);
	size_t n = walk_up(w, a, start);
	for (size_t k = 0; k < n; k++) {
		size_t g = w->queue[k], ng = 0;
		if (!lf_map_get(&a->hs_by_holder, a->prs[g].id))
			continue;
		char **chain = ans->hits ? NULL : chain_of(ans->l, a, w, start, g, &ng);
		ans->holder = g;
		principal_holdings(ans, a, principal, a->prs[g].id, chain, ng);
	}
}

/* What `principal` holds, into ans (lines, or hits for a page); -1 with
 * *error for a principal the model does not know. */
static int principal_answer(struct answer *ans, const struct lf_access *a, const char *principal,
                            char **error)
{
	long start = principal_check(a, principal, error);

	if (start < 0)
		return -1;
	ans->l->subject = lf_xstrdup(principal);
	ans->l->on_securable = 0;
	struct walk w;
	walk_init(&w, a);
	principal_gather(ans, a, &w, (size_t)start);
	walk_release(&w);
	return 0;
}

int lf_access_principal(struct lf_access_list *out, const struct lf_access *a,
                        const char *principal, char **error)
{
	struct answer ans = {out, LF_MAP_INIT, NULL, a, 0, 0};

	if (principal_answer(&ans, a, principal, error) < 0)
		return -1;
	answer_finish(&ans, a, 0);
	return 0;
}

/* Every securable matching `name` (see lf_access_securable): how many,
 * the first `max` of them in `found` (indexes). */
static size_t find_securables(const struct lf_access *a, const char *name, size_t *found,
                              size_t max)
{
	size_t n = 0;
	size_t i = (size_t)lf_map_get(&a->sec_index, name);
	if (i) {
		found[0] = i - 1;
		return 1;
	}
	if (!strncmp(name, "storage.bucket/", 15)) {
		char *b = lf_xasprintf("bucket/%s", name + 15);
		i = (size_t)lf_map_get(&a->sec_index, b);
		free(b);
		if (i) {
			found[0] = i - 1;
			return 1;
		}
	}
	if (strchr(name, '/'))
		return 0;
	for (i = 0; i < a->nsecs; i++) {
		const struct sec *s = &a->secs[i];
		/* namespace names are folded to lower case by Unity Catalog */
		int ns = s->pub.metastore != NULL;
		if (ns ? !strcasecmp(s->pub.name, name) : !strcmp(s->pub.name, name)) {
			if (n < max)
				found[n] = i;
			n++;
		}
	}
	return n;
}

/* The index of the one securable `securable` names, or -1 with *error. */
static long securable_check(const struct lf_access *a, const char *securable, char **error)
{
	size_t found[8];
	size_t n = find_securables(a, securable, found, 8);

	*error = NULL;
	if (n == 0) {
		const char **names = lf_xcalloc(2 * a->nsecs + 1, sizeof(*names));
		for (size_t i = 0; i < a->nsecs; i++) {
			names[2 * i] = a->secs[i].pub.address;
			names[2 * i + 1] = a->secs[i].pub.name;
		}
		const char *near = nearest(securable, names, 2 * a->nsecs);
		*error = near ? lf_xasprintf("unknown securable '%s' (did you mean '%s'?)",
		                             securable, near)
		              : lf_xasprintf("unknown securable '%s'", securable);
		free(names);
		return -1;
	}
	if (n > 1) {
		struct lf_buf b = LF_BUF_INIT;
		lf_buf_addf(&b, "'%s' names %zu securables: ", securable, n);
		for (size_t i = 0; i < n && i < 8; i++)
			lf_buf_addf(&b, "%s'%s'", i ? ", " : "", a->secs[found[i]].pub.address);
		lf_buf_adds(&b,
		            n > 8 ? ", ...; give the address of one" : "; give the address of one");
		*error = lf_buf_detach(&b);
		return -1;
	}
	return (long)found[0];
}

/* The holdings on a securable and on what holds it, by holder, and the
 * principals they reach: each holder and its members, nested. */
struct reach {
	json_t **relevant; /* by holder's index: json array of holding indexes */
	json_t *arrays;
	unsigned char *candidate;
	size_t *queue, nqueue; /* the candidates, in the order found */
};

static void reach_find(struct reach *r, const struct lf_access *a, const struct sec *d)
{
	r->relevant = lf_xcalloc(a->nprs + 1, sizeof(*r->relevant));
	r->arrays = json_array();
	r->candidate = lf_xcalloc(a->nprs + 1, 1);
	r->queue = lf_xcalloc(a->nprs + 1, sizeof(*r->queue));
	r->nqueue = 0;
	for (const struct sec *at = d; at;
	     at = at->pub.parent ? sec_get(a, at->pub.parent) : NULL) {
		size_t i;
		json_t *v;
		json_array_foreach (lf_map_get(&a->hs_by_on, at->pub.address), i, v) {
			const struct holding *h = &a->hs[json_integer_value(v)];
			/* a holder the model does not know reaches no one */
			size_t hi = (size_t)lf_map_get(&a->pr_index, h->holder);
			if (!hi)
				continue;
			json_t *list = r->relevant[hi - 1];
			if (!list) {
				list = json_array();
				json_array_append_new(r->arrays, list);
				r->relevant[hi - 1] = list;
			}
			json_array_append(list, v);
			/* the holder and everyone in it, nested, are candidates */
			if (r->candidate[hi - 1])
				continue;
			r->candidate[hi - 1] = 1;
			r->queue[r->nqueue++] = hi - 1;
			for (size_t q = r->nqueue - 1; q < r->nqueue; q++) {
				const struct principal *pr = &a->prs[r->queue[q]];
				for (size_t k = 0; k < pr->ndown; k++)
					if (!r->candidate[pr->down[k]]) {
						r->candidate[pr->down[k]] = 1;
						r->queue[r->nqueue++] = pr->down[k];
					}
			}
		}
	}
}

static void reach_release(struct reach *r)
{
	free(r->candidate);
	free(r->queue);
	free(r->relevant);
	json_decref(r->arrays);
}

/* Principal `start`'s own holdings among the relevant ones, then its
 * groups' along the chains a principal query takes: lines on d into
 * ans->l, or hits into ans->hits. */
static void securable_gather(struct answer *ans, const struct lf_access *a, struct walk *w,
                             const struct reach *r, const struct sec *d, size_t start)
{
	const char *p = a->prs[start].id;
	size_t ngroups = walk_up(w, a, start);
	ans->principal = start;
	for (size_t k = 0; k <= ngroups; k++) {
		size_t g = k == ngroups ? start : w->queue[k], ng = 0, i;
		json_t *list = r->relevant[g], *v;
		if (!list)
			continue;
		char **chain =
		    g == start || ans->hits ? NULL : chain_of(ans->l, a, w, start, g, &ng);
		ans->holder = g;
		json_array_foreach (list, i, v) {
			const struct holding *h = &a->hs[json_integer_value(v)];
			if (h->at)
				apply_holding(ans, a, p, h, &a->secs[h->at - 1], d, 0, chain, ng);
		}
	}
}

/* Who holds what on `securable`, into ans (lines, or hits for a page); -1
 * with *error for a securable the model does not know, or an ambiguous name. */
static int securable_answer(struct answer *ans, const struct lf_access *a, const char *securable,
                            char **error)
{
	long found = securable_check(a, securable, error);

	if (found < 0)
		return -1;
	const struct sec *d = &a->secs[found];
	ans->l->subject = lf_xstrdup(d->pub.address);
	ans->l->on_securable = 1;
	struct reach r;
	reach_find(&r, a, d);
	struct walk w;
	walk_init(&w, a);
	for (size_t c = 0; c < r.nqueue; c++)
		securable_gather(ans, a, &w, &r, d, r.queue[c]);
	walk_release(&w);
	reach_release(&r);
	return 0;
}

int lf_access_securable(struct lf_access_list *out, const struct lf_access *a,
                        const char *securable, char **error)
{
	struct answer ans = {out, LF_MAP_INIT, NULL, a, 0, 0};

	if (securable_answer(&ans, a, securable, error) < 0)
		return -1;
	answer_finish(&ans, a, 1);
	return 0;
}

/* ---- a page of an answer ---------------------------------------------------- */

/* Hits in the order of the lines they make: a principal's answer by
 * securable, then privilege; a securable's by principal, then privilege. */
static int cmp_hit_by_securable(const void *x, const void *y, void *arg)
{
	const struct hit *a = x, *b = y;
	(void)arg;
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	return a->privilege == b->privilege ? 0 : strcmp(a->privilege, b->privilege);
}

static int cmp_hit_by_principal(const void *x, const void *y, void *arg)
{
	const struct hit *h = x, *k = y;
	const struct lf_access *a = arg;
	if (h->principal != k->principal)
		return a->pr_rank[h->principal] < a->pr_rank[k->principal] ? -1 : 1;
	if (h->sec != k->sec)
		return h->sec < k->sec ? -1 : 1;
	return h->privilege == k->privilege ? 0 : strcmp(h->privilege, k->privilege);
}

static int same_line(const struct hit *h, const struct hit *k)
{
	return h->sec == k->sec && h->principal == k->principal &&
	       !strcmp(h->privilege, k->privilege);
}

/*
 * The lines [offset, offset + limit) of the answer `hits` make (sorted),
 * into l, with the chains of their vias, walked up from the page's
 * principals only; returns how many lines the whole answer has.
 */
static size_t page_of(struct lf_access_list *l, const struct lf_access *a, struct hits *hs,
                      int by_principal, size_t offset, size_t limit)
{
	struct answer ans = {l, LF_MAP_INIT, NULL, a, 0, 0};
	struct walk w;
	size_t total = 0, walked = SIZE_MAX;
	char ***chains = lf_xcalloc(a->nprs + 1, sizeof(*chains)); /* by holder */
	size_t *lens = lf_xcalloc(a->nprs + 1, sizeof(*lens));
	unsigned *stamp = lf_xcalloc(a->nprs + 1, sizeof(*stamp));
	unsigned gen = 0;

	if (hs->n > 1)
		qsort_r(hs->v, hs->n, sizeof(*hs->v),
		        by_principal ? cmp_hit_by_principal : cmp_hit_by_securable, (void *)a);
	walk_init(&w, a);
	for (size_t i = 0; i < hs->n; i++) {
		const struct hit *h = &hs->v[i];
		if (i == 0 || !same_line(h, &hs->v[i - 1]))
			total++;
		if (total <= offset || total - offset > limit)
			continue;
		char **chain = NULL;
		size_t ng = 0;
		if (h->holder != h->principal) {
			if (walked != h->principal) {
				walk_up(&w, a, h->principal);
				walked = h->principal;
				gen++;
			}
			if (stamp[h->holder] != gen) {
				stamp[h->holder] = gen;
				chains[h->holder] =
				    chain_of(l, a, &w, h->principal, h->holder, &lens[h->holder]);
			}
			chain = chains[h->holder];
			ng = lens[h->holder];
		}
		emit(&ans, a->prs[h->principal].id, &a->secs[h->sec], h->privilege,
		     &a->hs[h->holding], h->given, chain, ng);
	}
	walk_release(&w);
	free(chains);
	free(lens);
	free(stamp);
	answer_finish(&ans, a, by_principal);
	return total;
}

int lf_access_principal_page(struct lf_access_list *out, const struct lf_access *a,
                             const char *principal, size_t offset, size_t limit, size_t *total,
                             char **error)
{
	struct hits hs = {NULL, 0, 0};
	struct answer ans = {out, LF_MAP_INIT, &hs, a, 0, 0};

	*total = 0;
	if (principal_answer(&ans, a, principal, error) < 0)
		return -1;
	*total = page_of(out, a, &hs, 0, offset, limit);
	free(hs.v);
	return 0;
}

int lf_access_securable_page(struct lf_access_list *out, const struct lf_access *a,
                             const char *securable, size_t offset, size_t limit, size_t *total,
                             char **error)
{
	struct hits hs = {NULL, 0, 0};
	struct answer ans = {out, LF_MAP_INIT, &hs, a, 0, 0};

	*total = 0;
	if (securable_answer(&ans, a, securable, error) < 0)
		return -1;
	*total = page_of(out, a, &hs, 1, offset, limit);
	free(hs.v);
	return 0;
}

void lf_access_list_release(struct lf_access_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct lf_access_line *ln = &l->v[i];
		for (size_t k = 0; k < ln->nvia; k++) {
			struct lf_access_via *v = &ln->via[k];
			free(v->source);
			free(v->on);
			free(v->given);
			free(v->holder);
			free(v->file);
		}
		free(ln->via);
		free(ln->principal);
		free(ln->securable);
		free(ln->type);
		free(ln->privilege);
	}
	free(l->v);
	free(l->subject);
	for (size_t i = 0; i < l->nchains; i++) {
		for (char **c = l->chains[i]; *c; c++)
			free(*c);
		free(l->chains[i]);
	}
	free(l->chains);
	memset(l, 0, sizeof(*l));
}

/* ---- rendering ------------------------------------------------------------ */

static const char *how_name(enum lf_access_how how)
{
	switch (how) {
	case LF_ACCESS_GRANT:
		return "grant";
	case LF_ACCESS_OWNER:
		return "owner";
	case LF_ACCESS_MEMBER:
		return "assignment";
	}
	return "grant";
}

static json_t *securable_json(const struct lf_access *a, const char *address)
{
	const struct sec *s = sec_get(a, address);
	json_t *o = json_pack("{s:s}", "address", address);
	if (s) {
		json_object_set_new(o, "type", json_string(s->pub.type));
		json_object_set_new(o, "name", json_string(s->pub.name));
		if (s->pub.metastore)
			json_object_set_new(o, "metastore", json_string(s->pub.metastore));
	}
	return o;
}

json_t *lf_access_json(const struct lf_access_list *l, const struct lf_access *a)
{
	json_t *root = json_pack("{s:s}", "format_version", "1");
	if (l->on_securable)
		json_object_set_new(root, "securable", securable_json(a, l->subject));
	else
		json_object_set_new(root, "principal", json_string(l->subject));
	json_t *arr = json_array();
	/* each chain of membership once: "principal\x1fholder" -> groups */
	json_t *chains = json_object();
	for (size_t i = 0; i < l->n; i++) {
		const struct lf_access_line *ln = &l->v[i];
		json_t *vias = json_array();
		for (size_t k = 0; k < ln->nvia; k++) {
			const struct lf_access_via *v = &ln->via[k];
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", how_name(v->how),
			                      "source", v->source, "on", v->on, "given",
			                      v->given ? v->given : "", "holder", v->holder);
			if (v->file)
				json_object_set_new(o, "at",
				                    json_pack("{s:s, s:i, s:i}", "file", v->file,
				                              "line", (int)v->line, "column",
				                              (int)v->col));
			else
				json_object_set_new(o, "at", json_null());
			json_array_append_new(vias, o);
			if (v->ngroups) {
				char *key = lf_xasprintf("%s\x1f%s", ln->principal, v->holder);
				if (!json_object_get(chains, key)) {
					json_t *groups = json_array();
					for (size_t g = 0; g < v->ngroups; g++)
						json_array_append_new(groups,
						                      json_string(v->groups[g]));
					json_object_set_new(
					    chains, key,
					    json_pack("{s:s, s:s, s:o}", "principal", ln->principal,
					              "holder", v->holder, "groups", groups));
				}
				free(key);
			}
		}
		json_array_append_new(arr,
		                      json_pack("{s:s, s:o, s:s, s:o}", "principal", ln->principal,
		                                "securable", securable_json(a, ln->securable),
		                                "privilege", ln->privilege, "via", vias));
	}
	/* sorted by principal, then holder */
	json_t *memberships = lf_json_values_by_key(chains);
	json_decref(chains);
	json_object_set_new(root, "access", arr);
	json_object_set_new(root, "memberships", memberships);
	return root;
}

char *lf_access_via_text(const struct lf_access_via *v, const char *principal,
                         const char *securable)
{
	struct lf_buf b = LF_BUF_INIT;
	(void)principal;
	switch (v->how) {
	case LF_ACCESS_GRANT:
		lf_buf_adds(&b, v->source);
		break;
	case LF_ACCESS_OWNER:
		lf_buf_addf(&b, "owner of %s", v->source);
		break;
	case LF_ACCESS_MEMBER:
		lf_buf_addf(&b, "%s of %s",
		            v->given && !strcmp(v->given, "ADMINS") ? "admin" : "user", v->source);
		break;
	}
	if (v->file)
		lf_buf_addf(&b, " (%s:%u:%u)", v->file, v->line, v->col);
	if (v->how == LF_ACCESS_GRANT && strcmp(v->on, securable))
		lf_buf_addf(&b, " on %s", v->on);
	if (v->how == LF_ACCESS_GRANT && v->given && !strcmp(v->given, "ALL_PRIVILEGES"))
		lf_buf_adds(&b, " as ALL_PRIVILEGES");
	/* "member of group:c via group:a, group:b": the principal is in a,
	 * a in b, b in c */
	if (v->ngroups) {
		/* a deep nesting is cut after the first three groups */
		size_t shown = v->ngroups - 1 > 4 ? 3 : v->ngroups - 1;
		lf_buf_addf(&b, "; member of %s", v->groups[v->ngroups - 1]);
		for (size_t g = 0; g < shown; g++)
			lf_buf_addf(&b, "%s%s", g ? ", " : " via ", v->groups[g]);
		if (shown < v->ngroups - 1)
			lf_buf_addf(&b, " and %zu more groups", v->ngroups - 1 - shown);
	}
	return lf_buf_detach(&b);
}
