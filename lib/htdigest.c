/* htdigest.c - the password-file format: split lines, load a file into
 * the table (htable.c), warn about the lines left out. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "htable.h"
#include "htdigest.h"
#include "safefile.h"
#include "log.h"
#include "secret.h"

/* Warnings per parse: a broken million-line file must not flood cache.log. */
#define HTDIGEST_MAX_WARNINGS 20

#define HHA1_PREFIX "{HHA1}"
#define HHA1_PREFIX_LEN (sizeof(HHA1_PREFIX) - 1)

/* The file is read through a buffer this size, which stays in cache: the
 * table keeps the fields, so the file itself is never held whole.  Lines
 * longer than this grow it. */
#define READ_CHUNK (1024 * 1024)

/* htdigest_parse_line; nul false when the line cannot hold a NUL byte. */
static inline bool
split_line(const char *p, size_t n, bool ha1_mode, bool nul,
    struct htdigest_line *l)
{
	const char *end, *c1, *c2;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0 || p[0] == '#' || p[0] == ' ' || p[0] == '\t')
		return false;
	end = p + n;
	l->bad = nul && memchr(p, '\0', n) != NULL ? HTDIGEST_BAD_NUL : 0;
	l->kind = ha1_mode ? HTDIGEST_HA1 : HTDIGEST_PLAIN;
	l->user = p;
	l->realm = NULL;
	l->realm_len = 0;
	if ((c1 = memchr(p, ':', n)) == NULL) {
		l->user_len = n;
		l->value = end;
		l->value_len = 0;
		l->bad |= HTDIGEST_BAD_FORM;
		return true;
	}
	l->user_len = (size_t)(c1 - p);
	l->value = c1 + 1;
	if ((c2 = memchr(c1 + 1, ':', (size_t)(end - (c1 + 1)))) != NULL) {
		l->realm = c1 + 1;
		l->realm_len = (size_t)(c2 - l->realm);
		l->value = c2 + 1;
	}
	l->value_len = (size_t)(end - l->value);
	if (l->user_len == 0)
		l->bad |= HTDIGEST_BAD_USER;
	if (l->user_len > HTDIGEST_FIELD_MAX || l->realm_len > HTDIGEST_FIELD_MAX)
		l->bad |= HTDIGEST_BAD_LONG;
	if (l->realm != NULL && l->realm_len == 0)
		l->bad |= HTDIGEST_BAD_REALM;
	if (l->value_len == 0)
		l->bad |= HTDIGEST_BAD_EMPTY;
	if (l->value_len >= HHA1_PREFIX_LEN &&
	    memcmp(l->value, HHA1_PREFIX, HHA1_PREFIX_LEN) == 0) {
		l->value += HHA1_PREFIX_LEN;
		l->value_len -= HHA1_PREFIX_LEN;
		l->kind = HTDIGEST_HA1;
	}
	if (l->kind == HTDIGEST_HA1 &&
	    !digest_is_hex(digest_alg_md5(), l->value, l->value_len))
		l->bad |= HTDIGEST_BAD_HA1;
	if (l->value_len > HTDIGEST_FIELD_MAX)
		l->bad |= HTDIGEST_BAD_VALUE_LONG;
	return true;
}

bool
htdigest_skip_bom(const char **p, size_t *n, const char *name)
{
	if (*n < 3 || memcmp(*p, "\xef\xbb\xbf", 3) != 0)
		return false;
	log_warn("%s:1: a UTF-8 byte-order mark; ignored", name);
	*p += 3;
	*n -= 3;
	return true;
}

bool
htdigest_parse_line(const char *p, size_t n, bool ha1_mode,
    struct htdigest_line *l_r)
{
	return split_line(p, n, ha1_mode, true, l_r);
}

/* The warning for a bad line: its first problem. */
static const char *
line_problem(unsigned bad)
{
	static const struct {
		unsigned bit;
		const char *what;
	} why[] = {
		{ HTDIGEST_BAD_NUL, "NUL byte in line" },
		{ HTDIGEST_BAD_FORM, "expected user:password, user:realm:password or user:realm:HA1" },
		{ HTDIGEST_BAD_USER, "empty user name" },
		{ HTDIGEST_BAD_LONG, "user or realm longer than 65535 bytes" },
		{ HTDIGEST_BAD_REALM, "empty realm" },
		{ HTDIGEST_BAD_EMPTY, "empty password field" },
		{ HTDIGEST_BAD_HA1, "HA1 field is not 32 hex digits" },
		{ HTDIGEST_BAD_VALUE_LONG, "password field longer than 65535 bytes" },
	};
	size_t i;

	for (i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (bad & why[i].bit)
			return why[i].what;
	return "malformed line";
}

struct builder {
	struct htable_builder hb;
	const char *name;
	struct htdigest_stats *st;
	size_t warnings;
	size_t lineno;
	bool ha1_mode;
	bool full;		/* the arena reached 4 GiB */
};

static void
warn_line(struct builder *b, const char *what)
{
	b->st->skipped++;
	if (++b->warnings <= HTDIGEST_MAX_WARNINGS)
		log_warn("%s:%zu: %s; line ignored", b->name, b->lineno, what);
}

/* htable_dup_fn: the tag is the line number */
static void
warn_duplicate(uint32_t lineno, void *ctx)
{
	struct builder *b = ctx;

	/* first entry wins, as in Apache and nginx */
	b->st->duplicates++;
	if (++b->warnings <= HTDIGEST_MAX_WARNINGS)
		log_warn("%s:%u: duplicate entry for the same user and realm; the earlier line is used",
		    b->name, (unsigned)lineno);
}

/* Add one line (no LF; nul: it may hold a NUL byte) to the table. */
static void
add_line(struct builder *b, const char *p, size_t n, bool nul)
{
	struct htdigest_line l;

	if (!split_line(p, n, b->ha1_mode, nul, &l))
		return;
	if (l.bad != 0) {
		warn_line(b, line_problem(l.bad));
		return;
	}
	if (!htable_add(&b->hb, &l, (uint32_t)b->lineno)) {
		log_warn("%s: only the first 4 GiB of entries are kept", b->name);
		b->full = true;
	}
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
		if (b->lineno++ == 0)
			(void)htdigest_skip_bom(&p, &n, b->name);
		add_line(b, p, n, nul);
		p += n + 1;
	}
	return p < end ? (size_t)(p - buf) : len;
}

/* Start the table, sized from the file's size and its first lines. */
static void
table_start(struct builder *b, const char *sample, size_t sample_len,
    size_t total)
{
	size_t lines = 1, est;
	const char *p = sample, *end = sample + sample_len, *lf;

	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p = lf + 1;
	}
	est = sample_len > 0 ? total / sample_len * lines +
	    total % sample_len * lines / sample_len + 1 : 1;
	htable_start(&b->hb, est, total, warn_duplicate, b);
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
}

static struct htdigest_table *
builder_finish(struct builder *b, bool last_lf)
{
	struct htdigest_table *t = htable_finish(&b->hb);

	if (b->warnings > HTDIGEST_MAX_WARNINGS)
		log_warn("%s: %zu more warnings not shown", b->name,
		    b->warnings - HTDIGEST_MAX_WARNINGS);
	b->st->lines = b->lineno;
	b->st->entries = htdigest_count(t);
	b->st->complete = !b->full && last_lf;
	return t;
}

struct htdigest_table *
htdigest_parse(char *buf, size_t len, bool ha1_mode, const char *name,
    struct htdigest_stats *st_r)
{
	struct builder b;
	struct htdigest_table *t;

	builder_start(&b, name, ha1_mode, st_r);
	table_start(&b, buf, len < READ_CHUNK ? len : READ_CHUNK, len);
	parse_lines(&b, buf, len, true);
	t = builder_finish(&b, len == 0 || buf[len - 1] == '\n');
	secret_free(buf, len);
	return t;
}

/* Double the read buffer, keeping its have bytes. */
static char *
grow_buf(char *buf, size_t *cap, size_t have)
{
	char *nbuf = xmalloc(*cap * 2);

	memcpy(nbuf, buf, have);
	secret_free(buf, *cap);
	*cap *= 2;
	return nbuf;
}

/* Read fd (size bytes when opened: it may grow) to its end, or until the
 * arena is full, parsing the whole lines in the buffer as they come.
 * Returns 0, or -1 with errno set when a read fails. */
static int
read_lines(struct builder *b, int fd, size_t size, bool *last_lf_r)
{
	size_t cap = size + 1 < READ_CHUNK ? size + 1 : READ_CHUNK, have = 0;
	char *buf;
	int rc = 0, saved;

	if (cap < 4096)
		cap = 4096;
	buf = xmalloc(cap);
	*last_lf_r = true;
	while (!b->full) {
		size_t used;
		ssize_t n;

		if (have == cap)
			buf = grow_buf(buf, &cap, have);
		if ((n = read(fd, buf + have, cap - have)) < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		if (b->hb.t == NULL)
			table_start(b, buf, have + (size_t)n,
			    size > have + (size_t)n ? size : have + (size_t)n);
		if (n == 0) {
			parse_lines(b, buf, have, true);
			break;
		}
		have += (size_t)n;
		*last_lf_r = buf[have - 1] == '\n';
		used = parse_lines(b, buf, have, false);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	saved = errno;
	secret_free(buf, cap);
	errno = saved;
	return rc;
}

int
htdigest_load(const char *path, bool ha1_mode, struct htdigest_table **t_r,
    struct htdigest_stats *stats_r, struct stat *st_r, char *err_r,
    size_t errlen)
{
	struct builder b;
	bool last_lf;
	int fd, rc, saved;

	*t_r = NULL;
	builder_start(&b, path, ha1_mode, stats_r);
	/* links checked, a FIFO or device refused without blocking */
	fd = safe_open_read(path, st_r, err_r, errlen);
	if (fd < 0)
		return -1;
	rc = read_lines(&b, fd, (size_t)st_r->st_size, &last_lf);
	saved = errno;		/* callers compare it to tell repeats apart */
	close(fd);
	if (rc < 0) {
		snprintf(err_r, errlen, "cannot read %s: %s", path, strerror(saved));
		htdigest_free(&b.hb.t);
		errno = saved;
		return -1;
	}
	*t_r = builder_finish(&b, last_lf);
	return 0;
}
