/*
 * version.h - versions (1.2.3) and version constraints (">= 1.2, < 2"),
 * as lakeform.yaml's providers.NAME.version writes them.
 *
 * A version is one to three numbers separated by dots, missing ones being
 * 0, with an optional pre-release after '-' (1.3.0-rc1), which comes before
 * the release.  A constraint is a comma-separated list of OP VERSION, each
 * of which must hold: =, != (or no operator: =), >, >=, <, <=, and ~>, the
 * "pessimistic" operator: ~> 1.2 allows 1.2 up to, not including, 2.0;
 * ~> 1.2.3 allows 1.2.3 up to 1.3.0; ~> 1 allows 1.x.
 */
#ifndef LF_UTIL_VERSION_H
#define LF_UTIL_VERSION_H

#include <stddef.h>

struct lf_version {
	long n[3];
	int parts;    /* how many numbers were written (1 to 3) */
	char pre[32]; /* the pre-release, "" for a release */
};

/* 0, or -1 when `text` (up to `len` bytes) is not a version. */
int lf_version_parse(struct lf_version *v, const char *text, size_t len);

/* <0, 0, >0 as a is before, equal to, after b. */
int lf_version_cmp(const struct lf_version *a, const struct lf_version *b);

#define LF_CONSTRAINT_MAX 8

struct lf_constraint {
	size_t n;
	struct {
		enum { LF_OP_EQ, LF_OP_NE, LF_OP_GT, LF_OP_GE, LF_OP_LT, LF_OP_LE, LF_OP_PESS } op;
		struct lf_version v;
	} term[LF_CONSTRAINT_MAX];
};

/* 0, or -1 with *why (static words) saying what is wrong with `text`. */
int lf_constraint_parse(struct lf_constraint *c, const char *text, const char **why);

/* 1 when `v` satisfies every term of `c`, else 0. */
int lf_constraint_match(const struct lf_constraint *c, const struct lf_version *v);

#endif
