#include "mail.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "app.h"
#include "auth/sealed.h"
#include "buf.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "outbound.h"

static const settings_t *S;
static volatile bool sender_stop;

/* The place outbox bodies are sealed for (src/auth/sealed.h). */
#define OUTBOX_SLOT "app.outbox.body"

char *mail_sealed(arena_t *a, const char *body)
{
	unsigned char *ct;
	size_t n;
	if (sealed_seal_for(OUTBOX_SLOT, body, strlen(body), &ct, &n) < 0)
		return NULL;
	char *hex = db_bytea(a, ct, n);
	free(ct);
	return hex;
}

char *mail_link(arena_t *a, const char *page, const char *token)
{
	const char *base = app_settings && app_settings->public_url ? app_settings->public_url : "https://localhost:8443";
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	return arena_printf(a, "%.*s/%s#token=%s", (int)n, base, page, token);
}

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct upload *u = userp;
	size_t room = size * nmemb, left = u->len - u->pos;
	size_t n = left < room ? left : room;
	memcpy(ptr, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/* The address inside "Name <addr>", or the whole string. */
static void envelope(const char *from, char *out, size_t n)
{
	const char *lt = strchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt)
		snprintf(out, n, "<%.*s>", (int)(gt - lt - 1), lt + 1);
	else
		snprintf(out, n, "<%s>", from);
}

static int smtp_send(const char *to, const char *msg, size_t len, long timeout_s, char *err, size_t errlen)
{
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(err, errlen, "curl init failed");
		return -1;
	}
	char from[320], rcpt[320];
	envelope(S->mail_from, from, sizeof from);
	snprintf(rcpt, sizeof rcpt, "<%s>", to);
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
	struct upload u = { msg, len, 0 };
	curl_easy_setopt(c, CURLOPT_URL, S->smtp_url);
	/* STARTTLS is required (the relay's certificate verified) unless `dev` runs opportunistic */
	bool required = !S->smtp_tls || strcmp(S->smtp_tls, "opportunistic") != 0;
	curl_easy_setopt(c, CURLOPT_USE_SSL, required ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	if (S->smtp_ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, S->smtp_ca_file);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s < 5 ? timeout_s : 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_USE_SSL_FAILED)
		snprintf(err, errlen, "the SMTP relay offers no STARTTLS; PLANYARD_SMTP_TLS=required keeps the mail "
			 "in the outbox rather than send it in clear");
	else if (rc != CURLE_OK)
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

static int file_send(long long id, const char *msg, size_t len, char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/mail-%06lld.eml", S->outbox_dir, id);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, msg, len) != (ssize_t)len) {
		snprintf(err, errlen, "cannot write to the outbox folder");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The Message-ID names the outbox row (its id and the microsecond it was queued), not the
 * attempt: a message sent again after a crash carries the same one, so a receiver that
 * drops duplicates by Message-ID shows it once. */
static void message(buf_t *m, const char *msgid, const char *to, const char *subject, const char *body)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_printf(m, "Date: %s\r\nFrom: %s\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@planyard>\r\n"
		      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		      "Content-Transfer-Encoding: 8bit\r\n\r\n", date, S->mail_from, to, subject, msgid);
	for (const char *p = body; *p; p++) {
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			buf_append(m, "\r", 1);
		buf_append(m, p, 1);
	}
	buf_puts(m, "\r\n");
}

/* The body with MAIL_TOKEN replaced by the mail's token (the old body wiped and freed). */
static int with_token(unsigned char **body, size_t *len, const char *token)
{
	buf_t b = BUF_INIT(4u << 20);
	const char *s = (const char *)*body, *hit;
	while ((hit = strstr(s, MAIL_TOKEN))) {
		buf_printf(&b, "%.*s%s", (int)(hit - s), s, token);
		s = hit + strlen(MAIL_TOKEN);
	}
	buf_puts(&b, s);
	if (b.failed) {
		buf_wipe_free(&b);
		return -1;
	}
	unsigned char *out = malloc(b.len + 1);
	if (!out) {
		buf_wipe_free(&b);
		return -1;
	}
	memcpy(out, b.data, b.len);
	out[b.len] = 0;
	OPENSSL_cleanse(*body, *len);
	free(*body);
	*body = out;
	*len = b.len;
	buf_wipe_free(&b);
	return 0;
}

/* Sends one claimed row; 0, or -1 with the reason in err. */
static int deliver(const PGresult *res, int i, char *err, size_t errlen)
{
	const char *id = PQgetvalue(res, i, 0), *channel = PQgetvalue(res, i, 1);
	const char *to = PQgetvalue(res, i, 2), *subject = PQgetvalue(res, i, 3);
	/* a live sender marks each message well within its lease */
	long timeout_s = S->send_lease_s / 2 > 20 ? 20 : S->send_lease_s / 2;
	char key[64];
	snprintf(key, sizeof key, "o%s.%s", id, PQgetvalue(res, i, 8));
	size_t blen = 0;
	unsigned char *sealed = db_unbytea(PQgetvalue(res, i, 4), &blen);
	unsigned char *body = NULL;
	size_t len = 0;
	int rc = -1;
	/* only what was sealed for the outbox opens here (a row queued before bodies were
	 * bound is marked by its migration: it alone may be in the old format) */
	bool legacy = PQgetvalue(res, i, 7)[0] == 't';
	if (!sealed || sealed_open_for(OUTBOX_SLOT, legacy, sealed, blen, &body, &len) < 0) {
		snprintf(err, errlen, "the body can't be opened as an outbox body with this data key");
	} else if (!PQgetisnull(res, i, 6) && with_token(&body, &len, PQgetvalue(res, i, 6)) < 0) {
		snprintf(err, errlen, "out of memory");
	} else if (strcmp(channel, "email") == 0) {
		buf_t m = BUF_INIT(4u << 20);
		message(&m, key, to, subject, (const char *)body);
		if (m.failed)
			snprintf(err, errlen, "message too large");
		else if (S->smtp_url)
			rc = smtp_send(to, m.data, m.len, timeout_s, err, errlen);
		else
			rc = file_send(strtoll(id, NULL, 10), m.data, m.len, err, errlen);
		buf_wipe_free(&m);
	} else if (S->sms_url) {
		rc = outbound_sms_once(S, to, (const char *)body, key, timeout_s * 1000, err, errlen);
	} else {
		char path[4096];
		snprintf(path, sizeof path, "%s/sms-%06lld.txt", S->outbox_dir, strtoll(id, NULL, 10));
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		buf_t m = BUF_INIT(64 * 1024);
		buf_printf(&m, "To: %s\n\n%s\n", to, (const char *)body);
		rc = fd >= 0 && !m.failed && write(fd, m.data, m.len) == (ssize_t)m.len ? 0 : -1;
		if (rc < 0)
			snprintf(err, errlen, "cannot write to the outbox folder");
		if (fd >= 0)
			close(fd);
		buf_wipe_free(&m);
	}
	free(sealed);
	if (body) {
		OPENSSL_cleanse(body, len);
		free(body);
	}
	return rc;
}

/* What "exactly once" means for the outbox. A row is claimed with a lease in a statement that
 * commits at once (app.outbox_claim), sent, and marked sent in a statement of its own right
 * after the relay's 250 (or the SMS service's 2xx). So
 * - a message is queued once: its row commits with the change that caused it, or not at all;
 * - a sender that dies before the relay accepted the message leaves its row to be sent when
 *   the lease runs out (PLANYARD_SEND_LEASE_S), by this process after a restart or another;
 * - no two live senders hold a row at once, and a row marked sent is never sent again;
 * - the one window left is a death (or a database out of reach for the whole lease) between
 *   the relay's 250 and the mark: SMTP has no way to ask whether a message was taken, so the
 *   row is sent again after the lease. That repeat carries the same Message-ID (and an SMS
 *   the same Idempotency-Key); the relay delivers it a second time.
 * Exactly once, then, means: once per row, except for a message in flight when its sender
 * died after the relay accepted it, which is sent at least once and seen once by anything
 * that drops duplicates by Message-ID. */
int mail_deliver_due(void)
{
	static db_stmt_t claim = DB_STMT(
		"select id, channel, recipient, subject, body, attempts, token, sealed_legacy, "
		"(extract(epoch from created_at) * 1000000)::bigint from app.outbox_claim(1, $1)");
	static db_stmt_t done = DB_STMT("select app.outbox_done($1, $2, $3)");
	char lease[24];
	snprintf(lease, sizeof lease, "%ld", S->send_lease_s);
	int sent = 0;
	for (int round = 0; round < 20 && !sender_stop; round++) {
		db_t *db = db_thread_for(DB_JOBS);
		PGresult *res;
		const char *cp[] = { lease };
		if (!db || db_run(db, &claim, 1, cp, &res) < 0) {
			if (db && res)
				PQclear(res);
			break;
		}
		if (PQntuples(res) == 0) {
			PQclear(res);
			break;
		}
		bool marked = true;
		for (int i = 0; i < PQntuples(res) && marked; i++) {
			char err[256] = "";
			int rc = deliver(res, i, err, sizeof err);
			const char *p[] = { PQgetvalue(res, i, 0), rc == 0 ? "true" : "false", err };
			/* the mark, tried again while the lease lasts: a database back within it
			 * saves a second send */
			marked = false;
			for (long waited = 0; !marked && waited * 2 < S->send_lease_s; waited++) {
				db = db_thread_for(DB_JOBS);
				if (db && db_run(db, &done, 3, p, NULL) == 0)
					marked = true;
				else
					sleep(1);
			}
			if (!marked)
				log_warn("mail %s: the outcome of its send could not be recorded", p[0]);
			if (rc == 0)
				sent++;
			else
				log_warn("mail %s not delivered: %s", p[0], err);
		}
		PQclear(res);
		if (!marked)
			break;
	}
	return sent;
}

static pthread_t sender_thread;

static void *sender(void *unused)
{
	(void)unused;
	while (!sender_stop) {
		int n = mail_deliver_due();
		if (n == 0)
			usleep(250 * 1000);
	}
	db_thread_close();
	return NULL;
}

void mail_start_sender(const settings_t *s)
{
	S = s;
	if (pthread_create(&sender_thread, NULL, sender, NULL) != 0)
		fatal("cannot start the mail sender");
}

void mail_stop_sender(void)
{
	if (!S)
		return;
	sender_stop = true;
	pthread_join(sender_thread, NULL);
	S = NULL;
}
