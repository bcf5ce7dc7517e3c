/* Platform staff access (API.md "Authentication" and "Workspace, members, invitations";
 * DESIGN.md "Platform staff access"): redeeming a staff access link, the workspace's list of
 * staff access (GET /workspace/impersonations) and ending one. */
#ifndef PLANYARD_API_IMPERSONATIONS_H
#define PLANYARD_API_IMPERSONATIONS_H

#include "../http.h"
#include "records.h"

/* The list of GET /workspace/impersonations (newest first), for the route table. */
extern struct resource res_impersonations;

int api_impersonation_redeem(req_t *r);
int api_impersonation_list(req_t *r);
int api_impersonation_revoke(req_t *r);

#endif
