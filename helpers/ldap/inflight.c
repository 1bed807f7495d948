/* inflight.c - the table of lookups in flight: up to -j lookups run at
 * once on the connection, and each reply goes out as its lookup
 * completes: when the user's search is done, or with --group-filter when
 * the group search that follows it is (gsearch.c).  A search whose
 * connection was lost is sent once more on the next one; one past its
 * time answers BH.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ldap_int.h"
#include "log.h"
#include "secret.h"

/* s was sent on the connection now open (its replies can still come). */
bool
lb_on_current(const struct lb_ctx *x, const struct lb_search *s)
{
	return lb_connected(x) && s->gen == x->conn.gen;
}

unsigned
lb_count_current(const struct lb_ctx *x)
{
	unsigned i, n = 0;

	for (i = 0; i < x->ns; i++)
		n += x->s[i].state != LB_SEARCH_FREE && lb_on_current(x, &x->s[i]);
	return n;
}

static void
search_clear(struct lb_search *s)
{
	free(s->user);
	free(s->realm);
	free(s->dn);
	secret_wipe(s->ha1, sizeof(s->ha1));
	memset(s, 0, sizeof(*s));
}

void
lb_table_free(struct lb_ctx *x)
{
	unsigned i;

	for (i = 0; i < x->ns; i++)
		search_clear(&x->s[i]);
	free(x->s);
	x->s = NULL;
	x->ns = 0;
}

static struct lb_search *
free_slot(struct lb_ctx *x)
{
	unsigned i;

	for (i = 0; i < x->ns; i++)
		if (x->s[i].state == LB_SEARCH_FREE)
			return &x->s[i];
	return NULL;
}

/* The search a message of the connection in use answers, if any. */
static struct lb_search *
find_search(struct lb_ctx *x, int msgid)
{
	unsigned i;

	for (i = 0; i < x->ns; i++)
		if (x->s[i].state != LB_SEARCH_FREE &&
		    x->s[i].gen == x->conn.gen && x->s[i].msgid == msgid)
			return &x->s[i];
	return NULL;
}

/* The lookup as a search in slot s: with -S, the name after DOMAIN\ is
 * searched for, but the HA1 is hashed with the name as sent, since the
 * client's digest is computed with it. */
static void
search_fill(struct lb_search *s, const struct lb_conf *c,
    const struct backend_query *q, unsigned token)
{
	const char *bs = c->strip_domain ?
	    memchr(q->user, '\\', q->user_len) : NULL;

	s->user = xmemdup0(q->user, q->user_len);
	s->user_len = q->user_len;
	s->search_off = bs != NULL ? (size_t)(bs + 1 - q->user) : 0;
	s->realm = xmemdup0(q->realm, q->realm_len);
	s->realm_len = q->realm_len;
	s->alg = q->alg;
	s->token = token;
}

enum backend_result
lb_start(void *ctx, const struct backend_query *q, unsigned token,
    struct backend_answer *a)
{
	struct lb_ctx *x = ctx;
	const char *realm = x->c->realm;
	struct lb_search *s;

	/* -r: only that realm is looked up (Squid's meaning) */
	if (realm != NULL && (strlen(realm) != q->realm_len ||
	    memcmp(realm, q->realm, q->realm_len) != 0))
		return BACKEND_NOT_FOUND;
	if ((s = free_slot(x)) == NULL) {
		a->err = "Too many lookups in flight";
		return BACKEND_FAIL;
	}
	if (!lb_conn_ensure(x)) {
		a->err = x->conn.down_why != NULL ? x->conn.down_why :
		    "LDAP server unreachable";
		return BACKEND_FAIL;
	}
	search_fill(s, x->c, q, token);
	if (lb_search_send(x, s, &a->err) < 0 &&
	    /* the connection was found dead: one fresh attempt, back-off
	     * permitting */
	    (lb_connected(x) || !lb_conn_ensure(x) ||
	    lb_search_send(x, s, &a->err) < 0)) {
		search_clear(s);
		return BACKEND_FAIL;
	}
	s->state = LB_SEARCH_SENT;
	return BACKEND_PENDING;
}

static void
answer_fail(backend_done_fn *done, void *loop, unsigned token,
    const char *why)
{
	struct backend_answer a = { .ha1 = "", .notes = NULL, .err = why };

	done(loop, token, BACKEND_FAIL, &a);
}

/* The connection broke with searches in flight: each is sent once more on
 * a fresh connection (a server that closed an idle connection, or a
 * fail-over), or answered BH. */
static void
resend_or_fail(struct lb_ctx *x, backend_done_fn *done, void *loop)
{
	const char *why = "LDAP server unreachable";
	bool tried = false;
	unsigned i;

	for (i = 0; i < x->ns; i++) {
		struct lb_search *s = &x->s[i];

		if (s->state == LB_SEARCH_FREE || lb_on_current(x, s))
			continue;
		if (s->state == LB_SEARCH_SENT && !tried && !lb_connected(x)) {
			tried = true;
			(void)lb_conn_ensure(x);
		}
		if (s->state == LB_SEARCH_SENT && lb_connected(x) &&
		    lb_send(x, s, &why) == 0) {
			s->state = LB_SEARCH_RESENT;
			continue;
		}
		answer_fail(done, loop, s->token, why);
		search_clear(s);
	}
}

/* Searches past their time are answered BH.  When the server has not
 * answered anything on the connection in use for that long either, it
 * hangs (its own time limit, -t, would have come back as an answer
 * first): fail over, and send the searches still waiting on it once more
 * on the next server.  A server that answers other searches is only slow
 * with this one, which is abandoned. */
static void
expire_searches(struct lb_ctx *x, backend_done_fn *done, void *loop)
{
	long long now = lb_now_ms(), wait_ms = 1000LL * lb_search_wait_s(x->c);
	bool hung = false;
	unsigned i;

	for (i = 0; i < x->ns; i++) {
		struct lb_search *s = &x->s[i];
		const char *why = s->phase == LB_PHASE_GROUPS ?
		    "LDAP group search timed out" : "LDAP search timed out";

		if (s->state == LB_SEARCH_FREE || s->deadline_ms > now)
			continue;
		if (lb_on_current(x, s)) {
			if (now - x->conn.heard_ms >= wait_ms)
				hung = true;
			else
				ldap_abandon_ext(x->conn.ld, s->msgid, NULL, NULL);
		}
		log_error("%s", why);
		answer_fail(done, loop, s->token, why);
		search_clear(s);
	}
	if (hung) {
		lb_conn_hung(x, lb_search_wait_s(x->c));
		resend_or_fail(x, done, loop);
	}
}

/* The search of s finished with res: answer its lookup, or when the
 * user's search found the user and the group search is to follow, send
 * that and keep waiting. */
static void
search_done(struct lb_ctx *x, struct lb_search *s, LDAPMessage *res,
    backend_done_fn *done, void *loop)
{
	struct backend_answer a = { .ha1 = "", .notes = &x->notes, .err = NULL };
	enum backend_result v;

	notes_reset(&x->notes);
	if (s->phase == LB_PHASE_GROUPS) {
		v = lb_group_judge(x, s, res, &a);
	} else {
		v = lb_judge(x, s, res, &a);
		if (v == BACKEND_FOUND && lb_group_search_on(x->c))
			v = lb_group_start(x, s, &a);
	}
	if (v == BACKEND_PENDING)
		return;
	if (v == BACKEND_FOUND)
		lb_groups_log_dropped(s, a.notes);
	done(loop, s->token, v, &a);
	secret_wipe(a.ha1, sizeof(a.ha1));
	search_clear(s);
}

/* Take the message libldap has ready, if any, and go on with its lookup.
 * Returns whether to look for another. */
static bool
take_result(struct lb_ctx *x, backend_done_fn *done, void *loop)
{
	struct timeval zero = { 0, 0 };
	LDAPMessage *res = NULL;
	struct lb_search *s;
	int rc = ldap_result(x->conn.ld, LDAP_RES_ANY, LDAP_MSG_ALL, &zero, &res);

	if (rc == 0)
		return false;
	if (rc < 0) {
		int err = LDAP_SERVER_DOWN;

		ldap_get_option(x->conn.ld, LDAP_OPT_RESULT_CODE, &err);
		ldap_msgfree(res);
		lb_conn_lost(x, err);
		resend_or_fail(x, done, loop);
		return true;
	}
	x->conn.heard_ms = lb_now_ms();
	s = find_search(x, ldap_msgid(res));
	if (s == NULL || rc != LDAP_RES_SEARCH_RESULT) {
		ldap_msgfree(res);	/* abandoned or unexpected */
		return true;
	}
	search_done(x, s, res, done, loop);
	ldap_msgfree(res);
	/* Nothing more buffered: stop rather than let libldap poll the
	 * socket again (a reply that came meanwhile wakes the loop's poll).
	 * libldap returns each search result as soon as it has read it, so
	 * none is left queued in it. */
	return lb_wlayer_maybe_buffered(x);
}

void
lb_dispatch(void *ctx, backend_done_fn *done, void *loop)
{
	struct lb_ctx *x = ctx;

	if (x->conn.state == LB_CONN_BROKEN)
		lb_conn_lost(x, LDAP_SERVER_DOWN);
	resend_or_fail(x, done, loop);
	while (lb_connected(x) && take_result(x, done, loop))
		;
	expire_searches(x, done, loop);
}
