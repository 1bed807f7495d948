/* passwd_input.c - passwords from the terminal or stdin; user and realm
 * checks; whole-file reads.
 *
 * A password lives in one malloc'd buffer of PW_BUF_SIZE bytes that is
 * wiped before it is freed; it is hashed from its pieces (digest_ha1) and
 * never copied, printed or joined with anything.  It is read with
 * lib/pwread: the terminal with echo off, restored on every exit path,
 * signals included.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "log.h"
#include "passwd.h"
#include "pwread.h"
#include "secret.h"

/* A password of PASSWD_MAX_LEN bytes and pwread_line()'s NUL. */
#define PW_BUF_SIZE (PASSWD_MAX_LEN + 1)

/* How the terminal is read: a CR is kept, as htdigest keeps it, and a NUL
 * byte is judged by passwd_get_ha1() once both lines are in. */
#define TTY_FLAGS (PWREAD_KEEP_CR | PWREAD_KEEP_NUL)

/* Prompt on stderr, read one line from the terminal. */
static int
tty_read(struct pwread_tty *t, const char *prompt, char *buf, size_t *len_r)
{
	switch (pwread_tty_line(t, prompt, buf, PW_BUF_SIZE, TTY_FLAGS,
	    len_r)) {
	case PWREAD_OK:
		return 0;
	case PWREAD_NONE:
		log_error("no password given; nothing changed");
		return -1;
	case PWREAD_LONG:
		log_error("password too long (at most %d bytes); nothing changed",
		    PASSWD_MAX_LEN);
		return -1;
	case PWREAD_NUL:	/* not with PWREAD_KEEP_NUL */
	case PWREAD_ERROR:
		break;
	}
	log_error("cannot read from the terminal: %s", strerror(errno));
	return -1;
}

/* Open the terminal (not stdin: that may be a pipe) and turn its echo
 * off.  Returns its descriptor, or -1 after logging. */
static int
tty_open(struct pwread_tty *t)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		log_error("cannot read a password: no terminal (%s); use -i to read it from standard input",
		    strerror(errno));
		return -1;
	}
	switch (pwread_tty_begin(t, fd)) {
	case PWREAD_TTY_OK:
		return fd;
	case PWREAD_TTY_NONE:
		log_error("cannot read a password from the terminal: %s; use -i to read it from standard input",
		    strerror(errno));
		break;
	case PWREAD_TTY_ECHO:
		log_error("cannot turn off echo on the terminal: %s", strerror(errno));
		pwread_tty_end(t);
		break;
	}
	close(fd);
	return -1;
}

/* Prompt (twice when confirm) with echo off.  pw_r holds the password. */
static int
read_terminal(const char *prompt, bool confirm, char *pw, size_t *n_r)
{
	struct pwread_tty t;
	char *again = NULL;
	size_t n2 = 0;
	int fd, rc;

	if ((fd = tty_open(&t)) < 0)
		return -1;
	rc = tty_read(&t, prompt, pw, n_r);
	if (rc == 0 && confirm) {
		again = xmalloc(PW_BUF_SIZE);
		rc = tty_read(&t, "Re-type new password: ", again, &n2);
		if (rc == 0 && (n2 != *n_r || !secret_equal(pw, again, n2))) {
			log_error("the passwords do not match; nothing changed");
			rc = -1;
		}
		secret_free(again, PW_BUF_SIZE);
	}
	pwread_tty_end(&t);
	close(fd);
	return rc;
}

/* -i: one line of standard input, its LF and a CR before it dropped. */
static int
read_stdin(char *pw, size_t *n_r)
{
	switch (pwread_line(STDIN_FILENO, pw, PW_BUF_SIZE, PWREAD_KEEP_NUL,
	    n_r)) {
	case PWREAD_OK:
		return 0;
	case PWREAD_NONE:
		log_error("no password on standard input (-i expects one line)");
		return -1;
	case PWREAD_LONG:
		log_error("password too long (at most %d bytes)", PASSWD_MAX_LEN);
		return -1;
	case PWREAD_NUL:	/* not with PWREAD_KEEP_NUL */
	case PWREAD_ERROR:
		break;
	}
	log_error("cannot read standard input: %s", strerror(errno));
	return -1;
}

int
passwd_get_password(const struct passwd_req *req, bool confirm, char **pw_r,
    size_t *n_r)
{
	const char *prompt = req->verb == PASSWD_VERIFY ? "Password: " :
	    "New password: ";
	char *pw = xmalloc(PW_BUF_SIZE);
	size_t n = 0;
	int rc;

	if (req->from_stdin)
		rc = read_stdin(pw, &n);
	else
		rc = read_terminal(prompt, confirm, pw, &n);
	if (rc == 0 && memchr(pw, '\0', n) != NULL) {
		log_error("the password contains a NUL byte; refused");
		rc = -1;
	} else if (rc == 0 && n == 0 && req->verb == PASSWD_SET &&
	    !req->allow_empty) {
		log_error("empty password refused (--allow-empty stores one anyway)");
		rc = -1;
	}
	if (rc < 0) {
		secret_free(pw, PW_BUF_SIZE);
		return -1;
	}
	pw[n] = '\0';
	*pw_r = pw;
	*n_r = n;
	return 0;
}

void
passwd_free_password(char *pw)
{
	secret_free(pw, PW_BUF_SIZE);
}

int
passwd_prompt_secret(const char *prompt, char **pw_r)
{
	char *pw = xmalloc(PW_BUF_SIZE);
	size_t n = 0;

	if (read_terminal(prompt, false, pw, &n) < 0 ||
	    memchr(pw, '\0', n) != NULL) {
		secret_free(pw, PW_BUF_SIZE);
		return -1;
	}
	pw[n] = '\0';
	*pw_r = pw;
	return 0;
}

int
passwd_get_ha1(const struct passwd_req *req, bool confirm, char *ha1_r)
{
	char *pw;
	size_t n;
	int rc = 0;

	if (passwd_get_password(req, confirm, &pw, &n) < 0)
		return -1;
	if (digest_ha1(digest_alg_md5(), digest_str_c(req->user), digest_str_c(req->realm),
	    (struct digest_str){ pw, n }, DIGEST_STR(""), DIGEST_STR(""), ha1_r) < 0) {
		log_error("cannot compute MD5 with OpenSSL");
		rc = -1;
	}
	passwd_free_password(pw);
	return rc;
}

int
passwd_verify_ha1(const struct passwd_req *req, const char *want, bool enabled)
{
	char ha1[PASSWD_HA1_SIZE], su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	int rc = PASSWD_EXIT_FAIL;

	passwd_show(req->user, su);
	passwd_show(req->realm, sr);
	if (passwd_get_ha1(req, false, ha1) < 0)
		return PASSWD_EXIT_FAIL;
	if (secret_equal(ha1, want, PASSWD_HA1_SIZE)) {
		log_info("password correct for user %s in realm %s", su, sr);
		rc = PASSWD_EXIT_OK;
	} else {
		log_error("wrong password for user %s in realm %s", su, sr);
		rc = PASSWD_EXIT_MISMATCH;
	}
	if (!enabled)
		log_warn("user %s in realm %s is disabled: logins are refused",
		    su, sr);
	secret_wipe(ha1, sizeof(ha1));
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
