/* libFuzzer entry point of the request-parsing and validation layer: route matching, the
 * header checks, JSON loading and schema validation. No I/O, no database.
 *
 * Input format (the corpus in fuzz/corpus/ is readable text):
 *   METHOD PATH\n
 *   Name: value\n ...      headers, only when a blank line follows them
 *   \n
 *   body                    everything else; with no blank line, all after the first line
 *
 * Besides looking for crashes, leaks and undefined behaviour, it checks the contracts of
 * router_match, jsonv_validate and static_is_screen and traps when one is broken. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "headers.h"
#include "jsonv.h"
#include "router.h"
#include "static.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "fuzz_request: broken contract: %s (line %d)\n", #cond, __LINE__); \
			abort();                                                 \
		}                                                                \
	} while (0)

/* ---- schemas: every jsonv type, nested objects, uuid arrays ---- */

static const char *const statuses[] = { "planned", "poured", "cancelled", NULL };
static const char *const empty_enum[] = { NULL };

static const jsonv_field_t geo_fields[] = {
	{ "lat", JV_INT, true, false, -90, 90, NULL, NULL },
	{ "lon", JV_INT, true, false, -180, 180, NULL, NULL },
	{ "label", JV_STRING, false, true, 0, 3, NULL, NULL },
	JV_END,
};

static const jsonv_field_t address_fields[] = {
	{ "city", JV_STRING, true, false, 1, 40, NULL, NULL },
	{ "zip", JV_STRING, false, true, 0, 10, NULL, NULL },
	{ "geo", JV_OBJECT, false, true, 0, 0, NULL, geo_fields },
	{ "crew", JV_UUID_ARRAY, false, false, 0, 3, NULL, NULL },
	JV_END,
};

/* One field of every type, none required. */
static const jsonv_field_t schema_all[] = {
	{ "name", JV_STRING, false, false, 1, 5, NULL, NULL },
	{ "note", JV_STRING, false, true, 0, 0, NULL, NULL },
	{ "count", JV_INT, false, false, 1, 10, NULL, NULL },
	{ "big", JV_INT, false, true, 0, 0, NULL, NULL },
	{ "neg", JV_INT, false, false, -100, -1, NULL, NULL },
	{ "flag", JV_BOOL, false, true, 0, 0, NULL, NULL },
	{ "id", JV_UUID, false, false, 0, 0, NULL, NULL },
	{ "day", JV_DATE, false, true, 0, 0, NULL, NULL },
	{ "at", JV_TIME, false, false, 0, 0, NULL, NULL },
	{ "ts", JV_TIMESTAMP, false, false, 0, 0, NULL, NULL },
	{ "email", JV_EMAIL, false, false, 0, 0, NULL, NULL },
	{ "phone", JV_E164, false, true, 0, 0, NULL, NULL },
	{ "status", JV_ENUM, false, false, 0, 0, statuses, NULL },
	{ "never", JV_ENUM, false, false, 0, 0, empty_enum, NULL },
	{ "price", JV_DECIMAL, false, false, 0, 0, NULL, NULL },
	{ "hue", JV_COLOR, false, false, 0, 0, NULL, NULL },
	{ "ids", JV_UUID_ARRAY, false, true, 0, 0, NULL, NULL },
	{ "few", JV_UUID_ARRAY, false, false, 0, 2, NULL, NULL },
	{ "address", JV_OBJECT, false, true, 0, 0, NULL, address_fields },
	{ "anything", JV_OBJECT, false, false, 0, 0, NULL, NULL },
	JV_END,
};

/* Required fields, as a sign-up body would have. */
static const jsonv_field_t schema_required[] = {
	{ "email", JV_EMAIL, true, false, 0, 0, NULL, NULL },
	{ "password", JV_STRING, true, false, 12, 128, NULL, NULL },
	{ "name", JV_STRING, true, false, 1, 100, NULL, NULL },
	{ "phone", JV_E164, false, false, 0, 0, NULL, NULL },
	{ "address", JV_OBJECT, true, false, 0, 0, NULL, address_fields },
	JV_END,
};

/* Nothing is allowed. */
static const jsonv_field_t schema_none[] = { JV_END };

/* ---- a local route table with parameters (the real one may have none yet) ---- */

static const route_t param_routes[] = {
	{ .method = "GET", .path = "/api/v1/pours" },
	{ .method = "POST", .path = "/api/v1/pours", .body = schema_all },
	{ .method = "GET", .path = "/api/v1/pours/{id}" },
	{ .method = "PATCH", .path = "/api/v1/pours/{id}", .body = schema_required, .flags = ROUTE_PARTIAL },
	{ .method = "DELETE", .path = "/api/v1/pours/{id}" },
	{ .method = "POST", .path = "/api/v1/pours/{id}/crews/{crew}/assign", .body = schema_required },
	{ .method = "PUT", .path = "/api/v1/{a}/{b}/{c}/{d}", .body = schema_none },
	{ .method = "GET", .path = "/api/v1/{a}/{b}/{c}/{d}/{e}" },
	{ .method = "GET", .path = "/api/v1/sites/{site}/report.xlsx" },
};

static char *dup_n(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void check_errors(int rc, json_t *errors)
{
	if (rc == 0) {
		CHECK(errors == NULL);
		return;
	}
	CHECK(rc == -1);
	CHECK(json_is_array(errors));
	CHECK(json_array_size(errors) > 0);
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e) {
		CHECK(json_is_object(e));
		CHECK(json_is_string(json_object_get(e, "field")));
		CHECK(json_is_string(json_object_get(e, "code")));
		CHECK(json_is_string(json_object_get(e, "message")));
		CHECK(json_string_length(json_object_get(e, "code")) > 0);
	}
}

/* Validates body in full and partially; the partial errors are the full ones less a
 * "required" for each required field that is absent. */
static void validate(const json_t *body, const jsonv_field_t *schema)
{
	json_t *errors = (json_t *)&errors; /* must be overwritten */
	int rc = jsonv_validate(body, schema, &errors);
	check_errors(rc, errors);
	json_t *perrors = (json_t *)&perrors;
	int prc = jsonv_validate_partial(body, schema, &perrors);
	check_errors(prc, perrors);
	size_t missing = 0;
	if (json_is_object(body))
		for (const jsonv_field_t *f = schema; f->name; f++)
			if (f->required && !json_object_get(body, f->name))
				missing++;
	CHECK(json_array_size(errors) == json_array_size(perrors) + missing);
	json_decref(perrors);
	json_decref(errors);
}

/* Matches method+path in a table and checks what router_match promises. */
static const route_t *route(const route_t *table, size_t n, const char *method, const char *path)
{
	arena_t arena = { 0 };
	const route_t *rt = NULL;
	const char *params[REQ_MAX_PARAMS] = { 0 };
	int np = -1;
	const char *allow = NULL;
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	enum router_result res = router_match(table, n, method, path, &arena, &rt, params, &np, &allow);
	switch (res) {
	case ROUTER_FOUND:
		CHECK(rt >= table && rt < table + n);
		CHECK(strcmp(rt->method, m) == 0);
		CHECK(np >= 0 && np <= REQ_MAX_PARAMS);
		for (int i = 0; i < np; i++) {
			CHECK(params[i] && params[i][0]);
			CHECK(!strchr(params[i], '/'));
			CHECK(strstr(path, params[i]));
		}
		break;
	case ROUTER_METHOD_NOT_ALLOWED:
		CHECK(allow && allow[0]);
		CHECK(!rt);
		/* "GET, POST": each a method of the table, none the one asked for */
		for (const char *a = allow; *a; ) {
			size_t len = strcspn(a, ",");
			bool known = false;
			for (size_t i = 0; i < n; i++)
				if (strlen(table[i].method) == len && memcmp(table[i].method, a, len) == 0)
					known = true;
			CHECK(known);
			CHECK(!(strlen(m) == len && memcmp(m, a, len) == 0));
			a += len;
			if (*a) {
				CHECK(a[1] == ' ');
				a += 2;
			}
		}
		break;
	case ROUTER_NOT_FOUND:
		CHECK(!rt);
		break;
	default:
		CHECK(!"router_match returned an unknown result");
	}
	arena_release(&arena);
	return res == ROUTER_FOUND ? rt : NULL;
}

static void check_strings(const char *s)
{
	(void)jsonv_is_uuid(s);
	(void)jsonv_is_date(s);
	(void)jsonv_is_time(s);
	(void)jsonv_is_timestamp(s);
	(void)jsonv_is_email(s);
	(void)jsonv_is_e164(s);
	if (jsonv_is_decimal(s))
		CHECK(strtod(s, NULL) > 0 && strtod(s, NULL) <= 99999.99);
	(void)headers_is_json(s);
	if (headers_request_id_ok(s))
		CHECK(strlen(s) >= 1 && strlen(s) <= 64);
	(void)headers_content_type(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the request line */
	const uint8_t *nl = memchr(data, '\n', size);
	size_t line_len = nl ? (size_t)(nl - data) : size;
	const uint8_t *sp = memchr(data, ' ', line_len);
	char *method = dup_n(data, sp ? (size_t)(sp - data) : line_len);
	char *path = sp ? dup_n(sp + 1, line_len - (size_t)(sp + 1 - data)) : dup_n(data, 0);
	const uint8_t *rest = nl ? nl + 1 : data + size;
	size_t rest_len = size - (size_t)(rest - data);

	/* headers, when a blank line ends them */
	const char *content_type = "application/json";
	char *ct_copy = NULL;
	const uint8_t *body = rest;
	size_t body_len = rest_len;
	const uint8_t *blank = NULL;
	for (const uint8_t *p = rest; p < rest + rest_len; ) {
		const uint8_t *e = memchr(p, '\n', (size_t)(rest + rest_len - p));
		if (!e)
			break;
		if (e == p) {
			blank = p;
			break;
		}
		p = e + 1;
	}
	if (blank) {
		body = blank + 1;
		body_len = (size_t)(rest + rest_len - body);
		for (const uint8_t *p = rest; p < blank; ) {
			const uint8_t *e = memchr(p, '\n', (size_t)(blank - p));
			const uint8_t *colon = memchr(p, ':', (size_t)(e - p));
			char *name = dup_n(p, colon ? (size_t)(colon - p) : (size_t)(e - p));
			const uint8_t *v = colon ? colon + 1 : e;
			while (v < e && *v == ' ')
				v++;
			char *value = dup_n(v, (size_t)(e - v));
			check_strings(name);
			check_strings(value);
			if (strcasecmp(name, "Content-Type") == 0 && !ct_copy) {
				ct_copy = value;
				content_type = ct_copy;
				value = NULL;
			}
			free(name);
			free(value);
			p = e + 1;
		}
	}
	check_strings(method);
	check_strings(path);
	/* a page path is a screen with or without trailing slashes, never with anything else */
	if (static_is_screen(path)) {
		CHECK(path[0] == '/');
		CHECK(!strstr(path, "?") && !strstr(path, "."));
	}

	/* routing: the real table, then one with parameters */
	const route_t *rt = route(routes, routes_count, method, path);
	const route_t *prt = route(param_routes, ARRAY_LEN(param_routes), method, path);

	/* the body, as the gate treats it: an empty one is validated as {} */
	(void)headers_is_json(content_type);
	json_error_t jerr;
	json_t *json = body_len ? json_loadb((const char *)body, body_len, JSON_REJECT_DUPLICATES, &jerr)
				: json_object();
	if (json) {
		validate(json, schema_all);
		validate(json, schema_required);
		validate(json, schema_none);
		if (rt && rt->body)
			validate(json, rt->body);
		if (prt && prt->body)
			validate(json, prt->body);
		/* every string value goes through the format checks too */
		const char *key;
		json_t *v;
		if (json_is_object(json))
			json_object_foreach(json, key, v)
				if (json_is_string(v))
					check_strings(json_string_value(v));
		json_decref(json);
	}
	char *body_str = dup_n(body, body_len);
	check_strings(body_str);
	free(body_str);

	free(ct_copy);
	free(method);
	free(path);
	return 0;
}
