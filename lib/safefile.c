/* safefile.c - walking a path the way the kernel's protected_symlinks
 * rule would, and opening only regular files (see safefile.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safefile.h"
#include "secret.h"

/* As many links as the kernel follows in one lookup (MAXSYMLINKS). */
#define SAFE_MAX_LINKS 40

/* A walk in progress: the directory reached, what is left to walk, and
 * the path of the directory as written (for naming a refused link). */
struct walk {
	int dirfd;
	char *rest;		/* owned; components still to walk */
	char *where;		/* owned; "" for the current directory */
	int links;
};

static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

/* where + "/" + name, without a leading "/" for a relative start. */
static char *
joined(const char *where, const char *name)
{
	size_t w = strlen(where), n = strlen(name);
	char *s = xmalloc(w + n + 2);

	memcpy(s, where, w);
	if (w > 0 && where[w - 1] != '/')
		s[w++] = '/';
	memcpy(s + w, name, n + 1);
	return s;
}

/* Walk path next: from the root when it is absolute, else from where
 * the walk is (the current directory at the start). */
static int
walk_start(struct walk *w, const char *path)
{
	bool from_root = path[0] == '/';

	free(w->rest);
	w->rest = xstrdup(path);
	if (from_root && w->dirfd >= 0) {
		close(w->dirfd);
		w->dirfd = -1;
	}
	if (from_root) {
		free(w->where);
		w->where = xstrdup("/");
	}
	if (w->dirfd < 0)
		w->dirfd = open(from_root ? "/" : ".",
		    O_PATH | O_DIRECTORY | O_CLOEXEC);
	return w->dirfd;
}

/* The kernel's rule (fs.protected_symlinks): a link in a sticky
 * world-writable directory is followed only by its owner, or when the
 * directory's owner owns it too. */
static bool
link_allowed(int dirfd, const struct stat *lst)
{
	struct stat dst;

	if (fstat(dirfd, &dst) < 0)
		return false;
	if ((dst.st_mode & (S_ISVTX | S_IWOTH)) != (S_ISVTX | S_IWOTH))
		return true;
	return lst->st_uid == geteuid() || lst->st_uid == dst.st_uid;
}

/* Replace the link name in dirfd by its target, ahead of what is left. */
static int
follow(struct walk *w, const char *name, const struct stat *lst, char *err,
    size_t errlen)
{
	size_t cap = (size_t)lst->st_size + 1, tl;
	char *target, *shown, *next;
	ssize_t n;

	shown = joined(w->where, name);
	if (++w->links > SAFE_MAX_LINKS) {
		fail(err, errlen, ELOOP, "%s: too many levels of symbolic links", shown);
		free(shown);
		return -1;
	}
	if (!link_allowed(w->dirfd, lst)) {
		fail(err, errlen, EACCES, "refusing to follow the symbolic link %s: it is in a sticky world-writable directory and owned by neither you nor the directory's owner",
		    shown);
		free(shown);
		return -1;
	}
	free(shown);
	target = xmalloc(cap < 2 ? 2 : cap);
	n = readlinkat(w->dirfd, name, target, cap < 2 ? 2 : cap);
	if (n < 0 || (size_t)n >= (cap < 2 ? 2 : cap)) {
		free(target);
		return fail(err, errlen, n < 0 ? errno : EAGAIN,
		    "cannot read the symbolic link %s: %s", name,
		    n < 0 ? strerror(errno) : "it changed while being read");
	}
	target[n] = '\0';
	tl = (size_t)n;
	next = xmalloc(tl + strlen(w->rest) + 2);
	snprintf(next, tl + strlen(w->rest) + 2, "%s%s%s", target,
	    *w->rest != '\0' ? "/" : "", w->rest);
	free(target);
	if (walk_start(w, next) < 0) {
		free(next);
		return fail(err, errlen, errno, "cannot open /: %s", strerror(errno));
	}
	free(next);
	return 0;
}

/* Step into the directory name. */
static int
descend(struct walk *w, const char *name, char *err, size_t errlen)
{
	int fd = openat(w->dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	char *where;

	if (fd < 0) {
		where = joined(w->where, name);
		fail(err, errlen, errno, "cannot open the directory %s: %s",
		    where, strerror(errno));
		free(where);
		return -1;
	}
	close(w->dirfd);
	w->dirfd = fd;
	where = joined(w->where, name);
	free(w->where);
	w->where = where;
	return 0;
}

/* Cut the next component off w->rest into name (NUL-terminated in a
 * buffer of the caller's).  Returns its length, 0 when nothing is left. */
static size_t
next_component(struct walk *w, char **name_r, bool *last_r)
{
	char *p = w->rest + strspn(w->rest, "/"), *end;
	size_t n = strcspn(p, "/");
	char *left;

	if (n == 0)
		return 0;
	*name_r = xmemdup0(p, n);
	end = p + n;
	end += strspn(end, "/");
	*last_r = *end == '\0';
	left = xstrdup(end);
	free(w->rest);
	w->rest = left;
	return n;
}

static int
walk_one(struct walk *w, struct safe_path *sp, char *err, size_t errlen)
{
	struct stat lst;
	char *name = NULL;
	bool last = false;

	if (next_component(w, &name, &last) == 0)	/* "/" */
		return fail(err, errlen, EISDIR, "%s is not a regular file",
		    sp->shown);
	if (fstatat(w->dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT && last) {
			sp->name = name;
			return 1;	/* missing: the caller may create it */
		}
		fail(err, errlen, errno, "cannot open %s: %s", sp->shown,
		    strerror(errno));
		free(name);
		return -1;
	}
	if (S_ISLNK(lst.st_mode)) {
		int rc = follow(w, name, &lst, err, errlen);

		free(name);
		return rc;
	}
	if (last) {	/* of any type: opening it checks that */
		sp->name = name;
		return 1;
	}
	if (!S_ISDIR(lst.st_mode)) {
		free(name);
		return fail(err, errlen, ENOTDIR, "cannot open %s: %s", sp->shown,
		    strerror(ENOTDIR));
	}
	if (strcmp(name, ".") != 0 && descend(w, name, err, errlen) < 0) {
		free(name);
		return -1;
	}
	free(name);
	return 0;
}

int
safe_path_resolve(const char *path, struct safe_path *sp, char *err,
    size_t errlen)
{
	struct walk w = { .dirfd = -1, .where = xstrdup("") };
	int rc;

	memset(sp, 0, sizeof(*sp));
	sp->dirfd = -1;
	sp->shown = path;
	if (*path == '\0') {
		free(w.where);
		return fail(err, errlen, ENOENT, "an empty file name");
	}
	if (walk_start(&w, path) < 0) {
		rc = fail(err, errlen, errno, "cannot open the current directory: %s",
		    strerror(errno));
		goto out;
	}
	while ((rc = walk_one(&w, sp, err, errlen)) == 0)
		;
	if (rc > 0) {
		sp->dirfd = w.dirfd;
		w.dirfd = -1;
		rc = 0;
	}
out:
	if (w.dirfd >= 0)
		close(w.dirfd);
	free(w.rest);
	free(w.where);
	return rc;
}

char *
safe_path_real(const struct safe_path *sp, bool entry)
{
	char proc[64], dir[PATH_MAX];
	ssize_t n;
	char *name;
	size_t len;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", sp->dirfd);
	n = readlink(proc, dir, sizeof(dir) - 1);
	if (n <= 0)
		return NULL;
	dir[n] = '\0';
	if (!entry)
		return xstrdup(dir);
	len = (size_t)n + strlen(sp->name) + 2;
	name = xmalloc(len);
	snprintf(name, len, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/",
	    sp->name);
	return name;
}

void
safe_path_free(struct safe_path *sp)
{
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	sp->dirfd = -1;
	free(sp->name);
	sp->name = NULL;
}

int
safe_path_open(const struct safe_path *sp, int flags, struct stat *st_r,
    char *err, size_t errlen)
{
	struct stat st;
	int fd, fl;

	if (fstatat(sp->dirfd, sp->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(err, errlen, errno, "cannot open %s: %s", sp->shown,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, EINVAL, "%s is not a regular file", sp->shown);
	fd = openat(sp->dirfd, sp->name, flags | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail(err, errlen, errno, "cannot open %s: %s", sp->shown,
		    strerror(errno));
	if (fstat(fd, st_r) < 0) {
		int e = errno;

		close(fd);
		return fail(err, errlen, e, "cannot stat %s: %s", sp->shown,
		    strerror(e));
	}
	if (!S_ISREG(st_r->st_mode)) {	/* swapped after the check above */
		close(fd);
		return fail(err, errlen, EINVAL, "%s is not a regular file",
		    sp->shown);
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int
safe_open_read(const char *path, struct stat *st_r, char *err, size_t errlen)
{
	struct safe_path sp;
	int fd, e;

	if (safe_path_resolve(path, &sp, err, errlen) < 0)
		return -1;
	fd = safe_path_open(&sp, O_RDONLY, st_r, err, errlen);
	e = errno;
	safe_path_free(&sp);
	errno = e;
	return fd;
}

ssize_t
safe_read_small(const char *path, char *buf, size_t cap, char *err,
    size_t errlen)
{
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd = safe_open_read(path, &st, err, errlen);

	if (fd < 0)
		return -1;
	while (n < cap) {
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail(err, errlen, errno, "cannot read %s: %s", path,
			    strerror(errno));
			goto bad;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n == cap) {
		fail(err, errlen, EFBIG, "%s is too large (%zu bytes at most)", path,
		    cap - 1);
		goto bad;
	}
	close(fd);
	return (ssize_t)n;
bad:
	close(fd);
	secret_wipe(buf, cap);
	return -1;
}

int
safe_read_secret_line(const char *path, const char *label, char **out,
    char *err, size_t errlen)
{
	char buf[SAFE_SECRET_FILE_MAX], why[768];
	ssize_t r = safe_read_small(path, buf, sizeof(buf), why, sizeof(why));
	size_t n;

	if (r < 0) {
		snprintf(err, errlen, "%s: %s", label, why);
		return -1;
	}
	buf[r] = '\0';
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "%s %s is empty", label, path);
		secret_wipe(buf, sizeof(buf));
		return -1;
	}
	*out = xstrdup(buf);
	secret_wipe(buf, sizeof(buf));
	return 0;
}
