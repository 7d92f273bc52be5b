/*
 * mkstate DIR [SKIP_EVERY] - record the manifests of DIR in DIR/.lakeform as
 * if everything had been applied by a provider that reports its inputs back.
 *
 * Until apply exists, this is how benchmarks and golden tests get a state
 * that matches the manifests ("plan, no changes").  With SKIP_EVERY = N,
 * every N-th resource is left out, so the next plan creates those.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/expand.h"
#include "core/manifest.h"
#include "core/planner.h"
#include "core/source.h"
#include "state/state.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

int main(int argc, char **argv)
{
	struct lf_kinds kinds = LF_KINDS_INIT;
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_manifest m = LF_MANIFEST_INIT;
	struct lf_desired ds = LF_DESIRED_INIT;
	struct lf_state st = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_backend *b = NULL;
	const char *schemas = getenv("LAKEFORM_SCHEMA_DIR");
	long skip = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	int rc = 1;

	if (argc < 2 || !schemas) {
		fprintf(stderr, "usage: LAKEFORM_SCHEMA_DIR=schemas mkstate DIR [SKIP_EVERY]\n");
		return 64;
	}
	if (chdir(argv[1]) != 0) {
		perror(argv[1]);
		return 1;
	}
	if (lf_kinds_load(&kinds, schemas, &d) || lf_source_load(&src, ".", &d) ||
	    lf_manifest_build(&m, &src, &kinds, &d) || lf_manifest_check(&m, &d) ||
	    lf_backend_local_open(&b, ".lakeform") ||
	    lf_state_load(&st, b, 0, &d))
		goto out;
	lf_planner_ignore_changes(&m, &st);
	if (lf_expand(&ds, &m, &d))
		goto out;
	for (size_t i = 0; i < ds.n; i++) {
		const struct lf_dres *r = ds.v[i];
		struct lf_state_res rec;

		if (skip > 0 && i % (size_t)skip == (size_t)skip - 1)
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.address = r->address;
		rec.type = r->type;
		rec.provider = r->provider;
		rec.parent = r->parent;
		memcpy(rec.digest, r->digest, sizeof(rec.digest));
		rec.deps = json_array();
		for (size_t j = 0; j < r->ndeps; j++)
			json_array_append_new(rec.deps, json_string(r->deps[j]));
		rec.inputs = r->inputs;
		rec.attrs = r->inputs;
		rec.sensitive = json_array();
		for (size_t j = 0; r->kind && j < r->kind->nsensitive; j++)
			json_array_append_new(rec.sensitive, json_string(r->kind->sensitive[j]));
		lf_state_put(&st, &rec);
		json_decref(rec.deps);
		json_decref(rec.sensitive);
	}
	/* every resource recorded as declared: the fingerprint of these
	 * inputs says so (plan answers "no changes" from it) */
	char fp[65];
	if (skip <= 0 && lf_source_fingerprint(fp, ".", schemas, LF_VERSION) == 0)
		st.fingerprint = strdup(fp);
	if (lf_state_write(b, &st) == 0)
		rc = 0;
out:
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "mkstate: %s:%u:%u: %s\n", d.v[i].file ? d.v[i].file : "-",
			d.v[i].line, d.v[i].col, d.v[i].msg);
	lf_desired_release(&ds);
	lf_manifest_release(&m);
	lf_state_release(&st);
	if (b)
		lf_backend_free(b);
	lf_source_release(&src);
	lf_kinds_release(&kinds);
	lf_diags_release(&d);
	return rc;
}
