/* Unit tests for src/state/journal.c: recording, replay, recovery, group commit,
 * deferred records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/state.h"
#include "util/buf.h"
#include "util/fs.h"

struct fixture {
	char root[64];
	char *dir;     /* root/.lakeform */
	char *journal; /* dir/journal.jsonl */
	char *snapshot;
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	snprintf(fx->root, sizeof(fx->root), "/tmp/lf-journal-XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	if (asprintf(&fx->dir, "%s/.lakeform", fx->root) < 0 ||
	    asprintf(&fx->journal, "%s/journal.jsonl", fx->dir) < 0 ||
	    asprintf(&fx->snapshot, "%s/state.json", fx->dir) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	nftw(fx->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx->dir);
	free(fx->journal);
	free(fx->snapshot);
	free(fx);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	size_t n;

	if (lf_read_file(&data, &n, path, 1 << 30) != 0)
		return NULL;
	if (len)
		*len = n;
	return data;
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* A session: a backend and the state loaded from it. */
struct session {
	struct lf_backend *b;
	struct lf_state st;
	struct lf_diags d;
};

static void open_session(struct fixture *fx, struct session *s, int lazy)
{
	struct lf_diags fresh = LF_DIAGS_INIT;
	struct lf_state empty = LF_STATE_INIT;

	s->d = fresh;
	s->st = empty;
	assert_int_equal(lf_backend_local_open(&s->b, fx->dir), 0);
	assert_int_equal(lf_state_load(&s->st, s->b, lazy, &s->d), 0);
}

static void close_session(struct session *s)
{
	lf_state_release(&s->st);
	lf_backend_free(s->b);
	lf_diags_release(&s->d);
}

static void make_res(struct lf_state_res *r, const char *address, int size)
{
	memset(r, 0, sizeof(*r));
	r->address = strdup(address);
	r->type = strdup("storage.bucket");
	r->provider = strdup("storage");
	r->inputs = json_pack("{s:s, s:i}", "name", address, "size", size);
	r->attrs = json_pack("{s:s}", "arn", "arn:x");
	lf_json_digest(r->inputs, r->digest);
}

/* intent + outcome for a create or update */
static void apply_one(struct session *s, const char *address, const char *action, int size)
{
	struct lf_state_res r;
	json_t *planned = json_pack("{s:i}", "size", size);

	make_res(&r, address, size);
	assert_int_equal(lf_state_journal_intent(s->b, &s->st, address, action, planned), 0);
	assert_int_equal(lf_state_journal_outcome(s->b, &s->st, address, action, &r), 0);
	lf_state_res_release(&r);
	json_decref(planned);
}

static int size_of(const struct lf_state *st, const char *address)
{
	struct lf_state_res *r = lf_state_get(st, address);

	assert_non_null(r);
	assert_int_equal(lf_state_res_parse(r), 0);
	return (int)json_integer_value(json_object_get(r->inputs, "size"));
}

/* ---- recording and replay -------------------------------------------------- */

static void test_record_and_replay(void **state)
{
	struct fixture *fx = *state;
	struct session s, t;
	char lineage[37];
	struct stat sb;

	open_session(fx, &s, 1);
	apply_one(&s, "storage.bucket/a", "create", 1);
	/* the first record made the lineage, and the journal is serial 1 */
	assert_int_equal(strlen(s.st.lineage), 36);
	assert_int_equal(s.st.serial, 1);
	memcpy(lineage, s.st.lineage, 37);
	apply_one(&s, "storage.bucket/b", "create", 2);
	apply_one(&s, "storage.bucket/a", "update", 3);
	assert_int_equal(lf_state_journal_intent(s.b, &s.st, "storage.bucket/b", "delete", NULL),
	                 0);
	assert_int_equal(lf_state_journal_outcome(s.b, &s.st, "storage.bucket/b", "delete", NULL),
	                 0);
	assert_int_equal(s.st.npending, 0);
	assert_int_equal(size_of(&s.st, "storage.bucket/a"), 3);
	assert_null(lf_state_get(&s.st, "storage.bucket/b"));
	close_session(&s);

	/* no snapshot: the journal alone is the state */
	assert_int_equal(stat(fx->snapshot, &sb), -1);
	assert_int_equal(stat(fx->journal, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	open_session(fx, &t, 1);
	assert_int_equal(t.d.n, 0);
	assert_int_equal(t.st.exists, 1);
	assert_string_equal(t.st.lineage, lineage);
	assert_int_equal(t.st.serial, 1);
	assert_int_equal(t.st.nres, 1);
	assert_int_equal(t.st.npending, 0);
	assert_int_equal(t.st.torn_tail, 0);
	assert_int_equal(size_of(&t.st, "storage.bucket/a"), 3);
	close_session(&t);
}

/* An intent without an outcome: the crash came during the provider call. */
static void test_pending_intent(void **state)
{
	struct fixture *fx = *state;
	struct session s;
	json_t *planned = json_pack("{s:i}", "size", 9);

	open_session(fx, &s, 1);
	apply_one(&s, "storage.bucket/a", "create", 1);
	assert_int_equal(lf_state_journal_intent(s.b, &s.st, "storage.bucket/a", "update", planned),
	                 0);
	assert_int_equal(
	    lf_state_journal_intent(s.b, &s.st, "storage.bucket/new", "create", planned), 0);
	assert_int_equal(s.st.npending, 2);
	close_session(&s); /* no outcomes: as if killed */

	open_session(fx, &s, 1);
	assert_int_equal(s.st.npending, 2);
	assert_string_equal(s.st.pending[0].address, "storage.bucket/a");
	assert_string_equal(s.st.pending[0].action, "update");
	assert_true(json_equal(json_object_get(s.st.pending[0].intent, "record"), planned));
	assert_string_equal(json_string_value(json_object_get(s.st.pending[0].intent, "op")),
	                    "intent");
	assert_string_equal(s.st.pending[1].address, "storage.bucket/new");
	/* the records are as before the calls */
	assert_int_equal(size_of(&s.st, "storage.bucket/a"), 1);
	assert_null(lf_state_get(&s.st, "storage.bucket/new"));

	/* the executor settles them after reading the providers: the update
	 * did not happen, the create did */
	{
		struct lf_state_res r;
		make_res(&r, "storage.bucket/new", 9);
		assert_int_equal(lf_state_journal_failed(s.b, &s.st, "storage.bucket/a", "update",
		                                         "not applied"),
		                 0);
		assert_int_equal(
		    lf_state_journal_outcome(s.b, &s.st, "storage.bucket/new", "create", &r), 0);
		lf_state_res_release(&r);
	}
	assert_int_equal(s.st.npending, 0);
	close_session(&s);

	open_session(fx, &s, 0);
	assert_int_equal(s.st.npending, 0);
	assert_int_equal(size_of(&s.st, "storage.bucket/a"), 1);
	assert_int_equal(size_of(&s.st, "storage.bucket/new"), 9);
	assert_int_equal(s.d.n, 0);
	close_session(&s);
	json_decref(planned);
}

/*
 * The journal cut short at every byte offset of its last record: everything
 * before it is recovered and the torn tail is reported, whatever the offset.
 * Done for a last record that is an outcome and for one that is an intent.
 */
static void torn_at_every_offset(struct fixture *fx, int last_is_intent)
{
	struct session s;
	char *full, *before;
	size_t len, start;
	struct lf_state_res r;

	open_session(fx, &s, 1);
	apply_one(&s, "storage.bucket/a", "create", 1);
	apply_one(&s, "storage.bucket/b", "create", 2);
	assert_int_equal(lf_state_journal_intent(s.b, &s.st, "storage.bucket/c", "create", NULL),
	                 0);
	before = slurp(fx->journal, &start);
	make_res(&r, "storage.bucket/c", 3);
	if (last_is_intent)
		assert_int_equal(
		    lf_state_journal_intent(s.b, &s.st, "storage.bucket/a", "delete", NULL), 0);
	else
		assert_int_equal(
		    lf_state_journal_outcome(s.b, &s.st, "storage.bucket/c", "create", &r), 0);
	lf_state_res_release(&r);
	close_session(&s);
	full = slurp(fx->journal, &len);
	assert_memory_equal(full, before, start);
	assert_true(len > start + 50);

	for (size_t cut = start; cut <= len; cut++) {
		struct session t;
		int torn = cut > start && cut < len;

		spit(fx->journal, full, cut);
		open_session(fx, &t, 1);
		assert_int_equal(t.st.torn_tail, torn);
		assert_int_equal(t.d.errors, 0);
		assert_int_equal(t.d.warnings, torn);
		if (torn) {
			assert_int_equal(t.d.v[0].line, 6);
			assert_string_equal(t.d.v[0].msg,
			                    "the journal's last record was cut short (a "
			                    "run stopped while writing it); it is ignored");
		}
		/* everything before the last record, always */
		assert_int_equal(size_of(&t.st, "storage.bucket/a"), 1);
		assert_int_equal(size_of(&t.st, "storage.bucket/b"), 2);
		assert_int_equal(t.st.serial, 1);
		if (cut < len || last_is_intent) {
			assert_null(lf_state_get(&t.st, "storage.bucket/c"));
			assert_int_equal(t.st.npending, 1 + (cut == len));
			assert_string_equal(t.st.pending[0].address, "storage.bucket/c");
		} else {
			assert_int_equal(size_of(&t.st, "storage.bucket/c"), 3);
			assert_int_equal(t.st.npending, 0);
		}
		assert_int_equal(t.st.nres, 2 + (cut == len && !last_is_intent));
		close_session(&t);
	}

	/* a writer after a torn tail drops it (after compacting) and goes on */
	spit(fx->journal, full, len - 3);
	open_session(fx, &s, 1);
	assert_int_equal(s.st.torn_tail, 1);
	apply_one(&s, "storage.bucket/d", "create", 4);
	assert_int_equal(s.st.serial, 2);
	close_session(&s);
	open_session(fx, &s, 1);
	assert_int_equal(s.d.n, 0);
	assert_int_equal(s.st.torn_tail, 0);
	assert_int_equal(s.st.serial, 2);
	assert_int_equal(s.st.nres, 3);
	assert_int_equal(s.st.npending, 1); /* c's create, still unresolved */
	close_session(&s);
	free(full);
	free(before);
}

static void test_torn_tail_outcome(void **state)
{
	torn_at_every_offset(*state, 0);
}

static void test_torn_tail_intent(void **state)
{
	torn_at_every_offset(*state, 1);
}

/* A damaged record with records after it is not a torn tail: an error. */
static void test_damaged_middle(void **state)
{
	struct fixture *fx = *state;
	struct session s;
	struct lf_backend *b;
	struct lf_state st = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	char *full, *nl;
	size_t len;

	open_session(fx, &s, 1);
	apply_one(&s, "storage.bucket/a", "create", 1);
	close_session(&s);
	full = slurp(fx->journal, &len);
	nl = strchr(full, '\n');
	nl[-1] = 'X'; /* the first record's closing brace */
	spit(fx->journal, full, len);
	assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
	assert_int_equal(lf_state_load(&st, b, 1, &d), LF_STATE_ECORRUPT);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.v[0].line, 1);
	assert_string_equal(d.v[0].msg, "damaged journal record before the last "
	                                "one: the record is not valid JSON");
	lf_backend_free(b);
	lf_diags_release(&d);
	free(full);
}

/* ---- compaction and serials ------------------------------------------------- */

static void test_serials(void **state)
{
	struct fixture *fx = *state;
	struct session s;

	open_session(fx, &s, 1);
	assert_int_equal(lf_state_write(s.b, &s.st), 0);
	assert_int_equal(s.st.serial, 1);
	assert_int_equal(lf_state_write(s.b, &s.st), 0);
	assert_int_equal(s.st.serial, 2);
	/* the journal's records are serial 3, and so is their compaction */
	apply_one(&s, "storage.bucket/a", "create", 1);
	assert_int_equal(s.st.serial, 3);
	apply_one(&s, "storage.bucket/b", "create", 1);
	assert_int_equal(s.st.serial, 3);
	assert_int_equal(lf_state_write(s.b, &s.st), 0);
	assert_int_equal(s.st.serial, 3);
	assert_int_equal(access(fx->journal, F_OK), -1);
	/* the next records: serial 4 */
	apply_one(&s, "storage.bucket/c", "create", 1);
	assert_int_equal(s.st.serial, 4);
	close_session(&s);

	open_session(fx, &s, 1);
	assert_int_equal(s.st.serial, 4);
	assert_int_equal(s.st.nres, 3);
	/* a run that finds a journal from an earlier run compacts it before
	 * its own first record: serial 4 becomes a snapshot, the new records
	 * are serial 5 */
	apply_one(&s, "storage.bucket/d", "create", 1);
	assert_int_equal(s.st.serial, 5);
	close_session(&s);
	open_session(fx, &s, 1);
	assert_int_equal(s.st.serial, 5);
	assert_int_equal(s.st.nres, 4);
	close_session(&s);
	{
		char *snap = slurp(fx->snapshot, NULL);
		assert_non_null(strstr(snap, "\"serial\":4,"));
		free(snap);
	}

	/* serial 6 is the journal's: compacting it alone keeps 6, but a
	 * change beside it (state rm after a crash) gets a serial of its own,
	 * so that serial 6 never names two contents */
	open_session(fx, &s, 1);
	apply_one(&s, "storage.bucket/e", "create", 1);
	assert_int_equal(s.st.serial, 6);
	close_session(&s);
	open_session(fx, &s, 1);
	assert_int_equal(s.st.serial, 6);
	assert_int_equal(lf_state_remove(&s.st, "storage.bucket/e"), 0);
	assert_int_equal(lf_state_write(s.b, &s.st), 0);
	assert_int_equal(s.st.serial, 7);
	close_session(&s);
	open_session(fx, &s, 1);
	assert_int_equal(s.st.serial, 7);
	assert_null(lf_state_get(&s.st, "storage.bucket/e"));
	close_session(&s);
}

/*
 * A crash between the new snapshot's rename and the journal's removal leaves
 * the journal behind; its serial is not above the snapshot's, so it is
 * ignored (its changes are in the snapshot, and must not apply twice).
 */
static void test_stale_journal_after_compaction(void **state)
{
	struct fixture *fx = *state;
	struct session s;
	char *journal;
	size_t len;

	open_session(fx, &s, 1);
	apply_one(&s, "storage.bucket/a", "create", 1);
	assert_int_equal(lf_state_journal_intent(s.b, &s.st, "storage.bucket/b", "create", NULL),
	                 0);
	assert_int_equal(lf_state_journal_outcome(s.b, &s.st, "storage.bucket/a", "delete", NULL),
	                 0);
	assert_int_equal(lf_state_journal_intent(s.b, &s.st, "storage.bucket/z", "create", NULL),
	                 0);
	journal = slurp(fx->journal, &len);
	assert_int_equal(lf_state_write(s.b, &s.st), 0);
	assert_int_equal(s.st.serial, 1);
	close_session(&s);
	assert_int_equal(access(fx->journal, F_OK), -1);

	/* the crash: the journal is back */
	spit(fx->journal, journal, len);
	open_session(fx, &s, 1);
	assert_int_equal(s.d.n, 0);
	assert_int_equal(s.st.serial, 1);
	assert_int_equal(s.st.journal_records, 0);
	assert_int_equal(s.st.nres, 0);
	/* the pending intents came from the snapshot, once each */
	assert_int_equal(s.st.npending, 2);
	assert_string_equal(s.st.pending[0].address, "storage.bucket/b");
	assert_string_equal(s.st.pending[1].address, "storage.bucket/z");
	/* the next record starts a fresh journal (serial 2) over the stale one */
	assert_int_equal(
	    lf_state_journal_failed(s.b, &s.st, "storage.bucket/b", "create", "refused"), 0);
	close_session(&s);
	open_session(fx, &s, 1);
	assert_int_equal(s.d.n, 0);
	assert_int_equal(s.st.serial, 2);
	assert_int_equal(s.st.npending, 1);
	assert_string_equal(s.st.pending[0].address, "storage.bucket/z");
	close_session(&s);
	free(journal);
}

/* A journal that does not continue the snapshot is an error, not a guess. */
static void test_journal_not_following(void **state)
{
	struct fixture *fx = *state;
	struct session s;
	struct lf_backend *b;
	struct lf_diags d = LF_DIAGS_INIT;
	char *journal, *other, *p;
	size_t len;

	open_session(fx, &s, 1);
	apply_one(&s, "storage.bucket/a", "create", 1);
	close_session(&s);
	journal = slurp(fx->journal, &len);
	/* serial 1 -> 7: records for a snapshot that is not there */
	other = strdup(journal);
	while ((p = strstr(other, "\"serial\":1}")))
		p[9] = '7';
	spit(fx->journal, other, len);
	{
		struct lf_state st = LF_STATE_INIT;
		assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
		assert_int_equal(lf_state_load(&st, b, 1, &d), LF_STATE_ECORRUPT);
		assert_int_equal(d.errors, 1);
		assert_non_null(strstr(d.v[0].msg, "does not follow the snapshot"));
		lf_backend_free(b);
	}
	/* another lineage over a snapshot */
	spit(fx->journal, journal, len);
	open_session(fx, &s, 1);
	assert_int_equal(lf_state_write(s.b, &s.st), 0); /* snapshot serial 1 */
	close_session(&s);
	free(other);
	other = strdup(journal);
	p = strstr(other, "\"serial\":1}");
	while (p) {
		p[9] = '2';
		p = strstr(p, "\"serial\":1}");
	}
	p = other;
	while ((p = strstr(p, "\"lineage\":\""))) {
		p[11] = p[11] == 'f' ? '0' : 'f';
		p += 11;
	}
	spit(fx->journal, other, len);
	{
		struct lf_state st = LF_STATE_INIT;
		assert_int_equal(lf_backend_local_open(&b, fx->dir), 0);
		assert_int_equal(lf_state_load(&st, b, 1, &d), LF_STATE_ECORRUPT);
		assert_int_equal(d.errors, 2);
		assert_non_null(strstr(d.v[1].msg, "does not follow the snapshot"));
		lf_backend_free(b);
	}
	lf_diags_release(&d);
	free(journal);
	free(other);
}

/* ---- group commit -------------------------------------------------------------- */

#define NTHREADS 8
#define PER_THREAD 150

struct worker {
	struct session *s;
	pthread_barrier_t *go;
	int id, err;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(w->go);
	for (int i = 0; i < PER_THREAD && !w->err; i++) {
		char address[64];
		struct lf_state_res r;

		snprintf(address, sizeof(address), "storage.bucket/t%d-%03d", w->id, i);
		make_res(&r, address, i);
		w->err = lf_state_journal_intent(w->s->b, &w->s->st, address, "create", NULL);
		if (!w->err)
			w->err =
			    lf_state_journal_outcome(w->s->b, &w->s->st, address, "create", &r);
		lf_state_res_release(&r);
	}
	return NULL;
}

static void test_group_commit(void **state)
{
	struct fixture *fx = *state;
	struct session s;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	pthread_barrier_t go;
	struct lf_journal_stats stats;

	open_session(fx, &s, 1);
	apply_one(&s, "storage.bucket/first", "create", 1); /* opens the journal */
	pthread_barrier_init(&go, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){&s, &go, i, 0};
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].err, 0);
	}
	pthread_barrier_destroy(&go);
	lf_backend_journal_stats(s.b, &stats);
	assert_int_equal(stats.records, 2 + 2 * NTHREADS * PER_THREAD);
	/* threads that arrived while a sync was in flight shared the next one */
	assert_true(stats.syncs < stats.records);
	print_message("group commit: %llu records, %llu fdatasync calls\n",
	              (unsigned long long)stats.records, (unsigned long long)stats.syncs);
	assert_int_equal(s.st.npending, 0);
	close_session(&s);

	/* every record made it, in one piece */
	open_session(fx, &s, 1);
	assert_int_equal(s.d.n, 0);
	assert_int_equal(s.st.nres, 1 + NTHREADS * PER_THREAD);
	assert_int_equal(s.st.npending, 0);
	assert_int_equal(size_of(&s.st, "storage.bucket/t7-149"), 149);
	close_session(&s);
}

/* Deferred records (apply's executor): queued, nothing on disk, until one
 * sync writes them all; the state in memory has them at once. */
static void test_deferred(void **state)
{
	struct fixture *fx = *state;
	struct session s;
	struct lf_journal_stats before, after;
	size_t len = 0;

	open_session(fx, &s, 1);
	apply_one(&s, "storage.bucket/first", "create", 1); /* opens the journal */
	char *text = slurp(fx->journal, &len);
	assert_non_null(text);
	free(text);
	size_t on_disk = len;
	lf_backend_journal_stats(s.b, &before);

	lf_state_journal_defer(s.b, 1);
	for (int i = 0; i < 10; i++) {
		char address[64];
		snprintf(address, sizeof(address), "storage.bucket/d%d", i);
		apply_one(&s, address, "create", 100 + i);
	}
	/* in memory already: the records, and no intent left pending */
	assert_int_equal(size_of(&s.st, "storage.bucket/d9"), 109);
	assert_int_equal(s.st.npending, 0);
	/* not on disk yet */
	text = slurp(fx->journal, &len);
	free(text);
	assert_int_equal(len, on_disk);

	assert_int_equal(lf_state_journal_sync(s.b), 0);
	lf_backend_journal_stats(s.b, &after);
	assert_int_equal(after.records - before.records, 20);
	assert_int_equal(after.syncs - before.syncs, 1); /* one fdatasync for 20 */
	text = slurp(fx->journal, &len);
	free(text);
	assert_true(len > on_disk);
	assert_int_equal(lf_state_journal_sync(s.b), 0); /* nothing queued: nothing done */
	lf_backend_journal_stats(s.b, &before);
	assert_int_equal(before.syncs, after.syncs);

	/* back to waiting: a record is on disk when the call returns */
	lf_state_journal_defer(s.b, 0);
	apply_one(&s, "storage.bucket/last", "create", 7);
	lf_backend_journal_stats(s.b, &after);
	assert_int_equal(after.syncs - before.syncs, 2);
	close_session(&s);

	/* a new session replays every record from the journal */
	open_session(fx, &s, 1);
	assert_int_equal(s.d.n, 0);
	assert_int_equal(s.st.nres, 12);
	assert_int_equal(size_of(&s.st, "storage.bucket/d3"), 103);
	assert_int_equal(size_of(&s.st, "storage.bucket/last"), 7);
	close_session(&s);
}

/* A record formatted ahead (lf_state_journal_format()) and written by
 * lf_state_journal_outcome_line(): the journal line and the state's record
 * are those lf_state_journal_outcome() writes; its text is the state's
 * (ASan: not leaked, not freed twice), and is freed on an error. */
static void test_outcome_line(void **state)
{
	struct fixture *fx = *state;
	struct session s;
	struct lf_state_res r;
	struct lf_buf text = LF_BUF_INIT;
	size_t len = 0;

	open_session(fx, &s, 1);
	make_res(&r, "storage.bucket/by-value", 5);
	assert_int_equal(lf_state_journal_outcome(s.b, &s.st, r.address, "record", &r), 0);
	lf_state_res_release(&r);
	assert_int_equal(lf_state_journal_sync(s.b), 0);
	char *by_value = slurp(fx->journal, &len);
	assert_non_null(by_value);
	close_session(&s);
	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	open_session(fx, &s, 1);
	make_res(&r, "storage.bucket/by-value", 5);
	assert_int_equal(lf_state_journal_format(s.b, &r, &text), 0);
	char *line = strndup(text.ptr, text.len);
	/* refused: another address (the text freed) */
	char *other = strndup(text.ptr, text.len);
	assert_int_equal(lf_state_journal_outcome_line(s.b, &s.st, "storage.bucket/x", "record", &r,
	                                               other, text.len),
	                 -EINVAL);
	assert_int_equal(
	    lf_state_journal_outcome_line(s.b, &s.st, r.address, "record", &r, line, text.len), 0);
	lf_state_res_release(&r);
	assert_int_equal(lf_state_journal_sync(s.b), 0);
	size_t len2 = 0;
	char *by_line = slurp(fx->journal, &len2);
	assert_non_null(by_line);
	/* the same record; the lineage (a new state's) differs */
	const char *a = strstr(by_value, "\"resource\":"), *b = strstr(by_line, "\"resource\":");
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	assert_int_equal(size_of(&s.st, "storage.bucket/by-value"), 5);
	close_session(&s);
	/* replayed from the journal as well */
	open_session(fx, &s, 1);
	assert_int_equal(size_of(&s.st, "storage.bucket/by-value"), 5);
	close_session(&s);
	lf_buf_release(&text);
	free(by_value);
	free(by_line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_record_and_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pending_intent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_tail_outcome, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_tail_intent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_middle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_serials, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_journal_after_compaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_journal_not_following, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deferred, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outcome_line, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
