#include "jsondigest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonout.h"
#include "mem.h"
#include "sha256.h"

#define FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY)

/* Where the text goes: a SHA-256 context fed from a block on the stack,
 * or a growing buffer (lf_json_canonical). */
struct out {
	struct lf_sha256 *sha;
	struct lf_buf *buf;
	char block[4096];
	size_t n;
	size_t start; /* where the text starts in `buf` */
};

static void flush(struct out *o)
{
	if (o->sha)
		lf_sha256_update(o->sha, o->block, o->n);
	else
		lf_buf_add(o->buf, o->block, o->n);
	o->n = 0;
}

static void put(struct out *o, const char *s, size_t n)
{
	if (n > sizeof(o->block) - o->n) {
		flush(o);
		if (n > sizeof(o->block)) {
			if (o->sha)
				lf_sha256_update(o->sha, s, n);
			else
				lf_buf_add(o->buf, s, n);
			return;
		}
	}
	memcpy(o->block + o->n, s, n);
	o->n += n;
}

static void putc1(struct out *o, char c)
{
	if (o->n == sizeof(o->block))
		flush(o);
	o->block[o->n++] = c;
}

/* 0, or -1 on a byte that is not ASCII (jansson checks UTF-8 there). */
static int put_string(struct out *o, const char *s, size_t n)
{
	size_t run = 0; /* bytes of s[run..i) not yet written */

	putc1(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char seq[8];
		if (c >= 0x80)
			return -1;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, s + run, i - run);
		run = i + 1;
		const char *esc = lf_json_escape(c, seq);
		put(o, esc, strlen(esc));
	}
	put(o, s + run, n - run);
	putc1(o, '"');
	return 0;
}

struct kv {
	const char *key;
	const json_t *value;
};

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

/* Writes `v`: 0, or -1 on a value this writer does not spell exactly as
 * jansson does (a real, text that is not ASCII, a key holding a NUL). */
static int put_value(struct out *o, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		struct kv small[32];
		struct kv *kv = n <= 32 ? small : lf_xmalloc(n * sizeof(*kv));
		for (void *it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it)) {
			kv[i].key = json_object_iter_key(it);
			kv[i++].value = json_object_iter_value(it);
			if (strlen(kv[i - 1].key) != json_object_iter_key_len(it))
				goto other;
		}
		if (n > 8) {
			qsort(kv, n, sizeof(*kv), cmp_kv);
		} else {
			/* a few keys: insertion sort, without qsort's calls */
			for (size_t a = 1; a < n; a++) {
				struct kv t = kv[a];
				size_t b = a;
				for (; b && strcmp(kv[b - 1].key, t.key) > 0; b--)
					kv[b] = kv[b - 1];
				kv[b] = t;
			}
		}
		putc1(o, '{');
		for (i = 0; i < n; i++) {
			if (i)
				putc1(o, ',');
			if (put_string(o, kv[i].key, strlen(kv[i].key)))
				goto other;
			putc1(o, ':');
			if (put_value(o, kv[i].value))
				goto other;
		}
		putc1(o, '}');
		if (kv != small)
			free(kv);
		return 0;
	other:
		if (kv != small)
			free(kv);
		return -1;
	}
	case JSON_ARRAY:
		putc1(o, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				putc1(o, ',');
			if (put_value(o, json_array_get(v, i)))
				return -1;
		}
		putc1(o, ']');
		return 0;
	case JSON_STRING:
		return put_string(o, json_string_value(v), json_string_length(v));
	case JSON_INTEGER: {
		char num[32];
		int k = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		put(o, num, (size_t)k);
		return 0;
	}
	case JSON_TRUE:
		put(o, "true", 4);
		return 0;
	case JSON_FALSE:
		put(o, "false", 5);
		return 0;
	case JSON_NULL:
		put(o, "null", 4);
		return 0;
	default:
		return -1; /* a real: jansson's own spelling */
	}
}

static int jansson_cb(const char *buffer, size_t size, void *data)
{
	put(data, buffer, size);
	return 0;
}

/* The text of `v` into `o`; on a value put_value() leaves to jansson,
 * what was written is dropped and jansson writes the whole text. */
static void write_text(struct out *o, const json_t *v)
{
	if (!v) {
		put(o, "null", 4);
	} else if (put_value(o, v)) {
		o->n = 0;
		if (o->sha)
			lf_sha256_init(o->sha);
		else
			lf_buf_truncate(o->buf, o->start);
		json_dump_callback(v, jansson_cb, o, FLAGS);
	}
	flush(o);
}

void lf_json_sha256_hex(const json_t *v, char out[65])
{
	struct lf_sha256 c;
	struct out o;

	o.sha = &c;
	o.buf = NULL;
	o.n = 0;
	o.start = 0;
	lf_sha256_init(&c);
	write_text(&o, v);
	lf_sha256_final_hex(&c, out);
}

void lf_json_canonical_add(struct lf_buf *b, const json_t *v)
{
	struct out o;

	o.sha = NULL;
	o.buf = b;
	o.n = 0;
	o.start = b->len;
	write_text(&o, v);
}

char *lf_json_canonical(const json_t *v)
{
	struct lf_buf b = LF_BUF_INIT;

	lf_json_canonical_add(&b, v);
	return lf_buf_detach(&b);
}
