/* proto.c - parse a helper request line; format OK/ERR/BH replies. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "secret.h"

/* Parse "[digits SP]" at the start of the line.  Returns the number of
 * bytes taken (0 when the line has no channel ID), or -1 when the digits
 * are followed by a space but do not fit in 64 bits (req->id is set then
 * too, for the BH reply). */
static int
parse_channel_id(const char *s, size_t len, struct proto_request *req)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0 || i >= len || s[i] != ' ')
		return 0;
	/* Out of range: still an ID to echo, so the BH reaches its channel. */
	req->id = s;
	req->id_len = i;
	if (i > PROTO_ID_MAX)
		return -1;
	for (size_t k = 0; k < i; k++) {
		unsigned d = (unsigned)(s[k] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	req->id_num = v;
	return (int)i + 1;
}

size_t
proto_peek_id(const char *line, size_t len)
{
	struct proto_request req;

	memset(&req, 0, sizeof(req));
	(void)parse_channel_id(line, len, &req);
	return req.id_len;
}

int
proto_parse(const char *line, size_t len, struct proto_request *req_r,
    const char **why_r)
{
	const char *p, *end, *sep, *q;
	int n;

	memset(req_r, 0, sizeof(*req_r));
	*why_r = NULL;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	n = parse_channel_id(line, len, req_r);
	if (n < 0) {
		*why_r = "Channel ID out of range";
		return -1;
	}
	if (memchr(line, '\0', len) != NULL) {
		*why_r = "NUL byte in request";
		return -1;
	}
	p = line + n;
	end = line + len;

	/* USER: from the first '"' to the first '":"' */
	if (p >= end || *p != '"') {
		*why_r = "Invalid line received";
		return -1;
	}
	p++;
	sep = NULL;
	for (q = p; q + 3 <= end; q++) {
		if (q[0] == '"' && q[1] == ':' && q[2] == '"') {
			sep = q;
			break;
		}
	}
	if (sep == NULL || sep == p) {
		*why_r = "Invalid line received";
		return -1;
	}
	req_r->user = p;
	req_r->user_len = (size_t)(sep - p);

	/* REALM: up to the first '"' followed by the end of line or a space */
	p = sep + 3;
	for (q = p; q < end; q++) {
		if (*q == '"' && (q + 1 == end || q[1] == ' '))
			break;
	}
	if (q >= end || q == p) {
		*why_r = "Invalid line received";
		return -1;
	}
	req_r->realm = p;
	req_r->realm_len = (size_t)(q - p);
	if (q + 1 < end) {
		req_r->extras = q + 2;
		req_r->extras_len = (size_t)(end - (q + 2));
	} else {
		req_r->extras = end;
		req_r->extras_len = 0;
	}
	return 0;
}

static void
put_id(struct obuf *b, const char *id, size_t id_len)
{
	if (id != NULL && id_len > 0) {
		obuf_append(b, id, id_len);
		obuf_append(b, " ", 1);
	}
}

void
proto_reply_ok(struct obuf *b, const char *id, size_t id_len,
    const char *ha1_hex, const struct notes *notes)
{
	put_id(b, id, id_len);
	obuf_append(b, "OK ha1=\"", 8);
	obuf_append(b, ha1_hex, strlen(ha1_hex));
	obuf_append(b, "\"", 1);
	if (notes != NULL && notes->buf.len > 0)
		obuf_append(b, notes->buf.p, notes->buf.len);
	obuf_append(b, "\n", 1);
}

/* Append a message value: Squid reads it as a quoted string, so '"' and
 * '\\' would end or escape it, and a line break would end the reply. */
static void
put_message(struct obuf *b, const char *kind, const char *id, size_t id_len,
    const char *message)
{
	const char *m = message != NULL ? message : "";

	put_id(b, id, id_len);
	obuf_append(b, kind, strlen(kind));
	obuf_append(b, " message=\"", 10);
	for (; *m != '\0'; m++) {
		unsigned char c = (unsigned char)*m;
		char o = (char)c;

		if (c == '"')
			o = '\'';
		else if (c == '\\')
			o = '/';
		else if (c < 0x20 || c == 0x7f)
			o = ' ';
		obuf_append(b, &o, 1);
	}
	obuf_append(b, "\"\n", 2);
}

void
proto_reply_err(struct obuf *b, const char *id, size_t id_len,
    const char *message)
{
	put_message(b, "ERR", id, id_len, message);
}

void
proto_reply_bh(struct obuf *b, const char *id, size_t id_len,
    const char *message)
{
	put_message(b, "BH", id, id_len, message);
}
