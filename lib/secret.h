/* secret.h - memory that holds secrets, and allocation that never fails. */
#ifndef DH_SECRET_H
#define DH_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* Allocators that print "PROGRAM: out of memory" and exit(1) on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xmemdup0(const void *p, size_t n);

/* Overwrite n bytes so the compiler cannot optimise the store away. */
void secret_wipe(void *p, size_t n);

/* Wipe n bytes and free p; NULL is fine. */
void secret_free(void *p, size_t n);

/* Set *slot to a copy of value (NULL: none), wiping and freeing the
 * string it held: for a bind or database password kept in a
 * configuration. */
void secret_replace(char **slot, const char *value);

/* Constant-time comparison of two equal-length buffers: true when equal. */
bool secret_equal(const void *a, const void *b, size_t n);

/* No core dumps, and no ptrace by other processes of the same user: a
 * core of a helper holds every password of its store.  Called first
 * thing by every program; failures are ignored (nothing to do then). */
void secret_no_core(void);

#endif
