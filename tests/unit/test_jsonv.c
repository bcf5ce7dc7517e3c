/* Unit tests of src/jsonv.c: body validation against a schema and the format checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jsonv.h"

static const char *const colours[] = { "red", "green", NULL };

static const jsonv_field_t address_fields[] = {
	{ "city", JV_STRING, true, false, 1, 20, NULL, NULL },
	{ "zip", JV_STRING, false, false, 0, 5, NULL, NULL },
	JV_END,
};

/* One field of each type; only "name" is required. */
static const jsonv_field_t schema[] = {
	{ "name", JV_STRING, true, false, 1, 5, NULL, NULL },
	{ "note", JV_STRING, false, true, 0, 0, NULL, NULL },
	{ "count", JV_INT, false, false, 1, 10, NULL, NULL },
	{ "big", JV_INT, false, false, 0, 0, NULL, NULL },
	{ "flag", JV_BOOL, false, false, 0, 0, NULL, NULL },
	{ "id", JV_UUID, false, false, 0, 0, NULL, NULL },
	{ "day", JV_DATE, false, false, 0, 0, NULL, NULL },
	{ "at", JV_TIME, false, false, 0, 0, NULL, NULL },
	{ "ts", JV_TIMESTAMP, false, false, 0, 0, NULL, NULL },
	{ "email", JV_EMAIL, false, false, 0, 0, NULL, NULL },
	{ "phone", JV_E164, false, false, 0, 0, NULL, NULL },
	{ "colour", JV_ENUM, false, false, 0, 0, colours, NULL },
	{ "price", JV_DECIMAL, false, false, 0, 0, NULL, NULL },
	{ "hue", JV_COLOR, false, false, 0, 0, NULL, NULL },
	{ "ids", JV_UUID_ARRAY, false, false, 0, 2, NULL, NULL },
	{ "address", JV_OBJECT, false, true, 0, 0, NULL, address_fields },
	JV_END,
};

#define UUID1 "123e4567-e89b-12d3-a456-426614174000"
#define UUID2 "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"

/* Validates the JSON text against schema; returns the errors (NULL when valid). */
static json_t *validate(const char *text)
{
	json_error_t jerr;
	json_t *obj = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		fail_msg("test JSON does not load: %s: %s", text, jerr.text);
	json_t *errors = (json_t *)1;
	int rc = jsonv_validate(obj, schema, &errors);
	json_decref(obj);
	if (rc == 0)
		assert_null(errors);
	else
		assert_true(json_is_array(errors) && json_array_size(errors) > 0);
	return errors;
}

static void assert_valid(const char *text)
{
	json_t *errors = validate(text);
	if (errors) {
		char *dump = json_dumps(errors, 0);
		print_error("unexpected errors for %s: %s\n", text, dump);
		free(dump);
		json_decref(errors);
		fail();
	}
}

/* Exactly one error, with this field and code, and a non-empty message. */
static void assert_one_error(const char *text, const char *field, const char *code)
{
	json_t *errors = validate(text);
	if (!errors)
		fail_msg("%s was accepted; expected %s/%s", text, field, code);
	if (json_array_size(errors) != 1) {
		char *dump = json_dumps(errors, 0);
		print_error("expected one error for %s, got %s\n", text, dump);
		free(dump);
		json_decref(errors);
		fail();
	}
	json_t *e = json_array_get(errors, 0);
	const char *f = json_string_value(json_object_get(e, "field"));
	const char *c = json_string_value(json_object_get(e, "code"));
	const char *m = json_string_value(json_object_get(e, "message"));
	assert_non_null(f);
	assert_non_null(c);
	assert_non_null(m);
	assert_string_equal(f, field);
	assert_string_equal(c, code);
	assert_true(strlen(m) > 0);
	json_decref(errors);
}

static void test_minimal_valid(void **state)
{
	assert_valid("{\"name\":\"a\"}");
}

static void test_all_fields_valid(void **state)
{
	assert_valid("{\"name\":\"abcde\",\"note\":null,\"count\":10,\"big\":2147483647,\"flag\":false,"
		     "\"id\":\"" UUID1 "\",\"day\":\"2024-02-29\",\"at\":\"23:59\","
		     "\"ts\":\"2026-03-01T12:00:00.123+02:00\",\"email\":\"a@b.co\",\"phone\":\"+15551234567\","
		     "\"colour\":\"green\",\"price\":\"99999.99\",\"hue\":\"#a0B1c2\","
		     "\"ids\":[\"" UUID1 "\",\"" UUID2 "\"],\"address\":{\"city\":\"Oslo\",\"zip\":\"0150\"}}");
}

static void test_required(void **state)
{
	assert_one_error("{}", "name", "required");
	assert_one_error("{\"count\":1}", "name", "required");
	/* min 1: an empty string is "required" too */
	assert_one_error("{\"name\":\"\"}", "name", "required");
}

static void test_not_an_object(void **state)
{
	const char *bodies[] = { "[]", "1", "\"x\"", "null", "true" };
	for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
		json_t *v = json_loads(bodies[i], JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		json_t *errors = NULL;
		assert_int_equal(jsonv_validate(v, schema, &errors), -1);
		assert_int_equal(json_array_size(errors), 1);
		assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "code")),
				    "invalid_type");
		json_decref(errors);
		json_decref(v);
	}
}

static void test_unknown_field(void **state)
{
	assert_one_error("{\"name\":\"a\",\"extra\":1}", "extra", "unknown_field");
	assert_one_error("{\"name\":\"a\",\"Name\":\"b\"}", "Name", "unknown_field");
	assert_one_error("{\"name\":\"a\",\"address\":{\"city\":\"x\",\"street\":\"y\"}}", "address.street",
			 "unknown_field");
}

static void test_wrong_type(void **state)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
		{ "{\"name\":1}", "name" },
		{ "{\"name\":\"a\",\"count\":\"1\"}", "count" },
		{ "{\"name\":\"a\",\"count\":1.0}", "count" },
		{ "{\"name\":\"a\",\"count\":true}", "count" },
		{ "{\"name\":\"a\",\"flag\":\"true\"}", "flag" },
		{ "{\"name\":\"a\",\"flag\":0}", "flag" },
		{ "{\"name\":\"a\",\"id\":123}", "id" },
		{ "{\"name\":\"a\",\"price\":12.5}", "price" },
		{ "{\"name\":\"a\",\"ids\":\"" UUID1 "\"}", "ids" },
		{ "{\"name\":\"a\",\"address\":[]}", "address" },
		{ "{\"name\":\"a\",\"address\":\"Oslo\"}", "address" },
		{ "{\"name\":[\"a\"]}", "name" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_one_error(cases[i].body, cases[i].field, "invalid_type");
}

static void test_null(void **state)
{
	assert_one_error("{\"name\":null}", "name", "invalid_type");
	assert_one_error("{\"name\":\"a\",\"count\":null}", "count", "invalid_type");
	assert_one_error("{\"name\":\"a\",\"ids\":null}", "ids", "invalid_type");
	/* nullable fields accept null */
	assert_valid("{\"name\":\"a\",\"note\":null,\"address\":null}");
}

static void test_string_length_in_characters(void **state)
{
	/* max 5 characters: five 2-byte and five 3-byte characters (10 and 15 bytes) fit */
	assert_valid("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}");
	assert_valid("{\"name\":\"\\u20ac\\u20ac\\u20ac\\u20ac\\u20ac\"}");
	/* a 4-byte character (surrogate pair) counts once */
	assert_valid("{\"name\":\"\\ud83d\\ude00abcd\"}");
	assert_one_error("{\"name\":\"abcdef\"}", "name", "too_long");
	assert_one_error("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", "name", "too_long");
	assert_int_equal(jsonv_utf8_len(""), 0);
	assert_int_equal(jsonv_utf8_len("abc"), 3);
	assert_int_equal(jsonv_utf8_len("\xc3\xa9t\xc3\xa9"), 3);
	assert_int_equal(jsonv_utf8_len("\xe2\x82\xac"), 1);
	assert_int_equal(jsonv_utf8_len("\xf0\x9f\x98\x80!"), 2);
}

static void test_string_default_max_and_min(void **state)
{
	static const jsonv_field_t s[] = {
		{ "a", JV_STRING, false, false, 0, 0, NULL, NULL },
		{ "b", JV_STRING, false, false, 3, 0, NULL, NULL },
		JV_END,
	};
	char text[1200];
	json_t *errors;
	json_t *o = json_object();
	memset(text, 'x', 1000);
	text[1000] = '\0';
	json_object_set_new(o, "a", json_string(text));
	assert_int_equal(jsonv_validate(o, s, &errors), 0);
	text[1000] = 'x';
	text[1001] = '\0';
	json_object_set_new(o, "a", json_string(text));
	assert_int_equal(jsonv_validate(o, s, &errors), -1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "code")), "too_long");
	json_decref(errors);
	json_object_del(o, "a");
	json_object_set_new(o, "b", json_string("ab"));
	assert_int_equal(jsonv_validate(o, s, &errors), -1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "code")), "too_short");
	json_decref(errors);
	json_object_set_new(o, "b", json_string(""));
	assert_int_equal(jsonv_validate(o, s, &errors), -1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "code")), "too_short");
	json_decref(errors);
	json_object_set_new(o, "b", json_string("abc"));
	assert_int_equal(jsonv_validate(o, s, &errors), 0);
	json_decref(o);
}

static void test_string_with_nul(void **state)
{
	json_error_t jerr;
	json_t *o = json_loads("{\"name\":\"a\\u0000b\"}", JSON_ALLOW_NUL, &jerr);
	assert_non_null(o);
	json_t *errors;
	assert_int_equal(jsonv_validate(o, schema, &errors), -1);
	assert_int_equal(json_array_size(errors), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "field")), "name");
	assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "code")), "invalid");
	json_decref(errors);
	json_decref(o);
	/* without JSON_ALLOW_NUL (the server's flags) the body does not even load */
	assert_null(json_loads("{\"name\":\"a\\u0000b\"}", JSON_REJECT_DUPLICATES, &jerr));
}

static void test_int_range(void **state)
{
	assert_valid("{\"name\":\"a\",\"count\":1}");
	assert_valid("{\"name\":\"a\",\"count\":10}");
	assert_one_error("{\"name\":\"a\",\"count\":0}", "count", "out_of_range");
	assert_one_error("{\"name\":\"a\",\"count\":11}", "count", "out_of_range");
	assert_one_error("{\"name\":\"a\",\"count\":-5}", "count", "out_of_range");
	/* 0,0 means 0..INT32_MAX */
	assert_valid("{\"name\":\"a\",\"big\":0}");
	assert_one_error("{\"name\":\"a\",\"big\":2147483648}", "big", "out_of_range");
	assert_one_error("{\"name\":\"a\",\"big\":-1}", "big", "out_of_range");
	assert_one_error("{\"name\":\"a\",\"big\":9223372036854775807}", "big", "out_of_range");
}

static void test_enum(void **state)
{
	assert_valid("{\"name\":\"a\",\"colour\":\"red\"}");
	assert_one_error("{\"name\":\"a\",\"colour\":\"blue\"}", "colour", "invalid");
	assert_one_error("{\"name\":\"a\",\"colour\":\"Red\"}", "colour", "invalid");
	assert_one_error("{\"name\":\"a\",\"colour\":\"re\"}", "colour", "invalid");
	assert_one_error("{\"name\":\"a\",\"colour\":\"\"}", "colour", "invalid");
	assert_one_error("{\"name\":\"a\",\"colour\":1}", "colour", "invalid_type");
}

struct fmt_case {
	const char *s;
	bool ok;
};

static void check_format(bool (*fn)(const char *), const struct fmt_case *c, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (fn(c[i].s) != c[i].ok)
			fail_msg("%s(\"%s\") should be %s", what, c[i].s, c[i].ok ? "true" : "false");
}

#define CHECK_FORMAT(fn, cases) check_format(fn, cases, ARRAY_LEN(cases), #fn)

static void test_uuid(void **state)
{
	static const struct fmt_case c[] = {
		{ UUID1, true },
		{ UUID2, true },
		{ "00000000-0000-0000-0000-000000000000", true },
		{ "123e4567e89b12d3a456426614174000", false },
		{ "123e4567-e89b-12d3-a456-42661417400", false },
		{ "123e4567-e89b-12d3-a456-4266141740000", false },
		{ "123e4567-e89b-12d3-a456_426614174000", false },
		{ "123e4567-e89b-12d3-a456-42661417400g", false },
		{ "{123e4567-e89b-12d3-a456-426614174000}", false },
		{ "123e4567-e89b-12d3-a4564-26614174000", false },
		{ "", false },
	};
	CHECK_FORMAT(jsonv_is_uuid, c);
	assert_one_error("{\"name\":\"a\",\"id\":\"nope\"}", "id", "invalid");
}

static void test_date(void **state)
{
	static const struct fmt_case c[] = {
		{ "2026-01-31", true },
		{ "2024-02-29", true },  /* leap year */
		{ "2000-02-29", true },  /* divisible by 400 */
		{ "2026-02-29", false }, /* not a leap year */
		{ "1900-02-29", false }, /* divisible by 100 */
		{ "2026-02-28", true },
		{ "2026-13-01", false },
		{ "2026-00-10", false },
		{ "2026-04-31", false },
		{ "2026-12-31", true },
		{ "2026-12-32", false },
		{ "2026-01-00", false },
		{ "2026-1-01", false },
		{ "2026/01/01", false },
		{ "2026-01-01T", false },
		{ "26-01-01", false },
		{ "2026-0a-01", false },
		{ "", false },
	};
	CHECK_FORMAT(jsonv_is_date, c);
	assert_valid("{\"name\":\"a\",\"day\":\"2024-02-29\"}");
	assert_one_error("{\"name\":\"a\",\"day\":\"2026-02-29\"}", "day", "invalid");
	assert_one_error("{\"name\":\"a\",\"day\":\"2026-13-01\"}", "day", "invalid");
}

static void test_time(void **state)
{
	static const struct fmt_case c[] = {
		{ "00:00", true }, { "23:59", true }, { "09:05", true },
		{ "24:00", false }, { "23:60", false }, { "9:05", false },
		{ "09:5", false },  { "09-05", false }, { "09:05:00", false },
		{ "ab:cd", false }, { "", false },
	};
	CHECK_FORMAT(jsonv_is_time, c);
	assert_one_error("{\"name\":\"a\",\"at\":\"25:00\"}", "at", "invalid");
}

static void test_timestamp(void **state)
{
	static const struct fmt_case c[] = {
		{ "2026-03-01T12:00:00Z", true },
		{ "2026-03-01T12:00:00.5Z", true },
		{ "2026-03-01T12:00:00.123456789Z", true },
		{ "2026-03-01T12:00:00+02:00", true },
		{ "2026-03-01T12:00:00-23:59", true },
		{ "2024-02-29T23:59:59Z", true },
		{ "2026-03-01T12:00:00", false },        /* no zone */
		{ "2026-03-01 12:00:00Z", false },
		{ "2026-03-01T12:00:00.Z", false },
		{ "2026-03-01T12:00:00.1234567890Z", false },
		{ "2026-03-01T24:00:00Z", false },
		{ "2026-03-01T12:60:00Z", false },
		{ "2026-03-01T12:00:60Z", false },
		{ "2026-02-29T12:00:00Z", false },
		{ "2026-03-01T12:00:00+24:00", false },
		{ "2026-03-01T12:00:00+0200", false },
		{ "2026-03-01T12:00:00Zjunk", false },
		{ "2026-03-01T12:00:00z", false },
		{ "", false },
	};
	CHECK_FORMAT(jsonv_is_timestamp, c);
	assert_one_error("{\"name\":\"a\",\"ts\":\"yesterday\"}", "ts", "invalid");
}

static void test_email(void **state)
{
	static const struct fmt_case c[] = {
		{ "a@b.co", true },
		{ "first.last+tag@example.com", true },
		{ "a@b", false },
		{ "@b.co", false },
		{ "a@", false },
		{ "a@@b.co", false },
		{ "a@b@c.co", false },
		{ "a@.b.co", false },
		{ "a@b.co.", false },
		{ "a@b..co", false },
		{ "a b@c.co", false },
		{ "a<b@c.co", false },
		{ "\"a\"@b.co", false },
		{ "", false },
	};
	CHECK_FORMAT(jsonv_is_email, c);
	char longlocal[80];
	memset(longlocal, 'a', 65);
	memcpy(longlocal + 65, "@b.co", 6);
	assert_false(jsonv_is_email(longlocal));
	memcpy(longlocal + 64, "@b.co", 6);
	assert_true(jsonv_is_email(longlocal));
	assert_one_error("{\"name\":\"a\",\"email\":\"not-an-email\"}", "email", "invalid");
}

static void test_e164(void **state)
{
	static const struct fmt_case c[] = {
		{ "+15551234567", true },
		{ "+4712345", true },           /* 7 digits, the shortest */
		{ "+123456789012345", true },   /* 15 digits, the longest */
		{ "+1234567890123456", false }, /* 16 digits */
		{ "+123456", false },
		{ "15551234567", false },
		{ "+05551234567", false },
		{ "+1 555 123 4567", false },
		{ "+1555123456a", false },
		{ "+", false },
		{ "", false },
	};
	CHECK_FORMAT(jsonv_is_e164, c);
	assert_one_error("{\"name\":\"a\",\"phone\":\"555-1234\"}", "phone", "invalid");
}

static void test_decimal(void **state)
{
	static const struct fmt_case c[] = {
		{ "0", false },
		{ "0.00", false },
		{ "0.5", true },
		{ "0.01", true },
		{ "1", true },
		{ "12.5", true },
		{ "99999.99", true },
		{ "099999.99", true },
		{ "100000", false },
		{ "100000.00", false },
		{ "1.234", false },
		{ ".5", false },
		{ "5.", false },
		{ "-1", false },
		{ "+1", false },
		{ "1e3", false },
		{ "1,5", false },
		{ " 1", false },
		{ "", false },
	};
	CHECK_FORMAT(jsonv_is_decimal, c);
	assert_valid("{\"name\":\"a\",\"price\":\"0.5\"}");
	assert_one_error("{\"name\":\"a\",\"price\":\"0\"}", "price", "invalid");
	assert_one_error("{\"name\":\"a\",\"price\":\"100000\"}", "price", "invalid");
}

static void test_color(void **state)
{
	assert_valid("{\"name\":\"a\",\"hue\":\"#000000\"}");
	assert_valid("{\"name\":\"a\",\"hue\":\"#FFffFF\"}");
	assert_one_error("{\"name\":\"a\",\"hue\":\"000000\"}", "hue", "invalid");
	assert_one_error("{\"name\":\"a\",\"hue\":\"#00000g\"}", "hue", "invalid");
	assert_one_error("{\"name\":\"a\",\"hue\":\"#fff\"}", "hue", "invalid");
}

static void test_uuid_array(void **state)
{
	assert_valid("{\"name\":\"a\",\"ids\":[]}");
	assert_valid("{\"name\":\"a\",\"ids\":[\"" UUID1 "\"]}");
	assert_one_error("{\"name\":\"a\",\"ids\":[\"" UUID1 "\",\"x\"]}", "ids", "invalid");
	assert_one_error("{\"name\":\"a\",\"ids\":[1]}", "ids", "invalid");
	assert_one_error("{\"name\":\"a\",\"ids\":[null]}", "ids", "invalid");
	assert_one_error("{\"name\":\"a\",\"ids\":[[\"" UUID1 "\"]]}", "ids", "invalid");
	/* max 2 items */
	assert_one_error("{\"name\":\"a\",\"ids\":[\"" UUID1 "\",\"" UUID1 "\",\"" UUID1 "\"]}", "ids",
			 "too_long");
}

static void test_nested_object(void **state)
{
	assert_valid("{\"name\":\"a\",\"address\":{\"city\":\"Oslo\"}}");
	assert_one_error("{\"name\":\"a\",\"address\":{}}", "address.city", "required");
	assert_one_error("{\"name\":\"a\",\"address\":{\"city\":\"Oslo\",\"zip\":\"123456\"}}", "address.zip",
			 "too_long");
	assert_one_error("{\"name\":\"a\",\"address\":{\"city\":7}}", "address.city", "invalid_type");
}

static void test_errors_carry_every_field(void **state)
{
	json_t *errors = validate("{\"name\":\"toolong\",\"count\":99,\"id\":\"x\",\"zzz\":1,"
				  "\"address\":{\"zip\":1}}");
	assert_non_null(errors);
	static const struct {
		const char *field, *code;
	} want[] = {
		{ "zzz", "unknown_field" },  { "name", "too_long" },       { "count", "out_of_range" },
		{ "id", "invalid" },         { "address.city", "required" }, { "address.zip", "invalid_type" },
	};
	assert_int_equal(json_array_size(errors), ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		bool found = false;
		size_t j;
		json_t *e;
		json_array_foreach(errors, j, e) {
			const char *f = json_string_value(json_object_get(e, "field"));
			const char *c = json_string_value(json_object_get(e, "code"));
			assert_non_null(f);
			assert_non_null(c);
			assert_true(json_is_string(json_object_get(e, "message")));
			if (strcmp(f, want[i].field) == 0 && strcmp(c, want[i].code) == 0)
				found = true;
		}
		if (!found)
			fail_msg("no error %s/%s", want[i].field, want[i].code);
	}
	json_decref(errors);
}

/* A partial update (PATCH): nothing is required, everything present is still checked. */
static void test_partial(void **state)
{
	json_t *errors = (json_t *)1;
	json_t *o = json_object();
	assert_int_equal(jsonv_validate(o, schema, &errors), -1); /* name is required in full */
	json_decref(errors);
	errors = (json_t *)1;
	assert_int_equal(jsonv_validate_partial(o, schema, &errors), 0);
	assert_null(errors);

	json_object_set_new(o, "count", json_integer(11));
	json_object_set_new(o, "extra", json_true());
	json_object_set_new(o, "name", json_null());
	assert_int_equal(jsonv_validate_partial(o, schema, &errors), -1);
	assert_int_equal(json_array_size(errors), 3);
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e) {
		const char *f = json_string_value(json_object_get(e, "field"));
		const char *c = json_string_value(json_object_get(e, "code"));
		assert_non_null(f);
		assert_non_null(c);
		assert_string_not_equal(c, "required");
		assert_true(strcmp(f, "count") == 0 || strcmp(f, "extra") == 0 || strcmp(f, "name") == 0);
	}
	json_decref(errors);

	/* an empty string is still refused where min is 1 */
	json_object_clear(o);
	json_object_set_new(o, "name", json_string(""));
	assert_int_equal(jsonv_validate_partial(o, schema, &errors), -1);
	assert_int_equal(json_array_size(errors), 1);
	json_decref(errors);

	/* not an object */
	json_t *a = json_array();
	assert_int_equal(jsonv_validate_partial(a, schema, &errors), -1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "code")), "invalid_type");
	json_decref(errors);
	json_decref(a);
	json_decref(o);
}

/* Regression (found with the fuzz target's contract check): an unknown key of a nested object
 * long enough that "parent.key" passed 255 bytes was cut mid-character; the invalid UTF-8
 * made json_pack fail and the error vanished, leaving -1 with an empty errors array. */
static void test_nested_long_unknown_key(void **state)
{
	for (int multibyte = 0; multibyte <= 1; multibyte++) {
		char key[1200];
		size_t o = 0;
		for (int i = 0; i < 300; i++) {
			if (multibyte) {
				key[o++] = '\xc3';
				key[o++] = '\xa9';
			} else {
				key[o++] = 'k';
			}
		}
		key[o] = '\0';
		json_t *addr = json_pack("{s:s,s:i}", "city", "Oslo", key, 1);
		assert_non_null(addr);
		json_t *body = json_pack("{s:s,s:o}", "name", "a", "address", addr);
		assert_non_null(body);
		json_t *errors = NULL;
		assert_int_equal(jsonv_validate(body, schema, &errors), -1);
		assert_int_equal(json_array_size(errors), 1);
		json_t *e = json_array_get(errors, 0);
		const char *field = json_string_value(json_object_get(e, "field"));
		assert_non_null(field);
		assert_int_equal(strncmp(field, "address.", 8), 0);
		assert_string_equal(field + 8, key); /* the whole key, not cut */
		assert_string_equal(json_string_value(json_object_get(e, "code")), "unknown_field");
		json_decref(errors);
		json_decref(body);
	}
}

/* the range checks of lists and exports count calendar days, across months, leap days and
 * years */
static void test_date_days(void **state)
{
	(void)state;
	assert_int_equal(jsonv_date_days("2026-03-01", "2026-03-01"), 0);
	assert_int_equal(jsonv_date_days("2026-02-28", "2026-03-01"), 1);
	assert_int_equal(jsonv_date_days("2028-02-28", "2028-03-01"), 2);
	assert_int_equal(jsonv_date_days("2025-12-31", "2026-01-01"), 1);
	assert_int_equal(jsonv_date_days("2026-01-01", "2026-04-03"), 92);
	assert_int_equal(jsonv_date_days("2026-03-02", "2026-03-01"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_valid),
		cmocka_unit_test(test_all_fields_valid),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_string_length_in_characters),
		cmocka_unit_test(test_string_default_max_and_min),
		cmocka_unit_test(test_string_with_nul),
		cmocka_unit_test(test_int_range),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_e164),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_color),
		cmocka_unit_test(test_uuid_array),
		cmocka_unit_test(test_nested_object),
		cmocka_unit_test(test_errors_carry_every_field),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_nested_long_unknown_key),
		cmocka_unit_test(test_date_days),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
