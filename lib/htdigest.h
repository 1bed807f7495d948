/* htdigest.h - the password-file format (SPEC section 4): parse, look up.
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
 * The table keeps the fields (not the file) in one arena, with one hash
 * table over it sized from the file, built in one pass over the file.
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

struct htdigest_stats {
	size_t lines;		/* lines seen */
	size_t entries;		/* entries in the table */
	size_t skipped;		/* lines that did not parse (warned) */
	size_t duplicates;	/* later entries for a key already seen */
	bool complete;		/* empty, or the last line ends with LF */
};

/* Build a table from buf[0..len).  Takes ownership of buf (allocated with
 * malloc), which is wiped when the table is freed.  Bad lines are skipped
 * with a warning naming "name:line" (never a field).  Never fails. */
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
