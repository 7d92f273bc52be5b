/*
 * plan.c - what a plan is, apart from how it is built: names of actions and
 * reasons, sensitivity, the saved plan format (plan -out FILE), and the
 * small helpers a planner uses to fill a struct lf_plan.
 *
 * The saved plan is one JSON document, described in docs/plan-format.md.
 * It never holds a sensitive value in clear: before, after and the diffs are
 * masked on the way out, so reading a saved plan back gives "(sensitive)"
 * where the secret was; apply takes secrets from the manifests again.
 *
 * Its "digest" is the SHA-256 of the canonical JSON (compact, keys sorted)
 * of everything else in it: a saved plan edited by hand no longer matches
 * it.  Anyone can compute a digest, so apply also builds the plan again
 * from the manifests and compares each change the file shows with it
 * (lf_plan_same_values): what was shown is what is applied.
 */
#include "plan.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/map.h"
#include "../util/mem.h"
#include "../util/sha256.h"

int lf_plan_has_changes(const struct lf_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].action != LF_ACT_NOOP)
			return 1;
	return 0;
}

const char *lf_action_name(enum lf_action a)
{
	switch (a) {
	case LF_ACT_NOOP:
		return "no-op";
	case LF_ACT_CREATE:
		return "create";
	case LF_ACT_UPDATE:
		return "update";
	case LF_ACT_REPLACE:
		return "replace";
	case LF_ACT_DELETE:
		return "delete";
	}
	return "unknown";
}

const char *lf_reason_name(enum lf_reason r)
{
	switch (r) {
	case LF_REASON_NONE:
		return NULL;
	case LF_REASON_CANNOT_UPDATE:
		return "replace_because_cannot_update";
	case LF_REASON_BY_REQUEST:
		return "replace_by_request";
	case LF_REASON_NO_CONFIG:
		return "delete_because_no_resource_config";
	case LF_REASON_DESTROY:
		return NULL;
	case LF_REASON_REPLACED_WITH:
		/* Terraform's reason for a replace_triggered_by: the nearest */
		return "replace_by_triggers";
	case LF_REASON_KEPT:
		return NULL; /* a no-op: Terraform gives none */
	}
	return NULL;
}

/* The saved plan's own names: every reason has one, DESTROY included. */
static const char *reason_key(enum lf_reason r)
{
	switch (r) {
	case LF_REASON_NONE:
		return NULL;
	case LF_REASON_CANNOT_UPDATE:
		return "cannot_update";
	case LF_REASON_BY_REQUEST:
		return "by_request";
	case LF_REASON_NO_CONFIG:
		return "no_config";
	case LF_REASON_DESTROY:
		return "destroy";
	case LF_REASON_REPLACED_WITH:
		return "replaced_with";
	case LF_REASON_KEPT:
		return "kept";
	}
	return NULL;
}

/* 1 when `path` is `s` or lies under it ("" covers everything). */
static int path_covers(const char *s, const char *path)
{
	size_t n = strlen(s);

	if (n == 0)
		return 1;
	return strncmp(path, s, n) == 0 && (path[n] == '\0' || path[n] == '.');
}

int lf_change_is_sensitive(const struct lf_change *c, const char *path)
{
	if (!path)
		path = "";
	for (size_t i = 0; i < c->nsensitive; i++)
		if (path_covers(c->sensitive[i], path))
			return 1;
	for (size_t i = 0; i < c->ndiffs; i++)
		if (c->diffs[i].sensitive && path_covers(c->diffs[i].path, path))
			return 1;
	return 0;
}

/* 1 when some sensitive path lies strictly below `path`. */
static int sensitive_below(const struct lf_change *c, const char *path)
{
	for (size_t i = 0; i < c->nsensitive; i++)
		if (path_covers(path, c->sensitive[i]))
			return 1;
	for (size_t i = 0; i < c->ndiffs; i++)
		if (c->diffs[i].sensitive && path_covers(path, c->diffs[i].path))
			return 1;
	return 0;
}

static json_t *mask_at(const struct lf_change *c, struct lf_buf *path, json_t *v)
{
	size_t len = path->len;
	json_t *copy;

	if (lf_change_is_sensitive(c, lf_buf_cstr(path)))
		return json_string(LF_SENSITIVE_TEXT);
	if (!(json_is_object(v) || json_is_array(v)) || !sensitive_below(c, lf_buf_cstr(path)))
		return json_incref(v);
	if (json_is_object(v)) {
		const char *key;
		json_t *item;

		copy = json_object();
		json_object_foreach (v, key, item) {
			if (len)
				lf_buf_addc(path, '.');
			lf_buf_adds(path, key);
			json_object_set_new(copy, key, mask_at(c, path, item));
			lf_buf_truncate(path, len);
		}
	} else {
		size_t i;
		json_t *item;

		copy = json_array();
		json_array_foreach (v, i, item) {
			lf_buf_addf(path, len ? ".%zu" : "%zu", i);
			json_array_append_new(copy, mask_at(c, path, item));
			lf_buf_truncate(path, len);
		}
	}
	return copy;
}

json_t *lf_change_mask(const struct lf_change *c, const char *path, json_t *v)
{
	struct lf_buf b = LF_BUF_INIT;
	json_t *r;

	if (!v)
		return NULL;
	lf_buf_adds(&b, path ? path : "");
	r = mask_at(c, &b, v);
	lf_buf_release(&b);
	return r;
}

/* ---- filling a plan --------------------------------------------------- */

static void count(struct lf_plan *p, enum lf_action a)
{
	switch (a) {
	case LF_ACT_NOOP:
		p->nnoop++;
		break;
	case LF_ACT_CREATE:
		p->ncreate++;
		break;
	case LF_ACT_UPDATE:
		p->nupdate++;
		break;
	case LF_ACT_REPLACE:
		p->nreplace++;
		break;
	case LF_ACT_DELETE:
		p->ndelete++;
		break;
	}
}

void lf_plan_recount(struct lf_plan *p)
{
	p->ncreate = p->nupdate = p->nreplace = p->ndelete = p->nnoop = 0;
	for (size_t i = 0; i < p->n; i++)
		count(p, p->v[i].action);
}

struct lf_change *lf_plan_add(struct lf_plan *p, enum lf_action action, const char *type,
                              const char *name, const char *provider, const char *parent)
{
	struct lf_change *c;

	LF_GROW(p->v, p->n + 1, p->alloc);
	c = &p->v[p->n++];
	memset(c, 0, sizeof(*c));
	c->action = action;
	c->type = lf_xstrdup(type);
	c->name = lf_xstrdup(name);
	size_t tl = strlen(type), nl = strlen(name);
	c->address = lf_xmalloc(tl + nl + 2);
	memcpy(c->address, type, tl);
	c->address[tl] = '/';
	memcpy(c->address + tl + 1, name, nl + 1);
	c->provider = lf_xstrdup(provider);
	c->parent = parent ? lf_xstrdup(parent) : NULL;
	count(p, action);
	return c;
}

void lf_plan_take(struct lf_plan *p, struct lf_change *c)
{
	LF_GROW(p->v, p->n + 1, p->alloc);
	p->v[p->n++] = *c;
	count(p, c->action);
	memset(c, 0, sizeof(*c));
}

void lf_change_add_diff(struct lf_change *c, const char *path, json_t *before, json_t *after,
                        int force_new, int sensitive)
{
	struct lf_field_diff *d;

	/* No alloc field, and a planner may have allocated the array itself:
	 * grow to the exact size (a change has few diffs). */
	c->diffs = lf_xrealloc(c->diffs, (c->ndiffs + 1) * sizeof(*c->diffs));
	d = &c->diffs[c->ndiffs++];
	d->path = lf_xstrdup(path);
	d->before = before ? json_incref(before) : NULL;
	d->after = after ? json_incref(after) : NULL;
	d->force_new = force_new;
	d->sensitive = sensitive;
}

/* Append to an array of strings without an alloc field (exact size). */
static void strv_push(char ***v, size_t *n, char *s)
{
	*v = lf_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

void lf_change_add_sensitive(struct lf_change *c, const char *path)
{
	strv_push(&c->sensitive, &c->nsensitive, lf_xstrdup(path));
}

void lf_plan_add_warning(struct lf_plan *p, const char *fmt, ...)
{
	struct lf_buf b = LF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	lf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	strv_push(&p->warnings, &p->nwarnings, lf_buf_detach(&b));
}

/* ---- release ---------------------------------------------------------- */

void lf_field_diffs_free(struct lf_field_diff *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		json_decref(v[i].before);
		json_decref(v[i].after);
	}
	free(v);
}

static void change_release(struct lf_change *c)
{
	free(c->address);
	free(c->type);
	free(c->name);
	free(c->provider);
	free(c->parent);
	json_decref(c->before);
	json_decref(c->after);
	lf_field_diffs_free(c->diffs, c->ndiffs);
	for (size_t i = 0; i < c->nsensitive; i++)
		free(c->sensitive[i]);
	free(c->sensitive);
	free(c->note);
	free(c->cause);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

void lf_plan_release(struct lf_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		change_release(&p->v[i]);
	free(p->v);
	for (size_t i = 0; i < p->nwarnings; i++)
		free(p->warnings[i]);
	free(p->warnings);
	json_decref(p->violations);
	free(p->git_commit);
	free(p->created);
	free(p->version);
	json_decref(p->cost);
	free(p->desired_rank);
	memset(p, 0, sizeof(*p));
}

/* ---- saved plan: writing ---------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *change_to_json(const struct lf_change *c)
{
	json_t *o = json_object(), *diffs = json_array(), *sens = json_array();
	const char *reason = reason_key(c->reason);

	json_object_set_new(o, "address", json_string(c->address));
	json_object_set_new(o, "type", json_string(c->type));
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "provider", json_string(c->provider));
	json_object_set_new(o, "parent", str_or_null(c->parent));
	json_object_set_new(o, "action", json_string(lf_action_name(c->action)));
	json_object_set_new(o, "reason", str_or_null(reason));
	json_object_set_new(o, "create_before_destroy", json_boolean(c->create_before_destroy));
	if (c->note)
		json_object_set_new(o, "note", json_string(c->note));
	if (c->cause)
		json_object_set_new(o, "cause", json_string(c->cause));
	/* absent, not null: null is a value a resource's inputs may hold */
	if (c->before)
		json_object_set_new(o, "before", lf_change_mask(c, "", c->before));
	if (c->after)
		json_object_set_new(o, "after", lf_change_mask(c, "", c->after));
	for (size_t i = 0; i < c->ndiffs; i++) {
		const struct lf_field_diff *d = &c->diffs[i];
		json_t *jd = json_object();

		json_object_set_new(jd, "path", json_string(d->path));
		if (d->before)
			json_object_set_new(jd, "before", lf_change_mask(c, d->path, d->before));
		if (d->after)
			json_object_set_new(jd, "after", lf_change_mask(c, d->path, d->after));
		json_object_set_new(jd, "force_new", json_boolean(d->force_new));
		json_object_set_new(jd, "sensitive", json_boolean(d->sensitive));
		json_array_append_new(diffs, jd);
	}
	json_object_set_new(o, "diffs", diffs);
	for (size_t i = 0; i < c->nsensitive; i++)
		json_array_append_new(sens, json_string(c->sensitive[i]));
	json_object_set_new(o, "sensitive", sens);
	json_object_set_new(o, "file", str_or_null(c->file));
	json_object_set_new(o, "line", json_integer(c->line));
	return o;
}

/* The canonical form of a JSON value: compact, keys sorted (owned). */
static char *canonical(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
	                         JSON_REAL_PRECISION(17));
}

/* The digest of a saved plan `doc`: of every member but "digest". */
static void doc_digest(char out[65], const json_t *doc)
{
	json_t *copy = json_copy((json_t *)doc);
	char *text;

	json_object_del(copy, "digest");
	text = canonical(copy);
	unsigned char md[LF_SHA256_LEN];
	lf_sha256(md, text ? text : "", text ? strlen(text) : 0);
	lf_sha256_hex(out, md);
	free(text);
	json_decref(copy);
}

json_t *lf_plan_to_json(const struct lf_plan *p)
{
	json_t *doc = json_object(), *counts = json_object();
	json_t *warnings = json_array(), *changes = json_array();

	json_object_set_new(doc, "format", json_string(LF_PLAN_FORMAT));
	json_object_set_new(doc, "version", json_integer(LF_PLAN_FORMAT_VERSION));
	json_object_set_new(doc, "lakeform_version", str_or_null(p->version));
	json_object_set_new(doc, "created", str_or_null(p->created));
	json_object_set_new(doc, "lineage", json_string(p->lineage));
	json_object_set_new(doc, "serial", json_integer((json_int_t)p->serial));
	json_object_set_new(doc, "manifests_digest", json_string(p->manifests_digest));
	json_object_set_new(doc, "git_commit", str_or_null(p->git_commit));
	json_object_set_new(doc, "destroy", json_boolean(p->destroy));
	json_object_set_new(doc, "partial", json_boolean(p->partial));
	/* for readers of the file; lf_plan_from_json() recounts */
	json_object_set_new(counts, "create", json_integer((json_int_t)p->ncreate));
	json_object_set_new(counts, "update", json_integer((json_int_t)p->nupdate));
	json_object_set_new(counts, "replace", json_integer((json_int_t)p->nreplace));
	json_object_set_new(counts, "delete", json_integer((json_int_t)p->ndelete));
	json_object_set_new(counts, "no-op", json_integer((json_int_t)p->nnoop));
	json_object_set_new(doc, "counts", counts);
	for (size_t i = 0; i < p->nwarnings; i++)
		json_array_append_new(warnings, json_string(p->warnings[i]));
	json_object_set_new(doc, "warnings", warnings);
	if (json_array_size(p->violations))
		json_object_set(doc, "policy_violations", p->violations);
	for (size_t i = 0; i < p->n; i++)
		json_array_append_new(changes, change_to_json(&p->v[i]));
	json_object_set_new(doc, "changes", changes);
	char digest[65];
	doc_digest(digest, doc);
	json_object_set_new(doc, "digest", json_string(digest));
	return doc;
}

int lf_plan_check_digest(const json_t *doc, char **why)
{
	const char *saved = json_string_value(json_object_get(doc, "digest"));
	char digest[65];

	*why = NULL;
	if (!saved) {
		*why = lf_xstrdup("the plan has no digest: it was altered, or saved by an older "
		                  "lakeform; plan again");
		return -1;
	}
	doc_digest(digest, doc);
	if (strcmp(saved, digest)) {
		*why = lf_xstrdup("the plan was altered after it was saved: its digest does not "
		                  "match what it holds; plan again");
		return -1;
	}
	return 0;
}

int lf_plan_same_values(const struct lf_plan *saved, const struct lf_plan *now,
                        const char **address)
{
	struct lf_map m = LF_MAP_INIT;
	int rc = 0;

	*address = NULL;
	for (size_t i = 0; i < now->n; i++)
		lf_map_put(&m, now->v[i].address, (void *)&now->v[i]);
	for (size_t i = 0; i < saved->n && rc == 0; i++) {
		const struct lf_change *c = lf_map_get(&m, saved->v[i].address);
		if (!c) {
			rc = -1;
		} else {
			json_t *a = change_to_json(&saved->v[i]), *b = change_to_json(c);
			/* where the manifest was read: with --git REPO@REV:PATH
			 * a name in the repository, in a checkout of PATH one
			 * in the directory (manifests_digest pins the files) */
			json_object_del(a, "file");
			json_object_del(b, "file");
			char *ta = canonical(a), *tb = canonical(b);
			rc = ta && tb && !strcmp(ta, tb) ? 0 : -1;
			free(ta);
			free(tb);
			json_decref(a);
			json_decref(b);
		}
		if (rc)
			*address = saved->v[i].address;
	}
	lf_map_release(&m);
	return rc;
}

/* ---- saved plan: reading ---------------------------------------------- */

/* Where a reading error is: "" at top level, "change 3: " inside one. */
struct reader {
	char where[64];
	char *err;
};

static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct reader *r, const char *fmt, ...)
{
	struct lf_buf b = LF_BUF_INIT;
	va_list ap;

	if (r->err)
		return -1;
	lf_buf_adds(&b, r->where);
	va_start(ap, fmt);
	lf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	r->err = lf_buf_detach(&b);
	return -1;
}

/*
 * A string member: required ones must be strings, optional ones may also
 * be null or absent (*out NULL).  *out is a new copy.
 */
static int get_str(struct reader *r, const json_t *o, const char *key, int required, char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (json_is_string(v)) {
		*out = lf_xstrdup(json_string_value(v));
		return 0;
	}
	if (!required && (!v || json_is_null(v)))
		return 0;
	if (!v)
		return fail(r, "missing '%s'", key);
	return fail(r, "'%s' must be a string%s", key, required ? "" : " or null");
}

/* A fixed-size string member: required, shorter than `size`. */
static int get_fixed(struct reader *r, const json_t *o, const char *key, char *out, size_t size)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return fail(r, v ? "'%s' must be a string" : "missing '%s'", key);
	if (json_string_length(v) >= size)
		return fail(r, "'%s' is longer than %zu characters", key, size - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_bool(struct reader *r, const json_t *o, const char *key, int *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return fail(r, v ? "'%s' must be true or false" : "missing '%s'", key);
	*out = json_is_true(v);
	return 0;
}

static int get_uint(struct reader *r, const json_t *o, const char *key, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return fail(r, v ? "'%s' must be an integer" : "missing '%s'", key);
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		return fail(r, "'%s' is out of range", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_array(struct reader *r, const json_t *o, const char *key, json_t **out)
{
	*out = json_object_get(o, key);
	if (!json_is_array(*out))
		return fail(r, *out ? "'%s' must be an array" : "missing '%s'", key);
	return 0;
}

/* Optional JSON value: NULL when absent, a new reference otherwise. */
static json_t *get_value(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v ? json_incref(v) : NULL;
}

static int parse_action(struct reader *r, const json_t *o, enum lf_action *out)
{
	static const enum lf_action all[] = {LF_ACT_NOOP, LF_ACT_CREATE, LF_ACT_UPDATE,
	                                     LF_ACT_REPLACE, LF_ACT_DELETE};
	json_t *v = json_object_get(o, "action");

	if (!json_is_string(v))
		return fail(r, v ? "'action' must be a string" : "missing 'action'");
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(json_string_value(v), lf_action_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return fail(r, "unknown action '%s'", json_string_value(v));
}

static int parse_reason(struct reader *r, const json_t *o, enum lf_reason *out)
{
	static const enum lf_reason all[] = {LF_REASON_CANNOT_UPDATE, LF_REASON_BY_REQUEST,
	                                     LF_REASON_NO_CONFIG,     LF_REASON_DESTROY,
	                                     LF_REASON_REPLACED_WITH, LF_REASON_KEPT};
	json_t *v = json_object_get(o, "reason");

	*out = LF_REASON_NONE;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(r, "'reason' must be a string or null");
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(json_string_value(v), reason_key(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return fail(r, "unknown reason '%s'", json_string_value(v));
}

static int parse_strings(struct reader *r, const json_t *o, const char *key, char ***v, size_t *n)
{
	json_t *arr, *item;
	size_t i;

	if (get_array(r, o, key, &arr) < 0)
		return -1;
	json_array_foreach (arr, i, item) {
		if (!json_is_string(item))
			return fail(r, "'%s' must hold strings only", key);
		strv_push(v, n, lf_xstrdup(json_string_value(item)));
	}
	return 0;
}

static int parse_change(struct reader *r, const json_t *o, struct lf_change *c)
{
	json_t *diffs, *jd;
	uint64_t line = 0;
	size_t i;

	if (!json_is_object(o))
		return fail(r, "not an object");
	if (get_str(r, o, "address", 1, &c->address) < 0 ||
	    get_str(r, o, "type", 1, &c->type) < 0 || get_str(r, o, "name", 1, &c->name) < 0 ||
	    get_str(r, o, "provider", 1, &c->provider) < 0 ||
	    get_str(r, o, "parent", 0, &c->parent) < 0 || parse_action(r, o, &c->action) < 0 ||
	    parse_reason(r, o, &c->reason) < 0 ||
	    get_bool(r, o, "create_before_destroy", &c->create_before_destroy) < 0 ||
	    get_str(r, o, "note", 0, &c->note) < 0 || get_str(r, o, "cause", 0, &c->cause) < 0 ||
	    get_str(r, o, "file", 0, &c->file) < 0 ||
	    get_uint(r, o, "line", UINT32_MAX, &line) < 0 ||
	    parse_strings(r, o, "sensitive", &c->sensitive, &c->nsensitive) < 0 ||
	    get_array(r, o, "diffs", &diffs) < 0)
		return -1;
	c->line = (unsigned)line;
	c->before = get_value(o, "before");
	c->after = get_value(o, "after");
	json_array_foreach (diffs, i, jd) {
		struct lf_field_diff *d;
		char *path;
		int force_new = 0, sensitive = 0;

		if (!json_is_object(jd))
			return fail(r, "diff %zu is not an object", i + 1);
		if (get_str(r, jd, "path", 1, &path) < 0)
			return -1;
		if (get_bool(r, jd, "force_new", &force_new) < 0 ||
		    get_bool(r, jd, "sensitive", &sensitive) < 0) {
			free(path);
			return -1;
		}
		lf_change_add_diff(c, path, NULL, NULL, force_new, sensitive);
		free(path);
		d = &c->diffs[c->ndiffs - 1];
		d->before = get_value(jd, "before");
		d->after = get_value(jd, "after");
	}
	return 0;
}

int lf_plan_from_json(struct lf_plan *out, const json_t *doc, char **err)
{
	struct reader r = {"", NULL};
	json_t *v, *changes, *jc;
	uint64_t version = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (err)
		*err = NULL;
	if (!json_is_object(doc) || !json_is_string(v = json_object_get(doc, "format")) ||
	    strcmp(json_string_value(v), LF_PLAN_FORMAT) != 0) {
		fail(&r, "not a lakeform saved plan (no \"format\": \"%s\")", LF_PLAN_FORMAT);
		goto fail;
	}
	if (get_uint(&r, doc, "version", UINT32_MAX, &version) < 0)
		goto fail;
	if (version != LF_PLAN_FORMAT_VERSION) {
		fail(&r,
		     "format version %" PRIu64 " is not supported "
		     "(this lakeform reads version %d)",
		     version, LF_PLAN_FORMAT_VERSION);
		goto fail;
	}
	if (get_str(&r, doc, "lakeform_version", 0, &out->version) < 0 ||
	    get_str(&r, doc, "created", 0, &out->created) < 0 ||
	    get_fixed(&r, doc, "lineage", out->lineage, sizeof(out->lineage)) < 0 ||
	    get_uint(&r, doc, "serial", INT64_MAX, &out->serial) < 0 ||
	    get_fixed(&r, doc, "manifests_digest", out->manifests_digest,
	              sizeof(out->manifests_digest)) < 0 ||
	    get_str(&r, doc, "git_commit", 0, &out->git_commit) < 0 ||
	    get_bool(&r, doc, "destroy", &out->destroy) < 0 ||
	    get_bool(&r, doc, "partial", &out->partial) < 0 ||
	    parse_strings(&r, doc, "warnings", &out->warnings, &out->nwarnings) < 0 ||
	    get_array(&r, doc, "changes", &changes) < 0)
		goto fail;
	v = json_object_get(doc, "policy_violations");
	if (v && !json_is_array(v)) {
		fail(&r, "policy_violations is not an array");
		goto fail;
	}
	json_array_foreach (v, i, jc)
		if (!json_is_object(jc)) {
			fail(&r, "policy violation %zu is not an object", i + 1);
			goto fail;
		}
	if (v)
		out->violations = json_deep_copy(v);
	if (json_array_size(changes)) {
		out->alloc = json_array_size(changes);
		out->v = lf_xcalloc(out->alloc, sizeof(*out->v));
	}
	json_array_foreach (changes, i, jc) {
		snprintf(r.where, sizeof(r.where), "change %zu: ", i + 1);
		out->n = i + 1; /* so that release frees what was read */
		if (parse_change(&r, jc, &out->v[i]) < 0)
			goto fail;
	}
	lf_plan_recount(out);
	return 0;
fail:
	lf_plan_release(out);
	if (err)
		*err = r.err;
	else
		free(r.err);
	return -1;
}

int lf_plan_check_current(const struct lf_plan *p, int state_exists, const char *lineage,
                          uint64_t serial, char **why)
{
	*why = NULL;
	if (!p->lineage[0]) {
		if (state_exists && lineage && lineage[0]) {
			*why = lf_xasprintf("the plan was made from an empty state, but a state "
			                    "(lineage %s, serial %llu) has been written since: "
			                    "plan again",
			                    lineage, (unsigned long long)serial);
			return -1;
		}
		return 0;
	}
	if (!state_exists || !lineage || strcmp(p->lineage, lineage)) {
		*why = lf_xasprintf("the plan's state lineage %s does not match the state's "
		                    "(%s): it was made for another state",
		                    p->lineage, lineage && lineage[0] ? lineage : "none");
		return -1;
	}
	if (p->serial != serial) {
		*why = lf_xasprintf("the plan is stale: it was made at state serial %llu and "
		                    "the state is at serial %llu now; plan again",
		                    (unsigned long long)p->serial, (unsigned long long)serial);
		return -1;
	}
	return 0;
}
