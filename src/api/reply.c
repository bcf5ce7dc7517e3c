#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"
#include "../jsonv.h"
#include "../log.h"

int reply_db_error(req_t *r, const struct reply_subject *rs, PGresult *res, bool deleting)
{
	if (!res || db_broken(r->db)) {
		if (res)
			PQclear(res);
		req_problem(r, 503, "db_unavailable", "the database is not reachable; try again shortly");
		return 0;
	}
	const char *state = db_sqlstate(res);
	const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	const char *column = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char msg[512];
	if (strcmp(state, "PY400") == 0 && primary) {
		char field[128] = "", code[64] = "invalid";
		const char *p1 = strchr(primary, '|'), *p2 = p1 ? strchr(p1 + 1, '|') : NULL;
		if (p1 && p2) {
			snprintf(field, sizeof field, "%.*s", (int)(p1 - primary), primary);
			snprintf(code, sizeof code, "%.*s", (int)(p2 - p1 - 1), p1 + 1);
			snprintf(msg, sizeof msg, "%s", p2 + 1);
		} else {
			snprintf(msg, sizeof msg, "%s", primary);
		}
		PQclear(res);
		return reply_field_problem(r, 400, strcmp(field, "cursor") == 0 ? "invalid_cursor" : "validation_failed",
					   msg, field, code, msg);
	}
	/* A rule of the schedule, raised by its SQL: message "code|detail", DETAIL the JSON of errors[]. */
	if (strcmp(state, "PY409") == 0 && primary) {
		char code[64] = "conflict";
		const char *bar = strchr(primary, '|');
		if (bar && bar > primary && (size_t)(bar - primary) < sizeof code)
			snprintf(code, sizeof code, "%.*s", (int)(bar - primary), primary);
		snprintf(msg, sizeof msg, "%s", bar ? bar + 1 : primary);
		const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		json_t *errs = detail ? json_loads(detail, 0, NULL) : NULL;
		if (errs && !json_is_array(errs)) {
			json_decref(errs);
			errs = NULL;
		}
		PQclear(res);
		if (errs)
			req_problem_errors(r, 409, code, msg, errs);
		else
			req_problem(r, 409, code, msg);
		return 0;
	}
	if (strcmp(state, "23503") == 0) {
		if (deleting) {
			PQclear(res);
			snprintf(msg, sizeof msg, "this %s is still used by other records", rs && rs->singular ? rs->singular : "record");
			req_problem(r, 409, "in_use", msg);
			return 0;
		}
		const char *field = "id";
		for (const struct reply_ref *f = rs ? rs->refs : NULL; f && f->constraint; f++)
			if (constraint && strcmp(constraint, f->constraint) == 0)
				field = f->field;
		snprintf(msg, sizeof msg, "%s does not name a record of this workspace", field);
		PQclear(res);
		return reply_field_problem(r, 400, "invalid_reference", msg, field, "not_found", msg);
	}
	if (strcmp(state, "23505") == 0) {
		bool double_booked = constraint && strcmp(constraint, "assignments_one_per_day") == 0;
		PQclear(res);
		if (double_booked)
			return reply_field_problem(r, 409, "double_booked", "this employee is already assigned on that date",
						   "employee_id", "double_booked", "already assigned on that date");
		req_problem(r, 409, "conflict", "this would duplicate an existing record");
		return 0;
	}
	if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0 || strncmp(state, "22", 2) == 0) {
		char field[128] = "";
		if (column)
			snprintf(field, sizeof field, "%s", column);
		else if (constraint) {
			/* table_column_check */
			const char *u = strchr(constraint, '_');
			snprintf(field, sizeof field, "%s", u ? u + 1 : constraint);
			char *c = strstr(field, "_check");
			if (c)
				*c = '\0';
		}
		PQclear(res);
		return reply_field_problem(r, 400, "validation_failed", "a value is out of range", field, "invalid",
					   "the value is not allowed here");
	}
	if (strcmp(state, "42501") == 0) {
		PQclear(res);
		req_problem(r, 403, "forbidden", "your role does not allow this");
		return 0;
	}
	bool transient = db_transient(state);
	bool no_room = transient && strncmp(state, "53", 2) == 0;   /* disk full, out of memory or connections */
	log_error("statement failed (%s): %s", state, primary ? primary : "");
	PQclear(res);
	if (no_room)
		req_problem(r, 503, "db_unavailable", "the database is out of room for this right now; nothing was "
			    "changed; try again shortly");
	else if (transient)
		req_problem(r, 503, "db_unavailable", "the database can't do this right now; try again shortly");
	else
		req_problem(r, 500, "internal_error", NULL);
	return 0;
}

int reply_db_fault(req_t *r)
{
	bool down = db_broken(r->db) || db_transient(db_failed_state(r->db));
	req_problem(r, down ? 503 : 500, down ? "db_unavailable" : "internal_error", NULL);
	return 0;
}

int reply_field_problem(req_t *r, int status, const char *top, const char *detail, const char *field,
			const char *code, const char *message)
{
	json_t *errs = NULL;
	jsonv_add_error(&errs, field, code, message);
	req_problem_errors(r, status, top, detail, errs);
	return 0;
}

int reply_field_error(req_t *r, const char *field, const char *code, const char *message)
{
	return reply_field_problem(r, 400, code, message, field, code, message);
}

int reply_cell(req_t *r, PGresult *res, int col, int status, const char *missing)
{
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, col)) {
		PQclear(res);
		req_problem(r, 404, "not_found", missing);
		return 0;
	}
	size_t n = (size_t)PQgetlength(res, 0, col);
	char *body = malloc(n + 1);
	if (body) {   /* compact: the database's JSON has spaces between its tokens */
		n = json_compact(body, PQgetvalue(res, 0, col), n);
		body[n] = '\0';
	}
	PQclear(res);
	if (!body) {
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	req_body(r, status, "application/json", body, n);
	return 0;
}

int reply_too_many(req_t *r, const char *seconds)
{
	req_header(r, "Retry-After", arena_strdup(&r->arena, seconds));
	req_problem(r, 429, "rate_limited", "too many attempts; try again later");
	return 0;
}
