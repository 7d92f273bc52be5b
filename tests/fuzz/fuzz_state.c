/*
 * fuzz_state - the state reader under libFuzzer: snapshot and journal.
 *
 * One input is the working copy of a local state, the two files in one:
 *
 *   STATE.JSON TEXT
 *   === journal.jsonl
 *   JOURNAL.JSONL TEXT
 *
 * The marker line (with the newline before it, when there is text before
 * it) splits them; without it the whole input is state.json and there is
 * no journal; empty text before it means no state.json.  They are written
 * into a scratch directory and read with lf_state_load() on the local
 * backend, as every command reads a state.
 *
 * Besides what the sanitizers catch, three things are checked, each of
 * which the state code promises (state.h) and a reader bug could break:
 *   - a lazy load whose records then all parse gives the records a full
 *     load gives (lf_state_res_parse(): "the same record a full load
 *     gives");
 *   - what lf_state_format() makes of a loaded state (what `state pull`
 *     prints and lf_state_write() writes) loads again, with the same
 *     lineage, serial and records;
 *   - a failed load leaves nothing behind to free (LeakSanitizer).
 * A broken promise aborts with what differs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/diag.h"
#include "state/state.h"
#include "util/buf.h"

#define MARKER "=== journal.jsonl\n"

static char dir[256];
static char snap_path[300], journal_path[300];

static void write_or_remove(const char *path, const uint8_t *data, size_t len)
{
	if (!data || len == 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			abort();
		return;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n <= 0)
			abort();
		data += n;
		len -= (size_t)n;
	}
	close(fd);
}

static void cleanup(void)
{
	unlink(snap_path);
	unlink(journal_path);
	char lock[300];
	snprintf(lock, sizeof(lock), "%s/state.lock", dir);
	unlink(lock);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/lf-fuzz-state.XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		perror("fuzz_state: mkdtemp");
		abort();
	}
	snprintf(snap_path, sizeof(snap_path), "%s/state.json", dir);
	snprintf(journal_path, sizeof(journal_path), "%s/journal.jsonl", dir);
	atexit(cleanup);
	return 0;
}

static int load(struct lf_state *st, int lazy)
{
	struct lf_backend *b = NULL;
	struct lf_diags d = LF_DIAGS_INIT;

	if (lf_backend_local_open(&b, dir) != 0)
		abort();
	*st = (struct lf_state)LF_STATE_INIT;
	int err = lf_state_load(st, b, lazy, &d);
	lf_backend_free(b);
	lf_diags_release(&d);
	return err;
}

static int same_json(const json_t *a, const json_t *b)
{
	return (!a && !b) || (a && b && json_equal(a, b));
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void differ(const char *what, const char *address)
{
	fprintf(stderr, "fuzz_state: %s differ%s%s\n", what, address ? " for " : "",
	        address ? address : "");
	abort();
}

/* Records, lineage and serial of two loads of the same files. */
static void compare(const struct lf_state *a, const struct lf_state *b, const char *what)
{
	if (a->serial != b->serial || strcmp(a->lineage, b->lineage))
		differ(what, NULL);
	if (a->nres != b->nres)
		differ(what, "the number of records");
	for (size_t i = 0; i < a->nres; i++) {
		const struct lf_state_res *x = &a->res[i], *y = &b->res[i];
		if (strcmp(x->address, y->address) || strcmp(x->type, y->type) ||
		    strcmp(x->digest, y->digest) || !same_str(x->provider, y->provider) ||
		    !same_str(x->parent, y->parent) || !same_json(x->deps, y->deps) ||
		    !same_json(x->inputs, y->inputs) || !same_json(x->attrs, y->attrs) ||
		    !same_json(x->sensitive, y->sensitive))
			differ(what, x->address);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *snap = data, *journal = NULL;
	size_t snap_len = size, journal_len = 0;
	size_t mlen = strlen(MARKER);

	/* split at the first marker line */
	for (size_t i = 0; i + mlen <= size; i++) {
		if ((i == 0 || data[i - 1] == '\n') && !memcmp(data + i, MARKER, mlen)) {
			snap_len = i;
			journal = data + i + mlen;
			journal_len = size - i - mlen;
			break;
		}
	}
	write_or_remove(snap_path, snap, snap_len);
	write_or_remove(journal_path, journal, journal_len);

	struct lf_state lazy, full, again;
	int lazy_err = load(&lazy, 1);
	int full_err = load(&full, 0);
	int parsed = lazy_err == 0;

	for (size_t i = 0; parsed && i < lazy.nres; i++)
		if (lf_state_res_parse(&lazy.res[i]) != 0)
			parsed = 0;
	if (parsed && full_err == 0)
		compare(&lazy, &full, "a lazy load and a full load");

	if (full_err == 0) {
		struct lf_buf text = LF_BUF_INIT;
		json_t *doc = lf_state_to_json(&full);
		if (!doc)
			abort();
		json_decref(doc);
		lf_state_format(&full, &text);
		write_or_remove(snap_path, (const uint8_t *)text.ptr, text.len);
		write_or_remove(journal_path, NULL, 0);
		if (full.exists) {
			if (load(&again, 0) != 0) {
				fprintf(stderr,
				        "fuzz_state: the formatted state does not load:\n%.*s\n",
				        (int)(text.len > 4000 ? 4000 : text.len), text.ptr);
				abort();
			}
			compare(&full, &again, "a state and its formatted text");
			lf_state_release(&again);
		}
		lf_buf_release(&text);
	}
	if (lazy_err == 0)
		lf_state_release(&lazy);
	if (full_err == 0)
		lf_state_release(&full);
	return 0;
}
