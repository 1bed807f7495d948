/* passwd.h - what the parts of digest_passwd share (digest_passwd(1)).
 *
 * digest_passwd.c parses the command line into a struct passwd_req and
 * hands it to a store: passwd_file.c (htdigest files), passwd_sqlite.c or
 * passwd_pgsql.c.
 * passwd_input.c reads passwords, checks user and realm values, and reads
 * whole files.  Every verb returns the process exit status.
 */
#ifndef DH_PASSWD_H
#define DH_PASSWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "digest.h"

#define PASSWD_EXIT_OK		0	/* done; with -v: the password matches */
#define PASSWD_EXIT_FAIL	1	/* usage, unknown user, I/O or store error */
#define PASSWD_EXIT_MISMATCH	3	/* -v: the password does not match */

/* Longest password accepted, in bytes (htdigest takes 255). */
#define PASSWD_MAX_LEN 1024

/* Longest user or realm accepted, in bytes.  Apache's htdigest takes 255;
 * every reader of ours takes this much (a request line of Squid's holds
 * both, escaped, within PROTO_LINE_MAX). */
#define PASSWD_NAME_MAX 1024
#define PASSWD_NAME_MAX_S "1024"

/* HA1 hex for MD5, with its NUL. */
#define PASSWD_HA1_SIZE (2 * 16 + 1)

enum passwd_verb {
	PASSWD_SET,		/* add or change (default) */
	PASSWD_DELETE,		/* -D */
	PASSWD_VERIFY,		/* -v */
	PASSWD_LIST,		/* -l */
	PASSWD_INIT,		/* --init (SQLite) */
	PASSWD_DISABLE,		/* --disable (SQLite) */
	PASSWD_ENABLE,		/* --enable (SQLite) */
	PASSWD_IMPORT,		/* --import FILE (SQLite) */
	PASSWD_GROUP_ADD,	/* --group-add REALM USER GROUP (SQLite) */
	PASSWD_GROUP_DEL,	/* --group-del REALM USER GROUP (SQLite) */
};

/* Strings point into argv. */
struct passwd_req {
	enum passwd_verb verb;
	const char *path;	/* the password file, or the database */
	const char *realm;	/* NULL: -l without a realm */
	const char *user;
	const char *import;	/* --import FILE; "-" is standard input */
	const char *group;	/* --group-add, --group-del */
	bool sqlite;		/* path is an SQLite database */
	bool pgsql;		/* path is a PostgreSQL conninfo (--pgsql) */
	bool mysql;		/* path is a MariaDB option file (--mysql) */
	bool create;		/* -c */
	bool from_stdin;	/* -i */
	bool allow_empty;	/* --allow-empty */
};

/* passwd_input.c */

/* Check a user or realm value given on the command line: not empty, no
 * ':', CR, LF or NUL, at most PASSWD_NAME_MAX bytes; a user must not start with '#', space or tab (a
 * reader would ignore the line).  Logs one line and returns -1 if bad. */
int passwd_check_names(const char *user, const char *realm);

/* The same rules as a reason, or NULL when the value is acceptable. */
const char *passwd_name_problem(const char *s, size_t n, bool is_user);

/* Read the password (prompted on the terminal with echo off, twice when
 * confirm is true; or one line from standard input with -i) and put
 * H(user:realm:password) in lowercase hex into ha1_r (PASSWD_HA1_SIZE).
 * An empty password is refused for PASSWD_SET unless --allow-empty.  The
 * password is wiped before returning.  Returns 0, or -1 after logging. */
int passwd_get_ha1(const struct passwd_req *req, bool confirm, char *ha1_r);

/* Print n bytes of a user or realm value: control bytes as \xHH. */
void passwd_print_name(FILE *fp, const char *s, size_t n);

/* A user or realm made safe for a log line (log_sanitize); buf holds
 * PASSWD_SHOW_SIZE bytes. */
#define PASSWD_SHOW_SIZE 256
const char *passwd_show(const char *s, char *buf);

#endif
