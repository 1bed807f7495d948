/* loop.c - the request loop: read, dispatch, reply, flush.
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
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "fdio.h"
#include "proto.h"
#include "secret.h"

/* Input buffer: room for the longest accepted line plus its LF, rounded up
 * so that piped bursts are read in large chunks. */
#define LOOP_IBUF_SIZE (4 * PROTO_LINE_MAX)

/* Replies are written once this much is gathered even if more complete
 * lines are waiting, to bound memory on a huge burst. */
#define LOOP_OBUF_FLUSH (64 * 1024)

/* Set by signal handlers, read by the loop between reads. */
static volatile sig_atomic_t stop_signal;	/* SIGTERM/SIGINT: finish now */
static volatile sig_atomic_t hup_signal;	/* SIGHUP: look at the store */

/* The reader closed our stdout: Squid went away, a normal end. */
static bool reader_gone;

static void
on_stop(int sig)
{
	stop_signal = sig;
}

static void
on_hup(int sig)
{
	(void)sig;
	hup_signal = 1;
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

/* A lookup in flight: what its reply needs once the line is gone. */
struct slot {
	bool used;
	bool ordered;			/* no channel ID: replies in order */
	size_t id_len;
	char id[PROTO_ID_MAX + 2];	/* may be one digit over (out of range) */
};

struct loop {
	const struct backend_ops *ops;
	void *ctx;
	const struct loop_config *cfg;
	struct obuf out;
	struct slot *slots;
	unsigned nslots;
	unsigned inflight;
	bool ordered_pending;		/* an ID-less lookup is in flight */
	struct notes notes;		/* for answers given at once by start() */
};

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

static bool
realm_allowed(const struct loop_config *cfg, const char *realm, size_t len)
{
	size_t i;

	if (cfg->nrealms == 0)
		return true;
	for (i = 0; i < cfg->nrealms; i++)
		if (strlen(cfg->realms[i]) == len &&
		    memcmp(cfg->realms[i], realm, len) == 0)
			return true;
	return false;
}

static void
debug_verdict(const struct proto_request *req, const char *verdict,
    const char *why)
{
	char u[128], r[128];

	if (!log_debug_enabled())
		return;
	log_debug("user \"%s\" realm \"%s\": %s%s%s",
	    log_sanitize(req->user, req->user_len, u, sizeof(u)),
	    log_sanitize(req->realm, req->realm_len, r, sizeof(r)),
	    verdict, why != NULL ? ": " : "", why != NULL ? why : "");
}

/* The one place a verdict becomes a reply line. */
static void
reply(struct obuf *out, const char *id, size_t id_len,
    enum backend_result res, const struct backend_answer *a)
{
	switch (res) {
	case BACKEND_FOUND:
		proto_reply_ok(out, id, id_len, a->ha1, a->notes);
		break;
	case BACKEND_NOT_FOUND:
		proto_reply_err(out, id, id_len, "No such user");
		break;
	default:
		proto_reply_bh(out, id, id_len, a->err != NULL ? a->err :
		    "Lookup failed");
		break;
	}
}

/* Annotations a store gave but the reply could not carry: one warning
 * per reply, naming the user (never a value: it may be anything). */
static void
warn_dropped(const struct backend_query *q, const struct notes *nt)
{
	char u[128];

	if (nt == NULL || (nt->dropped_bad == 0 && nt->dropped_limit == 0))
		return;
	log_warn("user \"%s\": %u annotations dropped (%u with a line break, a NUL or a key Squid does not take; %u past the limit of %d pairs or %d bytes)",
	    log_sanitize(q->user, q->user_len, u, sizeof(u)),
	    nt->dropped_bad + nt->dropped_limit, nt->dropped_bad,
	    nt->dropped_limit, NOTES_MAX, NOTES_BYTES_MAX);
}

/* A fresh answer for one lookup, with the loop's list of annotations. */
static void
answer_start(struct backend_answer *a, struct notes *nt)
{
	a->ha1[0] = '\0';
	a->err = NULL;
	notes_reset(nt);
	a->notes = nt;
}

static const char *
verdict_name(enum backend_result res)
{
	return res == BACKEND_FOUND ? "OK" :
	    res == BACKEND_NOT_FOUND ? "ERR" : "BH";
}

/* Parse and check a line; fill q.  Returns false when the line was
 * answered already (malformed, or a realm refused by --realm). */
static bool
prepare(const struct loop_config *cfg, const char *line, size_t len,
    struct proto_request *req, struct backend_query *q, struct obuf *out)
{
	const char *why = NULL;

	if (proto_parse(line, len, req, &why) < 0) {
		log_debug("malformed request line: %s", why);
		proto_reply_bh(out, req->id, req->id_len, why);
		return false;
	}
	if (!realm_allowed(cfg, req->realm, req->realm_len)) {
		debug_verdict(req, "ERR", "realm not in --realm list");
		proto_reply_err(out, req->id, req->id_len, "Realm not accepted");
		return false;
	}
	*q = (struct backend_query){
		.user = req->user, .user_len = req->user_len,
		.realm = req->realm, .realm_len = req->realm_len,
		.extras = req->extras, .extras_len = req->extras_len,
		.alg = digest_alg_md5(),
	};
	return true;
}

void
loop_handle_line(const struct backend_ops *ops, void *ctx,
    const struct loop_config *cfg, const char *line, size_t len,
    struct obuf *out)
{
	static struct notes notes;	/* reused: no allocation per lookup */
	struct proto_request req;
	struct backend_query q;
	struct backend_answer a;
	enum backend_result res;

	if (!prepare(cfg, line, len, &req, &q, out))
		return;
	answer_start(&a, &notes);
	res = ops->lookup(ctx, &q, &a);
	debug_verdict(&req, verdict_name(res), res == BACKEND_FAIL ? a.err : NULL);
	if (res == BACKEND_FOUND)
		warn_dropped(&q, a.notes);
	reply(out, req.id, req.id_len, res, &a);
	secret_wipe(a.ha1, sizeof(a.ha1));
}

/* An asynchronous lookup finished: reply, free its slot. */
static void
async_done(void *loopp, unsigned token, enum backend_result res,
    struct backend_answer *a)
{
	struct loop *l = loopp;
	struct slot *s;

	if (token >= l->nslots || !l->slots[token].used) {
		log_error("internal error: completion for unknown lookup %u", token);
		return;
	}
	s = &l->slots[token];
	if (log_debug_enabled())
		log_debug("lookup %u%s%.*s: %s%s%s", token, s->id_len ? " id " : "",
		    (int)s->id_len, s->id, verdict_name(res),
		    res == BACKEND_FAIL && a->err ? ": " : "",
		    res == BACKEND_FAIL && a->err ? a->err : "");
	reply(&l->out, s->id, s->id_len, res, a);
	if (s->ordered)
		l->ordered_pending = false;
	s->used = false;
	l->inflight--;
}

static void
async_line(struct loop *l, const char *line, size_t len)
{
	struct proto_request req;
	struct backend_query q;
	struct backend_answer a;
	enum backend_result res;
	unsigned t;

	if (!prepare(l->cfg, line, len, &req, &q, &l->out))
		return;
	for (t = 0; t < l->nslots && l->slots[t].used; t++)
		;
	if (t == l->nslots) {		/* cannot happen: callers check */
		proto_reply_bh(&l->out, req.id, req.id_len, "Too many lookups");
		return;
	}
	answer_start(&a, &l->notes);
	res = l->ops->start(l->ctx, &q, t, &a);
	if (res != BACKEND_PENDING) {
		debug_verdict(&req, verdict_name(res), res == BACKEND_FAIL ? a.err : NULL);
		if (res == BACKEND_FOUND)
			warn_dropped(&q, a.notes);
		reply(&l->out, req.id, req.id_len, res, &a);
		secret_wipe(a.ha1, sizeof(a.ha1));
		return;
	}
	debug_verdict(&req, "pending", NULL);
	l->slots[t].used = true;
	l->slots[t].ordered = req.id == NULL;
	l->slots[t].id_len = req.id_len;
	if (req.id_len > 0)
		memcpy(l->slots[t].id, req.id, req.id_len);
	l->inflight++;
	if (req.id == NULL)
		l->ordered_pending = true;
}

static void
too_long(struct obuf *out, const char *line, size_t len)
{
	proto_reply_bh(out, line, proto_peek_id(line, len), "Request line too long");
}

/* Can another line be taken now?  The next line's channel ID decides
 * whether it may join others in flight. */
static bool
can_take(const struct loop *l, const char *line, size_t len)
{
	if (l->ops->start == NULL)
		return true;
	if (l->ordered_pending || l->inflight >= l->nslots)
		return false;
	/* an ID-less line waits until everything before it is answered */
	return l->inflight == 0 || proto_peek_id(line, len) > 0;
}

static void
take_line(struct loop *l, const char *line, size_t len)
{
	if (len > PROTO_LINE_MAX)
		too_long(&l->out, line, len);
	else if (l->ops->start != NULL)
		async_line(l, line, len);
	else
		loop_handle_line(l->ops, l->ctx, l->cfg, line, len, &l->out);
}

int
loop_run(const struct backend_ops *ops, void *ctx,
    const struct loop_config *cfg)
{
	struct loop l = { .ops = ops, .ctx = ctx, .cfg = cfg };
	char *buf = xmalloc(LOOP_IBUF_SIZE);
	size_t have = 0;	/* bytes in buf */
	size_t start = 0;	/* first byte not yet taken */
	bool discarding = false; /* inside an over-long line already answered */
	bool eof = false;
	int rc = 0;

	if (ops->start != NULL) {
		l.nslots = ops->max_inflight != NULL ? ops->max_inflight(ctx) : 1;
		if (l.nslots == 0)
			l.nslots = 1;
		l.slots = xcalloc(l.nslots, sizeof(*l.slots));
	}

	for (;;) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		int timeout = -1, bfd = -1;
		bool polled;
		char *lf;

		/* Take every complete line the backend has room for. */
		while ((lf = memchr(buf + start, '\n', have - start)) != NULL) {
			size_t len = (size_t)(lf - (buf + start));

			if (discarding) {
				discarding = false;	/* tail already answered */
			} else {
				if (!can_take(&l, buf + start, len))
					break;
				take_line(&l, buf + start, len);
			}
			start += len + 1;
			if (l.out.len >= LOOP_OBUF_FLUSH && flush(cfg, &l.out) < 0) {
				rc = -1;
				goto done;
			}
		}
		if (eof && lf == NULL && start < have && !discarding &&
		    can_take(&l, buf + start, have - start)) {
			/* a last line without LF is still a request */
			take_line(&l, buf + start, have - start);
			start = have;
		}
		if (eof && l.inflight == 0 && (start == have || discarding))
			break;
		if (stop_signal) {
			log_info("stopping on signal %d; %u lookups in flight dropped",
			    (int)stop_signal, l.inflight);
			break;
		}

		/* Keep the unread part at the front of the buffer. */
		if (start > 0) {
			memmove(buf, buf + start, have - start);
			have -= start;
			start = 0;
		}
		if (have > PROTO_LINE_MAX && memchr(buf, '\n', have) == NULL) {
			/* No LF within the limit: answer now, drop the rest of
			 * the line as it arrives so the stream stays in step. */
			if (!discarding)
				too_long(&l.out, buf, have);
			discarding = true;
			have = 0;
		}

		/* Everything we can answer now is answered: flush, then wait. */
		if (ops->idle != NULL && l.inflight == 0)
			ops->idle(ctx);
		if (flush(cfg, &l.out) < 0) {
			rc = -1;
			break;
		}
		if (!eof && have < LOOP_IBUF_SIZE &&
		    (l.inflight < (l.nslots ? l.nslots : 1) || have == 0)) {
			pfd[n++] = (struct pollfd){ .fd = cfg->in_fd, .events = POLLIN };
		}
		if (l.inflight > 0) {
			bfd = ops->event_fd != NULL ? ops->event_fd(ctx) : -1;
			if (bfd >= 0)
				pfd[n++] = (struct pollfd){ .fd = bfd, .events = POLLIN };
			timeout = ops->next_timeout_ms != NULL ?
			    ops->next_timeout_ms(ctx) : -1;
		}
		if (n == 0 && l.inflight == 0) {
			/* nothing to wait for: buffer full of a line we are
			 * discarding, or a logic slip; read anyway */
			pfd[n++] = (struct pollfd){ .fd = cfg->in_fd, .events = POLLIN };
		}
		/* Nothing in flight: a plain blocking read, as cheap as it gets
		 * for the lone request a Squid helper mostly sees. */
		/* Decided before dispatch(): if the last lookup completes there,
		 * its reply must be written before any blocking read. */
		polled = l.inflight > 0;
		if (polled) {
			int pr = poll(pfd, n, timeout);

			if (pr < 0 && errno != EINTR) {
				log_error("poll: %s", strerror(errno));
				rc = -1;
				break;
			}
			ops->dispatch(ctx, async_done, &l);
		}
		if (n > 0 && pfd[0].fd == cfg->in_fd && !eof &&
		    (!polled || (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))) {
			ssize_t r = read(cfg->in_fd, buf + have, LOOP_IBUF_SIZE - have);

			if (r < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					/* a non-blocking stdin (some supervisors
					 * hand one over): wait for it, never spin */
					struct pollfd in = { .fd = cfg->in_fd,
					    .events = POLLIN };

					if (!polled)
						(void)poll(&in, 1, -1);
					goto signals;
				}
				if (errno == EINTR)
					goto signals;
				log_error("cannot read requests: %s", strerror(errno));
				rc = -1;
				break;
			}
			if (r == 0) {
				eof = true;
			} else {
				have += (size_t)r;
				if (ops->tick != NULL)
					ops->tick(ctx, hup_signal != 0);
				hup_signal = 0;
			}
		}
signals:
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
	obuf_free(&l.out);
	notes_free(&l.notes);
	free(l.slots);
	free(buf);
	return reader_gone ? 0 : rc;
}
