/* digest_passwd.c - maintain digest users in an htdigest file, an SQLite,
 * PostgreSQL or MariaDB/MySQL store, or the directory of digest_ldap_auth
 * (digest_passwd(1)): the command line, then a hand-off to passwd_file.c,
 * passwd_sqlite.c, passwd_pgsql.c, passwd_mysql.c or passwd_ldap.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "fdio.h"
#include "log.h"
#include "passwd.h"
#include "passwd_file.h"
#include "passwd_ldap.h"
#include "passwd_mysql.h"
#include "passwd_pgsql.h"
#include "passwd_sqlite.h"
#include "secret.h"

enum {
	OPT_HELP = 0x100, OPT_VERSION, OPT_SQLITE, OPT_INIT, OPT_DISABLE,
	OPT_ENABLE, OPT_IMPORT, OPT_ALLOW_EMPTY, OPT_GROUP_ADD, OPT_GROUP_DEL,
	OPT_PGSQL, OPT_LDAP, OPT_BIND_DN, OPT_BIND_SECRET_FILE, OPT_PLAINTEXT,
	OPT_MYSQL,
};

static const struct option longopts[] = {
	{ "create", no_argument, NULL, 'c' },
	{ "stdin", no_argument, NULL, 'i' },
	{ "delete", no_argument, NULL, 'D' },
	{ "verify", no_argument, NULL, 'v' },
	{ "list", no_argument, NULL, 'l' },
	{ "debug", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "sqlite", required_argument, NULL, OPT_SQLITE },
	{ "pgsql", required_argument, NULL, OPT_PGSQL },
	{ "mysql", required_argument, NULL, OPT_MYSQL },
	{ "ldap", required_argument, NULL, OPT_LDAP },
	{ "bind-dn", required_argument, NULL, OPT_BIND_DN },
	{ "bind-secret-file", required_argument, NULL, OPT_BIND_SECRET_FILE },
	{ "plaintext", no_argument, NULL, OPT_PLAINTEXT },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "disable", no_argument, NULL, OPT_DISABLE },
	{ "enable", no_argument, NULL, OPT_ENABLE },
	{ "import", required_argument, NULL, OPT_IMPORT },
	{ "allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY },
	{ "group-add", no_argument, NULL, OPT_GROUP_ADD },
	{ "group-del", no_argument, NULL, OPT_GROUP_DEL },
	{ NULL, 0, NULL, 0 },
};

/* The option that chose each verb, for error messages. */
static const char *const verb_opt[] = {
	[PASSWD_SET] = "adding a user",
	[PASSWD_DELETE] = "-D",
	[PASSWD_VERIFY] = "-v",
	[PASSWD_LIST] = "-l",
	[PASSWD_INIT] = "--init",
	[PASSWD_DISABLE] = "--disable",
	[PASSWD_ENABLE] = "--enable",
	[PASSWD_IMPORT] = "--import",
	[PASSWD_GROUP_ADD] = "--group-add",
	[PASSWD_GROUP_DEL] = "--group-del",
};

static void
usage(void)
{
	printf("Usage: %1$s [-c] [-i] [--allow-empty] FILE REALM USER\n"
	    "       %1$s -D FILE REALM USER\n"
	    "       %1$s -v [-i] FILE REALM USER\n"
	    "       %1$s -l FILE [REALM]\n"
	    "       %1$s --sqlite DB --init\n"
	    "       %1$s --sqlite DB [-c] [-i] [--allow-empty] REALM USER\n"
	    "       %1$s --sqlite DB -D | -v [-i] | --disable | --enable REALM USER\n"
	    "       %1$s --sqlite DB --group-add | --group-del REALM USER GROUP\n"
	    "       %1$s --sqlite DB -l [REALM]\n"
	    "       %1$s --sqlite DB --import FILE\n"
	    "       %1$s --pgsql CONNINFO ... (the same verbs as --sqlite DB)\n"
	    "       %1$s --mysql FILE ... (the same verbs as --sqlite DB)\n"
	    "       %1$s --ldap 'HELPER-ARGS' [--bind-dn DN [--bind-secret-file F]]\n"
	    "            [-i] [--plaintext] | -D | -v [-i] REALM USER | -l [REALM]\n"
	    "Adds, changes, deletes, verifies and lists digest authentication users\n"
	    "in an htdigest password file (user:realm:HA1 lines, as Apache's htdigest\n"
	    "writes them), in the SQLite or PostgreSQL store of digest_sqlite_auth\n"
	    "or digest_pgsql_auth, or in the directory digest_ldap_auth reads.\n"
	    "\nOptions:\n"
	    "  -c, --create     create FILE; an existing FILE is emptied first, as with\n"
	    "                   htdigest -c (with --sqlite: create the store if needed)\n"
	    "  -i, --stdin      read the password from standard input, one line\n"
	    "  -D, --delete     delete the user\n"
	    "  -v, --verify     check a password: exit 0 if it matches, 3 if not\n"
	    "  -l, --list       list user:realm pairs (never a hash); in a store, a tab\n"
	    "                   and the user's groups, comma-separated, follow\n"
	    "      --allow-empty  accept an empty password\n"
	    "      --sqlite DB  work on the SQLite store DB instead of a file\n"
	    "      --pgsql CONNINFO  work on the PostgreSQL store of digest_pgsql_auth;\n"
	    "                   CONNINFO is a libpq connection string with no password\n"
	    "                   in it (that comes from PGPASSFILE or ~/.pgpass)\n"
	    "      --mysql FILE  work on the MariaDB/MySQL store of digest_mysql_auth;\n"
	    "                   FILE is an option file whose [client] group names the\n"
	    "                   server, account, password and database\n"
	    "      --ldap 'HELPER-ARGS'  work on the LDAP directory of digest_ldap_auth;\n"
	    "                   HELPER-ARGS are its arguments as in squid.conf\n"
	    "      --bind-dn DN  write as DN (default: the helper's -D)\n"
	    "      --bind-secret-file FILE  DN's password (default: asked for)\n"
	    "      --plaintext  with --ldap and no -e: store the password itself\n"
	    "      --init       create the store's schema, or bring an older one up to\n"
	    "                   date (idempotent)\n"
	    "      --disable    keep the user but refuse its logins (SQLite)\n"
	    "      --enable     accept a disabled user's logins again (SQLite)\n"
	    "      --group-add  put the user in GROUP in that realm (SQLite)\n"
	    "      --group-del  take the user out of GROUP in that realm (SQLite)\n"
	    "      --import FILE  load the user:realm:HA1 lines of FILE into the store\n"
	    "                   in one transaction (\"-\" reads standard input)\n"
	    "  -d, --debug      debug lines on stderr (never a password or an HA1)\n"
	    "  -h, --help       print this help and exit\n"
	    "  -V, --version    print the version and exit\n"
	    "\nWithout -i the password is asked for on the terminal, twice, with echo\n"
	    "off.  Exit status: 0 done (with -v: the password matches), 1 an error\n"
	    "(bad usage, unknown user, a file or store that cannot be changed),\n"
	    "3 with -v: the password does not match.\n"
	    "\nSee the %1$s(1) manual page.\n", log_progname());
}

static int
set_verb(struct passwd_req *req, bool *given, enum passwd_verb v)
{
	if (*given && req->verb != v) {
		log_error("%s and %s cannot be combined (see --help)",
		    verb_opt[req->verb], verb_opt[v]);
		return -1;
	}
	*given = true;
	req->verb = v;
	return 0;
}

/* Place the arguments left after the options: FILE first (a store
 * comes with --sqlite DB instead), then what the verb takes. */
static int
take_args(struct passwd_req *req, int n, char **a)
{
	const char *want;
	bool ok, store = req->sqlite || req->pgsql || req->mysql || req->ldap;

	if (req->verb >= PASSWD_INIT && (!store || req->ldap)) {
		log_error(req->ldap ? "%s is not available with --ldap" :
		    "%s needs --sqlite DB, --pgsql CONNINFO or --mysql FILE",
		    verb_opt[req->verb]);
		return -1;
	}
	if (!store && n > 0) {
		req->path = a[0];
		a++;
		n--;
	}
	switch (req->verb) {
	case PASSWD_INIT:
	case PASSWD_IMPORT:
		ok = n == 0;
		want = "no other arguments";
		break;
	case PASSWD_LIST:
		ok = req->path != NULL && n <= 1;
		want = store ? "at most a REALM" : "FILE [REALM]";
		break;
	case PASSWD_GROUP_ADD:
	case PASSWD_GROUP_DEL:
		ok = n == 3;
		want = "REALM USER GROUP";
		break;
	default:
		ok = req->path != NULL && n == 2;
		want = store ? "REALM USER" : "FILE REALM USER";
		break;
	}
	if (!ok) {
		log_error("%s takes %s (see --help)", verb_opt[req->verb], want);
		return -1;
	}
	if (req->verb == PASSWD_LIST) {
		req->realm = n > 0 ? a[0] : NULL;
	} else if (n >= 2) {
		req->realm = a[0];
		req->user = a[1];
		req->group = n > 2 ? a[2] : NULL;
	}
	return 0;
}

/* A group name: not empty, no line break or NUL, at most PASSWD_NAME_MAX
 * bytes, like a user (it goes on a reply line as group="..."; any other
 * byte is quoted there).  The reason, or NULL when it is acceptable. */
static const char *
group_problem(const char *s, size_t n)
{
	if (n == 0)
		return "must not be empty";
	if (n > PASSWD_NAME_MAX)
		return "must not be longer than " PASSWD_NAME_MAX_S " bytes";
	if (memchr(s, '\n', n) != NULL || memchr(s, '\r', n) != NULL)
		return "must not contain a line break";
	if (memchr(s, '\0', n) != NULL)
		return "must not contain a NUL byte";
	return NULL;
}

/* Checks that need the whole command line. */
static int
check_req(const struct passwd_req *req)
{
	const char *why;

	if (req->create && req->verb != PASSWD_SET) {
		log_error("-c cannot be combined with %s", verb_opt[req->verb]);
		return -1;
	}
	if (req->from_stdin && req->verb != PASSWD_SET &&
	    req->verb != PASSWD_VERIFY) {
		log_error("-i cannot be combined with %s", verb_opt[req->verb]);
		return -1;
	}
	if (!req->ldap && (req->bind_dn != NULL || req->plaintext ||
	    req->bind_secret_file != NULL)) {
		log_error("--bind-dn, --bind-secret-file and --plaintext go with --ldap");
		return -1;
	}
	if (req->ldap && req->create) {
		log_error("-c: digest_passwd does not create directory entries (with --ldap the user's entry must exist)");
		return -1;
	}
	if (req->plaintext && req->verb != PASSWD_SET) {
		log_error("--plaintext goes with adding or changing a password");
		return -1;
	}
	if (req->bind_secret_file != NULL && req->bind_dn == NULL) {
		log_error("--bind-secret-file needs --bind-dn");
		return -1;
	}
	if (req->user != NULL && passwd_check_names(req->user, req->realm) < 0)
		return -1;
	if (req->group != NULL &&
	    (why = group_problem(req->group, strlen(req->group))) != NULL) {
		log_error("invalid group name: it %s; nothing changed", why);
		return -1;
	}
	if (req->user != NULL)
		return 0;
	if (req->realm != NULL &&
	    (why = passwd_name_problem(req->realm, strlen(req->realm), false)) != NULL) {
		log_error("invalid realm: it %s", why);
		return -1;
	}
	return 0;
}

/* The verb an option selects, or PASSWD_SET for an option that is not
 * one. */
static enum passwd_verb
verb_of(int opt)
{
	switch (opt) {
	case 'D': return PASSWD_DELETE;
	case 'v': return PASSWD_VERIFY;
	case 'l': return PASSWD_LIST;
	case OPT_INIT: return PASSWD_INIT;
	case OPT_DISABLE: return PASSWD_DISABLE;
	case OPT_ENABLE: return PASSWD_ENABLE;
	case OPT_IMPORT: return PASSWD_IMPORT;
	case OPT_GROUP_ADD: return PASSWD_GROUP_ADD;
	case OPT_GROUP_DEL: return PASSWD_GROUP_DEL;
	default: return PASSWD_SET;
	}
}

/* A getopt error: one line. */
static void
option_error(int opt, char **argv)
{
	bool missing = opt == ':';

	if (optopt > 0 && optopt < 0x100)
		log_error(missing ? "option -%c needs a value (see --help)" :
		    "unknown option -%c (see --help)", optopt);
	else
		log_error(missing ? "option %s needs a value (see --help)" :
		    "unknown option %s (see --help)", argv[optind - 1]);
}

/* --sqlite DB, --pgsql CONNINFO, --ldap ARGS or --mysql FILE: 0, or 2
 * after logging. */
static int
set_store(struct passwd_req *req, int opt)
{
	static const char *const name[] = { "--sqlite", "--pgsql", "--ldap",
	    "--mysql" };
	static const char *const what[] = { "SQLite", "PostgreSQL", "LDAP",
	    "MariaDB" };
	int k = opt == OPT_SQLITE ? 0 : opt == OPT_PGSQL ? 1 : opt == OPT_LDAP ?
	    2 : 3;
	bool avail = k == 0 ? passwd_sqlite_available() : k == 1 ?
	    passwd_pgsql_available() : k == 2 ? passwd_ldap_available() :
	    passwd_mysql_available();

	if (req->sqlite || req->pgsql || req->ldap || req->mysql) {
		int had = req->sqlite ? 0 : req->pgsql ? 1 : req->ldap ? 2 : 3;

		log_error("%s and %s cannot be combined", name[had < k ? had : k],
		    name[had < k ? k : had]);
		return 2;
	}
	if (!avail) {
		passwd_exec_store(name[k] + 2, what[k], req->argv);
		return 2;
	}
	req->sqlite = k == 0;
	req->pgsql = k == 1;
	req->ldap = k == 2;
	req->mysql = k == 3;
	req->path = optarg;
	return 0;
}

/* An option that is not a verb.  Returns 0 to go on, 1 when the program
 * is done (--help, --version), 2 on an error (logged). */
static int
take_option(struct passwd_req *req, int opt, char **argv)
{
	switch (opt) {
	case 'c': req->create = true; return 0;
	case 'd': log_set_debug(true); return 0;
	case 'i': req->from_stdin = true; return 0;
	case OPT_ALLOW_EMPTY: req->allow_empty = true; return 0;
	case OPT_PGSQL:
	case OPT_SQLITE:
	case OPT_LDAP:
	case OPT_MYSQL:
		return set_store(req, opt);
	case OPT_BIND_DN: req->bind_dn = optarg; return 0;
	case OPT_BIND_SECRET_FILE: req->bind_secret_file = optarg; return 0;
	case OPT_PLAINTEXT: req->plaintext = true; return 0;
	case 'h':
	case OPT_HELP:
		usage();
		return 1;
	case 'V':
	case OPT_VERSION:
		printf("%s (%s) %s\n", log_progname(), PACKAGE_NAME, PACKAGE_VERSION);
		return 1;
	default:
		option_error(opt, argv);
		return 2;
	}
}

/* Fill req from argv (typed: a copy of it as it was given).  Returns -1
 * to go on, or an exit status. */
static int
parse_args(int argc, char **argv, char *const *typed, struct passwd_req *req)
{
	bool verb_given = false;
	int opt, r = 0;

	*req = (struct passwd_req){ .verb = PASSWD_SET, .argv = typed };
	opterr = 0;
	while (r == 0 && (opt = getopt_long(argc, argv, ":cdDhilvV", longopts,
	    NULL)) != -1) {
		enum passwd_verb v = verb_of(opt);

		if (v != PASSWD_SET) {
			if (opt == OPT_IMPORT)
				req->import = optarg;
			r = set_verb(req, &verb_given, v);
		} else if ((r = take_option(req, opt, argv)) > 0) {
			return r == 1 ? PASSWD_EXIT_OK : PASSWD_EXIT_FAIL;
		}
	}
	if (r < 0 || take_args(req, argc - optind, argv + optind) < 0 ||
	    check_req(req) < 0)
		return PASSWD_EXIT_FAIL;
	return -1;
}

int
main(int argc, char **argv)
{
	struct passwd_req req;
	const char *why = NULL;
	char **typed = xcalloc((size_t)argc + 1, sizeof(*typed));
	int rc;

	secret_no_core();
	fd_sanitise_std();
#if defined(PASSWD_SQLITE) || defined(PASSWD_PGSQL) || \
    defined(PASSWD_LDAP) || defined(PASSWD_MYSQL)
	/* a store's program, run for digest_passwd (passwd_exec.c), speaks
	 * as digest_passwd whatever its argv[0] */
	log_init("digest_passwd");
#else
	log_init(argv[0]);
#endif
	/* past RLIMIT_FSIZE, write() must fail with EFBIG, not kill us */
	signal(SIGXFSZ, SIG_IGN);
	memcpy(typed, argv, (size_t)argc * sizeof(*typed));
	rc = parse_args(argc, argv, typed, &req);
	free(typed);
	req.argv = NULL;
	if (rc >= 0)
		return rc;
	if (digest_check(digest_alg_md5(), &why) < 0)
		log_fatal("MD5 is not available from OpenSSL (%s)", why);
	rc = req.mysql ? passwd_mysql_run(&req) : req.ldap ?
	    passwd_ldap_run(&req) : req.pgsql ?
	    passwd_pgsql_run(&req) : req.sqlite ? passwd_sqlite_run(&req) :
	    passwd_file_run(&req);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("cannot write to standard output: %s", strerror(errno));
		rc = PASSWD_EXIT_FAIL;
	}
	digest_cleanup();
	return rc;
}
