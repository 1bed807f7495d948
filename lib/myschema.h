/* myschema.h - the default MariaDB/MySQL schema shared by
 * digest_mysql_auth (reads it) and digest_passwd --mysql (creates and
 * writes it).
 *
 * The same logical schema as the SQLite and PostgreSQL stores
 * (sqlschema.h, pgschema.h): one row per (user, realm) with the HA1 (32
 * lowercase hex digits) and an enabled flag, and one row per (user,
 * realm, group).  Names and realms are VARBINARY, compared byte for
 * byte: the server's usual collations would take "ALICE" and "alice "
 * for "alice".  Parameters are ?, user then realm: every value is bound,
 * never written into the statement.
 */
#ifndef DH_MYSCHEMA_H
#define DH_MYSCHEMA_H

#define MYSCHEMA_VERSION 1

#define MYSCHEMA_CREATE \
	"CREATE TABLE IF NOT EXISTS digest_schema_version (\n" \
	"  version integer NOT NULL\n" \
	") ENGINE=InnoDB;\n" \
	"INSERT INTO digest_schema_version (version)\n" \
	"  SELECT 1 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM digest_schema_version);\n" \
	"CREATE TABLE IF NOT EXISTS digest_users (\n" \
	"  username VARBINARY(255) NOT NULL,\n" \
	"  realm    VARBINARY(255) NOT NULL,\n" \
	"  ha1      CHAR(32) CHARACTER SET ascii NOT NULL,\n" \
	"  enabled  BOOLEAN NOT NULL DEFAULT TRUE,\n" \
	"  PRIMARY KEY (username, realm)\n" \
	") ENGINE=InnoDB;\n" \
	"CREATE TABLE IF NOT EXISTS digest_groups (\n" \
	"  username VARBINARY(255) NOT NULL,\n" \
	"  realm    VARBINARY(255) NOT NULL,\n" \
	"  grp      VARBINARY(255) NOT NULL,\n" \
	"  PRIMARY KEY (username, realm, grp),\n" \
	"  FOREIGN KEY (username, realm) REFERENCES digest_users (username, realm)\n" \
	"    ON DELETE CASCADE\n" \
	") ENGINE=InnoDB;\n"

#define MYSCHEMA_VERSION_QUERY "SELECT max(version) FROM digest_schema_version"

/* The user's HA1 and enabled flag (digest_passwd reads it too), and the
 * groups. */
#define MYSCHEMA_LOOKUP \
	"SELECT ha1, enabled FROM digest_users WHERE username = ? AND realm = ?"
#define MYSCHEMA_GROUPS \
	"SELECT grp FROM digest_groups WHERE username = ? AND realm = ? ORDER BY grp"

/* The helper's lookup: both of the above in one statement, a row per
 * group (one with grp NULL when there is none; the key makes them all
 * the one user's), so each lookup is one round trip to the server. */
#define MYSCHEMA_LOOKUP_GROUPS \
	"SELECT u.ha1, u.enabled, g.grp FROM digest_users u" \
	" LEFT JOIN digest_groups g" \
	" ON g.username = u.username AND g.realm = u.realm" \
	" WHERE u.username = ? AND u.realm = ? ORDER BY g.grp"

#endif
