/* mysql_int.h - what the files of the MariaDB/MySQL store share.
 *
 *   mysql.c     the backend: start-up, shut-down, the hooks the loop calls
 *   conf.c      the options: those of helpers/sql/conf.c, and the
 *               connection's (--host ... --defaults-file, --ssl-mode)
 *   conn.c      the -j connections: connecting down the host list
 *               without blocking, losing one, the back-off
 *   events.c    the one epoll descriptor the loop polls for them all
 *   setup.c     each new connection: the session, the statements, checks
 *   wait.c      bounded waits for the synchronous steps of setup.c
 *   exec.c      a lookup on a connection: its statements, step by step
 *               with the non-blocking API, and its rows
 *   inflight.c  the lookups: start, queue, re-sends, time-outs, dispatch
 *
 * What does not depend on the engine (the options both SQL stores take,
 * :user and :realm, the verdict on a row) is in helpers/sql/ (sql.h).
 * The MySQL protocol runs one statement at a time on a connection, so
 * the store keeps up to -j connections, each running one lookup, all
 * driven from the one request loop through one epoll descriptor: no
 * threads.  All state is in the configuration (struct my_conf) and the
 * context (struct my_ctx, made by init): none at file scope.
 */
#ifndef DH_MYSQL_INT_H
#define DH_MYSQL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <mysql.h>

#include "backend.h"
#include "clock.h"
#include "digest.h"
#include "notes.h"
#include "sql.h"

/* -j when it is not given: connections, each running one lookup. */
#define MY_DEFAULT_INFLIGHT 4

/* The connect time-out per host, in seconds: the handshake of a host
 * that accepts the TCP connection and then says nothing (stopped, or
 * behind a dead network) fails after this, and the next host is tried. */
#define MY_CONNECT_TIMEOUT_S 5

/* The long options without a letter (SQL_OPT_PLAINTEXT is 0x200). */
enum {
	MY_OPT_HOST = 0x300,
	MY_OPT_PORT,
	MY_OPT_SOCKET,
	MY_OPT_DATABASE,
	MY_OPT_USER,
	MY_OPT_DEFAULTS_FILE,
	MY_OPT_SSL_MODE,
	MY_OPT_SSL_CA,
};

/* --ssl-mode */
enum my_ssl {
	MY_SSL_DEFAULT,		/* not given: the library's default */
	MY_SSL_DISABLED,
	MY_SSL_REQUIRED,	/* TLS, the certificate not checked */
	MY_SSL_VERIFY_IDENTITY,	/* TLS, certificate and host name checked */
};

/* One server of the fail-over list (--host NAME[:PORT],...). */
struct my_host {
	char *name;		/* NULL: the option file's, or localhost */
	unsigned port;		/* 0: --port, the option file's or 3306 */
};

#define MY_MAX_HOSTS 16

/* The options, with their defaults from my_conf_new(). */
struct my_conf {
	struct sql_conf sql;	/* -q -g --plaintext -j -t -W */
	struct my_host hosts[MY_MAX_HOSTS];
	unsigned nhosts;
	unsigned port;		/* --port, 0: not given */
	const char *socket;	/* --socket */
	const char *database;	/* --database */
	const char *user;	/* --user */
	const char *defaults_file;	/* --defaults-file */
	enum my_ssl ssl;	/* --ssl-mode */
	const char *ssl_ca;	/* --ssl-ca */
};

/* A lookup's slot.
 *
 *   FREE    -> QUEUED (start)
 *   QUEUED  -> RUNNING (a connection took it), FREE (answered BH: no
 *              connection could be had, or its time passed)
 *   RUNNING -> FREE (answered, or BH when the server hangs), QUEUED (its
 *              connection was lost for the first time) or LOST (lost a
 *              second time)
 *   LOST    -> FREE (answered BH at the next dispatch)
 */
enum my_slot_state {
	MY_FREE,
	MY_QUEUED,
	MY_RUNNING,
	MY_LOST,
};

struct my_lookup {
	enum my_slot_state state;
	unsigned losses;	/* connections lost with it running */
	unsigned token;
	long long deadline_ms;	/* answered BH after this */
	struct sql_who who;	/* user and realm: copies, NUL-ended */
	bool have_row;		/* found; the groups are being read */
	char ha1[DIGEST_HEX_MAX + 1];	/* with have_row; wiped when freed */
};

/* A connection.  DOWN: none; CONNECTING: the handshake with hosts[host]
 * is under way; IDLE: set up, no lookup; BUSY: running slot's lookup. */
enum my_conn_state {
	MC_DOWN,
	MC_CONNECTING,
	MC_IDLE,
	MC_BUSY,
};

/* What a BUSY connection's pending call is. */
enum my_step {
	MS_LOOK_EXEC,
	MS_LOOK_STORE,
	MS_GROUPS_EXEC,
	MS_GROUPS_STORE,
};

struct my_conn {
	enum my_conn_state state;
	MYSQL *m;
	MYSQL_STMT *look, *groups;
	unsigned host;		/* the host in use, or being tried */
	int wait;		/* MYSQL_WAIT_* the pending call waits for */
	long long wait_until_ms;	/* with MYSQL_WAIT_TIMEOUT */
	enum my_step step;
	int ret;		/* the pending call's result */
	int slot;		/* BUSY: the lookup, an index of ctx->s */
	int reg_fd;		/* the socket as registered in epoll, or -1 */
	long long host_deadline_ms;	/* CONNECTING: this host has failed then */
	char err[1024];		/* why its last attempt failed */
	struct notes notes;	/* the annotations of its lookup's reply */
	MYSQL_BIND par[SQL_MAX_PARAMS];	/* the bound parameters */
	unsigned long par_len[SQL_MAX_PARAMS];
};

/* How a connection attempt went (setup.c). */
enum my_setup {
	MY_SETUP_OK,
	MY_SETUP_LOST,		/* the connection failed during the setup */
	MY_SETUP_REFUSED,	/* the server refused a statement or a check */
};
struct my_ctx {
	const struct my_conf *c;
	struct sql_stmt look;
	struct sql_stmt groups;	/* sql NULL: no groups */
	struct my_lookup *s;	/* the lookups (-j slots) */
	struct my_conn *cn;	/* the connections (-j of them) */
	unsigned ns;
	int epfd;		/* the loop polls this */
	struct sql_judge judge;
	int backoff_ms;		/* 0: the last connection was fine */
	long long retry_at_ms;	/* no attempt before this */
	bool outage_logged;	/* an attempt failed since the last success */
	char where[256];	/* host:port of the last connection made */
	char last_fail[1024];	/* the failure logged last in this outage */
	const char *down_why;	/* the BH message while none can be had */
	enum my_setup last_rc;	/* how the last failed attempt failed */
	bool starting;		/* in init: a refusal is the start-up error */
};

static inline long long
my_now_ms(void)
{
	return clock_now_ns() / 1000000;
}

/* conf.c */
void *my_conf_new(void);
void my_conf_free(void *conf);
int my_option(void *conf, int opt, const char *arg, const char **err_r);
int my_conf_check(const struct my_conf *c, int argc, char *err,
    size_t errlen);

/* wait.c: drive a non-blocking call that returned status (MYSQL_WAIT_*)
 * to its end with cont, waiting on m's socket until deadline_ms.  0 when
 * it ended, -1 when the deadline passed or the socket failed. */
typedef int my_cont_fn(void *arg, int status);
int my_wait(MYSQL *m, int status, my_cont_fn *cont, void *arg,
    long long deadline_ms);
/* Blocking forms of what setup needs, each bounded by deadline_ms.
 * Return 0, or -1 (the error is the connection's or the statement's;
 * *lost_r set when the connection itself failed or hung). */
int my_query(MYSQL *m, const char *sql, long long deadline_ms, bool *lost_r);
int my_prepare(MYSQL_STMT *st, const char *sql, long long deadline_ms,
    bool *lost_r);
int my_execute(MYSQL_STMT *st, long long deadline_ms, bool *lost_r);
int my_store(MYSQL_STMT *st, long long deadline_ms, bool *lost_r);

/* setup.c */
enum my_setup my_setup(struct my_ctx *x, struct my_conn *k, char *err,
    size_t errlen);
bool my_errno_lost(unsigned e);
void my_bind_params(const struct sql_stmt *st, struct my_conn *k,
    const struct sql_who *w);

/* conn.c */
int my_conn_first(struct my_ctx *x, char *err, size_t errlen);
void my_conn_start(struct my_ctx *x, struct my_conn *k);
void my_conn_step(struct my_ctx *x, struct my_conn *k, int events);
bool my_conn_any(const struct my_ctx *x, enum my_conn_state st);
bool my_can_open(const struct my_ctx *x);
void my_conn_close(struct my_ctx *x, struct my_conn *k);
void my_conn_lost(struct my_ctx *x, struct my_conn *k, const char *why);
const char *my_where(const struct my_ctx *x, const struct my_conn *k,
    char *buf, size_t len);

/* events.c */
void my_arm(struct my_ctx *x);
void my_unregister(struct my_ctx *x, struct my_conn *k);

/* exec.c */
void my_run(struct my_ctx *x, struct my_conn *k, struct my_lookup *s,
    backend_done_fn *done, void *loop);
void my_exec_step(struct my_ctx *x, struct my_conn *k, int events,
    backend_done_fn *done, void *loop);

/* inflight.c */
void my_answer(struct my_lookup *s, enum backend_result v,
    struct backend_answer *a, backend_done_fn *done, void *loop);
void my_answer_fail(struct my_lookup *s, const char *why,
    backend_done_fn *done, void *loop);
void my_slot_lost(struct my_lookup *s);
void my_table_free(struct my_ctx *x);
enum backend_result my_start(void *ctx, const struct backend_query *q,
    unsigned token, struct backend_answer *a);
void my_dispatch(void *ctx, backend_done_fn *done, void *loop);
int my_next_timeout(void *ctx);

#endif
