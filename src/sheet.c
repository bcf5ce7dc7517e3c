#include "sheet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"

/* ---- GSM-7 ---- */

/* U+00C0..U+00FF and U+0100..U+017F without their accents ("" drops the character). */
static const char *const latin1[64] = {
	"A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",
	"D", "N", "O", "O", "O", "O", "O", "x", "O", "U", "U", "U", "U", "Y", "Th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "/", "o", "u", "u", "u", "u", "y", "th", "y",
};
static const char latin_ext_a[] =
	"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";
_Static_assert(sizeof latin_ext_a == 129, "one letter for each of U+0100..U+017F");

/* The ASCII characters outside GSM-7's basic set (extension table or none), replaced. */
static char ascii_gsm(unsigned char c)
{
	switch (c) {
	case '[': case '{': return '(';
	case ']': case '}': return ')';
	case '\\': case '|': return '/';
	case '^': case '`': return '\'';
	case '~': return '-';
	case '\t': return ' ';
	default: return c == '\n' || (c >= 0x20 && c < 0x7f) ? (char)c : 0;
	}
}

/* Decodes one UTF-8 sequence at *p (advancing it); 0xFFFD for a malformed one. */
static unsigned long utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned long cp;
	int n;
	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	} else if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f, n = 1;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f, n = 2;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07, n = 3;
	} else {
		*p = s + 1;
		return 0xfffd;
	}
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p = s + i;
			return 0xfffd;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*p = s + n + 1;
	return cp;
}

void sheet_gsm7(buf_t *out, const char *utf8)
{
	const unsigned char *p = (const unsigned char *)(utf8 ? utf8 : "");
	while (*p) {
		unsigned long cp = utf8_next(&p);
		char c;
		if (cp < 0x80) {
			if ((c = ascii_gsm((unsigned char)cp)))
				buf_append(out, &c, 1);
		} else if (cp >= 0xc0 && cp <= 0xff) {
			buf_puts(out, latin1[cp - 0xc0]);
		} else if (cp >= 0x100 && cp <= 0x17f) {
			buf_append(out, &latin_ext_a[cp - 0x100], 1);
		} else if (cp == 0xa0 || cp == 0x2002 || cp == 0x2003 || cp == 0x2009) {
			buf_puts(out, " ");
		} else if (cp == 0x2018 || cp == 0x2019 || cp == 0xb4) {
			buf_puts(out, "'");
		} else if (cp == 0x201c || cp == 0x201d || cp == 0xab || cp == 0xbb) {
			buf_puts(out, "\"");
		} else if (cp == 0x2010 || cp == 0x2011 || cp == 0x2013 || cp == 0x2014 || cp == 0x2212) {
			buf_puts(out, "-");
		} else if (cp == 0x2026) {
			buf_puts(out, "...");
		} else if (cp == 0x20ac) {
			buf_puts(out, "EUR");
		} else if (cp == 0xb0) {
			buf_puts(out, " deg");
		}
		/* anything else has no GSM-7 form: dropped */
	}
}

int sheet_sms_segments(const char *text)
{
	size_t n = strlen(text);
	if (n <= 160)
		return 1;
	return (int)((n + 152) / 153);
}

/* ---- dates ---- */

/* "Tuesday, 8 December 2026" (long) or "Tue 8 Dec" (short) of YYYY-MM-DD; the date itself
 * when it does not parse. */
static void day_name(const char *date, bool longform, char *out, size_t n)
{
	static const char *const wd[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" };
	static const char *const mo[] = { "January", "February", "March", "April", "May", "June", "July",
					  "August", "September", "October", "November", "December" };
	int y, m, d;
	if (!date || sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31) {
		snprintf(out, n, "%s", date ? date : "");
		return;
	}
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12 };
	time_t t = timegm(&tm);
	struct tm g;
	gmtime_r(&t, &g);
	if (longform)
		snprintf(out, n, "%s, %d %s %d", wd[g.tm_wday], d, mo[m - 1], y);
	else
		snprintf(out, n, "%.3s %d %.3s", wd[g.tm_wday], d, mo[m - 1]);
}

/* ---- the texts ---- */

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s && *s ? s : NULL;
}

char *sheet_email_subject(arena_t *a, const sheet_t *s)
{
	char day[64];
	day_name(s->date, true, day, sizeof day);
	return arena_printf(a, "Your schedule for %s", day);
}

char *sheet_email_body(arena_t *a, const sheet_t *s)
{
	char day[64];
	day_name(s->date, true, day, sizeof day);
	buf_t b = BUF_INIT(1u << 20);
	buf_printf(&b, "Hello %s,\n\nyour schedule for %s:\n", s->name, day);
	size_t i;
	json_t *it;
	json_array_foreach(s->items, i, it) {
		const char *v;
		buf_puts(&b, "\n");
		if (!str(it, "pour_id")) {
			buf_printf(&b, "Assigned%s%s (no pour)\n", str(it, "role") ? " as " : "",
				   str(it, "role") ? str(it, "role") : "");
			continue;
		}
		buf_printf(&b, "%-7s%s%s\n", str(it, "start_time") ? str(it, "start_time") : "(time to be set)",
			   str(it, "start_time") ? "" : " ", str(it, "project") ? str(it, "project") : "");
		if ((v = str(it, "address")))
			buf_printf(&b, "  Address:  %s\n", v);
		buf_printf(&b, "  Mix:      %s, %s cy\n", str(it, "mix") ? str(it, "mix") : "-",
			   str(it, "volume_cy") ? str(it, "volume_cy") : "-");
		buf_printf(&b, "  Pump:     %s\n", json_is_true(json_object_get(it, "pump")) ? "yes" : "no");
		buf_printf(&b, "  Crew:     %s\n", str(it, "crew") ? str(it, "crew") : "-");
		if ((v = str(it, "foreman")))
			buf_printf(&b, "  Foreman:  %s%s%s\n", v, str(it, "foreman_phone") ? ", " : "",
				   str(it, "foreman_phone") ? str(it, "foreman_phone") : "");
		if ((v = str(it, "role")))
			buf_printf(&b, "  Role:     %s\n", v);
		if ((v = str(it, "status")) && strcmp(v, "tentative") == 0)
			buf_puts(&b, "  Status:   tentative, may still change\n");
	}
	buf_printf(&b, "\nQuestions about the day: call your foreman.\n\n-- \n%s%sPlanyard\n",
		   s->workspace ? s->workspace : "", s->workspace ? " via " : "");
	char *out = b.failed ? NULL : arena_strdup(a, b.data);
	buf_free(&b);
	return out;
}

/* Cuts a GSM-7 text to SHEET_SMS_MAX, ending in "..." when it had to. */
static char *sms_fit(arena_t *a, buf_t *b)
{
	if (b->failed)
		return NULL;
	if (b->len > SHEET_SMS_MAX) {
		b->len = SHEET_SMS_MAX - 3;
		while (b->len > 0 && b->data[b->len - 1] == ' ')
			b->len--;
		memcpy(b->data + b->len, "...", 4);
		b->len += 3;
	}
	return arena_strdup(a, b->data);
}

char *sheet_sms(arena_t *a, const sheet_t *s)
{
	char day[32];
	day_name(s->date, false, day, sizeof day);
	buf_t b = BUF_INIT(64 * 1024);
	buf_printf(&b, "%s: ", day);
	size_t i;
	json_t *it;
	json_array_foreach(s->items, i, it) {
		const char *v;
		if (i)
			buf_puts(&b, " | ");
		if (!str(it, "pour_id")) {
			buf_puts(&b, "assigned");
			if ((v = str(it, "role"))) {
				buf_puts(&b, " as ");
				sheet_gsm7(&b, v);
			}
			continue;
		}
		buf_printf(&b, "%s ", str(it, "start_time") ? str(it, "start_time") : "time TBD");
		sheet_gsm7(&b, str(it, "project"));
		if ((v = str(it, "address"))) {
			buf_puts(&b, ", ");
			sheet_gsm7(&b, v);
		}
		buf_puts(&b, ". ");
		sheet_gsm7(&b, str(it, "mix"));
		buf_printf(&b, " %scy%s", str(it, "volume_cy") ? str(it, "volume_cy") : "?",
			   json_is_true(json_object_get(it, "pump")) ? ", pump" : "");
		if ((v = str(it, "crew"))) {
			buf_puts(&b, ". Crew ");
			sheet_gsm7(&b, v);
		}
		if ((v = str(it, "foreman"))) {
			buf_puts(&b, ", foreman ");
			sheet_gsm7(&b, v);
			if ((v = str(it, "foreman_phone"))) {
				buf_puts(&b, " ");
				sheet_gsm7(&b, v);
			}
		}
		if ((v = str(it, "status")) && strcmp(v, "tentative") == 0)
			buf_puts(&b, " (tentative)");
	}
	char *out = sms_fit(a, &b);
	buf_free(&b);
	return out;
}

char *sheet_change_notice(arena_t *a, const char *project, const char *date, const char *kind, const char *new_date,
			  const char *new_time)
{
	char from[32], to[32];
	day_name(date, false, from, sizeof from);
	day_name(new_date, false, to, sizeof to);
	buf_t b = BUF_INIT(64 * 1024);
	buf_puts(&b, "Schedule change: ");
	sheet_gsm7(&b, project && *project ? project : "your pour");
	if (strcmp(kind, "canceled") == 0)
		buf_printf(&b, " on %s is canceled. You are released from it.", from);
	else if (strcmp(kind, "removed") == 0)
		buf_printf(&b, " on %s: you are no longer on it. Your office will tell you where you are needed.", from);
	else if (new_date && strcmp(new_date, date) != 0)
		buf_printf(&b, " moved from %s to %s%s%s.", from, to, new_time ? ", start " : "", new_time ? new_time : "");
	else
		buf_printf(&b, " on %s now starts %s%s.", from, new_time ? "at " : "", new_time ? new_time : "at a time to be set");
	char *out = sms_fit(a, &b);
	buf_free(&b);
	return out;
}

void sheet_hash(const char *email_body, const char *sms, char out[65])
{
	buf_t b = BUF_INIT(4u << 20);
	buf_puts(&b, email_body ? email_body : "");
	buf_append(&b, "", 1);
	buf_puts(&b, sms ? sms : "");
	crypto_sha256_hex(b.data ? b.data : "", b.len, out);
	buf_free(&b);
}
