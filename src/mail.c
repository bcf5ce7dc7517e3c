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

static int smtp_send(const char *to, const char *msg, size_t len, char *err, size_t errlen)
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
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
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

static void message(buf_t *m, const char *to, const char *subject, const char *body)
{
	char date[64], id[33];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	unsigned char r[16];
	crypto_random(r, sizeof r);
	crypto_hex(r, sizeof r, id);
	buf_printf(m, "Date: %s\r\nFrom: %s\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@planyard>\r\n"
		      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		      "Content-Transfer-Encoding: 8bit\r\n\r\n", date, S->mail_from, to, subject, id);
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

int mail_deliver_due(void)
{
	static db_stmt_t claim = DB_STMT(
		"select id, channel, recipient, subject, body, attempts, token, sealed_legacy from app.outbox_claim(20)");
	static db_stmt_t done = DB_STMT("select app.outbox_done($1, $2, $3)");
	db_t *db = db_thread_for(DB_JOBS);
	if (!db || db_begin(db) < 0)
		return 0;
	PGresult *res;
	if (db_run(db, &claim, 0, NULL, &res) < 0) {
		if (res)
			PQclear(res);
		db_rollback(db);
		return 0;
	}
	int sent = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *id = PQgetvalue(res, i, 0), *channel = PQgetvalue(res, i, 1);
		const char *to = PQgetvalue(res, i, 2), *subject = PQgetvalue(res, i, 3);
		char err[256] = "";
		size_t blen = 0;
		unsigned char *sealed = db_unbytea(PQgetvalue(res, i, 4), &blen);
		unsigned char *body = NULL;
		size_t len = 0;
		int rc = -1;
		/* only what was sealed for the outbox opens here (a row queued before bodies were
		 * bound is marked by its migration: it alone may be in the old format) */
		bool legacy = PQgetvalue(res, i, 7)[0] == 't';
		if (!sealed || sealed_open_for(OUTBOX_SLOT, legacy, sealed, blen, &body, &len) < 0) {
			snprintf(err, sizeof err, "the body can't be opened as an outbox body with this data key");
		} else if (!PQgetisnull(res, i, 6) && with_token(&body, &len, PQgetvalue(res, i, 6)) < 0) {
			snprintf(err, sizeof err, "out of memory");
		} else if (strcmp(channel, "email") == 0) {
			buf_t m = BUF_INIT(4u << 20);
			message(&m, to, subject, (const char *)body);
			if (m.failed)
				snprintf(err, sizeof err, "message too large");
			else if (S->smtp_url)
				rc = smtp_send(to, m.data, m.len, err, sizeof err);
			else
				rc = file_send(strtoll(id, NULL, 10), m.data, m.len, err, sizeof err);
			buf_wipe_free(&m);
		} else if (S->sms_url) {
			rc = outbound_sms(S, to, (const char *)body, err, sizeof err);
		} else {
			char path[4096];
			snprintf(path, sizeof path, "%s/sms-%06lld.txt", S->outbox_dir, strtoll(id, NULL, 10));
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			buf_t m = BUF_INIT(64 * 1024);
			buf_printf(&m, "To: %s\n\n%s\n", to, (const char *)body);
			rc = fd >= 0 && !m.failed && write(fd, m.data, m.len) == (ssize_t)m.len ? 0 : -1;
			if (rc < 0)
				snprintf(err, sizeof err, "cannot write to the outbox folder");
			if (fd >= 0)
				close(fd);
			buf_wipe_free(&m);
		}
		free(sealed);
		if (body) {
			OPENSSL_cleanse(body, len);
			free(body);
		}
		const char *p[] = { id, rc == 0 ? "true" : "false", err };
		if (db_run(db, &done, 3, p, NULL) < 0)
			break;
		if (rc == 0)
			sent++;
		else
			log_warn("mail %s not delivered: %s", id, err);
	}
	PQclear(res);
	if (db_commit(db) < 0)
		return 0;
	return sent;
}

static pthread_t sender_thread;
static volatile bool sender_stop;

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
