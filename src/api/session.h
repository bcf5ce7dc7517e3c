/* Sessions as the API hands them out: creating one at sign-in, the tokens body (access JWT,
 * rotating refresh token, the __Host- cookie), refresh with reuse detection, and the
 * profile of the signed-in user. */
#ifndef PLANYARD_API_SESSION_H
#define PLANYARD_API_SESSION_H

#include <jansson.h>
#include "../http.h"

/* Creates a session of user in tenant (in r's transaction) and answers 200 with the tokens
 * body. The database makes it only on a proof (app.auth_session_create): proof_kind
 * "password" with password_proof() of the password, "mfa" with the raw token of the
 * challenge just verified (aal2), or "session" with the secret of a live session of the
 * same user. email, when set, clears that account's failed sign-ins. 0, or -1 with a
 * problem set. */
int session_issue(req_t *r, const char *tenant, const char *user, const char *proof_kind, const char *proof,
		  const char *email);

/* Redeems a staff access link (POST /auth/impersonation/redeem, in r's transaction): a
 * session of the grant's user ending 30 minutes from now, without refresh token; answers 200
 * with the tokens body (imp claim), or 400 token_invalid. 0, or -1 with a problem set. */
int session_impersonate(req_t *r, const char *token);

/* POST /auth/refresh. */
int session_refresh(req_t *r);

/* The profile of the session whose secret the transaction holds: {user, workspace, role,
 * session, impersonation}. NULL when there is none, or, in a ROUTE_READ1 request, when the
 * session check refused and set the response (r->responded); the caller decrefs. */
json_t *session_profile(req_t *r);

/* A cookie header value that clears the refresh cookie. */
extern const char session_clear_cookie[];

#endif
