/* passwd_pgsql_int.h - what the files of digest_passwd --pgsql share.
 *
 *   passwd_pgsql.c         the verbs that change or check one user (-c/set,
 *                          -D, --disable, --enable, -v) and the dispatch
 *   passwd_pgsql_list.c    -l and --group-add/--group-del
 *   passwd_pgsql_import.c  --import, in pipeline mode
 *   passwd_pgsql_schema.c  --init, the schema check, opening a store
 *   passwd_pgsql_conn.c    the connection: CONNINFO checks, connecting,
 *                          messages (redacted), statements, transactions
 *
 * Only built with PostgreSQL support (configure --with-pgsql).
 */
#ifndef DH_PASSWD_PGSQL_INT_H
#define DH_PASSWD_PGSQL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "digest.h"
#include "passwd.h"

#define PG_TEXTOID 25

/* Adding or changing: one statement; RETURNING tells a new row (xmax 0)
 * from an updated one.  The enabled flag is not touched. */
#define SQL_UPSERT \
	"INSERT INTO digest_users (username, realm, ha1) VALUES ($1, $2, $3)" \
	" ON CONFLICT (username, realm) DO UPDATE SET ha1 = EXCLUDED.ha1" \
	" RETURNING (xmax = 0)"

/* Longest server message shown, and the shown connection. */
#define PG_MSG_SIZE 512
#define PG_SHOWN_SIZE (3 * PASSWD_SHOW_SIZE + 32)

struct pg {
	PGconn *conn;
	char shown[PG_SHOWN_SIZE];	/* host=... port=... dbname=... */
};

/* --- passwd_pgsql_conn.c --------------------------------------------------- */

/* The first line of a libpq message, control bytes as spaces ("unknown
 * error" when there is nothing).  Returns out. */
const char *pgpw_first_line(const char *msg, char *out, size_t outlen);

/* Log "SHOWN: what: " and the server's primary message (of res when it
 * has one, else the connection's last). */
void pgpw_error(const struct pg *p, const PGresult *res, const char *what);

/* Check req->path (a conninfo: no password in it, no PGPASSWORD) and
 * connect.  0, or -1 after logging with nothing left open. */
int pgpw_connect(struct pg *p, const struct passwd_req *req);

void pgpw_close(struct pg *p);

/* Run sql with n (at most 3) bound text values (binary format: the bytes
 * as they are).  The result when it succeeded, else NULL after logging. */
PGresult *pgpw_run(struct pg *p, const char *sql, int n, const struct digest_str *v,
    const char *what);

/* Rows a statement changed, or -1 after logging. */
int pgpw_write(struct pg *p, const char *sql, int n, const struct digest_str *v,
    const char *what);

/* Run sql with no values: 0, or -1 after logging. */
int pgpw_exec(struct pg *p, const char *sql, const char *what);

/* BEGIN; COMMIT (a transaction that failed part way answers ROLLBACK,
 * which is logged and -1). */
int pgpw_begin(struct pg *p);
int pgpw_commit(struct pg *p);

/* --- passwd_pgsql_schema.c ------------------------------------------------- */

/* Connect and check the schema (with -c when adding: create it).  0, or
 * -1 after logging with nothing left open. */
int pgpw_open(struct pg *p, const struct passwd_req *req);

/* --init: create the schema when missing.  The exit status. */
int pgpw_init(const struct passwd_req *req);

/* --- passwd_pgsql_list.c, passwd_pgsql_import.c: verbs, each returning
 * the exit status ----------------------------------------------------------- */

int pgpw_group(const struct passwd_req *req);	/* --group-add, --group-del */
int pgpw_list(const struct passwd_req *req);	/* -l */
int pgpw_import(const struct passwd_req *req);	/* --import */

#endif
