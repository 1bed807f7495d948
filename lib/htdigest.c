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
#include "log.h"
#include "secret.h"

/* Warnings per parse: a broken million-line file must not flood cache.log. */
#define HTDIGEST_MAX_WARNINGS 20

#define HHA1_PREFIX "{HHA1}"
#define HHA1_PREFIX_LEN (sizeof(HHA1_PREFIX) - 1)

/* 32 bytes an entry: offsets into the file's bytes instead of pointers,
 * field lengths in 16 bits (a request line is at most 16 KiB anyway). */
#define NO_REALM UINT32_MAX
#define FIELD_MAX UINT16_MAX

struct entry {
	uint32_t user;		/* offsets into the table's buffer */
	uint32_t realm;		/* NO_REALM: any realm */
	uint32_t value;
	uint16_t user_len;
	uint16_t realm_len;
	uint16_t value_len;
	uint8_t kind;
	uint32_t hlo;		/* the key's hash, low and high halves */
	uint32_t hhi;
	uint32_t lineno;	/* for the duplicate warning */
};

struct htdigest_table {
	char *buf;		/* the file's bytes; entries point here */
	size_t buflen;
	struct entry *entries;	/* every parsed line, duplicates too */
	size_t nentries;	/* entries reachable through slots */
	struct slot *slots;
	size_t nslots;
	size_t mask;		/* nslots - 1, nslots a power of two */
};

/* A slot holds the entry's index and 32 bits of its hash, so a probe
 * touches an entry only when the tags agree: the table, not the scattered
 * entries, is what a lookup or a load walks through. */
struct slot {
	uint32_t tag;
	uint32_t idx;		/* entry index + 1; 0 is empty */
};

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

/* User, then realm; realm-less keys get another seed, so "bob" any-realm
 * and "bob" with some realm never compare equal by accident. */
static uint64_t
key_hash(const char *user, size_t ulen, const char *realm, size_t rlen)
{
	uint64_t h = mix_bytes(realm != NULL ? 0x6a09e667f3bcc908ULL :
	    0xbb67ae8584caa73bULL, user, ulen);

	if (realm != NULL)
		h = mix_bytes(h ^ 0x3c6ef372fe94f82bULL, realm, rlen);
	return h;
}

static uint64_t
entry_hash(const struct entry *e)
{
	return (uint64_t)e->hhi << 32 | e->hlo;
}

static bool
key_equal(const char *buf, const struct entry *e, uint64_t h,
    const char *user, size_t ulen, const char *realm, size_t rlen)
{
	if (entry_hash(e) != h || e->user_len != ulen ||
	    memcmp(buf + e->user, user, ulen) != 0)
		return false;
	if (realm == NULL || e->realm == NO_REALM)
		return realm == NULL && e->realm == NO_REALM;
	return e->realm_len == rlen && memcmp(buf + e->realm, realm, rlen) == 0;
}

/* Slot index for the key: the one holding it, or the empty one where it
 * would go (linear probing; the table is never more than half full). */
static size_t
find_slot(const struct htdigest_table *t, uint64_t h, const char *user,
    size_t ulen, const char *realm, size_t rlen)
{
	size_t i = (size_t)h & t->mask;
	uint32_t tag = (uint32_t)(h >> 32);

	while (t->slots[i].idx != 0) {
		if (t->slots[i].tag == tag) {
			const struct entry *e = &t->entries[t->slots[i].idx - 1];

			if (key_equal(t->buf, e, h, user, ulen, realm, rlen))
				return i;
		}
		i = (i + 1) & t->mask;
	}
	return i;
}

static size_t
count_lines(const char *buf, size_t len)
{
	size_t n = 0;
	const char *p = buf, *end = buf + len, *lf;

	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p = lf + 1;
	}
	return n + (p < end);
}

struct parse_state {
	const char *name;
	size_t warnings;
	struct htdigest_stats *st;
};

static void
warn_line(struct parse_state *ps, size_t lineno, const char *what)
{
	ps->st->skipped++;
	if (++ps->warnings <= HTDIGEST_MAX_WARNINGS)
		log_warn("%s:%zu: %s; line ignored", ps->name, lineno, what);
}

/* Parse one line (no LF) into e.  Returns true when it is an entry;
 * false for comments and blank lines, and for bad lines (warned). */
static bool
parse_line(struct parse_state *ps, size_t lineno, const char *p, size_t n,
    bool ha1_mode, const char *buf, struct entry *e)
{
	const char *end, *c1, *c2, *v;
	uint64_t h;
	size_t vlen;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0 || p[0] == '#' || p[0] == ' ' || p[0] == '\t')
		return false;
	if (memchr(p, '\0', n) != NULL) {
		warn_line(ps, lineno, "NUL byte in line");
		return false;
	}
	end = p + n;
	c1 = memchr(p, ':', n);
	if (c1 == NULL) {
		warn_line(ps, lineno, "expected user:password, user:realm:password or user:realm:HA1");
		return false;
	}
	if (c1 == p) {
		warn_line(ps, lineno, "empty user name");
		return false;
	}
	c2 = memchr(c1 + 1, ':', (size_t)(end - (c1 + 1)));
	if ((size_t)(c1 - p) > FIELD_MAX || (c2 != NULL &&
	    (size_t)(c2 - (c1 + 1)) > FIELD_MAX)) {
		warn_line(ps, lineno, "user or realm longer than 65535 bytes");
		return false;
	}
	e->user = (uint32_t)(p - buf);
	e->user_len = (uint16_t)(c1 - p);
	if (c2 != NULL) {
		if (c2 == c1 + 1) {
			warn_line(ps, lineno, "empty realm");
			return false;
		}
		e->realm = (uint32_t)(c1 + 1 - buf);
		e->realm_len = (uint16_t)(c2 - (c1 + 1));
		v = c2 + 1;
	} else {
		e->realm = NO_REALM;
		e->realm_len = 0;
		v = c1 + 1;
	}
	vlen = (size_t)(end - v);
	if (vlen == 0) {
		warn_line(ps, lineno, "empty password field");
		return false;
	}
	if (vlen >= HHA1_PREFIX_LEN && memcmp(v, HHA1_PREFIX, HHA1_PREFIX_LEN) == 0) {
		v += HHA1_PREFIX_LEN;
		vlen -= HHA1_PREFIX_LEN;
		ha1_mode = true;
	}
	if (ha1_mode && !digest_is_hex(digest_alg_md5(), v, vlen)) {
		warn_line(ps, lineno, "HA1 field is not 32 hex digits");
		return false;
	}
	if (vlen > FIELD_MAX) {
		warn_line(ps, lineno, "password field longer than 65535 bytes");
		return false;
	}
	e->value = (uint32_t)(v - buf);
	e->value_len = (uint16_t)vlen;
	e->kind = ha1_mode ? HTDIGEST_HA1 : HTDIGEST_PLAIN;
	h = key_hash(p, e->user_len, e->realm == NO_REALM ? NULL : buf + e->realm,
	    e->realm_len);
	e->hlo = (uint32_t)h;
	e->hhi = (uint32_t)(h >> 32);
	return true;
}

/* Insert entries[0..n) in file order (so the first line of a key wins),
 * prefetching the slot a few entries ahead: the slots are far apart in
 * memory and the load is bound by those cache misses. */
#define PREFETCH_AHEAD 16

static void
insert_all(struct htdigest_table *t, size_t n, struct parse_state *ps)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct entry *e = &t->entries[i];
		size_t slot;

		if (i + PREFETCH_AHEAD < n)
			__builtin_prefetch(&t->slots[t->entries[i + PREFETCH_AHEAD].hlo & t->mask]);
		slot = find_slot(t, entry_hash(e), t->buf + e->user, e->user_len,
		    e->realm == NO_REALM ? NULL : t->buf + e->realm, e->realm_len);
		if (t->slots[slot].idx != 0) {
			/* first entry wins, as in Apache and nginx */
			ps->st->duplicates++;
			if (++ps->warnings <= HTDIGEST_MAX_WARNINGS)
				log_warn("%s:%u: duplicate entry for the same user and realm; the earlier line is used",
				    ps->name, e->lineno);
			continue;
		}
		t->slots[slot].tag = e->hhi;
		t->slots[slot].idx = (uint32_t)(i + 1);
		t->nentries++;
	}
}

struct htdigest_table *
htdigest_parse(char *buf, size_t len, bool ha1_mode, const char *name,
    struct htdigest_stats *st_r)
{
	struct htdigest_table *t = xcalloc(1, sizeof(*t));
	struct parse_state ps = { .name = name, .st = st_r };
	size_t whole = len, nlines, slots = 16, lineno = 0, n = 0;
	const char *p, *end;

	memset(st_r, 0, sizeof(*st_r));
	st_r->complete = len == 0 || buf[len - 1] == '\n';
	if (len > UINT32_MAX - 1) {	/* offsets are 32-bit: 4 GiB is plenty */
		log_warn("%s: only the first 4 GiB are read", name);
		len = UINT32_MAX - 1;
		st_r->complete = false;
	}
	nlines = count_lines(buf, len);
	p = buf;
	end = buf + len;
	while (slots < 2 * nlines)
		slots *= 2;
	t->buf = buf;
	t->buflen = whole;	/* wiped whole at free, even past a clamp */
	t->entries = xmalloc((nlines ? nlines : 1) * sizeof(*t->entries));
	t->slots = xcalloc(slots, sizeof(*t->slots));
	t->nslots = slots;
	t->mask = slots - 1;

	/* one sequential pass over the file, then the inserts */
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t ln = lf != NULL ? (size_t)(lf - p) : (size_t)(end - p);

		lineno++;
		if (parse_line(&ps, lineno, p, ln, ha1_mode, buf, &t->entries[n])) {
			t->entries[n].lineno = (uint32_t)lineno;
			n++;
		}
		p += ln + 1;
	}
	insert_all(t, n, &ps);
	if (ps.warnings > HTDIGEST_MAX_WARNINGS)
		log_warn("%s: %zu more warnings not shown", name,
		    ps.warnings - HTDIGEST_MAX_WARNINGS);
	st_r->lines = lineno;
	st_r->entries = t->nentries;
	return t;
}

int
htdigest_load(const char *path, bool ha1_mode, struct htdigest_table **t_r,
    struct htdigest_stats *stats_r, struct stat *st_r, char *err_r,
    size_t errlen)
{
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int fd, saved;

	*t_r = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		saved = errno;
		snprintf(err_r, errlen, "cannot open %s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, st_r) < 0) {
		snprintf(err_r, errlen, "cannot stat %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st_r->st_mode)) {
		snprintf(err_r, errlen, "%s is not a regular file", path);
		errno = EINVAL;
		goto fail;
	}
	/* One read of the whole file; it may grow while we read. */
	cap = (size_t)st_r->st_size + 1;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t ncap = cap * 2;
			char *nbuf = xmalloc(ncap);

			/* grow without leaving a copy of the secrets behind */
			memcpy(nbuf, buf, len);
			secret_free(buf, cap);
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err_r, errlen, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*t_r = htdigest_parse(buf, len, ha1_mode, path, stats_r);
	return 0;
fail:
	saved = errno;		/* callers compare it to tell repeats apart */
	if (buf != NULL)
		secret_free(buf, cap);
	close(fd);
	errno = saved;
	return -1;
}

bool
htdigest_lookup(const struct htdigest_table *t, const char *user,
    size_t user_len, const char *realm, size_t realm_len,
    struct htdigest_value *v_r)
{
	const struct entry *e = NULL;
	size_t slot;
	uint64_t h;

	if (t == NULL || user_len > UINT32_MAX || realm_len > UINT32_MAX)
		return false;
	h = key_hash(user, user_len, realm, realm_len);
	slot = find_slot(t, h, user, user_len, realm, realm_len);
	if (t->slots[slot].idx == 0) {
		h = key_hash(user, user_len, NULL, 0);
		slot = find_slot(t, h, user, user_len, NULL, 0);
	}
	if (t->slots[slot].idx == 0)
		return false;
	e = &t->entries[t->slots[slot].idx - 1];
	v_r->kind = (enum htdigest_kind)e->kind;
	v_r->p = t->buf + e->value;
	v_r->n = e->value_len;
	return true;
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
	secret_free(t->buf, t->buflen);
	free(t->entries);
	free(t->slots);
	free(t);
	*tp = NULL;
}
