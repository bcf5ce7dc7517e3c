#include "me.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../app.h"
#include "../crypto.h"
#include "../mail.h"
#include "../db.h"
#include "../jsonv.h"
#include "mfa.h"
#include "session.h"
#include "reauth.h"
#include "reply.h"

int api_me_get(req_t *r)
{
	json_t *p = session_profile(r);
	if (!p)
		return r->responded ? 0 : reply_db_fault(r);
	req_json(r, 200, p);
	return 0;
}

int api_me_patch(req_t *r)
{
	static db_stmt_t q = DB_STMT("update app.users set name = coalesce($1, name), updated_at = now() "
				     "where id = app.current_user_id()");
	const char *p[] = { json_string_value(json_object_get(r->json, "name")) };
	if (db_run(r->db, &q, 1, p, NULL) < 0)
		return reply_db_fault(r);
	json_t *prof = session_profile(r);
	if (!prof)
		return reply_db_fault(r);
	json_t *user = json_incref(json_object_get(prof, "user"));
	json_decref(prof);
	req_json(r, 200, user);
	return 0;
}

static int query_error(req_t *r, const char *top, const char *field, const char *message)
{
	reply_field_problem(r, 400, top, message, field, "invalid", message);
	return 0;
}

/* A list (API.md "Conventions"): ?limit= 1..200 (default 50) and an opaque ?cursor=, which is
 * base64url of "<created_at in microseconds>|<id>" of the last row of the previous page. */
int api_me_sessions(req_t *r)
{
	static db_stmt_t q = DB_STMT(
		"select id, app.ts(created_at), app.ts(last_used_at), ip, user_agent, id = app.current_session_id(), "
		"(extract(epoch from created_at) * 1000000)::bigint "
		"from app.sessions where user_id = app.current_user_id() and tenant_id = app.current_tenant() "
		"and revoked_at is null and expires_at > now() and (impersonation_id is not null or "
		"last_used_at > now() - interval '7 days') "
		"and ($2::bigint is null or ((extract(epoch from created_at) * 1000000)::bigint, id) < ($2::bigint, $3::uuid)) "
		"order by created_at desc, id desc limit $1::int + 1");
	long limit = 50;
	const char *lv = req_query(r, "limit"), *cv = req_query(r, "cursor");
	if (lv) {
		char *end;
		limit = strtol(lv, &end, 10);
		if (!*lv || *end || limit < 1 || limit > 200)
			return query_error(r, "validation_failed", "limit", "limit must be a whole number from 1 to 200");
	}
	char *after_ts = NULL, *after_id = NULL;
	if (cv) {
		size_t n = strlen(cv), len = 0;
		unsigned char *raw = n <= 200 ? arena_alloc(&r->arena, n + 1) : NULL;
		char *bar = NULL;
		if (raw && crypto_b64url_decode(cv, n, raw, &len) == 0) {
			raw[len] = '\0';
			bar = strchr((char *)raw, '|');
		}
		if (!bar || bar == (char *)raw || strspn((char *)raw, "0123456789") != (size_t)(bar - (char *)raw) ||
		    bar - (char *)raw > 18 || !jsonv_is_uuid(bar + 1))
			return query_error(r, "invalid_cursor", "cursor", "the cursor is not one this server gave");
		*bar = '\0';
		after_ts = (char *)raw;
		after_id = bar + 1;
	}
	char lim[16];
	snprintf(lim, sizeof lim, "%ld", limit);
	const char *p[] = { lim, after_ts, after_id };
	PGresult *res;
	if (db_run(r->db, &q, 3, p, &res) < 0) {
		if (res)
			PQclear(res);
		return reply_db_fault(r);
	}
	int rows = PQntuples(res);
	json_t *data = json_array();
	for (int i = 0; i < rows && i < limit; i++)
		json_array_append_new(data, json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:b}", "id", PQgetvalue(res, i, 0),
						      "created_at", PQgetvalue(res, i, 1), "last_used_at",
						      PQgetvalue(res, i, 2),
						      "ip", PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
						      "user_agent", PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4),
						      "current", PQgetvalue(res, i, 5)[0] == 't'));
	json_t *next = json_null();
	if (rows > limit) {
		char key[128], enc[200];
		snprintf(key, sizeof key, "%s|%s", PQgetvalue(res, (int)limit - 1, 6), PQgetvalue(res, (int)limit - 1, 0));
		crypto_b64url_encode(key, strlen(key), enc);
		json_decref(next);
		next = json_string(enc);
	}
	PQclear(res);
	req_json(r, 200, json_pack("{s:o,s:o}", "data", data, "next_cursor", next));
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
		return reply_db_fault(r);
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

/* DELETE /me: the password (checked on the work pool), then the account; with
 * erase_history, also the person's traces in every workspace's audit history. */
static int delete_finish(req_t *r)
{
	static db_stmt_t keep = DB_STMT("select app.me_delete()");
	static db_stmt_t erase = DB_STMT("select app.me_delete_erase()");
	struct reauth *c = r->cont_data;
	json_t *eh = json_object_get(r->json, "erase_history");
	if (!c->verified) {
		if (reauth_failed(r) || r->status >= 500)
			return 0;
		req_problem(r, 401, "invalid_credentials", "the workspace, email or password is not right");
		return 0;
	}
	if (mfa_require_code(r, req_json_str(r, "code")) < 0)
		return 0;
	PGresult *res;
	if (db_run(r->db, json_is_true(eh) ? &erase : &keep, 0, NULL, &res) < 0) {
		if (res)
			PQclear(res);
		return reply_db_fault(r);
	}
	bool sole = strcmp(PQgetvalue(res, 0, 0), "sole_owner") == 0;
	PQclear(res);
	if (sole) {
		req_problem(r, 409, "sole_owner",
			    "you are the only owner of a workspace: make someone else owner or delete the workspace first");
		return 0;
	}
	req_header(r, "Set-Cookie", session_clear_cookie);
	req_no_content(r);
	return 0;
}

int api_me_delete(req_t *r)
{
	static db_stmt_t q = DB_STMT("select password_hash from app.me_password_material()");
	if (reauth_limited(r))
		return 0;
	PGresult *res;
	if (db_run(r->db, &q, 0, NULL, &res) < 0 || PQntuples(res) != 1) {
		if (res)
			PQclear(res);
		return reply_db_fault(r);
	}
	struct reauth *c = arena_alloc(&r->arena, sizeof *c);
	const char *password = req_json_str(r, "password");
	if (c) {
		c->password = password ? arena_strdup(&r->arena, password) : NULL;
		c->hash = arena_strdup(&r->arena, PQgetvalue(res, 0, 0));
		c->verified = false;
	}
	PQclear(res);
	if (!c || (password && !c->password) || !c->hash)
		return reply_db_fault(r);
	r->cont_data = c;
	r->job = reauth_job;
	r->cont = delete_finish;
	return REQ_SUSPENDED;
}

int api_me_export(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.me_export()");
	PGresult *res;
	if (db_run(r->db, &q, 0, NULL, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	json_t *j = PQgetisnull(res, 0, 0) ? NULL : json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	if (!j)
		return reply_db_fault(r);
	req_header(r, "Content-Disposition", "attachment; filename=\"planyard-my-data.json\"");
	req_json(r, 200, j);
	return 0;
}

/* ---- changing the login address ---- */

struct email_job {
	struct reauth check; /* first: reauth_job reads it */
	char *email;
};

static int email_finish(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.me_email_change($1, $2, $3, $4, $5)");
	struct email_job *j = r->cont_data;
	if (!j->check.verified) {
		if (reauth_failed(r) || r->status >= 500)
			return 0;
		reply_field_problem(r, 401, "invalid_credentials", "the password is not right",
				    "password", "invalid_credentials", "the password is not right");
		return 0;
	}
	char *body = arena_printf(&r->arena,
		"Hello,\n\nto make %s the sign-in address of your Planyard account, open this link:\n\n%s\n\n"
		"The link works once, for 24 hours. If you did not ask for this, ignore this mail: "
		"nothing changes.\n", j->email, mail_link(&r->arena, "confirm-email", MAIL_TOKEN));
	char *taken = arena_printf(&r->arena,
		"Hello,\n\nsomeone signed in to Planyard asked to use %s as their sign-in address, but this "
		"address already has an account, so nothing changed. If this was not you, no action is "
		"needed.\n", j->email);
	const char *p[] = { j->email, "Confirm your new Planyard sign-in address", mail_sealed(&r->arena, body),
			    "Your address is already on Planyard", mail_sealed(&r->arena, taken) };
	PGresult *res;
	if (db_run(r->db, &q, 5, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	bool same = strcmp(PQgetvalue(res, 0, 0), "same") == 0;
	PQclear(res);
	if (same) {
		reply_field_error(r, "email", "unchanged", "that is already your sign-in address");
		return 0;
	}
	req_json(r, 202, json_pack("{s:s}", "status", "confirmation_sent"));
	return 0;
}

int api_me_email(req_t *r)
{
	static db_stmt_t q = DB_STMT("select password_hash from app.me_password_material()");
	if (reauth_limited(r))
		return 0;
	PGresult *res;
	if (db_run(r->db, &q, 0, NULL, &res) < 0 || PQntuples(res) != 1) {
		if (res)
			PQclear(res);
		return reply_db_fault(r);
	}
	struct email_job *j = arena_alloc(&r->arena, sizeof *j);
	if (j) {
		j->check.password = arena_strdup(&r->arena, req_json_str(r, "password"));
		j->check.hash = arena_strdup(&r->arena, PQgetvalue(res, 0, 0));
		j->check.verified = false;
		j->email = arena_strdup(&r->arena, req_json_str(r, "email"));
	}
	PQclear(res);
	if (!j || !j->check.password || !j->check.hash || !j->email)
		return reply_db_fault(r);
	r->cont_data = j;
	r->job = reauth_job;
	r->cont = email_finish;
	return REQ_SUSPENDED;
}

int api_email_confirm(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.auth_email_confirm($1, $2, $3, $4)");
	static const char notice[] =
		"Hello,\n\nthe sign-in address of your Planyard account was just changed from this address to "
		"another one, confirmed from that address. If this was not you, tell your workspace's admin "
		"at once: they can remove the account from the workspace.\n";
	const char *p[] = { req_json_str(r, "token"), "Your Planyard sign-in address was changed",
			    mail_sealed(&r->arena, notice), r->ip };
	PGresult *res;
	if (db_run(r->db, &q, 4, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	char status[16];
	snprintf(status, sizeof status, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (strcmp(status, "invalid") == 0) {
		req_problem(r, 400, "token_invalid", "the link is unknown, used or expired");
		return 0;
	}
	if (strcmp(status, "taken") == 0) {
		r->commit_on_error = true; /* the link is used up */
		req_problem(r, 409, "email_taken", "that address has an account of its own by now");
		return 0;
	}
	req_json(r, 200, json_pack("{s:s}", "status", "email_changed"));
	return 0;
}
