/* authz_check.c - what RFC 7616 section 3.4 requires of the parameters
 * authz_parse.c found, and the struct digest_authz made from them. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "authz.h"
#include "authz_priv.h"
#include "digest.h"
#include "log.h"

static int check_required(struct authz_parser *);
static int check_algorithm(struct authz_parser *);
static int check_userhash(struct authz_parser *);
static int check_username(struct authz_parser *);
static int check_values(struct authz_parser *);
static int check_qop(struct authz_parser *);
static int check_nc(struct authz_parser *);
static int check_cnonce(struct authz_parser *);
static int decode_ext_value(struct digest_authz *, struct authz_pval *);
static bool utf8_valid(const unsigned char *, size_t);
static int hexval(unsigned char);
static bool value_is(const struct authz_pval *, const char *);
static struct digest_str as_dstr(const struct authz_pval *);

/* The checks, in the order they run.  The first to fail gives the reason,
 * so the order is part of the behaviour: a header with two faults is
 * refused for the one listed first.  A check may fill fields of ps->a that
 * later checks use (the algorithm, userhash). */
static int (*const checks[])(struct authz_parser *) = {
	check_required,		/* username or username*, realm, nonce, ... */
	check_algorithm,	/* a->alg: MD5 when absent */
	check_userhash,		/* a->userhash */
	check_username,		/* a->username, decoding username* */
	check_values,		/* nonce, uri, response */
	check_qop,		/* a->qop_type, and nc and cnonce with it */
	check_nc,		/* a->nc_value */
	check_cnonce,
};

int
authz_validate(struct authz_parser *ps)
{
	struct digest_authz *a = ps->a;
	struct authz_pval *v = ps->vals;
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (checks[i](ps) < 0)
			return -1;
	a->realm = as_dstr(&v[P_REALM]);
	a->nonce = as_dstr(&v[P_NONCE]);
	a->uri = as_dstr(&v[P_URI]);
	a->response = as_dstr(&v[P_RESPONSE]);
	a->cnonce = as_dstr(&v[P_CNONCE]);
	a->opaque = as_dstr(&v[P_OPAQUE]);
	a->nc = as_dstr(&v[P_NC]);
	a->qop = as_dstr(&v[P_QOP]);
	return 0;
}

/* Exactly one of username and username*, and every other parameter a
 * response needs. */
static int
check_required(struct authz_parser *ps)
{
	static const enum authz_param_id required[] = {
		P_REALM, P_NONCE, P_URI, P_RESPONSE,
	};
	struct digest_authz *a = ps->a;
	const struct authz_pval *v = ps->vals;
	size_t i;

	if (v[P_USERNAME].seen && v[P_USERNAME_EXT].seen)
		return authz_fail(a, "both username and username* are present");
	if (!v[P_USERNAME].seen && !v[P_USERNAME_EXT].seen)
		return authz_fail(a, "missing parameter username");
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!v[required[i]].seen)
			return authz_fail(a, "missing parameter %s",
			    authz_param_names[required[i]]);
	return 0;
}

/* RFC 7616 section 3.3: algorithm absent means MD5. */
static int
check_algorithm(struct authz_parser *ps)
{
	struct digest_authz *a = ps->a;
	const struct authz_pval *alg = &ps->vals[P_ALGORITHM];
	char tmp[48];

	a->alg = digest_alg_md5();
	if (!alg->seen)
		return 0;
	a->alg = digest_alg_find(alg->p, alg->n);
	if (a->alg == NULL)
		return authz_fail(a, "unknown algorithm \"%s\"",
		    log_sanitize(alg->p, alg->n, tmp, sizeof(tmp)));
	return 0;
}

/* RFC 7616 section 3.4.4: userhash is true or false; absent is false. */
static int
check_userhash(struct authz_parser *ps)
{
	const struct authz_pval *uh = &ps->vals[P_USERHASH];

	if (!uh->seen)
		return 0;
	if (value_is(uh, "true"))
		ps->a->userhash = true;
	else if (!value_is(uh, "false"))
		return authz_fail(ps->a, "userhash must be true or false");
	return 0;
}

/* The user name: username, or username* (RFC 7616 section 3.4 and RFC 5987
 * section 3.2) decoded; with userhash=true, a hash as long as the
 * algorithm's. */
static int
check_username(struct authz_parser *ps)
{
	struct digest_authz *a = ps->a;
	struct authz_pval *ext = &ps->vals[P_USERNAME_EXT];

	if (ext->seen) {
		if (ext->quoted)
			return authz_fail(a, "username* must not be quoted "
			    "(RFC 5987 ext-value)");
		if (a->userhash)
			return authz_fail(a, "username* cannot be used with "
			    "userhash=true");
		if (decode_ext_value(a, ext) < 0)
			return -1;
		a->username = as_dstr(ext);
		a->username_ext = true;
	} else
		a->username = as_dstr(&ps->vals[P_USERNAME]);
	if (a->username.n == 0)
		return authz_fail(a, "empty username");
	if (a->userhash && !digest_is_hex(a->alg, a->username.p, a->username.n))
		return authz_fail(a, "userhash=true but username is not a "
		    "%zu-digit hex hash", 2 * a->alg->len);
	return 0;
}

/* A nonce and a uri to hash, and a response as long as the algorithm's. */
static int
check_values(struct authz_parser *ps)
{
	struct digest_authz *a = ps->a;
	const struct authz_pval *v = ps->vals;

	if (v[P_NONCE].n == 0)
		return authz_fail(a, "empty nonce");
	if (v[P_URI].n == 0)
		return authz_fail(a, "empty uri");
	if (!digest_is_hex(a->alg, v[P_RESPONSE].p, v[P_RESPONSE].n))
		return authz_fail(a, "response is not %zu hex digits (as %s needs)",
		    2 * a->alg->len, a->alg->name);
	return 0;
}

/* qop is auth or auth-int and comes with nc and cnonce; without it
 * (RFC 2069 compatibility) neither may appear, nor a -sess algorithm,
 * whose session key needs the cnonce. */
static int
check_qop(struct authz_parser *ps)
{
	struct digest_authz *a = ps->a;
	const struct authz_pval *v = ps->vals;
	char tmp[48];

	if (!v[P_QOP].seen) {
		if (v[P_NC].seen)
			return authz_fail(a, "nc without qop");
		if (v[P_CNONCE].seen)
			return authz_fail(a, "cnonce without qop");
		if (a->alg->sess)
			return authz_fail(a, "%s needs qop and cnonce", a->alg->name);
		return 0;
	}
	if (value_is(&v[P_QOP], "auth"))
		a->qop_type = DIGEST_QOP_AUTH;
	else if (value_is(&v[P_QOP], "auth-int"))
		a->qop_type = DIGEST_QOP_AUTH_INT;
	else
		return authz_fail(a, "unknown qop \"%s\" (auth or auth-int)",
		    log_sanitize(v[P_QOP].p, v[P_QOP].n, tmp, sizeof(tmp)));
	if (!v[P_NC].seen)
		return authz_fail(a, "qop is set but nc is missing");
	if (!v[P_CNONCE].seen)
		return authz_fail(a, "qop is set but cnonce is missing");
	return 0;
}

/* RFC 7616 section 3.4: nc is 8 hex digits, the count of requests made
 * with this nonce, starting at 1. */
static int
check_nc(struct authz_parser *ps)
{
	const struct authz_pval *nc = &ps->vals[P_NC];
	uint32_t val = 0;
	size_t i;

	if (!nc->seen)
		return 0;
	if (nc->n != 8)
		return authz_fail(ps->a, "nc must be 8 hex digits");
	for (i = 0; i < 8; i++) {
		int h = hexval((unsigned char)nc->p[i]);

		if (h < 0)
			return authz_fail(ps->a, "nc must be 8 hex digits");
		val = (val << 4) | (uint32_t)h;
	}
	if (val == 0)
		return authz_fail(ps->a, "nc 00000000: nonce counts start at 1");
	ps->a->nc_value = val;
	return 0;
}

static int
check_cnonce(struct authz_parser *ps)
{
	if (ps->vals[P_CNONCE].seen && ps->vals[P_CNONCE].n == 0)
		return authz_fail(ps->a, "empty cnonce");
	return 0;
}

/* RFC 5987 3.2: ext-value = charset "'" [ language ] "'" value-chars, with
 * value-chars = *( pct-encoded / attr-char ).  Only UTF-8 is accepted: it is
 * the charset our challenges announce.  Decoded in place. */
static int
decode_ext_value(struct digest_authz *a, struct authz_pval *v)
{
	static const char attr_extra[] = "!#$&+-.^_`|~";
	char *s = v->p, *end = v->p + v->n, *q, *r, *out;
	char tmp[48];

	q = memchr(s, '\'', v->n);
	r = q != NULL ? memchr(q + 1, '\'', (size_t)(end - q - 1)) : NULL;
	if (r == NULL)
		return authz_fail(a, "username* is not charset'language'value "
		    "(RFC 5987)");
	if (q - s != 5 || strncasecmp(s, "UTF-8", 5) != 0)
		return authz_fail(a, "username* charset \"%s\" is not UTF-8",
		    log_sanitize(s, (size_t)(q - s), tmp, sizeof(tmp)));
	for (q++; q < r; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		    (*q >= '0' && *q <= '9') || *q == '-'))
			return authz_fail(a, "username* has a bad language tag");
	out = s;
	for (q = r + 1; q < end; q++) {
		unsigned char c = (unsigned char)*q;

		if (c == '%') {
			int hi, lo;

			if (end - q < 3 || (hi = hexval((unsigned char)q[1])) < 0 ||
			    (lo = hexval((unsigned char)q[2])) < 0)
				return authz_fail(a, "username* has a bad %%-escape");
			*out++ = (char)(hi * 16 + lo);
			q += 2;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(attr_extra, c) != NULL) {
			*out++ = (char)c;
		} else
			return authz_fail(a, "username* holds '%c', which must be "
			    "%%-encoded", c);
	}
	v->n = (size_t)(out - s);
	*out = '\0';
	if (v->n == 0)
		return authz_fail(a, "empty username");
	if (!utf8_valid((const unsigned char *)s, v->n))
		return authz_fail(a, "username* is not valid UTF-8");
	for (q = s; q < out; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return authz_fail(a, "username* decodes to a control "
			    "character");
	return 0;
}

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, j;

	while (i < n) {
		unsigned char c = s[i];
		unsigned long cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else
			return false;
		if (n - i <= k)
			return false;
		for (j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The value is word, in any case. */
static bool
value_is(const struct authz_pval *v, const char *word)
{
	return v->n == strlen(word) && strncasecmp(v->p, word, v->n) == 0;
}

/* A value as the struct digest_authz holds it: p == NULL when absent. */
static struct digest_str
as_dstr(const struct authz_pval *v)
{
	struct digest_str d = { v->seen ? v->p : NULL, v->seen ? v->n : 0 };

	return d;
}
