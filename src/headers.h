/* The headers every response carries (DESIGN.md "HTTP hardening"), and request-id rules. Pure. */
#ifndef PLANYARD_HEADERS_H
#define PLANYARD_HEADERS_H

#include "common.h"

typedef struct {
	const char *name;
	const char *value;
} header_t;

/* The security headers; HSTS only when https. *n receives the count; static storage. */
const header_t *headers_security(bool https, size_t *n);

/* True when a client-sent X-Request-Id may be echoed: 1-64 of [A-Za-z0-9._:-]. */
bool headers_request_id_ok(const char *v);

/* Content type of a static file by its name's ending; "application/octet-stream" if unknown. */
const char *headers_content_type(const char *path);

/* True when a Content-Type names JSON: application/json with optional parameters. */
bool headers_is_json(const char *content_type);

#endif
