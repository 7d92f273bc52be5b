/* lakeform providers: which provider serves which resource type. */
#include <string.h>

#include "cli.h"
#include "config.h"
#include "core/family.h"
#include "core/provider.h"

static int run(struct lf_cli *cli)
{
	struct lf_session s;
	struct lf_diags d = LF_DIAGS_INIT;
	int rc = LF_EXIT_ERROR, json = lf_cli_flag(cli, "json");
	json_t *all = json_array();

	lf_cli_session_init(cli, &s);
	if (lf_session_initialize_providers(&s, &d)) {
		lf_cli_session_error(cli, &s, &d);
		goto out;
	}
	for (int f = 0; f < LF_NFAMILIES; f++) {
		struct lf_provider *p = lf_session_provider(&s, f);
		if (!p)
			continue; /* an optional family lakeform.yaml does not configure */
		const char *v = lf_provider_version(p);
		const char *want = json_string_value(json_object_get(
		    json_object_get(json_object_get(s.settings, "providers"), lf_families[f].name),
		    "version"));
		const json_t *types = lf_provider_types(p);
		size_t i;
		json_t *t;

		if (json) {
			json_array_append_new(
			    all, json_pack("{s:s, s:s, s:o, s:o, s:O}", "family",
			                   lf_families[f].name, "name", lf_provider_name(p),
			                   "version", v ? json_string(v) : json_null(), "required",
			                   want ? json_string(want) : json_null(), "resource_types",
			                   (json_t *)types));
			continue;
		}
		fprintf(cli->out, "%s%s: %s %s", f ? "\n" : "", lf_families[f].name,
		        lf_provider_name(p), v ? v : "(no version reported)");
		if (want)
			fprintf(cli->out, " (lakeform.yaml requires %s)", want);
		fputc('\n', cli->out);
		json_array_foreach ((json_t *)types, i, t)
			fprintf(cli->out, "  %s\n", json_string_value(t));
	}
	if (json) {
		char *text = json_dumps(all, JSON_COMPACT);
		fprintf(cli->out, "%s\n", text);
		free(text);
	}
	rc = LF_EXIT_OK;
out:
	json_decref(all);
	lf_diags_release(&d);
	lf_cli_session_close(cli, &s);
	return rc;
}

static const struct lf_option options[] = {
    {"json", 0, NULL, "print them as JSON"},
    {0},
};

const struct lf_command lf_cmd_providers = {
    .name = "providers",
    .summary = "list the providers, their versions and resource types",
    .usage = "providers [--json]",
    .description = "Start each family's provider (as lakeform.yaml chooses it) for its\n"
                   "answer to initialize, and print which provider serves which\n"
                   "resource types, with the version it reports and the version\n"
                   "lakeform.yaml requires of it.  A provider that is missing, or whose\n"
                   "version does not satisfy providers.NAME.version, is an error\n"
                   "(exit 1).  With --json: one object per family (family, name,\n"
                   "version, required, resource_types).",
    .options = options,
    .min_args = 0,
    .max_args = 0,
    .run = run,
};
