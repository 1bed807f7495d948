/* pwread.c - one line of a password from a descriptor, and the terminal
 * it is typed on (pwread.h).
 *
 * A process that dies at a password prompt with the terminal's echo off
 * leaves the user's shell mute.  So while echo is off, the signals that
 * end a process by default restore the terminal first and are then raised
 * again with their default action, and SIGTSTP (^Z) is ignored.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "pwread.h"
#include "secret.h"

/* The signals that restore the terminal; struct pwread_tty's old[] keeps
 * their previous actions in this order. */
static const int tty_signals[4] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
#define TTY_NSIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

/* For the signal handler: the terminal to restore before dying (-1: none)
 * and its settings.  restore_state is written before restore_fd is set. */
static volatile sig_atomic_t restore_fd = -1;
static struct termios restore_state;

/* Restore the terminal, then die of sig as if no handler had been set:
 * raised with the default action, it is delivered once this returns (the
 * handler runs with sig blocked). */
static void
tty_on_signal(int sig)
{
	if (restore_fd >= 0)
		(void)tcsetattr(restore_fd, TCSAFLUSH, &restore_state);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Whether the action sa ignores its signal. */
static bool
ignores(const struct sigaction *sa)
{
	return (sa->sa_flags & SA_SIGINFO) == 0 && sa->sa_handler == SIG_IGN;
}

/* The end of pwread_line(): a CR before the LF dropped, a NUL byte found;
 * buf terminated, or wiped on failure. */
static enum pwread_result
line_done(char *buf, size_t cap, size_t n, unsigned flags,
    enum pwread_result rc, size_t *len_r)
{
	if (rc == PWREAD_OK && (flags & PWREAD_KEEP_CR) == 0 && n > 0 &&
	    buf[n - 1] == '\r')
		n--;
	if (rc == PWREAD_OK && (flags & PWREAD_KEEP_NUL) == 0 &&
	    memchr(buf, '\0', n) != NULL)
		rc = PWREAD_NUL;
	if (rc != PWREAD_OK) {
		int e = errno;

		secret_wipe(buf, cap);
		errno = e;	/* for PWREAD_ERROR */
		n = 0;
	} else {
		buf[n] = '\0';
	}
	*len_r = n;
	return rc;
}

enum pwread_result
pwread_line(int fd, char *buf, size_t cap, unsigned flags, size_t *len_r)
{
	enum pwread_result rc = PWREAD_OK;
	bool any = false, too_long = false;
	size_t n = 0;
	ssize_t r;
	char c = '\0';

	/* One byte per read(): what follows the line stays unread (-i with
	 * more input behind it), and no stdio buffer holds a copy. */
	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = PWREAD_ERROR;
			break;
		}
		if (r == 0)
			break;
		any = true;
		if (c == '\n')
			break;
		if (n + 1 >= cap)
			too_long = true;	/* read on to the line's end */
		else
			buf[n++] = c;
	}
	secret_wipe(&c, sizeof(c));
	if (rc == PWREAD_OK && !any)
		rc = PWREAD_NONE;
	else if (rc == PWREAD_OK && too_long)
		rc = PWREAD_LONG;
	return line_done(buf, cap, n, flags, rc, len_r);
}

enum pwread_tty_state
pwread_tty_begin(struct pwread_tty *t, int fd)
{
	struct termios quiet;
	struct sigaction sa;
	size_t i;

	t->fd = fd;
	if (tcgetattr(fd, &t->saved) < 0)
		return PWREAD_TTY_NONE;
	restore_state = t->saved;
	restore_fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < TTY_NSIGNALS; i++) {
		sigaction(tty_signals[i], NULL, &t->old[i]);
		/* an ignored signal (nohup) does not end the process: left so */
		if (!ignores(&t->old[i]))
			sigaction(tty_signals[i], &sa, NULL);
	}
	/* stopped with echo off, the shell would get a mute terminal */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGTSTP, &sa, &t->old_tstp);

	quiet = t->saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	/* TCSAFLUSH: nothing typed before the prompt is taken for the line */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0)
		return PWREAD_TTY_ECHO;
	return PWREAD_TTY_OK;
}

enum pwread_result
pwread_tty_line(struct pwread_tty *t, const char *prompt, char *buf,
    size_t cap, unsigned flags, size_t *len_r)
{
	enum pwread_result rc;
	int e;

	fputs(prompt, stderr);
	fflush(stderr);
	rc = pwread_line(t->fd, buf, cap, flags, len_r);
	e = errno;
	fputc('\n', stderr);	/* the one the terminal did not echo */
	fflush(stderr);
	errno = e;
	return rc;
}

void
pwread_tty_end(struct pwread_tty *t)
{
	size_t i;

	(void)tcsetattr(t->fd, TCSAFLUSH, &t->saved);
	restore_fd = -1;
	for (i = 0; i < TTY_NSIGNALS; i++)
		sigaction(tty_signals[i], &t->old[i], NULL);
	sigaction(SIGTSTP, &t->old_tstp, NULL);
}
