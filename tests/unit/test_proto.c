/* test_proto.c - the request-line parser and reply writer (doc/protocol.md). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "tap.h"

static int
parse(const char *line, struct proto_request *r, const char **why)
{
	return proto_parse(line, strlen(line), r, why);
}

static char *
field(const char *p, size_t n)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ & 3];

	if (p == NULL)
		return NULL;
	memcpy(b, p, n);
	b[n] = '\0';
	return b;
}

static void
good(const char *line, const char *id, const char *user, const char *realm,
    const char *extras)
{
	struct proto_request r;
	const char *why;
	int rc = parse(line, &r, &why);

	ok(rc == 0, "parses: %s", line);
	if (rc != 0)
		return;
	is_str(id ? field(r.id, r.id_len) : "(none)",
	    r.id ? field(r.id, r.id_len) : "(none)", "  channel id");
	is_str(field(r.user, r.user_len), user, "  user");
	is_str(field(r.realm, r.realm_len), realm, "  realm");
	is_str(field(r.extras, r.extras_len), extras, "  key-extras");
}

static void
bad(const char *line, size_t len, const char *id, const char *label)
{
	struct proto_request r;
	const char *why = NULL;
	int rc = proto_parse(line, len, &r, &why);

	ok(rc == -1 && why != NULL, "refused: %s", label);
	if (id != NULL)
		is_str(r.id ? field(r.id, r.id_len) : "(none)", id, "  BH keeps the channel id");
	else
		ok(r.id == NULL, "  no channel id");
}

static void
replies(void)
{
	struct obuf b = { 0 };

	proto_reply_ok(&b, NULL, 0, "939e7578ed9e3c518a452acee763bce9", NULL);
	proto_reply_ok(&b, "18446744073709551615", 20, "939e7578ed9e3c518a452acee763bce9", NULL);
	proto_reply_err(&b, "7", 1, "No such user");
	proto_reply_bh(&b, NULL, 0, "bad \"quote\"\r\nand\\slash\x01");
	obuf_append(&b, "", 1);
	is_str(b.p,
	    "OK ha1=\"939e7578ed9e3c518a452acee763bce9\"\n"
	    "18446744073709551615 OK ha1=\"939e7578ed9e3c518a452acee763bce9\"\n"
	    "7 ERR message=\"No such user\"\n"
	    "BH message=\"bad 'quote'  and/slash \"\n",
	    "replies formatted; messages never carry '\"', '\\\\' or line breaks");
	obuf_free(&b);
}

/* Random lines: the parser must never crash, and on success every field
 * must lie inside the line and obey the rules. */
static void
fuzz(void)
{
	static const char alphabet[] = "\"\": \r\n\t\\0123456789abc*()=\x7f\x80\xff";
	char line[300];
	int i, bad_fields = 0, parsed = 0;

	srand(20261123);
	for (i = 0; i < 500; i++) {
		size_t len = (size_t)(rand() % (int)sizeof(line)), k;
		struct proto_request r;
		const char *why;

		for (k = 0; k < len; k++)
			line[k] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		if (i % 3 == 0 && len > 8)	/* often shaped like a request */
			memcpy(line + (i % 2 ? 0 : 2), "\"u\":\"r", 6);
		if (proto_parse(line, len, &r, &why) == 0) {
			parsed++;
			if (r.user < line || r.user + r.user_len > line + len ||
			    r.realm + r.realm_len > line + len || r.user_len == 0 ||
			    r.realm_len == 0 || memchr(line, '\0', len) != NULL ||
			    memmem(r.user, r.user_len, "\":\"", 3) != NULL)
				bad_fields++;
		} else if (why == NULL) {
			bad_fields++;
		}
	}
	ok(bad_fields == 0, "500 random lines: no field out of bounds, every refusal has a reason (%d parsed)", parsed);
}

int
main(void)
{
	good("\"bobby\":\"Tom Landry Middle School\"", NULL, "bobby",
	    "Tom Landry Middle School", "");
	good("0 \"u\":\"r\"", "0", "u", "r", "");
	good("18446744073709551615 \"u\":\"r\"", "18446744073709551615", "u", "r", "");
	good("42 \"u\":\"r\" group=x tag=\"a b\"", "42", "u", "r", "group=x tag=\"a b\"");
	good("\"u\":\"r\"\r", NULL, "u", "r", "");
	good("\"u\":\"a\"b\"", NULL, "u", "a\"b", "");
	good("\"u\":\"a\" b\" c", NULL, "u", "a", "b\" c");
	good("\"u\":\"a:b c\"", NULL, "u", "a:b c", "");
	good("\"u\":\"r\" ", NULL, "u", "r", "");
	good("\"a\"b\":\"r\"", NULL, "a\"b", "r", "");
	good("\"u:x\":\"r\"", NULL, "u:x", "r", "");
	good("\"u\":\":\"\"", NULL, "u", ":\"", "");
	good("007 \"u\":\"r\"", "007", "u", "r", "");

	bad("", 0, NULL, "empty line");
	bad("\r", 1, NULL, "lone CR");
	bad("garbage", 7, NULL, "no quotes");
	bad("5 garbage", 9, "5", "channel id then garbage");
	bad("\"u\"", 3, NULL, "user only");
	bad("\"u\":", 4, NULL, "no realm");
	bad("\"u\":\"r", 6, NULL, "unterminated realm");
	bad("\"u\":\"\"", 6, NULL, "empty realm");
	bad("\"\":\"r\"", 6, NULL, "empty user");
	bad("\"u\":\"r\"x", 8, NULL, "junk after the realm quote");
	bad("\"u\" :\"r\"", 8, NULL, "space before the colon");
	bad(" \"u\":\"r\"", 8, NULL, "leading space");
	bad("u:r", 3, NULL, "no quotes at all");
	bad("\"u\":\"r\0\"", 8, NULL, "NUL in realm");
	bad("\"u\0\":\"r\"", 8, NULL, "NUL in user");
	bad("1\0 \"u\":\"r\"", 10, NULL, "NUL in channel id");
	bad("18446744073709551616 \"u\":\"r\"", 28, "18446744073709551616", "channel id over 64 bits");
	bad("123456789012345678901 \"u\":\"r\"", 29, "123456789012345678901", "21-digit channel id");
	bad("12a \"u\":\"r\"", 11, NULL, "channel id with a letter");
	bad("12", 2, NULL, "channel id alone");
	bad("12 ", 3, "12", "channel id and space alone");
	bad("-1 \"u\":\"r\"", 10, NULL, "negative channel id");

	ok(proto_peek_id("12 xxxx", 7) == 2, "peek: channel id of an unparsed line");
	ok(proto_peek_id("12xxxxx", 7) == 0, "peek: digits without a space are no id");
	ok(proto_peek_id("\"u\":\"r\"", 7) == 0, "peek: no id");

	replies();
	fuzz();
	return done_testing();
}
