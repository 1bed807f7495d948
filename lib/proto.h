/* proto.h - the Squid digest helper line protocol (doc/protocol.md).
 *
 * Request:  [CHANNEL-ID SP] "USER":"REALM" [SP KEY-EXTRAS]
 * Replies:  [CHANNEL-ID SP] OK ha1="<hex>" | ERR message="..." | BH message="..."
 *
 * The parser works on one line that the request loop has already cut at LF;
 * it never copies or modifies it: every field of the result points into the
 * line.
 */
#ifndef DH_PROTO_H
#define DH_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "notes.h"
#include "obuf.h"

/* Longest request line accepted, LF excluded.  Squid sends at most 8191
 * bytes; twice that leaves room for long key-extras from a future Squid. */
#define PROTO_LINE_MAX 16384

/* Longest channel ID: UINT64_MAX has 20 decimal digits. */
#define PROTO_ID_MAX 20

struct proto_request {
	const char *id;		/* channel ID digits, NULL when absent */
	size_t id_len;
	uint64_t id_num;	/* its value */
	const char *user;
	size_t user_len;
	const char *realm;
	size_t realm_len;
	const char *extras;	/* key-extras after the realm, may be empty */
	size_t extras_len;
};

/* Parse line[0..len) (no LF; one trailing CR is ignored).  Returns 0 on
 * success.  On failure returns -1 and sets *why_r to a static reason;
 * req_r->id is still set when the line began with a valid channel ID, so
 * the BH reply reaches the right channel. */
int proto_parse(const char *line, size_t len, struct proto_request *req_r,
    const char **why_r);

/* The channel ID at the start of a line that will not be parsed (an
 * over-long one): its length, or 0 when the line has none.  The BH reply
 * for such a line still reaches the right channel. */
size_t proto_peek_id(const char *line, size_t len);

/* Append one reply line.  id may be NULL (no channel ID).  ha1_hex is a
 * lowercase hex string; notes (may be NULL) are written after it.  Messages are made safe: '"', '\\' and control
 * bytes never reach the output. */
void proto_reply_ok(struct obuf *b, const char *id, size_t id_len,
    const char *ha1_hex, const struct notes *notes);
void proto_reply_err(struct obuf *b, const char *id, size_t id_len,
    const char *message);
void proto_reply_bh(struct obuf *b, const char *id, size_t id_len,
    const char *message);

#endif
