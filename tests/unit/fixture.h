/*
 * fixture.h - what the unit tests that load manifests share: finding the
 * repository's directories and failing with a call's diagnostics.
 *
 * Include after cmocka.h.  The functions are static inline, so a test
 * that uses only some of them compiles without warnings.
 */
#ifndef LF_TESTS_UNIT_FIXTURE_H
#define LF_TESTS_UNIT_FIXTURE_H

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/diag.h"
#include "util/buf.h"
#include "util/mem.h"

static inline int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* `rel` (schemas, examples, ...) under the repository root, a new string:
 * beside LAKEFORM_SCHEMA_DIR when it is set, else found from the working
 * directory or up to three directories above it. */
static inline char *repo_path(const char *rel)
{
	static const char *const up[] = {"", "../", "../../", "../../../"};
	const char *env = getenv("LAKEFORM_SCHEMA_DIR");

	if (env && *env) {
		if (!strcmp(rel, "schemas"))
			return lf_xstrdup(env);
		/* examples/ sits beside the schema directory */
		char *p = lf_xasprintf("%s/../%s", env, rel);
		if (is_dir(p))
			return p;
		free(p);
	}
	for (size_t i = 0; i < sizeof(up) / sizeof(*up); i++) {
		char *p = lf_xasprintf("%s%s", up[i], rel);
		if (is_dir(p))
			return p;
		free(p);
	}
	fail_msg("cannot find '%s' (run from the repository root or set "
	         "LAKEFORM_SCHEMA_DIR)",
	         rel);
	return NULL;
}

/* Fail the test with what `what` said in d, a line a diagnostic. */
static inline void fail_with_diags(const struct lf_diags *d, const char *what)
{
	struct lf_buf b = LF_BUF_INIT;

	for (size_t i = 0; i < d->n; i++)
		lf_buf_addf(&b, "  %s:%u:%u: %s\n", d->v[i].file ? d->v[i].file : "-", d->v[i].line,
		            d->v[i].col, d->v[i].msg);
	fail_msg("%s failed:\n%s", what, lf_buf_cstr(&b));
	lf_buf_release(&b);
}

#endif
