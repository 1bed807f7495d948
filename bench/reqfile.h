/* reqfile.h - what bench/ceiling and bench/sqlite_ceiling share: the
 * request file read into memory and cut into lines, the clock, and the
 * one result line both print (bench/benchlib/measure.py reads it).
 */
#ifndef DH_BENCH_REQFILE_H
#define DH_BENCH_REQFILE_H

#include <stddef.h>

/* The most timed passes either ceiling takes (-n). */
#define REQFILE_MAX_RUNS 100

/* The lines of a request file, LF cut off, as the loop hands them over:
 * line i is buf[off[i] .. off[i] + len[i]). */
struct reqfile {
	char *buf;
	size_t *off;
	size_t *len;
	size_t n;
};

/* Read path into *rf; exits with a message when it cannot, or when it
 * holds no line.  reqfile_free releases it. */
void reqfile_load(struct reqfile *rf, const char *path);
void reqfile_free(struct reqfile *rf);

/* The monotonic clock in seconds. */
double reqfile_now(void);

/* Print the result line: lines=N ok= err= bh= runs= rates=r1,r2,...
 * rate_median= rate_min= rate_max= (lookups per second). */
void reqfile_report(size_t n, size_t ok, size_t err, size_t bh,
    const double *rates, int runs);

#endif
