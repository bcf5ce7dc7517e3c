#include "invitations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../db.h"
#include "../jsonv.h"
#include "../app.h"
#include "../crypto.h"
#include "../mail.h"
#include "../auth/jwt.h"
#include "../auth/password.h"
#include "notices.h"
#include "session.h"
#include "reply.h"

int api_invitation_create(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.invitation_create($1::jsonb, $2, $3, $4)");
	static db_stmt_t ws = DB_STMT("select name from app.tenants where id = app.current_tenant()");
	PGresult *res;
	if (db_run(r->db, &ws, 0, NULL, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	char *wsname = arena_strdup(&r->arena, PQntuples(res) ? PQgetvalue(res, 0, 0) : "a workspace");
	PQclear(res);
	char token[44];
	crypto_token(token);
	char *body = arena_printf(&r->arena,
		"Hello,\n\n%s invited you to \"%s\" on Planyard as %s. Accept here:\n\n%s\n\n"
		"The link works once, for 7 days.\n", r->auth.email, wsname,
		json_string_value(json_object_get(r->json, "role")), mail_link(&r->arena, "invite", token));
	const char *p[] = { req_body_text(r), db_token_hash(&r->arena, token), "You are invited to a Planyard workspace",
			    mail_sealed(&r->arena, body) };
	if (db_run(r->db, &q, 4, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	if (strstr(PQgetvalue(res, 0, 0), "\"owner_only\"")) {
		PQclear(res);
		req_problem(r, 403, "forbidden", "only an owner invites owners");
		return 0;
	}
	return reply_cell(r, res, 0, 201, "no invitation");
}

int api_invitation_delete(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.invitation_revoke($1::uuid)");
	if (!jsonv_is_uuid(req_param(r, 0))) {
		req_problem(r, 404, "not_found", "no such invitation");
		return 0;
	}
	const char *p[] = { req_param(r, 0) };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	bool found = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!found) {
		req_problem(r, 404, "not_found", "no such pending invitation");
		return 0;
	}
	req_no_content(r);
	return 0;
}

/* ---- accepting ---- */

struct accept {
	char *token, *name, *password, *user, *session_key, *email, *role;
	char hash[128], history[160];
	bool failed;
};

static int accept_finish(req_t *r)
{
	static db_stmt_t q = DB_STMT("select status, tenant_id, user_id from app.invitation_accept($1, $2, $3, $4, $5, $6)");
	struct accept *a = r->cont_data;
	if (a->failed) {
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	const char *p[] = { a->token, a->user, a->name, a->user ? NULL : a->hash,
			    a->user ? NULL : a->history, r->ip };
	PGresult *res;
	if (db_run(r->db, &q, 6, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	const char *status = PQgetvalue(res, 0, 0);
	if (strcmp(status, "ok") != 0) {
		bool invalid = strcmp(status, "invalid") == 0, exists = strcmp(status, "account_exists") == 0;
		PQclear(res);
		if (invalid)
			req_problem(r, 400, "token_invalid", "the invitation is unknown, used, revoked or expired");
		else if (exists)
			req_problem(r, 409, "account_exists",
				    "this address already has an account: sign in, then accept the invitation");
		else
			req_problem(r, 409, "already_member", "you are already a member of this workspace");
		return 0;
	}
	char *tenant = arena_strdup(&r->arena, PQgetvalue(res, 0, 1));
	char *user = arena_strdup(&r->arena, PQgetvalue(res, 0, 2));
	PQclear(res);
	if (notice_invited_role(r, a->token, a->email, a->role) < 0)
		return reply_db_error(r, NULL, NULL, false);
	if (a->user) {
		session_issue(r, tenant, user, "session", a->session_key, NULL);
	} else {
		char proof[45];
		password_proof(a->password, proof);
		session_issue(r, tenant, user, "password", proof, NULL);
		OPENSSL_cleanse(proof, sizeof proof);
	}
	if (r->status == 200)
		r->status = 201;
	return 0;
}

static void accept_job(req_t *r)
{
	struct accept *a = r->cont_data;
	a->failed = password_hash(a->password, a->hash, sizeof a->hash) < 0 ||
		    password_history_entry(a->password, a->history, sizeof a->history) < 0;
}

/* The signed-in user of the Authorization header, if any and alive; its id and email. */
static int bearer_user(req_t *r, char **user, char **email, char **key)
{
	static db_stmt_t q = DB_STMT("select user_id, email, impersonation_id is not null from app.request_begin($1)");
	const char *h = req_header_in(r, "Authorization");
	*user = *email = *key = NULL;
	if (!h)
		return 0;
	json_t *c = strncmp(h, "Bearer ", 7) == 0 ? jwt_verify(app_settings->jwt_secret, h + 7, time(NULL)) : NULL;
	if (!c) {
		req_problem(r, 401, "token_invalid", "the access token is invalid or expired");
		return -1;
	}
	const char *p[] = { json_string_value(json_object_get(c, "sk")) };
	char *sk = p[0] ? arena_strdup(&r->arena, p[0]) : NULL;   /* the proof of the new session */
	PGresult *res;
	int rc = db_run(r->db, &q, 1, p, &res);
	json_decref(c);
	if (rc < 0)
		return reply_db_error(r, NULL, res, false), -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		req_problem(r, 401, "session_revoked", "this session has ended; sign in again");
		return -1;
	}
	if (PQgetvalue(res, 0, 2)[0] == 't') {
		/* a staff session may not turn itself into the user's own session elsewhere */
		PQclear(res);
		req_problem(r, 403, "not_allowed_while_impersonating", "staff access may not do this");
		return -1;
	}
	*user = arena_strdup(&r->arena, PQgetvalue(res, 0, 0));
	*email = arena_strdup(&r->arena, PQgetvalue(res, 0, 1));
	*key = sk;
	PQclear(res);
	/* the session's secret must not stay in this transaction: the accepting user acts
	 * through SECURITY DEFINER functions, not as that session */
	static db_stmt_t clear = DB_STMT("select set_config('app.session_key', '', true)");
	if (db_run(r->db, &clear, 0, NULL, NULL) < 0)
		return reply_db_error(r, NULL, NULL, false), -1;
	return 0;
}

int api_invitation_accept(req_t *r)
{
	static db_stmt_t rate = DB_STMT("select app.invite_attempt($1)");
	static db_stmt_t lookup = DB_STMT("select email, user_id, role from app.invitation_lookup($1)");
	const char *rp[] = { r->ip };
	PGresult *res;
	if (db_run(r->db, &rate, 1, rp, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	if (strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
		const char *wait = arena_strdup(&r->arena, PQgetvalue(res, 0, 0));
		PQclear(res);
		r->commit_on_error = true;
		return reply_too_many(r, wait);
	}
	PQclear(res);
	r->commit_on_error = true; /* every attempt counts towards the limit */
	struct accept *a = arena_alloc(&r->arena, sizeof *a);
	if (!a)
		return reply_db_error(r, NULL, NULL, false);
	a->token = arena_strdup(&r->arena, json_string_value(json_object_get(r->json, "token")));
	char *email;
	if (bearer_user(r, &a->user, &email, &a->session_key) < 0)
		return 0;
	const char *lp[] = { a->token };
	if (db_run(r->db, &lookup, 1, lp, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	if (PQntuples(res) != 1) {
		PQclear(res);
		req_problem(r, 400, "token_invalid", "the invitation is unknown, used, revoked or expired");
		return 0;
	}
	bool same = email && strcasecmp(email, PQgetvalue(res, 0, 0)) == 0;
	bool has_account = !PQgetisnull(res, 0, 1);
	a->email = arena_strdup(&r->arena, PQgetvalue(res, 0, 0));
	a->role = arena_strdup(&r->arena, PQgetvalue(res, 0, 2));
	PQclear(res);
	if (!a->email || !a->role)
		return reply_db_error(r, NULL, NULL, false);
	if (a->user && !same) {
		req_problem(r, 403, "wrong_account", "this invitation is for another email address");
		return 0;
	}
	/* the address already has an account: it signs in and accepts with its Bearer (asking it
	 * for a name and a password for a new account would lead nowhere) */
	if (!a->user && has_account) {
		req_problem(r, 409, "account_exists",
			    "this address already has an account: sign in, then accept the invitation");
		return 0;
	}
	if (a->user) {
		r->commit_on_error = false;
		r->cont_data = a;
		return accept_finish(r);
	}
	const char *name = json_string_value(json_object_get(r->json, "name"));
	const char *password = json_string_value(json_object_get(r->json, "password"));
	if (!name || !password) {
		json_t *errs = NULL;
		if (!name)
			jsonv_add_error(&errs, "name", "required", "name is required for a new account");
		if (!password)
			jsonv_add_error(&errs, "password", "required", "password is required for a new account");
		req_problem_errors(r, 400, "validation_failed", "a new account needs a name and a password", errs);
		return 0;
	}
	const char *ctx[] = { name, NULL };
	const char *why = password_policy(password, ctx);
	if (why) {
		reply_field_error(r, "password", why, "the password can't be used");
		return 0;
	}
	r->commit_on_error = false;
	a->name = arena_strdup(&r->arena, name);
	a->password = arena_strdup(&r->arena, password);
	r->cont_data = a;
	r->job = accept_job;
	r->cont = accept_finish;
	return REQ_SUSPENDED;
}
