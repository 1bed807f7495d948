/* test_htdigest.c - the password-file parser (digest_file_auth(8)). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "htdigest.h"
#include "secret.h"
#include "tap.h"

static struct htdigest_table *
load_n(const char *text, size_t len, bool ha1, struct htdigest_stats *st)
{
	return htdigest_parse(xmemdup0(text, len), len, ha1, "test", st);
}

#define load(text, ha1, st) load_n(text, sizeof(text) - 1, ha1, st)

static const char *
get(struct htdigest_table *t, const char *user, const char *realm, char kind_r[2])
{
	static char out[256];
	struct htdigest_value v;

	if (!htdigest_lookup(t, user, strlen(user), realm, strlen(realm), &v))
		return "(none)";
	memcpy(out, v.p, v.n);
	out[v.n] = '\0';
	kind_r[0] = v.kind == HTDIGEST_HA1 ? 'H' : 'P';
	kind_r[1] = '\0';
	return out;
}

/* foreach callbacks: count entries, checking users u0, u1, ... in order */
struct order {
	size_t n;
	size_t bad;
};

static void
count_order(const char *user, size_t ulen, const char *realm, size_t rlen,
    void *ctx)
{
	struct order *o = ctx;
	char want[32];

	(void)realm;
	(void)rlen;
	snprintf(want, sizeof(want), "u%zu", o->n);
	if (ulen != strlen(want) || memcmp(user, want, ulen) != 0)
		o->bad++;
	o->n++;
}

static char listed[256];

static void
list_into(const char *user, size_t ulen, const char *realm, size_t rlen,
    void *ctx)
{
	size_t l = strlen(listed);

	(void)ctx;
	snprintf(listed + l, sizeof(listed) - l, "%.*s:%.*s ", (int)ulen, user,
	    realm != NULL ? (int)rlen : 1, realm != NULL ? realm : "*");
}

/* htdigest_parse_line of text, as "user|realm|value|kind|bad" (realm "-"
 * when there is none), or "skip" for a line readers skip silently */
static const char *
split(const char *text, size_t len, bool ha1)
{
	static char out[256];
	struct htdigest_line l;

	if (!htdigest_parse_line(text, len, ha1, &l))
		return "skip";
	snprintf(out, sizeof(out), "%.*s|%.*s|%.*s|%c|%#x", (int)l.user_len, l.user,
	    l.realm != NULL ? (int)l.realm_len : 1, l.realm != NULL ? l.realm : "-",
	    (int)l.value_len, l.value, l.kind == HTDIGEST_HA1 ? 'H' : 'P', l.bad);
	return out;
}

#define SPLIT(text, ha1) split(text, sizeof(text) - 1, ha1)
#define HEX "0123456789abcdef0123456789ABCDEF"

static void
test_parse_line(void)
{
	char *longuser = xmalloc(HTDIGEST_FIELD_MAX + 8);
	struct htdigest_line l;

	is_str(SPLIT("", false), "skip", "line: blank skipped");
	is_str(SPLIT("\r", false), "skip", "line: a lone CR is blank");
	is_str(SPLIT("# a:b:c", false), "skip", "line: comment skipped");
	is_str(SPLIT(" a:b", false), "skip", "line: space-indented skipped");
	is_str(SPLIT("\ta:b", false), "skip", "line: tab-indented skipped");
	is_str(SPLIT("a:pw", false), "a|-|pw|P|0", "line: user:password");
	is_str(SPLIT("a:R:p:w\r", false), "a|R|p:w|P|0", "line: user:realm:password, CR dropped");
	is_str(SPLIT("a:R:" HEX, true), "a|R|" HEX "|H|0", "line: HA1 with ha1_mode");
	is_str(SPLIT("a:R:{HHA1}" HEX, false), "a|R|" HEX "|H|0", "line: {HHA1} prefix dropped");
	is_str(SPLIT("a:{HHA1}" HEX, true), "a|-|" HEX "|H|0", "line: realm-less {HHA1}");
	is_str(SPLIT("nocolon", false), "nocolon|-||P|0x2", "line: no colon");
	is_str(SPLIT(":R:pw", false), "|R|pw|P|0x4", "line: empty user");
	is_str(SPLIT("a::pw", false), "a||pw|P|0x10", "line: empty realm");
	is_str(SPLIT("a:R:", false), "a|R||P|0x20", "line: empty password");
	is_str(SPLIT("a:R:abc", true), "a|R|abc|H|0x40", "line: short HA1");
	is_str(SPLIT("a:R:{HHA1}", false), "a|R||H|0x40", "line: {HHA1} and nothing");
	is_str(SPLIT("a:R:pw", true), "a|R|pw|H|0x40", "line: plaintext with ha1_mode");
	is_str(SPLIT("a:R:p\0w", false), "a|R|p|P|0x1", "line: NUL byte");
	is_str(SPLIT("::", true), "|||H|0x74", "line: every problem of ::, with ha1_mode");
	memset(longuser, 'u', HTDIGEST_FIELD_MAX + 1);
	memcpy(longuser + HTDIGEST_FIELD_MAX + 1, ":pw", 3);
	ok(htdigest_parse_line(longuser, HTDIGEST_FIELD_MAX + 4, false, &l) &&
	    l.bad == HTDIGEST_BAD_LONG && l.realm == NULL, "line: a user over 65535 bytes");
	ok(htdigest_parse_line(longuser, HTDIGEST_FIELD_MAX + 1, false, &l) &&
	    l.bad == HTDIGEST_BAD_FORM, "line: a long line without ':'");
	free(longuser);
}

int
main(void)
{
	struct htdigest_stats st;
	struct htdigest_table *t;
	char k[2] = "";

	test_parse_line();
	t = load("# comment\n"
	    "\n"
	    " indented:ignored\n"
	    "\tindented:ignored\n"
	    "alice:secret\n"
	    "alice:Special:other\n"
	    "bob:R:pa:ss:word\n"
	    "carol:R:{HHA1}0123456789ABCDEF0123456789abcdef\n"
	    "dave:{HHA1}0123456789abcdef0123456789abcdef\n"
	    "crlf:R:pw\r\n"
	    "nocolon\n"
	    ":nouser\n"
	    "eve::pw\n"
	    "frank:\n"
	    "gina:R:{HHA1}abc\n"
	    "alice:secret-again\n"
	    "nul:R:p\0w\n"
	    "last:R:pw", false, &st);
	is_str(get(t, "alice", "Any", k), "secret", "realm-less plaintext for any realm");
	is_str(k, "P", "  as plaintext");
	is_str(get(t, "alice", "Special", k), "other", "realm-specific entry before realm-less");
	is_str(get(t, "bob", "R", k), "pa:ss:word", "password runs to the end of the line");
	is_str(get(t, "bob", "Other", k), "(none)", "realm-specific entry only for its realm");
	is_str(get(t, "carol", "R", k), "0123456789ABCDEF0123456789abcdef", "{HHA1} without -c");
	is_str(k, "H", "  as an HA1");
	is_str(get(t, "dave", "X", k), "0123456789abcdef0123456789abcdef", "realm-less {HHA1}");
	is_str(get(t, "crlf", "R", k), "pw", "trailing CR dropped");
	is_str(get(t, " indented", "R", k), "(none)", "indented line ignored");
	is_str(get(t, "gina", "R", k), "(none)", "short {HHA1} skipped");
	is_str(get(t, "last", "R", k), "pw", "last line without newline parsed");
	is_str(get(t, "nobody", "R", k), "(none)", "unknown user");
	ok(!st.complete, "a file without a final newline is reported incomplete");
	/* nocolon, :nouser, eve::pw, frank:, gina, the NUL line */
	ok(st.skipped == 6, "six bad lines skipped (got %zu)", st.skipped);
	ok(st.duplicates == 1, "one duplicate (got %zu)", st.duplicates);
	is_str(get(t, "alice", "Any", k), "secret", "first duplicate wins");
	ok(st.entries == 7, "seven entries (got %zu)", st.entries);
	htdigest_free(&t);
	ok(t == NULL, "free clears the pointer");

	t = load("u:R:0123456789abcdef0123456789abcdef\n"
	    "plain:R:not-a-hash\n"
	    "short:R:0123\n"
	    "v:0123456789abcdef0123456789abcdef\n", true, &st);
	is_str(get(t, "u", "R", k), "0123456789abcdef0123456789abcdef", "-c: htdigest line");
	is_str(k, "H", "  as an HA1");
	is_str(get(t, "plain", "R", k), "(none)", "-c: plaintext refused");
	is_str(get(t, "v", "Z", k), "0123456789abcdef0123456789abcdef", "-c: user:HA1 for any realm");
	ok(st.skipped == 2 && st.complete, "-c: two bad lines, file complete");
	htdigest_free(&t);

	t = load("", false, &st);
	ok(st.entries == 0 && st.complete, "empty file: no entries, complete");
	is_str(get(t, "a", "b", k), "(none)", "empty table answers nothing");
	htdigest_free(&t);

	/* A big generated table: every user found, none invented. */
	{
		size_t n = 50000, i, cap = n * 40, len = 0, missing = 0;
		char *buf = xmalloc(cap), user[32];

		for (i = 0; i < n; i++)
			len += (size_t)snprintf(buf + len, cap - len, "user%zu:R:pw%zu\n", i, i);
		t = htdigest_parse(buf, len, false, "big", &st);
		for (i = 0; i < n; i++) {
			char want[32];

			snprintf(user, sizeof(user), "user%zu", i);
			snprintf(want, sizeof(want), "pw%zu", i);
			if (strcmp(get(t, user, "R", k), want) != 0)
				missing++;
		}
		ok(missing == 0 && st.entries == n, "50000 entries all found (%zu wrong)", missing);
		is_str(get(t, "user50000", "R", k), "(none)", "user past the end not found");
		htdigest_free(&t);
	}

	/* A file whose first megabyte is one long comment: the table is
	 * sized for a handful of lines and must grow, slots and arena (a
	 * short realm-less line takes more room as an entry than as text),
	 * as 300000 short lines follow; the realms alternate, so each is
	 * stored again and again.  Every entry is still found, and listed
	 * once, in file order. */
	{
		size_t n = 300000, i, cap = 1024 * 1024 + 64 + n * 24, len = 0, missing = 0;
		char *buf = xmalloc(cap), user[32];
		struct order o = { 0, 0 };

		buf[len++] = '#';
		memset(buf + len, 'x', 1024 * 1024 + 16);
		len += 1024 * 1024 + 16;
		buf[len++] = '\n';
		for (i = 0; i < n; i++) {
			if (i % 2 == 0)
				len += (size_t)snprintf(buf + len, cap - len, "u%zu:%zu\n", i, i);
			else
				len += (size_t)snprintf(buf + len, cap - len, "u%zu:%s:%zu\n", i,
				    i % 4 == 1 ? "R1" : "R2", i);
		}
		t = htdigest_parse(buf, len, false, "grow", &st);
		for (i = 0; i < n; i++) {
			const char *mine = i % 4 == 1 ? "R1" : "R2", *other = i % 4 == 1 ? "R2" : "R1";
			char want[32];

			snprintf(user, sizeof(user), "u%zu", i);
			snprintf(want, sizeof(want), "%zu", i);
			if (strcmp(get(t, user, mine, k), want) != 0 ||
			    strcmp(get(t, user, other, k), i % 2 == 0 ? want : "(none)") != 0)
				missing++;
		}
		ok(missing == 0 && st.entries == n && st.lines == n + 1,
		    "a table sized too small grows: 300000 entries all found (%zu wrong)", missing);
		htdigest_foreach(t, count_order, &o);
		ok(o.n == n && o.bad == 0, "foreach: every entry once, in file order (%zu, %zu out of order)",
		    o.n, o.bad);
		htdigest_free(&t);
	}

	/* foreach skips later duplicates and passes NULL for realm-less */
	{
		struct order o = { 0, 0 };

		t = load("a:R:1\nb:2\na:R:3\n#c\nc:S:4\n", false, &st);
		htdigest_foreach(t, list_into, &o);
		is_str(listed, "a:R b:* c:S ", "foreach: file order, no duplicate, realm-less as NULL");
		htdigest_free(&t);
	}
	return done_testing();
}
