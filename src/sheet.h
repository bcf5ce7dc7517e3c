/* Day sheets: what one employee does on one date, as a plain-text email and as a short SMS
 * (GSM-7 characters only, at most two segments), and the hash that says whether a sheet
 * changed since it was sent. Pure: no I/O. */
#ifndef PLANYARD_SHEET_H
#define PLANYARD_SHEET_H

#include <jansson.h>

#include "arena.h"
#include "buf.h"

/* The longest SMS a sheet may be: two concatenated GSM-7 segments of 153 septets. */
#define SHEET_SMS_MAX 306

/* One employee's day: items is the JSON array of app.day_sheet_rows (borrowed). */
typedef struct {
	const char *name;       /* the employee */
	const char *date;       /* YYYY-MM-DD */
	const char *workspace;  /* the workspace's name, or NULL */
	json_t *items;
} sheet_t;

/* The mail's subject and body (arena); NULL when out of memory. */
char *sheet_email_subject(arena_t *a, const sheet_t *s);
char *sheet_email_body(arena_t *a, const sheet_t *s);

/* The SMS (arena): GSM-7 basic-set characters only, at most SHEET_SMS_MAX of them. */
char *sheet_sms(arena_t *a, const sheet_t *s);

/* A short change notice (SMS-sized, GSM-7 as above) for a pour of date, by kind: "canceled";
 * "removed" (the person is off it); "moved": now on new_date at new_time (either may be
 * unchanged; new_time NULL: no start time). */
char *sheet_change_notice(arena_t *a, const char *project, const char *date, const char *kind, const char *new_date,
			  const char *new_time);

/* Appends utf8 transliterated to the GSM-7 basic set, one septet per character: accented
 * Latin letters lose their accents, characters of the extension table and characters with
 * no GSM-7 form are replaced or dropped. */
void sheet_gsm7(buf_t *out, const char *utf8);

/* How many SMS segments text takes when every character is one septet: 1 up to 160, then
 * one per 153. */
int sheet_sms_segments(const char *text);

/* The hash of a sheet's texts (64 hex characters and a NUL). */
void sheet_hash(const char *email_body, const char *sms, char out[65]);

#endif
