/* query.c - the statements of digest_sqlite_auth, prepared once per
 * database opened and checked then, so a query that could do harm or
 * answer wrongly stops the helper at start-up instead of failing lookups
 * (digest_sqlite_auth(8), "CUSTOM QUERIES" and "GROUPS").
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "notes.h"
#include "sqlite_int.h"

/* How each kind is named in messages. */
static const char *const kind_noun[] = {
	[SQ_LOOKUP] = "the query",
	[SQ_LOOKUP_CUSTOM] = "the query",
	[SQ_GROUPS] = "the group query",
	[SQ_GROUPS_CUSTOM] = "the -g query",
};

static const char *const kind_bad[] = {
	[SQ_LOOKUP] = "cannot prepare the lookup",
	[SQ_LOOKUP_CUSTOM] = "bad -q query",
	[SQ_GROUPS] = "cannot prepare the group lookup",
	[SQ_GROUPS_CUSTOM] = "bad -g query",
};

/* After the statement, only whitespace, ';' and comments may follow. */
static int
check_single(sqlite3 *db, const char *tail, const char *path,
    enum sq_kind kind, char *err, size_t errlen)
{
	sqlite3_stmt *more = NULL;

	if (tail == NULL || *tail == '\0')
		return 0;
	while (sqlite3_prepare_v2(db, tail, -1, &more, &tail) == SQLITE_OK &&
	    more == NULL && tail != NULL && *tail != '\0')
		tail += strspn(tail, " \t\r\n;");
	if (more != NULL || (tail != NULL && *tail != '\0')) {
		sqlite3_finalize(more);
		snprintf(err, errlen, "%s: %s: it must be a single statement",
		    path, kind_bad[kind]);
		return -1;
	}
	return 0;
}

/* -q: the columns after the HA1 become annotations named by the column,
 * so each name must be a key Squid takes. */
static int
check_note_columns(sqlite3_stmt *st, const char *path, char *err,
    size_t errlen)
{
	int n = sqlite3_column_count(st), i;

	for (i = 1; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		char shown[128];

		if (name != NULL && notes_key_ok(name, strlen(name)))
			continue;
		snprintf(err, errlen, "%s: the query's column %d is named \"%s\", which is not an annotation Squid takes (group, tag, clt_conn_tag, or letters, digits, '-' and '_' ending in '_')",
		    path, i + 1, name == NULL ? "" :
		    log_sanitize(name, strlen(name), shown, sizeof(shown)));
		return -1;
	}
	return 0;
}

/* The columns each kind returns. */
static int
check_columns(sqlite3_stmt *st, const char *path, enum sq_kind kind,
    char *err, size_t errlen)
{
	static const char *const want[] = {
		[SQ_LOOKUP] = "ha1 and enabled",
		[SQ_LOOKUP_CUSTOM] = "the HA1 first",
		[SQ_GROUPS] = "exactly one, the group",
		[SQ_GROUPS_CUSTOM] = "exactly one, the group",
	};
	int n = sqlite3_column_count(st);
	bool ok = kind == SQ_LOOKUP ? n == 2 : kind == SQ_LOOKUP_CUSTOM ?
	    n >= 1 : n == 1;

	if (!ok) {
		snprintf(err, errlen, "%s: %s returns %d columns; it must return %s",
		    path, kind_noun[kind], n, want[kind]);
		return -1;
	}
	return kind == SQ_LOOKUP_CUSTOM ? check_note_columns(st, path, err, errlen) : 0;
}

/* Its parameters: :user is required, :realm optional, nothing else. */
static int
check_params(struct sq_stmt *s, const char *path, enum sq_kind kind,
    char *err, size_t errlen)
{
	int n = sqlite3_bind_parameter_count(s->st), i;

	for (i = 1; i <= n; i++) {
		const char *name = sqlite3_bind_parameter_name(s->st, i);

		if (name == NULL || (strcmp(name, ":user") != 0 &&
		    strcmp(name, ":realm") != 0)) {
			snprintf(err, errlen, "%s: %s may only use the parameters :user and :realm (found %s)",
			    path, kind_noun[kind],
			    name != NULL ? name : "a nameless '?'");
			return -1;
		}
	}
	s->idx_user = sqlite3_bind_parameter_index(s->st, ":user");
	s->idx_realm = sqlite3_bind_parameter_index(s->st, ":realm");
	if (s->idx_user == 0) {
		snprintf(err, errlen, "%s: %s must use :user", path, kind_noun[kind]);
		return -1;
	}
	return 0;
}

int
sq_prepare(sqlite3 *db, const char *path, const char *sql, enum sq_kind kind,
    struct sq_stmt *out, char *err, size_t errlen)
{
	const char *tail = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &out->st, &tail);
	if (rc != SQLITE_OK || out->st == NULL) {
		snprintf(err, errlen, "%s: %s: %s", path, kind_bad[kind],
		    rc == SQLITE_OK ? "empty query" : sqlite3_errmsg(db));
		goto fail;
	}
	if (check_single(db, tail, path, kind, err, errlen) < 0)
		goto fail;
	if (!sqlite3_stmt_readonly(out->st)) {
		snprintf(err, errlen, "%s: %s must only read (a SELECT)", path,
		    kind_noun[kind]);
		goto fail;
	}
	if (check_columns(out->st, path, kind, err, errlen) < 0 ||
	    check_params(out, path, kind, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(out->st);
	memset(out, 0, sizeof(*out));
	return -1;
}
