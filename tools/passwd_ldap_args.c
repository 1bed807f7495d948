/* passwd_ldap_args.c - digest_passwd --ldap: the helper's arguments, read
 * with the helper's own option tables and checks (helpers/ldap/conf.c,
 * check.c, servers.c), and who binds.
 *
 * HELPER-ARGS is split at spaces and tabs, as Squid splits the program
 * line of auth_param.  A word in double quotes, with \" and \\ inside,
 * is one word, spaces and all, and may be empty (-l ""): Squid reads
 * such words with configuration_includes_quoted_values on; a working
 * configuration without it has no quotes, since the helper would refuse
 * them.  The first word may be the helper's path, which is skipped.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "passwd_ldap_int.h"
#include "safefile.h"
#include "secret.h"

#define LDPW_MAX_WORDS 256
#define LDPW_OPT_REALM 0x300

/* The quoted word at p (after its opening quote) unescaped in place;
 * returns where the scan goes on, or NULL when the quote is not closed. */
static char *
quoted_word(char *p)
{
	char *w = p;

	for (; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		*w++ = *p;
	}
	if (*p != '"')
		return NULL;
	*w = '\0';
	return p + 1;
}

/* Split s into l->argv (argv[0] the helper's name).  Returns the count,
 * or -1 after logging. */
static int
split_words(struct ldpw *l, const char *s)
{
	char *p, *word;
	int n = 1;

	l->words = xstrdup(s);
	l->words_len = strlen(s);
	l->argv = xcalloc(LDPW_MAX_WORDS + 2, sizeof(char *));
	l->argv[0] = (char *)"digest_ldap_auth";
	for (p = l->words; *p != '\0';) {
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		word = p;
		if (*p == '"') {
			word = p + 1;
			if ((p = quoted_word(p + 1)) == NULL) {
				log_error("--ldap: a quote is not closed");
				return -1;
			}
			if (*p != '\0' && *p != ' ' && *p != '\t') {
				log_error("--ldap: a closing quote must end its word");
				return -1;
			}
		} else {
			p += strcspn(p, " \t");
		}
		if (*p != '\0')
			*p++ = '\0';
		if (n == 1 && *word != '-' && strstr(word, "digest_ldap_auth") != NULL)
			continue;	/* the helper's path, as squid.conf has it */
		if (n > LDPW_MAX_WORDS) {
			log_error("--ldap: more than %d words", LDPW_MAX_WORDS);
			return -1;
		}
		l->argv[n++] = word;
	}
	return n;
}

/* The getopt tables of digest_ldap_auth: its common options, then the
 * store's. */
static void
build_options(char *shortopts, size_t n, struct option *longopts)
{
	static const struct option common[] = {
		{ "realm", required_argument, NULL, LDPW_OPT_REALM },
		{ "debug", no_argument, NULL, 'd' },
	};
	size_t i, k = 0;

	snprintf(shortopts, n, ":d%s", lb_shortopts);
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		longopts[k++] = common[i];
	for (i = 0; lb_longopts[i].name != NULL; i++)
		longopts[k++] = lb_longopts[i];
	memset(&longopts[k], 0, sizeof(longopts[k]));
}

/* One of the helper's own options into l->c.  The helper's -W file is
 * for the reader; with a writer (--bind-dn) an unreadable one is not
 * fatal: the writer finds the user instead.  0, or -1 after logging. */
static int
take_option(struct ldpw *l, int opt, bool writer)
{
	const char *why = NULL;

	if (lb_option(l->c, opt, optarg, &why) == 0)
		return 0;
	if (opt == 'W' && writer) {
		log_warn("--ldap: option -W: %s; finding the user as --bind-dn instead",
		    why);
		l->reader_unusable = true;
		return 0;
	}
	log_error("--ldap: option -%c: %s", opt, why);
	return -1;
}

/* The options of HELPER-ARGS into l->c; returns where the servers begin,
 * or -1 after logging. */
static int
parse_options(struct ldpw *l, int argc, bool writer)
{
	struct option longopts[16];
	char shortopts[128];
	int opt;

	build_options(shortopts, sizeof(shortopts), longopts);
	l->realms = xcalloc((size_t)argc, sizeof(char *));
	optind = 0;	/* GNU getopt: start afresh on another vector */
	opterr = 0;
	while ((opt = getopt_long(argc, l->argv, shortopts, longopts,
	    NULL)) != -1) {
		if (opt == 'd') {
			log_set_debug(true);
		} else if (opt == LDPW_OPT_REALM) {
			l->realms[l->nrealms++] = optarg;
		} else if (opt == ':' || opt == '?') {
			if (optopt > 0 && optopt < 0x100)
				log_error("--ldap: option -%c of digest_ldap_auth %s",
				    optopt, opt == ':' ? "needs a value" : "is unknown");
			else
				log_error("--ldap: option %s of digest_ldap_auth %s",
				    l->argv[optind - 1], opt == ':' ? "needs a value" :
				    "is unknown");
			return -1;
		} else if (take_option(l, opt, writer) < 0) {
			return -1;
		}
	}
	return optind;
}

/* The helper would answer for req's realm: -r and --realm allow it. */
static int
realm_answered(const struct ldpw *l, const char *realm)
{
	size_t i;

	if (*l->c->delim != '\0' && strstr(realm, l->c->delim) != NULL) {
		log_error("the realm holds the helper's delimiter \"%s\" (-l): its values could not be told from another realm's",
		    l->c->delim);
		return -1;
	}

	if (l->c->realm != NULL && strcmp(l->c->realm, realm) != 0) {
		log_error("the helper answers only realm \"%s\" (-r): a value for another realm would never be used",
		    l->c->realm);
		return -1;
	}
	for (i = 0; i < l->nrealms; i++)
		if (strcmp(l->realms[i], realm) == 0)
			return 0;
	if (l->nrealms > 0) {
		log_error("the helper's --realm list does not hold this realm: a value for it would never be used");
		return -1;
	}
	return 0;
}

/* Who binds.  The reader is the helper's own -D and -W; the writer is
 * --bind-dn with --bind-secret-file or a prompt, else the reader. */
static int
bind_secret(struct ldpw *l, const struct passwd_req *req)
{
	char err[1024], prompt[PASSWD_SHOW_SIZE + 32], shown[PASSWD_SHOW_SIZE];
	struct ldpw_who *w = &l->writer;

	l->reader.dn = l->c->binddn;
	if (l->c->secret != NULL)
		l->reader.secret = xstrdup(l->c->secret);
	if (req->bind_dn == NULL) {
		*w = (struct ldpw_who){ l->reader.dn, l->reader.secret != NULL ?
		    xstrdup(l->reader.secret) : NULL };
		return 0;
	}
	w->dn = req->bind_dn;
	if (req->bind_secret_file == NULL) {
		snprintf(prompt, sizeof(prompt), "LDAP password for %s: ",
		    passwd_show(req->bind_dn, shown));
		if (passwd_prompt_secret(prompt, &w->secret) < 0)
			return -1;
	} else if (safe_read_secret_line(req->bind_secret_file,
	    "the bind secret file", &w->secret, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	if (*w->secret == '\0') {
		log_error("the --bind-dn password is empty (that would be an unauthenticated bind)");
		return -1;
	}
	if (l->reader_unusable) {
		secret_replace(&l->reader.secret, w->secret);
		l->reader.dn = w->dn;
	}
	return 0;
}

int
ldpw_setup(struct ldpw *l, const struct passwd_req *req)
{
	char err[1024];
	int argc, first;

	*l = (struct ldpw){ .c = lb_conf_new() };
	argc = split_words(l, req->path);
	/* the copy is split; the arguments in ps may hold a -w secret */
	secret_wipe((char *)req->path, strlen(req->path));
	if (argc < 0 ||
	    (first = parse_options(l, argc, req->bind_dn != NULL)) < 0)
		return -1;
	l->uri = lb_servers(l->c, argc - first, l->argv + first, &l->nuri, err,
	    sizeof(err));
	if (l->uri == NULL || lb_conf_check(l->c, err, sizeof(err)) < 0) {
		log_error("--ldap: %s", err);
		return -1;
	}
	if (req->realm != NULL && realm_answered(l, req->realm) < 0)
		return -1;
	l->attrs = lb_query_attrs(l->c, &l->nexact);
	return bind_secret(l, req);
}

void
ldpw_close(struct ldpw *l)
{
	ldpw_disconnect(l);
	secret_replace(&l->reader.secret, NULL);
	secret_replace(&l->writer.secret, NULL);
	lb_query_attrs_free(l->attrs);
	lb_servers_free(l->uri, l->nuri);
	lb_conf_free(l->c);
	obuf_free(&l->scratch);
	free(l->realms);
	free(l->argv);
	if (l->words != NULL)	/* may hold a -w secret */
		secret_wipe(l->words, l->words_len);
	free(l->words);
	*l = (struct ldpw){ 0 };
}

