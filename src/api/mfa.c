/* Two-factor authentication. The database keeps TOTP secrets sealed and never sees them in
 * clear: these handlers open them, check a code, and hand the database the time step the
 * code matched; the database makes each step (and each recovery code) work once, counts
 * wrong codes and writes the audit rows. Password checks run on the work pool. */
#include "mfa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "../crypto.h"
#include "../db.h"
#include "../auth/password.h"
#include "../auth/qr.h"
#include "../auth/sealed.h"
#include "session.h"
#include "../auth/totp.h"
#include "reauth.h"
#include "notices.h"
#include "reply.h"

#define CHALLENGE_TTL 300

/* Runs q, which answers one row; NULL after answering a problem. */
static PGresult *one_row(req_t *r, db_stmt_t *q, int n, const char *const *p)
{
	PGresult *res;
	if (db_run(r->db, q, n, p, &res) < 0 || PQntuples(res) != 1) {
		if (res)
			PQclear(res);
		reply_db_fault(r);
		return NULL;
	}
	return res;
}

/* Where user's TOTP secret (pending or active) is sealed: bound to the user. */
static const char *totp_slot(req_t *r, const char *user)
{
	return arena_printf(&r->arena, "app.users.totp:%s", user ? user : "");
}

/* A sealed secret of user as the database returns it (bytea text), opened: malloc'd, the
 * caller wipes and frees it. NULL when it can't be opened. A secret sealed before slots were
 * bound still opens (the database can't re-seal it; its plaintext is never shown again, and
 * the mail sender opens no such blob). */
static unsigned char *open_secret(req_t *r, const char *user, const char *bytea_text, size_t *len)
{
	size_t slen;
	unsigned char *sealed = db_unbytea(bytea_text, &slen), *secret = NULL;
	const char *slot = totp_slot(r, user);
	if (!sealed || !slot || sealed_open_for(slot, true, sealed, slen, &secret, len) < 0)
		secret = NULL;
	free(sealed);
	return secret;
}

/* The step a 6-digit code matched on the sealed secret (bytea text), as a parameter; NULL
 * when it matches none (or the secret can't be opened). */
static const char *matched_step(req_t *r, const char *user, const char *sealed_text, const char *code)
{
	size_t klen;
	unsigned char *key = open_secret(r, user, sealed_text, &klen);
	if (!key)
		return NULL;
	int64_t step;
	int rc = totp_verify(key, klen, code, totp_step(time(NULL)), &step);
	OPENSSL_cleanse(key, klen);
	free(key);
	return rc == 0 ? arena_printf(&r->arena, "%lld", (long long)step) : NULL;
}

/* The hash of a recovery code as a parameter; NULL when it does not have the shape of one. */
static const char *recovery_param(req_t *r, const char *typed)
{
	unsigned char h[32];
	if (totp_recovery_hash(typed, h) < 0)
		return NULL;
	return db_bytea(&r->arena, h, sizeof h);
}

/* Ten new recovery codes: the JSON array shown once, and their SHA-256 hashes as a text[]
 * parameter of hex strings in *hashes. NULL when memory runs out. */
static json_t *new_recovery_codes(req_t *r, const char **hashes)
{
	json_t *codes = json_array();
	buf_t lit = BUF_INIT(4096);
	buf_puts(&lit, "{");
	for (int i = 0; codes && i < TOTP_RECOVERY_COUNT; i++) {
		char code[TOTP_RECOVERY_SHOWN + 1], hex[65];
		unsigned char h[32];
		totp_recovery_new(code);
		if (totp_recovery_hash(code, h) < 0)
			fatal("a fresh recovery code does not have the shape of one");
		crypto_hex(h, sizeof h, hex);
		buf_printf(&lit, "%s%s", i ? "," : "", hex);
		json_array_append_new(codes, json_string(code));
		OPENSSL_cleanse(code, sizeof code);
	}
	buf_puts(&lit, "}");
	*hashes = lit.failed ? NULL : arena_strdup(&r->arena, lit.data);
	buf_free(&lit);
	if (!*hashes || !codes || json_array_size(codes) != TOTP_RECOVERY_COUNT) {
		json_decref(codes);
		return NULL;
	}
	return codes;
}

static int invalid_code(req_t *r)
{
	reply_field_error(r, "code", "invalid_code", "the code is not right");
	return 0;
}

static int wrong_password(req_t *r)
{
	reply_field_problem(r, 401, "invalid_credentials", "the password is not right",
				"password", "invalid_credentials", "the password is not right");
	return 0;
}

/* ---- sign-in's second step ---- */

int api_mfa_challenge(req_t *r, const char *tenant, const char *user, const char *password_proof)
{
	static db_stmt_t q = DB_STMT("select app.mfa_challenge_create($1, $2, $3, $4)");
	char token[44];
	crypto_token(token);
	const char *p[] = { tenant, user, password_proof, token };
	if (db_run(r->db, &q, 4, p, NULL) < 0) {
		OPENSSL_cleanse(token, sizeof token);
		return reply_db_fault(r);
	}
	req_json(r, 200, json_pack("{s:b,s:s,s:i}", "mfa_required", 1, "mfa_token", token, "expires_in",
				   CHALLENGE_TTL));
	OPENSSL_cleanse(token, sizeof token);
	return 0;
}

int api_mfa_verify(req_t *r)
{
	static db_stmt_t secret_q = DB_STMT(
		"select s.secret, s.user_id from (select 1) one left join app.mfa_challenge_secret($1) s on true");
	static db_stmt_t verify_q = DB_STMT(
		"select status, tenant_id, user_id, email, retry_after from app.mfa_challenge_verify($1, $2, $3, $4)");
	const char *code = req_json_str(r, "code"), *recovery = req_json_str(r, "recovery_code");
	if ((code != NULL) == (recovery != NULL)) {
		reply_field_error(r, code ? "recovery_code" : "code", "invalid",
				"send either code (from the authenticator app) or recovery_code");
		return 0;
	}
	const char *token_hash = req_json_str(r, "mfa_token");   /* raw: hashed by the database */
	const char *step = NULL, *rec = NULL;
	if (code) {
		const char *p[] = { token_hash };
		PGresult *res = one_row(r, &secret_q, 1, p);
		if (!res)
			return 0;
		if (!PQgetisnull(res, 0, 0) && totp_is_code(code))
			step = matched_step(r, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0), code);
		PQclear(res);
	} else {
		rec = recovery_param(r, recovery);
	}
	/* a wrong code still goes to the database, which counts it */
	const char *p[] = { token_hash, step, rec, r->ip };
	PGresult *res = one_row(r, &verify_q, 4, p);
	if (!res)
		return 0;
	const char *status = PQgetvalue(res, 0, 0);
	if (strcmp(status, "ok") == 0) {
		char *tenant = arena_strdup(&r->arena, PQgetvalue(res, 0, 1));
		char *user = arena_strdup(&r->arena, PQgetvalue(res, 0, 2));
		char *email = arena_strdup(&r->arena, PQgetvalue(res, 0, 3));
		PQclear(res);
		if (!tenant || !user || !email)
			return reply_db_fault(r);
		(void)session_issue(r, tenant, user, "mfa", token_hash, email);
		return 0;
	}
	if (strcmp(status, "rate_limited") == 0) {
		const char *wait = arena_strdup(&r->arena, PQgetvalue(res, 0, 4));
		PQclear(res);
		return reply_too_many(r, wait ? wait : "60");
	}
	PQclear(res);
	r->commit_on_error = true; /* the wrong code counts */
	req_problem(r, 401, "invalid_code",
		    "the code is not right, was already used, or this sign-in has ended (sign in again)");
	return 0;
}

/* ---- the signed-in user's second factor ---- */

enum mfa_op { OP_START, OP_DISABLE, OP_REGENERATE };

struct mfa_job {
	struct reauth check; /* first: reauth_job reads it */
	enum mfa_op op;
};

/* The first half of the routes that take the password: the hash, then the work pool. */
static int with_password(req_t *r, enum mfa_op op, handler_fn cont)
{
	static db_stmt_t q = DB_STMT("select password_hash, enabled from app.mfa_material()");
	PGresult *res = one_row(r, &q, 0, NULL);
	if (!res)
		return 0;
	bool enabled = PQgetvalue(res, 0, 1)[0] == 't';
	if (op == OP_START && enabled) {
		PQclear(res);
		req_problem(r, 409, "mfa_already_enabled", "two-factor authentication is already on; turn it off first");
		return 0;
	}
	if (op != OP_START && !enabled) {
		PQclear(res);
		req_problem(r, 409, "mfa_not_enabled", "two-factor authentication is not on");
		return 0;
	}
	struct mfa_job *j = arena_alloc(&r->arena, sizeof *j);
	char *hash = arena_strdup(&r->arena, PQgetvalue(res, 0, 0));
	PQclear(res);
	char *password = arena_strdup(&r->arena, req_json_str(r, "password"));
	if (!j || !hash || !password)
		return reply_db_fault(r);
	j->op = op;
	j->check.password = password;
	j->check.hash = hash;
	r->cont_data = j;
	r->job = reauth_job;
	r->cont = cont;
	return REQ_SUSPENDED;
}

/* "otpauth://totp/Planyard:EMAIL?secret=..." with the email percent-encoded. */
static char *otpauth_uri(req_t *r, const char *email, const char *secret)
{
	buf_t b = BUF_INIT(2048);
	buf_puts(&b, "otpauth://totp/Planyard:");
	for (const unsigned char *s = (const unsigned char *)email; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    strchr("-._~@", *s))
			buf_append(&b, s, 1);
		else
			buf_printf(&b, "%%%02X", *s);
	}
	buf_printf(&b, "?secret=%s&issuer=Planyard&algorithm=SHA1&digits=%d&period=%d", secret, TOTP_DIGITS,
		   TOTP_PERIOD);
	char *out = b.failed ? NULL : arena_strdup(&r->arena, b.data);
	buf_wipe_free(&b);
	return out;
}

static int start_finish(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.mfa_enrol_start($1)");
	struct mfa_job *j = r->cont_data;
	if (!j->check.verified)
		return wrong_password(r);
	unsigned char key[TOTP_SECRET_BYTES];
	char b32[(TOTP_SECRET_BYTES * 8 + 4) / 5 + 1];
	crypto_random(key, sizeof key);
	totp_base32_encode(key, sizeof key, b32);
	unsigned char *sealed = NULL;
	size_t slen;
	const char *slot = totp_slot(r, r->auth.user_id);
	int rc = slot ? sealed_seal_for(slot, key, sizeof key, &sealed, &slen) : -1;
	OPENSSL_cleanse(key, sizeof key);
	if (rc < 0) {
		OPENSSL_cleanse(b32, sizeof b32);
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	const char *p[] = { db_bytea(&r->arena, sealed, slen) };
	free(sealed);
	PGresult *res = one_row(r, &q, 1, p);
	if (!res) {
		OPENSSL_cleanse(b32, sizeof b32);
		return 0;
	}
	bool started = strcmp(PQgetvalue(res, 0, 0), "started") == 0;
	PQclear(res);
	if (!started) {
		OPENSSL_cleanse(b32, sizeof b32);
		req_problem(r, 409, "mfa_already_enabled", "two-factor authentication is already on; turn it off first");
		return 0;
	}
	char *uri = otpauth_uri(r, r->auth.email, b32);
	char *svg = uri ? qr_svg(uri) : NULL;
	if (!svg) {
		OPENSSL_cleanse(b32, sizeof b32);
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	req_json(r, 200, json_pack("{s:s,s:s,s:s}", "secret", b32, "otpauth_uri", uri, "qr_svg", svg));
	free(svg);
	OPENSSL_cleanse(b32, sizeof b32);
	return 0;
}

int api_mfa_totp_start(req_t *r)
{
	return with_password(r, OP_START, start_finish);
}

int api_mfa_totp_activate(req_t *r)
{
	static db_stmt_t material = DB_STMT("select pending_secret, enabled from app.mfa_material()");
	static db_stmt_t activate = DB_STMT("select app.mfa_activate($1, $2, $3)");
	PGresult *res = one_row(r, &material, 0, NULL);
	if (!res)
		return 0;
	if (PQgetisnull(res, 0, 0)) {
		bool enabled = PQgetvalue(res, 0, 1)[0] == 't';
		PQclear(res);
		req_problem(r, 409, enabled ? "mfa_already_enabled" : "mfa_enrollment_not_started",
			    enabled ? "two-factor authentication is already on"
				    : "start with POST /me/mfa/totp to get a secret first");
		return 0;
	}
	char *pending = arena_strdup(&r->arena, PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!pending)
		return reply_db_fault(r);
	const char *code = req_json_str(r, "code");
	const char *step = totp_is_code(code) ? matched_step(r, r->auth.user_id, pending, code) : NULL;
	if (!step)
		return invalid_code(r);
	const char *hashes;
	json_t *codes = new_recovery_codes(r, &hashes);
	if (!codes)
		return reply_db_fault(r);
	const char *p[] = { pending, step, hashes };
	res = one_row(r, &activate, 3, p);
	if (!res) {
		json_decref(codes);
		return 0;
	}
	bool ok = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!ok) {
		json_decref(codes);
		return invalid_code(r);
	}
	req_json(r, 200, json_pack("{s:o}", "recovery_codes", codes));
	return 0;
}

/* The second halves of DELETE /me/mfa/totp and POST /me/mfa/recovery-codes: the password
 * was checked; now the code (a TOTP code, or a recovery code when it is not 6 digits). */
static int code_finish(req_t *r)
{
	static db_stmt_t material = DB_STMT("select secret from app.mfa_material()");
	static db_stmt_t disable = DB_STMT("select status, retry_after from app.mfa_disable($1, $2)");
	static db_stmt_t regenerate = DB_STMT("select status, retry_after from app.mfa_recovery_regenerate($1, $2, $3)");
	struct mfa_job *j = r->cont_data;
	if (!j->check.verified)
		return wrong_password(r);
	const char *code = req_json_str(r, "code"), *step = NULL, *rec = NULL;
	if (totp_is_code(code)) {
		PGresult *res = one_row(r, &material, 0, NULL);
		if (!res)
			return 0;
		if (!PQgetisnull(res, 0, 0))
			step = matched_step(r, r->auth.user_id, PQgetvalue(res, 0, 0), code);
		PQclear(res);
	} else {
		rec = recovery_param(r, code);
	}
	json_t *codes = NULL;
	const char *hashes = NULL;
	PGresult *res;
	if (j->op == OP_REGENERATE) {
		codes = new_recovery_codes(r, &hashes);
		if (!codes)
			return reply_db_fault(r);
		const char *p[] = { step, rec, hashes };
		res = one_row(r, &regenerate, 3, p);
	} else {
		const char *p[] = { step, rec };
		res = one_row(r, &disable, 2, p);
	}
	if (!res) {
		json_decref(codes);
		return 0;
	}
	const char *status = PQgetvalue(res, 0, 0);
	if (strcmp(status, "ok") == 0) {
		PQclear(res);
		if (codes) {
			req_json(r, 200, json_pack("{s:o}", "recovery_codes", codes));
		} else if (r->auth.role >= ROLE_ADMIN && notice_mfa_off(r) < 0) {
			return reply_db_fault(r);
		} else {
			req_no_content(r);
		}
		return 0;
	}
	json_decref(codes);
	if (strcmp(status, "rate_limited") == 0) {
		const char *wait = arena_strdup(&r->arena, PQgetvalue(res, 0, 1));
		PQclear(res);
		return reply_too_many(r, wait ? wait : "60");
	}
	bool off = strcmp(status, "not_enabled") == 0;
	PQclear(res);
	if (off) {
		req_problem(r, 409, "mfa_not_enabled", "two-factor authentication is not on");
		return 0;
	}
	r->commit_on_error = true; /* the wrong code counts */
	return invalid_code(r);
}

int api_mfa_totp_delete(req_t *r)
{
	return with_password(r, OP_DISABLE, code_finish);
}

int api_mfa_recovery_codes(req_t *r)
{
	return with_password(r, OP_REGENERATE, code_finish);
}

/* ---- the second factor of a sensitive change ---- */

int mfa_require_code(req_t *r, const char *code)
{
	static db_stmt_t material = DB_STMT("select secret, enabled from app.mfa_material()");
	static db_stmt_t confirm = DB_STMT("select status, retry_after from app.mfa_confirm($1, $2)");
	PGresult *res = one_row(r, &material, 0, NULL);
	if (!res)
		return -1;
	bool enabled = PQgetvalue(res, 0, 1)[0] == 't';
	const char *step = NULL, *rec = NULL;
	if (enabled && code && totp_is_code(code) && !PQgetisnull(res, 0, 0))
		step = matched_step(r, r->auth.user_id, PQgetvalue(res, 0, 0), code);
	else if (enabled && code && !totp_is_code(code))
		rec = recovery_param(r, code);
	PQclear(res);
	if (!enabled)
		return 0;
	if (!code) {
		reply_field_problem(r, 403, "mfa_code_required",
				    "this account has two-factor authentication: give a current code or a recovery code",
				    "code", "required", "a code from the authenticator app, or a recovery code");
		return -1;
	}
	const char *p[] = { step, rec };
	res = one_row(r, &confirm, 2, p);
	if (!res)
		return -1;
	const char *status = PQgetvalue(res, 0, 0);
	if (strcmp(status, "ok") == 0 || strcmp(status, "not_enabled") == 0) {
		PQclear(res);
		return 0;
	}
	if (strcmp(status, "rate_limited") == 0) {
		const char *wait = arena_strdup(&r->arena, PQgetvalue(res, 0, 1));
		PQclear(res);
		reply_too_many(r, wait ? wait : "60");
		return -1;
	}
	PQclear(res);
	r->commit_on_error = true; /* the wrong code counts */
	invalid_code(r);
	return -1;
}
