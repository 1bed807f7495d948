/* reload.c - reloading a served file by the rules in reload.h. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "reload.h"

#define SETTLE_NS (RELOAD_SETTLE_SECONDS * 1000000000LL)

void
reload_init(struct reload *r, const char *path, const struct stat *st,
    long long now_ns)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	file_id_of(st, &r->loaded);
	r->last_check_ns = now_ns;
}

/* Remember a refused state; true when it is new (and so worth a log). */
static bool
refuse(struct reload *r, const struct file_id *id, int err)
{
	bool fresh = !r->refused_valid || r->refused_errno != err ||
	    (id != NULL && !file_id_equal(&r->refused, id));

	r->refused_valid = true;
	r->refused_errno = err;
	if (id != NULL)
		r->refused = *id;
	else
		memset(&r->refused, 0, sizeof(r->refused));
	return fresh;
}

/* The file is the one refused last time as still being written, and it
 * has not settled yet: nothing to do. */
static bool
still_settling(const struct reload *r, const struct file_id *id, long long now)
{
	return r->refused_valid && r->refused_errno == 0 &&
	    file_id_equal(id, &r->refused) &&
	    (r->incomplete_since_ns == 0 || now - r->incomplete_since_ns < SETTLE_NS);
}

/* The new table is complete, or has settled: true to commit it. */
static bool
settled(struct reload *r, const struct reload_ops *ops, void *ctx,
    const struct file_id *id, bool complete, long long now)
{
	bool empty = id->size == 0 && ops->count(ctx) > 0;

	if (complete && !empty)
		return true;
	if (r->incomplete_since_ns == 0 || !file_id_equal(id, &r->refused)) {
		r->incomplete_since_ns = now;
		if (refuse(r, id, 0))
			log_warn("%s: %s (still being written?); still serving the %zu %s loaded before",
			    r->path, empty ? "now empty" : "last line has no newline",
			    ops->count(ctx), ops->noun);
		return false;
	}
	if (now - r->incomplete_since_ns < SETTLE_NS)
		return false;
	log_warn("%s: unchanged for %d s %s; loading it", r->path,
	    RELOAD_SETTLE_SECONDS, empty ? "and empty" : "without a final newline");
	return true;
}

void
reload_tick(struct reload *r, const struct reload_ops *ops, void *ctx,
    bool force, long long now)
{
	struct file_id id;
	struct stat st;
	char err[512];
	bool complete = false;

	if (!force && now - r->last_check_ns < RELOAD_CHECK_INTERVAL_NS)
		return;
	r->last_check_ns = now;
	if (stat(r->path, &st) < 0) {
		if (refuse(r, NULL, errno))
			log_error("cannot stat %s: %s; still serving the %zu %s loaded before",
			    r->path, strerror(errno), ops->count(ctx), ops->noun);
		return;
	}
	file_id_of(&st, &id);
	if (file_id_equal(&id, &r->loaded)) {
		r->refused_valid = false;
		return;
	}
	if (still_settling(r, &id, now))
		return;
	if (ops->load(ctx, r->path, &st, &complete, err, sizeof(err)) < 0) {
		if (refuse(r, &id, errno ? errno : EIO))
			log_error("%s; still serving the %zu %s loaded before", err,
			    ops->count(ctx), ops->noun);
		return;
	}
	file_id_of(&st, &id);
	if (!settled(r, ops, ctx, &id, complete, now)) {
		ops->discard(ctx);
		return;
	}
	ops->commit(ctx);
	r->loaded = id;
	r->refused_valid = false;
	r->incomplete_since_ns = 0;
}
