/* passwd_ldap_list.c - digest_passwd --ldap -l [REALM]: the users that
 * hold a value of the password attribute, as user:realm lines (never a
 * secret).  The search is the helper's with the user name a wildcard;
 * entries come in pages (the paged results control), so a directory's
 * size limit does not cut the list short.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "log.h"
#include "passwd_ldap_int.h"

#define LDPW_PAGE_SIZE 500

static void
append_str(struct obuf *b, const char *s)
{
	obuf_append(b, s, strlen(s));
}

/* The base, then (&FILTER(ATTR=*)) with every %s of -F a wildcard, into
 * l->scratch.  Returns where the filter starts; *scope_r the scope. */
static size_t
list_search(struct ldpw *l, int *scope_r)
{
	const struct lb_conf *c = l->c;
	struct obuf *b = &l->scratch;
	const char *p;
	size_t foff;

	b->len = 0;
	append_str(b, c->basedn);
	obuf_append(b, "", 1);
	foff = b->len;
	/* -u ATTR -s base reads ATTR=USER,BASEDN: the entries below BASEDN */
	*scope_r = c->userattr != NULL && c->scope == LDAP_SCOPE_BASE ?
	    LDAP_SCOPE_ONELEVEL : c->scope;
	append_str(b, "(&");
	if (c->filter == NULL) {
		obuf_append(b, "(", 1);
		append_str(b, c->userattr);
		append_str(b, "=*)");
	} else {
		for (p = c->filter; *p != '\0'; p++) {
			if (p[0] == '%' && p[1] == 's') {
				/* one wildcard, never "**" (not a filter) */
				if (b->len == 0 || b->p[b->len - 1] != '*')
					obuf_append(b, "*", 1);
				p++;
			} else if (p[0] == '*' && b->len > 0 && b->p[b->len - 1] == '*')
				;	/* "a*%s" or "%s*": one wildcard */
			else if (p[0] == '%' && p[1] == '%')
				obuf_append(b, "%", 1), p++;
			else
				obuf_append(b, p, 1);
		}
	}
	obuf_append(b, "(", 1);
	append_str(b, c->passattr);
	append_str(b, "=*))");
	obuf_append(b, "", 1);
	return foff;
}

/* Print user:realm for each of v's realms (only want's, when given). */
static void
print_entry(const struct ldpw *l, struct berval *user, struct berval **v,
    const char *want)
{
	const char *d = l->c->delim, *r;
	size_t dl = strlen(d), rl;
	int i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (dl == 0) {
			r = l->c->realm;
			rl = strlen(r);
		} else {
			r = v[i]->bv_val;
			rl = 0;
			while (rl + dl <= v[i]->bv_len && memcmp(r + rl, d, dl) != 0)
				rl++;
			if (rl + dl > v[i]->bv_len)
				continue;	/* not REALM<delim>SECRET */
		}
		if (want != NULL && (rl != strlen(want) || memcmp(r, want, rl) != 0))
			continue;
		passwd_print_name(stdout, user->bv_val, user->bv_len);
		putchar(':');
		passwd_print_name(stdout, r, rl);
		putchar('\n');
	}
}

static void
print_page(struct ldpw *l, LDAPMessage *res, const char *want)
{
	LDAPMessage *e;

	for (e = ldap_first_entry(l->ld, res); e != NULL;
	    e = ldap_next_entry(l->ld, e)) {
		struct berval **names = ldap_get_values_len(l->ld, e, l->attrs[1]);
		struct berval **v = ldap_get_values_len(l->ld, e, l->c->passattr);

		if (names != NULL && names[0] != NULL)
			print_entry(l, names[0], v, want);
		ldap_value_free_len(names);
		lb_query_wipe_values(v);
	}
}

/* The cookie of the next page from res's controls; false at the end. */
static bool
next_cookie(struct ldpw *l, LDAPMessage *res, struct berval *cookie)
{
	LDAPControl **ctrls = NULL, *pc;
	ber_int_t count;
	int err;

	ber_memfree(cookie->bv_val);
	*cookie = (struct berval){ 0, NULL };
	if (ldap_parse_result(l->ld, res, &err, NULL, NULL, NULL, &ctrls, 0) !=
	    LDAP_SUCCESS)
		return false;
	pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
	if (pc == NULL || ldap_parse_pageresponse_control(l->ld, pc, &count,
	    cookie) != LDAP_SUCCESS)
		*cookie = (struct berval){ 0, NULL };
	ldap_controls_free(ctrls);
	return cookie->bv_len > 0;
}

/* One page of the list: 1 more to come, 0 done, -1 an error (logged). */
static int
list_page(struct ldpw *l, size_t foff, int scope, const char *want,
    struct berval *cookie)
{
	struct timeval tv = { .tv_sec = lb_search_wait_s(l->c) };
	LDAPControl *pc = NULL, *ctrls[2] = { NULL, NULL };
	LDAPMessage *res = NULL;
	char *attrs[3] = { l->attrs[0], l->attrs[1], NULL };
	int rc, more = 0;

	rc = ldap_create_page_control(l->ld, LDPW_PAGE_SIZE, cookie, 0, &pc);
	if (rc != LDAP_SUCCESS) {
		ldpw_error(l, "LDAP paged search", rc);
		return -1;
	}
	ctrls[0] = pc;
	rc = ldap_search_ext_s(l->ld, l->scratch.p, scope, l->scratch.p + foff,
	    attrs, 0, ctrls, NULL, &tv, 0, &res);
	ldap_control_free(pc);
	if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) {
		print_page(l, res, want);
		more = next_cookie(l, res, cookie) ? 1 : 0;
		if (rc == LDAP_SIZELIMIT_EXCEEDED && more == 0) {
			log_error("the directory's size limit cut the list short");
			more = -1;
		}
	} else {
		ldpw_error(l, "LDAP search for the users", rc);
		more = -1;
	}
	ldap_msgfree(res);
	return more;
}

int
ldpw_list(struct ldpw *l, const struct passwd_req *req)
{
	struct berval cookie = { 0, NULL };
	size_t foff;
	int scope, r;

	if (l->nexact == 0) {
		log_error("-l needs the helper's -u ATTR, or a -F filter with (ATTR=%%s): nothing else names the user");
		return PASSWD_EXIT_FAIL;
	}
	if (ldpw_connect_any(l) < 0)
		return PASSWD_EXIT_FAIL;
	foff = list_search(l, &scope);
	while ((r = list_page(l, foff, scope, req->realm, &cookie)) == 1)
		;
	ber_memfree(cookie.bv_val);
	return r == 0 ? PASSWD_EXIT_OK : PASSWD_EXIT_FAIL;
}
