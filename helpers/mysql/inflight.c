/* inflight.c - the lookups: up to -j at once, each on a connection of
 * its own (conn.c, exec.c), each answered as its statements end.
 *
 * start() only queues a lookup; dispatch() gives queued lookups to idle
 * connections, opens connections when there are too few (back-off
 * permitting), and steps the calls whose sockets are ready.  Every
 * lookup started ends in exactly one done() call.  A lookup whose
 * connection was lost (the server closed it, restarted, failed over) is
 * sent once more on another; lost a second time, it answers BH.  One past
 * its time means the server hangs (its own statement time-out, -t, would
 * have answered first): it answers BH and its connection is dropped.
 */
#include "config.h"

#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "log.h"
#include "mysql_int.h"
#include "secret.h"

static void
slot_clear(struct my_lookup *s)
{
	free((void *)s->who.user);
	free((void *)s->who.realm);
	secret_wipe(s->ha1, sizeof(s->ha1));
	memset(s, 0, sizeof(*s));
}

void
my_table_free(struct my_ctx *x)
{
	unsigned i;

	for (i = 0; i < x->ns; i++)
		slot_clear(&x->s[i]);
	free(x->s);
	x->s = NULL;
}

void
my_slot_lost(struct my_lookup *s)
{
	s->state = ++s->losses >= 2 ? MY_LOST : MY_QUEUED;
	s->have_row = false;
}

void
my_answer(struct my_lookup *s, enum backend_result v, struct backend_answer *a,
    backend_done_fn *done, void *loop)
{
	done(loop, s->token, v, a);
	secret_wipe(a->ha1, sizeof(a->ha1));
	slot_clear(s);
}

void
my_answer_fail(struct my_lookup *s, const char *why, backend_done_fn *done,
    void *loop)
{
	struct backend_answer a = { .ha1 = "", .notes = NULL, .err = why };

	my_answer(s, BACKEND_FAIL, &a, done, loop);
}

static const char *
down_why(const struct my_ctx *x)
{
	return x->down_why != NULL ? x->down_why : "MariaDB server unreachable";
}

enum backend_result
my_start(void *ctx, const struct backend_query *q, unsigned token,
    struct backend_answer *a)
{
	struct my_ctx *x = ctx;
	struct my_lookup *s = NULL;
	unsigned i;

	if (!sql_utf8_ok(q->user, q->user_len) ||
	    !sql_utf8_ok(q->realm, q->realm_len)) {
		/* the session is utf8mb4: no row holds such a name */
		log_debug("user name or realm is not valid UTF-8 (the session's character set, utf8mb4)");
		return BACKEND_NOT_FOUND;
	}
	for (i = 0; i < x->ns && s == NULL; i++)
		if (x->s[i].state == MY_FREE)
			s = &x->s[i];
	if (s == NULL) {
		a->err = "Too many lookups in flight";
		return BACKEND_FAIL;
	}
	if (!my_conn_any(x, MC_IDLE) && !my_conn_any(x, MC_CONNECTING) &&
	    !my_can_open(x)) {
		a->err = down_why(x);
		return BACKEND_FAIL;
	}
	s->who.user = xmemdup0(q->user, q->user_len);
	s->who.user_len = q->user_len;
	s->who.realm = xmemdup0(q->realm, q->realm_len);
	s->who.realm_len = q->realm_len;
	s->who.alg = q->alg;
	s->token = token;
	s->state = MY_QUEUED;
	s->deadline_ms = my_now_ms() + sql_wait_ms(&x->c->sql);
	return BACKEND_PENDING;
}

/* An idle connection to run a lookup on.  Each is looked at first: one
 * the server closed while the loop was not polling it (nothing was in
 * flight: a restart, a fail-over) is readable, and is dropped here, so
 * that the lookup does not spend one of its two tries on it. */
static struct my_conn *
idle_conn(struct my_ctx *x)
{
	unsigned i;

	for (i = 0; i < x->ns; i++) {
		struct my_conn *k = &x->cn[i];
		struct pollfd p = { .events = POLLIN };

		if (k->state != MC_IDLE)
			continue;
		p.fd = (int)mysql_get_socket(k->m);
		if (p.fd >= 0 && poll(&p, 1, 0) == 0)
			return k;
		my_conn_lost(x, k, "closed by the server");
	}
	return NULL;
}

static struct my_conn *
down_conn(struct my_ctx *x)
{
	unsigned i;

	for (i = 0; i < x->ns; i++)
		if (x->cn[i].state == MC_DOWN)
			return &x->cn[i];
	return NULL;
}

/* Answer the lookups lost twice, and give the queued ones connections:
 * idle ones, or new ones when the back-off allows; BH when none is up,
 * none is on its way and none may be tried. */
static void
settle(struct my_ctx *x, backend_done_fn *done, void *loop)
{
	struct my_conn *k;
	unsigned i;

	for (i = 0; i < x->ns; i++) {
		struct my_lookup *s = &x->s[i];

		if (s->state == MY_LOST)
			my_answer_fail(s, "MariaDB connection lost", done, loop);
		if (s->state != MY_QUEUED)
			continue;
		if ((k = idle_conn(x)) == NULL && my_can_open(x)) {
			my_conn_start(x, down_conn(x));
			k = idle_conn(x);	/* it may be up at once */
		}
		if (k != NULL)
			my_run(x, k, s, done, loop);
		else if (!my_conn_any(x, MC_CONNECTING) && !my_can_open(x))
			my_answer_fail(s, down_why(x), done, loop);
	}
}

/* Lookups past their time: answered BH.  A running one means the server
 * hangs: its connection is dropped. */
static void
expire(struct my_ctx *x, backend_done_fn *done, void *loop)
{
	long long now = my_now_ms();
	char why[128];
	unsigned i;

	for (i = 0; i < x->ns; i++) {
		struct my_conn *k = &x->cn[i];
		struct my_lookup *s;

		if (k->state != MC_BUSY || x->s[k->slot].deadline_ms > now)
			continue;
		s = &x->s[k->slot];
		k->slot = -1;	/* answered here, not sent again */
		my_answer_fail(s, "MariaDB query timed out", done, loop);
		snprintf(why, sizeof(why), "no answer for %lld ms (-t %d s and %d ms); the server hangs",
		    sql_wait_ms(&x->c->sql), x->c->sql.timeout_s, SQL_GRACE_MS);
		my_conn_lost(x, k, why);	/* closing ends the pending call */
	}
	for (i = 0; i < x->ns; i++)
		if (x->s[i].state == MY_QUEUED && x->s[i].deadline_ms <= now)
			my_answer_fail(&x->s[i], down_why(x), done, loop);
}

/* Step every connection whose socket is ready, or whose library time-out
 * (MYSQL_WAIT_TIMEOUT) has come. */
static void
step_ready(struct my_ctx *x, backend_done_fn *done, void *loop)
{
	struct epoll_event ev[64];
	long long now = my_now_ms();
	int n = epoll_wait(x->epfd, ev, 64, 0), i;
	unsigned j;

	for (i = 0; i < n; i++) {
		struct my_conn *k = &x->cn[ev[i].data.u32];
		int ready = (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR) ?
		    MYSQL_WAIT_READ : 0) | (ev[i].events & (EPOLLOUT |
		    EPOLLHUP | EPOLLERR) ? MYSQL_WAIT_WRITE : 0) |
		    (ev[i].events & EPOLLPRI ? MYSQL_WAIT_EXCEPT : 0);

		if (k->state == MC_IDLE)
			my_conn_lost(x, k, "closed by the server");
		else if (k->state == MC_CONNECTING)
			my_conn_step(x, k, ready);
		else if (k->state == MC_BUSY)
			my_exec_step(x, k, ready, done, loop);
	}
	for (j = 0; j < x->ns; j++) {
		struct my_conn *k = &x->cn[j];

		if (k->state == MC_CONNECTING && (now >= k->host_deadline_ms ||
		    ((k->wait & MYSQL_WAIT_TIMEOUT) && now >= k->wait_until_ms)))
			my_conn_step(x, k, MYSQL_WAIT_TIMEOUT);
		else if (k->state == MC_BUSY && (k->wait & MYSQL_WAIT_TIMEOUT) &&
		    now >= k->wait_until_ms)
			my_exec_step(x, k, MYSQL_WAIT_TIMEOUT, done, loop);
	}
}

void
my_dispatch(void *ctx, backend_done_fn *done, void *loop)
{
	struct my_ctx *x = ctx;

	step_ready(x, done, loop);
	expire(x, done, loop);
	settle(x, done, loop);
}

/* Would settle() act on a queued lookup now? */
static bool
placeable(const struct my_ctx *x)
{
	unsigned i;

	for (i = 0; i < x->ns; i++)
		if (x->cn[i].state == MC_IDLE)
			return true;
	return my_can_open(x) || !my_conn_any(x, MC_CONNECTING);
}

int
my_next_timeout(void *ctx)
{
	struct my_ctx *x = ctx;
	long long now = my_now_ms(), t = LLONG_MAX;
	unsigned i;

	for (i = 0; i < x->ns; i++) {
		const struct my_lookup *s = &x->s[i];
		const struct my_conn *k = &x->cn[i];

		if (s->state == MY_LOST || (s->state == MY_QUEUED && placeable(x)))
			return 0;
		if ((s->state == MY_QUEUED || s->state == MY_RUNNING) &&
		    s->deadline_ms - now < t)
			t = s->deadline_ms - now;
		if (k->state == MC_CONNECTING && k->host_deadline_ms - now < t)
			t = k->host_deadline_ms - now;
		if ((k->state == MC_CONNECTING || k->state == MC_BUSY) &&
		    (k->wait & MYSQL_WAIT_TIMEOUT) && k->wait_until_ms - now < t)
			t = k->wait_until_ms - now;
	}
	if (t == LLONG_MAX)
		return -1;
	return t < 0 ? 0 : (int)t;
}
