/* passwd_mysql_import.c - digest_passwd --mysql FILE --import HTDIGEST:
 * load the user:realm:HA1 lines of an htdigest file into the store.
 *
 * One prepared statement (the upsert of passwd_mysql_int.h), executed per
 * line inside one transaction: every good line is stored, or nothing is.
 * A user already in the store gets the new HA1 and keeps its enabled
 * flag.  Within the file the first line for a user and realm wins; bad
 * lines are skipped with a warning naming the line number, never a field.
 * The file is read and its lines parsed as for the other stores
 * (passwd_import.h).
 */
#include "config.h"

#ifdef PASSWD_MYSQL

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "log.h"
#include "passwd.h"
#include "passwd_import.h"
#include "passwd_mysql_int.h"
#include "secret.h"


struct import {
	struct import_count c;
	struct mypw *p;
	MYSQL_STMT *st;
	struct import_seen seen;
	bool failed;
};

/* Store the row of one line.  The HA1 is wiped once sent.  Returns 0: a
 * failure stops the import through import_stopped. */
static int
import_line(void *arg, const char *p, size_t n, size_t lineno)
{
	struct import *im = arg;
	char ha1[PASSWD_HA1_SIZE];
	struct digest_str v[3];
	MYSQL_BIND b[3];
	unsigned long len[3];
	const char *why;
	int i;

	why = import_parse(p, n, &v[0], &v[1], ha1);
	if (why == NULL)
		v[2] = (struct digest_str){ ha1, 32 };
	if (why == NULL && !import_seen_add(&im->seen, v[0].p, v[0].n, v[1].p,
	    v[1].n))
		why = "an earlier line has the same user and realm (the first is used)";
	if (why != NULL) {
		if (*why != '\0')
			import_skip(&im->c, lineno, why);
		secret_wipe(ha1, sizeof(ha1));
		return 0;
	}
	memset(b, 0, sizeof(b));
	for (i = 0; i < 3; i++) {
		len[i] = (unsigned long)v[i].n;
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = (void *)v[i].p;
		b[i].buffer_length = len[i];
		b[i].length = &len[i];
	}
	if (mysql_stmt_bind_param(im->st, b) != 0 ||
	    mysql_stmt_execute(im->st) != 0) {
		log_error("%s:%zu: import stopped, nothing imported: %s",
		    im->c.name, lineno, mysql_stmt_error(im->st));
		im->failed = true;
	} else if (mysql_stmt_affected_rows(im->st) == 1) {
		im->c.added++;
	} else {
		im->c.updated++;
	}
	secret_wipe(ha1, sizeof(ha1));
	return 0;
}

static bool
import_stopped(void *arg)
{
	return ((struct import *)arg)->failed;
}

int
mypw_import(const struct passwd_req *req)
{
	static const struct import_ops ops = {
		.line = import_line, .stopped = import_stopped, .flush = NULL,
	};
	struct mypw p;
	struct import im = { .p = &p };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = PASSWD_EXIT_FAIL;

	im.c.name = strcmp(req->import, "-") == 0 ? "(stdin)" : req->import;
	if (mypw_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (import_read(req->import, &buf, &len, &cap) < 0)
		goto out;
	import_seen_init(&im.seen, buf, len);
	if (mypw_begin(&p) < 0)
		goto out;
	im.st = mysql_stmt_init(p.m);
	if (im.st == NULL || mysql_stmt_prepare(im.st, MYPW_UPSERT,
	    (unsigned long)strlen(MYPW_UPSERT)) != 0) {
		log_error("%s: cannot start the import: %s", p.shown,
		    im.st != NULL ? mysql_stmt_error(im.st) : mysql_error(p.m));
		goto out;
	}
	(void)import_lines(&im.c, buf, len, &ops, &im);
	if (im.failed || mypw_commit(&p) < 0)
		goto out;
	log_info("imported %zu users (%zu new, %zu updated), %zu lines skipped",
	    im.c.added + im.c.updated, im.c.added, im.c.updated, im.c.skipped);
	rc = PASSWD_EXIT_OK;
out:
	/* closing without COMMIT rolls back */
	if (im.st != NULL)
		mysql_stmt_close(im.st);
	mypw_close(&p);
	import_seen_free(&im.seen);
	if (buf != NULL)
		secret_free(buf, cap);
	return rc;
}

#endif /* PASSWD_MYSQL */
