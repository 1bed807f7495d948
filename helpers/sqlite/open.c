/* open.c - opening the database of digest_sqlite_auth: read-only, mapped,
 * the default schema checked (present, not newer than we know), then the
 * statements prepared once (query.c) with the read transaction's BEGIN and
 * COMMIT.  Used at start-up and again to reopen a replaced or migrated
 * database (reopen.c), each with its own wait for a lock.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "sqlite_int.h"
#include "sqlschema.h"

/* Address space for mapping the database: 1 GiB covers tens of millions
 * of users; pages are only resident once read. */
#define SQLITE_MMAP_BYTES "1073741824"

/* Does digest_groups have a row?  Asked once per version of the data
 * (SQLITE_FCNTL_DATA_VERSION), so a store without groups (a version-2
 * store never given any, the common case after an upgrade) costs no
 * second query per lookup. */
#define SQL_GROUPS_PROBE "SELECT 1 FROM digest_groups LIMIT 1"

void
sq_db_close(struct sqlite_db *d)
{
	sq_txn_end(d);
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
int
sq_db_open(struct sqlite_db *d, const char *path, const struct sqlite_conf *c,
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
	sq_db_close(d);
	return -1;
}
