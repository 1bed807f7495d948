/* test_digest.c - digest math against the RFC vectors. */
#include "config.h"

#include <string.h>

#include "digest.h"
#include "tap.h"

int
main(void)
{
	const struct digest_alg *md5 = digest_alg_md5(), *a;
	char ha1[DIGEST_HEX_MAX + 1], resp[DIGEST_HEX_MAX + 1], sess[DIGEST_HEX_MAX + 1];
	const char *err = NULL;
	struct digest_str none = { NULL, 0 };

	ok(digest_check(md5, &err) == 0, "MD5 is available");

	/* RFC 2617 section 3.5 */
	ok(digest_ha1(md5, DIGEST_STR("Mufasa"), DIGEST_STR("testrealm@host.com"),
	    DIGEST_STR("Circle Of Life"), none, none, ha1) == 0, "HA1 computed");
	is_str(ha1, "939e7578ed9e3c518a452acee763bce9", "RFC 2617 3.5 HA1");
	ok(digest_response(md5, ha1, DIGEST_STR("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
	    DIGEST_STR("00000001"), DIGEST_STR("0a4f113b"), DIGEST_STR("auth"), DIGEST_STR("GET"),
	    DIGEST_STR("/dir/index.html"), NULL, resp) == 0, "response computed");
	is_str(resp, "6629fae49393a05397450978507c4ef1", "RFC 2617 3.5 response");

	/* RFC 7616 section 3.9.1, MD5 and SHA-256 */
	ok(digest_ha1(md5, DIGEST_STR("Mufasa"), DIGEST_STR("http-auth@example.org"),
	    DIGEST_STR("Circle of Life"), none, none, ha1) == 0, "RFC 7616 MD5 HA1");
	digest_response(md5, ha1, DIGEST_STR("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"),
	    DIGEST_STR("00000001"), DIGEST_STR("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"),
	    DIGEST_STR("auth"), DIGEST_STR("GET"), DIGEST_STR("/dir/index.html"), NULL, resp);
	is_str(resp, "8ca523f5e9506fed4657c9700eebdbec", "RFC 7616 3.9.1 MD5 response");
	a = digest_alg_find("sha-256", 7);
	ok(a != NULL && a->len == 32, "SHA-256 found case-insensitively");
	digest_ha1(a, DIGEST_STR("Mufasa"), DIGEST_STR("http-auth@example.org"),
	    DIGEST_STR("Circle of Life"), none, none, ha1);
	digest_response(a, ha1, DIGEST_STR("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"),
	    DIGEST_STR("00000001"), DIGEST_STR("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"),
	    DIGEST_STR("auth"), DIGEST_STR("GET"), DIGEST_STR("/dir/index.html"), NULL, resp);
	is_str(resp, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
	    "RFC 7616 3.9.1 SHA-256 response");

	/* MD5-sess is H(HA1hex ":" nonce ":" cnonce) */
	a = digest_alg_find("MD5-sess", 8);
	ok(a != NULL && a->sess, "MD5-sess is a session variant");
	digest_ha1(a, DIGEST_STR("Mufasa"), DIGEST_STR("testrealm@host.com"),
	    DIGEST_STR("Circle Of Life"), DIGEST_STR("n"), DIGEST_STR("c"), sess);
	{
		struct digest_str parts[3] = { DIGEST_STR("939e7578ed9e3c518a452acee763bce9"),
		    DIGEST_STR("n"), DIGEST_STR("c") };
		char want[DIGEST_HEX_MAX + 1];

		digest_hash_parts(md5, parts, 3, want);
		is_str(sess, want, "MD5-sess HA1 = H(HA1:nonce:cnonce)");
		digest_ha1_session(a, "939e7578ed9e3c518a452acee763bce9",
		    DIGEST_STR("n"), DIGEST_STR("c"), ha1);
		is_str(ha1, want, "session HA1 from a stored HA1");
		digest_ha1_session(a, "939E7578ED9E3C518A452ACEE763BCE9",
		    DIGEST_STR("n"), DIGEST_STR("c"), ha1);
		is_str(ha1, want, "session HA1 from an uppercase stored HA1");
		digest_ha1_session(md5, "939E7578ED9E3C518A452ACEE763BCE9",
		    DIGEST_STR("n"), DIGEST_STR("c"), ha1);
		is_str(ha1, "939e7578ed9e3c518a452acee763bce9",
		    "plain MD5: the stored HA1 in lowercase");
		ok(digest_ha1_session(a, "939e7578", DIGEST_STR("n"), DIGEST_STR("c"),
		    ha1) == -1, "a short stored HA1 is refused");
	}
	ok(digest_alg_find("SHA-1", 5) == NULL, "unknown algorithm refused");
	ok(digest_is_hex(md5, "939E7578ED9E3C518A452ACEE763BCE9", 32), "uppercase hex accepted");
	ok(!digest_is_hex(md5, "939e7578ed9e3c518a452acee763bce", 31), "31 digits refused");
	ok(!digest_is_hex(md5, "939e7578ed9e3c518a452acee763bcez", 32), "non-hex refused");
	{
		/* every byte value at every position, against a plain test
		 * (the check runs sixteen characters at a time) */
		char h[33] = "0123456789abcdefABCDEF0123456789";
		size_t pos, bad = 0;
		int c;

		for (pos = 0; pos < 32; pos++) {
			char keep = h[pos];

			for (c = 0; c < 256; c++) {
				bool want = (c >= '0' && c <= '9') ||
				    (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

				h[pos] = (char)c;
				bad += digest_is_hex(md5, h, 32) != want;
			}
			h[pos] = keep;
		}
		ok(bad == 0, "hex check right for all 256 bytes at all 32 positions (%zu wrong)", bad);
	}
	digest_hex_lower("ABCDEF0123", 10, ha1);
	is_str(ha1, "abcdef0123", "hex lowered");
	digest_cleanup();
	return done_testing();
}
