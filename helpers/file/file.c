/* file.c - the password-file store behind digest_file_auth (digest_file_auth(8)).
 *
 * The whole file is read into one hash table.  Before each batch of
 * requests the loop calls file_tick(), which looks at the file at most once
 * a second (stat: device, inode, size, mtime, ctime).  A change is parsed
 * into a new table and swapped in only when the file was read whole and
 * ends with a newline; otherwise the last good table keeps serving and the
 * problem is logged once.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "clock.h"
#include "digest.h"
#include "fileid.h"
#include "htdigest.h"
#include "log.h"
#include "secret.h"

/* How often the file is looked at: Squid's helpers stat on every request;
 * once a second is as fresh as an admin can tell, and costs nothing. */
#define FILE_CHECK_INTERVAL_NS 1000000000LL

/* A file whose last line has no newline, or an empty file replacing a
 * table with entries, is taken to be still being written.  If it stays exactly so for this long, nobody is writing it:
 * it is loaded anyway (an editor that drops the final newline). */
#define FILE_SETTLE_SECONDS 5


struct file_ctx {
	char *path;
	bool ha1_mode;
	struct htdigest_table *table;
	struct file_id loaded;		/* the file behind table */
	long long last_check_ns;

	/* The last state we refused, so it is logged once, not per check. */
	bool refused_valid;
	struct file_id refused;
	int refused_errno;		/* stat failure, 0 if the file existed */
	long long incomplete_since_ns;	/* first seen without final LF */
};

/* The options. */
struct file_conf {
	bool ha1_mode;		/* -c: the last field is an HA1 */
};

static void *
file_conf_new(void)
{
	return xcalloc(1, sizeof(struct file_conf));
}

static void
file_conf_free(void *conf)
{
	free(conf);
}

static int
file_option(void *conf, int opt, const char *arg, const char **err_r)
{
	struct file_conf *c = conf;

	(void)arg;
	if (opt == 'c') {
		c->ha1_mode = true;
		return 0;
	}
	*err_r = "unknown option";
	return -1;
}

static void
log_loaded(const char *what, const char *path, const struct htdigest_stats *s)
{
	log_info("%s %s: %zu entries from %zu lines%s", what, path, s->entries,
	    s->lines, s->skipped ? " (some lines ignored, see above)" : "");
}

static int
file_init(void **ctx_r, void *conf, int argc, char **argv, char *err_r,
    size_t errlen)
{
	const struct file_conf *c = conf;
	struct file_ctx *f;
	struct htdigest_stats stats;
	struct stat st;

	if (argc != 1) {
		snprintf(err_r, errlen, argc == 0 ? "no password file given (see --help)"
		    : "expected one password file, got %d arguments (see --help)", argc);
		return -1;
	}
	f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(argv[0]);
	f->ha1_mode = c->ha1_mode;
	if (htdigest_load(f->path, f->ha1_mode, &f->table, &stats, &st,
	    err_r, errlen) < 0) {
		free(f->path);
		free(f);
		return -1;
	}
	if (!stats.complete)
		log_warn("%s: last line has no newline; loaded anyway", f->path);
	if (stats.entries == 0)
		log_warn("%s: no usable entries; every lookup will answer ERR", f->path);
	file_id_of(&st, &f->loaded);
	f->last_check_ns = clock_coarse_ns();
	log_debug("loaded %s: %zu entries from %zu lines", f->path,
	    stats.entries, stats.lines);
	*ctx_r = f;
	return 0;
}

/* Remember a refused state; true when it is new (and so worth a log). */
static bool
refuse(struct file_ctx *f, const struct file_id *id, int err)
{
	bool fresh = !f->refused_valid || f->refused_errno != err ||
	    (id != NULL && !file_id_equal(&f->refused, id));

	f->refused_valid = true;
	f->refused_errno = err;
	if (id != NULL)
		f->refused = *id;
	else
		memset(&f->refused, 0, sizeof(f->refused));
	return fresh;
}

static void
file_tick(void *ctx, bool force)
{
	struct file_ctx *f = ctx;
	struct htdigest_table *t = NULL;
	struct htdigest_stats stats;
	struct file_id id;
	struct stat st;
	char err[512];
	long long now = clock_coarse_ns();
	bool empty;

	if (!force && now - f->last_check_ns < FILE_CHECK_INTERVAL_NS)
		return;
	f->last_check_ns = now;

	if (stat(f->path, &st) < 0) {
		if (refuse(f, NULL, errno))
			log_error("cannot stat %s: %s; still serving the %zu entries loaded before",
			    f->path, strerror(errno), htdigest_count(f->table));
		return;
	}
	file_id_of(&st, &id);
	if (file_id_equal(&id, &f->loaded)) {
		f->refused_valid = false;
		return;
	}
	if (f->refused_valid && f->refused_errno == 0 && file_id_equal(&id, &f->refused) &&
	    (f->incomplete_since_ns == 0 ||
	    now - f->incomplete_since_ns < FILE_SETTLE_SECONDS * 1000000000LL))
		return;		/* the same refused file: nothing new */

	if (htdigest_load(f->path, f->ha1_mode, &t, &stats, &st, err, sizeof(err)) < 0) {
		if (refuse(f, &id, errno ? errno : EIO))
			log_error("%s; still serving the %zu entries loaded before",
			    err, htdigest_count(f->table));
		return;
	}
	file_id_of(&st, &id);
	/* An empty file where there were entries is, most likely, one caught
	 * between the truncate and the write of an in-place rewrite: it is
	 * handled like a last line without its newline. */
	empty = st.st_size == 0 && htdigest_count(f->table) > 0;
	if (!stats.complete || empty) {
		if (f->incomplete_since_ns == 0 || !file_id_equal(&id, &f->refused)) {
			f->incomplete_since_ns = now;
			if (refuse(f, &id, 0))
				log_warn("%s: %s (still being written?); still serving the %zu entries loaded before",
				    f->path, empty ? "now empty" : "last line has no newline",
				    htdigest_count(f->table));
			htdigest_free(&t);
			return;
		}
		if (now - f->incomplete_since_ns < FILE_SETTLE_SECONDS * 1000000000LL) {
			htdigest_free(&t);
			return;
		}
		log_warn("%s: unchanged for %d s %s; loading it", f->path,
		    FILE_SETTLE_SECONDS, empty ? "and empty" : "without a final newline");
	}
	htdigest_free(&f->table);
	f->table = t;
	f->loaded = id;
	f->refused_valid = false;
	f->incomplete_since_ns = 0;
	log_loaded("reloaded", f->path, &stats);
}

static enum backend_result
file_lookup(void *ctx, const struct backend_query *q, struct backend_answer *a)
{
	struct file_ctx *f = ctx;
	struct htdigest_value v;
	static const struct dstr none = { NULL, 0 };

	if (!htdigest_lookup(f->table, q->user, q->user_len, q->realm,
	    q->realm_len, &v))
		return BACKEND_NOT_FOUND;
	if (v.kind == HTDIGEST_HA1) {
		/* A stored HA1 is MD5 (32 hex digits): no use for another alg. */
		if (!digest_is_hex(q->alg, v.p, v.n))
			return BACKEND_NOT_FOUND;
		digest_hex_lower(v.p, v.n, a->ha1);
		return BACKEND_FOUND;
	}
	if (digest_ha1(q->alg, (struct dstr){ q->user, q->user_len },
	    (struct dstr){ q->realm, q->realm_len }, (struct dstr){ v.p, v.n },
	    none, none, a->ha1) < 0) {
		a->err = "Hash computation failed";
		return BACKEND_FAIL;
	}
	return BACKEND_FOUND;
}

static void
file_fini(void **ctx)
{
	struct file_ctx *f = *ctx;

	if (f == NULL)
		return;
	htdigest_free(&f->table);
	free(f->path);
	free(f);
	*ctx = NULL;
}

const struct backend_ops file_backend = {
	.name = "file",
	.usage = "[options] [-c] FILE",
	.options_help =
	    "  -c             the last field of each line is an HA1 (htdigest format),\n"
	    "                 not a plaintext password\n",
	.shortopts = "c",
	.longopts = NULL,
	.conf_new = file_conf_new,
	.conf_free = file_conf_free,
	.option = file_option,
	.init = file_init,
	.tick = file_tick,
	.lookup = file_lookup,
	.fini = file_fini,
};
