/* Handlers of API.md "Workspace, members, invitations" for the workspace itself: GET and
 * PATCH /workspace, and DELETE /workspace (the slug, the owner's password checked on the work
 * pool, then everything; DESIGN.md "Data lifecycle"). */
#ifndef PLANYARD_API_WORKSPACE_H
#define PLANYARD_API_WORKSPACE_H

#include "../http.h"

int api_workspace_get(req_t *r);
int api_workspace_patch(req_t *r);
int api_workspace_delete(req_t *r);

#endif
