/* pgschema.h - the default PostgreSQL schema shared by digest_pgsql_auth
 * (reads it) and digest_passwd --pgsql (creates and writes it).
 *
 * The same logical schema as the SQLite store (sqlschema.h): one row per
 * (user, realm) with the HA1 (32 lowercase hex digits) and an enabled
 * flag, and one row per (user, realm, group).  The user column is called
 * username: USER is a reserved word in SQL.  Parameters are numbered
 * ($1 user, $2 realm, ...): every value is bound, never written into the
 * statement.
 */
#ifndef DH_PGSCHEMA_H
#define DH_PGSCHEMA_H

#define PGSCHEMA_VERSION 1

#define PGSCHEMA_CREATE \
	"CREATE TABLE IF NOT EXISTS digest_schema_version (\n" \
	"  version integer NOT NULL\n" \
	");\n" \
	"INSERT INTO digest_schema_version (version)\n" \
	"  SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM digest_schema_version);\n" \
	"CREATE TABLE IF NOT EXISTS digest_users (\n" \
	"  username text NOT NULL,\n" \
	"  realm    text NOT NULL,\n" \
	"  ha1      text NOT NULL CHECK (ha1 ~ '^[0-9a-f]{32}$'),\n" \
	"  enabled  boolean NOT NULL DEFAULT true,\n" \
	"  PRIMARY KEY (username, realm)\n" \
	");\n" \
	"CREATE TABLE IF NOT EXISTS digest_groups (\n" \
	"  username text NOT NULL,\n" \
	"  realm    text NOT NULL,\n" \
	"  grp      text NOT NULL,\n" \
	"  PRIMARY KEY (username, realm, grp),\n" \
	"  FOREIGN KEY (username, realm) REFERENCES digest_users\n" \
	"    ON DELETE CASCADE\n" \
	");\n"

#define PGSCHEMA_VERSION_QUERY "SELECT max(version) FROM digest_schema_version"

/* The helper's lookups: HA1 and enabled flag, then the groups. */
#define PGSCHEMA_LOOKUP \
	"SELECT ha1, enabled FROM digest_users WHERE username = $1 AND realm = $2"
#define PGSCHEMA_GROUPS \
	"SELECT grp FROM digest_groups WHERE username = $1 AND realm = $2 ORDER BY grp"

#endif
