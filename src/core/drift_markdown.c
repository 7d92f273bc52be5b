/*
 * drift_markdown.c - a drift report as an issue or pull-request comment.
 *
 * The same shape as a plan comment (render_markdown.c): a heading with the
 * count, where it was checked (directory, commit, state serial), the
 * counts by kind, a warning naming what no longer exists or could not be
 * read, what to do about it; then one fold (<details>) with a table of the
 * findings and, for each changed resource, a table of its fields.
 *
 * The comment stays under `max` bytes (GitHub takes 65,536 characters): the
 * table rows and the field sections are added whole while they fit, and a
 * line says how many were left out, so a long report is never a cut-off
 * document as `head -c` of the JSON report was.
 */
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "render.h"
#include "../util/mem.h"

/* Missing resources the warning names before "and N more". */
#define WARN_LIST_MAX 10
/* Room kept for the closing lines and the fold's end. */
#define TAIL_RESERVE 320
/* The longest value shown in a cell. */
#define CELL_MAX 120

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void code(struct lf_buf *b, const char *s)
{
	lf_buf_adds(b, "<code>");
	lf_markdown_escape(b, s);
	lf_buf_adds(b, "</code>");
}

/* A value in a cell: compact JSON, cut on a character after CELL_MAX. */
static void cell(struct lf_buf *b, json_t *v)
{
	char *s;
	size_t n;

	if (!v) {
		lf_buf_adds(b, "_absent_");
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!s) {
		lf_buf_adds(b, "_?_");
		return;
	}
	n = strlen(s);
	if (n > CELL_MAX) {
		n = CELL_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		memcpy(s + n, "...", 4);
	}
	code(b, s);
	free(s);
}

static size_t found(const struct lf_drift *dr)
{
	return dr->changed + dr->missing + dr->unmanaged + dr->not_applied + dr->not_declared;
}

static void heading(struct lf_buf *b, const struct lf_drift *dr, const struct lf_drift_meta *meta,
                    const char *dir)
{
	size_t n = found(dr), listed = dr->managed_objects + dr->unmanaged_objects;

	if (n)
		lf_buf_addf(b, "### lakeform drift: %zu finding%s\n\n", n, plural(n));
	else if (dr->errors)
		lf_buf_adds(b, "### lakeform drift: incomplete\n\n");
	else
		lf_buf_adds(b, "### lakeform drift: in sync\n\n");
	if (dir) {
		lf_buf_adds(b, "**Directory** ");
		code(b, dir);
		lf_buf_adds(b, " · ");
	}
	if (meta->git_commit) {
		lf_buf_adds(b, "**Commit** <code>");
		lf_buf_add(b, meta->git_commit, strnlen(meta->git_commit, 12));
		lf_buf_adds(b, "</code> · ");
	}
	lf_buf_addf(b, "**State serial** %llu\n\n", meta->serial);
	lf_buf_adds(b, "| changed | missing | unmanaged | not applied | not declared | ignored |\n"
	               "|---:|---:|---:|---:|---:|---:|\n");
	lf_buf_addf(b, "| %zu | %zu | %zu | %zu | %zu | %zu |\n\n", dr->changed, dr->missing,
	            dr->unmanaged, dr->not_applied, dr->not_declared, dr->ignored);
	lf_buf_addf(b, "%zu recorded resource%s read, %zu in sync", dr->checked,
	            plural(dr->checked), dr->in_sync);
	if (dr->errors)
		lf_buf_addf(b, ", **%zu could not be read**", dr->errors);
	if (listed)
		lf_buf_addf(b, "; lakeform manages %zu of %zu labelled objects (%.1f%%)",
		            dr->managed_objects, listed,
		            100.0 * (double)dr->managed_objects / (double)listed);
	lf_buf_adds(b, ".\n\n");
}

/* What is gone, and what could not be checked, above the fold. */
static void warning(struct lf_buf *b, const struct lf_drift *dr)
{
	size_t listed = 0;

	if (dr->errors)
		lf_buf_addf(b,
		            "> **Warning:** %zu recorded resource%s could not be read: this "
		            "report is incomplete (the job's log says why).\n\n",
		            dr->errors, plural(dr->errors));
	if (!dr->missing)
		return;
	lf_buf_addf(b,
	            "> **Warning:** %zu recorded resource%s no longer exist%s; the next "
	            "apply creates %s again:\n>\n",
	            dr->missing, plural(dr->missing), dr->missing == 1 ? "s" : "",
	            dr->missing == 1 ? "it" : "them");
	for (size_t i = 0; i < dr->n; i++) {
		const struct lf_drift_finding *f = &dr->v[i];

		if (f->ignored || f->kind != LF_DRIFT_MISSING)
			continue;
		if (listed++ == WARN_LIST_MAX)
			break;
		lf_buf_adds(b, "> - ");
		code(b, f->address);
		lf_buf_addc(b, '\n');
	}
	if (listed > WARN_LIST_MAX)
		lf_buf_addf(b, "> - and %zu more, in the details below\n",
		            dr->missing - WARN_LIST_MAX);
	lf_buf_addc(b, '\n');
}

static size_t fields_shown(const struct lf_drift_finding *f)
{
	size_t n = 0;

	for (size_t k = 0; k < f->nfields; k++)
		n += !f->fields[k].ignored;
	return n;
}

static void row(struct lf_buf *b, const struct lf_drift_finding *f)
{
	size_t n;

	lf_buf_addf(b, "| %s | ", lf_drift_kind_name(f->kind));
	code(b, f->address);
	lf_buf_adds(b, " | ");
	switch (f->kind) {
	case LF_DRIFT_CHANGED:
		n = fields_shown(f);
		lf_buf_addf(b, "%zu field%s changed outside lakeform", n, plural(n));
		break;
	case LF_DRIFT_MISSING:
		lf_buf_adds(b, "recorded, no longer exists");
		break;
	case LF_DRIFT_UNMANAGED:
		lf_markdown_escape(b, f->type);
		lf_buf_adds(b, " ");
		code(b, f->id ? f->id : "");
		lf_buf_adds(b, " carries this account's labels, no state records it");
		break;
	case LF_DRIFT_NOT_APPLIED:
		lf_buf_adds(b, "declared in the manifests, never applied");
		break;
	case LF_DRIFT_NOT_DECLARED:
		lf_buf_adds(b, "recorded, no longer in the manifests");
		break;
	}
	lf_buf_adds(b, " |\n");
}

static void section(struct lf_buf *b, const struct lf_drift_finding *f)
{
	lf_buf_adds(b, "#### changed ");
	code(b, f->address);
	lf_buf_adds(b, "\n\n| field | recorded | real |\n|---|---|---|\n");
	for (size_t k = 0; k < f->nfields; k++) {
		const struct lf_drift_field *fl = &f->fields[k];

		if (fl->ignored)
			continue;
		lf_buf_adds(b, "| ");
		code(b, fl->path);
		lf_buf_adds(b, " | ");
		cell(b, fl->recorded);
		lf_buf_adds(b, " | ");
		cell(b, fl->real);
		lf_buf_adds(b, " |\n");
	}
	lf_buf_addc(b, '\n');
}

static void details(struct lf_buf *b, const struct lf_drift *dr, size_t max)
{
	struct lf_buf piece = LF_BUF_INIT;
	size_t total = found(dr), rows = 0, sections = 0, changed = 0;
	int room = 1;

	lf_buf_addf(b, "<details><summary>Show the %zu finding%s</summary>\n\n", total,
	            plural(total));
	lf_buf_adds(b, "| finding | resource | detail |\n|---|---|---|\n");
	for (size_t i = 0; i < dr->n; i++) {
		const struct lf_drift_finding *f = &dr->v[i];

		if (f->ignored)
			continue;
		lf_buf_truncate(&piece, 0);
		row(&piece, f);
		if (b->len + piece.len + 64 + TAIL_RESERVE > max)
			break;
		lf_buf_add(b, piece.ptr, piece.len);
		rows++;
	}
	if (rows < total)
		lf_buf_addf(b, "| _and %zu more_ | | |\n", total - rows);
	lf_buf_addc(b, '\n');
	for (size_t i = 0; i < dr->n; i++) {
		const struct lf_drift_finding *f = &dr->v[i];

		if (f->ignored || f->kind != LF_DRIFT_CHANGED)
			continue;
		changed++;
		if (!room)
			continue; /* one did not fit: the rest stay out, in order */
		lf_buf_truncate(&piece, 0);
		section(&piece, f);
		if (b->len + piece.len + TAIL_RESERVE > max) {
			room = 0;
			continue;
		}
		lf_buf_add(b, piece.ptr, piece.len);
		sections++;
	}
	if (sections < changed || rows < total) {
		lf_buf_addf(b, "_Left out to stay under %zu characters: ", max);
		if (rows < total)
			lf_buf_addf(b, "%zu finding%s of the table%s", total - rows,
			            plural(total - rows), sections < changed ? ", " : "");
		if (sections < changed)
			lf_buf_addf(b, "the fields of %zu changed resource%s", changed - sections,
			            plural(changed - sections));
		lf_buf_adds(b, ". <code>lakeform drift --json</code> has them all._\n\n");
	}
	lf_buf_adds(b, "</details>\n");
	lf_buf_release(&piece);
}

void lf_drift_markdown(struct lf_buf *out, const struct lf_drift *dr,
                       const struct lf_drift_meta *meta, const char *dir, size_t max)
{
	struct lf_buf md = LF_BUF_INIT;

	heading(&md, dr, meta, dir);
	warning(&md, dr);
	if (found(dr)) {
		lf_buf_adds(&md, "**What to do:** <code>lakeform apply</code> puts back what the "
		                 "manifests and the state say; <code>lakeform refresh</code> "
		                 "records the real objects instead; <code>lakeform drift "
		                 "--write-ignore</code> accepts what was found as expected.\n\n");
		details(&md, dr, max);
	}
	lf_markdown_finish(out, &md, max);
}
