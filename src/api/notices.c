#include "notices.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../db.h"
#include "../mail.h"

static const char sign_off[] =
	"\n\nYou get this mail because you are an owner or admin of the workspace, or because it is "
	"about your own account. If something here was not intended, act now: the workspace's "
	"Members and Staff access pages end any access at once.\n";

static int run(req_t *r, db_stmt_t *q, int n, const char *const *p)
{
	PGresult *res;
	if (db_run(r->db, q, n, p, &res) < 0) {
		if (res)
			PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

static char *now_utc(req_t *r)
{
	char t[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(t, sizeof t, "%Y-%m-%d %H:%M UTC", &tm);
	return arena_strdup(&r->arena, t);
}

static int to_admins(req_t *r, const char *subject, const char *body)
{
	static db_stmt_t q = DB_STMT("select app.notice_admins($1, $2)");
	const char *sealed = mail_sealed(&r->arena, body);
	if (!sealed)
		return -1;
	const char *p[] = { subject, sealed };
	return run(r, &q, 2, p);
}

int notice_role_granted(req_t *r, const char *member, const char *role)
{
	char *body = arena_printf(&r->arena,
		"Hello,\n\n%s was made %s of your Planyard workspace by %s at %s.%s", member, role,
		r->auth.email[0] ? r->auth.email : "another admin", now_utc(r), sign_off);
	char *subject = arena_printf(&r->arena, "Security notice: a new %s in your Planyard workspace", role);
	return body && subject ? to_admins(r, subject, body) : -1;
}

int notice_invited_role(req_t *r, const char *token, const char *member, const char *role)
{
	static db_stmt_t q = DB_STMT("select app.invitation_notice($1, $2, $3)");
	if (!role || (strcmp(role, "admin") != 0 && strcmp(role, "owner") != 0))
		return 0;
	char *body = arena_printf(&r->arena,
		"Hello,\n\n%s accepted an invitation and joined your Planyard workspace as %s at %s.%s", member, role,
		now_utc(r), sign_off);
	char *subject = arena_printf(&r->arena, "Security notice: a new %s in your Planyard workspace", role);
	const char *sealed = body ? mail_sealed(&r->arena, body) : NULL;
	if (!subject || !sealed)
		return -1;
	const char *p[] = { token, subject, sealed };
	return run(r, &q, 3, p);
}

int notice_mfa_off(req_t *r)
{
	char *body = arena_printf(&r->arena,
		"Hello,\n\n%s, an admin of your Planyard workspace, turned off two-factor authentication "
		"at %s. Their account is now protected by a password alone.%s",
		r->auth.email[0] ? r->auth.email : "an admin", now_utc(r), sign_off);
	return body ? to_admins(r, "Security notice: two-factor authentication turned off for an admin", body) : -1;
}

int notice_lockout(req_t *r, const char *email)
{
	static db_stmt_t q = DB_STMT("select app.auth_lockout_notice($1, $2, $3)");
	if (!email)
		return 0;
	char *body = arena_printf(&r->arena,
		"Hello,\n\nyour Planyard account was locked for 15 minutes at %s after 10 sign-ins with a "
		"wrong password (the last from %s). If these were not you, someone is guessing your "
		"password: choose a new, unique one once the lock ends, and turn on two-factor "
		"authentication.\n", now_utc(r), r->ip);
	const char *sealed = body ? mail_sealed(&r->arena, body) : NULL;
	if (!sealed)
		return -1;
	const char *p[] = { email, "Security notice: your Planyard account is locked", sealed };
	return run(r, &q, 3, p);
}

int notice_new_device(req_t *r, const char *session_id)
{
	static db_stmt_t q = DB_STMT("select app.auth_device_notice($1, $2, $3)");
	char ua[201];
	snprintf(ua, sizeof ua, "%s", r->user_agent && *r->user_agent ? r->user_agent : "an unnamed browser");
	for (char *c = ua; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	char *body = arena_printf(&r->arena,
		"Hello,\n\nyour Planyard account was just signed in to from a browser it has not used "
		"before:\n\n  %s\n  from %s at %s\n\nIf this was you, nothing needs doing. If not, change "
		"your password at once and end that session under My account.\n", ua, r->ip, now_utc(r));
	const char *sealed = body ? mail_sealed(&r->arena, body) : NULL;
	if (!sealed)
		return -1;
	const char *p[] = { session_id, "Security notice: a sign-in from a new browser", sealed };
	return run(r, &q, 3, p);
}

int notice_staff_access(req_t *r, const char *impersonation_id)
{
	static db_stmt_t q = DB_STMT("select app.impersonation_notice($1, $2, $3)");
	char *body = arena_printf(&r->arena,
		"Hello,\n\nPlanyard staff started a session in your workspace at %s, with a single-use link "
		"issued for a stated reason. It lasts at most 30 minutes; its staff member and reason are "
		"under Admin, Staff access, where you can end it at once.%s", now_utc(r), sign_off);
	const char *sealed = body ? mail_sealed(&r->arena, body) : NULL;
	if (!sealed)
		return -1;
	const char *p[] = { impersonation_id, "Security notice: staff access to your Planyard workspace", sealed };
	return run(r, &q, 3, p);
}
