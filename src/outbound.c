#include "outbound.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userp)
{
	buf_t *b = userp;
	size_t n = size * nmemb;
	return buf_append(b, ptr, n) == 0 ? n : 0;
}

void outbound_urlencode(buf_t *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || *p == '.' || *p == '~') {
			buf_append(b, p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_append(b, e, 3);
		}
	}
}

int outbound_sms(const settings_t *s, const char *to, const char *body, char *err, size_t errlen)
{
	return outbound_sms_once(s, to, body, NULL, 8000, err, errlen);
}

int outbound_sms_once(const settings_t *s, const char *to, const char *body, const char *key, long timeout_ms,
		      char *err, size_t errlen)
{
	if (!s->sms_url) {
		snprintf(err, errlen, "no SMS service is configured");
		return -1;
	}
	buf_t form = BUF_INIT(64 * 1024), resp = BUF_INIT(64 * 1024);
	buf_puts(&form, "To=");
	outbound_urlencode(&form, to);
	buf_puts(&form, "&From=");
	outbound_urlencode(&form, s->sms_from ? s->sms_from : "Planyard");
	buf_puts(&form, "&Body=");
	outbound_urlencode(&form, body);
	CURL *c = curl_easy_init();
	if (!c || form.failed) {
		snprintf(err, errlen, "cannot build the request");
		buf_free(&form);
		if (c)
			curl_easy_cleanup(c);
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, s->sms_url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, form.data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)form.len);
	if (s->sms_token) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, s->sms_token);
	}
	struct curl_slist *headers = NULL;
	if (key) {
		char h[160];
		snprintf(h, sizeof h, "Idempotency-Key: %s", key);
		headers = curl_slist_append(NULL, h);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 3000 ? timeout_ms : 3000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	buf_free(&form);
	buf_free(&resp);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "the SMS service answered %ld", status);
		return -1;
	}
	return 0;
}

int outbound_get_json(const char *url, long timeout_ms, json_t **out, char *err, size_t errlen)
{
	buf_t resp = BUF_INIT(2u << 20);
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(err, errlen, "curl init failed");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	*out = NULL;
	if (rc != CURLE_OK || status < 200 || status > 299) {
		snprintf(err, errlen, "%s", rc != CURLE_OK ? curl_easy_strerror(rc) : "the service answered an error");
		buf_free(&resp);
		return -1;
	}
	*out = resp.data ? json_loadb(resp.data, resp.len, 0, NULL) : NULL;
	buf_free(&resp);
	if (!*out) {
		snprintf(err, errlen, "the answer is not JSON");
		return -1;
	}
	return 0;
}

int outbound_call(const char *url, const char *bearer, const char *form, long timeout_ms, long *status, json_t **out,
		  char *err, size_t errlen)
{
	*status = 0;
	*out = NULL;
	buf_t resp = BUF_INIT(2u << 20), auth = BUF_INIT(1024);
	CURL *c = curl_easy_init();
	struct curl_slist *headers = NULL;
	if (bearer)
		buf_printf(&auth, "Authorization: Bearer %s", bearer);
	if (!c || auth.failed) {
		snprintf(err, errlen, "cannot build the request");
		if (c)
			curl_easy_cleanup(c);
		buf_wipe_free(&auth);
		return -1;
	}
	if (bearer)
		headers = curl_slist_append(headers, auth.data);
	if (form) {
		struct curl_slist *h = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
		headers = h ? h : headers;
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 3000 ? timeout_ms : 3000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	buf_wipe_free(&auth);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		buf_free(&resp);
		*status = 0;
		return -1;
	}
	if (resp.data && !resp.failed)
		*out = json_loadb(resp.data, resp.len, 0, NULL);
	buf_free(&resp);
	return 0;
}
