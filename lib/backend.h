/* backend.h - what a store must provide to become a digest helper.
 *
 * One backend per program; each exports one const struct backend_ops.
 * The shared main() (helpers/main.c) makes the backend's configuration
 * (conf_new), parses the common options and hands the backend its own
 * (option, into that configuration), calls init with it, runs the request
 * loop, then calls fini and conf_free.  A backend keeps no state of its
 * own outside the configuration and the context init makes.
 *
 * Three outcomes, never two (doc/protocol.md, "Replies"):
 *   BACKEND_FOUND      the store answered with an HA1          -> OK
 *   BACKEND_NOT_FOUND  the store answered: no such user/realm  -> ERR
 *   BACKEND_FAIL       could not tell (store unreachable ...)  -> BH
 *
 * A found answer is an HA1 and zero or more annotations (notes.h), which
 * the OK reply carries after it.
 */
#ifndef DH_BACKEND_H
#define DH_BACKEND_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "digest.h"
#include "notes.h"

enum backend_result {
	BACKEND_FAIL = -1,
	BACKEND_NOT_FOUND = 0,
	BACKEND_FOUND = 1,
	BACKEND_PENDING = 2,	/* asynchronous: the answer comes later */
};

/* What a lookup found.  The loop zeroes ha1 and resets notes before each
 * lookup, and wipes ha1 after the reply. */
struct backend_answer {
	char ha1[DIGEST_HEX_MAX + 1];	/* FOUND: lowercase hex for q->alg */
	struct notes *notes;		/* FOUND: annotations, may stay empty */
	const char *err;		/* FAIL: static reason for the BH reply */
};

/* How an asynchronous backend hands a finished lookup back to the loop:
 * token is the one given to start(); a (its own; a->notes may be NULL for
 * none) is only read during the call. */
typedef void backend_done_fn(void *loop, unsigned token,
    enum backend_result res, struct backend_answer *a);

/* One lookup.  Strings point into the request line and are not
 * NUL-terminated; they never contain NUL or a line break. */
struct backend_query {
	const char *user;
	size_t user_len;
	const char *realm;
	size_t realm_len;
	const char *extras;		/* Squid key_extras, may be empty */
	size_t extras_len;
	const struct digest_alg *alg;	/* MD5 for Squid */
};

struct backend_ops {
	const char *name;		/* "file": in --help and debug lines */
	const char *usage;		/* synopsis after the program name */
	const char *options_help;	/* backend option lines for --help */

	/* Backend short options for getopt (e.g. "c"), and long ones (may be
	 * NULL).  When shortopts contains 'h', -h is the backend's and help
	 * is only --help (digest_ldap_auth, as in Squid). */
	const char *shortopts;
	const struct option *longopts;

	/* The backend's configuration, with its defaults; freed by conf_free
	 * after fini (or at exit when init fails).  NULL: no configuration. */
	void *(*conf_new)(void);
	void (*conf_free)(void *conf);

	/* Take one backend option into conf.  Returns 0, or -1 with *err_r
	 * set to a static message. */
	int (*option)(void *conf, int opt, const char *arg, const char **err_r);

	/* Start the backend with its configuration (which stays valid until
	 * fini) and the positional arguments left after the options.
	 * Returns 0 and sets *ctx_r, or -1 with a message in err_r (errlen
	 * bytes) for the one-line start-up error. */
	int (*init)(void **ctx_r, void *conf, int argc, char **argv,
	    char *err_r, size_t errlen);

	/* Called by the loop before each batch of requests (and so before a
	 * lone request): the place for cheap reload checks, which may skip
	 * the work when it was done less than a second ago, unless force is
	 * set (SIGHUP: "look at the store now").  May be NULL. */
	void (*tick)(void *ctx, bool force);

	/* Called by the loop when every request read so far is answered,
	 * before it blocks for more: the place to end per-batch work (the
	 * SQLite store ends its read transaction here).  May be NULL. */
	void (*idle)(void *ctx);

	/* Look a user up (synchronous backends; may be NULL when start is
	 * set).  On BACKEND_FOUND, a->ha1 holds the HA1 and a->notes any
	 * annotations; on BACKEND_FAIL, a->err is a static reason for the BH
	 * reply.  Must not print secrets. */
	enum backend_result (*lookup)(void *ctx, const struct backend_query *q,
	    struct backend_answer *a);

	/* Asynchronous lookups (all NULL for a synchronous backend).
	 *
	 * start() begins a lookup: it returns BACKEND_PENDING and later
	 * reports through dispatch(), or answers at once like lookup().
	 * max_inflight() is how many lookups may be pending at once (-j);
	 * lines with channel IDs use that many, lines without one are run
	 * one at a time so their replies keep the order of the requests.
	 * event_fd() is a descriptor to poll for input (-1: none right now),
	 * next_timeout_ms() the time until a pending lookup times out (-1:
	 * none), and dispatch() collects whatever finished or timed out,
	 * calling done() once per finished token. */
	enum backend_result (*start)(void *ctx, const struct backend_query *q,
	    unsigned token, struct backend_answer *a);
	unsigned (*max_inflight)(void *ctx);
	int (*event_fd)(void *ctx);
	int (*next_timeout_ms)(void *ctx);
	void (*dispatch)(void *ctx, backend_done_fn *done, void *loop);

	/* Release everything, wiping secrets; clears *ctx. */
	void (*fini)(void **ctx);
};

#endif
