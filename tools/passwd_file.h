/* passwd_file.h - digest_passwd on an htdigest password file.
 *
 * Lines are "user:realm:HA1" as Apache's htdigest writes them.  A change
 * locks the file (flock on the file itself, re-checked against the path
 * so a concurrent rename cannot slip in), reads it whole, keeps every
 * other line byte for byte, writes a temporary file in the same
 * directory with the original's owner and mode, fsyncs it, renames it
 * over the file and fsyncs the directory.  The lock is held until the
 * rename is done, so concurrent invocations lose no update.
 */
#ifndef DH_PASSWD_FILE_H
#define DH_PASSWD_FILE_H

#include "passwd.h"

/* Run req (PASSWD_SET, _DELETE, _VERIFY or _LIST) on the file req->path.
 * Returns the exit status: PASSWD_EXIT_OK, _FAIL or _MISMATCH. */
int passwd_file_run(const struct passwd_req *req);

#endif
