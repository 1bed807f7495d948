/* htable.c - the table behind htdigest.h: build, look up, list, free. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "secret.h"

_Static_assert(HTDIGEST_FIELD_MAX <= UINT16_MAX, "field lengths are stored in 16 bits");

static inline bool
slot_used(const struct htable_slot *s)
{
	return s->rec != 0;
}

static inline uint32_t
slot_rec(const struct htable_slot *s)
{
	return s->rec - 1;
}

static inline void
slot_set(struct htable_slot *s, uint64_t h, uint32_t rec)
{
	s->tag = (uint32_t)(h >> 32);
	s->rec = rec + 1;
}

/* The record's realm (NULL: realm-less) and its length. */
static const char *
rec_realm_name(const struct htdigest_table *t, const struct htrec *r,
    size_t *rlen_r)
{
	uint32_t ro = htrec_realm(r);

	if (ro == HTABLE_NO_REALM) {
		*rlen_r = 0;
		return NULL;
	}
	*rlen_r = htrealm_len(htrealm_at(t, ro));
	return htrealm_name(htrealm_at(t, ro));
}

/* Does the record at off hold this user and realm (NULL: realm-less)? */
static bool
rec_matches(const struct htdigest_table *t, uint32_t off, const char *user,
    size_t ulen, const char *realm, size_t rlen)
{
	const struct htrec *r = htrec_at(t, off);
	uint32_t ro = htrec_realm(r);
	const struct htrealm *rr;

	if (htrec_user_len(r) != ulen || memcmp(htrec_user(r), user, ulen) != 0)
		return false;
	if (realm == NULL || ro == HTABLE_NO_REALM)
		return realm == NULL && ro == HTABLE_NO_REALM;
	rr = htrealm_at(t, ro);
	return htrealm_len(rr) == rlen && memcmp(htrealm_name(rr), realm, rlen) == 0;
}

/* Slot index for the key: the one holding it, or the empty one where it
 * would go (linear probing; the table is at most three quarters full,
 * and a probe of eight slots reads one cache line). */
static size_t
find_slot(const struct htdigest_table *t, uint64_t h, const char *user,
    size_t ulen, const char *realm, size_t rlen)
{
	size_t i = (size_t)h & t->mask;
	uint32_t tag = (uint32_t)(h >> 32);

	while (slot_used(&t->slots[i])) {
		if (t->slots[i].tag == tag && rec_matches(t, slot_rec(&t->slots[i]),
		    user, ulen, realm, rlen))
			return i;
		i = (i + 1) & t->mask;
	}
	return i;
}

static uint64_t
rec_hash(const struct htdigest_table *t, uint32_t off)
{
	const struct htrec *r = htrec_at(t, off);
	const char *realm;
	size_t rlen;

	realm = rec_realm_name(t, r, &rlen);
	return htable_key_hash(htable_user_hash(htrec_user(r), htrec_user_len(r)),
	    htable_realm_hash(realm, rlen));
}

/* Double the slots: the file has more lines than its start promised. */
static void
grow_slots(struct htdigest_table *t)
{
	size_t n = t->nslots * 2, i, j;
	struct htable_slot *s = xcalloc(n, sizeof(*s));

	for (i = 0; i < t->nslots; i++) {
		if (!slot_used(&t->slots[i]))
			continue;
		j = (size_t)rec_hash(t, slot_rec(&t->slots[i])) & (n - 1);
		while (slot_used(&s[j]))
			j = (j + 1) & (n - 1);
		s[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
	t->mask = n - 1;
}

/* Room for need more arena bytes, which the arena lacks; false when that
 * passes 4 GiB. */
bool
htable_grow_arena(struct htdigest_table *t, size_t need)
{
	size_t ncap;
	char *n;

	if (t->arena_len + need > HTABLE_ARENA_MAX)
		return false;
	ncap = t->arena_cap * 2;
	if (ncap < t->arena_len + need)
		ncap = t->arena_len + need;
	if (ncap > HTABLE_ARENA_MAX)
		ncap = HTABLE_ARENA_MAX;
	/* grow without leaving a copy of the secrets behind */
	n = xmalloc(ncap);
	memcpy(n, t->arena, t->arena_len);
	secret_free(t->arena, t->arena_len);
	t->arena = n;
	t->arena_cap = ncap;
	return true;
}

static void
insert(struct htable_builder *b, const struct htable_pending *p)
{
	struct htdigest_table *t = b->t;
	const struct htrec *r = htrec_at(t, p->rec);
	const char *realm;
	size_t slot, rlen;

	if ((t->nentries + 1) * 4 > t->nslots * 3)
		grow_slots(t);
	realm = rec_realm_name(t, r, &rlen);
	slot = find_slot(t, p->h, htrec_user(r), htrec_user_len(r), realm, rlen);
	if (slot_used(&t->slots[slot])) {
		b->dup(p->tag, b->ctx);
		return;
	}
	slot_set(&t->slots[slot], p->h, p->rec);
	t->nentries++;
}

void
htable_insert_oldest(struct htable_builder *b)
{
	insert(b, &b->ring[b->ring_head]);
	b->ring_head = (b->ring_head + 1) % HTABLE_PREFETCH_AHEAD;
	b->ring_n--;
}

bool
htable_new_realm(struct htable_builder *b, const char *realm, size_t rlen)
{
	struct htdigest_table *t = b->t;

	if (!htable_reserve(t, htrealm_size(rlen)))
		return false;
	b->last_realm = (uint32_t)t->arena_len;
	b->last_rh = htable_realm_hash(realm, rlen);
	htrealm_write(t->arena + t->arena_len, realm, rlen);
	t->arena_len += htrealm_size(rlen);
	return true;
}

void
htable_start(struct htable_builder *b, size_t entries, size_t text_len,
    htable_dup_fn *dup, void *ctx)
{
	struct htdigest_table *t = xcalloc(1, sizeof(*t));
	size_t slots = 16;

	while (slots * 3 < entries * 4)
		slots *= 2;
	t->slots = xcalloc(slots, sizeof(*t->slots));
	t->nslots = slots;
	t->mask = slots - 1;
	/* a record's header outweighs the separators it replaces by less
	 * than 8 bytes */
	t->arena_cap = text_len + 8 * entries + 64;
	if (t->arena_cap > HTABLE_ARENA_MAX)
		t->arena_cap = HTABLE_ARENA_MAX;
	t->arena = xmalloc(t->arena_cap);
	memset(b, 0, sizeof(*b));
	b->t = t;
	b->dup = dup;
	b->ctx = ctx;
	b->last_realm = HTABLE_NO_REALM;
	b->last_rh = HTABLE_NO_REALM_HASH;
}

struct htdigest_table *
htable_finish(struct htable_builder *b)
{
	while (b->ring_n > 0)
		htable_insert_oldest(b);
	return b->t;
}

bool
htdigest_lookup(const struct htdigest_table *t, const char *user,
    size_t user_len, const char *realm, size_t realm_len,
    struct htdigest_value *v_r)
{
	const struct htrec *r;
	uint64_t uh;
	size_t slot;

	if (t == NULL || user_len > HTDIGEST_FIELD_MAX)
		return false;
	uh = htable_user_hash(user, user_len);
	slot = t->nslots;	/* no realm entry can be longer than a field */
	if (realm_len <= HTDIGEST_FIELD_MAX)
		slot = find_slot(t, htable_key_hash(uh, htable_realm_hash(realm, realm_len)),
		    user, user_len, realm, realm_len);
	if (slot == t->nslots || !slot_used(&t->slots[slot]))
		slot = find_slot(t, htable_key_hash(uh, HTABLE_NO_REALM_HASH), user, user_len,
		    NULL, 0);
	if (!slot_used(&t->slots[slot]))
		return false;
	r = htrec_at(t, slot_rec(&t->slots[slot]));
	v_r->kind = htrec_kind(r);
	v_r->p = htrec_value(r);
	v_r->n = htrec_value_len(r);
	return true;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
htdigest_foreach(const struct htdigest_table *t, htdigest_entry_fn *fn,
    void *ctx)
{
	uint32_t *recs;
	size_t i, n = 0;

	if (t == NULL || t->nentries == 0)
		return;
	/* records lie in the arena in file order */
	recs = xmalloc(t->nentries * sizeof(*recs));
	for (i = 0; i < t->nslots; i++)
		if (slot_used(&t->slots[i]))
			recs[n++] = slot_rec(&t->slots[i]);
	qsort(recs, n, sizeof(*recs), cmp_u32);
	for (i = 0; i < n; i++) {
		const struct htrec *r = htrec_at(t, recs[i]);
		const char *realm;
		size_t rlen;

		realm = rec_realm_name(t, r, &rlen);
		fn(htrec_user(r), htrec_user_len(r), realm, rlen, ctx);
	}
	free(recs);
}

size_t
htdigest_count(const struct htdigest_table *t)
{
	return t != NULL ? t->nentries : 0;
}

void
htdigest_free(struct htdigest_table **tp)
{
	struct htdigest_table *t = *tp;

	if (t == NULL)
		return;
	secret_free(t->arena, t->arena_len);	/* the rest was never written */
	free(t->slots);
	free(t);
	*tp = NULL;
}
