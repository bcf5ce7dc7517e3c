/* Handlers of the service endpoints (API.md "Service endpoints"). */
#ifndef PLANYARD_API_SERVICE_H
#define PLANYARD_API_SERVICE_H

#include "../http.h"

int api_healthz(req_t *r);
/* GET /.well-known/security.txt (RFC 9116): Contact and Expires from the settings. */
int api_security_txt(req_t *r);
int api_readyz(req_t *r);
int api_openapi(req_t *r);
int api_csp_report(req_t *r);
/* CSP reports received by this process since start. */
long api_csp_reports_seen(void);

#endif
