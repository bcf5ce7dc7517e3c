/* Handlers of a pour's own actions beyond its record (API.md "Operating data"):
 * POST /pours/{id}/notify mails the crew, GET /pours/{id}/weather answers the forecast
 * (fetched on the work pool, cached in the database). The pour's CRUD is records.c's. */
#ifndef PLANYARD_API_POURS_H
#define PLANYARD_API_POURS_H

#include "../http.h"

int api_pour_notify(req_t *r);
int api_pour_weather(req_t *r);

#endif
