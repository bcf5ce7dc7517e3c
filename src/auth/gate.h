/* The authentication half of the gate: who is asking, with which role, and handing the
 * live session to the database at the start of the request's transaction. */
#ifndef PLANYARD_AUTH_GATE_H
#define PLANYARD_AUTH_GATE_H

#include "../db.h"
#include "../http.h"
#include "../settings.h"

void gate_init(const settings_t *s);

/* Verifies the Bearer access token's signature and claims; fills r->auth and sets
 * r->authed. On failure sets a 401 problem and returns -1. */
int gate_authenticate(req_t *r) WUR;

/* Role, impersonation and enrolment rules of the route; 403 problem and -1 on refusal. */
int gate_authorize(req_t *r) WUR;

/* Bearer cron secret, compared in constant time; 401 problem and -1 on refusal. */
int gate_cron(req_t *r) WUR;

/* First statement of the transaction: hands the session secret to the database, which
 * checks the session is alive. 401 (revoked) or 503 problem and -1 on failure. */
int gate_tx_session(req_t *r) WUR;

/* A handler's statement: in a ROUTE_READ1 request, sent in one pipeline with the session
 * check (and the role rules applied to its answer); otherwise run in the open transaction.
 * 0 with *out; -1 when the statement failed (*out holds it, or NULL when the connection
 * broke); -2 when the session or role refused (the response is set). */
int gate_query(req_t *r, db_stmt_t *stmt, int n, const char *const *params, PGresult **out) WUR;

#endif
