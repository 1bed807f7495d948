/* mysql.c - the MariaDB/MySQL store behind digest_mysql_auth
 * (digest_mysql_auth(8)), over MariaDB Connector/C.
 *
 * Up to -j connections, each in a read-only session with the lookup
 * (the default schema's, lib/myschema.h, or -q) and the group query (the
 * default's, or -g) prepared on it as server-side statements; each
 * lookup binds the user and the realm.  A lookup runs on a connection of
 * its own with the library's non-blocking calls, all of them polled from
 * the one request loop through one epoll descriptor, and each reply goes
 * out as its lookup completes.  The other files of this folder are
 * listed in mysql_int.h; what every SQL store shares is in helpers/sql/.
 * This one starts and stops the store and answers the loop's questions.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "myschema.h"
#include "mysql_int.h"
#include "secret.h"

static void
my_fini(void **ctx)
{
	struct my_ctx *x = *ctx;
	unsigned i;

	if (x == NULL)
		return;
	for (i = 0; x->cn != NULL && i < x->ns; i++) {
		my_conn_close(x, &x->cn[i]);
		notes_free(&x->cn[i].notes);
	}
	my_table_free(x);
	free(x->cn);
	if (x->epfd >= 0)
		close(x->epfd);
	sql_stmt_free(&x->look);
	sql_stmt_free(&x->groups);
	free(x);
	*ctx = NULL;
	mysql_library_end();
}

/* The default schema's lookup and groups as one statement
 * (MYSCHEMA_LOOKUP_GROUPS): a connection runs one statement at a time,
 * so two would be two round trips per lookup.  -q or -g keep theirs. */
static void
join_default(struct my_ctx *x)
{
	if (x->look.kind != SQL_LOOKUP || x->groups.kind != SQL_GROUPS ||
	    x->groups.sql == NULL)
		return;
	sql_stmt_free(&x->look);
	x->look.sql = xstrdup(MYSCHEMA_LOOKUP_GROUPS);
	x->look.kind = SQL_LOOKUP_GROUPS;
	sql_stmt_free(&x->groups);
}

static int
my_init(void **ctx_r, void *conf, int argc, char **argv, char *err_r,
    size_t errlen)
{
	const struct my_conf *c = conf;
	struct my_ctx *x;
	void *dead;
	unsigned i;

	(void)argv;
	if (my_conf_check(c, argc, err_r, errlen) < 0)
		return -1;
	if (mysql_library_init(0, NULL, NULL) != 0) {
		snprintf(err_r, errlen, "cannot initialise the MariaDB client library");
		return -1;
	}
	x = xcalloc(1, sizeof(*x));
	x->c = c;
	x->judge.c = &c->sql;
	x->ns = c->sql.inflight;
	x->s = xcalloc(x->ns, sizeof(*x->s));
	x->cn = xcalloc(x->ns, sizeof(*x->cn));
	for (i = 0; i < x->ns; i++) {
		x->cn[i].reg_fd = -1;
		x->cn[i].slot = -1;
	}
	x->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (x->epfd < 0) {
		snprintf(err_r, errlen, "epoll_create1: %s", strerror(errno));
		goto fail;
	}
	if (sql_make_statements(&c->sql, SQL_MYSQL, MYSCHEMA_LOOKUP,
	    MYSCHEMA_GROUPS, &x->look, &x->groups, err_r, errlen) < 0)
		goto fail;
	join_default(x);
	if (my_conn_first(x, err_r, errlen) < 0)
		goto fail;
	*ctx_r = x;
	return 0;
fail:
	dead = x;
	my_fini(&dead);
	return -1;
}

static unsigned
my_max_inflight(void *ctx)
{
	return ((struct my_ctx *)ctx)->ns;
}

/* Called by the loop right before it waits: the sockets of the calls
 * under way are what it waits for. */
static int
my_event_fd(void *ctx)
{
	struct my_ctx *x = ctx;

	my_arm(x);
	return x->epfd;
}

static const struct option my_longopts[] = {
	{ "plaintext", no_argument, NULL, SQL_OPT_PLAINTEXT },
	{ "host", required_argument, NULL, MY_OPT_HOST },
	{ "port", required_argument, NULL, MY_OPT_PORT },
	{ "socket", required_argument, NULL, MY_OPT_SOCKET },
	{ "database", required_argument, NULL, MY_OPT_DATABASE },
	{ "user", required_argument, NULL, MY_OPT_USER },
	{ "defaults-file", required_argument, NULL, MY_OPT_DEFAULTS_FILE },
	{ "ssl-mode", required_argument, NULL, MY_OPT_SSL_MODE },
	{ "ssl-ca", required_argument, NULL, MY_OPT_SSL_CA },
	{ NULL, 0, NULL, 0 },
};

const struct backend_ops mysql_backend = {
	.name = "mysql",
	.usage = "[options] [-q SQL] [-g SQL] --database DB [--host HOST[,HOST...]]",
	.options_help =
	    "  --host H[,H...]  server host names or addresses, each with an\n"
	    "                   optional :PORT; several fail over, in order\n"
	    "                   (default: the option file's, else localhost)\n"
	    "  --port N         TCP port (default 3306)\n"
	    "  --socket PATH    Unix socket, for localhost\n"
	    "  --database DB    the database\n"
	    "  --user NAME      the account (default: the option file's)\n"
	    "  --defaults-file FILE  an option file's [client] group, as the\n"
	    "                   mysql client reads it: host, user, password ...\n"
	    "  -W FILE          read the password from FILE (or the option file)\n"
	    "  --ssl-mode MODE  DISABLED, REQUIRED (TLS) or VERIFY_IDENTITY (TLS,\n"
	    "                   the certificate and host name checked)\n"
	    "  --ssl-ca FILE    the CA certificates for VERIFY_IDENTITY\n"
	    "  -q SQL           custom lookup query using :user and :realm and\n"
	    "                   returning the HA1 (or with --plaintext the\n"
	    "                   password), then any annotations named by their\n"
	    "                   columns (default: the digest_users table)\n"
	    "  -g SQL           custom group query using :user and :realm: each\n"
	    "                   row's one column is a group=\"...\" of the reply\n"
	    "                   (default: the digest_groups table; none with -q)\n"
	    "  --plaintext      -q's first column is a plaintext password (such\n"
	    "                   as FreeRADIUS's radcheck); the HA1 is computed\n"
	    "  -t SECONDS       statement time-out, and the wait for a hung\n"
	    "                   server (default 10)\n"
	    "  -j N             connections, lookups in flight with channel IDs\n"
	    "                   (default 4)\n",
	.shortopts = "q:g:j:t:W:",
	.longopts = my_longopts,
	.conf_new = my_conf_new,
	.conf_free = my_conf_free,
	.option = my_option,
	.init = my_init,
	.lookup = NULL,		/* asynchronous only */
	.start = my_start,
	.max_inflight = my_max_inflight,
	.event_fd = my_event_fd,
	.next_timeout_ms = my_next_timeout,
	.dispatch = my_dispatch,
	.fini = my_fini,
};
