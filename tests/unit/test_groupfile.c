/* test_groupfile.c - the group file: Apache's format, repeats, bad lines,
 * and a user in many groups. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groupfile.h"
#include "secret.h"
#include "tap.h"

struct collect {
	char out[4096];
	size_t n;
};

static void
collect(void *ctx, const char *g, size_t len)
{
	struct collect *c = ctx;

	if (c->n + len + 2 < sizeof(c->out)) {
		if (c->n > 0)
			c->out[c->n++] = ',';
		memcpy(c->out + c->n, g, len);
		c->n += len;
		c->out[c->n] = '\0';
	}
}

static const char *
groups_of(const struct group_table *t, const char *user)
{
	static struct collect c;

	memset(&c, 0, sizeof(c));
	groupfile_groups(t, user, strlen(user), collect, &c);
	return c.out;
}

static struct group_table *
parse(const char *text, struct groupfile_stats *st)
{
	return groupfile_parse(xstrdup(text), strlen(text), "test", st);
}

static void
test_format(void)
{
	struct groupfile_stats st;
	struct group_table *t = parse(
	    "# comment\n"
	    "staff: alice bob\n"
	    "\n"
	    "students:carol\tdave  alice\r\n"
	    "  staff : erin alice\n"
	    "no colon here\n"
	    " : nobody\n"
	    "wifi:\n"
	    "last: zed", &st);

	is_str(groups_of(t, "alice"), "staff,students", "alice: in two groups, the repeat once");
	is_str(groups_of(t, "erin"), "staff", "a group's second line adds members; blanks around the name dropped");
	is_str(groups_of(t, "dave"), "students", "tabs and runs of spaces separate members; CR dropped");
	is_str(groups_of(t, "zed"), "last", "a last line without LF");
	is_str(groups_of(t, "nobody"), "", "a line with an empty group name gives nothing");
	is_str(groups_of(t, "Alice"), "", "user names are compared exactly");
	is_str(groups_of(t, "ali"), "", "no prefix matches");
	ok(st.lines == 9 && st.skipped == 2 && st.memberships == 7,
	    "9 lines, 2 skipped, 7 memberships (%zu %zu %zu)", st.lines,
	    st.skipped, st.memberships);
	groupfile_free(&t);
	ok(t == NULL, "free clears the pointer");
	ok(groupfile_groups(NULL, "a", 1, collect, NULL) == 0, "no table: no groups");
}

static void
test_bom(void)
{
	struct groupfile_stats st;
	struct group_table *t = parse("\xef\xbb\xbfstaff: alice\n", &st);

	is_str(groups_of(t, "alice"), "staff", "a UTF-8 byte-order mark is not part of the first group");
	groupfile_free(&t);
}

static void
test_many(void)
{
	struct groupfile_stats st;
	struct group_table *t;
	size_t cap = 10000 * 40, n = 0, got, i;
	char *buf = xmalloc(cap);
	struct collect c = { .n = 0 };

	for (i = 0; i < 10000; i++)
		n += (size_t)snprintf(buf + n, cap - n, "g%05zu: u%zu heavy\n", i, i);
	t = groupfile_parse(buf, n, "many", &st);
	got = groupfile_groups(t, "heavy", 5, collect, &c);
	ok(got == 10000, "a user in 10,000 groups gets all of them (%zu)", got);
	is_str(groups_of(t, "u1234"), "g01234", "and every other user just one");
	groupfile_free(&t);
}

int
main(void)
{
	test_format();
	test_bom();
	test_many();
	return done_testing();
}
