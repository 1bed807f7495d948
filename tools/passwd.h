/* passwd.h - what the parts of digest_passwd share (digest_passwd(1)).
 *
 * digest_passwd.c parses the command line into a struct passwd_req and
 * hands it to a store: passwd_file.c (htdigest files), passwd_sqlite.c,
 * passwd_pgsql.c or passwd_ldap.c.
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
	bool ldap;		/* path is digest_ldap_auth's arguments (--ldap) */
	const char *bind_dn;	/* --bind-dn: the DN that writes (LDAP) */
	const char *bind_secret_file;	/* --bind-secret-file (LDAP) */
	bool plaintext;		/* --plaintext: write plaintext (LDAP, no -e) */
	bool create;		/* -c */
	bool from_stdin;	/* -i */
	bool allow_empty;	/* --allow-empty */
	char *const *argv;	/* the command line as typed (getopt reorders
				 * argv), for passwd_exec_store */
};

/* Which stores a build of the tool has: the macros PASSWD_SQLITE,
 * PASSWD_PGSQL, PASSWD_LDAP and PASSWD_MYSQL, one in each store's
 * program (digest_passwd-sqlite, ...), none in digest_passwd, whose
 * --sqlite, --pgsql, --ldap and --mysql run that program (passwd_exec.c).
 * Without the macro, a store's passwd_STORE.h gives stubs that say the
 * store is not available.
 *
 * passwd_exec.c: run the store's own program (digest_passwd-STORE, STORE
 * one of sqlite, pgsql, ldap, mysql; what names it in messages) with
 * argv, for a digest_passwd built without that store.  Returns only when
 * it cannot, after logging why. */
void passwd_exec_store(const char *store, const char *what, char *const *argv);

/* passwd_verbs.c: a database store's verbs, each returning the exit
 * status.  lookup opens the store, reads the user's HA1 (lowercase, into
 * ha1_r, PASSWD_HA1_SIZE) and enabled flag, and closes it: 1 found, 0
 * not found, -1 an error (logged). */
struct passwd_store_ops {
	int (*init)(const struct passwd_req *req);	/* --init */
	int (*set)(const struct passwd_req *req);	/* add or change */
	int (*change)(const struct passwd_req *req);	/* -D, --disable, --enable */
	int (*lookup)(const struct passwd_req *req, char *ha1_r,
	    bool *enabled_r);				/* for -v */
	int (*list)(const struct passwd_req *req);	/* -l */
	int (*import)(const struct passwd_req *req);	/* --import */
	int (*group)(const struct passwd_req *req);	/* --group-add, --group-del */
};

/* Run req's verb with the store's functions; -v is done here. */
int passwd_store_run(const struct passwd_store_ops *ops,
    const struct passwd_req *req);

/* "user U not found in realm R" */
void passwd_not_found(const struct passwd_req *req);

/* --group-add/--group-del changed n rows of an existing user: -1 when
 * removing a group the user is not in (logged), else 0; once committed,
 * passwd_group_report says what was done. */
int passwd_group_check(const struct passwd_req *req, int n);
void passwd_group_report(const struct passwd_req *req, int n);

/* A group name for -l: control bytes, ',' (the separator) and '\' (the
 * escape) as \xHH, so the list reads back unambiguously. */
void passwd_print_group(const char *g, size_t n);

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

/* The same reading and checks, but the password itself: *pw_r, NUL
 * terminated, its length in *n_r, freed (wiped) by passwd_free_password.
 * Returns 0, or -1 after logging. */
int passwd_get_password(const struct passwd_req *req, bool confirm,
    char **pw_r, size_t *n_r);
void passwd_free_password(char *pw);

/* A secret prompted for on the terminal with echo off (the LDAP bind
 * password); freed by passwd_free_password.  0, or -1 after logging. */
int passwd_prompt_secret(const char *prompt, char **pw_r);

/* -v: read the password, compare its HA1 with want (PASSWD_HA1_SIZE,
 * lowercase) in constant time, say which; a disabled user is warned of.
 * Returns PASSWD_EXIT_OK, _MISMATCH or _FAIL. */
int passwd_verify_ha1(const struct passwd_req *req, const char *want,
    bool enabled);

/* Print n bytes of a user or realm value: control bytes as \xHH. */
void passwd_print_name(FILE *fp, const char *s, size_t n);

/* A user or realm made safe for a log line (log_sanitize); buf holds
 * PASSWD_SHOW_SIZE bytes. */
#define PASSWD_SHOW_SIZE 256
const char *passwd_show(const char *s, char *buf);

#endif
