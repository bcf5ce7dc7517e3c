/* Passwords: the policy, bcrypt over the peppered HMAC (every character counts), history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "auth/password.h"

static const char pepper[] = "unit-test-pepper-0123456789abcdefghij";

static int setup(void **state)
{
	(void)state;
	password_init(pepper, 4, 1000);
	return 0;
}

static void policy_lengths(void **state)
{
	(void)state;
	assert_string_equal(password_policy("Sh0rt-Pass!", NULL), "password_too_short");     /* 11 */
	assert_null(password_policy("Tr1cky-Horse-Battery", NULL));
	/* characters, not bytes: 12 × "é" is 24 bytes but 12 characters */
	assert_string_equal(password_policy("ééééééééééé", NULL), "password_too_short");
	char longpw[300];
	memset(longpw, 'k', 257);
	for (int i = 0; i < 257; i += 7)
		longpw[i] = (char)('A' + i % 26);
	longpw[257] = '\0';
	assert_string_equal(password_policy(longpw, NULL), "password_too_long");
	longpw[256] = '\0';
	assert_true(password_policy(longpw, NULL) == NULL ||
		    strcmp(password_policy(longpw, NULL), "password_weak") == 0);
}

static void policy_weak(void **state)
{
	(void)state;
	assert_string_equal(password_policy("password1234", NULL), "password_weak");
	assert_string_equal(password_policy("PASSWORD1234", NULL), "password_weak");
	assert_string_equal(password_policy("aaaaaaaaaaaaaaa", NULL), "password_weak");
	assert_string_equal(password_policy("abcdefghijklmnop", NULL), "password_weak");
	assert_string_equal(password_policy("123456789012", NULL), "password_weak");
	const char *ctx[] = { "dana.reyes@example.com", "Dana Reyes", NULL };
	assert_string_equal(password_policy("dana.reyes2026", ctx), "password_weak");
	assert_null(password_policy("Tr1cky-Horse-Battery", ctx));
}

/* Random 20-character strings cracklib calls "systematic" are strong: accepted. */
static void policy_random_long_accepted(void **state)
{
	(void)state;
	assert_null(password_policy("CGPonr&fe6ihmN3wH9-#", NULL));
	assert_null(password_policy("2QRS1U2OpQ~?KJ~M1BGq", NULL));
	assert_null(password_policy("IYX1DedF6540rkx7X-Z8", NULL));
}

static void bcrypt_every_character_counts(void **state)
{
	(void)state;
	char a[101], b[101], hash[128];
	memset(a, 'x', 100);
	a[100] = '\0';
	memcpy(b, a, sizeof a);
	b[90] = 'y';   /* differs only after byte 72 */
	assert_int_equal(password_hash(a, hash, sizeof hash), 0);
	assert_memory_equal(hash, "$2b$04$", 7);
	assert_true(password_verify(a, hash));
	assert_false(password_verify(b, hash));
	assert_false(password_verify("", hash));
	assert_false(password_verify(a, "not a hash"));
	/* another salt each time */
	char again[128];
	assert_int_equal(password_hash(a, again, sizeof again), 0);
	assert_string_not_equal(hash, again);
}

static void bcrypt_needs_the_pepper(void **state)
{
	(void)state;
	char hash[128];
	assert_int_equal(password_hash("Tr1cky-Horse-Battery", hash, sizeof hash), 0);
	password_init("another-pepper-0123456789abcdefghijkl", 4, 1000);
	assert_false(password_verify("Tr1cky-Horse-Battery", hash));
	password_init(pepper, 4, 1000);
	assert_true(password_verify("Tr1cky-Horse-Battery", hash));
}

static void history(void **state)
{
	(void)state;
	char e[160];
	assert_int_equal(password_history_entry("Tr1cky-Horse-Battery", e, sizeof e), 0);
	assert_memory_equal(e, "pbkdf2-sha256$1000$", 19);
	assert_true(password_history_match("Tr1cky-Horse-Battery", e));
	assert_false(password_history_match("Tr1cky-Horse-Battery!", e));
	assert_false(password_history_match("Tr1cky-Horse-Battery", "pbkdf2-sha256$0$x$y"));
	assert_false(password_history_match("Tr1cky-Horse-Battery", "md5$abc"));
	assert_false(password_history_match("Tr1cky-Horse-Battery", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(policy_lengths),
		cmocka_unit_test(policy_weak),
		cmocka_unit_test(policy_random_long_accepted),
		cmocka_unit_test(bcrypt_every_character_counts),
		cmocka_unit_test(bcrypt_needs_the_pepper),
		cmocka_unit_test(history),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
