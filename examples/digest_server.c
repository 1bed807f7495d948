/* digest_server.c - a tiny HTTP/1.1 server that asks for Digest logins,
 * written against the installed libdigestauth API only (digestauth(3)).
 *
 *   digest_server [-a ALGORITHM] [-l SECONDS] [-r REALM] PORT USER PASSWORD
 *
 * It listens on 127.0.0.1:PORT, serves one request per connection, one
 * connection at a time, and answers every request:
 *
 *   200  right credentials (qop=auth) with a fresh nonce and a new nc
 *   401  no credentials, a wrong user or password, a forged nonce, or a
 *        nonce-count already used (a replay): a new challenge
 *   401  with stale=true: the nonce is ours but older than -l SECONDS
 *        (default 300), so the client retries with the new nonce alone
 *
 * The challenge offers MD5 and SHA-256 as two WWW-Authenticate headers,
 * or only the algorithm -a names.  Nonces are stateless
 * (digest_nonce_make with a random per-run secret); replays are caught by
 * a nonce-count tracker.
 * An example, not a web server: no keep-alive, no body, no timeouts, and
 * the password is on the command line (a real server keeps HA1s).
 *
 * Build it with examples/Makefile (pkg-config digestauth); run it and log
 * in with curl --digest -u USER:PASSWORD http://127.0.0.1:PORT/.
 * tests/example_curl.sh does both and checks every answer above.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <digestauth/digestauth.h>

#define REQ_MAX 16384

struct server {
	const char *user, *password, *realm;
	const struct digest_alg *algs[2];	/* offered, preferred first */
	size_t nalgs;
	unsigned long lifetime;			/* nonce lifetime, seconds */
	unsigned char secret[32];		/* nonce HMAC key, this run only */
	struct digest_nonce_tracker *tracker;
};

/* One request: the method and target of its request line, and the value
 * of its Authorization header (NULL when absent), all pointing into buf. */
struct request {
	char buf[REQ_MAX + 1];
	const char *method, *uri, *authz;
};

static void
usage(void)
{
	fprintf(stderr, "usage: digest_server [-a ALGORITHM] [-l SECONDS] "
	    "[-r REALM] PORT USER PASSWORD\n");
	exit(2);
}

/* Read until the blank line that ends the header (or REQ_MAX bytes), then
 * split the request line and find Authorization.  Returns 0 or -1. */
static int
read_request(int fd, struct request *rq)
{
	size_t len = 0;
	char *line, *next, *sp;

	memset(rq, 0, sizeof(*rq));
	while (strstr(rq->buf, "\r\n\r\n") == NULL) {
		ssize_t n = read(fd, rq->buf + len, REQ_MAX - len);

		if (n <= 0)
			return -1;
		len += (size_t)n;
		rq->buf[len] = '\0';
		if (len == REQ_MAX)
			return -1;
	}
	*strstr(rq->buf, "\r\n\r\n") = '\0';
	for (line = rq->buf; line != NULL; line = next) {
		next = strstr(line, "\r\n");
		if (next != NULL) {
			*next = '\0';
			next += 2;
		}
		if (rq->method == NULL) {
			rq->method = line;
			if ((sp = strchr(line, ' ')) == NULL)
				return -1;
			*sp = '\0';
			rq->uri = sp + 1;
			if ((sp = strchr(rq->uri, ' ')) != NULL)
				*sp = '\0';
		} else if (strncasecmp(line, "Authorization:", 14) == 0) {
			/* digest_authz_parse() takes the name too */
			rq->authz = line;
		}
	}
	return 0;
}

/* "METHOD URI" as it may go to a log: printable ASCII, the rest as '?',
 * cut to the buffer. */
static const char *
shown(const char *method, const char *uri, char *out, size_t size)
{
	size_t i, n = 0;
	const char *parts[2] = { method, uri };

	for (i = 0; i < 2 && n + 1 < size; i++) {
		const unsigned char *p = (const unsigned char *)parts[i];

		if (i == 1)
			out[n++] = ' ';
		for (; *p != '\0' && n + 1 < size; p++)
			out[n++] = *p >= 0x20 && *p < 0x7f ? (char)*p : '?';
	}
	out[n] = '\0';
	return out;
}

static void
reply(int fd, const char *status, const char *headers, const char *body)
{
	char head[3072];	/* the status, challenge() headers, the rest */
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\n%s"
	    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, headers, strlen(body));
	/* MSG_NOSIGNAL: a client that went away is logged, not a SIGPIPE. */
	if (n > 0 && (size_t)n < sizeof(head) &&
	    (send(fd, head, (size_t)n, MSG_NOSIGNAL) != n ||
	    send(fd, body, strlen(body), MSG_NOSIGNAL) < 0))
		perror("digest_server: send");
}

/* 401 with one fresh challenge per offered algorithm. */
static void
challenge(int fd, struct server *s, int stale)
{
	char nonce[DIGEST_NONCE_TEXT_LEN + 1], headers[2048] = "", *line;
	const char *err;
	size_t i;

	if (digest_nonce_make(s->secret, sizeof(s->secret), time(NULL), nonce,
	    &err) < 0) {
		fprintf(stderr, "digest_server: %s\n", err);
		reply(fd, "500 Internal Server Error", "", "no nonce\n");
		return;
	}
	for (i = 0; i < s->nalgs; i++) {
		struct digest_challenge c = {
			.realm = s->realm, .alg = s->algs[i], .nonce = nonce,
			.qop = DIGEST_QOP_AUTH, .stale = stale != 0,
		};

		if (digest_challenge(&c, &line, &err) < 0) {
			fprintf(stderr, "digest_server: %s\n", err);
			continue;
		}
		if (strlen(headers) + strlen(line) + 3 < sizeof(headers)) {
			strcat(headers, line);
			strcat(headers, "\r\n");
		}
		free(line);
	}
	reply(fd, "401 Unauthorized", headers, "login required\n");
}

/* Whether the header's value d is exactly the string s (a value may hold
 * a NUL, so strcmp would not do). */
static int
same(struct digest_str d, const char *s)
{
	return d.n == strlen(s) && memcmp(d.p, s, d.n) == 0;
}

/* Whether a's algorithm is one the challenge offered. */
static int
offered(const struct server *s, const struct digest_authz *a)
{
	size_t i;

	for (i = 0; i < s->nalgs; i++)
		if (a->alg == s->algs[i])
			return 1;
	return 0;
}

/* Check the credentials of rq: 0 accepted, 1 refused, 2 refused as stale.
 * *why gets the reason for the log. */
static int
verify(struct server *s, const struct request *rq, struct digest_authz *a,
    const char **why)
{
	char ha1[DIGEST_HEX_MAX + 1], want[DIGEST_HEX_MAX + 1];
	struct digest_str none = digest_str_c(NULL);
	time_t issued;
	int ok;

	if (!offered(s, a) || a->qop_type != DIGEST_QOP_AUTH ||
	    a->userhash || !same(a->username, s->user) ||
	    !same(a->realm, s->realm) || !same(a->uri, rq->uri)) {
		*why = "algorithm, qop, user, realm or uri not ours";
		return 1;
	}
	switch (digest_nonce_check(s->secret, sizeof(s->secret), a->nonce.p,
	    a->nonce.n, time(NULL), s->lifetime, &issued, why)) {
	case DIGEST_NONCE_FRESH:
		break;
	case DIGEST_NONCE_STALE:
		return 2;
	default:
		return 1;
	}
	/* The store would keep HA1; this example has the password itself. */
	ok = digest_ha1(a->alg, digest_str_c(s->user), digest_str_c(s->realm),
	    digest_str_c(s->password), none, none, ha1) == 0 &&
	    digest_authz_expected(a, ha1, digest_str_c(rq->method), NULL,
	    want) == 0 &&
	    digest_authz_response_equal(a, want);
	explicit_bzero(ha1, sizeof(ha1));
	if (!ok) {
		*why = "wrong response (password)";
		return 1;
	}
	/* Only a matching response may use up a nonce-count. */
	switch (digest_nonce_tracker_use(s->tracker, a->nonce.p, a->nonce.n,
	    a->nc_value, issued, why)) {
	case DIGEST_NONCE_USE_OK:
		return 0;
	case DIGEST_NONCE_USE_STALE:
		return 2;
	default:
		return 1;
	}
}

static void
serve(int fd, struct server *s)
{
	struct request rq;
	struct digest_authz a;
	const char *why = "no credentials";
	char line[256];
	int verdict = 1;

	if (read_request(fd, &rq) < 0) {
		reply(fd, "400 Bad Request", "", "bad request\n");
		return;
	}
	if (rq.authz != NULL) {
		if (digest_authz_parse(&a, rq.authz, strlen(rq.authz),
		    &why) == 0)
			verdict = verify(s, &rq, &a, &why);
		fprintf(stderr, "digest_server: %s: %s\n", shown(rq.method, rq.uri,
		    line, sizeof(line)), verdict == 0 ? "OK" : why);
		if (verdict == 0) {
			char body[256];

			snprintf(body, sizeof(body), "hello %s\n", a.username.p);
			reply(fd, "200 OK", "", body);
		}
		digest_authz_clear(&a);
		if (verdict == 0)
			return;
	}
	challenge(fd, s, verdict == 2);
}

static int
listen_on(const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, one = 1;
	char *end;
	long p = strtol(port, &end, 10);

	if (*port == '\0' || *end != '\0' || p < 1 || p > 65535)
		usage();
	sin.sin_port = htons((unsigned short)p);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 16) < 0) {
		perror("digest_server: listen");
		exit(1);
	}
	return fd;
}

/* Options and arguments into *s; exits on a usage error. */
static void
configure(struct server *s, int argc, char **argv)
{
	const char *err;
	size_t i;
	int c;

	s->algs[0] = digest_alg_md5();
	s->algs[1] = digest_alg_find("SHA-256", 7);
	s->nalgs = 2;
	s->lifetime = 300;
	s->realm = "example";
	while ((c = getopt(argc, argv, "a:l:r:")) != -1) {
		switch (c) {
		case 'a':
			s->algs[0] = digest_alg_find(optarg, strlen(optarg));
			s->nalgs = 1;
			if (s->algs[0] == NULL)
				usage();
			break;
		case 'l':
			s->lifetime = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			s->realm = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3)
		usage();
	s->user = argv[optind + 1];
	s->password = argv[optind + 2];
	for (i = 0; i < s->nalgs; i++)
		if (digest_check(s->algs[i], &err) < 0) {
			fprintf(stderr, "digest_server: %s\n", err);
			exit(1);
		}
}

int
main(int argc, char **argv)
{
	struct server s;
	int lfd, fd;

	memset(&s, 0, sizeof(s));
	configure(&s, argc, argv);
	lfd = listen_on(argv[optind]);
	if (getrandom(s.secret, sizeof(s.secret), 0) != sizeof(s.secret) ||
	    (s.tracker = digest_nonce_tracker_new(1024, 0, false)) == NULL) {
		fprintf(stderr, "digest_server: no secret or no tracker\n");
		return 1;
	}
	fprintf(stderr, "digest_server: listening on 127.0.0.1:%s\n",
	    argv[optind]);
	for (;;) {
		/* a client that sends nothing, or reads nothing, is given up
		 * after a few seconds: one client at a time is served */
		struct timeval tv = { .tv_sec = 5 };

		if ((fd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			perror("digest_server: accept");
			if (errno != EMFILE && errno != ENFILE &&
			    errno != ENOBUFS && errno != ENOMEM)
				break;
			sleep(1);	/* out of descriptors or memory: wait */
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		serve(fd, &s);
		close(fd);
	}
	digest_nonce_tracker_free(&s.tracker);
	explicit_bzero(s.secret, sizeof(s.secret));
	digest_cleanup();
	return 1;
}
