/* ldap.c - the LDAP store behind digest_ldap_auth (digest_ldap_auth(8)).
 *
 * Accepts Squid's digest_ldap_auth options.  One connection, opened at
 * start and kept; searches run asynchronously on it, up to -j at once,
 * and each reply goes out as its lookup completes; with groups, the OK
 * carries them (groups.c, gsearch.c).  Several servers fail over
 * (conn.c).  The other files of this folder are listed in
 * ldap_int.h; this one starts and stops the store and answers the loop's
 * questions.
 */
#include "config.h"

#include <stdlib.h>

#include "ldap_int.h"
#include "secret.h"

/* Wake up at least this often while searches are pending: libldap may
 * hold a complete reply in its buffers (TLS) without the socket polling
 * readable. */
#define LB_POLL_CAP_MS 100

static int
lb_init(void **ctx_r, void *conf, int argc, char **argv, char *err_r,
    size_t errlen)
{
	const struct lb_conf *c = conf;
	struct lb_ctx *x;
	char **uri;
	unsigned nuri = 0;

	uri = lb_servers(c, argc, argv, &nuri, err_r, errlen);
	if (uri == NULL)
		return -1;
	if (lb_conf_check(c, err_r, errlen) < 0) {
		lb_servers_free(uri, nuri);
		return -1;
	}
	x = xcalloc(1, sizeof(*x));
	x->c = c;
	x->uri = uri;
	x->nuri = nuri;
	x->conn.state = LB_CONN_DISCONNECTED;
	x->conn.last_ok = -1;
	lb_wlayer_init(x);
	lb_search_attrs(x);
	x->gattrs[0] = (char *)(c->group_attr != NULL ? c->group_attr :
	    LB_DEFAULT_GROUP_ATTR);
	x->ns = c->inflight;
	x->s = xcalloc(x->ns, sizeof(*x->s));
	/* Reaching the directory at start is not required: lookups answer
	 * BH until it is there. */
	(void)lb_conn_ensure(x);
	*ctx_r = x;
	return 0;
}

static unsigned
lb_max_inflight(void *ctx)
{
	return ((struct lb_ctx *)ctx)->ns;
}

/* Called by the loop right before it waits for the replies: the searches
 * held for this batch go out now. */
static int
lb_event_fd(void *ctx)
{
	struct lb_ctx *x = ctx;
	int fd = -1;

	if (lb_wlayer_flush(x) < 0)
		return -1;	/* lb_next_timeout: 0, dispatch: reconnect */
	if (!lb_connected(x) || ldap_get_option(x->conn.ld, LDAP_OPT_DESC,
	    &fd) != LDAP_OPT_SUCCESS)
		return -1;
	lb_spin_for_reply(x, fd);
	return fd;
}

/* The time until the first search in flight times out; 0 when one waits
 * for a dispatch (orphaned by a lost connection, or BROKEN). */
static int
lb_next_timeout(void *ctx)
{
	struct lb_ctx *x = ctx;
	long long now = lb_now_ms(), t = LB_POLL_CAP_MS;
	unsigned i;

	if (x->conn.state == LB_CONN_BROKEN)
		return 0;	/* dispatch: reconnect */
	for (i = 0; i < x->ns; i++) {
		const struct lb_search *s = &x->s[i];

		if (s->state == LB_SEARCH_FREE)
			continue;
		if (!lb_on_current(x, s))
			return 0;	/* orphaned by a lost connection */
		if (s->deadline_ms - now < t)
			t = s->deadline_ms - now;
	}
	return t < 0 ? 0 : (int)t;
}

/* Nothing in flight: nothing should be held, but never wait with it. */
static void
lb_idle(void *ctx)
{
	(void)lb_wlayer_flush(ctx);
}

/* The secret itself is wiped with the configuration (lb_conf_free). */
static void
lb_fini(void **ctx)
{
	struct lb_ctx *x = *ctx;

	if (x == NULL)
		return;
	lb_table_free(x);
	lb_conn_close(x);
	x->conn.state = LB_CONN_DISCONNECTED;
	obuf_free(&x->scratch);
	notes_free(&x->notes);
	lb_groups_free(x);
	obuf_free(&x->wl.buf);
	lb_servers_free(x->uri, x->nuri);
	lb_search_attrs_free(x);
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
	    "  -j N           searches in flight with channel IDs (default 16)\n"
	    "  -G ATTR        the user's groups are the values of ATTR of the user's\n"
	    "                 entry (e.g. memberOf), sent as group=\"...\" on OK\n"
	    "  --group-rdn    with -G: a DN value gives the value of its first RDN\n"
	    "                 (cn=staff,ou=groups,... gives staff)\n"
	    "  --group-base DN  or search the groups under DN (subtree), with\n"
	    "  --group-filter FILTER  %D the user's DN, %s the user name (both\n"
	    "                 escaped), %% a '%', e.g. (member=%D)\n"
	    "  --group-attr ATTR  each group found gives its ATTR values (default cn)\n",
	.shortopts = lb_shortopts,
	.longopts = lb_longopts,
	.conf_new = lb_conf_new,
	.conf_free = lb_conf_free,
	.option = lb_option,
	.init = lb_init,
	.idle = lb_idle,
	.lookup = NULL,		/* asynchronous only */
	.start = lb_start,
	.max_inflight = lb_max_inflight,
	.event_fd = lb_event_fd,
	.next_timeout_ms = lb_next_timeout,
	.dispatch = lb_dispatch,
	.fini = lb_fini,
};
