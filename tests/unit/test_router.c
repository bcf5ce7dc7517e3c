/* Unit tests of src/router.c: matching against a local table, and properties of the real one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "router.h"

static const route_t table[] = {
	{ .method = "GET", .path = "/api/v1/pours" },
	{ .method = "POST", .path = "/api/v1/pours" },
	{ .method = "GET", .path = "/api/v1/pours/{id}" },
	{ .method = "PATCH", .path = "/api/v1/pours/{id}" },
	{ .method = "DELETE", .path = "/api/v1/pours/{id}" },
	{ .method = "POST", .path = "/api/v1/pours/{id}/crews/{crew}/assign" },
	{ .method = "PUT", .path = "/api/v1/sites/{site}" },
	{ .method = "GET", .path = "/api/v1/sites/{site}/report.xlsx" },
	{ .method = "GET", .path = "/healthz", .flags = ROUTE_ROOT },
};

struct match {
	enum router_result res;
	const route_t *route;
	const char *params[REQ_MAX_PARAMS];
	int nparams;
	const char *allow;
};

static arena_t arena;

static int arena_teardown(void **state)
{
	arena_release(&arena);
	return 0;
}

static struct match run(const char *method, const char *path)
{
	struct match m;
	memset(&m, 0, sizeof m);
	m.nparams = -1;
	m.res = router_match(table, ARRAY_LEN(table), method, path, &arena, &m.route, m.params, &m.nparams,
			     &m.allow);
	return m;
}

static void expect_found(const char *method, const char *path, size_t index)
{
	struct match m = run(method, path);
	if (m.res != ROUTER_FOUND)
		fail_msg("%s %s: expected route %zu, got result %d", method, path, index, (int)m.res);
	assert_ptr_equal(m.route, &table[index]);
}

static void expect_not_found(const char *method, const char *path)
{
	struct match m = run(method, path);
	if (m.res != ROUTER_NOT_FOUND)
		fail_msg("%s %s: expected 404, got result %d", method, path, (int)m.res);
}

static void test_static_paths(void **state)
{
	expect_found("GET", "/api/v1/pours", 0);
	expect_found("POST", "/api/v1/pours", 1);
	expect_found("GET", "/healthz", 8);
	struct match m = run("GET", "/api/v1/pours");
	assert_int_equal(m.nparams, 0);
}

static void test_params_extracted(void **state)
{
	struct match m = run("GET", "/api/v1/pours/abc-123");
	assert_int_equal(m.res, ROUTER_FOUND);
	assert_ptr_equal(m.route, &table[2]);
	assert_int_equal(m.nparams, 1);
	assert_string_equal(m.params[0], "abc-123");

	m = run("POST", "/api/v1/pours/p1/crews/c%2F2/assign");
	assert_int_equal(m.res, ROUTER_FOUND);
	assert_ptr_equal(m.route, &table[5]);
	assert_int_equal(m.nparams, 2);
	assert_string_equal(m.params[0], "p1");
	assert_string_equal(m.params[1], "c%2F2");

	/* a parameter followed by literal text in the same pattern */
	m = run("GET", "/api/v1/sites/s9/report.xlsx");
	assert_int_equal(m.res, ROUTER_FOUND);
	assert_ptr_equal(m.route, &table[7]);
	assert_int_equal(m.nparams, 1);
	assert_string_equal(m.params[0], "s9");
}

static void test_params_are_copies(void **state)
{
	char path[] = "/api/v1/pours/xyz";
	struct match m = run("GET", path);
	assert_int_equal(m.res, ROUTER_FOUND);
	path[14] = 'Q';
	assert_string_equal(m.params[0], "xyz");
}

static void test_not_found(void **state)
{
	expect_not_found("GET", "/api/v1/nothing");
	expect_not_found("GET", "/api/v1");
	expect_not_found("GET", "");
	expect_not_found("GET", "/");
	expect_not_found("GET", "/api/v1/pour");
	expect_not_found("GET", "/api/v1/poursx");
	expect_not_found("GET", "/API/V1/POURS");
	expect_not_found("GET", "/api/v1/pours/1/extra");
	expect_not_found("POST", "/api/v1/pours/p1/crews/c2");
	expect_not_found("POST", "/api/v1/pours/p1/crews/c2/assign/");
	/* a 404 does not fill params */
	struct match m = run("GET", "/api/v1/nothing");
	assert_null(m.route);
	assert_null(m.allow);
}

static void test_trailing_slash(void **state)
{
	expect_not_found("GET", "/api/v1/pours/");
	expect_not_found("GET", "/healthz/");
	expect_not_found("GET", "/api/v1/pours/1/");
	expect_not_found("GET", "/api/v1/pours//");
}

static void test_param_not_empty_nor_slash(void **state)
{
	/* {id} is one non-empty segment */
	expect_not_found("GET", "/api/v1/pours/");
	expect_not_found("GET", "/api/v1/pours/a/b");
	expect_not_found("POST", "/api/v1/pours//crews/c/assign");
	expect_not_found("POST", "/api/v1/pours/p/crews//assign");
	expect_not_found("POST", "/api/v1/pours/p/x/crews/c/assign");
	expect_not_found("GET", "/api/v1/sites//report.xlsx");
	expect_not_found("GET", "/api/v1/sites/a/b/report.xlsx");
}

static void test_method_not_allowed(void **state)
{
	struct match m = run("PUT", "/api/v1/pours");
	assert_int_equal(m.res, ROUTER_METHOD_NOT_ALLOWED);
	assert_non_null(m.allow);
	assert_string_equal(m.allow, "GET, POST");

	m = run("POST", "/api/v1/pours/42");
	assert_int_equal(m.res, ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, PATCH, DELETE");

	m = run("GET", "/api/v1/pours/p/crews/c/assign");
	assert_int_equal(m.res, ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "POST");

	/* methods are case-sensitive */
	m = run("get", "/api/v1/pours");
	assert_int_equal(m.res, ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, POST");

	/* allow may be NULL */
	const route_t *rt = NULL;
	assert_int_equal(router_match(table, ARRAY_LEN(table), "PUT", "/api/v1/pours", &arena, &rt, NULL, NULL, NULL),
			 ROUTER_METHOD_NOT_ALLOWED);
}

static void test_head_matches_get(void **state)
{
	expect_found("HEAD", "/api/v1/pours", 0);
	expect_found("HEAD", "/healthz", 8);
	struct match m = run("HEAD", "/api/v1/pours/7");
	assert_int_equal(m.res, ROUTER_FOUND);
	assert_ptr_equal(m.route, &table[2]);
	assert_string_equal(m.params[0], "7");
	/* HEAD of a path without GET is a 405 */
	m = run("HEAD", "/api/v1/sites/s1");
	assert_int_equal(m.res, ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "PUT");
}

static void test_empty_table(void **state)
{
	const route_t *rt = NULL;
	assert_int_equal(router_match(table, 0, "GET", "/api/v1/pours", &arena, &rt, NULL, NULL, NULL),
			 ROUTER_NOT_FOUND);
}

static void test_real_table(void **state)
{
	assert_true(routes_count > 0);
	for (size_t i = 0; i < routes_count; i++) {
		const route_t *r = &routes[i];
		assert_non_null(r->method);
		assert_non_null(r->path);
		assert_non_null(r->handler);
		bool v1 = strncmp(r->path, "/api/v1/", 8) == 0;
		bool root = (r->flags & ROUTE_ROOT) != 0;
		if (!v1 && !root)
			fail_msg("route %s %s is neither under /api/v1/ nor ROUTE_ROOT", r->method, r->path);
		if (v1 && root)
			fail_msg("route %s %s is under /api/v1/ but flagged ROUTE_ROOT", r->method, r->path);
		if (root && r->path[0] != '/')
			fail_msg("root route %s does not start with /", r->path);
		static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };
		bool known = false;
		for (size_t k = 0; k < ARRAY_LEN(methods); k++)
			if (strcmp(r->method, methods[k]) == 0)
				known = true;
		if (!known)
			fail_msg("route %s %s has an unexpected method", r->method, r->path);
		size_t len = strlen(r->path);
		if (len > 1 && r->path[len - 1] == '/')
			fail_msg("route %s %s ends with a slash", r->method, r->path);
		int braces = 0;
		for (const char *p = r->path; *p; p++)
			if (*p == '{')
				braces++;
		if (braces > REQ_MAX_PARAMS)
			fail_msg("route %s %s has more than %d parameters", r->method, r->path, REQ_MAX_PARAMS);
		for (size_t j = 0; j < i; j++)
			if (strcmp(routes[j].method, r->method) == 0 && strcmp(routes[j].path, r->path) == 0)
				fail_msg("routes %zu and %zu are both %s %s", j, i, r->method, r->path);
	}
}

/* Every route of the real table is found by its own method and path (braces filled in). */
static void test_real_table_reachable(void **state)
{
	for (size_t i = 0; i < routes_count; i++) {
		const route_t *r = &routes[i];
		char path[512];
		size_t o = 0;
		int expect_params = 0;
		for (const char *p = r->path; *p && o + 4 < sizeof path; p++) {
			if (*p == '{') {
				const char *e = strchr(p, '}');
				assert_non_null(e);
				path[o++] = 'x';
				path[o++] = (char)('0' + expect_params++);
				p = e;
			} else {
				path[o++] = *p;
			}
		}
		path[o] = '\0';
		const route_t *found = NULL;
		const char *params[REQ_MAX_PARAMS] = { 0 };
		int np = -1;
		assert_int_equal(router_match(routes, routes_count, r->method, path, &arena, &found, params, &np, NULL),
				 ROUTER_FOUND);
		if (found != r)
			fail_msg("%s %s found %s %s", r->method, path, found->method, found->path);
		assert_int_equal(np, expect_params);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_static_paths, arena_teardown),
		cmocka_unit_test_teardown(test_params_extracted, arena_teardown),
		cmocka_unit_test_teardown(test_params_are_copies, arena_teardown),
		cmocka_unit_test_teardown(test_not_found, arena_teardown),
		cmocka_unit_test_teardown(test_trailing_slash, arena_teardown),
		cmocka_unit_test_teardown(test_param_not_empty_nor_slash, arena_teardown),
		cmocka_unit_test_teardown(test_method_not_allowed, arena_teardown),
		cmocka_unit_test_teardown(test_head_matches_get, arena_teardown),
		cmocka_unit_test_teardown(test_empty_table, arena_teardown),
		cmocka_unit_test_teardown(test_real_table, arena_teardown),
		cmocka_unit_test_teardown(test_real_table_reachable, arena_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
