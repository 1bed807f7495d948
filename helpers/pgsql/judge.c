/* judge.c - the verdict of a finished query.
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

#include "log.h"
#include "pgsql_int.h"
#include "secret.h"

/* A query error is logged once a minute per SQLSTATE: a broken query
 * fails every lookup. */
#define PB_ERR_LOG_INTERVAL_MS 60000

/* Is this condition (an SQLSTATE, or the helper's own code) to be logged
 * now, or was it a moment ago? */
static bool
log_now(struct pb_ctx *x, const char *code)
{
	long long now = pb_now_ms();

	if (strncmp(x->last_state, code, sizeof(x->last_state) - 1) == 0 &&
	    now - x->last_err_ms < PB_ERR_LOG_INTERVAL_MS)
		return false;
	snprintf(x->last_state, sizeof(x->last_state), "%s", code);
	x->last_err_ms = now;
	return true;
}

/* FNV-1a of the user and the realm, to remember whom was logged. */
static uint64_t
name_hash(const struct pb_lookup *s)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < s->user_len; i++)
		h = (h ^ (unsigned char)s->user[i]) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;	/* never a byte of a name */
	for (i = 0; i < s->realm_len; i++)
		h = (h ^ (unsigned char)s->realm[i]) * 1099511628211ULL;
	return h;
}

/* A stored value that is not an HA1: logged once per user (and realm),
 * for the first PB_SEEN_MAX of them; never the value. */
static void
log_malformed(struct pb_ctx *x, const struct pb_lookup *s)
{
	uint64_t h = name_hash(s);
	char u[128], r[128];
	unsigned i;

	for (i = 0; i < x->malformed.n; i++)
		if (x->malformed.h[i] == h)
			return;
	if (x->malformed.n == PB_SEEN_MAX) {
		if (!x->malformed_full)
			log_error("more users with a malformed HA1; they are not logged");
		x->malformed_full = true;
		return;
	}
	x->malformed.h[x->malformed.n++] = h;
	log_error("user \"%s\" realm \"%s\": the stored HA1 is not %zu hex digits; fix that row (logged once per user)",
	    log_sanitize(s->user, s->user_len, u, sizeof(u)),
	    log_sanitize(s->realm, s->realm_len, r, sizeof(r)), 2 * s->alg->len);
}

/* The HA1 from the first column's value v (n bytes), into a->ha1. */
static enum backend_result
take_ha1(struct pb_ctx *x, const struct pb_lookup *s, const char *v,
    size_t n, struct backend_answer *a)
{
	if (x->c->plaintext) {
		if (digest_ha1(s->alg, (struct dstr){ s->user, s->user_len },
		    (struct dstr){ s->realm, s->realm_len },
		    (struct dstr){ v, n }, DSTR(""), DSTR(""), a->ha1) < 0) {
			a->err = "Hash computation failed";
			return BACKEND_FAIL;
		}
		return BACKEND_FOUND;
	}
	if (!digest_is_hex(s->alg, v, n)) {
		log_malformed(x, s);
		a->err = "Stored HA1 is malformed";
		return BACKEND_FAIL;
	}
	digest_hex_lower(v, n, a->ha1);
	return BACKEND_FOUND;
}

/* -q: the columns after the first, as annotations named by the column
 * (checked at setup); a NULL adds nothing. */
static void
add_columns(const PGresult *r, struct notes *nt)
{
	int n = PQnfields(r), i;

	for (i = 1; i < n && nt != NULL; i++) {
		const char *name = PQfname(r, i);

		if (PQgetisnull(r, 0, i) || name == NULL)
			continue;
		(void)notes_add(nt, name, strlen(name), PQgetvalue(r, 0, i),
		    (size_t)PQgetlength(r, 0, i));
	}
}

enum backend_result
pb_judge_row(struct pb_ctx *x, struct pb_lookup *s, PGresult *r,
    struct backend_answer *a)
{
	int rows = PQntuples(r);
	enum backend_result v;
	char u[128], rl[128];
	char *val;
	size_t n;

	if (rows > 1) {
		if (log_now(x, "ROWS"))
			log_error("user \"%s\" realm \"%s\": the query returned %d rows; answering ERR (ambiguous)",
			    log_sanitize(s->user, s->user_len, u, sizeof(u)),
			    log_sanitize(s->realm, s->realm_len, rl, sizeof(rl)), rows);
		return BACKEND_NOT_FOUND;
	}
	if (rows == 0 || PQnfields(r) < 1 || PQgetisnull(r, 0, 0))
		return BACKEND_NOT_FOUND;	/* no row, or no password set */
	if (x->look.kind == PB_LOOKUP && (PQnfields(r) < 2 ||
	    strcmp(PQgetvalue(r, 0, 1), "t") != 0)) {
		if (log_debug_enabled())
			log_debug("user \"%s\" realm \"%s\" is disabled",
			    log_sanitize(s->user, s->user_len, u, sizeof(u)),
			    log_sanitize(s->realm, s->realm_len, rl, sizeof(rl)));
		return BACKEND_NOT_FOUND;
	}
	val = PQgetvalue(r, 0, 0);
	n = (size_t)PQgetlength(r, 0, 0);
	v = take_ha1(x, s, val, n, a);
	secret_wipe(val, n);	/* the HA1 or password, in libpq's result */
	if (v == BACKEND_FOUND && x->look.kind == PB_LOOKUP_CUSTOM)
		add_columns(r, a->notes);
	return v;
}

enum backend_result
pb_judge_groups(const PGresult *r, struct notes *nt)
{
	int rows = PQntuples(r), i;

	for (i = 0; i < rows && nt != NULL; i++)
		if (!PQgetisnull(r, i, 0))
			(void)notes_add(nt, "group", 5, PQgetvalue(r, i, 0),
			    (size_t)PQgetlength(r, i, 0));
	return BACKEND_FOUND;
}

/* A query that failed on a connection that is still fine.  The server's
 * message is logged, except for data exceptions (SQLSTATE class 22),
 * whose messages quote values, which may be stored HA1s or passwords. */
enum backend_result
pb_judge_error(struct pb_ctx *x, const struct pb_lookup *s,
    const PGresult *r, const char **err_r)
{
	const char *st = pb_sqlstate(r);
	bool timeout = strcmp(st, "57014") == 0;

	if (strcmp(st, "22021") == 0) {
		/* a name that is not valid in the client encoding: no row can
		 * hold it (start() catches this for UTF8 already) */
		log_debug("user name or realm is not valid in the client encoding");
		return BACKEND_NOT_FOUND;
	}
	*err_r = timeout ? "PostgreSQL query timed out" : "PostgreSQL query failed";
	if (!log_now(x, st))
		return BACKEND_FAIL;
	if (timeout)
		log_error("PostgreSQL query timed out (-t %d s)", x->c->timeout_s);
	else if (strncmp(st, "22", 2) == 0)
		log_error("PostgreSQL %s failed: a data exception, SQLSTATE %s (its message is not logged: it may quote stored values)",
		    s->have_row ? "group query" : "lookup", st);
	else
		log_error("PostgreSQL %s failed: %s (SQLSTATE %s)",
		    s->have_row ? "group query" : "lookup", pb_primary(r), st);
	return BACKEND_FAIL;
}

/* Is p (n bytes) valid UTF-8?  Overlong forms, surrogates and code
 * points past U+10FFFF are not, as for the server. */
bool
pb_utf8_ok(const char *p, size_t n)
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
