#include "platform.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "jsonv.h"
#include "mail.h"

static int usage(void)
{
	fputs("usage: planyard platform impersonate --workspace SLUG --user EMAIL --staff NAME --reason TEXT\n"
	      "       planyard platform notify --subject TEXT --body-file FILE\n", stderr);
	return 2;
}

/* One statement with parameters; 0, or -1 after one line on stderr. */
static int exec_params(PGconn *c, const char *sql, int n, const char *const *p, PGresult **out)
{
	PGresult *res = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (!m)
			m = PQerrorMessage(c);
		fprintf(stderr, "planyard: %.*s\n", (int)strcspn(m, "\n"), m);
		PQclear(res);
		return -1;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return 0;
}

/* The database as staff tooling reaches it: the configured URL, else the dev cluster. */
static int conninfo(const settings_t *s, char *out, size_t n)
{
	if (s->platform_database_url) {
		snprintf(out, n, "%s", s->platform_database_url);
		return 0;
	}
	char link[PATH_MAX], dir[PATH_MAX];
	snprintf(link, sizeof link, "%s/pg", s->data_dir);
	if (!realpath(link, dir)) {
		fprintf(stderr, "planyard: PLANYARD_PLATFORM_DATABASE_URL is not set and there is no dev cluster in %s\n",
			link);
		return -1;
	}
	snprintf(out, n, "host=%s dbname=planyard user=postgres", dir);
	return 0;
}

/* The base of links: PLANYARD_PUBLIC_URL, else what `dev` serves. */
static void public_url(const settings_t *s, char *out, size_t n)
{
	if (s->public_url) {
		snprintf(out, n, "%s", s->public_url);
	} else {
		char host[256];
		int port = 8443;
		if (settings_parse_listen(s->listen_https, host, sizeof host, &port) < 0)
			port = 8443;
		snprintf(out, n, "https://localhost:%d", port);
	}
	size_t len = strlen(out);
	while (len && out[len - 1] == '/')
		out[--len] = '\0';
}

static int impersonate(const settings_t *s, const char *slug, const char *email, const char *staff,
		       const char *reason)
{
	char ci[PATH_MAX + 64], err[512];
	if (conninfo(s, ci, sizeof ci) < 0)
		return 1;
	PGconn *c = db_connect_once(ci, err, sizeof err);
	if (!c) {
		fprintf(stderr, "planyard: the database is not reachable: %s\n", err);
		return 1;
	}
	int rc = 1;
	PGresult *res = PQexec(c, "set role planyard_platform");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *m = PQresultErrorMessage(res);
		fprintf(stderr, "planyard: cannot act as planyard_platform: %.*s\n", (int)strcspn(m, "\n"), m);
		goto out;
	}
	PQclear(res);
	char token[44], hash_hex[2 * 32 + 3] = "\\x";
	unsigned char hash[32];
	crypto_token(token);
	crypto_sha256(token, strlen(token), hash);
	crypto_hex(hash, sizeof hash, hash_hex + 2);
	const char *p[] = { slug, email, staff, reason, hash_hex };
	/* the grant and the notice to the workspace's owners and admins: one transaction */
	arena_t arena = { 0 };
	res = NULL;
	char *body = arena_printf(&arena,
		"Hello,\n\nPlanyard staff (%s) were given a single-use link into your workspace, to act as %s, "
		"for this reason:\n\n  %s\n\nThe link works for 5 minutes; the session it starts lasts at most 30 "
		"minutes and shows under Admin, Staff access, where you can end it at once.\n", staff, email, reason);
	const char *sealed = body ? mail_sealed(&arena, body) : NULL;
	PGresult *g = NULL;
	bool ok = false;
	if (!sealed) {
		fputs("planyard: the notice to the workspace cannot be sealed (is PLANYARD_DATA_KEY set?)\n", stderr);
	} else if (exec_params(c, "begin", 0, NULL, NULL) == 0 &&
		   exec_params(c, "select platform.impersonate($1, $2, $3, $4, $5::bytea)", 5, p, &g) == 0) {
		const char *np[] = { PQgetvalue(g, 0, 0), "Security notice: staff access to your Planyard workspace", sealed };
		ok = exec_params(c, "select platform.impersonation_granted_notice($1, $2, $3)", 3, np, NULL) == 0 &&
		     exec_params(c, "commit", 0, NULL, NULL) == 0;
	}
	if (g)
		PQclear(g);
	arena_release(&arena);
	if (ok) {
		char url[1024];
		public_url(s, url, sizeof url);
		printf("%s/impersonate#token=%s\n", url, token);
		rc = fflush(stdout) == 0 ? 0 : 1;
	}
	OPENSSL_cleanse(token, sizeof token);
out:
	PQclear(res);
	PQfinish(c);
	return rc;
}

/* `platform notify`: one message to every owner of a workspace, audited in each workspace. */
static int notify(const settings_t *s, const char *subject, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "planyard: cannot read %s\n", path);
		return 1;
	}
	char text[64 * 1024];
	size_t n = fread(text, 1, sizeof text - 1, f);
	bool whole = feof(f) && !ferror(f);
	fclose(f);
	text[n] = '\0';
	if (!whole || n == 0 || strlen(text) != n || !jsonv_utf8_len(text)) {
		fputs("planyard: the body file must be UTF-8 text of 1 byte to 64 KiB\n", stderr);
		return 2;
	}
	char ci[PATH_MAX + 64], err[512];
	if (conninfo(s, ci, sizeof ci) < 0)
		return 1;
	arena_t arena = { 0 };
	const char *sealed = mail_sealed(&arena, text);
	if (!sealed) {
		fputs("planyard: the message cannot be sealed (is PLANYARD_DATA_KEY set?)\n", stderr);
		arena_release(&arena);
		return 1;
	}
	PGconn *c = db_connect_once(ci, err, sizeof err);
	if (!c) {
		fprintf(stderr, "planyard: the database is not reachable: %s\n", err);
		arena_release(&arena);
		return 1;
	}
	int rc = 1;
	PGresult *res = NULL;
	const char *p[] = { subject, sealed };
	if (exec_params(c, "set role planyard_platform", 0, NULL, NULL) == 0 &&
	    exec_params(c, "select platform.notify_owners($1, $2)", 2, p, &res) == 0) {
		printf("queued for %s owners\n", PQgetvalue(res, 0, 0));
		rc = fflush(stdout) == 0 ? 0 : 1;
		PQclear(res);
	}
	PQfinish(c);
	arena_release(&arena);
	return rc;
}

int platform_main(const settings_t *s, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "notify") == 0) {
		const char *subject = NULL, *file = NULL;
		for (int i = 1; i < argc; i++) {
			const char **dst = strcmp(argv[i], "--subject") == 0     ? &subject
					 : strcmp(argv[i], "--body-file") == 0 ? &file
										 : NULL;
			if (!dst || i + 1 >= argc || *dst)
				return usage();
			*dst = argv[++i];
		}
		size_t ns = subject ? jsonv_utf8_len(subject) : 0;
		if (!file || ns < 1 || ns > 200 || strchr(subject, '\n') || strchr(subject, '\r')) {
			fputs("planyard: --subject takes 1 to 200 characters on one line, and --body-file a file\n", stderr);
			return 2;
		}
		return notify(s, subject, file);
	}
	if (argc < 1 || strcmp(argv[0], "impersonate") != 0)
		return usage();
	const char *slug = NULL, *email = NULL, *staff = NULL, *reason = NULL;
	for (int i = 1; i < argc; i++) {
		const char **dst = strcmp(argv[i], "--workspace") == 0 ? &slug
				 : strcmp(argv[i], "--user") == 0    ? &email
				 : strcmp(argv[i], "--staff") == 0   ? &staff
				 : strcmp(argv[i], "--reason") == 0  ? &reason
								       : NULL;
		if (!dst || i + 1 >= argc || *dst)
			return usage();
		*dst = argv[++i];
	}
	if (!slug || !email || !staff || !reason)
		return usage();
	size_t ns = jsonv_utf8_len(staff), nr = jsonv_utf8_len(reason);
	if (ns < 1 || ns > 100 || nr < 1 || nr > 500) {
		fputs("planyard: --staff takes 1 to 100 characters and --reason 1 to 500\n", stderr);
		return 2;
	}
	return impersonate(s, slug, email, staff, reason);
}
