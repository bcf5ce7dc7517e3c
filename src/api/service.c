/* Service endpoints: health, readiness, the OpenAPI document, CSP reports. */
#include "service.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdio.h>

#include "../app.h"
#include "../db.h"
#include "../log.h"
#include "../openapi.h"
#include "../router.h"

int api_healthz(req_t *r)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	req_static(r, 200, "application/json", ok, sizeof ok - 1);
	return 0;
}

int api_readyz(req_t *r)
{
	if (!db_ping()) {
		req_problem(r, 503, "db_unavailable", "the database does not answer");
		return 0;
	}
	static const char ok[] = "{\"status\":\"ready\"}";
	req_static(r, 200, "application/json", ok, sizeof ok - 1);
	return 0;
}

/* RFC 9116: where to report a vulnerability, until when this holds (PLANYARD_SECURITY_*). */
int api_security_txt(req_t *r)
{
	const settings_t *s = app_settings;
	const char *base = s && s->public_url ? s->public_url : "https://localhost:8443";
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	const char *host = strstr(base, "://");
	host = host ? host + 3 : base;
	size_t hn = strcspn(host, ":/");
	char expires[32];
	if (s && s->security_expires) {
		snprintf(expires, sizeof expires, "%s", s->security_expires);
	} else {
		time_t t = time(NULL) + 180L * 24 * 3600;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(expires, sizeof expires, "%Y-%m-%dT00:00:00Z", &tm);
	}
	const char *contact = s && s->security_contact ? s->security_contact
						       : arena_printf(&r->arena, "mailto:security@%.*s", (int)hn, host);
	char *body = NULL;
	int len = asprintf(&body,
			   "# Report a security problem in Planyard here; we answer within 3 working days.\n"
			   "Contact: %s\nExpires: %s\nPreferred-Languages: en\nCanonical: %.*s/.well-known/security.txt\n",
			   contact ? contact : "", expires, (int)n, base);
	if (len < 0 || !contact) {
		if (len >= 0)
			free(body);
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	req_body(r, 200, "text/plain; charset=utf-8", body, (size_t)len);
	return 0;
}

static char *openapi_text;
static size_t openapi_len;
static pthread_once_t openapi_once = PTHREAD_ONCE_INIT;

static void build_openapi(void)
{
	json_t *doc = openapi_document(routes, routes_count);
	openapi_text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	openapi_len = openapi_text ? strlen(openapi_text) : 0;
	json_decref(doc);
}

int api_openapi(req_t *r)
{
	pthread_once(&openapi_once, build_openapi);
	if (!openapi_text) {
		req_problem(r, 500, "internal_error", NULL);
		return 0;
	}
	req_static(r, 200, "application/json", openapi_text, openapi_len);
	return 0;
}

/* A token bucket shared by the process: CSP reports are noise an attacker can send freely. */
static pthread_mutex_t csp_lock = PTHREAD_MUTEX_INITIALIZER;
static double csp_tokens = 60;
static struct timespec csp_last;
static atomic_long csp_count;

long api_csp_reports_seen(void)
{
	return atomic_load(&csp_count);
}

static bool csp_allow(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&csp_lock);
	double dt = (double)(now.tv_sec - csp_last.tv_sec) + (double)(now.tv_nsec - csp_last.tv_nsec) / 1e9;
	csp_last = now;
	csp_tokens += dt; /* one report a second, bursts of 60 */
	if (csp_tokens > 60)
		csp_tokens = 60;
	bool ok = csp_tokens >= 1;
	if (ok)
		csp_tokens -= 1;
	pthread_mutex_unlock(&csp_lock);
	return ok;
}

static bool csp_type_ok(const char *ct)
{
	if (!ct)
		return false;
	static const char *const ok[] = { "application/csp-report", "application/reports+json", "application/json" };
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(ok[i]);
		if (strncasecmp(ct, ok[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
			return true;
	}
	return false;
}

int api_csp_report(req_t *r)
{
	if (!csp_type_ok(req_header_in(r, "Content-Type"))) {
		req_problem(r, 415, "unsupported_media_type",
			    "CSP reports are application/csp-report, application/reports+json or application/json");
		return 0;
	}
	json_error_t e;
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &e);
	if (!j || (!json_is_object(j) && !json_is_array(j))) {
		json_decref(j);
		req_problem(r, 400, "invalid_json", "a CSP report is a JSON object or array");
		return 0;
	}
	if (!csp_allow()) {
		json_decref(j);
		req_header(r, "Retry-After", "1");
		req_problem(r, 429, "rate_limited", "too many CSP reports");
		return 0;
	}
	atomic_fetch_add(&csp_count, 1);
	json_t *rep = json_object_get(j, "csp-report");
	if (!rep && json_is_array(j))
		rep = json_object_get(json_array_get(j, 0), "body");
	const char *dir = json_string_value(json_object_get(rep, "violated-directive"));
	if (!dir)
		dir = json_string_value(json_object_get(rep, "effectiveDirective"));
	log_warn("csp violation: %s", dir ? dir : "(unknown directive)");
	json_decref(j);
	req_no_content(r);
	return 0;
}
