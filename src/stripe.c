#include "stripe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "outbound.h"

int stripe_verify(const char *header, const char *payload, size_t len, const char *secret, time_t now,
		  long tolerance)
{
	if (!header || !secret || strlen(header) > 4096)
		return -1;
	long long t = -1;
	const char *p = header;
	/* first pass: the timestamp */
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n > 2 && p[0] == 't' && p[1] == '=') {
			char *end;
			long long v = strtoll(p + 2, &end, 10);
			if (end == p + n && v > 0)
				t = v;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (t < 0 || llabs((long long)now - t) > tolerance)
		return -1;
	buf_t signed_payload = BUF_INIT(2u << 20);
	buf_printf(&signed_payload, "%lld.", t);
	buf_append(&signed_payload, payload, len);
	if (signed_payload.failed) {
		buf_free(&signed_payload);
		return -1;
	}
	unsigned char mac[32];
	crypto_hmac_sha256(secret, strlen(secret), signed_payload.data, signed_payload.len, mac);
	buf_free(&signed_payload);
	char want[65];
	crypto_hex(mac, sizeof mac, want);
	bool match = false;
	for (p = header; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 3 + 64 && strncmp(p, "v1=", 3) == 0 && crypto_equal(p + 3, 64, want, 64))
			match = true;
		p += n;
		if (*p == ',')
			p++;
	}
	return match ? 0 : -1;
}

/* ---- the price table ---- */

static bool plan_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool stripe_id_valid(const char *id)
{
	if (!id || !*id || strlen(id) > 255)
		return false;
	for (const char *p = id; *p; p++)
		if (!id_char(*p))
			return false;
	return true;
}

/* Calls each(plan, plan_len, price, price_len, ctx) for each pair; -1 when malformed or when
 * each returns non-zero (the walk stops). */
static int walk_prices(const char *prices, int (*each)(const char *, size_t, const char *, size_t, void *), void *ctx)
{
	if (!prices || !*prices)
		return -1;
	for (const char *p = prices;;) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);
		if (!eq || eq == p || (size_t)(eq - p) > 40 || eq + 1 == p + n || (size_t)(p + n - eq - 1) > 255)
			return -1;
		for (const char *q = p; q < eq; q++)
			if (!plan_char(*q))
				return -1;
		for (const char *q = eq + 1; q < p + n; q++)
			if (!id_char(*q))
				return -1;
		if (each && each(p, (size_t)(eq - p), eq + 1, (size_t)(p + n - eq - 1), ctx) != 0)
			return 1;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

int stripe_prices_valid(const char *prices)
{
	return walk_prices(prices, NULL, NULL) == 0 ? 0 : -1;
}

struct find {
	const char *plan;
	char *plan_out, *out;
	size_t plan_len, outlen;
	bool found;
};

static int find_one(const char *plan, size_t pl, const char *price, size_t prl, void *ctx)
{
	struct find *f = ctx;
	if (f->plan && (strlen(f->plan) != pl || memcmp(f->plan, plan, pl) != 0))
		return 0;
	if (pl >= f->plan_len || prl >= f->outlen)
		return 0;
	memcpy(f->plan_out, plan, pl);
	f->plan_out[pl] = '\0';
	memcpy(f->out, price, prl);
	f->out[prl] = '\0';
	f->found = true;
	return 1;
}

int stripe_price_for(const char *prices, const char *plan, char *plan_out, size_t plan_len, char *out, size_t outlen)
{
	struct find f = { plan, plan_out, out, plan_len, outlen, false };
	if (walk_prices(prices, find_one, &f) < 0)
		return -1;
	return f.found ? 0 : -1;
}

static int add_name(const char *plan, size_t pl, const char *price, size_t prl, void *ctx)
{
	(void)price;
	(void)prl;
	json_array_append_new(ctx, json_stringn(plan, pl));
	return 0;
}

json_t *stripe_plans_json(const char *prices)
{
	json_t *a = json_array();
	if (a && walk_prices(prices, add_name, a) < 0)
		json_array_clear(a);
	return a;
}

/* ---- the HTTP API ---- */

#define STRIPE_TIMEOUT_MS 8000

static void field(buf_t *form, const char *name, const char *value)
{
	if (!value)
		return;
	if (form->len)
		buf_puts(form, "&");
	outbound_urlencode(form, name);
	buf_puts(form, "=");
	outbound_urlencode(form, value);
}

/* POSTs form to path (or GETs path when form is NULL); *out is the 2xx answer's JSON object. */
static int call(const settings_t *s, const char *path, const buf_t *form, json_t **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!s->stripe_secret_key) {
		snprintf(err, errlen, "no payment processor key is configured");
		return -1;
	}
	if (form && form->failed) {
		snprintf(err, errlen, "cannot build the request");
		return -1;
	}
	buf_t url = BUF_INIT(8192);
	buf_printf(&url, "%s%s", s->stripe_api_url, path);
	if (url.failed) {
		buf_free(&url);
		snprintf(err, errlen, "cannot build the request");
		return -1;
	}
	long status;
	json_t *j;
	int rc = outbound_call(url.data, s->stripe_secret_key, form ? (form->data ? form->data : "") : NULL,
			       STRIPE_TIMEOUT_MS, &status, &j, err, errlen);
	buf_free(&url);
	if (rc < 0)
		return -1;
	if (status < 200 || status > 299 || !json_is_object(j)) {
		/* the processor's own words (error.type, error.code), never the request */
		json_t *e = json_object_get(j, "error");
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *code = json_string_value(json_object_get(e, "code"));
		snprintf(err, errlen, "the payment processor answered %ld (%.60s %.60s)", status, type ? type : "",
			 code ? code : "");
		json_decref(j);
		return -1;
	}
	*out = j;
	return 0;
}

static int url_of(json_t *j, char **url, char *err, size_t errlen)
{
	const char *u = json_string_value(json_object_get(j, "url"));
	if (!u || strncmp(u, "https://", 8) != 0) {
		snprintf(err, errlen, "the payment processor's answer has no https url");
		json_decref(j);
		return -1;
	}
	*url = strdup(u);
	json_decref(j);
	if (!*url) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int stripe_checkout(const settings_t *s, const struct stripe_checkout *c, char **url, char *err, size_t errlen)
{
	*url = NULL;
	buf_t form = BUF_INIT(16384);
	char trial[32];
	snprintf(trial, sizeof trial, "%lld", c->trial_end);
	field(&form, "mode", "subscription");
	field(&form, "line_items[0][price]", c->price);
	field(&form, "line_items[0][quantity]", "1");
	field(&form, "client_reference_id", c->workspace_id);
	if (c->customer)
		field(&form, "customer", c->customer);
	else
		field(&form, "customer_email", c->email);
	field(&form, "success_url", c->success_url);
	field(&form, "cancel_url", c->cancel_url);
	/* a card (or a wallet, or Link) is taken now and charged when the trial ends */
	field(&form, "payment_method_collection", "always");
	if (c->trial_end > 0)
		field(&form, "subscription_data[trial_end]", trial);
	field(&form, "subscription_data[metadata][workspace_id]", c->workspace_id);
	field(&form, "subscription_data[metadata][plan]", c->plan);
	field(&form, "metadata[workspace_id]", c->workspace_id);
	field(&form, "metadata[plan]", c->plan);
	json_t *j;
	int rc = call(s, "/v1/checkout/sessions", &form, &j, err, errlen);
	buf_free(&form);
	return rc < 0 ? -1 : url_of(j, url, err, errlen);
}

int stripe_portal(const settings_t *s, const char *customer, const char *return_url, char **url, char *err,
		  size_t errlen)
{
	*url = NULL;
	buf_t form = BUF_INIT(8192);
	field(&form, "customer", customer);
	field(&form, "return_url", return_url);
	json_t *j;
	int rc = call(s, "/v1/billing_portal/sessions", &form, &j, err, errlen);
	buf_free(&form);
	return rc < 0 ? -1 : url_of(j, url, err, errlen);
}

int stripe_invoices(const settings_t *s, const char *customer, long limit, const char *after, json_t **list,
		    char *err, size_t errlen)
{
	*list = NULL;
	buf_t path = BUF_INIT(8192);
	buf_puts(&path, "/v1/invoices?customer=");
	outbound_urlencode(&path, customer);
	buf_printf(&path, "&limit=%ld", limit < 1 ? 1 : limit > 100 ? 100 : limit);
	if (after) {
		buf_puts(&path, "&starting_after=");
		outbound_urlencode(&path, after);
	}
	if (path.failed) {
		buf_free(&path);
		snprintf(err, errlen, "cannot build the request");
		return -1;
	}
	json_t *j;
	int rc = call(s, path.data, NULL, &j, err, errlen);
	buf_free(&path);
	if (rc < 0)
		return -1;
	if (!json_is_array(json_object_get(j, "data"))) {
		json_decref(j);
		snprintf(err, errlen, "the payment processor's answer is not a list");
		return -1;
	}
	*list = j;
	return 0;
}
