/* obuf.h - a growable output buffer: reply lines, LDAP filters, headers. */
#ifndef DH_OBUF_H
#define DH_OBUF_H

#include <stddef.h>

struct obuf {
	char *p;
	size_t len;
	size_t cap;
};

void obuf_free(struct obuf *b);

/* Append n bytes, growing the buffer (doubling from 4 KiB). */
void obuf_append(struct obuf *b, const void *p, size_t n);

#endif
