/* Validation of JSON request bodies against a route's schema: declared fields only,
 * required fields present, types and shapes right. Pure; used by the gate and the fuzzer. */
#ifndef PLANYARD_JSONV_H
#define PLANYARD_JSONV_H

#include <jansson.h>
#include "common.h"

enum jsonv_type {
	JV_STRING,    /* any valid UTF-8 string without NUL, length in characters within [min,max] */
	JV_INT,       /* integer within [min,max] */
	JV_BOOL,
	JV_UUID,      /* canonical lowercase or uppercase 8-4-4-4-12 */
	JV_DATE,      /* YYYY-MM-DD, a real calendar date */
	JV_TIME,      /* HH:MM */
	JV_TIMESTAMP, /* RFC 3339 with a Z or an offset */
	JV_EMAIL,
	JV_E164,      /* +15551234567 */
	JV_ENUM,      /* one of values */
	JV_DECIMAL,   /* string: digits with at most 2 decimals, > 0, <= 99999.99 */
	JV_COLOR,     /* #rrggbb */
	JV_UUID_ARRAY,
	JV_OBJECT,    /* nested object validated by sub */
	JV_DATETIME,  /* a date (YYYY-MM-DD) or an RFC 3339 time */
};

typedef struct jsonv_field {
	const char *name;
	enum jsonv_type type;
	bool required;
	bool nullable;
	long min, max;                 /* string length in characters, or integer range; 0,0 = defaults */
	const char *const *values;     /* JV_ENUM: NULL-terminated */
	const struct jsonv_field *sub; /* JV_OBJECT: NULL-name-terminated */
} jsonv_field_t;

#define JV_END { NULL, 0, false, false, 0, 0, NULL, NULL }

/* Validates obj (must be an object) against fields (terminated by JV_END). Returns 0 when
 * valid; otherwise -1 and *errors is a new array of {field, code, message} (caller owns). */
int jsonv_validate(const json_t *obj, const jsonv_field_t *fields, json_t **errors) WUR;

/* The same for a partial update: no field is required. */
int jsonv_validate_partial(const json_t *obj, const jsonv_field_t *fields, json_t **errors) WUR;

/* Appends {field, code, message} to the errors array *errors (created when NULL): the one
 * shape of a field error in every 4xx body. */
void jsonv_add_error(json_t **errors, const char *field, const char *code, const char *message);

/* Format checks, exposed for handlers and tests. */
bool jsonv_is_uuid(const char *s);
bool jsonv_is_date(const char *s);
/* Days from date from to date to (both valid YYYY-MM-DD, see jsonv_is_date); negative when
 * to is earlier. */
long jsonv_date_days(const char *from, const char *to);
bool jsonv_is_time(const char *s);
bool jsonv_is_timestamp(const char *s);
bool jsonv_is_email(const char *s);
bool jsonv_is_e164(const char *s);
bool jsonv_is_decimal(const char *s);
/* Number of UTF-8 characters of a valid UTF-8 string. */
size_t jsonv_utf8_len(const char *s);

#endif
