#include "map.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

uint64_t lf_hash_bytes(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 32);
}

/* A block of keys' text: each key with its NUL, one after the other. */
struct lf_map_keys {
	struct lf_map_keys *next;
	size_t used, size;
	char text[];
};

/* The first block's size; each next one doubles, up to the last. */
#define KEYS_FIRST 256
#define KEYS_LAST (1u << 20)

/* A copy of key (len bytes and its NUL) in m's blocks. */
static char *copy_key(struct lf_map *m, const char *key, size_t len)
{
	struct lf_map_keys *b = m->keys;

	if (!b || b->size - b->used < len + 1) {
		size_t size = b ? (b->size < KEYS_LAST ? b->size * 2 : b->size) : KEYS_FIRST;
		if (size < len + 1)
			size = len + 1;
		b = lf_xmalloc(sizeof(*b) + size);
		b->next = m->keys;
		b->used = 0;
		b->size = size;
		m->keys = b;
	}
	char *s = b->text + b->used;
	memcpy(s, key, len + 1);
	b->used += len + 1;
	return s;
}

static size_t find(const struct lf_map *m, const char *key, uint64_t h)
{
	size_t j = (size_t)h & (m->cap - 1);

	while (m->v[j].key && !(m->v[j].hash == h && !strcmp(m->v[j].key, key)))
		j = (j + 1) & (m->cap - 1);
	return j;
}

void *lf_map_get(const struct lf_map *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t j = find(m, key, lf_hash_bytes(key, strlen(key)));
	return m->v[j].key ? m->v[j].value : NULL;
}

/* Put key (hash h): replacing its value when `replace`; returns the
 * previous value or NULL. */
static void *put(struct lf_map *m, const char *key, void *value, int replace)
{
	size_t len = strlen(key);
	uint64_t h = lf_hash_bytes(key, len);

	if ((m->n + 1) * 10 >= m->cap * 7) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		struct lf_map_ent *old = m->v;
		size_t ocap = m->cap;

		m->v = lf_xcalloc(ncap, sizeof(*m->v));
		m->cap = ncap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].key)
				m->v[find(m, old[i].key, old[i].hash)] = old[i];
		free(old);
	}
	size_t j = find(m, key, h);
	if (m->v[j].key) {
		void *prev = m->v[j].value;
		if (replace)
			m->v[j].value = value;
		return prev;
	}
	m->v[j].key = copy_key(m, key, len);
	m->v[j].hash = h;
	m->v[j].value = value;
	m->n++;
	return NULL;
}

void *lf_map_put(struct lf_map *m, const char *key, void *value)
{
	return put(m, key, value, 1);
}

void *lf_map_add(struct lf_map *m, const char *key, void *value)
{
	return put(m, key, value, 0);
}

void lf_map_release(struct lf_map *m)
{
	while (m->keys) {
		struct lf_map_keys *next = m->keys->next;
		free(m->keys);
		m->keys = next;
	}
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}
