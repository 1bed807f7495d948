/* groupfile.h - Apache's AuthGroupFile format: which groups a user is in.
 *
 * Lines:  group: user1 user2 ...
 * The group name is what comes before the first ':', without the blanks
 * around it; members are separated by spaces or tabs.  A group may have
 * several lines, whose members add up; a user listed twice in one group
 * is in it once.  '#' lines and blank lines are ignored, and a trailing CR
 * is dropped.  Groups are realm-independent, as in Apache
 * (mod_authz_groupfile).
 */
#ifndef DH_GROUPFILE_H
#define DH_GROUPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct group_table;

struct groupfile_stats {
	size_t lines;		/* lines seen */
	size_t groups;		/* lines naming a group */
	size_t memberships;	/* (user, group) pairs, repeats counted once */
	size_t skipped;		/* lines that did not parse (warned) */
	bool complete;		/* empty, or the last line ends with LF */
};

/* Read path (a regular file, opened as lib/safefile.h describes) into a
 * new table.  Lines that do not parse are skipped with a warning naming
 * their line number.  Returns 0, or -1 with a message in err and errno
 * set. */
int groupfile_load(const char *path, struct group_table **t_r,
    struct groupfile_stats *stats_r, struct stat *st_r, char *err,
    size_t errlen);

/* Build a table from buf[0..len), which it takes (malloc'd; wiped and
 * freed with the table).  name is used in warnings. */
struct group_table *groupfile_parse(char *buf, size_t len, const char *name,
    struct groupfile_stats *stats_r);

typedef void groupfile_fn(void *ctx, const char *group, size_t len);

/* Call fn once for each group of user, ordered by group name.  Returns
 * how many. */
size_t groupfile_groups(const struct group_table *t, const char *user,
    size_t user_len, groupfile_fn *fn, void *ctx);

void groupfile_free(struct group_table **t);

#endif
