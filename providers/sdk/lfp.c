/*
 * lfp.c - the provider SDK: framing, envelope checks, dispatch to a pool of
 * worker threads, responses and the log.
 *
 * The main thread reads stdin line by line.  It answers at once everything
 * that needs no callback of a resource type (initialize, shutdown, every
 * error found in the envelope or the params) and runs `configure` itself,
 * after the pool has drained, so that configure never overlaps an
 * operation.  Operations are queued; a worker takes the oldest queued call
 * whose address no other worker holds, so two calls for one address run in
 * the order they arrived and never at once.
 *
 * Locking: `lock` guards the queue, the running set and `stopping`; `work`
 * wakes workers, `idle` wakes the main thread waiting for the pool to drain.
 * A queued call belongs to the queue; once taken, to its worker alone.
 * Responses are written whole, one line each, batched under `out_lock`
 * (send_lines); log lines under `log_lock`.  A provider whose reads are
 * quick (inline_reads) has them run on the main thread itself.
 */
#include "lfp.h"

#ifdef LF_VERSION
#define LFP_RELEASE LF_VERSION
#else
#define LFP_RELEASE "0.0.0"
#endif

#include "util/buf.h"
#include "util/jsonout.h"
#include "util/jspan.h"
#include "util/mem.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LFP_MAX_LINE ((size_t)16 << 20) /* longer lines are a parse error */
#define LFP_MAX_THREADS 256
#define LFP_CHUNK 65536

enum lfp_op { OP_READ, OP_CREATE, OP_UPDATE, OP_DELETE, OP_VALIDATE, OP_LIST, OP_USAGE };

struct lfp_call {
	const struct lfp_provider *p;
	json_t *id; /* the request's integer id, owned; NULL: unknown */
	enum lfp_op op;
	const char *method; /* static text */
	lfp_op_fn fn;
	json_t *params;      /* owned */
	const char *address; /* borrowed from params */
	struct timespec received;
	long deadline_ms; /* -1: none */
	int err_code;     /* 0: lfp_error() not called */
	int err_retryable;
	char *err_msg;
	struct lfp_call *next;
};

struct lfp_server {
	const struct lfp_provider *p;
	json_t *resource_types; /* for initialize */
	int concurrency;
	int configured; /* main thread only */
	char *account;  /* from configure; read by workers only between drains */

	pthread_mutex_t lock;
	pthread_cond_t work;
	pthread_cond_t idle;
	struct lfp_call *head, *tail; /* the queue, oldest first */
	size_t queued;
	const char **running; /* addresses held by workers, and the main
	                       * thread's inline read: `concurrency` + 1 slots */
	size_t nrunning;
	size_t nidle;    /* workers waiting on `work` */
	size_t waking;   /* of those, signalled and not yet running */
	size_t starting; /* workers created and not yet running */
	size_t nthreads; /* workers created, of `concurrency` at most */
	int stopping;
	pthread_t *threads;
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *log_name = "lakeform-provider"; /* set before threads start */
static const char *cur_account = "";               /* see lfp_call_account() */

/* ---- log and responses ------------------------------------------------- */

void lfp_log(const char *fmt, ...)
{
	struct lf_buf line = LF_BUF_INIT;
	va_list ap;

	lf_buf_addf(&line, "%s: ", log_name);
	va_start(ap, fmt);
	lf_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	lf_buf_addc(&line, '\n');
	pthread_mutex_lock(&log_lock);
	fwrite(line.ptr, 1, line.len, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	lf_buf_release(&line);
}

/*
 * Responses leave in batches: a thread with lines to send appends them to
 * `outq`; if no thread is writing, it becomes the writer and writes
 * everything queued, again and again until the queue is empty; otherwise
 * the writer takes its lines along.  Answers that finish together cost one
 * write, and wake lakeform once.  Each line is whole in the queue, so
 * lines never interleave.
 */
static struct lf_buf outq = LF_BUF_INIT; /* under out_lock */
static int writing;                      /* under out_lock */
static int out_broken;                   /* stdout is gone: drop answers */

static void write_out(int fd, const char *p, size_t n)
{
	while (n > 0 && !out_broken) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			out_broken = 1;
			lfp_log("cannot write responses: %s", strerror(errno));
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void send_lines(const char *text, size_t len)
{
	pthread_mutex_lock(&out_lock);
	lf_buf_add(&outq, text, len);
	if (writing) {
		pthread_mutex_unlock(&out_lock);
		return;
	}
	writing = 1;
	while (outq.len) {
		struct lf_buf batch = outq;
		outq = (struct lf_buf)LF_BUF_INIT;
		pthread_mutex_unlock(&out_lock);
		write_out(1, batch.ptr, batch.len);
		lf_buf_release(&batch);
		pthread_mutex_lock(&out_lock);
	}
	writing = 0;
	pthread_mutex_unlock(&out_lock);
}

/* Answers of calls the input thread ran itself (inline reads): sent
 * together before it next waits for input. */
static struct lf_buf held = LF_BUF_INIT; /* the main thread's */
static _Thread_local int holding;        /* set on the main thread only */

/* Writes `msg` as one line and drops the reference. */
static void send_msg(json_t *msg)
{
	/* held answers are encoded in place, the others into a line of
	 * their own */
	struct lf_buf line = LF_BUF_INIT;
	struct lf_buf *b = holding ? &held : &line;

	/* canonical, as lakeform's state records are: a read of an object
	 * that is as recorded answers the record's attrs byte for byte,
	 * which lakeform then need not parse */
	if (lf_buf_add_json(b, msg, JSON_SORT_KEYS | JSON_COMPACT) < 0) {
		lfp_log("cannot encode a response");
	} else {
		lf_buf_addc(b, '\n');
		if (!holding)
			send_lines(line.ptr, line.len);
	}
	lf_buf_release(&line);
	json_decref(msg);
}

static void send_held(void)
{
	if (held.len)
		send_lines(held.ptr, held.len);
	lf_buf_truncate(&held, 0);
}

static json_t *envelope(json_t *id)
{
	return json_pack("{s:s, s:O}", "jsonrpc", "2.0", "id", id ? id : json_null());
}

/* `result` is stolen; NULL stands for {}. */
static void reply_result(json_t *id, json_t *result)
{
	json_t *msg = envelope(id);

	json_object_set_new(msg, "result", result ? result : json_object());
	send_msg(msg);
}

static void reply_error(json_t *id, int code, int retryable, const char *message)
{
	json_t *msg = envelope(id);

	json_object_set_new(msg, "error",
	                    json_pack("{s:i, s:s, s:{s:b}}", "code", code, "message", message,
	                              "data", "retryable", retryable));
	send_msg(msg);
}

static void reply_errorf(json_t *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reply_errorf(json_t *id, int code, const char *fmt, ...)
{
	struct lf_buf m = LF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	lf_buf_vaddf(&m, fmt, ap);
	va_end(ap);
	reply_error(id, code, 0, lf_buf_cstr(&m));
	lf_buf_release(&m);
}

/* ---- calls --------------------------------------------------------------- */

void lfp_error(struct lfp_call *call, int code, int retryable, const char *fmt, ...)
{
	struct lf_buf m = LF_BUF_INIT;
	va_list ap;

	if (!call)
		return;
	va_start(ap, fmt);
	lf_buf_vaddf(&m, fmt, ap);
	va_end(ap);
	free(call->err_msg);
	call->err_msg = lf_buf_detach(&m);
	call->err_code = code ? code : LFP_E_INTERNAL;
	call->err_retryable = retryable != 0;
}

void *lfp_call_state(struct lfp_call *call)
{
	return call && call->p ? call->p->state : NULL;
}

const char *lfp_call_account(struct lfp_call *call)
{
	(void)call;
	return cur_account;
}

long lfp_call_remaining_ms(struct lfp_call *call)
{
	struct timespec now;
	long long elapsed, left;

	if (!call || call->deadline_ms < 0)
		return LONG_MAX;
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (long long)(now.tv_sec - call->received.tv_sec) * 1000 +
	          (now.tv_nsec - call->received.tv_nsec) / 1000000;
	left = call->deadline_ms - elapsed;
	return left > 0 ? (long)left : 0;
}

static void call_free(struct lfp_call *c)
{
	if (!c)
		return;
	json_decref(c->id);
	json_decref(c->params);
	free(c->err_msg);
	free(c);
}

/* The answer of a callback that returned `rc` and `result` (stolen). */
static void finish_call(struct lfp_call *c, int rc, json_t *result)
{
	const char *missing = NULL;

	if (rc != 0) {
		json_decref(result);
		if (c->err_code)
			reply_error(c->id, c->err_code, c->err_retryable, c->err_msg);
		else
			reply_errorf(c->id, LFP_E_INTERNAL, "%s of '%s' failed without a message",
			             c->method, c->address);
		return;
	}
	if (!result)
		result = json_object();
	if (!json_is_object(result)) {
		json_decref(result);
		reply_errorf(c->id, LFP_E_INTERNAL,
		             "%s of '%s' returned a result that is not an object", c->method,
		             c->address);
		return;
	}
	switch (c->op) {
	case OP_READ:
		if (!json_is_boolean(json_object_get(result, "exists")))
			missing = "exists";
		if (!json_object_get(result, "id"))
			json_object_set_new(result, "id", json_null());
		if (!json_object_get(result, "attributes"))
			json_object_set_new(result, "attributes", json_null());
		break;
	case OP_CREATE:
		if (!json_is_string(json_object_get(result, "id")))
			missing = "id";
		else if (!json_is_object(json_object_get(result, "attributes")))
			missing = "attributes";
		break;
	case OP_UPDATE:
		if (!json_is_object(json_object_get(result, "attributes")))
			missing = "attributes";
		break;
	case OP_DELETE:
		break;
	case OP_VALIDATE:
		if (!json_is_array(json_object_get(result, "diagnostics")))
			missing = "diagnostics";
		break;
	case OP_LIST:
		if (!json_is_array(json_object_get(result, "objects")))
			missing = "objects";
		break;
	case OP_USAGE:
		break;
	}
	if (missing) {
		json_decref(result);
		reply_errorf(c->id, LFP_E_INTERNAL, "%s of '%s' returned no valid '%s'", c->method,
		             c->address, missing);
		return;
	}
	reply_result(c->id, result);
}

static void run_call(struct lfp_call *c)
{
	json_t *result = NULL;
	int rc;

	if (c->deadline_ms >= 0 && lfp_call_remaining_ms(c) == 0) {
		reply_error(c->id, LFP_E_UNAVAILABLE, 1, "deadline passed before the call started");
		return;
	}
	rc = c->fn(c, c->params, &result);
	finish_call(c, rc, result);
}

/* ---- the pool -------------------------------------------------------------- */

static int address_busy(const struct lfp_server *s, const char *address)
{
	for (size_t i = 0; i < s->nrunning; i++)
		if (!strcmp(s->running[i], address))
			return 1;
	return 0;
}

/* The oldest queued call whose address is free, unlinked; NULL if none. */
static struct lfp_call *take_call(struct lfp_server *s)
{
	struct lfp_call **link = &s->head, *prev = NULL;

	for (struct lfp_call *c = s->head; c; prev = c, c = c->next) {
		if (address_busy(s, c->address)) {
			link = &c->next;
			continue;
		}
		*link = c->next;
		if (s->tail == c)
			s->tail = prev;
		c->next = NULL;
		s->queued--;
		return c;
	}
	return NULL;
}

/*
 * Wake an idle worker for each queued call no woken worker is on its way
 * to take: a burst of 50 slow calls starts on 50 workers at once.  (Waking
 * every idle worker for each call was a thundering herd: 1.5 ms a call with
 * 256 workers; waking one that wakes the next as it starts spread a burst
 * of 50 over 2.5 ms.)
 */
static void *worker(void *arg);

static void wake_workers(struct lfp_server *s)
{
	while (s->queued > s->waking && s->nidle > s->waking) {
		s->waking++;
		pthread_cond_signal(&s->work);
	}
	/* still more than the idle ones can take: more workers, up to the
	 * concurrency.  They start as needed, not all at once: 256 threads
	 * made at start cost a provider 20 ms before its first answer. */
	while (s->queued > s->waking + s->starting && s->nthreads < (size_t)s->concurrency &&
	       !s->stopping) {
		if (pthread_create(&s->threads[s->nthreads], NULL, worker, s)) {
			lfp_log("cannot start a worker thread: %s", strerror(errno));
			break;
		}
		s->nthreads++;
		s->starting++;
	}
}

static void *worker(void *arg)
{
	struct lfp_server *s = arg;

	pthread_mutex_lock(&s->lock);
	if (s->starting)
		s->starting--;
	for (;;) {
		struct lfp_call *c = take_call(s);
		if (!c) {
			if (s->stopping && !s->queued)
				break;
			s->nidle++;
			pthread_cond_wait(&s->work, &s->lock);
			s->nidle--;
			if (s->waking)
				s->waking--;
			continue;
		}
		s->running[s->nrunning++] = c->address;
		wake_workers(s); /* more queued than hands on the way */
		pthread_mutex_unlock(&s->lock);

		run_call(c);

		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < s->nrunning; i++) {
			if (s->running[i] == c->address) {
				s->running[i] = s->running[--s->nrunning];
				break;
			}
		}
		call_free(c);
		/* a call for the address just freed may be waiting: this worker
		 * takes it itself as it loops; waking the idle ones too was a
		 * thundering herd (256 workers: 1.5 ms a call). */
		/* stopping: a worker that found only busy addresses went back
		 * to sleep; wake them all to take what is free now, or exit */
		if (s->stopping)
			pthread_cond_broadcast(&s->work);
		if (!s->queued && !s->nrunning)
			pthread_cond_broadcast(&s->idle);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void enqueue(struct lfp_server *s, struct lfp_call *c)
{
	pthread_mutex_lock(&s->lock);
	if (s->tail)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	s->queued++;
	wake_workers(s);
	pthread_mutex_unlock(&s->lock);
}

static int address_queued(const struct lfp_server *s, const char *address)
{
	for (const struct lfp_call *c = s->head; c; c = c->next)
		if (!strcmp(c->address, address))
			return 1;
	return 0;
}

/*
 * A read of a provider that declared its reads quick (inline_reads) runs on
 * the main thread at once, its answer held until the main thread next
 * waits for input: no hand-off to a worker and back.  Not when a call for
 * the same address is queued or running: the order per address holds.
 * Returns 1 when it ran.
 */
static int run_inline(struct lfp_server *s, struct lfp_call *c)
{
	if (!s->p->inline_reads || c->op != OP_READ)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (address_busy(s, c->address) || address_queued(s, c->address)) {
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	s->running[s->nrunning++] = c->address;
	pthread_mutex_unlock(&s->lock);
	run_call(c);
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nrunning; i++)
		if (s->running[i] == c->address) {
			s->running[i] = s->running[--s->nrunning];
			break;
		}
	if (s->queued) /* a call for this address may have waited */
		wake_workers(s);
	if (!s->queued && !s->nrunning)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	call_free(c);
	return 1;
}

/* Wait until every queued and running call has been answered. */
static void drain(struct lfp_server *s)
{
	send_held(); /* answered already: not kept waiting behind the pool */
	pthread_mutex_lock(&s->lock);
	while (s->queued || s->nrunning)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

/* ---- methods answered by the SDK ------------------------------------------- */

static void do_initialize(struct lfp_server *s, json_t *id, json_t *params)
{
	json_t *v = json_object_get(params, "protocol_version");

	if (!json_is_integer(v)) {
		reply_errorf(id, LFP_E_INVALID_PARAMS, "'protocol_version' must be an integer");
		return;
	}
	if (json_integer_value(v) != LFP_PROTOCOL_VERSION) {
		reply_errorf(id, LFP_E_INVALID_PARAMS,
		             "unsupported protocol version %" JSON_INTEGER_FORMAT
		             " (this provider speaks %d)",
		             json_integer_value(v), LFP_PROTOCOL_VERSION);
		return;
	}
	reply_result(id, json_pack("{s:s, s:s, s:i, s:i, s:O}", "name", s->p->name, "version",
	                           s->p->release ? s->p->release : LFP_RELEASE, "protocol_version",
	                           LFP_PROTOCOL_VERSION, "concurrency", s->concurrency,
	                           "resource_types", s->resource_types));
}

static void do_configure(struct lfp_server *s, json_t *id, json_t *params)
{
	json_t *settings = json_object_get(params, "settings");
	json_t *account = json_object_get(params, "account");
	struct lfp_call call = {0};
	json_t *empty = NULL;
	int rc = 0;

	if (settings && !json_is_object(settings) && !json_is_null(settings)) {
		reply_errorf(id, LFP_E_INVALID_PARAMS, "'settings' must be an object");
		return;
	}
	if (!json_is_string(account)) {
		reply_errorf(id, LFP_E_INVALID_PARAMS, "'account' must be a string");
		return;
	}
	if (!json_is_object(settings))
		settings = empty = json_object();

	/* no operation runs while the provider is being configured */
	drain(s);
	free(s->account);
	s->account = lf_xstrdup(json_string_value(account));
	cur_account = s->account;

	call.p = s->p;
	call.id = id;
	call.method = "configure";
	call.address = "";
	call.deadline_ms = -1;
	clock_gettime(CLOCK_MONOTONIC, &call.received);
	if (s->p->configure)
		rc = s->p->configure(&call, settings);
	s->configured = rc == 0;
	if (rc == 0)
		reply_result(id, NULL);
	else if (call.err_code)
		reply_error(id, call.err_code, call.err_retryable, call.err_msg);
	else
		reply_errorf(id, LFP_E_INTERNAL, "configure failed without a message");
	free(call.err_msg);
	json_decref(empty);
}

/* ---- one request ------------------------------------------------------------- */

static const struct lfp_type *find_type(const struct lfp_provider *p, const char *name)
{
	for (size_t i = 0; i < p->ntypes; i++)
		if (!strcmp(p->types[i].name, name))
			return &p->types[i];
	return NULL;
}

static int is_object_or_null(const json_t *v)
{
	return !v || json_is_object(v) || json_is_null(v);
}

/*
 * Checks the params of an operation; answers and returns -1 if they are
 * wrong, else fills `c` and returns 0.
 */
static int check_op(struct lfp_server *s, struct lfp_call *c, json_t *params)
{
	json_t *type = json_object_get(params, "type");
	json_t *address = json_object_get(params, "address");
	json_t *id = json_object_get(params, "id");
	json_t *inputs = json_object_get(params, "inputs");

	if (!json_is_string(type)) {
		reply_errorf(c->id, LFP_E_INVALID_PARAMS, "'type' must be a string");
		return -1;
	}
	if (c->op != OP_LIST && (!json_is_string(address) || !json_string_length(address))) {
		reply_errorf(c->id, LFP_E_INVALID_PARAMS, "'address' must be a non-empty string");
		return -1;
	}
	const struct lfp_type *t = find_type(s->p, json_string_value(type));
	if (!t) {
		reply_errorf(c->id, LFP_E_INVALID_PARAMS, "unknown resource type '%s'",
		             json_string_value(type));
		return -1;
	}
	switch (c->op) {
	case OP_LIST:
		c->fn = t->list;
		break;
	case OP_USAGE:
		if (id && !json_is_string(id) && !json_is_null(id)) {
			reply_errorf(c->id, LFP_E_INVALID_PARAMS, "'id' must be a string or null");
			return -1;
		}
		c->fn = t->usage;
		break;
	case OP_READ:
		if (id && !json_is_string(id) && !json_is_null(id)) {
			reply_errorf(c->id, LFP_E_INVALID_PARAMS, "'id' must be a string or null");
			return -1;
		}
		if (!is_object_or_null(inputs)) {
			reply_errorf(c->id, LFP_E_INVALID_PARAMS,
			             "'inputs' must be an object or null");
			return -1;
		}
		c->fn = t->read;
		break;
	case OP_CREATE:
	case OP_VALIDATE:
		if (!json_is_object(inputs)) {
			reply_errorf(c->id, LFP_E_INVALID_PARAMS, "'inputs' must be an object");
			return -1;
		}
		c->fn = c->op == OP_CREATE ? t->create : t->validate;
		break;
	case OP_UPDATE:
		if (!json_is_string(id)) {
			reply_errorf(c->id, LFP_E_INVALID_PARAMS, "'id' must be a string");
			return -1;
		}
		if (!json_is_object(inputs)) {
			reply_errorf(c->id, LFP_E_INVALID_PARAMS, "'inputs' must be an object");
			return -1;
		}
		if (!is_object_or_null(json_object_get(params, "prior"))) {
			reply_errorf(c->id, LFP_E_INVALID_PARAMS,
			             "'prior' must be an object or null");
			return -1;
		}
		c->fn = t->update;
		break;
	case OP_DELETE:
		if (!json_is_string(id)) {
			reply_errorf(c->id, LFP_E_INVALID_PARAMS, "'id' must be a string");
			return -1;
		}
		if (!is_object_or_null(json_object_get(params, "attributes"))) {
			reply_errorf(c->id, LFP_E_INVALID_PARAMS,
			             "'attributes' must be an object or null");
			return -1;
		}
		c->fn = t->del;
		break;
	}
	if (c->op == OP_VALIDATE && !c->fn) {
		reply_result(c->id, json_pack("{s:[]}", "diagnostics"));
		return -1;
	}
	if (c->op != OP_VALIDATE && !s->configured) {
		reply_error(c->id, LFP_E_NOT_CONFIGURED, 0, "provider is not configured");
		return -1;
	}
	if (c->op == OP_UPDATE && !c->fn) {
		reply_error(c->id, LFP_E_INVALID, 0, "this type cannot be updated in place");
		return -1;
	}
	if (c->op == OP_LIST && !c->fn) {
		reply_errorf(c->id, LFP_E_NO_METHOD, "type '%s' cannot be listed", t->name);
		return -1;
	}
	if (c->op == OP_USAGE && !c->fn) {
		reply_errorf(c->id, LFP_E_NO_METHOD, "type '%s' reports no usage", t->name);
		return -1;
	}
	if (!c->fn) {
		reply_errorf(c->id, LFP_E_INTERNAL, "type '%s' has no %s", t->name, c->method);
		return -1;
	}
	/* every list of a type runs in order, apart from the addresses */
	c->address = c->op == OP_LIST ? t->name : json_string_value(address);
	return 0;
}

static const struct {
	const char *name;
	enum lfp_op op;
} ops[] = {
    {"read", OP_READ},         {"create", OP_CREATE}, {"update", OP_UPDATE}, {"delete", OP_DELETE},
    {"validate", OP_VALIDATE}, {"list", OP_LIST},     {"usage", OP_USAGE},
};

/*
 * A request line decoded without one member of its params, for a provider
 * whose callbacks of that method ignore it (reads_ignore_inputs: a read's
 * "inputs"; updates_ignore_prior: an update's "prior"): its text is
 * skipped, not decoded, and the member is null.  `method` is the method's
 * name as JSON text ("\"read\"").  NULL for a line of another method, or
 * one whose members the scan cannot tell apart (a key twice or escaped),
 * which is then decoded as it is.
 */
static json_t *without_member(const char *line, size_t len, const char *method_text,
                              const char *member)
{
	struct lf_jspan_iter it;
	const char *k, *v, *method = NULL, *params = NULL, *in;
	size_t kl, vl, ml = 0, pl = 0, il, want = strlen(method_text);
	int esc, rc;
	json_t *msg;

	if (lf_jspan_object(&it, line, len))
		return NULL;
	while ((rc = lf_jspan_next(&it, &k, &kl, &esc, &v, &vl)) == 1) {
		if (esc)
			return NULL;
		if (kl == 6 && !memcmp(k, "method", 6)) {
			if (method)
				return NULL;
			method = v;
			ml = vl;
		} else if (kl == 6 && !memcmp(k, "params", 6)) {
			if (params)
				return NULL;
			params = v;
			pl = vl;
		}
	}
	if (rc < 0 || !method || ml != want || memcmp(method, method_text, want) || !params ||
	    lf_jspan_member(params, pl, member, &in, &il) != 1)
		return NULL;
	struct lf_buf b = LF_BUF_INIT;
	lf_buf_add(&b, line, (size_t)(in - line));
	lf_buf_adds(&b, "null");
	lf_buf_add(&b, in + il, len - (size_t)(in + il - line));
	msg = json_loadb(b.ptr, b.len, 0, NULL);
	lf_buf_release(&b);
	return msg;
}

/* Handles one line; returns 1 after shutdown, else 0. */
static int handle_line(struct lfp_server *s, const char *line, size_t len,
                       const struct timespec *received)
{
	json_error_t jerr;
	json_t *msg = NULL, *id, *v, *params;
	const char *method;
	struct lfp_call *c;
	int ret = 0;

	if (s->p->reads_ignore_inputs)
		msg = without_member(line, len, "\"read\"", "inputs");
	if (!msg && s->p->updates_ignore_prior)
		msg = without_member(line, len, "\"update\"", "prior");
	if (!msg)
		msg = json_loadb(line, len, 0, &jerr);
	if (!msg) {
		reply_errorf(NULL, LFP_E_PARSE, "invalid json at column %d: %s", jerr.column,
		             jerr.text);
		return 0;
	}
	if (!json_is_object(msg)) {
		reply_errorf(NULL, LFP_E_INVALID_REQUEST,
		             json_is_array(msg) ? "batches are not supported"
		                                : "a request must be an object");
		goto out;
	}
	id = json_object_get(msg, "id");
	if (!json_is_integer(id)) {
		reply_errorf(NULL, LFP_E_INVALID_REQUEST, "'id' must be an integer");
		goto out;
	}
	v = json_object_get(msg, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0")) {
		reply_errorf(id, LFP_E_INVALID_REQUEST, "'jsonrpc' must be \"2.0\"");
		goto out;
	}
	v = json_object_get(msg, "method");
	if (!json_is_string(v)) {
		reply_errorf(id, LFP_E_INVALID_REQUEST, "'method' must be a string");
		goto out;
	}
	method = json_string_value(v);
	params = json_object_get(msg, "params");
	if (!params) {
		params = json_object();
		json_object_set_new(msg, "params", params);
	}
	if (!json_is_object(params)) {
		reply_errorf(id, LFP_E_INVALID_PARAMS, "'params' must be an object");
		goto out;
	}
	v = json_object_get(params, "deadline_ms");
	if (v && !(json_is_integer(v) && json_integer_value(v) >= 0) && !json_is_null(v)) {
		reply_errorf(id, LFP_E_INVALID_PARAMS,
		             "'deadline_ms' must be a non-negative integer");
		goto out;
	}

	if (!strcmp(method, "initialize")) {
		do_initialize(s, id, params);
		goto out;
	}
	if (!strcmp(method, "configure")) {
		do_configure(s, id, params);
		goto out;
	}
	if (!strcmp(method, "shutdown")) {
		drain(s);
		reply_result(id, NULL);
		ret = 1;
		goto out;
	}

	c = lf_xcalloc(1, sizeof(*c));
	c->p = s->p;
	c->id = json_incref(id);
	c->received = *received;
	c->deadline_ms =
	    json_is_integer(v)
	        ? (json_integer_value(v) > LONG_MAX ? LONG_MAX : (long)json_integer_value(v))
	        : -1;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!strcmp(ops[i].name, method)) {
			c->op = ops[i].op;
			c->method = ops[i].name;
			break;
		}
	}
	if (!c->method) {
		reply_errorf(id, LFP_E_NO_METHOD, "unknown method '%s'", method);
		call_free(c);
		goto out;
	}
	if (check_op(s, c, params) < 0) {
		call_free(c);
		goto out;
	}
	c->params = json_incref(params);
	/* the message goes before the call may run on a worker, so that the
	 * call alone holds its id and params: jansson's last json_decref frees
	 * without an acquire, so a value released on two threads would be
	 * freed unordered with the other thread's reads of it */
	json_decref(msg);
	if (!run_inline(s, c))
		enqueue(s, c);
	return ret;
out:
	json_decref(msg);
	return ret;
}

/* ---- input ------------------------------------------------------------------ */

struct lfp_reader {
	char *chunk;
	size_t pos, len;
	struct lf_buf line;
	int too_long; /* the current line passed LFP_MAX_LINE: skip to its end */
	int eof;
};

/*
 * The next line, without its "\n", into r->line; returns 1, or 0 at end of
 * input.  *too_long tells that the line was longer than the limit (its text
 * is then dropped).
 */
static int reader_next(struct lfp_reader *r, int *too_long)
{
	lf_buf_truncate(&r->line, 0);
	r->too_long = 0;
	for (;;) {
		if (r->pos == r->len) {
			send_held(); /* what the main thread answered, before it waits */
			ssize_t n = r->eof ? 0 : read(0, r->chunk, LFP_CHUNK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				r->eof = 1;
				*too_long = r->too_long;
				/* a last line without its "\n" still counts */
				return r->line.len > 0 || r->too_long;
			}
			r->pos = 0;
			r->len = (size_t)n;
		}
		char *start = r->chunk + r->pos;
		char *nl = memchr(start, '\n', r->len - r->pos);
		size_t seg = nl ? (size_t)(nl - start) : r->len - r->pos;

		if (!r->too_long) {
			if (r->line.len + seg > LFP_MAX_LINE) {
				r->too_long = 1;
				lf_buf_release(&r->line);
			} else {
				lf_buf_add(&r->line, start, seg);
			}
		}
		r->pos += seg + (nl ? 1 : 0);
		if (nl) {
			*too_long = r->too_long;
			return 1;
		}
	}
}

static int is_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* ---- main -------------------------------------------------------------------- */

static int check_table(const struct lfp_provider *p, json_t **out)
{
	json_t *types;

	if (!p || p->version != LFP_VERSION || !p->name || (p->ntypes && !p->types)) {
		lfp_log("provider table is not of version %d", LFP_VERSION);
		return -1;
	}
	types = json_array();
	for (size_t i = 0; i < p->ntypes; i++) {
		const struct lfp_type *t = &p->types[i];
		json_t *schema = json_null();
		json_error_t jerr;

		if (!t->name || find_type(p, t->name) != t) {
			lfp_log("type %zu: missing or duplicate name", i);
			goto fail;
		}
		if (t->schema_json) {
			schema = json_loads(t->schema_json, 0, &jerr);
			if (!json_is_object(schema)) {
				lfp_log("type '%s': schema is not a json object: %s", t->name,
				        schema ? "wrong type" : jerr.text);
				json_decref(schema);
				goto fail;
			}
		}
		json_array_append_new(types,
		                      json_pack("{s:s, s:o}", "type", t->name, "schema", schema));
	}
	*out = types;
	return 0;
fail:
	json_decref(types);
	return -1;
}

int lfp_main(const struct lfp_provider *p, int argc, char **argv)
{
	struct lfp_server s = {0};
	struct lfp_reader r = {0};
	int too_long, err = 0;

	(void)argc;
	(void)argv;
	if (p && p->name)
		log_name = p->name;
	json_object_seed(0); /* before any thread can create an object */
	if (check_table(p, &s.resource_types) < 0)
		return 1;
	s.p = p;
	s.concurrency = p->concurrency < 1 ? 1 : p->concurrency;
	if (s.concurrency > LFP_MAX_THREADS)
		s.concurrency = LFP_MAX_THREADS;
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.work, NULL);
	pthread_cond_init(&s.idle, NULL);
	s.running = lf_xcalloc((size_t)s.concurrency + 1, sizeof(*s.running));
	holding = 1; /* this thread's answers go out before it reads */
	s.threads = lf_xcalloc((size_t)s.concurrency, sizeof(*s.threads));
	/* one worker now, the others when calls queue up (wake_workers) */
	pthread_mutex_lock(&s.lock);
	if (pthread_create(&s.threads[0], NULL, worker, &s)) {
		lfp_log("cannot start a worker thread: %s", strerror(errno));
		err = 1;
	} else {
		s.nthreads = 1;
		s.starting = 1;
	}
	pthread_mutex_unlock(&s.lock);

	r.chunk = lf_xmalloc(LFP_CHUNK);
	while (!err && reader_next(&r, &too_long)) {
		struct timespec received;

		clock_gettime(CLOCK_MONOTONIC, &received);
		if (too_long) {
			reply_errorf(NULL, LFP_E_PARSE, "line longer than %zu bytes", LFP_MAX_LINE);
			continue;
		}
		if (is_blank(r.line.ptr, r.line.len))
			continue;
		if (handle_line(&s, r.line.ptr, r.line.len, &received))
			break;
	}

	send_held();
	holding = 0;
	/* end of input or shutdown: answer what is in flight, then stop */
	pthread_mutex_lock(&s.lock);
	s.stopping = 1;
	pthread_cond_broadcast(&s.work);
	pthread_mutex_unlock(&s.lock);
	/* stopping: no worker is created any more */
	for (size_t i = 0; i < s.nthreads; i++)
		pthread_join(s.threads[i], NULL);

	pthread_cond_destroy(&s.idle);
	pthread_cond_destroy(&s.work);
	pthread_mutex_destroy(&s.lock);
	cur_account = "";
	free(s.account);
	free(s.running);
	free(s.threads);
	free(r.chunk);
	lf_buf_release(&r.line);
	json_decref(s.resource_types);
	return err;
}
