#include "gate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "auth/jwt.h"
#include "crypto.h"
#include "db.h"
#include "headers.h"
#include "jsonv.h"
#include "vocab.h"

static const settings_t *S;

void gate_init(const settings_t *s)
{
	S = s;
}

static const char *bearer(req_t *r)
{
	const char *h = req_header_in(r, "Authorization");
	if (!h || strncmp(h, "Bearer ", 7) != 0 || !h[7])
		return NULL;
	return h + 7;
}

/* src cut to fit dst, as snprintf would, without its cost on every request's fields. */
static void copy(char *dst, size_t n, const char *src)
{
	size_t l = src ? strnlen(src, n - 1) : 0;
	memcpy(dst, src ? src : "", l);
	dst[l] = '\0';
}

int gate_authenticate(req_t *r)
{
	const char *t = bearer(r);
	if (!t) {
		req_problem(r, 401, "unauthorized", "sign in first: an access token is required");
		return -1;
	}
	struct jwt_access c;
	if (jwt_verify_access(S->jwt_secret, t, time(NULL), &c) < 0) {
		req_problem(r, 401, "token_invalid", "the access token is invalid or expired");
		return -1;
	}
	struct req_auth *a = &r->auth;
	copy(a->user_id, sizeof a->user_id, c.sub);
	copy(a->tenant_id, sizeof a->tenant_id, c.tid);
	copy(a->session_id, sizeof a->session_id, c.sid);
	copy(a->session_key, sizeof a->session_key, c.sk);
	a->role = vocab_role(c.role);
	a->aal2 = strcmp(c.aal, "aal2") == 0;
	a->impersonation = c.imp;
	r->authed = true;
	return 0;
}

/* A staff session's actions are audited as "<staff> as <user>" (app.audit). */
static db_stmt_t begin = DB_STMT(
	"select session_id, user_id, tenant_id, role, aal, email, impersonation_id, tenant_status, "
	"require_mfa, mfa_enabled, set_config('app.client_ip', $2, true), "
	"set_config('app.impersonation_staff', case when impersonation_id is null then '' "
	"else coalesce((select staff from app.session_impersonation()), '') end, true) "
	"from app.request_begin($1)");

/* Reads request_begin's answer into r->auth; 401 problem and -1 when the session is not
 * alive or not the token's. Clears res. */
static int session_result(req_t *r, PGresult *res)
{
	struct req_auth *a = &r->auth;
	bool alive = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), a->session_id) == 0 &&
		     strcmp(PQgetvalue(res, 0, 1), a->user_id) == 0 && strcmp(PQgetvalue(res, 0, 2), a->tenant_id) == 0;
	if (alive) {
		a->role = vocab_role(PQgetvalue(res, 0, 3));  /* the live role, not the token's */
		a->aal2 = strcmp(PQgetvalue(res, 0, 4), "aal2") == 0;
		copy(a->email, sizeof a->email, PQgetvalue(res, 0, 5));
		copy(a->impersonation_id, sizeof a->impersonation_id, PQgetvalue(res, 0, 6));
		a->impersonation = a->impersonation_id[0] != '\0';
		copy(a->tenant_status, sizeof a->tenant_status, PQgetvalue(res, 0, 7));
		a->require_mfa = PQgetvalue(res, 0, 8)[0] == 't';
		a->mfa_enabled = PQgetvalue(res, 0, 9)[0] == 't';
	}
	PQclear(res);
	if (!alive) {
		req_problem(r, 401, "session_revoked", "this session has ended; sign in again");
		return -1;
	}
	return 0;
}

int gate_tx_session(req_t *r)
{
	return gate_session_begin(r, r->db);
}

int gate_session_begin(req_t *r, db_t *db)
{
	const char *p[] = { r->auth.session_key, r->ip };
	PGresult *res;
	if (db_run(db, &begin, 2, p, &res) < 0) {
		bool down = db_broken(db);
		if (res)
			PQclear(res);
		req_problem(r, down ? 503 : 500, down ? "db_unavailable" : "internal_error", NULL);
		return -1;
	}
	return session_result(r, res);
}

int gate_query(req_t *r, db_stmt_t *s, int n, const char *const *params, PGresult **out)
{
	*out = NULL;
	if (!r->read1)
		return db_run(r->db, s, n, params, out);
	r->read1 = false;   /* one statement: the session holds only in its implicit transaction */
	const char *p[] = { r->auth.session_key, r->ip };
	PGresult *session, *res;
	if (db_pipeline2(r->db, &begin, 2, p, s, n, params, &session, &res) < 0) {
		req_problem(r, 503, "db_unavailable", "the database is not reachable; try again shortly");
		return -2;
	}
	if (PQresultStatus(session) != PGRES_TUPLES_OK) {
		PQclear(session);
		if (res)
			PQclear(res);
		req_problem(r, 500, "internal_error", NULL);
		return -2;
	}
	if (session_result(r, session) < 0 || gate_authorize(r) < 0) {
		PQclear(res);  /* read under a live session's rules, but not to be shown */
		return -2;
	}
	*out = res;
	ExecStatusType st = PQresultStatus(res);
	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ? 0 : -1;
}

int gate_authorize(req_t *r)
{
	const route_t *rt = r->route;
	const struct req_auth *a = &r->auth;
	if (a->impersonation && (rt->flags & ROUTE_NO_IMPERSONATION)) {
		req_problem(r, 403, "not_allowed_while_impersonating", "staff access may not do this");
		return -1;
	}
	if (a->require_mfa && a->role >= ROLE_ADMIN && !a->mfa_enabled && !(rt->flags & ROUTE_MFA_EXEMPT)) {
		req_problem(r, 403, "mfa_enrollment_required",
			    "this workspace requires admins to set up two-factor authentication first");
		return -1;
	}
	if (a->role < rt->min_role) {
		req_problem(r, 403, "forbidden", "your role does not allow this");
		return -1;
	}
	if ((rt->flags & ROUTE_WRITE) && strcmp(a->tenant_status, "suspended") == 0) {
		req_problem(r, 403, "workspace_suspended", "this workspace is suspended: it can be read, not changed");
		return -1;
	}
	return 0;
}

int gate_cron(req_t *r)
{
	const char *t = bearer(r);
	const char *secret = S ? S->cron_secret : NULL;
	if (!t || !secret || !crypto_equal(t, strlen(t), secret, strlen(secret))) {
		req_problem(r, 401, "unauthorized", "the cron secret is required");
		return -1;
	}
	return 0;
}

/* One transaction around fn: BEGIN, the live session handed to the database and the role
 * checked (signed-in routes), fn, then COMMIT when fn succeeded, else ROLLBACK. A handler
 * that suspends has its transaction committed first; its continuation gets a new one. */
/* Which login a route's transaction runs as: signed-in routes the request role, cron and
 * the billing webhook the jobs role, the other public routes (all before a session: sign-in,
 * signup, refresh, reset...) the pre-session role. */
static db_pool_t route_pool(const route_t *rt)
{
	if (rt->auth == AUTH_SESSION || (rt->flags & ROUTE_CREW))
		return DB_APP;
	if (rt->auth == AUTH_CRON || (rt->flags & ROUTE_JOBS))
		return DB_JOBS;
	return DB_AUTH;
}

static int run_tx(req_t *r, handler_fn fn)
{
	db_t *db = db_thread_for(route_pool(r->route));
	if (db && (r->route->flags & ROUTE_READ1) && r->route->auth == AUTH_SESSION) {
		/* one statement, sent with the session check in one round trip (gate_query) */
		r->db = db;
		r->read1 = true;
		int rc = fn(r);
		r->read1 = false;
		r->db = NULL;
		return rc;
	}
	if (!db || db_begin(db) < 0) {
		req_problem(r, 503, "db_unavailable", "the database is not reachable; try again shortly");
		return 0;
	}
	r->db = db;
	if (r->route->auth == AUTH_SESSION && (gate_tx_session(r) < 0 || gate_authorize(r) < 0)) {
		db_rollback(db);
		r->db = NULL;
		return 0;
	}
	int rc = fn(r);
	if (rc == REQ_SUSPENDED) {
		r->db = NULL;
		if (db_commit(db) < 0) {
			req_problem(r, 503, "db_unavailable", "the database is not reachable; try again shortly");
			return 0;
		}
		return rc;
	}
	if (r->responded && (r->status < 400 || r->commit_on_error)) {
		if (db_commit(db) < 0) {
			bool down = db_broken(db);
			req_problem(r, down ? 503 : 409, down ? "db_unavailable" : "conflict",
				    "the change could not be saved; try again");
		}
	} else {
		db_rollback(db);
	}
	r->db = NULL;
	return 0;
}

/* The scheme and authority of url ("https://host:port" of "https://host:port/x"): its length. */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return 0;
	p += 3;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

/* False when the browser says the request comes from another site: Sec-Fetch-Site other
 * than same-origin or none (same-site too: a sibling subdomain gets a SameSite cookie), or
 * an Origin that is neither PUBLIC_URL's nor this server's as the browser addressed it. A
 * client that sends neither (not a browser) is let through. */
static bool same_origin(req_t *r)
{
	const char *site = req_header_in(r, "Sec-Fetch-Site");
	if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return false;
	const char *origin = req_header_in(r, "Origin");
	if (!origin)
		return true;
	const char *pub = app_public_url();
	size_t n = origin_len(pub);
	if (n && strlen(origin) == n && strncasecmp(origin, pub, n) == 0)
		return true;
	const char *host = req_header_in(r, "Host");
	return host && *host && strncasecmp(origin, "https://", 8) == 0 && strcasecmp(origin + 8, host) == 0;
}

/* The gate: body, authentication, content type, JSON schema; then one transaction around
 * the handler (with the role checked inside it, against the live membership). Sets the
 * response in every case but REQ_SUSPENDED. */
int gate_run(req_t *r)
{
	const route_t *rt = r->route;
	if (r->body_too_large) {
		req_problem(r, 413, "payload_too_large", "the body is larger than 1 MiB");
		return 0;
	}
	if ((rt->flags & ROUTE_SAME_ORIGIN) && !same_origin(r)) {
		req_problem(r, 403, "cross_site_refused", "this request must come from the app's own pages");
		return 0;
	}
	if (rt->auth == AUTH_SESSION && gate_authenticate(r) < 0)
		return 0;
	if (rt->auth == AUTH_CRON && gate_cron(r) < 0)
		return 0;
	if (!(rt->flags & ROUTE_RAW_BODY)) {
		if (r->body.len > 0) {
			if (!headers_is_json(req_header_in(r, "Content-Type"))) {
				req_problem(r, 415, "unsupported_media_type", "bodies are application/json");
				return 0;
			}
			if (!rt->body) {
				req_problem(r, 400, "body_not_allowed", "this request takes no body");
				return 0;
			}
			json_error_t jerr;
			r->json = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
			if (!r->json) {
				req_problem(r, 400, "invalid_json", "the body is not valid JSON (UTF-8, no NUL, no duplicate keys)");
				return 0;
			}
			json_t *errors;
			if (((rt->flags & ROUTE_PARTIAL) ? jsonv_validate_partial(r->json, rt->body, &errors)
							  : jsonv_validate(r->json, rt->body, &errors)) < 0) {
				req_problem_errors(r, 400, "validation_failed", "the body has invalid fields", errors);
				return 0;
			}
		} else if (rt->body && !(rt->flags & ROUTE_BODY_OPTIONAL)) {
			json_t *errors = NULL;
			json_t *empty = json_object();
			/* no body on a PATCH changes nothing, like {} */
			if (((rt->flags & ROUTE_PARTIAL) ? jsonv_validate_partial(empty, rt->body, &errors)
							  : jsonv_validate(empty, rt->body, &errors)) < 0) {
				json_decref(empty);
				req_problem_errors(r, 400, "validation_failed", "a JSON body is required", errors);
				return 0;
			}
			r->json = empty;
		}
	}
	if (!(rt->flags & ROUTE_TX))
		return rt->handler(r);
	return run_tx(r, rt->handler);
}

int gate_continue(req_t *r, handler_fn cont)
{
	return (r->route->flags & ROUTE_TX) ? run_tx(r, cont) : cont(r);
}

const char *gate_rate_wait(req_t *r, const char *key, const char *max, const char *window)
{
	static db_stmt_t q = DB_STMT("select app.rate_retry_after($1, $2::int, $3::interval)");
	const char *p[] = { key, max, window };
	PGresult *res;
	if (db_run(r->db, &q, 3, p, &res) < 0) {
		if (res)
			PQclear(res);
		return NULL;
	}
	const char *v = PQgetvalue(res, 0, 0);
	const char *out = strcmp(v, "0") == 0 ? NULL : arena_strdup(&r->arena, v);
	PQclear(res);
	return out;
}
