/* passwd_pgsql_conn.c - the connection of digest_passwd --pgsql CONNINFO.
 *
 * CONNINFO is handed to libpq as it is (keywords or a URI; a bare word is
 * a database name); one that holds a password is refused before anything
 * is sent, as is a PGPASSWORD in the environment: the password comes from
 * a password file (PGPASSFILE, ~/.pgpass, or the passfile keyword).
 * Messages never show CONNINFO, only the host, port and database the
 * connection reached (or, before it, was asked for), and of a server's
 * error only its primary message: the DETAIL of a failed row names the
 * row's values, an HA1 among them.  Every value is bound as a parameter
 * (binary text, so no value is ever parsed as SQL).
 */
#include "config.h"

#ifdef PASSWD_PGSQL

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "digest.h"
#include "log.h"
#include "passwd.h"
#include "passwd_pgsql_int.h"

/* The first line of a libpq message, control bytes as spaces. */
const char *
pgpw_first_line(const char *msg, char *out, size_t outlen)
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
	const char *p = pgpw_first_line(msg, line, sizeof(line)), *q;
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

void
pgpw_error(const struct pg *p, const PGresult *res, const char *what)
{
	char line[PG_MSG_SIZE];
	const char *m = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	log_error("%s: %s: %s", p->shown, what,
	    pgpw_first_line(m != NULL ? m : PQerrorMessage(p->conn), line,
	    sizeof(line)));
}

/* Server notices (CREATE TABLE IF NOT EXISTS says "skipping") are for -d. */
static void
notice(void *arg, const char *msg)
{
	char line[PG_MSG_SIZE];

	(void)arg;
	log_debug("server: %s", pgpw_first_line(msg, line, sizeof(line)));
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

void
pgpw_close(struct pg *p)
{
	PQfinish(p->conn);
	p->conn = NULL;
}

int
pgpw_connect(struct pg *p, const struct passwd_req *req)
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
		    pgpw_first_line(PQerrorMessage(p->conn), line, sizeof(line)));
		pgpw_close(p);
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
PGresult *
pgpw_run(struct pg *p, const char *sql, int n, const struct digest_str *v,
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
	pgpw_error(p, res, what);
	PQclear(res);
	return NULL;
}

/* Rows a statement changed, or -1 after logging. */
int
pgpw_write(struct pg *p, const char *sql, int n, const struct digest_str *v,
    const char *what)
{
	PGresult *res = pgpw_run(p, sql, n, v, what);
	int rows;

	if (res == NULL)
		return -1;
	rows = atoi(PQcmdTuples(res));
	PQclear(res);
	return rows;
}

int
pgpw_exec(struct pg *p, const char *sql, const char *what)
{
	PGresult *res = pgpw_run(p, sql, 0, NULL, what);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

int
pgpw_begin(struct pg *p)
{
	return pgpw_exec(p, "BEGIN", "cannot start a transaction");
}

/* COMMIT; a transaction that failed part way answers ROLLBACK. */
int
pgpw_commit(struct pg *p)
{
	PGresult *res = pgpw_run(p, "COMMIT", 0, NULL, "cannot commit");
	bool ok = res != NULL && strcmp(PQcmdStatus(res), "COMMIT") == 0;

	if (res != NULL && !ok)
		log_error("%s: the transaction was rolled back; nothing changed",
		    p->shown);
	PQclear(res);
	return ok ? 0 : -1;
}

#endif /* PASSWD_PGSQL */
