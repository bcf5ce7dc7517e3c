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

/* Who got the sheet of a pour, read before the pour changes (arena of the request). */
typedef struct sendout_watch sendout_watch_t;

/* Reads the people of pour_id whose sheet for its date went out: 0 with *out (NULL when
 * there are none), or -1 when the statement failed (the transaction is then aborted). */
int sendout_watch_pour(req_t *r, const char *pour_id, sendout_watch_t **out) WUR;

/* After a change of that pour, in the same transaction: when it moved (another date or start
 * time) or was canceled, queues each of them a short change notice by their channel. 0, or
 * -1 when a statement failed. */
int sendout_pour_changed(req_t *r, sendout_watch_t *w) WUR;

/* Forgets w when the change did not happen (NULL is fine). */
void sendout_watch_drop(sendout_watch_t *w);

/* Sends tomorrow's sheets of every workspace whose send-out time has come, each person once
 * per day whichever server runs it; *queued is the number of sheets queued. 0, or -1 when a
 * statement failed (the caller's transaction is then to be rolled back). */
int sendout_run_due(db_t *db, int *queued) WUR;

#endif
