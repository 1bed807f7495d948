/* groups.c - --group-file for digest_file_auth: each OK reply carries
 * the user's groups from an Apache-format group file (lib/groupfile.h),
 * which is reloaded by the same rules as the password file
 * (lib/reload.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "file.h"
#include "log.h"
#include "notes.h"
#include "secret.h"

static int
groups_load(void *ctx, const char *path, struct stat *st_r, bool *complete_r,
    char *err, size_t errlen)
{
	struct file_groups *g = ctx;

	if (groupfile_load(path, &g->fresh, &g->fresh_stats, st_r, err, errlen) < 0)
		return -1;
	*complete_r = g->fresh_stats.complete;
	return 0;
}

static void
log_groups(const char *what, const char *path, const struct groupfile_stats *s)
{
	log_info("%s %s: %zu group memberships from %zu lines%s", what, path,
	    s->memberships, s->lines,
	    s->skipped ? " (some lines ignored, see above)" : "");
}

static void
groups_commit(void *ctx)
{
	struct file_groups *g = ctx;

	groupfile_free(&g->table);
	g->table = g->fresh;
	g->fresh = NULL;
	g->stats = g->fresh_stats;
	log_groups("reloaded", g->path, &g->stats);
}

static void
groups_discard(void *ctx)
{
	struct file_groups *g = ctx;

	groupfile_free(&g->fresh);
}

static size_t
groups_count(void *ctx)
{
	const struct file_groups *g = ctx;

	return g->stats.memberships;
}

static const struct reload_ops groups_reload = {
	.load = groups_load,
	.commit = groups_commit,
	.discard = groups_discard,
	.count = groups_count,
	.noun = "group memberships",
};

int
file_groups_init(struct file_groups *g, const char *path, char *err,
    size_t errlen)
{
	struct stat st;

	memset(g, 0, sizeof(*g));
	if (groupfile_load(path, &g->table, &g->stats, &st, err, errlen) < 0)
		return -1;
	g->path = xstrdup(path);
	reload_init(&g->watch, g->path, &st, clock_coarse_ns());
	log_debug("loaded %s: %zu group memberships from %zu lines", g->path,
	    g->stats.memberships, g->stats.lines);
	return 0;
}

void
file_groups_tick(struct file_groups *g, bool force, long long now_ns)
{
	if (g->path != NULL)
		reload_tick(&g->watch, &groups_reload, g, force, now_ns);
}

static void
add_group(void *ctx, const char *group, size_t len)
{
	struct backend_answer *a = ctx;

	(void)notes_add(a->notes, "group", 5, group, len);
}

void
file_groups_add(const struct file_groups *g, const char *user,
    size_t user_len, struct backend_answer *a)
{
	if (g->table != NULL && a->notes != NULL)
		(void)groupfile_groups(g->table, user, user_len, add_group, a);
}

void
file_groups_fini(struct file_groups *g)
{
	groupfile_free(&g->table);
	groupfile_free(&g->fresh);
	free(g->path);
	g->path = NULL;
}
