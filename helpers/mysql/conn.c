/* conn.c - the connections to the server: up to -j of them, each set up
 * alike, each running one lookup at a time (the MySQL protocol runs one
 * statement at a time per connection).
 *
 * An attempt goes down the --host list in order until a server takes the
 * connection and passes the setup (setup.c), so fail-over is to the next
 * host of the list.  The handshake is non-blocking (the library's
 * mysql_real_connect_start/_cont, polled from the request loop), bounded
 * by MY_CONNECT_TIMEOUT_S per host; the setup after it is a few bounded
 * round trips (wait.c).  While no server can be used every lookup
 * answers BH (never ERR), and attempts come with a growing back-off
 * (lib/backoff).  A connection is opened when a lookup needs one; while
 * none is up, one attempt at a time probes the servers.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "backoff.h"
#include "log.h"
#include "mysql_int.h"
#include "secret.h"

static const char *const down_msg[] = {
	[MY_SETUP_LOST] = "MariaDB server unreachable",
	[MY_SETUP_REFUSED] = "MariaDB session setup failed",
};

bool
my_conn_any(const struct my_ctx *x, enum my_conn_state st)
{
	unsigned i;

	for (i = 0; i < x->ns; i++)
		if (x->cn[i].state == st ||
		    (st == MC_IDLE && x->cn[i].state == MC_BUSY))
			return true;
	return false;
}

/* May a DOWN connection be opened now?  Not before the back-off allows
 * it, and while none is up, only one attempt at a time. */
bool
my_can_open(const struct my_ctx *x)
{
	if (my_now_ms() < x->retry_at_ms || !my_conn_any(x, MC_DOWN))
		return false;
	return my_conn_any(x, MC_IDLE) || !my_conn_any(x, MC_CONNECTING);
}

const char *
my_where(const struct my_ctx *x, const struct my_conn *k, char *buf,
    size_t len)
{
	const struct my_conf *c = x->c;
	const struct my_host *h = &c->hosts[k->host];

	if (c->nhosts == 0 && k->m != NULL && k->state >= MC_IDLE)
		snprintf(buf, len, "%s", mysql_get_host_info(k->m));
	else if (c->nhosts == 0)
		snprintf(buf, len, "%s", c->socket != NULL ? c->socket :
		    "the option file's server");
	else if (h->port != 0 || c->port != 0)
		snprintf(buf, len, "%s:%u", h->name, h->port != 0 ? h->port :
		    c->port);
	else
		snprintf(buf, len, "%s", h->name);
	return buf;
}

/* The handle for one attempt, with the helper's options. */
static MYSQL *
handle(const struct my_conf *c)
{
	static const unsigned timeout = MY_CONNECT_TIMEOUT_S;
	static const my_bool on = 1;
	static const unsigned off = 0;
	MYSQL *m = mysql_init(NULL);

	if (m == NULL)
		return NULL;
	mysql_options(m, MYSQL_OPT_NONBLOCK, 0);
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &off);	/* never reads files */
	if (c->defaults_file != NULL) {
		mysql_options(m, MYSQL_READ_DEFAULT_FILE, c->defaults_file);
		mysql_options(m, MYSQL_READ_DEFAULT_GROUP, "client");
	}
	if (c->ssl == MY_SSL_REQUIRED || c->ssl == MY_SSL_VERIFY_IDENTITY)
		mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
	if (c->ssl == MY_SSL_VERIFY_IDENTITY)
		mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
	if (c->ssl_ca != NULL)
		mysql_options(m, MYSQL_OPT_SSL_CA, c->ssl_ca);
	mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
	    log_progname());
	return m;
}

static void
wipe_str(char *p)
{
	if (p != NULL)
		secret_wipe(p, strlen(p));
}

/* Drop k's connection, if any: a pending call is ended first (the
 * socket shut down under it), so the library is never left inside one. */
void
my_conn_close(struct my_ctx *x, struct my_conn *k)
{
	MYSQL *ret;
	int n = 0;

	my_unregister(x, k);
	if (k->m != NULL && k->wait != 0) {
		(void)shutdown(mysql_get_socket(k->m), SHUT_RDWR);
		while (k->wait != 0 && n++ < 16) {
			int ev = MYSQL_WAIT_READ | MYSQL_WAIT_WRITE;
			int r;

			if (k->state == MC_CONNECTING)
				k->wait = mysql_real_connect_cont(&ret, k->m, ev);
			else if (k->step == MS_LOOK_EXEC || k->step == MS_GROUPS_EXEC)
				k->wait = mysql_stmt_execute_cont(&r, k->step ==
				    MS_LOOK_EXEC ? k->look : k->groups, ev);
			else
				k->wait = mysql_stmt_store_result_cont(&r,
				    k->step == MS_LOOK_STORE ? k->look : k->groups, ev);
		}
	}
	if (k->look != NULL)
		mysql_stmt_close(k->look);
	if (k->groups != NULL)
		mysql_stmt_close(k->groups);
	if (k->m != NULL) {
		/* the library frees its copies of the password unwiped */
		wipe_str(k->m->passwd);
		wipe_str(k->m->options.password);
		mysql_close(k->m);
	}
	k->look = k->groups = NULL;
	k->m = NULL;
	k->wait = 0;
	k->slot = -1;
	k->state = MC_DOWN;
}

/* k's connection failed (why): its lookup goes once more on another, or
 * answers BH (inflight.c); a new attempt may come at once. */
void
my_conn_lost(struct my_ctx *x, struct my_conn *k, const char *why)
{
	char w[256];

	log_error("MariaDB connection to %s lost: %s",
	    my_where(x, k, w, sizeof(w)), why);
	if (k->state == MC_BUSY && k->slot >= 0)
		my_slot_lost(&x->s[k->slot]);
	my_conn_close(x, k);
	x->outage_logged = true;
	x->last_fail[0] = '\0';
	x->down_why = down_msg[MY_SETUP_LOST];
	if (!my_conn_any(x, MC_IDLE))
		x->retry_at_ms = 0;	/* one attempt at once */
}

/* The connection passed its setup: in use. */
static void
connected(struct my_ctx *x, struct my_conn *k)
{
	char where[sizeof(x->where)];

	k->state = MC_IDLE;
	my_where(x, k, where, sizeof(where));
	if (x->where[0] != '\0' && strcmp(x->where, where) != 0)
		log_info("MariaDB now using %s instead of %s", where, x->where);
	else if (x->outage_logged)
		log_info("MariaDB connection to %s is back", where);
	else
		log_debug("connected to %s (server %s)", where,
		    mysql_get_server_info(k->m));
	memcpy(x->where, where, sizeof(where));
	x->outage_logged = false;
	x->last_fail[0] = '\0';
	x->backoff_ms = 0;
	k->state = MC_IDLE;
	k->wait = 0;
}

/* Every host failed (rc, the last reason in k->err): logged when it is
 * the first failure of an outage or differs from the one before; then
 * the back-off. */
static void
failed(struct my_ctx *x, struct my_conn *k, enum my_setup rc)
{
	x->last_rc = rc;
	if (x->starting && rc == MY_SETUP_REFUSED)
		;	/* the start-up error says it */
	else if (!x->outage_logged || strncmp(x->last_fail, k->err,
	    sizeof(x->last_fail) - 1) != 0)
		log_error("MariaDB %s: %s; lookups answer BH until it is %s",
		    rc == MY_SETUP_REFUSED ? "session setup refused" :
		    "connection failed", k->err,
		    rc == MY_SETUP_REFUSED ? "fixed" : "back");
	else
		log_debug("MariaDB connection failed again: %s", k->err);
	snprintf(x->last_fail, sizeof(x->last_fail), "%s", k->err);
	x->outage_logged = true;
	x->down_why = down_msg[rc];
	my_conn_close(x, k);
	backoff_next(&x->backoff_ms, &x->retry_at_ms, my_now_ms());
}

static void try_host(struct my_ctx *x, struct my_conn *k);

/* The handshake with hosts[k->host] ended (ret: the library's result),
 * or failed for the reason in k->err already (preset). */
static void
handshake_done(struct my_ctx *x, struct my_conn *k, MYSQL *ret, bool preset)
{
	char w[256], why[512];
	enum my_setup rc = MY_SETUP_LOST;

	if (preset) {
		;
	} else if (ret == NULL) {
		snprintf(k->err, sizeof(k->err), "%s: %s",
		    my_where(x, k, w, sizeof(w)), mysql_error(k->m));
	} else if (x->c->ssl >= MY_SSL_REQUIRED &&
	    mysql_get_ssl_cipher(k->m) == NULL) {
		/* the library lets a server without TLS through (the login
		 * itself was a challenge-response, not the password) */
		snprintf(k->err, sizeof(k->err), "%s: the server did not use TLS (--ssl-mode %s)",
		    my_where(x, k, w, sizeof(w)), x->c->ssl == MY_SSL_REQUIRED ?
		    "REQUIRED" : "VERIFY_IDENTITY");
	} else {
		why[0] = '\0';
		rc = my_setup(x, k, why, sizeof(why));
		if (rc == MY_SETUP_OK) {
			connected(x, k);
			return;
		}
		/* a refusal is about the query or the schema, whichever
		 * host it came from: the start-up error says it alone */
		if (rc == MY_SETUP_REFUSED)
			snprintf(k->err, sizeof(k->err), "%s", why);
		else
			snprintf(k->err, sizeof(k->err), "%s: %s",
			    my_where(x, k, w, sizeof(w)), why[0] != '\0' ? why :
			    "no answer to the session setup");
	}
	if (rc == MY_SETUP_LOST && k->host + 1 < x->c->nhosts) {
		log_debug("MariaDB %s; trying the next host", k->err);
		my_conn_close(x, k);
		k->host++;
		try_host(x, k);
		return;
	}
	failed(x, k, rc);
}

/* Start the handshake with hosts[k->host]. */
static void
try_host(struct my_ctx *x, struct my_conn *k)
{
	const struct my_conf *c = x->c;
	const struct my_host *h = &c->hosts[k->host];
	MYSQL *ret = NULL;
	int st;

	k->m = handle(c);
	if (k->m == NULL) {
		snprintf(k->err, sizeof(k->err), "out of memory");
		failed(x, k, MY_SETUP_LOST);
		return;
	}
	k->state = MC_CONNECTING;
	k->host_deadline_ms = my_now_ms() + 1000LL * (MY_CONNECT_TIMEOUT_S + 1);
	st = mysql_real_connect_start(&ret, k->m, c->nhosts > 0 ? h->name : NULL,
	    c->user, c->sql.secret, c->database,
	    h->port != 0 ? h->port : c->port, c->socket, 0);
	if (st == 0) {
		k->wait = 0;
		handshake_done(x, k, ret, false);
		return;
	}
	k->wait = st;
	if (st & MYSQL_WAIT_TIMEOUT)
		k->wait_until_ms = my_now_ms() + mysql_get_timeout_value_ms(k->m);
}

/* A new attempt on k, from the first host of the list. */
void
my_conn_start(struct my_ctx *x, struct my_conn *k)
{
	k->host = 0;
	try_host(x, k);
}

/* The handshake goes on: events are the MYSQL_WAIT_* that are ready. */
void
my_conn_step(struct my_ctx *x, struct my_conn *k, int events)
{
	MYSQL *ret = NULL;
	char w[256];
	int st;

	if (my_now_ms() >= k->host_deadline_ms) {
		snprintf(k->err, sizeof(k->err), "%s: no handshake within %d s",
		    my_where(x, k, w, sizeof(w)), MY_CONNECT_TIMEOUT_S + 1);
		handshake_done(x, k, NULL, true);	/* closing ends the call */
		return;
	}
	st = mysql_real_connect_cont(&ret, k->m, events);
	if (st == 0) {
		k->wait = 0;
		handshake_done(x, k, ret, false);
		return;
	}
	k->wait = st;
	if (st & MYSQL_WAIT_TIMEOUT)
		k->wait_until_ms = my_now_ms() + mysql_get_timeout_value_ms(k->m);
}

/* my_conn_first's continuation: one step of the handshake; the wait
 * ends when the attempt has moved to another host (another socket). */
struct first {
	struct my_ctx *x;
	struct my_conn *k;
	unsigned host;
};

static int
first_cont(void *arg, int ready)
{
	struct first *f = arg;

	my_conn_step(f->x, f->k, ready);
	if (f->k->state != MC_CONNECTING || f->k->host != f->host)
		return 0;
	return f->k->wait;
}

/* At start-up, the first connection, waited for: a server that refuses
 * the helper's statements is the start-up error (-1, in err); one that
 * cannot be reached is not, and lookups answer BH until it can be. */
int
my_conn_first(struct my_ctx *x, char *err, size_t errlen)
{
	struct my_conn *k = &x->cn[0];
	struct first f = { .x = x, .k = k };

	x->starting = true;
	x->backoff_ms = BACKOFF_MIN_MS;	/* the first retry waits too */
	my_conn_start(x, k);
	while (k->state == MC_CONNECTING) {
		f.host = k->host;
		if (my_wait(k->m, k->wait, first_cont, &f,
		    k->host_deadline_ms) < 0)
			my_conn_step(x, k, 0);	/* past the host's deadline */
	}
	x->starting = false;
	if (k->state == MC_DOWN && x->last_rc == MY_SETUP_REFUSED) {
		snprintf(err, errlen, "%s", k->err);
		return -1;
	}
	return 0;
}
