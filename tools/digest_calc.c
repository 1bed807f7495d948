/* digest_calc.c - digest math from the shell (digest_calc(1)).
 *
 *   digest_calc ha1 | response | challenge | verify  [options]
 *
 * main() dispatches to a sub-command; this file also holds what every
 * sub-command uses to parse its options and to exit.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calc.h"
#include "fdio.h"
#include "log.h"
#include "secret.h"

/* The most wipes registered at once: the stored HA1 and verify's parsed
 * header use two. */
#define CALC_WIPES_MAX 4

/* What calc_exit() wipes (calc_wipe_at_exit()); an empty slot has no wipe. */
static struct {
	void (*wipe)(void *);
	void *arg;
} wipes[CALC_WIPES_MAX];

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

int
main(int argc, char **argv)
{
	size_t i;

	secret_no_core();
	fd_sanitise_std();
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
		if (strcmp(argv[1], commands[i].name) == 0)
			calc_exit(commands[i].run(argc - 1, argv + 1));
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
	calc_exit(code);
}

void
calc_exit(int code)
{
	size_t i;

	/* Each slot is emptied first: a wipe may cancel itself, as
	 * calc_ha1_clear() does. */
	for (i = CALC_WIPES_MAX; i-- > 0;) {
		void (*wipe)(void *) = wipes[i].wipe;

		wipes[i].wipe = NULL;
		if (wipe != NULL)
			wipe(wipes[i].arg);
	}
	digest_cleanup();
	exit(code);
}

void
calc_wipe_at_exit(void (*wipe)(void *), void *arg)
{
	size_t i;

	for (i = 0; i < CALC_WIPES_MAX; i++)
		if (wipes[i].wipe == NULL) {
			wipes[i].wipe = wipe;
			wipes[i].arg = arg;
			return;
		}
	abort();	/* more than CALC_WIPES_MAX: a bug, not an input */
}

void
calc_wipe_cancel(void *arg)
{
	size_t i;

	for (i = 0; i < CALC_WIPES_MAX; i++)
		if (wipes[i].arg == arg)
			wipes[i].wipe = NULL;
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

/* --- options ------------------------------------------------------------- */

/* Report what getopt_long() refused and exit with code. */
static void __attribute__((noreturn))
bad_option(const char *cmd, int opt, char **argv, int code)
{
	if (opt == ':') {
		if (optopt > 0 && optopt < 0x100)
			calc_die(code, "option -%c needs a value (see digest_calc %s --help)",
			    optopt, cmd);
		calc_die(code, "option %s needs a value (see digest_calc %s --help)",
		    argv[optind - 1], cmd);
	}
	if (optopt > 0 && optopt < 0x100)
		calc_die(code, "unknown option -%c (see digest_calc %s --help)",
		    optopt, cmd);
	calc_die(code, "unknown option %s (see digest_calc %s --help)",
	    argv[optind - 1], cmd);
}

int
calc_options(const struct calc_cmd *cmd, int argc, char **argv,
    void (*take)(void *ctx, int opt, char *arg), void *ctx)
{
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, cmd->shortopts, cmd->longopts,
	    NULL)) != -1) {
		if (opt == 'h') {
			cmd->usage();
			calc_exit(0);
		}
		if (opt == '?' || opt == ':')
			bad_option(cmd->name, opt, argv, cmd->code);
		take(ctx, opt, optarg);
	}
	if (!cmd->operands && optind < argc)
		calc_die(cmd->code, "unexpected argument \"%s\" (see digest_calc "
		    "%s --help)", argv[optind], cmd->name);
	return optind;
}
