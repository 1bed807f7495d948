/* passwd_pgsql_list.c - digest_passwd --pgsql: -l, and --group-add,
 * --group-del.  -l reads the users and their groups in one statement (one
 * snapshot), printed as the SQLite store prints them; a change of groups
 * is one transaction on a user locked against a delete meanwhile.
 */
#include "config.h"

#ifdef PASSWD_PGSQL

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "digest.h"
#include "log.h"
#include "passwd.h"
#include "passwd_pgsql_int.h"

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

/* --group-add, --group-del: one transaction on an existing user, which
 * stays locked against a delete meanwhile.  Adding a group the user is
 * in already is not an error; removing one it is not in is. */
int
pgpw_group(const struct passwd_req *req)
{
	bool add = req->verb == PASSWD_GROUP_ADD;
	const struct digest_str v[3] = { digest_str_c(req->user), digest_str_c(req->realm),
	    digest_str_c(req->group) };
	PGresult *res;
	struct pg p;
	int rc = PASSWD_EXIT_FAIL, n;

	if (pgpw_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (pgpw_begin(&p) < 0 ||
	    (res = pgpw_run(&p, SQL_USER_LOCK, 2, v, "cannot read the user")) == NULL)
		goto out;
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		passwd_not_found(req);
		goto out;
	}
	n = pgpw_write(&p, add ? SQL_GROUP_ADD : SQL_GROUP_DEL, 3, v,
	    "cannot change the groups");
	if (n < 0 || passwd_group_check(req, n) < 0 || pgpw_commit(&p) < 0)
		goto out;
	passwd_group_report(req, n);
	rc = PASSWD_EXIT_OK;
out:
	pgpw_close(&p);
	return rc;
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
int
pgpw_list(const struct passwd_req *req)
{
	const struct digest_str v[1] = { digest_str_c(req->realm) };
	PGresult *res;
	struct pg p;
	int i, k = 0, n;

	if (pgpw_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	res = pgpw_run(&p, req->realm != NULL ? SQL_LIST_REALM : SQL_LIST_ALL,
	    req->realm != NULL ? 1 : 0, v, "cannot list the users");
	pgpw_close(&p);
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
		passwd_print_group(PQgetvalue(res, i, 3), (size_t)PQgetlength(res, i, 3));
	}
	if (n > 0)
		putchar('\n');
	PQclear(res);
	return PASSWD_EXIT_OK;
}

#endif /* PASSWD_PGSQL */
