#include "s3policy.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

static const char *const read_actions[] = {"s3:GetObject", NULL};
static const char *const write_actions[] = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                                            "s3:AbortMultipartUpload", NULL};

const char *const *s3_policy_actions(int write)
{
	return write ? write_actions : read_actions;
}

/* One principal's part of the document, in order of first appearance. */
struct who {
	const char *principal, *arn;
	json_t *res[2]; /* object ARNs: read, write */
	json_t *prefixes;
	int whole; /* a path is the whole bucket: listing needs no condition */
};

static void add_unique(json_t *arr, json_t *v)
{
	size_t i;
	json_t *e;

	json_array_foreach (arr, i, e)
		if (json_equal(e, v)) {
			json_decref(v);
			return;
		}
	json_array_append_new(arr, v);
}

/* A single value stands alone, more make a list (what AWS itself writes). */
static json_t *one_or_list(json_t *arr)
{
	if (json_array_size(arr) == 1)
		return json_incref(json_array_get(arr, 0));
	return json_incref(arr);
}

static json_t *actions(int write)
{
	json_t *a = json_array();

	for (const char *const *v = s3_policy_actions(write); *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

json_t *s3_policy_compile(const char *bucket, const char *id, const json_t *statements,
                          s3_policy_arn_fn arn_fn, void *arg, const char **missing)
{
	size_t n = json_array_size(statements), nw = 0, i;
	struct who *w = lf_xcalloc(n + 1, sizeof(*w));
	json_t *doc = NULL, *s;

	json_array_foreach (statements, i, s) {
		const char *principal = json_string_value(json_object_get(s, "principal"));
		const char *access = json_string_value(json_object_get(s, "access"));
		const char *path = json_string_value(json_object_get(s, "path"));
		const char *arn = principal ? arn_fn(arg, principal) : NULL;
		size_t k;

		if (!arn) {
			if (missing)
				*missing = principal ? principal : "";
			goto out;
		}
		if (!path)
			path = "";
		for (k = 0; k < nw && strcmp(w[k].principal, principal); k++)
			;
		if (k == nw) {
			w[nw].principal = principal;
			w[nw].arn = arn;
			w[nw].res[0] = json_array();
			w[nw].res[1] = json_array();
			w[nw].prefixes = json_array();
			nw++;
		}
		add_unique(w[k].res[access && !strcmp(access, "write")],
		           json_sprintf("arn:aws:s3:::%s/%s*", bucket, path));
		add_unique(w[k].prefixes, json_sprintf("%s*", path));
		if (!*path)
			w[k].whole = 1;
	}
	doc = json_pack("{s:s, s:s, s:[]}", "Version", "2012-10-17", "Id", id, "Statement");
	json_t *out = json_object_get(doc, "Statement");
	for (size_t k = 0; k < nw; k++) {
		for (int write = 0; write < 2; write++) {
			if (!json_array_size(w[k].res[write]))
				continue;
			json_array_append_new(
			    out,
			    json_pack("{s:o, s:s, s:{s:s}, s:o, s:o}", "Sid",
			              json_sprintf("Lakeform%s%zu", write ? "Write" : "Read", k),
			              "Effect", "Allow", "Principal", "AWS", w[k].arn, "Action",
			              actions(write), "Resource", one_or_list(w[k].res[write])));
		}
		json_t *list = json_pack("{s:o, s:s, s:{s:s}, s:s, s:o}", "Sid",
		                         json_sprintf("LakeformList%zu", k), "Effect", "Allow",
		                         "Principal", "AWS", w[k].arn, "Action", "s3:ListBucket",
		                         "Resource", json_sprintf("arn:aws:s3:::%s", bucket));
		if (!w[k].whole)
			json_object_set_new(list, "Condition",
			                    json_pack("{s:{s:o}}", "StringLike", "s3:prefix",
			                              one_or_list(w[k].prefixes)));
		json_array_append_new(out, list);
	}
out:
	for (size_t k = 0; k < nw; k++) {
		json_decref(w[k].res[0]);
		json_decref(w[k].res[1]);
		json_decref(w[k].prefixes);
	}
	free(w);
	return doc;
}

char *s3_policy_text(const json_t *doc)
{
	return json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
}
