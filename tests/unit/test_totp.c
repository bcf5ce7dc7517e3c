/* Unit tests of src/auth/totp.c: the RFC 4226 and RFC 6238 (SHA1) vectors, the ±1 step
 * window, base32 (RFC 4648 vectors and round trips), and recovery codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "crypto.h"
#include "auth/totp.h"

static const char rfc_key[] = "12345678901234567890";
#define KEY rfc_key, 20

static void test_hotp_rfc4226(void **state)
{
	static const uint32_t want[] = { 755224, 287082, 359152, 969429, 338314,
					 254676, 287922, 162583, 399871, 520489 };
	for (int i = 0; i < 10; i++)
		assert_int_equal(totp_code(KEY, i, 6), want[i]);
}

static void test_totp_rfc6238_sha1(void **state)
{
	static const struct {
		int64_t t;
		uint32_t code8;
	} v[] = {
		{ 59, 94287082 }, { 1111111109, 7081804 }, { 1111111111, 14050471 },
		{ 1234567890, 89005924 }, { 2000000000, 69279037 }, { 20000000000LL, 65353130 },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		int64_t step = totp_step((time_t)v[i].t);
		assert_int_equal(totp_code(KEY, step, 8), v[i].code8);
		/* 6 digits are the same truncation, mod 10^6 */
		assert_int_equal(totp_code(KEY, step, 6), v[i].code8 % 1000000);
	}
	assert_int_equal(totp_code(KEY, totp_step(59), 6), 287082);
	assert_int_equal(totp_step(0), 0);
	assert_int_equal(totp_step(29), 0);
	assert_int_equal(totp_step(30), 1);
}

static void code_text(int64_t step, char out[7])
{
	snprintf(out, 7, "%06u", (unsigned)totp_code(KEY, step, 6));
}

static void test_verify_window(void **state)
{
	int64_t now = totp_step(1234567890), got = -1;
	char c[7];
	for (int d = -1; d <= 1; d++) {
		code_text(now + d, c);
		assert_int_equal(totp_verify(KEY, c, now, &got), 0);
		assert_int_equal(got, now + d);
	}
	for (int d = -3; d <= 3; d += 1) {
		if (d >= -1 && d <= 1)
			continue;
		code_text(now + d, c);
		/* a code of two or more steps away: refused unless it happens to equal a near one */
		char n0[7], n1[7], n2[7];
		code_text(now - 1, n0);
		code_text(now, n1);
		code_text(now + 1, n2);
		if (strcmp(c, n0) && strcmp(c, n1) && strcmp(c, n2))
			assert_int_equal(totp_verify(KEY, c, now, &got), -1);
	}
	code_text(now, c);
	char bad[8];
	snprintf(bad, sizeof bad, "%.5s", c);
	assert_int_equal(totp_verify(KEY, bad, now, &got), -1);        /* 5 digits */
	snprintf(bad, sizeof bad, "%s0", c);
	assert_int_equal(totp_verify(KEY, bad, now, &got), -1);        /* 7 digits */
	snprintf(bad, sizeof bad, " %.5s", c);
	assert_int_equal(totp_verify(KEY, bad, now, &got), -1);
	assert_int_equal(totp_verify(KEY, "", now, &got), -1);
	assert_int_equal(totp_verify(KEY, "12345a", now, &got), -1);
	assert_int_equal(totp_verify(KEY, NULL, now, &got), -1);
	assert_false(totp_is_code("１２３４５６"));                     /* not ASCII digits */
	assert_true(totp_is_code("000000"));
}

static void test_base32_rfc4648(void **state)
{
	static const char *const v[][2] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" }, { "foob", "MZXW6YQ" },
		{ "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char out[32];
		unsigned char back[32];
		size_t n = totp_base32_encode(v[i][0], strlen(v[i][0]), out);
		assert_string_equal(out, v[i][1]);
		assert_int_equal(n, strlen(v[i][1]));
		size_t blen = 99;
		assert_int_equal(totp_base32_decode(v[i][1], back, sizeof back, &blen), 0);
		assert_int_equal(blen, strlen(v[i][0]));
		assert_memory_equal(back, v[i][0], blen);
	}
	/* the RFC 6238 key, as authenticator apps take it */
	char out[40];
	totp_base32_encode(KEY, out);
	assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

static void test_base32_decode_lenient_and_strict(void **state)
{
	unsigned char out[16];
	size_t n;
	assert_int_equal(totp_base32_decode("mzxw6ytboi", out, sizeof out, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(totp_base32_decode("MZXW6YTBOI======", out, sizeof out, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(totp_base32_decode("MZXW-6YTB OI", out, sizeof out, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(totp_base32_decode("MZXW1", out, sizeof out, &n), -1);   /* 1 is not base32 */
	assert_int_equal(totp_base32_decode("MZXW0", out, sizeof out, &n), -1);
	assert_int_equal(totp_base32_decode("MZXW8", out, sizeof out, &n), -1);
	assert_int_equal(totp_base32_decode("M", out, sizeof out, &n), -1);       /* a lone character */
	assert_int_equal(totp_base32_decode("MZ", out, sizeof out, &n), -1);      /* bits left over */
	assert_int_equal(totp_base32_decode("MZXW6YTBOI", out, 5, &n), -1);       /* no room */
}

static void test_base32_round_trips(void **state)
{
	for (size_t len = 0; len <= 64; len++) {
		for (int k = 0; k < 20; k++) {
			unsigned char in[64], back[64];
			char text[(64 * 8 + 4) / 5 + 1];
			crypto_random(in, len);
			size_t n = totp_base32_encode(in, len, text);
			assert_int_equal(n, (len * 8 + 4) / 5);
			assert_int_equal(strlen(text), n);
			assert_int_equal(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), n);
			size_t blen;
			assert_int_equal(totp_base32_decode(text, back, sizeof back, &blen), 0);
			assert_int_equal(blen, len);
			if (len)
				assert_memory_equal(back, in, len);
		}
	}
}

static bool shaped(const char *c)
{
	if (strlen(c) != TOTP_RECOVERY_SHOWN)
		return false;
	for (int i = 0; i < TOTP_RECOVERY_SHOWN; i++) {
		if (i % 5 == 4) {
			if (c[i] != '-')
				return false;
		} else if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", c[i]) || c[i] == '\0') {
			return false;
		}
	}
	return true;
}

static void test_recovery_codes(void **state)
{
	char codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_SHOWN + 1];
	for (int i = 0; i < TOTP_RECOVERY_COUNT; i++) {
		totp_recovery_new(codes[i]);
		assert_true(shaped(codes[i]));
		for (int k = 0; k < i; k++)
			assert_string_not_equal(codes[i], codes[k]);
	}
	/* at least 112 bits: 24 characters of 5 bits */
	assert_true(TOTP_RECOVERY_CHARS * 5 >= 112);

	unsigned char h1[32], h2[32], h3[32], h4[32];
	assert_int_equal(totp_recovery_hash(codes[0], h1), 0);
	char typed[64];
	size_t o = 0;
	for (const char *s = codes[0]; *s; s++)
		if (*s != '-')
			typed[o++] = (char)((*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : *s);
	typed[o] = '\0';
	assert_int_equal(totp_recovery_hash(typed, h2), 0);                   /* lower case, no dashes */
	assert_memory_equal(h1, h2, 32);
	snprintf(typed, sizeof typed, " %.4s %s ", codes[0], codes[0] + 5);
	assert_int_equal(totp_recovery_hash(typed, h3), 0);                   /* spaces */
	assert_memory_equal(h1, h3, 32);
	assert_int_equal(totp_recovery_hash(codes[1], h4), 0);
	assert_memory_not_equal(h1, h4, 32);

	/* the stored hash is SHA-256 of the canonical 24 characters */
	char canon[TOTP_RECOVERY_CHARS + 1];
	assert_int_equal(totp_recovery_normalize(codes[0], canon), 0);
	assert_int_equal(strlen(canon), TOTP_RECOVERY_CHARS);
	unsigned char want[32];
	crypto_sha256(canon, TOTP_RECOVERY_CHARS, want);
	assert_memory_equal(h1, want, 32);

	snprintf(typed, sizeof typed, "%s", codes[0]);
	typed[0] = '0';
	assert_int_equal(totp_recovery_hash(typed, h3), -1);                  /* 0 is not base32 */
	assert_int_equal(totp_recovery_hash("ABCD-EFGH", h3), -1);            /* too short */
	snprintf(typed, sizeof typed, "%sA", codes[0]);
	assert_int_equal(totp_recovery_hash(typed, h3), -1);                  /* too long */
	assert_int_equal(totp_recovery_hash("", h3), -1);
	assert_int_equal(totp_recovery_hash(NULL, h3), -1);
	assert_int_equal(totp_recovery_hash("123456", h3), -1);               /* a TOTP code is not one */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotp_rfc4226),
		cmocka_unit_test(test_totp_rfc6238_sha1),
		cmocka_unit_test(test_verify_window),
		cmocka_unit_test(test_base32_rfc4648),
		cmocka_unit_test(test_base32_decode_lenient_and_strict),
		cmocka_unit_test(test_base32_round_trips),
		cmocka_unit_test(test_recovery_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
