/* secret.c - wiping, constant-time compare, allocation that never fails. */
#include "config.h"

#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "secret.h"

static void *
check(void *p)
{
	if (p == NULL)
		log_fatal("out of memory");
	return p;
}

void *
xmalloc(size_t n)
{
	return check(malloc(n ? n : 1));
}

void *
xcalloc(size_t nmemb, size_t size)
{
	return check(calloc(nmemb ? nmemb : 1, size ? size : 1));
}

void *
xrealloc(void *p, size_t n)
{
	return check(realloc(p, n ? n : 1));
}

char *
xstrdup(const char *s)
{
	return xmemdup0(s, strlen(s));
}

char *
xmemdup0(const void *p, size_t n)
{
	char *d = xmalloc(n + 1);

	memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

void
secret_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

void
secret_free(void *p, size_t n)
{
	secret_wipe(p, n);
	free(p);
}

bool
secret_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void
secret_replace(char **slot, const char *value)
{
	if (*slot != NULL)
		secret_free(*slot, strlen(*slot));
	*slot = value != NULL ? xstrdup(value) : NULL;
}

void
secret_no_core(void)
{
	struct rlimit none = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &none);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
