/* fdio.c - whole writes, whole reads, and the standard descriptors. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "secret.h"

int
fd_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };

				(void)poll(&pfd, 1, -1);
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
fd_read_all(int fd, char **buf_r, size_t *len_r, size_t *cap_r)
{
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);

	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nbuf = xmalloc(cap * 2);

			/* grow without leaving a copy of the hashes behind */
			memcpy(nbuf, buf, len);
			secret_free(buf, cap);
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			int saved = errno;

			if (saved == EINTR)
				continue;
			secret_free(buf, cap);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*buf_r = buf;
	*len_r = len;
	*cap_r = cap;
	return 0;
}

void
fd_sanitise_std(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}
