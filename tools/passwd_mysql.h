/* passwd_mysql.h - digest_passwd on a MariaDB/MySQL store (--mysql FILE).
 *
 * The schema is lib/myschema.h, the one digest_mysql_auth reads.  FILE is
 * an option file whose [client] group names the server, the account, its
 * password and the database, as the mariadb client reads it: no password
 * ever goes on the command line.  Every value is bound (server-side
 * prepared statements), never spliced into SQL; each verb is one
 * transaction.
 *
 * tools/passwd_mysql*.c are built with MariaDB support only (configure
 * --with-mysql); without it, the stubs below make --mysql say so and fail.
 */
#ifndef DH_PASSWD_MYSQL_H
#define DH_PASSWD_MYSQL_H

#include <stdbool.h>

#include "passwd.h"

#ifdef PASSWD_MYSQL

/* Run req on the store the option file req->path names.  Returns the exit
 * status: PASSWD_EXIT_OK, _FAIL or _MISMATCH. */
int passwd_mysql_run(const struct passwd_req *req);

static inline bool
passwd_mysql_available(void)
{
	return true;
}

#else /* !PASSWD_MYSQL */

static inline bool
passwd_mysql_available(void)
{
	return false;
}

static inline int
passwd_mysql_run(const struct passwd_req *req)
{
	(void)req;
	return PASSWD_EXIT_FAIL;
}

#endif /* PASSWD_MYSQL */

#endif
