/* passwd_pgsql.h - digest_passwd on a PostgreSQL store (--pgsql CONNINFO).
 *
 * The schema is lib/pgschema.h, the one digest_pgsql_auth reads.  CONNINFO
 * is a libpq connection string (keywords or a URI) without a password: the
 * password comes from a password file (PGPASSFILE, ~/.pgpass or the
 * passfile keyword), never from the command line.  Every value is bound
 * (PQexecParams), never spliced into SQL; each verb is one transaction.
 * Messages name the server as host=... port=... dbname=... only.
 *
 * tools/passwd_pgsql*.c are built with PostgreSQL support only (configure
 * --with-pgsql); without it, the stubs below make --pgsql say so and fail.
 */
#ifndef DH_PASSWD_PGSQL_H
#define DH_PASSWD_PGSQL_H

#include <stdbool.h>

#include "passwd.h"

#ifdef PASSWD_PGSQL

/* Run req on the database req->path names (a conninfo).  Returns the exit
 * status: PASSWD_EXIT_OK, _FAIL or _MISMATCH. */
int passwd_pgsql_run(const struct passwd_req *req);

/* true when this build has PostgreSQL support. */
static inline bool
passwd_pgsql_available(void)
{
	return true;
}

#else /* !PASSWD_PGSQL */

static inline bool
passwd_pgsql_available(void)
{
	return false;
}

static inline int
passwd_pgsql_run(const struct passwd_req *req)
{
	(void)req;
	return PASSWD_EXIT_FAIL;
}

#endif /* PASSWD_PGSQL */

#endif
