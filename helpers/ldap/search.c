/* search.c - a user's search: the attributes it asks for, its base and
 * filter (the user name escaped by lib/ldapesc), and sending it.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ldap_int.h"
#include "ldapesc.h"
#include "log.h"
#include "secret.h"

/* The attribute of "(ATTR=%s)" whose "=%s)" is at p in the pattern f:
 * where ATTR starts, or NULL when p is not preceded by "(ATTR". */
static const char *
attr_before(const char *f, const char *p)
{
	const char *a = p;

	while (a > f && (isalnum((unsigned char)a[-1]) || a[-1] == '-' ||
	    a[-1] == ';' || a[-1] == '.'))
		a--;
	return a > f && a[-1] == '(' && a < p ? a : NULL;
}

/* The attributes a found entry must hold the user name in, exactly: -u
 * ATTR, or each ATTR of "(ATTR=%s)" in a -F pattern.  LDAP matches most
 * naming attributes ignoring case and extra spaces, so "Alice" finds
 * alice's entry; Squid's ACLs compare names exactly, so such a login
 * would pass under another name.  The requested attributes are -A first,
 * then these, then -G: the groups come with the entry, in the same round
 * trip. */
void
lb_search_attrs(struct lb_ctx *x)
{
	const char *f = x->c->filter, *p, *a;
	size_t n = 1;

	x->attrs = xcalloc(strlen(f != NULL ? f : "") / 4 + 4, sizeof(char *));
	x->attrs[0] = xstrdup(x->c->passattr);
	if (x->c->userattr != NULL)
		x->attrs[n++] = xstrdup(x->c->userattr);
	else
		for (p = strstr(f, "=%s)"); p != NULL; p = strstr(p + 1, "=%s)"))
			if ((a = attr_before(f, p)) != NULL)
				x->attrs[n++] = xmemdup0(a, (size_t)(p - a));
	x->nexact = n - 1;
	if (x->c->memberof != NULL)
		x->attrs[n++] = xstrdup(x->c->memberof);
	x->attrs[n] = NULL;
}

void
lb_search_attrs_free(struct lb_ctx *x)
{
	size_t i;

	for (i = 0; x->attrs != NULL && x->attrs[i] != NULL; i++)
		free(x->attrs[i]);
	free(x->attrs);
	x->attrs = NULL;
}

/* How long the helper waits for the answer to a search. */
int
lb_search_wait_s(const struct lb_ctx *x)
{
	return x->c->timelimit > 0 ? x->c->timelimit + LB_SEARCH_GRACE_S :
	    LB_DEFAULT_SEARCH_TIMEOUT_S;
}

static void
append_str(struct obuf *b, const char *s)
{
	obuf_append(b, s, strlen(s));
}

/* The base DN, then the filter, for s in x->scratch, a NUL after each.
 * Returns where the filter starts. */
static size_t
build(struct lb_ctx *x, const struct lb_search *s)
{
	const struct lb_conf *c = x->c;
	const char *user = s->user + s->search_off;
	size_t ulen = s->user_len - s->search_off, filter_off;
	struct obuf *b = &x->scratch;

	b->len = 0;
	if (c->userattr != NULL && c->scope == LDAP_SCOPE_BASE) {
		/* -u with -s base: read the entry attr=USER,basedn */
		append_str(b, c->userattr);
		obuf_append(b, "=", 1);
		ldapesc_dn(b, user, ulen);
		obuf_append(b, ",", 1);
	}
	append_str(b, c->basedn);
	obuf_append(b, "", 1);
	filter_off = b->len;
	if (c->filter != NULL) {
		ldapesc_pattern(b, c->filter, user, ulen);
	} else if (c->scope == LDAP_SCOPE_BASE) {
		obuf_append(b, "(objectClass=*)", 16);
	} else {
		obuf_append(b, "(", 1);
		append_str(b, c->userattr);
		obuf_append(b, "=", 1);
		ldapesc_filter(b, user, ulen);
		obuf_append(b, ")", 2);
	}
	return filter_off;
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
	s->deadline_ms = lb_now_ms() + 1000LL * lb_search_wait_s(x);
	return 0;
}

/* Build base and filter for s and send the user's search. */
int
lb_search_send(struct lb_ctx *x, struct lb_search *s, const char **err_r)
{
	size_t filter_off = build(x, s);

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
