#include "manifest.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "family.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/mem.h"
#include "../util/par.h"

/* ---- kinds ------------------------------------------------------------ */

char *lf_regional_bucket(const char *bucket, const char *home_region, const char *region)
{
	if (!region || !home_region || !strcmp(region, home_region))
		return lf_xstrdup(bucket);
	return lf_xasprintf("%s-%s", bucket, region);
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *lf_json_values_by_key(json_t *obj)
{
	const char **keys = lf_xcalloc(json_object_size(obj) + 1, sizeof(*keys));
	json_t *out = json_array(), *v;
	const char *key;
	size_t n = 0;

	json_object_foreach (obj, key, v)
		keys[n++] = key;
	if (n)
		qsort(keys, n, sizeof(*keys), cmp_key);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, json_object_get(obj, keys[i]));
	free(keys);
	return out;
}

json_t *lf_json_path(json_t *root, const char *path)
{
	json_t *cur = root;
	const char *p = path;
	char seg[128];

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (!json_is_object(cur))
			return NULL;
		if (n < sizeof(seg)) {
			/* the common case, without an allocation: this is hot */
			memcpy(seg, p, n);
			seg[n] = '\0';
			cur = json_object_get(cur, seg);
		} else {
			char *long_seg = lf_xstrndup(p, n);
			cur = json_object_get(cur, long_seg);
			free(long_seg);
		}
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

/* Follow local "$ref"s ("#/definitions/x") from `s`; borrowed result. */
static json_t *deref(json_t *doc, json_t *s)
{
	for (int hops = 0; hops < 32 && json_is_object(s); hops++) {
		const char *ref = json_string_value(json_object_get(s, "$ref"));
		if (!ref || ref[0] != '#')
			return s;
		json_t *cur = doc;
		const char *p = ref + 1;
		while (cur && *p == '/') {
			const char *end = strchr(p + 1, '/');
			size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
			char *seg = lf_xstrndup(p + 1, n);
			cur = json_object_get(cur, seg);
			free(seg);
			p += n + 1;
		}
		s = cur;
	}
	return s;
}

static char **strv_push(char **v, size_t *n, char *s)
{
	v = lf_xrealloc(v, (*n + 1) * sizeof(*v));
	v[(*n)++] = s;
	return v;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Record annotated properties under `s` (a schema), whose path is `path`. */
static void collect_annotations(struct lf_kind *k, json_t *doc, json_t *s, const char *path,
                                int depth)
{
	const char *key;
	json_t *sub;

	s = deref(doc, s);
	if (!json_is_object(s) || depth > 16)
		return;
	if (*path) {
		if (json_is_true(json_object_get(s, "x-lakeform-principal")))
			k->principals = strv_push(k->principals, &k->nprincipals, lf_xstrdup(path));
		if (json_is_true(json_object_get(s, "x-lakeform-force-new")))
			k->force_new = strv_push(k->force_new, &k->nforce_new, lf_xstrdup(path));
		if (json_is_true(json_object_get(s, "x-lakeform-sensitive")))
			k->sensitive = strv_push(k->sensitive, &k->nsensitive, lf_xstrdup(path));
	}
	json_object_foreach (json_object_get(s, "properties"), key, sub) {
		char *p = *path ? lf_xasprintf("%s.%s", path, key) : lf_xstrdup(key);
		collect_annotations(k, doc, sub, p, depth + 1);
		free(p);
	}
	json_t *items = deref(doc, json_object_get(s, "items"));
	if (json_is_object(items) && *path) {
		char *p = lf_xasprintf("%s[]", path);
		if (json_is_true(json_object_get(items, "x-lakeform-principal")))
			k->principals = strv_push(k->principals, &k->nprincipals, lf_xstrdup(p));
		/* objects inside arrays: annotations of their fields */
		json_object_foreach (json_object_get(items, "properties"), key, sub) {
			char *q = lf_xasprintf("%s.%s", p, key);
			collect_annotations(k, doc, sub, q, depth + 1);
			free(q);
		}
		free(p);
	}
}

static int load_kind(struct lf_kind *k, const char *file, struct lf_diags *d)
{
	struct lf_pos at = {file, 0, 0};
	json_error_t jerr;
	json_t *schema, *v;
	char *err = NULL;
	size_t i;

	memset(k, 0, sizeof(*k));
	schema = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (!schema) {
		at.line = (unsigned)(jerr.line > 0 ? jerr.line : 0);
		at.col = (unsigned)(jerr.column > 0 ? jerr.column : 0);
		lf_diag_error(d, &at, "invalid schema: %s", jerr.text);
		return -1;
	}
	const char *kind = json_string_value(json_object_get(schema, "x-lakeform-kind"));
	const char *type = json_string_value(json_object_get(schema, "x-lakeform-type"));
	if (!kind && !type) {
		json_decref(schema);
		return 1; /* not ours */
	}
	k->schema = schema;
	k->is_type = kind == NULL;
	k->name = lf_xstrdup(kind ? kind : type);
	k->lower = lf_xstrdup(k->name);
	for (char *p = k->lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (type) {
		const char *fam = json_string_value(json_object_get(schema, "x-lakeform-family"));
		k->family = lf_xstrdup(fam ? fam : lf_families[LF_FAMILY_DEFAULT].name);
	}
	if (lf_schema_compile(&k->compiled, schema, &err) != 0) {
		lf_diag_error(d, &at, "invalid schema: %s", err);
		free(err);
		return -1;
	}
	json_array_foreach (json_object_get(schema, "x-lakeform-identity"), i, v)
		if (json_is_string(v))
			k->identity =
			    strv_push(k->identity, &k->nidentity, lf_xstrdup(json_string_value(v)));
	if (!k->nidentity && !k->is_type)
		k->identity = strv_push(k->identity, &k->nidentity, lf_xstrdup("metadata.name"));
	json_t *refs = json_object_get(schema, "x-lakeform-refs");
	k->refs = lf_xcalloc(json_array_size(refs) + 1, sizeof(*k->refs));
	json_array_foreach (refs, i, v) {
		struct lf_kind_ref *r = &k->refs[k->nrefs];
		const char *rk = json_string_value(json_object_get(v, "kind"));
		json_t *f;
		size_t j;

		if (!rk)
			continue;
		r->kind = lf_xstrdup(rk);
		json_array_foreach (json_object_get(v, "fields"), j, f)
			if (json_is_string(f))
				r->fields = strv_push(r->fields, &r->nfields,
				                      lf_xstrdup(json_string_value(f)));
		k->nrefs++;
	}
	collect_annotations(k, schema, schema, "", 0);
	return 0;
}

static void kind_release(struct lf_kind *k)
{
	free(k->family);
	free(k->name);
	free(k->lower);
	if (k->compiled)
		lf_schema_free(k->compiled);
	json_decref(k->schema);
	strv_free(k->identity, k->nidentity);
	for (size_t i = 0; i < k->nrefs; i++) {
		free(k->refs[i].kind);
		strv_free(k->refs[i].fields, k->refs[i].nfields);
	}
	free(k->refs);
	strv_free(k->principals, k->nprincipals);
	strv_free(k->force_new, k->nforce_new);
	strv_free(k->sensitive, k->nsensitive);
}

/* `dir`/regions.json: {"regions": ["us-east-1", ...]}; absent: not checked. */
static int load_regions(struct lf_kinds *out, const char *dir, struct lf_diags *d)
{
	char *path = lf_xasprintf("%s/regions.json", dir);
	json_error_t jerr;
	json_t *root, *list;
	size_t i;
	json_t *v;
	int err = 0;

	if (access(path, F_OK) != 0) {
		free(path);
		return 0;
	}
	root = json_load_file(path, 0, &jerr);
	list = json_object_get(root, "regions");
	if (!root)
		lf_diag_file_error(d, path, "%s (line %d)", jerr.text, jerr.line);
	else if (!json_is_array(list))
		lf_diag_file_error(d, path, "must hold {\"regions\": [NAME, ...]}");
	json_array_foreach (list, i, v)
		if (!json_is_string(v) && !err) {
			lf_diag_file_error(d, path, "regions[%zu] is not a string", i);
			err = -1;
		}
	if (!root || !json_is_array(list))
		err = -1;
	if (!err)
		out->regions = json_incref(list);
	json_decref(root);
	free(path);
	return err;
}

int lf_kinds_load(struct lf_kinds *out, const char *dir, struct lf_diags *d)
{
	static const char *const suffixes[] = {".schema.json", NULL};
	char **paths = NULL;
	size_t n = 0;
	int err = 0;

	int werr = lf_walk_files(&paths, &n, dir, suffixes);
	if (werr || n == 0) {
		lf_diag_error(d, NULL, "cannot read the schemas in '%s': %s", dir,
		              werr ? strerror(-werr) : "no *.schema.json files");
		lf_strv_free(paths, n);
		return -1;
	}
	out->v = lf_xcalloc(n, sizeof(*out->v));
	for (size_t i = 0; i < n; i++) {
		int r = load_kind(&out->v[out->n], paths[i], d);
		if (r == 0)
			out->n++;
		else {
			kind_release(&out->v[out->n]);
			if (r < 0)
				err = -1;
		}
	}
	lf_strv_free(paths, n);
	if (load_regions(out, dir, d) != 0)
		err = -1;
	return err;
}

void lf_kinds_add_regions(struct lf_kinds *k, const json_t *names)
{
	size_t i;
	json_t *v;

	if (!k->regions)
		return; /* no list to extend: regions are not checked */
	json_array_foreach (names, i, v)
		if (json_is_string(v))
			json_array_append(k->regions, v);
}

const struct lf_kind *lf_kinds_find(const struct lf_kinds *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->v[i].name, name))
			return &k->v[i];
	return NULL;
}

void lf_kinds_release(struct lf_kinds *k)
{
	for (size_t i = 0; i < k->n; i++)
		kind_release(&k->v[i]);
	free(k->v);
	k->v = NULL;
	k->n = 0;
	json_decref(k->regions);
	k->regions = NULL;
}

/* ---- documents ---------------------------------------------------------- */

size_t lf_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t c =
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1])
			        ? 0
			        : 1;
			size_t best = prev[j - 1] + c;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			cur[j] = best;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(*prev));
	}
	return prev[lb];
}

struct schema_ctx {
	const struct lf_source *src;
	const struct lf_source_doc *doc;
	struct lf_diags *d;
	int skip_name; /* metadata.name already reported */
};

static void on_schema_error(void *vctx, const struct lf_jpath_seg *path, size_t depth,
                            const char *msg)
{
	struct schema_ctx *ctx = vctx;
	struct lf_buf where = LF_BUF_INIT;
	/* a property that must not be there is named in the message and shown
	 * where its key is written; the prefix is the object holding it */
	int about_key =
	    depth > 0 && path[depth - 1].key &&
	    (!strncmp(msg, "unknown property '", 18) || !strncmp(msg, "property '", 10));
	size_t shown = about_key ? depth - 1 : depth;

	for (size_t i = 0; i < depth; i++) {
		if (path[i].key)
			lf_buf_addf(&where, "%s%s", i ? "." : "", path[i].key);
		else
			lf_buf_addf(&where, "[%zu]", path[i].index);
		if (i + 1 == shown)
			break;
	}
	if (shown == 0)
		lf_buf_truncate(&where, 0);
	if (ctx->skip_name && depth >= 2 && path[0].key && path[1].key &&
	    !strcmp(path[0].key, "metadata") && !strcmp(path[1].key, "name")) {
		lf_buf_release(&where);
		return;
	}
	struct lf_yaml_pathseg *segs = lf_xcalloc(depth + 1, sizeof(*segs));
	for (size_t i = 0; i < depth; i++) {
		segs[i].key = path[i].key;
		segs[i].index = path[i].index;
	}
	struct lf_pos pos = lf_source_pos(ctx->src, ctx->doc, segs, depth, about_key);
	free(segs);
	if (where.len)
		lf_diag_error(ctx->d, &pos, "%s: %s", lf_buf_cstr(&where), msg);
	else
		lf_diag_error(ctx->d, &pos, "%s", msg);
	lf_buf_release(&where);
}

/* Names become file and object names: refuse what could escape or confuse. */
static int check_name(const struct lf_source *src, const struct lf_source_doc *doc,
                      struct lf_diags *d)
{
	json_t *meta = json_object_get(doc->root, "metadata");
	json_t *name = json_object_get(meta, "name");
	const char *s = json_string_value(name);
	struct lf_pos pos;

	if (!s)
		return 0;
		/* positions cost a second parse: look one up only for an error */
#define NAME_POS (pos = lf_source_path_pos(src, doc, "metadata.name", (size_t)-1), &pos)
	for (size_t i = 0; i < json_string_length(name); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			lf_diag_error(d, NAME_POS,
			              "metadata.name: a name must not contain control characters "
			              "(found 0x%02x)",
			              c);
			return -1;
		}
	}
	if (strchr(s, '/')) {
		lf_diag_error(d, NAME_POS, "metadata.name: '%s' must not contain '/'", s);
		return -1;
	}
	if (strstr(s, "..")) {
		lf_diag_error(d, NAME_POS, "metadata.name: '%s' must not contain '..'", s);
		return -1;
	}
#undef NAME_POS
	return 0;
}

/* Write each absent property's "default" into `inst`, following `s`. */
static void apply_defaults(json_t *doc, json_t *s, json_t *inst, int depth)
{
	const char *key;
	json_t *sub;

	s = deref(doc, s);
	if (!json_is_object(s) || !json_is_object(inst) || depth > 32)
		return;
	json_object_foreach (json_object_get(s, "properties"), key, sub) {
		json_t *ds = deref(doc, sub);
		json_t *cur = json_object_get(inst, key);
		json_t *def = json_object_get(ds, "default");

		if (!cur && def)
			json_object_set_new(inst, key, json_deep_copy(def));
		else if (json_is_object(cur))
			apply_defaults(doc, ds, cur, depth + 1);
		else if (json_is_array(cur)) {
			json_t *items = deref(doc, json_object_get(ds, "items"));
			size_t i;
			json_t *it;
			json_array_foreach (cur, i, it)
				apply_defaults(doc, items, it, depth + 1);
		}
	}
}

/*
 * What apply_defaults() would do with a kind's schema, worked out once: the
 * properties that hold a default or lead to one, in the schema's order.  A
 * Grant's only default is metadata.lifecycle.prevent_destroy; walking its
 * whole schema for each of 70,000 Grants was 6% of validate.
 */
struct dprop {
	const char *key;     /* the schema's */
	json_t *def;         /* borrowed from the schema, or NULL */
	struct dplan *obj;   /* for an object there, or NULL */
	struct dplan *items; /* for the items of an array there, or NULL */
};

struct dplan {
	struct dprop *v;
	size_t n;
};

#define DPLAN_BUDGET 100000 /* nodes; more (a recursive schema): walk as before */

static void dplan_free(struct dplan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		dplan_free(p->v[i].obj);
		dplan_free(p->v[i].items);
	}
	free(p->v);
	free(p);
}

/* apply_defaults(doc, s, ., depth) as a plan; NULL when it would change
 * nothing; *budget counts down the nodes visited. */
static struct dplan *dplan_make(json_t *doc, json_t *s, int depth, size_t *budget)
{
	const char *key;
	json_t *sub;
	struct dplan *p = NULL;
	size_t alloc = 0;

	s = deref(doc, s);
	if (!json_is_object(s) || depth > 32 || !*budget)
		return NULL;
	(*budget)--;
	json_object_foreach (json_object_get(s, "properties"), key, sub) {
		json_t *ds = deref(doc, sub);
		struct dprop e = {key, json_object_get(ds, "default"), NULL, NULL};

		e.obj = dplan_make(doc, ds, depth + 1, budget);
		e.items =
		    dplan_make(doc, deref(doc, json_object_get(ds, "items")), depth + 1, budget);
		if (!e.def && !e.obj && !e.items)
			continue;
		if (!p)
			p = lf_xcalloc(1, sizeof(*p));
		LF_GROW(p->v, p->n + 1, alloc);
		p->v[p->n++] = e;
	}
	return p;
}

/* apply_defaults() by its plan */
static void dplan_apply(const struct dplan *p, json_t *inst)
{
	if (!p || !json_is_object(inst))
		return;
	for (size_t i = 0; i < p->n; i++) {
		const struct dprop *e = &p->v[i];
		json_t *cur = json_object_get(inst, e->key);

		if (!cur && e->def)
			json_object_set_new(inst, e->key, json_deep_copy(e->def));
		else if (json_is_object(cur))
			dplan_apply(e->obj, cur);
		else if (json_is_array(cur)) {
			size_t j;
			json_t *it;
			json_array_foreach (cur, j, it)
				dplan_apply(e->items, it);
		}
	}
}

/* The defaults of each kind of `kinds` (by index), and whether a kind's
 * schema was too large to plan (then apply_defaults() walks it). */
struct dplans {
	struct dplan **v;
	unsigned char *walk;
};

static void dplans_make(struct dplans *ps, const struct lf_kinds *kinds)
{
	ps->v = lf_xcalloc(kinds->n + 1, sizeof(*ps->v));
	ps->walk = lf_xcalloc(kinds->n + 1, 1);
	for (size_t i = 0; i < kinds->n; i++) {
		const struct lf_kind *k = &kinds->v[i];
		size_t budget = DPLAN_BUDGET;
		ps->v[i] = dplan_make(k->schema, k->schema, 0, &budget);
		if (!budget) {
			dplan_free(ps->v[i]);
			ps->v[i] = NULL;
			ps->walk[i] = 1;
		}
	}
}

static void dplans_release(struct dplans *ps, const struct lf_kinds *kinds)
{
	for (size_t i = 0; i < kinds->n; i++)
		dplan_free(ps->v[i]);
	free(ps->v);
	free(ps->walk);
}

/* Write the defaults of kind `k` (of `kinds`) into `root`. */
static void defaults(const struct dplans *ps, const struct lf_kinds *kinds, const struct lf_kind *k,
                     json_t *root)
{
	size_t i = (size_t)(k - kinds->v);

	if (ps->walk[i])
		apply_defaults(k->schema, k->schema, root, 0);
	else
		dplan_apply(ps->v[i], root);
}

static const char *kind_of_doc(const struct lf_source *src, const struct lf_source_doc *doc,
                               const struct lf_kinds *kinds, struct lf_diags *d,
                               const struct lf_kind **out)
{
	json_t *root = doc->root;
	json_t *api = json_object_get(root, "apiVersion");
	json_t *kind = json_object_get(root, "kind");
	int bad = 0;

	*out = NULL;
	if (!api) {
		lf_diag_error(d, &doc->pos, "missing 'apiVersion' (expected '%s')", LF_API_VERSION);
		bad = 1;
	} else if (!json_is_string(api) || strcmp(json_string_value(api), LF_API_VERSION)) {
		struct lf_pos p = lf_source_path_pos(src, doc, "apiVersion", (size_t)-1);
		if (json_is_string(api)) {
			lf_diag_error(d, &p, "unsupported apiVersion '%s' (expected '%s')",
			              json_string_value(api), LF_API_VERSION);
		} else {
			lf_diag_error(d, &p, "apiVersion must be the string '%s'", LF_API_VERSION);
		}
		bad = 1;
	}
	if (!kind) {
		lf_diag_error(d, &doc->pos, "missing 'kind'");
		return NULL;
	}
	const char *name = json_string_value(kind);
	*out = name ? lf_kinds_find(kinds, name) : NULL;
	if (*out && (*out)->is_type)
		*out = NULL; /* provider types are made by expansion, not written */
	if (*out)
		return bad ? NULL : name;
	/* an error from here on: worth the cost of a position */
	struct lf_pos kp = lf_source_path_pos(src, doc, "kind", (size_t)-1);
	if (!json_is_string(kind)) {
		lf_diag_error(d, &kp, "kind must be a string");
		return NULL;
	}
	{
		const char *best = NULL;
		size_t bestd = 3;
		for (size_t i = 0; i < kinds->n; i++) {
			if (kinds->v[i].is_type)
				continue;
			size_t e = lf_edit_distance(name, kinds->v[i].name);
			if (e < bestd) {
				bestd = e;
				best = kinds->v[i].name;
			}
		}
		if (best)
			lf_diag_error(d, &kp, "unknown kind '%s' (did you mean '%s'?)", name, best);
		else
			lf_diag_error(d, &kp, "unknown kind '%s'", name);
		return NULL;
	}
}

/* The address of a resource: lowercase kind, then its identity values. */
static char *make_address(const struct lf_kind *k, json_t *root)
{
	struct lf_buf b = LF_BUF_INIT;

	lf_buf_adds(&b, k->lower);
	for (size_t i = 0; i < k->nidentity; i++) {
		const char *v = json_string_value(lf_json_path(root, k->identity[i]));
		if (!v) {
			lf_buf_release(&b);
			return NULL;
		}
		lf_buf_addf(&b, "/%s", v);
	}
	return lf_buf_detach(&b);
}

/* The kind of `doc` when kind_of_doc() would find it without a word,
 * else NULL; reads only. */
static const struct lf_kind *plain_kind(const struct lf_source_doc *doc,
                                        const struct lf_kinds *kinds)
{
	const char *api = json_string_value(json_object_get(doc->root, "apiVersion"));
	const char *name = json_string_value(json_object_get(doc->root, "kind"));
	const struct lf_kind *k = name ? lf_kinds_find(kinds, name) : NULL;

	if (!json_is_object(doc->root) || !api || strcmp(api, LF_API_VERSION) || !k || k->is_type)
		return NULL;
	return k;
}

/* Whether check_name() would accept the name of `doc`; reads only. */
static int plain_name(const struct lf_source_doc *doc)
{
	json_t *name = json_object_get(json_object_get(doc->root, "metadata"), "name");
	const char *s = json_string_value(name);

	if (!s)
		return 1;
	for (size_t i = 0; i < json_string_length(name); i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return !strchr(s, '/') && !strstr(s, "..");
}

static void count_only(void *ctx, const struct lf_jpath_seg *path, size_t depth, const char *msg)
{
}

struct prevalid {
	const struct lf_source *src;
	const struct lf_kinds *kinds;
	unsigned char *valid;        /* per document: checked and defaulted */
	const struct lf_kind **kind; /* per valid document: its kind */
	char **address;              /* per valid document: make_address()'s, owned */
	const char **name;           /* per valid document: metadata.name */
	struct dplans plans;
};

/*
 * Schema-check document i, and write its defaults when it passes, on
 * whichever core: documents are independent.  A document that would need
 * a diagnostic (of its kind, its name or its schema) is left to the
 * single-threaded pass, which reports it where positions are looked up.
 */
static void prevalidate(void *arg, size_t i)
{
	struct prevalid *p = arg;
	const struct lf_source_doc *doc = &p->src->docs[i];
	const struct lf_kind *k = plain_kind(doc, p->kinds);

	if (!k || !plain_name(doc) || lf_schema_validate(k->compiled, doc->root, count_only, NULL))
		return;
	defaults(&p->plans, p->kinds, k, doc->root);
	p->valid[i] = 1;
	p->kind[i] = k;
	p->address[i] = make_address(k, doc->root);
	p->name[i] = json_string_value(lf_json_path(doc->root, "metadata.name"));
}

int lf_manifest_build(struct lf_manifest *m, const struct lf_source *src,
                      const struct lf_kinds *kinds, struct lf_diags *d)
{
	size_t errors_before = d->errors;
	struct prevalid pv = {src,
	                      kinds,
	                      lf_xcalloc(src->ndocs + 1, 1),
	                      lf_xcalloc(src->ndocs + 1, sizeof(*pv.kind)),
	                      lf_xcalloc(src->ndocs + 1, sizeof(*pv.address)),
	                      lf_xcalloc(src->ndocs + 1, sizeof(*pv.name)),
	                      {NULL, NULL}};

	m->src = src;
	m->kinds = kinds;
	for (size_t fi = 0; fi < src->nfiles; fi++) {
		const struct lf_source_file *f = &src->files[fi];
		size_t real = 0;

		for (size_t i = 0; i < f->ndocs; i++)
			if (!json_is_null(src->docs[f->first_doc + i].root))
				real++;
		if (!f->failed && real == 0)
			lf_diag_file_error(d, f->path, "no documents in file");
	}
	dplans_make(&pv.plans, kinds);
	lf_par_for(src->ndocs, prevalidate, &pv);
	for (size_t i = 0; i < src->ndocs; i++) {
		const struct lf_source_doc *doc = &src->docs[i];
		const struct lf_kind *k = pv.kind[i];
		struct schema_ctx ctx = {src, doc, d, 0};
		char *addr = pv.address[i];

		/* a document prevalidate() passed has its kind and a name
		 * kind_of_doc() and check_name() accept: nothing to say */
		if (!pv.valid[i]) {
			if (json_is_null(doc->root))
				continue; /* an empty document between '---' lines */
			if (!json_is_object(doc->root)) {
				lf_diag_error(d, &doc->pos,
				              "a manifest must be a mapping with 'apiVersion', "
				              "'kind', 'metadata' and 'spec'");
				continue;
			}
			if (!kind_of_doc(src, doc, kinds, d, &k))
				continue;
			ctx.skip_name = check_name(src, doc, d) != 0;
			if (lf_schema_validate(k->compiled, doc->root, on_schema_error, &ctx) ||
			    ctx.skip_name)
				continue;
			defaults(&pv.plans, kinds, k, doc->root);
			addr = make_address(k, doc->root);
		}
		if (!addr) {
			lf_diag_error(d, &doc->pos, "cannot form an address for this %s", k->name);
			continue;
		}
		/* indexes, not pointers: the array still moves */
		uintptr_t seen =
		    (uintptr_t)lf_map_add(&m->by_address, addr, (void *)(uintptr_t)(m->nres + 1));
		if (seen) {
			const struct lf_resource *prev = &m->res[seen - 1];
			struct lf_pos p = lf_source_path_pos(src, doc, "metadata.name", (size_t)-1);
			struct lf_pos pp =
			    lf_source_path_pos(src, prev->doc, "metadata.name", (size_t)-1);
			lf_diag_error(d, &p, "duplicate %s '%s' (first defined at %s:%u:%u)",
			              k->lower, addr + strlen(k->lower) + 1, pp.file, pp.line,
			              pp.col);
			free(addr);
			continue;
		}
		LF_GROW(m->res, m->nres + 1, m->res_alloc);
		struct lf_resource *r = &m->res[m->nres++];
		r->kind = k;
		r->doc = doc;
		r->value = doc->root;
		/* looked up in prevalidate(), on both cores, when it passed */
		r->name = pv.valid[i] ? pv.name[i]
		                      : json_string_value(lf_json_path(doc->root, "metadata.name"));
		r->address = addr;
	}
	free(pv.valid);
	free(pv.kind);
	free(pv.address);
	free(pv.name);
	dplans_release(&pv.plans, kinds);
	return d->errors > errors_before ? -1 : 0;
}

const struct lf_resource *lf_manifest_get(const struct lf_manifest *m, const char *address)
{
	uintptr_t i = (uintptr_t)lf_map_get(&m->by_address, address);

	return i ? &m->res[i - 1] : NULL;
}

char *lf_principal_address(const char *p)
{
	static const struct {
		const char *prefix, *type;
	} kinds[] = {
	    {"user:", "user"}, {"group:", "group"}, {"service_principal:", "serviceprincipal"}};

	if (!p)
		return NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].prefix);
		if (!strncmp(p, kinds[i].prefix, n) && p[n])
			return lf_xasprintf("%s/%s", kinds[i].type, p + n);
	}
	return NULL;
}

void lf_manifest_release(struct lf_manifest *m)
{
	for (size_t i = 0; i < m->nres; i++)
		free(m->res[i].address);
	free(m->res);
	lf_map_release(&m->by_address);
	memset(m, 0, sizeof(*m));
}
