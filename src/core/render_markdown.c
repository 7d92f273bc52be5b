/*
 * render_markdown.c - a plan as a pull-request comment.
 *
 * Written for a reader scrolling a pull request, in the manner of the
 * plan comments of Atlantis and Terraform Cloud:
 *
 *   - a heading with the counts, then where the plan was made (the
 *     directory, the commit) and how it gets applied (merging);
 *   - a warning above everything else when the plan destroys or replaces
 *     anything, listing what (a few, then how many more);
 *   - then ONE fold (<details>) holding the rest: a table with one row per
 *     manifest resource (its own change, and what happens to the provider
 *     resources it expands to), then a section per manifest resource with
 *     its changes and its provider resources' as one ```diff block.
 *
 * The detail of a change is render_text.c's block for it, with each line's
 * symbol moved to the first column so that the forge's diff highlighting
 * colours it: '+' green, '-' red, and '!' (the diff grammar's "changed")
 * for an update ('~') and for a replacement ("-/+", "+/-") and its fields,
 * so a replaced resource does not read as a deleted one.
 *
 * A comment has a size limit (o->max_bytes): the heading, the warning and
 * the table come first, then the sections while they fit, whole; a line
 * says how many were left out.  The result is never longer than the limit.
 */
#include "render.h"

#include "cost.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/map.h"
#include "../util/mem.h"

/* How many destroyed or replaced resources the warning names. */
#define WARN_LIST_MAX 10
/* Room kept for the line about left-out sections and the fold's end. */
#define TAIL_RESERVE 320

struct tally {
	size_t add, change, replace, destroy;
	size_t keep; /* kept no-ops, counted for the groups only */
};

/* The changes shown under one manifest resource, in plan order. */
struct group {
	const char *address;         /* the manifest resource's */
	const struct lf_change *own; /* its own change, or NULL */
	size_t first, last;          /* indexes into the plan, linked by next[] */
	size_t n;                    /* changes in it, its own included */
	struct tally children;       /* of its provider resources */
};

struct groups {
	struct group *v;
	size_t n, alloc;
	size_t *next; /* per change: the next change of its group, or SIZE_MAX */
};

static int shown(const struct lf_change *c)
{
	return c->action != LF_ACT_NOOP || c->reason == LF_REASON_KEPT;
}

static void tally_add(struct tally *t, enum lf_action a)
{
	switch (a) {
	case LF_ACT_NOOP:
		break;
	case LF_ACT_CREATE:
		t->add++;
		break;
	case LF_ACT_UPDATE:
		t->change++;
		break;
	case LF_ACT_REPLACE:
		t->replace++;
		break;
	case LF_ACT_DELETE:
		t->destroy++;
		break;
	}
}

static struct tally count(const struct lf_plan *p)
{
	struct tally t = {0, 0, 0, 0, 0};

	for (size_t i = 0; i < p->n; i++)
		tally_add(&t, p->v[i].action);
	return t;
}

/* A manifest resource's changes and its provider resources' together; a
 * policy changed by a grant goes under that grant, as in the text. */
static void group_plan(struct groups *g, const struct lf_plan *p)
{
	struct lf_map index = LF_MAP_INIT;

	memset(g, 0, sizeof(*g));
	g->next = lf_xcalloc(p->n ? p->n : 1, sizeof(*g->next));
	for (size_t i = 0; i < p->n; i++) {
		const struct lf_change *c = &p->v[i];
		const char *key = !c->parent ? c->address : c->cause ? c->cause : c->parent;
		uintptr_t at;
		struct group *gr;

		g->next[i] = SIZE_MAX;
		if (!shown(c))
			continue;
		at = (uintptr_t)lf_map_get(&index, key);
		if (!at) {
			LF_GROW(g->v, g->n + 1, g->alloc);
			gr = &g->v[g->n++];
			memset(gr, 0, sizeof(*gr));
			gr->address = key;
			gr->first = i;
			lf_map_put(&index, key, (void *)(uintptr_t)g->n);
		} else {
			gr = &g->v[at - 1];
			g->next[gr->last] = i;
		}
		gr->last = i;
		gr->n++;
		if (!c->parent && !gr->own)
			gr->own = c;
		else if (c->reason == LF_REASON_KEPT)
			gr->children.keep++;
		else
			tally_add(&gr->children, c->action);
	}
	lf_map_release(&index);
}

static void groups_release(struct groups *g)
{
	free(g->v);
	free(g->next);
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

static void code(struct lf_buf *b, const char *s)
{
	lf_buf_adds(b, "<code>");
	lf_markdown_escape(b, s);
	lf_buf_adds(b, "</code>");
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* What a change does, as the reader calls it. */
static const char *verb(const struct lf_change *c)
{
	if (c->reason == LF_REASON_KEPT)
		return "keep";
	switch (c->action) {
	case LF_ACT_NOOP:
		return "no change";
	case LF_ACT_CREATE:
		return "create";
	case LF_ACT_UPDATE:
		return "update";
	case LF_ACT_REPLACE:
		return "replace";
	case LF_ACT_DELETE:
		return "destroy";
	}
	return "?";
}

static void heading(struct lf_buf *b, const struct lf_plan *p, const struct tally *t,
                    const struct lf_render_opts *o)
{
	const char *sep = "";

	if (t->add + t->change + t->replace + t->destroy == 0)
		lf_buf_adds(b, p->destroy ? "### lakeform plan: no changes, nothing recorded to "
		                            "destroy\n\n"
		                          : "### lakeform plan: no changes, the manifests match "
		                            "the recorded state\n\n");
	else
		lf_buf_addf(b,
		            "### lakeform plan: %zu to add, %zu to change, %zu to replace, "
		            "%zu to destroy\n\n",
		            t->add, t->change, t->replace, t->destroy);
	/* where it was planned, as Atlantis's "dir: ... workspace: ..." */
	if (o && o->dir) {
		lf_buf_adds(b, "**Directory** ");
		code(b, o->dir);
		sep = " · ";
	}
	if (p->git_commit) {
		lf_buf_addf(b, "%s**Commit** <code>", sep);
		lf_buf_add(b, p->git_commit, strnlen(p->git_commit, 12));
		lf_buf_adds(b, "</code>");
		sep = " · ";
	}
	if (p->partial) {
		lf_buf_addf(b, "%s**Partial** (--target or --exclude)", sep);
		sep = " · ";
	}
	if (*sep)
		lf_buf_adds(b, "\n\n");
}

/* Why a resource goes or is replaced, in a few words. */
static void why(struct lf_buf *b, const struct lf_change *c)
{
	size_t forced = 0;

	switch (c->reason) {
	case LF_REASON_NO_CONFIG:
		lf_buf_adds(b, "no longer declared in the manifests");
		return;
	case LF_REASON_BY_REQUEST:
		lf_buf_adds(b, "asked for with --replace");
		return;
	case LF_REASON_DESTROY:
		lf_buf_adds(b, "plan --destroy");
		return;
	case LF_REASON_REPLACED_WITH:
		lf_buf_adds(b, "what it lives in or on is replaced");
		return;
	case LF_REASON_CANNOT_UPDATE:
		for (size_t i = 0; i < c->ndiffs; i++) {
			if (!c->diffs[i].force_new)
				continue;
			lf_buf_adds(b, forced++ ? ", " : "");
			code(b, c->diffs[i].path);
		}
		lf_buf_adds(b, forced ? " cannot change in place"
		                      : "a field that cannot change in place changed");
		return;
	case LF_REASON_NONE:
	case LF_REASON_KEPT:
		break;
	}
	lf_buf_adds(b, c->action == LF_ACT_REPLACE ? "replaced" : "destroyed");
}

/* Deletes and replacements first, where nobody scrolls past them. */
static void danger(struct lf_buf *b, const struct lf_plan *p, const struct tally *t)
{
	size_t listed = 0;

	if (!t->destroy && !t->replace)
		return;
	lf_buf_adds(b, "> **Warning:** applying this plan ");
	if (t->destroy)
		lf_buf_addf(b, "**destroys %zu resource%s**", t->destroy, plural(t->destroy));
	if (t->destroy && t->replace)
		lf_buf_adds(b, " and ");
	if (t->replace)
		lf_buf_addf(b, "**replaces %zu** (destroyed, then created again)", t->replace);
	lf_buf_adds(b, ":\n>\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct lf_change *c = &p->v[i];

		if (c->action != LF_ACT_DELETE && c->action != LF_ACT_REPLACE)
			continue;
		if (listed++ == WARN_LIST_MAX)
			break;
		lf_buf_addf(b, "> - %s ", verb(c));
		code(b, c->address);
		lf_buf_adds(b, ": ");
		why(b, c);
		lf_buf_addc(b, '\n');
	}
	if (listed > WARN_LIST_MAX)
		lf_buf_addf(b, "> - and %zu more, in the details below\n",
		            t->destroy + t->replace - WARN_LIST_MAX);
	lf_buf_addc(b, '\n');
}

static void warnings(struct lf_buf *b, const struct lf_plan *p)
{
	for (size_t i = 0; i < p->nwarnings; i++) {
		lf_buf_adds(b, "> **Warning:** ");
		lf_markdown_escape(b, p->warnings[i]);
		lf_buf_adds(b, "\n\n");
	}
}

/* At most this many policy violations are listed; the others counted. */
#define VIOLATIONS_LIST_MAX 20

static const char *jstr(json_t *v, const char *key)
{
	const char *s = json_string_value(json_object_get(v, key));

	return s ? s : "";
}

/* Text written by users (a rule's message, what the validator found): no
 * HTML, and Markdown's emphasis, links and code spans left as characters */
static void md_text(struct lf_buf *b, const char *s)
{
	char one[2] = {0, 0};

	for (; *s; s++) {
		if (strchr("\\`*_[]~#", *s))
			lf_buf_addc(b, '\\');
		one[0] = *s;
		lf_markdown_escape(b, one);
	}
}

static void violation_where(struct lf_buf *b, json_t *v, const char *prefix)
{
	char key[32];
	const char *file;

	snprintf(key, sizeof(key), "%sfile", prefix);
	file = json_string_value(json_object_get(v, key));
	if (!file)
		return;
	lf_buf_adds(b, " (");
	lf_markdown_escape(b, file);
	snprintf(key, sizeof(key), "%sline", prefix);
	lf_buf_addf(b, ":%lld", (long long)json_integer_value(json_object_get(v, key)));
	snprintf(key, sizeof(key), "%scolumn", prefix);
	lf_buf_addf(b, ":%lld)", (long long)json_integer_value(json_object_get(v, key)));
}

/* The policies' warnings (a plan with a denied violation is not made). */
static void violations(struct lf_buf *b, const struct lf_plan *p)
{
	size_t n = json_array_size(p->violations), i;
	json_t *v;

	if (!n)
		return;
	lf_buf_addf(b, "> **Policy:** %zu violation%s of policies that warn\n>\n", n,
	            n == 1 ? "" : "s");
	json_array_foreach (p->violations, i, v) {
		const char *msg = json_string_value(json_object_get(v, "message"));
		if (i == VIOLATIONS_LIST_MAX) {
			lf_buf_addf(b, "> - and %zu more; run `lakeform plan` to read them\n",
			            n - VIOLATIONS_LIST_MAX);
			break;
		}
		lf_buf_adds(b, "> - ");
		code(b, jstr(v, "address"));
		violation_where(b, v, "");
		lf_buf_adds(b, " violates ");
		lf_markdown_escape(b, jstr(v, "kind"));
		lf_buf_addc(b, ' ');
		code(b, jstr(v, "policy"));
		lf_buf_addc(b, ' ');
		code(b, jstr(v, "rule"));
		violation_where(b, v, "rule_");
		lf_buf_adds(b, ": ");
		if (msg) {
			md_text(b, msg);
			lf_buf_adds(b, ": ");
		}
		md_text(b, jstr(v, "detail"));
		lf_buf_addc(b, '\n');
	}
	lf_buf_addc(b, '\n');
}

static void how_to_apply(struct lf_buf *b, const struct lf_render_opts *o)
{
	lf_buf_adds(b, "**To apply:** merge this pull request; the pipeline of the main branch "
	               "applies the merged commit. By hand: <code>lakeform");
	if (o && o->dir && strcmp(o->dir, ".") != 0) {
		lf_buf_adds(b, " -C ");
		lf_markdown_escape(b, o->dir);
	}
	lf_buf_adds(b, " apply</code>.\n\n");
}

/* The provider resources' part of a table row: "2 replace, 1 create". */
static void children_cell(struct lf_buf *b, const struct tally *t)
{
	const char *names[5] = {"create", "update", "replace", "destroy", "keep"};
	size_t n[5] = {t->add, t->change, t->replace, t->destroy, t->keep};
	int any = 0;

	for (int i = 0; i < 5; i++) {
		if (!n[i])
			continue;
		lf_buf_addf(b, "%s%zu %s", any++ ? ", " : "", n[i], names[i]);
	}
	if (!any)
		lf_buf_adds(b, "none");
}

static void table_row(struct lf_buf *b, const struct group *g)
{
	lf_buf_adds(b, "| ");
	code(b, g->address);
	lf_buf_addf(b, " | %s | ", g->own ? verb(g->own) : "no change");
	children_cell(b, &g->children);
	lf_buf_adds(b, " |\n");
}

/* The text blocks of a group's changes, without the summary line. */
static void text_blocks(struct lf_buf *b, const struct lf_plan *p, const struct groups *g,
                        const struct group *gr)
{
	struct lf_plan sub = LF_PLAN_INIT;
	struct lf_render_opts o = LF_RENDER_OPTS_INIT;
	size_t end, start, k = 0;

	/* the manifest resource first, its provider resources then in plan
	 * order: the section's heading already says whose they are */
	sub.v = lf_xcalloc(gr->n, sizeof(*sub.v));
	if (gr->own)
		sub.v[k++] = *gr->own;
	for (size_t i = gr->first; i != SIZE_MAX; i = g->next[i])
		if (&p->v[i] != gr->own)
			sub.v[k++] = p->v[i];
	sub.n = k;
	start = b->len;
	lf_render_text(b, &sub, &o);
	free(sub.v);
	if (!gr->own && !strncmp(b->ptr + start, "  # ", 4)) {
		/* "  # part of X" above the first: X is the heading */
		size_t n = strcspn(b->ptr + start, "\n") + 1;

		memmove(b->ptr + start, b->ptr + start + n, b->len - start - n);
		lf_buf_truncate(b, b->len - n);
	}
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

/* One manifest resource: a heading and its diff block. */
static void section(struct lf_buf *b, const struct lf_plan *p, const struct groups *g,
                    const struct group *gr)
{
	struct lf_buf text = LF_BUF_INIT;
	const char *line;
	size_t fence;

	text_blocks(&text, p, g, gr);
	fence = longest_backtick_run(lf_buf_cstr(&text)) + 1;
	if (fence < 3)
		fence = 3;
	lf_buf_addf(b, "#### %s ", gr->own ? verb(gr->own) : "changes under");
	code(b, gr->address);
	lf_buf_adds(b, "\n\n");
	for (size_t i = 0; i < fence; i++)
		lf_buf_addc(b, '`');
	lf_buf_adds(b, "diff\n");
	for (line = lf_buf_cstr(&text); *line;) {
		size_t n = strcspn(line, "\n"), ind = strspn(line, " ");
		int replace = n >= ind + 3 &&
		              (!strncmp(line + ind, "-/+", 3) || !strncmp(line + ind, "+/-", 3));

		if (replace) {
			/* "  -/+ x" -> "!  -/+ x": '-' in column one would
			 * colour a replacement as a deletion */
			lf_buf_addc(b, '!');
			lf_buf_add(b, line, n);
		} else if (ind > 0 && ind < n && strchr("+-~", line[ind])) {
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
	lf_buf_adds(b, "\n\n");
	lf_buf_release(&text);
}

static void body(struct lf_buf *b, const struct lf_plan *p, const struct groups *g, size_t max)
{
	struct lf_buf piece = LF_BUF_INIT;
	size_t rows = 0, done = 0, total = 0;

	for (size_t i = 0; i < g->n; i++)
		total += g->v[i].n;
	lf_buf_addf(b,
	            "<details><summary>Show the %zu change%s, under %zu manifest "
	            "resource%s</summary>\n\n",
	            total, plural(total), g->n, plural(g->n));
	lf_buf_adds(b, "| manifest resource | change | its provider resources |\n"
	               "|---|---|---|\n");
	for (; rows < g->n; rows++) {
		lf_buf_truncate(&piece, 0);
		table_row(&piece, &g->v[rows]);
		if (b->len + piece.len + 64 + TAIL_RESERVE > max)
			break;
		lf_buf_add(b, piece.ptr, piece.len);
	}
	if (rows < g->n)
		lf_buf_addf(b, "| _and %zu more_ | | |\n", g->n - rows);
	lf_buf_addc(b, '\n');
	for (; done < g->n; done++) {
		lf_buf_truncate(&piece, 0);
		section(&piece, p, g, &g->v[done]);
		if (b->len + piece.len + TAIL_RESERVE > max)
			break;
		lf_buf_add(b, piece.ptr, piece.len);
	}
	if (done < g->n)
		lf_buf_addf(b,
		            "_The detail of %zu more manifest resource%s is left out: a comment "
		            "holds at most %zu characters. Run <code>lakeform plan</code> to see "
		            "every change._\n\n",
		            g->n - done, plural(g->n - done), max);
	lf_buf_adds(b, "</details>\n");
	lf_buf_release(&piece);
}

/*
 * Append a comment to `out`, cut to `max` bytes on a character boundary
 * when the limit is too small for even its heading, and release it.
 */
void lf_markdown_finish(struct lf_buf *out, struct lf_buf *md, size_t max)
{
	if (md->len > max) {
		size_t n = max;

		while (n > 0 && ((unsigned char)md->ptr[n] & 0xC0) == 0x80)
			n--;
		lf_buf_truncate(md, n);
	}
	lf_buf_add(out, lf_buf_cstr(md), md->len);
	lf_buf_release(md);
}

void lf_render_markdown(struct lf_buf *out, const struct lf_plan *p, const struct lf_render_opts *o)
{
	size_t max = o ? o->max_bytes : 65535;
	struct lf_buf md = LF_BUF_INIT;
	struct tally t = count(p);
	struct groups g;
	size_t mark;

	group_plan(&g, p);
	heading(&md, p, &t, o);
	mark = md.len;
	danger(&md, p, &t);
	warnings(&md, p);
	if (md.len + TAIL_RESERVE + 200 > max && p->nwarnings) {
		/* too many warnings to leave room for the rest: count them */
		lf_buf_truncate(&md, mark);
		danger(&md, p, &t);
		lf_buf_addf(&md,
		            "> **Warning:** %zu warnings are not shown; run `lakeform plan` "
		            "to read them.\n\n",
		            p->nwarnings);
	}
	violations(&md, p);
	if (p->cost)
		lf_cost_render_markdown(&md, p->cost);
	if (g.n) {
		if (t.add + t.change + t.replace + t.destroy && !(o && o->applying))
			how_to_apply(&md, o);
		body(&md, p, &g, max);
	}
	groups_release(&g);
	lf_markdown_finish(out, &md, max);
}
