/* check.c - the checks on the options at start-up: what is required, the
 * -F pattern, and the options that must, or must not, go together.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ldap_int.h"
#include "ldapesc.h"
#include "log.h"

/* -F: one parenthesised filter with balanced parentheses (outside
 * escapes).  The server would otherwise refuse every search. */
static bool
filter_balanced(const char *f)
{
	int depth = 0;
	size_t n = strlen(f), i;

	if (n < 2 || f[0] != '(' || f[n - 1] != ')')
		return false;
	for (i = 0; i < n; i++) {
		if (f[i] == '\\' && i + 1 < n)
			i++;
		else if (f[i] == '(')
			depth++;
		else if (f[i] == ')' && --depth == 0 && i != n - 1)
			return false;
		if (depth < 0)
			return false;
	}
	return depth == 0;
}

static int
check_filter(const char *filter, char *err_r, size_t errlen)
{
	const char *why = NULL;

	if (ldapesc_pattern_check(filter, &why) < 1) {
		snprintf(err_r, errlen, "-F: %s", why != NULL ? why :
		    "the filter must contain %s, the user name");
		return -1;
	}
	if (!filter_balanced(filter)) {
		snprintf(err_r, errlen, "-F: the filter must be one parenthesised LDAP filter, e.g. (uid=%%s)");
		return -1;
	}
	return 0;
}

/* The options that must, or must not, go together.  0, or -1 with the
 * start-up error in err_r. */
int
lb_conf_check(const struct lb_conf *c, char *err_r, size_t errlen)
{
	if (c->basedn == NULL || c->passattr == NULL) {
		snprintf(err_r, errlen, "-b basedn and -A password-attribute are required (see --help)");
		return -1;
	}
	if ((c->filter == NULL) == (c->userattr == NULL)) {
		snprintf(err_r, errlen, "give exactly one of -F filter and -u attribute (see --help)");
		return -1;
	}
	if (c->filter != NULL && check_filter(c->filter, err_r, errlen) < 0)
		return -1;
	if (*c->delim == '\0' && c->realm == NULL) {
		snprintf(err_r, errlen, "with an empty delimiter (-l '') the realm must be given with -r");
		return -1;
	}
	if (c->tls && c->version != LDAP_VERSION3) {
		snprintf(err_r, errlen, "StartTLS (-Z) needs LDAP version 3");
		return -1;
	}
	if (c->binddn != NULL && c->secret == NULL)
		log_warn("-D without -W: binding as %s with an empty password", c->binddn);
	return 0;
}
