/* passwd_input.c - passwords from the terminal or stdin; user and realm
 * checks; whole-file reads.
 *
 * A password lives in one malloc'd buffer of PASSWD_MAX_LEN bytes that is
 * wiped before it is freed; it is hashed from its pieces (digest_ha1) and
 * never copied, printed or joined with anything.  The terminal is read
 * with echo off and restored on every exit path, signals included.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "digest.h"
#include "log.h"
#include "passwd.h"
#include "secret.h"

enum line_result {
	LINE_OK = 0,
	LINE_EOF = -1,		/* end of input before any byte */
	LINE_ERROR = -2,	/* read error, errno set */
	LINE_TOO_LONG = -3,	/* the rest of the line was consumed */
};

struct tty {
	int fd;
	struct termios saved;
	struct sigaction old[4];
	struct sigaction old_tstp;
};

static const int tty_signals[4] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };

/* For the signal handler: the terminal to restore before dying. */
static volatile sig_atomic_t tty_restore_fd = -1;
static struct termios tty_restore_state;

static void
tty_on_signal(int sig)
{
	if (tty_restore_fd >= 0)
		(void)tcsetattr(tty_restore_fd, TCSAFLUSH, &tty_restore_state);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Read one line from fd into buf (cap bytes), without its LF. */
static enum line_result
read_line(int fd, char *buf, size_t cap, size_t *len_r)
{
	size_t n = 0;
	bool too_long = false, any = false;
	char c;

	*len_r = 0;
	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return LINE_ERROR;
		}
		if (r == 0) {
			if (!any)
				return LINE_EOF;
			break;
		}
		any = true;
		if (c == '\n')
			break;
		if (n == cap)
			too_long = true;
		else
			buf[n++] = c;
	}
	c = '\0';
	if (too_long) {
		secret_wipe(buf, cap);
		return LINE_TOO_LONG;
	}
	*len_r = n;
	return LINE_OK;
}

static int
tty_open(struct tty *t)
{
	struct termios quiet;
	struct sigaction sa;
	size_t i;

	t->fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->fd < 0) {
		log_error("cannot read a password: no terminal (%s); use -i to read it from standard input",
		    strerror(errno));
		return -1;
	}
	if (tcgetattr(t->fd, &t->saved) < 0) {
		log_error("cannot read a password from the terminal: %s; use -i to read it from standard input",
		    strerror(errno));
		close(t->fd);
		return -1;
	}
	tty_restore_state = t->saved;
	tty_restore_fd = t->fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(tty_signals) / sizeof(tty_signals[0]); i++)
		sigaction(tty_signals[i], &sa, &t->old[i]);
	/* stopped with echo off, the shell would get a mute terminal */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGTSTP, &sa, &t->old_tstp);

	quiet = t->saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	if (tcsetattr(t->fd, TCSAFLUSH, &quiet) < 0) {
		log_error("cannot turn off echo on the terminal: %s", strerror(errno));
		return -1;	/* the caller closes */
	}
	return 0;
}

static void
tty_close(struct tty *t)
{
	size_t i;

	(void)tcsetattr(t->fd, TCSAFLUSH, &t->saved);
	tty_restore_fd = -1;
	for (i = 0; i < sizeof(tty_signals) / sizeof(tty_signals[0]); i++)
		sigaction(tty_signals[i], &t->old[i], NULL);
	sigaction(SIGTSTP, &t->old_tstp, NULL);
	close(t->fd);
}

/* Prompt on stderr, read one line from the terminal. */
static int
tty_read(struct tty *t, const char *prompt, char *buf, size_t *len_r)
{
	enum line_result r;

	fputs(prompt, stderr);
	fflush(stderr);
	r = read_line(t->fd, buf, PASSWD_MAX_LEN, len_r);
	fputc('\n', stderr);	/* the one the terminal did not echo */
	fflush(stderr);
	switch (r) {
	case LINE_OK:
		return 0;
	case LINE_EOF:
		log_error("no password given; nothing changed");
		return -1;
	case LINE_TOO_LONG:
		log_error("password too long (at most %d bytes); nothing changed",
		    PASSWD_MAX_LEN);
		return -1;
	default:
		log_error("cannot read from the terminal: %s", strerror(errno));
		return -1;
	}
}

/* Prompt (twice when confirm) with echo off.  pw_r holds the password. */
static int
read_terminal(const char *prompt, bool confirm, char *pw, size_t *n_r)
{
	struct tty t;
	char *again = NULL;
	size_t n2 = 0;
	int rc;

	if (tty_open(&t) < 0) {
		if (tty_restore_fd >= 0)
			tty_close(&t);
		return -1;
	}
	rc = tty_read(&t, prompt, pw, n_r);
	if (rc == 0 && confirm) {
		again = xmalloc(PASSWD_MAX_LEN);
		rc = tty_read(&t, "Re-type new password: ", again, &n2);
		if (rc == 0 && (n2 != *n_r || !secret_equal(pw, again, n2))) {
			log_error("the passwords do not match; nothing changed");
			rc = -1;
		}
		secret_free(again, PASSWD_MAX_LEN);
	}
	tty_close(&t);
	return rc;
}

static int
read_stdin(char *pw, size_t *n_r)
{
	switch (read_line(STDIN_FILENO, pw, PASSWD_MAX_LEN, n_r)) {
	case LINE_OK:
		if (*n_r > 0 && pw[*n_r - 1] == '\r')
			(*n_r)--;
		return 0;
	case LINE_EOF:
		log_error("no password on standard input (-i expects one line)");
		return -1;
	case LINE_TOO_LONG:
		log_error("password too long (at most %d bytes)", PASSWD_MAX_LEN);
		return -1;
	default:
		log_error("cannot read standard input: %s", strerror(errno));
		return -1;
	}
}

int
passwd_get_ha1(const struct passwd_req *req, bool confirm, char *ha1_r)
{
	const char *prompt = req->verb == PASSWD_VERIFY ? "Password: " :
	    "New password: ";
	char *pw = xmalloc(PASSWD_MAX_LEN);
	size_t n = 0;
	int rc = -1;

	if (req->from_stdin)
		rc = read_stdin(pw, &n);
	else
		rc = read_terminal(prompt, confirm, pw, &n);
	if (rc < 0)
		goto out;
	rc = -1;
	if (memchr(pw, '\0', n) != NULL) {
		log_error("the password contains a NUL byte; refused");
		goto out;
	}
	if (n == 0 && req->verb == PASSWD_SET && !req->allow_empty) {
		log_error("empty password refused (--allow-empty stores one anyway)");
		goto out;
	}
	if (digest_ha1(digest_alg_md5(), dstr_c(req->user), dstr_c(req->realm),
	    (struct dstr){ pw, n }, DSTR(""), DSTR(""), ha1_r) < 0) {
		log_error("cannot compute MD5 with OpenSSL");
		goto out;
	}
	rc = 0;
out:
	secret_free(pw, PASSWD_MAX_LEN);
	return rc;
}

const char *
passwd_name_problem(const char *s, size_t n, bool is_user)
{
	if (n == 0)
		return "must not be empty";
	if (n > PASSWD_NAME_MAX)
		return "must not be longer than " PASSWD_NAME_MAX_S " bytes";
	if (memchr(s, ':', n) != NULL)
		return "must not contain ':'";
	if (memchr(s, '\n', n) != NULL || memchr(s, '\r', n) != NULL)
		return "must not contain a line break";
	if (memchr(s, '\0', n) != NULL)
		return "must not contain a NUL byte";
	if (is_user && (s[0] == '#' || s[0] == ' ' || s[0] == '\t'))
		return "must not start with '#', a space or a tab (readers skip such lines)";
	return NULL;
}

int
passwd_check_names(const char *user, const char *realm)
{
	const char *why;

	if ((why = passwd_name_problem(user, strlen(user), true)) != NULL) {
		log_error("invalid user name: it %s; nothing changed", why);
		return -1;
	}
	if ((why = passwd_name_problem(realm, strlen(realm), false)) != NULL) {
		log_error("invalid realm: it %s; nothing changed", why);
		return -1;
	}
	return 0;
}

void
passwd_print_name(FILE *fp, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else
			putc(c, fp);
	}
}

const char *
passwd_show(const char *s, char *buf)
{
	return log_sanitize(s, strlen(s), buf, PASSWD_SHOW_SIZE);
}
