/* digest_calc.c - digest math from the shell (SPEC section 8).
 *
 *   digest_calc ha1 | response | challenge | verify  [options]
 *
 * main() dispatches to a sub-command; this file also holds the input
 * helpers they share (password from stdin, stored HA1, secret file,
 * entity body).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "calc.h"
#include "log.h"
#include "nonce.h"
#include "safefile.h"
#include "secret.h"

/* The HA1 of the running command, wiped by calc_die() (calc_ha1_init). */
static struct calc_ha1 *ha1_live;

static const struct {
	const char *name;
	int (*run)(int, char **);
} commands[] = {
	{ "ha1", calc_cmd_ha1 },
	{ "response", calc_cmd_response },
	{ "challenge", calc_cmd_challenge },
	{ "verify", calc_cmd_verify },
};

static void
usage(void)
{
	printf("Usage: digest_calc COMMAND [options]\n"
	    "HTTP Digest authentication (RFC 2617, RFC 7616) from the shell.\n"
	    "Passwords are read from standard input, one line, never from the command line;\n"
	    "a stored HA1 is best read from a file (--ha1-file F, or - for standard input).\n"
	    "\nCommands:\n"
	    "  ha1 [-a ALG] USER REALM      print the hex HA1 = H(USER:REALM:password)\n"
	    "  response [-a ALG] --user U --realm R --nonce N --method M --uri URI\n"
	    "           [--qop auth|auth-int --nc NC --cnonce C] [--body-file F]\n"
	    "           [--ha1 HEX | --ha1-file F]\n"
	    "                               print the request-digest a client sends\n"
	    "  challenge --realm R [-a ALG]... [--secret-file F] [--proxy] [--stale]\n"
	    "           [--userhash] [--qop LIST] [--opaque O]\n"
	    "                               print WWW-Authenticate (or Proxy-Authenticate) lines\n"
	    "  verify --method M --header 'Authorization: Digest ...'\n"
	    "           [--ha1 HEX | --ha1-file F | --helper 'COMMAND'] [--secret-file F]\n"
	    "           [--body-file F]\n"
	    "                               check a captured header; one line says why,\n"
	    "                               exit 0 match, 1 mismatch, 2 usage or parse error\n"
	    "\nALG: MD5 (default), MD5-sess, SHA-256, SHA-256-sess, SHA-512-256, SHA-512-256-sess.\n"
	    "'digest_calc COMMAND --help' describes each command.\n"
	    "\nOptions:\n"
	    "  -h, --help     print this help and exit\n"
	    "  -V, --version  print the version and exit\n"
	    "\nSee the digest_calc(1) manual page.\n");
}

/* File descriptors 0-2 must be open, so that nothing opened later becomes
 * stdout by accident. */
static void
sanitise_stdfds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

int
main(int argc, char **argv)
{
	size_t i;
	int rc;

	secret_no_core();
	sanitise_stdfds();
	log_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		calc_die(CALC_EXIT_FAIL, "no command given (see --help)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage();
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("digest_calc (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			rc = commands[i].run(argc - 1, argv + 1);
			digest_cleanup();
			return rc;
		}
	if (argv[1][0] == '-')
		calc_die(CALC_EXIT_FAIL, "unknown option %s (see --help)", argv[1]);
	calc_die(CALC_EXIT_FAIL, "unknown command \"%s\": ha1, response, "
	    "challenge or verify (see --help)", argv[1]);
}

void
calc_die(int code, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", log_progname(), line);
	if (ha1_live != NULL)
		calc_ha1_clear(ha1_live);
	digest_cleanup();
	exit(code);
}

const struct digest_alg *
calc_alg(const char *name, int code)
{
	const struct digest_alg *alg = digest_alg_find(name, strlen(name));
	char safe[64];
	const char *err;

	if (alg == NULL)
		calc_die(code, "unknown algorithm \"%s\": MD5, MD5-sess, SHA-256, "
		    "SHA-256-sess, SHA-512-256 or SHA-512-256-sess",
		    log_sanitize(name, strlen(name), safe, sizeof(safe)));
	if (digest_check(alg, &err) < 0)
		calc_die(code, "%s: %s", alg->name, err);
	return alg;
}

long long
calc_parse_uint(const char *s, long long max)
{
	long long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/* What read_stdin_line() found. */
enum stdin_line { LINE_OK, LINE_NONE, LINE_LONG, LINE_NUL };

/* Read one line from standard input into buf (cap bytes, NUL-terminated;
 * the LF and a CR before it are dropped), prompting with prompt and not
 * echoing on a terminal.  buf is wiped unless LINE_OK. */
static enum stdin_line
read_stdin_line(char *buf, size_t cap, const char *prompt, size_t *len_r)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	bool any = false, too_long = false;
	enum stdin_line rc = LINE_OK;
	size_t n = 0;
	ssize_t r;
	char c;

	*len_r = 0;
	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	/* One byte at a time: nothing after the line is consumed, and no
	 * stdio buffer keeps a copy of the secret. */
	for (;;) {
		r = read(STDIN_FILENO, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		any = true;
		if (c == '\n')
			break;
		if (n + 1 >= cap)
			too_long = true;
		else
			buf[n++] = c;
	}
	c = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (!any)
		rc = LINE_NONE;
	else if (too_long)
		rc = LINE_LONG;
	else if (memchr(buf, '\0', n) != NULL)
		rc = LINE_NUL;
	if (rc != LINE_OK) {
		secret_wipe(buf, cap);
		return rc;
	}
	*len_r = n;
	return LINE_OK;
}

int
calc_read_password(char *buf, size_t cap, size_t *len_r, const char **err_r)
{
	switch (read_stdin_line(buf, cap, "Password: ", len_r)) {
	case LINE_OK:
		*err_r = NULL;
		return 0;
	case LINE_NONE:
		*err_r = "no password on standard input (give it as one line)";
		break;
	case LINE_LONG:
		*err_r = "the password line is too long";
		break;
	case LINE_NUL:
		*err_r = "the password holds a NUL byte";
		break;
	}
	return -1;
}

/* The message for a file that safe_read_small() could not read: err
 * names the file, what says which of the files it is. */
static void
unreadable_msg(char *msg, size_t msglen, const char *what, const char *err)
{
	snprintf(msg, msglen, "the %s: %s", what, err);
}

/* --- the stored HA1: --ha1 and --ha1-file ------------------------------ */

void
calc_ha1_init(struct calc_ha1 *h)
{
	memset(h, 0, sizeof(*h));
	ha1_live = h;
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

int
calc_ha1_load(struct calc_ha1 *h, const struct digest_alg *alg, char *msg,
    size_t msglen)
{
	bool from_stdin, ok;
	char err[512], *buf, *lf;
	size_t n = 0;
	ssize_t r;

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
	from_stdin = strcmp(h->file, "-") == 0;
	buf = xmalloc(CALC_HA1_FILE_MAX);
	if (from_stdin) {
		switch (read_stdin_line(buf, CALC_HA1_FILE_MAX, "HA1: ", &n)) {
		case LINE_OK:
			break;
		case LINE_NONE:
			free(buf);	/* wiped */
			snprintf(msg, msglen, "--ha1-file -: no HA1 on standard "
			    "input (give it as one line)");
			return -1;
		case LINE_LONG:
			free(buf);
			snprintf(msg, msglen, "--ha1-file -: the line on standard "
			    "input is too long for an HA1");
			return -1;
		case LINE_NUL:
			n = 0;		/* not hex: said below */
			break;
		}
	} else {
		r = safe_read_small(h->file, buf, CALC_HA1_FILE_MAX, err,
		    sizeof(err));
		if (r < 0) {
			free(buf);	/* wiped by safe_read_small() */
			unreadable_msg(msg, msglen, "HA1 file", err);
			return -1;
		}
		/* the first line, without its line end */
		n = (size_t)r;
		lf = memchr(buf, '\n', n);
		if (lf != NULL)
			n = (size_t)(lf - buf);
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	ok = digest_is_hex(alg, buf, n);
	if (ok)
		digest_hex_lower(buf, n, h->hex);
	secret_free(buf, CALC_HA1_FILE_MAX);
	if (!ok) {
		snprintf(msg, msglen, "--ha1-file %s: %s is not %zu hex digits "
		    "(an HA1 for %s)", h->file, from_stdin ?
		    "the line on standard input" : "its first line",
		    2 * alg->len, alg->name);
		return -1;
	}
	return 0;
}

void
calc_ha1_clear(struct calc_ha1 *h)
{
	if (h->arg != NULL)
		secret_free(h->arg, strlen(h->arg));
	h->arg = NULL;
	secret_wipe(h->hex, sizeof(h->hex));
	if (ha1_live == h)
		ha1_live = NULL;
}

static void __attribute__((noreturn))
die_secret_size(int code, const char *path)
{
	calc_die(code, "the secret file %s must hold %d to %d bytes "
	    "(make one with: head -c 32 /dev/urandom | base64 > FILE)",
	    path, NONCE_SECRET_MIN, NONCE_SECRET_MAX);
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
	buf = xmalloc(NONCE_SECRET_MAX + 3);
	r = safe_read_small(path, buf, NONCE_SECRET_MAX + 3, err, sizeof(err));
	if (r < 0) {
		e = errno;
		free(buf);	/* wiped by safe_read_small() */
		if (e == EFBIG)
			die_secret_size(code, path);
		unreadable_msg(msg, sizeof(msg), "secret file", err);
		calc_die(code, "%s", msg);
	}
	n = (size_t)r;
	/* A secret written with echo or an editor ends with a line end. */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n < NONCE_SECRET_MIN || n > NONCE_SECRET_MAX) {
		secret_free(buf, NONCE_SECRET_MAX + 3);
		die_secret_size(code, path);
	}
	/* Hand back an allocation of exactly n bytes, so that the caller's
	 * secret_free(p, n) wipes all of it. */
	out = xmalloc(n);
	memcpy(out, buf, n);
	secret_free(buf, NONCE_SECRET_MAX + 3);
	*len_r = n;
	return out;
}

void
calc_hash_body(const struct digest_alg *alg, const char *path, char *hex_r,
    int code)
{
	struct dstr empty = { "", 0 };
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
