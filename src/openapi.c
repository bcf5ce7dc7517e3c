#include "openapi.h"

#include <ctype.h>
#include <string.h>

#include "vocab.h"

static json_t *field_schema(const jsonv_field_t *f)
{
	json_t *s = json_object();
	switch (f->type) {
	case JV_INT: json_object_set_new(s, "type", json_string("integer")); break;
	case JV_BOOL: json_object_set_new(s, "type", json_string("boolean")); break;
	case JV_UUID_ARRAY:
		json_object_set_new(s, "type", json_string("array"));
		json_object_set_new(s, "items", json_pack("{s:s,s:s}", "type", "string", "format", "uuid"));
		break;
	case JV_OBJECT: {
		json_object_set_new(s, "type", json_string("object"));
		json_t *props = json_object();
		for (const jsonv_field_t *g = f->sub; g && g->name; g++)
			json_object_set_new(props, g->name, field_schema(g));
		json_object_set_new(s, "properties", props);
		json_object_set_new(s, "additionalProperties", json_false());
		break;
	}
	default:
		json_object_set_new(s, "type", json_string("string"));
	}
	static const char *const formats[] = {
		[JV_UUID] = "uuid", [JV_DATE] = "date", [JV_TIME] = "time", [JV_TIMESTAMP] = "date-time",
		[JV_EMAIL] = "email", [JV_E164] = "e164", [JV_DECIMAL] = "decimal", [JV_COLOR] = "color",
		[JV_DATETIME] = "date-time",
	};
	if ((size_t)f->type < sizeof formats / sizeof formats[0] && formats[f->type])
		json_object_set_new(s, "format", json_string(formats[f->type]));
	if (f->type == JV_ENUM) {
		json_t *e = json_array();
		for (const char *const *v = f->values; v && *v; v++)
			json_array_append_new(e, json_string(*v));
		json_object_set_new(s, "enum", e);
	}
	if (f->type == JV_STRING) {
		if (f->min)
			json_object_set_new(s, "minLength", json_integer(f->min));
		json_object_set_new(s, "maxLength", json_integer(f->max ? f->max : 1000));
	}
	if (f->type == JV_INT && (f->min || f->max)) {
		json_object_set_new(s, "minimum", json_integer(f->min));
		json_object_set_new(s, "maximum", json_integer(f->max));
	}
	if (f->nullable) {
		json_t *t = json_object_get(s, "type");
		json_object_set_new(s, "type", json_pack("[O,s]", t, "null"));
	}
	return s;
}

json_t *openapi_document(const route_t *rt, size_t n)
{
	json_t *paths = json_object();
	for (size_t i = 0; i < n; i++) {
		const route_t *r = &rt[i];
		json_t *item = json_object_get(paths, r->path);
		if (!item) {
			item = json_object();
			json_object_set_new(paths, r->path, item);
		}
		char method[8];
		size_t k = 0;
		for (; r->method[k] && k < sizeof method - 1; k++)
			method[k] = (char)tolower((unsigned char)r->method[k]);
		method[k] = '\0';
		json_t *op = json_pack("{s:s}", "summary", r->summary ? r->summary : "");
		json_t *params = json_array();
		for (const char *p = strchr(r->path, '{'); p; p = strchr(p + 1, '{')) {
			const char *e = strchr(p, '}');
			if (!e)
				break;
			json_array_append_new(params, json_pack("{s:s%,s:s,s:b,s:{s:s}}", "name", p + 1, (size_t)(e - p - 1),
								"in", "path", "required", 1, "schema", "type", "string"));
		}
		if (json_array_size(params))
			json_object_set_new(op, "parameters", params);
		else
			json_decref(params);
		if (r->body) {
			json_t *props = json_object(), *req = json_array();
			for (const jsonv_field_t *f = r->body; f->name; f++) {
				json_object_set_new(props, f->name, field_schema(f));
				if (f->required)
					json_array_append_new(req, json_string(f->name));
			}
			json_t *schema = json_pack("{s:s,s:o,s:b}", "type", "object", "properties", props,
						   "additionalProperties", 0);
			if (json_array_size(req))
				json_object_set_new(schema, "required", req);
			else
				json_decref(req);
			json_object_set_new(op, "requestBody",
					    json_pack("{s:b,s:{s:{s:o}}}", "required", !(r->flags & ROUTE_BODY_OPTIONAL),
						      "content", "application/json", "schema", schema));
		}
		if (r->auth == AUTH_SESSION)
			json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
		else if (r->auth == AUTH_CRON)
			json_object_set_new(op, "security", json_pack("[{s:[]}]", "cron"));
		else
			json_object_set_new(op, "security", json_array());
		if (r->auth == AUTH_SESSION)
			json_object_set_new(op, "x-minimum-role", json_string(vocab_role_name(r->min_role)));
		json_t *responses = json_object();
		json_object_set_new(responses, r->response ? r->response : "200",
				    json_pack("{s:s}", "description", "success"));
		json_object_set_new(responses, "default",
				    json_pack("{s:s,s:{s:{s:{s:s}}}}", "description", "a problem (RFC 9457) with a code",
					      "content", "application/problem+json", "schema", "$ref",
					      "#/components/schemas/Problem"));
		json_object_set_new(op, "responses", responses);
		json_object_set_new(item, method, op);
	}
	json_t *problem = json_pack(
		"{s:s,s:[s,s,s],s:{s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s}}}", "type", "object", "required",
		"status", "code", "title", "properties", "type", "type", "string", "title", "type", "string", "status",
		"type", "integer", "code", "type", "string", "detail", "type", "string", "errors", "type", "array");
	return json_pack("{s:s,s:{s:s,s:s},s:[{s:s}],s:o,s:{s:{s:o},s:{s:{s:s,s:s,s:s},s:{s:s,s:s}}}}",
			 "openapi", "3.1.0", "info", "title", "Planyard API", "version", "1", "servers", "url", "/",
			 "paths", paths, "components", "schemas", "Problem", problem, "securitySchemes", "bearer",
			 "type", "http", "scheme", "bearer", "bearerFormat", "JWT", "cron", "type", "http", "scheme",
			 "bearer");
}
