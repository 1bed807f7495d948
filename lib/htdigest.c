/* htdigest.c - the password-file format: parse into a hash table, look up. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "htdigest.h"
#include "safefile.h"
#include "log.h"
#include "secret.h"

/* Warnings per parse: a broken million-line file must not flood cache.log. */
#define HTDIGEST_MAX_WARNINGS 20

#define HHA1_PREFIX "{HHA1}"
#define HHA1_PREFIX_LEN (sizeof(HHA1_PREFIX) - 1)

/* The table keeps only the fields, not the file: each entry is a record
 * in one arena,
 *
 *	u32 realm	arena offset of the realm, or NO_REALM: any realm
 *	u16 user_len, u16 value_len, u8 kind, then the user's and the
 *	value's bytes
 *
 * and a realm is stored once, as u16 length then bytes, for a run of
 * lines that share it (an htdigest file usually has one realm).  The
 * file itself is read through a small buffer that stays in cache, so a
 * million-line file touches 40 % less fresh memory than a copy of it
 * would.  Field lengths are 16 bits (a request line is 16 KiB at most
 * anyway); arena offsets are 32 bits, which caps the table at 4 GiB. */
#define NO_REALM UINT32_MAX
#define FIELD_MAX UINT16_MAX
#define REC_HDR 9
#define REALM_HDR 2
#define ARENA_MAX ((size_t)UINT32_MAX - 1)

/* The read buffer: lines longer than this grow it. */
#define READ_CHUNK (1024 * 1024)

/* A slot holds the record's offset and 32 bits of its hash, so a probe
 * touches a record only when the tags agree: the table, not the
 * scattered records, is what a lookup or a load walks through. */
struct slot {
	uint32_t tag;
	uint32_t rec;		/* arena offset + 1; 0 is empty */
};

struct htdigest_table {
	char *arena;		/* records and realms; wiped at free */
	size_t arena_len;
	size_t arena_cap;
	struct slot *slots;
	size_t nslots;
	size_t mask;		/* nslots - 1, nslots a power of two */
	size_t nentries;
	char *owned;		/* htdigest_parse's buffer, kept for the caller */
	size_t owned_len;
};

static inline uint32_t
rd32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t
rd16(const char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Mix 8 bytes at a time (multiply-xorshift); the keys come from the
 * admin's file, lookups cannot choose collisions into it. */
static uint64_t
mix_bytes(uint64_t h, const char *p, size_t n)
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
#define NO_REALM_HASH 0xbb67ae8584caa73bULL

static uint64_t
user_hash(const char *user, size_t ulen)
{
	return mix_bytes(0x6a09e667f3bcc908ULL, user, ulen);
}

static uint64_t
realm_hash(const char *realm, size_t rlen)
{
	return realm == NULL ? NO_REALM_HASH :
	    mix_bytes(0x3c6ef372fe94f82bULL, realm, rlen);
}

static uint64_t
key_hash(uint64_t uh, uint64_t rh)
{
	uint64_t h = (uh ^ rh) * 0xff51afd7ed558ccdULL;

	return h ^ (h >> 32);
}

/* Does the record at off hold this user and realm (NULL: realm-less)? */
static bool
rec_matches(const struct htdigest_table *t, uint32_t off, const char *user,
    size_t ulen, const char *realm, size_t rlen)
{
	const char *r = t->arena + off;
	uint32_t ro = rd32(r);

	if (rd16(r + 4) != ulen || memcmp(r + REC_HDR, user, ulen) != 0)
		return false;
	if (realm == NULL || ro == NO_REALM)
		return realm == NULL && ro == NO_REALM;
	return rd16(t->arena + ro) == rlen &&
	    memcmp(t->arena + ro + REALM_HDR, realm, rlen) == 0;
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

	while (t->slots[i].rec != 0) {
		if (t->slots[i].tag == tag && rec_matches(t, t->slots[i].rec - 1,
		    user, ulen, realm, rlen))
			return i;
		i = (i + 1) & t->mask;
	}
	return i;
}

static const char *
rec_realm(const struct htdigest_table *t, uint32_t off, size_t *rlen_r)
{
	uint32_t ro = rd32(t->arena + off);

	if (ro == NO_REALM) {
		*rlen_r = 0;
		return NULL;
	}
	*rlen_r = rd16(t->arena + ro);
	return t->arena + ro + REALM_HDR;
}

static uint64_t
rec_hash(const struct htdigest_table *t, uint32_t off)
{
	const char *r = t->arena + off, *realm;
	size_t rlen;

	realm = rec_realm(t, off, &rlen);
	return key_hash(user_hash(r + REC_HDR, rd16(r + 4)), realm_hash(realm, rlen));
}

/* Double the slots: the file has more lines than its first megabyte
 * promised. */
static void
grow_slots(struct htdigest_table *t)
{
	size_t n = t->nslots * 2, i, j;
	struct slot *s = xcalloc(n, sizeof(*s));

	for (i = 0; i < t->nslots; i++) {
		uint64_t h;

		if (t->slots[i].rec == 0)
			continue;
		h = rec_hash(t, t->slots[i].rec - 1);
		for (j = (size_t)h & (n - 1); s[j].rec != 0; j = (j + 1) & (n - 1))
			;
		s[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
	t->mask = n - 1;
}

struct pending {
	uint64_t h;
	uint32_t rec;
	uint32_t lineno;
};

/* Lines are inserted a few behind the parse, their slots prefetched when
 * parsed: the slots are far apart in memory and a load is bound by those
 * cache misses.  File order is kept, so the first line of a key wins. */
#define PREFETCH_AHEAD 16

struct builder {
	struct htdigest_table *t;
	const char *name;
	struct htdigest_stats *st;
	size_t warnings;
	size_t lineno;
	bool ha1_mode;
	bool full;		/* the arena reached 4 GiB */
	uint32_t last_realm;	/* the previous line's realm */
	uint64_t last_rh;
	struct pending ring[PREFETCH_AHEAD];
	size_t ring_head, ring_n;
};

static void
warn_line(struct builder *b, size_t lineno, const char *what)
{
	b->st->skipped++;
	if (++b->warnings <= HTDIGEST_MAX_WARNINGS)
		log_warn("%s:%zu: %s; line ignored", b->name, lineno, what);
}

static void
insert(struct builder *b, const struct pending *p)
{
	struct htdigest_table *t = b->t;
	const char *r = t->arena + p->rec, *realm;
	size_t slot, rlen;

	if ((t->nentries + 1) * 4 > t->nslots * 3)
		grow_slots(t);
	realm = rec_realm(t, p->rec, &rlen);
	slot = find_slot(t, p->h, r + REC_HDR, rd16(r + 4), realm, rlen);
	if (t->slots[slot].rec != 0) {
		/* first entry wins, as in Apache and nginx */
		b->st->duplicates++;
		if (++b->warnings <= HTDIGEST_MAX_WARNINGS)
			log_warn("%s:%u: duplicate entry for the same user and realm; the earlier line is used",
			    b->name, p->lineno);
		return;
	}
	t->slots[slot].tag = (uint32_t)(p->h >> 32);
	t->slots[slot].rec = p->rec + 1;
	t->nentries++;
}

static void
queue(struct builder *b, uint64_t h, uint32_t rec)
{
	struct pending *p;

	if (b->ring_n == PREFETCH_AHEAD) {
		insert(b, &b->ring[b->ring_head]);
		b->ring_head = (b->ring_head + 1) % PREFETCH_AHEAD;
		b->ring_n--;
	}
	__builtin_prefetch(&b->t->slots[(size_t)h & b->t->mask]);
	p = &b->ring[(b->ring_head + b->ring_n) % PREFETCH_AHEAD];
	p->h = h;
	p->rec = rec;
	p->lineno = (uint32_t)b->lineno;
	b->ring_n++;
}

static void
flush(struct builder *b)
{
	while (b->ring_n > 0) {
		insert(b, &b->ring[b->ring_head]);
		b->ring_head = (b->ring_head + 1) % PREFETCH_AHEAD;
		b->ring_n--;
	}
}

/* Room for need more arena bytes; false when that passes 4 GiB. */
static bool
arena_reserve(struct builder *b, size_t need)
{
	struct htdigest_table *t = b->t;
	size_t ncap;
	char *n;

	if (t->arena_len + need <= t->arena_cap)
		return true;
	if (t->arena_len + need > ARENA_MAX) {
		if (!b->full)
			log_warn("%s: only the first 4 GiB of entries are kept", b->name);
		b->full = true;
		b->st->complete = false;
		return false;
	}
	ncap = t->arena_cap * 2;
	if (ncap < t->arena_len + need)
		ncap = t->arena_len + need;
	if (ncap > ARENA_MAX)
		ncap = ARENA_MAX;
	/* grow without leaving a copy of the secrets behind */
	n = xmalloc(ncap);
	memcpy(n, t->arena, t->arena_len);
	secret_free(t->arena, t->arena_len);
	t->arena = n;
	t->arena_cap = ncap;
	return true;
}

/* The realm record for this line: the previous line's when it is the
 * same, else a new one.  False when the arena is full. */
static bool
line_realm(struct builder *b, const char *realm, size_t rlen)
{
	struct htdigest_table *t = b->t;

	if (realm == NULL) {
		b->last_realm = NO_REALM;
		b->last_rh = NO_REALM_HASH;
		return true;
	}
	if (b->last_realm != NO_REALM && rd16(t->arena + b->last_realm) == rlen &&
	    memcmp(t->arena + b->last_realm + REALM_HDR, realm, rlen) == 0)
		return true;
	if (!arena_reserve(b, REALM_HDR + rlen))
		return false;
	b->last_realm = (uint32_t)t->arena_len;
	b->last_rh = realm_hash(realm, rlen);
	memcpy(t->arena + t->arena_len, &(uint16_t){ (uint16_t)rlen }, REALM_HDR);
	memcpy(t->arena + t->arena_len + REALM_HDR, realm, rlen);
	t->arena_len += REALM_HDR + rlen;
	return true;
}

/* Parse one line (no LF; nul: it may hold a NUL byte) into a record. */
static void
parse_line(struct builder *b, const char *p, size_t n, bool nul)
{
	struct htdigest_table *t = b->t;
	const char *end, *c1, *c2, *v, *realm = NULL;
	size_t vlen, ulen, rlen = 0;
	bool ha1 = b->ha1_mode;
	uint8_t kind;
	uint16_t u16;
	char *r;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0 || p[0] == '#' || p[0] == ' ' || p[0] == '\t')
		return;
	if (nul && memchr(p, '\0', n) != NULL) {
		warn_line(b, b->lineno, "NUL byte in line");
		return;
	}
	end = p + n;
	c1 = memchr(p, ':', n);
	if (c1 == NULL) {
		warn_line(b, b->lineno, "expected user:password, user:realm:password or user:realm:HA1");
		return;
	}
	if (c1 == p) {
		warn_line(b, b->lineno, "empty user name");
		return;
	}
	ulen = (size_t)(c1 - p);
	c2 = memchr(c1 + 1, ':', (size_t)(end - (c1 + 1)));
	if (ulen > FIELD_MAX || (c2 != NULL && (size_t)(c2 - (c1 + 1)) > FIELD_MAX)) {
		warn_line(b, b->lineno, "user or realm longer than 65535 bytes");
		return;
	}
	if (c2 != NULL) {
		if (c2 == c1 + 1) {
			warn_line(b, b->lineno, "empty realm");
			return;
		}
		realm = c1 + 1;
		rlen = (size_t)(c2 - realm);
		v = c2 + 1;
	} else {
		v = c1 + 1;
	}
	vlen = (size_t)(end - v);
	if (vlen == 0) {
		warn_line(b, b->lineno, "empty password field");
		return;
	}
	if (vlen >= HHA1_PREFIX_LEN && memcmp(v, HHA1_PREFIX, HHA1_PREFIX_LEN) == 0) {
		v += HHA1_PREFIX_LEN;
		vlen -= HHA1_PREFIX_LEN;
		ha1 = true;
	}
	if (ha1 && !digest_is_hex(digest_alg_md5(), v, vlen)) {
		warn_line(b, b->lineno, "HA1 field is not 32 hex digits");
		return;
	}
	if (vlen > FIELD_MAX) {
		warn_line(b, b->lineno, "password field longer than 65535 bytes");
		return;
	}
	if (!line_realm(b, realm, rlen) || !arena_reserve(b, REC_HDR + ulen + vlen))
		return;
	r = t->arena + t->arena_len;
	memcpy(r, &b->last_realm, 4);
	u16 = (uint16_t)ulen;
	memcpy(r + 4, &u16, 2);
	u16 = (uint16_t)vlen;
	memcpy(r + 6, &u16, 2);
	kind = ha1 ? HTDIGEST_HA1 : HTDIGEST_PLAIN;
	r[8] = (char)kind;
	memcpy(r + REC_HDR, p, ulen);
	memcpy(r + REC_HDR + ulen, v, vlen);
	queue(b, key_hash(user_hash(p, ulen), b->last_rh), (uint32_t)t->arena_len);
	t->arena_len += REC_HDR + ulen + vlen;
}

/* Parse the whole lines of buf[0..len), and with eof the last one too.
 * Returns the bytes used: the start of an unfinished line. */
static size_t
parse_lines(struct builder *b, const char *buf, size_t len, bool eof)
{
	const char *p = buf, *end = buf + len;
	bool nul = memchr(buf, '\0', len) != NULL;

	while (p < end && !b->full) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (lf == NULL && !eof)
			break;
		n = lf != NULL ? (size_t)(lf - p) : (size_t)(end - p);
		if (b->lineno++ == 0 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
			/* a UTF-8 byte-order mark (a Windows editor's) would
			 * make it part of the first user's name */
			log_warn("%s:1: a UTF-8 byte-order mark; ignored", b->name);
			p += 3;
			n -= 3;
		}
		parse_line(b, p, n, nul);
		p += n + 1;
	}
	return p < end ? (size_t)(p - buf) : len;
}

/* Size the table from the file's size and its first lines: slots for
 * the lines expected, and room for their records. */
static struct htdigest_table *
table_new(const char *sample, size_t sample_len, size_t total)
{
	struct htdigest_table *t = xcalloc(1, sizeof(*t));
	size_t lines = 1, est, slots = 16;
	const char *p = sample, *end = sample + sample_len, *lf;

	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p = lf + 1;
	}
	est = sample_len > 0 ? total / sample_len * lines +
	    total % sample_len * lines / sample_len + 1 : 1;
	while (slots * 3 < est * 4)
		slots *= 2;
	t->slots = xcalloc(slots, sizeof(*t->slots));
	t->nslots = slots;
	t->mask = slots - 1;
	t->arena_cap = total + 8 * est + 64;
	if (t->arena_cap > ARENA_MAX)
		t->arena_cap = ARENA_MAX;
	t->arena = xmalloc(t->arena_cap);
	return t;
}

static void
builder_start(struct builder *b, const char *name, bool ha1_mode,
    struct htdigest_stats *st)
{
	memset(b, 0, sizeof(*b));
	memset(st, 0, sizeof(*st));
	b->name = name;
	b->st = st;
	b->ha1_mode = ha1_mode;
	b->last_realm = NO_REALM;
	b->last_rh = NO_REALM_HASH;
}

static struct htdigest_table *
builder_finish(struct builder *b, bool last_lf)
{
	flush(b);
	if (b->warnings > HTDIGEST_MAX_WARNINGS)
		log_warn("%s: %zu more warnings not shown", b->name,
		    b->warnings - HTDIGEST_MAX_WARNINGS);
	b->st->lines = b->lineno;
	b->st->entries = b->t->nentries;
	b->st->complete = !b->full && last_lf;
	return b->t;
}

struct htdigest_table *
htdigest_parse(char *buf, size_t len, bool ha1_mode, const char *name,
    struct htdigest_stats *st_r)
{
	struct builder b;
	struct htdigest_table *t;

	builder_start(&b, name, ha1_mode, st_r);
	b.t = table_new(buf, len < READ_CHUNK ? len : READ_CHUNK, len);
	parse_lines(&b, buf, len, true);
	t = builder_finish(&b, len == 0 || buf[len - 1] == '\n');
	t->owned = buf;
	t->owned_len = len;
	return t;
}

int
htdigest_load(const char *path, bool ha1_mode, struct htdigest_table **t_r,
    struct htdigest_stats *stats_r, struct stat *st_r, char *err_r,
    size_t errlen)
{
	struct builder b;
	char *buf = NULL;
	size_t cap = 0, have = 0;
	bool last_lf = true;
	int fd, saved;

	*t_r = NULL;
	builder_start(&b, path, ha1_mode, stats_r);
	/* links checked, a FIFO or device refused without blocking */
	fd = safe_open_read(path, st_r, err_r, errlen);
	if (fd < 0)
		return -1;
	/* Read through one buffer, parsing the whole lines in it; a line
	 * longer than the buffer grows it.  The file may grow as we read. */
	cap = (size_t)st_r->st_size + 1 < READ_CHUNK ? (size_t)st_r->st_size + 1 : READ_CHUNK;
	if (cap < 4096)
		cap = 4096;
	buf = xmalloc(cap);
	for (;;) {
		size_t used;
		ssize_t n;

		if (have == cap) {
			char *nbuf = xmalloc(cap * 2);

			memcpy(nbuf, buf, have);
			secret_free(buf, cap);
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + have, cap - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err_r, errlen, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (b.t == NULL)
			b.t = table_new(buf, have + (size_t)n,
			    (size_t)st_r->st_size > have + (size_t)n ?
			    (size_t)st_r->st_size : have + (size_t)n);
		if (n == 0) {
			parse_lines(&b, buf, have, true);
			break;
		}
		have += (size_t)n;
		last_lf = buf[have - 1] == '\n';
		used = parse_lines(&b, buf, have, false);
		memmove(buf, buf + used, have - used);
		have -= used;
		if (b.full)
			break;
	}
	close(fd);
	secret_free(buf, cap);
	*t_r = builder_finish(&b, last_lf);
	return 0;
fail:
	saved = errno;		/* callers compare it to tell repeats apart */
	if (buf != NULL)
		secret_free(buf, cap);
	if (b.t != NULL)
		htdigest_free(&b.t);
	close(fd);
	errno = saved;
	return -1;
}

bool
htdigest_lookup(const struct htdigest_table *t, const char *user,
    size_t user_len, const char *realm, size_t realm_len,
    struct htdigest_value *v_r)
{
	const char *r;
	uint64_t uh;
	size_t slot;

	if (t == NULL || user_len > FIELD_MAX)
		return false;
	uh = user_hash(user, user_len);
	slot = t->nslots;	/* no realm entry can be longer than a field */
	if (realm_len <= FIELD_MAX)
		slot = find_slot(t, key_hash(uh, realm_hash(realm, realm_len)),
		    user, user_len, realm, realm_len);
	if (slot == t->nslots || t->slots[slot].rec == 0)
		slot = find_slot(t, key_hash(uh, NO_REALM_HASH), user, user_len,
		    NULL, 0);
	if (t->slots[slot].rec == 0)
		return false;
	r = t->arena + t->slots[slot].rec - 1;
	v_r->kind = (enum htdigest_kind)(unsigned char)r[8];
	v_r->p = r + REC_HDR + rd16(r + 4);
	v_r->n = rd16(r + 6);
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
		if (t->slots[i].rec != 0)
			recs[n++] = t->slots[i].rec - 1;
	qsort(recs, n, sizeof(*recs), cmp_u32);
	for (i = 0; i < n; i++) {
		const char *r = t->arena + recs[i], *realm;
		size_t rlen;

		realm = rec_realm(t, recs[i], &rlen);
		fn(r + REC_HDR, rd16(r + 4), realm, rlen, ctx);
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
	if (t->owned != NULL)
		secret_free(t->owned, t->owned_len);
	free(t->slots);
	free(t);
	*tp = NULL;
}
