/* Handlers of API.md "Billing": the payment processor's webhook (signature checked, the
 * event applied once) and GET /billing, the subscription. */
#ifndef PLANYARD_API_BILLING_H
#define PLANYARD_API_BILLING_H

#include "../http.h"

int api_billing_webhook(req_t *r);
int api_billing_get(req_t *r);

#endif
