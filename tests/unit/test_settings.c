/* Unit tests of src/settings.c: loading from the environment, the `serve` checks, listen parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "settings.h"

extern char **environ;

#define SECRET32 "0123456789abcdef0123456789abcdef"
#define SECRET31 "0123456789abcdef0123456789abcde"

/* The variables `serve` refuses to start without. */
static const char *const serve_required[] = {
	"PLANYARD_DATABASE_URL", "PLANYARD_AUTH_DATABASE_URL", "PLANYARD_JOBS_DATABASE_URL", "PLANYARD_TLS_CERT", "PLANYARD_TLS_KEY", "PLANYARD_PUBLIC_URL",
	"PLANYARD_JWT_SECRET", "PLANYARD_PASSWORD_PEPPER", "PLANYARD_DATA_KEY",
	"PLANYARD_STRIPE_WEBHOOK_SECRET", "PLANYARD_CRON_SECRET",
};

static const char *const secrets[] = {
	"PLANYARD_JWT_SECRET", "PLANYARD_PASSWORD_PEPPER", "PLANYARD_DATA_KEY",
	"PLANYARD_STRIPE_WEBHOOK_SECRET", "PLANYARD_CRON_SECRET", "PLANYARD_SMS_TOKEN",
};

/* Removes every PLANYARD_* variable, so each test starts from a known environment. */
static int clear_env(void **state)
{
	for (;;) {
		char name[128] = "";
		for (char **e = environ; *e; e++) {
			if (strncmp(*e, "PLANYARD_", 9) == 0) {
				const char *eq = strchr(*e, '=');
				size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
				if (n < sizeof name) {
					memcpy(name, *e, n);
					name[n] = '\0';
					break;
				}
			}
		}
		if (!name[0])
			return 0;
		unsetenv(name);
	}
}

/* A complete environment that `serve` accepts. */
static void set_serve_env(void)
{
	setenv("PLANYARD_DATABASE_URL", "postgresql://app@localhost/planyard", 1);
	setenv("PLANYARD_AUTH_DATABASE_URL", "postgresql://auth@localhost/planyard", 1);
	setenv("PLANYARD_JOBS_DATABASE_URL", "postgresql://jobs@localhost/planyard", 1);
	setenv("PLANYARD_TLS_CERT", "/etc/planyard/cert.pem", 1);
	setenv("PLANYARD_TLS_KEY", "/etc/planyard/key.pem", 1);
	setenv("PLANYARD_PUBLIC_URL", "https://planyard.example", 1);
	setenv("PLANYARD_JWT_SECRET", SECRET32 "j", 1);
	setenv("PLANYARD_PASSWORD_PEPPER", SECRET32 "p", 1);
	setenv("PLANYARD_DATA_KEY", SECRET32 "d", 1);
	setenv("PLANYARD_STRIPE_WEBHOOK_SECRET", SECRET32 "s", 1);
	setenv("PLANYARD_CRON_SECRET", SECRET32 "c", 1);
}

static void load_ok(settings_t *s)
{
	char err[256] = "";
	if (settings_load(s, err, sizeof err) != 0)
		fail_msg("settings_load failed: %s", err);
}

/* settings_check; returns its result and leaves the message in err. */
static int check(enum settings_mode mode, char *err, size_t errlen)
{
	settings_t s;
	load_ok(&s);
	err[0] = '\0';
	int rc = settings_check(&s, mode, err, errlen);
	settings_free(&s);
	return rc;
}

static void test_defaults(void **state)
{
	settings_t s;
	load_ok(&s);
	assert_string_equal(s.data_dir, "var");
	assert_string_equal(s.listen_https, "0.0.0.0:8443");
	assert_string_equal(s.listen_http, "0.0.0.0:8080");
	assert_string_equal(s.trusted_proxies, "");
	assert_null(s.database_url);
	assert_null(s.jwt_secret);
	assert_null(s.smtp_url);
	assert_int_equal(s.bcrypt_cost, 12);
	assert_int_equal(s.db_statement_timeout_ms, 10000);
	assert_true(s.workers >= 1);
	settings_free(&s);
	assert_null(s.data_dir);
	assert_null(s.listen_https);
}

static void test_values_from_env(void **state)
{
	setenv("PLANYARD_DATABASE_URL", "postgresql://x/y", 1);
	setenv("PLANYARD_WORKERS", "8", 1);
	setenv("PLANYARD_BCRYPT_COST", "4", 1);
	setenv("PLANYARD_DB_STATEMENT_TIMEOUT_MS", "600000", 1);
	setenv("PLANYARD_DATA_DIR", "", 1); /* empty means unset: the default */
	settings_t s;
	load_ok(&s);
	setenv("PLANYARD_DATABASE_URL", "changed", 1);
	assert_string_equal(s.database_url, "postgresql://x/y"); /* a copy */
	assert_string_equal(s.data_dir, "var");
	assert_int_equal(s.workers, 8);
	assert_int_equal(s.bcrypt_cost, 4);
	assert_int_equal(s.db_statement_timeout_ms, 600000);
	settings_free(&s);
}

static void test_bad_integers(void **state)
{
	static const struct {
		const char *name, *value;
	} cases[] = {
		{ "PLANYARD_WORKERS", "abc" },
		{ "PLANYARD_WORKERS", "0" },
		{ "PLANYARD_WORKERS", "1025" },
		{ "PLANYARD_WORKERS", "4x" },
		{ "PLANYARD_WORKERS", "99999999999999999999999" },
		{ "PLANYARD_BCRYPT_COST", "3" },
		{ "PLANYARD_BCRYPT_COST", "16" },
		{ "PLANYARD_BCRYPT_COST", "12.0" },
		{ "PLANYARD_BCRYPT_COST", "-12" },
		{ "PLANYARD_DB_STATEMENT_TIMEOUT_MS", "99" },
		{ "PLANYARD_DB_STATEMENT_TIMEOUT_MS", "1e4" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		clear_env(NULL);
		setenv(cases[i].name, cases[i].value, 1);
		settings_t s;
		char err[256] = "";
		int rc = settings_load(&s, err, sizeof err);
		settings_free(&s); /* strings read before the bad value */
		if (rc != -1)
			fail_msg("%s=%s was accepted", cases[i].name, cases[i].value);
		if (!strstr(err, cases[i].name))
			fail_msg("%s=%s: message \"%s\" does not name the variable", cases[i].name, cases[i].value, err);
		assert_null(strchr(err, '\n'));
	}
}

static void test_serve_accepts_complete_env(void **state)
{
	char err[256];
	set_serve_env();
	if (check(SETTINGS_SERVE, err, sizeof err) != 0)
		fail_msg("serve refused a complete environment: %s", err);
	/* `dev` needs none of it */
	clear_env(NULL);
	if (check(SETTINGS_DEV, err, sizeof err) != 0)
		fail_msg("dev refused an empty environment: %s", err);
}

static void test_serve_refuses_missing(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(serve_required); i++) {
		char err[256];
		clear_env(NULL);
		set_serve_env();
		unsetenv(serve_required[i]);
		if (check(SETTINGS_SERVE, err, sizeof err) != -1)
			fail_msg("serve accepted a missing %s", serve_required[i]);
		if (!strstr(err, serve_required[i]))
			fail_msg("missing %s: message \"%s\" does not name it", serve_required[i], err);
		/* an empty value is missing too */
		setenv(serve_required[i], "", 1);
		assert_int_equal(check(SETTINGS_SERVE, err, sizeof err), -1);
		assert_non_null(strstr(err, serve_required[i]));
	}
}

/* The processor's key needs its price table, the table must parse, and `serve` talks to the
 * processor over HTTPS only (a stand-in on http:// is for `dev`). */
static void test_stripe_settings(void **state)
{
	char err[256];
	set_serve_env();
	setenv("PLANYARD_STRIPE_SECRET_KEY", "sk_live_" SECRET32, 1);
	assert_int_equal(check(SETTINGS_SERVE, err, sizeof err), -1);
	assert_non_null(strstr(err, "PLANYARD_STRIPE_PRICES"));
	assert_null(strstr(err, SECRET32));
	setenv("PLANYARD_STRIPE_PRICES", "starter=price_1,pro", 1);
	assert_int_equal(check(SETTINGS_SERVE, err, sizeof err), -1);
	assert_non_null(strstr(err, "PLANYARD_STRIPE_PRICES"));
	setenv("PLANYARD_STRIPE_PRICES", "starter=price_1,pro=price_2", 1);
	if (check(SETTINGS_SERVE, err, sizeof err) != 0)
		fail_msg("serve refused a complete processor setting: %s", err);
	setenv("PLANYARD_STRIPE_SECRET_KEY", "sk_short", 1);
	assert_int_equal(check(SETTINGS_SERVE, err, sizeof err), -1);
	setenv("PLANYARD_STRIPE_SECRET_KEY", "sk_live_" SECRET32, 1);
	setenv("PLANYARD_STRIPE_API_URL", "http://127.0.0.1:9", 1);
	assert_int_equal(check(SETTINGS_SERVE, err, sizeof err), -1);
	assert_non_null(strstr(err, "PLANYARD_STRIPE_API_URL"));
	assert_int_equal(check(SETTINGS_DEV, err, sizeof err), 0);
}

static void test_serve_refuses_short_secrets(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(secrets); i++) {
		char err[256];
		clear_env(NULL);
		set_serve_env();
		setenv(secrets[i], SECRET31, 1);
		if (check(SETTINGS_SERVE, err, sizeof err) != -1)
			fail_msg("serve accepted a 31-byte %s", secrets[i]);
		if (!strstr(err, secrets[i]))
			fail_msg("short %s: message \"%s\" does not name it", secrets[i], err);
		/* the message never carries the secret */
		assert_null(strstr(err, SECRET31));
		setenv(secrets[i], SECRET32, 1);
		if (check(SETTINGS_SERVE, err, sizeof err) != 0)
			fail_msg("serve refused a 32-byte %s: %s", secrets[i], err);
	}
}

static void test_dev_short_secret(void **state)
{
	char err[256];
	/* a short secret that `serve` requires is refused in dev too (it would be used) */
	setenv("PLANYARD_JWT_SECRET", "short", 1);
	assert_int_equal(check(SETTINGS_DEV, err, sizeof err), -1);
	assert_non_null(strstr(err, "PLANYARD_JWT_SECRET"));
	/* an optional secret is only checked by `serve` */
	clear_env(NULL);
	setenv("PLANYARD_SMS_TOKEN", "short", 1);
	assert_int_equal(check(SETTINGS_DEV, err, sizeof err), 0);
}

static void test_serve_checks_listen_and_url(void **state)
{
	char err[256];
	set_serve_env();
	setenv("PLANYARD_LISTEN_HTTPS", "nope", 1);
	assert_int_equal(check(SETTINGS_SERVE, err, sizeof err), -1);
	assert_non_null(strstr(err, "PLANYARD_LISTEN_HTTPS"));
	setenv("PLANYARD_LISTEN_HTTPS", "127.0.0.1:9443", 1);
	setenv("PLANYARD_LISTEN_HTTP", "off", 1);
	assert_int_equal(check(SETTINGS_SERVE, err, sizeof err), 0);
	setenv("PLANYARD_LISTEN_HTTP", "127.0.0.1:70000", 1);
	assert_int_equal(check(SETTINGS_SERVE, err, sizeof err), -1);
	assert_non_null(strstr(err, "PLANYARD_LISTEN_HTTP"));
	setenv("PLANYARD_LISTEN_HTTP", "[::]:8080", 1);
	setenv("PLANYARD_PUBLIC_URL", "ftp://planyard.example", 1);
	assert_int_equal(check(SETTINGS_SERVE, err, sizeof err), -1);
	assert_non_null(strstr(err, "PLANYARD_PUBLIC_URL"));
}

static void test_parse_listen(void **state)
{
	static const struct {
		const char *v;
		int rc;
		const char *host;
		int port;
	} cases[] = {
		{ "0.0.0.0:8443", 0, "0.0.0.0", 8443 },
		{ "127.0.0.1:1", 0, "127.0.0.1", 1 },
		{ "localhost:65535", 0, "localhost", 65535 },
		{ "[::1]:8443", 0, "::1", 8443 },
		{ "[::]:80", 0, "::", 80 },
		{ "[fe80::1%eth0]:443", 0, "fe80::1%eth0", 443 },
		{ "127.0.0.1:65536", -1, NULL, 0 },
		{ "127.0.0.1:-1", -1, NULL, 0 },
		{ "127.0.0.1:", -1, NULL, 0 },
		{ "127.0.0.1:http", -1, NULL, 0 },
		{ "127.0.0.1:80x", -1, NULL, 0 },
		{ "127.0.0.1:99999999999999999999", -1, NULL, 0 },
		{ "127.0.0.1", -1, NULL, 0 },
		{ ":8080", -1, NULL, 0 },
		{ "[::1]", -1, NULL, 0 },
		{ "[]:80", -1, NULL, 0 },
		{ "[::1:80", -1, NULL, 0 },
		{ "", -1, NULL, 0 },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char host[64] = "unchanged";
		int port = -7;
		int rc = settings_parse_listen(cases[i].v, host, sizeof host, &port);
		if (rc != cases[i].rc)
			fail_msg("settings_parse_listen(\"%s\") = %d, want %d", cases[i].v, rc, cases[i].rc);
		if (rc == 0) {
			assert_string_equal(host, cases[i].host);
			assert_int_equal(port, cases[i].port);
		}
	}
	char host[64];
	int port;
	assert_int_equal(settings_parse_listen(NULL, host, sizeof host, &port), -1);
	/* the host must fit, with its NUL */
	char small[10];
	assert_int_equal(settings_parse_listen("localhost:80", small, sizeof small, &port), 0);
	assert_string_equal(small, "localhost");
	assert_int_equal(settings_parse_listen("localhost1:80", small, sizeof small, &port), -1);
}

static void test_markdown(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	settings_print_markdown(f);
	fclose(f);
	assert_non_null(strstr(text, "| variable |"));
	for (size_t i = 0; i < ARRAY_LEN(serve_required); i++)
		assert_non_null(strstr(text, serve_required[i]));
	assert_non_null(strstr(text, "`PLANYARD_JWT_SECRET` |"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, clear_env),
		cmocka_unit_test_setup(test_values_from_env, clear_env),
		cmocka_unit_test_setup(test_bad_integers, clear_env),
		cmocka_unit_test_setup(test_serve_accepts_complete_env, clear_env),
		cmocka_unit_test_setup(test_serve_refuses_missing, clear_env),
		cmocka_unit_test_setup(test_serve_refuses_short_secrets, clear_env),
		cmocka_unit_test_setup(test_stripe_settings, clear_env),
		cmocka_unit_test_setup(test_dev_short_secret, clear_env),
		cmocka_unit_test_setup(test_serve_checks_listen_and_url, clear_env),
		cmocka_unit_test_setup(test_parse_listen, clear_env),
		cmocka_unit_test_setup(test_markdown, clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
