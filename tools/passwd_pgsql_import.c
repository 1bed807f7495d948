/* passwd_pgsql_import.c - digest_passwd --pgsql CONNINFO --import FILE:
 * load the user:realm:HA1 lines of an htdigest file into the store.
 *
 * The rows go in pipeline mode, a sync point every IMPORT_BATCH, inside
 * one transaction: every good line is stored, or nothing is.  A user
 * already in the store gets the new HA1 and keeps its enabled flag.
 * Within the file the first line for a user and realm wins; bad lines
 * are skipped with a warning naming the line number, never a field.
 * The file is read and its lines parsed as for the SQLite store
 * (passwd_import.h).
 */
#include "config.h"

#ifdef PASSWD_PGSQL

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "digest.h"
#include "fdio.h"
#include "htdigest.h"
#include "log.h"
#include "passwd.h"
#include "passwd_import.h"
#include "passwd_pgsql_int.h"
#include "safefile.h"
#include "secret.h"

/* Rows sent before a sync point and reading their results: few enough
 * that neither side's socket buffer fills while the other writes. */
#define IMPORT_BATCH 256

#define IMPORT_STMT "digest_passwd_upsert"


struct import {
	struct import_count c;
	struct pg *p;
	struct import_seen seen;
	size_t batch[IMPORT_BATCH + 2];	/* the line of each pending query */
	size_t nbatch;
	bool failed;
	size_t fail_line;
	char fail_msg[PG_MSG_SIZE];
};

/* The first failure of the import: its line (0: not a line's) and the
 * server's message. */
static void
import_fail(struct import *im, size_t lineno, const PGresult *res)
{
	const char *m = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (im->failed)
		return;
	im->failed = true;
	im->fail_line = lineno;
	pgpw_first_line(m != NULL ? m : PQerrorMessage(im->p->conn), im->fail_msg,
	    sizeof(im->fail_msg));
}

/* Send a sync point and read the results of everything pending. */
static void
import_sync(struct import *im)
{
	PGconn *c = im->p->conn;
	PGresult *res;
	size_t i;

	if (im->nbatch == 0)
		return;
	if (!PQpipelineSync(c)) {
		import_fail(im, 0, NULL);
		im->nbatch = 0;
		return;
	}
	for (i = 0; i < im->nbatch; i++) {
		if ((res = PQgetResult(c)) == NULL) {
			import_fail(im, im->batch[i], NULL);
			break;
		}
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
			if (PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't')
				im->c.added++;
			else
				im->c.updated++;
			break;
		case PGRES_COMMAND_OK:	/* BEGIN, the statement prepared */
		case PGRES_PIPELINE_ABORTED:	/* after the failure */
			break;
		default:
			import_fail(im, im->batch[i], res);
			break;
		}
		PQclear(res);
		/* each query's results end with a NULL */
		while ((res = PQgetResult(c)) != NULL)
			PQclear(res);
	}
	/* and the sync point */
	if ((res = PQgetResult(c)) == NULL || PQresultStatus(res) != PGRES_PIPELINE_SYNC)
		import_fail(im, 0, res);
	PQclear(res);
	im->nbatch = 0;
}

/* Send the row of one line.  The HA1 is wiped once libpq has it.
 * Returns 0: a failure stops the import through import_stopped. */
static int
import_line(void *arg, const char *p, size_t n, size_t lineno)
{
	struct import *im = arg;
	const int fmts[3] = { 1, 1, 1 };
	char ha1[PASSWD_HA1_SIZE];
	struct digest_str v[3];
	const char *vals[3], *why;
	int lens[3], i;

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
	for (i = 0; i < 3; i++) {
		vals[i] = v[i].p;
		lens[i] = (int)v[i].n;
	}
	if (!PQsendQueryPrepared(im->p->conn, IMPORT_STMT, 3, vals, lens, fmts, 0))
		import_fail(im, lineno, NULL);
	else
		im->batch[im->nbatch++] = lineno;
	secret_wipe(ha1, sizeof(ha1));
	if (im->nbatch >= IMPORT_BATCH)
		import_sync(im);
	return 0;
}

static bool
import_stopped(void *arg)
{
	return ((struct import *)arg)->failed;
}

static void
import_flush(void *arg)
{
	import_sync(arg);
}

int
pgpw_import(const struct passwd_req *req)
{
	static const struct import_ops ops = {
		.line = import_line, .stopped = import_stopped,
		.flush = import_flush,
	};
	const Oid types[3] = { PG_TEXTOID, PG_TEXTOID, PG_TEXTOID };
	struct pg p;
	struct import im = { .p = &p };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = PASSWD_EXIT_FAIL;

	im.c.name = strcmp(req->import, "-") == 0 ? "(stdin)" : req->import;
	if (pgpw_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (import_read(req->import, &buf, &len, &cap) < 0)
		goto out;
	import_seen_init(&im.seen, buf, len);
	if (!PQenterPipelineMode(p.conn) ||
	    !PQsendQueryParams(p.conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsendPrepare(p.conn, IMPORT_STMT, SQL_UPSERT, 3, types)) {
		pgpw_error(&p, NULL, "cannot start the import");
		goto out;
	}
	im.batch[im.nbatch++] = 0;
	im.batch[im.nbatch++] = 0;
	(void)import_lines(&im.c, buf, len, &ops, &im);
	if (im.failed) {
		if (im.fail_line > 0)
			log_error("%s:%zu: import stopped, nothing imported: %s",
			    im.c.name, im.fail_line, im.fail_msg);
		else
			log_error("%s: import stopped, nothing imported: %s",
			    p.shown, im.fail_msg);
		goto out;
	}
	if (!PQexitPipelineMode(p.conn)) {
		pgpw_error(&p, NULL, "cannot end the pipeline");
		goto out;
	}
	if (pgpw_commit(&p) < 0)
		goto out;
	log_info("imported %zu users (%zu new, %zu updated), %zu lines skipped",
	    im.c.added + im.c.updated, im.c.added, im.c.updated, im.c.skipped);
	rc = PASSWD_EXIT_OK;
out:
	/* closing without COMMIT rolls back */
	pgpw_close(&p);
	import_seen_free(&im.seen);
	if (buf != NULL)
		secret_free(buf, cap);
	return rc;
}

#endif /* PASSWD_PGSQL */
