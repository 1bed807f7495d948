/* backoff.c - the back-off between connection attempts (see backoff.h). */
#include "config.h"

#include "backoff.h"

void
backoff_next(int *backoff_ms, long long *retry_at_ms, long long now)
{
	if (*backoff_ms == 0) {
		*backoff_ms = BACKOFF_MIN_MS;
		*retry_at_ms = now;
		return;
	}
	*backoff_ms = *backoff_ms * 2 > BACKOFF_MAX_MS ?
	    BACKOFF_MAX_MS : *backoff_ms * 2;
	*retry_at_ms = now + *backoff_ms;
}
