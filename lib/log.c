/* log.c - stderr logging with the program name. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *progname = "digest-helpers";
static bool debug_on;

void
log_init(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	slash = strrchr(argv0, '/');
	progname = slash != NULL ? slash + 1 : argv0;
}

const char *
log_progname(void)
{
	return progname;
}

void
log_set_debug(bool on)
{
	debug_on = on;
}

bool
log_debug_enabled(void)
{
	return debug_on;
}

static void __attribute__((format(printf, 2, 0)))
log_v(const char *level, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	/* Build the whole line first so it reaches stderr in one write and
	 * cannot interleave with another process sharing cache.log. */
	n = snprintf(line, sizeof(line), "%s: %s", progname, level);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
}

#define LOG_FN(name, level)                     \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		log_v(level, fmt, ap);          \
		va_end(ap);                     \
	}

LOG_FN(log_error, "")
LOG_FN(log_warn, "warning: ")
LOG_FN(log_info, "")

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug_on)
		return;
	va_start(ap, fmt);
	log_v("debug: ", fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v("", fmt, ap);
	va_end(ap);
	exit(1);
}

const char *
log_sanitize(const char *in, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (outlen == 0)
		return out;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		size_t need = (c < 0x20 || c == 0x7f || c == '"' || c == '\\') ? 4 : 1;

		if (o + need + 4 > outlen) {	/* room for "..." and NUL */
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 4) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}
