/* passwd_store.h - the SQLite connection behind digest_passwd --sqlite:
 * open (creating the file 0640 minus the umask), schema checks, write
 * transactions and bound statements.  Shared by passwd_sqlite.c (the
 * verbs) and passwd_import.c (--import).  Only built with SQLite.
 */
#ifndef DH_PASSWD_STORE_H
#define DH_PASSWD_STORE_H

#include <stdbool.h>

#include <sqlite3.h>

#include "digest.h"
#include "passwd.h"
#include "sqlschema.h"

/* Changing a password keeps the enabled flag: update, then insert if
 * no row changed, inside one BEGIN IMMEDIATE transaction. */
#define SQL_SET_HA1 \
	"UPDATE digest_users SET ha1 = :ha1 WHERE user = :user AND realm = :realm"
#define SQL_INSERT \
	"INSERT INTO digest_users (user, realm, ha1) VALUES (:user, :realm, :ha1)"

struct store {
	sqlite3 *db;
	const char *path;
	long long version;	/* the schema version, once checked */
	bool migrated;		/* store_init_schema migrated the store */
	long long migrated_from; /* from this version */
};

/* The store has the group table (schema version 2 and later). */
#define STORE_HAS_GROUPS(s) ((s)->version >= SQLSCHEMA_VERSION_GROUPS)

/* The values a statement may name (:user, :realm, :ha1, :enabled, :grp);
 * a statement binds those it names. */
struct row {
	struct digest_str user;
	struct digest_str realm;
	const char *ha1;
	int enabled;
	struct digest_str group;
};

/* The row of req's user, realm and group. */
struct row store_row_of(const struct passwd_req *req);

/* Open req->path read-only or not; with req->create, create the file and
 * the schema when missing, else require the schema.  Returns 0, or -1
 * after logging (with nothing left open). */
int store_open_checked(struct store *s, const struct passwd_req *req,
    bool readonly);

/* Open path (create: make the file when missing), no schema check. */
int store_open(struct store *s, const char *path, bool create, bool readonly);

/* Create the schema (idempotent) in its own transaction, migrating an
 * older version to SQLSCHEMA_VERSION (s->migrated, s->migrated_from),
 * and check it.  A newer or unreadable store is refused before anything
 * is written. */
int store_init_schema(struct store *s);

void store_close(struct store *s);

/* Log "PATH: what: sqlite's message". */
void store_error(const struct store *s, const char *what);

/* Run SQL text that has no values in it.  Returns 0 or -1 (logged). */
int store_exec(struct store *s, const char *sql, const char *what);

/* BEGIN IMMEDIATE (waits for other writers on the busy timeout), COMMIT,
 * and ROLLBACK if a transaction is open.  0 or -1 (logged). */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Prepare sql; NULL after logging. */
sqlite3_stmt *store_prepare(struct store *s, const char *sql);

/* Bind the values of r that st names; an SQLite result code. */
int store_bind_row(sqlite3_stmt *st, const struct row *r);

/* Run the prepared write st for r, then reset it for the next row.
 * Returns the number of rows changed, or -1 (logged). */
int store_step_write(struct store *s, sqlite3_stmt *st, const struct row *r);

/* Prepare sql, run it once for r, finalize.  Rows changed or -1. */
int store_write(struct store *s, const char *sql, const struct row *r);

/* passwd_import.c: --import req->import into the store req->path.
 * Returns the exit status. */
int passwd_import_run(const struct passwd_req *req);

#endif
