/* passwd_lock.h - the password file a change of digest_passwd holds.
 *
 * The path is walked as lib/safefile.h describes; the file is opened
 * (created with -c) and locked with flock(2) on its inode, and the lock
 * is re-checked against the directory entry, so that a concurrent writer
 * that renamed a new file in makes us start again on that one.  The lock
 * is held until the new contents have been renamed in (passwd_write.h).
 */
#ifndef DH_PASSWD_LOCK_H
#define DH_PASSWD_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "safefile.h"

/* An open, locked password file and its contents. */
struct pwfile {
	const char *path;	/* as given, for messages */
	struct safe_path at;	/* the directory and the entry's name */
	int fd;
	struct stat st;		/* of the locked file */
	bool created;		/* made by us (-c on a missing file) */
	char *buf;		/* contents, wiped when freed */
	size_t len, cap;
};

/* Open (creating it when create is set and it is missing) and lock the
 * file path leads to.  Returns 0, or -1 after logging; either way
 * pwfile_close() must follow. */
int pwfile_lock(struct pwfile *f, const char *path, bool create);

/* Before asking for a password: the file exists (or -c may create it),
 * is a regular file, and no link on the way is refused.  0 or -1 after
 * logging. */
int pwfile_precheck(const char *path, bool create);

/* Read the locked file whole into f->buf.  0 or -1 after logging. */
int pwfile_read(struct pwfile *f);

/* Unlock and free.  failed: we made the file and nothing was written to
 * it, so it goes away again (if it is still ours). */
void pwfile_close(struct pwfile *f, bool failed);

#endif
