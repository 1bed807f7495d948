/* conf.c - the options of digest_pgsql_auth, into struct pb_conf.  How
 * they fit together (--plaintext needs -q) is checked by init.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgsql_int.h"
#include "optarg.h"
#include "safefile.h"
#include "secret.h"

/* Lookups in flight per helper (-j): the default and the most. */
#define PB_DEFAULT_INFLIGHT 16
#define PB_MAX_INFLIGHT 1024

/* -t: at least a second, at most an hour. */
#define PB_MAX_TIMEOUT_S 3600

void *
pb_conf_new(void)
{
	struct pb_conf *c = xcalloc(1, sizeof(*c));

	c->inflight = PB_DEFAULT_INFLIGHT;
	c->timeout_s = PB_DEFAULT_TIMEOUT_S;
	return c;
}

void
pb_conf_free(void *conf)
{
	struct pb_conf *c = conf;

	if (c == NULL)
		return;
	secret_replace(&c->secret, NULL);
	free(c);
}

/* The password from -W: the first line of the file (see
 * safe_read_secret_line). */
static int
read_secret(struct pb_conf *c, const char *path, const char **err_r)
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
pb_option(void *conf, int opt, const char *arg, const char **err_r)
{
	struct pb_conf *c = conf;
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
	case PB_OPT_PLAINTEXT:
		c->plaintext = true;
		return 0;
	case 'j':
		if (optarg_int(arg, 1, PB_MAX_INFLIGHT, &v) < 0) {
			*err_r = "-j must be 1 to 1024 lookups in flight";
			return -1;
		}
		c->inflight = (unsigned)v;
		return 0;
	case 't':
		if (optarg_int(arg, 1, PB_MAX_TIMEOUT_S, &v) < 0) {
			*err_r = "the statement time-out (-t) must be 1 to 3600 seconds";
			return -1;
		}
		c->timeout_s = v;
		return 0;
	case 'W':
		return read_secret(c, arg, err_r);
	}
	*err_r = "unknown option";
	return -1;
}
