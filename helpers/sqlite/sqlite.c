/* sqlite.c - the SQLite store behind digest_sqlite_auth (digest_sqlite_auth(8)).
 *
 * The database is opened read-only and the lookup statement prepared once
 * (open.c, query.c); each lookup binds :user and :realm (lookup.c).  A
 * found, enabled user's reply carries annotations: the user's groups and,
 * with -q, the columns after the HA1.  Before each batch of requests the
 * loop calls sq_tick() (reopen.c), which at most once a second checks
 * whether the path now names another file and reopens it; until the new
 * one opens cleanly, the old one serves.  This file holds the options,
 * start-up, shut-down and the ops table (sqlite_int.h lists the rest).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "backend.h"
#include "clock.h"
#include "log.h"
#include "secret.h"
#include "sqlite_int.h"

/* Opening at start-up (schema check, prepare) waits longer for a lock
 * than a lookup: failing there means exiting, and Squid gives up on
 * helpers that exit too often. */
#define SQLITE_OPEN_BUSY_TIMEOUT_MS 10000

static void *
sqlite_conf_new(void)
{
	return xcalloc(1, sizeof(struct sqlite_conf));
}

static void
sqlite_conf_free(void *conf)
{
	free(conf);
}

static int
sqlite_option(void *conf, int opt, const char *arg, const char **err_r)
{
	struct sqlite_conf *c = conf;

	if (opt == 'q' || opt == 'g') {
		if (*arg == '\0') {
			*err_r = opt == 'q' ? "-q needs an SQL query" :
			    "-g needs an SQL query";
			return -1;
		}
		*(opt == 'q' ? &c->query : &c->group_query) = arg;
		return 0;
	}
	*err_r = "unknown option";
	return -1;
}

static int
sqlite_init(void **ctx_r, void *conf, int argc, char **argv, char *err_r,
    size_t errlen)
{
	const struct sqlite_conf *c = conf;
	struct sqlite_ctx *s;

	if (argc != 1) {
		snprintf(err_r, errlen, argc == 0 ? "no database file given (see --help)"
		    : "expected one database file, got %d arguments (see --help)", argc);
		return -1;
	}
	/* Before the first open (it must precede sqlite3_initialize; refused
	 * harmlessly after it): SQLite's memory statistics take a global
	 * mutex on every allocation, and each lookup allocates; nothing here
	 * reads them.  About 5 % fewer instructions per request. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(argv[0]);
	s->conf = c;
	/* start-up waits long for a lock: failing here means exiting */
	if (sq_db_open(&s->cur, s->path, c, SQLITE_OPEN_BUSY_TIMEOUT_MS,
	    err_r, errlen) < 0) {
		free(s->path);
		free(s);
		return -1;
	}
	s->last_check_ns = clock_coarse_ns();
	log_debug("opened %s%s%s", s->path, c->query != NULL ? " with a -q query" : "",
	    c->group_query != NULL ? ", groups from the -g query" :
	    s->cur.groups.st != NULL ? ", groups from digest_groups" : "");
	*ctx_r = s;
	return 0;
}

static void
sqlite_fini(void **ctx)
{
	struct sqlite_ctx *s = *ctx;

	if (s == NULL)
		return;
	sq_db_close(&s->cur);
	free(s->path);
	free(s);
	*ctx = NULL;
}

const struct backend_ops sqlite_backend = {
	.name = "sqlite",
	.usage = "[options] [-q SQL] [-g SQL] DBFILE",
	.options_help =
	    "  -q SQL         custom lookup query using :user and :realm and\n"
	    "                 returning the HA1, then any annotations named by\n"
	    "                 their columns (default: the digest_users table\n"
	    "                 made by digest_passwd --init)\n"
	    "  -g SQL         custom group query using :user and :realm: each\n"
	    "                 row's one column is a group=\"...\" of the reply\n"
	    "                 (default: the digest_groups table)\n",
	.shortopts = "q:g:",
	.longopts = NULL,
	.conf_new = sqlite_conf_new,
	.conf_free = sqlite_conf_free,
	.option = sqlite_option,
	.init = sqlite_init,
	.tick = sq_tick,
	.idle = sq_idle,
	.lookup = sq_lookup,
	.fini = sqlite_fini,
};
