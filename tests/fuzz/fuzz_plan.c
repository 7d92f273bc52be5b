/*
 * fuzz_plan - the saved-plan reader under libFuzzer.
 *
 * One input is a plan file as `lakeform show PLANFILE` and `lakeform apply
 * PLANFILE` read it: json_loadb() with the flags of their json_load_file(),
 * then lf_plan_from_json().  A plan read is then used as `show` uses it:
 * rendered as text (with and without colour), as Markdown (with a small
 * size limit, so that the cut is exercised) and as Terraform's JSON, and
 * checked against a state as `apply` checks it.
 *
 * Checked besides what the sanitizers catch: a plan read and written
 * again (lf_plan_to_json(), what `plan -out` saves) reads back, and
 * writing that gives the same document: the format is a fixed point after
 * one round.  A broken promise aborts with both documents.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan.h"
#include "core/render.h"
#include "util/buf.h"

static void render(const struct lf_plan *p)
{
	struct lf_render_opts o = LF_RENDER_OPTS_INIT;
	struct lf_buf b = LF_BUF_INIT;

	lf_render_text(&b, p, &o);
	lf_buf_truncate(&b, 0);
	o.color = 1;
	lf_render_text(&b, p, &o);
	lf_buf_truncate(&b, 0);
	lf_render_markdown(&b, p, &o);
	lf_buf_truncate(&b, 0);
	o.max_bytes = 600;
	lf_render_markdown(&b, p, &o);
	lf_buf_release(&b);
	json_decref(lf_render_json(p));
}

static void current(const struct lf_plan *p)
{
	char *why = NULL;

	lf_plan_check_current(p, 0, NULL, 0, &why);
	free(why);
	lf_plan_check_current(p, 1, p->lineage, p->serial, &why);
	free(why);
	lf_plan_check_current(p, 1, "00000000-0000-0000-0000-000000000000", 7, &why);
	free(why);
}

static void mismatch(const json_t *a, const json_t *b)
{
	char *ta = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
	char *tb = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);

	fprintf(stderr, "fuzz_plan: a saved plan written again differs:\n%s\n%s\n",
	        ta ? ta : "NULL", tb ? tb : "NULL");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lf_plan p, q;
	json_error_t jerr;
	char *err = NULL;
	json_t *doc = json_loadb((const char *)data, size, 0, &jerr);

	if (!doc)
		return 0;
	if (lf_plan_from_json(&p, doc, &err) != 0) {
		if (!err)
			abort(); /* a refusal always says why */
		free(err);
		json_decref(doc);
		return 0;
	}
	render(&p);
	current(&p);

	json_t *once = lf_plan_to_json(&p);
	if (lf_plan_from_json(&q, once, &err) != 0) {
		fprintf(stderr, "fuzz_plan: a plan written does not read back: %s\n",
		        err ? err : "?");
		mismatch(once, doc);
	}
	json_t *twice = lf_plan_to_json(&q);
	if (!json_equal(once, twice))
		mismatch(once, twice);
	json_decref(twice);
	json_decref(once);
	lf_plan_release(&q);
	lf_plan_release(&p);
	json_decref(doc);
	return 0;
}
