/* passwd_verbs.c - the verbs every database store of digest_passwd runs
 * the same way: the dispatch from the verb to the store's function, and
 * -v, which looks the user up, then asks for the password and compares.
 * A store (passwd_sqlite.c, passwd_pgsql.c) gives its functions in a
 * struct passwd_store_ops.
 */
#include "config.h"

#include "log.h"
#include "passwd.h"
#include "secret.h"

/* -v: the stored HA1, then the password; the store is closed before the
 * password is asked for, so no transaction waits on a person typing. */
static int
verify(const struct passwd_store_ops *ops, const struct passwd_req *req)
{
	char want[PASSWD_HA1_SIZE];
	char su[PASSWD_SHOW_SIZE], sr[PASSWD_SHOW_SIZE];
	bool enabled = true;
	int found, rc;

	found = ops->lookup(req, want, &enabled);
	if (found == 0)
		log_error("user %s not found in realm %s", passwd_show(req->user, su),
		    passwd_show(req->realm, sr));
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
