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

struct entry {
	const char *user;
	const char *realm;	/* NULL: any realm */
	const char *value;
	uint64_t hash;
	uint32_t user_len;
	uint32_t realm_len;
	uint32_t value_len;
	uint8_t kind;
};

struct htdigest_table {
	char *buf;		/* the file's bytes; entries point here */
	size_t buflen;
	struct entry *entries;
	size_t nentries;
	uint32_t *slots;	/* entry index + 1; 0 is empty */
	size_t mask;		/* slot count - 1, a power of two minus one */
};

/* FNV-1a over user, a marker byte, then realm: realm-less keys get a
 * different marker so "bob" and "bob" + realm "" never collide by design. */
static uint64_t
key_hash(const char *user, size_t ulen, const char *realm, size_t rlen)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < ulen; i++)
		h = (h ^ (unsigned char)user[i]) * 1099511628211ULL;
	h = (h ^ (realm != NULL ? 1u : 2u)) * 1099511628211ULL;
	for (i = 0; realm != NULL && i < rlen; i++)
		h = (h ^ (unsigned char)realm[i]) * 1099511628211ULL;
	/* fold the high bits down: the mask keeps only low bits */
	return h ^ (h >> 29);
}

static bool
key_equal(const struct entry *e, uint64_t h, const char *user, size_t ulen,
    const char *realm, size_t rlen)
{
	if (e->hash != h || e->user_len != ulen ||
	    memcmp(e->user, user, ulen) != 0)
		return false;
	if (realm == NULL || e->realm == NULL)
		return realm == NULL && e->realm == NULL;
	return e->realm_len == rlen && memcmp(e->realm, realm, rlen) == 0;
}

/* Slot index for the key: the one holding it, or the empty one where it
 * would go (linear probing; the table is never more than half full). */
static size_t
find_slot(const struct htdigest_table *t, uint64_t h, const char *user,
    size_t ulen, const char *realm, size_t rlen)
{
	size_t i = (size_t)h & t->mask;

	while (t->slots[i] != 0) {
		const struct entry *e = &t->entries[t->slots[i] - 1];

		if (key_equal(e, h, user, ulen, realm, rlen))
			return i;
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
    bool ha1_mode, struct entry *e)
{
	const char *end, *c1, *c2, *v;
	size_t vlen;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0 || p[0] == '#' || p[0] == ' ' || p[0] == '\t')
		return false;
	if (memchr(p, '\0', n) != NULL) {
		warn_line(ps, lineno, "NUL byte in line");
		return false;
	}
	if (n > UINT32_MAX) {
		warn_line(ps, lineno, "line too long");
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
	e->user = p;
	e->user_len = (uint32_t)(c1 - p);
	if (c2 != NULL) {
		if (c2 == c1 + 1) {
			warn_line(ps, lineno, "empty realm");
			return false;
		}
		e->realm = c1 + 1;
		e->realm_len = (uint32_t)(c2 - (c1 + 1));
		v = c2 + 1;
	} else {
		e->realm = NULL;
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
	e->value = v;
	e->value_len = (uint32_t)vlen;
	e->kind = ha1_mode ? HTDIGEST_HA1 : HTDIGEST_PLAIN;
	e->hash = key_hash(e->user, e->user_len, e->realm, e->realm_len);
	return true;
}

struct htdigest_table *
htdigest_parse(char *buf, size_t len, bool ha1_mode, const char *name,
    struct htdigest_stats *st_r)
{
	struct htdigest_table *t = xcalloc(1, sizeof(*t));
	struct parse_state ps = { .name = name, .st = st_r };
	size_t nlines = count_lines(buf, len), slots = 16, lineno = 0;
	const char *p = buf, *end = buf + len;

	memset(st_r, 0, sizeof(*st_r));
	st_r->complete = len == 0 || buf[len - 1] == '\n';
	while (slots < 2 * nlines)
		slots *= 2;
	t->buf = buf;
	t->buflen = len;
	t->entries = xmalloc((nlines ? nlines : 1) * sizeof(*t->entries));
	t->slots = xcalloc(slots, sizeof(*t->slots));
	t->mask = slots - 1;

	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = lf != NULL ? (size_t)(lf - p) : (size_t)(end - p);
		struct entry *e = &t->entries[t->nentries];
		size_t slot;

		lineno++;
		if (parse_line(&ps, lineno, p, n, ha1_mode, e)) {
			slot = find_slot(t, e->hash, e->user, e->user_len,
			    e->realm, e->realm_len);
			if (t->slots[slot] != 0) {
				/* first entry wins, as in Apache and nginx */
				st_r->duplicates++;
				if (++ps.warnings <= HTDIGEST_MAX_WARNINGS)
					log_warn("%s:%zu: duplicate entry for the same user and realm; the earlier line is used",
					    name, lineno);
			} else {
				t->slots[slot] = (uint32_t)(t->nentries + 1);
				t->nentries++;
			}
		}
		p += n + 1;
	}
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
	if (t->slots[slot] == 0) {
		h = key_hash(user, user_len, NULL, 0);
		slot = find_slot(t, h, user, user_len, NULL, 0);
	}
	if (t->slots[slot] == 0)
		return false;
	e = &t->entries[t->slots[slot] - 1];
	v_r->kind = (enum htdigest_kind)e->kind;
	v_r->p = e->value;
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
