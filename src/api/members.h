/* Handlers of API.md "Workspace, members, invitations" for /members/{user_id}: changing a
 * member's role and removing a member (the list is records.c's, over res_members). */
#ifndef PLANYARD_API_MEMBERS_H
#define PLANYARD_API_MEMBERS_H

#include "../http.h"

int api_member_patch(req_t *r);
int api_member_delete(req_t *r);

#endif
