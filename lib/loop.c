/* loop.c - the request loop: read, wait, flush (the lines themselves are
 * answered in lookup.c).
 *
 * One event loop serves both kinds of backend.  A synchronous backend
 * answers inside lookup(), so nothing is ever pending and the loop is:
 * read a chunk, answer every complete line, flush, block for more.  An
 * asynchronous backend (start/dispatch) may leave lookups pending; the
 * loop then polls the backend's descriptor next to stdin and writes each
 * reply as its lookup completes.  Lines with a channel ID may have up to
 * max_inflight() lookups pending; a line without one waits for the lookup
 * before it, so those replies keep the order of the requests.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "fdio.h"
#include "loop.h"
#include "loop_int.h"
#include "proto.h"
#include "secret.h"

/* Set by signal handlers, read by the loop between reads. */
static volatile sig_atomic_t stop_signal;	/* SIGTERM/SIGINT: finish now */
static volatile sig_atomic_t hup_signal;	/* SIGHUP: look at the store */

/* The descriptor loop_run() reads requests from, and the writing end of
 * its stop pipe (asynchronous backends only); -1 outside loop_run(). */
static volatile sig_atomic_t stop_in_fd = -1, stop_pipe_w = -1;

/* The reader closed our stdout: Squid went away, a normal end. */
static bool reader_gone;

/* A stop that lands after the loop looked at stop_signal but before it
 * blocks would wait there for the next request or backend event.  So the
 * requests are replaced by an empty input, which a blocking read or a
 * poll on them returns from at once, and a byte goes into the stop pipe,
 * which every poll with lookups in flight also waits on (the requests are
 * not in that poll when the slots are full).  open(), dup2(), close() and
 * write() are async-signal-safe; the lone-request path pays nothing. */
static void
on_stop(int sig)
{
	int saved = errno, fd = stop_in_fd, w = stop_pipe_w, null;

	stop_signal = sig;
	if (fd >= 0 && (null = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
		(void)dup2(null, fd);
		(void)close(null);
	}
	if (w >= 0)
		(void)!write(w, "", 1);
	errno = saved;
}

static void
on_hup(int sig)
{
	(void)sig;
	hup_signal = 1;
}

/* The stop pipe of an asynchronous loop (see on_stop()).  Without one
 * (no descriptors left) a stop in the window waits for the next event,
 * as it would have anyway. */
static void
stop_pipe_open(struct loop *l)
{
	int p[2];

	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return;
	l->stop_r = p[0];
	stop_pipe_w = p[1];
}

/* With the stop signals blocked, so the handler cannot be writing to the
 * descriptor as it is closed (and perhaps reused). */
static void
stop_pipe_close(struct loop *l)
{
	sigset_t stops, old;
	int w = stop_pipe_w;

	if (l->stop_r < 0)
		return;
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigprocmask(SIG_BLOCK, &stops, &old);
	stop_pipe_w = -1;
	close(w);
	close(l->stop_r);
	l->stop_r = -1;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* No SA_RESTART: a blocking read returns EINTR so the flag is seen. */
void
loop_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
}


static int
flush(const struct loop_config *cfg, struct obuf *out)
{
	int rc = 0;

	if (out->len > 0) {
		rc = fd_write_all(cfg->out_fd, out->p, out->len);
		if (rc < 0 && errno == EPIPE) {
			log_info("the reader closed standard output (Squid went away); exiting");
			reader_gone = true;
		}
		else if (rc < 0)
			log_error("cannot write replies: %s", strerror(errno));
		out->len = 0;
	}
	return rc;
}


/* Take every complete line the backend has room for, and at end of
 * input a last line without LF.  Returns -1 when writing replies failed. */
static int
take_lines(struct loop *l)
{
	char *lf;

	while ((lf = memchr(l->buf + l->start, '\n', l->have - l->start)) != NULL) {
		size_t len = (size_t)(lf - (l->buf + l->start));

		if (l->discarding) {
			l->discarding = false;	/* tail already answered */
		} else {
			if (!loop_can_take(l, l->buf + l->start, len))
				return 0;
			loop_take_line(l, l->buf + l->start, len);
		}
		l->start += len + 1;
		if (l->out.len >= LOOP_OBUF_FLUSH && flush(l->cfg, &l->out) < 0)
			return -1;
	}
	if (l->eof && l->start < l->have && !l->discarding &&
	    loop_can_take(l, l->buf + l->start, l->have - l->start)) {
		/* a last line without LF is still a request */
		loop_take_line(l, l->buf + l->start, l->have - l->start);
		l->start = l->have;
	}
	return 0;
}

/* Keep the unread part at the front of the buffer; a line longer than
 * the limit is answered now and the rest of it dropped as it arrives, so
 * the stream stays in step. */
static void
compact(struct loop *l)
{
	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->have - l->start);
		l->have -= l->start;
		l->start = 0;
	}
	if (l->have > PROTO_LINE_MAX && memchr(l->buf, '\n', l->have) == NULL) {
		if (!l->discarding)
			loop_too_long(&l->out, l->buf, l->have);
		l->discarding = true;
		l->have = 0;
	}
}

/* What to wait for: requests (when there is room for them) and, with
 * lookups in flight, the backend's descriptor.  Returns how many. */
static nfds_t
wait_set(struct loop *l, struct pollfd *pfd, int *timeout_r)
{
	const struct backend_ops *ops = l->ops;
	nfds_t n = 0;
	int bfd;

	*timeout_r = -1;
	if (!l->eof && l->have < LOOP_IBUF_SIZE &&
	    (l->inflight < (l->nslots ? l->nslots : 1) || l->have == 0))
		pfd[n++] = (struct pollfd){ .fd = l->cfg->in_fd, .events = POLLIN };
	if (l->inflight > 0) {
		bfd = ops->event_fd != NULL ? ops->event_fd(l->ctx) : -1;
		if (bfd >= 0)
			pfd[n++] = (struct pollfd){ .fd = bfd, .events = POLLIN };
		*timeout_r = ops->next_timeout_ms != NULL ?
		    ops->next_timeout_ms(l->ctx) : -1;
		if (l->stop_r >= 0)
			pfd[n++] = (struct pollfd){ .fd = l->stop_r, .events = POLLIN };
	}
	if (n == 0 && l->inflight == 0) {
		/* nothing to wait for: buffer full of a line we are
		 * discarding, or a logic slip; read anyway */
		pfd[n++] = (struct pollfd){ .fd = l->cfg->in_fd, .events = POLLIN };
	}
	return n;
}

/* Read what requests there are.  polled: poll() said the input is ready;
 * otherwise this is the plain blocking read of an idle helper.  Returns
 * -1 when reading failed. */
static int
read_input(struct loop *l, bool polled)
{
	ssize_t r = read(l->cfg->in_fd, l->buf + l->have, LOOP_IBUF_SIZE - l->have);

	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* a non-blocking stdin (some supervisors hand one
			 * over): wait for it, never spin */
			struct pollfd in = { .fd = l->cfg->in_fd, .events = POLLIN };

			if (!polled)
				(void)poll(&in, 1, -1);
			return 0;
		}
		if (errno == EINTR)
			return 0;
		log_error("cannot read requests: %s", strerror(errno));
		return -1;
	}
	if (r == 0) {
		/* after a stop this is the handler's empty input: the line
		 * begun in the buffer is not a last line to answer */
		l->eof = !stop_signal;
		return 0;
	}
	l->have += (size_t)r;
	if (l->ops->tick != NULL)
		l->ops->tick(l->ctx, hup_signal != 0);
	hup_signal = 0;
	return 0;
}

/* Wait for requests or for lookups to finish; collect both.  With
 * nothing in flight this is a plain blocking read, as cheap as it gets
 * for the lone request a Squid helper mostly sees.  Returns -1 on an
 * error. */
static int
wait_and_read(struct loop *l)
{
	struct pollfd pfd[3];
	int timeout;
	nfds_t n = wait_set(l, pfd, &timeout);
	/* decided before dispatch(): if the last lookup completes there,
	 * its reply must be written before any blocking read */
	bool polled = l->inflight > 0;

	if (polled) {
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return -1;
		}
		l->ops->dispatch(l->ctx, loop_async_done, l);
	}
	if (n > 0 && pfd[0].fd == l->cfg->in_fd && !l->eof &&
	    (!polled || (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))))
		return read_input(l, polled);
	return 0;
}

int
loop_run(const struct backend_ops *ops, void *ctx,
    const struct loop_config *cfg)
{
	struct loop l = { .ops = ops, .ctx = ctx, .cfg = cfg, .stop_r = -1 };
	int rc = 0;

	l.buf = xmalloc(LOOP_IBUF_SIZE);
	stop_in_fd = cfg->in_fd;
	if (ops->start != NULL) {
		l.nslots = ops->max_inflight != NULL ? ops->max_inflight(ctx) : 1;
		if (l.nslots == 0)
			l.nslots = 1;
		l.slots = xcalloc(l.nslots, sizeof(*l.slots));
		stop_pipe_open(&l);
	}
	for (;;) {
		if (take_lines(&l) < 0) {
			rc = -1;
			goto done;
		}
		if (stop_signal) {
			log_info("stopping on signal %d; %u lookups in flight dropped",
			    (int)stop_signal, l.inflight);
			break;
		}
		if (l.eof && l.inflight == 0 && (l.start == l.have || l.discarding))
			break;
		compact(&l);
		/* everything we can answer now is answered: flush, then wait */
		if (ops->idle != NULL && l.inflight == 0)
			ops->idle(ctx);
		if (flush(cfg, &l.out) < 0 || wait_and_read(&l) < 0) {
			rc = -1;
			break;
		}
		if (hup_signal && ops->tick != NULL) {
			log_info("SIGHUP: looking at the store now");
			ops->tick(ctx, true);
			hup_signal = 0;
		}
	}
	if (ops->idle != NULL)
		ops->idle(ctx);
	if (flush(cfg, &l.out) < 0)
		rc = -1;
done:
	stop_in_fd = -1;
	stop_pipe_close(&l);
	obuf_free(&l.out);
	notes_free(&l.notes);
	free(l.slots);
	free(l.buf);
	return reader_gone ? 0 : rc;
}
