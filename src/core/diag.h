/*
 * diag.h - collected diagnostics with a source position.
 *
 * Core code never prints.  Whatever goes wrong while loading or validating is
 * added to a struct lf_diags (file, line, column, message) and the work goes
 * on, so that one run reports every problem; the CLI prints them all.
 *
 * Messages are lowercase without a trailing full stop and name things in
 * single quotes: "unknown metastore 'main-euw1'".  `file` may be NULL and
 * `line` 0 when there is no position.  Lines and columns count from 1.
 */
#ifndef LF_CORE_DIAG_H
#define LF_CORE_DIAG_H

#include <stdarg.h>
#include <stddef.h>

enum lf_severity {
	LF_SEV_ERROR,
	LF_SEV_WARNING,
};

struct lf_pos {
	const char *file; /* borrowed: file names live as long as the load */
	unsigned line;
	unsigned col;
};

#define LF_POS_INIT        \
	{                  \
		NULL, 0, 0 \
	}

struct lf_diag {
	enum lf_severity severity;
	char *file; /* owned copy, may be NULL */
	unsigned line, col;
	char *msg;  /* owned */
	size_t seq; /* order of discovery, for a stable sort */
};

struct lf_diags {
	struct lf_diag *v;
	size_t n, alloc;
	size_t errors, warnings;
};

#define LF_DIAGS_INIT            \
	{                        \
		NULL, 0, 0, 0, 0 \
	}

void lf_diags_vadd(struct lf_diags *d, enum lf_severity sev, const struct lf_pos *pos,
                   const char *fmt, va_list ap);
void lf_diag_error(struct lf_diags *d, const struct lf_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lf_diag_warning(struct lf_diags *d, const struct lf_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A diagnostic about a whole file (no line). */
void lf_diag_file_error(struct lf_diags *d, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Move every diagnostic of `from` to the end of `to`, in order; `from`
 * is left empty.  Work done apart (on another thread) reports this way in
 * the order a single thread would have. */
void lf_diags_append(struct lf_diags *to, struct lf_diags *from);

/* Sort by file, line, column (stable for equal positions). */
void lf_diags_sort(struct lf_diags *d);
void lf_diags_release(struct lf_diags *d);

#endif
