/* The route table: it reads like API.md. Method, path, handler, who may call it, the body it
 * accepts, and flags. The gate (gate.c) enforces all of it before a handler runs, and
 * /api/v1/openapi.json is generated from it. */
#include "router.h"
#include "vocab.h"

#include "api/auth.h"
#include "api/exports.h"
#include "api/records.h"
#include "api/me.h"
#include "api/billing.h"
#include "api/cron.h"
#include "api/pours.h"
#include "api/mfa.h"
#include "api/service.h"
#include "api/audit.h"
#include "api/impersonations.h"
#include "api/invitations.h"
#include "api/members.h"
#include "api/workspace.h"
#include "api/sendout.h"

#define V1 "/api/v1"
#define TX ROUTE_TX
#define NOIMP ROUTE_NO_IMPERSONATION
#define MFAX ROUTE_MFA_EXEMPT
#define R1 ROUTE_READ1

/* ---- body schemas ---- */

static const jsonv_field_t signup_body[] = {
	{ "workspace_name", JV_STRING, true, false, 1, 100, NULL, NULL },
	{ "workspace_slug", JV_STRING, true, false, 1, 40, NULL, NULL },
	{ "name", JV_STRING, true, false, 1, 100, NULL, NULL },
	{ "email", JV_EMAIL, true, false, 0, 0, NULL, NULL },
	{ "password", JV_STRING, true, false, 0, 100000, NULL, NULL },
	{ "kind", JV_ENUM, false, false, 0, 0, vocab_workspace_kinds, NULL },
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
static const jsonv_field_t me_delete_body[] = {
	{ "password", JV_STRING, true, false, 1, 100000, NULL, NULL },
	{ "erase_history", JV_BOOL, false, false, 0, 0, NULL, NULL },
	{ "code", JV_STRING, false, false, 1, 100, NULL, NULL },
	JV_END,
};
static const jsonv_field_t me_email_body[] = {
	{ "password", JV_STRING, true, false, 1, 100000, NULL, NULL },
	{ "email", JV_EMAIL, true, false, 0, 0, NULL, NULL },
	JV_END,
};
static const jsonv_field_t mfa_verify_body[] = {
	{ "mfa_token", JV_STRING, true, false, 1, 200, NULL, NULL },
	{ "code", JV_STRING, false, false, 1, 100, NULL, NULL },
	{ "recovery_code", JV_STRING, false, false, 1, 100, NULL, NULL },
	JV_END,
};
static const jsonv_field_t mfa_code_body[] = {
	{ "code", JV_STRING, true, false, 1, 100, NULL, NULL },
	JV_END,
};
static const jsonv_field_t mfa_password_code_body[] = {
	{ "password", JV_STRING, true, false, 1, 100000, NULL, NULL },
	{ "code", JV_STRING, true, false, 1, 100, NULL, NULL },
	JV_END,
};


#define NAME(req) { "name", JV_STRING, req, false, 1, 200, NULL, NULL }
#define TEXT(n, max) { n, JV_STRING, false, true, 0, max, NULL, NULL }
#define REF(n, req) { n, JV_UUID, req, !(req), 0, 0, NULL, NULL }

static const jsonv_field_t customer_body[] = {
	NAME(true), TEXT("contact_name", 200), { "email", JV_EMAIL, false, true, 0, 0, NULL, NULL },
	TEXT("phone", 40), TEXT("notes", 5000), JV_END,
};
static const jsonv_field_t region_body[] = { NAME(true), JV_END };
static const jsonv_field_t project_body[] = {
	REF("customer_id", true), NAME(true), TEXT("address", 300), TEXT("zip", 20), REF("region_id", false),
	TEXT("notes", 5000), JV_END,
};
static const jsonv_field_t employee_body[] = {
	NAME(true), { "trade", JV_ENUM, false, true, 0, 0, vocab_trades, NULL }, TEXT("phone", 40),
	{ "email", JV_EMAIL, false, true, 0, 0, NULL, NULL }, REF("region_id", false),
	{ "active", JV_BOOL, false, false, 0, 0, NULL, NULL },
	{ "channel", JV_ENUM, false, false, 0, 0, vocab_employee_channels, NULL }, JV_END,
};
static const jsonv_field_t crew_body[] = { NAME(true), REF("region_id", false), REF("foreman_id", false), JV_END };
static const jsonv_field_t crew_members_body[] = {
	{ "employee_ids", JV_UUID_ARRAY, true, false, 0, 500, NULL, NULL }, JV_END,
};
static const jsonv_field_t pour_body[] = {
	REF("project_id", true), { "scheduled_date", JV_DATE, true, false, 0, 0, NULL, NULL },
	{ "start_time", JV_TIME, false, true, 0, 0, NULL, NULL }, { "volume_cy", JV_DECIMAL, true, false, 0, 0, NULL, NULL },
	{ "mix", JV_STRING, true, false, 1, 100, NULL, NULL }, { "pump", JV_BOOL, false, false, 0, 0, NULL, NULL },
	REF("crew_id", false), { "crew_size_needed", JV_INT, false, false, 0, 1000, NULL, NULL },
	{ "status", JV_ENUM, false, false, 0, 0, vocab_pour_statuses, NULL }, TEXT("notes", 5000), JV_END,
};
static const jsonv_field_t cancel_body[] = { TEXT("reason", 500), JV_END };
static const jsonv_field_t assignment_body[] = {
	REF("employee_id", true), { "date", JV_DATE, false, false, 0, 0, NULL, NULL }, REF("pour_id", false),
	TEXT("role", 100), JV_END,
};
static const jsonv_field_t reminder_body[] = {
	{ "remind_at", JV_TIMESTAMP, true, false, 0, 0, NULL, NULL }, { "channel", JV_ENUM, true, false, 0, 0, vocab_channels, NULL },
	{ "to", JV_STRING, true, false, 1, 320, NULL, NULL }, { "message", JV_STRING, true, false, 1, 2000, NULL, NULL },
	{ "subject_type", JV_ENUM, false, true, 0, 0, vocab_subject_types, NULL }, REF("subject_id", false), JV_END,
};
static const jsonv_field_t trip_body[] = {
	REF("customer_id", true), NAME(true), { "start_date", JV_DATE, true, false, 0, 0, NULL, NULL },
	{ "end_date", JV_DATE, true, false, 0, 0, NULL, NULL }, TEXT("destination", 200),
	{ "status", JV_ENUM, false, false, 0, 0, vocab_trip_statuses, NULL }, TEXT("notes", 5000), JV_END,
};
#define TRAVELER_FIELDS                                                                                      \
	NAME(true), { "birth_date", JV_DATE, false, true, 0, 0, NULL, NULL }, TEXT("contact", 200),          \
		TEXT("notes", 2000)
static const jsonv_field_t traveler_body[] = { REF("trip_id", true), TRAVELER_FIELDS, JV_END };
static const jsonv_field_t trip_traveler_body[] = { TRAVELER_FIELDS, JV_END };
static const jsonv_field_t trip_reminders_body[] = {
	{ "template", JV_ENUM, true, false, 0, 0, vocab_trip_templates, NULL },
	{ "channel", JV_ENUM, true, false, 0, 0, vocab_channels, NULL }, { "to", JV_STRING, true, false, 1, 320, NULL, NULL },
	{ "at", JV_TIME, false, false, 0, 0, NULL, NULL }, JV_END,
};

static const jsonv_field_t schedule_send_body[] = {
	{ "date", JV_DATE, true, false, 0, 0, NULL, NULL },
	{ "employee_ids", JV_UUID_ARRAY, false, false, 0, 500, NULL, NULL }, JV_END,
};

static const jsonv_field_t branding_body[] = { { "primary_color", JV_COLOR, false, true, 0, 0, NULL, NULL }, JV_END };
static const jsonv_field_t workspace_body[] = {
	{ "name", JV_STRING, false, false, 1, 100, NULL, NULL }, { "timezone", JV_STRING, false, false, 1, 64, NULL, NULL },
	{ "branding", JV_OBJECT, false, false, 0, 0, NULL, branding_body },
	{ "require_mfa_for_admins", JV_BOOL, false, false, 0, 0, NULL, NULL },
	{ "sheets_send_at", JV_TIME, false, true, 0, 0, NULL, NULL },
	{ "kind", JV_ENUM, false, false, 0, 0, vocab_workspace_kinds, NULL }, JV_END,
};
static const jsonv_field_t member_body[] = { { "role", JV_ENUM, true, false, 0, 0, vocab_roles, NULL }, JV_END };
static const jsonv_field_t invitation_body[] = {
	{ "email", JV_EMAIL, true, false, 0, 0, NULL, NULL }, { "role", JV_ENUM, true, false, 0, 0, vocab_roles, NULL }, JV_END,
};
static const jsonv_field_t accept_body[] = {
	{ "token", JV_STRING, true, false, 1, 200, NULL, NULL }, { "name", JV_STRING, false, false, 1, 100, NULL, NULL },
	{ "password", JV_STRING, false, false, 0, 100000, NULL, NULL }, JV_END,
};
static const jsonv_field_t workspace_delete_body[] = {
	{ "slug", JV_STRING, true, false, 1, 100, NULL, NULL }, { "password", JV_STRING, true, false, 1, 100000, NULL, NULL },
	{ "code", JV_STRING, false, false, 1, 100, NULL, NULL }, JV_END,
};

static const jsonv_field_t checkout_body[] = { { "plan", JV_STRING, false, false, 1, 40, NULL, NULL }, JV_END };

/* The five routes of a collection of API.md "Operating data". */
#define COLLECTION(path, res, body, what)                                                                     \
	{ "GET", V1 path, rec_list, AUTH_SESSION, ROLE_VIEWER, NULL, TX | R1, "list " what, "200", &res },     \
	{ "POST", V1 path, rec_create, AUTH_SESSION, ROLE_SCHEDULER, body, TX | W, "create a " what, "201", &res }, \
	{ "GET", V1 path "/{id}", rec_get, AUTH_SESSION, ROLE_VIEWER, NULL, TX | R1, "one " what, "200", &res },\
	{ "PATCH", V1 path "/{id}", rec_update, AUTH_SESSION, ROLE_SCHEDULER, body, TX | W | ROUTE_PARTIAL,      \
	  "change a " what, "200", &res },                                                                     \
	{ "DELETE", V1 path "/{id}", rec_delete, AUTH_SESSION, ROLE_SCHEDULER, NULL, TX | W, "delete a " what, "204", &res }
#define W ROUTE_WRITE

const route_t routes[] = {
	/* service */
	{ "GET", "/healthz", api_healthz, AUTH_NONE, ROLE_NONE, NULL, ROUTE_ROOT, "liveness", "200", NULL },
	{ "GET", "/.well-known/security.txt", api_security_txt, AUTH_NONE, ROLE_NONE, NULL, ROUTE_ROOT, "where to report a vulnerability (RFC 9116)", "200", NULL },
	{ "GET", "/readyz", api_readyz, AUTH_NONE, ROLE_NONE, NULL, ROUTE_ROOT, "readiness: the database answers", "200", NULL },
	{ "GET", V1 "/openapi.json", api_openapi, AUTH_NONE, ROLE_NONE, NULL, 0, "this contract, OpenAPI 3.1", "200", NULL },
	{ "POST", V1 "/csp-report", api_csp_report, AUTH_NONE, ROLE_NONE, NULL, ROUTE_RAW_BODY, "CSP violation reports", "204", NULL },

	/* authentication */
	{ "POST", V1 "/auth/signup", api_signup, AUTH_NONE, ROLE_NONE, signup_body, TX, "create a workspace and its owner", "202", NULL },
	{ "POST", V1 "/auth/confirm", api_confirm, AUTH_NONE, ROLE_NONE, token_body, TX, "confirm an email address", "200", NULL },
	{ "POST", V1 "/auth/confirm/resend", api_confirm_resend, AUTH_NONE, ROLE_NONE, email_body, TX, "send the confirmation again", "202", NULL },
	{ "POST", V1 "/auth/login", api_login, AUTH_NONE, ROLE_NONE, login_body, TX, "sign in", "200", NULL },
	{ "POST", V1 "/auth/refresh", api_refresh, AUTH_NONE, ROLE_NONE, refresh_body, TX | ROUTE_BODY_OPTIONAL | ROUTE_SAME_ORIGIN, "rotate the refresh token", "200", NULL },
	{ "POST", V1 "/auth/logout", api_logout, AUTH_SESSION, ROLE_VIEWER, NULL, TX | MFAX, "end this session", "204", NULL },
	{ "POST", V1 "/auth/password/forgot", api_password_forgot, AUTH_NONE, ROLE_NONE, forgot_body, TX, "mail a reset link", "202", NULL },
	{ "POST", V1 "/auth/password/reset", api_password_reset, AUTH_NONE, ROLE_NONE, reset_body, TX, "set a new password with a reset link", "204", NULL },
	{ "POST", V1 "/auth/password/change", api_password_change, AUTH_SESSION, ROLE_VIEWER, change_body, TX | MFAX | NOIMP, "change the password", "204", NULL },

	/* the signed-in user */
	{ "GET", V1 "/me", api_me_get, AUTH_SESSION, ROLE_VIEWER, NULL, TX | MFAX | R1, "who is signed in", "200", NULL },
	{ "PATCH", V1 "/me", api_me_patch, AUTH_SESSION, ROLE_VIEWER, me_patch_body, TX | MFAX, "change my name", "200", NULL },
	{ "DELETE", V1 "/me", api_me_delete, AUTH_SESSION, ROLE_VIEWER, me_delete_body, TX | MFAX | NOIMP, "delete my account", "204", NULL },
	{ "GET", V1 "/me/sessions", api_me_sessions, AUTH_SESSION, ROLE_VIEWER, NULL, TX | MFAX, "my sessions in this workspace", "200", NULL },
	{ "GET", V1 "/me/export", api_me_export, AUTH_SESSION, ROLE_VIEWER, NULL, TX | MFAX | NOIMP, "a copy of my data", "200", NULL },
	{ "POST", V1 "/me/email", api_me_email, AUTH_SESSION, ROLE_VIEWER, me_email_body, TX | MFAX | NOIMP, "change my sign-in address (a link to the new one)", "202", NULL },
	{ "POST", V1 "/auth/email/confirm", api_email_confirm, AUTH_NONE, ROLE_NONE, token_body, TX, "confirm a new sign-in address", "200", NULL },
	{ "DELETE", V1 "/me/sessions/{id}", api_me_session_delete, AUTH_SESSION, ROLE_VIEWER, NULL, TX | MFAX | NOIMP, "end one of my sessions", "204", NULL },

	/* two-factor authentication */
	{ "POST", V1 "/auth/mfa/verify", api_mfa_verify, AUTH_NONE, ROLE_NONE, mfa_verify_body, TX, "sign in: the second factor", "200", NULL },
	{ "POST", V1 "/me/mfa/totp", api_mfa_totp_start, AUTH_SESSION, ROLE_VIEWER, password_body, TX | MFAX | NOIMP, "start TOTP enrolment", "200", NULL },
	{ "POST", V1 "/me/mfa/totp/activate", api_mfa_totp_activate, AUTH_SESSION, ROLE_VIEWER, mfa_code_body, TX | MFAX | NOIMP, "turn TOTP on with a code", "200", NULL },
	{ "DELETE", V1 "/me/mfa/totp", api_mfa_totp_delete, AUTH_SESSION, ROLE_VIEWER, mfa_password_code_body, TX | MFAX | NOIMP, "turn TOTP off", "204", NULL },
	{ "POST", V1 "/me/mfa/recovery-codes", api_mfa_recovery_codes, AUTH_SESSION, ROLE_VIEWER, mfa_password_code_body, TX | MFAX | NOIMP, "replace the recovery codes", "200", NULL },

	/* workspace, members, invitations */
	{ "GET", V1 "/workspace", api_workspace_get, AUTH_SESSION, ROLE_VIEWER, NULL, TX, "this workspace", "200", NULL },
	{ "PATCH", V1 "/workspace", api_workspace_patch, AUTH_SESSION, ROLE_ADMIN, workspace_body, TX | W | NOIMP | ROUTE_PARTIAL, "change settings and branding", "200", NULL },
	{ "GET", V1 "/members", rec_list, AUTH_SESSION, ROLE_ADMIN, NULL, TX, "members and their roles", "200", &res_members },
	{ "PATCH", V1 "/members/{user_id}", api_member_patch, AUTH_SESSION, ROLE_ADMIN, member_body, TX | W | NOIMP, "change a member's role", "200", NULL },
	{ "DELETE", V1 "/members/{user_id}", api_member_delete, AUTH_SESSION, ROLE_ADMIN, NULL, TX | W | NOIMP, "remove a member", "204", NULL },
	{ "POST", V1 "/invitations", api_invitation_create, AUTH_SESSION, ROLE_ADMIN, invitation_body, TX | W | NOIMP, "invite by email", "201", NULL },
	{ "GET", V1 "/invitations", rec_list, AUTH_SESSION, ROLE_ADMIN, NULL, TX | NOIMP, "pending invitations", "200", &res_invitations },
	{ "DELETE", V1 "/invitations/{id}", api_invitation_delete, AUTH_SESSION, ROLE_ADMIN, NULL, TX | W | NOIMP, "revoke an invitation", "204", NULL },
	{ "POST", V1 "/invitations/accept", api_invitation_accept, AUTH_NONE, ROLE_NONE, accept_body, TX, "accept an invitation", "201", NULL },

	/* audit log */
	{ "GET", V1 "/audit", rec_list, AUTH_SESSION, ROLE_ADMIN, NULL, TX, "the audit log, newest first", "200", &res_audit },
	{ "GET", V1 "/audit/verify", api_audit_verify, AUTH_SESSION, ROLE_ADMIN, NULL, TX, "recompute the hash chain", "200", NULL },
	{ "GET", V1 "/audit/export.csv", api_audit_csv, AUTH_SESSION, ROLE_ADMIN, NULL, TX, "the audit log as CSV", "200", NULL },

	/* trust operations */
	{ "POST", V1 "/auth/impersonation/redeem", api_impersonation_redeem, AUTH_NONE, ROLE_NONE, token_body, TX, "start a staff session with its single-use link", "200", NULL },
	{ "GET", V1 "/workspace/impersonations", api_impersonation_list, AUTH_SESSION, ROLE_ADMIN, NULL, TX, "staff access to this workspace, newest first", "200", &res_impersonations },
	{ "DELETE", V1 "/workspace/impersonations/{id}", api_impersonation_revoke, AUTH_SESSION, ROLE_ADMIN, NULL, TX | NOIMP, "end a staff access at once", "204", NULL },
	{ "DELETE", V1 "/workspace", api_workspace_delete, AUTH_SESSION, ROLE_OWNER, workspace_delete_body, TX | NOIMP, "delete the workspace and everything in it", "204", NULL },
	{ "GET", V1 "/exports/schedule.xlsx", api_export_schedule, AUTH_SESSION, ROLE_VIEWER, NULL, TX, "the pours of a date range as a workbook", "200", NULL },
	{ "GET", V1 "/exports/manpower.xlsx", api_export_manpower, AUTH_SESSION, ROLE_VIEWER, NULL, TX, "the manpower projection as a workbook", "200", NULL },
	{ "GET", V1 "/exports/trips.xlsx", api_export_trips, AUTH_SESSION, ROLE_VIEWER, NULL, TX, "the trips of a date range as a workbook", "200", NULL },
	{ "GET", V1 "/exports/travelers.xlsx", api_export_travelers, AUTH_SESSION, ROLE_VIEWER, NULL, TX, "the travelers of a date range's trips as a workbook", "200", NULL },
	{ "GET", V1 "/exports/workspace.json", api_export_workspace, AUTH_SESSION, ROLE_ADMIN, NULL, TX | NOIMP, "every record, the members and the audit log", "200", NULL },

	/* operating data */
	COLLECTION("/customers", res_customers, customer_body, "customer"),
	COLLECTION("/regions", res_regions, region_body, "region"),
	COLLECTION("/projects", res_projects, project_body, "project"),
	COLLECTION("/employees", res_employees, employee_body, "employee"),
	COLLECTION("/crews", res_crews, crew_body, "crew"),
	{ "PUT", V1 "/crews/{id}/members", rec_crew_members, AUTH_SESSION, ROLE_SCHEDULER, crew_members_body, TX | W, "set a crew's members", "200", &res_crews },
	COLLECTION("/pours", res_pours, pour_body, "pour"),
	{ "POST", V1 "/pours/{id}/cancel", rec_pour_cancel, AUTH_SESSION, ROLE_SCHEDULER, cancel_body, TX | W | ROUTE_BODY_OPTIONAL, "cancel a pour", "200", &res_pours },
	COLLECTION("/assignments", res_assignments, assignment_body, "assignment"),
	COLLECTION("/reminders", res_reminders, reminder_body, "reminder"),
	COLLECTION("/trips", res_trips, trip_body, "trip"),
	{ "GET", V1 "/trips/{id}/travelers", rec_trip_travelers, AUTH_SESSION, ROLE_VIEWER, NULL, TX, "a trip's travelers", "200", &res_trips },
	{ "POST", V1 "/trips/{id}/travelers", rec_trip_traveler_create, AUTH_SESSION, ROLE_SCHEDULER, trip_traveler_body, TX | W, "add a traveler to a trip", "201", &res_trips },
	{ "POST", V1 "/trips/{id}/reminders", rec_trip_reminders, AUTH_SESSION, ROLE_SCHEDULER, trip_reminders_body, TX | W, "make a trip's reminders from a template", "201", &res_trips },
	COLLECTION("/travelers", res_travelers, traveler_body, "traveler"),
	{ "GET", V1 "/manpower", rec_manpower, AUTH_SESSION, ROLE_VIEWER, NULL, TX | R1, "the manpower projection", "200", NULL },
	{ "POST", V1 "/pours/{id}/notify", api_pour_notify, AUTH_SESSION, ROLE_SCHEDULER, NULL, TX | W, "mail the pour's crew its details", "202", NULL },
	{ "GET", V1 "/pours/{id}/weather", api_pour_weather, AUTH_SESSION, ROLE_VIEWER, NULL, TX, "the forecast for the pour's date and ZIP", "200", NULL },
	/* sending the schedule to the crews (tests/api/test_sendout.py) */
	{ "POST", V1 "/schedule/send", api_schedule_send, AUTH_SESSION, ROLE_SCHEDULER, schedule_send_body, TX | W, "send a date's day sheets to the people assigned", "200", NULL },
	{ "GET", V1 "/schedule/sheets", api_schedule_sheets, AUTH_SESSION, ROLE_VIEWER, NULL, TX, "preview a date's day sheets", "200", NULL },
	{ "POST", V1 "/employees/{id}/crew-link", api_crew_link_create, AUTH_SESSION, ROLE_ADMIN, NULL, TX | W | NOIMP, "make (or rotate) an employee's read-only crew link", "201", NULL },
	{ "GET", V1 "/employees/{id}/crew-link", api_crew_link_get, AUTH_SESSION, ROLE_ADMIN, NULL, TX, "an employee's crew link, without its token", "200", NULL },
	{ "DELETE", V1 "/employees/{id}/crew-link", api_crew_link_revoke, AUTH_SESSION, ROLE_ADMIN, NULL, TX | W | NOIMP, "revoke an employee's crew link at once", "204", NULL },

	{ "POST", V1 "/crew/schedule", api_crew_schedule, AUTH_NONE, ROLE_NONE, token_body, TX | ROUTE_CREW, "the next 14 days of a crew link's employee", "200", NULL },

	/* billing and jobs */
	{ "POST", V1 "/billing/webhook", api_billing_webhook, AUTH_NONE, ROLE_NONE, NULL, TX | ROUTE_RAW_BODY | ROUTE_JOBS, "payment processor events (signed)", "200", NULL },
	{ "GET", V1 "/billing", api_billing_get, AUTH_SESSION, ROLE_OWNER, NULL, TX | NOIMP, "the subscription", "200", NULL },
	/* not ROUTE_WRITE: the owner of a suspended workspace subscribes to lift it (tests/api/test_billing.py) */
	{ "POST", V1 "/billing/checkout", api_billing_checkout, AUTH_SESSION, ROLE_OWNER, checkout_body, TX | NOIMP | ROUTE_BODY_OPTIONAL, "a checkout page of the payment processor to subscribe", "200", NULL },
	{ "POST", V1 "/billing/portal", api_billing_portal, AUTH_SESSION, ROLE_OWNER, NULL, TX | NOIMP, "the payment processor's portal: card, plan, cancellation", "200", NULL },
	{ "GET", V1 "/billing/invoices", api_billing_invoices, AUTH_SESSION, ROLE_OWNER, NULL, TX | NOIMP, "the processor's invoices with their receipts", "200", NULL },
	{ "POST", V1 "/internal/cron/reminders", api_cron_reminders, AUTH_CRON, ROLE_NONE, NULL, 0, "send due reminders", "200", NULL },
	{ "POST", V1 "/internal/cron/retention", api_cron_retention, AUTH_CRON, ROLE_NONE, NULL, TX, "delete workspaces suspended over 30 days", "200", NULL },
	{ "POST", V1 "/internal/cron/privacy", api_cron_privacy, AUTH_CRON, ROLE_NONE, NULL, TX, "drop personal data past its retention period", "200", NULL },
};

const size_t routes_count = ARRAY_LEN(routes);
