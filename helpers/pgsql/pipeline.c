/* pipeline.c - the lookups' queries on the wire, in libpq's pipeline mode.
 *
 * Each lookup is its query (and with groups, the group query right after
 * it), sent with PQsendQueryPrepared on the non-blocking connection
 * without waiting for the answer.  The queries started in one batch (the
 * loop's start() calls between two waits) are closed by one sync point
 * and flushed in one write when the loop is about to wait (pb_push, from
 * event_fd), so a burst of lookups costs one round trip, and a lone one
 * goes out at once.  The server answers in order; the ring of pending
 * entries (struct pb_fifo) says which lookup each result is for.
 *
 * libpq's order of results: for each query its result, then a NULL; for
 * each sync point one PGRES_PIPELINE_SYNC.  After an error, the queries
 * up to the next sync point are not run: each gives
 * PGRES_PIPELINE_ABORTED, and its lookup is sent again (inflight.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgsql_int.h"
#include "secret.h"

void
pb_fifo_init(struct pb_fifo *f, unsigned cap)
{
	f->e = xcalloc(cap, sizeof(*f->e));
	f->cap = cap;
	f->head = f->n = 0;
}

void
pb_fifo_clear(struct pb_fifo *f)
{
	f->head = f->n = 0;
}

static struct pb_pending *
fifo_head(struct pb_fifo *f)
{
	return f->n > 0 ? &f->e[f->head] : NULL;
}

static void
fifo_pop(struct pb_fifo *f)
{
	f->head = (f->head + 1) % f->cap;
	f->n--;
}

/* The ring holds every query of the -j lookups and a sync point per
 * batch; it cannot be full (pgsql.c sizes it), but a full one is never
 * overrun: the send fails instead. */
static int
fifo_push(struct pb_fifo *f, unsigned slot, unsigned seq, enum pb_qkind kind)
{
	if (f->n == f->cap) {
		log_error("internal error: the pipeline ring is full");
		return -1;
	}
	f->e[(f->head + f->n) % f->cap] = (struct pb_pending){
		.slot = slot, .seq = seq, .kind = kind,
	};
	f->n++;
	return 0;
}

/* Send s's queries.  Returns 0, or -1 when the connection failed (the
 * caller handles that). */
int
pb_send(struct pb_ctx *x, struct pb_lookup *s)
{
	const char *params[2] = { s->user, s->realm };	/* text, NUL-ended */
	unsigned i = (unsigned)(s - x->s);

	s->seq = ++x->seq;
	if (!PQsendQueryPrepared(x->conn.pc, x->look.name, x->look.nparams,
	    params, NULL, NULL, 0) ||
	    fifo_push(&x->fifo, i, s->seq, PB_Q_LOOKUP) < 0)
		return -1;
	x->unsynced++;
	if (x->groups.sql != NULL &&
	    (!PQsendQueryPrepared(x->conn.pc, x->groups.name,
	    x->groups.nparams, params, NULL, NULL, 0) ||
	    fifo_push(&x->fifo, i, s->seq, PB_Q_GROUPS) < 0))
		return -1;
	s->state = PB_SENT;
	s->have_row = false;
	s->deadline_ms = pb_now_ms() + sql_wait_ms(x->c);
	return 0;
}

/* Close the batch with a sync point and write what libpq holds.  Returns
 * 0 (flush_pending set when the socket did not take it all), or -1 when
 * the connection failed; its lookups are then marked (pb_conn_lost). */
int
pb_push(struct pb_ctx *x)
{
	int rc;

	if (!pb_connected(x))
		return 0;
	if (x->unsynced > 0) {
		if (fifo_push(&x->fifo, 0, 0, PB_Q_SYNC) < 0 ||
		    !PQpipelineSync(x->conn.pc)) {
			pb_conn_lost(x, NULL);
			return -1;
		}
		x->unsynced = 0;
	}
	rc = PQflush(x->conn.pc);
	if (rc < 0) {
		pb_conn_lost(x, NULL);
		return -1;
	}
	x->flush_pending = rc == 1;
	return 0;
}

/* One result r for p, the head of the ring.  Returns false when the
 * connection was dropped meanwhile. */
static bool
take_one(struct pb_ctx *x, struct pb_pending *p, PGresult *r,
    backend_done_fn *done, void *loop)
{
	struct pb_pending e;
	bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;

	if (sync != (p->kind == PB_Q_SYNC)) {
		PQclear(r);
		pb_conn_lost(x, "results out of step with the queries sent");
		return false;
	}
	if (sync) {
		fifo_pop(&x->fifo);
		PQclear(r);
		return true;
	}
	if (p->got) {		/* a second result for one query: unused */
		PQclear(r);
		return true;
	}
	p->got = true;
	e = *p;
	pb_on_result(x, &e, r, done, loop);	/* clears r */
	return pb_connected(x);
}

/* Take every result that has come, and go on with the lookups they are
 * for.  May drop the connection (a loss, protocol trouble). */
void
pb_take_results(struct pb_ctx *x, backend_done_fn *done, void *loop)
{
	struct pb_pending *p;
	PGresult *r;

	if (!PQconsumeInput(x->conn.pc)) {
		pb_conn_lost(x, NULL);
		return;
	}
	while ((p = fifo_head(&x->fifo)) != NULL && !PQisBusy(x->conn.pc)) {
		r = PQgetResult(x->conn.pc);
		if (r != NULL) {
			if (!take_one(x, p, r, done, loop))
				return;
			continue;
		}
		if (p->kind == PB_Q_SYNC || !p->got)
			break;	/* nothing more yet */
		fifo_pop(&x->fifo);	/* the NULL after a query's result */
	}
	if (PQstatus(x->conn.pc) == CONNECTION_BAD)
		pb_conn_lost(x, NULL);
}
