/* passwd_mysql_conn.c - digest_passwd --mysql FILE: the connection, bound
 * statements, transactions and the schema (lib/myschema.h).
 *
 * The option file FILE is checked like any file an admin names (a regular
 * file this user can read), then handed to the library, which reads its
 * [client] group: host, port, socket, user, password, database, TLS.
 * Messages name the server and the database only, never the file's
 * password, and of a failed statement the server's message, which names
 * no bound value.
 */
#include "config.h"

#ifdef PASSWD_MYSQL

#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "myschema.h"
#include "passwd.h"
#include "passwd_mysql_int.h"
#include "safefile.h"
#include "secret.h"

/* Concurrent --init runs serialise on this named lock, for at most this
 * long (DDL commits by itself: no transaction can hold them together). */
#define MYPW_SCHEMA_LOCK "SELECT GET_LOCK('digest_helpers_schema', 30)"
#define MYPW_SCHEMA_UNLOCK "SELECT RELEASE_LOCK('digest_helpers_schema')"

static void
wipe_str(char *p)
{
	if (p != NULL)
		secret_wipe(p, strlen(p));
}

void
mypw_close(struct mypw *p)
{
	if (p->m != NULL) {
		wipe_str(p->m->passwd);	/* the library frees it unwiped */
		wipe_str(p->m->options.password);
		mysql_close(p->m);
	}
	p->m = NULL;
}

static int
mypw_connect(struct mypw *p, const struct passwd_req *req)
{
	static const unsigned timeout = 10, off = 0;
	char why[512];
	struct stat st;
	int fd = safe_open_read(req->path, &st, why, sizeof(why));
	const char *db;

	memset(p, 0, sizeof(*p));
	if (fd < 0) {
		log_error("the option file: %s", why);
		return -1;
	}
	close(fd);
	snprintf(p->shown, sizeof(p->shown), "the server of %s", req->path);
	if ((p->m = mysql_init(NULL)) == NULL) {
		log_error("out of memory");
		return -1;
	}
	mysql_options(p->m, MYSQL_READ_DEFAULT_FILE, req->path);
	mysql_options(p->m, MYSQL_READ_DEFAULT_GROUP, "client");
	mysql_options(p->m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(p->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(p->m, MYSQL_OPT_LOCAL_INFILE, &off);
	if (mysql_real_connect(p->m, NULL, NULL, NULL, NULL, 0, NULL, 0) == NULL) {
		log_error("%s: cannot connect: %s", p->shown, mysql_error(p->m));
		mypw_close(p);
		return -1;
	}
	db = p->m->db;
	if (db == NULL || *db == '\0') {
		log_error("%s names no database (database=... in its [client] group)",
		    req->path);
		mypw_close(p);
		return -1;
	}
	snprintf(p->shown, sizeof(p->shown), "%s, database %s",
	    mysql_get_host_info(p->m), db);
	log_debug("connected to %s", p->shown);
	return 0;
}

static void
stmt_error(const struct mypw *p, MYSQL_STMT *st, const char *what)
{
	log_error("%s: %s: %s", p->shown, what, st != NULL ?
	    mysql_stmt_error(st) : mysql_error(p->m));
}

MYSQL_STMT *
mypw_run(struct mypw *p, const char *sql, int n, const struct digest_str *v,
    const char *what, long long *affected_r)
{
	MYSQL_STMT *st = mysql_stmt_init(p->m);
	MYSQL_BIND b[3];
	unsigned long len[3];
	int i;

	*affected_r = -1;
	if (st == NULL) {
		stmt_error(p, NULL, what);
		return NULL;
	}
	memset(b, 0, sizeof(b));
	for (i = 0; i < n && i < 3; i++) {
		len[i] = (unsigned long)v[i].n;
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = (void *)v[i].p;
		b[i].buffer_length = len[i];
		b[i].length = &len[i];
	}
	if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0 ||
	    (n > 0 && mysql_stmt_bind_param(st, b) != 0) ||
	    mysql_stmt_execute(st) != 0 ||
	    (mysql_stmt_field_count(st) > 0 && mysql_stmt_store_result(st) != 0)) {
		stmt_error(p, st, what);
		mysql_stmt_close(st);
		return NULL;
	}
	if (mysql_stmt_field_count(st) > 0) {
		*affected_r = 0;
		return st;
	}
	*affected_r = (long long)mysql_stmt_affected_rows(st);
	mysql_stmt_close(st);
	return NULL;
}

long long
mypw_write(struct mypw *p, const char *sql, int n, const struct digest_str *v,
    const char *what)
{
	long long rows;

	mypw_stmt_done(mypw_run(p, sql, n, v, what, &rows));
	return rows;
}

int
mypw_fetch(struct mypw *p, MYSQL_STMT *st, struct mypw_val *vals, unsigned n)
{
	MYSQL_BIND b[8];
	unsigned long len[8];
	my_bool nul[8];
	unsigned i;
	int rc;

	if (n > 8)
		return -1;
	memset(b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		len[i] = 0;
		nul[i] = 0;
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].length = &len[i];
		b[i].is_null = &nul[i];
		vals[i] = (struct mypw_val){ .null = true };
	}
	if (mysql_stmt_bind_result(st, b) != 0)
		goto fail;
	rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA)
		return 0;
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
		goto fail;
	for (i = 0; i < n; i++) {
		MYSQL_BIND one = { .buffer_type = MYSQL_TYPE_STRING };
		unsigned long got = 0;

		vals[i].null = nul[i] != 0;
		if (vals[i].null)
			len[i] = 0;	/* not set by the library for a NULL */
		vals[i].p = xmalloc(len[i] + 1);
		vals[i].n = len[i];
		vals[i].p[len[i]] = '\0';
		if (vals[i].null || len[i] == 0)
			continue;
		one.buffer = vals[i].p;
		one.buffer_length = len[i] + 1;
		one.length = &got;
		if (mysql_stmt_fetch_column(st, &one, i, 0) != 0)
			goto fail;
		vals[i].p[len[i]] = '\0';
	}
	return 1;
fail:
	mypw_val_free(vals, n);
	stmt_error(p, st, "cannot read a row");
	return -1;
}

void
mypw_val_free(struct mypw_val *v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (v[i].p != NULL) {
			secret_wipe(v[i].p, v[i].n);
			free(v[i].p);
		}
		v[i].p = NULL;
	}
}

void
mypw_stmt_done(MYSQL_STMT *st)
{
	if (st != NULL) {
		mysql_stmt_free_result(st);
		mysql_stmt_close(st);
	}
}

int
mypw_exec(struct mypw *p, const char *sql, const char *what)
{
	MYSQL_RES *r;

	if (mysql_query(p->m, sql) != 0) {
		stmt_error(p, NULL, what);
		return -1;
	}
	if ((r = mysql_store_result(p->m)) != NULL)
		mysql_free_result(r);
	return 0;
}

int
mypw_begin(struct mypw *p)
{
	return mypw_exec(p, "START TRANSACTION", "cannot begin a transaction");
}

int
mypw_commit(struct mypw *p)
{
	return mypw_exec(p, "COMMIT", "cannot commit");
}

/* The schema version: 1 and *v_r (0 for an empty table), 0 when there is
 * no schema, -1 on an error (logged). */
static int
schema_version(struct mypw *p, long long *v_r)
{
	struct mypw_val v;
	MYSQL_STMT *st;
	long long rows;
	int rc;

	*v_r = 0;
	st = mysql_stmt_init(p->m);
	if (st != NULL && mysql_stmt_prepare(st, MYSCHEMA_VERSION_QUERY,
	    (unsigned long)strlen(MYSCHEMA_VERSION_QUERY)) != 0 &&
	    mysql_stmt_errno(st) == ER_NO_SUCH_TABLE) {
		mysql_stmt_close(st);
		return 0;
	}
	if (st != NULL)
		mysql_stmt_close(st);
	st = mypw_run(p, MYSCHEMA_VERSION_QUERY, 0, NULL,
	    "cannot read the schema version", &rows);
	if (st == NULL)
		return -1;
	rc = mypw_fetch(p, st, &v, 1);
	if (rc == 1 && !v.null)
		*v_r = strtoll(v.p, NULL, 10);
	if (rc == 1)
		mypw_val_free(&v, 1);
	mypw_stmt_done(st);
	return rc < 0 ? -1 : 1;
}

static int
check_schema(struct mypw *p, bool create)
{
	long long v;

	switch (schema_version(p, &v)) {
	case 0:
		if (create)
			break;
		log_error("%s has no digest-helpers schema; create it with: digest_passwd --mysql FILE --init",
		    p->shown);
		return -1;
	case 1:
		if (v > MYSCHEMA_VERSION) {
			log_error("%s: schema version %lld is newer than this digest_passwd knows (%d); upgrade digest-helpers",
			    p->shown, v, MYSCHEMA_VERSION);
			return -1;
		}
		if (v > 0 || create)
			break;
		log_error("%s: digest_schema_version is empty; run: digest_passwd --mysql FILE --init",
		    p->shown);
		return -1;
	default:
		return -1;
	}
	return create ? 1 : 0;
}

/* MYSCHEMA_CREATE, one statement at a time (each ends in ";\n"). */
static int
create_schema(struct mypw *p)
{
	const char *s = MYSCHEMA_CREATE, *e;
	char *one;
	int rc = 0;

	if (mypw_exec(p, MYPW_SCHEMA_LOCK, "cannot lock the schema") < 0)
		return -1;
	while (rc == 0 && (e = strstr(s, ";\n")) != NULL) {
		one = xmemdup0(s, (size_t)(e - s));
		rc = mypw_exec(p, one, "cannot create the schema");
		free(one);
		s = e + 2;
	}
	(void)mypw_exec(p, MYPW_SCHEMA_UNLOCK, "cannot unlock the schema");
	return rc;
}

int
mypw_open(struct mypw *p, const struct passwd_req *req)
{
	bool create = req->verb == PASSWD_INIT ||
	    (req->verb == PASSWD_SET && req->create);
	int rc;

	if (mypw_connect(p, req) < 0)
		return -1;
	rc = check_schema(p, create);
	if (rc == 1 && (create_schema(p) < 0 || check_schema(p, false) < 0))
		rc = -1;
	if (rc < 0) {
		mypw_close(p);
		return -1;
	}
	return 0;
}

int
mypw_init(const struct passwd_req *req)
{
	struct mypw p;

	if (mypw_open(&p, req) < 0)
		return PASSWD_EXIT_FAIL;
	log_info("%s: schema version %d ready", p.shown, MYSCHEMA_VERSION);
	mypw_close(&p);
	return PASSWD_EXIT_OK;
}

#endif /* PASSWD_MYSQL */
