/* passwd_write.h - replacing a file atomically, keeping what protects it.
 *
 * The new contents go to a temporary file in the same directory, which
 * gets the original's owner, mode and extended attributes (the POSIX ACL
 * in system.posix_acl_access, security labels), is fsynced and renamed
 * over the original; then the directory is fsynced.  Readers see the old
 * file or the new one, never a mix, and Squid's helper keeps the access
 * an ACL gave it.
 */
#ifndef DH_PASSWD_WRITE_H
#define DH_PASSWD_WRITE_H

#include <stddef.h>
#include <sys/stat.h>

#include "safefile.h"

/* Replace the entry at leads to with data.  orig_fd is the original, open
 * (its attributes are copied), orig its stat.  On failure the temporary
 * file is removed, the original is left as it was and one line is
 * logged.  Returns 0 or -1. */
int passwd_replace(const struct safe_path *at, int orig_fd,
    const struct stat *orig, const char *data, size_t len);

#endif
