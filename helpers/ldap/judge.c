/* judge.c - the verdict of a finished search.
 *
 * What an entry's password attribute (-A) holds:
 *   with a delimiter (-l, default ':'):  REALM<delim>SECRET, one value per
 *                                       realm; the value for the
 *                                       requested realm is used
 *   with -l '' (then -r is required):   SECRET alone, for the -r realm
 * SECRET is an HA1 with -e, else the plaintext password.
 */
#include "config.h"

#include <string.h>

#include "ldap_int.h"
#include "log.h"
#include "secret.h"

/* The HA1 from the secret: as stored (-e), or computed. */
static enum backend_result
secret_ha1(const struct lb_ctx *x, const struct lb_search *s,
    struct digest_str secret, struct backend_answer *a)
{
	const struct digest_str none = { NULL, 0 };

	if (x->c->ha1) {
		if (digest_is_hex(s->alg, secret.p, secret.n)) {
			digest_hex_lower(secret.p, secret.n, a->ha1);
			return BACKEND_FOUND;
		}
		log_error("the LDAP attribute %s of a user is not a %zu-digit HA1",
		    x->c->passattr, 2 * s->alg->len);
		a->err = "Stored HA1 is malformed";
		return BACKEND_FAIL;
	}
	if (digest_ha1(s->alg, (struct digest_str){ s->user, s->user_len },
	    (struct digest_str){ s->realm, s->realm_len }, secret, none, none,
	    a->ha1) == 0)
		return BACKEND_FOUND;
	a->err = "Hash computation failed";
	return BACKEND_FAIL;
}

/* The one entry found is the user's: its secret for the realm. */
static enum backend_result
entry_ha1(struct lb_ctx *x, const struct lb_search *s, LDAPMessage *e,
    struct backend_answer *a)
{
	struct berval **vals = ldap_get_values_len(x->conn.ld, e, x->c->passattr);
	enum backend_result v = BACKEND_NOT_FOUND;
	struct digest_str secret;

	if (lb_query_pick(x->c, s->realm, s->realm_len, vals, &secret) >= 0)
		v = secret_ha1(x, s, secret, a);
	lb_query_wipe_values(vals);
	return v;
}

/* "LDAP search failed: ...", what being "search" or "group search";
 * once a minute per error, or clients could fill the log. */
void
lb_log_search_error(struct lb_ctx *x, const char *what, int err)
{
	long long t = lb_now_ms();

	if (err != x->last_err || t - x->last_err_ms > 60000)
		log_error("LDAP %s failed: %s", what, ldap_err2string(err));
	x->last_err = err;
	x->last_err_ms = t;
}

/* An error the server answered with: the verdict, or false when the
 * entries decide (none, or a result that still holds them). */
static bool
judge_error(struct lb_ctx *x, int err, enum backend_result *v_r,
    struct backend_answer *a)
{
	const struct lb_conf *c = x->c;

	if ((err == LDAP_NO_SUCH_OBJECT || err == LDAP_INVALID_DN_SYNTAX) &&
	    c->userattr != NULL && c->scope == LDAP_SCOPE_BASE) {
		*v_r = BACKEND_NOT_FOUND;	/* no entry ATTR=USER,BASEDN */
		return true;
	}
	if (err == LDAP_NO_SUCH_OBJECT) {
		/* the search base itself is missing: nobody can be found,
		 * which says nothing about this user */
		if (!x->nobase_logged)
			log_error("the search base %s does not exist in the directory (check -b); answering BH",
			    c->basedn);
		x->nobase_logged = true;
		a->err = "LDAP search base missing";
		*v_r = BACKEND_FAIL;
		return true;
	}
	if (err == LDAP_SUCCESS || err == LDAP_SIZELIMIT_EXCEEDED ||
	    (err == LDAP_REFERRAL && c->no_referrals))
		return false;
	lb_log_search_error(x, "search", err);
	a->err = err == LDAP_TIMELIMIT_EXCEEDED ? "LDAP search timed out" :
	    "LDAP search failed";
	*v_r = BACKEND_FAIL;
	return true;
}

/* The verdict for one finished user's search (res), the HA1 (and with
 * -G the groups) or the BH reason in a. */
enum backend_result
lb_judge(struct lb_ctx *x, struct lb_search *s, LDAPMessage *res,
    struct backend_answer *a)
{
	LDAPMessage *e;
	enum backend_result v;
	int err = LDAP_OTHER, n;

	if (ldap_parse_result(x->conn.ld, res, &err, NULL, NULL, NULL, NULL, 0) !=
	    LDAP_SUCCESS)
		err = LDAP_OTHER;
	n = ldap_count_entries(x->conn.ld, res);
	if (judge_error(x, err, &v, a))
		return v;
	if (n > 1 || err == LDAP_SIZELIMIT_EXCEEDED) {
		char u[128];

		log_error("more than one LDAP entry matches user \"%s\"; answering ERR (fix the filter or the directory)",
		    log_sanitize(s->user, s->user_len, u, sizeof(u)));
		return BACKEND_NOT_FOUND;
	}
	if (n != 1 || (e = ldap_first_entry(x->conn.ld, res)) == NULL)
		return BACKEND_NOT_FOUND;
	if (!lb_query_name_matches(x->conn.ld, e, x->attrs, x->nexact,
	    s->user + s->search_off, s->user_len - s->search_off)) {
		log_debug("the entry found holds the name with other case or spacing: not this user");
		return BACKEND_NOT_FOUND;
	}
	v = entry_ha1(x, s, e, a);
	return v == BACKEND_FOUND ? lb_user_found(x, s, e, a) : v;
}
