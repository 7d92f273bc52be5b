/*
 * map.h - a string-keyed hash map to pointers, open addressing.
 *
 * Keys are copied and owned by the map; values are borrowed pointers the map
 * never frees.  Iteration order is unspecified.
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

struct lf_map {
	struct lf_map_ent *v;
	size_t n, cap;
};

#define LF_MAP_INIT        \
	{                  \
		NULL, 0, 0 \
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
