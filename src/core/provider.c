#include "provider.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/fs.h"
#include "../util/jsonout.h"
#include "../util/mem.h"

#define READ_CHUNK 65536

/* One request waiting for its answer. */
struct pending {
	int64_t id;
	int done;
	json_t *answer;    /* the whole response, owned */
	pthread_cond_t cv; /* its answer arrived, or the provider is gone */
	int is_call;       /* a struct lf_call: delivered to its inbox, cv unused */
	struct pending *next;
};

/* A call sent with lf_provider_send(): a pending request that, once
 * answered, is delivered to its inbox instead of waking a caller. */
struct lf_call {
	struct pending w; /* first: the reader finds it among p->waiting */
	struct lf_provider *p;
	struct lf_inbox *inbox;
	void *tag;
	const char *method; /* static: one of the protocol's names */
	int local;          /* 0, or LF_PROVIDER_EDEADLINE / EGONE */
	struct lf_call *inext;
	/* the result's text expected (lf_provider_send_text), the caller's */
	const struct lf_text_piece *expect;
	size_t nexpect;
	int as_expected; /* the answer was exactly that: w.answer is NULL */
};

struct lf_inbox {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC */
	struct lf_call *head, *tail;
	int waiting; /* its owner sleeps on cv */
	/* its owner's reference, and the reader's while the inbox waits for
	 * its wake (struct touched): the owner may take the answer and free
	 * the inbox before the reader wakes it, so the last one frees it */
	int refs;
};

static void inbox_destroy(struct lf_inbox *in)
{
	pthread_mutex_destroy(&in->mu);
	pthread_cond_destroy(&in->cv);
	free(in);
}

struct lf_provider {
	pid_t pid;
	int in_fd;  /* we write requests */
	int out_fd; /* we read answers */
	FILE *out;
	char *log;
	char *name;
	char *version; /* from initialize, or NULL when it said none */
	int concurrency;
	json_t *types; /* array of type names */

	pthread_t reader;
	int reader_started;
	pthread_mutex_t mu;
	pthread_mutex_t write_mu; /* one line at a time, without holding mu */
	pthread_cond_t slot_cv;   /* a place in flight came free */
	int in_flight;
	int gone;
	int abandoned; /* a call went unanswered: it may never answer again */
	char *broken;  /* why the session broke (a line that is no answer); gone too */
	int64_t next_id;
	int64_t *expired; /* ids given up on: their answers may still come */
	size_t nexpired, expired_alloc;
	long timeout_ms;         /* initialize's and configure's deadline */
	size_t max_answer;       /* the longest answer line read */
	char *max_answer_source; /* where that limit is set, for the message */
	struct pending *waiting;
	struct lf_inbox *init_inbox; /* until lf_provider_await() */
	struct lf_call *init_call;
	struct timespec init_until;
	int init_failed;
	pthread_mutex_t q_mu; /* guards outq */
	struct lf_buf outq;   /* requests lf_provider_send() queued */
	struct lf_buf spare;  /* the last flush's buffer, emptied */
};

/* Put `c` in its inbox; wake its owner unless `quiet` (the reader wakes
 * each inbox once per read instead: inbox_wake). */
static void inbox_put(struct lf_call *c, int quiet)
{
	struct lf_inbox *in = c->inbox;

	pthread_mutex_lock(&in->mu);
	c->inext = NULL;
	if (in->tail)
		in->tail->inext = c;
	else
		in->head = c;
	in->tail = c;
	if (in->waiting && !quiet)
		pthread_cond_signal(&in->cv);
	pthread_mutex_unlock(&in->mu);
}

/* Wake the owner when it sleeps on an answer, and drop the reader's
 * reference (taken when the inbox was touched). */
static void inbox_wake(struct lf_inbox *in)
{
	pthread_mutex_lock(&in->mu);
	if (in->waiting && in->head)
		pthread_cond_signal(&in->cv);
	int last = --in->refs == 0;
	pthread_mutex_unlock(&in->mu);
	if (last)
		inbox_destroy(in);
}

static void unlink_waiting(struct lf_provider *p, struct pending *w)
{
	for (struct pending **pp = &p->waiting; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

/* A call given up on (with p->mu held): a late answer to it is ignored. */
static void add_expired(struct lf_provider *p, int64_t id)
{
	LF_GROW(p->expired, p->nexpired + 1, p->expired_alloc);
	p->expired[p->nexpired++] = id;
}

/* 1 when `id` was given up on (then forgotten: it answers once), with
 * p->mu held. */
static int take_expired(struct lf_provider *p, int64_t id)
{
	for (size_t i = 0; i < p->nexpired; i++)
		if (p->expired[i] == id) {
			p->expired[i] = p->expired[--p->nexpired];
			return 1;
		}
	return 0;
}

/* An answered (or failed) lf_call leaves the provider: with p->mu held. */
static void deliver_quietly(struct lf_provider *p, struct lf_call *c, int local, int quiet)
{
	c->w.done = 1;
	c->local = local;
	unlink_waiting(p, &c->w);
	p->in_flight--;
	pthread_cond_signal(&p->slot_cv);
	inbox_put(c, quiet);
}

static void deliver(struct lf_provider *p, struct lf_call *c, int local)
{
	deliver_quietly(p, c, local, 0);
}

/* Where its stderr goes, for messages. */
static const char *log_of(const struct lf_provider *p)
{
	return p->log ? p->log : "none kept";
}

static void set_err(struct lf_provider_error *e, int code, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_err(struct lf_provider_error *e, int code, int retryable, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	e->code = code;
	e->retryable = retryable;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* The inboxes that got answers from one read, woken once it is handled. */
struct touched {
	struct lf_inbox *v[8];
	size_t n;
};

/*
 * The session breaks: the provider wrote a line that is not an answer
 * lakeform can match (docs/providers.md, "stdout").  Nothing it writes
 * after can be trusted to line up with a request, so every call in flight
 * fails at once with the reason and later calls fail without being sent,
 * instead of each waiting out its deadline.  Called by the reader, which
 * then stops reading; it ends as at end of input.
 */
__attribute__((format(printf, 2, 3))) static void break_session(struct lf_provider *p,
                                                                const char *fmt, ...)
{
	struct lf_buf b = LF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	lf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&p->mu);
	if (!p->broken)
		p->broken = lf_buf_detach(&b);
	p->abandoned = 1; /* it is not asked to shut down: it is killed */
	pthread_mutex_unlock(&p->mu);
	lf_buf_release(&b);
}

/* The length of the valid UTF-8 prefix of s[0..n) (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		unsigned lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return i;
		}
		if (n - i <= k)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t j = 2; j <= k; j++)
			if (s[i + j] < 0x80 || s[i + j] > 0xbf)
				return i;
		i += k + 1;
	}
	return n;
}

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* 1 when jansson's message can be quoted as it is: printable ASCII (it
 * may hold a piece of the line). */
static int printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* Request `w` has its answer (in w->answer, or as expected): to its
 * caller, or to its inbox; with p->mu held. */
static void answered(struct lf_provider *p, struct pending *w, struct touched *t)
{
	if (w->is_call) {
		struct lf_call *c = (struct lf_call *)w;
		size_t i = 0;
		while (i < t->n && t->v[i] != c->inbox)
			i++;
		int quiet = i < t->n || t->n < sizeof(t->v) / sizeof(t->v[0]);
		if (i == t->n && quiet) {
			/* held until its wake: the owner may free it first */
			pthread_mutex_lock(&c->inbox->mu);
			c->inbox->refs++;
			pthread_mutex_unlock(&c->inbox->mu);
			t->v[t->n++] = c->inbox;
		}
		deliver_quietly(p, c, 0, quiet);
	} else {
		w->done = 1;
		/* only its caller: waking every waiter costs a switch each */
		pthread_cond_signal(&w->cv);
	}
}

/*
 * A line that is exactly the answer a call expected (lf_provider_send_text):
 * {"id":N,"jsonrpc":"2.0","result":  then the expected pieces, then "}".
 * Delivered without parsing it: 1; 0 for any other line.
 */
static int take_expected(struct lf_provider *p, const char *line, size_t len, struct touched *t)
{
	static const char head[] = "{\"id\":", mid[] = ",\"jsonrpc\":\"2.0\",\"result\":";
	const char *s = line + sizeof(head) - 1, *end = line + len;
	int64_t id = 0;
	int found = 0;

	if (len < sizeof(head) + sizeof(mid) || memcmp(line, head, sizeof(head) - 1) || *s < '1' ||
	    *s > '9')
		return 0;
	for (int n = 0; s < end && *s >= '0' && *s <= '9'; s++)
		if (++n > 18)
			return 0;
		else
			id = id * 10 + (*s - '0');
	if ((size_t)(end - s) < sizeof(mid) || memcmp(s, mid, sizeof(mid) - 1))
		return 0;
	s += sizeof(mid) - 1;

	pthread_mutex_lock(&p->mu);
	struct pending *w = p->waiting;
	while (w && w->id != id)
		w = w->next;
	if (w && !w->done && w->is_call && ((struct lf_call *)w)->nexpect) {
		struct lf_call *c = (struct lf_call *)w;
		const char *q = s;
		size_t i;

		for (i = 0; i < c->nexpect; i++) {
			const struct lf_text_piece *e = &c->expect[i];
			if ((size_t)(end - q) < e->n || memcmp(q, e->p, e->n))
				break;
			q += e->n;
		}
		if (i == c->nexpect && end - q == 1 && *q == '}') {
			c->as_expected = 1;
			answered(p, w, t);
			found = 1;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return found;
}

/*
 * One answer line: to its caller, or to its inbox.  Returns 0, or -1 when
 * the line broke the session (break_session() was called).
 */
static int take_line(struct lf_provider *p, const char *line, size_t len, struct touched *t)
{
	json_error_t jerr;
	size_t ok;

	if (is_blank(line, len))
		return 0;
	if ((ok = utf8_valid_len((const unsigned char *)line, len)) < len) {
		break_session(p, "it wrote a line that is not UTF-8 (byte 0x%02x at offset %zu)",
		              (unsigned char)line[ok], ok);
		return -1;
	}
	if (take_expected(p, line, len, t))
		return 0;
	json_t *msg = json_loadb(line, len, 0, &jerr);
	if (!msg) {
		if (printable(jerr.text))
			break_session(p, "it wrote a line that is not JSON (column %d: %s)",
			              jerr.column, jerr.text);
		else
			break_session(p, "it wrote a line that is not JSON (column %d)",
			              jerr.column);
		return -1;
	}
	json_t *id = json_object_get(msg, "id");
	if (!json_is_object(msg) || !json_is_integer(id)) {
		if (!json_is_object(msg))
			break_session(p, "it wrote a line that is not a JSON object");
		else if (json_is_null(id))
			break_session(p, "it answered with id null: it could not read a request");
		else
			break_session(p, "it wrote an answer without an integer id");
		json_decref(msg);
		return -1;
	}
	json_int_t idv = json_integer_value(id);

	pthread_mutex_lock(&p->mu);
	struct pending *w = p->waiting;
	while (w && w->id != idv)
		w = w->next;
	if (w && !w->done) {
		w->answer = msg;
		msg = NULL;
		answered(p, w, t);
	} else if (take_expired(p, idv)) {
		/* an answer nobody waits for any more: it came too late */
	} else {
		pthread_mutex_unlock(&p->mu);
		json_decref(msg);
		break_session(p, "it answered id %lld, which is not a request in flight",
		              (long long)idv);
		return -1;
	}
	pthread_mutex_unlock(&p->mu);
	json_decref(msg);
	return 0;
}

/*
 * Reads the provider's answers a chunk at a time: every answer of a chunk
 * is delivered before the inboxes waiting for them are woken, once each, so
 * that 50 answers arriving together wake apply's executor once, not 50
 * times.  A line is kept only up to p->max_answer bytes: a longer one
 * breaks the session without being read further, so a provider cannot
 * make lakeform hold more than that.
 */
static void *reader_main(void *arg)
{
	struct lf_provider *p = arg;
	struct lf_buf part = LF_BUF_INIT; /* a line the last chunk began */
	char *chunk = lf_xmalloc(READ_CHUNK);
	struct touched t = {{NULL}, 0};
	int broke = 0;

	while (!broke) {
		ssize_t n = read(p->out_fd, chunk, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		const char *s = chunk, *end = chunk + n;
		while (s < end && !broke) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			size_t seg = (size_t)((nl ? nl : end) - s);
			if (part.len + seg > p->max_answer) {
				break_session(p, "it wrote a line longer than %zu bytes%s%s",
				              p->max_answer,
				              p->max_answer_source ? ", the limit of " : "",
				              p->max_answer_source ? p->max_answer_source : "");
				broke = 1;
				break;
			}
			if (!nl) {
				lf_buf_add(&part, s, seg);
				break;
			}
			if (part.len) {
				lf_buf_add(&part, s, seg);
				broke = take_line(p, part.ptr, part.len, &t) < 0;
				lf_buf_truncate(&part, 0);
			} else {
				broke = take_line(p, s, seg, &t) < 0;
			}
			s = nl + 1;
		}
		for (size_t i = 0; i < t.n; i++)
			inbox_wake(t.v[i]);
		t.n = 0;
	}
	if (part.len && !broke) /* a last answer without its newline */
		take_line(p, part.ptr, part.len, &t);
	for (size_t i = 0; i < t.n; i++)
		inbox_wake(t.v[i]);
	lf_buf_release(&part);
	free(chunk);
	pthread_mutex_lock(&p->mu);
	p->gone = 1;
	for (struct pending *w = p->waiting, *next; w; w = next) {
		next = w->next;
		if (w->is_call)
			deliver(p, (struct lf_call *)w,
			        p->broken ? LF_PROVIDER_EBROKEN : LF_PROVIDER_EGONE);
		else
			pthread_cond_signal(&w->cv);
	}
	pthread_cond_broadcast(&p->slot_cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The request line of call `id`, with its "\n", appended to `b`: the
 * envelope written as text around the params, "deadline_ms" added as their
 * last member (the params are not copied, nor changed).  `method` is one of
 * the protocol's names, which need no escaping.
 */
static void format_request(struct lf_buf *b, int64_t id, const char *method, json_t *params,
                           long deadline_ms)
{
	lf_buf_addf(b,
	            "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"%s\",\"params\":", (long long)id,
	            method);
	size_t at = b->len;
	if (json_is_object(params) && json_object_size(params) > 0 &&
	    !json_object_get(params, "deadline_ms") &&
	    lf_buf_add_json(b, params, JSON_COMPACT) == 0) {
		lf_buf_truncate(b, b->len - 1); /* its closing '}' */
		lf_buf_addf(b, ",\"deadline_ms\":%ld}}\n", deadline_ms);
		return;
	}
	lf_buf_truncate(b, at);
	json_t *copy = json_is_object(params) ? json_copy(params) : json_object();
	json_object_set_new(copy, "deadline_ms", json_integer(deadline_ms));
	lf_buf_add_json(b, copy, JSON_COMPACT);
	json_decref(copy);
	lf_buf_adds(b, "}\n");
}

/* format_request() with the params as text: an object with a member and
 * no "deadline_ms", written as it is up to its closing '}'. */
static void format_request_text(struct lf_buf *b, int64_t id, const char *method,
                                const char *params, size_t len, long deadline_ms)
{
	while (len && params[len - 1] != '}')
		len--;
	lf_buf_addf(b,
	            "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"%s\",\"params\":", (long long)id,
	            method);
	lf_buf_add(b, params, len ? len - 1 : 0);
	lf_buf_addf(b, ",\"deadline_ms\":%ld}}\n", deadline_ms);
}

/* Why a call fails once the provider is gone: it broke the session, or it
 * exited (`method`: during that call; NULL: before it was sent). */
static void set_gone(const struct lf_provider *p, struct lf_provider_error *err, const char *method)
{
	if (p->broken)
		set_err(err, LF_PROVIDER_EBROKEN, 0,
		        "provider '%s' broke the protocol: %s (its log: %s)", p->name, p->broken,
		        log_of(p));
	else if (method)
		set_err(err, LF_PROVIDER_EGONE, 0, "provider '%s' exited during '%s' (its log: %s)",
		        p->name, method, log_of(p));
	else
		set_err(err, LF_PROVIDER_EGONE, 0, "provider '%s' has exited (its log: %s)",
		        p->name, log_of(p));
}

/* What an answer says: 0 with *result (new reference), or -1 with *err. */
static int interpret(const struct lf_provider *p, const char *method, json_t *answer,
                     json_t **result, struct lf_provider_error *err)
{
	json_t *res = json_object_get(answer, "result");
	json_t *e = json_object_get(answer, "error");

	if (json_is_object(res)) {
		*result = json_incref(res);
		return 0;
	}
	if (json_is_object(e)) {
		const char *m = json_string_value(json_object_get(e, "message"));
		set_err(err, (int)json_integer_value(json_object_get(e, "code")),
		        json_is_true(json_object_get(json_object_get(e, "data"), "retryable")),
		        "%s", m ? m : "(no message)");
		return -1;
	}
	set_err(err, LF_PROVIDER_EPROTO, 0,
	        "provider '%s' answered '%s' with neither result nor error", p->name, method);
	return -1;
}

int lf_provider_call(struct lf_provider *p, const char *method, json_t *params, long deadline_ms,
                     json_t **result, struct lf_provider_error *err)
{
	struct pending me = {0};
	struct timespec until;
	int rc = -1, waited = 0;

	*result = NULL;
	until = lf_ts_in_ms(CLOCK_REALTIME, deadline_ms);
	pthread_mutex_lock(&p->mu);
	/* at most `concurrency` requests in flight */
	while (!p->gone && p->concurrency > 0 && p->in_flight >= p->concurrency)
		if (pthread_cond_timedwait(&p->slot_cv, &p->mu, &until) == ETIMEDOUT) {
			waited = 1;
			break;
		}
	if (p->gone) {
		set_gone(p, err, NULL);
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (!waited && !lf_ts_before(&now, &until))
		waited = 1; /* woken at the deadline: too late to send it */
	if (waited) {
		pthread_mutex_unlock(&p->mu);
		set_err(err, LF_PROVIDER_EDEADLINE, 0,
		        "provider '%s' had no free slot before the deadline of %ld ms", p->name,
		        deadline_ms);
		return -1;
	}
	p->in_flight++;
	pthread_cond_init(&me.cv, NULL);
	me.id = ++p->next_id;
	me.next = p->waiting;
	p->waiting = &me;

	struct lf_buf b = LF_BUF_INIT;
	format_request(&b, me.id, method, params, deadline_ms);
	/* one writer at a time, so the line stays whole; mu is let go while
	 * writing: a provider blocked on a full stdout must still be read */
	pthread_mutex_unlock(&p->mu);
	pthread_mutex_lock(&p->write_mu);
	int werr = write_all(p->in_fd, b.ptr, b.len);
	int werrno = errno;
	pthread_mutex_unlock(&p->write_mu);
	pthread_mutex_lock(&p->mu);
	lf_buf_release(&b);

	if (werr) {
		set_err(err, LF_PROVIDER_EGONE, 0, "cannot write to provider '%s': %s", p->name,
		        strerror(werrno));
	} else {
		while (!me.done && !p->gone)
			if (pthread_cond_timedwait(&me.cv, &p->mu, &until) == ETIMEDOUT)
				break;
		if (!me.done && p->gone) {
			set_gone(p, err, method);
		} else if (!me.done) {
			p->abandoned = 1;
			add_expired(p, me.id);
			set_err(err, LF_PROVIDER_EDEADLINE, 0,
			        "provider '%s' did not answer '%s' within %ld ms", p->name, method,
			        deadline_ms);
		} else {
			rc = interpret(p, method, me.answer, result, err);
		}
	}
	/* unlink, free the slot */
	unlink_waiting(p, &me);
	json_decref(me.answer);
	p->in_flight--;
	pthread_cond_signal(&p->slot_cv);
	pthread_mutex_unlock(&p->mu);
	pthread_cond_destroy(&me.cv);
	return rc;
}

/* ---- calls without waiting ----------------------------------------------- */

struct lf_inbox *lf_inbox_new(void)
{
	struct lf_inbox *in = lf_xcalloc(1, sizeof(*in));
	pthread_condattr_t a;

	in->refs = 1;
	pthread_mutex_init(&in->mu, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&in->cv, &a);
	pthread_condattr_destroy(&a);
	return in;
}

void lf_inbox_free(struct lf_inbox *in)
{
	if (!in)
		return;
	pthread_mutex_lock(&in->mu);
	int last = --in->refs == 0;
	pthread_mutex_unlock(&in->mu);
	if (last)
		inbox_destroy(in);
}

/* lf_provider_send() and _send_text(): `params`, or the text `ptext`. */
static int send_call(struct lf_provider *p, const char *method, json_t *params, const char *ptext,
                     size_t plen, long deadline_ms, const struct lf_text_piece *expect,
                     size_t nexpect, struct lf_inbox *inbox, void *tag, struct lf_call **out,
                     struct lf_provider_error *err)
{
	struct lf_call *c;

	*out = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->gone) {
		set_gone(p, err, NULL);
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	if (p->concurrency > 0 && p->in_flight >= p->concurrency) {
		int n = p->in_flight; /* the reader changes it once mu is let go */
		pthread_mutex_unlock(&p->mu);
		set_err(err, LF_PROVIDER_EBUSY, 1, "provider '%s' has %d calls in flight already",
		        p->name, n);
		return -1;
	}
	c = lf_xcalloc(1, sizeof(*c));
	c->p = p;
	c->inbox = inbox;
	c->tag = tag;
	c->method = method;
	c->w.is_call = 1;
	c->expect = expect;
	c->nexpect = nexpect;
	c->w.id = ++p->next_id;
	c->w.next = p->waiting;
	p->waiting = &c->w;
	p->in_flight++;
	/* queued, not written: lf_provider_flush() writes every queued line
	 * with one write (q_mu is never held across a write, so the reader,
	 * which needs mu, always runs) */
	pthread_mutex_lock(&p->q_mu);
	if (ptext)
		format_request_text(&p->outq, c->w.id, method, ptext, plen, deadline_ms);
	else
		format_request(&p->outq, c->w.id, method, params, deadline_ms);
	pthread_mutex_unlock(&p->q_mu);
	pthread_mutex_unlock(&p->mu);
	*out = c;
	return 0;
}

int lf_provider_send(struct lf_provider *p, const char *method, json_t *params, long deadline_ms,
                     struct lf_inbox *inbox, void *tag, struct lf_call **out,
                     struct lf_provider_error *err)
{
	return send_call(p, method, params, NULL, 0, deadline_ms, NULL, 0, inbox, tag, out, err);
}

int lf_provider_send_text(struct lf_provider *p, const char *method, const char *params,
                          size_t params_len, long deadline_ms, const struct lf_text_piece *expect,
                          size_t nexpect, struct lf_inbox *inbox, void *tag, struct lf_call **out,
                          struct lf_provider_error *err)
{
	return send_call(p, method, NULL, params, params_len, deadline_ms, expect, nexpect, inbox,
	                 tag, out, err);
}

int lf_provider_flush(struct lf_provider *p)
{
	/* the queue is swapped with an empty buffer kept from the last flush
	 * (growing a new one each time showed in profiles) */
	pthread_mutex_lock(&p->write_mu);
	pthread_mutex_lock(&p->q_mu);
	struct lf_buf lines = p->outq;
	p->outq = p->spare;
	p->spare = (struct lf_buf)LF_BUF_INIT;
	pthread_mutex_unlock(&p->q_mu);
	int werr = lines.len ? write_all(p->in_fd, lines.ptr, lines.len) : 0;
	lf_buf_truncate(&lines, 0);
	pthread_mutex_lock(&p->q_mu);
	if (!p->spare.ptr)
		p->spare = lines;
	else
		lf_buf_release(&lines);
	pthread_mutex_unlock(&p->q_mu);
	pthread_mutex_unlock(&p->write_mu);
	if (!werr)
		return 0;
	/* its stdin is closed: every call sent without waiting fails now,
	 * as the reader will find at its stdout's end */
	pthread_mutex_lock(&p->mu);
	p->gone = 1;
	for (struct pending *w = p->waiting, *next; w; w = next) {
		next = w->next;
		if (w->is_call && !w->done)
			deliver(p, (struct lf_call *)w,
			        p->broken ? LF_PROVIDER_EBROKEN : LF_PROVIDER_EGONE);
	}
	pthread_mutex_unlock(&p->mu);
	return -1;
}

struct lf_call *lf_inbox_next(struct lf_inbox *in, const struct timespec *until)
{
	struct lf_call *c;

	pthread_mutex_lock(&in->mu);
	while (!in->head && until) {
		in->waiting = 1;
		int rc = pthread_cond_timedwait(&in->cv, &in->mu, until);
		in->waiting = 0;
		if (rc == ETIMEDOUT)
			break;
	}
	c = in->head;
	if (c) {
		in->head = c->inext;
		if (!in->head)
			in->tail = NULL;
	}
	pthread_mutex_unlock(&in->mu);
	return c;
}

void lf_call_expire(struct lf_call *c)
{
	struct lf_provider *p = c->p;

	pthread_mutex_lock(&p->mu);
	if (!c->w.done) {
		p->abandoned = 1;
		add_expired(p, c->w.id);
		deliver(p, c, LF_PROVIDER_EDEADLINE);
	}
	pthread_mutex_unlock(&p->mu);
}

void *lf_call_tag(const struct lf_call *c)
{
	return c->tag;
}

int lf_call_take(struct lf_call *c, long deadline_ms, json_t **result,
                 struct lf_provider_error *err)
{
	struct lf_provider *p = c->p;
	int rc = -1;

	*result = NULL;
	if (c->local == LF_PROVIDER_EDEADLINE)
		set_err(err, LF_PROVIDER_EDEADLINE, 0,
		        "provider '%s' did not answer '%s' within %ld ms", p->name, c->method,
		        deadline_ms);
	else if (c->local == LF_PROVIDER_EGONE || c->local == LF_PROVIDER_EBROKEN)
		set_gone(p, err, c->method);
	else if (c->as_expected)
		rc = 0; /* *result stays NULL */
	else
		rc = interpret(p, c->method, c->w.answer, result, err);
	json_decref(c->w.answer);
	free(c);
	return rc;
}

int lf_provider_launch(struct lf_provider **out, const char *exe, const char *log_path,
                       const char *lakeform_version, const struct lf_provider_opts *opts,
                       struct lf_diags *d)
{
	int to_child[2], from_child[2];
	struct lf_provider *p;
	int logfd;

	*out = NULL;
	/* appended to: the log of a run that failed is still there after the
	 * next one, and a crash test can count what each run did */
	logfd = log_path ? lf_open_nofollow(AT_FDCWD, log_path, O_WRONLY | O_CREAT | O_APPEND, 0600)
	                 : open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (logfd < 0) {
		int err = log_path ? -logfd : errno;
		lf_diag_error(d, NULL, "cannot open the provider log '%s': %s", log_path,
		              err == ELOOP ? "a symbolic link, which lakeform refuses to follow"
		                           : strerror(err));
		return -1;
	}
	if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC)) {
		lf_diag_error(d, NULL, "cannot start provider '%s': %s", exe, strerror(errno));
		close(logfd);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		lf_diag_error(d, NULL, "cannot start provider '%s': %s", exe, strerror(errno));
		close(logfd);
		return -1;
	}
	if (pid == 0) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		dup2(logfd, 2);
		/* a Ctrl-C goes to lakeform, which decides what the provider does */
		setpgid(0, 0);
		execl(exe, exe, (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	close(logfd);
	signal(SIGPIPE, SIG_IGN); /* a dead provider is an error, not our death */

	p = lf_xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->in_fd = to_child[1];
	p->out_fd = from_child[0];
	p->out = fdopen(from_child[0], "r");
	p->log = log_path ? lf_xstrdup(log_path) : NULL;
	const char *base = strrchr(exe, '/');
	p->name = lf_xstrdup(base ? base + 1 : exe);
	p->concurrency = 1;
	p->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : LF_PROVIDER_TIMEOUT_MS;
	p->max_answer = opts && opts->max_answer > 0 ? opts->max_answer : LF_PROVIDER_MAX_ANSWER;
	if (opts && opts->max_answer_source)
		p->max_answer_source = lf_xstrdup(opts->max_answer_source);
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->write_mu, NULL);
	pthread_mutex_init(&p->q_mu, NULL);
	pthread_cond_init(&p->slot_cv, NULL);
	if (pthread_create(&p->reader, NULL, reader_main, p) == 0)
		p->reader_started = 1;

	/* initialize goes out now; lf_provider_await() takes its answer */
	struct lf_provider_error e;
	json_t *params = json_pack("{s:i, s:s}", "protocol_version", LF_PROTOCOL_VERSION,
	                           "lakeform_version", lakeform_version);
	p->init_inbox = lf_inbox_new();
	int rc = lf_provider_send(p, "initialize", params, p->timeout_ms, p->init_inbox, NULL,
	                          &p->init_call, &e);
	json_decref(params);
	if (rc == 0)
		lf_provider_flush(p); /* a broken pipe delivers the call as failed */
	else
		p->init_failed = 1;
	p->init_until = lf_ts_in_ms(CLOCK_MONOTONIC, p->timeout_ms);
	*out = p;
	return 0;
}

int lf_provider_await(struct lf_provider *p, struct lf_diags *d)
{
	struct lf_provider_error e;
	json_t *res = NULL;
	int rc = -1;

	if (!p->init_inbox)
		return 0; /* ready already */
	if (p->init_failed) {
		lf_inbox_free(p->init_inbox);
		p->init_inbox = NULL;
		lf_diag_error(d, NULL,
		              "provider '%s' did not initialize: it exited at once (its log: %s)",
		              p->name, log_of(p));
		p->abandoned = 1;
		return -1;
	}
	struct lf_call *c = lf_inbox_next(p->init_inbox, &p->init_until);
	if (!c) {
		lf_call_expire(p->init_call);
		c = lf_inbox_next(p->init_inbox, NULL);
	}
	if (c)
		rc = lf_call_take(c, p->timeout_ms, &res, &e);
	else /* cannot happen: an expired call is delivered at once */
		set_err(&e, LF_PROVIDER_EDEADLINE, 0, "no answer");
	lf_inbox_free(p->init_inbox);
	p->init_inbox = NULL;
	p->init_call = NULL;
	if (rc) {
		lf_diag_error(d, NULL, "provider '%s' did not initialize: %s", p->name, e.message);
		p->abandoned = 1; /* not asked to shut down: it may not speak at all */
		return -1;
	}
	const char *name = json_string_value(json_object_get(res, "name"));
	json_int_t proto = json_integer_value(json_object_get(res, "protocol_version"));
	json_int_t conc = json_integer_value(json_object_get(res, "concurrency"));
	if (proto != LF_PROTOCOL_VERSION) {
		lf_diag_error(d, NULL, "provider '%s' speaks protocol version %lld, not %d",
		              p->name, (long long)proto, LF_PROTOCOL_VERSION);
		json_decref(res);
		p->abandoned = 1;
		return -1;
	}
	if (name) {
		free(p->name);
		p->name = lf_xstrdup(name);
	}
	const char *version = json_string_value(json_object_get(res, "version"));
	free(p->version);
	p->version = version ? lf_xstrdup(version) : NULL;
	pthread_mutex_lock(&p->mu);
	/* a number past int's range means no limit we could keep: the most */
	p->concurrency = conc <= 0 ? 1 : conc > INT_MAX ? INT_MAX : (int)conc;
	pthread_cond_broadcast(&p->slot_cv);
	pthread_mutex_unlock(&p->mu);
	p->types = json_array();
	size_t i;
	json_t *t;
	json_array_foreach (json_object_get(res, "resource_types"), i, t)
		if (json_is_string(json_object_get(t, "type")))
			json_array_append(p->types, json_object_get(t, "type"));
	json_decref(res);
	return 0;
}

int lf_provider_start(struct lf_provider **out, const char *exe, const char *log_path,
                      const char *lakeform_version, const struct lf_provider_opts *opts,
                      struct lf_diags *d)
{
	if (lf_provider_launch(out, exe, log_path, lakeform_version, opts, d))
		return -1;
	if (lf_provider_await(*out, d)) {
		lf_provider_stop(*out, 200);
		*out = NULL;
		return -1;
	}
	return 0;
}

int lf_provider_configure(struct lf_provider *p, json_t *settings, const char *account,
                          struct lf_provider_error *err)
{
	json_t *res = NULL;
	json_t *params =
	    json_pack("{s:o, s:s}", "settings", settings ? json_incref(settings) : json_object(),
	              "account", account ? account : "");
	int rc = lf_provider_call(p, "configure", params, p->timeout_ms, &res, err);

	json_decref(params);
	json_decref(res);
	return rc;
}

const char *lf_provider_name(const struct lf_provider *p)
{
	return p->name;
}

const char *lf_provider_version(const struct lf_provider *p)
{
	return p->version;
}

int lf_provider_concurrency(const struct lf_provider *p)
{
	return p->concurrency;
}

int lf_provider_has_type(const struct lf_provider *p, const char *type)
{
	size_t i;
	json_t *t;

	json_array_foreach (p->types, i, t)
		if (!strcmp(json_string_value(t), type))
			return 1;
	return 0;
}

const json_t *lf_provider_types(const struct lf_provider *p)
{
	return p->types;
}

const char *lf_provider_log(const struct lf_provider *p)
{
	return p->log;
}

void lf_provider_stop(struct lf_provider *p, long wait_ms)
{
	json_t *res = NULL;
	struct lf_provider_error e;
	int status;

	if (!p)
		return;
	if (p->init_inbox) { /* launched, never awaited: take its answer */
		struct lf_diags d = LF_DIAGS_INIT;
		if (lf_provider_await(p, &d))
			p->abandoned = 1; /* it may not speak the protocol at all */
		lf_diags_release(&d);
	}
	/* a provider that left a call unanswered is not asked twice */
	if (p->abandoned)
		wait_ms = wait_ms < 200 ? wait_ms : 200;
	else if (!p->gone)
		lf_provider_call(p, "shutdown", NULL, wait_ms > 0 ? wait_ms : 1, &res, &e);
	json_decref(res);
	close(p->in_fd); /* end of input: it must exit */
	/* its stdout closes as it exits: wait for the reader to see that,
	 * then for the process, polling quickly (a provider exits within
	 * milliseconds; a 10 ms poll cost most of a short run's shutdown);
	 * `wait_ms` is the whole wait before it is killed */
	struct timespec until;
	until = lf_ts_in_ms(CLOCK_REALTIME, wait_ms);
	pthread_mutex_lock(&p->mu);
	while (!p->gone)
		if (pthread_cond_timedwait(&p->slot_cv, &p->mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&p->mu);
	/* then for the process, until the same deadline */
	for (long us = 0;; us += us < 5000 ? 100 : 1000) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid)
			goto reaped;
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if (!lf_ts_before(&now, &until))
			break;
		struct timespec ts = {0, (us < 5000 ? 100 : 1000) * 1000L};
		nanosleep(&ts, NULL);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
reaped:
	if (p->reader_started)
		pthread_join(p->reader, NULL);
	fclose(p->out);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->write_mu);
	pthread_mutex_destroy(&p->q_mu);
	pthread_cond_destroy(&p->slot_cv);
	json_decref(p->types);
	lf_buf_release(&p->outq);
	lf_buf_release(&p->spare);
	free(p->log);
	free(p->name);
	free(p->version);
	free(p->broken);
	free(p->expired);
	free(p->max_answer_source);
	free(p);
}
