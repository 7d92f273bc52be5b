/*
 * fuzz_manifest - the manifest loader under libFuzzer.
 *
 * One input is the text of one manifest file, read the way `validate`,
 * `plan` and `apply` read a configuration: YAML to documents (yaml.c,
 * source.c), each checked against its kind's schema with defaults applied
 * (manifest.c), then, when that passed, the rules across documents
 * (rules.c), the expansion into provider resources (expand.c) and the
 * policies over both (policy.c: rule schemas compiled, violations
 * reported into a JSON array).  Every
 * diagnostic's position is looked up, which parses the text a second time
 * with an index, as the CLI does when it prints them.
 *
 * The kinds are loaded once from the repository's schemas/ (LF_FUZZ_SCHEMAS
 * at build time, or $LF_FUZZ_SCHEMAS); a run that cannot load them aborts,
 * so it is not mistaken for a clean one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diag.h"
#include "core/expand.h"
#include "core/manifest.h"
#include "core/policy.h"
#include "core/source.h"

static struct lf_kinds kinds = LF_KINDS_INIT;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct lf_diags d = LF_DIAGS_INIT;
	const char *dir = getenv("LF_FUZZ_SCHEMAS");

	(void)argc;
	(void)argv;
	if (!dir || !*dir)
		dir = LF_FUZZ_SCHEMAS;
	if (lf_kinds_load(&kinds, dir, &d) != 0 || kinds.n == 0) {
		fprintf(stderr, "fuzz_manifest: cannot load the kinds of '%s' (%zu errors)\n", dir,
		        d.errors);
		abort();
	}
	lf_diags_release(&d);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_manifest m = LF_MANIFEST_INIT;
	struct lf_desired ds = LF_DESIRED_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	lf_source_load_buffer(&src, "fuzz.yaml", (const char *)data, size, &d);
	lf_manifest_build(&m, &src, &kinds, &d);
	if (!d.errors && lf_manifest_check(&m, &d) == 0 && !d.errors &&
	    lf_expand(&ds, &m, &d) == 0) {
		struct lf_policies p = LF_POLICIES_INIT;
		json_t *violations = json_array();
		if (lf_policies_load(&p, &m, &d) == 0)
			lf_policies_check(&p, &m, &ds, violations, &d);
		json_decref(violations);
		lf_policies_release(&p);
	}
	/* what the CLI does before printing them; and the positions a
	 * diagnostic of every document's metadata.name would look up */
	lf_diags_sort(&d);
	for (size_t i = 0; i < src.ndocs; i++) {
		static const struct lf_yaml_pathseg path[] = {{"metadata", 0}, {"name", 0}};
		lf_source_pos(&src, &src.docs[i], path, 2, 1);
	}
	lf_desired_release(&ds);
	lf_manifest_release(&m);
	lf_source_release(&src);
	lf_diags_release(&d);
	return 0;
}
