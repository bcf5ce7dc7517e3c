/* Unit tests of src/crypto.c: known vectors, base64url, constant-time equality, ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "crypto.h"
#include "jsonv.h"

static void test_hex(void **state)
{
	char out[9];
	crypto_hex("\x00\x01\xab\xff", 4, out);
	assert_string_equal(out, "0001abff");
	crypto_hex("", 0, out);
	assert_string_equal(out, "");
}

static void test_sha256_abc(void **state)
{
	unsigned char d[32];
	char hex[65];
	crypto_sha256("abc", 3, d);
	crypto_hex(d, 32, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_hmac_rfc4231_case2(void **state)
{
	unsigned char mac[32];
	char hex[65];
	const char *data = "what do ya want for nothing?";
	crypto_hmac_sha256("Jefe", 4, data, strlen(data), mac);
	crypto_hex(mac, 32, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_hmac_rfc4231_case1(void **state)
{
	unsigned char key[20], mac[32];
	char hex[65];
	memset(key, 0x0b, sizeof key);
	crypto_hmac_sha256(key, sizeof key, "Hi There", 8, mac);
	crypto_hex(mac, 32, hex);
	assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

/* RFC 4231 case 6 (a key longer than the block, hashed first), then the short keys again:
 * each call with another key than the thread's last must not reuse its prepared pads. */
static void test_hmac_rfc4231_case6_and_key_change(void **state)
{
	unsigned char key[131], mac[32];
	char hex[65];
	memset(key, 0xaa, sizeof key);
	const char *data = "Test Using Larger Than Block-Size Key - Hash Key First";
	crypto_hmac_sha256(key, sizeof key, data, strlen(data), mac);
	crypto_hex(mac, 32, hex);
	assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	const char *jefe = "what do ya want for nothing?";
	for (int i = 0; i < 2; i++) {
		crypto_hmac_sha256("Jefe", 4, jefe, strlen(jefe), mac);
		crypto_hex(mac, 32, hex);
		assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
		crypto_hmac_sha256("Jefe", 4, jefe, strlen(jefe), mac);
		crypto_hex(mac, 32, hex);
		assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
		memset(key, 0x0b, 20);
		crypto_hmac_sha256(key, 20, "Hi There", 8, mac);
		crypto_hex(mac, 32, hex);
		assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	}
	/* a trailing zero byte changes nothing: the key is zero-padded to the block (RFC 2104) */
	unsigned char j0[5] = { 'J', 'e', 'f', 'e', 0 };
	crypto_hmac_sha256(j0, sizeof j0, jefe, strlen(jefe), mac);
	crypto_hex(mac, 32, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_b64url_known(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "f", "Zg" },
		{ "fo", "Zm8" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
		{ "\xfb\xff\xbf", "-_-_" }, /* the url-safe alphabet, not + and / */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char out[32];
		size_t n = crypto_b64url_encode(cases[i].in, strlen(cases[i].in), out);
		assert_int_equal(n, strlen(cases[i].out));
		assert_string_equal(out, cases[i].out);
		unsigned char dec[32];
		size_t dlen = 99;
		assert_int_equal(crypto_b64url_decode(out, n, dec, &dlen), 0);
		assert_int_equal(dlen, strlen(cases[i].in));
		assert_memory_equal(dec, cases[i].in, dlen);
	}
}

static void test_b64url_round_trip(void **state)
{
	unsigned char in[64], dec[3 * 86 / 4 + 1];
	char enc[4 * 22 + 1];
	for (size_t n = 0; n <= sizeof in; n++) {
		crypto_random(in, sizeof in);
		size_t elen = crypto_b64url_encode(in, n, enc);
		assert_int_equal(elen, (4 * n + 2) / 3); /* unpadded length */
		assert_null(strpbrk(enc, "+/="));
		size_t dlen = 0;
		assert_int_equal(crypto_b64url_decode(enc, elen, dec, &dlen), 0);
		assert_int_equal(dlen, n);
		if (n)
			assert_memory_equal(dec, in, n);
	}
}

static void test_b64url_rejects(void **state)
{
	static const char *const bad[] = {
		"Zm9v+A",  /* standard alphabet */
		"Zm9v/A",
		"Zm8=",    /* padding */
		"Zm 9v",
		"Zm9v\n",
		"Z",       /* a length of 4k+1 cannot be produced */
		"A",       /* ...even when its bits are zero */
		"Zm9vY",
		"Zm9vA",
		"Zh",      /* "f" is Zg: the last character has non-zero unused bits */
		"Zm9",     /* "fo" is Zm8 */
		"Zm9vYh",
		"QR",
		"Zm9\x80",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		unsigned char out[16];
		size_t n = 0;
		if (crypto_b64url_decode(bad[i], strlen(bad[i]), out, &n) != -1)
			fail_msg("crypto_b64url_decode accepted \"%s\"", bad[i]);
	}
	/* the canonical forms are accepted */
	unsigned char out[16];
	size_t n = 0;
	assert_int_equal(crypto_b64url_decode("QQ", 2, out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'A');
	/* only n characters are read */
	assert_int_equal(crypto_b64url_decode("Zm9v!!!", 4, out, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "foo", 3);
}

static void test_equal(void **state)
{
	assert_true(crypto_equal("abc", 3, "abc", 3));
	assert_true(crypto_equal("", 0, "", 0));
	assert_false(crypto_equal("abc", 3, "abd", 3));
	assert_false(crypto_equal("abc", 3, "xbc", 3));
	assert_false(crypto_equal("abc", 3, "abcd", 4));
	assert_false(crypto_equal("abcd", 4, "abc", 3));
	/* a prefix is not equal, whichever side is longer */
	assert_false(crypto_equal("ab", 2, "ab", 1));
	assert_false(crypto_equal("ab", 1, "ab", 2));
	assert_false(crypto_equal("abc", 4, "abc", 3));
	assert_true(crypto_equal("a\0b", 3, "a\0b", 3));
	assert_false(crypto_equal("a\0b", 3, "a\0c", 3));
}

static void test_random_differs(void **state)
{
	unsigned char a[32] = { 0 }, b[32] = { 0 };
	crypto_random(a, sizeof a);
	crypto_random(b, sizeof b);
	assert_memory_not_equal(a, b, sizeof a);
}

static void test_token(void **state)
{
	char a[44], b[44];
	crypto_token(a);
	crypto_token(b);
	assert_int_equal(strlen(a), 43);
	assert_string_not_equal(a, b);
	unsigned char raw[33];
	size_t n = 0;
	assert_int_equal(crypto_b64url_decode(a, 43, raw, &n), 0);
	assert_int_equal(n, 32);
}

static void test_uuid(void **state)
{
	char prev[37] = "";
	for (int i = 0; i < 200; i++) {
		char u[37];
		memset(u, 'Z', sizeof u);
		crypto_uuid(u);
		assert_int_equal(strlen(u), 36);
		if (!jsonv_is_uuid(u))
			fail_msg("crypto_uuid gave \"%s\"", u);
		assert_int_equal(u[8], '-');
		assert_int_equal(u[13], '-');
		assert_int_equal(u[18], '-');
		assert_int_equal(u[23], '-');
		assert_int_equal(u[14], '4');                  /* version 4 */
		assert_non_null(strchr("89ab", u[19]));        /* RFC 4122 variant */
		for (int k = 0; k < 36; k++)
			if (u[k] >= 'A' && u[k] <= 'Z')
				fail_msg("crypto_uuid is not lowercase: %s", u);
		assert_string_not_equal(u, prev);
		memcpy(prev, u, sizeof u);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_sha256_abc),
		cmocka_unit_test(test_hmac_rfc4231_case2),
		cmocka_unit_test(test_hmac_rfc4231_case1),
		cmocka_unit_test(test_hmac_rfc4231_case6_and_key_change),
		cmocka_unit_test(test_b64url_known),
		cmocka_unit_test(test_b64url_round_trip),
		cmocka_unit_test(test_b64url_rejects),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_random_differs),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_uuid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
