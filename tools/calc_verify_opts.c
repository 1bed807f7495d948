/* calc_verify_opts.c - the options of digest_calc verify. */
#include "config.h"

#include <stdio.h>

#include "calc.h"
#include "calc_verify.h"
#include "log.h"

/* How long a nonce made by 'digest_calc challenge' stays fresh, unless
 * --nonce-lifetime says otherwise.  Five minutes: between nginx's
 * auth_digest_timeout (60 s) and Squid's nonce_max_duration (30 min). */
#define VERIFY_NONCE_LIFETIME 300

/* The longest --nonce-lifetime: ten years is "never stale" for a capture. */
#define VERIFY_NONCE_LIFETIME_MAX (10LL * 366 * 24 * 3600)

static void
verify_usage(void)
{
	printf("Usage: digest_calc verify --method M --header 'Authorization: Digest ...'\n"
	    "           [--ha1 HEX | --ha1-file F | --helper 'COMMAND'] [--secret-file F]\n"
	    "           [--nonce-lifetime S] [--body-file F] [--uri URI] [--realm R]\n"
	    "           [--user U] [-d]\n"
	    "Checks a captured Authorization or Proxy-Authorization header and prints\n"
	    "one line saying why it is accepted or not.  Without --ha1, --ha1-file or\n"
	    "--helper the password is read from standard input (one line).\n"
	    "Exit status: 0 the response matches, 1 it does not (the line says why),\n"
	    "2 usage error or a header that does not parse.\n"
	    "\nOptions:\n"
	    "  --method M          the request method (GET, CONNECT, ...)\n"
	    "  --header H          the header, with or without its name; a leading\n"
	    "                      '> ' as curl -v prints it is ignored\n"
	    "  --ha1-file F        the stored HA1 = H(user:realm:password): the first\n"
	    "                      line of F, or one line of standard input when F is -\n"
	    "  --ha1 HEX           the same on the command line, where ps shows it\n"
	    "                      until it is wiped (a warning says so)\n"
	    "  --helper COMMAND    ask this helper for the HA1 as Squid does, e.g.\n"
	    "                      '/usr/lib/squid/digest_file_auth -c /etc/squid/digest.pw'\n"
	    "  --secret-file F     check the nonce against this server secret\n"
	    "  --nonce-lifetime S  seconds a nonce stays fresh (default %d)\n"
	    "  --body-file F       the request body, for qop=auth-int (default: empty)\n"
	    "  --uri URI           the request URI: it must equal the header's uri\n"
	    "  --realm R           the realm the server asked for\n"
	    "  --user U            the user name; needed when the header has userhash=true\n"
	    "  -d, --debug         debug lines on stderr (never a password or an HA1)\n"
	    "  -h, --help          print this help and exit\n",
	    VERIFY_NONCE_LIFETIME);
}

static void
verify_take(void *ctx, int opt, char *arg)
{
	struct verify_opts *o = ctx;
	long long v;

	switch (opt) {
	case OPT_METHOD:
		o->method = arg;
		break;
	case OPT_HEADER:
		o->header = arg;
		break;
	case OPT_HA1:
		calc_ha1_take_arg(&o->ha1, arg);
		break;
	case OPT_HA1_FILE:
		o->ha1.file = arg;
		break;
	case OPT_HELPER:
		o->helper = arg;
		break;
	case OPT_SECRET:
		o->secret_file = arg;
		break;
	case OPT_LIFETIME:
		v = calc_parse_uint(arg, VERIFY_NONCE_LIFETIME_MAX);
		if (v < 0)
			calc_die(CALC_EXIT_USAGE, "--nonce-lifetime needs a "
			    "number of seconds");
		o->lifetime = (unsigned long)v;
		break;
	case OPT_BODY:
		o->body_file = arg;
		break;
	case OPT_URI:
		o->uri = arg;
		break;
	case OPT_REALM:
		o->realm = arg;
		break;
	case OPT_USER:
		o->user = arg;
		break;
	case 'd':
		log_set_debug(true);
		break;
	}
}

void
calc_verify_options(int argc, char **argv, struct verify_opts *o)
{
	static const struct option longopts[] = {
		{ "method", required_argument, NULL, OPT_METHOD },
		{ "header", required_argument, NULL, OPT_HEADER },
		{ "ha1", required_argument, NULL, OPT_HA1 },
		{ "ha1-file", required_argument, NULL, OPT_HA1_FILE },
		{ "helper", required_argument, NULL, OPT_HELPER },
		{ "secret-file", required_argument, NULL, OPT_SECRET },
		{ "nonce-lifetime", required_argument, NULL, OPT_LIFETIME },
		{ "body-file", required_argument, NULL, OPT_BODY },
		{ "uri", required_argument, NULL, OPT_URI },
		{ "realm", required_argument, NULL, OPT_REALM },
		{ "user", required_argument, NULL, OPT_USER },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct calc_cmd cmd = {
		.name = "verify", .shortopts = ":dh", .longopts = longopts,
		.usage = verify_usage, .code = CALC_EXIT_USAGE,
	};

	o->lifetime = VERIFY_NONCE_LIFETIME;
	calc_options(&cmd, argc, argv, verify_take, o);
	if (o->method == NULL || o->header == NULL)
		calc_die(CALC_EXIT_USAGE, "verify needs --method and --header");
	calc_ha1_one_source(&o->ha1, CALC_EXIT_USAGE);
	if (o->ha1.arg != NULL && o->helper != NULL)
		calc_die(CALC_EXIT_USAGE, "--ha1 and --helper exclude each other");
	if (o->ha1.file != NULL && o->helper != NULL)
		calc_die(CALC_EXIT_USAGE, "--ha1-file and --helper exclude each other");
}
