/* fuzz_authz.c - the Authorization header parser: any bytes parse or are
 * refused with a reason; a parsed header's fields lie inside its own
 * buffer, the required ones are present, and computing the expected
 * response from it never crashes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(const struct digest_authz *a, struct digest_str d)
{
	return d.p == NULL || (d.p >= a->buf && d.p + d.n <= a->buf + a->bufsize);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest_authz a;
	const char *err = NULL;
	char *copy = malloc(size ? size : 1);
	char hex[DIGEST_HEX_MAX + 1];

	memcpy(copy, data, size);
	if (digest_authz_parse(&a, copy, size, &err) == 0) {
		if (a.alg == NULL || a.username.p == NULL || a.realm.p == NULL ||
		    a.nonce.p == NULL || a.uri.p == NULL || a.response.p == NULL ||
		    !inside(&a, a.username) || !inside(&a, a.realm) ||
		    !inside(&a, a.nonce) || !inside(&a, a.uri) ||
		    !inside(&a, a.response) || !inside(&a, a.cnonce) ||
		    !inside(&a, a.nc) || !inside(&a, a.qop))
			abort();
		if (a.qop_type != DIGEST_QOP_NONE && (a.cnonce.p == NULL || a.nc.p == NULL))
			abort();
		(void)digest_authz_expected(&a, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		    (struct digest_str){ "GET", 3 },
		    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", hex);
		(void)digest_authz_response_equal(&a, hex);
	} else if (err == NULL || *err == '\0') {
		abort();
	}
	digest_authz_clear(&a);
	free(copy);
	return 0;
}
