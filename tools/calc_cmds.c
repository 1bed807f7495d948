/* calc_cmds.c - digest_calc ha1, response and challenge. */
#include "config.h"

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

static void
ha1_take(void *ctx, int opt, char *arg)
{
	const struct digest_alg **alg = ctx;

	if (opt == 'a')
		*alg = calc_alg(arg, CALC_EXIT_FAIL);
}

int
calc_cmd_ha1(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "algorithm", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct calc_cmd cmd = {
		.name = "ha1", .shortopts = ":a:h", .longopts = longopts,
		.usage = ha1_usage, .code = CALC_EXIT_FAIL, .operands = true,
	};
	const struct digest_alg *alg = NULL;
	char hex[DIGEST_HEX_MAX + 1];
	int first;

	first = calc_options(&cmd, argc, argv, ha1_take, &alg);
	if (argc - first != 2)
		calc_die(CALC_EXIT_FAIL, "ha1 needs USER and REALM (see digest_calc ha1 --help)");
	if (alg == NULL)
		alg = calc_alg("MD5", CALC_EXIT_FAIL);
	calc_ha1_from_password(alg, digest_str_c(argv[first]),
	    digest_str_c(argv[first + 1]), hex, CALC_EXIT_FAIL);
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

/* The request a response is computed for: its parameters in a as a parsed
 * header would have them, the rest from the options. */
struct response {
	struct digest_authz a;
	const char *user, *realm, *method, *body;
	struct calc_ha1 ha1;
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

static void
response_take_qop(struct digest_authz *a, const char *arg)
{
	if (strcmp(arg, "auth") == 0)
		a->qop_type = DIGEST_QOP_AUTH;
	else if (strcmp(arg, "auth-int") == 0)
		a->qop_type = DIGEST_QOP_AUTH_INT;
	else
		calc_die(CALC_EXIT_FAIL, "--qop is auth or auth-int");
	a->qop = digest_str_c(arg);
}

static void
response_take(void *ctx, int opt, char *arg)
{
	struct response *r = ctx;

	switch (opt) {
	case 'a':
		r->a.alg = calc_alg(arg, CALC_EXIT_FAIL);
		break;
	case OPT_USER:
		r->user = arg;
		break;
	case OPT_REALM:
		r->realm = arg;
		break;
	case OPT_NONCE:
		r->a.nonce = digest_str_c(arg);
		break;
	case OPT_METHOD:
		r->method = arg;
		break;
	case OPT_URI:
		r->a.uri = digest_str_c(arg);
		break;
	case OPT_QOP:
		response_take_qop(&r->a, arg);
		break;
	case OPT_NC:
		if (!is_nc(arg))
			calc_die(CALC_EXIT_FAIL, "--nc needs 8 hex digits, as 00000001");
		r->a.nc = digest_str_c(arg);
		break;
	case OPT_CNONCE:
		r->a.cnonce = digest_str_c(arg);
		break;
	case OPT_BODY:
		r->body = arg;
		break;
	case OPT_HA1:
		calc_ha1_take_arg(&r->ha1, arg);
		break;
	case OPT_HA1_FILE:
		r->ha1.file = arg;
		break;
	}
}

/* Exit when the options given do not make a request. */
static void
response_check(struct response *r)
{
	const struct digest_authz *a = &r->a;

	if (r->user == NULL || r->realm == NULL || a->nonce.p == NULL ||
	    r->method == NULL || a->uri.p == NULL)
		calc_die(CALC_EXIT_FAIL, "response needs --user, --realm, --nonce, "
		    "--method and --uri");
	calc_ha1_one_source(&r->ha1, CALC_EXIT_FAIL);
	if (a->alg == NULL)
		r->a.alg = calc_alg("MD5", CALC_EXIT_FAIL);
	if (a->qop.p != NULL && (a->nc.p == NULL || a->cnonce.p == NULL))
		calc_die(CALC_EXIT_FAIL, "--qop needs --nc and --cnonce");
	if (a->qop.p == NULL && (a->nc.p != NULL || a->cnonce.p != NULL))
		calc_die(CALC_EXIT_FAIL, "--nc and --cnonce go with --qop");
	if (a->alg->sess && a->qop.p == NULL)
		calc_die(CALC_EXIT_FAIL, "%s needs --qop, --nc and --cnonce", a->alg->name);
	if (r->body != NULL && a->qop_type != DIGEST_QOP_AUTH_INT)
		calc_die(CALC_EXIT_FAIL, "--body-file goes with --qop auth-int");
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
	static const struct calc_cmd cmd = {
		.name = "response", .shortopts = ":a:h", .longopts = longopts,
		.usage = response_usage, .code = CALC_EXIT_FAIL,
	};
	char hentity[DIGEST_HEX_MAX + 1], resp[DIGEST_HEX_MAX + 1], msg[1024];
	struct response r;
	bool auth_int;
	int rc;

	memset(&r, 0, sizeof(r));
	calc_ha1_init(&r.ha1);
	calc_options(&cmd, argc, argv, response_take, &r);
	response_check(&r);
	auth_int = r.a.qop_type == DIGEST_QOP_AUTH_INT;
	if (auth_int)
		calc_hash_body(r.a.alg, r.body, hentity, CALC_EXIT_FAIL);
	if (!calc_ha1_given(&r.ha1))
		calc_ha1_from_password(r.a.alg, digest_str_c(r.user), digest_str_c(r.realm),
		    r.ha1.hex, CALC_EXIT_FAIL);
	else if (calc_ha1_load(&r.ha1, r.a.alg, msg, sizeof(msg)) < 0)
		calc_die(CALC_EXIT_FAIL, "%s", msg);
	rc = digest_authz_expected(&r.a, r.ha1.hex, digest_str_c(r.method),
	    auth_int ? hentity : NULL, resp);
	calc_ha1_clear(&r.ha1);
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

/* The challenge lines to print: c, once for each of algs. */
struct challenge {
	struct digest_challenge c;
	const struct digest_alg *algs[CHALLENGE_MAX_ALGS];
	size_t nalgs;
	const char *secret_file;
};

static void
challenge_take(void *ctx, int opt, char *arg)
{
	struct challenge *ch = ctx;

	switch (opt) {
	case 'a':
		if (ch->nalgs == CHALLENGE_MAX_ALGS)
			calc_die(CALC_EXIT_FAIL, "more than %d -a options",
			    CHALLENGE_MAX_ALGS);
		ch->algs[ch->nalgs++] = calc_alg(arg, CALC_EXIT_FAIL);
		break;
	case OPT_REALM:
		ch->c.realm = arg;
		break;
	case OPT_SECRET:
		ch->secret_file = arg;
		break;
	case OPT_PROXY:
		ch->c.proxy = true;
		break;
	case OPT_STALE:
		ch->c.stale = true;
		break;
	case OPT_USERHASH:
		ch->c.userhash = true;
		break;
	case OPT_QOP:
		if (digest_qop_list(arg, &ch->c.qop) < 0)
			calc_die(CALC_EXIT_FAIL, "--qop is auth, auth-int, "
			    "auth,auth-int or none");
		break;
	case OPT_OPAQUE:
		ch->c.opaque = arg;
		break;
	}
}

/* A new nonce in nonce_r, made with the secret of secret_file, or with a
 * random one-off secret when that is NULL. */
static void
challenge_nonce(const char *secret_file, char *nonce_r)
{
	unsigned char *secret;
	size_t secret_len;
	const char *err;
	int rc;

	if (secret_file != NULL)
		secret = calc_read_secret(secret_file, &secret_len, CALC_EXIT_FAIL);
	else {
		secret_len = 32;
		secret = xmalloc(secret_len);
		if (RAND_bytes(secret, (int)secret_len) != 1)
			calc_die(CALC_EXIT_FAIL, "no random bytes from OpenSSL");
	}
	rc = digest_nonce_make(secret, secret_len, time(NULL), nonce_r, &err);
	secret_free(secret, secret_len);
	if (rc < 0)
		calc_die(CALC_EXIT_FAIL, "cannot make a nonce: %s", err);
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
	static const struct calc_cmd cmd = {
		.name = "challenge", .shortopts = ":a:h", .longopts = longopts,
		.usage = challenge_usage, .code = CALC_EXIT_FAIL,
	};
	struct challenge ch = {
		.c = { .qop = DIGEST_QOP_AUTH | DIGEST_QOP_AUTH_INT },
	};
	char nonce[DIGEST_NONCE_TEXT_LEN + 1], *line;
	const char *err;
	size_t i;

	calc_options(&cmd, argc, argv, challenge_take, &ch);
	if (ch.c.realm == NULL)
		calc_die(CALC_EXIT_FAIL, "challenge needs --realm");
	if (ch.nalgs == 0)
		ch.algs[ch.nalgs++] = calc_alg("MD5", CALC_EXIT_FAIL);
	challenge_nonce(ch.secret_file, nonce);
	ch.c.nonce = nonce;
	for (i = 0; i < ch.nalgs; i++) {
		ch.c.alg = ch.algs[i];
		if (digest_challenge(&ch.c, &line, &err) < 0)
			calc_die(CALC_EXIT_FAIL, "%s", err);
		printf("%s\n", line);
		free(line);
	}
	return 0;
}
