/* Handlers of API.md "Billing": the payment processor's webhook (signature checked, the
 * event applied once), GET /billing (the subscription and the trial), and the processor's
 * pages an owner is sent to: checkout (subscribe), the portal (card, plan, cancel) and the
 * invoices with their receipts, fetched from the processor and never stored. Also the trial
 * clock of the cron path. */
#ifndef PLANYARD_API_BILLING_H
#define PLANYARD_API_BILLING_H

#include "../db.h"
#include "../http.h"

int api_billing_webhook(req_t *r);
int api_billing_get(req_t *r);
int api_billing_checkout(req_t *r);
int api_billing_portal(req_t *r);
int api_billing_invoices(req_t *r);

/* Takes the trial clock's due steps (reminder mails 3 days and 1 day before a trial's end,
 * the end's suspension), each once, in db's open transaction (the jobs role); *steps is how
 * many were taken. 0, or -1 when a statement failed (the caller rolls back). */
int billing_trial_run(db_t *db, int *steps) WUR;

#endif
