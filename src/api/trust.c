#include "trust.h"

#include <stdio.h>
#include <string.h>

#include "../db.h"
#include "../jsonv.h"
#include "../auth/password.h"
#include "../auth/session.h"

static const jsonv_field_t no_filters[] = { JV_END };

struct resource res_impersonations = {
	"impersonations", "impersonation", no_filters, 0, NULL,
	DB_STMT("select j, k from app.impersonations_page($1::jsonb, $2::int, $3)"),
	DB_STMT(NULL), DB_STMT(NULL), DB_STMT(NULL), DB_STMT(NULL),
};

static int db_fail(req_t *r, PGresult *res)
{
	return rec_db_error(r, NULL, res, false);
}

static const char *field(req_t *r, const char *name)
{
	return json_string_value(json_object_get(r->json, name));
}

/* ---- staff access ---- */

int api_impersonation_redeem(req_t *r)
{
	(void)session_impersonate(r, field(r, "token"));
	return 0;
}

/* The list machinery of records.c (limit, cursor, {data, next_cursor}). */
int api_impersonation_list(req_t *r)
{
	return rec_list(r);
}

int api_impersonation_revoke(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.impersonation_revoke($1::uuid)");
	const char *id = req_param(r, 0);
	if (!jsonv_is_uuid(id)) {
		req_problem(r, 404, "not_found", "no such staff access in this workspace");
		return 0;
	}
	const char *p[] = { id };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return db_fail(r, res);
	bool found = strcmp(PQgetvalue(res, 0, 0), "ok") == 0;
	PQclear(res);
	if (!found) {
		req_problem(r, 404, "not_found", "no such staff access in this workspace");
		return 0;
	}
	req_no_content(r);
	return 0;
}

/* ---- deleting the workspace: the slug, the owner's password, then everything ---- */

struct delete_job {
	char *slug;
	char *password;
	char *hash;
	bool verified;
};

static void verify_job(req_t *r)
{
	struct delete_job *j = r->cont_data;
	j->verified = password_verify(j->password, j->hash);
}

static int slug_mismatch(req_t *r)
{
	req_field_error(r, "slug", "mismatch", "type the workspace's slug to confirm its deletion");
	return 0;
}

static int delete_finish(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.workspace_delete($1)");
	struct delete_job *j = r->cont_data;
	if (!j->verified) {
		req_problem_errors(r, 401, "invalid_credentials", "the password is not right",
				   json_pack("[{s:s,s:s,s:s}]", "field", "password", "code", "invalid_credentials",
					     "message", "the password is not right"));
		return 0;
	}
	const char *p[] = { j->slug };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return db_fail(r, res);
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
	const char *p[] = { field(r, "slug") };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return db_fail(r, res);
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
		j->slug = arena_strdup(&r->arena, field(r, "slug"));
		j->password = arena_strdup(&r->arena, field(r, "password"));
		j->hash = arena_strdup(&r->arena, PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	if (!j || !j->slug || !j->password || !j->hash) {
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	r->cont_data = j;
	r->job = verify_job;
	r->cont = delete_finish;
	return REQ_SUSPENDED;
}
