/* test_ldapesc.c - RFC 4515 filter values, RFC 4514 DN values, -F patterns. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ldapesc.h"
#include "proto.h"
#include "tap.h"

static const char *
filt(const char *v, size_t n)
{
	static struct obuf b;

	b.len = 0;
	ldapesc_filter(&b, v, n);
	obuf_append(&b, "", 1);
	return b.p;
}

static const char *
dn(const char *v, size_t n)
{
	static struct obuf b;

	b.len = 0;
	ldapesc_dn(&b, v, n);
	obuf_append(&b, "", 1);
	return b.p;
}

static const char *
pat(const char *p, const char *v)
{
	static struct obuf b;

	b.len = 0;
	ldapesc_pattern(&b, p, v, strlen(v));
	return b.p;
}

/* A filter value is safe when it holds none of the characters that give
 * a filter its structure, and every backslash starts two hex digits. */
static int
filter_safe(const char *s)
{
	for (; *s; s++) {
		if (*s == '(' || *s == ')' || *s == '*')
			return 0;
		if (*s == '\\') {
			if (!strchr("0123456789abcdef", s[1]) || !s[1] ||
			    !strchr("0123456789abcdef", s[2]) || !s[2])
				return 0;
			s += 2;
		}
	}
	return 1;
}

int
main(void)
{
	const char *err = NULL;
	int i, unsafe = 0;

	is_str(filt("alice", 5), "alice", "filter: plain value unchanged");
	is_str(filt("*", 1), "\\2a", "filter: * escaped");
	is_str(filt("*)(uid=*", 8), "\\2a\\29\\28uid=\\2a", "filter: injection escaped");
	is_str(filt("a\\b", 3), "a\\5cb", "filter: backslash escaped");
	is_str(filt("\\2a", 3), "\\5c2a", "filter: an escape sequence in the input stays literal");
	is_str(filt("a\0b", 3), "a\\00b", "filter: NUL escaped");
	is_str(filt("z\xc3\xab" "e", 4), "z\\c3\\abe", "filter: UTF-8 bytes escaped as octets");
	is_str(filt("a b=c,d", 7), "a b=c,d", "filter: '=', ',' and space need no escape");

	is_str(dn("alice", 5), "alice", "dn: plain value unchanged");
	is_str(dn("a,b+c", 5), "a\\,b\\+c", "dn: ',' and '+' escaped");
	is_str(dn("\"<>;=\\", 6), "\\\"\\<\\>\\;\\=\\\\", "dn: specials escaped");
	is_str(dn("#x", 2), "\\#x", "dn: leading '#' escaped");
	is_str(dn(" x ", 3), "\\ x\\ ", "dn: leading and trailing space escaped");
	is_str(dn("x#y z", 5), "x#y z", "dn: inner '#' and space kept");
	is_str(dn("a\0b\n", 4), "a\\00b\\0a", "dn: NUL and control bytes as hex");

	ok(ldapesc_pattern_check("(uid=%s)", &err) == 1, "pattern: one %%s");
	ok(ldapesc_pattern_check("(|(uid=%s)(mail=%s))", &err) == 2, "pattern: two %%s");
	ok(ldapesc_pattern_check("(uid=x)", &err) == 0, "pattern: no %%s counted as 0");
	ok(ldapesc_pattern_check("(uid=%d)", &err) == -1 && err != NULL, "pattern: %%d refused");
	ok(ldapesc_pattern_check("(uid=%s)%", &err) == -1, "pattern: trailing %% refused");
	ok(ldapesc_pattern_check("(uid=%n%s)", &err) == -1, "pattern: %%n refused");
	is_str(pat("(|(uid=%s)(mail=%s@x))", "a*"), "(|(uid=a\\2a)(mail=a\\2a@x))",
	    "pattern: every %%s replaced, escaped");
	is_str(pat("(cn=100%%%s)", "u"), "(cn=100%u)", "pattern: %%%% is a percent sign");

	/* Every byte value, and random strings: never unsafe. */
	srand(4515);
	for (i = 0; i < 2000; i++) {
		char v[64];
		size_t n = (size_t)(rand() % 64), k;

		for (k = 0; k < n; k++)
			v[k] = (char)(rand() % 256);
		if (!filter_safe(filt(v, n)))
			unsafe++;
	}
	for (i = 0; i < 256; i++) {
		char c = (char)i;

		if (!filter_safe(filt(&c, 1)))
			unsafe++;
	}
	ok(unsafe == 0, "2256 random and single-byte values: filter structure never changed (%d bad)", unsafe);
	return done_testing();
}
