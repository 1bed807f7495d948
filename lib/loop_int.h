/* loop_int.h - what loop.c (reading and waiting) and lookup.c (answering
 * lines) share: the loop's state. */
#ifndef DH_LOOP_INT_H
#define DH_LOOP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "loop.h"
#include "notes.h"
#include "obuf.h"
#include "proto.h"

/* A lookup in flight: what its reply needs once the line is gone. */
struct slot {
	bool used;
	bool ordered;			/* no channel ID: replies in order */
	size_t id_len;
	char id[PROTO_ID_MAX + 2];	/* may be one digit over (out of range) */
};

struct loop {
	const struct backend_ops *ops;
	void *ctx;
	const struct loop_config *cfg;
	struct obuf out;
	struct slot *slots;
	unsigned nslots;
	unsigned inflight;
	bool ordered_pending;		/* an ID-less lookup is in flight */
	struct notes notes;		/* for answers given at once by start() */

	/* The input buffer. */
	char *buf;
	size_t have;			/* bytes in buf */
	size_t start;			/* first byte not yet taken */
	bool discarding;		/* inside an over-long line already answered */
	bool eof;

	int stop_r;			/* the stop pipe's reading end, or -1 */
};
/* Input buffer: room for the longest accepted line plus its LF, rounded up
 * so that piped bursts are read in large chunks. */
#define LOOP_IBUF_SIZE (4 * PROTO_LINE_MAX)

/* Replies are written once this much is gathered even if more complete
 * lines are waiting, to bound memory on a huge burst. */
#define LOOP_OBUF_FLUSH (64 * 1024)


/* Can another line be taken now?  The next line's channel ID decides
 * whether it may join others in flight. */
bool loop_can_take(const struct loop *l, const char *line, size_t len);

/* Answer the line (no LF), or start its lookup. */
void loop_take_line(struct loop *l, const char *line, size_t len);

/* The BH reply for a line over PROTO_LINE_MAX. */
void loop_too_long(struct obuf *out, const char *line, size_t len);

/* The loop's completion callback for asynchronous backends. */
backend_done_fn loop_async_done;

#endif
