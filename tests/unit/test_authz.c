/* test_authz.c - the Digest header parser, challenges, nonces and the
 * nonce-count tracker (lib/authz, lib/nonce).
 *
 * Vectors: RFC 2617 section 3.5 and RFC 7616 section 3.9.1 as published.
 * Everything else (the -sess algorithms, SHA-512-256, auth-int, qop absent,
 * the RFC 7616 3.9.2 example) was computed independently with Python 3.11
 * hashlib at development time:
 *
 *   H = lambda s: hashlib.new(name, s.encode()).hexdigest()
 *       # name: 'md5', 'sha256' or 'sha512_256' (the real SHA-512/256)
 *   ha1 = H(user + ":" + realm + ":" + pw)
 *   if sess: ha1 = H(ha1 + ":" + nonce + ":" + cnonce)
 *   auth:     H(ha1:nonce:00000001:cnonce:auth:H("GET:/dir/index.html"))
 *   auth-int: H(ha1:nonce:00000002:cnonce:auth-int:
 *                 H("POST:/dir/index.html:" + H("hello, body\n")))
 *   none:     H(ha1:nonce:H("GET:/dir/index.html"))
 *
 * tests/digest_calc.bats repeats the cross-check live with python3.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authz.h"
#include "digest.h"
#include "nonce.h"
#include "tap.h"

#define RFC7616_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define RFC7616_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"

#define RFC2617_HEADER "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", " \
	"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", " \
	"qop=auth, nc=00000001, cnonce=\"0a4f113b\", " \
	"response=\"6629fae49393a05397450978507c4ef1\", " \
	"opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""

/* Parse hdr, compute the expected response from the password (and the body
 * for auth-int) and compare.  Returns 1 match, 0 mismatch, -1 no parse. */
static int
check_password(const char *hdr, const char *method, const char *pw,
    const char *body, char *want_r)
{
	struct digest_authz a;
	struct digest_str parts[3];
	char ha1[DIGEST_HEX_MAX + 1], hent[DIGEST_HEX_MAX + 1], want[DIGEST_HEX_MAX + 1];
	const char *err;
	int rc;

	if (digest_authz_parse(&a, hdr, strlen(hdr), &err) < 0) {
		printf("# parse failed: %s\n", err);
		return -1;
	}
	parts[0] = a.username;
	parts[1] = a.realm;
	parts[2] = digest_str_c(pw);
	digest_hash_parts(a.alg, parts, 3, ha1);
	parts[0] = digest_str_c(body != NULL ? body : "");
	digest_hash_parts(a.alg, parts, 1, hent);
	if (digest_authz_expected(&a, ha1, digest_str_c(method), hent, want) < 0) {
		digest_authz_clear(&a);
		return -1;
	}
	if (want_r != NULL)
		memcpy(want_r, want, strlen(want) + 1);
	rc = digest_authz_response_equal(&a, want) ? 1 : 0;
	digest_authz_clear(&a);
	return rc;
}

static void
test_rfc_vectors(void)
{
	char want[DIGEST_HEX_MAX + 1], hdr[1024];

	ok(check_password(RFC2617_HEADER, "GET", "Circle Of Life", NULL, want) == 1,
	    "RFC 2617 3.5: the example header verifies with the password");
	is_str(want, "6629fae49393a05397450978507c4ef1", "RFC 2617 3.5: response");
	ok(check_password(RFC2617_HEADER, "GET", "Circle of Life", NULL, NULL) == 0,
	    "RFC 2617 3.5: a wrong password does not verify");
	ok(check_password(RFC2617_HEADER, "POST", "Circle Of Life", NULL, NULL) == 0,
	    "RFC 2617 3.5: another method does not verify");

	/* RFC 7616 3.9.1, MD5 */
	snprintf(hdr, sizeof(hdr), "Authorization: Digest username=\"Mufasa\", "
	    "realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
	    "algorithm=MD5, nonce=\"%s\", nc=00000001, cnonce=\"%s\", qop=auth, "
	    "response=\"8ca523f5e9506fed4657c9700eebdbec\", opaque=\"%s\"",
	    RFC7616_NONCE, RFC7616_CNONCE, RFC7616_OPAQUE);
	ok(check_password(hdr, "GET", "Circle of Life", NULL, want) == 1,
	    "RFC 7616 3.9.1 MD5: verifies");
	is_str(want, "8ca523f5e9506fed4657c9700eebdbec", "RFC 7616 3.9.1 MD5: response");

	/* RFC 7616 3.9.1, SHA-256 */
	snprintf(hdr, sizeof(hdr), "Authorization: Digest username=\"Mufasa\", "
	    "realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
	    "algorithm=SHA-256, nonce=\"%s\", nc=00000001, cnonce=\"%s\", qop=auth, "
	    "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
	    "opaque=\"%s\"", RFC7616_NONCE, RFC7616_CNONCE, RFC7616_OPAQUE);
	ok(check_password(hdr, "GET", "Circle of Life", NULL, want) == 1,
	    "RFC 7616 3.9.1 SHA-256: verifies");
	is_str(want, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
	    "RFC 7616 3.9.1 SHA-256: response");
	ok(check_password(hdr, "GET", "Circle Of Life", NULL, NULL) == 0,
	    "RFC 7616 3.9.1 SHA-256: a wrong password does not verify");
}

/* Every algorithm with qop auth, auth-int and none, against hashlib. */
static void
test_python_vectors(void)
{
	static const struct {
		const char *alg, *auth, *auth_int, *none;
	} v[] = {
		{ "MD5", "8ca523f5e9506fed4657c9700eebdbec",
		  "1e2f6156f838dc317c88bdf2610162d8",
		  "7b2cc3b30e75b4777ea31027084363fd" },
		{ "MD5-sess", "e783283f46242139c486a698fec7211d",
		  "345c1033008f85844c402755e4284244", NULL },
		{ "SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
		  "4f4b01ac321c044f32306a91699fb90e1f969a337e4c5b33ed685b98150e2bfc",
		  "a1306b0595a6c7fe96c448631fb5cfbd5107bd1fe1da729d978dd7446b812363" },
		{ "SHA-256-sess", "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7",
		  "54658a7aef572f946b162f393ff91a11a2df913b63a76890382819a1677b3f4e", NULL },
		{ "SHA-512-256", "430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0",
		  "7f34a24f29322dc79bbf7d9aaca852063d026a5b3b763a6348042b6e9019e9c3",
		  "93e9122020ea0624d2ca801426d5bfbeb93d10ff4cc24cb410af3920fa4730e7" },
		{ "SHA-512-256-sess", "3f2a34f923c38b0fb26dce2fdfc2ce326c23cecf86fbb1444f3e51fbbc2cb92e",
		  "b9ef89ead6b633602d966ed6fb05030342e4f17328a1455d52d8fa6865cfa858", NULL },
	};
	char hdr[1024], want[DIGEST_HEX_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(hdr, sizeof(hdr), "Digest username=\"Mufasa\", "
		    "realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
		    "algorithm=%s, nonce=\"%s\", nc=00000001, cnonce=\"%s\", "
		    "qop=auth, response=\"%s\"", v[i].alg, RFC7616_NONCE,
		    RFC7616_CNONCE, v[i].auth);
		ok(check_password(hdr, "GET", "Circle of Life", NULL, want) == 1,
		    "%s qop=auth verifies", v[i].alg);
		is_str(want, v[i].auth, "%s qop=auth equals hashlib", v[i].alg);

		snprintf(hdr, sizeof(hdr), "Digest username=\"Mufasa\", "
		    "realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
		    "algorithm=%s, nonce=\"%s\", nc=00000002, cnonce=\"%s\", "
		    "qop=auth-int, response=\"%s\"", v[i].alg, RFC7616_NONCE,
		    RFC7616_CNONCE, v[i].auth_int);
		ok(check_password(hdr, "POST", "Circle of Life", "hello, body\n",
		    want) == 1, "%s qop=auth-int verifies", v[i].alg);
		is_str(want, v[i].auth_int, "%s qop=auth-int equals hashlib", v[i].alg);
		ok(check_password(hdr, "POST", "Circle of Life", "hello, body!",
		    NULL) == 0, "%s qop=auth-int: another body does not verify",
		    v[i].alg);

		if (v[i].none == NULL)
			continue;
		snprintf(hdr, sizeof(hdr), "Digest username=\"Mufasa\", "
		    "realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
		    "algorithm=%s, nonce=\"%s\", response=\"%s\"", v[i].alg,
		    RFC7616_NONCE, v[i].none);
		ok(check_password(hdr, "GET", "Circle of Life", NULL, want) == 1,
		    "%s without qop verifies", v[i].alg);
		is_str(want, v[i].none, "%s without qop equals hashlib", v[i].alg);
	}
}

/* RFC 7616 3.9.2: username* and userhash with SHA-512-256.  The values
 * printed in the RFC were computed with SHA-512 cut to 256 bits, not with
 * SHA-512/256 (an RFC erratum; hashlib.sha512(...).hexdigest()[:64]
 * reproduces them).  These are the real SHA-512/256 values from hashlib. */
static void
test_rfc7616_userhash(void)
{
	static const char jason[] = "J\xc3\xa4s\xc3\xb8n Doe";
	char hdr[1024], want[DIGEST_HEX_MAX + 1];
	const char *err;
	struct digest_authz a;

	snprintf(hdr, sizeof(hdr), "Authorization: Digest "
	    "username=\"793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b\", "
	    "realm=\"api@example.org\", uri=\"/doe.json\", algorithm=SHA-512-256, "
	    "nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", nc=00000001, "
	    "cnonce=\"NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v\", qop=auth, "
	    "response=\"3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5\", "
	    "opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\", userhash=true");
	ok(digest_authz_parse(&a, hdr, strlen(hdr), &err) == 0, "RFC 7616 3.9.2 (userhash) parses");
	ok(a.userhash, "userhash=true is seen");
	ok(digest_authz_userhash_matches(&a, digest_str_c(jason)),
	    "userhash = H(\"J\\u00e4s\\u00f8n Doe:api@example.org\") (SHA-512/256)");
	ok(!digest_authz_userhash_matches(&a, digest_str_c("Jason Doe")), "another user's hash does not match");
	{
		struct digest_str parts[3] = { digest_str_c(jason), a.realm, DIGEST_STR("Secret, or not?") };
		char ha1[DIGEST_HEX_MAX + 1];

		digest_hash_parts(a.alg, parts, 3, ha1);
		ok(digest_authz_expected(&a, ha1, DIGEST_STR("GET"), NULL, want) == 0 &&
		    digest_authz_response_equal(&a, want), "RFC 7616 3.9.2 response verifies "
		    "(SHA-512/256)");
	}
	digest_authz_clear(&a);

	/* The RFC's printed userhash is truncated SHA-512: it must NOT match,
	 * or SHA-512-256 would be the wrong hash. */
	snprintf(hdr, sizeof(hdr), "Digest "
	    "username=\"488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec\", "
	    "realm=\"api@example.org\", uri=\"/doe.json\", algorithm=SHA-512-256, "
	    "nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", nc=00000001, "
	    "cnonce=\"NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v\", qop=auth, "
	    "response=\"ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd\", "
	    "userhash=true");
	ok(digest_authz_parse(&a, hdr, strlen(hdr), &err) == 0 &&
	    !digest_authz_userhash_matches(&a, digest_str_c(jason)),
	    "the RFC's printed (truncated SHA-512) userhash is not SHA-512/256");
	digest_authz_clear(&a);

	/* The same user sent as username* instead */
	snprintf(hdr, sizeof(hdr), "Digest username*=UTF-8''J%%C3%%A4s%%C3%%B8n%%20Doe, "
	    "realm=\"api@example.org\", uri=\"/doe.json\", algorithm=SHA-512-256, "
	    "nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", nc=00000001, "
	    "cnonce=\"NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v\", qop=auth, "
	    "response=\"3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5\"");
	ok(check_password(hdr, "GET", "Secret, or not?", NULL, NULL) == 1,
	    "username* header verifies with the decoded user name");
}

static void
test_username_ext(void)
{
	static const struct {
		const char *value, *want;
	} v[] = {
		{ "UTF-8''J%C3%A4s%C3%B8n%20Doe", "J\xc3\xa4s\xc3\xb8n Doe" },
		{ "utf-8'en'J%c3%a4s%c3%b8n%20Doe", "J\xc3\xa4s\xc3\xb8n Doe" },
		{ "UTF-8'de-CH'plain", "plain" },
		{ "UTF-8''%E2%82%AC%F0%9F%98%80", "\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "UTF-8''a!#$&+-.^_`|~z", "a!#$&+-.^_`|~z" },
		{ "UTF-8''%22quoted%22", "\"quoted\"" },
	};
	char hdr[512];
	const char *err;
	struct digest_authz a;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(hdr, sizeof(hdr), "Digest realm=\"r\", username*=%s, "
		    "nonce=\"n\", uri=\"/\", response=\"0123456789abcdef0123456789abcdef\"",
		    v[i].value);
		if (digest_authz_parse(&a, hdr, strlen(hdr), &err) < 0) {
			ok(0, "username*=%s parses: %s", v[i].value, err);
			continue;
		}
		ok(a.username_ext && a.username.n == strlen(v[i].want) &&
		    memcmp(a.username.p, v[i].want, a.username.n) == 0 &&
		    a.username.p[a.username.n] == '\0',
		    "username*=%s decodes", v[i].value);
		digest_authz_clear(&a);
	}
}

/* Headers that parse and verify against the RFC 2617 example. */
static void
test_valid_variants(void)
{
	static const char *const v[] = {
		RFC2617_HEADER,
		"Authorization: " RFC2617_HEADER,
		"authorization:" RFC2617_HEADER "\r\n",
		"  AUTHORIZATION :" RFC2617_HEADER,	/* see below: refused */
		"digest USERNAME=\"Mufasa\", Realm=\"testrealm@host.com\", "
		"NONCE=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", URI=\"/dir/index.html\", "
		"QOP=auth, NC=00000001, CNONCE=\"0a4f113b\", "
		"RESPONSE=\"6629FAE49393A05397450978507C4EF1\"",
		"Digest response=\"6629fae49393a05397450978507c4ef1\", cnonce=\"0a4f113b\", "
		"nc=00000001, qop=auth, uri=\"/dir/index.html\", "
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", realm=\"testrealm@host.com\", "
		"username=\"Mufasa\"",
		"Digest ,, username = \"Mufasa\" ,realm=\"testrealm@host.com\",,"
		"\tnonce=\t\"dcd98b7102dd2f0e8b11d0f600bfb0c093\" , uri=\"/dir/index.html\","
		"qop=\"auth\",nc=00000001,cnonce=\"0a4f113b\","
		"response=\"6629fae49393a05397450978507c4ef1\", ,",
		"Digest username=\"Mu\\f\\a\\s\\a\", realm=\"testrealm@host.com\", "
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
		"algorithm=\"MD5\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
		"response=\"6629fae49393a05397450978507c4ef1\", x-extension=\"a, \\\"b\\\"\", "
		"y=token, userhash=false",
		"Digest username=Mufasa, realm=\"testrealm@host.com\", "
		"nonce=dcd98b7102dd2f0e8b11d0f600bfb0c093, uri=\"/dir/index.html\", "
		"algorithm=md5, qop=auth, nc=00000001, cnonce=0a4f113b, "
		"response=6629fae49393a05397450978507c4ef1",
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = check_password(v[i], "GET", "Circle Of Life", NULL, NULL);

		if (i == 3)	/* no space allowed before the colon */
			ok(rc == -1, "a space before the header colon is refused");
		else
			ok(rc == 1, "valid variant %zu parses and verifies", i);
	}
	{
		struct digest_authz a;
		const char *err;
		const char *h = "Proxy-Authorization: " RFC2617_HEADER;

		ok(digest_authz_parse(&a, h, strlen(h), &err) == 0 &&
		    a.header == DIGEST_AUTHZ_HDR_PROXY && a.nc_value == 1 &&
		    a.qop_type == DIGEST_QOP_AUTH && a.opaque.n == 32,
		    "Proxy-Authorization is recognised; nc, qop and opaque parsed");
		digest_authz_clear(&a);
		h = RFC2617_HEADER;
		ok(digest_authz_parse(&a, h, strlen(h), &err) == 0 &&
		    a.header == DIGEST_AUTHZ_HDR_NONE && a.alg == digest_alg_md5(),
		    "a bare value parses; algorithm defaults to MD5");
		digest_authz_clear(&a);
	}
}

#define BASE_NQ "nonce=\"n\", uri=\"/\", response=\"0123456789abcdef0123456789abcdef\""
#define BASE "Digest username=\"u\", realm=\"r\", " BASE_NQ
#define QOPPED BASE ", qop=auth, nc=00000001, cnonce=\"c\""

static void
test_malformed(void)
{
	static const struct {
		const char *h;
		size_t len;		/* 0: strlen */
		const char *why;	/* a word the reason must contain */
	} v[] = {
		{ "", 0, "empty" },
		{ " \t \r\n", 0, "empty" },
		{ "Basic dXNlcjpwdw==", 0, "not Digest" },
		{ "Authorization: Basic dXNlcjpwdw==", 0, "not Digest" },
		{ "Digest", 0, "no parameters" },
		{ "Digest   ", 0, "no parameters" },
		{ "Digest,username=\"u\"", 0, "space after Digest" },
		{ "Digestusername=\"u\"", 0, "not Digest" },
		{ "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"", 0, "challenge" },
		{ "Proxy-Authenticate: Digest realm=\"r\"", 0, "challenge" },
		{ "X-Auth: " BASE, 0, "not Authorization" },
		{ "Authorization:", 0, "no authentication scheme" },
		{ ": " BASE, 0, "no authentication scheme" },
		{ "Digest realm=\"r\", " BASE_NQ, 0, "missing parameter username" },
		{ "Digest username=\"u\", " BASE_NQ, 0, "missing parameter realm" },
		{ "Digest username=\"u\", realm=\"r\", uri=\"/\", response=\"0123456789abcdef0123456789abcdef\"", 0, "missing parameter nonce" },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", response=\"0123456789abcdef0123456789abcdef\"", 0, "missing parameter uri" },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\"", 0, "missing parameter response" },
		{ BASE ", realm=\"r2\"", 0, "duplicate parameter realm" },
		{ BASE ", Realm=\"r\"", 0, "duplicate parameter realm" },
		{ BASE ", USERNAME=\"v\"", 0, "duplicate parameter username" },
		{ QOPPED ", nc=00000002", 0, "duplicate parameter nc" },
		{ BASE ", username*=UTF-8''u", 0, "both username and username*" },
		{ "Digest username=\"u, realm=\"r\"", 0, "expected ','" },
		{ "Digest username=\"u\", realm=\"r", 0, "unterminated" },
		{ "Digest username=\"u\", realm=\"r\\", 0, "unterminated" },
		{ "Digest username, realm=\"r\"", 0, "has no value" },
		{ BASE ", opaque", 0, "has no value" },
		{ BASE ", opaque=", 0, "has no value" },
		{ "Digest username=,realm=\"r\"", 0, "has no value" },
		{ "Digest username=@, realm=\"r\"", 0, "neither a token" },
		{ "Digest =\"u\", " BASE_NQ, 0, "parameter name" },
		{ "Digest username=\"u\" realm=\"r\", " BASE_NQ, 0, "expected ','" },
		{ "Digest username=\"u\"x, realm=\"r\", " BASE_NQ, 0, "expected ','" },
		{ "Digest username=u\"x\", realm=\"r\", " BASE_NQ, 0, "expected ','" },
		{ "Digest username \"u\", realm=\"r\"", 0, "expected '='" },
		{ "Digest abc==", 0, "neither a token" },
		{ "Digest username=\"u\0\", realm=\"r\", " BASE_NQ,
		  sizeof("Digest username=\"u\0\", realm=\"r\", " BASE_NQ) - 1, "control character 0x00" },
		{ "Digest username=\"u\"\n, realm=\"r\", " BASE_NQ, 0, "control character 0x0a" },
		{ "Digest username=\"u\"\r, realm=\"r\", " BASE_NQ, 0, "control character 0x0d" },
		{ "Digest username=\"u\x7f\", realm=\"r\", " BASE_NQ, 0, "control character 0x7f" },
		{ "Digest username=\"u\x01\", realm=\"r\", " BASE_NQ, 0, "control character 0x01" },
		{ BASE ", algorithm=SHA-1", 0, "unknown algorithm" },
		{ BASE ", algorithm=\"\"", 0, "unknown algorithm" },
		{ BASE ", algorithm=MD5-sess-sess", 0, "unknown algorithm" },
		{ BASE ", qop=auth, cnonce=\"c\"", 0, "nc is missing" },
		{ BASE ", qop=auth, nc=00000001", 0, "cnonce is missing" },
		{ BASE ", qop=auth-conf, nc=00000001, cnonce=\"c\"", 0, "unknown qop" },
		{ BASE ", qop=\"auth,auth-int\", nc=00000001, cnonce=\"c\"", 0, "unknown qop" },
		{ BASE ", nc=00000001", 0, "nc without qop" },
		{ BASE ", cnonce=\"c\"", 0, "cnonce without qop" },
		{ BASE ", qop=auth, nc=1, cnonce=\"c\"", 0, "8 hex digits" },
		{ BASE ", qop=auth, nc=0000000g, cnonce=\"c\"", 0, "8 hex digits" },
		{ BASE ", qop=auth, nc=000000001, cnonce=\"c\"", 0, "8 hex digits" },
		{ BASE ", qop=auth, nc=00000000, cnonce=\"c\"", 0, "start at 1" },
		{ BASE ", qop=auth, nc=00000001, cnonce=\"\"", 0, "empty cnonce" },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"0123456789abcdef\"", 0, "response is not 32 hex" },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"0123456789abcdef0123456789abcdeg\"", 0, "response is not 32 hex" },
		{ BASE ", algorithm=SHA-256", 0, "response is not 64 hex" },
		{ BASE ", algorithm=MD5-sess", 0, "needs qop" },
		{ BASE ", userhash=maybe", 0, "true or false" },
		{ BASE ", userhash=true", 0, "not a 32-digit hex" },
		{ "Digest username=\"\", realm=\"r\", " BASE_NQ, 0, "empty username" },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"\", uri=\"/\", response=\"0123456789abcdef0123456789abcdef\"", 0, "empty nonce" },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"\", response=\"0123456789abcdef0123456789abcdef\"", 0, "empty uri" },
		{ "Digest username*=\"UTF-8''u\", realm=\"r\", " BASE_NQ, 0, "must not be quoted" },
		{ "Digest username*=ISO-8859-1''J%E4son, realm=\"r\", " BASE_NQ, 0, "not UTF-8" },
		{ "Digest username*=UTF-8'abc, realm=\"r\", " BASE_NQ, 0, "charset'language'value" },
		{ "Digest username*=abc, realm=\"r\", " BASE_NQ, 0, "charset'language'value" },
		{ "Digest username*=UTF-8''J%C3, realm=\"r\", " BASE_NQ, 0, "not valid UTF-8" },
		{ "Digest username*=UTF-8''%C0%AF, realm=\"r\", " BASE_NQ, 0, "not valid UTF-8" },
		{ "Digest username*=UTF-8''%ED%A0%80, realm=\"r\", " BASE_NQ, 0, "not valid UTF-8" },
		{ "Digest username*=UTF-8''%F4%90%80%80, realm=\"r\", " BASE_NQ, 0, "not valid UTF-8" },
		{ "Digest username*=UTF-8''%FF, realm=\"r\", " BASE_NQ, 0, "not valid UTF-8" },
		{ "Digest username*=UTF-8''a%2, realm=\"r\", " BASE_NQ, 0, "bad %-escape" },
		{ "Digest username*=UTF-8''a%zz, realm=\"r\", " BASE_NQ, 0, "bad %-escape" },
		{ "Digest username*=UTF-8''a'b, realm=\"r\", " BASE_NQ, 0, "must be %-encoded" },
		{ "Digest username*=UTF-8''a*b, realm=\"r\", " BASE_NQ, 0, "must be %-encoded" },
		{ "Digest username*=UTF-8''a%0Ab, realm=\"r\", " BASE_NQ, 0, "control character" },
		{ "Digest username*=UTF-8''a%00b, realm=\"r\", " BASE_NQ, 0, "control character" },
		{ "Digest username*=UTF-8'', realm=\"r\", " BASE_NQ, 0, "empty username" },
		{ "Digest username*=UTF-8'e%n'abc, realm=\"r\", " BASE_NQ, 0, "language tag" },
		{ "Digest username*=UTF-8''u, realm=\"r\", userhash=true, " BASE_NQ, 0, "userhash" },
	};
	char *big;
	const char *err;
	struct digest_authz a;
	size_t i, len;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		len = v[i].len ? v[i].len : strlen(v[i].h);
		err = NULL;
		if (digest_authz_parse(&a, v[i].h, len, &err) == 0) {
			ok(0, "malformed %zu is refused (it parsed)", i);
			digest_authz_clear(&a);
			continue;
		}
		ok(err != NULL && err[0] != '\0' && strstr(err, v[i].why) != NULL &&
		    a.buf == NULL, "malformed %zu refused: %s", i, err);
	}
	ok(i >= 40, "at least 40 malformed headers (%zu)", i);

	/* Too long, and too many parameters */
	big = malloc(DIGEST_AUTHZ_MAX_LEN + 64);
	memcpy(big, BASE ", x=\"", sizeof(BASE ", x=\"") - 1);
	len = sizeof(BASE ", x=\"") - 1;
	memset(big + len, 'a', DIGEST_AUTHZ_MAX_LEN - len);
	memcpy(big + DIGEST_AUTHZ_MAX_LEN, "\"", 1);
	ok(digest_authz_parse(&a, big, DIGEST_AUTHZ_MAX_LEN + 1, &err) < 0 &&
	    strstr(err, "longer than") != NULL, "a header over %d bytes is refused", DIGEST_AUTHZ_MAX_LEN);
	big[DIGEST_AUTHZ_MAX_LEN - 1] = '"';
	ok(digest_authz_parse(&a, big, DIGEST_AUTHZ_MAX_LEN, &err) == 0,
	    "a header of exactly %d bytes parses", DIGEST_AUTHZ_MAX_LEN);
	digest_authz_clear(&a);
	len = (size_t)snprintf(big, DIGEST_AUTHZ_MAX_LEN, "%s", BASE);
	for (i = 0; i < DIGEST_AUTHZ_MAX_PARAMS; i++)
		len += (size_t)snprintf(big + len, DIGEST_AUTHZ_MAX_LEN - len, ", x%zu=1", i);
	ok(digest_authz_parse(&a, big, len, &err) < 0 && strstr(err, "more than") != NULL, "more than %d parameters are refused", DIGEST_AUTHZ_MAX_PARAMS);
	free(big);

	/* Every prefix of a valid header is either refused with a reason or
	 * parses: never a crash (ASan watches the reads). */
	{
		const char *h = "Authorization: Digest username*=UTF-8''J%C3%A4s, "
		    "realm=\"a\\\"b\", nonce=\"n\", uri=\"/\", qop=auth, nc=00000001, "
		    "cnonce=\"c\", response=\"0123456789abcdef0123456789abcdef\"";
		size_t n = strlen(h), bad = 0;

		for (len = 0; len <= n; len++) {
			char *copy = malloc(len ? len : 1);

			memcpy(copy, h, len);
			if (digest_authz_parse(&a, copy, len, &err) == 0)
				digest_authz_clear(&a);
			else if (err == NULL || err[0] == '\0')
				bad++;
			free(copy);
		}
		ok(bad == 0, "every prefix of a header parses or has a reason");
	}
}

static void
test_challenge(void)
{
	struct digest_challenge c = {
		.realm = "http-auth@example.org",
		.alg = digest_alg_find("SHA-256", 7),
		.nonce = RFC7616_NONCE,
		.opaque = RFC7616_OPAQUE,
		.qop = DIGEST_QOP_AUTH | DIGEST_QOP_AUTH_INT,
	};
	const char *err;
	char *line;
	unsigned qop;

	ok(digest_challenge(&c, &line, &err) == 0, "challenge built");
	is_str(line, "WWW-Authenticate: Digest realm=\"http-auth@example.org\", "
	    "qop=\"auth,auth-int\", algorithm=SHA-256, nonce=\"" RFC7616_NONCE "\", "
	    "opaque=\"" RFC7616_OPAQUE "\", charset=UTF-8", "challenge as in RFC 7616 3.9.1");
	free(line);

	c = (struct digest_challenge){ .realm = "a \"quoted\" \\ realm",
	    .alg = digest_alg_md5(), .nonce = "n", .qop = DIGEST_QOP_AUTH,
	    .proxy = true, .stale = true, .userhash = true };
	ok(digest_challenge(&c, &line, &err) == 0, "proxy challenge built");
	is_str(line, "Proxy-Authenticate: Digest realm=\"a \\\"quoted\\\" \\\\ realm\", "
	    "qop=\"auth\", algorithm=MD5, nonce=\"n\", stale=true, charset=UTF-8, "
	    "userhash=true", "realm escaped; proxy, stale, userhash");
	free(line);

	c.qop = DIGEST_QOP_NONE;
	c.proxy = c.stale = c.userhash = false;
	c.realm = "r";
	ok(digest_challenge(&c, &line, &err) == 0, "challenge without qop built");
	is_str(line, "WWW-Authenticate: Digest realm=\"r\", algorithm=MD5, nonce=\"n\", "
	    "charset=UTF-8", "no qop: RFC 2069 compatible");
	free(line);
	c.qop = DIGEST_QOP_AUTH_INT;
	ok(digest_challenge(&c, &line, &err) == 0 && strstr(line, "qop=\"auth-int\"") != NULL,
	    "auth-int only");
	free(line);

	c.realm = "bad\nrealm";
	ok(digest_challenge(&c, &line, &err) < 0 && line == NULL && err != NULL, "a realm with a line break is refused");
	c.realm = "r";
	c.opaque = "x\ry";
	ok(digest_challenge(&c, &line, &err) < 0, "an opaque with CR is refused");
	c.opaque = NULL;
	c.nonce = NULL;
	ok(digest_challenge(&c, &line, &err) < 0, "a challenge without nonce is refused");

	/* A challenge's own values round-trip through a client's answer. */
	{
		struct digest_authz a;
		const char *h = "Digest username=\"u\", realm=\"a \\\"quoted\\\" \\\\ realm\", "
		    BASE_NQ;

		ok(digest_authz_parse(&a, h, strlen(h), &err) == 0 &&
		    a.realm.n == strlen("a \"quoted\" \\ realm") &&
		    memcmp(a.realm.p, "a \"quoted\" \\ realm", a.realm.n) == 0,
		    "an escaped realm is unescaped by the parser");
		digest_authz_clear(&a);
	}

	ok(digest_qop_list("auth,auth-int", &qop) == 0 &&
	    qop == (DIGEST_QOP_AUTH | DIGEST_QOP_AUTH_INT), "qop list auth,auth-int");
	ok(digest_qop_list("auth-int, auth", &qop) == 0 &&
	    qop == (DIGEST_QOP_AUTH | DIGEST_QOP_AUTH_INT), "qop list with a space");
	ok(digest_qop_list("none", &qop) == 0 && qop == 0, "qop none");
	ok(digest_qop_list("auth,", &qop) < 0 && digest_qop_list("", &qop) < 0 &&
	    digest_qop_list("auth-conf", &qop) < 0, "bad qop lists refused");
}

#define SECRET "0123456789abcdef0123456789abcdef"
#define T0 ((time_t)1700000000)

static void
test_nonce(void)
{
	char n1[DIGEST_NONCE_TEXT_LEN + 1], n2[DIGEST_NONCE_TEXT_LEN + 1], bad[DIGEST_NONCE_TEXT_LEN + 2];
	const char *why;
	time_t issued;
	size_t i;
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	ok(digest_nonce_make(SECRET, 32, T0, n1, &why) == 0 && strlen(n1) == DIGEST_NONCE_TEXT_LEN,
	    "a nonce is %d characters", DIGEST_NONCE_TEXT_LEN);
	ok(strspn(n1, b64) == DIGEST_NONCE_TEXT_LEN, "in the base64url alphabet");
	digest_nonce_make(SECRET, 32, T0, n2, &why);
	ok(strcmp(n1, n2) != 0, "two nonces of the same second differ");
	ok(digest_nonce_check(SECRET, 32, n1, DIGEST_NONCE_TEXT_LEN, T0, 300, &issued, &why) ==
	    DIGEST_NONCE_FRESH && issued == T0, "fresh, and its timestamp is read back");
	ok(digest_nonce_check(SECRET, 32, n1, DIGEST_NONCE_TEXT_LEN, T0 + 300, 300, NULL, &why) ==
	    DIGEST_NONCE_FRESH, "fresh at the end of its lifetime");
	ok(digest_nonce_check(SECRET, 32, n1, DIGEST_NONCE_TEXT_LEN, T0 + 301, 300, &issued, &why) ==
	    DIGEST_NONCE_STALE && issued == T0 && why != NULL, "stale after its lifetime");
	ok(digest_nonce_check(SECRET, 32, n1, DIGEST_NONCE_TEXT_LEN, T0 - DIGEST_NONCE_CLOCK_SKEW, 300,
	    NULL, &why) == DIGEST_NONCE_FRESH, "fresh within the clock skew");
	ok(digest_nonce_check(SECRET, 32, n1, DIGEST_NONCE_TEXT_LEN, T0 - DIGEST_NONCE_CLOCK_SKEW - 1, 300,
	    NULL, &why) == DIGEST_NONCE_STALE, "stale when from the future");
	ok(digest_nonce_check("0123456789abcdef0123456789abcdeX", 32, n1, DIGEST_NONCE_TEXT_LEN,
	    T0, 300, &issued, &why) == DIGEST_NONCE_FORGED && issued == 0, "forged under another secret");

	/* Any one character changed is forged: timestamp, random or MAC. */
	for (i = 0; i < DIGEST_NONCE_TEXT_LEN; i++) {
		memcpy(bad, n1, sizeof(n1));
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		if (digest_nonce_check(SECRET, 32, bad, DIGEST_NONCE_TEXT_LEN, T0, 300, NULL, &why) !=
		    DIGEST_NONCE_FORGED)
			break;
	}
	ok(i == DIGEST_NONCE_TEXT_LEN, "every single-character change is forged");
	ok(digest_nonce_check(SECRET, 32, n1, DIGEST_NONCE_TEXT_LEN - 1, T0, 300, NULL, &why) ==
	    DIGEST_NONCE_FORGED, "a truncated nonce is forged");
	memcpy(bad, n1, sizeof(n1));
	bad[DIGEST_NONCE_TEXT_LEN] = 'A';
	ok(digest_nonce_check(SECRET, 32, bad, DIGEST_NONCE_TEXT_LEN + 1, T0, 300, NULL, &why) ==
	    DIGEST_NONCE_FORGED, "a lengthened nonce is forged");
	memcpy(bad, n1, sizeof(n1));
	bad[3] = '+';
	ok(digest_nonce_check(SECRET, 32, bad, DIGEST_NONCE_TEXT_LEN, T0, 300, NULL, &why) ==
	    DIGEST_NONCE_FORGED, "standard base64 characters are not accepted");
	memcpy(bad, n1, sizeof(n1));
	bad[3] = '\0';
	ok(digest_nonce_check(SECRET, 32, bad, DIGEST_NONCE_TEXT_LEN, T0, 300, NULL, &why) ==
	    DIGEST_NONCE_FORGED, "a NUL inside is forged");
	/* The last character carries 2 bits and 4 unused ones: another
	 * spelling of the same bytes must not pass. */
	memcpy(bad, n1, sizeof(n1));
	bad[DIGEST_NONCE_TEXT_LEN - 1] = b64[(strchr(b64, n1[DIGEST_NONCE_TEXT_LEN - 1]) - b64) ^ 1];
	ok(digest_nonce_check(SECRET, 32, bad, DIGEST_NONCE_TEXT_LEN, T0, 300, NULL, &why) ==
	    DIGEST_NONCE_FORGED, "a non-canonical spelling is forged");
	ok(digest_nonce_check(SECRET, 32, "", 0, T0, 300, NULL, &why) == DIGEST_NONCE_FORGED,
	    "an empty nonce is forged");
	ok(digest_nonce_make("short", 5, T0, n2, &why) < 0, "a short secret is refused");
	ok(digest_nonce_check("short", 5, n1, DIGEST_NONCE_TEXT_LEN, T0, 300, NULL, &why) ==
	    DIGEST_NONCE_FORGED, "checking with a short secret fails closed");
}

/* A nonce text for tracker tests: any string works as a key. */
static const char *
nk(int i)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "nonce-%d", i);
	return buf;
}

#define USE(t, i, nc, when) digest_nonce_tracker_use((t), nk(i), strlen(nk(i)), (nc), (when), &why)

static void
test_tracker(void)
{
	struct digest_nonce_tracker *t;
	const char *why;
	size_t i;
	int bad;

	ok(digest_nonce_tracker_new(0, 0, false) == NULL, "capacity 0 is refused");
	ok(digest_nonce_tracker_new(DIGEST_NONCE_TRACKER_MAX + 1, 0, false) == NULL,
	    "capacity above the maximum is refused");

	/* Non-strict: nc must grow, gaps allowed. */
	t = digest_nonce_tracker_new(8, 0, false);
	ok(USE(t, 1, 1, 100) == DIGEST_NONCE_USE_OK, "non-strict: first use");
	ok(USE(t, 1, 1, 100) == DIGEST_NONCE_USE_REPLAY, "non-strict: the same nc again is a replay");
	ok(USE(t, 1, 3, 100) == DIGEST_NONCE_USE_OK, "non-strict: a gap is fine");
	ok(USE(t, 1, 2, 100) == DIGEST_NONCE_USE_REPLAY, "non-strict: a lower nc is a replay");
	ok(USE(t, 1, 4, 100) == DIGEST_NONCE_USE_OK, "non-strict: the next nc");
	ok(USE(t, 2, 7, 100) == DIGEST_NONCE_USE_OK, "non-strict: a new nonce may start above 1");
	ok(USE(t, 3, 0, 100) == DIGEST_NONCE_USE_REPLAY, "nc 0 is refused");
	ok(digest_nonce_tracker_count(t) == 2, "two nonces tracked");
	digest_nonce_tracker_free(&t);
	ok(t == NULL, "free clears the pointer");
	digest_nonce_tracker_free(&t);

	/* Strict: exactly last + 1, starting at 1. */
	t = digest_nonce_tracker_new(8, 0, true);
	ok(USE(t, 1, 1, 100) == DIGEST_NONCE_USE_OK, "strict: first use with 1");
	ok(USE(t, 1, 3, 100) == DIGEST_NONCE_USE_REPLAY, "strict: a gap is refused");
	ok(USE(t, 1, 2, 100) == DIGEST_NONCE_USE_OK, "strict: last + 1");
	ok(USE(t, 1, 2, 100) == DIGEST_NONCE_USE_REPLAY, "strict: a replay is refused");
	ok(USE(t, 2, 2, 100) == DIGEST_NONCE_USE_STALE, "strict: a new nonce must start at 1");
	digest_nonce_tracker_free(&t);

	/* Maximum count */
	t = digest_nonce_tracker_new(8, 3, false);
	ok(USE(t, 1, 1, 100) == DIGEST_NONCE_USE_OK && USE(t, 1, 2, 100) == DIGEST_NONCE_USE_OK &&
	    USE(t, 1, 3, 100) == DIGEST_NONCE_USE_OK, "max count 3: three uses");
	ok(USE(t, 1, 4, 100) == DIGEST_NONCE_USE_STALE, "max count 3: the fourth is stale");
	digest_nonce_tracker_free(&t);

	/* Capacity: bounded, oldest evicted, an evicted nonce cannot return. */
	t = digest_nonce_tracker_new(4, 0, false);
	for (i = 1; i <= 10; i++)
		USE(t, (int)i, 1, (time_t)i);
	ok(digest_nonce_tracker_count(t) == 4, "capacity 4 holds 4 after 10 nonces");
	ok(USE(t, 1, 1, 1) == DIGEST_NONCE_USE_STALE, "an evicted nonce replayed with nc=1 is stale");
	ok(USE(t, 2, 2, 2) == DIGEST_NONCE_USE_STALE, "an evicted nonce with the next nc is stale");
	ok(USE(t, 5, 1, 5) == DIGEST_NONCE_USE_STALE, "an unseen nonce older than the evicted ones is stale");
	ok(USE(t, 10, 1, 10) == DIGEST_NONCE_USE_REPLAY, "a tracked nonce's replay is still caught");
	ok(USE(t, 11, 1, 11) == DIGEST_NONCE_USE_OK, "a newer nonce is accepted");
	ok(digest_nonce_tracker_count(t) == 4, "still 4");
	digest_nonce_tracker_free(&t);

	/* Least recently used goes first. */
	t = digest_nonce_tracker_new(2, 0, false);
	USE(t, 1, 1, 1);
	USE(t, 2, 1, 2);
	ok(USE(t, 1, 2, 1) == DIGEST_NONCE_USE_OK, "LRU: nonce 1 used again");
	ok(USE(t, 3, 1, 3) == DIGEST_NONCE_USE_OK, "LRU: nonce 3 evicts nonce 2");
	ok(USE(t, 1, 3, 1) == DIGEST_NONCE_USE_OK, "LRU: nonce 1 is still tracked");
	ok(USE(t, 2, 2, 2) == DIGEST_NONCE_USE_STALE, "LRU: nonce 2 was evicted");
	digest_nonce_tracker_free(&t);

	/* Many nonces through a small table: bounded, and consistent. */
	t = digest_nonce_tracker_new(1000, 0, true);
	for (i = 0, bad = 0; i < 50000; i++)
		if (USE(t, (int)i, 1, (time_t)(1000 + i)) != DIGEST_NONCE_USE_OK)
			bad++;
	ok(bad == 0 && digest_nonce_tracker_count(t) == 1000,
	    "50000 nonces through a table of 1000: all accepted, 1000 kept");
	for (i = 49000, bad = 0; i < 50000; i++)
		if (USE(t, (int)i, 2, (time_t)(1000 + i)) != DIGEST_NONCE_USE_OK)
			bad++;
	ok(bad == 0, "the 1000 most recent are all still tracked");
	digest_nonce_tracker_free(&t);
}

/* H(entity-body) from a file descriptor equals the in-memory hash. */
static void
test_hash_fd(void)
{
	const struct digest_alg *alg = digest_alg_find("SHA-512-256", 11);
	struct digest_str body = DIGEST_STR("hello, body\n");
	char want[DIGEST_HEX_MAX + 1], got[DIGEST_HEX_MAX + 1];
	const char *err;
	int fds[2], rc;

	digest_hash_parts(alg, &body, 1, want);
	if (pipe(fds) < 0 || write(fds[1], body.p, body.n) != (ssize_t)body.n) {
		ok(0, "pipe for digest_hash_fd");
		return;
	}
	close(fds[1]);
	ok(digest_hash_fd(alg, fds[0], got, &err) == 0, "digest_hash_fd reads a pipe");
	is_str(got, want, "H(body) from an fd equals the in-memory hash");
	close(fds[0]);
	err = NULL;
	rc = digest_hash_fd(alg, fds[0], got, &err);
	ok(rc < 0 && got[0] == '\0' && err != NULL, "a closed fd is an error: %s",
	    err != NULL ? err : "(none)");
}

int
main(void)
{
	test_rfc_vectors();
	test_python_vectors();
	test_rfc7616_userhash();
	test_username_ext();
	test_valid_variants();
	test_malformed();
	test_challenge();
	test_nonce();
	test_tracker();
	test_hash_fd();
	digest_cleanup();
	return done_testing();
}
