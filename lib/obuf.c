/* obuf.c - a growable output buffer (see obuf.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "obuf.h"
#include "secret.h"

void
obuf_free(struct obuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
obuf_append(struct obuf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}
