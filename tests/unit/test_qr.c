/* Unit tests of src/auth/qr.c: the SVG is one path of squares with a quiet zone and a
 * viewBox that fits the symbol, and nothing active. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <qrencode.h>

#include "auth/qr.h"

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_svg_shape(void **state)
{
	const char *uri = "otpauth://totp/Planyard:ann%2Btest@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
			  "&issuer=Planyard&algorithm=SHA1&digits=6&period=30";
	char *svg = qr_svg(uri);
	assert_non_null(svg);
	assert_int_equal(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
	assert_int_equal(strcmp(svg + strlen(svg) - 6, "</svg>"), 0);
	assert_int_equal(count(svg, "<path"), 1);
	assert_int_equal(count(svg, "<script"), 0);
	assert_null(strstr(svg, " on"));  /* no event handlers */
	assert_null(strstr(svg, "href"));
	assert_null(strstr(svg, uri)); /* the secret is drawn, not written */

	QRcode *q = QRcode_encodeString8bit(uri, 0, QR_ECLEVEL_M);
	assert_non_null(q);
	char vb[64];
	snprintf(vb, sizeof vb, "viewBox=\"0 0 %d %d\"", q->width + 8, q->width + 8);
	assert_non_null(strstr(svg, vb));
	/* every dark module is inside a run; the path starts at the quiet zone, not at 0 */
	assert_non_null(strstr(svg, "d=\"M4 4h"));
	/* the number of dark modules equals the total run length */
	long dark = 0, drawn = 0;
	for (int i = 0; i < q->width * q->width; i++)
		dark += q->data[i] & 1;
	for (const char *p = strstr(svg, " d=\""); (p = strchr(p, 'h'));) {
		long n = strtol(p + 1, NULL, 10);
		if (p[1] != '-')
			drawn += n;
		p++;
	}
	assert_int_equal(drawn, dark);
	QRcode_free(q);
	free(svg);
}

static void test_too_long(void **state)
{
	size_t n = 8000;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'A', n);
	big[n] = '\0';
	assert_null(qr_svg(big));
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svg_shape),
		cmocka_unit_test(test_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
