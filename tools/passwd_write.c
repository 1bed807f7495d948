/* passwd_write.c - the temporary file, its attributes and the rename
 * (see passwd_write.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "passwd_write.h"
#include "secret.h"

/* Names tried for the temporary file before giving up. */
#define TEMP_TRIES 100

/* Create ".NAME.tmpXXXXXX" next to the entry, never through a link.
 * Returns the descriptor (0600 until the original's mode is copied). */
static int
temp_create(const struct safe_path *at, char **name_r)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = strlen(at->name) + sizeof(".tmpXXXXXX") + 1;
	char *name = xmalloc(n);
	unsigned char rnd[6];
	int i, j, fd = -1;

	for (i = 0; i < TEMP_TRIES && fd < 0; i++) {
		if (getentropy(rnd, sizeof(rnd)) < 0)
			break;
		snprintf(name, n, ".%s.tmp", at->name);
		for (j = 0; j < (int)sizeof(rnd); j++)
			name[strlen(at->name) + 5 + j] = set[rnd[j] % (sizeof(set) - 1)];
		name[n - 1] = '\0';
		fd = openat(at->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		free(name);
		return -1;
	}
	*name_r = name;
	return fd;
}

/* Every extended attribute of from onto to: the ACL, security labels,
 * user attributes.  *what_r names the one that failed. */
static int
copy_xattrs(int from, int to, char *what, size_t whatlen)
{
	ssize_t len = flistxattr(from, NULL, 0), vlen;
	char *names, *p, *val = NULL;
	int rc = 0;

	if (len <= 0)
		return len < 0 && errno != ENOTSUP ? -1 : 0;
	names = xmalloc((size_t)len);
	len = flistxattr(from, names, (size_t)len);
	for (p = names; len > 0 && p < names + len && rc == 0; p += strlen(p) + 1) {
		snprintf(what, whatlen, "copy the extended attribute %s to", p);
		vlen = fgetxattr(from, p, NULL, 0);
		if (vlen < 0) {
			rc = -1;
			break;
		}
		free(val);
		val = xmalloc((size_t)vlen + 1);
		vlen = fgetxattr(from, p, val, (size_t)vlen);
		if (vlen < 0 || fsetxattr(to, p, val, (size_t)vlen, 0) < 0)
			rc = -1;
	}
	if (len < 0) {
		snprintf(what, whatlen, "list the extended attributes for");
		rc = -1;
	}
	free(val);
	free(names);
	return rc;
}

/* The original's owner, then mode, then attributes: the ACL comes last,
 * as a chmod would rewrite its mask entry. */
static int
copy_protection(int tfd, int orig_fd, const struct stat *orig, char *what,
    size_t whatlen)
{
	struct stat tst;

	snprintf(what, whatlen, "stat");
	if (fstat(tfd, &tst) < 0)
		return -1;
	snprintf(what, whatlen, "give the owner of the original to");
	if ((tst.st_uid != orig->st_uid || tst.st_gid != orig->st_gid) &&
	    fchown(tfd, orig->st_uid, orig->st_gid) < 0)
		return -1;
	snprintf(what, whatlen, "give the mode of the original to");
	if (fchmod(tfd, orig->st_mode & 07777) < 0)
		return -1;
	return copy_xattrs(orig_fd, tfd, what, whatlen);
}

/* Fill the temporary file; on failure log and return -1. */
static int
temp_fill(int tfd, const char *tmp, const struct safe_path *at, int orig_fd,
    const struct stat *orig, const char *data, size_t len)
{
	char what[512] = "";
	int err = 0, rc = 0;

	if (copy_protection(tfd, orig_fd, orig, what, sizeof(what)) < 0) {
		err = errno;
		rc = -1;
	} else if (fd_write_all(tfd, data, len) < 0) {
		snprintf(what, sizeof(what), "write");
		err = errno;
		rc = -1;
	} else if (fsync(tfd) < 0) {
		snprintf(what, sizeof(what), "sync");
		err = errno;
		rc = -1;
	}
	if (rc < 0)
		log_error("cannot %s the temporary file %s: %s; %s unchanged",
		    what, tmp, strerror(err), at->shown);
	return rc;
}

int
passwd_replace(const struct safe_path *at, int orig_fd,
    const struct stat *orig, const char *data, size_t len)
{
	char *tmp = NULL;
	int tfd, dfd = -1, rc = -1;

	tfd = temp_create(at, &tmp);
	if (tfd < 0) {
		int e = errno;
		char *dir = safe_path_real(at, false);

		log_error("cannot create a temporary file in %s: %s; %s unchanged",
		    dir != NULL ? dir : "its directory", strerror(e), at->shown);
		free(dir);
		return -1;
	}
	if (temp_fill(tfd, tmp, at, orig_fd, orig, data, len) < 0) {
		close(tfd);
		goto out;
	}
	if (close(tfd) < 0) {
		log_error("cannot close the temporary file %s: %s; %s unchanged",
		    tmp, strerror(errno), at->shown);
		goto out;
	}
	if (renameat(at->dirfd, tmp, at->dirfd, at->name) < 0) {
		log_error("cannot rename %s to %s: %s; %s unchanged", tmp, at->shown,
		    strerror(errno), at->shown);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	dfd = openat(at->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		log_error("%s was replaced, but syncing its directory failed: %s",
		    at->shown, strerror(errno));
		goto out;
	}
	log_debug("wrote %zu bytes to %s", len, at->shown);
	rc = 0;
out:
	if (tmp != NULL) {
		unlinkat(at->dirfd, tmp, 0);
		free(tmp);
	}
	if (dfd >= 0)
		close(dfd);
	return rc;
}
