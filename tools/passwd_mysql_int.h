/* passwd_mysql_int.h - what the files of digest_passwd --mysql share.
 *
 *   passwd_mysql.c         the verbs on one user (set, -D, --disable,
 *                          --enable, -v, --group-add/--group-del), -l and
 *                          the dispatch
 *   passwd_mysql_import.c  --import, in one transaction
 *   passwd_mysql_conn.c    the connection (from the option file), bound
 *                          statements, transactions, the schema
 *
 * Only built with MariaDB support (configure --with-mysql).
 */
#ifndef DH_PASSWD_MYSQL_INT_H
#define DH_PASSWD_MYSQL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <mysql.h>

#include "digest.h"
#include "passwd.h"

/* Adding or changing: one statement; the affected rows tell a new row
 * (1) from a changed one (2, or 0 when the HA1 was the same).  The
 * enabled flag is not touched. */
#define MYPW_UPSERT \
	"INSERT INTO digest_users (username, realm, ha1) VALUES (?, ?, ?)" \
	" ON DUPLICATE KEY UPDATE ha1 = VALUES(ha1)"

#define MYPW_SHOWN_SIZE 512

struct mypw {
	MYSQL *m;
	char shown[MYPW_SHOWN_SIZE];	/* the server and database, for messages */
};

/* One value of a fetched row: malloc'd (wiped and freed by mypw_val_free). */
struct mypw_val {
	char *p;
	size_t n;
	bool null;
};

/* Connect with the option file req->path ([client] group) and check the
 * schema (with -c when adding, or --init: create it).  0, or -1 after
 * logging with nothing left open. */
int mypw_open(struct mypw *p, const struct passwd_req *req);
void mypw_close(struct mypw *p);

/* --init: create the schema when missing.  The exit status. */
int mypw_init(const struct passwd_req *req);

/* Prepare sql, bind n (at most 3) values as strings, execute.  A
 * statement with a result set comes back stored, to fetch with
 * mypw_fetch and close with mypw_stmt_done; else NULL is returned with
 * *affected_r set.  On an error: NULL and -1 in *affected_r, logged as
 * "SHOWN: what: the server's message". */
MYSQL_STMT *mypw_run(struct mypw *p, const char *sql, int n,
    const struct digest_str *v, const char *what, long long *affected_r);
/* Rows a statement changed, or -1 after logging. */
long long mypw_write(struct mypw *p, const char *sql, int n,
    const struct digest_str *v, const char *what);
/* The next row of st, its first n columns into vals: 1, 0 at the end,
 * -1 on an error (logged). */
int mypw_fetch(struct mypw *p, MYSQL_STMT *st, struct mypw_val *vals,
    unsigned n);
void mypw_val_free(struct mypw_val *v, unsigned n);
void mypw_stmt_done(MYSQL_STMT *st);

/* Run sql with no values: 0, or -1 after logging. */
int mypw_exec(struct mypw *p, const char *sql, const char *what);
int mypw_begin(struct mypw *p);
int mypw_commit(struct mypw *p);

/* --import: the exit status. */
int mypw_import(const struct passwd_req *req);

#endif
