#include "platform.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "crypto.h"
#include "db.h"
#include "jsonv.h"

static int usage(void)
{
	fputs("usage: planyard platform impersonate --workspace SLUG --user EMAIL --staff NAME --reason TEXT\n", stderr);
	return 2;
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
	res = PQexecParams(c, "select platform.impersonate($1, $2, $3, $4, $5::bytea)", 5, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (!m)
			m = PQerrorMessage(c);
		fprintf(stderr, "planyard: %.*s\n", (int)strcspn(m, "\n"), m);
	} else {
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

int platform_main(const settings_t *s, int argc, char **argv)
{
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
