/* Handlers of two-factor authentication (API.md "Authentication": POST /auth/mfa/verify;
 * "The signed-in user": the /me/mfa routes), and the challenge sign-in answers with when the
 * account has TOTP on. */
#ifndef PLANYARD_API_MFA_H
#define PLANYARD_API_MFA_H

#include "../http.h"

int api_mfa_verify(req_t *r);
int api_mfa_totp_start(req_t *r);
int api_mfa_totp_activate(req_t *r);
int api_mfa_totp_delete(req_t *r);
int api_mfa_recovery_codes(req_t *r);

/* After a right password of an account with TOTP (in r's transaction): creates a
 * challenge and answers 200 {"mfa_required": true, "mfa_token", "expires_in": 300}.
 * Always returns 0 with a response set (a 503 problem when the database fails). */
int api_mfa_challenge(req_t *r, const char *tenant, const char *user, const char *password_proof);

/* Before deleting the account or the workspace (after the password): when the signed-in user
 * has TOTP on, code (a current TOTP code or a recovery code) must be right, and is used up.
 * Returns 0 to go on, or -1 with the answer set: 403 mfa_code_required when code is NULL,
 * 400 invalid_code, 429, or a database problem. */
int mfa_require_code(req_t *r, const char *code);

#endif
