/* Handlers of API.md "The signed-in user" (profile and sessions). */
#ifndef PLANYARD_API_ME_H
#define PLANYARD_API_ME_H

#include "../http.h"

int api_me_get(req_t *r);
int api_me_patch(req_t *r);
int api_me_sessions(req_t *r);
int api_me_session_delete(req_t *r);

#endif
