/*
 * state.c - records, the in-memory index, the snapshot (reading it lazily or
 * whole, writing it), push and pull.  The journal is in journal.c, the lock
 * in lock.c; docs/state.md describes the files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "state_internal.h"
#include "../util/crc32c.h"
#include "../util/fs.h"
#include "../util/jsondigest.h"
#include "../util/jspan.h"
#include "../util/jsonout.h"
#include "../util/mem.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

/* ---- records ---------------------------------------------------------- */

void lf_state_res_release(struct lf_state_res *r)
{
	free(r->address);
	free(r->type);
	free(r->provider);
	free(r->parent);
	if (r->line_owned)
		free((char *)r->line);
	json_decref(r->deps);
	json_decref(r->inputs);
	json_decref(r->attrs);
	json_decref(r->sensitive);
	memset(r, 0, sizeof(*r));
}

static char *dup_or_null(const char *s)
{
	return s ? lf_xstrdup(s) : NULL;
}

static json_t *copy_or_null(const json_t *v)
{
	/* json_deep_copy takes a const value but jansson < 2.13 did not */
	return v ? json_deep_copy((json_t *)v) : NULL;
}

static json_t *ref_or_null(const json_t *v)
{
	return v ? json_incref((json_t *)v) : NULL;
}

/* `src` into `dst`: its strings copied; its values deep-copied, or when
 * `share`, referenced (for a record that only formats them: sealing copies
 * a value before it changes it) */
static void res_dup(struct lf_state_res *dst, const struct lf_state_res *src, int share)
{
	json_t *(*val)(const json_t *) = share ? ref_or_null : copy_or_null;

	memset(dst, 0, sizeof(*dst));
	dst->address = dup_or_null(src->address);
	dst->type = dup_or_null(src->type);
	dst->provider = dup_or_null(src->provider);
	dst->parent = dup_or_null(src->parent);
	memcpy(dst->digest, src->digest, sizeof(dst->digest));
	dst->digest[64] = '\0';
	dst->deps = val(src->deps);
	dst->inputs = val(src->inputs);
	dst->attrs = val(src->attrs);
	dst->sensitive = val(src->sensitive);
	if (src->line) {
		dst->line = lf_xstrndup(src->line, src->line_len);
		dst->line_len = src->line_len;
		dst->line_owned = 1;
	}
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int is_hex_digest(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int lf_state__lineage_valid(const char *s)
{
	/* a UUID: 8-4-4-4-12 hex digits */
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = s[i];
		if (dash ? c != '-'
		         : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		             (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

static int string_array(const json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return 0;
	json_array_foreach (v, i, e)
		if (!json_is_string(e))
			return 0;
	return 1;
}

int lf_state__res_from_json(struct lf_state_res *r, const json_t *obj, struct lf_diags *d,
                            const struct lf_pos *pos, const char *what)
{
	const char *key;
	json_t *v;
	size_t errors = d->errors;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(obj)) {
		lf_diag_error(d, pos, "%s: a resource must be an object", what);
		return -1;
	}
	/* jansson's iteration needs a non-const object; nothing is changed */
	json_object_foreach ((json_t *)obj, key, v) {
		if (!strcmp(key, "address") || !strcmp(key, "type")) {
			if (!json_is_string(v) || !json_string_length(v)) {
				lf_diag_error(d, pos, "%s: '%s' must be a non-empty string", what,
				              key);
				continue;
			}
			if (key[0] == 'a')
				r->address = lf_xstrdup(json_string_value(v));
			else
				r->type = lf_xstrdup(json_string_value(v));
		} else if (!strcmp(key, "digest")) {
			const char *s = json_string_value(v);
			size_t n = json_string_length(v);
			if (!s || (n && !is_hex_digest(s, n))) {
				lf_diag_error(d, pos,
				              "%s: 'digest' must be 64 lowercase hex "
				              "digits or empty",
				              what);
				continue;
			}
			memcpy(r->digest, s, n + 1);
		} else if (!strcmp(key, "provider") || !strcmp(key, "parent")) {
			if (json_is_null(v))
				continue;
			if (!json_is_string(v)) {
				lf_diag_error(d, pos, "%s: '%s' must be a string", what, key);
				continue;
			}
			if (key[1] == 'r')
				r->provider = lf_xstrdup(json_string_value(v));
			else
				r->parent = lf_xstrdup(json_string_value(v));
		} else if (!strcmp(key, "deps") || !strcmp(key, "sensitive")) {
			if (json_is_null(v))
				continue;
			if (!string_array(v)) {
				lf_diag_error(d, pos, "%s: '%s' must be an array of strings", what,
				              key);
				continue;
			}
			if (key[0] == 'd')
				r->deps = json_incref(v);
			else
				r->sensitive = json_incref(v);
		} else if (!strcmp(key, "inputs")) {
			if (!json_is_null(v))
				r->inputs = json_incref(v);
		} else if (!strcmp(key, "attrs")) {
			if (!json_is_null(v))
				r->attrs = json_incref(v);
		} else if (!strcmp(key, "sum") && json_is_string(v)) {
			/* the line's checksum: checked on the text, where there
			 * is one (a snapshot's line), never part of the record */
		} else {
			lf_diag_error(d, pos, "%s: unknown key '%s'", what, key);
		}
	}
	if (!r->address && !json_object_get(obj, "address"))
		lf_diag_error(d, pos, "%s: 'address' is missing", what);
	if (!r->type && !json_object_get(obj, "type"))
		lf_diag_error(d, pos, "%s: 'type' is missing", what);
	if (d->errors > errors) {
		lf_state_res_release(r);
		return -1;
	}
	return 0;
}

/* A JSON string, escaped exactly as jansson escapes it (no ASCII forcing). */
static void add_json_string(struct lf_buf *out, const char *s)
{
	lf_buf_addc(out, '"');
	for (const char *run = s;; s++) {
		unsigned char c = (unsigned char)*s;
		char seq[8];

		if (c && c != '"' && c != '\\' && c >= 0x20)
			continue;
		lf_buf_add(out, run, (size_t)(s - run));
		if (!c)
			break;
		lf_buf_adds(out, lf_json_escape(c, seq));
		run = s + 1;
	}
	lf_buf_addc(out, '"');
}

/*
 * Every resource line written ends in ,"sum":"1a2b3c4d"} : the CRC-32C, in
 * eight hex digits, of the line's bytes before that comma.  "sum" sorts after every key
 * of a record, so the line keeps its keys sorted.
 */
#define SUM_TAIL 18 /* strlen(",\"sum\":\"") + 8 + strlen("\"}") */

/* 1: the line ends in a checksum that matches; 0: it has none; -1: it has
 * one that does not match (the line changed after it was written). */
static int line_sum_check(const char *line, size_t len)
{
	uint32_t want = 0;

	if (len < SUM_TAIL + 2 || memcmp(line + len - SUM_TAIL, ",\"sum\":\"", 8) ||
	    memcmp(line + len - 2, "\"}", 2))
		return 0;
	for (size_t i = len - 10; i < len - 2; i++) {
		char c = line[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		want = want << 4 | (uint32_t)d;
	}
	return lf_crc32c(0, line, len - SUM_TAIL) == want ? 1 : -1;
}

/* The record's text from `start` ends in '}': its checksum goes before it. */
static void add_sum(struct lf_buf *out, size_t start)
{
	uint32_t crc;

	lf_buf_truncate(out, out->len - 1);
	crc = lf_crc32c(0, out->ptr + start, out->len - start);
	lf_buf_addf(out, ",\"sum\":\"%08x\"}", crc);
}

/* Line number of a lazy record's text in the snapshot it was read from,
 * or 0 when it is not there. */
static unsigned line_of(const struct lf_state *st, const struct lf_state_res *r)
{
	unsigned n = 1;

	if (!st || !st->text || r->line < st->text || r->line >= st->text + st->text_len)
		return 0;
	for (const char *p = st->text; (p = memchr(p, '\n', (size_t)(r->line - p))) != NULL; p++)
		n++;
	return n;
}

static int damaged(const struct lf_state *st, const struct lf_state_res *r, const char *why)
{
	unsigned line = line_of(st, r);

	if (line && st->path)
		lf_backend__set_error("%s:%u: the record of '%s' is damaged: %s", st->path, line,
		                      r->address, why);
	else
		lf_backend__set_error("the record of '%s' is damaged: %s", r->address, why);
	return LF_STATE_EDAMAGED;
}

static void format_parsed(struct lf_buf *out, const struct lf_state_res *r);

int lf_state__res_format(struct lf_buf *out, const struct lf_state_res *r,
                         const struct lf_state_key *k, const struct lf_state *st)
{
	struct lf_state_res sealed;
	int err = 0;

	if (r->line) {
		int sum = line_sum_check(r->line, r->line_len);
		if (sum > 0) {
			/* a line with a checksum was written sealed */
			lf_buf_add(out, r->line, r->line_len);
			return 0;
		}
		if (sum < 0)
			return damaged(st, r, "its checksum does not match its text");
		/* a version 1 line: parsed, so that it is checked and sealed */
		res_dup(&sealed, r, 1);
		if (lf_state_res_parse(&sealed) != 0) {
			lf_state_res_release(&sealed);
			return damaged(st, r, "it is not a valid record");
		}
	} else {
		res_dup(&sealed, r, 1);
	}
	if (lf_state__seal_res(k, &sealed) < 0)
		err = -EIO;
	else
		format_parsed(out, &sealed);
	lf_state_res_release(&sealed);
	return err;
}

static void format_parsed(struct lf_buf *out, const struct lf_state_res *r)
{
	json_t *rest;
	size_t start = out->len;

	/* address, type and digest lead so that a lazy reader finds them with
	 * a scanner; the rest follows with its keys sorted */
	lf_buf_adds(out, "{\"address\":");
	add_json_string(out, r->address);
	lf_buf_adds(out, ",\"type\":");
	add_json_string(out, r->type);
	lf_buf_addf(out, ",\"digest\":\"%s\"", r->digest);
	rest = json_object();
	if (r->attrs)
		json_object_set(rest, "attrs", r->attrs);
	if (r->deps)
		json_object_set(rest, "deps", r->deps);
	if (r->inputs)
		json_object_set(rest, "inputs", r->inputs);
	if (r->parent)
		json_object_set_new(rest, "parent", json_string(r->parent));
	if (r->provider)
		json_object_set_new(rest, "provider", json_string(r->provider));
	if (r->sensitive)
		json_object_set(rest, "sensitive", r->sensitive);
	/* "{...}" in place, its '{' turned into the ',' after the digest */
	size_t at = out->len;
	if (lf_buf_add_json(out, rest, DUMP_FLAGS) == 0 && out->len - at > 2) {
		out->ptr[at] = ',';
	} else {
		lf_buf_truncate(out, at);
		lf_buf_addc(out, '}');
	}
	json_decref(rest);
	add_sum(out, start);
}

json_t *lf_state__res_to_json(const struct lf_state_res *r)
{
	json_t *o;

	if (r->line) {
		o = json_loadb(r->line, r->line_len, JSON_REJECT_DUPLICATES, NULL);
		json_object_del(o, "sum");
		return o;
	}
	o = json_object();
	json_object_set_new(o, "address", json_string(r->address));
	json_object_set_new(o, "type", json_string(r->type));
	json_object_set_new(o, "digest", json_string(r->digest));
	if (r->provider)
		json_object_set_new(o, "provider", json_string(r->provider));
	if (r->parent)
		json_object_set_new(o, "parent", json_string(r->parent));
	if (r->deps)
		json_object_set(o, "deps", r->deps);
	if (r->inputs)
		json_object_set(o, "inputs", r->inputs);
	if (r->attrs)
		json_object_set(o, "attrs", r->attrs);
	if (r->sensitive)
		json_object_set(o, "sensitive", r->sensitive);
	return o;
}

/*
 * The lazy reader's scanner: a line written by lf_state__res_format() starts
 * {"address":"A","type":"T","digest":"D" and then ',' or '}'.  Strings with
 * escapes, or any other shape (a hand-edited line), make it give up, and the
 * caller parses the line instead.
 */
static int scan_string(const char **p, const char *end, const char **s, size_t *n)
{
	const char *q = memchr(*p, '"', (size_t)(end - *p));

	if (!q)
		return -1;
	for (const char *c = *p; c < q; c++)
		if (*c == '\\' || (unsigned char)*c < 0x20)
			return -1;
	*s = *p;
	*n = (size_t)(q - *p);
	*p = q + 1;
	return 0;
}

static int expect(const char **p, const char *end, const char *lit, size_t n)
{
	if ((size_t)(end - *p) < n || memcmp(*p, lit, n))
		return -1;
	*p += n;
	return 0;
}

#define EXPECT(p, end, lit) expect(p, end, lit, sizeof(lit) - 1)

static int scan_line(struct lf_state_res *r, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *a, *t, *dg;
	size_t na, nt, nd;

	if (EXPECT(&p, end, "{\"address\":\"") || scan_string(&p, end, &a, &na) || !na ||
	    EXPECT(&p, end, ",\"type\":\"") || scan_string(&p, end, &t, &nt) || !nt ||
	    EXPECT(&p, end, ",\"digest\":\"") || scan_string(&p, end, &dg, &nd) ||
	    (nd && !is_hex_digest(dg, nd)) || p >= end || (*p != ',' && *p != '}') ||
	    end[-1] != '}')
		return -1;
	memset(r, 0, sizeof(*r));
	r->address = lf_xstrndup(a, na);
	r->type = lf_xstrndup(t, nt);
	memcpy(r->digest, dg, nd);
	r->digest[nd] = '\0';
	r->line = line; /* borrowed from the state's text */
	r->line_len = len;
	return 0;
}

/* Record `text` (a line of `r`, checked) into *out, when it is the
 * record `r` indexes: 0, or LF_STATE_ECORRUPT. */
static int res_of_text(const struct lf_state_res *r, const char *text, size_t len,
                       struct lf_state_res *out)
{
	struct lf_diags d = LF_DIAGS_INIT;
	json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	int err = 0;

	if (!obj || lf_state__res_from_json(out, obj, &d, NULL, "resource") < 0) {
		err = LF_STATE_ECORRUPT;
	} else if (strcmp(out->address, r->address) || strcmp(out->type, r->type) ||
	           strcmp(out->digest, r->digest)) {
		err = LF_STATE_ECORRUPT;
		lf_state_res_release(out);
	}
	json_decref(obj);
	lf_diags_release(&d);
	return err;
}

int lf_state_res_parse(struct lf_state_res *r)
{
	struct lf_state_res full;

	if (!r->line)
		return 0;
	if (line_sum_check(r->line, r->line_len) < 0 ||
	    res_of_text(r, r->line, r->line_len, &full) != 0)
		return LF_STATE_ECORRUPT;
	lf_state_res_release(r);
	*r = full;
	return 0;
}

struct lf_state_res *lf_state_res_parse_copy(const struct lf_state_res *r)
{
	struct lf_state_res *c;

	if (!r->line)
		return NULL;
	c = lf_xcalloc(1, sizeof(*c));
	c->address = lf_xstrdup(r->address);
	c->type = lf_xstrdup(r->type);
	memcpy(c->digest, r->digest, sizeof(c->digest));
	c->line = r->line; /* read, not owned */
	c->line_len = r->line_len;
	if (lf_state_res_parse(c) != 0) {
		lf_state_res_release(c);
		free(c);
		return NULL;
	}
	return c;
}

struct lf_state_res *lf_state_res_parse_copy_inputs(const struct lf_state_res *r)
{
	struct lf_state_raw raw;
	struct lf_state_res full;

	/* the line checked and its members found, attrs' value as null */
	if (!r->line)
		return NULL;
	/* a line without a checksum, or without attributes: parsed whole */
	if (lf_state_res_raw(r, &raw) != 0 || !raw.attrs)
		return lf_state_res_parse_copy(r);
	size_t pre = (size_t)(raw.attrs - r->line);
	size_t post = r->line_len - pre - raw.attrs_len;
	char *text = lf_xmalloc(pre + 4 + post + 1);
	memcpy(text, r->line, pre);
	memcpy(text + pre, "null", 4);
	memcpy(text + pre + 4, raw.attrs + raw.attrs_len, post);
	int err = res_of_text(r, text, pre + 4 + post, &full);
	free(text);
	if (err)
		return NULL;
	struct lf_state_res *c = lf_xcalloc(1, sizeof(*c));
	*c = full;
	return c;
}

/* The end of the JSON string whose text starts at `p` (after its opening
 * quote): its closing quote, or NULL past `end`. */
static const char *string_end(const char *p, const char *end)
{
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		const char *b = q;

		if (!q)
			return NULL;
		while (b > p && b[-1] == '\\')
			b--;
		if ((q - b) % 2 == 0) /* an even run of backslashes: not escaped */
			return q;
		p = q + 1;
	}
}

int lf_state_res_provider(const struct lf_state_res *r, char *buf, size_t size)
{
	const char *p, *end;
	int depth = 0, key = 0;

	if (!r->line) {
		if (!r->provider)
			return 0;
		if (strlen(r->provider) >= size)
			return -1;
		memcpy(buf, r->provider, strlen(r->provider) + 1);
		return 1;
	}
	/* a walk of the line that knows strings and nesting, and stops at the
	 * member "provider" of the outer object */
	p = r->line;
	end = r->line + r->line_len;
	for (; p < end; p++) {
		switch (*p) {
		case '"': {
			const char *s = p + 1, *q = string_end(s, end);
			if (!q)
				return -1;
			p = q;
			if (depth != 1 || !key)
				break;
			key = 0;
			if (q - s != 8 || memcmp(s, "provider", 8))
				break;
			for (p++; p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n');
			     p++)
				;
			if (p >= end || *p != ':')
				return -1;
			for (p++; p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n');
			     p++)
				;
			if ((size_t)(end - p) >= 4 && !memcmp(p, "null", 4))
				return 0;
			if (p >= end || *p != '"')
				return -1;
			s = p + 1;
			q = string_end(s, end);
			if (!q || (size_t)(q - s) >= size || memchr(s, '\\', (size_t)(q - s)))
				return -1;
			memcpy(buf, s, (size_t)(q - s));
			buf[q - s] = '\0';
			return 1;
		}
		case '{':
			depth++;
			key = depth == 1;
			break;
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth < 1)
				return depth == 0 && *p == '}' ? 0 : -1;
			break;
		case ',':
			key = depth == 1;
			break;
		default:
			break;
		}
	}
	return -1;
}

int lf_state_res_raw(const struct lf_state_res *r, struct lf_state_raw *out)
{
	static const char *const known[] = {"address", "type",   "digest", "provider",  "parent",
	                                    "deps",    "inputs", "attrs",  "sensitive", "sum"};
	const size_t nknown = sizeof(known) / sizeof(known[0]);
	unsigned seen = 0;
	struct lf_jspan_iter it;
	const char *k, *v;
	size_t kl, vl;
	int esc, rc;

	memset(out, 0, sizeof(*out));
	if (!r->line || line_sum_check(r->line, r->line_len) <= 0 ||
	    lf_jspan_object(&it, r->line, r->line_len))
		return -1;
	while ((rc = lf_jspan_next(&it, &k, &kl, &esc, &v, &vl)) == 1) {
		size_t i = 0;

		while (i < nknown && (strlen(known[i]) != kl || memcmp(known[i], k, kl)))
			i++;
		if (esc || i == nknown || seen & 1u << i)
			return -1;
		seen |= 1u << i;
		if (vl == 4 && !memcmp(v, "null", 4))
			continue;
		if (!strcmp(known[i], "inputs")) {
			out->inputs = v;
			out->inputs_len = vl;
		} else if (!strcmp(known[i], "attrs")) {
			out->attrs = v;
			out->attrs_len = vl;
		}
	}
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

/* ---- the index ---------------------------------------------------------- */

static int cmp_res(const void *a, const void *b)
{
	return strcmp(((const struct lf_state_res *)a)->address,
	              ((const struct lf_state_res *)b)->address);
}

static int cmp_res_ptr(const void *a, const void *b)
{
	return cmp_res(*(struct lf_state_res *const *)a, *(struct lf_state_res *const *)b);
}

/* The slot of `address` in res[] or the tail, holes included, or NULL. */
static struct lf_state_res *slot(const struct lf_state *st, const char *address)
{
	size_t lo = 0, hi = st->nres;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(address, st->res[mid].address);
		if (!c)
			return &st->res[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (st->tail)
		return lf_map_get(&((struct lf_state_tail *)st->tail)->index, address);
	return NULL;
}

struct lf_state_res *lf_state_get(const struct lf_state *st, const char *address)
{
	struct lf_state_res *r = slot(st, address);

	return r && !r->removed ? r : NULL;
}

void lf_state__put_owned(struct lf_state *st, struct lf_state_res *r)
{
	/* the records no longer are exactly what the fingerprint describes */
	free(st->fingerprint);
	st->fingerprint = NULL;
	struct lf_state_res *s = slot(st, r->address);
	struct lf_state_tail *t;

	if (s) {
		if (s->removed)
			st->nholes--;
		lf_state_res_release(s);
		*s = *r;
		memset(r, 0, sizeof(*r));
		return;
	}
	if (!st->tail)
		st->tail = lf_xcalloc(1, sizeof(struct lf_state_tail));
	t = st->tail;
	s = lf_xmalloc(sizeof(*s));
	*s = *r;
	memset(r, 0, sizeof(*r));
	LF_GROW(t->v, t->n + 1, t->alloc);
	t->v[t->n++] = s;
	lf_map_put(&t->index, s->address, s);
}

void lf_state__put_copy(struct lf_state *st, const struct lf_state_res *r)
{
	struct lf_state_res copy;

	res_dup(&copy, r, 0);
	lf_state__put_owned(st, &copy);
}

void lf_state_put(struct lf_state *st, const struct lf_state_res *r)
{
	lf_state__put_copy(st, r);
	st->dirty = 1;
}

int lf_state_remove(struct lf_state *st, const char *address)
{
	int err = lf_state__remove(st, address);

	if (!err)
		st->dirty = 1;
	return err;
}

int lf_state__remove(struct lf_state *st, const char *address)
{
	free(st->fingerprint);
	st->fingerprint = NULL;
	struct lf_state_res *s = slot(st, address);
	char *a;

	if (!s || s->removed)
		return -ENOENT;
	/* the address stays: binary search and the tail's index need it */
	a = s->address;
	s->address = NULL;
	lf_state_res_release(s);
	s->address = a;
	s->removed = 1;
	st->nholes++;
	return 0;
}

static void tail_free(struct lf_state_tail *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		lf_state_res_release(t->v[i]);
		free(t->v[i]);
	}
	free(t->v);
	lf_map_release(&t->index);
	free(t);
}

void lf_state_normalize(struct lf_state *st)
{
	struct lf_state_tail *t = st->tail;
	struct lf_state_res **add = NULL, *merged;
	size_t nadd = 0, n = 0, i = 0, j = 0;

	if ((!t || !t->n) && !st->nholes) {
		tail_free(t);
		st->tail = NULL;
		return;
	}
	if (t) {
		add = lf_xmalloc((t->n + 1) * sizeof(*add));
		for (size_t k = 0; k < t->n; k++) {
			if (t->v[k]->removed) {
				lf_state_res_release(t->v[k]);
				free(t->v[k]);
			} else {
				add[nadd++] = t->v[k];
			}
		}
		qsort(add, nadd, sizeof(*add), cmp_res_ptr);
	}
	merged = lf_xmalloc((st->nres + nadd + 1) * sizeof(*merged));
	while (i < st->nres || j < nadd) {
		if (i < st->nres && st->res[i].removed) {
			lf_state_res_release(&st->res[i++]);
			continue;
		}
		if (j < nadd && (i == st->nres || cmp_res(add[j], &st->res[i]) < 0)) {
			merged[n++] = *add[j];
			free(add[j++]);
		} else {
			merged[n++] = st->res[i++];
		}
	}
	free(add);
	free(st->res);
	st->res = merged;
	st->nres = n;
	st->res_alloc = st->nres + nadd + 1;
	st->nholes = 0;
	if (t) {
		free(t->v);
		lf_map_release(&t->index);
		free(t);
	}
	st->tail = NULL;
}

/* ---- pending intents ---------------------------------------------------- */

void lf_state__pending_add(struct lf_state *st, const char *address, const char *action,
                           json_t *intent)
{
	struct lf_state_pending *p;

	LF_GROW(st->pending, st->npending + 1, st->pending_alloc);
	p = &st->pending[st->npending++];
	p->address = lf_xstrdup(address);
	p->action = lf_xstrdup(action);
	p->intent = intent;
}

int lf_state__pending_resolve(struct lf_state *st, const char *address, const char *action)
{
	size_t k = st->npending;

	for (size_t i = 0; i < st->npending && k == st->npending; i++)
		if (!strcmp(st->pending[i].address, address) &&
		    !strcmp(st->pending[i].action, action))
			k = i;
	for (size_t i = 0; i < st->npending && k == st->npending; i++)
		if (!strcmp(st->pending[i].address, address))
			k = i;
	if (k == st->npending)
		return 0;
	free(st->pending[k].address);
	free(st->pending[k].action);
	json_decref(st->pending[k].intent);
	memmove(&st->pending[k], &st->pending[k + 1],
	        (st->npending - k - 1) * sizeof(*st->pending));
	st->npending--;
	return 1;
}

size_t lf_state_pending_drop(struct lf_state *st, const char *address)
{
	size_t n = 0;

	while (lf_state__pending_resolve(st, address, ""))
		n++;
	if (n)
		st->dirty = 1;
	return n;
}

void lf_state_release(struct lf_state *st)
{
	for (size_t i = 0; i < st->nres; i++)
		lf_state_res_release(&st->res[i]);
	free(st->res);
	tail_free(st->tail);
	for (size_t i = 0; i < st->npending; i++) {
		free(st->pending[i].address);
		free(st->pending[i].action);
		json_decref(st->pending[i].intent);
	}
	free(st->pending);
	free(st->generator);
	free(st->git_commit);
	free(st->fingerprint);
	free(st->path);
	if (st->text_mapped)
		munmap((void *)st->text, st->text_len);
	else
		free((void *)st->text);
	memset(st, 0, sizeof(*st));
}

/* ---- reading the snapshot ----------------------------------------------- */

static void append_res(struct lf_state *st, struct lf_state_res *r)
{
	LF_GROW(st->res, st->nres + 1, st->res_alloc);
	st->res[st->nres++] = *r;
	memset(r, 0, sizeof(*r));
}

/* Sort res[] when it is not sorted yet; duplicates are errors. */
static int sort_check(struct lf_state *st, struct lf_diags *d, const struct lf_pos *pos, int sorted)
{
	int err = 0;

	if (!sorted && st->nres)
		qsort(st->res, st->nres, sizeof(*st->res), cmp_res);
	for (size_t i = 1; i < st->nres; i++)
		if (!strcmp(st->res[i - 1].address, st->res[i].address)) {
			lf_diag_error(d, pos, "resource '%s' is recorded twice",
			              st->res[i].address);
			err = -1;
		}
	return err;
}

static int header_from_json(struct lf_state *st, json_t *h, struct lf_diags *d,
                            const struct lf_pos *pos)
{
	size_t errors = d->errors;
	const char *key;
	json_t *v;

	if (!json_is_object(h)) {
		lf_diag_error(d, pos, "a state must be a JSON object");
		return -1;
	}
	v = json_object_get(h, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		lf_diag_error(d, pos, "'version' must be a positive integer");
		return -1;
	}
	if (json_integer_value(v) > LF_STATE_VERSION) {
		lf_diag_error(d, pos,
		              "state format version %lld is newer than this "
		              "lakeform (%s) reads (version %d): use a newer "
		              "lakeform",
		              (long long)json_integer_value(v), LF_VERSION, LF_STATE_VERSION);
		return LF_STATE_EVERSION;
	}
	json_object_foreach (h, key, v) {
		if (!strcmp(key, "version") || !strcmp(key, "resources")) {
			continue;
		} else if (!strcmp(key, "lineage")) {
			const char *s = json_string_value(v);
			if (!s || !lf_state__lineage_valid(s))
				lf_diag_error(d, pos, "'lineage' must be a UUID");
			else
				memcpy(st->lineage, s, 37);
		} else if (!strcmp(key, "serial")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				lf_diag_error(d, pos, "'serial' must be an integer of 0 or more");
			else
				st->serial = (uint64_t)json_integer_value(v);
		} else if (!strcmp(key, "key_id")) {
			const char *s = json_string_value(v);
			if (!s || strlen(s) != 16 || !is_hex(s, 16))
				lf_diag_error(d, pos, "'key_id' must be 16 lowercase hex digits");
			else
				memcpy(st->key_id, s, 17);
		} else if (!strcmp(key, "fingerprint")) {
			free(st->fingerprint);
			st->fingerprint =
			    json_is_string(v) ? lf_xstrdup(json_string_value(v)) : NULL;
		} else if (!strcmp(key, "generator") || !strcmp(key, "git_commit")) {
			if (json_is_null(v))
				continue;
			if (!json_is_string(v)) {
				lf_diag_error(d, pos, "'%s' must be a string", key);
				continue;
			}
			char **dst =
			    key[0] == 'g' && key[1] == 'e' ? &st->generator : &st->git_commit;
			free(*dst);
			*dst = lf_xstrdup(json_string_value(v));
		} else if (!strcmp(key, "pending")) {
			size_t i;
			json_t *e;
			if (!json_is_array(v)) {
				lf_diag_error(d, pos, "'pending' must be an array");
				continue;
			}
			json_array_foreach (v, i, e) {
				const char *a = json_string_value(json_object_get(e, "address"));
				const char *act = json_string_value(json_object_get(e, "action"));
				if (!a || !act) {
					lf_diag_error(d, pos,
					              "pending[%zu] must have 'address' "
					              "and 'action' strings",
					              i);
					continue;
				}
				lf_state__pending_add(st, a, act, json_deep_copy(e));
			}
		} else {
			lf_diag_error(d, pos, "unknown key '%s' in the state", key);
		}
	}
	if (!json_object_get(h, "lineage"))
		lf_diag_error(d, pos, "'lineage' is missing");
	if (!json_object_get(h, "serial"))
		lf_diag_error(d, pos, "'serial' is missing");
	return d->errors > errors ? -1 : 0;
}

/* A whole state document (state push, or a snapshot someone reformatted). */
static int doc_to_state(struct lf_state *st, json_t *doc, struct lf_diags *d,
                        const struct lf_pos *pos)
{
	json_t *res = json_object_get(doc, "resources"), *e;
	size_t errors = d->errors, i;
	int err = header_from_json(st, doc, d, pos);

	if (err == LF_STATE_EVERSION)
		return err;
	if (!json_is_array(res)) {
		if (json_is_object(doc))
			lf_diag_error(d, pos, "'resources' must be an array");
		return -1;
	}
	json_array_foreach (res, i, e) {
		struct lf_state_res r;
		const char *a = json_string_value(json_object_get(e, "address"));
		char *what = a ? lf_xasprintf("resources[%zu] '%s'", i, a)
		               : lf_xasprintf("resources[%zu]", i);
		if (lf_state__res_from_json(&r, e, d, pos, what) == 0)
			append_res(st, &r);
		free(what);
	}
	if (d->errors == errors)
		sort_check(st, d, pos, 0);
	return d->errors > errors ? -1 : 0;
}

/*
 * The snapshot's bytes: mapped read-only when it is a regular file (no copy,
 * and far fewer page faults than reading 50 MB into fresh memory), else
 * read.  Safe because the snapshot is only ever replaced by rename, never
 * rewritten in place.
 */
static int open_text(const char *path, char **out, size_t *len, int *mapped)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
		void *m =
		    mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (m != MAP_FAILED) {
			close(fd);
			*out = m;
			*len = (size_t)sb.st_size;
			*mapped = 1;
			return 0;
		}
	}
	close(fd);
	*mapped = 0;
	return lf_state__read(out, len, path);
}

static void close_text(char *text, size_t len, int mapped)
{
	if (mapped)
		munmap(text, len);
	else
		free(text);
}

static int load_snapshot(struct lf_state *st, struct lf_backend *b, int lazy, struct lf_diags *d)
{
	struct lf_pos pos = {b->state_path, 0, 1}; /* a line: its column 1 */
	char *data = NULL, *p, *end, *nl, *prev = NULL;
	size_t len, errors = d->errors, lines = 0;
	int err, sorted = 1, closed = 0, mapped, version = 0;
	json_t *h;

	err = open_text(b->state_path, &data, &len, &mapped);
	if (err == -ENOENT)
		return 0;
	if (err < 0) {
		lf_diag_file_error(d, b->state_path, "cannot read the state: %s", strerror(-err));
		return err;
	}
	st->exists = 1;
	p = data;
	end = data + len;
	nl = memchr(p, '\n', len);
	/* header line: {...,"resources":[ ; closing it makes it a document */
	if (!nl || nl - p < 14 || memcmp(nl - 14, ",\"resources\":[", 14)) {
		json_error_t je;
		json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);

		/* not our layout: a reformatted (jq .) or hand-written state */
		close_text(data, len, mapped);
		if (!doc) {
			pos.line = (unsigned)je.line;
			pos.col = je.column > 0 ? (unsigned)je.column : 1;
			lf_diag_error(d, &pos, "the state is not valid JSON: %s", je.text);
			return LF_STATE_ECORRUPT;
		}
		err = doc_to_state(st, doc, d, &pos);
		json_decref(doc);
		return err == 0 ? 0 : err == LF_STATE_EVERSION ? err : LF_STATE_ECORRUPT;
	}
	{
		struct lf_buf hb = LF_BUF_INIT;
		lf_buf_add(&hb, p, (size_t)(nl - p));
		lf_buf_adds(&hb, "]}");
		pos.line = 1;
		h = json_loadb(hb.ptr, hb.len, JSON_REJECT_DUPLICATES, NULL);
		lf_buf_release(&hb);
		if (!h) {
			lf_diag_error(d, &pos, "the state's first line is not valid JSON");
			close_text(data, len, mapped);
			return LF_STATE_ECORRUPT;
		}
		err = header_from_json(st, h, d, &pos);
		version = (int)json_integer_value(json_object_get(h, "version"));
		json_decref(h);
		if (err < 0) {
			close_text(data, len, mapped);
			return err == LF_STATE_EVERSION ? err : LF_STATE_ECORRUPT;
		}
	}
	/* one record per line: size the array once */
	for (char *q = nl + 1; q < end && (q = memchr(q, '\n', (size_t)(end - q))); q++)
		lines++;
	LF_GROW(st->res, lines, st->res_alloc);
	for (p = nl + 1; p < end; p = nl + 1) {
		struct lf_state_res r;
		size_t n;

		pos.line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		n = (size_t)(nl - p);
		if (n == 2 && !memcmp(p, "]}", 2)) {
			closed = 1;
			if (nl + 1 < end)
				lf_diag_error(d, &pos, "text after the end of the state");
			break;
		}
		if (n && p[n - 1] == ',')
			n--;
		/* every line is checked, lazily read or not: a CRC-32C costs
		 * a few milliseconds for 100,000 lines.  Version 1 lines have
		 * no checksum; they are checked when parsed or copied. */
		int sum = line_sum_check(p, n);
		if (sum < 0 || (sum == 0 && version >= 2)) {
			lf_diag_error(d, &pos,
			              sum < 0 ? "resource line is damaged: its checksum does not "
			                        "match its text (was it changed by hand? use "
			                        "'state pull' and 'state push')"
			                      : "resource line is damaged: it has no checksum");
			continue;
		}
		/* lazily: the scanner, or a parse for a line it cannot read */
		if (!lazy || scan_line(&r, p, n) != 0) {
			json_t *obj = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
			if (!obj) {
				lf_diag_error(d, &pos, "resource line is not valid JSON");
				continue;
			}
			err = lf_state__res_from_json(&r, obj, d, &pos, "resource");
			json_decref(obj);
			if (err < 0)
				continue;
		}
		if (prev && strcmp(prev, r.address) >= 0)
			sorted = 0;
		append_res(st, &r);
		prev = st->res[st->nres - 1].address;
	}
	if (!closed && d->errors == errors) {
		lf_diag_error(d, &pos, "the state ends early: no closing ']}' line");
	}
	/* lazy lines point into the text: it lives as long as the state */
	if (lazy) {
		st->text = data;
		st->text_len = len;
		st->text_mapped = mapped;
	} else {
		close_text(data, len, mapped);
	}
	if (d->errors == errors)
		sort_check(st, d, &pos, sorted);
	return d->errors > errors ? LF_STATE_ECORRUPT : 0;
}

/* The run's key is the one the state's values are encrypted with. */
static int key_check(struct lf_state *st, const struct lf_backend *b, struct lf_diags *d)
{
	st->has_key = b->has_key;
	st->key = b->key;
	if (!st->key_id[0] || !b->has_key || !strcmp(st->key_id, b->key.id))
		return 0;
	lf_diag_file_error(d, b->state_path,
	                   "the state's sensitive values are encrypted with key '%s', and the "
	                   "key given is '%s': give the state's key (to change it, use "
	                   "'state rekey')",
	                   st->key_id, b->key.id);
	return LF_STATE_EKEY;
}

int lf_state_load(struct lf_state *st, struct lf_backend *b, int lazy, struct lf_diags *d)
{
	/* the backend brings the working copy up to date first */
	int err = b->ops->pull ? b->ops->pull(b) : 0;

	if (err) {
		lf_diag_error(d, NULL, "%s", lf_state_strerror(err));
		return err;
	}
	free(st->path);
	st->path = lf_xstrdup(b->state_path);
	err = load_snapshot(st, b, lazy, d);
	if (!err)
		err = key_check(st, b, d);

	if (!err)
		err = lf_state__journal_replay(st, b, d);
	if (err) {
		lf_state_release(st);
		return err;
	}
	lf_state_normalize(st);
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

static json_t *header_json(const struct lf_state *st)
{
	json_t *h = json_object();

	json_object_set_new(h, "version", json_integer(LF_STATE_VERSION));
	json_object_set_new(h, "lineage", json_string(st->lineage));
	json_object_set_new(h, "serial", json_integer((json_int_t)st->serial));
	if (st->generator)
		json_object_set_new(h, "generator", json_string(st->generator));
	json_object_set_new(h, "git_commit",
	                    st->git_commit ? json_string(st->git_commit) : json_null());
	if (st->key_id[0])
		json_object_set_new(h, "key_id", json_string(st->key_id));
	if (st->fingerprint)
		json_object_set_new(h, "fingerprint", json_string(st->fingerprint));
	if (st->npending) {
		json_t *a = json_array();
		for (size_t i = 0; i < st->npending; i++)
			json_array_append(a, st->pending[i].intent);
		json_object_set_new(h, "pending", a);
	}
	return h;
}

/* The snapshot's text into `out`; with `flush`, handed to it whenever
 * `out` holds a megabyte or more, and at the end (then `out` is emptied). */
static int format_state(const struct lf_state *st, struct lf_buf *out,
                        int (*flush)(void *ctx, struct lf_buf *out), void *ctx)
{
	json_t *h = header_json(st);
	char *text = json_dumps(h, DUMP_FLAGS);
	const struct lf_state_key *k = st->has_key ? &st->key : NULL;
	int first = 1, err;

	/* the header object, left open for "resources", which comes last */
	lf_buf_add(out, text, strlen(text) - 1);
	lf_buf_adds(out, ",\"resources\":[\n");
	free(text);
	json_decref(h);
	for (size_t i = 0; i < st->nres; i++) {
		if (st->res[i].removed)
			continue;
		if (!first)
			lf_buf_adds(out, ",\n");
		if ((err = lf_state__res_format(out, &st->res[i], k, st)) != 0)
			return err;
		first = 0;
		if (flush && out->len >= (1u << 20) && (err = flush(ctx, out)) != 0)
			return err;
	}
	if (!first)
		lf_buf_addc(out, '\n');
	lf_buf_adds(out, "]}\n");
	return flush ? flush(ctx, out) : 0;
}

int lf_state_format(const struct lf_state *st, struct lf_buf *out)
{
	return format_state(st, out, NULL, NULL);
}

static int flush_to(void *ctx, struct lf_buf *out)
{
	int err = lf_atomic_write(ctx, out->ptr, out->len);

	lf_buf_truncate(out, 0);
	return err;
}

/* The snapshot written a megabyte at a time: the whole text of 100,000
 * records (76 MB) held at once was the peak of an apply's memory. */
static int write_snapshot(struct lf_backend *b, const struct lf_state *st)
{
	struct lf_buf text = LF_BUF_INIT;
	struct lf_atomic a;
	int err = lf_atomic_begin_nofollow(&a, AT_FDCWD, b->state_path, 0600, 1);

	if (err)
		return lf_state__refuse_link(b->state_path, err);
	err = format_state(st, &text, flush_to, &a);
	lf_buf_release(&text);
	if (err) {
		lf_atomic_abort(&a);
		return err;
	}
	return lf_state__refuse_link(b->state_path, lf_atomic_commit(&a));
}

int lf_state__key_for_write(struct lf_state *st, const struct lf_backend *b)
{
	st->has_key = b->has_key;
	st->key = b->key;
	if (b->has_key && st->key_id[0] && strcmp(st->key_id, b->key.id)) {
		lf_backend__set_error("the state's sensitive values are encrypted with key '%s', "
		                      "and the key given is '%s'",
		                      st->key_id, b->key.id);
		return LF_STATE_EKEY;
	}
	if (b->has_key) {
		memcpy(st->key_id, b->key.id, sizeof(st->key_id));
		return 0;
	}
	if (!st->key_id[0])
		return 0;
	lf_backend__set_error("the state's sensitive values are encrypted with key '%s' and this "
	                      "run has no key (LAKEFORM_STATE_KEY, or state.encryption.key_file "
	                      "in lakeform.yaml)",
	                      st->key_id);
	return LF_STATE_EKEY;
}

int lf_state_write(struct lf_backend *b, struct lf_state *st)
{
	uint64_t old_serial = st->serial;
	char *old_generator = st->generator;
	char old_lineage[37];
	int err;

	lf_state_normalize(st);
	if ((err = lf_state__key_for_write(st, b)) != 0)
		return err;
	memcpy(old_lineage, st->lineage, sizeof(old_lineage));
	if (!st->lineage[0])
		lf_state__uuid(st->lineage);
	/* journal records already counted as serial + 1; a change made
	 * beside them needs a serial of its own */
	if (!st->journal_serial || st->dirty)
		st->serial++;
	st->generator = lf_xstrdup("lakeform " LF_VERSION);
	err = lf_state__mkdir(b);
	if (!err)
		err = write_snapshot(b, st);
	if (err) {
		free(st->generator);
		st->generator = old_generator;
		st->serial = old_serial;
		memcpy(st->lineage, old_lineage, sizeof(old_lineage));
		return err;
	}
	free(old_generator);
	/* the backend's copy of the snapshot goes up before the journal is
	 * dropped there */
	if (b->ops->push && (err = b->ops->push(b)) != 0)
		return err;
	/* the snapshot holds the journal's changes now; a journal that
	 * survives a crash here names a serial not above the snapshot's */
	lf_unlink_nofollow(AT_FDCWD, b->journal_path, 0);
	lf_state__journal_reset(b);
	st->journal_serial = 0;
	st->journal_records = 0;
	st->dirty = 0;
	st->exists = 1;
	return 0;
}

json_t *lf_state_to_json(const struct lf_state *st)
{
	json_t *doc = header_json(st), *res = json_array();

	for (size_t i = 0; i < st->nres; i++)
		if (!st->res[i].removed)
			json_array_append_new(res, lf_state__res_to_json(&st->res[i]));
	json_object_set_new(doc, "resources", res);
	return doc;
}

int lf_state_push(struct lf_backend *b, struct lf_state *st, json_t *doc, int force,
                  struct lf_diags *d)
{
	struct lf_state next = LF_STATE_INIT;
	uint64_t floor;
	int err;

	err = doc_to_state(&next, doc, d, NULL);
	if (err) {
		lf_state_release(&next);
		return err == LF_STATE_EVERSION ? err : LF_STATE_EINVALID;
	}
	if (st->exists && st->lineage[0] && !force) {
		if (strcmp(next.lineage, st->lineage)) {
			lf_diag_error(d, NULL,
			              "the document's lineage '%s' is not the "
			              "state's lineage '%s': it is another state",
			              next.lineage, st->lineage);
			lf_state_release(&next);
			return LF_STATE_ELINEAGE;
		}
		if (next.serial < st->serial) {
			lf_diag_error(d, NULL,
			              "the document's serial %llu is older than "
			              "the state's serial %llu",
			              (unsigned long long)next.serial,
			              (unsigned long long)st->serial);
			lf_state_release(&next);
			return LF_STATE_ESERIAL;
		}
	}
	/* with no journal on disk, no journal can outlive the new snapshot
	 * and be mistaken for records on top of it */
	if (st->journal_records && (err = lf_state_write(b, st)) < 0) {
		lf_state_release(&next);
		return err;
	}
	floor = st->exists ? st->serial + 1 : 1;
	if (next.serial < floor)
		next.serial = floor;
	next.serial--; /* lf_state_write() adds one */
	/* a pushed document was not made from these manifests here */
	free(next.fingerprint);
	next.fingerprint = NULL;
	err = lf_state_write(b, &next);
	if (err) {
		lf_state_release(&next);
		return err;
	}
	lf_state_release(st);
	*st = next;
	return 0;
}

/* ---- digests and messages ------------------------------------------------ */

void lf_json_digest(const json_t *v, char out[65])
{
	lf_json_sha256_hex(v, out); /* src/util/jsondigest.c */
}

const char *lf_state_strerror(int err)
{
	if (err <= LF_STATE_ELOCKED && err > LF_STATE_ELOCKED - 100) {
		switch ((enum lf_state_err)err) {
		case LF_STATE_ELOCKED:
			return "the state is locked by another run";
		case LF_STATE_ELINEAGE:
			return "the lineage does not match";
		case LF_STATE_ESERIAL:
			return "the serial is older than the state's";
		case LF_STATE_ECORRUPT:
			return "the state cannot be read";
		case LF_STATE_EINVALID:
			return "not a valid state document";
		case LF_STATE_EVERSION:
			return "the state was written by a newer lakeform";
		case LF_STATE_ENOLOCK:
			return "the state is not locked";
		case LF_STATE_ELOCKID:
			return "the lock ID does not match";
		case LF_STATE_EREMOTE:
		case LF_STATE_ESYMLINK:
			return lf_backend__error();
		case LF_STATE_ECONFLICT:
			return "the state in the backend changed under this run (was its lock "
			       "taken over after the lease?); nothing was overwritten";
		case LF_STATE_ELEASE:
			return "the lock's lease can no longer be proved (its renewals failed, "
			       "or it was taken over): no new change starts";
		case LF_STATE_EDAMAGED:
		case LF_STATE_EKEY:
			return lf_backend__error();
		}
		return "unknown state error";
	}
	return strerror(-err);
}
