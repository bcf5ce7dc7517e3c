/* The OpenAPI 3.1 document, generated from the route table and its body schemas. */
#ifndef PLANYARD_OPENAPI_H
#define PLANYARD_OPENAPI_H

#include <jansson.h>
#include "http.h"

/* A new document describing routes[0..n) (caller owns the reference). */
json_t *openapi_document(const route_t *routes, size_t n);

#endif
