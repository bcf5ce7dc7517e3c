/* Unit tests of audit_csv_cell (src/api/audit.c): RFC 4180 quoting, and formula injection
 * neutralised (a cell starting with = + - @, or tab or CR, gets a leading quote inside a
 * quoted cell). GET /audit/export.csv writes every cell through it; the black-box suite
 * tests/api/test_audit_members.py reaches =, + and - through actor emails, but no column
 * of the audit log can start with @ (an email can't), so that one is proven here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "api/audit.h"

/* The cell csv_cell makes of in (n bytes); compared with want (wn bytes). */
static void check_n(const char *in, size_t n, const char *want, size_t wn)
{
	buf_t b = BUF_INIT(0);
	audit_csv_cell(&b, in, n);
	assert_false(b.failed);
	if (wn == 0) {
		assert_int_equal(b.len, 0);
	} else {
		assert_non_null(b.data);
		if (b.len != wn || memcmp(b.data, want, wn) != 0)
			fail_msg("audit_csv_cell(%.*s) = [%.*s], want [%.*s]", (int)n, in, (int)b.len, b.data, (int)wn, want);
	}
	buf_free(&b);
}

static void check(const char *in, const char *want)
{
	check_n(in, strlen(in), want, strlen(want));
}

static void test_plain_cells_are_bare(void **state)
{
	check("", "");
	check("pour.updated", "pour.updated");
	check("owner@example.com", "owner@example.com");
	check("127.0.0.1", "127.0.0.1");
	check("9f1c6a7e-0b8e-4c33-9d2c-5f0a1f8e2b10", "9f1c6a7e-0b8e-4c33-9d2c-5f0a1f8e2b10");
	check("2026-11-22T08:30:00Z", "2026-11-22T08:30:00Z");
	/* the characters only matter at the start */
	check("a=b", "a=b");
	check("1+1", "1+1");
	check("x-1", "x-1");
	check("a@b.example", "a@b.example");
	check(" =1", " =1");
	check("'quoted", "'quoted");
}

static void test_rfc4180_quoting(void **state)
{
	check("a,b", "\"a,b\"");
	check("say \"hi\"", "\"say \"\"hi\"\"\"");
	check("\"", "\"\"\"\"");
	check("line1\nline2", "\"line1\nline2\"");
	check("line1\r\nline2", "\"line1\r\nline2\"");
	check("Smith, \"Bo\"\nLine 2", "\"Smith, \"\"Bo\"\"\nLine 2\"");
	check("{\"name\": [null, \"Acme\"]}", "\"{\"\"name\"\": [null, \"\"Acme\"\"]}\"");
	check(",", "\",\"");
}

static void test_formula_injection_neutralised(void **state)
{
	check("=1+1", "\"'=1+1\"");
	check("=1+1@example.com", "\"'=1+1@example.com\"");
	check("+1@example.com", "\"'+1@example.com\"");
	check("-1@example.com", "\"'-1@example.com\"");
	check("-2+3", "\"'-2+3\"");
	check("@SUM(A1:A9)", "\"'@SUM(A1:A9)\"");
	check("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	check("\t=1", "\"'\t=1\"");
	check("\r=1", "\"'\r=1\"");
	check("=", "\"'=\"");
	check("@", "\"'@\"");
	/* a formula that also needs quoting: one prefix, quotes doubled */
	check("=a,\"b\"\n", "\"'=a,\"\"b\"\"\n\"");
}

static void test_length_not_nul(void **state)
{
	/* n bytes are written, whatever they hold; a NUL does not end the cell */
	check_n("ab\0c", 4, "ab\0c", 4);
	check_n("=1+1 tail", 4, "\"'=1+1\"", 7);
	check_n("a,b", 1, "a", 1);
}

static void test_appends_to_what_is_there(void **state)
{
	buf_t b = BUF_INIT(0);
	buf_puts(&b, "id,");
	audit_csv_cell(&b, "=x", 2);
	buf_puts(&b, ",");
	audit_csv_cell(&b, "y", 1);
	assert_false(b.failed);
	assert_string_equal(b.data, "id,\"'=x\",y");
	buf_free(&b);
}

static void test_respects_buffer_max(void **state)
{
	buf_t b = BUF_INIT(4);
	audit_csv_cell(&b, "a,bcdef", 7);
	assert_true(b.failed);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_cells_are_bare),
		cmocka_unit_test(test_rfc4180_quoting),
		cmocka_unit_test(test_formula_injection_neutralised),
		cmocka_unit_test(test_length_not_nul),
		cmocka_unit_test(test_appends_to_what_is_there),
		cmocka_unit_test(test_respects_buffer_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
