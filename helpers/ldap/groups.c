/* groups.c - the user's groups, as group="..." annotations on OK
 * (lib/notes.h; digest_ldap_auth(8), GROUPS).
 *
 * With -G ATTR they are the values of ATTR of the user's entry, which the
 * user's search asks for (no extra round trip); with --group-rdn a value
 * that is a DN gives the value of its first RDN.  With the group search
 * (gsearch.c) they are the --group-attr values of each group found.
 *
 * The values are gathered first, then given in byte order, each once: the
 * directory returns them in no set order, and so past the limits of
 * notes.h the same groups are kept whichever replica answered.  What is
 * cut is said in one line per reply.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ldap_int.h"
#include "log.h"
#include "secret.h"

void
lb_groups_reset(struct lb_ctx *x)
{
	x->groups.buf.len = 0;
	x->groups.n = 0;
}

void
lb_groups_free(struct lb_ctx *x)
{
	obuf_free(&x->groups.buf);
	free(x->groups.v);
	x->groups.v = NULL;
	x->groups.n = x->groups.cap = 0;
}

static void
push(struct lb_groups *g, const char *p, size_t len)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
	}
	g->v[g->n++] = (struct lb_gval){ .off = g->buf.len, .len = len };
	obuf_append(&g->buf, p, len);
}

/* The value of the first attribute of the first RDN of the DN v, as
 * libldap's DN parser unescapes it: "staff" for
 * cn=staff,ou=groups,dc=example,dc=org.  False when v is not a DN (or is
 * the empty DN).  *dn_r is for ldap_dnfree in either case. */
static bool
rdn_value(struct berval *v, LDAPDN *dn_r, struct berval *val_r)
{
	*dn_r = NULL;
	if (ldap_bv2dn(v, dn_r, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    *dn_r == NULL || (*dn_r)[0] == NULL || (*dn_r)[0][0] == NULL)
		return false;
	*val_r = (*dn_r)[0][0]->la_value;
	return true;
}

/* Each value in vals is a group (rdn: each DN value's RDN value), taken
 * for the reply being made.  Empty values are no group. */
void
lb_groups_add(struct lb_ctx *x, struct berval **vals, bool rdn)
{
	int i;

	for (i = 0; vals != NULL && vals[i] != NULL; i++) {
		struct berval g = *vals[i];
		LDAPDN dn = NULL;

		if (rdn && !rdn_value(vals[i], &dn, &g)) {
			if (!x->notdn_logged)
				log_warn("a value of %s is not a DN: no group for it (--group-rdn)",
				    x->c->memberof);
			x->notdn_logged = true;
		} else if (g.bv_len > 0) {
			push(&x->groups, g.bv_val, g.bv_len);
		}
		ldap_dnfree(dn);
	}
}

static int
cmp_gval(const void *a, const void *b)
{
	const struct lb_gval *u = a, *v = b;
	int c = memcmp(u->p, v->p, u->len < v->len ? u->len : v->len);

	return c != 0 ? c : (u->len > v->len) - (u->len < v->len);
}

/* The groups taken, in byte order and each once, into nt. */
void
lb_groups_emit(struct lb_ctx *x, struct notes *nt)
{
	struct lb_groups *g = &x->groups;
	size_t i;

	for (i = 0; i < g->n; i++)
		g->v[i].p = g->buf.p + g->v[i].off;
	if (g->n > 1)
		qsort(g->v, g->n, sizeof(*g->v), cmp_gval);
	for (i = 0; i < g->n; i++)
		if (i == 0 || cmp_gval(&g->v[i - 1], &g->v[i]) != 0)
			(void)notes_add(nt, "group", 5, g->v[i].p, g->v[i].len);
	lb_groups_reset(x);
}

/* The user's search found s's user, HA1 in a.  With -G, the groups from
 * the entry e; with the group search, e's DN kept in s for it.  Returns
 * BACKEND_FOUND, or BACKEND_FAIL (HA1 wiped, a->err set). */
enum backend_result
lb_user_found(struct lb_ctx *x, struct lb_search *s, LDAPMessage *e,
    struct backend_answer *a)
{
	const struct lb_conf *c = x->c;
	char *dn;

	if (c->memberof != NULL && a->notes != NULL) {
		struct berval **v = ldap_get_values_len(x->conn.ld, e, c->memberof);

		lb_groups_reset(x);
		lb_groups_add(x, v, c->group_rdn);
		ldap_value_free_len(v);
		lb_groups_emit(x, a->notes);
	}
	if (!lb_group_search_on(c))
		return BACKEND_FOUND;
	if ((dn = ldap_get_dn(x->conn.ld, e)) == NULL) {
		log_error("the LDAP server sent a user's entry without its DN");
		secret_wipe(a->ha1, sizeof(a->ha1));
		a->err = "LDAP search failed";
		return BACKEND_FAIL;
	}
	free(s->dn);
	s->dn = xstrdup(dn);
	ldap_memfree(dn);
	return BACKEND_FOUND;
}

/* Groups the reply could not carry: one line per reply, naming the user
 * (never a group: it may be anything), worded as the loop's for the
 * synchronous helpers. */
void
lb_groups_log_dropped(const struct lb_search *s, const struct notes *nt)
{
	char u[128];

	if (nt == NULL || (nt->dropped_bad == 0 && nt->dropped_limit == 0))
		return;
	log_warn("user \"%s\": %u annotations dropped (%u with a line break, a NUL or a key Squid does not take; %u past the limit of %d pairs or %d bytes)",
	    log_sanitize(s->user, s->user_len, u, sizeof(u)),
	    nt->dropped_bad + nt->dropped_limit, nt->dropped_bad,
	    nt->dropped_limit, NOTES_MAX, NOTES_BYTES_MAX);
}
