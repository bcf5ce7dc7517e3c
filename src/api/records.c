#include "records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../crypto.h"
#include "../jsonv.h"
#include "../log.h"
#include "../gate.h"
#include "../vocab.h"
#include "reply.h"
#include "sendout.h"


static const jsonv_field_t no_filters[] = { JV_END };
static const jsonv_field_t customer_filters[] = {
	{ "q", JV_STRING, false, false, 1, 200, NULL, NULL }, JV_END };
static const jsonv_field_t project_filters[] = {
	{ "customer_id", JV_UUID, false, false, 0, 0, NULL, NULL },
	{ "region_id", JV_UUID, false, false, 0, 0, NULL, NULL }, JV_END };
static const jsonv_field_t employee_filters[] = {
	{ "region_id", JV_UUID, false, false, 0, 0, NULL, NULL },
	{ "active", JV_BOOL, false, false, 0, 0, NULL, NULL },
	{ "trade", JV_ENUM, false, false, 0, 0, vocab_trades, NULL }, JV_END };
static const jsonv_field_t crew_filters[] = {
	{ "region_id", JV_UUID, false, false, 0, 0, NULL, NULL }, JV_END };
static const jsonv_field_t pour_filters[] = {
	{ "from", JV_DATE, true, false, 0, 0, NULL, NULL },
	{ "to", JV_DATE, true, false, 0, 0, NULL, NULL },
	{ "status", JV_ENUM, false, false, 0, 0, vocab_pour_statuses, NULL },
	{ "project_id", JV_UUID, false, false, 0, 0, NULL, NULL },
	{ "region_id", JV_UUID, false, false, 0, 0, NULL, NULL },
	{ "crew_id", JV_UUID, false, false, 0, 0, NULL, NULL }, JV_END };
static const jsonv_field_t assignment_filters[] = {
	{ "from", JV_DATE, false, false, 0, 0, NULL, NULL },
	{ "to", JV_DATE, false, false, 0, 0, NULL, NULL },
	{ "employee_id", JV_UUID, false, false, 0, 0, NULL, NULL },
	{ "pour_id", JV_UUID, false, false, 0, 0, NULL, NULL }, JV_END };
static const jsonv_field_t reminder_filters[] = {
	{ "status", JV_ENUM, false, false, 0, 0, vocab_reminder_statuses, NULL },
	{ "from", JV_DATE, false, false, 0, 0, NULL, NULL },
	{ "to", JV_DATE, false, false, 0, 0, NULL, NULL }, JV_END };
static const jsonv_field_t trip_filters[] = {
	{ "from", JV_DATE, false, false, 0, 0, NULL, NULL },
	{ "to", JV_DATE, false, false, 0, 0, NULL, NULL },
	{ "customer_id", JV_UUID, false, false, 0, 0, NULL, NULL },
	{ "status", JV_ENUM, false, false, 0, 0, vocab_trip_statuses, NULL }, JV_END };
static const jsonv_field_t traveler_filters[] = {
	{ "trip_id", JV_UUID, false, false, 0, 0, NULL, NULL }, JV_END };
static const jsonv_field_t manpower_filters[] = {
	{ "from", JV_DATE, true, false, 0, 0, NULL, NULL },
	{ "to", JV_DATE, true, false, 0, 0, NULL, NULL },
	{ "region_id", JV_UUID, false, false, 0, 0, NULL, NULL }, JV_END };

static const jsonv_field_t audit_filters[] = {
	{ "action", JV_STRING, false, false, 1, 100, NULL, NULL },
	{ "actor_id", JV_UUID, false, false, 0, 0, NULL, NULL },
	{ "entity_id", JV_STRING, false, false, 1, 100, NULL, NULL },
	{ "from", JV_DATETIME, false, false, 0, 0, NULL, NULL },
	{ "to", JV_DATETIME, false, false, 0, 0, NULL, NULL }, JV_END };

static const struct reply_ref no_refs[] = { { NULL, NULL } };
static const struct reply_ref project_refs[] = {
	{ "projects_customer_fk", "customer_id" }, { "projects_region_fk", "region_id" }, { NULL, NULL } };
static const struct reply_ref employee_refs[] = { { "employees_region_fk", "region_id" }, { NULL, NULL } };
static const struct reply_ref crew_refs[] = {
	{ "crews_region_fk", "region_id" }, { "crews_foreman_fk", "foreman_id" },
	{ "crew_members_employee_fk", "employee_ids" }, { NULL, NULL } };
static const struct reply_ref pour_refs[] = {
	{ "pours_project_fk", "project_id" }, { "pours_crew_fk", "crew_id" }, { NULL, NULL } };
static const struct reply_ref assignment_refs[] = {
	{ "assignments_employee_fk", "employee_id" }, { "assignments_pour_fk", "pour_id" }, { NULL, NULL } };
static const struct reply_ref trip_refs[] = { { "trips_customer_fk", "customer_id" }, { NULL, NULL } };
static const struct reply_ref traveler_refs[] = { { "travelers_trip_fk", "trip_id" }, { NULL, NULL } };

#define RES(n, s, f, fl, refs) { n, s, f, fl, refs, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 } }
struct resource res_customers = RES("customers", "customer", customer_filters, 0, no_refs);
struct resource res_regions = RES("regions", "region", no_filters, 0, no_refs);
struct resource res_projects = RES("projects", "project", project_filters, 0, project_refs);
struct resource res_employees = RES("employees", "employee", employee_filters, 0, employee_refs);
struct resource res_crews = RES("crews", "crew", crew_filters, 0, crew_refs);
struct resource res_pours = RES("pours", "pour", pour_filters, REC_RANGE_REQUIRED, pour_refs);
struct resource res_assignments = RES("assignments", "assignment", assignment_filters, REC_RANGE_OPTIONAL, assignment_refs);
struct resource res_reminders = RES("reminders", "reminder", reminder_filters, REC_RANGE_OPTIONAL, no_refs);
struct resource res_trips = RES("trips", "trip", trip_filters, REC_RANGE_OPTIONAL, trip_refs);
struct resource res_travelers = RES("travelers", "traveler", traveler_filters, 0, traveler_refs);
struct resource res_audit = RES("audit", "audit row", audit_filters, 0, no_refs);
struct resource res_members = RES("members", "member", no_filters, 0, no_refs);
struct resource res_invitations = RES("invitations", "invitation", no_filters, 0, no_refs);

/* "select <head>app.<name>_<op>(<args>)" */
static char *stmt(const char *head, const char *name, const char *op, const char *args)
{
	char buf[256];
	snprintf(buf, sizeof buf, "select %sapp.%s_%s(%s)", head, name, op, args);
	char *s = strdup(buf);
	if (!s)
		fatal("out of memory");
	return s;
}

void records_init(void)
{
	struct resource *all[] = { &res_customers, &res_regions, &res_projects, &res_employees, &res_crews,
				   &res_pours, &res_assignments, &res_reminders, &res_trips, &res_travelers };
	struct resource *lists[] = { &res_audit, &res_members, &res_invitations };
	for (size_t i = 0; i < ARRAY_LEN(lists); i++)
		lists[i]->page.sql = stmt("j, k from ", lists[i]->name, "page", "$1::jsonb, $2::int, $3");
	for (size_t i = 0; i < ARRAY_LEN(all); i++) {
		struct resource *r = all[i];
		r->page.sql = stmt("j, k from ", r->name, "page", "$1::jsonb, $2::int, $3");
		r->get.sql = stmt("", r->name, "get", "$1::uuid");
		r->create.sql = stmt("", r->name, "create", "$1::jsonb");
		r->update.sql = stmt("", r->name, "update", "$1::uuid, $2::jsonb");
		r->del.sql = stmt("", r->name, "delete", "$1::uuid");
	}
}

int rec_db_error(req_t *r, const struct resource *rs, PGresult *res, bool deleting)
{
	struct reply_subject about = { rs ? rs->singular : NULL, rs ? rs->refs : NULL };
	return reply_db_error(r, &about, res, deleting);
}

static const struct resource *res_of(req_t *r)
{
	return r->route->ctx;
}

/* Answers with the single JSON object in the first column, or 404 when it is NULL. */
static int one(req_t *r, const struct resource *rs, PGresult *res, int status, bool ok)
{
	if (!ok)
		return rec_db_error(r, rs, res, false);
	char msg[128];
	snprintf(msg, sizeof msg, "no such %s in this workspace", rs ? rs->singular : "record");
	return reply_cell(r, res, 0, status, msg);
}

static bool id_param(req_t *r, const struct resource *rs)
{
	const char *id = req_param(r, 0);
	if (id && jsonv_is_uuid(id))
		return true;
	char msg[128];
	snprintf(msg, sizeof msg, "no such %s in this workspace", rs ? rs->singular : "record");
	req_problem(r, 404, "not_found", msg);
	return false;
}

/* 400 validation_failed naming one query parameter. */
static void query_error(req_t *r, const char *top, const char *field, const char *message)
{
	reply_field_problem(r, 400, top, message, field, "invalid", message);
}

/* Query parameters of a list into a JSON object of filters; 400 on a bad one. */
static json_t *filters(req_t *r, const jsonv_field_t *spec, unsigned flags)
{
	json_t *f = json_object();
	for (const jsonv_field_t *s = spec; s && s->name; s++) {
		const char *v = req_query(r, s->name);
		if (!v)
			continue;
		if (s->type == JV_BOOL) {
			if (strcmp(v, "true") && strcmp(v, "false")) {
				json_decref(f);
				char m[128];
				snprintf(m, sizeof m, "%s must be true or false", s->name);
				query_error(r, "validation_failed", s->name, m);
				return NULL;
			}
			json_object_set_new(f, s->name, json_boolean(strcmp(v, "true") == 0));
		} else {
			json_object_set_new(f, s->name, json_string(v));
		}
	}
	json_t *errors;
	if (jsonv_validate(f, spec, &errors) < 0) {
		json_decref(f);
		req_problem_errors(r, 400, "validation_failed", "a query parameter is missing or invalid", errors);
		return NULL;
	}
	const char *from = json_string_value(json_object_get(f, "from"));
	const char *to = json_string_value(json_object_get(f, "to"));
	if ((flags & (REC_RANGE_REQUIRED | REC_RANGE_OPTIONAL)) && from && to) {
		long days = jsonv_date_days(from, to);
		/* API.md bounds the schedule and the projection to 92 days; other lists only need
		 * the range the right way round */
		if (days < 0 || ((flags & REC_RANGE_REQUIRED) && days > 92)) {
			json_decref(f);
			query_error(r, "validation_failed", "to", (flags & REC_RANGE_REQUIRED)
					? "to must be on or after from, at most 92 days apart" : "to must be on or after from");
			return NULL;
		}
	}
	return f;
}

json_t *rec_filters(req_t *r, const struct resource *rs)
{
	return filters(r, rs->filters, rs->flags);
}

static int limit_param(req_t *r, long *limit)
{
	const char *v = req_query(r, "limit");
	*limit = 50;
	if (!v)
		return 0;
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < 1 || n > 200) {
		query_error(r, "validation_failed", "limit", "limit must be a whole number from 1 to 200");
		return -1;
	}
	*limit = n;
	return 0;
}

int rec_cursor_decode(const char *v, char *out, size_t cap)
{
	size_t n = strlen(v), len;
	if (n > REC_CURSOR_MAX || cap < n + 1 || crypto_b64url_decode(v, n, (unsigned char *)out, &len) < 0 || len >= cap)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			return -1;
	out[len] = '\0';
	/* Every page function keys its cursor "<key>|<id>". The SQL parses the id only when a
	 * row ties on the key, so a bad one must be caught here, not left to chance. */
	const char *bar = strchr(out, '|');
	if (!bar || bar == out || strchr(bar + 1, '|') || !jsonv_is_uuid(bar + 1))
		return -1;
	return 0;
}

static int cursor_param(req_t *r, char **after)
{
	const char *v = req_query(r, "cursor");
	*after = NULL;
	if (!v)
		return 0;
	size_t cap = strlen(v) + 1;
	char *raw = arena_alloc(&r->arena, cap);
	if (!raw || rec_cursor_decode(v, raw, cap) < 0) {
		query_error(r, "invalid_cursor", "cursor", "the cursor is not one this server gave");
		return -1;
	}
	*after = raw;
	return 0;
}

int rec_list(req_t *r)
{
	const struct resource *rs = res_of(r);
	long limit;
	char *after;
	if (limit_param(r, &limit) < 0 || cursor_param(r, &after) < 0)
		return 0;
	json_t *f = filters(r, rs->filters, rs->flags);
	if (!f)
		return 0;
	char *fj = json_dumps(f, JSON_COMPACT);
	json_decref(f);
	char lim[16];
	snprintf(lim, sizeof lim, "%ld", limit);
	const char *p[] = { fj, lim, after };
	PGresult *res;
	int rc = gate_query(r, (db_stmt_t *)&rs->page, 3, p, &res);
	free(fj);
	if (rc == -2)
		return 0;
	if (rc < 0)
		return rec_db_error(r, rs, res, false);
	int rows = PQntuples(res);
	buf_t b = BUF_INIT(64u << 20);
	buf_puts(&b, "{\"data\":[");
	for (int i = 0; i < rows && i < limit; i++) {
		if (i)
			buf_puts(&b, ",");
		buf_json_compact(&b, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0));
	}
	buf_puts(&b, "],\"next_cursor\":");
	if (rows > limit) {
		const char *k = PQgetvalue(res, (int)limit - 1, 1);
		char *c = arena_alloc(&r->arena, strlen(k) * 2 + 8);
		if (c) {
			crypto_b64url_encode(k, strlen(k), c);
			buf_printf(&b, "\"%s\"}", c);
		}
	} else {
		buf_puts(&b, "null}");
	}
	PQclear(res);
	if (b.failed) {
		buf_free(&b);
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	req_body(r, 200, "application/json", b.data, b.len);
	return 0;
}

int rec_get(req_t *r)
{
	const struct resource *rs = res_of(r);
	if (!id_param(r, rs))
		return 0;
	const char *p[] = { req_param(r, 0) };
	PGresult *res;
	int rc = gate_query(r, (db_stmt_t *)&rs->get, 1, p, &res);
	if (rc == -2)
		return 0;
	return one(r, rs, res, 200, rc == 0);
}

int rec_create(req_t *r)
{
	const struct resource *rs = res_of(r);
	const char *p[] = { req_body_text(r) };
	PGresult *res;
	bool ok = db_run(r->db, (db_stmt_t *)&rs->create, 1, p, &res) == 0;
	return one(r, rs, res, 201, ok);
}

/* Changes of these may owe people a change notice (app.sheet_notices): the request queues
 * them before it commits. Whatever else changes them (SQL, a job) leaves them to the cron. */
static bool owes_notices(const struct resource *rs)
{
	return rs == &res_pours || rs == &res_assignments;
}

int rec_update(req_t *r)
{
	const struct resource *rs = res_of(r);
	if (!id_param(r, rs))
		return 0;
	/* PATCH {} changes nothing, updated_at included */
	if (r->json && json_object_size(r->json) == 0)
		return rec_get(r);
	const char *p[] = { req_param(r, 0), req_body_text(r) };
	PGresult *res;
	bool ok = db_run(r->db, (db_stmt_t *)&rs->update, 2, p, &res) == 0;
	/* people whose sheet went out hear of a move, a cancel, or being taken off a pour */
	if (ok && owes_notices(rs) && sendout_notices(r) < 0) {
		PQclear(res);
		return reply_db_fault(r);
	}
	return one(r, rs, res, 200, ok);
}

/* ?erase_history=true on deleting a person's record (an employee, a customer): their personal
 * data leaves the audit history too (app.audit_erase_record). 1 set, 0 not, -1 answered 400. */
static int erase_param(req_t *r, const struct resource *rs)
{
	const char *v = req_query(r, "erase_history");
	if (!v || strcmp(v, "false") == 0)
		return 0;
	bool person = rs == &res_employees || rs == &res_customers || rs == &res_trips || rs == &res_travelers;
	if (strcmp(v, "true") != 0 || !person) {
		const char *m = "erase_history is true or false, on employees, customers, trips and travelers";
		reply_field_problem(r, 400, "validation_failed", m, "erase_history", "invalid", m);
		return -1;
	}
	return 1;
}

int rec_delete(req_t *r)
{
	static db_stmt_t erase = DB_STMT("select app.audit_erase_record($1, $2::uuid)");
	static db_stmt_t erase_trip = DB_STMT("select app.audit_erase_trip_record($1, $2::uuid)");
	const struct resource *rs = res_of(r);
	if (!id_param(r, rs))
		return 0;
	int erasing = erase_param(r, rs);
	if (erasing < 0)
		return 0;
	const char *p[] = { req_param(r, 0) };
	PGresult *res;
	if (db_run(r->db, (db_stmt_t *)&rs->del, 1, p, &res) < 0)
		return rec_db_error(r, rs, res, true);
	bool found = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!found) {
		char msg[128];
		snprintf(msg, sizeof msg, "no such %s in this workspace", rs->singular);
		req_problem(r, 404, "not_found", msg);
		return 0;
	}
	if (erasing) {
		/* a customer's history is also that of the trips it had and their travellers */
		bool trip_part = rs == &res_trips || rs == &res_travelers;
		const char *ep[] = { rs->singular, req_param(r, 0) };
		for (int step = trip_part ? 1 : 0; step < (rs == &res_employees ? 1 : 2); step++) {
			if (db_run(r->db, step ? &erase_trip : &erase, 2, ep, &res) < 0 || PQgetvalue(res, 0, 0)[0] != 't') {
				if (res)
					PQclear(res);
				return reply_db_fault(r);
			}
			PQclear(res);
		}
	}
	if (owes_notices(rs) && sendout_notices(r) < 0)
		return reply_db_fault(r);
	req_no_content(r);
	return 0;
}

int rec_pour_cancel(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.pours_cancel($1::uuid, $2::jsonb)");
	if (!id_param(r, &res_pours))
		return 0;
	const char *p[] = { req_param(r, 0), req_body_text(r) };
	PGresult *res;
	bool ok = db_run(r->db, &q, 2, p, &res) == 0;
	if (ok && sendout_notices(r) < 0) {
		PQclear(res);
		return reply_db_fault(r);
	}
	return one(r, &res_pours, res, 200, ok);
}

int rec_crew_members(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.crews_set_members($1::uuid, $2::jsonb)");
	if (!id_param(r, &res_crews))
		return 0;
	const char *p[] = { req_param(r, 0), req_body_text(r) };
	PGresult *res;
	bool ok = db_run(r->db, &q, 2, p, &res) == 0;
	return one(r, &res_crews, res, 200, ok);
}

int rec_manpower(req_t *r)
{
	static db_stmt_t q = DB_STMT("select json_build_object('data', app.manpower($1::date, $2::date, $3::uuid))");
	json_t *f = filters(r, manpower_filters, REC_RANGE_REQUIRED);
	if (!f)
		return 0;
	const char *p[] = { json_string_value(json_object_get(f, "from")), json_string_value(json_object_get(f, "to")),
			    json_string_value(json_object_get(f, "region_id")) };
	PGresult *res;
	int qrc = gate_query(r, &q, 3, p, &res);
	int rc = qrc == -2 ? 0 : one(r, NULL, res, 200, qrc == 0);
	json_decref(f);
	return rc;
}

/* Below a trip (API.md additions): its travellers, a traveller made on it, and the reminders
 * of a template. Each statement answers NULL when the trip is not this workspace's: 404. */
static db_stmt_t trip_traveler_create = DB_STMT("select app.trip_travelers_create($1::uuid, $2::jsonb)");

static int trip_call(req_t *r, db_stmt_t *q, int status)
{
	if (!id_param(r, &res_trips))
		return 0;
	const char *p[] = { req_param(r, 0), req_body_text(r) };
	PGresult *res;
	if (db_run(r->db, q, r->json ? 2 : 1, p, &res) < 0)
		return rec_db_error(r, q == &trip_traveler_create ? &res_travelers : &res_trips, res, false);
	return reply_cell(r, res, 0, status, "no such trip in this workspace");
}

int rec_trip_travelers(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.trip_travelers($1::uuid)");
	return trip_call(r, &q, 200);
}

int rec_trip_traveler_create(req_t *r)
{
	return trip_call(r, &trip_traveler_create, 201);
}

int rec_trip_reminders(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.trip_reminders_create($1::uuid, $2::jsonb)");
	return trip_call(r, &q, 201);
}
