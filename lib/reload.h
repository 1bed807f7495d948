/* reload.h - when a file a helper serves from is read again, and what
 * happens when the new one cannot be used (digest_file_auth(8),
 * RELOADING).
 *
 * At most once a second (or at once on SIGHUP) the file is looked at
 * with stat(2): device, inode, size, mtime and ctime.  A change is loaded
 * into a new table, which replaces the serving one only when the file was
 * read whole and ends with a newline; a file whose last line has no
 * newline, or an empty file where the table had entries, is taken to be
 * still being written, and is loaded once it has stayed so for
 * RELOAD_SETTLE_SECONDS.  A file that is missing, unreadable or not a
 * regular file keeps the last good table serving.  Each refused state is
 * logged once, not once per check.
 */
#ifndef DH_RELOAD_H
#define DH_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "fileid.h"

#define RELOAD_CHECK_INTERVAL_NS 1000000000LL
#define RELOAD_SETTLE_SECONDS 5

/* What the watched file is to the one serving from it. */
struct reload_ops {
	/* Load path into a new table (kept by ctx, not serving yet).
	 * Returns 0 with *st_r and *complete_r (read whole, last line ends
	 * with LF) set, or -1 with errno and a message in err. */
	int (*load)(void *ctx, const char *path, struct stat *st_r,
	    bool *complete_r, char *err, size_t errlen);
	void (*commit)(void *ctx);	/* the new table serves; the old goes */
	void (*discard)(void *ctx);	/* the new table goes */
	size_t (*count)(void *ctx);	/* what the serving table holds */
	const char *noun;		/* "entries": for messages */
};

struct reload {
	const char *path;
	struct file_id loaded;		/* the file behind the serving table */
	long long last_check_ns;
	bool refused_valid;		/* the last state refused, logged once */
	struct file_id refused;
	int refused_errno;		/* 0: it loaded, but was incomplete */
	long long incomplete_since_ns;	/* first seen still being written */
};

/* Start watching path, loaded at start-up with stat st at now. */
void reload_init(struct reload *r, const char *path, const struct stat *st,
    long long now_ns);

/* Look at the file, if due (force: SIGHUP), and reload it if it changed
 * and may be used. */
void reload_tick(struct reload *r, const struct reload_ops *ops, void *ctx,
    bool force, long long now_ns);

#endif
