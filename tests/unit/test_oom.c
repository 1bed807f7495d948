/* test_oom.c - libdigestauth runs out of memory without exiting: each
 * allocation of digest_authz_parse(), digest_challenge() and
 * digest_nonce_tracker_new() is made to fail in turn, and each call must
 * then return its error, leak nothing and leave the process running.
 *
 * Linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free:
 * the library's calls (from lib/libdigest.a, the same objects as the
 * shared library's) come here; the countdown decides which allocation
 * fails, and the count of blocks still held shows what leaked. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "digest.h"
#include "nonce.h"
#include "tap.h"

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void __real_free(void *);
void *__wrap_malloc(size_t);
void *__wrap_calloc(size_t, size_t);
void *__wrap_realloc(void *, size_t);
void __wrap_free(void *);

/* -1: never fail; n >= 0: the allocation n from now fails, and only it */
static long fail_in = -1;
static long allocations;
static long held;	/* blocks allocated here and not yet freed */

static void *
counted(void *p)
{
	if (p != NULL)
		held++;
	return p;
}

static bool
failing(void)
{
	allocations++;
	if (fail_in < 0)
		return false;
	return fail_in-- == 0;
}

void *
__wrap_malloc(size_t n)
{
	return failing() ? NULL : counted(__real_malloc(n));
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return failing() ? NULL : counted(__real_calloc(n, size));
}

void *
__wrap_realloc(void *p, size_t n)
{
	void *q;

	if (failing())
		return NULL;
	if ((q = __real_realloc(p, n)) != NULL && p == NULL)
		held++;
	return q;
}

void
__wrap_free(void *p)
{
	if (p != NULL)
		held--;
	__real_free(p);
}

static const char hdr[] = "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
    "qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
    "response=\"6629fae49393a05397450978507c4ef1\"";

/* One call of each function; returns whether it succeeded, and when it
 * failed, whether it said "out of memory". */
static bool
parse_once(bool *oom_r)
{
	struct digest_authz a;
	const char *why = NULL;
	int rc = digest_authz_parse(&a, hdr, strlen(hdr), &why);

	*oom_r = rc < 0 && why != NULL && strcmp(why, "out of memory") == 0;
	digest_authz_clear(&a);
	return rc == 0;
}

static bool
challenge_once(bool *oom_r)
{
	struct digest_challenge c = { .realm = "r \"quoted\"", .nonce = "n",
	    .alg = digest_alg_md5(), .qop = DIGEST_QOP_AUTH, .stale = true };
	const char *why = NULL;
	char *line = NULL;
	int rc = digest_challenge(&c, &line, &why);

	*oom_r = rc < 0 && why != NULL && strcmp(why, "out of memory") == 0;
	free(line);
	return rc == 0 && line != NULL;
}

static bool
tracker_once(bool *oom_r)
{
	struct digest_nonce_tracker *t = digest_nonce_tracker_new(64, 0, false);

	*oom_r = t == NULL;
	digest_nonce_tracker_free(&t);
	return *oom_r == false;
}

/* Fail each allocation of fn's one call in turn: every such call fails
 * with out of memory and leaves nothing allocated; with none failing it
 * succeeds. */
static void
each_allocation(const char *name, bool (*fn)(bool *))
{
	long n, total, bad = 0, leaked = 0;
	bool oom;

	fail_in = -1;
	allocations = held = 0;
	ok(fn(&oom) && held == 0, "%s: succeeds when memory does not run out, "
	    "and frees what it took", name);
	total = allocations;
	ok(total > 0, "%s: allocates (%ld times)", name, total);
	for (n = 0; n < total; n++) {
		fail_in = n;
		held = 0;
		if (fn(&oom) || !oom)
			bad++;
		if (held != 0)
			leaked++;
	}
	fail_in = -1;
	ok(bad == 0, "%s: each of its %ld allocations failing is an error "
	    "return (out of memory), not an exit", name, total);
	ok(leaked == 0, "%s: and leaks nothing (%ld of %ld leaked)", name,
	    leaked, total);
	ok(fn(&oom), "%s: succeeds again afterwards", name);
}

int
main(void)
{
	each_allocation("digest_authz_parse", parse_once);
	each_allocation("digest_challenge", challenge_once);
	each_allocation("digest_nonce_tracker_new", tracker_once);
	return done_testing();
}
