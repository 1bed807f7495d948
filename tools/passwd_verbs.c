/* passwd_verbs.c - the verbs every database store of digest_passwd runs
 * the same way: the dispatch from the verb to the store's function, and
 * -v, which looks the user up, then asks for the password and compares.
 * A store (passwd_sqlite.c, passwd_pgsql.c) gives its functions in a
 * struct passwd_store_ops.  The group verbs' outcomes and the listing of
 * groups are said here too, the same for both.
 */
#include "config.h"

#include <stdio.h>

#include "log.h"
#include "passwd.h"
#include "secret.h"

/* -v: the stored HA1, then the password; the store is closed before the
 * password is asked for, so no transaction waits on a person typing. */
static int
verify(const struct passwd_store_ops *ops, const struct passwd_req *req)
{
	char want[PASSWD_HA1_SIZE];
	bool enabled = true;
	int found, rc;

	found = ops->lookup(req, want, &enabled);
	if (found == 0)
		passwd_not_found(req);
	if (found <= 0)
		return PASSWD_EXIT_FAIL;
	rc = passwd_verify_ha1(req, want, enabled);
	secret_wipe(want, sizeof(want));
	return rc;
}

int
passwd_store_run(const struct passwd_store_ops *ops,
    const struct passwd_req *req)
{
	switch (req->verb) {
	case PASSWD_INIT:
		return ops->init(req);
	case PASSWD_SET:
		return ops->set(req);
	case PASSWD_DELETE:
	case PASSWD_DISABLE:
	case PASSWD_ENABLE:
		return ops->change(req);
	case PASSWD_VERIFY:
		return verify(ops, req);
	case PASSWD_LIST:
		return ops->list(req);
	case PASSWD_IMPORT:
		return ops->import(req);
	case PASSWD_GROUP_ADD:
	case PASSWD_GROUP_DEL:
		return ops->group(req);
	}
	return PASSWD_EXIT_FAIL;
}

void
passwd_not_found(const struct passwd_req *req)
{
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];

	log_error("user %s not found in realm %s", passwd_show(req->user, su),
	    passwd_show(req->realm, sr));
}

int
passwd_group_check(const struct passwd_req *req, int n)
{
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE], sg[PASSWD_SHOW_SIZE];

	if (n != 0 || req->verb == PASSWD_GROUP_ADD)
		return 0;
	log_error("user %s in realm %s is not in group %s",
	    passwd_show(req->user, su), passwd_show(req->realm, sr),
	    passwd_show(req->group, sg));
	return -1;
}

void
passwd_group_report(const struct passwd_req *req, int n)
{
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE], sg[PASSWD_SHOW_SIZE];
	bool add = req->verb == PASSWD_GROUP_ADD;

	passwd_show(req->user, su);
	passwd_show(req->realm, sr);
	passwd_show(req->group, sg);
	if (n == 0)
		log_info("user %s in realm %s is already in group %s", su, sr, sg);
	else
		log_info("%s user %s in realm %s %s group %s", add ? "added" :
		    "removed", su, sr, add ? "to" : "from", sg);
}

void
passwd_print_group(const char *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)g[i];

		if (c < 0x20 || c == 0x7f || c == ',' || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}
