#include "provider.h"

#include <errno.h>
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
#include "../util/mem.h"

/* One request waiting for its answer. */
struct pending {
	int64_t id;
	int done;
	json_t *answer;    /* the whole response, owned */
	pthread_cond_t cv; /* its answer arrived, or the provider is gone */
	struct pending *next;
};

struct lf_provider {
	pid_t pid;
	int in_fd;  /* we write requests */
	int out_fd; /* we read answers */
	FILE *out;
	char *log;
	char *name;
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
	int64_t next_id;
	struct pending *waiting;
};

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

static void *reader_main(void *arg)
{
	struct lf_provider *p = arg;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, p->out)) > 0) {
		json_error_t jerr;
		json_t *msg = json_loadb(line, (size_t)n, 0, &jerr);
		json_t *id = json_object_get(msg, "id");

		pthread_mutex_lock(&p->mu);
		struct pending *w = p->waiting;
		while (w && !(json_is_integer(id) && json_integer_value(id) == w->id))
			w = w->next;
		if (w && !w->done) {
			w->done = 1;
			w->answer = msg;
			msg = NULL;
			/* only its caller: waking every waiter costs a switch each */
			pthread_cond_signal(&w->cv);
		}
		pthread_mutex_unlock(&p->mu);
		json_decref(msg); /* an answer nobody waits for any more */
	}
	free(line);
	pthread_mutex_lock(&p->mu);
	p->gone = 1;
	for (struct pending *w = p->waiting; w; w = w->next)
		pthread_cond_signal(&w->cv);
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

static void deadline_at(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int lf_provider_call(struct lf_provider *p, const char *method, json_t *params, long deadline_ms,
                     json_t **result, struct lf_provider_error *err)
{
	struct pending me = {0};
	struct timespec until;
	int rc = -1, waited = 0;

	*result = NULL;
	deadline_at(&until, deadline_ms);
	pthread_mutex_lock(&p->mu);
	/* at most `concurrency` requests in flight */
	while (!p->gone && p->concurrency > 0 && p->in_flight >= p->concurrency)
		if (pthread_cond_timedwait(&p->slot_cv, &p->mu, &until) == ETIMEDOUT) {
			waited = 1;
			break;
		}
	if (p->gone) {
		pthread_mutex_unlock(&p->mu);
		set_err(err, LF_PROVIDER_EGONE, 0, "provider '%s' has exited (its log: %s)",
		        p->name, p->log);
		return -1;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (!waited && (now.tv_sec > until.tv_sec ||
	                (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec)))
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

	json_t *empty = params ? NULL : json_object();
	json_t *req = json_pack("{s:s, s:I, s:s, s:O}", "jsonrpc", "2.0", "id", (json_int_t)me.id,
	                        "method", method, "params", params ? params : empty);
	json_decref(empty);
	json_object_set_new(json_object_get(req, "params"), "deadline_ms",
	                    json_integer(deadline_ms));
	char *line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	struct lf_buf b = LF_BUF_INIT;
	lf_buf_adds(&b, line);
	lf_buf_addc(&b, '\n');
	free(line);
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
			set_err(err, LF_PROVIDER_EGONE, 0,
			        "provider '%s' exited during '%s' (its log: %s)", p->name, method,
			        p->log);
		} else if (!me.done) {
			p->abandoned = 1;
			set_err(err, LF_PROVIDER_EDEADLINE, 0,
			        "provider '%s' did not answer '%s' within %ld ms", p->name, method,
			        deadline_ms);
		} else {
			json_t *res = json_object_get(me.answer, "result");
			json_t *e = json_object_get(me.answer, "error");
			if (json_is_object(res)) {
				*result = json_incref(res);
				rc = 0;
			} else if (json_is_object(e)) {
				const char *m = json_string_value(json_object_get(e, "message"));
				set_err(err, (int)json_integer_value(json_object_get(e, "code")),
				        json_is_true(json_object_get(json_object_get(e, "data"),
				                                     "retryable")),
				        "%s", m ? m : "(no message)");
			} else {
				set_err(err, LF_PROVIDER_EPROTO, 0,
				        "provider '%s' answered '%s' with neither result nor error",
				        p->name, method);
			}
		}
	}
	/* unlink, free the slot */
	for (struct pending **pp = &p->waiting; *pp; pp = &(*pp)->next)
		if (*pp == &me) {
			*pp = me.next;
			break;
		}
	json_decref(me.answer);
	p->in_flight--;
	pthread_cond_signal(&p->slot_cv);
	pthread_mutex_unlock(&p->mu);
	pthread_cond_destroy(&me.cv);
	return rc;
}

int lf_provider_start(struct lf_provider **out, const char *exe, const char *log_path,
                      const char *lakeform_version, struct lf_diags *d)
{
	int to_child[2], from_child[2];
	struct lf_provider *p;
	int logfd;

	*out = NULL;
	/* appended to: the log of a run that failed is still there after the
	 * next one, and a crash test can count what each run did */
	logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		lf_diag_error(d, NULL, "cannot open the provider log '%s': %s", log_path,
		              strerror(errno));
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
	p->log = lf_xstrdup(log_path);
	const char *base = strrchr(exe, '/');
	p->name = lf_xstrdup(base ? base + 1 : exe);
	p->concurrency = 1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->write_mu, NULL);
	pthread_cond_init(&p->slot_cv, NULL);
	if (pthread_create(&p->reader, NULL, reader_main, p) == 0)
		p->reader_started = 1;

	struct lf_provider_error e;
	json_t *res = NULL;
	json_t *params = json_pack("{s:i, s:s}", "protocol_version", LF_PROTOCOL_VERSION,
	                           "lakeform_version", lakeform_version);
	int rc = lf_provider_call(p, "initialize", params, 10000, &res, &e);
	json_decref(params);
	if (rc) {
		lf_diag_error(d, NULL, "provider '%s' did not initialize: %s", p->name, e.message);
		lf_provider_stop(p, 1000);
		return -1;
	}
	const char *name = json_string_value(json_object_get(res, "name"));
	json_int_t proto = json_integer_value(json_object_get(res, "protocol_version"));
	json_int_t conc = json_integer_value(json_object_get(res, "concurrency"));
	if (proto != LF_PROTOCOL_VERSION) {
		lf_diag_error(d, NULL, "provider '%s' speaks protocol version %lld, not %d",
		              p->name, (long long)proto, LF_PROTOCOL_VERSION);
		json_decref(res);
		lf_provider_stop(p, 1000);
		return -1;
	}
	if (name) {
		free(p->name);
		p->name = lf_xstrdup(name);
	}
	pthread_mutex_lock(&p->mu);
	p->concurrency = conc > 0 ? (int)conc : 1;
	pthread_cond_broadcast(&p->slot_cv);
	pthread_mutex_unlock(&p->mu);
	p->types = json_array();
	size_t i;
	json_t *t;
	json_array_foreach (json_object_get(res, "resource_types"), i, t)
		if (json_is_string(json_object_get(t, "type")))
			json_array_append(p->types, json_object_get(t, "type"));
	json_decref(res);
	*out = p;
	return 0;
}

int lf_provider_configure(struct lf_provider *p, json_t *settings, const char *account,
                          struct lf_provider_error *err)
{
	json_t *res = NULL;
	json_t *params =
	    json_pack("{s:o, s:s}", "settings", settings ? json_incref(settings) : json_object(),
	              "account", account ? account : "");
	int rc = lf_provider_call(p, "configure", params, 30000, &res, err);

	json_decref(params);
	json_decref(res);
	return rc;
}

const char *lf_provider_name(const struct lf_provider *p)
{
	return p->name;
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
	/* a provider that left a call unanswered is not asked twice */
	if (p->abandoned)
		wait_ms = wait_ms < 200 ? wait_ms : 200;
	else if (!p->gone)
		lf_provider_call(p, "shutdown", NULL, wait_ms > 0 ? wait_ms : 1, &res, &e);
	json_decref(res);
	close(p->in_fd); /* end of input: it must exit */
	for (long waited = 0; waited < wait_ms; waited += 10) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid)
			goto reaped;
		struct timespec ts = {0, 10 * 1000000L};
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
	pthread_cond_destroy(&p->slot_cv);
	json_decref(p->types);
	free(p->log);
	free(p->name);
	free(p);
}
