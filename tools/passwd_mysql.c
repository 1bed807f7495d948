/* passwd_mysql.c - digest_passwd --mysql FILE: the verbs on a MariaDB or
 * MySQL store (lib/myschema.h), the same as on the PostgreSQL store.
 *
 * One connection per run, from the option file's [client] group (see
 * passwd_mysql.h).  Every value is bound; each verb is one transaction.
 * A change of password is one INSERT ... ON DUPLICATE KEY UPDATE, so
 * concurrent writers cannot lose each other's rows, and it keeps the
 * enabled flag.  A user's groups go with it (ON DELETE CASCADE).
 *
 * This file: the verbs on one user, -l, and the dispatch; --import is in
 * passwd_mysql_import.c, the connection in passwd_mysql_conn.c.
 */
#include "config.h"

#ifdef PASSWD_MYSQL

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "log.h"
#include "myschema.h"
#include "passwd.h"
#include "passwd_mysql.h"
#include "passwd_mysql_int.h"
#include "secret.h"

#define SQL_DELETE "DELETE FROM digest_users WHERE username = ? AND realm = ?"
#define SQL_DISABLE \
	"UPDATE digest_users SET enabled = FALSE WHERE username = ? AND realm = ?"
#define SQL_ENABLE \
	"UPDATE digest_users SET enabled = TRUE WHERE username = ? AND realm = ?"
#define SQL_USER_LOCK \
	"SELECT 1 FROM digest_users WHERE username = ? AND realm = ? LOCK IN SHARE MODE"
#define SQL_GROUP_ADD \
	"INSERT IGNORE INTO digest_groups (username, realm, grp) VALUES (?, ?, ?)"
#define SQL_GROUP_DEL \
	"DELETE FROM digest_groups WHERE username = ? AND realm = ? AND grp = ?"
/* Users and their groups in one statement, in byte order (the columns
 * are VARBINARY), as the SQLite store lists them. */
#define SQL_LIST_HEAD \
	"SELECT u.username, u.realm, u.enabled, g.grp FROM digest_users u" \
	" LEFT JOIN digest_groups g ON g.username = u.username AND g.realm = u.realm"
#define SQL_LIST_TAIL " ORDER BY u.realm, u.username, g.grp"

static int
my_set(const struct passwd_req *req)
{
	char ha1[PASSWD_HA1_SIZE] = "", su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	struct digest_str v[3] = { digest_str_c(req->user), digest_str_c(req->realm) };
	struct mypw p;
	long long n;
	int rc = PASSWD_EXIT_FAIL;

	if (mypw_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (passwd_get_ha1(req, true, ha1) < 0 || mypw_begin(&p) < 0)
		goto out;
	v[2] = (struct digest_str){ ha1, 32 };
	if ((n = mypw_write(&p, MYPW_UPSERT, 3, v, "cannot store the user")) < 0 ||
	    mypw_commit(&p) < 0)
		goto out;
	log_info("%s user %s in realm %s", n == 1 ? "added" :
	    "changed the password of", passwd_show(req->user, su),
	    passwd_show(req->realm, sr));
	rc = PASSWD_EXIT_OK;
out:
	mypw_close(&p);
	secret_wipe(ha1, sizeof(ha1));
	return rc;
}

/* Is there such a user (1, 0), locked against a delete until the end of
 * the transaction; -1 on an error. */
static int
user_exists(struct mypw *p, const struct digest_str *v)
{
	struct mypw_val x;
	long long rows;
	MYSQL_STMT *st = mypw_run(p, SQL_USER_LOCK, 2, v, "cannot read the user",
	    &rows);
	int rc;

	if (st == NULL)
		return -1;
	rc = mypw_fetch(p, st, &x, 1);
	if (rc == 1)
		mypw_val_free(&x, 1);
	mypw_stmt_done(st);
	return rc;
}

/* -D, --disable, --enable, --group-add, --group-del: one transaction on
 * an existing user. */
static int
my_change(const struct passwd_req *req)
{
	static const char *const sql[] = {
		[PASSWD_DELETE] = SQL_DELETE, [PASSWD_DISABLE] = SQL_DISABLE,
		[PASSWD_ENABLE] = SQL_ENABLE, [PASSWD_GROUP_ADD] = SQL_GROUP_ADD,
		[PASSWD_GROUP_DEL] = SQL_GROUP_DEL,
	};
	static const char *const done[] = {
		[PASSWD_DELETE] = "deleted", [PASSWD_DISABLE] = "disabled",
		[PASSWD_ENABLE] = "enabled",
	};
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	const struct digest_str v[3] = { digest_str_c(req->user), digest_str_c(req->realm),
	    digest_str_c(req->group) };
	bool grp = req->verb == PASSWD_GROUP_ADD || req->verb == PASSWD_GROUP_DEL;
	struct mypw p;
	long long n;
	int rc = PASSWD_EXIT_FAIL, found;

	if (mypw_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (mypw_begin(&p) < 0 || (found = user_exists(&p, v)) < 0)
		goto out;
	if (found == 0) {
		passwd_not_found(req);
		goto out;
	}
	if ((n = mypw_write(&p, sql[req->verb], grp ? 3 : 2, v,
	    grp ? "cannot change the groups" : "cannot change the user")) < 0 ||
	    (grp && passwd_group_check(req, (int)n) < 0) || mypw_commit(&p) < 0)
		goto out;
	if (grp)
		passwd_group_report(req, (int)n);
	else
		log_info("%s user %s in realm %s", done[req->verb],
		    passwd_show(req->user, su), passwd_show(req->realm, sr));
	rc = PASSWD_EXIT_OK;
out:
	mypw_close(&p);
	return rc;
}

/* The stored HA1 and flag of req's user: 1 found, 0 not, -1 error. */
static int
my_lookup(struct mypw *p, const struct passwd_req *req, char *ha1_r,
    bool *enabled_r)
{
	const struct digest_str v[2] = { digest_str_c(req->user), digest_str_c(req->realm) };
	struct mypw_val x[2];
	long long rows;
	MYSQL_STMT *st = mypw_run(p, MYSCHEMA_LOOKUP, 2, v, "cannot read the user",
	    &rows);
	int rc;

	if (st == NULL)
		return -1;
	rc = mypw_fetch(p, st, x, 2);
	mypw_stmt_done(st);
	if (rc <= 0)
		return rc;
	if (x[0].null || !digest_is_hex(digest_alg_md5(), x[0].p, x[0].n)) {
		log_error("%s: the stored HA1 of this user is not 32 hex digits",
		    p->shown);
		rc = -1;
	} else {
		digest_hex_lower(x[0].p, 32, ha1_r);
		*enabled_r = !(x[1].n == 1 && x[1].p[0] == '0');
	}
	mypw_val_free(x, 2);
	return rc;
}

/* -v's lookup: open, read, close (passwd_verbs.c asks for the password). */
static int
my_lookup_closed(const struct passwd_req *req, char *ha1_r, bool *enabled_r)
{
	struct mypw p;
	int found;

	if (mypw_open(&p, req) < 0)
		return -1;
	found = my_lookup(&p, req, ha1_r, enabled_r);
	mypw_close(&p);
	return found;
}

static bool
same(const struct mypw_val *a, const struct mypw_val *b)
{
	return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* -l: "user:realm", " (disabled)", then a tab and the groups,
 * comma-separated, when there are any. */
static int
my_list(const struct passwd_req *req)
{
	const struct digest_str v[1] = { digest_str_c(req->realm) };
	struct mypw_val row[4], prev[2] = { { NULL, 0, true }, { NULL, 0, true } };
	struct mypw p;
	MYSQL_STMT *st;
	long long rows;
	int rc = -1, k = 0, any = 0;

	if (mypw_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	st = mypw_run(&p, req->realm != NULL ? SQL_LIST_HEAD " WHERE u.realm = ?"
	    SQL_LIST_TAIL : SQL_LIST_HEAD SQL_LIST_TAIL, req->realm != NULL ? 1 : 0,
	    v, "cannot list the users", &rows);
	while (st != NULL && (rc = mypw_fetch(&p, st, row, 4)) == 1) {
		if (!any || !same(&row[0], &prev[0]) || !same(&row[1], &prev[1])) {
			if (any)
				putchar('\n');
			passwd_print_name(stdout, row[0].p, row[0].n);
			putchar(':');
			passwd_print_name(stdout, row[1].p, row[1].n);
			if (row[2].n == 1 && row[2].p[0] == '0')
				fputs(" (disabled)", stdout);
			k = 0;
		}
		if (!row[3].null) {
			fputs(k++ == 0 ? "\t" : ",", stdout);
			passwd_print_group(row[3].p, row[3].n);
		}
		any = 1;
		mypw_val_free(prev, 2);
		prev[0] = row[0];
		prev[1] = row[1];
		mypw_val_free(&row[2], 2);
	}
	mypw_val_free(prev, 2);
	if (any)
		putchar('\n');
	rc = st != NULL && rc == 0 ? PASSWD_EXIT_OK : PASSWD_EXIT_FAIL;
	mypw_stmt_done(st);
	mypw_close(&p);
	return rc;
}

static const struct passwd_store_ops my_ops = {
	.init = mypw_init,
	.set = my_set,
	.change = my_change,
	.lookup = my_lookup_closed,
	.list = my_list,
	.import = mypw_import,
	.group = my_change,
};

int
passwd_mysql_run(const struct passwd_req *req)
{
	return passwd_store_run(&my_ops, req);
}

#endif /* PASSWD_MYSQL */
