/* ldap_int.h - what the files of the LDAP store share.
 *
 *   ldap.c      the backend: start-up, shut-down, the hooks the loop calls
 *   conf.c      the options
 *   check.c     their checks at start-up
 *   servers.c   the list of servers, one URI each
 *   session.c   one LDAP session's options and bind (the tool's too)
 *   conn.c      the connection: its states, fail-over, the back-off
 *   wlayer.c    the Sockbuf layers on the connection, the spin-wait
 *   query.c     a user's search and the reading of its entry, apart
 *               from the connection (digest_passwd --ldap uses it too)
 *   search.c    sending a user's search
 *   judge.c     the verdict of a finished search
 *   groups.c    the user's groups as group="..." annotations (-G)
 *   gsearch.c   the group search (--group-base, --group-filter)
 *   inflight.c  the table of lookups in flight: start, results, time-outs
 *
 * All state is in the configuration (struct lb_conf, from the options)
 * and the context (struct lb_ctx, made by init): none at file scope.
 */
#ifndef DH_LDAP_INT_H
#define DH_LDAP_INT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#define LDAP_DEPRECATED 0
#include <lber.h>
#include <ldap.h>

#include "backend.h"
#include "clock.h"
#include "digest.h"
#include "notes.h"
#include "obuf.h"

/* Client-side limit for one search when -t is not given; with -t, the
 * server's limit plus LB_SEARCH_GRACE_S, so the server's answer wins. */
#define LB_DEFAULT_SEARCH_TIMEOUT_S 10
#define LB_SEARCH_GRACE_S 2

/* The long options (no short letter). */
enum {
	LB_OPT_GROUP_RDN = 0x200,
	LB_OPT_GROUP_BASE,
	LB_OPT_GROUP_FILTER,
	LB_OPT_GROUP_ATTR,
};

/* The group attribute of a group search without --group-attr. */
#define LB_DEFAULT_GROUP_ATTR "cn"

/* The options (-b, -F ...), with their defaults from lb_conf_new(). */
struct lb_conf {
	char *uris;		/* -H values, spaces between */
	char *hosts;		/* -h values, spaces between */
	int port;		/* -p, for hosts given without one */
	const char *basedn;	/* -b */
	const char *filter;	/* -F pattern */
	const char *userattr;	/* -u */
	const char *passattr;	/* -A */
	const char *delim;	/* -l */
	const char *realm;	/* -r */
	bool ha1;		/* -e */
	int scope;		/* -s */
	const char *binddn;	/* -D */
	char *secret;		/* -w / -W, wiped by lb_conf_free */
	bool tls;		/* -Z */
	int connect_timeout;	/* -c seconds */
	int timelimit;		/* -t seconds, 0 none */
	int deref;		/* -a */
	int version;		/* -v */
	bool no_referrals;	/* -R */
	bool strip_domain;	/* -S */
	unsigned inflight;	/* -j */
	const char *memberof;	/* -G: the user's attribute naming groups */
	bool group_rdn;		/* --group-rdn: a DN value gives its RDN value */
	const char *group_base;	/* --group-base */
	const char *group_filter;	/* --group-filter pattern (%D, %s) */
	const char *group_attr;	/* --group-attr, NULL: LB_DEFAULT_GROUP_ATTR */
	char err[1024];		/* why -W failed: option()'s message */
};

/* The connection's states.  Only READY and BROKEN have a connection (ld);
 * CONNECTING has one while a server is being tried.
 *
 *   DISCONNECTED, or WAIT_RETRY once retry_at_ms has come -> CONNECTING
 *   CONNECTING -> READY (a server bound) or WAIT_RETRY (none did)
 *   READY      -> BROKEN (a write failed), WAIT_RETRY (lost or hung)
 *   BROKEN     -> WAIT_RETRY (at the next dispatch)
 */
enum lb_conn_state {
	LB_CONN_DISCONNECTED,	/* not tried yet (start-up) */
	LB_CONN_CONNECTING,	/* one attempt going down the server list */
	LB_CONN_READY,		/* bound: searches go out on ld */
	LB_CONN_BROKEN,		/* held searches could not be written: ld is
				 * dropped at the next dispatch */
	LB_CONN_WAIT_RETRY,	/* dropped or unreachable: the next attempt not
				 * before retry_at_ms */
};

struct lb_conn {
	enum lb_conn_state state;
	LDAP *ld;
	unsigned gen;		/* bumped whenever ld is dropped: message ids
				 * of an old connection never match new ones */
	unsigned cur;		/* the server in use, or the first to try next */
	int last_ok;		/* the last one connected to, -1: none yet */
	long long heard_ms;	/* the server last answered (or was connected) */
	long long retry_at_ms;	/* WAIT_RETRY: no attempt before this */
	int backoff_ms;		/* 0: the last connection was fine */
	bool outage_logged;	/* an attempt failed since the last success */
	const char *down_why;	/* BH message while no server can be used */
};

/* Our write layer on the connection's Sockbuf (wlayer.c). */
struct lb_wlayer {
	Sockbuf_IO io;		/* its functions, for liblber */
	Sockbuf *sb;		/* the connection's, NULL when not tuned */
	Sockbuf_IO_Desc *desc;	/* the layer on it, NULL: none */
	bool hold;		/* writes may wait in buf (ldap_search_ext) */
	struct obuf buf;	/* searches not yet written to the socket */
};

/* A lookup's slot in the table of lookups in flight.  The state is that
 * of the search the lookup waits for: the user's, then (--group-filter)
 * the group search, which starts SENT again. */
enum lb_search_state {
	LB_SEARCH_FREE,
	LB_SEARCH_SENT,		/* sent on connection gen */
	LB_SEARCH_RESENT,	/* sent again after its connection was lost:
				 * never a third time */
};

enum lb_phase {
	LB_PHASE_USER,		/* the user's search: the entry, the HA1 */
	LB_PHASE_GROUPS,	/* the group search: ha1 and dn are set */
};

struct lb_search {
	enum lb_search_state state;
	int msgid;
	unsigned gen;		/* the connection it was sent on */
	unsigned token;
	long long deadline_ms;
	char *user;		/* copies: the request line is gone by then */
	size_t user_len;	/* the name as sent: the HA1 is computed with it */
	size_t search_off;	/* the name searched for: user + search_off (-S) */
	char *realm;
	size_t realm_len;
	const struct digest_alg *alg;
	enum lb_phase phase;
	char *dn;		/* the user's entry (group search: %D) */
	char ha1[DIGEST_HEX_MAX + 1];	/* found, kept for the group search's
					 * end; wiped when the slot is freed */
};

/* The groups of the reply being made, gathered before they are sorted
 * (groups.c): values one after another in buf, v[i] where each is. */
struct lb_gval {
	size_t off, len;
	const char *p;		/* buf.p + off, once all are gathered */
};

struct lb_groups {
	struct obuf buf;
	struct lb_gval *v;
	size_t n, cap;
};

struct lb_ctx {
	const struct lb_conf *c;
	char **uri;		/* the servers, in the order they are tried */
	unsigned nuri;
	struct lb_conn conn;
	struct lb_wlayer wl;
	struct lb_search *s;	/* the table of lookups in flight (-j slots) */
	unsigned ns;
	char **attrs;		/* requested: -A, then the exact-match ones */
	size_t nexact;		/* attributes that must equal the user name */
	char *gattrs[2];	/* requested by the group search */
	struct obuf scratch;	/* base and filter being built */
	struct notes notes;	/* the annotations of the reply being made */
	struct lb_groups groups;	/* its groups, being gathered */
	int last_err;		/* last search error logged, and when */
	long long last_err_ms;
	bool nobase_logged;
	bool nogbase_logged;	/* --group-base missing, logged */
	bool notdn_logged;	/* --group-rdn: a value not a DN, logged */
};

static inline long long
lb_now_us(void)
{
	return clock_now_ns() / 1000;
}

static inline long long
lb_now_ms(void)
{
	return lb_now_us() / 1000;
}

/* conf.c */
extern const char lb_shortopts[];
extern const struct option lb_longopts[];
void *lb_conf_new(void);
void lb_conf_free(void *conf);
int lb_option(void *conf, int opt, const char *arg, const char **err_r);

/* check.c: 0, or -1 with the start-up error in err_r. */
int lb_conf_check(const struct lb_conf *c, char *err_r, size_t errlen);

/* servers.c: the servers from -H, -h and the arguments; NULL after an
 * error (in err_r). */
char **lb_servers(const struct lb_conf *c, int argc, char **argv,
    unsigned *n_r, char *err_r, size_t errlen);
void lb_servers_free(char **uri, unsigned n);

/* session.c: set the options of c (version, time-outs, aliases,
 * referrals) on a new ld; bind it as dn with secret (anonymous without
 * a DN; a DN without a secret is an unauthenticated bind). */
void lb_session_options(LDAP *ld, const struct lb_conf *c);
int lb_session_bind(LDAP *ld, const char *dn, const char *secret);

/* conn.c */
bool lb_connected(const struct lb_ctx *x);	/* READY or BROKEN */
bool lb_conn_ensure(struct lb_ctx *x);	/* connected, or connect now */
void lb_conn_broken(struct lb_ctx *x);	/* a write failed */
void lb_conn_lost(struct lb_ctx *x, int rc);	/* same server next */
void lb_conn_hung(struct lb_ctx *x, int secs);	/* the next server next */
void lb_conn_close(struct lb_ctx *x);	/* the caller sets the state */

/* wlayer.c */
void lb_wlayer_init(struct lb_ctx *x);
void lb_wlayer_add(struct lb_ctx *x);
void lb_wlayer_gone(struct lb_ctx *x);
int lb_wlayer_flush(struct lb_ctx *x);
bool lb_wlayer_maybe_buffered(const struct lb_ctx *x);
void lb_spin_for_reply(struct lb_ctx *x, int fd);

/* query.c */

/* How long a search is waited for: -t plus LB_SEARCH_GRACE_S, or
 * LB_DEFAULT_SEARCH_TIMEOUT_S. */
int lb_search_wait_s(const struct lb_conf *c);

/* The attributes a user's search asks for: -A, then the nexact ones that
 * must hold the name exactly, then -G; a NULL at the end. */
char **lb_query_attrs(const struct lb_conf *c, size_t *nexact_r);
void lb_query_attrs_free(char **attrs);

/* The search for the name user (as searched for, after -S) into b: the
 * base DN, then the filter, a NUL after each.  Returns where the filter
 * starts. */
size_t lb_query_build(const struct lb_conf *c, struct obuf *b,
    const char *user, size_t ulen);

/* The entry e holds the name, byte for byte, in one of the exact-match
 * attributes of attrs (lb_query_attrs). */
bool lb_query_name_matches(LDAP *ld, LDAPMessage *e, char **attrs,
    size_t nexact, const char *user, size_t ulen);

/* The secret for the realm among the values of -A: the index of the value
 * holding it (the secret in *secret_r, pointing into it), or -1. */
int lb_query_pick(const struct lb_conf *c, const char *realm,
    size_t realm_len, struct berval **vals, struct digest_str *secret_r);

/* Wipe and free values of -A. */
void lb_query_wipe_values(struct berval **vals);

/* search.c; lb_send: the search of s's phase (the user's or the group
 * search) */
void lb_search_attrs(struct lb_ctx *x);
void lb_search_attrs_free(struct lb_ctx *x);
int lb_search_ext(struct lb_ctx *x, struct lb_search *s, const char *base,
    int scope, const char *filter, char **attrs, int sizelimit,
    const char **err_r);
int lb_search_send(struct lb_ctx *x, struct lb_search *s, const char **err_r);
int lb_send(struct lb_ctx *x, struct lb_search *s, const char **err_r);

/* judge.c; lb_log_search_error: once a minute per error code */
enum backend_result lb_judge(struct lb_ctx *x, struct lb_search *s,
    LDAPMessage *res, struct backend_answer *a);
void lb_log_search_error(struct lb_ctx *x, const char *what, int err);

/* groups.c */
enum backend_result lb_user_found(struct lb_ctx *x, struct lb_search *s,
    LDAPMessage *e, struct backend_answer *a);
void lb_groups_reset(struct lb_ctx *x);
void lb_groups_add(struct lb_ctx *x, struct berval **vals, bool rdn);
void lb_groups_emit(struct lb_ctx *x, struct notes *nt);
void lb_groups_free(struct lb_ctx *x);
void lb_groups_log_dropped(const struct lb_search *s, const struct notes *nt);

/* gsearch.c: the group search, when --group-filter is given */
static inline bool
lb_group_search_on(const struct lb_conf *c)
{
	return c->group_filter != NULL;
}

int lb_group_send(struct lb_ctx *x, struct lb_search *s, const char **err_r);
enum backend_result lb_group_start(struct lb_ctx *x, struct lb_search *s,
    struct backend_answer *a);
enum backend_result lb_group_judge(struct lb_ctx *x, struct lb_search *s,
    LDAPMessage *res, struct backend_answer *a);

/* inflight.c; lb_on_current: s was sent on the connection now open */
bool lb_on_current(const struct lb_ctx *x, const struct lb_search *s);
unsigned lb_count_current(const struct lb_ctx *x);
void lb_table_free(struct lb_ctx *x);
enum backend_result lb_start(void *ctx, const struct backend_query *q,
    unsigned token, struct backend_answer *a);
void lb_dispatch(void *ctx, backend_done_fn *done, void *loop);

#endif
