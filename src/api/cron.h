/* Scheduled jobs (API.md "Service endpoints": POST /internal/cron/...): sending due
 * reminders and deleting workspaces suspended for over 30 days. */
#ifndef PLANYARD_API_CRON_H
#define PLANYARD_API_CRON_H

#include "../db.h"
#include "../http.h"
#include "../settings.h"

int api_cron_reminders(req_t *r);
int api_cron_retention(req_t *r);

/* POST /internal/cron/privacy: personal data past its retention period goes (settings
 * PLANYARD_RETENTION_*); 200 {sessions, invitations, mail, failed_logins, audit_ips}. */
int api_cron_privacy(req_t *r);

/* The work of the cron endpoints, for `planyard jobs` too: in db's open transaction.
 * 0, or -1 when the database failed. */
int cron_send_reminders(db_t *db, const settings_t *s, int *sent, int *failed) WUR;
int cron_retention(db_t *db, int *deleted) WUR;
/* Takes the trial clock's due steps (src/api/billing.c) in a transaction of the jobs role's
 * own; *steps is how many. 0, or -1 when the database failed (nothing is taken). */
int cron_trial_clock(int *steps) WUR;
/* The automatic send-out of tomorrow's sheets and the change notices owed, each in a
 * transaction of its own on the jobs connection (POST /internal/cron/reminders and
 * `planyard jobs reminders` run it after the reminders); the counts queued. */
int cron_send_sheets(int *sheets, int *notices) WUR;

#endif
