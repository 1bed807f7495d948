/* passwd_ldap_int.h - what the files of digest_passwd --ldap share.
 *
 *   passwd_ldap.c       the verbs: add or change, -D, -v; the dispatch
 *   passwd_ldap_list.c  -l, in pages
 *   passwd_ldap_conn.c  the helper's arguments, the connection, finding
 *                       the user's entry, messages with the LDAP result
 *
 * Only built with LDAP support (configure --with-ldap).
 */
#ifndef DH_PASSWD_LDAP_INT_H
#define DH_PASSWD_LDAP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "ldap_int.h"
#include "passwd.h"

/* How many times a change is tried again when another admin changed the
 * same realm's value between our read and our modify. */
#define LDPW_RETRIES 10

struct ldpw_who {
	const char *dn;		/* NULL: anonymous */
	char *secret;
};

struct ldpw {
	struct lb_conf *c;	/* the helper's options */
	char *words;		/* HELPER-ARGS split: the words point here */
	size_t words_len;
	char **argv;
	const char **realms;	/* --realm values of HELPER-ARGS */
	size_t nrealms;
	char **uri;		/* the servers, in the helper's order */
	unsigned nuri;
	char **attrs;		/* lb_query_attrs */
	size_t nexact;
	LDAP *ld;		/* open on uri[cur], bound */
	unsigned cur;
	/* Who finds the entry: the helper's -D/-W, so the tool sees what the
	 * helper sees (the reader); who changes it: --bind-dn, else the
	 * helper's DN too (the writer).  Secrets wiped by ldpw_close. */
	struct ldpw_who reader, writer;
	bool reader_unusable;	/* the helper's -W could not be read */
	const struct ldpw_who *bound;	/* the identity ld is bound as */
	struct obuf scratch;	/* base and filter being built */
};

/* The user's entry, found as the helper finds it. */
struct ldpw_entry {
	char *dn;			/* ldap_memfree */
	struct berval **vals;		/* -A values, wiped by ldpw_entry_free */
};

/* --- passwd_ldap_conn.c ---------------------------------------------------- */

/* Parse req->path as digest_ldap_auth's arguments, check them as the
 * helper does and that req's realm is one it answers, and get the bind
 * secret.  0, or -1 after logging. */
int ldpw_setup(struct ldpw *l, const struct passwd_req *req);

/* Connect to server i and bind as the reader.  0, or -1 after logging. */
int ldpw_connect(struct ldpw *l, unsigned i);

/* Bind the connection as who (unless it is already).  0, or the LDAP
 * result code after logging. */
int ldpw_bind(struct ldpw *l, const struct ldpw_who *who);

/* ldpw_connect to the first server that answers.  0, or -1. */
int ldpw_connect_any(struct ldpw *l);

void ldpw_disconnect(struct ldpw *l);
void ldpw_close(struct ldpw *l);

/* Find req's user (the name after DOMAIN\ with -S) as the helper would,
 * reading -A.  1 found, 0 not found or ambiguous (logged), -1 error
 * (logged). */
int ldpw_find(struct ldpw *l, const struct passwd_req *req,
    struct ldpw_entry *e);
void ldpw_entry_free(struct ldpw_entry *e);

/* Log "what: the LDAP result text[: the server's message]". */
void ldpw_error(const struct ldpw *l, const char *what, int rc);

/* --- passwd_ldap_list.c ---------------------------------------------------- */

int ldpw_list(struct ldpw *l, const struct passwd_req *req);

#endif
