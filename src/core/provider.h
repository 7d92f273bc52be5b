/*
 * provider.h - lakeform's side of the provider protocol (docs/providers.md).
 *
 * A provider is a child process spoken to with JSON-RPC 2.0, one message a
 * line, on its stdin and stdout.  Any number of threads may call
 * lf_provider_call() at once: requests carry ids, a reader thread matches
 * the answers, and at most the provider's announced concurrency are in
 * flight (the others wait their turn).  Every call has a deadline; a call
 * that misses it, or whose provider dies, fails alone with a clear error,
 * and the provider's stderr is kept in a log file for the report.
 */
#ifndef LF_CORE_PROVIDER_H
#define LF_CORE_PROVIDER_H

#include <jansson.h>
#include <time.h>

#include "diag.h"

#define LF_PROTOCOL_VERSION 1

struct lf_provider;

/* Why a call failed. */
struct lf_provider_error {
	int code;      /* the provider's error code, or one of LF_PROVIDER_E* */
	int retryable; /* the provider says the same call may succeed later */
	char message[512];
};

enum {
	LF_PROVIDER_EDEADLINE = -1, /* no answer before the deadline */
	LF_PROVIDER_EGONE = -2,     /* the provider exited or its pipe broke */
	LF_PROVIDER_EPROTO = -3,    /* an answer that breaks the protocol */
	LF_PROVIDER_EBUSY = -4,     /* lf_provider_send(): its concurrency is used up */
	LF_PROVIDER_EBROKEN = -5,   /* it wrote a line that is no answer: the session is over */
};

/*
 * How lakeform.yaml's providers.<family> sets a provider up.  Zeros take
 * the defaults.
 *
 * `max_answer` bounds every line read from the provider, in bytes without
 * its "\n": a longer line, or one that is not UTF-8, not a JSON object,
 * or the answer to no request in flight (an answer to a call given up on
 * at its deadline excepted), breaks the session at once: every call in
 * flight and every later one fails with LF_PROVIDER_EBROKEN and the
 * reason, the longer line is not read further, and the provider is killed
 * when stopped.  `max_answer_source` names the setting in that message.
 */
#define LF_PROVIDER_TIMEOUT_MS 60000L
#define LF_PROVIDER_MAX_ANSWER ((size_t)16 << 20)

struct lf_provider_opts {
	long timeout_ms;               /* initialize's and configure's deadline */
	size_t max_answer;             /* the longest line read from it */
	const char *max_answer_source; /* "lakeform.yaml providers.storage.max_answer" */
};

/*
 * Start `exe` (a lakeform-provider-NAME executable) in the current
 * directory and initialize it; `log_path` receives its stderr (appended to,
 * opened without following a symbolic link), or nothing does when it is
 * NULL; `opts` may be NULL (the defaults).  Returns 0, or -1 with an error
 * in `d`.
 */
int lf_provider_start(struct lf_provider **out, const char *exe, const char *log_path,
                      const char *lakeform_version, const struct lf_provider_opts *opts,
                      struct lf_diags *d);

/*
 * The same in two halves, so that starting a provider overlaps other work:
 * lf_provider_launch() starts the process and sends `initialize` without
 * waiting (0, or -1 with an error in `d`); lf_provider_await() takes the
 * answer (0, or -1 with an error in `d`; the caller then stops it).  A
 * provider launched and never awaited is awaited by lf_provider_stop().
 */
int lf_provider_launch(struct lf_provider **out, const char *exe, const char *log_path,
                       const char *lakeform_version, const struct lf_provider_opts *opts,
                       struct lf_diags *d);
int lf_provider_await(struct lf_provider *p, struct lf_diags *d);

/* configure {settings, account}, waiting up to the opts' timeout_ms; 0 or
 * -1 with the reason in *err. */
int lf_provider_configure(struct lf_provider *p, json_t *settings, const char *account,
                          struct lf_provider_error *err);

/* The provider's name and announced concurrency, from initialize. */
const char *lf_provider_name(const struct lf_provider *p);
int lf_provider_concurrency(const struct lf_provider *p);
/* The version it reported at initialize, or NULL when it reported none. */
const char *lf_provider_version(const struct lf_provider *p);
/* 1 when it announced resource type `type`. */
int lf_provider_has_type(const struct lf_provider *p, const char *type);
/* The type names it announced: an array of strings (borrowed). */
const json_t *lf_provider_types(const struct lf_provider *p);

/*
 * Call `method` with `params` (borrowed; "deadline_ms" is added) and wait
 * for the answer at most `deadline_ms`.  Returns 0 with the result in
 * *result (new reference), or -1 with *err filled.  Thread-safe.
 */
int lf_provider_call(struct lf_provider *p, const char *method, json_t *params, long deadline_ms,
                     json_t **result, struct lf_provider_error *err);

/*
 * Calls without waiting, for a caller that keeps many in flight from one
 * thread (apply's executor, the protocol benchmark).  lf_provider_send()
 * queues the request and returns at once: 0 with *out, or -1 with *err (the
 * provider is gone, or LF_PROVIDER_EBUSY: its announced concurrency is in
 * flight already).  lf_provider_flush() writes every queued request with
 * one write; nothing is sent before it.  The answer, or the provider's
 * death, puts the call in `inbox`; lf_inbox_next() takes the next one,
 * waiting until `until` (CLOCK_MONOTONIC; NULL: do not wait) and returning
 * NULL if none came.  lf_call_take() gives the outcome as lf_provider_call()
 * does and frees the call.  A call past its deadline is given up with
 * lf_call_expire(): unless its answer came meanwhile it arrives in the
 * inbox as LF_PROVIDER_EDEADLINE.  An inbox may collect calls to several
 * providers; lf_call_tag() is the caller's own pointer.
 */
struct lf_call;
struct lf_inbox;

struct lf_inbox *lf_inbox_new(void);
void lf_inbox_free(struct lf_inbox *in);
int lf_provider_send(struct lf_provider *p, const char *method, json_t *params, long deadline_ms,
                     struct lf_inbox *inbox, void *tag, struct lf_call **out,
                     struct lf_provider_error *err);
int lf_provider_flush(struct lf_provider *p);
struct lf_call *lf_inbox_next(struct lf_inbox *in, const struct timespec *until);
void lf_call_expire(struct lf_call *c);
void *lf_call_tag(const struct lf_call *c);
/* `deadline_ms` is only for the message of a call that missed it.  A
 * call sent with an expected result (lf_provider_send_text) that got
 * exactly it returns 0 with *result NULL. */
int lf_call_take(struct lf_call *c, long deadline_ms, json_t **result,
                 struct lf_provider_error *err);

/*
 * lf_provider_send() for a caller that has its request's params as text
 * and may know the answer beforehand (refresh reading a record that is as
 * recorded): `params` is the text of a JSON object with at least one
 * member and no "deadline_ms" (written as it is, the member added);
 * `expect`, when `nexpect` > 0, is a result's text in pieces.  An answer
 * line that is exactly {"id":N,"jsonrpc":"2.0","result":RESULT} with
 * RESULT those pieces' bytes, valid UTF-8, is not parsed: lf_call_take()
 * gives *result NULL.  Any other answer is taken as lf_provider_send()'s
 * are.  The pieces must stay until the call is taken.
 */
struct lf_text_piece {
	const char *p;
	size_t n;
};
int lf_provider_send_text(struct lf_provider *p, const char *method, const char *params,
                          size_t params_len, long deadline_ms, const struct lf_text_piece *expect,
                          size_t nexpect, struct lf_inbox *inbox, void *tag, struct lf_call **out,
                          struct lf_provider_error *err);

/* Ask it to shut down, wait up to `wait_ms`, then kill it; frees `p`. */
void lf_provider_stop(struct lf_provider *p, long wait_ms);

/* Where its stderr went (borrowed), NULL when nowhere. */
const char *lf_provider_log(const struct lf_provider *p);

#endif
