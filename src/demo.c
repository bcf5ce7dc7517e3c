#include "demo.h"

#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "db.h"
#include "embedded.h"

int demo_seed(const char *admin_url, const char *email, const char *password, char *err, size_t errlen)
{
	const struct embedded_file *seed = NULL;
	for (size_t i = 0; i < embedded_sql_count; i++)
		if (strcmp(embedded_sql[i].name, "seed/demo.sql") == 0)
			seed = &embedded_sql[i];
	if (!seed) {
		snprintf(err, errlen, "the demo seed is not built in");
		return -1;
	}
	char hash[128], history[160];
	if (password_hash(password, hash, sizeof hash) < 0 || password_history_entry(password, history, sizeof history) < 0) {
		snprintf(err, errlen, "cannot hash the demo password");
		return -1;
	}
	PGconn *c = db_connect_once(admin_url, err, errlen);
	if (!c)
		return -1;
	const char *p[] = { email, hash, history };
	PGresult *r = PQexecParams(c,
		"select set_config('planyard.demo_email', $1, false), set_config('planyard.demo_hash', $2, false), "
		"set_config('planyard.demo_history', $3, false)", 3, NULL, p, NULL, NULL, 0);
	int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
	PQclear(r);
	if (rc == 0) {
		r = PQexec(c, (const char *)seed->data);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
		if (rc < 0) {
			const char *m = PQresultErrorMessage(r);
			snprintf(err, errlen, "demo seed failed: %.*s", (int)strcspn(m, "\n"), m);
		}
		PQclear(r);
	}
	PQfinish(c);
	return rc;
}
