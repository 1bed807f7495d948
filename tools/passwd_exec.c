/* passwd_exec.c - handing a store's verbs over to that store's program.
 *
 * digest_passwd itself knows the htdigest file only, so that it (and the
 * package holding it) needs no database client library.  Each store has
 * a program of its own, digest_passwd-sqlite, -pgsql, -ldap and -mysql,
 * installed beside the helpers with the store's helper (digest_passwd(1),
 * "STORES").  It is the same tool built with that store: given the whole
 * command line as it was typed, it does everything digest_passwd would.
 *
 * The program is looked for next to the running digest_passwd first (a
 * build tree holds both), then in the helpers' directory this build
 * installs to.  Both are directories only root can write to on an
 * installed system; nothing in the environment can choose another.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "passwd.h"

#ifndef PKGLIBEXECDIR
#define PKGLIBEXECDIR "/usr/lib/digest-helpers"
#endif

/* The directory of the running program, into dir (PATH_MAX): 0, or -1. */
static int
own_dir(char *dir)
{
	ssize_t n = readlink("/proc/self/exe", dir, PATH_MAX - 1);
	char *slash;

	if (n <= 0)
		return -1;
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return -1;
	*slash = '\0';
	return 0;
}

/* exec dir/digest_passwd-store with argv.  Returns only when that fails:
 * 0 when there is no such program, -1 when it could not be run (logged). */
static int
try_exec(const char *dir, const char *store, char *const *argv)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/digest_passwd-%s", dir, store);

	if (n < 0 || (size_t)n >= sizeof(path) || access(path, X_OK) < 0)
		return 0;
	execv(path, argv);
	log_error("cannot run %s: %s", path, strerror(errno));
	return -1;
}

void
passwd_exec_store(const char *store, const char *what, char *const *argv)
{
	char dir[PATH_MAX];

	if (own_dir(dir) == 0 && strcmp(dir, PKGLIBEXECDIR) != 0 &&
	    try_exec(dir, store, argv) < 0)
		return;
	if (try_exec(PKGLIBEXECDIR, store, argv) < 0)
		return;
	log_error("--%s: %s support not compiled in or not installed: no %s/digest_passwd-%s (Debian: install digest-helpers-%s)",
	    store, what, PKGLIBEXECDIR, store, store);
}
