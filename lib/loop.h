/* loop.h - the request loop: read lines, dispatch to a backend, reply.
 *
 * Input is read into a bounded buffer and cut at LF.  Replies are gathered
 * in an output buffer and written whole; the buffer is flushed before the
 * loop blocks on input, so a lone request is answered at once while a
 * burst is answered in few writes.  Every request line gets exactly one
 * reply.  A synchronous backend answers each line in turn; an
 * asynchronous one (start/dispatch) keeps lookups in flight, and replies
 * carrying channel IDs may then leave out of order (doc/protocol.md).
 */
#ifndef DH_LOOP_H
#define DH_LOOP_H

#include <stddef.h>

#include "backend.h"

struct loop_config {
	int in_fd;
	int out_fd;
	/* --realm values: when nrealms > 0 any other realm is ERR without a
	 * lookup.  Owned by the caller. */
	const char *const *realms;
	size_t nrealms;
};

/* SIGTERM and SIGINT end the loop cleanly (replies gathered so far are
 * written, exit status 0); SIGHUP makes the backend look at its store at
 * once.  Call early, before the store is loaded, so a signal during
 * start-up is not fatal. */
void loop_install_signals(void);

/* Run until end of input.  Returns 0 at end of input, -1 when reading or
 * writing failed (already logged). */
int loop_run(const struct backend_ops *ops, void *ctx,
    const struct loop_config *cfg);

/* Answer one request line (no LF) into out: the whole per-line path,
 * exposed for the in-process benchmark and the unit tests. */
struct obuf;
void loop_handle_line(const struct backend_ops *ops, void *ctx,
    const struct loop_config *cfg, const char *line, size_t len,
    struct obuf *out);

#endif
