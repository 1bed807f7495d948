/* judge.c - the verdict on a lookup's row, the same for every engine.
 *
 * The lookup's first row, first column is the HA1 (32 hex digits, either
 * case), or with --plaintext the password, from which the HA1 is computed
 * for the requested user and realm.  No row, or NULL, is ERR; more than
 * one row is ERR too (ambiguous, logged).  Anything but an HA1 is BH,
 * never OK.  -q's further columns are annotations named by the column,
 * and each row of the group query a group="..." annotation.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "secret.h"
#include "sql.h"

/* A condition is logged once a minute: a broken query fails every
 * lookup. */
#define SQL_ERR_LOG_INTERVAL_MS 60000

bool
sql_log_now(struct sql_judge *j, const char *code)
{
	long long now = clock_now_ns() / 1000000;

	if (strncmp(j->last_code, code, sizeof(j->last_code) - 1) == 0 &&
	    now - j->last_err_ms < SQL_ERR_LOG_INTERVAL_MS)
		return false;
	snprintf(j->last_code, sizeof(j->last_code), "%s", code);
	j->last_err_ms = now;
	return true;
}

/* FNV-1a of the user and the realm, to remember whom was logged. */
static uint64_t
name_hash(const struct sql_who *w)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < w->user_len; i++)
		h = (h ^ (unsigned char)w->user[i]) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;	/* never a byte of a name */
	for (i = 0; i < w->realm_len; i++)
		h = (h ^ (unsigned char)w->realm[i]) * 1099511628211ULL;
	return h;
}

/* A stored value that is not an HA1: logged once per user (and realm),
 * for the first SQL_SEEN_MAX of them; never the value. */
static void
log_malformed(struct sql_judge *j, const struct sql_who *w)
{
	uint64_t h = name_hash(w);
	char u[128], r[128];
	unsigned i;

	for (i = 0; i < j->nseen; i++)
		if (j->seen[i] == h)
			return;
	if (j->nseen == SQL_SEEN_MAX) {
		if (!j->seen_full)
			log_error("more users with a malformed HA1; they are not logged");
		j->seen_full = true;
		return;
	}
	j->seen[j->nseen++] = h;
	log_error("user \"%s\" realm \"%s\": the stored HA1 is not %zu hex digits; fix that row (logged once per user)",
	    log_sanitize(w->user, w->user_len, u, sizeof(u)),
	    log_sanitize(w->realm, w->realm_len, r, sizeof(r)), 2 * w->alg->len);
}

/* The HA1 from the first column's value v, into a->ha1. */
static enum backend_result
take_ha1(struct sql_judge *j, const struct sql_who *w,
    const struct sql_val *v, struct backend_answer *a)
{
	if (j->c->plaintext) {
		if (digest_ha1(w->alg, (struct digest_str){ w->user, w->user_len },
		    (struct digest_str){ w->realm, w->realm_len },
		    (struct digest_str){ v->p, v->n }, DIGEST_STR(""), DIGEST_STR(""), a->ha1) < 0) {
			a->err = "Hash computation failed";
			return BACKEND_FAIL;
		}
		return BACKEND_FOUND;
	}
	if (!digest_is_hex(w->alg, v->p, v->n)) {
		log_malformed(j, w);
		a->err = "Stored HA1 is malformed";
		return BACKEND_FAIL;
	}
	digest_hex_lower(v->p, v->n, a->ha1);
	return BACKEND_FOUND;
}

enum backend_result
sql_judge_row(struct sql_judge *j, enum sql_kind kind, const struct sql_who *w,
    unsigned long long rows, const struct sql_val *first, bool enabled,
    struct backend_answer *a)
{
	char u[128], rl[128];

	if (rows > 1) {
		if (sql_log_now(j, "ROWS"))
			log_error("user \"%s\" realm \"%s\": the query returned %llu rows; answering ERR (ambiguous)",
			    log_sanitize(w->user, w->user_len, u, sizeof(u)),
			    log_sanitize(w->realm, w->realm_len, rl, sizeof(rl)), rows);
		return BACKEND_NOT_FOUND;
	}
	if (rows == 0 || first == NULL || first->null)
		return BACKEND_NOT_FOUND;	/* no row, or no password set */
	if ((kind == SQL_LOOKUP || kind == SQL_LOOKUP_GROUPS) && !enabled) {
		if (log_debug_enabled())
			log_debug("user \"%s\" realm \"%s\" is disabled",
			    log_sanitize(w->user, w->user_len, u, sizeof(u)),
			    log_sanitize(w->realm, w->realm_len, rl, sizeof(rl)));
		return BACKEND_NOT_FOUND;
	}
	return take_ha1(j, w, first, a);
}

void
sql_add_note(struct notes *nt, const char *name, const struct sql_val *v)
{
	if (nt == NULL || name == NULL || v->null)
		return;
	(void)notes_add(nt, name, strlen(name), v->p, v->n);
}

bool
sql_utf8_ok(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0, k, len;
	unsigned cp, min;

	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		len = u[i] >= 0xf0 ? 4 : u[i] >= 0xe0 ? 3 : u[i] >= 0xc0 ? 2 : 0;
		if (len == 0 || u[i] >= 0xf8 || i + len > n)
			return false;
		cp = u[i] & (0x7f >> len);
		for (k = 1; k < len; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}
