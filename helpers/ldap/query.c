/* query.c - what a user's search is and how its entry is read, apart from
 * any connection: the attributes asked for, the base and filter (the user
 * name escaped by lib/ldapesc), the exact-name check on the entry found
 * and the pick of the realm's value.  digest_ldap_auth and digest_passwd
 * --ldap both use these, so the tool finds and reads an entry exactly as
 * the helper does (digest_ldap_auth(8)).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_int.h"
#include "ldapesc.h"
#include "secret.h"

/* The attribute of "(ATTR=%s)" whose "=%s)" is at p in the pattern f:
 * where ATTR starts, or NULL when p is not preceded by "(ATTR". */
static const char *
attr_before(const char *f, const char *p)
{
	const char *a = p;

	while (a > f && (isalnum((unsigned char)a[-1]) || a[-1] == '-' ||
	    a[-1] == ';' || a[-1] == '.'))
		a--;
	return a > f && a[-1] == '(' && a < p ? a : NULL;
}

/* The attributes a found entry must hold the user name in, exactly: -u
 * ATTR, or each ATTR of "(ATTR=%s)" in a -F pattern.  LDAP matches most
 * naming attributes ignoring case and extra spaces, so "Alice" finds
 * alice's entry; Squid's ACLs compare names exactly, so such a login
 * would pass under another name.  The requested attributes are -A first,
 * then these, then -G: the groups come with the entry, in the same round
 * trip. */
char **
lb_query_attrs(const struct lb_conf *c, size_t *nexact_r)
{
	const char *f = c->filter, *p, *a;
	char **attrs;
	size_t n = 1;

	attrs = xcalloc(strlen(f != NULL ? f : "") / 4 + 4, sizeof(char *));
	attrs[0] = xstrdup(c->passattr);
	if (c->userattr != NULL)
		attrs[n++] = xstrdup(c->userattr);
	else
		for (p = strstr(f, "=%s)"); p != NULL; p = strstr(p + 1, "=%s)"))
			if ((a = attr_before(f, p)) != NULL)
				attrs[n++] = xmemdup0(a, (size_t)(p - a));
	*nexact_r = n - 1;
	if (c->memberof != NULL)
		attrs[n++] = xstrdup(c->memberof);
	attrs[n] = NULL;
	return attrs;
}

void
lb_query_attrs_free(char **attrs)
{
	size_t i;

	for (i = 0; attrs != NULL && attrs[i] != NULL; i++)
		free(attrs[i]);
	free(attrs);
}

/* How long the helper (and the tool) wait for the answer to a search. */
int
lb_search_wait_s(const struct lb_conf *c)
{
	return c->timelimit > 0 ? c->timelimit + LB_SEARCH_GRACE_S :
	    LB_DEFAULT_SEARCH_TIMEOUT_S;
}

static void
append_str(struct obuf *b, const char *s)
{
	obuf_append(b, s, strlen(s));
}

size_t
lb_query_build(const struct lb_conf *c, struct obuf *b, const char *user,
    size_t ulen)
{
	size_t filter_off;

	b->len = 0;
	if (c->userattr != NULL && c->scope == LDAP_SCOPE_BASE) {
		/* -u with -s base: read the entry attr=USER,basedn */
		append_str(b, c->userattr);
		obuf_append(b, "=", 1);
		ldapesc_dn(b, user, ulen);
		obuf_append(b, ",", 1);
	}
	append_str(b, c->basedn);
	obuf_append(b, "", 1);
	filter_off = b->len;
	if (c->filter != NULL) {
		ldapesc_pattern(b, c->filter, user, ulen);
	} else if (c->scope == LDAP_SCOPE_BASE) {
		obuf_append(b, "(objectClass=*)", 16);
	} else {
		obuf_append(b, "(", 1);
		append_str(b, c->userattr);
		obuf_append(b, "=", 1);
		ldapesc_filter(b, user, ulen);
		obuf_append(b, ")", 2);
	}
	return filter_off;
}

bool
lb_query_name_matches(LDAP *ld, LDAPMessage *e, char **attrs, size_t nexact,
    const char *user, size_t ulen)
{
	size_t k;
	int i;

	if (nexact == 0)
		return true;
	for (k = 1; k <= nexact; k++) {
		struct berval **v = ldap_get_values_len(ld, e, attrs[k]);
		bool hit = false;

		for (i = 0; v != NULL && v[i] != NULL && !hit; i++)
			hit = v[i]->bv_len == ulen && memcmp(v[i]->bv_val, user, ulen) == 0;
		ldap_value_free_len(v);
		if (hit)
			return true;
	}
	return false;
}

int
lb_query_pick(const struct lb_conf *c, const char *realm, size_t realm_len,
    struct berval **vals, struct digest_str *secret_r)
{
	size_t dl = strlen(c->delim);
	int i;

	for (i = 0; vals != NULL && vals[i] != NULL; i++) {
		const char *v = vals[i]->bv_val;
		size_t n = vals[i]->bv_len;

		if (dl == 0) {
			*secret_r = (struct digest_str){ v, n };
			return i;
		}
		if (n >= realm_len + dl && memcmp(v, realm, realm_len) == 0 &&
		    memcmp(v + realm_len, c->delim, dl) == 0) {
			*secret_r = (struct digest_str){ v + realm_len + dl,
			    n - realm_len - dl };
			return i;
		}
	}
	return -1;
}

void
lb_query_wipe_values(struct berval **vals)
{
	int i;

	for (i = 0; vals != NULL && vals[i] != NULL; i++)
		secret_wipe(vals[i]->bv_val, vals[i]->bv_len);
	ldap_value_free_len(vals);
}
