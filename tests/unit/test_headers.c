/* Unit tests of src/headers.c: security headers, request ids, content types, JSON detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "headers.h"

static const char *find(const header_t *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

static void test_hsts_only_with_https(void **state)
{
	size_t n_https = 0, n_http = 0;
	const header_t *https = headers_security(true, &n_https);
	const header_t *http = headers_security(false, &n_http);
	assert_int_equal(n_https, n_http + 1);
	const char *hsts = find(https, n_https, "Strict-Transport-Security");
	assert_non_null(hsts);
	assert_non_null(strstr(hsts, "max-age="));
	assert_null(find(http, n_http, "Strict-Transport-Security"));
}

static void test_security_headers_present(void **state)
{
	static const struct {
		const char *name, *value;
	} want[] = {
		{ "X-Frame-Options", "DENY" },
		{ "X-Content-Type-Options", "nosniff" },
		{ "Referrer-Policy", "strict-origin-when-cross-origin" },
		{ "Cross-Origin-Opener-Policy", "same-origin" },
		{ "Cross-Origin-Resource-Policy", "same-origin" },
	};
	for (int https = 0; https <= 1; https++) {
		size_t n = 0;
		const header_t *h = headers_security(https, &n);
		for (size_t i = 0; i < ARRAY_LEN(want); i++) {
			const char *v = find(h, n, want[i].name);
			if (!v)
				fail_msg("%s missing (https=%d)", want[i].name, https);
			assert_string_equal(v, want[i].value);
		}
		const char *csp = find(h, n, "Content-Security-Policy");
		assert_non_null(csp);
		assert_non_null(strstr(csp, "default-src 'self'"));
		assert_non_null(strstr(csp, "frame-ancestors 'none'"));
		assert_null(strstr(csp, "unsafe-inline"));
		assert_null(strstr(csp, "unsafe-eval"));
		assert_non_null(find(h, n, "Permissions-Policy"));
		/* no duplicates, no empty values, no CR/LF */
		for (size_t i = 0; i < n; i++) {
			assert_true(strlen(h[i].value) > 0);
			assert_null(strpbrk(h[i].value, "\r\n"));
			for (size_t j = 0; j < i; j++)
				assert_int_not_equal(strcasecmp(h[i].name, h[j].name), 0);
		}
	}
}

static void test_request_id(void **state)
{
	static const struct {
		const char *v;
		bool ok;
	} cases[] = {
		{ "abc", true },
		{ "A-Z_a.z:09", true },
		{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true }, /* 64 */
		{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", false }, /* 65 */
		{ "", false },
		{ "a b", false },
		{ "a/b", false },
		{ "a\"b", false },
		{ "a\r\nX-Evil: 1", false },
		{ "a\tb", false },
		{ "caf\xc3\xa9", false },
		{ "<script>", false },
		{ "a,b", false },
		{ "a;b", false },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (headers_request_id_ok(cases[i].v) != cases[i].ok)
			fail_msg("headers_request_id_ok(\"%s\") should be %d", cases[i].v, cases[i].ok);
	assert_false(headers_request_id_ok(NULL));
}

static void test_content_types(void **state)
{
	static const struct {
		const char *path, *type;
	} cases[] = {
		{ "index.html", "text/html; charset=utf-8" },
		{ "/app/main.js", "text/javascript; charset=utf-8" },
		{ "mod.mjs", "text/javascript; charset=utf-8" },
		{ "style.css", "text/css; charset=utf-8" },
		{ "data.json", "application/json" },
		{ "logo.svg", "image/svg+xml" },
		{ "logo.png", "image/png" },
		{ "favicon.ico", "image/x-icon" },
		{ "robots.txt", "text/plain; charset=utf-8" },
		{ "app.webmanifest", "application/manifest+json" },
		{ "font.woff2", "font/woff2" },
		{ "INDEX.HTML", "text/html; charset=utf-8" },
		{ "archive.tar.gz", "application/octet-stream" },
		{ "noext", "application/octet-stream" },
		{ "dir.html/file", "application/octet-stream" },
		{ "a.htm", "application/octet-stream" },
		{ "a.html.bak", "application/octet-stream" },
		{ "", "application/octet-stream" },
		{ ".", "application/octet-stream" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (strcmp(headers_content_type(cases[i].path), cases[i].type) != 0)
			fail_msg("headers_content_type(\"%s\") = \"%s\", want \"%s\"", cases[i].path,
				 headers_content_type(cases[i].path), cases[i].type);
}

static void test_is_json(void **state)
{
	static const struct {
		const char *ct;
		bool ok;
	} cases[] = {
		{ "application/json", true },
		{ "application/json; charset=utf-8", true },
		{ "application/json;charset=UTF-8", true },
		{ "Application/JSON", true },
		{ " application/json ", true },
		{ "application/json ; charset=utf-8", true },
		{ "application/jsonx", false },
		{ "application/json-patch+json", false },
		{ "application/json5", false },
		{ "text/json", false },
		{ "application/x-www-form-urlencoded", false },
		{ "multipart/form-data; boundary=x", false },
		{ "application/jso", false },
		{ "application", false },
		{ "json", false },
		{ "", false },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (headers_is_json(cases[i].ct) != cases[i].ok)
			fail_msg("headers_is_json(\"%s\") should be %d", cases[i].ct, cases[i].ok);
	assert_false(headers_is_json(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hsts_only_with_https),
		cmocka_unit_test(test_security_headers_present),
		cmocka_unit_test(test_request_id),
		cmocka_unit_test(test_content_types),
		cmocka_unit_test(test_is_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
