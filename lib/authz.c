/* authz.c - parse Digest credentials, build Digest challenges (RFC 7616). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authz.h"
#include "log.h"
#include "obuf.h"
#include "secret.h"

enum param_id {
	P_USERNAME, P_USERNAME_EXT, P_REALM, P_NONCE, P_URI, P_RESPONSE,
	P_ALGORITHM, P_CNONCE, P_OPAQUE, P_QOP, P_NC, P_USERHASH,
	P_COUNT
};

/* The parameters RFC 7616 section 3.4 defines for credentials. */
static const char *const param_names[P_COUNT] = {
	[P_USERNAME] = "username",
	[P_USERNAME_EXT] = "username*",
	[P_REALM] = "realm",
	[P_NONCE] = "nonce",
	[P_URI] = "uri",
	[P_RESPONSE] = "response",
	[P_ALGORITHM] = "algorithm",
	[P_CNONCE] = "cnonce",
	[P_OPAQUE] = "opaque",
	[P_QOP] = "qop",
	[P_NC] = "nc",
	[P_USERHASH] = "userhash",
};

/* One value as found, unescaped into the struct's buffer. */
struct pval {
	char *p;
	size_t n;
	bool quoted;
	bool seen;
};

struct parser {
	struct authz *a;
	const char *in;		/* start of the input, for offsets */
	size_t used;		/* bytes of a->buf in use */
	struct pval vals[P_COUNT];
};

static int fail(struct authz *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static bool is_tchar(unsigned char);
static size_t span_token(const char *, const char *);
static void skip_ows(const char **, const char *);
static int parse_params(struct parser *, const char *, const char *);
static int validate(struct parser *);
static int decode_ext_value(struct authz *, struct pval *);
static bool utf8_valid(const unsigned char *, size_t);
static int hexval(unsigned char);
static struct dstr as_dstr(const struct pval *);
static bool hex_equal(struct dstr, const char *);
static int put_quoted(struct obuf *, const char *);
static void put_str(struct obuf *, const char *);

/* Set the reason and clean up: every failure goes through here. */
static int
fail(struct authz *a, const char *fmt, ...)
{
	va_list ap;

	/* Format first: an argument may still point into the buffer. */
	va_start(ap, fmt);
	vsnprintf(a->errbuf, sizeof(a->errbuf), fmt, ap);
	va_end(ap);
	secret_free(a->buf, a->bufsize);
	a->buf = NULL;
	a->bufsize = 0;
	return -1;
}

/* RFC 7230 3.2.6: tchar */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static size_t
span_token(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && is_tchar((unsigned char)*q))
		q++;
	return (size_t)(q - p);
}

static void
skip_ows(const char **pp, const char *end)
{
	while (*pp < end && (**pp == ' ' || **pp == '\t'))
		(*pp)++;
}

static struct dstr
as_dstr(const struct pval *v)
{
	struct dstr d = { v->seen ? v->p : NULL, v->seen ? v->n : 0 };

	return d;
}

int
authz_parse(struct authz *a, const char *in, size_t len, const char **err_r)
{
	struct parser ps;
	const char *p = in, *end = in + len, *q;
	char tmp[48];
	size_t n;

	memset(a, 0, sizeof(*a));
	*err_r = a->errbuf;
	if (len > AUTHZ_MAX_LEN)
		return fail(a, "header longer than %d bytes", AUTHZ_MAX_LEN);
	while (end > p && (end[-1] == '\n' || end[-1] == '\r' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;
	skip_ows(&p, end);
	for (q = p; q < end; q++) {
		unsigned char c = (unsigned char)*q;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(a, "control character 0x%02x at offset %zu",
			    c, (size_t)(q - in));
	}
	if (p == end)
		return fail(a, "empty header");

	/* An optional field name: "Authorization:" or "Proxy-Authorization:" */
	n = span_token(p, end);
	if (n > 0 && p + n < end && p[n] == ':') {
		if (n == 13 && strncasecmp(p, "Authorization", n) == 0)
			a->header = AUTHZ_HDR_AUTHORIZATION;
		else if (n == 19 && strncasecmp(p, "Proxy-Authorization", n) == 0)
			a->header = AUTHZ_HDR_PROXY;
		else if ((n == 16 && strncasecmp(p, "WWW-Authenticate", n) == 0) ||
		    (n == 18 && strncasecmp(p, "Proxy-Authenticate", n) == 0))
			return fail(a, "%s is the server's challenge, not the "
			    "client's credentials", log_sanitize(p, n, tmp, sizeof(tmp)));
		else
			return fail(a, "header \"%s\" is not Authorization or "
			    "Proxy-Authorization", log_sanitize(p, n, tmp, sizeof(tmp)));
		p += n + 1;
		skip_ows(&p, end);
	}

	/* credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ] */
	n = span_token(p, end);
	if (n == 0)
		return fail(a, "no authentication scheme");
	if (n != 6 || strncasecmp(p, "Digest", 6) != 0)
		return fail(a, "scheme \"%s\" is not Digest",
		    log_sanitize(p, n, tmp, sizeof(tmp)));
	p += n;
	if (p == end)
		return fail(a, "no parameters after Digest");
	if (*p != ' ' && *p != '\t')
		return fail(a, "expected a space after Digest");

	memset(&ps, 0, sizeof(ps));
	ps.a = a;
	ps.in = in;
	/* Unescaping never lengthens a value; one NUL after each. */
	a->bufsize = len + AUTHZ_MAX_PARAMS + 1;
	a->buf = xmalloc(a->bufsize);
	if (parse_params(&ps, p, end) < 0 || validate(&ps) < 0)
		return -1;
	return 0;
}

/* #auth-param: name BWS "=" BWS ( token / quoted-string ), separated by
 * commas with optional whitespace; empty list elements are skipped. */
static int
parse_params(struct parser *ps, const char *p, const char *end)
{
	struct authz *a = ps->a;
	size_t nparams = 0, n, i;
	char tmp[48];

	for (;;) {
		const char *name;
		size_t name_n;
		struct pval v = { .p = a->buf + ps->used };

		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p == end)
			return 0;
		if (++nparams > AUTHZ_MAX_PARAMS)
			return fail(a, "more than %d parameters", AUTHZ_MAX_PARAMS);
		name = p;
		name_n = span_token(p, end);
		if (name_n == 0)
			return fail(a, "expected a parameter name at offset %zu, "
			    "found \"%s\"", (size_t)(p - ps->in),
			    log_sanitize(p, (size_t)(end - p), tmp, 16));
		p += name_n;
		skip_ows(&p, end);
		if (p == end || *p != '=') {
			if (p == end || *p == ',')
				return fail(a, "parameter %s has no value",
				    log_sanitize(name, name_n, tmp, sizeof(tmp)));
			return fail(a, "expected '=' after parameter %s",
			    log_sanitize(name, name_n, tmp, sizeof(tmp)));
		}
		p++;
		skip_ows(&p, end);
		if (p == end || *p == ',')
			return fail(a, "parameter %s has no value",
			    log_sanitize(name, name_n, tmp, sizeof(tmp)));
		if (*p == '"') {
			/* quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE;
			 * control bytes were refused up front. */
			v.quoted = true;
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && ++p == end)
					break;
				v.p[v.n++] = *p;
			}
			if (p == end)
				return fail(a, "unterminated quoted string in "
				    "parameter %s", log_sanitize(name, name_n, tmp, sizeof(tmp)));
			p++;
		} else {
			n = span_token(p, end);
			if (n == 0)
				return fail(a, "parameter %s: the value is neither "
				    "a token nor a quoted string",
				    log_sanitize(name, name_n, tmp, sizeof(tmp)));
			memcpy(v.p, p, n);
			v.n = n;
			p += n;
		}
		v.p[v.n] = '\0';
		ps->used += v.n + 1;
		skip_ows(&p, end);
		if (p < end && *p != ',')
			return fail(a, "expected ',' after parameter %s",
			    log_sanitize(name, name_n, tmp, sizeof(tmp)));

		for (i = 0; i < P_COUNT; i++)
			if (strlen(param_names[i]) == name_n &&
			    strncasecmp(param_names[i], name, name_n) == 0)
				break;
		if (i == P_COUNT)
			continue;	/* unknown: ignored, RFC 7616 3.4 */
		if (ps->vals[i].seen)
			return fail(a, "duplicate parameter %s", param_names[i]);
		v.seen = true;
		ps->vals[i] = v;
	}
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

/* RFC 5987 3.2: ext-value = charset "'" [ language ] "'" value-chars, with
 * value-chars = *( pct-encoded / attr-char ).  Only UTF-8 is accepted: it is
 * the charset our challenges announce.  Decoded in place. */
static int
decode_ext_value(struct authz *a, struct pval *v)
{
	static const char attr_extra[] = "!#$&+-.^_`|~";
	char *s = v->p, *end = v->p + v->n, *q, *r, *out;
	char tmp[48];

	q = memchr(s, '\'', v->n);
	r = q != NULL ? memchr(q + 1, '\'', (size_t)(end - q - 1)) : NULL;
	if (r == NULL)
		return fail(a, "username* is not charset'language'value (RFC 5987)");
	if (q - s != 5 || strncasecmp(s, "UTF-8", 5) != 0)
		return fail(a, "username* charset \"%s\" is not UTF-8",
		    log_sanitize(s, (size_t)(q - s), tmp, sizeof(tmp)));
	for (q++; q < r; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		    (*q >= '0' && *q <= '9') || *q == '-'))
			return fail(a, "username* has a bad language tag");
	out = s;
	for (q = r + 1; q < end; q++) {
		unsigned char c = (unsigned char)*q;

		if (c == '%') {
			int hi, lo;

			if (end - q < 3 || (hi = hexval((unsigned char)q[1])) < 0 ||
			    (lo = hexval((unsigned char)q[2])) < 0)
				return fail(a, "username* has a bad %%-escape");
			*out++ = (char)(hi * 16 + lo);
			q += 2;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(attr_extra, c) != NULL) {
			*out++ = (char)c;
		} else
			return fail(a, "username* holds '%c', which must be "
			    "%%-encoded", c);
	}
	v->n = (size_t)(out - s);
	*out = '\0';
	if (v->n == 0)
		return fail(a, "empty username");
	if (!utf8_valid((const unsigned char *)s, v->n))
		return fail(a, "username* is not valid UTF-8");
	for (q = s; q < out; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return fail(a, "username* decodes to a control character");
	return 0;
}

/* What RFC 7616 section 3.4 requires of a credentials header. */
static int
validate(struct parser *ps)
{
	static const enum param_id required[] = {
		P_REALM, P_NONCE, P_URI, P_RESPONSE,
	};
	struct authz *a = ps->a;
	struct pval *v = ps->vals;
	char tmp[48];
	size_t i;

	if (v[P_USERNAME].seen && v[P_USERNAME_EXT].seen)
		return fail(a, "both username and username* are present");
	if (!v[P_USERNAME].seen && !v[P_USERNAME_EXT].seen)
		return fail(a, "missing parameter username");
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!v[required[i]].seen)
			return fail(a, "missing parameter %s",
			    param_names[required[i]]);

	a->alg = digest_alg_md5();
	if (v[P_ALGORITHM].seen) {
		a->alg = digest_alg_find(v[P_ALGORITHM].p, v[P_ALGORITHM].n);
		if (a->alg == NULL)
			return fail(a, "unknown algorithm \"%s\"",
			    log_sanitize(v[P_ALGORITHM].p, v[P_ALGORITHM].n, tmp, sizeof(tmp)));
	}
	if (v[P_USERHASH].seen) {
		if (v[P_USERHASH].n == 4 && strncasecmp(v[P_USERHASH].p, "true", 4) == 0)
			a->userhash = true;
		else if (!(v[P_USERHASH].n == 5 &&
		    strncasecmp(v[P_USERHASH].p, "false", 5) == 0))
			return fail(a, "userhash must be true or false");
	}
	if (v[P_USERNAME_EXT].seen) {
		if (v[P_USERNAME_EXT].quoted)
			return fail(a, "username* must not be quoted (RFC 5987 ext-value)");
		if (a->userhash)
			return fail(a, "username* cannot be used with userhash=true");
		if (decode_ext_value(a, &v[P_USERNAME_EXT]) < 0)
			return -1;
		a->username = as_dstr(&v[P_USERNAME_EXT]);
		a->username_ext = true;
	} else
		a->username = as_dstr(&v[P_USERNAME]);
	if (a->username.n == 0)
		return fail(a, "empty username");
	if (a->userhash && !digest_is_hex(a->alg, a->username.p, a->username.n))
		return fail(a, "userhash=true but username is not a %zu-digit "
		    "hex hash", 2 * a->alg->len);
	if (v[P_NONCE].n == 0)
		return fail(a, "empty nonce");
	if (v[P_URI].n == 0)
		return fail(a, "empty uri");
	if (!digest_is_hex(a->alg, v[P_RESPONSE].p, v[P_RESPONSE].n))
		return fail(a, "response is not %zu hex digits (as %s needs)",
		    2 * a->alg->len, a->alg->name);

	if (v[P_QOP].seen) {
		if (v[P_QOP].n == 4 && strncasecmp(v[P_QOP].p, "auth", 4) == 0)
			a->qop_type = AUTHZ_QOP_AUTH;
		else if (v[P_QOP].n == 8 && strncasecmp(v[P_QOP].p, "auth-int", 8) == 0)
			a->qop_type = AUTHZ_QOP_AUTH_INT;
		else
			return fail(a, "unknown qop \"%s\" (auth or auth-int)",
			    log_sanitize(v[P_QOP].p, v[P_QOP].n, tmp, sizeof(tmp)));
		if (!v[P_NC].seen)
			return fail(a, "qop is set but nc is missing");
		if (!v[P_CNONCE].seen)
			return fail(a, "qop is set but cnonce is missing");
	} else {
		if (v[P_NC].seen)
			return fail(a, "nc without qop");
		if (v[P_CNONCE].seen)
			return fail(a, "cnonce without qop");
		if (a->alg->sess)
			return fail(a, "%s needs qop and cnonce", a->alg->name);
	}
	if (v[P_NC].seen) {
		uint32_t nc = 0;

		if (v[P_NC].n != 8)
			return fail(a, "nc must be 8 hex digits");
		for (i = 0; i < 8; i++) {
			int h = hexval((unsigned char)v[P_NC].p[i]);

			if (h < 0)
				return fail(a, "nc must be 8 hex digits");
			nc = (nc << 4) | (uint32_t)h;
		}
		if (nc == 0)
			return fail(a, "nc 00000000: nonce counts start at 1");
		a->nc_value = nc;
	}
	if (v[P_CNONCE].seen && v[P_CNONCE].n == 0)
		return fail(a, "empty cnonce");

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

void
authz_clear(struct authz *a)
{
	secret_free(a->buf, a->bufsize);
	memset(a, 0, sizeof(*a));
}

int
authz_expected(const struct authz *a, const char *ha1_hex, struct dstr method,
    const char *hentity_hex, char *hex_r)
{
	char ha1[DIGEST_HEX_MAX + 1], sess[DIGEST_HEX_MAX + 1];
	int rc = -1;

	hex_r[0] = '\0';
	if (a->alg == NULL || !digest_is_hex(a->alg, ha1_hex, strlen(ha1_hex)))
		return -1;
	if (a->qop_type == AUTHZ_QOP_AUTH_INT &&
	    (hentity_hex == NULL || !digest_is_hex(a->alg, hentity_hex,
	    strlen(hentity_hex))))
		return -1;
	/* KD hashes the hex text: it must be lowercase, as RFC 7616 says. */
	digest_hex_lower(ha1_hex, 2 * a->alg->len, ha1);
	if (digest_ha1_session(a->alg, ha1, a->nonce, a->cnonce, sess) == 0)
		rc = digest_response(a->alg, sess, a->nonce, a->nc, a->cnonce,
		    a->qop, method, a->uri,
		    a->qop_type == AUTHZ_QOP_AUTH_INT ? hentity_hex : NULL, hex_r);
	secret_wipe(ha1, sizeof(ha1));
	secret_wipe(sess, sizeof(sess));
	return rc;
}

/* Constant-time comparison of two hex strings, either case. */
static bool
hex_equal(struct dstr got, const char *want)
{
	char low[DIGEST_HEX_MAX + 1];
	bool eq;

	if (got.p == NULL || got.n > DIGEST_HEX_MAX || got.n != strlen(want))
		return false;
	digest_hex_lower(got.p, got.n, low);
	eq = secret_equal(low, want, got.n);
	secret_wipe(low, sizeof(low));
	return eq;
}

bool
authz_response_equal(const struct authz *a, const char *want_hex)
{
	return hex_equal(a->response, want_hex);
}

bool
authz_userhash_matches(const struct authz *a, struct dstr user)
{
	char hex[DIGEST_HEX_MAX + 1];

	if (!a->userhash || digest_userhash(a->alg, user, a->realm, hex) < 0)
		return false;
	return hex_equal(a->username, hex);
}

/* A quoted-string with '"' and '\' escaped; control bytes are refused. */
static int
put_quoted(struct obuf *b, const char *s)
{
	obuf_append(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c == '"' || c == '\\')
			obuf_append(b, "\\", 1);
		obuf_append(b, s, 1);
	}
	obuf_append(b, "\"", 1);
	return 0;
}

static void
put_str(struct obuf *b, const char *s)
{
	obuf_append(b, s, strlen(s));
}

int
authz_challenge(const struct authz_challenge *c, char **line_r,
    const char **err_r)
{
	struct obuf b = { NULL, 0, 0 };

	*line_r = NULL;
	if (c->realm == NULL || c->alg == NULL || c->nonce == NULL) {
		*err_r = "a challenge needs a realm, an algorithm and a nonce";
		return -1;
	}
	put_str(&b, c->proxy ? "Proxy-Authenticate: Digest realm=" :
	    "WWW-Authenticate: Digest realm=");
	if (put_quoted(&b, c->realm) < 0) {
		*err_r = "the realm holds a control character";
		goto bad;
	}
	if ((c->qop & (AUTHZ_QOP_AUTH | AUTHZ_QOP_AUTH_INT)) ==
	    (AUTHZ_QOP_AUTH | AUTHZ_QOP_AUTH_INT))
		put_str(&b, ", qop=\"auth,auth-int\"");
	else if (c->qop & AUTHZ_QOP_AUTH)
		put_str(&b, ", qop=\"auth\"");
	else if (c->qop & AUTHZ_QOP_AUTH_INT)
		put_str(&b, ", qop=\"auth-int\"");
	put_str(&b, ", algorithm=");
	put_str(&b, c->alg->name);
	put_str(&b, ", nonce=");
	if (put_quoted(&b, c->nonce) < 0) {
		*err_r = "the nonce holds a control character";
		goto bad;
	}
	if (c->opaque != NULL) {
		put_str(&b, ", opaque=");
		if (put_quoted(&b, c->opaque) < 0) {
			*err_r = "the opaque value holds a control character";
			goto bad;
		}
	}
	if (c->stale)
		put_str(&b, ", stale=true");
	put_str(&b, ", charset=UTF-8");
	if (c->userhash)
		put_str(&b, ", userhash=true");
	obuf_append(&b, "", 1);
	*line_r = b.p;
	return 0;
bad:
	obuf_free(&b);
	return -1;
}

int
authz_qop_list(const char *s, unsigned *qop_r)
{
	const char *p = s, *end = s + strlen(s);
	unsigned qop = 0;

	*qop_r = 0;
	if (strcasecmp(s, "none") == 0)
		return 0;
	for (;;) {
		size_t n;

		skip_ows(&p, end);
		n = span_token(p, end);
		if (n == 4 && strncasecmp(p, "auth", 4) == 0)
			qop |= AUTHZ_QOP_AUTH;
		else if (n == 8 && strncasecmp(p, "auth-int", 8) == 0)
			qop |= AUTHZ_QOP_AUTH_INT;
		else
			return -1;
		p += n;
		skip_ows(&p, end);
		if (p == end)
			break;
		if (*p++ != ',')
			return -1;
	}
	*qop_r = qop;
	return 0;
}
