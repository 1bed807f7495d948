/* passwd_exec.c - handing a store's verbs over to that store's program.
 *
 * digest_passwd itself knows the htdigest file only, so that it (and the
 * package holding it) needs no database client library.  Each store has
 * a program of its own, digest_passwd-sqlite, -pgsql, -ldap and -mysql,
 * installed beside the helpers with the store's helper (digest_passwd(1),
 * "The store programs").  It is the same tool built with that store:
 * given the whole command line as it was typed, it does everything
 * digest_passwd would.
 *
 * The tool runs as root, so what it runs is fixed at build time: the
 * helpers' directory this build installs to, or, for the digest_passwd
 * of the build tree itself (the tests run it there), the build tree.
 * Nothing in the environment or the file system can choose another
 * directory, and the program is run only when it and its directory
 * belong to root or to whoever runs the tool and nobody else may write
 * to them; it is opened once and run from that descriptor (execveat), so
 * it cannot be swapped between the check and the run (fexecve).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "passwd.h"

extern char **environ;

#ifndef PKGLIBEXECDIR
#define PKGLIBEXECDIR "/usr/lib/digest-helpers"
#endif

/* Is the running program the build tree's digest_passwd? */
static bool
in_build_tree(void)
{
#ifdef PASSWD_BUILDDIR
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self));
	size_t bl = strlen(PASSWD_BUILDDIR);

	if (n <= 0 || (size_t)n >= sizeof(self))
		return false;	/* none, or cut short */
	self[n] = '\0';
	return (size_t)n > bl + 1 && memcmp(self, PASSWD_BUILDDIR, bl) == 0 &&
	    self[bl] == '/' && strchr(self + bl + 1, '/') == NULL;
#else
	return false;
#endif
}

/* Owned by root or by us, and writable by nobody else. */
static bool
trusted(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) &&
	    (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* Run dir/digest_passwd-store with argv.  Returns only when that fails:
 * 0 when there is no such program, -1 when it is there but may not or
 * could not be run (logged). */
static int
try_exec(const char *dir, const char *store, char *const *argv)
{
	char path[PATH_MAX];
	struct stat dst, st;
	int fd, n = snprintf(path, sizeof(path), "%s/digest_passwd-%s", dir,
	    store);

	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		log_error("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(dir, &dst) < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !trusted(&dst) || !trusted(&st)) {
		log_error("%s is not run: it, or its directory, is not a file of root's (or yours) that only its owner may change",
		    path);
		close(fd);
		return -1;
	}
	fexecve(fd, argv, environ);
	log_error("cannot run %s: %s", path, strerror(errno));
	close(fd);
	return -1;
}

void
passwd_exec_store(const char *store, const char *what, char *const *argv)
{
#ifdef PASSWD_BUILDDIR
	if (in_build_tree()) {
		if (try_exec(PASSWD_BUILDDIR, store, argv) == 0)
			log_error("--%s: %s support not compiled in: no %s/digest_passwd-%s",
			    store, what, PASSWD_BUILDDIR, store);
		return;
	}
#endif
	if (try_exec(PKGLIBEXECDIR, store, argv) < 0)
		return;
	log_error("--%s: %s support not compiled in or not installed: no %s/digest_passwd-%s (Debian: install digest-helpers-%s)",
	    store, what, PKGLIBEXECDIR, store, store);
}
