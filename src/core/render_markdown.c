/*
 * render_markdown.c - a plan as a pull-request comment.
 *
 * The full form: a heading with the summary, a table of counts, warnings,
 * then one folded <details> block per changed resource holding its text
 * diff in a ```diff fence.  A comment has a size limit (o->max_bytes), so
 * when the full form would pass it we fall back to the heading, the counts,
 * a note, and a table of (action, address); and when even that table is too
 * long, it stops with a row saying how many more changes there are.  The
 * result is never longer than the limit.
 *
 * The detail of a change is render_text.c's block for it (lf_render_text()
 * of a plan holding just that change, its summary line dropped), with each
 * line's symbol moved to the first column so that the diff highlighting of
 * the forge colours it ('~' becomes '!', the diff grammar's "changed").
 */
#include "render.h"

#include <string.h>

#include "../util/buf.h"

struct tally {
	size_t add, change, replace, destroy;
};

static struct tally count(const struct lf_plan *p)
{
	struct tally t = {0, 0, 0, 0};

	for (size_t i = 0; i < p->n; i++) {
		switch (p->v[i].action) {
		case LF_ACT_NOOP:
			break;
		case LF_ACT_CREATE:
			t.add++;
			break;
		case LF_ACT_UPDATE:
			t.change++;
			break;
		case LF_ACT_REPLACE:
			t.replace++;
			break;
		case LF_ACT_DELETE:
			t.destroy++;
			break;
		}
	}
	return t;
}

void lf_markdown_escape(struct lf_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			lf_buf_adds(b, "&amp;");
			break;
		case '<':
			lf_buf_adds(b, "&lt;");
			break;
		case '>':
			lf_buf_adds(b, "&gt;");
			break;
		case '|':
			lf_buf_adds(b, "&#124;");
			break;
		default:
			lf_buf_addc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
		}
	}
}

static void head(struct lf_buf *b, const struct lf_plan *p, const struct tally *t)
{
	if (t->add + t->change + t->replace + t->destroy == 0) {
		lf_buf_adds(b, p->destroy ? "### No changes. Nothing recorded to destroy.\n\n"
		                          : "### No changes. The manifests match the "
		                            "recorded state.\n\n");
		return;
	}
	lf_buf_addf(b,
	            "### Plan: %zu to add, %zu to change, %zu to replace, "
	            "%zu to destroy.\n\n",
	            t->add, t->change, t->replace, t->destroy);
	lf_buf_addf(b,
	            "| add | change | replace | destroy |\n"
	            "|---:|---:|---:|---:|\n"
	            "| %zu | %zu | %zu | %zu |\n\n",
	            t->add, t->change, t->replace, t->destroy);
}

static void warnings(struct lf_buf *b, const struct lf_plan *p)
{
	for (size_t i = 0; i < p->nwarnings; i++) {
		lf_buf_adds(b, "> **Warning:** ");
		lf_markdown_escape(b, p->warnings[i]);
		lf_buf_adds(b, "\n\n");
	}
}

/* The text block of one change, without the summary line. */
static void text_block(struct lf_buf *b, const struct lf_change *c)
{
	struct lf_change one = *c;
	struct lf_plan sub = LF_PLAN_INIT;
	struct lf_render_opts o = LF_RENDER_OPTS_INIT;
	size_t end;

	one.parent = NULL; /* alone in its block: no indentation */
	sub.v = &one;
	sub.n = 1;
	lf_render_text(b, &sub, &o);
	/* drop the summary line, then the blank line before it */
	end = b->len;
	if (end && b->ptr[end - 1] == '\n')
		end--;
	while (end && b->ptr[end - 1] != '\n')
		end--;
	while (end && b->ptr[end - 1] == '\n')
		end--;
	lf_buf_truncate(b, end);
	lf_buf_addc(b, '\n');
}

static size_t longest_backtick_run(const char *s)
{
	size_t best = 0, run = 0;

	for (; *s; s++) {
		run = *s == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

static void details(struct lf_buf *b, const struct lf_change *c)
{
	struct lf_buf text = LF_BUF_INIT;
	const char *line;
	size_t fence;

	text_block(&text, c);
	fence = longest_backtick_run(lf_buf_cstr(&text)) + 1;
	if (fence < 3)
		fence = 3;

	/* a kept resource is a no-op the reader must see: it is not destroyed */
	lf_buf_addf(b, "<details><summary>%s <code>",
	            c->reason == LF_REASON_KEPT ? "keep" : lf_action_name(c->action));
	lf_markdown_escape(b, c->address);
	lf_buf_adds(b, "</code></summary>\n\n");
	for (size_t i = 0; i < fence; i++)
		lf_buf_addc(b, '`');
	lf_buf_adds(b, "diff\n");
	for (line = lf_buf_cstr(&text); *line;) {
		size_t n = strcspn(line, "\n"), ind = strspn(line, " ");

		if (ind > 0 && ind < n && strchr("+-~", line[ind])) {
			/* "    ~ x: 1 -> 2" -> "!     x: 1 -> 2": the diff
			 * grammar colours '+', '-' and '!' in column one */
			lf_buf_addc(b, line[ind] == '~' ? '!' : line[ind]);
			lf_buf_add(b, line, ind);
			lf_buf_add(b, line + ind + 1, n - ind - 1);
		} else {
			lf_buf_add(b, line, n);
		}
		lf_buf_addc(b, '\n');
		line += n + (line[n] == '\n');
	}
	for (size_t i = 0; i < fence; i++)
		lf_buf_addc(b, '`');
	lf_buf_adds(b, "\n\n</details>\n\n");
	lf_buf_release(&text);
}

/* The full form, or -1 as soon as it passes `max`. */
static int full(struct lf_buf *b, const struct lf_plan *p, const struct tally *t, size_t max)
{
	head(b, p, t);
	warnings(b, p);
	for (size_t i = 0; i < p->n && b->len <= max; i++)
		if (p->v[i].action != LF_ACT_NOOP || p->v[i].reason == LF_REASON_KEPT)
			details(b, &p->v[i]);
	return b->len <= max ? 0 : -1;
}

static void row(struct lf_buf *b, const struct lf_change *c)
{
	lf_buf_addf(b, "| %s | <code>", lf_action_name(c->action));
	lf_markdown_escape(b, c->address);
	lf_buf_adds(b, "</code> |\n");
}

static void fallback(struct lf_buf *b, const struct lf_plan *p, const struct tally *t, size_t max)
{
	struct lf_buf line = LF_BUF_INIT, last = LF_BUF_INIT;
	size_t total = t->add + t->change + t->replace + t->destroy, shown = 0;
	size_t mark;

	head(b, p, t);
	lf_buf_addf(b,
	            "> **Note:** the detail of every change does not fit in one "
	            "comment (at most %zu bytes), so only the changed resources "
	            "are listed. Run `lakeform plan` to see every field.\n\n",
	            max);
	/* the final row at its longest, kept in reserve below */
	lf_buf_addf(&last, "| | _and %zu more_ |\n", total);
	mark = b->len;
	warnings(b, p);
	if (b->len + 40 + last.len > max && p->nwarnings) {
		lf_buf_truncate(b, mark);
		lf_buf_addf(b,
		            "> **Warning:** %zu warnings are not shown; run "
		            "`lakeform plan` to read them.\n\n",
		            p->nwarnings);
	}
	lf_buf_adds(b, "| action | address |\n|---|---|\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct lf_change *c = &p->v[i];

		if (c->action == LF_ACT_NOOP)
			continue;
		lf_buf_truncate(&line, 0);
		row(&line, c);
		/* the last row needs no room kept for "and N more" */
		if (b->len + line.len + (shown + 1 < total ? last.len : 0) > max)
			break;
		lf_buf_add(b, line.ptr, line.len);
		shown++;
	}
	if (shown < total)
		lf_buf_addf(b, "| | _and %zu more_ |\n", total - shown);
	lf_buf_release(&line);
	lf_buf_release(&last);
}

void lf_render_markdown(struct lf_buf *out, const struct lf_plan *p, const struct lf_render_opts *o)
{
	size_t max = o ? o->max_bytes : 65535;
	struct lf_buf md = LF_BUF_INIT;
	struct tally t = count(p);

	if (full(&md, p, &t, max) < 0) {
		lf_buf_truncate(&md, 0);
		fallback(&md, p, &t, max);
	}
	if (md.len > max) {
		/* a limit too small for even the heading: cut, on a character */
		size_t n = max;

		while (n > 0 && ((unsigned char)md.ptr[n] & 0xC0) == 0x80)
			n--;
		lf_buf_truncate(&md, n);
	}
	lf_buf_add(out, lf_buf_cstr(&md), md.len);
	lf_buf_release(&md);
}
