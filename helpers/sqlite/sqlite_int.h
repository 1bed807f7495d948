/* sqlite_int.h - what the files of the SQLite store share.
 *
 *   sqlite.c    the backend: the options, start-up, shut-down, the ops
 *   open.c      opening a database: read-only, the schema check, the
 *               statements; closing it
 *   reopen.c    the check before each batch: a replaced database (and its
 *               wait budget), a schema migrated in place
 *   lookup.c    the lookup: read transactions, the row, the groups and
 *               annotations, the end of a burst
 *   query.c     preparing the helper's statements and checking them at
 *               start-up (the default schema's, -q and -g)
 *
 * All state is in the configuration (struct sqlite_conf, from the options)
 * and the context (struct sqlite_ctx, made by init): none at file scope.
 */
#ifndef DH_SQLITE_INT_H
#define DH_SQLITE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "backend.h"
#include "fileid.h"

/* How long a lookup waits for a writer's lock before answering BH.  Squid
 * holds the login while we wait, and an admin's write takes milliseconds;
 * a second covers a busy moment without stalling users noticeably. */
#define SQLITE_BUSY_TIMEOUT_MS 1000

/* The statements of the helper, each checked its own way. */
enum sq_kind {
	SQ_LOOKUP,		/* the default schema's lookup: ha1, enabled */
	SQ_LOOKUP_CUSTOM,	/* -q: ha1, then annotations named by column */
	SQ_GROUPS,		/* the default schema's groups */
	SQ_GROUPS_CUSTOM,	/* -g: one column, the group */
};

/* A prepared statement and where its parameters are. */
struct sq_stmt {
	sqlite3_stmt *st;
	int idx_user;		/* bind index of :user */
	int idx_realm;		/* bind index of :realm, 0 when unused */
};

/* One open database and its statements. */
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

/* query.c: prepare sql on db (persistent) as a statement of that kind,
 * and check it: one statement, read-only, only :user (required) and
 * :realm, the columns the kind needs.  Returns 0, or -1 with the one-line
 * reason in err (naming path) and nothing left prepared. */
int sq_prepare(sqlite3 *db, const char *path, const char *sql,
    enum sq_kind kind, struct sq_stmt *out, char *err, size_t errlen);

/* open.c: open path read-only into *d and prepare the statements for c,
 * waiting up to wait_ms for another process's lock while doing so.
 * Returns 0, or -1 with the one-line reason in err and *d closed. */
int sq_db_open(struct sqlite_db *d, const char *path,
    const struct sqlite_conf *c, int wait_ms, char *err, size_t errlen);
void sq_db_close(struct sqlite_db *d);

/* reopen.c: the backend's tick. */
void sq_tick(void *ctx, bool force);

/* lookup.c: the backend's lookup and idle; sq_txn_end ends the read
 * transaction, if one is open. */
enum backend_result sq_lookup(void *ctx, const struct backend_query *q,
    struct backend_answer *a);
void sq_idle(void *ctx);
void sq_txn_end(struct sqlite_db *d);

#endif
