/* gsearch.c - the group search (--group-base, --group-filter): once the
 * user's entry is found, the groups are searched for on the same
 * connection, and the lookup is answered when that search is done too
 * (digest_ldap_auth(8), GROUPS).  In the filter %D is the user's DN and
 * %s the user name, both escaped as RFC 4515 assertion values
 * (lib/ldapesc), so neither can change the filter or act as a wildcard.
 *
 * The lookup keeps its slot in the table of lookups in flight all along
 * (inflight.c): its time-out, its one re-send after a lost connection and
 * its BH are those of any search.  A group search that fails or times out
 * is BH, never an OK without the groups.
 */
#include "config.h"

#include <string.h>

#include "ldap_int.h"
#include "ldapesc.h"
#include "log.h"
#include "secret.h"

/* The filter for s in x->scratch, NUL-terminated: the pattern (checked at
 * start-up) with %D and %s replaced by the escaped values. */
static void
build(struct lb_ctx *x, const struct lb_search *s)
{
	const char *p = x->c->group_filter, *q;
	struct obuf *b = &x->scratch;

	b->len = 0;
	while ((q = strchr(p, '%')) != NULL) {
		obuf_append(b, p, (size_t)(q - p));
		if (q[1] == 'D')
			ldapesc_filter(b, s->dn, strlen(s->dn));
		else if (q[1] == 's')
			ldapesc_filter(b, s->user + s->search_off,
			    s->user_len - s->search_off);
		else
			obuf_append(b, "%", 1);
		p = q + 2;
	}
	obuf_append(b, p, strlen(p) + 1);
}

static void
debug_gsearch(const struct lb_ctx *x)
{
	const char *base = x->c->group_base, *filter = x->scratch.p;
	char b[256], f[256];

	if (!log_debug_enabled())
		return;
	log_debug("group search base \"%s\" filter \"%s\"",
	    log_sanitize(base, strlen(base), b, sizeof(b)),
	    log_sanitize(filter, strlen(filter), f, sizeof(f)));
}

/* Send the group search of s (phase LB_PHASE_GROUPS, dn set): subtree
 * under --group-base, no size limit of ours. */
int
lb_group_send(struct lb_ctx *x, struct lb_search *s, const char **err_r)
{
	build(x, s);
	debug_gsearch(x);
	return lb_search_ext(x, s, x->c->group_base, LDAP_SCOPE_SUBTREE,
	    x->scratch.p, x->gattrs, 0, err_r);
}

/* The user's search found s's user (HA1 in a, DN in s->dn): keep the HA1
 * in the slot and send the group search.  BACKEND_PENDING, also when the
 * connection was found dead on the way (the search is then re-sent on
 * the next one, as any other in flight), or BACKEND_FAIL with a->err. */
enum backend_result
lb_group_start(struct lb_ctx *x, struct lb_search *s, struct backend_answer *a)
{
	memcpy(s->ha1, a->ha1, sizeof(s->ha1));
	secret_wipe(a->ha1, sizeof(a->ha1));
	s->phase = LB_PHASE_GROUPS;
	s->state = LB_SEARCH_SENT;
	if (lb_group_send(x, s, &a->err) == 0 || !lb_connected(x))
		return BACKEND_PENDING;
	return BACKEND_FAIL;
}

/* The group search ended with an error: BH, with a log line. */
static enum backend_result
group_error(struct lb_ctx *x, int err, struct backend_answer *a)
{
	if (err == LDAP_NO_SUCH_OBJECT) {
		if (!x->nogbase_logged)
			log_error("the group search base %s does not exist in the directory (check --group-base); answering BH",
			    x->c->group_base);
		x->nogbase_logged = true;
		a->err = "LDAP group search base missing";
		return BACKEND_FAIL;
	}
	lb_log_search_error(x, "group search", err);
	a->err = err == LDAP_TIMELIMIT_EXCEEDED ? "LDAP group search timed out" :
	    "LDAP group search failed";
	return BACKEND_FAIL;
}

/* The verdict for s's finished group search (res): OK with the HA1 kept
 * and the --group-attr values of the groups found (none: OK without
 * groups), or BH.  A result cut short by the server's size limit is BH:
 * groups would be missing. */
enum backend_result
lb_group_judge(struct lb_ctx *x, struct lb_search *s, LDAPMessage *res,
    struct backend_answer *a)
{
	LDAP *ld = x->conn.ld;
	LDAPMessage *e;
	int err = LDAP_OTHER;

	if (ldap_parse_result(ld, res, &err, NULL, NULL, NULL, NULL, 0) !=
	    LDAP_SUCCESS)
		err = LDAP_OTHER;
	if (err != LDAP_SUCCESS &&
	    !(err == LDAP_REFERRAL && x->c->no_referrals))
		return group_error(x, err, a);
	lb_groups_reset(x);
	for (e = ldap_first_entry(ld, res); e != NULL;
	    e = ldap_next_entry(ld, e)) {
		struct berval **v = ldap_get_values_len(ld, e, x->gattrs[0]);

		lb_groups_add(x, v, false);
		ldap_value_free_len(v);
	}
	if (a->notes != NULL)
		lb_groups_emit(x, a->notes);
	memcpy(a->ha1, s->ha1, sizeof(a->ha1));
	return BACKEND_FOUND;
}
