/* calc_verify.h - the options of digest_calc verify (calc_verify_opts.c),
 * for its steps (calc_verify.c). */
#ifndef DH_CALC_VERIFY_H
#define DH_CALC_VERIFY_H

#include "calc.h"

/* What the options say; a NULL string is an option not given. */
struct verify_opts {
	const char *method;
	const char *header;
	struct calc_ha1 ha1;	/* --ha1 or --ha1-file, and the HA1 used */
	const char *helper;
	const char *secret_file;
	const char *body_file;
	const char *uri;
	const char *realm;
	const char *user;
	unsigned long lifetime;
};

/* Parse verify's argv into *o, which calc_cmd_verify() zeroed and whose
 * ha1 it initialised (calc_ha1_init()).  -h prints the usage and exits 0;
 * a usage error exits with CALC_EXIT_USAGE. */
void calc_verify_options(int argc, char **argv, struct verify_opts *o);

#endif
