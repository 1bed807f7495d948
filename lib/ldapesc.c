/* ldapesc.c - RFC 4515 filter values, RFC 4514 DN values, -F patterns. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "ldapesc.h"

static void
put_hex(struct obuf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[3] = { '\\', hex[c >> 4], hex[c & 15] };

	obuf_append(b, e, 3);
}

void
ldapesc_filter(struct obuf *b, const char *value, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 ||
		    c >= 0x7f)
			put_hex(b, c);
		else
			obuf_append(b, &value[i], 1);
	}
}

void
ldapesc_dn(struct obuf *b, const char *value, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		bool special = strchr(",+\"\\<>;=", c) != NULL && c != '\0';

		if (c < 0x20 || c == 0x7f)
			put_hex(b, c);
		else if (special || (i == 0 && (c == '#' || c == ' ')) ||
		    (i == len - 1 && c == ' ')) {
			obuf_append(b, "\\", 1);
			obuf_append(b, &value[i], 1);
		} else
			obuf_append(b, &value[i], 1);
	}
}

int
ldapesc_pattern_check(const char *pattern, const char **err_r)
{
	const char *p;
	int n = 0;

	for (p = pattern; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		if (p[1] == 's')
			n++;
		else if (p[1] != '%') {
			*err_r = "the filter may only contain %s (the user name) and %% (a percent sign)";
			return -1;
		}
		p++;
	}
	return n;
}

void
ldapesc_pattern(struct obuf *b, const char *pattern, const char *value,
    size_t len)
{
	const char *p = pattern, *pct;

	while ((pct = strchr(p, '%')) != NULL) {
		obuf_append(b, p, (size_t)(pct - p));
		if (pct[1] == 's')
			ldapesc_filter(b, value, len);
		else
			obuf_append(b, "%", 1);
		p = pct + 2;
	}
	obuf_append(b, p, strlen(p));
	obuf_append(b, "", 1);
	b->len--;
}
