/* passwd_ldap.h - digest_passwd on the directory of digest_ldap_auth
 * (--ldap 'HELPER-ARGS').
 *
 * HELPER-ARGS is the argument string of digest_ldap_auth in squid.conf;
 * the tool parses it with the helper's own option code and finds and
 * reads entries with the helper's own search code (helpers/ldap/), so
 * the two cannot disagree.  It writes as --bind-dn (the helper's DN
 * should only read).  Each change is one modify operation on the values
 * of one realm: other realms' values are never touched.
 *
 * tools/passwd_ldap*.c are built into digest_passwd-ldap only (the macro
 * PASSWD_LDAP, see passwd.h); elsewhere the stubs below stand in, and
 * --ldap hands the command over to that program.
 */
#ifndef DH_PASSWD_LDAP_H
#define DH_PASSWD_LDAP_H

#include <stdbool.h>

#include "passwd.h"

#ifdef PASSWD_LDAP

/* Run req on the directory req->path (the helper's arguments) names.
 * Returns the exit status: PASSWD_EXIT_OK, _FAIL or _MISMATCH. */
int passwd_ldap_run(const struct passwd_req *req);

static inline bool
passwd_ldap_available(void)
{
	return true;
}

#else /* !PASSWD_LDAP */

static inline bool
passwd_ldap_available(void)
{
	return false;
}

static inline int
passwd_ldap_run(const struct passwd_req *req)
{
	(void)req;
	return PASSWD_EXIT_FAIL;
}

#endif /* PASSWD_LDAP */

#endif
