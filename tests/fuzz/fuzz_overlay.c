/*
 * fuzz_overlay - bases, patches and variables (overlay.c) under libFuzzer.
 *
 * One input is three texts separated by lines "%%": the manifests of a base
 * directory "../base", the lakeform.yaml of the configuration directory "."
 * and the lakeform.yaml of "../base" (a missing part is empty: no file).
 * They are read as the session reads them: the top lakeform.yaml checked
 * (lf_overlay_check_settings), then, when it passed, lf_overlay_load() with
 * -var arguments and an environment that give every variable a value, then
 * the position of every document's metadata.name and spec.privileges[1] looked
 * up, through the origins a patch or a substitution left.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/diag.h"
#include "core/overlay.h"
#include "core/source.h"
#include "util/mem.h"

struct parts {
	const char *text[3];
	size_t len[3];
};

static int load_dir(void *arg, struct lf_source *src, const char *dir, struct lf_diags *d)
{
	struct parts *p = arg;
	if (!strcmp(dir, "."))
		return 0;
	if (strcmp(dir, "../base")) {
		lf_diag_error(d, NULL, "cannot read '%s': No such file or directory", dir);
		return -1;
	}
	return lf_source_load_buffer(src, "../base/m.yaml", p->text[0], p->len[0], d);
}

static int load_settings(void *arg, struct lf_source *src, const char *dir, struct lf_diags *d)
{
	struct parts *p = arg;
	int i = !strcmp(dir, ".") ? 1 : !strcmp(dir, "../base") ? 2 : -1;
	if (i < 0 || !p->text[i])
		return 0;
	return lf_source_load_buffer(src, i == 1 ? "lakeform.yaml" : "../base/lakeform.yaml",
	                             p->text[i], p->len[i], d);
}

static const char *fuzz_env(const char *name, void *arg)
{
	(void)arg;
	return strlen(name) % 2 ? "1" : "[a, b]";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parts p = {{NULL, NULL, NULL}, {0, 0, 0}};
	const char *s = (const char *)data, *end = s + size;

	for (int i = 0; i < 3 && s <= end; i++) {
		const char *sep = NULL;
		for (const char *q = s; q + 4 <= end; q++)
			if (!memcmp(q, "\n%%\n", 4)) {
				sep = q;
				break;
			}
		p.text[i] = s;
		p.len[i] = (size_t)((sep ? sep : end) - s);
		if (!sep)
			break;
		s = sep + 4;
	}
	if (!p.text[0])
		p.text[0] = "";

	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_source top = LF_SOURCE_INIT;
	if (p.text[1]) {
		lf_source_load_buffer(&top, "lakeform.yaml", p.text[1], p.len[1], &d);
		if (!d.errors && top.ndocs == 1 && json_is_object(top.docs[0].root))
			lf_overlay_check_settings(&top, &top.docs[0], &d);
		else if (!d.errors)
			lf_diag_error(&d, NULL, "not one mapping");
	}
	if (!d.errors) {
		static const struct lf_var_arg args[] = {{0, "region=eu-west-1"}, {0, "n=3"}};
		struct lf_overlay_io io = {load_dir, load_settings, &p, "dev", "the top"};
		struct lf_overlay_vars vars = {args, 2, fuzz_env, NULL};
		struct lf_source src = LF_SOURCE_INIT;

		lf_overlay_load(&src, &io, &vars, &d);
		for (size_t i = 0; i < src.ndocs; i++) {
			static const struct lf_yaml_pathseg name[] = {{"metadata", 0}, {"name", 0}};
			static const struct lf_yaml_pathseg priv[] = {
			    {"spec", 0}, {"privileges", 0}, {NULL, 1}};
			lf_source_pos(&src, &src.docs[i], name, 2, 1);
			lf_source_pos(&src, &src.docs[i], priv, 3, 0);
		}
		lf_source_release(&src);
	}
	lf_diags_sort(&d);
	lf_source_release(&top);
	lf_diags_release(&d);
	return 0;
}
