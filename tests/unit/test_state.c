/* Unit tests for src/state/state.c and lock.c: snapshot, index, push, lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "state/state.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/crc32c.h"
#include "util/fs.h"
#include "util/sha256.h"

/* ---- helpers ------------------------------------------------------------- */

struct fixture {
	char root[64];
	char *dir; /* root/.lakeform */
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	snprintf(fx->root, sizeof(fx->root), "/tmp/lf-state-XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	if (asprintf(&fx->dir, "%s/.lakeform", fx->root) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	nftw(fx->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx->dir);
	free(fx);
	return 0;
}

static char *path_in(struct fixture *fx, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", fx->dir, name) < 0)
		abort();
	return p;
}

static char *slurp(const char *path)
{
	char *data = NULL;
	size_t len;

	if (lf_read_file(&data, &len, path, 1 << 30) != 0)
		return NULL;
	return data;
}

static void spit(const char *path, const char *text)
{
	assert_int_equal(lf_write_file_atomic(path, text, strlen(text), 0600), 0);
}

/* A record with every field set; `i` varies the content. */
static void make_res(struct lf_state_res *r, const char *address, int i)
{
	const char *slash = strchr(address, '/');
	char type[64];

	memset(r, 0, sizeof(*r));
	snprintf(type, sizeof(type), "%.*s", (int)(slash - address), address);
	r->address = strdup(address);
	r->type = strdup(type);
	r->provider = strdup(strchr(type, '.') ? "storage" : "lakeform");
	r->parent = i % 2 ? strdup("account/acme") : NULL;
	r->inputs = json_pack("{s:s, s:{s:i, s:[s,s], s:s}}", "name", address, "spec", "size", i,
	                      "tags", "a", "b", "note", "quote \" back \\ newline \n tab \t é");
	r->attrs = json_pack("{s:s, s:b}", "id", "x-1", "ready", 1);
	r->deps = json_pack("[s]", "account/acme");
	r->sensitive = i % 3 == 0 ? json_pack("[s]", "spec.note") : NULL;
	lf_json_digest(r->inputs, r->digest);
}

static void put_new(struct lf_state *st, const char *address, int i)
{
	struct lf_state_res r;

	make_res(&r, address, i);
	lf_state_put(st, &r);
	lf_state_res_release(&r);
}

static void assert_json_same(json_t *a, json_t *b)
{
	if (!a || !b) {
		assert_true(!a && !b);
		return;
	}
	assert_true(json_equal(a, b));
}

static void assert_str_same(const char *a, const char *b)
{
	if (!a || !b) {
		assert_true(!a && !b);
		return;
	}
	assert_string_equal(a, b);
}

static void assert_res_equal(const struct lf_state_res *a, const struct lf_state_res *b)
{
	assert_string_equal(a->address, b->address);
	assert_string_equal(a->type, b->type);
	assert_string_equal(a->digest, b->digest);
	assert_str_same(a->provider, b->provider);
	assert_str_same(a->parent, b->parent);
	assert_json_same(a->deps, b->deps);
	assert_json_same(a->inputs, b->inputs);
	assert_json_same(a->attrs, b->attrs);
	assert_json_same(a->sensitive, b->sensitive);
}

/*
 * `got` (read back) is `want` (as put): sensitive values are sealed on disk,
 * and open to the desired value they were sealed from.
 */
static void assert_res_matches(const struct lf_state *st, struct lf_state_res *got,
                               const struct lf_state_res *want)
{
	struct lf_state_res opened = *got;
	json_t *in = got->inputs ? lf_state_res_open_inputs(st, got, want->inputs) : NULL;

	opened = *got;
	opened.inputs = in;
	assert_res_equal(&opened, want);
	json_decref(in);
}

/* A line of a snapshot with its checksum, as the writer ends it. */
static char *with_sum(const char *line)
{
	char *out;
	size_t n = strlen(line) - 1; /* without its '}' */

	if (asprintf(&out, "%.*s,\"sum\":\"%08x\"}", (int)n, line, lf_crc32c(0, line, n)) < 0)
		abort();
	return out;
}

static const char *const addrs[] = {
    "workspace/analytics",
    "account/acme",
    "storage.bucket/acme-default",
    "catalog/main-use1/sales",
    "storage.prefix/acme-default/ws/analytics",
    "user/alice@acme.com",
    "group/analysts",
    "compute.network/use1-analytics",
};
#define NADDRS (sizeof(addrs) / sizeof(*addrs))

static void write_sample(struct fixture *fx, struct lf_state *out)
{
	struct lf_backend *b;
	struct lf_state st = LF_STATE_INIT;

	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	for (size_t i = 0; i < NADDRS; i++)
		put_new(&st, addrs[i], (int)i);
	assert_int_equal(lf_state_write(b, &st), 0);
	lf_backend_free(b);
	if (out)
		*out = st;
	else
		lf_state_release(&st);
}

static int load(struct fixture *fx, struct lf_state *st, int lazy, struct lf_diags *d)
{
	struct lf_backend *b;
	int err;

	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	err = lf_state_load(st, b, lazy, d);
	lf_backend_free(b);
	return err;
}

/* ---- snapshot -------------------------------------------------------------- */

static void test_no_state(void **state)
{
	struct fixture *fx = *state;
	struct lf_state st = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct stat sb;

	assert_int_equal(load(fx, &st, 1, &d), 0);
	assert_int_equal(st.exists, 0);
	assert_int_equal(st.serial, 0);
	assert_string_equal(st.lineage, "");
	assert_int_equal(st.nres, 0);
	assert_int_equal(d.n, 0);
	/* reading creates nothing */
	assert_int_equal(stat(fx->dir, &sb), -1);
	lf_state_release(&st);
}

static void test_lineage_on_first_write(void **state)
{
	struct fixture *fx = *state;
	struct lf_backend *b;
	struct lf_state st = LF_STATE_INIT, again = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	char lineage[37], *sp = path_in(fx, "state.json");
	struct stat sb;

	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	assert_int_equal(lf_state_write(b, &st), 0);
	assert_int_equal(strlen(st.lineage), 36);
	assert_int_equal(st.lineage[14], '4'); /* a version 4 UUID */
	assert_int_equal(st.serial, 1);
	assert_string_equal(st.generator, "lakeform " LF_VERSION);
	memcpy(lineage, st.lineage, 37);
	/* every write: serial + 1, the lineage kept */
	put_new(&st, "account/acme", 1);
	assert_int_equal(lf_state_write(b, &st), 0);
	assert_int_equal(st.serial, 2);
	assert_string_equal(st.lineage, lineage);
	lf_backend_free(b);

	assert_int_equal(stat(fx->dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(sp, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	assert_int_equal(load(fx, &again, 0, &d), 0);
	assert_int_equal(again.exists, 1);
	assert_int_equal(again.serial, 2);
	assert_string_equal(again.lineage, lineage);
	assert_int_equal(again.nres, 1);
	lf_state_release(&again);
	lf_state_release(&st);
	free(sp);
}

/* The exact bytes of a small snapshot: the layout is a promise to readers. */
static void test_snapshot_layout(void **state)
{
	struct fixture *fx = *state;
	struct lf_backend *b;
	struct lf_state st = LF_STATE_INIT;
	struct lf_state_res r;
	char *sp = path_in(fx, "state.json"), *text, *expect;
	json_t *doc;

	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	memset(&r, 0, sizeof(r));
	r.address = "storage.bucket/b";
	r.type = "storage.bucket";
	r.provider = "storage";
	r.inputs = json_pack("{s:i,s:s}", "z", 1, "a", "x");
	lf_json_digest(r.inputs, r.digest);
	lf_state_put(&st, &r);
	json_decref(r.inputs);
	memset(&r, 0, sizeof(r));
	r.address = "account/a\"q";
	r.type = "account";
	lf_state_put(&st, &r);
	st.git_commit = strdup("0123abc");
	assert_int_equal(lf_state_write(b, &st), 0);
	lf_backend_free(b);

	text = slurp(sp);
	assert_non_null(text);
	char *l1 =
	         with_sum("{\"address\":\"account/a\\\"q\",\"type\":\"account\",\"digest\":\"\"}"),
	     *l2, *raw;
	if (asprintf(&raw,
	             "{\"address\":\"storage.bucket/b\",\"type\":\"storage.bucket\","
	             "\"digest\":\"%s\",\"inputs\":{\"a\":\"x\",\"z\":1},"
	             "\"provider\":\"storage\"}",
	             st.res[1].digest) < 0)
		abort();
	l2 = with_sum(raw);
	if (asprintf(&expect,
	             "{\"generator\":\"lakeform %s\",\"git_commit\":\"0123abc\","
	             "\"lineage\":\"%s\",\"serial\":1,\"version\":2,\"resources\":[\n"
	             "%s,\n%s\n]}\n",
	             LF_VERSION, st.lineage, l1, l2) < 0)
		abort();
	assert_string_equal(text, expect);
	free(l1);
	free(l2);
	free(raw);
	/* and the whole file is one JSON document */
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "resources")), 2);
	json_decref(doc);
	free(expect);
	free(text);
	free(sp);
	lf_state_release(&st);
}

static void test_full_and_lazy_load(void **state)
{
	struct fixture *fx = *state;
	struct lf_state full = LF_STATE_INIT, lazy = LF_STATE_INIT, written;
	struct lf_diags d = LF_DIAGS_INIT;

	write_sample(fx, &written);
	assert_int_equal(load(fx, &full, 0, &d), 0);
	assert_int_equal(load(fx, &lazy, 1, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(full.nres, NADDRS);
	assert_int_equal(lazy.nres, NADDRS);
	for (size_t i = 0; i < NADDRS; i++) {
		struct lf_state_res *f = &full.res[i], *l = &lazy.res[i];

		/* sorted by address */
		if (i)
			assert_true(strcmp(full.res[i - 1].address, f->address) < 0);
		assert_null(f->line);
		assert_res_matches(&full, f, &written.res[i]);
		/* lazy: the three leading fields without parsing */
		assert_non_null(l->line);
		assert_string_equal(l->address, f->address);
		assert_string_equal(l->type, f->type);
		assert_string_equal(l->digest, f->digest);
		assert_null(l->inputs);
		assert_null(l->attrs);
		assert_null(l->provider);
		/* its provider scanned from the line is the parsed one */
		char pv[32];
		assert_int_equal(lf_state_res_provider(l, pv, sizeof(pv)), f->provider ? 1 : 0);
		if (f->provider)
			assert_string_equal(pv, f->provider);
		assert_int_equal(lf_state_res_parse(l), 0);
		assert_null(l->line);
		assert_res_equal(l, f);
		/* the sensitive value is sealed, never in clear */
		if (written.res[i].sensitive)
			assert_false(json_equal(l->inputs, written.res[i].inputs));
		/* a second parse is a no-op */
		assert_int_equal(lf_state_res_parse(l), 0);
		assert_res_equal(l, f);
	}
	assert_ptr_equal(lf_state_get(&lazy, "workspace/analytics"), &lazy.res[NADDRS - 1]);
	assert_null(lf_state_get(&lazy, "workspace/nope"));
	lf_state_release(&full);
	lf_state_release(&lazy);
	lf_state_release(&written);
}

/* The provider scanned from a record's line, without parsing it: the outer
 * object's member only, whatever nested objects or strings hold. */
static void test_provider_scan(void **state)
{
	struct lf_state_res r;
	char name[16];
	static const struct {
		const char *line;
		int rc;
		const char *name;
	} cases[] = {
	    {"{\"address\":\"a/b\",\"type\":\"a\",\"digest\":\"\",\"provider\":\"lakeform\"}", 1,
	     "lakeform"},
	    /* a nested "provider" key and one inside a string come first */
	    {"{\"address\":\"s/b\",\"inputs\":{\"provider\":\"lakeform\",\"x\":[{\"provider\":1}]},"
	     "\"note\":\"\\\"provider\\\":\\\"lakeform\\\"\",\"provider\":\"storage\",\"sum\":"
	     "\"0\"}",
	     1, "storage"},
	    /* white space around the colon, as a hand-edited line has it */
	    {"{\"provider\" : \"compute\"}", 1, "compute"},
	    /* no provider at the outer level (only nested), or null */
	    {"{\"address\":\"a/b\",\"inputs\":{\"provider\":\"storage\"}}", 0, NULL},
	    {"{\"address\":\"a/b\",\"provider\":null}", 0, NULL},
	    /* cannot tell: escaped or too long for the buffer, or not a line of
	     * the shape written: parse it instead */
	    {"{\"provider\":\"stor\\u0061ge\"}", -1, NULL},
	    {"{\"provider\":\"a-name-longer-than-sixteen\"}", -1, NULL},
	    {"{\"provider\":\"storage", -1, NULL},
	    {"{\"address\":\"a/b\"", -1, NULL},
	    {"[\"provider\",\"storage\"]", -1, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.line = cases[i].line;
		r.line_len = strlen(cases[i].line);
		snprintf(name, sizeof(name), "?");
		assert_int_equal(lf_state_res_provider(&r, name, sizeof(name)), cases[i].rc);
		if (cases[i].name)
			assert_string_equal(name, cases[i].name);
	}
	/* a parsed record answers from its field */
	memset(&r, 0, sizeof(r));
	assert_int_equal(lf_state_res_provider(&r, name, sizeof(name)), 0);
	r.provider = "compute";
	assert_int_equal(lf_state_res_provider(&r, name, sizeof(name)), 1);
	assert_string_equal(name, "compute");
}

/* A lazy record copied into another state owns its line: it outlives the
 * mapping of the snapshot it came from. */
static void test_copy_lazy_record(void **state)
{
	struct fixture *fx = *state;
	struct lf_state lazy = LF_STATE_INIT, full = LF_STATE_INIT;
	struct lf_state other = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_state_res *r;

	write_sample(fx, NULL);
	assert_int_equal(load(fx, &lazy, 1, &d), 0);
	assert_int_equal(load(fx, &full, 0, &d), 0);
	assert_non_null(lazy.res[3].line);
	assert_int_equal(lazy.res[3].line_owned, 0);
	lf_state_put(&other, &lazy.res[3]);
	lf_state_release(&lazy); /* unmaps the snapshot */
	r = lf_state_get(&other, full.res[3].address);
	assert_non_null(r);
	assert_non_null(r->line);
	assert_int_equal(r->line_owned, 1);
	assert_int_equal(lf_state_res_parse(r), 0);
	assert_res_equal(r, &full.res[3]);
	assert_int_equal(other.dirty, 1);
	lf_state_release(&other);
	lf_state_release(&full);
}

/* Writing a lazily loaded state copies unparsed lines as they are. */
static void test_lazy_rewrite_is_identical(void **state)
{
	struct fixture *fx = *state;
	struct lf_state lazy = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_backend *b;
	char *sp = path_in(fx, "state.json"), *before, *after, *nl1, *nl2;

	write_sample(fx, NULL);
	before = slurp(sp);
	assert_int_equal(load(fx, &lazy, 1, &d), 0);
	lf_state_res_parse(&lazy.res[2]); /* one parsed, the rest lines */
	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	assert_int_equal(lf_state_write(b, &lazy), 0);
	lf_backend_free(b);
	after = slurp(sp);
	/* everything but the header (serial 1 -> 2) is byte for byte the same */
	nl1 = strchr(before, '\n');
	nl2 = strchr(after, '\n');
	assert_string_equal(nl1, nl2);
	assert_non_null(strstr(after, "\"serial\":2,"));
	free(before);
	free(after);
	free(sp);
	lf_state_release(&lazy);
}

/* Thousands of records: lazy and full loads agree record by record. */
static void test_many_records(void **state)
{
	struct fixture *fx = *state;
	struct lf_state st = LF_STATE_INIT, lazy = LF_STATE_INIT, full = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_backend *b;
	char address[64];
	const size_t n = 3000;

	/* inserted in reverse: the tail is sorted in by the write */
	for (size_t i = n; i-- > 0;) {
		snprintf(address, sizeof(address), "storage.prefix/b/p%05zu", i);
		put_new(&st, address, (int)i);
	}
	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	assert_int_equal(lf_state_write(b, &st), 0);
	lf_backend_free(b);
	assert_int_equal(st.nres, n);
	assert_int_equal(load(fx, &lazy, 1, &d), 0);
	assert_int_equal(load(fx, &full, 0, &d), 0);
	assert_int_equal(lazy.nres, n);
	assert_int_equal(full.nres, n);
	for (size_t i = 0; i < n; i++) {
		snprintf(address, sizeof(address), "storage.prefix/b/p%05zu", i);
		assert_string_equal(lazy.res[i].address, address);
		assert_ptr_equal(lf_state_get(&lazy, address), &lazy.res[i]);
		assert_int_equal(lf_state_res_parse(&lazy.res[i]), 0);
		assert_res_equal(&lazy.res[i], &full.res[i]);
		assert_res_matches(&full, &full.res[i], &st.res[i]);
	}
	lf_state_release(&st);
	lf_state_release(&lazy);
	lf_state_release(&full);
}

/* A snapshot someone pretty-printed (jq .) still loads, whole. */
static void test_reformatted_snapshot(void **state)
{
	struct fixture *fx = *state;
	struct lf_state st = LF_STATE_INIT, written;
	struct lf_diags d = LF_DIAGS_INIT;
	char *sp = path_in(fx, "state.json"), *text, *pretty;
	json_t *doc;

	write_sample(fx, &written);
	text = slurp(sp);
	doc = json_loads(text, 0, NULL);
	pretty = json_dumps(doc, JSON_INDENT(2));
	spit(sp, pretty);
	assert_int_equal(load(fx, &st, 1, &d), 0);
	assert_int_equal(st.nres, NADDRS);
	assert_int_equal(st.serial, written.serial);
	for (size_t i = 0; i < NADDRS; i++) {
		assert_int_equal(lf_state_res_parse(&st.res[i]), 0);
		assert_res_matches(&st, &st.res[i], &written.res[i]);
	}
	json_decref(doc);
	free(pretty);
	free(text);
	free(sp);
	lf_state_release(&st);
	lf_state_release(&written);
}

/* A state without records (everything destroyed), pretty-printed: the
 * reader sorts no array at all (fuzz_state found qsort given NULL). */
static void test_reformatted_empty_snapshot(void **state)
{
	struct fixture *fx = *state;
	char *sp = path_in(fx, "state.json");

	mkdir(fx->dir, 0700);
	spit(sp, "{\"lineage\": \"0b4a34d1-6c35-4b52-9d1e-3c4a5b6c7d8e\", \"serial\": 3,\n"
	         " \"version\": 1, \"resources\": []}\n");
	for (int lazy = 0; lazy < 2; lazy++) {
		struct lf_state st = LF_STATE_INIT;
		struct lf_diags d = LF_DIAGS_INIT;

		assert_int_equal(load(fx, &st, lazy, &d), 0);
		assert_int_equal(d.n, 0);
		assert_int_equal(st.exists, 1);
		assert_int_equal(st.serial, 3);
		assert_int_equal(st.nres, 0);
		lf_state_release(&st);
	}
	free(sp);
}

static void test_corrupt_snapshots(void **state)
{
	struct fixture *fx = *state;
	char *sp = path_in(fx, "state.json"), *text;
	static const char lin[] = "0b4a34d1-6c35-4b52-9d1e-3c4a5b6c7d8e";
	struct {
		const char *text;
		int err;
		const char *msg;
	} cases[] = {
	    /* cut short: no closing line */
	    {"{\"lineage\":\"%s\",\"serial\":1,\"version\":1,\"resources\":[\n"
	     "{\"address\":\"a/b\",\"type\":\"a\",\"digest\":\"\"}\n",
	     LF_STATE_ECORRUPT, "the state ends early: no closing ']}' line"},
	    {"{\"lineage\":\"%s\",\"serial\":1,\"version\":9,\"resources\":[\n]}\n",
	     LF_STATE_EVERSION, NULL},
	    {"{\"lineage\":\"%s\",\"serial\":1,\"version\":1,\"resources\":[\n"
	     "{\"address\":\"a/b\",\"type\":\"a\",\"digest\":\"\"},\n"
	     "{\"address\":\"a/b\",\"type\":\"a\",\"digest\":\"\"}\n]}\n",
	     LF_STATE_ECORRUPT, "resource 'a/b' is recorded twice"},
	    {"{\"lineage\":\"%s\",\"serial\":1,\"version\":1,\"resources\":[\n"
	     "{\"address\":\"a/b\",\"type\":\"a\",\"digest\":\"xyz\"}\n]}\n",
	     LF_STATE_ECORRUPT, "resource: 'digest' must be 64 lowercase hex digits or empty"},
	    {"{\"lineage\":\"%s\",\"serial\":1,\"version\":1,\"resources\":[\n"
	     "{\"address\":\"a/b\",\"type\":\"a\",\"digest\":\"\",\"colour\":1}\n]}\n",
	     LF_STATE_ECORRUPT, NULL},
	    {"not json %s", LF_STATE_ECORRUPT, NULL},
	    {"{\"lineage\":\"%s\",\"serial\":-1,\"version\":1,\"resources\":[]}", LF_STATE_ECORRUPT,
	     "'serial' must be an integer of 0 or more"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct lf_state st = LF_STATE_INIT;
		struct lf_diags d = LF_DIAGS_INIT;

		mkdir(fx->dir, 0700);
		if (asprintf(&text, cases[i].text, lin) < 0)
			abort();
		spit(sp, text);
		assert_int_equal(load(fx, &st, 0, &d), cases[i].err);
		assert_true(d.errors > 0);
		if (cases[i].msg)
			assert_string_equal(d.v[0].msg, cases[i].msg);
		assert_int_equal(st.nres, 0); /* nothing half-loaded */
		lf_diags_release(&d);
		free(text);
	}
	free(sp);
}

/* ---- the index ------------------------------------------------------------ */

static void test_put_get_remove(void **state)
{
	struct lf_state st = LF_STATE_INIT;
	struct lf_state_res *r, *kept;
	(void)state;

	/* a sorted base, as a load leaves it */
	put_new(&st, "b/2", 0);
	put_new(&st, "b/4", 0);
	put_new(&st, "b/6", 0);
	lf_state_normalize(&st);
	assert_int_equal(st.nres, 3);
	kept = lf_state_get(&st, "b/4");

	/* new records are kept apart: res[] does not move */
	put_new(&st, "b/5", 1);
	put_new(&st, "b/1", 1);
	put_new(&st, "b/9", 1);
	assert_int_equal(st.nres, 3);
	assert_ptr_equal(lf_state_get(&st, "b/4"), kept);
	assert_non_null(lf_state_get(&st, "b/5"));
	assert_non_null(lf_state_get(&st, "b/1"));
	assert_null(lf_state_get(&st, "b/3"));

	/* replacing in place */
	put_new(&st, "b/4", 7);
	r = lf_state_get(&st, "b/4");
	assert_ptr_equal(r, kept);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(r->inputs, "spec"), "size")), 7);

	/* removals leave holes until normalised */
	assert_int_equal(lf_state_remove(&st, "b/6"), 0);
	assert_int_equal(lf_state_remove(&st, "b/9"), 0);
	assert_int_equal(lf_state_remove(&st, "b/6"), -ENOENT);
	assert_int_equal(lf_state_remove(&st, "b/0"), -ENOENT);
	assert_null(lf_state_get(&st, "b/6"));
	assert_null(lf_state_get(&st, "b/9"));
	/* a hole can be filled again */
	put_new(&st, "b/9", 2);
	assert_non_null(lf_state_get(&st, "b/9"));

	lf_state_normalize(&st);
	{
		static const char *const want[] = {"b/1", "b/2", "b/4", "b/5", "b/9"};
		assert_int_equal(st.nres, 5);
		for (size_t i = 0; i < 5; i++) {
			assert_string_equal(st.res[i].address, want[i]);
			assert_int_equal(st.res[i].removed, 0);
			assert_ptr_equal(lf_state_get(&st, want[i]), &st.res[i]);
		}
	}
	lf_state_release(&st);
}

/* ---- push and pull ---------------------------------------------------------- */

static json_t *doc_with(const char *lineage, int serial)
{
	return json_pack("{s:i, s:s, s:i, s:[{s:s, s:s, s:s}]}", "version", 1, "lineage", lineage,
	                 "serial", serial, "resources", "address", "account/acme", "type",
	                 "account", "digest", "");
}

static void test_push(void **state)
{
	struct fixture *fx = *state;
	struct lf_backend *b;
	struct lf_state st = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	const char *l1 = "11111111-1111-4111-8111-111111111111";
	const char *l2 = "22222222-2222-4222-8222-222222222222";
	json_t *doc;

	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	assert_int_equal(lf_state_load(&st, b, 1, &d), 0);

	/* onto nothing: taken as it is */
	doc = doc_with(l1, 5);
	assert_int_equal(lf_state_push(b, &st, doc, 0, &d), 0);
	json_decref(doc);
	assert_string_equal(st.lineage, l1);
	assert_int_equal(st.serial, 5);
	assert_int_equal(st.nres, 1);

	/* another lineage: refused, and nothing changes */
	doc = doc_with(l2, 9);
	assert_int_equal(lf_state_push(b, &st, doc, 0, &d), LF_STATE_ELINEAGE);
	assert_int_equal(d.errors, 1);
	assert_string_equal(st.lineage, l1);
	/* an older serial: refused */
	json_decref(doc);
	doc = doc_with(l1, 4);
	assert_int_equal(lf_state_push(b, &st, doc, 0, &d), LF_STATE_ESERIAL);
	assert_int_equal(d.errors, 2);
	assert_int_equal(st.serial, 5);
	/* the same serial: taken, with a serial of its own */
	json_decref(doc);
	doc = doc_with(l1, 5);
	assert_int_equal(lf_state_push(b, &st, doc, 0, &d), 0);
	assert_int_equal(st.serial, 6);
	/* forced: an older serial is raised above the current one */
	json_decref(doc);
	doc = doc_with(l1, 2);
	assert_int_equal(lf_state_push(b, &st, doc, 1, &d), 0);
	assert_int_equal(st.serial, 7);
	/* forced: another lineage */
	json_decref(doc);
	doc = doc_with(l2, 3);
	assert_int_equal(lf_state_push(b, &st, doc, 1, &d), 0);
	assert_string_equal(st.lineage, l2);
	assert_int_equal(st.serial, 8);
	json_decref(doc);
	lf_state_release(&st);
	lf_diags_release(&d);

	/* what was pushed is what a load finds */
	assert_int_equal(lf_state_load(&st, b, 0, &d), 0);
	assert_string_equal(st.lineage, l2);
	assert_int_equal(st.serial, 8);
	assert_string_equal(st.res[0].address, "account/acme");

	/* not a state: every problem listed, nothing changed */
	doc = json_pack("{s:i, s:s, s:i, s:[{s:s}, {s:s, s:s, s:i}]}", "version", 1, "lineage",
	                "nope", "serial", 9, "resources", "type", "x", "address", "a/b", "type",
	                "a", "digest", 3);
	assert_int_equal(lf_state_push(b, &st, doc, 1, &d), LF_STATE_EINVALID);
	assert_int_equal(d.errors, 3);
	assert_string_equal(d.v[0].msg, "'lineage' must be a UUID");
	assert_string_equal(d.v[1].msg, "resources[0]: 'address' is missing");
	assert_string_equal(d.v[2].msg, "resources[1] 'a/b': 'digest' must be 64 "
	                                "lowercase hex digits or empty");
	assert_int_equal(st.serial, 8);
	json_decref(doc);
	lf_diags_release(&d);
	lf_state_release(&st);
	lf_backend_free(b);
}

/* pull's text (lf_state_format) and lf_state_to_json agree, and push takes
 * pull's output back unchanged. */
static void test_pull_push_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct lf_state st = LF_STATE_INIT, again = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_buf text = LF_BUF_INIT;
	struct lf_backend *b;
	json_t *parsed, *built;

	write_sample(fx, NULL);
	assert_int_equal(load(fx, &st, 1, &d), 0);
	assert_int_equal(lf_state_format(&st, &text), 0);
	parsed = json_loads(text.ptr, 0, NULL);
	built = lf_state_to_json(&st);
	assert_non_null(parsed);
	/* the same document but the lines' checksums */
	json_t *pr = json_deep_copy(parsed), *e;
	size_t k;
	json_array_foreach (json_object_get(pr, "resources"), k, e) {
		assert_non_null(json_object_get(e, "sum"));
		json_object_del(e, "sum");
	}
	assert_true(json_equal(pr, built));
	json_decref(pr);

	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	assert_int_equal(lf_state_push(b, &st, parsed, 0, &d), 0);
	assert_int_equal(st.serial, 2);
	lf_backend_free(b);
	assert_int_equal(load(fx, &again, 0, &d), 0);
	assert_int_equal(again.nres, NADDRS);
	for (size_t i = 0; i < NADDRS; i++) {
		assert_int_equal(lf_state_res_parse(&st.res[i]), 0);
		assert_res_equal(&again.res[i], &st.res[i]);
	}
	json_decref(parsed);
	json_decref(built);
	lf_buf_release(&text);
	lf_state_release(&st);
	lf_state_release(&again);
}

/* ---- integrity: a checksum per line ------------------------------------------ */

static void test_crc32c(void **state)
{
	(void)state;
	/* the check value of CRC-32C (RFC 3720, B.4) */
	assert_int_equal(lf_crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(lf_crc32c(lf_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
	assert_int_equal(lf_crc32c(0, "", 0), 0);
}

/* Replace `from` by `to` in line `line` of the snapshot. */
static void damage(struct fixture *fx, int line, const char *from, const char *to)
{
	char *sp = path_in(fx, "state.json"), *text = slurp(sp), *p = text;
	struct lf_buf out = LF_BUF_INIT;

	for (int i = 1; i < line; i++)
		p = strchr(p, '\n') + 1;
	char *at = strstr(p, from);
	assert_non_null(at);
	assert_true(at < strchr(p, '\n'));
	lf_buf_add(&out, text, (size_t)(at - text));
	lf_buf_adds(&out, to);
	lf_buf_adds(&out, at + strlen(from));
	spit(sp, out.ptr);
	lf_buf_release(&out);
	free(text);
	free(sp);
}

static void test_damaged_line(void **state)
{
	struct fixture *fx = *state;
	struct lf_state st = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	write_sample(fx, NULL);
	/* no longer JSON after address, type and digest: lazy or not */
	damage(fx, 3, "\"inputs\":{", "\"inputs\":{{");
	for (int lazy = 0; lazy < 2; lazy++) {
		assert_int_equal(load(fx, &st, lazy, &d), LF_STATE_ECORRUPT);
		assert_int_equal(d.errors, 1);
		assert_non_null(strstr(d.v[0].file, "/.lakeform/state.json"));
		assert_int_equal(d.v[0].line, 3);
		assert_non_null(strstr(d.v[0].msg, "checksum does not match"));
		lf_diags_release(&d);
		lf_state_release(&st);
	}
	/* still JSON, one byte of a value changed */
	damage(fx, 3, "\"inputs\":{{", "\"inputs\":{");
	damage(fx, 4, "\"ready\":true", "\"ready\":fals");
	assert_int_equal(load(fx, &st, 1, &d), LF_STATE_ECORRUPT);
	assert_int_equal(d.v[0].line, 4);
	lf_diags_release(&d);
	lf_state_release(&st);
}

/* A line changed after the lazy load (in place, which lakeform never does)
 * is found when it is copied into the next snapshot. */
static void test_damaged_line_found_on_write(void **state)
{
	struct fixture *fx = *state;
	struct lf_state st = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_backend *b;
	char *sp = path_in(fx, "state.json"), *text;

	write_sample(fx, NULL);
	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	assert_int_equal(lf_state_load(&st, b, 1, &d), 0);
	text = slurp(sp);
	char *at = strstr(strchr(strchr(text, '\n') + 1, '\n') + 1, "x-1");
	FILE *f = fopen(sp, "r+");
	assert_non_null(f);
	fseek(f, at - text, SEEK_SET);
	fputs("y-1", f);
	fclose(f);
	st.dirty = 1;
	assert_int_equal(lf_state_write(b, &st), LF_STATE_EDAMAGED);
	assert_non_null(strstr(lf_state_strerror(LF_STATE_EDAMAGED), "state.json:3: the record"));
	/* the snapshot was not replaced */
	char *after = slurp(sp);
	assert_non_null(strstr(after, "y-1"));
	free(after);
	free(text);
	free(sp);
	lf_state_release(&st);
	lf_backend_free(b);
}

/* A version 1 snapshot (no checksums) loads; a write checks its lines by
 * parsing them and writes them with checksums. */
static void test_version_1_snapshot(void **state)
{
	struct fixture *fx = *state;
	struct lf_state st = LF_STATE_INIT, again = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_backend *b;
	char *sp = path_in(fx, "state.json");

	assert_int_equal(mkdir(fx->dir, 0700), 0);
	spit(sp,
	     "{\"generator\":\"lakeform 0.1.0\",\"git_commit\":null,"
	     "\"lineage\":\"6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f\",\"serial\":3,\"version\":1,"
	     "\"resources\":[\n"
	     "{\"address\":\"account/acme\",\"type\":\"account\",\"digest\":\"\","
	     "\"provider\":\"lakeform\"},\n"
	     "{\"address\":\"serviceprincipal/bot\",\"type\":\"serviceprincipal\",\"digest\":\"\","
	     "\"inputs\":{\"spec\":{\"client_secret\":\"s3cr3t\"}},\"provider\":\"lakeform\","
	     "\"sensitive\":[\"spec.client_secret\"]}\n"
	     "]}\n");
	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	assert_int_equal(lf_state_load(&st, b, 1, &d), 0);
	assert_int_equal(st.nres, 2);
	assert_int_equal(lf_state_write(b, &st), 0);
	char *text = slurp(sp);
	assert_non_null(strstr(text, "\"version\":2"));
	assert_null(strstr(text, "s3cr3t")); /* sealed on the way */
	assert_int_equal(load(fx, &again, 1, &d), 0);
	assert_int_equal(d.errors, 0);
	free(text);
	free(sp);
	lf_state_release(&st);
	lf_state_release(&again);
	lf_backend_free(b);
}

/* ---- sensitive values ------------------------------------------------------------ */

static void make_secret(struct lf_state_res *r, const char *secret)
{
	memset(r, 0, sizeof(*r));
	r->address = "serviceprincipal/bot";
	r->type = "serviceprincipal";
	r->provider = "lakeform";
	r->inputs = json_pack("{s:{s:s}, s:{s:s, s:s}}", "metadata", "name", "bot", "spec",
	                      "client_secret", secret, "display_name", "Bot");
	r->sensitive = json_pack("[s]", "spec.client_secret");
	lf_json_digest(r->inputs, r->digest);
}

static void key_of(struct lf_state_key *k, const char *b64)
{
	assert_int_equal(lf_state_key_from_base64(k, b64, strlen(b64)), 0);
}

#define K1 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define K2 "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="

/* Write one secret record with `key` (NULL: none); 0 or the error. */
static int write_secret(struct fixture *fx, const struct lf_state_key *key, const char *secret)
{
	struct lf_backend *b;
	struct lf_state st = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_state_res r;
	int err;

	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	lf_backend_set_key(b, key);
	err = lf_state_load(&st, b, 1, &d);
	if (!err) {
		make_secret(&r, secret);
		lf_state_put(&st, &r);
		json_decref(r.inputs);
		json_decref(r.sensitive);
		err = lf_state_write(b, &st);
	}
	lf_diags_release(&d);
	lf_state_release(&st);
	lf_backend_free(b);
	return err;
}

/* The recorded inputs opened with `key`, against the desired `secret`
 * (NULL: against nothing). */
static json_t *opened(struct fixture *fx, const struct lf_state_key *key, const char *secret,
                      int *err)
{
	struct lf_backend *b;
	struct lf_state st = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_state_res want;
	json_t *in = NULL;

	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	lf_backend_set_key(b, key);
	*err = lf_state_load(&st, b, 1, &d);
	if (!*err) {
		make_secret(&want, secret ? secret : "");
		in = lf_state_res_open_inputs(&st, lf_state_get(&st, "serviceprincipal/bot"),
		                              secret ? want.inputs : NULL);
		json_decref(want.inputs);
		json_decref(want.sensitive);
	}
	lf_diags_release(&d);
	lf_state_release(&st);
	lf_backend_free(b);
	return in;
}

static const char *secret_in(json_t *in)
{
	return json_string_value(json_object_get(json_object_get(in, "spec"), "client_secret"));
}

static void test_secret_digest_only(void **state)
{
	struct fixture *fx = *state;
	char *sp = path_in(fx, "state.json"), *text;
	int err;

	assert_int_equal(write_secret(fx, NULL, "hunter2"), 0);
	text = slurp(sp);
	assert_null(strstr(text, "hunter2"));
	assert_non_null(strstr(text, "\"client_secret\":{\"$sha256\":\""));
	assert_null(strstr(text, "key_id"));
	/* the same secret opens to itself: no difference */
	json_t *in = opened(fx, NULL, "hunter2", &err);
	assert_int_equal(err, 0);
	assert_string_equal(secret_in(in), "hunter2");
	json_decref(in);
	/* another one does not */
	in = opened(fx, NULL, "hunter3", &err);
	assert_int_equal(err, 0);
	assert_non_null(secret_in(in));
	assert_string_not_equal(secret_in(in), "hunter3");
	json_decref(in);
	free(text);
	free(sp);
}

static void test_secret_encrypted_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct lf_state_key k1, k2;
	char *sp = path_in(fx, "state.json"), *text;
	int err;

	key_of(&k1, K1);
	key_of(&k2, K2);
	assert_string_equal(k1.id, "3eb1bd439947eb76");
	assert_int_equal(write_secret(fx, &k1, "hunter2"), 0);
	text = slurp(sp);
	assert_null(strstr(text, "hunter2"));
	assert_non_null(strstr(text, "\"key_id\":\"3eb1bd439947eb76\""));
	assert_non_null(strstr(text, "\"client_secret\":{\"$encrypted\":\"3eb1bd439947eb76:"));
	/* decrypted, with no desired value to compare with */
	json_t *in = opened(fx, &k1, NULL, &err);
	assert_int_equal(err, 0);
	assert_string_equal(secret_in(in), "hunter2");
	json_decref(in);
	/* the wrong key is refused at load */
	in = opened(fx, &k2, NULL, &err);
	assert_int_equal(err, LF_STATE_EKEY);
	assert_null(in);
	/* no key: readable (the value stays sealed), not writable */
	in = opened(fx, NULL, NULL, &err);
	assert_int_equal(err, 0);
	assert_string_not_equal(secret_in(in), "hunter2");
	json_decref(in);
	assert_int_equal(write_secret(fx, NULL, "hunter2"), LF_STATE_EKEY);
	assert_non_null(strstr(lf_state_strerror(LF_STATE_EKEY), "3eb1bd439947eb76"));
	/* a base64 that is not 32 bytes is not a key */
	assert_int_equal(lf_state_key_from_base64(&k2, "c2hvcnQ=", 8), -EINVAL);
	free(text);
	free(sp);
}

static void test_rekey(void **state)
{
	struct fixture *fx = *state;
	struct lf_state_key k1, k2;
	struct lf_backend *b;
	struct lf_state st = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	size_t n = 0;
	int err;

	key_of(&k1, K1);
	key_of(&k2, K2);
	assert_int_equal(write_secret(fx, &k1, "hunter2"), 0);
	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	lf_backend_set_key(b, &k1);
	assert_int_equal(lf_state_load(&st, b, 1, &d), 0);
	assert_int_equal(lf_state_rekey(b, &st, &k2, &n, &d), 0);
	assert_int_equal(n, 1);
	lf_state_release(&st);
	lf_backend_free(b);
	json_t *in = opened(fx, &k2, NULL, &err);
	assert_int_equal(err, 0);
	assert_string_equal(secret_in(in), "hunter2");
	json_decref(in);
	assert_null(opened(fx, &k1, NULL, &err));
	assert_int_equal(err, LF_STATE_EKEY);
}

/* The journal holds sealed values too: an outcome's record and an intent's
 * inputs at its "sensitive" paths. */
static void test_journal_sealed(void **state)
{
	struct fixture *fx = *state;
	struct lf_backend *b;
	struct lf_state st = LF_STATE_INIT;
	struct lf_state_res r;
	char *jp = path_in(fx, "journal.jsonl"), *text;

	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	make_secret(&r, "hunter2");
	json_t *intent = json_pack("{s:O, s:O}", "inputs", r.inputs, "sensitive", r.sensitive);
	assert_int_equal(lf_state_journal_intent(b, &st, r.address, "create", intent), 0);
	/* the caller's record is not changed */
	assert_string_equal(secret_in(json_object_get(intent, "inputs")), "hunter2");
	assert_int_equal(lf_state_journal_outcome(b, &st, r.address, "create", &r), 0);
	text = slurp(jp);
	assert_non_null(strstr(text, "\"op\":\"intent\""));
	assert_non_null(strstr(text, "\"op\":\"outcome\""));
	assert_null(strstr(text, "hunter2"));
	json_decref(intent);
	json_decref(r.inputs);
	json_decref(r.sensitive);
	free(text);
	free(jp);
	lf_state_release(&st);
	lf_backend_free(b);
}

/* ---- digests ------------------------------------------------------------------ */

static void test_json_digest(void **state)
{
	json_t *a = json_loads("{\"b\":1,\"a\":[true,null,\"\\u00e9\"]}", 0, NULL);
	json_t *b = json_loads("{ \"a\" : [true, null, \"\xc3\xa9\"], \"b\" : 1 }", 0, NULL);
	const char canon[] = "{\"a\":[true,null,\"\xc3\xa9\"],\"b\":1}";
	unsigned char md[32];
	char da[65], db[65], want[65];
	(void)state;

	lf_json_digest(a, da);
	lf_json_digest(b, db);
	lf_sha256(md, canon, strlen(canon));
	lf_sha256_hex(want, md);
	assert_string_equal(da, want);
	assert_string_equal(db, want);
	lf_json_digest(NULL, da);
	lf_sha256(md, "null", 4);
	lf_sha256_hex(want, md);
	assert_string_equal(da, want);
	json_decref(a);
	json_decref(b);
}

/* ---- the lock ------------------------------------------------------------------ */

/* Child: take the lock, say so on `ready`, then wait to be killed. */
static void hold_lock_until_killed(const char *dir, int ready)
{
	struct lf_backend *b;
	struct lf_lock_info mine;
	char c = 'x';

	lf_backend_local_open(&b, dir);
	if (lf_state_lock(b, "apply", 0, &mine, NULL) != 0)
		_exit(2);
	if (write(ready, &c, 1) != 1)
		_exit(3);
	for (;;)
		pause();
}

static void test_lock_contention(void **state)
{
	struct fixture *fx = *state;
	struct lf_backend *b;
	struct lf_lock_info mine, holder, seen;
	struct lf_diags d = LF_DIAGS_INIT;
	int fds[2], status, held;
	pid_t pid;
	char c;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		hold_lock_until_killed(fx->dir, fds[1]);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);

	/* the second writer fails at once, with the holder's description */
	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	assert_int_equal(lf_state_lock(b, "state rm", 0, &mine, &holder), LF_STATE_ELOCKED);
	assert_int_equal(holder.pid, pid);
	assert_string_equal(holder.operation, "apply");
	assert_string_equal(holder.version, LF_VERSION);
	assert_int_equal(strlen(holder.id), 36);
	assert_non_null(strchr(holder.who, '@'));
	assert_int_equal(strlen(holder.created), 20);
	assert_int_equal(holder.created[19], 'Z');
	assert_non_null(strstr(holder.path, "/.lakeform/state.json"));
	assert_int_equal(lf_state_lock_read(b, &seen, &held), 1);
	assert_int_equal(held, 1);
	assert_string_equal(seen.id, holder.id);

	/* force-unlock cannot take a live process's lock */
	assert_int_equal(lf_state_force_unlock(b, holder.id, &d), LF_STATE_ELOCKED);
	assert_int_equal(lf_state_force_unlock(b, "not-it", &d), LF_STATE_ELOCKID);

	/* SIGKILL: no cleanup runs, yet the kernel drops the flock */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	/* the dead holder's description is still there, but nobody holds it */
	assert_int_equal(lf_state_lock_read(b, &seen, &held), 1);
	assert_int_equal(held, 0);
	assert_string_equal(seen.id, holder.id);

	assert_int_equal(lf_state_lock(b, "state rm", 0, &mine, &holder), 0);
	assert_int_equal(mine.pid, getpid());
	assert_string_equal(mine.operation, "state rm");
	assert_string_not_equal(mine.id, seen.id);
	/* taking it again from the same backend is fine */
	assert_int_equal(lf_state_lock(b, "state rm", 0, &seen, NULL), 0);
	assert_string_equal(seen.id, mine.id);
	assert_int_equal(lf_state_unlock(b), 0);
	assert_int_equal(lf_state_lock_read(b, &seen, &held), 0);
	assert_int_equal(held, 0);
	lf_backend_free(b);
	lf_diags_release(&d);
}

/* The lock waits count whole milliseconds from the nanoseconds: when
 * lf_ms_since() says N ms have passed, N ms have passed (differences of two
 * readings each cut to the millisecond come out up to 1 ms early). */
static void test_ms_since_never_early(void **state)
{
	(void)state;
	for (int i = 0; i < 200; i++) {
		struct timespec t0, t1;
		long long ns;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (lf_ms_since(&t0) < 2)
			;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
		assert_true(ns >= 2000000LL);
	}
}

/* A holder that exits normally; the waiter gets the lock within the backoff. */
static void test_lock_wait(void **state)
{
	struct fixture *fx = *state;
	struct lf_backend *b;
	struct lf_lock_info mine, holder;
	struct timespec t0;
	int fds[2], status;
	pid_t pid;
	char c;
	long ms;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct lf_backend *cb;
		close(fds[0]);
		lf_backend_local_open(&cb, fx->dir);
		if (lf_state_lock(cb, "apply", 0, NULL, NULL) != 0)
			_exit(2);
		if (write(fds[1], "x", 1) != 1)
			_exit(3);
		usleep(4000 * 1000);
		_exit(0); /* the flock goes with the process */
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);

	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	/* a timeout too short for the holder: attempts at 0 and 1 s, then a
	 * wait cut to the timeout, not to the next attempt at 3 s (1.4 s of
	 * slack between the two, for a loaded machine) */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(lf_state_lock(b, "state mv", 1500, &mine, &holder), LF_STATE_ELOCKED);
	ms = lf_ms_since(&t0);
	print_message("gave up after %ld ms\n", ms);
	assert_true(ms >= 1500 && ms < 2900);
	assert_int_equal(holder.pid, pid);
	/* attempts 0, 1 s and 3 s later: the holder (4 s) is gone by the
	 * third, and the lock is taken well before the timeout */
	assert_int_equal(lf_state_lock(b, "state mv", 10000, &mine, &holder), 0);
	ms = lf_ms_since(&t0);
	print_message("taken after %ld ms\n", ms);
	assert_true(ms >= 4000 && ms < 11500);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	lf_backend_free(b); /* releases it */
}

static void test_force_unlock_stale(void **state)
{
	struct fixture *fx = *state;
	struct lf_backend *b;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_lock_info info;
	char *lp = path_in(fx, "state.lock");
	int held;

	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	assert_int_equal(lf_state_force_unlock(b, "x", &d), LF_STATE_ENOLOCK);
	mkdir(fx->dir, 0700);
	/* what a holder killed before it could clean up leaves behind */
	spit(lp, "{\"created\":\"2025-01-01T00:00:00Z\",\"id\":\"abc\","
	         "\"operation\":\"apply\",\"path\":\"/x/state.json\",\"pid\":1,"
	         "\"version\":\"0.1.0\",\"who\":\"a@b\"}\n");
	assert_int_equal(lf_state_lock_read(b, &info, &held), 1);
	assert_int_equal(held, 0);
	assert_string_equal(info.who, "a@b");
	assert_int_equal(lf_state_force_unlock(b, "abd", &d), LF_STATE_ELOCKID);
	assert_string_equal(d.v[d.n - 1].msg, "lock ID 'abd' does not match the lock's ID 'abc'");
	assert_int_equal(lf_state_force_unlock(b, "abc", &d), 0);
	assert_int_equal(lf_state_lock_read(b, &info, &held), 0);
	assert_int_equal(lf_state_force_unlock(b, "abc", &d), LF_STATE_ENOLOCK);
	lf_backend_free(b);
	lf_diags_release(&d);
	free(lp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_no_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lineage_on_first_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snapshot_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_and_lazy_load, setup, teardown),
	    cmocka_unit_test(test_provider_scan),
	    cmocka_unit_test_setup_teardown(test_reformatted_empty_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_lazy_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lazy_rewrite_is_identical, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reformatted_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_snapshots, setup, teardown),
	    cmocka_unit_test(test_put_get_remove),
	    cmocka_unit_test_setup_teardown(test_push, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pull_push_roundtrip, setup, teardown),
	    cmocka_unit_test(test_json_digest),
	    cmocka_unit_test(test_crc32c),
	    cmocka_unit_test_setup_teardown(test_damaged_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_line_found_on_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_version_1_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_digest_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_encrypted_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rekey, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_journal_sealed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_contention, setup, teardown),
	    cmocka_unit_test(test_ms_since_never_early),
	    cmocka_unit_test_setup_teardown(test_lock_wait, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_force_unlock_stale, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
