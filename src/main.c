/* planyard: the command line. `dev` runs everything on a private database; `serve` is
 * production, configured only by the environment; the rest are operator commands. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api/cron.h"
#include "api/records.h"
#include "app.h"
#include "gate.h"
#include "backup.h"
#include "auth/password.h"
#include "auth/sealed.h"
#include "mail.h"
#include "workpool.h"
#include "crypto.h"
#include "demo.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "pgdev.h"
#include "platform.h"
#include "server.h"
#include "settings.h"
#include "static.h"
#include "tlsgen.h"

static void usage(void)
{
	fputs("usage: planyard COMMAND\n"
	      "  dev [--no-demo]   private database, migrations, self-signed TLS, then serve\n"
	      "  serve             production: every setting from PLANYARD_* variables\n"
	      "  migrate           apply pending migrations (PLANYARD_ADMIN_DATABASE_URL)\n"
	      "  jobs reminders    send due reminders, day sheets, change notices and trial steps once (for a system cron)\n"
	      "  jobs retention    delete workspaces suspended for more than 30 days\n"
	      "  backup create [--type full|incr|diff] [--snapshot] | list | verify | expire\n"
	      "  restore --to TIME --into DIR [--in-place]\n"
	      "  platform impersonate --workspace SLUG --user EMAIL --staff NAME --reason TEXT\n"
	      "                    print a single-use link (5 minutes) to a staff session of that member\n"
	      "  platform notify --subject TEXT --body-file FILE\n"
	      "                    queue one message to every owner of a workspace (audited)\n"
	      "  settings          print the settings table (Markdown)\n",
	      stderr);
}

/* Reads DIR/secrets/NAME, or makes it (prefix + 43 random characters, mode 0600). */
static int dev_secret(const char *dir, const char *name, const char *prefix, char **field)
{
	if (*field)
		return 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/secrets", dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof path, "%s/secrets/%s", dir, name);
	char value[128] = "";
	FILE *f = fopen(path, "r");
	if (f) {
		if (!fgets(value, sizeof value, f))
			value[0] = '\0';
		fclose(f);
		value[strcspn(value, "\n")] = '\0';
	}
	if (strlen(value) < 32) {
		char tok[44];
		crypto_token(tok);
		snprintf(value, sizeof value, "%s%s", prefix, tok);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			return -1;
		f = fdopen(fd, "w");
		if (!f || fprintf(f, "%s\n", value) < 0 || fclose(f) != 0)
			return -1;
	}
	*field = strdup(value);
	return *field ? 0 : -1;
}

static void set_default(char **field, const char *value)
{
	if (!*field && !(*field = strdup(value)))
		fatal("out of memory");
}

/* Everything a serving process needs once its settings are complete. */
static void init_services(const settings_t *s)
{
	app_settings = s;
	db_configure(s->database_url, s->db_statement_timeout_ms, s->db_prepare != 0);
	db_configure_pool(DB_AUTH, s->auth_database_url);
	db_configure_pool(DB_JOBS, s->jobs_database_url);
	gate_init(s);
	static_init(s->web_dir);
	sealed_init(s->data_key);
	password_init(s->password_pepper, (int)s->bcrypt_cost, (int)s->pbkdf2_iterations);
	/* as many hashing threads as cores, at a lower priority than request handling */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	workpool_start(cores > 0 ? (int)cores : 2);
	mail_start_sender(s);
	records_init();
}

static int cmd_dev(settings_t *s, int argc, char **argv)
{
	bool demo = true;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--no-demo") == 0)
			demo = false;
		else {
			usage();
			return 2;
		}
	}
	char err[512];
	struct pgdev pg;
	char dd[4096];
	/* a signal from here on stops what has been started, the cluster included */
	server_catch_signals();
	if (mkdir(s->data_dir, 0711) < 0 && errno != EEXIST) {
		fprintf(stderr, "planyard: cannot create %s\n", s->data_dir);
		return 1;
	}
	if (!realpath(s->data_dir, dd) || dev_secret(dd, "backup_key", "", &s->backup_key) < 0) {
		fprintf(stderr, "planyard: cannot keep secrets in %s/secrets\n", s->data_dir);
		return 1;
	}
	int rc = 1;
	char abs[4096];
	if (pgdev_start(s->data_dir, &pg, s->backup_key, err, sizeof err) < 0) {
		fprintf(stderr, "planyard: %s\n", err);
		goto out;
	}
	if (server_stopping() || !realpath(s->data_dir, abs))
		goto out;
	set_default(&s->database_url, pg.app_url);
	set_default(&s->auth_database_url, pg.auth_url);
	set_default(&s->jobs_database_url, pg.jobs_url);
	set_default(&s->admin_database_url, pg.admin_url);
	int m = migrate_run(s->admin_database_url, err, sizeof err);
	if (m < 0) {
		fprintf(stderr, "planyard: %s\n", err);
		if (m == MIGRATE_DRIFT)
			rc = 2;
		goto out;
	}
	if (server_stopping())
		goto out;
	char path[4200];
	if (!s->tls_cert || !s->tls_key) {
		snprintf(path, sizeof path, "%s/tls", abs);
		mkdir(path, 0700);
		char cert[4300], key[4300];
		snprintf(cert, sizeof cert, "%s/tls/cert.pem", abs);
		snprintf(key, sizeof key, "%s/tls/key.pem", abs);
		if (access(cert, R_OK) < 0 || access(key, R_OK) < 0) {
			if (tlsgen_self_signed(cert, key, err, sizeof err) < 0) {
				fprintf(stderr, "planyard: %s\n", err);
				goto out;
			}
		}
		set_default(&s->tls_cert, cert);
		set_default(&s->tls_key, key);
	}
	if (dev_secret(abs, "jwt_secret", "", &s->jwt_secret) < 0 ||
	    dev_secret(abs, "password_pepper", "", &s->password_pepper) < 0 ||
	    dev_secret(abs, "data_key", "", &s->data_key) < 0 ||
	    dev_secret(abs, "stripe_webhook_secret", "whsec_", &s->stripe_webhook_secret) < 0 ||
	    dev_secret(abs, "cron_secret", "", &s->cron_secret) < 0) {
		fprintf(stderr, "planyard: cannot keep secrets in %s/secrets\n", abs);
		goto out;
	}
	char host[256];
	int port = 8443;
	if (settings_parse_listen(s->listen_https, host, sizeof host, &port) < 0)
		port = 8443;
	snprintf(path, sizeof path, "https://localhost:%d", port);
	set_default(&s->public_url, path);
	snprintf(path, sizeof path, "%s/outbox", abs);
	set_default(&s->outbox_dir, path);
	mkdir(s->outbox_dir, 0700);
	set_default(&s->smtp_tls, "opportunistic");
	if (settings_check(s, SETTINGS_DEV, err, sizeof err) < 0) {
		fprintf(stderr, "planyard: %s\n", err);
		rc = 2;
		goto out;
	}
	init_services(s);
	if (demo) {
		char *password = NULL;
		if (dev_secret(abs, "demo_password", "demo-", &password) < 0 ||
		    demo_seed(s->admin_database_url, "demo@planyard.localhost", password, err, sizeof err) < 0) {
			fprintf(stderr, "planyard: %s\n", password ? err : "cannot keep the demo password");
			free(password);
			goto out;
		}
		printf("demo workspace: sign in to \"demo\" as demo@planyard.localhost with password %s\n", password);
		printf("demo agency (trips): sign in to \"demo-trips\" as demo@planyard.localhost with password %s\n", password);
		free(password);
	}
	if (server_stopping())
		goto out;
	printf("Planyard is running at %s\n", s->public_url);
	printf("cron secret (for /api/v1/internal/cron/*): %s\n", s->cron_secret);
	fflush(stdout);
	backup_schedule_start(s);
	rc = server_run(s, err, sizeof err);
	backup_schedule_stop();
	mail_stop_sender();
	if (rc < 0) {
		fprintf(stderr, "planyard: %s\n", err);
		rc = rc == -2 ? 2 : 1;
	}
out:
	pgdev_stop(&pg);
	if (rc == 1 && server_stopping())
		rc = 0;  /* asked to stop before serving: nothing failed */
	return rc;
}

static const char *run_as;

/* `serve` started as root: once the ports are bound, become the unprivileged user. */
static int drop_root(char *err, size_t errlen)
{
	if (getuid() != 0 && geteuid() != 0)
		return 0;
	struct passwd *pw = getpwnam(run_as);
	if (!pw || pw->pw_uid == 0) {
		snprintf(err, errlen, "PLANYARD_RUN_AS names no unprivileged user (%s)", run_as);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0 || setuid(0) == 0) {
		snprintf(err, errlen, "cannot drop root privileges to %s", run_as);
		return -1;
	}
	log_info("serving as %s", run_as);
	return 0;
}

static int cmd_serve(settings_t *s)
{
	char err[512];
	if (settings_check(s, SETTINGS_SERVE, err, sizeof err) < 0) {
		fprintf(stderr, "planyard: %s\n", err);
		return 2;
	}
	init_services(s);
	run_as = s->run_as;
	server_after_bind(drop_root);
	int rc = server_run(s, err, sizeof err);
	mail_stop_sender();
	if (rc < 0) {
		fprintf(stderr, "planyard: %s\n", err);
		return rc == -2 ? 2 : 1;
	}
	return 0;
}

static int cmd_migrate(settings_t *s)
{
	char err[512];
	if (!s->admin_database_url) {
		fprintf(stderr, "planyard: PLANYARD_ADMIN_DATABASE_URL is not set\n");
		return 2;
	}
	int n = migrate_run(s->admin_database_url, err, sizeof err);
	if (n < 0) {
		fprintf(stderr, "planyard: %s\n", err);
		return n == MIGRATE_DRIFT ? 2 : 1;
	}
	printf("%d migration%s applied\n", n, n == 1 ? "" : "s");
	return 0;
}

/* Outside `dev`, a command run next to a dev layout finds its database and secrets there. */
static void dev_layout(settings_t *s)
{
	char abs[4096], path[4200];
	if (!realpath(s->data_dir, abs))
		return;
	snprintf(path, sizeof path, "%s/pg", abs);
	char pg[4096];
	if (!s->jobs_database_url && realpath(path, pg)) {
		snprintf(path, sizeof path, "host=%s dbname=planyard user=planyard_jobs", pg);
		set_default(&s->jobs_database_url, path);
	}
	snprintf(path, sizeof path, "%s/secrets", abs);
	if (access(path, R_OK) == 0) {
		(void)dev_secret(abs, "data_key", "", &s->data_key);
		(void)dev_secret(abs, "jwt_secret", "", &s->jwt_secret);
	}
	snprintf(path, sizeof path, "%s/outbox", abs);
	set_default(&s->outbox_dir, path);
}

static int cmd_jobs(settings_t *s, int argc, char **argv)
{
	if (argc != 1 || (strcmp(argv[0], "reminders") != 0 && strcmp(argv[0], "retention") != 0)) {
		usage();
		return 2;
	}
	dev_layout(s);
	if (!s->jobs_database_url || !s->data_key || strlen(s->data_key) < 32) {
		fprintf(stderr, "planyard: PLANYARD_JOBS_DATABASE_URL and PLANYARD_DATA_KEY are needed\n");
		return 2;
	}
	app_settings = s;
	db_configure(s->jobs_database_url, s->db_statement_timeout_ms, s->db_prepare != 0);
	db_configure_pool(DB_JOBS, s->jobs_database_url);
	sealed_init(s->data_key);
	db_t *db = db_thread_for(DB_JOBS);
	int a = 0, b = 0, rc;
	bool reminders = strcmp(argv[0], "reminders") == 0;
	/* reminders commit one by one (src/api/cron.c); retention is one transaction */
	if (!db || (!reminders && db_begin(db) < 0)) {
		fprintf(stderr, "planyard: the database is not reachable\n");
		return 1;
	}
	int sheets, notices;
	rc = reminders ? cron_send_reminders(db, s, &a, &b) : cron_retention(db, &a);
	/* like the cron endpoint: the sheets due and the change notices owed go out after the
	 * reminders, each person's once (app.sheets_claim, app.sheet_notices_take_job), then the
	 * trial clock takes its due steps */
	int steps = 0;
	if (rc == 0 && reminders)
		rc = cron_send_sheets(&sheets, &notices);
	if (rc == 0 && reminders)
		rc = cron_trial_clock(&steps);
	if (rc < 0 || (!reminders && db_commit(db) < 0)) {
		if (!reminders)
			db_rollback(db);
		fprintf(stderr, "planyard: the job failed\n");
		return 1;
	}
	if (reminders)
		printf("{\"sent\":%d,\"failed\":%d}\n", a, b);
	else
		printf("{\"deleted\":%d}\n", a);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return 2;
	}
	settings_t s;
	char err[512];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (settings_load(&s, err, sizeof err) < 0) {
		fprintf(stderr, "planyard: %s\n", err);
		return 2;
	}
	const char *cmd = argv[1];
	int rc = 2;
	if (strcmp(cmd, "dev") == 0)
		rc = cmd_dev(&s, argc - 2, argv + 2);
	else if (strcmp(cmd, "platform") == 0) {
		dev_layout(&s);  /* the data key of a dev layout seals its notices */
		sealed_init(s.data_key);
		rc = platform_main(&s, argc - 2, argv + 2);
	}
	else if (strcmp(cmd, "serve") == 0)
		rc = cmd_serve(&s);
	else if (strcmp(cmd, "migrate") == 0)
		rc = cmd_migrate(&s);
	else if (strcmp(cmd, "jobs") == 0)
		rc = cmd_jobs(&s, argc - 2, argv + 2);
	else if (strcmp(cmd, "backup") == 0)
		rc = backup_command(&s, argc - 2, argv + 2);
	else if (strcmp(cmd, "restore") == 0)
		rc = restore_command(&s, argc - 2, argv + 2);
	else if (strcmp(cmd, "settings") == 0) {
		settings_print_markdown(stdout);
		rc = 0;
	} else
		usage();
	settings_free(&s);
	db_thread_close();
	return rc;
}
