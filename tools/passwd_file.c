/* passwd_file.c - add, change, delete, verify and list users in an
 * htdigest password file (digest_passwd(1)).
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
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "htdigest.h"
#include "log.h"
#include "passwd.h"
#include "passwd_file.h"
#include "passwd_lock.h"
#include "passwd_write.h"
#include "safefile.h"
#include "secret.h"

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
	int rc = PASSWD_EXIT_FAIL;

	if (pwfile_precheck(req->path, req->create) < 0)
		return PASSWD_EXIT_FAIL;
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
	if (passwd_replace(&f.at, f.fd, &f.st, out, outlen) < 0)
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
	if (passwd_replace(&f.at, f.fd, &f.st, out, outlen) < 0)
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

/* The table digest_file_auth -c reads from path.  A file with lines but
 * not one entry is something else (an /etc/shadow reached by mistake):
 * an error, so that -l never shows its second fields as realms. */
static int
load_htdigest(const char *path, struct htdigest_table **t_r)
{
	struct htdigest_stats stats;
	struct stat st;
	char err[PATH_MAX + 256];

	if (htdigest_load(path, true, t_r, &stats, &st, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	if (stats.entries == 0 && stats.skipped > 0) {
		log_error("%s is not an htdigest file: no line is user:realm:HA1", path);
		htdigest_free(t_r);
		return -1;
	}
	return 0;
}

/* -v: the entry digest_file_auth -c would answer with, against the
 * password typed. */
static int
file_verify(const struct passwd_req *req)
{
	char want[PASSWD_HA1_SIZE];
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	struct htdigest_table *t = NULL;
	struct htdigest_value v;
	int rc = PASSWD_EXIT_FAIL;

	if (load_htdigest(req->path, &t) < 0)
		return PASSWD_EXIT_FAIL;
	passwd_show(req->user, su);
	passwd_show(req->realm, sr);
	if (!htdigest_lookup(t, req->user, strlen(req->user), req->realm,
	    strlen(req->realm), &v)) {
		log_error("user %s not found in realm %s", su, sr);
		goto out;
	}
	digest_hex_lower(v.p, v.n, want);
	htdigest_free(&t);
	rc = passwd_verify_ha1(req, want, true);
out:
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

	if (load_htdigest(req->path, &t) < 0)
		return PASSWD_EXIT_FAIL;
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
