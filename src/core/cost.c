/*
 * cost.c - the PriceList and Budget rules, the estimate of a plan, and the
 * pricing of measured usage (cost.h).
 *
 * Money is counted in whole cents (of the price list's currency) from the
 * moment a row is priced: a row's amount is rounded once, and totals and
 * budgets add the rounded rows, so that what is printed adds up.
 */
#include "cost.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "family.h"
#include "provider.h"
#include "render.h"
#include "../state/state.h"
#include "../util/mem.h"

/* ---- the documents ---------------------------------------------------- */

static const struct lf_resource *first_of_kind(const struct lf_manifest *m, const char *kind)
{
	for (size_t i = 0; i < m->nres; i++)
		if (!strcmp(m->res[i].kind->name, kind))
			return &m->res[i];
	return NULL;
}

int lf_cost_has_pricelist(const struct lf_manifest *m)
{
	return m && first_of_kind(m, "PriceList") != NULL;
}

static struct lf_pos pos_of(const struct lf_manifest *m, const struct lf_resource *r,
                            const char *path)
{
	return lf_source_path_pos(m->src, r->doc, path, (size_t)-1);
}

static const struct lf_resource *account_of(const struct lf_manifest *m)
{
	return first_of_kind(m, "Account");
}

/* The value of tag `key` on workspace `ws`: its own tags over the account's. */
static const char *ws_tag(const struct lf_manifest *m, const struct lf_resource *ws,
                          const char *key)
{
	const char *v =
	    json_string_value(json_object_get(lf_json_path(ws->value, "spec.tags"), key));
	const struct lf_resource *acct = account_of(m);

	if (!v && acct)
		v = json_string_value(json_object_get(lf_json_path(acct->value, "spec.tags"), key));
	return v;
}

/* Whether budget `b` covers workspace `ws`. */
static int selects(const struct lf_manifest *m, const struct lf_resource *b,
                   const struct lf_resource *ws)
{
	json_t *sel = lf_json_path(b->value, "spec.selection");
	const char *name = json_string_value(json_object_get(sel, "workspace"));
	json_t *tag = json_object_get(sel, "tag");

	if (json_is_true(json_object_get(sel, "account")))
		return 1;
	if (name)
		return !strcmp(name, ws->name);
	if (tag) {
		const char *v = ws_tag(m, ws, json_string_value(json_object_get(tag, "key")));
		return v && !strcmp(v, json_string_value(json_object_get(tag, "value")));
	}
	return 0;
}

/* The budget's selection in words: "workspace 'dev'", "tag team=data", "the account". */
static char *selection_text(const struct lf_resource *b)
{
	json_t *sel = lf_json_path(b->value, "spec.selection");
	const char *name = json_string_value(json_object_get(sel, "workspace"));
	json_t *tag = json_object_get(sel, "tag");

	if (name)
		return lf_xasprintf("workspace '%s'", name);
	if (tag)
		return lf_xasprintf("tag '%s=%s'", json_string_value(json_object_get(tag, "key")),
		                    json_string_value(json_object_get(tag, "value")));
	return lf_xstrdup("the account");
}

void lf_cost_check(const struct lf_manifest *m, struct lf_diags *d)
{
	const struct lf_resource *pl = NULL;
	const json_t *known = m->kinds->regions;

	for (size_t i = 0; i < m->nres; i++) {
		const struct lf_resource *r = &m->res[i];
		const char *region;
		json_t *v;

		if (strcmp(r->kind->name, "PriceList"))
			continue;
		if (pl) {
			struct lf_pos at = pos_of(m, r, "metadata.name"), first = pos_of(m, pl, "");
			lf_diag_error(d, &at,
			              "pricelist '%s': a manifest set has one PriceList, and "
			              "'%s' is at %s:%u:%u (put every region in one)",
			              r->name, pl->name, first.file ? first.file : "?", first.line,
			              first.col);
		} else {
			pl = r;
		}
		if (!json_object_size(lf_json_path(r->value, "spec.regions"))) {
			struct lf_pos at = pos_of(m, r, "spec.regions");
			lf_diag_error(d, &at,
			              "spec.regions: give the prices of at least one region");
		}
		if (!known)
			continue;
		json_object_foreach (lf_json_path(r->value, "spec.regions"), region, v) {
			size_t k;
			json_t *kv;
			int found = 0;

			json_array_foreach (known, k, kv)
				if (!strcmp(json_string_value(kv), region))
					found = 1;
			if (found)
				continue;
			char *path = lf_xasprintf("spec.regions.%s", region);
			struct lf_pos at = pos_of(m, r, path);
			lf_diag_error(
			    d, &at,
			    "spec.regions: unknown region '%s' (a private cloud's regions "
			    "are listed in lakeform.yaml's 'regions')",
			    region);
			free(path);
		}
	}
	for (size_t i = 0; i < m->nres; i++) {
		const struct lf_resource *b = &m->res[i];

		/* the kind first: most of 100,000 resources are not Budgets */
		if (strcmp(b->kind->name, "Budget"))
			continue;
		json_t *sel = lf_json_path(b->value, "spec.selection");
		const char *name = json_string_value(json_object_get(sel, "workspace"));
		json_t *tag = json_object_get(sel, "tag");
		if (!pl) {
			struct lf_pos at = pos_of(m, b, "spec.monthly_limit");
			lf_diag_error(d, &at,
			              "budget '%s': a budget is in a price list's currency, and no "
			              "PriceList is declared",
			              b->name);
		}
		if (name) {
			char *addr = lf_xasprintf("workspace/%s", name);
			const struct lf_resource *ws = lf_manifest_get(m, addr);
			free(addr);
			if (!ws || strcmp(ws->kind->name, "Workspace")) {
				struct lf_pos at = pos_of(m, b, "spec.selection.workspace");
				const char *best = NULL;
				size_t bestd = 4;
				for (size_t j = 0; j < m->nres; j++) {
					if (strcmp(m->res[j].kind->name, "Workspace"))
						continue;
					size_t e = lf_edit_distance(name, m->res[j].name);
					if (e < bestd) {
						bestd = e;
						best = m->res[j].name;
					}
				}
				if (best)
					lf_diag_error(
					    d, &at,
					    "spec.selection.workspace: no workspace '%s' is "
					    "declared (did you mean '%s'?)",
					    name, best);
				else
					lf_diag_error(
					    d, &at,
					    "spec.selection.workspace: no workspace '%s' is "
					    "declared",
					    name);
			}
		} else if (tag) {
			int any = 0;
			for (size_t j = 0; j < m->nres && !any; j++)
				if (!strcmp(m->res[j].kind->name, "Workspace"))
					any = selects(m, b, &m->res[j]);
			if (!any) {
				struct lf_pos at = pos_of(m, b, "spec.selection.tag");
				lf_diag_error(d, &at,
				              "spec.selection.tag: no workspace carries the tag "
				              "'%s' with the value '%s'",
				              json_string_value(json_object_get(tag, "key")),
				              json_string_value(json_object_get(tag, "value")));
			}
		}
	}
}

/* ---- pricing ------------------------------------------------------------ */

struct prices {
	int ok;
	double cpu_hour, memory_gib_hour, storage_gib_month;
};

static struct prices prices_of(const struct lf_resource *pl, const char *region)
{
	struct prices p = {0};
	json_t *r;

	if (!pl || !region)
		return p;
	r = json_object_get(lf_json_path(pl->value, "spec.regions"), region);
	if (!json_is_object(r))
		return p;
	p.ok = 1;
	p.cpu_hour = json_number_value(json_object_get(r, "cpu_hour"));
	p.memory_gib_hour = json_number_value(json_object_get(r, "memory_gib_hour"));
	p.storage_gib_month = json_number_value(json_object_get(r, "storage_gib_month"));
	return p;
}

static long long cents(double amount)
{
	return llround(amount * 100.0);
}

/* "12.34", "-0.50": an amount of cents as a decimal string (new reference). */
static json_t *money(long long c)
{
	char buf[48];
	long long a = c < 0 ? -c : c;

	snprintf(buf, sizeof(buf), "%s%lld.%02lld", c < 0 ? "-" : "", a / 100, a % 100);
	return json_string(buf);
}

/* The cents back from money() (the renderers read the JSON). */
static long long cents_of(const json_t *v)
{
	const char *s = json_string_value(v);
	long long whole = 0, frac = 0;
	int neg = 0;

	if (!s)
		return 0;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	while (*s >= '0' && *s <= '9')
		whole = whole * 10 + (*s++ - '0');
	if (*s == '.' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9')
		frac = (s[1] - '0') * 10 + (s[2] - '0');
	return neg ? -(whole * 100 + frac) : whole * 100 + frac;
}

/* One side (before or after) of a workspace: its node pools summed. */
struct side {
	int exists;
	const char *region;
	json_int_t nodes;
	double cpus;       /* all nodes: nodes x cpus */
	double memory_gib; /* all nodes */
	double cpu_hours;  /* a month's, of all nodes */
};

static void side_add_pool(struct side *s, const json_t *inputs)
{
	json_int_t n = json_integer_value(json_object_get(inputs, "nodes"));
	double cpus = json_number_value(json_object_get(inputs, "cpus"));
	double mem = (double)json_integer_value(json_object_get(inputs, "memory_mb")) / 1024.0;

	s->nodes += n;
	s->cpus += (double)n * cpus;
	s->memory_gib += (double)n * mem;
}

/* The monthly compute cost of a side in cents, or -1 when unpriced. */
static long long side_cents(const struct side *s, const struct prices *p)
{
	if (!p->ok)
		return -1;
	return cents(LF_COST_HOURS_PER_MONTH *
	             (s->cpus * p->cpu_hour + s->memory_gib * p->memory_gib_hour));
}

static json_t *side_json(const struct side *s, long long c)
{
	if (!s->exists)
		return json_null();
	json_t *j = json_pack("{s:s?,s:I,s:f,s:f}", "region", s->region, "nodes",
	                      (json_int_t)s->nodes, "cpus", s->cpus, "memory_gib", s->memory_gib);
	json_object_set_new(j, "monthly", c < 0 ? json_null() : money(c));
	return j;
}

struct ws_row {
	char *name;
	const struct lf_resource *res; /* NULL when only recorded */
	struct side before, after;
	long long before_c, after_c; /* -1: unpriced */
};

struct rows {
	struct ws_row *v;
	size_t n, alloc;
};

static struct ws_row *row_get(struct rows *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].name, name))
			return &r->v[i];
	LF_GROW(r->v, r->n + 1, r->alloc);
	struct ws_row *w = &r->v[r->n++];
	memset(w, 0, sizeof(*w));
	w->name = lf_xstrdup(name);
	return w;
}

static const char *ws_of(const char *parent)
{
	return parent && !strncmp(parent, "workspace/", 10) ? parent + 10 : NULL;
}

json_t *lf_cost_estimate(const struct lf_manifest *m, const struct lf_desired *ds,
                         struct lf_state *st, struct lf_diags *d)
{
	const struct lf_resource *pl = first_of_kind(m, "PriceList");
	struct rows rows = {0};
	long long before = 0, after = 0;

	if (!pl)
		return NULL;
	/* after: the declared workspaces and their desired node pools */
	for (size_t i = 0; i < m->nres; i++) {
		const struct lf_resource *r = &m->res[i];
		if (strcmp(r->kind->name, "Workspace"))
			continue;
		struct ws_row *w = row_get(&rows, r->name);
		w->res = r;
		w->after.exists = 1;
		w->after.region = json_string_value(lf_json_path(r->value, "spec.region"));
	}
	for (size_t i = 0; ds && i < ds->n; i++) {
		const struct lf_dres *r = ds->v[i];
		const char *ws = ws_of(r->parent);
		if (!ws || strcmp(r->type, "compute.node_pool"))
			continue;
		struct ws_row *w = row_get(&rows, ws);
		w->after.exists = 1;
		side_add_pool(&w->after, r->inputs);
	}
	/* before: what the state records (lazy records parsed only when they
	 * are workspaces or node pools) */
	for (size_t i = 0; st && i < st->nres; i++) {
		struct lf_state_res *r = &st->res[i];
		if (r->removed)
			continue;
		int is_ws = !strcmp(r->type, "workspace");
		if (!is_ws && strcmp(r->type, "compute.node_pool"))
			continue;
		if (r->line && lf_state_res_parse(r) != 0)
			continue;
		if (is_ws) {
			const char *slash = strchr(r->address, '/');
			struct ws_row *w = row_get(&rows, slash ? slash + 1 : r->address);
			w->before.exists = 1;
			w->before.region =
			    json_string_value(lf_json_path(r->inputs, "spec.region"));
			continue;
		}
		const char *ws = ws_of(r->parent);
		if (!ws)
			continue;
		struct ws_row *w = row_get(&rows, ws);
		w->before.exists = 1;
		side_add_pool(&w->before, r->inputs);
	}

	json_t *out = json_object(), *wsj = json_array(), *unpriced = json_array();
	json_object_set_new(
	    out, "currency",
	    json_string(json_string_value(lf_json_path(pl->value, "spec.currency"))));
	json_object_set_new(out, "pricelist", json_string(pl->name));
	json_object_set_new(out, "hours_per_month", json_integer(LF_COST_HOURS_PER_MONTH));
	for (size_t i = 0; i < rows.n; i++) {
		struct ws_row *w = &rows.v[i];
		struct prices pb = prices_of(pl, w->before.region);
		struct prices pa = prices_of(pl, w->after.region);

		w->before_c = w->before.exists ? side_cents(&w->before, &pb) : 0;
		w->after_c = w->after.exists ? side_cents(&w->after, &pa) : 0;
		json_t *row = json_pack("{s:s}", "workspace", w->name);
		json_object_set_new(row, "before", side_json(&w->before, w->before_c));
		json_object_set_new(row, "after", side_json(&w->after, w->after_c));
		int priced = w->before_c >= 0 && w->after_c >= 0;
		json_object_set_new(row, "priced", json_boolean(priced));
		json_object_set_new(row, "change",
		                    priced ? money(w->after_c - w->before_c) : json_null());
		json_array_append_new(wsj, row);
		if (w->before_c >= 0)
			before += w->before_c;
		if (w->after_c >= 0)
			after += w->after_c;
		const char *bad = w->after.exists && w->after_c < 0 ? w->after.region
		                  : w->before_c < 0                 ? w->before.region
		                                                    : NULL;
		if (bad)
			json_array_append_new(
			    unpriced, json_pack("{s:s,s:s}", "workspace", w->name, "region", bad));
	}
	json_object_set_new(out, "workspaces", wsj);
	json_object_set_new(out, "total",
	                    json_pack("{s:o,s:o,s:o}", "before", money(before), "after",
	                              money(after), "change", money(after - before)));
	json_object_set_new(out, "unpriced", unpriced);
	json_object_set_new(out, "not_estimated", json_pack("[s,s]", "storage", "requests"));

	json_t *budgets = json_array();
	const char *currency = json_string_value(json_object_get(out, "currency"));
	for (size_t i = 0; i < m->nres; i++) {
		const struct lf_resource *b = &m->res[i];
		if (strcmp(b->kind->name, "Budget"))
			continue;
		long long sum = 0, limit = cents(json_number_value(
		                       lf_json_path(b->value, "spec.monthly_limit")));
		json_t *covered = json_array(), *left_out = json_array();
		for (size_t j = 0; j < rows.n; j++) {
			struct ws_row *w = &rows.v[j];
			if (!w->res || !selects(m, b, w->res))
				continue;
			json_array_append_new(covered, json_string(w->name));
			if (w->after_c >= 0)
				sum += w->after_c;
			else
				json_array_append_new(left_out, json_string(w->name));
		}
		const char *enf = json_string_value(lf_json_path(b->value, "spec.enforcement"));
		if (!enf)
			enf = "warn";
		struct lf_pos at = pos_of(m, b, "spec.monthly_limit");
		char *sel = selection_text(b);
		json_t *bj = json_pack("{s:s,s:s,s:s,s:o,s:o,s:b,s:o,s:o}", "name", b->name,
		                       "selection", sel, "enforcement", enf, "limit", money(limit),
		                       "estimate", money(sum), "exceeded", sum > limit,
		                       "workspaces", covered, "unpriced", left_out);
		json_object_set_new(bj, "file", json_string(at.file ? at.file : ""));
		json_object_set_new(bj, "line", json_integer(at.line));
		json_object_set_new(bj, "column", json_integer(at.col));
		json_array_append_new(budgets, bj);
		if (sum > limit && d) {
			char lim[48], est[48];
			json_t *lj = money(limit), *ej = money(sum);
			snprintf(lim, sizeof(lim), "%s", json_string_value(lj));
			snprintf(est, sizeof(est), "%s", json_string_value(ej));
			json_decref(lj);
			json_decref(ej);
			if (!strcmp(enf, "deny"))
				lf_diag_error(d, &at,
				              "budget '%s' (%s): the estimated monthly cost %s %s "
				              "exceeds its limit %s %s (enforcement: deny)",
				              b->name, sel, est, currency, lim, currency);
			else
				lf_diag_warning(
				    d, &at,
				    "budget '%s' (%s): the estimated monthly cost %s %s "
				    "exceeds its limit %s %s",
				    b->name, sel, est, currency, lim, currency);
		}
		free(sel);
	}
	json_object_set_new(out, "budgets", budgets);
	for (size_t i = 0; i < rows.n; i++)
		free(rows.v[i].name);
	free(rows.v);
	return out;
}

/* ---- rendering -------------------------------------------------------- */

static void amount_text(char *buf, size_t n, const json_t *v, int sign)
{
	if (!json_is_string(v)) {
		snprintf(buf, n, "-");
		return;
	}
	long long c = cents_of(v);
	snprintf(buf, n, "%s%s", sign && c > 0 ? "+" : "", json_string_value(v));
}

static const json_t *monthly(const json_t *side)
{
	return json_object_get(side, "monthly");
}

void lf_cost_render_text(struct lf_buf *out, const json_t *cost)
{
	const json_t *ws = json_object_get(cost, "workspaces"), *row, *b;
	const json_t *total = json_object_get(cost, "total");
	const char *cur = json_string_value(json_object_get(cost, "currency"));
	size_t i, wname = 9, wregion = 6;
	char bb[48], ab[48], cb[48];

	lf_buf_addf(out,
	            "Estimated monthly cost, %s (price list '%s', %lld hours a month, "
	            "compute only):\n",
	            cur, json_string_value(json_object_get(cost, "pricelist")),
	            (long long)json_integer_value(json_object_get(cost, "hours_per_month")));
	json_array_foreach (ws, i, row) {
		const char *n = json_string_value(json_object_get(row, "workspace"));
		const json_t *side = json_object_get(row, "after");
		if (json_is_null(side))
			side = json_object_get(row, "before");
		const char *r = json_string_value(json_object_get(side, "region"));
		if (n && strlen(n) > wname)
			wname = strlen(n);
		if (r && strlen(r) > wregion)
			wregion = strlen(r);
	}
	lf_buf_addf(out, "  %-*s  %-*s  %12s  %12s  %12s\n", (int)wname, "WORKSPACE", (int)wregion,
	            "REGION", "BEFORE", "AFTER", "CHANGE");
	json_array_foreach (ws, i, row) {
		const json_t *bs = json_object_get(row, "before"),
		             *as = json_object_get(row, "after");
		const json_t *side = json_is_null(as) ? bs : as;
		const char *r = json_string_value(json_object_get(side, "region"));

		amount_text(bb, sizeof(bb), json_is_null(bs) ? NULL : monthly(bs), 0);
		if (json_is_null(bs))
			snprintf(bb, sizeof(bb), "%s", "(none)");
		amount_text(ab, sizeof(ab), json_is_null(as) ? NULL : monthly(as), 0);
		if (json_is_null(as))
			snprintf(ab, sizeof(ab), "%s", "(gone)");
		amount_text(cb, sizeof(cb), json_object_get(row, "change"), 1);
		if (!json_is_true(json_object_get(row, "priced")))
			snprintf(cb, sizeof(cb), "%s", "unpriced");
		lf_buf_addf(out, "  %-*s  %-*s  %12s  %12s  %12s\n", (int)wname,
		            json_string_value(json_object_get(row, "workspace")), (int)wregion,
		            r ? r : "-", bb, ab, cb);
	}
	amount_text(bb, sizeof(bb), json_object_get(total, "before"), 0);
	amount_text(ab, sizeof(ab), json_object_get(total, "after"), 0);
	amount_text(cb, sizeof(cb), json_object_get(total, "change"), 1);
	lf_buf_addf(out, "  %-*s  %-*s  %12s  %12s  %12s\n", (int)wname, "total", (int)wregion, "",
	            bb, ab, cb);
	json_array_foreach (json_object_get(cost, "unpriced"), i, row)
		lf_buf_addf(out,
		            "Unpriced: workspace '%s': price list '%s' has no prices for region "
		            "'%s' (not in the total)\n",
		            json_string_value(json_object_get(row, "workspace")),
		            json_string_value(json_object_get(cost, "pricelist")),
		            json_string_value(json_object_get(row, "region")));
	lf_buf_adds(out, "Not estimated: storage and requests (no manifest says how much data "
	                 "there will be; 'lakeform usage' measures storage).\n");
	json_array_foreach (json_object_get(cost, "budgets"), i, b) {
		int over = json_is_true(json_object_get(b, "exceeded"));
		lf_buf_addf(out, "Budget '%s' (%s): %s of %s %s%s\n",
		            json_string_value(json_object_get(b, "name")),
		            json_string_value(json_object_get(b, "selection")),
		            json_string_value(json_object_get(b, "estimate")),
		            json_string_value(json_object_get(b, "limit")), cur,
		            !over ? ""
		            : strcmp(json_string_value(json_object_get(b, "enforcement")), "deny")
		                ? ", exceeded (warn)"
		                : ", exceeded (deny)");
	}
}

/* Text from the JSON into a Markdown table cell. */
static void cell(struct lf_buf *out, const char *s)
{
	lf_markdown_escape(out, s ? s : "");
}

void lf_cost_render_markdown(struct lf_buf *out, const json_t *cost)
{
	const json_t *ws = json_object_get(cost, "workspaces"), *row, *b;
	const json_t *total = json_object_get(cost, "total");
	const char *cur = json_string_value(json_object_get(cost, "currency"));
	char bb[48], ab[48], cb[48];
	size_t i;

	lf_buf_adds(out, "#### Estimated monthly cost (");
	cell(out, cur);
	lf_buf_adds(out, ", price list `");
	cell(out, json_string_value(json_object_get(cost, "pricelist")));
	lf_buf_addf(out, "`, %lld hours a month, compute only)\n\n",
	            (long long)json_integer_value(json_object_get(cost, "hours_per_month")));
	lf_buf_adds(out, "| Workspace | Region | Before | After | Change |\n"
	                 "|---|---|--:|--:|--:|\n");
	json_array_foreach (ws, i, row) {
		const json_t *bs = json_object_get(row, "before"),
		             *as = json_object_get(row, "after");
		const json_t *side = json_is_null(as) ? bs : as;

		amount_text(bb, sizeof(bb), json_is_null(bs) ? NULL : monthly(bs), 0);
		if (json_is_null(bs))
			snprintf(bb, sizeof(bb), "%s", "(none)");
		amount_text(ab, sizeof(ab), json_is_null(as) ? NULL : monthly(as), 0);
		if (json_is_null(as))
			snprintf(ab, sizeof(ab), "%s", "(gone)");
		amount_text(cb, sizeof(cb), json_object_get(row, "change"), 1);
		if (!json_is_true(json_object_get(row, "priced")))
			snprintf(cb, sizeof(cb), "%s", "unpriced");
		lf_buf_adds(out, "| `");
		cell(out, json_string_value(json_object_get(row, "workspace")));
		lf_buf_adds(out, "` | ");
		cell(out, json_string_value(json_object_get(side, "region")));
		lf_buf_addf(out, " | %s | %s | %s |\n", bb, ab, cb);
	}
	amount_text(bb, sizeof(bb), json_object_get(total, "before"), 0);
	amount_text(ab, sizeof(ab), json_object_get(total, "after"), 0);
	amount_text(cb, sizeof(cb), json_object_get(total, "change"), 1);
	lf_buf_addf(out, "| **total** | | **%s** | **%s** | **%s** |\n\n", bb, ab, cb);
	json_array_foreach (json_object_get(cost, "unpriced"), i, row) {
		lf_buf_adds(out, "> **Unpriced:** workspace `");
		cell(out, json_string_value(json_object_get(row, "workspace")));
		lf_buf_adds(out, "`: no prices for region `");
		cell(out, json_string_value(json_object_get(row, "region")));
		lf_buf_adds(out, "` (not in the total)\n\n");
	}
	json_array_foreach (json_object_get(cost, "budgets"), i, b) {
		int over = json_is_true(json_object_get(b, "exceeded"));
		int deny = !strcmp(json_string_value(json_object_get(b, "enforcement")), "deny");
		lf_buf_adds(out, over ? (deny ? "> **Error:** budget `" : "> **Warning:** budget `")
		                      : "- budget `");
		cell(out, json_string_value(json_object_get(b, "name")));
		lf_buf_adds(out, "` (");
		cell(out, json_string_value(json_object_get(b, "selection")));
		lf_buf_addf(out, "): %s of %s ", json_string_value(json_object_get(b, "estimate")),
		            json_string_value(json_object_get(b, "limit")));
		cell(out, cur);
		lf_buf_adds(out, over ? (deny ? ", exceeded (deny)\n\n" : ", exceeded (warn)\n\n")
		                      : "\n");
	}
	if (json_array_size(json_object_get(cost, "budgets")))
		lf_buf_addc(out, '\n');
	lf_buf_adds(out, "Not estimated: storage and requests; `lakeform usage` measures "
	                 "storage.\n\n");
}

/* ---- measured usage ------------------------------------------------------ */

long long lf_rfc3339_seconds(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return -1;
	s += n;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	long off = 0;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int oh, om;
		if (sscanf(s + 1, "%2d:%2d", &oh, &om) != 2)
			return -1;
		off = (oh * 60L + om) * 60L * (*s == '-' ? -1 : 1);
		s += 6;
	} else {
		return -1;
	}
	if (*s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (long long)timegm(&tm) - off;
}

static int measured_type(const char *type)
{
	return !strcmp(type, "storage.bucket") || !strcmp(type, "storage.prefix") ||
	       !strcmp(type, "compute.node_pool");
}

json_t *lf_usage_measure(struct lf_state *st, const struct lf_providers *pv,
                         const long *deadline_ms)
{
	json_t *out = json_array();

	for (size_t i = 0; i < st->nres; i++) {
		struct lf_state_res *r = &st->res[i];
		if (r->removed || !measured_type(r->type))
			continue;
		if (r->line && lf_state_res_parse(r) != 0)
			continue;
		const char *ws = ws_of(r->parent);
		if (!ws || !r->provider)
			continue;
		json_t *me = json_pack("{s:s,s:s,s:s,s:s}", "workspace", ws, "address", r->address,
		                       "type", r->type, "provider", r->provider);
		int f = lf_family_find(r->provider);
		struct lf_provider *p = lf_providers_get(pv, r->provider);
		if (!p || f < 0) {
			json_object_set_new(me, "error",
			                    json_sprintf("no provider serves '%s'", r->provider));
			json_array_append_new(out, me);
			continue;
		}
		json_object_set_new(me, "provider", json_string(lf_provider_name(p)));
		json_t *id = json_object_get(r->attrs, "id");
		json_t *params =
		    json_pack("{s:s,s:s,s:O,s:O,s:O}", "type", r->type, "address", r->address, "id",
		              id ? id : json_null(), "inputs", r->inputs ? r->inputs : json_null(),
		              "attributes", r->attrs ? r->attrs : json_null());
		struct lf_provider_error err;
		json_t *res = NULL;
		if (lf_provider_call(p, "usage", params, deadline_ms[f], &res, &err) == 0)
			json_object_set_new(me, "result", res);
		else if (err.code == -32601)
			json_object_set_new(me, "unsupported", json_true());
		else
			json_object_set_new(me, "error", json_string(err.message));
		json_decref(params);
		json_array_append_new(out, me);
	}
	return out;
}

struct usage_row {
	char *name;
	const char *region;
	long long bytes, objects;
	long long nodes, uptime_s; /* running nodes and the sum of their uptimes */
	double cpu_hours, memory_gib_hours, running_cpus, running_gib;
	json_t *notes; /* strings */
};

json_t *lf_usage_price(const struct lf_manifest *m, const json_t *measures, struct lf_state *st,
                       long long now)
{
	const struct lf_resource *pl = m ? first_of_kind(m, "PriceList") : NULL;
	struct usage_row *rows = NULL;
	size_t nrows = 0, alloc = 0, i;
	const json_t *me;
	long long tot_month = 0, tot_so_far = 0;
	int all_priced = 1;

	json_array_foreach (measures, i, me) {
		const char *ws = json_string_value(json_object_get(me, "workspace"));
		const char *type = json_string_value(json_object_get(me, "type"));
		const char *addr = json_string_value(json_object_get(me, "address"));
		const json_t *res = json_object_get(me, "result");
		struct usage_row *u = NULL;

		for (size_t j = 0; j < nrows; j++)
			if (!strcmp(rows[j].name, ws))
				u = &rows[j];
		if (!u) {
			LF_GROW(rows, nrows + 1, alloc);
			u = &rows[nrows++];
			memset(u, 0, sizeof(*u));
			u->name = lf_xstrdup(ws);
			u->notes = json_array();
			char *wa = lf_xasprintf("workspace/%s", ws);
			struct lf_state_res *r = st ? lf_state_get(st, wa) : NULL;
			free(wa);
			if (r && r->line)
				lf_state_res_parse(r);
			if (r)
				u->region =
				    json_string_value(lf_json_path(r->inputs, "spec.region"));
		}
		if (json_is_true(json_object_get(me, "unsupported"))) {
			json_array_append_new(
			    u->notes,
			    json_sprintf("%s: usage not reported by provider '%s'", addr,
			                 json_string_value(json_object_get(me, "provider"))));
			continue;
		}
		if (json_object_get(me, "error")) {
			json_array_append_new(
			    u->notes,
			    json_sprintf("%s: %s", addr,
			                 json_string_value(json_object_get(me, "error"))));
			continue;
		}
		if (!strncmp(type, "storage.", 8)) {
			u->bytes += json_integer_value(json_object_get(res, "bytes"));
			u->objects += json_integer_value(json_object_get(res, "objects"));
			continue;
		}
		/* a node pool: each running node since its start */
		struct lf_state_res *r = st ? lf_state_get(st, addr) : NULL;
		if (r && r->line)
			lf_state_res_parse(r);
		double cpus = r ? json_number_value(json_object_get(r->inputs, "cpus")) : 0;
		double gib =
		    r ? (double)json_integer_value(json_object_get(r->inputs, "memory_mb")) / 1024.0
		      : 0;
		const json_t *node;
		size_t k;
		json_array_foreach (json_object_get(res, "nodes"), k, node) {
			if (!json_is_true(json_object_get(node, "running")))
				continue;
			long long started = lf_rfc3339_seconds(
			    json_string_value(json_object_get(node, "started_at")));
			long long up = started >= 0 && now > started ? now - started : 0;
			u->nodes++;
			u->uptime_s += up;
			u->cpu_hours += cpus * (double)up / 3600.0;
			u->memory_gib_hours += gib * (double)up / 3600.0;
			u->running_cpus += cpus;
			u->running_gib += gib;
		}
	}

	json_t *out = json_object(), *arr = json_array(), *unpriced = json_array();
	if (pl) {
		json_object_set_new(
		    out, "currency",
		    json_string(json_string_value(lf_json_path(pl->value, "spec.currency"))));
		json_object_set_new(out, "pricelist", json_string(pl->name));
	}
	json_object_set_new(out, "hours_per_month", json_integer(LF_COST_HOURS_PER_MONTH));
	for (size_t j = 0; j < nrows; j++) {
		struct usage_row *u = &rows[j];
		struct prices p = prices_of(pl, u->region);
		json_t *row =
		    json_pack("{s:s,s:s?,s:I,s:I,s:I,s:I,s:f,s:f}", "workspace", u->name, "region",
		              u->region, "bytes", (json_int_t)u->bytes, "objects",
		              (json_int_t)u->objects, "running_nodes", (json_int_t)u->nodes,
		              "uptime_seconds", (json_int_t)u->uptime_s, "cpu_hours", u->cpu_hours,
		              "memory_gib_hours", u->memory_gib_hours);
		if (p.ok) {
			double gib = (double)u->bytes / (1024.0 * 1024.0 * 1024.0);
			long long storage = cents(gib * p.storage_gib_month);
			long long compute =
			    cents(LF_COST_HOURS_PER_MONTH * (u->running_cpus * p.cpu_hour +
			                                     u->running_gib * p.memory_gib_hour));
			long long so_far = cents(u->cpu_hours * p.cpu_hour +
			                         u->memory_gib_hours * p.memory_gib_hour);
			json_object_set_new(row, "monthly",
			                    json_pack("{s:o,s:o,s:o}", "storage", money(storage),
			                              "compute", money(compute), "total",
			                              money(storage + compute)));
			json_object_set_new(row, "compute_so_far", money(so_far));
			tot_month += storage + compute;
			tot_so_far += so_far;
		} else {
			all_priced = 0;
			json_object_set_new(row, "monthly", json_null());
			json_object_set_new(row, "compute_so_far", json_null());
			if (pl)
				json_array_append_new(unpriced,
				                      json_pack("{s:s,s:s?}", "workspace", u->name,
				                                "region", u->region));
		}
		json_object_set_new(row, "notes", u->notes);
		json_array_append_new(arr, row);
		free(u->name);
	}
	free(rows);
	json_object_set_new(out, "workspaces", arr);
	if (pl) {
		json_object_set_new(out, "total",
		                    json_pack("{s:o,s:o}", "monthly", money(tot_month),
		                              "compute_so_far", money(tot_so_far)));
		json_object_set_new(out, "unpriced", unpriced);
	} else {
		json_decref(unpriced);
	}
	(void)all_priced;
	return out;
}

static void human_bytes(char *buf, size_t n, long long b)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)b;
	int u = 0;

	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%lld B", b);
	else
		snprintf(buf, n, "%.1f %s", v, unit[u]);
}

void lf_usage_render_text(struct lf_buf *out, const json_t *usage)
{
	const json_t *row, *note;
	const char *cur = json_string_value(json_object_get(usage, "currency"));
	size_t i, k, wname = 9;
	char bytes[32], up[32];

	json_array_foreach (json_object_get(usage, "workspaces"), i, row) {
		const char *n = json_string_value(json_object_get(row, "workspace"));
		if (n && strlen(n) > wname)
			wname = strlen(n);
	}
	if (cur)
		lf_buf_addf(out, "Measured usage, priced in %s (price list '%s'):\n", cur,
		            json_string_value(json_object_get(usage, "pricelist")));
	else
		lf_buf_adds(out, "Measured usage (no PriceList declared: not priced):\n");
	lf_buf_addf(out, "  %-*s  %10s  %8s  %5s  %10s  %12s  %12s\n", (int)wname, "WORKSPACE",
	            "STORED", "OBJECTS", "NODES", "UPTIME(H)", "MONTHLY", "SO FAR");
	json_array_foreach (json_object_get(usage, "workspaces"), i, row) {
		const json_t *mo = json_object_get(row, "monthly");
		human_bytes(bytes, sizeof(bytes),
		            json_integer_value(json_object_get(row, "bytes")));
		snprintf(up, sizeof(up), "%.2f",
		         (double)json_integer_value(json_object_get(row, "uptime_seconds")) /
		             3600.0);
		lf_buf_addf(out, "  %-*s  %10s  %8lld  %5lld  %10s  %12s  %12s\n", (int)wname,
		            json_string_value(json_object_get(row, "workspace")), bytes,
		            (long long)json_integer_value(json_object_get(row, "objects")),
		            (long long)json_integer_value(json_object_get(row, "running_nodes")),
		            up,
		            json_is_object(mo) ? json_string_value(json_object_get(mo, "total"))
		            : cur              ? "unpriced"
		                               : "-",
		            json_is_string(json_object_get(row, "compute_so_far"))
		                ? json_string_value(json_object_get(row, "compute_so_far"))
		            : cur ? "unpriced"
		                  : "-");
	}
	const json_t *tot = json_object_get(usage, "total");
	if (tot)
		lf_buf_addf(out, "  %-*s  %10s  %8s  %5s  %10s  %12s  %12s\n", (int)wname, "total",
		            "", "", "", "", json_string_value(json_object_get(tot, "monthly")),
		            json_string_value(json_object_get(tot, "compute_so_far")));
	json_array_foreach (json_object_get(usage, "unpriced"), i, row)
		lf_buf_addf(out, "Unpriced: workspace '%s': no prices for region '%s'\n",
		            json_string_value(json_object_get(row, "workspace")),
		            json_string_value(json_object_get(row, "region")));
	json_array_foreach (json_object_get(usage, "workspaces"), i, row)
		json_array_foreach (json_object_get(row, "notes"), k, note)
			lf_buf_addf(out, "Note: %s\n", json_string_value(note));
	if (cur)
		lf_buf_adds(out, "MONTHLY: the stored bytes a month and the running nodes for "
		                 "730 hours; SO FAR: the running nodes' uptime. Requests are not "
		                 "measured.\n");
}
