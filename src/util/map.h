/*
 * map.h - a string-keyed hash map to pointers, open addressing.
 *
 * Keys are copied and owned by the map; values are borrowed pointers the map
 * never frees.  Iteration order is unspecified.
 *
 * The keys' copies are packed into blocks the map owns, in the order they
 * were added, not allocated one by one: a map of 100,000 addresses was
 * 100,000 mallocs to fill and 100,000 frees to release, each free a cache
 * miss on a chunk somewhere in a heap of hundreds of megabytes.
 */
#ifndef LF_UTIL_MAP_H
#define LF_UTIL_MAP_H

#include <stddef.h>
#include <stdint.h>

struct lf_map_ent {
	char *key; /* NULL: empty slot */
	uint64_t hash;
	void *value;
};

struct lf_map_keys; /* a block of keys' text (map.c) */

struct lf_map {
	struct lf_map_ent *v;
	size_t n, cap;
	struct lf_map_keys *keys; /* the blocks, the newest first */
};

#define LF_MAP_INIT              \
	{                        \
		NULL, 0, 0, NULL \
	}

uint64_t lf_hash_bytes(const void *data, size_t n);
/* Borrowed value, or NULL when absent. */
void *lf_map_get(const struct lf_map *m, const char *key);
/* Sets key to value; returns the previous value or NULL. */
void *lf_map_put(struct lf_map *m, const char *key, void *value);
/* Sets key to value unless it is there: returns its value then (and
 * changes nothing), else NULL.  One lookup where get then put take two. */
void *lf_map_add(struct lf_map *m, const char *key, void *value);
void lf_map_release(struct lf_map *m);

#endif
