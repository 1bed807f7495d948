/* conninfo.c - the CONNINFO argument: a libpq keyword string
 * ("host=db1,db2 dbname=squid user=squid_ro") or URI
 * ("postgresql://squid_ro@db1,db2/squid"), or a plain database name.
 *
 * libpq does the connecting, the fail-over across several hosts and
 * target_session_attrs; this file only checks the string and adds what
 * the helper needs around it.  A password never comes from the command
 * line, where every local user can read it with ps: one in CONNINFO is
 * refused, and PGPASSWORD is ignored.  It comes from the password file
 * (~/.pgpass, PGPASSFILE, passfile=) or from -W FILE.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgsql_int.h"
#include "secret.h"

/* connect_timeout when neither CONNINFO nor PGCONNECT_TIMEOUT sets one:
 * libpq applies it to each host in turn.  Connecting blocks the helper,
 * so it is short; a server across a WAN may need more. */
#define PB_CONNECT_TIMEOUT "5"

/* The keywords the helper passes, at most. */
#define PB_MAX_KEYWORDS 5

static bool
is_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0;
}

/* libpq's reason for a string it cannot parse quotes pieces of it; keep
 * it out when the string may hold a password (refused anyway). */
static void
parse_error(const char *conninfo, char *msg, char *err, size_t errlen)
{
	char line[512];

	if (msg == NULL || strchr(conninfo, '@') != NULL ||
	    strcasestr(conninfo, "pass") != NULL) {
		snprintf(err, errlen, "CONNINFO is not a valid libpq connection string or URI (the reason is not shown: the string may hold a password)");
	} else {
		pb_one_line(msg, line, sizeof(line));
		snprintf(err, errlen, "CONNINFO is not a valid libpq connection string or URI: %s",
		    line);
	}
	if (msg != NULL)
		PQfreemem(msg);
}

/* Wipe the values PQconninfoParse copied (a password among them), then
 * free them. */
static void
free_options(PQconninfoOption *opts)
{
	PQconninfoOption *o;

	for (o = opts; o != NULL && o->keyword != NULL; o++)
		if (o->val != NULL)
			secret_wipe(o->val, strlen(o->val));
	PQconninfoFree(opts);
}

int
pb_conninfo_check(const char *conninfo, char *err, size_t errlen)
{
	PQconninfoOption *opts, *o;
	char *msg = NULL;
	bool password = false;

	if (getenv("PGPASSWORD") != NULL) {
		log_warn("PGPASSWORD is ignored (other local users may read it); use a password file or -W FILE");
		unsetenv("PGPASSWORD");
	}
	if (*conninfo == '\0') {
		snprintf(err, errlen, "CONNINFO is empty (see --help)");
		return -1;
	}
	if (strchr(conninfo, '=') == NULL && !is_uri(conninfo))
		return 0;	/* a database name: libpq takes it as dbname */
	opts = PQconninfoParse(conninfo, &msg);
	if (opts == NULL) {
		parse_error(conninfo, msg, err, errlen);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
			password = true;
	free_options(opts);
	if (password) {
		snprintf(err, errlen, "CONNINFO holds a password, which every local user can read with ps; put it in a password file (~/.pgpass, PGPASSFILE) or give -W FILE");
		return -1;
	}
	return 0;
}

/* The keywords for PQconnectdbParams with expand_dbname: the helper's
 * defaults first, which CONNINFO (expanded from dbname) overrides, then
 * the -W password, which nothing overrides. */
void
pb_connect_params(struct pb_ctx *x, const char *conninfo)
{
	unsigned n = 0;

	x->kw = xcalloc(PB_MAX_KEYWORDS + 1, sizeof(*x->kw));
	x->val = xcalloc(PB_MAX_KEYWORDS + 1, sizeof(*x->val));
	x->kw[n] = "fallback_application_name";
	x->val[n++] = log_progname();
	if (getenv("PGCONNECT_TIMEOUT") == NULL) {
		x->kw[n] = "connect_timeout";
		x->val[n++] = PB_CONNECT_TIMEOUT;
	}
	x->kw[n] = "dbname";
	x->val[n++] = conninfo;
	if (x->c->secret != NULL) {
		x->kw[n] = "password";
		x->val[n++] = x->c->secret;
	}
}

/* libpq's messages span lines (one per host tried, hints after a tab):
 * one log line of them, the pieces joined by "; ". */
void
pb_one_line(const char *msg, char *out, size_t outlen)
{
	size_t o = 0;
	bool gap = false;

	for (; msg != NULL && *msg != '\0' && o + 3 < outlen; msg++) {
		unsigned char ch = (unsigned char)*msg;

		if (ch == '\n' || ch == '\t' || ch == '\r') {
			gap = o > 0;
			continue;
		}
		if (gap) {
			out[o++] = ';';
			out[o++] = ' ';
			gap = false;
		}
		out[o++] = ch < 0x20 ? '?' : (char)ch;
	}
	out[o] = '\0';
}
