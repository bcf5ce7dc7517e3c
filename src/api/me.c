#include "me.h"

#include <string.h>

#include "../db.h"
#include "../jsonv.h"
#include "../auth/session.h"

static int db_fail(req_t *r)
{
	bool down = db_broken(r->db);
	req_problem(r, down ? 503 : 500, down ? "db_unavailable" : "internal_error", NULL);
	return 0;
}

int api_me_get(req_t *r)
{
	json_t *p = session_profile(r);
	if (!p)
		return db_fail(r);
	req_json(r, 200, p);
	return 0;
}

int api_me_patch(req_t *r)
{
	static db_stmt_t q = DB_STMT("update app.users set name = coalesce($1, name), updated_at = now() "
				     "where id = app.current_user_id()");
	const char *p[] = { json_string_value(json_object_get(r->json, "name")) };
	if (db_run(r->db, &q, 1, p, NULL) < 0)
		return db_fail(r);
	json_t *prof = session_profile(r);
	if (!prof)
		return db_fail(r);
	json_t *user = json_incref(json_object_get(prof, "user"));
	json_decref(prof);
	req_json(r, 200, user);
	return 0;
}

int api_me_sessions(req_t *r)
{
	static db_stmt_t q = DB_STMT(
		"select id, app.ts(created_at), app.ts(last_used_at), ip, user_agent, id = app.current_session_id() "
		"from app.sessions where user_id = app.current_user_id() and tenant_id = app.current_tenant() "
		"and revoked_at is null and expires_at > now() and (impersonation_id is not null or "
		"last_used_at > now() - interval '7 days') order by created_at desc, id limit 200");
	PGresult *res;
	if (db_run(r->db, &q, 0, NULL, &res) < 0) {
		if (res)
			PQclear(res);
		return db_fail(r);
	}
	json_t *data = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(data, json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:b}", "id", PQgetvalue(res, i, 0),
						      "created_at", PQgetvalue(res, i, 1), "last_used_at",
						      PQgetvalue(res, i, 2),
						      "ip", PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
						      "user_agent", PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4),
						      "current", PQgetvalue(res, i, 5)[0] == 't'));
	PQclear(res);
	req_json(r, 200, json_pack("{s:o,s:n}", "data", data, "next_cursor"));
	return 0;
}

int api_me_session_delete(req_t *r)
{
	static db_stmt_t q = DB_STMT("update app.sessions set revoked_at = now() where id = $1 "
				     "and user_id = app.current_user_id() and tenant_id = app.current_tenant() "
				     "and revoked_at is null");
	const char *id = req_param(r, 0);
	if (!jsonv_is_uuid(id)) {
		req_problem(r, 404, "not_found", "no such session");
		return 0;
	}
	const char *p[] = { id };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0) {
		if (res)
			PQclear(res);
		return db_fail(r);
	}
	bool found = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (!found) {
		req_problem(r, 404, "not_found", "no such session");
		return 0;
	}
	req_no_content(r);
	return 0;
}
