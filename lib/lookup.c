/* lookup.c - one request line: parse it, ask the backend, reply (the
 * protocol is doc/protocol.md).  A synchronous backend answers at once; an
 * asynchronous one gets a slot for the line and answers through
 * loop_async_done(). */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "loop_int.h"
#include "proto.h"
#include "secret.h"

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
void
loop_async_done(void *loopp, unsigned token, enum backend_result res,
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

void
loop_too_long(struct obuf *out, const char *line, size_t len)
{
	proto_reply_bh(out, line, proto_peek_id(line, len), "Request line too long");
}

/* Can another line be taken now?  The next line's channel ID decides
 * whether it may join others in flight. */
bool
loop_can_take(const struct loop *l, const char *line, size_t len)
{
	if (l->ops->start == NULL)
		return true;
	if (l->ordered_pending || l->inflight >= l->nslots)
		return false;
	/* an ID-less line waits until everything before it is answered */
	return l->inflight == 0 || proto_peek_id(line, len) > 0;
}

void
loop_take_line(struct loop *l, const char *line, size_t len)
{
	if (len > PROTO_LINE_MAX)
		loop_too_long(&l->out, line, len);
	else if (l->ops->start != NULL)
		async_line(l, line, len);
	else
		loop_handle_line(l->ops, l->ctx, l->cfg, line, len, &l->out);
}
