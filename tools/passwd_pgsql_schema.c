/* passwd_pgsql_schema.c - digest_passwd --pgsql: the schema
 * (lib/pgschema.h).  --init creates it, under an advisory lock, in a
 * transaction of its own; every other verb checks it first, and -c when
 * adding creates it as --init would.  A schema newer than this program
 * knows is refused before anything is written.
 */
#include "config.h"

#ifdef PASSWD_PGSQL

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "passwd.h"
#include "passwd_pgsql_int.h"
#include "pgschema.h"

/* The schema's changes serialise on this transaction-level advisory lock
 * ("digestpw"), so two --init runs cannot race in CREATE TABLE. */
#define SQL_SCHEMA_LOCK "SELECT pg_advisory_xact_lock(7235427961773781111)"
#define SQL_HAS_SCHEMA "SELECT to_regclass('digest_schema_version') IS NOT NULL"

/* The store's schema version: 1 and *v_r (0 for an empty table), 0 when
 * there is no schema, -1 after logging. */
static int
pg_schema_version(struct pg *p, long long *v_r)
{
	PGresult *res = PQexec(p->conn, PGSCHEMA_VERSION_QUERY);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int rc = -1;

	*v_r = 0;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		if (!PQgetisnull(res, 0, 0))
			*v_r = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		rc = 1;
	} else if (state != NULL && strcmp(state, "42P01") == 0) {
		rc = 0;		/* undefined_table */
	} else {
		pgpw_error(p, res, "cannot read the schema version");
	}
	PQclear(res);
	return rc;
}

/* Refuse a store without our schema, or with a version we do not know. */
static int
pg_check_schema(struct pg *p)
{
	long long v;

	switch (pg_schema_version(p, &v)) {
	case 0:
		log_error("%s has no digest-helpers schema; create it with: digest_passwd --pgsql CONNINFO --init",
		    p->shown);
		return -1;
	case 1:
		break;
	default:
		return -1;
	}
	if (v == 0) {
		log_error("%s: digest_schema_version is empty; run: digest_passwd --pgsql CONNINFO --init",
		    p->shown);
		return -1;
	}
	if (v > PGSCHEMA_VERSION) {
		log_error("%s: schema version %lld is newer than this digest_passwd knows (%d); upgrade digest-helpers",
		    p->shown, v, PGSCHEMA_VERSION);
		return -1;
	}
	return 0;
}

/* Create the schema when missing, in one transaction of its own (taken
 * under the advisory lock); a newer schema is refused before anything is
 * written.  0, or -1 after logging. */
static int
pg_init_schema(struct pg *p)
{
	PGresult *res;
	bool exists;

	if (pgpw_begin(p) < 0 ||
	    pgpw_exec(p, SQL_SCHEMA_LOCK, "cannot lock the schema") < 0)
		return -1;
	if ((res = pgpw_run(p, SQL_HAS_SCHEMA, 0, NULL, "cannot read the catalog")) == NULL)
		return -1;
	exists = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (exists) {
		long long v;

		if (pg_schema_version(p, &v) < 0)
			return -1;
		if (v > PGSCHEMA_VERSION) {
			log_error("%s: schema version %lld is newer than this digest_passwd knows (%d); upgrade digest-helpers",
			    p->shown, v, PGSCHEMA_VERSION);
			return -1;
		}
	}
	if (pgpw_exec(p, PGSCHEMA_CREATE, "cannot create the schema") < 0 ||
	    pg_check_schema(p) < 0 || pgpw_commit(p) < 0)
		return -1;
	return 0;
}

int
pgpw_init(const struct passwd_req *req)
{
	struct pg p;
	int rc = PASSWD_EXIT_FAIL;

	if (pgpw_connect(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	if (pg_init_schema(&p) == 0) {
		log_info("%s: schema version %d ready", p.shown, PGSCHEMA_VERSION);
		rc = PASSWD_EXIT_OK;
	}
	pgpw_close(&p);
	return rc;
}

/* Connect and check the schema (with -c when adding: create it). */
int
pgpw_open(struct pg *p, const struct passwd_req *req)
{
	if (pgpw_connect(p, req) < 0)
		return -1;
	if ((req->create ? pg_init_schema(p) : pg_check_schema(p)) < 0) {
		pgpw_close(p);
		return -1;
	}
	return 0;
}

#endif /* PASSWD_PGSQL */
