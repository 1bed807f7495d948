/* fuzz_loop.c - the whole request loop over a fake backend: N lines in,
 * N replies out, each one well formed. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "loop.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum backend_result
fake_lookup(void *ctx, const struct backend_query *q, struct backend_answer *a)
{
	(void)ctx;
	if (q->user_len > 0 && q->user[0] == 'a') {
		memcpy(a->ha1, "0123456789abcdef0123456789abcdef", 33);
		return BACKEND_FOUND;
	}
	if (q->user_len > 0 && q->user[0] == 'b') {
		a->err = "down \"hard\"";
		return BACKEND_FAIL;
	}
	return BACKEND_NOT_FOUND;
}

static const struct backend_ops fake = {
	.name = "fake", .usage = "", .options_help = "", .shortopts = "",
	.lookup = fake_lookup,
};

/* A reply line: [digits SP] (OK ha1="32 hex" | ERR message="..." | BH message="...") */
static int
well_formed(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i > 0) {
		if (i >= n || p[i] != ' ')
			return 0;
		i++;
	}
	p += i;
	n -= i;
	if (n == 41 && memcmp(p, "OK ha1=\"", 8) == 0 && p[40] == '"')
		return 1;
	if ((n >= 14 && memcmp(p, "ERR message=\"", 13) == 0) ||
	    (n >= 13 && memcmp(p, "BH message=\"", 12) == 0)) {
		const char *q = memchr(p, '"', n);

		return q != NULL && memchr(q + 1, '"', n - (size_t)(q + 1 - p)) == p + n - 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loop_config cfg = { 0 };
	int in = memfd_create("in", 0), out = memfd_create("out", 0);
	size_t lines = 0, replies = 0, i;
	char *buf;
	off_t n;

	if (in < 0 || out < 0)
		abort();
	log_init("fuzz_loop");
	if (write(in, data, size) != (ssize_t)size)
		abort();
	lseek(in, 0, SEEK_SET);
	cfg.in_fd = in;
	cfg.out_fd = out;
	if (loop_run(&fake, NULL, &cfg) != 0)
		abort();
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (size > 0 && data[size - 1] != '\n')
		lines++;	/* a last line without LF */
	n = lseek(out, 0, SEEK_END);
	buf = malloc((size_t)n + 1);
	if (pread(out, buf, (size_t)n, 0) != n)
		abort();
	for (i = 0; i < (size_t)n; ) {
		char *lf = memchr(buf + i, '\n', (size_t)n - i);

		if (lf == NULL || !well_formed(buf + i, (size_t)(lf - (buf + i))))
			abort();
		replies++;
		i = (size_t)(lf - buf) + 1;
	}
	if (replies != lines)
		abort();
	free(buf);
	close(in);
	close(out);
	return 0;
}
