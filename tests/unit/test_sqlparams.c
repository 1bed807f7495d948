/* test_sqlparams.c - :user and :realm in -q and -g, per SQL dialect
 * (helpers/sql/params.c): the placeholders each engine gets, what is not
 * SQL code left alone, and the refusals.
 */
#include "config.h"

#include <stdlib.h>

#include "sql.h"
#include "tap.h"

/* Translate sql for d; the result, or "ERR: message". */
static const char *
tr(enum sql_dialect d, const char *sql, int *np, unsigned char *order)
{
	static char buf[1024];
	char err[256], *out = NULL;
	unsigned char o[SQL_MAX_PARAMS];

	if (sql_translate(d, "q", sql, &out, np, order != NULL ? order : o,
	    err, sizeof(err)) < 0) {
		snprintf(buf, sizeof(buf), "ERR: %s", err);
		return buf;
	}
	snprintf(buf, sizeof(buf), "%s", out);
	free(out);
	return buf;
}

static void
test_pgsql(void)
{
	int n = 0;

	is_str(tr(SQL_PGSQL, "SELECT h FROM t WHERE u = :user AND r = :realm AND :user <> ''", &n, NULL),
	    "SELECT h FROM t WHERE u = $1 AND r = $2 AND $1 <> ''", "pg: $1 and $2, reused");
	ok(n == 2, "pg: two parameters");
	is_str(tr(SQL_PGSQL, "SELECT ':user', \":realm\", $$:x$$, E'\\':y', a::text /* :z /* :w */ */ FROM t WHERE u = :user -- :realm", &n, NULL),
	    "SELECT ':user', \":realm\", $$:x$$, E'\\':y', a::text /* :z /* :w */ */ FROM t WHERE u = $1 -- :realm",
	    "pg: literals, identifiers, dollar quotes, casts, nested comments");
	ok(n == 1, "pg: :user alone is one parameter");
	is_str(tr(SQL_PGSQL, "SELECT h FROM t WHERE u = $1", &n, NULL),
	    "ERR: q: use :user and :realm, not $1", "pg: $1 refused");
}

static void
test_mysql(void)
{
	unsigned char o[SQL_MAX_PARAMS];
	int n = 0;

	is_str(tr(SQL_MYSQL, "SELECT h FROM t WHERE u = :user AND r = :realm AND :user <> ''", &n, o),
	    "SELECT h FROM t WHERE u = ? AND r = ? AND ? <> ''", "my: one ? per use");
	ok(n == 3 && o[0] == 0 && o[1] == 1 && o[2] == 0, "my: bound user, realm, user");
	is_str(tr(SQL_MYSQL, "SELECT ':user', \":realm\", `:x`, 'it\\'s :y' # :z\n FROM t /* :w */ WHERE u = :user -- :realm", &n, o),
	    "SELECT ':user', \":realm\", `:x`, 'it\\'s :y' # :z\n FROM t /* :w */ WHERE u = ? -- :realm",
	    "my: strings with backslashes, backticks, # and -- comments");
	ok(n == 1, "my: one ?");
	is_str(tr(SQL_MYSQL, "SELECT h FROM t WHERE u = :user AND 1--1 = 2 AND r = :realm", &n, o),
	    "SELECT h FROM t WHERE u = ? AND 1--1 = 2 AND r = ?", "my: 1--1 is arithmetic, not a comment");
	is_str(tr(SQL_MYSQL, "SELECT h /* a /* b */ FROM t WHERE u = :user", &n, o),
	    "SELECT h /* a /* b */ FROM t WHERE u = ?", "my: slash-star comments do not nest");
	is_str(tr(SQL_MYSQL, "SELECT h FROM t WHERE u = ?", &n, o),
	    "ERR: q: use :user and :realm, not ?", "my: ? refused");
	is_str(tr(SQL_MYSQL, "SELECT h FROM t WHERE u = :login", &n, o),
	    "ERR: q: unknown parameter :login (only :user and :realm are known)", "my: other names refused");
	is_str(tr(SQL_MYSQL, "SELECT h FROM t WHERE r = :realm", &n, o),
	    "ERR: q: it must use :user", "my: :user required");
	is_str(tr(SQL_MYSQL, "SELECT @a := 1 FROM t WHERE u = :user", &n, o),
	    "SELECT @a := 1 FROM t WHERE u = ?", "my: := is left alone");
	is_str(tr(SQL_MYSQL, "SELECT :user,:user,:user,:user,:user,:user,:user,:user,:user,:user,:user,:user,:user,:user,:user,:user,:user", &n, o),
	    "ERR: q: more than 16 uses of :user and :realm", "my: at most 16 placeholders");
}

int
main(void)
{
	test_pgsql();
	test_mysql();
	return done_testing();
}
