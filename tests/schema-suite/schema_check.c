/*
 * schema_check SCHEMA DOCUMENT - lakeform's validator on one JSON document,
 * for comparing its verdicts with ajv's (tests/schemas/ajv-check.sh).
 * Exit 0 valid, 1 invalid, 2 on a usage or load error.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/jsonschema.h"

static void show(void *ctx, const struct lf_jpath_seg *path, size_t depth,
		 const char *msg)
{
	(void)ctx;
	(void)path;
	fprintf(stderr, "  depth %zu: %s\n", depth, msg);
}

int main(int argc, char **argv)
{
	json_error_t err;
	struct lf_schema *s;
	char *why = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: schema_check SCHEMA DOCUMENT\n");
		return 2;
	}
	json_t *schema = json_load_file(argv[1], 0, &err);
	json_t *doc = json_load_file(argv[2], JSON_DECODE_ANY, &err);
	if (!schema || !doc) {
		fprintf(stderr, "schema_check: %s\n", err.text);
		return 2;
	}
	if (lf_schema_compile(&s, schema, &why) != 0) {
		fprintf(stderr, "schema_check: %s\n", why);
		free(why);
		return 2;
	}
	size_t n = lf_schema_validate(s, doc, show, NULL);
	lf_schema_free(s);
	json_decref(schema);
	json_decref(doc);
	return n ? 1 : 0;
}
