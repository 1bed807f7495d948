/* htdigest.h - the password-file format (digest_file_auth(8)): parse, look up.
 *
 * Lines:  user:password         plaintext, any realm
 *         user:realm:password   plaintext, that realm only
 *         user:realm:HA1        with ha1_mode (-c), htdigest's format
 *         user:HA1              with ha1_mode, any realm
 *         ...:{HHA1}<hex>       an HA1 with or without ha1_mode
 * '#' lines, blank lines and lines starting with a space or tab are
 * ignored.  The last field runs to the end of the line, so a password may
 * contain ':' when a realm is given.  A trailing CR is dropped.
 *
 * Fields are at most HTDIGEST_FIELD_MAX bytes.  The loader drops a UTF-8
 * byte-order mark at the start of the file, with a warning.
 *
 * The table (htable.h) keeps the fields, not the file, in one arena, with
 * one hash table over it sized from the file, built in one pass over the
 * file.
 */
#ifndef DH_HTDIGEST_H
#define DH_HTDIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct htdigest_table;

enum htdigest_kind {
	HTDIGEST_PLAIN,		/* value is the password */
	HTDIGEST_HA1,		/* value is hex H(user:realm:password) */
};

struct htdigest_value {
	enum htdigest_kind kind;
	const char *p;		/* points into the table: do not keep */
	size_t n;
};

#define HTDIGEST_FIELD_MAX 65535

/* What can be wrong with a line, in the order the loader checks them: it
 * warns about the first one set (digest_passwd --import has its own). */
enum htdigest_bad {
	HTDIGEST_BAD_NUL = 1 << 0,	/* a NUL byte */
	HTDIGEST_BAD_FORM = 1 << 1,	/* no ':' (no other field is checked) */
	HTDIGEST_BAD_USER = 1 << 2,	/* empty user */
	HTDIGEST_BAD_LONG = 1 << 3,	/* user or realm over HTDIGEST_FIELD_MAX */
	HTDIGEST_BAD_REALM = 1 << 4,	/* empty realm: user::value */
	HTDIGEST_BAD_EMPTY = 1 << 5,	/* empty last field */
	HTDIGEST_BAD_HA1 = 1 << 6,	/* an HA1 that is not 32 hex digits */
	HTDIGEST_BAD_VALUE_LONG = 1 << 7, /* value over HTDIGEST_FIELD_MAX */
};

/* One line split into its fields; the pointers point into the line. */
struct htdigest_line {
	const char *user;
	size_t user_len;
	const char *realm;	/* NULL: no realm field (user:value) */
	size_t realm_len;
	const char *value;	/* the last field, without "{HHA1}" */
	size_t value_len;
	enum htdigest_kind kind; /* HA1 with ha1_mode or "{HHA1}" */
	unsigned bad;		/* enum htdigest_bad bits; 0: an entry */
};

/* A UTF-8 byte-order mark (a Windows editor's) at the start of the first
 * line p[0..n) would become part of the first user's name: skip it, with
 * a warning naming the file.  Returns true when there was one. */
bool htdigest_skip_bom(const char **p, size_t *n, const char *name);

/* Split one line p[0..n) (without its LF) by the rules above, as the
 * table's loader does.  Returns false for a line that readers skip
 * silently (blank, comment, indented); else fills *l_r. */
bool htdigest_parse_line(const char *p, size_t n, bool ha1_mode,
    struct htdigest_line *l_r);

struct htdigest_stats {
	size_t lines;		/* lines seen */
	size_t entries;		/* entries in the table */
	size_t skipped;		/* lines that did not parse (warned) */
	size_t duplicates;	/* later entries for a key already seen */
	bool complete;		/* empty, or the last line ends with LF */
};

/* Build a table from buf[0..len).  Takes ownership of buf (allocated with
 * malloc), which is wiped and freed before it returns.  Bad lines are
 * skipped with a warning naming "name:line" (never a field).  Never
 * fails. */
struct htdigest_table *htdigest_parse(char *buf, size_t len, bool ha1_mode,
    const char *name, struct htdigest_stats *st_r);

/* Read and parse a whole file.  On success returns 0, sets *t_r and fills
 * *st_r (from fstat of the file that was read, taken before reading).
 * On failure returns -1 with a one-line reason in err_r and errno set. */
int htdigest_load(const char *path, bool ha1_mode,
    struct htdigest_table **t_r, struct htdigest_stats *stats_r,
    struct stat *st_r, char *err_r, size_t errlen);

/* Find the entry for user and realm, then the realm-less entry for user.
 * Returns true and fills *v_r when one exists. */
bool htdigest_lookup(const struct htdigest_table *t, const char *user,
    size_t user_len, const char *realm, size_t realm_len,
    struct htdigest_value *v_r);

size_t htdigest_count(const struct htdigest_table *t);

/* Call fn for each entry in the table (the first line of each key: not
 * the later duplicates), in file order.  realm is NULL for a realm-less
 * entry; the value is never passed. */
typedef void htdigest_entry_fn(const char *user, size_t user_len,
    const char *realm, size_t realm_len, void *ctx);
void htdigest_foreach(const struct htdigest_table *t, htdigest_entry_fn *fn,
    void *ctx);

/* Wipe and free; clears *t. */
void htdigest_free(struct htdigest_table **t);

#endif
