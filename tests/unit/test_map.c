/*
 * test_map.c - unit tests for src/util/map.c: get, put (replaces) and add
 * (keeps what is there), across the table's growth.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_get_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
