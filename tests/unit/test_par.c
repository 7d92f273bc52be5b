/* Unit tests for src/util/par.c and what runs on it: lf_diags_append and the
 * loading of a directory's files on every core, whose documents and
 * diagnostics must come out in file order whatever the threads' timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/source.h"
#include "util/par.h"

static void count_item(void *arg, size_t i)
{
	__atomic_fetch_add(&((unsigned *)arg)[i], 1, __ATOMIC_RELAXED);
}

/* every item runs exactly once, for none, one and many items */
static void test_par_each_once(void **state)
{
	static const size_t sizes[] = {0, 1, 2, 5000};
	(void)state;

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		unsigned *seen = calloc(sizes[k] + 1, sizeof(*seen));
		lf_par_for(sizes[k], count_item, seen);
		for (size_t i = 0; i < sizes[k]; i++)
			assert_int_equal(seen[i], 1);
		assert_int_equal(seen[sizes[k]], 0); /* nothing past the end */
		free(seen);
	}
}

static void test_diags_append(void **state)
{
	struct lf_diags to = LF_DIAGS_INIT, from = LF_DIAGS_INIT;
	struct lf_pos p = {"b.yaml", 3, 4};
	(void)state;

	lf_diag_error(&to, NULL, "first");
	lf_diag_warning(&from, &p, "second");
	lf_diag_error(&from, &p, "third");
	lf_diags_append(&to, &from);
	assert_int_equal(from.n, 0);
	assert_null(from.v);
	assert_int_equal(from.errors + from.warnings, 0);
	assert_int_equal(to.n, 3);
	assert_int_equal(to.errors, 2);
	assert_int_equal(to.warnings, 1);
	assert_string_equal(to.v[1].msg, "second");
	assert_string_equal(to.v[2].msg, "third");
	assert_string_equal(to.v[2].file, "b.yaml");
	for (size_t i = 0; i < to.n; i++)
		assert_int_equal(to.v[i].seq, i);
	lf_diags_release(&to);
}

#define NFILES 40

/* a directory of NFILES files, every seventh one broken; loaded many
 * times, the documents and the errors are always in file order */
static void test_load_order(void **state)
{
	char dir[] = "/tmp/lf-test-par.XXXXXX";
	char path[256];
	(void)state;

	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/f%02d.yaml", dir, i);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		if (i % 7 == 3)
			fprintf(f, "a: [1, 2\n"); /* an unclosed flow sequence */
		else
			for (int j = 0; j < 50; j++)
				fprintf(f, "---\nfile: %d\ndoc: %d\n", i, j);
		fclose(f);
	}
	for (int round = 0; round < 20; round++) {
		struct lf_source src = LF_SOURCE_INIT;
		struct lf_diags d = LF_DIAGS_INIT;

		assert_int_equal(lf_source_load(&src, dir, &d), -1);
		assert_int_equal(src.nfiles, NFILES);
		size_t broken = 0;
		for (int i = 0; i < NFILES; i++)
			broken += i % 7 == 3;
		assert_int_equal(d.errors, broken);
		/* errors name the broken files in order */
		for (size_t e = 0, i = 3; e < d.n; e++, i += 7) {
			snprintf(path, sizeof(path), "%s/f%02zu.yaml", dir, i);
			assert_string_equal(d.v[e].file, path);
			assert_int_equal(d.v[e].seq, e);
		}
		/* documents follow their files, each file's in order */
		size_t k = 0;
		for (size_t i = 0; i < src.nfiles; i++) {
			assert_int_equal(src.files[i].first_doc, k);
			for (size_t j = 0; j < src.files[i].ndocs; j++, k++) {
				const struct lf_source_doc *doc = &src.docs[k];
				assert_int_equal(doc->file, i);
				assert_ptr_equal(doc->pos.file, src.files[i].path);
				if (i % 7 != 3) {
					assert_int_equal(
					    json_integer_value(json_object_get(doc->root, "file")),
					    (json_int_t)i);
					assert_int_equal(
					    json_integer_value(json_object_get(doc->root, "doc")),
					    (json_int_t)j);
				}
			}
		}
		assert_int_equal(k, src.ndocs);
		lf_source_release(&src);
		lf_diags_release(&d);
	}
	for (int i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/f%02d.yaml", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_par_each_once),
	    cmocka_unit_test(test_diags_append),
	    cmocka_unit_test(test_load_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
