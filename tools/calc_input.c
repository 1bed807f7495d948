/* calc_input.c - the inputs the digest_calc sub-commands share: the
 * password and a stored HA1 from standard input, --ha1 and --ha1-file, the
 * server secret file and the entity body.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calc.h"
#include "log.h"
#include "nonce.h"
#include "pwread.h"
#include "safefile.h"
#include "secret.h"

/* Why there is no password, by what read_stdin_line() found.  A read
 * error gets the message of an input without a line. */
static const char *const password_errs[] = {
	[PWREAD_NONE] = "no password on standard input (give it as one line)",
	[PWREAD_LONG] = "the password line is too long",
	[PWREAD_NUL] = "the password holds a NUL byte",
	[PWREAD_ERROR] = "no password on standard input (give it as one line)",
};

/* n, less one for a CR that ends the n bytes at p. */
static size_t
without_cr(const char *p, size_t n)
{
	return n > 0 && p[n - 1] == '\r' ? n - 1 : n;
}

/* Read one line from standard input into buf (cap bytes, NUL-terminated;
 * the LF and a CR before it are dropped) with pwread_line().  When it is a
 * terminal: prompted with prompt on stderr, not echoed, and the terminal
 * restored even when a signal ends digest_calc meanwhile.  *len_r is 0,
 * and buf wiped, unless PWREAD_OK. */
static enum pwread_result
read_stdin_line(char *buf, size_t cap, const char *prompt, size_t *len_r)
{
	struct pwread_tty t;
	enum pwread_result rc;

	if (pwread_tty_begin(&t, STDIN_FILENO) == PWREAD_TTY_NONE)
		return pwread_line(STDIN_FILENO, buf, cap, 0, len_r);
	/* PWREAD_TTY_ECHO too: when echo cannot be turned off the line is
	 * read all the same (digest_calc always did), then restored */
	rc = pwread_tty_line(&t, prompt, buf, cap, 0, len_r);
	pwread_tty_end(&t);
	return rc;
}

void
calc_ha1_from_password(const struct digest_alg *alg, struct digest_str user,
    struct digest_str realm, char *hex_r, int code)
{
	char *pw = xmalloc(CALC_PASSWORD_MAX + 1);
	struct digest_str parts[3];
	enum pwread_result line;
	size_t n;
	int rc;

	line = read_stdin_line(pw, CALC_PASSWORD_MAX + 1, "Password: ", &n);
	if (line != PWREAD_OK) {
		secret_free(pw, CALC_PASSWORD_MAX + 1);
		calc_die(code, "%s", password_errs[line]);
	}
	parts[0] = user;
	parts[1] = realm;
	parts[2] = (struct digest_str){ pw, n };
	rc = digest_hash_parts(alg, parts, 3, hex_r);
	secret_free(pw, CALC_PASSWORD_MAX + 1);
	if (rc < 0)
		calc_die(code, "hashing failed (OpenSSL)");
}

/* The message for a file that safe_read_small() could not read: err
 * names the file, what says which of the files it is. */
static void
unreadable_msg(char *msg, size_t msglen, const char *what, const char *err)
{
	snprintf(msg, msglen, "the %s: %s", what, err);
}

/* --- the stored HA1: --ha1 and --ha1-file ------------------------------ */

static void
ha1_wipe(void *h)
{
	calc_ha1_clear(h);
}

void
calc_ha1_init(struct calc_ha1 *h)
{
	memset(h, 0, sizeof(*h));
	calc_wipe_at_exit(ha1_wipe, h);
}

void
calc_ha1_take_arg(struct calc_ha1 *h, char *arg)
{
	size_t n = strlen(arg);
	bool again = h->arg != NULL;

	if (again)
		secret_free(h->arg, strlen(h->arg));
	h->arg = xmemdup0(arg, n);
	/* hide it from ps (/proc/PID/cmdline) at once */
	secret_wipe(arg, n);
	if (!again)
		log_warn("--ha1 shows the HA1 to every user of ps; use --ha1-file FILE");
}

bool
calc_ha1_given(const struct calc_ha1 *h)
{
	return h->arg != NULL || h->file != NULL;
}

void
calc_ha1_one_source(const struct calc_ha1 *h, int code)
{
	if (h->arg != NULL && h->file != NULL)
		calc_die(code, "--ha1 and --ha1-file exclude each other");
}

/* --ha1-file -: one line of standard input into buf (CALC_HA1_FILE_MAX
 * bytes).  Returns its length, or -1 with a message in msg. */
static ssize_t
ha1_stdin_line(char *buf, char *msg, size_t msglen)
{
	size_t n;

	switch (read_stdin_line(buf, CALC_HA1_FILE_MAX, "HA1: ", &n)) {
	case PWREAD_OK:
		return (ssize_t)n;
	case PWREAD_NONE:
	case PWREAD_ERROR:	/* as in password_errs */
		snprintf(msg, msglen, "--ha1-file -: no HA1 on standard "
		    "input (give it as one line)");
		return -1;
	case PWREAD_LONG:
		snprintf(msg, msglen, "--ha1-file -: the line on standard "
		    "input is too long for an HA1");
		return -1;
	case PWREAD_NUL:
		break;
	}
	return 0;	/* not hex: the caller says so */
}

/* --ha1-file F: the first line of F, or of standard input when F is "-",
 * without its line end, into buf (CALC_HA1_FILE_MAX bytes).  Returns its
 * length, or -1 with a message in msg. */
static ssize_t
ha1_file_line(const char *file, char *buf, char *msg, size_t msglen)
{
	char err[512], *lf;
	size_t n;
	ssize_t r;

	if (strcmp(file, "-") == 0)
		return ha1_stdin_line(buf, msg, msglen);
	r = safe_read_small(file, buf, CALC_HA1_FILE_MAX, err, sizeof(err));
	if (r < 0) {
		unreadable_msg(msg, msglen, "HA1 file", err);
		return -1;
	}
	n = (size_t)r;
	lf = memchr(buf, '\n', n);
	if (lf != NULL)
		n = (size_t)(lf - buf);
	return (ssize_t)without_cr(buf, n);
}

int
calc_ha1_load(struct calc_ha1 *h, const struct digest_alg *alg, char *msg,
    size_t msglen)
{
	char *buf;
	ssize_t n;
	bool ok;

	if (h->arg != NULL) {
		if (!digest_is_hex(alg, h->arg, strlen(h->arg))) {
			snprintf(msg, msglen, "--ha1 needs %zu hex digits for %s",
			    2 * alg->len, alg->name);
			return -1;
		}
		digest_hex_lower(h->arg, strlen(h->arg), h->hex);
		return 0;
	}
	if (h->file == NULL) {
		snprintf(msg, msglen, "no HA1 given (--ha1-file or --ha1)");
		return -1;
	}
	buf = xmalloc(CALC_HA1_FILE_MAX);
	n = ha1_file_line(h->file, buf, msg, msglen);
	ok = n >= 0 && digest_is_hex(alg, buf, (size_t)n);
	if (ok)
		digest_hex_lower(buf, (size_t)n, h->hex);
	secret_free(buf, CALC_HA1_FILE_MAX);
	if (n >= 0 && !ok)
		snprintf(msg, msglen, "--ha1-file %s: %s is not %zu hex digits "
		    "(an HA1 for %s)", h->file, strcmp(h->file, "-") == 0 ?
		    "the line on standard input" : "its first line",
		    2 * alg->len, alg->name);
	return ok ? 0 : -1;
}

void
calc_ha1_clear(struct calc_ha1 *h)
{
	if (h->arg != NULL)
		secret_free(h->arg, strlen(h->arg));
	h->arg = NULL;
	secret_wipe(h->hex, sizeof(h->hex));
	calc_wipe_cancel(h);
}

/* --- the server secret and the entity body ------------------------------ */

static void __attribute__((noreturn))
die_secret_size(int code, const char *path)
{
	calc_die(code, "the secret file %s must hold %d to %d bytes "
	    "(make one with: head -c 32 /dev/urandom | base64 > FILE)",
	    path, DIGEST_NONCE_SECRET_MIN, DIGEST_NONCE_SECRET_MAX);
}

unsigned char *
calc_read_secret(const char *path, size_t *len_r, int code)
{
	unsigned char *out;
	char err[512], msg[1024], *buf;
	size_t n;
	ssize_t r;
	int e;

	*len_r = 0;
	/* No FIFO to block on, no link planted in /tmp followed. */
	buf = xmalloc(DIGEST_NONCE_SECRET_MAX + 3);
	r = safe_read_small(path, buf, DIGEST_NONCE_SECRET_MAX + 3, err, sizeof(err));
	if (r < 0) {
		e = errno;
		secret_free(buf, DIGEST_NONCE_SECRET_MAX + 3);
		if (e == EFBIG)
			die_secret_size(code, path);
		unreadable_msg(msg, sizeof(msg), "secret file", err);
		calc_die(code, "%s", msg);
	}
	n = (size_t)r;
	/* A secret written with echo or an editor ends with a line end. */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	n = without_cr(buf, n);
	if (n < DIGEST_NONCE_SECRET_MIN || n > DIGEST_NONCE_SECRET_MAX) {
		secret_free(buf, DIGEST_NONCE_SECRET_MAX + 3);
		die_secret_size(code, path);
	}
	/* Hand back an allocation of exactly n bytes, so that the caller's
	 * secret_free(p, n) wipes all of it. */
	out = xmalloc(n);
	memcpy(out, buf, n);
	secret_free(buf, DIGEST_NONCE_SECRET_MAX + 3);
	*len_r = n;
	return out;
}

void
calc_hash_body(const struct digest_alg *alg, const char *path, char *hex_r,
    int code)
{
	struct digest_str empty = { "", 0 };
	const char *err;
	int fd;

	if (path == NULL) {
		if (digest_hash_parts(alg, &empty, 1, hex_r) < 0)
			calc_die(code, "hashing failed (OpenSSL)");
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		calc_die(code, "cannot open the body file %s: %s", path,
		    strerror(errno));
	if (digest_hash_fd(alg, fd, hex_r, &err) < 0) {
		close(fd);
		calc_die(code, "cannot hash the body file %s: %s", path, err);
	}
	close(fd);
}
