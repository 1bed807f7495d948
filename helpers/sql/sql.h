/* sql.h - what the SQL-server stores share, whatever the engine
 * (digest_pgsql_auth, digest_mysql_auth).
 *
 *   conf.c    the options both take (-q, -g, --plaintext, -j, -t, -W)
 *   params.c  :user and :realm in -q and -g, turned into the engine's
 *             placeholders ($1 and $2, or ?), per the engine's SQL dialect
 *   stmt.c    the lookup and group statements: the admin's or the default
 *             schema's; the check of their result columns
 *   judge.c   the verdict on a lookup's row: HA1, --plaintext, 0 or more
 *             than one row, disabled users, annotations, UTF-8
 *
 * An engine adapter (helpers/pgsql/, helpers/mysql/) does the connecting,
 * the wire and the engine's result types, and hands each finished row to
 * judge.c as plain values (struct sql_val).  The options and the answers
 * are the same in both (digest_pgsql_auth(8), digest_mysql_auth(8)).
 */
#ifndef DH_SQL_H
#define DH_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "digest.h"
#include "notes.h"

/* -t when it is not given: the server's statement time-out, in seconds.
 * The helper waits SQL_GRACE_MS longer before it takes the server to be
 * hung, so that the server's own time-out, an answer, comes first. */
#define SQL_DEFAULT_TIMEOUT_S 10
#define SQL_GRACE_MS 1000

/* The long options without a letter that both take. */
enum { SQL_OPT_PLAINTEXT = 0x200 };

/* The shared options, with their defaults from sql_conf_init(). */
struct sql_conf {
	const char *query;	/* -q as given, NULL: the default schema */
	const char *group_query; /* -g as given, NULL: the default (or none) */
	bool plaintext;		/* --plaintext: -q's first column is a password */
	unsigned inflight;	/* -j */
	int timeout_s;		/* -t */
	char *secret;		/* -W: the password, wiped by sql_conf_clear */
	char err[1024];		/* why -W failed: option()'s message */
};

/* conf.c: defaults (-j inflight); the shared options: 0, 1 when opt is
 * not one of them, or -1 with a static message in *err_r. */
void sql_conf_init(struct sql_conf *c, unsigned inflight);
void sql_conf_clear(struct sql_conf *c);
int sql_option(struct sql_conf *c, int opt, const char *arg,
    const char **err_r);
/* --plaintext needs -q: 0, or -1 with the message in err. */
int sql_conf_check(const struct sql_conf *c, char *err, size_t errlen);

/* How long the helper waits for a query: -t, plus the grace. */
static inline long long
sql_wait_ms(const struct sql_conf *c)
{
	return 1000LL * c->timeout_s + SQL_GRACE_MS;
}

/* params.c: the engine's SQL dialect, for the scan of -q and -g. */
enum sql_dialect {
	SQL_PGSQL,	/* $1 $2; '...' (standard strings), E'...', $tag$,
			 * "ident", nested comments */
	SQL_MYSQL,	/* ?, one per use; '...' and "..." with backslash
			 * escapes, `ident`, # and -- comments */
};

/* The most placeholders a translated statement may hold (MySQL: one ?
 * per use of :user or :realm). */
#define SQL_MAX_PARAMS 16

/* sql with :user and :realm as placeholders (malloc'd, in *out_r).  For
 * SQL_PGSQL *nparams_r is 1 (:user only) or 2; for SQL_MYSQL it is the
 * number of ?, and order_r[i] is 0 (user) or 1 (realm) for the i-th.
 * Returns 0, or -1 with the reason in err (naming what). */
int sql_translate(enum sql_dialect d, const char *what, const char *sql,
    char **out_r, int *nparams_r, unsigned char order_r[SQL_MAX_PARAMS],
    char *err, size_t errlen);

/* stmt.c: a statement of the helper, prepared on every connection. */
enum sql_kind {
	SQL_LOOKUP,		/* the default schema's: ha1, enabled */
	SQL_LOOKUP_GROUPS,	/* the same with a group per row (joined) */
	SQL_LOOKUP_CUSTOM,	/* -q: HA1 (or password), then annotations */
	SQL_GROUPS,		/* the default schema's groups */
	SQL_GROUPS_CUSTOM,	/* -g: one column, the group */
};

struct sql_stmt {
	const char *name;	/* its name (on the server, in messages) */
	char *sql;		/* with placeholders; NULL: none */
	int nparams;
	unsigned char order[SQL_MAX_PARAMS];	/* SQL_MYSQL: see above */
	enum sql_kind kind;
};

/* How each kind is named in start-up errors ("bad -q query" ...). */
const char *sql_kind_bad(enum sql_kind kind);

/* The lookup and the groups: -g, or the default schema's (def_lookup,
 * def_groups, in the dialect's placeholders with user and realm in that
 * order) unless -q replaces that schema (then -q alone means no groups).
 * 0, or -1 with the message in err. */
int sql_make_statements(const struct sql_conf *c, enum sql_dialect d,
    const char *def_lookup, const char *def_groups, struct sql_stmt *look,
    struct sql_stmt *groups, char *err, size_t errlen);
void sql_stmt_free(struct sql_stmt *st);

/* The result columns of st (names[i], n of them; a name may be NULL): the
 * lookup returns the HA1 first (the default one: ha1 and enabled), and
 * -q's further columns become annotations named by the column, so each
 * must be a name Squid takes; a group query returns the group alone.
 * 0, or -1 with the message in err. */
int sql_check_columns(const struct sql_stmt *st, const char *const *names,
    int n, char *err, size_t errlen);

/* judge.c */

/* One value of a row, as the engine gave it. */
struct sql_val {
	const char *p;
	size_t n;
	bool null;
};

/* Whom a lookup is for (copies of the request's fields). */
struct sql_who {
	const char *user;
	size_t user_len;
	const char *realm;
	size_t realm_len;
	const struct digest_alg *alg;
};

/* User names whose malformed HA1 was logged: hashes, a bounded number;
 * and the condition logged last, and when (one line a minute per
 * condition: a broken query fails every lookup). */
#define SQL_SEEN_MAX 64
struct sql_judge {
	const struct sql_conf *c;
	uint64_t seen[SQL_SEEN_MAX];
	unsigned nseen;
	bool seen_full;
	char last_code[6];
	long long last_err_ms;
};

/* Is this condition (an SQLSTATE, or the helper's own code) to be logged
 * now, or was it a moment ago? */
bool sql_log_now(struct sql_judge *j, const char *code);

/* The verdict on a lookup's result: rows of it, the first row's first
 * value, and for the default schema (kind SQL_LOOKUP or
 * SQL_LOOKUP_GROUPS, whose rows are the one user's groups) whether the user
 * is enabled.  0 rows, a NULL or a disabled user is ERR; more than one
 * row is ERR (ambiguous, logged); a value that is not an HA1 is BH
 * (logged once per user, never the value); else OK with the HA1 (from
 * the password with --plaintext) in a->ha1.  The caller wipes the
 * value. */
enum backend_result sql_judge_row(struct sql_judge *j, enum sql_kind kind,
    const struct sql_who *w, unsigned long long rows,
    const struct sql_val *first, bool enabled, struct backend_answer *a);

/* One annotation: -q's column named name (checked at setup), or with
 * name "group" a row of the group query; a NULL adds nothing. */
void sql_add_note(struct notes *nt, const char *name,
    const struct sql_val *v);

/* Is p (n bytes) valid UTF-8?  Overlong forms, surrogates and code
 * points past U+10FFFF are not, as for the servers. */
bool sql_utf8_ok(const char *p, size_t n);

#endif
