/*
 * render.h - a plan as text, as Terraform-shaped JSON, or as Markdown.
 *
 * Renderers build their output in memory (core never prints); the CLI
 * writes it.  They show changes in the plan's order and never print a
 * sensitive value: "(sensitive)" stands in its place.
 */
#ifndef LF_CORE_RENDER_H
#define LF_CORE_RENDER_H

#include <jansson.h>

#include "plan.h"
#include "../util/buf.h"

struct lf_render_opts {
	int color;        /* ANSI colours (the CLI sets it on a terminal) */
	size_t max_bytes; /* Markdown: the limit of a comment, 65535 */
	const char *dir;  /* Markdown: the directory planned, as given, or NULL */
	int applying;     /* Markdown: printed by apply, so no "to apply, merge" */
	/* text: when set, the text made so far is handed to it after every
	 * few thousand changes, 64 KiB or more at a time (`out` keeps only the
	 * rest), so a plan of 100,000 resources is not held whole in memory */
	void (*flush)(void *arg, const char *text, size_t n);
	void *flush_arg;
};

#define LF_RENDER_OPTS_INIT                   \
	{                                     \
		0, 65535, NULL, 0, NULL, NULL \
	}

/*
 * Human text: one block per changed resource with its symbol (+ create,
 * ~ update, -/+ replace, +/- replace creating first, - delete), the field
 * differences, the reason of each replacement or deletion, warnings, then
 * the summary line "Plan: 3 to add, 1 to change, 1 to replace, 0 to
 * destroy." or "No changes. ..." when there are none.
 */
void lf_render_text(struct lf_buf *out, const struct lf_plan *p, const struct lf_render_opts *o);

/* Terraform's machine-readable plan (format_version "1.2"); new reference. */
json_t *lf_render_json(const struct lf_plan *p);

/*
 * A pull-request comment under o->max_bytes: the counts, the directory and
 * commit, a warning naming what is destroyed or replaced, how to apply;
 * then one <details> fold with a table of the manifest resources and, per
 * manifest resource, the diff of its changes and its provider resources',
 * as many whole sections as fit (a line counts those left out).
 */
void lf_render_markdown(struct lf_buf *out, const struct lf_plan *p,
                        const struct lf_render_opts *o);

/* `s` as text in HTML or a Markdown table cell: no markup, no line breaks
 * (control characters become spaces), no '|'. */
void lf_markdown_escape(struct lf_buf *b, const char *s);

/* Append the comment `md` to `out`, cut to `max` bytes on a character
 * boundary if it is still longer, and release `md`. */
void lf_markdown_finish(struct lf_buf *out, struct lf_buf *md, size_t max);

#endif
