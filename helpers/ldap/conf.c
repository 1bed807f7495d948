/* conf.c - the options of digest_ldap_auth (Squid's, and ours: -j, the
 * group options), into struct lb_conf.  They are checked together at
 * start-up (check.c), the long ones only there: the caller's message for
 * a refused option names it by its letter.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_int.h"
#include "log.h"
#include "optarg.h"
#include "safefile.h"
#include "secret.h"

/* Connect time-out when -c is not given: long enough for a directory
 * across a WAN, short enough that Squid's logins are not held up long
 * while a dead server is tried. */
#define LB_DEFAULT_CONNECT_TIMEOUT_S 5

/* Searches in flight per helper (-j): the default and the most. */
#define LB_DEFAULT_INFLIGHT 16
#define LB_MAX_INFLIGHT 1024

/* The options' getopt tables; digest_passwd --ldap parses the helper's
 * arguments with them too. */
const char lb_shortopts[] = "b:F:u:A:l:r:es:D:w:W:H:h:p:Zc:t:a:v:PRSj:G:";

const struct option lb_longopts[] = {
	{ "group-rdn", no_argument, NULL, LB_OPT_GROUP_RDN },
	{ "group-base", required_argument, NULL, LB_OPT_GROUP_BASE },
	{ "group-filter", required_argument, NULL, LB_OPT_GROUP_FILTER },
	{ "group-attr", required_argument, NULL, LB_OPT_GROUP_ATTR },
	{ NULL, 0, NULL, 0 },
};

struct keyword {
	const char *name;
	int value;
};

static const struct keyword scopes[] = {
	{ "base", LDAP_SCOPE_BASE },
	{ "one", LDAP_SCOPE_ONELEVEL },
	{ "sub", LDAP_SCOPE_SUBTREE },
	{ NULL, 0 },
};

static const struct keyword derefs[] = {
	{ "never", LDAP_DEREF_NEVER },
	{ "always", LDAP_DEREF_ALWAYS },
	{ "search", LDAP_DEREF_SEARCHING },
	{ "find", LDAP_DEREF_FINDING },
	{ NULL, 0 },
};

/* The options taking a number: its range, and the message outside it. */
struct number_opt {
	int opt;
	int min, max;
	const char *err;
};

static const struct number_opt number_opts[] = {
	{ 'p', 1, 65535, "the port (-p) must be a number from 1 to 65535" },
	{ 'c', 1, 3600, "the connect time-out (-c) must be 1 to 3600 seconds" },
	{ 't', 0, 3600, "the search time limit (-t) must be 0 to 3600 seconds" },
	{ 'v', 2, 3, "the LDAP version (-v) must be 2 or 3" },
	{ 'j', 1, LB_MAX_INFLIGHT, "-j must be 1 to 1024 searches in flight" },
	{ 0, 0, 0, NULL },
};

void *
lb_conf_new(void)
{
	struct lb_conf *c = xcalloc(1, sizeof(*c));

	c->port = LDAP_PORT;
	c->delim = ":";
	c->scope = LDAP_SCOPE_SUBTREE;
	c->connect_timeout = LB_DEFAULT_CONNECT_TIMEOUT_S;
	c->deref = LDAP_DEREF_NEVER;
	c->version = LDAP_VERSION3;
	c->inflight = LB_DEFAULT_INFLIGHT;
	return c;
}

void
lb_conf_free(void *conf)
{
	struct lb_conf *c = conf;

	if (c == NULL)
		return;
	secret_replace(&c->secret, NULL);
	free(c->uris);
	free(c->hosts);
	free(c);
}

/* Append w to the space-separated list *list: -H and -h may repeat, and
 * one -h may hold several hosts. */
static void
append_word(char **list, const char *w)
{
	size_t n = *list != NULL ? strlen(*list) : 0, wl = strlen(w);

	*list = xrealloc(*list, n + wl + 2);
	if (n > 0)
		(*list)[n++] = ' ';
	memcpy(*list + n, w, wl + 1);
}

static int
keyword(const struct keyword *k, const char *arg, int *v_r)
{
	for (; k->name != NULL; k++)
		if (strcmp(arg, k->name) == 0) {
			*v_r = k->value;
			return 0;
		}
	return -1;
}

/* The bind secret from -W: the first line of the file (see
 * safe_read_secret_line). */
static int
read_secret(struct lb_conf *c, const char *path, const char **err_r)
{
	char *secret;

	if (safe_read_secret_line(path, "the secret file", &secret, c->err,
	    sizeof(c->err)) < 0) {
		*err_r = c->err;
		return -1;
	}
	secret_replace(&c->secret, NULL);
	c->secret = secret;
	return 0;
}

/* Options whose value is kept as it is.  False: not one of them. */
static bool
option_text(struct lb_conf *c, int opt, const char *arg)
{
	switch (opt) {
	case 'b': c->basedn = arg; break;
	case 'F': c->filter = arg; break;
	case 'u': c->userattr = arg; break;
	case 'A': c->passattr = arg; break;
	case 'l': c->delim = arg; break;
	case 'r': c->realm = arg; break;
	case 'D': c->binddn = arg; break;
	case 'G': c->memberof = arg; break;
	case LB_OPT_GROUP_BASE: c->group_base = arg; break;
	case LB_OPT_GROUP_FILTER: c->group_filter = arg; break;
	case LB_OPT_GROUP_ATTR: c->group_attr = arg; break;
	case 'H': append_word(&c->uris, arg); break;
	case 'h': append_word(&c->hosts, arg); break;
	default: return false;
	}
	return true;
}

/* Options without a value.  False: not one of them. */
static bool
option_flag(struct lb_conf *c, int opt)
{
	switch (opt) {
	case 'e': c->ha1 = true; break;
	case 'Z': c->tls = true; break;
	case 'P': break;	/* the connection is always kept open */
	case 'R': c->no_referrals = true; break;
	case 'S': c->strip_domain = true; break;
	case LB_OPT_GROUP_RDN: c->group_rdn = true; break;
	default: return false;
	}
	return true;
}

static int
option_number(struct lb_conf *c, int opt, const char *arg, const char **err_r)
{
	const struct number_opt *n;
	int v;

	for (n = number_opts; n->opt != 0 && n->opt != opt; n++)
		;
	if (n->opt == 0) {
		*err_r = "unknown option";
		return -1;
	}
	if (optarg_int(arg, n->min, n->max, &v) < 0) {
		*err_r = n->err;
		return -1;
	}
	switch (opt) {
	case 'p': c->port = v; break;
	case 'c': c->connect_timeout = v; break;
	case 't': c->timelimit = v; break;
	case 'v': c->version = v; break;
	case 'j': c->inflight = (unsigned)v; break;
	}
	return 0;
}

int
lb_option(void *conf, int opt, const char *arg, const char **err_r)
{
	struct lb_conf *c = conf;

	if (option_text(c, opt, arg) || option_flag(c, opt))
		return 0;
	switch (opt) {
	case 's':
		if (keyword(scopes, arg, &c->scope) == 0)
			return 0;
		*err_r = "the scope (-s) must be base, one or sub";
		return -1;
	case 'a':
		if (keyword(derefs, arg, &c->deref) == 0)
			return 0;
		*err_r = "alias dereferencing (-a) must be never, always, search or find";
		return -1;
	case 'w':
		log_warn("-w shows the bind password to every user of ps; use -W FILE");
		secret_replace(&c->secret, arg);
		/* hide it from ps where the platform lets us */
		secret_wipe((char *)arg, strlen(arg));
		return 0;
	case 'W':
		return read_secret(c, arg, err_r);
	}
	return option_number(c, opt, arg, err_r);
}
