/* wait.c - the synchronous steps of a new connection (setup.c), each
 * bounded by a deadline.
 *
 * The connection is non-blocking from the start, so no libpq call can
 * hang the helper: a server that accepts the connection and then stops
 * answering (stopped, or behind a dead network) costs at most the
 * deadline, and the connection is then dropped.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>

#include "pgsql_int.h"

/* Wait for the socket (events), at most until deadline_ms.  Returns 1
 * when it is ready, 0 when the deadline passed, -1 on an error. */
static int
wait_socket(PGconn *pc, short events, long long deadline_ms)
{
	struct pollfd p = { .fd = PQsocket(pc), .events = events };
	long long left;
	int rc;

	if (p.fd < 0)
		return -1;
	for (;;) {
		left = deadline_ms - pb_now_ms();
		if (left <= 0)
			return 0;
		rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Send all libpq holds.  The server may fill its side meanwhile, so
 * input is taken too.  Returns 0, or -1 when the connection failed or
 * the deadline passed. */
static int
flush_all(PGconn *pc, long long deadline_ms)
{
	int rc;

	while ((rc = PQflush(pc)) == 1) {
		if (wait_socket(pc, POLLIN | POLLOUT, deadline_ms) <= 0 ||
		    !PQconsumeInput(pc))
			return -1;
	}
	return rc;
}

/* The next result, waiting for it until deadline_ms; NULL at the end of
 * the command's results.  *failed_r is set when the connection failed or
 * the deadline passed. */
static PGresult *
next_result(PGconn *pc, long long deadline_ms, bool *failed_r)
{
	while (PQisBusy(pc)) {
		if (wait_socket(pc, POLLIN, deadline_ms) <= 0 ||
		    !PQconsumeInput(pc)) {
			*failed_r = true;
			return NULL;
		}
	}
	return PQgetResult(pc);
}

/* sent: what the PQsend... call returned.  The first error result is
 * kept over later ones (a multi-statement string stops at it). */
PGresult *
pb_collect(PGconn *pc, int sent, long long deadline_ms)
{
	PGresult *keep = NULL, *r;
	bool failed = false;

	if (!sent || flush_all(pc, deadline_ms) < 0)
		return NULL;
	while ((r = next_result(pc, deadline_ms, &failed)) != NULL) {
		if (keep != NULL && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		PQclear(keep);
		keep = r;
	}
	if (failed || keep == NULL || PQstatus(pc) == CONNECTION_BAD) {
		PQclear(keep);
		return NULL;
	}
	return keep;
}
