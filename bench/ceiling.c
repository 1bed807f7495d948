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

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "digest.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "reqfile.h"
#include "secret.h"

#define CEILING_FLUSH (64 * 1024)

extern const struct backend_ops file_backend;

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
	struct reqfile rf;
	double rates[REQFILE_MAX_RUNS];
	size_t i, ok = 0, err = 0, bh = 0;
	char errbuf[1024];
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
			if (runs < 1 || runs > REQFILE_MAX_RUNS)
				log_fatal("-n must be 1 to %d", REQFILE_MAX_RUNS);
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
	reqfile_load(&rf, argv[optind + 1]);

	/* untimed pass: warm up, count the verdicts */
	for (i = 0; i < rf.n; i++) {
		loop_handle_line(ops, ctx, &cfg, rf.buf + rf.off[i], rf.len[i], &out);
		if (out.len >= CEILING_FLUSH) {
			count_verdicts(&out, &ok, &err, &bh);
			out.len = 0;
		}
	}
	count_verdicts(&out, &ok, &err, &bh);
	out.len = 0;

	for (r = 0; r < runs; r++) {
		double t0 = reqfile_now(), dt;

		for (i = 0; i < rf.n; i++) {
			loop_handle_line(ops, ctx, &cfg, rf.buf + rf.off[i], rf.len[i], &out);
			if (out.len >= CEILING_FLUSH)
				out.len = 0;
		}
		out.len = 0;
		dt = reqfile_now() - t0;
		rates[r] = dt > 0 ? (double)rf.n / dt : 0;
	}
	reqfile_report(rf.n, ok, err, bh, rates, runs);

	ops->fini(&ctx);
	ops->conf_free(conf);
	obuf_free(&out);
	reqfile_free(&rf);
	digest_cleanup();
	return 0;
}
