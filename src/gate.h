/* The one gate every request passes before its handler: body size, content type and JSON
 * schema; authentication (Bearer access token or cron secret); then the handler's one
 * transaction, opened with the live session handed to the database and the route's role
 * rules checked against it, or the one-round-trip read of ROUTE_READ1 routes. */
#ifndef PLANYARD_GATE_H
#define PLANYARD_GATE_H

#include "db.h"
#include "http.h"
#include "settings.h"

/* Keeps s (which must outlive the server) for the JWT key, cron secret and MFA rules. */
void gate_init(const settings_t *s);

/* Runs r's route: validation, authentication, then its handler (inside one transaction for
 * ROUTE_TX routes). Returns 0 with the response set (a problem on any refusal or database
 * failure), or REQ_SUSPENDED after the handler set r->job and r->cont. */
int gate_run(req_t *r) WUR;

/* Runs the continuation of a suspended handler, in a new transaction for ROUTE_TX routes;
 * returns like gate_run. */
int gate_continue(req_t *r, handler_fn cont) WUR;

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

/* The same first statement on another connection db, whose transaction is open: for work of
 * the request on a connection of its own (a streamed export), so its statements see the same
 * session, client IP and staff name as the request's. Returns like gate_tx_session. */
int gate_session_begin(req_t *r, db_t *db) WUR;

/* A handler's statement: in a ROUTE_READ1 request, sent in one pipeline with the session
 * check (and the role rules applied to its answer); otherwise run in the open transaction.
 * 0 with *out; -1 when the statement failed (*out holds it, or NULL when the connection
 * broke); -2 when the session or role refused (the response is set). */
int gate_query(req_t *r, db_stmt_t *stmt, int n, const char *const *params, PGresult **out) WUR;

/* A rate limit of the handler's own (sign-in, re-entered passwords): at most max events of key
 * in window (an interval), counted in the database. The wait in seconds as text (arena) when
 * the limit is reached, else NULL (also when the database failed: never locks out on an
 * outage). */
const char *gate_rate_wait(req_t *r, const char *key, const char *max, const char *window);

#endif
