/* passwd_pgsql.c - digest_passwd --pgsql CONNINFO: the verbs on a
 * PostgreSQL store (lib/pgschema.h).
 *
 * One connection per run.  CONNINFO is handed to libpq as it is (keywords
 * or a URI; a bare word is a database name); one that holds a password is
 * refused before anything is sent, as is a PGPASSWORD in the environment:
 * the password comes from a password file (PGPASSFILE, ~/.pgpass, or the
 * passfile keyword).  Messages never show CONNINFO, only the host, port
 * and database the connection reached (or, before it, was asked for), and
 * of a server's error only its primary message: the DETAIL of a failed
 * row names the row's values, an HA1 among them.
 *
 * Every value is bound as a parameter (binary text, so no value is ever
 * parsed as SQL).  Each verb is one transaction; a change of password is
 * one INSERT ... ON CONFLICT DO UPDATE, so concurrent writers cannot lose
 * each other's rows, and it keeps the enabled flag.  Nothing is held
 * across a password prompt.  A user's groups go with it (ON DELETE
 * CASCADE).  --import sends its rows in pipeline mode, inside one
 * transaction: every good line is stored, or nothing is.
 */
#include "config.h"

#ifdef HAVE_PGSQL

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "digest.h"
#include "fdio.h"
#include "htable.h"
#include "htdigest.h"
#include "log.h"
#include "passwd.h"
#include "passwd_pgsql.h"
#include "pgschema.h"
#include "safefile.h"
#include "secret.h"

#define PG_TEXTOID 25

/* The schema's changes serialise on this transaction-level advisory lock
 * ("digestpw"), so two --init runs cannot race in CREATE TABLE. */
#define SQL_SCHEMA_LOCK "SELECT pg_advisory_xact_lock(7235427961773781111)"
#define SQL_HAS_SCHEMA "SELECT to_regclass('digest_schema_version') IS NOT NULL"

/* Adding or changing: one statement; RETURNING tells a new row (xmax 0)
 * from an updated one.  The enabled flag is not touched. */
#define SQL_UPSERT \
	"INSERT INTO digest_users (username, realm, ha1) VALUES ($1, $2, $3)" \
	" ON CONFLICT (username, realm) DO UPDATE SET ha1 = EXCLUDED.ha1" \
	" RETURNING (xmax = 0)"
#define SQL_DELETE \
	"DELETE FROM digest_users WHERE username = $1 AND realm = $2"
#define SQL_DISABLE \
	"UPDATE digest_users SET enabled = false WHERE username = $1 AND realm = $2"
#define SQL_ENABLE \
	"UPDATE digest_users SET enabled = true WHERE username = $1 AND realm = $2"
#define SQL_USER_LOCK \
	"SELECT 1 FROM digest_users WHERE username = $1 AND realm = $2 FOR KEY SHARE"
#define SQL_GROUP_ADD \
	"INSERT INTO digest_groups (username, realm, grp) VALUES ($1, $2, $3)" \
	" ON CONFLICT DO NOTHING"
#define SQL_GROUP_DEL \
	"DELETE FROM digest_groups WHERE username = $1 AND realm = $2 AND grp = $3"
/* Users and their groups in one statement (one snapshot), in byte order
 * as the SQLite store lists them, whatever the database's collation. */
#define SQL_LIST_HEAD \
	"SELECT u.username, u.realm, u.enabled, g.grp FROM digest_users u" \
	" LEFT JOIN digest_groups g ON g.username = u.username AND g.realm = u.realm"
#define SQL_LIST_TAIL \
	" ORDER BY u.realm COLLATE \"C\", u.username COLLATE \"C\", g.grp COLLATE \"C\""
#define SQL_LIST_ALL SQL_LIST_HEAD SQL_LIST_TAIL
#define SQL_LIST_REALM SQL_LIST_HEAD " WHERE u.realm = $1" SQL_LIST_TAIL

/* Longest server message shown, and the shown connection. */
#define PG_MSG_SIZE 512
#define PG_SHOWN_SIZE (3 * PASSWD_SHOW_SIZE + 32)

struct pg {
	PGconn *conn;
	char shown[PG_SHOWN_SIZE];	/* host=... port=... dbname=... */
};

/* The first line of a libpq message, control bytes as spaces. */
static const char *
first_line(const char *msg, char *out, size_t outlen)
{
	size_t i = 0;

	if (msg == NULL)
		msg = "";
	while (*msg == '\n' || *msg == ' ')
		msg++;
	for (; *msg != '\0' && *msg != '\n' && i + 1 < outlen; msg++) {
		unsigned char c = (unsigned char)*msg;

		out[i++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	while (i > 0 && out[i - 1] == ' ')
		i--;
	out[i] = '\0';
	if (i == 0)
		snprintf(out, outlen, "unknown error");
	return out;
}

/* libpq's reason for not parsing a conninfo, with every quoted part of
 * more than one byte left out: it quotes pieces of the string, and the
 * piece could be a password. */
static const char *
redacted(const char *msg, char *out, size_t outlen)
{
	char line[PG_MSG_SIZE];
	const char *p = first_line(msg, line, sizeof(line)), *q;
	size_t i = 0;

	while (*p != '\0' && i + 8 < outlen) {
		if (*p == '"' && (q = strchr(p + 1, '"')) != NULL) {
			if (q - p > 2) {
				memcpy(out + i, "\"...\"", 5);
				i += 5;
			} else {	/* "=": libpq's, not the string's */
				memcpy(out + i, p, (size_t)(q - p + 1));
				i += (size_t)(q - p + 1);
			}
			p = q + 1;
		} else {
			out[i++] = *p++;
		}
	}
	out[i] = '\0';
	return out;
}

static void
pg_error(const struct pg *p, const PGresult *res, const char *what)
{
	char line[PG_MSG_SIZE];
	const char *m = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	log_error("%s: %s: %s", p->shown, what,
	    first_line(m != NULL ? m : PQerrorMessage(p->conn), line, sizeof(line)));
}

/* Server notices (CREATE TABLE IF NOT EXISTS says "skipping") are for -d. */
static void
notice(void *arg, const char *msg)
{
	char line[PG_MSG_SIZE];

	(void)arg;
	log_debug("server: %s", first_line(msg, line, sizeof(line)));
}

static void
shown_add(char *shown, const char *key, const char *val)
{
	char s[PASSWD_SHOW_SIZE];
	size_t n = strlen(shown);

	if (val == NULL || *val == '\0')
		return;
	snprintf(shown + n, PG_SHOWN_SIZE - n, "%s%s=%s", n > 0 ? " " : "",
	    key, passwd_show(val, s));
}

/* libpq reads a string with '=' or a postgres:// URI as a conninfo, any
 * other as a database name. */
static bool
is_conninfo(const char *s)
{
	return strchr(s, '=') != NULL || strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0;
}

/* Parse conninfo: refuse a password in it, and fill shown with its host,
 * port and database.  0, or -1 after logging. */
static int
conninfo_check(const char *conninfo, char *shown)
{
	PQconninfoOption *opts, *o;
	const char *host = NULL, *hostaddr = NULL, *port = NULL, *db = NULL;
	char *err = NULL, why[PG_MSG_SIZE];
	int rc = 0;

	shown[0] = '\0';
	if (!is_conninfo(conninfo)) {
		shown_add(shown, "dbname", conninfo);
		if (shown[0] == '\0')
			snprintf(shown, PG_SHOWN_SIZE, "(libpq defaults)");
		return 0;
	}
	if ((opts = PQconninfoParse(conninfo, &err)) == NULL) {
		log_error("invalid --pgsql CONNINFO (not shown): %s",
		    err != NULL ? redacted(err, why, sizeof(why)) : "out of memory");
		PQfreemem(err);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "password") == 0 && o->val[0] != '\0') {
			log_error("--pgsql CONNINFO holds a password, which other users can read on the command line; nothing done: put it in a password file (PGPASSFILE, ~/.pgpass, or passfile=FILE in CONNINFO)");
			rc = -1;
		} else if (strcmp(o->keyword, "host") == 0) {
			host = o->val;
		} else if (strcmp(o->keyword, "hostaddr") == 0) {
			hostaddr = o->val;
		} else if (strcmp(o->keyword, "port") == 0) {
			port = o->val;
		} else if (strcmp(o->keyword, "dbname") == 0) {
			db = o->val;
		}
	}
	shown_add(shown, "host", host != NULL && *host != '\0' ? host : hostaddr);
	shown_add(shown, "port", port);
	shown_add(shown, "dbname", db);
	if (shown[0] == '\0')
		snprintf(shown, PG_SHOWN_SIZE, "(libpq defaults)");
	PQconninfoFree(opts);
	return rc;
}

static void
pg_close(struct pg *p)
{
	PQfinish(p->conn);
	p->conn = NULL;
}

static int
pg_connect(struct pg *p, const struct passwd_req *req)
{
	const char *kw[4], *val[4];
	char line[PG_MSG_SIZE], su[PASSWD_SHOW_SIZE];
	int k = 0;

	p->conn = NULL;
	if (conninfo_check(req->path, p->shown) < 0)
		return -1;
	if (getenv("PGPASSWORD") != NULL) {
		log_error("PGPASSWORD is set; nothing done: digest_passwd --pgsql takes the database password from a password file only (PGPASSFILE, ~/.pgpass, or passfile=FILE in CONNINFO)");
		return -1;
	}
	/* CONNINFO comes last, so what it says wins */
	if (getenv("PGCONNECT_TIMEOUT") == NULL) {
		kw[k] = "connect_timeout";
		val[k++] = "10";
	}
	kw[k] = "fallback_application_name";
	val[k++] = "digest_passwd";
	kw[k] = "dbname";
	val[k++] = req->path;
	kw[k] = NULL;
	val[k] = NULL;
	log_debug("connecting to %s", p->shown);
	p->conn = PQconnectdbParams(kw, val, 1);
	if (p->conn == NULL) {
		log_error("%s: cannot connect: out of memory", p->shown);
		return -1;
	}
	if (PQstatus(p->conn) != CONNECTION_OK) {
		log_error("%s: cannot connect: %s", p->shown,
		    first_line(PQerrorMessage(p->conn), line, sizeof(line)));
		pg_close(p);
		return -1;
	}
	PQsetNoticeProcessor(p->conn, notice, NULL);
	p->shown[0] = '\0';
	shown_add(p->shown, "host", PQhost(p->conn));
	shown_add(p->shown, "port", PQport(p->conn));
	shown_add(p->shown, "dbname", PQdb(p->conn));
	log_debug("connected to %s as %s (server version %d)", p->shown,
	    passwd_show(PQuser(p->conn), su), PQserverVersion(p->conn));
	return 0;
}

/* Run sql with n bound text values (binary format: the bytes as they
 * are).  The result when it succeeded, else NULL after logging. */
static PGresult *
pg_run(struct pg *p, const char *sql, int n, const struct dstr *v,
    const char *what)
{
	const Oid types[3] = { PG_TEXTOID, PG_TEXTOID, PG_TEXTOID };
	const int fmts[3] = { 1, 1, 1 };
	const char *vals[3];
	int lens[3], i;
	PGresult *res;
	ExecStatusType st;

	for (i = 0; i < n && i < 3; i++) {
		vals[i] = v[i].p;
		lens[i] = (int)v[i].n;
	}
	res = n == 0 ? PQexec(p->conn, sql) :
	    PQexecParams(p->conn, sql, n, types, vals, lens, fmts, 0);
	st = PQresultStatus(res);
	if (res != NULL && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK))
		return res;
	pg_error(p, res, what);
	PQclear(res);
	return NULL;
}

/* Rows a statement changed, or -1 after logging. */
static int
pg_write(struct pg *p, const char *sql, int n, const struct dstr *v,
    const char *what)
{
	PGresult *res = pg_run(p, sql, n, v, what);
	int rows;

	if (res == NULL)
		return -1;
	rows = atoi(PQcmdTuples(res));
	PQclear(res);
	return rows;
}

static int
pg_exec(struct pg *p, const char *sql, const char *what)
{
	PGresult *res = pg_run(p, sql, 0, NULL, what);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

static int
pg_begin(struct pg *p)
{
	return pg_exec(p, "BEGIN", "cannot start a transaction");
}

/* COMMIT; a transaction that failed part way answers ROLLBACK. */
static int
pg_commit(struct pg *p)
{
	PGresult *res = pg_run(p, "COMMIT", 0, NULL, "cannot commit");
	bool ok = res != NULL && strcmp(PQcmdStatus(res), "COMMIT") == 0;

	if (res != NULL && !ok)
		log_error("%s: the transaction was rolled back; nothing changed",
		    p->shown);
	PQclear(res);
	return ok ? 0 : -1;
}

/* The store's schema version: 1 and *v_r (0 for an empty table), 0 when
 * there is no schema, -1 after logging. */
static int
pg_schema_version(struct pg *p, long long *v_r)
{
	PGresult *res = PQexec(p->conn, PGSCHEMA_VERSION_QUERY);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int rc = -1;

	*v_r = 0;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		if (!PQgetisnull(res, 0, 0))
			*v_r = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		rc = 1;
	} else if (state != NULL && strcmp(state, "42P01") == 0) {
		rc = 0;		/* undefined_table */
	} else {
		pg_error(p, res, "cannot read the schema version");
	}
	PQclear(res);
	return rc;
}

/* Refuse a store without our schema, or with a version we do not know. */
static int
pg_check_schema(struct pg *p)
{
	long long v;

	switch (pg_schema_version(p, &v)) {
	case 0:
		log_error("%s has no digest-helpers schema; create it with: digest_passwd --pgsql CONNINFO --init",
		    p->shown);
		return -1;
	case 1:
		break;
	default:
		return -1;
	}
	if (v == 0) {
		log_error("%s: digest_schema_version is empty; run: digest_passwd --pgsql CONNINFO --init",
		    p->shown);
		return -1;
	}
	if (v > PGSCHEMA_VERSION) {
		log_error("%s: schema version %lld is newer than this digest_passwd knows (%d); upgrade digest-helpers",
		    p->shown, v, PGSCHEMA_VERSION);
		return -1;
	}
	return 0;
}

/* Create the schema when missing, in one transaction of its own (taken
 * under the advisory lock); a newer schema is refused before anything is
 * written.  0, or -1 after logging. */
static int
pg_init_schema(struct pg *p)
{
	PGresult *res;
	bool exists;

	if (pg_begin(p) < 0 || pg_exec(p, SQL_SCHEMA_LOCK, "cannot lock the schema") < 0)
		return -1;
	if ((res = pg_run(p, SQL_HAS_SCHEMA, 0, NULL, "cannot read the catalog")) == NULL)
		return -1;
	exists = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (exists) {
		long long v;

		if (pg_schema_version(p, &v) < 0)
			return -1;
		if (v > PGSCHEMA_VERSION) {
			log_error("%s: schema version %lld is newer than this digest_passwd knows (%d); upgrade digest-helpers",
			    p->shown, v, PGSCHEMA_VERSION);
			return -1;
		}
	}
	if (pg_exec(p, PGSCHEMA_CREATE, "cannot create the schema") < 0 ||
	    pg_check_schema(p) < 0 || pg_commit(p) < 0)
		return -1;
	return 0;
}

static int
pg_init(const struct passwd_req *req)
{
	struct pg p;
	int rc = PASSWD_EXIT_FAIL;

	if (pg_connect(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (pg_init_schema(&p) == 0) {
		log_info("%s: schema version %d ready", p.shown, PGSCHEMA_VERSION);
		rc = PASSWD_EXIT_OK;
	}
	pg_close(&p);
	return rc;
}

/* Connect and check the schema (with -c when adding: create it). */
static int
pg_open(struct pg *p, const struct passwd_req *req)
{
	if (pg_connect(p, req) < 0)
		return -1;
	if ((req->create ? pg_init_schema(p) : pg_check_schema(p)) < 0) {
		pg_close(p);
		return -1;
	}
	return 0;
}

static int
pg_set(const struct passwd_req *req)
{
	char ha1[PASSWD_HA1_SIZE] = "", su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	struct dstr v[3] = { dstr_c(req->user), dstr_c(req->realm) };
	PGresult *res = NULL;
	struct pg p;
	bool added;
	int rc = PASSWD_EXIT_FAIL;

	if (pg_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (passwd_get_ha1(req, true, ha1) < 0 || pg_begin(&p) < 0)
		goto out;
	v[2] = (struct dstr){ ha1, 32 };
	if ((res = pg_run(&p, SQL_UPSERT, 3, v, "cannot store the user")) == NULL)
		goto out;
	added = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	if (pg_commit(&p) < 0)
		goto out;
	log_info("%s user %s in realm %s", added ? "added" :
	    "changed the password of", passwd_show(req->user, su),
	    passwd_show(req->realm, sr));
	rc = PASSWD_EXIT_OK;
out:
	PQclear(res);
	pg_close(&p);
	secret_wipe(ha1, sizeof(ha1));
	return rc;
}

/* -D, --disable, --enable: one statement on an existing user. */
static int
pg_change(const struct passwd_req *req)
{
	static const char *const done[] = {
		[PASSWD_DELETE] = "deleted",
		[PASSWD_DISABLE] = "disabled",
		[PASSWD_ENABLE] = "enabled",
	};
	static const char *const sql[] = {
		[PASSWD_DELETE] = SQL_DELETE,
		[PASSWD_DISABLE] = SQL_DISABLE,
		[PASSWD_ENABLE] = SQL_ENABLE,
	};
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	const struct dstr v[2] = { dstr_c(req->user), dstr_c(req->realm) };
	struct pg p;
	int rc = PASSWD_EXIT_FAIL, n;

	passwd_show(req->user, su);
	passwd_show(req->realm, sr);
	if (pg_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (pg_begin(&p) < 0 ||
	    (n = pg_write(&p, sql[req->verb], 2, v, "cannot change the user")) < 0)
		goto out;
	if (n == 0) {
		log_error("user %s not found in realm %s", su, sr);
		goto out;
	}
	if (pg_commit(&p) < 0)
		goto out;
	log_info("%s user %s in realm %s", done[req->verb], su, sr);
	rc = PASSWD_EXIT_OK;
out:
	pg_close(&p);
	return rc;
}

/* --group-add, --group-del: one transaction on an existing user, which
 * stays locked against a delete meanwhile.  Adding a group the user is
 * in already is not an error; removing one it is not in is. */
static int
pg_group(const struct passwd_req *req)
{
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE], sg[PASSWD_SHOW_SIZE];
	bool add = req->verb == PASSWD_GROUP_ADD;
	const struct dstr v[3] = { dstr_c(req->user), dstr_c(req->realm),
	    dstr_c(req->group) };
	PGresult *res;
	struct pg p;
	int rc = PASSWD_EXIT_FAIL, n;

	passwd_show(req->user, su);
	passwd_show(req->realm, sr);
	passwd_show(req->group, sg);
	if (pg_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (pg_begin(&p) < 0 ||
	    (res = pg_run(&p, SQL_USER_LOCK, 2, v, "cannot read the user")) == NULL)
		goto out;
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		log_error("user %s not found in realm %s", su, sr);
		goto out;
	}
	n = pg_write(&p, add ? SQL_GROUP_ADD : SQL_GROUP_DEL, 3, v,
	    "cannot change the groups");
	if (n < 0)
		goto out;
	if (n == 0 && !add) {
		log_error("user %s in realm %s is not in group %s", su, sr, sg);
		goto out;
	}
	if (pg_commit(&p) < 0)
		goto out;
	if (n == 0)
		log_info("user %s in realm %s is already in group %s", su, sr, sg);
	else
		log_info("%s user %s in realm %s %s group %s", add ? "added" :
		    "removed", su, sr, add ? "to" : "from", sg);
	rc = PASSWD_EXIT_OK;
out:
	pg_close(&p);
	return rc;
}

/* The stored HA1 and flag of req's user: 1 found, 0 not, -1 error.  The
 * result's copy of the HA1 is wiped before it is freed. */
static int
pg_lookup(struct pg *p, const struct passwd_req *req, char *ha1_r,
    bool *enabled_r)
{
	const struct dstr v[2] = { dstr_c(req->user), dstr_c(req->realm) };
	PGresult *res = pg_run(p, PGSCHEMA_LOOKUP, 2, v, "cannot read the user");
	int found = -1;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		found = 0;
	} else if (PQgetisnull(res, 0, 0) ||
	    !digest_is_hex(digest_alg_md5(), PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0))) {
		log_error("%s: the stored HA1 of this user is not 32 hex digits",
		    p->shown);
	} else {
		digest_hex_lower(PQgetvalue(res, 0, 0), 32, ha1_r);
		*enabled_r = PQgetvalue(res, 0, 1)[0] == 't';
		found = 1;
	}
	if (PQntuples(res) > 0)
		secret_wipe(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
	return found;
}

static int
pg_verify(const struct passwd_req *req)
{
	char want[PASSWD_HA1_SIZE], ha1[PASSWD_HA1_SIZE];
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	struct pg p;
	bool enabled = true;
	int found, rc = PASSWD_EXIT_FAIL;

	passwd_show(req->user, su);
	passwd_show(req->realm, sr);
	if (pg_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	found = pg_lookup(&p, req, want, &enabled);
	pg_close(&p);
	if (found == 0)
		log_error("user %s not found in realm %s", su, sr);
	if (found <= 0)
		return PASSWD_EXIT_FAIL;
	if (passwd_get_ha1(req, false, ha1) == 0) {
		if (secret_equal(ha1, want, sizeof(want))) {
			log_info("password correct for user %s in realm %s", su, sr);
			rc = PASSWD_EXIT_OK;
		} else {
			log_error("wrong password for user %s in realm %s", su, sr);
			rc = PASSWD_EXIT_MISMATCH;
		}
		if (!enabled)
			log_warn("user %s in realm %s is disabled: logins are refused",
			    su, sr);
	}
	secret_wipe(want, sizeof(want));
	secret_wipe(ha1, sizeof(ha1));
	return rc;
}

/* A group name for -l: control bytes, ',' (the separator) and '\' (the
 * escape) as \xHH, as the SQLite store lists them. */
static void
print_group(const char *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)g[i];

		if (c < 0x20 || c == 0x7f || c == ',' || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static bool
same_field(const PGresult *res, int a, int b, int col)
{
	int n = PQgetlength(res, a, col);

	return n == PQgetlength(res, b, col) &&
	    memcmp(PQgetvalue(res, a, col), PQgetvalue(res, b, col), (size_t)n) == 0;
}

/* -l: "user:realm", " (disabled)", then a tab and the groups,
 * comma-separated, when there are any: the SQLite store's format. */
static int
pg_list(const struct passwd_req *req)
{
	const struct dstr v[1] = { dstr_c(req->realm) };
	PGresult *res;
	struct pg p;
	int i, k = 0, n;

	if (pg_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	res = pg_run(&p, req->realm != NULL ? SQL_LIST_REALM : SQL_LIST_ALL,
	    req->realm != NULL ? 1 : 0, v, "cannot list the users");
	pg_close(&p);
	if (res == NULL)
		return PASSWD_EXIT_FAIL;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		bool next = i == 0 || !same_field(res, i, i - 1, 0) ||
		    !same_field(res, i, i - 1, 1);

		if (next) {
			if (i > 0)
				putchar('\n');
			passwd_print_name(stdout, PQgetvalue(res, i, 0),
			    (size_t)PQgetlength(res, i, 0));
			putchar(':');
			passwd_print_name(stdout, PQgetvalue(res, i, 1),
			    (size_t)PQgetlength(res, i, 1));
			if (PQgetvalue(res, i, 2)[0] != 't')
				fputs(" (disabled)", stdout);
			k = 0;
		}
		if (PQgetisnull(res, i, 3))
			continue;
		fputs(k++ == 0 ? "\t" : ",", stdout);
		print_group(PQgetvalue(res, i, 3), (size_t)PQgetlength(res, i, 3));
	}
	if (n > 0)
		putchar('\n');
	PQclear(res);
	return PASSWD_EXIT_OK;
}

/* --- --import -------------------------------------------------------------- */

/* Warnings about skipped lines; the summary counts them all. */
#define IMPORT_MAX_WARNINGS 20

/* A progress line on a terminal every this many lines. */
#define IMPORT_PROGRESS_LINES 50000

/* Rows sent before a sync point and reading their results: few enough
 * that neither side's socket buffer fills while the other writes. */
#define IMPORT_BATCH 256

#define IMPORT_STMT "digest_passwd_upsert"

/* The (user, realm) keys this import has seen: the first line wins. */
struct seen_key {
	const char *user, *realm;	/* into the file's buffer */
	size_t user_len, realm_len;
};

struct import {
	struct pg *p;
	const char *name;
	size_t added, updated, skipped, warnings;
	struct seen_key *seen;
	size_t seen_mask;
	size_t batch[IMPORT_BATCH + 2];	/* the line of each pending query */
	size_t nbatch;
	bool failed;
	size_t fail_line;
	char fail_msg[PG_MSG_SIZE];
};

/* Record key in the set: true when it is new. */
static bool
seen_add(struct import *im, const char *u, size_t un, const char *r, size_t rn)
{
	size_t i = (size_t)htable_key_hash(htable_user_hash(u, un),
	    htable_realm_hash(r, rn)) & im->seen_mask;
	struct seen_key *k;

	for (;; i = (i + 1) & im->seen_mask) {
		k = &im->seen[i];
		if (k->user == NULL) {
			*k = (struct seen_key){ u, r, un, rn };
			return true;
		}
		if (k->user_len == un && k->realm_len == rn &&
		    memcmp(k->user, u, un) == 0 && memcmp(k->realm, r, rn) == 0)
			return false;
	}
}

static void
import_skip(struct import *im, size_t lineno, const char *why)
{
	im->skipped++;
	if (++im->warnings <= IMPORT_MAX_WARNINGS)
		log_warn("%s:%zu: %s; line skipped", im->name, lineno, why);
}

/* The first failure of the import: its line (0: not a line's) and the
 * server's message. */
static void
import_fail(struct import *im, size_t lineno, const PGresult *res)
{
	const char *m = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (im->failed)
		return;
	im->failed = true;
	im->fail_line = lineno;
	first_line(m != NULL ? m : PQerrorMessage(im->p->conn), im->fail_msg,
	    sizeof(im->fail_msg));
}

/* Send a sync point and read the results of everything pending. */
static void
import_sync(struct import *im)
{
	PGconn *c = im->p->conn;
	PGresult *res;
	size_t i;

	if (im->nbatch == 0)
		return;
	if (!PQpipelineSync(c)) {
		import_fail(im, 0, NULL);
		im->nbatch = 0;
		return;
	}
	for (i = 0; i < im->nbatch; i++) {
		if ((res = PQgetResult(c)) == NULL) {
			import_fail(im, im->batch[i], NULL);
			break;
		}
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
			if (PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't')
				im->added++;
			else
				im->updated++;
			break;
		case PGRES_COMMAND_OK:	/* BEGIN, the statement prepared */
		case PGRES_PIPELINE_ABORTED:	/* after the failure */
			break;
		default:
			import_fail(im, im->batch[i], res);
			break;
		}
		PQclear(res);
		/* each query's results end with a NULL */
		while ((res = PQgetResult(c)) != NULL)
			PQclear(res);
	}
	/* and the sync point */
	if ((res = PQgetResult(c)) == NULL || PQresultStatus(res) != PGRES_PIPELINE_SYNC)
		import_fail(im, 0, res);
	PQclear(res);
	im->nbatch = 0;
}

/* Parse one line (no LF) into the fields; NULL or why it is skipped
 * ("" for comments and blank lines, skipped silently).  As
 * passwd_import.c parses it for the SQLite store. */
static const char *
import_parse(const char *p, size_t n, struct dstr *v, char *ha1)
{
	struct htdigest_line l;

	if (!htdigest_parse_line(p, n, true, &l))
		return "";
	if (l.bad & HTDIGEST_BAD_NUL)
		return "NUL byte in line";
	if ((l.bad & HTDIGEST_BAD_FORM) || l.realm == NULL)
		return "expected user:realm:HA1";
	if (l.bad & HTDIGEST_BAD_HA1)
		return "the HA1 field is not 32 hex digits (plaintext passwords cannot be imported)";
	v[0] = (struct dstr){ l.user, l.user_len };
	v[1] = (struct dstr){ l.realm, l.realm_len };
	if (passwd_name_problem(v[0].p, v[0].n, true) != NULL)
		return v[0].n == 0 ? "empty user name" : "the user name is not acceptable";
	if (passwd_name_problem(v[1].p, v[1].n, false) != NULL)
		return v[1].n == 0 ? "empty realm" : "the realm is not acceptable";
	digest_hex_lower(l.value, l.value_len, ha1);
	v[2] = (struct dstr){ ha1, 32 };
	return NULL;
}

/* Send the row of one line.  The HA1 is wiped once libpq has it. */
static void
import_line(struct import *im, const char *p, size_t n, size_t lineno)
{
	const int fmts[3] = { 1, 1, 1 };
	char ha1[PASSWD_HA1_SIZE];
	struct dstr v[3];
	const char *vals[3], *why;
	int lens[3], i;

	why = import_parse(p, n, v, ha1);
	if (why == NULL && !seen_add(im, v[0].p, v[0].n, v[1].p, v[1].n))
		why = "an earlier line has the same user and realm (the first is used)";
	if (why != NULL) {
		if (*why != '\0')
			import_skip(im, lineno, why);
		secret_wipe(ha1, sizeof(ha1));
		return;
	}
	for (i = 0; i < 3; i++) {
		vals[i] = v[i].p;
		lens[i] = (int)v[i].n;
	}
	if (!PQsendQueryPrepared(im->p->conn, IMPORT_STMT, 3, vals, lens, fmts, 0))
		import_fail(im, lineno, NULL);
	else
		im->batch[im->nbatch++] = lineno;
	secret_wipe(ha1, sizeof(ha1));
	if (im->nbatch >= IMPORT_BATCH)
		import_sync(im);
}

static void
import_lines(struct import *im, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	bool progress = isatty(STDERR_FILENO);
	size_t lineno = 0;

	while (p < end && !im->failed) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = lf != NULL ? (size_t)(lf - p) : (size_t)(end - p);
		const char *line = p;
		size_t linelen = n;

		if (lineno++ == 0)
			(void)htdigest_skip_bom(&line, &linelen, im->name);
		import_line(im, line, linelen, lineno);
		if (progress && lineno % IMPORT_PROGRESS_LINES == 0) {
			import_sync(im);
			log_info("%s: %zu lines read, %zu users so far", im->name,
			    lineno, im->added + im->updated);
		}
		p += n + 1;
	}
	import_sync(im);
	if (im->warnings > IMPORT_MAX_WARNINGS)
		log_warn("%s: %zu more skipped lines not shown", im->name,
		    im->warnings - IMPORT_MAX_WARNINGS);
}

static int
read_import(const char *path, char **buf_r, size_t *len_r, size_t *cap_r)
{
	char err[PATH_MAX + 256];
	struct stat st;
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
	    safe_open_read(path, &st, err, sizeof(err));

	if (fd < 0) {
		log_error("%s", err);
		return -1;
	}
	if (fd_read_all(fd, buf_r, len_r, cap_r) < 0) {
		log_error("cannot read %s: %s", path, strerror(errno));
		*buf_r = NULL;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return *buf_r != NULL ? 0 : -1;
}

/* Room for every line of buf in the set, at most half full. */
static void
import_seen_alloc(struct import *im, const char *buf, size_t len)
{
	size_t lines = 1, size = 16;
	const char *p = buf, *end = buf + len;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p++;
	}
	while (size < 2 * lines)
		size *= 2;
	im->seen = xcalloc(size, sizeof(*im->seen));
	im->seen_mask = size - 1;
}

static int
pg_import(const struct passwd_req *req)
{
	const Oid types[3] = { PG_TEXTOID, PG_TEXTOID, PG_TEXTOID };
	struct pg p;
	struct import im = { .p = &p };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = PASSWD_EXIT_FAIL;

	im.name = strcmp(req->import, "-") == 0 ? "(stdin)" : req->import;
	if (pg_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (read_import(req->import, &buf, &len, &cap) < 0)
		goto out;
	import_seen_alloc(&im, buf, len);
	if (!PQenterPipelineMode(p.conn) ||
	    !PQsendQueryParams(p.conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsendPrepare(p.conn, IMPORT_STMT, SQL_UPSERT, 3, types)) {
		pg_error(&p, NULL, "cannot start the import");
		goto out;
	}
	im.batch[im.nbatch++] = 0;
	im.batch[im.nbatch++] = 0;
	import_lines(&im, buf, len);
	if (im.failed) {
		if (im.fail_line > 0)
			log_error("%s:%zu: import stopped, nothing imported: %s",
			    im.name, im.fail_line, im.fail_msg);
		else
			log_error("%s: import stopped, nothing imported: %s",
			    p.shown, im.fail_msg);
		goto out;
	}
	if (!PQexitPipelineMode(p.conn)) {
		pg_error(&p, NULL, "cannot end the pipeline");
		goto out;
	}
	if (pg_commit(&p) < 0)
		goto out;
	log_info("imported %zu users (%zu new, %zu updated), %zu lines skipped",
	    im.added + im.updated, im.added, im.updated, im.skipped);
	rc = PASSWD_EXIT_OK;
out:
	/* closing without COMMIT rolls back */
	pg_close(&p);
	free(im.seen);
	if (buf != NULL)
		secret_free(buf, cap);
	return rc;
}

int
passwd_pgsql_run(const struct passwd_req *req)
{
	switch (req->verb) {
	case PASSWD_INIT:
		return pg_init(req);
	case PASSWD_SET:
		return pg_set(req);
	case PASSWD_DELETE:
	case PASSWD_DISABLE:
	case PASSWD_ENABLE:
		return pg_change(req);
	case PASSWD_VERIFY:
		return pg_verify(req);
	case PASSWD_LIST:
		return pg_list(req);
	case PASSWD_IMPORT:
		return pg_import(req);
	case PASSWD_GROUP_ADD:
	case PASSWD_GROUP_DEL:
		return pg_group(req);
	}
	return PASSWD_EXIT_FAIL;
}

#endif /* HAVE_PGSQL */
