#include "cron.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../app.h"
#include "../buf.h"
#include "../db.h"
#include "../log.h"
#include "../mail.h"
#include "../outbound.h"
#include "billing.h"
#include "reply.h"
#include "sendout.h"

#define REMINDER_MAX_ATTEMPTS 3

/* ---- reminders ---- */

/* Each due reminder is claimed with a lease in a statement that commits at once, sent, and its
 * outcome committed in a statement of its own right after the send (app.reminder_done). A call
 * that dies mid-batch (kill -9) has recorded every reminder it sent but the one in flight; the
 * reminders it had not reached were never claimed, and the one it held is due again when its
 * lease runs out. A mail reminder (or an SMS one without a service) is handed to the outbox in
 * the transaction that marks it sent, so it is queued exactly once and the outbox's sender
 * delivers it (src/mail.c says what once means there). An SMS through the service is sent
 * here with the reminder's id as its Idempotency-Key: only a death between the service's 2xx
 * and the mark repeats it, with the same key. */
int cron_send_reminders(db_t *db, const settings_t *s, int *sent, int *failed)
{
	static db_stmt_t claim = DB_STMT(
		"select tenant_id, id, channel, recipient, message from app.reminders_claim(1, $1, $2::uuid[])");
	static db_stmt_t done = DB_STMT("select app.reminder_done($1, $2, $3, $4, $5, $6, $7)");
	*sent = *failed = 0;
	(void)db;
	char lease[24], max[8];
	snprintf(lease, sizeof lease, "%ld", s->send_lease_s);
	snprintf(max, sizeof max, "%d", REMINDER_MAX_ATTEMPTS);
	long timeout_ms = s->send_lease_s * 1000 / 2 > 8000 ? 8000 : s->send_lease_s * 1000 / 2;
	/* what this call has tried, so a failure waits for the next call */
	buf_t skip = BUF_INIT(64 * 1024);
	buf_puts(&skip, "{");
	arena_t arena = { 0 };
	int rc = 0;
	for (int n = 0; n < 200; n++) {
		db_t *jdb = db_thread_for(DB_JOBS);
		buf_puts(&skip, "}");
		const char *cp[] = { lease, skip.failed ? "{}" : skip.data };
		PGresult *res;
		int q = jdb ? db_run(jdb, &claim, 2, cp, &res) : -1;
		skip.len--;
		if (q < 0) {
			if (jdb && res)
				PQclear(res);
			rc = -1;
			break;
		}
		if (PQntuples(res) == 0) {
			PQclear(res);
			break;
		}
		const char *channel = PQgetvalue(res, 0, 2), *to = PQgetvalue(res, 0, 3), *msg = PQgetvalue(res, 0, 4);
		bool ok = true;
		char err[256] = "", key[64];
		const char *outbox = NULL;
		snprintf(key, sizeof key, "r%s", PQgetvalue(res, 0, 1));
		if (strcmp(channel, "sms") == 0 && s->sms_url) {
			ok = outbound_sms_once(s, to, msg, key, timeout_ms, err, sizeof err) == 0;
		} else {
			/* mail, or an SMS without a service: the outbox delivers it (or files it) */
			outbox = mail_sealed(&arena, msg);
			ok = outbox != NULL;
			if (!ok)
				snprintf(err, sizeof err, "cannot seal the message");
		}
		buf_printf(&skip, "%s%s", n ? "," : "", PQgetvalue(res, 0, 1));
		const char *p[] = { PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), ok ? "true" : "false", err, max,
				    "Reminder from Planyard", outbox };
		PGresult *d = NULL;
		jdb = db_thread_for(DB_JOBS);
		if (!jdb || db_run(jdb, &done, 7, p, &d) < 0) {
			if (jdb && d)
				PQclear(d);
			PQclear(res);
			log_warn("reminder %s: the outcome of its send could not be recorded", key + 1);
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
		PQclear(res);
	}
	buf_free(&skip);
	arena_release(&arena);
	return rc;
}

/* One transaction on the jobs connection around fn; 0, or -1 (rolled back). */
static int in_transaction(int (*fn)(db_t *, int *), int *n)
{
	db_t *jdb = db_thread_for(DB_JOBS);
	if (!jdb || db_begin(jdb) < 0)
		return -1;
	if (fn(jdb, n) < 0) {
		db_rollback(jdb);
		return -1;
	}
	return db_commit(jdb) < 0 ? -1 : 0;
}

/* The trial clock: its reminders and ends, each step once (the workspace row is locked while
 * it is taken), in a transaction of its own. */
int cron_trial_clock(int *steps)
{
	*steps = 0;
	if (in_transaction(billing_trial_run, steps) < 0)
		return -1;
	if (*steps > 0)
		log_info("trial clock steps taken: %d", *steps);
	return 0;
}

int cron_send_sheets(int *sheets, int *notices)
{
	/* tomorrow's sheets, claimed and queued in one transaction of their own: a person's row of
	 * the day is claimed together with the outbox rows it queues, so a crash leaves neither;
	 * then the change notices owed after changes made outside a request, taken together with
	 * the messages they queue */
	*sheets = *notices = 0;
	if (in_transaction(sendout_run_due, sheets) < 0 || in_transaction(sendout_notices_job, notices) < 0)
		return -1;
	if (*sheets > 0)
		log_info("day sheets queued by the automatic send-out: %d", *sheets);
	if (*notices > 0)
		log_info("change notices queued: %d", *notices);
	return 0;
}

/* Not one transaction: every reminder commits on its own (above). */
int api_cron_reminders(req_t *r)
{
	int sent, failed, sheets, notices, steps;
	if (cron_send_reminders(NULL, app_settings, &sent, &failed) < 0 || cron_send_sheets(&sheets, &notices) < 0 ||
	    cron_trial_clock(&steps) < 0) {
		req_problem(r, 503, "db_unavailable", "the database is not reachable; try again shortly");
		return 0;
	}
	/* the answer stays API.md's {sent, failed}: the sheets of the automatic send-out, the
	 * change notices and the trial clock's steps are counted in the log (and audited,
	 * schedule.sent, pour.change_notice, workspace.*) */
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
