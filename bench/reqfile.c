/* reqfile.c - the request file and result line of the bench's in-process
 * ceilings (reqfile.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "secret.h"
#include "reqfile.h"

double
reqfile_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
slurp(const char *path, size_t *len_r)
{
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		log_fatal("cannot open %s: %s", path, strerror(errno));
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			log_fatal("cannot read %s", path);
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*len_r = len;
	return buf;
}

void
reqfile_load(struct reqfile *rf, const char *path)
{
	size_t cap = 1024, total;
	char *p, *end;

	rf->buf = slurp(path, &total);
	rf->off = xmalloc(cap * sizeof(*rf->off));
	rf->len = xmalloc(cap * sizeof(*rf->len));
	rf->n = 0;
	end = rf->buf + total;
	for (p = rf->buf; p < end; ) {
		char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t l = lf != NULL ? (size_t)(lf - p) : (size_t)(end - p);

		if (rf->n == cap) {
			cap *= 2;
			rf->off = xrealloc(rf->off, cap * sizeof(*rf->off));
			rf->len = xrealloc(rf->len, cap * sizeof(*rf->len));
		}
		rf->off[rf->n] = (size_t)(p - rf->buf);
		rf->len[rf->n] = l;
		rf->n++;
		p += l + 1;
	}
	if (rf->n == 0)
		log_fatal("%s holds no request lines", path);
}

void
reqfile_free(struct reqfile *rf)
{
	free(rf->off);
	free(rf->len);
	free(rf->buf);
	rf->off = rf->len = NULL;
	rf->buf = NULL;
	rf->n = 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
reqfile_report(size_t n, size_t ok, size_t err, size_t bh,
    const double *rates, int runs)
{
	double sorted[REQFILE_MAX_RUNS];
	int r;

	memcpy(sorted, rates, (size_t)runs * sizeof(*rates));
	qsort(sorted, (size_t)runs, sizeof(*sorted), cmp_double);
	printf("lines=%zu ok=%zu err=%zu bh=%zu runs=%d rates=", n, ok, err, bh, runs);
	for (r = 0; r < runs; r++)
		printf("%s%.0f", r ? "," : "", rates[r]);
	printf(" rate_median=%.0f rate_min=%.0f rate_max=%.0f\n",
	    runs % 2 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2,
	    sorted[0], sorted[runs - 1]);
}
