/* calc.h - what the digest_calc sub-commands share.
 *
 * digest_calc.c holds main() and the shared input helpers, calc_cmds.c the
 * ha1, response and challenge sub-commands, calc_verify.c the verify
 * sub-command and calc_helper.c the conversation with a helper.
 */
#ifndef DH_CALC_H
#define DH_CALC_H

#include <stdbool.h>
#include <stddef.h>

#include "digest.h"

/* Exit codes.  ha1, response and challenge fail with 1 like every program
 * of the suite (SPEC section 2); verify uses 0 match, 1 mismatch, 2 usage
 * or parse error (SPEC section 8). */
#define CALC_EXIT_OK		0
#define CALC_EXIT_FAIL		1
#define CALC_EXIT_USAGE		2

/* The longest password line read from standard input. */
#define CALC_PASSWORD_MAX 4096

/* Print "digest_calc: message" on stderr and exit with code. */
void calc_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* The algorithm named by an -a value; exits with code when unknown. */
const struct digest_alg *calc_alg(const char *name, int code);

/* Read one line from standard input into buf (cap bytes, NUL-terminated;
 * the LF and a CR before it are dropped).  On a terminal the input is not
 * echoed.  Returns 0 and *len_r, or -1 with *err_r a static reason (no
 * input, line too long, NUL byte).  The caller wipes buf. */
int calc_read_password(char *buf, size_t cap, size_t *len_r,
    const char **err_r);

/* The longest file --ha1-file reads (the HA1 is its first line). */
#define CALC_HA1_FILE_MAX 4096

/* The stored HA1 of response and verify: given with --ha1 HEX or read with
 * --ha1-file FILE, then loaded into hex (also the buffer verify fills from
 * a helper or a password).  Between calc_ha1_init() and calc_ha1_clear()
 * calc_die() wipes it too, so no exit path leaves a copy behind. */
struct calc_ha1 {
	char *arg;		/* a copy of --ha1's value (argv's is wiped) */
	const char *file;	/* --ha1-file's path; "-" is standard input */
	char hex[DIGEST_HEX_MAX + 1];
};

void calc_ha1_init(struct calc_ha1 *h);

/* --ha1 HEX: copy arg, overwrite it in argv so that ps and
 * /proc/PID/cmdline no longer show it, and warn that they could. */
void calc_ha1_take_arg(struct calc_ha1 *h, char *arg);

/* Whether --ha1 or --ha1-file was given. */
bool calc_ha1_given(const struct calc_ha1 *h);

/* Check the HA1 of --ha1 or --ha1-file (read now, with safe_read_small():
 * the first line of the file, or one line of standard input for "-")
 * against alg and put it in lowercase into h->hex.  Returns 0, or -1 with
 * a one-line message in msg (msglen bytes) when it is unreadable or not
 * 2 * alg->len hex digits. */
int calc_ha1_load(struct calc_ha1 *h, const struct digest_alg *alg,
    char *msg, size_t msglen);

/* Wipe and free everything h holds. */
void calc_ha1_clear(struct calc_ha1 *h);

/* Read the server secret from path (a trailing line end is dropped), with
 * safe_read_small(): a FIFO, a device or a link planted in a sticky
 * world-writable directory is refused.  Returns a buffer the caller owns
 * and frees with secret_free(p, *len_r); exits with code when the file is
 * unreadable, too short or too long. */
unsigned char *calc_read_secret(const char *path, size_t *len_r, int code);

/* hex_r = H(contents of path), or H("") when path is NULL; exits with code
 * when the file cannot be read. */
void calc_hash_body(const struct digest_alg *alg, const char *path,
    char *hex_r, int code);

/* A non-negative decimal number of at most max; -1 when s is not one. */
long long calc_parse_uint(const char *s, long long max);

int calc_cmd_ha1(int argc, char **argv);
int calc_cmd_response(int argc, char **argv);
int calc_cmd_challenge(int argc, char **argv);
int calc_cmd_verify(int argc, char **argv);

enum helper_answer {
	HELPER_OK,	/* ha1_r holds 32 lowercase hex digits */
	HELPER_ERR,	/* the store has no such user (for that realm) */
	HELPER_BH,	/* the helper could not tell */
	HELPER_FAILED,	/* no usable answer: did not start, died, timed out */
};

/* Run command with /bin/sh -c, send it one request line exactly as Squid
 * does ("user":"realm" LF, no channel ID), read one reply line and close
 * its input.  msg_r (msglen bytes) gets the helper's message, or what went
 * wrong, made safe for one line.  ha1_r holds DIGEST_HEX_MAX + 1 bytes and
 * is wiped by the caller. */
enum helper_answer calc_helper_ask(const char *command, struct dstr user,
    struct dstr realm, char *ha1_r, char *msg_r, size_t msglen);

#endif
