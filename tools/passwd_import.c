/* passwd_import.c - digest_passwd --sqlite DB --import FILE: load the
 * user:realm:HA1 lines of an htdigest file into the store.
 *
 * One BEGIN IMMEDIATE transaction for the whole file: every good line is
 * stored, or nothing is.  A user already in the store gets the new HA1
 * and keeps its enabled flag.  Within the file the first line for a user
 * and realm wins, as in every reader of the format; a temporary table
 * remembers which keys this import has written.  Bad lines are skipped
 * with a warning naming the line number, never a field.
 *
 * Reading the file, parsing a line and going down the lines are shared
 * with passwd_pgsql_import.c (passwd_import.h), with or without SQLite.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fdio.h"
#include "htable.h"
#include "htdigest.h"
#include "log.h"
#include "passwd.h"
#include "passwd_import.h"
#include "safefile.h"
#include "secret.h"

/* Warnings about skipped lines; the summary counts them all. */
#define IMPORT_MAX_WARNINGS 20

/* A progress line on a terminal every this many lines. */
#define IMPORT_PROGRESS_LINES 50000

void
import_skip(struct import_count *c, size_t lineno, const char *why)
{
	c->skipped++;
	if (++c->warnings <= IMPORT_MAX_WARNINGS)
		log_warn("%s:%zu: %s; line skipped", c->name, lineno, why);
}

/* The line is split as the file helper splits it, read as with -c; the
 * reasons are checked in this order, and the user and realm as
 * digest_passwd checks them. */
const char *
import_parse(const char *p, size_t n, struct digest_str *user, struct digest_str *realm,
    char *ha1)
{
	struct htdigest_line l;

	if (!htdigest_parse_line(p, n, true, &l))
		return "";
	if (l.bad & HTDIGEST_BAD_NUL)
		return "NUL byte in line";
	if ((l.bad & HTDIGEST_BAD_FORM) || l.realm == NULL)
		return "expected user:realm:HA1";
	/* read as an HA1, an empty or long last field is a bad HA1 too */
	if (l.bad & HTDIGEST_BAD_HA1)
		return "the HA1 field is not 32 hex digits (plaintext passwords cannot be imported)";
	/* the name checks refuse what the other bits flag: empty or long */
	*user = (struct digest_str){ l.user, l.user_len };
	*realm = (struct digest_str){ l.realm, l.realm_len };
	if (passwd_name_problem(user->p, user->n, true) != NULL)
		return user->n == 0 ? "empty user name" : "the user name is not acceptable";
	if (passwd_name_problem(realm->p, realm->n, false) != NULL)
		return realm->n == 0 ? "empty realm" : "the realm is not acceptable";
	digest_hex_lower(l.value, l.value_len, ha1);
	return NULL;
}

int
import_lines(struct import_count *c, const char *buf, size_t len,
    const struct import_ops *ops, void *arg)
{
	const char *p = buf, *end = buf + len;
	bool progress = isatty(STDERR_FILENO);
	size_t lineno = 0;

	while (p < end && (ops->stopped == NULL || !ops->stopped(arg))) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = lf != NULL ? (size_t)(lf - p) : (size_t)(end - p);
		const char *line = p;
		size_t linelen = n;

		if (lineno++ == 0)
			(void)htdigest_skip_bom(&line, &linelen, c->name);
		if (ops->line(arg, line, linelen, lineno) < 0)
			return -1;
		if (progress && lineno % IMPORT_PROGRESS_LINES == 0) {
			if (ops->flush != NULL)
				ops->flush(arg);
			log_info("%s: %zu lines read, %zu users so far", c->name,
			    lineno, c->added + c->updated);
		}
		p += n + 1;
	}
	if (ops->flush != NULL)
		ops->flush(arg);
	if (c->warnings > IMPORT_MAX_WARNINGS)
		log_warn("%s: %zu more skipped lines not shown", c->name,
		    c->warnings - IMPORT_MAX_WARNINGS);
	return 0;
}

int
import_read(const char *path, char **buf_r, size_t *len_r, size_t *cap_r)
{
	char err[PATH_MAX + 256];
	struct stat st;
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
	    safe_open_read(path, &st, err, sizeof(err));

	if (fd < 0) {
		log_error("%s", err);
		return -1;
	}
	if (fd_read_all(fd, buf_r, len_r, cap_r) < 0) {
		log_error("cannot read %s: %s", path, strerror(errno));
		*buf_r = NULL;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return *buf_r != NULL ? 0 : -1;
}

void
import_seen_init(struct import_seen *s, const char *buf, size_t len)
{
	size_t lines = 1, size = 16;
	const char *p = buf, *end = buf + len;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p++;
	}
	while (size < 2 * lines)
		size *= 2;
	s->k = xcalloc(size, sizeof(*s->k));
	s->mask = size - 1;
}

bool
import_seen_add(struct import_seen *s, const char *u, size_t un,
    const char *r, size_t rn)
{
	size_t i = (size_t)htable_key_hash(htable_user_hash(u, un),
	    htable_realm_hash(r, rn)) & s->mask;
	struct import_seen_key *k;

	for (;; i = (i + 1) & s->mask) {
		k = &s->k[i];
		if (k->user == NULL) {
			*k = (struct import_seen_key){ u, r, un, rn };
			return true;
		}
		if (k->user_len == un && k->realm_len == rn &&
		    memcmp(k->user, u, un) == 0 && memcmp(k->realm, r, rn) == 0)
			return false;
	}
}

void
import_seen_free(struct import_seen *s)
{
	free(s->k);
	s->k = NULL;
}

#ifdef PASSWD_SQLITE

#include <fcntl.h>

#include <sqlite3.h>

#include "passwd_store.h"

#define SQL_SEEN_CREATE \
	"CREATE TEMP TABLE import_seen (user TEXT NOT NULL, realm TEXT NOT NULL," \
	" PRIMARY KEY (user, realm)) WITHOUT ROWID"
#define SQL_SEEN_ADD \
	"INSERT OR IGNORE INTO temp.import_seen (user, realm) VALUES (:user, :realm)"

/* --import state: three statements run once per line. */
struct import {
	struct import_count c;
	struct store *s;
	sqlite3_stmt *seen, *update, *insert;
};

/* Import one line.  Returns 0 (imported or skipped) or -1 (SQL error). */
static int
import_line(void *arg, const char *p, size_t n, size_t lineno)
{
	struct import *im = arg;
	char ha1[PASSWD_HA1_SIZE];
	struct row r = { .ha1 = NULL };
	const char *why;
	int k = 0;

	why = import_parse(p, n, &r.user, &r.realm, ha1);
	if (why == NULL)
		r.ha1 = ha1;
	if (why == NULL && (k = store_step_write(im->s, im->seen, &r)) == 0)
		why = "an earlier line has the same user and realm (the first is used)";
	if (why == NULL && k > 0 &&
	    (k = store_step_write(im->s, im->update, &r)) == 0)
		k = store_step_write(im->s, im->insert, &r) > 0 ? 2 : -1;
	secret_wipe(ha1, sizeof(ha1));
	if (why != NULL) {
		if (*why != '\0')
			import_skip(&im->c, lineno, why);
		return 0;
	}
	if (k < 0) {
		log_error("%s:%zu: import stopped; nothing imported", im->c.name, lineno);
		return -1;
	}
	if (k == 2)
		im->c.added++;
	else
		im->c.updated++;
	return 0;
}

int
passwd_import_run(const struct passwd_req *req)
{
	struct store s;
	static const struct import_ops ops = { .line = import_line };
	struct import im = { .s = &s };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = PASSWD_EXIT_FAIL;

	im.c.name = strcmp(req->import, "-") == 0 ? "(stdin)" : req->import;
	if (store_open_checked(&s, req, false) < 0)
		return PASSWD_EXIT_FAIL;
	if (import_read(req->import, &buf, &len, &cap) < 0 ||
	    store_begin(&s) < 0 ||
	    store_exec(&s, SQL_SEEN_CREATE, "cannot create a temporary table") < 0 ||
	    (im.seen = store_prepare(&s, SQL_SEEN_ADD)) == NULL ||
	    (im.update = store_prepare(&s, SQL_SET_HA1)) == NULL ||
	    (im.insert = store_prepare(&s, SQL_INSERT)) == NULL ||
	    import_lines(&im.c, buf, len, &ops, &im) < 0)
		goto out;
	sqlite3_finalize(im.seen);
	sqlite3_finalize(im.update);
	sqlite3_finalize(im.insert);
	im.seen = im.update = im.insert = NULL;
	if (store_exec(&s, "DROP TABLE temp.import_seen", "cannot drop a temporary table") < 0 ||
	    store_commit(&s) < 0)
		goto out;
	log_info("imported %zu users (%zu new, %zu updated), %zu lines skipped",
	    im.c.added + im.c.updated, im.c.added, im.c.updated, im.c.skipped);
	rc = PASSWD_EXIT_OK;
out:
	sqlite3_finalize(im.seen);
	sqlite3_finalize(im.update);
	sqlite3_finalize(im.insert);
	store_rollback(&s);
	store_close(&s);
	if (buf != NULL)
		secret_free(buf, cap);
	return rc;
}

#endif /* PASSWD_SQLITE */
