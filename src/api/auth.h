/* Handlers of API.md "Authentication": sign-up, confirmation, sign-in, refresh, sign-out and
 * the password flows (forgot, reset, change). */
#ifndef PLANYARD_API_AUTH_H
#define PLANYARD_API_AUTH_H

#include "../http.h"

int api_signup(req_t *r);
int api_confirm(req_t *r);
int api_confirm_resend(req_t *r);
int api_login(req_t *r);
int api_refresh(req_t *r);
int api_logout(req_t *r);
int api_password_forgot(req_t *r);
int api_password_reset(req_t *r);
int api_password_change(req_t *r);

/* Workspace slug rules: 3-40 of a-z 0-9 -, no leading/trailing -, not reserved. */
bool api_slug_ok(const char *slug);

#endif
