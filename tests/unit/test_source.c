/* Unit tests for src/core/source.c's fingerprints: the content fingerprint
 * (what the manifests say, not how they are written) stays when only
 * comments, blank lines or spacing change, and moves with anything a load
 * would read differently; files with the same one load into the same
 * documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/source.h"

#define BASE                                      \
	"apiVersion: lakeform/v1\n"               \
	"kind: Catalog\n"                         \
	"metadata:\n"                             \
	"  name: sales\n"                         \
	"spec:\n"                                 \
	"  metastore: main\n"                     \
	"  comment: |\n"                          \
	"    first line\n"                        \
	"    # not a comment: part of the text\n" \
	"  tags: {owner: team, cost: \"1\"}\n"    \
	"---\n"                                   \
	"apiVersion: lakeform/v1\n"               \
	"kind: Group\n"                           \
	"metadata: {name: analysts}\n"

struct scratch {
	char root[64];
	char manifests[96];
	char schemas[96];
};

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void scratch_make(struct scratch *s)
{
	snprintf(s->root, sizeof(s->root), "/tmp/lf-source-test.XXXXXX");
	assert_non_null(mkdtemp(s->root));
	snprintf(s->manifests, sizeof(s->manifests), "%s/m", s->root);
	snprintf(s->schemas, sizeof(s->schemas), "%s/s", s->root);
	assert_int_equal(mkdir(s->manifests, 0700), 0);
	assert_int_equal(mkdir(s->schemas, 0700), 0);
	put_file(s->schemas, "Catalog.schema.json", "{\"type\": \"object\"}\n");
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void scratch_remove(struct scratch *s)
{
	assert_int_equal(nftw(s->root, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* The content fingerprint of the manifests with a.yaml holding `text`. */
static void content_of(struct scratch *s, const char *text, char out[65])
{
	put_file(s->manifests, "a.yaml", text);
	assert_int_equal(lf_source_content_fingerprint(out, s->manifests, s->schemas, "1.0.0"), 0);
}

/* The documents lf_source_load() makes of `text` (as a.yaml) are those of
 * BASE, value for value, in the same order. */
static void loads_as_base(struct scratch *s, const char *text)
{
	struct lf_source a = LF_SOURCE_INIT, b = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	put_file(s->manifests, "a.yaml", BASE);
	assert_int_equal(lf_source_load(&a, s->manifests, &d), 0);
	put_file(s->manifests, "a.yaml", text);
	assert_int_equal(lf_source_load(&b, s->manifests, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(a.ndocs, b.ndocs);
	for (size_t i = 0; i < a.ndocs; i++)
		assert_true(json_equal(a.docs[i].root, b.docs[i].root));
	lf_source_release(&a);
	lf_source_release(&b);
	lf_diags_release(&d);
}

static void test_written_differently_same_content(void **state)
{
	static const char *const same[] = {
	    /* a comment line added at the end, as the bench does */
	    BASE "# reviewed\n",
	    /* comments and blank lines at the top: every line moves */
	    "# owned by the data team\n\n# reviewed\n" BASE,
	    /* a trailing comment on a line, and spacing */
	    "apiVersion: lakeform/v1   # the only version\n"
	    "kind:   Catalog\n"
	    "metadata:\n"
	    "    name: sales\n"
	    "spec:\n"
	    "    metastore: main\n"
	    "    comment: |\n"
	    "        first line\n"
	    "        # not a comment: part of the text\n"
	    "    # a comment between two keys\n"
	    "    tags: {owner: team,   cost: \"1\"}\n"
	    "---\n"
	    "apiVersion: lakeform/v1\n"
	    "kind: Group\n"
	    "metadata: {name: analysts}\n",
	    /* a blank line at the end */
	    BASE "\n",
	    /* a flow mapping written as a block one, a flow one as blocks */
	    "apiVersion: lakeform/v1\nkind: Catalog\nmetadata:\n  name: sales\nspec:\n"
	    "  metastore: main\n  comment: |\n    first line\n"
	    "    # not a comment: part of the text\n"
	    "  tags:\n    owner: team\n    cost: \"1\"\n---\napiVersion: lakeform/v1\n"
	    "kind: Group\nmetadata:\n  name: analysts\n",
	};
	struct scratch s;
	char base[65], fp[65];
	(void)state;

	scratch_make(&s);
	content_of(&s, BASE, base);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		content_of(&s, same[i], fp);
		assert_string_equal(fp, base);
		loads_as_base(&s, same[i]);
	}
	/* the bytes' fingerprint sees every change, and both come from one
	 * reading as lf_source_fingerprint() and the content's alone do */
	struct lf_source_digests dg;
	char bytes2[65];
	put_file(s.manifests, "a.yaml", BASE "# reviewed\n");
	assert_int_equal(lf_source_digests(&dg, s.manifests, s.schemas, "1.0.0", NULL), 0);
	assert_int_equal(lf_source_fingerprint(bytes2, s.manifests, s.schemas, "1.0.0"), 0);
	assert_string_equal(dg.bytes, bytes2);
	assert_string_equal(dg.content, base);
	assert_int_equal(dg.nfiles, 1);
	assert_string_equal(dg.files[0].name, "a.yaml");
	const char *bytes = dg.bytes;
	/* the same digests from the files as lf_source_load() read them (the
	 * content's digest computed by the parse that loaded them) */
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_source_digests ld;
	struct lf_diags d = LF_DIAGS_INIT;
	/* named as lf_source_fingerprint() names them: from the directory */
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(s.manifests), 0);
	assert_int_equal(lf_source_load(&src, ".", &d), 0);
	assert_int_equal(lf_source_digests_loaded(&ld, &src, s.schemas, "1.0.0"), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(ld.bytes, dg.bytes);
	assert_string_equal(ld.content, dg.content);
	assert_int_equal(ld.nfiles, 1);
	assert_memory_equal(ld.files[0].bytes, dg.files[0].bytes, LF_SHA256_LEN);
	assert_memory_equal(ld.files[0].content, dg.files[0].content, LF_SHA256_LEN);
	lf_source_digests_release(&ld);
	lf_source_release(&src);
	/* a buffer has no content digest: none is made up for it */
	assert_int_equal(lf_source_load_buffer(&src, "a.yaml", BASE, strlen(BASE), &d), 0);
	assert_int_equal(lf_source_digests_loaded(&ld, &src, s.schemas, "1.0.0"), -EINVAL);
	lf_source_release(&src);
	lf_diags_release(&d);
	put_file(s.manifests, "a.yaml", BASE);
	assert_int_equal(lf_source_fingerprint(bytes2, s.manifests, s.schemas, "1.0.0"), 0);
	assert_string_not_equal(bytes, bytes2);
	lf_source_digests_release(&dg);
	scratch_remove(&s);
}

static void test_what_a_load_reads_moves_it(void **state)
{
	static const char *const other[] = {
	    /* a value */
	    "apiVersion: lakeform/v1\nkind: Catalog\nmetadata:\n  name: sales2\nspec:\n"
	    "  metastore: main\n  comment: |\n    first line\n"
	    "    # not a comment: part of the text\n"
	    "  tags: {owner: team, cost: \"1\"}\n---\napiVersion: lakeform/v1\nkind: Group\n"
	    "metadata: {name: analysts}\n",
	    /* a '#' line inside a block scalar is text */
	    "apiVersion: lakeform/v1\nkind: Catalog\nmetadata:\n  name: sales\nspec:\n"
	    "  metastore: main\n  comment: |\n    first line\n"
	    "    # not a comment: other text\n"
	    "  tags: {owner: team, cost: \"1\"}\n---\napiVersion: lakeform/v1\nkind: Group\n"
	    "metadata: {name: analysts}\n",
	    /* the quoted "1" (a string) written plain (an integer) */
	    "apiVersion: lakeform/v1\nkind: Catalog\nmetadata:\n  name: sales\nspec:\n"
	    "  metastore: main\n  comment: |\n    first line\n"
	    "    # not a comment: part of the text\n"
	    "  tags: {owner: team, cost: 1}\n---\napiVersion: lakeform/v1\nkind: Group\n"
	    "metadata: {name: analysts}\n",
	    /* the block scalar kept (clip) rather than stripped: one newline */
	    "apiVersion: lakeform/v1\nkind: Catalog\nmetadata:\n  name: sales\nspec:\n"
	    "  metastore: main\n  comment: |-\n    first line\n"
	    "    # not a comment: part of the text\n"
	    "  tags: {owner: team, cost: \"1\"}\n---\napiVersion: lakeform/v1\nkind: Group\n"
	    "metadata: {name: analysts}\n",
	    /* the documents split differently */
	    BASE "---\n",
	};
	struct scratch s;
	char base[65], fp[65];
	(void)state;

	scratch_make(&s);
	content_of(&s, BASE, base);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		content_of(&s, other[i], fp);
		assert_string_not_equal(fp, base);
	}
	/* lakeform's version and the schemas are part of it */
	put_file(s.manifests, "a.yaml", BASE);
	assert_int_equal(lf_source_content_fingerprint(fp, s.manifests, s.schemas, "1.0.1"), 0);
	assert_string_not_equal(fp, base);
	put_file(s.schemas, "Catalog.schema.json", "{\"type\": \"object\" }\n");
	assert_int_equal(lf_source_content_fingerprint(fp, s.manifests, s.schemas, "1.0.0"), 0);
	assert_string_not_equal(fp, base);
	put_file(s.schemas, "Catalog.schema.json", "{\"type\": \"object\"}\n");
	content_of(&s, BASE, fp);
	assert_string_equal(fp, base);
	/* and so are the files' names */
	put_file(s.manifests, "b.yaml", BASE);
	char c2[65];
	assert_int_equal(lf_source_content_fingerprint(c2, s.manifests, s.schemas, "1.0.0"), 0);
	assert_string_not_equal(c2, base);
	scratch_remove(&s);
}

static void test_no_content_fingerprint_for_what_a_load_refuses(void **state)
{
	struct scratch s;
	char fp[65];
	(void)state;

	scratch_make(&s);
	/* does not parse: a load reports it, no digest stands for it */
	put_file(s.manifests, "a.yaml", "kind: [\n");
	assert_int_equal(lf_source_content_fingerprint(fp, s.manifests, s.schemas, "1.0.0"),
	                 -EINVAL);
	put_file(s.manifests, "a.yaml", "a:\n\t- b\n");
	assert_int_equal(lf_source_content_fingerprint(fp, s.manifests, s.schemas, "1.0.0"),
	                 -EINVAL);
	/* a document over the limit counts bytes, comments included: a
	 * comment can make one too large, so it has no digest either */
	size_t big = LF_YAML_MAX_DOC_BYTES + 16;
	char *text = malloc(big + 64);
	assert_non_null(text);
	memcpy(text, "a: 1\n", 5);
	size_t n = 5;
	while (n < big) {
		memcpy(text + n, "# padding\n", 10);
		n += 10;
	}
	memcpy(text + n, "b: 2\n", 6);
	put_file(s.manifests, "a.yaml", text);
	free(text);
	assert_int_equal(lf_source_content_fingerprint(fp, s.manifests, s.schemas, "1.0.0"),
	                 -EINVAL);
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	assert_int_equal(lf_source_load(&src, s.manifests, &d), -1);
	assert_non_null(strstr(d.v[0].msg, "larger than the limit"));
	lf_source_release(&src);
	lf_diags_release(&d);
	/* not a directory */
	char file[128];
	snprintf(file, sizeof(file), "%s/a.yaml", s.manifests);
	assert_int_equal(lf_source_content_fingerprint(fp, file, s.schemas, "1.0.0"), -ENOTDIR);
	scratch_remove(&s);
}

/* lf_source_same_content(): what the files say now against what apply
 * remembered, reading again only the files whose bytes changed */
static void test_same_content_as_known(void **state)
{
	struct scratch s;
	struct lf_source_digests known;
	const char *m, *sc;
	(void)state;

	scratch_make(&s);
	m = s.manifests;
	sc = s.schemas;
	put_file(m, "a.yaml", BASE);
	put_file(m, "b.yaml", "apiVersion: lakeform/v1\nkind: Group\nmetadata: {name: b}\n");
	assert_int_equal(lf_source_digests(&known, m, sc, "1.0.0", NULL), 0);
	assert_int_equal(known.nfiles, 2);
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.0"), 1);
	/* comments and lines moved in one file */
	put_file(m, "a.yaml", "# moved\n\n" BASE "# reviewed\n");
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.0"), 1);
	/* a value in the other */
	put_file(m, "b.yaml", "apiVersion: lakeform/v1\nkind: Group\nmetadata: {name: c}\n");
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.0"), 0);
	/* a file that does not parse */
	put_file(m, "b.yaml", "kind: [\n");
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.0"), 0);
	put_file(m, "b.yaml", "apiVersion: lakeform/v1\nkind: Group\nmetadata: {name: b}\n");
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.0"), 1);
	/* another version, another schema */
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.1"), 0);
	put_file(sc, "Catalog.schema.json", "{\"type\": \"object\"}\n\n");
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.0"), 0);
	put_file(sc, "Catalog.schema.json", "{\"type\": \"object\"}\n");
	/* a file more, a file less */
	put_file(m, "c.yaml", "# nothing but a comment\n");
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.0"), 0);
	char path[160];
	snprintf(path, sizeof(path), "%s/c.yaml", m);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/b.yaml", m);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.0"), 0);
	put_file(m, "b.yaml", "apiVersion: lakeform/v1\nkind: Group\nmetadata: {name: b}\n");
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.0"), 1);
	/* a damaged record of one file's content does not pass for the
	 * content fingerprint, even when its bytes are those recorded */
	known.files[1].content[0] ^= 1;
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.0"), 0);
	known.files[1].content[0] ^= 1;
	known.files[0].bytes[0] ^= 1; /* a.yaml parsed again: still the same */
	assert_int_equal(lf_source_same_content(&known, m, sc, "1.0.0"), 1);
	known.files[0].bytes[0] ^= 1;
	/* apply's digests take, for a file whose bytes are known, the content
	 * digest known (here marked), and parse the others */
	struct lf_source_digests again;
	put_file(m, "a.yaml", BASE);
	put_file(m, "b.yaml",
	         "# changed\napiVersion: lakeform/v1\nkind: Group\nmetadata: {name: b}\n");
	known.files[0].content[5] ^= 1;
	known.files[1].content[5] ^= 1;
	assert_int_equal(lf_source_digests(&again, m, sc, "1.0.0", &known), 0);
	assert_memory_equal(again.files[0].content, known.files[0].content, LF_SHA256_LEN);
	known.files[1].content[5] ^= 1;
	assert_memory_equal(again.files[1].content, known.files[1].content, LF_SHA256_LEN);
	assert_memory_not_equal(again.files[1].bytes, known.files[1].bytes, LF_SHA256_LEN);
	lf_source_digests_release(&again);
	lf_source_digests_release(&known);
	scratch_remove(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_written_differently_same_content),
	    cmocka_unit_test(test_what_a_load_reads_moves_it),
	    cmocka_unit_test(test_no_content_fingerprint_for_what_a_load_refuses),
	    cmocka_unit_test(test_same_content_as_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
