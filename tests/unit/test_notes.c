/* test_notes.c - annotations on OK replies: keys Squid takes, values
 * quoted so its parser gets the same bytes back, limits never cutting a
 * pair in half. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "notes.h"
#include "proto.h"
#include "tap.h"

/* The reply line for ha1 and nt, NUL-terminated (static buffer). */
static const char *
line_of(const struct notes *nt)
{
	static char buf[NOTES_BYTES_MAX + 256];
	struct obuf b = { NULL, 0, 0 };

	proto_reply_ok(&b, "7", 1, "0123456789abcdef0123456789abcdef", nt);
	memcpy(buf, b.p, b.len < sizeof(buf) - 1 ? b.len : sizeof(buf) - 1);
	buf[b.len < sizeof(buf) - 1 ? b.len : sizeof(buf) - 1] = '\0';
	obuf_free(&b);
	return buf;
}

static int
add(struct notes *nt, const char *k, const char *v)
{
	return notes_add(nt, k, strlen(k), v, strlen(v));
}

static void
test_keys(void)
{
	ok(notes_key_ok("group", 5) && notes_key_ok("tag", 3) &&
	    notes_key_ok("clt_conn_tag", 12), "group, tag, clt_conn_tag are taken");
	ok(notes_key_ok("dept_", 5) && notes_key_ok("a-b_", 4), "custom keys end in '_'");
	ok(!notes_key_ok("ha1", 3) && !notes_key_ok("message", 7) &&
	    !notes_key_ok("user", 4), "ha1, message and other Squid keys are refused");
	ok(!notes_key_ok("_", 1) && !notes_key_ok("a b_", 4) &&
	    !notes_key_ok("a=b_", 4) && !notes_key_ok("", 0),
	    "a bare '_', spaces, '=' and the empty key are refused");
}

static void
test_values(void)
{
	struct notes nt = { 0 };

	is_str(line_of(&nt), "7 OK ha1=\"0123456789abcdef0123456789abcdef\"\n",
	    "no notes: the plain reply");
	ok(add(&nt, "group", "staff") == 0 && add(&nt, "group", "wi fi") == 0 &&
	    add(&nt, "dept_", "a\"b\\c") == 0, "three pairs added");
	is_str(line_of(&nt), "7 OK ha1=\"0123456789abcdef0123456789abcdef\" group=\"staff\" group=\"wi fi\" dept_=\"a\\\"b\\\\c\"\n",
	    "values quoted, '\"' and '\\' escaped, repeated keys kept in order");
	ok(add(&nt, "tag", "a\nb") < 0 && add(&nt, "tag", "a\rb") < 0 &&
	    notes_add(&nt, "tag", 3, "a\0b", 3) < 0 && nt.dropped_bad == 3,
	    "line breaks and NUL are dropped and counted");
	ok(add(&nt, "ha1", "0") < 0 && nt.dropped_bad == 4, "a second ha1 is never written");
	ok(nt.n == 3, "the dropped ones left nothing behind");
	notes_reset(&nt);
	is_str(line_of(&nt), "7 OK ha1=\"0123456789abcdef0123456789abcdef\"\n",
	    "reset empties the list");
	notes_free(&nt);
}

static void
test_limits(void)
{
	struct notes nt = { 0 };
	char big[NOTES_BYTES_MAX];
	int i, added = 0;

	for (i = 0; i < NOTES_MAX + 10; i++)
		added += add(&nt, "group", "g") == 0;
	ok(added == NOTES_MAX && nt.dropped_limit == 10, "at most %d pairs (%d)",
	    NOTES_MAX, added);
	notes_reset(&nt);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(add(&nt, "group", big) < 0 && nt.buf.len == 0,
	    "a pair over the byte limit is dropped whole");
	big[4000] = '\0';
	ok(add(&nt, "group", big) == 0 && add(&nt, "group", big) == 0 &&
	    add(&nt, "group", big) < 0, "pairs are added until the next would pass %d bytes",
	    NOTES_BYTES_MAX);
	ok(nt.buf.len <= NOTES_BYTES_MAX && strchr(line_of(&nt), '\n') ==
	    line_of(&nt) + strlen(line_of(&nt)) - 1, "one line, within the limit");
	notes_free(&nt);
}

int
main(void)
{
	test_keys();
	test_values();
	test_limits();
	return done_testing();
}
