/* digest_calc.c - digest math from the shell (SPEC section 8).
 *
 *   digest_calc ha1 | response | challenge | verify  [options]
 *
 * main() dispatches to a sub-command; this file also holds the input
 * helpers they share (password from stdin, secret file, entity body).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "calc.h"
#include "log.h"
#include "nonce.h"
#include "secret.h"

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
	    "Passwords are read from standard input, one line, never from the command line.\n"
	    "\nCommands:\n"
	    "  ha1 [-a ALG] USER REALM      print the hex HA1 = H(USER:REALM:password)\n"
	    "  response [-a ALG] --user U --realm R --nonce N --method M --uri URI\n"
	    "           [--qop auth|auth-int --nc NC --cnonce C] [--body-file F] [--ha1 HEX]\n"
	    "                               print the request-digest a client sends\n"
	    "  challenge --realm R [-a ALG]... [--secret-file F] [--proxy] [--stale]\n"
	    "           [--userhash] [--qop LIST] [--opaque O]\n"
	    "                               print WWW-Authenticate (or Proxy-Authenticate) lines\n"
	    "  verify --method M --header 'Authorization: Digest ...'\n"
	    "           [--ha1 HEX | --helper 'COMMAND'] [--secret-file F] [--body-file F]\n"
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

int
calc_read_password(char *buf, size_t cap, size_t *len_r, const char **err_r)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	bool any = false, too_long = false;
	size_t n = 0;
	ssize_t r;
	char c;

	*len_r = 0;
	if (tty) {
		fputs("Password: ", stderr);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	/* One byte at a time: nothing after the line is consumed, and no
	 * stdio buffer keeps a copy of the password. */
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
	*err_r = NULL;
	if (!any)
		*err_r = "no password on standard input (give it as one line)";
	else if (too_long)
		*err_r = "the password line is too long";
	else if (memchr(buf, '\0', n) != NULL)
		*err_r = "the password holds a NUL byte";
	if (*err_r != NULL) {
		secret_wipe(buf, cap);
		return -1;
	}
	*len_r = n;
	return 0;
}

unsigned char *
calc_read_secret(const char *path, size_t *len_r, int code)
{
	unsigned char *buf, *out;
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd;

	*len_r = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		calc_die(code, "cannot open the secret file %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		calc_die(code, "the secret file %s is not a regular file", path);
	}
	buf = xmalloc(NONCE_SECRET_MAX + 3);
	while (n < NONCE_SECRET_MAX + 3) {
		r = read(fd, buf + n, NONCE_SECRET_MAX + 3 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			secret_free(buf, NONCE_SECRET_MAX + 3);
			close(fd);
			calc_die(code, "cannot read the secret file %s: %s", path,
			    strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	/* A secret written with echo or an editor ends with a line end. */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n < NONCE_SECRET_MIN || n > NONCE_SECRET_MAX) {
		secret_free(buf, NONCE_SECRET_MAX + 3);
		calc_die(code, "the secret file %s must hold %d to %d bytes "
		    "(make one with: head -c 32 /dev/urandom | base64 > FILE)",
		    path, NONCE_SECRET_MIN, NONCE_SECRET_MAX);
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
