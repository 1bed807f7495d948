/* conn.c - the one connection to the directory, through its states
 * (ldap_int.h): connecting, fail-over across the server list, the
 * back-off between attempts.
 *
 * An attempt tries each server once, from the one in use (or, after it
 * hung, the next) down the list and round to the start.  While no server
 * can be reached every lookup answers BH (never ERR), and the attempts
 * come with a growing back-off.
 */
#include "config.h"

#include <string.h>

#include "backoff.h"
#include "ldap_int.h"
#include "log.h"

bool
lb_connected(const struct lb_ctx *x)
{
	return x->conn.state == LB_CONN_READY ||
	    x->conn.state == LB_CONN_BROKEN;
}

/* Drop ld, if any (libldap frees our layers with it).  The caller sets
 * the state that follows. */
void
lb_conn_close(struct lb_ctx *x)
{
	struct lb_conn *cn = &x->conn;

	if (cn->ld != NULL) {
		if (cn->state == LB_CONN_BROKEN)
			x->wl.buf.len = 0;	/* the unbind goes without them */
		ldap_unbind_ext(cn->ld, NULL, NULL);
		cn->gen++;
	}
	cn->ld = NULL;
	lb_wlayer_gone(x);
}

/* The write layer could not send: the connection is unusable. */
void
lb_conn_broken(struct lb_ctx *x)
{
	x->conn.state = LB_CONN_BROKEN;
}

/* No connection: the next attempt waits for the back-off. */
static void
wait_retry(struct lb_ctx *x)
{
	struct lb_conn *cn = &x->conn;

	cn->state = LB_CONN_WAIT_RETRY;
	/* after a connection that was fine until now (closed when idle, or
	 * the server restarted), one immediate attempt is allowed */
	backoff_next(&cn->backoff_ms, &cn->retry_at_ms, lb_now_ms());
}

/* The connection in use broke (the server closed it, restarted or went
 * away).  The next attempt, one at once, starts with the same server:
 * it is the one that worked. */
void
lb_conn_lost(struct lb_ctx *x, int rc)
{
	log_error("LDAP connection to %s lost: %s", x->uri[x->conn.cur],
	    ldap_err2string(rc));
	lb_conn_close(x);
	wait_retry(x);
}

/* No answer to a search on the connection in use within its time: the
 * server is taken to hang.  The connection is dropped and the next
 * attempt, one at once, starts with the next server. */
void
lb_conn_hung(struct lb_ctx *x, int secs)
{
	struct lb_conn *cn = &x->conn;
	unsigned next = (cn->cur + 1) % x->nuri;

	if (x->nuri > 1)
		log_error("LDAP server %s did not answer a search within %d s; dropping the connection, trying %s",
		    x->uri[cn->cur], secs, x->uri[next]);
	else
		log_error("LDAP server %s did not answer a search within %d s; dropping the connection",
		    x->uri[cn->cur], secs);
	lb_conn_close(x);
	cn->cur = next;
	wait_retry(x);
}

/* The BH message while no server can be used, from the last failure. */
static const char *
down_reason(const char *step, int rc)
{
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT)
		return "LDAP server unreachable";
	return strcmp(step, "bind") == 0 ? "LDAP bind failed" : "LDAP connection failed";
}

/* Open, secure and bind a connection to server i (blocking, each step
 * bounded by -c).  Returns LDAP_SUCCESS, or the error with *step_r naming
 * the step that failed (ld is then NULL). */
static int
open_server(struct lb_ctx *x, unsigned i, const char **step_r)
{
	struct lb_conn *cn = &x->conn;
	int rc;

	*step_r = "initialisation";
	rc = ldap_initialize(&cn->ld, x->uri[i]);
	if (rc != LDAP_SUCCESS) {
		cn->ld = NULL;
		return rc;
	}
	lb_session_options(cn->ld, x->c);
	if (x->c->tls) {
		*step_r = "StartTLS";
		rc = ldap_start_tls_s(cn->ld, NULL, NULL);
	}
	if (rc == LDAP_SUCCESS) {
		*step_r = "bind";
		rc = lb_session_bind(cn->ld, x->c->binddn, x->c->secret);
	}
	/* libldap opens the TCP connection in the first operation */
	if (rc == LDAP_SERVER_DOWN)
		*step_r = "connection";
	if (rc != LDAP_SUCCESS)
		lb_conn_close(x);
	return rc;
}

/* Server i failed in a connection attempt; next is the one tried after
 * it, NULL when it was the last.  Logged at once per outage. */
static void
server_failed(struct lb_ctx *x, unsigned i, const char *step, int rc,
    const char *next)
{
	if (x->conn.outage_logged)
		log_debug("LDAP %s failed again (%s): %s", step, x->uri[i],
		    ldap_err2string(rc));
	else if (next != NULL)
		log_error("LDAP %s failed (%s): %s; trying %s", step, x->uri[i],
		    ldap_err2string(rc), next);
	else
		log_error("LDAP %s failed (%s): %s; lookups answer BH until it is back",
		    step, x->uri[i], ldap_err2string(rc));
}

/* Connected to server i, after failures (of others) in this attempt or
 * none, and after an outage (the attempt began in WAIT_RETRY) or not. */
static void
connected(struct lb_ctx *x, unsigned i, bool failures, bool was_down)
{
	struct lb_conn *cn = &x->conn;

	lb_wlayer_add(x);
	if (cn->last_ok >= 0 && (unsigned)cn->last_ok != i)
		log_info("LDAP now using %s instead of %s", x->uri[i],
		    x->uri[cn->last_ok]);
	else if (was_down)
		log_info("LDAP connection to %s is back", x->uri[i]);
	else if (failures)
		log_info("LDAP now using %s", x->uri[i]);
	else
		log_debug("connected to %s", x->uri[i]);
	cn->state = LB_CONN_READY;
	cn->cur = i;
	cn->last_ok = (int)i;
	cn->outage_logged = false;
	cn->backoff_ms = 0;
	cn->heard_ms = lb_now_ms();
}

/* One connection attempt: every server at most once, from cur on.  A
 * server that kept us waiting for the whole time-out at the head of the
 * list loses its place, so the next attempt does not wait for it first.
 * Returns 0, or -1 with the next attempt scheduled. */
static int
attempt(struct lb_ctx *x)
{
	struct lb_conn *cn = &x->conn;
	bool was_down = cn->state == LB_CONN_WAIT_RETRY;
	const char *step = "initialisation";
	unsigned k, i = cn->cur;
	int rc = LDAP_OTHER;

	cn->state = LB_CONN_CONNECTING;
	for (k = 0; k < x->nuri; k++, i = (i + 1) % x->nuri) {
		long long t0 = lb_now_ms();

		rc = open_server(x, i, &step);
		if (rc == LDAP_SUCCESS) {
			connected(x, i, k > 0, was_down);
			return 0;
		}
		if (i == cn->cur && (rc == LDAP_TIMEOUT ||
		    lb_now_ms() - t0 >= 1000LL * x->c->connect_timeout))
			cn->cur = (i + 1) % x->nuri;
		server_failed(x, i, step, rc, k + 1 < x->nuri ?
		    x->uri[(i + 1) % x->nuri] : NULL);
	}
	cn->down_why = down_reason(step, rc);
	cn->outage_logged = true;
	wait_retry(x);
	return -1;
}

/* A connection to search on: the one there is, or a new one when the
 * back-off allows an attempt.  BROKEN still counts: it is dropped at the
 * next dispatch. */
bool
lb_conn_ensure(struct lb_ctx *x)
{
	if (lb_connected(x))
		return true;
	if (x->conn.state == LB_CONN_WAIT_RETRY &&
	    lb_now_ms() < x->conn.retry_at_ms)
		return false;
	return attempt(x) == 0;
}
