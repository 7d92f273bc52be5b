/*
 * changed_since.c - plan --changed-since REV: the manifest resources that
 * changed between REV and the manifests planned, and their dependants.
 */
#include <string.h>

#include "config.h"
#include "core/git.h"
#include "util/mem.h"

static char symbol(enum lf_change_how how)
{
	switch (how) {
	case LF_CHANGED_ADDED:
		return '+';
	case LF_CHANGED_MODIFIED:
		return '~';
	case LF_CHANGED_REMOVED:
		return '-';
	case LF_CHANGED_DEPENDANT:
		return '>';
	}
	return '?';
}

static void print_list(FILE *f, const struct lf_changed *ch, const char *rev, const char *commit)
{
	size_t count[4] = {0, 0, 0, 0};

	for (size_t i = 0; i < ch->n; i++)
		count[ch->v[i].how]++;
	fprintf(f,
	        "Changed since '%s' (commit %.12s): %zu added, %zu changed, %zu removed, %zu "
	        "dependant%s\n",
	        rev, commit, count[LF_CHANGED_ADDED], count[LF_CHANGED_MODIFIED],
	        count[LF_CHANGED_REMOVED], count[LF_CHANGED_DEPENDANT],
	        count[LF_CHANGED_DEPENDANT] == 1 ? "" : "s");
	for (size_t i = 0; i < ch->n; i++) {
		const struct lf_changed_res *r = &ch->v[i];
		fprintf(f, "  %c %s", symbol(r->how), r->address);
		if (r->via)
			fprintf(f, " (needs %s)", r->via);
		if (!r->planned)
			fprintf(f, " (never applied: nothing to plan)");
		fputc('\n', f);
	}
	if (ch->ntargets == 0)
		fprintf(f, "Nothing to plan.\n");
	fputc('\n', f);
}

int lf_cli_changed_since(struct lf_cli *cli, struct lf_session *s, const char *rev,
                         struct lf_changed *out)
{
	struct lf_git_spec spec = LF_GIT_SPEC_INIT;
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_manifest before = LF_MANIFEST_INIT;
	struct lf_diags d = LF_DIAGS_INIT, ignored = LF_DIAGS_INIT;
	char commit[41] = "";
	int rc = LF_EXIT_ERROR;

	/* the same directory of the same repository, at REV */
	if (s->opts.git) {
		spec.repo = lf_xstrdup(s->opts.git->repo);
		spec.rev = lf_xstrdup(rev);
		spec.path = lf_xstrdup(s->opts.git->path);
	} else if (lf_git_spec_of_dir(&spec, ".", rev, &d)) {
		goto out;
	}
	/* a directory REV did not have yet: everything in it is added */
	if (lf_git_load(&src, commit, &spec, LF_GIT_MANIFESTS_IF_ANY, &d))
		goto out;
	/* what REV got wrong is not this plan's business: a resource that
	 * does not build there counts as added now */
	lf_manifest_build(&before, &src, &s->kinds, &ignored);
	lf_changed_find(out, &before, &s->m, &s->ds, &s->st);
	print_list(lf_cli_flag(cli, "json") || lf_cli_flag(cli, "markdown") ? cli->err : cli->out,
	           out, rev, commit);
	rc = LF_EXIT_OK;
out:
	if (d.n)
		lf_cli_print_diags(cli, &d);
	lf_manifest_release(&before);
	lf_source_release(&src);
	lf_git_spec_release(&spec);
	lf_diags_release(&d);
	lf_diags_release(&ignored);
	return rc;
}
