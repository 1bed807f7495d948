/* digestauth/nonce.h - stateless server nonces and a bounded nonce-count tracker.
 *
 * A nonce is 40 bytes written as 54 characters of unpadded base64url:
 *
 *   timestamp (8 bytes, big-endian seconds) || random (16 bytes, RAND_bytes)
 *   || HMAC-SHA-256(secret, "digest-helpers nonce v1" || timestamp || random)
 *      truncated to 16 bytes
 *
 * so a server needs no state to tell its own nonces (fresh or stale) from
 * forged ones: RFC 7616 section 3.3 suggests exactly this shape.  The
 * secret is the caller's (a file read at start); these functions never
 * keep a copy of it.
 *
 * A nonce alone does not stop a replay within its lifetime; the tracker
 * does: it remembers, for a bounded number of nonces, the last nonce-count
 * (nc) and how often the nonce was used, like Squid's nonce_max_count and
 * nonce_strictness and nginx's auth_digest_replays.
 *
 * Part of the public API of libdigestauth (digestauth_nonce(3)).
 */
#ifndef DIGESTAUTH_NONCE_H
#define DIGESTAUTH_NONCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DIGEST_NONCE_TS_LEN	8
#define DIGEST_NONCE_RAND_LEN	16
/* 128 bits of HMAC-SHA-256: forging stays 2^-128 */
#define DIGEST_NONCE_MAC_LEN	16
#define DIGEST_NONCE_RAW_LEN \
	(DIGEST_NONCE_TS_LEN + DIGEST_NONCE_RAND_LEN + DIGEST_NONCE_MAC_LEN)
/* ceil(40 * 8 / 6) base64url characters */
#define DIGEST_NONCE_TEXT_LEN	54

/* A shorter secret is refused: it could be guessed from one nonce. */
#define DIGEST_NONCE_SECRET_MIN 16
#define DIGEST_NONCE_SECRET_MAX 4096

/* A nonce stamped this far in the future (server clocks stepped back, or a
 * second server running ahead) is stale, not fresh. */
#define DIGEST_NONCE_CLOCK_SKEW 60

enum digest_nonce_status {
	DIGEST_NONCE_FRESH,	/* ours, within its lifetime */
	DIGEST_NONCE_STALE,	/* ours, but expired: answer with stale=true */
	DIGEST_NONCE_FORGED,	/* not made with this secret, or malformed */
};

/* Make a nonce stamped `now` into text_r (DIGEST_NONCE_TEXT_LEN + 1 bytes,
 * NUL-terminated).  Returns 0, or -1 with *err_r set to a static reason
 * (secret too short or too long, no randomness, HMAC failed). */
DIGESTAUTH_API
int digest_nonce_make(const void *secret, size_t secret_len, time_t now,
    char *text_r, const char **err_r);

/* Check text[0..len) against the secret at time `now`.  FORGED when it is
 * not a well-formed nonce or its MAC does not match (compared in constant
 * time); STALE when it was issued more than lifetime seconds ago or more
 * than DIGEST_NONCE_CLOCK_SKEW seconds in the future; FRESH otherwise.
 * When the MAC matches, *issued_r gets its timestamp (otherwise 0);
 * issued_r may be NULL.  *why_r gets a static reason for STALE and FORGED. */
DIGESTAUTH_API
enum digest_nonce_status digest_nonce_check(const void *secret,
    size_t secret_len, const char *text, size_t len, time_t now, unsigned long lifetime,
    time_t *issued_r, const char **why_r);

/* The tracker's verdict on one use of a nonce. */
enum digest_nonce_use {
	/* accepted, and remembered */
	DIGEST_NONCE_USE_OK,
	/* nc not after the last one (or, when strict, not the next one):
	 * refuse the request */
	DIGEST_NONCE_USE_REPLAY,
	/* used max_count times, or no longer tracked: refuse with
	 * stale=true so the client takes a new nonce */
	DIGEST_NONCE_USE_STALE,
};

/* The largest table a tracker accepts. */
#define DIGEST_NONCE_TRACKER_MAX (1u << 22)

struct digest_nonce_tracker;

/* A tracker for up to capacity nonces (1 .. DIGEST_NONCE_TRACKER_MAX).
 * max_count: how many times one nonce may be used (0: no limit).
 * strict: nc must be exactly the last one + 1 (and start at 1); otherwise
 * it must only grow.  Returns NULL when capacity is out of range or
 * memory runs out.  The caller owns the tracker: free it with
 * digest_nonce_tracker_free(). */
DIGESTAUTH_API
struct digest_nonce_tracker *digest_nonce_tracker_new(size_t capacity,
    uint32_t max_count, bool strict);

/* Free the tracker and clear the caller's pointer; NULL is fine. */
DIGESTAUTH_API
void digest_nonce_tracker_free(struct digest_nonce_tracker **tp);

/* Record one use of nonce text[0..len) with count nc, issued at `issued`
 * (from digest_nonce_check(); 0 when unknown).  Call it only after the
 * response matched, so a wrong guess cannot use up a count.  A nonce not in the
 * table is added (its first use); when the table is full the least
 * recently used entry is evicted, and from then on an unknown nonce issued
 * no later than the newest evicted one is STALE: it may be an evicted one
 * coming back, whose last count is forgotten.  *why_r gets a static reason
 * unless the verdict is OK. */
DIGESTAUTH_API
enum digest_nonce_use digest_nonce_tracker_use(struct digest_nonce_tracker *t,
    const char *text, size_t len, uint32_t nc, time_t issued, const char **why_r);

/* How many nonces the tracker holds now (never more than its capacity). */
DIGESTAUTH_API
size_t digest_nonce_tracker_count(const struct digest_nonce_tracker *t);

#ifdef __cplusplus
}
#endif

#endif
