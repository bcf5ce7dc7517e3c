#include "sendout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../app.h"
#include "../buf.h"
#include "../jsonv.h"
#include "../log.h"
#include "../mail.h"
#include "../sheet.h"
#include "reply.h"

/* ---- one person's sheet ---- */

/* Where a sheet goes: up to two (channel, recipient) pairs, or why nowhere. */
struct target {
	const char *channel[2], *to[2];
	int n;
	const char *reason;   /* when n == 0: no_email, no_phone or no_contact */
};

/* The employee's phone as E.164 ("+1 (555) 123-4567" -> "+15551234567"), or NULL. */
static const char *e164(arena_t *a, const char *phone)
{
	if (!phone)
		return NULL;
	char *out = arena_alloc(a, strlen(phone) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = phone; *p; p++)
		if (!strchr(" -().", *p))
			*o++ = *p;
	*o = 0;
	return jsonv_is_e164(out) ? out : NULL;
}

static void resolve(arena_t *a, const char *channel, const char *email, const char *phone, struct target *t)
{
	memset(t, 0, sizeof *t);
	bool want_mail = strcmp(channel, "sms") != 0, want_sms = strcmp(channel, "email") != 0;
	const char *number = e164(a, phone);
	if (want_mail && email && *email) {
		t->channel[t->n] = "email";
		t->to[t->n++] = email;
	}
	if (want_sms && number) {
		t->channel[t->n] = "sms";
		t->to[t->n++] = number;
	}
	if (t->n == 0)
		t->reason = want_mail && want_sms ? "no_contact" : want_mail ? "no_email" : "no_phone";
}

/* A PostgreSQL array literal of n strings, each quoted and escaped (arena); NULL when out of
 * memory. */
static char *pg_array(arena_t *a, const char *const *v, int n)
{
	buf_t b = BUF_INIT(8u << 20);
	buf_puts(&b, "{");
	for (int i = 0; i < n; i++) {
		buf_puts(&b, i ? ",\"" : "\"");
		for (const char *p = v[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_append(&b, "\\", 1);
			buf_append(&b, p, 1);
		}
		buf_puts(&b, "\"");
	}
	buf_puts(&b, "}");
	char *out = b.failed ? NULL : arena_strdup(a, b.data);
	buf_free(&b);
	return out;
}

/* The texts of one row of app.day_sheet_rows (columns: employee_id, name, email, phone,
 * channel, items), ready to queue. */
struct built {
	struct target t;
	char *subject, *body, *sms, hash[65];
	int segments;
	/* parameters of app.sheet_send: channels, recipients, subjects, sealed bodies */
	char *channels, *recipients, *subjects, *bodies;
};

static int build(arena_t *a, PGresult *res, int i, const char *date, const char *workspace, bool seal,
		 struct built *out)
{
	memset(out, 0, sizeof *out);
	json_t *items = json_loads(PQgetvalue(res, i, 5), 0, NULL);
	if (!json_is_array(items)) {
		json_decref(items);
		return -1;
	}
	sheet_t s = { PQgetvalue(res, i, 1), date, workspace, items };
	resolve(a, PQgetvalue(res, i, 4), PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
		PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3), &out->t);
	out->subject = sheet_email_subject(a, &s);
	out->body = sheet_email_body(a, &s);
	out->sms = sheet_sms(a, &s);
	json_decref(items);
	if (!out->subject || !out->body || !out->sms)
		return -1;
	out->segments = sheet_sms_segments(out->sms);
	/* the hash covers where it goes too: a new address or channel sends the sheet again */
	buf_t h = BUF_INIT(4u << 20);
	buf_puts(&h, out->body);
	for (int k = 0; k < out->t.n; k++)
		buf_printf(&h, "\n%s:%s", out->t.channel[k], out->t.to[k]);
	if (h.failed) {
		buf_free(&h);
		return -1;
	}
	sheet_hash(h.data, out->sms, out->hash);
	buf_free(&h);
	if (!seal || out->t.n == 0)
		return 0;
	const char *subjects[2], *bodies[2];
	for (int k = 0; k < out->t.n; k++) {
		bool mail = strcmp(out->t.channel[k], "email") == 0;
		subjects[k] = mail ? out->subject : "Day sheet";
		bodies[k] = mail_sealed(a, mail ? out->body : out->sms);
		if (!bodies[k])
			return -1;
	}
	out->channels = pg_array(a, out->t.channel, out->t.n);
	out->recipients = pg_array(a, out->t.to, out->t.n);
	out->subjects = pg_array(a, subjects, out->t.n);
	out->bodies = pg_array(a, bodies, out->t.n);
	return out->channels && out->recipients && out->subjects && out->bodies ? 0 : -1;
}

static json_t *channels_json(const struct target *t)
{
	json_t *a = json_array();
	for (int k = 0; k < t->n; k++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "channel", t->channel[k], "to", t->to[k]));
	return a;
}

/* The employee_ids of the body as a uuid[] literal, or NULL when not given. */
static const char *ids_param(req_t *r)
{
	json_t *ids = r->json ? json_object_get(r->json, "employee_ids") : NULL;
	if (!json_is_array(ids))
		return NULL;
	size_t n = json_array_size(ids);
	const char **v = arena_alloc(&r->arena, (n + 1) * sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = json_string_value(json_array_get(ids, i));
	return pg_array(&r->arena, v, (int)n);
}

static db_stmt_t sheets_q = DB_STMT(
	"select employee_id, name, email, phone, channel, items::text, "
	"(select t.name from app.tenants t where t.id = (select app.current_tenant())) "
	"from app.day_sheets($1::date, $2::uuid[])");

/* ---- POST /schedule/send ---- */

int api_schedule_send(req_t *r)
{
	static db_stmt_t send = DB_STMT("select app.sheet_send($1::date, $2::uuid, $3, $4::text[], $5::text[], "
					"$6::text[], $7::bytea[])");
	static db_stmt_t audit = DB_STMT("select app.audit('schedule.sent', 'schedule', $1, $2::jsonb)");
	const char *date = req_json_str(r, "date");
	const char *ids = ids_param(r);
	if (!ids && r->json && json_is_array(json_object_get(r->json, "employee_ids")))
		return reply_db_fault(r);   /* out of memory: never "everybody" instead of the ones asked for */
	const char *p[] = { date, ids };
	PGresult *res;
	if (db_run(r->db, &sheets_q, 2, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	json_t *queued = json_array(), *unchanged = json_array(), *unreachable = json_array();
	json_t *not_assigned = json_array();
	int rc = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *emp = PQgetvalue(res, i, 0), *name = PQgetvalue(res, i, 1);
		struct built b;
		if (build(&r->arena, res, i, date, PQgetisnull(res, i, 6) ? NULL : PQgetvalue(res, i, 6), true, &b) < 0) {
			rc = -1;
			break;
		}
		if (b.t.n == 0) {
			json_array_append_new(unreachable, json_pack("{s:s,s:s,s:s}", "employee_id", emp, "name", name,
								     "reason", b.t.reason));
			continue;
		}
		const char *sp[] = { date, emp, b.hash, b.channels, b.recipients, b.subjects, b.bodies };
		PGresult *s;
		if (db_run(r->db, &send, 7, sp, &s) < 0) {
			PQclear(res);
			json_decref(queued), json_decref(unchanged), json_decref(unreachable), json_decref(not_assigned);
			return reply_db_error(r, NULL, s, false);
		}
		bool sent = strcmp(PQgetvalue(s, 0, 0), "queued") == 0;
		PQclear(s);
		json_array_append_new(sent ? queued : unchanged,
				      json_pack("{s:s,s:s,s:o}", "employee_id", emp, "name", name, "channels",
						channels_json(&b.t)));
	}
	/* asked for, but with nothing that day (or not of this workspace: the same answer) */
	json_t *asked = r->json ? json_object_get(r->json, "employee_ids") : NULL;
	size_t k;
	json_t *v;
	json_array_foreach(asked, k, v) {
		bool found = false;
		for (int i = 0; i < PQntuples(res) && !found; i++)
			found = strcasecmp(PQgetvalue(res, i, 0), json_string_value(v)) == 0;
		if (!found)
			json_array_append(not_assigned, v);
	}
	PQclear(res);
	if (rc < 0) {
		json_decref(queued), json_decref(unchanged), json_decref(unreachable), json_decref(not_assigned);
		return reply_db_fault(r);
	}
	char *changes = arena_printf(&r->arena, "{\"date\":[null,\"%s\"],\"queued\":[null,%zu],\"unchanged\":[null,%zu],"
				     "\"unreachable\":[null,%zu]}", date, json_array_size(queued),
				     json_array_size(unchanged), json_array_size(unreachable));
	const char *ap[] = { date, changes };
	if (!changes || db_run(r->db, &audit, 2, ap, NULL) < 0) {
		json_decref(queued), json_decref(unchanged), json_decref(unreachable), json_decref(not_assigned);
		return reply_db_error(r, NULL, NULL, false);
	}
	req_json(r, 200, json_pack("{s:s,s:o,s:o,s:o,s:o}", "date", date, "queued", queued, "unchanged", unchanged,
				   "unreachable", unreachable, "not_assigned", not_assigned));
	return 0;
}

/* ---- GET /schedule/sheets?date= : the preview ---- */

int api_schedule_sheets(req_t *r)
{
	const char *date = req_query(r, "date");
	if (!date || !jsonv_is_date(date))
		return reply_field_problem(r, 400, "validation_failed", "date (YYYY-MM-DD) is required", "date",
					   date ? "invalid" : "required", "a date YYYY-MM-DD");
	const char *p[] = { date, NULL };
	PGresult *res;
	if (db_run(r->db, &sheets_q, 2, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	json_t *data = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		struct built b;
		if (build(&r->arena, res, i, date, PQgetisnull(res, i, 6) ? NULL : PQgetvalue(res, i, 6), false, &b) < 0) {
			PQclear(res);
			json_decref(data);
			return reply_db_fault(r);
		}
		json_array_append_new(data, json_pack("{s:s,s:s,s:s,s:o,s:s?,s:{s:s,s:s},s:{s:s,s:i}}",
			"employee_id", PQgetvalue(res, i, 0), "name", PQgetvalue(res, i, 1), "channel", PQgetvalue(res, i, 4),
			"recipients", channels_json(&b.t), "unreachable", b.t.reason,
			"email", "subject", b.subject, "body", b.body, "sms", "text", b.sms, "segments", b.segments));
	}
	PQclear(res);
	req_json(r, 200, json_pack("{s:s,s:o}", "date", date, "data", data));
	return 0;
}

/* ---- crew links ---- */

static bool employee_param(req_t *r)
{
	if (jsonv_is_uuid(req_param(r, 0)))
		return true;
	req_problem(r, 404, "not_found", "no such employee in this workspace");
	return false;
}

int api_crew_link_create(req_t *r)
{
	static db_stmt_t q = DB_STMT("select token, link::text from app.crew_link_create($1::uuid)");
	if (!employee_param(r))
		return 0;
	const char *p[] = { req_param(r, 0) };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	if (PQntuples(res) != 1) {
		PQclear(res);
		req_problem(r, 404, "not_found", "no such employee in this workspace");
		return 0;
	}
	json_t *link = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	char *url = mail_link(&r->arena, "crew", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!link || !url) {
		json_decref(link);
		return reply_db_fault(r);
	}
	json_object_set_new(link, "url", json_string(url));
	req_json(r, 201, link);
	return 0;
}

int api_crew_link_get(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.crew_link_get($1::uuid)::text");
	if (!employee_param(r))
		return 0;
	const char *p[] = { req_param(r, 0) };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	return reply_cell(r, res, 0, 200, "no such employee in this workspace");
}

int api_crew_link_revoke(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.crew_link_revoke($1::uuid)");
	if (!employee_param(r))
		return 0;
	const char *p[] = { req_param(r, 0) };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	bool found = !PQgetisnull(res, 0, 0);
	PQclear(res);
	if (!found) {
		req_problem(r, 404, "not_found", "no such employee in this workspace");
		return 0;
	}
	req_no_content(r);
	return 0;
}

/* ---- POST /crew/schedule: the crew page, with a link instead of a session ---- */

int api_crew_schedule(req_t *r)
{
	static db_stmt_t begin = DB_STMT("select tenant_id from app.crew_begin($1)");
	static db_stmt_t q = DB_STMT("select app.crew_schedule()::text");
	const char *p[] = { req_json_str(r, "token") };
	PGresult *res;
	if (db_run(r->db, &begin, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	bool live = PQntuples(res) == 1;
	PQclear(res);
	if (!live) {
		req_problem(r, 401, "token_invalid", "this crew link is not valid any more; ask your office for a new one");
		return 0;
	}
	if (db_run(r->db, &q, 0, NULL, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	return reply_cell(r, res, 0, 200, "this crew link is not valid any more");
}

/* ---- change notices ---- */

/* Queues the notices of rows [i, j) of app.sheet_notices_take[_job] (columns: tenant_id,
 * pour_id, kind, employee_id, name, email, phone, channel, project, old_date, old_time,
 * new_date, new_time), which share a workspace, a pour and a kind: one call of
 * app.sheet_notice_send (session) or app.sheet_notice_send_job (job) for them. */
static int notices_group(db_t *db, arena_t *a, PGresult *res, int i, int j, bool job, int *queued)
{
	static db_stmt_t send = DB_STMT("select app.sheet_notice_send($1::uuid, $2, $3::text[], $4::text[], $5::text[], "
					"$6::bytea[])");
	static db_stmt_t send_job = DB_STMT("select app.sheet_notice_send_job($1::uuid, $2::uuid, $3, $4::text[], "
					    "$5::text[], $6::text[], $7::bytea[])");
	const char *kind = PQgetvalue(res, i, 2), *project = PQgetvalue(res, i, 8);
	char *subject = arena_printf(a, "Schedule change: %s", *project ? project : "your pour");
	int n = 0, cap = 2 * (j - i);
	const char **ch = arena_alloc(a, (size_t)cap * sizeof *ch), **to = arena_alloc(a, (size_t)cap * sizeof *to);
	const char **subj = arena_alloc(a, (size_t)cap * sizeof *subj), **body = arena_alloc(a, (size_t)cap * sizeof *body);
	if (!subject || !ch || !to || !subj || !body)
		return -1;
	for (int k = i; k < j; k++) {
		const char *text = sheet_change_notice(a, project, PQgetvalue(res, k, 9), kind,
						       PQgetisnull(res, k, 11) ? NULL : PQgetvalue(res, k, 11),
						       PQgetisnull(res, k, 12) ? NULL : PQgetvalue(res, k, 12));
		if (!text)
			return -1;
		struct target t;
		resolve(a, PQgetvalue(res, k, 7), PQgetisnull(res, k, 5) ? NULL : PQgetvalue(res, k, 5),
			PQgetisnull(res, k, 6) ? NULL : PQgetvalue(res, k, 6), &t);
		for (int c = 0; c < t.n; c++) {
			bool mail = strcmp(t.channel[c], "email") == 0;
			const char *m = mail ? arena_printf(a, "Hello %s,\n\n%s\n", PQgetvalue(res, k, 4), text) : text;
			ch[n] = t.channel[c], to[n] = t.to[c], subj[n] = mail ? subject : "Schedule change";
			body[n] = m ? mail_sealed(a, m) : NULL;
			if (!body[n++])
				return -1;
		}
	}
	if (n == 0)
		return 0;
	const char *arrays[] = { pg_array(a, ch, n), pg_array(a, to, n), pg_array(a, subj, n), pg_array(a, body, n) };
	if (!arrays[0] || !arrays[1] || !arrays[2] || !arrays[3])
		return -1;
	const char *sp[] = { PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), kind, arrays[0], arrays[1], arrays[2], arrays[3] };
	int rc = job ? db_run(db, &send_job, 7, sp, NULL) : db_run(db, &send, 6, sp + 1, NULL);
	if (rc < 0)
		return -1;
	*queued += n;
	return 0;
}

/* Every group of rows of res (ordered by workspace, pour and kind). */
static int notices_queue(db_t *db, arena_t *a, PGresult *res, bool job, int *queued)
{
	for (int i = 0, j; i < PQntuples(res); i = j) {
		for (j = i + 1; j < PQntuples(res); j++)
			if (strcmp(PQgetvalue(res, j, 0), PQgetvalue(res, i, 0)) != 0 ||
			    strcmp(PQgetvalue(res, j, 1), PQgetvalue(res, i, 1)) != 0 ||
			    strcmp(PQgetvalue(res, j, 2), PQgetvalue(res, i, 2)) != 0)
				break;
		if (notices_group(db, a, res, i, j, job, queued) < 0)
			return -1;
	}
	return 0;
}

#define NOTICE_COLUMNS "tenant_id, pour_id, kind, employee_id, name, email, phone, channel, project, " \
		       "old_date::text, old_time, new_date::text, new_time"

int sendout_notices(req_t *r)
{
	static db_stmt_t take = DB_STMT("select " NOTICE_COLUMNS " from app.sheet_notices_take()");
	PGresult *res;
	if (db_run(r->db, &take, 0, NULL, &res) < 0) {
		if (res)
			PQclear(res);
		return -1;
	}
	int queued = 0, rc = notices_queue(r->db, &r->arena, res, false, &queued);
	PQclear(res);
	return rc;
}

int sendout_notices_job(db_t *db, int *queued)
{
	static db_stmt_t take = DB_STMT("select " NOTICE_COLUMNS " from app.sheet_notices_take_job()");
	*queued = 0;
	arena_t arena = { 0 };
	int rc = 0;
	/* one workspace a round; bounded, what is left waits for the next run */
	for (int round = 0; round < 100 && rc == 0; round++) {
		PGresult *res;
		if (db_run(db, &take, 0, NULL, &res) < 0) {
			if (res)
				PQclear(res);
			rc = -1;
			break;
		}
		bool none = PQntuples(res) == 0;
		rc = notices_queue(db, &arena, res, true, queued);
		PQclear(res);
		if (none)
			break;
	}
	arena_release(&arena);
	return rc;
}

/* ---- the automatic send-out ---- */

int sendout_run_due(db_t *db, int *queued)
{
	static db_stmt_t due = DB_STMT("select tenant_id, date::text, name from app.sheets_due()");
	static db_stmt_t claim = DB_STMT("select employee_id, name, email, phone, channel, items::text "
					 "from app.sheets_claim($1::uuid, $2::date)");
	static db_stmt_t send = DB_STMT("select app.sheet_send_job($1::uuid, $2::date, $3::uuid, $4, $5::text[], "
					"$6::text[], $7::text[], $8::bytea[])");
	*queued = 0;
	PGresult *d;
	if (db_run(db, &due, 0, NULL, &d) < 0) {
		if (d)
			PQclear(d);
		return -1;
	}
	arena_t arena = { 0 };
	int rc = 0;
	for (int j = 0; j < PQntuples(d) && rc == 0; j++) {
		const char *tenant = PQgetvalue(d, j, 0), *date = PQgetvalue(d, j, 1);
		const char *cp[] = { tenant, date };
		PGresult *res;
		if (db_run(db, &claim, 2, cp, &res) < 0) {
			if (res)
				PQclear(res);
			rc = -1;
			break;
		}
		for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
			struct built b;
			if (build(&arena, res, i, date, PQgetvalue(d, j, 2), true, &b) < 0) {
				rc = -1;
				break;
			}
			if (b.t.n == 0)
				continue;
			const char *sp[] = { tenant, date, PQgetvalue(res, i, 0), b.hash, b.channels, b.recipients,
					     b.subjects, b.bodies };
			PGresult *s;
			if (db_run(db, &send, 8, sp, &s) < 0) {
				if (s)
					PQclear(s);
				rc = -1;
				break;
			}
			if (strcmp(PQgetvalue(s, 0, 0), "queued") == 0)
				(*queued)++;
			PQclear(s);
		}
		PQclear(res);
	}
	PQclear(d);
	arena_release(&arena);
	return rc;
}
