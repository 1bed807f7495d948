/* loop.c - the request loop: read, dispatch, reply, flush. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "proto.h"
#include "secret.h"

/* Input buffer: room for the longest accepted line plus its LF, rounded up
 * so that piped bursts are read in large chunks. */
#define LOOP_IBUF_SIZE (4 * PROTO_LINE_MAX)

/* Replies are written once this much is gathered even if more complete
 * lines are waiting, to bound memory on a huge burst. */
#define LOOP_OBUF_FLUSH (64 * 1024)

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };

				(void)poll(&pfd, 1, -1);
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
flush(const struct loop_config *cfg, struct obuf *out)
{
	int rc = 0;

	if (out->len > 0) {
		rc = write_all(cfg->out_fd, out->p, out->len);
		if (rc < 0)
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

void
loop_handle_line(const struct backend_ops *ops, void *ctx,
    const struct loop_config *cfg, const char *line, size_t len,
    struct obuf *out)
{
	struct proto_request req;
	struct backend_query q;
	char ha1[DIGEST_HEX_MAX + 1];
	const char *why = NULL;
	enum backend_result rc;

	if (proto_parse(line, len, &req, &why) < 0) {
		log_debug("malformed request line: %s", why);
		proto_reply_bh(out, req.id, req.id_len, why);
		return;
	}
	if (!realm_allowed(cfg, req.realm, req.realm_len)) {
		debug_verdict(&req, "ERR", "realm not in --realm list");
		proto_reply_err(out, req.id, req.id_len, "Realm not accepted");
		return;
	}
	q = (struct backend_query){
		.user = req.user, .user_len = req.user_len,
		.realm = req.realm, .realm_len = req.realm_len,
		.extras = req.extras, .extras_len = req.extras_len,
		.alg = digest_alg_md5(),
	};
	ha1[0] = '\0';
	rc = ops->lookup(ctx, &q, ha1, &why);
	switch (rc) {
	case BACKEND_FOUND:
		debug_verdict(&req, "OK", NULL);
		proto_reply_ok(out, req.id, req.id_len, ha1);
		break;
	case BACKEND_NOT_FOUND:
		debug_verdict(&req, "ERR", NULL);
		proto_reply_err(out, req.id, req.id_len, "No such user");
		break;
	default:
		debug_verdict(&req, "BH", why);
		proto_reply_bh(out, req.id, req.id_len,
		    why != NULL ? why : "Lookup failed");
		break;
	}
	secret_wipe(ha1, sizeof(ha1));
}

static void
too_long(struct obuf *out, const char *line, size_t len)
{
	proto_reply_bh(out, line, proto_peek_id(line, len), "Request line too long");
}

int
loop_run(const struct backend_ops *ops, void *ctx,
    const struct loop_config *cfg)
{
	char *buf = xmalloc(LOOP_IBUF_SIZE);
	struct obuf out = { 0 };
	size_t have = 0;	/* bytes in buf */
	bool discarding = false; /* inside an over-long line already answered */
	int rc = 0;

	for (;;) {
		ssize_t n;
		size_t start = 0;
		char *lf;

		/* Everything complete is answered: flush before blocking. */
		if (ops->idle != NULL)
			ops->idle(ctx);
		if (flush(cfg, &out) < 0) {
			rc = -1;
			break;
		}
		n = read(cfg->in_fd, buf + have, LOOP_IBUF_SIZE - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("cannot read requests: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0) {
			/* End of input: a last line without LF is still a
			 * request and gets its reply. */
			if (have > 0 && !discarding)
				loop_handle_line(ops, ctx, cfg, buf, have, &out);
			if (flush(cfg, &out) < 0)
				rc = -1;
			break;
		}
		have += (size_t)n;
		if (ops->tick != NULL)
			ops->tick(ctx);

		while ((lf = memchr(buf + start, '\n', have - start)) != NULL) {
			size_t len = (size_t)(lf - (buf + start));

			if (discarding)
				discarding = false;	/* tail already answered */
			else if (len > PROTO_LINE_MAX)
				too_long(&out, buf + start, len);
			else
				loop_handle_line(ops, ctx, cfg, buf + start, len, &out);
			start += len + 1;
			if (out.len >= LOOP_OBUF_FLUSH && flush(cfg, &out) < 0) {
				rc = -1;
				goto done;
			}
		}
		have -= start;
		memmove(buf, buf + start, have);
		if (have > PROTO_LINE_MAX) {
			/* No LF within the limit: answer now, drop the rest of
			 * the line as it arrives so the stream stays in step. */
			if (!discarding)
				too_long(&out, buf, have);
			discarding = true;
			have = 0;
		}
	}
done:
	obuf_free(&out);
	free(buf);
	return rc;
}
