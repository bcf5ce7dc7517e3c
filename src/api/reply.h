/* The answers every handler shares: a failed statement mapped to its problem, a 400 (or
 * other status) naming one field, and a JSON value the database made sent as the body. Each
 * sets r's response and returns 0, so a handler can `return reply_...(r, ...)`; none fails
 * (out of memory becomes a 500 problem). */
#ifndef PLANYARD_API_REPLY_H
#define PLANYARD_API_REPLY_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "../http.h"

/* A foreign key constraint and the body field it checks. */
struct reply_ref {
	const char *constraint;
	const char *field;
};

/* What a failed statement was about, for the messages: the record's singular name
 * ("customer") and its foreign keys (NULL-terminated), either may be NULL. */
struct reply_subject {
	const char *singular;
	const struct reply_ref *refs;
};

/* Answers the failed statement res (cleared here; NULL when the connection broke): PY400
 * field errors, foreign keys (400 naming the field, or 409 in_use when deleting), unique
 * violations (409), checks (400), privileges (403), 503 when the database is gone, else 500. */
int reply_db_error(req_t *r, const struct reply_subject *about, PGresult *res, bool deleting);

/* A failure that is never the client's: 503 db_unavailable when r's connection broke,
 * else 500 internal_error. */
int reply_db_fault(req_t *r);

/* status with problem code top and detail, whose errors name one field with its own code
 * and message. */
int reply_field_problem(req_t *r, int status, const char *top, const char *detail, const char *field,
			const char *code, const char *message);

/* A 400 naming one field, the field's code also the problem's. */
int reply_field_error(req_t *r, const char *field, const char *code, const char *message);

/* Sends column col of res's one row (JSON text) as the body with status; 404 not_found with
 * missing as detail when there is no row or the value is NULL. Clears res. */
int reply_cell(req_t *r, PGresult *res, int col, int status, const char *missing);

/* 429 rate_limited with Retry-After: seconds (copied). */
int reply_too_many(req_t *r, const char *seconds);

#endif
