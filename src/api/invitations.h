/* Handlers of API.md "Workspace, members, invitations" for /invitations: inviting by email,
 * revoking, and accepting (signed in or creating the account; the password hashed on the
 * work pool). The list is records.c's, over res_invitations. */
#ifndef PLANYARD_API_INVITATIONS_H
#define PLANYARD_API_INVITATIONS_H

#include "../http.h"

int api_invitation_create(req_t *r);
int api_invitation_delete(req_t *r);
int api_invitation_accept(req_t *r);

#endif
