/* passwd_file.c - add, change, delete, verify and list users in an
 * htdigest password file (SPEC section 7).
 *
 * A change is: lock, read the whole file, build the new contents in
 * memory, write them to a temporary file next to the original, fsync,
 * rename, fsync the directory, unlock.  Readers (our helper, Squid's,
 * Apache) see either the old file or the new one, never a mix, and a
 * failure at any step leaves the original untouched.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "htdigest.h"
#include "log.h"
#include "passwd.h"
#include "passwd_file.h"
#include "secret.h"

/* Each retry means another process replaced the file between our open
 * and our lock; a thousand in a row means something is wrong. */
#define PWFILE_LOCK_RETRIES 1000

/* An open, locked password file and its contents. */
struct pwfile {
	const char *path;	/* req->path, or real when that is a symlink */
	char *real;
	int fd;
	struct stat st;		/* of the locked file */
	bool created;		/* made by us (-c on a missing file) */
	char *buf;		/* contents, wiped when freed */
	size_t len, cap;
};

static int pwfile_lock(struct pwfile *, const char *, bool);
static int pwfile_read(struct pwfile *);
static int pwfile_replace(struct pwfile *, const char *, size_t);
static void pwfile_close(struct pwfile *, bool);

/* Follow a symbolic link, so the rename replaces its target and the
 * link stays.  Returns 0, or -1 after logging. */
static int
pwfile_resolve(struct pwfile *f, const char *path)
{
	struct stat st;

	f->path = path;
	if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
		return 0;
	f->real = realpath(path, NULL);
	if (f->real == NULL) {
		log_error("cannot follow the symbolic link %s: %s", path,
		    strerror(errno));
		return -1;
	}
	f->path = f->real;
	return 0;
}

/* Open (creating it when create is set and it is missing) and lock the
 * file that path names.  The lock is on the inode: if the path names
 * another one once we hold it, a concurrent writer renamed a new file in,
 * and we start again on that one. */
static int
pwfile_lock(struct pwfile *f, const char *path, bool create)
{
	struct stat now;
	int tries;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (pwfile_resolve(f, path) < 0)
		return -1;
	for (tries = 0; tries < PWFILE_LOCK_RETRIES; tries++) {
		f->created = false;
		/* read-write when allowed: flock over NFS is a POSIX lock,
		 * which needs it; the rename only needs the directory */
		f->fd = open(f->path, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (f->fd < 0 && (errno == EACCES || errno == EROFS))
			f->fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (f->fd < 0 && errno == ENOENT && create) {
			f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL |
			    O_CLOEXEC | O_NOCTTY, 0640);
			if (f->fd < 0 && errno == EEXIST)
				continue;
			if (f->fd < 0) {
				log_error("cannot create %s: %s", path,
				    strerror(errno));
				return -1;
			}
			f->created = true;
		}
		if (f->fd < 0) {
			if (errno == ENOENT)
				log_error("%s does not exist (-c creates it)", path);
			else
				log_error("cannot open %s: %s", path, strerror(errno));
			return -1;
		}
		while (flock(f->fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				log_error("cannot lock %s: %s", path, strerror(errno));
				return -1;
			}
		}
		if (fstat(f->fd, &f->st) < 0) {
			log_error("cannot stat %s: %s", path, strerror(errno));
			return -1;
		}
		if (!S_ISREG(f->st.st_mode)) {
			log_error("%s is not a regular file", path);
			return -1;
		}
		if (stat(f->path, &now) == 0 && now.st_dev == f->st.st_dev &&
		    now.st_ino == f->st.st_ino) {
			log_debug("locked %s (inode %llu) after %d retries", path,
			    (unsigned long long)f->st.st_ino, tries);
			return 0;
		}
		close(f->fd);
		f->fd = -1;
	}
	log_error("cannot lock %s: it keeps being replaced", path);
	return -1;
}

static int
pwfile_read(struct pwfile *f)
{
	if (passwd_read_fd(f->fd, &f->buf, &f->len, &f->cap) < 0) {
		log_error("cannot read %s: %s", f->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Unlock and free.  failed: we made the file and nothing was written to
 * it, so it goes away again (if it is still ours). */
static void
pwfile_close(struct pwfile *f, bool failed)
{
	struct stat now;

	if (f->fd >= 0) {
		if (failed && f->created && stat(f->path, &now) == 0 &&
		    now.st_dev == f->st.st_dev && now.st_ino == f->st.st_ino)
			unlink(f->path);
		close(f->fd);	/* drops the lock */
		f->fd = -1;
	}
	if (f->buf != NULL)
		secret_free(f->buf, f->cap);
	f->buf = NULL;
	free(f->real);
	f->real = NULL;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The directory of path, and a mkstemp template beside it. */
static void
temp_names(const char *path, char **dir_r, char **tmpl_r)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	size_t dlen = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
	size_t tlen;

	*dir_r = xmemdup0(slash != NULL ? path : ".", dlen);
	tlen = dlen + strlen(base) + sizeof("/..tmpXXXXXX");
	*tmpl_r = xmalloc(tlen);
	snprintf(*tmpl_r, tlen, "%s/.%s.tmpXXXXXX", *dir_r, base);
}

/* Give the temporary file the locked file's owner and mode. */
static int
copy_owner_mode(int tfd, const struct pwfile *f, const char **what_r)
{
	struct stat tst;

	if (fstat(tfd, &tst) < 0) {
		*what_r = "stat";
		return -1;
	}
	if ((tst.st_uid != f->st.st_uid || tst.st_gid != f->st.st_gid) &&
	    fchown(tfd, f->st.st_uid, f->st.st_gid) < 0) {
		*what_r = "give the owner of the original to";
		return -1;
	}
	if (fchmod(tfd, f->st.st_mode & 07777) < 0) {
		*what_r = "give the mode of the original to";
		return -1;
	}
	return 0;
}

/* Replace the file with data: temporary file, fsync, rename, fsync of
 * the directory.  On failure the temporary file is removed and the
 * original is left as it was. */
static int
pwfile_replace(struct pwfile *f, const char *data, size_t len)
{
	char *dir, *tmp;
	const char *what = NULL;
	bool tmp_exists = false;
	int tfd, dfd, err = 0, rc = -1;

	temp_names(f->path, &dir, &tmp);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		log_error("cannot open the directory %s: %s; %s unchanged", dir,
		    strerror(errno), f->path);
		goto out;
	}
	tfd = mkstemp(tmp);
	if (tfd < 0) {
		log_error("cannot create a temporary file in %s: %s; %s unchanged",
		    dir, strerror(errno), f->path);
		goto out;
	}
	tmp_exists = true;
	if (copy_owner_mode(tfd, f, &what) < 0) {
		err = errno;
	} else if (write_all(tfd, data, len) < 0) {
		what = "write";
		err = errno;
	} else if (fsync(tfd) < 0) {
		what = "sync";
		err = errno;
	}
	if (close(tfd) < 0 && what == NULL) {
		what = "close";
		err = errno;
	}
	if (what != NULL) {
		log_error("cannot %s the temporary file %s: %s; %s unchanged",
		    what, tmp, strerror(err), f->path);
		goto out;
	}
	if (rename(tmp, f->path) < 0) {
		log_error("cannot rename %s to %s: %s; %s unchanged", tmp, f->path,
		    strerror(errno), f->path);
		goto out;
	}
	tmp_exists = false;
	if (fsync(dfd) < 0) {
		log_error("%s was replaced, but syncing the directory %s failed: %s",
		    f->path, dir, strerror(errno));
		goto out;
	}
	log_debug("wrote %zu bytes to %s", len, f->path);
	rc = 0;
out:
	if (tmp_exists)
		unlink(tmp);
	if (dfd >= 0)
		close(dfd);
	free(tmp);
	free(dir);
	return rc;
}

/* Copy buf into a new buffer with the lines for key ("user:realm:")
 * changed: with line set, the first becomes line and later ones stay
 * (readers use the first); with line NULL, all of them are dropped.  A
 * missing entry is appended, after a newline if the last line had none.
 * Every other byte is kept.  *found_r counts the lines for key. */
static char *
pwfile_splice(const char *buf, size_t len, const char *key, size_t keylen,
    const char *line, size_t linelen, size_t *outlen_r, size_t *found_r)
{
	char *out = xmalloc(len + linelen + 2);
	const char *p = buf, *end = buf + len;
	size_t o = 0;

	*found_r = 0;
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = lf != NULL ? (size_t)(lf + 1 - p) : (size_t)(end - p);

		if (n >= keylen && memcmp(p, key, keylen) == 0) {
			if ((*found_r)++ == 0 && line != NULL) {
				memcpy(out + o, line, linelen);
				o += linelen;
			} else if (line != NULL) {
				memcpy(out + o, p, n);
				o += n;
			}
		} else {
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	if (*found_r == 0 && line != NULL) {
		if (o > 0 && out[o - 1] != '\n')
			out[o++] = '\n';
		memcpy(out + o, line, linelen);
		o += linelen;
	}
	*outlen_r = o;
	return out;
}

static char *
make_key(const struct passwd_req *req, const char *ha1, size_t *len_r)
{
	size_t n = strlen(req->user) + strlen(req->realm) + 3 +
	    (ha1 != NULL ? strlen(ha1) + 1 : 0);
	char *s = xmalloc(n);

	snprintf(s, n, "%s:%s:%s%s", req->user, req->realm,
	    ha1 != NULL ? ha1 : "", ha1 != NULL ? "\n" : "");
	*len_r = n - 1;
	return s;
}

static int
file_set(const struct passwd_req *req)
{
	char ha1[PASSWD_HA1_SIZE], su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	char *line, *key, *out = NULL;
	size_t linelen, keylen, outlen = 0, found = 0;
	struct pwfile f;
	struct stat st;
	int rc = PASSWD_EXIT_FAIL;

	if (!req->create && stat(req->path, &st) < 0) {
		if (errno == ENOENT)
			log_error("%s does not exist (-c creates it)", req->path);
		else
			log_error("cannot stat %s: %s", req->path, strerror(errno));
		return PASSWD_EXIT_FAIL;
	}
	if (passwd_get_ha1(req, true, ha1) < 0)
		return PASSWD_EXIT_FAIL;
	line = make_key(req, ha1, &linelen);
	secret_wipe(ha1, sizeof(ha1));
	key = make_key(req, NULL, &keylen);
	if (pwfile_lock(&f, req->path, req->create) < 0)
		goto out;
	if (req->create) {
		/* htdigest -c: the file holds this one user afterwards */
		out = xmemdup0(line, linelen);
		outlen = linelen;
	} else {
		if (pwfile_read(&f) < 0)
			goto out;
		out = pwfile_splice(f.buf, f.len, key, keylen, line, linelen, &outlen,
		    &found);
	}
	if (pwfile_replace(&f, out, outlen) < 0)
		goto out;
	if (req->create && !f.created && f.st.st_size > 0)
		log_warn("-c: the previous contents of %s were replaced", req->path);
	log_info("%s user %s in realm %s", found ? "changed the password of" :
	    "added", passwd_show(req->user, su), passwd_show(req->realm, sr));
	rc = PASSWD_EXIT_OK;
out:
	pwfile_close(&f, rc != PASSWD_EXIT_OK);
	if (out != NULL)
		secret_free(out, outlen);
	secret_free(line, linelen);
	free(key);
	return rc;
}

static int
file_delete(const struct passwd_req *req)
{
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	char *key, *out = NULL;
	size_t keylen, outlen = 0, found = 0;
	struct pwfile f;
	int rc = PASSWD_EXIT_FAIL;

	key = make_key(req, NULL, &keylen);
	if (pwfile_lock(&f, req->path, false) < 0 || pwfile_read(&f) < 0)
		goto out;
	out = pwfile_splice(f.buf, f.len, key, keylen, NULL, 0, &outlen, &found);
	if (found == 0) {
		log_error("user %s not found in realm %s; %s unchanged",
		    passwd_show(req->user, su), passwd_show(req->realm, sr),
		    req->path);
		goto out;
	}
	if (pwfile_replace(&f, out, outlen) < 0)
		goto out;
	if (found > 1)
		log_info("deleted user %s from realm %s (%zu lines)",
		    passwd_show(req->user, su), passwd_show(req->realm, sr), found);
	else
		log_info("deleted user %s from realm %s",
		    passwd_show(req->user, su), passwd_show(req->realm, sr));
	rc = PASSWD_EXIT_OK;
out:
	pwfile_close(&f, false);
	if (out != NULL)
		secret_free(out, outlen);
	free(key);
	return rc;
}

/* -v: the entry digest_file_auth -c would answer with, against the
 * password typed. */
static int
file_verify(const struct passwd_req *req)
{
	char ha1[PASSWD_HA1_SIZE], want[PASSWD_HA1_SIZE], err[1024];
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	struct htdigest_table *t = NULL;
	struct htdigest_stats stats;
	struct htdigest_value v;
	struct stat st;
	int rc = PASSWD_EXIT_FAIL;

	if (htdigest_load(req->path, true, &t, &stats, &st, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return PASSWD_EXIT_FAIL;
	}
	passwd_show(req->user, su);
	passwd_show(req->realm, sr);
	if (!htdigest_lookup(t, req->user, strlen(req->user), req->realm,
	    strlen(req->realm), &v)) {
		log_error("user %s not found in realm %s", su, sr);
		goto out;
	}
	digest_hex_lower(v.p, v.n, want);
	htdigest_free(&t);
	if (passwd_get_ha1(req, false, ha1) < 0)
		goto out;
	if (secret_equal(ha1, want, sizeof(want))) {
		log_info("password correct for user %s in realm %s", su, sr);
		rc = PASSWD_EXIT_OK;
	} else {
		log_error("wrong password for user %s in realm %s", su, sr);
		rc = PASSWD_EXIT_MISMATCH;
	}
out:
	secret_wipe(ha1, sizeof(ha1));
	secret_wipe(want, sizeof(want));
	htdigest_free(&t);
	return rc;
}

/* -l: every entry a reader uses, in file order, as user:realm.  The
 * shared parser decides what is an entry (and warns about the rest); a
 * line is listed when the lookup for its key lands on it, so later
 * duplicates are not. */
static void
list_entry(const char *user, size_t ulen, const char *realm, size_t rlen,
    void *ctx)
{
	const char *want = ctx;

	if (want != NULL && realm != NULL &&
	    (rlen != strlen(want) || memcmp(realm, want, rlen) != 0))
		return;
	passwd_print_name(stdout, user, ulen);
	if (realm != NULL) {
		putchar(':');
		passwd_print_name(stdout, realm, rlen);
	} else {
		fputs(" (any realm)", stdout);
	}
	putchar('\n');
}

static int
file_list(const struct passwd_req *req)
{
	struct htdigest_table *t;
	struct htdigest_stats stats;
	struct stat st;
	char err[512];

	/* plaintext mode: accept any value, the hashes are not shown */
	if (htdigest_load(req->path, false, &t, &stats, &st, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return PASSWD_EXIT_FAIL;
	}
	htdigest_foreach(t, list_entry, (void *)req->realm);
	htdigest_free(&t);
	return PASSWD_EXIT_OK;
}

int
passwd_file_run(const struct passwd_req *req)
{
	switch (req->verb) {
	case PASSWD_SET:
		return file_set(req);
	case PASSWD_DELETE:
		return file_delete(req);
	case PASSWD_VERIFY:
		return file_verify(req);
	case PASSWD_LIST:
		return file_list(req);
	default:
		log_error("this action needs --sqlite DB");
		return PASSWD_EXIT_FAIL;
	}
}
