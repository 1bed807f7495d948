/* conf.c - the options of digest_pgsql_auth: those every SQL-server store
 * takes (helpers/sql/conf.c), with the PostgreSQL defaults.  How they fit
 * together (--plaintext needs -q) is checked by init.
 */
#include "config.h"

#include <stdlib.h>

#include "pgsql_int.h"
#include "secret.h"

void *
pb_conf_new(void)
{
	struct sql_conf *c = xcalloc(1, sizeof(*c));

	sql_conf_init(c, PB_DEFAULT_INFLIGHT);
	return c;
}

void
pb_conf_free(void *conf)
{
	struct sql_conf *c = conf;

	if (c == NULL)
		return;
	sql_conf_clear(c);
	free(c);
}

int
pb_option(void *conf, int opt, const char *arg, const char **err_r)
{
	int rc = sql_option(conf, opt, arg, err_r);

	if (rc > 0) {
		*err_r = "unknown option";
		return -1;
	}
	return rc;
}
