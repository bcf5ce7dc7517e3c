/* Matching a method and path against the route table. Pure: no I/O. */
#ifndef PLANYARD_ROUTER_H
#define PLANYARD_ROUTER_H

#include "http.h"

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

/* Finds the route of method+path among n routes. On ROUTER_FOUND, *out is the route and
 * params[] receive the path's brace segments as arena copies (at most REQ_MAX_PARAMS).
 * On ROUTER_METHOD_NOT_ALLOWED, allow (if not NULL) receives "GET, POST" (arena). HEAD
 * matches GET. */
enum router_result router_match(const route_t *routes, size_t n, const char *method, const char *path,
				arena_t *arena, const route_t **out, const char **params, int *nparams,
				const char **allow);

/* The route table (routes.c) and its size. */
extern const route_t routes[];
extern const size_t routes_count;

#endif
