/* client.c - drive one helper process the way Squid does, and time it.
 *
 *   client [--batch FILE] [--rtt N [--pinned]] [--rtt-file FILE]
 *          [--no-load] [--eof-after-batch] [--stall-ms MS]
 *          [--timeout SEC] [--name NAME] -- COMMAND [ARGS...]
 *
 * Spawns COMMAND with its stdin and stdout on pipes, then:
 *
 *   load   writes the first request line (of --rtt-file, else --batch) at
 *          once and waits for its reply: the time from fork() to that
 *          reply is the start-up cost, loading the store included
 *          (--no-load: skipped);
 *   batch  writes the whole --batch file at once from a writer thread (so
 *          neither pipe can fill up and deadlock us) while reading replies
 *          until one per request has arrived: lookups per second
 *          (--eof-after-batch: the writer closes the helper's stdin after
 *          the last line);
 *   rtt    N times: one request written, its reply read (lines of
 *          --rtt-file, else of --batch, in turn): median and p99 in us;
 *          with --pinned, N more with this process and the helper on one
 *          CPU (no cross-CPU wake-up in the figure);
 *
 * then closes the helper's stdin, reads to EOF (nothing more may come),
 * and takes the helper's peak RSS from wait4().  Prints one line of
 * key=value pairs on stdout.
 *
 * Every reply is checked: one reply line per request, nothing after the
 * last, the channel IDs of the replies the same as those of the requests
 * (sum and sum of squares), the helper exiting 0 at EOF.  Anything else is
 * an error: a message on stderr and exit status 2; 3 for the --timeout;
 * 4 when no reply came for --stall-ms while replies were outstanding.
 * Replies are counted by verdict (ok= err= bh=) so the caller can check
 * them against the users it asked for.
 */
#include "config.h"	/* _GNU_SOURCE: sched_setaffinity, sched_getcpu, pipe2 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct lines {
	char *buf;		/* the whole file */
	size_t len;
	size_t *off;		/* start of each line */
	size_t *llen;		/* its length, LF included */
	size_t n;
};

/* What the reply reader has seen: complete lines, by verdict, the
 * channel IDs they carried, and where in a line the last read stopped. */
enum tally_state { T_START, T_ID, T_VERDICT, T_BODY };

struct tally {
	size_t lines, ok, err, bh, other;
	size_t ids;			/* replies that carried a channel ID */
	uint64_t id_sum, id_sum2;	/* sum and sum of squares of the IDs */
	enum tally_state st;
	uint64_t cur;			/* the ID being read */
};

/* The channel IDs of the requests, summed the same way. */
struct idsum {
	size_t ids;
	uint64_t id_sum, id_sum2;
};

static pid_t helper_pid = -1;
static const char *helper_name = "helper";
static int stall_ms;

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "client: %s: ", helper_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (helper_pid > 0)
		kill(helper_pid, SIGKILL);
	exit(2);
}

static void
on_alarm(int sig)
{
	static const char msg[] = "client: time-out: helper killed\n";

	(void)sig;
	if (helper_pid > 0)
		kill(helper_pid, SIGKILL);
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(3);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
read_lines(const char *path, struct lines *l)
{
	struct stat st;
	size_t cap = 1024, i, start = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(l, 0, sizeof(*l));
	if (fd < 0 || fstat(fd, &st) < 0)
		die("cannot open %s: %s", path, strerror(errno));
	l->buf = malloc((size_t)st.st_size + 2);
	if (l->buf == NULL)
		die("out of memory");
	while (l->len < (size_t)st.st_size) {
		ssize_t r = read(fd, l->buf + l->len, (size_t)st.st_size - l->len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("cannot read %s", path);
		l->len += (size_t)r;
	}
	close(fd);
	if (l->len > 0 && l->buf[l->len - 1] != '\n')
		l->buf[l->len++] = '\n';
	l->off = malloc(cap * sizeof(*l->off));
	l->llen = malloc(cap * sizeof(*l->llen));
	for (i = 0; i < l->len; i++) {
		if (l->buf[i] != '\n')
			continue;
		if (l->n == cap) {
			cap *= 2;
			l->off = realloc(l->off, cap * sizeof(*l->off));
			l->llen = realloc(l->llen, cap * sizeof(*l->llen));
		}
		if (l->off == NULL || l->llen == NULL)
			die("out of memory");
		l->off[l->n] = start;
		l->llen[l->n] = i + 1 - start;
		l->n++;
		start = i + 1;
	}
	if (l->n == 0)
		die("%s holds no request lines", path);
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("cannot write requests: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
verdict(struct tally *t, char c)
{
	switch (c) {
	case 'O': t->ok++; break;
	case 'E': t->err++; break;
	case 'B': t->bh++; break;
	default: t->other++; break;
	}
}

/* Count the reply lines in buf[0..n): [ID SP] VERDICT ... LF. */
static void
tally_bytes(struct tally *t, const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n;

	while (p < end) {
		switch (t->st) {
		case T_START:
		case T_ID:
			if (*p >= '0' && *p <= '9') {
				t->cur = t->cur * 10 + (uint64_t)(*p - '0');
				t->st = T_ID;
				p++;
				continue;
			}
			if (t->st == T_ID && *p == ' ') {
				t->ids++;
				t->id_sum += t->cur;
				t->id_sum2 += t->cur * t->cur;
				t->st = T_VERDICT;
				p++;
				continue;
			}
			/* FALLTHROUGH */
		case T_VERDICT:
			verdict(t, *p);
			t->st = T_BODY;
			/* FALLTHROUGH */
		case T_BODY: {
			const char *lf = memchr(p, '\n', (size_t)(end - p));

			if (lf == NULL)
				return;
			t->lines++;
			t->st = T_START;
			t->cur = 0;
			p = lf + 1;
			break;
		}
		}
	}
}

/* Sum the leading channel IDs of request lines. */
static void
sum_ids(const struct lines *l, size_t from, size_t count, struct idsum *s)
{
	size_t i, k;

	for (i = 0; i < count; i++) {
		const char *p = l->buf + l->off[(from + i) % l->n];
		size_t len = l->llen[(from + i) % l->n];
		uint64_t v = 0;

		for (k = 0; k < len && p[k] >= '0' && p[k] <= '9'; k++)
			v = v * 10 + (uint64_t)(p[k] - '0');
		if (k > 0 && k < len && p[k] == ' ') {
			s->ids++;
			s->id_sum += v;
			s->id_sum2 += v * v;
		}
	}
}

/* Read replies until t->lines reaches want.  With stall_ms > 0, going
 * that long without a byte while replies are outstanding is an error of
 * its own (exit 4): the helper holds a reply back. */
static void
read_replies(int fd, struct tally *t, size_t want)
{
	static char buf[1 << 16];

	while (t->lines < want) {
		ssize_t r;

		if (stall_ms > 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int pr = poll(&pfd, 1, stall_ms);

			if (pr < 0 && errno == EINTR)
				continue;
			if (pr == 0) {
				fprintf(stderr, "client: %s: stall: no reply for %d ms "
				    "with %zu of %zu replies outstanding\n", helper_name,
				    stall_ms, want - t->lines, want);
				kill(helper_pid, SIGKILL);
				exit(4);
			}
		}
		r = read(fd, buf, sizeof(buf));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("cannot read replies: %s", strerror(errno));
		}
		if (r == 0)
			die("helper closed its output after %zu of %zu replies",
			    t->lines, want);
		tally_bytes(t, buf, (size_t)r);
		if (t->lines > want)
			die("more replies than requests (%zu for %zu)", t->lines, want);
		if (t->lines == want && t->st != T_START)
			die("output after the last expected reply");
	}
}

struct writer_arg {
	int fd;
	const char *p;
	size_t n;
	bool close_after;
};

static void *
writer(void *argp)
{
	struct writer_arg *a = argp;

	write_all(a->fd, a->p, a->n);
	if (a->close_after)
		close(a->fd);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* n round trips over the lines of l (in turn, from the first): one line
 * written, its reply read.  Median and p99 in microseconds. */
static void
round_trips(int in_fd, int out_fd, const struct lines *l, size_t n,
    struct tally *t, size_t *want, struct idsum *sent, double *median_r,
    double *p99_r)
{
	double *d = malloc(n * sizeof(*d));
	size_t i;

	if (d == NULL)
		die("out of memory");
	sum_ids(l, 0, n, sent);
	for (i = 0; i < n; i++) {
		size_t k = i % l->n;
		double t0 = now_s();

		write_all(in_fd, l->buf + l->off[k], l->llen[k]);
		(*want)++;
		read_replies(out_fd, t, *want);
		d[i] = (now_s() - t0) * 1e6;
	}
	qsort(d, n, sizeof(*d), cmp_double);
	*median_r = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
	*p99_r = d[(size_t)((double)(n - 1) * 0.99 + 0.5)];
	free(d);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: client [--batch FILE] [--rtt N [--pinned]] [--rtt-file FILE] [--no-load]\n"
	    "              [--eof-after-batch] [--stall-ms MS] [--timeout SEC]\n"
	    "              [--name NAME] -- COMMAND [ARGS...]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *batch_path = NULL, *rtt_path = NULL;
	struct lines batch = { 0 }, rtt = { 0 };
	const struct lines *first;
	struct tally t = { .st = T_START };
	struct idsum sent = { 0 };
	size_t rtt_n = 0, want = 0;
	unsigned timeout = 600;
	bool no_load = false, eof_after_batch = false, pinned = false;
	int in[2], out[2], go[2], status, ai;
	double t_spawn, load_us = -1;
	double batch_s = 0, rtt_median = 0, rtt_p99 = 0, pin_median = 0, pin_p99 = 0;
	struct rusage ru;
	char tail[256];
	ssize_t r;

	for (ai = 1; ai < argc; ai++) {
		if (strcmp(argv[ai], "--") == 0) {
			ai++;
			break;
		}
		if (strcmp(argv[ai], "--no-load") == 0) {
			no_load = true;
			continue;
		}
		if (strcmp(argv[ai], "--pinned") == 0) {
			pinned = true;
			continue;
		}
		if (strcmp(argv[ai], "--eof-after-batch") == 0) {
			eof_after_batch = true;
			continue;
		}
		if (ai + 1 >= argc)
			usage();
		if (strcmp(argv[ai], "--batch") == 0)
			batch_path = argv[++ai];
		else if (strcmp(argv[ai], "--rtt") == 0)
			rtt_n = strtoul(argv[++ai], NULL, 10);
		else if (strcmp(argv[ai], "--rtt-file") == 0)
			rtt_path = argv[++ai];
		else if (strcmp(argv[ai], "--timeout") == 0)
			timeout = (unsigned)strtoul(argv[++ai], NULL, 10);
		else if (strcmp(argv[ai], "--stall-ms") == 0)
			stall_ms = atoi(argv[++ai]);
		else if (strcmp(argv[ai], "--name") == 0)
			helper_name = argv[++ai];
		else
			usage();
	}
	if (ai >= argc || (batch_path == NULL && rtt_path == NULL) ||
	    (eof_after_batch && (batch_path == NULL || rtt_n > 0)))
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(go, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));

	/* Fork now, while this process is small, and let the child exec only
	 * when told: ru_maxrss keeps the high-water mark from before exec,
	 * so a child forked after the request files are read would report
	 * their size as the helper's peak RSS. */
	helper_pid = fork();
	if (helper_pid < 0)
		die("fork: %s", strerror(errno));
	if (helper_pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);	/* the client gave up */
		if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[ai], argv + ai);
		fprintf(stderr, "client: cannot run %s: %s\n", argv[ai], strerror(errno));
		_exit(127);
	}
	close(go[0]);

	if (batch_path != NULL)
		read_lines(batch_path, &batch);
	if (rtt_path != NULL)
		read_lines(rtt_path, &rtt);
	else if (rtt_n > 0)
		rtt = batch;
	first = rtt_path != NULL ? &rtt : &batch;

	alarm(timeout);
	t_spawn = now_s();
	if (write(go[1], "x", 1) != 1)
		die("cannot start the helper: %s", strerror(errno));
	close(go[1]);
	close(in[0]);
	close(out[1]);

	/* load: the first request, sent at once, answered once loaded */
	if (!no_load) {
		write_all(in[1], first->buf + first->off[0], first->llen[0]);
		sum_ids(first, 0, 1, &sent);
		want = 1;
		read_replies(out[0], &t, want);
		load_us = (now_s() - t_spawn) * 1e6;
	}

	/* batch: everything at once, a thread writing while we read */
	if (batch_path != NULL) {
		struct writer_arg wa = { in[1], batch.buf, batch.len, eof_after_batch };
		pthread_t th;
		double t0 = now_s();

		sum_ids(&batch, 0, batch.n, &sent);
		want += batch.n;
		if (pthread_create(&th, NULL, writer, &wa) != 0)
			die("cannot start the writer thread");
		read_replies(out[0], &t, want);
		batch_s = now_s() - t0;
		pthread_join(th, NULL);
	}

	/* rtt: one request, its reply, and again */
	if (rtt_n > 0)
		round_trips(in[1], out[0], &rtt, rtt_n, &t, &want, &sent,
		    &rtt_median, &rtt_p99);

	/* the same with the helper and us on one CPU: no cross-CPU wake-up */
	if (rtt_n > 0 && pinned) {
		cpu_set_t set;
		int cpu = sched_getcpu();

		CPU_ZERO(&set);
		CPU_SET(cpu < 0 ? 0 : cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0 ||
		    sched_setaffinity(helper_pid, sizeof(set), &set) < 0)
			die("sched_setaffinity: %s", strerror(errno));
		round_trips(in[1], out[0], &rtt, rtt_n, &t, &want, &sent,
		    &pin_median, &pin_p99);
	}

	/* end of input: nothing more may come, then the exit status */
	if (!eof_after_batch)
		close(in[1]);
	while ((r = read(out[0], tail, sizeof(tail))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("cannot read replies: %s", strerror(errno));
		die("%zd unexpected bytes after the last reply", r);
	}
	while (wait4(helper_pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4: %s", strerror(errno));
	helper_pid = -1;
	alarm(0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "client: %s: helper %s %d\n", helper_name,
		    WIFEXITED(status) ? "exited with status" : "killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return 2;
	}
	if (t.lines != want) {
		fprintf(stderr, "client: %s: %zu replies for %zu requests\n",
		    helper_name, t.lines, want);
		return 2;
	}
	if (t.ids != sent.ids || t.id_sum != sent.id_sum ||
	    t.id_sum2 != sent.id_sum2) {
		fprintf(stderr, "client: %s: channel IDs of the replies do not match "
		    "the requests (%zu IDs sent, %zu echoed)\n", helper_name,
		    sent.ids, t.ids);
		return 2;
	}

	printf("load_us=%.0f requests=%zu ok=%zu err=%zu bh=%zu other=%zu ids=%zu",
	    load_us, want, t.ok, t.err, t.bh, t.other, t.ids);
	if (batch_path != NULL)
		printf(" batch_lines=%zu batch_s=%.6f batch_rate=%.0f", batch.n,
		    batch_s, batch_s > 0 ? (double)batch.n / batch_s : 0.0);
	if (rtt_n > 0)
		printf(" rtt_n=%zu rtt_median_us=%.2f rtt_p99_us=%.2f", rtt_n,
		    rtt_median, rtt_p99);
	if (rtt_n > 0 && pinned)
		printf(" pin_median_us=%.2f pin_p99_us=%.2f", pin_median, pin_p99);
	printf(" maxrss_kb=%ld\n", ru.ru_maxrss);
	return 0;
}
