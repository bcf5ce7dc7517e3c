/* Jobs and outside services (API.md "Service endpoints", "Billing", pour notify and weather):
 * cron endpoints for reminders and retention, pour notifications, the payment processor's
 * webhook and GET /billing, forecasts. */
#ifndef PLANYARD_API_OPS_H
#define PLANYARD_API_OPS_H

#include "../db.h"
#include "../http.h"
#include "../settings.h"

int api_cron_reminders(req_t *r);
int api_cron_retention(req_t *r);
int api_pour_notify(req_t *r);
int api_billing_webhook(req_t *r);
int api_billing_get(req_t *r);
int api_pour_weather(req_t *r);

/* The work of the cron endpoints, for `planyard jobs` too: in db's open transaction.
 * 0, or -1 when the database failed. */
int ops_send_reminders(db_t *db, const settings_t *s, int *sent, int *failed) WUR;
int ops_retention(db_t *db, int *deleted) WUR;

#endif
