/* ldapesc.h - escaping values for LDAP filters (RFC 4515) and DNs
 * (RFC 4514), and the -F filter pattern of digest_ldap_auth.
 *
 * Pure string functions: no libldap needed, so they are unit-tested and
 * fuzzed on every build.
 */
#ifndef DH_LDAPESC_H
#define DH_LDAPESC_H

#include <stddef.h>

#include "obuf.h"

/* Append value as an RFC 4515 assertion value: '*', '(', ')', '\\', NUL,
 * control bytes and every byte >= 0x7f become \HH, so the value can never
 * change the filter's structure or act as a wildcard. */
void ldapesc_filter(struct obuf *b, const char *value, size_t len);

/* Append value as an RFC 4514 attribute value: ',', '+', '"', '\\', '<',
 * '>', ';', '=', a leading '#' or space, a trailing space, NUL and control
 * bytes are escaped. */
void ldapesc_dn(struct obuf *b, const char *value, size_t len);

/* Check a -F pattern: "%s" stands for the (escaped) user name, "%%" for
 * '%'; anything else after '%' is refused.  Returns the number of "%s"
 * (>= 1 required by the caller), or -1 with *err_r set. */
int ldapesc_pattern_check(const char *pattern, const char **err_r);

/* Append pattern with every "%s" replaced by the filter-escaped value and
 * "%%" by '%'.  The pattern must have passed ldapesc_pattern_check().
 * NUL-terminates the buffer (the NUL is not counted in b->len). */
void ldapesc_pattern(struct obuf *b, const char *pattern, const char *value,
    size_t len);

#endif
