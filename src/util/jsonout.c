#include "jsonout.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *lf_json_escape(unsigned char c, char seq[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		snprintf(seq, 8, "\\u%04X", c);
		return seq;
	}
}

static int add_cb(const char *data, size_t size, void *ctx)
{
	lf_buf_add(ctx, data, size);
	return 0;
}

/*
 * Compact JSON written here, byte for byte as jansson 2.14's
 * json_dump_callback() writes it with JSON_COMPACT (and JSON_SORT_KEYS):
 * jansson calls back for every token, and sorting an object's keys
 * allocates and copies them, which made these dumps about a tenth of an
 * apply's work (every journal line, every state record, every provider
 * request).  Reals go to jansson (its shortest-round-trip formatting); so
 * does anything deeper than MAX_DEPTH (jansson's own loop check says
 * what a self-containing value does).  -1 where jansson fails too: a
 * string value that is not UTF-8.
 */
#define MAX_DEPTH 512

/* The length of the UTF-8 sequence at `s` (of `n` bytes left) as jansson
 * accepts it, or 0 when it is not valid UTF-8. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t v;

	if (c < 0x80)
		return 1;
	if (c < 0xC2 || c > 0xF4)
		return 0; /* a continuation byte, an overlong lead, or past U+10FFFF */
	len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if (n < len)
		return 0;
	v = c & (0xFFu >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10FFFF ||
	    (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	return len;
}

static int add_string(struct lf_buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + n, *run = s;
	char seq[8];

	lf_buf_addc(b, '"');
	while (s < end) {
		unsigned c = *s;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0x80) {
			size_t k = utf8_len(s, (size_t)(end - s));
			if (!k)
				return -1;
			s += k;
			continue;
		}
		lf_buf_add(b, (const char *)run, (size_t)(s - run));
		lf_buf_adds(b, lf_json_escape(c, seq));
		run = ++s;
	}
	lf_buf_add(b, (const char *)run, (size_t)(s - run));
	lf_buf_addc(b, '"');
	return 0;
}

struct key {
	const char *k;
	size_t n;
	json_t *v;
};

/* jansson's order of sorted keys: bytes, then the shorter first */
static int cmp_key(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int r = memcmp(x->k, y->k, x->n < y->n ? x->n : y->n);

	if (r)
		return r;
	return x->n < y->n ? -1 : x->n > y->n;
}

static int add_value(struct lf_buf *b, const json_t *v, int sort, int depth);

static int add_object(struct lf_buf *b, const json_t *o, int sort, int depth)
{
	size_t n = json_object_size(o), i = 0;
	struct key small[16], *keys;
	const char *k;
	size_t klen;
	json_t *v;
	int err = 0;

	lf_buf_addc(b, '{');
	if (!n) {
		lf_buf_addc(b, '}');
		return 0;
	}
	keys = n <= 16 ? small : malloc(n * sizeof(*keys));
	if (!keys)
		return -1;
	json_object_keylen_foreach((json_t *)o, k, klen, v)
	{
		keys[i].k = k;
		keys[i].n = klen;
		keys[i].v = v;
		i++;
	}
	if (sort && n > 1)
		qsort(keys, n, sizeof(*keys), cmp_key);
	for (i = 0; i < n && !err; i++) {
		if (i)
			lf_buf_addc(b, ',');
		/* a key that is not UTF-8 is cut where it stops being so, and
		 * the rest goes on: jansson ignores that failure */
		add_string(b, keys[i].k, keys[i].n);
		lf_buf_addc(b, ':');
		err = add_value(b, keys[i].v, sort, depth + 1);
	}
	if (keys != small)
		free(keys);
	if (!err)
		lf_buf_addc(b, '}');
	return err;
}

static int add_value(struct lf_buf *b, const json_t *v, int sort, int depth)
{
	char num[32];

	if (depth > MAX_DEPTH)
		return 1; /* deeper than this: jansson does it all */
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return add_object(b, v, sort, depth);
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		lf_buf_addc(b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				lf_buf_addc(b, ',');
			int err = add_value(b, json_array_get(v, i), sort, depth + 1);
			if (err)
				return err;
		}
		lf_buf_addc(b, ']');
		return 0;
	}
	case JSON_STRING:
		return add_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		lf_buf_adds(b, num);
		return 0;
	case JSON_REAL:
		return json_dump_callback(v, add_cb, b,
		                          JSON_COMPACT | JSON_ENCODE_ANY |
		                              (sort ? JSON_SORT_KEYS : 0))
		           ? -1
		           : 0;
	case JSON_TRUE:
		lf_buf_adds(b, "true");
		return 0;
	case JSON_FALSE:
		lf_buf_adds(b, "false");
		return 0;
	case JSON_NULL:
		lf_buf_adds(b, "null");
		return 0;
	}
	return -1;
}

int lf_buf_add_json(struct lf_buf *b, const json_t *v, size_t flags)
{
	size_t before = b->len;
	size_t mine = JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY;

	if (v && (flags & JSON_COMPACT) && !(flags & ~mine) &&
	    (json_is_object(v) || json_is_array(v) || (flags & JSON_ENCODE_ANY))) {
		int err = add_value(b, v, (flags & JSON_SORT_KEYS) != 0, 0);
		if (err < 0) {
			lf_buf_truncate(b, before);
			return -1;
		}
		if (err == 0)
			return 0;
		lf_buf_truncate(b, before); /* too deep: jansson's */
	}
	if (json_dump_callback(v, add_cb, b, flags) != 0) {
		lf_buf_truncate(b, before);
		return -1;
	}
	return 0;
}
