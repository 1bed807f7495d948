/* session.c - the options and the bind of one LDAP session, the same for
 * the helper's connection (conn.c) and digest_passwd --ldap's: both talk
 * to the directory as digest_ldap_auth(8)'s options say.
 */
#include "config.h"

#include <string.h>
#include <sys/time.h>

#include "ldap_int.h"

void
lb_session_options(LDAP *ld, const struct lb_conf *c)
{
	struct timeval tv = { .tv_sec = c->connect_timeout };
	int on = 1;

	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &c->version);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_DEREF, &c->deref);
	ldap_set_option(ld, LDAP_OPT_REFERRALS,
	    c->no_referrals ? LDAP_OPT_OFF : LDAP_OPT_ON);
	ldap_set_option(ld, LDAP_OPT_RESTART, &on);
	if (c->timelimit > 0)
		ldap_set_option(ld, LDAP_OPT_TIMELIMIT, &c->timelimit);
}

/* A bind, anonymous without a DN, opens the connection now rather than
 * at the first operation, so a dead server is found here. */
int
lb_session_bind(LDAP *ld, const char *dn, const char *secret)
{
	struct berval cred = { 0, NULL };

	if (dn != NULL && secret != NULL) {
		cred.bv_val = (char *)secret;
		cred.bv_len = strlen(secret);
	}
	return ldap_sasl_bind_s(ld, dn != NULL ? dn : "", LDAP_SASL_SIMPLE,
	    &cred, NULL, NULL, NULL);
}
