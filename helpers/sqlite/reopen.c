/* reopen.c - the check digest_sqlite_auth makes before each batch of
 * requests (sq_tick): at most once a second, whether the path now names
 * another file (an admin replaced the database by rename), and if so a
 * reopen; until the new one opens cleanly, the old one serves.  A
 * replacement that another process holds locked is waited for only
 * briefly at each check, and for a bounded time in all (see
 * SQLITE_REOPEN_WAIT_MS), so the old database keeps answering meanwhile.
 * The same file whose default schema was migrated in place is reopened
 * too, so that its group lookup is prepared.
 */
#include "config.h"

#include <stdbool.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "clock.h"
#include "fileid.h"
#include "log.h"
#include "sqlite_int.h"
#include "sqlschema.h"

/* Reopening a replaced database waits far less than start-up does
 * (SQLITE_OPEN_BUSY_TIMEOUT_MS, sqlite.c): the old one serves in the
 * meantime, and while a check waits, no request is answered.  A check
 * waits at most SQLITE_REOPEN_WAIT_MS for a lock on the new file: enough
 * for a writer's commit (a few ms), and at one check a second no user
 * notices it.  One replaced file (one file_id) gets SQLITE_REOPEN_BUDGET_MS
 * of waiting in all, what a single lookup may wait for a lock
 * (SQLITE_BUSY_TIMEOUT_MS); once it is spent, each check only tries the
 * lock, without waiting, so a released lock is still seen within a
 * second.  A file that changes again (new file_id) starts a new budget. */
#define SQLITE_REOPEN_WAIT_MS 50
#define SQLITE_REOPEN_BUDGET_MS 1000

/* How often the path is checked for a replaced database. */
#define SQLITE_CHECK_INTERVAL_NS 1000000000LL

/* How long this check may wait for a lock on the replacement whose
 * file_id is id: a short wait, out of what is left of that file's budget
 * (a file that did not fail before has all of it). */
static int
reopen_wait_ms(const struct sqlite_ctx *s, const struct file_id *id)
{
	long long left = SQLITE_REOPEN_BUDGET_MS;

	if (s->refused_logged && file_id_equal(id, &s->refused))
		left -= s->refused_wait_ns / 1000000;
	if (left <= 0)
		return 0;	/* spent: only try the lock */
	return left < SQLITE_REOPEN_WAIT_MS ? (int)left : SQLITE_REOPEN_WAIT_MS;
}

/* A store opened at an older version of the default schema may be
 * migrated in place (digest_passwd --init) while it serves: each check
 * reads its version again, without waiting for a lock, and once it has
 * grown, opens the file anew so that the group lookup is prepared.  Until
 * that works (tried at each check), the open connection serves as it did.
 * A version newer than ours is logged once and otherwise ignored. */
static void
check_migrated(struct sqlite_ctx *s)
{
	struct sqlite_db *d = &s->cur, fresh;
	enum sqlschema_state state;
	long long version;
	char err[1024];

	if (s->conf->query != NULL || s->conf->group_query != NULL ||
	    d->version >= SQLSCHEMA_VERSION)
		return;
	sqlite3_busy_timeout(d->db, 0);
	state = sqlschema_check(d->db, &version);
	sqlite3_busy_timeout(d->db, d->busy_in_burst ? 0 : SQLITE_BUSY_TIMEOUT_MS);
	if (state == SQLSCHEMA_NEWER && !d->newer_logged) {
		log_error("%s: schema version %lld is newer than this helper knows (%d); still serving it as version %lld",
		    s->path, version, SQLSCHEMA_VERSION, d->version);
		d->newer_logged = true;
	}
	if (state != SQLSCHEMA_OK || version <= d->version)
		return;
	if (sq_db_open(&fresh, s->path, s->conf, 0, err, sizeof(err)) < 0) {
		log_debug("%s; trying again at the next check", err);
		return;
	}
	log_info("%s: the schema is now version %lld; reopened it", s->path,
	    fresh.version);
	sq_db_close(d);
	s->cur = fresh;
}

void
sq_tick(void *ctx, bool force)
{
	struct sqlite_ctx *s = ctx;
	struct sqlite_db fresh;
	struct file_id id;
	struct stat st;
	char err[1024];
	long long now = clock_coarse_ns();
	int wait_ms;

	if (!force && now - s->last_check_ns < SQLITE_CHECK_INTERVAL_NS)
		return;
	s->last_check_ns = now;
	if (stat(s->path, &st) < 0)
		return;		/* gone: keep serving */
	if (st.st_dev == s->cur.dev && st.st_ino == s->cur.ino) {
		check_migrated(s);
		return;
	}
	file_id_of(&st, &id);
	wait_ms = reopen_wait_ms(s, &id);
	if (sq_db_open(&fresh, s->path, s->conf, wait_ms, err, sizeof(err)) < 0) {
		/* tried again every check; logged once per file_id, and
		 * the time waited is charged to that file's budget */
		if (!s->refused_logged || !file_id_equal(&id, &s->refused)) {
			log_error("%s; still serving from the database opened before", err);
			s->refused_wait_ns = 0;
		}
		s->refused_logged = true;
		s->refused = id;
		s->refused_wait_ns += clock_coarse_ns() - now;
		if (wait_ms > 0 && reopen_wait_ms(s, &id) == 0)
			log_debug("%s: waited %lld ms for it in all; each check now tries it without waiting",
			    s->path, s->refused_wait_ns / 1000000);
		return;
	}
	sq_db_close(&s->cur);
	s->cur = fresh;
	s->refused_logged = false;
	log_info("%s was replaced; reopened it", s->path);
}
