/* The payment processor, spoken as Stripe speaks it.
 * Verifying a webhook signed as Stripe signs them:
 * Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>[,v1=...]
 * keyed with the whole signing secret (whsec_ included). Pure.
 * Calling its HTTP API (PLANYARD_STRIPE_API_URL, Bearer PLANYARD_STRIPE_SECRET_KEY, form
 * bodies, JSON answers): Checkout Sessions in subscription mode, Customer Portal sessions and
 * the invoice list. Nothing of a card passes through these calls: the processor's pages take
 * it. Each call blocks for at most its timeout (run them on the work pool). */
#ifndef PLANYARD_STRIPE_H
#define PLANYARD_STRIPE_H

#include <jansson.h>
#include <time.h>
#include "common.h"
#include "settings.h"

/* 0 when one v1 signature matches (constant-time) and t is within tolerance seconds of now;
 * -1 otherwise. */
int stripe_verify(const char *header, const char *payload, size_t len, const char *secret, time_t now,
		  long tolerance) WUR;

/* 0 when prices is a well-formed price table ("plan=price_id,plan2=price_id2"), else -1. */
int stripe_prices_valid(const char *prices) WUR;

/* The price id of plan in the table (plan NULL: the first plan) copied into out; 0, or -1 when
 * the table has no such plan. */
int stripe_price_for(const char *prices, const char *plan, char *plan_out, size_t plan_len, char *out,
		     size_t outlen) WUR;

/* The plans' names as a new JSON array (caller decrefs); an empty array without a table. */
json_t *stripe_plans_json(const char *prices);

/* What a Checkout Session is made of. customer (a known processor customer) or email (one to
 * create) names who pays; trial_end (0: none) is when the first charge falls. */
struct stripe_checkout {
	const char *workspace_id, *plan, *price, *customer, *email, *success_url, *cancel_url;
	long long trial_end;
};

/* Creates a Checkout Session in subscription mode; *url (malloc'd, caller frees) is where to
 * send the payer. 0, or -1 with a reason in err (no secret in it). */
int stripe_checkout(const settings_t *s, const struct stripe_checkout *c, char **url, char *err, size_t errlen) WUR;

/* Creates a Customer Portal session for customer, coming back to return_url; *url as above. */
int stripe_portal(const settings_t *s, const char *customer, const char *return_url, char **url, char *err,
		  size_t errlen) WUR;

/* The customer's invoices, newest first, limit (1-100) of them after the invoice id after (or
 * from the newest when NULL): *list is the processor's list object (caller decrefs). */
int stripe_invoices(const settings_t *s, const char *customer, long limit, const char *after, json_t **list,
		    char *err, size_t errlen) WUR;

/* Whether id looks like a processor object id (letters, digits, _; 1-255): the only kind put
 * into its URLs. */
bool stripe_id_valid(const char *id);

#endif
