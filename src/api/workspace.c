#include "workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"
#include "session.h"
#include "reauth.h"
#include "mfa.h"
#include "reply.h"

int api_workspace_get(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.workspace_get()");
	PGresult *res;
	if (db_run(r->db, &q, 0, NULL, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	return reply_cell(r, res, 0, 200, "no workspace");
}

int api_workspace_patch(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.workspace_update($1::jsonb)");
	const char *p[] = { req_body_text(r) };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	return reply_cell(r, res, 0, 200, "no workspace");
}

/* ---- deleting the workspace: the slug, the owner's password, then everything ---- */

struct delete_job {
	struct reauth check; /* first: reauth_job reads it */
	char *slug;
};

static int slug_mismatch(req_t *r)
{
	reply_field_error(r, "slug", "mismatch", "type the workspace's slug to confirm its deletion");
	return 0;
}

static int delete_finish(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.workspace_delete($1)");
	struct delete_job *j = r->cont_data;
	if (!j->check.verified) {
		reply_field_problem(r, 401, "invalid_credentials", "the password is not right",
					"password", "invalid_credentials", "the password is not right");
		return 0;
	}
	if (mfa_require_code(r, req_json_str(r, "code")) < 0)
		return 0;
	const char *p[] = { j->slug };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	char status[32];
	snprintf(status, sizeof status, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (strcmp(status, "slug_mismatch") == 0)
		return slug_mismatch(r);
	if (strcmp(status, "deleted") != 0) {
		req_problem(r, 403, "forbidden", "only an owner deletes the workspace");
		return 0;
	}
	req_header(r, "Set-Cookie", session_clear_cookie);
	req_no_content(r);
	return 0;
}

int api_workspace_delete(req_t *r)
{
	static db_stmt_t q = DB_STMT(
		"select (select t.slug = $1 from app.tenants t where t.id = app.current_tenant()), m.password_hash "
		"from app.me_password_material() m");
	const char *p[] = { req_json_str(r, "slug") };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	if (PQntuples(res) != 1) {
		PQclear(res);
		req_problem(r, 500, "internal_error", "the signed-in account was not found");
		return 0;
	}
	if (PQgetvalue(res, 0, 0)[0] != 't') {
		PQclear(res);
		return slug_mismatch(r);
	}
	struct delete_job *j = arena_alloc(&r->arena, sizeof *j);
	if (j) {
		j->slug = arena_strdup(&r->arena, req_json_str(r, "slug"));
		j->check.password = arena_strdup(&r->arena, req_json_str(r, "password"));
		j->check.hash = arena_strdup(&r->arena, PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	if (!j || !j->slug || !j->check.password || !j->check.hash) {
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	r->cont_data = j;
	r->job = reauth_job;
	r->cont = delete_finish;
	return REQ_SUSPENDED;
}
