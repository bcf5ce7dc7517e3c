/* The response helpers and request accessors of http.h: they fill the req_t the server
 * (server.c) created and later sends and frees. */
#include "http.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void req_stream_drop(req_t *r)
{
	if (r->stream_release)
		r->stream_release(r->stream_cls);
	r->stream = NULL;
	r->stream_release = NULL;
	r->stream_cls = NULL;
}

static void set_body(req_t *r, int status, const char *type, char *body, size_t len)
{
	req_stream_drop(r);
	free(r->resp_body);
	r->resp_body = body;
	r->resp_len = len;
	r->resp_static = NULL;
	r->resp_type = type;
	r->status = status;
	r->responded = true;
}

void req_body(req_t *r, int status, const char *type, char *body, size_t len)
{
	set_body(r, status, type, body, len);
}

void req_static(req_t *r, int status, const char *type, const void *body, size_t len)
{
	set_body(r, status, type, NULL, len);
	r->resp_static = body;
}

void req_stream(req_t *r, int status, const char *type, req_stream_fn read, void (*release)(void *cls), void *cls)
{
	set_body(r, status, type, NULL, 0);
	r->stream = read;
	r->stream_release = release;
	r->stream_cls = cls;
}

void req_json(req_t *r, int status, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!s) {
		static const char oom[] = "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\","
					  "\"status\":500,\"code\":\"internal_error\"}";
		req_static(r, 500, "application/problem+json", oom, sizeof oom - 1);
		return;
	}
	set_body(r, status, "application/json", s, strlen(s));
}

void req_problem_errors(req_t *r, int status, const char *code, const char *detail, json_t *errors)
{
	json_t *p = json_pack("{s:s,s:s,s:i,s:s}", "type", "about:blank", "title", http_status_text(status),
			      "status", status, "code", code);
	if (p && detail)
		json_object_set_new(p, "detail", json_string(detail));
	if (p && errors)
		json_object_set_new(p, "errors", errors);
	else if (errors)
		json_decref(errors);
	req_json(r, status, p);
	if (r->resp_body)
		r->resp_type = "application/problem+json";
	if (status == 401)
		req_header(r, "WWW-Authenticate", "Bearer");
	if (status == 503 && !req_has_header(r, "Retry-After"))
		req_header(r, "Retry-After", "1");   /* every 503 says when to come back */
}

void req_problem(req_t *r, int status, const char *code, const char *detail)
{
	req_problem_errors(r, status, code, detail, NULL);
}

void req_no_content(req_t *r)
{
	set_body(r, 204, NULL, NULL, 0);
}

bool req_has_header(const req_t *r, const char *name)
{
	for (int i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr_name[i], name) == 0)
			return true;
	return false;
}

void req_header(req_t *r, const char *name, const char *value)
{
	for (int i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr_name[i], name) == 0) {
			r->hdr_value[i] = value;
			return;
		}
	if (r->nhdr < REQ_MAX_HEADERS) {
		r->hdr_name[r->nhdr] = name;
		r->hdr_value[r->nhdr] = value;
		r->nhdr++;
	}
}

const char *req_query(req_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header_in(req_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(req_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *req_param(req_t *r, int i)
{
	return i < r->nparams ? r->params[i] : NULL;
}

const char *req_json_str(req_t *r, const char *name)
{
	return json_string_value(json_object_get(r->json, name));
}

const char *req_body_text(req_t *r)
{
	return r->body.data && r->body.len ? r->body.data : "{}";
}

const char *http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return status >= 500 ? "Internal Server Error" : "Error";
	}
}
