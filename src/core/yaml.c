#include "yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../util/buf.h"
#include "../util/map.h"
#include "../util/mem.h"
#include "../util/sha256.h"

/* ---- positions by path ------------------------------------------------ */

/*
 * A path key is the document index, then per step "\x1f" KEY for a member or
 * "\x1e" INDEX for an item.  Keys containing those bytes could collide;
 * the worst that does is a diagnostic pointing at a sibling.
 */
static void add_step(struct lf_buf *b, const char *key, size_t keylen, size_t index)
{
	if (key) {
		lf_buf_addc(b, '\x1f');
		lf_buf_add(b, key, keylen);
	} else {
		lf_buf_addf(b, "\x1e%zu", index);
	}
}

static void index_put(struct lf_yaml_posindex *idx, const char *path, struct lf_pos val,
                      const struct lf_pos *key)
{
	struct lf_yaml_posent *e;

	LF_GROW(idx->v, idx->n + 1, idx->alloc);
	e = &idx->v[idx->n++];
	e->line = val.line;
	e->col = val.col;
	e->kline = key ? key->line : val.line;
	e->kcol = key ? key->col : val.col;
	lf_map_put(&idx->map, path, (void *)(uintptr_t)idx->n);
}

size_t lf_yaml_posindex_get(const struct lf_yaml_posindex *idx, unsigned doc,
                            const struct lf_yaml_pathseg *path, size_t depth, struct lf_pos *val,
                            struct lf_pos *key_pos)
{
	struct lf_buf b = LF_BUF_INIT;
	size_t best = 0;
	int found_any = 0;

	lf_buf_addf(&b, "%u", doc);
	for (size_t i = 0; i <= depth; i++) {
		if (i > 0)
			add_step(&b, path[i - 1].key, path[i - 1].key ? strlen(path[i - 1].key) : 0,
			         path[i - 1].index);
		uintptr_t at = (uintptr_t)lf_map_get(&idx->map, lf_buf_cstr(&b));
		if (!at)
			break;
		const struct lf_yaml_posent *e = &idx->v[at - 1];
		val->line = e->line;
		val->col = e->col;
		if (key_pos) {
			key_pos->line = e->kline;
			key_pos->col = e->kcol;
		}
		best = i;
		found_any = 1;
	}
	lf_buf_release(&b);
	(void)found_any;
	return best;
}

void lf_yaml_posindex_release(struct lf_yaml_posindex *idx)
{
	lf_map_release(&idx->map);
	free(idx->v);
	idx->v = NULL;
	idx->n = idx->alloc = 0;
}

/* ---- scalar resolution (YAML 1.2 core schema) -------------------------- */

static int is_null(const char *s, size_t n)
{
	return n == 0 || (n == 1 && s[0] == '~') ||
	       (n == 4 &&
	        (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static int as_bool(const char *s, size_t n, int *out)
{
	if (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4))) {
		*out = 1;
		return 0;
	}
	if (n == 5 &&
	    (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5))) {
		*out = 0;
		return 0;
	}
	return -1;
}

static int all_in(const char *s, size_t n, const char *set)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return 1;
}

/* Returns a new integer or real for a core-schema int, or NULL. */
static json_t *as_int(const char *s, size_t n)
{
	const char *p = s;
	size_t m = n;
	int base = 10, neg = 0;
	char tmp[72];

	if (n >= 3 && s[0] == '0' && s[1] == 'o' && all_in(s + 2, n - 2, "01234567")) {
		base = 8;
		p += 2;
		m -= 2;
	} else if (n >= 3 && s[0] == '0' && s[1] == 'x' &&
	           all_in(s + 2, n - 2, "0123456789abcdefABCDEF")) {
		base = 16;
		p += 2;
		m -= 2;
	} else {
		if (m && (*p == '-' || *p == '+')) {
			neg = *p == '-';
			p++;
			m--;
		}
		if (!all_in(p, m, "0123456789"))
			return NULL;
	}
	if (m >= sizeof(tmp) - 2)
		return json_real(strtod(s, NULL));
	tmp[0] = '-';
	memcpy(tmp + 1, p, m);
	tmp[m + 1] = '\0';
	errno = 0;
	char *end;
	if (base == 10) {
		long long v = strtoll(neg ? tmp : tmp + 1, &end, 10);
		if (errno == ERANGE) {
			double d = strtod(neg ? tmp : tmp + 1, NULL);
			return json_real(d);
		}
		return json_integer(v);
	}
	unsigned long long u = strtoull(tmp + 1, &end, base);
	if (errno == ERANGE || u > (unsigned long long)INT64_MAX)
		return json_real((double)u);
	return json_integer((json_int_t)u);
}

static int is_float_syntax(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		i++;
		digits++;
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			i++;
			digits++;
		}
	}
	if (!digits)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t e = 0;
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			i++;
			e++;
		}
		if (!e)
			return 0;
	}
	return i == n;
}

static json_t *as_float(const char *s, size_t n)
{
	static const char *const inf[] = {".inf", ".Inf", ".INF"};
	static const char *const nan[] = {".nan", ".NaN", ".NAN"};
	const char *p = s;
	size_t m = n;
	int neg = 0;

	if (m && (*p == '-' || *p == '+')) {
		neg = *p == '-';
		p++;
		m--;
	}
	for (int i = 0; i < 3; i++) {
		if (m == 4 && !memcmp(p, inf[i], 4))
			return json_string(neg ? "-.inf" : ".inf");
		if (n == 4 && !memcmp(s, nan[i], 4))
			return json_string(".nan");
	}
	if (!is_float_syntax(s, n))
		return NULL;
	char *tmp = lf_xstrndup(s, n);
	double d = strtod(tmp, NULL);
	free(tmp);
	if (!isfinite(d))
		return json_string(d < 0 ? "-.inf" : ".inf");
	return json_real(d);
}

enum tag_kind { TAG_NONE, TAG_STR, TAG_NULL, TAG_BOOL, TAG_INT, TAG_FLOAT };

static enum tag_kind tag_kind_of(const char *tag)
{
	static const char prefix[] = "tag:yaml.org,2002:";

	if (!tag)
		return TAG_NONE;
	if (!strcmp(tag, "!"))
		return TAG_STR;
	if (strncmp(tag, prefix, sizeof(prefix) - 1))
		return TAG_NONE;
	tag += sizeof(prefix) - 1;
	if (!strcmp(tag, "str"))
		return TAG_STR;
	if (!strcmp(tag, "null"))
		return TAG_NULL;
	if (!strcmp(tag, "bool"))
		return TAG_BOOL;
	if (!strcmp(tag, "int"))
		return TAG_INT;
	if (!strcmp(tag, "float"))
		return TAG_FLOAT;
	return TAG_NONE;
}

/*
 * The short string values of one parse, each made once and shared by every
 * place that holds the same text (a grant's privileges, principals, regions
 * and names repeat thousands of times in a file): a jansson string is two
 * allocations, about 80 bytes, per place.  Nothing changes a string node in
 * place; what needs one node per place (overlay.c's origins) copies it.
 */
#define SHARED_STRING_MAX 64

struct strings {
	json_t **v; /* open addressing, NULL: free; each holds a reference */
	size_t cap, n;
};

static json_t *string_node(struct strings *ss, const char *s, size_t n)
{
	if (!ss || n > SHARED_STRING_MAX)
		return json_stringn_nocheck(s, n);
	if (2 * (ss->n + 1) > ss->cap) {
		size_t cap = ss->cap ? 2 * ss->cap : 1024;
		json_t **v = lf_xcalloc(cap, sizeof(*v));
		for (size_t i = 0; i < ss->cap; i++) {
			if (!ss->v[i])
				continue;
			const char *t = json_string_value(ss->v[i]);
			size_t j = lf_hash_bytes(t, json_string_length(ss->v[i])) & (cap - 1);
			while (v[j])
				j = (j + 1) & (cap - 1);
			v[j] = ss->v[i];
		}
		free(ss->v);
		ss->v = v;
		ss->cap = cap;
	}
	size_t j = lf_hash_bytes(s, n) & (ss->cap - 1);
	for (; ss->v[j]; j = (j + 1) & (ss->cap - 1))
		if (json_string_length(ss->v[j]) == n && !memcmp(json_string_value(ss->v[j]), s, n))
			return json_incref(ss->v[j]);
	ss->v[j] = json_stringn_nocheck(s, n);
	ss->n++;
	return json_incref(ss->v[j]);
}

static void strings_release(struct strings *ss)
{
	for (size_t i = 0; i < ss->cap; i++)
		json_decref(ss->v[i]);
	free(ss->v);
	memset(ss, 0, sizeof(*ss));
}

/*
 * Resolve a scalar.  Returns a new reference, or NULL with *why set when an
 * explicit tag does not fit the text.  A string is shared through `ss`
 * (NULL: made anew).
 */
static json_t *resolve_scalar(const yaml_event_t *ev, struct strings *ss, const char **why)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	enum tag_kind tk = tag_kind_of((const char *)ev->data.scalar.tag);
	int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	json_t *v;
	int b;

	/* libyaml gives UTF-8 only (it refuses other input, surrogates and
	 * escapes past U+10FFFF): jansson need not check it again */
	if (tk == TAG_STR || (tk == TAG_NONE && !plain))
		return string_node(ss, s, n);
	if (tk == TAG_NULL || (tk == TAG_NONE && is_null(s, n))) {
		if (tk == TAG_NULL && !is_null(s, n)) {
			*why = "null";
			return NULL;
		}
		return json_null();
	}
	if (tk == TAG_BOOL || tk == TAG_NONE) {
		if (as_bool(s, n, &b) == 0)
			return json_boolean(b);
		if (tk == TAG_BOOL) {
			*why = "bool";
			return NULL;
		}
	}
	if (tk == TAG_INT || tk == TAG_NONE) {
		if ((v = as_int(s, n)))
			return v;
		if (tk == TAG_INT) {
			*why = "int";
			return NULL;
		}
	}
	if ((v = as_float(s, n)))
		return v;
	if (tk == TAG_FLOAT) {
		*why = "float";
		return NULL;
	}
	return string_node(ss, s, n);
}

/* ---- the event loop -------------------------------------------------- */

struct frame {
	json_t *node;    /* borrowed: its parent (or the doc) owns it */
	size_t plen;     /* length of its path key (with an index) */
	size_t kp_start; /* its first entry in builder.keys */
	char *anchor;    /* owned, may be NULL */
	char *key;       /* pending key of a mapping, owned */
	size_t keylen;
	struct lf_pos key_pos;
	int have_key;
	int is_key; /* a collection used as a mapping key */
};

struct anchor {
	char *name;
	json_t *value; /* owned reference */
	size_t nodes;
};

/* Where each key of the mappings being built is, to report duplicates. */
struct keypos {
	uint64_t hash;
	unsigned line, col;
};

struct builder {
	struct lf_yaml_posindex *idx; /* NULL: record no positions */
	struct lf_buf path;
	struct keypos *keys;
	size_t nkeys, keys_alloc;
	unsigned doc_index;
	const char *file;
	const char *data;
	size_t len;
	struct lf_diags *d;
	struct frame *st;
	size_t depth, st_alloc;
	struct anchor *anchors;
	size_t nanchors, anchors_alloc;
	size_t alias_nodes;
	json_t *root;
	struct lf_pos root_pos;
	int failed;
	struct strings strings;
};

static struct lf_pos mark_pos(const struct builder *b, yaml_mark_t m)
{
	struct lf_pos p = {b->file, (unsigned)m.line + 1, (unsigned)m.column + 1};

	return p;
}

static size_t count_nodes(const json_t *v)
{
	size_t n = 1;
	const char *k;
	json_t *c;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, k, c)
			n += count_nodes(c);
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, c)
			n += count_nodes(c);
	}
	return n;
}

static void set_anchor(struct builder *b, const char *name, json_t *v)
{
	/* A later anchor of the same name replaces the earlier one. */
	for (size_t i = 0; i < b->nanchors; i++) {
		if (!strcmp(b->anchors[i].name, name)) {
			json_decref(b->anchors[i].value);
			b->anchors[i].value = json_incref(v);
			b->anchors[i].nodes = count_nodes(v);
			return;
		}
	}
	LF_GROW(b->anchors, b->nanchors + 1, b->anchors_alloc);
	b->anchors[b->nanchors].name = lf_xstrdup(name);
	b->anchors[b->nanchors].value = json_incref(v);
	b->anchors[b->nanchors].nodes = count_nodes(v);
	b->nanchors++;
}

static void clear_anchors(struct builder *b)
{
	for (size_t i = 0; i < b->nanchors; i++) {
		free(b->anchors[i].name);
		json_decref(b->anchors[i].value);
	}
	b->nanchors = 0;
}

/* Text of a scalar used as a mapping key. */
static char *key_text(const json_t *v, size_t *len)
{
	char *s;

	if (json_is_string(v)) {
		*len = json_string_length(v);
		return lf_xstrndup(json_string_value(v), *len);
	}
	if (json_is_null(v))
		s = lf_xstrdup("");
	else
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	if (!s)
		s = lf_xstrdup("");
	*len = strlen(s);
	return s;
}

static uint64_t hash_key(const char *s, size_t n)
{
	return lf_hash_bytes(s, n);
}

/* Record the position of a child of the innermost frame (or of the root). */
static void record(struct builder *b, const struct frame *f, const char *key, size_t keylen,
                   size_t index, struct lf_pos pos, const struct lf_pos *key_pos)
{
	if (!b->idx)
		return;
	lf_buf_truncate(&b->path, f ? f->plen : 0);
	if (!f)
		lf_buf_addf(&b->path, "%u", b->doc_index);
	else
		add_step(&b->path, key, keylen, index);
	index_put(b->idx, lf_buf_cstr(&b->path), pos, key_pos);
}

/*
 * Attach `v` (a new reference, consumed) at the current position.  `raw` is
 * the scalar's text when `v` came from a scalar (used for keys).
 */
static void attach(struct builder *b, json_t *v, struct lf_pos pos, const char *raw, size_t rawlen)
{
	if (b->depth == 0) {
		json_decref(b->root);
		b->root = v;
		b->root_pos = pos;
		record(b, NULL, NULL, 0, 0, pos, NULL);
		return;
	}
	struct frame *f = &b->st[b->depth - 1];
	if (f->is_key) {
		/* Contents of a rejected complex key: dropped. */
		json_decref(v);
		return;
	}
	if (json_is_array(f->node)) {
		record(b, f, NULL, 0, json_array_size(f->node), pos, NULL);
		json_array_append_new(f->node, v);
		return;
	}
	if (!f->have_key) {
		if (raw) {
			f->key = lf_xstrndup(raw, rawlen);
			f->keylen = rawlen;
		} else if (json_is_object(v) || json_is_array(v)) {
			lf_diag_error(b->d, &pos, "mapping keys must be scalars");
			b->failed = 1;
			f->key = lf_xstrdup("");
			f->keylen = 0;
		} else {
			f->key = key_text(v, &f->keylen);
		}
		f->key_pos = pos;
		f->have_key = 1;
		json_decref(v);
		return;
	}
	uint64_t h = hash_key(f->key, f->keylen);
	if (memchr(f->key, '\0', f->keylen) == NULL && json_object_get(f->node, f->key) != NULL) {
		struct lf_pos first = {b->file, 0, 0};
		for (size_t i = f->kp_start; i < b->nkeys; i++)
			if (b->keys[i].hash == h) {
				first.line = b->keys[i].line;
				first.col = b->keys[i].col;
				break;
			}
		lf_diag_error(b->d, &f->key_pos, "duplicate key '%s' (first at line %u, column %u)",
		              f->key, first.line, first.col);
		b->failed = 1;
		json_decref(v);
	} else {
		LF_GROW(b->keys, b->nkeys + 1, b->keys_alloc);
		b->keys[b->nkeys].hash = h;
		b->keys[b->nkeys].line = f->key_pos.line;
		b->keys[b->nkeys].col = f->key_pos.col;
		b->nkeys++;
		record(b, f, f->key, f->keylen, 0, pos, &f->key_pos);
		json_object_setn_new_nocheck(f->node, f->key, f->keylen, v);
	}
	free(f->key);
	f->key = NULL;
	f->have_key = 0;
}

static void push(struct builder *b, json_t *node, const char *anchor, struct lf_pos pos)
{
	struct frame *parent = b->depth ? &b->st[b->depth - 1] : NULL;
	int is_key = parent && !parent->is_key && json_is_object(parent->node) && !parent->have_key;

	if (is_key) {
		lf_diag_error(b->d, &pos, "mapping keys must be scalars");
		b->failed = 1;
		parent->key = lf_xstrdup("");
		parent->keylen = 0;
		parent->key_pos = pos;
		parent->have_key = 1;
	}
	int inside_key = parent && parent->is_key;

	/* The parent takes the reference now; the frame borrows it. */
	if (!is_key && !inside_key)
		attach(b, json_incref(node), pos, NULL, 0);
	/* `parent` points into b->st, which may move now */
	LF_GROW(b->st, b->depth + 1, b->st_alloc);
	struct frame *f = &b->st[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node; /* we still hold the creating reference */
	f->anchor = anchor ? lf_xstrdup(anchor) : NULL;
	f->is_key = is_key || inside_key;
	f->plen = b->path.len; /* attach() left this node's path there */
	f->kp_start = b->nkeys;
}

static void pop(struct builder *b)
{
	struct frame *f = &b->st[--b->depth];

	b->nkeys = f->kp_start;
	if (f->anchor && !f->is_key)
		set_anchor(b, f->anchor, f->node);
	free(f->anchor);
	free(f->key);
	json_decref(f->node);
}

static void unwind(struct builder *b)
{
	while (b->depth)
		pop(b);
}

/* The character at a libyaml mark (whose index counts characters). */
static int char_at(const struct builder *b, yaml_mark_t m)
{
	size_t i = 0, line = 0, col = 0;

	while (i < b->len && line < m.line)
		if (b->data[i++] == '\n')
			line++;
	while (i < b->len && col < m.column && b->data[i] != '\n') {
		i++;
		while (i < b->len && ((unsigned char)b->data[i] & 0xC0) == 0x80)
			i++;
		col++;
	}
	return i < b->len ? (unsigned char)b->data[i] : -1;
}

static void yaml_problem(struct builder *b, const yaml_parser_t *p)
{
	struct lf_pos pos = mark_pos(b, p->problem_mark);
	const char *what = p->problem ? p->problem : "invalid yaml";

	if (p->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a line: count. */
		struct lf_pos at = {b->file, 1, 1};
		for (size_t i = 0; i < p->problem_offset && i < b->len; i++) {
			if (b->data[i] == '\n') {
				at.line++;
				at.col = 1;
			} else if (((unsigned char)b->data[i] & 0xC0) != 0x80) {
				at.col++;
			}
		}
		lf_diag_error(b->d, &at, "%s (the file must be UTF-8)", what);
	} else if (char_at(b, p->problem_mark) == '\t') {
		/* libyaml's words for it ("found character that cannot start
		 * any token") do not say what is wrong */
		lf_diag_error(b->d, &pos, "a tab cannot be used for indentation (use spaces)");
	} else if (p->context) {
		struct lf_pos cpos = mark_pos(b, p->context_mark);
		lf_diag_error(b->d, &pos, "%s (%s at line %u, column %u)", what, p->context,
		              cpos.line, cpos.col);
	} else {
		lf_diag_error(b->d, &pos, "%s", what);
	}
	b->failed = 1;
}

/* What content_digest() hashes, gathered into blocks first: most events
 * are a few bytes, too few for a call each. */
struct lf_yaml_feed {
	struct lf_sha256 h;
	size_t n;
	unsigned char buf[16384];
};

static void put(struct lf_yaml_feed *f, const void *p, size_t n)
{
	if (f->n + n > sizeof(f->buf)) {
		lf_sha256_update(&f->h, f->buf, f->n);
		f->n = 0;
	}
	if (n > sizeof(f->buf)) {
		lf_sha256_update(&f->h, p, n);
		return;
	}
	memcpy(f->buf + f->n, p, n);
	f->n += n;
}

static void put_str(struct lf_yaml_feed *f, const void *s, size_t n)
{
	put(f, &n, sizeof(n));
	put(f, s, n);
}

static void put_opt(struct lf_yaml_feed *f, const yaml_char_t *s)
{
	if (s) {
		put_str(f, s, strlen((const char *)s));
	} else {
		size_t none = (size_t)-1;
		put(f, &none, sizeof(none));
	}
}

/* Add event `ev` to the content digest (lf_yaml_content_digest()). */
static void feed_event(struct lf_yaml_feed *h, const yaml_event_t *ev)
{
	unsigned char type = (unsigned char)ev->type;

	put(h, &type, 1);
	switch (ev->type) {
	case YAML_STREAM_START_EVENT: {
		int enc = (int)ev->data.stream_start.encoding;
		put(h, &enc, sizeof(enc));
		break;
	}
	case YAML_DOCUMENT_START_EVENT: {
		const yaml_version_directive_t *v = ev->data.document_start.version_directive;
		int ver[2] = {v ? v->major : -1, v ? v->minor : -1};
		put(h, ver, sizeof(ver));
		break;
	}
	case YAML_ALIAS_EVENT:
		put_opt(h, ev->data.alias.anchor);
		break;
	case YAML_SCALAR_EVENT: {
		int flags[3] = {ev->data.scalar.plain_implicit, ev->data.scalar.quoted_implicit,
		                (int)ev->data.scalar.style};
		put_opt(h, ev->data.scalar.anchor);
		put_opt(h, ev->data.scalar.tag);
		put_str(h, ev->data.scalar.value, ev->data.scalar.length);
		put(h, flags, sizeof(flags));
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
		put_opt(h, ev->data.sequence_start.anchor);
		put_opt(h, ev->data.sequence_start.tag);
		put(h, &ev->data.sequence_start.implicit, sizeof(int));
		break;
	case YAML_MAPPING_START_EVENT:
		put_opt(h, ev->data.mapping_start.anchor);
		put_opt(h, ev->data.mapping_start.tag);
		put(h, &ev->data.mapping_start.implicit, sizeof(int));
		break;
	default:
		break;
	}
}

int lf_yaml_content_digest(unsigned char md[LF_SHA256_LEN], const char *data, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct lf_yaml_feed *h;
	size_t doc_start = 0;
	int done = 0, err = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	h = lf_xmalloc(sizeof(*h));
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	lf_sha256_init(&h->h);
	h->n = 0;
	while (!done && !err) {
		if (!yaml_parser_parse(&parser, &ev)) {
			err = -EINVAL;
			break;
		}
		feed_event(h, &ev);
		if (ev.type == YAML_STREAM_END_EVENT)
			done = 1;
		else if (ev.type == YAML_DOCUMENT_START_EVENT)
			doc_start = ev.start_mark.index;
		/* the one check lf_yaml_parse() makes on positions */
		else if (ev.type == YAML_DOCUMENT_END_EVENT &&
		         ev.end_mark.index - doc_start > LF_YAML_MAX_DOC_BYTES)
			err = -EINVAL;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	lf_sha256_update(&h->h, h->buf, h->n);
	lf_sha256_final(&h->h, md);
	free(h);
	return err;
}

static int parse(struct lf_yaml_doc **docs, size_t *ndocs, const char *file, const char *data,
                 size_t len, struct lf_yaml_posindex *idx, struct lf_diags *d,
                 struct lf_yaml_feed *digest)
{
	struct builder b;
	yaml_parser_t parser;
	yaml_event_t ev;
	size_t doc_start = 0, alloc = *ndocs, doc_index = 0;
	int done = 0, err = 0, doc_failed = 0;

	memset(&b, 0, sizeof(b));
	b.file = file;
	b.data = data;
	b.len = len;
	b.idx = idx;
	b.d = d;
	if (!yaml_parser_initialize(&parser)) {
		lf_diag_file_error(d, file, "cannot initialise the yaml parser");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_problem(&b, &parser);
			err = -1;
			break;
		}
		if (digest)
			feed_event(digest, &ev);
		struct lf_pos pos = mark_pos(&b, ev.start_mark);
		const char *anchor = NULL;
		const char *why = NULL;
		json_t *v;

		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			doc_start = ev.start_mark.index;
			b.failed = 0;
			b.alias_nodes = 0;
			clear_anchors(&b);
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (ev.end_mark.index - doc_start > LF_YAML_MAX_DOC_BYTES) {
				lf_diag_error(d, &b.root_pos,
				              "document is larger than the limit of %u MiB",
				              LF_YAML_MAX_DOC_BYTES >> 20);
				b.failed = 1;
			}
			if (b.failed) {
				doc_failed = 1;
				json_decref(b.root);
			} else {
				LF_GROW(*docs, *ndocs + 1, alloc);
				(*docs)[*ndocs].root = b.root ? b.root : json_null();
				(*docs)[*ndocs].pos = b.root ? b.root_pos : pos;
				(*docs)[*ndocs].index = (unsigned)doc_index;
				(*ndocs)++;
			}
			doc_index++;
			b.doc_index = (unsigned)doc_index;
			b.root = NULL;
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (b.depth >= LF_YAML_MAX_DEPTH) {
				lf_diag_error(d, &pos, "nesting deeper than %d levels",
				              LF_YAML_MAX_DEPTH);
				b.failed = 1;
				err = -1;
				done = 1;
				break;
			}
			if (ev.type == YAML_MAPPING_START_EVENT) {
				anchor = (const char *)ev.data.mapping_start.anchor;
				v = json_object();
			} else {
				anchor = (const char *)ev.data.sequence_start.anchor;
				v = json_array();
			}
			push(&b, v, anchor, pos);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			pop(&b);
			break;
		case YAML_SCALAR_EVENT: {
			/* a mapping's key is text kept in its entry, not a node */
			const struct frame *f = b.depth ? &b.st[b.depth - 1] : NULL;
			int key = f && !f->is_key && json_is_object(f->node) && !f->have_key;
			v = resolve_scalar(&ev, key ? NULL : &b.strings, &why);
			if (!v) {
				lf_diag_error(d, &pos, "'%s' is not a valid !!%s",
				              (const char *)ev.data.scalar.value, why);
				b.failed = 1;
				v = json_stringn((const char *)ev.data.scalar.value,
				                 ev.data.scalar.length);
			}
			if (ev.data.scalar.anchor)
				set_anchor(&b, (const char *)ev.data.scalar.anchor, v);
			attach(&b, v, pos, (const char *)ev.data.scalar.value,
			       ev.data.scalar.length);
			break;
		}
		case YAML_ALIAS_EVENT: {
			const char *name = (const char *)ev.data.alias.anchor;
			struct anchor *a = NULL;

			for (size_t i = 0; i < b.nanchors; i++)
				if (!strcmp(b.anchors[i].name, name))
					a = &b.anchors[i];
			if (!a) {
				lf_diag_error(d, &pos, "unknown anchor '%s'", name);
				b.failed = 1;
				attach(&b, json_null(), pos, NULL, 0);
				break;
			}
			b.alias_nodes += a->nodes;
			if (b.alias_nodes > LF_YAML_MAX_ALIAS_NODES) {
				lf_diag_error(d, &pos,
				              "aliases expand to more than %d nodes; refusing what "
				              "looks like a 'billion laughs' document",
				              LF_YAML_MAX_ALIAS_NODES);
				b.failed = 1;
				err = -1;
				done = 1;
				break;
			}
			v = json_deep_copy(a->value);
			if (json_is_string(v))
				attach(&b, v, pos, json_string_value(v), json_string_length(v));
			else
				attach(&b, v, pos, NULL, 0);
			break;
		}
		case YAML_STREAM_START_EVENT:
		case YAML_NO_EVENT:
			break;
		}
		yaml_event_delete(&ev);
	}

	unwind(&b);
	json_decref(b.root);
	strings_release(&b.strings);
	clear_anchors(&b);
	free(b.anchors);
	free(b.st);
	free(b.keys);
	lf_buf_release(&b.path);
	yaml_parser_delete(&parser);
	return err || doc_failed ? -1 : 0;
}

int lf_yaml_parse(struct lf_yaml_doc **docs, size_t *ndocs, const char *file, const char *data,
                  size_t len, struct lf_yaml_posindex *idx, struct lf_diags *d)
{
	return parse(docs, ndocs, file, data, len, idx, d, NULL);
}

int lf_yaml_parse_digest(struct lf_yaml_doc **docs, size_t *ndocs, const char *file,
                         const char *data, size_t len, struct lf_diags *d,
                         unsigned char md[LF_SHA256_LEN])
{
	struct lf_yaml_feed *h = lf_xmalloc(sizeof(*h));
	int err;

	lf_sha256_init(&h->h);
	h->n = 0;
	err = parse(docs, ndocs, file, data, len, NULL, d, h);
	lf_sha256_update(&h->h, h->buf, h->n);
	lf_sha256_final(&h->h, md);
	free(h);
	return err;
}

void lf_yaml_docs_free(struct lf_yaml_doc *docs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(docs[i].root);
	free(docs);
}
