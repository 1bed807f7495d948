/* ldap.c - the LDAP store behind digest_ldap_auth (SPEC section 6).
 *
 * Accepts Squid's digest_ldap_auth options.  One connection, opened at
 * start and kept; searches run asynchronously on it, up to -j at once,
 * and each reply goes out as its search completes.  Several servers fail
 * over: a connection attempt tries each once, starting with the one in use
 * (or, after it hung, the next); a server that does not answer a search in
 * time is left for the next.  When no server can be reached every pending
 * and new lookup answers BH (never ERR), and the connection is tried again
 * with a growing back-off.
 *
 * What an entry's password attribute (-A) holds:
 *   with a delimiter (-l, default ':'):  REALM<delim>SECRET, one value per
 *                                       realm; the value for the
 *                                       requested realm is used
 *   with -l '' (then -r is required):   SECRET alone, for the -r realm
 * SECRET is an HA1 with -e, else the plaintext password.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LDAP_DEPRECATED 0
#include <lber.h>
#include <ldap.h>

#include "backend.h"
#include "digest.h"
#include "ldapesc.h"
#include "log.h"
#include "proto.h"
#include "safefile.h"
#include "secret.h"

/* Connect time-out when -c is not given: long enough for a directory
 * across a WAN, short enough that Squid's logins are not held up long
 * while a dead server is tried. */
#define LDAP_DEFAULT_CONNECT_TIMEOUT_S 5

/* Client-side limit for one search when -t is not given; with -t, the
 * server's limit plus this grace, so the server's answer wins. */
#define LDAP_DEFAULT_SEARCH_TIMEOUT_S 10
#define LDAP_SEARCH_GRACE_S 2

/* Back-off between reconnection attempts: the first retry comes quickly
 * (a restarted slapd is back within a second), then doubles so a dead
 * directory is not hammered by every helper of every proxy. */
#define LDAP_RETRY_MIN_MS 250
#define LDAP_RETRY_MAX_MS 8000

/* A -W file is read whole: it must be smaller than this. */
#define LDAP_SECRET_FILE_MAX 4096

/* Default number of searches in flight per helper (-j). */
#define LDAP_DEFAULT_INFLIGHT 16
#define LDAP_MAX_INFLIGHT 1024

/* Wake up at least this often while searches are pending: libldap may
 * hold a complete reply in its buffers (TLS) without the socket polling
 * readable. */
#define LDAP_POLL_CAP_MS 100

/* Searches held back to go out together (see the write layer below) are
 * sent at once when this much is waiting. */
#define LDAP_WBUF_MAX (64 * 1024)

/* With at least this many searches in flight, the helper looks for the
 * next reply for up to LDAP_SPIN_US before it goes to sleep (see
 * spin_for_reply). */
#define LDAP_SPIN_MIN_INFLIGHT 8
#define LDAP_SPIN_US 100

struct lb_conf {
	char *uris;		/* -H values, then hosts as URIs; spaces between */
	char **uri;		/* the same, one server each, in that order */
	unsigned nuri;
	char *hosts;		/* -h values and server arguments, spaces between */
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
	char *secret;		/* -w / -W, wiped at exit */
	bool tls;		/* -Z */
	int connect_timeout;	/* -c seconds */
	int timelimit;		/* -t seconds, 0 none */
	int deref;		/* -a */
	int version;		/* -v */
	bool no_referrals;	/* -R */
	bool strip_domain;	/* -S */
	unsigned inflight;	/* -j */
};

struct pending {
	bool used;
	bool retried;		/* already re-sent once after a lost connection */
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
};

struct lb_ctx {
	struct lb_conf c;
	LDAP *ld;
	unsigned cur;		/* in use, or the first to try next */
	int last_ok;		/* the last one connected to, -1: none yet */
	bool lost;		/* the connection in use broke or hung */
	long long heard_ms;	/* the server last answered (or was connected) */
	long long retry_at_ms;	/* no reconnection attempt before this */
	int backoff_ms;
	bool outage_logged;
	unsigned gen;		/* bumped at every disconnect: message ids of an
				 * old connection must never match new results */
	int last_err;		/* last search error logged, and when */
	long long last_err_ms;
	bool nobase_logged;
	const char *down_why;	/* BH message while disconnected */
	char **attrs;		/* requested: -A, then the exact-match ones */
	size_t nexact;		/* attributes that must equal the user name */
	struct pending *p;
	unsigned np;
	struct obuf scratch;	/* filter and base being built */
	Sockbuf *sb;		/* the connection's, NULL when not tuned */
	Sockbuf_IO_Desc *wl;	/* our write layer on it, NULL: none */
	bool hold;		/* writes now may wait in wbuf */
	bool wfailed;		/* sending wbuf failed: the connection is bad */
	struct obuf wbuf;	/* searches not yet written to the socket */
};

static char **split_uris(const char *uris, unsigned *n_r, char *err_r,
    size_t errlen);
static bool filter_balanced(const char *f);
static void exact_attrs(struct lb_ctx *x);

static struct lb_conf conf = {
	.port = LDAP_PORT,
	.delim = ":",
	.scope = LDAP_SCOPE_SUBTREE,
	.connect_timeout = LDAP_DEFAULT_CONNECT_TIMEOUT_S,
	.deref = LDAP_DEREF_NEVER,
	.version = LDAP_VERSION3,
	.inflight = LDAP_DEFAULT_INFLIGHT,
};

/* The precise clock (fileid_now_ns is coarse: too slow for the spin). */
static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long
now_ms(void)
{
	return now_us() / 1000;
}

static void
append_uri(const char *uri)
{
	size_t n = conf.uris != NULL ? strlen(conf.uris) : 0;

	conf.uris = xrealloc(conf.uris, n + strlen(uri) + 2);
	if (n > 0)
		conf.uris[n++] = ' ';
	memcpy(conf.uris + n, uri, strlen(uri) + 1);
}

/* -h may repeat and may hold several hosts; Squid's extra arguments too. */
static void
append_host(const char *h)
{
	size_t n = conf.hosts != NULL ? strlen(conf.hosts) : 0;

	conf.hosts = xrealloc(conf.hosts, n + strlen(h) + 2);
	if (n > 0)
		conf.hosts[n++] = ' ';
	memcpy(conf.hosts + n, h, strlen(h) + 1);
}

static int
parse_int(const char *arg, int min, int max, int *v_r)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max)
		return -1;
	*v_r = (int)v;
	return 0;
}

/* The bind secret from -W: the first line of the file, its line end not
 * part of it.  safe_read_small() reads it with read(2), so no copy is
 * left in a stdio buffer, and takes only a regular file: a FIFO or a
 * device is refused at once, never waited on. */
static int
read_secret(const char *path, const char **err_r)
{
	static char errbuf[1024];
	char buf[LDAP_SECRET_FILE_MAX], err[768];
	ssize_t r = safe_read_small(path, buf, sizeof(buf), err, sizeof(err));
	size_t n;

	if (r < 0) {
		snprintf(errbuf, sizeof(errbuf), "the secret file: %s", err);
		*err_r = errbuf;
		return -1;
	}
	buf[r] = '\0';
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0) {
		snprintf(errbuf, sizeof(errbuf), "the secret file %s is empty", path);
		*err_r = errbuf;
		secret_wipe(buf, sizeof(buf));
		return -1;
	}
	if (conf.secret != NULL)
		secret_free(conf.secret, strlen(conf.secret));
	conf.secret = xstrdup(buf);
	secret_wipe(buf, sizeof(buf));
	return 0;
}

static int
lb_option(int opt, const char *arg, const char **err_r)
{
	static const char *scopes[] = { "base", "one", "sub" };
	static const int scope_v[] = { LDAP_SCOPE_BASE, LDAP_SCOPE_ONELEVEL,
	    LDAP_SCOPE_SUBTREE };
	static const char *derefs[] = { "never", "always", "search", "find" };
	static const int deref_v[] = { LDAP_DEREF_NEVER, LDAP_DEREF_ALWAYS,
	    LDAP_DEREF_SEARCHING, LDAP_DEREF_FINDING };
	int v;
	size_t i;

	switch (opt) {
	case 'b': conf.basedn = arg; return 0;
	case 'F': conf.filter = arg; return 0;
	case 'u': conf.userattr = arg; return 0;
	case 'A': conf.passattr = arg; return 0;
	case 'l': conf.delim = arg; return 0;
	case 'r': conf.realm = arg; return 0;
	case 'e': conf.ha1 = true; return 0;
	case 'D': conf.binddn = arg; return 0;
	case 'Z': conf.tls = true; return 0;
	case 'P': return 0;	/* the connection is always kept open */
	case 'R': conf.no_referrals = true; return 0;
	case 'S': conf.strip_domain = true; return 0;
	case 'H': append_uri(arg); return 0;
	case 'h': append_host(arg); return 0;
	case 's':
		for (i = 0; i < 3; i++)
			if (strcmp(arg, scopes[i]) == 0) {
				conf.scope = scope_v[i];
				return 0;
			}
		*err_r = "the scope (-s) must be base, one or sub";
		return -1;
	case 'a':
		for (i = 0; i < 4; i++)
			if (strcmp(arg, derefs[i]) == 0) {
				conf.deref = deref_v[i];
				return 0;
			}
		*err_r = "alias dereferencing (-a) must be never, always, search or find";
		return -1;
	case 'p':
		if (parse_int(arg, 1, 65535, &conf.port) < 0) {
			*err_r = "the port (-p) must be a number from 1 to 65535";
			return -1;
		}
		return 0;
	case 'c':
		if (parse_int(arg, 1, 3600, &conf.connect_timeout) < 0) {
			*err_r = "the connect time-out (-c) must be 1 to 3600 seconds";
			return -1;
		}
		return 0;
	case 't':
		if (parse_int(arg, 0, 3600, &conf.timelimit) < 0) {
			*err_r = "the search time limit (-t) must be 0 to 3600 seconds";
			return -1;
		}
		return 0;
	case 'v':
		if (parse_int(arg, 2, 3, &conf.version) < 0) {
			*err_r = "the LDAP version (-v) must be 2 or 3";
			return -1;
		}
		return 0;
	case 'j':
		if (parse_int(arg, 1, LDAP_MAX_INFLIGHT, &v) < 0) {
			*err_r = "-j must be 1 to 1024 searches in flight";
			return -1;
		}
		conf.inflight = (unsigned)v;
		return 0;
	case 'w':
		log_warn("-w shows the bind password to every user of ps; use -W FILE");
		if (conf.secret != NULL)
			secret_free(conf.secret, strlen(conf.secret));
		conf.secret = xstrdup(arg);
		/* hide it from ps where the platform lets us */
		secret_wipe((char *)arg, strlen(arg));
		return 0;
	case 'W':
		return read_secret(arg, err_r);
	}
	*err_r = "unknown option";
	return -1;
}

/* --- connection ------------------------------------------------------------ */

static void
disconnect(struct lb_ctx *x)
{
	if (x->ld != NULL) {
		if (x->wfailed)
			x->wbuf.len = 0;	/* the unbind goes without them */
		ldap_unbind_ext(x->ld, NULL, NULL);
		x->gen++;
	}
	x->ld = NULL;
	x->sb = NULL;		/* freed with the connection, layers too */
	x->wl = NULL;
	x->wbuf.len = 0;
	x->wfailed = false;
}

static void
schedule_retry(struct lb_ctx *x)
{
	long long now = now_ms();

	if (x->backoff_ms == 0) {
		/* a connection that was fine until now (closed when idle, or
		 * the server restarted): one immediate attempt is allowed */
		x->backoff_ms = LDAP_RETRY_MIN_MS;
		x->retry_at_ms = now;
		return;
	}
	x->backoff_ms = x->backoff_ms * 2 > LDAP_RETRY_MAX_MS ?
	    LDAP_RETRY_MAX_MS : x->backoff_ms * 2;
	x->retry_at_ms = now + x->backoff_ms;
}

/* The BH message while no server can be used, from the last failure. */
static const char *
down_reason(const char *step, int rc)
{
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT)
		return "LDAP server unreachable";
	return strcmp(step, "bind") == 0 ? "LDAP bind failed" : "LDAP connection failed";
}

/* The connection in use broke (the server closed it, restarted or went
 * away).  The next attempt, one at once, starts with the same server:
 * it is the one that worked. */
static void
connection_lost(struct lb_ctx *x, int rc)
{
	log_error("LDAP connection to %s lost: %s", x->c.uri[x->cur],
	    ldap_err2string(rc));
	x->lost = true;
	disconnect(x);
	schedule_retry(x);
}

/* No answer to a search on the connection in use within its time: the
 * server is taken to hang.  The connection is dropped and the next
 * attempt, one at once, starts with the next server. */
static void
server_hung(struct lb_ctx *x, int secs)
{
	unsigned next = (x->cur + 1) % x->c.nuri;

	if (x->c.nuri > 1)
		log_error("LDAP server %s did not answer a search within %d s; dropping the connection, trying %s",
		    x->c.uri[x->cur], secs, x->c.uri[next]);
	else
		log_error("LDAP server %s did not answer a search within %d s; dropping the connection",
		    x->c.uri[x->cur], secs);
	x->lost = true;
	disconnect(x);
	x->cur = next;
	schedule_retry(x);
}

/* --- I/O layers on the connection -------------------------------------------
 *
 * slapd, this helper and Squid often share a few cores, so every system
 * call and TCP segment of ours is time taken from slapd.  Two layers cut
 * them (the reads, writes and polls per lookup at -j 16: about 8.7
 * without them, 2 to 4 with them):
 *
 * Reading: libldap reads each message in two read()s, its header then its
 * body, after a poll(); liblber's read-ahead layer (the one libldap itself
 * puts on UDP connections) takes all that is there in one read(), and
 * libldap takes buffered messages without a poll (LBER_SB_OPT_DATA_READY).
 *
 * Writing: our layer below.  While x->hold is set (only around
 * ldap_search_ext) what libldap writes is kept in x->wbuf; any other write
 * sends what is kept first.  The searches started for one batch of request
 * lines thus go out in one write() and one TCP segment (libldap sets
 * TCP_NODELAY), which wakes slapd once, not once per search.  wl_flush()
 * sends them: the loop calls lb_event_fd() (or lb_idle()) right before it
 * waits, so nothing is held while we wait for replies. */
static int
wl_setup(Sockbuf_IO_Desc *sbiod, void *arg)
{
	struct lb_ctx *x = arg;

	sbiod->sbiod_pvt = x;
	x->wl = sbiod;
	x->wbuf.len = 0;
	return 0;
}

static int
wl_remove(Sockbuf_IO_Desc *sbiod)
{
	struct lb_ctx *x = sbiod->sbiod_pvt;

	if (x != NULL && x->wl == sbiod) {
		x->wl = NULL;
		x->wbuf.len = 0;
	}
	sbiod->sbiod_pvt = NULL;
	return 0;
}

static int
wl_ctrl(Sockbuf_IO_Desc *sbiod, int opt, void *arg)
{
	return LBER_SBIOD_CTRL_NEXT(sbiod, opt, arg);
}

static ber_slen_t
wl_read(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	return LBER_SBIOD_READ_NEXT(sbiod, buf, len);
}

/* Write all of p to the layers below.  0, or -1 with errno set. */
static int
wl_write_all(Sockbuf_IO_Desc *sbiod, const char *p, size_t n)
{
	while (n > 0) {
		ber_slen_t w = LBER_SBIOD_WRITE_NEXT(sbiod, (void *)p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ber_socket_t fd = -1;
			struct pollfd pfd;

			ber_sockbuf_ctrl(sbiod->sbiod_sb, LBER_SB_OPT_GET_FD, &fd);
			pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
			if (poll(&pfd, 1, 1000 * LDAP_DEFAULT_SEARCH_TIMEOUT_S) > 0)
				continue;
			errno = ETIMEDOUT;
			return -1;
		}
		if (w <= 0) {
			if (w == 0)
				errno = EPIPE;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Send what is held.  0, or -1 (the connection is bad; x->wfailed). */
static int
wl_flush(struct lb_ctx *x)
{
	int rc = 0;

	if (x->wl != NULL && x->wbuf.len > 0) {
		rc = wl_write_all(x->wl, x->wbuf.p, x->wbuf.len);
		if (rc < 0) {
			log_debug("sending LDAP searches failed: %s", strerror(errno));
			x->wfailed = true;
		}
	}
	x->wbuf.len = 0;
	return rc;
}

static ber_slen_t
wl_write(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	struct lb_ctx *x = sbiod->sbiod_pvt;

	if (x->hold && x->wbuf.len + len <= LDAP_WBUF_MAX) {
		obuf_append(&x->wbuf, buf, len);
		return (ber_slen_t)len;
	}
	if (wl_flush(x) < 0)
		return -1;
	return LBER_SBIOD_WRITE_NEXT(sbiod, buf, len);
}

static int
wl_close(Sockbuf_IO_Desc *sbiod)
{
	struct lb_ctx *x = sbiod->sbiod_pvt;

	if (x != NULL)
		x->wbuf.len = 0;	/* the connection is going */
	return 0;
}

static Sockbuf_IO wl_io = {
	wl_setup, wl_remove, wl_ctrl, wl_read, wl_write, wl_close
};

/* Put both layers on a connection just bound (nothing in flight), right
 * above the socket (below TLS, if any).  Without them everything still
 * works, with more system calls. */
static void
add_layers(struct lb_ctx *x)
{
	Sockbuf *sb = NULL;

	if (ldap_get_option(x->ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS ||
	    sb == NULL)
		return;
	x->sb = sb;
	if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_HAS_IO, &ber_sockbuf_io_readahead) <= 0 &&
	    ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead,
	    LBER_SBIOD_LEVEL_PROVIDER, NULL) != 0)
		log_debug("no read-ahead on the LDAP connection");
	if (x->wl == NULL &&
	    ber_sockbuf_add_io(sb, &wl_io, LBER_SBIOD_LEVEL_PROVIDER, x) != 0)
		log_debug("no write layer on the LDAP connection");
}

/* Open, secure and bind a connection to server i (blocking, each step
 * bounded by -c).  Returns LDAP_SUCCESS, or the error with *step_r naming
 * the step that failed (x->ld is then NULL). */
static int
open_server(struct lb_ctx *x, unsigned i, const char **step_r)
{
	struct timeval tv = { .tv_sec = x->c.connect_timeout };
	struct berval cred = { 0, NULL };
	int rc, on = 1;

	*step_r = "initialisation";
	rc = ldap_initialize(&x->ld, x->c.uri[i]);
	if (rc != LDAP_SUCCESS) {
		x->ld = NULL;
		return rc;
	}
	ldap_set_option(x->ld, LDAP_OPT_PROTOCOL_VERSION, &x->c.version);
	ldap_set_option(x->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(x->ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(x->ld, LDAP_OPT_DEREF, &x->c.deref);
	ldap_set_option(x->ld, LDAP_OPT_REFERRALS,
	    x->c.no_referrals ? LDAP_OPT_OFF : LDAP_OPT_ON);
	ldap_set_option(x->ld, LDAP_OPT_RESTART, &on);
	if (x->c.timelimit > 0)
		ldap_set_option(x->ld, LDAP_OPT_TIMELIMIT, &x->c.timelimit);
	if (x->c.tls) {
		*step_r = "StartTLS";
		rc = ldap_start_tls_s(x->ld, NULL, NULL);
	}
	if (rc == LDAP_SUCCESS) {
		/* A bind, anonymous without -D, opens the connection now
		 * rather than at the first search, so a dead server is found
		 * here. */
		if (x->c.binddn != NULL && x->c.secret != NULL) {
			cred.bv_val = x->c.secret;
			cred.bv_len = strlen(x->c.secret);
		}
		*step_r = "bind";
		rc = ldap_sasl_bind_s(x->ld, x->c.binddn != NULL ? x->c.binddn : "",
		    LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	}
	/* libldap opens the TCP connection in the first operation */
	if (rc == LDAP_SERVER_DOWN)
		*step_r = "connection";
	if (rc != LDAP_SUCCESS)
		disconnect(x);
	return rc;
}

/* Server i failed in a connection attempt; next is the one tried after
 * it, NULL when it was the last.  Logged at once per outage. */
static void
server_failed(struct lb_ctx *x, unsigned i, const char *step, int rc,
    const char *next)
{
	if (x->outage_logged)
		log_debug("LDAP %s failed again (%s): %s", step, x->c.uri[i],
		    ldap_err2string(rc));
	else if (next != NULL)
		log_error("LDAP %s failed (%s): %s; trying %s", step, x->c.uri[i],
		    ldap_err2string(rc), next);
	else
		log_error("LDAP %s failed (%s): %s; lookups answer BH until it is back",
		    step, x->c.uri[i], ldap_err2string(rc));
}

/* Connected to server i after failures (of others) in this attempt, or
 * none. */
static void
connected(struct lb_ctx *x, unsigned i, bool failures)
{
	add_layers(x);
	if (x->last_ok >= 0 && (unsigned)x->last_ok != i)
		log_info("LDAP now using %s instead of %s", x->c.uri[i],
		    x->c.uri[x->last_ok]);
	else if (x->outage_logged || x->lost)
		log_info("LDAP connection to %s is back", x->c.uri[i]);
	else if (failures)
		log_info("LDAP now using %s", x->c.uri[i]);
	else
		log_debug("connected to %s", x->c.uri[i]);
	x->cur = i;
	x->last_ok = (int)i;
	x->outage_logged = false;
	x->lost = false;
	x->backoff_ms = 0;
	x->heard_ms = now_ms();
}

/* One connection attempt: every server at most once, from x->cur on
 * down the list and round to the start.  A server that kept us waiting
 * for the whole time-out at the head of the list loses its place, so the
 * next attempt does not wait for it first.  Returns 0, or -1 with the
 * next attempt scheduled. */
static int
lb_connect(struct lb_ctx *x)
{
	const char *step = "initialisation";
	unsigned k, i = x->cur;
	int rc = LDAP_OTHER;

	for (k = 0; k < x->c.nuri; k++, i = (i + 1) % x->c.nuri) {
		long long t0 = now_ms();

		rc = open_server(x, i, &step);
		if (rc == LDAP_SUCCESS) {
			connected(x, i, k > 0);
			return 0;
		}
		if (i == x->cur && (rc == LDAP_TIMEOUT ||
		    now_ms() - t0 >= 1000LL * x->c.connect_timeout))
			x->cur = (i + 1) % x->c.nuri;
		server_failed(x, i, step, rc, k + 1 < x->c.nuri ?
		    x->c.uri[(i + 1) % x->c.nuri] : NULL);
	}
	x->down_why = down_reason(step, rc);
	x->outage_logged = true;
	schedule_retry(x);
	return -1;
}

static bool
ensure_connected(struct lb_ctx *x)
{
	if (x->ld != NULL)
		return true;
	if (now_ms() < x->retry_at_ms)
		return false;
	return lb_connect(x) == 0;
}

/* --- init ------------------------------------------------------------------ */

static int
lb_init(void **ctx_r, int argc, char **argv, char *err_r,
    size_t errlen)
{
	struct lb_ctx *x;
	const char *why = NULL;
	char uri[1024];
	int i;

	/* Squid takes extra arguments as more server names. */
	for (i = 0; i < argc; i++)
		append_host(argv[i]);
	if (conf.hosts != NULL) {
		char *save = NULL, *h;

		for (h = strtok_r(conf.hosts, " ", &save); h != NULL;
		    h = strtok_r(NULL, " ", &save)) {
			if (strstr(h, "://") != NULL)
				snprintf(uri, sizeof(uri), "%s", h);
			else if (strchr(h, ':') != NULL)
				snprintf(uri, sizeof(uri), "ldap://%s", h);
			else
				snprintf(uri, sizeof(uri), "ldap://%s:%d", h, conf.port);
			append_uri(uri);
		}
	}
	if (conf.uris == NULL) {
		snprintf(uri, sizeof(uri), "ldap://localhost:%d", conf.port);
		append_uri(uri);
	}
	conf.uri = split_uris(conf.uris, &conf.nuri, err_r, errlen);
	if (conf.uri == NULL)
		return -1;
	if (conf.basedn == NULL || conf.passattr == NULL) {
		snprintf(err_r, errlen, "-b basedn and -A password-attribute are required (see --help)");
		return -1;
	}
	if ((conf.filter == NULL) == (conf.userattr == NULL)) {
		snprintf(err_r, errlen, "give exactly one of -F filter and -u attribute (see --help)");
		return -1;
	}
	if (conf.filter != NULL &&
	    ldapesc_pattern_check(conf.filter, &why) < 1) {
		snprintf(err_r, errlen, "-F: %s", why != NULL ? why :
		    "the filter must contain %s, the user name");
		return -1;
	}
	if (conf.filter != NULL && !filter_balanced(conf.filter)) {
		snprintf(err_r, errlen, "-F: the filter must be one parenthesised LDAP filter, e.g. (uid=%%s)");
		return -1;
	}
	if (*conf.delim == '\0' && conf.realm == NULL) {
		snprintf(err_r, errlen, "with an empty delimiter (-l '') the realm must be given with -r");
		return -1;
	}
	if (conf.tls && conf.version != LDAP_VERSION3) {
		snprintf(err_r, errlen, "StartTLS (-Z) needs LDAP version 3");
		return -1;
	}
	if (conf.binddn != NULL && conf.secret == NULL)
		log_warn("-D without -W: binding as %s with an empty password", conf.binddn);

	x = xcalloc(1, sizeof(*x));
	x->c = conf;
	x->last_ok = -1;
	exact_attrs(x);
	x->np = conf.inflight;
	x->p = xcalloc(x->np, sizeof(*x->p));
	/* Reaching the directory at start is not required: lookups answer
	 * BH until it is there. */
	(void)ensure_connected(x);
	*ctx_r = x;
	return 0;
}

/* The servers, one URI each: the list is split at spaces and commas, as
 * OpenLDAP splits a list of URIs.  Every URI must parse: a typo is a
 * start-up error, not BH forever.  NULL after an error. */
static char **
split_uris(const char *uris, unsigned *n_r, char *err_r, size_t errlen)
{
	char *copy = xstrdup(uris), *save = NULL, *u;
	char **v = xcalloc(strlen(uris) / 2 + 2, sizeof(char *));
	unsigned n = 0;

	for (u = strtok_r(copy, " ,", &save); u != NULL; u = strtok_r(NULL, " ,", &save)) {
		LDAPURLDesc *d = NULL;

		if (ldap_url_parse(u, &d) != LDAP_URL_SUCCESS) {
			snprintf(err_r, errlen, "bad LDAP server or URI: %s", u);
			while (n > 0)
				free(v[--n]);
			free(v);
			free(copy);
			return NULL;
		}
		ldap_free_urldesc(d);
		v[n++] = xstrdup(u);
	}
	free(copy);
	if (n == 0) {
		snprintf(err_r, errlen, "no LDAP server given");
		free(v);
		return NULL;
	}
	*n_r = n;
	return v;
}

/* -F: one parenthesised filter with balanced parentheses (outside
 * escapes).  The server would otherwise refuse every search. */
static bool
filter_balanced(const char *f)
{
	int depth = 0;
	size_t n = strlen(f), i;

	if (n < 2 || f[0] != '(' || f[n - 1] != ')')
		return false;
	for (i = 0; i < n; i++) {
		if (f[i] == '\\' && i + 1 < n)
			i++;
		else if (f[i] == '(')
			depth++;
		else if (f[i] == ')' && --depth == 0 && i != n - 1)
			return false;
		if (depth < 0)
			return false;
	}
	return depth == 0;
}

/* The attributes a found entry must hold the user name in, exactly: -u
 * ATTR, or each ATTR of "(ATTR=%s)" in a -F pattern.  LDAP matches most
 * naming attributes ignoring case and extra spaces, so "Alice" finds
 * alice's entry; Squid's ACLs compare names exactly, so such a login
 * would pass under another name.  The requested attributes are -A first,
 * then these. */
static void
exact_attrs(struct lb_ctx *x)
{
	const char *f = x->c.filter, *p;
	size_t n = 1;

	x->attrs = xcalloc(strlen(f != NULL ? f : "") / 4 + 3, sizeof(char *));
	x->attrs[0] = xstrdup(x->c.passattr);
	if (x->c.userattr != NULL) {
		x->attrs[n++] = xstrdup(x->c.userattr);
	} else {
		for (p = strstr(f, "=%s)"); p != NULL; p = strstr(p + 1, "=%s)")) {
			const char *a = p;

			while (a > f && (isalnum((unsigned char)a[-1]) || a[-1] == '-' ||
			    a[-1] == ';' || a[-1] == '.'))
				a--;
			if (a > f && a[-1] == '(' && a < p)
				x->attrs[n++] = xmemdup0(a, (size_t)(p - a));
		}
	}
	x->nexact = n - 1;
	x->attrs[n] = NULL;
}

static bool
name_matches(struct lb_ctx *x, LDAPMessage *e, const struct pending *p)
{
	const char *user = p->user + p->search_off;
	size_t ulen = p->user_len - p->search_off, k;
	int i;

	if (x->nexact == 0)
		return true;
	for (k = 1; k <= x->nexact; k++) {
		struct berval **v = ldap_get_values_len(x->ld, e, x->attrs[k]);
		bool hit = false;

		for (i = 0; v != NULL && v[i] != NULL && !hit; i++)
			hit = v[i]->bv_len == ulen && memcmp(v[i]->bv_val, user, ulen) == 0;
		ldap_value_free_len(v);
		if (hit)
			return true;
	}
	return false;
}

static unsigned
lb_max_inflight(void *ctx)
{
	return ((struct lb_ctx *)ctx)->np;
}

/* --- lookups ---------------------------------------------------------------- */

static void
pending_clear(struct pending *p)
{
	free(p->user);
	free(p->realm);
	memset(p, 0, sizeof(*p));
}

/* How long the helper waits for the answer to a search. */
static int
search_wait_s(const struct lb_ctx *x)
{
	return x->c.timelimit > 0 ? x->c.timelimit + LDAP_SEARCH_GRACE_S :
	    LDAP_DEFAULT_SEARCH_TIMEOUT_S;
}

/* Build base and filter for p and send the search.  Returns 0, or -1
 * with *err_r set (the connection is dropped when it is the cause). */
static int
send_search(struct lb_ctx *x, struct pending *p, const char **err_r)
{
	const char *user = p->user + p->search_off, *base;
	size_t ulen = p->user_len - p->search_off, baselen;
	struct timeval tv;
	int rc, msgid, scope = x->c.scope;

	/* base DN (then filter) in one scratch buffer, NUL after each */
	x->scratch.len = 0;
	if (x->c.userattr != NULL && scope == LDAP_SCOPE_BASE) {
		/* -u with -s base: read the entry attr=USER,basedn */
		obuf_append(&x->scratch, x->c.userattr, strlen(x->c.userattr));
		obuf_append(&x->scratch, "=", 1);
		ldapesc_dn(&x->scratch, user, ulen);
		obuf_append(&x->scratch, ",", 1);
	}
	obuf_append(&x->scratch, x->c.basedn, strlen(x->c.basedn));
	obuf_append(&x->scratch, "", 1);
	baselen = x->scratch.len;
	if (x->c.filter != NULL) {
		ldapesc_pattern(&x->scratch, x->c.filter, user, ulen);
	} else if (scope == LDAP_SCOPE_BASE) {
		obuf_append(&x->scratch, "(objectClass=*)", 16);
	} else {
		obuf_append(&x->scratch, "(", 1);
		obuf_append(&x->scratch, x->c.userattr, strlen(x->c.userattr));
		obuf_append(&x->scratch, "=", 1);
		ldapesc_filter(&x->scratch, user, ulen);
		obuf_append(&x->scratch, ")", 2);
	}
	base = x->scratch.p;
	if (log_debug_enabled()) {
		char b[256], f[256];

		log_debug("search base \"%s\" filter \"%s\"",
		    log_sanitize(base, baselen - 1, b, sizeof(b)),
		    log_sanitize(x->scratch.p + baselen, strlen(x->scratch.p + baselen), f, sizeof(f)));
	}

	tv.tv_sec = x->c.timelimit > 0 ? x->c.timelimit : LDAP_DEFAULT_SEARCH_TIMEOUT_S;
	tv.tv_usec = 0;
	/* size limit 2: a second entry is enough to call the user ambiguous */
	x->hold = true;
	rc = ldap_search_ext(x->ld, base, scope, x->scratch.p + baselen, x->attrs,
	    0, NULL, NULL, x->c.timelimit > 0 ? &tv : NULL, 2, &msgid);
	x->hold = false;
	if (rc != LDAP_SUCCESS) {
		if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR) {
			connection_lost(x, rc);
			*err_r = "LDAP server unreachable";
		} else {
			log_error("LDAP search could not be sent: %s", ldap_err2string(rc));
			*err_r = "LDAP search failed";
		}
		return -1;
	}
	p->msgid = msgid;
	p->gen = x->gen;
	p->deadline_ms = now_ms() + 1000LL * search_wait_s(x);
	return 0;
}

static enum backend_result
lb_start(void *ctx, const struct backend_query *q, unsigned token,
    char *ha1_r, const char **err_r)
{
	struct lb_ctx *x = ctx;
	struct pending *p = NULL;
	size_t off = 0;
	unsigned i;

	(void)ha1_r;
	if (x->c.strip_domain) {
		/* search for the name after DOMAIN\; hash the name as sent,
		 * since the client's digest is computed with it */
		const char *bs = memchr(q->user, '\\', q->user_len);

		if (bs != NULL)
			off = (size_t)(bs + 1 - q->user);
	}
	/* -r: only that realm is looked up (Squid's meaning) */
	if (x->c.realm != NULL && (strlen(x->c.realm) != q->realm_len ||
	    memcmp(x->c.realm, q->realm, q->realm_len) != 0))
		return BACKEND_NOT_FOUND;
	for (i = 0; i < x->np; i++)
		if (!x->p[i].used) {
			p = &x->p[i];
			break;
		}
	if (p == NULL) {
		*err_r = "Too many lookups in flight";
		return BACKEND_FAIL;
	}
	if (!ensure_connected(x)) {
		*err_r = x->down_why != NULL ? x->down_why : "LDAP server unreachable";
		return BACKEND_FAIL;
	}
	p->user = xmemdup0(q->user, q->user_len);
	p->user_len = q->user_len;
	p->search_off = off;
	p->realm = xmemdup0(q->realm, q->realm_len);
	p->realm_len = q->realm_len;
	p->alg = q->alg;
	p->token = token;
	p->retried = false;
	if (send_search(x, p, err_r) < 0 &&
	    /* the connection was found dead: one fresh attempt, back-off
	     * permitting */
	    (x->ld != NULL || !ensure_connected(x) || send_search(x, p, err_r) < 0)) {
		pending_clear(p);
		return BACKEND_FAIL;
	}
	p->used = true;
	return BACKEND_PENDING;
}

/* Pick the secret for the realm out of the attribute's values. */
static bool
pick_secret(const struct lb_ctx *x, const struct pending *p,
    struct berval **vals, struct dstr *secret_r)
{
	size_t dl = strlen(x->c.delim);
	int i;

	for (i = 0; vals != NULL && vals[i] != NULL; i++) {
		const char *v = vals[i]->bv_val;
		size_t n = vals[i]->bv_len;

		if (dl == 0) {
			*secret_r = (struct dstr){ v, n };
			return true;
		}
		if (n >= p->realm_len + dl &&
		    memcmp(v, p->realm, p->realm_len) == 0 &&
		    memcmp(v + p->realm_len, x->c.delim, dl) == 0) {
			*secret_r = (struct dstr){ v + p->realm_len + dl,
			    n - p->realm_len - dl };
			return true;
		}
	}
	return false;
}

static void
wipe_values(struct berval **vals)
{
	int i;

	for (i = 0; vals != NULL && vals[i] != NULL; i++)
		secret_wipe(vals[i]->bv_val, vals[i]->bv_len);
	ldap_value_free_len(vals);
}

/* The verdict for one finished search. */
static enum backend_result
judge(struct lb_ctx *x, struct pending *p, LDAPMessage *res, char *ha1,
    const char **why)
{
	static const struct dstr none = { NULL, 0 };
	LDAPMessage *e;
	struct berval **vals;
	struct dstr secret;
	enum backend_result verdict = BACKEND_NOT_FOUND;
	int err = LDAP_OTHER, n;

	if (ldap_parse_result(x->ld, res, &err, NULL, NULL, NULL, NULL, 0) !=
	    LDAP_SUCCESS)
		err = LDAP_OTHER;
	n = ldap_count_entries(x->ld, res);
	if ((err == LDAP_NO_SUCH_OBJECT || err == LDAP_INVALID_DN_SYNTAX) &&
	    x->c.userattr != NULL && x->c.scope == LDAP_SCOPE_BASE)
		return BACKEND_NOT_FOUND;	/* no entry ATTR=USER,BASEDN */
	if (err == LDAP_NO_SUCH_OBJECT) {
		/* the search base itself is missing: nobody can be found,
		 * which says nothing about this user */
		if (!x->nobase_logged)
			log_error("the search base %s does not exist in the directory (check -b); answering BH",
			    x->c.basedn);
		x->nobase_logged = true;
		*why = "LDAP search base missing";
		return BACKEND_FAIL;
	}
	if (err != LDAP_SUCCESS && err != LDAP_SIZELIMIT_EXCEEDED &&
	    !(err == LDAP_REFERRAL && x->c.no_referrals)) {
		/* once a minute per error, or clients could fill the log */
		long long t = now_ms();

		if (err != x->last_err || t - x->last_err_ms > 60000)
			log_error("LDAP search failed: %s", ldap_err2string(err));
		x->last_err = err;
		x->last_err_ms = t;
		*why = err == LDAP_TIMELIMIT_EXCEEDED ? "LDAP search timed out" :
		    "LDAP search failed";
		return BACKEND_FAIL;
	}
	if (n > 1 || err == LDAP_SIZELIMIT_EXCEEDED) {
		char u[128];

		log_error("more than one LDAP entry matches user \"%s\"; answering ERR (fix the filter or the directory)",
		    log_sanitize(p->user, p->user_len, u, sizeof(u)));
		return BACKEND_NOT_FOUND;
	}
	if (n != 1 || (e = ldap_first_entry(x->ld, res)) == NULL)
		return BACKEND_NOT_FOUND;
	if (!name_matches(x, e, p)) {
		log_debug("the entry found holds the name with other case or spacing: not this user");
		return BACKEND_NOT_FOUND;
	}
	vals = ldap_get_values_len(x->ld, e, x->c.passattr);
	if (pick_secret(x, p, vals, &secret)) {
		if (x->c.ha1) {
			if (digest_is_hex(p->alg, secret.p, secret.n)) {
				digest_hex_lower(secret.p, secret.n, ha1);
				verdict = BACKEND_FOUND;
			} else {
				log_error("the LDAP attribute %s of a user is not a %zu-digit HA1",
				    x->c.passattr, 2 * p->alg->len);
				*why = "Stored HA1 is malformed";
				verdict = BACKEND_FAIL;
			}
		} else if (digest_ha1(p->alg, (struct dstr){ p->user, p->user_len },
		    (struct dstr){ p->realm, p->realm_len }, secret, none, none,
		    ha1) == 0) {
			verdict = BACKEND_FOUND;
		} else {
			*why = "Hash computation failed";
			verdict = BACKEND_FAIL;
		}
	}
	wipe_values(vals);
	return verdict;
}

/* The connection broke with searches in flight: each is sent once more on
 * a fresh connection (a server that closed an idle connection, or a
 * fail-over), or answered BH. */
static void
resend_or_fail(struct lb_ctx *x, backend_done_fn *done, void *loop)
{
	const char *why = "LDAP server unreachable";
	bool tried = false;
	unsigned i;

	for (i = 0; i < x->np; i++) {
		struct pending *p = &x->p[i];

		if (!p->used || (x->ld != NULL && p->gen == x->gen))
			continue;
		if (!p->retried && !tried && x->ld == NULL) {
			tried = true;
			(void)ensure_connected(x);
		}
		if (!p->retried && x->ld != NULL && send_search(x, p, &why) == 0) {
			p->retried = true;
			continue;
		}
		done(loop, p->token, BACKEND_FAIL, NULL, why);
		pending_clear(p);
	}
}

/* Searches past their time are answered BH.  When the server has not
 * answered anything on the connection in use for that long either, it
 * hangs (its own time limit, -t, would have come back as an answer
 * first): fail over, and send the searches still waiting on it once more
 * on the next server.  A server that answers other searches is only slow
 * with this one, which is abandoned. */
static void
expire_searches(struct lb_ctx *x, backend_done_fn *done, void *loop)
{
	long long now = now_ms(), wait_ms = 1000LL * search_wait_s(x);
	bool hung = false;
	unsigned i;

	for (i = 0; i < x->np; i++) {
		if (!x->p[i].used || x->p[i].deadline_ms > now)
			continue;
		if (x->ld != NULL && x->p[i].gen == x->gen) {
			if (now - x->heard_ms >= wait_ms)
				hung = true;
			else
				ldap_abandon_ext(x->ld, x->p[i].msgid, NULL, NULL);
		}
		log_error("LDAP search timed out");
		done(loop, x->p[i].token, BACKEND_FAIL, NULL, "LDAP search timed out");
		pending_clear(&x->p[i]);
	}
	if (hung) {
		server_hung(x, search_wait_s(x));
		resend_or_fail(x, done, loop);
	}
}

static void
lb_dispatch(void *ctx, backend_done_fn *done, void *loop)
{
	struct lb_ctx *x = ctx;
	struct timeval zero = { 0, 0 };
	unsigned i;

	if (x->ld != NULL && x->wfailed)
		connection_lost(x, LDAP_SERVER_DOWN);
	resend_or_fail(x, done, loop);
	while (x->ld != NULL) {
		LDAPMessage *res = NULL;
		struct pending *p = NULL;
		char ha1[DIGEST_HEX_MAX + 1] = "";
		const char *why = NULL;
		enum backend_result v;
		int rc = ldap_result(x->ld, LDAP_RES_ANY, LDAP_MSG_ALL, &zero, &res);

		if (rc == 0)
			break;
		if (rc < 0) {
			int err = LDAP_SERVER_DOWN;

			ldap_get_option(x->ld, LDAP_OPT_RESULT_CODE, &err);
			ldap_msgfree(res);
			connection_lost(x, err);
			resend_or_fail(x, done, loop);
			continue;
		}
		x->heard_ms = now_ms();
		for (i = 0; i < x->np; i++)
			if (x->p[i].used && x->p[i].gen == x->gen &&
			    x->p[i].msgid == ldap_msgid(res)) {
				p = &x->p[i];
				break;
			}
		if (p == NULL || rc != LDAP_RES_SEARCH_RESULT) {
			ldap_msgfree(res);	/* abandoned or unexpected */
			continue;
		}
		v = judge(x, p, res, ha1, &why);
		ldap_msgfree(res);
		done(loop, p->token, v, ha1, why);
		secret_wipe(ha1, sizeof(ha1));
		pending_clear(p);
		/* Nothing more buffered: stop here rather than let libldap
		 * poll the socket once more (a reply that came meanwhile
		 * wakes the loop's poll at once).  Replies complete in what
		 * was read are never left queued in libldap: it returns each
		 * search result as soon as it has read it. */
		if (x->ld != NULL && x->sb != NULL &&
		    ber_sockbuf_ctrl(x->sb, LBER_SB_OPT_DATA_READY, NULL) <= 0)
			break;
	}
	expire_searches(x, done, loop);
}

/* Many searches in flight: the next reply is usually microseconds away.
 * Going to sleep in poll() and being woken for it costs more than that
 * wait, on both sides: slapd's thread has to wake us, and slapd's own
 * threads have gone to sleep by the time our next search comes.  Measured
 * with slapd on the same 2 virtual CPUs at -j 16, without this slapd spent
 * 40-50% more CPU per search (2.7 against 1.8 context switches) and
 * throughput was a quarter lower.  So look for the reply a little first,
 * giving the CPU to whatever else is runnable (slapd) between looks:
 * bounded by LDAP_SPIN_US per wait, and never with few searches in flight
 * (a lone request, a quiet proxy). */
static void
spin_for_reply(struct lb_ctx *x, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long until;
	unsigned i, n = 0;

	for (i = 0; i < x->np; i++)
		n += x->p[i].used && x->p[i].gen == x->gen;
	if (n < LDAP_SPIN_MIN_INFLIGHT)
		return;
	until = now_us() + LDAP_SPIN_US;
	do {
		sched_yield();
		if (poll(&pfd, 1, 0) != 0)
			return;
	} while (now_us() < until);
}

/* Called by the loop right before it waits for the replies: the searches
 * held for this batch go out now. */
static int
lb_event_fd(void *ctx)
{
	struct lb_ctx *x = ctx;
	int fd = -1;

	if (wl_flush(x) < 0)
		return -1;	/* lb_next_timeout: 0, dispatch: reconnect */
	if (x->ld == NULL || ldap_get_option(x->ld, LDAP_OPT_DESC, &fd) !=
	    LDAP_OPT_SUCCESS)
		return -1;
	spin_for_reply(x, fd);
	return fd;
}

static int
lb_next_timeout(void *ctx)
{
	struct lb_ctx *x = ctx;
	long long now = now_ms(), t = LDAP_POLL_CAP_MS;
	unsigned i;

	if (x->wfailed)
		return 0;	/* dispatch: reconnect */
	for (i = 0; i < x->np; i++) {
		if (!x->p[i].used)
			continue;
		if (x->ld == NULL || x->p[i].gen != x->gen)
			return 0;	/* orphaned by a lost connection */
		if (x->p[i].deadline_ms - now < t)
			t = x->p[i].deadline_ms - now;
	}
	return t < 0 ? 0 : (int)t;
}

/* Nothing in flight: nothing should be held, but never wait with it. */
static void
lb_idle(void *ctx)
{
	(void)wl_flush(ctx);
}

static enum backend_result
lb_lookup_unused(void *ctx, const struct backend_query *q, char *ha1_r,
    const char **err_r)
{
	(void)ctx;
	(void)q;
	(void)ha1_r;
	*err_r = "internal error";
	return BACKEND_FAIL;
}

static void
lb_fini(void **ctx)
{
	struct lb_ctx *x = *ctx;
	unsigned i;

	if (x == NULL)
		return;
	for (i = 0; i < x->np; i++)
		pending_clear(&x->p[i]);
	free(x->p);
	disconnect(x);
	obuf_free(&x->scratch);
	obuf_free(&x->wbuf);
	if (x->c.secret != NULL)
		secret_free(x->c.secret, strlen(x->c.secret));
	free(x->c.uris);
	for (i = 0; i < x->c.nuri; i++)
		free(x->c.uri[i]);
	free(x->c.uri);
	free(x->c.hosts);
	for (i = 0; x->attrs != NULL && x->attrs[i] != NULL; i++)
		free(x->attrs[i]);
	free(x->attrs);
	free(x);
	*ctx = NULL;
}

const struct backend_ops ldap_backend = {
	.name = "ldap",
	.usage = "-b BASEDN (-F FILTER | -u ATTR) -A ATTR [options] [SERVER...]",
	.options_help =
	    "  -b BASEDN      where the users are searched\n"
	    "  -F FILTER      search filter; %s is the user name (escaped), %% a '%'\n"
	    "  -u ATTR        find the user by (ATTR=user) under BASEDN; with -s base,\n"
	    "                 read the entry ATTR=user,BASEDN\n"
	    "  -A ATTR        the attribute holding REALM<delim>PASSWORD (or the HA1)\n"
	    "  -l DELIM       realm delimiter in that attribute (default ':'); '' means\n"
	    "                 the attribute holds the secret alone (needs -r)\n"
	    "  -r REALM       only answer for this realm\n"
	    "  -e             the attribute holds an HA1, not a plaintext password\n"
	    "  -s base|one|sub  search scope (default sub)\n"
	    "  -D BINDDN      bind as this DN\n"
	    "  -W FILE        read the bind password from FILE\n"
	    "  -w SECRET      the bind password (visible in ps: prefer -W)\n"
	    "  -H URI         LDAP URI; several (space-separated or repeated) fail over\n"
	    "  -h HOST, -p PORT  server and port (default localhost:389)\n"
	    "  -Z             StartTLS (LDAP version 3)\n"
	    "  -c SECONDS     connect time-out (default 5)\n"
	    "  -t SECONDS     search time limit (default: none on the server, 10 s here)\n"
	    "  -a never|always|search|find  alias dereferencing (default never)\n"
	    "  -v 2|3         LDAP protocol version (default 3)\n"
	    "  -R             do not follow referrals\n"
	    "  -P             persistent connection (always on; accepted for Squid)\n"
	    "  -S             strip an NT domain (DOMAIN\\user) from user names\n"
	    "  -j N           searches in flight with channel IDs (default 16)\n",
	.shortopts = "b:F:u:A:l:r:es:D:w:W:H:h:p:Zc:t:a:v:PRSj:",
	.longopts = NULL,
	.option = lb_option,
	.init = lb_init,
	.idle = lb_idle,
	.lookup = lb_lookup_unused,
	.start = lb_start,
	.max_inflight = lb_max_inflight,
	.event_fd = lb_event_fd,
	.next_timeout_ms = lb_next_timeout,
	.dispatch = lb_dispatch,
	.fini = lb_fini,
};
