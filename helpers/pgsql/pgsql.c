/* pgsql.c - the PostgreSQL store behind digest_pgsql_auth
 * (digest_pgsql_auth(8)).
 *
 * One connection, opened at start and kept, in a read-only session.  The
 * lookup (the default schema's, lib/pgschema.h, or -q) and the group
 * query (the default's, or -g) are prepared on it once; each lookup binds
 * the user and the realm (what the SQL stores share is in helpers/sql/).
 * Lookups run asynchronously in libpq's pipeline
 * mode, up to -j at once, and each reply goes out as its lookup
 * completes.  The other files of this folder are listed in pgsql_int.h;
 * this one starts and stops the store and answers the loop's questions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "pgschema.h"
#include "pgsql_int.h"
#include "secret.h"

static void
pb_fini(void **ctx)
{
	struct pb_ctx *x = *ctx;

	if (x == NULL)
		return;
	pb_table_free(x);
	pb_conn_close(x);	/* PQfinish wipes libpq's copy of the password */
	free(x->fifo.e);
	notes_free(&x->notes);
	sql_stmt_free(&x->look);
	sql_stmt_free(&x->groups);
	free(x->kw);
	free(x->val);		/* the password itself is the configuration's */
	free(x);
	*ctx = NULL;
}

/* The arguments, and the options together. */
static int
check_args(const struct sql_conf *c, int argc, char *err, size_t errlen)
{
	if (argc != 1) {
		snprintf(err, errlen, argc == 0 ?
		    "no CONNINFO given (see --help)" :
		    "expected one CONNINFO, got %d arguments (quote it as one; see --help)",
		    argc);
		return -1;
	}
	return sql_conf_check(c, err, errlen);
}

static int
pb_init(void **ctx_r, void *conf, int argc, char **argv, char *err_r,
    size_t errlen)
{
	const struct sql_conf *c = conf;
	struct pb_ctx *x;
	void *dead;

	if (check_args(c, argc, err_r, errlen) < 0 ||
	    pb_conninfo_check(argv[0], err_r, errlen) < 0)
		return -1;
	x = xcalloc(1, sizeof(*x));
	x->c = c;
	x->judge.c = c;
	x->ns = c->inflight;
	x->s = xcalloc(x->ns, sizeof(*x->s));
	/* each lookup's two queries, one stale entry, a sync point each */
	pb_fifo_init(&x->fifo, 6 * x->ns + 8);
	pb_connect_params(x, argv[0]);
	if (sql_make_statements(c, SQL_PGSQL, PGSCHEMA_LOOKUP, PGSCHEMA_GROUPS,
	    &x->look, &x->groups, err_r, errlen) < 0 ||
	    pb_conn_start(x, err_r, errlen) < 0) {
		dead = x;
		pb_fini(&dead);
		return -1;
	}
	*ctx_r = x;
	return 0;
}

static unsigned
pb_max_inflight(void *ctx)
{
	return ((struct pb_ctx *)ctx)->ns;
}

/* Called by the loop right before it waits for the replies: the batch's
 * queries go out now, closed by a sync point. */
static int
pb_event_fd(void *ctx)
{
	struct pb_ctx *x = ctx;

	if (pb_push(x) < 0 || !pb_connected(x))
		return -1;	/* next_timeout: 0, dispatch goes on */
	return PQsocket(x->conn.pc);
}

static const struct option pb_longopts[] = {
	{ "plaintext", no_argument, NULL, SQL_OPT_PLAINTEXT },
	{ NULL, 0, NULL, 0 },
};

const struct backend_ops pgsql_backend = {
	.name = "pgsql",
	.usage = "[options] [-q SQL] [-g SQL] CONNINFO",
	.options_help =
	    "  CONNINFO       libpq connection string or URI, e.g.\n"
	    "                 \"host=db1,db2 dbname=squid user=squid_ro\"; several\n"
	    "                 hosts fail over; no password in it (see -W)\n"
	    "  -q SQL         custom lookup query using :user and :realm and\n"
	    "                 returning the HA1 (or with --plaintext the password),\n"
	    "                 then any annotations named by their columns\n"
	    "                 (default: the digest_users table made by\n"
	    "                 digest_passwd --pgsql CONNINFO --init)\n"
	    "  -g SQL         custom group query using :user and :realm: each\n"
	    "                 row's one column is a group=\"...\" of the reply\n"
	    "                 (default: the digest_groups table; none with -q)\n"
	    "  --plaintext    -q's first column is a plaintext password (such as\n"
	    "                 FreeRADIUS's radcheck); the HA1 is computed from it\n"
	    "  -W FILE        read the password from FILE (default: the password\n"
	    "                 file, ~/.pgpass or PGPASSFILE)\n"
	    "  -t SECONDS     statement time-out, and the wait for a hung server\n"
	    "                 (default 10)\n"
	    "  -j N           lookups in flight with channel IDs (default 16)\n",
	.shortopts = "q:g:j:t:W:",
	.longopts = pb_longopts,
	.conf_new = pb_conf_new,
	.conf_free = pb_conf_free,
	.option = pb_option,
	.init = pb_init,
	.lookup = NULL,		/* asynchronous only */
	.start = pb_start,
	.max_inflight = pb_max_inflight,
	.event_fd = pb_event_fd,
	.next_timeout_ms = pb_next_timeout,
	.dispatch = pb_dispatch,
	.fini = pb_fini,
};
