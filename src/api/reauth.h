/* Checking a password again before a sensitive change (disable MFA, delete the workspace,
 * change the password): the slow hash comparison runs on the work pool, off the HTTP worker. */
#ifndef PLANYARD_API_REAUTH_H
#define PLANYARD_API_REAUTH_H

#include <stdbool.h>

#include "../http.h"

/* The password given and the stored hash it must match; both owned by the request's arena. */
struct reauth {
	char *password;
	char *hash;
	bool verified;  /* set by reauth_job */
};

/* A work-pool job (r->job): r->cont_data points at a struct whose first member is a struct
 * reauth; sets its verified. A bad or missing hash verifies nothing. */
void reauth_job(req_t *r);

/* Re-entering the password of a signed-in account (change, DELETE /me): a stolen access
 * token must not allow unlimited guessing. reauth_limited answers 429 and returns 1 when the
 * account used its tries, else 0; reauth_failed counts a wrong one (the count is kept even
 * though the request fails) and returns 0, or answers a database problem. */
int reauth_limited(req_t *r);
int reauth_failed(req_t *r);

#endif
