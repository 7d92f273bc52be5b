/*
 * lakeform-provider-local-compute - the embedded default compute provider.
 *
 * Nothing runs: a network is the record ROOT/networks/<name>.json and a node
 * pool the record ROOT/node_pools/<name>.json listing its nodes.  ROOT is
 * settings.root, by default .lakeform/local/compute under the working
 * directory (the configuration directory).
 *
 * Invariants:
 * - names are checked before they are joined to ROOT, so nothing the inputs
 *   say can reach outside it;
 * - every change happens under an exclusive flock on ROOT/.alloc.lock, so
 *   two provider processes (or two workers of one) never hand out the same
 *   address block nor interleave a check-then-act; records are written to a
 *   temporary file, fsynced and renamed, so a crash leaves the old record or
 *   the new one (a new network is renamed first and made durable after the
 *   lock, by the SDK's group commit, before its answer);
 * - the networks of one region never overlap: a classic network keeps the
 *   CIDR it is given and is refused (1002) when that overlaps another; a
 *   serverless one gets the first free /24 of 100.64.0.0/10;
 * - an object is lakeform's when it carries the label lakeform/address; a
 *   record of the same name with another address, or none, is a conflict;
 * - each node records the network it is on: a pool changing networks moves
 *   its nodes one at a time (move_pool()), and a network is deleted only
 *   when no pool and no node is on it.
 * Reads take no lock: every change they could observe is a rename.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../sdk/lfp.h"
#include "../sdk/lfp_files.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/map.h"
#include "util/mem.h"

#define DEFAULT_ROOT ".lakeform/local/compute"
#define LABEL_ADDRESS "lakeform/address"
#define LABEL_ACCOUNT "lakeform/account"
#define MAX_RECORD (16u << 20)
#define MAX_NODES 1000

/* Serverless networks are carved out of 100.64.0.0/10 in /24 blocks. */
#define POOL_BASE 0x64400000u
#define POOL_BLOCKS (1u << 14)

struct compute {
	char *root; /* owned; NULL means DEFAULT_ROOT */
};

static struct compute compute_state;

static const char *root_of(struct lfp_call *call)
{
	struct compute *st = lfp_call_state(call);

	return st && st->root ? st->root : DEFAULT_ROOT;
}

/* ---- small helpers (the shared ones are in providers/sdk/lfp_files.c) -- */

/* A name that becomes a file name: nothing that could leave its directory. */
static int check_name(struct lfp_call *call, const char *what, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 200 || name[0] == '.' || strchr(name, '/')) {
		lfp_error(call, LFP_E_INVALID, 0, "invalid %s name '%s'", what, name);
		return -1;
	}
	for (const char *p = name; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\') {
			lfp_error(call, LFP_E_INVALID, 0, "invalid %s name '%s'", what, name);
			return -1;
		}
	}
	return 0;
}

/* The lock every change takes; creates ROOT. *fd is the lock's descriptor. */
static int lock_root(struct lfp_call *call, int *fd)
{
	return lfp_lock_root(call, root_of(call), ".alloc.lock", fd);
}

/* ---- records ---------------------------------------------------------- */

/* kind: "networks" or "node_pools" */
static char *record_path(struct lfp_call *call, const char *kind, const char *name)
{
	return lf_xasprintf("%s/%s/%s.json", root_of(call), kind, name);
}

/* The names of the records of one kind, sorted; 0 or -1 after lfp_error(). */
static int list_records(struct lfp_call *call, const char *kind, char ***names, size_t *n)
{
	char *dir = lf_xasprintf("%s/%s", root_of(call), kind);
	struct dirent **ents = NULL;
	size_t alloc = 0;
	int m = scandir(dir, &ents, NULL, alphasort);

	*names = NULL;
	*n = 0;
	if (m < 0) {
		int err = -errno;

		free(dir);
		if (err == -ENOENT)
			return 0;
		return lfp_fs_error(call, err, root_of(call));
	}
	for (int i = 0; i < m; i++) {
		const char *name = ents[i]->d_name;
		size_t len = strlen(name);

		if (name[0] != '.' && len > 5 && !strcmp(name + len - 5, ".json")) {
			LF_GROW(*names, *n + 1, alloc);
			(*names)[(*n)++] = lf_xstrndup(name, len - 5);
		}
		free(ents[i]);
	}
	free(ents);
	free(dir);
	return 0;
}

/* Read by id, or by the address label when id is null. */
static int read_record(struct lfp_call *call, const json_t *params, const char *kind,
                       json_t *(*attributes)(const json_t *record), json_t **result)
{
	const char *id = lfp_get_str(params, "id");
	const char *address;
	json_t *rec = NULL;
	char **names = NULL, *path;
	size_t n = 0;
	int r;

	if (lfp_need_str(call, params, "address", &address) < 0)
		return -1;
	if (id) {
		if (check_name(call, "record", id) < 0)
			return -1;
		path = record_path(call, kind, id);
		r = lfp_load_json(call, path, &rec);
		free(path);
		if (r < 0)
			return -1;
		*result = r == 0 ? lfp_read_found(id, attributes(rec)) : lfp_read_missing();
		json_decref(rec);
		return 0;
	}
	if (list_records(call, kind, &names, &n) < 0)
		return -1;
	*result = NULL;
	for (size_t i = 0; i < n && !*result; i++) {
		path = record_path(call, kind, names[i]);
		if (lfp_load_json(call, path, &rec) == 0 && lfp_owned_by(call, rec, address))
			*result = lfp_read_found(names[i], attributes(rec));
		json_decref(rec);
		rec = NULL;
		free(path);
	}
	lf_strv_free(names, n);
	if (!*result)
		*result = lfp_read_missing();
	return 0;
}

/* Every record of one kind that carries the account's labels, with its
 * attributes unless the params say "attributes": false. */
static int list_kind(struct lfp_call *call, const json_t *params, const char *kind,
                     json_t *(*attributes)(const json_t *record), json_t **result)
{
	int with_attributes = lfp_list_attributes(params);
	json_t *objects = json_array(), *rec = NULL;
	char **names = NULL;
	size_t n = 0;

	if (list_records(call, kind, &names, &n) < 0) {
		json_decref(objects);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char *path = record_path(call, kind, names[i]);
		struct stat sb;
		/* only a regular file is a record: a listing never waits on a
		 * FIFO or a device put in its place (a record is only ever
		 * written by a rename, so this is its type when opened) */
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    lfp_load_json(call, path, &rec) == 0) {
			if (with_attributes)
				lfp_list_add(call, objects, names[i], attributes(rec));
			else
				lfp_list_add_id(call, objects, names[i], rec);
		}
		json_decref(rec);
		rec = NULL;
		free(path);
	}
	lf_strv_free(names, n);
	*result = json_pack("{s:o}", "objects", objects);
	return 0;
}

/*
 * Write a record; creates its directory.  With `sy` (a record that did not
 * exist) its fsyncs go to `sy`, run once the root's lock is let go
 * (lfp_syncs_run(), by group commit with the changes of the other
 * workers): a power loss before that loses the new record whole, and the
 * call was not answered.  0 or -1 after lfp_error().
 */
static int write_record(struct lfp_call *call, const char *kind, const char *name,
                        const json_t *rec, struct lfp_syncs *sy)
{
	char *dir = lf_xasprintf("%s/%s", root_of(call), kind);
	char *path = record_path(call, kind, name);
	int err = lfp_mkdir_p(dir);

	if (err < 0)
		lfp_fs_error(call, err, dir);
	else
		err = sy ? lfp_save_json_deferred(call, path, rec, sy)
		         : lfp_save_json(call, path, rec);
	free(dir);
	free(path);
	return err < 0 ? -1 : 0;
}

static int save_record(struct lfp_call *call, const char *kind, const char *name, const json_t *rec)
{
	return write_record(call, kind, name, rec, NULL);
}

static int save_new_record(struct lfp_call *call, const char *kind, const char *name,
                           const json_t *rec, struct lfp_syncs *sy)
{
	return write_record(call, kind, name, rec, sy);
}

/* Remove a record owned by `address`; a missing one is fine. */
static int delete_record(struct lfp_call *call, const char *kind, const char *what,
                         const char *name, const char *address)
{
	char *dir = lf_xasprintf("%s/%s", root_of(call), kind);
	char *path = record_path(call, kind, name);
	json_t *rec = NULL;
	int r = lfp_load_json(call, path, &rec), err = -1;

	if (r < 0)
		goto out;
	if (r > 0) {
		lfp_log("%s '%s' is gone already", what, name);
		err = 0;
		goto out;
	}
	if (!lfp_owned_by(call, rec, address)) {
		lfp_error(call, LFP_E_CONFLICT, 0, "%s '%s' belongs to '%s'", what, name,
		          lfp_owner_of(rec));
		goto out;
	}
	int r2 = lf_unlink_nofollow(AT_FDCWD, path, 0);
	if (r2 < 0 || (r2 = lfp_fsync_dir(dir)) < 0) {
		lfp_fs_error(call, r2, path);
		goto out;
	}
	lfp_log("deleted %s '%s'", what, name);
	err = 0;
out:
	json_decref(rec);
	free(dir);
	free(path);
	return err;
}

/* ---- compute.network -------------------------------------------------- */

struct cidr {
	uint32_t base; /* masked */
	int len;
};

static int parse_cidr(struct cidr *out, const char *s)
{
	uint32_t addr = 0;
	int len = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = 0;
		int digits = 0;

		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (unsigned)(*s - '0');
		if (!digits || digits > 3 || v > 255 || *s != (i < 3 ? '.' : '/'))
			return -1;
		s++;
		addr = addr << 8 | v;
	}
	if (!(*s >= '0' && *s <= '9'))
		return -1;
	for (int digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
		if (digits >= 2)
			return -1;
		len = len * 10 + (*s - '0');
	}
	if (*s || len > 32)
		return -1;
	out->len = len;
	out->base = len ? addr & (uint32_t)(0xffffffffu << (32 - len)) : 0;
	return 0;
}

static int cidr_overlap(const struct cidr *a, const struct cidr *b)
{
	uint64_t a0 = a->base, a1 = a0 + (1ull << (32 - a->len));
	uint64_t b0 = b->base, b1 = b0 + (1ull << (32 - b->len));

	return a0 < b1 && b0 < a1;
}

static json_t *network_attributes(const json_t *rec)
{
	return json_deep_copy(rec);
}

static int network_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	return read_record(call, params, "networks", network_attributes, result);
}

struct network_inputs {
	const char *name, *region, *plane, *cidr;
	int internal;
};

static int network_list(struct lfp_call *call, const json_t *params, json_t **result)
{
	return list_kind(call, params, "networks", network_attributes, result);
}

static int network_inputs(struct lfp_call *call, const json_t *inputs, struct network_inputs *in)
{
	json_t *internal = json_object_get(inputs, "internal");
	json_t *cidr = json_object_get(inputs, "cidr");
	struct cidr c;

	if (lfp_need_str(call, inputs, "name", &in->name) < 0 ||
	    lfp_need_str(call, inputs, "region", &in->region) < 0 ||
	    lfp_need_str(call, inputs, "plane", &in->plane) < 0 ||
	    check_name(call, "network", in->name) < 0)
		return -1;
	if (strcmp(in->plane, "serverless") && strcmp(in->plane, "classic")) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "network plane must be 'serverless' or 'classic'");
		return -1;
	}
	if (!json_is_boolean(internal)) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0, "'internal' must be a boolean");
		return -1;
	}
	in->internal = json_is_true(internal);
	in->cidr = NULL;
	if (cidr && !json_is_null(cidr)) {
		in->cidr = json_string_value(cidr);
		if (!in->cidr || parse_cidr(&c, in->cidr) < 0) {
			lfp_error(call, LFP_E_INVALID, 0, "invalid cidr '%s'",
			          in->cidr ? in->cidr : "(not a string)");
			return -1;
		}
	}
	if (!strcmp(in->plane, "classic") && !in->cidr) {
		lfp_error(call, LFP_E_INVALID, 0, "classic network '%s' needs a cidr", in->name);
		return -1;
	}
	if (!strcmp(in->plane, "serverless") && in->cidr) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "serverless network '%s' gets its cidr allocated, it cannot be given",
		          in->name);
		return -1;
	}
	return 0;
}

struct taken {
	struct cidr *v;
	char **names;
	size_t n, alloc;
};

static void taken_release(struct taken *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->v);
	free(t->names);
}

/*
 * What region_cidrs() read of each network record, by its path, with the
 * inode it read it from.  A network's region and CIDR never change in place
 * (network_update() refuses it) and every record is written by a rename to a
 * new inode, so an entry whose directory entry still names the same inode
 * need not be read again: each create then costs a listing of the directory,
 * not a read of every other network's record (2,000 networks made one after
 * the other read 2 million records before).  Used under the root's flock, and
 * its own mutex for the workers of this process.
 */
struct net_seen {
	ino_t ino;
	char *region; /* NULL: the record has no region or no valid cidr */
	struct cidr cidr;
};

static struct lf_map nets_seen = LF_MAP_INIT;
static pthread_mutex_t nets_seen_mu = PTHREAD_MUTEX_INITIALIZER;

/* The entry of `path` (inode `ino`), read from the record if new or stale. */
static int net_seen_get(struct lfp_call *call, const char *path, ino_t ino, struct net_seen **out)
{
	struct net_seen *s = lf_map_get(&nets_seen, path);
	json_t *rec = NULL;
	const char *r, *c;
	int err;

	*out = NULL;
	if (s && s->ino == ino) {
		*out = s;
		return 0;
	}
	err = lfp_load_json(call, path, &rec);
	if (err != 0)
		return err; /* 1: gone meanwhile */
	if (!s) {
		s = lf_xcalloc(1, sizeof(*s));
		lf_map_put(&nets_seen, path, s);
	}
	free(s->region);
	s->region = NULL;
	s->ino = ino;
	r = lfp_get_str(rec, "region");
	c = lfp_get_str(rec, "cidr");
	if (r && c && parse_cidr(&s->cidr, c) == 0)
		s->region = lf_xstrdup(r);
	json_decref(rec);
	*out = s;
	return 0;
}

/*
 * The networks this process last listed, kept while nobody changes
 * networks/ but this process: listing the directory for every create made
 * 2,001 creates read 2 million directory entries (6.6% of an apply's
 * samples, under the root's lock).  Whoever changes a network record bumps
 * a counter in the root's lock file (8 bytes at its start, under the
 * lock); the list is used again only when that counter and the directory's
 * own times, size and inode are still what this process saw after its own
 * last change.  Under the root's flock and nets_seen_mu.
 */
static struct {
	char *dir;    /* ROOT/networks: the list is of this directory */
	int valid;    /* the list is the directory's entries, dir_st its stat */
	uint64_t gen; /* the lock file's counter then */
	struct stat dir_st;
	char **paths;           /* each listed record's path, a key of nets_seen */
	struct net_seen **seen; /* its entry there (entries are never freed) */
	size_t n, alloc, seen_alloc;
} nets_list;

static void nets_list_add(const char *path, struct net_seen *s)
{
	LF_GROW(nets_list.paths, nets_list.n + 1, nets_list.alloc);
	LF_GROW(nets_list.seen, nets_list.n + 1, nets_list.seen_alloc);
	nets_list.paths[nets_list.n] = lf_xstrdup(path);
	nets_list.seen[nets_list.n++] = s;
}

static uint64_t nets_gen(int lock)
{
	uint64_t g = 0;

	if (pread(lock, &g, sizeof(g), 0) != (ssize_t)sizeof(g))
		g = 0;
	return g;
}

static int same_dir(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_nlink == b->st_nlink && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* A network record was written or removed by this process, under `lock`:
 * the counter goes up; with `path` (a record just made, of `region` and
 * `cidr`) the list takes it in and stays valid, else it is read again next
 * time.  Under the root's flock. */
static void nets_changed(struct lfp_call *call, int lock, const char *path, const char *region,
                         const char *cidr)
{
	uint64_t g = nets_gen(lock) + 1;
	int bumped = pwrite(lock, &g, sizeof(g), 0) == (ssize_t)sizeof(g);
	struct stat st;

	pthread_mutex_lock(&nets_seen_mu);
	if (!bumped || !path || !nets_list.valid || !nets_list.dir ||
	    stat(nets_list.dir, &st) < 0) {
		nets_list.valid = 0;
	} else {
		struct net_seen *s = lf_map_get(&nets_seen, path);
		if (!s) {
			s = lf_xcalloc(1, sizeof(*s));
			lf_map_put(&nets_seen, path, s);
		}
		free(s->region);
		s->region = NULL;
		s->ino = 0; /* not known: a listing reads it again */
		if (parse_cidr(&s->cidr, cidr) == 0)
			s->region = lf_xstrdup(region);
		nets_list_add(path, s);
		nets_list.gen = g;
		nets_list.dir_st = st;
	}
	pthread_mutex_unlock(&nets_seen_mu);
	(void)call;
}

/* The CIDRs of the other networks of `region`; 0 or -1 after lfp_error().
 * `lock` is the root's lock, held. */
static int region_cidrs(struct lfp_call *call, int lock, const char *region, const char *except,
                        struct taken *t)
{
	char *dir = lf_xasprintf("%s/networks", root_of(call));
	size_t names_alloc = 0;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int err = 0;

	pthread_mutex_lock(&nets_seen_mu);
	if (nets_list.valid && nets_list.dir && !strcmp(nets_list.dir, dir) &&
	    nets_gen(lock) == nets_list.gen && stat(dir, &st) == 0 &&
	    same_dir(&st, &nets_list.dir_st)) {
		size_t n = strlen(dir) + 1;
		for (size_t i = 0; i < nets_list.n; i++) {
			const struct net_seen *s = nets_list.seen[i];
			if (!s->region || strcmp(s->region, region))
				continue;
			const char *name = nets_list.paths[i] + n;
			size_t len = strlen(name);
			if (!strncmp(name, except, len - 5) && !except[len - 5])
				continue;
			LF_GROW(t->v, t->n + 1, t->alloc);
			LF_GROW(t->names, t->n + 1, names_alloc);
			t->v[t->n] = s->cidr;
			t->names[t->n++] = lf_xstrndup(name, len - 5);
		}
		pthread_mutex_unlock(&nets_seen_mu);
		free(dir);
		return 0;
	}
	/* listed again: from here on, the list is this listing */
	nets_list.valid = 0;
	lf_strv_free(nets_list.paths, nets_list.n);
	free(nets_list.seen);
	nets_list.paths = NULL;
	nets_list.seen = NULL;
	nets_list.n = nets_list.alloc = nets_list.seen_alloc = 0;
	free(nets_list.dir);
	nets_list.dir = lf_xstrdup(dir);
	nets_list.gen = nets_gen(lock);
	/* its stat before the listing: a change while it is read shows */
	int have_st = stat(dir, &nets_list.dir_st) == 0;
	d = opendir(dir);
	if (!d) {
		err = errno == ENOENT ? 0 : lfp_fs_error(call, -errno, root_of(call));
		pthread_mutex_unlock(&nets_seen_mu);
		free(dir);
		return err;
	}
	while (!err && (e = readdir(d))) {
		const char *name = e->d_name;
		size_t len = strlen(name);
		struct net_seen *s;
		char *path;

		if (name[0] == '.' || len <= 5 || strcmp(name + len - 5, ".json"))
			continue;
		path = lf_xasprintf("%s/%s", dir, name);
		err = net_seen_get(call, path, e->d_ino, &s) < 0 ? -1 : 0;
		if (!err && s)
			nets_list_add(path, s);
		if (!err && s && s->region && !strcmp(s->region, region) &&
		    !(!strncmp(name, except, len - 5) && !except[len - 5])) {
			LF_GROW(t->v, t->n + 1, t->alloc);
			LF_GROW(t->names, t->n + 1, names_alloc);
			t->v[t->n] = s->cidr;
			t->names[t->n++] = lf_xstrndup(name, len - 5);
		}
		free(path);
	}
	nets_list.valid = !err && have_st;
	pthread_mutex_unlock(&nets_seen_mu);
	closedir(d);
	free(dir);
	return err;
}

static int network_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	struct network_inputs in;
	struct taken taken = {NULL, NULL, 0, 0};
	const char *address;
	json_t *inputs, *labels = NULL, *tags = NULL, *rec = NULL;
	char *path = NULL, *allocated = NULL;
	struct lfp_syncs sy = {{0}, 0};
	int lock = -1, r, err = -1;

	inputs = json_object_get(params, "inputs");
	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    network_inputs(call, inputs, &in) < 0)
		return -1;
	labels = lfp_labels_for(call, address, inputs);
	if (!labels || !(tags = lfp_tags_for(call, inputs)) || lock_root(call, &lock) < 0)
		goto out;
	path = record_path(call, "networks", in.name);
	r = lfp_load_json(call, path, &rec);
	if (r < 0)
		goto out;
	if (r == 0) {
		if (!lfp_owned_by(call, rec, address)) {
			lfp_error(call, LFP_E_CONFLICT, 0, "network '%s' belongs to '%s'", in.name,
			          lfp_owner_of(rec));
			goto out;
		}
		lfp_log("network '%s' exists already for '%s'", in.name, address);
		goto done;
	}
	if (region_cidrs(call, lock, in.region, in.name, &taken) < 0)
		goto out;
	if (in.cidr) {
		struct cidr c;

		const char *first = NULL;

		parse_cidr(&c, in.cidr);
		/* the directory's order is arbitrary: name the first by name */
		for (size_t i = 0; i < taken.n; i++) {
			if (cidr_overlap(&c, &taken.v[i]) &&
			    (!first || strcmp(taken.names[i], first) < 0))
				first = taken.names[i];
		}
		if (first) {
			lfp_error(call, LFP_E_CONFLICT, 0,
			          "cidr '%s' overlaps network '%s' in region '%s'", in.cidr, first,
			          in.region);
			goto out;
		}
	} else {
		uint32_t b;
		struct cidr c = {0, 24};

		for (b = 0; b < POOL_BLOCKS; b++) {
			size_t i;

			c.base = POOL_BASE + (b << 8);
			for (i = 0; i < taken.n && !cidr_overlap(&c, &taken.v[i]); i++)
				;
			if (i == taken.n)
				break;
		}
		if (b == POOL_BLOCKS) {
			lfp_error(call, LFP_E_CONFLICT, 0,
			          "no free /24 left in 100.64.0.0/10 for region '%s'", in.region);
			goto out;
		}
		allocated = lf_xasprintf("%u.%u.%u.0/24", c.base >> 24, (c.base >> 16) & 0xff,
		                         (c.base >> 8) & 0xff);
	}
	rec = json_pack("{s:s, s:s, s:s, s:b, s:s, s:O}", "name", in.name, "region", in.region,
	                "plane", in.plane, "internal", in.internal, "cidr",
	                in.cidr ? in.cidr : allocated, "labels", labels);
	lfp_tags_record(rec, tags);
	if (save_new_record(call, "networks", in.name, rec, &sy) < 0) {
		nets_changed(call, lock, NULL, NULL, NULL);
		goto out;
	}
	nets_changed(call, lock, path, in.region, in.cidr ? in.cidr : allocated);
	lfp_log("created network '%s' (%s)", in.name, in.cidr ? in.cidr : allocated);
done:
	*result = json_pack("{s:s, s:o}", "id", in.name, "attributes", network_attributes(rec));
	err = 0;
out:
	lfp_unlock_root(lock);
	/* durable before the answer */
	if (err == 0 && lfp_syncs_run(call, &sy) < 0) {
		json_decref(*result);
		*result = NULL;
		err = -1;
	}
	lfp_syncs_release(&sy);
	taken_release(&taken);
	json_decref(labels);
	json_decref(tags);
	json_decref(rec);
	free(path);
	free(allocated);
	return err;
}

static int network_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	struct network_inputs in;
	const char *address, *id, *field = NULL;
	json_t *inputs, *labels = NULL, *tags = NULL, *rec = NULL;
	char *path = NULL;
	int lock = -1, r, err = -1;

	inputs = json_object_get(params, "inputs");
	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 || network_inputs(call, inputs, &in) < 0)
		return -1;
	labels = lfp_labels_for(call, address, inputs);
	if (!labels || !(tags = lfp_tags_for(call, inputs)) || lock_root(call, &lock) < 0)
		goto out;
	path = record_path(call, "networks", id);
	r = check_name(call, "network", id) < 0 ? -1 : lfp_load_json(call, path, &rec);
	if (r < 0)
		goto out;
	if (r > 0) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "network '%s' does not exist", id);
		goto out;
	}
	if (!lfp_owned_by(call, rec, address)) {
		lfp_error(call, LFP_E_CONFLICT, 0, "network '%s' belongs to '%s'", id,
		          lfp_owner_of(rec));
		goto out;
	}
	/* everything but the labels and tags is force-new: the planner replaces */
	if (strcmp(in.name, id))
		field = "name";
	else if (!lfp_get_str(rec, "region") || strcmp(lfp_get_str(rec, "region"), in.region))
		field = "region";
	else if (!lfp_get_str(rec, "plane") || strcmp(lfp_get_str(rec, "plane"), in.plane))
		field = "plane";
	else if (json_is_true(json_object_get(rec, "internal")) != in.internal)
		field = "internal";
	else if (in.cidr &&
	         (!lfp_get_str(rec, "cidr") || strcmp(lfp_get_str(rec, "cidr"), in.cidr)))
		field = "cidr";
	if (field) {
		lfp_error(call, LFP_E_INVALID, 0, "network '%s': '%s' cannot change in place", id,
		          field);
		goto out;
	}
	json_object_set(rec, "labels", labels);
	lfp_tags_record(rec, tags);
	int saved = save_record(call, "networks", id, rec);
	nets_changed(call, lock, NULL, NULL, NULL);
	if (saved < 0)
		goto out;
	*result = json_pack("{s:o}", "attributes", network_attributes(rec));
	err = 0;
out:
	lfp_unlock_root(lock);
	json_decref(labels);
	json_decref(tags);
	json_decref(rec);
	free(path);
	return err;
}

static int network_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *id;
	char **pools = NULL;
	size_t n = 0;
	int lock = -1, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 || check_name(call, "network", id) < 0)
		return -1;
	if (lock_root(call, &lock) < 0 || list_records(call, "node_pools", &pools, &n) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char *path = record_path(call, "node_pools", pools[i]);
		json_t *pool = NULL;
		const char *net;

		if (lfp_load_json(call, path, &pool) < 0) {
			free(path);
			goto out;
		}
		net = lfp_get_str(pool, "network");
		if (net && !strcmp(net, id)) {
			lfp_error(call, LFP_E_CONFLICT, 0, "network '%s' still has node pool '%s'",
			          id, pools[i]);
			json_decref(pool);
			free(path);
			goto out;
		}
		/* a pool moving off it leaves no node behind */
		size_t k;
		json_t *node;
		json_array_foreach (json_object_get(pool, "nodes"), k, node) {
			const char *on = lfp_get_str(node, "network");
			if (on && !strcmp(on, id)) {
				lfp_error(call, LFP_E_CONFLICT, 0,
				          "network '%s' still has node '%s' of node pool '%s'", id,
				          lfp_get_str(node, "id"), pools[i]);
				json_decref(pool);
				free(path);
				goto out;
			}
		}
		json_decref(pool);
		free(path);
	}
	int deleted = delete_record(call, "networks", "network", id, address);
	nets_changed(call, lock, NULL, NULL, NULL);
	if (deleted < 0)
		goto out;
	*result = json_object();
	err = 0;
out:
	lfp_unlock_root(lock);
	lf_strv_free(pools, n);
	return err;
}

/* ---- compute.node_pool ------------------------------------------------ */

/* Attributes: the inputs (nodes as a count) and the nodes as `instances`. */
static json_t *pool_attributes(const json_t *rec)
{
	json_t *a = json_deep_copy(rec);
	json_t *nodes = json_object_get(rec, "nodes");

	json_object_set(a, "instances", json_is_array(nodes) ? nodes : json_array());
	json_object_set_new(a, "nodes", json_integer((json_int_t)json_array_size(nodes)));
	return a;
}

static int pool_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	return read_record(call, params, "node_pools", pool_attributes, result);
}

struct pool_inputs {
	const char *name, *network, *image;
	size_t nodes;
	json_t *cpus, *memory_mb; /* borrowed */
};

static int pool_list(struct lfp_call *call, const json_t *params, json_t **result)
{
	return list_kind(call, params, "node_pools", pool_attributes, result);
}

static int pool_inputs(struct lfp_call *call, const json_t *inputs, struct pool_inputs *in)
{
	json_t *nodes = json_object_get(inputs, "nodes");

	if (lfp_need_str(call, inputs, "name", &in->name) < 0 ||
	    lfp_need_str(call, inputs, "network", &in->network) < 0 ||
	    lfp_need_str(call, inputs, "image", &in->image) < 0 ||
	    check_name(call, "node pool", in->name) < 0 ||
	    check_name(call, "network", in->network) < 0)
		return -1;
	in->cpus = json_object_get(inputs, "cpus");
	in->memory_mb = json_object_get(inputs, "memory_mb");
	if (!json_is_integer(nodes) || json_integer_value(nodes) < 0 ||
	    json_integer_value(nodes) > MAX_NODES) {
		lfp_error(call, LFP_E_INVALID, 0, "'nodes' must be an integer from 0 to %d",
		          MAX_NODES);
		return -1;
	}
	in->nodes = (size_t)json_integer_value(nodes);
	if (!json_is_number(in->cpus) || json_number_value(in->cpus) <= 0) {
		lfp_error(call, LFP_E_INVALID, 0, "'cpus' must be a positive number");
		return -1;
	}
	if (!json_is_integer(in->memory_mb) || json_integer_value(in->memory_mb) <= 0) {
		lfp_error(call, LFP_E_INVALID, 0, "'memory_mb' must be a positive integer");
		return -1;
	}
	if (!*in->image) {
		lfp_error(call, LFP_E_INVALID, 0, "'image' must not be empty");
		return -1;
	}
	return 0;
}

/* A node records when it started (now), for `usage` to count its uptime. */
static json_t *new_node(const char *pool, long index, const struct pool_inputs *in)
{
	char *id = lf_xasprintf("%s-%ld", pool, index), started[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *node = json_pack("{s:s, s:O, s:O, s:s, s:s, s:s}", "id", id, "cpus", in->cpus,
	                         "memory_mb", in->memory_mb, "image", in->image, "network",
	                         in->network, "started_at", started);

	free(id);
	return node;
}

/* n of the node id "<pool>-<n>", or -1. */
static long node_index(const char *pool, const json_t *node)
{
	const char *id = lfp_get_str(node, "id");
	size_t n = strlen(pool);
	char *end;
	long v;

	if (!id || strncmp(id, pool, n) || id[n] != '-' || !(id[n + 1] >= '0' && id[n + 1] <= '9'))
		return -1;
	v = strtol(id + n + 1, &end, 10);
	return *end ? -1 : v;
}

static int node_matches(const json_t *node, const struct pool_inputs *in)
{
	const char *image = lfp_get_str(node, "image");

	return image && !strcmp(image, in->image) &&
	       json_number_value(json_object_get(node, "cpus")) == json_number_value(in->cpus) &&
	       json_integer_value(json_object_get(node, "memory_mb")) ==
	           json_integer_value(in->memory_mb);
}

/* Whether the pool holds node "<pool>-<index>". */
static int has_node(const json_t *nodes, const char *pool, long index)
{
	size_t i;
	json_t *node;

	json_array_foreach (nodes, i, node) {
		if (node_index(pool, node) == index)
			return 1;
	}
	return 0;
}

/* Adds nodes until there are in->nodes, each with the lowest free index. */
static void grow_pool(json_t *nodes, const char *pool, const struct pool_inputs *in)
{
	long next = 1;

	while (json_array_size(nodes) < in->nodes) {
		while (has_node(nodes, pool, next))
			next++;
		json_array_append_new(nodes, new_node(pool, next, in));
		next++;
	}
}

static int pool_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	struct pool_inputs in;
	const char *address;
	json_t *inputs, *labels = NULL, *tags = NULL, *rec = NULL, *net = NULL, *nodes;
	char *path = NULL, *netpath = NULL;
	int lock = -1, r, err = -1;

	inputs = json_object_get(params, "inputs");
	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    pool_inputs(call, inputs, &in) < 0)
		return -1;
	labels = lfp_labels_for(call, address, inputs);
	if (!labels || !(tags = lfp_tags_for(call, inputs)) || lock_root(call, &lock) < 0)
		goto out;
	netpath = record_path(call, "networks", in.network);
	r = lfp_load_json(call, netpath, &net);
	if (r < 0)
		goto out;
	if (r > 0) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "network '%s' does not exist", in.network);
		goto out;
	}
	path = record_path(call, "node_pools", in.name);
	r = lfp_load_json(call, path, &rec);
	if (r < 0)
		goto out;
	if (r == 0) {
		if (!lfp_owned_by(call, rec, address)) {
			lfp_error(call, LFP_E_CONFLICT, 0, "node pool '%s' belongs to '%s'",
			          in.name, lfp_owner_of(rec));
			goto out;
		}
		lfp_log("node pool '%s' exists already for '%s'", in.name, address);
		goto done;
	}
	nodes = json_array();
	grow_pool(nodes, in.name, &in);
	rec = json_pack("{s:s, s:s, s:O, s:O, s:s, s:o, s:O}", "name", in.name, "network",
	                in.network, "cpus", in.cpus, "memory_mb", in.memory_mb, "image", in.image,
	                "nodes", nodes, "labels", labels);
	lfp_tags_record(rec, tags);
	if (save_record(call, "node_pools", in.name, rec) < 0)
		goto out;
	lfp_log("created node pool '%s' with %zu nodes", in.name, in.nodes);
done:
	*result = json_pack("{s:s, s:o}", "id", in.name, "attributes", pool_attributes(rec));
	err = 0;
out:
	lfp_unlock_root(lock);
	json_decref(labels);
	json_decref(tags);
	json_decref(rec);
	json_decref(net);
	free(path);
	free(netpath);
	return err;
}

/* The network node `node` of a pool on `pool_net` is attached to. */
static const char *node_network(const json_t *node, const char *pool_net)
{
	const char *net = lfp_get_str(node, "network");
	return net ? net : pool_net;
}

/*
 * A pool changing networks: the new one must exist; each node not on it
 * is moved (attached to the new network, detached from the old one) and
 * the record written after each, so that the pool keeps serving and a
 * crash leaves a record saying which nodes moved; the pool's network
 * changes last.  A pool already there (all its nodes too) is left as it is.
 */
static int move_pool(struct lfp_call *call, const char *id, json_t *rec, const char *to)
{
	const char *from = lfp_get_str(rec, "network");
	json_t *node;
	size_t i;
	int moving = !from || strcmp(from, to);

	json_array_foreach (json_object_get(rec, "nodes"), i, node)
		moving |= strcmp(node_network(node, from ? from : ""), to) != 0;
	if (!moving)
		return 0;
	char *netpath = record_path(call, "networks", to);
	json_t *net = NULL;
	int r = lfp_load_json(call, netpath, &net);

	free(netpath);
	json_decref(net);
	if (r != 0) {
		if (r > 0)
			lfp_error(call, LFP_E_NOT_FOUND, 0, "network '%s' does not exist", to);
		return -1;
	}
	json_array_foreach (json_object_get(rec, "nodes"), i, node) {
		const char *was = node_network(node, from ? from : "");
		if (!strcmp(was, to))
			continue;
		lfp_log("node pool '%s': moving node '%s' from network '%s' to '%s'", id,
		        lfp_get_str(node, "id"), was, to);
		json_object_set_new(node, "network", json_string(to));
		if (save_record(call, "node_pools", id, rec) < 0)
			return -1;
	}
	json_object_set_new(rec, "network", json_string(to));
	return save_record(call, "node_pools", id, rec);
}

/*
 * Resizing removes the highest-numbered nodes or adds new ones and leaves
 * the others alone; a new image, cpus or memory rolls the remaining nodes
 * one at a time, the record rewritten after each, so a crash in the middle
 * leaves a record that says which nodes were rolled and a retry finishes.
 */
static int pool_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	struct pool_inputs in;
	const char *address, *id;
	json_t *inputs, *labels = NULL, *tags = NULL, *rec = NULL, *nodes, *node,
	                *rolled = json_array();
	char *path = NULL;
	size_t i;
	int lock = -1, r, err = -1;

	inputs = json_object_get(params, "inputs");
	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 || pool_inputs(call, inputs, &in) < 0)
		goto out;
	if (strcmp(in.name, id)) {
		lfp_error(call, LFP_E_INVALID, 0, "node pool '%s': 'name' cannot change in place",
		          id);
		goto out;
	}
	labels = lfp_labels_for(call, address, inputs);
	if (!labels || !(tags = lfp_tags_for(call, inputs)) || lock_root(call, &lock) < 0)
		goto out;
	path = record_path(call, "node_pools", id);
	r = lfp_load_json(call, path, &rec);
	if (r < 0)
		goto out;
	if (r > 0) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "node pool '%s' does not exist", id);
		goto out;
	}
	if (!lfp_owned_by(call, rec, address)) {
		lfp_error(call, LFP_E_CONFLICT, 0, "node pool '%s' belongs to '%s'", id,
		          lfp_owner_of(rec));
		goto out;
	}
	nodes = json_object_get(rec, "nodes");
	if (!json_is_array(nodes)) {
		nodes = json_array();
		json_object_set_new(rec, "nodes", nodes);
	}
	if (move_pool(call, id, rec, in.network) < 0)
		goto out;

	/* the new spec and the smaller size first: one write */
	json_object_set(rec, "cpus", in.cpus);
	json_object_set(rec, "memory_mb", in.memory_mb);
	json_object_set_new(rec, "image", json_string(in.image));
	json_object_set(rec, "labels", labels);
	lfp_tags_record(rec, tags);
	while (json_array_size(nodes) > in.nodes) {
		size_t top = 0;
		long best = -2;

		json_array_foreach (nodes, i, node) {
			if (node_index(id, node) > best) {
				best = node_index(id, node);
				top = i;
			}
		}
		lfp_log("node pool '%s': removing node '%s'", id,
		        lfp_get_str(json_array_get(nodes, top), "id"));
		json_array_remove(nodes, top);
	}
	if (save_record(call, "node_pools", id, rec) < 0)
		goto out;

	/* then roll what is left, one node at a time */
	json_array_foreach (nodes, i, node) {
		if (node_matches(node, &in))
			continue;
		json_object_set(node, "cpus", in.cpus);
		json_object_set(node, "memory_mb", in.memory_mb);
		json_object_set_new(node, "image", json_string(in.image));
		if (save_record(call, "node_pools", id, rec) < 0)
			goto out;
		lfp_log("node pool '%s': rolled node '%s'", id, lfp_get_str(node, "id"));
		json_array_append(rolled, json_object_get(node, "id"));
	}

	/* and the new nodes last */
	if (json_array_size(nodes) < in.nodes) {
		grow_pool(nodes, id, &in);
		if (save_record(call, "node_pools", id, rec) < 0)
			goto out;
	}
	*result = json_pack("{s:o}", "attributes", pool_attributes(rec));
	json_object_set(json_object_get(*result, "attributes"), "rolled", rolled);
	err = 0;
out:
	lfp_unlock_root(lock);
	json_decref(labels);
	json_decref(tags);
	json_decref(rec);
	json_decref(rolled);
	free(path);
	return err;
}

static int pool_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *id;
	int lock = -1, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 || check_name(call, "node pool", id) < 0)
		return -1;
	if (lock_root(call, &lock) < 0 ||
	    delete_record(call, "node_pools", "node pool", id, address) < 0)
		goto out;
	*result = json_object();
	err = 0;
out:
	lfp_unlock_root(lock);
	return err;
}

/* ---- the provider ----------------------------------------------------- */

/* usage of a node pool: its nodes (each running while its record holds
 * it) and when each started */
static int pool_usage(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *id = lfp_get_str(params, "id");
	json_t *rec = NULL, *nodes = json_array(), *node;
	size_t i;

	if (!id) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0, "'id' must name the node pool");
		json_decref(nodes);
		return -1;
	}
	if (check_name(call, "record", id) < 0) {
		json_decref(nodes);
		return -1;
	}
	char *path = record_path(call, "node_pools", id);
	int r = lfp_load_json(call, path, &rec);
	free(path);
	if (r != 0) {
		if (r > 0)
			lfp_error(call, LFP_E_NOT_FOUND, 0, "node pool '%s' does not exist", id);
		json_decref(nodes);
		return -1;
	}
	json_array_foreach (json_object_get(rec, "nodes"), i, node) {
		json_t *started = json_object_get(node, "started_at");
		json_array_append_new(
		    nodes, json_pack("{s:O,s:b,s:O}", "id", json_object_get(node, "id"), "running",
		                     1, "started_at", started ? started : json_null()));
	}
	json_decref(rec);
	*result = json_pack("{s:o}", "nodes", nodes);
	return 0;
}

static int configure(struct lfp_call *call, const json_t *settings)
{
	struct compute *st = lfp_call_state(call);

	return lfp_configure_root(call, settings, &st->root);
}

static const struct lfp_type types[] = {
    {"compute.network", NULL, network_read, network_create, network_update, network_delete, NULL,
     network_list, NULL},
    {"compute.node_pool", NULL, pool_read, pool_create, pool_update, pool_delete, NULL, pool_list,
     pool_usage},
};

static const struct lfp_provider provider = {
    .version = LFP_VERSION,
    .name = "local-compute",
    .types = types,
    .ntypes = sizeof(types) / sizeof(types[0]),
    /* changes serialise on the root's flock, but the more are queued, the
     * more one syncfs makes durable at once (the group commit) */
    .concurrency = 16,
    .configure = configure,
    .state = &compute_state,
    .inline_reads = 1, /* a read opens one record file and takes no lock */
};

int main(int argc, char **argv)
{
	int rc = lfp_main(&provider, argc, argv);

	free(compute_state.root);
	return rc;
}
