/* lakeform graph: the dependency graph in Graphviz DOT. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/family.h"
#include "config.h"
#include "util/mem.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A DOT string: quotes and backslashes escaped. */
static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int run(struct lf_cli *cli)
{
	struct lf_session s;
	int expanded = lf_cli_flag(cli, "expanded");
	int rc;

	lf_cli_session_init(cli, &s);
	rc = lf_cli_load(cli, &s);

	if (rc != LF_EXIT_OK)
		goto out;
	s.ds.identities = lf_family_provider(s.settings, LF_FAMILY_IDENTITY) != NULL;
	if (lf_expand(&s.ds, &s.m, &s.d) != 0) {
		lf_cli_print_diags(cli, &s.d);
		rc = LF_EXIT_ERROR;
		goto out;
	}
	/* lines sorted, so the output is the same on every run */
	char **lines = lf_xcalloc(1, sizeof(*lines));
	size_t n = 0;
	for (size_t i = 0; i < s.ds.n; i++) {
		const struct lf_dres *r = s.ds.v[i];
		if (!expanded && strcmp(r->provider, "lakeform"))
			continue;
		for (size_t j = 0; j < r->ndeps; j++) {
			const struct lf_dres *t = lf_desired_get(&s.ds, r->deps[j]);
			if (!t || (!expanded && strcmp(t->provider, "lakeform")))
				continue;
			lines = lf_xrealloc(lines, (n + 1) * sizeof(*lines));
			lines[n++] = lf_xasprintf("%s\x1f%s", r->address, t->address);
		}
		lines = lf_xrealloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = lf_xasprintf("%s", r->address);
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	fprintf(cli->out, "digraph lakeform {\n  rankdir = \"RL\";\n"
	                  "  node [shape = box, fontname = \"sans-serif\"];\n");
	for (size_t i = 0; i < n; i++) {
		char *sep = strchr(lines[i], '\x1f');
		fputs("  ", cli->out);
		if (sep) {
			*sep = '\0';
			quoted(cli->out, lines[i]);
			fputs(" -> ", cli->out);
			quoted(cli->out, sep + 1);
		} else {
			const struct lf_dres *r = lf_desired_get(&s.ds, lines[i]);
			quoted(cli->out, lines[i]);
			if (r && strcmp(r->provider, "lakeform"))
				fputs(" [style = dashed]", cli->out);
		}
		fputs(";\n", cli->out);
		free(lines[i]);
	}
	fputs("}\n", cli->out);
	free(lines);
out:
	lf_session_close(&s);
	return rc;
}

static const struct lf_option options[] = {
    {"expanded", 0, NULL, "show the provider resources too (buckets, prefixes, ...)"},
    {0},
};

const struct lf_command lf_cmd_graph = {
    .name = "graph",
    .summary = "print the dependency graph as DOT",
    .usage = "graph [--expanded]",
    .description = "Print the dependency graph of the manifests in Graphviz DOT: one node\n"
                   "per resource, an edge from each resource to each one it needs.  By\n"
                   "default only manifest resources; with --expanded also the provider\n"
                   "resources they expand to (dashed).  Render it with, for example,\n"
                   "'lakeform graph | dot -Tsvg > graph.svg'.",
    .options = options,
    .min_args = 0,
    .max_args = 0,
    .run = run,
};
