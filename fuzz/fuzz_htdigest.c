/* fuzz_htdigest.c - the password-file parser: any bytes parse without a
 * crash, each entry listed by htdigest_foreach is found again by lookup
 * under its own key, and htdigest_parse_line agrees with the table: every
 * line it finds good is an entry (or a duplicate) that lookup finds, every
 * line it finds bad was skipped. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "htdigest.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct listed {
	const struct htdigest_table *t;
	size_t n;
};

static void
check_entry(const char *user, size_t ulen, const char *realm, size_t rlen,
    void *ctx)
{
	struct listed *l = ctx;
	struct htdigest_value v;

	l->n++;
	/* a realm entry is found under its realm; a realm-less one under any */
	if (!htdigest_lookup(l->t, user, ulen, realm != NULL ? realm : "any",
	    realm != NULL ? rlen : 3, &v) || v.n == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct htdigest_stats st;
	struct htdigest_table *t;
	struct htdigest_value v;
	char *buf = malloc(size ? size : 1);
	const char *p, *end, *c1;
	size_t good = 0, bad = 0;

	if (!quiet) {
		log_init("fuzz_htdigest");
		quiet = 1;
	}
	memcpy(buf, data, size);
	t = htdigest_parse(buf, size, size > 0 && (data[0] & 1), "fuzz", &st);
	if (st.entries > st.lines || st.entries + st.skipped + st.duplicates > st.lines)
		abort();
	{
		struct listed l = { t, 0 };

		htdigest_foreach(t, check_entry, &l);
		if (l.n != st.entries)
			abort();
	}
	for (p = (const char *)data, end = p + size; p < end; ) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = lf ? (size_t)(lf - p) : (size_t)(end - p);
		struct htdigest_line l;

		/* the loader drops a byte-order mark before the first line */
		if (p == (const char *)data && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
			p += 3;
			n -= 3;
		}
		if (htdigest_parse_line(p, n, size > 0 && (data[0] & 1), &l)) {
			if (l.bad != 0) {
				bad++;
			} else {
				good++;
				if (!htdigest_lookup(t, l.user, l.user_len,
				    l.realm != NULL ? l.realm : "any",
				    l.realm != NULL ? l.realm_len : 3, &v) || v.n == 0)
					abort();
			}
		}
		/* and any "user:" can be asked for */
		if ((c1 = memchr(p, ':', n)) != NULL && c1 > p)
			(void)htdigest_lookup(t, p, (size_t)(c1 - p), "r", 1, &v);
		p += n + 1;
	}
	if (good != st.entries + st.duplicates || bad != st.skipped)
		abort();
	htdigest_free(&t);
	return 0;
}
