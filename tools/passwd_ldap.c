/* passwd_ldap.c - digest_passwd --ldap: add or change, -D and -v on the
 * user's entry, found as digest_ldap_auth finds it (digest_passwd(1)).
 *
 * The password attribute (-A) holds one value per realm, REALM<delim>
 * SECRET (-l, default ':'), or with -l '' the secret alone for the -r
 * realm.  A change is one modify operation: delete this realm's values
 * as they were read, add the new one.  The server applies it whole or not
 * at all, and it fails (noSuchAttribute) when another admin changed the
 * realm's value since we read it; then, after a short random wait, the
 * entry is read again and the change tried again.  Other realms' values are never part of it, so
 * changes of different realms never undo each other.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "passwd_ldap.h"
#include "passwd_ldap_int.h"
#include "secret.h"

/* The values of -A that are req's realm's (with -l '': all of them), as
 * a NULL-terminated array pointing into vals; NULL when there are none. */
static struct berval **
realm_values(const struct ldpw *l, const struct passwd_req *req,
    struct berval **vals)
{
	size_t dl = strlen(l->c->delim), rl = strlen(req->realm), n = 0;
	struct berval **out;
	int i;

	for (i = 0; vals != NULL && vals[i] != NULL; i++)
		;
	out = xcalloc((size_t)i + 1, sizeof(*out));
	for (i = 0; vals != NULL && vals[i] != NULL; i++) {
		const struct berval *v = vals[i];

		if (dl == 0 || (v->bv_len >= rl + dl &&
		    memcmp(v->bv_val, req->realm, rl) == 0 &&
		    memcmp(v->bv_val + rl, l->c->delim, dl) == 0))
			out[n++] = vals[i];
	}
	if (n == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* One modify of the entry: the realm's old values out, newval (NULL: none,
 * for -D) in.  With -l '' the attribute is replaced or deleted whole. */
static int
modify(struct ldpw *l, const struct ldpw_entry *e, struct berval **old,
    struct berval *newval)
{
	struct berval *addv[2] = { newval, NULL };
	LDAPMod del = { .mod_op = LDAP_MOD_DELETE | LDAP_MOD_BVALUES,
	    .mod_type = (char *)l->c->passattr, .mod_bvalues = old };
	LDAPMod add = { .mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES,
	    .mod_type = (char *)l->c->passattr, .mod_bvalues = addv };
	LDAPMod *mods[3] = { NULL, NULL, NULL };
	size_t n = 0;

	if (*l->c->delim == '\0') {
		del.mod_bvalues = NULL;		/* the whole attribute */
		add.mod_op = LDAP_MOD_REPLACE | LDAP_MOD_BVALUES;
		mods[n++] = newval != NULL ? &add : &del;
	} else {
		if (old != NULL)
			mods[n++] = &del;
		if (newval != NULL)
			mods[n++] = &add;
	}
	return ldap_modify_ext_s(l->ld, e->dn, mods, NULL, NULL);
}

/* How many of vals' values are the realm's (realm_values). */
static size_t
count_values(struct berval **v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

/* After the tries-th lost race for the same realm: wait a random 1 ms to
 * 2^(tries+2) ms (at most 100), so that admins changing it at once do
 * not read and collide again in step. */
static void
back_off(int tries)
{
	unsigned r = 0, cap = tries < 5 ? 4u << tries : 100;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (unsigned)clock();
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(1 + r % cap) * 1000000L;
	nanosleep(&ts, NULL);
}

/* Read the entry (as the reader, as the helper would find it) and change
 * it (as the writer).  Tried again when another admin's change of the
 * same realm got in between, and after a change while the realm still
 * has more than one value: two admins adding a realm's first value at
 * once both succeed, and the one reading it again last leaves one value,
 * its own.  0 done, 1 nothing to delete, -1 an error (logged), 2 the
 * server refused the modify (the result code in *rc_r). */
static int
change_entry(struct ldpw *l, const struct passwd_req *req,
    struct berval *newval, int *rc_r)
{
	struct ldpw_entry e;
	struct berval **old;
	int tries, r = 2;

	for (tries = 0; tries < LDPW_RETRIES; tries++) {
		if (ldpw_bind(l, &l->reader) != 0 || ldpw_find(l, req, &e) <= 0)
			return -1;
		old = realm_values(l, req, e.vals);
		if (r == 0 && (newval == NULL || count_values(old) <= 1)) {
			free(old);	/* the change is done and stands alone */
			ldpw_entry_free(&e);
			return 0;
		}
		if (newval == NULL && old == NULL) {
			ldpw_entry_free(&e);
			return 1;
		}
		if (ldpw_bind(l, &l->writer) != 0) {
			free(old);
			ldpw_entry_free(&e);
			return -1;
		}
		*rc_r = modify(l, &e, old, newval);
		free(old);
		ldpw_entry_free(&e);
		if (*rc_r == LDAP_SUCCESS)
			r = 0;
		else if (*rc_r != LDAP_NO_SUCH_ATTRIBUTE &&
		    *rc_r != LDAP_TYPE_OR_VALUE_EXISTS)
			return 2;
		else {
			log_debug("the entry changed under us; reading it again");
			back_off(tries);
		}
	}
	return r;
}

/* Change the user on the first server that takes writes: a replica
 * answers with a referral or unwillingToPerform, and the next server of
 * the list is tried. */
static int
change(struct ldpw *l, const struct passwd_req *req, struct berval *newval)
{
	char what[PASSWD_SHOW_SIZE + 1100], su[PASSWD_SHOW_SIZE];
	unsigned i;
	int r = -1, rc = LDAP_OTHER;

	for (i = 0; i < l->nuri; i++) {
		if (ldpw_connect(l, i) < 0)
			continue;
		r = change_entry(l, req, newval, &rc);
		if (r != 2 || (rc != LDAP_REFERRAL &&
		    rc != LDAP_UNWILLING_TO_PERFORM) || i + 1 == l->nuri)
			break;
		log_info("%s does not take writes (%s); trying %s", l->uri[i],
		    ldap_err2string(rc), l->uri[i + 1]);
		ldpw_disconnect(l);
	}
	if (r == 2 && l->ld != NULL) {
		snprintf(what, sizeof(what), "LDAP modify of user %s on %s",
		    passwd_show(req->user, su), l->uri[l->cur]);
		ldpw_error(l, what, rc);
	}
	ldpw_disconnect(l);
	return r;
}

/* The value to store: REALM<delim>SECRET, or the secret alone (-l ''),
 * SECRET being the HA1 (-e) or, with --plaintext, the password. */
static int
new_value(const struct ldpw *l, const struct passwd_req *req, struct obuf *b)
{
	char ha1[PASSWD_HA1_SIZE], *pw = NULL;
	size_t n = 0;

	if (!l->c->ha1 && !req->plaintext) {
		log_error("the helper reads plaintext passwords from %s (no -e in its arguments); writing one needs --plaintext",
		    l->c->passattr);
		return -1;
	}
	if (l->c->ha1 && req->plaintext) {
		log_error("--plaintext: the helper reads HA1s (-e), not passwords");
		return -1;
	}
	if (*l->c->delim != '\0') {
		obuf_append(b, req->realm, strlen(req->realm));
		obuf_append(b, l->c->delim, strlen(l->c->delim));
	}
	if (l->c->ha1) {
		if (passwd_get_ha1(req, true, ha1) < 0)
			return -1;
		obuf_append(b, ha1, 32);
		secret_wipe(ha1, sizeof(ha1));
		return 0;
	}
	if (passwd_get_password(req, true, &pw, &n) < 0)
		return -1;
	obuf_append(b, pw, n);
	passwd_free_password(pw);
	return 0;
}

static int
ldpw_set(struct ldpw *l, const struct passwd_req *req)
{
	struct obuf b = { 0 };
	struct berval v;
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	int r = -1;

	if (new_value(l, req, &b) == 0) {
		v = (struct berval){ .bv_len = b.len, .bv_val = b.p };
		r = change(l, req, &v);
	}
	secret_wipe(b.p, b.cap);
	obuf_free(&b);
	if (r != 0)
		return PASSWD_EXIT_FAIL;
	log_info("set the password of user %s in realm %s",
	    passwd_show(req->user, su), passwd_show(req->realm, sr));
	return PASSWD_EXIT_OK;
}

static int
ldpw_delete(struct ldpw *l, const struct passwd_req *req)
{
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	int r = change(l, req, NULL);

	passwd_show(req->user, su);
	passwd_show(req->realm, sr);
	if (r == 1)
		log_error("user %s has no password for realm %s", su, sr);
	if (r != 0)
		return PASSWD_EXIT_FAIL;
	log_info("deleted the password of user %s in realm %s", su, sr);
	return PASSWD_EXIT_OK;
}

/* The HA1 the helper would answer with for the stored secret. */
static int
stored_ha1(const struct ldpw *l, const struct passwd_req *req,
    struct digest_str secret, char *want)
{
	const struct digest_alg *md5 = digest_alg_md5();

	if (!l->c->ha1)
		return digest_ha1(md5, digest_str_c(req->user), digest_str_c(req->realm),
		    secret, DIGEST_STR(""), DIGEST_STR(""), want);
	if (!digest_is_hex(md5, secret.p, secret.n)) {
		log_error("the stored value of %s is not a 32-digit HA1",
		    l->c->passattr);
		return -1;
	}
	digest_hex_lower(secret.p, secret.n, want);
	return 0;
}

static int
ldpw_verify(struct ldpw *l, const struct passwd_req *req)
{
	char want[PASSWD_HA1_SIZE], su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	struct ldpw_entry e;
	struct digest_str secret;
	int rc = PASSWD_EXIT_FAIL;

	if (ldpw_connect_any(l) < 0 || ldpw_find(l, req, &e) <= 0)
		return PASSWD_EXIT_FAIL;
	if (lb_query_pick(l->c, req->realm, strlen(req->realm), e.vals,
	    &secret) < 0)
		log_error("user %s has no password for realm %s",
		    passwd_show(req->user, su), passwd_show(req->realm, sr));
	else if (stored_ha1(l, req, secret, want) == 0)
		rc = passwd_verify_ha1(req, want, true);
	ldpw_entry_free(&e);
	secret_wipe(want, sizeof(want));
	return rc;
}

int
passwd_ldap_run(const struct passwd_req *req)
{
	struct ldpw l;
	int rc = PASSWD_EXIT_FAIL;

	if (ldpw_setup(&l, req) == 0) {
		switch (req->verb) {
		case PASSWD_SET: rc = ldpw_set(&l, req); break;
		case PASSWD_DELETE: rc = ldpw_delete(&l, req); break;
		case PASSWD_VERIFY: rc = ldpw_verify(&l, req); break;
		case PASSWD_LIST: rc = ldpw_list(&l, req); break;
		default:
			log_error("this action is not available with --ldap");
			break;
		}
	}
	ldpw_close(&l);
	return rc;
}
