/* calc_verify.c - digest_calc verify: why does this login fail?
 *
 * Checks a captured Authorization or Proxy-Authorization header the way a
 * server would, one step at a time, and prints one line naming the first
 * step that fails:
 *
 *   parse -> realm -> uri -> user (userhash) -> nonce MAC -> HA1 (--ha1,
 *   --ha1-file, the helper, or the password) -> nonce age -> response
 *
 * A stale nonce is reported after the response is computed, so the line can
 * say whether the password was right: with stale=true a client retries by
 * itself, so a stale nonce alone never makes a user retype a password.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authz.h"
#include "calc.h"
#include "log.h"
#include "nonce.h"
#include "secret.h"

/* How long a nonce made by 'digest_calc challenge' stays fresh, unless
 * --nonce-lifetime says otherwise.  Five minutes: between nginx's
 * auth_digest_timeout (60 s) and Squid's nonce_max_duration (30 min). */
#define VERIFY_NONCE_LIFETIME 300

/* The longest --nonce-lifetime: ten years is "never stale" for a capture. */
#define VERIFY_NONCE_LIFETIME_MAX (10LL * 366 * 24 * 3600)

/* How much of an untrusted value a verdict line shows. */
#define SAFE_LEN 96

enum {
	OPT_METHOD = 0x100, OPT_HEADER, OPT_HA1, OPT_HELPER, OPT_SECRET,
	OPT_LIFETIME, OPT_BODY, OPT_URI, OPT_REALM, OPT_USER, OPT_HA1_FILE,
};

struct verify_opts {
	const char *method;
	const char *header;
	struct calc_ha1 ha1;	/* --ha1 or --ha1-file, and the HA1 used */
	const char *helper;
	const char *secret_file;
	const char *body_file;
	const char *uri;
	const char *realm;
	const char *user;
	unsigned long lifetime;
};

static void
verify_usage(void)
{
	printf("Usage: digest_calc verify --method M --header 'Authorization: Digest ...'\n"
	    "           [--ha1 HEX | --ha1-file F | --helper 'COMMAND'] [--secret-file F]\n"
	    "           [--nonce-lifetime S] [--body-file F] [--uri URI] [--realm R]\n"
	    "           [--user U] [-d]\n"
	    "Checks a captured Authorization or Proxy-Authorization header and prints\n"
	    "one line saying why it is accepted or not.  Without --ha1, --ha1-file or\n"
	    "--helper the password is read from standard input (one line).\n"
	    "Exit status: 0 the response matches, 1 it does not (the line says why),\n"
	    "2 usage error or a header that does not parse.\n"
	    "\nOptions:\n"
	    "  --method M          the request method (GET, CONNECT, ...)\n"
	    "  --header H          the header, with or without its name; a leading\n"
	    "                      '> ' as curl -v prints it is ignored\n"
	    "  --ha1-file F        the stored HA1 = H(user:realm:password): the first\n"
	    "                      line of F, or one line of standard input when F is -\n"
	    "  --ha1 HEX           the same on the command line, where ps shows it\n"
	    "                      until it is wiped (a warning says so)\n"
	    "  --helper COMMAND    ask this helper for the HA1 as Squid does, e.g.\n"
	    "                      '/usr/lib/squid/digest_file_auth -c /etc/squid/digest.pw'\n"
	    "  --secret-file F     check the nonce against this server secret\n"
	    "  --nonce-lifetime S  seconds a nonce stays fresh (default %d)\n"
	    "  --body-file F       the request body, for qop=auth-int (default: empty)\n"
	    "  --uri URI           the request URI: it must equal the header's uri\n"
	    "  --realm R           the realm the server asked for\n"
	    "  --user U            the user name; needed when the header has userhash=true\n"
	    "  -d, --debug         debug lines on stderr (never a password or an HA1)\n"
	    "  -h, --help          print this help and exit\n",
	    VERIFY_NONCE_LIFETIME);
}

/* Print the verdict line and give back the exit code. */
static int __attribute__((format(printf, 2, 3)))
verdict(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return code;
}

static void
parse_options(int argc, char **argv, struct verify_opts *o)
{
	static const struct option longopts[] = {
		{ "method", required_argument, NULL, OPT_METHOD },
		{ "header", required_argument, NULL, OPT_HEADER },
		{ "ha1", required_argument, NULL, OPT_HA1 },
		{ "ha1-file", required_argument, NULL, OPT_HA1_FILE },
		{ "helper", required_argument, NULL, OPT_HELPER },
		{ "secret-file", required_argument, NULL, OPT_SECRET },
		{ "nonce-lifetime", required_argument, NULL, OPT_LIFETIME },
		{ "body-file", required_argument, NULL, OPT_BODY },
		{ "uri", required_argument, NULL, OPT_URI },
		{ "realm", required_argument, NULL, OPT_REALM },
		{ "user", required_argument, NULL, OPT_USER },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long v;
	int opt;

	memset(o, 0, sizeof(*o));
	calc_ha1_init(&o->ha1);
	o->lifetime = VERIFY_NONCE_LIFETIME;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":dh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_METHOD:
			o->method = optarg;
			break;
		case OPT_HEADER:
			o->header = optarg;
			break;
		case OPT_HA1:
			calc_ha1_take_arg(&o->ha1, optarg);
			break;
		case OPT_HA1_FILE:
			o->ha1.file = optarg;
			break;
		case OPT_HELPER:
			o->helper = optarg;
			break;
		case OPT_SECRET:
			o->secret_file = optarg;
			break;
		case OPT_LIFETIME:
			v = calc_parse_uint(optarg, VERIFY_NONCE_LIFETIME_MAX);
			if (v < 0)
				calc_die(CALC_EXIT_USAGE, "--nonce-lifetime needs a "
				    "number of seconds");
			o->lifetime = (unsigned long)v;
			break;
		case OPT_BODY:
			o->body_file = optarg;
			break;
		case OPT_URI:
			o->uri = optarg;
			break;
		case OPT_REALM:
			o->realm = optarg;
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case 'd':
			log_set_debug(true);
			break;
		case 'h':
			calc_ha1_clear(&o->ha1);
			verify_usage();
			exit(0);
		case ':':
			if (optopt > 0 && optopt < 0x100)
				calc_die(CALC_EXIT_USAGE, "option -%c needs a value "
				    "(see digest_calc verify --help)", optopt);
			calc_die(CALC_EXIT_USAGE, "option %s needs a value (see "
			    "digest_calc verify --help)", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 0x100)
				calc_die(CALC_EXIT_USAGE, "unknown option -%c (see "
				    "digest_calc verify --help)", optopt);
			calc_die(CALC_EXIT_USAGE, "unknown option %s (see "
			    "digest_calc verify --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		calc_die(CALC_EXIT_USAGE, "unexpected argument \"%s\" (see "
		    "digest_calc verify --help)", argv[optind]);
	if (o->method == NULL || o->header == NULL)
		calc_die(CALC_EXIT_USAGE, "verify needs --method and --header");
	if (o->ha1.arg != NULL && o->ha1.file != NULL)
		calc_die(CALC_EXIT_USAGE, "--ha1 and --ha1-file exclude each other");
	if (o->ha1.arg != NULL && o->helper != NULL)
		calc_die(CALC_EXIT_USAGE, "--ha1 and --helper exclude each other");
	if (o->ha1.file != NULL && o->helper != NULL)
		calc_die(CALC_EXIT_USAGE, "--ha1-file and --helper exclude each other");
}

static bool
dstr_eq(struct dstr a, const char *b)
{
	return a.n == strlen(b) && memcmp(a.p, b, a.n) == 0;
}

/* Where the stored HA1 came from, for the verdict line. */
static const char *
ha1_source(const struct verify_opts *o)
{
	if (o->ha1.arg != NULL)
		return "the HA1 given with --ha1";
	if (o->ha1.file != NULL)
		return "the HA1 read with --ha1-file";
	if (o->helper != NULL)
		return "the helper's HA1";
	return "this password";
}

int
calc_cmd_verify(int argc, char **argv)
{
	const struct digest_alg *alg;
	const char *nonce_why = NULL;
	struct verify_opts o;
	struct authz a;
	struct dstr user;
	const char *hdr, *err;
	char s1[SAFE_LEN], s2[SAFE_LEN], s3[SAFE_LEN], msg[256], why[1024];
	char hentity[DIGEST_HEX_MAX + 1], want[DIGEST_HEX_MAX + 1];
	char *ha1;
	enum nonce_status ns = NONCE_FRESH;
	time_t issued = 0, now = time(NULL);
	bool match;
	int rc;

	parse_options(argc, argv, &o);
	ha1 = o.ha1.hex;	/* wiped by calc_ha1_clear(), calc_die() too */
	hdr = o.header;
	if (hdr[0] == '>' && hdr[1] == ' ')	/* pasted from curl -v */
		hdr += 2;
	if (authz_parse(&a, hdr, strlen(hdr), &err) < 0) {
		calc_ha1_clear(&o.ha1);
		return verdict(CALC_EXIT_USAGE, "malformed header: %s", err);
	}
	log_debug("header: algorithm %s, qop %s, nc %s, user \"%s\"%s, realm \"%s\", uri \"%s\"",
	    a.alg->name, a.qop.p != NULL ? a.qop.p : "(none)",
	    a.nc.p != NULL ? a.nc.p : "(none)",
	    log_sanitize(a.username.p, a.username.n, s1, sizeof(s1)),
	    a.userhash ? " (userhash)" : a.username_ext ? " (from username*)" : "",
	    log_sanitize(a.realm.p, a.realm.n, s2, sizeof(s2)),
	    log_sanitize(a.uri.p, a.uri.n, s3, sizeof(s3)));

	alg = a.alg;
	if (o.helper != NULL && strcmp(alg->evp_name, "MD5") != 0) {
		authz_clear(&a);
		calc_die(CALC_EXIT_USAGE, "a helper answers MD5 HA1s (Squid's "
		    "protocol); this header uses %s: give --ha1-file or the password",
		    alg->name);
	}
	/* --ha1's digits are checked, and --ha1-file read, before anything
	 * else can fail: a bad HA1 is a usage error whatever the header. */
	if (calc_ha1_given(&o.ha1) &&
	    calc_ha1_load(&o.ha1, alg, why, sizeof(why)) < 0) {
		authz_clear(&a);
		calc_die(CALC_EXIT_USAGE, "%s", why);
	}

	if (o.realm != NULL && !dstr_eq(a.realm, o.realm)) {
		rc = verdict(CALC_EXIT_FAIL, "realm mismatch: the header's realm "
		    "\"%s\" is not \"%s\" (the client answered another challenge, "
		    "or the realm was changed since)",
		    log_sanitize(a.realm.p, a.realm.n, s1, sizeof(s1)),
		    log_sanitize(o.realm, strlen(o.realm), s2, sizeof(s2)));
		goto out;
	}
	if (o.uri != NULL && !dstr_eq(a.uri, o.uri)) {
		rc = verdict(CALC_EXIT_FAIL, "URI mismatch: the header's uri \"%s\" "
		    "is not the request URI \"%s\" (the client hashed another URI, "
		    "or something in between rewrote the request)",
		    log_sanitize(a.uri.p, a.uri.n, s1, sizeof(s1)),
		    log_sanitize(o.uri, strlen(o.uri), s2, sizeof(s2)));
		goto out;
	}

	if (a.userhash) {
		if (o.user == NULL) {
			authz_clear(&a);
			calc_die(CALC_EXIT_USAGE, "the header has userhash=true: "
			    "give the user name with --user");
		}
		user = dstr_c(o.user);
		if (!authz_userhash_matches(&a, user)) {
			rc = verdict(CALC_EXIT_FAIL, "user mismatch: the header's "
			    "userhash is not H(\"%s\":realm) (another user, or "
			    "hashed with another realm)",
			    log_sanitize(user.p, user.n, s1, sizeof(s1)));
			goto out;
		}
	} else {
		user = a.username;
		if (o.user != NULL && !dstr_eq(user, o.user)) {
			rc = verdict(CALC_EXIT_FAIL, "user mismatch: the header is "
			    "for user \"%s\", not \"%s\"",
			    log_sanitize(user.p, user.n, s1, sizeof(s1)),
			    log_sanitize(o.user, strlen(o.user), s2, sizeof(s2)));
			goto out;
		}
	}

	if (o.secret_file != NULL) {
		unsigned char *secret;
		size_t secret_len;

		secret = calc_read_secret(o.secret_file, &secret_len, CALC_EXIT_USAGE);
		ns = nonce_check(secret, secret_len, a.nonce.p, a.nonce.n, now,
		    o.lifetime, &issued, &nonce_why);
		secret_free(secret, secret_len);
		if (ns == NONCE_FORGED) {
			rc = verdict(CALC_EXIT_FAIL, "forged nonce: %s (a nonce from "
			    "another server or secret, or altered on the way)",
			    nonce_why);
			goto out;
		}
	}

	/* With --ha1 or --ha1-file, ha1 is loaded already. */
	if (o.helper != NULL) {
		if (memchr(user.p, '"', user.n) != NULL) {
			rc = verdict(CALC_EXIT_FAIL, "refused user name: \"%s\" holds "
			    "'\"', and Squid drops such logins before asking a "
			    "helper", log_sanitize(user.p, user.n, s1, sizeof(s1)));
			goto out;
		}
		switch (calc_helper_ask(o.helper, user, a.realm, ha1, msg,
		    sizeof(msg))) {
		case HELPER_OK:
			break;
		case HELPER_ERR:
			rc = verdict(CALC_EXIT_FAIL, "unknown user: the helper "
			    "answered ERR%s%s%s for user \"%s\" in realm \"%s\" "
			    "(no such user for that realm, or the user is disabled)",
			    msg[0] ? " (" : "", msg, msg[0] ? ")" : "",
			    log_sanitize(user.p, user.n, s1, sizeof(s1)),
			    log_sanitize(a.realm.p, a.realm.n, s2, sizeof(s2)));
			goto out;
		case HELPER_BH:
			rc = verdict(CALC_EXIT_FAIL, "helper could not tell: it "
			    "answered BH%s%s%s (store unreachable or unreadable, or "
			    "a malformed request; Squid refuses the login)",
			    msg[0] ? " (" : "", msg, msg[0] ? ")" : "");
			goto out;
		case HELPER_FAILED:
			rc = verdict(CALC_EXIT_FAIL, "helper failed: %s", msg);
			goto out;
		}
	} else if (!calc_ha1_given(&o.ha1)) {
		struct dstr parts[3];
		char *pw = xmalloc(CALC_PASSWORD_MAX + 1);
		size_t n;

		if (calc_read_password(pw, CALC_PASSWORD_MAX + 1, &n, &err) < 0) {
			secret_free(pw, CALC_PASSWORD_MAX + 1);
			authz_clear(&a);
			calc_die(CALC_EXIT_USAGE, "%s", err);
		}
		parts[0] = user;
		parts[1] = a.realm;
		parts[2] = (struct dstr){ pw, n };
		rc = digest_hash_parts(a.alg, parts, 3, ha1);
		secret_free(pw, CALC_PASSWORD_MAX + 1);
		if (rc < 0) {
			authz_clear(&a);
			calc_die(CALC_EXIT_USAGE, "hashing failed (OpenSSL)");
		}
	}

	if (a.qop_type == AUTHZ_QOP_AUTH_INT)
		calc_hash_body(a.alg, o.body_file, hentity, CALC_EXIT_USAGE);
	else if (o.body_file != NULL)
		log_debug("qop is not auth-int: the body is not part of the digest");
	rc = authz_expected(&a, ha1, dstr_c(o.method),
	    a.qop_type == AUTHZ_QOP_AUTH_INT ? hentity : NULL, want);
	secret_wipe(ha1, sizeof(o.ha1.hex));
	if (rc < 0) {
		authz_clear(&a);
		calc_die(CALC_EXIT_USAGE, "hashing failed (OpenSSL)");
	}
	match = authz_response_equal(&a, want);

	if (ns == NONCE_STALE) {
		rc = verdict(CALC_EXIT_FAIL, "stale nonce: %s (issued %lld s ago, "
		    "lifetime %lu s); %s", nonce_why, (long long)(now - issued),
		    o.lifetime, match ? "the password is right: a server answers "
		    "stale=true and the client retries with a new nonce by itself" :
		    "the response does not match either (wrong password?)");
	} else if (match) {
		rc = verdict(CALC_EXIT_OK, "match: user \"%s\", realm \"%s\", %s, "
		    "qop %s", log_sanitize(user.p, user.n, s1, sizeof(s1)),
		    log_sanitize(a.realm.p, a.realm.n, s2, sizeof(s2)), a.alg->name,
		    a.qop.p != NULL ? a.qop.p : "none");
	} else {
		rc = verdict(CALC_EXIT_FAIL, "wrong password: the response does "
		    "not match %s for user \"%s\" in realm \"%s\" (%s, method %s)%s%s",
		    ha1_source(&o), log_sanitize(user.p, user.n, s1, sizeof(s1)),
		    log_sanitize(a.realm.p, a.realm.n, s2, sizeof(s2)), a.alg->name,
		    log_sanitize(o.method, strlen(o.method), s3, sizeof(s3)),
		    o.helper != NULL ? "; or the stored HA1 was made for another "
		    "realm or user name" : "", a.qop_type == AUTHZ_QOP_AUTH_INT ?
		    "; or, with qop=auth-int, another body (--body-file)" : "");
	}
out:
	calc_ha1_clear(&o.ha1);
	authz_clear(&a);
	return rc;
}
