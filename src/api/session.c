#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "../app.h"
#include "../crypto.h"
#include "../db.h"
#include "../gate.h"
#include "../auth/jwt.h"
#include "../auth/sealed.h"
#include "notices.h"

#define ACCESS_TTL 900
#define COOKIE "__Host-planyard_refresh"

const char session_clear_cookie[] = COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0";

static void str_or_null(json_t *o, const char *k, const char *v, bool null)
{
	json_object_set_new(o, k, null ? json_null() : json_string(v));
}

json_t *session_profile(req_t *r)
{
	static db_stmt_t q = DB_STMT(
		"select user_id, email, name, email_confirmed_at, mfa_enabled, tenant_id, slug, tenant_name, timezone, "
		"primary_color, require_mfa_for_admins, tenant_status, role, session_id, expires_at, aal, "
		"impersonation_id, staff, reason, impersonation_expires_at, kind from app.session_profile()");
	PGresult *res;
	int rc = gate_query(r, &q, 0, NULL, &res);
	if (rc < 0 || PQntuples(res) != 1) {
		if (res)
			PQclear(res);
		return NULL;
	}
#define V(c) PQgetvalue(res, 0, c)
#define N(c) PQgetisnull(res, 0, c)
	json_t *user = json_object();
	str_or_null(user, "id", V(0), false);
	str_or_null(user, "email", V(1), false);
	str_or_null(user, "name", V(2), false);
	str_or_null(user, "email_confirmed_at", V(3), N(3));
	json_object_set_new(user, "mfa_enabled", json_boolean(V(4)[0] == 't'));
	json_t *ws = json_object();
	str_or_null(ws, "id", V(5), false);
	str_or_null(ws, "slug", V(6), false);
	str_or_null(ws, "name", V(7), false);
	str_or_null(ws, "timezone", V(8), false);
	json_t *branding = json_object();
	str_or_null(branding, "primary_color", V(9), N(9));
	json_object_set_new(ws, "branding", branding);
	json_object_set_new(ws, "require_mfa_for_admins", json_boolean(V(10)[0] == 't'));
	str_or_null(ws, "status", V(11), false);
	str_or_null(ws, "kind", V(20), false);
	json_t *sess = json_object();
	str_or_null(sess, "id", V(13), false);
	str_or_null(sess, "expires_at", V(14), false);
	str_or_null(sess, "aal", V(15), false);
	json_t *imp = N(17) ? json_null()
			    : json_pack("{s:s,s:s,s:s}", "staff", V(17), "reason", V(18), "expires_at", V(19));
	json_t *p = json_pack("{s:o,s:o,s:s,s:o,s:o}", "user", user, "workspace", ws, "role", V(12), "session", sess,
			      "impersonation", imp);
#undef V
#undef N
	PQclear(res);
	return p;
}

static int hand_key_to_db(req_t *r, const char *sk)
{
	static db_stmt_t set = DB_STMT("select set_config('app.session_key', $1, true)");
	const char *p[] = { sk };
	return db_run(r->db, &set, 1, p, NULL);
}

/* The tokens body for the session whose secret is sk; refresh may be NULL. A staff session
 * (imp: its grant's id) gets the imp claim and an access token that lives until the
 * session's hard end (ends), since it has no refresh token. */
static int respond_tokens(req_t *r, const char *sk, const char *refresh, int status, const char *imp, time_t ends)
{
	if (hand_key_to_db(r, sk) < 0)
		goto fail;
	json_t *prof = session_profile(r);
	if (!prof)
		goto fail;
	json_t *user = json_object_get(prof, "user"), *ws = json_object_get(prof, "workspace");
	json_t *sess = json_object_get(prof, "session");
	const char *role = json_string_value(json_object_get(prof, "role"));
	time_t now = time(NULL);
	time_t exp = imp && ends > now ? ends : now + ACCESS_TTL;
	json_t *claims = json_pack("{s:s,s:O,s:O,s:O,s:s,s:O,s:I,s:I,s:s}", "typ", "access", "sub",
				   json_object_get(user, "id"), "tid", json_object_get(ws, "id"), "sid",
				   json_object_get(sess, "id"), "role", role, "aal", json_object_get(sess, "aal"),
				   "iat", (json_int_t)now, "exp", (json_int_t)exp, "sk", sk);
	if (claims && imp)
		json_object_set_new(claims, "imp", json_string(imp));
	char *access = NULL;
	int rc = claims ? jwt_sign(app_settings->jwt_secret, claims, &access) : -1;
	json_decref(claims);
	if (rc < 0) {
		json_decref(prof);
		goto fail;
	}
	json_t *body = json_pack("{s:s,s:s,s:I,s:O,s:O,s:s}", "access_token", access, "token_type", "Bearer",
				 "expires_in", (json_int_t)(exp - now), "user", user, "workspace", ws, "role", role);
	json_object_set_new(body, "refresh_token", refresh ? json_string(refresh) : json_null());
	free(access);
	json_decref(prof);
	if (refresh) {
		char *cookie = arena_printf(&r->arena, COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=2592000",
					    refresh);
		if (cookie)
			req_header(r, "Set-Cookie", cookie);
	}
	req_json(r, status, body);
	return 0;
fail:
	req_problem(r, db_broken(r->db) ? 503 : 500, db_broken(r->db) ? "db_unavailable" : "internal_error", NULL);
	return -1;
}

/* The successor of a refresh token is derived from it, so a retry yields the same one. */
static void successor(const char *token, char out[44])
{
	unsigned char key[32], mac[32];
	static const char label[] = "planyard refresh successor";
	const char *secret = app_settings->jwt_secret;
	crypto_hmac_sha256(secret, strlen(secret), label, sizeof label - 1, key);
	crypto_hmac_sha256(key, sizeof key, token, strlen(token), mac);
	crypto_b64url_encode(mac, sizeof mac, out);
	OPENSSL_cleanse(key, sizeof key);
}

/* Where a session's secret is sealed: bound to its workspace and user. */
static const char *key_slot(req_t *r, const char *tenant, const char *user)
{
	return arena_printf(&r->arena, "app.sessions.key_sealed:%s:%s", tenant ? tenant : "", user ? user : "");
}

int session_issue(req_t *r, const char *tenant, const char *user, const char *proof_kind, const char *proof,
		  const char *email)
{
	static db_stmt_t create = DB_STMT(
		"select session_id from app.auth_session_create($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
	char sk[44], refresh[44];
	crypto_token(sk);
	crypto_token(refresh);
	unsigned char *sealed = NULL;
	size_t slen;
	const char *slot = key_slot(r, tenant, user);
	if (!slot || sealed_seal_for(slot, sk, strlen(sk), &sealed, &slen) < 0) {
		req_problem(r, 500, "internal_error", NULL);
		return -1;
	}
	const char *p[] = { tenant, user, proof_kind, proof, db_token_hash(&r->arena, sk), db_bytea(&r->arena, sealed, slen),
			    db_token_hash(&r->arena, refresh), r->ip, r->user_agent ? r->user_agent : "", email };
	free(sealed);
	PGresult *res;
	if (db_run(r->db, &create, 10, p, &res) < 0) {
		if (res)
			PQclear(res);
		req_problem(r, 503, "db_unavailable", NULL);
		return -1;
	}
	const char *sid = PQntuples(res) == 1 ? arena_strdup(&r->arena, PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
	if (sid && notice_new_device(r, sid) < 0) {
		req_problem(r, 503, "db_unavailable", NULL);
		return -1;
	}
	int rc = respond_tokens(r, sk, refresh, 200, NULL, 0);
	OPENSSL_cleanse(sk, sizeof sk);
	OPENSSL_cleanse(refresh, sizeof refresh);
	return rc;
}

int session_impersonate(req_t *r, const char *token)
{
	static db_stmt_t redeem = DB_STMT(
		"select status, impersonation_id, extract(epoch from expires_at)::bigint "
		"from app.impersonation_redeem($1, $2, $3, $4, $5)");
	char sk[44];
	crypto_token(sk);
	unsigned char *sealed = NULL;
	size_t slen;
	/* never opened: a staff session has no refresh token */
	if (sealed_seal_for("app.sessions.key_sealed:impersonation", sk, strlen(sk), &sealed, &slen) < 0) {
		OPENSSL_cleanse(sk, sizeof sk);
		req_problem(r, 500, "internal_error", NULL);
		return -1;
	}
	const char *p[] = { token, db_token_hash(&r->arena, sk), db_bytea(&r->arena, sealed, slen), r->ip,
			    r->user_agent ? r->user_agent : "" };
	free(sealed);
	PGresult *res;
	int rc = -1;
	if (db_run(r->db, &redeem, 5, p, &res) < 0 || PQntuples(res) != 1) {
		if (res)
			PQclear(res);
		req_problem(r, db_broken(r->db) ? 503 : 500, db_broken(r->db) ? "db_unavailable" : "internal_error", NULL);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "ok") != 0) {
		PQclear(res);
		req_problem(r, 400, "token_invalid", "the link is unknown, used, ended or older than 5 minutes");
		goto out;
	}
	char *imp = arena_strdup(&r->arena, PQgetvalue(res, 0, 1));
	time_t ends = (time_t)strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	if (imp && notice_staff_access(r, imp) < 0) {
		req_problem(r, 503, "db_unavailable", NULL);
		goto out;
	}
	rc = imp ? respond_tokens(r, sk, NULL, 200, imp, ends) : -1;
	if (!imp)
		req_problem(r, 500, "internal_error", NULL);
out:
	OPENSSL_cleanse(sk, sizeof sk);
	return rc;
}

static const char *cookie_token(req_t *r)
{
	return req_cookie(r, COOKIE);
}

int session_refresh(req_t *r)
{
	static db_stmt_t q = DB_STMT("select status, key_sealed, tenant_id, user_id from app.auth_refresh($1, $2)");
	const char *token = json_string_value(json_object_get(r->json, "refresh_token"));
	if (!token)
		token = cookie_token(r);
	if (!token || strlen(token) != 43) {
		req_problem(r, 401, "refresh_token_invalid", "the refresh token is unknown or expired");
		return 0;
	}
	char next[44];
	successor(token, next);
	const char *p[] = { token, next };  /* raw: hashed by the database */
	PGresult *res;
	if (db_run(r->db, &q, 2, p, &res) < 0 || PQntuples(res) != 1) {
		if (res)
			PQclear(res);
		req_problem(r, 503, "db_unavailable", NULL);
		return 0;
	}
	const char *status = PQgetvalue(res, 0, 0);
	if (strcmp(status, "ok") != 0) {
		bool reused = strcmp(status, "reused") == 0;
		PQclear(res);
		r->commit_on_error = reused; /* the revocation must stand */
		req_header(r, "Set-Cookie", session_clear_cookie);
		req_problem(r, 401, reused ? "refresh_token_reused" : "refresh_token_invalid",
			    reused ? "this refresh token was already used: the session is ended"
				   : "the refresh token is unknown or expired");
		return 0;
	}
	size_t slen, klen;
	unsigned char *sealed = db_unbytea(PQgetvalue(res, 0, 1), &slen), *sk = NULL;
	/* sealed for this session's user; one sealed before slots were bound still opens (it can
	 * only be the session's own: no role reads or chooses another's key_sealed) */
	const char *slot = key_slot(r, PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
	PQclear(res);
	if (!sealed || !slot || sealed_open_for(slot, true, sealed, slen, &sk, &klen) < 0) {
		free(sealed);
		req_problem(r, 500, "internal_error", "the session can't be opened with this data key");
		return 0;
	}
	free(sealed);
	(void)respond_tokens(r, (const char *)sk, next, 200, NULL, 0);
	OPENSSL_cleanse(sk, klen);
	free(sk);
	OPENSSL_cleanse(next, sizeof next);
	return 0;
}
