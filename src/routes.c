/* The route table: it reads like API.md. Method, path, handler, who may call it, the body it
 * accepts, and flags. The gate (server.c) enforces all of it before a handler runs, and
 * /api/v1/openapi.json is generated from it. */
#include "router.h"

#include "api/auth.h"
#include "api/me.h"
#include "api/service.h"

#define V1 "/api/v1"
#define TX ROUTE_TX
#define NOIMP ROUTE_NO_IMPERSONATION
#define MFAX ROUTE_MFA_EXEMPT

/* ---- body schemas ---- */

static const jsonv_field_t signup_body[] = {
	{ "workspace_name", JV_STRING, true, false, 1, 100, NULL, NULL },
	{ "workspace_slug", JV_STRING, true, false, 1, 40, NULL, NULL },
	{ "name", JV_STRING, true, false, 1, 100, NULL, NULL },
	{ "email", JV_EMAIL, true, false, 0, 0, NULL, NULL },
	{ "password", JV_STRING, true, false, 0, 100000, NULL, NULL },
	JV_END,
};
static const jsonv_field_t token_body[] = {
	{ "token", JV_STRING, true, false, 1, 200, NULL, NULL },
	JV_END,
};
static const jsonv_field_t email_body[] = {
	{ "email", JV_EMAIL, true, false, 0, 0, NULL, NULL },
	JV_END,
};
static const jsonv_field_t login_body[] = {
	{ "workspace", JV_STRING, true, false, 1, 100, NULL, NULL },
	{ "email", JV_STRING, true, false, 1, 320, NULL, NULL },
	{ "password", JV_STRING, true, false, 1, 100000, NULL, NULL },
	JV_END,
};
static const jsonv_field_t refresh_body[] = {
	{ "refresh_token", JV_STRING, false, false, 1, 200, NULL, NULL },
	JV_END,
};
static const jsonv_field_t forgot_body[] = {
	{ "workspace", JV_STRING, false, false, 1, 100, NULL, NULL },
	{ "email", JV_EMAIL, true, false, 0, 0, NULL, NULL },
	JV_END,
};
static const jsonv_field_t reset_body[] = {
	{ "token", JV_STRING, true, false, 1, 200, NULL, NULL },
	{ "password", JV_STRING, true, false, 0, 100000, NULL, NULL },
	JV_END,
};
static const jsonv_field_t change_body[] = {
	{ "current_password", JV_STRING, true, false, 1, 100000, NULL, NULL },
	{ "new_password", JV_STRING, true, false, 0, 100000, NULL, NULL },
	JV_END,
};
static const jsonv_field_t me_patch_body[] = {
	{ "name", JV_STRING, false, false, 1, 100, NULL, NULL },
	JV_END,
};
static const jsonv_field_t password_body[] = {
	{ "password", JV_STRING, true, false, 1, 100000, NULL, NULL },
	JV_END,
};

const route_t routes[] = {
	/* service */
	{ "GET", "/healthz", api_healthz, AUTH_NONE, ROLE_NONE, NULL, ROUTE_ROOT, "liveness", "200" },
	{ "GET", "/readyz", api_readyz, AUTH_NONE, ROLE_NONE, NULL, ROUTE_ROOT, "readiness: the database answers", "200" },
	{ "GET", V1 "/openapi.json", api_openapi, AUTH_NONE, ROLE_NONE, NULL, 0, "this contract, OpenAPI 3.1", "200" },
	{ "POST", V1 "/csp-report", api_csp_report, AUTH_NONE, ROLE_NONE, NULL, ROUTE_RAW_BODY, "CSP violation reports", "204" },

	/* authentication */
	{ "POST", V1 "/auth/signup", api_signup, AUTH_NONE, ROLE_NONE, signup_body, TX, "create a workspace and its owner", "202" },
	{ "POST", V1 "/auth/confirm", api_confirm, AUTH_NONE, ROLE_NONE, token_body, TX, "confirm an email address", "200" },
	{ "POST", V1 "/auth/confirm/resend", api_confirm_resend, AUTH_NONE, ROLE_NONE, email_body, TX, "send the confirmation again", "202" },
	{ "POST", V1 "/auth/login", api_login, AUTH_NONE, ROLE_NONE, login_body, TX, "sign in", "200" },
	{ "POST", V1 "/auth/refresh", api_refresh, AUTH_NONE, ROLE_NONE, refresh_body, TX | ROUTE_BODY_OPTIONAL, "rotate the refresh token", "200" },
	{ "POST", V1 "/auth/logout", api_logout, AUTH_SESSION, ROLE_VIEWER, NULL, TX | MFAX, "end this session", "204" },
	{ "POST", V1 "/auth/password/forgot", api_password_forgot, AUTH_NONE, ROLE_NONE, forgot_body, TX, "mail a reset link", "202" },
	{ "POST", V1 "/auth/password/reset", api_password_reset, AUTH_NONE, ROLE_NONE, reset_body, TX, "set a new password with a reset link", "204" },
	{ "POST", V1 "/auth/password/change", api_password_change, AUTH_SESSION, ROLE_VIEWER, change_body, TX | MFAX | NOIMP, "change the password", "204" },

	/* the signed-in user */
	{ "GET", V1 "/me", api_me_get, AUTH_SESSION, ROLE_VIEWER, NULL, TX | MFAX, "who is signed in", "200" },
	{ "PATCH", V1 "/me", api_me_patch, AUTH_SESSION, ROLE_VIEWER, me_patch_body, TX | MFAX, "change my name", "200" },
	{ "DELETE", V1 "/me", api_me_delete, AUTH_SESSION, ROLE_VIEWER, password_body, TX | MFAX | NOIMP, "delete my account", "204" },
	{ "GET", V1 "/me/sessions", api_me_sessions, AUTH_SESSION, ROLE_VIEWER, NULL, TX | MFAX, "my sessions in this workspace", "200" },
	{ "DELETE", V1 "/me/sessions/{id}", api_me_session_delete, AUTH_SESSION, ROLE_VIEWER, NULL, TX | MFAX | NOIMP, "end one of my sessions", "204" },
};

const size_t routes_count = ARRAY_LEN(routes);
