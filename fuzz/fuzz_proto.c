/* fuzz_proto.c - the request-line parser: never crash, never point
 * outside the line, and a parsed request obeys the rules of doc/protocol.md. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_request r;
	struct obuf out = { 0 };
	const char *why = NULL, *line;
	char *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);	/* exact size: ASan sees any overread */
	line = copy;
	if (proto_parse(line, size, &r, &why) == 0) {
		if (r.user < line || r.user + r.user_len > line + size ||
		    r.realm < line || r.realm + r.realm_len > line + size ||
		    r.extras < line || r.extras + r.extras_len > line + size ||
		    r.user_len == 0 || r.realm_len == 0 ||
		    memchr(line, '\0', size) != NULL ||
		    memmem(r.user, r.user_len, "\":\"", 3) != NULL)
			abort();
		proto_reply_ok(&out, r.id, r.id_len, "0123456789abcdef0123456789abcdef", NULL);
	} else {
		if (why == NULL)
			abort();
		proto_reply_bh(&out, r.id, r.id_len, why);
	}
	/* exactly one line out, no quote inside the message */
	if (out.len == 0 || out.p[out.len - 1] != '\n' ||
	    memchr(out.p, '\n', out.len - 1) != NULL)
		abort();
	obuf_free(&out);
	free(copy);
	return 0;
}
