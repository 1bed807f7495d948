/* stmt.c - the statements of an SQL-server store: the lookup (-q, or the
 * default schema's) and the group query (-g, or the default schema's,
 * or none), and the check of the columns the server says they return.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "secret.h"
#include "sql.h"

/* The statements' names (on a PostgreSQL server, in messages). */
#define SQL_LOOKUP_NAME "dh_lookup"
#define SQL_GROUPS_NAME "dh_groups"

static const char *const kind_bad[] = {
	[SQL_LOOKUP] = "cannot prepare the lookup",
	[SQL_LOOKUP_GROUPS] = "cannot prepare the lookup",
	[SQL_LOOKUP_CUSTOM] = "bad -q query",
	[SQL_GROUPS] = "cannot prepare the group lookup",
	[SQL_GROUPS_CUSTOM] = "bad -g query",
};

const char *
sql_kind_bad(enum sql_kind kind)
{
	return kind_bad[kind];
}

/* A statement from the admin's SQL (what names it in messages), or the
 * default schema's (user, then realm). */
static int
make_stmt(struct sql_stmt *st, enum sql_dialect d, const char *name,
    const char *what, const char *sql, enum sql_kind kind, char *err,
    size_t errlen)
{
	st->name = name;
	st->kind = kind;
	if (kind == SQL_LOOKUP_CUSTOM || kind == SQL_GROUPS_CUSTOM)
		return sql_translate(d, what, sql, &st->sql, &st->nparams,
		    st->order, err, errlen);
	st->sql = xstrdup(sql);
	st->nparams = 2;
	st->order[0] = 0;
	st->order[1] = 1;
	return 0;
}

int
sql_make_statements(const struct sql_conf *c, enum sql_dialect d,
    const char *def_lookup, const char *def_groups, struct sql_stmt *look,
    struct sql_stmt *groups, char *err, size_t errlen)
{
	if (make_stmt(look, d, SQL_LOOKUP_NAME, "bad -q query",
	    c->query != NULL ? c->query : def_lookup,
	    c->query != NULL ? SQL_LOOKUP_CUSTOM : SQL_LOOKUP, err, errlen) < 0)
		return -1;
	groups->kind = SQL_GROUPS;
	if (c->group_query != NULL)
		return make_stmt(groups, d, SQL_GROUPS_NAME, "bad -g query",
		    c->group_query, SQL_GROUPS_CUSTOM, err, errlen);
	if (c->query == NULL)
		return make_stmt(groups, d, SQL_GROUPS_NAME, NULL, def_groups,
		    SQL_GROUPS, err, errlen);
	return 0;
}

void
sql_stmt_free(struct sql_stmt *st)
{
	free(st->sql);
	st->sql = NULL;
}

int
sql_check_columns(const struct sql_stmt *st, const char *const *names, int n,
    char *err, size_t errlen)
{
	char shown[128];
	int i;

	if ((st->kind == SQL_LOOKUP && n != 2) ||
	    (st->kind == SQL_LOOKUP_GROUPS && n != 3) ||
	    (st->kind == SQL_LOOKUP_CUSTOM && n < 1) ||
	    ((st->kind == SQL_GROUPS || st->kind == SQL_GROUPS_CUSTOM) && n != 1)) {
		snprintf(err, errlen, "%s: it returns %d columns; it must return %s",
		    kind_bad[st->kind], n, st->kind == SQL_LOOKUP ? "ha1 and enabled" :
		    st->kind == SQL_LOOKUP_GROUPS ? "ha1, enabled and grp" :
		    st->kind == SQL_LOOKUP_CUSTOM ? "the HA1 first" :
		    "exactly one, the group");
		return -1;
	}
	for (i = 1; st->kind == SQL_LOOKUP_CUSTOM && i < n; i++) {
		const char *name = names[i];

		if (name != NULL && notes_key_ok(name, strlen(name)))
			continue;
		snprintf(err, errlen, "%s: its column %d is named \"%s\", which is not an annotation Squid takes (group, tag, clt_conn_tag, or letters, digits, '-' and '_' ending in '_')",
		    kind_bad[st->kind], i + 1, name == NULL ? "" :
		    log_sanitize(name, strlen(name), shown, sizeof(shown)));
		return -1;
	}
	return 0;
}
