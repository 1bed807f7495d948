/* file.c - the password-file store behind digest_file_auth
 * (digest_file_auth(8)).
 *
 * The whole file is read into one hash table (lib/htdigest.h).  Before
 * each batch of requests the loop calls file_tick(), and the file is
 * reloaded by the rules of lib/reload.h: looked at at most once a second,
 * a change swapped in only when it was read whole, the last good table
 * serving otherwise.  With --group-file, each OK reply also carries the
 * user's groups (groups.c).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "clock.h"
#include "digest.h"
#include "file.h"
#include "htdigest.h"
#include "log.h"
#include "reload.h"
#include "secret.h"

enum { OPT_GROUP_FILE = 0x200 };

/* The options. */
struct file_conf {
	bool ha1_mode;			/* -c: the last field is an HA1 */
	const char *group_file;		/* --group-file */
};

struct file_ctx {
	char *path;
	bool ha1_mode;
	struct htdigest_table *table;	/* serving */
	struct htdigest_table *fresh;	/* loaded, not serving yet */
	struct htdigest_stats fresh_stats;
	struct reload watch;
	struct file_groups groups;
};

static const struct option file_longopts[] = {
	{ "group-file", required_argument, NULL, OPT_GROUP_FILE },
	{ NULL, 0, NULL, 0 },
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

	switch (opt) {
	case 'c':
		c->ha1_mode = true;
		return 0;
	case OPT_GROUP_FILE:
		c->group_file = arg;
		return 0;
	default:
		*err_r = "unknown option";
		return -1;
	}
}

static void
log_loaded(const char *what, const char *path, const struct htdigest_stats *s)
{
	log_info("%s %s: %zu entries from %zu lines%s", what, path, s->entries,
	    s->lines, s->skipped ? " (some lines ignored, see above)" : "");
}

/* --- reloading (lib/reload.h) ------------------------------------------ */

static int
table_load(void *ctx, const char *path, struct stat *st_r, bool *complete_r,
    char *err, size_t errlen)
{
	struct file_ctx *f = ctx;

	if (htdigest_load(path, f->ha1_mode, &f->fresh, &f->fresh_stats, st_r,
	    err, errlen) < 0)
		return -1;
	*complete_r = f->fresh_stats.complete;
	return 0;
}

static void
table_commit(void *ctx)
{
	struct file_ctx *f = ctx;

	htdigest_free(&f->table);
	f->table = f->fresh;
	f->fresh = NULL;
	log_loaded("reloaded", f->path, &f->fresh_stats);
}

static void
table_discard(void *ctx)
{
	struct file_ctx *f = ctx;

	htdigest_free(&f->fresh);
}

static size_t
table_count(void *ctx)
{
	const struct file_ctx *f = ctx;

	return htdigest_count(f->table);
}

static const struct reload_ops table_reload = {
	.load = table_load,
	.commit = table_commit,
	.discard = table_discard,
	.count = table_count,
	.noun = "entries",
};

/* --- the backend --------------------------------------------------------- */

static int
file_init(void **ctx_r, void *conf, int argc, char **argv, char *err_r,
    size_t errlen)
{
	const struct file_conf *c = conf;
	struct htdigest_stats stats;
	struct file_ctx *f;
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
	    err_r, errlen) < 0 || (c->group_file != NULL &&
	    file_groups_init(&f->groups, c->group_file, err_r, errlen) < 0)) {
		htdigest_free(&f->table);
		free(f->path);
		free(f);
		return -1;
	}
	if (!stats.complete)
		log_warn("%s: last line has no newline; loaded anyway", f->path);
	if (stats.entries == 0)
		log_warn("%s: no usable entries; every lookup will answer ERR", f->path);
	reload_init(&f->watch, f->path, &st, clock_coarse_ns());
	log_debug("loaded %s: %zu entries from %zu lines", f->path,
	    stats.entries, stats.lines);
	*ctx_r = f;
	return 0;
}

static void
file_tick(void *ctx, bool force)
{
	struct file_ctx *f = ctx;
	long long now = clock_coarse_ns();

	reload_tick(&f->watch, &table_reload, f, force, now);
	file_groups_tick(&f->groups, force, now);
}

/* The HA1 of the entry found, for the query's algorithm. */
static enum backend_result
entry_ha1(const struct backend_query *q, const struct htdigest_value *v,
    struct backend_answer *a)
{
	static const struct digest_str none = { NULL, 0 };

	if (v->kind == HTDIGEST_HA1) {
		/* A stored HA1 is MD5 (32 hex digits): no use for another alg. */
		if (!digest_is_hex(q->alg, v->p, v->n))
			return BACKEND_NOT_FOUND;
		digest_hex_lower(v->p, v->n, a->ha1);
		return BACKEND_FOUND;
	}
	if (digest_ha1(q->alg, (struct digest_str){ q->user, q->user_len },
	    (struct digest_str){ q->realm, q->realm_len }, (struct digest_str){ v->p, v->n },
	    none, none, a->ha1) < 0) {
		a->err = "Hash computation failed";
		return BACKEND_FAIL;
	}
	return BACKEND_FOUND;
}

static enum backend_result
file_lookup(void *ctx, const struct backend_query *q, struct backend_answer *a)
{
	struct file_ctx *f = ctx;
	struct htdigest_value v;
	enum backend_result res;

	if (!htdigest_lookup(f->table, q->user, q->user_len, q->realm,
	    q->realm_len, &v))
		return BACKEND_NOT_FOUND;
	res = entry_ha1(q, &v, a);
	if (res == BACKEND_FOUND)
		file_groups_add(&f->groups, q->user, q->user_len, a);
	return res;
}

static void
file_fini(void **ctx)
{
	struct file_ctx *f = *ctx;

	if (f == NULL)
		return;
	htdigest_free(&f->table);
	htdigest_free(&f->fresh);
	file_groups_fini(&f->groups);
	free(f->path);
	free(f);
	*ctx = NULL;
}

const struct backend_ops file_backend = {
	.name = "file",
	.usage = "[options] [-c] [--group-file GROUPFILE] FILE",
	.options_help =
	    "  -c             the last field of each line is an HA1 (htdigest format),\n"
	    "                 not a plaintext password\n"
	    "  --group-file GROUPFILE\n"
	    "                 Apache-format group file (group: user1 user2 ...); each\n"
	    "                 OK reply carries the user's groups as group=\"...\"\n",
	.shortopts = "c",
	.longopts = file_longopts,
	.conf_new = file_conf_new,
	.conf_free = file_conf_free,
	.option = file_option,
	.init = file_init,
	.tick = file_tick,
	.lookup = file_lookup,
	.fini = file_fini,
};
