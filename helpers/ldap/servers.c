/* servers.c - the list of servers, one URI each, in the order they are
 * tried: the -H URIs, then every host of -h and of the server arguments
 * (Squid's way of giving more), as ldap://HOST:PORT.  With none of them,
 * ldap://localhost:PORT.
 *
 * Hosts are separated by spaces, URIs by spaces and commas (as OpenLDAP
 * splits a list of URIs).  Every URI must parse: a typo is a start-up
 * error, not BH forever.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_int.h"
#include "secret.h"

/* A host becomes a URI of at most this many bytes (a longer one is cut). */
#define LB_URI_MAX 1024

/* Walks the tokens of a string between separators, never writing to it
 * and never reading past end. */
struct tokens {
	const char *p, *end;
	const char *seps;
};

static bool
is_sep(const struct tokens *t, char ch)
{
	return memchr(t->seps, ch, strlen(t->seps)) != NULL;
}

/* The next token: its start in *tok_r, its length in *len_r.  False when
 * there is none left. */
static bool
next_token(struct tokens *t, const char **tok_r, size_t *len_r)
{
	while (t->p < t->end && is_sep(t, *t->p))
		t->p++;
	if (t->p == t->end)
		return false;
	*tok_r = t->p;
	while (t->p < t->end && !is_sep(t, *t->p))
		t->p++;
	*len_r = (size_t)(t->p - *tok_r);
	return true;
}

struct list {
	char **v;
	unsigned n;
};

/* Take the URIs of s (n bytes).  0, or -1 with err_r set. */
static int
add_uris(struct list *l, const char *s, size_t n, char *err_r, size_t errlen)
{
	struct tokens t = { s, s + n, " ," };
	const char *tok;
	size_t len;

	while (next_token(&t, &tok, &len)) {
		char *u = xmemdup0(tok, len);
		LDAPURLDesc *d = NULL;

		if (ldap_url_parse(u, &d) != LDAP_URL_SUCCESS) {
			snprintf(err_r, errlen, "bad LDAP server or URI: %s", u);
			free(u);
			return -1;
		}
		ldap_free_urldesc(d);
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = u;
	}
	return 0;
}

/* Take the hosts of s: "HOST" is ldap://HOST:PORT, "HOST:PORT"
 * ldap://HOST:PORT, and a URI stays as it is.  Counts them in *nhosts. */
static int
add_hosts(struct list *l, const char *s, int port, unsigned *nhosts,
    char *err_r, size_t errlen)
{
	struct tokens t = { s, s + strlen(s), " " };
	char uri[LB_URI_MAX];
	const char *h;
	size_t n;

	while (next_token(&t, &h, &n)) {
		int hl = n < sizeof(uri) ? (int)n : (int)sizeof(uri);

		if (memmem(h, n, "://", 3) != NULL)
			snprintf(uri, sizeof(uri), "%.*s", hl, h);
		else if (memchr(h, ':', n) != NULL)
			snprintf(uri, sizeof(uri), "ldap://%.*s", hl, h);
		else
			snprintf(uri, sizeof(uri), "ldap://%.*s:%d", hl, h, port);
		(*nhosts)++;
		if (add_uris(l, uri, strlen(uri), err_r, errlen) < 0)
			return -1;
	}
	return 0;
}

void
lb_servers_free(char **uri, unsigned n)
{
	while (n > 0)
		free(uri[--n]);
	free(uri);
}

char **
lb_servers(const struct lb_conf *c, int argc, char **argv, unsigned *n_r,
    char *err_r, size_t errlen)
{
	struct list l = { NULL, 0 };
	unsigned nhosts = 0;
	char uri[LB_URI_MAX];
	int i, rc = 0;

	if (c->uris != NULL)
		rc = add_uris(&l, c->uris, strlen(c->uris), err_r, errlen);
	if (rc == 0 && c->hosts != NULL)
		rc = add_hosts(&l, c->hosts, c->port, &nhosts, err_r, errlen);
	for (i = 0; rc == 0 && i < argc; i++)
		rc = add_hosts(&l, argv[i], c->port, &nhosts, err_r, errlen);
	if (rc == 0 && c->uris == NULL && nhosts == 0) {
		snprintf(uri, sizeof(uri), "ldap://localhost:%d", c->port);
		rc = add_uris(&l, uri, strlen(uri), err_r, errlen);
	}
	if (rc == 0 && l.n == 0) {
		snprintf(err_r, errlen, "no LDAP server given");
		rc = -1;
	}
	if (rc < 0) {
		lb_servers_free(l.v, l.n);
		return NULL;
	}
	*n_r = l.n;
	return l.v;
}
