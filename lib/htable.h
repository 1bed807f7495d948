/* htable.h - the table behind htdigest.h: entries kept in one arena and
 * found through an open-addressing hash table over it.
 *
 * htdigest.c reads the file and feeds its parsed lines to a builder;
 * htable.c keeps them, and implements htdigest_lookup, htdigest_foreach,
 * htdigest_count and htdigest_free.
 *
 * The table keeps only the fields, not the file.  Each entry is a record
 * in the arena, in file order:
 *
 *	u32 realm	arena offset of a realm record, or HTABLE_NO_REALM
 *	u16 user_len, u16 value_len, u8 kind, then the user's and the
 *	value's bytes
 *
 * and a realm is stored once, as a realm record (u16 length, then the
 * bytes), for a run of lines that share it: an htdigest file usually has
 * one realm.  Field lengths are 16 bits (HTDIGEST_FIELD_MAX); arena
 * offsets are 32 bits, which caps the table at 4 GiB.  Records are not
 * aligned: they are read and written through the accessors below only.
 */
#ifndef DH_HTABLE_H
#define DH_HTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "htdigest.h"

#define HTABLE_NO_REALM UINT32_MAX
#define HTABLE_ARENA_MAX ((size_t)UINT32_MAX - 1)

/* A slot holds a record's offset and 32 bits of its key's hash, so a
 * probe touches a record only when the tags agree: the slots, not the
 * scattered records, are what a lookup or a load walks through. */
struct htable_slot {
	uint32_t tag;
	uint32_t rec;		/* arena offset + 1; 0 is empty */
};

struct htdigest_table {
	char *arena;		/* records and realms; wiped at free */
	size_t arena_len;
	size_t arena_cap;
	struct htable_slot *slots;
	size_t nslots;
	size_t mask;		/* nslots - 1, nslots a power of two */
	size_t nentries;
};

/* --- records ---------------------------------------------------------------
 * struct htrec and struct htrealm are never defined: a pointer to one is
 * an arena position, and only these accessors know what lies there. */
struct htrec;
struct htrealm;

#define HTREC_REALM	0			/* u32 */
#define HTREC_USER_LEN	(HTREC_REALM + 4)	/* u16 */
#define HTREC_VALUE_LEN	(HTREC_USER_LEN + 2)	/* u16 */
#define HTREC_KIND	(HTREC_VALUE_LEN + 2)	/* u8 */
#define HTREC_HDR	(HTREC_KIND + 1)	/* then user, value */
#define HTREALM_LEN	0			/* u16 */
#define HTREALM_HDR	(HTREALM_LEN + 2)	/* then the realm */

static inline uint32_t
htable_rd32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline size_t
htable_rd16(const char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
htable_wr32(char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void
htable_wr16(char *p, size_t v)
{
	uint16_t u = (uint16_t)v;

	memcpy(p, &u, sizeof(u));
}

static inline const struct htrec *
htrec_at(const struct htdigest_table *t, uint32_t off)
{
	return (const struct htrec *)(const void *)(t->arena + off);
}

static inline const char *
htrec_base(const struct htrec *r)
{
	return (const char *)(const void *)r;
}

/* the realm record's offset, or HTABLE_NO_REALM */
static inline uint32_t
htrec_realm(const struct htrec *r)
{
	return htable_rd32(htrec_base(r) + HTREC_REALM);
}

static inline size_t
htrec_user_len(const struct htrec *r)
{
	return htable_rd16(htrec_base(r) + HTREC_USER_LEN);
}

static inline const char *
htrec_user(const struct htrec *r)
{
	return htrec_base(r) + HTREC_HDR;
}

static inline size_t
htrec_value_len(const struct htrec *r)
{
	return htable_rd16(htrec_base(r) + HTREC_VALUE_LEN);
}

static inline const char *
htrec_value(const struct htrec *r)
{
	return htrec_user(r) + htrec_user_len(r);
}

static inline enum htdigest_kind
htrec_kind(const struct htrec *r)
{
	return (enum htdigest_kind)(unsigned char)htrec_base(r)[HTREC_KIND];
}

static inline size_t
htrec_size(size_t user_len, size_t value_len)
{
	return HTREC_HDR + user_len + value_len;
}

/* Write a record at dst, which has htrec_size(ulen, vlen) bytes. */
static inline void
htrec_write(char *dst, uint32_t realm, const char *user, size_t ulen,
    const char *value, size_t vlen, enum htdigest_kind kind)
{
	htable_wr32(dst + HTREC_REALM, realm);
	htable_wr16(dst + HTREC_USER_LEN, ulen);
	htable_wr16(dst + HTREC_VALUE_LEN, vlen);
	dst[HTREC_KIND] = (char)kind;
	memcpy(dst + HTREC_HDR, user, ulen);
	memcpy(dst + HTREC_HDR + ulen, value, vlen);
}

static inline const struct htrealm *
htrealm_at(const struct htdigest_table *t, uint32_t off)
{
	return (const struct htrealm *)(const void *)(t->arena + off);
}

static inline size_t
htrealm_len(const struct htrealm *rr)
{
	return htable_rd16((const char *)(const void *)rr + HTREALM_LEN);
}

static inline const char *
htrealm_name(const struct htrealm *rr)
{
	return (const char *)(const void *)rr + HTREALM_HDR;
}

static inline size_t
htrealm_size(size_t rlen)
{
	return HTREALM_HDR + rlen;
}

static inline void
htrealm_write(char *dst, const char *realm, size_t rlen)
{
	htable_wr16(dst + HTREALM_LEN, rlen);
	memcpy(dst + HTREALM_HDR, realm, rlen);
}

/* --- hashing: inline, for the per-line path of a load ----------------------- */

/* Mix 8 bytes at a time (multiply-xorshift); the keys come from the
 * admin's file, lookups cannot choose collisions into it. */
static inline uint64_t
htable_mix(uint64_t h, const char *p, size_t n)
{
	uint64_t w;

	while (n >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w ^ ((uint64_t)n << 56)) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

/* A key's hash combines the user's with the realm's, so a file's lines
 * hash only their user: the realm's hash is kept for the run of lines
 * that share it.  Realm-less keys get a fixed realm hash of their own. */
#define HTABLE_NO_REALM_HASH 0xbb67ae8584caa73bULL

static inline uint64_t
htable_user_hash(const char *user, size_t ulen)
{
	return htable_mix(0x6a09e667f3bcc908ULL, user, ulen);
}

static inline uint64_t
htable_realm_hash(const char *realm, size_t rlen)
{
	return realm == NULL ? HTABLE_NO_REALM_HASH :
	    htable_mix(0x3c6ef372fe94f82bULL, realm, rlen);
}

static inline uint64_t
htable_key_hash(uint64_t uh, uint64_t rh)
{
	uint64_t h = (uh ^ rh) * 0xff51afd7ed558ccdULL;

	return h ^ (h >> 32);
}

/* --- building ----------------------------------------------------------------
 * Lines are inserted a few behind the parse, their slots prefetched when
 * they are added: the slots are far apart in memory and a load is bound
 * by those cache misses.  File order is kept, so the first line of a key
 * wins. */
#define HTABLE_PREFETCH_AHEAD 16

/* Called when an entry turns out to repeat an earlier key (and is
 * dropped), with the tag it was added with. */
typedef void htable_dup_fn(uint32_t tag, void *ctx);

struct htable_pending {
	uint64_t h;
	uint32_t rec;
	uint32_t tag;
};

struct htable_builder {
	struct htdigest_table *t;	/* NULL until htable_start */
	htable_dup_fn *dup;
	void *ctx;
	uint32_t last_realm;	/* the previous entry's realm record */
	uint64_t last_rh;	/* and its hash */
	struct htable_pending ring[HTABLE_PREFETCH_AHEAD];
	size_t ring_head, ring_n;
};

/* A new table in b, sized for about entries entries whose fields take
 * about text_len bytes; it grows as needed. */
void htable_start(struct htable_builder *b, size_t entries, size_t text_len,
    htable_dup_fn *dup, void *ctx);

/* Insert what is still pending and return the table. */
struct htdigest_table *htable_finish(struct htable_builder *b);

/* The slow paths of htable_add, in htable.c: grow the arena for need more
 * bytes (false when that passes 4 GiB), store a realm record as the
 * current realm, insert the oldest pending entry. */
bool htable_grow_arena(struct htdigest_table *t, size_t need);
bool htable_new_realm(struct htable_builder *b, const char *realm,
    size_t rlen);
void htable_insert_oldest(struct htable_builder *b);

/* htable_add runs once a line of a load, so it and its fast paths are
 * inline, in the loader's loop; the rare paths are the calls above. */
static inline bool
htable_reserve(struct htdigest_table *t, size_t need)
{
	return t->arena_len + need <= t->arena_cap || htable_grow_arena(t, need);
}

/* Make the entry's realm the current one: the previous entry's when it
 * is the same, else a new realm record.  False when the arena is full. */
static inline bool
htable_use_realm(struct htable_builder *b, const char *realm, size_t rlen)
{
	const struct htrealm *last;

	if (realm == NULL) {
		b->last_realm = HTABLE_NO_REALM;
		b->last_rh = HTABLE_NO_REALM_HASH;
		return true;
	}
	if (b->last_realm != HTABLE_NO_REALM) {
		last = htrealm_at(b->t, b->last_realm);
		if (htrealm_len(last) == rlen && memcmp(htrealm_name(last), realm, rlen) == 0)
			return true;
	}
	return htable_new_realm(b, realm, rlen);
}

static inline void
htable_queue(struct htable_builder *b, uint64_t h, uint32_t rec, uint32_t tag)
{
	struct htable_pending *p;

	if (b->ring_n == HTABLE_PREFETCH_AHEAD)
		htable_insert_oldest(b);
	__builtin_prefetch(&b->t->slots[(size_t)h & b->t->mask]);
	p = &b->ring[(b->ring_head + b->ring_n) % HTABLE_PREFETCH_AHEAD];
	p->h = h;
	p->rec = rec;
	p->tag = tag;
	b->ring_n++;
}

/* Add a good line (l->bad == 0), tagged for the dup callback.  False when
 * the arena would pass 4 GiB: the entry is not added. */
static inline bool
htable_add(struct htable_builder *b, const struct htdigest_line *l,
    uint32_t tag)
{
	struct htdigest_table *t = b->t;
	size_t size = htrec_size(l->user_len, l->value_len);
	uint32_t off;

	if (!htable_use_realm(b, l->realm, l->realm_len) || !htable_reserve(t, size))
		return false;
	off = (uint32_t)t->arena_len;
	htrec_write(t->arena + off, b->last_realm, l->user, l->user_len,
	    l->value, l->value_len, l->kind);
	t->arena_len += size;
	htable_queue(b, htable_key_hash(htable_user_hash(l->user, l->user_len),
	    b->last_rh), off, tag);
	return true;
}

#endif
