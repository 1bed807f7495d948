/* sqlite.c - the SQLite store behind digest_sqlite_auth (digest_sqlite_auth(8)).
 *
 * The database is opened read-only and the lookup statement prepared once
 * (query.c); each lookup binds :user and :realm.  A found, enabled user's
 * reply carries annotations: the user's groups (the default schema's
 * digest_groups from version 2, or the -g query's rows) and, with -q, the
 * columns after the HA1.  Before each batch of requests the
 * loop calls sqlite_tick(), which at most once a second checks whether the
 * path now names another file (an admin replaced the database by rename)
 * and reopens it; until the new one opens cleanly, the old one serves.
 * A replacement that another process holds locked is waited for only
 * briefly at each check, and for a bounded time in all (see
 * SQLITE_REOPEN_WAIT_MS), so the old database keeps answering meanwhile.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "backend.h"
#include "clock.h"
#include "digest.h"
#include "fileid.h"
#include "log.h"
#include "secret.h"
#include "sqlite_int.h"
#include "sqlschema.h"

/* How long a lookup waits for a writer's lock before answering BH.  Squid
 * holds the login while we wait, and an admin's write takes milliseconds;
 * a second covers a busy moment without stalling users noticeably. */
#define SQLITE_BUSY_TIMEOUT_MS 1000

/* Opening at start-up (schema check, prepare) waits longer for a lock
 * than a lookup: failing there means exiting, and Squid gives up on
 * helpers that exit too often. */
#define SQLITE_OPEN_BUSY_TIMEOUT_MS 10000

/* Reopening a replaced database waits far less: the old one serves in the
 * meantime, and while a check waits, no request is answered.  A check
 * waits at most SQLITE_REOPEN_WAIT_MS for a lock on the new file: enough
 * for a writer's commit (a few ms), and at one check a second no user
 * notices it.  One replaced file (one file_id) gets SQLITE_REOPEN_BUDGET_MS
 * of waiting in all, what a single lookup may wait for a lock
 * (SQLITE_BUSY_TIMEOUT_MS); once it is spent, each check only tries the
 * lock, without waiting, so a released lock is still seen within a
 * second.  A file that changes again (new file_id) starts a new budget. */
#define SQLITE_REOPEN_WAIT_MS 50
#define SQLITE_REOPEN_BUDGET_MS 1000

/* Address space for mapping the database: 1 GiB covers tens of millions
 * of users; pages are only resident once read. */
#define SQLITE_MMAP_BYTES "1073741824"

/* Lookups of one burst share a read transaction, so the file is locked
 * and checked once per burst instead of once per lookup.  A writer waits
 * for the transaction to end: it ends when the burst is answered, or after
 * this many lookups, whichever is first. */
#define SQLITE_TXN_MAX_LOOKUPS 256

/* How often the path is checked for a replaced database. */
#define SQLITE_CHECK_INTERVAL_NS 1000000000LL

/* Does digest_groups have a row?  Asked once per version of the data
 * (SQLITE_FCNTL_DATA_VERSION), so a store without groups (a version-2
 * store never given any, the common case after an upgrade) costs no
 * second query per lookup. */
#define SQL_GROUPS_PROBE "SELECT 1 FROM digest_groups LIMIT 1"

struct sqlite_db {
	sqlite3 *db;
	struct sq_stmt look;	/* the lookup (-q or the default schema's) */
	struct sq_stmt groups;	/* the groups (-g or digest_groups); st is
				 * NULL for none (-q alone, a version-1 store) */
	sqlite3_stmt *probe;	/* SQL_GROUPS_PROBE (digest_groups only) */
	bool probe_known;	/* probe_any holds for data version probe_dv */
	bool probe_any;
	unsigned int probe_dv;
	sqlite3_stmt *begin;	/* BEGIN (deferred: a shared lock at first read) */
	sqlite3_stmt *end;	/* COMMIT */
	int txn_lookups;	/* lookups in the open read transaction, or -1 */
	bool busy_in_burst;	/* a lookup of this burst found the lock held */
	bool malformed_logged;	/* a bad stored HA1 was logged */
	bool newer_logged;	/* a schema made newer in place was logged */
	long long version;	/* the default schema's version, 0 with -q */
	dev_t dev;
	ino_t ino;
};

/* The options. */
struct sqlite_conf {
	const char *query;	/* -q, or NULL for the default schema */
	const char *group_query; /* -g, or NULL */
};

struct sqlite_ctx {
	char *path;
	const struct sqlite_conf *conf;
	struct sqlite_db cur;
	long long last_check_ns;
	bool refused_logged;	/* a failed reopen was logged */
	struct file_id refused;	/* the file that failed to open */
	long long refused_wait_ns; /* time spent failing to open it */
};

static void *
sqlite_conf_new(void)
{
	return xcalloc(1, sizeof(struct sqlite_conf));
}

static void
sqlite_conf_free(void *conf)
{
	free(conf);
}

static int
sqlite_option(void *conf, int opt, const char *arg, const char **err_r)
{
	struct sqlite_conf *c = conf;

	if (opt == 'q' || opt == 'g') {
		if (*arg == '\0') {
			*err_r = opt == 'q' ? "-q needs an SQL query" :
			    "-g needs an SQL query";
			return -1;
		}
		*(opt == 'q' ? &c->query : &c->group_query) = arg;
		return 0;
	}
	*err_r = "unknown option";
	return -1;
}

/* End the read transaction, if one is open. */
static void
txn_end(struct sqlite_db *d)
{
	if (d->txn_lookups < 0)
		return;
	sqlite3_reset(d->look.st);
	sqlite3_reset(d->groups.st);
	sqlite3_reset(d->probe);
	if (sqlite3_step(d->end) != SQLITE_DONE)
		(void)sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_reset(d->end);
	d->txn_lookups = -1;
}

static void
txn_begin(struct sqlite_db *d)
{
	if (d->txn_lookups >= 0)
		return;
	if (sqlite3_step(d->begin) == SQLITE_DONE)
		d->txn_lookups = 0;
	sqlite3_reset(d->begin);
}

static void
db_close(struct sqlite_db *d)
{
	txn_end(d);
	sqlite3_finalize(d->begin);
	sqlite3_finalize(d->end);
	d->begin = d->end = NULL;
	sqlite3_finalize(d->look.st);
	sqlite3_finalize(d->groups.st);
	sqlite3_finalize(d->probe);
	sqlite3_close(d->db);
	d->look.st = d->groups.st = NULL;
	d->probe = NULL;
	d->db = NULL;
}

/* The default schema must be there and not newer than we know; its
 * version goes to *version_r. */
static int
check_schema(struct sqlite_db *d, const char *path, long long *version_r,
    char *err, size_t errlen)
{
	switch (sqlschema_check(d->db, version_r)) {
	case SQLSCHEMA_OK:
		return 0;
	case SQLSCHEMA_MISSING:
		snprintf(err, errlen, "%s: no digest-helpers schema; create it with 'digest_passwd --sqlite %s --init' or give a query with -q",
		    path, path);
		break;
	case SQLSCHEMA_EMPTY:
		snprintf(err, errlen, "%s: the schema_version table is empty; run 'digest_passwd --sqlite %s --init'",
		    path, path);
		break;
	case SQLSCHEMA_NEWER:
		snprintf(err, errlen, "%s: schema version %lld is newer than this helper knows (%d); upgrade digest-helpers",
		    path, *version_r, SQLSCHEMA_VERSION);
		break;
	case SQLSCHEMA_ERROR:
		snprintf(err, errlen, "%s: cannot read the schema version: %s",
		    path, sqlite3_errmsg(d->db));
		break;
	}
	return -1;
}

/* The statements for conf: the lookup, and the groups when there are any
 * (-g, or the default schema from the version that has them). */
static int
prepare_all(struct sqlite_db *d, const char *path,
    const struct sqlite_conf *c, char *err, size_t errlen)
{
	long long version = 0;

	if (c->query == NULL && check_schema(d, path, &version, err, errlen) < 0)
		return -1;
	d->version = version;
	if (sq_prepare(d->db, path, c->query != NULL ? c->query : SQLSCHEMA_LOOKUP,
	    c->query != NULL ? SQ_LOOKUP_CUSTOM : SQ_LOOKUP, &d->look, err,
	    errlen) < 0)
		return -1;
	if (c->group_query != NULL)
		return sq_prepare(d->db, path, c->group_query, SQ_GROUPS_CUSTOM,
		    &d->groups, err, errlen);
	if (c->query != NULL || version < SQLSCHEMA_VERSION_GROUPS)
		return 0;
	if (sq_prepare(d->db, path, SQLSCHEMA_GROUPS, SQ_GROUPS, &d->groups,
	    err, errlen) < 0)
		return -1;
	if (sqlite3_prepare_v3(d->db, SQL_GROUPS_PROBE, -1,
	    SQLITE_PREPARE_PERSISTENT, &d->probe, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot prepare the group lookup: %s",
		    path, sqlite3_errmsg(d->db));
		return -1;
	}
	return 0;
}

/* Open path read-only and prepare the lookup, waiting up to wait_ms for
 * another process's lock while doing so. */
static int
db_open(struct sqlite_db *d, const char *path, const struct sqlite_conf *c,
    int wait_ms, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	memset(d, 0, sizeof(*d));
	d->txn_lookups = -1;
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		return -1;
	}
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	rc = sqlite3_open_v2(path, &d->db,
	    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    d->db != NULL ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(d->db, 1);
	/* the caller's wait while opening; lookups get theirs below */
	sqlite3_busy_timeout(d->db, wait_ms);
	/* Map the file instead of copying pages through read(): lookups of
	 * a large store become memory reads (best effort: ignored if refused). */
	(void)sqlite3_exec(d->db, "PRAGMA mmap_size=" SQLITE_MMAP_BYTES, NULL, NULL, NULL);
	if (prepare_all(d, path, c, err, errlen) < 0)
		goto fail;
	sqlite3_busy_timeout(d->db, SQLITE_BUSY_TIMEOUT_MS);
	if (sqlite3_prepare_v3(d->db, "BEGIN", -1, SQLITE_PREPARE_PERSISTENT,
	    &d->begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(d->db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT,
	    &d->end, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(d->db));
		goto fail;
	}
	return 0;
fail:
	db_close(d);
	return -1;
}

static int
sqlite_init(void **ctx_r, void *conf, int argc, char **argv, char *err_r,
    size_t errlen)
{
	const struct sqlite_conf *c = conf;
	struct sqlite_ctx *s;

	if (argc != 1) {
		snprintf(err_r, errlen, argc == 0 ? "no database file given (see --help)"
		    : "expected one database file, got %d arguments (see --help)", argc);
		return -1;
	}
	/* Before the first open (it must precede sqlite3_initialize; refused
	 * harmlessly after it): SQLite's memory statistics take a global
	 * mutex on every allocation, and each lookup allocates; nothing here
	 * reads them.  About 5 % fewer instructions per request. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(argv[0]);
	s->conf = c;
	/* start-up waits long for a lock: failing here means exiting */
	if (db_open(&s->cur, s->path, c, SQLITE_OPEN_BUSY_TIMEOUT_MS,
	    err_r, errlen) < 0) {
		free(s->path);
		free(s);
		return -1;
	}
	s->last_check_ns = clock_coarse_ns();
	log_debug("opened %s%s%s", s->path, c->query != NULL ? " with a -q query" : "",
	    c->group_query != NULL ? ", groups from the -g query" :
	    s->cur.groups.st != NULL ? ", groups from digest_groups" : "");
	*ctx_r = s;
	return 0;
}

/* How long this check may wait for a lock on the replacement whose
 * file_id is id: a short wait, out of what is left of that file's budget
 * (a file that did not fail before has all of it). */
static int
reopen_wait_ms(const struct sqlite_ctx *s, const struct file_id *id)
{
	long long left = SQLITE_REOPEN_BUDGET_MS;

	if (s->refused_logged && file_id_equal(id, &s->refused))
		left -= s->refused_wait_ns / 1000000;
	if (left <= 0)
		return 0;	/* spent: only try the lock */
	return left < SQLITE_REOPEN_WAIT_MS ? (int)left : SQLITE_REOPEN_WAIT_MS;
}

/* A store opened at an older version of the default schema may be
 * migrated in place (digest_passwd --init) while it serves: each check
 * reads its version again, without waiting for a lock, and once it has
 * grown, opens the file anew so that the group lookup is prepared.  Until
 * that works (tried at each check), the open connection serves as it did.
 * A version newer than ours is logged once and otherwise ignored. */
static void
check_migrated(struct sqlite_ctx *s)
{
	struct sqlite_db *d = &s->cur, fresh;
	enum sqlschema_state state;
	long long version;
	char err[1024];

	if (s->conf->query != NULL || s->conf->group_query != NULL ||
	    d->version >= SQLSCHEMA_VERSION)
		return;
	sqlite3_busy_timeout(d->db, 0);
	state = sqlschema_check(d->db, &version);
	sqlite3_busy_timeout(d->db, d->busy_in_burst ? 0 : SQLITE_BUSY_TIMEOUT_MS);
	if (state == SQLSCHEMA_NEWER && !d->newer_logged) {
		log_error("%s: schema version %lld is newer than this helper knows (%d); still serving it as version %lld",
		    s->path, version, SQLSCHEMA_VERSION, d->version);
		d->newer_logged = true;
	}
	if (state != SQLSCHEMA_OK || version <= d->version)
		return;
	if (db_open(&fresh, s->path, s->conf, 0, err, sizeof(err)) < 0) {
		log_debug("%s; trying again at the next check", err);
		return;
	}
	log_info("%s: the schema is now version %lld; reopened it", s->path,
	    fresh.version);
	db_close(d);
	s->cur = fresh;
}

static void
sqlite_tick(void *ctx, bool force)
{
	struct sqlite_ctx *s = ctx;
	struct sqlite_db fresh;
	struct file_id id;
	struct stat st;
	char err[1024];
	long long now = clock_coarse_ns();
	int wait_ms;

	if (!force && now - s->last_check_ns < SQLITE_CHECK_INTERVAL_NS)
		return;
	s->last_check_ns = now;
	if (stat(s->path, &st) < 0)
		return;		/* gone: keep serving */
	if (st.st_dev == s->cur.dev && st.st_ino == s->cur.ino) {
		check_migrated(s);
		return;
	}
	file_id_of(&st, &id);
	wait_ms = reopen_wait_ms(s, &id);
	if (db_open(&fresh, s->path, s->conf, wait_ms, err, sizeof(err)) < 0) {
		/* tried again every check; logged once per file_id, and
		 * the time waited is charged to that file's budget */
		if (!s->refused_logged || !file_id_equal(&id, &s->refused)) {
			log_error("%s; still serving from the database opened before", err);
			s->refused_wait_ns = 0;
		}
		s->refused_logged = true;
		s->refused = id;
		s->refused_wait_ns += clock_coarse_ns() - now;
		if (wait_ms > 0 && reopen_wait_ms(s, &id) == 0)
			log_debug("%s: waited %lld ms for it in all; each check now tries it without waiting",
			    s->path, s->refused_wait_ns / 1000000);
		return;
	}
	db_close(&s->cur);
	s->cur = fresh;
	s->refused_logged = false;
	log_info("%s was replaced; reopened it", s->path);
}

/* Bind the request's user and realm to the parameters st names. */
static int
bind_query(const struct sq_stmt *st, const struct backend_query *q)
{
	if (q->user_len > INT32_MAX || q->realm_len > INT32_MAX ||
	    sqlite3_bind_text(st->st, st->idx_user, q->user, (int)q->user_len,
	    SQLITE_STATIC) != SQLITE_OK ||
	    (st->idx_realm > 0 && sqlite3_bind_text(st->st, st->idx_realm,
	    q->realm, (int)q->realm_len, SQLITE_STATIC) != SQLITE_OK))
		return -1;
	return 0;
}

/* A step that failed with rc: BH, saying why. */
static enum backend_result
step_failed(struct sqlite_ctx *s, struct sqlite_db *d, int rc,
    const char *what, struct backend_answer *a)
{
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		/* the rest of this burst does not wait again: one time-out
		 * per burst, not one per request */
		if (!d->busy_in_burst)
			sqlite3_busy_timeout(d->db, 0);
		d->busy_in_burst = true;
		a->err = "Database is locked";
	} else {
		log_error("%s: %s failed: %s", s->path, what, sqlite3_errmsg(d->db));
		a->err = "Database error";
	}
	return BACKEND_FAIL;
}

/* -q: the columns after the HA1 of the row st is on, as annotations
 * named by the column (checked at start-up; notes_add checks again, as a
 * statement SQLite prepared anew may have other columns).  A NULL adds
 * nothing.  Returns 0, or -1 when a value could not be read. */
static int
add_columns(sqlite3_stmt *st, struct notes *nt)
{
	int n = sqlite3_column_count(st), i;

	for (i = 1; i < n && nt != NULL; i++) {
		const unsigned char *v;
		const char *name;

		if (sqlite3_column_type(st, i) == SQLITE_NULL)
			continue;
		v = sqlite3_column_text(st, i);
		name = sqlite3_column_name(st, i);
		if (v == NULL || name == NULL)
			return -1;	/* out of memory */
		(void)notes_add(nt, name, strlen(name), (const char *)v,
		    (size_t)sqlite3_column_bytes(st, i));
	}
	return 0;
}

/* Are there groups to look for?  1 yes, 0 no (the default schema's
 * table is empty), -1 when the probe failed with *rc_r.  Called while the
 * lookup holds the read lock, so the data version is that of the rows
 * read. */
static int
groups_present(struct sqlite_db *d, int *rc_r)
{
	unsigned int dv = 0;
	bool have_dv = false;
	int rc;

	if (d->groups.st == NULL)
		return 0;
	if (d->probe == NULL)
		return 1;	/* -g: always asked */
#ifdef SQLITE_FCNTL_DATA_VERSION
	have_dv = sqlite3_file_control(d->db, "main", SQLITE_FCNTL_DATA_VERSION,
	    &dv) == SQLITE_OK;
#endif
	if (!have_dv)
		return 1;	/* no way to tell a change: always asked */
	if (d->probe_known && d->probe_dv == dv)
		return d->probe_any;
	rc = sqlite3_step(d->probe);
	sqlite3_reset(d->probe);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*rc_r = rc;
		return -1;
	}
	d->probe_known = true;
	d->probe_any = rc == SQLITE_ROW;
	d->probe_dv = dv;
	return d->probe_any;
}

/* The groups of the user, as group="..." annotations, in the order of
 * the rows; a NULL adds nothing.  Any failure is BH: a reply without
 * groups the user has would answer an ACL wrongly. */
static enum backend_result
add_groups(struct sqlite_ctx *s, struct sqlite_db *d,
    const struct backend_query *q, struct backend_answer *a)
{
	sqlite3_stmt *st = d->groups.st;
	int rc;

	sqlite3_reset(st);
	if (bind_query(&d->groups, q) < 0) {
		a->err = "Database error";
		return BACKEND_FAIL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *g;

		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			continue;
		if ((g = sqlite3_column_text(st, 0)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (a->notes != NULL)
			(void)notes_add(a->notes, "group", 5, (const char *)g,
			    (size_t)sqlite3_column_bytes(st, 0));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return step_failed(s, d, rc, "group lookup", a);
	return BACKEND_FOUND;
}

/* The row the lookup is on: its verdict, and on FOUND the HA1 and the
 * -q annotations in a. */
static enum backend_result
take_row(struct sqlite_ctx *s, struct sqlite_db *d,
    const struct backend_query *q, struct backend_answer *a)
{
	sqlite3_stmt *st = d->look.st;
	const unsigned char *ha1 = sqlite3_column_text(st, 0);
	int n = sqlite3_column_bytes(st, 0);

	if (ha1 == NULL)
		return BACKEND_NOT_FOUND;	/* a NULL HA1: no password set */
	if (s->conf->query == NULL && sqlite3_column_int(st, 1) == 0) {
		log_debug("user is disabled");
		return BACKEND_NOT_FOUND;
	}
	if (!digest_is_hex(q->alg, (const char *)ha1, (size_t)n)) {
		if (!d->malformed_logged)
			log_error("%s: a stored HA1 is not %zu hex digits; fix that row (logged once)",
			    s->path, 2 * q->alg->len);
		d->malformed_logged = true;
		a->err = "Stored HA1 is malformed";
		return BACKEND_FAIL;
	}
	if (s->conf->query != NULL && add_columns(st, a->notes) < 0) {
		a->err = "Database error";
		return BACKEND_FAIL;
	}
	digest_hex_lower((const char *)ha1, (size_t)n, a->ha1);
	return BACKEND_FOUND;
}

static enum backend_result
sqlite_lookup(void *ctx, const struct backend_query *q, struct backend_answer *a)
{
	struct sqlite_ctx *s = ctx;
	struct sqlite_db *d = &s->cur;
	enum backend_result res;
	int rc, groups = 0;

	txn_begin(d);
	sqlite3_reset(d->look.st);
	if (bind_query(&d->look, q) < 0) {
		a->err = "Database error";
		return BACKEND_FAIL;
	}
	rc = sqlite3_step(d->look.st);
	if (rc == SQLITE_DONE)
		res = BACKEND_NOT_FOUND;
	else if (rc != SQLITE_ROW)
		res = step_failed(s, d, rc, "lookup", a);
	else
		res = take_row(s, d, q, a);
	/* while the row's read lock is held (see groups_present) */
	if (res == BACKEND_FOUND && (groups = groups_present(d, &rc)) < 0)
		res = step_failed(s, d, rc, "group lookup", a);
	if (res == BACKEND_FOUND && (rc = sqlite3_step(d->look.st)) != SQLITE_DONE) {
		if (rc == SQLITE_ROW) {
			/* more than one row: ambiguous, like LDAP's several
			 * entries */
			log_error("%s: the query returned more than one row for one user; answering ERR",
			    s->path);
			res = BACKEND_NOT_FOUND;
		} else {
			res = step_failed(s, d, rc, "lookup", a);
		}
	}
	sqlite3_reset(d->look.st);
	/* in the same read transaction: groups as of the same moment */
	if (res == BACKEND_FOUND && groups > 0)
		res = add_groups(s, d, q, a);
	if (res != BACKEND_FOUND) {
		secret_wipe(a->ha1, sizeof(a->ha1));
		if (a->notes != NULL)
			notes_reset(a->notes);
	}
	/* A failed lookup must not keep a stale or broken transaction; a
	 * long burst must not keep writers out. */
	if (res == BACKEND_FAIL || d->txn_lookups < 0 ||
	    ++d->txn_lookups >= SQLITE_TXN_MAX_LOOKUPS)
		txn_end(d);
	return res;
}

static void
sqlite_idle(void *ctx)
{
	struct sqlite_ctx *s = ctx;

	txn_end(&s->cur);
	if (s->cur.busy_in_burst) {
		sqlite3_busy_timeout(s->cur.db, SQLITE_BUSY_TIMEOUT_MS);
		s->cur.busy_in_burst = false;
	}
}

static void
sqlite_fini(void **ctx)
{
	struct sqlite_ctx *s = *ctx;

	if (s == NULL)
		return;
	db_close(&s->cur);
	free(s->path);
	free(s);
	*ctx = NULL;
}

const struct backend_ops sqlite_backend = {
	.name = "sqlite",
	.usage = "[options] [-q SQL] [-g SQL] DBFILE",
	.options_help =
	    "  -q SQL         custom lookup query using :user and :realm and\n"
	    "                 returning the HA1, then any annotations named by\n"
	    "                 their columns (default: the digest_users table\n"
	    "                 made by digest_passwd --init)\n"
	    "  -g SQL         custom group query using :user and :realm: each\n"
	    "                 row's one column is a group=\"...\" of the reply\n"
	    "                 (default: the digest_groups table)\n",
	.shortopts = "q:g:",
	.longopts = NULL,
	.conf_new = sqlite_conf_new,
	.conf_free = sqlite_conf_free,
	.option = sqlite_option,
	.init = sqlite_init,
	.tick = sqlite_tick,
	.idle = sqlite_idle,
	.lookup = sqlite_lookup,
	.fini = sqlite_fini,
};
