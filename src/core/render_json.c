/*
 * render_json.c - a plan in Terraform's machine-readable shape
 * (`terraform show -json`, format_version "1.2"), so that tools written for
 * Terraform plans read ours.  docs/plan-format.md maps every field.
 *
 * Where we differ from Terraform, on purpose:
 * - a sensitive value is never printed: it becomes the string
 *   "(sensitive)" in before/after (Terraform prints it in clear) and is
 *   marked in before_sensitive/after_sensitive as Terraform does;
 * - resource_changes keep the plan's execution order (Terraform sorts by
 *   address);
 * - addresses are ours ("storage.bucket/acme-default"), types may hold a
 *   dot, and provider_name is "registry.lakeform.dev/lakeform/<family>";
 * - a top-level "lakeform" object and one per resource change carry what
 *   Terraform has no field for (lineage, serial, warnings, parent, file).
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/mem.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

#define PROVIDER_HOST "registry.lakeform.dev/lakeform/"

/*
 * Terraform's sensitivity shape of a value: true where sensitive; false for
 * a scalar or null that is not; an object with only its non-false members;
 * an array of the shapes of its items.
 */
static json_t *shape_at(const struct lf_change *c, struct lf_buf *path, json_t *v)
{
	size_t len = path->len;
	json_t *r;

	if (lf_change_is_sensitive(c, lf_buf_cstr(path)))
		return json_true();
	if (json_is_object(v)) {
		const char *key;
		json_t *item;

		r = json_object();
		json_object_foreach (v, key, item) {
			json_t *s;

			if (len)
				lf_buf_addc(path, '.');
			lf_buf_adds(path, key);
			s = shape_at(c, path, item);
			lf_buf_truncate(path, len);
			if (json_is_false(s))
				json_decref(s);
			else
				json_object_set_new(r, key, s);
		}
		return r;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *item;

		r = json_array();
		json_array_foreach (v, i, item) {
			lf_buf_addf(path, len ? ".%zu" : "%zu", i);
			json_array_append_new(r, shape_at(c, path, item));
			lf_buf_truncate(path, len);
		}
		return r;
	}
	return json_false();
}

static json_t *shape(const struct lf_change *c, json_t *v)
{
	struct lf_buf path = LF_BUF_INIT;
	json_t *r;

	if (!v)
		return json_false();
	r = shape_at(c, &path, v);
	lf_buf_release(&path);
	return r;
}

/* Masked value, JSON null when absent. */
static json_t *masked(const struct lf_change *c, json_t *v)
{
	return v ? lf_change_mask(c, "", v) : json_null();
}

static json_t *actions(const struct lf_change *c)
{
	json_t *a = json_array();

	switch (c->action) {
	case LF_ACT_NOOP:
		json_array_append_new(a, json_string("no-op"));
		break;
	case LF_ACT_CREATE:
		json_array_append_new(a, json_string("create"));
		break;
	case LF_ACT_UPDATE:
		json_array_append_new(a, json_string("update"));
		break;
	case LF_ACT_REPLACE:
		json_array_append_new(a,
		                      json_string(c->create_before_destroy ? "create" : "delete"));
		json_array_append_new(a,
		                      json_string(c->create_before_destroy ? "delete" : "create"));
		break;
	case LF_ACT_DELETE:
		json_array_append_new(a, json_string("delete"));
		break;
	}
	return a;
}

/*
 * A dotted path as Terraform's array of steps: a step into an array is a
 * number, any other a string (found by walking the value it points into).
 */
static json_t *path_steps(const char *path, const json_t *v)
{
	json_t *steps = json_array();
	const char *s = path;

	for (;;) {
		size_t n = strcspn(s, ".");
		char *step = lf_xstrndup(s, n);
		int digits = n > 0 && strspn(step, "0123456789") == n;

		if (json_is_array(v) && digits) {
			size_t i = strtoul(step, NULL, 10);

			json_array_append_new(steps, json_integer((json_int_t)i));
			v = json_array_get(v, i);
		} else {
			json_array_append_new(steps, json_string(step));
			v = json_is_object(v) ? json_object_get(v, step) : NULL;
		}
		free(step);
		if (!s[n])
			break;
		s += n + 1;
	}
	return steps;
}

static json_t *provider_name(const struct lf_change *c)
{
	char *s = lf_xasprintf(PROVIDER_HOST "%s", c->provider ? c->provider : "");
	json_t *r = json_string(s);

	free(s);
	return r;
}

static void set_str(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, s ? json_string(s) : json_null());
}

/* The fields a resource has everywhere: address, mode, type, name. */
static json_t *resource_head(const struct lf_change *c)
{
	json_t *r = json_object();

	set_str(r, "address", c->address);
	json_object_set_new(r, "mode", json_string("managed"));
	set_str(r, "type", c->type);
	set_str(r, "name", c->name);
	return r;
}

static json_t *resource_change(const struct lf_change *c)
{
	json_t *rc = resource_head(c), *ch = json_object(), *ext = json_object();
	const char *reason = lf_reason_name(c->reason);
	json_t *paths = json_array();

	json_object_set_new(rc, "provider_name", provider_name(c));
	json_object_set_new(ch, "actions", actions(c));
	json_object_set_new(ch, "before", masked(c, c->before));
	json_object_set_new(ch, "after", masked(c, c->after));
	/* nothing of ours is known only after apply */
	json_object_set_new(ch, "after_unknown", json_object());
	json_object_set_new(ch, "before_sensitive", shape(c, c->before));
	json_object_set_new(ch, "after_sensitive", shape(c, c->after));
	if (c->action == LF_ACT_REPLACE)
		for (size_t i = 0; i < c->ndiffs; i++)
			if (c->diffs[i].force_new)
				json_array_append_new(
				    paths,
				    path_steps(c->diffs[i].path, c->after ? c->after : c->before));
	if (json_array_size(paths))
		json_object_set_new(ch, "replace_paths", paths);
	else
		json_decref(paths);
	json_object_set_new(rc, "change", ch);
	if (reason)
		json_object_set_new(rc, "action_reason", json_string(reason));
	set_str(ext, "parent", c->parent);
	if (c->file) {
		json_object_set_new(ext, "file", json_string(c->file));
		json_object_set_new(ext, "line", json_integer(c->line));
	}
	json_object_set_new(rc, "lakeform", ext);
	return rc;
}

/* A resource in planned_values or prior_state (Terraform's value form). */
static json_t *resource_value(const struct lf_change *c, json_t *values)
{
	json_t *r = resource_head(c);

	json_object_set_new(r, "provider_name", provider_name(c));
	json_object_set_new(r, "schema_version", json_integer(0));
	json_object_set_new(r, "values", masked(c, values));
	json_object_set_new(r, "sensitive_values", shape(c, values));
	return r;
}

static json_t *module(json_t *resources)
{
	json_t *m = json_object(), *root = json_object();

	json_object_set_new(root, "resources", resources);
	json_object_set_new(m, "root_module", root);
	return m;
}

json_t *lf_render_json(const struct lf_plan *p)
{
	json_t *doc = json_object(), *changes = json_array();
	json_t *planned = json_array(), *prior = json_array();
	json_t *config = json_object(), *providers = json_object();
	json_t *declared = json_array(), *ext = json_object();
	json_t *warnings = json_array(), *v;
	size_t n[5] = {0};

	for (size_t i = 0; i < p->n; i++) {
		const struct lf_change *c = &p->v[i];

		n[c->action]++;
		json_array_append_new(changes, resource_change(c));
		if (c->before)
			json_array_append_new(prior, resource_value(c, c->before));
		if (c->action == LF_ACT_DELETE || !c->after)
			continue;
		json_array_append_new(planned, resource_value(c, c->after));
		if (c->provider && !json_object_get(providers, c->provider)) {
			json_t *pc = json_object();

			json_object_set_new(pc, "name", json_string(c->provider));
			json_object_set_new(pc, "full_name", provider_name(c));
			json_object_set_new(providers, c->provider, pc);
		}
		v = resource_head(c);
		set_str(v, "provider_config_key", c->provider);
		json_object_set_new(v, "expressions", json_object());
		json_object_set_new(v, "schema_version", json_integer(0));
		json_array_append_new(declared, v);
	}

	json_object_set_new(doc, "format_version", json_string("1.2"));
	json_object_set_new(doc, "terraform_version", json_string(LF_VERSION));
	json_object_set_new(doc, "planned_values", module(planned));
	json_object_set_new(doc, "resource_drift", json_array());
	json_object_set_new(doc, "resource_changes", changes);
	json_object_set_new(doc, "output_changes", json_object());
	if (json_array_size(prior)) {
		/* Terraform's state form: the module under "values" */
		v = json_object();
		json_object_set_new(v, "format_version", json_string("1.0"));
		json_object_set_new(v, "terraform_version", json_string(LF_VERSION));
		json_object_set_new(v, "values", module(prior));
		json_object_set_new(doc, "prior_state", v);
	} else {
		json_decref(prior);
	}
	json_object_set_new(config, "provider_config", providers);
	json_object_set_new(config, "root_module", json_pack("{s:o}", "resources", declared));
	json_object_set_new(doc, "configuration", config);
	if (p->created)
		json_object_set_new(doc, "timestamp", json_string(p->created));
	json_object_set_new(doc, "applyable", json_boolean(lf_plan_has_changes(p)));
	json_object_set_new(doc, "complete", json_boolean(!p->partial));
	json_object_set_new(doc, "errored", json_false());

	set_str(ext, "version", p->version);
	json_object_set_new(ext, "lineage", json_string(p->lineage));
	json_object_set_new(ext, "serial", json_integer((json_int_t)p->serial));
	set_str(ext, "git_commit", p->git_commit);
	json_object_set_new(ext, "destroy", json_boolean(p->destroy));
	json_object_set_new(ext, "partial", json_boolean(p->partial));
	for (size_t i = 0; i < p->nwarnings; i++)
		json_array_append_new(warnings, json_string(p->warnings[i]));
	json_object_set_new(ext, "warnings", warnings);
	json_object_set_new(ext, "policy_violations",
	                    p->violations ? json_deep_copy(p->violations) : json_array());
	json_object_set_new(ext, "summary",
	                    json_pack("{s:I,s:I,s:I,s:I}", "add", (json_int_t)n[LF_ACT_CREATE],
	                              "change", (json_int_t)n[LF_ACT_UPDATE], "replace",
	                              (json_int_t)n[LF_ACT_REPLACE], "destroy",
	                              (json_int_t)n[LF_ACT_DELETE]));
	if (p->cost)
		json_object_set(ext, "cost", p->cost);
	json_object_set_new(doc, "lakeform", ext);
	return doc;
}
