/* passwd_sqlite_list.c - digest_passwd --sqlite: -l, and --group-add,
 * --group-del.  -l reads the users and their groups in one read
 * transaction, so the two agree; a change of groups is one BEGIN
 * IMMEDIATE transaction on an existing user.  The groups need schema
 * version 2; an older store lists its users without them.
 */
#include "config.h"

#ifdef PASSWD_SQLITE

#include <stdbool.h>
#include <stdio.h>

#include <sqlite3.h>

#include "digest.h"
#include "log.h"
#include "passwd.h"
#include "passwd_sqlite_int.h"
#include "passwd_store.h"
#include "sqlschema.h"

#define SQL_LIST_ALL \
	"SELECT user, realm, enabled FROM digest_users ORDER BY realm, user"
#define SQL_LIST_REALM \
	"SELECT user, realm, enabled FROM digest_users WHERE realm = :realm ORDER BY user"
#define SQL_USER_EXISTS \
	"SELECT 1 FROM digest_users WHERE user = :user AND realm = :realm"
#define SQL_GROUP_ADD \
	"INSERT INTO digest_groups (user, realm, grp) VALUES (:user, :realm, :grp)" \
	" ON CONFLICT (user, realm, grp) DO NOTHING"
#define SQL_GROUP_DEL \
	"DELETE FROM digest_groups WHERE user = :user AND realm = :realm AND grp = :grp"

/* Does r's user exist in r's realm?  1 yes, 0 no, -1 error (logged). */
static int
sql_user_exists(struct store *s, const struct row *r)
{
	sqlite3_stmt *st = store_prepare(s, SQL_USER_EXISTS);
	int rc, found = -1;

	if (st == NULL)
		return -1;
	if (store_bind_row(st, r) != SQLITE_OK)
		store_error(s, "cannot bind a value");
	else if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		found = 1;
	else if (rc == SQLITE_DONE)
		found = 0;
	else
		store_error(s, "cannot read");
	sqlite3_finalize(st);
	return found;
}

/* --group-add, --group-del: one transaction on an existing user.
 * Adding a group the user is in already changes nothing and is not an
 * error (as --init run again); removing one it is not in is. */
int
sqpw_group(const struct passwd_req *req)
{
	bool add = req->verb == PASSWD_GROUP_ADD;
	struct row r = store_row_of(req);
	struct store s;
	int rc = PASSWD_EXIT_FAIL, n;

	if (store_open_checked(&s, req, false) < 0)
		return PASSWD_EXIT_FAIL;
	if (!STORE_HAS_GROUPS(&s)) {
		log_error("%s: schema version %lld has no groups; upgrade it with: digest_passwd --sqlite %s --init",
		    req->path, s.version, req->path);
		goto out;
	}
	if (store_begin(&s) < 0 || (n = sql_user_exists(&s, &r)) < 0)
		goto out;
	if (n == 0) {
		passwd_not_found(req);
		goto out;
	}
	n = store_write(&s, add ? SQL_GROUP_ADD : SQL_GROUP_DEL, &r);
	if (n < 0 || passwd_group_check(req, n) < 0 || store_commit(&s) < 0)
		goto out;
	passwd_group_report(req, n);
	rc = PASSWD_EXIT_OK;
out:
	store_rollback(&s);
	store_close(&s);
	return rc;
}

/* After a listed user: a tab and its groups, comma-separated (nothing
 * for a user without groups).  st is SQLSCHEMA_GROUPS, reset after. */
static int
list_groups(sqlite3_stmt *st, sqlite3_stmt *user)
{
	int rc, k = 0;

	if (sqlite3_bind_value(st, sqlite3_bind_parameter_index(st, ":user"),
	    sqlite3_column_value(user, 0)) != SQLITE_OK ||
	    sqlite3_bind_value(st, sqlite3_bind_parameter_index(st, ":realm"),
	    sqlite3_column_value(user, 1)) != SQLITE_OK)
		return SQLITE_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			continue;
		fputs(k++ == 0 ? "\t" : ",", stdout);
		passwd_print_group((const char *)sqlite3_column_text(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
sqpw_list(const struct passwd_req *req)
{
	struct row r = store_row_of(req);
	struct store s;
	sqlite3_stmt *st, *groups = NULL;
	int rc;

	if (store_open_checked(&s, req, true) < 0)
		return PASSWD_EXIT_FAIL;
	st = store_prepare(&s, req->realm != NULL ? SQL_LIST_REALM : SQL_LIST_ALL);
	if (st == NULL || store_bind_row(st, &r) != SQLITE_OK ||
	    (STORE_HAS_GROUPS(&s) &&
	    (groups = store_prepare(&s, SQLSCHEMA_GROUPS)) == NULL)) {
		sqlite3_finalize(st);
		store_close(&s);
		return PASSWD_EXIT_FAIL;
	}
	/* one read transaction: the users and their groups agree */
	if (store_exec(&s, "BEGIN", "cannot start a read transaction") < 0) {
		rc = SQLITE_ERROR;
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		passwd_print_name(stdout, (const char *)sqlite3_column_text(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
		putchar(':');
		passwd_print_name(stdout, (const char *)sqlite3_column_text(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1));
		if (!sqlite3_column_int(st, 2))
			fputs(" (disabled)", stdout);
		if (groups != NULL && (rc = list_groups(groups, st)) != SQLITE_OK) {
			putchar('\n');
			break;
		}
		putchar('\n');
	}
	if (rc != SQLITE_DONE)
		store_error(&s, "cannot list the users");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(groups);
	store_rollback(&s);
	store_close(&s);
	return rc == SQLITE_DONE ? PASSWD_EXIT_OK : PASSWD_EXIT_FAIL;
}

#endif /* PASSWD_SQLITE */
