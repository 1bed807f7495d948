/* sqlite_ceiling.c - the in-process ceiling for digest_sqlite_auth.
 *
 *   sqlite_ceiling [-n RUNS] DBFILE REQUEST-FILE
 *
 * Opens DBFILE through sqlite_backend.init, as digest_sqlite_auth does
 * (helpers/sqlite/open.c: read-only, mapped, the schema checked, the
 * lookup SQLSCHEMA_LOOKUP of lib/sqlschema.h prepared once by query.c),
 * parses every line of REQUEST-FILE into a query before the clock starts,
 * then times the store's own lookup over all of them: sqlite_backend.lookup
 * (helpers/sqlite/lookup.c: bind :user and :realm, step, read the row, in
 * the read transaction a burst shares), and sqlite_backend.idle at the
 * end of each pass, which ends that transaction as the request loop does
 * when a burst is answered.  Nothing else: no pipes, no request parsing,
 * no reply formatting -- the same prepared statement over the same
 * requests, as fast as this process can run it.
 *
 * One untimed pass first counts the verdicts; then RUNS timed passes.
 * Prints the same line as bench/ceiling (reqfile.h).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "digest.h"
#include "log.h"
#include "notes.h"
#include "proto.h"
#include "reqfile.h"
#include "secret.h"

extern const struct backend_ops sqlite_backend;

static const char usage[] = "usage: sqlite_ceiling [-n RUNS] DBFILE REQUEST-FILE\n";

/* The queries of the request lines; a line that does not parse is
 * counted in *bad_r and left out. */
static struct backend_query *
parse_all(const struct reqfile *rf, size_t *nq_r, size_t *bad_r)
{
	struct backend_query *qs = xcalloc(rf->n, sizeof(*qs));
	size_t i, nq = 0;

	*bad_r = 0;
	for (i = 0; i < rf->n; i++) {
		struct proto_request req;
		const char *why;

		if (proto_parse(rf->buf + rf->off[i], rf->len[i], &req, &why) < 0) {
			(*bad_r)++;
			continue;
		}
		qs[nq].user = req.user;
		qs[nq].user_len = req.user_len;
		qs[nq].realm = req.realm;
		qs[nq].realm_len = req.realm_len;
		qs[nq].extras = req.extras;
		qs[nq].extras_len = req.extras_len;
		qs[nq].alg = digest_alg_md5();
		nq++;
	}
	*nq_r = nq;
	return qs;
}

/* One pass over the queries; the verdicts are counted when ok is set. */
static void
pass(const struct backend_ops *ops, void *ctx, const struct backend_query *qs,
    size_t nq, struct notes *nt, size_t *ok, size_t *err, size_t *bh)
{
	struct backend_answer a = { .notes = nt };
	size_t i;

	for (i = 0; i < nq; i++) {
		enum backend_result res;

		/* as the request loop starts each answer (lib/lookup.c) */
		a.ha1[0] = '\0';
		a.err = NULL;
		a.notes = nt;
		notes_reset(nt);
		res = ops->lookup(ctx, &qs[i], &a);
		if (ok == NULL)
			continue;
		if (res == BACKEND_FOUND)
			(*ok)++;
		else if (res == BACKEND_NOT_FOUND)
			(*err)++;
		else
			(*bh)++;
	}
	ops->idle(ctx);
	secret_wipe(a.ha1, sizeof(a.ha1));
}

int
main(int argc, char **argv)
{
	const struct backend_ops *ops = &sqlite_backend;
	struct notes nt;
	struct reqfile rf;
	struct backend_query *qs;
	double rates[REQFILE_MAX_RUNS];
	size_t nq, ok = 0, err = 0, bh = 0;
	char errbuf[1024];
	const char *why = NULL;
	void *ctx = NULL, *conf = ops->conf_new();
	int opt, runs = 5, r;

	log_init(argv[0]);
	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n') {
			fputs(usage, stderr);
			return 2;
		}
		runs = atoi(optarg);
		if (runs < 1 || runs > REQFILE_MAX_RUNS)
			log_fatal("-n must be 1 to %d", REQFILE_MAX_RUNS);
	}
	if (argc - optind != 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (digest_check(digest_alg_md5(), &why) < 0)
		log_fatal("MD5 is not available: %s", why != NULL ? why : "?");
	if (ops->init(&ctx, conf, 1, argv + optind, errbuf, sizeof(errbuf)) < 0)
		log_fatal("%s", errbuf);
	reqfile_load(&rf, argv[optind + 1]);
	qs = parse_all(&rf, &nq, &bh);
	memset(&nt, 0, sizeof(nt));

	/* untimed pass: warm up (the pages mapped), count the verdicts */
	pass(ops, ctx, qs, nq, &nt, &ok, &err, &bh);
	for (r = 0; r < runs; r++) {
		double t0 = reqfile_now(), dt;

		pass(ops, ctx, qs, nq, &nt, NULL, NULL, NULL);
		dt = reqfile_now() - t0;
		rates[r] = dt > 0 ? (double)nq / dt : 0;
	}
	reqfile_report(rf.n, ok, err, bh, rates, runs);

	ops->fini(&ctx);
	ops->conf_free(conf);
	notes_free(&nt);
	free(qs);
	reqfile_free(&rf);
	digest_cleanup();
	return 0;
}
