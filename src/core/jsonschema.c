/*
 * jsonschema.c - compile a draft-07 schema into a tree of nodes, then
 * validate instances against it.
 *
 * Compilation does all the work that does not depend on the instance:
 * keyword types are checked, $refs are resolved to node pointers, regular
 * expressions are translated from ECMA-262 to POSIX and compiled, and cycles
 * of $refs that would never consume any of the instance are rejected.  The
 * validator then walks nodes and instance together and allocates nothing
 * unless it has an error to report or a 'propertyNames' to check.
 *
 * Regular expressions run in the "C" locale over UTF-8 bytes, whatever the
 * caller's locale is: the translator expands every construct that matches
 * "one character" ('.', classes, \d and friends) into an alternation of UTF-8
 * byte sequences, so that ECMA's code-point semantics are kept.
 */
#include "core/jsonschema.h"

#include <float.h>
#include <locale.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

/* How deep validation may descend into an instance. */
#define MAX_DEPTH 512

/* Longest rendering of a value inside a message, in bytes. */
#define MAX_SHOWN 60

/* Enum values listed in a message before "...". */
#define MAX_ENUM_SHOWN 10

/* Largest {n,m} bound accepted in a pattern (glibc's RE_DUP_MAX). */
#define MAX_REPEAT 0x7fff

enum node_kind {
	NODE_TRUE,
	NODE_FALSE,
	NODE_REF,
	NODE_SCHEMA,
};

enum {
	T_NULL = 1 << 0,
	T_BOOLEAN = 1 << 1,
	T_OBJECT = 1 << 2,
	T_ARRAY = 1 << 3,
	T_NUMBER = 1 << 4,
	T_STRING = 1 << 5,
	T_INTEGER = 1 << 6,
};

static const struct {
	const char *name;
	unsigned bit;
} type_names[] = {
    {"null", T_NULL},     {"boolean", T_BOOLEAN}, {"object", T_OBJECT},   {"array", T_ARRAY},
    {"number", T_NUMBER}, {"string", T_STRING},   {"integer", T_INTEGER},
};

struct fast_re;

struct lf_regex {
	regex_t re;
	const char *src;      /* borrowed from the schema document */
	struct fast_re *fast; /* owned; NULL: regexec() only */
};

struct node;

struct prop {
	const char *key; /* borrowed from the schema document */
	size_t len;
	struct node *node;
};

struct pattern_prop {
	struct lf_regex re;
	struct node *node;
};

struct dependency {
	const char *key;
	size_t len;
	const json_t *required; /* array of names, or NULL */
	struct node *node;      /* schema form, or NULL */
};

struct node_list {
	struct node **v;
	size_t n;
};

struct node {
	enum node_kind kind;
	char *loc; /* "#/json/pointer" of the schema, for compile errors */

	/* NODE_REF */
	const char *ref_str;
	struct node *ref;

	/* cycle detection: 0 unvisited, 1 on the stack, 2 done */
	int mark;

	unsigned types;
	const json_t *type; /* the keyword's value, for messages */
	const json_t *enum_values;
	const json_t *const_value;

	size_t min_length, max_length;
	struct lf_regex *pattern;
	const char *message; /* x-lakeform-message */
	int sensitive;       /* x-lakeform-sensitive: messages never show the value */

	const json_t *minimum, *maximum;
	const json_t *exclusive_minimum, *exclusive_maximum;
	const json_t *multiple_of;

	struct node *items;
	struct node_list item_list;
	int items_is_list;
	struct node *additional_items;
	struct node *contains;
	size_t min_items, max_items;
	int unique_items;

	struct prop *props; /* sorted by key */
	size_t nprops;
	struct pattern_prop *pattern_props;
	size_t npattern_props;
	struct node *additional_props;
	const json_t *required;
	size_t min_props, max_props;
	struct node *property_names;
	struct dependency *deps;
	size_t ndeps;

	struct node_list all_of, any_of, one_of;
	struct node *not_;
	struct node *if_, *then_, *else_;
};

struct lf_schema {
	json_t *doc;
	struct node *root;
	struct node **nodes;
	size_t nnodes, anodes;
	locale_t cloc;
};

/* ---------------------------------------------------------------------- */
/* UTF-8 */

static size_t utf8_count(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Decode one code point; the input is valid UTF-8 (jansson checks it). */
static uint32_t utf8_next(const char **pp, const char *end)
{
	const unsigned char *p = (const unsigned char *)*pp;
	uint32_t c = *p++;
	int more = 0;

	if (c >= 0xf0) {
		c &= 0x07;
		more = 3;
	} else if (c >= 0xe0) {
		c &= 0x0f;
		more = 2;
	} else if (c >= 0xc0) {
		c &= 0x1f;
		more = 1;
	}
	while (more-- > 0 && (const char *)p < end)
		c = (c << 6) | (*p++ & 0x3f);
	*pp = (const char *)p;
	return c;
}

static size_t utf8_encode(unsigned char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (unsigned char)(0xc0 | (c >> 6));
		out[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (c >> 12));
		out[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (c >> 18));
	out[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/* ---------------------------------------------------------------------- */
/* Sets of code points, for translating character classes */

struct cprange {
	uint32_t lo, hi;
};

struct cpset {
	struct cprange *v;
	size_t n, alloc;
};

#define CPSET_INIT         \
	{                  \
		NULL, 0, 0 \
	}
#define CP_MAX 0x10ffffu

static void cpset_add(struct cpset *s, uint32_t lo, uint32_t hi)
{
	LF_GROW(s->v, s->n + 1, s->alloc);
	s->v[s->n].lo = lo;
	s->v[s->n].hi = hi;
	s->n++;
}

static void cpset_release(struct cpset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->alloc = 0;
}

static int cprange_cmp(const void *a, const void *b)
{
	const struct cprange *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge overlapping or adjacent ranges. */
static void cpset_normalize(struct cpset *s)
{
	size_t j = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cprange_cmp);
	for (size_t i = 1; i < s->n; i++) {
		if (s->v[i].lo <= s->v[j].hi + 1) {
			if (s->v[i].hi > s->v[j].hi)
				s->v[j].hi = s->v[i].hi;
		} else {
			s->v[++j] = s->v[i];
		}
	}
	s->n = j + 1;
}

static void cpset_negate(struct cpset *s)
{
	struct cpset out = CPSET_INIT;
	uint32_t next = 0;

	cpset_normalize(s);
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].lo > next)
			cpset_add(&out, next, s->v[i].lo - 1);
		next = s->v[i].hi + 1;
	}
	if (next <= CP_MAX)
		cpset_add(&out, next, CP_MAX);
	cpset_release(s);
	*s = out;
}

/* Add \d, \w or \s (lowercase) or their complements (uppercase). */
static void cpset_add_class(struct cpset *s, char cls)
{
	static const struct cprange space[] = {
	    {0x09, 0x0d},     {0x20, 0x20},     {0xa0, 0xa0},     {0x1680, 0x1680},
	    {0x2000, 0x200a}, {0x2028, 0x2029}, {0x202f, 0x202f}, {0x205f, 0x205f},
	    {0x3000, 0x3000}, {0xfeff, 0xfeff},
	};
	struct cpset t = CPSET_INIT;

	switch (cls | 0x20) {
	case 'd':
		cpset_add(&t, '0', '9');
		break;
	case 'w':
		cpset_add(&t, '0', '9');
		cpset_add(&t, 'A', 'Z');
		cpset_add(&t, '_', '_');
		cpset_add(&t, 'a', 'z');
		break;
	case 's':
		for (size_t i = 0; i < sizeof(space) / sizeof(space[0]); i++)
			cpset_add(&t, space[i].lo, space[i].hi);
		break;
	}
	if (cls >= 'A' && cls <= 'Z')
		cpset_negate(&t);
	for (size_t i = 0; i < t.n; i++)
		cpset_add(s, t.v[i].lo, t.v[i].hi);
	cpset_release(&t);
}

/* ---------------------------------------------------------------------- */
/* Emitting POSIX ERE for the C locale */

static void emit_byte(struct lf_buf *out, unsigned b)
{
	lf_buf_addc(out, (char)b);
}

/*
 * A bracket expression for a non-empty set of ASCII characters (no NUL).
 * ']' goes first, '[' where it cannot start "[:", '^' not first, '-' last.
 */
static void emit_ascii_bracket(struct lf_buf *out, const struct cpset *s)
{
	unsigned char in[128] = {0};
	int rb, lb, caret, dash, others = 0;

	for (size_t i = 0; i < s->n; i++)
		for (uint32_t c = s->v[i].lo; c <= s->v[i].hi && c < 128; c++)
			in[c] = 1;
	in[0] = 0;
	rb = in[']'];
	lb = in['['];
	caret = in['^'];
	dash = in['-'];
	in[']'] = in['['] = in['^'] = in['-'] = 0;
	for (int c = 1; c < 128; c++)
		others += in[c];
	if (!rb && !lb && !others && !dash) {
		lf_buf_adds(out, "\\^");
		return;
	}
	lf_buf_addc(out, '[');
	if (rb)
		lf_buf_addc(out, ']');
	for (int c = 1; c < 128; c++) {
		int e = c;

		if (!in[c])
			continue;
		while (e + 1 < 128 && in[e + 1])
			e++;
		emit_byte(out, (unsigned)c);
		if (e - c >= 2)
			lf_buf_addc(out, '-');
		if (e > c)
			emit_byte(out, (unsigned)e);
		c = e;
	}
	if (lb)
		lf_buf_addc(out, '[');
	if (caret && !rb && !lb && !others) {
		/* '^' must not come first: "[-^]" */
		lf_buf_adds(out, "-^]");
		return;
	}
	if (caret)
		lf_buf_addc(out, '^');
	if (dash)
		lf_buf_addc(out, '-');
	lf_buf_addc(out, ']');
}

/*
 * Emit alternatives of UTF-8 byte sequences for code points lo..hi, all of
 * them above 0x7f and none a surrogate.  The splitting follows the usual
 * construction (RE2, Rust's regex-syntax): first split where the encoded
 * length changes, then where a continuation byte's range would not be full,
 * so that each piece is a plain product of byte ranges.
 */
static void emit_utf8_range(struct lf_buf *out, int *first, uint32_t lo, uint32_t hi)
{
	static const uint32_t maxes[] = {0x7f, 0x7ff, 0xffff};
	unsigned char a[4], b[4];
	size_t n;

	for (size_t i = 0; i < 3; i++) {
		if (lo <= maxes[i] && maxes[i] < hi) {
			emit_utf8_range(out, first, lo, maxes[i]);
			emit_utf8_range(out, first, maxes[i] + 1, hi);
			return;
		}
	}
	for (int i = 1; i < 4; i++) {
		uint32_t m = (1u << (6 * i)) - 1;

		if ((lo & ~m) != (hi & ~m)) {
			if ((lo & m) != 0) {
				emit_utf8_range(out, first, lo, lo | m);
				emit_utf8_range(out, first, (lo | m) + 1, hi);
				return;
			}
			if ((hi & m) != m) {
				emit_utf8_range(out, first, lo, (hi & ~m) - 1);
				emit_utf8_range(out, first, hi & ~m, hi);
				return;
			}
		}
	}
	n = utf8_encode(a, lo);
	utf8_encode(b, hi);
	if (!*first)
		lf_buf_addc(out, '|');
	*first = 0;
	for (size_t k = 0; k < n; k++) {
		if (a[k] == b[k]) {
			emit_byte(out, a[k]);
		} else {
			lf_buf_addc(out, '[');
			emit_byte(out, a[k]);
			lf_buf_addc(out, '-');
			emit_byte(out, b[k]);
			lf_buf_addc(out, ']');
		}
	}
}

/* The code points whose UTF-8 encoding starts with the byte `b`. */
static void lead_block(unsigned b, uint32_t *lo, uint32_t *hi)
{
	if (b < 0xe0) {
		*lo = (uint32_t)(b - 0xc0) << 6;
		*hi = *lo + 0x3f;
	} else if (b < 0xf0) {
		*lo = (uint32_t)(b - 0xe0) << 12;
		*hi = *lo + 0xfff;
		if (*lo < 0x800)
			*lo = 0x800;
		if (b == 0xed)
			*hi = 0xd7ff; /* the rest are surrogates */
	} else {
		*lo = (uint32_t)(b - 0xf0) << 18;
		*hi = *lo + 0x3ffff;
		if (*lo < 0x10000)
			*lo = 0x10000;
		if (*hi > CP_MAX)
			*hi = CP_MAX;
	}
}

/*
 * Alternatives for the non-ASCII code points of `wide` (sorted, without
 * surrogates).  Where a set holds every character of some lead byte, the
 * lead byte followed by "[\x80-\xbf]*" says so compactly: the input is valid
 * UTF-8 and every atom starts on a lead byte, so the loop cannot stop inside
 * a character where it matters.  Such short atoms keep glibc's automaton
 * small, which is what makes "^.{0,255}$" fast.
 */
static void emit_wide(struct lf_buf *out, int *first, const struct cpset *wide)
{
	unsigned char full[256] = {0};
	int any_full = 0;
	size_t r = 0;

	for (unsigned b = 0xc2; b <= 0xf4; b++) {
		uint32_t lo, hi;

		lead_block(b, &lo, &hi);
		while (r < wide->n && wide->v[r].hi < lo)
			r++;
		if (r < wide->n && wide->v[r].lo <= lo && wide->v[r].hi >= hi) {
			full[b] = 1;
			any_full = 1;
			continue;
		}
		for (size_t k = r; k < wide->n && wide->v[k].lo <= hi; k++)
			emit_utf8_range(out, first, wide->v[k].lo > lo ? wide->v[k].lo : lo,
			                wide->v[k].hi < hi ? wide->v[k].hi : hi);
	}
	if (!any_full)
		return;
	if (!*first)
		lf_buf_addc(out, '|');
	*first = 0;
	lf_buf_addc(out, '[');
	for (unsigned b = 0xc2; b <= 0xf4; b++) {
		unsigned e = b;

		if (!full[b])
			continue;
		while (e + 1 <= 0xf4 && full[e + 1])
			e++;
		emit_byte(out, b);
		if (e > b) {
			lf_buf_addc(out, '-');
			emit_byte(out, e);
		}
		b = e;
	}
	lf_buf_adds(out, "][\x80-\xbf]*");
}

/* Emit one atom matching exactly one code point of the set `s`. */
static void emit_set(struct lf_buf *out, struct cpset *s)
{
	struct cpset ascii = CPSET_INIT, wide = CPSET_INIT;
	int first = 1;

	cpset_normalize(s);
	for (size_t i = 0; i < s->n; i++) {
		uint32_t lo = s->v[i].lo, hi = s->v[i].hi;

		if (lo == 0)
			lo = 1; /* NUL cannot be written in a pattern */
		if (lo > hi)
			continue;
		if (lo < 0x80)
			cpset_add(&ascii, lo, hi < 0x80 ? hi : 0x7f);
		if (hi >= 0x80) {
			uint32_t wlo = lo < 0x80 ? 0x80 : lo;

			/* leave out the surrogates, which UTF-8 cannot hold */
			if (wlo < 0xd800)
				cpset_add(&wide, wlo, hi < 0xd800 ? hi : 0xd7ff);
			if (hi > 0xdfff)
				cpset_add(&wide, wlo > 0xe000 ? wlo : 0xe000, hi);
		}
	}
	if (ascii.n == 0 && wide.n == 0) {
		/* nothing matches; 0xff never occurs in UTF-8 */
		lf_buf_adds(out, "[\xff]");
		goto out;
	}
	if (wide.n == 0) {
		emit_ascii_bracket(out, &ascii);
		goto out;
	}
	lf_buf_addc(out, '(');
	if (ascii.n) {
		emit_ascii_bracket(out, &ascii);
		first = 0;
	}
	emit_wide(out, &first, &wide);
	lf_buf_addc(out, ')');
out:
	cpset_release(&ascii);
	cpset_release(&wide);
}

/* Emit one code point as a literal atom. */
static void emit_literal(struct lf_buf *out, uint32_t c)
{
	unsigned char b[4];
	size_t n;

	if (c < 0x80) {
		switch (c) {
		case '^':
			lf_buf_adds(out, "\\^");
			return;
		case ']':
			lf_buf_adds(out, "[]]");
			return;
		case '.':
		case '[':
		case '(':
		case ')':
		case '*':
		case '+':
		case '?':
		case '{':
		case '}':
		case '|':
		case '$':
		case '\\':
			lf_buf_addc(out, '[');
			lf_buf_addc(out, (char)c);
			lf_buf_addc(out, ']');
			return;
		}
		lf_buf_addc(out, (char)c);
		return;
	}
	n = utf8_encode(b, c);
	lf_buf_addc(out, '(');
	lf_buf_add(out, b, n);
	lf_buf_addc(out, ')');
}

/* ---------------------------------------------------------------------- */
/* Translating ECMA-262 patterns */

struct re_parser {
	const char *p, *end;
	char *err; /* first error, owned */
};

static int re_fail(struct re_parser *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int re_fail(struct re_parser *rp, const char *fmt, ...)
{
	struct lf_buf b = LF_BUF_INIT;
	va_list ap;

	if (rp->err)
		return -1;
	va_start(ap, fmt);
	lf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	rp->err = lf_buf_detach(&b);
	return -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_hex(struct re_parser *rp, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	if ((size_t)(rp->end - rp->p) < n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int h = hexval(rp->p[i]);

		if (h < 0)
			return -1;
		v = v * 16 + (uint32_t)h;
	}
	rp->p += n;
	*out = v;
	return 0;
}

enum esc_kind {
	ESC_CHAR,
	ESC_CLASS,  /* \d \D \w \W \s \S: the letter is in *cp */
	ESC_ASSERT, /* \b outside a class */
};

/* Parse an escape; rp->p is just past the backslash. */
static int parse_escape(struct re_parser *rp, int in_class, enum esc_kind *kind, uint32_t *cp)
{
	uint32_t c, lo;
	char e;

	if (rp->p == rp->end)
		return re_fail(rp, "trailing backslash");
	c = utf8_next(&rp->p, rp->end);
	*kind = ESC_CHAR;
	if (c >= 0x80) {
		*cp = c;
		return 0;
	}
	e = (char)c;
	switch (e) {
	case 'd':
	case 'D':
	case 'w':
	case 'W':
	case 's':
	case 'S':
		*kind = ESC_CLASS;
		*cp = c;
		return 0;
	case 'b':
		if (in_class) {
			*cp = 0x08;
			return 0;
		}
		*kind = ESC_ASSERT;
		*cp = c;
		return 0;
	case 'B':
		/*
		 * POSIX would see non-boundaries inside a multibyte character,
		 * where ECMA has no position at all.
		 */
		return re_fail(rp, "'\\B' is not supported");
	case 't':
		*cp = '\t';
		return 0;
	case 'n':
		*cp = '\n';
		return 0;
	case 'v':
		*cp = '\v';
		return 0;
	case 'f':
		*cp = '\f';
		return 0;
	case 'r':
		*cp = '\r';
		return 0;
	case '0':
		if (rp->p < rp->end && *rp->p >= '0' && *rp->p <= '9')
			return re_fail(rp, "octal escapes are not supported");
		return re_fail(rp, "'\\0' (NUL) is not supported");
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		if (in_class)
			return re_fail(rp, "octal escapes are not supported");
		return re_fail(rp, "backreferences are not supported");
	case 'x':
		if (read_hex(rp, 2, cp) < 0)
			return re_fail(rp, "'\\x' must be followed by two hex digits");
		if (*cp == 0)
			return re_fail(rp, "'\\x00' (NUL) is not supported");
		return 0;
	case 'u':
		if (rp->p < rp->end && *rp->p == '{') {
			/* the 'u' flag's form, whose code point semantics we keep */
			uint32_t v = 0;
			int digits = 0;

			rp->p++;
			while (rp->p < rp->end && hexval(*rp->p) >= 0 && v <= CP_MAX) {
				v = v * 16 + (uint32_t)hexval(*rp->p++);
				digits++;
			}
			if (digits == 0 || rp->p == rp->end || *rp->p != '}' || v > CP_MAX ||
			    (v >= 0xd800 && v <= 0xdfff))
				return re_fail(rp, "invalid '\\u{...}' escape");
			rp->p++;
			if (v == 0)
				return re_fail(rp, "'\\u{0}' (NUL) is not supported");
			*cp = v;
			return 0;
		}
		if (read_hex(rp, 4, cp) < 0)
			return re_fail(rp, "'\\u' must be followed by four hex digits");
		if (*cp == 0)
			return re_fail(rp, "'\\u0000' (NUL) is not supported");
		if (*cp >= 0xd800 && *cp <= 0xdbff) {
			if (rp->end - rp->p >= 6 && rp->p[0] == '\\' && rp->p[1] == 'u') {
				rp->p += 2;
				if (read_hex(rp, 4, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return re_fail(rp, "unpaired surrogate in '\\u' escape");
				*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
				return 0;
			}
			return re_fail(rp, "unpaired surrogate in '\\u' escape");
		}
		if (*cp >= 0xdc00 && *cp <= 0xdfff)
			return re_fail(rp, "unpaired surrogate in '\\u' escape");
		return 0;
	case 'c':
		if (rp->p < rp->end &&
		    ((*rp->p >= 'a' && *rp->p <= 'z') || (*rp->p >= 'A' && *rp->p <= 'Z'))) {
			*cp = (uint32_t)(*rp->p++ & 0x1f);
			return 0;
		}
		return re_fail(rp, "'\\c' must be followed by a letter");
	case 'k':
		return re_fail(rp, "named backreferences are not supported");
	case 'p':
	case 'P':
		return re_fail(rp, "unicode property escapes are not supported");
	}
	if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z'))
		return re_fail(rp, "unknown escape '\\%c'", e);
	*cp = c; /* identity escape of punctuation: \. \- \/ \\ ... */
	return 0;
}

/* Parse a class; rp->p is just past the '['.  Fills `set`. */
static int parse_class(struct re_parser *rp, struct cpset *set)
{
	int negate = 0;

	if (rp->p < rp->end && *rp->p == '^') {
		negate = 1;
		rp->p++;
	}
	for (;;) {
		enum esc_kind kind = ESC_CHAR;
		uint32_t a, b;

		if (rp->p == rp->end)
			return re_fail(rp, "missing ']'");
		if (*rp->p == ']') {
			rp->p++;
			break;
		}
		a = utf8_next(&rp->p, rp->end);
		if (a == '\\' && parse_escape(rp, 1, &kind, &a) < 0)
			return -1;
		if (kind == ESC_CLASS) {
			cpset_add_class(set, (char)a);
			continue;
		}
		if (rp->end - rp->p >= 2 && rp->p[0] == '-' && rp->p[1] != ']') {
			enum esc_kind bkind = ESC_CHAR;

			rp->p++;
			b = utf8_next(&rp->p, rp->end);
			if (b == '\\' && parse_escape(rp, 1, &bkind, &b) < 0)
				return -1;
			if (bkind == ESC_CLASS) {
				/* "[a-\d]": Annex B reads the '-' literally */
				cpset_add(set, a, a);
				cpset_add(set, '-', '-');
				cpset_add_class(set, (char)b);
				continue;
			}
			if (b < a)
				return re_fail(rp, "range out of order in character class");
			cpset_add(set, a, b);
			continue;
		}
		cpset_add(set, a, a);
	}
	if (negate)
		cpset_negate(set);
	return 0;
}

static int parse_count(struct re_parser *rp, unsigned long *out)
{
	unsigned long v = 0;
	const char *start = rp->p;

	while (rp->p < rp->end && *rp->p >= '0' && *rp->p <= '9') {
		if (v <= MAX_REPEAT)
			v = v * 10 + (unsigned long)(*rp->p - '0');
		rp->p++;
	}
	*out = v;
	return rp->p > start ? 0 : -1;
}

#define REPEAT_MANY ((unsigned long)-1)

/*
 * Try "{n}", "{n,}" or "{n,m}" at rp->p (on the '{').  Returns 1 and
 * advances when it is one, 0 when the brace is a literal, -1 on error.
 * An open upper bound is REPEAT_MANY.
 */
static int parse_braces(struct re_parser *rp, unsigned long *min, unsigned long *max)
{
	const char *save = rp->p;

	rp->p++;
	if (parse_count(rp, min) < 0)
		goto literal;
	*max = *min;
	if (rp->p < rp->end && *rp->p == ',') {
		rp->p++;
		*max = REPEAT_MANY;
		if (rp->p < rp->end && *rp->p >= '0' && *rp->p <= '9')
			parse_count(rp, max);
	}
	if (rp->p == rp->end || *rp->p != '}')
		goto literal;
	rp->p++;
	if (*min > MAX_REPEAT || (*max != REPEAT_MANY && *max > MAX_REPEAT))
		return re_fail(rp, "repetition count is larger than %d", MAX_REPEAT);
	if (*max < *min)
		return re_fail(rp, "numbers out of order in {} quantifier");
	return 1;
literal:
	rp->p = save;
	return 0;
}

/* Largest pattern, in bytes, that a repetition may produce. */
#define MAX_EXPANSION (1u << 20)

/* Deepest chain of nested optionals: glibc parses groups recursively. */
#define MAX_NEST 100

/*
 * Write the quantifier {min,max} for the atom at out[start..].
 *
 * glibc runs X{0,255} slowly: after each character every remaining optional
 * copy is live.  Nested optionals, (X(X(X)?)?)?, match the same strings
 * with one live copy, so a bounded tail is written that way, in chains of
 * at most MAX_NEST (X{0,a}X{0,b} is X{0,a+b}).
 *
 * With `copy` set the atom holds an anchor or \b, which glibc loses in the
 * copies it makes itself ("(^a){2}" matches "aa"), so every copy is written
 * out; "*" and "?" make no copies and stay.
 *
 * glibc makes its own copies for X{n} as well, so a repetition whose copies
 * would exceed MAX_EXPANSION bytes is refused rather than left to take
 * minutes in regcomp().
 */
static int emit_repeat(struct re_parser *rp, struct lf_buf *out, size_t start, unsigned long min,
                       unsigned long max, int copy)
{
	size_t n = out->len - start;
	unsigned long opt = max == REPEAT_MANY ? 1 : max - min;
	char *atom;

	if (max == REPEAT_MANY && (min == 0 || (min == 1 && !copy))) {
		lf_buf_addc(out, min == 0 ? '*' : '+');
		return 0;
	}
	if (min == 0 && max == 1) {
		lf_buf_addc(out, '?');
		return 0;
	}
	if (min == 1 && max == 1)
		return 0;
	if ((min + opt) > MAX_EXPANSION / (n ? n : 1))
		return re_fail(rp, "repetition makes the pattern too large");
	atom = lf_xstrndup(out->ptr + start, n);
	lf_buf_truncate(out, start);
	if (copy || min <= 1) {
		for (unsigned long i = 0; i < min; i++)
			lf_buf_add(out, atom, n);
	} else {
		lf_buf_add(out, atom, n);
		lf_buf_addf(out, "{%lu}", min);
	}
	if (max == REPEAT_MANY) {
		lf_buf_add(out, atom, n);
		lf_buf_addc(out, '*');
	} else if (opt == 1) {
		lf_buf_add(out, atom, n);
		lf_buf_addc(out, '?');
	} else {
		while (opt > 0) {
			unsigned long chain = opt < MAX_NEST ? opt : MAX_NEST;

			for (unsigned long i = 0; i < chain; i++) {
				lf_buf_addc(out, '(');
				lf_buf_add(out, atom, n);
			}
			for (unsigned long i = 0; i < chain; i++)
				lf_buf_adds(out, ")?");
			opt -= chain;
		}
	}
	if (max == 0)
		lf_buf_adds(out, "()");
	free(atom);
	return 0;
}

struct re_group {
	size_t start;   /* offset of its '(' in the output */
	int has_assert; /* holds ^, $ or \b */
};

/*
 * Translate the ECMA-262 pattern `src` (UTF-8, `len` bytes) into a POSIX
 * extended regular expression for the C locale.  Returns 0, or -1 with the
 * reason in *why (owned by the caller).
 */
static int translate_pattern(struct lf_buf *out, const char *src, size_t len, char **why)
{
	struct re_parser rp = {src, src + len, NULL};
	struct re_group *groups = NULL;
	size_t depth = 0, agroups = 0;
	/* where the last atom starts in `out`, if a quantifier may follow */
	size_t atom_start = 0;
	int have_atom = 0, atom_assert = 0;

	while (rp.p < rp.end) {
		uint32_t c = utf8_next(&rp.p, rp.end);
		struct cpset set = CPSET_INIT;
		unsigned long min, max;
		enum esc_kind kind;
		int r;

		if (c != ')' && c != '*' && c != '+' && c != '?' && c != '{') {
			atom_start = out->len;
			atom_assert = 0;
		}
		switch (c) {
		case 0:
			re_fail(&rp, "NUL is not supported");
			goto fail;
		case '\\':
			if (parse_escape(&rp, 0, &kind, &c) < 0)
				goto fail;
			if (kind == ESC_CLASS) {
				cpset_add_class(&set, (char)c);
				emit_set(out, &set);
				cpset_release(&set);
			} else if (kind == ESC_ASSERT) {
				/* glibc's \b uses the ASCII word characters, as ECMA does */
				lf_buf_adds(out, "\\b");
				if (depth)
					groups[depth - 1].has_assert = 1;
				have_atom = 0;
				continue;
			} else {
				emit_literal(out, c);
			}
			have_atom = 1;
			continue;
		case '.':
			/* any character but a line terminator */
			cpset_add(&set, '\n', '\n');
			cpset_add(&set, '\r', '\r');
			cpset_add(&set, 0x2028, 0x2029);
			cpset_negate(&set);
			emit_set(out, &set);
			cpset_release(&set);
			have_atom = 1;
			continue;
		case '[':
			r = parse_class(&rp, &set);
			if (r == 0)
				emit_set(out, &set);
			cpset_release(&set);
			if (r < 0)
				goto fail;
			have_atom = 1;
			continue;
		case '(':
			if (rp.p < rp.end && *rp.p == '?') {
				const char *q = rp.p + 1;

				if (q < rp.end && *q == ':') {
					rp.p = q + 1;
				} else if (q < rp.end && (*q == '=' || *q == '!')) {
					re_fail(&rp, "lookahead assertions are not supported");
					goto fail;
				} else if (q + 1 < rp.end && *q == '<' &&
				           (q[1] == '=' || q[1] == '!')) {
					re_fail(&rp, "lookbehind assertions are not supported");
					goto fail;
				} else if (q < rp.end && *q == '<') {
					/* named group: the name does not matter here */
					while (q < rp.end && *q != '>')
						q++;
					if (q == rp.end) {
						re_fail(&rp, "unterminated group name");
						goto fail;
					}
					rp.p = q + 1;
				} else {
					re_fail(&rp, "invalid group '(?'");
					goto fail;
				}
			}
			LF_GROW(groups, depth + 1, agroups);
			groups[depth].start = out->len;
			groups[depth].has_assert = 0;
			depth++;
			lf_buf_addc(out, '(');
			have_atom = 0;
			continue;
		case ')':
			if (depth == 0) {
				re_fail(&rp, "unmatched ')'");
				goto fail;
			}
			lf_buf_addc(out, ')');
			depth--;
			atom_start = groups[depth].start;
			atom_assert = groups[depth].has_assert;
			if (depth && atom_assert)
				groups[depth - 1].has_assert = 1;
			have_atom = 1;
			continue;
		case '|':
			lf_buf_addc(out, '|');
			have_atom = 0;
			continue;
		case '^':
		case '$':
			/*
			 * Without the 'm' flag these are the start and end of the
			 * string; glibc's ^ and $ inside a pattern also match next
			 * to a newline the pattern consumes, its buffer anchors
			 * \` and \' do not.
			 */
			lf_buf_adds(out, c == '^' ? "\\`" : "\\'");
			if (depth)
				groups[depth - 1].has_assert = 1;
			have_atom = 0;
			continue;
		case '*':
		case '+':
		case '?':
			if (!have_atom) {
				re_fail(&rp, "nothing to repeat before '%c'", (char)c);
				goto fail;
			}
			min = c == '+' ? 1 : 0;
			max = c == '?' ? 1 : REPEAT_MANY;
			break;
		case '{':
			rp.p--;
			r = parse_braces(&rp, &min, &max);
			if (r < 0)
				goto fail;
			if (r == 0) {
				rp.p++;
				atom_start = out->len;
				atom_assert = 0;
				emit_literal(out, '{');
				have_atom = 1;
				continue;
			}
			if (!have_atom) {
				re_fail(&rp, "nothing to repeat before '{'");
				goto fail;
			}
			break;
		default:
			emit_literal(out, c);
			have_atom = 1;
			continue;
		}
		/* a quantifier */
		if (emit_repeat(&rp, out, atom_start, min, max, atom_assert) < 0)
			goto fail;
		/* a lazy quantifier matches the same strings as a greedy one */
		if (rp.p < rp.end && *rp.p == '?')
			rp.p++;
		have_atom = 0;
	}
	if (depth > 0) {
		re_fail(&rp, "missing ')'");
		goto fail;
	}
	free(groups);
	return 0;
fail:
	free(groups);
	*why = rp.err;
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Values: types, comparison, rendering */

/*
 * The build does not link libm, so the few numeric helpers are written
 * here.  Every double of magnitude 2^52 or more is an integer.
 */
static double dabs(double d)
{
	return d < 0 ? -d : d;
}

static int double_is_integral(double d)
{
	if (d - d != 0) /* inf or nan */
		return 0;
	if (dabs(d) >= 4503599627370496.0)
		return 1;
	return (double)(long long)d == d;
}

static int is_integral(const json_t *v)
{
	if (json_is_integer(v))
		return 1;
	return json_is_real(v) && double_is_integral(json_real_value(v));
}

static unsigned type_bit(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return T_OBJECT;
	case JSON_ARRAY:
		return T_ARRAY;
	case JSON_STRING:
		return T_STRING;
	case JSON_INTEGER:
		return T_INTEGER | T_NUMBER;
	case JSON_REAL:
		return is_integral(v) ? T_INTEGER | T_NUMBER : T_NUMBER;
	case JSON_TRUE:
	case JSON_FALSE:
		return T_BOOLEAN;
	case JSON_NULL:
		return T_NULL;
	}
	return 0;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "value";
}

/* Compare two numbers exactly where both are integers. */
static int num_cmp(const json_t *a, const json_t *b)
{
	long double x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a), j = json_integer_value(b);

		return i < j ? -1 : i > j;
	}
	/* long double holds every 64-bit integer exactly on the usual ABIs */
	x = json_is_integer(a) ? (long double)json_integer_value(a)
	                       : (long double)json_real_value(a);
	y = json_is_integer(b) ? (long double)json_integer_value(b)
	                       : (long double)json_real_value(b);
	return x < y ? -1 : x > y;
}

/* Equality as JSON Schema means it: 1 == 1.0, key order does not matter. */
static int values_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return num_cmp(a, b) == 0;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) ==
		           0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!values_equal(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		for (void *it = json_object_iter((json_t *)a); it;
		     it = json_object_iter_next((json_t *)a, it)) {
			const json_t *o = json_object_getn(b, json_object_iter_key(it),
			                                   json_object_iter_key_len(it));

			if (!o || !values_equal(json_object_iter_value(it), o))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

static void add_real(struct lf_buf *b, double d)
{
	char tmp[64];

	/* the shortest form that reads back as the same double */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	lf_buf_adds(b, tmp);
	if (!strpbrk(tmp, ".eEni"))
		lf_buf_adds(b, ".0");
}

static void add_quoted(struct lf_buf *b, const char *s, size_t len)
{
	size_t start = b->len;

	lf_buf_addc(b, '\'');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (b->len - start >= MAX_SHOWN && (c & 0xc0) != 0x80) {
			lf_buf_adds(b, "...");
			break;
		}
		switch (c) {
		case '\n':
			lf_buf_adds(b, "\\n");
			break;
		case '\t':
			lf_buf_adds(b, "\\t");
			break;
		case '\r':
			lf_buf_adds(b, "\\r");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				lf_buf_addf(b, "\\u%04x", c);
			else
				lf_buf_addc(b, (char)c);
		}
	}
	lf_buf_addc(b, '\'');
}

/* Render a value for a message: strings quoted, the rest as short JSON. */
static void add_value(struct lf_buf *b, const json_t *v)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		add_quoted(b, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		lf_buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	case JSON_REAL:
		add_real(b, json_real_value(v));
		return;
	default:
		break;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	if (!s) {
		lf_buf_adds(b, type_name(v));
		return;
	}
	if (strlen(s) > MAX_SHOWN) {
		lf_buf_add(b, s, MAX_SHOWN);
		lf_buf_adds(b, "...");
	} else {
		lf_buf_adds(b, s);
	}
	free(s);
}

/* "string", "string or null", "string, integer or null": the schema's order */
static void add_types(struct lf_buf *b, const json_t *type)
{
	size_t n = json_is_array(type) ? json_array_size(type) : 1;

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			lf_buf_adds(b, i + 1 == n ? " or " : ", ");
		lf_buf_adds(
		    b, json_string_value(json_is_array(type) ? json_array_get(type, i) : type));
	}
}

static void add_enum(struct lf_buf *b, const json_t *values)
{
	for (size_t i = 0; i < json_array_size(values); i++) {
		if (i == MAX_ENUM_SHOWN) {
			lf_buf_adds(b, ", ...");
			break;
		}
		if (i > 0)
			lf_buf_adds(b, ", ");
		add_value(b, json_array_get(values, i));
	}
}

static int in_enum(const json_t *values, const json_t *v)
{
	for (size_t i = 0; i < json_array_size(values); i++)
		if (values_equal(json_array_get(values, i), v))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Compiling */

struct memo_entry {
	const json_t *json;
	struct node *node;
};

struct compiler {
	struct lf_schema *s;
	struct memo_entry *memo; /* open addressing, power-of-two size */
	size_t memo_n, memo_cap;
	struct node **refs; /* $ref nodes still to resolve */
	size_t nrefs, arefs;
	char *err;
};

static int cfail(struct compiler *c, const char *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cfail(struct compiler *c, const char *loc, const char *fmt, ...)
{
	struct lf_buf b = LF_BUF_INIT;
	va_list ap;

	if (c->err)
		return -1;
	va_start(ap, fmt);
	lf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	lf_buf_addf(&b, " at '%s'", loc);
	c->err = lf_buf_detach(&b);
	return -1;
}

static size_t memo_slot(const struct compiler *c, const json_t *json)
{
	uintptr_t h = (uintptr_t)json;

	h ^= h >> 17;
	h *= (uintptr_t)0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return (size_t)h & (c->memo_cap - 1);
}

static struct node *memo_get(const struct compiler *c, const json_t *json)
{
	if (c->memo_cap == 0)
		return NULL;
	for (size_t i = memo_slot(c, json);; i = (i + 1) & (c->memo_cap - 1)) {
		if (!c->memo[i].json)
			return NULL;
		if (c->memo[i].json == json)
			return c->memo[i].node;
	}
}

static void memo_put(struct compiler *c, const json_t *json, struct node *n)
{
	if ((c->memo_n + 1) * 2 > c->memo_cap) {
		struct memo_entry *old = c->memo;
		size_t old_cap = c->memo_cap;

		c->memo_cap = old_cap ? old_cap * 2 : 64;
		c->memo = lf_xcalloc(c->memo_cap, sizeof(*c->memo));
		c->memo_n = 0;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].json)
				memo_put(c, old[i].json, old[i].node);
		free(old);
	}
	for (size_t i = memo_slot(c, json);; i = (i + 1) & (c->memo_cap - 1)) {
		if (!c->memo[i].json) {
			c->memo[i].json = json;
			c->memo[i].node = n;
			c->memo_n++;
			return;
		}
	}
}

static void add_pointer_token(struct lf_buf *loc, const char *key, size_t len)
{
	lf_buf_addc(loc, '/');
	for (size_t i = 0; i < len; i++) {
		if (key[i] == '~')
			lf_buf_adds(loc, "~0");
		else if (key[i] == '/')
			lf_buf_adds(loc, "~1");
		else
			lf_buf_addc(loc, key[i]);
	}
}

static struct node *compile_node(struct compiler *c, const json_t *json, struct lf_buf *loc);

/* Compile the subschema under `kw`, then `key` or `index` when given. */
static struct node *compile_sub(struct compiler *c, const json_t *json, struct lf_buf *loc,
                                const char *kw, const char *key, size_t key_len, size_t index)
{
	size_t mark = loc->len;
	struct node *n;

	if (kw)
		add_pointer_token(loc, kw, strlen(kw));
	if (key)
		add_pointer_token(loc, key, key_len);
	else if (index != (size_t)-1)
		lf_buf_addf(loc, "/%zu", index);
	n = compile_node(c, json, loc);
	lf_buf_truncate(loc, mark);
	return n;
}

static int compile_list(struct compiler *c, struct node_list *out, const json_t *arr,
                        struct lf_buf *loc, const char *kw)
{
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return cfail(c, lf_buf_cstr(loc), "'%s' must be a non-empty array of schemas", kw);
	out->n = json_array_size(arr);
	out->v = lf_xcalloc(out->n, sizeof(*out->v));
	for (size_t i = 0; i < out->n; i++) {
		out->v[i] = compile_sub(c, json_array_get(arr, i), loc, kw, NULL, 0, i);
		if (!out->v[i])
			return -1;
	}
	return 0;
}

/* A non-negative integer keyword; 1.0 counts as an integer. */
static int get_count(struct compiler *c, const json_t *obj, const char *kw, size_t *out,
                     const struct lf_buf *loc)
{
	const json_t *v = json_object_get(obj, kw);

	if (!v)
		return 0;
	if (!is_integral(v) || (json_is_integer(v) && json_integer_value(v) < 0) ||
	    (json_is_real(v) && json_real_value(v) < 0))
		return cfail(c, loc->ptr, "'%s' must be a non-negative integer", kw);
	if (json_is_integer(v))
		*out = (size_t)json_integer_value(v);
	else
		*out =
		    json_real_value(v) >= (double)SIZE_MAX ? SIZE_MAX : (size_t)json_real_value(v);
	return 0;
}

static int get_number(struct compiler *c, const json_t *obj, const char *kw, const json_t **out,
                      const struct lf_buf *loc)
{
	const json_t *v = json_object_get(obj, kw);

	if (!v)
		return 0;
	if (!json_is_number(v))
		return cfail(c, loc->ptr, "'%s' must be a number", kw);
	*out = v;
	return 0;
}

/* ---- anchored patterns of plain items, matched without regexec ---------- */

/*
 * Most patterns of the schemas are "^" ITEM... "$" where an item is an ASCII
 * character or a class of them ([a-z0-9_-]), repeated ({m,n}, *, +, ?):
 * "^[a-z][a-z0-9_-]{1,62}$".  For those the set of lengths the items can
 * cover is worked out over the string, item by item, in time linear in its
 * length; glibc's regexec() took 5% of validate at 100,000 resources.  An
 * ASCII item never matches a byte of a multi-byte character, as under the
 * code-point semantics of ECMA-262.  Anything else (groups, alternatives,
 * '.', negated classes, escapes of letters, unanchored patterns) is left to
 * regexec().
 */
#define FAST_MAX_ITEMS 64
#define FAST_MAX_LEN 4096 /* longer strings go to regexec() */
#define FAST_MANY 0xffffffffu

struct fast_item {
	unsigned char set[16]; /* bit c: ASCII byte c matches */
	unsigned min, max;     /* max FAST_MANY: no bound */
};

struct fast_re {
	struct fast_item v[FAST_MAX_ITEMS];
	size_t n;
};

/* Characters written as themselves, outside a class and in one. */
static int fast_plain(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("_-:/@=,;'\"!%&~<># ", c));
}

/* The punctuation a backslash makes literal (an identity escape). */
static int fast_escapable(int c)
{
	return c && strchr(".-/_:@+=*?()[]{}|^$", c);
}

static void fast_add(struct fast_item *it, int c)
{
	it->set[c >> 3] |= (unsigned char)(1u << (c & 7));
}

static int fast_has(const struct fast_item *it, unsigned char c)
{
	return c < 128 && (it->set[c >> 3] >> (c & 7)) & 1;
}

/* One character of a class at *p (plain or escaped), or -1. */
static int fast_class_char(const char **p, const char *end)
{
	int c = (unsigned char)**p;

	if (c == '\\') {
		if (*p + 1 >= end || !fast_escapable((unsigned char)(*p)[1]))
			return -1;
		*p += 2;
		return (unsigned char)(*p)[-1];
	}
	if (!fast_plain(c) && !strchr(".*+?(){}|^$", c))
		return -1;
	(*p)++;
	return c;
}

static int fast_number(const char **p, const char *end, unsigned *out)
{
	unsigned long v = 0;
	const char *s = *p;

	while (*p < end && **p >= '0' && **p <= '9' && v <= 100000)
		v = v * 10 + (unsigned long)(*(*p)++ - '0');
	if (*p == s || v > 100000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* The plan of pattern `src`, or NULL when it is not of that form. */
static struct fast_re *fast_compile(const char *src, size_t len)
{
	if (len < 2 || src[0] != '^' || src[len - 1] != '$')
		return NULL;
	const char *p = src + 1, *end = src + len - 1;
	struct fast_re *re = lf_xcalloc(1, sizeof(*re));

	while (p < end) {
		struct fast_item *it;
		int c = (unsigned char)*p;

		if (re->n == FAST_MAX_ITEMS)
			goto no;
		it = &re->v[re->n++];
		if (c == '[') {
			p++;
			if (p >= end || *p == '^' || *p == ']')
				goto no;
			while (p < end && *p != ']') {
				int lo = fast_class_char(&p, end), hi = lo;
				if (lo < 0)
					goto no;
				if (p + 1 < end && *p == '-' && p[1] != ']') {
					p++;
					hi = fast_class_char(&p, end);
					if (hi < lo)
						goto no;
				}
				for (int x = lo; x <= hi; x++)
					fast_add(it, x);
			}
			if (p >= end)
				goto no;
			p++; /* ']' */
		} else if (c == '\\') {
			if (p + 1 >= end || !fast_escapable((unsigned char)p[1]))
				goto no;
			fast_add(it, (unsigned char)p[1]);
			p += 2;
		} else if (fast_plain(c)) {
			fast_add(it, c);
			p++;
		} else {
			goto no;
		}
		it->min = it->max = 1;
		if (p < end && (*p == '*' || *p == '+' || *p == '?')) {
			it->min = *p == '+';
			it->max = *p == '?' ? 1 : FAST_MANY;
			p++;
		} else if (p < end && *p == '{') {
			p++;
			if (fast_number(&p, end, &it->min))
				goto no;
			it->max = it->min;
			if (p < end && *p == ',') {
				p++;
				it->max = FAST_MANY;
				if (p < end && *p != '}' && fast_number(&p, end, &it->max))
					goto no;
			}
			if (p >= end || *p != '}' || it->max < it->min)
				goto no;
			p++;
		}
		/* a lazy or a second quantifier: left to regexec() */
		if (p < end && (*p == '?' || *p == '*' || *p == '+' || *p == '{'))
			goto no;
	}
	return re;
no:
	free(re);
	return NULL;
}

/* Whether `str` (`len` <= FAST_MAX_LEN bytes) matches `re`. */
static int fast_match(const struct fast_re *re, const char *str, size_t len)
{
	/* reach[p]: the items so far can cover str[0..p) exactly */
	unsigned char reach[FAST_MAX_LEN + 1];
	unsigned run[FAST_MAX_LEN + 1];
	int diff[FAST_MAX_LEN + 2];
	int any = 1;

	memset(reach, 0, len + 1);
	reach[0] = 1;
	for (size_t i = 0; i < re->n && any; i++) {
		const struct fast_item *it = &re->v[i];

		/* run[p]: how many bytes from p on are in the item's set */
		run[len] = 0;
		for (size_t p = len; p-- > 0;)
			run[p] = fast_has(it, (unsigned char)str[p]) ? run[p + 1] + 1 : 0;
		memset(diff, 0, (len + 2) * sizeof(*diff));
		for (size_t p = 0; p <= len; p++) {
			if (!reach[p])
				continue;
			size_t most = run[p] < it->max ? run[p] : it->max;
			if (most < it->min)
				continue;
			diff[p + it->min]++;
			diff[p + most + 1]--;
		}
		int open = 0;
		any = 0;
		for (size_t p = 0; p <= len; p++) {
			open += diff[p];
			reach[p] = open > 0;
			any |= reach[p];
		}
	}
	return any && reach[len];
}

static int compile_regex(struct compiler *c, struct lf_regex *re, const char *src, size_t len,
                         const struct lf_buf *loc)
{
	struct lf_buf ere = LF_BUF_INIT, q = LF_BUF_INIT;
	char *why = NULL;
	char msg[128];
	locale_t old;
	int rc;

	re->src = src;
	if (translate_pattern(&ere, src, len, &why) < 0) {
		add_quoted(&q, src, len);
		cfail(c, loc->ptr, "cannot use pattern %s: %s", lf_buf_cstr(&q), why);
		free(why);
		goto fail;
	}
	/* the translation is written for single bytes: compile it in "C" */
	old = uselocale(c->s->cloc);
	rc = regcomp(&re->re, lf_buf_cstr(&ere), REG_EXTENDED | REG_NOSUB);
	uselocale(old);
	if (rc != 0) {
		regerror(rc, &re->re, msg, sizeof(msg));
		for (char *p = msg; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		add_quoted(&q, src, len);
		cfail(c, loc->ptr, "cannot use pattern %s: %s", lf_buf_cstr(&q), msg);
		goto fail;
	}
	lf_buf_release(&ere);
	re->fast = fast_compile(src, len);
	return 0;
fail:
	lf_buf_release(&ere);
	lf_buf_release(&q);
	return -1;
}

static int prop_cmp_key(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	if (r != 0)
		return r;
	return alen < blen ? -1 : alen > blen;
}

static int prop_cmp(const void *x, const void *y)
{
	const struct prop *a = x, *b = y;

	return prop_cmp_key(a->key, a->len, b->key, b->len);
}

static int compile_type(struct compiler *c, struct node *n, const json_t *t,
                        const struct lf_buf *loc)
{
	const json_t *one;
	size_t i, count = json_is_array(t) ? json_array_size(t) : 1;

	if (!json_is_string(t) && !json_is_array(t))
		return cfail(c, loc->ptr, "'type' must be a type name or an array of type names");
	for (i = 0; i < count; i++) {
		size_t k;

		one = json_is_array(t) ? json_array_get(t, i) : t;
		if (!json_is_string(one))
			return cfail(c, loc->ptr,
			             "'type' must be a type name or an array of type names");
		for (k = 0; k < sizeof(type_names) / sizeof(type_names[0]); k++)
			if (strcmp(json_string_value(one), type_names[k].name) == 0)
				break;
		if (k == sizeof(type_names) / sizeof(type_names[0]))
			return cfail(c, loc->ptr, "unknown type '%s'", json_string_value(one));
		n->types |= type_names[k].bit;
	}
	n->type = t;
	if (count == 0)
		return cfail(c, loc->ptr, "'type' must not be an empty array");
	return 0;
}

static int compile_object_keywords(struct compiler *c, struct node *n, const json_t *json,
                                   struct lf_buf *loc)
{
	const json_t *v;

	if ((v = json_object_get(json, "properties"))) {
		size_t i = 0;

		if (!json_is_object(v))
			return cfail(c, loc->ptr, "'properties' must be an object");
		n->nprops = json_object_size(v);
		n->props = lf_xcalloc(n->nprops, sizeof(*n->props));
		for (void *it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it), i++) {
			n->props[i].key = json_object_iter_key(it);
			n->props[i].len = json_object_iter_key_len(it);
			n->props[i].node =
			    compile_sub(c, json_object_iter_value(it), loc, "properties",
			                n->props[i].key, n->props[i].len, 0);
			if (!n->props[i].node)
				return -1;
		}
		qsort(n->props, n->nprops, sizeof(*n->props), prop_cmp);
	}
	if ((v = json_object_get(json, "patternProperties"))) {
		size_t i = 0;

		if (!json_is_object(v))
			return cfail(c, loc->ptr, "'patternProperties' must be an object");
		n->pattern_props = lf_xcalloc(json_object_size(v), sizeof(*n->pattern_props));
		for (void *it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it), i++) {
			const char *key = json_object_iter_key(it);
			size_t len = json_object_iter_key_len(it);
			size_t mark = loc->len;
			int rc;

			add_pointer_token(loc, "patternProperties", 17);
			add_pointer_token(loc, key, len);
			rc = compile_regex(c, &n->pattern_props[i].re, key, len, loc);
			lf_buf_truncate(loc, mark);
			if (rc < 0)
				return -1;
			n->npattern_props++;
			n->pattern_props[i].node = compile_sub(c, json_object_iter_value(it), loc,
			                                       "patternProperties", key, len, 0);
			if (!n->pattern_props[i].node)
				return -1;
		}
	}
	if ((v = json_object_get(json, "additionalProperties")) &&
	    !(n->additional_props =
	          compile_sub(c, v, loc, "additionalProperties", NULL, 0, (size_t)-1)))
		return -1;
	if ((v = json_object_get(json, "required"))) {
		if (!json_is_array(v))
			return cfail(c, loc->ptr, "'required' must be an array of property names");
		for (size_t i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return cfail(c, loc->ptr,
				             "'required' must be an array of property names");
		n->required = v;
	}
	if (get_count(c, json, "minProperties", &n->min_props, loc) < 0 ||
	    get_count(c, json, "maxProperties", &n->max_props, loc) < 0)
		return -1;
	if ((v = json_object_get(json, "propertyNames")) &&
	    !(n->property_names = compile_sub(c, v, loc, "propertyNames", NULL, 0, (size_t)-1)))
		return -1;
	if ((v = json_object_get(json, "dependencies"))) {
		size_t i = 0;

		if (!json_is_object(v))
			return cfail(c, loc->ptr, "'dependencies' must be an object");
		n->deps = lf_xcalloc(json_object_size(v), sizeof(*n->deps));
		for (void *it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it), i++) {
			struct dependency *d = &n->deps[i];
			const json_t *dv = json_object_iter_value(it);

			d->key = json_object_iter_key(it);
			d->len = json_object_iter_key_len(it);
			n->ndeps++;
			if (json_is_array(dv)) {
				for (size_t k = 0; k < json_array_size(dv); k++)
					if (!json_is_string(json_array_get(dv, k)))
						return cfail(c, loc->ptr,
						             "'dependencies' of '%s' must be a "
						             "schema or an array of property names",
						             d->key);
				d->required = dv;
			} else if (!(d->node = compile_sub(c, dv, loc, "dependencies", d->key,
			                                   d->len, 0))) {
				return -1;
			}
		}
	}
	return 0;
}

static int compile_array_keywords(struct compiler *c, struct node *n, const json_t *json,
                                  struct lf_buf *loc)
{
	const json_t *v;

	if ((v = json_object_get(json, "items"))) {
		if (json_is_array(v)) {
			n->items_is_list = 1;
			n->item_list.n = json_array_size(v);
			n->item_list.v = lf_xcalloc(n->item_list.n, sizeof(*n->item_list.v));
			for (size_t i = 0; i < n->item_list.n; i++)
				if (!(n->item_list.v[i] = compile_sub(c, json_array_get(v, i), loc,
				                                      "items", NULL, 0, i)))
					return -1;
		} else if (!(n->items = compile_sub(c, v, loc, "items", NULL, 0, (size_t)-1))) {
			return -1;
		}
	}
	if ((v = json_object_get(json, "additionalItems")) &&
	    !(n->additional_items = compile_sub(c, v, loc, "additionalItems", NULL, 0, (size_t)-1)))
		return -1;
	if ((v = json_object_get(json, "contains")) &&
	    !(n->contains = compile_sub(c, v, loc, "contains", NULL, 0, (size_t)-1)))
		return -1;
	if (get_count(c, json, "minItems", &n->min_items, loc) < 0 ||
	    get_count(c, json, "maxItems", &n->max_items, loc) < 0)
		return -1;
	if ((v = json_object_get(json, "uniqueItems"))) {
		if (!json_is_boolean(v))
			return cfail(c, loc->ptr, "'uniqueItems' must be a boolean");
		n->unique_items = json_is_true(v);
	}
	return 0;
}

static int compile_keywords(struct compiler *c, struct node *n, const json_t *json,
                            struct lf_buf *loc)
{
	static const char *const subs[] = {"not", "if", "then", "else"};
	const json_t *v;

	if ((v = json_object_get(json, "type")) && compile_type(c, n, v, loc) < 0)
		return -1;
	if ((v = json_object_get(json, "enum"))) {
		if (!json_is_array(v))
			return cfail(c, loc->ptr, "'enum' must be an array");
		n->enum_values = v;
	}
	n->const_value = json_object_get(json, "const");

	if (get_count(c, json, "minLength", &n->min_length, loc) < 0 ||
	    get_count(c, json, "maxLength", &n->max_length, loc) < 0)
		return -1;
	n->sensitive = json_is_true(json_object_get(json, "x-lakeform-sensitive"));
	if ((v = json_object_get(json, "x-lakeform-message"))) {
		if (!json_is_string(v))
			return cfail(c, loc->ptr, "'x-lakeform-message' must be a string");
		n->message = json_string_value(v);
	}
	if ((v = json_object_get(json, "pattern"))) {
		if (!json_is_string(v))
			return cfail(c, loc->ptr, "'pattern' must be a string");
		n->pattern = lf_xcalloc(1, sizeof(*n->pattern));
		if (compile_regex(c, n->pattern, json_string_value(v), json_string_length(v), loc) <
		    0) {
			free(n->pattern);
			n->pattern = NULL;
			return -1;
		}
	}

	if (get_number(c, json, "minimum", &n->minimum, loc) < 0 ||
	    get_number(c, json, "maximum", &n->maximum, loc) < 0 ||
	    get_number(c, json, "exclusiveMinimum", &n->exclusive_minimum, loc) < 0 ||
	    get_number(c, json, "exclusiveMaximum", &n->exclusive_maximum, loc) < 0 ||
	    get_number(c, json, "multipleOf", &n->multiple_of, loc) < 0)
		return -1;
	if (n->multiple_of && json_number_value(n->multiple_of) <= 0)
		return cfail(c, loc->ptr, "'multipleOf' must be greater than 0");

	if (compile_array_keywords(c, n, json, loc) < 0 ||
	    compile_object_keywords(c, n, json, loc) < 0)
		return -1;

	if ((v = json_object_get(json, "allOf")) &&
	    compile_list(c, &n->all_of, v, loc, "allOf") < 0)
		return -1;
	if ((v = json_object_get(json, "anyOf")) &&
	    compile_list(c, &n->any_of, v, loc, "anyOf") < 0)
		return -1;
	if ((v = json_object_get(json, "oneOf")) &&
	    compile_list(c, &n->one_of, v, loc, "oneOf") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		struct node **slot = i == 0   ? &n->not_
		                     : i == 1 ? &n->if_
		                     : i == 2 ? &n->then_
		                              : &n->else_;

		if ((v = json_object_get(json, subs[i])) &&
		    !(*slot = compile_sub(c, v, loc, subs[i], NULL, 0, (size_t)-1)))
			return -1;
	}

	/* compiled so that they are checked and can be $ref targets */
	if ((v = json_object_get(json, "definitions"))) {
		if (!json_is_object(v))
			return cfail(c, loc->ptr, "'definitions' must be an object");
		for (void *it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it))
			if (!compile_sub(c, json_object_iter_value(it), loc, "definitions",
			                 json_object_iter_key(it), json_object_iter_key_len(it), 0))
				return -1;
	}
	return 0;
}

static struct node *compile_node(struct compiler *c, const json_t *json, struct lf_buf *loc)
{
	struct lf_schema *s = c->s;
	struct node *n = memo_get(c, json);
	const json_t *ref;

	if (n)
		return n;
	if (!json_is_object(json) && !json_is_boolean(json)) {
		cfail(c, lf_buf_cstr(loc), "a schema must be an object or a boolean, not %s",
		      !json                  ? "nothing"
		      : json_is_array(json)  ? "an array"
		      : json_is_null(json)   ? "null"
		      : json_is_string(json) ? "a string"
		                             : "a number");
		return NULL;
	}
	n = lf_xcalloc(1, sizeof(*n));
	n->loc = lf_xstrdup(lf_buf_cstr(loc));
	n->max_length = n->max_items = n->max_props = SIZE_MAX;
	LF_GROW(s->nodes, s->nnodes + 1, s->anodes);
	s->nodes[s->nnodes++] = n;
	memo_put(c, json, n);

	if (json_is_boolean(json)) {
		n->kind = json_is_true(json) ? NODE_TRUE : NODE_FALSE;
		return n;
	}
	if ((ref = json_object_get(json, "$ref"))) {
		/* draft-07: the keywords beside $ref are ignored */
		if (!json_is_string(ref)) {
			cfail(c, n->loc, "'$ref' must be a string");
			return NULL;
		}
		n->kind = NODE_REF;
		n->ref_str = json_string_value(ref);
		LF_GROW(c->refs, c->nrefs + 1, c->arefs);
		c->refs[c->nrefs++] = n;
		return n;
	}
	n->kind = NODE_SCHEMA;
	if (compile_keywords(c, n, json, loc) < 0)
		return NULL;
	return n;
}

/*
 * Find the target of a local $ref: "#" and a JSON pointer (RFC 6901) written
 * as a URI fragment, so %-escapes are undone first, then ~1 and ~0.
 */
static const json_t *resolve_pointer(const json_t *root, const char *ref, const char **why)
{
	struct lf_buf frag = LF_BUF_INIT, tok = LF_BUF_INIT;
	const json_t *cur = root;
	size_t i = 0;

	*why = NULL;
	if (ref[0] != '#') {
		*why = "only references within the same document ('#...') are supported";
		return NULL;
	}
	for (const char *p = ref + 1; *p; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			lf_buf_addc(&frag, (char)(hexval(p[1]) * 16 + hexval(p[2])));
			p += 2;
		} else {
			lf_buf_addc(&frag, *p);
		}
	}
	if (frag.len > 0 && frag.ptr[0] != '/') {
		*why = "only JSON pointer fragments are supported";
		cur = NULL;
	}
	while (cur && i < frag.len) {
		const char *t;

		i++; /* the '/' */
		lf_buf_truncate(&tok, 0);
		while (i < frag.len && frag.ptr[i] != '/') {
			char ch = frag.ptr[i++];

			if (ch == '~') {
				if (i == frag.len || (frag.ptr[i] != '0' && frag.ptr[i] != '1')) {
					*why = "invalid '~' escape in JSON pointer";
					cur = NULL;
					break;
				}
				ch = frag.ptr[i++] == '0' ? '~' : '/';
			}
			lf_buf_addc(&tok, ch);
		}
		if (!cur)
			break;
		t = lf_buf_cstr(&tok);
		if (json_is_object(cur)) {
			cur = json_object_getn(cur, t, tok.len);
		} else if (json_is_array(cur)) {
			size_t idx = 0;

			/* decimal digits, no leading zero */
			if (tok.len == 0 || (tok.len > 1 && t[0] == '0') || tok.len > 18)
				cur = NULL;
			for (size_t k = 0; cur && k < tok.len; k++) {
				if (t[k] < '0' || t[k] > '9')
					cur = NULL;
				else
					idx = idx * 10 + (size_t)(t[k] - '0');
			}
			if (cur)
				cur = json_array_get(cur, idx);
		} else {
			cur = NULL;
		}
	}
	if (!cur && !*why)
		*why = "no such location in the document";
	lf_buf_release(&frag);
	lf_buf_release(&tok);
	return cur;
}

static int resolve_refs(struct compiler *c)
{
	/* resolving can compile new nodes, which can add new refs */
	for (size_t i = 0; i < c->nrefs; i++) {
		struct node *n = c->refs[i];
		const char *why = NULL;
		const json_t *target = resolve_pointer(c->s->doc, n->ref_str, &why);
		struct lf_buf loc = LF_BUF_INIT;

		if (!target)
			return cfail(c, n->loc, "unresolvable $ref '%s': %s", n->ref_str, why);
		lf_buf_adds(&loc, n->ref_str);
		n->ref = compile_node(c, target, &loc);
		lf_buf_release(&loc);
		if (!n->ref)
			return -1;
	}
	return 0;
}

/*
 * Reject cycles of schemas that apply to the same instance value ($ref,
 * allOf, anyOf, oneOf, not, if/then/else, schema dependencies): validating
 * them would never end.  Cycles that go through properties or items are fine,
 * they consume the instance.
 */
static int check_cycles(struct compiler *c, struct node *n)
{
	const struct node_list *lists[3];
	struct node *single[6];
	int rc = 0;

	if (n->mark == 2)
		return 0;
	if (n->mark == 1)
		return cfail(
		    c, n->loc,
		    "circular $ref: the schema refers to itself without descending into the value");
	n->mark = 1;
	lists[0] = &n->all_of;
	lists[1] = &n->any_of;
	lists[2] = &n->one_of;
	single[0] = n->ref;
	single[1] = n->not_;
	single[2] = n->if_;
	single[3] = n->then_;
	single[4] = n->else_;
	single[5] = NULL;
	for (size_t i = 0; i < 5 && rc == 0; i++)
		if (single[i])
			rc = check_cycles(c, single[i]);
	for (size_t i = 0; i < 3 && rc == 0; i++)
		for (size_t k = 0; k < lists[i]->n && rc == 0; k++)
			rc = check_cycles(c, lists[i]->v[k]);
	for (size_t i = 0; i < n->ndeps && rc == 0; i++)
		if (n->deps[i].node)
			rc = check_cycles(c, n->deps[i].node);
	n->mark = 2;
	return rc;
}

static void node_free(struct node *n)
{
	if (n->pattern) {
		regfree(&n->pattern->re);
		free(n->pattern->fast);
		free(n->pattern);
	}
	for (size_t i = 0; i < n->npattern_props; i++) {
		regfree(&n->pattern_props[i].re.re);
		free(n->pattern_props[i].re.fast);
	}
	free(n->pattern_props);
	free(n->props);
	free(n->deps);
	free(n->item_list.v);
	free(n->all_of.v);
	free(n->any_of.v);
	free(n->one_of.v);
	free(n->loc);
	free(n);
}

void lf_schema_free(struct lf_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nnodes; i++)
		node_free(s->nodes[i]);
	free(s->nodes);
	if (s->cloc)
		freelocale(s->cloc);
	json_decref(s->doc);
	free(s);
}

int lf_schema_compile(struct lf_schema **out, json_t *schema, char **err)
{
	struct compiler c = {0};
	struct lf_buf loc = LF_BUF_INIT;
	struct lf_schema *s = lf_xcalloc(1, sizeof(*s));

	*out = NULL;
	if (err)
		*err = NULL;
	s->doc = json_incref(schema);
	s->cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	c.s = s;
	lf_buf_addc(&loc, '#');
	if (!s->cloc)
		cfail(&c, "#", "cannot create the C locale");
	else if ((s->root = compile_node(&c, schema, &loc)) && resolve_refs(&c) == 0)
		for (size_t i = 0; i < s->nnodes && !c.err; i++)
			check_cycles(&c, s->nodes[i]);
	lf_buf_release(&loc);
	free(c.memo);
	free(c.refs);
	if (c.err) {
		lf_schema_free(s);
		if (err)
			*err = c.err;
		else
			free(c.err);
		return -1;
	}
	*out = s;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Validating */

struct vctx {
	const struct lf_schema *s;
	lf_schema_error_fn fn;
	void *ctx;
	size_t errors;
	/* set while trying an alternative: stop at the first error, say nothing */
	int fast;
	/* set while checking a property name against 'propertyNames' */
	const char *name;
	size_t name_len;
	struct lf_buf msg;
	size_t depth;
	struct lf_jpath_seg path[MAX_DEPTH];
	/* set below an x-lakeform-sensitive node: no message shows the value */
	int hide;
};

#define STOP(v) ((v)->fast && (v)->errors)

static void validate(struct vctx *v, const struct node *n, const json_t *inst);

/* The instance in a message, or "(sensitive)" in its place. */
static void add_inst(const struct vctx *v, struct lf_buf *b, const json_t *inst)
{
	if (v->hide)
		lf_buf_adds(b, "(sensitive)");
	else
		add_value(b, inst);
}

/*
 * Count an error and return the buffer for its message, or NULL when no
 * message is wanted.  The caller writes the message and calls err_end().
 */
static struct lf_buf *err_begin(struct vctx *v)
{
	v->errors++;
	if (v->fast || !v->fn)
		return NULL;
	lf_buf_truncate(&v->msg, 0);
	if (v->name)
		lf_buf_adds(&v->msg, "property name ");
	return &v->msg;
}

static void err_end(struct vctx *v)
{
	v->fn(v->ctx, v->path, v->depth, lf_buf_cstr(&v->msg));
}

static void report(struct vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(struct vctx *v, const char *fmt, ...)
{
	struct lf_buf *b = err_begin(v);
	va_list ap;

	if (!b)
		return;
	va_start(ap, fmt);
	lf_buf_vaddf(b, fmt, ap);
	va_end(ap);
	err_end(v);
}

/* "<value> <text> <limit>" */
static void report_limit(struct vctx *v, const json_t *inst, const char *text, const json_t *limit)
{
	struct lf_buf *b = err_begin(v);

	if (!b)
		return;
	add_inst(v, b, inst);
	lf_buf_adds(b, text);
	add_value(b, limit);
	err_end(v);
}

/* "<text> '<name>'" */
static void report_name(struct vctx *v, const char *text, const char *key, size_t len)
{
	struct lf_buf *b = err_begin(v);

	if (!b)
		return;
	lf_buf_adds(b, text);
	add_quoted(b, key, len);
	err_end(v);
}

static int push(struct vctx *v, const json_t *container, const char *key, size_t index)
{
	if (v->depth == MAX_DEPTH) {
		report(v, "value is nested more than %d levels deep", MAX_DEPTH);
		return -1;
	}
	v->path[v->depth].container = container;
	v->path[v->depth].key = key;
	v->path[v->depth].index = key ? (size_t)-1 : index;
	v->depth++;
	return 0;
}

static void validate_at(struct vctx *v, const struct node *n, const json_t *container,
                        const char *key, size_t index, const json_t *value)
{
	if (n->kind == NODE_TRUE || push(v, container, key, index) < 0)
		return;
	validate(v, n, value);
	v->depth--;
}

/* Does `inst` satisfy `n`?  Nothing is reported. */
static int matches(struct vctx *v, const struct node *n, const json_t *inst)
{
	size_t errors = v->errors;
	int fast = v->fast, ok;

	v->errors = 0;
	v->fast = 1;
	validate(v, n, inst);
	ok = v->errors == 0;
	v->errors = errors;
	v->fast = fast;
	return ok;
}

static int regex_matches(const struct vctx *v, const struct lf_regex *re, const char *str,
                         size_t len)
{
	regmatch_t m[1];
	locale_t old;
	int rc;

	if (re->fast && len <= FAST_MAX_LEN)
		return fast_match(re->fast, str, len);
	/* REG_STARTEND: the length is known, and a string may hold a NUL */
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)len;
	old = uselocale(v->s->cloc);
	rc = regexec(&re->re, str, 1, m, REG_STARTEND);
	uselocale(old);
	return rc == 0;
}

static void check_string(struct vctx *v, const struct node *n, const json_t *inst)
{
	const char *str = json_string_value(inst);
	size_t len = json_string_length(inst);

	if (n->min_length > 0 || n->max_length != SIZE_MAX) {
		size_t chars = utf8_count(str, len);

		if (chars < n->min_length) {
			struct lf_buf *b = err_begin(v);

			if (b) {
				add_inst(v, b, inst);
				lf_buf_addf(b, " is shorter than %zu character%s", n->min_length,
				            n->min_length == 1 ? "" : "s");
				err_end(v);
			}
		}
		if (chars > n->max_length) {
			struct lf_buf *b = err_begin(v);

			if (b) {
				add_inst(v, b, inst);
				lf_buf_addf(b, " is longer than %zu character%s", n->max_length,
				            n->max_length == 1 ? "" : "s");
				err_end(v);
			}
		}
		if (STOP(v))
			return;
	}
	if (n->pattern && !regex_matches(v, n->pattern, str, len)) {
		struct lf_buf *b = err_begin(v);

		if (b) {
			if (n->message) {
				lf_buf_adds(b, n->message);
			} else {
				add_inst(v, b, inst);
				lf_buf_adds(b, " does not match pattern ");
				add_quoted(b, n->pattern->src, strlen(n->pattern->src));
			}
			err_end(v);
		}
	}
}

static int is_multiple(const json_t *inst, const json_t *divisor)
{
	double q, k;

	if (json_is_integer(inst) && json_is_integer(divisor))
		return json_integer_value(inst) % json_integer_value(divisor) == 0;
	q = json_number_value(inst) / json_number_value(divisor);
	if (q - q != 0)
		return 0;
	if (dabs(q) >= 4503599627370496.0)
		return 1;
	/*
	 * x and d were rounded to binary, and so is x / d: when the exact
	 * quotient is the integer k, q is within 4 units of rounding of k
	 * (0.0075 / 0.0001 gives 74.99999999999999).  Allow twice that.
	 */
	k = (double)(long long)(q < 0 ? q - 0.5 : q + 0.5);
	return dabs(q - k) <= dabs(q) * 8 * DBL_EPSILON;
}

static void check_number(struct vctx *v, const struct node *n, const json_t *inst)
{
	if (n->minimum && num_cmp(inst, n->minimum) < 0)
		report_limit(v, inst, " is less than the minimum ", n->minimum);
	if (n->maximum && num_cmp(inst, n->maximum) > 0)
		report_limit(v, inst, " is greater than the maximum ", n->maximum);
	if (n->exclusive_minimum && num_cmp(inst, n->exclusive_minimum) <= 0)
		report_limit(v, inst, " is not greater than the exclusive minimum ",
		             n->exclusive_minimum);
	if (n->exclusive_maximum && num_cmp(inst, n->exclusive_maximum) >= 0)
		report_limit(v, inst, " is not less than the exclusive maximum ",
		             n->exclusive_maximum);
	if (n->multiple_of && !is_multiple(inst, n->multiple_of))
		report_limit(v, inst, " is not a multiple of ", n->multiple_of);
}

static void check_array(struct vctx *v, const struct node *n, const json_t *inst)
{
	size_t size = json_array_size(inst);

	if (n->items) {
		for (size_t i = 0; i < size && !STOP(v); i++)
			validate_at(v, n->items, inst, NULL, i, json_array_get(inst, i));
	} else if (n->items_is_list) {
		size_t fixed = n->item_list.n < size ? n->item_list.n : size;

		for (size_t i = 0; i < fixed && !STOP(v); i++)
			validate_at(v, n->item_list.v[i], inst, NULL, i, json_array_get(inst, i));
		if (size > n->item_list.n && n->additional_items) {
			if (n->additional_items->kind == NODE_FALSE)
				report(v, "expected at most %zu item%s, got %zu", n->item_list.n,
				       n->item_list.n == 1 ? "" : "s", size);
			else
				for (size_t i = n->item_list.n; i < size && !STOP(v); i++)
					validate_at(v, n->additional_items, inst, NULL, i,
					            json_array_get(inst, i));
		}
	}
	if (STOP(v))
		return;
	if (size < n->min_items)
		report(v, "expected at least %zu item%s, got %zu", n->min_items,
		       n->min_items == 1 ? "" : "s", size);
	if (size > n->max_items)
		report(v, "expected at most %zu item%s, got %zu", n->max_items,
		       n->max_items == 1 ? "" : "s", size);
	if (n->unique_items) {
		for (size_t j = 1; j < size; j++) {
			size_t i;

			for (i = 0; i < j; i++)
				if (values_equal(json_array_get(inst, i), json_array_get(inst, j)))
					break;
			if (i < j) {
				report(v, "items must be unique (items %zu and %zu are equal)", i,
				       j);
				break;
			}
		}
	}
	if (n->contains && !STOP(v)) {
		size_t i;

		for (i = 0; i < size; i++) {
			int ok;

			if (push(v, inst, NULL, i) < 0)
				return;
			ok = matches(v, n->contains, json_array_get(inst, i));
			v->depth--;
			if (ok)
				break;
		}
		if (i == size)
			report(v, "must contain an item that matches the 'contains' schema");
	}
}

static const struct prop *find_prop(const struct node *n, const char *key, size_t len)
{
	size_t lo = 0, hi = n->nprops;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = prop_cmp_key(key, len, n->props[mid].key, n->props[mid].len);

		if (r == 0)
			return &n->props[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Validate a member; a `false` schema gets a message about the property. */
static void check_member(struct vctx *v, const struct node *n, const json_t *obj, const char *key,
                         size_t len, const json_t *value, const char *false_text)
{
	struct lf_buf *b;

	if (n->kind != NODE_FALSE) {
		validate_at(v, n, obj, key, 0, value);
		return;
	}
	if (push(v, obj, key, 0) < 0)
		return;
	b = err_begin(v);
	if (b) {
		if (false_text[0] == 'u') {
			lf_buf_adds(b, "unknown property ");
			add_quoted(b, key, len);
		} else {
			lf_buf_adds(b, "property ");
			add_quoted(b, key, len);
			lf_buf_adds(b, " is not allowed");
		}
		err_end(v);
	}
	v->depth--;
}

static void check_name(struct vctx *v, const struct node *n, const json_t *obj, const char *key,
                       size_t len)
{
	const char *name = v->name;
	size_t name_len = v->name_len;
	json_t *str;

	if (n->kind == NODE_TRUE || push(v, obj, key, 0) < 0)
		return;
	str = json_stringn_nocheck(key, len);
	v->name = key;
	v->name_len = len;
	validate(v, n, str);
	v->name = name;
	v->name_len = name_len;
	json_decref(str);
	v->depth--;
}

static void check_object(struct vctx *v, const struct node *n, const json_t *inst)
{
	json_t *obj = (json_t *)inst; /* iteration does not change it */
	size_t size = json_object_size(inst);

	if (n->nprops || n->npattern_props || n->additional_props || n->property_names) {
		for (void *it = json_object_iter(obj); it && !STOP(v);
		     it = json_object_iter_next(obj, it)) {
			const char *key = json_object_iter_key(it);
			size_t len = json_object_iter_key_len(it);
			const json_t *value = json_object_iter_value(it);
			const struct prop *p = find_prop(n, key, len);
			int matched = p != NULL;

			if (p)
				check_member(v, p->node, inst, key, len, value, "not allowed");
			for (size_t i = 0; i < n->npattern_props && !STOP(v); i++) {
				if (regex_matches(v, &n->pattern_props[i].re, key, len)) {
					matched = 1;
					check_member(v, n->pattern_props[i].node, inst, key, len,
					             value, "not allowed");
				}
			}
			if (!matched && n->additional_props && !STOP(v))
				check_member(v, n->additional_props, inst, key, len, value,
				             "unknown");
			if (n->property_names && !STOP(v))
				check_name(v, n->property_names, inst, key, len);
		}
	}
	for (size_t i = 0; n->required && i < json_array_size(n->required) && !STOP(v); i++) {
		const json_t *r = json_array_get(n->required, i);

		if (!json_object_getn(inst, json_string_value(r), json_string_length(r)))
			report_name(v, "missing required property ", json_string_value(r),
			            json_string_length(r));
	}
	if (STOP(v))
		return;
	if (size < n->min_props)
		report(v, "expected at least %zu propert%s, got %zu", n->min_props,
		       n->min_props == 1 ? "y" : "ies", size);
	if (size > n->max_props)
		report(v, "expected at most %zu propert%s, got %zu", n->max_props,
		       n->max_props == 1 ? "y" : "ies", size);
	for (size_t i = 0; i < n->ndeps && !STOP(v); i++) {
		const struct dependency *d = &n->deps[i];

		if (!json_object_getn(inst, d->key, d->len))
			continue;
		if (d->node) {
			validate(v, d->node, inst);
			continue;
		}
		for (size_t k = 0; k < json_array_size(d->required); k++) {
			const json_t *r = json_array_get(d->required, k);
			struct lf_buf *b;

			if (json_object_getn(inst, json_string_value(r), json_string_length(r)))
				continue;
			if ((b = err_begin(v))) {
				lf_buf_adds(b, "property ");
				add_quoted(b, d->key, d->len);
				lf_buf_adds(b, " requires property ");
				add_quoted(b, json_string_value(r), json_string_length(r));
				err_end(v);
			}
		}
	}
}

static const struct node *deref(const struct node *n)
{
	/* check_cycles() guarantees that chains of $refs end */
	while (n->kind == NODE_REF)
		n = n->ref;
	return n;
}

/* The schema of a property that pins its value: one with const or enum. */
static const struct node *discriminator(const struct prop *p)
{
	const struct node *n = deref(p->node);

	if (n->kind == NODE_SCHEMA && (n->const_value || n->enum_values))
		return n;
	return NULL;
}

/*
 * Is alternative `b` the one the instance means?  It is when `b` pins some
 * properties with const or enum and the instance has all of them with
 * values that fit.
 */
static int branch_selected(const struct node *b, const json_t *inst)
{
	int seen = 0;

	b = deref(b);
	if (b->kind != NODE_SCHEMA)
		return 0;
	for (size_t i = 0; i < b->nprops; i++) {
		const struct node *d = discriminator(&b->props[i]);
		const json_t *value;

		if (!d)
			continue;
		value = json_object_getn(inst, b->props[i].key, b->props[i].len);
		if (!value || (d->const_value && !values_equal(value, d->const_value)) ||
		    (d->enum_values && !in_enum(d->enum_values, value)))
			return 0;
		seen = 1;
	}
	return seen;
}

/*
 * When every alternative pins the same property, and the instance's value of
 * it fits none, the useful message is about that property.  Returns 1 when
 * it reported so.
 */
static int report_discriminator(struct vctx *v, const struct node_list *alts, const json_t *inst)
{
	const struct node *first = deref(alts->v[0]);
	const struct prop *key = NULL;
	const json_t *value;
	struct lf_buf *b;
	size_t shown = 0;

	if (first->kind != NODE_SCHEMA)
		return 0;
	for (size_t i = 0; i < first->nprops && !key; i++)
		if (discriminator(&first->props[i]))
			key = &first->props[i];
	if (!key || !(value = json_object_getn(inst, key->key, key->len)))
		return 0;
	for (size_t i = 0; i < alts->n; i++) {
		const struct node *alt = deref(alts->v[i]);
		const struct prop *p =
		    alt->kind == NODE_SCHEMA ? find_prop(alt, key->key, key->len) : NULL;
		const struct node *d = p ? discriminator(p) : NULL;

		if (!d || (d->const_value && values_equal(value, d->const_value)) ||
		    (d->enum_values && in_enum(d->enum_values, value)))
			return 0;
	}
	if (push(v, inst, key->key, 0) < 0)
		return 1;
	if ((b = err_begin(v))) {
		add_value(b, value);
		lf_buf_adds(b, " is not one of ");
		for (size_t i = 0; i < alts->n; i++) {
			const struct node *d =
			    discriminator(find_prop(deref(alts->v[i]), key->key, key->len));
			const json_t *vals = d->enum_values;
			size_t count = d->const_value ? 1 : json_array_size(vals);

			for (size_t k = 0; k < count; k++) {
				if (shown++ == MAX_ENUM_SHOWN) {
					lf_buf_adds(b, ", ...");
					i = alts->n - 1;
					break;
				}
				if (shown > 1)
					lf_buf_adds(b, ", ");
				add_value(b, d->const_value ? d->const_value
				                            : json_array_get(vals, k));
			}
		}
		err_end(v);
	}
	v->depth--;
	return 1;
}

/* No alternative of anyOf, or none of oneOf, matched: say something useful. */
static void alternatives_failed(struct vctx *v, const struct node_list *alts, const json_t *inst,
                                const char *msg)
{
	size_t chosen = 0, selected = 0, before = v->errors;

	if (v->fast) {
		v->errors++;
		return;
	}
	if (json_is_object(inst)) {
		for (size_t i = 0; i < alts->n; i++) {
			if (branch_selected(alts->v[i], inst)) {
				chosen = i;
				selected++;
			}
		}
		if (selected == 1) {
			validate(v, alts->v[chosen], inst);
			if (v->errors > before)
				return;
		}
		if (selected == 0 && report_discriminator(v, alts, inst))
			return;
	}
	report(v, "%s", msg);
}

static void check_combinators(struct vctx *v, const struct node *n, const json_t *inst)
{
	for (size_t i = 0; i < n->all_of.n && !STOP(v); i++)
		validate(v, n->all_of.v[i], inst);
	if (n->any_of.n && !STOP(v)) {
		size_t i;

		for (i = 0; i < n->any_of.n; i++)
			if (matches(v, n->any_of.v[i], inst))
				break;
		if (i == n->any_of.n)
			alternatives_failed(v, &n->any_of, inst,
			                    "must match at least one of the alternatives");
	}
	if (n->one_of.n && !STOP(v)) {
		size_t matched = 0;

		for (size_t i = 0; i < n->one_of.n; i++) {
			if (matches(v, n->one_of.v[i], inst))
				matched++;
			if (matched > 1 && v->fast)
				break;
		}
		if (matched == 0)
			alternatives_failed(
			    v, &n->one_of, inst,
			    "must match exactly one of the alternatives, matched 0");
		else if (matched > 1)
			report(v, "must match exactly one of the alternatives, matched %zu",
			       matched);
	}
	if (n->not_ && !STOP(v) && matches(v, n->not_, inst))
		report(v, "must not match the schema in 'not'");
	if (n->if_ && !STOP(v)) {
		if (matches(v, n->if_, inst)) {
			if (n->then_)
				validate(v, n->then_, inst);
		} else if (n->else_) {
			validate(v, n->else_, inst);
		}
	}
}

static void validate_node(struct vctx *v, const struct node *n, const json_t *inst);

static void validate(struct vctx *v, const struct node *n, const json_t *inst)
{
	int hide = v->hide;

	if (n->sensitive)
		v->hide = 1;
	validate_node(v, n, inst);
	v->hide = hide;
}

static void validate_node(struct vctx *v, const struct node *n, const json_t *inst)
{
	struct lf_buf *b;

	switch (n->kind) {
	case NODE_TRUE:
		return;
	case NODE_FALSE:
		if ((b = err_begin(v))) {
			if (v->name) {
				add_quoted(b, v->name, v->name_len);
				lf_buf_adds(b, " is not allowed");
			} else {
				lf_buf_adds(b, "no value is allowed here");
			}
			err_end(v);
		}
		return;
	case NODE_REF:
		validate(v, n->ref, inst);
		return;
	case NODE_SCHEMA:
		break;
	}
	if (n->types && !(n->types & type_bit(inst))) {
		if ((b = err_begin(v))) {
			lf_buf_adds(b, "expected ");
			add_types(b, n->type);
			lf_buf_addf(b, ", got %s", type_name(inst));
			err_end(v);
		}
		/* the other keywords would only repeat the point */
		return;
	}
	if (n->const_value && !values_equal(inst, n->const_value)) {
		if ((b = err_begin(v))) {
			lf_buf_adds(b, "must be ");
			add_value(b, n->const_value);
			err_end(v);
		}
		if (STOP(v))
			return;
	}
	if (n->enum_values && !in_enum(n->enum_values, inst)) {
		if ((b = err_begin(v))) {
			add_inst(v, b, inst);
			if (json_array_size(n->enum_values) == 0) {
				lf_buf_adds(b, " is not allowed: 'enum' is empty");
			} else {
				lf_buf_adds(b, " is not one of ");
				add_enum(b, n->enum_values);
			}
			err_end(v);
		}
		if (STOP(v))
			return;
	}
	switch (json_typeof(inst)) {
	case JSON_STRING:
		check_string(v, n, inst);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		check_number(v, n, inst);
		break;
	case JSON_ARRAY:
		check_array(v, n, inst);
		break;
	case JSON_OBJECT:
		check_object(v, n, inst);
		break;
	default:
		break;
	}
	if (!STOP(v))
		check_combinators(v, n, inst);
}

size_t lf_schema_validate(const struct lf_schema *s, const json_t *instance, lf_schema_error_fn fn,
                          void *ctx)
{
	struct vctx v;
	size_t errors;

	/* no memset: the path array is large and written before it is read */
	v.s = s;
	v.fn = fn;
	v.ctx = ctx;
	v.errors = 0;
	v.fast = 0;
	v.hide = 0;
	v.name = NULL;
	v.name_len = 0;
	v.msg = (struct lf_buf)LF_BUF_INIT;
	v.depth = 0;
	validate(&v, s->root, instance);
	errors = v.errors;
	lf_buf_release(&v.msg);
	return errors;
}
