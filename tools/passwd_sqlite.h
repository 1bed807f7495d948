/* passwd_sqlite.h - digest_passwd on an SQLite store (--sqlite DB).
 *
 * The schema is lib/sqlschema.h, the one digest_sqlite_auth reads.  Every
 * value is bound (sqlite3_bind_text), never spliced into SQL.  Writes run
 * in BEGIN IMMEDIATE transactions with a busy timeout, so concurrent
 * invocations wait for each other instead of failing.  Built into
 * digest_passwd-sqlite only (PASSWD_SQLITE, see passwd.h); elsewhere the
 * stubs stand in.
 */
#ifndef DH_PASSWD_SQLITE_H
#define DH_PASSWD_SQLITE_H

#include "passwd.h"

/* Run req on the database req->path.  Returns the exit status:
 * PASSWD_EXIT_OK, _FAIL or _MISMATCH. */
int passwd_sqlite_run(const struct passwd_req *req);

/* true when this build has SQLite support. */
bool passwd_sqlite_available(void);

#endif
