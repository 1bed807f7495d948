/* clock.h - monotonic time, precise or cheap. */
#ifndef DH_CLOCK_H
#define DH_CLOCK_H

/* Monotonic time in nanoseconds, precise (CLOCK_MONOTONIC): for time-outs
 * and short waits. */
long long clock_now_ns(void);

/* The same from the coarse clock where there is one (a vDSO read, a few
 * milliseconds of resolution): good enough for once-a-second checks. */
long long clock_coarse_ns(void);

#endif
