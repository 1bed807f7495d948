/* authz_parse.c - split a Digest credentials header into its parameters.
 *
 * The grammar is the one authz.h describes (RFC 7235 section 2.1 with the
 * list rules of RFC 7230 section 7); what the values must then look like is
 * authz_check.c's business. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authz.h"
#include "authz_priv.h"
#include "log.h"
#include "secret.h"

const char *const authz_param_names[P_COUNT] = {
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

/* The name of the parameter being parsed (it points into the caller's
 * input) and room for a printable copy of it, made for a message. */
struct pname {
	const char *p;
	size_t n;
	char safe[48];
};

static bool is_tchar(unsigned char);
static int check_controls(struct digest_authz *, const char *, const char *,
    const char *);
static int parse_field_name(struct digest_authz *, const char **, const char *);
static int parse_scheme(struct digest_authz *, const char **, const char *);
static int parse_params(struct authz_parser *, const char *, const char *);
static int parse_param(struct authz_parser *, const char **, const char *);
static int parse_quoted(struct authz_pval *, const char **, const char *);
static int parse_token(struct authz_pval *, const char **, const char *);
static int store_param(struct authz_parser *, const struct pname *,
    const struct authz_pval *);
static const char *safe_name(struct pname *);

int
authz_fail(struct digest_authz *a, const char *fmt, ...)
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

size_t
authz_span_token(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && is_tchar((unsigned char)*q))
		q++;
	return (size_t)(q - p);
}

void
authz_skip_ows(const char **pp, const char *end)
{
	while (*pp < end && (**pp == ' ' || **pp == '\t'))
		(*pp)++;
}

int
digest_authz_parse(struct digest_authz *a, const char *in, size_t len,
    const char **err_r)
{
	struct authz_parser ps;
	const char *p = in, *end = in + len;

	memset(a, 0, sizeof(*a));
	*err_r = a->errbuf;
	if (len > DIGEST_AUTHZ_MAX_LEN)
		return authz_fail(a, "header longer than %d bytes",
		    DIGEST_AUTHZ_MAX_LEN);
	while (end > p && (end[-1] == '\n' || end[-1] == '\r' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;
	authz_skip_ows(&p, end);
	if (check_controls(a, in, p, end) < 0)
		return -1;
	if (p == end)
		return authz_fail(a, "empty header");
	if (parse_field_name(a, &p, end) < 0 || parse_scheme(a, &p, end) < 0)
		return -1;

	memset(&ps, 0, sizeof(ps));
	ps.a = a;
	ps.in = in;
	/* Unescaping never lengthens a value; one NUL after each. */
	a->bufsize = len + DIGEST_AUTHZ_MAX_PARAMS + 1;
	if ((a->buf = malloc(a->bufsize)) == NULL) {
		a->bufsize = 0;
		return authz_fail(a, "out of memory");
	}
	if (parse_params(&ps, p, end) < 0 || authz_validate(&ps) < 0)
		return -1;
	return 0;
}

void
digest_authz_clear(struct digest_authz *a)
{
	secret_free(a->buf, a->bufsize);
	memset(a, 0, sizeof(*a));
}

/* Refuse any control byte but the tab in [p, end); in is where offsets in
 * the message count from. */
static int
check_controls(struct digest_authz *a, const char *in, const char *p,
    const char *end)
{
	const char *q;

	for (q = p; q < end; q++) {
		unsigned char c = (unsigned char)*q;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return authz_fail(a, "control character 0x%02x at offset %zu",
			    c, (size_t)(q - in));
	}
	return 0;
}

/* An optional field name: "Authorization:" or "Proxy-Authorization:".
 * Sets a->header and steps *pp past the colon and the whitespace after. */
static int
parse_field_name(struct digest_authz *a, const char **pp, const char *end)
{
	const char *p = *pp;
	size_t n = authz_span_token(p, end);
	char tmp[48];

	if (n == 0 || p + n >= end || p[n] != ':')
		return 0;
	if (n == 13 && strncasecmp(p, "Authorization", n) == 0)
		a->header = DIGEST_AUTHZ_HDR_AUTHORIZATION;
	else if (n == 19 && strncasecmp(p, "Proxy-Authorization", n) == 0)
		a->header = DIGEST_AUTHZ_HDR_PROXY;
	else if ((n == 16 && strncasecmp(p, "WWW-Authenticate", n) == 0) ||
	    (n == 18 && strncasecmp(p, "Proxy-Authenticate", n) == 0))
		return authz_fail(a, "%s is the server's challenge, not the "
		    "client's credentials", log_sanitize(p, n, tmp, sizeof(tmp)));
	else
		return authz_fail(a, "header \"%s\" is not Authorization or "
		    "Proxy-Authorization", log_sanitize(p, n, tmp, sizeof(tmp)));
	p += n + 1;
	authz_skip_ows(&p, end);
	*pp = p;
	return 0;
}

/* credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 * The scheme must be Digest, with whitespace after it; *pp is left on
 * that whitespace. */
static int
parse_scheme(struct digest_authz *a, const char **pp, const char *end)
{
	const char *p = *pp;
	size_t n = authz_span_token(p, end);
	char tmp[48];

	if (n == 0)
		return authz_fail(a, "no authentication scheme");
	if (n != 6 || strncasecmp(p, "Digest", 6) != 0)
		return authz_fail(a, "scheme \"%s\" is not Digest",
		    log_sanitize(p, n, tmp, sizeof(tmp)));
	p += n;
	if (p == end)
		return authz_fail(a, "no parameters after Digest");
	if (*p != ' ' && *p != '\t')
		return authz_fail(a, "expected a space after Digest");
	*pp = p;
	return 0;
}

/* #auth-param: name BWS "=" BWS ( token / quoted-string ), separated by
 * commas with optional whitespace; empty list elements are skipped. */
static int
parse_params(struct authz_parser *ps, const char *p, const char *end)
{
	size_t nparams = 0;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p == end)
			return 0;
		if (++nparams > DIGEST_AUTHZ_MAX_PARAMS)
			return authz_fail(ps->a, "more than %d parameters",
			    DIGEST_AUTHZ_MAX_PARAMS);
		if (parse_param(ps, &p, end) < 0)
			return -1;
	}
}

/* One auth-param at *pp; *pp is left on the ',' after it or at the end.
 * The value is unescaped into the buffer, NUL-terminated. */
static int
parse_param(struct authz_parser *ps, const char **pp, const char *end)
{
	struct digest_authz *a = ps->a;
	struct authz_pval v = { .p = a->buf + ps->used };
	struct pname nm = { .p = *pp };
	const char *p = *pp;
	char tmp[16];

	nm.n = authz_span_token(p, end);
	if (nm.n == 0)
		return authz_fail(a, "expected a parameter name at offset %zu, "
		    "found \"%s\"", (size_t)(p - ps->in),
		    log_sanitize(p, (size_t)(end - p), tmp, sizeof(tmp)));
	p += nm.n;
	authz_skip_ows(&p, end);
	if (p == end || *p != '=') {
		if (p == end || *p == ',')
			return authz_fail(a, "parameter %s has no value",
			    safe_name(&nm));
		return authz_fail(a, "expected '=' after parameter %s",
		    safe_name(&nm));
	}
	p++;
	authz_skip_ows(&p, end);
	if (p == end || *p == ',')
		return authz_fail(a, "parameter %s has no value", safe_name(&nm));
	if (*p == '"') {
		if (parse_quoted(&v, &p, end) < 0)
			return authz_fail(a, "unterminated quoted string in "
			    "parameter %s", safe_name(&nm));
	} else if (parse_token(&v, &p, end) < 0)
		return authz_fail(a, "parameter %s: the value is neither "
		    "a token nor a quoted string", safe_name(&nm));
	v.p[v.n] = '\0';
	ps->used += v.n + 1;
	authz_skip_ows(&p, end);
	if (p < end && *p != ',')
		return authz_fail(a, "expected ',' after parameter %s",
		    safe_name(&nm));
	*pp = p;
	return store_param(ps, &nm, &v);
}

/* quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, at the DQUOTE
 * *pp points to; control bytes were refused up front.  -1: unterminated. */
static int
parse_quoted(struct authz_pval *v, const char **pp, const char *end)
{
	const char *p = *pp;

	v->quoted = true;
	for (p++; p < end && *p != '"'; p++) {
		if (*p == '\\' && ++p == end)
			break;
		v->p[v->n++] = *p;
	}
	if (p == end)
		return -1;
	*pp = p + 1;
	return 0;
}

/* A token value.  -1: there is none at *pp. */
static int
parse_token(struct authz_pval *v, const char **pp, const char *end)
{
	size_t n = authz_span_token(*pp, end);

	if (n == 0)
		return -1;
	memcpy(v->p, *pp, n);
	v->n = n;
	*pp += n;
	return 0;
}

/* Keep the value of a parameter we know, once; unknown parameters are
 * ignored (RFC 7616 section 3.4). */
static int
store_param(struct authz_parser *ps, const struct pname *nm,
    const struct authz_pval *v)
{
	size_t i;

	for (i = 0; i < P_COUNT; i++)
		if (strlen(authz_param_names[i]) == nm->n &&
		    strncasecmp(authz_param_names[i], nm->p, nm->n) == 0)
			break;
	if (i == P_COUNT)
		return 0;
	if (ps->vals[i].seen)
		return authz_fail(ps->a, "duplicate parameter %s",
		    authz_param_names[i]);
	ps->vals[i] = *v;
	ps->vals[i].seen = true;
	return 0;
}

/* nm's name made safe to log (log_sanitize), for a message. */
static const char *
safe_name(struct pname *nm)
{
	return log_sanitize(nm->p, nm->n, nm->safe, sizeof(nm->safe));
}
