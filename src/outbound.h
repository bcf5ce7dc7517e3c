/* Calls to outside services over HTTP(S) with libcurl: SMS through an API speaking Twilio's
 * Messages form, JSON GETs (forecasts), and form-encoded JSON APIs (the payment processor).
 * Every call has a hard timeout. */
#ifndef PLANYARD_OUTBOUND_H
#define PLANYARD_OUTBOUND_H

#include <jansson.h>
#include "settings.h"

/* Sends body to the E.164 number to: POST form To, From, Body with HTTP Basic auth from
 * PLANYARD_SMS_TOKEN ("SID:TOKEN"). 0 on a 2xx answer, -1 with a reason in err. */
int outbound_sms(const settings_t *s, const char *to, const char *body, char *err, size_t errlen) WUR;

/* The same with a timeout and an Idempotency-Key header (when key is not NULL): the key names
 * the message, not the attempt, so a send repeated after a crash between the service's answer
 * and the sender's record of it carries the same key, and a service that honours the header
 * delivers it once. A service that ignores the header (Twilio's Messages API does) delivers
 * such a repeat twice: at that boundary a message is sent at least once, and more than once
 * only when the sender died in that window. */
int outbound_sms_once(const settings_t *s, const char *to, const char *body, const char *key, long timeout_ms,
		      char *err, size_t errlen) WUR;

/* GETs url; *out is the parsed JSON of a 2xx answer (caller decrefs). 0, or -1 with err. */
int outbound_get_json(const char *url, long timeout_ms, json_t **out, char *err, size_t errlen) WUR;

/* One call of a JSON API: POST with form (application/x-www-form-urlencoded) as its body, or
 * GET when form is NULL; with "Authorization: Bearer <bearer>" when bearer is not NULL (the
 * key never leaves this call: it is in no error text). *status is the HTTP status (0 when
 * there was no answer) and *out the parsed JSON answer whatever the status (NULL when it was
 * not JSON; caller decrefs). 0 when an answer came, -1 with err when none did. */
int outbound_call(const char *url, const char *bearer, const char *form, long timeout_ms, long *status, json_t **out,
		  char *err, size_t errlen) WUR;

/* URL-encodes s into the buffer (for query strings and forms). */
#include "buf.h"
void outbound_urlencode(buf_t *b, const char *s);

#endif
