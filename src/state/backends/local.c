/*
 * local.c - the local backend: the state as files in a directory
 * (".lakeform" under the configuration directory), which is its own working
 * copy, locked with flock(2).
 *
 * The lock is flock(2) on .lakeform/state.lock: the kernel drops it when the
 * process ends, however it ends (SIGKILL included), and the descriptor is
 * close-on-exec so providers lakeform starts never inherit it.  The file's
 * content is the holder's description, one line of JSON written after the
 * lock is taken and truncated away before it is released, so that a second
 * writer can say who holds it.  The file itself is never removed: removing a
 * file others may have open and be waiting on would let two processes each
 * lock a different file of the same name.  A backend that keeps a working
 * copy of a remote state takes this lock on its copy first
 * (lf_local__lock()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../state_internal.h"
#include "../../util/clock.h"
#include "../../util/fs.h"

/* Waiting for a lock: 1 s, doubling, at most 16 s between attempts. */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 16000

extern const struct lf_backend_ops lf_backend_local_ops;

/* ---- settings and opening --------------------------------------------------- */

/* backend: {type: local} */
static void local_check(const json_t *conf, lf_backend_pos_fn pos, void *pos_arg,
                        struct lf_diags *d)
{
	if (json_object_size(conf) != 1) {
		struct lf_pos p = pos(pos_arg, "backend");
		lf_diag_error(d, &p, "backend: the local backend takes no settings");
	}
}

int lf_backend_local_open(struct lf_backend **out, const char *dir)
{
	*out = lf_backend__new(&lf_backend_local_ops, dir);
	return 0;
}

static int local_open(struct lf_backend **out, const json_t *conf, const char *dir,
                      lf_backend_getenv_fn getenv_fn, void *env_arg, struct lf_diags *d)
{
	int err = lf_backend_local_open(out, dir);

	if (err)
		lf_diag_error(d, NULL, "cannot open the state in '%s'", dir);
	return err;
}

/* ---- the lock ------------------------------------------------------------- */

static int read_info(int fd, struct lf_lock_info *i)
{
	char buf[2048];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	if (n <= 0) {
		memset(i, 0, sizeof(*i));
		return 0;
	}
	return lf_state__lock_parse(i, buf, (size_t)n);
}

/*
 * The holder's description.  A holder writes it just after taking the lock,
 * so an empty or half-written one is given a moment to appear.
 */
static void read_holder(int fd, struct lf_lock_info *i)
{
	for (int tries = 0; tries < 50 && !read_info(fd, i); tries++)
		lf_sleep_ms(10);
}

int lf_local__lock(struct lf_backend *b, const char *operation, long timeout_ms,
                   struct lf_lock_info *holder)
{
	struct timespec start;
	long delay = BACKOFF_FIRST_MS;
	struct lf_lock_info me;
	char *text;
	int fd, err;

	if ((err = lf_state__mkdir(b)) < 0)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &start);
	fd = lf_open_nofollow(AT_FDCWD, b->lock_path, O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		return lf_state__refuse_link(b->lock_path, fd);
	for (;;) {
		long waited;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			err = -errno;
			close(fd);
			return err;
		}
		waited = lf_ms_since(&start);
		if (waited >= timeout_ms) {
			if (holder)
				read_holder(fd, holder);
			close(fd);
			return LF_STATE_ELOCKED;
		}
		lf_sleep_ms(delay < timeout_ms - waited ? delay : timeout_ms - waited);
		delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	}
	lf_state__describe_self(b, &me, operation);
	text = lf_state__lock_text(&me);
	err = 0;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, strlen(text), 0) < 0 ||
	    pwrite(fd, "\n", 1, (off_t)strlen(text)) < 0)
		err = -errno;
	free(text);
	if (err) {
		close(fd);
		return err;
	}
	b->lock_fd = fd;
	b->lock = me;
	return 0;
}

void lf_local__unlock(struct lf_backend *b)
{
	if (b->lock_fd < 0)
		return;
	/* the description goes before the lock, so nobody ever sees a free
	 * lock described as ours */
	if (ftruncate(b->lock_fd, 0) < 0) {
		/* a stale description is harmless: the next holder rewrites it */
	}
	close(b->lock_fd);
	b->lock_fd = -1;
	memset(&b->lock, 0, sizeof(b->lock));
}

static int local_lock(struct lf_backend *b, const char *operation, long timeout_ms,
                      struct lf_lock_info *holder)
{
	return lf_local__lock(b, operation, timeout_ms, holder);
}

static int local_unlock(struct lf_backend *b)
{
	lf_local__unlock(b);
	return 0;
}

static int local_lock_read(struct lf_backend *b, struct lf_lock_info *info, int *held)
{
	int fd, has;

	fd = lf_open_nofollow(AT_FDCWD, b->lock_path, O_RDONLY, 0);
	if (fd < 0) {
		memset(info, 0, sizeof(*info));
		return fd == -ENOENT ? 0 : lf_state__refuse_link(b->lock_path, fd);
	}
	/* a shared lock that cannot be had means a live holder; taken, it is
	 * dropped at once */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			int err = -errno;
			close(fd);
			return err;
		}
		*held = 1;
		read_holder(fd, info);
		has = 1;
	} else {
		has = read_info(fd, info);
	}
	close(fd);
	return has;
}

static int local_force_unlock(struct lf_backend *b, const char *id, struct lf_diags *d)
{
	struct lf_lock_info info;
	int fd, err = 0;

	fd = lf_open_nofollow(AT_FDCWD, b->lock_path, O_RDWR, 0);
	if (fd < 0) {
		if (fd != -ENOENT) {
			err = lf_state__refuse_link(b->lock_path, fd);
			lf_diag_file_error(d, b->lock_path, "cannot open the lock: %s",
			                   lf_state_strerror(err));
			return err;
		}
		lf_diag_error(d, NULL, "the state is not locked");
		return LF_STATE_ENOLOCK;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			err = -errno;
			lf_diag_file_error(d, b->lock_path, "cannot lock: %s", strerror(errno));
			close(fd);
			return err;
		}
		read_holder(fd, &info);
		if (info.id[0] && strcmp(info.id, id)) {
			lf_diag_error(d, NULL,
			              "lock ID '%s' does not match the "
			              "lock's ID '%s'",
			              id, info.id);
			err = LF_STATE_ELOCKID;
		} else {
			lf_diag_error(d, NULL,
			              "the lock is held by process %ld (%s), "
			              "which is still running; a local lock "
			              "ends with its process",
			              info.pid, info.who[0] ? info.who : "unknown");
			err = LF_STATE_ELOCKED;
		}
		close(fd);
		return err;
	}
	if (!read_info(fd, &info)) {
		lf_diag_error(d, NULL, "the state is not locked");
		err = LF_STATE_ENOLOCK;
	} else if (strcmp(info.id, id)) {
		lf_diag_error(d, NULL, "lock ID '%s' does not match the lock's ID '%s'", id,
		              info.id);
		err = LF_STATE_ELOCKID;
	} else if (ftruncate(fd, 0) < 0 || fdatasync(fd) < 0) {
		err = -errno;
		lf_diag_file_error(d, b->lock_path, "cannot clear the lock: %s", strerror(errno));
	}
	close(fd); /* releases our flock */
	return err;
}

const struct lf_backend_ops lf_backend_local_ops = {
    .version = LF_BACKEND_OPS_VERSION,
    .usage = "{type: local}",
    .check = local_check,
    .open = local_open,
    /* the working copy is the state: nothing to pull, sync or push */
    .lock = local_lock,
    .unlock = local_unlock,
    .lock_read = local_lock_read,
    .force_unlock = local_force_unlock,
};
