#include "billing.h"

#include <string.h>
#include <time.h>

#include "../app.h"
#include "../db.h"
#include "../stripe.h"
#include "reply.h"

int api_billing_webhook(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.billing_apply($1::jsonb)");
	const char *sig = req_header_in(r, "Stripe-Signature");
	const char *body = r->body.data ? r->body.data : "";
	if (stripe_verify(sig, body, r->body.len, app_settings->stripe_webhook_secret, time(NULL), 300) < 0) {
		req_problem(r, 400, "signature_invalid", "the Stripe-Signature header does not verify");
		return 0;
	}
	json_error_t e;
	json_t *ev = json_loadb(body, r->body.len, JSON_REJECT_DUPLICATES, &e);
	bool ok = json_is_object(ev) && json_is_string(json_object_get(ev, "id"));
	json_decref(ev);
	if (!ok) {
		req_problem(r, 400, "invalid_json", "the event is not a JSON object with an id");
		return 0;
	}
	const char *p[] = { body };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	json_t *out = json_pack("{s:b,s:s}", "received", 1, "result", PQgetvalue(res, 0, 0));
	PQclear(res);
	req_json(r, 200, out);
	return 0;
}

int api_billing_get(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.billing_json()");
	PGresult *res;
	if (db_run(r->db, &q, 0, NULL, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	return reply_cell(r, res, 0, 200, "no answer");
}
