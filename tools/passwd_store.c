/* passwd_store.c - the SQLite connection of digest_passwd --sqlite.
 *
 * A missing database file is created by us, 0640 minus the umask, before
 * SQLite opens it: SQLite would use 0644, and gives its journal the mode
 * of the database.  The path is walked as lib/safefile.h describes, so a
 * link planted in /tmp cannot make root write a schema into another
 * user's file.  Every statement is prepared with named parameters and
 * bound; the busy timeout makes BEGIN IMMEDIATE wait for other writers.
 */
#include "config.h"

#ifdef PASSWD_SQLITE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "log.h"
#include "passwd.h"
#include "passwd_store.h"
#include "safefile.h"
#include "secret.h"
#include "sqlschema.h"

#define SQL_CHECK_TABLE \
	"SELECT user, realm, ha1, enabled FROM digest_users LIMIT 0"
#define SQL_CHECK_GROUPS \
	"SELECT user, realm, grp FROM digest_groups LIMIT 0"

static void no_schema(const struct store *);
static int store_check_schema(struct store *);
static int schema_problem(struct store *, enum sqlschema_state, long long);
static int bind_named(sqlite3_stmt *, const char *, struct digest_str);

void
store_error(const struct store *s, const char *what)
{
	log_error("%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

void
store_close(struct store *s)
{
	sqlite3_close(s->db);
	s->db = NULL;
}

/* The entry at leads to, made a regular file: created (0640 and the
 * umask, so SQLite, which would use 0644, and its journals inherit it)
 * when missing and create is set. */
static int
store_entry(const struct safe_path *at, bool create)
{
	char err[PATH_MAX + 256];
	struct stat st;
	int fd = safe_path_open(at, O_RDONLY, &st, err, sizeof(err));

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != ENOENT) {
		log_error("%s", err);
		return -1;
	}
	if (!create) {
		log_error("%s does not exist (create it with: digest_passwd --sqlite %s --init)",
		    at->shown, at->shown);
		return -1;
	}
	fd = openat(at->dirfd, at->name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0 && errno != EEXIST) {
		log_error("cannot create %s: %s", at->shown, strerror(errno));
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* The name SQLite opens: the walked directory's own path and the entry.
 * SQLite takes a name, not a descriptor; SQLITE_OPEN_NOFOLLOW keeps it
 * from following a link put in the entry's place meanwhile. */
static char *
store_real_name(const struct safe_path *at)
{
	char *name = safe_path_real(at, true);

	if (name == NULL)
		log_error("cannot find the directory of %s: %s", at->shown,
		    strerror(errno));
	return name;
}

/* Open the database; links are followed only where safefile.h allows,
 * and only a regular file is opened. */
int
store_open(struct store *s, const char *path, bool create, bool readonly)
{
	struct safe_path at;
	char err[PATH_MAX + 256], *real = NULL;
	int rc = -1;

	s->db = NULL;
	s->path = path;
	s->version = 0;
	s->migrated = false;
	s->migrated_from = 0;
	if (safe_path_resolve(path, &at, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	if (store_entry(&at, create) < 0 || (real = store_real_name(&at)) == NULL)
		goto out;
	rc = sqlite3_open_v2(real, &s->db, SQLITE_OPEN_NOFOLLOW | (readonly ?
	    SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE), NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot open %s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		store_close(s);
		rc = -1;
		goto out;
	}
	sqlite3_busy_timeout(s->db, SQLSCHEMA_ADMIN_BUSY_MS);
out:
	free(real);
	safe_path_free(&at);
	return rc;
}

int
store_exec(struct store *s, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("%s: %s: %s", s->path, what,
		    msg != NULL ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
store_begin(struct store *s)
{
	return store_exec(s, "BEGIN IMMEDIATE", "cannot start a write transaction");
}

int
store_commit(struct store *s)
{
	return store_exec(s, "COMMIT", "cannot commit");
}

void
store_rollback(struct store *s)
{
	if (s->db != NULL && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static void
no_schema(const struct store *s)
{
	log_error("%s has no digest-helpers schema (%s); create it with: digest_passwd --sqlite %s --init",
	    s->path, sqlite3_errmsg(s->db), s->path);
}

/* Log what sqlschema_check() found, unless it is a version we read.
 * Returns 0 for that, else -1. */
static int
schema_problem(struct store *s, enum sqlschema_state state, long long version)
{
	switch (state) {
	case SQLSCHEMA_OK:
		return 0;
	case SQLSCHEMA_MISSING:
		no_schema(s);
		break;
	case SQLSCHEMA_EMPTY:
		log_error("%s: schema_version is empty; run: digest_passwd --sqlite %s --init",
		    s->path, s->path);
		break;
	case SQLSCHEMA_NEWER:
		log_error("%s: schema version %lld is newer than this digest_passwd knows (%d); upgrade digest-helpers",
		    s->path, version, SQLSCHEMA_VERSION);
		break;
	case SQLSCHEMA_ERROR:
		store_error(s, "cannot read the schema version");
		break;
	}
	return -1;
}

/* A table of the schema is there with the columns we use. */
static int
check_table(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		no_schema(s);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* The schema is ours and not newer than this program; s->version says
 * which it is. */
static int
store_check_schema(struct store *s)
{
	long long version;
	enum sqlschema_state state = sqlschema_check(s->db, &version);

	if (schema_problem(s, state, version) < 0 ||
	    check_table(s, SQL_CHECK_TABLE) < 0)
		return -1;
	s->version = version;
	if (STORE_HAS_GROUPS(s) && check_table(s, SQL_CHECK_GROUPS) < 0)
		return -1;
	return 0;
}

/* Create the schema (idempotent), migrating an older version, and check
 * it. */
int
store_init_schema(struct store *s)
{
	enum sqlschema_state state;
	long long version;

	s->migrated = false;
	if (store_begin(s) < 0)
		return -1;
	/* a newer or unreadable store is left as it is */
	state = sqlschema_check(s->db, &version);
	if ((state == SQLSCHEMA_NEWER || state == SQLSCHEMA_ERROR) &&
	    schema_problem(s, state, version) < 0)
		goto fail;
	if (store_exec(s, SQLSCHEMA_CREATE, "cannot create the schema") < 0)
		goto fail;
	if (state == SQLSCHEMA_OK && version < SQLSCHEMA_VERSION &&
	    store_exec(s, SQLSCHEMA_MIGRATE, "cannot migrate the schema") < 0)
		goto fail;
	if (store_check_schema(s) < 0)
		goto fail;
	if (s->version != SQLSCHEMA_VERSION) {
		log_error("%s: schema version %lld after --init, expected %d",
		    s->path, s->version, SQLSCHEMA_VERSION);
		goto fail;
	}
	if (store_commit(s) < 0)
		goto fail;
	if (state == SQLSCHEMA_OK && version < SQLSCHEMA_VERSION) {
		s->migrated = true;
		s->migrated_from = version;
	}
	return 0;
fail:
	store_rollback(s);
	return -1;
}

/* Open for a verb: read-only or not; create or check the schema. */
int
store_open_checked(struct store *s, const struct passwd_req *req, bool readonly)
{
	if (store_open(s, req->path, req->create, readonly) < 0)
		return -1;
	if ((req->create ? store_init_schema(s) : store_check_schema(s)) < 0) {
		store_close(s);
		return -1;
	}
	return 0;
}

static int
bind_named(sqlite3_stmt *st, const char *name, struct digest_str v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i == 0 || v.p == NULL)
		return SQLITE_OK;
	if (v.n > INT_MAX)
		return SQLITE_TOOBIG;
	return sqlite3_bind_text(st, i, v.p, (int)v.n, SQLITE_STATIC);
}

/* Bind the values of r that st names. */
int
store_bind_row(sqlite3_stmt *st, const struct row *r)
{
	int i, rc;

	if ((rc = bind_named(st, ":user", r->user)) != SQLITE_OK ||
	    (rc = bind_named(st, ":realm", r->realm)) != SQLITE_OK ||
	    (rc = bind_named(st, ":grp", r->group)) != SQLITE_OK ||
	    (rc = bind_named(st, ":ha1", digest_str_c(r->ha1))) != SQLITE_OK)
		return rc;
	if ((i = sqlite3_bind_parameter_index(st, ":enabled")) != 0)
		return sqlite3_bind_int(st, i, r->enabled);
	return SQLITE_OK;
}

sqlite3_stmt *
store_prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_error(s, "cannot prepare a statement");
		return NULL;
	}
	return st;
}

/* Run a write statement st for r.  Returns the rows changed or -1.
 * The statement is reset and can be run again. */
int
store_step_write(struct store *s, sqlite3_stmt *st, const struct row *r)
{
	int rc;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if ((rc = store_bind_row(st, r)) != SQLITE_OK) {
		log_error("%s: cannot bind a value: %s", s->path, sqlite3_errstr(rc));
		return -1;
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		store_error(s, "cannot write");
		return -1;
	}
	return sqlite3_changes(s->db);
}

/* Prepare, run once, finalize. */
int
store_write(struct store *s, const char *sql, const struct row *r)
{
	sqlite3_stmt *st = store_prepare(s, sql);
	int n;

	if (st == NULL)
		return -1;
	n = store_step_write(s, st, r);
	sqlite3_finalize(st);
	return n;
}

struct row
store_row_of(const struct passwd_req *req)
{
	return (struct row){
		.user = digest_str_c(req->user),
		.realm = digest_str_c(req->realm),
		.group = digest_str_c(req->group),
	};
}

#endif /* PASSWD_SQLITE */
