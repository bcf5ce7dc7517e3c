#include "impersonations.h"

#include <stdio.h>
#include <string.h>

#include "../db.h"
#include "../jsonv.h"
#include "session.h"
#include "reply.h"

static const jsonv_field_t no_filters[] = { JV_END };

struct resource res_impersonations = {
	"impersonations", "impersonation", no_filters, 0, NULL,
	DB_STMT("select j, k from app.impersonations_page($1::jsonb, $2::int, $3)"),
	DB_STMT(NULL), DB_STMT(NULL), DB_STMT(NULL), DB_STMT(NULL),
};

int api_impersonation_redeem(req_t *r)
{
	(void)session_impersonate(r, req_json_str(r, "token"));
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
		return reply_db_error(r, NULL, res, false);
	bool found = strcmp(PQgetvalue(res, 0, 0), "ok") == 0;
	PQclear(res);
	if (!found) {
		req_problem(r, 404, "not_found", "no such staff access in this workspace");
		return 0;
	}
	req_no_content(r);
	return 0;
}
