/* Settings: one table of PLANYARD_* environment variables with type, range, and whether
 * the value is a secret. Loaded once at start-up; read-only afterwards. */
#ifndef PLANYARD_SETTINGS_H
#define PLANYARD_SETTINGS_H

#include <stdio.h>
#include "common.h"

typedef struct {
	char *data_dir;
	char *database_url;
	char *auth_database_url;
	char *jobs_database_url;
	char *admin_database_url;
	char *platform_database_url;
	char *listen_https;
	char *listen_http;
	char *tls_cert;
	char *tls_key;
	char *public_url;
	char *jwt_secret;
	char *password_pepper;
	char *data_key;
	char *smtp_url;
	char *mail_from;
	char *outbox_dir;
	char *sms_url;
	char *sms_token;
	char *sms_from;
	char *forecast_url;
	char *stripe_webhook_secret;
	char *stripe_secret_key;
	char *stripe_prices;
	char *stripe_api_url;
	char *cron_secret;
	char *trusted_proxies;
	char *web_dir;
	char *run_as;
	char *backup_config;
	char *backup_key;
	long workers;
	long bcrypt_cost;
	long pbkdf2_iterations;
	long db_statement_timeout_ms;
	long db_prepare;
	long head_timeout_s;
	long max_connections_per_ip;
	long send_lease_s;
	long dev_snapshot_interval_s;
	char *smtp_tls;
	char *smtp_ca_file;
	char *security_contact;
	char *security_expires;
	long retention_session_days;
	long retention_invitation_days;
	long retention_mail_days;
	long retention_failed_login_days;
	long retention_audit_ip_days;
} settings_t;

enum settings_mode { SETTINGS_DEV, SETTINGS_SERVE };

/* Reads every variable of the table from the environment into s (strings are malloc'd and
 * live for the process). Returns 0, or -1 with one line in err when a value is malformed. */
int settings_load(settings_t *s, char *err, size_t errlen) WUR;

/* Checks what `serve` needs: every secret present and at least 32 bytes, a database URL,
 * a certificate and key named. Returns 0, or -1 with one line in err. */
int settings_check(const settings_t *s, enum settings_mode mode, char *err, size_t errlen) WUR;

/* Frees the strings of s. */
void settings_free(settings_t *s);

/* Prints the table as Markdown (the README's settings section is made from it). */
void settings_print_markdown(FILE *out);

/* Parses "host:port" (host may be [v6]); 0 or -1. host receives at most hostlen-1 bytes. */
int settings_parse_listen(const char *v, char *host, size_t hostlen, int *port) WUR;

#endif
