/* safefile.h - opening a file an admin named, in a tree a hostile local
 * user may have prepared.
 *
 * The tools run as root next to world-writable directories, and the
 * kernel's fs.protected_symlinks rule is off on some systems and does not
 * apply to links a program resolves itself.  So the path is walked here,
 * one component at a time with openat(2), and a symbolic link is followed
 * only where that rule would allow it: not in a sticky world-writable
 * directory (/tmp) unless the link belongs to the caller or to the
 * directory's owner.  What the walk ends on must be a regular file: its
 * type is checked before it is opened (a device is never opened) and
 * again on the open descriptor, and the open is non-blocking, so a FIFO
 * swapped in meanwhile cannot hang the program.  An admin's own link
 * (/etc/squid/digest.passwd -> /srv/...) is followed as before.
 */
#ifndef DH_SAFEFILE_H
#define DH_SAFEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Where a path leads: the directory that holds the last entry, and the
 * entry's name in it.  The entry itself may be missing (a file about to
 * be created) but is never a symbolic link once the walk is done. */
struct safe_path {
	int dirfd;		/* O_PATH descriptor of the directory */
	char *name;		/* one component, no slash */
	const char *shown;	/* the path as given, for messages */
};

/* Walk path.  Returns 0, or -1 with errno set and a one-line message in
 * err (naming the refused link, when that is why). */
int safe_path_resolve(const char *path, struct safe_path *sp, char *err,
    size_t errlen);

void safe_path_free(struct safe_path *sp);

/* The walked directory's own path (from /proc/self/fd), with the entry's
 * name appended when entry is set: for messages, and for libraries that
 * take a name, not a descriptor.  malloc'd; NULL when it cannot be told. */
char *safe_path_real(const struct safe_path *sp, bool entry);

/* Open the regular file sp leads to; flags is O_RDONLY or O_RDWR, and
 * O_CLOEXEC, O_NOCTTY and O_NOFOLLOW are added.  The descriptor is in
 * blocking mode.  Returns it, or -1 with errno (ENOENT when the entry is
 * missing, EINVAL when it is not a regular file) and a message in err. */
int safe_path_open(const struct safe_path *sp, int flags, struct stat *st_r,
    char *err, size_t errlen);

/* Both in one: resolve path and open the regular file for reading. */
int safe_open_read(const char *path, struct stat *st_r, char *err,
    size_t errlen);

/* Read a small regular file (a secret) whole into buf, which is wiped
 * on failure.  Returns the length, or -1 with a message when it cannot
 * be read or holds cap bytes or more. */
ssize_t safe_read_small(const char *path, char *buf, size_t cap, char *err,
    size_t errlen);

/* A secret file (-W) is read whole: it must be smaller than this. */
#define SAFE_SECRET_FILE_MAX 4096

/* The secret in a file named by -W: its first line, the line end not
 * part of it.  safe_read_small() reads it with read(2), so no copy is
 * left in a stdio buffer, and takes only a regular file: a FIFO or a
 * device is refused at once, never waited on.  The buffer is wiped.
 * Returns 0 with a malloc'd copy in *out (free it with secret_free), or
 * -1 with "LABEL: why" or "LABEL PATH is empty" in err, where label is
 * what the file is to the caller ("the secret file"). */
int safe_read_secret_line(const char *path, const char *label, char **out,
    char *err, size_t errlen);

#endif
