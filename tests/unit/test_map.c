/*
 * test_map.c - unit tests for src/util/map.c: get, put (replaces) and add
 * (keeps what is there), across the table's growth; the map's own copies of
 * keys of every length, packed in its blocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/map.h"

#define N 10000

static void test_put_get_add(void **state)
{
	struct lf_map m = LF_MAP_INIT;
	char key[32];

	(void)state;
	assert_null(lf_map_get(&m, "absent"));
	/* N keys: the table grows several times under them */
	for (uintptr_t i = 1; i <= N; i++) {
		snprintf(key, sizeof(key), "k/%lu", (unsigned long)i);
		assert_null(lf_map_add(&m, key, (void *)i));
	}
	assert_int_equal(m.n, N);
	for (uintptr_t i = 1; i <= N; i++) {
		snprintf(key, sizeof(key), "k/%lu", (unsigned long)i);
		assert_ptr_equal(lf_map_get(&m, key), (void *)i);
		/* add keeps the first value and says what it is */
		assert_ptr_equal(lf_map_add(&m, key, (void *)(i + N)), (void *)i);
		assert_ptr_equal(lf_map_get(&m, key), (void *)i);
	}
	assert_int_equal(m.n, N);
	/* put replaces and says what was there */
	assert_ptr_equal(lf_map_put(&m, "k/7", (void *)99), (void *)7);
	assert_ptr_equal(lf_map_get(&m, "k/7"), (void *)99);
	assert_null(lf_map_put(&m, "new", (void *)5));
	assert_ptr_equal(lf_map_get(&m, "new"), (void *)5);
	assert_int_equal(m.n, N + 1);
	assert_null(lf_map_get(&m, "k/0"));
	lf_map_release(&m);
	assert_null(lf_map_get(&m, "k/1"));
}

/* Keys from empty to longer than the largest block (1 MiB): each found by
 * its text, after the caller's buffer changed, and each copy the map keeps
 * reads as the key (the sanitizer build checks every block's bounds). */
static void test_key_copies(void **state)
{
	static const size_t lens[] = {0, 1, 255, 256, 257, 1000, 5000, 70000, (1u << 20) + 3, 3};
	enum { NL = sizeof(lens) / sizeof(lens[0]) };
	struct lf_map m = LF_MAP_INIT;
	char *buf = malloc((1u << 20) + 8);

	(void)state;
	for (int round = 0; round < 2; round++) { /* the second after a release */
		for (uintptr_t i = 0; i < NL; i++) {
			memset(buf, 'a' + (int)i, lens[i]);
			buf[lens[i]] = '\0';
			assert_null(lf_map_add(&m, buf, (void *)(i + 1)));
			memset(buf, '?', lens[i]); /* the map kept its own copy */
		}
		/* many short keys between them fill block after block */
		for (uintptr_t i = 0; i < 3000; i++) {
			snprintf(buf, 64, "short/%lu", (unsigned long)i);
			assert_null(lf_map_add(&m, buf, (void *)(i + 100)));
		}
		assert_int_equal(m.n, NL + 3000);
		for (uintptr_t i = 0; i < NL; i++) {
			memset(buf, 'a' + (int)i, lens[i]);
			buf[lens[i]] = '\0';
			assert_ptr_equal(lf_map_get(&m, buf), (void *)(i + 1));
		}
		for (uintptr_t i = 0; i < 3000; i++) {
			snprintf(buf, 64, "short/%lu", (unsigned long)i);
			assert_ptr_equal(lf_map_get(&m, buf), (void *)(i + 100));
		}
		/* every slot's key is a whole copy of what was added */
		size_t seen = 0;
		for (size_t j = 0; j < m.cap; j++) {
			if (!m.v[j].key)
				continue;
			seen++;
			assert_ptr_equal(lf_map_get(&m, m.v[j].key), m.v[j].value);
		}
		assert_int_equal(seen, NL + 3000);
		lf_map_release(&m);
		assert_int_equal(m.n, 0);
		assert_null(lf_map_get(&m, "short/1"));
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_get_add),
	    cmocka_unit_test(test_key_copies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
