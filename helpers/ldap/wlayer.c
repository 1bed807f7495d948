/* wlayer.c - the Sockbuf layers on the connection, and the spin-wait for
 * replies: both spend fewer system calls and context switches per
 * lookup, which matters because slapd often shares our CPUs.
 *
 * Reading: liblber's read-ahead layer takes all that is there in one
 * read() (libldap alone reads each message's header and body apart, after
 * a poll), and libldap takes buffered messages without a poll.
 *
 * Writing: our layer.  While wl.hold is set (only around ldap_search_ext)
 * what libldap writes is kept in wl.buf; any other write sends what is
 * kept first.  So the searches of one batch of request lines go out in
 * one write() and one TCP segment, waking slapd once.  lb_wlayer_flush()
 * sends them right before the loop waits (lb_event_fd, lb_idle).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <string.h>

#include "ldap_int.h"
#include "log.h"

/* Searches held back are sent at once when this much is waiting. */
#define LB_WBUF_MAX (64 * 1024)

/* With at least this many searches in flight, the helper looks for the
 * next reply for up to LB_SPIN_US before it goes to sleep. */
#define LB_SPIN_MIN_INFLIGHT 8
#define LB_SPIN_US 100

static int
wl_setup(Sockbuf_IO_Desc *sbiod, void *arg)
{
	struct lb_ctx *x = arg;

	sbiod->sbiod_pvt = x;
	x->wl.desc = sbiod;
	x->wl.buf.len = 0;
	return 0;
}

static int
wl_remove(Sockbuf_IO_Desc *sbiod)
{
	struct lb_ctx *x = sbiod->sbiod_pvt;

	if (x != NULL && x->wl.desc == sbiod) {
		x->wl.desc = NULL;
		x->wl.buf.len = 0;
	}
	sbiod->sbiod_pvt = NULL;
	return 0;
}

static int
wl_ctrl(Sockbuf_IO_Desc *sbiod, int opt, void *arg)
{
	return LBER_SBIOD_CTRL_NEXT(sbiod, opt, arg);
}

static ber_slen_t
wl_read(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	return LBER_SBIOD_READ_NEXT(sbiod, buf, len);
}

/* Wait until the socket takes more (bounded like a search).  0, or -1
 * with errno ETIMEDOUT. */
static int
wait_writable(Sockbuf_IO_Desc *sbiod)
{
	ber_socket_t fd = -1;
	struct pollfd pfd;

	ber_sockbuf_ctrl(sbiod->sbiod_sb, LBER_SB_OPT_GET_FD, &fd);
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&pfd, 1, 1000 * LB_DEFAULT_SEARCH_TIMEOUT_S) > 0)
		return 0;
	errno = ETIMEDOUT;
	return -1;
}

/* Write all of p to the layers below.  0, or -1 with errno set. */
static int
write_all(Sockbuf_IO_Desc *sbiod, const char *p, size_t n)
{
	while (n > 0) {
		ber_slen_t w = LBER_SBIOD_WRITE_NEXT(sbiod, (void *)p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_writable(sbiod) < 0)
				return -1;
			continue;
		}
		if (w <= 0) {
			if (w == 0)
				errno = EPIPE;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Send what is held.  0, or -1: the connection is BROKEN. */
int
lb_wlayer_flush(struct lb_ctx *x)
{
	struct lb_wlayer *wl = &x->wl;
	int rc = 0;

	if (wl->desc != NULL && wl->buf.len > 0) {
		rc = write_all(wl->desc, wl->buf.p, wl->buf.len);
		if (rc < 0) {
			log_debug("sending LDAP searches failed: %s", strerror(errno));
			lb_conn_broken(x);
		}
	}
	wl->buf.len = 0;
	return rc;
}

static ber_slen_t
wl_write(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	struct lb_ctx *x = sbiod->sbiod_pvt;

	if (x->wl.hold && x->wl.buf.len + len <= LB_WBUF_MAX) {
		obuf_append(&x->wl.buf, buf, len);
		return (ber_slen_t)len;
	}
	if (lb_wlayer_flush(x) < 0)
		return -1;
	return LBER_SBIOD_WRITE_NEXT(sbiod, buf, len);
}

static int
wl_close(Sockbuf_IO_Desc *sbiod)
{
	struct lb_ctx *x = sbiod->sbiod_pvt;

	if (x != NULL)
		x->wl.buf.len = 0;	/* the connection is going */
	return 0;
}

void
lb_wlayer_init(struct lb_ctx *x)
{
	x->wl.io = (Sockbuf_IO){
		.sbi_setup = wl_setup,
		.sbi_remove = wl_remove,
		.sbi_ctrl = wl_ctrl,
		.sbi_read = wl_read,
		.sbi_write = wl_write,
		.sbi_close = wl_close,
	};
}

/* Put both layers on a connection just bound (nothing in flight), right
 * above the socket (below TLS, if any).  Without them everything still
 * works, with more system calls. */
void
lb_wlayer_add(struct lb_ctx *x)
{
	Sockbuf *sb = NULL;

	if (ldap_get_option(x->conn.ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS ||
	    sb == NULL)
		return;
	x->wl.sb = sb;
	if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_HAS_IO, &ber_sockbuf_io_readahead) <= 0 &&
	    ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead,
	    LBER_SBIOD_LEVEL_PROVIDER, NULL) != 0)
		log_debug("no read-ahead on the LDAP connection");
	if (x->wl.desc == NULL &&
	    ber_sockbuf_add_io(sb, &x->wl.io, LBER_SBIOD_LEVEL_PROVIDER, x) != 0)
		log_debug("no write layer on the LDAP connection");
}

/* The connection is gone, and its layers with it. */
void
lb_wlayer_gone(struct lb_ctx *x)
{
	x->wl.sb = NULL;
	x->wl.desc = NULL;
	x->wl.buf.len = 0;
}

/* Whether libldap may hold more replies already read: false only when
 * the read-ahead layer says nothing is buffered. */
bool
lb_wlayer_maybe_buffered(const struct lb_ctx *x)
{
	return x->wl.sb == NULL ||
	    ber_sockbuf_ctrl(x->wl.sb, LBER_SB_OPT_DATA_READY, NULL) > 0;
}

/* With many searches in flight the next reply is usually microseconds
 * away, and sleeping in poll() to be woken for it costs both us and slapd
 * more than that wait.  So look for it for up to LB_SPIN_US first,
 * yielding the CPU (to slapd) between looks; never with few in flight (a
 * lone request, a quiet proxy). */
void
lb_spin_for_reply(struct lb_ctx *x, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long until;

	if (lb_count_current(x) < LB_SPIN_MIN_INFLIGHT)
		return;
	until = lb_now_us() + LB_SPIN_US;
	do {
		sched_yield();
		if (poll(&pfd, 1, 0) != 0)
			return;
	} while (lb_now_us() < until);
}
