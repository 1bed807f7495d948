/* digest.c - HTTP Digest hashing over OpenSSL EVP. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "digest.h"
#include "secret.h"

/* RFC 7616 section 3.2 names; "SHA-512-256" is SHA-512/256 (FIPS 180-4). */
static const struct digest_alg digest_algs[] = {
	{ .name = "MD5", .evp_name = "MD5", .len = 16, .sess = false },
	{ .name = "MD5-sess", .evp_name = "MD5", .len = 16, .sess = true },
	{ .name = "SHA-256", .evp_name = "SHA256", .len = 32, .sess = false },
	{ .name = "SHA-256-sess", .evp_name = "SHA256", .len = 32, .sess = true },
	{ .name = "SHA-512-256", .evp_name = "SHA512-256", .len = 32, .sess = false },
	{ .name = "SHA-512-256-sess", .evp_name = "SHA512-256", .len = 32, .sess = true },
	{ .name = NULL },
};

#define N_ALGS (sizeof(digest_algs) / sizeof(digest_algs[0]) - 1)

static EVP_MD *fetched[N_ALGS];
static EVP_MD_CTX *ctx;

struct digest_str
digest_str_c(const char *s)
{
	struct digest_str d = { s != NULL ? s : "", s != NULL ? strlen(s) : 0 };

	return d;
}

const struct digest_alg *
digest_alg_find(const char *name, size_t len)
{
	const struct digest_alg *a;

	for (a = digest_algs; a->name != NULL; a++)
		if (strlen(a->name) == len && strncasecmp(a->name, name, len) == 0)
			return a;
	return NULL;
}

const struct digest_alg *
digest_alg_md5(void)
{
	return &digest_algs[0];
}

/* The EVP_MD for alg, fetched once: an implicit fetch per call would cost a
 * provider lookup on every request. */
static const EVP_MD *
md_of(const struct digest_alg *alg)
{
	size_t i = (size_t)(alg - digest_algs);

	if (i >= N_ALGS)
		return NULL;
	if (fetched[i] == NULL)
		fetched[i] = EVP_MD_fetch(NULL, alg->evp_name, NULL);
	return fetched[i];
}

static EVP_MD_CTX *
ctx_get(void)
{
	if (ctx == NULL)
		ctx = EVP_MD_CTX_new();
	return ctx;
}

int
digest_check(const struct digest_alg *alg, const char **err_r)
{
	char hex[DIGEST_HEX_MAX + 1];
	struct digest_str p = DIGEST_STR("x");

	if (md_of(alg) == NULL || ctx_get() == NULL ||
	    digest_hash_parts(alg, &p, 1, hex) < 0) {
		*err_r = "the OpenSSL hash needed for digest authentication is not available (FIPS mode?)";
		return -1;
	}
	return 0;
}

static void
to_hex(const unsigned char *bin, size_t n, char *hex_r)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		hex_r[2 * i] = digits[bin[i] >> 4];
		hex_r[2 * i + 1] = digits[bin[i] & 15];
	}
	hex_r[2 * n] = '\0';
}

int
digest_hash_parts(const struct digest_alg *alg, const struct digest_str *parts,
    size_t nparts, char *hex_r)
{
	unsigned char bin[EVP_MAX_MD_SIZE];
	unsigned int binlen = 0;
	const EVP_MD *md = md_of(alg);
	EVP_MD_CTX *c = ctx_get();
	size_t i;
	int ok;

	hex_r[0] = '\0';
	if (md == NULL || c == NULL)
		return -1;
	ok = EVP_DigestInit_ex(c, md, NULL);
	for (i = 0; ok && i < nparts; i++) {
		if (i > 0)
			ok = EVP_DigestUpdate(c, ":", 1);
		if (ok && parts[i].n > 0)
			ok = EVP_DigestUpdate(c, parts[i].p, parts[i].n);
	}
	if (ok)
		ok = EVP_DigestFinal_ex(c, bin, &binlen);
	if (!ok || binlen != alg->len) {
		secret_wipe(bin, sizeof(bin));
		return -1;
	}
	to_hex(bin, binlen, hex_r);
	secret_wipe(bin, sizeof(bin));
	return 0;
}

int
digest_ha1_session(const struct digest_alg *alg, const char *ha1_hex,
    struct digest_str nonce, struct digest_str cnonce, char *hex_r)
{
	char ha1[DIGEST_HEX_MAX + 1];
	struct digest_str parts[3];
	int rc = 0;

	if (ha1_hex == NULL || !digest_is_hex(alg, ha1_hex, strlen(ha1_hex)))
		return -1;
	/* the session HA1 hashes the hex text, so in lowercase (RFC 7616);
	 * a local copy also lets hex_r be ha1_hex */
	digest_hex_lower(ha1_hex, 2 * alg->len, ha1);
	if (!alg->sess) {
		memcpy(hex_r, ha1, 2 * alg->len + 1);
	} else {
		/* RFC 7616 3.4.2: A1 = H(user:realm:passwd) ":" nonce ":" cnonce */
		parts[0] = (struct digest_str){ ha1, 2 * alg->len };
		parts[1] = nonce;
		parts[2] = cnonce;
		rc = digest_hash_parts(alg, parts, 3, hex_r);
	}
	secret_wipe(ha1, sizeof(ha1));
	return rc;
}

int
digest_ha1(const struct digest_alg *alg, struct digest_str user,
    struct digest_str realm, struct digest_str password,
    struct digest_str nonce, struct digest_str cnonce, char *hex_r)
{
	/* RFC 2617 3.2.2.2: A1 = unq(username) ":" unq(realm) ":" passwd */
	struct digest_str parts[3] = { user, realm, password };
	char inner[DIGEST_HEX_MAX + 1];
	int rc;

	if (digest_hash_parts(alg, parts, 3, inner) < 0)
		return -1;
	rc = digest_ha1_session(alg, inner, nonce, cnonce, hex_r);
	secret_wipe(inner, sizeof(inner));
	return rc;
}

int
digest_response(const struct digest_alg *alg, const char *ha1_hex,
    struct digest_str nonce, struct digest_str nc, struct digest_str cnonce,
    struct digest_str qop, struct digest_str method, struct digest_str uri,
    const char *hentity_hex, char *hex_r)
{
	char ha2[DIGEST_HEX_MAX + 1];
	struct digest_str a2[3] = { method, uri, { NULL, 0 } };
	struct digest_str kd[6];
	size_t n2 = 2, nkd = 0;
	bool auth_int = qop.p != NULL && qop.n == 8 &&
	    strncasecmp(qop.p, "auth-int", 8) == 0;

	if (auth_int) {
		if (hentity_hex == NULL)
			return -1;
		a2[n2++] = (struct digest_str){ hentity_hex, 2 * alg->len };
	}
	if (digest_hash_parts(alg, a2, n2, ha2) < 0)
		return -1;

	/* KD(secret, data) = H(secret ":" data) */
	kd[nkd++] = (struct digest_str){ ha1_hex, 2 * alg->len };
	kd[nkd++] = nonce;
	if (qop.p != NULL) {
		kd[nkd++] = nc;
		kd[nkd++] = cnonce;
		kd[nkd++] = qop;
	}
	kd[nkd++] = (struct digest_str){ ha2, 2 * alg->len };
	return digest_hash_parts(alg, kd, nkd, hex_r);
}

int
digest_userhash(const struct digest_alg *alg, struct digest_str user,
    struct digest_str realm, char *hex_r)
{
	/* RFC 7616 3.4.4: username = H( unq(username) ":" unq(realm) ) */
	struct digest_str parts[2] = { user, realm };

	return digest_hash_parts(alg, parts, 2, hex_r);
}

int
digest_hash_fd(const struct digest_alg *alg, int fd, char *hex_r,
    const char **err_r)
{
	unsigned char bin[EVP_MAX_MD_SIZE], buf[16384];
	unsigned int binlen = 0;
	const EVP_MD *md = md_of(alg);
	EVP_MD_CTX *c = ctx_get();
	ssize_t n;

	hex_r[0] = '\0';
	*err_r = "hashing failed (OpenSSL)";
	if (md == NULL || c == NULL || !EVP_DigestInit_ex(c, md, NULL))
		return -1;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*err_r = "read error";
			return -1;
		}
		if (!EVP_DigestUpdate(c, buf, (size_t)n))
			return -1;
	}
	if (!EVP_DigestFinal_ex(c, bin, &binlen) || binlen != alg->len)
		return -1;
	to_hex(bin, binlen, hex_r);
	*err_r = NULL;
	return 0;
}

/* One table look-up per character instead of three range tests: this
 * runs for every line of a million-line -c file. */
static const unsigned char hex_digit[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};

#if defined(__GNUC__)
/* Sixteen characters at a time with the compiler's vector extension
 * (SSE2 on x86-64): a digit, or a letter a-f once folded to lower case.
 * Bytes from 0x80 up are negative here and fail both ranges. */
typedef signed char hex_vec __attribute__((vector_size(16)));

static bool
hex16(const char *s)
{
	const hex_vec c0 = (hex_vec){ 0 } + '0', c9 = (hex_vec){ 0 } + '9';
	const hex_vec ca = (hex_vec){ 0 } + 'a', cf = (hex_vec){ 0 } + 'f';
	const hex_vec fold = (hex_vec){ 0 } + 0x20;
	hex_vec v, l, ok;
	uint64_t w[2];

	memcpy(&v, s, sizeof(v));
	l = v | fold;
	ok = ((v >= c0) & (v <= c9)) | ((l >= ca) & (l <= cf));
	memcpy(w, &ok, sizeof(w));
	return (w[0] & w[1]) == UINT64_MAX;
}
#endif

bool
digest_is_hex(const struct digest_alg *alg, const char *s, size_t n)
{
	unsigned ok = 1;
	size_t i = 0;

	if (n != 2 * alg->len)
		return false;
#if defined(__GNUC__)
	for (; i + 16 <= n; i += 16)
		if (!hex16(s + i))
			return false;
#endif
	for (; i < n; i++)
		ok &= hex_digit[(unsigned char)s[i]];
	return ok != 0;
}

void
digest_hex_lower(const char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = in[i];

		out[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
}

bool
digest_hex_equal(struct digest_str got, const char *want_hex)
{
	char low[DIGEST_HEX_MAX + 1];
	bool eq;

	if (got.p == NULL || want_hex == NULL || got.n > DIGEST_HEX_MAX ||
	    got.n != strlen(want_hex))
		return false;
	digest_hex_lower(got.p, got.n, low);
	eq = secret_equal(low, want_hex, got.n);
	secret_wipe(low, sizeof(low));
	return eq;
}

void
digest_cleanup(void)
{
	size_t i;

	for (i = 0; i < N_ALGS; i++) {
		EVP_MD_free(fetched[i]);
		fetched[i] = NULL;
	}
	EVP_MD_CTX_free(ctx);
	ctx = NULL;
}
