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

/* GET /me/export: the person's data in every workspace of theirs, as one JSON attachment
 * (audited as user.data_exported). */
int api_me_export(req_t *r);

/* POST /me/email {password, email}: the password re-entered, then a single-use link (24 h) to
 * the new address; 202 {"status":"confirmation_sent"} whether or not the address is taken. */
int api_me_email(req_t *r);

/* POST /auth/email/confirm {token}: the new address becomes the login address and the old one
 * gets a notice; 400 token_invalid, 409 email_taken. */
int api_email_confirm(req_t *r);

#endif
