/* fdio.h - whole writes, whole reads, and the standard descriptors. */
#ifndef DH_FDIO_H
#define DH_FDIO_H

#include <stddef.h>

/* Write all n bytes, retrying after EINTR and waiting (poll) when fd is
 * non-blocking and full.  Returns 0, or -1 with errno set. */
int fd_write_all(int fd, const void *buf, size_t n);

/* Read fd to its end.  *buf_r is malloc'd and wiped whenever it grows, so
 * no copy of what was read (password hashes) is left in freed memory;
 * free it with secret_free(*buf_r, *cap_r).  Returns 0, or -1 with errno
 * set (nothing to free then). */
int fd_read_all(int fd, char **buf_r, size_t *len_r, size_t *cap_r);

/* Make sure descriptors 0-2 are open (on /dev/null when they were not), so
 * that nothing opened later becomes stdout by accident and receives
 * protocol bytes, logs or a password file's contents. */
void fd_sanitise_std(void);

#endif
