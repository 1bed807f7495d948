/* sqlschema.h - the default SQLite schema shared by digest_sqlite_auth
 * (reads it) and digest_passwd --sqlite (creates and writes it).
 *
 * One row per (user, realm) in digest_users: the HA1 (MD5 of
 * user:realm:password, 32 lowercase hex digits) and an enabled flag; the
 * primary key indexes the lookup.  Since version 2, one row per (user,
 * realm, group) in digest_groups: the user's groups in that realm, which
 * the helper's OK reply carries as group="..." annotations.
 *
 * schema_version holds one row.  Version 1 (digest_users only) is still
 * read: such a store has no groups, and digest_passwd --init migrates it
 * to 2.  A store whose version is newer than SQLSCHEMA_VERSION is refused
 * by both programs.  sqlschema_check() (sqlschema.c, SQLite builds only)
 * reads the version; each program words its own messages.
 */
#ifndef DH_SQLSCHEMA_H
#define DH_SQLSCHEMA_H

#define SQLSCHEMA_VERSION 2

/* The first version with digest_groups. */
#define SQLSCHEMA_VERSION_GROUPS 2

#define SQLSCHEMA_GROUPS_TABLE \
	"CREATE TABLE IF NOT EXISTS digest_groups (\n" \
	"  user  TEXT NOT NULL,\n" \
	"  realm TEXT NOT NULL,\n" \
	"  grp   TEXT NOT NULL,\n" \
	"  PRIMARY KEY (user, realm, grp)\n" \
	") WITHOUT ROWID;\n"

/* A new store, or what is missing of one (every statement is idempotent;
 * an existing version-1 store is migrated by SQLSCHEMA_MIGRATE).  Written
 * out in full, digest_groups too (the text of SQLSCHEMA_GROUPS_TABLE), so
 * that it reads as one piece of SQL: the man page shows it, and
 * bench/benchlib/data.py builds stores from the string literals here. */
#define SQLSCHEMA_CREATE \
	"CREATE TABLE IF NOT EXISTS schema_version (\n" \
	"  version INTEGER NOT NULL\n" \
	");\n" \
	"INSERT INTO schema_version (version)\n" \
	"  SELECT 2 WHERE NOT EXISTS (SELECT 1 FROM schema_version);\n" \
	"CREATE TABLE IF NOT EXISTS digest_users (\n" \
	"  user    TEXT NOT NULL,\n" \
	"  realm   TEXT NOT NULL,\n" \
	"  ha1     TEXT NOT NULL CHECK (length(ha1) = 32),\n" \
	"  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),\n" \
	"  PRIMARY KEY (user, realm)\n" \
	") WITHOUT ROWID;\n" \
	"CREATE TABLE IF NOT EXISTS digest_groups (\n" \
	"  user  TEXT NOT NULL,\n" \
	"  realm TEXT NOT NULL,\n" \
	"  grp   TEXT NOT NULL,\n" \
	"  PRIMARY KEY (user, realm, grp)\n" \
	") WITHOUT ROWID;\n"

/* Version 1 to 2: the group table; users and HA1s are untouched.  Run
 * with SQLSCHEMA_CREATE, in the same transaction. */
#define SQLSCHEMA_MIGRATE \
	SQLSCHEMA_GROUPS_TABLE \
	"UPDATE schema_version SET version = 2 WHERE version < 2;\n"

/* The helper's lookup: HA1 and the enabled flag of one (user, realm). */
#define SQLSCHEMA_LOOKUP \
	"SELECT ha1, enabled FROM digest_users WHERE user = :user AND realm = :realm"

/* The groups of one (user, realm), in the order of the primary key. */
#define SQLSCHEMA_GROUPS \
	"SELECT grp FROM digest_groups WHERE user = :user AND realm = :realm ORDER BY grp"

#define SQLSCHEMA_VERSION_QUERY "SELECT max(version) FROM schema_version"

/* Busy timeout for the admin tool: it may wait for a helper's read or
 * another admin's write; ten seconds covers any sane transaction. */
#define SQLSCHEMA_ADMIN_BUSY_MS 10000

/* What sqlschema_check() found. */
enum sqlschema_state {
	SQLSCHEMA_OK,		/* a version this build reads (<= SQLSCHEMA_VERSION) */
	SQLSCHEMA_MISSING,	/* no schema_version table (the query does not
				 * compile): not our store, or an empty file */
	SQLSCHEMA_EMPTY,	/* schema_version has no row */
	SQLSCHEMA_NEWER,	/* a version newer than SQLSCHEMA_VERSION */
	SQLSCHEMA_ERROR,	/* could not read (not a database, locked ...) */
};

struct sqlite3;

/* Read the schema version of the open database db into *version_r (set
 * for SQLSCHEMA_OK and SQLSCHEMA_NEWER).  For SQLSCHEMA_MISSING and
 * SQLSCHEMA_ERROR, sqlite3_errmsg(db) says why until the next call on db.
 * Prints nothing. */
enum sqlschema_state sqlschema_check(struct sqlite3 *db, long long *version_r);

#endif
