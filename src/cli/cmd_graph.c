/* lakeform graph: the dependency graph in Graphviz DOT. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/family.h"
#include "config.h"
#include "core/browse.h"
#include "util/buf.h"
#include "util/mem.h"

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
	/* the graph as the web application's (core/browse.h) draws it */
	json_t *nodes = json_array(), *edges = json_array();
	for (size_t i = 0; i < s.ds.n; i++) {
		const struct lf_dres *r = s.ds.v[i];
		if (!expanded && strcmp(r->provider, "lakeform"))
			continue;
		for (size_t j = 0; j < r->ndeps; j++) {
			const struct lf_dres *t = lf_desired_get(&s.ds, r->deps[j]);
			if (!t || (!expanded && strcmp(t->provider, "lakeform")))
				continue;
			json_array_append_new(edges, json_pack("[s, s]", r->address, t->address));
		}
		json_array_append_new(
		    nodes, json_pack("{s:s, s:s}", "address", r->address, "provider", r->provider));
	}
	json_t *graph = json_pack("{s:o, s:o}", "nodes", nodes, "edges", edges);
	struct lf_buf dot = LF_BUF_INIT;
	lf_browse_graph_dot(graph, NULL, &dot);
	fputs(lf_buf_cstr(&dot), cli->out);
	lf_buf_release(&dot);
	json_decref(graph);
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
