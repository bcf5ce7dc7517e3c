/* Security notices by mail: what owners, admins and users are told of at once (a role of
 * power granted, MFA turned off for an admin, staff access started, a sign-in from a new
 * browser, a locked account). The text is composed and sealed here and queued by the
 * database in the request's transaction, so a notice goes out exactly when the change holds. */
#ifndef PLANYARD_API_NOTICES_H
#define PLANYARD_API_NOTICES_H

#include "../http.h"

/* Each returns 0, or -1 when the database failed (the request's transaction is then lost:
 * the caller answers with reply_db_fault). */

/* member (an address) was given role (admin or owner) in the session's workspace. */
int notice_role_granted(req_t *r, const char *member, const char *role) WUR;
/* An invitation of member (an address) with role admin or owner was accepted (token: the
 * invitation's, accepted in this transaction): the workspace's owners and admins are told.
 * Other roles: nothing. */
int notice_invited_role(req_t *r, const char *token, const char *member, const char *role) WUR;
/* The signed-in admin or owner turned their second factor off. */
int notice_mfa_off(req_t *r) WUR;
/* A failed sign-in of email: the one that locks the account tells its owner. */
int notice_lockout(req_t *r, const char *email) WUR;
/* The session just made: its user is told when the browser is new to the account. */
int notice_new_device(req_t *r, const char *session_id) WUR;
/* The staff access just redeemed: the workspace's owners and admins are told. */
int notice_staff_access(req_t *r, const char *impersonation_id) WUR;

#endif
