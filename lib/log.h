/* log.h - stderr logging with the program name.
 *
 * stdout belongs to the helper protocol; every diagnostic goes to stderr,
 * which Squid copies into cache.log.  Never pass a password, an HA1 or a
 * bind secret to these functions.
 */
#ifndef DH_LOG_H
#define DH_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Set the name printed before every line (the basename of argv0 is kept). */
void log_init(const char *argv0);
const char *log_progname(void);

void log_set_debug(bool on);
bool log_debug_enabled(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "PROGRAM: message" and exit(1): the start-up failure path. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Copy at most len bytes of untrusted text into out (size outlen) so it is
 * safe on one log line: control bytes, '"' and '\\' become \xHH, and long
 * values are cut with "...".  Returns out. */
const char *log_sanitize(const char *in, size_t len, char *out, size_t outlen);

#endif
