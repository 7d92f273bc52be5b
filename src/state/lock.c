/*
 * lock.c - the state lock of the local backend.
 *
 * The lock is flock(2) on .lakeform/state.lock: the kernel drops it when the
 * process ends, however it ends (SIGKILL included), and the descriptor is
 * close-on-exec so providers lakeform starts never inherit it.  The file's
 * content is the holder's description, one line of JSON written after the
 * lock is taken and truncated away before it is released, so that a second
 * writer can say who holds it.  The file itself is never removed: removing a
 * file others may have open and be waiting on would let two processes each
 * lock a different file of the same name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "state_internal.h"
#include "../util/clock.h"
#include "../util/mem.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

/* Waiting for a lock: 1 s, doubling, at most 16 s between attempts. */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 16000

static void copy_field(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

char *lf_state__lock_text(const struct lf_lock_info *i)
{
	json_t *o = json_object();
	char *text;

	json_object_set_new(o, "id", json_string(i->id));
	json_object_set_new(o, "operation", json_string(i->operation));
	json_object_set_new(o, "who", json_string(i->who));
	json_object_set_new(o, "version", json_string(i->version));
	json_object_set_new(o, "created", json_string(i->created));
	json_object_set_new(o, "pid", json_integer(i->pid));
	json_object_set_new(o, "path", json_string(i->path));
	if (i->expires[0])
		json_object_set_new(o, "expires", json_string(i->expires));
	text = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	return text;
}

/* 1 when `text` is a description with an ID, 0 when not (yet). */
int lf_state__lock_parse(struct lf_lock_info *i, const char *text, size_t len)
{
	json_t *o = json_loadb(text, len, 0, NULL);
	const char *id = json_string_value(json_object_get(o, "id"));

	memset(i, 0, sizeof(*i));
	if (!id || !*id) {
		json_decref(o);
		return 0;
	}
	copy_field(i->id, sizeof(i->id), id);
	copy_field(i->operation, sizeof(i->operation),
	           json_string_value(json_object_get(o, "operation")));
	copy_field(i->who, sizeof(i->who), json_string_value(json_object_get(o, "who")));
	copy_field(i->version, sizeof(i->version),
	           json_string_value(json_object_get(o, "version")));
	copy_field(i->created, sizeof(i->created),
	           json_string_value(json_object_get(o, "created")));
	copy_field(i->path, sizeof(i->path), json_string_value(json_object_get(o, "path")));
	copy_field(i->expires, sizeof(i->expires),
	           json_string_value(json_object_get(o, "expires")));
	i->pid = (long)json_integer_value(json_object_get(o, "pid"));
	json_decref(o);
	return 1;
}

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

void lf_state__describe_self(struct lf_backend *b, struct lf_lock_info *i, const char *operation)
{
	struct passwd *pw = getpwuid(geteuid());
	char host[256] = "", *dir;

	memset(i, 0, sizeof(*i));
	lf_state__uuid(i->id);
	copy_field(i->operation, sizeof(i->operation), operation);
	if (gethostname(host, sizeof(host) - 1) < 0)
		copy_field(host, sizeof(host), "localhost");
	{
		/* user@host, cut to fit like every other field */
		char *who = pw && pw->pw_name ? lf_xasprintf("%s@%s", pw->pw_name, host)
		                              : lf_xasprintf("%ld@%s", (long)geteuid(), host);
		copy_field(i->who, sizeof(i->who), who);
		free(who);
	}
	copy_field(i->version, sizeof(i->version), LF_VERSION);
	lf_state__now(i->created);
	i->pid = (long)getpid();
	dir = realpath(b->dir, NULL);
	snprintf(i->path, sizeof(i->path), "%s/%s", dir ? dir : b->dir, LF_STATE_FILE);
	free(dir);
}

int lf_state_lock(struct lf_backend *b, const char *operation, long timeout_ms,
                  struct lf_lock_info *mine, struct lf_lock_info *holder)
{
	long start = lf_now_ms(), delay = BACKOFF_FIRST_MS;
	struct lf_lock_info me;
	char *text;
	int fd, err;

	if (b->lock_fd >= 0) {
		if (mine)
			*mine = b->lock;
		return 0;
	}
	if ((err = lf_state__mkdir(b)) < 0)
		return err;
	fd = open(b->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
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
		waited = lf_now_ms() - start;
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
	if (b->remote) {
		long left = timeout_ms - (lf_now_ms() - start);
		err = lf_remote__lock(b, left > 0 ? left : 0, holder);
		if (err) {
			lf_state_unlock(b);
			return err;
		}
	}
	if (mine)
		*mine = b->lock;
	return 0;
}

int lf_state_unlock(struct lf_backend *b)
{
	int rerr = 0;

	if (b->lock_fd < 0)
		return 0;
	if (b->remote)
		rerr = lf_remote__unlock(b);
	/* the description goes before the lock, so nobody ever sees a free
	 * lock described as ours */
	if (ftruncate(b->lock_fd, 0) < 0) {
		/* a stale description is harmless: the next holder rewrites it */
	}
	close(b->lock_fd);
	b->lock_fd = -1;
	memset(&b->lock, 0, sizeof(b->lock));
	return rerr;
}

int lf_state_lock_read(struct lf_backend *b, struct lf_lock_info *info, int *held)
{
	int fd, has;

	*held = 0;
	if (b->lock_fd >= 0) {
		*info = b->lock;
		*held = 1;
		return 1;
	}
	if (b->remote)
		return lf_remote__lock_read(b, info, held);
	fd = open(b->lock_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(info, 0, sizeof(*info));
		return errno == ENOENT ? 0 : -errno;
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

int lf_state_force_unlock(struct lf_backend *b, const char *id, struct lf_diags *d)
{
	struct lf_lock_info info;
	int fd, err = 0;

	if (b->remote)
		return lf_remote__force_unlock(b, id, d);
	fd = open(b->lock_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) {
			err = -errno;
			lf_diag_file_error(d, b->lock_path, "cannot open the lock: %s",
			                   strerror(errno));
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
