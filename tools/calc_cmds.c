/* calc_cmds.c - digest_calc ha1, response and challenge. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "authz.h"
#include "calc.h"
#include "log.h"
#include "nonce.h"
#include "secret.h"

/* Most -a options a challenge takes: every algorithm, and then some. */
#define CHALLENGE_MAX_ALGS 16

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

/* The stored HA1 H(user ":" realm ":" password) with the password read
 * from standard input; exits with code on failure. */
static void
ha1_from_stdin(const struct digest_alg *alg, struct dstr user,
    struct dstr realm, char *hex_r, int code)
{
	char *pw = xmalloc(CALC_PASSWORD_MAX + 1);
	struct dstr parts[3];
	const char *err;
	size_t n;
	int rc;

	if (calc_read_password(pw, CALC_PASSWORD_MAX + 1, &n, &err) < 0) {
		secret_free(pw, CALC_PASSWORD_MAX + 1);
		calc_die(code, "%s", err);
	}
	parts[0] = user;
	parts[1] = realm;
	parts[2] = (struct dstr){ pw, n };
	rc = digest_hash_parts(alg, parts, 3, hex_r);
	secret_free(pw, CALC_PASSWORD_MAX + 1);
	if (rc < 0)
		calc_die(code, "hashing failed (OpenSSL)");
}

/* --- ha1 -------------------------------------------------------------- */

static void
ha1_usage(void)
{
	printf("Usage: digest_calc ha1 [-a ALG] USER REALM\n"
	    "Reads the password from standard input (one line) and prints the hex\n"
	    "HA1 = H(USER:REALM:password), the value a password store holds.  For a\n"
	    "-sess algorithm it is the same value with that algorithm's hash: the\n"
	    "session HA1 depends on each request's nonce and cnonce.\n"
	    "\nOptions:\n"
	    "  -a, --algorithm ALG  MD5 (default), MD5-sess, SHA-256, SHA-256-sess,\n"
	    "                       SHA-512-256 or SHA-512-256-sess\n"
	    "  -h, --help           print this help and exit\n");
}

int
calc_cmd_ha1(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "algorithm", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct digest_alg *alg = NULL;
	char hex[DIGEST_HEX_MAX + 1];
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":a:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			alg = calc_alg(optarg, CALC_EXIT_FAIL);
			break;
		case 'h':
			ha1_usage();
			return 0;
		default:
			bad_option("ha1", opt, argv, CALC_EXIT_FAIL);
		}
	}
	if (argc - optind != 2)
		calc_die(CALC_EXIT_FAIL, "ha1 needs USER and REALM (see digest_calc ha1 --help)");
	if (alg == NULL)
		alg = calc_alg("MD5", CALC_EXIT_FAIL);
	ha1_from_stdin(alg, dstr_c(argv[optind]), dstr_c(argv[optind + 1]),
	    hex, CALC_EXIT_FAIL);
	/* The one place an HA1 is printed: the user asked for exactly this. */
	printf("%s\n", hex);
	secret_wipe(hex, sizeof(hex));
	return 0;
}

/* --- response ----------------------------------------------------------- */

static void
response_usage(void)
{
	printf("Usage: digest_calc response [-a ALG] --user U --realm R --nonce N\n"
	    "           --method M --uri URI [--qop auth|auth-int --nc NC --cnonce C]\n"
	    "           [--body-file F] [--ha1 HEX | --ha1-file F]\n"
	    "Prints the request-digest (the response parameter) a client sends.  The\n"
	    "password is read from standard input (one line) unless --ha1-file or --ha1\n"
	    "gives the stored HA1 = H(U:R:password) in hex.\n"
	    "\nOptions:\n"
	    "  -a, --algorithm ALG  MD5 (default), MD5-sess, SHA-256, SHA-256-sess,\n"
	    "                       SHA-512-256 or SHA-512-256-sess; -sess needs --qop\n"
	    "  --user U, --realm R, --nonce N, --method M, --uri URI   as in the request\n"
	    "  --qop auth|auth-int  with --nc (8 hex digits) and --cnonce\n"
	    "  --body-file F        the entity body for auth-int (default: empty)\n"
	    "  --ha1-file F         the stored HA1 instead of a password: the first line\n"
	    "                       of F, or one line of standard input when F is -\n"
	    "  --ha1 HEX            the same on the command line, where ps shows it\n"
	    "                       until it is wiped (a warning says so)\n"
	    "  -h, --help           print this help and exit\n");
}

enum {
	OPT_USER = 0x100, OPT_REALM, OPT_NONCE, OPT_METHOD, OPT_URI, OPT_QOP,
	OPT_NC, OPT_CNONCE, OPT_BODY, OPT_HA1, OPT_SECRET, OPT_PROXY,
	OPT_STALE, OPT_USERHASH, OPT_OPAQUE, OPT_HA1_FILE,
};

static bool
is_nc(const char *s)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return s[8] == '\0';
}

int
calc_cmd_response(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "algorithm", required_argument, NULL, 'a' },
		{ "user", required_argument, NULL, OPT_USER },
		{ "realm", required_argument, NULL, OPT_REALM },
		{ "nonce", required_argument, NULL, OPT_NONCE },
		{ "method", required_argument, NULL, OPT_METHOD },
		{ "uri", required_argument, NULL, OPT_URI },
		{ "qop", required_argument, NULL, OPT_QOP },
		{ "nc", required_argument, NULL, OPT_NC },
		{ "cnonce", required_argument, NULL, OPT_CNONCE },
		{ "body-file", required_argument, NULL, OPT_BODY },
		{ "ha1", required_argument, NULL, OPT_HA1 },
		{ "ha1-file", required_argument, NULL, OPT_HA1_FILE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *user = NULL, *realm = NULL, *method = NULL, *body = NULL;
	char hentity[DIGEST_HEX_MAX + 1], resp[DIGEST_HEX_MAX + 1], msg[1024];
	struct calc_ha1 ha1;
	struct authz a;
	int opt, rc;

	memset(&a, 0, sizeof(a));
	calc_ha1_init(&ha1);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":a:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			a.alg = calc_alg(optarg, CALC_EXIT_FAIL);
			break;
		case OPT_USER:
			user = optarg;
			break;
		case OPT_REALM:
			realm = optarg;
			break;
		case OPT_NONCE:
			a.nonce = dstr_c(optarg);
			break;
		case OPT_METHOD:
			method = optarg;
			break;
		case OPT_URI:
			a.uri = dstr_c(optarg);
			break;
		case OPT_QOP:
			if (strcmp(optarg, "auth") == 0)
				a.qop_type = AUTHZ_QOP_AUTH;
			else if (strcmp(optarg, "auth-int") == 0)
				a.qop_type = AUTHZ_QOP_AUTH_INT;
			else
				calc_die(CALC_EXIT_FAIL, "--qop is auth or auth-int");
			a.qop = dstr_c(optarg);
			break;
		case OPT_NC:
			if (!is_nc(optarg))
				calc_die(CALC_EXIT_FAIL, "--nc needs 8 hex digits, as 00000001");
			a.nc = dstr_c(optarg);
			break;
		case OPT_CNONCE:
			a.cnonce = dstr_c(optarg);
			break;
		case OPT_BODY:
			body = optarg;
			break;
		case OPT_HA1:
			calc_ha1_take_arg(&ha1, optarg);
			break;
		case OPT_HA1_FILE:
			ha1.file = optarg;
			break;
		case 'h':
			calc_ha1_clear(&ha1);
			response_usage();
			return 0;
		default:
			bad_option("response", opt, argv, CALC_EXIT_FAIL);
		}
	}
	if (optind < argc)
		calc_die(CALC_EXIT_FAIL, "unexpected argument \"%s\" (see digest_calc "
		    "response --help)", argv[optind]);
	if (user == NULL || realm == NULL || a.nonce.p == NULL ||
	    method == NULL || a.uri.p == NULL)
		calc_die(CALC_EXIT_FAIL, "response needs --user, --realm, --nonce, "
		    "--method and --uri");
	if (ha1.arg != NULL && ha1.file != NULL)
		calc_die(CALC_EXIT_FAIL, "--ha1 and --ha1-file exclude each other");
	if (a.alg == NULL)
		a.alg = calc_alg("MD5", CALC_EXIT_FAIL);
	if (a.qop.p != NULL && (a.nc.p == NULL || a.cnonce.p == NULL))
		calc_die(CALC_EXIT_FAIL, "--qop needs --nc and --cnonce");
	if (a.qop.p == NULL && (a.nc.p != NULL || a.cnonce.p != NULL))
		calc_die(CALC_EXIT_FAIL, "--nc and --cnonce go with --qop");
	if (a.alg->sess && a.qop.p == NULL)
		calc_die(CALC_EXIT_FAIL, "%s needs --qop, --nc and --cnonce", a.alg->name);
	if (body != NULL && a.qop_type != AUTHZ_QOP_AUTH_INT)
		calc_die(CALC_EXIT_FAIL, "--body-file goes with --qop auth-int");
	if (a.qop_type == AUTHZ_QOP_AUTH_INT)
		calc_hash_body(a.alg, body, hentity, CALC_EXIT_FAIL);

	if (calc_ha1_given(&ha1)) {
		if (calc_ha1_load(&ha1, a.alg, msg, sizeof(msg)) < 0)
			calc_die(CALC_EXIT_FAIL, "%s", msg);
	} else
		ha1_from_stdin(a.alg, dstr_c(user), dstr_c(realm), ha1.hex,
		    CALC_EXIT_FAIL);
	rc = authz_expected(&a, ha1.hex, dstr_c(method),
	    a.qop_type == AUTHZ_QOP_AUTH_INT ? hentity : NULL, resp);
	calc_ha1_clear(&ha1);
	if (rc < 0)
		calc_die(CALC_EXIT_FAIL, "hashing failed (OpenSSL)");
	printf("%s\n", resp);
	return 0;
}

/* --- challenge ---------------------------------------------------------- */

static void
challenge_usage(void)
{
	printf("Usage: digest_calc challenge --realm R [-a ALG]... [--secret-file F]\n"
	    "           [--proxy] [--stale] [--userhash] [--qop LIST] [--opaque O]\n"
	    "Prints one WWW-Authenticate header line per algorithm, in the order given,\n"
	    "all with the same new nonce.\n"
	    "\nOptions:\n"
	    "  --realm R            the realm (quoted and escaped as needed)\n"
	    "  -a, --algorithm ALG  an algorithm to offer; repeatable (default MD5)\n"
	    "  --secret-file F      make the nonce with the server secret in F, so that\n"
	    "                       'digest_calc verify --secret-file F' can check it;\n"
	    "                       without it the nonce uses a random one-off secret\n"
	    "  --proxy              Proxy-Authenticate (for a 407) instead\n"
	    "  --stale              add stale=true\n"
	    "  --userhash           add userhash=true (RFC 7616 3.4.4)\n"
	    "  --qop LIST           auth, auth-int, auth,auth-int (default) or none\n"
	    "  --opaque O           add opaque=\"O\"\n"
	    "  -h, --help           print this help and exit\n");
}

int
calc_cmd_challenge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "algorithm", required_argument, NULL, 'a' },
		{ "realm", required_argument, NULL, OPT_REALM },
		{ "secret-file", required_argument, NULL, OPT_SECRET },
		{ "proxy", no_argument, NULL, OPT_PROXY },
		{ "stale", no_argument, NULL, OPT_STALE },
		{ "userhash", no_argument, NULL, OPT_USERHASH },
		{ "qop", required_argument, NULL, OPT_QOP },
		{ "opaque", required_argument, NULL, OPT_OPAQUE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct digest_alg *algs[CHALLENGE_MAX_ALGS];
	struct authz_challenge c = { .qop = AUTHZ_QOP_AUTH | AUTHZ_QOP_AUTH_INT };
	const char *secret_file = NULL, *err;
	char nonce[NONCE_TEXT_LEN + 1];
	unsigned char *secret;
	size_t nalgs = 0, secret_len, i;
	int opt, rc;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":a:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			if (nalgs == CHALLENGE_MAX_ALGS)
				calc_die(CALC_EXIT_FAIL, "more than %d -a options",
				    CHALLENGE_MAX_ALGS);
			algs[nalgs++] = calc_alg(optarg, CALC_EXIT_FAIL);
			break;
		case OPT_REALM:
			c.realm = optarg;
			break;
		case OPT_SECRET:
			secret_file = optarg;
			break;
		case OPT_PROXY:
			c.proxy = true;
			break;
		case OPT_STALE:
			c.stale = true;
			break;
		case OPT_USERHASH:
			c.userhash = true;
			break;
		case OPT_QOP:
			if (authz_qop_list(optarg, &c.qop) < 0)
				calc_die(CALC_EXIT_FAIL, "--qop is auth, auth-int, "
				    "auth,auth-int or none");
			break;
		case OPT_OPAQUE:
			c.opaque = optarg;
			break;
		case 'h':
			challenge_usage();
			return 0;
		default:
			bad_option("challenge", opt, argv, CALC_EXIT_FAIL);
		}
	}
	if (optind < argc)
		calc_die(CALC_EXIT_FAIL, "unexpected argument \"%s\" (see digest_calc "
		    "challenge --help)", argv[optind]);
	if (c.realm == NULL)
		calc_die(CALC_EXIT_FAIL, "challenge needs --realm");
	if (nalgs == 0)
		algs[nalgs++] = calc_alg("MD5", CALC_EXIT_FAIL);

	if (secret_file != NULL)
		secret = calc_read_secret(secret_file, &secret_len, CALC_EXIT_FAIL);
	else {
		secret_len = 32;
		secret = xmalloc(secret_len);
		if (RAND_bytes(secret, (int)secret_len) != 1)
			calc_die(CALC_EXIT_FAIL, "no random bytes from OpenSSL");
	}
	rc = nonce_make(secret, secret_len, time(NULL), nonce, &err);
	secret_free(secret, secret_len);
	if (rc < 0)
		calc_die(CALC_EXIT_FAIL, "cannot make a nonce: %s", err);
	c.nonce = nonce;

	for (i = 0; i < nalgs; i++) {
		char *line;

		c.alg = algs[i];
		if (authz_challenge(&c, &line, &err) < 0)
			calc_die(CALC_EXIT_FAIL, "%s", err);
		printf("%s\n", line);
		free(line);
	}
	return 0;
}
