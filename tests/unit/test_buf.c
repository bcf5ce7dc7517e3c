/* Unit tests of src/buf.c: the hard maximum, the sticky failure flag, JSON escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "buf.h"

static void test_append_and_nul(void **state)
{
	buf_t b = BUF_INIT(0);
	assert_int_equal(buf_append(&b, "ab", 2), 0);
	assert_int_equal(buf_puts(&b, "cd"), 0);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_int_equal(buf_printf(&b, "-%d-%s", 42, "x"), 0);
	assert_int_equal(b.len, 9);
	assert_string_equal(b.data, "abcd-42-x");
	assert_false(b.failed);
	/* binary data with a NUL keeps its length and stays terminated */
	assert_int_equal(buf_append(&b, "\0z", 2), 0);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.data + 9, "\0z\0", 3);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_empty_append_allocates(void **state)
{
	buf_t b = BUF_INIT(16);
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	buf_free(&b);
}

static void test_growth(void **state)
{
	buf_t b = BUF_INIT(0);
	char chunk[100];
	memset(chunk, 'q', sizeof chunk);
	for (int i = 0; i < 1000; i++)
		buf_append(&b, chunk, sizeof chunk);
	assert_false(b.failed);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[99999], 'q');
	assert_int_equal(b.data[100000], '\0');
	buf_free(&b);
}

static void test_max_enforced(void **state)
{
	buf_t b = BUF_INIT(8);
	assert_int_equal(buf_append(&b, "12345678", 8), 0); /* exactly max */
	assert_false(b.failed);
	assert_int_equal(buf_append(&b, "9", 1), -1);
	assert_true(b.failed);
	/* unchanged by the failed append */
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	assert_true(b.cap <= 9);
	buf_free(&b);

	b = BUF_INIT(5);
	assert_int_equal(buf_append(&b, "123456", 6), -1);
	assert_true(b.failed);
	assert_int_equal(b.len, 0);
	buf_free(&b);

	b = BUF_INIT(5);
	assert_int_equal(buf_printf(&b, "%s", "123456"), -1);
	assert_true(b.failed);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_printf(&b, "%d", 12345), 0);
	assert_string_equal(b.data, "12345");
	buf_free(&b);

	/* a length that would overflow size_t fails instead of wrapping */
	b = BUF_INIT(0);
	assert_int_equal(buf_puts(&b, "x"), 0);
	assert_int_equal(buf_append(&b, "y", SIZE_MAX), -1);
	assert_true(b.failed);
	assert_int_equal(b.len, 1);
	assert_int_equal(buf_append(&b, "y", SIZE_MAX - 1), -1);
	assert_int_equal(b.len, 1);
	assert_string_equal(b.data, "x");
	buf_free(&b);
}

static void test_failed_is_sticky(void **state)
{
	buf_t b = BUF_INIT(4);
	buf_puts(&b, "abc");
	buf_puts(&b, "de");   /* fails */
	assert_int_equal(buf_puts(&b, "d"), 0); /* fits, succeeds... */
	assert_true(b.failed);                  /* ...but the series has failed */
	assert_string_equal(b.data, "abcd");
	buf_reset(&b);
	assert_false(b.failed);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(buf_puts(&b, "wxyz"), 0);
	assert_false(b.failed);
	buf_wipe_free(&b);
	assert_null(b.data);
}

static void check_escape(const char *in, size_t n, const char *want)
{
	buf_t b = BUF_INIT(0);
	assert_int_equal(buf_json_escape(&b, in, n), 0);
	if (strcmp(b.data ? b.data : "", want) != 0) {
		print_error("escaped \"%s\", want \"%s\"\n", b.data, want);
		buf_free(&b);
		fail();
	}
	buf_free(&b);
}

static void test_json_escape(void **state)
{
	check_escape("plain", 5, "plain");
	check_escape("say \"hi\"", 8, "say \\\"hi\\\"");
	check_escape("a\\b", 3, "a\\\\b");
	check_escape("l1\nl2\r\t", 7, "l1\\nl2\\r\\t");
	check_escape("\x01", 1, "\\u0001");
	check_escape("\x1f", 1, "\\u001f");
	check_escape("\x08\x0c", 2, "\\u0008\\u000c");
	check_escape("\x7f", 1, "\\u007f");
	check_escape("a\0b", 3, "a\\u0000b");
	check_escape("</script>", 9, "</script>");
	check_escape("caf\xc3\xa9 \xe2\x82\xac", 9, "caf\xc3\xa9 \xe2\x82\xac"); /* UTF-8 passes through */
	check_escape("", 0, "");
	/* only n bytes are read */
	check_escape("abcdef", 3, "abc");
}

static void test_json_escape_round_trip(void **state)
{
	/* every byte 0x01-0x7f escaped inside quotes is a JSON string that decodes to the input */
	char in[127];
	for (int i = 0; i < 127; i++)
		in[i] = (char)(i + 1);
	buf_t b = BUF_INIT(0);
	buf_puts(&b, "\"");
	assert_int_equal(buf_json_escape(&b, in, sizeof in), 0);
	buf_puts(&b, "\"");
	assert_false(b.failed);
	json_error_t jerr;
	json_t *s = json_loadb(b.data, b.len, JSON_DECODE_ANY, &jerr);
	if (!s)
		fail_msg("escaped text is not JSON: %s", jerr.text);
	assert_int_equal(json_string_length(s), sizeof in);
	assert_memory_equal(json_string_value(s), in, sizeof in);
	json_decref(s);
	buf_free(&b);
}

static void test_json_escape_respects_max(void **state)
{
	buf_t b = BUF_INIT(5);
	assert_int_equal(buf_json_escape(&b, "\x01", 1), -1); /* 6 bytes */
	assert_true(b.failed);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_nul),
		cmocka_unit_test(test_empty_append_allocates),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_max_enforced),
		cmocka_unit_test(test_failed_is_sticky),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_escape_round_trip),
		cmocka_unit_test(test_json_escape_respects_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
