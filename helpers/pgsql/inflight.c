/* inflight.c - the lookups in flight: up to -j at once in the pipeline
 * (pipeline.c), each answered as its results come.
 *
 * Every lookup started ends in exactly one done() call.  A lookup whose
 * connection was lost (the server closed it, restarted, failed over) is
 * sent once more on the next connection; lost a second time, it answers
 * BH.  A lookup that was not run because an earlier query of its batch
 * failed is simply sent again.  One past its time means the server hangs
 * (its own statement_timeout, -t, would have answered first): it answers
 * BH, the connection is dropped, and the others go once more on the next.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgsql_int.h"
#include "secret.h"

/* While libpq holds bytes the socket did not take, the loop comes back
 * this soon to push them (it polls for input only). */
#define PB_FLUSH_RETRY_MS 10

/* With TLS, a complete answer may wait in the TLS layer without the
 * socket polling readable: look at least this often. */
#define PB_TLS_POLL_MS 100

static void
slot_clear(struct pb_lookup *s)
{
	free(s->user);
	free(s->realm);
	secret_wipe(s->ha1, sizeof(s->ha1));
	memset(s, 0, sizeof(*s));
}

void
pb_table_free(struct pb_ctx *x)
{
	unsigned i;

	for (i = 0; i < x->ns; i++)
		slot_clear(&x->s[i]);
	free(x->s);
	x->s = NULL;
	x->ns = 0;
}

/* The connection is being dropped: what was on its wire goes once more
 * on the next one, unless it was sent there already. */
void
pb_mark_lost(struct pb_ctx *x)
{
	unsigned i;

	for (i = 0; i < x->ns; i++) {
		struct pb_lookup *s = &x->s[i];

		if (s->state != PB_SENT)
			continue;
		s->state = ++s->losses >= 2 ? PB_LOST : PB_QUEUED;
		s->have_row = false;
	}
}

/* Report s's verdict to the loop and free the slot. */
void
pb_answer(struct pb_lookup *s, enum backend_result v, struct backend_answer *a,
    backend_done_fn *done, void *loop)
{
	done(loop, s->token, v, a);
	secret_wipe(a->ha1, sizeof(a->ha1));
	slot_clear(s);
}

static void
answer_fail(struct pb_lookup *s, const char *why, backend_done_fn *done,
    void *loop)
{
	struct backend_answer a = { .ha1 = "", .notes = NULL, .err = why };

	pb_answer(s, BACKEND_FAIL, &a, done, loop);
}

/* Send s on the connection; when that fails, the connection is lost and
 * s counts the loss like the lookups that were on the wire. */
static void
send_or_mark(struct pb_ctx *x, struct pb_lookup *s)
{
	if (pb_send(x, s) == 0)
		return;
	s->state = ++s->losses >= 2 ? PB_LOST : PB_QUEUED;
	pb_conn_lost(x, NULL);
}

enum backend_result
pb_start(void *ctx, const struct backend_query *q, unsigned token,
    struct backend_answer *a)
{
	struct pb_ctx *x = ctx;
	struct pb_lookup *s = NULL;
	unsigned i;

	if (x->conn.utf8 && (!sql_utf8_ok(q->user, q->user_len) ||
	    !sql_utf8_ok(q->realm, q->realm_len))) {
		/* the server would refuse the parameter: no row holds it */
		log_debug("user name or realm is not valid UTF-8 (the client encoding)");
		return BACKEND_NOT_FOUND;
	}
	for (i = 0; i < x->ns && s == NULL; i++)
		if (x->s[i].state == PB_FREE)
			s = &x->s[i];
	if (s == NULL) {
		a->err = "Too many lookups in flight";
		return BACKEND_FAIL;
	}
	if (!pb_conn_ensure(x)) {
		a->err = x->conn.down_why != NULL ? x->conn.down_why :
		    "PostgreSQL server unreachable";
		return BACKEND_FAIL;
	}
	s->user = xmemdup0(q->user, q->user_len);
	s->user_len = q->user_len;
	s->realm = xmemdup0(q->realm, q->realm_len);
	s->realm_len = q->realm_len;
	s->alg = q->alg;
	s->token = token;
	send_or_mark(x, s);	/* a failure: the next dispatch goes on */
	return BACKEND_PENDING;
}

/* Answer the lookups lost twice, and send the queued ones: on a new
 * connection when there is none and may_connect is set (an attempt,
 * back-off permitting), or answer them BH when none can be had.  Without
 * may_connect they wait for the next dispatch. */
static void
settle(struct pb_ctx *x, backend_done_fn *done, void *loop, bool may_connect)
{
	bool tried = false;
	unsigned i;

	for (i = 0; i < x->ns; i++) {
		struct pb_lookup *s = &x->s[i];

		if (s->state == PB_LOST)
			answer_fail(s, "PostgreSQL connection lost", done, loop);
		if (s->state != PB_QUEUED)
			continue;
		if (!pb_connected(x) && may_connect && !tried) {
			tried = true;
			(void)pb_conn_ensure(x);
		}
		if (pb_connected(x))
			send_or_mark(x, s);
		else if (may_connect)
			answer_fail(s, x->conn.down_why != NULL ? x->conn.down_why :
			    "PostgreSQL server unreachable", done, loop);
	}
}

/* Lookups past their time: the server hangs.  They answer BH; the
 * connection is dropped, and the others are sent once more. */
static void
expire(struct pb_ctx *x, backend_done_fn *done, void *loop)
{
	long long now = pb_now_ms();
	bool hung = false;
	char why[128];
	unsigned i;

	for (i = 0; i < x->ns; i++) {
		struct pb_lookup *s = &x->s[i];

		if (s->state != PB_SENT || s->deadline_ms > now)
			continue;
		hung = true;
		answer_fail(s, "PostgreSQL query timed out", done, loop);
	}
	if (!hung)
		return;
	snprintf(why, sizeof(why), "no answer for %lld ms (-t %d s and %d ms); the server hangs",
	    sql_wait_ms(x->c), x->c->timeout_s, SQL_GRACE_MS);
	pb_conn_lost(x, why);
}

/* A loss found here is answered here (lost twice) or waits for the next
 * dispatch (next_timeout 0), so the replies of this one are written
 * before that connection attempt, which may block. */
void
pb_dispatch(void *ctx, backend_done_fn *done, void *loop)
{
	struct pb_ctx *x = ctx;

	settle(x, done, loop, true);
	if (pb_connected(x))
		pb_take_results(x, done, loop);
	if (pb_connected(x))
		expire(x, done, loop);
	settle(x, done, loop, false);
}

int
pb_next_timeout(void *ctx)
{
	struct pb_ctx *x = ctx;
	long long now = pb_now_ms(), t = LLONG_MAX;
	unsigned i;

	for (i = 0; i < x->ns; i++) {
		const struct pb_lookup *s = &x->s[i];

		if (s->state == PB_QUEUED || s->state == PB_LOST)
			return 0;
		if (s->state == PB_SENT && s->deadline_ms - now < t)
			t = s->deadline_ms - now;
	}
	if (x->flush_pending && t > PB_FLUSH_RETRY_MS)
		t = PB_FLUSH_RETRY_MS;
	if (pb_connected(x) && PQsslInUse(x->conn.pc) && t > PB_TLS_POLL_MS)
		t = PB_TLS_POLL_MS;
	if (t == LLONG_MAX)
		return -1;
	return t < 0 ? 0 : (int)t;
}
