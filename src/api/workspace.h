/* Handlers of API.md "Workspace, members, invitations" and "Audit log". */
#ifndef PLANYARD_API_WORKSPACE_H
#define PLANYARD_API_WORKSPACE_H

#include "../http.h"

int api_workspace_get(req_t *r);
int api_workspace_patch(req_t *r);
int api_member_patch(req_t *r);
int api_member_delete(req_t *r);
int api_invitation_create(req_t *r);
int api_invitation_delete(req_t *r);
int api_invitation_accept(req_t *r);
int api_audit_verify(req_t *r);
int api_audit_csv(req_t *r);

/* A CSV cell: quoted when needed, and a leading = + - @ (or tab/CR) neutralised with a
 * quote so spreadsheets never run it as a formula. Appends to b. */
#include "../buf.h"
void csv_cell(buf_t *b, const char *v, size_t n);

#endif
