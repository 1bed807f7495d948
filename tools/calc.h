/* calc.h - what the digest_calc sub-commands share.
 *
 * digest_calc.c holds main(), the exit paths and the option parsing of every
 * sub-command; calc_input.c the inputs they share (password, stored HA1,
 * server secret, entity body); calc_cmds.c the ha1, response and challenge
 * sub-commands; calc_verify.c the steps of the verify sub-command and
 * calc_verify_opts.c its options (calc_verify.h); calc_helper.c the
 * conversation with a helper.
 */
#ifndef DH_CALC_H
#define DH_CALC_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "digest.h"

/* Exit codes.  ha1, response and challenge fail with 1 like every program
 * of the suite (README.md); verify uses 0 match, 1 mismatch, 2 usage
 * or parse error (digest_calc(1)). */
#define CALC_EXIT_OK		0
#define CALC_EXIT_FAIL		1
#define CALC_EXIT_USAGE		2

/* The longest password line read from standard input. */
#define CALC_PASSWORD_MAX 4096

/* The getopt_long() values of the long options without a short form. */
enum calc_opt {
	OPT_USER = 0x100, OPT_REALM, OPT_NONCE, OPT_METHOD, OPT_URI, OPT_QOP,
	OPT_NC, OPT_CNONCE, OPT_BODY, OPT_HA1, OPT_HA1_FILE, OPT_SECRET,
	OPT_PROXY, OPT_STALE, OPT_USERHASH, OPT_OPAQUE, OPT_HEADER,
	OPT_HELPER, OPT_LIFETIME,
};

/* How a sub-command's options are parsed (calc_options()). */
struct calc_cmd {
	const char *name;		/* "response", for the messages */
	const char *shortopts;		/* for getopt_long(), starting with ':' */
	const struct option *longopts;
	void (*usage)(void);		/* printed by -h and --help */
	int code;			/* the exit code of a usage error */
	bool operands;			/* whether arguments follow the options */
};

/* Hand each option of argv to take(ctx, opt, optarg).  -h and --help print
 * the usage and exit 0; an unknown option, a missing value and (unless
 * cmd->operands) an argument after the options exit with cmd->code.
 * Returns the index of the first argument after the options. */
int calc_options(const struct calc_cmd *cmd, int argc, char **argv,
    void (*take)(void *ctx, int opt, char *arg), void *ctx);

/* Print "digest_calc: message" on stderr and calc_exit(code). */
void calc_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Run what calc_wipe_at_exit() registered, free OpenSSL's state and exit. */
void calc_exit(int code) __attribute__((noreturn));

/* Have calc_exit() call wipe(arg) first, so that no exit path leaves a
 * secret behind; calc_wipe_cancel(arg) undoes it.  At most four at once. */
void calc_wipe_at_exit(void (*wipe)(void *), void *arg);
void calc_wipe_cancel(void *arg);

/* The algorithm named by an -a value; exits with code when unknown. */
const struct digest_alg *calc_alg(const char *name, int code);

/* A non-negative decimal number of at most max; -1 when s is not one. */
long long calc_parse_uint(const char *s, long long max);

/* hex_r = H(user ":" realm ":" password), the stored HA1, with the
 * password read from standard input (one line, not echoed on a terminal);
 * exits with code when there is none or hashing fails. */
void calc_ha1_from_password(const struct digest_alg *alg, struct digest_str user,
    struct digest_str realm, char *hex_r, int code);

/* The longest file --ha1-file reads (the HA1 is its first line). */
#define CALC_HA1_FILE_MAX 4096

/* The stored HA1 of response and verify: given with --ha1 HEX or read with
 * --ha1-file FILE, then loaded into hex (also the buffer verify fills from
 * a helper or a password).  Between calc_ha1_init() and calc_ha1_clear()
 * calc_exit() wipes it too, so no exit path leaves a copy behind. */
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

/* Exit with code when both --ha1 and --ha1-file were given. */
void calc_ha1_one_source(const struct calc_ha1 *h, int code);

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
 * wrong, or, for OK, the annotations that came with the HA1 (never the
 * HA1), made safe for one line.  ha1_r holds DIGEST_HEX_MAX + 1 bytes and
 * is wiped by the caller. */
/* Room for a helper's message, or its annotations (8 KiB at most from
 * our helpers, lib/notes.h). */
#define CALC_HELPER_MSG_MAX 9216

enum helper_answer calc_helper_ask(const char *command, struct digest_str user,
    struct digest_str realm, char *ha1_r, char *msg_r, size_t msglen);

#endif
