/*
 * lock.c - the state lock: what a holder's description is (written as one
 * line of JSON, read back by the next writer), and taking, releasing,
 * reading and forcing the lock through the backend's operations
 * (backends/local.c has the flock(2) of the working copy).
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state_internal.h"
#include "../util/mem.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

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

static void *sweep(void *dir)
{
	lf_state__clean_leftovers(dir);
	return NULL;
}

int lf_state_lock(struct lf_backend *b, const char *operation, long timeout_ms,
                  struct lf_lock_info *mine, struct lf_lock_info *holder)
{
	int err;

	if (!b->locked) {
		if ((err = b->ops->lock(b, operation, timeout_ms, holder)) != 0)
			return err;
		b->locked = 1;
		/* The holder cleans what runs that died left in the working copy:
		 * on a thread of its own, joined before the lock is let go.  The
		 * walk of the local providers' trees is mostly waiting for the
		 * file system (17,000 directories at 100,000 resources: 0.2 s of
		 * CPU, 0.8 s and more on a busy machine), and it touches only
		 * temporary files of dead writers, which nothing of this run
		 * reads.  Where no thread can start, it runs here. */
		b->sweeping = pthread_create(&b->sweeper, NULL, sweep, b->dir) == 0;
		if (!b->sweeping)
			lf_state__clean_leftovers(b->dir);
	}
	if (mine)
		*mine = b->lock;
	return 0;
}

int lf_state_unlock(struct lf_backend *b)
{
	int err;

	if (!b->locked)
		return 0;
	if (b->sweeping) {
		pthread_join(b->sweeper, NULL);
		b->sweeping = 0;
	}
	err = b->ops->unlock(b);
	b->locked = 0;
	memset(&b->lock, 0, sizeof(b->lock));
	return err;
}

int lf_state_lock_read(struct lf_backend *b, struct lf_lock_info *info, int *held)
{
	*held = 0;
	if (b->locked) {
		*info = b->lock;
		*held = 1;
		return 1;
	}
	return b->ops->lock_read(b, info, held);
}

int lf_state_force_unlock(struct lf_backend *b, const char *id, struct lf_diags *d)
{
	return b->ops->force_unlock(b, id, d);
}
