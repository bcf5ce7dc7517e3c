/* Authentication (API.md "Authentication"): signup, confirm, sign-in, refresh, sign-out,
 * password reset and change. Password hashing runs on the work pool: a handler gathers
 * what it needs in one transaction, suspends, and finishes in a second one. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../app.h"
#include "../crypto.h"
#include "../db.h"
#include "../mail.h"
#include "../auth/password.h"
#include "session.h"
#include "mfa.h"
#include "reauth.h"
#include "notices.h"
#include "reply.h"
#include "../gate.h"

static char *keep(req_t *r, const char *s)
{
	return s ? arena_strdup(&r->arena, s) : NULL;
}

/* 400 with the password code on the password field. */
static int password_problem(req_t *r, const char *fieldname, const char *code)
{
	static const char *const msg[][2] = {
		{ "password_too_short", "the password needs at least 12 characters" },
		{ "password_too_long", "the password may have at most 256 characters" },
		{ "password_weak", "the password is too common or too easy to guess" },
		{ "password_reused", "the password was one of your last 5" },
	};
	const char *m = "the password can't be used";
	for (size_t i = 0; i < ARRAY_LEN(msg); i++)
		if (strcmp(msg[i][0], code) == 0)
			m = msg[i][1];
	reply_field_error(r, fieldname, code, m);
	return 0;
}

/* ---- signup ---- */

static const char *const reserved_slugs[] = {
	"api", "app", "www", "admin", "administrator", "auth", "login", "logout", "signup", "signin",
	"register", "support", "help", "status", "billing", "static", "assets", "mail", "email",
	"planyard", "root", "system", "internal", "docs", "blog", "security", "settings", "new",
	"null", "undefined", "healthz", "readyz", "staff", "platform", "account", "accounts", "invite",
	"confirm", "reset", "impersonate", "dashboard", "test",
};

bool api_slug_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 40 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	for (size_t i = 0; i < ARRAY_LEN(reserved_slugs); i++)
		if (strcmp(s, reserved_slugs[i]) == 0)
			return false;
	return true;
}

struct pw_job {
	struct reauth check; /* first: reauth_job reads it */
	char *new_password;
	char *history[5];
	int nhistory;
	bool reused;
	char hash[128];
	char history_entry[160];
	bool failed;
	/* sign-in */
	char *tenant, *user, *email;
	bool confirmed, member, mfa;
	/* signup */
	char *slug, *ws_name, *name, *kind;
	char *token;
};

static void hash_job(req_t *r)
{
	struct pw_job *j = r->cont_data;
	const char *pw = j->new_password ? j->new_password : j->check.password;
	if (j->check.hash)
		j->check.verified = password_verify(j->check.password, j->check.hash);
	if (j->check.hash && !j->check.verified)
		return;
	for (int i = 0; i < j->nhistory; i++)
		if (password_history_match(pw, j->history[i]))
			j->reused = true;
	if (j->reused)
		return;
	j->failed = password_hash(pw, j->hash, sizeof j->hash) < 0 ||
		    password_history_entry(pw, j->history_entry, sizeof j->history_entry) < 0;
}

static int signup_finish(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.auth_signup($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
	struct pw_job *j = r->cont_data;
	if (j->failed) {
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	/* the token is the database's, put into the link by the mail sender */
	char *body_new = arena_printf(&r->arena,
		"Hello %s,\n\nwelcome to Planyard. Confirm your email address to activate the workspace "
		"\"%s\":\n\n%s\n\nThe link works once, for 24 hours. If you did not sign up, ignore this mail.\n",
		j->name, j->ws_name, mail_link(&r->arena, "confirm", MAIL_TOKEN));
	char *body_existing = arena_printf(&r->arena,
		"Hello,\n\nsomeone (perhaps you) tried to sign up for Planyard with this address, which "
		"already has an account. Sign in instead, or reset your password if you forgot it:\n\n"
		"%s/forgot\n\nIf this was not you, no action is needed.\n", app_public_url());
	/* what the workspace plans: app.auth_signup's insert reads it (app.tenants_signup_kind) */
	static db_stmt_t kind = DB_STMT("select set_config('planyard.signup_kind', $1, true)");
	const char *kp[] = { j->kind };
	PGresult *kres;
	if (db_run(r->db, &kind, 1, kp, &kres) < 0) {
		if (kres)
			PQclear(kres);
		return reply_db_fault(r);
	}
	PQclear(kres);
	const char *p[] = { j->slug, j->ws_name, j->name, j->email, j->hash, j->history_entry,
			    "Confirm your Planyard account", mail_sealed(&r->arena, body_new),
			    "You already have a Planyard account", mail_sealed(&r->arena, body_existing), r->ip };
	PGresult *res;
	if (db_run(r->db, &q, 11, p, &res) < 0) {
		if (res)
			PQclear(res);
		return reply_db_fault(r);
	}
	bool taken = strcmp(PQgetvalue(res, 0, 0), "slug_taken") == 0;
	PQclear(res);
	if (taken) {
		r->commit_on_error = true; /* the attempt counts towards the limit */
		reply_field_problem(r, 409, "slug_taken", "that workspace address is taken",
					"workspace_slug", "slug_taken", "that workspace address is taken");
		return 0;
	}
	req_json(r, 202, json_pack("{s:s}", "status", "confirmation_sent"));
	return 0;
}

int api_signup(req_t *r)
{
	const char *slug = req_json_str(r, "workspace_slug");
	if (!api_slug_ok(slug)) {
		reply_field_error(r, "workspace_slug", "invalid",
				"3 to 40 of a-z, 0-9 and -, not starting or ending with -, and not a reserved word");
		return 0;
	}
	const char *ctx[] = { req_json_str(r, "email"), req_json_str(r, "name"), slug, NULL };
	const char *why = password_policy(req_json_str(r, "password"), ctx);
	if (why)
		return password_problem(r, "password", why);
	const char *wait = gate_rate_wait(r, arena_printf(&r->arena, "signup:ip:%s", r->ip), "10", "1 hour");
	if (wait)
		return reply_too_many(r, wait);
	struct pw_job *j = arena_alloc(&r->arena, sizeof *j);
	if (!j)
		return reply_db_fault(r);
	j->check.password = keep(r, req_json_str(r, "password"));
	j->slug = keep(r, slug);
	j->ws_name = keep(r, req_json_str(r, "workspace_name"));
	j->name = keep(r, req_json_str(r, "name"));
	j->email = keep(r, req_json_str(r, "email"));
	j->kind = keep(r, req_json_str(r, "kind") ? req_json_str(r, "kind") : "field");
	r->cont_data = j;
	r->job = hash_job;
	r->cont = signup_finish;
	return REQ_SUSPENDED;
}

int api_confirm(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.auth_confirm($1)");
	const char *p[] = { req_json_str(r, "token") };   /* raw: hashed by the database */
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0) {
		if (res)
			PQclear(res);
		return reply_db_fault(r);
	}
	bool ok = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!ok) {
		req_problem(r, 400, "token_invalid", "the link is unknown, used or expired");
		return 0;
	}
	req_json(r, 200, json_pack("{s:s}", "status", "confirmed"));
	return 0;
}

/* Runs q, a mailing flow answering the seconds to wait (0: done): 202 {"status":"accepted"},
 * the same whether or not the address has an account, or 429 with Retry-After. */
static int accepted_unless_limited(req_t *r, db_stmt_t *q, int n, const char *const *p)
{
	PGresult *res;
	if (db_run(r->db, q, n, p, &res) < 0) {
		if (res)
			PQclear(res);
		return reply_db_fault(r);
	}
	const char *wait = strcmp(PQgetvalue(res, 0, 0), "0") ? arena_strdup(&r->arena, PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
	if (wait)
		return reply_too_many(r, wait);
	req_json(r, 202, json_pack("{s:s}", "status", "accepted"));
	return 0;
}

int api_confirm_resend(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.auth_resend($1, $2, $3)");
	char *body = arena_printf(&r->arena,
		"Hello,\n\nconfirm your email address for Planyard:\n\n%s\n\n"
		"The link works once, for 24 hours.\n", mail_link(&r->arena, "confirm", MAIL_TOKEN));
	const char *p[] = { req_json_str(r, "email"), "Confirm your Planyard account", mail_sealed(&r->arena, body) };
	return accepted_unless_limited(r, &q, 3, p);
}

/* ---- sign-in ---- */

static void login_job(req_t *r)
{
	struct pw_job *j = r->cont_data;
	if (j->check.hash)
		j->check.verified = password_verify(j->check.password, j->check.hash);
	else
		password_dummy_verify(j->check.password);
}

static int invalid_credentials(req_t *r)
{
	req_problem(r, 401, "invalid_credentials", "the workspace, email or password is not right");
	return 0;
}

static int login_finish(req_t *r)
{
	static db_stmt_t failed = DB_STMT("select app.auth_login_failed($1, $2, $3, $4)");
	struct pw_job *j = r->cont_data;
	if (!j->check.verified || !j->member) {
		const char *p[] = { j->tenant, j->user, j->email, r->ip };
		if (db_run(r->db, &failed, 4, p, NULL) < 0 || notice_lockout(r, j->email) < 0)
			return reply_db_fault(r);
		r->commit_on_error = true;
		return invalid_credentials(r);
	}
	if (!j->confirmed) {
		req_problem(r, 403, "email_not_confirmed", "confirm your email address first (see the mail we sent)");
		return 0;
	}
	char proof[45];
	password_proof(j->check.password, proof);
	if (j->mfa)
		(void)api_mfa_challenge(r, j->tenant, j->user, proof);
	else
		session_issue(r, j->tenant, j->user, "password", proof, j->email);
	OPENSSL_cleanse(proof, sizeof proof);
	return 0;
}

int api_login(req_t *r)
{
	static db_stmt_t q = DB_STMT(
		"select retry_after, tenant_id, user_id, password_hash, confirmed, member, mfa "
		"from app.auth_login_lookup($1, $2, $3)");
	const char *p[] = { req_json_str(r, "workspace"), req_json_str(r, "email"), r->ip };
	PGresult *res;
	if (db_run(r->db, &q, 3, p, &res) < 0) {
		if (res)
			PQclear(res);
		return reply_db_fault(r);
	}
	if (strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
		const char *wait = arena_strdup(&r->arena, PQgetvalue(res, 0, 0));
		PQclear(res);
		return reply_too_many(r, wait);
	}
	struct pw_job *j = arena_alloc(&r->arena, sizeof *j);
	if (!j) {
		PQclear(res);
		return reply_db_fault(r);
	}
	j->check.password = keep(r, req_json_str(r, "password"));
	j->email = keep(r, req_json_str(r, "email"));
	j->tenant = PQgetisnull(res, 0, 1) ? NULL : keep(r, PQgetvalue(res, 0, 1));
	j->user = PQgetisnull(res, 0, 2) ? NULL : keep(r, PQgetvalue(res, 0, 2));
	j->check.hash = PQgetisnull(res, 0, 3) ? NULL : keep(r, PQgetvalue(res, 0, 3));
	j->confirmed = PQgetvalue(res, 0, 4)[0] == 't';
	j->member = PQgetvalue(res, 0, 5)[0] == 't';
	j->mfa = PQgetvalue(res, 0, 6)[0] == 't';
	PQclear(res);
	r->cont_data = j;
	r->job = login_job;
	r->cont = login_finish;
	return REQ_SUSPENDED;
}

int api_refresh(req_t *r)
{
	return session_refresh(r);
}

int api_logout(req_t *r)
{
	static db_stmt_t audit = DB_STMT("select app.audit('auth.logout', 'session', app.current_session_id()::text, '{}')");
	static db_stmt_t q = DB_STMT("update app.sessions set revoked_at = now() where id = app.current_session_id() "
				     "and tenant_id = app.current_tenant()");
	if (db_run(r->db, &audit, 0, NULL, NULL) < 0 || db_run(r->db, &q, 0, NULL, NULL) < 0)
		return reply_db_fault(r);
	req_header(r, "Set-Cookie", session_clear_cookie);
	req_no_content(r);
	return 0;
}

/* ---- passwords ---- */

int api_password_forgot(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.auth_forgot($1, $2, $3, $4)");
	char *body = arena_printf(&r->arena,
		"Hello,\n\nsomeone asked to reset the password of your Planyard account. Choose a new "
		"password here:\n\n%s\n\nThe link works once, for 30 minutes. If you did not ask, ignore "
		"this mail: your password stays as it is.\n", mail_link(&r->arena, "reset", MAIL_TOKEN));
	const char *p[] = { req_json_str(r, "workspace"), req_json_str(r, "email"), "Reset your Planyard password",
			    mail_sealed(&r->arena, body) };
	return accepted_unless_limited(r, &q, 4, p);
}

static void take_history(req_t *r, struct pw_job *j, const char *arr)
{
	/* a text[] of pbkdf2 entries: {a,b,c}; entries have no commas, quotes or braces */
	const char *p = arr;
	if (*p == '{')
		p++;
	while (*p && *p != '}' && j->nhistory < 5) {
		size_t n = strcspn(p, ",}");
		j->history[j->nhistory++] = arena_strndup(&r->arena, p, n);
		p += n;
		if (*p == ',')
			p++;
	}
}

static const char changed_body[] =
	"Hello,\n\nthe password of your Planyard account was just changed, and your other sessions "
	"were signed out. If this was not you, reset your password at once and tell your workspace "
	"admin.\n";

static int reset_finish(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.auth_reset_apply($1, $2, $3, $4, $5)");
	struct pw_job *j = r->cont_data;
	if (j->reused)
		return password_problem(r, "password", "password_reused");
	if (j->failed) {
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	const char *p[] = { j->token, j->hash, j->history_entry, "Your Planyard password was changed",
			    mail_sealed(&r->arena, changed_body) };
	PGresult *res;
	if (db_run(r->db, &q, 5, p, &res) < 0) {
		if (res)
			PQclear(res);
		return reply_db_fault(r);
	}
	bool ok = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!ok) {
		req_problem(r, 400, "token_invalid", "the link is unknown, used or expired");
		return 0;
	}
	req_no_content(r);
	return 0;
}

int api_password_reset(req_t *r)
{
	static db_stmt_t q = DB_STMT("select user_id, history from app.auth_reset_lookup($1)");
	const char *why = password_policy(req_json_str(r, "password"), NULL);
	if (why)
		return password_problem(r, "password", why);
	const char *p[] = { req_json_str(r, "token") };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0) {
		if (res)
			PQclear(res);
		return reply_db_fault(r);
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		req_problem(r, 400, "token_invalid", "the link is unknown, used or expired");
		return 0;
	}
	struct pw_job *j = arena_alloc(&r->arena, sizeof *j);
	if (!j) {
		PQclear(res);
		return reply_db_fault(r);
	}
	j->check.password = keep(r, req_json_str(r, "password"));
	j->token = keep(r, req_json_str(r, "token"));
	take_history(r, j, PQgetvalue(res, 0, 1));
	PQclear(res);
	r->cont_data = j;
	r->job = hash_job;
	r->cont = reset_finish;
	return REQ_SUSPENDED;
}

/* A job checking the signed-in user's password given in the body's field: their current
 * hash and password history. NULL with the response set when the database fails. */
static struct pw_job *my_password(req_t *r, const char *fieldname)
{
	static db_stmt_t q = DB_STMT("select password_hash, history from app.me_password_material()");
	PGresult *res;
	if (db_run(r->db, &q, 0, NULL, &res) < 0 || PQntuples(res) != 1) {
		if (res)
			PQclear(res);
		reply_db_fault(r);
		return NULL;
	}
	struct pw_job *j = arena_alloc(&r->arena, sizeof *j);
	if (!j) {
		PQclear(res);
		reply_db_fault(r);
		return NULL;
	}
	j->check.password = keep(r, req_json_str(r, fieldname));
	j->check.hash = keep(r, PQgetvalue(res, 0, 0));
	take_history(r, j, PQgetvalue(res, 0, 1));
	PQclear(res);
	return j;
}

static int change_finish(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.me_password_set($1, $2, $3, $4)");
	struct pw_job *j = r->cont_data;
	if (!j->check.verified) {
		if (reauth_failed(r) || r->status >= 500)
			return 0;
		reply_field_problem(r, 401, "invalid_credentials", "the current password is not right",
					"current_password", "invalid_credentials", "the current password is not right");
		return 0;
	}
	if (j->reused)
		return password_problem(r, "new_password", "password_reused");
	if (j->failed) {
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	const char *p[] = { j->hash, j->history_entry, "Your Planyard password was changed",
			    mail_sealed(&r->arena, changed_body) };
	if (db_run(r->db, &q, 4, p, NULL) < 0)
		return reply_db_fault(r);
	req_no_content(r);
	return 0;
}

int api_password_change(req_t *r)
{
	const char *ctx[] = { r->auth.email, NULL };
	const char *why = password_policy(req_json_str(r, "new_password"), ctx);
	if (why)
		return password_problem(r, "new_password", why);
	if (reauth_limited(r))
		return 0;
	struct pw_job *j = my_password(r, "current_password");
	if (!j)
		return 0;
	j->new_password = keep(r, req_json_str(r, "new_password"));
	r->cont_data = j;
	r->job = hash_job;
	r->cont = change_finish;
	return REQ_SUSPENDED;
}
