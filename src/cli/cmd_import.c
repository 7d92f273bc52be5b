/* lakeform import: adopt an existing object into the state. */
#include <string.h>

#include "cli.h"
#include "config.h"
#include "core/apply.h"
#include "util/mem.h"

static json_t *strings(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static int run(struct lf_cli *cli)
{
	struct lf_session s;
	json_t *res = NULL;
	const char *addr = cli->args[0], *id = cli->args[1];
	struct lf_provider_error err;
	int rc;

	lf_cli_session_init(cli, &s);
	rc = lf_cli_open_for_write(cli, &s, "import");
	if (rc != LF_EXIT_OK)
		goto out;
	rc = LF_EXIT_ERROR;
	if (lf_cli_expand(cli, &s) != LF_EXIT_OK)
		goto out;
	struct lf_dres *w = lf_desired_get(&s.ds, addr);
	if (!w) {
		lf_cli_error(cli,
		             "'%s' is not declared by the manifests; import adopts an object for a "
		             "resource they declare",
		             addr);
		goto out;
	}
	struct lf_provider *p = lf_providers_get(&s.pv, w->provider);
	if (!p) {
		lf_cli_error(cli,
		             "'%s' is a manifest resource, recorded by apply: import the provider "
		             "resources it expands to ('lakeform graph --expanded')",
		             addr);
		goto out;
	}
	if (lf_state_get(&s.st, addr)) {
		lf_cli_error(cli,
		             "'%s' is already recorded; 'lakeform state rm' it first to import "
		             "another object",
		             addr);
		goto out;
	}
	json_t *params = json_pack("{s:s, s:s, s:s, s:O}", "type", w->type, "address", addr, "id",
	                           id, "inputs", w->inputs);
	int crc = lf_provider_call(p, "read", params,
	                           lf_session_provider_timeout(&s, lf_family_find(w->provider)),
	                           &res, &err);
	json_decref(params);
	if (crc) {
		lf_cli_error(cli, "cannot read '%s' from provider '%s': %s", id,
		             lf_provider_name(p), err.message);
		goto out;
	}
	if (!json_is_true(json_object_get(res, "exists"))) {
		lf_cli_error(cli, "provider '%s' has no %s with id '%s'", lf_provider_name(p),
		             w->type, id);
		goto out;
	}
	json_t *attrs = json_deep_copy(json_object_get(res, "attributes"));
	if (!attrs)
		attrs = json_object();
	if (!json_object_get(attrs, "id"))
		json_object_set_new(attrs, "id", json_string(id));
	json_t *seen = lf_observed_inputs(w->inputs, attrs);
	struct lf_state_res rec;
	memset(&rec, 0, sizeof(rec));
	rec.address = w->address;
	rec.type = w->type;
	rec.provider = w->provider;
	rec.parent = w->parent;
	rec.deps = strings(w->deps, w->ndeps);
	rec.inputs = seen;
	rec.attrs = attrs;
	lf_json_digest(seen, rec.digest);
	lf_state_put(&s.st, &rec);
	json_decref(rec.deps);
	json_decref(seen);
	json_decref(attrs);
	/* the manifest resource it belongs to is a record without a call */
	struct lf_dres *parent = w->parent ? lf_desired_get(&s.ds, w->parent) : NULL;
	if (parent && !lf_state_get(&s.st, parent->address)) {
		memset(&rec, 0, sizeof(rec));
		rec.address = parent->address;
		rec.type = parent->type;
		rec.provider = parent->provider;
		memcpy(rec.digest, parent->digest, sizeof(rec.digest));
		rec.deps = strings(parent->deps, parent->ndeps);
		rec.inputs = parent->inputs;
		lf_state_put(&s.st, &rec);
		json_decref(rec.deps);
	}
	int werr = lf_state_write(s.backend, &s.st);
	if (werr) {
		lf_cli_error(cli, "cannot write the state: %s", lf_state_strerror(werr));
		goto out;
	}
	fprintf(cli->out, "Imported %s (id '%s').%s\n", addr, id,
	        cli->automation ? "" : " 'lakeform plan' shows how it differs from the manifests.");
	rc = LF_EXIT_OK;
out:
	json_decref(res);
	lf_cli_session_close(cli, &s);
	return rc;
}

static const struct lf_option options[] = {
    {"lock-timeout", 0, "DURATION", "wait this long for the state lock (30s, 2m)"},
    {"lock", 0, NULL, "take the state lock (default; -lock=false: not, local backend only)"},
    {"input", 0, NULL, "accepted for Terraform's -input=false: never asks"},
    {0},
};

const struct lf_command lf_cmd_import = {
    .name = "import",
    .summary = "adopt an existing object into the state",
    .usage = "import [--lock-timeout DURATION] ADDR ID",
    .description = "Record the existing object ID (as its provider names it: a bucket's\n"
                   "name, a network's name) under the provider resource ADDR that the\n"
                   "manifests declare ('lakeform graph --expanded' lists them), with\n"
                   "its fields as the provider reports them, so that the next plan shows\n"
                   "only how it differs from the manifests.  The manifest resource ADDR\n"
                   "belongs to is recorded too.  Nothing is created or changed.",
    .options = options,
    .min_args = 2,
    .max_args = 2,
    .run = run,
};
