#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"
#include "records.h"
#include "reply.h"

int api_audit_verify(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.audit_verify()");
	PGresult *res;
	if (db_run(r->db, &q, 0, NULL, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	return reply_cell(r, res, 0, 200, "no audit log");
}

void audit_csv_cell(buf_t *b, const char *v, size_t n)
{
	bool formula = n && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r');
	bool quote = formula;
	for (size_t i = 0; i < n && !quote; i++)
		if (v[i] == ',' || v[i] == '"' || v[i] == '\n' || v[i] == '\r')
			quote = true;
	if (!quote) {
		buf_append(b, v, n);
		return;
	}
	buf_puts(b, "\"");
	if (formula)
		buf_puts(b, "'");
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '"')
			buf_puts(b, "\"");
		buf_append(b, &v[i], 1);
	}
	buf_puts(b, "\"");
}

/* The CSV takes the filters of GET /audit (action, actor_id, entity_id, from, to), so the file
 * holds the rows the screen shows. */
int api_audit_csv(req_t *r)
{
	static db_stmt_t q = DB_STMT(
		"select a.id, app.ts(a.at), a.actor_id, a.actor_email, a.actor_kind, a.action, a.entity_type, "
		"a.entity_id, a.changes::text, a.ip from app.audit_log a, (select $1::jsonb as f) q "
		"where a.tenant_id = app.current_tenant() "
		"and (q.f->>'action' is null or a.action = q.f->>'action') "
		"and (q.f->>'actor_id' is null or a.actor_id = (q.f->>'actor_id')::uuid) "
		"and (q.f->>'entity_id' is null or a.entity_id = q.f->>'entity_id') "
		"and (q.f->>'from' is null or a.at >= (q.f->>'from')::timestamptz) "
		"and (q.f->>'to' is null or a.at <= (q.f->>'to')::timestamptz "
		"or (length(q.f->>'to') = 10 and a.at < (q.f->>'to')::date + 1)) "
		"order by a.seq desc limit 1000000");
	json_t *f = rec_filters(r, &res_audit);
	if (!f)
		return 0;
	char *fj = json_dumps(f, JSON_COMPACT);
	json_decref(f);
	const char *p[] = { fj };
	PGresult *res;
	int rc = db_run(r->db, &q, 1, p, &res);
	free(fj);
	if (rc < 0)
		return reply_db_error(r, NULL, res, false);
	buf_t b = BUF_INIT(256u << 20);
	buf_puts(&b, "id,at,actor_id,actor_email,actor_kind,action,entity_type,entity_id,changes,ip\r\n");
	for (int i = 0; i < PQntuples(res); i++) {
		for (int c = 0; c < 10; c++) {
			if (c)
				buf_puts(&b, ",");
			audit_csv_cell(&b, PQgetvalue(res, i, c), (size_t)PQgetlength(res, i, c));
		}
		buf_puts(&b, "\r\n");
	}
	PQclear(res);
	if (b.failed) {
		buf_free(&b);
		req_problem(r, 500, "internal_error", "the export is too large");
		return 0;
	}
	req_header(r, "Content-Disposition", "attachment; filename=\"audit.csv\"");
	req_body(r, 200, "text/csv; charset=utf-8", b.data, b.len);
	return 0;
}
