/*
 * state.h - the recorded state: a snapshot plus an append-only journal.
 *
 * What lakeform has done is kept per resource, keyed by address
 * ("workspace/analytics", "storage.bucket/acme-default").  A record holds
 * the resource's type, provider, the manifest resource that produced it,
 * the digest of the inputs it was last applied with, its dependencies, the
 * inputs themselves and the attributes the provider reported.
 *
 * Layout on the local backend (DESIGN.md section 4; docs/state.md is the
 * complete description of every file):
 *
 *   .lakeform/state.json    the snapshot: one JSON document laid out as a
 *                           header line, then one line per resource sorted
 *                           by address, each starting with its address, type
 *                           and digest, so a reader can take those three with
 *                           a small scanner without parsing the rest
 *   .lakeform/journal.jsonl one record per line, each flushed (fdatasync)
 *                           before the call it describes proceeds: an intent
 *                           before every provider call, an outcome after it
 *   .lakeform/state.lock    the lock (flock) and its holder's description
 *
 * Files are created with mode 0600, the directory with 0700.
 *
 * Loading reads the snapshot and replays the journal on top of it.  A torn
 * last record (a crash while writing it) is reported and ignored; every
 * record before it counts.  An intent without an outcome is kept in
 * `pending` for the executor to resolve by reading the provider.
 *
 * Serials: a snapshot has serial S; journal records carry the serial S + 1
 * they will have once compacted, so a loaded state whose journal holds
 * records has serial S + 1.  Compaction writes a new snapshot atomically
 * (temporary file, fsync, rename, fsync of the directory) and then removes
 * the journal; a journal left behind by a crash between the two steps names
 * a serial that is not above the new snapshot's and is ignored.  A writer
 * that finds a journal left by an earlier run compacts it before appending,
 * so every run that records changes produces a serial of its own.
 *
 * Recording one change (lf_state_journal_*) costs the same whatever the
 * size of the state: one appended line and one fdatasync, shared between
 * concurrent callers (group commit), and an O(1) update of the in-memory
 * index (new records are kept apart, removed ones leave holes, until
 * lf_state_normalize()).
 *
 * Threads: lf_state_journal_*() may be called from several threads at once
 * on the same backend and state.  Every other function, lf_state_get() and
 * lf_state_res_parse() included (the index of new records may be growing),
 * needs the caller to make sure nothing else uses the state or backend
 * meanwhile: look up the records a parallel phase needs before it starts;
 * the pointers stay valid while the journal records changes, as res[] does
 * not move (a record's own contents change only with its own outcome).
 *
 * Errors: functions return 0 or a negative code, either an LF_STATE_E* value
 * below or -errno; lf_state_strerror() names either.  Where a function takes
 * a struct lf_diags, the reason is also added there, in words.
 */
#ifndef LF_STATE_STATE_H
#define LF_STATE_STATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/diag.h"

struct lf_buf;

/* The snapshot format written; a snapshot with a higher version is refused.
 * Version 2 ends every resource line with its checksum ("sum", CRC-32C of
 * the line before it) and keeps sensitive values sealed; version 1 lines
 * load as they are, are checked by parsing when copied, and are rewritten
 * as version 2 lines by the next write. */
#define LF_STATE_VERSION 2

/*
 * A key for the state's sensitive values: 32 bytes for AES-256-GCM, and its
 * id, the first 8 bytes of its SHA-256 in hex, which the snapshot's header
 * (`key_id`) and every encrypted value carry.  The front end finds it
 * (LAKEFORM_STATE_KEY, lakeform.yaml's state.encryption.key_file) and gives
 * it to the backend with lf_backend_set_key(); the state code reads no
 * environment.
 */
struct lf_state_key {
	unsigned char bytes[32];
	char id[17];
};

/* The key from its standard base64 (44 characters; white space around it
 * ignored).  0, or -EINVAL when it is not 32 bytes in base64. */
int lf_state_key_from_base64(struct lf_state_key *out, const char *text, size_t len);
/* The key from a file holding its base64.  0, -errno, or -EINVAL. */
int lf_state_key_from_file(struct lf_state_key *out, const char *path);

/*
 * One recorded resource.  Records inside a struct lf_state belong to it and
 * are read-only for callers (lf_state_res_parse() aside): change one with
 * lf_state_put().
 */
struct lf_state_res {
	char *address;     /* owned; the key */
	char *type;        /* "workspace", "storage.bucket" */
	char *provider;    /* "lakeform" for manifest resources, else the family */
	char *parent;      /* manifest address that produced it, or NULL */
	char digest[65];   /* hex digest of the applied inputs, "" when unknown */
	json_t *deps;      /* array of addresses, owned, may be NULL */
	json_t *inputs;    /* what it was applied with, owned, may be NULL */
	json_t *attrs;     /* what the provider reported, owned, may be NULL */
	json_t *sensitive; /* array of dotted paths (relative to inputs and to
			    * attrs) whose values are secret: `state show`
			    * prints "(sensitive)" for them; owned, may be NULL */
	/* Lazily parsed: when the snapshot was read lazily, `line` points at
	 * the record's raw text (`line_len` bytes, NOT NUL-terminated), only
	 * address, type and digest are set, and provider, parent and the json
	 * fields are NULL until lf_state_res_parse() fills them (and drops
	 * `line`).  The text lives in the state's read-only mapping of the
	 * snapshot file, or is owned by the record (`line_owned`) when the
	 * record was copied. */
	const char *line;
	size_t line_len;
	int line_owned;
	/* A hole: removed since the last lf_state_normalize().  Only the
	 * journal functions and lf_state_remove() leave holes; a state coming
	 * out of lf_state_load(), lf_state_write(), lf_state_push() or
	 * lf_state_normalize() has none. */
	int removed;
};

/* An intent in the journal without an outcome (a crash mid-call). */
struct lf_state_pending {
	char *address;  /* owned */
	char *action;   /* owned: "create", "update", "delete", ... */
	json_t *intent; /* the whole journal record, owned */
};

struct lf_state {
	char lineage[37];  /* a UUID; "" for a state never written */
	uint64_t serial;   /* 0 for a state never written */
	char *generator;   /* "lakeform 0.1.0" of the last writer, or NULL */
	char *fingerprint; /* digest of the inputs (lakeform's version, the
			     * schemas, the manifests) whose expansion the
			     * records are, exactly, or NULL.  Set by a writer
			     * that recorded a complete expansion; every change
			     * to the records (put, remove, push, a journal
			     * outcome) clears it.  A plan whose inputs have this
			     * digest has no changes without parsing anything. */
	char *git_commit;  /* of the manifests last applied, or NULL; set it
			     * (owned, malloc'ed) before lf_state_write() */
	/* Sorted by address.  Records added since the last normalisation are
	 * kept apart (lf_state_get() finds them, iterating res[] does not) so
	 * that res[] never moves while the journal records changes; removed
	 * records stay as holes (`removed` set).  After lf_state_load(),
	 * lf_state_write(), lf_state_push() and lf_state_normalize(), res[]
	 * holds every record and no hole. */
	struct lf_state_res *res;
	size_t nres, res_alloc;
	struct lf_state_pending *pending; /* in the order the intents were made */
	size_t npending, pending_alloc;
	int torn_tail; /* the journal's last record was cut short */
	int exists;    /* a snapshot or journal was found (or written) */
	/* Sensitive values: sealed with `key` when has_key (copied from the
	 * backend by lf_state_load()), else kept as salted digests.  key_id is
	 * the header's: the key the state's values are encrypted with, "" when
	 * none is. */
	int has_key;
	struct lf_state_key key;
	char key_id[17];

	/* private to the state code */
	void *tail; /* records added since the normalisation */
	size_t nholes;
	uint64_t journal_serial; /* serial of the journal records this state
				   * holds (replayed or written), 0 when none */
	size_t journal_records;
	int dirty;        /* changed by lf_state_put(), _remove() or
				   * _pending_drop() since the last write */
	char *path;       /* the snapshot's, for messages; NULL when not read */
	const char *text; /* the snapshot, when lazy lines point in it */
	size_t text_len;
	int text_mapped; /* mmap(2)ed, else malloc()ed */
};

#define LF_STATE_INIT       \
	{                   \
		.serial = 0 \
	}

/* Where and how the state is kept; the local backend is a directory. */
struct lf_backend;

/*
 * Open the local backend in `dir` (".lakeform" under the configuration
 * directory).  Nothing is created until something is written.  Returns 0;
 * *out is the caller's, to free with lf_backend_free() (which also releases
 * the lock and closes the journal).
 */
int lf_backend_local_open(struct lf_backend **out, const char *dir);
void lf_backend_free(struct lf_backend *b);
/* The key of the state's sensitive values (copied), or NULL for none: the
 * values are then kept as salted digests.  Set before lf_state_load(). */
void lf_backend_set_key(struct lf_backend *b, const struct lf_state_key *key);
/* 1 when the state lives elsewhere (LF_BACKEND_CAP_REMOTE), 0 when the
 * working copy is the state (the local backend). */
int lf_backend_is_remote(const struct lf_backend *b);

/* Counters of the journal of one backend: how well group commit groups. */
struct lf_journal_stats {
	uint64_t records; /* records appended and made durable */
	uint64_t syncs;   /* fdatasync calls that made them durable */
};
void lf_backend_journal_stats(const struct lf_backend *b, struct lf_journal_stats *out);

/* What a lock holder is, as the second writer sees it. */
struct lf_lock_info {
	char id[37];        /* UUID */
	char operation[32]; /* "plan", "apply", "state rm" ... */
	char who[128];      /* user@host */
	char version[32];   /* lakeform version */
	char created[32];   /* UTC, RFC 3339: "2025-01-31T12:00:00Z" */
	long pid;
	char path[256]; /* absolute path of the state file */
	char expires
	    [32]; /* a leased lock (LF_BACKEND_CAP_LEASE): when the lease ends unless renewed, or "" */
};

/*
 * Take the state lock for `operation`.  When another process holds it, wait
 * up to `timeout_ms` (0: do not wait), backing off from 1 s doubling to
 * 16 s; then return LF_STATE_ELOCKED with *holder filled in (fields "" and
 * pid 0 when the holder's description could not be read).  On success
 * *mine (may be NULL) receives the description written for this process.
 * On the local backend the lock is an flock(2) on state.lock, not inherited
 * by programs lakeform starts: it dies with the process, however it ends.
 * Taking a lock this backend already holds returns 0.
 */
int lf_state_lock(struct lf_backend *b, const char *operation, long timeout_ms,
                  struct lf_lock_info *mine, struct lf_lock_info *holder);
/* Clear the description and release the lock; 0 when it was not held. */
int lf_state_unlock(struct lf_backend *b);

/*
 * Read the lock's description without taking it.  Returns 1 when there is
 * one (*held: 1 when a live process holds the lock, 0 for a description
 * left by a process that died), 0 when there is none, or a negative code.
 */
int lf_state_lock_read(struct lf_backend *b, struct lf_lock_info *info, int *held);

/*
 * Remove a lock whose holder vanished.  `id` must match the recorded lock ID
 * (else LF_STATE_ELOCKID).  On the local backend a lock held by a live
 * process cannot be removed (LF_STATE_ELOCKED); a stale description is
 * deleted.  No lock at all is LF_STATE_ENOLOCK.  Reasons go to `d` too.
 */
int lf_state_force_unlock(struct lf_backend *b, const char *id, struct lf_diags *d);

/*
 * Load the snapshot and replay the journal into `st` (initialised with
 * LF_STATE_INIT).  With `lazy`, resource lines are kept as text with only
 * address, type and digest extracted; lf_state_res_parse() parses one on
 * demand.  Problems (a torn journal tail, a record that does not apply) go
 * to `d` as warnings; a snapshot or journal that cannot be read is an error
 * (LF_STATE_ECORRUPT, LF_STATE_EVERSION or -errno, with the reason in `d`).
 * No state at all is not an error: st->exists is 0.  A writer loads after
 * taking the lock.
 */
int lf_state_load(struct lf_state *st, struct lf_backend *b, int lazy, struct lf_diags *d);
/* Parse a lazily loaded record in place; 0 (also when already parsed) or
 * LF_STATE_ECORRUPT (its checksum does not match, or it is not a record).
 * Gives the same record a full load gives. */
int lf_state_res_parse(struct lf_state_res *r);
/* Lazily loaded record `r` parsed into a new record of its own, `r` left
 * as it is (another thread may be reading its text meanwhile); NULL when
 * `r` is not lazy or does not parse.  lf_state_res_release() and free()
 * it. */
struct lf_state_res *lf_state_res_parse_copy(const struct lf_state_res *r);
/* The same copy without its `attrs` (NULL), which are not parsed: what a
 * plan reads of a record (its inputs, what it needs), at half the cost
 * for a record whose attributes repeat its inputs (a bucket policy of
 * megabytes).  The whole line's checksum is checked all the same. */
struct lf_state_res *lf_state_res_parse_copy_inputs(const struct lf_state_res *r);
/*
 * The record's provider without parsing it: 1 with the name in `buf` (of
 * `size` bytes, NUL-terminated), 0 when the record names none.  A lazy
 * record's line is scanned for its top-level "provider" member, allocating
 * nothing; -1 when the scan cannot tell (an escaped or overlong name, a
 * line of another shape): parse the record then.  A record whose line is
 * damaged may be reported by its name here and fail lf_state_res_parse()
 * later.  Refresh uses it to skip the manifest records ("lakeform"), most
 * of a state, without parsing them.
 */
int lf_state_res_provider(const struct lf_state_res *r, char *buf, size_t size);

/*
 * The text of a lazy record's inputs and attrs, without parsing it: spans of
 * its line (valid while the state is), each NULL when the record has none
 * (or null).  Only for a line whose checksum matches, so that its text is
 * the writer's canonical JSON (keys sorted, compact: the bytes of
 * json_dumps() with JSON_SORT_KEYS | JSON_COMPACT of the parsed value); its
 * top-level members are walked and must be the record's known keys, each
 * once.  0, or -1 when the record is not lazy, its line has no checksum or
 * a wrong one, or the walk cannot tell: parse it then.  Refresh reads the
 * records that are as recorded with it.
 */
struct lf_state_raw {
	const char *inputs;
	size_t inputs_len;
	const char *attrs;
	size_t attrs_len;
};
int lf_state_res_raw(const struct lf_state_res *r, struct lf_state_raw *out);

/*
 * The recorded inputs of `r` (parsed if lazy) with its sealed values opened
 * as far as they can be, for comparing with the desired inputs `want` (may
 * be NULL): an encrypted value is decrypted with the state's key; a salted
 * digest becomes `want`'s value at the same path when that value has the
 * digest.  What cannot be opened stays sealed, and so differs from any
 * desired value.  New reference, or NULL when `r` has no inputs.
 */
json_t *lf_state_res_open_inputs(const struct lf_state *st, struct lf_state_res *r,
                                 const json_t *want);

/*
 * state rekey: re-encrypt every encrypted value of the records and of the
 * pending intents from the state's key (st->key, which must be the key the
 * header names) to `to`, encrypt values still in clear, and write the
 * state (compacting the journal).  Salted digests stay as they are.
 * *count: the values re-encrypted.  0, or a negative code (reasons in `d`).
 */
int lf_state_rekey(struct lf_backend *b, struct lf_state *st, const struct lf_state_key *to,
                   size_t *count, struct lf_diags *d);

/* Borrowed record, or NULL: binary search in res[], then a hash lookup among
 * the records added since the last normalisation. */
struct lf_state_res *lf_state_get(const struct lf_state *st, const char *address);

/*
 * Journal records, each appended and made durable before returning (callers
 * on several threads share one fdatasync), then applied to `st` in memory as
 * a load would apply them.  A new lineage is made on the first write to a
 * state that never existed.
 *
 * intent: before a provider call; `record` (borrowed, may be NULL) is kept
 *   in the journal for whoever resolves the intent after a crash.  Adds to
 *   st->pending.
 * outcome: after the call; `result` is the record as it now is (copied; its
 *   address must be `address`), NULL when the resource does not exist (it
 *   was deleted, or reading the provider found nothing).  Resolves the
 *   oldest pending intent for `address` and sets or removes the record.
 * failed: the call failed and the provider says nothing changed; resolves
 *   the pending intent and leaves the record as it was.  `error` is kept in
 *   the journal.
 *
 * After an I/O error the journal refuses every later record (the outcome of
 * a failed fdatasync is unknowable); compact with lf_state_write().
 */
int lf_state_journal_intent(struct lf_backend *b, struct lf_state *st, const char *address,
                            const char *action, json_t *record);
int lf_state_journal_outcome(struct lf_backend *b, struct lf_state *st, const char *address,
                             const char *action,
                             const struct lf_state_res *result /* NULL: gone */);
int lf_state_journal_failed(struct lf_backend *b, struct lf_state *st, const char *address,
                            const char *action, const char *error);

/*
 * Record `r` as an outcome would write it (its sensitive values sealed
 * with the backend's key), appended to `out`: for a record formatted
 * ahead of its outcome (lf_state_journal_outcome_line()).  0 or an
 * LF_STATE_E* code.
 */
int lf_state_journal_format(struct lf_backend *b, const struct lf_state_res *r, struct lf_buf *out);
/* lf_state_journal_outcome() of a record lf_state_journal_format() wrote:
 * `line` (`len` bytes, from malloc) is written as it is and becomes the
 * state's record (freed on an error); `result` gives its address, type
 * and digest. */
int lf_state_journal_outcome_line(struct lf_backend *b, struct lf_state *st, const char *address,
                                  const char *action, const struct lf_state_res *result, char *line,
                                  size_t len);

/*
 * Deferred records, for a caller that batches (apply's executor): after
 * lf_state_journal_defer(b, 1) the three calls above queue their record and
 * return at once, and lf_state_journal_sync() writes everything queued with
 * one fdatasync; 0, or the journal's error.  A caller must sync before it
 * acts on an intent.  lf_state_journal_defer(b, 0) syncs and goes back to
 * waiting for each record.
 */
void lf_state_journal_defer(struct lf_backend *b, int on);
int lf_state_journal_sync(struct lf_backend *b);

/*
 * Set or remove a record in memory (state rm, state mv, apply's results);
 * persisted by lf_state_write().  `r` is copied (json values deep-copied, a
 * lazy record's line copied as it is).  Removing an absent address returns
 * -ENOENT.  Both cost O(log n) and never move res[]: a new record is kept
 * apart until lf_state_normalize(), a removal leaves a hole.  A pointer from
 * lf_state_get() stays valid until its record is put, removed or the state
 * normalised.
 */
void lf_state_put(struct lf_state *st, const struct lf_state_res *r);
int lf_state_remove(struct lf_state *st, const char *address);

/*
 * Forget every pending intent for `address` (state rm: a forgotten resource
 * must not be brought back by settling its interrupted call).  Returns how
 * many were dropped; persisted by lf_state_write().
 */
size_t lf_state_pending_drop(struct lf_state *st, const char *address);

/* Merge the records added since into res[] and drop the holes: O(n). */
void lf_state_normalize(struct lf_state *st);

/*
 * Write the whole state as a new snapshot (atomically) and remove the
 * journal.  The new serial is serial + 1; but when the state holds journal
 * records (replayed or written) and nothing else changed it since
 * (lf_state_put(), lf_state_remove(), lf_state_pending_drop()), the
 * snapshot keeps their serial: it holds exactly what a load of snapshot
 * plus journal gave.  A serial thus always names one content.  A state
 * without a lineage gets one.  Normalises `st` first.  Returns 0 or a
 * negative code; on failure the previous snapshot and journal are intact.
 */
int lf_state_write(struct lf_backend *b, struct lf_state *st);

/*
 * The snapshot text of `st` as it stands (serial included), exactly as
 * lf_state_write() lays it out: `state pull` prints it.  Appends to `out`;
 * `st` must be normalised.  Every line copied is checked first: 0, or
 * LF_STATE_EDAMAGED for a line whose checksum does not match (or a
 * version 1 line that is not a record), lf_state_strerror() naming it.
 */
int lf_state_format(const struct lf_state *st, struct lf_buf *out);

/* The snapshot as one JSON document, new reference (lazy records parsed
 * into the document; `st` itself is not changed). */
json_t *lf_state_to_json(const struct lf_state *st);

/*
 * Replace the state with `doc` (state push; the document `state pull`
 * prints).  Refuses another lineage (LF_STATE_ELINEAGE) or a serial below
 * the current one (LF_STATE_ESERIAL) unless `force`; a document that is not
 * a valid state is LF_STATE_EINVALID, every problem in `d`.  The new
 * snapshot's serial is the document's, raised to the current serial + 1
 * when it is not above it, so that a saved plan made before the push is
 * refused.  A journal left by an earlier run is compacted first.
 */
int lf_state_push(struct lf_backend *b, struct lf_state *st, json_t *doc, int force,
                  struct lf_diags *d);

void lf_state_res_release(struct lf_state_res *r);
void lf_state_release(struct lf_state *st);

/* Digest of a JSON value: hex SHA-256 of its canonical form (keys sorted,
 * compact, as jansson prints with JSON_SORT_KEYS | JSON_COMPACT); NULL is
 * JSON null.  `out` holds 65 bytes. */
void lf_json_digest(const json_t *v, char out[65]);

enum lf_state_err {
	LF_STATE_ELOCKED = -1000,   /* another process holds the lock */
	LF_STATE_ELINEAGE = -1001,  /* push: another lineage */
	LF_STATE_ESERIAL = -1002,   /* push: an older serial */
	LF_STATE_ECORRUPT = -1003,  /* the snapshot or journal cannot be read */
	LF_STATE_EINVALID = -1004,  /* push: not a state document */
	LF_STATE_EVERSION = -1005,  /* written by a newer lakeform */
	LF_STATE_ENOLOCK = -1006,   /* force-unlock: nothing is locked */
	LF_STATE_ELOCKID = -1007,   /* force-unlock: the ID does not match */
	LF_STATE_EREMOTE = -1008,   /* the remote backend failed (lf_state_strerror says how) */
	LF_STATE_ECONFLICT = -1009, /* the remote state changed under this run */
	LF_STATE_ELEASE = -1010,    /* the lock's lease can no longer be proved */
	LF_STATE_ESYMLINK = -1011,  /* a symbolic link where lakeform writes (the text names it) */
	LF_STATE_EDAMAGED = -1012,  /* a record's text does not match its checksum
				     * (lf_state_strerror says which) */
	LF_STATE_EKEY = -1013,      /* the state is encrypted with another key, or
				     * this run has none (lf_state_strerror says) */
};

/* Text for an LF_STATE_E* code or a -errno value; static, never NULL. */
const char *lf_state_strerror(int err);

#endif
