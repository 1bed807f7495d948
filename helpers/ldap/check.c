/* check.c - the checks on the options at start-up: what is required, the
 * -F and --group-filter patterns, and the options that must, or must not,
 * go together.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* Check a --group-filter pattern: "%D", "%s" and "%%" only.  Returns how
 * many of %D and %s it holds, or -1 with *err_r set. */
static int
group_pattern_check(const char *p, const char **err_r)
{
	int n = 0;

	for (; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == 'D' || *p == 's') {
			n++;
		} else if (*p != '%') {
			*err_r = "the filter may only contain %D (the user's DN), %s (the user name) and %% (a percent sign)";
			return -1;
		}
	}
	return n;
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

/* An attribute description: a name or an OID, options after ';'. */
static bool
attr_ok(const char *a)
{
	size_t i;

	for (i = 0; a[i] != '\0'; i++)
		if (!isalnum((unsigned char)a[i]) && a[i] != '-' && a[i] != '.' &&
		    a[i] != ';')
			return false;
	return i > 0;
}

static bool
same_attr(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

static int
check_group_filter(const char *filter, char *err_r, size_t errlen)
{
	const char *why = NULL;

	if (group_pattern_check(filter, &why) < 1) {
		snprintf(err_r, errlen, "--group-filter: %s", why != NULL ? why :
		    "the filter must contain %D (the user's DN) or %s (the user name)");
		return -1;
	}
	if (!filter_balanced(filter)) {
		snprintf(err_r, errlen, "--group-filter: the filter must be one parenthesised LDAP filter, e.g. (member=%%D)");
		return -1;
	}
	return 0;
}

/* -G, or the group search, and what goes with them. */
static int
check_groups(const struct lb_conf *c, char *err_r, size_t errlen)
{
	const char *why = NULL;

	if (c->memberof != NULL && c->group_filter != NULL)
		why = "give -G or --group-filter, not both (see --help)";
	else if ((c->group_base == NULL) != (c->group_filter == NULL))
		why = "--group-base and --group-filter go together (see --help)";
	else if (c->group_base != NULL && *c->group_base == '\0')
		why = "--group-base needs a DN";
	else if (c->group_rdn && c->memberof == NULL)
		why = "--group-rdn needs -G";
	else if (c->group_attr != NULL && c->group_filter == NULL)
		why = "--group-attr needs --group-filter";
	else if (c->memberof != NULL && !attr_ok(c->memberof))
		why = "-G: not an attribute name";
	else if (c->group_attr != NULL && !attr_ok(c->group_attr))
		why = "--group-attr: not an attribute name";
	else if (same_attr(c->memberof, c->passattr) ||
	    same_attr(c->group_attr, c->passattr))
		why = "the group attribute must not be the password attribute (-A)";
	if (why != NULL) {
		snprintf(err_r, errlen, "%s", why);
		return -1;
	}
	if (c->group_filter != NULL)
		return check_group_filter(c->group_filter, err_r, errlen);
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
	if (check_groups(c, err_r, errlen) < 0)
		return -1;
	if (c->binddn != NULL && c->secret == NULL)
		log_warn("-D without -W: binding as %s with an empty password", c->binddn);
	return 0;
}
