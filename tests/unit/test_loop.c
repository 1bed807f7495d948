/* test_loop.c - the request loop with a fake backend: one reply per line,
 * over-long and NUL lines, the --realm filter, flushing before blocking, a
 * stop signal just before the loop blocks (in read or in poll). */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "secret.h"
#include "tap.h"

/* "known" is found, "broken" cannot be told, everything else is unknown. */
static enum backend_result
fake_lookup(void *ctx, const struct backend_query *q, struct backend_answer *a)
{
	(void)ctx;
	if (q->user_len == 5 && memcmp(q->user, "known", 5) == 0) {
		strcpy(a->ha1, "0123456789abcdef0123456789abcdef");
		return BACKEND_FOUND;
	}
	if (q->user_len == 6 && memcmp(q->user, "broken", 6) == 0) {
		a->err = "store \"down\"\nreally";
		return BACKEND_FAIL;
	}
	return BACKEND_NOT_FOUND;
}

static const struct backend_ops fake = {
	.name = "fake", .usage = "", .options_help = "", .shortopts = "",
	.lookup = fake_lookup,
};

/* Run the loop over input; return its output (malloc'd). */
static char *
run(const char *in, size_t inlen, const char *const *realms, size_t nrealms)
{
	FILE *fi = tmpfile(), *fo = tmpfile();
	struct loop_config cfg = { .realms = realms, .nrealms = nrealms };
	char *out;
	long n;

	fwrite(in, 1, inlen, fi);
	fflush(fi);
	rewind(fi);
	cfg.in_fd = fileno(fi);
	cfg.out_fd = fileno(fo);
	ok(loop_run(&fake, NULL, &cfg) == 0, "loop ends cleanly at end of input");
	n = lseek(cfg.out_fd, 0, SEEK_END);
	out = xmalloc((size_t)n + 1);
	ok(pread(cfg.out_fd, out, (size_t)n, 0) == n, "  replies read back");
	out[n] = '\0';
	fclose(fi);
	fclose(fo);
	return out;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Run the loop over ops in a child, reading from a pipe whose writing end
 * goes to *in_r and writing to one whose reading end goes to *out_r; with
 * the helpers' signal handlers when signals is set.  Returns the child's
 * PID, or -1. */
static pid_t
spawn_loop(const struct backend_ops *ops, bool signals, int *in_r, int *out_r)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct loop_config cfg = { .in_fd = in[0], .out_fd = out[1] };

		close(in[1]);
		close(out[0]);
		if (signals)
			loop_install_signals();
		_exit(loop_run(ops, NULL, &cfg) == 0 ? 0 : 1);
	}
	close(in[0]);
	close(out[1]);
	*in_r = in[1];
	*out_r = out[0];
	return pid;
}

static void
lone_request_flushed(void)
{
	int in, out;
	pid_t pid;
	struct pollfd pfd;
	char buf[256];
	ssize_t n;

	if ((pid = spawn_loop(&fake, false, &in, &out)) < 0) {
		ok(0, "pipes and fork");
		return;
	}
	(void)!write(in, "9 \"known\":\"r\"\n", 14);
	pfd = (struct pollfd){ .fd = out, .events = POLLIN };
	ok(poll(&pfd, 1, 5000) == 1, "a lone request is answered while input stays open");
	n = read(out, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, "9 OK ha1=\"0123456789abcdef0123456789abcdef\"\n", "  with the right reply");
	close(in);
	n = read(out, buf, sizeof(buf));
	ok(n == 0, "  and nothing else before exit");
	close(out);
	waitpid(pid, NULL, 0);
}

/* Wait at most 5 s for the child to end by itself; kill it otherwise.
 * Returns whether it exited with status 0 in time. */
static bool
ends_cleanly(pid_t pid)
{
	int status = -1, i;

	for (i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (i == 500) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return false;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A stop signal that lands just before the loop blocks: raised from the
 * backend's idle(), which the loop calls after it looked at the stop flag
 * and before it waits for input. */
static void
stop_now(void *ctx)
{
	(void)ctx;
	raise(SIGTERM);
}

static const struct backend_ops stopping = {
	.name = "stopping", .usage = "", .options_help = "", .shortopts = "",
	.lookup = fake_lookup, .idle = stop_now,
};

/* The same on the second idle(): after the first read brought input. */
static void
stop_second(void *ctx)
{
	static int calls;

	(void)ctx;
	if (++calls == 2)
		raise(SIGTERM);
}

static const struct backend_ops stopping_second = {
	.name = "stopping_second", .usage = "", .options_help = "", .shortopts = "",
	.lookup = fake_lookup, .idle = stop_second,
};

static void
stop_before_blocking(void)
{
	int in, out;
	pid_t pid;

	if ((pid = spawn_loop(&stopping, true, &in, &out)) < 0) {
		ok(0, "pipes and fork");
		return;
	}
	/* the input stays open and silent: only the signal can end the loop */
	ok(ends_cleanly(pid), "a SIGTERM just before the loop blocks ends it at "
	    "once, status 0");
	close(in);
	close(out);
}

/* An asynchronous backend whose lookups never finish, and which raises
 * SIGTERM from next_timeout_ms(): the loop asks for that just before it
 * polls, with its one slot busy and a second line waiting, so the
 * requests are not in that poll. */
static enum backend_result
never_start(void *ctx, const struct backend_query *q, unsigned token,
    struct backend_answer *a)
{
	(void)ctx, (void)q, (void)token, (void)a;
	return BACKEND_PENDING;
}

static unsigned
one_slot(void *ctx)
{
	(void)ctx;
	return 1;
}

static int
no_fd(void *ctx)
{
	(void)ctx;
	return -1;
}

static int
stop_before_poll(void *ctx)
{
	(void)ctx;
	raise(SIGTERM);
	return -1;
}

static void
nothing_done(void *ctx, backend_done_fn *done, void *loop)
{
	(void)ctx, (void)done, (void)loop;
}

static const struct backend_ops stopping_async = {
	.name = "stopping_async", .usage = "", .options_help = "", .shortopts = "",
	.start = never_start, .max_inflight = one_slot, .event_fd = no_fd,
	.next_timeout_ms = stop_before_poll, .dispatch = nothing_done,
};

/* A line begun when the stop comes is not a last line: it gets no reply
 * (the handler's empty input is not the end of the requests). */
static void
stop_with_line_begun(void)
{
	char buf[64];
	int in, out;
	pid_t pid;
	ssize_t n;

	if ((pid = spawn_loop(&stopping_second, true, &in, &out)) < 0) {
		ok(0, "pipes and fork");
		return;
	}
	(void)!write(in, "5 \"known\":\"r", 12);
	ok(ends_cleanly(pid), "a SIGTERM with half a line read ends the loop, status 0");
	n = read(out, buf, sizeof(buf));
	ok(n == 0, "  and the half line gets no reply (%zd bytes written)", n);
	close(in);
	close(out);
}

static void
stop_before_poll_busy(void)
{
	int in, out;
	pid_t pid;

	if ((pid = spawn_loop(&stopping_async, true, &in, &out)) < 0) {
		ok(0, "pipes and fork");
		return;
	}
	(void)!write(in, "1 \"known\":\"r\"\n2 \"known\":\"r\"\n", 28);
	ok(ends_cleanly(pid), "a SIGTERM just before the loop polls, its slots busy, "
	    "ends it at once, status 0");
	close(in);
	close(out);
}

int
main(void)
{
	static const char *const realms[] = { "Good" };
	char *out, *big;
	size_t i, n, len;

	log_init("test_loop");
#define FIRST_INPUT "\"known\":\"r\"\n" \
	    "1 \"nobody\":\"r\"\n" \
	    "2 \"broken\":\"r\"\n" \
	    "garbage\n" \
	    "3 \"known\":\"r\" extra=1\r\n" \
	    "\n" \
	    "4 \"known\":\"r\0\"\n" \
	    "5 \"known\":\"r\""
	out = run(FIRST_INPUT, sizeof(FIRST_INPUT) - 1, NULL, 0);
	is_str(out,
	    "OK ha1=\"0123456789abcdef0123456789abcdef\"\n"
	    "1 ERR message=\"No such user\"\n"
	    "2 BH message=\"store 'down' really\"\n"
	    "BH message=\"Invalid line received\"\n"
	    "3 OK ha1=\"0123456789abcdef0123456789abcdef\"\n"
	    "BH message=\"Invalid line received\"\n"
	    "4 BH message=\"NUL byte in request\"\n"
	    "5 OK ha1=\"0123456789abcdef0123456789abcdef\"\n",
	    "each line gets its reply; last line without LF answered");
	free(out);

	/* Over-long lines: one BH each, the stream stays in step. */
	len = 3 * PROTO_LINE_MAX + 100;
	big = xmalloc(len * 2 + 200);
	n = 0;
	n += (size_t)sprintf(big + n, "\"known\":\"r\"\n");
	memset(big + n, 'x', len);
	n += len;
	n += (size_t)sprintf(big + n, "\n\"nobody\":\"r\"\n");
	memset(big + n, 'y', PROTO_LINE_MAX + 1);
	n += PROTO_LINE_MAX + 1;
	n += (size_t)sprintf(big + n, "\n");
	memset(big + n, 'z', PROTO_LINE_MAX);
	n += PROTO_LINE_MAX;
	n += (size_t)sprintf(big + n, "\n\"known\":\"r\"\n");
	out = run(big, n, NULL, 0);
	is_str(out,
	    "OK ha1=\"0123456789abcdef0123456789abcdef\"\n"
	    "BH message=\"Request line too long\"\n"
	    "ERR message=\"No such user\"\n"
	    "BH message=\"Request line too long\"\n"
	    "BH message=\"Invalid line received\"\n"
	    "OK ha1=\"0123456789abcdef0123456789abcdef\"\n",
	    "over-long lines get one BH each; a line at the limit is parsed");
	free(out);
	free(big);

	/* --realm */
#define REALM_INPUT "\"known\":\"Good\"\n\"known\":\"Bad\"\n7 \"known\":\"good\"\n"
	out = run(REALM_INPUT, sizeof(REALM_INPUT) - 1, realms, 1);
	is_str(out,
	    "OK ha1=\"0123456789abcdef0123456789abcdef\"\n"
	    "ERR message=\"Realm not accepted\"\n"
	    "7 ERR message=\"Realm not accepted\"\n",
	    "--realm: other realms are ERR, compared exactly");
	free(out);

	/* N in, N out */
	n = 100000;
	big = xmalloc(n * 32);
	len = 0;
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(big + len, "%zu \"%s\":\"r\"\n", i,
		    i % 10 ? "known" : "nobody");
	out = run(big, len, NULL, 0);
	ok(count_lines(out) == n, "100000 lines in, %zu replies out", count_lines(out));
	{
		char want[64];

		sprintf(want, "\n99999 OK ha1=");
		ok(strstr(out, want) != NULL, "  the last one in place");
	}
	free(out);
	free(big);

	lone_request_flushed();
	stop_before_blocking();
	stop_with_line_begun();
	stop_before_poll_busy();
	return done_testing();
}
