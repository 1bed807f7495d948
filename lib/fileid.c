/* fileid.c - file identity for reload checks, and a cheap clock. */
#include "config.h"

#include <string.h>

#include "fileid.h"

void
file_id_of(const struct stat *st, struct file_id *id_r)
{
	memset(id_r, 0, sizeof(*id_r));
	id_r->dev = st->st_dev;
	id_r->ino = st->st_ino;
	id_r->size = st->st_size;
	id_r->mtime = st->st_mtim;
	id_r->ctime = st->st_ctim;
}

bool
file_id_equal(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}
