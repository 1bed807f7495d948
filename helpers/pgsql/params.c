/* params.c - the named parameters of -q and -g.
 *
 * The admin writes :user and :realm, as for digest_sqlite_auth; the
 * server knows only $1, $2 ...  This scanner copies the query and turns
 * each :user into $1 and each :realm into $2, skipping what is not SQL
 * code: string literals ('...', E'...' with backslash escapes, $tag$...
 * $tag$), quoted identifiers ("..."), and comments (-- to the end of the
 * line, nested slash-star ones).  A cast (::) is left alone.  Any other
 * :name, and a $1 written by hand, is refused, so what is bound is always
 * clear.  The session runs with standard_conforming_strings on (setup.c),
 * so a backslash in '...' is an ordinary character, as here.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "obuf.h"
#include "pgsql_int.h"

struct scan {
	const char *p;		/* the query */
	size_t i, n;		/* where the scan is, and the length */
	struct obuf out;
	bool user, realm;	/* which parameters were seen */
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

/* A comment from s->i: -- to the end of the line, or slash-star ones,
 * which nest in PostgreSQL. */
static void
comment(struct scan *s)
{
	size_t j = s->i + 2;
	int depth = 1;

	if (s->p[s->i] == '-') {
		while (j < s->n && s->p[j] != '\n')
			j++;
		copy_to(s, j);
		return;
	}
	while (j < s->n && depth > 0) {
		if (s->p[j] == '/' && j + 1 < s->n && s->p[j + 1] == '*') {
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
		obuf_append(&s->out, "$1", 2);
		s->user = true;
	} else if (len == 5 && memcmp(s->p + s->i + 1, "realm", 5) == 0) {
		obuf_append(&s->out, "$2", 2);
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
	escape = j == s->i + 1 && (s->p[s->i] == 'E' || s->p[s->i] == 'e') &&
	    j < s->n && s->p[j] == '\'';
	copy_to(s, j);
	if (escape)
		quoted(s, '\'', true);
}

/* One step of the scan from s->i.  Returns 0, or -1 at a refused name. */
static int
step(struct scan *s)
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

int
pb_translate(const char *what, const char *sql, char **out_r, int *nparams_r,
    char *err, size_t errlen)
{
	struct scan s = { .p = sql, .n = strlen(sql) };

	while (s.i < s.n) {
		if (step(&s) < 0) {
			if (s.name[0] == '$')
				snprintf(err, errlen, "%s: use :user and :realm, not %s",
				    what, s.name);
			else
				snprintf(err, errlen, "%s: unknown parameter %s (only :user and :realm are known)",
				    what, s.name);
			obuf_free(&s.out);
			return -1;
		}
	}
	if (!s.user) {
		snprintf(err, errlen, "%s: it must use :user", what);
		obuf_free(&s.out);
		return -1;
	}
	obuf_append(&s.out, "", 1);
	*out_r = s.out.p;
	*nparams_r = s.realm ? 2 : 1;
	return 0;
}
