/* lookup.c - one lookup of digest_sqlite_auth: the prepared statement
 * (open.c) bound to :user and :realm and stepped inside the burst's read
 * transaction.  A found, enabled user's reply carries annotations: the
 * user's groups (the default schema's digest_groups from version 2, or the
 * -g query's rows) and, with -q, the columns after the HA1.  The hot
 * path: everything a request runs is in this file.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "backend.h"
#include "digest.h"
#include "log.h"
#include "notes.h"
#include "secret.h"
#include "sqlite_int.h"

/* Lookups of one burst share a read transaction, so the file is locked
 * and checked once per burst instead of once per lookup.  A writer waits
 * for the transaction to end: it ends when the burst is answered, or after
 * this many lookups, whichever is first. */
#define SQLITE_TXN_MAX_LOOKUPS 256

/* End the read transaction, if one is open. */
void
sq_txn_end(struct sqlite_db *d)
{
	if (d->txn_lookups < 0)
		return;
	sqlite3_reset(d->look.st);
	sqlite3_reset(d->groups.st);
	sqlite3_reset(d->probe);
	if (sqlite3_step(d->end) != SQLITE_DONE)
		(void)sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_reset(d->end);
	d->txn_lookups = -1;
}

static void
txn_begin(struct sqlite_db *d)
{
	if (d->txn_lookups >= 0)
		return;
	if (sqlite3_step(d->begin) == SQLITE_DONE)
		d->txn_lookups = 0;
	sqlite3_reset(d->begin);
}

/* Bind the request's user and realm to the parameters st names. */
static int
bind_query(const struct sq_stmt *st, const struct backend_query *q)
{
	if (q->user_len > INT32_MAX || q->realm_len > INT32_MAX ||
	    sqlite3_bind_text(st->st, st->idx_user, q->user, (int)q->user_len,
	    SQLITE_STATIC) != SQLITE_OK ||
	    (st->idx_realm > 0 && sqlite3_bind_text(st->st, st->idx_realm,
	    q->realm, (int)q->realm_len, SQLITE_STATIC) != SQLITE_OK))
		return -1;
	return 0;
}

/* A step that failed with rc: BH, saying why. */
static enum backend_result
step_failed(struct sqlite_ctx *s, struct sqlite_db *d, int rc,
    const char *what, struct backend_answer *a)
{
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		/* the rest of this burst does not wait again: one time-out
		 * per burst, not one per request */
		if (!d->busy_in_burst)
			sqlite3_busy_timeout(d->db, 0);
		d->busy_in_burst = true;
		a->err = "Database is locked";
	} else {
		log_error("%s: %s failed: %s", s->path, what, sqlite3_errmsg(d->db));
		a->err = "Database error";
	}
	return BACKEND_FAIL;
}

/* -q: the columns after the HA1 of the row st is on, as annotations
 * named by the column (checked at start-up; notes_add checks again, as a
 * statement SQLite prepared anew may have other columns).  A NULL adds
 * nothing.  Returns 0, or -1 when a value could not be read. */
static int
add_columns(sqlite3_stmt *st, struct notes *nt)
{
	int n = sqlite3_column_count(st), i;

	for (i = 1; i < n && nt != NULL; i++) {
		const unsigned char *v;
		const char *name;

		if (sqlite3_column_type(st, i) == SQLITE_NULL)
			continue;
		v = sqlite3_column_text(st, i);
		name = sqlite3_column_name(st, i);
		if (v == NULL || name == NULL)
			return -1;	/* out of memory */
		(void)notes_add(nt, name, strlen(name), (const char *)v,
		    (size_t)sqlite3_column_bytes(st, i));
	}
	return 0;
}

/* Are there groups to look for?  1 yes, 0 no (the default schema's
 * table is empty), -1 when the probe failed with *rc_r.  Called while the
 * lookup holds the read lock, so the data version is that of the rows
 * read. */
static int
groups_present(struct sqlite_db *d, int *rc_r)
{
	unsigned int dv = 0;
	bool have_dv = false;
	int rc;

	if (d->groups.st == NULL)
		return 0;
	if (d->probe == NULL)
		return 1;	/* -g: always asked */
#ifdef SQLITE_FCNTL_DATA_VERSION
	have_dv = sqlite3_file_control(d->db, "main", SQLITE_FCNTL_DATA_VERSION,
	    &dv) == SQLITE_OK;
#endif
	if (!have_dv)
		return 1;	/* no way to tell a change: always asked */
	if (d->probe_known && d->probe_dv == dv)
		return d->probe_any;
	rc = sqlite3_step(d->probe);
	sqlite3_reset(d->probe);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*rc_r = rc;
		return -1;
	}
	d->probe_known = true;
	d->probe_any = rc == SQLITE_ROW;
	d->probe_dv = dv;
	return d->probe_any;
}

/* The groups of the user, as group="..." annotations, in the order of
 * the rows; a NULL adds nothing.  Any failure is BH: a reply without
 * groups the user has would answer an ACL wrongly. */
static enum backend_result
add_groups(struct sqlite_ctx *s, struct sqlite_db *d,
    const struct backend_query *q, struct backend_answer *a)
{
	sqlite3_stmt *st = d->groups.st;
	int rc;

	sqlite3_reset(st);
	if (bind_query(&d->groups, q) < 0) {
		a->err = "Database error";
		return BACKEND_FAIL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *g;

		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			continue;
		if ((g = sqlite3_column_text(st, 0)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (a->notes != NULL)
			(void)notes_add(a->notes, "group", 5, (const char *)g,
			    (size_t)sqlite3_column_bytes(st, 0));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return step_failed(s, d, rc, "group lookup", a);
	return BACKEND_FOUND;
}

/* The row the lookup is on: its verdict, and on FOUND the HA1 and the
 * -q annotations in a. */
static enum backend_result
take_row(struct sqlite_ctx *s, struct sqlite_db *d,
    const struct backend_query *q, struct backend_answer *a)
{
	sqlite3_stmt *st = d->look.st;
	const unsigned char *ha1 = sqlite3_column_text(st, 0);
	int n = sqlite3_column_bytes(st, 0);

	if (ha1 == NULL)
		return BACKEND_NOT_FOUND;	/* a NULL HA1: no password set */
	if (s->conf->query == NULL && sqlite3_column_int(st, 1) == 0) {
		log_debug("user is disabled");
		return BACKEND_NOT_FOUND;
	}
	if (!digest_is_hex(q->alg, (const char *)ha1, (size_t)n)) {
		if (!d->malformed_logged)
			log_error("%s: a stored HA1 is not %zu hex digits; fix that row (logged once)",
			    s->path, 2 * q->alg->len);
		d->malformed_logged = true;
		a->err = "Stored HA1 is malformed";
		return BACKEND_FAIL;
	}
	if (s->conf->query != NULL && add_columns(st, a->notes) < 0) {
		a->err = "Database error";
		return BACKEND_FAIL;
	}
	digest_hex_lower((const char *)ha1, (size_t)n, a->ha1);
	return BACKEND_FOUND;
}

enum backend_result
sq_lookup(void *ctx, const struct backend_query *q, struct backend_answer *a)
{
	struct sqlite_ctx *s = ctx;
	struct sqlite_db *d = &s->cur;
	enum backend_result res;
	int rc, groups = 0;

	txn_begin(d);
	sqlite3_reset(d->look.st);
	if (bind_query(&d->look, q) < 0) {
		a->err = "Database error";
		return BACKEND_FAIL;
	}
	rc = sqlite3_step(d->look.st);
	if (rc == SQLITE_DONE)
		res = BACKEND_NOT_FOUND;
	else if (rc != SQLITE_ROW)
		res = step_failed(s, d, rc, "lookup", a);
	else
		res = take_row(s, d, q, a);
	/* while the row's read lock is held (see groups_present) */
	if (res == BACKEND_FOUND && (groups = groups_present(d, &rc)) < 0)
		res = step_failed(s, d, rc, "group lookup", a);
	if (res == BACKEND_FOUND && (rc = sqlite3_step(d->look.st)) != SQLITE_DONE) {
		if (rc == SQLITE_ROW) {
			/* more than one row: ambiguous, like LDAP's several
			 * entries */
			log_error("%s: the query returned more than one row for one user; answering ERR",
			    s->path);
			res = BACKEND_NOT_FOUND;
		} else {
			res = step_failed(s, d, rc, "lookup", a);
		}
	}
	sqlite3_reset(d->look.st);
	/* in the same read transaction: groups as of the same moment */
	if (res == BACKEND_FOUND && groups > 0)
		res = add_groups(s, d, q, a);
	if (res != BACKEND_FOUND) {
		secret_wipe(a->ha1, sizeof(a->ha1));
		if (a->notes != NULL)
			notes_reset(a->notes);
	}
	/* A failed lookup must not keep a stale or broken transaction; a
	 * long burst must not keep writers out. */
	if (res == BACKEND_FAIL || d->txn_lookups < 0 ||
	    ++d->txn_lookups >= SQLITE_TXN_MAX_LOOKUPS)
		sq_txn_end(d);
	return res;
}

/* The burst is answered: end its read transaction, and let the next
 * burst wait for a lock again. */
void
sq_idle(void *ctx)
{
	struct sqlite_ctx *s = ctx;

	sq_txn_end(&s->cur);
	if (s->cur.busy_in_burst) {
		sqlite3_busy_timeout(s->cur.db, SQLITE_BUSY_TIMEOUT_MS);
		s->cur.busy_in_burst = false;
	}
}
