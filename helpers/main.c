/* main.c - the one main() shared by the helpers.
 *
 * Built once per helper with -DHELPER_BACKEND=<name>_backend: it parses the
 * options every helper has (-d, --realm, --help, -V), hands the rest to the
 * backend, starts it, and runs the request loop until end of input.
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "digest.h"
#include "fdio.h"
#include "log.h"
#include "loop.h"
#include "secret.h"

#ifndef HELPER_BACKEND
#error "build with -DHELPER_BACKEND=<name>_backend"
#endif

extern const struct backend_ops HELPER_BACKEND;

#define MAX_LONGOPTS 64

enum { OPT_HELP = 0x100, OPT_VERSION, OPT_REALM };

static const struct option common_longopts[] = {
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "realm", required_argument, NULL, OPT_REALM },
	{ "debug", no_argument, NULL, 'd' },
};

static void
usage(const struct backend_ops *ops, bool h_is_help)
{
	printf("Usage: %s %s\n"
	    "Answers Squid digest authentication lookups: reads \"user\":\"realm\" lines\n"
	    "on standard input and replies OK ha1=\"...\", ERR or BH on standard output.\n"
	    "\nOptions:\n%s"
	    "  --realm R      answer only for realm R (repeatable); any other realm\n"
	    "                 is ERR without a lookup\n"
	    "  -d, --debug    debug lines on stderr (never a password or an HA1)\n"
	    "  %s     print this help and exit\n"
	    "  -V, --version  print the version and exit\n"
	    "\nSee the %s(8) manual page.\n",
	    log_progname(), ops->usage, ops->options_help,
	    h_is_help ? "-h, --help" : "    --help", log_progname());
}

static void
free_conf(const struct backend_ops *ops, void *conf)
{
	if (ops->conf_free != NULL)
		ops->conf_free(conf);
}

/* What the command line asked for, beyond the backend's own options. */
struct cmdline {
	const char **realms;	/* --realm values */
	size_t nrealms;
	bool done;		/* --help or --version: printed, exit 0 */
};

/* The getopt tables: ours, then the backend's.  -h is help unless the
 * backend takes it (digest_ldap_auth, where -h is the host). */
static bool
build_options(const struct backend_ops *ops, char *shortopts, size_t n,
    struct option *longopts)
{
	bool h_is_help = strchr(ops->shortopts, 'h') == NULL;
	size_t nlong = 0, i;

	snprintf(shortopts, n, ":dV%s%s", h_is_help ? "h" : "", ops->shortopts);
	for (i = 0; i < sizeof(common_longopts) / sizeof(common_longopts[0]); i++)
		longopts[nlong++] = common_longopts[i];
	for (i = 0; ops->longopts != NULL && ops->longopts[i].name != NULL &&
	    nlong < MAX_LONGOPTS; i++)
		longopts[nlong++] = ops->longopts[i];
	memset(&longopts[nlong], 0, sizeof(longopts[nlong]));
	return h_is_help;
}

static void __attribute__((noreturn))
option_error(int opt, char **argv)
{
	if (opt == ':') {
		if (optopt > 0 && optopt < 0x100)
			log_fatal("option -%c needs a value (see --help)", optopt);
		log_fatal("option %s needs a value (see --help)", argv[optind - 1]);
	}
	if (optopt > 0 && optopt < 0x100)
		log_fatal("unknown option -%c (see --help)", optopt);
	if (optopt != 0)	/* a known long option given a value */
		log_fatal("option %s takes no value (see --help)", argv[optind - 1]);
	log_fatal("unknown option %s (see --help)", argv[optind - 1]);
}

/* Parse the command line: common options here, the rest into the
 * backend's configuration.  Errors are fatal (one line, exit 1). */
static void
parse_options(const struct backend_ops *ops, void *conf, int argc,
    char **argv, struct cmdline *cl)
{
	struct option longopts[MAX_LONGOPTS + 1];
	char shortopts[128];
	bool h_is_help = build_options(ops, shortopts, sizeof(shortopts), longopts);
	const char *why = NULL;
	int opt;

	opterr = 0;
	while (!cl->done &&
	    (opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (opt == 'd') {
			log_set_debug(true);
		} else if (opt == 'V' || opt == OPT_VERSION) {
			printf("%s (%s) %s\n", log_progname(), PACKAGE_NAME,
			    PACKAGE_VERSION);
			cl->done = true;
		} else if (opt == OPT_HELP || (opt == 'h' && h_is_help)) {
			usage(ops, h_is_help);
			cl->done = true;
		} else if (opt == OPT_REALM) {
			if (*optarg == '\0')
				log_fatal("--realm needs a non-empty realm");
			cl->realms[cl->nrealms++] = optarg;
		} else if (opt == ':' || opt == '?') {
			option_error(opt, argv);
		} else if (ops->option(conf, opt, optarg, &why) < 0) {
			/* a long option without a letter names itself in why */
			if (opt >= 0x100)
				log_fatal("%s", why);
			log_fatal("option -%c: %s", opt, why);
		}
	}
}

int
main(int argc, char **argv)
{
	const struct backend_ops *ops = &HELPER_BACKEND;
	struct cmdline cl = { 0 };
	struct loop_config cfg;
	char err[1024] = "";
	void *ctx = NULL, *conf;
	int rc;

	secret_no_core();
	fd_sanitise_std();
	log_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	loop_install_signals();

	conf = ops->conf_new != NULL ? ops->conf_new() : NULL;
	cl.realms = xcalloc((size_t)argc + 1, sizeof(*cl.realms));
	parse_options(ops, conf, argc, argv, &cl);
	if (cl.done) {
		free(cl.realms);
		free_conf(ops, conf);
		return 0;
	}
	if (digest_check(digest_alg_md5(), &(const char *){ NULL }) < 0)
		log_fatal("MD5 is not available from OpenSSL (FIPS mode?); digest authentication needs it");
	if (ops->init(&ctx, conf, argc - optind, argv + optind, err,
	    sizeof(err)) < 0)
		log_fatal("%s", err);

	cfg = (struct loop_config){
		.in_fd = STDIN_FILENO,
		.out_fd = STDOUT_FILENO,
		.realms = cl.realms,
		.nrealms = cl.nrealms,
	};
	rc = loop_run(ops, ctx, &cfg);
	ops->fini(&ctx);
	free_conf(ops, conf);
	digest_cleanup();
	free(cl.realms);
	return rc == 0 ? 0 : 1;
}
