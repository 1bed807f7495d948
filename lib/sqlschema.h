/* sqlschema.h - the default SQLite schema shared by digest_sqlite_auth
 * (reads it) and digest_passwd --sqlite (creates and writes it).
 *
 * One row per (user, realm): the HA1 (MD5 of user:realm:password, 32
 * lowercase hex digits) and an enabled flag.  The primary key indexes the
 * lookup.  schema_version holds one row; a helper refuses a store whose
 * version is newer than it knows, and later versions migrate older ones.
 */
#ifndef DH_SQLSCHEMA_H
#define DH_SQLSCHEMA_H

#define SQLSCHEMA_VERSION 1

#define SQLSCHEMA_CREATE \
	"CREATE TABLE IF NOT EXISTS schema_version (\n" \
	"  version INTEGER NOT NULL\n" \
	");\n" \
	"INSERT INTO schema_version (version)\n" \
	"  SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM schema_version);\n" \
	"CREATE TABLE IF NOT EXISTS digest_users (\n" \
	"  user    TEXT NOT NULL,\n" \
	"  realm   TEXT NOT NULL,\n" \
	"  ha1     TEXT NOT NULL CHECK (length(ha1) = 32),\n" \
	"  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),\n" \
	"  PRIMARY KEY (user, realm)\n" \
	") WITHOUT ROWID;\n"

/* The helper's lookup: HA1 and the enabled flag of one (user, realm). */
#define SQLSCHEMA_LOOKUP \
	"SELECT ha1, enabled FROM digest_users WHERE user = :user AND realm = :realm"

#define SQLSCHEMA_VERSION_QUERY "SELECT max(version) FROM schema_version"

/* Busy timeout for the admin tool: it may wait for a helper's read or
 * another admin's write; ten seconds covers any sane transaction. */
#define SQLSCHEMA_ADMIN_BUSY_MS 10000

#endif
