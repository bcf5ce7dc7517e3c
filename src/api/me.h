/* Handlers of API.md "The signed-in user": profile, sessions, and deleting the account. */
#ifndef PLANYARD_API_ME_H
#define PLANYARD_API_ME_H

#include "../http.h"

int api_me_get(req_t *r);
int api_me_patch(req_t *r);
int api_me_sessions(req_t *r);
int api_me_session_delete(req_t *r);
/* DELETE /me: the password re-entered (rate-limited, checked on the work pool), then the
 * account, unless it is the sole owner of a workspace (409). */
int api_me_delete(req_t *r);

#endif
