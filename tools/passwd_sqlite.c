/* passwd_sqlite.c - digest_passwd --sqlite: the verbs on an SQLite store.
 *
 * One connection per run.  Reads (-v, -l) open the database read-only;
 * writes run in BEGIN IMMEDIATE so two admins (or an admin and a helper
 * reading) serialise on the busy timeout instead of one failing, and an
 * update-then-insert cannot race.  Nothing is held across a password
 * prompt.  A user's groups (schema version 2) go with the user: -D
 * deletes them in the same transaction, --group-add needs the user.
 * --import is in passwd_import.c, the connection in passwd_store.c, -l
 * and --group-add/--group-del in passwd_sqlite_list.c.
 */
#include "config.h"

#include <stdbool.h>

#include "log.h"
#include "passwd.h"
#include "passwd_sqlite.h"

#ifndef PASSWD_SQLITE

bool
passwd_sqlite_available(void)
{
	return false;
}

int
passwd_sqlite_run(const struct passwd_req *req)
{
	(void)req;
	log_error("SQLite support not compiled in");
	return PASSWD_EXIT_FAIL;
}

#else /* PASSWD_SQLITE */

#include <sqlite3.h>

#include "digest.h"
#include "passwd_sqlite_int.h"
#include "passwd_store.h"
#include "secret.h"
#include "sqlschema.h"

#define SQL_DELETE \
	"DELETE FROM digest_users WHERE user = :user AND realm = :realm"
#define SQL_SET_ENABLED \
	"UPDATE digest_users SET enabled = :enabled WHERE user = :user AND realm = :realm"
#define SQL_GROUPS_DELETE \
	"DELETE FROM digest_groups WHERE user = :user AND realm = :realm"

bool
passwd_sqlite_available(void)
{
	return true;
}

static int
sql_init(const struct passwd_req *req)
{
	struct store s;
	int rc = PASSWD_EXIT_FAIL;

	if (store_open(&s, req->path, true, false) < 0)
		return PASSWD_EXIT_FAIL;
	if (store_init_schema(&s) == 0) {
		if (s.migrated)
			log_info("%s: schema version %d ready (migrated from version %lld)",
			    req->path, SQLSCHEMA_VERSION, s.migrated_from);
		else
			log_info("%s: schema version %d ready", req->path,
			    SQLSCHEMA_VERSION);
		rc = PASSWD_EXIT_OK;
	}
	store_close(&s);
	return rc;
}

static int
sql_set(const struct passwd_req *req)
{
	char ha1[PASSWD_HA1_SIZE], su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	struct row r = store_row_of(req);
	struct store s;
	int rc = PASSWD_EXIT_FAIL, n = -1, added = 0;

	if (store_open_checked(&s, req, false) < 0)
		return PASSWD_EXIT_FAIL;
	if (passwd_get_ha1(req, true, ha1) < 0)
		goto out;
	r.ha1 = ha1;
	if (store_begin(&s) < 0)
		goto out;
	/* changing the password keeps the enabled flag */
	n = store_write(&s, SQL_SET_HA1, &r);
	if (n == 0) {
		added = 1;
		n = store_write(&s, SQL_INSERT, &r);
	}
	if (n < 0 || store_commit(&s) < 0)
		goto out;
	log_info("%s user %s in realm %s", added ? "added" :
	    "changed the password of", passwd_show(req->user, su),
	    passwd_show(req->realm, sr));
	rc = PASSWD_EXIT_OK;
out:
	store_rollback(&s);
	store_close(&s);
	secret_wipe(ha1, sizeof(ha1));
	return rc;
}

/* -D, --disable, --enable: one statement on an existing user. */
static int
sql_change(const struct passwd_req *req)
{
	static const char *const done[] = {
		[PASSWD_DELETE] = "deleted",
		[PASSWD_DISABLE] = "disabled",
		[PASSWD_ENABLE] = "enabled",
	};
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	struct row r = store_row_of(req);
	struct store s;
	int rc = PASSWD_EXIT_FAIL, n = -1;

	passwd_show(req->user, su);
	passwd_show(req->realm, sr);
	r.enabled = req->verb == PASSWD_ENABLE;
	if (store_open_checked(&s, req, false) < 0)
		return PASSWD_EXIT_FAIL;
	if (store_begin(&s) < 0)
		goto out;
	n = store_write(&s, req->verb == PASSWD_DELETE ? SQL_DELETE :
	    SQL_SET_ENABLED, &r);
	if (n < 0)
		goto out;
	if (n == 0) {
		log_error("user %s not found in realm %s", su, sr);
		goto out;
	}
	/* a deleted user's groups go with it, or a user added again later
	 * under that name would get them back */
	if (req->verb == PASSWD_DELETE && STORE_HAS_GROUPS(&s) &&
	    store_write(&s, SQL_GROUPS_DELETE, &r) < 0)
		goto out;
	if (store_commit(&s) < 0)
		goto out;
	log_info("%s user %s in realm %s", done[req->verb], su, sr);
	rc = PASSWD_EXIT_OK;
out:
	store_rollback(&s);
	store_close(&s);
	return rc;
}

/* Look up the stored HA1 and flag; 1 found, 0 not, -1 error.  The
 * statement is finished before returning, so no lock is held while the
 * password is typed. */
static int
sql_lookup(struct store *s, const struct passwd_req *req, char *ha1_r,
    bool *enabled_r)
{
	struct row r = store_row_of(req);
	sqlite3_stmt *st = store_prepare(s, SQLSCHEMA_LOOKUP);
	const unsigned char *v;
	int rc, found = -1;

	if (st == NULL)
		return -1;
	if (store_bind_row(st, &r) != SQLITE_OK) {
		store_error(s, "cannot bind a value");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		found = 0;
	} else if (rc != SQLITE_ROW) {
		store_error(s, "cannot read");
	} else if ((v = sqlite3_column_text(st, 0)) == NULL ||
	    !digest_is_hex(digest_alg_md5(), (const char *)v,
	    (size_t)sqlite3_column_bytes(st, 0))) {
		log_error("%s: the stored HA1 of this user is not 32 hex digits",
		    s->path);
	} else {
		digest_hex_lower((const char *)v, 32, ha1_r);
		*enabled_r = sqlite3_column_int(st, 1) != 0;
		found = 1;
	}
out:
	sqlite3_finalize(st);
	return found;
}

/* -v's lookup: open, read, close (passwd_verbs.c asks for the password). */
static int
sql_lookup_closed(const struct passwd_req *req, char *ha1_r, bool *enabled_r)
{
	struct store s;
	int found;

	if (store_open_checked(&s, req, true) < 0)
		return -1;
	found = sql_lookup(&s, req, ha1_r, enabled_r);
	store_close(&s);
	return found;
}

static const struct passwd_store_ops sql_ops = {
	.init = sql_init,
	.set = sql_set,
	.change = sql_change,
	.lookup = sql_lookup_closed,
	.list = sqpw_list,
	.import = passwd_import_run,
	.group = sqpw_group,
};

int
passwd_sqlite_run(const struct passwd_req *req)
{
	return passwd_store_run(&sql_ops, req);
}

#endif /* PASSWD_SQLITE */
