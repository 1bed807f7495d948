/* nonce.c - stateless server nonces and a bounded nonce-count tracker. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "digest.h"
#include "nonce.h"
#include "secret.h"

/* Domain separation: a MAC made here means nothing to any other use of
 * the same secret, and a future format can change the label. */
static const char mac_label[] = "digest-helpers nonce v1";

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int nonce_mac(const void *, size_t, const unsigned char *,
    unsigned char *);
static void b64url_encode(const unsigned char *, size_t, char *);
static int b64url_decode(const char *, size_t, unsigned char *, size_t);
static int tracker_key(const char *, size_t, unsigned char *);
static uint32_t *bucket_of(struct digest_nonce_tracker *,
    const unsigned char *);
static void lru_unlink(struct digest_nonce_tracker *, uint32_t);
static void lru_push(struct digest_nonce_tracker *, uint32_t);
static uint32_t evict(struct digest_nonce_tracker *);

/* mac_r = HMAC-SHA-256(secret, label || ts || random), first 16 bytes. */
static int
nonce_mac(const void *secret, size_t secret_len, const unsigned char *body,
    unsigned char *mac_r)
{
	unsigned char msg[sizeof(mac_label) - 1 + DIGEST_NONCE_TS_LEN +
	    DIGEST_NONCE_RAND_LEN];
	unsigned char full[EVP_MAX_MD_SIZE];
	unsigned int full_len = 0;
	int rc = -1;

	memcpy(msg, mac_label, sizeof(mac_label) - 1);
	memcpy(msg + sizeof(mac_label) - 1, body,
	    DIGEST_NONCE_TS_LEN + DIGEST_NONCE_RAND_LEN);
	if (HMAC(EVP_sha256(), secret, (int)secret_len, msg, sizeof(msg), full,
	    &full_len) != NULL && full_len >= DIGEST_NONCE_MAC_LEN) {
		memcpy(mac_r, full, DIGEST_NONCE_MAC_LEN);
		rc = 0;
	}
	secret_wipe(full, sizeof(full));
	return rc;
}

/* Unpadded base64url (RFC 4648 section 5); out holds 4n/3 rounded up + 1. */
static void
b64url_encode(const unsigned char *in, size_t n, char *out)
{
	unsigned long acc = 0;
	size_t i, o = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64url[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = b64url[(acc << (6 - bits)) & 63];
	out[o] = '\0';
}

/* Decode exactly outlen bytes from in[0..n).  The encoding must be the
 * canonical one (no padding, unused low bits zero), so a nonce has one
 * spelling only.  Returns 0 or -1. */
static int
b64url_decode(const char *in, size_t n, unsigned char *out, size_t outlen)
{
	unsigned long acc = 0;
	size_t i, o = 0;
	int bits = 0;

	if (n != (outlen * 8 + 5) / 6)
		return -1;
	for (i = 0; i < n; i++) {
		const char *c = in[i] != '\0' ? strchr(b64url, in[i]) : NULL;

		if (c == NULL)
			return -1;
		acc = (acc << 6) | (unsigned long)(c - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
		acc &= (1ul << bits) - 1;
	}
	return o == outlen && acc == 0 ? 0 : -1;
}

int
digest_nonce_make(const void *secret, size_t secret_len, time_t now,
    char *text_r, const char **err_r)
{
	unsigned char raw[DIGEST_NONCE_RAW_LEN];
	uint64_t ts = (uint64_t)now;
	int i;

	text_r[0] = '\0';
	if (secret_len < DIGEST_NONCE_SECRET_MIN ||
	    secret_len > DIGEST_NONCE_SECRET_MAX) {
		*err_r = "the nonce secret must be 16 to 4096 bytes";
		return -1;
	}
	for (i = DIGEST_NONCE_TS_LEN - 1; i >= 0; i--) {
		raw[i] = (unsigned char)(ts & 0xff);
		ts >>= 8;
	}
	if (RAND_bytes(raw + DIGEST_NONCE_TS_LEN, DIGEST_NONCE_RAND_LEN) != 1) {
		*err_r = "no random bytes from OpenSSL (RAND_bytes failed)";
		return -1;
	}
	if (nonce_mac(secret, secret_len, raw, raw + DIGEST_NONCE_TS_LEN +
	    DIGEST_NONCE_RAND_LEN) < 0) {
		*err_r = "HMAC-SHA-256 failed (OpenSSL)";
		return -1;
	}
	b64url_encode(raw, sizeof(raw), text_r);
	return 0;
}

enum digest_nonce_status
digest_nonce_check(const void *secret, size_t secret_len, const char *text,
    size_t len, time_t now, unsigned long lifetime, time_t *issued_r,
    const char **why_r)
{
	unsigned char raw[DIGEST_NONCE_RAW_LEN], mac[DIGEST_NONCE_MAC_LEN];
	uint64_t ts = 0;
	int64_t t;
	size_t i;
	bool good;

	if (issued_r != NULL)
		*issued_r = 0;
	*why_r = NULL;
	if (secret_len < DIGEST_NONCE_SECRET_MIN ||
	    secret_len > DIGEST_NONCE_SECRET_MAX) {
		*why_r = "the nonce secret must be 16 to 4096 bytes";
		return DIGEST_NONCE_FORGED;
	}
	if (b64url_decode(text, len, raw, sizeof(raw)) < 0) {
		*why_r = "not a nonce made by digest-helpers (wrong length or characters)";
		return DIGEST_NONCE_FORGED;
	}
	if (nonce_mac(secret, secret_len, raw, mac) < 0) {
		*why_r = "HMAC-SHA-256 failed (OpenSSL)";
		return DIGEST_NONCE_FORGED;
	}
	good = secret_equal(mac, raw + DIGEST_NONCE_TS_LEN +
	    DIGEST_NONCE_RAND_LEN, sizeof(mac));
	secret_wipe(mac, sizeof(mac));
	if (!good) {
		*why_r = "its MAC does not match: not issued with this secret";
		return DIGEST_NONCE_FORGED;
	}
	for (i = 0; i < DIGEST_NONCE_TS_LEN; i++)
		ts = (ts << 8) | raw[i];
	t = (int64_t)ts;
	if (issued_r != NULL)
		*issued_r = (time_t)t;
	if (t > (int64_t)now + DIGEST_NONCE_CLOCK_SKEW) {
		*why_r = "issued in the future (the server clock went back?)";
		return DIGEST_NONCE_STALE;
	}
	if ((int64_t)now - t > (int64_t)lifetime) {
		*why_r = "older than the nonce lifetime";
		return DIGEST_NONCE_STALE;
	}
	return DIGEST_NONCE_FRESH;
}

/* --- the nonce-count tracker ---------------------------------------------- */

#define NIL UINT32_MAX
#define KEY_LEN 16	/* first 128 bits of SHA-256(nonce text) */

struct entry {
	unsigned char key[KEY_LEN];
	uint32_t last_nc;
	uint32_t uses;
	time_t issued;
	uint32_t prev, next;	/* LRU list: head is the most recent */
	uint32_t chain;		/* next entry in the same hash bucket */
};

struct digest_nonce_tracker {
	struct entry *e;	/* cap entries; the first count are in use */
	uint32_t *bucket;	/* nbuckets heads, NIL when empty */
	size_t cap, count, nbuckets;
	uint32_t head, tail;
	uint32_t max_count;
	bool strict;
	bool evicted;		/* floor is meaningful */
	time_t floor;		/* newest issue time of an evicted nonce */
};

struct digest_nonce_tracker *
digest_nonce_tracker_new(size_t capacity, uint32_t max_count, bool strict)
{
	struct digest_nonce_tracker *t;
	size_t i;

	if (capacity == 0 || capacity > DIGEST_NONCE_TRACKER_MAX)
		return NULL;
	/* a library does not exit: out of memory is NULL, like a bad size */
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->cap = capacity;
	for (t->nbuckets = 1; t->nbuckets < capacity; t->nbuckets *= 2)
		;
	t->e = calloc(capacity, sizeof(*t->e));
	t->bucket = calloc(t->nbuckets, sizeof(*t->bucket));
	if (t->e == NULL || t->bucket == NULL) {
		digest_nonce_tracker_free(&t);
		return NULL;
	}
	for (i = 0; i < t->nbuckets; i++)
		t->bucket[i] = NIL;
	t->head = t->tail = NIL;
	t->max_count = max_count;
	t->strict = strict;
	return t;
}

void
digest_nonce_tracker_free(struct digest_nonce_tracker **tp)
{
	struct digest_nonce_tracker *t = *tp;

	if (t == NULL)
		return;
	free(t->e);
	free(t->bucket);
	free(t);
	*tp = NULL;
}

size_t
digest_nonce_tracker_count(const struct digest_nonce_tracker *t)
{
	return t->count;
}

static int
tracker_key(const char *text, size_t len, unsigned char *key_r)
{
	const struct digest_alg *sha = digest_alg_find("SHA-256", 7);
	struct digest_str part = { text, len };
	char hex[DIGEST_HEX_MAX + 1];
	size_t i;

	if (sha == NULL || digest_hash_parts(sha, &part, 1, hex) < 0)
		return -1;
	for (i = 0; i < KEY_LEN; i++) {
		unsigned char hi = (unsigned char)hex[2 * i], lo = (unsigned char)hex[2 * i + 1];

		key_r[i] = (unsigned char)(((hi <= '9' ? hi - '0' : hi - 'a' + 10) << 4) |
		    (lo <= '9' ? lo - '0' : lo - 'a' + 10));
	}
	return 0;
}

static uint32_t *
bucket_of(struct digest_nonce_tracker *t, const unsigned char *key)
{
	uint32_t h = ((uint32_t)key[0] << 24) | ((uint32_t)key[1] << 16) |
	    ((uint32_t)key[2] << 8) | key[3];

	return &t->bucket[h & (t->nbuckets - 1)];
}

static void
lru_unlink(struct digest_nonce_tracker *t, uint32_t i)
{
	struct entry *e = &t->e[i];

	if (e->prev != NIL)
		t->e[e->prev].next = e->next;
	else
		t->head = e->next;
	if (e->next != NIL)
		t->e[e->next].prev = e->prev;
	else
		t->tail = e->prev;
	e->prev = e->next = NIL;
}

static void
lru_push(struct digest_nonce_tracker *t, uint32_t i)
{
	struct entry *e = &t->e[i];

	e->prev = NIL;
	e->next = t->head;
	if (t->head != NIL)
		t->e[t->head].prev = i;
	t->head = i;
	if (t->tail == NIL)
		t->tail = i;
}

/* Take the least recently used entry out of the table; its slot is reused. */
static uint32_t
evict(struct digest_nonce_tracker *t)
{
	uint32_t i = t->tail, *pp;
	struct entry *e = &t->e[i];

	lru_unlink(t, i);
	for (pp = bucket_of(t, e->key); *pp != i; pp = &t->e[*pp].chain)
		;
	*pp = e->chain;
	if (!t->evicted || e->issued > t->floor)
		t->floor = e->issued;
	t->evicted = true;
	return i;
}

enum digest_nonce_use
digest_nonce_tracker_use(struct digest_nonce_tracker *t, const char *text,
    size_t len, uint32_t nc, time_t issued, const char **why_r)
{
	unsigned char key[KEY_LEN];
	uint32_t i, *bp;
	struct entry *e;

	*why_r = NULL;
	if (nc == 0) {
		*why_r = "nonce count 0: counts start at 1";
		return DIGEST_NONCE_USE_REPLAY;
	}
	if (tracker_key(text, len, key) < 0) {
		*why_r = "SHA-256 failed (OpenSSL)";
		return DIGEST_NONCE_USE_STALE;
	}
	bp = bucket_of(t, key);
	for (i = *bp; i != NIL; i = t->e[i].chain)
		if (memcmp(t->e[i].key, key, KEY_LEN) == 0)
			break;

	if (i == NIL) {
		/* First use: an evicted nonce coming back looks the same. */
		if (t->evicted && issued <= t->floor) {
			*why_r = "nonce no longer tracked (evicted): a new one is needed";
			return DIGEST_NONCE_USE_STALE;
		}
		if (t->strict && nc != 1) {
			*why_r = "first use of a nonce must have nc=00000001 (strict)";
			return DIGEST_NONCE_USE_STALE;
		}
		if (t->count < t->cap)
			i = (uint32_t)t->count++;
		else
			i = evict(t);
		bp = bucket_of(t, key);	/* eviction may have changed the chain */
		e = &t->e[i];
		memcpy(e->key, key, KEY_LEN);
		e->last_nc = nc;
		e->uses = 1;
		e->issued = issued;
		e->chain = *bp;
		*bp = i;
		lru_push(t, i);
		return DIGEST_NONCE_USE_OK;
	}

	e = &t->e[i];
	if (nc <= e->last_nc) {
		*why_r = "nonce count not above the last one: a replay";
		return DIGEST_NONCE_USE_REPLAY;
	}
	if (t->strict && nc != e->last_nc + 1) {
		*why_r = "nonce count skipped a value (strict)";
		return DIGEST_NONCE_USE_REPLAY;
	}
	if (t->max_count != 0 && e->uses >= t->max_count) {
		*why_r = "nonce used its maximum number of times: a new one is needed";
		return DIGEST_NONCE_USE_STALE;
	}
	e->last_nc = nc;
	e->uses++;
	lru_unlink(t, i);
	lru_push(t, i);
	return DIGEST_NONCE_USE_OK;
}
