/* notes.c - annotations for OK replies (see notes.h). */
#include "config.h"

#include <string.h>

#include "notes.h"

void
notes_reset(struct notes *nt)
{
	nt->buf.len = 0;
	nt->n = 0;
	nt->dropped_bad = 0;
	nt->dropped_limit = 0;
}

void
notes_free(struct notes *nt)
{
	obuf_free(&nt->buf);
	notes_reset(nt);
}

static bool
is_key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool
notes_key_ok(const char *key, size_t len)
{
	size_t i;

	if ((len == 5 && memcmp(key, "group", 5) == 0) ||
	    (len == 3 && memcmp(key, "tag", 3) == 0) ||
	    (len == 12 && memcmp(key, "clt_conn_tag", 12) == 0))
		return true;
	if (len < 2 || key[len - 1] != '_')
		return false;
	for (i = 0; i < len; i++)
		if (!is_key_char((unsigned char)key[i]))
			return false;
	return true;
}

/* The bytes ' key="value"' take, value escaped. */
static size_t
pair_size(size_t klen, const char *val, size_t vlen)
{
	size_t n = klen + vlen + 4, i;

	for (i = 0; i < vlen; i++)
		if (val[i] == '"' || val[i] == '\\')
			n++;
	return n;
}

int
notes_add(struct notes *nt, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	size_t i, start;

	if (!notes_key_ok(key, klen) || memchr(val, '\n', vlen) != NULL ||
	    memchr(val, '\r', vlen) != NULL || memchr(val, '\0', vlen) != NULL) {
		nt->dropped_bad++;
		return -1;
	}
	if (nt->n >= NOTES_MAX ||
	    nt->buf.len + pair_size(klen, val, vlen) > NOTES_BYTES_MAX) {
		nt->dropped_limit++;
		return -1;
	}
	obuf_append(&nt->buf, " ", 1);
	obuf_append(&nt->buf, key, klen);
	obuf_append(&nt->buf, "=\"", 2);
	for (i = 0; i < vlen; i = start) {
		for (start = i; start < vlen && val[start] != '"' &&
		    val[start] != '\\'; start++)
			;
		obuf_append(&nt->buf, val + i, start - i);
		if (start < vlen) {
			obuf_append(&nt->buf, "\\", 1);
			obuf_append(&nt->buf, val + start, 1);
			start++;
		}
	}
	obuf_append(&nt->buf, "\"", 1);
	nt->n++;
	return 0;
}
