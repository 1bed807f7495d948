/* client.c - drive helper processes the way Squid does, and time them.
 *
 *   client [--batch FILE] [--rtt N [--cross] [--pinned] [--block K]]
 *          [--rtt-file FILE]
 *          [--no-load] [--eof-after-batch] [--stall-ms MS]
 *          [--timeout SEC] [--name NAME[,NAME2]]
 *          -- COMMAND [ARGS...] [--and COMMAND2 [ARGS...]]
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
 *          where the scheduler puts the processes (rtt_same_cpu: the
 *          share of samples, one per 32 round trips, that found the
 *          helper last run on this process's CPU); with --cross, N more
 *          with this process on one CPU and the helper on another (a
 *          cross-CPU wake-up each way, every time); with --pinned, N more
 *          with this process and the helper on one CPU (no cross-CPU
 *          wake-up in the figure);
 *
 * then closes the helper's stdin, reads to EOF (nothing more may come),
 * and takes the helper's peak RSS and CPU time (user + system) from
 * wait4(), and its own CPU time since the load from getrusage() (with
 * --and, the two helpers' together).  Prints one line of key=value pairs
 * on stdout.
 *
 * With "--and COMMAND2 ...", two helpers are run side by side for the
 * round trips only (no --batch): both are loaded, then their round trips
 * alternate in blocks of K (--block, default 1: strictly one each), so
 * both meet the same scheduler and machine state; on a VM whose idle CPUs
 * take tens of microseconds to wake, runs one after the other differ by
 * more than the helpers do.  One output line per helper, in order.
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

/* One helper process, its pipes, and what has been asked of it. */
struct helper {
	const char *name;
	char *const *argv;
	pid_t pid;
	int in, out, go;	/* its stdin, its stdout, its start signal */
	struct tally t;
	struct idsum sent;
	size_t want;		/* replies it owes by now */
	double load_us, batch_s;
	double rtt_median, rtt_p99, pin_median, pin_p99, cross_median, cross_p99;
	size_t cpu_samples, same_cpu;	/* placement seen in the free pass */
	struct rusage ru;
};

#define MAX_HELPERS 2
static struct helper helpers[MAX_HELPERS];
static size_t nhelpers;
static const char *cur_name = "helper";	/* for messages */
static int stall_ms;

static void
kill_helpers(void)
{
	size_t i;

	for (i = 0; i < nhelpers; i++)
		if (helpers[i].pid > 0)
			kill(helpers[i].pid, SIGKILL);
}

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "client: %s: ", cur_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	kill_helpers();
	exit(2);
}

static void
on_alarm(int sig)
{
	static const char msg[] = "client: time-out: helper killed\n";

	(void)sig;
	kill_helpers();
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
				    "with %zu of %zu replies outstanding\n", cur_name,
				    stall_ms, want - t->lines, want);
				kill_helpers();
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

/* user + system time of ru, in microseconds */
static double
cpu_us(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e6 +
	    (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
median_p99(double *d, size_t n, double *median_r, double *p99_r)
{
	qsort(d, n, sizeof(*d), cmp_double);
	*median_r = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
	*p99_r = d[(size_t)((double)(n - 1) * 0.99 + 0.5)];
}

/* The CPU pid last ran on (field 39 of /proc/PID/stat), or -1. */
static int
last_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	ssize_t r;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	p = strrchr(buf, ')');	/* the command name may hold spaces */
	if (p == NULL)
		return -1;
	for (field = 2; field < 39 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	return p != NULL ? atoi(p + 1) : -1;
}

/* How often the free pass looks where a helper ran. */
#define CPU_SAMPLE_EVERY 32

/* The three passes: CPUs left to the scheduler, the helpers on the
 * client's CPU, the helpers on another CPU. */
enum rtt_kind { RTT_FREE, RTT_PINNED, RTT_CROSS };

/* n round trips for each helper over the lines of l (each helper takes
 * them in turn, from the first): one line written, its reply read; with
 * two helpers, blocks of `block` round trips alternate between them.
 * Median and p99 in microseconds, per helper, into the figures of `kind`. */

static void
round_trips(const struct lines *l, size_t n, size_t block, enum rtt_kind kind)
{
	double *d[MAX_HELPERS];
	size_t done[MAX_HELPERS] = { 0 }, i, h, left = n * nhelpers;

	if (block == 0)
		block = 1;
	for (h = 0; h < nhelpers; h++) {
		d[h] = malloc(n * sizeof(*d[h]));
		if (d[h] == NULL)
			die("out of memory");
		sum_ids(l, 0, n, &helpers[h].sent);
	}
	for (h = 0; left > 0; h = (h + 1) % nhelpers) {
		struct helper *hp = &helpers[h];

		cur_name = hp->name;
		for (i = 0; i < block && done[h] < n; i++, left--) {
			size_t k = done[h] % l->n;
			double t0 = now_s();

			write_all(hp->in, l->buf + l->off[k], l->llen[k]);
			hp->want++;
			read_replies(hp->out, &hp->t, hp->want);
			d[h][done[h]++] = (now_s() - t0) * 1e6;
			/* where it ran, outside the timed part */
			if (kind == RTT_FREE && done[h] % CPU_SAMPLE_EVERY == 0) {
				int c = last_cpu(hp->pid);

				if (c >= 0) {
					hp->cpu_samples++;
					hp->same_cpu += c == sched_getcpu();
				}
			}
		}
	}
	for (h = 0; h < nhelpers; h++) {
		struct helper *hp = &helpers[h];

		if (kind == RTT_PINNED)
			median_p99(d[h], n, &hp->pin_median, &hp->pin_p99);
		else if (kind == RTT_CROSS)
			median_p99(d[h], n, &hp->cross_median, &hp->cross_p99);
		else
			median_p99(d[h], n, &hp->rtt_median, &hp->rtt_p99);
		free(d[h]);
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: client [--batch FILE] [--rtt N [--cross] [--pinned] [--block K]]\n"
	    "              [--rtt-file FILE]\n"
	    "              [--no-load] [--eof-after-batch] [--stall-ms MS] [--timeout SEC]\n"
	    "              [--name NAME [--name NAME2]]\n"
	    "              -- COMMAND [ARGS...] [--and COMMAND2 [ARGS...]]\n");
	exit(2);
}

/* Fork now, while this process is small, and let the child exec only
 * when told: ru_maxrss keeps the high-water mark from before exec, so a
 * child forked after the request files are read would report their size
 * as the helper's peak RSS. */
static void
spawn(struct helper *h)
{
	int in[2], out[2], go[2];

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(go, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	h->pid = fork();
	if (h->pid < 0)
		die("fork: %s", strerror(errno));
	if (h->pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);	/* the client gave up */
		if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(h->argv[0], h->argv);
		fprintf(stderr, "client: cannot run %s: %s\n", h->argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	close(in[0]);
	close(out[1]);
	h->in = in[1];
	h->out = out[0];
	h->go = go[1];
	h->t.st = T_START;
}

/* Let it exec; with load, send the first request and time its reply. */
static void
start(struct helper *h, const struct lines *first, bool load)
{
	double t0 = now_s();

	cur_name = h->name;
	if (write(h->go, "x", 1) != 1)
		die("cannot start the helper: %s", strerror(errno));
	close(h->go);
	if (!load)
		return;
	write_all(h->in, first->buf + first->off[0], first->llen[0]);
	sum_ids(first, 0, 1, &h->sent);
	h->want = 1;
	read_replies(h->out, &h->t, h->want);
	h->load_us = (now_s() - t0) * 1e6;
}

/* End of input: nothing more may come, then the exit status and the
 * checks.  0 when all is well. */
static int
finish(struct helper *h, bool closed)
{
	char tail[256];
	ssize_t r;
	int status;

	cur_name = h->name;
	if (!closed)
		close(h->in);
	while ((r = read(h->out, tail, sizeof(tail))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("cannot read replies: %s", strerror(errno));
		die("%zd unexpected bytes after the last reply", r);
	}
	while (wait4(h->pid, &status, 0, &h->ru) < 0)
		if (errno != EINTR)
			die("wait4: %s", strerror(errno));
	h->pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "client: %s: helper %s %d\n", h->name,
		    WIFEXITED(status) ? "exited with status" : "killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return 2;
	}
	if (h->t.lines != h->want) {
		fprintf(stderr, "client: %s: %zu replies for %zu requests\n",
		    h->name, h->t.lines, h->want);
		return 2;
	}
	if (h->t.ids != h->sent.ids || h->t.id_sum != h->sent.id_sum ||
	    h->t.id_sum2 != h->sent.id_sum2) {
		fprintf(stderr, "client: %s: channel IDs of the replies do not match "
		    "the requests (%zu IDs sent, %zu echoed)\n", h->name,
		    h->sent.ids, h->t.ids);
		return 2;
	}
	return 0;
}

/* A CPU this process may run on other than cpu, or -1. */
static int
other_cpu(int cpu)
{
	cpu_set_t set;
	int c;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -1;
	for (c = 0; c < CPU_SETSIZE; c++)
		if (c != cpu && CPU_ISSET(c, &set))
			return c;
	return -1;
}

/* This process on CPU mine, the helpers on CPU theirs. */
static void
pin_all(int mine, int theirs)
{
	cpu_set_t set;
	size_t i;

	CPU_ZERO(&set);
	CPU_SET(mine, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		die("sched_setaffinity: %s", strerror(errno));
	CPU_ZERO(&set);
	CPU_SET(theirs, &set);
	for (i = 0; i < nhelpers; i++)
		if (sched_setaffinity(helpers[i].pid, sizeof(set), &set) < 0)
			die("sched_setaffinity: %s", strerror(errno));
}

int
main(int argc, char **argv)
{
	const char *batch_path = NULL, *rtt_path = NULL, *names[MAX_HELPERS] = { 0 };
	struct lines batch = { 0 }, rtt = { 0 };
	const struct lines *first;
	size_t rtt_n = 0, block = 1, nnames = 0, i;
	unsigned timeout = 600;
	bool no_load = false, eof_after_batch = false, pinned = false, cross = false;
	struct rusage self0, self;
	int ai, rc = 0;

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
		if (strcmp(argv[ai], "--cross") == 0) {
			cross = true;
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
		else if (strcmp(argv[ai], "--block") == 0)
			block = strtoul(argv[++ai], NULL, 10);
		else if (strcmp(argv[ai], "--rtt-file") == 0)
			rtt_path = argv[++ai];
		else if (strcmp(argv[ai], "--timeout") == 0)
			timeout = (unsigned)strtoul(argv[++ai], NULL, 10);
		else if (strcmp(argv[ai], "--stall-ms") == 0)
			stall_ms = atoi(argv[++ai]);
		else if (strcmp(argv[ai], "--name") == 0 && nnames < MAX_HELPERS)
			names[nnames++] = argv[++ai];
		else
			usage();
	}
	if (ai >= argc || (batch_path == NULL && rtt_path == NULL) ||
	    (eof_after_batch && (batch_path == NULL || rtt_n > 0)))
		usage();

	/* the commands: argv[ai..] up to "--and", then the rest */
	helpers[nhelpers++].argv = argv + ai;
	for (i = (size_t)ai; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--and") != 0)
			continue;
		argv[i] = NULL;
		if (i + 1 >= (size_t)argc || i == (size_t)ai)
			usage();
		helpers[nhelpers++].argv = argv + i + 1;
		break;
	}
	if (nhelpers > 1 && (batch_path != NULL || rtt_n == 0))
		usage();	/* side by side: round trips only */
	for (i = 0; i < nhelpers; i++) {
		helpers[i].name = names[i] != NULL ? names[i] :
		    i == 0 ? "helper" : "helper2";
		helpers[i].load_us = -1;
	}

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	for (i = 0; i < nhelpers; i++)
		spawn(&helpers[i]);

	if (batch_path != NULL)
		read_lines(batch_path, &batch);
	if (rtt_path != NULL)
		read_lines(rtt_path, &rtt);
	else if (rtt_n > 0)
		rtt = batch;
	first = rtt_path != NULL ? &rtt : &batch;

	alarm(timeout);
	/* the client's own CPU is counted from here: the load and the batch */
	if (getrusage(RUSAGE_SELF, &self0) < 0)
		memset(&self0, 0, sizeof(self0));
	/* load: the first request, sent at once, answered once loaded */
	for (i = 0; i < nhelpers; i++)
		start(&helpers[i], first, !no_load);

	/* batch: everything at once, a thread writing while we read */
	if (batch_path != NULL) {
		struct helper *h = &helpers[0];
		struct writer_arg wa = { h->in, batch.buf, batch.len, eof_after_batch };
		pthread_t th;
		double t0 = now_s();

		sum_ids(&batch, 0, batch.n, &h->sent);
		h->want += batch.n;
		if (pthread_create(&th, NULL, writer, &wa) != 0)
			die("cannot start the writer thread");
		read_replies(h->out, &h->t, h->want);
		h->batch_s = now_s() - t0;
		pthread_join(th, NULL);
	}

	/* rtt: one request, its reply, and again */
	if (rtt_n > 0)
		round_trips(&rtt, rtt_n, block, RTT_FREE);

	/* the same with the helpers on the other CPU: a cross-CPU wake-up
	 * for every request and every reply */
	if (rtt_n > 0 && cross) {
		int cpu = sched_getcpu(), other;

		cpu = cpu < 0 ? 0 : cpu;
		other = other_cpu(cpu);
		if (other < 0)
			die("--cross needs two CPUs to run on");
		pin_all(cpu, other);
		round_trips(&rtt, rtt_n, block, RTT_CROSS);
	}

	/* the same with the helpers and us on one CPU: no cross-CPU wake-up */
	if (rtt_n > 0 && pinned) {
		int cpu = sched_getcpu();

		pin_all(cpu < 0 ? 0 : cpu, cpu < 0 ? 0 : cpu);
		round_trips(&rtt, rtt_n, block, RTT_PINNED);
	}

	for (i = 0; i < nhelpers; i++)
		if (finish(&helpers[i], eof_after_batch) != 0)
			rc = 2;
	alarm(0);
	if (rc != 0) {
		kill_helpers();
		return rc;
	}

	if (getrusage(RUSAGE_SELF, &self) < 0)
		memset(&self, 0, sizeof(self));
	for (i = 0; i < nhelpers; i++) {
		const struct helper *h = &helpers[i];

		printf("load_us=%.0f requests=%zu ok=%zu err=%zu bh=%zu other=%zu ids=%zu",
		    h->load_us, h->want, h->t.ok, h->t.err, h->t.bh, h->t.other,
		    h->t.ids);
		if (batch_path != NULL)
			printf(" batch_lines=%zu batch_s=%.6f batch_rate=%.0f", batch.n,
			    h->batch_s, h->batch_s > 0 ? (double)batch.n / h->batch_s : 0.0);
		if (rtt_n > 0)
			printf(" rtt_n=%zu rtt_median_us=%.2f rtt_p99_us=%.2f", rtt_n,
			    h->rtt_median, h->rtt_p99);
		if (rtt_n > 0 && h->cpu_samples > 0)
			printf(" rtt_same_cpu=%.3f",
			    (double)h->same_cpu / (double)h->cpu_samples);
		if (rtt_n > 0 && cross)
			printf(" cross_median_us=%.2f cross_p99_us=%.2f", h->cross_median,
			    h->cross_p99);
		if (rtt_n > 0 && pinned)
			printf(" pin_median_us=%.2f pin_p99_us=%.2f", h->pin_median,
			    h->pin_p99);
		printf(" cpu_us=%.0f client_cpu_us=%.0f", cpu_us(&h->ru),
		    cpu_us(&self) - cpu_us(&self0));
		printf(" maxrss_kb=%ld\n", h->ru.ru_maxrss);
	}
	return 0;
}
