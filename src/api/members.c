#include "members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"
#include "../jsonv.h"
#include "notices.h"
#include "reply.h"

static bool user_param(req_t *r)
{
	if (jsonv_is_uuid(req_param(r, 0)))
		return true;
	req_problem(r, 404, "not_found", "no such member of this workspace");
	return false;
}

static int member_change(req_t *r, const char *role)
{
	static db_stmt_t change = DB_STMT("select app.member_change($1::uuid, $2)");
	static db_stmt_t get = DB_STMT("select app.member_json($1::uuid)");
	if (!user_param(r))
		return 0;
	static db_stmt_t before = DB_STMT("select role from app.memberships where tenant_id = app.current_tenant() "
					  "and user_id = $1::uuid");
	const char *p[] = { req_param(r, 0), role };
	PGresult *res;
	if (db_run(r->db, &before, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	bool promoted = role && (strcmp(role, "admin") == 0 || strcmp(role, "owner") == 0) &&
			(PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), role) != 0);
	PQclear(res);
	if (db_run(r->db, &change, 2, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	char status[32];
	snprintf(status, sizeof status, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (strcmp(status, "not_found") == 0) {
		req_problem(r, 404, "not_found", "no such member of this workspace");
		return 0;
	}
	if (strcmp(status, "owner_only") == 0) {
		req_problem(r, 403, "forbidden", "only an owner grants, changes or removes the owner role");
		return 0;
	}
	if (strcmp(status, "last_owner") == 0) {
		req_problem(r, 409, "last_owner", "a workspace always has an owner: make someone else owner first");
		return 0;
	}
	if (!role) {
		req_no_content(r);
		return 0;
	}
	if (db_run(r->db, &get, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	if (promoted) {
		json_t *m = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		const char *email = json_string_value(json_object_get(m, "email"));
		int rc = notice_role_granted(r, email ? arena_strdup(&r->arena, email) : "a member", role);
		json_decref(m);
		if (rc < 0) {
			PQclear(res);
			return reply_db_fault(r);
		}
	}
	return reply_cell(r, res, 0, 200, "no such member of this workspace");
}

int api_member_patch(req_t *r)
{
	return member_change(r, json_string_value(json_object_get(r->json, "role")));
}

int api_member_delete(req_t *r)
{
	return member_change(r, NULL);
}
