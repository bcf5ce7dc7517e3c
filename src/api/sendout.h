/* Sending the schedule to the crews (POST /schedule/send, GET /schedule/sheets), the crew
 * links an admin hands out (/employees/{id}/crew-link), the read-only crew page's data
 * (POST /crew/schedule, with a crew link instead of a session), and the automatic send-out
 * the cron endpoint runs. */
#ifndef PLANYARD_API_SENDOUT_H
#define PLANYARD_API_SENDOUT_H

#include "../db.h"
#include "../http.h"

int api_schedule_send(req_t *r);
int api_schedule_sheets(req_t *r);
int api_crew_link_create(req_t *r);
int api_crew_link_get(req_t *r);
int api_crew_link_revoke(req_t *r);
int api_crew_schedule(req_t *r);

/* Change notices: the database records who is owed one when a pour they got their sheet
 * for moves or is canceled, or they are taken off it (app.sheet_notices, by triggers); these
 * compose, seal and queue them. sendout_notices: the ones owed in the request's workspace,
 * in its transaction (a write handler calls it before answering). 0, or -1 when a statement
 * failed (the transaction is then lost). */
int sendout_notices(req_t *r) WUR;

/* The same for a job, in every workspace, in the caller's transaction; *queued counts the
 * messages. */
int sendout_notices_job(db_t *db, int *queued) WUR;

/* Sends tomorrow's sheets of every workspace whose send-out time has come, each person once
 * per day whichever server runs it; *queued is the number of sheets queued. 0, or -1 when a
 * statement failed (the caller's transaction is then to be rolled back). */
int sendout_run_due(db_t *db, int *queued) WUR;

#endif
