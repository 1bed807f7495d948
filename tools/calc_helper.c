/* calc_helper.c - ask a digest helper for an HA1, exactly as Squid does.
 *
 * The helper runs under /bin/sh -c with pipes for stdin and stdout; its
 * stderr is ours, so its warnings reach the terminal.  It gets one request
 * line without a channel ID ("user":"realm" LF, as Squid writes it for
 * `auth_param digest children N` without concurrency) and we read one
 * reply line:
 *
 *   OK ha1="<32 hex>" [annotations]  |  ERR [message="..."]  |
 *   BH [message="..."]  |  <32 hex>  (the reply of Squid 3.1 and older)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "calc.h"
#include "clock.h"
#include "fdio.h"
#include "log.h"
#include "proto.h"
#include "secret.h"

/* Squid waits for a helper as long as it takes, but a debugging tool must
 * not hang: a store that needs more than this to answer one lookup is the
 * problem being debugged (an LDAP search time limit is typically 5 s). */
#define HELPER_TIMEOUT_MS 10000

/* After its input is closed a helper should exit at once; after this long
 * it gets SIGTERM, and as long again later SIGKILL. */
#define HELPER_EXIT_WAIT_MS 2000

/* Squid reads reply lines of up to 64 KiB (annotations can be long). */
#define HELPER_REPLY_MAX 65536

static long long
now_ms(void)
{
	return clock_now_ns() / 1000000;
}

/* Read up to LF into line (cap bytes).  Returns the line length (LF not
 * included), -1 on end of input before a LF, -2 on time-out, -3 on a line
 * too long. */
static ssize_t
read_line(int fd, char *line, size_t cap)
{
	long long deadline = now_ms() + HELPER_TIMEOUT_MS;
	size_t n = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		char *lf;
		ssize_t r;

		if (left <= 0)
			return -2;
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd.revents == 0)
			continue;
		r = read(fd, line + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		lf = memchr(line + n, '\n', (size_t)r);
		n += (size_t)r;
		if (lf != NULL)
			return lf - line;
		if (n == cap)
			return -3;
	}
}

/* Reap the helper: it should exit once its input is closed. */
static int
reap(pid_t pid)
{
	long long deadline = now_ms() + HELPER_EXIT_WAIT_MS;
	int status = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= deadline)
			break;
		usleep(10000);
	}
	kill(pid, SIGTERM);
	deadline = now_ms() + HELPER_EXIT_WAIT_MS;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < deadline)
		usleep(10000);
	if (r == pid)
		return status;
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* Skip the value at p, a quoted-string or a token, and copy it unescaped
 * into out (outlen bytes) unless out is NULL.  Returns where it ends. */
static const char *
take_value(const char *p, const char *end, char *out, size_t outlen)
{
	bool quoted = p < end && *p == '"';
	size_t o = 0;

	if (quoted)
		p++;
	for (; p < end && *p != (quoted ? '"' : ' '); p++) {
		if (quoted && *p == '\\' && p + 1 < end)
			p++;
		if (out != NULL && o + 1 < outlen)
			out[o++] = *p;
	}
	if (quoted && p < end)
		p++;
	if (out != NULL)
		out[o] = '\0';
	return p;
}

/* The next key=value pair of the reply's pairs from p: its key in *k_r,
 * *klen_r bytes long.  Returns where the key's '=' is, or NULL when no
 * pair is left; words without an '=' are passed over. */
static const char *
next_pair(const char *p, const char *end, const char **k_r, size_t *klen_r)
{
	const char *k;

	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		k = p;
		while (p < end && *p != '=' && *p != ' ')
			p++;
		if (p == end || *p == ' ')
			continue;
		*k_r = k;
		*klen_r = (size_t)(p - k);
		return p;
	}
	return NULL;
}

/* The value of key="..." or key=token among the reply's pairs, unescaped
 * into out (outlen bytes).  Returns 0, or -1 when the key is absent. */
static int
reply_value(const char *p, const char *end, const char *key, char *out,
    size_t outlen)
{
	size_t klen = strlen(key), kn;
	const char *k;
	bool match;

	while ((p = next_pair(p, end, &k, &kn)) != NULL) {
		match = kn == klen && memcmp(k, key, klen) == 0;
		p = take_value(p + 1, end, match ? out : NULL, outlen);
		if (match)
			return 0;
	}
	return -1;
}

/* The reply's pairs other than ha1, as key="value" with each value
 * unescaped and made safe for one line: the annotations Squid would keep
 * for its note ACLs. */
static void
other_pairs(const char *p, const char *end, char *out, size_t outlen)
{
	char *val = xmalloc(CALC_HELPER_MSG_MAX), safe[CALC_HELPER_MSG_MAX];
	size_t o = 0, kn;
	const char *k;

	out[0] = '\0';
	while ((p = next_pair(p, end, &k, &kn)) != NULL) {
		if (kn == 3 && memcmp(k, "ha1", 3) == 0) {
			p = take_value(p + 1, end, NULL, 0);
			continue;
		}
		log_sanitize(k, kn, safe, sizeof(safe));
		p = take_value(p + 1, end, val, CALC_HELPER_MSG_MAX);
		o += (size_t)snprintf(out + o, outlen - o, "%s%s=\"", o ? " " : "", safe);
		log_sanitize(val, strlen(val), safe, sizeof(safe));
		if (o < outlen)
			o += (size_t)snprintf(out + o, outlen - o, "%s\"", safe);
		if (o >= outlen)
			break;
	}
	free(val);
}

static bool
is_md5_hex(const char *s, size_t n)
{
	return digest_is_hex(digest_alg_md5(), s, n);
}

/* Decide what a reply line says. */
static enum helper_answer
parse_reply(char *line, size_t n, char *ha1_r, char *msg_r, size_t msglen)
{
	char *end = line + n, *word_end;
	char val[256];

	if (n > 0 && end[-1] == '\r')
		end--;
	n = (size_t)(end - line);
	if (is_md5_hex(line, n)) {
		digest_hex_lower(line, n, ha1_r);
		msg_r[0] = '\0';	/* an old-style reply: no annotations */
		return HELPER_OK;
	}
	for (word_end = line; word_end < end && *word_end != ' '; word_end++)
		;
	msg_r[0] = '\0';
	if (word_end - line == 2 && memcmp(line, "OK", 2) == 0) {
		if (reply_value(word_end, end, "ha1", val, sizeof(val)) < 0) {
			snprintf(msg_r, msglen, "the helper answered OK without ha1=");
			return HELPER_FAILED;
		}
		if (!is_md5_hex(val, strlen(val))) {
			secret_wipe(val, sizeof(val));
			snprintf(msg_r, msglen, "the helper answered OK with an ha1 "
			    "that is not 32 hex digits");
			return HELPER_FAILED;
		}
		digest_hex_lower(val, 32, ha1_r);
		secret_wipe(val, sizeof(val));
		other_pairs(word_end, end, msg_r, msglen);
		return HELPER_OK;
	}
	if ((word_end - line == 3 && memcmp(line, "ERR", 3) == 0) ||
	    (word_end - line == 2 && memcmp(line, "BH", 2) == 0)) {
		if (reply_value(word_end, end, "message", val, sizeof(val)) == 0)
			log_sanitize(val, strlen(val), msg_r, msglen);
		return line[0] == 'E' ? HELPER_ERR : HELPER_BH;
	}
	/* Not echoed: an unknown reply could hold anything, an HA1 included. */
	snprintf(msg_r, msglen, "the helper's reply is not OK, ERR or BH "
	    "(Squid would stop using this helper)");
	return HELPER_FAILED;
}

static void
close_pipe(const int fd[2])
{
	close(fd[0]);
	close(fd[1]);
}

/* Start command under /bin/sh -c with to[0] as its standard input and
 * from[1] as its standard output.  Returns its pid, or -1 with a message
 * in msg_r. */
static pid_t
spawn(const char *command, int to[2], int from[2], char *msg_r, size_t msglen)
{
	pid_t pid;

	if (pipe2(to, O_CLOEXEC) < 0) {
		snprintf(msg_r, msglen, "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(from, O_CLOEXEC) < 0) {
		snprintf(msg_r, msglen, "cannot make a pipe: %s", strerror(errno));
		close_pipe(to);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(msg_r, msglen, "cannot fork: %s", strerror(errno));
		close_pipe(to);
		close_pipe(from);
		return -1;
	}
	if (pid == 0) {
		if (dup2(to[0], STDIN_FILENO) < 0 || dup2(from[1], STDOUT_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	return pid;
}

/* Send the request for user in realm on fd and read the reply line from
 * rfd into line (HELPER_REPLY_MAX bytes).  Returns what read_line() does,
 * and -1 when the request could not be written. */
static ssize_t
exchange(int fd, int rfd, struct digest_str user, struct digest_str realm, char *line)
{
	struct obuf req = { NULL, 0, 0 };
	char safe[256];
	ssize_t n;

	/* Exactly what Squid writes: "user":"realm" LF */
	obuf_append(&req, "\"", 1);
	obuf_append(&req, user.p, user.n);
	obuf_append(&req, "\":\"", 3);
	obuf_append(&req, realm.p, realm.n);
	obuf_append(&req, "\"\n", 2);
	if (log_debug_enabled())
		log_debug("helper request: %s",
		    log_sanitize(req.p, req.len - 1, safe, sizeof(safe)));
	if (fd_write_all(fd, req.p, req.len) < 0)
		n = -1;
	else
		n = read_line(rfd, line, HELPER_REPLY_MAX);
	obuf_free(&req);
	return n;
}

/* Why there is no reply line: n from read_line(), status from reap(). */
static void
no_reply_msg(ssize_t n, int status, char *msg_r, size_t msglen)
{
	if (n == -2)
		snprintf(msg_r, msglen, "no answer within %d s",
		    HELPER_TIMEOUT_MS / 1000);
	else if (n == -3)
		snprintf(msg_r, msglen, "the reply line is longer than %d bytes",
		    HELPER_REPLY_MAX);
	else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(msg_r, msglen, "the command could not be run "
		    "(sh exit status 127)");
	else if (status != -1 && WIFEXITED(status))
		snprintf(msg_r, msglen, "it exited with status %d without "
		    "answering", WEXITSTATUS(status));
	else if (status != -1 && WIFSIGNALED(status))
		snprintf(msg_r, msglen, "it was killed by signal %d without "
		    "answering", WTERMSIG(status));
	else
		snprintf(msg_r, msglen, "it closed its output without answering");
}

enum helper_answer
calc_helper_ask(const char *command, struct digest_str user, struct digest_str realm,
    char *ha1_r, char *msg_r, size_t msglen)
{
	enum helper_answer ans = HELPER_FAILED;
	int to[2], from[2], status;
	char *line;
	ssize_t n;
	pid_t pid;

	ha1_r[0] = '\0';
	pid = spawn(command, to, from, msg_r, msglen);
	if (pid < 0)
		return HELPER_FAILED;
	line = xmalloc(HELPER_REPLY_MAX);
	n = exchange(to[1], from[0], user, realm, line);
	close(to[1]);
	close(from[0]);
	status = reap(pid);
	if (n >= 0)
		ans = parse_reply(line, (size_t)n, ha1_r, msg_r, msglen);
	else
		no_reply_msg(n, status, msg_r, msglen);
	secret_free(line, HELPER_REPLY_MAX);
	log_debug("helper answer: %s", ans == HELPER_OK ? "OK" :
	    ans == HELPER_ERR ? "ERR" : ans == HELPER_BH ? "BH" : "none");
	return ans;
}
