/* passwd_import.h - what --import shares between the SQLite, PostgreSQL
 * and MariaDB stores (passwd_import.c, passwd_pgsql_import.c,
 * passwd_mysql_import.c): reading the htdigest file, parsing one of its
 * lines, the set of keys seen, and going down the lines with the warnings
 * about skipped ones and the progress line.
 */
#ifndef DH_PASSWD_IMPORT_H
#define DH_PASSWD_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "digest.h"

/* The counts of an import, and its file's name in messages. */
struct import_count {
	const char *name;
	size_t added, updated, skipped, warnings;
};

/* What a store does with the lines; arg is passed to each. */
struct import_ops {
	/* Import one line (no LF; lineno from 1).  Returns 0, or -1 to stop
	 * the import at once. */
	int (*line)(void *arg, const char *p, size_t n, size_t lineno);
	/* NULL, or true when no more lines are to be read. */
	bool (*stopped)(void *arg);
	/* NULL, or called before each progress line and after the last
	 * line is read. */
	void (*flush)(void *arg);
};

/* Read the file to import (path "-": stdin) whole into *buf_r, which
 * fd_read_all() sizes.  Returns 0, or -1 with the error logged. */
int import_read(const char *path, char **buf_r, size_t *len_r, size_t *cap_r);

/* Parse one line (no LF): the user, the realm, and the HA1 in lower
 * case into ha1 (PASSWD_HA1_SIZE bytes).  Returns NULL, or why the line
 * is skipped: "" for comment and blank lines (skipped silently). */
const char *import_parse(const char *p, size_t n, struct digest_str *user,
    struct digest_str *realm, char *ha1);

/* The (user, realm) keys an import has seen, so that the first line of a
 * key wins: an open-addressing set whose keys point into the file's
 * buffer, sized by import_seen_init for every line of it. */
struct import_seen_key {
	const char *user, *realm;
	size_t user_len, realm_len;
};
struct import_seen {
	struct import_seen_key *k;
	size_t mask;
};
void import_seen_init(struct import_seen *s, const char *buf, size_t len);
/* true when the key is new (and now recorded) */
bool import_seen_add(struct import_seen *s, const char *u, size_t un,
    const char *r, size_t rn);
void import_seen_free(struct import_seen *s);

/* Count a skipped line, with a warning for the first ones. */
void import_skip(struct import_count *c, size_t lineno, const char *why);

/* Every line of buf through ops (the BOM of the first one passed over),
 * a progress line on a terminal now and then, then how many warnings
 * were not shown.  Returns 0, or -1 when ops->line stopped it. */
int import_lines(struct import_count *c, const char *buf, size_t len,
    const struct import_ops *ops, void *arg);

#endif
