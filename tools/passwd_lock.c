/* passwd_lock.c - opening and locking the password file digest_passwd
 * changes (see passwd_lock.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "passwd.h"
#include "passwd_lock.h"
#include "secret.h"
/* Each retry means another process replaced the file between our open
 * and our lock; a thousand in a row means something is wrong. */
#define PWFILE_LOCK_RETRIES 1000

/* Open the entry f->at leads to, read-write when allowed (flock over NFS
 * is a POSIX lock, which needs it; the rename only needs the directory),
 * creating it when create is set and it is missing.  Returns 1 to try
 * again (someone else created it meanwhile), 0, or -1 after logging. */
static int
pwfile_open(struct pwfile *f, bool create)
{
	char err[PATH_MAX + 256];

	f->created = false;
	f->fd = safe_path_open(&f->at, O_RDWR, &f->st, err, sizeof(err));
	if (f->fd < 0 && (errno == EACCES || errno == EROFS))
		f->fd = safe_path_open(&f->at, O_RDONLY, &f->st, err, sizeof(err));
	if (f->fd >= 0)
		return 0;
	if (errno != ENOENT) {
		log_error("%s", err);
		return -1;
	}
	if (!create) {
		log_error("%s does not exist (-c creates it)", f->path);
		return -1;
	}
	f->fd = openat(f->at.dirfd, f->at.name, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0640);
	if (f->fd < 0 && errno == EEXIST)
		return 1;
	if (f->fd < 0) {
		log_error("cannot create %s: %s", f->path, strerror(errno));
		return -1;
	}
	f->created = true;
	return 0;
}

/* The entry still names the inode we hold. */
static bool
pwfile_still_there(const struct pwfile *f)
{
	struct stat now;

	return fstatat(f->at.dirfd, f->at.name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_dev == f->st.st_dev && now.st_ino == f->st.st_ino;
}

/* Open (creating it when create is set and it is missing) and lock the
 * file path leads to; links are followed only where safefile.h allows.
 * The lock is on the inode: if the entry names another one once we hold
 * it, a concurrent writer renamed a new file in, and we start again on
 * that one. */
int
pwfile_lock(struct pwfile *f, const char *path, bool create)
{
	char err[PATH_MAX + 256];
	int tries, rc;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = path;
	if (safe_path_resolve(path, &f->at, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	for (tries = 0; tries < PWFILE_LOCK_RETRIES; tries++) {
		if ((rc = pwfile_open(f, create)) < 0)
			return -1;
		if (rc > 0)
			continue;
		while (flock(f->fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				log_error("cannot lock %s: %s", path, strerror(errno));
				return -1;
			}
		}
		if (fstat(f->fd, &f->st) < 0) {
			log_error("cannot stat %s: %s", path, strerror(errno));
			return -1;
		}
		if (pwfile_still_there(f)) {
			log_debug("locked %s (inode %llu) after %d retries", path,
			    (unsigned long long)f->st.st_ino, tries);
			return 0;
		}
		close(f->fd);
		f->fd = -1;
	}
	log_error("cannot lock %s: it keeps being replaced", path);
	return -1;
}

/* Before asking for a password: the file exists (or -c may create it)
 * and no link on the way is refused. */
int
pwfile_precheck(const char *path, bool create)
{
	struct safe_path at;
	struct stat st;
	char err[PATH_MAX + 256];
	int rc = 0;

	if (safe_path_resolve(path, &at, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	if (fstatat(at.dirfd, at.name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT || !create) {
			log_error(errno == ENOENT ? "%s does not exist (-c creates it)" :
			    "cannot stat %s: %s", path, strerror(errno));
			rc = -1;
		}
	} else if (!S_ISREG(st.st_mode)) {
		log_error("%s is not a regular file", path);
		rc = -1;
	}
	safe_path_free(&at);
	return rc;
}

int
pwfile_read(struct pwfile *f)
{
	if (fd_read_all(f->fd, &f->buf, &f->len, &f->cap) < 0) {
		log_error("cannot read %s: %s", f->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Unlock and free.  failed: we made the file and nothing was written to
 * it, so it goes away again (if it is still ours). */
void
pwfile_close(struct pwfile *f, bool failed)
{
	if (f->fd >= 0) {
		if (failed && f->created && pwfile_still_there(f))
			unlinkat(f->at.dirfd, f->at.name, 0);
		close(f->fd);	/* drops the lock */
		f->fd = -1;
	}
	if (f->buf != NULL)
		secret_free(f->buf, f->cap);
	f->buf = NULL;
	safe_path_free(&f->at);
}
