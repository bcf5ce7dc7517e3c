/* The route table: it reads like API.md. Method, path, handler, who may call it, the body it
 * accepts, and flags. The gate (server.c) enforces all of it before a handler runs, and
 * /api/v1/openapi.json is generated from it. */
#include "router.h"

#include "api/service.h"

#define V1 "/api/v1"

const route_t routes[] = {
	/* service */
	{ "GET", "/healthz", api_healthz, AUTH_NONE, ROLE_NONE, NULL, ROUTE_ROOT, "liveness", "200" },
	{ "GET", "/readyz", api_readyz, AUTH_NONE, ROLE_NONE, NULL, ROUTE_ROOT, "readiness: the database answers", "200" },
	{ "GET", V1 "/openapi.json", api_openapi, AUTH_NONE, ROLE_NONE, NULL, 0, "this contract, OpenAPI 3.1", "200" },
	{ "POST", V1 "/csp-report", api_csp_report, AUTH_NONE, ROLE_NONE, NULL, ROUTE_RAW_BODY, "CSP violation reports", "204" },
};

const size_t routes_count = ARRAY_LEN(routes);
