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
 *
 * This file: the verbs on one user (set, -D, --disable, --enable, -v)
 * and the dispatch; the others are listed in passwd_pgsql_int.h.
 */
#include "config.h"

#ifdef PASSWD_PGSQL

#include <stdbool.h>

#include <libpq-fe.h>

#include "digest.h"
#include "log.h"
#include "passwd.h"
#include "passwd_pgsql.h"
#include "passwd_pgsql_int.h"
#include "pgschema.h"
#include "secret.h"

#define SQL_DELETE \
	"DELETE FROM digest_users WHERE username = $1 AND realm = $2"
#define SQL_DISABLE \
	"UPDATE digest_users SET enabled = false WHERE username = $1 AND realm = $2"
#define SQL_ENABLE \
	"UPDATE digest_users SET enabled = true WHERE username = $1 AND realm = $2"

static int
pg_set(const struct passwd_req *req)
{
	char ha1[PASSWD_HA1_SIZE] = "", su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	struct digest_str v[3] = { digest_str_c(req->user), digest_str_c(req->realm) };
	PGresult *res = NULL;
	struct pg p;
	bool added;
	int rc = PASSWD_EXIT_FAIL;

	if (pgpw_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (passwd_get_ha1(req, true, ha1) < 0 || pgpw_begin(&p) < 0)
		goto out;
	v[2] = (struct digest_str){ ha1, 32 };
	if ((res = pgpw_run(&p, SQL_UPSERT, 3, v, "cannot store the user")) == NULL)
		goto out;
	added = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	if (pgpw_commit(&p) < 0)
		goto out;
	log_info("%s user %s in realm %s", added ? "added" :
	    "changed the password of", passwd_show(req->user, su),
	    passwd_show(req->realm, sr));
	rc = PASSWD_EXIT_OK;
out:
	PQclear(res);
	pgpw_close(&p);
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
	const struct digest_str v[2] = { digest_str_c(req->user), digest_str_c(req->realm) };
	struct pg p;
	int rc = PASSWD_EXIT_FAIL, n;

	passwd_show(req->user, su);
	passwd_show(req->realm, sr);
	if (pgpw_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (pgpw_begin(&p) < 0 ||
	    (n = pgpw_write(&p, sql[req->verb], 2, v, "cannot change the user")) < 0)
		goto out;
	if (n == 0) {
		log_error("user %s not found in realm %s", su, sr);
		goto out;
	}
	if (pgpw_commit(&p) < 0)
		goto out;
	log_info("%s user %s in realm %s", done[req->verb], su, sr);
	rc = PASSWD_EXIT_OK;
out:
	pgpw_close(&p);
	return rc;
}

/* The stored HA1 and flag of req's user: 1 found, 0 not, -1 error.  The
 * result's copy of the HA1 is wiped before it is freed. */
static int
pg_lookup(struct pg *p, const struct passwd_req *req, char *ha1_r,
    bool *enabled_r)
{
	const struct digest_str v[2] = { digest_str_c(req->user), digest_str_c(req->realm) };
	PGresult *res = pgpw_run(p, PGSCHEMA_LOOKUP, 2, v, "cannot read the user");
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

/* -v's lookup: open, read, close (passwd_verbs.c asks for the password). */
static int
pg_lookup_closed(const struct passwd_req *req, char *ha1_r, bool *enabled_r)
{
	struct pg p;
	int found;

	if (pgpw_open(&p, req) < 0)
		return -1;
	found = pg_lookup(&p, req, ha1_r, enabled_r);
	pgpw_close(&p);
	return found;
}

static const struct passwd_store_ops pg_ops = {
	.init = pgpw_init,
	.set = pg_set,
	.change = pg_change,
	.lookup = pg_lookup_closed,
	.list = pgpw_list,
	.import = pgpw_import,
	.group = pgpw_group,
};

int
passwd_pgsql_run(const struct passwd_req *req)
{
	return passwd_store_run(&pg_ops, req);
}

#endif /* PASSWD_PGSQL */
