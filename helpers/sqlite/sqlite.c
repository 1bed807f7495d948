/* sqlite.c - the SQLite store behind digest_sqlite_auth (digest_sqlite_auth(8)).
 *
 * The database is opened read-only and the lookup statement prepared once;
 * each lookup binds :user and :realm.  Before each batch of requests the
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

struct sqlite_db {
	sqlite3 *db;
	sqlite3_stmt *stmt;
	sqlite3_stmt *begin;	/* BEGIN (deferred: a shared lock at first read) */
	sqlite3_stmt *end;	/* COMMIT */
	int txn_lookups;	/* lookups in the open read transaction, or -1 */
	bool busy_in_burst;	/* a lookup of this burst found the lock held */
	bool malformed_logged;	/* a bad stored HA1 was logged */
	int idx_user;		/* bind index of :user */
	int idx_realm;		/* bind index of :realm, 0 when unused */
	dev_t dev;
	ino_t ino;
};

struct sqlite_ctx {
	char *path;
	const char *query;	/* -q, or NULL for the default schema */
	struct sqlite_db cur;
	long long last_check_ns;
	bool refused_logged;	/* a failed reopen was logged */
	struct file_id refused;	/* the file that failed to open */
	long long refused_wait_ns; /* time spent failing to open it */
};

/* The options. */
struct sqlite_conf {
	const char *query;	/* -q, or NULL for the default schema */
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

	if (opt == 'q') {
		if (*arg == '\0') {
			*err_r = "-q needs an SQL query";
			return -1;
		}
		c->query = arg;
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
	sqlite3_reset(d->stmt);
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
	sqlite3_finalize(d->stmt);
	sqlite3_close(d->db);
	d->stmt = NULL;
	d->db = NULL;
}

/* The default schema must be there and not newer than we know. */
static int
check_schema(struct sqlite_db *d, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, version = 0;
	bool null = true;

	rc = sqlite3_prepare_v2(d->db, SQLSCHEMA_VERSION_QUERY, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		null = sqlite3_column_type(st, 0) == SQLITE_NULL;
		version = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && strstr(sqlite3_errmsg(d->db), "no such table") != NULL) {
		snprintf(err, errlen, "%s: no digest-helpers schema; create it with 'digest_passwd --sqlite %s --init' or give a query with -q",
		    path, path);
		return -1;
	}
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "%s: cannot read the schema version: %s",
		    path, sqlite3_errmsg(d->db));
		return -1;
	}
	if (null) {
		snprintf(err, errlen, "%s: the schema_version table is empty; run 'digest_passwd --sqlite %s --init'",
		    path, path);
		return -1;
	}
	if (version > SQLSCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %d is newer than this helper knows (%d); upgrade digest-helpers",
		    path, version, SQLSCHEMA_VERSION);
		return -1;
	}
	return 0;
}

/* The query's parameters: :user is required, :realm optional, nothing
 * else; and it must read, and return the right number of columns. */
static int
check_query(struct sqlite_db *d, const char *path, bool custom, char *err,
    size_t errlen)
{
	int n = sqlite3_bind_parameter_count(d->stmt), i;
	int want_cols = custom ? 1 : 2;

	if (!sqlite3_stmt_readonly(d->stmt)) {
		snprintf(err, errlen, "%s: the query must only read (a SELECT)", path);
		return -1;
	}
	if (sqlite3_column_count(d->stmt) != want_cols) {
		snprintf(err, errlen, "%s: the query returns %d columns; it must return %s",
		    path, sqlite3_column_count(d->stmt),
		    custom ? "exactly one, the HA1" : "ha1 and enabled");
		return -1;
	}
	for (i = 1; i <= n; i++) {
		const char *name = sqlite3_bind_parameter_name(d->stmt, i);

		if (name == NULL || (strcmp(name, ":user") != 0 &&
		    strcmp(name, ":realm") != 0)) {
			snprintf(err, errlen, "%s: the query may only use the parameters :user and :realm (found %s)",
			    path, name != NULL ? name : "a nameless '?'");
			return -1;
		}
	}
	d->idx_user = sqlite3_bind_parameter_index(d->stmt, ":user");
	d->idx_realm = sqlite3_bind_parameter_index(d->stmt, ":realm");
	if (d->idx_user == 0) {
		snprintf(err, errlen, "%s: the query must use :user", path);
		return -1;
	}
	return 0;
}

/* After the query's statement, only whitespace, ';' and comments may
 * follow. */
static int
check_single(struct sqlite_db *d, const char *tail, const char *path,
    char *err, size_t errlen)
{
	sqlite3_stmt *more = NULL;

	if (tail == NULL || *tail == '\0')
		return 0;
	while (sqlite3_prepare_v2(d->db, tail, -1, &more, &tail) == SQLITE_OK &&
	    more == NULL && tail != NULL && *tail != '\0')
		tail += strspn(tail, " \t\r\n;");
	if (more != NULL || (tail != NULL && *tail != '\0')) {
		sqlite3_finalize(more);
		snprintf(err, errlen, "%s: bad -q query: it must be a single statement", path);
		return -1;
	}
	return 0;
}

/* Open path read-only and prepare the lookup, waiting up to wait_ms for
 * another process's lock while doing so. */
static int
db_open(struct sqlite_db *d, const char *path, const char *query,
    int wait_ms, char *err, size_t errlen)
{
	struct stat st;
	const char *tail = NULL;
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
	if (query == NULL && check_schema(d, path, err, errlen) < 0)
		goto fail;
	rc = sqlite3_prepare_v3(d->db, query != NULL ? query : SQLSCHEMA_LOOKUP,
	    -1, SQLITE_PREPARE_PERSISTENT, &d->stmt, &tail);
	if (rc != SQLITE_OK || d->stmt == NULL) {
		snprintf(err, errlen, "%s: %s: %s", path,
		    query != NULL ? "bad -q query" : "cannot prepare the lookup",
		    rc == SQLITE_OK ? "empty query" : sqlite3_errmsg(d->db));
		goto fail;
	}
	if (check_single(d, tail, path, err, errlen) < 0 ||
	    check_query(d, path, query != NULL, err, errlen) < 0)
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
	s->query = c->query;
	/* start-up waits long for a lock: failing here means exiting */
	if (db_open(&s->cur, s->path, s->query, SQLITE_OPEN_BUSY_TIMEOUT_MS,
	    err_r, errlen) < 0) {
		free(s->path);
		free(s);
		return -1;
	}
	s->last_check_ns = clock_coarse_ns();
	log_debug("opened %s%s", s->path, s->query != NULL ? " with a -q query" : "");
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
	if (stat(s->path, &st) < 0 ||
	    (st.st_dev == s->cur.dev && st.st_ino == s->cur.ino))
		return;		/* gone (keep serving) or the same file */
	file_id_of(&st, &id);
	wait_ms = reopen_wait_ms(s, &id);
	if (db_open(&fresh, s->path, s->query, wait_ms, err, sizeof(err)) < 0) {
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

static enum backend_result
sqlite_lookup(void *ctx, const struct backend_query *q, struct backend_answer *a)
{
	struct sqlite_ctx *s = ctx;
	struct sqlite_db *d = &s->cur;
	enum backend_result res = BACKEND_NOT_FOUND;
	const unsigned char *ha1;
	int rc, n;

	txn_begin(d);
	sqlite3_reset(d->stmt);
	if (q->user_len > INT32_MAX || q->realm_len > INT32_MAX ||
	    sqlite3_bind_text(d->stmt, d->idx_user, q->user, (int)q->user_len,
	    SQLITE_STATIC) != SQLITE_OK ||
	    (d->idx_realm > 0 && sqlite3_bind_text(d->stmt, d->idx_realm,
	    q->realm, (int)q->realm_len, SQLITE_STATIC) != SQLITE_OK)) {
		a->err = "Database error";
		return BACKEND_FAIL;
	}
	rc = sqlite3_step(d->stmt);
	if (rc == SQLITE_DONE)
		goto out;
	if (rc != SQLITE_ROW) {
		if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
			/* the rest of this burst does not wait again: one
			 * time-out per burst, not one per request */
			if (!d->busy_in_burst)
				sqlite3_busy_timeout(d->db, 0);
			d->busy_in_burst = true;
			a->err = "Database is locked";
		} else {
			log_error("%s: lookup failed: %s", s->path, sqlite3_errmsg(d->db));
			a->err = "Database error";
		}
		res = BACKEND_FAIL;
		goto out;
	}
	ha1 = sqlite3_column_text(d->stmt, 0);
	n = sqlite3_column_bytes(d->stmt, 0);
	if (ha1 == NULL)
		goto out;	/* a NULL HA1: no password set */
	if (s->query == NULL && sqlite3_column_int(d->stmt, 1) == 0) {
		log_debug("user is disabled");
		goto out;
	}
	if (!digest_is_hex(q->alg, (const char *)ha1, (size_t)n)) {
		if (!d->malformed_logged)
			log_error("%s: a stored HA1 is not %zu hex digits; fix that row (logged once)",
			    s->path, 2 * q->alg->len);
		d->malformed_logged = true;
		a->err = "Stored HA1 is malformed";
		res = BACKEND_FAIL;
		goto out;
	}
	digest_hex_lower((const char *)ha1, (size_t)n, a->ha1);
	res = BACKEND_FOUND;
	rc = sqlite3_step(d->stmt);
	if (rc == SQLITE_ROW) {
		/* more than one row: ambiguous, like LDAP's several entries */
		log_error("%s: the query returned more than one row for one user; answering ERR",
		    s->path);
		secret_wipe(a->ha1, sizeof(a->ha1));
		res = BACKEND_NOT_FOUND;
	}
out:
	sqlite3_reset(d->stmt);
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
	.usage = "[options] [-q SQL] DBFILE",
	.options_help =
	    "  -q SQL         custom lookup query using :user and :realm and\n"
	    "                 returning one column, the HA1 (default: the\n"
	    "                 digest_users table made by digest_passwd --init)\n",
	.shortopts = "q:",
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
