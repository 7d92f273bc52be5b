/*
 * state_internal.h - what the state layer (state.c, journal.c, lock.c,
 * backend.c) and its backends (backends/) share and nobody else sees.
 *
 * A struct lf_backend is a working copy of the state in a directory (the
 * snapshot, the journal, the lock file), the operations of the backend that
 * keeps it (backend.h), and the backend's own data; it owns the lock and
 * the journal session (one open journal file, the group-commit queue); the
 * state owns the records.  The
 * journal session is guarded by `mu`: lf_state_journal_*() take it, and
 * while one thread writes and syncs a batch with `mu` released, the threads
 * that arrive queue their records for the next batch and wait on `cv`.
 */
#ifndef LF_STATE_STATE_INTERNAL_H
#define LF_STATE_STATE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "backend.h"
#include "state.h"
#include "../util/buf.h"
#include "../util/map.h"

#define LF_STATE_FILE "state.json"
#define LF_JOURNAL_FILE "journal.jsonl"
#define LF_LOCK_FILE "state.lock"

struct lf_backend {
	const struct lf_backend_ops *ops;
	void *impl;         /* the backend's own (ops->free frees it), or NULL */
	char *dir;          /* the working copy, as given: ".lakeform" */
	char *state_path;   /* dir/state.json, for opening and for messages */
	char *journal_path; /* dir/journal.jsonl */
	char *lock_path;    /* dir/state.lock */

	int locked;               /* between a successful ops->lock and lf_state_unlock() */
	int lock_fd;              /* the working copy's flock (lf_local__lock), or -1 */
	int sweeping;             /* `sweeper` runs lf_state__clean_leftovers() */
	pthread_t sweeper;        /* joined by lf_state_unlock(), under the lock */
	struct lf_lock_info lock; /* this run's description while locked */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	int jfd;                    /* -1 until the session's first record */
	uint64_t jserial;           /* serial the session's records carry */
	struct lf_buf queue;        /* lines waiting for the next batch */
	struct lf_buf spare;        /* the last batch's buffer, emptied */
	uint64_t nqueued, ndurable; /* records queued and made durable */
	int flushing;               /* a thread is writing a batch */
	int jerr;                   /* sticky: the first write or sync error */
	int deferred;               /* records are queued; lf_state_journal_sync() */
	/* a lock with a lease: lf_now_ms() until which it is proved, 0 for no
	 * lease, -1 once lost; past it no intent is recorded, so no call
	 * starts (atomic: the backend's renewal thread sets it) */
	long lease_until_ms;
	char *info; /* what open chose, for --verbose (lf_backend_info()), or NULL */
	lf_backend_notice_fn notice; /* lf_backend_set_notice() */
	void *notice_arg;
	struct lf_journal_stats stats;

	int has_key; /* lf_backend_set_key(): sensitive values are encrypted */
	struct lf_state_key key;
};

/* Records added since the last normalisation: stable pointers, indexed. */
struct lf_state_tail {
	struct lf_state_res **v; /* each allocated on its own */
	size_t n, alloc;
	struct lf_map index; /* address -> struct lf_state_res * */
};

/* backend.c: the working copy, and helpers for every backend */
/* A backend of `ops` with its working copy in `dir`; nothing is created. */
struct lf_backend *lf_backend__new(const struct lf_backend_ops *ops, const char *dir);
/* The words of the last LF_STATE_EREMOTE, for lf_state_strerror(). */
void lf_backend__set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *lf_backend__error(void);
/* The working copy's directory, made (0700) when missing; no symbolic link
 * is followed on the way (docs/state.md). */
int lf_state__mkdir(const struct lf_backend *b);
/* `err` of a write to `path`; -ELOOP, a link met, becomes LF_STATE_ESYMLINK
 * with words naming the link. */
int lf_state__refuse_link(const char *path, int err);
void lf_state__uuid(char out[37]);
/* "2025-01-31T12:00:00Z" for the current time. */
void lf_state__now(char out[32]);
/* Whole file into *out; -ENOENT when it does not exist. */
int lf_state__read(char **out, size_t *len, const char *path);
/* End the journal session: close the file, forget the queue and a sticky
 * error.  The caller makes sure no journal call is in flight. */
void lf_state__journal_reset(struct lf_backend *b);

/* state.c: records */
/* Fill `r` from a resource object; problems go to `d` at `pos` (the file
 * and line, or NULL), named after `what` ("resource 3").  0 or -1.  The
 * record takes references to `obj`'s values (no copies: a large policy's
 * copy showed in profiles), so the caller lets `obj` go unchanged. */
int lf_state__res_from_json(struct lf_state_res *r, const json_t *obj, struct lf_diags *d,
                            const struct lf_pos *pos, const char *what);
/* The canonical line of a record (no newline), its sensitive values sealed
 * with `k` (NULL: as salted digests) and its checksum at the end, appended
 * to `out`.  A lazy record's line is checked and copied as it is (a
 * version 1 line without a checksum is parsed and formatted anew).  0, or
 * LF_STATE_EDAMAGED (the words for lf_state_strerror() set, naming the
 * line when it is in `st`'s snapshot text; `st` may be NULL). */
int lf_state__res_format(struct lf_buf *out, const struct lf_state_res *r,
                         const struct lf_state_key *k, const struct lf_state *st);
/* The record as a JSON object, new reference (a lazy one parsed). */
json_t *lf_state__res_to_json(const struct lf_state_res *r);
/* Before a write: the backend's key into `st`, and the header's key_id
 * set from it.  LF_STATE_EKEY (words set) when the state's values are
 * encrypted and the run has no key. */
int lf_state__key_for_write(struct lf_state *st, const struct lf_backend *b);
/* Take ownership of `r`'s contents (r is left empty). */
void lf_state__put_owned(struct lf_state *st, struct lf_state_res *r);
/* lf_state_put() and lf_state_remove() as the journal applies them: the
 * state is not marked dirty (the journal records the change). */
void lf_state__put_copy(struct lf_state *st, const struct lf_state_res *r);
int lf_state__remove(struct lf_state *st, const char *address);
/* Append an unresolved intent; `intent` is stolen. */
void lf_state__pending_add(struct lf_state *st, const char *address, const char *action,
                           json_t *intent);
/* Drop the oldest pending intent for `address`, preferring one for
 * `action`; 1 when there was one. */
int lf_state__pending_resolve(struct lf_state *st, const char *address, const char *action);
int lf_state__lineage_valid(const char *s);

/* seal.c: sensitive values (docs/state.md, "Sensitive values") */
/* 1 when `v` is a sealed value ({"$encrypted": ...} or {"$sha256": ...}). */
int lf_state__is_sealed(const json_t *v);
/* Seal, with `k` (NULL: salted digests), the values of `r` at its
 * `sensitive` paths that are still in clear; inputs and attrs are replaced
 * by sealed copies (never changed in place: they may be shared).  0 or
 * -EIO. */
int lf_state__seal_res(const struct lf_state_key *k, struct lf_state_res *r);
/* An intent's record with its inputs sealed at its "sensitive" paths: new
 * reference (`record` itself when nothing needs sealing), NULL on failure. */
json_t *lf_state__seal_intent(const struct lf_state_key *k, const char *address, json_t *record);
/* Leftovers of runs that died: files NAME.tmp.PID.RANDOM (or NAME.tmp.PID) under `dir` (and its
 * subdirectories) whose PID is not a live process of this machine are
 * removed.  Called by a run that holds the lock. */
void lf_state__clean_leftovers(const char *dir);

/* lock.c */
char *lf_state__lock_text(const struct lf_lock_info *i);
int lf_state__lock_parse(struct lf_lock_info *i, const char *text, size_t len);
void lf_state__describe_self(struct lf_backend *b, struct lf_lock_info *i, const char *operation);

/* backends/local.c: the working copy's lock, an flock(2) on its lock file
 * with the holder's description in it, which the local backend is and a
 * backend with a remote lock takes first.  lf_local__lock() sets b->lock_fd
 * and b->lock; lf_local__unlock() truncates the description and drops the
 * lock (no-op when not held). */
int lf_local__lock(struct lf_backend *b, const char *operation, long timeout_ms,
                   struct lf_lock_info *holder);
void lf_local__unlock(struct lf_backend *b);

/* journal.c */
int lf_state__journal_replay(struct lf_state *st, struct lf_backend *b, struct lf_diags *d);

#endif
