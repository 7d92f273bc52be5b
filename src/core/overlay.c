#include "overlay.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "git.h"
#include "manifest.h"
#include "yaml.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/mem.h"

static const char *const var_types[] = {"string", "number", "bool", "list", "map", NULL};

int lf_overlay_active(const json_t *settings)
{
	return json_object_get(settings, "base") || json_object_get(settings, "patches") ||
	       json_object_get(settings, "variables");
}

/* ---- a path into a document, grown as a walk goes down ------------------- */

struct path {
	struct lf_yaml_pathseg *v;
	size_t n, alloc;
};

static void path_key(struct path *p, const char *key)
{
	LF_GROW(p->v, p->n + 1, p->alloc);
	p->v[p->n].key = key;
	p->v[p->n].index = 0;
	p->n++;
}

static void path_index(struct path *p, size_t index)
{
	LF_GROW(p->v, p->n + 1, p->alloc);
	p->v[p->n].key = NULL;
	p->v[p->n].index = index;
	p->n++;
}

static struct lf_pos pos_at(const struct lf_source *src, const struct lf_source_doc *doc,
                            const struct path *p, int want_key)
{
	return lf_source_pos(src, doc, p->v, p->n, want_key);
}

/* ---- checking lakeform.yaml ---------------------------------------------- */

static int valid_var_name(const char *s)
{
	if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int is_type(const char *t)
{
	for (int i = 0; t && var_types[i]; i++)
		if (!strcmp(t, var_types[i]))
			return 1;
	return 0;
}

static int type_matches(const char *type, const json_t *v)
{
	if (!strcmp(type, "string"))
		return json_is_string(v);
	if (!strcmp(type, "number"))
		return json_is_number(v);
	if (!strcmp(type, "bool"))
		return json_is_boolean(v);
	if (!strcmp(type, "list"))
		return json_is_array(v);
	return json_is_object(v);
}

static const char *type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a bool";
	case JSON_ARRAY:
		return "a list";
	case JSON_OBJECT:
		return "a map";
	default:
		return "null";
	}
}

void lf_overlay_check_settings(const struct lf_source *src, const struct lf_source_doc *doc,
                               struct lf_diags *d)
{
	struct path p = {0};
	json_t *root = doc->root, *v;
	struct lf_pos at;

	v = json_object_get(root, "base");
	if (v && (!json_is_string(v) || !json_string_length(v))) {
		path_key(&p, "base");
		at = pos_at(src, doc, &p, 0);
		lf_diag_error(d, &at, "base must be the path of a directory, such as ../base");
		p.n = 0;
	} else if (v && json_string_value(v)[0] == '/') {
		path_key(&p, "base");
		at = pos_at(src, doc, &p, 0);
		lf_diag_error(d, &at,
		              "base '%s' must be a path relative to this directory, such as "
		              "../base",
		              json_string_value(v));
		p.n = 0;
	}

	json_t *patches = json_object_get(root, "patches");
	if (patches && !json_is_array(patches)) {
		path_key(&p, "patches");
		at = pos_at(src, doc, &p, 0);
		lf_diag_error(d, &at,
		              "patches must be a list of {target: {kind, name}, merge: {...}} or "
		              "{target: {kind, name}, json: [...]}");
		p.n = 0;
	}
	size_t i;
	json_t *patch;
	json_array_foreach (patches, i, patch) {
		p.n = 0;
		path_key(&p, "patches");
		path_index(&p, i);
		at = pos_at(src, doc, &p, 0);
		if (!json_is_object(patch)) {
			lf_diag_error(d, &at,
			              "patches[%zu] must be a mapping with target and merge "
			              "or json",
			              i);
			continue;
		}
		const char *k;
		json_t *e;
		json_object_foreach (patch, k, e) {
			if (strcmp(k, "target") && strcmp(k, "merge") && strcmp(k, "json")) {
				path_key(&p, k);
				struct lf_pos kp = pos_at(src, doc, &p, 1);
				lf_diag_error(
				    d, &kp,
				    "unknown key '%s' in patches[%zu] (target, merge, json)", k, i);
				p.n--;
			}
		}
		json_t *t = json_object_get(patch, "target");
		if (!json_is_object(t) || !json_is_string(json_object_get(t, "kind")) ||
		    !json_is_string(json_object_get(t, "name")) || json_object_size(t) != 2) {
			if (t)
				path_key(&p, "target");
			struct lf_pos tp = pos_at(src, doc, &p, 0);
			lf_diag_error(
			    d, &tp,
			    "patches[%zu].target must be a mapping of kind and name, such "
			    "as {kind: Workspace, name: analytics}",
			    i);
			if (t)
				p.n--;
		}
		json_t *merge = json_object_get(patch, "merge"),
		       *js = json_object_get(patch, "json");
		if (!merge == !js) {
			lf_diag_error(d, &at,
			              "patches[%zu] needs exactly one of merge (RFC 7386) "
			              "and json (RFC 6902)",
			              i);
		} else if (merge && !json_is_object(merge)) {
			path_key(&p, "merge");
			struct lf_pos mp = pos_at(src, doc, &p, 0);
			lf_diag_error(
			    d, &mp, "patches[%zu].merge must be a mapping (a JSON merge patch)", i);
			p.n--;
		} else if (js && !json_is_array(js)) {
			path_key(&p, "json");
			struct lf_pos jp = pos_at(src, doc, &p, 0);
			lf_diag_error(d, &jp,
			              "patches[%zu].json must be a list of operations (a JSON "
			              "patch)",
			              i);
			p.n--;
		}
		size_t j;
		json_t *op;
		path_key(&p, "json");
		json_array_foreach (js, j, op) {
			static const char *const ops[] = {"add",  "remove", "replace",
			                                  "move", "copy",   "test"};
			const char *name = json_string_value(json_object_get(op, "op"));
			int known = 0;
			for (size_t o = 0; name && o < sizeof(ops) / sizeof(ops[0]); o++)
				known |= !strcmp(name, ops[o]);
			path_index(&p, j);
			struct lf_pos op_pos = pos_at(src, doc, &p, 0);
			if (!json_is_object(op) || !known) {
				lf_diag_error(
				    d, &op_pos,
				    "patches[%zu].json[%zu] must be a mapping with op (add, "
				    "remove, replace, move, copy, test) and path",
				    i, j);
			} else if (!json_is_string(json_object_get(op, "path"))) {
				lf_diag_error(d, &op_pos,
				              "patches[%zu].json[%zu]: '%s' needs a path, such as "
				              "/spec/region",
				              i, j, name);
			} else if ((!strcmp(name, "add") || !strcmp(name, "replace") ||
			            !strcmp(name, "test")) &&
			           !json_object_get(op, "value")) {
				lf_diag_error(d, &op_pos,
				              "patches[%zu].json[%zu]: '%s' needs a value", i, j,
				              name);
			} else if ((!strcmp(name, "move") || !strcmp(name, "copy")) &&
			           !json_is_string(json_object_get(op, "from"))) {
				lf_diag_error(d, &op_pos, "patches[%zu].json[%zu]: '%s' needs from",
				              i, j, name);
			}
			p.n--;
		}
	}

	json_t *vars = json_object_get(root, "variables");
	p.n = 0;
	path_key(&p, "variables");
	if (vars && !json_is_object(vars)) {
		at = pos_at(src, doc, &p, 0);
		lf_diag_error(d, &at,
		              "variables must be a mapping of names to {type, default, "
		              "description}");
	}
	const char *name;
	json_object_foreach (vars, name, v) {
		path_key(&p, name);
		struct lf_pos kp = pos_at(src, doc, &p, 1), vp = pos_at(src, doc, &p, 0);
		const char *type = json_string_value(json_object_get(v, "type"));
		if (!valid_var_name(name))
			lf_diag_error(d, &kp,
			              "variable name '%s': letters, digits and '_', not starting "
			              "with a digit",
			              name);
		if (!json_is_object(v)) {
			lf_diag_error(d, &vp,
			              "variables.%s must be a mapping of type, default and "
			              "description",
			              name);
			p.n--;
			continue;
		}
		const char *k;
		json_t *e;
		json_object_foreach (v, k, e) {
			if (strcmp(k, "type") && strcmp(k, "default") && strcmp(k, "description")) {
				path_key(&p, k);
				struct lf_pos ep = pos_at(src, doc, &p, 1);
				lf_diag_error(d, &ep,
				              "unknown key '%s' in variables.%s (type, default, "
				              "description)",
				              k, name);
				p.n--;
			}
		}
		if (!is_type(type)) {
			if (json_object_get(v, "type"))
				path_key(&p, "type");
			struct lf_pos tp = pos_at(src, doc, &p, 0);
			lf_diag_error(
			    d, &tp,
			    "variables.%s.type must be one of string, number, bool, list, "
			    "map",
			    name);
			if (json_object_get(v, "type"))
				p.n--;
		} else if (json_object_get(v, "default") &&
		           !type_matches(type, json_object_get(v, "default"))) {
			path_key(&p, "default");
			struct lf_pos dp = pos_at(src, doc, &p, 0);
			lf_diag_error(d, &dp, "variables.%s.default is %s, not a %s", name,
			              type_of(json_object_get(v, "default")), type);
			p.n--;
		}
		p.n--;
	}
	free(p.v);
}

/* ---- origins --------------------------------------------------------------- */

/* Record where every node under `node` (at `p` in `file`/`docidx` of
 * `from`) was written; `copy` is its copy in `doc` (or the node itself). */
static void mark(struct lf_source_doc *doc, json_t *copy, const struct lf_source *from, size_t file,
                 unsigned docidx, struct lf_pos doc_pos, struct path *p)
{
	struct lf_source_origin o = {from, file, docidx, doc_pos, p->v, p->n, NULL};
	lf_source_origin_set(doc, copy, &o);
	/* an origin is kept by node: a string the parse shared between
	 * places (yaml.c) gets a node of its own here */
	if (json_is_object(copy)) {
		const char *k;
		json_t *v;
		json_object_foreach (copy, k, v) {
			if (json_is_string(v) && v->refcount > 1) {
				v = json_copy(v);
				json_object_set_new(copy, k, v);
			}
			path_key(p, k);
			mark(doc, v, from, file, docidx, doc_pos, p);
			p->n--;
		}
	} else if (json_is_array(copy)) {
		size_t i;
		json_t *v;
		json_array_foreach (copy, i, v) {
			if (json_is_string(v) && v->refcount > 1) {
				v = json_copy(v);
				json_array_set_new(copy, i, v);
			}
			path_index(p, i);
			mark(doc, v, from, file, docidx, doc_pos, p);
			p->n--;
		}
	}
}

/* Before a document is first changed, each of its nodes learns where it was
 * read, so that moving items keeps their positions. */
static void mark_document(const struct lf_source *src, struct lf_source_doc *doc)
{
	struct path p = {0};

	if (lf_source_origin_get(doc, doc->root))
		return;
	mark(doc, doc->root, src, doc->file, doc->index, doc->pos, &p);
	free(p.v);
}

/* A copy of `v` for `doc` whose nodes keep the origins of those of `v`
 * (a JSON patch's copy). */
static json_t *copy_keeping(struct lf_source_doc *doc, json_t *v)
{
	json_t *c;

	if (json_is_object(v)) {
		const char *k;
		json_t *e;
		c = json_object();
		json_object_foreach (v, k, e)
			json_object_set_new(c, k, copy_keeping(doc, e));
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;
		c = json_array();
		json_array_foreach (v, i, e)
			json_array_append_new(c, copy_keeping(doc, e));
	} else {
		c = json_copy(v);
	}
	const struct lf_source_origin *o = lf_source_origin_get(doc, v);
	if (o) {
		struct lf_source_origin keep = *o;
		lf_source_origin_set(doc, c, &keep);
	}
	return c;
}

/* ---- patches --------------------------------------------------------------- */

struct patching {
	struct lf_source *out; /* the manifests */
	struct lf_source *aux; /* the lakeform.yaml holding the patch */
	size_t sfile;          /* its file in aux */
	struct lf_source_doc *sdoc;
	struct lf_source_doc *doc; /* the document patched */
	struct lf_diags *d;
};

/* A copy of the patch's `v` (at `p` in the settings) for the document. */
static json_t *from_patch(struct patching *c, json_t *v, struct path *p)
{
	json_t *copy = json_deep_copy(v);
	mark(c->doc, copy, c->aux, c->sfile, c->sdoc->index, c->sdoc->pos, p);
	return copy;
}

/* RFC 7386: the result of merging `patch` into `target` (borrowed, may be
 * NULL); a new reference. */
static json_t *merge(struct patching *c, json_t *target, json_t *patch, struct path *p)
{
	if (!json_is_object(patch))
		return from_patch(c, patch, p);
	json_t *res;
	if (json_is_object(target)) {
		res = json_incref(target);
	} else {
		res = json_object();
		struct lf_source_origin o = {c->aux, c->sfile, c->sdoc->index, c->sdoc->pos, p->v,
		                             p->n,   NULL};
		lf_source_origin_set(c->doc, res, &o);
	}
	const char *k;
	json_t *v;
	json_object_foreach (patch, k, v) {
		if (json_is_null(v)) {
			json_object_del(res, k);
			continue;
		}
		path_key(p, k);
		json_object_set_new(res, k, merge(c, json_object_get(res, k), v, p));
		p->n--;
	}
	return res;
}

/* The document's file and line, for messages about what a patch found. */
static char *where(struct patching *c)
{
	return lf_xasprintf("%s:%u", c->doc->pos.file, c->doc->pos.line);
}

/* A JSON pointer's tokens (RFC 6901), or -1 for a malformed one. */
static int pointer_split(const char *ptr, char ***toks, size_t *n)
{
	*toks = NULL;
	*n = 0;
	if (*ptr != '/')
		return -1;
	size_t alloc = 0;
	for (const char *s = ptr; *s == '/';) {
		const char *e = strchr(s + 1, '/');
		size_t len = e ? (size_t)(e - s - 1) : strlen(s + 1);
		char *t = lf_xmalloc(len + 1), *w = t;
		for (size_t i = 0; i < len; i++) {
			char ch = s[1 + i];
			if (ch == '~') {
				char nx = i + 1 < len ? s[2 + i] : 0;
				if (nx != '0' && nx != '1') {
					free(t);
					lf_strv_free(*toks, *n);
					*toks = NULL;
					*n = 0;
					return -1;
				}
				ch = nx == '0' ? '~' : '/';
				i++;
			}
			*w++ = ch;
		}
		*w = '\0';
		LF_GROW(*toks, *n + 1, alloc);
		(*toks)[(*n)++] = t;
		if (!e)
			break;
		s = e;
	}
	return 0;
}

/* An array index token: digits without a leading zero; -1 otherwise. */
static long index_token(const char *t)
{
	if (!*t || (t[0] == '0' && t[1]) || strlen(t) > 9)
		return -1;
	for (const char *s = t; *s; s++)
		if (*s < '0' || *s > '9')
			return -1;
	return strtol(t, NULL, 10);
}

/* Follow tokens[0..n) from the document's root: the node, or NULL with
 * *why set (malloc'ed). */
static json_t *follow(json_t *root, char **toks, size_t n, char **why)
{
	json_t *node = root;
	struct lf_buf at = LF_BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		json_t *next = NULL;
		if (json_is_object(node)) {
			next = json_object_get(node, toks[i]);
			if (!next)
				*why = lf_xasprintf("no member '%s' at '%s'", toks[i],
				                    at.len ? at.ptr : "/");
		} else if (json_is_array(node)) {
			long ix = index_token(toks[i]);
			if (ix < 0)
				*why = lf_xasprintf("'%s' is not an index of the list at '%s'",
				                    toks[i], at.len ? at.ptr : "/");
			else if (!(next = json_array_get(node, (size_t)ix)))
				*why = lf_xasprintf("no item %ld at '%s' (the list has %zu)", ix,
				                    at.len ? at.ptr : "/", json_array_size(node));
		} else {
			*why = lf_xasprintf("'%s' is %s, which has no members",
			                    at.ptr ? at.ptr : "/", type_of(node));
		}
		if (!next) {
			lf_buf_release(&at);
			return NULL;
		}
		lf_buf_addf(&at, "/%s", toks[i]);
		node = next;
	}
	lf_buf_release(&at);
	return node;
}

/* Remove (take) the node the tokens name; a new reference, or NULL. */
static json_t *take(json_t *parent, const char *tok)
{
	json_t *v;
	if (json_is_object(parent)) {
		v = json_object_get(parent, tok);
		if (v) {
			json_incref(v);
			json_object_del(parent, tok);
		}
		return v;
	}
	long ix = index_token(tok);
	v = ix >= 0 ? json_array_get(parent, (size_t)ix) : NULL;
	if (v) {
		json_incref(v);
		json_array_remove(parent, (size_t)ix);
	}
	return v;
}

/* Put `v` (stolen) under `parent` at `tok`: insert into a list, set a
 * member.  0, or -1 with *why. */
static int put(json_t *parent, const char *tok, json_t *v, int replace, char **why)
{
	if (json_is_object(parent)) {
		if (replace && !json_object_get(parent, tok)) {
			*why = lf_xasprintf("no member '%s' to replace", tok);
			json_decref(v);
			return -1;
		}
		json_object_set_new(parent, tok, v);
		return 0;
	}
	if (json_is_array(parent)) {
		size_t size = json_array_size(parent);
		long ix = !strcmp(tok, "-") && !replace ? (long)size : index_token(tok);
		if (ix < 0 || (size_t)ix > size || (replace && (size_t)ix == size)) {
			*why = lf_xasprintf("no item %s in a list of %zu", tok, size);
			json_decref(v);
			return -1;
		}
		if (replace)
			json_array_set_new(parent, (size_t)ix, v);
		else
			json_array_insert_new(parent, (size_t)ix, v);
		return 0;
	}
	*why = lf_xasprintf("the parent is %s, which has no members", type_of(parent));
	json_decref(v);
	return -1;
}

/* One operation of a JSON patch (RFC 6902); `p` is at patches[i].json[j]. */
static int json_op(struct patching *c, json_t *op, struct path *p, char **why)
{
	const char *name = json_string_value(json_object_get(op, "op"));
	const char *ptr = json_string_value(json_object_get(op, "path"));
	char **toks = NULL, **ftoks = NULL;
	size_t n = 0, fn = 0;
	int rc = -1;

	if (pointer_split(ptr, &toks, &n) || n == 0) {
		*why = lf_xasprintf("path '%s' must be a JSON pointer below the document, such "
		                    "as /spec/region",
		                    ptr);
		goto out;
	}
	json_t *root = c->doc->root;
	json_t *parent = follow(root, toks, n - 1, why);
	if (!parent)
		goto out;
	const char *last = toks[n - 1];
	if (!strcmp(name, "add") || !strcmp(name, "replace")) {
		path_key(p, "value");
		json_t *v = from_patch(c, json_object_get(op, "value"), p);
		p->n--;
		rc = put(parent, last, v, !strcmp(name, "replace"), why);
	} else if (!strcmp(name, "remove")) {
		json_t *v = follow(root, toks, n, why);
		if (v) {
			json_decref(take(parent, last));
			rc = 0;
		}
	} else if (!strcmp(name, "test")) {
		json_t *v = follow(root, toks, n, why);
		if (v && !json_equal(v, json_object_get(op, "value"))) {
			char *have = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			*why = lf_xasprintf("test failed: '%s' is %s", ptr, have ? have : "?");
			free(have);
		} else if (v) {
			rc = 0;
		}
	} else { /* move, copy */
		const char *from = json_string_value(json_object_get(op, "from"));
		if (pointer_split(from, &ftoks, &fn) || fn == 0) {
			*why = lf_xasprintf("from '%s' must be a JSON pointer below the document",
			                    from);
			goto out;
		}
		size_t flen = strlen(from);
		/* RFC 6902 4.4: from must not be a proper prefix of path */
		if (!strcmp(name, "move") && !strncmp(ptr, from, flen) && ptr[flen] == '/') {
			*why = lf_xasprintf("cannot move '%s' into itself", from);
			goto out;
		}
		json_t *fparent = follow(root, ftoks, fn - 1, why);
		json_t *v = fparent ? follow(root, ftoks, fn, why) : NULL;
		if (!v)
			goto out;
		if (!strcmp(name, "copy")) {
			rc = put(parent, last, copy_keeping(c->doc, v), 0, why);
		} else {
			v = take(fparent, ftoks[fn - 1]);
			/* the target's parent may have moved with it: look again */
			parent = follow(root, toks, n - 1, why);
			if (!parent) {
				json_decref(v);
				goto out;
			}
			rc = put(parent, last, v, 0, why);
		}
	}
out:
	lf_strv_free(toks, n);
	lf_strv_free(ftoks, fn);
	return rc;
}

static void apply_patch(struct patching *c, json_t *patch, size_t i, struct path *p)
{
	json_t *merge_patch = json_object_get(patch, "merge");
	struct lf_diags *d = c->d;

	mark_document(c->out, c->doc);
	if (merge_patch) {
		path_key(p, "merge");
		json_t *res = merge(c, c->doc->root, merge_patch, p);
		p->n--;
		json_decref(c->doc->root);
		c->doc->root = res;
		return;
	}
	size_t j;
	json_t *op;
	path_key(p, "json");
	json_array_foreach (json_object_get(patch, "json"), j, op) {
		char *why = NULL;
		path_index(p, j);
		if (json_op(c, op, p, &why) != 0) {
			path_key(p, "path");
			struct lf_pos at = pos_at(c->aux, c->sdoc, p, 0);
			char *w = where(c);
			lf_diag_error(d, &at, "patches[%zu].json[%zu]: %s '%s' of %s '%s' (%s): %s",
			              i, j, json_string_value(json_object_get(op, "op")),
			              json_string_value(json_object_get(op, "path")),
			              json_string_value(json_object_get(c->doc->root, "kind")),
			              json_string_value(json_object_get(
			                  json_object_get(c->doc->root, "metadata"), "name")),
			              w, why);
			free(w);
			free(why);
			p->n--;
			p->n--;
			break; /* the operations after it would work on a half patch */
		}
		p->n--;
	}
	p->n--;
}

static void apply_patches(struct lf_source *out, struct lf_source *aux, size_t sfile,
                          struct lf_source_doc *sdoc, struct lf_diags *d)
{
	size_t i;
	json_t *patch;
	struct path p = {0};

	json_array_foreach (json_object_get(sdoc->root, "patches"), i, patch) {
		json_t *t = json_object_get(patch, "target");
		const char *kind = json_string_value(json_object_get(t, "kind"));
		const char *name = json_string_value(json_object_get(t, "name"));
		size_t found = 0;

		p.n = 0;
		path_key(&p, "patches");
		path_index(&p, i);
		for (size_t k = 0; k < out->ndocs; k++) {
			json_t *root = out->docs[k].root;
			const char *dk = json_string_value(json_object_get(root, "kind"));
			const char *dn = json_string_value(
			    json_object_get(json_object_get(root, "metadata"), "name"));
			if (!dk || !dn || strcmp(dk, kind) || strcmp(dn, name))
				continue;
			struct patching c = {out, aux, sfile, sdoc, &out->docs[k], d};
			found++;
			apply_patch(&c, patch, i, &p);
		}
		if (!found) {
			path_key(&p, "target");
			struct lf_pos at = pos_at(aux, sdoc, &p, 0);
			lf_diag_error(d, &at,
			              "patches[%zu].target: no %s named '%s' in the manifests this "
			              "directory and its bases declare",
			              i, kind, name);
		}
	}
	free(p.v);
}

/* ---- bases ------------------------------------------------------------------- */

/* `dir`/`rel` lexically normalised ("../base", "."), and how far above
 * the configuration directory it climbs. */
static char *join_dir(const char *dir, const char *rel, unsigned *up)
{
	char *all = lf_xasprintf("%s/%s", dir, rel);
	char **parts = NULL;
	size_t n = 0, alloc = 0;

	*up = 0;
	char *save = NULL;
	for (char *s = strtok_r(all, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (!strcmp(s, "."))
			continue;
		if (!strcmp(s, "..") && n && strcmp(parts[n - 1], "..")) {
			n--;
			continue;
		}
		LF_GROW(parts, n + 1, alloc);
		parts[n++] = s;
	}
	struct lf_buf b = LF_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(parts[i], ".."))
			(*up)++;
		lf_buf_addf(&b, "%s%s", i ? "/" : "", parts[i]);
	}
	if (!n)
		lf_buf_addf(&b, ".");
	free(parts);
	free(all);
	return lf_buf_detach(&b);
}

/* Whether directory `a` lies inside directory `b` (both normalised). */
static int inside(const char *a, const char *b)
{
	if (!strcmp(b, "."))
		return strncmp(a, "..", 2) != 0;
	size_t n = strlen(b);
	return !strncmp(a, b, n) && a[n] == '/';
}

struct decl {
	const char *name;
	const char *type;
	json_t *dflt; /* borrowed from aux, or NULL */
	size_t sdoc;  /* the declaring lakeform.yaml: index into aux's docs */
};

struct loading {
	const struct lf_overlay_io *io;
	struct lf_source *out;
	struct decl *decls;
	size_t ndecls, decls_alloc;
	char *chain[LF_OVERLAY_MAX_DEPTH + 1];       /* from the top of the reach */
	const char *names[LF_OVERLAY_MAX_DEPTH + 1]; /* from the configuration */
	size_t depth;
	struct lf_diags *d;
};

/* Errors of a loader that carry no position are said at `at`. */
static void relay(struct lf_diags *to, struct lf_diags *from, const struct lf_pos *at,
                  const char *base)
{
	for (size_t i = 0; i < from->n; i++) {
		struct lf_diag *e = &from->v[i];
		if (e->file) {
			struct lf_pos p = {e->file, e->line, e->col};
			if (e->line)
				lf_diag_error(to, &p, "%s", e->msg);
			else
				lf_diag_file_error(to, e->file, "%s", e->msg);
		} else {
			lf_diag_error(to, at, "base '%s': %s", base, e->msg);
		}
	}
}

static int load_level(struct loading *l, const char *dir, const struct lf_pos *base_pos,
                      const char *base_text)
{
	struct lf_source *aux = l->out->aux;
	size_t nfiles = aux->nfiles, errors = l->d->errors;
	struct lf_diags tmp = LF_DIAGS_INIT;

	l->io->load_settings(l->io->arg, aux, dir, &tmp);
	relay(l->d, &tmp, base_pos, base_text);
	lf_diags_release(&tmp);
	if (l->d->errors != errors)
		return -1;
	struct lf_source_doc *sdoc = NULL;
	size_t sfile = 0;
	if (aux->nfiles > nfiles) {
		sfile = aux->nfiles - 1;
		if (aux->files[sfile].ndocs != 1 ||
		    !json_is_object(aux->docs[aux->files[sfile].first_doc].root)) {
			lf_diag_file_error(l->d, aux->files[sfile].path,
			                   "must hold one mapping of settings");
			return -1;
		}
		sdoc = &aux->docs[aux->files[sfile].first_doc];
		/* the top's was checked with the other settings, when it is the
		 * configuration directory's: then this finds nothing new */
		lf_overlay_check_settings(aux, sdoc, l->d);
		if (l->d->errors != errors)
			return -1;
	}

	const char *base = sdoc ? json_string_value(json_object_get(sdoc->root, "base")) : NULL;
	if (base) {
		struct path p = {0};
		path_key(&p, "base");
		struct lf_pos at = pos_at(aux, sdoc, &p, 0);
		free(p.v);
		unsigned up = 0, rup = 0;
		char *bdir = join_dir(dir, base, &up);
		/* the same directory has one name from the top of the reach */
		char *broot = join_dir(*l->io->top ? l->io->top : ".", bdir, &rup);
		int bad = 0;
		if (rup > 0) {
			lf_diag_error(l->d, &at,
			              "base '%s' lies outside %s, beyond the reach of bases", base,
			              l->io->reach_name);
			bad = 1;
		} else if (inside(bdir, dir) || !strcmp(bdir, dir)) {
			int self = !strcmp(bdir, dir);
			lf_diag_error(l->d, &at,
			              self
			                  ? "base '%s' is this directory itself"
			                  : "base '%s' lies inside this directory, whose files are "
			                    "read already: put it beside it",
			              base);
			bad = 1;
		}
		for (size_t i = 0; !bad && i <= l->depth; i++) {
			if (strcmp(l->chain[i], broot))
				continue;
			struct lf_buf cyc = LF_BUF_INIT;
			for (size_t k = i; k <= l->depth; k++)
				lf_buf_addf(&cyc, "%s -> ", l->names[k]);
			lf_buf_addf(&cyc, "%s", bdir);
			lf_diag_error(l->d, &at, "cycle of bases: %s", cyc.ptr);
			lf_buf_release(&cyc);
			bad = 1;
		}
		if (!bad && l->depth + 1 >= LF_OVERLAY_MAX_DEPTH) {
			lf_diag_error(l->d, &at, "more than %d bases in a chain",
			              LF_OVERLAY_MAX_DEPTH);
			bad = 1;
		}
		if (bad) {
			free(bdir);
			free(broot);
			return -1;
		}
		l->depth++;
		l->chain[l->depth] = broot;
		l->names[l->depth] = bdir;
		int err = load_level(l, bdir, &at, base);
		l->depth--;
		free(bdir);
		free(broot);
		if (err)
			return -1;
		/* the base's load may have moved aux's documents */
		sdoc = &aux->docs[aux->files[sfile].first_doc];
	}

	errors = l->d->errors;
	tmp = (struct lf_diags)LF_DIAGS_INIT;
	l->io->load_dir(l->io->arg, l->out, dir, &tmp);
	relay(l->d, &tmp, base_pos, base_text);
	lf_diags_release(&tmp);
	if (l->d->errors != errors)
		return -1;
	if (!sdoc)
		return 0;

	apply_patches(l->out, aux, sfile, sdoc, l->d);

	const char *name;
	json_t *v;
	json_object_foreach (json_object_get(sdoc->root, "variables"), name, v) {
		struct decl *dc = NULL;
		for (size_t i = 0; i < l->ndecls; i++)
			if (!strcmp(l->decls[i].name, name))
				dc = &l->decls[i];
		if (!dc) {
			LF_GROW(l->decls, l->ndecls + 1, l->decls_alloc);
			dc = &l->decls[l->ndecls++];
		}
		/* a directory's declaration overrides its base's */
		dc->name = name;
		dc->type = json_string_value(json_object_get(v, "type"));
		dc->dflt = json_object_get(v, "default");
		dc->sdoc = (size_t)(sdoc - aux->docs);
	}
	return l->d->errors != errors ? -1 : 0;
}

/* ---- variables ------------------------------------------------------------ */

json_t *lf_var_from_text(const char *type, const char *text, char **why)
{
	if (!strcmp(type, "string"))
		return json_string(text);
	if (!strcmp(type, "bool")) {
		if (!strcmp(text, "true"))
			return json_true();
		if (!strcmp(text, "false"))
			return json_false();
		*why = lf_xasprintf("'%s' is not a bool (true or false)", text);
		return NULL;
	}
	if (!strcmp(type, "number")) {
		char *end = NULL;
		errno = 0;
		long long i = strtoll(text, &end, 10);
		if (*text && !*end && !errno)
			return json_integer(i);
		double r = strtod(text, &end);
		if (*text && !*end && !errno && r == r && r - r == 0)
			return json_real(r);
		*why = lf_xasprintf("'%s' is not a number", text);
		return NULL;
	}
	/* list, map: YAML flow style, as [a, b] or {k: v} */
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_yaml_doc *docs = NULL;
	size_t n = 0;
	json_t *v = NULL;
	if (lf_yaml_parse(&docs, &n, "-var", text, strlen(text), NULL, &d) == 0 && n == 1 &&
	    type_matches(type, docs[0].root))
		v = json_incref(docs[0].root);
	else
		*why = lf_xasprintf("'%s' is not a %s (write %s)", text, type,
		                    strcmp(type, "list") ? "{key: value, ...}" : "[a, b, ...]");
	lf_yaml_docs_free(docs, n);
	lf_diags_release(&d);
	return v;
}

static struct decl *find_decl(struct loading *l, const char *name)
{
	for (size_t i = 0; i < l->ndecls; i++)
		if (!strcmp(l->decls[i].name, name))
			return &l->decls[i];
	return NULL;
}

/* The values: defaults, then the environment, then -var and -var-file in
 * order.  An object, or NULL when no variable is declared. */
static json_t *resolve(struct loading *l, const struct lf_overlay_vars *vars)
{
	json_t *values = json_object();
	struct lf_diags *d = l->d;

	for (size_t i = 0; i < l->ndecls; i++) {
		struct decl *dc = &l->decls[i];
		if (dc->dflt)
			json_object_set(values, dc->name, dc->dflt);
		char env[160];
		snprintf(env, sizeof(env), "LAKEFORM_VAR_%s", dc->name);
		const char *text =
		    vars && vars->getenv ? vars->getenv(env, vars->getenv_arg) : NULL;
		if (text) {
			char *why = NULL;
			json_t *v = lf_var_from_text(dc->type, text, &why);
			if (v)
				json_object_set_new(values, dc->name, v);
			else
				lf_diag_error(d, NULL, "%s: variable '%s' is a %s: %s", env,
				              dc->name, dc->type, why);
			free(why);
		}
	}
	for (size_t a = 0; vars && a < vars->nargs; a++) {
		const char *text = vars->args[a].text;
		if (!vars->args[a].is_file) {
			const char *eq = strchr(text, '=');
			if (!eq) {
				lf_diag_error(d, NULL, "-var '%s': write NAME=VALUE", text);
				continue;
			}
			char *name = lf_xstrndup(text, (size_t)(eq - text));
			struct decl *dc = find_decl(l, name);
			char *why = NULL;
			json_t *v;
			if (!dc)
				lf_diag_error(
				    d, NULL,
				    "-var '%s': no variable '%s' is declared (lakeform.yaml "
				    "variables)",
				    text, name);
			else if ((v = lf_var_from_text(dc->type, eq + 1, &why)))
				json_object_set_new(values, name, v);
			else
				lf_diag_error(d, NULL, "-var '%s': variable '%s' is a %s: %s", text,
				              name, dc->type, why);
			free(why);
			free(name);
			continue;
		}
		/* -var-file: a YAML mapping of names to values, with positions */
		struct lf_source *aux = l->out->aux;
		size_t before = aux->nfiles;
		if (lf_source_load(aux, text, d) != 0 || aux->nfiles == before)
			continue;
		struct lf_source_file *f = &aux->files[before];
		struct lf_source_doc *doc = f->ndocs ? &aux->docs[f->first_doc] : NULL;
		if (!doc || f->ndocs != 1 || !json_is_object(doc->root)) {
			lf_diag_file_error(d, f->path,
			                   "a var file holds one mapping of names to "
			                   "values");
			continue;
		}
		const char *name;
		json_t *v;
		json_object_foreach (doc->root, name, v) {
			struct lf_yaml_pathseg seg = {name, 0};
			struct decl *dc = find_decl(l, name);
			if (!dc) {
				struct lf_pos at = lf_source_pos(aux, doc, &seg, 1, 1);
				lf_diag_error(d, &at,
				              "no variable '%s' is declared (lakeform.yaml "
				              "variables)",
				              name);
			} else if (!type_matches(dc->type, v)) {
				struct lf_pos at = lf_source_pos(aux, doc, &seg, 1, 0);
				lf_diag_error(d, &at, "variable '%s' is a %s, not %s", name,
				              dc->type, type_of(v));
			} else {
				json_object_set(values, name, v);
			}
		}
	}
	for (size_t i = 0; i < l->ndecls; i++) {
		struct decl *dc = &l->decls[i];
		if (json_object_get(values, dc->name))
			continue;
		struct lf_yaml_pathseg segs[2] = {{"variables", 0}, {dc->name, 0}};
		struct lf_pos at =
		    lf_source_pos(l->out->aux, &l->out->aux->docs[dc->sdoc], segs, 2, 1);
		lf_diag_error(d, &at,
		              "variable '%s' has no value: give it a default, -var %s=VALUE, "
		              "-var-file FILE or LAKEFORM_VAR_%s",
		              dc->name, dc->name, dc->name);
	}
	return values;
}

struct subst {
	struct lf_source *src;
	struct lf_source_doc *doc;
	const json_t *values;
	struct lf_diags *d;
	struct path p;
};

static void subst_error(struct subst *c, const char *fmt, const char *a, const char *b)
{
	struct lf_pos at = pos_at(c->src, c->doc, &c->p, 0);
	lf_diag_error(c->d, &at, fmt, a, b);
}

/* The end of a name starting at `s`, which is after "${var.". */
static const char *name_end(const char *s)
{
	while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
	       *s == '_')
		s++;
	return s;
}

static const json_t *lookup(struct subst *c, const char *s, const char *e)
{
	char *name = lf_xstrndup(s, (size_t)(e - s));
	const json_t *v = json_object_get(c->values, name);
	if (!v) {
		const char *best = NULL, *k;
		size_t bd = 3;
		json_t *x;
		json_object_foreach ((json_t *)c->values, k, x) {
			size_t dist = lf_edit_distance(name, k);
			if (dist < bd) {
				bd = dist;
				best = k;
			}
		}
		if (best) {
			char *hint = lf_xasprintf(" (did you mean '%s'?)", best);
			subst_error(c,
			            "undeclared variable '%s'%s: declare it under variables in "
			            "lakeform.yaml",
			            name, hint);
			free(hint);
		} else {
			subst_error(c,
			            "undeclared variable '%s'%s: declare it under variables in "
			            "lakeform.yaml",
			            name, "");
		}
	}
	free(name);
	return v;
}

/* The substituted value of string `node`: NULL when unchanged, else a new
 * reference. */
static json_t *subst_string(struct subst *c, json_t *node)
{
	const char *s = json_string_value(node);
	const char *e;

	if (!strstr(s, "${var.") && !strstr(s, "$${"))
		return NULL;
	if (!strncmp(s, "${var.", 6) && *(e = name_end(s + 6)) == '}' && !e[1] && e > s + 6) {
		const json_t *v = lookup(c, s + 6, e);
		return v ? json_deep_copy(v) : NULL;
	}
	struct lf_buf b = LF_BUF_INIT;
	int bad = 0;
	for (const char *p = s; *p;) {
		if (!strncmp(p, "$${", 3)) {
			lf_buf_addf(&b, "${");
			p += 3;
			continue;
		}
		if (strncmp(p, "${var.", 6)) {
			lf_buf_addf(&b, "%c", *p++);
			continue;
		}
		e = name_end(p + 6);
		if (*e != '}' || e == p + 6) {
			subst_error(c, "%s%s: write ${var.NAME}, NAME of letters, digits and '_'",
			            "unterminated or malformed '${var.'", "");
			bad = 1;
			break;
		}
		const json_t *v = lookup(c, p + 6, e);
		if (!v) {
			bad = 1;
		} else if (json_is_string(v)) {
			lf_buf_addf(&b, "%s", json_string_value(v));
		} else if (json_is_integer(v)) {
			lf_buf_addf(&b, "%lld", (long long)json_integer_value(v));
		} else if (json_is_real(v)) {
			lf_buf_addf(&b, "%.17g", json_real_value(v));
		} else if (json_is_boolean(v)) {
			lf_buf_addf(&b, "%s", json_is_true(v) ? "true" : "false");
		} else {
			char *name = lf_xstrndup(p + 6, (size_t)(e - p - 6));
			subst_error(c, "variable '%s' is %s: it can only stand alone in a value",
			            name, type_of(v));
			free(name);
			bad = 1;
		}
		p = e + 1;
	}
	json_t *res = bad ? NULL : json_string(b.ptr ? b.ptr : "");
	lf_buf_release(&b);
	return res;
}

static void subst_walk(struct subst *c, json_t *node);

/* Substitute child `v` of a container; replace it there via `set`. */
static json_t *subst_child(struct subst *c, json_t *v)
{
	if (!json_is_string(v)) {
		subst_walk(c, v);
		return NULL;
	}
	json_t *nv = subst_string(c, v);
	if (!nv)
		return NULL;
	/* the new value is where the string was */
	const struct lf_source_origin *o = lf_source_origin_get(c->doc, v);
	if (o) {
		struct lf_source_origin keep = *o;
		struct path at = {0};
		for (size_t i = 0; i < keep.nsegs; i++)
			if (keep.segs[i].key)
				path_key(&at, keep.segs[i].key);
			else
				path_index(&at, keep.segs[i].index);
		mark(c->doc, nv, keep.src, keep.file, keep.doc, keep.doc_pos, &at);
		free(at.v);
	} else {
		mark(c->doc, nv, c->src, c->doc->file, c->doc->index, c->doc->pos, &c->p);
	}
	return nv;
}

static void subst_walk(struct subst *c, json_t *node)
{
	if (json_is_object(node)) {
		const char *k;
		json_t *v;
		void *it;
		json_object_foreach_safe (node, it, k, v) {
			path_key(&c->p, k);
			json_t *nv = subst_child(c, v);
			if (nv)
				json_object_set_new(node, k, nv);
			c->p.n--;
		}
	} else if (json_is_array(node)) {
		size_t i;
		json_t *v;
		json_array_foreach (node, i, v) {
			path_index(&c->p, i);
			json_t *nv = subst_child(c, v);
			if (nv)
				json_array_set_new(node, i, nv);
			c->p.n--;
		}
	}
}

int lf_vars_substitute(struct lf_source *src, const json_t *values, struct lf_diags *d)
{
	json_t *none = values ? NULL : json_object();
	struct subst c = {src, NULL, values ? values : none, d, {0}};
	size_t errors = d->errors;

	/* per file: 1 when no string of its documents can hold a '$' */
	unsigned char *plain = lf_xcalloc(src->nfiles + 1, 1);

	/* the documents of manifests read as they are (no overlay): a '$'
	 * in a value is a '$' in the file's text or a backslash escape, so a
	 * file with neither has nothing to substitute, and 100,000 resources
	 * are not walked for it */
	for (size_t i = 0; !values && i < src->nfiles; i++) {
		const struct lf_source_file *f = &src->files[i];
		plain[i] =
		    f->data && !memchr(f->data, '$', f->len) && !memchr(f->data, '\\', f->len);
	}
	for (size_t i = 0; i < src->ndocs; i++) {
		c.doc = &src->docs[i];
		c.p.n = 0;
		if (json_is_string(c.doc->root))
			continue; /* not a manifest: its own errors say so */
		if (!c.doc->origins && c.doc->file < src->nfiles && plain[c.doc->file])
			continue;
		subst_walk(&c, c.doc->root);
	}
	free(plain);
	free(c.p.v);
	json_decref(none);
	return d->errors != errors ? -1 : 0;
}

int lf_overlay_load(struct lf_source *out, const struct lf_overlay_io *io,
                    const struct lf_overlay_vars *vars, struct lf_diags *d)
{
	struct loading l = {.io = io, .out = out, .d = d};
	size_t errors = d->errors;

	if (!out->aux)
		out->aux = lf_xcalloc(1, sizeof(*out->aux));
	unsigned up = 0;
	l.chain[0] = join_dir(*io->top ? io->top : ".", ".", &up);
	l.names[0] = ".";
	if (load_level(&l, ".", NULL, ".") == 0) {
		json_t *values = resolve(&l, vars);
		if (d->errors == errors)
			lf_vars_substitute(out, values, d);
		json_decref(values);
	}
	free(l.decls);
	free(l.chain[0]);
	return d->errors != errors ? -1 : 0;
}

char *lf_overlay_git_path(const char *top, const char *dir)
{
	unsigned up = 0;
	char *p = join_dir(*top ? top : ".", dir, &up);
	if (!strcmp(p, ".")) {
		free(p);
		return lf_xstrdup("");
	}
	return p;
}

char *lf_overlay_relative(const char *top, const char *path)
{
	size_t tl = strlen(top), common = 0;

	if (!tl)
		return lf_xstrdup(path);
	/* the bytes of the whole directories `top` and `path` share */
	for (size_t i = 0;; i++) {
		if (i == tl) {
			if (path[i] == '/')
				common = i + 1;
			break;
		}
		if (top[i] != path[i])
			break;
		if (top[i] == '/')
			common = i + 1;
	}
	struct lf_buf b = LF_BUF_INIT;
	/* one ".." for each directory of `top` below the shared ones */
	if (common <= tl) {
		lf_buf_adds(&b, "../");
		for (const char *t = top + common; *t; t++)
			if (*t == '/')
				lf_buf_adds(&b, "../");
	}
	lf_buf_adds(&b, path + common);
	lf_buf_cstr(&b);
	return lf_buf_detach(&b);
}

/* ---- the configuration's directories, on disk or in a commit ------------- */

/* The directories of an overlay, from the configuration directory or the
 * directory `prefix` (validate DIR, export DIR), on disk or in the commit. */
struct ov_at {
	const struct lf_git_spec *git; /* the commit's, its rev pinned; or NULL */
	const char *prefix;            /* NULL: the configuration directory */
};

static char *ov_path(const struct ov_at *at, const char *dir)
{
	if (at->git)
		return lf_overlay_git_path(at->git->path, dir);
	if (!at->prefix)
		return lf_xstrdup(dir);
	char *p = lf_overlay_git_path(at->prefix, dir);
	if (!*p) {
		free(p);
		p = lf_xstrdup(".");
	}
	return p;
}

static int ov_load_dir(void *arg, struct lf_source *src, const char *dir, struct lf_diags *d)
{
	struct ov_at *at = arg;
	char *path = ov_path(at, dir);
	int err;

	if (!at->git) {
		err = lf_source_load(src, path, d);
	} else {
		struct lf_git_spec spec = *at->git;
		spec.path = path;
		err = lf_git_load(src, NULL, &spec, LF_GIT_MANIFESTS, d);
	}
	free(path);
	return err;
}

static int ov_load_settings(void *arg, struct lf_source *src, const char *dir, struct lf_diags *d)
{
	struct ov_at *at = arg;
	char *path = ov_path(at, dir);
	int err;

	if (!at->git) {
		char *file = !strcmp(path, ".") ? lf_xstrdup("lakeform.yaml")
		                                : lf_xasprintf("%s/lakeform.yaml", path);
		err = access(file, F_OK) == 0 ? lf_source_load(src, file, d) : 0;
		free(file);
	} else {
		struct lf_git_spec spec = *at->git;
		spec.path = path;
		err = lf_git_load(src, NULL, &spec, LF_GIT_SETTINGS, d);
	}
	free(path);
	return err;
}

int lf_overlay_load_config(struct lf_source *out, const struct lf_git_spec *git,
                           const char *rev_name, const char *prefix,
                           const struct lf_overlay_vars *vars, struct lf_diags *d)
{
	struct ov_at at = {git, prefix};
	struct lf_overlay_io io = {ov_load_dir, ov_load_settings, &at, NULL, NULL};
	struct lf_git_spec here = LF_GIT_SPEC_INIT;
	struct lf_diags ignored = LF_DIAGS_INIT;
	char *name = NULL, *cwd = NULL;
	const char *top = git ? git->path : NULL;

	/* a base lies in the repository: the commit's tree, or the work
	 * tree holding the configuration directory (else its parent) */
	if (!top && lf_git_spec_of_dir(&here, prefix ? prefix : ".", "HEAD", &ignored) == 0)
		top = here.path;
	if (top) {
		name = git ? lf_xasprintf("the tree of '%s'", rev_name ? rev_name : git->rev)
		           : lf_xasprintf("the git work tree '%s'", here.repo);
	} else {
		/* outside a work tree: the configuration directory's parent */
		cwd = realpath(prefix ? prefix : ".", NULL);
		const char *slash = cwd ? strrchr(cwd, '/') : NULL;
		top = slash && slash[1] ? slash + 1 : "";
		name = lf_xstrdup("the parent of the configuration directory");
	}
	io.top = top;
	io.reach_name = name;
	int err = lf_overlay_load(out, &io, vars, d);
	lf_git_spec_release(&here);
	lf_diags_release(&ignored);
	free(name);
	free(cwd);
	return err;
}

/* Whether directory `dir`'s lakeform.yaml names a base, patches or
 * variables (read only to know; checked when loaded). */
int lf_overlay_dir_is_overlay(const char *dir)
{
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags ignored = LF_DIAGS_INIT;
	char *file = lf_xasprintf("%s/lakeform.yaml", dir);
	int yes = 0;

	if (lf_is_dir(dir) > 0 && access(file, F_OK) == 0 &&
	    lf_source_load(&src, file, &ignored) == 0 && src.ndocs == 1)
		yes = lf_overlay_active(src.docs[0].root);
	lf_source_release(&src);
	lf_diags_release(&ignored);
	free(file);
	return yes;
}
