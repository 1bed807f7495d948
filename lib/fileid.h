/* fileid.h - telling whether a store's file changed.
 *
 * The file and SQLite helpers look at their file at most once a second;
 * a change is any difference in device, inode, size, mtime or ctime (ctime
 * cannot be set back by a user, so a rewrite that restores the mtime is
 * still seen).
 */
#ifndef DH_FILEID_H
#define DH_FILEID_H

#include <stdbool.h>
#include <sys/stat.h>

struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
};

void file_id_of(const struct stat *st, struct file_id *id_r);
bool file_id_equal(const struct file_id *a, const struct file_id *b);


#endif
