/* notes.h - the annotations an OK reply carries after ha1 (doc/protocol.md,
 * "Annotations").
 *
 * Squid keeps the key=value pairs of a digest helper's OK reply on the
 * user's credentials, where the note ACL can match them (group, tag and
 * custom keys ending in '_').  A store adds them with notes_add(); they
 * are formatted at once, each value quoted with '"' and '\' escaped, so
 * Squid's reply parser gets back exactly the bytes the store holds.  A
 * value that cannot be written on one line (a line break, a NUL), a key
 * Squid would not take as an annotation, or a pair past the limits is
 * dropped, never written in part.
 */
#ifndef DH_NOTES_H
#define DH_NOTES_H

#include <stdbool.h>
#include <stddef.h>

#include "obuf.h"

/* At most this many pairs, and this many bytes of them, per reply. */
#define NOTES_MAX 64
#define NOTES_BYTES_MAX 8192

struct notes {
	struct obuf buf;	/* ' key="value"' for each pair, in order */
	unsigned n;
	unsigned dropped_bad;	/* unwritable value or key not allowed */
	unsigned dropped_limit;	/* past NOTES_MAX or NOTES_BYTES_MAX */
};

/* Empty the list for the next reply (the buffer is kept). */
void notes_reset(struct notes *nt);

void notes_free(struct notes *nt);

/* A key a store may emit: group, tag, clt_conn_tag, or letters, digits,
 * '-' and '_' ending in '_' (Squid's custom annotations). */
bool notes_key_ok(const char *key, size_t len);

/* Add one pair.  Returns 0, or -1 when it was dropped (counted in
 * dropped_bad or dropped_limit). */
int notes_add(struct notes *nt, const char *key, size_t klen,
    const char *val, size_t vlen);

#endif
