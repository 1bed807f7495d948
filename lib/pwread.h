/* pwread.h - one line of a password (or another secret) from a descriptor,
 * and the terminal it may be typed on: prompted on stderr, not echoed, and
 * restored however the program ends, signals included.
 *
 * digest_passwd and digest_calc read every password through here.  The
 * line goes straight into the caller's buffer, one byte per read(): no
 * stdio buffer keeps a copy, and nothing after the line is consumed.
 */
#ifndef DH_PWREAD_H
#define DH_PWREAD_H

#include <signal.h>
#include <stddef.h>
#include <termios.h>

/* What pwread_line() found. */
enum pwread_result {
	PWREAD_OK = 0,		/* a line (possibly empty) */
	PWREAD_NONE,		/* end of input before any byte */
	PWREAD_LONG,		/* the line did not fit; the rest of it was consumed */
	PWREAD_NUL,		/* the line holds a NUL byte */
	PWREAD_ERROR,		/* read() failed, errno set */
};

/* Flags of pwread_line(). */
#define PWREAD_KEEP_CR	0x1	/* keep a CR before the LF (as htdigest does on a terminal) */
#define PWREAD_KEEP_NUL	0x2	/* a NUL byte is the caller's to judge: no PWREAD_NUL */

/* Read fd up to a LF or its end into buf (cap >= 1 bytes): at most cap - 1
 * bytes, NUL-terminated, their number in *len_r.  The LF is dropped, and a
 * CR before it too unless PWREAD_KEEP_CR.  read() is retried after EINTR.
 * A line that does not fit is PWREAD_LONG however long it is (a CR counts
 * towards cap, as it is dropped afterwards).  Unless PWREAD_OK, buf is
 * wiped (all cap bytes) and *len_r is 0. */
enum pwread_result pwread_line(int fd, char *buf, size_t cap, unsigned flags,
    size_t *len_r);

/* A terminal with its echo turned off, between pwread_tty_begin() and
 * pwread_tty_end().  One at a time per process. */
struct pwread_tty {
	int fd;				/* not owned: the caller opens and closes it */
	struct termios saved;		/* the settings to restore */
	struct sigaction old[4];	/* SIGINT, SIGQUIT, SIGTERM, SIGHUP before */
	struct sigaction old_tstp;	/* SIGTSTP before (ignored meanwhile) */
};

enum pwread_tty_state {
	PWREAD_TTY_OK = 0,	/* echo off; call pwread_tty_end() */
	PWREAD_TTY_NONE,	/* fd is no terminal (tcgetattr failed, errno set): nothing changed */
	PWREAD_TTY_ECHO,	/* echo could not be turned off (errno set); call pwread_tty_end() */
};

/* Save fd's terminal settings and turn its echo off.  Until
 * pwread_tty_end(), SIGINT, SIGQUIT, SIGTERM and SIGHUP (those not ignored)
 * first restore the settings, then end the process by the same signal;
 * SIGTSTP is ignored, so that the shell never gets back a mute terminal. */
enum pwread_tty_state pwread_tty_begin(struct pwread_tty *t, int fd);

/* Print prompt on stderr and pwread_line() from the terminal; then print
 * on stderr the line end the terminal did not echo.  errno is kept. */
enum pwread_result pwread_tty_line(struct pwread_tty *t, const char *prompt,
    char *buf, size_t cap, unsigned flags, size_t *len_r);

/* Restore the settings and the signal actions pwread_tty_begin() changed. */
void pwread_tty_end(struct pwread_tty *t);

#endif
