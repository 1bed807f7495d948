/* conf.c - the options of digest_mysql_auth, into struct my_conf: those
 * every SQL-server store takes (helpers/sql/conf.c), and where the
 * server is and how to log in (digest_mysql_auth(8), "CONNECTING").
 *
 * No password is ever taken from the command line, where every local
 * user can read it with ps: it comes from -W FILE or from the option
 * file (--defaults-file, the [client] group, as the mysql client reads
 * it).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mysql_int.h"
#include "optarg.h"
#include "safefile.h"
#include "secret.h"

void *
my_conf_new(void)
{
	struct my_conf *c = xcalloc(1, sizeof(*c));

	sql_conf_init(&c->sql, MY_DEFAULT_INFLIGHT);
	return c;
}

void
my_conf_free(void *conf)
{
	struct my_conf *c = conf;
	unsigned i;

	if (c == NULL)
		return;
	sql_conf_clear(&c->sql);
	for (i = 0; i < c->nhosts; i++)
		free(c->hosts[i].name);
	free(c);
}

/* One NAME[:PORT] (n bytes) of --host.  An IPv6 address goes in
 * brackets when it has a port: [::1]:3307. */
static int
add_host(struct my_conf *c, const char *p, size_t n, const char **err_r)
{
	const char *colon = NULL, *end = p + n;
	int port = 0;
	char num[8];

	if (c->nhosts == MY_MAX_HOSTS) {
		*err_r = "--host: at most 16 servers";
		return -1;
	}
	if (n > 0 && p[0] == '[') {
		const char *rb = memchr(p, ']', n);

		if (rb == NULL || (rb + 1 < end && rb[1] != ':')) {
			*err_r = "--host: a bracketed address must be [ADDRESS] or [ADDRESS]:PORT";
			return -1;
		}
		colon = rb + 1 < end ? rb + 1 : NULL;
		p++;
		n = (size_t)(rb - p);
	} else if ((colon = memchr(p, ':', n)) != NULL &&
	    memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
		colon = NULL;	/* an IPv6 address without a port */
	} else if (colon != NULL) {
		n = (size_t)(colon - p);
	}
	if (colon != NULL) {
		size_t pl = (size_t)(end - colon - 1);

		if (pl == 0 || pl >= sizeof(num)) {
			*err_r = "--host: a port must be 1 to 65535";
			return -1;
		}
		memcpy(num, colon + 1, pl);
		num[pl] = '\0';
		if (optarg_int(num, 1, 65535, &port) < 0) {
			*err_r = "--host: a port must be 1 to 65535";
			return -1;
		}
	}
	if (n == 0) {
		*err_r = "--host: an empty host name";
		return -1;
	}
	c->hosts[c->nhosts].name = xmemdup0(p, n);
	c->hosts[c->nhosts++].port = (unsigned)port;
	return 0;
}

/* --host A,B:3307,...: the fail-over list, in order (repeatable). */
static int
add_hosts(struct my_conf *c, const char *arg, const char **err_r)
{
	const char *p = arg, *comma;

	do {
		comma = strchr(p, ',');
		if (add_host(c, p, comma != NULL ? (size_t)(comma - p) :
		    strlen(p), err_r) < 0)
			return -1;
		p = comma + 1;
	} while (comma != NULL);
	return 0;
}

static int
ssl_mode(struct my_conf *c, const char *arg, const char **err_r)
{
	if (strcasecmp(arg, "DISABLED") == 0)
		c->ssl = MY_SSL_DISABLED;
	else if (strcasecmp(arg, "REQUIRED") == 0)
		c->ssl = MY_SSL_REQUIRED;
	else if (strcasecmp(arg, "VERIFY_IDENTITY") == 0)
		c->ssl = MY_SSL_VERIFY_IDENTITY;
	else {
		*err_r = "--ssl-mode must be DISABLED, REQUIRED or VERIFY_IDENTITY";
		return -1;
	}
	return 0;
}

/* A file the library will read (the option file, the CA): it must be a
 * regular file this user can read now, so that a typo is a start-up
 * error, not an outage. */
static int
readable(struct my_conf *c, const char *path, const char *what,
    const char **err_r)
{
	char why[512];
	struct stat st;
	int fd = safe_open_read(path, &st, why, sizeof(why));

	if (fd < 0) {
		snprintf(c->sql.err, sizeof(c->sql.err), "%s: %s", what, why);
		*err_r = c->sql.err;
		return -1;
	}
	close(fd);
	return 0;
}

/* The value of a string option, which must not be empty. */
static int
text(const char **dst, const char *arg, const char *empty,
    const char **err_r)
{
	if (*arg == '\0') {
		*err_r = empty;
		return -1;
	}
	*dst = arg;
	return 0;
}

int
my_option(void *conf, int opt, const char *arg, const char **err_r)
{
	struct my_conf *c = conf;
	int rc = sql_option(&c->sql, opt, arg, err_r), v;

	if (rc <= 0)
		return rc;
	switch (opt) {
	case MY_OPT_HOST:
		return add_hosts(c, arg, err_r);
	case MY_OPT_PORT:
		if (optarg_int(arg, 1, 65535, &v) < 0) {
			*err_r = "--port must be 1 to 65535";
			return -1;
		}
		c->port = (unsigned)v;
		return 0;
	case MY_OPT_SOCKET:
		return text(&c->socket, arg, "--socket needs a path", err_r);
	case MY_OPT_DATABASE:
		return text(&c->database, arg, "--database needs a name", err_r);
	case MY_OPT_USER:
		return text(&c->user, arg, "--user needs a name", err_r);
	case MY_OPT_DEFAULTS_FILE:
		c->defaults_file = arg;
		return readable(c, arg, "--defaults-file", err_r);
	case MY_OPT_SSL_MODE:
		return ssl_mode(c, arg, err_r);
	case MY_OPT_SSL_CA:
		c->ssl_ca = arg;
		return readable(c, arg, "--ssl-ca", err_r);
	}
	*err_r = "unknown option";
	return -1;
}

int
my_conf_check(const struct my_conf *c, int argc, char *err, size_t errlen)
{
	if (argc != 0) {
		snprintf(err, errlen, "unexpected argument (the server is named with --host, --port, --socket or --defaults-file; see --help)");
		return -1;
	}
	if (c->database == NULL && c->defaults_file == NULL) {
		snprintf(err, errlen, "no database: give --database or a --defaults-file that names one");
		return -1;
	}
	if (c->ssl_ca != NULL && c->ssl == MY_SSL_DISABLED) {
		snprintf(err, errlen, "--ssl-ca with --ssl-mode=DISABLED: nothing would use it");
		return -1;
	}
	return sql_conf_check(&c->sql, err, errlen);
}
