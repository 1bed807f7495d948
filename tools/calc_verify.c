/* calc_verify.c - digest_calc verify: why does this login fail?
 *
 * Checks a captured Authorization or Proxy-Authorization header the way a
 * server would, one step at a time, and prints one line naming the first
 * step that fails:
 *
 *   parse -> realm -> uri -> user (userhash) -> nonce MAC -> HA1 (--ha1,
 *   --ha1-file, the helper, or the password) -> nonce age -> response
 *
 * steps[] holds them in that order, one function each, with two more: the
 * HA1 options are checked right after the parse (a bad HA1 is a usage error
 * whatever the header), and the expected response is computed before the
 * nonce age is judged, so that a stale nonce's line can say whether the
 * password was right: with stale=true a client retries by itself, so a
 * stale nonce alone never makes a user retype a password.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "authz.h"
#include "calc.h"
#include "calc_verify.h"
#include "log.h"
#include "nonce.h"
#include "secret.h"

/* How much of an untrusted value a verdict line shows. */
#define SAFE_LEN 96

/* What a step returns to let the next one run; otherwise it returns the
 * exit code of the verdict line it printed. */
#define VERIFY_NEXT (-1)

/* What the steps find out, each for the ones after it. */
struct verify {
	struct verify_opts o;
	struct digest_authz a;		/* the parsed header */
	struct digest_str user;	/* the user name: --user with userhash=true */
	time_t now;
	enum digest_nonce_status ns;	/* DIGEST_NONCE_FRESH without --secret-file */
	time_t issued;		/* when the nonce was made, with --secret-file */
	const char *nonce_why;	/* why it is not fresh */
	bool match;		/* whether the response is the expected one */
};

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

static bool
dstr_eq(struct digest_str a, const char *b)
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

/* --- the steps ------------------------------------------------------------ */

/* parse: the header (a leading "> " as curl -v prints it is ignored). */
static int
step_parse(struct verify *v)
{
	const char *hdr = v->o.header, *err;
	const struct digest_authz *a = &v->a;
	char s1[SAFE_LEN], s2[SAFE_LEN], s3[SAFE_LEN];

	if (hdr[0] == '>' && hdr[1] == ' ')
		hdr += 2;
	if (digest_authz_parse(&v->a, hdr, strlen(hdr), &err) < 0)
		return verdict(CALC_EXIT_USAGE, "malformed header: %s", err);
	log_debug("header: algorithm %s, qop %s, nc %s, user \"%s\"%s, realm \"%s\", uri \"%s\"",
	    a->alg->name, a->qop.p != NULL ? a->qop.p : "(none)",
	    a->nc.p != NULL ? a->nc.p : "(none)",
	    log_sanitize(a->username.p, a->username.n, s1, sizeof(s1)),
	    a->userhash ? " (userhash)" : a->username_ext ? " (from username*)" : "",
	    log_sanitize(a->realm.p, a->realm.n, s2, sizeof(s2)),
	    log_sanitize(a->uri.p, a->uri.n, s3, sizeof(s3)));
	return VERIFY_NEXT;
}

/* Still parse: whether the HA1 options fit the header's algorithm.
 * --ha1's digits are checked, and --ha1-file read, before anything else
 * can fail: a bad HA1 is a usage error whatever the header. */
static int
step_ha1_usable(struct verify *v)
{
	char why[1024];

	if (v->o.helper != NULL && strcmp(v->a.alg->evp_name, "MD5") != 0)
		calc_die(CALC_EXIT_USAGE, "a helper answers MD5 HA1s (Squid's "
		    "protocol); this header uses %s: give --ha1-file or the password",
		    v->a.alg->name);
	if (calc_ha1_given(&v->o.ha1) &&
	    calc_ha1_load(&v->o.ha1, v->a.alg, why, sizeof(why)) < 0)
		calc_die(CALC_EXIT_USAGE, "%s", why);
	return VERIFY_NEXT;
}

static int
step_realm(struct verify *v)
{
	const char *realm = v->o.realm;
	char s1[SAFE_LEN], s2[SAFE_LEN];

	if (realm == NULL || dstr_eq(v->a.realm, realm))
		return VERIFY_NEXT;
	return verdict(CALC_EXIT_FAIL, "realm mismatch: the header's realm "
	    "\"%s\" is not \"%s\" (the client answered another challenge, "
	    "or the realm was changed since)",
	    log_sanitize(v->a.realm.p, v->a.realm.n, s1, sizeof(s1)),
	    log_sanitize(realm, strlen(realm), s2, sizeof(s2)));
}

static int
step_uri(struct verify *v)
{
	const char *uri = v->o.uri;
	char s1[SAFE_LEN], s2[SAFE_LEN];

	if (uri == NULL || dstr_eq(v->a.uri, uri))
		return VERIFY_NEXT;
	return verdict(CALC_EXIT_FAIL, "URI mismatch: the header's uri \"%s\" "
	    "is not the request URI \"%s\" (the client hashed another URI, "
	    "or something in between rewrote the request)",
	    log_sanitize(v->a.uri.p, v->a.uri.n, s1, sizeof(s1)),
	    log_sanitize(uri, strlen(uri), s2, sizeof(s2)));
}

/* user: the header's user name, checked against --user; with userhash=true
 * the name given with --user, checked against the header's hash. */
static int
step_user(struct verify *v)
{
	const char *want = v->o.user;
	char s1[SAFE_LEN], s2[SAFE_LEN];

	if (!v->a.userhash) {
		v->user = v->a.username;
		if (want == NULL || dstr_eq(v->user, want))
			return VERIFY_NEXT;
		return verdict(CALC_EXIT_FAIL, "user mismatch: the header is "
		    "for user \"%s\", not \"%s\"",
		    log_sanitize(v->user.p, v->user.n, s1, sizeof(s1)),
		    log_sanitize(want, strlen(want), s2, sizeof(s2)));
	}
	if (want == NULL)
		calc_die(CALC_EXIT_USAGE, "the header has userhash=true: "
		    "give the user name with --user");
	v->user = digest_str_c(want);
	if (digest_authz_userhash_matches(&v->a, v->user))
		return VERIFY_NEXT;
	return verdict(CALC_EXIT_FAIL, "user mismatch: the header's userhash "
	    "is not H(\"%s\":realm) (another user, or hashed with another "
	    "realm)", log_sanitize(v->user.p, v->user.n, s1, sizeof(s1)));
}

/* nonce MAC: with --secret-file, whether the nonce was made with it; its
 * age is kept for later. */
static int
step_nonce_mac(struct verify *v)
{
	unsigned char *secret;
	size_t secret_len;

	if (v->o.secret_file == NULL)
		return VERIFY_NEXT;
	secret = calc_read_secret(v->o.secret_file, &secret_len, CALC_EXIT_USAGE);
	v->ns = digest_nonce_check(secret, secret_len, v->a.nonce.p, v->a.nonce.n,
	    v->now, v->o.lifetime, &v->issued, &v->nonce_why);
	secret_free(secret, secret_len);
	if (v->ns != DIGEST_NONCE_FORGED)
		return VERIFY_NEXT;
	return verdict(CALC_EXIT_FAIL, "forged nonce: %s (a nonce from another "
	    "server or secret, or altered on the way)", v->nonce_why);
}

/* The HA1 from the helper, into v->o.ha1.hex. */
static int
ha1_from_helper(struct verify *v)
{
	struct digest_str user = v->user, realm = v->a.realm;
	char s1[SAFE_LEN], s2[SAFE_LEN], msg[CALC_HELPER_MSG_MAX];
	enum helper_answer ans;
	const char *po, *pc;	/* the brackets around the helper's message */

	if (memchr(user.p, '"', user.n) != NULL)
		return verdict(CALC_EXIT_FAIL, "refused user name: \"%s\" holds "
		    "'\"', and Squid drops such logins before asking a helper",
		    log_sanitize(user.p, user.n, s1, sizeof(s1)));
	ans = calc_helper_ask(v->o.helper, user, realm, v->o.ha1.hex, msg,
	    sizeof(msg));
	po = msg[0] ? " (" : "";
	pc = msg[0] ? ")" : "";
	switch (ans) {
	case HELPER_OK:
		if (msg[0] != '\0')	/* what Squid's note ACLs would see */
			printf("helper annotations: %s\n", msg);
		return VERIFY_NEXT;
	case HELPER_ERR:
		return verdict(CALC_EXIT_FAIL, "unknown user: the helper answered "
		    "ERR%s%s%s for user \"%s\" in realm \"%s\" (no such user for "
		    "that realm, or the user is disabled)", po, msg, pc,
		    log_sanitize(user.p, user.n, s1, sizeof(s1)),
		    log_sanitize(realm.p, realm.n, s2, sizeof(s2)));
	case HELPER_BH:
		return verdict(CALC_EXIT_FAIL, "helper could not tell: it answered "
		    "BH%s%s%s (store unreachable or unreadable, or a malformed "
		    "request; Squid refuses the login)", po, msg, pc);
	case HELPER_FAILED:
		break;
	}
	return verdict(CALC_EXIT_FAIL, "helper failed: %s", msg);
}

/* HA1: loaded already with --ha1 or --ha1-file (step_ha1_usable), else
 * from the helper or from the password. */
static int
step_ha1(struct verify *v)
{
	if (v->o.helper != NULL)
		return ha1_from_helper(v);
	if (!calc_ha1_given(&v->o.ha1))
		calc_ha1_from_password(v->a.alg, v->user, v->a.realm,
		    v->o.ha1.hex, CALC_EXIT_USAGE);
	return VERIFY_NEXT;
}

/* Still HA1: the response it gives, compared with the header's. */
static int
step_expected(struct verify *v)
{
	char hentity[DIGEST_HEX_MAX + 1], want[DIGEST_HEX_MAX + 1];
	bool auth_int = v->a.qop_type == DIGEST_QOP_AUTH_INT;
	int rc;

	if (auth_int)
		calc_hash_body(v->a.alg, v->o.body_file, hentity, CALC_EXIT_USAGE);
	else if (v->o.body_file != NULL)
		log_debug("qop is not auth-int: the body is not part of the digest");
	rc = digest_authz_expected(&v->a, v->o.ha1.hex, digest_str_c(v->o.method),
	    auth_int ? hentity : NULL, want);
	secret_wipe(v->o.ha1.hex, sizeof(v->o.ha1.hex));
	if (rc < 0)
		calc_die(CALC_EXIT_USAGE, "hashing failed (OpenSSL)");
	v->match = digest_authz_response_equal(&v->a, want);
	return VERIFY_NEXT;
}

static int
step_nonce_age(struct verify *v)
{
	if (v->ns != DIGEST_NONCE_STALE)
		return VERIFY_NEXT;
	return verdict(CALC_EXIT_FAIL, "stale nonce: %s (issued %lld s ago, "
	    "lifetime %lu s); %s", v->nonce_why, (long long)(v->now - v->issued),
	    v->o.lifetime, v->match ? "the password is right: a server answers "
	    "stale=true and the client retries with a new nonce by itself" :
	    "the response does not match either (wrong password?)");
}

static int
step_response(struct verify *v)
{
	const struct digest_authz *a = &v->a;
	const char *method = v->o.method;
	char s1[SAFE_LEN], s2[SAFE_LEN], s3[SAFE_LEN];

	if (v->match)
		return verdict(CALC_EXIT_OK, "match: user \"%s\", realm \"%s\", "
		    "%s, qop %s", log_sanitize(v->user.p, v->user.n, s1, sizeof(s1)),
		    log_sanitize(a->realm.p, a->realm.n, s2, sizeof(s2)),
		    a->alg->name, a->qop.p != NULL ? a->qop.p : "none");
	return verdict(CALC_EXIT_FAIL, "wrong password: the response does not "
	    "match %s for user \"%s\" in realm \"%s\" (%s, method %s)%s%s",
	    ha1_source(&v->o), log_sanitize(v->user.p, v->user.n, s1, sizeof(s1)),
	    log_sanitize(a->realm.p, a->realm.n, s2, sizeof(s2)), a->alg->name,
	    log_sanitize(method, strlen(method), s3, sizeof(s3)),
	    v->o.helper != NULL ? "; or the stored HA1 was made for another "
	    "realm or user name" : "", a->qop_type == DIGEST_QOP_AUTH_INT ?
	    "; or, with qop=auth-int, another body (--body-file)" : "");
}

/* The steps of the header comment, in its order. */
static int (*const steps[])(struct verify *) = {
	step_parse, step_ha1_usable, step_realm, step_uri, step_user,
	step_nonce_mac, step_ha1, step_expected, step_nonce_age, step_response,
};

static void
authz_wipe(void *a)
{
	digest_authz_clear(a);
}

int
calc_cmd_verify(int argc, char **argv)
{
	struct verify v;
	size_t i;
	int rc = VERIFY_NEXT;

	memset(&v, 0, sizeof(v));
	v.now = time(NULL);
	v.ns = DIGEST_NONCE_FRESH;
	calc_ha1_init(&v.o.ha1);
	calc_wipe_at_exit(authz_wipe, &v.a);
	calc_verify_options(argc, argv, &v.o);
	for (i = 0; rc == VERIFY_NEXT && i < sizeof(steps) / sizeof(steps[0]); i++)
		rc = steps[i](&v);
	calc_ha1_clear(&v.o.ha1);
	calc_wipe_cancel(&v.a);
	digest_authz_clear(&v.a);
	return rc;
}
