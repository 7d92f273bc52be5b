/*
 * lfp_files.h - helpers for providers that keep their objects in files, as
 * the embedded local providers do: parameters, JSON records written
 * crash-safely, the ownership labels of docs/providers.md, and the shapes
 * of read's answer.  Errors go to the call with lfp_error().
 */
#ifndef LFP_FILES_H
#define LFP_FILES_H

#include <jansson.h>
#include <stddef.h>

#include "lfp.h"

/* strerror() of a negative errno, into `buf`. */
const char *lfp_errstr(int err, char *buf, size_t n);
/* Fail the call for a file system error on `path`; returns -1. */
int lfp_fs_error(struct lfp_call *call, int err, const char *path);

/* The string member `key` of `o`, or NULL (borrowed). */
const char *lfp_get_str(const json_t *o, const char *key);
/* Like lfp_get_str(), failing the call (1003) when it is missing. 0 or -1. */
int lfp_need_str(struct lfp_call *call, const json_t *o, const char *key, const char **out);

/*
 * Read a JSON record: 0 with *out (new reference), 1 when the file does
 * not exist (*out NULL), -1 after lfp_error().
 */
int lfp_load_json(struct lfp_call *call, const char *path, json_t **out);
/* The same, `name` relative to the directory open at `dirfd`; `path` is
 * what the errors call it (the walks of list, which open each directory
 * once instead of looking up each path from the root). */
int lfp_load_json_at(struct lfp_call *call, int dirfd, const char *name, const char *path,
                     json_t **out);
/* The same, only the record's member `key` decoded (the others skipped
 * unread): *out is an object holding that member alone, or none when the
 * record has no such member.  For a check that needs a small part of a
 * large record (a bucket policy's ownership labels, beside megabytes of
 * statements); a record the scan cannot read that way is decoded whole. */
int lfp_load_json_member(struct lfp_call *call, const char *path, const char *key, json_t **out);
/* Write a JSON record atomically (temporary file, fsync, rename). 0 or -1. */
int lfp_save_json(struct lfp_call *call, const char *path, const json_t *v);
/* mkdir -p, mode 0700; 0 or -errno. */
int lfp_mkdir_p(const char *path);

/*
 * The labels an object for `address` carries: inputs.labels with
 * lakeform/address and lakeform/account filled in; NULL after lfp_error()
 * when the inputs name another address or account.
 */
json_t *lfp_labels_for(struct lfp_call *call, const char *address, const json_t *inputs);

/*
 * The user's tags of the inputs (inputs.tags, an object of strings whose
 * keys are not lakeform's: no `lakeform/` or `lakeform:` prefix).  A new
 * object, empty when the inputs have none, or NULL after lfp_error().
 */
json_t *lfp_tags_for(struct lfp_call *call, const json_t *inputs);

/* Set `tags` on `record` as "tags", or remove "tags" when it is empty. */
void lfp_tags_record(json_t *record, const json_t *tags);
/* 1 when `record`'s labels say it belongs to `address` of this account. */
int lfp_owned_by(struct lfp_call *call, const json_t *record, const char *address);
/* The lakeform/address a record carries, or NULL. */
const char *lfp_owner_of(const json_t *record);

/*
 * For list: append {id, address, attributes} to `objects` when the
 * attributes' labels name an address and the configured account (an
 * object of another account, or without labels, is not listed).  Steals
 * `attributes`; returns 1 when added, else 0.
 */
int lfp_list_add(struct lfp_call *call, json_t *objects, const char *id, json_t *attributes);

/*
 * list's params: 0 when they say "attributes": false (the caller needs
 * only each object's id and address: lakeform's drift and refresh), else 1.
 * Then lfp_list_add_id() appends {id, address} when `record`'s labels
 * (borrowed; the stored record, whose labels the attributes carry) name an
 * address and the configured account; returns 1 when added, else 0.
 */
int lfp_list_attributes(const json_t *params);
int lfp_list_add_id(struct lfp_call *call, json_t *objects, const char *id, const json_t *record);

/* read's answers: {exists: true, id, attributes} (attributes stolen) and
 * {exists: false}. */
json_t *lfp_read_found(const char *id, json_t *attributes);
json_t *lfp_read_missing(void);
/* The answer of a callback that serves both create and update: {id,
 * attributes} when `id` is given (create), {attributes} when it is NULL
 * (update); `attributes` borrowed. */
json_t *lfp_write_answer(const char *id, json_t *attributes);

/*
 * Whether files are fsynced (setting `durable`, default true).  Off, a
 * write is still atomic for a crash of the process, but a power loss may
 * lose the last objects; the next plan's refresh then finds them missing
 * and creates them again.
 */
extern int lfp_durable;
/* lf_fsync_dir() when durable, else nothing. */
int lfp_fsync_dir(const char *dir);

/*
 * Syncs put off until the root's lock is let go, so that changes made under
 * the lock one after the other are made durable together: lfp_syncs_run()
 * is a group commit (one syncfs for every call that reached it meanwhile).
 * The call is answered only after lfp_syncs_run().  Nothing is recorded when
 * not durable.
 */
#define LFP_MAX_SYNCS 72
struct lfp_syncs {
	char *paths[LFP_MAX_SYNCS];
	size_t n;
};
void lfp_syncs_add(struct lfp_syncs *s, const char *path);
/* lfp_save_json() without its fsyncs: the file and its directory go to `s`. */
int lfp_save_json_deferred(struct lfp_call *call, const char *path, const json_t *v,
                           struct lfp_syncs *s);
/* Make every path of `s` durable (group commit, above); 0 or -1. */
int lfp_syncs_run(struct lfp_call *call, struct lfp_syncs *s);
void lfp_syncs_release(struct lfp_syncs *s);

/*
 * The settings of a provider whose only setting is "root", the directory
 * its objects live under: sets *root (owned; free the old one).  Settings
 * must be an object or null; unknown ones are logged and ignored.  0, or
 * -1 after lfp_error().
 */
int lfp_configure_root(struct lfp_call *call, const json_t *settings, char **root);

/*
 * Take the exclusive flock on ROOT/NAME (made with ROOT when missing),
 * trying every 10 ms until 100 ms before the call's deadline (then 1004,
 * retryable).  The calls of one process take it one at a time, waiting in
 * line for each other (not polling), on a descriptor the process keeps
 * open.  0 with *fd, or -1 after lfp_error() (*fd -1).
 */
int lfp_lock_root(struct lfp_call *call, const char *root, const char *name, int *fd);

/*
 * A storage.policy's `statements`: an array of {principal, access: read or
 * write, path}; `path_ok` judges each path (returns 1, or 0 after
 * lfp_error()).  0, or -1 after lfp_error().
 */
int lfp_check_statements(struct lfp_call *call, const json_t *statements,
                         int (*path_ok)(struct lfp_call *call, const char *path));

/* Release a lock lfp_lock_root() gave as `fd` (-1: nothing). */
void lfp_unlock_root(int fd);

#endif
