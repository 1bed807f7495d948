/* fuzz_ldapesc.c - escaping for LDAP: whatever the user name, the filter
 * built from a -F pattern keeps the pattern's structure (parentheses,
 * wildcards and escapes come only from the pattern), and a DN value never
 * contains an unescaped separator. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldapesc.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Count structure: '(' ')' '*' outside escapes; check escapes are \HH. */
static void
structure(const char *s, size_t n, int counts[3])
{
	size_t i;

	counts[0] = counts[1] = counts[2] = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '\\') {
			if (i + 2 >= n + 0 || !strchr("0123456789abcdef", s[i + 1]) ||
			    !strchr("0123456789abcdef", s[i + 2]) || s[i + 1] == '\0' ||
			    s[i + 2] == '\0')
				abort();
			i += 2;
		} else if (s[i] == '(')
			counts[0]++;
		else if (s[i] == ')')
			counts[1]++;
		else if (s[i] == '*')
			counts[2]++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *pattern = "(&(objectClass=person)(|(uid=%s)(mail=%s)))";
	struct obuf b = { 0 }, d = { 0 };
	int want[3], got[3];
	size_t i;

	structure(pattern, strlen(pattern), want);
	ldapesc_pattern(&b, pattern, (const char *)data, size);
	structure(b.p, b.len, got);
	if (memcmp(want, got, sizeof(want)) != 0 || strlen(b.p) != b.len)
		abort();

	ldapesc_dn(&d, (const char *)data, size);
	for (i = 0; i < d.len; i++) {
		if (d.p[i] == '\\') {
			i++;		/* the escaped character, or a hex pair */
			continue;
		}
		if (strchr(",+\"<>;=", d.p[i]) != NULL && d.p[i] != '\0')
			abort();
		if (d.p[i] == '\0' || (unsigned char)d.p[i] < 0x20)
			abort();
	}
	obuf_free(&b);
	obuf_free(&d);
	return 0;
}
