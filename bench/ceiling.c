/* ceiling.c - the in-process ceiling for digest_file_auth.
 *
 *   ceiling [-c] [-n RUNS] PASSWORD-FILE REQUEST-FILE
 *
 * Loads PASSWORD-FILE through file_backend.init (as digest_file_auth
 * does, -c for HA1 files), reads every line of REQUEST-FILE into memory,
 * and times loop_handle_line() over all of them into one output buffer,
 * emptied whenever it holds 64 KiB (as the real loop flushes it): parse,
 * --realm check, lookup, HA1, reply formatting -- everything the helper
 * must do per request, without reading or writing a pipe.
 *
 * One untimed pass first counts the verdicts; then RUNS timed passes.
 * Prints one line: lines=N ok= err= bh= runs= rates=r1,r2,... and
 * rate_median= (lookups per second).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "digest.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "secret.h"

#define CEILING_FLUSH (64 * 1024)
#define CEILING_MAX_RUNS 100

extern const struct backend_ops file_backend;

static double
now_s(void)
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

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Count the verdicts in out (whole reply lines, no channel IDs expected
 * but skipped if present). */
static void
count_verdicts(const struct obuf *out, size_t *ok, size_t *err, size_t *bh)
{
	const char *p = out->p, *end = out->p + out->len;

	while (p < end) {
		const char *lf;

		while (p < end && ((*p >= '0' && *p <= '9') || *p == ' '))
			p++;
		if (p < end) {
			if (*p == 'O')
				(*ok)++;
			else if (*p == 'E')
				(*err)++;
			else
				(*bh)++;
		}
		lf = memchr(p, '\n', (size_t)(end - p));
		if (lf == NULL)
			break;
		p = lf + 1;
	}
}

int
main(int argc, char **argv)
{
	const struct backend_ops *ops = &file_backend;
	const struct loop_config cfg = { .in_fd = -1, .out_fd = -1 };
	struct obuf out = { NULL, 0, 0 };
	double rates[CEILING_MAX_RUNS], sorted[CEILING_MAX_RUNS];
	size_t *off, *len, n = 0, cap = 1024, reqlen, i, ok = 0, err = 0, bh = 0;
	char errbuf[1024], *req, *p;
	const char *why = NULL;
	void *ctx = NULL, *conf = ops->conf_new();
	int opt, runs = 5, r;

	log_init(argv[0]);
	while ((opt = getopt(argc, argv, "cn:")) != -1) {
		switch (opt) {
		case 'c':
			if (ops->option(conf, 'c', NULL, &why) < 0)
				log_fatal("-c: %s", why);
			break;
		case 'n':
			runs = atoi(optarg);
			if (runs < 1 || runs > CEILING_MAX_RUNS)
				log_fatal("-n must be 1 to %d", CEILING_MAX_RUNS);
			break;
		default:
			fprintf(stderr, "usage: ceiling [-c] [-n RUNS] PASSWORD-FILE REQUEST-FILE\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: ceiling [-c] [-n RUNS] PASSWORD-FILE REQUEST-FILE\n");
		return 2;
	}
	if (digest_check(digest_alg_md5(), &why) < 0)
		log_fatal("MD5 is not available: %s", why != NULL ? why : "?");
	if (ops->init(&ctx, conf, 1, argv + optind, errbuf, sizeof(errbuf)) < 0)
		log_fatal("%s", errbuf);

	/* the request lines, LF cut off, as the loop hands them over */
	req = slurp(argv[optind + 1], &reqlen);
	off = xmalloc(cap * sizeof(*off));
	len = xmalloc(cap * sizeof(*len));
	for (p = req; p < req + reqlen; ) {
		char *lf = memchr(p, '\n', (size_t)(req + reqlen - p));
		size_t l = lf != NULL ? (size_t)(lf - p) : (size_t)(req + reqlen - p);

		if (n == cap) {
			cap *= 2;
			off = xrealloc(off, cap * sizeof(*off));
			len = xrealloc(len, cap * sizeof(*len));
		}
		off[n] = (size_t)(p - req);
		len[n] = l;
		n++;
		p += l + 1;
	}
	if (n == 0)
		log_fatal("%s holds no request lines", argv[optind + 1]);

	/* untimed pass: warm up, count the verdicts */
	for (i = 0; i < n; i++) {
		loop_handle_line(ops, ctx, &cfg, req + off[i], len[i], &out);
		if (out.len >= CEILING_FLUSH) {
			count_verdicts(&out, &ok, &err, &bh);
			out.len = 0;
		}
	}
	count_verdicts(&out, &ok, &err, &bh);
	out.len = 0;

	for (r = 0; r < runs; r++) {
		double t0 = now_s(), dt;

		for (i = 0; i < n; i++) {
			loop_handle_line(ops, ctx, &cfg, req + off[i], len[i], &out);
			if (out.len >= CEILING_FLUSH)
				out.len = 0;
		}
		out.len = 0;
		dt = now_s() - t0;
		rates[r] = dt > 0 ? (double)n / dt : 0;
	}
	memcpy(sorted, rates, (size_t)runs * sizeof(*rates));
	qsort(sorted, (size_t)runs, sizeof(*sorted), cmp_double);

	printf("lines=%zu ok=%zu err=%zu bh=%zu runs=%d rates=", n, ok, err, bh, runs);
	for (r = 0; r < runs; r++)
		printf("%s%.0f", r ? "," : "", rates[r]);
	printf(" rate_median=%.0f rate_min=%.0f rate_max=%.0f\n",
	    runs % 2 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2,
	    sorted[0], sorted[runs - 1]);

	ops->fini(&ctx);
	ops->conf_free(conf);
	obuf_free(&out);
	free(off);
	free(len);
	free(req);
	digest_cleanup();
	return 0;
}
