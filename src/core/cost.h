/*
 * cost.h - price lists, budgets, the estimate a plan shows and the
 * measured usage `lakeform usage` prices.
 *
 * Every amount comes from the manifests' one PriceList (prices per region
 * in one currency); lakeform holds no price of its own.  What is estimated
 * before anything exists is the compute of node pools: nodes x CPUs x the
 * price of a CPU-hour, plus nodes x memory (GiB) x the price of a
 * GiB-hour, times LF_COST_HOURS_PER_MONTH.  Storage and requests depend on
 * data no manifest declares: the estimate says so ("not_estimated") and
 * `lakeform usage` measures storage instead.  A workspace in a region the
 * price list does not price is listed as unpriced, never guessed.
 *
 * Amounts are decimal strings with two decimals in the JSON (as cost tools
 * write money, so that no binary fraction shows), numbers in the text.
 */
#ifndef LF_CORE_COST_H
#define LF_CORE_COST_H

#include <jansson.h>

#include "diag.h"
#include "expand.h"
#include "manifest.h"
#include "../util/buf.h"

struct lf_state;

/* Hours in the month the estimate is for: 365 x 24 / 12. */
#define LF_COST_HOURS_PER_MONTH 730

/*
 * The rules of PriceList and Budget documents across the manifest set: at
 * most one PriceList, regions that exist, a Budget only with a PriceList,
 * a selection naming a declared workspace or a tag some workspace carries.
 */
void lf_cost_check(const struct lf_manifest *m, struct lf_diags *d);

/* 1 when the manifests declare a PriceList. */
int lf_cost_has_pricelist(const struct lf_manifest *m);

/*
 * The estimate: per workspace, the monthly cost before (what `st` records,
 * NULL for none) and after (the desired `ds`), both priced with the
 * manifests' price list; the total; each budget and whether the estimate
 * after exceeds it.  An exceeded budget adds a warning (enforcement warn)
 * or an error (deny) at the budget's position to `d`.  A new reference,
 * or NULL when there is no PriceList.
 */
json_t *lf_cost_estimate(const struct lf_manifest *m, const struct lf_desired *ds,
                         struct lf_state *st, struct lf_diags *d);

/* The estimate as text (`lakeform cost`, and after a plan's summary). */
void lf_cost_render_text(struct lf_buf *out, const json_t *cost);
/* The estimate as a Markdown section (`cost --markdown`, the plan comment). */
void lf_cost_render_markdown(struct lf_buf *out, const json_t *cost);

/*
 * Measured usage (`lakeform usage`).  `measures` is an array of what the
 * providers answered to `usage`, one object per recorded provider resource
 * of a workspace: {"workspace", "address", "type", "provider", and either
 * "result" (the answer) or "unsupported": true or "error": "..."}.  `st`
 * gives the node pools' CPUs and memory; `now` is the time uptimes are
 * counted to (seconds since the epoch).  Returns a new reference: per
 * workspace the bytes, objects, running nodes and their uptime, priced
 * when the manifests have a PriceList (`m` may be NULL: unpriced).
 */
struct lf_providers;
/*
 * Ask the providers, one call per recorded provider resource whose parent
 * is a workspace (storage.bucket, storage.prefix, compute.node_pool), for
 * its `usage` (docs/providers.md): the `measures` lf_usage_price() takes.
 * A provider without the method (-32601) is noted as unsupported, a
 * failed call as its error: neither stops the others.  `deadline_ms` per
 * family.  New reference.
 */
json_t *lf_usage_measure(struct lf_state *st, const struct lf_providers *pv,
                         const long *deadline_ms);

json_t *lf_usage_price(const struct lf_manifest *m, const json_t *measures, struct lf_state *st,
                       long long now);
void lf_usage_render_text(struct lf_buf *out, const json_t *usage);

/* "2026-12-07T01:02:03Z" (or with a fraction or an offset) to seconds
 * since the epoch; -1 when it is not such a time. */
long long lf_rfc3339_seconds(const char *s);

#endif
