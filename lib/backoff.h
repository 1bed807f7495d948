/* backoff.h - the back-off between connection attempts of a helper that
 * keeps one connection to its server (digest_ldap_auth,
 * digest_pgsql_auth).
 *
 * The first retry comes quickly (a restarted server is back within a
 * second), then the wait doubles so a dead server is not hammered by
 * every helper of every proxy.
 */
#ifndef DH_BACKOFF_H
#define DH_BACKOFF_H

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000

/* No connection at now (ms): set when the next attempt may come.  With
 * *backoff_ms 0 (a connection that was fine until now) one attempt is
 * allowed at once and the back-off starts at BACKOFF_MIN_MS; else it
 * doubles, up to BACKOFF_MAX_MS, and the attempt waits that long. */
void backoff_next(int *backoff_ms, long long *retry_at_ms, long long now);

#endif
