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

#endif
