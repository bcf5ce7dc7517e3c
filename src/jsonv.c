#include "jsonv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void jsonv_add_error(json_t **errors, const char *field, const char *code, const char *message)
{
	if (!*errors)
		*errors = json_array();
	json_array_append_new(*errors, json_pack("{s:s,s:s,s:s}", "field", field, "code", code,
						  "message", message));
}

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

bool jsonv_is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

static bool valid_ymd(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	int md = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		md = 29;
	return d <= md;
}

static long day_number(const char *d)
{
	struct tm t = { 0 };
	t.tm_year = (int)strtol(d, NULL, 10) - 1900;
	t.tm_mon = (int)strtol(d + 5, NULL, 10) - 1;
	t.tm_mday = (int)strtol(d + 8, NULL, 10);
	return (long)(timegm(&t) / 86400);
}

long jsonv_date_days(const char *from, const char *to)
{
	return day_number(to) - day_number(from);
}

bool jsonv_is_date(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) || !digits(s + 5, 2) ||
	    !digits(s + 8, 2))
		return false;
	return valid_ymd(num(s, 4), num(s + 5, 2), num(s + 8, 2));
}

bool jsonv_is_time(const char *s)
{
	if (strlen(s) != 5 || s[2] != ':' || !digits(s, 2) || !digits(s + 3, 2))
		return false;
	return num(s, 2) < 24 && num(s + 3, 2) < 60;
}

bool jsonv_is_timestamp(const char *s)
{
	size_t n = strlen(s);
	if (n < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return false;
	char date[11];
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!jsonv_is_date(date) || !digits(s + 11, 2) || !digits(s + 14, 2) || !digits(s + 17, 2))
		return false;
	if (num(s + 11, 2) > 23 || num(s + 14, 2) > 59 || num(s + 17, 2) > 59)
		return false;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		int k = 0;
		while (*p >= '0' && *p <= '9' && k < 9) {
			p++;
			k++;
		}
		if (k == 0)
			return false;
	}
	if (*p == 'Z')
		return p[1] == '\0';
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' && digits(p + 1, 2) && digits(p + 4, 2))
		return num(p + 1, 2) < 24 && num(p + 4, 2) < 60;
	return false;
}

bool jsonv_is_email(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 254)
		return false;
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@') || (size_t)(at - s) > 64)
		return false;
	const char *dom = at + 1;
	if (!*dom || !strchr(dom, '.') || dom[0] == '.' || s[n - 1] == '.' || strstr(dom, ".."))
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' ||
		    c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' || c == ']')
			return false;
	}
	return true;
}

bool jsonv_is_e164(const char *s)
{
	size_t n = strlen(s);
	if (n < 8 || n > 16 || s[0] != '+' || s[1] == '0')
		return false;
	return digits(s + 1, (int)n - 1);
}

bool jsonv_is_decimal(const char *s)
{
	const char *p = s;
	int intd = 0, frac = 0;
	while (*p >= '0' && *p <= '9') {
		p++;
		intd++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			frac++;
		}
		if (frac == 0)
			return false;
	}
	if (*p || intd == 0 || frac > 2)
		return false;
	/* strip leading zeros to compare against 99999.99 */
	const char *q = s;
	while (*q == '0' && q[1] >= '0' && q[1] <= '9') {
		q++;
		intd--;
	}
	if (intd > 5)
		return false;
	for (const char *c = s; *c; c++)
		if (*c >= '1' && *c <= '9')
			return true;   /* > 0 */
	return false;
}

size_t jsonv_utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static bool is_color(const char *s)
{
	if (strlen(s) != 7 || s[0] != '#')
		return false;
	for (int i = 1; i < 7; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

static const char *type_name(enum jsonv_type t)
{
	switch (t) {
	case JV_INT: return "an integer";
	case JV_BOOL: return "a boolean";
	case JV_UUID_ARRAY: return "an array of ids";
	case JV_OBJECT: return "an object";
	default: return "a string";
	}
}

static void check_field(const json_t *v, const jsonv_field_t *f, const char *path, json_t **errors)
{
	char msg[256];
	if (json_is_null(v)) {
		if (!f->nullable) {
			snprintf(msg, sizeof msg, "%s may not be null", path);
			jsonv_add_error(errors, path, "invalid_type", msg);
		}
		return;
	}
	bool want_string = f->type != JV_INT && f->type != JV_BOOL && f->type != JV_UUID_ARRAY &&
			   f->type != JV_OBJECT;
	bool ok_type = want_string ? json_is_string(v)
		     : f->type == JV_INT ? json_is_integer(v)
		     : f->type == JV_BOOL ? json_is_boolean(v)
		     : f->type == JV_UUID_ARRAY ? json_is_array(v)
		     : json_is_object(v);
	if (!ok_type) {
		snprintf(msg, sizeof msg, "%s must be %s", path, type_name(f->type));
		jsonv_add_error(errors, path, "invalid_type", msg);
		return;
	}
	if (want_string) {
		const char *s = json_string_value(v);
		if (strlen(s) != json_string_length(v)) {
			snprintf(msg, sizeof msg, "%s may not contain NUL", path);
			jsonv_add_error(errors, path, "invalid", msg);
			return;
		}
		bool ok = true;
		const char *what = "is not valid";
		switch (f->type) {
		case JV_STRING: {
			size_t len = jsonv_utf8_len(s);
			long min = f->min, max = f->max ? f->max : 1000;
			if ((long)len < min) {
				snprintf(msg, sizeof msg, min == 1 ? "%s may not be empty" : "%s is too short", path);
				jsonv_add_error(errors, path, min == 1 ? "required" : "too_short", msg);
				return;
			}
			if ((long)len > max) {
				snprintf(msg, sizeof msg, "%s is longer than %ld characters", path, max);
				jsonv_add_error(errors, path, "too_long", msg);
				return;
			}
			break;
		}
		case JV_UUID: ok = jsonv_is_uuid(s); what = "is not an id"; break;
		case JV_DATE: ok = jsonv_is_date(s); what = "is not a date (YYYY-MM-DD)"; break;
		case JV_TIME: ok = jsonv_is_time(s); what = "is not a time of day (HH:MM)"; break;
		case JV_TIMESTAMP: ok = jsonv_is_timestamp(s); what = "is not an RFC 3339 time"; break;
		case JV_DATETIME:
			ok = jsonv_is_date(s) || jsonv_is_timestamp(s);
			what = "is not a date (YYYY-MM-DD) or an RFC 3339 time";
			break;
		case JV_EMAIL: ok = jsonv_is_email(s); what = "is not an email address"; break;
		case JV_E164: ok = jsonv_is_e164(s); what = "is not an E.164 phone number"; break;
		case JV_DECIMAL: ok = jsonv_is_decimal(s); what = "must be a decimal > 0 and <= 99999.99"; break;
		case JV_COLOR: ok = is_color(s); what = "is not a colour (#rrggbb)"; break;
		case JV_ENUM:
			ok = false;
			for (const char *const *e = f->values; e && *e; e++)
				if (strcmp(*e, s) == 0)
					ok = true;
			what = "is not one of the allowed values";
			break;
		default: break;
		}
		if (!ok) {
			snprintf(msg, sizeof msg, "%s %s", path, what);
			jsonv_add_error(errors, path, "invalid", msg);
		}
		return;
	}
	if (f->type == JV_INT) {
		json_int_t n = json_integer_value(v);
		long min = f->min, max = f->max ? f->max : 2147483647L;
		if (n < min || n > max) {
			snprintf(msg, sizeof msg, "%s must be from %ld to %ld", path, min, max);
			jsonv_add_error(errors, path, "out_of_range", msg);
		}
	} else if (f->type == JV_UUID_ARRAY) {
		size_t max = f->max ? (size_t)f->max : 1000, i;
		const json_t *e;
		if (json_array_size(v) > max) {
			snprintf(msg, sizeof msg, "%s has more than %zu items", path, max);
			jsonv_add_error(errors, path, "too_long", msg);
			return;
		}
		json_array_foreach(v, i, e) {
			if (!json_is_string(e) || !jsonv_is_uuid(json_string_value(e))) {
				snprintf(msg, sizeof msg, "%s[%zu] is not an id", path, i);
				jsonv_add_error(errors, path, "invalid", msg);
				return;
			}
		}
	} else if (f->type == JV_OBJECT && f->sub) {
		json_t *sub_errors = NULL;
		if (jsonv_validate(v, f->sub, &sub_errors) < 0) {
			size_t i;
			json_t *e;
			json_array_foreach(sub_errors, i, e) {
				/* not a fixed buffer: cutting a long key could split a UTF-8
				 * character, and json_pack would then drop the error */
				json_t *p = json_sprintf("%s.%s", path, json_string_value(json_object_get(e, "field")));
				jsonv_add_error(errors, p ? json_string_value(p) : path,
					  json_string_value(json_object_get(e, "code")),
					  json_string_value(json_object_get(e, "message")));
				json_decref(p);
			}
			json_decref(sub_errors);
		}
	}
}

static int validate(const json_t *obj, const jsonv_field_t *fields, json_t **errors, bool partial);

int jsonv_validate(const json_t *obj, const jsonv_field_t *fields, json_t **errors)
{
	return validate(obj, fields, errors, false);
}

int jsonv_validate_partial(const json_t *obj, const jsonv_field_t *fields, json_t **errors)
{
	return validate(obj, fields, errors, true);
}

static int validate(const json_t *obj, const jsonv_field_t *fields, json_t **errors, bool partial)
{
	*errors = NULL;
	if (!json_is_object(obj)) {
		jsonv_add_error(errors, "", "invalid_type", "the body must be a JSON object");
		return -1;
	}
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		const jsonv_field_t *f = fields;
		while (f->name && strcmp(f->name, key) != 0)
			f++;
		if (!f->name) {
			char msg[160];
			snprintf(msg, sizeof msg, "unknown or read-only field");
			jsonv_add_error(errors, key, "unknown_field", msg);
		}
	}
	for (const jsonv_field_t *f = fields; f->name; f++) {
		const json_t *fv = json_object_get(obj, f->name);
		if (!fv) {
			if (f->required && !partial) {
				char msg[160];
				snprintf(msg, sizeof msg, "%s is required", f->name);
				jsonv_add_error(errors, f->name, "required", msg);
			}
			continue;
		}
		check_field(fv, f, f->name, errors);
	}
	return *errors ? -1 : 0;
}
