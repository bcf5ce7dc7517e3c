#include "gate.h"

#include <string.h>

#include "../crypto.h"

static const settings_t *S;

void gate_init(const settings_t *s)
{
	S = s;
}

int gate_authenticate(req_t *r)
{
	req_problem(r, 401, "unauthorized", "sign in first");
	return -1;
}

int gate_authorize(req_t *r)
{
	if (r->auth.role < r->route->min_role) {
		req_problem(r, 403, "forbidden", "your role does not allow this");
		return -1;
	}
	return 0;
}

static const char *bearer(req_t *r)
{
	const char *h = req_header_in(r, "Authorization");
	if (!h || strncmp(h, "Bearer ", 7) != 0)
		return NULL;
	return h + 7;
}

int gate_cron(req_t *r)
{
	const char *t = bearer(r);
	const char *secret = S ? S->cron_secret : NULL;
	if (!t || !secret || !crypto_equal(t, strlen(t), secret, strlen(secret))) {
		req_problem(r, 401, "unauthorized", "the cron secret is required");
		return -1;
	}
	return 0;
}

int gate_tx_session(req_t *r)
{
	req_problem(r, 401, "unauthorized", "sign in first");
	return -1;
}
