#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/mem.h"

void lf_diags_vadd(struct lf_diags *d, enum lf_severity sev, const struct lf_pos *pos,
                   const char *fmt, va_list ap)
{
	struct lf_buf raw = LF_BUF_INIT, msg = LF_BUF_INIT;
	struct lf_diag *e;

	/* messages quote input: its control bytes are shown, not sent */
	lf_buf_vaddf(&raw, fmt, ap);
	lf_buf_add_escaped(&msg, lf_buf_cstr(&raw), raw.len);
	lf_buf_add(&msg, "", 0);
	lf_buf_release(&raw);

	LF_GROW(d->v, d->n + 1, d->alloc);
	e = &d->v[d->n++];
	e->severity = sev;
	e->file = pos && pos->file ? lf_xstrdup(pos->file) : NULL;
	e->line = pos ? pos->line : 0;
	e->col = pos ? pos->col : 0;
	e->msg = lf_buf_detach(&msg);
	e->seq = d->n - 1;
	if (sev == LF_SEV_ERROR)
		d->errors++;
	else
		d->warnings++;
}

void lf_diags_append(struct lf_diags *to, struct lf_diags *from)
{
	for (size_t i = 0; i < from->n; i++) {
		LF_GROW(to->v, to->n + 1, to->alloc);
		to->v[to->n] = from->v[i];
		to->v[to->n].seq = to->n;
		to->n++;
	}
	to->errors += from->errors;
	to->warnings += from->warnings;
	free(from->v);
	memset(from, 0, sizeof(*from));
}

void lf_diag_error(struct lf_diags *d, const struct lf_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lf_diags_vadd(d, LF_SEV_ERROR, pos, fmt, ap);
	va_end(ap);
}

void lf_diag_warning(struct lf_diags *d, const struct lf_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lf_diags_vadd(d, LF_SEV_WARNING, pos, fmt, ap);
	va_end(ap);
}

void lf_diag_file_error(struct lf_diags *d, const char *file, const char *fmt, ...)
{
	struct lf_pos pos = {file, 0, 0};
	va_list ap;

	va_start(ap, fmt);
	lf_diags_vadd(d, LF_SEV_ERROR, &pos, fmt, ap);
	va_end(ap);
}

static int cmp_diag(const void *a, const void *b)
{
	const struct lf_diag *x = a, *y = b;
	int c;

	if (!x->file != !y->file)
		return x->file ? 1 : -1; /* positionless diagnostics first */
	if (x->file && (c = strcmp(x->file, y->file)) != 0)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

void lf_diags_sort(struct lf_diags *d)
{
	/* qsort is not stable; the sequence tie-break keeps the order in
	 * which problems at one position were found. */
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), cmp_diag);
}

void lf_diags_release(struct lf_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->alloc = d->errors = d->warnings = 0;
}
