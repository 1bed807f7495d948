/* sqlite_int.h - what the files of the SQLite store share.
 *
 *   sqlite.c    the backend: options, opening and reopening the database,
 *               read transactions, the lookup and its annotations
 *   query.c     preparing the helper's statements and checking them at
 *               start-up (the default schema's, -q and -g)
 */
#ifndef DH_SQLITE_INT_H
#define DH_SQLITE_INT_H

#include <stddef.h>

#include <sqlite3.h>

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

/* Prepare sql on db (persistent) as a statement of that kind, and check
 * it: one statement, read-only, only :user (required) and :realm, the
 * columns the kind needs.  Returns 0, or -1 with the one-line reason in
 * err (naming path) and nothing left prepared. */
int sq_prepare(sqlite3 *db, const char *path, const char *sql,
    enum sq_kind kind, struct sq_stmt *out, char *err, size_t errlen);

#endif
