#include "cron.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../app.h"
#include "../log.h"
#include "../mail.h"
#include "../outbound.h"
#include "reply.h"

#define REMINDER_MAX_ATTEMPTS 3

/* ---- reminders ---- */

int cron_send_reminders(db_t *db, const settings_t *s, int *sent, int *failed)
{
	static db_stmt_t claim = DB_STMT("select tenant_id, id, channel, recipient, message from app.reminders_claim(200)");
	static db_stmt_t done = DB_STMT("select app.reminder_done($1, $2, $3, $4, $5, $6, $7)");
	*sent = *failed = 0;
	PGresult *res;
	if (db_run(db, &claim, 0, NULL, &res) < 0) {
		if (res)
			PQclear(res);
		return -1;
	}
	arena_t arena = { 0 };
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *channel = PQgetvalue(res, i, 2), *to = PQgetvalue(res, i, 3), *msg = PQgetvalue(res, i, 4);
		bool ok = true;
		char err[256] = "";
		const char *outbox = NULL;
		if (strcmp(channel, "sms") == 0 && s->sms_url) {
			ok = outbound_sms(s, to, msg, err, sizeof err) == 0;
		} else {
			/* mail, or an SMS without a service: the outbox delivers it (or files it) */
			outbox = mail_sealed(&arena, msg);
			ok = outbox != NULL;
			if (!ok)
				snprintf(err, sizeof err, "cannot seal the message");
		}
		char max[8];
		snprintf(max, sizeof max, "%d", REMINDER_MAX_ATTEMPTS);
		const char *p[] = { PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), ok ? "true" : "false", err, max,
				    "Reminder from Planyard", outbox };
		PGresult *d;
		if (db_run(db, &done, 7, p, &d) < 0) {
			if (d)
				PQclear(d);
			rc = -1;
			break;
		}
		const char *result = PQgetvalue(d, 0, 0);
		if (strcmp(result, "sent") == 0)
			(*sent)++;
		else if (strcmp(result, "failed") == 0)
			(*failed)++;
		if (!ok)
			log_warn("reminder not sent: %s", err);
		PQclear(d);
	}
	PQclear(res);
	arena_release(&arena);
	return rc;
}

int api_cron_reminders(req_t *r)
{
	int sent, failed;
	if (cron_send_reminders(r->db, app_settings, &sent, &failed) < 0)
		return reply_db_error(r, NULL, NULL, false);
	req_json(r, 200, json_pack("{s:i,s:i}", "sent", sent, "failed", failed));
	return 0;
}

int cron_retention(db_t *db, int *deleted)
{
	static db_stmt_t q = DB_STMT("select app.retention_run()");
	PGresult *res;
	if (db_run(db, &q, 0, NULL, &res) < 0) {
		if (res)
			PQclear(res);
		return -1;
	}
	*deleted = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

int api_cron_retention(req_t *r)
{
	int deleted;
	if (cron_retention(r->db, &deleted) < 0)
		return reply_db_error(r, NULL, NULL, false);
	req_json(r, 200, json_pack("{s:i}", "deleted", deleted));
	return 0;
}

/* ---- privacy: the retention periods of personal data (settings, docs/PRIVACY.md) ---- */

int api_cron_privacy(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.privacy_retention($1::int, $2::int, $3::int, $4::int, $5::int)");
	const settings_t *s = app_settings;
	char d[5][24];
	snprintf(d[0], sizeof d[0], "%ld", s->retention_session_days);
	snprintf(d[1], sizeof d[1], "%ld", s->retention_invitation_days);
	snprintf(d[2], sizeof d[2], "%ld", s->retention_mail_days);
	snprintf(d[3], sizeof d[3], "%ld", s->retention_failed_login_days);
	snprintf(d[4], sizeof d[4], "%ld", s->retention_audit_ip_days);
	const char *p[] = { d[0], d[1], d[2], d[3], d[4] };
	PGresult *res;
	if (db_run(r->db, &q, 5, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	json_t *j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	if (!j)
		return reply_db_fault(r);
	req_json(r, 200, j);
	return 0;
}
