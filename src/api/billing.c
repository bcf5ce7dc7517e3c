#include "billing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../app.h"
#include "../db.h"
#include "../log.h"
#include "../mail.h"
#include "../stripe.h"
#include "reply.h"

/* Stripe refuses a trial_end less than 48 hours away: a trial closer to its end than that
 * (and a minute of slack) is charged at once instead. */
#define TRIAL_END_MIN_S (48 * 3600 + 60)

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
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return reply_db_fault(r);
	}
	json_t *b = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	if (!json_is_object(b)) {
		json_decref(b);
		return reply_db_fault(r);
	}
	/* the plans checkout offers: none while no processor is configured */
	json_object_set_new(b, "plans", stripe_plans_json(app_settings->stripe_secret_key ? app_settings->stripe_prices : NULL));
	req_json(r, 200, b);
	return 0;
}

/* ---- checkout, portal, invoices: the processor's HTTP API, called on the work pool ---- */

enum call_kind { CALL_CHECKOUT, CALL_PORTAL, CALL_INVOICES };

struct call {
	enum call_kind kind;
	struct stripe_checkout checkout;
	const char *customer, *return_url, *after;
	long limit;
	char *url;      /* the answer of checkout and portal (malloc) */
	json_t *list;   /* the answer of invoices */
	char err[256];
};

static int unavailable(req_t *r, const char *detail)
{
	req_problem(r, 503, "billing_unavailable", detail);
	return 0;
}

static const char *page_url(req_t *r, const char *query)
{
	const char *base = app_settings->public_url ? app_settings->public_url : "https://localhost:8443";
	size_t n = strlen(base);
	return arena_printf(&r->arena, "%.*s/admin/billing%s", (int)(n && base[n - 1] == '/' ? n - 1 : n), base, query);
}

/* The caller's billing account: 0 with res holding its one row (tenant_id, customer_id,
 * subscribed, trial_end, email), or -1 with the answer set. */
static int account(req_t *r, PGresult **res)
{
	static db_stmt_t q = DB_STMT("select tenant_id, customer_id, subscribed, trial_end, email from app.billing_account()");
	if (db_run(r->db, &q, 0, NULL, res) < 0) {
		reply_db_error(r, NULL, *res, false);
		return -1;
	}
	if (PQntuples(*res) != 1) {
		PQclear(*res);
		reply_db_fault(r);
		return -1;
	}
	return 0;
}

static char *cell(req_t *r, PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : arena_strdup(&r->arena, PQgetvalue(res, 0, col));
}

static void call_job(req_t *r)
{
	struct call *c = r->cont_data;
	const settings_t *s = app_settings;
	int rc;
	if (c->kind == CALL_CHECKOUT)
		rc = stripe_checkout(s, &c->checkout, &c->url, c->err, sizeof c->err);
	else if (c->kind == CALL_PORTAL)
		rc = stripe_portal(s, c->customer, c->return_url, &c->url, c->err, sizeof c->err);
	else
		rc = stripe_invoices(s, c->customer, c->limit, c->after, &c->list, c->err, sizeof c->err);
	if (rc < 0)
		log_warn("payment processor call failed: %s", c->err);
}

static json_t *str_or_null(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_incref(v) : json_null();
}

static json_t *invoice_json(json_t *in)
{
	char at[32] = "";
	json_t *created = json_object_get(in, "created");
	if (json_is_integer(created)) {
		time_t t = (time_t)json_integer_value(created);
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	json_t *paid = json_object_get(in, "amount_paid"), *due = json_object_get(in, "amount_due");
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o?,s:o,s:o}", "id", str_or_null(in, "id"), "number",
			 str_or_null(in, "number"), "status", str_or_null(in, "status"), "amount_paid",
			 json_is_integer(paid) ? json_incref(paid) : json_null(), "amount_due",
			 json_is_integer(due) ? json_incref(due) : json_null(), "currency", str_or_null(in, "currency"),
			 "created", at[0] ? json_string(at) : json_null(), "hosted_invoice_url",
			 str_or_null(in, "hosted_invoice_url"), "invoice_pdf", str_or_null(in, "invoice_pdf"));
}

static int call_finish(req_t *r)
{
	struct call *c = r->cont_data;
	if (c->kind != CALL_INVOICES) {
		if (!c->url)
			return unavailable(r, "the payment processor can't be reached; try again shortly");
		json_t *out = json_pack("{s:s}", "url", c->url);
		free(c->url);
		c->url = NULL;
		req_json(r, 200, out);
		return 0;
	}
	if (!c->list)
		return unavailable(r, "the payment processor can't be reached; try again shortly");
	json_t *data = json_array(), *in;
	size_t i;
	const char *last = NULL;
	json_array_foreach(json_object_get(c->list, "data"), i, in) {
		if (!json_is_object(in) || !stripe_id_valid(json_string_value(json_object_get(in, "id"))))
			continue;
		json_array_append_new(data, invoice_json(in));
		last = json_string_value(json_object_get(in, "id"));
	}
	bool more = json_is_true(json_object_get(c->list, "has_more"));
	json_t *out = json_pack("{s:o,s:s?}", "data", data, "next_cursor", more && last ? last : NULL);
	json_decref(c->list);
	c->list = NULL;
	req_json(r, 200, out);
	return 0;
}

static int suspend_call(req_t *r, struct call *c)
{
	r->cont_data = c;
	r->job = call_job;
	r->cont = call_finish;
	return REQ_SUSPENDED;
}

static struct call *new_call(req_t *r, enum call_kind kind)
{
	struct call *c = arena_alloc(&r->arena, sizeof *c);
	if (c) {
		memset(c, 0, sizeof *c);
		c->kind = kind;
	}
	return c;
}

int api_billing_checkout(req_t *r)
{
	const settings_t *s = app_settings;
	if (!s->stripe_secret_key || !s->stripe_prices)
		return unavailable(r, "no payment processor is configured on this server");
	const char *want = req_json_str(r, "plan");
	char plan[48], price[256];
	if (stripe_price_for(s->stripe_prices, want, plan, sizeof plan, price, sizeof price) < 0)
		return reply_field_error(r, "plan", "unknown_plan", "no such plan; GET /billing lists the plans");
	PGresult *res;
	if (account(r, &res) < 0)
		return 0;
	bool subscribed = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	struct call *c = new_call(r, CALL_CHECKOUT);
	if (subscribed || !c) {
		PQclear(res);
		if (!c)
			return reply_db_fault(r);
		req_problem(r, 409, "already_subscribed", "the workspace has a subscription: change it in the portal");
		return 0;
	}
	c->checkout.workspace_id = cell(r, res, 0);
	c->checkout.customer = cell(r, res, 1);
	c->checkout.email = cell(r, res, 4);
	long long trial_end = PQgetisnull(res, 0, 3) ? 0 : strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	PQclear(res);
	if (c->checkout.customer && !stripe_id_valid(c->checkout.customer))
		c->checkout.customer = NULL;
	c->checkout.trial_end = trial_end > (long long)time(NULL) + TRIAL_END_MIN_S ? trial_end : 0;
	c->checkout.plan = arena_strdup(&r->arena, plan);
	c->checkout.price = arena_strdup(&r->arena, price);
	c->checkout.success_url = page_url(r, "?checkout=done");
	c->checkout.cancel_url = page_url(r, "?checkout=canceled");
	if (!c->checkout.workspace_id || !c->checkout.plan || !c->checkout.price || !c->checkout.success_url ||
	    !c->checkout.cancel_url)
		return reply_db_fault(r);
	return suspend_call(r, c);
}

int api_billing_portal(req_t *r)
{
	if (!app_settings->stripe_secret_key)
		return unavailable(r, "no payment processor is configured on this server");
	PGresult *res;
	if (account(r, &res) < 0)
		return 0;
	struct call *c = new_call(r, CALL_PORTAL);
	if (!c) {
		PQclear(res);
		return reply_db_fault(r);
	}
	c->customer = cell(r, res, 1);
	PQclear(res);
	if (!c->customer || !stripe_id_valid(c->customer)) {
		req_problem(r, 409, "no_customer", "the workspace has no account at the payment processor yet: subscribe first");
		return 0;
	}
	c->return_url = page_url(r, "");
	return c->return_url ? suspend_call(r, c) : reply_db_fault(r);
}

int api_billing_invoices(req_t *r)
{
	const char *v = req_query(r, "limit"), *after = req_query(r, "cursor");
	long limit = 50;
	if (v) {
		char *end;
		errno = 0;
		limit = strtol(v, &end, 10);
		if (errno || !*v || *end || limit < 1 || limit > 200)
			return reply_field_problem(r, 400, "validation_failed", "limit must be a whole number from 1 to 200",
						   "limit", "invalid", "limit must be a whole number from 1 to 200");
	}
	if (after && !stripe_id_valid(after))
		return reply_field_problem(r, 400, "invalid_cursor", "the cursor is not one this server gave", "cursor",
					   "invalid", "the cursor is not one this server gave");
	if (!app_settings->stripe_secret_key)
		return unavailable(r, "no payment processor is configured on this server");
	PGresult *res;
	if (account(r, &res) < 0)
		return 0;
	struct call *c = new_call(r, CALL_INVOICES);
	if (!c) {
		PQclear(res);
		return reply_db_fault(r);
	}
	c->customer = cell(r, res, 1);
	PQclear(res);
	if (!c->customer || !stripe_id_valid(c->customer)) {
		req_json(r, 200, json_pack("{s:[],s:n}", "data", "next_cursor"));
		return 0;
	}
	c->limit = limit > 100 ? 100 : limit;
	c->after = after ? arena_strdup(&r->arena, after) : NULL;
	return suspend_call(r, c);
}

/* ---- the trial clock (run by /internal/cron/reminders) ---- */

static const char trial_sign_off[] =
	"\n\nWithout a subscription a workspace is read-only from the end of its trial, and is deleted 30 "
	"days later with everything in it. You get this mail because you own the workspace.\n";

/* The mail of a step of the clock: its subject, and its body in the arena (NULL: no such step,
 * or out of memory). */
static char *trial_mail(arena_t *a, const char *stage, const char *name, const char *end, const char *link,
			const char **subject)
{
	/* "2026-12-21T14:00:00Z" shown as "2026-12-21 14:00 UTC" */
	char when[32];
	snprintf(when, sizeof when, "%.10s %.5s UTC", end, strlen(end) >= 16 ? end + 11 : "");
	if (strcmp(stage, "reminded_3d") == 0) {
		*subject = "Your Planyard trial ends in 3 days";
		return arena_printf(a,
			"Hello,\n\nthe free trial of your Planyard workspace \"%s\" ends on %s. To keep planning "
			"without a break, choose a plan under Admin, Billing:\n\n  %s\n\nYou pay by card, Apple Pay, "
			"Google Pay or Link on the payment processor's page; nothing is charged before the trial "
			"ends.%s", name, when, link, trial_sign_off);
	}
	if (strcmp(stage, "reminded_1d") == 0) {
		*subject = "Your Planyard trial ends tomorrow";
		return arena_printf(a,
			"Hello,\n\nthe free trial of your Planyard workspace \"%s\" ends on %s. Choose a plan before "
			"then under Admin, Billing, and nothing changes for your team:\n\n  %s\n\nNothing is charged "
			"before the trial ends.%s", name, when, link, trial_sign_off);
	}
	if (strcmp(stage, "ended") == 0) {
		*subject = "Your Planyard trial has ended: the workspace is read-only";
		return arena_printf(a,
			"Hello,\n\nthe free trial of your Planyard workspace \"%s\" ended on %s. Everything in it can "
			"still be read and exported, but changes are refused until you choose a plan under Admin, "
			"Billing:\n\n  %s%s", name, when, link, trial_sign_off);
	}
	return NULL;
}

int billing_trial_run(db_t *db, int *steps)
{
	static db_stmt_t due = DB_STMT("select tenant_id, stage, name, trial_ends_at from app.trial_due()");
	static db_stmt_t advance = DB_STMT("select app.trial_advance($1::uuid, $2, $3, $4)");
	*steps = 0;
	PGresult *d;
	if (db_run(db, &due, 0, NULL, &d) < 0) {
		if (d)
			PQclear(d);
		return -1;
	}
	const char *base = app_settings->public_url ? app_settings->public_url : "https://localhost:8443";
	size_t bl = strlen(base);
	arena_t arena = { 0 };
	char *link = arena_printf(&arena, "%.*s/admin/billing", (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl), base);
	int rc = link ? 0 : -1;
	for (int i = 0; i < PQntuples(d) && rc == 0; i++) {
		const char *stage = PQgetvalue(d, i, 1), *subject = NULL;
		char *body = trial_mail(&arena, stage, PQgetvalue(d, i, 2), PQgetvalue(d, i, 3), link, &subject);
		if (!body)
			continue;
		const char *sealed = mail_sealed(&arena, body);
		if (!sealed) {
			rc = -1;
			break;
		}
		const char *p[] = { PQgetvalue(d, i, 0), stage, subject, sealed };
		PGresult *a;
		if (db_run(db, &advance, 4, p, &a) < 0) {
			if (a)
				PQclear(a);
			rc = -1;
			break;
		}
		if (strcmp(PQgetvalue(a, 0, 0), "done") != 0)
			(*steps)++;
		PQclear(a);
	}
	PQclear(d);
	arena_release(&arena);
	return rc;
}
