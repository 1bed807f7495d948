/* wait.c - the synchronous steps of a new connection (setup.c), each
 * bounded by a deadline.
 *
 * Every call goes through the library's non-blocking API (the
 * connection has MYSQL_OPT_NONBLOCK), and the waits between its steps
 * are poll()s here, so no call can hang the helper: a server that
 * accepts the connection and then stops answering costs at most the
 * deadline, and the connection is then dropped.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "mysql_int.h"

/* Wait for what status asks (MYSQL_WAIT_*), at most until deadline_ms
 * or the library's own time-out.  Returns the MYSQL_WAIT_* that are
 * ready, or -1 when the deadline passed or poll failed. */
static int
wait_status(MYSQL *m, int status, long long deadline_ms)
{
	struct pollfd p = { .fd = mysql_get_socket(m), .events = 0 };
	long long left = deadline_ms - my_now_ms(), lib = -1;
	int rc, ready = 0;

	if (status & MYSQL_WAIT_READ)
		p.events |= POLLIN;
	if (status & MYSQL_WAIT_WRITE)
		p.events |= POLLOUT;
	if (status & MYSQL_WAIT_EXCEPT)
		p.events |= POLLPRI;
	if (status & MYSQL_WAIT_TIMEOUT)
		lib = mysql_get_timeout_value_ms(m);
	for (;;) {
		if (left <= 0)
			return -1;
		rc = poll(&p, p.fd >= 0 ? 1 : 0,
		    (int)(lib >= 0 && lib < left ? lib : left > 60000 ? 60000 : left));
		if (rc > 0)
			break;
		if (rc == 0 && lib >= 0 && lib < left)
			return MYSQL_WAIT_TIMEOUT;
		if (rc < 0 && errno != EINTR)
			return -1;
		left = deadline_ms - my_now_ms();
	}
	if (p.revents & (POLLIN | POLLHUP | POLLERR))
		ready |= MYSQL_WAIT_READ;
	if (p.revents & (POLLOUT | POLLHUP | POLLERR))
		ready |= MYSQL_WAIT_WRITE;
	if (p.revents & POLLPRI)
		ready |= MYSQL_WAIT_EXCEPT;
	return ready;
}

int
my_wait(MYSQL *m, int status, my_cont_fn *cont, void *arg,
    long long deadline_ms)
{
	int ready;

	while (status != 0) {
		ready = wait_status(m, status, deadline_ms);
		if (ready < 0)
			return -1;
		status = cont(arg, ready);
	}
	return 0;
}

/* The calls and their continuations. */
struct op {
	MYSQL *m;
	MYSQL_STMT *st;
	int ret;
	my_bool bret;
};

static int
query_cont(void *arg, int ready)
{
	struct op *o = arg;

	return mysql_real_query_cont(&o->ret, o->m, ready);
}

static int
prepare_cont(void *arg, int ready)
{
	struct op *o = arg;

	return mysql_stmt_prepare_cont(&o->ret, o->st, ready);
}

static int
execute_cont(void *arg, int ready)
{
	struct op *o = arg;

	return mysql_stmt_execute_cont(&o->ret, o->st, ready);
}

static int
store_cont(void *arg, int ready)
{
	struct op *o = arg;

	return mysql_stmt_store_result_cont(&o->ret, o->st, ready);
}

/* The end of a call: 0, or -1 with *lost_r telling whether the
 * connection is gone (or the deadline passed: then it is hung). */
static int
ended(int waited, int ret, unsigned err, bool *lost_r)
{
	if (waited < 0) {
		*lost_r = true;
		return -1;
	}
	if (ret == 0)
		return 0;
	*lost_r = my_errno_lost(err);
	return -1;
}

int
my_query(MYSQL *m, const char *sql, long long deadline_ms, bool *lost_r)
{
	struct op o = { .m = m };
	int w = my_wait(m, mysql_real_query_start(&o.ret, m, sql,
	    (unsigned long)strlen(sql)), query_cont, &o, deadline_ms);

	/* only statements without a result come here (SET, START, ...) */
	return ended(w, o.ret, mysql_errno(m), lost_r);
}

int
my_prepare(MYSQL_STMT *st, const char *sql, long long deadline_ms,
    bool *lost_r)
{
	struct op o = { .m = st->mysql, .st = st };
	int w = my_wait(st->mysql, mysql_stmt_prepare_start(&o.ret, st, sql,
	    (unsigned long)strlen(sql)), prepare_cont, &o, deadline_ms);

	return ended(w, o.ret, mysql_stmt_errno(st), lost_r);
}

int
my_execute(MYSQL_STMT *st, long long deadline_ms, bool *lost_r)
{
	struct op o = { .m = st->mysql, .st = st };
	int w = my_wait(st->mysql, mysql_stmt_execute_start(&o.ret, st),
	    execute_cont, &o, deadline_ms);

	return ended(w, o.ret, mysql_stmt_errno(st), lost_r);
}

int
my_store(MYSQL_STMT *st, long long deadline_ms, bool *lost_r)
{
	struct op o = { .m = st->mysql, .st = st };
	int w = my_wait(st->mysql, mysql_stmt_store_result_start(&o.ret, st),
	    store_cont, &o, deadline_ms);

	return ended(w, o.ret, mysql_stmt_errno(st), lost_r);
}
