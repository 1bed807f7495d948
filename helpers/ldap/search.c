/* search.c - a user's search: the attributes it asks for, its base and
 * filter (the user name escaped by lib/ldapesc), and sending it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ldap_int.h"
#include "ldapesc.h"
#include "log.h"
#include "secret.h"

/* The attributes the user's search asks for (query.c), kept for every
 * search of the helper. */
void
lb_search_attrs(struct lb_ctx *x)
{
	x->attrs = lb_query_attrs(x->c, &x->nexact);
}

void
lb_search_attrs_free(struct lb_ctx *x)
{
	lb_query_attrs_free(x->attrs);
	x->attrs = NULL;
}

static void
debug_search(const struct lb_ctx *x, size_t filter_off)
{
	const char *base = x->scratch.p, *filter = base + filter_off;
	char b[256], f[256];

	if (!log_debug_enabled())
		return;
	log_debug("search base \"%s\" filter \"%s\"",
	    log_sanitize(base, filter_off - 1, b, sizeof(b)),
	    log_sanitize(filter, strlen(filter), f, sizeof(f)));
}

/* Send a search of s (the user's or the group search) on the connection,
 * writes held for the batch.  Returns 0, or -1 with *err_r set (the
 * connection is dropped when it is the cause). */
int
lb_search_ext(struct lb_ctx *x, struct lb_search *s, const char *base,
    int scope, const char *filter, char **attrs, int sizelimit,
    const char **err_r)
{
	const struct lb_conf *c = x->c;
	struct timeval tv = { .tv_sec = c->timelimit };
	bool g = s->phase == LB_PHASE_GROUPS;
	int rc, msgid;

	x->wl.hold = true;
	rc = ldap_search_ext(x->conn.ld, base, scope, filter, attrs, 0, NULL,
	    NULL, c->timelimit > 0 ? &tv : NULL, sizelimit, &msgid);
	x->wl.hold = false;
	if (rc != LDAP_SUCCESS) {
		if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR) {
			lb_conn_lost(x, rc);
			*err_r = "LDAP server unreachable";
		} else {
			log_error("LDAP %s could not be sent: %s",
			    g ? "group search" : "search", ldap_err2string(rc));
			*err_r = g ? "LDAP group search failed" : "LDAP search failed";
		}
		return -1;
	}
	s->msgid = msgid;
	s->gen = x->conn.gen;
	s->deadline_ms = lb_now_ms() + 1000LL * lb_search_wait_s(x->c);
	return 0;
}

/* Build base and filter for s and send the user's search. */
int
lb_search_send(struct lb_ctx *x, struct lb_search *s, const char **err_r)
{
	size_t filter_off = lb_query_build(x->c, &x->scratch,
	    s->user + s->search_off, s->user_len - s->search_off);

	debug_search(x, filter_off);
	/* size limit 2: a second entry is enough to call the user ambiguous */
	return lb_search_ext(x, s, x->scratch.p, x->c->scope,
	    x->scratch.p + filter_off, x->attrs, 2, err_r);
}

int
lb_send(struct lb_ctx *x, struct lb_search *s, const char **err_r)
{
	return s->phase == LB_PHASE_GROUPS ? lb_group_send(x, s, err_r) :
	    lb_search_send(x, s, err_r);
}
