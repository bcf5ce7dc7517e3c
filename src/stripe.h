/* Verifying a payment-processor webhook signed as Stripe signs them:
 * Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>[,v1=...]
 * keyed with the whole signing secret (whsec_ included). Pure. */
#ifndef PLANYARD_STRIPE_H
#define PLANYARD_STRIPE_H

#include <time.h>
#include "common.h"

/* 0 when one v1 signature matches (constant-time) and t is within tolerance seconds of now;
 * -1 otherwise. */
int stripe_verify(const char *header, const char *payload, size_t len, const char *secret, time_t now,
		  long tolerance) WUR;

#endif
