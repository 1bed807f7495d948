/* params.c - the named parameters of -q and -g.
 *
 * The admin writes :user and :realm, as for digest_sqlite_auth; the
 * servers know only their placeholders: $1, $2 ... in PostgreSQL, one ?
 * per value in MariaDB and MySQL.  This scanner copies the query and
 * turns each :user and :realm into the engine's placeholder, skipping
 * what is not SQL code in that engine's dialect:
 *
 *   PostgreSQL  string literals ('...', E'...' with backslash escapes,
 *               $tag$...$tag$), quoted identifiers ("..."), comments (--
 *               to the end of the line, nested slash-star ones);
 *   MariaDB     string literals ('...' and "...", with backslash
 *               escapes), quoted identifiers (`...`), comments (# and
 *               "-- " to the end of the line, slash-star ones, which do
 *               not nest).
 *
 * A cast (::) is left alone.  Any other :name, and a placeholder written
 * by hand ($1, ?), is refused, so what is bound is always clear.  The
 * PostgreSQL session runs with standard_conforming_strings on (its
 * setup.c), so a backslash in '...' is an ordinary character there, as
 * here.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "obuf.h"
#include "sql.h"

struct scan {
	enum sql_dialect d;
	const char *p;		/* the query */
	size_t i, n;		/* where the scan is, and the length */
	struct obuf out;
	bool user, realm;	/* which parameters were seen */
	int nph;		/* SQL_MYSQL: the ? written so far */
	unsigned char order[SQL_MAX_PARAMS];	/* ... and what each binds */
	bool too_many;		/* more than SQL_MAX_PARAMS of them */
	char name[64];		/* the refused name, for the message */
};

static bool
ident_start(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    ch == '_' || ch >= 0x80;
}

static bool
ident_char(unsigned char ch)
{
	return ident_start(ch) || (ch >= '0' && ch <= '9') || ch == '$';
}

/* Copy from s->i up to (not including) end. */
static void
copy_to(struct scan *s, size_t end)
{
	if (end > s->n)
		end = s->n;
	obuf_append(&s->out, s->p + s->i, end - s->i);
	s->i = end;
}

/* A quoted run from s->i (the opening quote q) to its closing quote; a
 * doubled quote stays inside, and with backslash set, \x does too. */
static void
quoted(struct scan *s, char q, bool backslash)
{
	size_t j = s->i + 1;

	while (j < s->n) {
		if (backslash && s->p[j] == '\\' && j + 1 < s->n) {
			j += 2;
		} else if (s->p[j] == q && j + 1 < s->n && s->p[j + 1] == q) {
			j += 2;
		} else if (s->p[j] == q) {
			j++;
			break;
		} else {
			j++;
		}
	}
	copy_to(s, j);
}

/* A comment from s->i: -- (or MariaDB's #) to the end of the line, or
 * slash-star ones, which nest in PostgreSQL but not in MariaDB. */
static void
comment(struct scan *s)
{
	size_t j = s->i + (s->p[s->i] == '#' ? 1 : 2);
	int depth = 1;

	if (s->p[s->i] == '-' || s->p[s->i] == '#') {
		while (j < s->n && s->p[j] != '\n')
			j++;
		copy_to(s, j);
		return;
	}
	while (j < s->n && depth > 0) {
		if (s->d == SQL_PGSQL && s->p[j] == '/' && j + 1 < s->n &&
		    s->p[j + 1] == '*') {
			depth++;
			j += 2;
		} else if (s->p[j] == '*' && j + 1 < s->n && s->p[j + 1] == '/') {
			depth--;
			j += 2;
		} else {
			j++;
		}
	}
	copy_to(s, j);
}

/* At a '$' that does not end a word: $n (refused: -1), a dollar-quoted
 * string $tag$...$tag$ (copied), or a lone '$'. */
static int
dollar(struct scan *s)
{
	size_t j = s->i + 1, tag;
	const char *end;

	if (j < s->n && s->p[j] >= '0' && s->p[j] <= '9') {
		while (j < s->n && s->p[j] >= '0' && s->p[j] <= '9')
			j++;
		log_sanitize(s->p + s->i, j - s->i, s->name, sizeof(s->name));
		return -1;
	}
	while (j < s->n && ident_char((unsigned char)s->p[j]) && s->p[j] != '$')
		j++;
	if (j >= s->n || s->p[j] != '$' || (j > s->i + 1 &&
	    !ident_start((unsigned char)s->p[s->i + 1]))) {
		copy_to(s, s->i + 1);
		return 0;
	}
	tag = j + 1 - s->i;	/* "$tag$" */
	end = memmem(s->p + j + 1, s->n - j - 1, s->p + s->i, tag);
	copy_to(s, end != NULL ? (size_t)(end - s->p) + tag : s->n);
	return 0;
}

/* The placeholder for parameter which (0: user, 1: realm). */
static void
placeholder(struct scan *s, unsigned char which)
{
	if (s->d == SQL_PGSQL) {
		obuf_append(&s->out, which == 0 ? "$1" : "$2", 2);
		return;
	}
	if (s->nph == SQL_MAX_PARAMS) {
		s->too_many = true;
		return;
	}
	s->order[s->nph++] = which;
	obuf_append(&s->out, "?", 1);
}

/* At a ':' that is not part of "::": a named parameter, or a lone ':'
 * (an array slice a[1:2]). */
static int
colon(struct scan *s)
{
	size_t j = s->i + 1, len;

	if (j >= s->n || !ident_start((unsigned char)s->p[j])) {
		copy_to(s, j);
		return 0;
	}
	while (j < s->n && ident_char((unsigned char)s->p[j]) && s->p[j] != '$')
		j++;
	len = j - s->i - 1;
	if (len == 4 && memcmp(s->p + s->i + 1, "user", 4) == 0) {
		placeholder(s, 0);
		s->user = true;
	} else if (len == 5 && memcmp(s->p + s->i + 1, "realm", 5) == 0) {
		placeholder(s, 1);
		s->realm = true;
	} else {
		log_sanitize(s->p + s->i, len + 1, s->name, sizeof(s->name));
		return -1;
	}
	s->i = j;
	return 0;
}

/* A word from s->i, '$' included (a$b is one name).  A lone E or e just
 * before a quote starts an escape string, where \' does not end it. */
static void
word(struct scan *s)
{
	size_t j = s->i;
	bool escape;

	while (j < s->n && ident_char((unsigned char)s->p[j]))
		j++;
	escape = s->d == SQL_PGSQL && j == s->i + 1 &&
	    (s->p[s->i] == 'E' || s->p[s->i] == 'e') &&
	    j < s->n && s->p[j] == '\'';
	copy_to(s, j);
	if (escape)
		quoted(s, '\'', true);
}

/* MariaDB's "-- " comment: the dashes must be followed by a space or a
 * control character (or end the query); "1--1" is arithmetic. */
static bool
my_dashes(const struct scan *s)
{
	return s->i + 2 >= s->n || (unsigned char)s->p[s->i + 2] <= ' ';
}

/* One MariaDB step from s->i.  Returns 0, or -1 at a refused name. */
static int
my_step(struct scan *s)
{
	char ch = s->p[s->i], next = s->i + 1 < s->n ? s->p[s->i + 1] : '\0';

	if (ch == '\'' || ch == '"') {
		quoted(s, ch, true);
	} else if (ch == '`') {
		quoted(s, '`', false);
	} else if (ch == '#' || (ch == '-' && next == '-' && my_dashes(s)) ||
	    (ch == '/' && next == '*')) {
		comment(s);
	} else if (ch == '?') {
		snprintf(s->name, sizeof(s->name), "?");
		return -1;
	} else if (ch == ':' && next == ':') {
		copy_to(s, s->i + 2);
	} else if (ch == ':') {
		return colon(s);
	} else if (ident_start((unsigned char)ch)) {
		word(s);	/* $ is a word character, never a quote */
	} else {
		copy_to(s, s->i + 1);
	}
	return 0;
}

/* One PostgreSQL step from s->i.  Returns 0, or -1 at a refused name. */
static int
pg_step(struct scan *s)
{
	char ch = s->p[s->i], next = s->i + 1 < s->n ? s->p[s->i + 1] : '\0';

	if (ch == '\'') {
		quoted(s, '\'', false);
	} else if (ch == '"') {
		quoted(s, '"', false);
	} else if ((ch == '-' && next == '-') || (ch == '/' && next == '*')) {
		comment(s);
	} else if (ch == ':' && next == ':') {
		copy_to(s, s->i + 2);
	} else if (ch == ':') {
		return colon(s);
	} else if (ch == '$') {
		return dollar(s);
	} else if (ident_start((unsigned char)ch)) {
		word(s);
	} else {
		copy_to(s, s->i + 1);
	}
	return 0;
}

/* The start-up error for a refused name. */
static void
refused(const struct scan *s, const char *what, char *err, size_t errlen)
{
	if (s->name[0] == '$' || s->name[0] == '?')
		snprintf(err, errlen, "%s: use :user and :realm, not %s",
		    what, s->name);
	else
		snprintf(err, errlen, "%s: unknown parameter %s (only :user and :realm are known)",
		    what, s->name);
}

int
sql_translate(enum sql_dialect d, const char *what, const char *sql,
    char **out_r, int *nparams_r, unsigned char order_r[SQL_MAX_PARAMS],
    char *err, size_t errlen)
{
	struct scan s = { .d = d, .p = sql, .n = strlen(sql) };

	while (s.i < s.n) {
		if ((d == SQL_PGSQL ? pg_step(&s) : my_step(&s)) < 0) {
			refused(&s, what, err, errlen);
			obuf_free(&s.out);
			return -1;
		}
	}
	if (!s.user || s.too_many) {
		if (s.too_many)
			snprintf(err, errlen, "%s: more than %d uses of :user and :realm",
			    what, SQL_MAX_PARAMS);
		else
			snprintf(err, errlen, "%s: it must use :user", what);
		obuf_free(&s.out);
		return -1;
	}
	obuf_append(&s.out, "", 1);
	*out_r = s.out.p;
	if (d == SQL_PGSQL) {
		*nparams_r = s.realm ? 2 : 1;
	} else {
		*nparams_r = s.nph;
		memcpy(order_r, s.order, sizeof(s.order));
	}
	return 0;
}
