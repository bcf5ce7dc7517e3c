#include "settings.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stripe.h"

enum kind { K_STR, K_SECRET, K_INT };

struct setting {
	const char *name;
	enum kind kind;
	size_t offset;
	const char *def;       /* default in every mode, or NULL */
	long min, max;         /* range of K_INT */
	bool serve_required;   /* `serve` refuses to start without it */
	const char *dev_default; /* what `dev` does when unset, for the docs */
	const char *meaning;
};

#define S(f) offsetof(settings_t, f)

static const struct setting table[] = {
	{ "PLANYARD_DATA_DIR", K_STR, S(data_dir), "var", 0, 0, false, "`var`",
	  "where `dev` keeps its cluster, certificate, secrets and outbox" },
	{ "PLANYARD_DATABASE_URL", K_STR, S(database_url), NULL, 0, 0, true, "the private cluster",
	  "libpq URL of `planyard_app`, the role of every signed-in request" },
	{ "PLANYARD_AUTH_DATABASE_URL", K_STR, S(auth_database_url), NULL, 0, 0, true, "the private cluster",
	  "libpq URL of `planyard_auth`, the role of sign-in, signup, confirm, reset, refresh, MFA challenge, "
	  "invitation accept and impersonation redeem" },
	{ "PLANYARD_JOBS_DATABASE_URL", K_STR, S(jobs_database_url), NULL, 0, 0, true, "the private cluster",
	  "libpq URL of `planyard_jobs`, the role of the mail sender, `jobs`, `/internal/cron/*` and the "
	  "billing webhook" },
	{ "PLANYARD_ADMIN_DATABASE_URL", K_STR, S(admin_database_url), NULL, 0, 0, false, "the private cluster",
	  "libpq URL of the schema owner (`migrate`)" },
	{ "PLANYARD_PLATFORM_DATABASE_URL", K_STR, S(platform_database_url), NULL, 0, 0, false,
	  "the private cluster's superuser, as `planyard_platform`",
	  "libpq URL of a login role granted `planyard_platform` (`platform impersonate`)" },
	{ "PLANYARD_LISTEN_HTTPS", K_STR, S(listen_https), "0.0.0.0:8443", 0, 0, false, "`0.0.0.0:8443`",
	  "`host:port` of HTTPS" },
	{ "PLANYARD_LISTEN_HTTP", K_STR, S(listen_http), "0.0.0.0:8080", 0, 0, false, "`0.0.0.0:8080`",
	  "`host:port` of plain HTTP (redirects pages, refuses `/api`); `off` disables it" },
	{ "PLANYARD_TLS_CERT", K_STR, S(tls_cert), NULL, 0, 0, true, "generated self-signed",
	  "PEM certificate chain" },
	{ "PLANYARD_TLS_KEY", K_STR, S(tls_key), NULL, 0, 0, true, "generated self-signed",
	  "PEM private key" },
	{ "PLANYARD_PUBLIC_URL", K_STR, S(public_url), NULL, 0, 0, true, "`https://localhost:8443`",
	  "base of links in emails" },
	{ "PLANYARD_JWT_SECRET", K_SECRET, S(jwt_secret), NULL, 0, 0, true, "generated, kept in the data dir",
	  "HS256 key of access tokens, at least 32 bytes" },
	{ "PLANYARD_PASSWORD_PEPPER", K_SECRET, S(password_pepper), NULL, 0, 0, true, "generated, kept in the data dir",
	  "pepper of password hashes, at least 32 bytes" },
	{ "PLANYARD_DATA_KEY", K_SECRET, S(data_key), NULL, 0, 0, true, "generated, kept in the data dir",
	  "key that encrypts TOTP secrets, at least 32 bytes" },
	{ "PLANYARD_SMTP_URL", K_STR, S(smtp_url), NULL, 0, 0, false, "unset: files in the outbox",
	  "`smtp://host:port` (STARTTLS when offered)" },
	{ "PLANYARD_MAIL_FROM", K_STR, S(mail_from), "Planyard <no-reply@planyard.localhost>", 0, 0, false,
	  "`Planyard <no-reply@planyard.localhost>`", "sender of mail" },
	{ "PLANYARD_OUTBOX_DIR", K_STR, S(outbox_dir), NULL, 0, 0, false, "`var/outbox`",
	  "where mail and SMS land when no service is set" },
	{ "PLANYARD_SMS_URL", K_STR, S(sms_url), NULL, 0, 0, false, "unset: outbox",
	  "an SMS API speaking Twilio's Messages form" },
	{ "PLANYARD_SMS_TOKEN", K_SECRET, S(sms_token), NULL, 0, 0, false, "unset",
	  "credential of the SMS API (`SID:TOKEN`)" },
	{ "PLANYARD_SMS_FROM", K_STR, S(sms_from), NULL, 0, 0, false, "unset",
	  "sender number (E.164) of SMS" },
	{ "PLANYARD_FORECAST_URL", K_STR, S(forecast_url), NULL, 0, 0, false, "unset: `503 weather_unavailable`",
	  "an Open-Meteo-compatible forecast API base" },
	{ "PLANYARD_STRIPE_WEBHOOK_SECRET", K_SECRET, S(stripe_webhook_secret), NULL, 0, 0, true,
	  "generated, kept in the data dir", "webhook signing secret (`whsec_...`)" },
	{ "PLANYARD_STRIPE_SECRET_KEY", K_SECRET, S(stripe_secret_key), NULL, 0, 0, false,
	  "unset: `503 billing_unavailable` on checkout, portal and invoices",
	  "the payment processor's secret API key (`sk_...`), sent as a Bearer token to its HTTP API" },
	{ "PLANYARD_STRIPE_PRICES", K_STR, S(stripe_prices), NULL, 0, 0, false, "unset",
	  "the plans a workspace can choose: `plan=price_id` pairs separated by commas (`starter=price_1,pro=price_2`); "
	  "the first is the default; needed with `PLANYARD_STRIPE_SECRET_KEY`" },
	{ "PLANYARD_STRIPE_API_URL", K_STR, S(stripe_api_url), "https://api.stripe.com", 0, 0, false,
	  "`https://api.stripe.com`", "base URL of the payment processor's HTTP API (Stripe's wire format)" },
	{ "PLANYARD_CRON_SECRET", K_SECRET, S(cron_secret), NULL, 0, 0, true, "generated, printed at start",
	  "bearer secret of `/internal/cron/*`, at least 32 bytes" },
	{ "PLANYARD_TRUSTED_PROXIES", K_STR, S(trusted_proxies), "", 0, 0, false, "none",
	  "comma-separated addresses whose `X-Forwarded-For` is believed" },
	{ "PLANYARD_WEB_DIR", K_STR, S(web_dir), NULL, 0, 0, false, "unset: the copy built into the program",
	  "serve the web UI from this folder instead of the built-in copy" },
	{ "PLANYARD_BACKUP_CONFIG", K_STR, S(backup_config), NULL, 0, 0, false, "unset: DATA_DIR/backup",
	  "pgBackRest configuration of `planyard backup` and `restore` (stanza `planyard`)" },
	{ "PLANYARD_BACKUP_KEY", K_SECRET, S(backup_key), NULL, 0, 0, false, "generated, kept in the data dir",
	  "key of the encrypted backup repositories (AES-256), at least 32 bytes" },
	{ "PLANYARD_RUN_AS", K_STR, S(run_as), "nobody", 0, 0, false, "`nobody` (only when `serve` starts as root)",
	  "the user `serve` becomes after binding its ports, when started as root" },
	{ "PLANYARD_WORKERS", K_INT, S(workers), NULL, 1, 1024, false, "number of cores (at least 2)",
	  "worker threads (each keeps up to one database connection per role it has used)" },
	{ "PLANYARD_BCRYPT_COST", K_INT, S(bcrypt_cost), "12", 4, 15, false, "`12`",
	  "bcrypt cost; lower only in tests" },
	{ "PLANYARD_PBKDF2_ITERATIONS", K_INT, S(pbkdf2_iterations), "600000", 1000, 10000000, false, "`600000`",
	  "PBKDF2 rounds of the password history; lower only in tests" },
	{ "PLANYARD_DB_PREPARE", K_INT, S(db_prepare), "1", 0, 1, false, "`1`",
	  "1: prepared statements per connection; 0 behind pgbouncer in transaction mode" },
	{ "PLANYARD_HEAD_TIMEOUT_S", K_INT, S(head_timeout_s), "15", 1, 600, false, "`15`",
	  "seconds from a connection's start, or its last answer, to a complete request head; then it is closed" },
	{ "PLANYARD_MAX_CONNECTIONS_PER_IP", K_INT, S(max_connections_per_ip), "128", 1, 100000, false, "`128`",
	  "open connections one address may hold (trusted proxies are not counted); more are closed at once" },
	{ "PLANYARD_SEND_LEASE_S", K_INT, S(send_lease_s), "120", 5, 3600, false, "`120`",
	  "seconds a sender holds a claimed mail, SMS or reminder; one that died mid-send hands it on after "
	  "that (each send's timeout is under half of it)" },
	{ "PLANYARD_DEV_SNAPSHOT_INTERVAL_S", K_INT, S(dev_snapshot_interval_s), "86400", 1, 2678400, false,
	  "`86400` (a day)", "`dev` only: seconds between the snapshots it takes itself (`serve` refuses it; "
	  "production schedules `backup create --snapshot` and `backup expire`)" },
	{ "PLANYARD_DB_STATEMENT_TIMEOUT_MS", K_INT, S(db_statement_timeout_ms), "10000", 100, 600000, false,
	  "`10000`", "statement timeout of request transactions" },
	{ "PLANYARD_SMTP_TLS", K_STR, S(smtp_tls), NULL, 0, 0, false, "`opportunistic`",
	  "`required`: mail goes only over STARTTLS (it waits in the outbox otherwise); `opportunistic`: "
	  "STARTTLS when offered, which `serve` refuses; `serve` defaults to `required`" },
	{ "PLANYARD_SMTP_CA_FILE", K_STR, S(smtp_ca_file), NULL, 0, 0, false, "unset: the system's CAs",
	  "PEM file of the CAs that may sign the SMTP relay's certificate" },
	{ "PLANYARD_SECURITY_CONTACT", K_STR, S(security_contact), NULL, 0, 0, false,
	  "`mailto:security@` the public URL's host", "`Contact:` of `/.well-known/security.txt` (a `mailto:` or `https:` URI)" },
	{ "PLANYARD_SECURITY_EXPIRES", K_STR, S(security_expires), NULL, 0, 0, false, "180 days from now",
	  "`Expires:` of `/.well-known/security.txt` (RFC 3339, e.g. `2027-06-30T00:00:00Z`)" },
	{ "PLANYARD_RETENTION_SESSION_DAYS", K_INT, S(retention_session_days), "30", 0, 3650, false, "`30`",
	  "days a session that ended keeps its client address and browser (`/internal/cron/privacy`)" },
	{ "PLANYARD_RETENTION_INVITATION_DAYS", K_INT, S(retention_invitation_days), "30", 0, 3650, false, "`30`",
	  "days before an invitation never accepted is deleted, its address erased from the audit log" },
	{ "PLANYARD_RETENTION_MAIL_DAYS", K_INT, S(retention_mail_days), "90", 0, 3650, false, "`90`",
	  "days sent mail keeps its recipient and subject in the outbox" },
	{ "PLANYARD_RETENTION_FAILED_LOGIN_DAYS", K_INT, S(retention_failed_login_days), "30", 0, 3650, false, "`30`",
	  "days the audit log keeps the address typed in a failed sign-in" },
	{ "PLANYARD_RETENTION_AUDIT_IP_DAYS", K_INT, S(retention_audit_ip_days), "180", 0, 3650, false, "`180`",
	  "days the audit log keeps client addresses" },
};

static char **str_field(settings_t *s, const struct setting *e)
{
	return (char **)((char *)s + e->offset);
}

static const char *str_cfield(const settings_t *s, const struct setting *e)
{
	return *(char *const *)((const char *)s + e->offset);
}

int settings_load(settings_t *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < ARRAY_LEN(table); i++) {
		const struct setting *e = &table[i];
		const char *v = getenv(e->name);
		if (v && !*v)
			v = NULL;
		if (!v)
			v = e->def;
		if (e->kind == K_INT) {
			long *f = (long *)((char *)s + e->offset);
			if (!v) {
				*f = 0;
				continue;
			}
			char *end;
			errno = 0;
			long n = strtol(v, &end, 10);
			if (errno || *end || end == v || n < e->min || n > e->max) {
				snprintf(err, errlen, "%s must be a whole number from %ld to %ld", e->name, e->min, e->max);
				return -1;
			}
			*f = n;
		} else {
			char **f = str_field(s, e);
			*f = v ? strdup(v) : NULL;
			if (v && !*f)
				fatal("out of memory");
		}
	}
	if (s->workers == 0) {
		/* One per core: a worker waits for its database connection, whose backend needs the
		 * same cores; more workers than cores queued more requests behind each other (GET
		 * /pours at 64 connections on 2 cores: p99 21-28 ms with 2 workers, 35-57 with 4) and
		 * made PostgreSQL's backends contend. Two at least, so that one slow request holds
		 * only half of the connections. */
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		s->workers = n > 2 ? (int)n : 2;
	}
	return 0;
}

int settings_check(const settings_t *s, enum settings_mode mode, char *err, size_t errlen)
{
	/* knobs of a dev layout's tests: production never runs with them */
	static const char *const dev_only[] = { "PLANYARD_DEV_SNAPSHOT_INTERVAL_S", "PLANYARD_BACKUP_NOW" };
	for (size_t i = 0; mode == SETTINGS_SERVE && i < ARRAY_LEN(dev_only); i++)
		if (getenv(dev_only[i]) && *getenv(dev_only[i])) {
			snprintf(err, errlen, "%s is for `dev` only; `serve` refuses it", dev_only[i]);
			return -1;
		}
	for (size_t i = 0; i < ARRAY_LEN(table); i++) {
		const struct setting *e = &table[i];
		if (e->kind == K_INT)
			continue;
		const char *v = str_cfield(s, e);
		if (!v && e->serve_required && mode == SETTINGS_SERVE) {
			snprintf(err, errlen, "%s is not set; `serve` has no default for it", e->name);
			return -1;
		}
		if (v && e->kind == K_SECRET && strlen(v) < 32 &&
		    (mode == SETTINGS_SERVE || e->serve_required)) {
			snprintf(err, errlen, "%s is too short: a secret needs at least 32 bytes", e->name);
			return -1;
		}
	}
	char host[256];
	int port;
	if (settings_parse_listen(s->listen_https, host, sizeof host, &port) < 0) {
		snprintf(err, errlen, "PLANYARD_LISTEN_HTTPS must be host:port");
		return -1;
	}
	if (strcmp(s->listen_http, "off") != 0 && settings_parse_listen(s->listen_http, host, sizeof host, &port) < 0) {
		snprintf(err, errlen, "PLANYARD_LISTEN_HTTP must be host:port or off");
		return -1;
	}
	if (s->smtp_tls && strcmp(s->smtp_tls, "required") != 0 && strcmp(s->smtp_tls, "opportunistic") != 0) {
		snprintf(err, errlen, "PLANYARD_SMTP_TLS must be required or opportunistic");
		return -1;
	}
	if (mode == SETTINGS_SERVE && s->smtp_tls && strcmp(s->smtp_tls, "required") != 0) {
		snprintf(err, errlen, "PLANYARD_SMTP_TLS=opportunistic could send mail in clear; `serve` sends only over TLS");
		return -1;
	}
	if (s->security_expires && (strlen(s->security_expires) != 20 || s->security_expires[4] != '-' ||
				    s->security_expires[10] != 'T' || s->security_expires[19] != 'Z')) {
		snprintf(err, errlen, "PLANYARD_SECURITY_EXPIRES must be an RFC 3339 time in UTC, like 2027-06-30T00:00:00Z");
		return -1;
	}
	if (s->security_contact && strncmp(s->security_contact, "mailto:", 7) != 0 &&
	    strncmp(s->security_contact, "https://", 8) != 0) {
		snprintf(err, errlen, "PLANYARD_SECURITY_CONTACT must be a mailto: or https: URI");
		return -1;
	}
	if (s->stripe_prices && stripe_prices_valid(s->stripe_prices) < 0) {
		snprintf(err, errlen, "PLANYARD_STRIPE_PRICES must be plan=price_id pairs separated by commas "
				      "(plan: a-z, 0-9, _ or -, up to 40; price id: letters, digits and _)");
		return -1;
	}
	if (s->stripe_secret_key && !s->stripe_prices) {
		snprintf(err, errlen, "PLANYARD_STRIPE_SECRET_KEY is set but PLANYARD_STRIPE_PRICES names no plan");
		return -1;
	}
	if (strncmp(s->stripe_api_url, "https://", 8) != 0 &&
	    (mode == SETTINGS_SERVE || strncmp(s->stripe_api_url, "http://", 7) != 0)) {
		snprintf(err, errlen, "PLANYARD_STRIPE_API_URL must start with https://");
		return -1;
	}
	if (s->public_url && strncmp(s->public_url, "https://", 8) != 0 && strncmp(s->public_url, "http://", 7) != 0) {
		snprintf(err, errlen, "PLANYARD_PUBLIC_URL must start with https://");
		return -1;
	}
	return 0;
}

int settings_parse_listen(const char *v, char *host, size_t hostlen, int *port)
{
	if (!v)
		return -1;
	const char *colon = strrchr(v, ':');
	if (!colon || colon == v)
		return -1;
	const char *h = v;
	size_t hl = (size_t)(colon - v);
	if (h[0] == '[') {
		if (hl < 3 || h[hl - 1] != ']')
			return -1;
		h++;
		hl -= 2;
	}
	if (hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	char *end;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

void settings_free(settings_t *s)
{
	for (size_t i = 0; i < ARRAY_LEN(table); i++)
		if (table[i].kind != K_INT) {
			char **f = str_field(s, &table[i]);
			free(*f);
			*f = NULL;
		}
}

void settings_print_markdown(FILE *out)
{
	fputs("| variable | meaning | `dev` default | secret |\n|---|---|---|---|\n", out);
	for (size_t i = 0; i < ARRAY_LEN(table); i++) {
		const struct setting *e = &table[i];
		fprintf(out, "| `%s` | %s | %s | %s |\n", e->name, e->meaning, e->dev_default,
			e->kind == K_SECRET ? "yes" : "");
	}
}
