/* Calls to outside services over HTTP(S) with libcurl: SMS through an API speaking Twilio's
 * Messages form, and JSON GETs (forecasts). Every call has a hard timeout. */
#ifndef PLANYARD_OUTBOUND_H
#define PLANYARD_OUTBOUND_H

#include <jansson.h>
#include "settings.h"

/* Sends body to the E.164 number to: POST form To, From, Body with HTTP Basic auth from
 * PLANYARD_SMS_TOKEN ("SID:TOKEN"). 0 on a 2xx answer, -1 with a reason in err. */
int outbound_sms(const settings_t *s, const char *to, const char *body, char *err, size_t errlen) WUR;

/* GETs url; *out is the parsed JSON of a 2xx answer (caller decrefs). 0, or -1 with err. */
int outbound_get_json(const char *url, long timeout_ms, json_t **out, char *err, size_t errlen) WUR;

/* URL-encodes s into the buffer (for query strings and forms). */
#include "buf.h"
void outbound_urlencode(buf_t *b, const char *s);

#endif
