/* conf.c - the options the SQL-server stores share (-q, -g, --plaintext,
 * -j, -t, -W), into struct sql_conf.  Each engine's own options and its
 * defaults for -j are its adapter's; how the options fit together
 * (--plaintext needs -q) is sql_conf_check's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optarg.h"
#include "safefile.h"
#include "secret.h"
#include "sql.h"

/* The most lookups in flight per helper (-j). */
#define SQL_MAX_INFLIGHT 1024

/* -t: at least a second, at most an hour. */
#define SQL_MAX_TIMEOUT_S 3600

void
sql_conf_init(struct sql_conf *c, unsigned inflight)
{
	memset(c, 0, sizeof(*c));
	c->inflight = inflight;
	c->timeout_s = SQL_DEFAULT_TIMEOUT_S;
}

void
sql_conf_clear(struct sql_conf *c)
{
	secret_replace(&c->secret, NULL);
}

/* The password from -W: the first line of the file (see
 * safe_read_secret_line). */
static int
read_secret(struct sql_conf *c, const char *path, const char **err_r)
{
	char *secret;

	if (safe_read_secret_line(path, "the password file", &secret, c->err,
	    sizeof(c->err)) < 0) {
		*err_r = c->err;
		return -1;
	}
	secret_replace(&c->secret, NULL);
	c->secret = secret;
	return 0;
}

int
sql_option(struct sql_conf *c, int opt, const char *arg, const char **err_r)
{
	int v;

	switch (opt) {
	case 'q':
	case 'g':
		if (*arg == '\0') {
			*err_r = opt == 'q' ? "-q needs an SQL query" :
			    "-g needs an SQL query";
			return -1;
		}
		*(opt == 'q' ? &c->query : &c->group_query) = arg;
		return 0;
	case SQL_OPT_PLAINTEXT:
		c->plaintext = true;
		return 0;
	case 'j':
		if (optarg_int(arg, 1, SQL_MAX_INFLIGHT, &v) < 0) {
			*err_r = "-j must be 1 to 1024 lookups in flight";
			return -1;
		}
		c->inflight = (unsigned)v;
		return 0;
	case 't':
		if (optarg_int(arg, 1, SQL_MAX_TIMEOUT_S, &v) < 0) {
			*err_r = "the statement time-out (-t) must be 1 to 3600 seconds";
			return -1;
		}
		c->timeout_s = v;
		return 0;
	case 'W':
		return read_secret(c, arg, err_r);
	}
	return 1;
}

int
sql_conf_check(const struct sql_conf *c, char *err, size_t errlen)
{
	if (c->plaintext && c->query == NULL) {
		snprintf(err, errlen, "--plaintext needs -q: the default schema holds HA1s");
		return -1;
	}
	return 0;
}
