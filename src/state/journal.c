/*
 * journal.c - the append-only journal: recording intents and outcomes with
 * group commit, and replaying them when the state is loaded.
 *
 * A record is one line of compact JSON with sorted keys:
 *
 *   {"action":"create","address":"a","lineage":"L","op":"intent","record":{..},"serial":8}
 *   {"action":"create","address":"a","lineage":"L","op":"outcome","resource":{..},"serial":8}
 *   {"action":"create","address":"a","error":"...","lineage":"L","op":"failed","serial":8}
 *
 * Every record of one journal carries the same lineage and serial: the
 * serial the state has once the records are compacted into a snapshot (the
 * snapshot's serial + 1).  A record is durable when its line and newline
 * are on disk; a line without its newline, or that does not parse, at the
 * end of the file is a torn tail (the writer stopped mid-record, and so
 * never went on to the call it announced).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state_internal.h"
#include "../util/clock.h"
#include "../util/fs.h"
#include "../util/jsonout.h"
#include "../util/mem.h"

#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

/* ---- replay --------------------------------------------------------------- */

/* What is wrong with the shape of a record, or NULL. */
static const char *record_problem(json_t *rec)
{
	const char *op = json_string_value(json_object_get(rec, "op"));
	json_t *serial = json_object_get(rec, "serial");

	if (!json_is_object(rec))
		return "a record must be an object";
	if (!op || (strcmp(op, "intent") && strcmp(op, "outcome") && strcmp(op, "failed")))
		return "'op' must be \"intent\", \"outcome\" or \"failed\"";
	if (!json_string_value(json_object_get(rec, "address")) ||
	    !json_string_value(json_object_get(rec, "action")))
		return "'address' and 'action' must be strings";
	if (!json_string_value(json_object_get(rec, "lineage")) ||
	    !lf_state__lineage_valid(json_string_value(json_object_get(rec, "lineage"))))
		return "'lineage' must be a UUID";
	if (!json_is_integer(serial) || json_integer_value(serial) < 1)
		return "'serial' must be a positive integer";
	if (!strcmp(op, "outcome")) {
		json_t *r = json_object_get(rec, "resource");
		if (!r || (!json_is_null(r) && !json_is_object(r)))
			return "an outcome's 'resource' must be an object or null";
	}
	return NULL;
}

static int apply_record(struct lf_state *st, json_t *rec, struct lf_diags *d,
                        const struct lf_pos *pos)
{
	const char *op = json_string_value(json_object_get(rec, "op"));
	const char *address = json_string_value(json_object_get(rec, "address"));
	const char *action = json_string_value(json_object_get(rec, "action"));

	if (!strcmp(op, "intent")) {
		lf_state__pending_add(st, address, action, json_incref(rec));
		return 0;
	}
	/* a manifest resource's record, a refresh and the settling read of an
	 * interrupted call are outcomes without an intent of their own */
	int needs_intent =
	    strcmp(action, "record") && strcmp(action, "refresh") && strcmp(action, "read");
	if (!lf_state__pending_resolve(st, address, action) && needs_intent)
		lf_diag_warning(d, pos,
		                "%s of '%s' has no intent before it; "
		                "applied anyway",
		                op[0] == 'o' ? "outcome" : "failure", address);
	if (!strcmp(op, "outcome")) {
		json_t *obj = json_object_get(rec, "resource");
		struct lf_state_res r;

		if (json_is_null(obj)) {
			lf_state__remove(st, address);
			return 0;
		}
		if (lf_state__res_from_json(&r, obj, d, pos, "outcome") < 0)
			return -1;
		if (strcmp(r.address, address)) {
			lf_diag_error(d, pos, "outcome of '%s' records resource '%s'", address,
			              r.address);
			lf_state_res_release(&r);
			return -1;
		}
		lf_state__put_owned(st, &r);
	}
	return 0;
}

int lf_state__journal_replay(struct lf_state *st, struct lf_backend *b, struct lf_diags *d)
{
	struct lf_pos pos = {b->journal_path, 0, 1}; /* a record: its column 1 */
	char *data = NULL, *p, *end;
	size_t len, errors = d->errors, nrec = 0;
	const char *lineage = NULL;
	uint64_t serial = 0;
	json_t **recs = NULL;
	size_t nrecs = 0, recs_alloc = 0;
	int err;

	err = lf_state__read(&data, &len, b->journal_path);
	if (err == -ENOENT)
		return 0;
	if (err < 0) {
		lf_diag_file_error(d, b->journal_path, "cannot read the journal: %s",
		                   strerror(-err));
		return err;
	}
	/* parse every line first: a damaged record is a torn tail only when
	 * nothing follows it */
	end = data + len;
	for (p = data; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line_end = nl ? nl : end;
		const char *problem = NULL;
		json_t *rec;

		pos.line++;
		rec = json_loadb(p, (size_t)(line_end - p), JSON_REJECT_DUPLICATES, NULL);
		if (!rec)
			problem = "the record is not valid JSON";
		else if (!nl)
			problem = "the record has no line end";
		else
			problem = record_problem(rec);
		if (problem) {
			json_decref(rec);
			if (!nl || nl + 1 == end) {
				st->torn_tail = 1;
				lf_diag_warning(d, &pos,
				                "the journal's last record was "
				                "cut short (a run stopped while "
				                "writing it); it is ignored");
				break;
			}
			lf_diag_error(d, &pos,
			              "damaged journal record before the "
			              "last one: %s",
			              problem);
			err = LF_STATE_ECORRUPT;
			goto out;
		}
		LF_GROW(recs, nrecs + 1, recs_alloc);
		recs[nrecs++] = rec;
		p = nl + 1;
	}
	if (!nrecs)
		goto out;

	lineage = json_string_value(json_object_get(recs[0], "lineage"));
	serial = (uint64_t)json_integer_value(json_object_get(recs[0], "serial"));
	pos.line = 1;
	if (st->exists && serial <= st->serial)
		goto out; /* compacted into the snapshot already: a leftover */
	if (serial != st->serial + 1 || (st->lineage[0] && strcmp(lineage, st->lineage))) {
		lf_diag_error(d, &pos,
		              "the journal (lineage '%s', serial %llu) does "
		              "not follow the snapshot (lineage '%s', serial "
		              "%llu)",
		              lineage, (unsigned long long)serial,
		              st->lineage[0] ? st->lineage : "none",
		              (unsigned long long)st->serial);
		err = LF_STATE_ECORRUPT;
		goto out;
	}
	for (size_t i = 0; i < nrecs; i++) {
		pos.line = (unsigned)i + 1;
		if (strcmp(json_string_value(json_object_get(recs[i], "lineage")), lineage) ||
		    (uint64_t)json_integer_value(json_object_get(recs[i], "serial")) != serial) {
			lf_diag_error(d, &pos,
			              "journal record of another lineage or "
			              "serial than the records before it");
			err = LF_STATE_ECORRUPT;
			goto out;
		}
		if (apply_record(st, recs[i], d, &pos) < 0) {
			err = LF_STATE_ECORRUPT;
			goto out;
		}
		nrec++;
	}
	if (!st->lineage[0])
		memcpy(st->lineage, lineage, 37);
	st->serial = serial;
	st->journal_serial = serial;
	st->journal_records = nrec;
	st->exists = 1;
out:
	for (size_t i = 0; i < nrecs; i++)
		json_decref(recs[i]);
	free(recs);
	free(data);
	if (!err && d->errors > errors)
		err = LF_STATE_ECORRUPT;
	return err;
}

/* ---- recording ------------------------------------------------------------ */

/*
 * The first record of a run: a journal left by an earlier run is compacted
 * first, so that this run's records get a serial of their own.  `b->mu` is
 * held; no record is queued yet.
 */
static int session_open(struct lf_backend *b, struct lf_state *st)
{
	int fd, err;

	if (st->journal_records && (err = lf_state_write(b, st)) < 0)
		return err;
	if ((err = lf_state__key_for_write(st, b)) < 0)
		return err;
	if (!st->lineage[0])
		lf_state__uuid(st->lineage);
	if ((err = lf_state__mkdir(b)) < 0)
		return err;
	/* a stale journal (ignored by the load) is emptied */
	fd = lf_open_nofollow(AT_FDCWD, b->journal_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
	                      0600);
	if (fd < 0)
		return lf_state__refuse_link(b->journal_path, fd);
	/* the new file's name must survive a crash as well as its records */
	if ((err = lf_fsync_dir(b->dir)) < 0) {
		close(fd);
		return err;
	}
	b->jfd = fd;
	b->jserial = st->serial + 1;
	st->serial = b->jserial;
	st->journal_serial = b->jserial;
	st->exists = 1;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Records that need not be durable yet (a manifest resource's, or all of
 * them while deferred) are written ahead, unsynced, once this much is
 * queued: an apply of 100,000 resources queued its manifest records' 70 MB
 * between two syncs, and the buffer stayed that large to the end.  Written
 * in order, they change nothing for a crash: the next sync covers them.
 */
#define WRITE_AHEAD_BYTES (1u << 20)

/* Write everything queued, with `b->mu` released meanwhile, and sync it
 * (flush_batch()), or not (write_ahead(): a later flush_batch() makes it
 * durable with what follows it). */
static void write_queued(struct lf_backend *b, int sync)
{
	struct lf_buf batch = b->queue;
	uint64_t target = b->nqueued, n = b->nqueued - b->ndurable;
	int err;

	/* the next batch fills the buffer the last one was written from:
	 * growing a new one from nothing each time was a tenth of apply's work */
	b->queue = b->spare;
	b->spare = (struct lf_buf)LF_BUF_INIT;
	b->flushing = 1;
	pthread_mutex_unlock(&b->mu);
	err = write_all(b->jfd, batch.ptr, batch.len);
	if (!err && sync && fdatasync(b->jfd) < 0)
		err = -errno;
	pthread_mutex_lock(&b->mu);
	b->flushing = 0;
	if (err) {
		b->jerr = err;
	} else if (sync) {
		b->ndurable = target;
		b->stats.syncs++;
		b->stats.records += n;
		if (b->ops->journal_synced)
			b->ops->journal_synced(b);
	}
	pthread_cond_broadcast(&b->cv);
	lf_buf_truncate(&batch, 0);
	if (!b->spare.ptr)
		b->spare = batch;
	else
		lf_buf_release(&batch);
}

static void flush_batch(struct lf_backend *b)
{
	write_queued(b, 1);
}

static void write_ahead(struct lf_backend *b)
{
	write_queued(b, 0);
}

enum op { OP_INTENT, OP_OUTCOME, OP_FAILED };

/*
 * Append `rec` (stolen), wait until it is durable, apply it to `st`.  An
 * outcome's resource comes as text, `res_text` (formatted once by
 * lf_state__res_format(), NULL for "gone"): it is spliced into the journal
 * line as "resource" and kept as the state's record, unparsed, as a lazily
 * read snapshot keeps its records (formatting it once, instead of dumping
 * it into the line and deep-copying it into the state, halved apply's own
 * work per resource).
 */
static int append(struct lf_backend *b, struct lf_state *st, json_t *rec, enum op op,
                  const char *address, const char *action, const struct lf_state_res *result,
                  const struct lf_buf *res_text, int text_given)
{
	uint64_t mine;
	int err = 0;

	pthread_mutex_lock(&b->mu);
	if (b->jerr) {
		err = b->jerr;
		goto out;
	}
	if (b->jfd < 0 && (err = session_open(b, st)) < 0)
		goto out;
	json_object_set_new(rec, "lineage", json_string(st->lineage));
	json_object_set_new(rec, "serial", json_integer((json_int_t)b->jserial));
	if (lf_buf_add_json(&b->queue, rec, DUMP_FLAGS) < 0) {
		err = -EINVAL;
		goto out;
	}
	if (op == OP_OUTCOME) {
		/* {...} becomes {...,"resource":R} */
		lf_buf_truncate(&b->queue, b->queue.len - 1);
		lf_buf_adds(&b->queue, ",\"resource\":");
		if (res_text)
			lf_buf_add(&b->queue, res_text->ptr, res_text->len);
		else
			lf_buf_adds(&b->queue, "null");
		lf_buf_addc(&b->queue, '}');
	}
	lf_buf_addc(&b->queue, '\n');
	mine = ++b->nqueued;
	/* A manifest resource's record stands for no provider call: losing it
	 * in a crash only makes the next plan record it again.  It is not
	 * waited for; the next durable record's batch, or the snapshot,
	 * carries it (the queue is written in order, so a record that is on
	 * disk has every record before it on disk too). */
	int lazy = b->deferred || (op == OP_OUTCOME && action && !strcmp(action, "record"));
	/* group commit: whoever finds no batch in flight writes everything
	 * queued so far; the others wait for it and find their record done */
	while (!lazy && b->ndurable < mine && !b->jerr) {
		if (b->flushing)
			pthread_cond_wait(&b->cv, &b->mu);
		else
			flush_batch(b);
	}
	if (!lazy && b->ndurable < mine) {
		err = b->jerr;
		goto out;
	}
	if (lazy && !b->flushing && b->queue.len >= WRITE_AHEAD_BYTES)
		write_ahead(b);
	st->journal_records++;
	switch (op) {
	case OP_INTENT:
		lf_state__pending_add(st, address, action, json_incref(rec));
		break;
	case OP_OUTCOME:
		lf_state__pending_resolve(st, address, action);
		if (result) {
			struct lf_state_res kept;
			memset(&kept, 0, sizeof(kept));
			kept.address = lf_xstrdup(result->address);
			kept.type = lf_xstrdup(result->type);
			memcpy(kept.digest, result->digest, sizeof(kept.digest));
			kept.digest[64] = '\0';
			/* a text given is the state's now (exactly its size) */
			kept.line =
			    text_given ? res_text->ptr : lf_xstrndup(res_text->ptr, res_text->len);
			text_given = 0;
			kept.line_len = res_text->len;
			kept.line_owned = 1;
			lf_state__put_owned(st, &kept);
		} else {
			lf_state__remove(st, address);
		}
		break;
	case OP_FAILED:
		lf_state__pending_resolve(st, address, action);
		break;
	}
out:
	pthread_mutex_unlock(&b->mu);
	json_decref(rec);
	if (text_given)
		free(res_text->ptr);
	return err;
}

/* Whether the lock's lease is still proved (or there is none). */
static int lease_ok(struct lf_backend *b)
{
	long until = __atomic_load_n(&b->lease_until_ms, __ATOMIC_ACQUIRE);

	return until == 0 || (until > 0 && lf_now_ms() < until);
}

int lf_state_journal_sync(struct lf_backend *b)
{
	int err;

	/* the calls a sync lets go must run under a lock still ours */
	if (!lease_ok(b))
		return LF_STATE_ELEASE;
	pthread_mutex_lock(&b->mu);
	uint64_t want = b->nqueued;
	while (b->ndurable < want && !b->jerr) {
		if (b->flushing)
			pthread_cond_wait(&b->cv, &b->mu);
		else
			flush_batch(b);
	}
	err = b->ndurable < want ? b->jerr : 0;
	pthread_mutex_unlock(&b->mu);
	return err;
}

void lf_state_journal_defer(struct lf_backend *b, int on)
{
	if (!on)
		lf_state_journal_sync(b);
	pthread_mutex_lock(&b->mu);
	b->deferred = on;
	pthread_mutex_unlock(&b->mu);
}

/* NULL when address or action is not UTF-8 (JSON could not carry it). */
static json_t *new_record(const char *op, const char *address, const char *action)
{
	json_t *rec = json_object();

	json_object_set_new(rec, "op", json_string(op));
	if (json_object_set_new(rec, "address", json_string(address)) < 0 ||
	    json_object_set_new(rec, "action", json_string(action)) < 0) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

int lf_state_journal_intent(struct lf_backend *b, struct lf_state *st, const char *address,
                            const char *action, json_t *record)
{
	json_t *rec;

	if (!lease_ok(b))
		return LF_STATE_ELEASE;
	rec = new_record("intent", address, action);
	if (!rec)
		return -EINVAL;
	if (record) {
		/* shared, not copied: nobody changes it while pending; its
		 * sensitive inputs are sealed in a copy */
		json_t *sealed =
		    lf_state__seal_intent(b->has_key ? &b->key : NULL, address, record);
		if (!sealed) {
			json_decref(rec);
			return -EIO;
		}
		json_object_set_new(rec, "record", sealed);
	}
	return append(b, st, rec, OP_INTENT, address, action, NULL, NULL, 0);
}

/* Whether `result` can be the record at `address` (NULL: none, which can). */
static int result_ok(const struct lf_state_res *result, const char *address)
{
	return !result || (result->address && !strcmp(result->address, address) && result->type);
}

/* An outcome's journal record, `text` its formatted resource (NULL: gone),
 * whose buffer passes to the state when `given` (freed on an error). */
static int put_outcome(struct lf_backend *b, struct lf_state *st, const char *address,
                       const char *action, const struct lf_state_res *result,
                       const struct lf_buf *text, int given)
{
	json_t *rec = result_ok(result, address) ? new_record("outcome", address, action) : NULL;

	if (!rec) {
		if (given)
			free(text->ptr);
		return -EINVAL;
	}
	return append(b, st, rec, OP_OUTCOME, address, action, result, text, given);
}

int lf_state_journal_outcome(struct lf_backend *b, struct lf_state *st, const char *address,
                             const char *action, const struct lf_state_res *result)
{
	struct lf_buf text = LF_BUF_INIT;
	int err = 0;

	/* checked before it is formatted */
	if (!result_ok(result, address))
		return -EINVAL;
	if (result)
		err = lf_state_journal_format(b, result, &text);
	if (!err)
		err = put_outcome(b, st, address, action, result, result ? &text : NULL, 0);
	lf_buf_release(&text);
	return err;
}

int lf_state_journal_format(struct lf_backend *b, const struct lf_state_res *r, struct lf_buf *out)
{
	return lf_state__res_format(out, r, b->has_key ? &b->key : NULL, NULL);
}

int lf_state_journal_outcome_line(struct lf_backend *b, struct lf_state *st, const char *address,
                                  const char *action, const struct lf_state_res *result, char *line,
                                  size_t len)
{
	const struct lf_buf text = {line, len, len + 1};

	return put_outcome(b, st, address, action, result, &text, 1);
}

int lf_state_journal_failed(struct lf_backend *b, struct lf_state *st, const char *address,
                            const char *action, const char *error)
{
	json_t *rec = new_record("failed", address, action);

	if (!rec)
		return -EINVAL;
	json_object_set_new(rec, "error", json_string(error ? error : ""));
	return append(b, st, rec, OP_FAILED, address, action, NULL, NULL, 0);
}
