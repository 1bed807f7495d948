/* passwd_sqlite_int.h - what the files of digest_passwd --sqlite share.
 *
 *   passwd_sqlite.c       the verbs on one user (--init, set, -D,
 *                         --disable, --enable, -v) and the dispatch
 *   passwd_sqlite_list.c  -l and --group-add/--group-del
 *   passwd_store.c        the connection (passwd_store.h)
 *   passwd_import.c       --import
 *
 * Only used with SQLite support (configure --with-sqlite).
 */
#ifndef DH_PASSWD_SQLITE_INT_H
#define DH_PASSWD_SQLITE_INT_H

#include "passwd.h"

/* The verbs of passwd_sqlite_list.c, each returning the exit status. */
int sqpw_group(const struct passwd_req *req);	/* --group-add, --group-del */
int sqpw_list(const struct passwd_req *req);	/* -l */

#endif
