/* events.c - what the request loop waits for on behalf of the
 * connections: one epoll descriptor (the loop polls one descriptor per
 * backend) holding each connection's socket, for what its pending
 * non-blocking call waits for (MYSQL_WAIT_READ, _WRITE, _EXCEPT), or, for
 * an idle connection, for input (the server closing it, or killing the
 * session).  Level-triggered, and armed again before every wait.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "log.h"
#include "mysql_int.h"

/* Take k's socket out of the set (before it is closed). */
void
my_unregister(struct my_ctx *x, struct my_conn *k)
{
	if (k->reg_fd >= 0)
		(void)epoll_ctl(x->epfd, EPOLL_CTL_DEL, k->reg_fd, NULL);
	k->reg_fd = -1;
}

/* The events connection k's state waits for (EPOLL*), 0 for none. */
static unsigned
wanted(const struct my_conn *k)
{
	if (k->m == NULL || k->state == MC_DOWN)
		return 0;
	if (k->state == MC_IDLE)
		return EPOLLIN;
	return (k->wait & MYSQL_WAIT_READ ? EPOLLIN : 0) |
	    (k->wait & MYSQL_WAIT_WRITE ? EPOLLOUT : 0) |
	    (k->wait & MYSQL_WAIT_EXCEPT ? EPOLLPRI : 0);
}

/* What the loop is to wait for: each connection's socket, for what its
 * pending call waits for; an idle one for input (the server closing it,
 * or killing the session).  Stale registrations go first: a socket the
 * library closed on its own leaves epoll without a word, and its number
 * may be another connection's now. */
void
my_arm(struct my_ctx *x)
{
	unsigned i;

	for (i = 0; i < x->ns; i++) {
		struct my_conn *k = &x->cn[i];
		int fd = k->m != NULL ? (int)mysql_get_socket(k->m) : -1;

		if (k->reg_fd >= 0 && (fd != k->reg_fd || wanted(k) == 0))
			my_unregister(x, k);
	}
	for (i = 0; i < x->ns; i++) {
		struct my_conn *k = &x->cn[i];
		struct epoll_event ev = { .events = wanted(k), .data.u32 = i };
		int fd = k->m != NULL ? (int)mysql_get_socket(k->m) : -1;

		if (fd < 0 || ev.events == 0)
			continue;
		if (epoll_ctl(x->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 &&
		    (errno != ENOENT ||
		    epoll_ctl(x->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)) {
			log_error("epoll_ctl: %s", strerror(errno));
			continue;
		}
		k->reg_fd = fd;
	}
}
