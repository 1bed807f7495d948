/* file.h - what the files of the password-file store share. */
#ifndef DH_HELPERS_FILE_H
#define DH_HELPERS_FILE_H

#include <stdbool.h>

#include "backend.h"
#include "groupfile.h"
#include "reload.h"

/* The groups of --group-file, reloaded by the password file's rules. */
struct file_groups {
	char *path;
	struct group_table *table, *fresh;
	struct groupfile_stats stats;	/* of table */
	struct groupfile_stats fresh_stats;
	struct reload watch;
};

/* Load path at start-up.  Returns 0, or -1 with a message in err. */
int file_groups_init(struct file_groups *g, const char *path, char *err,
    size_t errlen);

/* Look at the group file now if due (force: SIGHUP). */
void file_groups_tick(struct file_groups *g, bool force, long long now_ns);

/* Add user's groups to a->notes as group="..." pairs. */
void file_groups_add(const struct file_groups *g, const char *user,
    size_t user_len, struct backend_answer *a);

void file_groups_fini(struct file_groups *g);

#endif
