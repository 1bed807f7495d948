/* passwd_ldap_conn.c - digest_passwd --ldap: the connection and bind
 * (helpers/ldap/session.c, as the helper sets them up), finding the
 * user's entry with the helper's own search (helpers/ldap/query.c), and
 * messages with the LDAP result text.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "log.h"
#include "passwd_ldap_int.h"
#include "secret.h"

void
ldpw_error(const struct ldpw *l, const char *what, int rc)
{
	char *diag = NULL, shown[256];

	if (l->ld != NULL)
		ldap_get_option(l->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	if (diag != NULL && *diag != '\0')
		log_error("%s: %s: %s", what, ldap_err2string(rc),
		    log_sanitize(diag, strlen(diag), shown, sizeof(shown)));
	else
		log_error("%s: %s", what, ldap_err2string(rc));
	ldap_memfree(diag);
}

int
ldpw_connect(struct ldpw *l, unsigned i)
{
	char what[1024];
	int rc;

	l->cur = i;
	if ((rc = ldap_initialize(&l->ld, l->uri[i])) != LDAP_SUCCESS) {
		l->ld = NULL;
		log_error("LDAP %s: %s", l->uri[i], ldap_err2string(rc));
		return -1;
	}
	lb_session_options(l->ld, l->c);
	/* a referral on a write is another server's business: libldap would
	 * chase it anonymously; the next server of the list is tried instead */
	ldap_set_option(l->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	l->bound = NULL;
	if (l->c->tls && (rc = ldap_start_tls_s(l->ld, NULL, NULL)) != LDAP_SUCCESS) {
		snprintf(what, sizeof(what), "LDAP StartTLS with %s", l->uri[i]);
		ldpw_error(l, what, rc);
	} else if (ldpw_bind(l, &l->reader) == 0) {
		return 0;
	}
	ldpw_disconnect(l);
	return -1;
}

/* The same identity: no new bind needed. */
static bool
same_who(const struct ldpw_who *a, const struct ldpw_who *b)
{
	if (a == b)
		return true;
	if (a == NULL || (a->dn == NULL) != (b->dn == NULL) ||
	    (a->secret == NULL) != (b->secret == NULL))
		return false;
	return (a->dn == NULL || strcmp(a->dn, b->dn) == 0) &&
	    (a->secret == NULL || strcmp(a->secret, b->secret) == 0);
}

int
ldpw_bind(struct ldpw *l, const struct ldpw_who *who)
{
	char what[1024];
	int rc;

	if (same_who(l->bound, who))
		return 0;
	l->bound = NULL;
	if ((rc = lb_session_bind(l->ld, who->dn, who->secret)) != LDAP_SUCCESS) {
		snprintf(what, sizeof(what), "LDAP bind to %s as %s",
		    l->uri[l->cur], who->dn != NULL ? who->dn : "anonymous");
		ldpw_error(l, what, rc);
		return rc;
	}
	l->bound = who;
	return 0;
}

int
ldpw_connect_any(struct ldpw *l)
{
	unsigned i;

	for (i = 0; i < l->nuri; i++)
		if (ldpw_connect(l, i) == 0)
			return 0;
	return -1;
}

void
ldpw_disconnect(struct ldpw *l)
{
	if (l->ld != NULL)
		ldap_unbind_ext(l->ld, NULL, NULL);
	l->ld = NULL;
}

/* The name searched for: after DOMAIN\ with -S, as the helper does. */
static size_t
search_off(const struct ldpw *l, const char *user)
{
	const char *bs = l->c->strip_domain ? strchr(user, '\\') : NULL;

	return bs != NULL ? (size_t)(bs + 1 - user) : 0;
}

/* The search's outcome when the server refused it: -1 (error, logged),
 * 0 (nobody: -u with -s base and no such entry), or 1 (the entries
 * decide). */
static int
search_refused(const struct ldpw *l, int rc, const char *user)
{
	const struct lb_conf *c = l->c;
	char what[PASSWD_SHOW_SIZE + 64], su[PASSWD_SHOW_SIZE];

	if ((rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_INVALID_DN_SYNTAX) &&
	    c->userattr != NULL && c->scope == LDAP_SCOPE_BASE)
		return 0;
	if (rc == LDAP_NO_SUCH_OBJECT) {
		log_error("the search base %s does not exist in the directory (check -b)",
		    c->basedn);
		return -1;
	}
	if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED ||
	    (rc == LDAP_REFERRAL && c->no_referrals))
		return 1;
	snprintf(what, sizeof(what), "LDAP search for user %s",
	    passwd_show(user, su));
	ldpw_error(l, what, rc);
	return -1;
}

/* The one entry of res, or NULL (not found or ambiguous, logged). */
static LDAPMessage *
only_entry(const struct ldpw *l, LDAPMessage *res, int rc, const char *user)
{
	char su[PASSWD_SHOW_SIZE];
	size_t off = search_off(l, user);
	LDAPMessage *e;
	int n = ldap_count_entries(l->ld, res);

	passwd_show(user, su);
	if (n > 1 || rc == LDAP_SIZELIMIT_EXCEEDED) {
		log_error("more than one LDAP entry matches user %s: nothing done (fix the filter or the directory)",
		    su);
		return NULL;
	}
	e = n == 1 ? ldap_first_entry(l->ld, res) : NULL;
	if (e != NULL && !lb_query_name_matches(l->ld, e, l->attrs, l->nexact,
	    user + off, strlen(user) - off))
		e = NULL;	/* the name with other case or spacing */
	if (e == NULL)
		log_error("user %s not found in the directory (digest_passwd does not create entries)",
		    su);
	return e;
}

int
ldpw_find(struct ldpw *l, const struct passwd_req *req, struct ldpw_entry *e)
{
	struct timeval tv = { .tv_sec = lb_search_wait_s(l->c) };
	size_t off = search_off(l, req->user), foff;
	LDAPMessage *res = NULL, *m;
	int rc, v;

	*e = (struct ldpw_entry){ NULL, NULL };
	foff = lb_query_build(l->c, &l->scratch, req->user + off,
	    strlen(req->user) - off);
	/* size limit 2: a second entry is enough to call the user ambiguous */
	rc = ldap_search_ext_s(l->ld, l->scratch.p, l->c->scope,
	    l->scratch.p + foff, l->attrs, 0, NULL, NULL, &tv, 2, &res);
	if ((v = search_refused(l, rc, req->user)) == 1) {
		v = 0;
		if ((m = only_entry(l, res, rc, req->user)) != NULL) {
			e->dn = ldap_get_dn(l->ld, m);
			e->vals = ldap_get_values_len(l->ld, m, l->c->passattr);
			v = 1;
			if (e->dn == NULL) {
				log_error("LDAP: the entry found has no DN");
				ldpw_entry_free(e);
				v = -1;
			}
		}
	} else if (v == 0) {
		char su[PASSWD_SHOW_SIZE];

		log_error("user %s not found in the directory (digest_passwd does not create entries)",
		    passwd_show(req->user, su));
	}
	ldap_msgfree(res);
	return v;
}

void
ldpw_entry_free(struct ldpw_entry *e)
{
	lb_query_wipe_values(e->vals);
	ldap_memfree(e->dn);
	*e = (struct ldpw_entry){ NULL, NULL };
}
