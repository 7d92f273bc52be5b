/*
 * render_text.c - a plan for people, in the manner of `terraform plan`.
 *
 *   + storage.bucket/acme-default
 *       # manifests/account.yaml:3
 *       + spec:
 *           + region: "us-east-1"
 *
 *   ~ workspace/analytics
 *       ~ spec.node_pool.nodes: 2 -> 4
 *
 * Plan: 1 to add, 1 to change, 0 to replace, 0 to destroy.
 *
 * Values are printed as JSON scalars (strings quoted and escaped, so a value
 * cannot smuggle a terminal escape); object keys of a created resource are
 * sorted, so the output never depends on the order of a hash.  Provider
 * resources with a manifest parent are indented under it; the plan's order
 * is kept as it is.
 */
#include "render.h"

#include "cost.h"

#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"
#include "../util/par.h"

#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define RED "\033[31m"
#define MAGENTA "\033[35m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

struct text {
	struct lf_buf *out;
	const struct lf_change *c;
	int color;
	struct lf_buf path; /* dotted path of the value being printed */
};

static void spaces(struct lf_buf *out, int n)
{
	static const char blank[] = "                                ";

	for (; n > 0; n -= (int)sizeof(blank) - 1)
		lf_buf_add(out, blank, n < (int)sizeof(blank) - 1 ? (size_t)n : sizeof(blank) - 1);
}

static void colored(struct text *t, const char *color, const char *s)
{
	if (t->color)
		lf_buf_adds(t->out, color);
	lf_buf_adds(t->out, s);
	if (t->color)
		lf_buf_adds(t->out, RESET);
}

/* Free text from outside (file names, warnings): no control characters. */
static void add_clean(struct lf_buf *out, const char *s)
{
	while (*s) {
		size_t n = 0;
		while (s[n] && (unsigned char)s[n] >= 0x20 && s[n] != 0x7f)
			n++;
		lf_buf_add(out, s, n);
		s += n;
		if (*s) {
			lf_buf_addc(out, '?');
			s++;
		}
	}
}

static void add_json(struct lf_buf *out, const json_t *v)
{
	/* most values are plain strings and integers: written here as jansson
	 * writes them (a string of printable ASCII with no '"' or '\\' is
	 * quoted as it is), without an encoder and a copy per value */
	if (json_is_integer(v)) {
		char num[32];
		int n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		lf_buf_add(out, num, (size_t)n);
		return;
	}
	if (json_is_string(v)) {
		const char *p = json_string_value(v);
		size_t n = json_string_length(v), i;
		for (i = 0; i < n; i++)
			if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '"' || p[i] == '\\')
				break;
		if (i == n) {
			lf_buf_addc(out, '"');
			lf_buf_add(out, p, n);
			lf_buf_addc(out, '"');
			return;
		}
	}
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);

	lf_buf_adds(out, s ? s : "null");
	free(s);
}

/* Keys, paths and addresses bare when they are plain, else quoted. */
static void add_label(struct lf_buf *out, const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_-./@:+=,", *p)))
			break;
	if (*s && !*p) {
		lf_buf_adds(out, s);
	} else {
		json_t *j = json_string(s);

		/* json_string() refuses invalid UTF-8: show it as such */
		if (j)
			add_json(out, j);
		else
			lf_buf_adds(out, "\"(invalid UTF-8)\"");
		json_decref(j);
	}
}

static void lead(struct text *t, int indent, char sym)
{
	char s[2] = {sym, '\0'};

	spaces(t->out, indent);
	if (t->color)
		colored(t, sym == '+' ? GREEN : sym == '-' ? RED : YELLOW, s);
	else
		lf_buf_addc(t->out, sym);
}

static void end_line(struct text *t, const char *suffix)
{
	if (suffix) {
		lf_buf_addc(t->out, ' ');
		colored(t, RED, suffix);
	}
	lf_buf_addc(t->out, '\n');
}

struct member {
	const char *key;
	json_t *value;
};

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->key, ((const struct member *)b)->key);
}

static void value(struct text *t, int indent, char sym, const char *label, json_t *v,
                  const char *suffix);

static void members(struct text *t, int indent, char sym, json_t *obj)
{
	size_t n = json_object_size(obj), i = 0, len = t->path.len;
	struct member few[16];
	struct member *mv = n <= 16 ? few : lf_xmalloc(n * sizeof(*mv));
	const char *key;
	json_t *item;

	json_object_foreach (obj, key, item) {
		mv[i].key = key;
		mv[i++].value = item;
	}
	if (n > 16) {
		qsort(mv, n, sizeof(*mv), cmp_member);
	} else {
		/* a few keys, as most objects have: insertion sort */
		for (size_t a = 1; a < n; a++) {
			struct member m = mv[a];
			size_t b = a;
			for (; b && strcmp(mv[b - 1].key, m.key) > 0; b--)
				mv[b] = mv[b - 1];
			mv[b] = m;
		}
	}
	for (i = 0; i < n; i++) {
		if (len)
			lf_buf_addc(&t->path, '.');
		lf_buf_adds(&t->path, mv[i].key);
		value(t, indent, sym, mv[i].key, mv[i].value, NULL);
		lf_buf_truncate(&t->path, len);
	}
	if (mv != few)
		free(mv);
}

static void items(struct text *t, int indent, char sym, json_t *arr)
{
	size_t i, len = t->path.len;
	json_t *item;

	json_array_foreach (arr, i, item) {
		char at[32];
		int k = snprintf(at, sizeof(at), len ? ".%zu" : "%zu", i);
		lf_buf_add(&t->path, at, (size_t)k);
		value(t, indent, sym, NULL, item, NULL);
		lf_buf_truncate(&t->path, len);
	}
}

/*
 * One value at t->path: "sym label: scalar", or "sym label:" and its
 * members below; an array item has no label, and an object or array inside
 * an array is bracketed.
 */
static void value(struct text *t, int indent, char sym, const char *label, json_t *v,
                  const char *suffix)
{
	int nested =
	    (json_is_object(v) && json_object_size(v)) || (json_is_array(v) && json_array_size(v));

	lead(t, indent, sym);
	if (label) {
		lf_buf_addc(t->out, ' ');
		add_label(t->out, label);
		lf_buf_addc(t->out, ':');
	}
	if (lf_change_is_sensitive(t->c, lf_buf_cstr(&t->path))) {
		lf_buf_adds(t->out, " " LF_SENSITIVE_TEXT);
		end_line(t, suffix);
		return;
	}
	if (!nested) {
		lf_buf_addc(t->out, ' ');
		add_json(t->out, v);
		end_line(t, suffix);
		return;
	}
	if (!label)
		lf_buf_adds(t->out, json_is_object(v) ? " {" : " [");
	end_line(t, suffix);
	if (json_is_object(v))
		members(t, indent + 4, sym, v);
	else
		items(t, indent + 4, sym, v);
	if (!label) {
		spaces(t->out, indent + 2);
		lf_buf_adds(t->out, json_is_object(v) ? "}\n" : "]\n");
	}
}

/* A value on one line, masked: for "~ path: before -> after". */
static void inline_value(struct text *t, json_t *v)
{
	json_t *m = lf_change_mask(t->c, lf_buf_cstr(&t->path), v);

	add_json(t->out, m);
	json_decref(m);
}

static void diff(struct text *t, int indent, const struct lf_field_diff *d)
{
	const char *suffix = d->force_new ? "# forces replacement" : NULL;

	lf_buf_truncate(&t->path, 0);
	lf_buf_adds(&t->path, d->path);
	if (!d->before && !d->after)
		return;
	if (!d->before) {
		value(t, indent, '+', d->path, d->after, suffix);
		return;
	}
	if (!d->after) {
		value(t, indent, '-', d->path, d->before, suffix);
		return;
	}
	lead(t, indent, '~');
	lf_buf_addc(t->out, ' ');
	add_label(t->out, d->path);
	lf_buf_adds(t->out, ": ");
	if (lf_change_is_sensitive(t->c, d->path)) {
		lf_buf_adds(t->out, LF_SENSITIVE_TEXT);
	} else {
		inline_value(t, d->before);
		lf_buf_adds(t->out, " -> ");
		inline_value(t, d->after);
	}
	end_line(t, suffix);
}

static const char *reason_text(enum lf_reason r)
{
	switch (r) {
	case LF_REASON_NONE:
		return NULL;
	case LF_REASON_CANNOT_UPDATE:
		return "# (a field that cannot be updated in place changed)";
	case LF_REASON_BY_REQUEST:
		return "# (replacement requested with --replace)";
	case LF_REASON_NO_CONFIG:
		return "# (no longer declared in the manifests)";
	case LF_REASON_DESTROY:
		return "# (plan --destroy)";
	case LF_REASON_REPLACED_WITH:
		return "# (what it lives in or on is replaced)";
	case LF_REASON_KEPT:
		return "# (kept, not destroyed)";
	}
	return NULL;
}

static void header(struct text *t, int pad)
{
	const struct lf_change *c = t->c;
	const char *sym = "", *color = RESET;

	switch (c->action) {
	case LF_ACT_NOOP:
		if (c->reason != LF_REASON_KEPT)
			return;
		sym = "  =";
		break;
	case LF_ACT_CREATE:
		sym = "  +", color = GREEN;
		break;
	case LF_ACT_UPDATE:
		sym = "  ~", color = YELLOW;
		break;
	case LF_ACT_REPLACE:
		sym = c->create_before_destroy ? "+/-" : "-/+", color = MAGENTA;
		break;
	case LF_ACT_DELETE:
		sym = "  -", color = RED;
		break;
	}
	spaces(t->out, pad + (int)strspn(sym, " "));
	colored(t, color, sym + strspn(sym, " "));
	lf_buf_addc(t->out, ' ');
	if (t->color)
		lf_buf_adds(t->out, BOLD);
	add_label(t->out, c->address);
	if (t->color)
		lf_buf_adds(t->out, RESET);
	lf_buf_addc(t->out, '\n');
}

static void change(struct text *t, int pad)
{
	const struct lf_change *c = t->c;
	const char *reason = reason_text(c->reason);
	int indent = pad + 6;

	header(t, pad);
	if (reason) {
		spaces(t->out, indent);
		lf_buf_adds(t->out, reason);
		lf_buf_addc(t->out, '\n');
	}
	if (c->note) {
		spaces(t->out, indent);
		lf_buf_adds(t->out, "# ");
		add_clean(t->out, c->note);
		lf_buf_addc(t->out, '\n');
	}
	if (c->file) {
		spaces(t->out, indent);
		lf_buf_adds(t->out, "# ");
		add_clean(t->out, c->file);
		if (c->line)
			lf_buf_addf(t->out, ":%u", c->line);
		lf_buf_addc(t->out, '\n');
	}
	switch (c->action) {
	case LF_ACT_NOOP:
	case LF_ACT_DELETE:
		break;
	case LF_ACT_CREATE:
		lf_buf_truncate(&t->path, 0);
		if (json_is_object(c->after) && !lf_change_is_sensitive(c, ""))
			members(t, indent, '+', c->after);
		else if (c->after)
			value(t, indent, '+', NULL, c->after, NULL);
		break;
	case LF_ACT_UPDATE:
	case LF_ACT_REPLACE:
		for (size_t i = 0; i < c->ndiffs; i++)
			diff(t, indent, &c->diffs[i]);
		break;
	}
}

static void summary(struct lf_buf *out, const struct lf_plan *p)
{
	size_t n[5] = {0};

	for (size_t i = 0; i < p->n; i++)
		n[p->v[i].action]++;
	if (n[LF_ACT_CREATE] + n[LF_ACT_UPDATE] + n[LF_ACT_REPLACE] + n[LF_ACT_DELETE] == 0) {
		lf_buf_adds(out, p->destroy ? "No changes. Nothing recorded to destroy.\n"
		                            : "No changes. The manifests match the "
		                              "recorded state.\n");
		return;
	}
	lf_buf_addf(out,
	            "Plan: %zu to add, %zu to change, %zu to replace, "
	            "%zu to destroy.\n",
	            n[LF_ACT_CREATE], n[LF_ACT_UPDATE], n[LF_ACT_REPLACE], n[LF_ACT_DELETE]);
}

/* Whether change `c` has a block of its own. */
static int shown(const struct lf_change *c)
{
	return c->action != LF_ACT_NOOP || c->reason == LF_REASON_KEPT;
}

/* The manifest address the blocks after `c` belong to, given `group`. */
static const char *group_after(const struct lf_change *c, const char *group, int *header)
{
	if (!c->parent) {
		*header = 0;
		return c->address;
	}
	/* a policy changed by a grant is shown under that grant */
	const char *under = c->cause ? c->cause : c->parent;
	*header = !group || strcmp(group, under) != 0;
	return *header ? under : group;
}

/* The changes of a plan rendered on every core, a piece of PIECE changes
 * each: what a piece starts with (the group above it, whether a block came
 * before) is worked out first, without rendering. */
#define PIECE 512

struct piece {
	size_t from, to;
	const char *group;
	int after_block;
	struct lf_buf out;
};

struct pieces {
	const struct lf_plan *p;
	int color;
	struct piece *v;
};

static void render_piece(void *arg, size_t k)
{
	struct pieces *ps = arg;
	struct piece *pc = &ps->v[k];
	struct text t = {&pc->out, NULL, ps->color, LF_BUF_INIT};
	const char *group = pc->group;
	int blocks = pc->after_block;

	for (size_t i = pc->from; i < pc->to; i++) {
		const struct lf_change *c = &ps->p->v[i];
		int header;

		if (!shown(c))
			continue;
		if (blocks++)
			lf_buf_addc(t.out, '\n');
		t.c = c;
		group = group_after(c, group, &header);
		if (header) {
			/* its parent is not the block just above: say whose it is */
			lf_buf_adds(t.out, c->cause ? "  # from " : "  # part of ");
			add_label(t.out, group);
			lf_buf_addc(t.out, '\n');
		}
		change(&t, c->parent ? 4 : 0);
	}
	lf_buf_release(&t.path);
}

void lf_render_text(struct lf_buf *out, const struct lf_plan *p, const struct lf_render_opts *o)
{
	struct text t = {out, NULL, o && o->color, LF_BUF_INIT};
	size_t npieces = (p->n + PIECE - 1) / PIECE;
	struct pieces ps = {p, t.color, lf_xcalloc(npieces + 1, sizeof(*ps.v))};
	const char *group = NULL; /* manifest address the last block belongs to */
	int blocks = 0;

	for (size_t k = 0; k < npieces; k++) {
		struct piece *pc = &ps.v[k];
		pc->from = k * PIECE;
		pc->to = pc->from + PIECE < p->n ? pc->from + PIECE : p->n;
		pc->group = group;
		pc->after_block = blocks > 0;
		for (size_t i = pc->from; i < pc->to; i++) {
			int header;
			if (!shown(&p->v[i]))
				continue;
			blocks++;
			group = group_after(&p->v[i], group, &header);
		}
	}
	/* a few pieces at a time, written out in order, so that the text is
	 * never held whole */
	for (size_t k = 0; k < npieces; k += 16) {
		size_t n = npieces - k < 16 ? npieces - k : 16;
		struct pieces wave = {p, t.color, ps.v + k};
		lf_par_for(n, render_piece, &wave);
		/* with a flush, each piece is handed over as it is, never copied
		 * into `out`: a wave's text (bucket policies of megabytes each)
		 * grew `out` to 32 MB */
		for (size_t j = k; j < k + n; j++) {
			struct lf_buf *piece = &ps.v[j].out;
			if (o && o->flush && out->len + piece->len >= 65536) {
				if (out->len)
					o->flush(o->flush_arg, out->ptr, out->len);
				lf_buf_truncate(out, 0);
				if (piece->len)
					o->flush(o->flush_arg, piece->ptr, piece->len);
			} else {
				lf_buf_add(out, piece->ptr ? piece->ptr : "", piece->len);
			}
			lf_buf_release(piece);
		}
	}
	free(ps.v);
	if (blocks)
		lf_buf_addc(out, '\n');
	for (size_t i = 0; i < p->nwarnings; i++) {
		colored(&t, YELLOW BOLD, "Warning:");
		lf_buf_addc(out, ' ');
		add_clean(out, p->warnings[i]);
		lf_buf_addc(out, '\n');
	}
	if (p->nwarnings)
		lf_buf_addc(out, '\n');
	summary(out, p);
	if (p->cost) {
		lf_buf_addc(out, '\n');
		lf_cost_render_text(out, p->cost);
	}
	lf_buf_release(&t.path);
}
