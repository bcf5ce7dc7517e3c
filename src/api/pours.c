#include "pours.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../app.h"
#include "../db.h"
#include "../jsonv.h"
#include "../log.h"
#include "../mail.h"
#include "../outbound.h"
#include "reply.h"

/* ---- pour notifications ---- */

int api_pour_notify(req_t *r)
{
	static db_stmt_t q = DB_STMT("select email, name, scheduled_date, start_time, volume_cy, mix, pump, project, "
				     "address, customer, crew from app.pour_notify_query($1::uuid)");
	static db_stmt_t send = DB_STMT("select app.mail_enqueue($1, $2, $3)");
	static db_stmt_t audit = DB_STMT("select app.audit('pour.notified', 'pour', $1, jsonb_build_object('recipients', "
					 "jsonb_build_array(null, $2::int)))");
	const char *id = req_param(r, 0);
	if (!jsonv_is_uuid(id)) {
		req_problem(r, 404, "not_found", "no such pour in this workspace");
		return 0;
	}
	const char *p[] = { id };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	if (PQntuples(res) == 0) {
		PQclear(res);
		req_problem(r, 404, "not_found", "no such pour in this workspace");
		return 0;
	}
	int queued = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 0))
			continue;
#define V(c) PQgetvalue(res, i, c)
		char *body = arena_printf(&r->arena,
			"Hello %s,\n\nyou are on the crew of this pour:\n\n"
			"  Date:      %s%s%s\n  Project:   %s%s%s\n  Customer:  %s\n  Volume:    %s cy of %s\n"
			"  Pump:      %s\n  Crew:      %s\n\nPlease confirm with your foreman.\n",
			V(1), V(2), PQgetisnull(res, i, 3) ? "" : " at ", PQgetisnull(res, i, 3) ? "" : V(3), V(7),
			PQgetisnull(res, i, 8) ? "" : ", ", PQgetisnull(res, i, 8) ? "" : V(8), V(9), V(4), V(5),
			V(6)[0] == 't' ? "yes" : "no", PQgetisnull(res, i, 10) ? "-" : V(10));
		char *subject = arena_printf(&r->arena, "Pour on %s: %s", V(2), V(7));
		const char *sp[] = { V(0), subject, mail_sealed(&r->arena, body) };
#undef V
		if (db_run(r->db, &send, 3, sp, NULL) < 0) {
			PQclear(res);
			return reply_db_error(r, NULL, NULL, false);
		}
		queued++;
	}
	PQclear(res);
	char n[16];
	snprintf(n, sizeof n, "%d", queued);
	const char *ap[] = { id, n };
	if (db_run(r->db, &audit, 2, ap, NULL) < 0)
		return reply_db_error(r, NULL, NULL, false);
	req_json(r, 202, json_pack("{s:s,s:i}", "status", "queued", "recipients", queued));
	return 0;
}

/* ---- weather ---- */

struct weather {
	char *zip, *day;
	json_t *result;      /* the forecast, or NULL when the service failed */
};

static void weather_job(req_t *r)
{
	struct weather *w = r->cont_data;
	const char *base = app_settings->forecast_url;
	char err[256];
	buf_t url = BUF_INIT(4096);
	buf_puts(&url, base);
	buf_puts(&url, "/v1/search?count=1&name=");
	outbound_urlencode(&url, w->zip);
	json_t *geo = NULL, *fc = NULL;
	if (url.failed || outbound_get_json(url.data, 3000, &geo, err, sizeof err) < 0)
		goto out;
	json_t *place = json_array_get(json_object_get(geo, "results"), 0);
	json_t *lat = json_object_get(place, "latitude"), *lon = json_object_get(place, "longitude");
	if (!json_is_number(lat) || !json_is_number(lon))
		goto out;
	buf_reset(&url);
	buf_printf(&url, "%s/v1/forecast?latitude=%.4f&longitude=%.4f&daily=temperature_2m_max,temperature_2m_min,"
			 "precipitation_sum,precipitation_probability_max,wind_speed_10m_max&timezone=auto&"
			 "start_date=%s&end_date=%s", base, json_number_value(lat), json_number_value(lon), w->day, w->day);
	if (url.failed || outbound_get_json(url.data, 3000, &fc, err, sizeof err) < 0)
		goto out;
	json_t *daily = json_object_get(fc, "daily");
	if (!json_is_object(daily))
		goto out;
#define D(k) json_array_get(json_object_get(daily, k), 0)
	w->result = json_pack("{s:s,s:s,s:O?,s:O?,s:O?,s:O?,s:O?,s:s}", "date", w->day, "zip", w->zip,
			      "temperature_max_c", D("temperature_2m_max"), "temperature_min_c", D("temperature_2m_min"),
			      "precipitation_mm", D("precipitation_sum"), "precipitation_probability",
			      D("precipitation_probability_max"), "wind_speed_max_kmh", D("wind_speed_10m_max"),
			      "source", "forecast service");
#undef D
out:
	json_decref(geo);
	json_decref(fc);
	buf_free(&url);
}

static int weather_finish(req_t *r)
{
	static db_stmt_t store = DB_STMT("select app.weather_store($1, $2::date, $3::jsonb)");
	struct weather *w = r->cont_data;
	if (!w->result) {
		req_problem(r, 503, "weather_unavailable", "the forecast service can't be reached; try again later");
		return 0;
	}
	char *text = json_dumps(w->result, JSON_COMPACT);
	const char *p[] = { w->zip, w->day, text };
	if (text && db_run(r->db, &store, 3, p, NULL) < 0) {
		free(text);
		json_decref(w->result);
		return reply_db_error(r, NULL, NULL, false);
	}
	free(text);
	req_json(r, 200, w->result);
	return 0;
}

int api_pour_weather(req_t *r)
{
	static db_stmt_t q = DB_STMT("select day::text, zip, app.weather_cached(zip, day)::text "
				     "from app.pour_weather_query($1::uuid)");
	const char *id = req_param(r, 0);
	if (!jsonv_is_uuid(id)) {
		req_problem(r, 404, "not_found", "no such pour in this workspace");
		return 0;
	}
	const char *p[] = { id };
	PGresult *res;
	if (db_run(r->db, &q, 1, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	if (PQntuples(res) != 1) {
		PQclear(res);
		req_problem(r, 404, "not_found", "no such pour in this workspace");
		return 0;
	}
	if (PQgetisnull(res, 0, 1) || !app_settings->forecast_url) {
		bool nozip = PQgetisnull(res, 0, 1);
		PQclear(res);
		req_problem(r, nozip ? 409 : 503, nozip ? "no_zip" : "weather_unavailable",
			    nozip ? "the pour's project has no ZIP code" : "no forecast service is configured");
		return 0;
	}
	if (!PQgetisnull(res, 0, 2))
		return reply_cell(r, res, 2, 200, "no forecast");
	struct weather *w = arena_alloc(&r->arena, sizeof *w);
	if (!w) {
		PQclear(res);
		return reply_db_error(r, NULL, NULL, false);
	}
	w->day = arena_strdup(&r->arena, PQgetvalue(res, 0, 0));
	w->zip = arena_strdup(&r->arena, PQgetvalue(res, 0, 1));
	PQclear(res);
	r->cont_data = w;
	r->job = weather_job;
	r->cont = weather_finish;
	return REQ_SUSPENDED;
}
