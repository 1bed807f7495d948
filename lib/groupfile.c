/* groupfile.c - the group file read into one sorted array of (user,
 * group) pairs over the file's own bytes (see groupfile.h). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "groupfile.h"
#include "htdigest.h"
#include "log.h"
#include "safefile.h"
#include "secret.h"

/* Warnings shown per load; the rest are counted. */
#define GROUPFILE_MAX_WARNINGS 20

/* One membership: offsets into the file's buffer. */
struct member {
	uint64_t hash;		/* of the user name */
	uint32_t user, user_len;
	uint32_t group, group_len;
};

struct group_table {
	char *buf;		/* the file, owned */
	size_t len;
	struct member *m;	/* sorted by hash, user, group */
	size_t n, cap;
};

struct gf_parser {
	struct group_table *t;
	const char *name;
	struct groupfile_stats *st;
	size_t warnings;
};

/* FNV-1a: a well-spread 64-bit hash, cheap for short names. */
static uint64_t
name_hash(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

static void
warn_line(struct gf_parser *ps, size_t lineno, const char *what)
{
	ps->st->skipped++;
	if (++ps->warnings <= GROUPFILE_MAX_WARNINGS)
		log_warn("%s:%zu: %s; line ignored", ps->name, lineno, what);
}

static void
add_member(struct group_table *t, size_t user, size_t ulen, size_t group,
    size_t glen)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->m = xrealloc(t->m, t->cap * sizeof(*t->m));
	}
	t->m[t->n++] = (struct member){
		.hash = name_hash(t->buf + user, ulen),
		.user = (uint32_t)user, .user_len = (uint32_t)ulen,
		.group = (uint32_t)group, .group_len = (uint32_t)glen,
	};
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One line buf[p..end): "group: members". */
static void
parse_line(struct gf_parser *ps, size_t p, size_t end, size_t lineno)
{
	const char *b = ps->t->buf;
	const char *colon;
	size_t g, gend;

	while (p < end && is_blank(b[p]))
		p++;
	if (p == end || b[p] == '#')
		return;
	if (memchr(b + p, '\0', end - p) != NULL) {
		warn_line(ps, lineno, "NUL byte in line");
		return;
	}
	colon = memchr(b + p, ':', end - p);
	if (colon == NULL) {
		warn_line(ps, lineno, "expected group: user1 user2 ...");
		return;
	}
	g = p;
	for (gend = (size_t)(colon - b); gend > g && is_blank(b[gend - 1]); gend--)
		;
	if (gend == g) {
		warn_line(ps, lineno, "empty group name");
		return;
	}
	ps->st->groups++;
	for (p = (size_t)(colon - b) + 1; p < end;) {
		size_t u;

		while (p < end && is_blank(b[p]))
			p++;
		for (u = p; p < end && !is_blank(b[p]); p++)
			;
		if (p > u)
			add_member(ps->t, u, p - u, g, gend - g);
	}
}

static int
cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c != 0 ? c : (an > bn) - (an < bn);
}

static int
cmp_member(const void *pa, const void *pb, void *arg)
{
	const struct member *a = pa, *b = pb;
	const char *sort_buf = arg;
	int c;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	c = cmp_bytes(sort_buf + a->user, a->user_len, sort_buf + b->user,
	    b->user_len);
	if (c != 0)
		return c;
	return cmp_bytes(sort_buf + a->group, a->group_len, sort_buf + b->group,
	    b->group_len);
}

/* Sort, and drop a user's repeats of one group. */
static void
sort_members(struct group_table *t)
{
	size_t i, o = 0;

	if (t->n == 0)
		return;		/* no array at all: qsort_r takes no NULL */
	qsort_r(t->m, t->n, sizeof(*t->m), cmp_member, t->buf);
	for (i = 0; i < t->n; i++) {
		if (o > 0 && t->m[o - 1].hash == t->m[i].hash &&
		    cmp_bytes(t->buf + t->m[o - 1].user, t->m[o - 1].user_len,
		    t->buf + t->m[i].user, t->m[i].user_len) == 0 &&
		    cmp_bytes(t->buf + t->m[o - 1].group, t->m[o - 1].group_len,
		    t->buf + t->m[i].group, t->m[i].group_len) == 0)
			continue;
		t->m[o++] = t->m[i];
	}
	t->n = o;
}

struct group_table *
groupfile_parse(char *buf, size_t len, const char *name,
    struct groupfile_stats *st)
{
	struct group_table *t = xcalloc(1, sizeof(*t));
	struct gf_parser ps = { .t = t, .name = name, .st = st };
	size_t p = 0;

	memset(st, 0, sizeof(*st));
	t->buf = buf;
	t->len = len;
	{
		const char *first = buf;
		size_t n = len;

		if (htdigest_skip_bom(&first, &n, name))	/* a Windows editor's */
			p = (size_t)(first - buf);
	}
	while (p < len && len <= UINT32_MAX) {
		const char *lf = memchr(buf + p, '\n', len - p);
		size_t end = lf != NULL ? (size_t)(lf - buf) : len;
		size_t e = end > p && buf[end - 1] == '\r' ? end - 1 : end;

		parse_line(&ps, p, e, ++st->lines);
		p = end + 1;
	}
	if (len > UINT32_MAX)
		warn_line(&ps, 0, "file over 4 GiB");
	if (ps.warnings > GROUPFILE_MAX_WARNINGS)
		log_warn("%s: %zu more warnings not shown", name,
		    ps.warnings - GROUPFILE_MAX_WARNINGS);
	sort_members(t);
	st->memberships = t->n;
	st->complete = len == 0 || buf[len - 1] == '\n';
	return t;
}

int
groupfile_load(const char *path, struct group_table **t_r,
    struct groupfile_stats *stats_r, struct stat *st_r, char *err,
    size_t errlen)
{
	char *buf;
	size_t len, cap;
	int fd = safe_open_read(path, st_r, err, errlen), e;

	*t_r = NULL;
	if (fd < 0)
		return -1;
	if (fd_read_all(fd, &buf, &len, &cap) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	(void)cap;	/* only len bytes are wiped at free: the rest was never written */
	*t_r = groupfile_parse(buf, len, path, stats_r);
	return 0;
}

size_t
groupfile_groups(const struct group_table *t, const char *user,
    size_t user_len, groupfile_fn *fn, void *ctx)
{
	uint64_t h;
	size_t lo = 0, hi, n = 0;

	if (t == NULL || t->n == 0)
		return 0;
	h = name_hash(user, user_len);
	hi = t->n;
	while (lo < hi) {	/* the first member with this hash */
		size_t mid = lo + (hi - lo) / 2;

		if (t->m[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n && t->m[lo].hash == h; lo++) {
		const struct member *m = &t->m[lo];

		if (cmp_bytes(t->buf + m->user, m->user_len, user, user_len) != 0)
			continue;
		fn(ctx, t->buf + m->group, m->group_len);
		n++;
	}
	return n;
}

void
groupfile_free(struct group_table **tp)
{
	struct group_table *t = *tp;

	if (t == NULL)
		return;
	secret_free(t->buf, t->len);
	free(t->m);
	free(t);
	*tp = NULL;
}
