/*
 * Unit tests for src/util/fs.c: writing without following symbolic links,
 * temporaries nobody can plant, and the rule for links on the way to a
 * root.  Each test works in a directory of its own under /tmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/mem.h"

static char *scratch(void)
{
	char tmpl[] = "/tmp/lf-test-fs.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return lf_xstrdup(tmpl);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *path)
{
	char *data = NULL;
	size_t len;

	assert_int_equal(lf_read_file(&data, &len, path, 1 << 20), 0);
	return data;
}

static void rm_scratch(char *dir)
{
	lf_remove_tree_nofollow(AT_FDCWD, dir);
	free(dir);
}

/* a link as the last component, or on the way, is -ELOOP; its target is
 * untouched */
static void test_open_refuses_links(void **state)
{
	char *d = scratch(), *p;
	(void)state;

	p = lf_xasprintf("%s/target", d);
	put(p, "precious\n");
	free(p);
	p = lf_xasprintf("%s/outside", d);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	assert_int_equal(chdir(d), 0);
	assert_int_equal(symlink("target", "link"), 0);
	assert_int_equal(mkdir("dir", 0700), 0);
	assert_int_equal(symlink("../outside", "dir/sub"), 0);

	assert_int_equal(lf_open_nofollow(AT_FDCWD, "link", O_WRONLY | O_TRUNC, 0), -ELOOP);
	assert_int_equal(lf_open_nofollow(AT_FDCWD, "dir/sub/new", O_WRONLY | O_CREAT, 0600),
	                 -ELOOP);
	assert_int_equal(lf_mkdirs_nofollow(AT_FDCWD, "dir/sub/a/b", 0700), -ELOOP);
	assert_int_equal(lf_mkdirs_nofollow(AT_FDCWD, "dir/sub", 0700), -ELOOP);
	assert_int_equal(lf_write_file_atomic_nofollow(AT_FDCWD, "dir/sub/f", "x", 1, 0600, 1),
	                 -ELOOP);
	p = get("target");
	assert_string_equal(p, "precious\n");
	free(p);
	assert_int_equal(rmdir("outside"), 0); /* still empty */
	p = lf_symlink_in("dir/sub/a/b");
	assert_string_equal(p, "dir/sub");
	free(p);

	/* what is not a link works */
	assert_int_equal(lf_mkdirs_nofollow(AT_FDCWD, "dir/x/y", 0700), 0);
	assert_int_equal(lf_write_file_atomic_nofollow(AT_FDCWD, "dir/x/y/f", "ok", 2, 0600, 1), 0);
	p = get("dir/x/y/f");
	assert_string_equal(p, "ok");
	free(p);
	assert_int_equal(chdir("/"), 0);
	rm_scratch(d);
}

/* a temporary's name cannot be guessed: a link planted where the old
 * NAME.tmp.PID was is never written through */
static void test_temporary_not_planted(void **state)
{
	char *d = scratch(), *target, *path, *planted, *p;
	(void)state;

	target = lf_xasprintf("%s/target", d);
	path = lf_xasprintf("%s/state.json", d);
	planted = lf_xasprintf("%s.tmp.%ld", path, (long)getpid());
	put(target, "precious\n");
	assert_int_equal(symlink(target, planted), 0);
	assert_int_equal(lf_write_file_atomic(path, "new\n", 4, 0600), 0);
	assert_int_equal(lf_write_file_atomic_nofollow(AT_FDCWD, path, "newer\n", 6, 0600, 1), 0);
	p = get(target);
	assert_string_equal(p, "precious\n");
	free(p);
	p = get(path);
	assert_string_equal(p, "newer\n");
	free(p);
	free(target);
	free(path);
	free(planted);
	rm_scratch(d);
}

/* a file written in pieces appears whole at commit; an abort leaves the
 * old one and no temporary; a link on the way is refused */
static void test_atomic_pieces(void **state)
{
	char *d = scratch(), *p;
	struct lf_atomic a;
	(void)state;

	assert_int_equal(chdir(d), 0);
	put("f", "old\n");
	assert_int_equal(lf_atomic_begin_nofollow(&a, AT_FDCWD, "f", 0600, 1), 0);
	assert_int_equal(lf_atomic_write(&a, "one ", 4), 0);
	p = get("f");
	assert_string_equal(p, "old\n"); /* not yet */
	free(p);
	assert_int_equal(lf_atomic_write(&a, "two\n", 4), 0);
	assert_int_equal(lf_atomic_commit(&a), 0);
	p = get("f");
	assert_string_equal(p, "one two\n");
	free(p);

	assert_int_equal(lf_atomic_begin_nofollow(&a, AT_FDCWD, "f", 0600, 1), 0);
	assert_int_equal(lf_atomic_write(&a, "half", 4), 0);
	lf_atomic_abort(&a);
	p = get("f");
	assert_string_equal(p, "one two\n");
	free(p);
	int n = 0;
	DIR *dir = opendir(".");
	struct dirent *e;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	assert_int_equal(n, 1); /* f alone: the temporary is gone */

	assert_int_equal(mkdir("real", 0700), 0);
	assert_int_equal(symlink("real", "link"), 0);
	assert_int_equal(lf_atomic_begin_nofollow(&a, AT_FDCWD, "link/f", 0600, 1), -ELOOP);
	assert_int_equal(chdir("/"), 0);
	rm_scratch(d);
}

/* links of one's own (or root's) on the way to a root are followed; one of
 * another user is named, behind other links too */
static void test_foreign_symlink(void **state)
{
	char *d = scratch(), *link = NULL, *p;
	long owner = 0;
	(void)state;

	assert_int_equal(chdir(d), 0);
	assert_int_equal(mkdir("real", 0700), 0);
	assert_int_equal(symlink("real", "mine"), 0);
	assert_int_equal(lf_foreign_symlink(&link, &owner, "mine"), 0);
	assert_null(link);
	assert_int_equal(lf_foreign_symlink(&link, &owner, "mine/not/yet"), 0);
	if (geteuid() == 0) {
		assert_int_equal(symlink("real", "theirs"), 0);
		assert_int_equal(lchown("theirs", 65534, 65534), 0);
		assert_int_equal(symlink("theirs", "mine2"), 0);
		assert_int_equal(lf_foreign_symlink(&link, &owner, "mine2"), 1);
		p = lf_xasprintf("%s/theirs", d);
		assert_string_equal(link, p);
		assert_int_equal(owner, 65534);
		free(p);
		free(link);
	}
	assert_int_equal(chdir("/"), 0);
	rm_scratch(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_refuses_links),
	    cmocka_unit_test(test_temporary_not_planted),
	    cmocka_unit_test(test_atomic_pieces),
	    cmocka_unit_test(test_foreign_symlink),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
